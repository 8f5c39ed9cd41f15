"""Dashboards, monthly packs and alerts (issue 15) in the isolation walk: what every analytics route is
filled with, which of them answer a persona by design, and the data of each scope that must not reach
anybody who may not look at that scope (ADR 0018: a scope's figures are read through `visible_to`).

`analytics_for(dataset)` gives the walk's dataset (tests/security/conftest.py's `qd_a`) its analytics, once:
in each of the world's projects (QD-A, QD-B of branch QD; JN-C of branch JN) a major and hot item of last
month with a marker title, still waiting past its contact deadline (so it is in the month's lists, the
drill-downs and the packs), a building with a marker name where an alert was found, and last month's pack
of every scope (company, both branches, the three projects) with a marker note. Project A's markers join
the dataset's, so the main walk proves that nothing of them reaches the outsider, another owner or an
anonymous visitor; `test_sec_analytics_*` (test_isolation_walker.py) walks every analytics route as
people of other scopes with the other scopes' markers.

The analytics routes are found by resolver introspection (`analytics_routes`): every route under
/analytics/ or /api/analytics/, so a new one is walked the day it is added; a route with a path parameter
nobody fills here fails the main walk's filler test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from estatedesk.analytics import packs
from estatedesk.analytics.choices import AlertComparison, AlertMetric, AlertWindow, PackTrigger
from estatedesk.analytics.models import AlertBreach, AlertRule, MonthlyPack
from estatedesk.analytics.periods import last_closed_month
from estatedesk.analytics.scopes import MetricScope, branch_scope, company_scope, project_scope
from estatedesk.feedback.choices import Category, Channel, Kind, Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.choices import BuildingKind
from estatedesk.org.models import Building

PREFIXES = ("analytics/", "api/analytics/")


def item_marker(code: str) -> str:
    return f"{code} analytics item marker"


def note_marker(key: str) -> str:
    return f"{key} pack note marker"


def building_marker(code: str) -> str:
    return f"{code} alert building marker"


@dataclass
class AnalyticsOfWorld:
    """The analytics objects of every scope of the world, by scope key (`company`, `branch:QD`, …)."""

    month: datetime
    period: str  # last month as the pages take it: 2026-11
    packs: dict[str, MonthlyPack] = field(default_factory=dict)
    items: dict[str, FeedbackItem] = field(default_factory=dict)  # by project code
    breaches: dict[str, AlertBreach] = field(default_factory=dict)  # by project code
    rule: AlertRule | None = None
    markers_by_scope: dict[str, list[str]] = field(default_factory=dict)  # what only that scope shows

    def markers_outside(self, visible: set[str]) -> list[str]:
        """The markers of every scope not in `visible` (ROLE_SCOPES names a branch's projects beside the
        branch: a project's rows count in its branch's and the company's figures)."""
        return sorted(
            {
                marker
                for key, markers in self.markers_by_scope.items()
                if key not in visible
                for marker in markers
            }
        )


def _item(project: Any, registered: datetime) -> FeedbackItem:
    code = project.code
    return FeedbackItem.objects.create(
        reference=f"AN-{code}-1",
        project=project,
        channel=Channel.HOTLINE,
        kind=Kind.COMPLAINT,
        category=Category.ENGINEERING,
        title=item_marker(code),
        description=f"{item_marker(code)}: water in the lift shaft.",
        status=Status.REGISTERED,
        is_major=True,
        is_hot=True,
        registered_at=registered,
        contact_due_at=registered + timedelta(hours=1),
        resolution_due_at=registered + timedelta(days=2),
        contact_phone="13500003333",
    )


def analytics_of_world(world: Any) -> AnalyticsOfWorld:
    now = timezone.now()
    period = last_closed_month(now)
    registered = datetime.combine(
        period.start.replace(day=10), datetime.min.time(), timezone.get_default_timezone()
    )
    registered += timedelta(hours=9)
    data = AnalyticsOfWorld(month=registered, period=period.text)
    projects = {"QD-A": world.project_a, "QD-B": world.project_a2, "JN-C": world.project_b}
    data.rule = AlertRule.objects.create(
        company=world.company,
        name="Walk rule: major incidents",
        metric=AlertMetric.MAJOR_INCIDENTS,
        comparison=AlertComparison.AT_LEAST,
        threshold=1,
        window=AlertWindow.MONTH,
    )
    for code, project in projects.items():
        data.items[code] = _item(project, registered)
        building = Building.objects.create(
            project=project, code=f"AN{code[-1]}", name=building_marker(code), kind=BuildingKind.BUILDING
        )
        FeedbackItem.objects.filter(pk=data.items[code].pk).update(building=building)
        data.breaches[code] = AlertBreach.objects.create(
            rule=data.rule,
            unit_key=f"building:{building.pk}",
            project=project,
            building=building,
            window_start=period.start,
            value=1,
            counted=1,
            found_at=now,
        )
        data.markers_by_scope[f"project:{code}"] = [item_marker(code), building_marker(code)]
    scopes: list[MetricScope] = [
        company_scope(world.company),
        branch_scope(world.branch_a),
        branch_scope(world.branch_b),
        *(project_scope(project) for project in projects.values()),
    ]
    for scope in scopes:
        data.packs[scope.key] = packs.pack_generate(
            scope=scope,
            month=period.start,
            trigger=PackTrigger.COMMAND,
            note=note_marker(scope.key),
            send_email=False,
        )
        data.markers_by_scope.setdefault(scope.key, []).append(note_marker(scope.key))
    return data


def analytics_for(dataset: Any) -> AnalyticsOfWorld:
    """The dataset's analytics, made on first use (project A's markers added to the dataset's)."""
    made = dataset.__dict__.get("_analytics")
    if made is None:
        made = dataset.__dict__["_analytics"] = analytics_of_world(_WorldView(dataset))
        # (the building's name is not among them: A's owners read A's buildings, api-building-list)
        for key in ("project:QD-A", "branch:QD", "company"):
            dataset.markers.extend(m for m in made.markers_by_scope[key] if m != building_marker("QD-A"))
    return made


class _WorldView:
    """The world's company, branches and projects, read from the dataset's project A."""

    def __init__(self, dataset: Any) -> None:
        from estatedesk.org.models import Branch, Project

        self.project_a = dataset.item.project
        self.company = self.project_a.branch.company
        self.branch_a = self.project_a.branch
        self.branch_b = Branch.objects.filter(company=self.company).exclude(pk=self.branch_a.pk).get()
        self.project_a2 = Project.objects.filter(branch=self.branch_a).exclude(pk=self.project_a.pk).get()
        self.project_b = Project.objects.get(branch=self.branch_b)


# --- the walk's fillers, queries and allowances -------------------------------------------------------------

PACK_OF_A = lambda d: analytics_for(d).packs["project:QD-A"].pk  # noqa: E731
RULE = lambda d: getattr(analytics_for(d).rule, "pk", None)  # noqa: E731

FILLERS: dict[str, dict[str, Any]] = {
    "analytics:pack_detail": {"pk": PACK_OF_A},
    "analytics:pack_pdf": {"pk": PACK_OF_A},
    "analytics:pack_workbook": {"pk": PACK_OF_A},
    "analytics:alert_rule_edit": {"pk": RULE},
    "api-analytics-pack": {"pk": PACK_OF_A},
    "api-analytics-pack-pdf": {"pk": PACK_OF_A},
    "api-analytics-pack-workbook": {"pk": PACK_OF_A},
    "api-analytics-alert-rule": {"pk": RULE},
}


def scope_query(key: str) -> Any:
    """The query naming scope `key` and last month, for routes that read their scope from the query."""

    def query(d: Any) -> str:
        data = analytics_for(d)
        return f"scope={key}&period={data.period}&month={data.period}&figure=feedback.major"

    return query


# the routes that read a scope from the query: walked with project A's (the outsider must get 404)
QUERY_ROUTES = (
    "analytics:dashboard",
    "analytics:drilldown",
    "analytics:dashboard_workbook",
    "analytics:pack_list",
    "api-analytics-metrics",
    "api-analytics-drilldown",
    "api-analytics-packs",
)
QUERIES: dict[str, Any] = {key: scope_query("project:QD-A") for key in QUERY_ROUTES}


def public_routes(public: Any, own: str, outsider: str, signed_in: frozenset[str]) -> dict[str, Any]:
    """The analytics routes that answer a persona of the main walk by design (`Public` of the walk)."""
    return {
        "analytics:pack_list": public(
            own + " (the packs of the scopes the user answers for; a scope out of reach in the query lists "
            "none of it)",
            frozenset({outsider}),
        ),
        "analytics:alert_list": public(
            own + " (the alerts of the user's own projects)", frozenset({outsider})
        ),
        "api-analytics-scopes": public(own + ": the scopes the user may look at", signed_in),
        "api-analytics-alerts": public(
            own + " (the alerts of the user's own projects)", frozenset({outsider})
        ),
        "api-analytics-packs": public(
            own + " (the packs of the scopes the user answers for)", frozenset({outsider})
        ),
        "api-analytics-pack-regenerate": public(
            "a pack is made again by naming its scope and month; an empty body is refused with 400 before "
            "anything is looked up",
            frozenset({outsider}),
            frozenset({400}),
        ),
    }


# --- walking every analytics route as the people of other scopes -------------------------------------------

# who may look at which scopes (scopes.can_view_scope): the project manager of QD-A its project; the manager
# of branch QD the branch and its two projects; the outsider (CS supervisor of JN-C) JN-C
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "pm_a": frozenset({"project:QD-A"}),
    "branch_manager": frozenset({"branch:QD", "project:QD-A", "project:QD-B"}),
    "outsider": frozenset({"project:JN-C"}),
}
ALL_SCOPES = ("company", "branch:QD", "branch:JN", "project:QD-A", "project:QD-B", "project:JN-C")
# routes that must refuse a scope out of reach outright (404/403), whatever they would show: the figures,
# the rows behind them, the workbooks and the packs themselves (a PDF or workbook hides its text from a
# marker search, so only the status proves it)
STRICT = (
    "analytics:dashboard",
    "analytics:drilldown",
    "analytics:dashboard_workbook",
    "analytics:pack_detail",
    "analytics:pack_pdf",
    "analytics:pack_workbook",
    "api-analytics-metrics",
    "api-analytics-drilldown",
    "api-analytics-pack",
    "api-analytics-pack-pdf",
    "api-analytics-pack-workbook",
)


