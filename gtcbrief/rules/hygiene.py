"""Hygiene rules: whitespace, the end of the file, punctuation in Chinese text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gtcbrief import _re_speedup
from gtcbrief.diagnostics import Edit
from gtcbrief.rules import DocContext, Hit
from gtcbrief.rules.common import code_lines, is_atx_heading, is_list_item
from gtcbrief.text import CJK_CLASS

_TRAILING_ENDS = frozenset(" \t\u3000\n")
_CJK = f"[{CJK_CLASS}]"
_HAS_CJK = _re_speedup.compile(_CJK)
_ANY_MARK = re.compile(r"[,;:!?]")
#: A half-width , ; : ! ? right after a Chinese character, followed by Chinese or the line end.
_HALFWIDTH = _re_speedup.compile(rf"(?<={_CJK})([,;:!?])(?=\s?{_CJK}|\s*$)")
#: Code spans, link targets, tags and URLs, whose punctuation is not prose. Bounded:
#: unbounded, each unclosed ``<`` or ``](`` scanned the rest of its line (quadratic).
_MASK = re.compile(r"`{1,16}[^`]{0,2000}`{1,16}|\]\([^)]{0,2000}\)|<[^>\n]{0,2000}>|https?://\S+")
_FULLWIDTH = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}


def trailing_whitespace(d: DocContext) -> Iterator[Hit]:
    """Trailing blanks, but not a hard line break: two spaces before more of the
    paragraph's text, which Markdown renders as ``<br>`` (markdownlint's ``br_spaces``).
    Stripping them changed what the entry says (a question and its answer ran
    together); more than two are reported with a fix that keeps two."""
    ends = _TRAILING_ENDS
    lines = d.lines
    code: set[int] | None = None  # fenced code's lines, found once a hard break asks
    for number, line in enumerate(lines, 1):
        # Most lines end otherwise: no need to scan them (``$`` may also match before
        # a final "\n", so such a line is scanned too).
        if not line or line[-1] not in ends:
            continue
        # what ``[ \t\u3000]+$`` finds, without retrying the pattern at each blank of
        # a long run inside the line (quadratic: 4.5 s for a 40 KB line)
        body = line[:-1] if line[-1] == "\n" else line
        start = len(body.rstrip(" \t\u3000"))
        if start == len(body):
            continue
        size = len(body) - start
        kept = ""  # what the fix leaves: a hard line break keeps its two spaces
        if (
            size >= 2
            and start
            and not body[start:].strip(" ")
            and number < len(lines)
            and _hard_break(body, lines[number])
        ):
            if code is None:
                code = code_lines(lines)
            if number not in code:
                if size == 2:
                    continue  # a hard line break
                kept = "  "
        yield Hit(
            number,
            start + 1,
            f"trailing whitespace ({size} character{'s' if size != 1 else ''})"
            + (": a line break needs two spaces" if kept else ""),
            extras={"context": line},
            fix=(Edit(number, (line[:start] + kept,)),),
        )


#: What ends a paragraph, or turns it into a heading, on the line after it: a bullet, a
#: list from 1, a fence, a table row, an HTML tag; a setext underline or a thematic break.
_INTERRUPTS = re.compile(
    r" {0,3}(?:[-+*][ \t]|1[.)][ \t]|```|~~~|\||<[A-Za-z/!?]"
    r"|=+[ \t]*$|-+[ \t]*$|(?:[-*_][ \t]*){3,}$)"
)


def _hard_break(line: str, following: str) -> bool:
    """Whether two trailing spaces break ``line`` inside its paragraph: the next line
    goes on with it. Not before a blank line, a heading, a bullet or a list starting at
    1, a fence, a table row, an HTML tag or a ``---``/``===`` underline or rule (which
    make ``line`` a heading or end its paragraph), nor before any list item when
    ``line`` is in a list; not on a heading or a table row. A quote's next line goes on
    with it when it is the quote's too."""
    text = following.strip()
    if not text or is_atx_heading(following) or _INTERRUPTS.match(following):
        return False
    # in a list, any item next (2., a nested - at any depth) starts an item of its own;
    # only after a paragraph of its own does '2. …' go on with the text
    if is_list_item(following) and (is_list_item(line) or line[:1] in " \t"):
        return False
    if text.startswith(">") and not line.lstrip().startswith(">"):
        return False
    return not is_atx_heading(line) and not line.lstrip().startswith("|")


def trailing_blank_lines(d: DocContext) -> Iterator[Hit]:
    lines = d.lines
    last = len(lines)
    while last > 0 and not lines[last - 1].strip():
        last -= 1
    count = len(lines) - last
    if count:
        noun = "line" if count == 1 else "lines"
        yield Hit(
            last + 1,
            1,
            f"{count} blank {noun} at the end of the file",
            fix=tuple(Edit(n, ()) for n in range(last + 1, len(lines) + 1)),
        )


def missing_final_newline(d: DocContext) -> Iterator[Hit]:
    source = d.doc.source
    if source and not source.endswith(("\n", "\r")) and d.lines:
        n = len(d.lines)
        last = d.lines[-1]
        yield Hit(
            n,
            len(last) + 1,
            "no line break at the end of the file",
            extras={"context": last},
            fix=(Edit(n, (last,), final_newline=True),),
        )


def halfwidth_punctuation(d: DocContext) -> Iterator[Hit]:
    skip = {e.authors_line for e in d.doc.entries if e.authors_line}
    # the speakers' lines: the template's own 'Name（Role, Organisation）' has the comma
    for entry in d.doc.entries:
        sec = entry.section("speakers")
        if sec is not None and sec.text_line is not None:
            skip.update(range(sec.text_line, sec.end_line + 1))
    for span in (d.doc.toc, d.doc.front_matter):
        if span:
            skip.update(range(span[0], span[1] + 1))
    lines = d.lines
    code = code_lines(lines) if any("```" in x or "~~~" in x for x in lines) else set()
    for number, line in enumerate(lines, 1):
        if not _ANY_MARK.search(line) or number in skip or number in code:
            continue
        if not _HAS_CJK.search(line):
            continue
        masked = _MASK.sub(lambda m: " " * len(m.group(0)), line)
        marks = list(_HALFWIDTH.finditer(masked))
        if not marks:
            continue
        first = marks[0].group(1)
        more = f" (and {len(marks) - 1} more on this line)" if len(marks) > 1 else ""
        yield Hit(  # one finding a line: a keyword list is one problem, not ten
            number,
            marks[0].start() + 1,
            f"half-width {first!r} in Chinese text: use {_FULLWIDTH[first]!r}{more}",
            extras={"context": line, "suggestion": _FULLWIDTH[first]},
        )
