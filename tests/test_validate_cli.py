"""`gtcbrief validate` through Typer's runner: output formats, exit codes, config, stdin."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gtcbrief.cli import app
from gtcbrief.rules import all_rules
from gtcbrief.rules.engine import mismatch_available

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "validate"
BRIEF = "samples/gtc-daily-brief.md"
NOTES = "samples/gtc-notes.md"
CLEAN = "samples/clean-brief.md"
CONTRACT = {"path", "line", "column", "code", "name", "severity", "message"}
TEXT_LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>GB\d{3})/(?P<name>[a-z-]+) .+$"
)

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def validate(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["validate", *args], input=input)
    return result.exit_code, result.stdout, result.stderr


def as_json(*args: str, input: str | None = None) -> tuple[int, list[dict[str, object]]]:
    code, out, _ = validate(*args, "--format", "json", input=input)
    return code, json.loads(out)


# ----------------------------------------------------------------- done-when


def test_seed_brief_fails_with_precise_findings() -> None:
    code, found = as_json(BRIEF, "--ignore", "GB301,GB302")
    assert code == 1
    missing = [(d["line"], d["message"]) for d in found if d["code"] == "GB104"]
    # entries 12–19 were filed before they were finished: no description, no implications
    assert [line for line, _ in missing] == [
        n for n in (201, 213, 223, 233, 243, 253, 263, 273) for _ in range(2)
    ]
    assert all("实事描述" in m or "对华为的启示" in m for _, m in missing)
    assert ("GB502", 282) in {(d["code"], d["line"]) for d in found}


def test_seed_brief_flags_the_copied_descriptions() -> None:
    if not mismatch_available():
        pytest.skip("gtcbrief.mismatch is not installed yet")
    code, found = as_json(BRIEF)
    assert code == 1
    mismatch = [d for d in found if d["name"] == "description-mismatch"]
    assert mismatch and mismatch[0]["line"] == 3 and mismatch[0]["code"] == "GB301"
    assert all(isinstance(d["score"], float) and 0 <= d["score"] <= 1 for d in mismatch)


def test_notes_seed_reports_line_7_and_line_94() -> None:
    code, found = as_json(NOTES, "--select", "GB4")
    assert code == 1
    where = {(d["line"], d["column"], d["code"]) for d in found}
    assert (7, 3, "GB401") in where  # - [自动驾驶，理想汽车](#)
    assert (94, 13, "GB402") in where  # <!-- TOC --><a name=""></a>


def test_clean_sample_passes_quietly() -> None:
    code, out, err = validate(CLEAN)
    assert (code, out, err) == (0, "", "")


# ----------------------------------------------------------------- formats


def test_text_lines_name_path_line_column_code_and_rule() -> None:
    code, out, err = validate(NOTES, "--select", "GB401,GB402")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "samples/gtc-notes.md:7:3: GB401/broken-link link [自动驾驶，理想汽车](#) "
        "points nowhere: its anchor is empty"
    )
    assert lines[1] == "    | - [自动驾驶，理想汽车](#)"
    assert TEXT_LINE.match(lines[2]) and lines[2].startswith("samples/gtc-notes.md:94:13: GB402/")
    assert "2 errors in 1 of 1 file" in err


def test_json_is_one_array_with_the_contract_keys() -> None:
    code, found = as_json(BRIEF, NOTES, "--ignore", "GB301,GB302")
    assert code == 1 and found
    for d in found:
        assert CONTRACT <= set(d)
        assert isinstance(d["line"], int) and d["line"] >= 1
        assert isinstance(d["column"], int) and d["column"] >= 1
        assert d["severity"] in ("error", "warning", "info")


def test_jsonl_carries_the_same_objects() -> None:
    _, array = as_json(NOTES, "--ignore", "GB301,GB302")
    code, out, _ = validate(NOTES, "--ignore", "GB301,GB302", "--format", "jsonl")
    assert code == 1
    assert [json.loads(line) for line in out.splitlines()] == array


def test_github_annotations() -> None:
    code, out, _ = validate(NOTES, "--select", "GB402,GB404", "--format", "github")
    lines = out.splitlines()
    assert (
        "::error file=samples/gtc-notes.md,line=94,col=13,title=GB402/empty-anchor::"
        "anchor has an empty name" in lines
    )
    assert any(line.startswith("::notice file=samples/gtc-notes.md,line=64,") for line in lines)
    assert code == 1


def test_sarif_log() -> None:
    code, out, _ = validate(NOTES, "--select", "GB401", "--format", "sarif")
    log = json.loads(out)
    assert log["version"] == "2.1.0" and code == 1
    run = log["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {r.code for r in all_rules()}
    (result,) = run["results"]
    assert result["ruleId"] == "GB401" and result["level"] == "error"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 7, "startColumn": 3}


def test_sarif_locations_are_uri_references_and_columns_count_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code scanning reads ``uri`` as a URI: a space, Chinese, ``%`` or ``#`` in a name must
    be percent-encoded (``#`` would cut the path); columns count code points, as said."""
    from urllib.parse import unquote

    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    name = "a,b:c%d 中文 #1.md"
    Path(name).write_text("# 笔记  \n", encoding="utf-8")  # trailing spaces: GB501
    absolute = tmp_path / "abs.md"
    absolute.write_text("# 笔记  \n", encoding="utf-8")
    code, out, _ = validate(".", str(absolute), "--select", "GB501", "--format", "sarif")
    run = json.loads(out)["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                  for r in run["results"])  # fmt: skip
    assert uris == ["a%2Cb%3Ac%25d%20%E4%B8%AD%E6%96%87%20%231.md", absolute.as_uri()]
    assert unquote(uris[0]) == name
    (region,) = {str(r["locations"][0]["physicalLocation"]["region"]) for r in run["results"]}
    assert region == str({"startLine": 1, "startColumn": 5})  # after '# 笔记'


@pytest.mark.parametrize(
    ("option", "said"),
    [
        pytest.param("--fail-on=", "--fail-on must be one of", id="fail-on"),
        pytest.param("--select=", "--select names no rule", id="select"),
        pytest.param("--config=", "--config names no file", id="config"),
    ],
)
def test_an_empty_value_is_a_usage_error_not_the_default(option: str, said: str) -> None:
    """``--fail-on "$LEVEL"`` with the variable unset must not quietly mean the default
    (or, for --select, every rule)."""
    code, out, err = validate("samples/clean-brief.md", option)
    assert (code, out) == (2, "") and said in err


def test_list_rules_text_and_json() -> None:
    code, out, _ = validate("--list-rules")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [r.code for r in all_rules()]
    code, out, _ = validate("--list-rules", "--format", "json")
    listed = json.loads(out)
    assert {"code", "name", "severity", "doc", "kind", "fixable"} <= set(listed[0])
    assert [r["name"] for r in listed] == [r.name for r in all_rules()]
    code, out, err = validate("--list-rules", "--format", "sarif")  # (was text, silently)
    assert (code, out) == (2, "") and "--format must be one of text, json, jsonl" in err


def test_document_text_is_never_a_terminal_escape(tmp_path: Path) -> None:
    bad = tmp_path / "x.md"
    bad.write_text("# 笔记 \x1b[31m \n", encoding="utf-8")
    _, out, _ = validate(str(bad))
    assert "\x1b" not in out and "\\x1b" in out


# ----------------------------------------------------------------- exit codes and levels


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([NOTES, "--select", "GB404"], 0, id="info-does-not-fail"),
        pytest.param([NOTES, "--select", "GB502"], 0, id="warning-does-not-fail-by-default"),
        pytest.param([NOTES, "--select", "GB502", "--fail-on", "warning"], 1, id="fail-on-warning"),
        pytest.param([NOTES, "--select", "GB404", "--fail-on", "info"], 1, id="fail-on-info"),
        pytest.param([NOTES, "--select", "GB401", "--exit-zero"], 0, id="exit-zero"),
        pytest.param([NOTES, "--select", "GB401"], 1, id="error-fails"),
        pytest.param([NOTES, "--fail-on", "fatal"], 2, id="bad-fail-level"),
        pytest.param([NOTES, "--format", "xml"], 2, id="bad-format"),
        pytest.param([NOTES, "--select", "GB999"], 2, id="unknown-rule"),
        pytest.param(["no/such/file.md"], 2, id="missing-file"),
        pytest.param([], 2, id="no-paths"),
    ],
)
def test_exit_codes(args: list[str], expected: int) -> None:
    code, _, err = validate(*args)
    assert code == expected
    if expected == 2:
        assert err.startswith("gtcbrief: ") and "Traceback" not in err


