"""R-RV-1: survey results are checked for authenticity by return visits from the department that ran the
survey: a customer-service department's survey by the project manager, the QA department's by the QA
manager. Closing a campaign (campaigns.campaign_close) calls `survey_checks_arrange`.

- The sample: the returned forms that name a unit (there is somebody to visit), per area
  ceil(SurveyRules.check_share_percent × those ÷ 100) and at least SurveyRules.check_minimum_per_area (never
  more than there are). Drawn deterministically: ranked by a hash of the campaign's reference and the
  serial, so the same campaign always draws the same forms, and nobody picks the friendly flats.
- Each drawn form gets a `survey_check` ReturnVisit through visits.services.return_visit_arrange, with the
  department that checks it (visits' rule: a customer-service or QA department) and the checker as the
  visitor (visits.eligibility.SURVEY_CHECKERS: project manager or QA manager). Campaigns run by a
  management office or the admin department are checked like the customer-service department's: by the
  project manager, under the project's customer-service department.
- Idempotent: forms already checked count towards their area's sample and are never drawn again; the
  campaign row is locked while drawing, so two closes cannot both draw.
- Arranging a visit needs visits.plan at the project. A closer without it (QA staff, the admin department)
  arranges through the checker, who holds it (the visit's "arranged by" is then the checker).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from estatedesk.common.errors import DomainError
from estatedesk.org.choices import DepartmentKind
from estatedesk.org.models import Department, Project
from estatedesk.org.permissions import can
from estatedesk.org.selectors import project_staff
from estatedesk.owners.choices import Relation
from estatedesk.owners.models import Occupancy, Resident
from estatedesk.surveys.choices import Runner
from estatedesk.surveys.figures import rules_for
from estatedesk.surveys.models import Campaign, SurveyForm
from estatedesk.visits import eligibility
from estatedesk.visits.choices import Purpose
from estatedesk.visits.models import ReturnVisit
from estatedesk.visits.services import qa_department, return_visit_arrange

RELATION_ORDER: dict[str, int] = {Relation.OWNER: 0, Relation.TENANT: 1, Relation.MEMBER: 2}


def checking_kind(campaign: Campaign) -> str:
    """The department kind whose survey rule applies: QA's for the QA department's campaigns, the
    customer-service department's for every other runner."""
    return DepartmentKind.QUALITY if campaign.runner == Runner.QUALITY else DepartmentKind.CUSTOMER_SERVICE


def checking_department(campaign: Campaign) -> Department | None:
    """The department the check visits belong to: the campaign's own department when it is of the checking
    kind; else the QA department serving the project (branch, then company), or the project's
    customer-service department (project, branch, then company)."""
    kind = checking_kind(campaign)
    own = campaign.department
    if own is not None and own.kind == kind:
        return own
    project = campaign.project
    if kind == DepartmentKind.QUALITY:
        return qa_department(project)
    return (
        Department.objects.filter(kind=kind, project=project).first()
        or Department.objects.filter(kind=kind, branch_id=project.branch_id, project__isnull=True).first()
        or Department.objects.filter(
            kind=kind, company_id=project.branch.company_id, branch__isnull=True, project__isnull=True
        ).first()
    )


def sample_size(*, returned_with_unit: int, share_percent: int, minimum: int) -> int:
    """How many of an area's returned forms with a unit are checked: ceil(share × n), at least `minimum`,
    at most n."""
    if returned_with_unit <= 0:
        return 0
    wanted = math.ceil(share_percent * returned_with_unit / 100)
    return min(returned_with_unit, max(wanted, minimum))


def draw_key(reference: str, serial: int) -> str:
    """The order forms are drawn in: a hash of the campaign and the serial (stable, not guessable by eye)."""
    return hashlib.sha256(f"{reference}:{serial}".encode()).hexdigest()


def checker(*, campaign: Campaign, department: Department) -> Any:
    """The person who checks: an active holder of the checking role at the project (project manager or QA
    manager, visits.eligibility.SURVEY_CHECKERS) whom the visits rule accepts; the lowest id first (stable).
    None when there is nobody: the visits are arranged without a visitor and a planner assigns one."""
    project = campaign.project
    roles = set(eligibility.SURVEY_CHECKERS.get(department.kind, frozenset()))
    probe = ReturnVisit(project=project, purpose=Purpose.SURVEY_CHECK, department=department)
    for user in sorted(project_staff(project=project, roles=roles), key=lambda u: u.pk):
        if eligibility.visitor_refusal(visit=probe, user=user, barred={}) is None:
            return user
    return None


