"""Benchmark data: a company with 200 projects and N feedback items of realistic shape, by bulk insert.

    load(items=1_000_000)   # inside a configured Django (bench/run.py sets it up)

The organisation and the demo accounts come from `seed_demo(feedback=False)` (three projects with units,
residents and every role); 197 more projects get buildings, a CS supervisor and a project manager. The
items are spread over the last three years (references PROJECT-YYYYMMDD-NNNN, as the service makes
them), with kinds, categories, channels, priorities and flags in the proportions of the demo data, SLA
due times (the arrange and action clocks from the handling opinion) and, for open items, when the sweep
must look next (the earliest running due time, as registration and migration 0003 set it), about three
timeline events each, and statuses by age: old items are closed or cancelled but for about 1% left open
and overdue, recent ones are spread over the whole workflow. Rows go in by executemany in large
transactions on SQLite and by COPY on PostgreSQL, with the secondary indexes dropped during the load and
built again afterwards, then ANALYZE (and VACUUM on PostgreSQL: bulkload.BulkWriter.settle).
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import bulkload

CHUNK = 50_000
PROJECTS = 200
YEARS = 3
LOCAL_OFFSET = 8 * 3600  # Asia/Shanghai, no daylight saving

KINDS = [("complaint", 35), ("repair", 40), ("suggestion", 10), ("inquiry", 10), ("praise", 5)]
CATEGORY_BY_KIND = {
    "complaint": [
        ("order", 20),
        ("cleaning", 20),
        ("engineering", 20),
        ("customer_service", 10),
        ("staff_attitude", 10),
        ("fees", 10),
        ("greening", 5),
        ("other", 5),
    ],
    "repair": [("engineering", 90), ("greening", 5), ("other", 5)],
    "suggestion": [("greening", 25), ("order", 25), ("customer_service", 25), ("other", 25)],
    "inquiry": [("fees", 50), ("customer_service", 40), ("other", 10)],
    "praise": [("customer_service", 40), ("engineering", 30), ("cleaning", 30)],
}
CHANNELS = [
    ("hotline", 40),
    ("portal", 20),
    ("qr", 10),
    ("walk_in", 10),
    ("patrol", 10),
    ("email", 5),
    ("client_visit", 5),
]
PRIORITIES = [("normal", 80), ("high", 12), ("low", 6), ("urgent", 2)]
RESOLUTION_HOURS = {"complaint": 72, "repair": 48, "suggestion": 168, "inquiry": 24, "praise": 24}
TITLES = {
    "engineering": ["电梯停运", "卫生间漏水", "楼道灯不亮", "门禁失灵", "水压太低", "外墙渗水", "车库积水"],
    "order": ["夜间噪音扰民", "车辆乱停放", "陌生人进入小区", "高空抛物", "宠物未拴绳"],
    "cleaning": ["垃圾未及时清运", "楼道卫生差", "电梯轿厢有异味", "地下车库灰尘大"],
    "greening": ["草坪枯黄", "树枝遮挡窗户", "绿化带杂草多"],
    "customer_service": ["前台电话无人接听", "报修进度无人告知", "办事流程不清楚"],
    "staff_attitude": ["保安态度恶劣", "客服人员语气生硬", "维修师傅不耐烦"],
    "fees": ["物业费账单有误", "停车费标准咨询", "水电费分摊不清"],
    "other": ["快递柜故障", "小区活动建议", "宣传栏信息过期"],
}
OPEN_PATH = [
    "registered",
    "supervisor_contacted",
    "opinion_recorded",
    "arranged",
    "in_progress",
    "handled",
    "cs_informed",
    "customer_informed",
]


def load(*, items: int, seed: int = 2026, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Load the organisation and `items` feedback items into the configured, migrated, empty database."""
    from django.db import connection

    from estatedesk.demo.seeding import seed_demo

    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    seed_demo(feedback=False)
    org = _organisation(rng)
    log(f"organisation: {len(org['projects'])} projects ({time.perf_counter() - started:.0f} s)")
    loaded = time.perf_counter()
    counts = _feedback(items=items, rng=rng, org=org, log=log)
    bulkload.BulkWriter(connection).settle()
    counts["load_seconds"] = round(time.perf_counter() - loaded, 1)
    counts["total_seconds"] = round(time.perf_counter() - started, 1)
    log(f"loaded {items:,} items and {counts['events']:,} events in {counts['load_seconds']} s")
    return counts


# --- organisation -------------------------------------------------------------------------------------------


