"""The scheduler enqueues each periodic job once per period, however many schedulers and workers run;
calendar rules (issue 9, item 9) name local times in settings.TIME_ZONE (Asia/Shanghai)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django_tasks_db.models import DBTaskResult

from estatedesk.common.models import AuditEntry, ScheduledRun
from estatedesk.common.scheduling import (
    Daily,
    Every,
    Monthly,
    PeriodicJob,
    Quarterly,
    Yearly,
    periodic,
    periodic_jobs,
    scheduler_tick,
)
from estatedesk.common.tests.tasks_for_tests import record_run

JOB = PeriodicJob(name="test.every_5_minutes", task=record_run, every=timedelta(minutes=5))
JOBS = {JOB.name: JOB}
MONTHLY_JOB = PeriodicJob(name="test.monthly_on_the_1st", task=record_run, at=Monthly(day=1, at=time(8, 0)))
MONTHLY_JOBS = {MONTHLY_JOB.name: MONTHLY_JOB}
SHANGHAI = ZoneInfo("Asia/Shanghai")
SECOND = timedelta(seconds=1)


def local(*args: int) -> datetime:
    """An instant given as wall-clock time in Asia/Shanghai."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def test_period_keys_and_offsets():
    daily_at_2am_shanghai = PeriodicJob(
        name="d", task=record_run, every=timedelta(days=1), offset=timedelta(hours=18)
    )
    before = datetime(2026, 11, 26, 17, 59, tzinfo=UTC)  # 01:59 in Shanghai
    after = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # 02:00 in Shanghai
    assert daily_at_2am_shanghai.period_key(after) == daily_at_2am_shanghai.period_key(before) + 1
    assert daily_at_2am_shanghai.period_start(daily_at_2am_shanghai.period_key(after)) == after


def test_housekeeping_job_is_registered():
    assert "common.prune_finished_tasks" in periodic_jobs()


# --- calendar rules: pure, at boundary instants ------------------------------------------------------------


def test_daily_rule_changes_period_at_its_local_time():
    rule = Daily(time(8, 0))

    # given the clock before and at 08:00 in Shanghai (00:00 UTC)
    before, at = local(2026, 11, 26, 7, 59, 59), local(2026, 11, 26, 8, 0)

    # then the period turns over at 08:00, not at midnight
    assert rule.period_start(rule.period_key(before)) == local(2026, 11, 25, 8, 0)
    assert rule.period_start(rule.period_key(at)) == at
    assert rule.period_key(at) == rule.period_key(before) + 1
    assert rule.period_key(local(2026, 11, 26, 23, 59, 59)) == rule.period_key(local(2026, 11, 27, 0, 0))
    assert rule.period_key(at) == (date(2026, 11, 26) - date(1970, 1, 1)).days


def test_daily_rule_at_midnight_turns_over_at_local_midnight():
    rule = Daily(time(0, 0))

    last_second, midnight = local(2026, 12, 31, 23, 59, 59), local(2027, 1, 1, 0, 0)

    assert rule.period_start(rule.period_key(last_second)) == local(2026, 12, 31, 0, 0)
    assert rule.period_start(rule.period_key(midnight)) == midnight
    assert midnight.astimezone(UTC) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # not UTC midnight


@pytest.mark.parametrize(
    ("old_offset", "at"),
    [
        (timedelta(hours=18), time(2, 0)),
        (timedelta(hours=19), time(3, 0)),
        (timedelta(hours=19, minutes=10), time(3, 10)),
        (timedelta(hours=19, minutes=30), time(3, 30)),
        (timedelta(hours=17, minutes=30), time(1, 30)),
    ],
)
def test_daily_rule_starts_periods_where_the_old_utc_offset_did(old_offset, at):
    old, new = Every(timedelta(days=1), old_offset), Daily(at)
    occurrence = local(2026, 11, 26, at.hour, at.minute)

    for now in (occurrence - SECOND, occurrence, occurrence + timedelta(hours=23, minutes=59)):
        assert new.period_start(new.period_key(now)) == old.period_start(old.period_key(now))


def test_moved_daily_jobs_keep_their_local_times():
    rules = {name: str(job.rule) for name, job in periodic_jobs().items()}

    assert rules["common.prune_finished_tasks"] == "daily at 03:00"
    assert rules["common.refresh_planner_statistics"] == "daily at 03:30"
    assert rules["owners.prune_login_codes"] == "daily at 03:10"
    assert rules["owners.completeness_snapshot"] == "daily at 01:30"


