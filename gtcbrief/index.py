"""The persistent full-text index behind ``gtcbrief grep``: SQLite FTS5, no server.

What is indexed is a *unit*: an entry of a brief or notes document, or, for
other Markdown, a section (or the whole document when it has no headings).
A unit keeps its parsed fields and the raw text of its line span, so a
query never has to re-read or re-parse an unchanged file.

Schema (``SCHEMA_VERSION``)::

    meta(key, value)            schema version, segmenter (jieba|rjieba), normaliser,
                                snapshot and display (see Freshness)
    files(id, key, size, mtime_ns, digest, format, units)
    units(id, file_id, line, end_line, kind, title, topic, speakers, orgs,
          authors, description, implications, text, norm, heading)
    fts(title, body, words)     -- FTS5, contentless; rowid = units.id

``title`` and ``body`` (the whole unit) hold normalised text turned into
space-separated grams (:func:`gtcbrief.text.gram_tokens`: Latin words and
Chinese bigrams); ``words`` holds jieba's search-mode words of the unit,
used to rank whole-word matches first. Field filters (``desc:`` …) take
their candidates from ``body`` and are decided by verification on the
field's own text, which ``units`` keeps. The ``ascii`` FTS tokenizer then splits on
spaces only (every other byte of a gram is a token character). The index
finds *candidates*; :mod:`gtcbrief.search` verifies each against the text.

Freshness: a file is re-read when its size or ctime changed (the ``mtime_ns``
column holds the ctime: see :attr:`gtcbrief.walk.File.stamp`), and re-indexed
only when its BLAKE2 digest changed too. Files that disappeared are dropped.
Each complete refresh stores a *snapshot* in ``meta``: a digest of the list
of files (display path, absolute path, size, mtime) with their ids; a run
whose files give the same digest uses the index as it is. ``grep`` looks at
the files in another process (:class:`gtcbrief.walk.Walk`) and meanwhile searches the index on
the presumption that the snapshot still holds, showing nothing until the
walk confirms it (``gtcbrief.commands.grep_core``).
Writers take an exclusive lock file and one ``BEGIN IMMEDIATE`` transaction,
so two processes never build at once and readers (WAL) always see a complete
index. An index built from nothing is written, without a journal, to a file of
its own that takes the index's name once it is complete. A database SQLite
cannot read, or one built by another schema or segmenter, is deleted and
rebuilt. Nothing is ever pickled.

Location: ``--cache-dir``, else ``$GTCBRIEF_CACHE_DIR``, else the user cache
directory; one database per set of PATHS and loader settings. ``--no-cache``
(and input from ``-``) builds an in-memory index for the run.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

from gtcbrief.errors import GtcbriefError
from gtcbrief.walk import File as _File
from gtcbrief.walk import Walk, is_stream
from gtcbrief.walk import snapshot as _snapshot
from gtcbrief.walk import stat_files as _stat_files

# The functions below import ``_sqlite3``, the C module that ``sqlite3`` re-exports,
# as ``sqlite3``: the same classes and functions, without ``sqlite3.dbapi2``, which
# imports ``datetime`` for adapters this index never uses (3-4 ms of a warm grep).
TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    import sqlite3
    from contextlib import AbstractContextManager
    from pathlib import Path
    from typing import Any

    from gtcbrief.config import Config
    from gtcbrief.model import Document

SCHEMA_VERSION = "7"  # 5: units.heading; 6, 7: the loader reads front matter, TOCs, notes anew
#: What the loader made of its golden files (``tests/data/loader``) when SCHEMA_VERSION
#: was last set. A test holds the two together: an index reuses an unchanged file's
#: units, so a change to what the loader reads must rebuild every index.
LOADER_GOLDEN = "59e132eaea8e7702"
NORMALISER = "nfkc-casefold-t2s-1"
COLUMNS = ("title", "body", "words")
#: Unit attributes a query may leave unread (:meth:`Index.match`'s ``fields``).
OPTIONAL = ("topic", "speakers", "orgs", "authors", "description", "implications")
#: bm25 weights, in COLUMNS order: a title hit outranks a body hit.
WEIGHTS = (4.0, 1.0, 3.0)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, digest TEXT NOT NULL, format TEXT, units INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS units(
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, line INTEGER NOT NULL,
    end_line INTEGER NOT NULL, kind TEXT, title TEXT NOT NULL, topic TEXT, speakers TEXT,
    orgs TEXT, authors TEXT, description TEXT, implications TEXT, text TEXT NOT NULL,
    norm TEXT NOT NULL, heading INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS units_file ON units(file_id);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, body, words, content='', tokenize='ascii', detail=full
);
"""


class Record:
    """A small record class: its ``__slots__`` are its fields, compared and shown in order.

    What ``@dataclass(slots=True)`` would generate, written out: the decorator
    execs its methods when the class is made, which costs every run of
    ``grep`` about a millisecond a class before anything is searched.
    """

    __slots__ = ()

    def _names(self) -> tuple[str, ...]:
        names: tuple[str, ...] = self.__slots__
        return names

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._names())

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    # defining __eq__ makes the class unhashable, as a mutable record should be

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._names())
        return f"{type(self).__qualname__}({shown})"


