"""Writes to the organisation. Each service checks the rule, saves, and writes the audit row in one
transaction. Views, the API, the admin and commands all come through here."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import forget_scope
from estatedesk.org.choices import DayKind, Role, ScopeLevel
from estatedesk.org.models import Branch, Company, Membership, Project, PublicHoliday, WorkingCalendar
from estatedesk.org.permissions import require

CALENDAR_FIELDS = [
    "name",
    "is_24_hours",
    "opens_at",
    "closes_at",
    "working_weekdays",
    "observes_public_holidays",
]
PROJECT_CONTACT_FIELDS = ["hotline_1", "hotline_2", "complaint_email"]


def _validate_hours(*, is_24_hours: bool, opens_at: time, closes_at: time, working_weekdays: str) -> None:
    fields: dict[str, list[Any]] = {}
    if not is_24_hours and closes_at != time(0, 0) and closes_at <= opens_at:
        fields["closes_at"] = [_("Closing time must be after opening time.")]
    if not working_weekdays or any(ch not in "1234567" for ch in working_weekdays):
        fields["working_weekdays"] = [_("List weekdays as digits 1 (Monday) to 7 (Sunday).")]
    if fields:
        raise DomainError("org.invalid_hours", _("The working hours are not valid."), fields=fields)


@transaction.atomic
def working_calendar_update(*, actor: Any, calendar: WorkingCalendar, **changes: Any) -> WorkingCalendar:
    require(actor, "org.calendar.manage")
    unknown = set(changes) - set(CALENDAR_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    before = model_changes(calendar, CALENDAR_FIELDS)
    for name, value in changes.items():
        setattr(calendar, name, value)
    if "working_weekdays" in changes:
        calendar.working_weekdays = "".join(sorted(set(calendar.working_weekdays)))
    _validate_hours(
        is_24_hours=calendar.is_24_hours,
        opens_at=calendar.opens_at,
        closes_at=calendar.closes_at,
        working_weekdays=calendar.working_weekdays,
    )
    calendar.save()
    audit_record(
        actor=actor,
        action="update",
        obj=calendar,
        before=before,
        after=model_changes(calendar, CALENDAR_FIELDS),
    )
    return calendar


@transaction.atomic
def public_holiday_set(*, actor: Any, company: Company, day: date, kind: str, name: str) -> PublicHoliday:
    """Mark a day as a public holiday or a make-up working day; setting it again changes it."""
    require(actor, "org.calendar.manage")
    if kind not in DayKind.values:
        raise DomainError(
            "org.invalid_day_kind", _("Unknown kind of day."), fields={"kind": [_("Unknown kind of day.")]}
        )
    if not name.strip():
        raise DomainError(
            "org.name_required", _("Give the day a name."), fields={"name": [_("This field is required.")]}
        )
    holiday, created = PublicHoliday.objects.select_for_update().get_or_create(
        company=company, day=day, defaults={"kind": kind, "name": name.strip()}
    )
    before = {} if created else {"day": day.isoformat(), "kind": holiday.kind, "name": holiday.name}
    if not created:
        holiday.kind, holiday.name = kind, name.strip()
        holiday.save(update_fields=["kind", "name"])
    audit_record(
        actor=actor,
        action="create" if created else "update",
        obj=holiday,
        before=before,
        after={"day": day.isoformat(), "kind": kind, "name": holiday.name},
    )
    return holiday


@transaction.atomic
def public_holiday_remove(*, actor: Any, holiday: PublicHoliday) -> None:
    require(actor, "org.calendar.manage")
    audit_record(
        actor=actor,
        action="delete",
        obj=holiday,
        before={"day": holiday.day.isoformat(), "kind": holiday.kind, "name": holiday.name},
    )
    holiday.delete()


@transaction.atomic
def project_contacts_update(*, actor: Any, project: Project, **changes: Any) -> Project:
    """Hotline numbers and complaint mailbox (R-CH-3)."""
    require(actor, "org.calendar.manage", project=project)
    before = model_changes(project, PROJECT_CONTACT_FIELDS)
    for name in PROJECT_CONTACT_FIELDS:
        if name in changes:
            setattr(project, name, (changes[name] or "").strip())
    project.full_clean(validate_unique=False, validate_constraints=False)
    project.save(update_fields=[*PROJECT_CONTACT_FIELDS, "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=project,
        before=before,
        after=model_changes(project, PROJECT_CONTACT_FIELDS),
        project_id=project.pk,
    )
    return project


@transaction.atomic
def membership_grant(
    *,
    actor: Any,
    user: Any,
    role: str,
    company: Company,
    branch: Branch | None = None,
    project: Project | None = None,
    department: Any = None,
) -> Membership:
    """Give `user` a role at the company, a branch or a project."""
    require(actor, "org.membership.manage")
    if role not in Role.values:
        raise DomainError("org.invalid_role", _("Unknown role."), fields={"role": [_("Unknown role.")]})
    if branch and project:
        raise DomainError("org.one_node", _("A membership belongs to one branch or one project, not both."))
    if project and project.branch.company_id != company.pk or branch and branch.company_id != company.pk:
        raise DomainError("org.other_company", _("That node belongs to another company."))
    level = ScopeLevel.PROJECT if project else ScopeLevel.BRANCH if branch else ScopeLevel.COMPANY
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user,
                role=role,
                level=level,
                company=company,
                branch=branch,
                project=project,
                department=department,
            )
    except IntegrityError as exc:
        raise DomainError("org.membership_exists", _("This user already has that role there.")) from exc
    audit_record(
        actor=actor,
        action="create",
        obj=membership,
        after={"user": user.pk, "role": role, "level": level, "node": str(membership.node)},
        project_id=project.pk if project else None,
    )
    forget_scope(user)
    return membership


@transaction.atomic
def membership_revoke(*, actor: Any, membership: Membership) -> None:
    require(actor, "org.membership.manage")
    membership.is_active = False
    membership.save(update_fields=["is_active", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=membership,
        before={"is_active": True},
        after={"is_active": False},
        project_id=membership.project_id,
    )
    forget_scope(membership.user)


DEFAULT_CALENDARS = [
    # (code, name, kind, is_24_hours, opens, closes, weekdays, observes public holidays)
    (
        "CS-CENTRE",
        "客户服务中心 08:00–20:00",
        "service_centre",
        False,
        time(8, 0),
        time(20, 0),
        "1234567",
        False,
    ),
    ("HOTLINE-24H", "售后投诉电话 24 小时", "hotline", True, time(0, 0), time(0, 0), "1234567", False),
    ("OFFICE", "办公时间 09:00–18:00", "office", False, time(9, 0), time(18, 0), "12345", True),
]


@transaction.atomic
def company_seed_defaults(*, company: Company) -> None:
    """Default calendars (R-CH-1: 12-hour service centre, 24-hour hotline, office hours) and the public
    holidays shipped in org/data/holidays-cn.json. Running it again adds nothing and changes nothing."""
    import json
    from pathlib import Path

    for code, name, kind, is_24, opens, closes, weekdays, observes in DEFAULT_CALENDARS:
        WorkingCalendar.objects.get_or_create(
            company=company,
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "is_24_hours": is_24,
                "opens_at": opens,
                "closes_at": closes,
                "working_weekdays": weekdays,
                "observes_public_holidays": observes,
            },
        )
    data = json.loads((Path(__file__).parent / "data" / "holidays-cn.json").read_text(encoding="utf-8"))
    existing = set(PublicHoliday.objects.filter(company=company).values_list("day", flat=True))
    PublicHoliday.objects.bulk_create(
        [
            PublicHoliday(company=company, day=date.fromisoformat(day), kind=kind, name=name)
            for day, kind, name in data["days"]
            if date.fromisoformat(day) not in existing
        ]
    )
