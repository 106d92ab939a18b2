"""Inline suppressions: HTML comments that silence rules where the writer knows better.

``<!-- gtcbrief-disable-next-line GB104 -->``
    the line after the comment.
``<!-- gtcbrief-disable-line GB501 -->``
    the comment's own line.
``<!-- gtcbrief-disable GB501 -->`` … ``<!-- gtcbrief-enable GB501 -->``
    from the comment to the matching ``enable`` (or the end of the file).
``<!-- gtcbrief-disable-file GB110 -->``
    the whole file, wherever the comment stands.

Rules are named by code or name, separated by spaces or commas; none means
every rule; text after ``--`` is a reason and is ignored. ``enable`` without
rules ends every open range. A suppression that silences nothing, or names
an unknown rule, is itself reported as ``GB002/unused-suppression``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gtcbrief.rules import Hit, by_key

if TYPE_CHECKING:
    from gtcbrief.diagnostics import Diagnostic
    from gtcbrief.model import Document

_DIRECTIVE = re.compile(
    r"^gtcbrief-(disable-next-line|disable-line|disable-file|disable|enable)(?![\w-])\s*(.*)$",
    re.DOTALL,
)
UNUSED = "GB002"


@dataclass(slots=True)
class Directive:
    kind: str
    line: int
    column: int
    codes: frozenset[str] | None  # None: every rule (but those in ``excepted``)
    unknown: tuple[str, ...] = ()
    excepted: frozenset[str] = frozenset()  # enabled again in a range of every rule
    used: set[str] = field(default_factory=set)
    first: int = 0  # lines covered, inclusive
    last: int = 0


def parse_directives(doc: Document) -> list[Directive]:
    keys = by_key()
    directives: list[Directive] = []
    for comment in doc.comments:
        match = _DIRECTIVE.match(comment.text)
        if match is None:
            continue
        kind, rest = match.group(1), match.group(2).split("--", 1)[0]
        names = [n for n in re.split(r"[\s,]+", rest) if n]
        known = {keys[n.lower()].code for n in names if n.lower() in keys}
        unknown = tuple(n for n in names if n.lower() not in keys)
        codes = frozenset(known) if names else None
        directives.append(Directive(kind, comment.line, comment.column, codes, unknown))
    return directives


class Suppressions:
    """The suppressions of one document; :meth:`allows` marks what it silenced."""

    def __init__(self, doc: Document) -> None:
        self.directives = parse_directives(doc)
        last_line = max(doc.line_count, 1)
        self.covering: list[Directive] = []
        open_ranges: list[Directive] = []
        for d in self.directives:
            if d.kind == "disable-next-line":
                d.first = d.last = d.line + 1
            elif d.kind == "disable-line":
                d.first = d.last = d.line
            elif d.kind == "disable-file":
                d.first, d.last = 1, last_line
            elif d.kind == "disable":
                d.first, d.last = d.line, last_line
                open_ranges.append(d)
            else:  # enable: close the ranges it names
                for opened in list(open_ranges):
                    if d.codes is None or (opened.codes is not None and opened.codes <= d.codes):
                        opened.last = d.line
                        open_ranges.remove(opened)
                    elif opened.codes is None or opened.codes & d.codes:
                        # close only the named codes: split the range (of every rule: every
                        # rule but those from here)
                        opened.last = d.line
                        open_ranges.remove(opened)
                        if opened.codes is None:
                            codes, excepted = None, opened.excepted | d.codes
                        else:
                            codes, excepted = opened.codes - d.codes, frozenset()
                        rest = Directive(
                            "disable", opened.line, opened.column, codes, excepted=excepted
                        )
                        rest.first, rest.last = d.line, last_line
                        rest.used = opened.used  # one comment, one record of use
                        self.covering.append(rest)
                        open_ranges.append(rest)
            if d.kind != "enable":
                self.covering.append(d)

    def __bool__(self) -> bool:
        return bool(self.directives)

    def allows(self, diagnostic: Diagnostic, *, mark: bool = True) -> bool:
        """False when a directive silences ``diagnostic`` (and records that it did)."""
        silenced = False
        for d in self.covering:
            if d.first <= diagnostic.line <= d.last and (
                diagnostic.code not in d.excepted if d.codes is None else diagnostic.code in d.codes
            ):
                silenced = True
                if mark:
                    d.used.add(diagnostic.code)
        return not silenced

    def unused(self, checked: set[str]) -> Iterator[Hit]:
        """Directives that silenced nothing among the rules that ran (``checked``)."""
        for d in self.directives:
            where = f"gtcbrief-{d.kind}"
            for name in d.unknown:
                yield Hit(d.line, d.column, f"{where} names an unknown rule {name!r}")
            if d.kind == "enable":
                continue
            used = d.used  # shared with the ranges an `enable` split off it
            if d.codes is None:
                if not used:
                    yield Hit(d.line, d.column, f"{where} (all rules) suppresses nothing")
                continue
            for code in sorted(d.codes & checked - used):
                yield Hit(d.line, d.column, f"{where} {code} suppresses nothing")
