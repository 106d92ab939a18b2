"""`gtcbrief grep`: recall equal to a substring scan, whole Latin words, filters, output, exits."""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gtcbrief.cli import app
from gtcbrief.config import Config
from gtcbrief.errors import GtcbriefError
from gtcbrief.index import Index, Unit, open_index
from gtcbrief.search import Hit, Options, parse_query, ranking, search
from gtcbrief.text import normalize

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CORPUS = ROOT.parent / "shared" / "corpus"
BRIEF = "samples/gtc-daily-brief.md"
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def grep(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["grep", *args], input=stdin)


@lru_cache(maxsize=1)
def _corpus() -> tuple[Index, tuple[Unit, ...]]:
    """One in-memory index over the samples and (when present) the shared corpus."""
    paths = [str(SAMPLES)] + ([str(CORPUS)] if CORPUS.is_dir() else [])
    index = open_index(paths, config=Config(), in_memory=True)
    return index, tuple(index.all_units())


def _found(query: str) -> set[tuple[str, int]]:
    index, _units = _corpus()
    return {(h.unit.path, h.unit.line) for h in search(index, query, Options(spans=False))}


# ------------------------------------------------------------------ recall properties


@settings(max_examples=300)
@given(st.data())
def test_chinese_queries_find_everything_a_substring_scan_finds(data: st.DataObject) -> None:
    _index, units = _corpus()
    unit = data.draw(st.sampled_from([u for u in units if CJK_RUN.search(u.text)]))
    run = data.draw(st.sampled_from(CJK_RUN.findall(unit.text)))
    start = data.draw(st.integers(0, len(run) - 1))
    query = run[start : start + data.draw(st.integers(1, 4))]
    scan = {(u.path, u.line) for u in units if query in u.text}
    assert all(u.norm == normalize(u.text) for u in units[:20])
    normalised_scan = {(u.path, u.line) for u in units if normalize(query) in (u.norm or "")}
    found = _found(query)
    assert scan <= found  # recall: nothing a plain scan finds is missed
    assert found == normalised_scan  # precision: every hit really contains the text


@settings(max_examples=150)
@given(st.data())
def test_latin_queries_match_whole_words_only(data: st.DataObject) -> None:
    _index, units = _corpus()
    unit = data.draw(st.sampled_from([u for u in units if LATIN_WORD.search(u.text)]))
    word = data.draw(st.sampled_from(LATIN_WORD.findall(unit.text)))
    needle = normalize(word)
    expected = {(u.path, u.line) for u in units if _occurs_whole(u.norm or "", needle)}
    assert _found(word) == expected


def _in_word(char: str) -> bool:
    """What a Latin word is made of: a letter or digit that is not East Asian (wide, as
    Chinese, kana and hangul are), so a Latin term beside those stands alone."""
    import unicodedata

    return char.isalnum() and unicodedata.east_asian_width(char) not in "WFH"


def _occurs_whole(text: str, needle: str) -> bool:
    """``needle`` in ``text`` with no word character beside an end that is one."""
    at = text.find(needle)
    while at >= 0:
        before = text[at - 1] if at else " "
        after = text[at + len(needle) : at + len(needle) + 1] or " "
        if not (_in_word(needle[0]) and _in_word(before)) and not (
            _in_word(needle[-1]) and _in_word(after)
        ):
            return True
        at = text.find(needle, at + 1)
    return False


@pytest.mark.parametrize(
    ("query", "found"),
    [
        pytest.param("ller", False, id="inside-Müller"),
        pytest.param("caf", False, id="inside-Café"),
        pytest.param("thé", False, id="inside-théoriquement"),
        pytest.param("müller", True, id="Müller"),
        pytest.param("rag", True, id="underscore-separates"),
        pytest.param("nccl", True, id="beside-chinese"),
        pytest.param("gpu", True, id="beside-kana"),
        pytest.param("nvidia", True, id="beside-hangul"),
        pytest.param("ソニー", True, id="kana-in-running-text"),
        pytest.param("발표", True, id="hangul-in-running-text"),
    ],
)
def test_a_latin_word_is_whole_in_any_script(tmp_path: Path, query: str, found: bool) -> None:
    doc = tmp_path / "w.md"
    doc.write_text(
        "## t\nWei Müller 说 Café 好。rag_pipeline 与 théoriquement，用NCCL通信\n"
        "GPUを使う。ソニーのカメラ。NVIDIA의 발표를 들었다.\n"
    )
    assert bool(grep(query, str(doc), "--no-cache", "-c").stdout) is found


@pytest.mark.usefixtures("shared")  # (the corpus holds the entry about storage)
def test_rag_does_not_match_storage() -> None:
    _index, units = _corpus()
    storage_only = [
        u
        for u in units
        if "storage" in u.text.lower() and not re.search(r"(?<![a-z])rag(?![a-z])", u.text.lower())
    ]
    assert storage_only, "the corpus should have an entry that says storage but not RAG"
    found = _found("RAG")
    assert found and not any((u.path, u.line) in found for u in storage_only)


def test_chinese_matches_inside_longer_words() -> None:
    found = _found("机器人")
    assert (BRIEF.replace("samples/", str(SAMPLES) + "/"), 213) in found  # …NVIDIA 机器人解决方案…
    assert len(found) >= len(_found("人形机器人"))


def test_traditional_and_simplified_find_the_same_entries() -> None:
    assert _found("數據") == _found("数据") != set()
    assert _found("機器人") == _found("机器人")


# ------------------------------------------------------------------ query language


