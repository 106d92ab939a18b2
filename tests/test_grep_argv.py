"""A plain ``grep`` command line skips Typer, and means exactly what it means to Typer.

:func:`gtcbrief.commands.grep_argv.parse` either returns the request Typer
would build from the same arguments or declines, and a declined command line
goes to Typer, which parses it or reports the problem as it always has.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EntryAndApp, TyperCall
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gtcbrief import __main__ as entry
from gtcbrief.cli import run
from gtcbrief.commands import grep_argv, grep_core
from gtcbrief.commands.grep_core import Request

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def typer_request(args: list[str], typer_call: TyperCall) -> Request | None:
    """The request Typer hands to ``grep_core.run`` for ``gtcbrief grep ARGS`` (None: refused)."""
    call = typer_call(["grep", *args], grep_core, "run")
    return None if call is None else call[0][0]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["注意力"], id="query-only"),
        pytest.param(["注意力", "samples", "-"], id="paths-and-stdin"),
        pytest.param(["-c", "rag", "samples", "-i"], id="flags-around-positionals"),
        pytest.param(["--format=jsonl", "rag"], id="long-option-equals"),
        pytest.param(["-fjson", "rag"], id="short-option-attached"),
        pytest.param(["-C", "2", "rag", "-m1", "--limit", "3"], id="ints-last-wins"),
        pytest.param(["rag", "-A", "1", "--before-context=2", "-C3"], id="before-and-after"),
        pytest.param(["RAG", "-S", "--smart-case"], id="smart-case"),
        pytest.param(["注意", "-w", "--word-regexp"], id="word-regexp"),
        pytest.param(["注意", "--json", "-C1"], id="ripgrep-json"),
        pytest.param(["注意", "-l", "-0", "--null"], id="null"),
        pytest.param(["rag", "--regex-timeout", ".5", "--sort", "path"], id="float"),
        pytest.param(["rag", "--regex-timeout", "5."], id="float-trailing-dot"),
        pytest.param(["rag", "--cache-dir", "x/y", "--no-cache", "-v", "-e"], id="path"),
        pytest.param(["--", "-排除", "samples"], id="double-dash"),
        pytest.param(["rag", "--", "--count"], id="double-dash-path"),
        pytest.param(["rag", "--config", "c.toml", "--doc-format", "brief"], id="strings"),
        pytest.param(["rag", "--encoding", "gb18030", "--stdin-filename", "a.md"], id="input"),
        pytest.param(["rag", "-l", "-s", "--full-lines", "--count"], id="more-flags"),
        pytest.param(["rag", "--format", ""], id="empty-value-is-checked-later"),
    ],
)
def test_plain_command_lines_parse_as_typer_parses_them(
    args: list[str], typer_call: TyperCall
) -> None:
    fast = grep_argv.parse(args)
    assert fast is not None
    assert fast == typer_request(args, typer_call)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="no-query"),
        pytest.param(["--help"], id="help"),
        pytest.param(["rag", "-h"], id="short-help"),
        pytest.param(["-ic", "rag"], id="grouped-flags"),
        pytest.param(["rag", "--limit", "0"], id="below-range"),
        pytest.param(["rag", "-C", "-1"], id="negative"),
        pytest.param(["rag", "--context=x"], id="not-a-number"),
        pytest.param(["rag", "--format"], id="missing-value"),
        pytest.param(["rag", "--nope"], id="unknown-option"),
        pytest.param(["-排除"], id="option-looking-query"),
        pytest.param(["rag", "--count=1"], id="flag-with-value"),
        pytest.param(["rag", "--regex-timeout", "1e3"], id="exotic-float"),
        pytest.param(["rag", "--cache-dir", ""], id="empty-path"),
        pytest.param(["rag", "--format", "-x"], id="option-looking-value"),
    ],
)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert grep_argv.parse(args) is None


TOKENS = st.sampled_from(
    [
        "rag", "注意力", "samples", "-", "--", "-c", "-l", "-i", "-s", "-e", "-v", "-ic",
        "--count", "--files-with-matches", "--full-lines", "--no-cache", "--regex", "-f",
        "--format", "json", "jsonl", "--format=json", "-fjson", "-C", "--context", "-C2",
        "--context=3", "2", "0", "-1", "-m", "--limit", "--limit=0", "x", "--sort", "path",
        "--regex-timeout", "0.5", "1e3", "--cache-dir", "", "--config", "--doc-format",
        "--encoding", "--stdin-filename", "--help", "-h", "--nope", "-x", "a=b",
    ]
)  # fmt: skip


@settings(max_examples=300)
@given(args=st.lists(TOKENS, max_size=7))
def test_whatever_the_fast_parser_accepts_typer_reads_the_same(
    args: list[str], typer_call: TyperCall
) -> None:
    fast = grep_argv.parse(args)
    if fast is not None:
        assert fast == typer_request(args, typer_call)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["grep", "注意力", "samples"], id="text"),
        pytest.param(["grep", "rag", "samples", "--format", "jsonl"], id="jsonl"),
        pytest.param(["grep", "nothing-like-this", "samples"], id="no-match"),
        pytest.param(["grep", "rag", "samples", "--format", "xml"], id="bad-format"),
        pytest.param(["grep", "rag", "no/such/dir"], id="missing-path"),
        pytest.param(["grep", "-ic", "rag", "samples"], id="declined-to-typer"),
    ],
)
def test_the_entry_point_answers_as_the_typer_app_does(
    args: list[str], entry_and_app: EntryAndApp
) -> None:
    through_entry, through_app = entry_and_app(args)
    assert through_entry == through_app


@pytest.mark.parametrize(
    "limit", [pytest.param(1 << 20, id="held-to-the-end"), pytest.param(1, id="held-1-byte")]
)
@pytest.mark.parametrize("fmt", ["text", "jsonl", "json"])
def test_a_search_after_a_change_shows_only_the_fresh_answer(
    limit: int,
    fmt: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The index is presumed fresh while the files are looked at; a change is caught
    before anything of the stale answer reaches standard output."""
    import shutil

    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "samples", docs)
    args = ["grep", "注意力", str(docs), "--format", fmt, "--cache-dir", str(tmp_path / "c")]
    monkeypatch.setattr(grep_core._Held, "LIMIT", limit)
    assert entry.main(args) == 0  # builds the index
    capsys.readouterr()
    brief = docs / "gtc-daily-brief.md"
    brief.write_text(brief.read_text("utf-8").replace("注意力", "注意力与注意力"), "utf-8")
    code = entry.main(args)
    after = capsys.readouterr()
    assert code == run([*args[:-2], "--no-cache"])
    assert after.out == capsys.readouterr().out
    assert after.out.count("注意力与注意力") > 0


