"""Word search at scale (issue 17, ADR 0019): each item's words as tokens (feedback/search.py), filled in for
the items already on file, and the index each database offers over them: an FTS5 table kept in step by
triggers on SQLite, a GIN index over `to_tsvector('simple', search_tokens)` on PostgreSQL."""

from typing import Any

from django.db import migrations, models

from estatedesk.feedback.search import SQLITE_TABLE, search_tokens

BATCH = 2000
PG_INDEX = "feedback_item_search_words"

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5("
    "search_tokens, content='feedback_feedbackitem', content_rowid='id', detail='none')",
    f"""CREATE TRIGGER {SQLITE_TABLE}_insert AFTER INSERT ON feedback_feedbackitem BEGIN
        INSERT INTO {SQLITE_TABLE}(rowid, search_tokens) VALUES (new.id, new.search_tokens);
    END""",
    f"""CREATE TRIGGER {SQLITE_TABLE}_delete AFTER DELETE ON feedback_feedbackitem BEGIN
        INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, search_tokens)
        VALUES ('delete', old.id, old.search_tokens);
    END""",
    f"""CREATE TRIGGER {SQLITE_TABLE}_update AFTER UPDATE OF search_tokens ON feedback_feedbackitem BEGIN
        INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, search_tokens)
        VALUES ('delete', old.id, old.search_tokens);
        INSERT INTO {SQLITE_TABLE}(rowid, search_tokens) VALUES (new.id, new.search_tokens);
    END""",
    f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES ('rebuild')",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {SQLITE_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {SQLITE_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {SQLITE_TABLE}_update",
    f"DROP TABLE IF EXISTS {SQLITE_TABLE}",
]
PG_CREATE = [
    f"CREATE INDEX {PG_INDEX} ON feedback_feedbackitem "
    "USING gin (to_tsvector('simple'::regconfig, search_tokens))"
]
PG_DROP = [f"DROP INDEX IF EXISTS {PG_INDEX}"]


def fill_tokens(apps: Any, schema_editor: Any) -> None:
    """The items on file get their tokens, a batch at a time (the model's save() is not called here)."""
    item_model = apps.get_model("feedback", "FeedbackItem")
    items = item_model.objects.using(schema_editor.connection.alias)
    last = 0
    while True:
        batch = list(items.filter(pk__gt=last).order_by("pk").only("pk", "title", "description")[:BATCH])
        if not batch:
            return
        for item in batch:
            item.search_tokens = search_tokens(item.title, item.description)
        items.bulk_update(batch, ["search_tokens"])
        last = batch[-1].pk


def _run(schema_editor: Any, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def create_index(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {"sqlite": SQLITE_CREATE, "postgresql": PG_CREATE})


def drop_index(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": PG_DROP})


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0007_return_visit_event"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedbackitem",
            name="search_tokens",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="search words"),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_index, drop_index),
    ]