def test_unreadable_file_is_exit_2_even_beside_findings(tmp_path: Path) -> None:
    binary = tmp_path / "b.md"
    binary.write_bytes(b"\x00\x01")
    code, out, err = validate(NOTES, str(binary), "--select", "GB401", "--format", "json")
    assert code == 2
    assert json.loads(out)[0]["code"] == "GB401"  # the readable file was still checked
    assert "binary file" in err


def test_select_and_ignore_by_code_name_and_prefix() -> None:
    _, found = as_json(NOTES, "--select", "GB4", "--ignore", "placeholder-alt")
    assert {d["code"] for d in found} == {"GB401", "GB402"}


# ----------------------------------------------------------------- config


def _project(tmp_path: Path, toml: str, name: str = "pyproject.toml") -> Path:
    (tmp_path / name).write_text(toml, encoding="utf-8")
    doc = tmp_path / "notes.md"
    doc.write_text((ROOT / NOTES).read_text(encoding="utf-8"), encoding="utf-8")
    return doc


def test_config_select_ignore_and_severity(tmp_path: Path) -> None:
    doc = _project(
        tmp_path,
        '[tool.gtcbrief]\nselect = ["GB4", "GB5"]\nignore = ["GB404"]\n'
        '[tool.gtcbrief.severity]\nbroken-link = "warning"\nGB402 = "off"\n',
    )
    code, found = as_json(str(doc))
    assert {d["code"] for d in found} == {"GB401", "GB502"}
    assert all(d["severity"] == "warning" for d in found)
    assert code == 0  # nothing at error level is left