class Value(Record):
    """A record not changed once made (a frozen dataclass, without the guard): hashable."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._values())


class Unit(Record):
    """One searchable record: an entry (or section) with its fields and raw text.

    ``heading``: whether the unit's first line is the heading its title was read
    from (an entry's, a section's); not so for text before a document's first
    heading, or in a document without one.
    """

    __slots__ = (
        "path", "line", "end_line", "kind", "title", "topic", "speakers", "orgs", "authors",
        "description", "implications", "text", "id", "score", "file_id", "norm", "heading",
    )  # fmt: skip

    def __init__(
        self,
        path: str,
        line: int,
        end_line: int,
        kind: str | None,
        title: str,
        topic: str | None,
        speakers: str,
        orgs: str,
        authors: str,
        description: str | None,
        implications: str | None,
        text: str,
        id: int = 0,
        score: float = 0.0,
        file_id: int = 0,
        norm: str | None = None,  # normalize(text), kept in the index so queries need not redo it
        heading: bool = True,
    ) -> None:
        self.path = path
        self.line = line
        self.end_line = end_line
        self.kind = kind
        self.title = title
        self.topic = topic
        self.speakers = speakers
        self.orgs = orgs
        self.authors = authors
        self.description = description
        self.implications = implications
        self.text = text
        self.id = id
        self.score = score
        self.file_id = file_id
        self.norm = norm
        self.heading = heading

    def field_text(self, name: str | None) -> str:
        """The text a field filter (``title:`` …) searches; ``None`` is the whole unit."""
        value = {
            "title": self.title,
            "track": self.topic,
            "speaker": self.speakers,
            "org": self.orgs,
            "author": self.authors,
            "desc": self.description,
        }.get(name or "", self.text)
        return value or ""


class IndexStats(Record):
    """What opening the index did: shown by ``grep --verbose``. ``units`` is left at 0
    when the index is opened pending a walk, which ``--verbose`` never does."""

    __slots__ = (
        "location", "segmenter", "files", "indexed", "reused", "removed", "units", "rebuilt",
        "note", "seconds", "unreadable",
    )  # fmt: skip

    def __init__(
        self,
        location: str,
        segmenter: str,
        files: int = 0,
        indexed: int = 0,
        reused: int = 0,
        removed: int = 0,
        units: int = 0,
        rebuilt: str | None = None,
        note: str | None = None,  # something the user should hear about (grep prints it)
        seconds: float = 0.0,
        unreadable: list[str] | None = None,
    ) -> None:
        self.location = location
        self.segmenter = segmenter
        self.files = files
        self.indexed = indexed
        self.reused = reused
        self.removed = removed
        self.units = units
        self.rebuilt = rebuilt
        self.note = note
        self.seconds = seconds
        self.unreadable: list[str] = [] if unreadable is None else unreadable

    def summary(self) -> str:
        from gtcbrief.render import plural

        text = (
            f"index {self.location} ({self.segmenter}): {plural(self.files, 'file')}, "
            f"{self.indexed} indexed, {self.reused} reused, {self.removed} removed, "
            f"{plural(self.units, 'entry', 'entries')}, {self.seconds:.3f} s"
        )
        if self.rebuilt:
            text += f"; rebuilt ({self.rebuilt})"
        return text


#: A thematic break (``---``); compiled when an index is built, which a warm grep never does.
_BREAK = r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$"


def units_of(doc: Document) -> list[Unit]:
    """The units of a loaded document, in line order, covering every non-blank line.

    Entries first; then every stretch of lines outside the entries becomes a
    unit of its own, titled by the section heading it sits under (or the
    document title before the first heading). A grep over the units therefore
    sees all the text a line scan sees.
    """
    lines = doc.lines
    out: list[Unit] = []

    def span(start: int, end: int) -> str:
        return "\n".join(lines[start - 1 : end])

    covered = [False] * (len(lines) + 2)
    for e in doc.entries:
        out.append(
            Unit(
                path=doc.path,
                line=e.line,
                end_line=e.end_line,
                kind=e.kind,
                title=e.title,
                topic=e.topic,
                speakers="\n".join(s.raw for s in e.speakers),
                orgs="\n".join(s.organisation for s in e.speakers if s.organisation),
                authors="\n".join(a.raw for a in e.authors),
                description=e.description,
                implications=e.implications,
                text=span(e.line, e.end_line),
            )
        )
        for n in range(max(1, e.line), min(len(lines), e.end_line) + 1):
            covered[n] = True
    # the innermost section each line sits under (sections nest; a later one is deeper)
    section_of: dict[int, int] = {}
    for i, sec in enumerate(doc.sections):
        for n in range(max(1, sec.line), min(len(lines), sec.end_line) + 1):
            section_of[n] = i
    n = 1
    while n <= len(lines):
        if covered[n] or not lines[n - 1].strip() or re.match(_BREAK, lines[n - 1]):
            n += 1
            continue
        which = section_of.get(n, -1)
        start = n
        while n < len(lines) and not covered[n + 1] and section_of.get(n + 1, -1) == which:
            n += 1
        end = n
        while end > start and not lines[end - 1].strip():
            end -= 1
        title, desc, heading = doc.title or os.path.basename(doc.path), None, False
        if which >= 0:
            sec = doc.sections[which]
            heading = start == sec.line
            title, desc = sec.heading, (sec.text if heading else None)
        unit = Unit(
            doc.path, start, end, None, title, None, "", "", "", desc, None, span(start, end),
            heading=heading,
        )  # fmt: skip
        out.append(unit)
        n += 1
    out.sort(key=lambda u: u.line)
    return out


def default_location() -> str:
    from gtcbrief.text import cache_root

    return os.path.join(cache_root(), "index")


def _blake2b(data: bytes, size: int) -> str:
    """BLAKE2b, hex. ``hashlib`` first loads OpenSSL (milliseconds) for a hash it takes
    from the ``_blake2`` module anyway."""
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - an interpreter without the module
        from hashlib import blake2b
    return blake2b(data, digest_size=size).hexdigest()


def _fingerprint(keys: Sequence[str], config: Config, encoding: str | None) -> str:
    """The index's name: a digest of its roots and settings, as ``json.dumps([sorted(keys),
    repr(template), doc_format, encoding], ensure_ascii=False)`` writes them (the names
    on disk predate :func:`_json_string`, which spares a warm grep importing ``json``)."""
    blob = "[[{}], {}, {}, {}]".format(
        ", ".join(map(_json_string, sorted(keys))),
        _json_string(repr(config.template)),
        _json_string(config.doc_format),
        "null" if encoding is None else _json_string(encoding),
    )
    return _blake2b(blob.encode("utf-8", "surrogatepass"), 10)


#: What ``json.dumps(text, ensure_ascii=False)`` escapes, and how.
_JSON_ESCAPED = re.compile(r'[\x00-\x1f\\"]')
_JSON_SHORT = {
    "\\": "\\\\", '"': '\\"', "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
}  # fmt: skip


def _json_string(text: str) -> str:
    """``json.dumps(text, ensure_ascii=False)`` for a string."""
    return '"{}"'.format(
        _JSON_ESCAPED.sub(lambda m: _JSON_SHORT.get(m[0]) or f"\\u{ord(m[0]):04x}", text)
    )


def _connect(target: str) -> sqlite3.Connection:
    import _sqlite3 as sqlite3

    conn = sqlite3.connect(target, timeout=60.0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 600000")
    if target != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA journal_size_limit = 67108864")  # WAL shrinks after a big build
    return conn


def _file_lock(path: str | Path | None) -> AbstractContextManager[None]:
    """An exclusive advisory lock beside the database (POSIX; SQLite's own locks elsewhere).

    ``contextlib`` is imported here: only writers lock, and a warm grep, which
    never writes, would pay about a millisecond for it.
    """
    import contextlib

    return contextlib.contextmanager(_locked)(path)


def _locked(path: str | Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another gtcbrief is writing this index: say so, then wait
            from gtcbrief.edge import warn

            index = str(path).removesuffix(".lock")
            warn(f"{index}: waiting for another gtcbrief that is updating this index")
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class Index:
    """An open index of the files of PATHS: fresh, or, while ``pending``, presumed fresh.

    A presumed-fresh index (see :func:`open_index`) answers queries at once, from
    one read transaction, while the files are still being looked at; nothing
    it answers may be shown until :meth:`confirm` says the files are the ones
    it was built from.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        display: dict[int, str],
        stats: IndexStats,
        pending: Callable[[], bool] | None = None,
    ):
        self.conn = conn
        self.display = display
        self.stats = stats
        self.pending = pending
        self._confirmed: bool | None = None if pending else True
        #: the snapshot this index was opened on (None: in memory, or none stored)
        self.snapshot: str | None = None
        self._order: dict[int, int] | None = None  # :meth:`order`, once needed

    def reopened(self) -> Index:
        """This index on a new connection, for a forked process (which must not use this
        one), in one read transaction; :class:`GtcbriefError` if it is no longer the same."""
        if self.snapshot is None:
            raise GtcbriefError("this index cannot be reopened")
        conn = _connect(self.stats.location)
        conn.execute("BEGIN")
        if _meta(conn).get("snapshot") != self.snapshot:
            raise GtcbriefError("the index changed since it was opened")
        return Index(conn, self.display, self.stats)

    def confirm(self) -> bool:
        """Whether the index is current for the files of PATHS (waits for the walk)."""
        if self._confirmed is None:
            assert self.pending is not None
            self._confirmed = self.pending()
        return self._confirmed

    def _damaged(self, exc: Exception) -> GtcbriefError:
        """Drop a database that fails mid-query, so the next run rebuilds it."""
        self.conn.close()
        if self.stats.location != ":memory:":
            db = self.stats.location
            with _file_lock(db + ".lock"):
                _remove_db(db)
        said = str(exc)
        said = said if len(said) <= 80 else said[:79] + "…"
        return GtcbriefError(
            f"the index is damaged ({said}); it was removed and the next run rebuilds it",
            path=self.stats.location,
        )

    def _failed(self, exc: Exception, doing: str) -> GtcbriefError:
        """An ``OperationalError``: the query's own fault or a lock timeout, unless the
        stored text no longer decodes (damaged on disk), which is :meth:`_damaged`."""
        if "decode" in str(exc):
            return self._damaged(exc)
        return GtcbriefError(f"{doing} ({exc})")

    def close(self) -> None:
        self.conn.close()

    def _unit(self, row: Sequence[Any], score: float = 0.0) -> Unit:
        return Unit(
            self.display.get(row[1], "?"), row[2], row[3], row[4], row[5], row[6],
            row[7] or "", row[8] or "", row[9] or "", row[10], row[11], row[12],
            row[0], score, row[1], row[13], row[14] == 1,
        )  # fmt: skip

    @staticmethod
    def _columns(with_text: bool, fields: Collection[str] | None) -> str:
        """The ``units`` columns of a :class:`Unit`, as :meth:`_unit` reads them.

        ``fields`` names the optional attributes (:data:`OPTIONAL`) to read; the
        others come back empty, which saves decoding text nobody looks at.
        """
        wanted = [c if fields is None or c in fields else "NULL" for c in OPTIONAL]
        return ", ".join(
            ["u.id", "u.file_id", "u.line", "u.end_line", "u.kind", "u.title"]
            + [c if c == "NULL" else "u." + c for c in wanted]
            + ["u.text" if with_text else "''", "u.norm", "u.heading"]
        )

    def rank(self, expression: str, *, by_path: bool = False) -> list[tuple[int, float]]:
        """(unit id, BM25 score) of the units whose grams match, best first, or with
        ``by_path`` in PATHS and line order (``--sort path``).

        Ranking reads only the postings, not the units; in PATHS order it reads each
        unit's file and line too, but not its text.
        """
        import _sqlite3 as sqlite3

        weights = ", ".join(str(w) for w in WEIGHTS)
        ranked = (
            f"SELECT rowid, bm25(fts, {weights}) AS score FROM fts "
            "WHERE fts MATCH ? ORDER BY score, rowid"
        )
        if by_path:
            ranked = (
                f"SELECT f.rowid, bm25(fts, {weights}), u.file_id, u.line FROM fts f "
                "JOIN units u ON u.id = f.rowid WHERE fts MATCH ?"
            )
        try:
            rows = self.conn.execute(ranked, (expression,)).fetchall()
            if not by_path:
                return rows
        except sqlite3.OperationalError as exc:  # a bad expression, a lock timeout
            raise self._failed(exc, "cannot run the query") from None
        except sqlite3.DatabaseError as exc:  # "database disk image is malformed"
            raise self._damaged(exc) from None
        order = self.order()
        last = len(order)
        rows.sort(key=lambda row: (order.get(row[2], last), row[3]))
        return [(row[0], row[1]) for row in rows]

    def fetch(
        self,
        hits: Sequence[tuple[int, float]],
        *,
        with_text: bool = True,
        fields: Collection[str] | None = None,
    ) -> Iterator[Unit]:
        """The units of ranked ``hits``, in that order.

        Rows are fetched in batches as the caller consumes them (so ``--limit``
        stops early), without the raw text when ``with_text`` is false
        (``-l``/``-c`` verify on ``norm``) and with only the optional ``fields``
        asked for (see :meth:`_columns`).
        """
        import _sqlite3 as sqlite3

        columns = self._columns(with_text, fields)
        unit = self._unit
        try:
            size = 64  # small first, so ``--limit 1`` reads little; then larger batches
            start = 0
            while start < len(hits):
                end = min(start + size, len(hits))
                while end < len(hits) and hits[end][1] == hits[end - 1][1]:
                    end += 1  # a run of equal scores is put in order whole (see below)
                batch = hits[start:end]
                start = end
                size = _VARIABLES
                rows: dict[int, Sequence[Any]] = {}
                for at in range(0, len(batch), _VARIABLES):
                    part = batch[at : at + _VARIABLES]
                    rows.update(
                        (row[0], row)
                        for row in self.conn.execute(
                            f"SELECT {columns} FROM units u WHERE u.id IN "
                            f"({','.join('?' * len(part))})",
                            [rowid for rowid, _score in part],
                        )
                    )
                found = [unit(rows[rowid], -float(score)) for rowid, score in batch]
                scores = [score for _rowid, score in batch]
                if len(set(scores)) < len(scores):
                    found = self._ties_in_order(found, scores)
                yield from found
        except sqlite3.OperationalError as exc:  # a lock timeout
            raise self._failed(exc, "cannot run the query") from None
        except sqlite3.DatabaseError as exc:  # "database disk image is malformed"
            raise self._damaged(exc) from None

    def _ties_in_order(self, units: list[Unit], scores: list[float]) -> list[Unit]:
        """Units of equal score in PATHS and line order, as an index built now would
        rank them: the query breaks ties by rowid, and a file indexed again since
        gets new rowids (a copy in two files then came first or second by history).
        ``scores``: the units' scores, in order."""
        order = self.order()
        last = len(order)
        # only the runs of equal scores are touched (most units have none)
        tied = [i for i, (a, b) in enumerate(zip(scores, scores[1:], strict=False)) if a == b]
        k = 0
        while k < len(tied):
            start = end = tied[k]
            while k < len(tied) and tied[k] == end:
                end += 1
                k += 1
            units[start : end + 1] = sorted(
                units[start : end + 1], key=lambda u: (order.get(u.file_id, last), u.line)
            )
        return units

    def all_units(
        self, *, with_text: bool = True, fields: Collection[str] | None = None
    ) -> Iterator[Unit]:
        """Every unit, in file and line order (the scan fallback)."""
        import _sqlite3 as sqlite3

        sql = f"SELECT {self._columns(with_text, fields)} FROM units u ORDER BY u.file_id, u.line"
        try:
            for row in self.conn.execute(sql):
                yield self._unit(row)
        except sqlite3.OperationalError as exc:
            raise self._failed(exc, "cannot read the index") from None
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None

    def order(self) -> dict[int, int]:
        """file id → position of the file in PATHS order (for ``--sort path`` and ties)."""
        if self._order is None:
            self._order = {fid: n for n, fid in enumerate(self.display)}
        return self._order

    def files(self) -> dict[int, tuple[str, int]]:
        """file id → (key, size in bytes) of each file of PATHS. The key is the file's
        absolute path, or starts with ``"\\0"`` for input that is not a file (stdin)."""
        import _sqlite3 as sqlite3

        try:
            rows = self.conn.execute("SELECT id, key, size FROM files").fetchall()
        except sqlite3.OperationalError as exc:
            raise self._failed(exc, "cannot read the index") from None
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None
        return {fid: (_loaded(key), size) for fid, key, size in rows if fid in self.display}


