"""Bad input, for every command: a clear one-line message naming the file and exit 2,
or an ordinary result (0/1) — never a traceback. README's failure-mode table lists
what a user sees for each case here."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gtcbrief.cli import app

runner = CliRunner()
COMMANDS = ["parse", "validate", "stats", "grep", "dedupe"]


def argv(command: str, *paths: str) -> list[str]:
    if command == "grep":
        return ["grep", "机器人", *paths, "--no-cache", "--format", "json"]
    return [command, *paths, "--format", "json"]


def _file(name: str, data: bytes) -> Callable[[Path], str]:
    def make(tmp: Path) -> str:
        (tmp / name).write_bytes(data)
        return str(tmp / name)

    return make


def _broken_link(tmp: Path) -> str:
    (tmp / "gone.md").symlink_to(tmp / "missing.md")
    return str(tmp / "gone.md")


def _dir_named_md(tmp: Path) -> str:
    (tmp / "folder.md").mkdir()
    return str(tmp / "folder.md")


def _loop(tmp: Path) -> str:
    (tmp / "a.md").write_text("# 每日参会快报\n", encoding="utf-8")
    (tmp / "self").symlink_to(tmp)
    return str(tmp)


# (id, how to make the input, expected exit codes, text stderr must contain)
IO_ERRORS = [
    ("binary", _file("img.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00"), "binary file"),
    (
        "gbk",
        _file("gbk.md", "# 每日参会快报\n## 【Keynote】机器人\n".encode("gb18030")),
        "--encoding gb18030",
    ),
    ("missing", lambda tmp: str(tmp / "nope.md"), "no such file"),
    ("broken-symlink", _broken_link, "broken symbolic link"),
    ("directory-named-md", _dir_named_md, None),
]
DATA_CASES = [
    ("empty", _file("empty.md", b"")),
    ("bom-crlf", _file("crlf.md", "\ufeff# 每日参会快报\r\n\r\n## 【Keynote】机器人\r\n".encode())),
    ("2mb-line", _file("long.md", ("机器人" * 700_000 + "\n").encode())),
    ("5000-quotes", _file("deep.md", ("> " * 5000 + "机器人\n").encode())),
    ("only-separators", _file("seps.md", b"---\n\n---\n\n***\n")),
    ("symlink-loop", _loop),
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("case", "make", "needle"), IO_ERRORS, ids=[c[0] for c in IO_ERRORS])
def test_unreadable_input_is_one_line_and_exit_2(
    command: str, case: str, make: Callable[[Path], str], needle: str | None, tmp_path: Path
) -> None:
    path = make(tmp_path)
    result = runner.invoke(app, argv(command, path))
    if case == "directory-named-md":
        # a directory is walked: it holds no Markdown, which is not an error
        assert result.exit_code in (0, 1), result.stderr
        return
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 1 and "Traceback" not in result.stderr
    assert any(path in line and needle in line for line in lines), result.stderr


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("case", "make"), DATA_CASES, ids=[c[0] for c in DATA_CASES])
def test_odd_documents_are_data_not_errors(
    command: str, case: str, make: Callable[[Path], str], tmp_path: Path
) -> None:
    result = runner.invoke(app, argv(command, make(tmp_path)))
    assert result.exit_code in (0, 1), (case, result.stderr)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreadable_file_does_not_hide_the_others(command: str, tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# 每日参会快报\n\n## 【Keynote】机器人\n", encoding="utf-8")
    result = runner.invoke(app, argv(command, str(tmp_path / "nope.md"), str(good)))
    assert result.exit_code == 2
    assert "nope.md: no such file" in result.stderr
    if command in ("parse", "grep"):
        assert "机器人" in result.stdout


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else True,
    reason="root reads files whatever their mode",
)
def test_a_file_without_read_permission(tmp_path: Path) -> None:
    path = tmp_path / "secret.md"
    path.write_text("# x\n", encoding="utf-8")
    path.chmod(0)
    result = runner.invoke(app, argv("parse", str(path)))
    assert result.exit_code == 2 and "cannot read" in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_an_invalid_config_file_names_the_file(command: str, tmp_path: Path) -> None:
    (tmp_path / ".gtcbrief.toml").write_text("format = [unclosed\n", encoding="utf-8")
    doc = tmp_path / "a.md"
    doc.write_text("# 每日参会快报\n", encoding="utf-8")
    result = runner.invoke(app, argv(command, str(doc)))
    assert result.exit_code == 2
    assert ".gtcbrief.toml: invalid TOML" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "setting",
    ['select = ["GB999"]', 'ignore = ["no-such-rule"]', '[severity]\nGB999 = "error"'],
    ids=["select", "ignore", "severity"],
)
def test_an_unknown_rule_in_config_is_a_usage_error(setting: str, tmp_path: Path) -> None:
    (tmp_path / ".gtcbrief.toml").write_text(setting + "\n", encoding="utf-8")
    doc = tmp_path / "a.md"
    doc.write_text("# 每日参会快报\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(doc)])
    assert result.exit_code == 2, result.stderr
    assert "unknown rule" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def _deny(monkeypatch: pytest.MonkeyPatch, folder: Path, *, search: bool) -> None:
    """Make ``folder`` unreadable as the kernel would for a user who is not root (the
    tests may run as root, which reads everything): it cannot be listed, and with
    ``search`` nothing under it can be looked at or opened either."""
    import builtins

    locked = os.fspath(folder)

    def refused(path: Any) -> bool:
        if isinstance(path, int):
            return False
        text = os.path.abspath(os.fsdecode(os.fspath(path)))
        return text == locked or (search and text.startswith(locked + os.sep))

    def guard(real: Callable[..., Any], listing: bool = False) -> Callable[..., Any]:
        """``real``, refusing what is under the folder (and, with ``listing``, the
        folder itself: listing it, or opening it to read)."""

        def checked(path: Any = ".", *args: Any, **kwargs: Any) -> Any:
            inside = refused(path) and (listing or os.path.abspath(os.fspath(path)) != locked)
            if inside:
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real(path, *args, **kwargs)

        return checked

    monkeypatch.setattr(os, "scandir", guard(os.scandir, listing=True))
    monkeypatch.setattr(os, "stat", guard(os.stat))
    monkeypatch.setattr(builtins, "open", guard(builtins.open, listing=True))


def _two_folders(tmp_path: Path) -> tuple[Path, Path]:
    good = tmp_path / "a-good.md"
    good.write_text("# 每日参会快报\n\n## 【Keynote】机器人\n", encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.md").write_text("# 每日参会快报\n\n## 【Keynote】机器人手\n", encoding="utf-8")
    return good, locked


# (id, whether nothing under the folder may be looked at, the paths given, the message)
DENIED = [
    ("directory-not-listed", False, lambda good, locked: [str(good.parent)],
     lambda locked: f"{locked}: cannot list directory: Permission denied"),
    ("file-under-unsearchable", True, lambda good, locked: [str(good), str(locked / "x.md")],
     lambda locked: f"{locked / 'x.md'}: cannot read: Permission denied"),
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("case", "search", "given", "message"), DENIED, ids=[c[0] for c in DENIED])
def test_a_folder_that_may_not_be_read_is_an_io_error_and_the_rest_is_read(
    command: str,
    case: str,
    search: bool,
    given: Callable[[Path, Path], list[str]],
    message: Callable[[Path], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not an internal error (a stat under a folder that may not be searched raised), and
    not an empty folder (one that could not be listed was skipped without a word)."""
    good, locked = _two_folders(tmp_path)
    _deny(monkeypatch, locked, search=search)
    result = runner.invoke(app, argv(command, *given(good, locked)))
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert message(locked) in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert "no Markdown files" not in result.stderr
    if command in ("parse", "grep"):  # the rest is still read
        assert "a-good.md" in result.stdout


