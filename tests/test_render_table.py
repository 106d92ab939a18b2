"""A long table is drawn a block at a time, and reads as the one table rich would draw.

``parse`` and ``dedupe`` show a table on a terminal. rich lays a table out once it
has every row, so a large corpus showed nothing until all of it was measured and
drawn; these tests hold the blocks to rich's own table.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.measure import Measurement
from rich.text import Text

from gtcbrief import render
from gtcbrief.commands.dedupe import MEMBER_TABLE
from gtcbrief.commands.parse import DOC_TABLE, ENTRY_TABLE
from gtcbrief.render import write_table

Columns = Sequence[tuple[str, str] | tuple[str, str, int]]

TABLES = {"entries": ENTRY_TABLE, "members": MEMBER_TABLE, "documents": DOC_TABLE}


def drawn(
    records: list[dict[str, Any]], columns: Columns, *, head: int, block: int, env: dict[str, str]
) -> str:
    """What ``write_table`` prints, with ``head`` rows measured first and ``block`` after."""
    out = io.StringIO()
    with (
        mock.patch.dict(os.environ, env),
        mock.patch.object(sys, "stdout", out),
        mock.patch.object(render, "TABLE_HEAD_ROWS", head),
        mock.patch.object(render, "TABLE_BLOCK_ROWS", block),
    ):
        assert write_table(records, columns) == len(records)
    return out.getvalue()


def whole(records: list[dict[str, Any]], columns: Columns, env: dict[str, str]) -> str:
    """rich's table of every row at once."""
    return drawn(records, columns, head=len(records) + 1, block=1, env=env)


cell = st.text(
    alphabet=st.sampled_from("注意力机制模型 abcXYZ-/.:（），、0123456789\t\n\x1b"), max_size=40
)


def widest_first(records: list[dict[str, Any]], columns: Columns) -> list[dict[str, Any]]:
    """``records`` after a row holding each column's widest value: rich measures the
    columns without a ratio on the whole table, the blocks on the rows so far."""
    con = render.console()

    def width(value: str, first: bool) -> int:
        shown = (render.one_line if first else render.safe)(value)  # (as write_table shows it)
        return Measurement.get(con, con.options, Text(shown)).maximum

    top = {
        c[0]: max((r[c[0]] for r in records), key=lambda v, first=n == 0: width(v, first))
        for n, c in enumerate(columns)
    }
    return [top, *records]


@pytest.mark.parametrize("table", list(TABLES))
@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"COLUMNS": "120"}, id="plain-120"),
        pytest.param({"COLUMNS": "200", "FORCE_COLOR": "1", "NO_COLOR": ""}, id="colour-200"),
        pytest.param({"COLUMNS": "72"}, id="plain-72"),
        pytest.param({"COLUMNS": "30"}, id="too-narrow-for-the-ratios"),
    ],
)
@settings(max_examples=20)
@given(rows=st.lists(st.lists(cell, min_size=7, max_size=7), min_size=2, max_size=14))
def test_blocks_draw_the_table_rich_draws(
    table: str, env: dict[str, str], rows: list[list[str]]
) -> None:
    columns = TABLES[table]
    # seven cells a row, as many as the widest table has columns
    records = [dict(zip((c[0] for c in columns), r, strict=False)) for r in rows]
    records = widest_first(records, columns)
    assert drawn(records, columns, head=2, block=3, env=env) == whole(records, columns, env)


def located(lines: int, where: Iterator[str]) -> list[dict[str, Any]]:
    return [{"where": next(where), "title": f"第{i}场 注意力"} for i in range(lines)]


def test_a_wider_cell_later_widens_its_column_from_its_block_on() -> None:
    paths = iter(["a.md:1", "a.md:2", "a.md:3", "reports/2025/day-two.md:120", "a.md:5"])
    text = drawn(located(5, paths), ENTRY_TABLE, head=2, block=2, env={"COLUMNS": "130"})
    lines = text.splitlines()
    assert "reports/2025/day-two.md:120" in text  # whole: a location is never folded
    assert {cell_len(line) for line in lines} == {130}  # every line ends at the table's edge
    first_rows = [line for line in lines if "a.md:1" in line or "a.md:3" in line]
    later_rows = [line for line in lines if "a.md:5" in line]
    assert first_rows[0].index("│", 1) < later_rows[0].index("│", 1)  # moved right