def _stored(path: str) -> str | bytes:
    """A path as SQLite can hold it: as text, or, for a file name that is not valid
    UTF-8 (Python holds its bytes as lone surrogates), as its bytes in a BLOB."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape")
    return path


def _loaded(value: str | bytes) -> str:
    """The path :func:`_stored` stored."""
    return value if isinstance(value, str) else value.decode("utf-8", "surrogateescape")


def _meta(conn: sqlite3.Connection) -> dict[str, str]:
    """The index's settings and snapshot, without the display paths (see :func:`_display`)."""
    return dict(
        conn.execute("SELECT key, value FROM meta WHERE key NOT LIKE 'display%'").fetchall()
    )


def _display(conn: sqlite3.Connection) -> dict[int, str] | None:
    """File id → display path, as the last complete refresh stored them; ``None`` if not.

    ``display0`` holds them as text split at NUL, which no path contains, read
    without the ``json`` module (≈2 ms of a warm grep). ``display`` holds the
    same as JSON for earlier versions, which wrote only that: their index is
    refreshed once (cheaply, nothing is re-read) and then has both.
    """
    row = conn.execute("SELECT value FROM meta WHERE key = 'display0'").fetchone()
    if row is None:
        return None
    head, _, names = _loaded(row[0]).partition("\0")
    if not head:
        return {}
    return dict(zip(map(int, head.split(",")), names.split("\0"), strict=True))


