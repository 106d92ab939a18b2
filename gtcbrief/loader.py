"""The one Markdown-to-dataclass loader every command uses.

mistletoe decides what the Markdown *is* (which lines are headings, lists,
code, HTML blocks, thematic breaks); the text of fields is then sliced from
the source lines so it stays exactly as written. Three document formats are
recognised (or forced by config):

``brief``
    the daily-brief template: ``## 【kind】title`` entries with ``###``
    sections and an author line (``撰稿人：name id、…``).
``notes``
    free-form notes with a generated TOC and ``<a name>`` anchors; each
    top-level bullet (a talk) with its children (notes on it) is an entry.
``markdown``
    anything else: a document of sections, no entries.

The loader never raises on text: what it cannot read is recorded as a
:class:`~gtcbrief.model.Problem` for ``validate`` to report.
"""

from __future__ import annotations

import os
import re
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from gtcbrief.config import DEFAULT, Config, Template
from gtcbrief.model import (
    Anchor,
    Author,
    Comment,
    DocFormat,
    Document,
    Entry,
    Heading,
    Link,
    Problem,
    Section,
    Speaker,
)
from gtcbrief.text import split_track

if TYPE_CHECKING:
    from gtcbrief.sources import Source

_NEWLINE = re.compile(r"\r\n|\r|\n")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
#: What opens an ATX heading, for :func:`atx_text`.
_ATX_OPEN = re.compile(r" {0,3}#{1,6}")
_ENTRY_HEADING = re.compile(r"^【([^】]*)】\s*(.*)$", re.DOTALL)
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
#: (``[^>]{0,500}?``: unbounded, each ``<a`` without a ``>`` scanned the rest of the line)
_ANCHOR = re.compile(
    r"<a\s[^>]{0,500}?\b(?:name|id)\s*=\s*(?:\"([^\"]{0,500})\"|'([^']{0,500})')", re.IGNORECASE
)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
#: The markers TOC generators write: bitdowntoc (``<!-- TOC start … -->`` … ``<!-- TOC end
#: -->``), markdown-toc (``<!-- toc -->`` … ``<!-- tocstop -->``), doctoc (``<!-- START
#: doctoc … -->`` … ``<!-- END doctoc … -->``), VS Code's Markdown All in One (``<!-- TOC
#: -->`` … ``<!-- /TOC -->``).
_TOC_START = re.compile(r"<!--\s*(?:TOC\s+start|TOC\s*-->|START\s+doctoc)", re.IGNORECASE)
_TOC_END = re.compile(r"<!--\s*(?:TOC\s+end|tocstop\s*-->|/TOC\s*-->|END\s+doctoc)", re.IGNORECASE)
#: A list item that is a link into the document, and at most a count after it:
#: ``- [Keynote](#keynote)``, ``- [cs.CR](#cscr) (24 篇)``.
_TOC_ITEM = re.compile(
    r"[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[[^\]\n]*\]\(\s*<?#[^()\s]*>?\s*\)"
    r"[ \t]*(?:[(（][^()（）\n]*[)）])?[ \t]*"
)
#: A link reference or footnote definition at the margin: ``[^1]: …``, ``[ref]: http://…``.
_DEFINITION = re.compile(r"\[[^\]\n]+\]:")
#: The first line of YAML or TOML front matter: a key (in any script, or quoted), then
#: ``: `` or ``=``.
_FRONT_KEY = re.compile(
    r"""(?:[^\s#:=\[\]{}'"-][^:=\n]*?|"[^"\n]*"|'[^'\n]*')[ \t]*(?::(?:[ \t]|$)|=)"""
)
#: Any line of it: a key, a comment, a list item, an indented value, a closing bracket
#: or a TOML table (``[tool]``, ``[[authors]]``).
_FRONT_LINE = re.compile(
    _FRONT_KEY.pattern + r"|[ \t]+\S|-(?:\s|$)|#|[\]}][,]?[ \t]*$|\[\[?[^\]\n]+\]\]?[ \t]*$"
)
_COMPANY_SUFFIX = re.compile(
    r"^(?:ltd\.?|limited|inc\.?|llc|l\.l\.c\.|co\.?|corp\.?|corporation|gmbh|ag|s\.a\.|sas|plc"
    r"|pte\.?\s*ltd\.?|co\.,?\s*ltd\.?)$",
    re.IGNORECASE,
)


def split_lines(text: str) -> list[str]:
    """Lines without their ends; ``\\r\\n``, ``\\r`` and ``\\n`` each end one line.

    Unlike :meth:`str.splitlines`, form feeds and Unicode line separators do
    not start a new line, so numbers agree with editors and ``grep -n``.
    """
    # str.split is a sixth of the regex's time (a brief: 37 µs, not 212 µs): the usual
    # text, with no carriage return, needs nothing more
    lines = text.split("\n") if "\r" not in text else _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# --------------------------------------------------------------------------- blocks


@dataclass(slots=True)
class _Block:
    """A top-level Markdown block with its 1-based, inclusive line span."""

    kind: str  # heading | paragraph | list | break | code | html | quote | table | other
    start: int
    end: int
    level: int = 0
    text: str = ""
    setext: bool = False
    token: Any = None
    unspaced: bool = False  # ``##【…】``: a heading read from a paragraph line


_KINDS = {
    "Heading": "heading",
    "SetextHeading": "heading",
    "Paragraph": "paragraph",
    "List": "list",
    "ThematicBreak": "break",
    "CodeFence": "code",
    "BlockCode": "code",
    "HtmlBlock": "html",
    "Quote": "quote",
    "Table": "table",
}


_HTML_READY = False
#: :func:`_atx_heading`, made with the HTML block (in place of mistletoe's ``Heading``).
_HEADING: type | None = None


def _html_block(block_token: Any) -> type:
    """mistletoe's ``HtmlBlock``, told at once that a line without ``<`` starts none.

    It is the first block type tried on every line and again on every line of a
    paragraph (can it interrupt?), and each try ran up to three regular expressions.
    Each of its seven rules needs the line, stripped, to begin with ``<``: the same
    answers, only sooner.
    """

    class HtmlBlock(block_token.HtmlBlock):  # type: ignore[misc]
        @classmethod
        def start(cls, line: str) -> Any:
            return "<" in line and super().start(line)

    return HtmlBlock


def _atx_heading(block_token: Any) -> type:
    """mistletoe's ``Heading``, reading the usual heading line without its pattern.

    ``Heading.start`` is tried on every line that starts a block and on every
    line of a paragraph, and its pattern's lazy text is retried against the
    closing sequence at each character: 2–8 µs a heading line, a sixth of
    mistletoe's time on a brief. A line that opens with one to six ``#`` and a
    space or tab, ends at its line feed and has no other ``#`` (no closing
    sequence) reads the same without it: the text is what follows the blank,
    stripped. Every other line still goes to the pattern.
    """
    base = block_token.Heading

    class Heading(base):  # type: ignore[misc,valid-type]
        @classmethod
        def start(cls, line: str) -> Any:
            text = line.lstrip(" ")
            if not text.startswith("#") or len(line) - len(text) > 3:
                return False
            after = text.lstrip("#")
            level = len(text) - len(after)
            if level > 6:  # a seventh "#" follows any shorter run: no heading
                return False
            if after == "\n":
                content = ""
            elif (
                after[:1] in (" ", "\t") and after.find("\n") == len(after) - 1 and "#" not in after
            ):
                content = after[1:-1].strip()
            else:
                return super().start(line)
            cls.level, cls.content, cls.closing_sequence = level, content, ""
            return True

    return Heading


def _no_spans(content: str) -> list[Any]:
    """mistletoe's inline parser while the loader parses: no inline tokens at all."""
    return []