def test_the_first_rows_are_written_before_the_rest_are_read() -> None:
    out = io.StringIO()

    def records() -> Iterator[dict[str, Any]]:
        for i in range(40):
            if i == 2 + 3 + 1:  # the first block, and the one after it, read
                assert "第0场" in out.getvalue()
            yield {"where": f"a.md:{i}", "title": f"第{i}场"}

    with (
        mock.patch.object(sys, "stdout", out),
        mock.patch.object(render, "TABLE_HEAD_ROWS", 2),
        mock.patch.object(render, "TABLE_BLOCK_ROWS", 3),
    ):
        assert write_table(records(), ENTRY_TABLE) == 40
    assert out.getvalue().count("第") == 40


def test_a_table_of_no_rows_is_nothing() -> None:
    """A header over no rows said nothing the summary does not (after 'no such file',
    it read as an empty result)."""
    assert drawn([], ENTRY_TABLE, head=2, block=3, env={}) == ""


def titled(count: int) -> list[dict[str, Any]]:
    return [{"where": f"a.md:{i:03}", "title": f"第{i}场 注意力"} for i in range(count)]


@pytest.mark.parametrize(("jobs", "here"), [("2", range(1, 21)), ("1", range(21, 22))])
def test_blocks_are_drawn_on_both_cores_and_written_in_order(
    monkeypatch: pytest.MonkeyPatch, jobs: str, here: range
) -> None:
    parent, drawn_here = os.getpid(), []
    real = render._Drawer.drawn

    def counted(self: render._Drawer, block: Any) -> str:
        if os.getpid() == parent:
            drawn_here.append(block)
        return real(self, block)

    monkeypatch.setattr(render._Drawer, "drawn", counted)
    records = titled(60)  # 21 blocks: 2 rows, then 3 a block
    env = {"GTCBRIEF_JOBS": jobs}
    assert drawn(records, ENTRY_TABLE, head=2, block=3, env=env) == whole(records, ENTRY_TABLE, env)
    assert len(drawn_here) in here  # with two cores, some were drawn in the other process