def analytics_routes() -> list[Any]:
    from tests.security.test_isolation_walker import all_routes

    return [route for route in all_routes() if route.pattern.startswith(PREFIXES)]


def _path(route: Any, data: AnalyticsOfWorld, key: str) -> str:
    from tests.security.test_isolation_walker import route_path

    values = {}
    assert data.rule is not None
    if "pk" in route.parameters:
        values["pk"] = str(data.rule.pk if "rule" in route.key else data.packs[key].pk)
    path = route_path(route, values)
    return f"{path}?scope={key}&period={data.period}&month={data.period}&figure=feedback.major"


def walk_as_other_scopes(dataset: Any, users: dict[str, Any]) -> tuple[list[str], dict[tuple[str, str], str]]:
    """Every analytics route, with every method, naming every scope (its pack, its query), asked by each
    persona of ROLE_SCOPES. The offences (a strict route answering for a scope out of reach, or any
    answer showing another scope's markers), and the GET bodies by (persona, route) for the persona's own
    first scope (the controls: the fillers reach real rows)."""
    from django.test import Client

    from tests.security.test_isolation_walker import API_METHODS, PAGE_METHODS, _text

    data = analytics_for(dataset)
    offences: list[str] = []
    own_bodies: dict[tuple[str, str], str] = {}
    for username, visible in ROLE_SCOPES.items():
        foreign = data.markers_outside(set(visible))
        client = Client(raise_request_exception=False)
        for route in analytics_routes():
            for key in ALL_SCOPES:
                path = _path(route, data, key)
                for method in API_METHODS if route.is_api else PAGE_METHODS:
                    if "_auth_user_id" not in client.session:  # a sign-out route signed them out
                        client.force_login(users[username])
                    if method == "get":
                        response = client.get(path)
                    elif route.is_api:
                        response = getattr(client, method)(path, data={}, content_type="application/json")
                    else:
                        response = getattr(client, method)(path, data={})
                    body = _text(response) if not getattr(response, "streaming", False) else ""
                    status = response.status_code
                    leaked = [marker for marker in foreign if marker in body]
                    reach = key in visible
                    if (
                        status >= 500
                        or leaked
                        or (
                            route.key in STRICT and not reach and method == "get" and status not in (403, 404)
                        )
                    ):
                        offences.append(
                            f"{method.upper()} {path} [{route.key}] as {username}: {status} {leaked}"
                        )
                    if reach and method == "get" and key == min(visible):
                        own_bodies[username, route.key] = body
    return offences, own_bodies
