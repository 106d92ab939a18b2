"""Start fast (the version check imports none of the heavy libraries), and end fast:
a real process ends with ``os._exit`` once all is written, with the same output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

HEAVY = ("typer", "rich", "mistletoe", "jieba", "rapidfuzz", "sqlite3")


#: What the ``gtcbrief`` console script runs (``-m`` would bring runpy's imports along).
SCRIPT = "import sys; from gtcbrief.__main__ import main; sys.exit(main())"


def _imported(*args: str, cwd: Path | None = None, script: bool = False) -> set[str]:
    how = ["-c", SCRIPT] if script else ["-m", "gtcbrief"]
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *how, *args],
        capture_output=True,
        text=True,
        check=args[0].startswith("-"),
        cwd=cwd,
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def test_version_imports_nothing_heavy() -> None:
    assert not (_imported("--version") & set(HEAVY))


def test_help_does_not_load_parsers_or_segmenters() -> None:
    assert not (_imported("--help") & {"mistletoe", "jieba", "rapidfuzz"})


def test_a_warm_grep_skips_typer_rich_and_the_parsers(tmp_path: Path) -> None:
    sample = ROOT / "samples" / "gtc-daily-brief.md"
    args = ("grep", "注意力", str(sample), "--cache-dir", str(tmp_path))
    _imported(*args)  # builds the index (that run may load the parser and segmenter)
    assert not (_imported(*args) & {"typer", "click", "rich", "mistletoe", "jieba", "rjieba"})


def test_a_warm_grep_skips_the_stdlib_modules_it_does_not_need(tmp_path: Path) -> None:
    # together ≈40 M instructions, over a tenth of a warm grep (see gtcbrief.tuples)
    sample = ROOT / "samples" / "gtc-daily-brief.md"
    args = ("grep", "注意力", str(sample), "--cache-dir", str(tmp_path / "index"))
    _imported(*args)
    assert not (
        _imported(*args, script=True)
        & {"typing", "pathlib", "threading", "signal", "csv", "json", "contextlib"}
    )


def test_a_real_process_ends_with_all_its_output_and_its_status(tmp_path: Path) -> None:
    import os

    from typer.testing import CliRunner

    from gtcbrief.cli import COMMANDS, app

    brief = (ROOT / "samples" / "gtc-daily-brief.md").read_text("utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(8):
        (docs / f"b{n}.md").write_text(brief, "utf-8")
    env = {"GTCBRIEF_NO_CACHE": "1", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    cases = [
        (["validate", str(docs), "--format", "json"], 1),
        (["parse", str(docs), "--format", "jsonl"], 0),
        (["stats", str(docs), "--format", "json"], 0),
        (["validate", str(docs / "missing.md")], 2),
    ]
    for args, status in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "gtcbrief", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, **env},
        )
        result = CliRunner().invoke(app, args, env=env)
        assert proc.returncode == result.exit_code == status, proc.stderr
        assert proc.stdout == result.stdout
        if args[0] == "validate" and status == 1:
            assert len(proc.stdout.encode()) > 1 << 16  # more than a pipe holds
    helped = subprocess.run(
        [sys.executable, "-m", "gtcbrief", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert helped.returncode == 0
    assert "Usage" in helped.stdout and all(c in helped.stdout for c in COMMANDS)


def test_only_a_process_that_ends_with_exit_keeps_what_commands_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc
    import weakref

    from gtcbrief import edge

    class Built:
        pass

    monkeypatch.setattr(edge, "_kept", None)
    built = Built()
    gone = weakref.ref(built)
    edge.keep(built)  # in-process (tests, the library): nothing is held on to
    del built
    gc.collect()
    assert gone() is None
    edge.ending_with_exit()
    built = Built()
    kept = weakref.ref(built)
    edge.keep(built)
    del built
    gc.collect()
    assert kept() is not None
