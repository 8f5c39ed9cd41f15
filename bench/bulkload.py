"""Bulk loading on a Django connection, with the weighted sampling and texts of the data, shared by
our data (generate.py, in our venv) and the peer's (peer_helpdesk.py, in its venv): executemany in large
transactions on SQLite, COPY on PostgreSQL, with the secondary indexes dropped during the load and built
again afterwards. Plain Django connection API, so it runs under either Django version."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

# what owners add after the problem, in both products' generated texts
DETAILS = [
    "已经持续好几天了，请尽快处理。",
    "影响正常生活，希望物业重视。",
    "之前反映过一次，至今没有结果。",
    "请安排人员上门查看。",
    "麻烦处理后电话告知。",
]


def weighted[T](rng: random.Random, pairs: Sequence[tuple[T, float]]) -> Callable[[], T]:
    """A picker of values in proportion to their weights: [("complaint", 35), ("repair", 40), …]."""
    values = [value for value, _ in pairs]
    cumulative: list[float] = []
    total = 0.0
    for _, weight in pairs:
        total += weight
        cumulative.append(total)
    return lambda: rng.choices(values, cum_weights=cumulative)[0]


class BulkWriter:
    def __init__(self, connection: Any) -> None:
        connection.ensure_connection()
        self.connection = connection
        self.raw = connection.connection
        self.sqlite = connection.vendor == "sqlite"

    def insert(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        """One transaction; on PostgreSQL without foreign-key triggers (the rows are consistent by
        construction)."""
        from django.db import transaction

        if not rows:
            return
        names = ", ".join(f'"{column}"' for column in columns)
        with transaction.atomic():
            if self.sqlite:
                marks = ", ".join("?" for _ in columns)
                self.raw.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
            else:
                with self.raw.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
                    with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(row)

    def indexes(self, table: str) -> list[tuple[str, str]]:
        """(name, CREATE statement) of the table's secondary indexes (not keys or unique constraints)."""
        with self.connection.cursor() as cursor:
            if self.sqlite:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                    "WHERE t.relname = %s "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
                    [table],
                )
            return list(cursor.fetchall())

    def execute(self, *statements: str) -> None:
        with self.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    @contextmanager
    def indexes_dropped(self, tables: list[str]) -> Iterator[None]:
        """Drop the tables' secondary indexes for the load; build them again when it ends."""
        saved = [index for table in tables for index in self.indexes(table)]
        self.execute(*(f'DROP INDEX "{name}"' for name, _ in saved))
        try:
            yield
        finally:
            self.execute(*(sql for _, sql in saved))

    def settle(self) -> None:
        """After a load: fresh planner statistics, and on PostgreSQL the visibility map a vacuum sets, as a
        database that grew over years has it (autovacuum's work): without it an index-only count reads
        every row's page (a project's 1,000 closed items: 2.7 ms instead of 0.3)."""
        self.execute("ANALYZE" if self.sqlite else "VACUUM ANALYZE")

    def reset_sequences(self, tables: list[str]) -> None:
        """After rows inserted with explicit ids, the next id follows the largest (PostgreSQL)."""
        if self.sqlite:
            return
        self.execute(
            *(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
                for table in tables
            )
        )


def database_bytes(connection: Any) -> int:
    """The database's size on disk (SQLite: after folding the WAL in)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
        else:
            cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])
