"""Field rules of a daily brief: track, speakers, the author line and ids."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from gtcbrief.diagnostics import Edit
from gtcbrief.loader import AUTHOR_SEPARATORS, AUTHOR_WORDS, COLONS, without_and_others
from gtcbrief.rules import CorpusContext, DocContext, Hit
from gtcbrief.rules.common import column_of
from gtcbrief.text import written

if TYPE_CHECKING:
    from gtcbrief.model import Document, Entry, Section

_JOINED_BY_COMMA = re.compile(r"[）)]\s*([,，;；/])\s*\S")
_BAD_SEPARATOR = re.compile(
    rf"(?<=\d)\s*[{AUTHOR_SEPARATORS.replace('、', '')}/|]\s*"
    rf"|(?<=[\dA-Za-z])(?:{AUTHOR_WORDS}\s*|\s+和\s+|\s+(?:以及|及|与)\s*)"
    rf"(?=[^\d\s{AUTHOR_SEPARATORS}]+\s*\d)"
    rf"|(?<=\d)\s+(?=[^\d\s{AUTHOR_SEPARATORS}]+\s*\d)"
)
_SPACED_DUNHAO = re.compile(r"\s+、\s*|、\s+")


def _brief_entries(d: DocContext) -> tuple[Entry, ...]:
    return d.doc.entries if d.doc.format == "brief" else ()


def track_format(d: DocContext) -> Iterator[Hit]:
    for entry in _brief_entries(d):
        sec = entry.section("track")
        if sec is None or not entry.topic or sec.text_line is None:
            continue
        if entry.subtopic is None:
            yield Hit(
                sec.text_line,
                1,
                f"track {entry.topic!r} is not shaped 'Track - Subtopic' "
                "(a spaced hyphen between them)",
                extras={"context": d.context(sec.text_line)},
            )


def _locate(
    d: DocContext, sec: Section, needle: str, after: tuple[int, int] = (0, 0)
) -> tuple[int, int]:
    """(line, column) of ``needle`` in the section, at or after ``after`` (a line and a
    column, where the previous speaker was found): speakers come in order, and
    searching each one from the start made a line of 40,000 names take minutes."""
    first = sec.text_line or sec.line
    for number in range(max(first, after[0]), sec.end_line + 1):
        start = after[1] - 1 if number == after[0] and after[1] > 0 else 0
        index = d.context(number).find(needle, start)
        if index >= 0:
            return number, index + 1
    return _locate(d, sec, needle) if after != (0, 0) else (first, 1)


def speaker_format(d: DocContext) -> Iterator[Hit]:
    for entry in _brief_entries(d):
        sec = entry.section("speakers")
        if sec is None:
            continue
        joined: set[int] = set()
        for number in range(sec.text_line or sec.line, sec.end_line + 1):
            text = d.context(number)
            depth, counted = 0, 0  # parentheses open before the match, counted as we go
            for match in _JOINED_BY_COMMA.finditer(text):
                before = text[counted : match.start() + 1]
                counted = match.start() + 1
                depth += before.count("(") + before.count("（")
                depth -= before.count(")") + before.count("）")
                if depth > 0:
                    continue  # inside someone's parentheses
                joined.add(number)
                yield Hit(
                    number,
                    match.start(1) + 1,
                    f"speakers are joined by {match.group(1)!r}: separate them with '、'",
                    extras={"context": text},
                )
        found = (0, 0)
        for speaker in entry.speakers:
            line, column = found = _locate(d, sec, speaker.raw, found)
            extras = {"context": d.context(line)}
            raw = speaker.raw
            if line in joined and _JOINED_BY_COMMA.search(raw):
                continue  # one speaker's name and the next one's, reported above
            if speaker.organisation is None:
                yield Hit(
                    line,
                    column,
                    f"speaker {speaker.name!r} has no '（Role, Organisation）'",
                    extras=extras,
                )
            elif without_and_others(raw).endswith(")"):
                yield Hit(
                    line,
                    column,
                    f"speaker {speaker.name!r}: put role and organisation in full-width "
                    "parentheses '（…）'",
                    extras=extras,
                )


def author_line(d: DocContext) -> Iterator[Hit]:
    prefix = re.escape(d.template.author_prefix)
    shape = re.compile(rf"^(\s*{prefix})(\s*)([{COLONS}]?)(\s*)(.*)$")
    bold = re.compile(r"\*\*|__")
    for entry in _brief_entries(d):
        number = entry.authors_line
        if number is None:
            continue
        line = d.context(number)
        if line.lstrip().startswith(("**", "__")):  # **撰稿人**：…, read as the author line
            plain = bold.sub("", line)
            yield Hit(
                number,
                len(line) - len(line.lstrip()) + 1,
                f"author line: write '{d.template.author_prefix}：' without bold",
                extras={"context": line},
                fix=(Edit(number, (plain,)),),
            )
            continue
        match = shape.match(line)
        if match is None:
            continue
        head, gap, colon, space, rest = match.groups()
        problems: list[tuple[int, str]] = []
        if colon != "：":
            where = len(head) + len(gap) + 1
            problems.append(
                (
                    where,
                    f"write '{d.template.author_prefix}：' with a full-width colon"
                    if colon
                    else f"a full-width colon '：' follows '{d.template.author_prefix}'",
                )
            )
        offset = len(head) + len(gap) + len(colon) + len(space)
        bads = list(_BAD_SEPARATOR.finditer(rest))
        bad = bads[0] if bads else None
        if bad:
            # each kind once, in the order written: "',' and '；'"
            kinds = list(
                dict.fromkeys(
                    repr(b.group(0).strip()) if b.group(0).strip() else "a space" for b in bads
                )
            )
            shown = kinds[-1] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
            problems.append(
                (offset + bad.start() + 1, f"authors are separated by {shown}: use '、'")
            )
        spaced = _SPACED_DUNHAO.search(rest)
        if spaced and not bad:
            problems.append((offset + spaced.start() + 1, "no spaces around '、'"))
        if not problems:
            continue
        fixed_rest = _SPACED_DUNHAO.sub("、", _BAD_SEPARATOR.sub("、", rest))
        fixed = f"{head}：{space}{fixed_rest}"
        column = min(p[0] for p in problems)
        yield Hit(
            number,
            column,
            "author line: " + "; ".join(p[1] for p in problems),
            extras={"context": line},
            fix=(Edit(number, (fixed,)),),
        )
    yield from second_author_line(d)


def second_author_line(d: DocContext) -> Iterator[Hit]:
    """An entry's author lines after its first (the loader reads their people too)."""
    prefix = d.template.author_prefix
    for entry in _brief_entries(d):
        first = entry.authors_line
        if first is None or len(entry.authors) < 2:
            continue
        for number in range(first + 1, entry.end_line + 1):
            line = d.context(number)
            if line.lstrip().startswith(prefix) and any(
                a.raw in line for a in entry.authors if a.raw
            ):
                yield Hit(
                    number,
                    len(line) - len(line.lstrip()) + 1,
                    f"a second author line: put everyone on the one on line {first}, "
                    "joined by '、'",
                    extras={"context": line},
                )


