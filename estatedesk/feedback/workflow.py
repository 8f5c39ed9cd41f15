"""The R-FB path as data, decided here and nowhere else (ADR 0008).

registered → supervisor contacted → handling opinion recorded → arranged by the project manager →
in progress → handled → customer service informed → customer informed → closed; reopen; cancel.
Inquiries and praise may be answered at once (registered → customer informed).

Each `Step` says who takes it, from which states to which, for which kinds, what it asks for (a note, how
the customer was told, an assignee), what it writes (timestamps, the execution record), which SLA clocks
it starts, stops or restarts (R-FB-2, R-FB-4), whether the customer sees it, and the rules that are real
rules (a `Check`). `services.feedback_item_step` interprets the table; the step forms, the pages, the API
and the owner portal read it. Nothing here touches the database except through the item a check is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from estatedesk.feedback.choices import Category, InformedBy, Kind, SlaClock, Status
from estatedesk.org.choices import Role

CS = frozenset({Role.CS_AGENT, Role.CS_SUPERVISOR})
SUPERVISORS = frozenset({Role.CS_SUPERVISOR, Role.DEPT_SUPERVISOR})
MANAGERS = frozenset({Role.PROJECT_MANAGER})
WORKERS = frozenset({Role.EXECUTOR, Role.DEPT_SUPERVISOR, Role.PROJECT_MANAGER})
REOPENERS = frozenset({Role.CS_SUPERVISOR, Role.PROJECT_MANAGER})
ENDED = frozenset({Status.CLOSED, Status.CANCELLED})


@dataclass(frozen=True)
class Note:
    """The text a step asks for: its label on the form, whether it is required, the item column it is
    kept in (besides the timeline), and the error when it is missing."""

    label: Promise
    required: bool = True
    column: str = ""
    error_code: str = "feedback.note_required"
    error_message: Promise = _("This field is required.")


@dataclass(frozen=True)
class Assignee:
    """Whom a step may assign the item to: `field` is the item's foreign key ("supervisor", "executor"),
    the step form's field and, with "_id", the key in the step's data; `roles` those eligible at the
    project."""

    field: str
    label: Promise
    roles: frozenset[str]
    required: bool = False

    @property
    def data_key(self) -> str:
        return f"{self.field}_id"


@dataclass(frozen=True)
class Check:
    """A rule a step must pass, named: `passes(item)` on the locked item; otherwise a 409 with this code
    and message."""

    name: str
    passes: Callable[[Any], bool]
    code: str
    message: Promise


def _talk_recorded_if_staff_attitude(item: Any) -> bool:
    return item.category != Category.STAFF_ATTITUDE or item.staff_talks.exists()


# R-FB-4: a problem of staff service attitude leads to a recorded talk with, or criticism of, the employee
TALK_BEFORE_CLOSING = Check(
    "talk_before_closing",
    _talk_recorded_if_staff_attitude,
    "feedback.staff_talk_required",
    _(
        "A staff-attitude problem can be closed only after a talk with, or criticism of, the employee is "
        "recorded."
    ),
)

# A clock that a step starts runs only for the items it concerns: R-FB-4's action clock only for a
# concrete quality problem. Clocks not named here concern every item.
CLOCK_CONCERNS: dict[str, Callable[[Any], bool]] = {
    SlaClock.ACTION: lambda item: bool(item.is_quality_problem),
}


def clock_concerns(clock: str, item: Any) -> bool:
    concerns = CLOCK_CONCERNS.get(clock)
    return concerns is None or concerns(item)


# the note of "handling done", alone or with telling customer service (kept in the item's result)
WHAT_WAS_DONE = Note(
    _("What was done"),
    column="result",
    error_code="feedback.result_required",
    error_message=_("Describe what was done."),
)


@dataclass(frozen=True)
class Step:
    name: str
    label: Promise
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    kinds: frozenset[str] = frozenset()  # empty: every kind
    note: Note | None = None  # None: the form has no note (one may still be sent for the timeline)
    asks_informed_by: bool = False  # R-FB-5: how the customer was told, one of choices.InformedBy
    assignee: Assignee | None = None
    stamps: tuple[str, ...] = ()  # item columns set to the step's time, when still empty
    starts: tuple[str, ...] = ()  # SLA clocks started at the step's time (if not started before)
    stops: tuple[str, ...] = ()  # SLA clocks stopped at the step's time (if running)
    restarts: tuple[str, ...] = ()  # SLA clocks started again; a new cycle of escalation levels begins
    clears: tuple[str, ...] = ()  # item columns emptied
    fills_record: tuple[str, ...] = ()  # execution-record fields (附表二) filled from the step, when empty
    is_public: bool = False  # the customer sees it in the portal (R-FB-5)
    checks: tuple[Check, ...] = ()
    # who hears of it: "supervisor", "executor" (the assignee), "project_managers", "customer_service",
    # "customer" (R-FB-5: by email and in the portal)
    tells: tuple[str, ...] = ()

    def is_possible(self, *, status: str, kind: str) -> bool:
        return status in self.sources and (not self.kinds or kind in self.kinds)

    @property
    def informed_by_choices(self) -> list[tuple[str, Any]]:
        return list(InformedBy.choices) if self.asks_informed_by else []


STEPS: dict[str, Step] = {
    step.name: step
    for step in [
        Step(
            "contact_supervisor",
            _("Supervisor contacted"),
            frozenset({Status.REGISTERED}),
            Status.SUPERVISOR_CONTACTED,
            CS,
            assignee=Assignee("supervisor", _("Supervisor"), SUPERVISORS),
            stamps=("contacted_at",),  # R-FB-2: stops the contact clock
            tells=("supervisor",),
        ),
        Step(
            "record_opinion",
            _("Record the handling opinion"),
            frozenset({Status.SUPERVISOR_CONTACTED}),
            Status.OPINION_RECORDED,
            SUPERVISORS,
            note=Note(
                _("Handling opinion"),
                column="handling_opinion",
                error_code="feedback.opinion_required",
                error_message=_("Write the handling opinion."),
            ),
            stamps=("opinion_recorded_at",),
            # R-FB-4: the project manager receives the opinion: arrange at once, act within minutes
            starts=(SlaClock.ARRANGE, SlaClock.ACTION),
            tells=("project_managers",),
        ),
        Step(
            "arrange",
            _("Arrange handling"),
            frozenset({Status.OPINION_RECORDED}),
            Status.ARRANGED,
            MANAGERS,
            assignee=Assignee("executor", _("Executor"), WORKERS),
            stamps=("arranged_at",),  # stops the arrange clock
            fills_record=("executor_name",),
            tells=("executor",),
        ),
        Step(
            "start",
            _("Start work"),
            frozenset({Status.ARRANGED}),
            Status.IN_PROGRESS,
            WORKERS,
            stops=(SlaClock.ACTION,),  # R-FB-4: the quality problem is acted on
        ),
        Step(
            "complete",
            _("Handling done"),
            frozenset({Status.IN_PROGRESS}),
            Status.HANDLED,
            WORKERS,
            note=WHAT_WAS_DONE,
            stamps=("handled_at",),
            fills_record=("executed_at",),
            tells=("customer_service",),
        ),
        Step(
            # R-FB-5 "when handling is done the CS department is told at once": both in one action, for
            # the executor on site (issue 11); the same note, stamps and record as "complete"
            "complete_and_inform_cs",
            _("Handling done, tell customer service"),
            frozenset({Status.IN_PROGRESS}),
            Status.CS_INFORMED,
            WORKERS,
            note=WHAT_WAS_DONE,
            stamps=("handled_at",),
            fills_record=("executed_at",),
            tells=("customer_service",),
        ),
        Step(
            "inform_cs",
            _("Tell customer service"),
            frozenset({Status.HANDLED}),
            Status.CS_INFORMED,
            WORKERS | CS,
            tells=("customer_service",),
        ),
        Step(
            "inform_customer",
            _("Customer informed"),
            frozenset({Status.CS_INFORMED}),
            Status.CUSTOMER_INFORMED,
            CS,
            note=Note(
                _("What the customer was told"),
                error_code="feedback.feedback_required",
                error_message=_("Record what the customer was told and how."),
            ),
            asks_informed_by=True,
            stamps=("customer_informed_at",),  # R-FB-5; stops the resolution clock
            is_public=True,
            tells=("customer",),
        ),
        Step(
            "answer",
            _("Answered at once"),
            frozenset({Status.REGISTERED}),
            Status.CUSTOMER_INFORMED,
            CS,
            kinds=frozenset({Kind.INQUIRY, Kind.PRAISE}),
            note=Note(
                _("What the customer was told"),
                error_code="feedback.feedback_required",
                error_message=_("Record what the customer was told and how."),
            ),
            asks_informed_by=True,
            stamps=("customer_informed_at",),
            stops=(SlaClock.CONTACT,),  # answered at once: the contact clock is met, not left running
            is_public=True,
            tells=("customer",),
        ),
        Step(
            "close",
            _("Close"),
            frozenset({Status.CUSTOMER_INFORMED}),
            Status.CLOSED,
            CS,
            stamps=("closed_at",),
            is_public=True,
            checks=(TALK_BEFORE_CLOSING,),
        ),
        Step(
            "reopen",
            _("Reopen"),
            frozenset({Status.CUSTOMER_INFORMED, Status.CLOSED}),
            Status.REGISTERED,
            REOPENERS,
            note=Note(
                _("Why it is reopened"),
                error_code="feedback.reason_required",
                error_message=_("Say why it is reopened."),
            ),
            restarts=(SlaClock.RESOLUTION,),
            clears=("closed_at", "customer_informed_at", "handled_at", "informed_by"),
            is_public=True,
        ),
        Step(
            "cancel",
            _("Cancel"),
            frozenset(s for s in Status.values if s not in ENDED),
            Status.CANCELLED,
            REOPENERS,
            note=Note(
                _("Why it is cancelled"),
                error_code="feedback.reason_required",
                error_message=_("Give the reason for cancelling."),
            ),
            is_public=True,
        ),
    ]
}


def available_steps(*, status: str, kind: str, roles: frozenset[str]) -> list[Step]:
    return [
        step for step in STEPS.values() if roles & step.roles and step.is_possible(status=status, kind=kind)
    ]


def customer_told(item: Any) -> bool:
    """Has the customer been told the result (R-FB-5)? A step that stamps `customer_informed_at` was taken
    and no reopening has cleared it since; a cancelled item is not rated."""
    return item.customer_informed_at is not None and item.status != Status.CANCELLED


def is_rateable(item: Any) -> bool:
    """The customer rates the handling once told the result, once."""
    return customer_told(item) and not item.rating


# --- the execution record (附表二, R-FB-8): a sequence of sign-offs ---------------------------------------


@dataclass(frozen=True)
class RecordPart:
    """One sign-off of the execution record: the fields it writes (the first is the signed text), the
    capability that writes them (None: not typed by staff), the columns of who signed and when, and the
    part that must be signed before it (with the error when it is not)."""

    name: str
    fields: tuple[str, ...]
    capability: str | None
    signed_by: str | None
    signed_at: str
    after: str | None = None
    too_early: Promise | None = None


RECORD_PARTS: dict[str, RecordPart] = {
    part.name: part
    for part in [
        RecordPart(
            "qa_opinion",
            ("qa_opinion",),
            "feedback.execution_record.qa",
            "qa_opinion_by",
            "qa_opinion_at",
        ),
        RecordPart(
            "office_record",
            ("office_record", "executor_name", "executed_at"),
            "feedback.execution_record.office",
            "office_record_by",
            "office_record_at",
            after="qa_opinion",
            too_early=_(
                "The management office records the execution after the QA department has given its opinion."
            ),
        ),
        RecordPart(
            "qa_acceptance",
            ("qa_acceptance",),
            "feedback.execution_record.qa",
            "qa_acceptance_by",
            "qa_acceptance_at",
            after="office_record",
            too_early=_("QA accepts the work after the management office has recorded the execution."),
        ),
        # from the customer's rating (or, later, the return visit), never typed by staff
        RecordPart("customer_acceptance", ("customer_acceptance",), None, None, "customer_acceptance_at"),
    ]
}
RECORD_FIELDS = tuple(name for part in RECORD_PARTS.values() for name in part.fields)


def record_part_of(field: str) -> RecordPart:
    return next(part for part in RECORD_PARTS.values() if field in part.fields)


def record_next_part(part: RecordPart) -> RecordPart | None:
    """The part signed after `part`: once it is signed, `part` can no longer change."""
    return next((other for other in RECORD_PARTS.values() if other.after == part.name), None)
