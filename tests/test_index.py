"""The persistent index: incremental refresh, reuse, corruption, concurrency, location."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gtcbrief import index as index_module
from gtcbrief import text
from gtcbrief.config import Config
from gtcbrief.index import IndexStats, open_index, units_of
from gtcbrief.loader import load_text
from gtcbrief.search import Options, search
from gtcbrief.walk import Walk

ROOT = Path(__file__).resolve().parents[1]

NEW_ENTRY = """
---

## 【Talks & Panels】量子计算模拟新进展

### 主题
Quantum Computing - Simulation

### 实事描述
介绍了 cuQuantum 在量子电路模拟上的加速。

撰稿人：王五 61234599
"""


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    shutil.copytree(ROOT / "samples", folder)
    return folder


def _open(folder: Path, cache: Path) -> tuple[IndexStats, set[str]]:
    index = open_index([str(folder)], config=Config(), location=cache)
    titles = {h.unit.title for h in search(index, "61234599", Options(spans=False))}
    stats = index.stats
    index.close()
    return stats, titles


def test_first_run_builds_and_second_run_reuses(docs: Path, tmp_path: Path) -> None:
    first, _ = _open(docs, tmp_path / "c")
    second, _ = _open(docs, tmp_path / "c")
    assert (first.indexed, first.reused) == (3, 0)
    assert (second.indexed, second.reused, second.removed) == (0, 3, 0)
    assert second.units == first.units > 0


def test_changed_added_and_removed_files_are_refreshed(docs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    _open(docs, cache)
    brief = docs / "gtc-daily-brief.md"
    brief.write_text(brief.read_text("utf-8") + NEW_ENTRY, "utf-8")
    stats, titles = _open(docs, cache)
    assert (stats.indexed, stats.reused) == (1, 2)
    assert titles == {"量子计算模拟新进展"}

    (docs / "extra.md").write_text("# 每日参会快报\n" + NEW_ENTRY.replace("量子计算", "量子通信"))
    (docs / "gtc-notes.md").unlink()
    stats, titles = _open(docs, cache)
    assert (stats.indexed, stats.reused, stats.removed) == (1, 2, 1)
    assert titles == {"量子计算模拟新进展", "量子通信模拟新进展"}

    brief.write_text(brief.read_text("utf-8").replace(NEW_ENTRY, ""), "utf-8")
    stats, titles = _open(docs, cache)
    assert stats.indexed == 1 and titles == {"量子通信模拟新进展"}


def _terms(cache: Path) -> list[tuple[str, int, int]]:
    """Each term of the index with how many units hold it and how often (no rowids)."""
    (db,) = cache.glob("*.sqlite")
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, fts, row)")
        return conn.execute("SELECT term, doc, cnt FROM v ORDER BY term").fetchall()


def test_a_refreshed_index_holds_the_terms_of_one_built_from_nothing(
    docs: Path, tmp_path: Path
) -> None:
    """A contentless FTS5 table forgets a unit only when given exactly what it indexed."""
    _open(docs, tmp_path / "a")
    brief = docs / "gtc-daily-brief.md"
    brief.write_text(brief.read_text("utf-8").replace("机器人", "机械臂"), encoding="utf-8")
    (docs / "gtc-notes.md").unlink()
    assert _open(docs, tmp_path / "a")[0].indexed == 1
    _open(docs, tmp_path / "b")
    assert _terms(tmp_path / "a") == _terms(tmp_path / "b")


def test_a_touched_but_unchanged_file_is_not_reindexed(docs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    _open(docs, cache)
    brief = docs / "gtc-daily-brief.md"
    st = brief.stat()
    os.utime(brief, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    stats, _ = _open(docs, cache)
    assert (stats.indexed, stats.reused) == (0, 3)  # same digest: only the mtime is updated
    stats, _ = _open(docs, cache)
    assert (stats.indexed, stats.reused) == (0, 3)


def _presumed(folder: Path, cache: Path) -> tuple[bool, set[str]]:
    """Open with a walk still under way: is the index presumed fresh, and what would it find?"""
    index = open_index([str(folder)], config=Config(), location=cache, walk=Walk([str(folder)]))
    presumed = index.pending is not None
    titles = {h.unit.title for h in search(index, "61234599", Options(spans=False))}
    fresh = index.confirm()
    index.close()
    return presumed and fresh, titles


def test_an_unchanged_index_is_presumed_fresh_and_the_walk_confirms_it(
    docs: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "c"
    _open(docs, cache)
    assert _presumed(docs, cache) == (True, set())


def test_a_change_since_the_last_refresh_is_caught_by_the_walk(docs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    _open(docs, cache)
    brief = docs / "gtc-daily-brief.md"
    brief.write_text(brief.read_text("utf-8") + NEW_ENTRY, "utf-8")
    confirmed, titles = _presumed(docs, cache)
    assert not confirmed and titles == set()  # what the old index says must not be shown
    walk = Walk([str(docs)])
    walk.join(print)
    index = open_index([str(docs)], config=Config(), location=cache, walk=walk)
    assert index.pending is None and index.stats.indexed == 1
    assert {h.unit.title for h in search(index, "61234599", Options(spans=False))} == {
        "量子计算模拟新进展"
    }
    index.close()
    assert _presumed(docs, cache) == (True, {"量子计算模拟新进展"})


def test_the_same_files_named_another_way_are_not_presumed_on(docs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    _open(docs, cache)
    spelled = Path(os.path.relpath(docs))  # same folder, same index, other display paths
    index = open_index([str(spelled)], config=Config(), location=cache, walk=Walk([str(spelled)]))
    assert index.pending is not None and not index.confirm()
    index.close()


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses names not valid UTF-8")
def test_a_file_name_that_is_not_valid_utf8_is_indexed_and_found_again(
    docs: Path, tmp_path: Path
) -> None:
    """SQLite holds text as UTF-8; such a name is kept as its bytes, and comes back the same."""
    odd = os.fsdecode(os.fsencode(docs) + b"/odd\xff name.md")
    shutil.copyfile(docs / "clean-brief.md", odd)
    for run in ("built", "reused"):
        index = open_index([str(docs)], config=Config(), location=tmp_path / "c")
        paths = {h.unit.path for h in search(index, "61234599 OR nvidia", Options(spans=False))}
        assert odd in paths, run
        assert odd in {key for key, _size in index.files().values()}
        index.close()
    assert index.stats.reused == len(list(docs.glob("*.md"))) and index.stats.indexed == 0


def test_a_file_that_cannot_be_read_is_reported_on_every_run(docs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    (docs / "broken.md").write_bytes(b"# \xff\xfe not UTF-8 \x80")
    errors: list[str] = []
    for run in (1, 2):
        walk = Walk([str(docs)])
        index = open_index(
            [str(docs)],
            config=Config(),
            location=cache,
            walk=walk,
            on_error=lambda e: errors.append(str(e)),
        )
        assert index.pending is None  # nothing to presume on: the last refresh was incomplete
        index.close()
        assert len(errors) == run and "broken.md" in errors[-1]


def test_an_index_built_from_nothing_appears_whole_and_in_wal_mode(
    docs: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "c"
    stats, titles = _open(docs, cache)
    assert stats.indexed == 3 and titles == set()
    (db,) = cache.glob("*.sqlite")
    assert sorted(p.name for p in cache.iterdir()) == [db.name, db.name + ".lock"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert _open(docs, cache)[0].reused == 3


def test_an_interrupted_build_leaves_no_index_and_the_next_run_builds_one(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "c"
    real = index_module._insert_rows
    calls = []

    def interrupted(*args: object) -> None:
        calls.append(1)
        if len(calls) == 2:  # half-way through the files
            raise KeyboardInterrupt
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(index_module, "_insert_rows", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _open(docs, cache)
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []
    monkeypatch.setattr(index_module, "_insert_rows", real)
    leftover = Path(index_module._database(cache, [str(docs)], Config(), None) + ".new")
    with sqlite3.connect(leftover) as conn:  # half of a build, left by a machine gone down
        conn.executescript(index_module._SCHEMA)
        conn.execute("INSERT INTO files VALUES (1, 'gone.md', 1, 1, '', 'brief', 0)")
    stats, _ = _open(docs, cache)
    assert (stats.indexed, stats.removed) == (3, 0) and not leftover.exists()
    assert sorted(p.suffix for p in cache.iterdir()) == [".lock", ".sqlite"]


def test_a_corrupt_index_is_rebuilt(docs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    first, _ = _open(docs, cache)
    (db,) = cache.glob("*.sqlite")
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    stats, titles = _open(docs, cache)
    assert stats.rebuilt and "unreadable" in stats.rebuilt
    assert stats.indexed == 3 and stats.units == first.units
    assert titles == set()


def test_the_index_records_its_segmenter_and_rebuilds_when_it_changes(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "c"
    monkeypatch.setattr(text, "_backend", None)
    monkeypatch.setattr(text, "_tokenizer", None)
    monkeypatch.setenv("GTCBRIEF_SEGMENTER", "jieba")
    text._cut.cache_clear()
    stats, _ = _open(docs, cache)
    (db,) = cache.glob("*.sqlite")
    meta = dict(sqlite3.connect(db).execute("SELECT key, value FROM meta").fetchall())
    assert meta["segmenter"] == "jieba" and stats.segmenter == "jieba"
    pytest.importorskip("rjieba")
    monkeypatch.setattr(text, "_backend", None)
    monkeypatch.setattr(text, "_tokenizer", None)
    monkeypatch.setenv("GTCBRIEF_SEGMENTER", "rjieba")
    text._cut.cache_clear()
    stats, _ = _open(docs, cache)
    assert stats.rebuilt == "built with jieba, now using rjieba" and stats.indexed == 3
    text._cut.cache_clear()


def test_no_cache_writes_nothing(docs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "unused"
    index = open_index([str(docs)], config=Config(), location=cache, in_memory=True)
    assert index.stats.indexed == 3 and index.stats.location == ":memory:"
    assert not cache.exists()


def test_default_location_is_the_cache_dir(docs: Path, tmp_path: Path) -> None:
    index = open_index([str(docs)], config=Config())
    index.close()
    env_cache = Path(os.environ["GTCBRIEF_CACHE_DIR"])  # set per test by conftest
    assert list((env_cache / "index").glob("*.sqlite"))


def test_only_sqlite_files_are_written(docs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    _open(docs, cache)
    for path in cache.iterdir():
        assert path.name.endswith((".sqlite", ".sqlite-wal", ".sqlite-shm", ".lock"))
        if path.suffix == ".sqlite":
            assert path.read_bytes()[:16] == b"SQLite format 3\x00"


_WORKER = """
import sys
from gtcbrief.config import Config
from gtcbrief.index import open_index
from gtcbrief.search import Options, search
index = open_index([sys.argv[1]], config=Config(), location=__import__('pathlib').Path(sys.argv[2]))
hits = list(search(index, "机器人", Options(spans=False)))
print(index.stats.units, len(hits))
"""


def test_two_processes_building_at_once_agree(docs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(docs), str(cache)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert outputs[0][0] == outputs[1][0] and outputs[0][0].split()[1] != "0"
    stats, _ = _open(docs, cache)
    assert stats.indexed == 0 and str(stats.units) == outputs[0][0].split()[0]


def test_an_index_of_an_earlier_schema_is_rebuilt(docs: Path, tmp_path: Path) -> None:
    """Schema 4 had no ``units.heading``: its index is rebuilt, not misread."""
    cache = tmp_path / "c"

    def hits() -> tuple[IndexStats, list[tuple[str, int, bool]]]:
        index = open_index([str(docs)], config=Config(), location=cache)
        found = [
            (h.unit.title, h.unit.line, h.unit.heading) for h in search(index, "注意力", Options())
        ]
        index.close()
        return index.stats, found

    first, before = hits()
    (db,) = cache.glob("*.sqlite")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")
        conn.execute("ALTER TABLE units DROP COLUMN heading")
    stats, after = hits()
    assert stats.rebuilt == "built by another version" and stats.indexed == first.indexed
    assert after == before and before


def _hash_bytes(cache: Path) -> int | None:
    (db,) = cache.glob("*.sqlite")
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT v FROM fts_config WHERE k = 'hashsize'").fetchone()
    return None if row is None else int(row[0])


def test_fts5_gathers_postings_in_large_batches_even_in_an_older_index(
    docs: Path, tmp_path: Path
) -> None:
    """FTS5's ``hashsize`` (1 MB by default) is raised, which makes a large build's
    inserts nearly twice as fast; an index built before that gets it with its next change."""
    cache = tmp_path / "c"
    _open(docs, cache)
    assert _hash_bytes(cache) == index_module.FTS_HASH_BYTES > 1024 * 1024
    (db,) = cache.glob("*.sqlite")
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM fts_config WHERE k = 'hashsize'")
    _open(docs, cache)  # nothing to index: nothing written
    assert _hash_bytes(cache) is None
    (docs / "new.md").write_text("# 每日参会快报\n" + NEW_ENTRY, encoding="utf-8")
    stats, titles = _open(docs, cache)
    assert stats.indexed == 1 and titles == {"量子计算模拟新进展"}
    assert _hash_bytes(cache) == index_module.FTS_HASH_BYTES


def test_a_unit_knows_whether_it_starts_with_its_heading() -> None:
    text = "前言\n\n# 标题\n正文\n\n## 【Talks & Panels】题\n\n### 主题\nX - Y\n"
    units = units_of(load_text(text, "d.md"))
    assert [(u.line, u.title, u.heading) for u in units] == [
        (1, "标题", False),
        (3, "标题", True),
        (6, "题", True),
    ]
    (alone,) = units_of(load_text("只有正文\n", "e.md"))
    assert (alone.line, alone.title, alone.heading) == (1, "e.md", False)


def test_units_are_entries_then_every_other_stretch_of_text() -> None:
    brief = load_text((ROOT / "samples/gtc-daily-brief.md").read_text("utf-8"), "b.md")
    units = units_of(brief)
    entries = [u for u in units if u.kind]
    assert len(entries) == 19 and entries[0].line == 3 and entries[0].end_line == 17
    assert entries[0].text.splitlines()[0].startswith("## 【Talks & Panels】3D")
    assert [(u.line, u.title) for u in units if not u.kind] == [(1, "每日参会快报")]
    minutes = load_text("# 会议纪要\n\n## 参会人\n张三\n\n## 议题\n讨论机器人。\n", "m.md")
    assert [(u.title, u.line, u.end_line) for u in units_of(minutes)][-1] == ("议题", 6, 7)
    plain = load_text("没有标题的一段话。\n", "p.md")
    assert [u.text for u in units_of(plain)] == ["没有标题的一段话。"]


@pytest.mark.parametrize("name", ["samples", "corpus"])
def test_every_line_of_text_is_in_some_unit(name: str) -> None:
    """So grep sees everything a line scan (rg) sees; only blank lines and --- are left out."""
    from gtcbrief.index import _BREAK
    from gtcbrief.loader import iter_documents

    folder = ROOT / "samples" if name == "samples" else ROOT.parent / "shared" / "corpus"
    if not folder.is_dir():
        pytest.skip("../shared is not beside this checkout")
    docs = list(iter_documents([str(folder)]))
    assert docs
    for doc in docs:
        covered = {n for u in units_of(doc) for n in range(u.line, u.end_line + 1)}
        lost = [
            n
            for n, line in enumerate(doc.lines, 1)
            if line.strip() and not re.match(_BREAK, line) and n not in covered
        ]
        assert not lost, f"{doc.path}: lines {lost[:5]} are in no unit"


def _instances(cache: Path) -> list[tuple[str, int, str, int]]:
    """Every term of the index at every place (term, unit, column, offset)."""
    (db,) = cache.glob("*.sqlite")
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, fts, instance)")
        query = "SELECT term, doc, col, offset FROM v ORDER BY doc, col, offset"
        return conn.execute(query).fetchall()


def test_worker_processes_build_the_same_index(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtcbrief import index as index_module

    monkeypatch.setattr(index_module, "PARALLEL_BYTES", 0)
    monkeypatch.setenv("GTCBRIEF_INDEX_WORKERS", "2")
    parallel = open_index([str(docs)], config=Config(), location=tmp_path / "p")
    monkeypatch.setenv("GTCBRIEF_INDEX_WORKERS", "1")
    serial = open_index([str(docs)], config=Config(), location=tmp_path / "s")
    query = "SELECT line, title, norm FROM units ORDER BY file_id, line"
    assert parallel.conn.execute(query).fetchall() == serial.conn.execute(query).fetchall()
    assert [h.unit.title for h in search(parallel, "机器人", Options(spans=False))] == [
        h.unit.title for h in search(serial, "机器人", Options(spans=False))
    ]
    assert parallel.stats.indexed == serial.stats.indexed == 3
    # every term at every place: the workers make their grams with numpy, this process without
    instances = [_instances(tmp_path / "p"), _instances(tmp_path / "s")]
    assert instances[0] == instances[1] and len(instances[0]) > 1000


def test_a_refresh_segments_in_a_child_while_it_loads_and_builds_the_same_index(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the segmenter not loaded yet, a small refresh leaves its loading to a forked
    child (new units' words, and the replaced units' for their deletes): this process
    never loads it, and the index is the one this process would have built."""

    def build(cache: Path, *, here: bool) -> None:
        monkeypatch.setattr(text, "_tokenizer", None)
        # GTCBRIEF_INDEX_WORKERS=1: no other process, all of it here
        monkeypatch.setenv("GTCBRIEF_INDEX_WORKERS", "1" if here else "2")
        _open(docs, cache)
        assert (text._tokenizer is not None) == here

    build(tmp_path / "ahead", here=False)
    build(tmp_path / "here", here=True)
    assert _instances(tmp_path / "ahead") == _instances(tmp_path / "here")
    assert len(_instances(tmp_path / "here")) > 1000
    # a refresh: the edited file's old units are deleted with their words made again
    brief = docs / "gtc-daily-brief.md"
    brief.write_text(brief.read_text("utf-8").replace("机器人", "机械臂") + NEW_ENTRY, "utf-8")
    build(tmp_path / "ahead", here=False)
    build(tmp_path / "edited", here=True)
    assert _terms(tmp_path / "ahead") == _terms(tmp_path / "edited")