def _organisation(rng: random.Random) -> dict[str, Any]:
    """197 more projects beside the demo's three, each with buildings, a CS supervisor and a manager."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from estatedesk.org.models import Branch, Building, Company, Membership, Project
    from estatedesk.owners.models import Resident

    company = Company.objects.get()
    branches = list(Branch.objects.order_by("code"))
    demo_projects = list(Project.objects.order_by("code"))
    user_model = get_user_model()
    with transaction.atomic():
        new_projects = Project.objects.bulk_create(
            [
                Project(
                    branch=branches[n % len(branches)],
                    code=f"BP{n:03d}",
                    name=f"基准项目{n:03d}",
                    service_calendar_id=demo_projects[0].service_calendar_id,
                    hotline_calendar_id=demo_projects[0].hotline_calendar_id,
                )
                for n in range(PROJECTS - len(demo_projects))
            ]
        )
        new_projects = list(Project.objects.filter(code__startswith="BP").order_by("code"))
        Building.objects.bulk_create(
            [
                Building(project=project, code=str(b), name=f"{b}号楼", kind="building")
                for project in new_projects
                for b in range(1, 9)
            ]
            + [
                Building(project=project, code=f"A{a}", name=name, kind="area")
                for project in new_projects
                for a, name in enumerate(["地下车库", "中心花园", "会所"], start=1)
            ]
        )
        people = user_model.objects.bulk_create(
            [
                user_model(username=f"{role}-{project.code.lower()}", display_name=f"{project.name}{label}")
                for project in new_projects
                for role, label in (("sup", "客服主管"), ("pm", "项目经理"))
            ]
        )
        Membership.objects.bulk_create(
            [
                Membership(
                    user=person,
                    role="cs_supervisor" if person.username.startswith("sup-") else "project_manager",
                    level="project",
                    company=company,
                    project=new_projects[index // 2],
                )
                for index, person in enumerate(people)
            ]
        )
    projects = demo_projects + new_projects
    buildings: dict[int, list[int]] = {}
    for project_id, building_id in Building.objects.values_list("project_id", "id"):
        buildings.setdefault(project_id, []).append(building_id)
    supervisors: dict[int, list[int]] = {}
    for project_id, user_id in Membership.objects.filter(
        role__in=["cs_supervisor", "dept_supervisor", "executor"], project__isnull=False
    ).values_list("project_id", "user_id"):
        supervisors.setdefault(project_id, []).append(user_id)
    residents: dict[int, list[tuple[int, str, str]]] = {}
    for resident_id, name, project_id, phone in (
        Resident.objects.filter(occupancies__unit__project__in=demo_projects)
        .values_list("id", "name", "occupancies__unit__project_id", "phones__number")
        .distinct()
    ):
        residents.setdefault(project_id, []).append((resident_id, name, phone or ""))
    agents = list(
        Membership.objects.filter(role="cs_agent", project__isnull=False).values_list("user_id", flat=True)
    )
    weights = [rng.uniform(0.4, 1.6) for _ in projects]
    return {
        "projects": [(p.id, p.code) for p in projects],
        "weights": weights,
        "buildings": buildings,
        "supervisors": supervisors,
        "residents": residents,
        "agents": agents or [None],
    }


# --- feedback -----------------------------------------------------------------------------------------------

ITEM_COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "reference",
    "project_id",
    "building_id",
    "unit_id",
    "location_note",
    "resident_id",
    "contact_name",
    "contact_phone",
    "contact_email",
    "channel",
    "kind",
    "category",
    "priority",
    "title",
    "description",
    "search_tokens",
    "is_major",
    "is_hot",
    "is_paid_service",
    "is_quality_problem",
    "status",
    "department_id",
    "supervisor_id",
    "executor_id",
    "registered_by_id",
    "registered_at",
    "handling_opinion",
    "result",
    "contact_due_at",
    "arrange_due_at",
    "action_due_at",
    "resolution_due_at",
    "contacted_at",
    "opinion_recorded_at",
    "arranged_at",
    "appointment_at",
    "acted_at",
    "handled_at",
    "customer_informed_at",
    "closed_at",
    "escalation_level",
    "escalation_due_at",
    "escalation_cycle",
    "informed_by",
    "idempotency_key",
    "contact_email_confirmation_sent_at",
    "contact_email_confirmed_at",
    "rating",
    "rating_comment",
    "reported_to_hq_at",
    "version",
]
EVENT_COLUMNS = [
    "item_id",
    "at",
    "actor_id",
    "kind",
    "from_status",
    "to_status",
    "message",
    "data",
    "is_public",
]


def _feedback(
    *, items: int, rng: random.Random, org: dict[str, Any], log: Callable[[str], None]
) -> dict[str, Any]:
    from django.db import connection

    from estatedesk.feedback.models import FeedbackItem, ReferenceCounter, TimelineEvent

    expected = {f.column for f in FeedbackItem._meta.concrete_fields}
    assert expected == set(ITEM_COLUMNS), expected ^ set(ITEM_COLUMNS)
    assert {f.column for f in TimelineEvent._meta.concrete_fields} - {"id"} == set(EVENT_COLUMNS)

    rows = _item_rows(items=items, rng=rng, org=org)
    item_table = FeedbackItem._meta.db_table
    event_table = TimelineEvent._meta.db_table
    counter_table = ReferenceCounter._meta.db_table
    counters: dict[tuple[int, str], int] = {}
    events = 0
    writer = bulkload.BulkWriter(connection)
    with writer.indexes_dropped([item_table, event_table]):
        batch_items: list[tuple[Any, ...]] = []
        batch_events: list[tuple[Any, ...]] = []
        done = 0
        for item, item_events, counter_key in rows:
            batch_items.append(item)
            batch_events.extend(item_events)
            counters[counter_key] = counters.get(counter_key, 0) + 1
            if len(batch_items) >= CHUNK:
                writer.insert(item_table, ITEM_COLUMNS, batch_items)
                writer.insert(event_table, EVENT_COLUMNS, batch_events)
                done += len(batch_items)
                events += len(batch_events)
                batch_items, batch_events = [], []
                log(f"  {done:,} / {items:,} items")
        writer.insert(item_table, ITEM_COLUMNS, batch_items)
        writer.insert(event_table, EVENT_COLUMNS, batch_events)
        events += len(batch_events)
        writer.insert(
            counter_table,
            ["project_id", "day", "last"],
            [(project_id, day, last) for (project_id, day), last in counters.items()],
        )
        log("  building indexes")
    writer.reset_sequences([item_table, event_table, counter_table])
    return {"items": items, "events": events}


def _item_rows(
    *, items: int, rng: random.Random, org: dict[str, Any]
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]], tuple[int, str]]]:
    """(item row, its event rows, (project id, local day)) in registration order."""
    from django.db import connection

    from estatedesk.feedback.search import search_tokens

    sqlite = connection.vendor == "sqlite"
    now = time.time()
    start = now - YEARS * 365 * 86400
    kind_of = bulkload.weighted(rng, KINDS)
    category_of = {kind: bulkload.weighted(rng, pairs) for kind, pairs in CATEGORY_BY_KIND.items()}
    channel_of = bulkload.weighted(rng, CHANNELS)
    priority_of = bulkload.weighted(rng, PRIORITIES)
    tokens_of = functools.cache(search_tokens)  # a few dozen distinct texts
    project_ids = [pid for pid, _ in org["projects"]]
    codes = dict(org["projects"])
    cumulative = []
    running = 0.0
    for weight in org["weights"]:
        running += weight
        cumulative.append(running)
    first_id = 1
    sequence: dict[tuple[int, str], int] = {}
    day_text: dict[int, str] = {}
    stamps = sorted(rng.uniform(start, now - 600) for _ in range(items))

    def when(ts: float | None) -> Any:
        if ts is None:
            return None
        moment = datetime.fromtimestamp(ts, UTC)
        return str(moment.replace(tzinfo=None)) if sqlite else moment

    true, false = (1, 0) if sqlite else (True, False)
    for offset, registered in enumerate(stamps):
        item_id = first_id + offset
        project_id = rng.choices(project_ids, cum_weights=cumulative)[0]
        local_day = int((registered + LOCAL_OFFSET) // 86400)
        if local_day not in day_text:
            day_text[local_day] = (date(1970, 1, 1) + timedelta(days=local_day)).strftime("%Y%m%d")
        key = (project_id, day_text[local_day])
        sequence[key] = sequence.get(key, 0) + 1
        day_iso = f"{key[1][:4]}-{key[1][4:6]}-{key[1][6:]}"
        reference = f"{codes[project_id]}-{key[1]}-{sequence[key]:04d}"
        kind = kind_of()
        category = category_of[kind]()
        channel = channel_of()
        title = rng.choice(TITLES[category])
        buildings = org["buildings"].get(project_id) or [None]
        building_id = rng.choice(buildings)
        residents = org["residents"].get(project_id)
        resident_id, contact_name, contact_phone = None, "", ""
        if residents and rng.random() < 0.6:
            resident_id, contact_name, contact_phone = rng.choice(residents)
        elif channel in ("hotline", "qr", "walk_in"):
            contact_name = rng.choice("王李张刘陈杨黄赵") + "先生"
            contact_phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        quality = kind in ("complaint", "repair") and rng.random() < 0.05
        supervisors = org["supervisors"].get(project_id) or [None]
        supervisor_id = rng.choice(supervisors)
        age = now - registered

        contact_due = registered + 3600
        resolution_due = registered + RESOLUTION_HOURS[kind] * 3600
        # how far along the workflow: old items are finished but for ~1% left open (and overdue)
        chance = rng.random()
        if age > 30 * 86400:
            stage = "closed" if chance < 0.984 else "cancelled" if chance < 0.994 else "stale"
        elif age > 7 * 86400:
            stage = "closed" if chance < 0.85 else "open"
        elif age > 86400:
            stage = "closed" if chance < 0.5 else "open"
        else:
            stage = "closed" if chance < 0.15 else "open"
        contacted = registered + rng.expovariate(1 / 2100)
        # R-FB-4: the arrange and action clocks start when the handling opinion reaches the project manager
        opinion = contacted + rng.expovariate(1 / 1800)
        arranged = opinion + rng.expovariate(1 / 900)
        acted = arranged + rng.expovariate(1 / 1200) if quality else None
        informed = registered + rng.uniform(0.1, 1.3) * RESOLUTION_HOURS[kind] * 3600
        handled = informed - rng.uniform(600, 7200)
        closed = informed + rng.uniform(0, 86400)
        status = stage
        if stage == "closed" and closed > now:  # not that far yet: still being finished
            stage = status = "customer_informed" if informed < now else "in_progress"
        if stage in ("open", "stale", "customer_informed", "in_progress"):
            if stage in ("open", "stale"):
                reachable = [s for s in OPEN_PATH if s != "customer_informed"]
                status = rng.choice(reachable)
            position = OPEN_PATH.index(status)
            contacted = contacted if position >= 1 and contacted < now else None
            opinion = opinion if position >= 2 and opinion < now else None
            arranged = arranged if position >= 3 and arranged < now else None
            acted = acted if position >= 4 and acted is not None and acted < now else None
            handled = handled if position >= 5 and handled < now else None
            informed = informed if position >= 7 and informed < now else None
            closed = None
        elif stage == "cancelled":
            opinion = arranged = acted = handled = informed = closed = None
        arrange_due = opinion + 1800 if opinion is not None else None
        action_due = opinion + 1800 if opinion is not None and quality else None
        # when the sweep must look next (as the service and the migration set it): the earliest running
        # due time of an item still open
        running = [
            due
            for due, done in (
                (contact_due, contacted),
                (arrange_due, arranged),
                (action_due, acted),
                (resolution_due, informed),
            )
            if due is not None and done is None
        ]
        escalation_due = min(running) if running and status not in ("closed", "cancelled") else None
        rating = ""
        if status == "closed" and rng.random() < 0.3:
            rating = "A" if rng.random() < 0.7 else "B" if rng.random() < 0.67 else "C"
        last_change = closed or informed or handled or contacted or registered
        priority = priority_of()  # drawn in the order the rows always drew them
        description = f"{title}，{rng.choice(bulkload.DETAILS)}"
        row = (
            item_id,
            when(registered),
            when(last_change),
            reference,
            project_id,
            building_id,
            None,
            "",
            resident_id,
            contact_name,
            contact_phone,
            "",
            channel,
            kind,
            category,
            priority,
            title,
            description,
            tokens_of(title, description),
            true if rng.random() < 0.001 else false,
            true if rng.random() < 0.005 else false,
            true if kind == "repair" and rng.random() < 0.1 else false,
            true if quality else false,
            status,
            None,
            supervisor_id if contacted else None,
            None,
            rng.choice(org["agents"])
            if channel in ("hotline", "walk_in", "patrol", "client_visit")
            else None,
            when(registered),
            "已联系责任主管，安排处理。" if opinion else "",
            "已处理完毕，业主确认。" if informed else "",
            when(contact_due),
            when(arrange_due),
            when(action_due),
            when(resolution_due),
            when(contacted),
            when(opinion),
            when(arranged),
            None,  # appointment_at
            when(acted),
            when(handled),
            when(informed),
            when(closed),
            0,
            when(escalation_due),
            0,
            "phone" if informed else "",
            None,
            None,
            None,
            rating,
            "",
            None,
            1,
        )
        events = [(item_id, when(registered), None, "registered", "", "registered", "", "{}", true)]
        if contacted:
            events.append(
                (
                    item_id,
                    when(contacted),
                    supervisor_id,
                    "transition",
                    "registered",
                    "supervisor_contacted",
                    "",
                    "{}",
                    false,
                )
            )
        if closed:
            events.append(
                (item_id, when(closed), None, "transition", "customer_informed", "closed", "", "{}", true)
            )
        elif status == "cancelled":
            events.append(
                (
                    item_id,
                    when(registered + 3600),
                    None,
                    "transition",
                    "registered",
                    "cancelled",
                    "",
                    "{}",
                    true,
                )
            )
        yield row, events, (project_id, day_iso)


def database_bytes() -> int:
    from django.db import connection

    return bulkload.database_bytes(connection)
