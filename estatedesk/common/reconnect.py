"""Background processes outlive the database (issue 16, item 5): when a query fails because the server went
away, restarted or was unreachable, a loop logs the failure, drops its connections, waits and tries again,
waiting twice as long after each further failure in a row (1 s, 2 s, 4 s, … at most 60 s).

    backoff = Backoff(what="scheduler")
    while running:
        try:
            work()
        except DATABASE_ERRORS as error:
            backoff.failed(error)  # logs, closes the connections, sleeps
            continue
        backoff.succeeded()

Used by the task worker (common/worker.py) and the scheduler (common/management/commands/scheduler.py);
web requests meeting the same errors answer 503 (common/resilience.py). See
docs/adr/0012-what-we-promise.md.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

# What a lost or refused connection raises (psycopg: OperationalError for a terminated backend or a refused
# connection, InterfaceError for a connection already closed; SQLite: OperationalError "database is locked"
# or "unable to open database file"). Errors in our own SQL (ProgrammingError, IntegrityError) are not
# caught: waiting would not mend them.
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 60.0


def drop_connections() -> None:
    """Close every connection of this thread, broken or not; the next query opens a fresh one."""
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(DatabaseError):
            connection.close()


def backoff_delay(
    failures: int, *, first: float = FIRST_DELAY_SECONDS, cap: float = MAX_DELAY_SECONDS
) -> float:
    """Seconds to wait after `failures` failures in a row: first, 2 × first, 4 × first, … at most cap."""
    if failures < 1:
        return 0.0
    return float(min(cap, first * 2 ** min(failures - 1, 30)))


@dataclass
class Backoff:
    """Counts the failures in a row of one loop and waits after each; `sleep` is injected in tests."""

    what: str
    sleep: Callable[[float], None] = time.sleep
    first: float = FIRST_DELAY_SECONDS
    cap: float = MAX_DELAY_SECONDS
    failures: int = 0

    def failed(self, error: BaseException) -> float:
        """Log the failure, drop the connections and wait; returns the seconds waited."""
        self.failures += 1
        delay = backoff_delay(self.failures, first=self.first, cap=self.cap)
        logger.warning(
            "%s: database error (%s: %s), failure %d in a row; reconnecting in %.0f s",
            self.what,
            type(error).__name__,
            str(error).strip() or "no message",
            self.failures,
            delay,
        )
        drop_connections()
        self.sleep(delay)
        return delay

    def succeeded(self) -> None:
        if self.failures:
            logger.warning("%s: database reachable again after %d failures", self.what, self.failures)
        self.failures = 0