def test_monthly_rule_on_the_1st_at_8():
    rule = Monthly(day=1, at=time(8, 0))

    # before 08:00 on the 1st the previous month is current, across a year end too
    assert rule.period_start(rule.period_key(local(2026, 12, 1, 7, 59, 59))) == local(2026, 11, 1, 8, 0)
    assert rule.period_start(rule.period_key(local(2026, 12, 1, 8, 0))) == local(2026, 12, 1, 8, 0)
    assert rule.period_start(rule.period_key(local(2027, 1, 1, 7, 59, 59))) == local(2026, 12, 1, 8, 0)
    assert rule.period_start(rule.period_key(local(2027, 1, 31, 23, 59, 59))) == local(2027, 1, 1, 8, 0)
    assert rule.period_key(local(2026, 12, 1, 8, 0)) == 2026 * 12 + 11
    assert rule.period_key(local(2027, 1, 1, 8, 0)) == 2026 * 12 + 11 + 1


def test_monthly_rule_at_local_midnight_turns_over_at_month_end():
    rule = Monthly(day=1, at=time(0, 0))

    assert rule.period_start(rule.period_key(local(2027, 2, 28, 23, 59, 59))) == local(2027, 2, 1)
    assert rule.period_start(rule.period_key(local(2027, 3, 1, 0, 0))) == local(2027, 3, 1)
    assert rule.period_key(local(2027, 3, 1, 0, 0)) == rule.period_key(local(2027, 2, 28, 23, 59, 59)) + 1


def test_monthly_rule_on_the_31st_runs_on_the_last_day_of_shorter_months():
    rule = Monthly(day=31, at=time(8, 0))

    def start(now: datetime) -> datetime:
        return rule.period_start(rule.period_key(now))

    assert start(local(2027, 2, 28, 7, 59, 59)) == local(2027, 1, 31, 8, 0)
    assert start(local(2027, 2, 28, 8, 0)) == local(2027, 2, 28, 8, 0)
    assert start(local(2028, 2, 28, 8, 0)) == local(2028, 1, 31, 8, 0)  # 2028 is a leap year
    assert start(local(2028, 2, 29, 8, 0)) == local(2028, 2, 29, 8, 0)
    assert start(local(2027, 4, 30, 8, 0)) == local(2027, 4, 30, 8, 0)
    assert start(local(2027, 5, 30, 23, 59, 59)) == local(2027, 4, 30, 8, 0)
    assert start(local(2027, 5, 31, 8, 0)) == local(2027, 5, 31, 8, 0)


def test_monthly_rule_on_the_10th():
    rule = Monthly(day=10, at=time(9, 0))

    assert rule.period_start(rule.period_key(local(2027, 3, 10, 8, 59, 59))) == local(2027, 2, 10, 9, 0)
    assert rule.period_start(rule.period_key(local(2027, 3, 10, 9, 0))) == local(2027, 3, 10, 9, 0)


def test_quarterly_rule_turns_over_on_the_first_day_of_jan_apr_jul_oct():
    rule = Quarterly(day=1, at=time(8, 0))

    def start(now: datetime) -> datetime:
        return rule.period_start(rule.period_key(now))

    assert start(local(2027, 1, 1, 7, 59, 59)) == local(2026, 10, 1, 8, 0)
    assert start(local(2027, 1, 1, 8, 0)) == local(2027, 1, 1, 8, 0)
    assert start(local(2027, 3, 31, 23, 59, 59)) == local(2027, 1, 1, 8, 0)
    assert start(local(2027, 4, 1, 0, 0)) == local(2027, 1, 1, 8, 0)
    assert start(local(2027, 4, 1, 8, 0)) == local(2027, 4, 1, 8, 0)
    assert start(local(2027, 7, 1, 8, 0)) == local(2027, 7, 1, 8, 0)
    assert start(local(2027, 10, 1, 8, 0)) == local(2027, 10, 1, 8, 0)
    assert start(local(2027, 12, 31, 23, 59, 59)) == local(2027, 10, 1, 8, 0)
    assert rule.period_key(local(2027, 4, 1, 8, 0)) == 2027 * 4 + 1


def test_quarterly_rule_on_day_n_of_the_quarters_first_month():
    assert Quarterly(day=10, at=time(9, 0)).period_start(2027 * 4 + 1) == local(2027, 4, 10, 9, 0)
    assert Quarterly(day=31, at=time(9, 0)).period_start(2027 * 4 + 1) == local(2027, 4, 30, 9, 0)


