"""The fast paths of a warm ``grep`` give exactly what the plain, slower paths give."""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gtcbrief.commands.grep_core import (
    MATCH_STYLE,
    Segment,
    _painter,
    _plain,
    _reach,
    _rich_text,
    _shown_over,
    _styled,
    _windows,
)
from gtcbrief.errors import GtcbriefError
from gtcbrief.index import Unit
from gtcbrief.search import (
    Hit,
    Term,
    _annotate,
    _char_kind,
    _gram_runs,
    _line_spans,
    compile_term,
    parse_query,
)
from gtcbrief.sources import iter_paths
from gtcbrief.text import _pattern, normalize
from gtcbrief.walk import stat_files as _stat_files

#: Characters that normalising widens, narrows, recases or converts, beside plain ones.
TRICKY = "注意力數据ＲＡＧrag Straße…① e\u0301ﬁİ\x1b\t-_.:Ⅻ㍿ ab12"
LINES = st.lists(st.text(alphabet=TRICKY, max_size=30), min_size=1, max_size=6)


def _reference_lines(unit: Unit, query: str) -> list[tuple[int, str, list[tuple[int, int]]]]:
    """Line spans the line-by-line way (no stored normalised text to scan)."""
    matchers = [compile_term(t) for c in parse_query(query).clauses for t in c]
    plain = Unit(unit.path, unit.line, unit.end_line, None, unit.title, None, "", "", "",
                 None, None, unit.text)  # fmt: skip
    hit = Hit(plain, 0.0)
    _annotate(hit, matchers, True)
    return [(m.line, m.text, m.spans) for m in hit.lines]


@settings(max_examples=400)
@given(LINES, st.sampled_from(["注意力", "数据", "rag", "strasse", "...", "e", "①", "ab", "注"]))
def test_one_scan_line_spans_equal_line_by_line_spans(lines: list[str], query: str) -> None:
    text = "\n".join(lines)
    unit = Unit("p", 3, 3 + len(lines), None, "t", None, "", "", "", None, None, text,
                norm=normalize(text))  # fmt: skip
    matchers = [compile_term(t) for c in parse_query(query).clauses for t in c]
    quick = _line_spans(matchers, unit)
    if quick is not None:
        assert [(m.line, m.text, m.spans) for m in quick] == _reference_lines(unit, query)
    hit = Hit(unit, 0.0)
    _annotate(hit, matchers, True)
    assert [(m.line, m.text, m.spans) for m in hit.lines] == _reference_lines(unit, query)


def _reference_reach(text: str, index: int, step: int, budget: int) -> int:
    used = 0
    while 0 < index if step < 0 else index < len(text):
        char = text[index - 1] if step < 0 else text[index]
        used += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used > budget:
            break
        index += step
    return index


@given(st.text(alphabet=TRICKY + "abcdefgh", max_size=80), st.data())
def test_reach_walks_as_far_as_cell_by_cell(text: str, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(text)))
    budget = data.draw(st.integers(0, 30))
    for step in (-1, 1):
        assert _reach(text, index, step, budget) == _reference_reach(text, index, step, budget)


@given(st.text(alphabet=TRICKY + "abcdefgh", min_size=1, max_size=200), st.data())
def test_plain_lines_are_the_styled_segments_joined(text: str, data: st.DataObject) -> None:
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=8))))
    spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
    width = data.draw(st.sampled_from([None, 40, 71, 120]))
    segments: list[Segment] = _styled(text, spans, width=width)
    assert _plain(text, spans, width) == "".join(s for s, _style in segments)


def test_gram_runs_and_kinds_agree_with_the_index_patterns() -> None:
    for code in range(0x30000):
        char = chr(code)
        assert (_char_kind(char) == 2) == bool(_pattern("_CJK_CHAR").match(char))
        assert (_char_kind(char) != 0) == bool(_pattern("_GRAM_RUNS").match(char))


@given(st.text(alphabet=TRICKY + "\u3400\u4dbf\u4e00\u9fff\uf900\ufaff𠀀z9", max_size=20))
def test_gram_runs_split_like_the_index(text: str) -> None:
    assert _gram_runs(text) == [m.group(0) for m in _pattern("_GRAM_RUNS").finditer(text)]


def _reference_files(paths: list[str]) -> list[tuple[str, str, int, int]]:
    out = []
    for display in iter_paths(paths):
        try:
            st_ = os.stat(display)
        except OSError:
            continue
        if stat.S_ISREG(st_.st_mode):
            out.append((display, os.path.abspath(display), st_.st_size, st_.st_ctime_ns))
    return out