def test_config_fail_on_and_cli_override(tmp_path: Path) -> None:
    doc = _project(tmp_path, 'select = ["GB502"]\nfail_on = "warning"\n', name=".gtcbrief.toml")
    assert validate(str(doc))[0] == 1
    assert validate(str(doc), "--fail-on", "error")[0] == 0
    assert validate(str(doc), "--select", "GB401")[0] == 1  # --select replaces config select


def test_config_template_changes_the_rules(tmp_path: Path) -> None:
    (tmp_path / ".gtcbrief.toml").write_text(
        '[template]\nkinds = ["Talks & Panels"]\nid_pattern = "\\\\d{7,8}"\n', encoding="utf-8"
    )
    doc = tmp_path / "b.md"
    doc.write_text(
        (DATA / "GB103.good.md")
        .read_text(encoding="utf-8")
        .replace("孙立 61234501", "孙立 6123450"),
        encoding="utf-8",
    )
    _, found = as_json(str(doc), "--select", "GB103,GB204")
    assert [(d["code"], d["line"]) for d in found] == [
        ("GB103", 3)
    ]  # Workshop unknown; 7 digits ok


@pytest.mark.parametrize(
    "toml",
    [
        pytest.param('select = "GB1"\nignore = 3\n', id="ignore-not-a-list"),
        pytest.param('[severity]\nGB101 = "loud"\n', id="bad-severity"),
        pytest.param('[severity]\nGB999 = "error"\n', id="unknown-rule-in-severity"),
        pytest.param('mismatch_threshold = "high"\n', id="threshold-not-a-number"),
    ],
)
def test_bad_config_is_a_usage_error(tmp_path: Path, toml: str) -> None:
    doc = _project(tmp_path, toml, name=".gtcbrief.toml")
    code, _, err = validate(str(doc))
    assert code == 2 and err.startswith("gtcbrief: ")


def test_mismatch_threshold_reaches_the_rule() -> None:
    if not mismatch_available():
        pytest.skip("gtcbrief.mismatch is not installed yet")
    _, none = as_json(CLEAN, "--select", "GB301")
    _, every = as_json(CLEAN, "--select", "GB301", "--mismatch-threshold", "1.01")
    assert none == []
    assert [d["line"] for d in every] == [3, 21, 39]
    assert all(0 < float(d["score"]) <= 1 for d in every)


