"""The document cache: a loaded file comes back equal, from the cache, until it changes."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gtcbrief import cache
from gtcbrief.cache import DocumentCache, TextsStore
from gtcbrief.config import DEFAULT, Template
from gtcbrief.errors import GtcbriefError
from gtcbrief.loader import iter_documents, load_path, load_text
from gtcbrief.model import Document

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.md"))
EDGE = sorted((ROOT / "tests" / "data" / "loader").glob("*.md"))


def test_the_inputs_were_found() -> None:
    assert len(SAMPLES) >= 3 and EDGE


@pytest.mark.parametrize("path", SAMPLES + EDGE, ids=lambda p: p.name)
def test_encoding_round_trips_every_field(path: Path) -> None:
    doc = load_path(str(path))
    back = cache.loads(cache.dumps(doc), doc.path, doc.source)
    assert back == doc
    assert back.source == doc.source  # not compared by ==
    assert back.to_dict() == doc.to_dict()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.sampled_from(
            list("#【】:：,，、（）()-*\n\n  abc实事描述主题撰稿人12345678<!->[]")
        ),
        max_size=400,
    )
)
def test_any_loaded_text_round_trips(text: str) -> None:
    doc = load_text(text, "x.md")
    assert cache.loads(cache.dumps(doc), "x.md", text) == doc


def _corpus(folder: Path, copies: int = 20) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(copies):
        src = SAMPLES[i % len(SAMPLES)]
        dst = folder / f"{i:02d}-{src.name}"
        # Each file its own text (identical texts share one cache entry).
        dst.write_text(src.read_text(encoding="utf-8") + f"\n<!-- copy {i} -->\n", "utf-8")
        out.append(dst)
    return out


def test_identical_texts_share_one_entry_but_keep_their_paths(tmp_path: Path) -> None:
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    text = SAMPLES[0].read_text(encoding="utf-8")
    a.write_text(text, "utf-8")
    b.write_text(text, "utf-8")
    store = DocumentCache(DEFAULT, tmp_path / "c")
    da, db = iter_documents([str(a), str(b)], cache=store, jobs=1)
    assert (store.hits, store.misses) == (1, 1)
    assert db == load_path(str(b)) and {e.path for e in db.entries} == {str(b)}
    assert da.path == str(a)


def test_second_run_comes_from_the_cache_and_is_equal(tmp_path: Path) -> None:
    files = _corpus(tmp_path / "reports")
    store = DocumentCache(DEFAULT, tmp_path / "c")
    first = list(iter_documents([str(tmp_path / "reports")], cache=store, jobs=1))
    assert (store.hits, store.misses) == (0, len(files))
    again = DocumentCache(DEFAULT, tmp_path / "c")
    second = list(iter_documents([str(tmp_path / "reports")], cache=again, jobs=1))
    assert again.hits == len(files)
    assert second == first
    assert [d.source for d in second] == [d.source for d in first]


def test_an_edited_file_misses_and_the_others_hit(tmp_path: Path) -> None:
    files = _corpus(tmp_path / "reports", copies=4)
    list(iter_documents([str(tmp_path / "reports")], cache=DocumentCache(DEFAULT, tmp_path / "c")))
    files[1].write_text(files[1].read_text(encoding="utf-8") + "\n## 【Keynote】新增\n")
    store = DocumentCache(DEFAULT, tmp_path / "c")
    docs = list(iter_documents([str(tmp_path / "reports")], cache=store, jobs=1))
    assert (store.hits, store.misses) == (3, 1)
    assert docs[1] == load_path(str(files[1]))


def test_the_template_and_doc_format_are_part_of_the_key(tmp_path: Path) -> None:
    (brief,) = _corpus(tmp_path / "r", copies=1)
    folder = tmp_path / "c"
    list(iter_documents([str(brief)], cache=DocumentCache(DEFAULT, folder)))
    for config in (
        DEFAULT._replace(doc_format="markdown"),
        DEFAULT._replace(template=Template(author_prefix="作者")),
    ):
        store = DocumentCache(config, folder)
        (doc,) = iter_documents([str(brief)], cache=store, config=config)
        assert store.hits == 0
        assert doc == load_path(str(brief), config=config)


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\xe9\x01\x02\x03"], ids=repr)
def test_a_damaged_entry_is_a_miss_and_is_rewritten(tmp_path: Path, damage: bytes) -> None:
    (brief,) = _corpus(tmp_path / "r", copies=1)
    folder = tmp_path / "c"
    list(iter_documents([str(brief)], cache=DocumentCache(DEFAULT, folder)))
    (entry,) = [p for p in folder.rglob("*") if p.is_file()]
    entry.write_bytes(damage)
    store = DocumentCache(DEFAULT, folder)
    (doc,) = iter_documents([str(brief)], cache=store)
    assert (store.hits, store.misses) == (0, 1)
    assert doc == load_path(str(brief))
    again = DocumentCache(DEFAULT, folder)
    list(iter_documents([str(brief)], cache=again))
    assert again.hits == 1


def test_a_cache_folder_that_cannot_be_written_only_slows_loading(tmp_path: Path) -> None:
    (brief,) = _corpus(tmp_path / "r", copies=1)
    blocker = tmp_path / "c"
    blocker.write_text("a file where the cache folder should be")
    store = DocumentCache(DEFAULT, blocker)
    (doc,) = iter_documents([str(brief)], cache=store)
    assert doc == load_path(str(brief))
    assert not store.writable


def test_gtcbrief_no_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (brief,) = _corpus(tmp_path / "r", copies=1)
    monkeypatch.setenv("GTCBRIEF_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "1")
    list(iter_documents([str(brief)]))
    assert not (tmp_path / "c").exists()
    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "0")
    list(iter_documents([str(brief)]))
    assert any(p.is_file() for p in (tmp_path / "c").rglob("*"))


def test_entries_unused_for_a_month_are_pruned_after_a_write(tmp_path: Path) -> None:
    files = _corpus(tmp_path / "r", copies=2)
    folder = tmp_path / "c"
    list(iter_documents([str(files[0])], cache=DocumentCache(DEFAULT, folder)))
    (old,) = [p for p in folder.rglob("*") if p.is_file()]
    past = time.time() - (cache.MAX_AGE_DAYS + 1) * 86400
    os.utime(old, (past, past))
    store = DocumentCache(DEFAULT, folder)
    list(iter_documents([str(files[1])], cache=store))  # a write: prunes
    assert not old.exists()
    assert len([p for p in folder.rglob("*") if p.is_file()]) == 1


def test_worker_processes_give_the_same_documents_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtcbrief import workers

    _corpus(tmp_path / "r", copies=24)
    (tmp_path / "r" / "05-binary.md").write_bytes(b"\x00\x01 not text")
    errors: list[GtcbriefError] = []
    one = list(iter_documents([str(tmp_path / "r")], jobs=1, cache=False, on_error=errors.append))
    answers: list[object] = []
    real = workers.Workers.result

    def result(self: workers.Workers, ticket: int) -> object:
        answers.append(real(self, ticket))
        return answers[-1]

    monkeypatch.setattr(workers.Workers, "result", result)
    two = list(iter_documents([str(tmp_path / "r")], jobs=3, cache=False, on_error=errors.append))
    assert two == one and len(one) == 24
    # the workers' answers were used (a job that fails is done again here, more slowly)
    assert answers and workers.FAILED not in answers
    assert [d.path for d in two] == sorted(d.path for d in two)
    assert [e.path for e in errors] == [str(tmp_path / "r" / "05-binary.md")] * 2


def test_workers_fill_the_cache_for_the_next_run(tmp_path: Path) -> None:
    _corpus(tmp_path / "r", copies=20)
    folder = tmp_path / "c"
    first = list(
        iter_documents([str(tmp_path / "r")], jobs=2, cache=DocumentCache(DEFAULT, folder))
    )
    store = DocumentCache(DEFAULT, folder)
    assert list(iter_documents([str(tmp_path / "r")], jobs=2, cache=store)) == first
    assert store.hits == 20


def test_entries_are_kept_without_subfolders_and_old_subfolders_are_pruned(
    tmp_path: Path,
) -> None:
    files = _corpus(tmp_path / "r", copies=3)
    folder = tmp_path / "c"
    legacy = folder / "ab" / "cdef"  # where an entry was kept before
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"old")
    past = time.time() - (cache.MAX_AGE_DAYS + 1) * 86400
    os.utime(legacy, (past, past))
    list(iter_documents([str(f) for f in files], cache=DocumentCache(DEFAULT, folder)))
    assert not legacy.parent.exists()
    assert [p.is_file() for p in folder.iterdir()] == [True] * 3


def test_a_load_that_raises_in_either_process_raises_here_in_its_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gtcbrief.loader as loader

    files = _corpus(tmp_path / "r", copies=20)
    real = loader.load_text

    def broken(text: str, path: str, **kwargs: Any) -> Document:
        if path == str(files[7]):
            raise ValueError("a loader bug")
        return real(text, path, **kwargs)

    monkeypatch.setattr(loader, "load_text", broken)
    loaded: list[Document] = []
    with pytest.raises(ValueError, match="a loader bug"):
        loaded.extend(iter_documents([str(tmp_path / "r")], jobs=2, cache=False))
    assert [d.path for d in loaded] == [str(f) for f in files[:7]]


def test_a_texts_key_tells_where_each_text_ends_and_what_made_them(tmp_path: Path) -> None:
    key = TextsStore(tmp_path, b"made by this").key
    assert key(["ab", "c"]) != key(["a", "bc"])
    assert key(["ab", "c"]) == TextsStore(tmp_path / "elsewhere", b"made by this").key(["ab", "c"])
    assert key(["ab", "c"]) != TextsStore(tmp_path, b"made by that").key(["ab", "c"])