def test_a_child_that_cannot_segment_leaves_it_to_this_process(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = tmp_path / "reference"
    monkeypatch.setenv("GTCBRIEF_INDEX_WORKERS", "1")  # all of it here
    _open(docs, reference)
    parent = os.getpid()
    load = text._load_rjieba if text.segmenter() == "rjieba" else text._load_jieba

    def failing_in_a_child() -> object:
        if os.getpid() != parent:
            raise MemoryError("killed")
        return load()

    monkeypatch.setattr(text, "_tokenizer", None)
    monkeypatch.setattr(text, "_load_rjieba", failing_in_a_child)
    monkeypatch.setattr(text, "_load_jieba", failing_in_a_child)
    monkeypatch.setenv("GTCBRIEF_INDEX_WORKERS", "2")
    stats, _titles = _open(docs, tmp_path / "alone")
    assert stats.indexed == 3 and text._tokenizer is not None
    assert _instances(tmp_path / "alone") == _instances(reference)


def test_with_no_process_to_spare_a_small_refresh_segments_here(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from gtcbrief import forked

    monkeypatch.setenv("GTCBRIEF_INDEX_WORKERS", "1")  # all of it here
    _open(docs, tmp_path / "reference")
    forks: list[int] = []

    def no_fork() -> int:
        forks.append(1)
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(forked.os, "fork", no_fork)
    monkeypatch.setattr(text, "_tokenizer", None)
    monkeypatch.setenv("GTCBRIEF_INDEX_WORKERS", "2")
    stats, _titles = _open(docs, tmp_path / "alone")
    assert forks and stats.indexed == 3 and text._tokenizer is not None
    assert _instances(tmp_path / "alone") == _instances(tmp_path / "reference")


def test_no_child_segments_what_has_no_chinese_or_a_loaded_segmenter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(text, "_tokenizer", None)
    assert text.segmenting_ahead([b"# Notes\n\nplain ASCII only\n"]) is None
    assert text.segmenting_ahead(["# Café “notes” – naïve ①".encode()]) is None
    monkeypatch.setattr(text, "_tokenizer", object())
    assert text.segmenting_ahead(["# 笔记".encode()]) is None
    monkeypatch.setattr(text, "_tokenizer", None)
    ahead = text.segmenting_ahead([b"# Notes", "# 笔记".encode()])
    assert ahead is not None
    norms = ["注意力机制", "rag only", text.normalize("數據中心")]
    assert ahead.words(norms) == [
        " ".join(text.word_tokens("注意力机制")),
        "",
        " ".join(text.word_tokens("数据中心")),
    ]
    # texts without Chinese have no words: the child is ended, not waited for
    monkeypatch.setattr(text, "_tokenizer", None)  # (loaded above, for the expected words)
    ahead = text.segmenting_ahead(["# 笔记".encode()])
    assert ahead is not None
    assert ahead.words(["rag only", "café"]) == ["", ""]
    assert not ahead._child.running


def test_with_no_process_to_spare_this_process_builds_the_index(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    from multiprocessing import util

    from gtcbrief import index as index_module

    serial = open_index([str(docs)], config=Config(), location=tmp_path / "s")
    tried: list[str] = []

    def no_spawn(path: str, *_args: object) -> int:
        tried.append(path)
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(index_module, "PARALLEL_BYTES", 0)
    monkeypatch.setenv("GTCBRIEF_INDEX_WORKERS", "2")
    monkeypatch.setattr(util, "spawnv_passfds", no_spawn)
    alone = open_index([str(docs)], config=Config(), location=tmp_path / "a")
    assert tried and alone.stats.indexed == serial.stats.indexed == 3
    query = "SELECT line, title, norm, heading FROM units ORDER BY file_id, line"
    assert alone.conn.execute(query).fetchall() == serial.conn.execute(query).fetchall()


def test_an_index_damaged_behind_its_header_is_dropped_for_the_next_run(
    docs: Path, tmp_path: Path
) -> None:
    from gtcbrief.errors import GtcbriefError

    cache = tmp_path / "c"
    first, _ = _open(docs, cache)
    (db,) = cache.glob("*.sqlite")
    index = open_index([str(docs)], config=Config(), location=cache)
    index.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    page = 4096
    for start in range(2 * page, len(data) - page, page):  # keep the header and schema page
        data[start + 8 : start + 200] = b"\xff" * 192
    db.write_bytes(bytes(data))
    with pytest.raises(GtcbriefError, match="damaged"):
        list(search(index, "机器人", Options(spans=False)))
    assert not db.exists()
    stats, _ = _open(docs, cache)
    assert stats.indexed == 3 and stats.units == first.units


def test_stored_text_that_no_longer_decodes_is_damage_not_a_bad_query(
    docs: Path, tmp_path: Path
) -> None:
    """A few bytes overwritten inside a title: SQLite reads the page, Python cannot
    decode the text. Every run failed with 'cannot run the query' and kept it."""
    from gtcbrief.errors import GtcbriefError

    cache = tmp_path / "c"
    first, _ = _open(docs, cache)
    (db,) = cache.glob("*.sqlite")
    index = open_index([str(docs)], config=Config(), location=cache)
    index.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    index.close()
    data = bytearray(db.read_bytes())
    word = "机器人".encode()
    at = data.find(word)
    while at >= 0:  # in every column that holds it
        data[at : at + 2] = b"\xff\xfe"
        at = data.find(word, at + 1)
    db.write_bytes(bytes(data))
    index = open_index([str(docs)], config=Config(), location=cache)
    with pytest.raises(GtcbriefError, match="damaged"):
        list(search(index, "机器人", Options(spans=False)))
    assert not db.exists()
    stats, _ = _open(docs, cache)
    assert stats.indexed == 3 and stats.units == first.units


def test_an_unusable_cache_directory_falls_back_to_memory(docs: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gtcbrief.cli import app

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    index = open_index([str(docs)], config=Config(), location=blocker / "index")
    assert index.stats.location == ":memory:" and index.stats.indexed == 3
    assert index.stats.note and "indexing in memory" in index.stats.note
    result = CliRunner().invoke(app, ["grep", "机器人", str(docs), "--cache-dir", str(blocker)])
    assert result.exit_code == 0 and "indexing in memory" in result.stderr


def test_an_index_that_stored_its_paths_only_as_json_is_refreshed_once(
    docs: Path, tmp_path: Path
) -> None:
    # what versions before display0 wrote: the display paths as JSON only
    cache = tmp_path / "c"
    _open(docs, cache)
    (db,) = cache.glob("*.sqlite")
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM meta WHERE key = 'display0'")
    assert not _presumed(docs, cache)[0]
    stats, _ = _open(docs, cache)
    assert (stats.indexed, stats.reused) == (0, 3)  # a refresh that reads no file
    assert _presumed(docs, cache)[0]
    with sqlite3.connect(db) as conn:
        stored = dict(conn.execute("SELECT key, value FROM meta WHERE key LIKE 'display%'"))
    paths = sorted(str(p) for p in docs.rglob("*.md"))
    assert sorted(stored["display0"].split("\0")[1:]) == paths
    assert sorted(json.loads(stored["display"])[1]) == paths  # still there for older versions


@given(st.text())
def test_index_names_are_the_digest_json_would_give(text: str) -> None:
    assert index_module._json_string(text) == json.dumps(text, ensure_ascii=False)


@pytest.mark.parametrize("encoding", [None, "gb18030"])
def test_the_name_of_an_index_has_not_changed(encoding: str | None) -> None:
    keys = ["/srv/报告/b", '/srv/a "quoted"\tdir']
    config = Config()
    blob = json.dumps(
        [sorted(keys), repr(config.template), config.doc_format, encoding], ensure_ascii=False
    )
    expected = index_module._blake2b(blob.encode("utf-8"), 10)
    assert index_module._fingerprint(keys, config, encoding) == expected


def test_two_files_swapped_with_the_same_size_and_mtime_are_read_again(
    docs: Path, tmp_path: Path
) -> None:
    """Written in one clock tick and swapped by rename, or edited and `touch -r`'d back:
    size and mtime say nothing changed; the ctime does."""
    cache = tmp_path / "c"
    x, y = docs / "x.md", docs / "y.md"
    x.write_text("## 【Keynote】甲\n\n机器人\n", encoding="utf-8")
    y.write_text("## 【Keynote】乙\n\n机械臂\n", encoding="utf-8")
    os.utime(y, ns=(x.stat().st_atime_ns, x.stat().st_mtime_ns))
    _open(docs, cache)
    swap = docs / "swap"
    x.rename(swap)
    y.rename(x)
    swap.rename(y)
    index = open_index([str(docs)], config=Config(), location=cache)
    titles = {(h.unit.path, h.unit.title) for h in search(index, "机器人", Options(spans=False))}
    assert (str(y), "甲") in titles and (str(x), "甲") not in titles


def test_equal_scores_rank_in_paths_order_whatever_the_index_history(tmp_path: Path) -> None:
    """Two copies of one brief score alike; the first file given comes first, as an
    index built now would have it, even after the first was indexed again."""
    docs = tmp_path / "docs"
    docs.mkdir()
    text = (Path(__file__).resolve().parents[1] / "samples" / "clean-brief.md").read_text("utf-8")
    (docs / "a.md").write_text(text, encoding="utf-8")
    (docs / "b.md").write_text(text, encoding="utf-8")
    cache = tmp_path / "c"
    _open(docs, cache)
    (docs / "a.md").write_text(text + "x\n", encoding="utf-8")
    _open(docs, cache)
    (docs / "a.md").write_text(text, encoding="utf-8")  # new rowids for a.md's units
    index = open_index([str(docs)], config=Config(), location=cache)
    first = next(iter(search(index, "机器人", Options(spans=False))))
    assert first.unit.path == str(docs / "a.md")


def test_waiting_for_another_writer_is_said_not_silent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import fcntl
    import threading

    from gtcbrief.index import _file_lock

    lock = tmp_path / "i.sqlite.lock"
    got: list[bool] = []

    def writer() -> None:
        with _file_lock(lock):
            got.append(True)

    with open(lock, "a+b") as other:  # another process's build holds it
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        waiting = threading.Thread(target=writer)
        waiting.start()
        waiting.join(0.5)
        assert not got
        fcntl.flock(other.fileno(), fcntl.LOCK_UN)
    waiting.join(10)
    assert got
    err = capsys.readouterr().err
    assert f"{tmp_path / 'i.sqlite'}: waiting for another gtcbrief" in err


@pytest.mark.parametrize("after", [0.15, 0.3, 1.0])
def test_ctrl_c_during_a_large_build_ends_it_at_once_and_quietly(
    tmp_path: Path, after: float
) -> None:
    """Ctrl-C while the build's worker pool ran hung for ever in the pool's shutdown (a
    worker ended while it wrote its answer left half a message to wait for) or printed
    a traceback. (However early the signal lands, the answer must be the same.)"""
    import signal
    import time

    brief = (ROOT / "samples" / "gtc-daily-brief.md").read_text("utf-8")
    for i in range(1000):  # 22 MB, each file its own: seconds of work for the pool
        (tmp_path / f"b{i:04}.md").write_text(brief.replace("撰稿人：", f"撰稿人：第{i}号 ", 1))
    env = {**os.environ, "GTCBRIEF_INDEX_WORKERS": "2", "PYTHONPATH": str(ROOT)}
    run = subprocess.Popen(
        [sys.executable, "-m", "gtcbrief", "grep", "机器人", str(tmp_path), "--cache-dir",
         str(tmp_path / "idx")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True,
    )  # fmt: skip
    time.sleep(after)  # as the workers start, or into the build
    os.killpg(run.pid, signal.SIGINT)  # as Ctrl-C does: to every process of the group
    try:
        _, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert run.returncode == 130
    assert err.decode() == "gtcbrief: interrupted\n"


def test_a_change_to_what_the_loader_reads_rebuilds_every_index() -> None:
    """An index reuses the units of a file that did not change, so units the old loader
    made outlived it (a front matter read as a heading, after the loader learnt better).
    When the loader's golden files change, bump SCHEMA_VERSION and set LOADER_GOLDEN to
    the digest below. (It sees what the golden files show: a change to how the loader
    reads files gets a golden case of its own, as tests/data/loader/notes-tools.md has.)"""
    import hashlib

    digest = hashlib.blake2b(digest_size=8)
    for golden in sorted((ROOT / "tests" / "data" / "loader").glob("*.golden.json")):
        digest.update(golden.name.encode())
        digest.update(golden.read_bytes())
    assert digest.hexdigest() == index_module.LOADER_GOLDEN, (
        f"bump SCHEMA_VERSION and set LOADER_GOLDEN = {digest.hexdigest()!r}"
    )


def test_tied_hits_come_in_file_order_after_a_refresh_across_batches(tmp_path: Path) -> None:
    """Equal scores were put in order a batch of rows at a time (64, then 1,000): a run
    of them across the edge kept the order files were indexed in again."""
    from typer.testing import CliRunner

    from gtcbrief.cli import app

    docs = tmp_path / "d"
    docs.mkdir()
    one = "# 每日参会快报\n\n## 【Keynote】机器人\n\n### 实事描述\n机器人仿真。\n"
    for i in range(100):
        (docs / f"f{i:03}.md").write_text(one, "utf-8")
    args = ["grep", "机器人", str(docs), "--cache-dir", str(tmp_path / "idx"), "-f", "jsonl"]
    runner = CliRunner()
    runner.invoke(app, args)
    for i in range(50):  # indexed again: new row ids, after the others
        with open(docs / f"f{i:03}.md", "a", encoding="utf-8") as fh:
            fh.write("\n---\n\n## 【Keynote】其他\n\n### 实事描述\n别的内容。\n")
    paths = [json.loads(x)["path"] for x in runner.invoke(app, args).stdout.splitlines()]
    assert paths == sorted(paths) and len(paths) == 100


def test_a_run_of_equal_scores_longer_than_sqlites_variables_is_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """632fbb6 fetched a whole run of equal scores in one 'IN (?, …)': 40,000 equal
    talks were 'too many SQL variables' where SQLite allows 32,766 (999 before 3.32,
    as here)."""
    import _sqlite3

    from typer.testing import CliRunner

    from gtcbrief.cli import app

    connect = index_module._connect

    def limited(target: str) -> sqlite3.Connection:
        conn = connect(target)
        conn.setlimit(_sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        return conn

    monkeypatch.setattr(index_module, "_connect", limited)
    doc = tmp_path / "n.md"
    doc.write_text(
        "# 笔记\n\n## 【Day 1】3月18日\n\n" + "- 机器人仿真平台发布。\n" * 2_000, "utf-8"
    )
    result = CliRunner().invoke(app, ["grep", "机器人", str(doc), "--no-cache", "-m", "1"])
    assert result.exit_code == 0 and result.stdout.startswith(f"{doc}:5: 机器人仿真平台发布。")
