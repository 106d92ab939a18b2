"""Document text reaches a terminal with its control characters made visible, never obeyed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gtcbrief.render import CONTROL, safe, shown


def _by_regex_alone(text: str) -> str:
    return re.sub(CONTROL, lambda m: shown(m[0]), text)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("注意力机制", "注意力机制", id="chinese-as-is"),
        pytest.param("a\x1b[31mred", "a\\x1b[31mred", id="escape-sequence"),
        pytest.param("x\u202ey", "x\\u202ey", id="bidi-override"),
        pytest.param("\x85next", "\\x85next", id="c1-control"),
        pytest.param("tab\there", "tab\there", id="tab-kept"),
        pytest.param("全角\u3000空格", "全角\u3000空格", id="ideographic-space-kept"),
        pytest.param(
            "A\u2028B\u200bC\u200fD\ufeffE",
            "A\\u2028B\\u200bC\\u200fD\\ufeffE",
            id="invisible-format-characters",
        ),
        pytest.param("tag\U000e0041", "tag\\U000e0041", id="tag-character"),
        pytest.param("odd\udcff.md", "odd\\xff.md", id="file-name-byte-not-utf-8"),
        pytest.param("x\ud800y", "x\\ud800y", id="lone-surrogate"),
        pytest.param("", "", id="empty"),
    ],
)
def test_control_characters_are_shown_not_obeyed(text: str, shown: str) -> None:
    assert safe(text) == shown


@given(st.text(alphabet=st.characters(max_codepoint=0xE0080)))
def test_the_printable_shortcut_changes_nothing(text: str) -> None:
    assert safe(text) == _by_regex_alone(text)


@given(st.text(alphabet=st.characters(max_codepoint=0xE0080)))
def test_json_output_is_the_same_data_with_nothing_a_terminal_obeys(text: str) -> None:
    """…and valid UTF-8: a lone surrogate (a file name's byte that is not UTF-8) is
    escaped, ``\\udcff``, which Python reads back as the same name."""
    import json

    from gtcbrief.render import json_safe

    encoded = json_safe(json.dumps({"t": text}, ensure_ascii=False))
    assert json.loads(encoded) == {"t": text}
    assert not re.search(CONTROL, encoded)
    encoded.encode("utf-8")  # (strict)


def test_a_file_name_that_is_not_utf_8_leaves_every_output_valid_utf_8(tmp_path: Path) -> None:
    import json
    import os

    from typer.testing import CliRunner

    from gtcbrief.cli import app

    brief = (Path(__file__).parents[1] / "samples" / "clean-brief.md").read_bytes()
    odd = os.fsencode(tmp_path) + b"/odd\xff.md"
    with open(odd, "wb") as fh:
        fh.write(brief)
    (tmp_path / "b.md").write_bytes(brief)  # (a copy: dedupe and GB110 name both files)
    folder = str(tmp_path)
    for args in (
        ["parse", folder, "--format", "jsonl"],
        ["parse", folder, "--format", "csv"],
        ["validate", folder, "--format", "json"],
        ["validate", folder, "--format", "sarif"],
        ["validate", folder, "--format", "github"],
        ["stats", folder, "--by", "file", "--format", "json"],
        ["dedupe", folder, "--format", "json"],
        ["grep", "机器人", folder, "--format", "jsonl", "--no-cache"],
        ["grep", "机器人", folder, "-l", "--format", "json", "--no-cache"],
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code in (0, 1), (args, result.stderr)
        text = result.stdout_bytes.decode("utf-8")  # (strict)
        assert "odd\\udcff.md" in text or "odd\\xff.md" in text or "odd%FF.md" in text, args
    parsed = CliRunner().invoke(app, ["parse", folder, "--format", "jsonl"]).stdout
    paths = {os.fsencode(json.loads(line)["path"]) for line in parsed.splitlines()}
    assert odd in paths  # the name, as Python spells it, is the file's


def test_every_json_output_escapes_c1_and_bidi_characters(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gtcbrief.cli import app

    folder = tmp_path
    brief = (
        "# 每日参会快报\n\n## 【Keynote】a\x9b2Jb\u202ecba\x7f\u2028z\n\n"
        "### 实事描述\n注意力 a\x9bb\n"
    )
    for name in ("a.md", "b.md"):
        (folder / name).write_text(brief, encoding="utf-8")
    for args in (
        ["parse", "--format", "jsonl"],
        ["parse", "--format", "json"],
        ["validate", "--format", "json"],
        ["validate", "--format", "sarif"],
        ["stats", "--format", "json"],
        ["dedupe", "--format", "json"],
        ["grep", "注意力", "--format", "jsonl", "--no-cache"],
        ["grep", "注意力", "--json", "--no-cache"],
    ):
        at = 2 if args[0] == "grep" else 1  # the paths come after grep's query
        result = CliRunner().invoke(app, [*args[:at], str(folder), *args[at:]])
        assert result.stdout and not re.search(CONTROL, result.stdout), args


@pytest.mark.parametrize(
    ("env", "colour"),
    [
        pytest.param({"FORCE_COLOR": "1"}, True, id="forced"),
        pytest.param({"FORCE_COLOR": "1", "TERM": "dumb"}, False, id="dumb-terminal-as-rich"),
        pytest.param({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, id="no-colour-wins"),
    ],
)
def test_validate_colours_its_text_as_rich_would(
    env: dict[str, str], colour: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from gtcbrief.cli import app

    monkeypatch.delenv("NO_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    sample = str(Path(__file__).resolve().parents[1] / "samples" / "gtc-notes.md")
    result = CliRunner().invoke(app, ["validate", sample])
    assert ("\x1b[" in result.stdout) is colour


@pytest.mark.parametrize("command", ["parse", "grep", "validate", "stats", "dedupe"])
def test_a_usage_error_quotes_the_argument_safely(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from gtcbrief.cli import run

    assert run([command, "--\u202ex\u200b", "samples"]) == 2
    err = capsys.readouterr().err
    assert "No such option: --\\u202ex\\u200b" in err and not re.search(CONTROL, err)
