"""The data model every command shares: documents, entries and their parts.

All records are immutable dataclasses (see :func:`record`). Line numbers are
1-based and refer to the source file exactly as it is on disk (a BOM or CRLF line
ends do not shift them); columns are 1-based character offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from gtcbrief.text import written

DocFormat = Literal["brief", "notes", "markdown"]

if TYPE_CHECKING:
    from typing import dataclass_transform

    @dataclass_transform(frozen_default=True, field_specifiers=(field,))
    def record(cls: type[Any]) -> type[Any]:
        """A frozen dataclass, to the type checker."""
        return cls

else:

    def record(cls):
        """A dataclass with slots, equality and a hash, immutable by contract: the type
        checker (mypy, strict) treats it as frozen and rejects every assignment to a
        field. At run time it is not frozen, because a frozen dataclass sets each
        field through ``object.__setattr__``: constructing one cost 6x as much
        (1.27 µs against 0.21 µs for a 7-field record), and a 10k-entry corpus builds
        about a million of them between the loader and its cache. Used for the data
        model and the other records made per entry (features, matches, diagnostics).

        Equality, the hash and the repr are what ``unsafe_hash=True`` would generate,
        written once for every record (:func:`_shared_methods`): dataclass compiles
        each method it generates from source, half a millisecond a record, 15 ms of
        validating one brief. Only ``__init__`` is still generated."""
        return _shared_methods(dataclass(slots=True, eq=False, repr=False)(cls))

    def _values(names):
        """The fields ``names`` of a record as a tuple (always a tuple, as dataclass
        compares and hashes them)."""
        from operator import attrgetter

        if len(names) > 1:
            return attrgetter(*names)
        if names:
            one = attrgetter(names[0])
            return lambda self: (one(self),)
        return lambda self: ()

    def _shared_methods(cls):
        """Give a dataclass made with ``eq=False, repr=False`` the ``__eq__``,
        ``__hash__`` and ``__repr__`` that ``eq=True, unsafe_hash=True`` would: over
        the fields that compare, that hash (``hash``, else ``compare``) and that show."""
        from dataclasses import fields

        every = fields(cls)
        compared = _values([f.name for f in every if f.compare])
        hashed = _values([f.name for f in every if (f.compare if f.hash is None else f.hash)])
        shown = [f.name for f in every if f.repr]
        shown_values = _values(shown)

        def __eq__(self, other):
            if other.__class__ is self.__class__:
                return compared(self) == compared(other)
            return NotImplemented

        def __hash__(self):
            return hash(hashed(self))

        def __repr__(self):
            pairs = zip(shown, shown_values(self), strict=True)
            return f"{self.__class__.__qualname__}({', '.join(f'{n}={v!r}' for n, v in pairs)})"

        for method in (__eq__, __hash__, __repr__):
            method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
            setattr(cls, method.__name__, method)
        return cls


@record
class Speaker:
    """One speaker: ``Name（Role, Organisation）``. Role/organisation may be absent."""

    name: str
    role: str | None
    organisation: str | None
    raw: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "organisation": self.organisation,
            "raw": self.raw,
        }


@record
class Author:
    """One author of an entry: a name and (normally) an employee id."""

    name: str
    id: str | None
    raw: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "id": self.id, "raw": self.raw}


@record
class Section:
    """A heading and the text under it, up to the next heading of any level.

    ``field`` names the template field the heading maps to (``description`` …)
    or is ``None`` for a heading the template does not know.
    """

    heading: str
    level: int
    line: int
    end_line: int
    text: str
    text_line: int | None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "heading": self.heading,
            "level": self.level,
            "line": self.line,
            "end_line": self.end_line,
            "field": self.field,
            "text": self.text,
        }


@record
class Heading:
    level: int
    line: int
    text: str
    setext: bool = False


@record
class Link:
    """A Markdown link or image (``image=True``) with its position."""

    line: int
    column: int
    text: str
    target: str
    image: bool = False


@record
class Anchor:
    """An HTML anchor ``<a name="…">`` (or ``id="…"``)."""

    line: int
    column: int
    name: str


@record
class Comment:
    """An HTML comment; suppressions (``gtcbrief-disable …``) live in these."""

    line: int
    column: int
    text: str


@record
class Problem:
    """Something the loader could not read as intended (reported by ``validate``)."""

    line: int
    column: int
    message: str


@record
class Entry:
    """One report: a ``## 【kind】title`` block of a brief, or a top-level bullet of notes."""

    path: str
    line: int
    end_line: int
    kind: str | None
    title: str
    heading: str
    topic: str | None = None
    track: str | None = None
    subtopic: str | None = None
    speakers: tuple[Speaker, ...] = ()
    description: str | None = None
    implications: str | None = None
    authors: tuple[Author, ...] = ()
    authors_line: int | None = None
    sections: tuple[Section, ...] = ()
    parent: str | None = None
    separator_line: int | None = None

    def section(self, field_name: str) -> Section | None:
        """The first section mapped to template field ``field_name``."""
        for sec in self.sections:
            if sec.field == field_name:
                return sec
        return None

    def to_dict(self) -> dict[str, Any]:
        """The record of ``parse --format jsonl`` (see SPEC: keep keys stable)."""
        return {
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "kind": self.kind,
            "title": self.title,
            "track": self.track,
            "subtopic": self.subtopic,
            "topic": self.topic,
            "speakers": [s.to_dict() for s in self.speakers],
            "description": self.description,
            # false for a missing, empty or placeholder description (待补充, TBD): what
            # stats counts as no description and validate reports (GB105)
            "described": written(self.description) is not None,
            "implications": self.implications,
            "authors": [a.to_dict() for a in self.authors],
            "authors_line": self.authors_line,
            "parent": self.parent,
            "sections": [s.to_dict() for s in self.sections],
        }


