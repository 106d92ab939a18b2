"""The benchmark corpus generator (bench/gen_corpus.py) makes what the benchmarks assume."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from gtcbrief.loader import load_path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"

pytestmark = pytest.mark.skipif(
    not (SHARED / "corpus" / "daily-arxiv").is_dir(), reason="../shared corpus not present"
)


@pytest.fixture(scope="module")
def gen(bench_script: Callable[[str], ModuleType]) -> ModuleType:
    return bench_script("gen_corpus")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _containment(a: str, b: str) -> float:
    """Share of the character 3-grams of ``a`` that also occur in ``b``."""
    grams = {a[i : i + 3] for i in range(len(a) - 2)}
    other = {b[i : i + 3] for i in range(len(b) - 2)}
    return len(grams & other) / len(grams)


def test_same_seed_same_bytes_other_seed_other_text(gen: ModuleType, tmp_path: Path) -> None:
    gen.main(["--entries", "120", "--seed", "7", "--out", str(tmp_path / "a")])
    gen.main(["--entries", "120", "--seed", "7", "--out", str(tmp_path / "b")])
    gen.main(["--entries", "120", "--seed", "8", "--out", str(tmp_path / "c")])
    a, b, c = (_files(tmp_path / x) for x in "abc")
    assert len(a) == 120 // 20 + 1  # six briefs and the manifest
    assert a == b
    assert a.keys() == c.keys() and a != c


def test_loads_as_briefs_with_the_expected_entries(gen: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    gen.main(["--entries", "210", "--seed", "3", "--out", str(out)])
    docs = [load_path(str(p)) for p in sorted(out.rglob("*.md"))]
    assert len(docs) == 11  # 20 a file, the last one short
    assert {d.format for d in docs} == {"brief"}
    assert {d.title for d in docs} == {"每日参会快报"}
    assert sum(len(d.entries) for d in docs) == 210
    entries = [e for d in docs for e in d.entries]
    assert all(e.kind and e.title and e.track and e.speakers for e in entries)
    assert all(len(a.id or "") == 8 for e in entries for a in e.authors)
    assert any(e.description is None for e in entries)  # unfinished entries exist
    assert sum(e.description is not None for e in entries) > 150


def test_manifest_pairs_point_at_real_entries(gen: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    gen.main(["--entries", "400", "--seed", "5", "--out", str(out)])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["entries"] == 400 and manifest["seed"] == 5
    pairs = manifest["pairs"]
    assert len(pairs) == 12  # 3 %
    by_line = {}
    for path in out.rglob("*.md"):
        for entry in load_path(str(path)).entries:
            by_line[(path.relative_to(out).as_posix(), entry.line)] = entry
    for pair in pairs:
        a = by_line[(pair["a"]["path"], pair["a"]["line"])]
        b = by_line[(pair["b"]["path"], pair["b"]["line"])]
        assert (a.title, b.title) == (pair["a"]["title"], pair["b"]["title"])
        assert a.description and b.description
        if pair["kind"] == "exact":
            assert (a.title, a.description) == (b.title, b.description)
        else:
            assert a.description != b.description
            shared = _containment(a.description, b.description)
            assert shared >= (0.6 if pair["kind"] == "copied-description" else 0.35), pair
        if pair["kind"] == "same-session":
            assert (a.track, a.speakers) == (b.track, b.speakers)
            assert b.title in a.title


def test_writes_only_inside_out_and_refuses_a_foreign_directory(
    gen: ModuleType, tmp_path: Path
) -> None:
    out = tmp_path / "corpus"
    gen.main(["--entries", "40", "--out", str(out)])
    gen.main(["--entries", "20", "--out", str(out)])  # regenerating replaces the old corpus
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]
    assert len(list(out.rglob("*.md"))) == 1
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.md").write_text("keep me\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        gen.main(["--entries", "20", "--out", str(tmp_path / "notes")])
    assert (tmp_path / "notes" / "mine.md").read_text(encoding="utf-8") == "keep me\n"
