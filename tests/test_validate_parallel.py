"""validate on a large corpus: a second process runs every rule but description-mismatch.

The split must not change anything a user sees: the same findings in the same
order, the same messages about a rule that crashes or lacks a dependency.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import pytest
from typer.testing import CliRunner

import gtcbrief.rules as rules
from gtcbrief.cli import app
from gtcbrief.rules import engine

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "gtc-daily-brief.md"
NOTES = ROOT / "samples" / "gtc-notes.md"
runner = CliRunner()


def validate(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["validate", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(params=[6, 24], ids=["7 files", "25 files, loaded by two processes"])
def corpus(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """Briefs and notes whose entries are copies of each other (GB110, GB301, GB302).
    With two processes a worker loads some of them, and the main process the others,
    running the per-document rules on those as it loads them."""
    folder = tmp_path / "reports"
    folder.mkdir()
    for i in range(request.param):
        (folder / f"{i:02d}-brief.md").write_text(SEED.read_text("utf-8"), "utf-8")
    (folder / "notes.md").write_text(NOTES.read_text("utf-8"), "utf-8")
    return folder


_real_side_rules = engine._side_rules


def _marked_side_rules() -> object:
    """engine._side_rules, leaving a mark that the second process ran it."""
    Path(os.environ["SIDE_MARK"]).write_text(str(os.getpid()))
    return _real_side_rules()


def _both(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[tuple[int, str, str], ...]:
    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "1")  # each run loads, and features, the files
    monkeypatch.setenv("GTCBRIEF_JOBS", "1")
    serial = validate(*args)
    monkeypatch.setenv("GTCBRIEF_JOBS", "2")
    monkeypatch.setattr(engine, "PARALLEL_FROM", 1)
    mark = Path(os.environ["GTCBRIEF_CACHE_DIR"]).parent / "side-mark"
    monkeypatch.setenv("SIDE_MARK", str(mark))
    monkeypatch.setattr(engine, "_side_rules", _marked_side_rules)
    parallel = validate(*args)
    assert mark.exists() and mark.read_text() != str(os.getpid()), "no second process ran"
    return serial, parallel


def test_the_split_gives_the_same_findings_in_the_same_order(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial, parallel = _both(
        monkeypatch, str(corpus), "--format", "jsonl", "--mismatch-threshold", "1.01"
    )
    assert parallel == serial
    codes = {line.split('"code": "')[1][:5] for line in serial[1].splitlines()}
    assert {"GB104", "GB110", "GB301", "GB302", "GB401"} <= codes  # both sides found things


def test_with_no_process_to_spare_one_process_does_it_all(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forks that fail (EAGAIN: a process limit) leave the work to the main process:
    the loader's workers, the second process of the rules, the featurising pool."""
    import errno
    import sys

    from gtcbrief import mismatch

    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "1")
    monkeypatch.setenv("GTCBRIEF_JOBS", "1")
    args = (str(corpus), "--format", "jsonl", "--mismatch-threshold", "1.01")
    serial = validate(*args)
    monkeypatch.setenv("GTCBRIEF_JOBS", "2")
    monkeypatch.setattr(engine, "PARALLEL_FROM", 1)
    monkeypatch.setattr(mismatch, "PREPARE_IN_WORKERS_FROM", 1)
    tried: set[str] = set()

    def no_fork() -> int:
        frame = sys._getframe(1)
        while frame is not None:  # which of gtcbrief's modules asked
            name = frame.f_globals.get("__name__", "")
            if name.startswith("gtcbrief."):
                tried.add(name)
                break
            frame = frame.f_back  # type: ignore[assignment]
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert validate(*args) == serial
    assert {"gtcbrief.forked", "gtcbrief.rules.engine", "gtcbrief.mismatch"} <= tried


def _with_check(code: str, check: object) -> tuple[rules.Rule, ...]:
    return tuple(
        r if r.code != code else type(r)(**{**_as_dict(r), "check": check})
        for r in rules.all_rules()
    )


