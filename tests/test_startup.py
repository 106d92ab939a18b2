"""Start fast: the version check imports none of the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("typer", "rich", "mistletoe", "jieba", "rapidfuzz", "sqlite3")


def _imported(*args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gtcbrief", *args],
        capture_output=True,
        text=True,
        check=True,
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