def _display_values(ids: Sequence[int], names: Sequence[str]) -> tuple[str | bytes, str]:
    """The ``display0`` and ``display`` values :func:`_display` reads back."""
    import json

    return _stored(",".join(map(str, ids)) + "\0" + "\0".join(names)), json.dumps([ids, names])


def _delete_units(
    conn: sqlite3.Connection, file_id: int, segmented: Mapping[str, str] | None = None
) -> None:
    """Remove a file's units. ``segmented``: the FTS ``words`` of normalised texts, where
    known (else the units' are made again)."""
    cols = ", ".join(COLUMNS)
    rows = conn.execute(
        "SELECT id, file_id, line, end_line, kind, title, topic, speakers, orgs, authors, "
        "description, implications, text, norm FROM units WHERE file_id = ?",
        (file_id,),
    ).fetchall()
    units = [
        Unit(
            "",
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            row[7] or "",
            row[8] or "",
            row[9] or "",
            row[10],
            row[11],
            row[12],
        )
        for row in rows
    ]
    # a contentless table forgets a row only when given the values it was given: the
    # stored normalised text, and the title and text as they were indexed
    norms = [row[13] for row in rows]
    words = None
    if segmented is not None and all(norm in segmented for norm in norms):
        words = [segmented[norm] for norm in norms]
    stored = _unit_rows(units, norms=norms, words=words)
    for row, values in zip(rows, stored, strict=True):
        conn.execute(
            f"INSERT INTO fts(fts, rowid, {cols}) VALUES('delete', ?, ?, ?, ?)",
            (row[0], *values[13:]),
        )
    conn.execute("DELETE FROM units WHERE file_id = ?", (file_id,))


if TYPE_CHECKING:
    UnitRow = tuple[Any, ...]
_UNIT_COLUMNS = (
    "line, end_line, kind, title, topic, speakers, orgs, authors, description, implications, "
    "text, norm, heading"
)