@pytest.mark.parametrize(
    ("text", "clauses", "excludes"),
    [
        pytest.param("机器人 rag", [["机器人"], ["rag"]], [], id="and"),
        pytest.param('"kv cache" 推理', [["kv cache"], ["推理"]], [], id="phrase"),
        pytest.param("a OR b c", [["a", "b"], ["c"]], [], id="or-binds-neighbours"),
        pytest.param("机器人 -仿真", [["机器人"]], ["仿真"], id="exclude"),
        pytest.param("title:rag -org:nvidia", [["title:rag"]], ["org:nvidia"], id="fields"),
        pytest.param("http://x.y", [["http://x.y"]], [], id="unknown-field-is-text"),
        pytest.param('desc:"a b"', [["desc:a b"]], [], id="field-phrase"),
    ],
)
def test_parse_query(text: str, clauses: list[list[str]], excludes: list[str]) -> None:
    query = parse_query(text)

    def show(t: object) -> str:
        return f"{t.field}:{t.text}" if t.field else t.text  # type: ignore[attr-defined]

    assert [[show(t) for t in c] for c in query.clauses] == clauses
    assert [show(t) for t in query.excludes] == excludes


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('"open', id="unbalanced-quote"),
        pytest.param("OR rag", id="leading-or"),
        pytest.param("rag OR", id="trailing-or"),
        pytest.param("-rag", id="only-exclusions"),
        pytest.param("   ", id="empty"),
        pytest.param("title:", id="empty-field"),
    ],
)
def test_bad_queries_are_usage_errors(text: str) -> None:
    with pytest.raises(GtcbriefError):
        parse_query(text)


def test_and_or_and_exclude_combine() -> None:
    both = _found("机器人 仿真")
    assert both == _found("机器人") & _found("仿真")
    assert _found("机器人 OR 仿真") == _found("机器人") | _found("仿真")
    assert _found("机器人 -仿真") == _found("机器人") - _found("仿真")


def test_phrases_need_the_words_in_order() -> None:
    phrase = _found('"Isaac Sim"')
    assert phrase and phrase <= _found("isaac sim")
    assert not _found('"Sim Isaac"')


def test_a_phrase_across_a_line_break_reports_both_lines(tmp_path: Path) -> None:
    """The entry was found but its lines were not: no lines in JSON, none in the text, and
    a --json match event on the heading with no submatches."""
    doc = tmp_path / "kv.md"
    doc.write_text("## 小节\n我们讨论 KV\ncache 的设计\n", "utf-8")
    (record,) = map(
        json.loads, grep('"kv cache"', str(doc), "--no-cache", "-f", "jsonl").stdout.splitlines()
    )
    assert [(x["line"], x["spans"]) for x in record["lines"]] == [(2, [[5, 7]]), (3, [[0, 5]])]
    events = [
        json.loads(x)
        for x in grep('"kv cache"', str(doc), "--no-cache", "--json").stdout.splitlines()
    ]
    matches = [e["data"] for e in events if e["type"] == "match"]
    assert [(m["line_number"], [s["match"]["text"] for s in m["submatches"]]) for m in matches] == [
        (2, ["KV"]),
        (3, ["cache"]),
    ]


@pytest.mark.parametrize("case", ["-i", "-s"])
def test_a_phrase_across_lines_marks_its_words_not_indents_nor_blank_lines(
    tmp_path: Path, case: str
) -> None:
    doc = tmp_path / "kv.md"
    doc.write_text("## 小节\n我们讨论 KV\n  cache 的设计\n\n别的 KV\n\ncache 段落\n", "utf-8")
    out = grep('"KV cache"', str(doc), "--no-cache", "-f", "jsonl", case).stdout
    (record,) = map(json.loads, out.splitlines())
    assert [(x["line"], x["spans"]) for x in record["lines"]] == [
        (2, [[5, 7]]),
        (3, [[2, 7]]),  # 'cache', not its indent
        (5, [[3, 5]]),
        (7, [[0, 5]]),  # the blank line between is no match
    ]


def test_field_filters_look_only_at_their_field() -> None:
    result = grep("org:nvidia", BRIEF, "--no-cache", "--format", "jsonl")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 11  # hand count: entries with an NVIDIA speaker
    assert all("speakers" in r["fields"] for r in records)
    title = grep("title:rag", BRIEF, "--no-cache", "--format", "jsonl")
    titles = [json.loads(line)["title"] for line in title.stdout.splitlines()]
    assert titles == ["Deploying RAG Pipelines for Production at Scale"]
    author = grep("author:张峰", BRIEF, "--no-cache", "-c")
    assert author.stdout == f"{BRIEF}:3\n"  # 张峰 with three different ids


@pytest.mark.parametrize(
    ("query", "fields", "lines"),
    [
        pytest.param("title:机器人", {"title"}, [3], id="title-only-its-heading"),
        pytest.param("desc:机器人", {"description"}, [12], id="desc-not-the-implications"),
        pytest.param("org:nvidia", {"speakers"}, [9], id="org-on-the-speakers-line"),
        pytest.param("track:robotics", {"track"}, [6], id="track"),
        pytest.param("author:孙立", {"authors"}, [17], id="author"),
        pytest.param(
            "title:机器人 合成数据", {"title", "description", "implications"}, [3, 12, 15],
            id="a-free-term-is-marked-everywhere",
        ),
    ],
)  # fmt: skip
def test_a_field_filter_s_term_is_marked_only_in_its_field(
    query: str, fields: set[str], lines: list[int]
) -> None:
    """The entry matched because of one field: its other fields may hold the word too
    (机器人 is in this entry's description and implications), but are not why."""
    result = grep(query, "samples/clean-brief.md", "--no-cache", "--format", "jsonl")
    (record,) = [r for r in map(json.loads, result.stdout.splitlines()) if r["line"] == 3]
    assert set(record["fields"]) == fields
    assert [line["line"] for line in record["lines"]] == lines
    if query == "title:机器人 合成数据":  # 机器人 is marked in the title only
        marked = {line["line"]: line["text"] for line in record["lines"]}
        spans = {line["line"]: line["spans"] for line in record["lines"]}
        assert [marked[15][a:b] for a, b in spans[15]] == ["合成数据", "合成数据"]
    text = grep(query, "samples/clean-brief.md", "--no-cache")
    entry = text.stdout.split("\n\n")[0]  # the best entry first: the title matched
    assert entry.startswith("samples/clean-brief.md:3: ")
    shown = [int(m) for m in re.findall(r"^ +(\d+): ", entry, re.M)]
    assert shown == [n for n in lines if n != 3]  # the heading is the entry's own line