def _as_dict(rule: rules.Rule) -> dict[str, object]:
    return {f.name: getattr(rule, f.name) for f in fields(rule)}


def test_a_rule_crashing_in_the_second_process_is_reported_as_before(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crashing(d: object) -> list[object]:
        raise ValueError("boom")

    monkeypatch.setattr(rules, "_RULES", _with_check("GB402", crashing))
    serial, parallel = _both(monkeypatch, str(corpus))
    assert parallel == serial
    code, _, err = parallel
    assert code == 3 and "internal error in GB402/empty-anchor" in err and "ValueError: boom" in err


def test_a_missing_dependency_in_the_second_process_is_a_skip_as_before(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(d: object) -> list[object]:
        raise ModuleNotFoundError("No module named 'somedep'", name="somedep")

    monkeypatch.setattr(rules, "_RULES", _with_check("GB402", broken))
    serial, parallel = _both(monkeypatch, str(corpus))
    assert parallel == serial
    assert "GB402/empty-anchor skipped: No module named 'somedep'" in parallel[2]


def test_the_main_process_loads_and_checks_some_documents_itself(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtcbrief import loader

    here: list[str] = []
    real = loader.while_loading_here

    def watched(work: object) -> None:
        def both(doc: object) -> None:
            here.append(doc.path)  # type: ignore[attr-defined]
            work(doc)  # type: ignore[operator]

        real(None if work is None else both)

    monkeypatch.setattr(loader, "while_loading_here", watched)
    _both(monkeypatch, str(corpus))
    files = len(list(corpus.iterdir()))
    assert len(here) < files  # the worker loads the first, at least
    if files > 20:
        assert here  # and, with four in its hands, leaves the next to the main process


def test_both_ends_claim_each_unchecked_document_once() -> None:
    """The two processes take the documents left to check from either end, in turns."""
    import json
    import time

    claims = engine._Claims(list(range(10, 110)))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the second process: from the back
        taken = []
        while (n := claims.take(from_back=True)) is not None:
            taken.append(n)
            time.sleep(0.001)
        os.write(write, json.dumps(taken).encode())
        os._exit(0)
    os.close(write)
    mine = []
    while (n := claims.take(from_back=False)) is not None:
        mine.append(n)
        time.sleep(0.001)
    theirs = json.loads(os.read(read, 1 << 16))
    os.waitpid(pid, 0)
    assert sorted(mine + theirs) == list(range(10, 110))
    assert mine == list(range(10, 10 + len(mine)))  # a prefix
    assert theirs == list(range(109, 109 - len(theirs), -1))  # and the rest, from the back


def test_crashes_keep_document_order_when_both_processes_check_documents(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    def crashing(d: object) -> list[object]:
        time.sleep(0.03)  # checking a document takes a while: both processes take some
        raise ValueError("boom")

    real_copied = next(r for r in rules.all_rules() if r.code == "GB302").check

    def slowed(*args: object) -> object:  # the second process starts checking later
        time.sleep(0.1)
        return real_copied(*args)  # type: ignore[misc]

    patched = _with_check("GB402", crashing)
    monkeypatch.setattr(rules, "_RULES", patched)
    monkeypatch.setattr(rules, "_RULES", _with_check("GB302", slowed))
    claimed_here: list[int] = []
    real_take = engine._Claims.take

    def take(self: engine._Claims, *, from_back: bool) -> int | None:
        n = real_take(self, from_back=from_back)
        if not from_back and n is not None:
            claimed_here.append(n)
        return n

    monkeypatch.setattr(engine._Claims, "take", take)
    serial, parallel = _both(monkeypatch, str(corpus))
    assert parallel == serial
    assert claimed_here  # this process checked some of the worker's documents
    code, _, err = parallel
    assert code == 3 and err.count("internal error in GB402/empty-anchor") > 1
