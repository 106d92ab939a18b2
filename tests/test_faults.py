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
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    expected = _grep(str(corpus), "--no-cache")
    assert len(expected) > 120
    assert _grep(str(corpus), "--cache-dir", str(cache)) == expected
    assert _grep(str(corpus), "--cache-dir", str(cache)) == expected  # and again, warm
