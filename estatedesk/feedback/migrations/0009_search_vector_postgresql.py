"""Word search on PostgreSQL (issue 17, ADR 0019 "Second round"): the tokens' tsvector stored in a generated
column `search_vector` with its GIN index, instead of a GIN index over the expression. A list newest first
whose words are on many items walks its date order and checks each item's stored vector (microseconds);
over the expression, PostgreSQL made the vector of every item it walked. `strip`: positions are not used
(no phrase search), and a vector without them is smaller. Nothing on SQLite (its FTS5 table stays); the
column is PostgreSQL's own, unknown to the model (the database writes it whenever `search_tokens` changes).
Adding a stored column rewrites the item table once."""

from typing import Any

from django.db import migrations

OLD_INDEX = "feedback_item_search_words"
INDEX = "feedback_item_search_vector"

PG_CREATE = [
    "ALTER TABLE feedback_feedbackitem ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(strip(to_tsvector('simple'::regconfig, search_tokens))) STORED",
    f"CREATE INDEX {INDEX} ON feedback_feedbackitem USING gin (search_vector)",
    f"DROP INDEX IF EXISTS {OLD_INDEX}",
]
PG_DROP = [
    f"CREATE INDEX {OLD_INDEX} ON feedback_feedbackitem USING gin (to_tsvector('simple'::regconfig, search_tokens))",
    f"DROP INDEX IF EXISTS {INDEX}",
    "ALTER TABLE feedback_feedbackitem DROP COLUMN IF EXISTS search_vector",
]


def _run(schema_editor: Any, statements: list[str]) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in statements:
            schema_editor.execute(statement)


def create(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, PG_CREATE)


def drop(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, PG_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0008_search_tokens"),
    ]

    operations = [migrations.RunPython(create, drop)]
