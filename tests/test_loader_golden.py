"""Golden files: each sample Markdown beside the JSON the loader must produce.

Regenerate after an intended change with
``GTCBRIEF_UPDATE_GOLDEN=1 pytest tests/test_loader_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gtcbrief.loader import load_path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "loader"
SEEDS = [ROOT / "samples" / "gtc-daily-brief.md", ROOT / "samples" / "gtc-notes.md"]
CASES = [*SEEDS, *sorted(DATA.glob("*.md"))]


def test_the_glob_found_cases() -> None:
    assert len(CASES) >= 4


@pytest.mark.parametrize("source", CASES, ids=lambda p: p.name)
def test_loader_matches_golden(source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    relative = source.relative_to(ROOT).as_posix()
    actual = load_path(relative).to_dict()
    golden = DATA / (source.stem + ".golden.json")
    if os.environ.get("GTCBRIEF_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert golden.exists(), f"missing golden file {golden.name}; set GTCBRIEF_UPDATE_GOLDEN=1"
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert actual == expected