def test_yearly_rule_on_15_january():
    rule = Yearly(month=1, day=15, at=time(9, 0))

    assert rule.period_start(rule.period_key(local(2027, 1, 15, 8, 59, 59))) == local(2026, 1, 15, 9, 0)
    assert rule.period_start(rule.period_key(local(2027, 1, 15, 9, 0))) == local(2027, 1, 15, 9, 0)
    assert rule.period_start(rule.period_key(local(2027, 12, 31, 23, 59, 59))) == local(2027, 1, 15, 9, 0)
    assert rule.period_key(local(2028, 1, 1, 0, 0)) == 2027


def test_yearly_rule_on_29_february_runs_on_the_28th_in_common_years():
    rule = Yearly(month=2, day=29, at=time(0, 0))

    assert rule.period_start(2027) == local(2027, 2, 28)
    assert rule.period_key(local(2028, 2, 28, 23, 59, 59)) == 2027
    assert rule.period_key(local(2028, 2, 29, 0, 0)) == 2028
    assert rule.period_start(2028) == local(2028, 2, 29)


@pytest.mark.parametrize(
    "rule",
    [
        Daily(time(0, 0)),
        Monthly(day=31, at=time(23, 59, 59)),
        Quarterly(day=31, at=time(8, 0)),
        Yearly(month=2, day=29, at=time(9, 0)),
    ],
    ids=str,
)
def test_each_occurrence_opens_the_next_period(rule):
    first = rule.period_key(local(2026, 12, 1))
    for key in range(first, first + 40):
        start = rule.period_start(key)
        assert rule.period_key(start) == key
        assert rule.period_key(start - SECOND) == key - 1
        assert rule.period_start(key + 1) > start


def test_rules_read_instants_in_any_zone_and_refuse_naive_ones():
    rule = Monthly(day=1, at=time(8, 0))

    utc_now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)

    assert rule.period_key(utc_now) == rule.period_key(local(2026, 12, 1, 8, 0)) == 2026 * 12 + 11
    assert rule.period_key(datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)) == 2026 * 12 + 10
    with pytest.raises(ValueError, match="aware"):
        rule.period_key(datetime(2026, 12, 1, 8, 0))  # noqa: DTZ001


def test_calendar_rules_follow_a_zone_with_summer_time(settings):
    # given a company in a zone with summer time (02:30 is skipped in March and repeated in October)
    settings.TIME_ZONE = "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    rule = Daily(time(2, 30))

    # then each day still has one occurrence, and periods follow one another
    first = rule.period_key(datetime(2027, 3, 26, tzinfo=berlin))
    for key in [*range(first, first + 4), *range(first + 217, first + 221)]:  # around 28 March, 31 October
        start = rule.period_start(key)
        assert rule.period_key(start) == key
        assert rule.period_key(start - SECOND) == key - 1
    assert rule.period_start(rule.period_key(datetime(2027, 3, 27, 12, 0, tzinfo=berlin))) == datetime(
        2027, 3, 27, 1, 30, tzinfo=UTC
    )
    assert Monthly(day=1, at=time(8, 0)).period_start(2027 * 12 + 6) == datetime(2027, 7, 1, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Monthly(day=0),
        lambda: Monthly(day=32),
        lambda: Quarterly(day=32),
        lambda: Yearly(month=13, day=1),
        lambda: Yearly(month=2, day=30),
        lambda: Yearly(month=4, day=31),
        lambda: Daily(time(8, 0, tzinfo=UTC)),
        lambda: periodic(name="x", every=timedelta(days=1), at=Daily(time(8, 0))),
        lambda: periodic(name="x", offset=timedelta(hours=1), at=Daily(time(8, 0))),
        lambda: periodic(name="x"),
        lambda: periodic(name="x", every=timedelta(0)),
    ],
)
def test_invalid_rules_fail_when_declared(make):
    with pytest.raises(ValueError):  # noqa: PT011
        make()


def test_rules_print_readably():
    assert str(Daily(time(8, 0))) == "daily at 08:00"
    assert str(Monthly(day=1, at=time(8, 0))) == "monthly on day 1 at 08:00"
    assert str(Quarterly(day=10, at=time(9, 0))) == "quarterly on day 10 of Jan, Apr, Jul, Oct at 09:00"
    assert str(Yearly(month=1, day=15, at=time(9, 0))) == "yearly on 15 January at 09:00"
    assert str(Every(timedelta(minutes=2))) == "every 2 minutes"
    assert str(JOB.rule) == "every 5 minutes"


# --- calendar rules with the scheduler: claimed once per period --------------------------------------------


