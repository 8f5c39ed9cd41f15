"""Importing a workbook of answered forms (issue 13, item 3): a dry run listing every row's problems, then all
rows or none; headers and ratings as people write them; bad files told plainly; a 2,000-form workbook."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from estatedesk.common.errors import DomainError
from estatedesk.surveys import entry, importing
from estatedesk.surveys.choices import Channel, ImportStatus
from estatedesk.surveys.models import SurveyAnswer, SurveyForm, SurveyImport
from estatedesk.surveys.tests.test_entry_setup import make_campaign

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def workbook(*rows, title="Sheet1", extra_sheets=()):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for name, sheet_rows in extra_sheets:
        other = book.create_sheet(name)
        for row in sheet_rows:
            other.append(list(row))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def check(world, setup, data, filename="answers.xlsx"):
    return importing.survey_import_check(
        actor=world.agent_a, campaign=setup.campaign, upload=BytesIO(data), filename=filename
    )


def ratings_of(serial, setup):
    return dict(
        SurveyAnswer.objects.filter(form__campaign=setup.campaign, form__serial=serial).values_list(
            "item_id", "rating"
        )
    )


# --- reading values -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "rating"),
    [
        ("很满意", 1),
        (" 满 意 ", 2),
        ("较满意", 3),
        ("比较满意", 3),
        ("不满意", 4),
        ("未表态", 0),
        ("Very satisfied", 1),
        ("SATISFIED", 2),
        ("fairly satisfied", 3),
        ("Unsatisfied", 4),
        ("dissatisfied", 4),
        ("No answer", 0),
        ("N/A", 0),
        ("３", 3),
        ("1", 1),
        (2, 2),
        (4.0, 4),
        (0, 0),
        (None, 0),
        ("", 0),
        ("  ", 0),
        ("-", 0),
    ],
)
def test_rating_of_reads_words_digits_and_blanks(cell, rating):
    assert importing.rating_of(cell) == rating


@pytest.mark.parametrize("cell", ["一般", "5", 5, 1.5, "good", True])
def test_rating_of_refuses_other_words(cell):
    assert importing.rating_of(cell) is None


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        (46331, dt.date(2026, 11, 5)),
        (46331.0, dt.date(2026, 11, 5)),
        ("46331", dt.date(2026, 11, 5)),
        ("2026-11-05", dt.date(2026, 11, 5)),
        ("2026/11/5", dt.date(2026, 11, 5)),
        ("２０２６年１１月５日", dt.date(2026, 11, 5)),
        ("20261105", dt.date(2026, 11, 5)),
        (dt.datetime(2026, 11, 5, 9, 30, tzinfo=dt.UTC).replace(tzinfo=None), dt.date(2026, 11, 5)),
    ],
)
def test_date_of_reads_serial_dates_and_text_dates(cell, day):
    assert importing.date_of(cell) == day


# --- dry run and commit ------------------------------------------------------------------------------------


def messy_workbook(setup):
    """A title row, then headers as people write them: full-width, spaced, English, in another order."""
    return workbook(
        ("海景花园 11月满意度调查（录入）",),
        (
            "序号",
            "Ｃｌｅａｎｉｎｇ",
            " 客户服务（必填） ",
            "区域",
            "GREENING",
            "姓名",
            "填表日期",
            "意见建议",
        ),
        ("０００１", "满意", "很满意", "1号楼", "未表态", "张先生", 46331, "电梯常坏"),
        (2.0, "Satisfied", "Very satisfied", "1 号楼", None, None, "2026/11/6", None),
        (3, "４", "3", "1", "", "李女士", dt.datetime(2026, 11, 7, tzinfo=dt.UTC).replace(tzinfo=None), None),
        ("6", None, None, "中心花园", None, None, None, None),  # a form that did not come back
        (),
        (7, "不满意", "较满意", "中心花园", "No answer", None, None, "=1+1"),
    )


def test_a_messy_workbook_is_checked_clean_then_imported_whole(world):
    # given a running campaign (forms 1-5 in 1号楼, 6-10 in 中心花园) and a workbook kept as people keep it
    setup = make_campaign(world.project_a)
    customer, cleaning, greening = setup.items
    # when it is checked
    survey_import = check(world, setup, messy_workbook(setup))
    # then it has no problem; the four answered rows are counted, the unanswered one left out
    assert survey_import.problems == []
    assert survey_import.status == ImportStatus.CHECKED
    assert (survey_import.rows_total, survey_import.rows_ok) == (4, 4)
    assert survey_import.file.name.startswith("surveys/imports/")
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 0
    # when it is imported
    done = importing.survey_import_commit(actor=world.agent_a, survey_import=survey_import)
    # then the four forms are returned by import with their answers, names, dates and comments
    assert done.status == ImportStatus.COMMITTED
    assert done.committed_at is not None
    returned = SurveyForm.objects.filter(campaign=setup.campaign, returned_at__isnull=False).order_by(
        "serial"
    )
    assert [form.serial for form in returned] == [1, 2, 3, 7]
    assert {form.channel for form in returned} == {Channel.IMPORT}
    assert ratings_of(1, setup) == {customer.pk: 1, cleaning.pk: 2, greening.pk: 0}
    assert ratings_of(2, setup) == {customer.pk: 1, cleaning.pk: 2, greening.pk: 0}
    assert ratings_of(3, setup) == {customer.pk: 3, cleaning.pk: 4, greening.pk: 0}
    assert ratings_of(7, setup) == {customer.pk: 3, cleaning.pk: 4, greening.pk: 0}
    first, second, third, seventh = returned
    assert (first.respondent_name, first.answered_on, first.comment) == (
        "张先生",
        dt.date(2026, 11, 5),
        "电梯常坏",
    )
    assert second.answered_on == dt.date(2026, 11, 6)
    assert (third.respondent_name, third.answered_on) == ("李女士", dt.date(2026, 11, 7))
    assert seventh.comment == "=1+1"
    assert first.entered_by == world.agent_a


def test_problems_of_every_row_are_listed_and_nothing_can_be_imported(world):
    # given form 4 already keyed in, and a workbook with a problem in most rows
    setup = make_campaign(world.project_a)
    entry.form_key_in(actor=world.agent_a, campaign=setup.campaign, serial=4, ratings=setup.ratings(1, 1, 1))
    data = workbook(
        ("区域", "编号", "客户服务", "保洁卫生", "绿化养护", "日期"),
        ("1号楼", 1, "很满意", "满意", "满意", None),  # sound
        ("1号楼", 99, "很满意", "满意", "满意", None),  # unknown serial
        ("1号楼", 6, "很满意", "满意", "满意", None),  # serial of 中心花园
        ("1号楼", 4, "很满意", "满意", "满意", None),  # already returned
        ("1号楼", 1, "满意", "满意", "满意", None),  # duplicate of row 2
        ("1号楼", 2, "一般", "满意", "满意", None),  # no rating
        ("1号楼", 3, "满意", "满意", "满意", "上周二"),  # no date
        ("地下车库", 5, "满意", "满意", "满意", None),  # not an area of the survey
        ("1号楼", "abc", "满意", "满意", "满意", None),  # not a serial
    )
    # when it is checked
    survey_import = check(world, setup, data)
    # then each problem is listed with its row and column, and the file is rejected
    assert survey_import.status == ImportStatus.REJECTED
    assert [(p["row"], p["column"]) for p in survey_import.problems] == [
        (3, "编号"),
        (4, "区域"),
        (5, "编号"),
        (6, "编号"),
        (7, "客户服务"),
        (8, "日期"),
        (9, "区域"),
        (10, "编号"),
    ]
    messages = [p["message"] for p in survey_import.problems]
    assert "0099" in messages[0]
    assert "0006" in messages[1]
    assert "0004" in messages[2]
    assert "0001" in messages[3]
    assert "2" in messages[3]
    assert "一般" in messages[4]
    assert "上周二" in messages[5]
    assert "地下车库" in messages[6]
    assert "abc" in messages[7]
    assert survey_import.rows_ok == 1
    # and committing is refused, nothing imported
    with pytest.raises(DomainError) as refused:
        importing.survey_import_commit(actor=world.agent_a, survey_import=survey_import)
    assert refused.value.code == "surveys.import_has_problems"
    assert list(SurveyForm.objects.filter(returned_at__isnull=False).values_list("serial", flat=True)) == [4]


def test_a_form_entered_after_the_check_makes_the_commit_import_nothing(world):
    setup = make_campaign(world.project_a)
    data = workbook(
        ("编号", "客户服务", "保洁卫生", "绿化养护"),
        (1, "很满意", "满意", "满意"),
        (2, "很满意", "满意", "满意"),
    )
    survey_import = check(world, setup, data)
    assert survey_import.status == ImportStatus.CHECKED
    # when form 2 is keyed in meanwhile
    entry.form_key_in(
        actor=world.supervisor_a, campaign=setup.campaign, serial=2, ratings=setup.ratings(4, 4, 4)
    )
    with pytest.raises(DomainError) as refused:
        importing.survey_import_commit(actor=world.agent_a, survey_import=survey_import)
    # then nothing is imported and the new problem is listed
    assert refused.value.code == "surveys.import_changed"
    assert setup.form(1).returned_at is None
    assert ratings_of(2, setup) == setup.ratings(4, 4, 4)
    survey_import.refresh_from_db()
    assert survey_import.status == ImportStatus.REJECTED
    assert [p["row"] for p in survey_import.problems] == [3]


def test_an_import_is_committed_once(world):
    setup = make_campaign(world.project_a)
    survey_import = check(world, setup, workbook(("编号", "客户服务", "保洁卫生", "绿化养护"), (1, 1, 1, 1)))
    importing.survey_import_commit(actor=world.agent_a, survey_import=survey_import)
    with pytest.raises(DomainError) as refused:
        importing.survey_import_commit(
            actor=world.agent_a, survey_import=SurveyImport.objects.get(pk=survey_import.pk)
        )
    assert refused.value.code == "surveys.import_done"
    assert SurveyAnswer.objects.count() == 3


# --- bad files ----------------------------------------------------------------------------------------------


def whole_file_problem(survey_import):
    assert survey_import.status == ImportStatus.REJECTED
    assert [p["row"] for p in survey_import.problems] in ([0], [1], [2])
    return survey_import.problems[0]["message"]


def test_a_file_that_is_not_a_workbook_is_told_plainly(world):
    setup = make_campaign(world.project_a)
    message = whole_file_problem(
        check(world, setup, b"serial,customer service\n1,2\n", filename="answers.csv")
    )
    assert ".xlsx" in message


def test_a_truncated_workbook_is_not_a_workbook(world):
    setup = make_campaign(world.project_a)
    data = workbook(("编号", "客户服务", "保洁卫生", "绿化养护"), (1, 1, 1, 1))
    assert ".xlsx" in whole_file_problem(check(world, setup, data[: len(data) // 2]))


def test_an_empty_workbook_is_told_plainly(world, settings):
    settings.LANGUAGE_CODE = "en"
    setup = make_campaign(world.project_a)
    from django.utils import translation

    with translation.override("en"):
        message = whole_file_problem(check(world, setup, workbook()))
    assert message == "The workbook is empty."


def test_a_workbook_of_another_table_names_what_is_missing(world):
    setup = make_campaign(world.project_a)
    from django.utils import translation

    with translation.override("zh-hans"):
        message = whole_file_problem(
            check(world, setup, workbook(("楼栋", "房号", "姓名"), ("1", "101", "张伟")))
        )
    assert "编号" in message


def test_missing_item_columns_are_named(world):
    setup = make_campaign(world.project_a)
    survey_import = check(world, setup, workbook(("编号", "客户服务"), (1, "满意")))
    message = whole_file_problem(survey_import)
    assert "保洁卫生" in message
    assert "绿化养护" in message


def test_the_table_is_found_on_the_sheet_that_has_it(world):
    setup = make_campaign(world.project_a)
    data = workbook(
        ("填写说明：每行一张表",),
        title="说明",
        extra_sheets=[("数据", [("编号", "客户服务", "保洁卫生", "绿化养护"), (1, "满意", "满意", "满意")])],
    )
    survey_import = check(world, setup, data)
    assert survey_import.status == ImportStatus.CHECKED
    assert survey_import.rows_ok == 1


def test_a_workbook_with_only_unanswered_rows_has_nothing_to_import(world):
    setup = make_campaign(world.project_a)
    survey_import = check(world, setup, importing.template_workbook(campaign=setup.campaign))
    assert survey_import.status == ImportStatus.REJECTED
    assert [p["row"] for p in survey_import.problems] == [0]


def test_more_rows_than_the_cap_are_refused_with_a_clear_message(world, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    setup = make_campaign(world.project_a)
    rows = [(serial, "满意", "满意", "满意") for serial in range(1, 5)]
    survey_import = check(world, setup, workbook(("编号", "客户服务", "保洁卫生", "绿化养护"), *rows))
    message = whole_file_problem(survey_import)
    assert "3" in message
    assert survey_import.rows_ok == 0


def test_a_file_larger_than_the_limit_is_refused_unread(world, monkeypatch):
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 100)
    setup = make_campaign(world.project_a)
    survey_import = check(world, setup, workbook(("编号", "客户服务", "保洁卫生", "绿化养护"), (1, 1, 1, 1)))
    whole_file_problem(survey_import)
    assert not survey_import.file


# --- the template -------------------------------------------------------------------------------------------


def test_the_template_has_the_items_as_headers_and_the_serials_per_area(world):
    setup = make_campaign(world.project_a)
    entry.form_key_in(actor=world.agent_a, campaign=setup.campaign, serial=2, ratings=setup.ratings(1, 1, 1))
    book = load_workbook(BytesIO(importing.template_workbook(campaign=setup.campaign)))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "区域 (Area)",
        "编号 (Serial)",
        "客户服务 (Customer service)",
        "保洁卫生 (Cleaning)",
        "绿化养护 (Greening)",
        "客户姓名 (Customer name)",
        "日期 (Date)",
        "意见 (Comments)",
    )
    filled = [row[:2] for row in rows[1:] if row[0]]
    assert filled == [("1号楼", 1), ("1号楼", 3), ("1号楼", 4), ("1号楼", 5)] + [
        ("中心花园", n) for n in range(6, 11)
    ]
    assert book.sheetnames == ["征询表 Answers", "说明 Instructions"]


def test_the_filled_in_template_imports_its_answered_rows(world):
    # given the template with two rows answered
    setup = make_campaign(world.project_a)
    book = load_workbook(BytesIO(importing.template_workbook(campaign=setup.campaign)))
    sheet = book.worksheets[0]
    sheet["C2"], sheet["D2"], sheet["E2"] = "很满意", "满意", "不满意"
    sheet["C8"], sheet["F8"] = "较满意", "王女士"
    buffer = BytesIO()
    book.save(buffer)
    # when it is checked and imported
    survey_import = check(world, setup, buffer.getvalue())
    assert survey_import.problems == []
    importing.survey_import_commit(actor=world.agent_a, survey_import=survey_import)
    # then forms 1 and 7 are returned, the others not
    assert list(
        SurveyForm.objects.filter(returned_at__isnull=False)
        .order_by("serial")
        .values_list("serial", flat=True)
    ) == [1, 7]
    customer, cleaning, greening = setup.items
    assert ratings_of(7, setup) == {customer.pk: 3, cleaning.pk: 0, greening.pk: 0}
    assert setup.form(7).respondent_name == "王女士"


# --- 2,000 forms --------------------------------------------------------------------------------------------


def test_a_2000_form_workbook_is_checked_and_imported_with_bulk_queries(world, django_assert_max_num_queries):
    # given a campaign with 1,000 forms in each of two areas and a workbook answering all of them
    setup = make_campaign(world.project_a, forms_per_area=1000)
    words = ["很满意", "满意", "较满意", "不满意", None]
    rows = [
        (
            "1号楼" if serial <= 1000 else "中心花园",
            serial,
            words[serial % 5],
            words[(serial + 1) % 5],
            words[(serial + 2) % 5],
        )
        for serial in range(1, 2001)
    ]
    data = workbook(("区域", "编号", "客户服务", "保洁卫生", "绿化养护"), *rows)
    # when it is checked and committed
    with django_assert_max_num_queries(12):
        survey_import = check(world, setup, data)
    assert survey_import.status == ImportStatus.CHECKED
    assert (survey_import.rows_total, survey_import.rows_ok) == (2000, 2000)
    with django_assert_max_num_queries(40):
        importing.survey_import_commit(actor=world.agent_a, survey_import=survey_import)
    # then every form is returned with its three answers
    assert SurveyForm.objects.filter(campaign=setup.campaign, returned_at__isnull=False).count() == 2000
    assert SurveyAnswer.objects.filter(form__campaign=setup.campaign).count() == 6000
    assert SurveyAnswer.objects.filter(form__campaign=setup.campaign, rating=4).count() == 1200
    assert SurveyAnswer.objects.filter(form__campaign=setup.campaign, rating=0).count() == 1200


# --- pages --------------------------------------------------------------------------------------------------


def test_upload_check_and_commit_through_the_pages(world, login):
    setup = make_campaign(world.project_a)
    client = login(world.agent_a)
    reference = setup.campaign.reference
    assert client.get(reverse("surveys:import", args=[reference])).status_code == 200
    upload = SimpleUploadedFile("回收.xlsx", messy_workbook(setup), content_type=XLSX)
    response = client.post(reverse("surveys:import", args=[reference]), {"file": upload})
    survey_import = SurveyImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:import_detail", args=[reference, survey_import.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'data-testid="import-commit"' in page.content.decode()
    response = client.post(reverse("surveys:import_commit", args=[reference, survey_import.pk]))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-committed"' in page
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 4
    assert survey_import.filename in client.get(reverse("surveys:import", args=[reference])).content.decode()


def test_the_detail_page_lists_the_problems(world, login):
    setup = make_campaign(world.project_a)
    survey_import = check(world, setup, workbook(("编号", "客户服务", "保洁卫生", "绿化养护"), (99, 1, 1, 1)))
    page = login(world.agent_a).get(
        reverse("surveys:import_detail", args=[setup.campaign.reference, survey_import.pk])
    )
    html = page.content.decode()
    assert html.count('data-testid="import-problem"') == 1
    assert 'data-testid="import-commit"' not in html
    assert "0099" in html


def test_uploading_something_that_is_not_a_workbook_is_a_form_error(world, login):
    setup = make_campaign(world.project_a)
    upload = SimpleUploadedFile("answers.xlsx", b"just text", content_type=XLSX)
    response = login(world.agent_a).post(
        reverse("surveys:import", args=[setup.campaign.reference]), {"file": upload}
    )
    assert response.status_code == 400
    assert "file" in response.context["form"].errors
    assert SurveyImport.objects.count() == 0


def test_the_template_download(world, login):
    setup = make_campaign(world.project_a)
    response = login(world.agent_a).get(reverse("surveys:import_template", args=[setup.campaign.reference]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert book.worksheets[0]["B2"].value == 1


def test_an_import_of_another_campaign_is_404(world, login):
    setup = make_campaign(world.project_a)
    other = make_campaign(world.project_a, reference="SV-QD-A-202611-02")
    survey_import = check(world, other, workbook(("编号", "客户服务", "保洁卫生", "绿化养护"), (1, 1, 1, 1)))
    client = login(world.agent_a)
    assert (
        client.get(
            reverse("surveys:import_detail", args=[setup.campaign.reference, survey_import.pk])
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("surveys:import_commit", args=[setup.campaign.reference, survey_import.pk])
        ).status_code
        == 404
    )
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 0


@pytest.mark.parametrize("persona", ["outsider", "nobody", "owner_a"])
def test_outsiders_cannot_see_or_commit_an_import(world, login, persona):
    setup = make_campaign(world.project_a)
    survey_import = check(world, setup, workbook(("编号", "客户服务", "保洁卫生", "绿化养护"), (1, 1, 1, 1)))
    client = login(getattr(world, persona))
    reference = setup.campaign.reference
    assert client.get(reverse("surveys:import_detail", args=[reference, survey_import.pk])).status_code == 404
    assert (
        client.post(reverse("surveys:import_commit", args=[reference, survey_import.pk])).status_code == 404
    )
    assert client.get(reverse("surveys:import_template", args=[reference])).status_code == 404
    upload = SimpleUploadedFile("a.xlsx", workbook(("编号",), (1,)), content_type=XLSX)
    assert client.post(reverse("surveys:import", args=[reference]), {"file": upload}).status_code == 404
    assert SurveyImport.objects.count() == 1
    assert SurveyForm.objects.filter(returned_at__isnull=False).count() == 0
