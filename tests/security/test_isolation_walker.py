"""Every URL pattern, as everyone who must see nothing of project A (issue 16, item 10; ADR 0004).

The walk starts at `django.urls.get_resolver()` and follows every include, so a new route is covered the day
it is added. Each path parameter is filled with the real id, code, reference or token of an object of
project A (the `qd_a` fixture): a route with a parameter nobody knows how to fill fails the walk, so nobody
adds an uncovered route. The admin's routes are filled from the model in their path. A route that reads a
query parameter before it looks at anything (the survey forms' PDF and its `?area=`) is given it (`QUERIES`).

Three personas ask every route: the outsider (CS supervisor of another branch), the owner of another unit of
A, and an anonymous visitor. Pages are asked with GET and POST, API routes with GET, POST, PUT, PATCH and
DELETE (empty bodies). Each answer must refuse (401, 403, 404, 405, or a redirect to a sign-in page), unless
the route is public by design for that persona (`PUBLIC`, each with its reason); and no answer, whatever
its status, may contain project A's data (`Dataset.markers`) that the request did not already carry.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from tests.security import walker_analytics, walker_reporting, walker_surveys
from tests.security.conftest import Dataset

OUTSIDER, NEIGHBOUR, ANONYMOUS = "outsider", "owner of another unit", "anonymous"
PERSONAS = (OUTSIDER, NEIGHBOUR, ANONYMOUS)
PAGE_METHODS = ("get", "post")
API_METHODS = ("get", "post", "put", "patch", "delete")
REFUSED = frozenset({401, 403, 404, 405})
SIGNED_IN = frozenset({OUTSIDER, NEIGHBOUR})
EVERYONE = frozenset(PERSONAS)


# --- the routes -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the whole pattern when the route has no name
    pattern: str  # the whole pattern, e.g. "feedback/<str:reference>/"
    levels: tuple[Any, ...]  # the pattern objects from the root down
    callback: Callable[..., Any]
    parameters: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")


def _parameters(pattern: Any) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return list(pattern.regex.groupindex)
    raise TypeError(f"unknown kind of URL pattern: {pattern!r}")


def _walk(resolver: URLResolver, levels: tuple[Any, ...], namespace: str) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        here = (*levels, entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace or "") if n)
            yield from _walk(entry, here, inner)
        elif isinstance(entry, URLPattern):
            pattern = "".join(str(level) for level in here)
            key = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or pattern
            parameters = tuple(name for level in here for name in _parameters(level))
            yield Route(key, pattern, here, entry.callback, parameters)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver(), (), ""))


ROUTE_PARAMETER = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^()]*\)")
REGEX_ESCAPE = re.compile(r"\\(?P<char>[^\w\s])")


def route_path(route: Route, values: dict[str, str]) -> str:
    parts = []
    for level in route.levels:
        text = str(level)
        if isinstance(level, RoutePattern):
            text = ROUTE_PARAMETER.sub(lambda m: values[m["name"]], text)
        else:
            text = REGEX_GROUP.sub(lambda m: values[m["name"]], text).removeprefix("^").removesuffix("$")
            text = REGEX_ESCAPE.sub(r"\g<char>", text)  # forms\.pdf → forms.pdf
        parts.append(text)
    return "/" + "".join(parts)


# --- filling path parameters with project A's objects -------------------------------------------------------

Filler = Callable[[Dataset], Any]
PROJECT_CODE: Filler = lambda d: d.item.project.code  # noqa: E731
REFERENCE: Filler = lambda d: d.item.reference  # noqa: E731
RESIDENT: Filler = lambda d: d.resident.pk  # noqa: E731
BATCH: Filler = lambda d: d.import_batch.pk  # noqa: E731
QUARANTINED: Filler = lambda d: d.quarantined.pk  # noqa: E731


def contact_email_token(data: Dataset) -> str:
    """The link mailed to the contact email typed in for A's item (feedback.intake.confirmation)."""
    from estatedesk.feedback.intake.confirmation import CONFIRM_SALT

    return signing.dumps({"item": data.item.pk, "email": data.item.contact_email.lower()}, salt=CONFIRM_SALT)


def account_request_of_a(data: Dataset) -> int:
    """An owner's request for a portal account at project A, naming owner_a's unit and phone (issue 11)."""
    from estatedesk.owners.models import AccountRequest

    account_request, _created = AccountRequest.objects.get_or_create(
        project=data.item.project, unit_label="1-1-101", phone="13800001234"
    )
    return account_request.pk


def client_visit_of_a(data: Dataset) -> int:
    """A recorded client visit of project A (R-CS-1), with a feedback item raised from it."""
    from datetime import date

    from estatedesk.visits.models import ClientVisit

    staff = data.item.registered_by
    assert staff is not None
    visit, _created = ClientVisit.objects.get_or_create(
        project=data.item.project,
        client_name="QD-A client marker",
        defaults={
            "kind": "regular",
            "client_kind": "developer",
            "status": "done",
            "planned_on": date(2026, 1, 5),
            "visited_on": date(2026, 1, 5),
            "raised": "QD-A client raised marker",
            "follow_up": "QD-A follow-up marker",
            "follow_up_due_on": date(2026, 1, 20),
            "visitor": staff,
            "created_by": staff,
        },
    )
    visit.items.add(data.item)
    return visit.pk


CLIENT_VISIT: Filler = client_visit_of_a


