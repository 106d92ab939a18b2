"""A plain ``validate`` command line skips Typer, and means exactly what it means to Typer.

:func:`gtcbrief.commands.validate_argv.parse` either returns the keywords Typer would
pass to :func:`gtcbrief.commands.validate_core.run` for the same arguments or
declines, and a declined command line goes to Typer, which parses it or reports the
problem as it always has.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from conftest import EntryAndApp, TyperCall
from hypothesis import given, settings
from hypothesis import strategies as st

from gtcbrief.cli import run
from gtcbrief.commands import validate_argv, validate_core

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = {name: p.default for name, p in inspect.signature(validate_core.run).parameters.items()}


def typer_keywords(args: list[str], typer_call: TyperCall) -> dict[str, Any] | None:
    """What Typer passes to ``validate_core.run`` for ``gtcbrief validate ARGS`` (None: refused)."""
    call = typer_call(["validate", *args], validate_core, "run")
    return None if call is None else call[1]


def fast_keywords(args: list[str]) -> dict[str, Any] | None:
    parsed = validate_argv.parse(args)
    return None if parsed is None else {**DEFAULTS, **parsed}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["brief.md"], id="one-file"),
        pytest.param(["a.md", "b.md", "-q"], id="files-and-quiet"),
        pytest.param(["-q", "reports", "-"], id="flag-first-and-stdin"),
        pytest.param(["--format=json", "a.md"], id="long-option-equals"),
        pytest.param(["-fjsonl", "a.md", "--format", "github"], id="last-format-wins"),
        pytest.param(["a.md", "--select", "GB1,GB2", "--select", "GB301"], id="select-repeated"),
        pytest.param(["a.md", "--ignore=GB110", "--fail-on", "warning"], id="ignore-fail-on"),
        pytest.param(["a.md", "--mismatch-threshold", "0.4"], id="threshold"),
        pytest.param(["a.md", "--mismatch-threshold", "1.01", "--explain"], id="explain"),
        pytest.param(["a.md", "--exit-zero", "--quiet"], id="exit-zero"),
        pytest.param(["a.md", "--fix"], id="fix"),
        pytest.param(["a.md", "--diff"], id="diff"),
        pytest.param(["--", "-odd-name.md"], id="double-dash"),
        pytest.param(["a.md", "--config", "c.toml", "--doc-format", "brief"], id="strings"),
        pytest.param(["-", "--encoding", "gb18030", "--stdin-filename", "a.md"], id="input"),
        pytest.param(["a.md", "--format", ""], id="empty-value-is-checked-later"),
    ],
)
def test_plain_command_lines_parse_as_typer_parses_them(
    args: list[str], typer_call: TyperCall
) -> None:
    fast = fast_keywords(args)
    assert fast is not None
    assert fast == typer_keywords(args, typer_call)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="no-paths"),
        pytest.param(["--list-rules"], id="list-rules"),
        pytest.param(["--help"], id="help"),
        pytest.param(["a.md", "-h"], id="short-help"),
        pytest.param(["-qf", "json", "a.md"], id="grouped-flags"),
        pytest.param(["a.md", "--mismatch-threshold", "1e-3"], id="exotic-float"),
        pytest.param(["a.md", "--mismatch-threshold", "-1"], id="negative"),
        pytest.param(["a.md", "--format"], id="missing-value"),
        pytest.param(["a.md", "--nope"], id="unknown-option"),
        pytest.param(["a.md", "--quiet=1"], id="flag-with-value"),
        pytest.param(["a.md", "--select", "-x"], id="option-looking-value"),
    ],
)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert validate_argv.parse(args) is None


TOKENS = st.sampled_from(
    [
        "a.md", "samples", "-", "--", "-q", "--quiet", "--exit-zero", "--fix", "--diff",
        "--explain", "--list-rules", "-f", "--format", "json", "--format=sarif", "-fjson",
        "--select", "GB1", "--select=GB301", "--ignore", "GB110", "--fail-on", "warning",
        "--mismatch-threshold", "0.5", "1e3", "--config", "--doc-format", "--encoding",
        "--stdin-filename", "--help", "-h", "--nope", "-x", "-qf", "a=b",
    ]
)  # fmt: skip


@settings(max_examples=300)
@given(args=st.lists(TOKENS, max_size=7))
def test_whatever_the_fast_parser_accepts_typer_reads_the_same(
    args: list[str], typer_call: TyperCall
) -> None:
    fast = fast_keywords(args)
    if fast is not None:
        assert fast == typer_keywords(args, typer_call)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["validate", "samples"], id="text"),
        pytest.param(["validate", "samples", "--format", "json", "-q"], id="json"),
        pytest.param(["validate", "samples/clean-brief.md"], id="clean"),
        pytest.param(["validate", "samples", "--format", "xml"], id="bad-format"),
        pytest.param(["validate", "no/such/file.md"], id="missing-path"),
        pytest.param(["validate", "samples", "--fail-on", "never"], id="bad-fail-on"),
        pytest.param(["validate", "-qf", "json", "samples"], id="declined-to-typer"),
    ],
)
def test_the_entry_point_answers_as_the_typer_app_does(
    args: list[str], monkeypatch: pytest.MonkeyPatch, entry_and_app: EntryAndApp
) -> None:
    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "1")
    through_entry, through_app = entry_and_app(args)
    assert through_entry == through_app


def test_a_real_process_answers_as_the_typer_app_does(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    monkeypatch.chdir(ROOT)
    for args in (["validate", "samples", "-q"], ["validate", "samples/clean-brief.md"]):
        proc = subprocess.run(
            [sys.executable, "-m", "gtcbrief", *args], cwd=ROOT, capture_output=True, text=True
        )
        assert run(args) == proc.returncode
        assert proc.stdout == capsys.readouterr().out
