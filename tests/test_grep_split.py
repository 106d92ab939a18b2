"""With many candidates, grep verifies and renders the second half in a forked process;
what it prints is exactly what one process prints."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gtcbrief.cli import run
from gtcbrief.commands import grep_core

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [
    "注意力",
    "模型",
    "nvidia",
    "的",
    "模型 -数据",
    "title:机器人 OR 训练",
    "desc:数据",
    "gpu",
]


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Samples and the shared corpus, with one index for the whole module."""
    shared = ROOT.parent / "shared"
    if not shared.is_dir():
        pytest.skip("../shared is not beside this checkout")  # CI has it (tests/conftest.py)
    folder = tmp_path_factory.mktemp("docs")
    shutil.copytree(ROOT / "samples", folder / "samples")
    shutil.copytree(shared / "corpus", folder / "corpus")
    return folder


def _grep(args: list[str], split_from: int, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grep_core, "SPLIT_FROM", split_from)
        code = run(["grep", *args])
    out = capsys.readouterr()
    assert out.err == ""
    return code, out.out


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize(
    "options",
    [
        pytest.param([], id="text"),
        pytest.param(["-C", "1", "--full-lines"], id="context"),
        pytest.param(["--format", "jsonl"], id="jsonl"),
        pytest.param(["--format", "json"], id="json"),
        pytest.param(["--sort", "path"], id="path-order"),
        pytest.param(["FORCE_COLOR"], id="colour"),
        pytest.param(["FORCE_COLOR", "-C", "1"], id="colour-context"),
    ],
)
def test_two_processes_print_what_one_prints(
    query: str,
    options: list[str],
    docs: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if options[:1] == ["FORCE_COLOR"]:  # the child writes its half in colour too
        options = options[1:]
        monkeypatch.delenv("NO_COLOR")
        monkeypatch.setenv("FORCE_COLOR", "1")
    args = [query, str(docs), *options, "--cache-dir", str(docs.parent / "cache")]
    one = _grep(args, 10**9, capsys)
    assert ("\x1b[" in one[1]) == ("FORCE_COLOR" in os.environ) or not one[1]
    halves: list[object] = []
    real = grep_core._Half.result

    def recorded(self: grep_core._Half) -> tuple[int, str | bytes] | None:
        done = real(self)
        halves.append(done)
        return done

    monkeypatch.setattr(grep_core._Half, "result", recorded)
    assert _grep(args, 1, capsys) == one
    assert halves and all(h is not None for h in halves)  # the child did its half
    # encoded by the child for the (UTF-8) output: the parent wrote its bytes as they came
    assert all(isinstance(h[1], bytes) for h in halves)  # type: ignore[index]


CORPUS = ROOT.parent / "shared" / "corpus"


@settings(max_examples=25)
@given(
    words=st.lists(
        st.sampled_from(["模型", "-数据", "nvidia", "OR", "训练", "-的", "title:ai"]),
        min_size=1,
        max_size=4,
    ),
    fmt=st.sampled_from(["text", "json"]),
)
def test_any_query_prints_the_same_split_or_not(
    words: list[str], fmt: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import contextlib
    import io

    paths = [str(ROOT / "samples")] + ([str(CORPUS)] if CORPUS.is_dir() else [])
    cache = tmp_path_factory.getbasetemp() / "split-cache"  # one index for every example
    args = ["grep", " ".join(words), *paths, "--cache-dir", str(cache), "--format", fmt]
    results = []
    for split_from in (10**9, 1):
        buffer = io.StringIO()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(grep_core, "SPLIT_FROM", split_from)
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
                code = run(args)
        results.append((code, buffer.getvalue()))
    assert results[0] == results[1]


def test_a_child_that_fails_leaves_its_half_to_the_parent(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["的", str(docs), "--cache-dir", str(docs.parent / "cache")]
    one = _grep(args, 10**9, capsys)

    def broken(self: object) -> object:
        raise RuntimeError("cannot reopen")

    from gtcbrief.index import Index

    monkeypatch.setattr(Index, "reopened", broken)
    assert _grep(args, 1, capsys) == one


def test_with_another_thread_running_nothing_is_forked(
    docs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    args = ["的", str(docs), "--cache-dir", str(docs.parent / "cache")]
    one = _grep(args, 10**9, capsys)

    def no_fork(*_args: object) -> None:
        raise AssertionError("forked with another thread running")

    monkeypatch.setattr(grep_core, "_Half", no_fork)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _grep(args, 1, capsys) == one
    finally:
        stop.set()
        other.join()


def test_with_no_process_to_spare_grep_does_the_walk_and_all_hits_itself(
    docs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    from gtcbrief.walk import Walk

    args = ["的", str(docs), "--cache-dir", str(docs.parent / "cache")]
    one = _grep(args, 10**9, capsys)
    pipes_before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
    walks: list[Walk] = []
    real_init = Walk.__init__

    def init(self: Walk, paths: list[str]) -> None:
        real_init(self, paths)
        walks.append(self)

    def no_fork() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    monkeypatch.setattr(Walk, "__init__", init)
    assert _grep(args, 1, capsys) == one
    assert walks and all(w._child is None for w in walks)
    if pipes_before:  # no pipe left open by the forks that failed
        assert len(os.listdir("/proc/self/fd")) == pipes_before


def test_a_stale_index_found_while_the_child_works_ends_it_and_searches_again(
    docs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the parent shows its half before the child's arrives, once the walk says the index
    # is fresh; when the walk says it is not, nothing is shown and the child is ended
    from gtcbrief.forked import Child
    from gtcbrief.index import Index

    args = ["的", str(docs), "--cache-dir", str(docs.parent / "cache")]
    one = _grep(args, 10**9, capsys)
    answers = iter([False])
    real_confirm, real_end, real_half = Index.confirm, Child.end, grep_core._Half.__init__
    halves: list[Child] = []
    killed: list[Child] = []

    def confirm(self: Index) -> bool:
        real_confirm(self)
        return next(answers, True)

    def half(self: grep_core._Half, work: object, errors: str | None = None) -> None:
        real_half(self, work, errors)  # type: ignore[arg-type]
        halves.append(self.child)

    def end(self: Child, kill: bool = False) -> int:
        if kill:
            killed.append(self)
        return real_end(self, kill)

    monkeypatch.setattr(Index, "confirm", confirm)
    monkeypatch.setattr(grep_core._Half, "__init__", half)
    monkeypatch.setattr(Child, "end", end)
    assert _grep(args, 1, capsys) == one
    assert len(halves) == 2 and all(not child.running for child in halves)
    assert halves[0] in killed and halves[1] not in killed  # ended early, then the retry's


@pytest.mark.parametrize("output", ["captured", "string"])
def test_a_first_half_without_entries_adds_no_blank_line(
    output: str, docs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the child separates its first entry from the parent's; with none from the parent,
    # the separator goes, whether the child's text came encoded (a UTF-8 text stream
    # such as pytest's) or as text (any other stream)
    import contextlib
    import io

    from gtcbrief import search as search_module

    real = search_module.ranking

    def padded(index: object, query: str, options: object) -> object:
        ranked = real(index, query, options)  # type: ignore[arg-type]
        assert ranked is not None
        rows = index.conn.execute(  # type: ignore[attr-defined]
            "SELECT id FROM units WHERE instr(norm, ?) = 0 LIMIT ?", (query, len(ranked) + 1)
        )
        return [(rowid, 0.0) for (rowid,) in rows] + ranked  # the first half finds nothing

    monkeypatch.setattr(search_module, "ranking", padded)
    args = ["注意力", str(docs), "--cache-dir", str(docs.parent / "cache")]
    if output == "captured":
        one, two = _grep(args, 10**9, capsys), _grep(args, 1, capsys)
    else:
        results = []
        for split_from in (10**9, 1):
            buffer = io.StringIO()
            monkeypatch.setattr(grep_core, "SPLIT_FROM", split_from)
            with contextlib.redirect_stdout(buffer):
                results.append((run(["grep", *args]), buffer.getvalue()))
        one, two = results
    assert one == two
    assert one[0] == 0 and one[1] and not one[1].startswith("\n")


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl"])
def test_a_first_half_without_entries_leaves_the_second_to_start_the_output(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ranked first are the entries the query excludes, so this process's half shows
    nothing: the child's half then starts the output, without the separator it put
    before its first entry (a blank line, a comma)."""
    brief = ["# 每日参会快报", ""]
    for n in range(4):
        brief += [f"## 【Talks & Panels】排除 {n}", "", "### 实事描述", "模型" * 6 + " 数据", ""]
    for n in range(4):
        brief += [f"## 【Talks & Panels】保留 {n}", "", "### 实事描述", "模型 其他", ""]
    (tmp_path / "a.md").write_text("\n".join(brief), "utf-8")
    args = ["模型 -数据", str(tmp_path), "--cache-dir", str(tmp_path / "cache"), "--format", fmt]
    one = _grep(args, 10**9, capsys)
    counts: list[int] = []
    real = grep_core._Half.result

    def recorded(self: grep_core._Half) -> tuple[int, str | bytes] | None:
        done = real(self)
        counts.append(-1 if done is None else done[0])
        return done

    monkeypatch.setattr(grep_core._Half, "result", recorded)
    assert _grep(args, 1, capsys) == one
    assert counts == [4]  # all four shown came from the child
    if fmt == "json":
        assert [r["title"] for r in json.loads(one[1])] == [f"保留 {n}" for n in range(4)]
    assert one[1].count("保留") == 4 and "排除" not in one[1]