def test_the_directory_walk_finds_what_iter_paths_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "r"
    (root / "b" / "deep").mkdir(parents=True)
    (root / "a.md").write_text("x")
    (root / "B.MD").write_text("xy")
    (root / "c.markdown").write_text("xyz")
    (root / "skip.txt").write_text("no")
    (root / "b" / "deep" / "z.md").write_text("deep")
    (root / "b.md").write_text("sorted between b/ and b.md?")
    (root / "dir.md").mkdir()
    (root / "link.md").symlink_to(root / "a.md")
    (root / "broken.md").symlink_to(root / "missing.md")
    (root / "dirlink").symlink_to(root / "b", target_is_directory=True)
    os.mkfifo(root / "fifo.md")
    for hidden in (".git/x.md", ".obsidian/.trash/y.md", "node_modules/p/z.md", "b/.h.md"):
        (root / hidden).parent.mkdir(parents=True, exist_ok=True)
        (root / hidden).write_text("passed over")
    monkeypatch.chdir(tmp_path)
    errors: list[GtcbriefError] = []
    for paths in (
        ["r"], ["r/", "./r"], ["r/b", "r", "r/a.md"], [str(root)], ["r/../r"], ["r/.obsidian"],
    ):  # fmt: skip
        found = [(f.display, f.key, f.size, f.stamp) for f in _stat_files(paths, errors.append)]
        assert found == _reference_files(paths)
    assert not errors


@settings(max_examples=300)
@given(
    st.text(alphabet="abc1+#.-", min_size=1, max_size=4),
    st.lists(st.text(alphabet="abc1 -_.注Ａ\n+#", max_size=25), max_size=20),
)
def test_latin_terms_match_where_a_leading_lookbehind_would(term: str, texts: list[str]) -> None:
    import re

    try:
        matcher = compile_term(Term(term))
    except GtcbriefError:
        return
    norm = matcher.norm
    body = r"\s+".join(re.escape(w) for w in norm.split(" "))
    # (the word characters are search's own: this holds the lookbehind's move, not them)
    from gtcbrief.search import _IN_WORD, _in_word

    head = rf"(?<!{_IN_WORD})" if _in_word(norm[0]) else ""
    tail = rf"(?!{_IN_WORD})" if _in_word(norm[-1]) else ""
    reference = re.compile(head + body + tail)
    for text in texts:
        expected = [m.span() for m in reference.finditer(text)]
        assert [m.span() for m in matcher.pattern.finditer(text)] == expected
        assert matcher.found(text) == bool(expected)


def test_short_texts_are_normalised_as_the_table_would() -> None:
    from gtcbrief.text import _fast_char, _fast_table

    table = _fast_table()
    for code in [*range(0xD800), *range(0xE000, 0x10000), *range(0x20000, 0x20100), 0x2F800]:
        char = chr(code)
        assert _fast_char(char) == char.translate(table)


@given(st.text(alphabet=TRICKY + "數據與體龜①㈱ＡＢＣ", max_size=64))
def test_normalize_without_the_table_equals_with_it(text: str) -> None:
    import gtcbrief.text as text_module

    saved = text_module._fast
    try:
        text_module._fast = None
        short = normalize(text)
    finally:
        text_module._fast = saved
    text_module._fast_table()
    assert normalize(text) == short


@pytest.mark.parametrize("columns", [None, "", "100", "abc", "-5", "0"])
def test_the_width_is_what_shutil_would_say(
    columns: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from gtcbrief.commands.grep_core import _columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert _columns() == shutil.get_terminal_size((80, 24)).columns


def test_the_cell_table_shortcut_for_cjk_ideographs_agrees_with_unicodedata() -> None:
    from gtcbrief.commands.grep_core import _Cells

    table = _Cells()
    for point in (*range(0x4E00, 0xA000), 0x3000, 0xFF01, 0x41, 0x3400, 0x0301, 0xAC00):
        expected = "\x02" if unicodedata.east_asian_width(chr(point)) in "WF" else "\x01"
        assert table[point] == expected, hex(point)


@given(st.text(alphabet="注意力機制模型，。、「」（）ａ“”a1 ", max_size=60), st.data())
def test_reach_in_chinese_prose_walks_as_far_as_cell_by_cell(
    text: str, data: st.DataObject
) -> None:
    # mostly runs of wide characters: the shortcut for them, and the way out of it
    index = data.draw(st.integers(0, len(text)))
    budget = data.draw(st.integers(0, 30))
    for step in (-1, 1):
        assert _reach(text, index, step, budget) == _reference_reach(text, index, step, budget)


def test_every_character_the_wide_shortcut_takes_is_wide() -> None:
    from gtcbrief.commands.grep_core import _wide_run

    taken = [chr(p) for p in range(0x3000, 0x10000) if _wide_run().fullmatch(chr(p))]
    assert len(taken) > 21_800
    assert all(unicodedata.east_asian_width(c) in "WF" for c in taken)


def _reference_windows(
    text: str, spans: list[tuple[int, int]], width: int
) -> tuple[list[tuple[int, int]], int]:
    """:func:`_windows` as first written: every edge walked by :func:`_reach`."""
    if _reference_reach(text, 0, 1, width) == len(text):
        return [(0, len(text))], 0
    if not spans:  # a context line: its first width cells
        return [(0, _reference_reach(text, 0, 1, width))], 0
    pieces: list[tuple[int, int]] = []
    hidden = 0
    for start, end in spans:
        if pieces and _shown_over(text, pieces, 2 * width):
            hidden += 1
            continue
        lo, hi = _reach(text, start, -1, 24), _reach(text, end, 1, 24)
        if pieces and lo <= pieces[-1][1]:
            lo = pieces.pop()[0]
        pieces.append((lo, hi))
    return pieces, hidden


PROSE = "注意力機制模型，。、「」（）ａＢ“”…aZ1 ①한㐀"


@settings(max_examples=400)
@given(st.text(alphabet=PROSE, min_size=1, max_size=400), st.data())
def test_windows_cut_where_reach_alone_would(text: str, data: st.DataObject) -> None:
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=12))))
    spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
    width = data.draw(st.sampled_from([40, 71, 120]))
    assert _windows(text, spans, width) == _reference_windows(text, spans, width)