def _arranger(*, actor: Any, visitor: Any, project: Project, department: Department) -> Any:
    if can(actor, "visits.plan", project=project):
        return actor
    if visitor is not None and can(visitor, "visits.plan", project=project):
        return visitor
    if department.kind == DepartmentKind.QUALITY:
        message = _("Nobody can check this survey: the project has no QA manager. Add one, then close again.")
    else:
        message = _(
            "Nobody can check this survey: the project has no project manager. Add one, then close again."
        )
    raise DomainError("surveys.no_checker", message, status=409)


def _draw(campaign: Campaign, rules: Any) -> list[SurveyForm]:
    """The forms to check now: per area, the sample size less the forms already checked, from the
    unchecked returned forms with a unit in draw order."""
    forms = list(
        SurveyForm.objects.filter(campaign=campaign, returned_at__isnull=False, unit__isnull=False)
        .select_related("unit", "respondent")
        .order_by("area_id", "serial")
    )
    by_area: dict[int, list[SurveyForm]] = defaultdict(list)
    for form in forms:
        by_area[form.area_id].append(form)
    drawn: list[SurveyForm] = []
    for area_forms in by_area.values():
        size = sample_size(
            returned_with_unit=len(area_forms),
            share_percent=rules.check_share_percent,
            minimum=rules.check_minimum_per_area,
        )
        already = sum(1 for form in area_forms if form.check_visit_id is not None)
        candidates = sorted(
            (form for form in area_forms if form.check_visit_id is None),
            key=lambda form: draw_key(campaign.reference, form.serial),
        )
        drawn.extend(candidates[: max(size - already, 0)])
    return drawn


def _residents(forms: list[SurveyForm]) -> dict[int, Resident]:
    """{unit id: the resident to call}: who answered online, else the unit's current owner (then tenant,
    then household member). Two queries."""
    unit_ids = sorted({form.unit_id for form in forms if form.unit_id is not None})
    chosen: dict[int, tuple[int, int, Resident]] = {}
    for occupancy in Occupancy.objects.filter(unit_id__in=unit_ids, ended_on__isnull=True).select_related(
        "resident"
    ):
        rank = (RELATION_ORDER.get(occupancy.relation, 9), occupancy.pk)
        current = chosen.get(occupancy.unit_id)
        if current is None or rank < current[:2]:
            chosen[occupancy.unit_id] = (*rank, occupancy.resident)
    return {unit_id: row[2] for unit_id, row in chosen.items()}


def _phone(resident: Resident | None) -> str:
    if resident is None:
        return ""
    first = resident.phones.order_by("position", "id").first()
    return first.number if first is not None else ""


@transaction.atomic
def survey_checks_arrange(*, actor: Any, campaign: Campaign) -> list[SurveyForm]:
    """R-RV-1: arrange the check visits of a closing campaign's sample; the forms drawn by this call (none
    when called again)."""
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("project__branch", "department")
        .get(pk=campaign.pk)
    )
    rules = rules_for(campaign)
    drawn = _draw(campaign, rules)
    if not drawn:
        return []
    department = checking_department(campaign)
    if department is None:
        kind = checking_kind(campaign)
        message = (
            _(
                "No QA department serves this project, so nobody can check the survey. Add one, then close "
                "again."
            )
            if kind == DepartmentKind.QUALITY
            else _(
                "The project has no customer-service department, so nobody can check the survey. Add one, "
                "then close again."
            )
        )
        raise DomainError("surveys.no_checking_department", message, status=409)
    project = campaign.project
    visitor = checker(campaign=campaign, department=department)
    arranger = _arranger(actor=actor, visitor=visitor, project=project, department=department)
    residents = _residents(drawn)
    respondents = {
        resident.user_id: resident
        for resident in Resident.objects.filter(
            user_id__in=sorted({form.respondent_id for form in drawn if form.respondent_id})
        )
    }
    checked: list[SurveyForm] = []
    for form in drawn:
        resident = respondents.get(form.respondent_id) if form.respondent_id else None
        resident = resident or residents.get(form.unit_id or 0)
        unit_label = form.unit.label if form.unit is not None else ""
        name = form.respondent_name or (resident.name if resident is not None else "") or unit_label
        visit = return_visit_arrange(
            actor=arranger,
            purpose=Purpose.SURVEY_CHECK,
            project=project,
            visitor=visitor,
            resident=resident,
            customer_name=f"{name} · {unit_label} · {campaign.reference}-{form.serial:04d}"[:60],
            customer_phone=_phone(resident),
            department=department,
        )
        claimed = SurveyForm.objects.filter(pk=form.pk, check_visit__isnull=True).update(check_visit=visit)
        if claimed:
            form.check_visit = visit
            checked.append(form)
    return checked