# Where a block type can begin, searched for in the text with a line feed put before it:
# each pattern starts with the line feed ending the line before, a literal the regex
# engine scans for, instead of trying every position. Each is a superset of the lines
# on which that type's ``start`` (and ``check_interrupts_paragraph``) can say yes.
#: ``List.start`` and ``ListItem.parse_marker`` (whose ``\s`` also takes U+3000).
_LIST_START = re.compile(r"\n {0,3}(?:\d{0,9}[.)]|[+\-*])\s")
_QUOTE_START = re.compile(r"\n {0,3}>")
#: ``str.lstrip()`` takes any white space (``\s`` may also cross a line: still a superset).
_HTML_START = re.compile(r"\n\s{0,3}<")
_FOOTNOTE_START = re.compile(r"\n\s*\[")
_FENCE_START = re.compile(r"\n {0,3}(?:```|~~~)")
#: ``BlockCode.start``: four spaces once the line's first tab is four spaces.
_INDENTED = re.compile(r"\n(?: {4}| {0,3}\t)")


def _possible_types(block_token: Any, types: Sequence[type], text: str) -> list[type]:
    """The block types of ``types`` that can begin on some line of ``text`` (each line
    ending in a line feed, one more put before the first), in their order.

    mistletoe tries every block type on every line that starts a block, and again
    on every line of a paragraph (can it interrupt?). A type whose ``start`` says
    no on every line changes nothing by being tried, so leaving it out gives the
    same tree. Most briefs need only headings, breaks and paragraphs: mistletoe's
    block parsing of 2,000 generated entries took 1.38 G instructions with all ten
    types and 0.99 G with the possible ones. The tests are on the whole
    text, so they see the lines nested in a quote or a list item too (pieces of
    the text's lines); only where there is no quote or list can they ask where a
    line begins.
    """
    nested = ">" in text or _LIST_START.search(text) is not None

    def possible(kind: type) -> bool:
        if issubclass(kind, block_token.HtmlBlock):
            return "<" in text and (nested or _HTML_START.search(text) is not None)
        if issubclass(kind, block_token.Quote):
            return ">" in text and (nested or _QUOTE_START.search(text) is not None)
        if issubclass(kind, block_token.List):
            return nested
        if issubclass(kind, block_token.Table):
            return "|" in text
        if issubclass(kind, block_token.Footnote):
            return "[" in text and (nested or _FOOTNOTE_START.search(text) is not None)
        if issubclass(kind, block_token.CodeFence):
            fenced = "```" in text or "~~~" in text
            return fenced and (nested or _FENCE_START.search(text) is not None)
        if issubclass(kind, block_token.BlockCode):
            spaced = "    " in text or "\t" in text
            return spaced and (nested or _INDENTED.search(text) is not None)
        return True  # headings, breaks, paragraphs, and any type this does not know

    return [kind for kind in types if possible(kind)]


def _mistletoe_document(lines: list[str], *, every_type: bool = False) -> Any:
    """Parse the block structure only, with CommonMark HTML blocks enabled.

    Field text is sliced from the source lines, so inline (span) parsing is
    not needed, and it is quadratic in mistletoe for a paragraph of many
    links (20,000 links on a line took 80 s). Span parsing is switched off by
    leaving only the fallback token (RawText) while the document is built.
    mistletoe adds HTML blocks only inside a renderer, so add them once here.
    Only the block types that can begin somewhere in ``lines`` are tried
    (:func:`_possible_types`; ``every_type``: all of them, as the tests compare).
    """
    global _HTML_READY
    if not _HTML_READY:
        from gtcbrief._mistletoe_speedup import install

        install()  # every command's mistletoe import, without its 0.3 s Unicode scan
    from mistletoe import block_token, span_token

    global _HEADING
    if not _HTML_READY:
        block_token.add_token(_html_block(block_token))  # type: ignore[no-untyped-call]
        _HEADING = _atx_heading(block_token)
        _HTML_READY = True
    inline = span_token.tokenize_inner
    types = block_token._token_types
    span_token.tokenize_inner = _no_spans
    chosen = types if every_type else _possible_types(block_token, types, "\n" + "".join(lines))
    block_token._token_types = [_HEADING if t is block_token.Heading else t for t in chosen]
    try:
        return block_token.Document(lines)
    finally:
        span_token.tokenize_inner = inline
        block_token._token_types = types
        # Quote.read turns this class switch off while it parses; a RecursionError
        # in a deep quote left it off, and every later document lost its setext headings.
        block_token.Paragraph.parse_setext = True


def _mistletoe_blocks(lines: list[str]) -> list[_Block]:
    doc = _mistletoe_document([line + "\n" for line in lines])
    raw: list[tuple[str, int, Any]] = []
    for token in doc.children or ():
        number = getattr(token, "line_number", None)
        if number is None:
            number = raw[-1][1] if raw else 1
        raw.append((_KINDS.get(type(token).__name__, "other"), number, token))
    return _with_ends(raw, lines)