def author_id(d: DocContext) -> Iterator[Hit]:
    pattern = re.compile(d.template.id_pattern)
    for entry in _brief_entries(d):
        number = entry.authors_line
        if number is None:
            continue
        line = d.context(number)
        if not entry.authors:
            yield Hit(number, 1, "author line names nobody", extras={"context": line})
        cursor = 0  # authors come in order: each is looked for after the one before
        for author in entry.authors:
            if author.id is not None and pattern.fullmatch(author.id) and author.id.isascii():
                continue
            column = column_of(line, author.raw, cursor)
            if column == 1 and cursor:
                column = column_of(line, author.raw)
            cursor = column
            if author.id is None:
                yield Hit(
                    number,
                    column,
                    f"author {author.name!r} has no employee id",
                    extras={"context": line},
                )
            elif not author.id.isascii() and pattern.fullmatch(author.id):
                yield Hit(  # (re's \d takes them: ５３４５６７８９ is not the id 53456789)
                    number,
                    column_of(line, author.id, column - 1),
                    f"employee id {author.id!r} of {author.name} is written in full-width "
                    f"digits: write {unicodedata.normalize('NFKC', author.id)!r}",
                    extras={"context": line},
                )
            elif not pattern.fullmatch(author.id):
                yield Hit(
                    number,
                    column_of(line, author.id, column - 1),
                    f"employee id {author.id!r} of {author.name} does not match "
                    f"the pattern {d.template.id_pattern}",
                    extras={"context": line},
                )


def author_id_conflict(documents: Sequence[Document], ctx: CorpusContext) -> Iterator[Hit]:
    first: dict[str, tuple[str, str, int]] = {}
    for doc in documents:
        if doc.format != "brief":
            continue
        lines: list[str] | None = None
        for entry in doc.entries:
            if entry.authors_line is None:
                continue
            for author in entry.authors:
                if not author.id:
                    continue
                seen = first.get(author.id)
                if seen is None:
                    first[author.id] = (author.name, doc.path, entry.authors_line)
                    continue
                name, path, line = seen
                if name == author.name:
                    continue
                if lines is None:
                    lines = doc.lines
                text = lines[entry.authors_line - 1]
                where = f"line {line}" if path == doc.path else f"{path}:{line}"
                yield Hit(
                    entry.authors_line,
                    column_of(text, author.id),
                    f"employee id {author.id} is {name} at {where} but {author.name} here",
                    extras={"context": text},
                    path=doc.path,
                )


def missing_authors(d: DocContext) -> Iterator[Hit]:
    for entry in _brief_entries(d):
        if entry.authors_line is None and written(entry.description):
            yield Hit(
                entry.line,
                1,
                f"entry has a description but no '{d.template.author_prefix}：' line",
                extras={"context": d.context(entry.line)},
            )
