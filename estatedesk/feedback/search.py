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
`feedback_item_search` (kept in step with the column by triggers; migration feedback 0008) or PostgreSQL's
GIN index on the generated column `search_vector`, `strip(to_tsvector('simple', search_tokens))` (migration
feedback 0009). `FeedbackItem.save` writes the tokens whenever the title or the description is saved.

This module knows no model: the model calls `search_tokens`, the selectors `index_condition`."""

from __future__ import annotations

import json
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
# PostgreSQL: from how many matching items a list read newest first walks its date order and checks each
# item's stored vector (about 0.4 µs an item) instead of reading every match from the GIN index and sorting
# them (about 3 µs a match); its planner cannot tell, as it takes two words for independent (噪音 扰民 on
# 18,900 items of a million: 370 expected, 57 ms sorted, 1 ms walked). Counts always read the index.
POSTGRESQL_WALK_FROM = 2000
# a searched list counts up to this many items, then says "more than 1,000: add words or filters" (the
# staff list counts to 1,000 too, the API's list to 10,000): looking a match's item up costs 2–3 µs, 25 ms
# for ten thousand
SEARCH_COUNT_CAP = 1000
_SQLITE_MATCHES = f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s"  # noqa: S608
_SQLITE_COUNT = f"SELECT count(*) FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s"  # noqa: S608
_POSTGRESQL_QUERY = "to_tsquery('simple'::regconfig, %s)"
# tokens whose estimates are asked for (an EXPLAIN each); a longer search (a pasted sentence) is counted
_POSTGRESQL_ESTIMATED = 8
_POSTGRESQL_TOKEN = f"SELECT 1 FROM feedback_feedbackitem WHERE search_vector @@ {_POSTGRESQL_QUERY}"  # noqa: S608
# planned for every match (so through the index: with a LIMIT in view the planner would scan the table for
# tokens it thinks common, all of it when they are seldom together), read up to the limit
_POSTGRESQL_PROBE = (
    f"WITH matches AS MATERIALIZED ({_POSTGRESQL_TOKEN})"  # noqa: S608 - constants only
    f" SELECT count(*) FROM (SELECT 1 FROM matches LIMIT {POSTGRESQL_WALK_FROM}) AS probe"
)


def _ordered(compiler: Any) -> bool:
    """Whether the query being written is a list in an order (not a count, which Django writes unordered)."""
    query = compiler.query
    return bool(query.order_by) or bool(query.default_ordering and query.get_meta().ordering)


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
        walk = (
            "+"
            if self.matches >= (SQLITE_WALK_FROM if _ordered(compiler) else SQLITE_COUNT_WALK_FROM)
            else ""
        )
        table = compiler.quote_name(compiler.query.get_initial_alias())
        return f'({walk}{table}."id" IN ({self.sql}))', tuple(self.params)


class _PostgresqlMatch(RawSQL):
    """The items whose stored vector matches: through the GIN index (`@@`, which the planner can use) when
    the matches are few or the query is a count; as a plain function of each item (`ts_match_vq`, which no
    index answers, so the planner walks the list's order and stops at the page) when a list newest first
    has many matches."""

    def __init__(self, query: str, matches: int) -> None:
        super().__init__(_POSTGRESQL_QUERY, [query], output_field=BooleanField())
        self.matches = matches

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        vector = f'{compiler.quote_name(compiler.query.get_initial_alias())}."search_vector"'
        if _ordered(compiler) and self.matches >= POSTGRESQL_WALK_FROM:
            return f"ts_match_vq({vector}, {self.sql})", tuple(self.params)
        return f"({vector} @@ {self.sql})", tuple(self.params)


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
        tokens = [f"'{token}'" + (":*" if prefix else "") for token, prefix in terms]
        query = " & ".join(tokens)
        return Q(_PostgresqlMatch(query, _postgresql_matches(tokens, query)))
    return None


def _postgresql_matches(tokens: list[str], query: str) -> int:
    """About how many items match, as far as the list's choice needs it (POSTGRESQL_WALK_FROM). The planner's
    statistics count each token well (an EXPLAIN each for the first eight, no row read): a token on few
    items makes the search few, one token on many makes it many. Several tokens each on many items may
    still be on few together (漏水 电梯) or on as many (噪音 扰民): those are counted through the index, up
    to POSTGRESQL_WALK_FROM (a few milliseconds)."""
    with connection.cursor() as cursor:
        fewest = None
        for token in tokens[:_POSTGRESQL_ESTIMATED]:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {_POSTGRESQL_TOKEN}", [token])
            estimate = int(_json_plan(cursor.fetchone()[0])[0]["Plan"]["Plan Rows"])
            fewest = estimate if fewest is None else min(fewest, estimate)
            if fewest < POSTGRESQL_WALK_FROM:
                return fewest
        if len(tokens) == 1:
            return fewest or 0  # one token, estimated well
        cursor.execute(_POSTGRESQL_PROBE, [query])
        return int(cursor.fetchone()[0])


def _json_plan(value: Any) -> Any:
    """EXPLAIN's JSON as psycopg gives it (already parsed, or text)."""
    return json.loads(value) if isinstance(value, str) else value