def _unit_rows(
    units: Sequence[Unit],
    *,
    norms: Sequence[str] | None = None,
    vectorised: bool = False,
    words: Sequence[str] | None = None,
) -> list[UnitRow]:
    """Each unit as its ``units`` row (without file id) followed by its three FTS values.

    ``norms``: the units' normalised texts, if known; ``vectorised``: see
    :func:`gtcbrief.text.gram_texts`; ``words``: the FTS ``words`` values, if known
    (:func:`gtcbrief.text.word_column`).
    """
    from gtcbrief.text import gram_texts, normalize, word_column

    if norms is None:
        norms = [normalize(unit.text) for unit in units]
    if words is None:
        words = [word_column(norm) for norm in norms]
    titles = [normalize(unit.title) for unit in units]
    grams = gram_texts([*titles, *norms], vectorised=vectorised)
    return [
        (
            unit.line,
            unit.end_line,
            unit.kind,
            unit.title,
            unit.topic,
            unit.speakers,
            unit.orgs,
            unit.authors,
            unit.description,
            unit.implications,
            unit.text,
            norm,
            int(unit.heading),
            title_grams,
            body_grams,
            unit_words,
        )
        for unit, norm, title_grams, body_grams, unit_words in zip(
            units, norms, grams[: len(units)], grams[len(units) :], words, strict=True
        )
    ]


#: Whether this process is a worker of a large build (see :func:`_prepare_all`).
_WORKER = False


def _become_worker(parent: int) -> None:
    global _WORKER
    _WORKER = True
    from gtcbrief.forked import pool_worker

    pool_worker(parent)


def _prepare(job: tuple[str, bytes, str | None, Config]) -> tuple[str | None, str, list[UnitRow]]:
    """Decode, load and tokenise one file: (error, format, rows). Runs in worker processes."""
    error, fmt, units = _units_of_job(job)
    return error, fmt, _unit_rows(units, vectorised=_WORKER)


def _units_of_job(job: tuple[str, bytes, str | None, Config]) -> tuple[str | None, str, list[Unit]]:
    """Decode and load one file: (error, format, units)."""
    from gtcbrief.loader import load_text
    from gtcbrief.sources import decode

    display, data, encoding, config = job
    try:
        text = decode(data, display, encoding)
    except GtcbriefError as exc:
        return str(exc), "", []
    doc = load_text(text, display, config=config)
    return None, doc.format, units_of(doc)


def _prepare_here(
    jobs: list[tuple[str, bytes, str | None, Config]],
    replaced: Callable[[], Sequence[str]] = tuple,
    segmented: dict[str, str] | None = None,
) -> Iterator[tuple[str | None, str, list[UnitRow]]]:
    """:func:`_prepare` for every job in this process, with the segmenter loading beside
    it in a forked child when it is not loaded here yet (:class:`SegmentingAhead`): all
    the files are loaded first, then the child segments all their texts at once, and
    the normalised texts that ``replaced`` gives too (of the units to delete: their FTS
    values are made again), whose words go in ``segmented``."""
    from gtcbrief.text import normalize, segmenting_ahead

    ahead = segmenting_ahead([data for _display, data, _encoding, _config in jobs])
    if ahead is None:
        yield from map(_prepare, jobs)
        return
    try:
        loaded = [_units_of_job(job) for job in jobs]
        norms = [[normalize(unit.text) for unit in units] for _error, _fmt, units in loaded]
        new = [norm for some in norms for norm in some]
        old = replaced()
        answer = ahead.words([*new, *old])
    finally:
        ahead.close()
    if segmented is not None:
        segmented.update(zip(old, answer[len(new) :], strict=True))
    words = iter(answer)
    for (error, fmt, units), some in zip(loaded, norms, strict=True):
        yield error, fmt, _unit_rows(units, norms=some, words=[next(words) for _ in some])


#: Below this much text to index, worker processes cost more than they save: a
#: ``grep --no-cache`` of 0.35 MB took 0.54 s alone and 0.74 s with two workers, of 1.0 MB
#: 1.04 and 1.01 s, of 1.7 MB 1.51 and 1.28 s (it was 4 MB before the workers made their
#: grams with numpy and stopped building a second rjieba dictionary).
PARALLEL_BYTES = 1_000_000

#: How many bytes of new postings FTS5 gathers in memory before it writes them out as a
#: segment (its ``hashsize``; SQLite's default is 1 MB). Fewer, larger segments leave its
#: automatic merges less to do: inserting 100k entries' columns took 84 s at 1 MB, 50 s
#: at 8 MB, 46 s at 16 MB and 45 s at 64 MB (see BENCHMARKS.md, fifteenth pass).
FTS_HASH_BYTES = 16 * 1024 * 1024


def _prepare_all(
    jobs: list[tuple[str, bytes, str | None, Config]],
    replaced: Callable[[], Sequence[str]] = tuple,
    segmented: dict[str, str] | None = None,
) -> Iterator[tuple[str | None, str, list[UnitRow]]]:
    """:func:`_prepare` for every job, in order, on all cores when there is enough work.

    Workers are spawned (not forked) so they never inherit the open database.
    ``GTCBRIEF_INDEX_WORKERS`` overrides their number (``1``: no worker processes, and
    no segmenting child either: see :func:`_prepare_here`).
    ``replaced``, ``segmented``: see :func:`_prepare_here` (``segmented`` may be left
    without them).
    """
    wanted = os.environ.get("GTCBRIEF_INDEX_WORKERS", "").strip()
    workers = int(wanted) if wanted.isdigit() else min(os.cpu_count() or 1, 4)
    if workers < 2:
        yield from map(_prepare, jobs)
        return
    workers = min(workers, len(jobs))
    if workers < 2 or sum(len(j[1]) for j in jobs) < PARALLEL_BYTES:
        yield from _prepare_here(jobs, replaced, segmented)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    # spawn's resource tracker (a process, started with the pool, and with this
    # interpreter's -W options) warns of the pool's semaphores when a run is cut short
    # (Ctrl-C, SIGTERM) in two lines of a Python warning; it removes them all the same
    if _QUIET_TRACKER not in sys.warnoptions:
        sys.warnoptions.append(_QUIET_TRACKER)
    pool = None
    try:  # (the tracker and the workers are processes: starting them may fail, OSError)
        # Ctrl-C waits while the workers start (a worker it reached before its handler
        # was set printed a traceback): they start ignoring it, and here it is raised as
        # the hold ends, inside this guard
        _start_resource_tracker()  # (it unblocks SIGINT after it starts: not while held)
        held = _hold_interrupts()
        try:
            pool = ProcessPoolExecutor(
                workers, mp_context=context, initializer=_become_worker, initargs=(os.getpid(),)
            )
            answers = pool.map(_prepare, jobs, chunksize=4)
        finally:
            _release_interrupts(held)
    except OSError:  # no process to spare (EAGAIN, ENOMEM): all of it here
        if pool is not None:
            _abandon(pool)
        yield from map(_prepare, jobs)
        return
    except BaseException:  # Ctrl-C while the pool starts
        if pool is not None:
            _abandon(pool)
        raise
    try:
        yield from answers
    except BaseException:
        _abandon(pool)
        raise
    pool.shutdown()