# ------------------------------------------------------------------ the command


def test_jsonl_record_contract_and_spans() -> None:
    result = grep("RAG", BRIEF, "--no-cache", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records
    for record in records:
        assert {"path", "line", "title", "fields", "lines", "score"} <= set(record)
        assert record["path"] == BRIEF
        for fld in record["fields"].values():
            for start, end in fld["spans"]:
                assert fld["text"][start:end].lower() == "rag"
        for line in record["lines"]:
            for start, end in line["spans"]:
                assert line["text"][start:end].lower() == "rag"
    lines = Path(BRIEF).read_text("utf-8").splitlines()
    assert all(lines[r["line"] - 1].startswith("## ") for r in records)


def test_spans_point_at_traditional_and_full_width_source_text(tmp_path: Path) -> None:
    doc = tmp_path / "t.md"
    doc.write_text("# 每日参会快报\n\n## 【Talks & Panels】大數據與ＲＡＧ…應用\n", "utf-8")
    result = grep("数据 rag", str(doc), "--no-cache", "--format", "json")
    (record,) = json.loads(result.stdout)
    title = record["fields"]["title"]
    assert [title["text"][a:b] for a, b in title["spans"]] == ["數據", "ＲＡＧ"]


def test_results_are_ranked_title_hits_first(tmp_path: Path) -> None:
    doc = tmp_path / "r.md"
    doc.write_text(
        "# 每日参会快报\n\n## 【Talks & Panels】仓储物流\n\n### 实事描述\n介绍了机器人。\n\n"
        "---\n\n## 【Talks & Panels】机器人抓取\n\n### 实事描述\n抓取。\n",
        "utf-8",
    )
    result = grep("机器人", str(doc), "--no-cache", "--format", "jsonl")
    assert [json.loads(x)["title"] for x in result.stdout.splitlines()] == [
        "机器人抓取",
        "仓储物流",
    ]
    by_path = grep("机器人", str(doc), "--no-cache", "--format", "jsonl", "--sort", "path")
    assert [json.loads(x)["line"] for x in by_path.stdout.splitlines()] == [3, 10]


def test_exit_codes_follow_grep() -> None:
    assert grep("机器人", BRIEF, "--no-cache").exit_code == 0
    assert grep("zzqqxx", BRIEF, "--no-cache").exit_code == 1
    bad = grep('"open', BRIEF, "--no-cache")
    assert bad.exit_code == 2 and "quote" in bad.stderr
    missing = grep("机器人", "no/such/file.md", "--no-cache")
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    assert grep("x", BRIEF, "--format", "xml").exit_code == 2


def test_files_counts_and_limit() -> None:
    listed = grep("机器人", "samples/", "--no-cache", "-l")
    assert (
        listed.stdout.splitlines()
        == [
            "samples/clean-brief.md",
            "samples/gtc-daily-brief.md",
            "samples/gtc-notes.md",
        ][: len(listed.stdout.splitlines())]
    )
    counts = grep("机器人", BRIEF, "--no-cache", "-c")
    n = int(counts.stdout.strip().rsplit(":", 1)[1])
    assert n == len(grep("机器人", BRIEF, "--no-cache", "-f", "jsonl").stdout.splitlines())
    limited = grep("机器人", BRIEF, "--no-cache", "-f", "jsonl", "--limit", "2")
    assert len(limited.stdout.splitlines()) == 2


@pytest.mark.parametrize("flag", ["-l", "-c"])
@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_files_and_counts_follow_the_format(flag: str, fmt: str) -> None:
    """``-l``/``-c`` with ``--format json``/``jsonl`` print JSON, not text lines."""
    result = grep("机器人", "samples/", "--no-cache", flag, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    records = (
        json.loads(result.stdout)
        if fmt == "json"
        else [json.loads(line) for line in result.stdout.splitlines()]
    )
    text = grep("机器人", "samples/", "--no-cache", flag).stdout.splitlines()
    if flag == "-l":
        assert records == [{"path": p} for p in text]
    else:
        assert records == [
            {"path": p, "count": int(n)} for p, n in (line.rsplit(":", 1) for line in text)
        ]


def test_json_records_carry_the_context_lines_asked_for() -> None:
    plain = json.loads(
        grep("Isaac Lab", "samples/clean-brief.md", "--no-cache", "-f", "json").stdout
    )
    around = json.loads(
        grep("Isaac Lab", "samples/clean-brief.md", "--no-cache", "-f", "json", "-C", "1").stdout
    )
    assert "context" not in plain[0]
    # the heading is shown above an entry: its own match brings no context
    matched = {m["line"] for m in around[0]["lines"]} - {around[0]["line"]}
    lines = (ROOT / "samples/clean-brief.md").read_text(encoding="utf-8").split("\n")
    expected = sorted({n for m in matched for n in (m - 1, m + 1)} - matched - {around[0]["line"]})
    assert [c["line"] for c in around[0]["context"]] == expected
    assert all(c["text"] == lines[c["line"] - 1] for c in around[0]["context"])


@pytest.mark.parametrize(
    ("options", "shown"),
    [
        pytest.param(["-C", "1"], [11, 12, 13], id="C-both-sides"),
        pytest.param(["-A", "1"], [12, 13], id="A-after"),
        pytest.param(["-B", "1"], [11, 12], id="B-before"),
        pytest.param(["-C", "2", "-A", "0"], [10, 11, 12], id="A-overrides-C"),
        pytest.param(["-B", "2", "-A", "1"], [10, 11, 12, 13], id="B-and-A"),
    ],
)
@pytest.mark.parametrize("fmt", ["text", "jsonl"])
def test_context_before_and_after_as_ripgrep_takes_them(
    options: list[str], shown: list[int], fmt: str
) -> None:
    """``-B``/``-A`` choose each side; ``-C`` sets both unless one is given (line 12 of
    the sample is the only body line that matches)."""
    result = grep("Isaac Lab", "samples/clean-brief.md", "--no-cache", "-f", fmt, *options)
    assert result.exit_code == 0, result.stderr
    if fmt == "text":
        numbers = [int(m) for m in re.findall(r"^ +(\d+)[:-] ", result.stdout, re.M)]
    else:
        record = json.loads(result.stdout.splitlines()[0])
        body = {m["line"] for m in record["lines"]} - {record["line"]}
        numbers = sorted(body | {c["line"] for c in record["context"]})
    assert numbers == shown


def test_listed_paths_reach_a_pipe_as_they_are(tmp_path: Path) -> None:
    """Off a terminal, ``-l`` prints a file's real name (for xargs), escapes and all."""
    name = tmp_path / "\x1b[31mevil.md"
    name.write_text("# 每日参会快报\n\n## 【Keynote】机器人\n", encoding="utf-8")
    result = grep("机器人", str(tmp_path), "--no-cache", "-l")
    assert result.stdout == f"{name}\n"


def test_text_output_highlights_and_shows_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    result = grep("Isaac Lab", "samples/clean-brief.md", "--no-cache", "-C", "1")
    assert result.exit_code == 0
    assert "\x1b[1;31mIsaac\x1b[0m" in result.stdout
    plain = grep("GREATS", BRIEF, "--no-cache", "-C", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "    11- ### 实事描述" in plain.stdout.replace("\x1b[2m", "").replace("\x1b[0m", "")


def test_document_text_is_never_markup_or_escapes(tmp_path: Path) -> None:
    doc = tmp_path / "m.md"
    doc.write_text(
        "# 每日参会快报\n\n## 【Talks & Panels】[bold]机器人[/bold] \x1b[31m红\n", "utf-8"
    )
    out = grep("机器人", str(doc), "--no-cache").stdout
    assert "[bold]" in out and "[/bold]" in out
    assert "\x1b[31m" not in out and "\\x1b" in out


@pytest.mark.parametrize(
    "options",
    [
        pytest.param([], id="plain"),
        pytest.param(["-C", "1"], id="context"),
        pytest.param(["--colour"], id="colour"),
    ],
)
def test_a_unit_shows_its_first_line_unless_that_is_the_heading_shown_above(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: list[str]
) -> None:
    """The heading of an entry or section is the title line; a unit that starts with
    text (before the first heading, or in a file without one) shows that text."""
    if options == ["--colour"]:
        options = []
        monkeypatch.delenv("NO_COLOR")
        monkeypatch.setenv("FORCE_COLOR", "1")
    (tmp_path / "a.md").write_text("注意力机制\n第二行 注意力\n", "utf-8")
    (tmp_path / "b.md").write_text("前言 注意力\n\n# 标题\n正文 注意力\n", "utf-8")
    (tmp_path / "d.md").write_text("前言\n第二行 注意力\n", "utf-8")
    (tmp_path / "c.md").write_text(
        "# 每日参会快报\n\n## 【Talks & Panels】注意力机制\n\n### 主题\n注意力\n", "utf-8"
    )
    out = grep("注意力", str(tmp_path), "--no-cache", *options).stdout
    shown = re.sub(r"\x1b\[[0-9;]*m", "", out).splitlines()
    assert "     1: 注意力机制" in shown and "     2: 第二行 注意力" in shown
    assert "     1: 前言 注意力" in shown and "     4: 正文 注意力" in shown
    assert any(line.endswith(":3: 【Talks & Panels】注意力机制") for line in shown)
    assert not any("3: ## " in line for line in shown)  # the heading only as the title
    assert "     6: 注意力" in shown
    if "-C" in options:  # context reaches a first line that is text, not one that is a heading
        assert "     1- 前言" in shown and "     5- ### 主题" in shown
        assert not any(line.startswith(("     3- # ", "     3- ## ")) for line in shown)


def test_long_lines_are_whole_in_a_pipe_whatever_the_colour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The coloured text took the width of the terminal stderr was on; the plain, 80."""
    plain = grep("GREATS", BRIEF, "--no-cache", "-m", "1").stdout
    full = grep("GREATS", BRIEF, "--no-cache", "-m", "1", "--full-lines").stdout
    assert "…" not in plain and plain == full
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = grep("GREATS", BRIEF, "--no-cache", "-m", "1").stdout
    assert "\x1b[" in coloured and _plain(coloured) == plain


def test_long_lines_are_cut_around_matches_by_terminal_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gtcbrief.commands import grep_core

    monkeypatch.setattr(grep_core, "_to_terminal", lambda: True)
    out = grep("GREATS", BRIEF, "--no-cache", "-m", "1").stdout
    line = next(x for x in out.splitlines() if x.strip().startswith("12:"))
    assert "…" in line
    from rich.cells import cell_len

    assert cell_len(line) < 2 * 120 + 40
    full = grep("GREATS", BRIEF, "--no-cache", "-m", "1", "--full-lines").stdout
    assert max(len(x) for x in full.splitlines()) > len(line)


@pytest.mark.parametrize("colour", ["", "1"])
def test_long_context_lines_are_cut_to_the_width_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, colour: str
) -> None:
    from rich.cells import cell_len

    from gtcbrief.commands import grep_core

    monkeypatch.setattr(grep_core, "_to_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("FORCE_COLOR", colour)
    doc = tmp_path / "t.md"
    long_latin, long_chinese = "a" * 3000 + " nvidia " + "b" * 3000, "讲" * 300
    doc.write_text(f"# t\n\n## 节\n\n{long_chinese}\n注意力\n{long_latin}\n", "utf-8")
    out = grep("注意力", str(doc), "--no-cache", "-C", "1").stdout
    shown = {int(m[1]): m[2] for m in re.finditer(r"^ +(\d+)[-:] (.*)$", _plain(out), re.M)}
    assert set(shown) == {5, 6, 7}
    assert shown[5].startswith("讲讲") and shown[7].startswith("aaa")
    assert all(cell_len(text) <= 80 for text in shown.values())
    full = grep("注意力", str(doc), "--no-cache", "-C", "1", "--full-lines").stdout
    assert long_latin in full and long_chinese in full


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_stdin_is_searched_in_memory() -> None:
    text = Path(BRIEF).read_text("utf-8")
    result = grep("GREATS", "-", "--stdin-filename", "in.md", "-f", "jsonl", stdin=text)
    assert result.exit_code == 0
    assert json.loads(result.stdout.splitlines()[0])["path"] == "in.md"


def test_second_run_reuses_the_index(tmp_path: Path) -> None:
    cache = str(tmp_path / "idx")
    first = grep("机器人", "samples/", "--cache-dir", cache, "-v", "-c")
    second = grep("机器人", "samples/", "--cache-dir", cache, "-v", "-c")
    assert re.search(r"(\d+) files, \1 indexed, 0 reused", first.stderr)
    assert re.search(r"(\d+) files, 0 indexed, \1 reused", second.stderr)
    assert first.stdout == second.stdout


def test_gtcbrief_no_cache_keeps_the_index_in_memory_unless_a_place_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTCBRIEF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "1")
    off = grep("机器人", "samples/", "-v", "-c")
    assert "index :memory:" in off.stderr and off.stdout
    assert not list(tmp_path.rglob("*.sqlite"))
    named = grep("机器人", "samples/", "-v", "-c", "--cache-dir", str(tmp_path / "idx"))
    assert named.stdout == off.stdout and list((tmp_path / "idx").glob("*.sqlite"))
    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "0")
    assert "index :memory:" not in grep("机器人", "samples/", "-v", "-c").stderr


# ------------------------------------------------------------------ --regex


def test_regex_scans_raw_lines() -> None:
    result = grep("--regex", r"GPT-?4", BRIEF, "--no-cache", "-f", "jsonl")
    assert result.exit_code == 0
    for record in result.stdout.splitlines():
        for line in json.loads(record)["lines"]:
            assert all(re.fullmatch(r"(?i)GPT-?4", line["text"][a:b]) for a, b in line["spans"])


def test_regex_errors_and_catastrophic_backtracking_are_bounded(tmp_path: Path) -> None:
    bad = grep("--regex", "(", BRIEF, "--no-cache")
    assert bad.exit_code == 2 and "bad regular expression" in bad.stderr
    doc = tmp_path / "evil.md"
    doc.write_text("# t\n\n" + "a" * 40 + "!\n", "utf-8")
    slow = grep("--regex", "(a+)+$", str(doc), "--no-cache", "--regex-timeout", "0.3")
    assert slow.exit_code == 2
    assert "longer than 0.3 s" in slow.stderr


def test_the_regex_time_limit_is_for_each_entry_not_the_whole_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'--regex .' over c10k stopped after 5 s as 'catastrophic backtracking': the scan
    of ten thousand entries took longer, no entry did."""
    import signal

    armed: list[float] = []
    real = signal.setitimer
    monkeypatch.setattr(
        signal, "setitimer", lambda which, s, *a: armed.append(s) or real(which, s, *a)
    )
    for n in range(3):
        (tmp_path / f"{n}.md").write_text(f"# t{n}\n\n## 一\n\n甲\n\n## 二\n\n乙\n", "utf-8")
    result = grep("--regex", ".", str(tmp_path), "--no-cache", "-c", "--regex-timeout", "2")
    assert result.exit_code == 0
    assert armed.count(2.0) >= 6  # once for each of the six sections, at least


def test_a_regex_timeout_of_zero_sets_no_limit(tmp_path: Path) -> None:
    """``--regex-timeout 0`` waits as long as the scan takes, as its help says: a scan
    that takes longer than a short budget still ends with its matches."""
    doc = tmp_path / "slow.md"
    doc.write_text("# t\n\n" + "a" * 22 + "!\n", "utf-8")
    args = ["--regex", "(a+)+$|!", str(doc), "--no-cache", "-c"]
    assert grep(*args, "--regex-timeout", "0.001").exit_code == 2
    unbounded = grep(*args, "--regex-timeout", "0")
    assert unbounded.exit_code == 0 and unbounded.stdout == f"{doc}:1\n"
    assert "(0: no limit" in " ".join(grep("--help").stdout.split())


@pytest.mark.parametrize("limit", ["inf", "1e300", "1e10"])
def test_a_regex_timeout_too_long_for_a_timer_is_no_limit(tmp_path: Path, limit: str) -> None:
    result = grep("--regex", "注意", "samples/", "--no-cache", "-c", "--regex-timeout", limit)
    assert result.exit_code == 0 and "samples/clean-brief.md:" in result.stdout


def test_a_regex_timeout_that_is_not_a_number_is_a_usage_error() -> None:
    result = grep("--regex", "注意", "samples/", "--no-cache", "--regex-timeout", "nan")
    assert result.exit_code == 2 and "--regex-timeout nan" in result.stderr


@pytest.mark.parametrize(
    ("pattern", "lines"),
    [
        pytest.param("^(?=.*注意力)(?=.*重要)", [5], id="lookaheads-contains-both"),
        pytest.param("^(?!.*注意力)(?=空)", [7], id="negative-lookahead"),
        pytest.param("(?<=注意)", [5], id="lookbehind"),
        pytest.param("^$", [4, 6], id="blank-lines-inside-entries"),
    ],
)
def test_a_regex_that_matches_only_empty_text_still_matches_its_lines(
    tmp_path: Path, pattern: str, lines: list[int]
) -> None:
    """As ``re.search`` (and rg) have it: a line matches wherever the pattern does,
    even where what it matched is empty (shown as an empty span at that place)."""
    doc = tmp_path / "t.md"
    doc.write_text("# 笔记\n\n## 节\n\n注意力很重要\n\n空行上面\n", "utf-8")
    result = grep("--regex", pattern, str(doc), "--no-cache", "--format", "jsonl")
    (record,) = map(json.loads, result.stdout.splitlines())
    assert [line["line"] for line in record["lines"]] == lines
    assert all(len(line["spans"]) == 1 for line in record["lines"])


@pytest.mark.parametrize(
    ("query", "options", "sensitive"),
    [
        pytest.param("rag", ["-S"], False, id="lower-case-ignores-case"),
        pytest.param("Rag", ["-S"], True, id="a-capital-respects-it"),
        pytest.param("rag OR 检索", ["-S"], False, id="the-OR-operator-is-no-capital"),
        pytest.param("Title:rag", ["-S"], False, id="a-field-name-is-no-capital"),
        pytest.param("模型 -ORG:nvidia", ["-S"], False, id="nor-an-excluded-field-s"),
        pytest.param("title:RAG", ["-S"], True, id="a-capital-in-a-field-s-term"),
        pytest.param("Rag", ["-S", "-i"], False, id="i-wins"),
        pytest.param("rag", ["-S", "-s"], True, id="s-wins"),
        pytest.param("r\\w", ["-S", "--regex"], False, id="a-regex-escape-is-no-capital"),
        pytest.param("R\\w", ["-S", "--regex"], True, id="a-regex-capital"),
    ],
)
def test_smart_case_respects_latin_case_only_for_a_query_with_a_capital(
    query: str, options: list[str], sensitive: bool
) -> None:
    from gtcbrief.commands import grep_argv

    request = grep_argv.parse([query, *options])
    assert request is not None and request.sensitive() is sensitive
    # the same as the case option it stands for (or as the -i/-s given with it)
    rest = options[1:]
    explicit = [o for o in rest if o in ("-i", "-s")] or (["-s"] if sensitive else ["-i"])
    others = [o for o in rest if o not in ("-i", "-s")]
    smart = grep(query, BRIEF, "--no-cache", "-f", "jsonl", *options)
    plain = grep(query, BRIEF, "--no-cache", "-f", "jsonl", *explicit, *others)
    assert smart.exit_code == plain.exit_code and smart.stdout == plain.stdout


# ------------------------------------------------------------------ -w, whole words


@cache
def _word_edges(norm: str) -> frozenset[int]:
    """Offsets of ``norm`` where a word starts or ends: around every token that
    :func:`gtcbrief.text.normalized_tokens` gives (jieba's precise cut of each
    Chinese run, whole Latin words), found in the text left to right."""
    from gtcbrief.text import normalized_tokens

    edges, at = {0, len(norm)}, 0
    for token in normalized_tokens(norm):
        at = norm.index(token, at)
        edges.update((at, at + len(token)))
        at += len(token)
    return frozenset(edges)


@settings(max_examples=60)
@given(st.data())
def test_whole_chinese_words_start_and_end_where_jieba_cuts(data: st.DataObject) -> None:
    """``-w``: an entry matches when the query occurs starting and ending on word edges."""
    index, units = _corpus()
    unit = data.draw(st.sampled_from([u for u in units if CJK_RUN.search(u.text)]))
    run = data.draw(st.sampled_from(CJK_RUN.findall(unit.norm or "")))
    start = data.draw(st.integers(0, len(run) - 1))
    query = run[start : start + data.draw(st.integers(1, 4))]

    def has_word(norm: str) -> bool:
        if query not in norm:
            return False
        edges = _word_edges(norm)
        starts = [m.start() for m in re.finditer(f"(?={re.escape(query)})", norm)]
        return any(i in edges and i + len(query) in edges for i in starts)

    expected = {(u.path, u.line) for u in units if has_word(u.norm or "")}
    found = {
        (h.unit.path, h.unit.line) for h in search(index, query, Options(spans=False, words=True))
    }
    assert found == expected
    assert found <= _found(query)


@pytest.mark.parametrize(
    ("query", "args", "lines"),
    [
        pytest.param("注意", [], [], id="not-inside-a-longer-word"),
        pytest.param("机器", [], [111], id="a-word-of-its-own-only"),
        pytest.param("模型", ["-m", "1"], [83], id="not-inside-a-domain-word"),
        pytest.param("-e", ["注意|机器"], [111], id="regex"),
    ],
)
def test_whole_words_in_the_samples(query: str, args: list[str], lines: list[int]) -> None:
    """注意 is no word in 注意力; 机器 is one in 机器主动 but not in 机器人; 大模型 is one word."""
    result = grep(query, *args, "samples/gtc-notes.md", "--no-cache", "-w", "-f", "jsonl")
    records = [json.loads(x) for x in result.stdout.splitlines()]
    assert [m["line"] for r in records for m in r["lines"]] == lines
    assert result.exit_code == (0 if lines else 1)
    for record in records:
        for m in record["lines"]:
            for a, b in m["spans"]:
                assert m["text"][a:b] in ("机器", "模型")
                assert m["text"][b : b + 1] not in ("人", "力")
                assert m["text"][a - 1 : a] != "大"


def test_whole_words_with_a_regex_follow_ripgrep(tmp_path: Path) -> None:
    """``foo|foobar`` finds foobar, where foo would end inside the word, and so does
    ``机器|机器人``; a leading ``(?i)`` and a verbose pattern's comment still work; an
    underscore is part of a word, and ``c++`` is no word in ``c++x`` (no word character
    may be just outside); Chinese beside Latin is an edge."""
    doc = tmp_path / "w.md"
    doc.write_text(
        "# t\n\nfoobar x\n\nFOO_bar\n\nGPU加速\n\nc++x c++\n\n我们的机器人很好\n", "utf-8"
    )

    def spans(pattern: str) -> list[str]:
        out = grep("-w", "-e", pattern, str(doc), "--no-cache", "-s", "-f", "jsonl").stdout
        return [m["text"][a:b] for r in map(json.loads, out.splitlines()) for m in r["lines"]
                for a, b in m["spans"]]  # fmt: skip

    assert spans("foo|foobar") == ["foobar"]
    assert spans("机器|机器人") == ["机器人"]
    assert spans("(?i)foo") == []
    assert spans("(?i)foo_bar") == ["FOO_bar"]
    assert spans("(?x) foo_bar | foobar   # a comment") == ["foobar"]
    assert spans("GPU") == ["GPU"]
    assert spans("加速") == ["加速"]
    assert spans(r"c\+\+") == ["c++"]  # the second one only
    assert [m["line"] for m in json.loads(grep("-w", "c++", str(doc), "--no-cache",
            "-f", "jsonl").stdout)["lines"]] == [9]  # fmt: skip


def test_an_overlapping_occurrence_on_word_edges_is_not_missed() -> None:
    """个人人人 is cut 个人|人人: 人人's first occurrence starts inside 个人, its next
    one (overlapping the first) is a word."""
    from gtcbrief.text import _cut, word_spans

    assert _cut("个人人人", False) == ("个人", "人人")
    assert list(word_spans(re.compile("人人"), "个人人人")) == [(2, 4)]


def test_a_long_run_of_chinese_is_cut_once_however_many_matches_it_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each match is judged on the run's cuts, made once: a cut per match made ``-w``
    quadratic in the run's length (minutes for one 80,000-character line)."""
    from gtcbrief import text

    calls: list[int] = []
    cuts = text._cuts

    def counted(run: str) -> tuple[int, ...]:
        calls.append(len(run))
        return cuts(run)

    monkeypatch.setattr(text, "_cuts", counted)
    line = "机器学习" * 2000
    assert list(text.word_spans(re.compile("机器学习"), line))[:2] == [(0, 4), (4, 8)]
    assert list(text.word_spans(re.compile("机器"), line)) == []
    assert calls == [len(line), len(line)]


def test_case_sensitive_and_hyphenated_words() -> None:
    assert grep("rag", BRIEF, "--no-cache", "-s").exit_code == 1
    assert grep("RAG", BRIEF, "--no-cache", "-s", "-c").stdout == f"{BRIEF}:2\n"
    assert grep("rag", BRIEF, "--no-cache", "-i", "-s").exit_code == 2
    out = grep("TensorRT", "samples/clean-brief.md", "--no-cache", "-f", "jsonl").stdout
    record = json.loads(out.splitlines()[0])
    title = record["fields"]["title"]
    assert [title["text"][a:b] for a, b in title["spans"]] == ["TensorRT"]  # in TensorRT-LLM


@settings(max_examples=200)
@given(st.data())
def test_quoted_mixed_text_finds_everything_a_substring_scan_finds(data: st.DataObject) -> None:
    """Any stretch of real text (Latin, Chinese, digits, punctuation), quoted, is found."""
    _index, units = _corpus()
    unit = data.draw(st.sampled_from(units))
    text = unit.text
    start = data.draw(st.integers(0, max(0, len(text) - 2)))
    piece = text[start : start + data.draw(st.integers(2, 12))]
    end = start + len(piece)

    def inside_word(i: int) -> bool:  # a Latin word cut in two at offset i
        return 0 < i < len(text) and _in_word(text[i - 1]) and _in_word(text[i])

    if '"' in piece or not piece.strip() or inside_word(start) or inside_word(end):
        return
    if not any(c.isalnum() for c in piece):
        return
    # Latin ends match whole words (so "AI" is not looked for inside "OpenAI")
    scan = {(u.path, u.line) for u in units if _occurs_whole(u.text, piece)}
    assert (unit.path, unit.line) in scan
    assert scan <= _found(f'"{piece}"')


def test_a_bad_query_fails_before_any_index_is_built(tmp_path: Path) -> None:
    cache = tmp_path / "never"
    assert grep('"open', BRIEF, "--cache-dir", str(cache)).exit_code == 2
    assert grep("--regex", "(", BRIEF, "--cache-dir", str(cache)).exit_code == 2
    assert not cache.exists()


# ------------------------------------------------------------------ the one-plain-term loop


@pytest.mark.parametrize(
    "term",
    ["注意力", "注", "數據", "机器人", "模型", "，", "①", "第1"],
    ids=["chinese", "one-character", "traditional", "chinese-3", "common", "full-width-comma",
         "circled-digit", "digit-inside"],
)  # fmt: skip
@pytest.mark.parametrize(
    "options",
    [Options(fields=()), Options(), Options(limit=3), Options(spans=False), Options(sort="path")],
    ids=["text", "json-fields", "limit", "no-spans", "sort-path"],
)
def test_one_plain_term_finds_what_the_general_loop_finds(term: str, options: Options) -> None:
    # the same term twice is the same query, through the general loop
    index, _units = _corpus()
    ranked = ranking(index, term, Options())
    for candidates in (ranked, None):
        fast = list(search(index, term, options, candidates))
        general = list(search(index, f"{term} {term}", options, candidates))
        if candidates is None:  # scored by another expression: compare what was found
            assert sorted(map(_found_in, fast)) == sorted(map(_found_in, general))
        else:
            assert fast == general
    assert fast or term in ("①", "第1")


def _found_in(hit: Hit) -> tuple[str, int, list[tuple[int, str, list[tuple[int, int]]]], str]:
    lines = [(m.line, m.text, m.spans) for m in hit.lines]
    return hit.unit.path, hit.unit.line, lines, repr(hit.fields)


def test_an_empty_cache_dir_is_a_usage_error_not_the_current_folder() -> None:
    result = runner.invoke(app, ["grep", "机器人", str(SAMPLES), "--cache-dir", ""])
    assert result.exit_code == 2 and "--cache-dir is empty" in result.stderr


def test_a_relative_xdg_cache_home_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    from gtcbrief.text import cache_root

    monkeypatch.delenv("GTCBRIEF_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relx")
    assert cache_root().startswith("/") and "relx" not in cache_root()


def test_a_term_said_twice_is_one_term() -> None:
    """800 copies of one word made 800 FTS5 phrases and 800 scans of every hit."""
    query = parse_query("数据 数据 OR 数据 模型 -x -x 模型 OR 数据")
    assert [[t.text for t in c] for c in query.clauses] == [["数据"], ["模型"], ["模型", "数据"]]
    assert [t.text for t in query.excludes] == ["x"]


def test_path_order_is_every_hit_in_paths_and_line_order_limited_or_not(tmp_path: Path) -> None:
    """``--sort path`` ranks in SQL then orders by PATHS and line (it used to fetch every
    hit's text to sort them); ``--limit`` then takes the first ones in that order."""
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    entry = "## 【Talks & Panels】{0}\n\n### 实事描述\n{1}\n\n---\n\n"
    b.write_text(
        "# 每日参会快报\n\n"
        + entry.format("乙一", "机器人")
        + entry.format("乙二", "机器人机器人"),
        "utf-8",
    )
    a.write_text(
        "# 每日参会快报\n\n" + entry.format("甲一", "无关") + entry.format("机器人甲", "机器人"),
        "utf-8",
    )
    args = ("机器人", str(b), str(a), "--format", "jsonl", "--cache-dir", str(tmp_path / "c"))
    assert grep(*args).exit_code == 0
    # b indexed again: its entries' rows now come after a's
    b.write_text(b.read_text("utf-8") + "\n", "utf-8")
    by_rank = [json.loads(x) for x in grep(*args).stdout.splitlines()]
    by_path = [json.loads(x) for x in grep(*args, "--sort", "path").stdout.splitlines()]
    assert [(r["path"], r["line"]) for r in by_path] == [(str(b), 3), (str(b), 10), (str(a), 10)]
    assert sorted(by_rank, key=lambda r: (r["path"] != str(b), r["line"])) == by_path
    assert by_rank[0]["title"] == "机器人甲"  # (the ranking is not path order)
    limited = grep(*args, "--sort", "path", "--limit", "2").stdout.splitlines()
    assert [json.loads(x) for x in limited] == by_path[:2]


def _fifo_of(tmp_path: Path, text: str) -> str:
    """A named pipe a thread fills with ``text`` once a reader opens it (as ``<(…)`` is)."""
    import os
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def fill() -> None:
        with open(fifo, "w", encoding="utf-8") as fh:
            fh.write(text)

    threading.Thread(target=fill, daemon=True).start()
    return str(fifo)


@pytest.mark.parametrize("how", ["text", "jsonl", "rg-json"])
def test_a_pipe_on_the_command_line_is_read_as_the_other_commands_read_it(
    tmp_path: Path, how: str
) -> None:
    """``grep q <(…)`` refused the pipe ("not a regular file") that parse, validate,
    stats and dedupe read; it is now read once, like standard input, beside the files."""
    text = Path(BRIEF).read_text("utf-8")
    fifo = _fifo_of(tmp_path, text)
    options = {"text": [], "jsonl": ["--format", "jsonl"], "rg-json": ["--json"]}[how]
    args = ["--cache-dir", str(tmp_path / "c"), *options]
    piped = grep("机器人", fifo, *args)
    assert not (tmp_path / "c").exists()  # a pipe cannot be indexed on disk
    from_file = grep("机器人", BRIEF, *args)
    assert piped.exit_code == from_file.exit_code == 0, piped.stderr
    expected = from_file.stdout.replace(BRIEF, fifo)
    if how == "rg-json":  # (timings and byte counts aside)
        assert _events(piped.stdout) == _events(expected)
    else:
        assert piped.stdout == expected


def _events(stream: str) -> list[object]:
    events = [json.loads(line) for line in stream.splitlines()]
    return [e for e in events if e["type"] in ("begin", "match", "context")]


def test_dev_null_is_an_empty_input_and_files_beside_it_are_searched(tmp_path: Path) -> None:
    cache = ("--cache-dir", str(tmp_path / "c"))
    nothing = grep("机器人", "/dev/null", *cache)
    assert nothing.exit_code == 1 and nothing.stderr == ""
    counted = grep("机器人", "/dev/null", BRIEF, "-c", *cache)
    assert counted.exit_code == 0 and counted.stdout == grep("机器人", BRIEF, "-c", *cache).stdout


@pytest.mark.parametrize(
    "cache", [["--no-cache"], ["--cache-dir", "CACHE"]], ids=["memory", "disk"]
)
def test_a_folder_with_no_markdown_is_said_to_have_none(tmp_path: Path, cache: list[str]) -> None:
    """The other commands say so; grep was silent, as if the briefs held no match."""
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "notes.txt").write_text("机器人", "utf-8")
    args = [a.replace("CACHE", str(tmp_path / "c")) for a in cache]
    for _twice in range(2):  # built, then presumed fresh
        result = grep("机器人", str(tmp_path / "e"), *args)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr == f"gtcbrief: no Markdown files found in {tmp_path / 'e'}\n"


@pytest.mark.parametrize("listing", ["-l", "-c"])
def test_null_ends_each_path_with_a_nul_for_xargs_whatever_the_name(
    tmp_path: Path, listing: str
) -> None:
    """A line feed in a file name split ``-l``'s line in two for ``xargs``; with ``-0``
    each path ends with NUL, as rg's ``--null`` does (``-c``: ``path NUL count``)."""
    text = Path(BRIEF).read_text("utf-8")
    odd, plain = tmp_path / "new\nline.md", tmp_path / "plain.md"
    odd.write_text(text, "utf-8")
    plain.write_text(text, "utf-8")
    result = grep("机器人", str(odd), str(plain), listing, "-0", "--no-cache")
    assert result.exit_code == 0
    nul = "\0"
    if listing == "-l":
        assert result.stdout == f"{odd}{nul}{plain}{nul}"
    else:
        assert result.stdout == f"{odd}{nul}5\n{plain}{nul}5\n"
    refused = grep("机器人", str(plain), "-0", "--no-cache")
    assert refused.exit_code == 2 and "-0/--null goes with -l or -c" in refused.stderr
