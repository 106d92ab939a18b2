"""`gtcbrief parse` through Typer's runner, and as a real process in a pipeline."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gtcbrief import __version__
from gtcbrief.cli import app

ROOT = Path(__file__).resolve().parents[1]
BRIEF = "samples/gtc-daily-brief.md"
CONTRACT = {
    "path",
    "line",
    "kind",
    "title",
    "track",
    "speakers",
    "description",
    "implications",
    "authors",
}

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=stdin)


def test_jsonl_gives_one_contract_record_per_entry() -> None:
    result = invoke("parse", BRIEF, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 19
    assert all(CONTRACT <= set(r) for r in records)
    assert records[0]["path"] == BRIEF and records[0]["line"] == 3
    assert records[14]["speakers"][1]["organisation"] == "AIdong Super AI (Beijing) Co., Ltd."


def test_parse_stats_and_grep_agree_on_an_entry_s_track_and_description(tmp_path: Path) -> None:
    """grep's ``track`` was the whole 主题 line (parse's ``topic``); a placeholder
    description (待补充) was text to parse and none to stats, with no way to tell."""
    text = Path(BRIEF).read_text("utf-8")
    # the second entry's description is a placeholder; its text moves to a section of its own
    text = text.replace("### 实事描述\n由于机器人", "### 实事描述\n待补充\n\n### 笔记\n由于机器人")
    brief = tmp_path / "b.md"
    brief.write_text(text, "utf-8")
    parsed = invoke("parse", str(brief), "--format", "jsonl").stdout
    records = [json.loads(line) for line in parsed.splitlines()]
    stats = json.loads(invoke("stats", str(brief), "--format", "json").stdout)
    assert sum(not r["described"] for r in records) == stats["coverage"]["no_description"] == 9
    assert [r["description"] for r in records if r["description"] == "待补充"] == ["待补充"]
    hits = invoke("grep", "机器人", str(brief), "--format", "jsonl", "--no-cache").stdout
    by_line = {r["line"]: r for r in records}
    for hit in map(json.loads, hits.splitlines()):
        entry = by_line[hit["line"]]
        assert (hit["track"], hit["subtopic"], hit["topic"]) == (
            entry["track"], entry["subtopic"], entry["topic"],
        )  # fmt: skip


def test_json_is_one_array_and_defaults_off_a_terminal() -> None:
    result = invoke("parse", "samples/gtc-notes.md")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 28
    assert data[0]["line"] == 14


def test_documents_mode_describes_whole_files() -> None:
    result = invoke("parse", "samples/gtc-notes.md", "--documents", "--format", "json")
    (doc,) = json.loads(result.stdout)
    assert doc["format"] == "notes" and doc["toc"] == [3, 10]
    assert {"line": 94, "column": 13, "name": ""} in doc["anchors"]


def test_csv_flattens_speakers_and_authors() -> None:
    result = invoke("parse", BRIEF, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 19
    assert rows[0]["authors"] == "赵伟 59843547; 张峰 56221517"
    assert rows[0]["speakers"].startswith("Jerry Wang（Sales & Marketing Director")


def test_csv_of_notes_keeps_the_section_each_talk_sits_in() -> None:
    result = invoke("parse", "samples/gtc-notes.md", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["parent"] == "中国AI创投"
    # last, after --score's columns, which keep their places
    header = invoke("parse", BRIEF, "--score", "-f", "csv").stdout.splitlines()[0]
    assert header.endswith(",mismatch_score,mismatch_suggestion,parent")


def test_table_shows_entries_with_locations() -> None:
    result = invoke("parse", BRIEF, "--format", "table")
    assert result.exit_code == 0
    assert "gtc-daily-brief.md:3" in result.stdout
    assert "19 entries in 1 document" in result.stderr


@pytest.mark.parametrize("columns", ["40", "50"])
def test_a_terminal_too_narrow_for_the_table_gets_every_record_whole(
    monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """rich would squeeze the ratio columns to no width and drop their Chinese text;
    each entry comes as its location and its fields, wrapped, instead."""
    monkeypatch.setenv("COLUMNS", columns)
    result = invoke("parse", BRIEF, "--format", "table")
    flat = "".join(result.stdout.split())  # wrapped lines joined again
    records = [
        json.loads(line) for line in invoke("parse", BRIEF, "-f", "jsonl").stdout.splitlines()
    ]
    for record in records:
        assert f"{BRIEF}:{record['line']}" in flat
        assert "".join(record["title"].split()) in flat
        assert all(a["name"] in flat for a in record["authors"])
    from rich.cells import cell_len

    assert max(cell_len(line) for line in result.stdout.splitlines()) <= int(columns)


def test_stdin_with_a_reported_name() -> None:
    text = (ROOT / BRIEF).read_text(encoding="utf-8")
    result = invoke("parse", "-", "--stdin-filename", "mine.md", "--format", "jsonl", stdin=text)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 19 and records[0]["path"] == "mine.md"


def test_directories_are_walked() -> None:
    result = invoke("parse", "samples", "--format", "jsonl")
    paths = {json.loads(line)["path"] for line in result.stdout.splitlines()}
    assert {"samples/gtc-daily-brief.md", "samples/gtc-notes.md"} <= paths


def test_missing_file_is_one_line_and_exit_2_but_others_are_kept() -> None:
    result = invoke("parse", "nope.md", BRIEF, "--format", "jsonl")
    assert result.exit_code == 2
    assert result.stderr == "gtcbrief: nope.md: no such file\n"
    assert len(result.stdout.splitlines()) == 19


def test_bad_format_is_a_usage_error() -> None:
    result = invoke("parse", BRIEF, "--format", "xml")
    assert result.exit_code == 2
    assert "--format must be one of" in result.stderr


def test_undecodable_file_names_file_and_offset(tmp_path: Path) -> None:
    bad = tmp_path / "gbk.md"
    bad.write_bytes("# 每日参会快报\n".encode("gb18030"))
    result = invoke("parse", str(bad))
    assert result.exit_code == 2
    # 每 is C3 BF in GB18030, which happens to be valid UTF-8: the first bad byte is at 4
    assert f"{bad}: not valid UTF-8 (byte offset 4); it looks GB18030" in result.stderr
    ok = invoke("parse", str(bad), "--encoding", "gb18030", "--documents", "--format", "json")
    assert json.loads(ok.stdout)[0]["title"] == "每日参会快报"


def test_markup_and_escapes_in_documents_are_shown_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    hostile = Path("h.md")
    hostile.write_text(
        "## 【Keynote】[bold red]boom[/] \x1b[2J\x1b]0;pwned\x07\n", encoding="utf-8"
    )
    table = invoke("parse", str(hostile), "--format", "table")
    assert "[bold red]boom[/]" in table.stdout
    assert "\x1b" not in table.stdout and "\\x1b[2J" in table.stdout
    data = json.loads(invoke("parse", str(hostile), "--format", "json").stdout)
    assert data[0]["title"].startswith("[bold red]boom[/]")


def test_version_and_help() -> None:
    assert invoke("--version").stdout == f"gtcbrief {__version__}\n"
    help_text = invoke("parse", "--help").stdout
    assert "Examples" in help_text and "--format" in help_text


def test_python_dash_m_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gtcbrief", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout == f"gtcbrief {__version__}\n"


def test_output_works_with_real_jq() -> None:
    jq = shutil.which("jq")
    if jq is None:
        if os.environ.get("CI"):
            pytest.fail("jq is required in CI (make test installs it)")
        pytest.skip("jq not installed")
    parse = subprocess.run(
        [sys.executable, "-m", "gtcbrief", "parse", BRIEF, "--format", "jsonl"],
        capture_output=True,
        check=True,
    )
    out = subprocess.run(
        [jq, "-r", "select(.description == null) | .line"],
        input=parse.stdout,
        capture_output=True,
        check=True,
    )
    assert out.stdout.decode().split() == ["201", "213", "223", "233", "243", "253", "263", "273"]


def test_closed_pipe_is_quiet() -> None:
    proc = subprocess.run(
        f"'{sys.executable}' -m gtcbrief parse samples --format jsonl | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0
    assert proc.stderr == ""
    assert json.loads(proc.stdout)["line"] == 3


def test_score_adds_description_mismatch_to_each_brief_entry() -> None:
    result = invoke("parse", BRIEF, "--score", "--format", "jsonl")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    described = [r for r in records if r["description"]]
    assert len(described) == 11
    assert all(0 <= r["mismatch"]["score"] <= 1 for r in described)
    assert all(r["mismatch"] is None for r in records if not r["description"])
    assert records[0]["mismatch"]["score"] < 0.35  # a robotics talk described by an LLM paper
    by_line = {r["line"]: r for r in records}
    assert (
        by_line[57]["mismatch"]["suggestion"] == "Deploying RAG Pipelines for Production at Scale"
    )
    assert "mismatch" not in json.loads(invoke("parse", BRIEF, "--format", "json").stdout)[0]


def test_score_in_csv_adds_the_score_and_suggestion_columns() -> None:
    import csv

    scored = list(
        csv.DictReader(io.StringIO(invoke("parse", BRIEF, "--score", "-f", "csv").stdout))
    )
    records = [
        json.loads(line)
        for line in invoke("parse", BRIEF, "--score", "-f", "jsonl").stdout.splitlines()
    ]
    for row, record in zip(scored, records, strict=True):
        mismatch = record["mismatch"] or {"score": "", "suggestion": ""}
        assert row["mismatch_score"] == str(mismatch["score"])
        assert row["mismatch_suggestion"] == (mismatch["suggestion"] or "")
    plain = invoke("parse", BRIEF, "-f", "csv").stdout.splitlines()[0]
    assert "mismatch" not in plain


def test_an_unreadable_file_gets_its_message_and_no_empty_table() -> None:
    result = invoke("parse", "no-such-file.md", "--format", "table")
    assert result.exit_code == 2
    assert result.stdout == ""  # no header over nothing
    assert "0 entries in 0 documents; 1 unreadable" in result.stderr


def test_one_entry_in_one_document_is_said_so() -> None:
    from gtcbrief.render import plural

    assert [plural(n, "entry", "entries") for n in (0, 1, 2)] == [
        "0 entries",
        "1 entry",
        "2 entries",
    ]
    assert plural(1, "document") == "1 document" and plural(3, "cluster") == "3 clusters"
