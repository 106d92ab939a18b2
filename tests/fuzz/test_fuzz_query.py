"""`make fuzz`: the grep query parser and FTS expression builder on any text.

Either a query parses and yields an FTS5 expression SQLite accepts, or it is
refused with a GtcbriefError (a one-line message for the user)."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from gtcbrief.errors import GtcbriefError
from gtcbrief.search import compile_term, fts_expression, parse_query

QUERYISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                '"',
                "-",
                "OR",
                " ",
                "title:",
                "desc:",
                "org:",
                "(",
                ")",
                "*",
                ":",
                "机器人",
                "rag",
                "NEAR",
                "AND",
                "NOT",
                "^",
                "'",
                "\\",
                "数據",
            ]
        ),
        st.text(max_size=6),
    ),
    max_size=20,
).map("".join)


def _db() -> sqlite3.Connection:
    """An FTS5 table with the index's own schema."""
    from gtcbrief.index import _SCHEMA

    db = sqlite3.connect(":memory:")
    db.executescript(_SCHEMA)
    return db


DB = _db()


@given(st.one_of(st.text(), QUERYISH))
def test_query_parser_never_crashes(text: str) -> None:
    try:
        query = parse_query(text)
    except GtcbriefError:
        return
    assert query.clauses
    groups = [[compile_term(term) for term in clause] for clause in query.clauses]
    expression = fts_expression(groups)
    if expression:
        DB.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (expression,)).fetchall()
