"""Markdown rules that matter most in free-form notes: links, anchors, images, headings."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from gtcbrief.rules import DocContext, Hit

_PLACEHOLDER = re.compile(
    r"(?:image|img|picture|pic|photo|screenshot|screen ?shot|untitled|alt|"
    r"图片|图像|截图|截屏|插图|图)[\s_.-]*\d*(?:\.(?:png|jpe?g|gif|webp))?",
    re.IGNORECASE,
)


#: What a heading renders to text from: ``![alt](src)`` shows no text, ``[text](url)`` its
#: text, ``<tag>`` nothing.
_INLINE_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_INLINE_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_INLINE_TAG = re.compile(r"</?[A-Za-z][^<>\n]*>")
#: Links that go to the top of the page: ``[回到顶部](#)``, ``[Top](#top)``.
_TO_TOP = re.compile(r"(?<![a-z])top(?![a-z])|顶部|顶端|⬆|↑", re.IGNORECASE)
_CODE_SPAN = re.compile(r"(`+[^`]*`+)")
#: Emphasis by underscores, which renders as its text: ``_强调_``, ``__粗体__``.
_UNDERSCORED = re.compile(r"(?<!\w)(_{1,2})(?=\S)(.+?)(?<=\S)\1(?!\w)")


def slug(text: str) -> str:
    """GitHub's heading anchor (github-slugger): the heading's rendered text in lower
    case, without what is not a letter, mark, digit, letter number, ``_``, ``-`` or a
    space; spaces become hyphens. ``⑴背景`` is ``背景`` (circled numbers are symbols there)."""
    import html

    if "[" in text or "<" in text:
        text = _INLINE_LINK.sub(r"\1", _INLINE_IMAGE.sub("", text))
        text = _INLINE_TAG.sub("", text)
    if "_" in text:  # (not inside a code span: `__init__` is shown as it is)
        text = "".join(
            part if part.startswith("`") else _UNDERSCORED.sub(r"\2", part)
            for part in _CODE_SPAN.split(text)
        )
    if "&" in text:
        text = html.unescape(text)
    out = []
    for ch in text.strip().lower():
        if ch in " -":
            out.append("-")
        elif unicodedata.category(ch) in _SLUG_KEEPS or unicodedata.category(ch)[0] in "LM":
            out.append(ch)
    return "".join(out)


_SLUG_KEEPS = frozenset(("Nd", "Nl", "Pc"))


def _targets(d: DocContext) -> set[str]:
    names = {a.name for a in d.doc.anchors if a.name}
    # github-slugger: a name taken gets '-1', '-2', … until one is free ('小结-1', '小结',
    # '小结' are 小结-1, 小结, 小结-2)
    taken: dict[str, int] = {}
    for heading in d.doc.headings:
        name = first = slug(heading.text)
        while name in taken:
            taken[first] += 1
            name = f"{first}-{taken[first]}"
        taken[name] = 0
        names.add(name)
    return names


def broken_link(d: DocContext) -> Iterator[Hit]:
    links = [k for k in d.doc.links if not k.image and k.target.startswith("#")]
    if not links:
        return
    from urllib.parse import unquote  # (here: 2 ms that a brief without such links skips)

    targets = _targets(d)
    for link in links:
        fragment = link.target[1:]
        extras = {"context": d.context(link.line)}
        if not fragment.strip():
            if _TO_TOP.search(link.text) and not _in_toc(d, link.line):
                continue  # '#' alone is the top of the page
            yield Hit(
                link.line,
                link.column,
                f"link [{link.text}](#) points nowhere: its anchor is empty",
                extras=extras,
            )
        elif fragment.lower() == "top":
            continue  # the top of the page, where no element has that name (HTML)
        elif fragment not in targets and unquote(fragment) not in targets:
            yield Hit(
                link.line,
                link.column,
                f"link to '#{fragment}': no anchor or heading has that name",
                extras=extras,
            )


def _in_toc(d: DocContext, line: int) -> bool:
    return d.doc.toc is not None and d.doc.toc[0] <= line <= d.doc.toc[1]


def empty_anchor(d: DocContext) -> Iterator[Hit]:
    for anchor in d.doc.anchors:
        if not anchor.name.strip():
            yield Hit(
                anchor.line,
                anchor.column,
                "anchor has an empty name",
                extras={"context": d.context(anchor.line)},
            )


def duplicate_anchor(d: DocContext) -> Iterator[Hit]:
    first: dict[str, int] = {}
    for anchor in d.doc.anchors:
        name = anchor.name.strip()
        if not name:
            continue
        line = first.setdefault(name, anchor.line)
        if line != anchor.line:
            yield Hit(
                anchor.line,
                anchor.column,
                f"anchor '{name}' is also on line {line}: links to '#{name}' go there",
                extras={"context": d.context(anchor.line)},
            )


def image_alt(d: DocContext) -> Iterator[Hit]:
    for link in d.doc.links:
        if link.image and not link.text.strip():
            yield Hit(
                link.line,
                link.column,
                "image has no alt text: write ![what it shows](…)",
                extras={"context": d.context(link.line)},
            )


def placeholder_alt(d: DocContext) -> Iterator[Hit]:
    for link in d.doc.links:
        if link.image and _PLACEHOLDER.fullmatch(link.text.strip()):
            yield Hit(
                link.line,
                link.column,
                f"image alt text {link.text.strip()!r} is a placeholder: say what it shows",
                extras={"context": d.context(link.line)},
            )


def heading_increment(d: DocContext) -> Iterator[Hit]:
    previous: int | None = None
    for heading in d.doc.headings:
        if previous is not None and heading.level > previous + 1:
            yield Hit(
                heading.line,
                1,
                f"heading level {heading.level} follows level {previous}: "
                f"expected level {previous + 1} or less",
                extras={"context": d.context(heading.line)},
            )
        previous = heading.level
