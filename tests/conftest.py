"""Shared fixtures: stable terminal output, paths to samples and the shared corpus."""

from __future__ import annotations

import importlib.util
import marshal
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"

settings.register_profile("default", deadline=None, max_examples=200)
settings.register_profile(
    "fuzz", deadline=None, max_examples=20_000, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail instead of hanging: a dead or stuck worker must never leave the parent
    waiting (SIGALRM after 60 s)."""
    import signal

    def expired(*_: object) -> None:
        raise TimeoutError("still waiting for a worker process after 60 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def _stable_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Pin width and colour so rich output is the same everywhere; isolate caches."""
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")  # not CI's "dumb", which no colour overrides
    monkeypatch.setenv("GTCBRIEF_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def shared() -> Path:
    """``../shared`` beside the repo; CI always has it, elsewhere tests skip without it."""
    if not SHARED.is_dir():
        if os.environ.get("CI"):
            pytest.fail("../shared is missing in CI")
        pytest.skip("../shared is not beside this checkout")
    return SHARED


def _import_bench_script(name: str) -> ModuleType:
    module_name = f"bench_{name}"
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def bench_script() -> Callable[[str], ModuleType]:
    """Imports ``bench/<name>.py`` as a module (the benchmark scripts are not a package)."""
    return _import_bench_script


#: What the Typer app passes to ``owner.name`` for a command line: (args, keywords),
#: or ``None`` when it refused the command line.
TyperCall = Callable[[list[str], Any, str], tuple[tuple[Any, ...], dict[str, Any]] | None]


@pytest.fixture(scope="session")
def typer_call() -> TyperCall:
    """The call the Typer app makes for a command line, with ``owner.name`` recorded, not run
    (what a command's Typer-free parser must reproduce)."""
    from typer.testing import CliRunner

    from gtcbrief.cli import app

    runner = CliRunner()

    def call(
        command: list[str], owner: Any, name: str
    ) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        seen: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

        def record(*args: Any, **keywords: Any) -> int:
            seen.append((args, keywords))
            return 0

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(owner, name, record)
            result = runner.invoke(app, command)
        if result.exit_code != 0:
            assert not seen
            return None
        assert len(seen) == 1
        return seen[0]

    return call


#: A command line's (exit status, standard output, standard error).
Answer = tuple[int, str, str]
EntryAndApp = Callable[[list[str]], tuple[Answer, Answer]]


@pytest.fixture
def entry_and_app(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> EntryAndApp:
    """A command line's answer through the entry point (``gtcbrief/__main__.py``, with its
    Typer-free paths) and through the Typer app, run from the repository's root."""
    from gtcbrief import __main__ as entry
    from gtcbrief.cli import run

    monkeypatch.chdir(ROOT)

    def answers(args: list[str]) -> tuple[Answer, Answer]:
        code = entry.main(args)
        got = capsys.readouterr()
        code_app = run(args)
        app = capsys.readouterr()
        return (code, got.out, got.err), (code_app, app.out, app.err)

    return answers


def damage_kept_texts(folder: Path) -> int:
    """Damage entries of a :class:`gtcbrief.cache.TextsStore` in ``folder`` every way
    it must take as a miss, and return how many: one made a copy of another
    document's entry with as many strings (only the key tells them apart), one
    truncated, one not marshal data, one with as many items that are not strings,
    one a string short, and one removed. Needs seven entries, two of one count."""
    files = sorted(folder.iterdir())
    by_count: dict[int, list[Path]] = {}
    for path in files:
        by_count.setdefault(len(marshal.loads(path.read_bytes())[1]), []).append(path)
    copy, original = next(paths[:2] for paths in by_count.values() if len(paths) > 1)
    copy.write_bytes(original.read_bytes())
    rest = [path for path in files if path not in (copy, original)]
    rest[0].write_bytes(rest[0].read_bytes()[:-3])
    rest[1].write_bytes(b"\x00not marshal")
    key, made = marshal.loads(rest[2].read_bytes())
    rest[2].write_bytes(marshal.dumps((key, [0] * len(made))))
    key, made = marshal.loads(rest[3].read_bytes())
    rest[3].write_bytes(marshal.dumps((key, made[:-1])))
    rest[4].unlink()
    return 6
