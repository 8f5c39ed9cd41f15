"""Word search in the items' titles and descriptions through an index each database has (issue 17, ADR
0019): Chinese has no spaces between words, and a two-character word (漏水, 噪音) is too short for a
trigram index, so each item keeps its words as tokens in `FeedbackItem.search_tokens`:

- a run of Chinese (or Japanese, Korean) characters gives every pair of neighbouring characters (漏水严重 →
  漏水 水严 严重) and its last character alone (重), so that a word of one character is found too;
- a run of other letters and digits is one word (case folded);
- the text is NFKC-normalised first: full-width digits and letters (３号楼, ＡＢＣ) are the plain ones.

A search word is split the same way, and an item matches when it has every token of every word: a Chinese
word of two or more characters by its pairs, one character or a Latin word or number as the start of a token
(水 finds 水管 and 漏水; "lift" finds "lifts"). The tokens are looked up in SQLite's FTS5 table
`feedback_item_search` (kept in step with the column by triggers) or PostgreSQL's GIN index on
`to_tsvector('simple', search_tokens)`; both made by migration feedback 0008. `FeedbackItem.save` writes
the tokens whenever the title or the description is saved.

This module knows no model: the model calls `search_tokens`, the selectors `index_condition`."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

# what is indexed of a description: enough for any text an owner types (forms take 4,000 characters, the
# API 10,000); a pasted book stays within PostgreSQL's 1 MB per tsvector
INDEXED_CHARS = 20_000
MAX_WORDS = 5  # as the list's search always took: the first five words
MAX_TOKEN = 60  # a longer "word" (a pasted hash, a URL without spaces) is cut; its start still matches

# Han (with extensions and compatibility ideographs), kana, Hangul: written without spaces between words
_CJK = (
    "\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")

SQLITE_TABLE = "feedback_item_search"
# SQLite: from how many matching items a list read newest first walks its date order and checks each row
# against the matches, instead of reading every match and sorting them (bench/RESULTS.md, "Word search");
# and from how many a count walks the other filters' index (a project's items) instead of reading every
# match and looking its item up
SQLITE_WALK_FROM = 2000
SQLITE_COUNT_WALK_FROM = 20_000
# a searched list counts up to this many items, then says "more than 1,000: add words or filters" (the
# staff list counts to 1,000 too, the API's list to 10,000): looking a match's item up costs 2–3 µs, 25 ms
# for ten thousand
SEARCH_COUNT_CAP = 1000
_SQLITE_MATCHES = f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s"  # noqa: S608
_SQLITE_COUNT = f"SELECT count(*) FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s"  # noqa: S608
_POSTGRESQL_MATCH = (
    'to_tsvector(\'simple\'::regconfig, "feedback_feedbackitem"."search_tokens")'
    " @@ to_tsquery('simple'::regconfig, %s)"
)


class _SqliteMatch(RawSQL):
    """The items whose tokens match, from the FTS5 table, read the way that suits the query: when the
    matches are few, read them and look each item up (a list sorts them); when they are many, walk the
    list's date order (a count: the other filters' index) checking each item against them, stopping at the
    page or the count's cap (the unary + keeps SQLite from driving the query by the item ids). A RawSQL,
    so that Django puts it in the WHERE clause as it is (not compared with true, which would hide the ids
    from SQLite's planner)."""

    def __init__(self, match: str, matches: int) -> None:
        super().__init__(_SQLITE_MATCHES, [match], output_field=BooleanField())
        self.matches = matches

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        query = compiler.query
        ordered = bool(query.order_by) or bool(query.default_ordering and query.get_meta().ordering)
        walk = "+" if self.matches >= (SQLITE_WALK_FROM if ordered else SQLITE_COUNT_WALK_FROM) else ""
        table = compiler.quote_name(query.get_initial_alias())
        return f'({walk}{table}."id" IN ({self.sql}))', tuple(self.params)


def count_cap(text: str) -> int | None:
    """How far a list searched for `text` counts (None: the lists' own cap), on the page and in the API."""
    return SEARCH_COUNT_CAP if text.strip() else None


def _runs(text: str) -> list[str]:
    """The runs of Chinese characters and the words of other letters and digits, normalised."""
    return _RUN.findall(unicodedata.normalize("NFKC", text).casefold())


def _is_cjk(run: str) -> bool:
    return bool(_IS_CJK.match(run))


def search_tokens(title: str, description: str) -> str:
    """The item's tokens, space-separated, each once (what `FeedbackItem.search_tokens` holds)."""
    tokens: dict[str, None] = {}
    for run in _runs(f"{title} {description[:INDEXED_CHARS]}"):
        if _is_cjk(run):
            for index in range(len(run) - 1):
                tokens[run[index : index + 2]] = None
            tokens[run[-1]] = None
        else:
            tokens[run[:MAX_TOKEN]] = None
    return " ".join(tokens)


def query_terms(text: str) -> list[tuple[str, bool]]:
    """The tokens an item must have for the search text: (token, is a prefix), each once. Empty when the
    text has no letter or digit (punctuation only)."""
    terms: dict[tuple[str, bool], None] = {}
    for word in text.split()[:MAX_WORDS]:
        for run in _runs(word):
            if _is_cjk(run) and len(run) > 1:
                for index in range(len(run) - 1):
                    terms[(run[index : index + 2], False)] = None
            else:
                terms[(run[:MAX_TOKEN], True)] = None
    return list(terms)


def index_condition(text: str) -> Q | None:
    """The items matching the search text, as a condition on the item table, answered from the database's
    index; None when the text has nothing to look up or the database has no such index (the caller then
    compares the words with LIKE)."""
    terms = query_terms(text)
    if not terms:
        return None
    if connection.vendor == "sqlite":
        # FTS5 query syntax: every token in double quotes (they hold letters and digits only), * a prefix
        match = " AND ".join(f'"{token}"' + ("*" if prefix else "") for token, prefix in terms)
        with connection.cursor() as cursor:  # how many: a count of the index's entries, no item read
            cursor.execute(_SQLITE_COUNT, [match])
            matches = cursor.fetchone()[0]
        if not matches:
            return Q(pk__in=[])  # nothing to read
        return Q(_SqliteMatch(match, matches))
    if connection.vendor == "postgresql":
        query = " & ".join(f"'{token}'" + (":*" if prefix else "") for token, prefix in terms)
        return Q(RawSQL(_POSTGRESQL_MATCH, [query], output_field=BooleanField()))  # noqa: S611
    return None
