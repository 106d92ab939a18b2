"""`stats`' top terms: the same words however they were segmented.

Words are segmented in this process or in the forked one that takes every
other file, or read back from the cache; the counts must not tell which.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from conftest import damage_kept_texts
from typer.testing import CliRunner

from gtcbrief import stats, terms
from gtcbrief.cli import app
from gtcbrief.loader import iter_documents, load_path
from gtcbrief.model import Document
from gtcbrief.stats import described, description_terms, is_term, summarize
from gtcbrief.text import latin_words, normalize, word_tokens

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(
    bench_script: Callable[[str], ModuleType], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """400 generated entries in 20 files: enough for stats to share them between two
    processes (from 16 files)."""
    if not (SHARED / "corpus" / "daily-arxiv").is_dir():
        pytest.skip("../shared corpus not present")
    out = tmp_path_factory.mktemp("reports")
    bench_script("gen_corpus").main(["--entries", "400", "--seed", "3", "--out", str(out)])
    return out


@pytest.fixture
def expected(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Top terms counted in this process alone, with nothing cached."""
    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "1")
    monkeypatch.setenv("GTCBRIEF_JOBS", "1")
    top = summarize(iter_documents([str(corpus)]), terms=8).to_dict()["top_terms"]
    monkeypatch.delenv("GTCBRIEF_NO_CACHE")
    monkeypatch.delenv("GTCBRIEF_JOBS")
    assert len(top) > 5
    return top  # type: ignore[no-any-return]


def top_terms(*paths: str) -> dict[str, object]:
    result = runner.invoke(app, ["stats", "--format", "json", *paths])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["top_terms"]  # type: ignore[no-any-return]


def words_cache() -> Path:
    return Path(os.environ["GTCBRIEF_CACHE_DIR"]) / f"terms-{terms.FORMAT}"


@pytest.fixture
def segmented_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[[], list[int]]]:
    """The process of each document segmented so far (read after the command)."""
    marks = tmp_path / "segmented-in"
    real = terms.segment

    def marked(texts: list[str]) -> list[str]:
        with open(marks, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
        return real(texts)

    monkeypatch.setattr(terms, "segment", marked)
    yield lambda: [int(line) for line in marks.read_text().split()] if marks.exists() else []


def test_description_terms_are_the_counted_words_of_a_description(corpus: Path) -> None:
    docs = [load_path(str(ROOT / "samples" / "gtc-daily-brief.md"))]
    docs += list(iter_documents([str(corpus)], cache=False, jobs=1))
    for entry in (e for doc in docs for e in described(doc)):
        norm = normalize(entry.description or "")
        words = {t for t in (*latin_words(norm), *word_tokens(norm, search=False)) if is_term(t)}
        got = description_terms(entry.description or "")
        assert len(got) == len(set(got)) and set(got) == words


@pytest.mark.parametrize("cached", ["nothing", "documents"])
def test_two_processes_each_segment_half_and_count_the_same(
    corpus: Path,
    expected: dict[str, object],
    segmented_in: Callable[[], list[int]],
    cached: str,
) -> None:
    if cached == "documents":
        runner.invoke(app, ["stats", "--terms", "0", str(corpus)])  # no words cached
        assert not words_cache().exists()
    assert top_terms(str(corpus)) == expected
    assert len(segmented_in()) == 20 and len(set(segmented_in()) - {os.getpid()}) == 1
    assert len(list(words_cache().iterdir())) == 20


def test_cached_words_are_read_back_not_segmented_again(
    corpus: Path, expected: dict[str, object], segmented_in: Callable[[], list[int]]
) -> None:
    assert top_terms(str(corpus)) == expected
    first = segmented_in()
    assert top_terms(str(corpus)) == expected
    assert segmented_in() == first  # no process segmented anything the second time


def test_damaged_cached_words_are_a_miss(
    corpus: Path, expected: dict[str, object], segmented_in: Callable[[], list[int]]
) -> None:
    assert top_terms(str(corpus)) == expected
    assert len(list(words_cache().iterdir())) == 20
    damaged = damage_kept_texts(words_cache())
    before = len(segmented_in())
    assert top_terms(str(corpus)) == expected
    assert len(segmented_in()) == before + damaged  # each damaged or missing one, again


def test_with_the_cache_off_or_one_process_the_counts_are_the_same(
    corpus: Path, expected: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "1")
    assert top_terms(str(corpus)) == expected
    assert not words_cache().exists()
    monkeypatch.delenv("GTCBRIEF_NO_CACHE")
    monkeypatch.setenv("GTCBRIEF_JOBS", "1")
    assert top_terms(str(corpus)) == expected


@pytest.mark.parametrize("how", ["raises", "dies"])
@pytest.mark.parametrize("words", [True, False], ids=["with words", "without words"])
def test_a_process_that_fails_leaves_its_files_to_this_one(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, how: str, words: bool
) -> None:
    args = ["stats", "--format", "json", str(corpus), *([] if words else ["--terms", "0"])]
    monkeypatch.setenv("GTCBRIEF_JOBS", "1")
    alone = runner.invoke(app, args)
    monkeypatch.delenv("GTCBRIEF_JOBS")
    parent, real = os.getpid(), stats.Tally.add

    def failing(self: stats.Tally, doc: Document) -> None:
        if os.getpid() != parent:
            if how == "dies":
                os._exit(1)
            raise RuntimeError("tallying failed")
        real(self, doc)

    monkeypatch.setattr(stats.Tally, "add", failing)
    both = runner.invoke(app, args)
    assert alone.exit_code == 0
    assert (both.exit_code, both.stdout) == (0, alone.stdout)
    assert json.loads(both.stdout)["entries"] == 400


def test_unreadable_files_of_either_process_are_reported_in_file_order(
    corpus: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    for i, path in enumerate(sorted(corpus.rglob("*.md"))):
        shutil.copy(path, folder / f"{i:02}.md")
    for name in ("02b.md", "08b.md"):  # the 4th and the 11th file: the other process's, ours
        (folder / name).write_bytes(b"binary\x00file")
    result = runner.invoke(app, ["stats", "--format", "json", str(folder)])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["entries"] == 400
    warned = [line.split(": ")[1] for line in result.stderr.splitlines()]
    assert warned == [str(folder / "02b.md"), str(folder / "08b.md")]


def test_the_same_descriptions_under_other_tracks_count_under_those(
    corpus: Path, tmp_path: Path, segmented_in: Callable[[], list[int]]
) -> None:
    """Words are cached by the descriptions alone; the tracks are the document's."""
    one = next(corpus.rglob("*.md"))
    moved = tmp_path / "moved.md"
    moved.write_text(re.sub(r"(?m)^(### 主题\n).*$", r"\1Moved - Here", one.read_text("utf-8")))

    def every_word(path: Path) -> dict[str, dict[str, int]]:
        top = top_terms("--terms", "100000", str(path))
        return {track: {i["term"]: i["count"] for i in items} for track, items in top.items()}  # type: ignore[attr-defined]

    by_track = every_word(one)
    assert len(by_track) > 1
    segmented = segmented_in()
    summed: Counter[str] = Counter()
    for words in by_track.values():
        summed.update(words)
    assert every_word(moved) == {"Moved": dict(summed)}
    assert segmented_in() == segmented  # read back from the cache
