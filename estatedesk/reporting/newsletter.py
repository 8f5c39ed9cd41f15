"""The company newsletter (公司内刊, seed: 天泰物语, R-IR-7): HQ's property management department compiles an
issue from selected reports and feedback items, edits the text and publishes it as a page and a PDF;
published issues stay in the archive.

- Writing needs reporting.newsletter (HQ) and a draft issue: a published issue is locked (409).
- An article is added from an accepted report or from a feedback item the editor may see, of the issue's
  company; its title and text are prefilled from the source (the report's content and its template's
  values; the item's title, description and handling result, never the customer's name or phone) and can
  be edited; the link to the source stays. A source is in an issue at most once.
- Articles are ordered by `position` (0, 1, 2 …): moved up or down one place at a time.
- Publishing locks the issue, stamps who and when, renders the PDF (newsletter_pdf) and stores it through
  default_storage (`issue.pdf`): the archive serves that file, the issue as it was published.
- Reading: published issues for every staff member of the company; drafts for HQ only (reporting.newsletter),
  although other company-wide roles see drafts in `NewsletterIssue.scope_filter`.
Every write is audited.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import scope_for
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Company
from estatedesk.org.permissions import can, require
from estatedesk.reporting.choices import IssueStatus, SubmissionStatus
from estatedesk.reporting.models import NewsletterArticle, NewsletterIssue, ReportSubmission

ARTICLE_FIELDS = ["title", "body", "position"]
ISSUE_FIELDS = ["title", "introduction"]


# --- reading --------------------------------------------------------------------------------------------


def issue_list(*, user: Any) -> QuerySet[NewsletterIssue]:
    """The issues the user may read, newest first: published ones, and drafts for HQ."""
    issues = NewsletterIssue.objects.visible_to(user)
    if not can(user, "reporting.newsletter"):
        issues = issues.filter(status=IssueStatus.PUBLISHED)
    return issues.annotate(article_count=Count("articles")).order_by("-number", "-id")


def issue_get_for_user(*, user: Any, number: int) -> NewsletterIssue:
    """An issue by number, or 404 when it is missing, out of the user's company, or a draft and the user
    is not HQ."""
    issue = (
        issue_list(user=user)
        .filter(number=number)
        .select_related("company", "published_by")
        .order_by("company_id")
        .first()
    )
    if issue is None:
        raise Http404
    return issue


def issue_articles(*, issue: NewsletterIssue) -> list[NewsletterArticle]:
    return list(
        issue.articles.select_related(
            "submission",
            "submission__information_type",
            "submission__branch",
            "submission__project",
            "feedback_item",
            "feedback_item__project",
        ).order_by("position", "id")
    )


def candidate_reports(*, user: Any, issue: NewsletterIssue, limit: int = 50) -> list[ReportSubmission]:
    """Accepted reports the editor may see, of the issue's company and not in the issue yet, newest first."""
    used = issue.articles.filter(submission__isnull=False).values("submission_id")
    return list(
        ReportSubmission.objects.visible_to(user)
        .filter(status=SubmissionStatus.ACCEPTED, branch__company_id=issue.company_id)
        .exclude(pk__in=used)
        .select_related("information_type", "branch", "project")
        .order_by("-accepted_at", "-id")[:limit]
    )


# --- writing --------------------------------------------------------------------------------------------


def _require_editor(actor: Any, company_id: int) -> None:
    require(actor, "reporting.newsletter")
    if company_id not in scope_for(actor).company_ids:
        raise Http404


def _draft(issue: NewsletterIssue) -> NewsletterIssue:
    """The issue, locked for the write, if it is still a draft."""
    locked = NewsletterIssue.objects.select_for_update().get(pk=issue.pk)
    if locked.status != IssueStatus.DRAFT:
        raise DomainError(
            "reporting.issue_published", _("The issue is published: it can no longer be changed."), status=409
        )
    return locked


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    problems: dict[str, list[Any]] = {}
    if not title:
        problems["title"] = [_("Give the article a title.")]
    if not body:
        problems["body"] = [_("Write the article's text.")]
    if problems:
        raise DomainError("reporting.article_invalid", _("The article is not complete."), fields=problems)
    return title[:200], body


