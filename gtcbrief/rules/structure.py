"""Structure rules of a daily brief: title, entry headings, sections, separators."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from gtcbrief.diagnostics import Edit
from gtcbrief.render import shown
from gtcbrief.rules import CorpusContext, DocContext, Hit
from gtcbrief.rules.common import closest, code_lines, is_atx_heading, is_list_item, squash
from gtcbrief.text import is_placeholder, to_simplified

if TYPE_CHECKING:
    from gtcbrief.config import Template
    from gtcbrief.model import Document, Entry, Section

_DASHES = re.compile(r"^ {0,3}-{3,}[ \t]*$")
_LOOSE_KIND = re.compile(r"^\s*[\[【［]([^\]】］]*)[\]】］]\s*(.*)$")


def parse_problem(d: DocContext) -> Iterator[Hit]:
    for problem in d.doc.problems:
        yield Hit(problem.line, problem.column, problem.message)


def document_title(d: DocContext) -> Iterator[Hit]:
    doc = d.doc
    if doc.format != "brief":
        return
    want = d.template.document_title
    titles = [h for h in doc.headings if h.level == 1]
    if not titles and doc.title_line is not None:
        yield Hit(
            doc.title_line,
            1,
            f"the document title is a level-{_level(d, doc.title_line)} heading: write '# {want}'",
            extras={"context": d.context(doc.title_line)},
        )
        return
    if not titles:
        yield Hit(
            1,
            1,
            f"brief has no document title: start it with '# {want}'",
            extras={"context": d.context(1)},
        )
        return
    first = titles[0]
    text = first.text.strip()
    if not text.startswith(want):
        line = d.lines[first.line - 1]
        fix: tuple[Edit, ...] = ()
        if to_simplified(text).startswith(want) and text[: len(want)] in line:
            # 每日參會快報, in Traditional characters: one for one (lengths never change)
            fix = (Edit(first.line, (line.replace(text[: len(want)], want, 1),)),)
        yield Hit(
            first.line,
            1,
            f"document title is {first.text!r}, not '{want}'",
            extras={"context": d.context(first.line), "suggestion": want},
            fix=fix,
        )
    if doc.entries and doc.entries[0].line < first.line:
        yield Hit(
            first.line,
            1,
            "the document title comes after the first entry",
            extras={"context": d.context(first.line)},
        )
    for extra in titles[1:]:
        yield Hit(
            extra.line,
            1,
            f"second '#' title in a brief (the first is on line {first.line})",
            extras={"context": d.context(extra.line)},
        )


def _level(d: DocContext, number: int) -> int:
    return next((h.level for h in d.doc.headings if h.line == number), 0)


def _entries(d: DocContext) -> tuple[Entry, ...]:
    return d.doc.entries if d.doc.format == "brief" else ()


#: The marks, then text or blanks other than a space or a tab (U+3000, a no-break space).
_UNSPACED = re.compile(r"( {0,3}#+)([^\S \t]*)(?=[^#\s])")


def _unspaced(d: DocContext, number: int, what: str) -> Hit | None:
    """``##【…】``, ``###主题`` or ``##\u3000【…】`` on line ``number``: read as a heading
    (its writer's intent), but Markdown renders it as text. The fix writes the space."""
    line = d.lines[number - 1]
    match = _UNSPACED.match(line)
    if match is None:
        return None
    marks, odd = match.group(1).strip(), match.group(2)
    followed = f"followed by {shown(odd[0])}" if odd else "followed by text"
    return Hit(
        number,
        match.start(2) + 1,
        f"Markdown reads '{marks}' {followed} as text, not {what}: put a space after '{marks}'",
        extras={"context": line},
        fix=(Edit(number, (f"{match.group(1)} {line[match.end() :]}",)),),
    )


def _level_off(d: DocContext, number: int, want: int, what: str) -> Hit | None:
    """A heading on line ``number`` read as ``what`` (its writer's intent) at another
    level than ``want``; the fix writes its ``#`` marks."""
    line = d.lines[number - 1]
    stripped = line.lstrip(" ")
    marks = len(stripped) - len(stripped.lstrip("#"))
    if not 1 <= marks <= 6 or marks == want:
        return None
    return Hit(
        number,
        len(line) - len(stripped) + 1,
        f"{what} is a level-{want} heading ('{'#' * want} '), not level {marks}",
        extras={"context": line},
        fix=(Edit(number, (line[: len(line) - len(stripped)] + "#" * want + stripped[marks:],)),),
    )


def entry_heading(d: DocContext) -> Iterator[Hit]:
    for entry in _entries(d):
        ctx = {"context": d.context(entry.line)}
        unspaced = _unspaced(d, entry.line, "an entry heading")
        if unspaced is not None:
            yield unspaced
        off = _level_off(d, entry.line, 2, "an entry heading")
        if off is not None:
            yield off
        if entry.kind is None:
            loose = _LOOSE_KIND.match(entry.heading)
            if loose:
                kind = loose.group(1).strip()
                yield Hit(
                    entry.line,
                    1,
                    f"entry heading brackets its kind wrongly: write '【{kind}】'",
                    extras={**ctx, "suggestion": f"【{kind}】{loose.group(2).strip()}"},
                )
            else:
                yield Hit(
                    entry.line, 1, "entry heading is not shaped '## 【kind】title'", extras=ctx
                )
        elif not entry.kind:
            yield Hit(entry.line, 1, "entry heading has an empty 【】 kind", extras=ctx)
        if entry.kind is not None and not entry.title:
            yield Hit(entry.line, 1, "entry heading has no title after 【kind】", extras=ctx)


def unknown_kind(d: DocContext) -> Iterator[Hit]:
    kinds = d.template.kinds
    for entry in _entries(d):
        if not entry.kind or entry.kind in kinds:
            continue
        extras: dict[str, object] = {"context": d.context(entry.line)}
        message = f"unknown kind 【{entry.kind}】"
        exact = next((k for k in kinds if squash(k) == squash(entry.kind)), None)
        guess = exact or closest(entry.kind, kinds, cutoff=0.7)
        if guess:
            message += f"; did you mean 【{guess}】?"
            extras["suggestion"] = guess
        else:
            message += " (template.kinds: " + ", ".join(kinds) + ")"
        yield Hit(entry.line, 1, message, extras=extras)


def _known_names(template: Template) -> list[str]:
    names = [name for name, _ in template.sections]
    names += [name for name in template.required if name not in names]
    return names


def _level3(entry: Entry) -> list[Section]:
    return [s for s in entry.sections if s.level == 3]


def near_misses(entry: Entry, template: Template) -> dict[str, Section]:
    """Required headings missing from ``entry``, mapped to the heading that looks like them."""
    names = _known_names(template)
    present = {s.heading.strip() for s in _level3(entry)}
    missing = [name for name in template.required if name not in present]
    found: dict[str, Section] = {}
    if not missing:
        return found
    for sec in entry.sections:
        text = sec.heading.strip()
        if sec.level != 3:  # ``## 实事描述``: the name, a level up
            guess = text if text in names else template.section_named(text)
        elif text in names:
            continue
        else:
            guess = template.section_named(text) or closest(text, names)
        if guess in missing and guess not in found:
            found[guess] = sec
    return found


def missing_section(d: DocContext) -> Iterator[Hit]:
    template = d.template
    for entry in _entries(d):
        for sec in _level3(entry):
            unspaced = _unspaced(d, sec.line, "a section heading")
            if unspaced is not None:
                yield unspaced
        present = {s.heading.strip() for s in _level3(entry)}
        misses = near_misses(entry, template)
        for name in template.required:
            if name in present:
                continue
            near = misses.get(name)
            if near is not None and near.level != 3:
                off = _level_off(d, near.line, 3, f"section '{name}'")
                if off is not None:
                    yield off
                    continue
            if near is not None:
                written = near.heading.strip()
                line = d.lines[near.line - 1]
                fix: tuple[Edit, ...] = ()
                if (
                    template.section_named(written) == name
                    and not template.value_after(written)
                    and line.lstrip().startswith("###")
                    and written in line
                ):  # 主題, 实事描述：: the name as written, nothing after it to move
                    fix = (Edit(near.line, (line.replace(written, name, 1),)),)
                yield Hit(
                    near.line,
                    1,
                    f"missing section '### {name}': did you mean it instead of '### {written}'?",
                    extras={"context": d.context(near.line), "suggestion": name},
                    fix=fix,
                )
            else:
                yield Hit(
                    entry.line,
                    1,
                    f"entry has no '### {name}' section",
                    extras={"context": d.context(entry.line)},
                )


def empty_section(d: DocContext) -> Iterator[Hit]:
    names = set(_known_names(d.template))
    for entry in _entries(d):
        for sec in _level3(entry):
            if sec.heading.strip() not in names:
                continue
            text = sec.text.strip()
            if not text:
                message = f"section '### {sec.heading.strip()}' is empty"
            elif is_placeholder(text):
                message = f"section '### {sec.heading.strip()}' holds only a placeholder {text!r}"
            else:
                continue
            yield Hit(sec.line, 1, message, extras={"context": d.context(sec.line)})


def section_order(d: DocContext) -> Iterator[Hit]:
    order = {name: i for i, name in enumerate(_known_names(d.template))}
    for entry in _entries(d):
        seen: set[str] = set()
        last: tuple[int, str] | None = None
        for sec in _level3(entry):
            name = sec.heading.strip()
            if name not in order or name in seen:
                continue
            seen.add(name)
            if last is not None and order[name] < last[0]:
                yield Hit(
                    sec.line,
                    1,
                    f"section '### {name}' should come before '### {last[1]}' "
                    f"(template order: {'、'.join(order)})",
                    extras={"context": d.context(sec.line)},
                )
                continue
            last = (order[name], name)


def unknown_section(d: DocContext) -> Iterator[Hit]:
    template = d.template
    names = _known_names(template)
    for entry in _entries(d):
        claimed = {sec.line for sec in near_misses(entry, template).values()}
        first: dict[str, int] = {}
        for sec in _level3(entry):
            text = sec.heading.strip()
            field = template.field_of(text)
            if field is not None and first.setdefault(field, sec.line) != sec.line:
                yield Hit(
                    sec.line,
                    1,
                    f"a second '### {text}' in this entry: only the one on line "
                    f"{first[field]} is read; merge them",
                    extras={"context": d.context(sec.line)},
                )
                continue
            if text in names or sec.line in claimed:
                continue
            extras: dict[str, object] = {"context": d.context(sec.line)}
            message = f"unknown section '### {text}'"
            guess = closest(text, names)
            if guess:
                message += f"; did you mean '### {guess}'?"
                extras["suggestion"] = guess
            yield Hit(sec.line, 1, message, extras=extras)


def setext_separator(d: DocContext) -> Iterator[Hit]:
    """``text`` directly over ``---``: CommonMark reads a heading, not a separator."""
    doc = d.doc
    if doc.format != "brief":
        return
    lines = d.lines
    breaks = set(doc.thematic_breaks)
    code = code_lines(lines) if any("```" in x or "~~~" in x for x in lines) else set()
    start = 2
    if lines and lines[0].strip() == "---":  # YAML front matter: its closing '---' is fine
        close = next((i for i, x in enumerate(lines[1:], 2) if x.strip() in ("---", "...")), 0)
        start = close + 1 if close else 2
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        # ("---" in line: what every _DASHES line has, at a tenth of the pattern's cost)
        if "---" not in line or not _DASHES.match(line) or number in code:
            continue
        above = lines[number - 2]
        if not above.strip() or is_atx_heading(above) or is_list_item(above):
            continue
        if above.lstrip().startswith(("|", ">", "<")) or (number - 1) in code:
            continue
        message = (
            f"'---' directly under line {number - 1} turns that line into a heading, not a "
            "separator, in Markdown renderers: put a blank line above it"
        )
        column = len(line) - len(line.lstrip(" ")) + 1  # where the dashes start (up to 3 spaces in)
        if number in breaks:
            fix = (Edit(number, ("", line)),)
            yield Hit(number, column, message, extras={"context": line}, fix=fix)
        else:  # an entry-shaped setext heading: adding the line would change the entries
            yield Hit(number, column, message, extras={"context": line})


def missing_separator(d: DocContext) -> Iterator[Hit]:
    entries = _entries(d)
    for before, entry in zip(entries, entries[1:], strict=False):
        if before.separator_line is None:
            yield Hit(
                entry.line,
                1,
                f"no '---' line between this entry and the one on line {before.line}",
                extras={"context": d.context(entry.line)},
            )


def _title_key(title: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", title)).strip().casefold()


def duplicate_title(documents: Sequence[Document], ctx: CorpusContext) -> Iterator[Hit]:
    first: dict[str, tuple[str, int]] = {}
    for doc in documents:
        if doc.format != "brief":
            continue
        for entry in doc.entries:
            key = _title_key(entry.title)
            if not key:
                continue
            if key in first:
                path, line = first[key]
                where = f"line {line}" if path == doc.path else f"{path}:{line}"
                yield Hit(
                    entry.line,
                    1,
                    f"duplicate title: also at {where}",
                    extras={
                        "context": entry.heading and f"## {entry.heading}",
                        "duplicate_of": {"path": path, "line": line},
                    },
                    path=doc.path,
                )
            else:
                first[key] = (doc.path, entry.line)
