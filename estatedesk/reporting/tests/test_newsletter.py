"""The company newsletter 天泰物语 (R-IR-7): HQ makes an issue from accepted reports and feedback items (text
prefilled and editable), orders the articles and publishes a page and a PDF with Chinese typeset right;
published issues are archived and read by every staff member of the company, drafts by HQ only."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
from django.urls import reverse

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.feedback.tests.helpers import register
from estatedesk.org.choices import Role
from estatedesk.reporting import newsletter
from estatedesk.reporting.choices import IssueStatus
from estatedesk.reporting.models import NewsletterArticle, NewsletterIssue, ReportTemplate
from estatedesk.reporting.tests.test_scoring import at, make_types, member, report

NEWSLETTER = "reporting.newsletter"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def types(world: Any) -> dict[str, Any]:
    return make_types(world)


@pytest.fixture
def accepted(world: Any, types: dict[str, Any]) -> Any:
    """Branch A's monthly business report of November 2026, accepted at 100, with its template's values."""
    template = ReportTemplate.objects.create(
        information_type=types["business"],
        version=1,
        fields=[
            {"key": "area", "label": "管理面积", "type": "number", "required": True, "unit": "万平方米"},
            {"key": "complaints", "label": "客户投诉数", "type": "number", "required": True, "unit": "件"},
            {"key": "note", "label": "突发事件(二类)说明", "type": "text", "required": False, "unit": ""},
        ],
    )
    submission = report(
        types["business"], branch=world.branch_a, submitted=at(2026, 12, 8, 9), complete=True, score=100
    )
    submission.template = template
    submission.title = "青岛分公司十一月经营动态"
    submission.body = "本月新接管绿溪苑二期，客户满意度稳步提升。"
    submission.values = {"area": 120, "complaints": 3, "note": ""}
    submission.save()
    return submission


@pytest.fixture
def item(world: Any) -> Any:
    return register(
        world,
        kind="praise",
        title="业主送锦旗感谢维修班",
        description="1号楼业主送来锦旗，感谢维修班连夜抢修漏水。",
        contact_name="沈业主",
        contact_phone="13800001234",
    )


@pytest.fixture
def issue(world: Any) -> NewsletterIssue:
    return newsletter.issue_create(
        actor=world.hq, company=world.company, title="2026年第十一期", introduction="编者按：本期聚焦服务。"
    )


def _pdf_text(data: bytes, tmp_path: Any) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: install poppler-utils"
    path = tmp_path / "newsletter.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


# --- making an issue ----------------------------------------------------------------------------------


def test_ir_7_hq_starts_numbered_issues(world):
    first = newsletter.issue_create(actor=world.hq, company=world.company, title="第一期")
    second = newsletter.issue_create(actor=world.hq, company=world.company, title="第二期")
    assert (first.number, second.number) == (1, 2)
    assert first.name == "天泰物语"
    assert first.status == IssueStatus.DRAFT
    assert AuditEntry.objects.filter(object_type="reporting.newsletterissue", action="create").count() == 2


@pytest.mark.parametrize("persona", ["branch_manager", "pm_a", "outsider", "agent_a"])
def test_ir_7_only_hq_makes_the_newsletter(world, persona):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        newsletter.issue_create(actor=getattr(world, persona), company=world.company, title="x")


def test_ir_7_an_accepted_report_becomes_an_article_with_its_text_prefilled(world, issue, accepted):
    article = newsletter.article_add_from_submission(actor=world.hq, issue=issue, submission=accepted)
    assert article.title == "青岛分公司十一月经营动态"
    assert article.body.splitlines() == [
        "本月新接管绿溪苑二期，客户满意度稳步提升。",
        "管理面积：120万平方米",
        "客户投诉数：3件",
        "来源：物业公司月报，青岛分公司，2026-11",  # in the company's language
    ]
    assert article.submission == accepted
    assert article.position == 0


def test_ir_7_a_report_not_accepted_is_refused(world, issue, types):
    waiting = report(types["business"], branch=world.branch_b, submitted=at(2026, 12, 8, 9), complete=True)
    with pytest.raises(DomainError) as error:
        newsletter.article_add_from_submission(actor=world.hq, issue=issue, submission=waiting)
    assert error.value.code == "reporting.report_not_accepted"


def test_ir_7_a_source_goes_into_an_issue_once(world, issue, accepted, item):
    newsletter.article_add_from_submission(actor=world.hq, issue=issue, submission=accepted)
    newsletter.article_add_from_item(actor=world.hq, issue=issue, item=item)
    for add in (
        lambda: newsletter.article_add_from_submission(actor=world.hq, issue=issue, submission=accepted),
        lambda: newsletter.article_add_from_item(actor=world.hq, issue=issue, item=item),
    ):
        with pytest.raises(DomainError) as error:
            add()
        assert error.value.code == "reporting.article_duplicate"


def test_ir_7_a_feedback_item_becomes_an_article_without_the_customers_name_or_phone(world, issue, item):
    from django.utils import translation

    with translation.override("en"):  # an editor reading English still prefills in the company's language
        article = newsletter.article_add_from_item(actor=world.hq, issue=issue, item=item)
    assert article.title == "业主送锦旗感谢维修班"
    assert article.body.startswith("1号楼业主送来锦旗，感谢维修班连夜抢修漏水。")
    assert "来源：海景花园，" in article.body
    assert "沈业主" not in article.body
    assert "13800001234" not in article.body
    assert article.feedback_item == item


def test_ir_7_text_is_editable_and_articles_are_ordered(world, issue, accepted, item, types):
    other = report(
        types["finance"], branch=world.branch_b, submitted=at(2026, 12, 8, 9), complete=True, score=80
    )
    a = newsletter.article_add_from_submission(actor=world.hq, issue=issue, submission=accepted)
    b = newsletter.article_add_from_item(actor=world.hq, issue=issue, item=item)
    c = newsletter.article_add_from_submission(actor=world.hq, issue=issue, submission=other)
    newsletter.article_edit(actor=world.hq, article=b, title="锦旗背后的故事", body="改写后的正文。")
    newsletter.article_move(actor=world.hq, article=c, offset=-1)
    newsletter.article_move(actor=world.hq, article=c, offset=-1)
    newsletter.article_move(actor=world.hq, article=c, offset=-1)  # already first: stays
    order = [(x.pk, x.position) for x in newsletter.issue_articles(issue=issue)]
    assert order == [(c.pk, 0), (a.pk, 1), (b.pk, 2)]
    b.refresh_from_db()
    assert (b.title, b.body) == ("锦旗背后的故事", "改写后的正文。")
    newsletter.article_remove(actor=world.hq, article=a)
    assert [x.pk for x in newsletter.issue_articles(issue=issue)] == [c.pk, b.pk]
    with pytest.raises(DomainError) as error:
        newsletter.article_edit(actor=world.hq, article=b, title=" ", body="")
    assert error.value.fields.keys() == {"title", "body"}


def test_ir_7_publishing_stores_the_pdf_and_locks_the_issue(world, issue, accepted, tmp_path):
    article = newsletter.article_add_from_submission(actor=world.hq, issue=issue, submission=accepted)
    published = newsletter.issue_publish(actor=world.hq, issue=issue)
    assert published.status == IssueStatus.PUBLISHED
    assert published.published_by == world.hq
    assert published.pdf.name.startswith("reporting/newsletter/")
    text = "".join(_pdf_text(published.pdf.read(), tmp_path).split())
    for words in (
        "天泰物语",
        "第1期",
        "2026年第十一期",
        "编者按：本期聚焦服务。",
        "本期目录",
        "青岛分公司十一月经营动态",
        "客户投诉数：3件",
    ):
        assert words in text, words
    for change in (
        lambda: newsletter.article_edit(actor=world.hq, article=article, title="x", body="y"),
        lambda: newsletter.article_remove(actor=world.hq, article=article),
        lambda: newsletter.issue_edit(actor=world.hq, issue=issue, title="x", introduction=""),
        lambda: newsletter.issue_publish(actor=world.hq, issue=issue),
    ):
        with pytest.raises(DomainError) as error:
            change()
        assert error.value.code == "reporting.issue_published"
        assert error.value.status == 409


def test_ir_7_an_empty_issue_is_not_published(world, issue):
    with pytest.raises(DomainError) as error:
        newsletter.issue_publish(actor=world.hq, issue=issue)
    assert error.value.code == "reporting.issue_empty"


# --- the pages ------------------------------------------------------------------------------------------


def test_ir_7_hq_walks_an_issue_from_start_to_published_page_and_pdf(world, login, accepted, item, tmp_path):
    client = login(world.hq)
    response = client.post(
        reverse("reporting:newsletter_new"), {"title": "2026年第十二期", "introduction": "岁末特刊"}
    )
    issue = NewsletterIssue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:newsletter_edit", args=[issue.number])
    edit = client.get(response["Location"])
    assert edit.status_code == 200
    assert accepted.reference in edit.content.decode()  # offered
    assert (
        client.post(
            reverse("reporting:newsletter_add_report", args=[1]), {"report-reference": accepted.reference}
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("reporting:newsletter_add_item", args=[1]), {"item-reference": item.reference}
        ).status_code
        == 302
    )
    first, second = NewsletterArticle.objects.order_by("position")
    assert (
        client.post(
            reverse("reporting:newsletter_article", args=[1, second.pk]),
            {f"a{second.pk}-title": "锦旗背后的故事", f"a{second.pk}-body": "维修班连夜抢修，业主点赞。"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("reporting:newsletter_article_move", args=[1, second.pk]), {"direction": "up"}
        ).status_code
        == 302
    )
    assert list(NewsletterArticle.objects.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    response = client.post(reverse("reporting:newsletter_publish", args=[1]))
    assert response["Location"] == reverse("reporting:newsletter_issue", args=[1])
    page = client.get(response["Location"]).content.decode()
    assert page.index("锦旗背后的故事") < page.index("青岛分公司十一月经营动态")
    pdf = client.get(reverse("reporting:newsletter_pdf", args=[1]))
    assert pdf.status_code == 200
    text = "".join(_pdf_text(b"".join(pdf.streaming_content), tmp_path).split())
    assert "岁末特刊" in text
    assert "维修班连夜抢修，业主点赞。" in text
    assert text.index("锦旗背后的故事") < text.index("青岛分公司十一月经营动态")
    # the editor of a published issue sends back to the issue
    again = client.get(reverse("reporting:newsletter_edit", args=[1]))
    assert again.status_code == 302


def test_ir_7_the_editor_shows_errors_instead_of_failing(world, login, issue, types):
    client = login(world.hq)
    waiting = report(types["business"], branch=world.branch_b, submitted=at(2026, 12, 8, 9), complete=True)
    response = client.post(
        reverse("reporting:newsletter_add_report", args=[1]), {"report-reference": waiting.reference}
    )
    assert response.status_code == 400
    assert len(response.context["report_form"].non_field_errors()) == 1
    assert 'data-testid="form-errors"' in response.content.decode()
    response = client.post(reverse("reporting:newsletter_add_item", args=[1]), {"item-reference": "FB-NOPE"})
    assert response.status_code == 400
    assert response.context["item_form"].errors["reference"]
    response = client.post(reverse("reporting:newsletter_publish", args=[1]))
    assert response.status_code == 302
    assert NewsletterIssue.objects.get().status == IssueStatus.DRAFT


@pytest.fixture
def archive(world: Any, accepted: Any) -> dict[str, NewsletterIssue]:
    published = newsletter.issue_create(actor=world.hq, company=world.company, title="已出版的一期")
    newsletter.article_add_from_submission(actor=world.hq, issue=published, submission=accepted)
    newsletter.issue_publish(actor=world.hq, issue=published)
    draft = newsletter.issue_create(actor=world.hq, company=world.company, title="编辑中的一期")
    return {"published": published, "draft": draft}


@pytest.mark.parametrize("persona", ["agent_a", "supervisor_a", "pm_a", "branch_manager", "outsider", "hq"])
def test_ir_7_every_staff_member_reads_the_archive_and_published_issues(world, login, archive, persona):
    client = login(getattr(world, persona))
    listing = client.get(reverse("reporting:newsletter_list"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "已出版的一期" in html
    assert ("编辑中的一期" in html) == (persona == "hq")
    assert client.get(reverse("reporting:newsletter_issue", args=[1])).status_code == 200
    assert client.get(reverse("reporting:newsletter_pdf", args=[1])).status_code == 200
    api = client.get("/api/reporting/newsletter/").json()
    assert [row["number"] for row in api["results"]] == ([2, 1] if persona == "hq" else [1])
    detail = client.get("/api/reporting/newsletter/1/").json()
    assert detail["title"] == "已出版的一期"
    assert detail["article_list"][0]["report"] == archive["published"].articles.get().submission.reference


@pytest.mark.parametrize("role", [Role.GENERAL_MANAGER, Role.LEADER])
def test_ir_7_drafts_are_for_hq_only_even_for_company_wide_roles(
    world, login, archive, django_user_model, role
):
    client = login(member(world, django_user_model, f"top-{role}", role))
    assert client.get(reverse("reporting:newsletter_issue", args=[2])).status_code == 404
    assert client.get(reverse("reporting:newsletter_pdf", args=[2])).status_code == 404
    assert client.get("/api/reporting/newsletter/2/").status_code == 404
    assert client.get(reverse("reporting:newsletter_issue", args=[1])).status_code == 200


def _editor_posts(archive: dict[str, NewsletterIssue]) -> list[tuple[str, dict[str, str]]]:
    draft = archive["draft"]
    article = NewsletterArticle.objects.create(issue=draft, position=0, title="草稿文章", body="正文")
    return [
        (reverse("reporting:newsletter_new"), {"title": "x"}),
        (reverse("reporting:newsletter_edit", args=[2]), {"title": "x"}),
        (reverse("reporting:newsletter_add_report", args=[2]), {"report-reference": "RP-T-0001"}),
        (reverse("reporting:newsletter_add_item", args=[2]), {"item-reference": "x"}),
        (
            reverse("reporting:newsletter_article", args=[2, article.pk]),
            {f"a{article.pk}-title": "x", f"a{article.pk}-body": "y"},
        ),
        (reverse("reporting:newsletter_article_move", args=[2, article.pk]), {"direction": "up"}),
        (reverse("reporting:newsletter_article_remove", args=[2, article.pk]), {}),
        (reverse("reporting:newsletter_publish", args=[2]), {}),
    ]


@pytest.mark.parametrize("persona", ["outsider", "branch_manager", "pm_a"])
def test_ir_7_staff_other_than_hq_see_no_draft_and_change_nothing(world, login, archive, persona):
    client = login(getattr(world, persona))
    for url in (
        reverse("reporting:newsletter_issue", args=[2]),
        reverse("reporting:newsletter_pdf", args=[2]),
        reverse("reporting:newsletter_edit", args=[2]),
        reverse("reporting:newsletter_edit", args=[1]),
        "/api/reporting/newsletter/2/",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in _editor_posts(archive):
        assert client.post(url, data).status_code == 404, url
    assert NewsletterIssue.objects.count() == 2
    assert NewsletterArticle.objects.filter(title="x").count() == 0
    assert NewsletterIssue.objects.get(number=2).status == IssueStatus.DRAFT


@pytest.mark.parametrize("persona", ["nobody", "owner_a"])
def test_ir_7_nobody_and_owners_read_nothing(world, login, archive, persona):
    client = login(getattr(world, persona))
    assert client.get(reverse("reporting:newsletter_list")).status_code == 403
    for number in (1, 2):
        assert client.get(reverse("reporting:newsletter_issue", args=[number])).status_code == 403
        assert client.get(reverse("reporting:newsletter_pdf", args=[number])).status_code == 403
    assert client.get("/api/reporting/newsletter/").status_code == 403
    assert client.get("/api/reporting/newsletter/1/").status_code == 403
    for url, data in _editor_posts(archive):
        assert client.post(url, data).status_code == 404, url
    assert NewsletterIssue.objects.get(number=2).status == IssueStatus.DRAFT


def test_ir_7_anonymous_is_sent_to_login(client, world, archive):
    for url in (
        reverse("reporting:newsletter_list"),
        reverse("reporting:newsletter_issue", args=[1]),
        reverse("reporting:newsletter_pdf", args=[1]),
        reverse("reporting:newsletter_edit", args=[2]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"]
    assert client.post(reverse("reporting:newsletter_publish", args=[2])).status_code == 302
    assert client.get("/api/reporting/newsletter/").status_code == 401
    assert NewsletterIssue.objects.get(number=2).status == IssueStatus.DRAFT


def test_ir_7_hq_cannot_add_an_item_of_another_company(world, issue, django_user_model):
    from estatedesk.org.models import Branch, Company, Project

    other = Company.objects.create(code="ZZ", name="别家物业")
    branch = Branch.objects.create(company=other, code="ZZ1", name="别家分公司")
    project = Project.objects.create(branch=branch, code="ZZ-1", name="别家项目")
    stranger = member(world, django_user_model, "zz-agent", Role.CS_AGENT, project=project)
    stranger_item = register(world, actor=stranger, project=project)
    from django.http import Http404

    with pytest.raises(Http404):
        newsletter.article_add_from_item(actor=world.hq, issue=issue, item=stranger_item)


def test_ir_7_the_editor_and_the_archive_make_as_many_queries_with_many_rows(
    world, login, issue, accepted, item, types
):
    from estatedesk.common.testing import assert_queries_do_not_grow

    newsletter.article_add_from_submission(actor=world.hq, issue=issue, submission=accepted)
    newsletter.article_add_from_item(actor=world.hq, issue=issue, item=item)
    client = login(world.hq)

    def add_articles() -> list[str]:
        titles = []
        for index in range(5):
            extra = register(world, title=f"新增反馈{index}", description=f"描述{index}")
            article = newsletter.article_add_from_item(actor=world.hq, issue=issue, item=extra)
            newsletter.article_edit(actor=world.hq, article=article, title=f"新增文章{index}", body="正文")
            titles.append(f"新增文章{index}")
        return titles

    assert_queries_do_not_grow(
        client, reverse("reporting:newsletter_edit", args=[issue.number]), add_articles, ceiling=30
    )

    def add_issues() -> list[str]:
        titles = []
        for index in range(5):
            extra = newsletter.issue_create(actor=world.hq, company=world.company, title=f"往期{index}")
            newsletter.article_add_from_item(actor=world.hq, issue=extra, item=item)
            titles.append(f"往期{index}")
        return titles

    assert_queries_do_not_grow(client, reverse("reporting:newsletter_list"), add_issues, ceiling=20)


def test_ir_7_the_issue_page_makes_as_many_queries_with_many_articles(world, login, issue, accepted, item):
    from estatedesk.common.testing import assert_queries_do_not_grow

    newsletter.article_add_from_submission(actor=world.hq, issue=issue, submission=accepted)
    newsletter.article_add_from_item(actor=world.hq, issue=issue, item=item)

    def add_articles() -> list[str]:
        titles = []
        for index in range(5):
            extra = register(world, title=f"另一反馈{index}", description=f"描述{index}")
            article = newsletter.article_add_from_item(actor=world.hq, issue=issue, item=extra)
            newsletter.article_edit(actor=world.hq, article=article, title=f"另一文章{index}", body="正文")
            titles.append(f"另一文章{index}")
        return titles

    assert_queries_do_not_grow(
        login(world.hq), reverse("reporting:newsletter_issue", args=[issue.number]), add_articles, ceiling=20
    )


def test_ir_7_the_urls_are_the_newsletter_pages():
    from django.urls import resolve

    from estatedesk.reporting.views import newsletter as views

    assert resolve("/reporting/newsletter/").func is views.newsletter_list
    assert resolve("/reporting/newsletter/new/").func is views.newsletter_new
    assert resolve("/reporting/newsletter/3/").func is views.newsletter_issue