def issue_create(*, actor: Any, company: Company, title: str, introduction: str = "") -> NewsletterIssue:
    """A new draft issue with the next number of the company's newsletter."""
    _require_editor(actor, company.pk)
    title = title.strip()
    if not title:
        raise DomainError(
            "reporting.issue_invalid", _("Give the issue a title."), fields={"title": [_("Required.")]}
        )
    for _attempt in range(3):  # two editors at once: the unique number decides, the other tries the next
        try:
            with transaction.atomic():
                last = NewsletterIssue.objects.filter(company=company).aggregate(last=Max("number"))["last"]
                issue = NewsletterIssue.objects.create(
                    company=company,
                    number=(last or 0) + 1,
                    title=title[:200],
                    introduction=introduction.strip(),
                )
                audit_record(
                    actor=actor, action="create", obj=issue, after=model_changes(issue, ISSUE_FIELDS)
                )
                return issue
        except IntegrityError:
            continue
    raise DomainError(
        "reporting.issue_busy", _("Another issue was created at the same time; try again."), status=409
    )


def issue_edit(*, actor: Any, issue: NewsletterIssue, title: str, introduction: str) -> NewsletterIssue:
    _require_editor(actor, issue.company_id)
    title = title.strip()
    if not title:
        raise DomainError(
            "reporting.issue_invalid", _("Give the issue a title."), fields={"title": [_("Required.")]}
        )
    with transaction.atomic():
        locked = _draft(issue)
        before = model_changes(locked, ISSUE_FIELDS)
        locked.title, locked.introduction = title[:200], introduction.strip()
        locked.save(update_fields=["title", "introduction", "updated_at"])
        audit_record(
            actor=actor, action="update", obj=locked, before=before, after=model_changes(locked, ISSUE_FIELDS)
        )
    return locked


def _next_position(issue: NewsletterIssue) -> int:
    last = issue.articles.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def submission_text(submission: ReportSubmission) -> tuple[str, str]:
    """The prefilled title and text of an article from a report: its title (else the type, the unit and
    the period), its content, and its template's values with their labels and units; in the company's
    language (the newsletter's), whatever language the editor's pages are in."""
    with translation.override(settings.LANGUAGE_CODE):
        return _submission_text(submission)


def _submission_text(submission: ReportSubmission) -> tuple[str, str]:
    unit = submission.project.name if submission.project else submission.branch.name
    when = (
        f"{submission.period_start:%Y-%m}"
        if submission.period_start
        else f"{timezone.localtime(submission.occurred_at):%Y-%m-%d}"
        if submission.occurred_at
        else ""
    )
    title = submission.title or " · ".join(
        part for part in (submission.information_type.name, unit, when) if part
    )
    lines = [submission.body.strip()] if submission.body.strip() else []
    fields = submission.template.fields if submission.template is not None else []
    values = submission.values or {}
    for spec in fields:
        key = spec.get("key")
        value = values.get(key) if key else None
        if value in (None, ""):
            continue
        shown = (_("yes") if value else _("no")) if isinstance(value, bool) else str(value)
        unit_word = spec.get("unit") or ""
        lines.append(f"{spec.get('label') or key}：{shown}{unit_word}")
    lines.append(
        _("Source: %(type)s, %(unit)s, %(when)s")
        % {"type": submission.information_type.name, "unit": unit, "when": when}
    )
    return title, "\n".join(lines)