# ----------------------------------------------------------------- stdin


def test_stdin_with_a_reporting_name() -> None:
    text = (ROOT / NOTES).read_text(encoding="utf-8")
    code, out, _ = validate(
        "-", "--stdin-filename", "docs/notes.md", "--select", "GB402", input=text
    )
    assert code == 1
    assert out.startswith("docs/notes.md:94:13: GB402/empty-anchor ")


def test_stdin_config_is_discovered_from_the_stdin_filename(tmp_path: Path) -> None:
    (tmp_path / ".gtcbrief.toml").write_text('ignore = ["GB402"]\n', encoding="utf-8")
    text = (ROOT / NOTES).read_text(encoding="utf-8")
    code, out, _ = validate(
        "-", "--stdin-filename", str(tmp_path / "n.md"), "--select", "GB40", input=text
    )
    assert code == 1 and "GB401" in out and "GB402" not in out  # the config's ignore


def test_a_folder_without_markdown_says_so(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x\n", encoding="utf-8")
    code, out, err = validate(str(tmp_path))
    assert (code, out) == (0, "") and "no Markdown files found" in err


def test_a_rule_whose_dependency_is_missing_is_skipped_loudly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gtcbrief.rules.notes as notes

    def broken(d: object) -> list[object]:
        raise ModuleNotFoundError("No module named 'somedep'", name="somedep")

    def crashing(d: object) -> list[object]:
        raise ValueError("boom")

    import gtcbrief.rules as rules

    table = rules.all_rules()
    patched = tuple(
        r if r.code != "GB402" else type(r)(**{**_fields(r), "check": broken}) for r in table
    )
    monkeypatch.setattr(rules, "_RULES", patched)
    code, out, err = validate(NOTES, "--select", "GB401,GB402")
    assert code == 1 and "GB401/broken-link" in out and "GB402" not in out
    assert "GB402/empty-anchor skipped: No module named 'somedep'" in err
    patched = tuple(
        r if r.code != "GB402" else type(r)(**{**_fields(r), "check": crashing}) for r in table
    )
    monkeypatch.setattr(rules, "_RULES", patched)
    code, out, err = validate(NOTES, "--select", "GB401,GB402")
    assert code == 3 and "GB401/broken-link" in out
    assert "internal error in GB402/empty-anchor" in err and "ValueError: boom" in err
    assert notes.empty_anchor  # the real check is untouched


def _fields(rule: object) -> dict[str, object]:
    from dataclasses import fields

    return {f.name: getattr(rule, f.name) for f in fields(rule)}  # type: ignore[arg-type]


def _cells(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_a_long_lines_context_is_the_part_around_the_finding() -> None:
    """A half-width comma at column 253 of a paragraph was cut off the 160 characters shown."""
    from gtcbrief.diagnostics import CONTEXT_CELLS, context_window

    line = "数据" * 125 + "测试, 这里" + "采集" * 100
    shown = context_window(line, 253)
    assert shown.startswith("…") and shown.endswith("…")
    assert "测试, 这里" in shown and _cells(shown) <= CONTEXT_CELLS
    near_end = context_window(line, len(line) - 1)
    assert (
        near_end.startswith("…") and near_end.endswith("采集") and _cells(near_end) <= CONTEXT_CELLS
    )
    assert context_window("短的一行, 全部显示", 5) == "短的一行, 全部显示"
    assert context_window("\x1b[31m" + "x" * 300, 1).startswith("\\x1b[31mxxx")  # escaped


def test_a_context_of_escaped_characters_stays_in_its_cells() -> None:
    """A line of zero-width spaces was measured before each became '\\u200b' (six cells):
    its context ran to 661 columns."""
    from rich.cells import cell_len

    from gtcbrief.diagnostics import CONTEXT_CELLS, context_window

    line = "中文" + "\u200b" * 200 + "内容,结尾"
    shown = context_window(line, line.index(",") + 1)
    assert cell_len(shown) <= CONTEXT_CELLS and shown.endswith("内容,结尾")
