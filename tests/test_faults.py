"""Faults: nothing is lost or half-written when a write fails or a process dies."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gtcbrief.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

DAMAGED = (
    "# 每日参会快报\n\n## 【Keynote】开幕演讲   \n\n### 主题\nKeynote - Opening\n\n"
    "### 演讲人或相关公司\nJensen Huang（CEO, NVIDIA）\n\n### 实事描述\n发布新一代 GPU。\n\n"
    "### 对华为的启示\n关注。\n\n撰稿人:张三 12345678\n---\n"
)


def test_a_failed_fix_write_leaves_the_original_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "brief.md"
    path.write_text(DAMAGED, encoding="utf-8")
    path.chmod(0o640)

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)  # the fault: the disk fills mid-write
    result = runner.invoke(app, ["validate", str(path), "--fix"])
    assert result.exit_code == 2
    assert f"{path}: cannot write: No space left on device" in result.stderr
    assert path.read_text(encoding="utf-8") == DAMAGED
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    assert [p.name for p in folder.iterdir()] == ["brief.md"]  # no temp file left behind
    monkeypatch.undo()
    fixed = runner.invoke(app, ["validate", str(path), "--fix"])
    assert "撰稿人：张三 12345678\n\n---" in path.read_text(encoding="utf-8"), fixed.stderr


def _corpus(folder: Path, files: int) -> None:
    brief = (ROOT / "samples" / "gtc-daily-brief.md").read_text(encoding="utf-8")
    folder.mkdir()
    for i in range(files):
        (folder / f"{i:03d}.md").write_text(brief.replace("机器人", f"机器人{i}"), encoding="utf-8")


def _grep(*args: str) -> list[tuple[str, int]]:
    result = runner.invoke(app, ["grep", "机器人", *args, "--format", "jsonl", "--sort", "path"])
    assert result.exit_code == 0, result.stderr
    return [(r["path"], r["line"]) for r in map(json.loads, result.stdout.splitlines())]


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux's /proc)."""
    found = []
    for task in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = task.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(task.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent that is gone."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_an_index_build_killed_midway_leaves_correct_results(tmp_path: Path) -> None:
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    _corpus(corpus, 120)
    env = {**os.environ, "GTCBRIEF_CACHE_DIR": str(cache), "GTCBRIEF_JOBS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gtcbrief", "grep", "机器人", str(corpus), "-c"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(cache.rglob("*")):
        time.sleep(0.01)  # wait until the build has started writing
    time.sleep(0.2)
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # its workers end with it: none may go on holding a pipeline's stdout open
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(_alive, workers)):
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)]
    expected = _grep(str(corpus), "--no-cache")
    assert len(expected) > 120
    assert _grep(str(corpus), "--cache-dir", str(cache)) == expected
    assert _grep(str(corpus), "--cache-dir", str(cache)) == expected  # and again, warm


# ------------------------------------------------------- a worker process dies


def _die(*_: object) -> object:
    """Stands in for a worker's job: the process is killed (as by the OOM killer)."""
    os._exit(9)


def _briefs(folder: Path, count: int) -> Path:
    folder.mkdir()
    text = (ROOT / "samples" / "gtc-daily-brief.md").read_text(encoding="utf-8")
    for i in range(count):
        (folder / f"{i:02d}.md").write_text(text + f"\n<!-- {i} -->\n", encoding="utf-8")
    return folder


def test_a_loader_worker_that_dies_is_an_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deadline: object
) -> None:
    import gtcbrief.loader as loader
    from gtcbrief.workers import WorkerDied

    folder = _briefs(tmp_path / "r", 20)
    monkeypatch.setattr(loader, "_load_job", _die)
    with pytest.raises(WorkerDied):
        list(loader.iter_documents([str(folder)], jobs=2, cache=False))


def test_validate_whose_second_process_dies_exits_3_with_a_message(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    deadline: object,
) -> None:
    from gtcbrief.cli import run
    from gtcbrief.rules import engine

    folder = _briefs(tmp_path / "r", 3)
    monkeypatch.setattr(engine, "PARALLEL_FROM", 1)
    monkeypatch.setattr(engine, "_side_rules", _die)
    assert run(["validate", str(folder)]) == 3
    assert "internal error: BrokenProcessPool" in capsys.readouterr().err


@pytest.mark.parametrize("debug", ["", "1"])
def test_a_bug_exits_3_with_a_traceback_only_when_asked(
    debug: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """GTCBRIEF_DEBUG=1 adds the traceback; the exit stays the bug's (3), never the
    findings' (1) a script would read."""
    from gtcbrief import stats
    from gtcbrief.cli import run

    def bug(*_args: object, **_kwargs: object) -> object:
        raise ZeroDivisionError("planted")

    monkeypatch.setenv("GTCBRIEF_DEBUG", debug)
    monkeypatch.setattr(stats, "summarize_files", bug)
    assert run(["stats", str(ROOT / "samples")]) == 3
    err = capsys.readouterr().err
    assert ("Traceback" in err) == bool(debug) and "planted" in err