@record
class Document:
    """A loaded file: its detected format, title, entries and Markdown parts.

    ``headings`` are CommonMark's view (a ``---`` under a text line makes a
    setext heading there, ``setext=True``); ``entries`` and ``sections`` are
    the brief's reading, where such a swallowed separator is a separator again
    and its line is in ``thematic_breaks``.
    """

    path: str
    format: DocFormat
    title: str | None
    title_line: int | None
    entries: tuple[Entry, ...]
    sections: tuple[Section, ...]
    headings: tuple[Heading, ...] = ()
    links: tuple[Link, ...] = ()
    anchors: tuple[Anchor, ...] = ()
    comments: tuple[Comment, ...] = ()
    thematic_breaks: tuple[int, ...] = ()
    toc: tuple[int, int] | None = None
    problems: tuple[Problem, ...] = ()
    front_matter: tuple[int, int] | None = None
    line_count: int = 0
    source: str = field(default="", repr=False, compare=False)

    @property
    def lines(self) -> list[str]:
        from gtcbrief.loader import split_lines

        return split_lines(self.source)

    def to_dict(self) -> dict[str, Any]:
        """The document record of ``parse --documents`` (and the golden files)."""
        return {
            "path": self.path,
            "format": self.format,
            "title": self.title,
            "title_line": self.title_line,
            "line_count": self.line_count,
            "entries": [e.to_dict() for e in self.entries],
            "sections": [s.to_dict() for s in self.sections],
            "links": [
                {
                    "line": k.line,
                    "column": k.column,
                    "text": k.text,
                    "target": k.target,
                    "image": k.image,
                }
                for k in self.links
            ],
            "anchors": [{"line": a.line, "column": a.column, "name": a.name} for a in self.anchors],
            "thematic_breaks": list(self.thematic_breaks),
            "toc": list(self.toc) if self.toc else None,
            "front_matter": list(self.front_matter) if self.front_matter else None,
            "problems": [
                {"line": p.line, "column": p.column, "message": p.message} for p in self.problems
            ],
        }