_WIDE = "注意力机制" * 40


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        (_WIDE, [(0, 3)]),
        (_WIDE, [(len(_WIDE) - 3, len(_WIDE))]),
        (_WIDE, [(12, 15)]),
        (_WIDE, [(13, 16)]),
        (_WIDE, [(100, 103), (110, 113), (190, 193)]),
        ("ab" + _WIDE, [(14, 17)]),
        (_WIDE[:13] + "GPU" + _WIDE, [(16, 19)]),
        (_WIDE + "ＲＡＧ", [(len(_WIDE) - 3, len(_WIDE))]),
        ("，" * 30 + "注意力" + "x" * 100, [(30, 33)]),
        ("注意力" + "Ａ" * 100, [(0, 3)]),
        ("x" * 200 + "注意力" + "机" * 11, [(200, 203)]),
        ("x" * 200 + "注意力" + "机" * 12, [(200, 203)]),
        ("x" * 200 + "注意力" + "机" * 13, [(200, 203)]),
        ("机" * 12 + "注意力" + "x" * 200, [(12, 15)]),
        ("机" * 13 + "注意力" + "x" * 200, [(13, 16)]),
        ("机" * 36, [(0, 3)]),
        ("机" * 36, [(33, 36)]),
    ],
    ids=[
        "first-chars", "last-chars", "at-half", "past-half", "many-matches-some-hidden",
        "ascii-at-line-start", "latin-word-beside-match", "full-width-latin-at-end",
        "full-width-punctuation", "full-width-letters-after", "exactly-half-wide-after",
        "half-plus-one-wide-after", "half-plus-two-wide-after", "exactly-half-wide-before",
        "half-plus-one-wide-before", "line-just-over-width-start", "line-just-over-width-end",
    ],
)  # fmt: skip
def test_windows_at_the_edges_cut_where_reach_alone_would(
    text: str, spans: list[tuple[int, int]]
) -> None:
    for width in (40, 71):
        assert _windows(text, spans, width) == _reference_windows(text, spans, width)


@settings(max_examples=500)
@given(
    st.text(alphabet="注意力機制，。「ＡＢ" + "aZ1 -(" + "…①é\x1b", max_size=40), st.integers(0, 30)
)
def test_fitting_by_runs_counts_as_cell_by_cell(piece: str, budget: int) -> None:
    from gtcbrief.commands.grep_core import _fitting

    # by runs where the piece is ASCII and surely-wide runs, else character by character
    assert _fitting(piece, budget) == _reference_reach(piece, 0, 1, budget)


#: The styles grep's text gives its segments, and some it never does.
STYLES = [None, "magenta", "green", "dim", "bold cyan", "bold", "bold " + MATCH_STYLE, MATCH_STYLE]
STYLES += ["italic blue on white", "underline #ff8800", "reverse", "color(200)"]
SEGMENTS = st.lists(
    st.tuples(st.text(alphabet=TRICKY + "\t", max_size=12), st.sampled_from(STYLES))
)


@settings(max_examples=300)
@given(SEGMENTS, st.sampled_from(["standard", "256", "truecolor", "windows", None]), st.booleans())
def test_a_painted_line_is_what_rich_prints(
    segments: list[Segment], system: str | None, no_color: bool
) -> None:
    """On a colour terminal grep writes a line's segments itself, a block of lines at a
    time: exactly the characters rich's console prints for the line, in each colour
    system, with or without NO_COLOR (tabs, which rich expands to its tab stops,
    included)."""
    from rich.console import Console

    con = Console(
        force_terminal=True,
        color_system=system,
        no_color=no_color,
        markup=False,
        emoji=False,
        highlight=False,
    )
    with con.capture() as captured:
        con.print(_rich_text(segments), soft_wrap=True)
    painted = _painter(con)
    assert painted is not None
    assert painted(segments) + "\n" == captured.get()


def test_a_legacy_windows_console_is_left_to_rich() -> None:
    from rich.console import Console

    assert _painter(Console(legacy_windows=True, force_terminal=True)) is None
