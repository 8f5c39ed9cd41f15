"""Periodic jobs (issue 9, item 9): declared next to their task, enqueued once per period by the scheduler.

    @periodic(name="feedback.sla_sweep", every=timedelta(minutes=1))  # a fixed interval
    @task(queue_name="periodic")
    def sla_sweep() -> None: ...

    @periodic(name="common.prune_finished_tasks", at=Daily(time(3, 0)))  # a calendar rule
    @task(queue_name="periodic")
    def prune_finished_tasks() -> None: ...

A fixed interval counts its periods from the Unix epoch in UTC plus `offset`. A calendar rule names
wall-clock times in the company's time zone (settings.TIME_ZONE, Asia/Shanghai):

    Daily(time(8, 0))                          every day at 08:00
    Monthly(day=1, at=time(8, 0))              the 1st of every month at 08:00
    Quarterly(day=10, at=time(9, 0))           the 10th of January, April, July and October at 09:00
    Yearly(month=1, day=15, at=time(9, 0))     15 January at 09:00

A day past a month's end means the month's last day (day 31 runs on 28 or 29 February, 30 April). The
period of a calendar rule runs from one occurrence to the next, and its key numbers the occurrence: days
since 1970-01-01 of the local date (Daily), year * 12 + month - 1 (Monthly), year * 4 + quarter - 1
(Quarterly), the year (Yearly). Before the 1st at 08:00 the previous month's period is still current.

`scheduler_tick` claims the current period of every job by inserting a `ScheduledRun` row and enqueues the
task in the same transaction; the unique constraint on (job, period) means a second scheduler, or a
restarted one, enqueues nothing more for that period. So a job is enqueued by the first tick at or after
its occurrence, a job whose next occurrence is still ahead does nothing, and a scheduler that starts late
in a period (after downtime, or on the day a job is deployed) runs that period's job once; earlier missed
periods are not run. Workers then claim each queued task once (django-tasks-db locks rows with SELECT …
FOR UPDATE SKIP LOCKED, or an exclusive transaction on SQLite).
"""

from __future__ import annotations

import calendar
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from estatedesk.common.models import ScheduledRun

logger = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DAY = date(1970, 1, 1)
QUARTER_MONTHS = (1, 4, 7, 10)


def _duration(span: timedelta) -> str:
    seconds = span.total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return str(span)


