"""Reads of customer feedback, always scoped; lists filter and search in SQL with a bounded number of
queries whatever the number of items."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from estatedesk.common.months import month_bounds
from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.feedback import events, queues, search
from estatedesk.feedback.choices import OPEN_STATUSES, SlaClock, Status
from estatedesk.feedback.clocks import CLOCK_COLUMNS, running_clocks
from estatedesk.feedback.models import ExecutionRecord, FeedbackItem, TimelineEvent
from estatedesk.feedback.workflow import RECORD_PARTS, Step, available_steps, record_next_part
from estatedesk.org import selectors as org_selectors
from estatedesk.org.models import Project, Unit
from estatedesk.org.permissions import can, projects_with
from estatedesk.owners.contacts import mask_phone, normalize_phone
from estatedesk.owners.models import Resident, ResidentPhone


@dataclass(frozen=True)
class ItemFilters:
    status: str = ""
    kind: str = ""
    category: str = ""
    channel: str = ""
    project: str = ""  # project code
    building: int | None = None
    assignee: int | None = None  # supervisor or executor
    overdue: bool = False
    open_only: bool = False
    search: str = ""
    month: date | None = None  # registered in that month (first day), company time zone
    queue: str = ""  # a work queue's name (queues.QUEUES); its order replaces newest first


def item_list(
    *, user: Any, filters: ItemFilters | None = None, now: datetime | None = None
) -> QuerySet[FeedbackItem]:
    filters = filters or ItemFilters()
    now = now or timezone.now()
    queryset = FeedbackItem.objects.visible_to(user).select_related(
        "project", "building", "unit", "supervisor", "executor"
    )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.open_only:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    for name in ("kind", "category", "channel"):
        value = getattr(filters, name)
        if value:
            queryset = queryset.filter(**{name: value})
    if filters.project:
        # the project's id by a scalar subquery, not a join on its code: so the database reads the item
        # indexes that start with the project (with the join, PostgreSQL walked every item's date and
        # filtered the project's out: 7 ms for a project's closed items at a million; bench/ANALYSIS.md)
        project = Project.objects.filter(code=filters.project).values("pk")[:1]
        queryset = queryset.filter(project_id=Subquery(project))
    if filters.building:
        queryset = queryset.filter(building_id=filters.building)
    if filters.assignee:
        queryset = queryset.filter(Q(supervisor_id=filters.assignee) | Q(executor_id=filters.assignee))
    if filters.overdue:
        overdue = Q()
        for due, done in CLOCK_COLUMNS.values():
            overdue |= Q(**{f"{due}__lt": now, f"{done}__isnull": True})
        queryset = queryset.filter(status__in=OPEN_STATUSES).filter(overdue)
    if filters.search:
        queryset = queryset.filter(search_condition(filters.search))
    if filters.month:
        start, end = month_bounds(filters.month)
        queryset = queryset.filter(registered_at__gte=start, registered_at__lt=end)
    return queues.in_queue(queryset, name=filters.queue, user=user, now=now)


# What a row of the staff list shows: reading only these columns (and no assignees) halves the page's cost
LIST_ROW_FIELDS = (
    "reference",
    "title",
    "status",
    "channel",
    "is_major",
    "is_hot",
    "project__name",
    "unit__label",
    "contact_due_at",
    "contacted_at",
    "arrange_due_at",
    "arranged_at",
    "action_due_at",
    "acted_at",
    "resolution_due_at",
    "customer_informed_at",
)


def item_list_rows(
    *, user: Any, filters: ItemFilters | None = None, now: datetime | None = None
) -> QuerySet[FeedbackItem]:
    """`item_list` for the staff list page: paged and counted as it is (no joins), its page read by
    `list_rows` as values."""
    return item_list(user=user, filters=filters, now=now).select_related(None)


class ListRow(SimpleNamespace):
    """A row of the staff list: the columns of `LIST_ROW_FIELDS` as attributes, a related one by its
    lookup (`project__name`, `unit__label`); `next_deadline` and `running_clocks` read it as an item."""

    reference: str
    title: str
    status: str
    channel: str
    is_major: bool
    is_hot: bool
    project__name: str
    unit__label: str | None


def list_rows(page: QuerySet[FeedbackItem], *, now: datetime | None = None) -> list[tuple[ListRow, Any]]:
    """(row, its next deadline) for each item of a page of `item_list_rows`, read as values
    (`LIST_ROW_FIELDS`): no model instances, three per row with the project and unit, for a page that
    only prints them."""
    now = now or timezone.now()
    rows = [ListRow(**row) for row in page.values(*LIST_ROW_FIELDS)]
    return [(row, next_deadline(row, now=now)) for row in rows]


# What a row of the API list shows (api.ItemOutput): 30 of the item's columns and the names of its place and
# assignees, not every column of six tables (their dates alone cost more than printing the rows)
API_ROW_FIELDS = (
    "reference",
    "title",
    "description",  # a customer's title is made from it
    "status",
    "channel",
    "kind",
    "category",
    "priority",
    "registered_at",
    "rating",
    "version",
    "is_major",
    "is_hot",
    "is_paid_service",
    "is_quality_problem",
    "escalation_level",
    "reported_to_hq_at",
    *(column for pair in CLOCK_COLUMNS.values() for column in pair),
    "project__code",
    "building__name",
    "unit__label",
)
# the assignees' names, read by a second query (`api_rows`)
API_PEOPLE = ("supervisor", "executor")
API_ROW_COLUMNS = ("id", "project_id", "supervisor_id", "executor_id", *API_ROW_FIELDS)


def api_rows(items: QuerySet[FeedbackItem]) -> list[dict[str, Any]]:
    """Items (`item_list`, or a page of it) as the API list's rows: {column: value} of API_ROW_COLUMNS and
    the assignees' name columns (`supervisor__display_name`, …; api._item_row). Building four model
    instances per row cost more than the query; the assignees' names come by a second query for the
    page's people, as joining the user table twice cost PostgreSQL 3.5 ms of planning (bench/ANALYSIS.md)."""
    rows = list(items.values(*API_ROW_COLUMNS))
    ids = {row[f"{relation}_id"] for row in rows for relation in API_PEOPLE} - {None}
    names = ("display_name", "first_name", "last_name", "username")
    people = (
        {person["pk"]: person for person in get_user_model().objects.filter(pk__in=ids).values("pk", *names)}
        if ids
        else {}
    )
    for row in rows:
        for relation in API_PEOPLE:
            person = people.get(row[f"{relation}_id"], {})
            for name in names:
                row[f"{relation}__{name}"] = person.get(name)
    return rows


