"""The monthly pack (issue 15, deliverables 3 and 5; R-FB-7): one immutable snapshot of one scope's closed
month, made on the 1st at 08:00 by the scheduled job (tasks.py), on demand by the command, or again by a
person (a regeneration).

`pack_generate` freezes the figures of `metrics.metrics_report` for the month (with the month before and
the same month a year earlier) and the lists (`pack_lists`), records the corrections to earlier months,
writes the PDF and the workbook once through the storage API, and creates one `PackDelivery` per
recipient; once the transaction commits, each recipient with an address gets the PDF by email.

- Versions: version 1 of a (scope, month) exists once, however many schedulers run: the unique constraint
  (company, scope_key, month, version), the insert in a savepoint, and an IntegrityError read as "another
  worker made it" (a scheduled run then returns that pack; a command or a regeneration takes the next
  number). A scheduled run skips a (scope, month) that already has a pack.
- A regeneration (`pack_regenerate`, capability analytics.pack.regenerate at the scope's node) is the next
  version; its change note lists each figure that changed against the version before (label, was, now),
  each list whose count changed, and the person's note.
- Nothing edits a made pack: its JSON and files are written when it is made and never again (the only
  later writes are to its deliveries: sent, first opened).
- Corrections (deliverable 5): when month M's pack is made, the figures of each of the three months before
  that has a pack are computed again; each figure that differs from what was last sent for that month (its
  latest pack, or a correction line of a later pack) is a correction line of M's pack: {month, key, label,
  was, now}. Figures "as of now" (still open, overdue now) are left out: they change by definition.
- Email: the notifications outbox carries no attachments, so a pack's email is sent from its delivery row
  (`pack_delivery_send`, the task `analytics.pack_delivery_send`): claimed by a conditional UPDATE (a
  duplicated task sends nothing), marked sent once the mail server accepted it; a claim older than
  CLAIM_TIMEOUT (a worker that died) is sent again by the hourly job (at least once).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from estatedesk.analytics.choices import DeliveryStatus, PackTrigger, ScopeKind
from estatedesk.analytics.models import MonthlyPack, PackDelivery, PackRules
from estatedesk.analytics.pack_lists import LIST_KEYS, LIST_TITLES, figure_catalogue, figure_text, pack_lists
from estatedesk.analytics.periods import Period, add_months, last_closed_month
from estatedesk.analytics.scopes import MetricScope, branch_scope, company_scope
from estatedesk.common.audit import audit_record
from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Branch, Company, Membership, Project
from estatedesk.org.permissions import require

logger = logging.getLogger(__name__)

CORRECTION_MONTHS = 3  # how far back a pack looks for late changes
VERSION_ATTEMPTS = 5  # concurrent makers of one (scope, month): a few retries for the next number
CLAIM_TIMEOUT = timedelta(minutes=10)
RECIPIENT_ROLES: dict[str, tuple[str, frozenset[str]]] = {
    ScopeKind.COMPANY: (ScopeLevel.COMPANY, frozenset({Role.GENERAL_MANAGER, Role.LEADER})),
    ScopeKind.BRANCH: (ScopeLevel.BRANCH, frozenset({Role.BRANCH_MANAGER})),
    ScopeKind.PROJECT: (ScopeLevel.PROJECT, frozenset({Role.PROJECT_MANAGER})),
}


# --- rules and reads ---------------------------------------------------------------------------------------


def pack_rules_for(*, company: Company) -> PackRules:
    """The company's pack rules, created with the defaults (the 1st at 08:00, 50 rows a list) if missing."""
    rules, _created = PackRules.objects.get_or_create(company=company)
    return rules


def packs_of(*, scope: MetricScope, month: date) -> Any:
    return MonthlyPack.objects.filter(
        company_id=scope.company_id, scope_key=scope.key, month=month.replace(day=1)
    )