@pytest.mark.parametrize("how", ["raises", "dies"])
def test_a_drawing_process_that_fails_leaves_its_blocks_to_this_one(
    monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    parent = os.getpid()
    real = render._Drawer.drawn

    def failing(self: render._Drawer, block: Any) -> str:
        if os.getpid() != parent:
            if how == "dies":
                os._exit(1)
            raise RuntimeError("drawing failed")
        return real(self, block)

    monkeypatch.setattr(render._Drawer, "drawn", failing)
    records = titled(40)
    assert drawn(records, ENTRY_TABLE, head=2, block=3, env={}) == whole(records, ENTRY_TABLE, {})


def test_a_terminal_resized_while_the_table_is_drawn_keeps_its_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COLUMNS")  # rich asks the terminal for its size, each time
    size = [120]
    monkeypatch.setattr(os, "get_terminal_size", lambda *_: os.terminal_size((size[0], 40)))
    records = titled(40)
    expected = whole(records, ENTRY_TABLE, {})

    def resized() -> Iterator[dict[str, Any]]:
        for i, record in enumerate(records):
            if i == 6:
                size[0] = 70
            yield record

    out = io.StringIO()
    with (
        mock.patch.object(sys, "stdout", out),
        mock.patch.object(render, "TABLE_HEAD_ROWS", 2),
        mock.patch.object(render, "TABLE_BLOCK_ROWS", 3),
    ):
        assert write_table(resized(), ENTRY_TABLE) == 40
    assert out.getvalue() == expected


def first_cells(text: str) -> str:
    """The location column's cells, joined: a folded location read back whole."""
    return "".join(line.split("│")[1].strip() for line in text.splitlines() if "│" in line)


def test_a_location_too_wide_for_the_room_folds_and_squeezes_no_title_out() -> None:
    wide = "reports/2025/a-very-long-folder-name/day-two.md:120"
    paths = iter([*(f"a.md:{i}" for i in range(1, 9)), wide, "a.md:10"])
    text = drawn(located(10, paths), ENTRY_TABLE, head=2, block=3, env={"COLUMNS": "110"})
    # the blocks before it as they were drawn; from it on, the location folds
    assert all(f"第{i}场" in text for i in range(10))
    assert wide not in text and wide in first_cells(text) and "a.md:10" in text
    assert max(cell_len(line) for line in text.splitlines()) <= 110


@pytest.mark.parametrize("rows", [3, 30], ids=["one-block", "blocks"])
def test_every_column_keeps_room_for_a_chinese_character(rows: int) -> None:
    """A long location on an 80-column terminal once left the authors one cell, into
    which no Chinese character fits: rich dropped the names, and the table showed ','.
    (At 80 columns it is now a record at a time; at 100 the location still folds.)"""
    where = "reports/2025/gtc-shanghai/day-two/clean-brief.md"
    records = [
        {"where": f"{where}:{n}", "kind": "Talks & Panels", "title": "使用 Isaac Sim 加速仿真",
         "topic": "Robotics - Robotics Simulation", "speaker_names": "Wei Liu, Hao Chen",
         "desc": "330 chars", "author_names": "孙立, 何静"}
        for n in range(rows)
    ]  # fmt: skip
    text = drawn(records, ENTRY_TABLE, head=2, block=3, env={"COLUMNS": "100"})
    authors = "".join(line.split("│")[7].strip() for line in text.splitlines() if "│" in line)
    assert authors == "孙立,何静" * rows
    assert {cell_len(line) for line in text.splitlines()} == {100}


def test_a_line_feed_in_a_file_name_keeps_the_location_one_line() -> None:
    """A file named ``new⏎line.md`` split its row's location over two rows' worth."""
    records = [{"location": "new\nline.md:3", "kind": "Keynote", "title": "标题"}]
    columns = [("location", "Location"), ("kind", "Kind"), ("title", "Title", 1)]
    text = drawn(records, columns, head=2, block=3, env={"COLUMNS": "80"})
    assert "new\\x0aline.md:3" in text and "line.md" not in text.replace("\\x0aline.md", "")


BRIEF_ROW = {
    "where": "samples/gtc-daily-brief.md:3", "kind": "Talks & Panels",
    "title": "3D 物理真实数字资产加速推动机器人开发进程", "topic": "Robotics - Robotics Simulation",
    "speaker_names": "Jerry Wang, Neo Zhao", "desc": "427 chars", "author_names": "赵伟, 张峰",
}  # fmt: skip


@pytest.mark.parametrize("columns", ["100", "120", "160", "250"])
def test_a_table_gives_each_column_its_least_and_no_header_breaks(columns: str) -> None:
    """At 80 columns the table had Authors one character a line under 'Au/th/or/s'."""
    text = drawn([BRIEF_ROW] * 3, ENTRY_TABLE, head=2, block=3, env={"COLUMNS": columns})
    header = next(line for line in text.splitlines() if "Where" in line)
    assert [h.strip() for h in header.split("┃")[1:-1]] == [c[1] for c in ENTRY_TABLE]
    top = next(line for line in text.splitlines() if line.startswith("┏"))
    widths = [len(part) - 2 for part in top[1:-1].split("┳")]
    for (_, name, *ratio), width in zip(ENTRY_TABLE, widths, strict=True):
        if ratio:
            assert width >= max(render._LEAST * ratio[0], cell_len(name))
    assert {cell_len(line) for line in text.splitlines()} == {int(columns)}


@pytest.mark.parametrize(
    ("table", "records", "columns"),
    [
        pytest.param(ENTRY_TABLE, [BRIEF_ROW] * 3, "80", id="entries-at-80"),
        pytest.param(
            DOC_TABLE,
            [
                {
                    "path": "samples/gtc-daily-brief.md",
                    "format": "brief",
                    "title": "每日参会快报",
                    "entries": "19",
                }
            ]
            * 3,
            "40",
            id="documents-at-40",
        ),  # fmt: skip
    ],
)
def test_a_table_too_wide_for_the_terminal_is_a_record_at_a_time(
    table: Columns, records: list[dict[str, Any]], columns: str
) -> None:
    """--documents at 40 columns squeezed Format and Title to no width, unmarked."""
    text = drawn(records, table, head=2, block=3, env={"COLUMNS": columns})
    assert "┃" not in text and "│" not in text
    first = records[0]
    for key, name, *_ in table[1:]:
        assert f"{name}:" in text and first[key].split(",")[0] in text


def test_documents_wrap_their_title_before_they_become_records() -> None:
    """At 140 columns a long path left the title 49 cells: it was drawn a record at a time."""
    row = {
        "path": "corpus/meeting-minutes/2023-10-26-meeting-minutes.md",
        "format": "markdown",
        "title": "Paddle Framework Contributor Club 第二十九次会议纪要",
        "entries": "0",
    }
    text = drawn([row], DOC_TABLE, head=2, block=3, env={"COLUMNS": "100"})
    assert "┃ Path" in text and {cell_len(line) for line in text.splitlines()} == {100}