@pytest.mark.django_db
def test_two_schedulers_at_the_same_instant_enqueue_a_monthly_job_once():
    # given two schedulers ticking at 08:00 on the 1st
    now = local(2026, 12, 1, 8, 0)

    # when both tick
    first, second = scheduler_tick(now=now, jobs=MONTHLY_JOBS), scheduler_tick(now=now, jobs=MONTHLY_JOBS)

    # then the job is enqueued once, for December
    assert (first, second) == ([MONTHLY_JOB.name], [])
    run = ScheduledRun.objects.get()
    assert (run.period_key, run.period_start) == (2026 * 12 + 11, now)
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db
def test_a_tick_before_the_days_time_enqueues_nothing_new():
    # given December's run done
    scheduler_tick(now=local(2026, 12, 1, 8, 0), jobs=MONTHLY_JOBS)

    # when the scheduler ticks through December and up to 07:59:59 on 1 January
    quiet = [
        scheduler_tick(now=now, jobs=MONTHLY_JOBS)
        for now in (local(2026, 12, 31, 23, 59, 59), local(2027, 1, 1, 0, 0), local(2027, 1, 1, 7, 59, 59))
    ]

    # then nothing more is enqueued until 08:00
    assert quiet == [[], [], []]
    assert DBTaskResult.objects.count() == 1
    assert scheduler_tick(now=local(2027, 1, 1, 8, 0), jobs=MONTHLY_JOBS) == [MONTHLY_JOB.name]
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_a_late_scheduler_catches_up_the_current_period_once():
    # given no scheduler ran in October or November, nor on 1 December
    with time_machine.travel(local(2026, 12, 20, 15, 0), tick=False):
        # when one starts on 20 December
        late = scheduler_tick(jobs=MONTHLY_JOBS)
        again = scheduler_tick(jobs=MONTHLY_JOBS)

    # then December's job runs once, and the missed months are not run
    assert (late, again) == ([MONTHLY_JOB.name], [])
    assert list(ScheduledRun.objects.values_list("period_start", flat=True)) == [local(2026, 12, 1, 8, 0)]
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db
def test_two_schedulers_in_one_period_enqueue_once():
    now = datetime(2026, 11, 26, 8, 1, tzinfo=UTC)
    assert scheduler_tick(now=now, jobs=JOBS) == [JOB.name]
    assert scheduler_tick(now=now + timedelta(minutes=2), jobs=JOBS) == []  # a second scheduler, same period
    assert ScheduledRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 1
    assert scheduler_tick(now=now + timedelta(minutes=5), jobs=JOBS) == [JOB.name]  # next period
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("jobs", [JOBS, MONTHLY_JOBS], ids=["every", "monthly"])
def test_concurrent_schedulers_enqueue_once(jobs):
    threads_count = 4
    now = datetime(2026, 12, 1, 8, 1, tzinfo=SHANGHAI)
    barrier = threading.Barrier(threads_count)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(scheduler_tick(now=now, jobs=jobs))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sorted(len(r) for r in results) == [0] * (threads_count - 1) + [1]
    assert ScheduledRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_a_queued_job_once():
    from django_tasks_db.management.commands.db_worker import Worker

    with time_machine.travel(datetime(2026, 11, 26, 8, 1, tzinfo=UTC), tick=True):
        scheduler_tick(jobs=JOBS)

    def work(worker_id: str) -> None:
        try:
            Worker(
                queue_names=["periodic"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=worker_id,
                excluded_queue_names=[],
            ).run()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert AuditEntry.objects.filter(object_type="test.run").count() == 1
    assert DBTaskResult.objects.successful().count() == 1


@pytest.mark.django_db
def test_scheduler_command_prints_each_jobs_rule(monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    monkeypatch.setattr("signal.signal", lambda *args: None)  # leave pytest's Ctrl-C handler alone
    monkeypatch.setattr(  # it would close the test's connection, which is inside a transaction
        "estatedesk.common.management.commands.scheduler.close_old_connections", lambda: None
    )
    out = StringIO()

    with time_machine.travel(local(2026, 12, 1, 2, 0), tick=False):
        call_command("scheduler", "--once", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == f"scheduler: {len(periodic_jobs())} periodic jobs (calendar rules in Asia/Shanghai):"
    assert "  common.prune_finished_tasks: daily at 03:00" in lines
    assert "  feedback.sla_sweep: every 1 minute" in lines
    assert "scheduler: enqueued common.prune_finished_tasks" in lines  # yesterday's 03:00 period, caught up
