"""The walk that grep runs beside its search finds what a plain walk finds, whatever happens."""

from __future__ import annotations

import os
import threading
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gtcbrief import walk as walk_module
from gtcbrief.errors import GtcbriefError
from gtcbrief.walk import File, Walk, snapshot, stat_files

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    top = tmp_path / "docs"
    (top / "b" / "deep").mkdir(parents=True)
    for name in ("z.md", "a.MD", "b/x.markdown", "b/deep/y.md", "b/skip.txt"):
        (top / name).write_text("# 每日参会快报\n", "utf-8")
    (top / "link.md").symlink_to(top / "missing.md")  # a broken link is not a file
    return top


def _paths(tree: Path) -> list[str]:
    return [str(tree), str(tree / "gone.md"), str(tree / "z.md")]


def _plain(tree: Path) -> tuple[list[tuple[str, str, int, int]], list[str]]:
    errors: list[GtcbriefError] = []
    files = stat_files(_paths(tree), errors.append)
    return [tuple(f) for f in files], [str(e) for e in errors]  # type: ignore[misc]


def _walked(walk: Walk) -> tuple[list[tuple[str, str, int, int]], list[str]]:
    errors: list[GtcbriefError] = []
    files = walk.join(errors.append)
    assert walk.join(errors.append) == files  # a second join reports nothing new
    return [tuple(f) for f in files], [str(e) for e in errors]  # type: ignore[misc]


def test_the_forked_walk_finds_what_a_plain_walk_finds(tree: Path) -> None:
    walk = Walk(_paths(tree))
    assert walk._child is not None  # this test process has one thread: the walk forks
    found, errors = _walked(walk)
    assert (found, errors) == _plain(tree)
    assert [Path(p).name for p, *_ in found] == ["a.MD", "y.md", "x.markdown", "z.md"]
    assert len(errors) == 1 and "gone.md" in errors[0]
    files = stat_files(_paths(tree), lambda e: None)
    assert walk.summary(print) == (snapshot(files), len(files))


def test_with_other_threads_running_the_walk_is_a_thread(tree: Path) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        walk = Walk(_paths(tree))
        assert walk._child is None
        assert _walked(walk) == _plain(tree)
    finally:
        stop.set()
        other.join()


def test_a_child_that_dies_leaves_the_walk_to_the_parent(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    real = walk_module.stat_files

    def die_in_the_child(paths: list[str], on_error: object) -> object:
        if os.getpid() != parent:
            os._exit(9)
        return real(paths, on_error)  # type: ignore[arg-type]

    monkeypatch.setattr(walk_module, "stat_files", die_in_the_child)
    walk = Walk(_paths(tree))
    assert _walked(walk) == _plain(tree)


def test_a_cancelled_walk_leaves_no_child_behind(tree: Path) -> None:
    walk = Walk(_paths(tree))
    assert walk._child is not None
    pid = walk._child.pid
    walk.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_a_summary_needs_only_the_head_and_the_child_then_goes(tree: Path) -> None:
    walk = Walk(_paths(tree))
    assert walk._child is not None
    pid = walk._child.pid
    files = stat_files(_paths(tree), lambda e: None)
    errors: list[GtcbriefError] = []
    assert walk.summary(errors.append) == (snapshot(files), len(files))
    assert len(errors) == 1
    walk.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    assert walk.join(errors.append) == files and len(errors) == 1  # walked here, not re-reported


def test_the_kill_it_sends_is_sigkill() -> None:
    import signal

    from gtcbrief import forked

    assert forked.SIGKILL == signal.SIGKILL


def test_a_forked_child_starts_its_work_after_the_parent_has_gone_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The child waits ``CHILD_PAUSE`` before its work: right after a fork, the two
    processes writing the pages they still share slowed both (see :mod:`gtcbrief.forked`)."""
    import time

    from gtcbrief import forked

    assert forked.CHILD_PAUSE > 0
    monkeypatch.setattr(forked, "CHILD_PAUSE", 0.05)  # far longer than a fork takes
    before = time.monotonic()
    child = forked.Child(lambda send: send(repr(time.monotonic()).encode()))
    started = float(child.read())
    assert child.end() == 0
    assert started - before >= 0.05


@pytest.mark.parametrize(
    "raw",
    ["", ".", "./", "docs/", "./docs/./b//", "/", "//", "///", "//srv//x/", "a/../b", "..", "a/."],
)
def test_a_path_is_spelled_as_pathlib_spells_it(raw: str) -> None:
    assert walk_module.spelled(raw) == str(PurePosixPath(raw))


@given(st.text(alphabet="/.ab\u6ce8", max_size=12))
def test_any_path_is_spelled_as_pathlib_spells_it(raw: str) -> None:
    assert walk_module.spelled(raw) == str(PurePosixPath(raw))


def test_a_directory_named_with_extra_slashes_lists_files_as_pathlib_spells_them(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree.parent)
    errors: list[GtcbriefError] = []
    files = stat_files(["./docs//b/"], errors.append)
    assert [f.display for f in files] == ["docs/b/deep/y.md", "docs/b/x.markdown"]
    assert not errors


@pytest.mark.parametrize(
    ("files", "digest"),
    [
        pytest.param([], "5bc6f2dfd4b327dccac075b067dca708", id="no files"),
        pytest.param(
            [File("notes/a.md", "/srv/briefs/notes/a.md", 1234, 1_700_000_000_123_456_789)],
            "1327114cc8981cf5832cb5f7f546a371",
            id="one",
        ),
        pytest.param(
            [
                File("notes/a.md", "/srv/briefs/notes/a.md", 1234, 1_700_000_000_123_456_789),
                File("b 简报.markdown", "/srv/briefs/b 简报.markdown", 0, 0),
            ],
            "ed2921ed746dde072485a84682bfe4d1",
            id="two, one with a Chinese name",
        ),
    ],
)
def test_the_snapshot_digest_is_the_one_indexes_recorded(files: list[File], digest: str) -> None:
    # every index on disk stores this digest: another encoding rebuilds each one once
    assert snapshot(files) == digest
