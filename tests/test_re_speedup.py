"""Patterns compiled by ``_re_speedup.compile`` are the standard library's, made faster.

The copy of ``re._compiler._optimize_charset`` must give the same compiled code as
the original for every character class; it stands in only while ``compile`` runs;
and where the standard library's function is not the copied one, nothing changes.
"""

from __future__ import annotations

import platform
import re
import sys
from re import _compiler, _parser  # type: ignore[attr-defined]
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gtcbrief import _re_speedup

CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
PATTERNS = [
    pytest.param(CJK, id="cjk"),
    pytest.param(CJK + "+", id="cjk-run"),
    pytest.param(rf"(?<={CJK})([,;:!?])(?=\s?{CJK}|\s*$)", id="halfwidth-rule"),
    pytest.param(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", id="negated"),
    pytest.param("[\u3000-\u303e\u3041-\u3096\u4e00-\u9fff\uff01-\uff60]*", id="wide"),
    pytest.param(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", id="controls"),
    pytest.param(r"[a-z\U00010000-\U0010ffff]", id="beyond-the-bmp"),
    pytest.param(r"[^\U00010000-\U0010ffff]", id="negated-beyond-the-bmp"),
    pytest.param(r"[\u00f0-\u0110]", id="across-256"),
    pytest.param(r"[\uff00-\U00010010]", id="across-65536"),
    pytest.param(r"[\d\w\u4e00-\u9fff-]", id="categories"),
    pytest.param(r"[aeiou]", id="small"),
    pytest.param("[三上不世个中临主云交人仓代令仿优传低供保](?<=(?=([三上][不世])).)", id="heads"),
    pytest.param(r"(?:[ab]|[\u4e00-\u4e10])x[^\u0100-\u0200]", id="several-classes"),
]
FLAGS = [
    pytest.param(0, id="plain"),
    pytest.param(re.IGNORECASE, id="ignorecase"),
    pytest.param(re.ASCII, id="ascii"),
    pytest.param(re.IGNORECASE | re.ASCII, id="ascii-ignorecase"),
]


def code_of(pattern: str, flags: int, *, fast: bool) -> list[int]:
    """The compiled code of ``pattern``, by the copy or by the standard library."""
    if not fast:
        return list(_compiler._code(_parser.parse(pattern, flags), flags))
    original = _compiler._optimize_charset
    _compiler._optimize_charset = _re_speedup._optimize_charset
    try:
        return list(_compiler._code(_parser.parse(pattern, flags), flags))
    finally:
        _compiler._optimize_charset = original


def test_the_copy_is_used_on_the_python_it_was_copied_from() -> None:
    copied_from = platform.python_implementation() == "CPython" and sys.version_info[:2] == (3, 11)
    assert _re_speedup.usable() is copied_from


@pytest.mark.parametrize("flags", FLAGS)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_copy_compiles_what_the_standard_library_does(pattern: str, flags: int) -> None:
    assert code_of(pattern, flags, fast=True) == code_of(pattern, flags, fast=False)


def _class(items: list[tuple[int, int]], negated: bool) -> str:
    parts = [f"\\U{lo:08x}" + (f"-\\U{hi:08x}" if hi > lo else "") for lo, hi in items]
    return "[" + ("^" if negated else "") + "".join(parts) + "]"


#: Code points near the edges the map grows at (256, 65536) and in the CJK blocks.
_EDGES = st.sampled_from([0, 0x41, 0xFF, 0x100, 0x4E00, 0x9FFF, 0xFFFF, 0x10000, 0x10FFFF])
_POINT = st.one_of(
    _EDGES,
    st.integers(0, 0x2FF),
    st.integers(0x3000, 0xFFFF),
    st.integers(0, 0x10FFFF),
)


@st.composite
def _items(draw: Any) -> list[tuple[int, int]]:
    out = []
    for _ in range(draw(st.integers(1, 5))):
        lo = draw(_POINT)
        hi = min(0x10FFFF, lo + draw(st.one_of(st.just(0), st.integers(0, 300), _POINT)))
        out.append((lo, hi))
    return out


@settings(max_examples=150, deadline=None)
@given(_items(), st.booleans(), st.sampled_from([0, re.ASCII, re.IGNORECASE]))
def test_any_class_compiles_as_the_standard_library_compiles_it(
    items: list[tuple[int, int]], negated: bool, flags: int
) -> None:
    if flags & re.IGNORECASE:  # the copy leaves this path as it was: keep the examples quick
        items = [(lo, min(hi, lo + 2000)) for lo, hi in items]
    pattern = _class(items, negated) + "x?"
    assert code_of(pattern, flags, fast=True) == code_of(pattern, flags, fast=False)


@pytest.mark.parametrize("bits", [b"", b"\1" + b"\0" * 31, bytes(range(2)) * 128, b"\1" * 2048])
def test_the_bitmap_words_are_the_standard_librarys(bits: bytes) -> None:
    assert _re_speedup._mk_bitmap(bits) == _compiler._mk_bitmap(bits)


def test_compile_gives_a_working_pattern_and_leaves_the_compiler_as_it_was() -> None:
    original = _compiler._optimize_charset
    pattern = _re_speedup.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
    assert _compiler._optimize_charset is original
    assert pattern.sub("", "gtc 大会：day 1, 注意力!") == "gtc大会day1注意力"


def test_a_bad_pattern_raises_as_re_does_and_leaves_the_compiler_as_it_was() -> None:
    original = _compiler._optimize_charset
    with pytest.raises(re.error):
        _re_speedup.compile(r"[\u4e00-\u9fff")
    assert _compiler._optimize_charset is original


def test_another_standard_library_compiles_as_it_always_did(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[object] = []
    original = _compiler._optimize_charset

    def other(*args: Any) -> Any:  # a Python whose function is not the copied one
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(_compiler, "_optimize_charset", other)
    monkeypatch.setattr(_re_speedup, "_usable", None)
    assert not _re_speedup.usable()
    pattern = _re_speedup.compile(r"[\u4e00-\u9fffa]{2}")  # not in re's cache yet
    assert pattern.fullmatch("注a")
    assert calls  # compiled by the standard library's own (here: the stand-in) function
