"""Every command, on any document: valid JSON, stable keys, exit codes in {0, 1, 2},
and document text shown literally (never as rich markup or terminal escapes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gtcbrief.cli import app
from tests.test_properties import MARKDOWNISH

runner = CliRunner()

BRIEFISH = st.builds(
    lambda title, body, extra: (
        f"# 每日参会快报\n\n## 【Talks & Panels】{title}\n\n### 主题\nRobotics - Sim\n\n"
        f"### 演讲人或相关公司\nA（B, C）\n\n### 实事描述\n{body}\n\n"
        "撰稿人：张三 12345678\n\n---\n\n"
        f"{extra}\n"
    ),
    st.text(max_size=30),
    st.text(max_size=80),
    MARKDOWNISH,
)
DOCUMENTS = st.one_of(MARKDOWNISH, BRIEFISH)

#: command line (after the command name) → how to read its JSON output
COMMANDS = {
    "parse": (["--format", "json"], "array"),
    "validate": (["--format", "json", "--mismatch-threshold", "1.01"], "array"),
    "stats": (["--format", "json"], "any"),
    "grep": (["--format", "jsonl", "--no-cache", "机器"], "lines"),
    "dedupe": (["--format", "json"], "array"),
}


def _run(command: str, path: Path) -> tuple[int, object]:
    args, shape = COMMANDS[command]
    if command == "grep":
        argv = [command, args[-1], str(path), *args[:-1]]
    else:
        argv = [command, str(path), *args]
    result = runner.invoke(app, argv)
    assert result.exit_code in (0, 1, 2), (argv, result.exit_code, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        return 2, None
    if shape == "lines":
        return result.exit_code, [json.loads(x) for x in result.stdout.splitlines() if x]
    data = json.loads(result.stdout)
    if shape == "array":
        assert isinstance(data, list)
    return result.exit_code, data


@pytest.mark.parametrize("command", sorted(COMMANDS))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=DOCUMENTS)
def test_json_output_is_valid_on_any_document(command: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _run(command, path)


def test_validate_json_keys_are_stable(tmp_path: Path) -> None:
    path = tmp_path / "b.md"
    path.write_text("## 【Talks & Panels】T\n\n### 实事描述\n内容  \n", encoding="utf-8")
    code, data = _run("validate", path)
    assert code == 1 and isinstance(data, list) and data
    for diagnostic in data:
        assert {"path", "line", "column", "code", "name", "severity", "message"} <= set(diagnostic)


HOSTILE = (
    "# 每日参会快报\n\n## 【Talks & Panels】[bold red]机器人 boom[/] \x1b[2J\x1b]0;pwned\x07\n\n"
    "### 主题\nRobotics - [link=https://evil]x[/link]\n\n### 演讲人或相关公司\n"
    "Eve（[/], \x1b[31mRed\x1b[0m）\n\n"
    "### 实事描述\n机器人 [blink]描述[/blink] \x1b[?1049h 内容\n\n"
    "撰稿人：张三 12345678\n\n---\n"
)
FORMATS = {
    "parse": ["table", "json", "jsonl", "csv"],
    "validate": ["text", "json", "jsonl", "github", "sarif"],
    "stats": ["table", "json", "csv"],
    "grep": ["text", "json", "jsonl"],
    "dedupe": ["table", "json", "jsonl", "csv"],
}


@pytest.mark.parametrize(
    ("command", "fmt"),
    [pytest.param(c, f, id=f"{c}-{f}") for c, fs in FORMATS.items() for f in fs],
)
@pytest.mark.parametrize("colour", ["NO_COLOR", "FORCE_COLOR"])
def test_hostile_text_is_shown_literally(
    command: str, fmt: str, colour: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv(colour, "1")
    path = tmp_path / "h.md"
    path.write_text(HOSTILE + HOSTILE.replace("# 每日参会快报\n\n", ""), encoding="utf-8")
    if command == "grep":
        argv = [command, "机器人", str(path), "--format", fmt, "--no-cache", "-C", "1"]
    else:
        argv = [command, str(path), "--format", fmt]
    result = runner.invoke(app, argv)
    assert result.exit_code in (0, 1), result.stderr
    for stream in (result.stdout, result.stderr):
        for escape in ("\x1b[2J", "\x1b]0;", "\x1b[?1049h", "\x07", "\x1b[31mRed"):
            assert escape not in stream, (command, fmt, escape)
    if fmt in ("json", "jsonl", "sarif"):
        for line in result.stdout.splitlines() if fmt == "jsonl" else [result.stdout]:
            json.loads(line)