_QUIET_TRACKER = "ignore::UserWarning:multiprocessing.resource_tracker"
#: Ids one query names at most: SQLite's least limit on a statement's variables (999
#: before 3.32, 32,766 since, more where a build sets it so).
_VARIABLES = 999


def _start_resource_tracker() -> None:
    """spawn's resource tracker, started now if it is not running (POSIX)."""
    try:
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
    except (ImportError, AttributeError, OSError):
        pass


def _hold_interrupts() -> Any:
    """Hold SIGINT back while processes start: blocked here (a blocked signal waits, even
    ignored), ignored by what is started meanwhile (a disposition a process keeps across
    exec; a blocked mask it does not). The handler it replaced, or None if it cannot."""
    import signal
    import threading

    if not hasattr(signal, "pthread_sigmask"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    return signal.signal(signal.SIGINT, signal.SIG_IGN)


def _release_interrupts(held: Any) -> None:
    """Undo :func:`_hold_interrupts`: a Ctrl-C that came meanwhile is raised now."""
    if held is not None:
        import signal

        signal.signal(signal.SIGINT, held)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _abandon(pool: Any) -> None:
    """Leave a process pool without waiting for it (Ctrl-C, an error, a search that
    stopped reading): its workers are killed. Waiting, as leaving a ``with`` block does,
    could hang for ever: a worker that Ctrl-C ended while it wrote its answer left half
    a message, which the pool's thread then waits to read whole (the process holds the
    pipe's other end too). The process ends soon after, without joining that thread."""
    import contextlib
    import threading

    processes = list((getattr(pool, "_processes", None) or {}).values())
    # the pool's thread may fail on the workers' deaths; the process is ending: no traceback
    # (for that thread: the others' failures are reported as before)
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:
        previous = threading.excepthook

        def quiet_for_manager(args: Any) -> None:
            if args.thread is not manager:
                previous(args)

        threading.excepthook = quiet_for_manager
    calls = getattr(pool, "_call_queue", None)
    if calls is not None:  # its feeder may be blocked on the dead workers' full pipe
        calls.cancel_join_thread()
    pool.shutdown(wait=False)
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()


def _insert_rows(conn: sqlite3.Connection, file_id: int, rows: Sequence[UnitRow]) -> None:
    for row in rows:
        cur = conn.execute(
            f"INSERT INTO units(file_id, {_UNIT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (file_id, *row[:13]),
        )
        conn.execute(
            "INSERT INTO fts(rowid, title, body, words) VALUES (?,?,?,?)",
            (cur.lastrowid, *row[13:]),
        )


def _insert_units(conn: sqlite3.Connection, file_id: int, units: Sequence[Unit]) -> None:
    _insert_rows(conn, file_id, _unit_rows(units))


def _compatible(meta: dict[str, str]) -> bool:
    """Whether ``meta`` says this schema, normaliser and segmenter built the index."""
    from gtcbrief.text import segmenter

    return (meta.get("schema"), meta.get("normaliser"), meta.get("segmenter")) == (
        SCHEMA_VERSION,
        NORMALISER,
        segmenter(),
    )


def _remembered(
    conn: sqlite3.Connection, meta: dict[str, str], files: Sequence[_File] | None
) -> dict[int, str] | None:
    """File id → display path, as stored with the snapshot; ``None`` if it does not match
    ``files`` (``files=None``: whatever was stored)."""
    if "snapshot" not in meta or not _compatible(meta):
        return None
    if files is not None and _snapshot(files) != meta["snapshot"]:
        return None
    return _display(conn)


def _refresh(
    conn: sqlite3.Connection,
    files: Sequence[_File],
    *,
    config: Config,
    encoding: str | None,
    stats: IndexStats,
    on_error: Callable[[GtcbriefError], None],
    streams: Sequence[tuple[str, Document]] = (),
) -> dict[int, str]:
    """Bring the index up to date with ``files`` in one transaction; returns id → display.

    ``streams``: (path given, document) of standard input and pipes, read already.
    ``stats`` counts this refresh's files (indexed, reused, removed) from zero.
    """
    from gtcbrief.text import segmenter

    stats.indexed = stats.reused = stats.removed = 0
    known = {
        _loaded(row[1]): (row[0], row[2], row[3], row[4])
        for row in conn.execute("SELECT id, key, size, mtime_ns, digest FROM files")
    }
    slots: list[tuple[_File, int | None]] = []  # file order, with its id once known
    todo: list[tuple[int, _File, str]] = []  # (slot, file, digest) to (re)index
    jobs: list[tuple[str, bytes, str | None, Config]] = []
    seen: set[str] = set()
    for f in files:
        seen.add(f.key)
        old = known.get(f.key)
        if old is not None and old[1] == f.size and old[2] == f.stamp:
            slots.append((f, old[0]))
            stats.reused += 1
            continue
        try:
            with open(f.display, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            on_error(GtcbriefError(f"cannot read: {exc.strerror or exc}", path=f.display))
            continue
        digest = _blake2b(data, 16)
        if old is not None and old[3] == digest:
            conn.execute(
                "UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?", (f.size, f.stamp, old[0])
            )
            slots.append((f, old[0]))
            stats.reused += 1
            continue
        todo.append((len(slots), f, digest))
        slots.append((f, None))
        jobs.append((f.display, data, encoding, config))
    if todo:
        segmenter()  # fail early on a bad GTCBRIEF_SEGMENTER, before starting workers
        # (a setting FTS5 keeps in the index: set here, it reaches indexes built before it)
        conn.execute("INSERT INTO fts(fts, rank) VALUES ('hashsize', ?)", (FTS_HASH_BYTES,))

    def replaced() -> list[str]:
        """The normalised texts of the units that files indexed again replace: their FTS
        values are made again to delete them, with the new ones' (see _prepare_here)."""
        ids = [known[f.key][0] for _slot, f, _digest in todo if f.key in known]
        select = "SELECT norm FROM units WHERE file_id = ?"
        return [row[0] for file_id in ids for row in conn.execute(select, (file_id,))]

    segmented: dict[str, str] = {}
    prepared = _prepare_all(jobs, replaced, segmented)
    for (slot, f, digest), (error, fmt, rows) in zip(todo, prepared, strict=True):
        if error is not None:
            on_error(GtcbriefError(error))
            continue
        old = known.get(f.key)
        if old is not None:
            _delete_units(conn, old[0], segmented)
            conn.execute(
                "UPDATE files SET size=?, mtime_ns=?, digest=?, format=?, units=? WHERE id=?",
                (f.size, f.stamp, digest, fmt, len(rows), old[0]),
            )
            file_id = old[0]
        else:
            cur = conn.execute(
                "INSERT INTO files(key, size, mtime_ns, digest, format, units) "
                "VALUES (?,?,?,?,?,?)",
                (_stored(f.key), f.size, f.stamp, digest, fmt, len(rows)),
            )
            file_id = int(cur.lastrowid or 0)
        _insert_rows(conn, file_id, rows)
        slots[slot] = (f, file_id)
        stats.indexed += 1
    display = {file_id: f.display for f, file_id in slots if file_id is not None}
    for given, doc in streams:  # keyed "\0" and the path given (see gtcbrief.sources)
        stream_units = units_of(doc)
        cur = conn.execute(
            "INSERT INTO files(key, size, mtime_ns, digest, format, units) VALUES (?,?,?,?,?,?)",
            (_stored("\0" + given), 0, 0, "", doc.format, len(stream_units)),
        )
        file_id = int(cur.lastrowid or 0)
        _insert_units(conn, file_id, stream_units)
        display[file_id] = doc.path
        stats.indexed += 1
    for key, (file_id, *_rest) in known.items():
        if key not in seen:
            _delete_units(conn, file_id)
            conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
            stats.removed += 1
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?), ('segmenter', ?), "
        "('normaliser', ?)",
        (SCHEMA_VERSION, segmenter(), NORMALISER),
    )
    if len(display) == len(files) and not streams:
        # every file is in: the next run may trust these files if their snapshot matches
        ids = [file_id for _f, file_id in slots if file_id is not None]
        names = [f.display for f, _id in slots]
        assert len(ids) == len(names)
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES "
            "('snapshot', ?), ('display0', ?), ('display', ?)",
            (_snapshot(files), *_display_values(ids, names)),
        )
    else:  # a file could not be read: look again next time (and report it again)
        conn.execute("DELETE FROM meta WHERE key IN ('snapshot', 'display0', 'display')")
    return display