# (id, a config file's line, the command that reads it, what the message says)
BAD_CONFIG_VALUES = [
    ("severity", '[severity]\nGB301 = "loud"\n', "validate", "severity of GB301 must be"),
    ("unknown-rule", '[severity]\nGB999 = "error"\n', "validate", "unknown rule"),
    ("select", "select = 3\n", "validate", "'select' must be a list"),
    ("fail-on", 'fail_on = "nope"\n', "validate", "fail_on must be one of"),
    ("mismatch-threshold", 'mismatch_threshold = "high"\n', "validate", "must be a number"),
    ("dedupe-threshold", "dedupe_threshold = 5\n", "dedupe", "dedupe_threshold must be in"),
    ("glossary", "glossary = 3\n", "validate", "glossary must be a TSV path"),
    ("mismatch-threshold-nan", "mismatch_threshold = nan\n", "validate", "must be a number"),
    ("id-pattern", '[template]\nid_pattern = "(("\n', "validate", "not a regular expression"),
]


@pytest.mark.parametrize(
    ("case", "line", "command", "needle"), BAD_CONFIG_VALUES, ids=[c[0] for c in BAD_CONFIG_VALUES]
)
@pytest.mark.parametrize("given", [False, True], ids=["found", "--config"])
def test_a_bad_config_value_names_the_config_file(
    case: str, line: str, command: str, needle: str, given: bool, tmp_path: Path
) -> None:
    config = tmp_path / ".gtcbrief.toml"
    config.write_text(line, encoding="utf-8")
    doc = tmp_path / "a.md"
    doc.write_text("# 每日参会快报\n\n## 【Keynote】机器人\n", encoding="utf-8")
    extra = ["--config", str(config)] if given else []
    result = runner.invoke(app, [*argv(command, str(doc)), *extra])
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert result.stderr.startswith(f"gtcbrief: {config}: "), result.stderr
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["parse", "validate", "stats", "grep", "dedupe"])
def test_an_unknown_encoding_is_refused_before_any_output(command: str) -> None:
    """stdout carries only data: no '[]' for the files that could not be read."""
    result = runner.invoke(app, [*argv(command, "samples/clean-brief.md"), "--encoding", "nope"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "gtcbrief: unknown encoding 'nope'\n"


def test_a_glossary_that_is_not_utf8_is_named_exit_2(tmp_path: Path) -> None:
    (tmp_path / "g.tsv").write_bytes("robot\t机器人\n".encode("gbk"))
    (tmp_path / ".gtcbrief.toml").write_text('glossary = "g.tsv"\n', encoding="utf-8")
    doc = tmp_path / "a.md"
    doc.write_text("# 每日参会快报\n\n## 【Keynote】机器人\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(doc)])
    assert result.exit_code == 2 and result.stderr.startswith(f"gtcbrief: {tmp_path / 'g.tsv'}: ")
    assert "not valid UTF-8" in result.stderr


def test_a_mismatch_threshold_that_is_not_a_number_is_a_usage_error() -> None:
    result = runner.invoke(
        app, ["validate", "samples/clean-brief.md", "--mismatch-threshold", "nan"]
    )
    assert result.exit_code == 2 and "not a number" in result.stderr


@pytest.mark.parametrize("command", ["parse", "validate", "stats", "dedupe"])
def test_a_directory_without_markdown_says_so_and_is_no_error(command: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("机器人\n", encoding="utf-8")
    result = runner.invoke(app, argv(command, str(tmp_path)))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"gtcbrief: no Markdown files found in {tmp_path}\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--version"], id="version"),
        pytest.param(["--help"], id="help"),
        pytest.param(["grep", "的", "samples", "--no-cache"], id="grep"),
        pytest.param(["grep", "的", "samples", "--no-cache", "--json"], id="grep-json"),
        pytest.param(["parse", "samples", "--format", "jsonl"], id="parse"),
        pytest.param(["validate", "samples", "--format", "json"], id="validate"),
        pytest.param(["stats", "samples"], id="stats-table"),
        pytest.param(["dedupe", "samples", "--format", "json"], id="dedupe"),
    ],
)
def test_output_that_cannot_be_written_is_an_io_error(args: list[str]) -> None:
    """Standard output on a full disk (``/dev/full``): one line and exit 2, not a bug's
    exit 3 with a traceback, nor a quiet 0 over output that never arrived."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "gtcbrief", *args],
            stdout=full, stderr=subprocess.PIPE, text=True, cwd=root, check=False,
        )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        "gtcbrief: cannot write the output: No space left on device"
    )
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", ["stats", "dedupe", "parse"])
def test_ctrl_c_says_interrupted_in_every_command(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate and grep said 'gtcbrief: interrupted'; the commands run through Typer
    ended with 130 and nothing on stderr."""
    from gtcbrief import loader
    from gtcbrief.cli import run

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(loader, "load_text", interrupt)
    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "1")
    assert run([command, "samples/clean-brief.md"]) == 130
    assert capsys.readouterr().err.endswith("gtcbrief: interrupted\n")
