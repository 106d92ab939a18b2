"""Small helpers the rule families share (no heavy imports here)."""

from __future__ import annotations

import re
import unicodedata

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")


def code_lines(lines: list[str]) -> set[int]:
    """1-based numbers of lines inside fenced code blocks (fences included)."""
    inside: set[int] = set()
    fence: str | None = None
    for number, line in enumerate(lines, 1):
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
                inside.add(number)
        else:
            inside.add(number)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                if not line.strip().lstrip(fence[0]):
                    fence = None
    return inside


def is_list_item(line: str) -> bool:
    return bool(_LIST_ITEM.match(line))


def is_atx_heading(line: str) -> bool:
    return bool(_ATX.match(line))


def squash(text: str) -> str:
    """Text for comparing names: NFKC, case-folded, ``and`` as ``&``, whitespace removed
    (``Talks and Panels`` is ``Talks & Panels``)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", "", re.sub(r"\band\b", "&", folded))


def similarity(a: str, b: str) -> float:
    """0–1: how alike two short names are (rapidfuzz, imported only when called).

    One name inside the other (``描述`` in ``实事描述``) counts as 0.9.
    """
    x, y = squash(a), squash(b)
    if not x or not y:
        return 0.0
    if x == y:
        return 1.0
    if x in y or y in x:
        return 0.9
    from rapidfuzz import fuzz

    return float(fuzz.ratio(x, y)) / 100.0


def closest(text: str, choices: list[str] | tuple[str, ...], cutoff: float = 0.6) -> str | None:
    """The choice most like ``text``, if it is at least ``cutoff`` alike."""
    best: tuple[float, str] | None = None
    for choice in choices:
        score = similarity(text, choice)
        if score >= cutoff and (best is None or score > best[0]):
            best = (score, choice)
    return best[1] if best else None


def column_of(line: str, needle: str, start: int = 0) -> int:
    """1-based column of ``needle`` in ``line`` (1 when it is not there)."""
    index = line.find(needle, start) if needle else -1
    return index + 1 if index >= 0 else 1