def _fresh(conn: sqlite3.Connection, files: Sequence[_File]) -> dict[int, str] | None:
    """File id → display path when the index is current for ``files``; ``None`` if stale.

    Current means built by this schema, normaliser and segmenter, from exactly
    these files (display paths, sizes and times) in this order: their snapshot
    digest is the one stored by the last refresh.
    """
    return _remembered(conn, _meta(conn), files)


def _incompatible(conn: sqlite3.Connection) -> str | None:
    from gtcbrief.text import segmenter

    meta = _meta(conn)
    if not meta:
        return None
    if meta.get("schema") != SCHEMA_VERSION or meta.get("normaliser") != NORMALISER:
        return "built by another version"
    if meta.get("segmenter") != segmenter():
        return f"built with {meta.get('segmenter')}, now using {segmenter()}"
    return None


def _remove_db(db: str | Path) -> None:
    import contextlib

    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(str(db) + suffix)


def open_index(
    paths: Sequence[str],
    *,
    config: Config,
    encoding: str | None = None,
    stdin_name: str = "-",
    location: str | os.PathLike[str] | None = None,
    in_memory: bool = False,
    on_error: Callable[[GtcbriefError], None] | None = None,
    walk: Walk | None = None,
) -> Index:
    """Open (building or refreshing as needed) the index of PATHS.

    Unreadable files are passed to ``on_error`` and left out; without it they raise.
    With a :class:`Walk` of PATHS still under way, an index on disk whose last
    refresh matches its settings is opened at once, *pending*: the caller must
    see :meth:`Index.confirm` say yes before it shows any answer, and otherwise
    close it and call again with the same (then finished) walk.
    """

    from gtcbrief.text import segmenter

    def raise_error(exc: GtcbriefError) -> None:
        raise exc

    report = on_error or raise_error
    started = time.perf_counter()
    streams: list[tuple[str, Document]] = []
    streamed = list(dict.fromkeys(filter(is_stream, paths)))  # (a stat a path, once)
    if streamed:  # read once, as they come: indexed in memory
        from gtcbrief.loader import load_source
        from gtcbrief.sources import read_source

        in_memory = True
        for given in streamed:
            try:
                source = read_source(given, encoding=encoding, stdin_name=stdin_name)
            except GtcbriefError as exc:
                report(exc)
                continue
            streams.append((given, load_source(source, config=config)))
        paths = [p for p in paths if p not in streamed]
    if walk is not None and not walk.joined and not in_memory:
        presumed = _presume_fresh(
            location or default_location(), paths, config, encoding, walk, report, started
        )
        if presumed is not None:
            return presumed
    files = walk.join(report) if walk is not None else _stat_files(paths, report)
    stats = IndexStats(location=":memory:", segmenter=segmenter(), files=len(files))
    stats.files += len(streams)

    def build_in_memory(note: str | None = None) -> Index:
        stats.location, stats.note = ":memory:", note
        conn = _connect(":memory:")
        conn.executescript(_SCHEMA)
        conn.execute("BEGIN")
        display = _refresh(
            conn, files, config=config, encoding=encoding, stats=stats, on_error=report,
            streams=streams,
        )  # fmt: skip
        conn.execute("COMMIT")
        return _finish(conn, display, stats, started)

    if in_memory:
        return build_in_memory()
    try:
        return _open_on_disk(
            location or default_location(), paths, files, config=config, encoding=encoding,
            stats=stats, report=report, started=started,
        )  # fmt: skip
    except _CannotWrite as exc:
        return build_in_memory(f"cannot use the index directory ({exc}); indexing in memory")


