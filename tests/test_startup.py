"""Start fast (the version check imports none of the heavy libraries), and end fast:
a real process ends with ``os._exit`` once all is written, with the same output."""

from __future__ import annotations

import os
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


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        pytest.param(["--help"], True, id="the-program"),
        pytest.param(["-h"], True, id="short"),
        pytest.param(["validate", "--help"], True, id="a-command"),
        pytest.param(["validate", "samples", "--help"], False, id="with-other-arguments"),
        pytest.param(["nosuch", "--help"], False, id="not-a-command"),
        pytest.param(["--help", "validate"], False, id="help-first"),
        pytest.param([], False, id="nothing"),
    ],
)
def test_only_a_plain_request_for_help_is_served_from_the_cache(
    args: list[str], wanted: bool
) -> None:
    from gtcbrief import helpcache
    from gtcbrief.edge import COMMANDS

    assert helpcache.wants(args, COMMANDS) is wanted


def test_the_commands_named_at_the_edge_are_the_apps() -> None:
    from gtcbrief.cli import app
    from gtcbrief.edge import COMMANDS

    assert tuple(c.name or c.callback.__name__ for c in app.registered_commands) == COMMANDS  # type: ignore[union-attr]


def test_help_from_the_cache_is_the_help_as_written(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("GTCBRIEF_CACHE_DIR", None)
    kept = tmp_path / "gtcbrief" / "help"

    def helped(*args: str, **extra: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "gtcbrief", *args],
            capture_output=True,
            text=True,
            env={**env, **extra},
            check=True,
        )
        return proc.stdout

    for args in (["--help"], ["validate", "-h"]):
        fresh = helped(*args, GTCBRIEF_NO_CACHE="1")
        assert helped(*args) == fresh  # written, and kept
        assert helped(*args) == fresh  # from the cache
    assert len(list(kept.iterdir())) == 2
    assert helped("validate", "-h", PWD="/elsewhere") == fresh
    assert len(list(kept.iterdir())) == 2  # a shell's moving about is no change
    narrow = helped("validate", "-h", COLUMNS="60")
    assert narrow != helped("validate", "-h") and len(list(kept.iterdir())) == 3
    assert narrow == helped("validate", "-h", COLUMNS="60", GTCBRIEF_NO_CACHE="1")
    for cut in kept.iterdir():  # cut short (a full disk, an editor): not the help
        cut.write_text(cut.read_text(encoding="utf-8")[:40], encoding="utf-8")
    assert helped("validate", "-h") == fresh
    assert helped("validate", "-h") == fresh  # kept whole again


def test_an_edited_module_is_a_new_help(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import os

    from gtcbrief import cli, helpcache

    class Terminal(io.StringIO):
        def fileno(self) -> int:
            return sys.__stdout__.fileno()  # type: ignore[union-attr]

    monkeypatch.setattr(sys, "stdout", Terminal())
    before = helpcache._key(["--help"])
    st = os.stat(cli.__file__)
    try:
        os.utime(cli.__file__, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
        after = helpcache._key(["--help"])
    finally:
        os.utime(cli.__file__, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert before is not None and after is not None and before != after
    assert helpcache._key(["--help"]) == before


#: Threads of a process once numpy is imported, after a gtcbrief run or without one.
_THREADS_AFTER_NUMPY = """
import os, sys
if sys.argv[1] == "run":
    from gtcbrief.__main__ import main
    main(["validate", "samples/gtc-daily-brief.md", "--format", "json"])
import numpy
print("threads", len(os.listdir("/proc/self/task")))
"""


def _threads_after_numpy(run: bool) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", _THREADS_AFTER_NUMPY, "run" if run else "bare"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"},
    )
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.rsplit("threads", 1)[1])


def test_numpy_in_a_gtcbrief_run_starts_no_blas_threads() -> None:
    """OpenBLAS's threads spin for ≈0.1 s of CPU after numpy's import, taken from the
    other process of a run on both cores; gtcbrief does no linear algebra."""
    pytest.importorskip("numpy")
    if not Path("/proc/self/task").is_dir():
        pytest.skip("no /proc to count threads in")
    if _threads_after_numpy(run=False) == 1:
        pytest.skip("numpy's BLAS starts no threads here (one core, or another BLAS)")
    assert _threads_after_numpy(run=True) == 1