def pack_recipients(*, scope: MetricScope) -> list[Any]:
    """Who gets the scope's pack: the general manager and leaders (the company), the branch manager (a
    branch), the project manager (a project): active users with an active membership there."""
    level, roles = RECIPIENT_ROLES[scope.kind]
    where = Q(company_id=scope.company_id, level=level, role__in=sorted(roles), is_active=True)
    if scope.kind == ScopeKind.BRANCH:
        where &= Q(branch_id=scope.branch_id)
    elif scope.kind == ScopeKind.PROJECT:
        where &= Q(project_id=scope.project_id)
    user_ids = Membership.objects.filter(where).values_list("user_id", flat=True)
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))


# --- what a pack holds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackContent:
    figures: dict[str, Any]
    lists: dict[str, Any]
    corrections: list[dict[str, Any]]


def _is_as_of_now(key: str) -> bool:
    from estatedesk.analytics.metrics import FIGURES

    definition = FIGURES.get(key)
    return bool(getattr(definition, "as_of_now", False)) if definition else False


def _baselines(*, scope: MetricScope, month: date) -> dict[date, dict[str, dict[str, Any]]]:
    """For each of the months before `month` (CORRECTION_MONTHS back) that has a pack: what was last sent
    for it, figure by figure: its latest pack's figures, overlaid with the correction lines of the later
    months' latest packs (so that a correction is reported once)."""
    first = add_months(month, -CORRECTION_MONTHS)
    latest: dict[date, MonthlyPack] = {}
    rows = MonthlyPack.objects.filter(
        company_id=scope.company_id, scope_key=scope.key, month__gte=first, month__lt=month
    ).order_by("month", "-version")
    for pack in rows.only("id", "month", "version", "figures", "corrections"):
        latest.setdefault(pack.month, pack)
    baselines: dict[date, dict[str, dict[str, Any]]] = {}
    for pack_month in sorted(latest):
        figures = (latest[pack_month].figures.get("current") or {}).get("figures") or {}
        baselines[pack_month] = {
            key: dict(value) for key, value in figures.items() if isinstance(value, dict)
        }
    for pack_month in sorted(latest):
        for line in latest[pack_month].corrections or []:
            corrected = _month_of(line.get("month", ""))
            if corrected in baselines and line.get("key") in baselines[corrected]:
                baselines[corrected][line["key"]] = {
                    "value": line.get("now_value"),
                    "text": line.get("now"),
                }
    return baselines


