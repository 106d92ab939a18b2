"""`gtcbrief grep --json`: ripgrep's JSON Lines events, for tools that read `rg --json`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gtcbrief.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "samples").glob("*.md"))

runner = CliRunner()

Line = tuple[str, int, int | None, str, tuple[tuple[str, int, int], ...], str]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def events(*args: str) -> list[dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["grep", *args, "--no-cache", "--json"])
    assert result.exit_code in (0, 1), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def lines_of(stream: list[dict]) -> set[Line]:  # type: ignore[type-arg]
    """The match and context events, as comparable tuples."""
    out: set[Line] = set()
    for event in stream:
        if event["type"] in ("match", "context"):
            d = event["data"]
            subs = tuple((s["match"]["text"], s["start"], s["end"]) for s in d["submatches"])
            out.add(
                (
                    d["path"]["text"],
                    d["line_number"],
                    d["absolute_offset"],
                    d["lines"]["text"],
                    subs,
                    event["type"],
                )
            )
    return out


def scanned(needle: str, paths: list[str]) -> set[Line]:
    """What ``rg --json needle`` reports for a literal, worked out here from the bytes."""
    out: set[Line] = set()
    raw = needle.encode()
    for path in paths:
        offset = 0
        for number, line in enumerate(Path(path).read_bytes().splitlines(keepends=True), 1):
            subs, at = [], line.find(raw)
            while at >= 0:
                subs.append((needle, at, at + len(raw)))
                at = line.find(raw, at + len(raw))
            if subs:
                out.add((path, number, offset, line.decode(), tuple(subs), "match"))
            offset += len(line)
    return out


@pytest.mark.parametrize("needle", ["注意力", "数据", "NVIDIA", "模型"])
def test_matches_are_the_lines_a_byte_scan_finds_with_byte_offsets(needle: str) -> None:
    assert SAMPLES, "the samples should hold Markdown files"
    assert lines_of(events(needle, *SAMPLES, "-s")) == scanned(needle, SAMPLES)


def test_each_file_is_begun_its_lines_in_order_ended_and_a_summary_closes() -> None:
    stream = events("模型", *SAMPLES, "-C", "1")
    assert stream[-1]["type"] == "summary"
    files, current, last_line = [], None, 0
    for event in stream[:-1]:
        kind, data = event["type"], event["data"]
        if kind == "begin":
            assert current is None
            current, last_line = data["path"]["text"], 0
            files.append(current)
        elif kind in ("match", "context"):
            assert data["path"]["text"] == current and data["line_number"] > last_line
            last_line = data["line_number"]
            assert (kind == "match") == bool(data["submatches"])
        else:
            assert kind == "end" and data["path"]["text"] == current
            current = None
    assert current is None and len(files) == len(set(files)) >= 2
    stats = stream[-1]["data"]["stats"]
    matches = [e for e in stream if e["type"] == "match"]
    assert stats["matched_lines"] == len(matches)
    assert stats["matches"] == sum(len(e["data"]["submatches"]) for e in matches)
    assert any(e["type"] == "context" for e in stream)


def test_the_summary_adds_up_the_files_reported_on_as_rg_does() -> None:
    stream = events("注意力", *SAMPLES)  # in two of the three samples
    files = [e["data"]["path"]["text"] for e in stream if e["type"] == "begin"]
    stats = stream[-1]["data"]["stats"]
    assert stats["searches_with_match"] == stats["searches"] == len(files) < len(SAMPLES)
    assert stats["bytes_searched"] == sum((ROOT / f).stat().st_size for f in files)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            "# t\r\n\r\nfoo 模型\r\n\r\nbar 模型".encode(),
            [(3, 7, "foo 模型\r\n"), (5, 21, "bar 模型")],
            id="crlf-and-no-end-at-the-end",
        ),
        pytest.param(
            "# t\r\rfoo 模型\r\rbar 模型\n".encode(),
            [(3, 5, "foo 模型\r"), (5, 17, "bar 模型\n")],
            id="a-carriage-return-alone-ends-a-line-as-in-the-loader",
        ),
        pytest.param(
            "# t\r\n\r\n上海 模型\r\n\r\n𝔸 模型\r\n".encode("utf-16"),  # BOM, then 2 bytes a unit
            [(3, 16, "上海 模型\r\n"), (5, 34, "𝔸 模型\r\n")],
            id="utf-16-counts-its-own-bytes",
        ),
    ],
)
def test_line_ends_and_offsets_are_the_file_s_own(
    tmp_path: Path, data: bytes, expected: list[tuple[int, int, str]]
) -> None:
    doc = tmp_path / "ends.md"
    doc.write_bytes(data)
    got = sorted((line[1], line[2], line[3]) for line in lines_of(events("模型", str(doc))))
    assert got == expected


def test_an_entry_matched_across_a_line_break_reports_the_lines_of_the_match(
    tmp_path: Path,
) -> None:
    """(It was one event on the entry's heading, without submatches.)"""
    doc = tmp_path / "p.md"
    doc.write_text(
        "# 每日参会快报\n\n## 【Talks & Panels】推理\n\n### 实事描述\n讲了 kv\ncache。\n"
    )
    matches = [e["data"] for e in events('"kv cache"', str(doc)) if e["type"] == "match"]
    assert [(m["line_number"], [s["match"]["text"] for s in m["submatches"]]) for m in matches] == [
        (6, ["kv"]),
        (7, ["cache"]),
    ]


def test_a_path_that_is_not_valid_utf8_comes_as_its_bytes(tmp_path: Path) -> None:
    import base64
    import os

    name = os.fsencode(tmp_path) + b"/odd\xff.md"
    Path(os.fsdecode(name)).write_text("# t\n\n大模型\n", "utf-8")
    (begin, *_rest) = events("模型", str(tmp_path))
    assert begin["data"]["path"] == {"bytes": base64.b64encode(name).decode()}


def test_touching_matches_are_submatches_of_their_own(tmp_path: Path) -> None:
    doc = tmp_path / "t.md"
    doc.write_text("# t\n\n他的的确确说了\n\n机器机器\n", "utf-8")
    subs = {line[1]: [s[1:] for s in line[4]] for line in lines_of(events("的", str(doc), "-s"))}
    assert subs == {3: [(3, 6), (6, 9)]}
    (word,) = lines_of(events("-w", "机器", str(doc)))
    assert [s[0] for s in word[4]] == ["机器", "机器"]


def test_standard_input_has_its_own_offsets_and_line_ends() -> None:
    data = "# t\r\n\r\n## 【Talks & Panels】大模型\r\n\r\n讲模型。\r\n".encode()
    result = runner.invoke(app, ["grep", "模型", "-", "--json"], input=data)
    stream = [json.loads(x) for x in result.stdout.splitlines()]
    found = {(e["data"]["line_number"], e["data"]["absolute_offset"], e["data"]["lines"]["text"])
             for e in stream if e["type"] == "match"}  # fmt: skip
    starts = [0, *(i + 1 for i, b in enumerate(data) if b == ord("\n"))]
    lines = data.decode().splitlines(keepends=True)
    assert found == {(n, starts[n - 1], lines[n - 1]) for n in (3, 5)}
    assert stream[-1]["data"]["stats"]["bytes_searched"] == len(data)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--format", "jsonl"], id="another-format"),
        pytest.param(["-l"], id="files"),
        pytest.param(["-c"], id="counts"),
    ],
)
def test_json_with_another_output_is_a_usage_error(args: list[str]) -> None:
    result = runner.invoke(app, ["grep", "模型", *SAMPLES, "--no-cache", "--json", *args])
    assert result.exit_code == 2 and "--json" in result.stderr and not result.stdout


@pytest.mark.skipif(shutil.which("rg") is None, reason="ripgrep is not installed")
@pytest.mark.parametrize("query", ["注意力", "数据", "Transformer", "RAG"])
def test_the_same_events_as_ripgrep(query: str) -> None:
    """Where the two match alike (a Chinese literal; a Latin word that occurs only
    whole), the events are the same. (Context differs: here it stays in its entry.)"""
    rg = subprocess.run(
        ["rg", "--json", "--no-ignore", query, *SAMPLES], capture_output=True, text=True
    )
    expected = lines_of([json.loads(line) for line in rg.stdout.splitlines()])
    assert expected and lines_of(events(query, "-s", *SAMPLES)) == expected
