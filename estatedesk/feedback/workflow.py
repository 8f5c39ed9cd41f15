"""Who may take which step of the R-FB path, decided here and nowhere else.

registered → supervisor contacted → handling opinion recorded → arranged by the project manager →
in progress → handled → customer service informed → customer informed → closed; reopen; cancel.
Inquiries and praise may be answered at once (registered → customer informed).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from estatedesk.feedback.choices import Kind, Status
from estatedesk.org.choices import Role

CS = frozenset({Role.CS_AGENT, Role.CS_SUPERVISOR})
SUPERVISORS = frozenset({Role.CS_SUPERVISOR, Role.DEPT_SUPERVISOR})
MANAGERS = frozenset({Role.PROJECT_MANAGER})
WORKERS = frozenset({Role.EXECUTOR, Role.DEPT_SUPERVISOR, Role.PROJECT_MANAGER})


@dataclass(frozen=True)
class Step:
    name: str
    label: object
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    kinds: frozenset[str] = frozenset()  # empty: every kind


STEPS: dict[str, Step] = {
    step.name: step
    for step in [
        Step(
            "contact_supervisor",
            _("Supervisor contacted"),
            frozenset({Status.REGISTERED}),
            Status.SUPERVISOR_CONTACTED,
            CS,
        ),
        Step(
            "record_opinion",
            _("Record the handling opinion"),
            frozenset({Status.SUPERVISOR_CONTACTED}),
            Status.OPINION_RECORDED,
            SUPERVISORS,
        ),
        Step(
            "arrange", _("Arrange handling"), frozenset({Status.OPINION_RECORDED}), Status.ARRANGED, MANAGERS
        ),
        Step("start", _("Start work"), frozenset({Status.ARRANGED}), Status.IN_PROGRESS, WORKERS),
        Step("complete", _("Handling done"), frozenset({Status.IN_PROGRESS}), Status.HANDLED, WORKERS),
        Step(
            "inform_cs",
            _("Tell customer service"),
            frozenset({Status.HANDLED}),
            Status.CS_INFORMED,
            WORKERS | CS,
        ),
        Step(
            "inform_customer",
            _("Customer informed"),
            frozenset({Status.CS_INFORMED}),
            Status.CUSTOMER_INFORMED,
            CS,
        ),
        Step(
            "answer",
            _("Answered at once"),
            frozenset({Status.REGISTERED}),
            Status.CUSTOMER_INFORMED,
            CS,
            frozenset({Kind.INQUIRY, Kind.PRAISE}),
        ),
        Step("close", _("Close"), frozenset({Status.CUSTOMER_INFORMED}), Status.CLOSED, CS),
        Step(
            "reopen",
            _("Reopen"),
            frozenset({Status.CUSTOMER_INFORMED, Status.CLOSED}),
            Status.REGISTERED,
            frozenset({Role.CS_SUPERVISOR, Role.PROJECT_MANAGER}),
        ),
        Step(
            "cancel",
            _("Cancel"),
            frozenset(s for s in Status.values if s not in (Status.CLOSED, Status.CANCELLED)),
            Status.CANCELLED,
            frozenset({Role.CS_SUPERVISOR, Role.PROJECT_MANAGER}),
        ),
    ]
}


def available_steps(*, status: str, kind: str, roles: frozenset[str]) -> list[Step]:
    return [
        step
        for step in STEPS.values()
        if status in step.sources and roles & step.roles and (not step.kinds or kind in step.kinds)
    ]