def _staff_of_a(data: Dataset, role: str) -> Any:
    """A colleague of project A holding `role` there (the world's pm_a for the project manager)."""
    from estatedesk.org.models import Membership

    membership = (
        Membership.objects.filter(project=data.item.project, role=role, is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    assert membership is not None, f"project A has no {role}"
    return membership.user


def _mark(data: Dataset, *markers: str) -> None:
    """Texts of a filler's object that must not reach anybody outside A either."""
    data.markers.extend(m for m in markers if m not in data.markers)


def return_visit_of_a(data: Dataset) -> int:
    """A return visit about A's item (R-RV), arranged through the service by A's project manager: it names
    owner_a and their phone, as every visit of A does."""
    from estatedesk.org.choices import Role
    from estatedesk.visits.choices import Purpose
    from estatedesk.visits.models import ReturnVisit
    from estatedesk.visits.services import return_visit_arrange

    visit = ReturnVisit.objects.filter(item=data.item, purpose=Purpose.AD_HOC).order_by("id").first()
    if visit is None:
        visit = return_visit_arrange(
            actor=_staff_of_a(data, Role.PROJECT_MANAGER),
            purpose=Purpose.AD_HOC,
            project=data.item.project,
            item=data.item,
        )
    return visit.pk


def nonconformity_of_a(data: Dataset) -> Any:
    """A nonconformity raised from A's item through the quality services, analysed, with one action of
    agent_a's (so that an action id exists)."""
    from datetime import timedelta

    from django.utils import timezone

    from estatedesk.org.choices import Role
    from estatedesk.quality import services
    from estatedesk.quality.choices import ActionKind, CauseCategory, Origin, Severity
    from estatedesk.quality.models import Nonconformity

    _mark(data, "QD-A nonconformity marker", "QD-A cause marker", "QD-A action marker")
    existing = Nonconformity.objects.filter(item=data.item).order_by("id").first()
    if existing is not None:
        return existing
    manager = _staff_of_a(data, Role.PROJECT_MANAGER)
    nonconformity = services.nonconformity_create(
        actor=manager,
        data=services.NonconformityInput(
            project=data.item.project,
            origin=Origin.ITEM,
            title="QD-A nonconformity marker",
            description="The stairwell leak came back: QD-A nonconformity marker.",
            item=data.item,
        ),
    )
    nonconformity = services.nonconformity_analyse(
        actor=manager,
        nonconformity=nonconformity,
        cause_category=CauseCategory.PROCESS,
        severity=Severity.MAJOR,
        cause="QD-A cause marker",
    )
    services.nonconformity_action_add(
        actor=manager,
        nonconformity=nonconformity,
        kind=ActionKind.CORRECTIVE,
        description="QD-A action marker",
        owner=data.item.registered_by,
        due_on=timezone.localdate() + timedelta(days=7),
    )
    return nonconformity


RETURN_VISIT: Filler = return_visit_of_a


def reference_with_visits_and_nonconformities(data: Dataset) -> str:
    """A's item's reference, once its return visit and its nonconformity exist (the fragments of the item's
    staff page list them, whichever route the walk asks first)."""
    return_visit_of_a(data)
    nonconformity_of_a(data)
    return data.item.reference


ITEM_WITH_FOLLOW_UPS: Filler = reference_with_visits_and_nonconformities
NONCONFORMITY: Filler = lambda d: nonconformity_of_a(d).reference  # noqa: E731
ACTION: Filler = lambda d: nonconformity_of_a(d).actions.order_by("id").first().pk  # noqa: E731


# project A's survey, made by the `qd_a` dataset through the surveys services (walker_surveys.py)
CAMPAIGN: Filler = lambda d: d.surveys.campaign.reference  # noqa: E731
CAMPAIGN_AREA: Filler = lambda d: d.surveys.area.pk  # noqa: E731  the waived area 1号楼
RETURNED_SERIAL: Filler = lambda d: d.surveys.returned.serial  # noqa: E731  keyed twice, one item differs
SURVEY_IMPORT: Filler = lambda d: d.surveys.survey_import.pk  # noqa: E731  checked, not imported
OWNER_A_UNIT: Filler = lambda d: d.item.unit_id  # noqa: E731  owner_a's 1-1-101, in 1号楼


# A's reporting to HQ, made by the `qd_a` dataset through the reporting services (walker_reporting.py). The
# report routes are filled with branch A's financial report (submitted with its file, awaiting review: every
# review and drafting route would act on it), the page of a report, its follow-ups and its class with
# project A's class-1 emergency (its class overridden with a reason, a follow-up given).
PERIODIC: Filler = lambda d: d.reporting.periodic.reference  # noqa: E731
PERIODIC_FILE: Filler = lambda d: d.reporting.attachment.pk  # noqa: E731
EVENT: Filler = lambda d: d.reporting.event.reference  # noqa: E731
INFORMATION_TYPE: Filler = lambda d: d.reporting.information_type.code  # noqa: E731  company-wide catalogue
PROPOSAL: Filler = lambda d: d.reporting.proposal.pk  # noqa: E731  branch A's, not decided
NOTICE_DEPARTMENT: Filler = lambda d: d.reporting.department.pk  # noqa: E731  an HQ department
NOTICE: Filler = lambda d: d.reporting.notice.pk  # noqa: E731  its draft page about A
DOCUMENT: Filler = lambda d: d.reporting.document.pk  # noqa: E731  from project A, forwarded to pm_a, unread
ACTIVITY: Filler = lambda d: d.reporting.activity.pk  # noqa: E731  planned at project A
ACTIVITY_PHOTO: Filler = lambda d: d.reporting.photo.pk  # noqa: E731
ISSUE: Filler = lambda d: d.reporting.issue.number  # noqa: E731  a draft: only HQ's editors see it
ARTICLE: Filler = lambda d: d.reporting.article.pk  # noqa: E731  from branch A's accepted report

# route key → {parameter: how to fill it}. A route missing here fails the walk (`test_sec_…_every_route`).
FILLERS: dict[str, dict[str, Filler]] = {
    "nav_badge": {"key": lambda d: "home"},
    "org:project_detail": {"code": PROJECT_CODE},
    "org:calendar_edit": {"pk": lambda d: d.calendar.pk},
    "org:holiday_remove": {"pk": lambda d: d.holiday.pk},
    "owners:portal_email_confirm": {"token": lambda d: d.confirm_token},
    "owners:portal_email_report": {"token": lambda d: d.report_token},
    "owners:import_upload": {"code": PROJECT_CODE},
    "owners:import_detail": {"pk": BATCH},
    "owners:import_progress": {"pk": BATCH},
    "owners:import_problems": {"pk": BATCH},
    "owners:import_commit": {"pk": BATCH},
    "owners:change_request_review": {"pk": lambda d: d.change_request.pk},
    "owners:resident_detail": {"pk": RESIDENT},
    "owners:resident_edit": {"pk": RESIDENT},
    "owners:resident_id_reveal": {"pk": RESIDENT},
    "owners:invitation_create": {"pk": RESIDENT},
    "owners:account_request_review": {"pk": lambda d: account_request_of_a(d)},
    "owners:project_archive": {"code": PROJECT_CODE},
    "owners:project_export": {"code": PROJECT_CODE},
    "feedback:item_detail": {"reference": REFERENCE},
    "feedback:item_step": {"reference": REFERENCE},
    "feedback:item_reclassify": {"reference": REFERENCE},
    "feedback:item_comment": {"reference": REFERENCE},
    "feedback:item_staff_talk": {"reference": REFERENCE},
    "feedback:item_execution_record": {"reference": REFERENCE},
    "feedback:execution_record_pdf": {"reference": REFERENCE},
    "feedback:item_report_to_hq": {"reference": REFERENCE},
    "feedback:item_photos": {"reference": REFERENCE},
    "feedback:resident_history": {"pk": RESIDENT},
    "feedback:attachment_download": {"reference": REFERENCE, "pk": lambda d: d.attachment.pk},
    "feedback:attachment_thumbnail": {"reference": REFERENCE, "pk": lambda d: d.attachment.pk},
    "feedback:item_appointment": {"reference": REFERENCE},
    "feedback:item_hand_over": {"reference": REFERENCE},
    "feedback:mail_quarantine_detail": {"pk": QUARANTINED},
    "feedback:mail_quarantine_raw": {"pk": QUARANTINED},
    "feedback:mail_quarantine_release": {"pk": QUARANTINED},
    "feedback:mail_quarantine_discard": {"pk": QUARANTINED},
    "feedback:contact_email_confirm": {"token": lambda d: contact_email_token(d)},
    "notifications:open": {"pk": lambda d: d.notification.pk},
    "notifications:outbox_resend": {"pk": lambda d: d.outbound_email.pk},
    "feedback_portal:rate": {"reference": REFERENCE},
    "feedback_portal:item": {"reference": REFERENCE},
    "feedback_portal:qr_sheet": {"project": PROJECT_CODE},
    "feedback_portal:qr_form": {"project": PROJECT_CODE, "building": lambda d: d.building.code},
    "api-project-detail": {"code": PROJECT_CODE},
    "api-building-list": {"code": PROJECT_CODE},
    "api-resident-detail": {"pk": RESIDENT},
    "api-resident-list": {"code": PROJECT_CODE},
    "api-completeness": {"code": PROJECT_CODE},
    "api-feedback-item-detail": {"reference": REFERENCE},
    "api-feedback-item-step": {"reference": REFERENCE},
    "api-feedback-item-reclassify": {"reference": REFERENCE},
    "api-feedback-item-comment": {"reference": REFERENCE},
    "api-feedback-item-information": {"reference": REFERENCE},
    "api-feedback-staff-talk": {"reference": REFERENCE},
    "api-feedback-execution-record": {"reference": REFERENCE},
    "api-feedback-item-rate": {"reference": REFERENCE},
    "api-feedback-item-chase": {"reference": REFERENCE},
    "api-feedback-item-withdraw": {"reference": REFERENCE},
    "api-feedback-hq-report": {"reference": REFERENCE},
    "api-feedback-item-appointment": {"reference": REFERENCE},
    "api-feedback-item-hand-over": {"reference": REFERENCE},
    "visits:client_visit_detail": {"pk": CLIENT_VISIT},
    "visits:client_visit_record": {"pk": CLIENT_VISIT},
    "visits:client_visit_follow_up_done": {"pk": CLIENT_VISIT},
    "visits:client_visit_cancel": {"pk": CLIENT_VISIT},
    "visits:client_visit_raise_item": {"pk": CLIENT_VISIT},
    "api-visits-client-detail": {"pk": CLIENT_VISIT},
    "api-visits-client-record": {"pk": CLIENT_VISIT},
    "api-visits-client-follow-up-done": {"pk": CLIENT_VISIT},
    "api-visits-client-cancel": {"pk": CLIENT_VISIT},
    "api-visits-client-raise-item": {"pk": CLIENT_VISIT},
    "visits:visit_detail": {"pk": RETURN_VISIT},
    "visits:visit_attempt": {"pk": RETURN_VISIT},
    "visits:visit_grade": {"pk": RETURN_VISIT},
    "visits:visit_assign": {"pk": RETURN_VISIT},
    "visits:visit_cancel": {"pk": RETURN_VISIT},
    "visits:visit_pdf": {"pk": RETURN_VISIT},
    "visits:portal_visit": {"pk": RETURN_VISIT},
    "visits:portal_item_visits": {"reference": ITEM_WITH_FOLLOW_UPS},
    "visits:item_visits": {"reference": ITEM_WITH_FOLLOW_UPS},
    "quality:item_nonconformities": {"reference": ITEM_WITH_FOLLOW_UPS},
    "api-visits-detail": {"pk": RETURN_VISIT},
    "api-visits-attempt-create": {"pk": RETURN_VISIT},
    "api-visits-grade": {"pk": RETURN_VISIT},
    "api-visits-assign": {"pk": RETURN_VISIT},
    "api-visits-cancel": {"pk": RETURN_VISIT},
    "quality:detail": {"reference": NONCONFORMITY},
    "quality:take_up": {"reference": NONCONFORMITY},
    "quality:analyse": {"reference": NONCONFORMITY},
    "quality:action_add": {"reference": NONCONFORMITY},
    "quality:action_done": {"reference": NONCONFORMITY, "pk": ACTION},
    "quality:start": {"reference": NONCONFORMITY},
    "quality:to_verification": {"reference": NONCONFORMITY},
    "quality:verify": {"reference": NONCONFORMITY},
    "quality:verification_visit": {"reference": NONCONFORMITY},
    "quality:cancel": {"reference": NONCONFORMITY},
    "quality:reopen": {"reference": NONCONFORMITY},
    "quality:pdf": {"reference": NONCONFORMITY},
    "quality:evidence": {"reference": NONCONFORMITY},
    "api-quality-detail": {"reference": NONCONFORMITY},
    "api-quality-take-up": {"reference": NONCONFORMITY},
    "api-quality-analyse": {"reference": NONCONFORMITY},
    "api-quality-action-add": {"reference": NONCONFORMITY},
    "api-quality-action-done": {"reference": NONCONFORMITY, "pk": ACTION},
    "api-quality-start": {"reference": NONCONFORMITY},
    "api-quality-to-verification": {"reference": NONCONFORMITY},
    "api-quality-verify": {"reference": NONCONFORMITY},
    "api-quality-verification-visit": {"reference": NONCONFORMITY},
    "api-quality-cancel": {"reference": NONCONFORMITY},
    "api-quality-reopen": {"reference": NONCONFORMITY},
    "surveys:schedule_active": {"pk": lambda d: d.surveys.schedule.pk},
    "surveys:catalogue_item": {"pk": lambda d: d.surveys.item.pk},
    "surveys:questionnaire_edit": {"pk": lambda d: d.surveys.questionnaire.pk},
    "surveys:catalogue_route": {"pk": lambda d: d.surveys.route.pk},
    "surveys:campaign_detail": {"reference": CAMPAIGN},
    "surveys:campaign_returns": {"reference": CAMPAIGN},
    "surveys:forms_pdf": {"reference": CAMPAIGN},
    "surveys:campaign_open": {"reference": CAMPAIGN},
    "surveys:forms_make": {"reference": CAMPAIGN},
    "surveys:forms_hand_out": {"reference": CAMPAIGN},
    "surveys:area_waive": {"reference": CAMPAIGN},
    "surveys:waiver_withdraw": {"reference": CAMPAIGN, "area_id": CAMPAIGN_AREA},
    "surveys:campaign_close": {"reference": CAMPAIGN},
    "surveys:campaign_cancel": {"reference": CAMPAIGN},
    "surveys:entry": {"reference": CAMPAIGN},
    "surveys:entry_save": {"reference": CAMPAIGN},
    "surveys:second_entry": {"reference": CAMPAIGN},
    "surveys:mismatches": {"reference": CAMPAIGN},
    "surveys:mismatch_resolve": {"reference": CAMPAIGN, "serial": RETURNED_SERIAL},
    "surveys:import": {"reference": CAMPAIGN},
    "surveys:import_template": {"reference": CAMPAIGN},
    "surveys:import_detail": {"reference": CAMPAIGN, "pk": SURVEY_IMPORT},
    "surveys:import_commit": {"reference": CAMPAIGN, "pk": SURVEY_IMPORT},
    "surveys:analysis": {"reference": CAMPAIGN},
    "surveys:analysis_xlsx": {"reference": CAMPAIGN},
    "surveys:finding_item": {"reference": CAMPAIGN},
    "surveys:report": {"reference": CAMPAIGN},
    "surveys:report_draft": {"reference": CAMPAIGN},
    "surveys:report_submit": {"reference": CAMPAIGN},
    "surveys:report_review": {"reference": CAMPAIGN},
    "surveys:report_distribute": {"reference": CAMPAIGN},
    "surveys:report_pdf": {"reference": CAMPAIGN},
    "surveys:mine_answer": {"reference": CAMPAIGN, "unit": OWNER_A_UNIT},
    "surveys_public:answer": {"token": lambda d: d.surveys.out.token},
    "api-surveys-campaign-detail": {"reference": CAMPAIGN},
    "api-surveys-campaign-open": {"reference": CAMPAIGN},
    "api-surveys-campaign-close": {"reference": CAMPAIGN},
    "api-surveys-campaign-cancel": {"reference": CAMPAIGN},
    "api-surveys-area-forms": {"reference": CAMPAIGN, "pk": CAMPAIGN_AREA},
    "api-surveys-area-hand-out": {"reference": CAMPAIGN, "pk": CAMPAIGN_AREA},
    "api-surveys-area-waive": {"reference": CAMPAIGN, "pk": CAMPAIGN_AREA},
    "api-surveys-forms": {"reference": CAMPAIGN},
    "api-surveys-form-second-entry": {"reference": CAMPAIGN, "serial": RETURNED_SERIAL},
    "api-surveys-form-resolve": {"reference": CAMPAIGN, "serial": RETURNED_SERIAL},
    "api-surveys-imports": {"reference": CAMPAIGN},
    "api-surveys-import": {"reference": CAMPAIGN, "pk": SURVEY_IMPORT},
    "api-surveys-import-commit": {"reference": CAMPAIGN, "pk": SURVEY_IMPORT},
    "api-surveys-import-template": {"reference": CAMPAIGN},
    "api-surveys-figures": {"reference": CAMPAIGN},
    "api-surveys-report": {"reference": CAMPAIGN},
    "api-surveys-report-submit": {"reference": CAMPAIGN},
    "api-surveys-report-review": {"reference": CAMPAIGN},
    "api-surveys-report-distribute": {"reference": CAMPAIGN},
    "reporting:submission_detail": {"reference": EVENT},
    "reporting:submission_save": {"reference": PERIODIC},
    "reporting:submission_submit": {"reference": PERIODIC},
    "reporting:submission_return": {"reference": PERIODIC},
    "reporting:submission_accept": {"reference": PERIODIC},
    "reporting:submission_follow_up": {"reference": EVENT},
    "reporting:submission_class": {"reference": EVENT},
    "reporting:submission_attachment_add": {"reference": PERIODIC},
    "reporting:submission_attachment": {"reference": PERIODIC, "pk": PERIODIC_FILE},
    "reporting:submission_attachment_remove": {"reference": PERIODIC, "pk": PERIODIC_FILE},
    "reporting:catalogue_type": {"code": INFORMATION_TYPE},
    "reporting:catalogue_type_edit": {"code": INFORMATION_TYPE},
    "reporting:catalogue_template": {"code": INFORMATION_TYPE},
    "reporting:proposal_decide": {"pk": PROPOSAL},
    "reporting:newsletter_issue": {"number": ISSUE},
    "reporting:newsletter_pdf": {"number": ISSUE},
    "reporting:newsletter_edit": {"number": ISSUE},
    "reporting:newsletter_add_report": {"number": ISSUE},
    "reporting:newsletter_add_item": {"number": ISSUE},
    "reporting:newsletter_article": {"number": ISSUE, "pk": ARTICLE},
    "reporting:newsletter_article_move": {"number": ISSUE, "pk": ARTICLE},
    "reporting:newsletter_article_remove": {"number": ISSUE, "pk": ARTICLE},
    "reporting:newsletter_publish": {"number": ISSUE},
    "reporting:notice_department": {"pk": NOTICE_DEPARTMENT},
    "reporting:notice_new": {"pk": NOTICE_DEPARTMENT},
    "reporting:notice_page": {"pk": NOTICE},
    "reporting:notice_edit": {"pk": NOTICE},
    "reporting:document_detail": {"pk": DOCUMENT},
    "reporting:document_forward": {"pk": DOCUMENT},
    "reporting:document_file": {"pk": DOCUMENT},
    "reporting:activity_detail": {"pk": ACTIVITY},
    "reporting:activity_record": {"pk": ACTIVITY},
    "reporting:activity_cancel": {"pk": ACTIVITY},
    "reporting:activity_photos": {"pk": ACTIVITY},
    "reporting:activity_photo": {"pk": ACTIVITY, "photo": ACTIVITY_PHOTO},
    "reporting:activity_photo_thumbnail": {"pk": ACTIVITY, "photo": ACTIVITY_PHOTO},
    "reporting:activity_photo_remove": {"pk": ACTIVITY, "photo": ACTIVITY_PHOTO},
    "api-reporting-submission": {"reference": PERIODIC},
    "api-reporting-submit": {"reference": PERIODIC},
    "api-reporting-return": {"reference": PERIODIC},
    "api-reporting-accept": {"reference": PERIODIC},
    "api-reporting-follow-up": {"reference": EVENT},
    "api-reporting-attachment": {"reference": PERIODIC},
    "api-reporting-class": {"reference": EVENT},
    "api-reporting-from-item": {"reference": REFERENCE},
    "api-reporting-type": {"code": INFORMATION_TYPE},
    "api-reporting-proposal-decide": {"pk": PROPOSAL},
    "api-reporting-newsletter-detail": {"number": ISSUE},
    "api-reporting-document": {"pk": DOCUMENT},
    "api-reporting-activity": {"pk": ACTIVITY},
    "api-reporting-activity-record": {"pk": ACTIVITY},
    "api-reporting-activity-cancel": {"pk": ACTIVITY},
    "api/^(?P<path>.*)$": {"path": lambda d: f"feedback/items/{d.item.reference}/unknown/"},
}

# route key → its query string, for a route that looks at nothing of A without one (added to the walk's path)
QUERIES: dict[str, Filler] = {
    "surveys:forms_pdf": lambda d: f"area={d.surveys.area.pk}",  # the forms of A's area 1号楼
}
FILLERS.update(walker_analytics.FILLERS)  # dashboards, packs and alerts (issue 15)
QUERIES.update(walker_analytics.QUERIES)  # their scope and period, project A's

ADMIN_MODEL_PATH = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/")


def _admin_values(route: Route, data: Dataset) -> dict[str, Any]:
    """The admin's routes, filled from the model their path names: project A's object of that model, or
    any row of it (infrastructure models), or 1 (a model with no row: the admin refuses before it looks)."""
    values: dict[str, Any] = {"app_label": "owners", "url": f"{data.item.reference}/"}
    match = ADMIN_MODEL_PATH.match(route.pattern)
    if match:
        label = f"{match['app']}.{match['model']}"
        obj = data.by_model().get(label)
        if obj is None:
            obj = apps.get_model(match["app"], match["model"]).objects.order_by("pk").first()
        values["object_id"] = values["id"] = obj.pk if obj is not None else 1
    values.setdefault("id", data.resident.user_id)
    values["content_type_id"] = ContentType.objects.get_for_model(type(data.item)).pk
    values.setdefault("object_id", data.item.pk)
    return values


def fill(route: Route, data: Dataset) -> dict[str, str] | None:
    """The route's parameters filled with project A's objects; None when a parameter has no filler."""
    if not route.parameters:
        return {}
    known = _admin_values(route, data) if route.is_admin else {}
    for name, filler in FILLERS.get(route.key, {}).items():
        known[name] = filler(data)
    if any(name not in known for name in route.parameters):
        return None
    return {name: str(known[name]) for name in route.parameters}


# --- what may answer other than "no" ------------------------------------------------------------------------


@dataclass(frozen=True)
class Public:
    """A route that answers these personas by design (their own page, or a page for everyone): the body
    check still applies."""

    reason: str
    personas: frozenset[str] = EVERYONE
    statuses: frozenset[int] = frozenset({200})
    redirects_to: str | None = None  # a redirect must go there (a URL name), when given
    may_show: Callable[[Dataset], set[str]] = lambda data: set()  # markers the persona was told already
    told: frozenset[str] = EVERYONE  # the personas who were told them (the others may not see them)


OWN = "the signed-in user's own page or list, scoped to them: shows nothing of A (the body check proves it)"
PUBLIC: dict[str, Public] = {
    "healthz": Public("health check for load balancers; says only 'ok'"),
    "favicon": Public("the site's icon, which browsers ask for by themselves", statuses=frozenset({302})),
    "nav_badge": Public(OWN + ": the number of the user's own waiting work beside a menu item", SIGNED_IN),
    "health": Public(
        "the background processes' heartbeats: ok or stale per process, no data, no host names (503 while "
        "a process is stale, as in tests where none runs)",
        statuses=frozenset({200, 503}),
    ),
    "home": Public(
        OWN + "; an owner is sent on to their portal",
        SIGNED_IN,
        frozenset({200, 302, 403}),
        redirects_to="owners:portal",
    ),
    "accounts:login": Public("the sign-in page", statuses=frozenset({200, 302})),
    "accounts:logout": Public("signing out sends everyone to the sign-in page", statuses=frozenset({302})),
    "accounts:password_change": Public(OWN + " (an empty form is refused)", SIGNED_IN, frozenset({200})),
    "accounts:password_change_done": Public(OWN, SIGNED_IN),
    "accounts:profile": Public(OWN, SIGNED_IN, frozenset({200, 302})),
    "accounts:language": Public(
        "anyone picks the language of the pages; answers with a redirect back", statuses=frozenset({302})
    ),
    "org:project_list": Public(OWN, frozenset({OUTSIDER})),
    "org:calendar_list": Public(OWN + " (the company's working calendars are shared)", frozenset({OUTSIDER})),
    "owners:portal": Public(
        OWN + ": the owner's own units and household (staff see that they have none)", SIGNED_IN
    ),
    "owners:portal_profile": Public(OWN + ": the owner's own contact details", frozenset({NEIGHBOUR})),
    "owners:portal_code_request": Public(
        "the owners' sign-in page (an empty form is refused; signed in, it sends you home)",
        statuses=frozenset({200, 302, 400}),
    ),
    "owners:portal_code_verify": Public(
        "the second step of the owners' sign-in: without a first step it sends you back to it (signed in: "
        "home)",
        statuses=frozenset({302}),
    ),
    "owners:portal_email_report": Public(
        "the link mailed to the old address: whoever holds it may report the change (the signed token is "
        "the secret, not an id anyone can guess); it shows only the new address, which its email named; "
        "once reported it answers 409",
        statuses=frozenset({200, 409}),
        may_show=lambda data: {data.email_change.new_email},
    ),
    "owners:archive_home": Public(OWN, frozenset({OUTSIDER})),
    "owners:account_request_list": Public(
        OWN + " (the requests of the user's own projects)", frozenset({OUTSIDER})
    ),
    "owners:portal_activate": Public(
        "the page an owner's invitation names: a form for anyone, naming nobody (an empty form is refused; "
        "signed in, it sends you home)",
        statuses=frozenset({200, 302, 400}),
    ),
    "owners:portal_account_request": Public(
        "owners ask for an account here: a form for anyone listing the active projects' names (an empty form "
        "is refused; signed in, it sends you home)",
        statuses=frozenset({200, 302, 400}),
        may_show=lambda data: {data.item.project.name},
    ),
    "owners:portal_password_forgot": Public(
        "the first step of an owner's password reset: a form for anyone (an empty form is refused; signed "
        "in, it sends you home)",
        statuses=frozenset({200, 302, 400}),
    ),
    "owners:lookup": Public(OWN, frozenset({OUTSIDER})),
    "owners:change_request_list": Public(OWN, frozenset({OUTSIDER})),
    "owners:import_template": Public(
        "the empty import template (column headings only)", frozenset({OUTSIDER})
    ),
    "feedback:item_list": Public(OWN, frozenset({OUTSIDER})),
    "visits:client_visit_list": Public(
        OWN + " (the client visits of the user's own projects)", frozenset({OUTSIDER})
    ),
    "visits:client_visit_plan": Public(
        OWN + " (a form for the user's own projects; an empty form is refused)",
        frozenset({OUTSIDER}),
        frozenset({200, 400}),
    ),
    "visits:visit_list": Public(
        OWN + " (the return visits of the user's own projects); a visitor opening the bare list is sent to "
        "their own due visits",
        frozenset({OUTSIDER}),
        frozenset({200, 302}),
        redirects_to="visits:visit_list",
    ),
    "visits:figures": Public(OWN + " (the visit figures of the user's own projects)", frozenset({OUTSIDER})),
    "visits:monthly_make": Public(
        "a planner makes the monthly list of one of their own projects; an empty form is refused and sends "
        "them back to their list",
        frozenset({OUTSIDER}),
        frozenset({302}),
        redirects_to="visits:visit_list",
    ),
    "quality:list": Public(OWN + " (the nonconformities of the user's own projects)", frozenset({OUTSIDER})),
    "quality:create": Public(
        OWN + " (raising a nonconformity at the user's own projects; an empty form is refused)",
        frozenset({OUTSIDER}),
        frozenset({200, 400}),
    ),
    "quality:figures": Public(
        OWN + " (the nonconformity figures of the user's own projects)", frozenset({OUTSIDER})
    ),
    "feedback:item_register": Public(
        OWN + " (an empty form is refused)", frozenset({OUTSIDER}), frozenset({200, 400})
    ),
    "feedback:hotline": Public(
        OWN + " (an empty form is refused)", frozenset({OUTSIDER}), frozenset({200, 400})
    ),
    "feedback:hotline_duplicates": Public(
        OWN + " (the hotline's duplicate warning: open items of a unit the user sees, else nothing)",
        frozenset({OUTSIDER}),
    ),
    "feedback:statistics": Public(OWN, frozenset({OUTSIDER})),
    "feedback:mail_quarantine": Public(
        OWN + " (the quarantine of the user's own projects)", frozenset({OUTSIDER})
    ),
    "feedback:contact_email_confirm": Public(
        "the link mailed to a contact email typed in with a request: whoever holds it confirms that address "
        "(the signed token is the secret, not an id anyone can guess); it names the request's reference and "
        "project, as its email did",
        statuses=frozenset({200}),
        may_show=lambda data: {data.item.reference},
    ),
    "notifications:list": Public(OWN, SIGNED_IN),
    "notifications:open": Public(
        "opens only the user's own notification: anyone else's id sends them back to their own list, "
        "exactly as a missing id does (and marks nothing read)",
        SIGNED_IN,
        frozenset({302}),
        redirects_to="notifications:list",
    ),
    "notifications:read_all": Public(
        OWN + ": marks the user's own notifications read", SIGNED_IN, frozenset({302})
    ),
    "feedback_portal:new": Public(
        OWN + ": an owner reports about their own unit (an empty form is refused)",
        frozenset({NEIGHBOUR}),
        frozenset({200, 400}),
    ),
    "feedback_portal:mine": Public(OWN + ": the owner's own requests", frozenset({NEIGHBOUR})),
    "feedback_portal:qr_form": Public(
        "the form behind a building's QR code, for anyone (R-CH-2): it names the project and the place, "
        "nothing else; an empty report is refused",
        statuses=frozenset({200, 400}),
    ),
    "api-schema": Public("the OpenAPI schema describes the API and holds no data (served to staff)"),
    "api-docs": Public("the API's documentation page (Swagger UI): the schema, no data (served to staff)"),
    "api-me": Public(OWN + ": who am I", SIGNED_IN),
    "api-branch-list": Public(OWN, SIGNED_IN),
    "api-project-list": Public(OWN, SIGNED_IN),
    "api-project-detail": Public(
        "an owner of A reads A's public details (name, hotlines, complaint mailbox) to reach the service "
        "centre (ADR 0004)",
        frozenset({NEIGHBOUR}),
    ),
    "api-building-list": Public(
        "an owner of A reads A's buildings and common areas, to say where a problem is (the QR codes name "
        "them publicly too)",
        frozenset({NEIGHBOUR}),
    ),
    "api-unit-list": Public(OWN, SIGNED_IN),
    "api-department-list": Public(OWN, SIGNED_IN),
    "api-calendar-list": Public(OWN, SIGNED_IN),
    "api-holiday-list": Public(OWN, SIGNED_IN),
    "api-resident-lookup": Public(OWN + " (the caller lookup in the user's scope)", frozenset({OUTSIDER})),
    "api-feedback-item-list": Public(OWN, SIGNED_IN),
    "api-visits-client-list": Public(OWN + " (the client visits of the user's own projects)", SIGNED_IN),
    "api-visits-client-plan": Public(
        "staff plan client visits at their own projects; an empty body is refused with 400",
        SIGNED_IN,
        frozenset({400}),
    ),
    "api-visits-list": Public(OWN + " (the return visits of the user's own projects)", frozenset({OUTSIDER})),
    "api-visits-arrange": Public(
        "planners arrange visits at their own projects; an empty body is refused with 400",
        frozenset({OUTSIDER}),
        frozenset({400}),
    ),
    "api-visits-monthly-make": Public(
        "planners make the monthly list of their own projects; an empty body is refused with 400",
        frozenset({OUTSIDER}),
        frozenset({400}),
    ),
    "api-visits-figures": Public(
        OWN + " (the visit figures of the user's own projects)", frozenset({OUTSIDER})
    ),
    "api-quality-list": Public(
        OWN + " (the nonconformities of the user's own projects; an owner's list is empty)", SIGNED_IN
    ),
    "api-quality-create": Public(
        "staff raise nonconformities at their own projects; an empty body is refused with 400 (before the "
        "right to raise is asked)",
        SIGNED_IN,
        frozenset({400}),
    ),
    "api-quality-figures": Public(
        OWN + " (the nonconformity figures of the user's own projects)", frozenset({OUTSIDER})
    ),
    "api-feedback-statistics": Public(OWN, SIGNED_IN),
    "api-feedback-queue-list": Public(OWN + " (the user's work queues and their counts)", SIGNED_IN),
    "api-feedback-item-create": Public(
        "staff and owners register items in their own scope; an empty body is refused with 400",
        SIGNED_IN,
        frozenset({400}),
    ),
    "surveys:campaign_list": Public(
        OWN + " (the survey campaigns of the user's own projects)", frozenset({OUTSIDER})
    ),
    "surveys:campaign_new": Public(
        OWN + " (a campaign of one of the user's own projects; an empty form is refused)",
        frozenset({OUTSIDER}),
        frozenset({200, 400}),
    ),
    "surveys:schedule_list": Public(
        OWN + " (the repeating surveys of the user's own projects)", frozenset({OUTSIDER})
    ),
    "surveys:schedule_new": Public(
        OWN + " (a repeating survey of one of the user's own projects; an empty form is refused)",
        frozenset({OUTSIDER}),
        frozenset({200, 400}),
    ),
    "surveys:catalogue": Public(
        "the survey catalogue (items, questionnaires, rules, report routes) is company-wide data, kept per "
        "company: the outsider works for the same company as A, so staff read it (only HQ edits it); it "
        "holds nothing of any project (the body check proves none of A's survey shows); another company "
        "sees none of it (test_sec_the_survey_catalogue_is_the_companys_own_another_company_sees_none_of_it)",
        frozenset({OUTSIDER}),
    ),
    "surveys:questionnaire_edit": Public(
        "a questionnaire of the company's catalogue, read-only for staff of the same company (company-wide "
        "data, not A's; saving it is refused to all but HQ); another company's is 404 "
        "(test_sec_the_survey_catalogue_is_the_companys_own_another_company_sees_none_of_it)",
        frozenset({OUTSIDER}),
    ),
    "surveys:report_inbox": Public(
        OWN + " (the survey reports the user reviews or was sent)", frozenset({OUTSIDER})
    ),
    "surveys:mine": Public(
        OWN + ": the running surveys of the areas where the owner lives (staff have none); owner_a's "
        "neighbour lives in A's 1号楼, which A's survey covers, so they are invited to answer it for their "
        "own unit and see its reference and title (nobody else may)",
        SIGNED_IN,
        may_show=lambda data: {data.surveys.campaign.reference, data.surveys.campaign.title},
        told=frozenset({NEIGHBOUR}),
    ),
    "surveys_public:answer": Public(
        "the page behind the QR code printed on one paper form (R-SV-6): the form's token is the secret "
        "(secrets.token_urlsafe, never an id anyone can guess), so whoever holds the form may answer it, "
        "signed in or not. The walk fills it with the real token of A's form still out, the strongest case: "
        "it shows only what the paper form prints (the survey's title, project, area and serial), no answer "
        "and no other form; an empty answer is refused (400) and returns nothing (the walk checks the form "
        "is still out). Without the token there is no way in: a wrong token is 404 "
        "(test_sec_a_survey_form_is_reached_only_with_its_own_token)",
        statuses=frozenset({200, 400}),
        may_show=lambda data: {data.surveys.campaign.title},
    ),
    "api-surveys-campaign-list": Public(
        OWN + " (the survey campaigns of the user's own projects); an empty body is refused with 400",
        frozenset({OUTSIDER}),
        frozenset({200, 400}),
    ),
    "api-surveys-report-inbox": Public(
        OWN + " (the survey reports the user reviews or was sent)", frozenset({OUTSIDER})
    ),
    "reporting:submission_list": Public(
        OWN + " (the reports to HQ of the user's own branch and projects: a project's staff see their "
        "projects' reports, not their branch's)",
        frozenset({OUTSIDER}),
    ),
    "reporting:instant_new": Public(
        OWN + ": the event types of the company's catalogue (company-wide data) to report at the user's own "
        "projects; an empty form is shown again with its errors",
        frozenset({OUTSIDER}),
    ),
    "reporting:instant_class": Public(
        "the class proposed from the facts in the query (none: class 2) by the company's rules, for the "
        "event form; reads no report",
        frozenset({OUTSIDER}),
    ),
    "reporting:catalogue": Public(
        "the catalogue of information types (what each branch or project reports to HQ, and when) is "
        "company-wide data: the outsider works for A's company, so staff read it (only HQ edits it); it "
        "holds nothing of any branch or project (the body check proves none of A's reports shows)",
        frozenset({OUTSIDER}),
    ),
    "reporting:catalogue_type": Public(
        "one type of the company's catalogue with its template versions and how many reports use each: "
        "company-wide data, read by the company's staff (the outsider works for A's company); no report of "
        "A is named (the body check proves it)",
        frozenset({OUTSIDER}),
    ),
    "reporting:proposal_list": Public(
        OWN + " (the rule proposals of the user's own branch, a project's staff their project's branch; HQ "
        "all): branch A's proposal does not show (the body check proves it)",
        frozenset({OUTSIDER}),
    ),
    "reporting:newsletter_list": Public(
        "the archive of the company newsletter (公司内刊): its published issues, for every staff member of "
        "the company (the outsider works for A's company); a draft issue only for HQ's editors (the body "
        "check proves the draft with A's accepted report does not show)",
        frozenset({OUTSIDER}),
    ),
    "reporting:noticeboard": Public(
        "HQ's noticeboard (物业管理部信息网页): HQ's departments and their published pages, for every staff "
        "member of the company (the outsider works for A's company); a draft only for its department's "
        "writers (the body check proves the draft about A does not show)",
        frozenset({OUTSIDER}),
    ),
    "reporting:notice_department": Public(
        "one HQ department of the noticeboard with its published pages, for every staff member of the "
        "company; its draft about A is for its writers only (the body check proves it does not show)",
        frozenset({OUTSIDER}),
    ),
    "reporting:document_list": Public(
        OWN + " (the documents forwarded to the user; every document only for HQ's document administrator)",
        frozenset({OUTSIDER}),
    ),
    "reporting:activity_list": Public(
        OWN + " (the community activities of the user's own projects)", frozenset({OUTSIDER})
    ),
    "reporting:activity_new": Public(
        OWN + " (an activity at one of the user's own projects; an empty form is refused)",
        frozenset({OUTSIDER}),
        frozenset({200, 400}),
    ),
    "api-reporting-submissions": Public(
        OWN + " (the reports to HQ of the user's own branch and projects)", frozenset({OUTSIDER})
    ),
    "api-reporting-instant": Public(
        "staff report events at their own projects; an empty body is refused with 400",
        frozenset({OUTSIDER}),
        frozenset({400}),
    ),
    "api-reporting-types": Public(
        "the company's catalogue of information types: company-wide data, read by its staff (the outsider "
        "works for A's company); nothing of any branch or project",
        frozenset({OUTSIDER}),
    ),
    "api-reporting-type": Public(
        "one type of the company's catalogue with its template versions: company-wide data, read by its "
        "staff (the outsider works for A's company)",
        frozenset({OUTSIDER}),
    ),
    "api-reporting-proposals": Public(
        OWN + " (the rule proposals of the user's own branch); an empty body is refused with 400",
        frozenset({OUTSIDER}),
        frozenset({200, 400}),
    ),
    "api-reporting-newsletter-list": Public(
        "the newsletter's published issues, for every staff member of the company (drafts only for HQ's "
        "editors: the body check proves A's does not show)",
        frozenset({OUTSIDER}),
    ),
    "api-reporting-documents": Public(OWN + " (the documents forwarded to the user)", frozenset({OUTSIDER})),
    "api-reporting-activities": Public(
        OWN + " (the activities of the user's own projects); an empty body is refused with 400, an owner's "
        "too: the body is checked before the right to plan is asked (an owner's GET is 403, and a valid body "
        "of theirs is refused at the project)",
        SIGNED_IN,
        frozenset({200, 400}),
    ),
    "admin:login": Public("the admin's sign-in page", statuses=frozenset({200, 302})),
    "admin:logout": Public("signing out of the admin", statuses=frozenset({200, 302})),
}

PUBLIC.update(walker_analytics.public_routes(Public, OWN, OUTSIDER, SIGNED_IN))  # issue 15

SIGN_IN_PAGES = ("accounts:login", "admin:login", "owners:portal_code_request")


def _is_sign_in_redirect(response: Any) -> bool:
    if response.status_code not in (301, 302, 303):
        return False
    path = urlsplit(response.get("Location", "")).path
    return path in {reverse(name) for name in SIGN_IN_PAGES}


def _is_public(allowance: Public | None, persona: str, response: Any) -> bool:
    if (
        allowance is None
        or persona not in allowance.personas
        or response.status_code not in allowance.statuses
    ):
        return False
    if allowance.redirects_to and response.status_code in (301, 302, 303):
        return urlsplit(response.get("Location", "")).path == reverse(allowance.redirects_to)
    return True


def _text(response: Any) -> str:
    content = getattr(response, "content", b"")
    text = content.decode("utf-8", errors="replace")
    if "json" in response.get("Content-Type", ""):
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False)
    return text


# --- the walk --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offence:
    route: str
    persona: str
    method: str
    path: str
    status: int
    leaked: tuple[str, ...]

    def __str__(self) -> str:
        leaked = f" leaks {list(self.leaked)}" if self.leaked else ""
        return f"{self.method.upper()} {self.path} [{self.route}] as {self.persona}: {self.status}{leaked}"


class Personas:
    """One client per persona, signed in again whenever a request signed it out (a POST to a sign-out
    route must not turn the next request anonymous)."""

    def __init__(self, users: dict[str, Any]) -> None:
        self.users = users
        self.clients: dict[str, Client] = {}

    def client(self, persona: str) -> Client:
        client = self.clients.get(persona)
        if client is None:
            client = self.clients[persona] = Client(raise_request_exception=False)
        if persona != ANONYMOUS and "_auth_user_id" not in client.session:
            client.force_login(self.users[persona])
        return client


def _ask(
    route: Route, path: str, persona: str, method: str, data: Dataset, personas: Personas
) -> Offence | None:
    client = personas.client(persona)
    if method == "get":
        response = client.get(path)
    elif route.is_api:
        response = getattr(client, method)(path, data={}, content_type="application/json")
    else:
        response = getattr(client, method)(path, data={})
    status = response.status_code
    allowance = PUBLIC.get(route.key)
    allowed = status in REFUSED or _is_sign_in_redirect(response) or _is_public(allowance, persona, response)
    body = _text(response) if not getattr(response, "streaming", False) else ""
    told = allowance.may_show(data) if allowance is not None and persona in allowance.told else set()
    leaked = tuple(m for m in data.markers if m in body and m not in path and m not in told)
    if allowed and not leaked:
        return None
    return Offence(route.key, persona, method, path, status, leaked)


def walk(data: Dataset, users: dict[str, Any], routes: list[Route]) -> list[Offence]:
    personas = Personas(users)
    offences = []
    for route in routes:
        values = fill(route, data)
        assert values is not None
        path = route_path(route, values)
        if route.key in QUERIES:
            path = f"{path}?{QUERIES[route.key](data)}"
        for persona in PERSONAS:
            for method in API_METHODS if route.is_api else PAGE_METHODS:
                offence = _ask(route, path, persona, method, data, personas)
                if offence is not None:
                    offences.append(offence)
    return offences


# --- tests ------------------------------------------------------------------------------------------------


def test_sec_every_route_has_a_filler_for_its_parameters_and_resolves_back_to_itself(qd_a):
    # given every URL pattern of the project
    routes = all_routes()
    assert len(routes) > 100  # the admin's included: the walk cannot pass on an empty list
    # when each is filled with project A's objects
    unfilled = [route.key for route in routes if fill(route, qd_a) is None]
    misrouted = []
    for route in routes:
        values = fill(route, qd_a)
        if values is not None:
            path = route_path(route, values)
            if resolve(path).func != route.callback:
                misrouted.append(f"{route.key} → {path}")
    # then every parameter has a filler (add one to FILLERS for a new route) and the path reaches the route
    assert unfilled == [], "routes with a parameter nobody fills (add them to FILLERS):\n" + "\n".join(
        unfilled
    )
    assert misrouted == [], "\n".join(misrouted)


def test_sec_every_public_route_is_a_real_route_with_a_reason():
    # given the routes that may answer by design
    keys = {route.key for route in all_routes()}
    # then each names a route that exists, for someone, with a reason
    assert sorted(set(PUBLIC) - keys) == []
    assert all(public.reason and public.personas and public.statuses for public in PUBLIC.values())


@pytest.mark.long
def test_sec_no_route_shows_or_changes_anything_of_project_a_for_outsiders_other_owners_or_anonymous(
    qd_a, world
):
    # given project A with one object of each kind (its dashboards' rows, packs and alerts too), and three
    # personas who must see none of it
    walker_analytics.analytics_for(qd_a)
    routes = all_routes()
    # when each asks every route with every method
    offences = walk(qd_a, {OUTSIDER: world.outsider, NEIGHBOUR: world.owner_neighbour}, routes)
    # then every answer refuses (or is public by design) and none contains A's data
    assert offences == [], f"{len(offences)} answers let something through:\n" + "\n".join(map(str, offences))
    # and nothing was changed: the item, the correction and the email change still wait as they were
    qd_a.item.refresh_from_db()
    assert qd_a.item.status == "registered"
    qd_a.change_request.refresh_from_db()
    assert qd_a.change_request.status == "pending"
    qd_a.email_change.refresh_from_db()
    assert qd_a.email_change.status in ("pending", "reported")  # the report link is the old address's
    qd_a.resident.refresh_from_db()
    assert qd_a.resident.email == "shen.qd-a@example.com"
    # and A's survey is as it was: running, its form still out, its import not imported, its area's waiver
    # and its mismatch still there, its report distributed and unread
    _assert_survey_of_a_unchanged(qd_a)
    # and A's reporting to HQ too: the report awaiting review, the emergency, the proposal, the draft page and
    # issue, the unread document and the planned activity
    _assert_reporting_of_a_unchanged(qd_a)


def _assert_reporting_of_a_unchanged(data: Dataset) -> None:
    from estatedesk.reporting.models import ReportSubmission

    reporting = data.reporting
    periodic = ReportSubmission.objects.get(pk=reporting.periodic.pk)
    assert (periodic.status, periodic.title, periodic.returned_reason, periodic.quality_level_id) == (
        "submitted",
        walker_reporting.PERIODIC_TITLE,
        "",
        None,
    )
    assert periodic.values["note"] == walker_reporting.PERIODIC_NOTE
    assert list(periodic.attachments.values_list("name", flat=True)) == [walker_reporting.PERIODIC_FILE]
    assert list(periodic.updates.values_list("kind", flat=True)) == ["submitted"]
    event = ReportSubmission.objects.get(pk=reporting.event.pk)
    assert (event.status, event.confirmed_class, event.class_reason, event.final_at) == (
        "submitted",
        "class_1",
        walker_reporting.CLASS_REASON,
        None,
    )
    assert list(event.updates.values_list("kind", flat=True)) == ["first", "class_set", "follow_up"]
    assert event.attachments.count() == 1
    accepted = ReportSubmission.objects.get(pk=reporting.accepted.pk)
    assert accepted.status == "accepted"
    reporting.proposal.refresh_from_db()
    assert (reporting.proposal.status, reporting.proposal.decided_at) == ("proposed", None)
    reporting.notice.refresh_from_db()
    assert (reporting.notice.is_published, reporting.notice.title) == (False, walker_reporting.NOTICE_TITLE)
    assert list(reporting.document.deliveries.values_list("user__username", "read_at")) == [("pm_a", None)]
    reporting.activity.refresh_from_db()
    assert (reporting.activity.status, reporting.activity.title) == (
        "planned",
        walker_reporting.ACTIVITY_TITLE,
    )
    assert list(reporting.activity.photos.values_list("pk", flat=True)) == [reporting.photo.pk]
    reporting.issue.refresh_from_db()
    assert (reporting.issue.status, reporting.issue.title) == ("draft", walker_reporting.ISSUE_TITLE)
    assert list(reporting.issue.articles.values_list("pk", "title")) == [
        (reporting.article.pk, reporting.article.title)
    ]


def _assert_survey_of_a_unchanged(data: Dataset) -> None:
    from estatedesk.surveys.models import SurveyAnswer

    surveys = data.surveys
    surveys.campaign.refresh_from_db()
    assert (surveys.campaign.status, surveys.campaign.last_serial) == ("running", 2)
    surveys.out.refresh_from_db()
    assert surveys.out.returned_at is None
    assert not SurveyAnswer.objects.filter(form=surveys.out).exists()
    surveys.returned.refresh_from_db()
    assert len(surveys.returned.mismatch_items) == 1  # the item the two keyings disagree on
    surveys.survey_import.refresh_from_db()
    assert surveys.survey_import.status == "checked"
    surveys.area.refresh_from_db()
    assert surveys.area.waiver_reason == walker_surveys.WAIVER_REASON
    surveys.schedule.refresh_from_db()
    assert surveys.schedule.is_active
    surveys.report.refresh_from_db()
    assert (surveys.report.status, surveys.report.summary) == ("distributed", walker_surveys.REPORT_SUMMARY)
    assert list(surveys.report.recipients.values_list("user__username", "read_at")) == [
        (walker_surveys.READER, None)
    ]


def test_sec_the_walk_reports_a_persona_who_sees_project_a(qd_a, world):
    # given a persona who may see project A (its CS supervisor), put in the outsider's place
    routes = [r for r in all_routes() if r.key in {"owners:resident_detail", "api-feedback-item-detail"}]
    assert len(routes) == 2
    # when the walk asks those routes as them
    offences = walk(qd_a, {OUTSIDER: world.supervisor_a, NEIGHBOUR: world.owner_neighbour}, routes)
    # then it reports what they were shown, with the route, the persona and the status
    seen = {(o.route, o.persona, o.method, o.status) for o in offences}
    assert ("owners:resident_detail", OUTSIDER, "get", 200) in seen
    assert ("api-feedback-item-detail", OUTSIDER, "get", 200) in seen
    resident_page = next(o for o in offences if o.route == "owners:resident_detail" and o.method == "get")
    assert "沈业主" in resident_page.leaked
    assert all(o.persona == OUTSIDER for o in offences)


def test_sec_the_fillers_of_visits_and_nonconformities_name_real_objects_of_project_a(qd_a, world):
    # given the routes of one return visit and one nonconformity of A, asked as A's project manager in the
    # outsider's place (someone who may see them)
    keys = {
        "visits:visit_detail",
        "api-visits-detail",
        "visits:item_visits",
        "quality:detail",
        "api-quality-detail",
        "quality:item_nonconformities",
    }
    routes = [r for r in all_routes() if r.key in keys]
    assert len(routes) == 6
    # when the walk asks them
    offences = walk(qd_a, {OUTSIDER: world.pm_a, NEIGHBOUR: world.owner_neighbour}, routes)
    # then each shows A's data: the fillers point at real objects, so the walk's refusals prove something
    shown = {(o.route, o.method, o.status) for o in offences}
    assert {(key, "get", 200) for key in keys} <= shown
    pages = {o.route: o.leaked for o in offences if o.method == "get"}
    assert "沈业主" in pages["visits:visit_detail"]
    assert "QD-A nonconformity marker" in pages["quality:detail"]
    assert "QD-A nonconformity marker" in pages["quality:item_nonconformities"]
    assert all(o.persona == OUTSIDER for o in offences)


def test_sec_the_fillers_of_surveys_name_real_objects_of_project_a(qd_a, world):
    # given routes of A's survey asked by its CS supervisor (the campaign's runner) in the outsider's place,
    # and owner_a (whose unit 1号楼's survey covers) in the other owner's place
    staff_keys = {
        "surveys:campaign_detail",
        "surveys:forms_pdf",
        "surveys:mismatches",
        "surveys:import_detail",
        "surveys:report",
        "api-surveys-forms",
        "api-surveys-import",
        "api-surveys-report",
    }
    routes = [r for r in all_routes() if r.key in staff_keys | {"surveys:mine_answer"}]
    assert len(routes) == 9
    # when the walk asks them
    offences = walk(qd_a, {OUTSIDER: world.supervisor_a, NEIGHBOUR: world.owner_a}, routes)
    # then each shows A's survey: the fillers point at real objects, so the walk's refusals prove something
    shown = {(o.route, o.persona, o.method, o.status) for o in offences}
    assert {(key, OUTSIDER, "get", 200) for key in staff_keys} <= shown
    assert ("surveys:mine_answer", NEIGHBOUR, "get", 200) in shown
    pages = {(o.route, o.persona): set(o.leaked) for o in offences if o.method == "get"}
    campaign_page = pages["surveys:campaign_detail", OUTSIDER]
    assert {walker_surveys.SURVEY_TITLE, walker_surveys.WAIVER_REASON} <= campaign_page
    assert "agent_a" in pages["surveys:mismatches", OUTSIDER]  # who keyed the form first
    assert walker_surveys.IMPORT_FILENAME in pages["surveys:import_detail", OUTSIDER]
    assert {walker_surveys.REPORT_SUMMARY, walker_surveys.READER} <= pages["surveys:report", OUTSIDER]
    assert {walker_surveys.RESPONDENT, walker_surveys.SURVEY_COMMENT} <= pages["api-surveys-forms", OUTSIDER]
    assert walker_surveys.IMPORT_FILENAME in pages["api-surveys-import", OUTSIDER]
    assert walker_surveys.REPORT_SUMMARY in pages["api-surveys-report", OUTSIDER]
    assert walker_surveys.SURVEY_TITLE in pages["surveys:mine_answer", NEIGHBOUR]
    # and asking them changed nothing
    _assert_survey_of_a_unchanged(qd_a)


def test_sec_a_survey_form_is_reached_only_with_its_own_token(qd_a, world):
    # given A's two forms: one still out, one answered (with a name and a comment), and someone without them
    surveys = qd_a.surveys
    for client in (Client(), Personas({OUTSIDER: world.outsider}).client(OUTSIDER)):
        # when they try tokens that are not a form's: a made-up one, the form's own cut short or recased
        for token in ("not-a-form-token", surveys.out.token[:-1], surveys.out.token.swapcase()):
            response = client.get(reverse("surveys_public:answer", args=[token]))
            # then there is no such form, and nothing of A is shown
            assert response.status_code == 404
            assert [m for m in qd_a.markers if m in _text(response)] == []
        # when they hold the answered form: it says so, and shows neither its answers nor who gave them
        path = reverse("surveys_public:answer", args=[surveys.returned.token])
        for response in (client.get(path), client.post(path, {"comment": "overwrite"})):
            assert response.status_code == 200
            assert 'data-state="answered"' in _text(response)
            shown = [m for m in qd_a.markers if m in _text(response) and m not in path]
            assert shown == [walker_surveys.SURVEY_TITLE]  # the title printed on the paper form
    # and the answered form is as it was
    surveys.returned.refresh_from_db()
    assert (surveys.returned.respondent_name, surveys.returned.comment) == (
        walker_surveys.RESPONDENT,
        walker_surveys.SURVEY_COMMENT,
    )
    _assert_survey_of_a_unchanged(qd_a)


def test_sec_the_survey_catalogue_is_the_companys_own_another_company_sees_none_of_it(qd_a, world):
    # given the survey catalogue of A's company (renamed, so it can be told apart) and HQ of another
    # company, who edits their own company's catalogue
    from estatedesk.org.choices import Role, ScopeLevel
    from estatedesk.org.models import Company, Membership
    from estatedesk.surveys.models import Questionnaire, SurveyItem

    surveys = qd_a.surveys
    Questionnaire.objects.filter(pk=surveys.questionnaire.pk).update(name="AJ questionnaire marker")
    SurveyItem.objects.filter(pk=surveys.item.pk).update(name_en="AJ item marker")
    other = Company.objects.create(code="ZZ", name="另一家物业")
    hq_other = get_user_model().objects.create_user(username="hq_other", display_name="hq_other")
    Membership.objects.create(user=hq_other, role=Role.HQ_PROPERTY, level=ScopeLevel.COMPANY, company=other)
    client = Personas({OUTSIDER: hq_other}).client(OUTSIDER)
    markers = ["AJ questionnaire marker", "AJ item marker", *qd_a.markers]
    # when they open the catalogue (asking for A's company by its code too), A's questionnaire, and save
    # A's company's item, questionnaire and report route
    catalogue = client.get(reverse("surveys:catalogue"), {"company": world.company.code})
    questionnaire = client.get(reverse("surveys:questionnaire_edit", args=[surveys.questionnaire.pk]))
    saves = [
        client.post(reverse(name, args=[pk]), {"company": world.company.code})
        for name, pk in (
            ("surveys:catalogue_item", surveys.item.pk),
            ("surveys:questionnaire_edit", surveys.questionnaire.pk),
            ("surveys:catalogue_route", surveys.route.pk),
        )
    ]
    # then they see their own company's catalogue only, A's company's rows do not exist for them
    assert catalogue.status_code == 200
    assert [m for m in markers if m in _text(catalogue)] == []
    assert Questionnaire.objects.filter(company=other).exists()  # their own, seeded on first sight
    assert questionnaire.status_code == 404
    assert [response.status_code for response in saves] == [404, 404, 404]
    assert [m for m in markers if any(m in _text(response) for response in saves)] == []
    # and nothing of A's company's catalogue changed
    assert Questionnaire.objects.get(pk=surveys.questionnaire.pk).name == "AJ questionnaire marker"
    assert SurveyItem.objects.get(pk=surveys.item.pk).name_en == "AJ item marker"


def test_sec_the_fillers_of_reporting_name_real_objects_of_project_a(qd_a, world):
    # given the reporting routes of A's objects, asked by HQ's property management department (who sees every
    # report, drafts of pages and issues, and every document) in the outsider's place
    keys = {
        "reporting:submission_detail",
        "reporting:submission_attachment",
        "reporting:proposal_list",
        "reporting:notice_page",
        "reporting:document_detail",
        "reporting:document_file",
        "reporting:activity_detail",
        "reporting:activity_photo",
        "reporting:newsletter_issue",
        "api-reporting-submission",
        "api-reporting-document",
        "api-reporting-activity",
        "api-reporting-newsletter-detail",
    }
    routes = [r for r in all_routes() if r.key in keys]
    assert len(routes) == len(keys)
    # when the walk asks them
    offences = walk(qd_a, {OUTSIDER: world.hq, NEIGHBOUR: world.owner_neighbour}, routes)
    # then each shows A's object: the fillers point at real objects, so the walk's refusals prove something
    shown = {(o.route, o.persona, o.method, o.status) for o in offences}
    assert {(key, OUTSIDER, "get", 200) for key in keys} <= shown
    pages = {o.route: set(o.leaked) for o in offences if o.method == "get"}
    wr = walker_reporting
    assert {wr.EVENT_TITLE, wr.EVENT_WHAT, wr.CLASS_REASON, wr.EVENT_FOLLOW_UP} <= pages[
        "reporting:submission_detail"
    ]
    assert {wr.PERIODIC_TITLE, wr.PERIODIC_NOTE, wr.PERIODIC_FILE} <= pages["api-reporting-submission"]
    assert wr.PROPOSAL_TEXT in pages["reporting:proposal_list"]
    assert {wr.NOTICE_TITLE, wr.NOTICE_BODY} <= pages["reporting:notice_page"]
    assert {wr.DOCUMENT_TITLE, wr.DOCUMENT_SUMMARY, wr.DOCUMENT_SENDER} <= pages["reporting:document_detail"]
    assert wr.DOCUMENT_TITLE in pages["api-reporting-document"]
    assert {wr.ACTIVITY_TITLE, wr.ACTIVITY_PLAN, wr.PHOTO_CAPTION} <= pages["reporting:activity_detail"]
    assert wr.ACTIVITY_TITLE in pages["api-reporting-activity"]
    assert {wr.ISSUE_TITLE, wr.BUSINESS_TITLE} <= pages["reporting:newsletter_issue"]
    assert wr.ISSUE_TITLE in pages["api-reporting-newsletter-detail"]
    assert all(o.persona == OUTSIDER for o in offences)
    # and asking them changed nothing (HQ opening the document is no recipient's reading)
    _assert_reporting_of_a_unchanged(qd_a)


@pytest.mark.long
def test_sec_analytics_no_route_shows_another_scopes_figures_rows_or_packs(qd_a, world):
    # given last month's rows, alerts and packs of every scope (company, branches QD and JN, projects QD-A,
    # QD-B, JN-C), each with its markers, and people who may look at some scopes only: QD-A's project
    # manager, QD's branch manager, JN-C's CS supervisor
    routes = walker_analytics.analytics_routes()
    assert {
        "analytics:dashboard",
        "analytics:drilldown",
        "analytics:pack_detail",
        "api-analytics-metrics",
    } <= {route.key for route in routes}
    # when each asks every analytics route, with every method, naming every scope (its pack, its query)
    offences, own = walker_analytics.walk_as_other_scopes(qd_a, world.users)
    # then a scope out of reach is refused by the figures, rows, workbooks and packs (404 or 403), and no
    # answer shows another scope's rows, notes or buildings
    assert offences == [], f"{len(offences)} answers let something through:\n" + "\n".join(offences)
    # and the walk reaches real rows: each sees their own scope's item and pack note
    marker = walker_analytics.item_marker("QD-A")
    assert marker in own["pm_a", "analytics:drilldown"]
    assert walker_analytics.note_marker("project:QD-A") in own["pm_a", "analytics:pack_detail"]
    assert walker_analytics.note_marker("branch:QD") in own["branch_manager", "analytics:pack_detail"]
    assert walker_analytics.item_marker("JN-C") in own["outsider", "api-analytics-drilldown"]