def search_condition(text: str) -> Q:
    """A reference ("QD-HJ-20261126-0007"), a phone number, or words of the title and description: every
    word must be in the item (a Chinese word of two characters and more as its pairs of characters, a
    single character or a Latin word as the start of a word; full-width and half-width alike)."""
    text = text.strip()
    if re.fullmatch(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*-\d{8}-\d{4}", text):
        return Q(reference=text.upper())
    digits = re.sub(r"\D", "", text)
    if digits and len(digits) >= 7 and len(digits) == len(re.sub(r"[\s\-+()]", "", text)):
        number = normalize_phone(text)
        # a subquery, not a join: a resident with several phones must not list the item several times
        return Q(contact_phone=number) | Q(
            resident__in=ResidentPhone.objects.filter(number=number).values("resident_id")
        )
    indexed = search.index_condition(text)
    if indexed is not None:
        return indexed  # the words through the database's index (feedback/search.py, ADR 0019)
    condition = Q()  # punctuation only, or a database without the index: the words as LIKE
    for word in text.split()[: search.MAX_WORDS]:
        condition &= Q(title__icontains=word) | Q(description__icontains=word)
    return condition


ITEM_RELATED = (
    "project__branch",
    "building",
    "unit",
    "resident",
    "department",
)
# the item's people, read by a second query (`item_get_for_user`)
ITEM_PEOPLE = ("supervisor", "executor", "registered_by")


def item_get_for_user(*, user: Any, reference: str, with_record: bool = False) -> FeedbackItem:
    """`with_record`: its execution record read in the same query, for a page that only shows the item
    (after a write to the record, `execution_record_for` would answer what was read here); such a page
    needs no more of the project's branch than its id (the roles held there), so the branch is not read.

    Its supervisor, executor and registrar come by a second query: joined as three more tables, PostgreSQL
    spent 5.7 ms planning the ten-table query for 0.6 ms of work (1.4 ms with seven; bench/ANALYSIS.md)."""
    related = ("project", *ITEM_RELATED[1:], "execution_record") if with_record else ITEM_RELATED
    item = get_for_user_or_404(FeedbackItem.objects.select_related(*related), user=user, reference=reference)
    fields = [cast(models.ForeignKey[Any, Any], FeedbackItem._meta.get_field(name)) for name in ITEM_PEOPLE]
    ids = {getattr(item, field.attname) for field in fields} - {None}
    people = get_user_model().objects.in_bulk(ids) if ids else {}
    for field in fields:
        person_id = getattr(item, field.attname)
        field.set_cached_value(item, people.get(person_id) if person_id is not None else None)
    return item


def item_viewer_is_staff(*, user: Any, item: FeedbackItem) -> bool:
    """Does the user see the item as staff of its project? A staff member elsewhere who lives here sees
    their own item as a customer does."""
    scope = scope_for(user)
    return scope.is_global or item.project_id in scope.project_ids


def item_timeline(*, user: Any, item: FeedbackItem) -> QuerySet[TimelineEvent]:
    """Staff of the item's project see every event; the customer only the public ones."""
    events = item.events.select_related("actor").order_by("at", "id")
    if not item_viewer_is_staff(user=user, item=item):
        events = events.filter(is_public=True)
    return events


def item_steps(*, user: Any, item: FeedbackItem) -> list[Step]:
    roles = scope_for(user).roles_at(project_id=item.project_id, branch_id=item.project.branch_id)
    return available_steps(status=item.status, kind=item.kind, roles=roles)


def step_assignee_choices(*, item: FeedbackItem, step: Step) -> list[tuple[int, str]]:
    """Whom the step may assign the item to (workflow.Step.assignee), as (user id, label); [] when the
    step assigns nobody. The service refuses anyone else."""
    if step.assignee is None:
        return []
    return org_selectors.project_people(project=item.project, roles=step.assignee.roles)


@dataclass(frozen=True)
class StepNeeds:
    """A step open to the user with what it asks for: the table's step and the people it may assign."""

    step: Step
    assignee_choices: list[tuple[int, str]]


def item_step_needs(*, user: Any, item: FeedbackItem) -> list[StepNeeds]:
    return [
        StepNeeds(step=step, assignee_choices=step_assignee_choices(item=item, step=step))
        for step in item_steps(user=user, item=item)
    ]


def clock_states(*, item: FeedbackItem, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each SLA clock with its due time, whether it is met, and the time left or overdue."""
    now = now or timezone.now()
    rows = []
    for clock, (due_column, done_column) in CLOCK_COLUMNS.items():
        due, done = getattr(item, due_column), getattr(item, done_column)
        if due is None:
            continue
        rows.append(
            {
                "clock": clock,
                "due_at": due,
                "done_at": done,
                "met": done is not None and done <= due,
                "overdue": (done or now) > due,
                "seconds_left": int((due - now).total_seconds()) if done is None else None,
            }
        )
    return rows


# --- what the staff pages show: deadlines, clocks, the caller's items, the contact phone ----------------

RECENT_ITEMS = 10


@dataclass(frozen=True)
class Deadline:
    clock: str
    label: str
    due_at: datetime
    seconds_left: int

    @property
    def is_overdue(self) -> bool:
        return self.seconds_left < 0

    @property
    def is_close(self) -> bool:
        return 0 <= self.seconds_left < 3600

    @property
    def text(self) -> str:
        texts = _texts()
        if self.is_overdue:
            return texts["overdue"] % {"duration": duration_text(-self.seconds_left)}
        return texts["left"] % {"duration": duration_text(self.seconds_left)}


# {language: {name: translated text}}: the clocks' labels and the deadline texts, translated once per
# language (a list of 50 open items asked for 150 translations of the same eight strings)
_TEXTS: dict[str | None, dict[str, str]] = {}


def _texts() -> dict[str, str]:
    language = get_language()
    texts = _TEXTS.get(language)
    if texts is None:
        texts = {clock.value: str(clock.label) for clock in SlaClock}
        texts |= {
            "overdue": _("overdue %(duration)s"),
            "left": _("%(duration)s left"),
            "days": _("%(days)d d %(hours)d h"),
            "hours": _("%(hours)d h %(minutes)d min"),
            "minutes": _("%(minutes)d min"),
            "under a minute": _("under a minute"),
        }
        _TEXTS[language] = texts
    return texts


def next_deadline(item: FeedbackItem | ListRow, *, now: datetime | None = None) -> Deadline | None:
    """The most pressing clock still running (from the indexed due columns; no query)."""
    if item.status in (Status.CLOSED, Status.CANCELLED):
        return None
    now = now or timezone.now()
    running = [(due, clock) for clock, due in running_clocks(item).items()]
    if not running:
        return None
    due, clock = min(running)
    return Deadline(
        clock=clock,
        label=_texts()[clock],
        due_at=due,
        seconds_left=int((due - now).total_seconds()),
    )


def duration_text(seconds: int) -> str:
    """3 d 4 h · 2 h 5 min · 12 min · under a minute."""
    minutes = max(0, seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _texts()["days"] % {"days": days, "hours": hours}
    if hours:
        return _texts()["hours"] % {"hours": hours, "minutes": minutes}
    if minutes:
        return _texts()["minutes"] % {"minutes": minutes}
    return _texts()["under a minute"]


def clock_rows(*, item: FeedbackItem, now: datetime | None = None) -> list[dict[str, Any]]:
    """`clock_states` with the labels and texts the page shows."""
    now = now or timezone.now()
    rows = []
    for state in clock_states(item=item, now=now):
        if state["done_at"] is not None:
            text = _("done in time") if state["met"] else _("done late")
        elif state["overdue"]:
            text = _("overdue %(duration)s") % {"duration": duration_text(-state["seconds_left"])}
        else:
            text = _("%(duration)s left") % {"duration": duration_text(state["seconds_left"])}
        rows.append({**state, "label": SlaClock(state["clock"]).label, "text": text})
    return rows


def resident_for_contact(*, user: Any, project: Project, unit: Unit | None, phone: str) -> Resident | None:
    """The resident on file with this phone at this project (an occupant of the unit first), if any."""
    number = normalize_phone(phone)
    if not number:
        return None
    candidates = (
        Resident.objects.visible_to(user)
        .filter(phones__number=number, occupancies__ended_on__isnull=True, occupancies__unit__project=project)
        .distinct()
    )
    if unit is not None:
        occupant = candidates.filter(occupancies__unit=unit, occupancies__ended_on__isnull=True).first()
        if occupant is not None:
            return occupant
    return candidates.order_by("pk").first()


# What the hotline screen shows of a caller's items and of the likely duplicates (feedback/_hotline_*.html):
# the rows are read with these columns only (an item has some forty, a dozen of them times to convert).
CALLER_ROW_FIELDS = ("reference", "title", "status", "registered_at", "unit__label")


def caller_recent_items(*, user: Any, residents: list[Resident], phone: str) -> list[FeedbackItem]:
    """The caller's latest items (as the resident, or from the same number), newest first."""
    number = normalize_phone(phone)
    condition = Q(resident__in=[r.pk for r in residents])
    if number:
        condition |= Q(contact_phone=number)
    return list(
        FeedbackItem.objects.visible_to(user)
        .filter(condition)
        .select_related("unit")
        .only(*CALLER_ROW_FIELDS)
        .order_by("-registered_at", "-id")[:RECENT_ITEMS]
    )


def item_contact_phone(*, user: Any, item: FeedbackItem) -> str:
    """The item's contact phone, in full for the roles that call owners at its project (owners.privacy)."""
    if not item.contact_phone:
        return ""
    projects = projects_with(user, "owners.phone.full")
    if projects is None or item.project_id in projects:
        return item.contact_phone
    return mask_phone(item.contact_phone)


# --- the execution record (附表二, R-FB-8): one reading for the page, the PDF and the API ------------------

# The printed form is bilingual, so its labels are fixed text in both languages, not translated: the same
# on screen and on paper whatever the interface language.
RECORD_TITLE = (
    "附表二 物业质量反馈意见执行调查表",
    "Appendix 2 · Property quality feedback execution record",
)
RECORD_LABELS = {
    "customer": ("客户名称", "Customer"),
    "feedback": ("反馈意见", "Feedback"),
    "qa_opinion": ("品质部意见", "QA department's opinion"),
    "office_record": ("管理处执行记录", "Management office's execution record"),
    "qa_acceptance": ("品质部验收", "QA acceptance"),
    "customer_acceptance": ("客户验收", "Customer acceptance"),
    "executor_name": ("执行人", "Executor"),
    "executed_at": ("执行时间", "Execution time"),
}
TALL_ROWS = frozenset({"feedback", "qa_opinion", "office_record", "qa_acceptance", "customer_acceptance"})


def bilingual(name: str) -> str:
    chinese, english = RECORD_LABELS[name]
    return f"{chinese} {english}"


@dataclass(frozen=True)
class RecordRow:
    """A row of 附表二: its fixed bilingual heading, the value as stored, and who signed it and when."""

    name: str
    chinese: str
    english: str
    value: str
    tall: bool = False  # a box with room to write by hand
    signed: str = ""  # "name · YYYY-MM-DD HH:MM" for a signed part (R-FB-8's sign-offs)


SIGNERS = ("qa_opinion_by", "office_record_by", "qa_acceptance_by")


def execution_record_for(*, item: FeedbackItem) -> ExecutionRecord | None:
    """The item's record, its signers read with it. Most items have none (one cheap query), and most
    records are not signed yet: the signers are read only when there are some (one query for all)."""
    joined = FeedbackItem._meta.get_field("execution_record")
    if joined.is_cached(item):  # read with the item (item_get_for_user(with_record=True)); None: it has none
        record = cast(ExecutionRecord | None, joined.get_cached_value(item))  # type: ignore[union-attr]
    else:
        record = next(iter(ExecutionRecord.objects.filter(item_id=item.pk)[:1]), None)
    if record is None:
        return None
    ids = {getattr(record, f"{name}_id") for name in SIGNERS} - {None}
    people = get_user_model().objects.in_bulk(ids) if ids else {}
    for name in SIGNERS:
        setattr(record, name, people.get(getattr(record, f"{name}_id")))
    record.item = item
    return record


def _local(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _record_values(item: FeedbackItem, record: ExecutionRecord | None) -> dict[str, str]:
    customer = item.contact_name or (item.resident.name if item.resident else "")
    place = item.unit.label if item.unit else (item.building.name if item.building else "")
    feedback = item.description
    if item.title and not item.description.startswith(item.title):
        feedback = f"{item.title}\n{item.description}"
    values = {"customer": " · ".join(part for part in (customer, place) if part), "feedback": feedback}
    for name in ("qa_opinion", "office_record", "qa_acceptance", "customer_acceptance", "executor_name"):
        values[name] = getattr(record, name) if record else ""
    values["executed_at"] = _local(record.executed_at) if record else ""
    return values


def _signed(record: ExecutionRecord | None) -> dict[str, str]:
    """{the signed field: "who · when"} of the parts signed so far."""
    if record is None:
        return {}
    signed = {}
    for part in RECORD_PARTS.values():
        at = getattr(record, part.signed_at)
        if at is None:
            continue
        who = getattr(record, part.signed_by) if part.signed_by else None  # the customer: no account named
        signed[part.fields[0]] = f"{who} · {_local(at)}" if who is not None else _local(at)
    return signed


_UNREAD: Any = object()  # `record` not given: read it here (None means the item has no record yet)


def execution_record_rows(*, item: FeedbackItem, record: ExecutionRecord | None = _UNREAD) -> list[RecordRow]:
    """The eight rows of 附表二 in the form's order, as stored (the workflow fills the executor and the
    time, the customer's rating the customer acceptance): what the item page and the PDF both show.
    `record`: the item's record when the caller has read it (`execution_record_for`)."""
    record = execution_record_for(item=item) if record is _UNREAD else record
    values = _record_values(item, record)
    signed = _signed(record)
    return [
        RecordRow(
            name=name,
            chinese=chinese,
            english=english,
            value=values[name],
            tall=name in TALL_ROWS,
            signed=signed.get(name, ""),
        )
        for name, (chinese, english) in RECORD_LABELS.items()
    ]


def execution_record_writable(*, user: Any, item: FeedbackItem, record: ExecutionRecord | None) -> list[str]:
    """The fields of the execution record the user may write now: those of the parts their role signs
    (QA: its opinion and acceptance; the management office: its record, executor and time), less a part
    already signed off by the one after it. Customer acceptance is never typed by staff."""
    writable: list[str] = []
    for part in RECORD_PARTS.values():
        if part.capability is None or not can(user, part.capability, project=item.project):
            continue
        following = record_next_part(part)
        if record is not None and following is not None and getattr(record, following.signed_at):
            continue
        writable += part.fields
    return writable


def timeline_rows(*, user: Any, item: FeedbackItem) -> list[events.Description]:
    """Who did what and when, in words (`events.describe`): a customer sees the customer's view."""
    return events.describe_all(
        item_timeline(user=user, item=item),
        for_customer=not item_viewer_is_staff(user=user, item=item),
        known=(item.supervisor, item.executor, item.registered_by),
    )


# --- the hotline screen and the resident's page (issue 11) ----------------------------------------------

DUPLICATES_SHOWN = 5
RESIDENT_HISTORY_SHOWN = 50


def likely_duplicates(*, user: Any, unit_id: int | None, category: str) -> list[FeedbackItem]:
    """Open items of the same unit and category the user sees, newest first: a caller ringing again about
    the same problem (the hotline warns before a second item is registered)."""
    if not unit_id or not category:
        return []
    return list(
        FeedbackItem.objects.visible_to(user)
        .filter(unit_id=unit_id, category=category, status__in=OPEN_STATUSES)
        .select_related("unit")
        .only(*CALLER_ROW_FIELDS)
        .order_by("-registered_at", "-id")[:DUPLICATES_SHOWN]
    )


def resident_feedback_history(
    *, user: Any, resident: Resident, limit: int = RESIDENT_HISTORY_SHOWN
) -> list[FeedbackItem]:
    """The resident's items the user sees (their project's staff: every one; the owner: their own), newest
    first."""
    return list(
        FeedbackItem.objects.visible_to(user)
        .filter(resident=resident)
        .select_related("project", "unit")
        .order_by("-registered_at", "-id")[:limit]
    )