def test_a_real_process_ends_with_the_same_output_and_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line ends a plain grep with ``os._exit`` once all is written."""
    import subprocess
    import sys

    cache = ["--cache-dir", str(tmp_path)]
    for query, status in (("注意力", 0), ("nothing-like-this", 1)):
        args = ["grep", query, "samples", *cache]
        proc = subprocess.run(
            [sys.executable, "-m", "gtcbrief", *args], cwd=ROOT, capture_output=True, text=True
        )
        assert run(args) == proc.returncode == status
        assert proc.stdout == capsys.readouterr().out and proc.stderr == ""


def test_a_reader_that_leaves_early_ends_the_run_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    docs = tmp_path / "docs"
    docs.mkdir()
    brief = (ROOT / "samples" / "gtc-daily-brief.md").read_text("utf-8")
    for n in range(40):  # far more output than a pipe holds
        (docs / f"b{n:02}.md").write_text(brief, "utf-8")
    command = (
        f"{sys.executable} -m gtcbrief grep 的 {docs} --full-lines --cache-dir {tmp_path / 'c'}"
    )
    whole = subprocess.run(command, shell=True, capture_output=True, text=True)
    assert len(whole.stdout.encode()) > 1 << 17
    proc = subprocess.run(f"{command} | head -c 10", shell=True, capture_output=True, text=True)
    assert len(proc.stdout) == 10 and proc.stderr == ""


def test_the_walk_starts_before_the_search_is_imported_and_sqlite3_never_is(
    tmp_path: Path,
) -> None:
    """A plain grep forks its walk first; ``re``, SQLite and the search are imported while
    it runs (the walk takes about as long as a warm search). SQLite comes in through its
    C module alone."""
    import subprocess
    import sys

    code = "\n".join(
        [
            "import sys, gtcbrief.walk as walk",
            "real = walk.Walk.__init__",
            "def init(self, paths):",
            "    heavy = ('re', '_sqlite3', 'sqlite3', 'gtcbrief.search', 'gtcbrief.index')",
            "    print('walk', [m for m in heavy if m in sys.modules], file=sys.stderr)",
            "    real(self, paths)",
            "walk.Walk.__init__ = init",
            "from gtcbrief.__main__ import main",
            "code = main(['grep', '注意力', 'samples', '--cache-dir', sys.argv[1]])",
            "loaded = [m for m in ('sqlite3', 'datetime') if m in sys.modules]",
            "print('end', loaded, file=sys.stderr)",
            "sys.exit(code)",
        ]
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0 and "注意力" in proc.stdout
    # the index reads SQLite through ``_sqlite3``: ``sqlite3`` would import ``datetime``
    assert proc.stderr == "walk []\nend []\n"


def test_without_paths_both_ways_search_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    here = tmp_path / "here"
    (here / "sub").mkdir(parents=True)
    shutil.copy(ROOT / "samples" / "gtc-daily-brief.md", here / "sub" / "brief.md")
    monkeypatch.chdir(here)
    cache = ["--cache-dir", str(tmp_path / "c")]
    assert entry.main(["grep", "注意力", "-c", *cache]) == 0  # the plain command line
    plain = capsys.readouterr().out
    assert plain.startswith(("sub/brief.md:", "./sub/brief.md:"))
    assert run(["grep", "注意力", "-c", *cache]) == 0  # through Typer
    assert capsys.readouterr().out == plain
