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


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    out = []
    for ch in text.strip().lower():
        if ch in " -":
            out.append("-")
        elif ch == "_" or ch.isalnum() or unicodedata.category(ch).startswith("M"):
            out.append(ch)
    return "".join(out)


def _targets(d: DocContext) -> set[str]:
    names = {a.name for a in d.doc.anchors if a.name}
    seen: dict[str, int] = {}
    for heading in d.doc.headings:
        name = slug(heading.text)
        count = seen.get(name, 0)
        seen[name] = count + 1
        # GitHub names the second heading of a name '-1', the third '-2', …
        names.add(f"{name}-{count}" if count else name)
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
            yield Hit(
                link.line,
                link.column,
                f"link [{link.text}](#) points nowhere: its anchor is empty",
                extras=extras,
            )
        elif fragment not in targets and unquote(fragment) not in targets:
            yield Hit(
                link.line,
                link.column,
                f"link to '#{fragment}': no anchor or heading has that name",
                extras=extras,
            )


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