@dataclass(frozen=True)
class Every:
    """A fixed interval: periods of `every`, counted from the Unix epoch in UTC plus `offset`."""

    every: timedelta
    offset: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if self.every <= timedelta(0):
            raise ValueError("a periodic job needs a positive period")

    def period_key(self, now: datetime) -> int:
        return int((_aware(now) - EPOCH - self.offset) // self.every)

    def period_start(self, key: int) -> datetime:
        return EPOCH + self.offset + key * self.every

    def __str__(self) -> str:
        if not self.offset:
            return f"every {_duration(self.every)}"
        return f"every {_duration(self.every)}, offset {self.offset} from 1970-01-01 00:00 UTC"


def _aware(now: datetime) -> datetime:
    if timezone.is_naive(now):
        raise ValueError("the scheduler needs an aware datetime")
    return now


def _clamped(year: int, month: int, day: int) -> date:
    """`day` of the month, or the month's last day when the month is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _clock(at: time) -> str:
    return at.isoformat(timespec="minutes" if not at.second and not at.microsecond else "seconds")


class CalendarRule(ABC):
    """Occurrences at the wall-clock time `at` (settings.TIME_ZONE) on certain local dates. A subclass says
    on which date its period `key` occurs (`occurs_on`) and which key the calendar unit holding a local date
    has (`key_for`); the period of `now` is that of its local date, or the one before while the date's
    occurrence is still ahead."""

    at: time

    @abstractmethod
    def occurs_on(self, key: int) -> date: ...

    @abstractmethod
    def key_for(self, day: date) -> int: ...

    def period_key(self, now: datetime) -> int:
        now = _aware(now)
        key = self.key_for(now.astimezone(timezone.get_default_timezone()).date())
        return key if self.period_start(key) <= now else key - 1

    def period_start(self, key: int) -> datetime:
        """The occurrence of period `key`, in UTC (comparisons between aware datetimes of one zone ignore
        `fold`, so they are made in UTC)."""
        local = datetime.combine(self.occurs_on(key), self.at, tzinfo=timezone.get_default_timezone())
        return local.astimezone(UTC)

    def _check(self) -> None:
        if self.at.tzinfo is not None:
            raise ValueError("a calendar rule's time is read in settings.TIME_ZONE: give a naive time")


def _check_day(day: int) -> None:
    if not 1 <= day <= 31:
        raise ValueError(f"day {day} is not a day of a month")


@dataclass(frozen=True)
class Daily(CalendarRule):
    """Every day at `at`. Key: days since 1970-01-01 of the local date."""

    at: time

    def __post_init__(self) -> None:
        self._check()

    def occurs_on(self, key: int) -> date:
        return EPOCH_DAY + timedelta(days=key)

    def key_for(self, day: date) -> int:
        return (day - EPOCH_DAY).days

    def __str__(self) -> str:
        return f"daily at {_clock(self.at)}"


@dataclass(frozen=True)
class Monthly(CalendarRule):
    """Every month on `day` (the last day in shorter months) at `at`. Key: year * 12 + month - 1."""

    day: int
    at: time = time(0, 0)

    def __post_init__(self) -> None:
        _check_day(self.day)
        self._check()

    def occurs_on(self, key: int) -> date:
        year, month_index = divmod(key, 12)
        return _clamped(year, month_index + 1, self.day)

    def key_for(self, day: date) -> int:
        return day.year * 12 + day.month - 1

    def __str__(self) -> str:
        return f"monthly on day {self.day} at {_clock(self.at)}"


@dataclass(frozen=True)
class Quarterly(CalendarRule):
    """Every quarter on `day` of its first month (January, April, July, October) at `at`.
    Key: year * 4 + quarter - 1."""

    day: int = 1
    at: time = time(0, 0)

    def __post_init__(self) -> None:
        _check_day(self.day)
        self._check()

    def occurs_on(self, key: int) -> date:
        year, quarter_index = divmod(key, 4)
        return _clamped(year, QUARTER_MONTHS[quarter_index], self.day)

    def key_for(self, day: date) -> int:
        return day.year * 4 + (day.month - 1) // 3

    def __str__(self) -> str:
        return f"quarterly on day {self.day} of Jan, Apr, Jul, Oct at {_clock(self.at)}"


@dataclass(frozen=True)
class Yearly(CalendarRule):
    """Every year on `day` `month` at `at` (29 February runs on the 28th in common years). Key: the year."""

    month: int
    day: int
    at: time = time(0, 0)

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not a month")
        if not 1 <= self.day <= calendar.monthrange(2000, self.month)[1]:  # 2000: a leap year
            raise ValueError(f"{self.month}/{self.day} is not a date")
        self._check()

    def occurs_on(self, key: int) -> date:
        return _clamped(key, self.month, self.day)

    def key_for(self, day: date) -> int:
        return day.year

    def __str__(self) -> str:
        return f"yearly on {self.day} {calendar.month_name[self.month]} at {_clock(self.at)}"


@dataclass(frozen=True)
class PeriodicJob:
    """A task and its rule: a fixed interval (`every`, `offset`) or a calendar rule (`at`)."""

    name: str
    task: Any  # a django.tasks Task
    every: timedelta | None = None
    offset: timedelta = timedelta(0)
    at: CalendarRule | None = None
    rule: Every | CalendarRule = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rule: Every | CalendarRule
        if self.at is not None:
            if self.every is not None or self.offset:
                raise ValueError(f"{self.name}: a calendar rule takes no every= or offset=")
            rule = self.at
        elif self.every is not None:
            rule = Every(self.every, self.offset)
        else:
            raise ValueError(f"{self.name}: give every= or at=")
        object.__setattr__(self, "rule", rule)

    def period_key(self, now: datetime) -> int:
        return self.rule.period_key(now)

    def period_start(self, key: int) -> datetime:
        return self.rule.period_start(key)


_registry: dict[str, PeriodicJob] = {}


def periodic(
    *,
    name: str,
    every: timedelta | None = None,
    offset: timedelta = timedelta(0),
    at: CalendarRule | None = None,
) -> Callable[[Any], Any]:
    """Register the decorated task as periodic job `name`: every `every` (plus `offset` from the epoch),
    or at the calendar rule `at`."""
    PeriodicJob(name=name, task=None, every=every, offset=offset, at=at)  # fail at import, not at the tick

    def register(task_obj: Any) -> Any:
        _registry[name] = PeriodicJob(name=name, task=task_obj, every=every, offset=offset, at=at)
        return task_obj

    return register


def periodic_jobs() -> dict[str, PeriodicJob]:
    autodiscover_modules("tasks")
    return dict(_registry)


def scheduler_tick(*, now: datetime | None = None, jobs: dict[str, PeriodicJob] | None = None) -> list[str]:
    """Enqueue every job whose current period has not been claimed yet; returns the names enqueued."""
    now = now or timezone.now()
    enqueued: list[str] = []
    for job in (jobs if jobs is not None else periodic_jobs()).values():
        key = job.period_key(now)
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(
                    job_name=job.name, period_key=key, period_start=job.period_start(key)
                )
                result = job.task.enqueue()
                run.task_result_id = str(result.id)
                run.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue  # another scheduler claimed this period first
        logger.info("enqueued %s for period starting %s", job.name, run.period_start.isoformat())
        enqueued.append(job.name)
    return enqueued