def _with_ends(raw: list[tuple[str, int, Any]], lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    for i, (kind, start, token) in enumerate(raw):
        end = raw[i + 1][1] - 1 if i + 1 < len(raw) else len(lines)
        while end > start and not lines[end - 1].strip():
            end -= 1
        if kind == "list" and _DEFINITION.match(lines[end - 1]):
            end = _before_definitions(lines, start, end)
        end = max(end, start)
        block = _Block(kind, start, end, token=token)
        if kind == "heading":
            block.level = int(getattr(token, "level", 1))
            block.setext = type(token).__name__ == "SetextHeading"
            block.text = _heading_text(lines, start, end, block.setext)
        blocks.append(block)
    return blocks


def _before_definitions(lines: list[str], start: int, end: int) -> int:
    """The last line of a list that ``end`` would close after link or footnote
    definitions at the margin (which make no block of their own): after a blank line
    they are not its last item's text."""
    last = end
    while last > start and (not lines[last - 1].strip() or _DEFINITION.match(lines[last - 1])):
        last -= 1
    return last if last < end and not lines[last].strip() else end


def _fallback_blocks(lines: list[str]) -> list[_Block]:
    """Line-based blocks for text mistletoe cannot parse (e.g. absurd nesting)."""
    raw: list[tuple[str, int, Any]] = []
    previous_blank = True
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped:
            previous_blank = True
            continue
        if _ATX.match(line):
            raw.append(("heading", number, None))
        elif re.fullmatch(r" {0,3}(?:-[ \t]*){3,}", line) and previous_blank:
            raw.append(("break", number, None))
        elif previous_blank:
            raw.append(("paragraph", number, None))
        previous_blank = False
    blocks = _with_ends(raw, lines)
    for block in blocks:
        if block.kind == "heading":
            match = _ATX.match(lines[block.start - 1])
            block.level = len(match.group(1)) if match else 1
            block.end = block.start
    return blocks


def _heading_text(lines: list[str], start: int, end: int, setext: bool) -> str:
    if setext:
        return " ".join(line.strip() for line in lines[start - 1 : end - 1]).strip()
    text = atx_text(lines[start - 1])
    if text is not None:
        return text.strip()
    # mistletoe also takes other blanks after the marks (U+3000, a no-break space) where
    # CommonMark takes a space or a tab: its text is after them (validate reports them)
    line = lines[start - 1].strip()
    rest = line.lstrip("#")
    return rest.strip() if rest[:1].isspace() and len(line) - len(rest) <= 6 else line


def atx_text(line: str) -> str | None:
    """``_ATX.match(line)``'s text (its group 2, or ``""``), or ``None`` where it does not
    match, for a line without a line feed.

    The pattern's lazy text is retried at every character against the closing
    sequence after it: 7–12 µs a heading, a tenth of loading a brief. The same
    reading in a few string operations: the text is what follows the opening
    marks and their blanks, without trailing blanks, and without a closing run
    of ``#`` where blanks come before it."""
    opening = _ATX_OPEN.match(line)
    if opening is None:
        return None
    rest = line[opening.end() :]
    if not rest:
        return ""
    if rest[0] not in " \t":  # "#foo", or a seventh "#"
        return None
    text = rest.lstrip(" \t").rstrip(" \t")
    if text.endswith("#"):
        before = text.rstrip("#")
        if before and before[-1] in " \t":
            return before.rstrip(" \t")
    return text


# --------------------------------------------------------------------------- fields


@lru_cache(maxsize=16)
def _splitters(seps: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """``seps`` as a class, and that class with the parentheses, captured (``seps`` has
    none)."""
    assert not any(ch in seps for ch in "(（)）")
    return re.compile(f"[{re.escape(seps)}]"), re.compile(f"([{re.escape(seps)}(（)）])")


def _split_top(text: str, seps: str) -> list[str]:
    """Split at any char of ``seps`` outside (half- or full-width) parentheses.

    With parentheses, the text is split at every separator and parenthesis in C (a
    captured class: text, mark, text, …) and the marks alone are read here, instead
    of a match object each: a third less time on a corpus's speaker lines."""
    plain, marks = _splitters(seps)
    if "(" not in text and "（" not in text and ")" not in text and "）" not in text:
        return [p for p in map(str.strip, plain.split(text)) if p]
    pieces = marks.split(text)
    parts: list[str] = []
    depth = 0
    start = 0
    for k in range(1, len(pieces), 2):
        mark = pieces[k]
        if mark in "(（":
            depth += 1
        elif mark in ")）":
            if depth:
                depth -= 1
        elif not depth:
            parts.append("".join(pieces[start:k]))
            start = k + 1
    parts.append("".join(pieces[start:]))
    return [p for p in map(str.strip, parts) if p]


def _role_and_org(inner: str) -> tuple[str | None, str | None]:
    parts = _split_top(inner, ",，")
    merged: list[str] = []
    for part in parts:
        if merged and _COMPANY_SUFFIX.match(part):
            merged[-1] = f"{merged[-1]}, {part}"
        else:
            merged.append(part)
    if not merged:
        return None, None
    if len(merged) == 1:
        return None, merged[0]
    return ", ".join(merged[:-1]), merged[-1]


_PARENTHESIS = re.compile("[()（）]")


def parse_speaker(raw: str) -> Speaker:
    """``Name（Role, Organisation）``; the organisation is the last comma part, and a
    ``等`` closing the list ('and others') is left out of it (``raw`` keeps it).

    Company suffixes (``Co., Ltd``, ``Inc.``) stay with their company, a
    half-width parenthesis in the name stays in the name, and a trailing
    half-width group is used only when no full-width one is present.
    """
    text = without_and_others(raw.strip())
    raw = raw.strip()
    if text.endswith("）"):
        close, open_ = "）", "（"
    elif text.endswith(")"):
        close, open_ = ")", "("
    else:
        return Speaker(name=text, role=None, organisation=None, raw=raw)
    depth = 0
    for i in reversed([m.start() for m in _PARENTHESIS.finditer(text)]):
        ch = text[i]
        if ch in ")）":
            depth += 1
        elif ch in "(（":
            depth -= 1
            if depth == 0:
                if ch != open_ and close == "）":
                    break
                name = text[:i].strip()
                inner = text[i + 1 : -1].strip()
                if close == ")" and "," not in inner and "，" not in inner:
                    break  # "Name (Team)" without a role: keep it as the name
                if not name:
                    break
                role, org = _role_and_org(inner)
                return Speaker(name=name, role=role, organisation=org, raw=raw)
    return Speaker(name=text, role=None, organisation=None, raw=raw)


#: ``等`` (and others) after the last speaker's parentheses: ``…（CEO, X）等``.
_AND_OTHERS = re.compile(r"(?<=[）)])\s*等(?:人|等)?\s*[。.]?$")


def without_and_others(text: str) -> str:
    """A speaker without a trailing ``等`` ('and others') after their parentheses."""
    return _AND_OTHERS.sub("", text) if "等" in text else text


#: A separator other than ``、`` after someone's closing parenthesis: the next speaker.
_AFTER_CLOSE = re.compile(r"[）)]\s*[,，/]\s*\S")
_JOINER = re.compile(r"\s*[,，/]\s*")


def _split_after_close(piece: str) -> list[str]:
    """``A（CEO, X）， B（CTO, Y）`` (a comma or slash where ``、`` belongs) as two."""
    parts: list[str] = []
    depth = start = 0
    for i, ch in enumerate(piece):
        if ch in "(（":
            depth += 1
        elif ch in ")）" and depth:
            depth -= 1
            joiner = _JOINER.match(piece, i + 1) if not depth else None
            if joiner and joiner.end() > i + 1 and joiner.end() < len(piece):
                parts.append(piece[start : i + 1])
                start = joiner.end()
    parts.append(piece[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_speakers(text: str) -> tuple[Speaker, ...]:
    pieces = _split_top(text, "、﹑､;；\n")
    if "\n" in text:  # one speaker a line, perhaps as a list: ``- Name（Role, Org）``
        pieces = [_LIST_MARKER.sub("", piece, count=1) for piece in pieces]
    if any(_AFTER_CLOSE.search(piece) for piece in pieces):
        pieces = [part for piece in pieces for part in _split_after_close(piece)]
    return tuple(parse_speaker(piece) for piece in pieces if piece)


#: What separates authors: ``、``, and what is typed for it (commas, semicolons, and the
#: small and half-width forms other input methods give: ``﹑`` ``､`` ``﹐``).
AUTHOR_SEPARATORS = "、,，;；﹑､﹐"
#: Words written between two authors after an id (``王芳 53456789和赵磊 54567890``).
AUTHOR_WORDS = "(?:和|及|与|以及)"
#: The colon after the author prefix: ``：``, ``:`` and the small and vertical forms.
COLONS = "：:﹕︰∶"

_AUTHOR_PAIR = re.compile(rf"([^\d{AUTHOR_SEPARATORS}]*?[^\d\s{AUTHOR_SEPARATORS}])\s*(\d+)")
#: 和 after an id joins the next person right after it or spaced apart ('孙立 61234501
#: 和静': 和 is a surname); 及, 与, 以及 (no surnames) however they are spaced.
_AFTER_ID = re.compile(rf"{AUTHOR_WORDS}\s*|\s+和\s+|\s+(?:以及|及|与)\s*")


def _without_joiner(name: str) -> str:
    """A later author's name as written after the id before it, without the word that
    joined them (``和赵磊`` is 赵磊, GB203 reports the 和)."""
    joined = _AFTER_ID.match(name)
    if joined and name[joined.end() :].strip():
        name = name[joined.end() :]
    return name.strip()


#: ``张三 12345678``, ``张三（12345678）``, ``张三``.
_NAME_AND_ID = re.compile(r"(.*?)\s*(?:[（(]\s*(\d+)\s*[）)]|(\d+))?", re.DOTALL)
#: ``12345678 张三``: the id first.
_ID_AND_NAME = re.compile(r"(\d{4,})\s*([^\d]+)")


def parse_authors(text: str, id_pattern: str = DEFAULT.template.id_pattern) -> tuple[Author, ...]:
    """``赵伟 59843547、张峰 56221517`` (also tolerating ``,``, ``，`` and the others of
    :data:`AUTHOR_SEPARATORS`). With a config's ``template.id_pattern`` other than the
    default's digits (``w00123456``), ids are what it matches."""
    if id_pattern != DEFAULT.template.id_pattern and not _digits_only(id_pattern):
        return _authors_by_pattern(text, id_pattern)
    authors: list[Author] = []
    for piece in _split_top(text, AUTHOR_SEPARATORS):
        pairs = _AUTHOR_PAIR.findall(piece)
        if len(pairs) > 1 and not _AUTHOR_PAIR.sub("", piece).strip():
            for n, (name, number) in enumerate(pairs):
                name = _without_joiner(name) if n else name.strip()
                authors.append(Author(name=name, id=number, raw=f"{name} {number}"))
            continue
        match = _ID_AND_NAME.fullmatch(piece) or _NAME_AND_ID.fullmatch(piece)
        if match is None:
            name, number = piece, None
        elif match.re is _ID_AND_NAME:
            number, name = match.groups()
        else:
            name, number = match.group(1), match.group(2) or match.group(3)
        authors.append(Author(name=name.strip() or piece, id=number, raw=piece))
    return tuple(authors)


def _digits_only(pattern: str) -> bool:
    """Whether an id pattern matches digits alone (``\\d{7}``), as the default reading has them."""
    return re.fullmatch(r"(?:\\d|\[0-9\]|[{}\d,])+", pattern) is not None


@lru_cache(maxsize=8)
def _id_piece(id_pattern: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(name then id, id then name, an id alone) for a config's id pattern."""
    pat = f"(?:{id_pattern})"
    return (
        # (the name ends on a non-blank, and one run of blanks comes before the id: two
        # optional runs side by side took cubic time on a line of 1,000 spaces)
        re.compile(rf"(.*?\S)\s*(?:[（(]\s*)?({pat})\s*[）)]?", re.DOTALL),
        re.compile(rf"({pat})\s+(.+)", re.DOTALL),
        re.compile(rf"(?<![A-Za-z0-9]){pat}(?![A-Za-z0-9])"),
    )


def _authors_by_pattern(text: str, id_pattern: str) -> tuple[Author, ...]:
    """Authors whose ids are what ``id_pattern`` matches; a piece without one is read as
    the default reading has it (``罗敏 6123450``: name and an id GB204 then refuses)."""
    name_first, id_first, an_id = _id_piece(id_pattern)
    authors: list[Author] = []
    for piece in _split_top(text, AUTHOR_SEPARATORS):
        ids = list(an_id.finditer(piece))
        if len(ids) > 1:  # ``孙立 w0012345 何静 62345678``: pairs one after another
            start, pairs = 0, []
            for found in ids:
                name = piece[start : found.start()]
                pairs.append((_without_joiner(name) if start else name.strip(), found.group()))
                start = found.end()
            if all(name for name, _id in pairs) and not piece[start:].strip():
                authors += [Author(name=n, id=i, raw=f"{n} {i}") for n, i in pairs]
                continue
        match = name_first.fullmatch(piece)
        if match is not None and match.group(1).strip():
            authors.append(Author(name=match.group(1).strip(), id=match.group(2), raw=piece))
            continue
        match = id_first.fullmatch(piece)
        if match is not None:
            authors.append(Author(name=match.group(2).strip(), id=match.group(1), raw=piece))
            continue
        authors += parse_authors(piece)  # (no id of the pattern's: the default reading)
    return tuple(authors)


_FOUR_DIGITS = re.compile(r"\d{4}")


def _signed(line: str) -> bool:
    """What makes a line inside a paragraph an author line, beyond its prefix: a colon
    and, after it, an employee id (a sentence may start with the prefix's word, not
    with both). What ``[：:].*\\d{4,}`` finds, in linear time (the pattern tried every
    colon with every length: 10 s for a 100 KB line of them)."""
    colons = [i for i in map(line.find, COLONS) if i >= 0]
    return bool(colons) and _FOUR_DIGITS.search(line, min(colons) + 1) is not None


_SEPARATORS = re.compile(f"[{AUTHOR_SEPARATORS}]")
#: One name and its id (``张三 12345678``), the pieces :func:`_names_with_ids` checks.
_NAME_WITH_ID = re.compile(rf"[^\d{AUTHOR_SEPARATORS}。！？!?]{{1,20}}?\s*\d{{4,}}\s*")


def _names_with_ids(text: str) -> bool:
    """Names with ids and nothing else (``张三 12345678、李四 87654321``): what may follow
    the prefix without a colon, and what an author line's next line may hold. One
    piece at a time between the separators (a single pattern for the whole line let
    each name's trailing space go to the name or after it: twice the time an author)."""
    pieces = _SEPARATORS.split(text)
    if len(pieces) > 1 and not pieces[-1].strip():
        pieces.pop()  # a separator may end the line
    return all(_NAME_WITH_ID.fullmatch(piece.lstrip()) for piece in pieces)


def _author_match(template: Template, line: str) -> re.Match[str] | None:
    """``line`` as an author line: the prefix and a colon, or the prefix and names with
    ids. ``撰稿人现场提问了…`` is a sentence that starts with the prefix's word."""
    match = _author_line(template.author_prefix).match(line)
    if match is None or match.group(1) or _names_with_ids(match.group(2)):
        return match
    return None


@lru_cache(maxsize=16)
def _author_line(prefix: str) -> re.Pattern[str]:
    """The authors line of ``prefix``, compiled once (escaping the prefix and finding
    the pattern in ``re``'s cache took a microsecond on each of a brief's paragraphs):
    group 1 is the colon, group 2 the names."""
    # (bold markers around the prefix or its colon, ``**撰稿人**：``, are read through)
    bold = r"(?:\*\*|__)?"
    return re.compile(
        rf"^\s*{bold}{re.escape(prefix)}{bold}\s*([{COLONS}]?){bold}\s*(.*?)(?:\s*(?:\*\*|__))?\s*$"
    )


# --------------------------------------------------------------------------- loader


def _text_of(lines: list[str], blocks: Sequence[_Block]) -> tuple[str, int | None, int | None]:
    """Source text covering ``blocks`` (blank lines between them kept)."""
    if not blocks:
        return "", None, None
    if len(blocks) == 1:  # the usual section: one paragraph, all of its lines
        block = blocks[0]
        return "\n".join(lines[block.start - 1 : block.end]).strip(), block.start, block.end
    keep: set[int] = set()
    for block in blocks:
        keep.update(range(block.start, block.end + 1))
    first, last = min(keep), max(keep)
    chunk = [lines[n - 1] if n in keep else "" for n in range(first, last + 1)]
    text = "\n".join(chunk).strip()
    return text, first, last


def _is_comment(lines: list[str], block: _Block) -> bool:
    text = "\n".join(lines[block.start - 1 : block.end]).strip()
    return text.startswith("<!--") and text.endswith("-->")


def _without_stray(body: list[_Block], lines: list[str], stray: list[Problem]) -> list[_Block]:
    """``body`` without the text after its last separator, where no heading follows.

    A footer under the last entry's ``---`` (``以上为今日快报。``) or a line between a
    separator and the next entry is nobody's: it is reported, not put in a field."""
    last = next((i for i in range(len(body) - 1, -1, -1) if body[i].kind == "break"), None)
    if last is None or last == len(body) - 1:
        return body
    after = body[last + 1 :]
    if any(b.kind == "heading" for b in after):
        return body
    text = [
        b
        for b in after
        if not (b.kind == "html" and _is_comment(lines, b))
        and any(lines[n - 1].strip() for n in range(b.start, b.end + 1))
    ]
    if not text:
        return body
    first = text[0].start
    stray.append(
        Problem(
            first,
            1,
            f"text after the '---' on line {body[last].start} belongs to no entry: "
            "move it into an entry, above its '---'",
        )
    )
    return body[: last + 1] + [b for b in after if b not in text]


def _entry_from_blocks(
    path: str,
    head: _Block,
    body: list[_Block],
    lines: list[str],
    template: Template,
    stray: list[Problem],
) -> Entry:
    heading = head.text
    match = _ENTRY_HEADING.match(heading)
    kind, title = (match.group(1).strip(), match.group(2).strip()) if match else (None, heading)
    authors: tuple[Author, ...] = ()
    authors_line: int | None = None
    separator: int | None = None
    content: list[_Block] = []
    body = _without_stray(body, lines, stray)
    for block in body:
        if block.kind == "break":
            separator = block.start
            continue
        if block.kind == "html" and _is_comment(lines, block):
            continue  # suppressions and editor notes are not field text
        if block.kind == "paragraph" and authors_line is not None:
            # a second author line (``撰稿人：李四 87654321`` under the first): more
            # authors, not text of the section above it (GB203 asks for one line)
            author = _author_match(template, lines[block.start - 1])
            if author and block.start == block.end and _signed(lines[block.start - 1]):
                authors += parse_authors(author.group(2), template.id_pattern)
                continue
        if block.kind == "paragraph" and authors_line is None:
            author = _author_match(template, lines[block.start - 1])
            if author:
                # the names may go on over the next lines; text after them is the
                # paragraph the author line was written on top of
                rest, n = [author.group(2)], block.start + 1
                while n <= block.end and (
                    rest[-1].rstrip().endswith(("、", ",", "，"))
                    or _names_with_ids(lines[n - 1].strip())
                ):
                    rest.append(lines[n - 1])
                    n += 1
                authors = parse_authors(" ".join(s.strip() for s in rest), template.id_pattern)
                authors_line = block.start
                if n > block.end:
                    continue
                block = _Block("paragraph", n, block.end)
            else:
                # the author line written straight under the last text, with no blank
                # line between (so Markdown reads it as that paragraph's last line):
                # split it off
                for n in range(block.start + 1, block.end + 1):
                    author = _author_match(template, lines[n - 1])
                    if author and _signed(lines[n - 1]):
                        rest = [author.group(2), *lines[n : block.end]]
                        authors = parse_authors(
                            " ".join(s.strip() for s in rest), template.id_pattern
                        )
                        authors_line = n
                        block = _Block("paragraph", block.start, n - 1)
                        break
        content.append(block)

    sections: list[Section] = []
    current: _Block | None = None
    bucket: list[_Block] = []

    def flush() -> None:
        if current is None:
            return
        text, first, last = _text_of(lines, bucket)
        field = template.field_of(current.text)
        value = template.value_after(current.text) if field else ""
        if value:  # ``### 主题：Robotics - …``: the value on the heading's line
            text, first = (f"{value}\n\n{text}" if text else value), current.start
        sections.append(
            Section(
                heading=current.text,
                level=current.level,
                line=current.start,
                end_line=last or current.end,
                text=text,
                text_line=first,
                field=field,
            )
        )

    for block in content:
        if block.kind == "heading" and not (
            # a sub-heading (`#### 小标题`) inside a section is part of its text
            current is not None
            and block.level > current.level
            and template.field_of(block.text) is None
        ):
            flush()
            current, bucket = block, []
        else:
            bucket.append(block)
    flush()

    values: dict[str, Section] = {}
    for sec in sections:
        if sec.field and sec.field not in values:
            values[sec.field] = sec
    topic = values["track"].text.strip().split("\n")[0].strip() if "track" in values else None
    track, subtopic = split_track(topic) if topic else (None, None)
    speakers = parse_speakers(values["speakers"].text) if "speakers" in values else ()
    description = values["description"].text if "description" in values else None
    implications = values["implications"].text if "implications" in values else None
    end = max([head.end] + [b.end for b in body if b.kind != "break"])
    return Entry(
        path=path,
        line=head.start,
        end_line=end,
        kind=kind,
        title=title,
        heading=heading,
        topic=topic or None,
        track=track or None,
        subtopic=subtopic,
        speakers=speakers,
        description=description or None,
        implications=implications or None,
        authors=authors,
        authors_line=authors_line,
        sections=tuple(sections),
        separator_line=separator,
    )


def _demote_setext_separators(blocks: list[_Block]) -> list[_Block]:
    """``text`` directly over ``---`` is a setext heading to CommonMark.

    In a brief that is nearly always an author line (or a last paragraph)
    whose separator lost its blank line. Unless the heading text is itself
    entry-shaped, read it as the paragraph plus the separator it was meant to
    be; ``validate`` reports the missing blank line.
    """
    out: list[_Block] = []
    for block in blocks:
        if (
            block.kind == "heading"
            and block.setext
            and block.level == 2
            and not _ENTRY_HEADING.match(block.text)
            and block.end > block.start
        ):
            out.append(_Block("paragraph", block.start, block.end - 1))
            out.append(_Block("break", block.end, block.end))
        else:
            out.append(block)
    return out


def _brief_entries(
    path: str, blocks: list[_Block], lines: list[str], template: Template, stray: list[Problem]
) -> list[Entry]:
    entries: list[Entry] = []
    head: _Block | None = None
    body: list[_Block] = []
    ended = True  # no entry yet, or a ``---`` since its heading: no section of it follows
    for block in blocks:
        # a heading one level off, as its writer meant it (validate reports the level):
        # ``### 【Keynote】…`` (a kind of the template's) starts an entry, ``## 实事描述``
        # is a section of the entry (before its separator)
        starts = block.kind == "heading" and (
            block.level == 1
            or (
                block.level == 2
                # (an entry's 【 first: a section name is looked up for the others only)
                and (ended or block.text.startswith("【") or template.field_of(block.text) is None)
            )
            or (
                block.level == 3
                and block.text.startswith("【")
                and _one_level_down(block.text, template)
            )
        )
        if starts:
            if head is not None:
                entries.append(_entry_from_blocks(path, head, body, lines, template, stray))
            head, body = (block, []) if block.level >= 2 else (None, [])
            ended = head is None
        elif head is not None:
            body.append(block)
            ended = ended or block.kind == "break"
    if head is not None:
        entries.append(_entry_from_blocks(path, head, body, lines, template, stray))
    return entries


def _one_level_down(text: str, template: Template) -> bool:
    """Whether a ``###`` heading is an entry heading written a level down: ``【kind】title``
    with one of the template's kinds (``### 【重点】`` in a description stays text)."""
    match = _ENTRY_HEADING.match(text)
    return match is not None and match.group(1).strip() in template.kinds


#: ``##【Keynote】…`` or ``###主题``: a heading to its writer, a paragraph to CommonMark
#: (no space after the marks).
_UNSPACED = re.compile(r" {0,3}(#{2,3})(?=[^#\s])(.*?)[ \t]*")


def _unspaced_heading(line: str, template: Template) -> tuple[int, str] | None:
    """(level, text) of a line shaped like an entry heading (``##【Keynote】…``) or a
    template section (``###主题``) but for the space after its ``#`` marks; else None."""
    match = _UNSPACED.fullmatch(line)
    if match is None:
        return None
    level, text = len(match.group(1)), match.group(2)
    if (level == 2 and _ENTRY_HEADING.match(text)) or (
        level == 3 and template.field_of(text) is not None
    ):
        return level, text
    return None


def _promote_unspaced_headings(
    blocks: list[_Block], lines: list[str], template: Template
) -> list[_Block]:
    """Read a paragraph line shaped like an entry heading or a template section, but
    for the space after its ``#`` marks, as the heading its writer meant; ``validate``
    reports the missing space (GB102, GB104)."""
    out: list[_Block] = []
    for block in blocks:
        if block.kind != "paragraph" or not any(
            lines[n - 1].lstrip(" ").startswith("##") for n in range(block.start, block.end + 1)
        ):
            out.append(block)
            continue
        start = block.start
        for n in range(block.start, block.end + 1):
            heading = _unspaced_heading(lines[n - 1], template)
            if heading is None:
                continue
            level, text = heading
            if n > start:
                out.append(_Block("paragraph", start, n - 1))
            out.append(_Block("heading", n, n, level=level, text=text, unspaced=True))
            start = n + 1
        if start <= block.end:
            out.append(_Block("paragraph", start, block.end))
    return out


def _notes_entries(
    path: str, blocks: list[_Block], lines: list[str], toc: tuple[int, int] | None
) -> list[Entry]:
    entries: list[Entry] = []
    parent: str | None = None
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            parent = block.text
            continue
        if block.kind != "list" or (toc and toc[0] <= block.start <= toc[1]):
            continue
        items = (
            [getattr(item, "line_number", None) for item in (block.token.children or [])]
            if block.token is not None
            else []
        )
        starts = [n for n in items if isinstance(n, int)]
        for i, start in enumerate(starts):
            end = starts[i + 1] - 1 if i + 1 < len(starts) else block.end
            while end > start and not lines[end - 1].strip():
                end -= 1
            first = _LIST_MARKER.sub("", lines[start - 1], count=1).strip()
            # the first paragraph's next lines (a title wrapped by the editor) are the title
            after = start
            while after < end and _wraps(lines[after]):
                more = lines[after].strip()
                # a space between Latin words only (Chinese wraps between characters)
                spaced = first[-1:].isascii() and more[:1].isascii() and bool(first)
                first = f"{first} {more}" if spaced else first + more
                after += 1
            import textwrap  # (here: only notes' bullets need it)

            rest = textwrap.dedent("\n".join(lines[after:end])).strip()
            entries.append(
                Entry(
                    path=path,
                    line=start,
                    end_line=end,
                    kind=None,
                    title=first,
                    heading=first,
                    description=rest or None,
                    parent=parent,
                )
            )
        del index
    return entries


#: A line that opens a block of its own (in a list item): a list item, a heading, a
#: quote, a fence, an image, a table row or an HTML tag.
_OPENS_BLOCK = re.compile(r"\s*(?:[-*+]\s|\d{1,9}[.)]\s|#|>|```|~~~|!\[|\||<)")


def _wraps(line: str) -> bool:
    """Whether ``line``, after a bullet's first line, goes on with its text."""
    return bool(line.strip()) and _OPENS_BLOCK.match(line) is None


def _comments(number: int, line: str) -> Iterator[Comment]:
    """``<!-- … -->`` on one line, in linear time (a regex is quadratic on unclosed ones)."""
    start = line.find("<!--")
    while start >= 0:
        end = line.find("-->", start + 4)
        if end < 0:
            return
        yield Comment(number, start + 1, line[start + 4 : end].strip())
        start = line.find("<!--", end + 3)


def _scan_inline(
    lines: list[str], blocks: list[_Block]
) -> tuple[list[Link], list[Anchor], list[Comment], tuple[int, int] | None]:
    code_lines: set[int] = set()
    for block in blocks:
        if block.kind == "code":
            code_lines.update(range(block.start, block.end + 1))
    links: list[Link] = []
    anchors: list[Anchor] = []
    comments: list[Comment] = []
    toc_start: int | None = None
    toc: tuple[int, int] | None = None
    for number, line in enumerate(lines, 1):
        if number in code_lines or not line:
            continue
        masked = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line) if "`" in line else line
        if "<!--" in masked:
            comments.extend(_comments(number, masked))
            if toc is None and toc_start is None and _TOC_START.search(masked):
                toc_start = number
            elif toc is None and toc_start is not None and _TOC_END.search(masked):
                toc = (toc_start, number)
        if "[" in masked:
            for m in _LINK.finditer(masked):
                links.append(
                    Link(number, m.start() + 1, m.group(2), m.group(3), image=m.group(1) == "!")
                )
                if "![" in m.group(2):  # a linked image: [![alt](src)](target)
                    for inner in _LINK.finditer(masked, m.start(2), m.end(2)):
                        if inner.group(1):
                            links.append(
                                Link(
                                    number,
                                    inner.start() + 1,
                                    inner.group(2),
                                    inner.group(3),
                                    image=True,
                                )
                            )
        if "<a" in masked or "<A" in masked:
            for m in _ANCHOR.finditer(masked):
                name = m.group(1) if m.group(1) is not None else m.group(2)
                anchors.append(Anchor(number, m.start() + 1, name))
    return links, anchors, comments, toc


def _detect(
    blocks: list[_Block],
    lines: list[str],
    template: Template,
    toc: object,
    anchors: Sequence[Anchor],
) -> DocFormat:
    """A brief has its title (``每日参会快报``, also a level down or in Traditional
    characters) or a template section heading (``### 主题``, also ``###主题`` or ``### 主題：``);
    failing those, ``## 【kind】title`` headings, unless bullets sit under them: notes with
    days or topics in brackets (``## 【Day 1】3月18日``). Notes have a TOC, anchors or such
    bullets."""
    from gtcbrief.text import to_simplified

    entry_heads = bulleted = False
    under_entry = False  # the last heading is an entry heading
    for block in blocks:
        if block.kind == "heading":
            if block.level <= 2 and template.document_title in to_simplified(block.text):
                return "brief"
            if block.level == 3 and template.field_of(block.text) is not None:
                return "brief"
            under_entry = block.level == 2 and _ENTRY_HEADING.match(block.text) is not None
            entry_heads = entry_heads or under_entry
        elif block.kind == "list" and under_entry:
            bulleted = True
    if not entry_heads and _unspaced_brief(lines, blocks, template):
        return "brief"
    if entry_heads and not bulleted:
        return "brief"
    if bulleted or toc is not None or anchors:
        return "notes"
    return "markdown"


def _unspaced_brief(lines: list[str], blocks: list[_Block], template: Template) -> bool:
    """Whether a paragraph line is an entry or section heading without the space after its
    ``#`` marks (``##【Keynote】…``, ``###主题``), or the brief's title so (``#每日参会快报``)."""
    from gtcbrief.text import to_simplified

    text_lines = (
        line
        for block in blocks
        if block.kind == "paragraph"
        for line in lines[block.start - 1 : block.end]
    )
    for line in text_lines:
        if not line.startswith("#"):
            continue
        if not line.startswith("##"):  # a title; ``# …`` (spaced) was a heading already
            if template.document_title in to_simplified(line):
                return True
        elif _unspaced_heading(line, template) is not None:
            return True
    return False


def _unmarked_toc(blocks: list[_Block], lines: list[str]) -> tuple[int, int] | None:
    """The first list of two or more items, each a line that opens with a link into the
    document: a table of contents without markers (VS Code's Markdown All in One,
    hand-made ones)."""
    for block in blocks:
        if block.kind != "list":
            continue
        written = [line for line in lines[block.start - 1 : block.end] if line.strip()]
        if len(written) >= 2 and all(_TOC_ITEM.fullmatch(line) for line in written):
            return (block.start, block.end)
    return None


def _front_matter(lines: list[str]) -> int:
    """The last line of YAML (``---`` … ``---``) or TOML (``+++`` … ``+++``) front matter
    opening the file, whose first line is a key and every line YAML's or TOML's; 0
    without."""
    if not lines or lines[0].rstrip() not in ("---", "+++"):
        return 0
    fence = lines[0].rstrip()
    for n in range(1, min(len(lines), _FRONT_MATTER_LINES)):
        line = lines[n].rstrip()
        if line == fence or (fence == "---" and line == "..."):
            body = [x for x in lines[1:n] if x.strip()]
            if body and _FRONT_KEY.match(body[0]) and all(map(_FRONT_LINE.match, body)):
                return n + 1
            return 0  # a separator and Markdown: '---', 'Date: …', '# 每日参会快报', …
    return 0


#: Front matter longer than this is not looked for (its closing fence, that is).
_FRONT_MATTER_LINES = 500


def _document_sections(blocks: list[_Block], lines: list[str]) -> list[Section]:
    """Every heading with its own text (up to the next heading) and its span
    (up to the next heading of the same or a higher level). Linear time."""
    from bisect import bisect_left

    heads = [i for i, b in enumerate(blocks) if b.kind == "heading"]
    stops: dict[int, int] = {}
    open_heads: list[int] = []
    for i in heads:
        level = blocks[i].level
        while open_heads and blocks[open_heads[-1]].level >= level:
            stops[open_heads.pop()] = blocks[i].start
        open_heads.append(i)
    solid = [b for b in blocks if b.kind != "break"]
    solid_starts = [b.start for b in solid]
    sections: list[Section] = []
    for n, i in enumerate(heads):
        head = blocks[i]
        own_end = heads[n + 1] if n + 1 < len(heads) else len(blocks)
        own = [b for b in blocks[i + 1 : own_end] if b.kind != "break"]
        text, first, _ = _text_of(lines, own)
        stop = stops.get(i, len(lines) + 1)
        last = solid[bisect_left(solid_starts, stop) - 1]
        sections.append(
            Section(head.text, head.level, head.start, max(head.end, last.end), text, first)
        )
    return sections


#: List items indented this far are nested past any real notes (a parser keeps each
#: level's lines again for the next: 2,000 levels took 2 GB for a 4 MB file).
_DEEP_LEVELS = 100
_DEEP = " " * (2 * _DEEP_LEVELS)
#: The same depth indented by tabs, or as block quotes (``> > > …``, ``>>>…``).
_DEEP_TABS = "\t" * (_DEEP_LEVELS // 2)
_DEEP_QUOTES = (">" * _DEEP_LEVELS, "> " * _DEEP_LEVELS)
_LIST_ITEM_START = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _deep_list(lines: list[str]) -> int:
    """The first line nested past :data:`_DEEP_LEVELS`: a list item indented that far
    (spaces or tabs), or that many block quotes; or 0."""
    for number, line in enumerate(lines, 1):
        rest = line.lstrip(" \t>")
        lead = line[: len(line) - len(rest)]
        if len(lead) < _DEEP_LEVELS // 2:
            continue
        if lead.count(">") > _DEEP_LEVELS:
            return number
        if len(lead.expandtabs(4)) >= 2 * _DEEP_LEVELS and _LIST_ITEM_START.match(rest):
            return number
    return 0


def _maybe_deep(text: str) -> bool:
    """Whether ``text`` has a run that nesting that deep needs (a cheap first look)."""
    return _DEEP in text or _DEEP_TABS in text or any(q in text for q in _DEEP_QUOTES)


def load_text(
    text: str,
    path: str = "<text>",
    *,
    config: Config = DEFAULT,
) -> Document:
    """Load one document from text. Never raises; problems are recorded."""
    lines = split_lines(text)
    front = _front_matter(lines) if lines and lines[0][:1] in "-+" else 0
    if front:  # metadata, not Markdown: read as blank lines (numbers stay)
        lines = [""] * front + lines[front:]
    problems: list[Problem] = []
    try:
        if _maybe_deep(text) and (deep := _deep_list(lines)):
            raise _TooDeep(deep)
        blocks = _mistletoe_blocks(lines)
    except _TooDeep as deep:
        problems.append(
            Problem(
                deep.line,
                1,
                f"a list or quote nested over {_DEEP_LEVELS} levels deep; the file is read line "
                "by line",
            )
        )
        blocks = _fallback_blocks(lines)
    except RecursionError:
        problems.append(Problem(1, 1, "Markdown nested too deeply to parse; read line by line"))
        blocks = _fallback_blocks(lines)
    except ImportError:
        raise
    except Exception as exc:  # mistletoe bug on odd input: degrade, never crash
        problems.append(
            Problem(1, 1, f"Markdown parser failed ({type(exc).__name__}); read line by line")
        )
        blocks = _fallback_blocks(lines)
    links, anchors, comments, toc = _scan_inline(lines, blocks)
    template = config.template
    fmt: DocFormat
    if config.doc_format in ("brief", "notes", "markdown"):
        fmt = config.doc_format  # type: ignore[assignment]
    else:
        fmt = _detect(blocks, lines, template, toc, anchors)
    if toc is None and fmt == "notes":  # (not what makes notes: a README has such a list)
        toc = _unmarked_toc(blocks, lines)
    # Headings as CommonMark sees them (a setext trap included), before the
    # brief reading below turns a swallowed separator back into one.
    headings = [Heading(b.level, b.start, b.text, b.setext) for b in blocks if b.kind == "heading"]
    if fmt == "brief":
        blocks = _demote_setext_separators(blocks)
        blocks = _promote_unspaced_headings(blocks, lines, template)
        if any(b.unspaced for b in blocks):
            headings += [Heading(b.level, b.start, b.text) for b in blocks if b.unspaced]
            headings.sort(key=lambda h: h.line)
    title_block = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
    if fmt == "brief" and title_block is None:
        # ``## 每日参会快报``: the title one level down, not an entry (GB101 says so)
        first = next((b for b in blocks if b.kind == "heading"), None)
        if first and first.level == 2 and first.text.startswith(template.document_title):
            title_block = _Block("heading", first.start, first.end, level=1, text=first.text)
            blocks = [title_block if b is first else b for b in blocks]
    if fmt == "brief":
        entries = _brief_entries(path, blocks, lines, template, problems)
    elif fmt == "notes":
        entries = _notes_entries(path, blocks, lines, toc)
    else:
        entries = []
    return Document(
        path=path,
        format=fmt,
        title=title_block.text if title_block else None,
        title_line=title_block.start if title_block else None,
        entries=tuple(entries),
        sections=tuple(_document_sections(blocks, lines)),
        headings=tuple(headings),
        links=tuple(links),
        anchors=tuple(anchors),
        comments=tuple(comments),
        thematic_breaks=tuple(b.start for b in blocks if b.kind == "break"),
        toc=toc,
        front_matter=(1, front) if front else None,
        problems=tuple(problems),
        line_count=len(lines),
        source=text,
    )


def load_source(source: Source, *, config: Config = DEFAULT) -> Document:
    return load_text(source.text, source.path, config=config)


def load_path(path: str, *, config: Config = DEFAULT, encoding: str | None = None) -> Document:
    """Read, decode and load one file. Raises :class:`GtcbriefError` on I/O or decoding."""
    from gtcbrief.sources import read_source

    return load_source(read_source(path, encoding=encoding), config=config)


#: Below this many files a process pool costs more than it saves.
POOL_MIN_FILES = 16
#: Documents a worker may have in hand per worker process while the parent waits.
_WINDOW = 4


#: Work a command wants done on each document where a worker process loads it (see
#: :func:`also_in_workers`), and what it gave, by path: (the document's text, bytes).
_also: Callable[[Document], bytes | None] | None = None
_also_here_work: Callable[[Document], Any] | None = None
_also_done: dict[str, tuple[str, Any]] = {}


def also_in_workers(
    work: Callable[[Document], bytes | None] | None,
    here: Callable[[Document], Any] | None = None,
) -> None:
    """Have loader worker processes run ``work`` on each document they load, while it is
    in hand (``None`` stops it and forgets the results). Its bytes come back beside the
    document and :func:`worker_result` hands them out. The workers are forked, so
    ``work`` need not pickle; where there is no fork it simply never runs and callers
    compute in the main process what :func:`worker_result` does not have.

    On the documents this process loads itself beside its workers it runs ``here``
    (whose result need not be encoded: it is handed out as it is), else ``work``."""
    global _also, _also_here_work
    _also = work
    _also_here_work = here if work is not None else None
    _also_done.clear()


def worker_result(doc: Document) -> Any:
    """What the ``work`` of :func:`also_in_workers` gave for ``doc`` (its path and text),
    or its ``here`` where this process loaded it; once; ``None`` if neither ran on it."""
    done = _also_done.pop(doc.path, None)
    if done is None or (done[0] is not doc.source and done[0] != doc.source):
        return None
    return done[1]


def _load_job(job: tuple[str, str, Config]) -> tuple[bytes, bytes | None]:
    """Worker: load one decoded text; the document comes back in the cache's encoding
    (a fraction of the cost of pickling the dataclasses), with what :data:`_also` gave.
    A worker that raises sends no answer: the parent loads that text itself."""
    from gtcbrief.cache import dumps

    text, path, config = job
    doc = load_text(text, path, config=config)
    return dumps(doc), _also_of(_also, doc)


def _also_of(work: Callable[[Document], Any] | None, doc: Document) -> Any:
    """What ``work`` gives for ``doc``; ``None`` if there is no work or it raised (the
    caller then computes it itself, and meets the error)."""
    if work is None:
        return None
    try:
        return work(doc)
    except Exception:
        return None


#: Work a command wants done on each document this process loads while worker
#: processes load others (see :func:`while_loading_here`).
_here: Callable[[Document], None] | None = None


def while_loading_here(work: Callable[[Document], None] | None) -> None:
    """Have this process run ``work`` on each document it loads itself while worker
    processes load the others (``None`` stops it): work that would otherwise wait
    for loading to end then shares the cores with it. Documents from the cache, or
    loaded with no workers, are not given to it."""
    global _here
    _here = work


def _also_here(doc: Document) -> None:
    """For a document this process loaded beside its workers: what a worker does with
    :data:`_also`, and :data:`_here`."""
    also = _also_of(_also if _also_here_work is None else _also_here_work, doc)
    if also is not None:
        _also_done[doc.path] = (doc.source, also)
    if _here is not None:
        _here(doc)


class _Raised:
    """Loading a document raised (a bug): raised again in its turn."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def _jobs(requested: int | None, files: int) -> int:
    if requested is None:
        env = os.environ.get("GTCBRIEF_JOBS", "")
        requested = int(env) if env.isdigit() else 0
    if requested == 0:  # auto
        requested = (os.cpu_count() or 1) if files >= POOL_MIN_FILES else 1
    return max(1, min(requested, files))


def fork_workers() -> int:
    """Processes a fork-based parallel step may use: ``GTCBRIEF_JOBS`` (1 = none), else
    one per core; always 1 where there is no fork."""
    if os.name != "posix":
        return 1
    return _jobs(None, sys.maxsize)


def iter_documents(
    paths: Iterable[str],
    *,
    config: Config = DEFAULT,
    encoding: str | None = None,
    stdin_name: str = "-",
    on_error: Any = None,
    jobs: int | None = None,
    cache: Any = None,
) -> Iterator[Document]:
    """Load every file of PATHS, in order, streaming.

    With ``on_error`` (a callable taking the error) a file that cannot be
    read is reported and skipped; without it the error propagates.

    ``cache``: a :class:`gtcbrief.cache.DocumentCache`, ``False`` for none, or
    ``None`` for the default one (off with ``GTCBRIEF_NO_CACHE``). A file whose
    text was loaded before comes from the cache.

    ``jobs`` (default ``GTCBRIEF_JOBS``, else 0): 0 = one process per core once
    there are ``POOL_MIN_FILES`` files, N = N processes, 1 = this one alone: this
    process and N − 1 forked workers (:class:`gtcbrief.workers.Workers`), started
    with the first miss. Files are read and looked up in the cache here; a miss
    goes to a worker, or is loaded here while the workers have ``_WINDOW`` each in
    hand. Where there is no fork, or other threads run, everything loads here.
    Results keep the order of the paths.
    """
    import marshal

    from gtcbrief.cache import DocumentCache, dumps, enabled_by_default, loads
    from gtcbrief.errors import GtcbriefError
    from gtcbrief.forked import can_fork
    from gtcbrief.sources import iter_paths, read_source
    from gtcbrief.workers import Workers

    files = list(iter_paths(list(paths)))
    store: DocumentCache | None
    if cache is None:
        store = DocumentCache(config) if enabled_by_default() else None
    else:
        store = cache or None
    workers = 1 if "-" in files or not can_fork() else _jobs(jobs, len(files))

    def fail(exc: GtcbriefError) -> None:
        if on_error is None:
            raise exc
        on_error(exc)

    pool: Workers | None = None
    # In order: a Document, an error, or a worker's ticket with what its answer needs.
    pending: deque[Any] = deque()
    waiting = 0

    def work(job: bytes) -> bytes:
        """In a worker: load a text sent as (text, path)."""
        text, path = marshal.loads(job)
        return marshal.dumps(_load_job((text, path, config)))

    def settle(item: Any) -> Document | GtcbriefError:
        nonlocal waiting
        if isinstance(item, _Raised):
            raise item.error
        if not isinstance(item, tuple):
            return item  # type: ignore[no-any-return]
        ticket, key, path, text = item
        waiting -= 1
        assert pool is not None
        answer = pool.result(ticket)  # a worker that died raises WorkerDied
        if isinstance(answer, bytes):
            blob, also = marshal.loads(answer)
        else:  # the worker's load raised: load here, and meet the error with its traceback
            doc = load_text(text, path, config=config)
            blob, also = dumps(doc), None
        if store is not None:
            store.put(key, blob)
        if also is not None:
            _also_done[path] = (text, also)
        return loads(blob, path, text)

    try:
        for path in files:
            try:
                source = read_source(path, encoding=encoding, stdin_name=stdin_name)
            except GtcbriefError as exc:
                pending.append(exc)
            else:
                key, doc = "", None
                if store is not None:
                    key = store.key(source.text)
                    doc = store.get_document(key, source.path, source.text)
                if doc is None and pool is None and workers > 1:
                    try:
                        pool = Workers(workers - 1, work)
                    except OSError:  # no process to spare (EAGAIN, ENOMEM): all load here
                        workers = 1
                if doc is None and pool is not None:
                    pool.poll()
                if doc is not None:
                    pending.append(doc)
                elif workers == 1 or (pool is not None and pool.in_hand >= _WINDOW * (workers - 1)):
                    # this process is one of the workers: it loads while theirs are busy,
                    # and so decodes fewer of their answers
                    try:
                        doc = load_source(source, config=config)
                    except Exception as exc:
                        if not pending:
                            raise
                        pending.append(_Raised(exc))  # after the documents before it
                        continue
                    if store is not None:
                        store.put_document(key, doc)
                    if workers > 1:
                        _also_here(doc)
                    pending.append(doc)
                else:
                    assert pool is not None  # started with the first miss, above
                    ticket = pool.submit(marshal.dumps((source.text, source.path)))
                    pending.append((ticket, key, source.path, source.text))
                    waiting += 1
            while pending and (
                not isinstance(pending[0], tuple)
                or waiting > workers * _WINDOW
                or (pool is not None and pool.done(pending[0][0]))
            ):
                item = settle(pending.popleft())
                if isinstance(item, GtcbriefError):
                    fail(item)
                else:
                    yield item
        while pending:
            item = settle(pending.popleft())
            if isinstance(item, GtcbriefError):
                fail(item)
            else:
                yield item
    finally:
        if pool is not None:
            pool.close(kill=bool(pending))
    if store is not None:
        store.prune()