def item_text(item: FeedbackItem) -> tuple[str, str]:
    """The prefilled title and text of an article from a feedback item: what happened and how it was
    handled, without the customer's name, phone or unit; in the company's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _item_text(item)


def _item_text(item: FeedbackItem) -> tuple[str, str]:
    lines = [item.description.strip()]
    if item.result.strip():
        lines.append(_("Handling result: %(result)s") % {"result": item.result.strip()})
    lines.append(
        _("Source: %(project)s, %(category)s, %(date)s")
        % {
            "project": item.project.name,
            "category": item.get_category_display(),
            "date": f"{timezone.localtime(item.registered_at):%Y-%m-%d}",
        }
    )
    return item.title, "\n\n".join(line for line in lines if line)


def article_add_from_submission(
    *, actor: Any, issue: NewsletterIssue, submission: ReportSubmission
) -> NewsletterArticle:
    """An article from an accepted report the editor may see, prefilled (see `submission_text`)."""
    _require_editor(actor, issue.company_id)
    visible = ReportSubmission.objects.visible_to(actor).filter(
        pk=submission.pk, branch__company_id=issue.company_id
    )
    if not visible.exists():
        raise Http404
    if submission.status != SubmissionStatus.ACCEPTED:
        raise DomainError(
            "reporting.report_not_accepted",
            _("Only an accepted report goes into the newsletter."),
            status=409,
        )
    title, body = submission_text(submission)
    with transaction.atomic():
        locked = _draft(issue)
        if locked.articles.filter(submission=submission).exists():
            raise DomainError(
                "reporting.article_duplicate", _("This report is in the issue already."), status=409
            )
        article = NewsletterArticle.objects.create(
            issue=locked, position=_next_position(locked), title=title[:200], body=body, submission=submission
        )
        audit_record(actor=actor, action="create", obj=article, after=model_changes(article, ARTICLE_FIELDS))
    return article


def article_add_from_item(*, actor: Any, issue: NewsletterIssue, item: FeedbackItem) -> NewsletterArticle:
    """An article from a feedback item the editor may see, prefilled (see `item_text`)."""
    _require_editor(actor, issue.company_id)
    visible = FeedbackItem.objects.visible_to(actor).filter(
        pk=item.pk, project__branch__company_id=issue.company_id
    )
    if not visible.exists():
        raise Http404
    title, body = item_text(item)
    with transaction.atomic():
        locked = _draft(issue)
        if locked.articles.filter(feedback_item=item).exists():
            raise DomainError(
                "reporting.article_duplicate", _("This item is in the issue already."), status=409
            )
        article = NewsletterArticle.objects.create(
            issue=locked, position=_next_position(locked), title=title[:200], body=body, feedback_item=item
        )
        audit_record(actor=actor, action="create", obj=article, after=model_changes(article, ARTICLE_FIELDS))
    return article


def article_edit(*, actor: Any, article: NewsletterArticle, title: str, body: str) -> NewsletterArticle:
    _require_editor(actor, article.issue.company_id)
    title, body = _clean(title, body)
    with transaction.atomic():
        _draft(article.issue)
        locked = NewsletterArticle.objects.select_for_update().get(pk=article.pk)
        before = model_changes(locked, ARTICLE_FIELDS)
        locked.title, locked.body = title, body
        locked.save(update_fields=["title", "body"])
        audit_record(
            actor=actor,
            action="update",
            obj=locked,
            before=before,
            after=model_changes(locked, ARTICLE_FIELDS),
        )
    return locked


def article_move(*, actor: Any, article: NewsletterArticle, offset: int) -> None:
    """Move the article one place up (offset -1) or down (+1); the order is renumbered 0, 1, 2 …"""
    _require_editor(actor, article.issue.company_id)
    if offset not in (-1, 1):
        raise DomainError("reporting.move_invalid", _("Move an article one place up or down."))
    with transaction.atomic():
        issue = _draft(article.issue)
        order = list(issue.articles.select_for_update().order_by("position", "id"))
        index = next((i for i, a in enumerate(order) if a.pk == article.pk), None)
        if index is None:
            raise Http404
        target = index + offset
        if not 0 <= target < len(order):
            return
        order[index], order[target] = order[target], order[index]
        for position, row in enumerate(order):
            if row.position != position:
                row.position = position
                row.save(update_fields=["position"])
        audit_record(
            actor=actor,
            action="update",
            obj=article,
            before={"position": index},
            after={"position": target},
        )


def article_remove(*, actor: Any, article: NewsletterArticle) -> None:
    _require_editor(actor, article.issue.company_id)
    with transaction.atomic():
        _draft(article.issue)
        audit_record(actor=actor, action="delete", obj=article, before=model_changes(article, ARTICLE_FIELDS))
        article.delete()


def issue_publish(*, actor: Any, issue: NewsletterIssue) -> NewsletterIssue:
    """Publish the issue: locked from now on, readable by every staff member of the company. Its PDF is
    rendered after the commit (WeasyPrint takes a second: not with the write lock held) and stored
    (default_storage) as it was published; until it is stored, or if rendering failed, the PDF page
    renders the published issue afresh."""
    from estatedesk.reporting.newsletter_pdf import newsletter_pdf

    _require_editor(actor, issue.company_id)
    with transaction.atomic():
        locked = _draft(issue)
        if not locked.articles.exists():
            raise DomainError(
                "reporting.issue_empty", _("Add at least one article before publishing."), status=409
            )
        locked.status = IssueStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = actor
        locked.save(update_fields=["status", "published_at", "published_by", "updated_at"])
        audit_record(
            actor=actor,
            action="update",
            obj=locked,
            before={"status": IssueStatus.DRAFT},
            after={"status": IssueStatus.PUBLISHED},
        )
    content = newsletter_pdf(issue=locked, articles=issue_articles(issue=locked))
    locked.pdf.save(f"{locked.company.code}-{locked.number}.pdf", ContentFile(content), save=False)
    NewsletterIssue.objects.filter(pk=locked.pk).update(pdf=locked.pdf.name)
    return locked