def _month_of(text: str) -> date | None:
    try:
        year, month = (int(part) for part in text.split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        return None


def _corrections(*, scope: MetricScope, month: date, now: datetime) -> list[dict[str, Any]]:
    from estatedesk.analytics.metrics import metrics_compute

    lines: list[dict[str, Any]] = []
    for earlier, sent in sorted(_baselines(scope=scope, month=month).items()):
        metrics = metrics_compute(scope=scope, period=Period.month(earlier), now=now)
        labels = {key: (label, unit) for key, label, unit in figure_catalogue({"current": {"figures": sent}})}
        for key, figure in metrics.figures.items():
            if key not in sent or _is_as_of_now(key):
                continue
            was, fresh = sent[key], figure.to_dict()
            if str(was.get("value")) == str(fresh.get("value")):
                continue
            label, unit = labels.get(key, (key, ""))
            lines.append(
                {
                    "month": f"{earlier:%Y-%m}",
                    "key": key,
                    "label": label,
                    "was": figure_text(was, unit),
                    "now": figure_text(fresh, unit),
                    "was_value": was.get("value"),
                    "now_value": fresh.get("value"),
                }
            )
    return lines


def pack_content(*, scope: MetricScope, month: date, limit: int, now: datetime) -> PackContent:
    """What a pack of `scope` for `month` holds when made at `now` (JSON-safe)."""
    from estatedesk.analytics.metrics import metrics_report

    period = Period.month(month)
    report = metrics_report(scope=scope, period=period, now=now)
    return PackContent(
        figures=report.to_dict(),
        lists=pack_lists(scope=scope, period=period, limit=limit, now=now),
        corrections=_corrections(scope=scope, month=period.start, now=now),
    )


def change_note(*, previous: MonthlyPack, content: PackContent, note: str) -> str:
    """What changed against the version before: each figure (label: was → now), each list whose count
    changed, the corrections; then the person's note."""
    lines = [_("Changes against version %(version)d:") % {"version": previous.version}]
    for key, label, unit in figure_catalogue(content.figures):
        was = figure_text(_current(previous.figures, key), unit)
        now = figure_text(_current(content.figures, key), unit)
        if was != now:
            lines.append(f"- {label}: {was} → {now}")
    for name in LIST_KEYS:
        was_count = (previous.lists.get(name) or {}).get("total", 0)
        now_count = (content.lists.get(name) or {}).get("total", 0)
        if was_count != now_count:
            lines.append(
                "- "
                + _("%(list)s: %(was)d → %(now)d rows")
                % {"list": LIST_TITLES[name], "was": was_count, "now": now_count}
            )
    if len(previous.corrections or []) != len(content.corrections):
        lines.append(
            "- "
            + _("Corrections to earlier months: %(was)d → %(now)d")
            % {"was": len(previous.corrections or []), "now": len(content.corrections)}
        )
    if len(lines) == 1:
        lines.append("- " + _("No figure or list changed."))
    if note.strip():
        lines.append(_("Note: %(note)s") % {"note": note.strip()})
    return "\n".join(lines)


def _current(figures: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = ((figures.get("current") or {}).get("figures") or {}).get(key)
    return value if isinstance(value, dict) else None


# --- making a pack -----------------------------------------------------------------------------------------


def _scope_nodes(scope: MetricScope) -> tuple[Branch | None, Project | None]:
    branch = Branch.objects.get(pk=scope.branch_id) if scope.branch_id else None
    project = Project.objects.get(pk=scope.project_id) if scope.project_id else None
    return branch, project


def _file_name(pack: MonthlyPack, suffix: str) -> str:
    scope = pack.scope_key.replace(":", "-")
    return f"pack-{pack.month:%Y-%m}-{scope}-v{pack.version}.{suffix}"


def _write_files(pack: MonthlyPack) -> None:
    """The PDF and the workbook, from the pack's stored JSON, written once through the storage API."""
    from estatedesk.analytics.pack_pdf import pack_pdf
    from estatedesk.analytics.pack_workbook import pack_workbook

    pack.pdf.save(_file_name(pack, "pdf"), ContentFile(pack_pdf(pack=pack)), save=False)
    pack.workbook.save(_file_name(pack, "xlsx"), ContentFile(pack_workbook(pack=pack)), save=False)
    MonthlyPack.objects.filter(pk=pack.pk).update(pdf=pack.pdf.name, workbook=pack.workbook.name)


def _deliveries(pack: MonthlyPack, scope: MetricScope) -> list[PackDelivery]:
    rows = []
    for user in pack_recipients(scope=scope):
        email = (user.email or "").strip()
        rows.append(
            PackDelivery(
                pack=pack,
                user=user,
                email=email,
                status=DeliveryStatus.PENDING if email else DeliveryStatus.NO_EMAIL,
            )
        )
    created = PackDelivery.objects.bulk_create(rows)
    pending = [row.pk for row in created if row.status == DeliveryStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: _enqueue_deliveries(pending))
    return created


def _enqueue_deliveries(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        pack_delivery_send_task.enqueue(delivery_id=delivery_id)


def pack_generate(  # noqa: PLR0913 - keyword-only: who, what, why
    *,
    scope: MetricScope,
    month: date,
    actor: Any = None,
    trigger: str,
    note: str = "",
    now: datetime | None = None,
    send_email: bool = True,
) -> MonthlyPack:
    """Make the pack of `scope` for `month` (module docstring). A scheduled run returns the existing
    version 1 when the (scope, month) has a pack already; otherwise the next version is made."""
    now = now or timezone.now()
    month = month.replace(day=1)
    company = Company.objects.get(pk=scope.company_id)
    if trigger == PackTrigger.SCHEDULE and (
        first := packs_of(scope=scope, month=month).order_by("version").first()
    ):
        return first
    rules = pack_rules_for(company=company)
    branch, project = _scope_nodes(scope)
    with translation.override(settings.LANGUAGE_CODE):
        content = pack_content(scope=scope, month=month, limit=rules.list_limit, now=now)
        for _attempt in range(VERSION_ATTEMPTS):
            previous = packs_of(scope=scope, month=month).order_by("-version").first()
            if previous is not None and trigger == PackTrigger.SCHEDULE:
                return packs_of(scope=scope, month=month).order_by("version").first() or previous
            try:
                with transaction.atomic():
                    pack = MonthlyPack.objects.create(
                        company=company,
                        scope_kind=scope.kind,
                        scope_key=scope.key,
                        scope_label=scope.label,
                        branch=branch,
                        project=project,
                        month=month,
                        version=previous.version + 1 if previous else 1,
                        trigger=trigger,
                        generated_at=now,
                        generated_by=actor if getattr(actor, "pk", None) else None,
                        figures=content.figures,
                        lists=content.lists,
                        corrections=content.corrections,
                        change_note=(
                            change_note(previous=previous, content=content, note=note)
                            if previous
                            else note.strip()
                        ),
                    )
                    _write_files(pack)
                    if send_email:
                        _deliveries(pack, scope)
                    if actor is not None and getattr(actor, "pk", None):
                        audit_record(
                            actor=actor,
                            action=AuditEntry.Action.CREATE,
                            obj=pack,
                            after={"scope": scope.key, "month": f"{month:%Y-%m}", "version": pack.version},
                        )
            except IntegrityError:
                logger.info("pack %s %s: made by another worker meanwhile", scope.key, f"{month:%Y-%m}")
                continue
            return pack
    raise DomainError("analytics.pack_busy", _("The pack is being made by someone else; try again."))


def pack_regenerate(
    *, scope: MetricScope, month: date, actor: Any, note: str, now: datetime | None = None
) -> MonthlyPack:
    """A person makes the month's pack again: the next version, with what changed and why."""
    branch, project = _scope_nodes(scope)
    require(actor, "analytics.pack.regenerate", project=project, branch=None if project else branch)
    if not note.strip():
        raise DomainError(
            "analytics.pack_note_required",
            _("Say why the pack is made again."),
            fields={"note": [_("This field is required.")]},
        )
    return pack_generate(
        scope=scope, month=month, actor=actor, trigger=PackTrigger.REGENERATE, note=note, now=now
    )


# --- sending -----------------------------------------------------------------------------------------------


def _email(delivery: PackDelivery) -> EmailMessage:
    pack = delivery.pack
    language = getattr(delivery.user, "preferred_language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("Monthly pack %(month)s: %(scope)s") % {
            "month": f"{pack.month:%Y-%m}",
            "scope": pack.scope_label,
        }
        if pack.version > 1:
            subject += " " + _("(version %(version)d)") % {"version": pack.version}
        link = settings.ESTATEDESK_PUBLIC_URL.rstrip("/") + reverse("analytics:pack_detail", args=[pack.pk])
        body = "\n\n".join(
            part
            for part in (
                _("The monthly pack of %(scope)s for %(month)s is attached (PDF).")
                % {"scope": pack.scope_label, "month": f"{pack.month:%Y-%m}"},
                pack.change_note,
                _("The pack, its workbook and earlier packs: %(link)s") % {"link": link},
            )
            if part
        )
    message = EmailMessage(
        subject.replace("\n", " ")[:200],
        body,
        to=[delivery.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    with pack.pdf.open("rb") as handle:
        message.attach((pack.pdf.name or "pack.pdf").rsplit("/", 1)[-1], handle.read(), "application/pdf")
    return message


def pack_delivery_send(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Email one recipient their pack with the PDF attached; True when the mail server accepted it. The row
    is claimed first (a conditional UPDATE on a pending row not claimed within CLAIM_TIMEOUT): a duplicated
    task sends nothing; a failed send leaves it pending for the hourly job to try again."""
    now = now or timezone.now()
    claimed = (
        PackDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .filter(Q(sent_at__isnull=True) | Q(sent_at__lt=now - CLAIM_TIMEOUT))
        .update(sent_at=now)  # while pending, sent_at is the claim's time
    )
    if not claimed:
        return False
    delivery = PackDelivery.objects.select_related("pack", "user").get(pk=delivery_id)
    try:
        _email(delivery).send()
    except Exception:  # noqa: BLE001 - any transport failure: pending again, retried by the hourly job
        logger.warning("pack delivery %s: the mail server refused it", delivery_id, exc_info=True)
        PackDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(sent_at=None)
        return False
    PackDelivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    return True


def pack_deliveries_retry(*, now: datetime | None = None) -> int:
    """Enqueue a send for every pending delivery not claimed, or claimed too long ago (its worker died or
    its task was lost); the number enqueued."""
    now = now or timezone.now()
    ids = list(
        PackDelivery.objects.filter(status=DeliveryStatus.PENDING, pack__generated_at__lt=now - CLAIM_TIMEOUT)
        .filter(Q(sent_at__isnull=True) | Q(sent_at__lt=now - CLAIM_TIMEOUT))
        .values_list("pk", flat=True)[:500]
    )
    if ids:
        _enqueue_deliveries(ids)
    return len(ids)


def pack_delivery_open(*, pack: MonthlyPack, user: Any, now: datetime | None = None) -> None:
    """Record the recipient's first opening of the pack (nothing for anyone else, nothing the second time)."""
    PackDelivery.objects.filter(pack=pack, user_id=user.pk, opened_at__isnull=True).update(
        opened_at=now or timezone.now()
    )


# --- the scheduled run -------------------------------------------------------------------------------------


def _due_at(rules: PackRules, now: datetime) -> datetime:
    """When this month's packs are due: send_day at send_time, company time (settings.TIME_ZONE)."""
    local = timezone.localtime(now, timezone.get_default_timezone())
    day = local.date().replace(day=rules.send_day)
    return datetime.combine(day, rules.send_time, timezone.get_default_timezone())


def scheduled_scopes(*, company: Company, month: date) -> list[MetricScope]:
    """The company and each branch open in the month (active ones, and those closed during it)."""
    period = Period.month(month)
    branches = (
        Branch.objects.filter(company=company)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=period.start))
        .filter(Q(opened_on__isnull=True) | Q(opened_on__lt=period.end))
        .order_by("code")
    )
    return [company_scope(company), *(branch_scope(branch) for branch in branches)]


def monthly_packs_make(*, now: datetime | None = None) -> list[MonthlyPack]:
    """The scheduled run (hourly): once the company-time clock is past send_day at send_time of the current
    month, version 1 of last month's pack of the company and of each branch, those made already skipped.
    A run that did not happen on the day is caught up by the next tick; several workers at once make each
    pack once (pack_generate). A scope that fails is logged and tried again at the next tick."""
    now = now or timezone.now()
    month = last_closed_month(now).start
    made: list[MonthlyPack] = []
    for company in Company.objects.order_by("id"):
        rules = pack_rules_for(company=company)
        if not rules.is_active or now < _due_at(rules, now):
            continue
        for scope in scheduled_scopes(company=company, month=month):
            if packs_of(scope=scope, month=month).exists():
                continue
            try:
                made.append(pack_generate(scope=scope, month=month, trigger=PackTrigger.SCHEDULE, now=now))
            except Exception:
                logger.exception("monthly pack %s %s failed; tried again at the next run", scope.key, month)
    pack_deliveries_retry(now=now)
    return made


# --- the worker's side (tasks live beside the code they run, as owners.import_runs' do) --------------------


@task()
def pack_delivery_send_task(*, delivery_id: int) -> bool:
    """Email one recipient their pack with the PDF attached (pack_delivery_send)."""
    return pack_delivery_send(delivery_id=delivery_id)