def _database(
    folder: str | os.PathLike[str], paths: Sequence[str], config: Config, encoding: str | None
) -> str:
    roots = [os.path.abspath(p) for p in paths]
    return os.path.join(folder, f"{_fingerprint(roots, config, encoding)}.sqlite")


def _presume_fresh(
    folder: str | os.PathLike[str],
    paths: Sequence[str],
    config: Config,
    encoding: str | None,
    walk: Walk,
    report: Callable[[GtcbriefError], None],
    started: float,
) -> Index | None:
    """The index on disk, opened pending the walk (see :func:`open_index`); ``None`` when
    there is none to presume on (never built, other settings, last refresh incomplete)."""
    import _sqlite3 as sqlite3

    from gtcbrief.text import segmenter

    db = _database(folder, paths, config, encoding)
    if not os.path.isfile(db):
        return None
    conn: sqlite3.Connection | None = None
    try:
        conn = _connect(db)
        conn.execute("BEGIN")  # one snapshot for the presumption and every answer read from it
        meta = _meta(conn)
    except sqlite3.Error:
        if conn is not None:
            conn.close()
        return None
    display = _remembered(conn, meta, None)
    if display is None:
        conn.close()
        return None
    stats = IndexStats(location=db, segmenter=segmenter(), files=len(display))
    stats.reused = len(display)

    def confirm() -> bool:
        digest, stats.files = walk.summary(report)
        return digest == meta["snapshot"]

    return _finish(conn, display, stats, started, pending=confirm)


class _CannotWrite(Exception):
    """The cache directory or database cannot be written (read-only, locked, not a folder)."""


def _open_on_disk(
    where: str | os.PathLike[str],
    paths: Sequence[str],
    files: Sequence[_File],
    *,
    config: Config,
    encoding: str | None,
    stats: IndexStats,
    report: Callable[[GtcbriefError], None],
    started: float,
) -> Index:
    import _sqlite3 as sqlite3
    import contextlib
    from pathlib import Path

    folder = Path(where)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _CannotWrite(f"{folder}: {exc.strerror or exc}") from None
    db = Path(_database(folder, paths, config, encoding))
    stats.location = str(db)
    lock = folder / (db.name + ".lock")

    def build_anew() -> Index:  # (the caller holds the lock)
        display = _build_anew(
            db, files, config=config, encoding=encoding, stats=stats, report=report
        )
        return _finish(_connect(str(db)), display, stats, started)

    for attempt in (1, 2):
        try:
            if not db.exists():
                with _file_lock(lock):
                    if not db.exists():  # (else another process built it while we waited)
                        return build_anew()
            conn = _connect(str(db))
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            has_schema = bool(
                conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchall()
            )
            fresh = _fresh(conn, files) if has_schema else None
            if fresh is not None:
                stats.reused = len(fresh)
                return _finish(conn, fresh, stats, started)
            with _file_lock(lock):
                reason = _incompatible(conn) if has_schema else None
                if reason:
                    conn.close()
                    _remove_db(db)
                    stats.rebuilt = reason
                    return build_anew()
                conn.executescript(_SCHEMA)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    display = _refresh(
                        conn, files, config=config, encoding=encoding, stats=stats, on_error=report
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise
            return _finish(conn, display, stats, started)
        except OSError as exc:  # the lock file
            raise _CannotWrite(f"{lock}: {exc.strerror or exc}") from None
        except sqlite3.OperationalError as exc:  # read-only, cannot open, locked too long
            with contextlib.suppress(Exception):
                conn.close()
            raise _CannotWrite(str(exc)) from None
        except sqlite3.DatabaseError as exc:  # not a database, malformed
            with contextlib.suppress(Exception):
                conn.close()
            if attempt == 2:
                raise GtcbriefError(f"cannot use the index: {exc}", path=str(db)) from None
            with _file_lock(lock):
                _remove_db(db)
            stats.rebuilt = f"unreadable: {exc}"
    raise AssertionError("unreachable")  # pragma: no cover


def _build_anew(
    db: Path,
    files: Sequence[_File],
    *,
    config: Config,
    encoding: str | None,
    stats: IndexStats,
    report: Callable[[GtcbriefError], None],
) -> dict[int, str]:
    """Build the index of ``files`` from nothing into a file of its own that takes the
    name ``db`` once it is complete; returns id → display. The caller holds the lock.

    The build writes no journal: in WAL mode every page would go first to the WAL
    and then, at the commit's checkpoint, to the database (0.7 s of a c10k build's
    8.1 s).
    Half a build is never seen: until it is complete and on disk, the file has
    another name, and an interrupted one is removed here the next time.
    """
    import _sqlite3 as sqlite3

    building = db.with_name(db.name + ".new")
    _remove_db(building)
    conn = sqlite3.connect(str(building), timeout=60.0, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.executescript(_SCHEMA)
        conn.execute("BEGIN")
        display = _refresh(
            conn, files, config=config, encoding=encoding, stats=stats, on_error=report
        )
        conn.execute("COMMIT")
        conn.close()  # (every connection to it turns WAL on: see _connect)
        fd = os.open(building, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(building, db)
    except BaseException as exc:
        conn.close()
        _remove_db(building)
        if isinstance(exc, OSError):
            raise _CannotWrite(f"{db}: {exc.strerror or exc}") from None
        raise
    return display


def _finish(
    conn: sqlite3.Connection,
    display: dict[int, str],
    stats: IndexStats,
    started: float,
    pending: Callable[[], bool] | None = None,
) -> Index:
    if pending is None:
        # only --verbose shows it, and a pending index is never verbose (see
        # gtcbrief.walk.walk_for_index): summing reads the whole files table, 1-2 ms
        # of a warm grep. files.units, not count(*), which would read every page of units.
        stats.units = int(conn.execute("SELECT coalesce(sum(units), 0) FROM files").fetchone()[0])
    stats.seconds = time.perf_counter() - started
    index = Index(conn, display, stats, pending)
    if stats.location != ":memory:":
        row = conn.execute("SELECT value FROM meta WHERE key = 'snapshot'").fetchone()
        index.snapshot = row[0] if row else None
    return index
