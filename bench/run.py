"""Benchmark gtcbrief against its peers and rewrite the results in BENCHMARKS.md.

``make bench`` runs this. It generates corpora (``bench/gen_corpus.py``)
under ``bench/out/`` (git-ignored), runs every measurement several times
(median wall time; peak memory of the whole process tree), measures the
peers in the same run (``markdownlint-cli2`` for validate, ``rg`` for grep,
an all-pairs rapidfuzz baseline for dedupe), and replaces the block between
``<!-- bench:begin -->`` and ``<!-- bench:end -->`` in ``BENCHMARKS.md``
(creating the file if needed; everything outside the block is kept).

A subcommand that does not exist yet (``gtcbrief CMD --help`` fails) is
reported as "not built yet" instead of failing the harness.

Usage::

    python bench/run.py              # full run: 1k, 10k, 100k entries
    python bench/run.py --quick      # smoke run: 1k and 10k, one repetition
    python bench/run.py --only grep  # rows whose id starts with "grep"
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
OUT = BENCH / "out"
NODE_PREFIX = BENCH / "node"
BENCHMARKS_MD = REPO / "BENCHMARKS.md"
BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"
SEED = 1
SAMPLE_BRIEF = "samples/gtc-daily-brief.md"
GREP_QUERIES = ("注意力", "NCCL")
BASELINE_ENTRIES = 2000
DEFAULT_TIMEOUT = 600.0
SLOW = 10.0  # seconds: a warm-up run longer than this counts as a measured run
MEMORY_CAP = 8 * 1024**3  # a runaway command is stopped rather than allowed to swap

HEADER = """# Benchmarks

How fast `gtcbrief` is from one file in a pre-commit hook to 100,000 entries,
measured against the tools people would otherwise use. Everything in the block
below is rewritten by the harness; other sections of this file are kept.

## How to run

```sh
make bench                        # full run: corpora of 1k, 10k and 100k entries (~20+ min)
.venv/bin/python bench/run.py --quick        # smoke run: 1k/10k, one repetition
.venv/bin/python bench/run.py --only grep    # just the rows whose id starts with "grep"
.venv/bin/python bench/gen_corpus.py --entries 10000 --seed 1 --out bench/out/c10k
```

Peers are installed locally, never globally: `markdownlint-cli2` with
`npm install --prefix bench/node markdownlint-cli2` (the harness does this if
npm is available), `rg` from Debian (`apt-get install -y ripgrep`), and the
all-pairs rapidfuzz baseline runs from a throwaway venv in `bench/out/` (it
needs numpy, which gtcbrief does not). Corpora and raw results
(`bench/out/results.json`) go to the git-ignored `bench/out/`.

Corpora: `bench/gen_corpus.py` (deterministic by `--seed`; 20 entries a file)
builds briefs in the seed template from the real text in `../shared/` (arXiv
titles and Chinese summaries, paper-reading, GTC 2024 session titles, the seed
brief), with unfinished entries, setext-trap separators and half-width author
colons, and plants 3% near-duplicates (exact copies, copied descriptions with
small edits, the same session reported twice) listed in `manifest.json`, from
which dedupe recall is computed. 100k entries are 175 MB.

Method: each command runs once to warm the page cache (and, for grep, the
index), then N times (fewer when the runs have used 2 minutes; a warm-up over
10 s counts as a run); the table shows the median wall time, and the peak
memory of the whole process tree (its resident size; with several processes,
the sum of their proportional set sizes, so pages a forked worker shares with
its parent count once), sampled every 50 ms (250 ms while several processes
run), or the kernel's `ru_maxrss` of the command where that is higher and above
the harness's own peak (Linux carries the memory a process had before `exec`,
here the harness's, into that figure; a command over before its first sample
shows "—"). A command
and its peer run in turns, one run of each a round with the order rotating
(the validate variants at 10k share one peer and take turns with it too), so a
machine that slows down part-way slows both alike. Ratios divide gtcbrief's
median by the peer's median from the same run. CPU is the
median user + system time of the command and its child processes: on a shared
machine it is steadier than wall time (the load average is recorded). stdout
goes to `/dev/null`; gtcbrief runs with `GTCBRIEF_CACHE_DIR=bench/out/cache`.
"""


# --------------------------------------------------------------------------- measuring


@dataclass(slots=True)
class Run:
    seconds: float
    peak_bytes: int
    returncode: int
    cpu_seconds: float = 0.0  # user + system, the command and its reaped children


@dataclass(slots=True)
class Measure:
    """Repeated runs of one command."""

    argv: list[str]
    runs: list[Run] = field(default_factory=list)
    error: str | None = None
    stdout: str | None = None  # captured from the last run when asked for

    @property
    def median(self) -> float | None:
        return statistics.median(r.seconds for r in self.runs) if self.runs else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(r.cpu_seconds for r in self.runs) if self.runs else None

    @property
    def peak(self) -> int | None:
        return max(r.peak_bytes for r in self.runs) if self.runs else None

    @property
    def spread(self) -> tuple[float, float] | None:
        if not self.runs:
            return None
        times = [r.seconds for r in self.runs]
        return min(times), max(times)


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _own_bytes(pid: int) -> int:
    """Proportional set size (a page shared by n processes counts 1/n in each), so a
    forked worker's shared pages are not counted twice; resident size where the
    kernel has no smaps_rollup."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    with open(f"/proc/{pid}/statm", "rb") as fh:
        return int(fh.read().split()[1]) * _PAGE


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants (Linux /proc)."""
    found: list[int] = []
    stack = [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        try:
            with open(f"/proc/{pid}/task/{pid}/children", "rb") as fh:
                stack.extend(int(x) for x in fh.read().split())
        except (OSError, ValueError):
            continue
    return found


def _tree_rss(root: int) -> tuple[int, int]:
    """(memory, processes) of ``root``'s process tree: resident size for one process,
    the sum of proportional set sizes (:func:`_own_bytes`) for several."""
    pids = _tree(root)
    total = 0
    for pid in pids:
        try:
            if len(pids) == 1:
                with open(f"/proc/{pid}/statm", "rb") as fh:
                    total += int(fh.read().split()[1]) * _PAGE
            else:
                total += _own_bytes(pid)
        except (OSError, ValueError, IndexError):
            continue
    return total, len(pids)


def _own_peak() -> int:
    """This process's peak resident size (``VmHWM``), in bytes; 0 where unknown."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_once(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    capture: bool = False,
    stderr_path: Path | None = None,
) -> tuple[Run, str]:
    """Run a command; wall time, peak memory of its process tree, exit code, stdout."""
    stdout_target: int | None = subprocess.PIPE if capture else subprocess.DEVNULL
    err = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL  # noqa: SIM115
    peak = 0
    done = threading.Event()
    inherited = _own_peak()
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            stdout=stdout_target,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )

        over = threading.Event()

        def sample() -> None:
            # Every 50 ms; every 250 ms while there are several processes, whose
            # proportional sizes cost the kernel a page-table walk to report.
            nonlocal peak
            interval = 0.05
            while not done.wait(interval):
                size, processes = _tree_rss(proc.pid)
                peak = max(peak, size)
                interval = 0.05 if processes == 1 else 0.25
                if peak > MEMORY_CAP and not over.is_set():
                    over.set()
                    os.killpg(proc.pid, signal.SIGKILL)  # our own child's process group

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        chunks: list[bytes] = []
        reader: threading.Thread | None = None
        if capture and proc.stdout is not None:
            out = proc.stdout

            def drain() -> None:
                chunks.append(out.read())

            reader = threading.Thread(target=drain, daemon=True)
            reader.start()
        deadline = started + timeout
        status = 0
        rusage = None
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)  # our own child's process group
                pid, status, rusage = os.wait4(proc.pid, 0)
                status = -1
                break
            # Fine-grained for short commands; a long one need not be polled 500×/s.
            time.sleep(0.002 if time.perf_counter() - started < 0.5 else 0.01)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status) if status != -1 else -9
        done.set()
        sampler.join()
        if reader is not None:
            reader.join()
        maxrss = rusage.ru_maxrss * 1024 if rusage is not None else 0
        if maxrss <= inherited:
            # Linux carries the peak of the memory a process had before exec (this
            # harness's, forked) into its ru_maxrss: a figure no higher than our own
            # peak may be ours, not the command's, so only the samples count then.
            maxrss = 0
        text = b"".join(chunks).decode("utf-8", "replace")
        returncode = proc.returncode if status != -1 else -9
        if over.is_set():
            returncode = -10
        cpu = rusage.ru_utime + rusage.ru_stime if rusage is not None else 0.0
        return Run(seconds, max(peak, maxrss), returncode, cpu), text
    finally:
        done.set()
        if stderr_path:
            err.close()  # type: ignore[union-attr]


@dataclass(slots=True)
class Spec:
    """One command to measure, with what it needs around each run."""

    argv: list[str]
    env: dict[str, str] | None = None
    ok_codes: tuple[int, ...] = (0,)
    before_each: Callable[[], None] | None = None
    capture_last: bool = False


def measure(
    argv: Sequence[str],
    *,
    reps: int,
    warmup: int = 1,
    ok_codes: tuple[int, ...] = (0,),
    env: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    capture_last: bool = False,
    before_each: Callable[[], None] | None = None,
    budget: float = 120.0,
    warm_only: bool = False,
) -> Measure:
    """Warm up, then run ``reps`` times; stops at the first unexpected exit code.

    Repetition stops early once the measured runs have used ``budget`` seconds
    (a 3-minute command is measured once, not five times). ``warm_only``: a slow
    warm-up is never counted (see :func:`measure_together`).
    """
    spec = Spec(list(argv), env, ok_codes, before_each, capture_last)
    return measure_together(
        [spec], reps=reps, warmup=warmup, timeout=timeout, budget=budget, warm_only=warm_only
    )[0]


def measure_together(
    specs: Sequence[Spec],
    *,
    reps: int,
    warmup: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    budget: float = 120.0,
    warm_only: bool = False,
) -> list[Measure]:
    """:func:`measure` for commands compared with each other, run in turns.

    A warm-up longer than ``SLOW`` counts as a measured run, unless ``warm_only``:
    then what is measured is the warm state the warm-up made (parse from the
    document cache, which a change to the loader empties).

    Each round runs every command once, the order rotating from round to
    round, so a machine that slows down or speeds up part-way through (a
    shared machine does) slows every command alike and their ratio holds. A
    command stops at its first unexpected exit code (the others go on), or
    once its measured runs have used ``budget`` seconds.
    """
    results = [Measure(list(spec.argv)) for spec in specs]
    totals = [warmup + reps] * len(specs)
    done = [0] * len(specs)
    OUT.mkdir(parents=True, exist_ok=True)
    errfile = OUT / "last-stderr.txt"
    turn = 0
    while True:
        live = [i for i in range(len(specs)) if done[i] < totals[i] and results[i].error is None]
        if not live:
            return results
        turn += 1
        for i in live[turn % len(live) :] + live[: turn % len(live)]:
            spec, result = specs[i], results[i]
            if spec.before_each is not None:
                spec.before_each()
            try:
                run, text = run_once(
                    spec.argv, env=spec.env, timeout=timeout, capture=spec.capture_last,
                    stderr_path=errfile,
                )  # fmt: skip
            except OSError as exc:
                result.error = f"cannot run: {exc}"
                continue
            if run.returncode not in spec.ok_codes:
                result.error = _failure(run, errfile, timeout)
                continue
            if done[i] >= warmup:
                result.runs.append(run)
            elif run.seconds > SLOW and not warm_only:
                # A warm-up that slow is dominated by computing, not by the page
                # cache: count it as the first measured run.
                result.runs.append(run)
                totals[i] -= 1
            if spec.capture_last:  # every run, so a slow warm-up's output counts too
                result.stdout = text
            done[i] += 1
            if result.runs and sum(r.seconds for r in result.runs) > budget:
                totals[i] = done[i]


def _failure(run: Run, errfile: Path, timeout: float) -> str:
    """Why a run failed, in one line: the exit, and the telling line of its stderr."""
    tail = errfile.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    why = {-9: f"timed out after {timeout:.0f} s", -10: "memory cap exceeded"}.get(
        run.returncode, f"exit {run.returncode}"
    )
    if run.returncode == -10:
        tail = [f"stopped at {run.peak_bytes / 1024**3:.1f} GiB"]
    telling = [ln for ln in tail if re.search(r"(?i)internal|crash|traceback|error:", ln)]
    line = (telling or tail or ["no stderr"])[-1 if not telling else 0]
    return f"{why}: {line[:160]}"


# --------------------------------------------------------------------------- environment


def _version(argv: Sequence[str]) -> str:
    try:
        out = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=60, cwd=REPO, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "not available"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0].strip() if text else "unknown"


def _py_version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    osname = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                osname = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.release()})"
    except OSError:
        pass
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "load average (1/5/15 min)": load,
        "cpu": f"{cpu}, {os.cpu_count()} logical cores",
        "memory": mem,
        "os": osname,
        "python": platform.python_version(),
    }


@dataclass(slots=True)
class Tools:
    gtcbrief: list[str]
    python: str
    mdl: list[str] | None
    rg: str | None
    versions: dict[str, str]


def find_tools(install: bool) -> Tools:
    bindir = Path(sys.executable).parent
    exe = bindir / "gtcbrief"
    gtc = [str(exe)] if exe.exists() else [sys.executable, "-m", "gtcbrief"]
    mdl_bin = NODE_PREFIX / "node_modules" / ".bin" / "markdownlint-cli2"
    if not mdl_bin.exists() and install and shutil.which("npm"):
        print("bench: installing markdownlint-cli2 into bench/node …", file=sys.stderr)
        subprocess.run(
            ["npm", "install", "--prefix", str(NODE_PREFIX), "--no-audit", "--no-fund",
             "markdownlint-cli2"],
            check=False, cwd=REPO, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    mdl = [str(mdl_bin)] if mdl_bin.exists() else None
    rg = shutil.which("rg")
    versions = {
        "gtcbrief": _version([*gtc, "--version"]),
        "git commit": _version(["git", "describe", "--always", "--dirty"]),
        "typer": _py_version("typer"),
        "mistletoe": _py_version("mistletoe"),
        "jieba": _py_version("jieba"),
        "rapidfuzz": _py_version("rapidfuzz"),
        "numpy": _py_version("numpy"),
        "rich": _py_version("rich"),
        "sqlite": _sqlite_version(),
        "markdownlint-cli2": _mdl_version(mdl_bin) if mdl else "not installed",
        "node": _version(["node", "--version"]) if shutil.which("node") else "not installed",
        "ripgrep": _version([rg, "--version"]) if rg else "not installed",
    }
    return Tools(gtc, sys.executable, mdl, rg, versions)


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _mdl_version(binary: Path) -> str:
    pkg = NODE_PREFIX / "node_modules" / "markdownlint-cli2" / "package.json"
    try:
        cli = json.loads(pkg.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        cli = "?"
    lib = NODE_PREFIX / "node_modules" / "markdownlint" / "package.json"
    try:
        core = json.loads(lib.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        core = "?"
    return f"{cli} (markdownlint {core})"


def has_command(tools: Tools, name: str) -> bool:
    out = subprocess.run(
        [*tools.gtcbrief, name, "--help"],
        capture_output=True, cwd=REPO, check=False, timeout=120,
    )  # fmt: skip
    return out.returncode == 0


# --------------------------------------------------------------------------- corpora


def corpus(entries: int) -> Path:
    """Generate (or reuse) the corpus of ``entries`` entries; returns its directory."""
    name = f"c{entries // 1000}k" if entries % 1000 == 0 else f"c{entries}"
    out = OUT / name
    manifest = out / "manifest.json"
    if manifest.exists():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            gen = _gen_module()
            if (data.get("entries"), data.get("seed"), data.get("version")) == (
                entries,
                SEED,
                gen.GENERATOR_VERSION,
            ):
                return out
        except ValueError:
            pass
    subprocess.run(
        [sys.executable, str(BENCH / "gen_corpus.py"), "--entries", str(entries),
         "--seed", str(SEED), "--out", str(out)],
        check=True, cwd=REPO,
    )  # fmt: skip
    return out


def _gen_module() -> ModuleType:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_corpus", BENCH / "gen_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_corpus"] = module
    spec.loader.exec_module(module)
    return module


def rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


# --------------------------------------------------------------------------- rows


@dataclass(slots=True)
class Row:
    id: str
    what: str
    target: str
    ours: Measure | None = None
    peer: Measure | None = None
    peer_name: str = ""
    status: str = ""  # "", "not built yet", "skipped: …", "error: …"
    verdict: str = ""
    notes: list[str] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.ours and self.peer and self.ours.median and self.peer.median:
            return self.ours.median / self.peer.median
        return None


def _check(row: Row, ok: bool | None) -> None:
    if row.status:
        return
    if row.ours and row.ours.error:
        row.status = f"error: {row.ours.error}"
        return
    if row.peer and row.peer.error:
        row.notes.append(f"peer failed: {row.peer.error}")
    ours_cpu = row.ours.cpu if row.ours else None
    peer_cpu = row.peer.cpu if row.peer else None
    if ours_cpu and peer_cpu:
        row.notes.append(f"CPU-time ratio {ours_cpu / peer_cpu:.2f}× ({row.peer_name})")
    row.verdict = "—" if ok is None else ("✅ met" if ok else "❌ missed")


@dataclass(slots=True)
class Context:
    tools: Tools
    reps: int
    quick: bool
    env: dict[str, str]
    built: dict[str, bool]
    sizes: tuple[int, ...]
    only: tuple[str, ...] = ()
    all: bool = False  # also the rows without a target (validate at 100k)

    def wants(self, row_id: str) -> bool:
        return not self.only or any(row_id.startswith(o) for o in self.only)


def _gtc(ctx: Context, *args: str) -> list[str]:
    return [*ctx.tools.gtcbrief, *args]


def row_startup(ctx: Context) -> list[Row]:
    rows = []
    for flag in ("--version", "--help"):
        row = Row(f"startup{flag}", f"`gtcbrief {flag}`", "< 0.15 s")
        if not ctx.wants(row.id):
            continue
        row.ours = measure(_gtc(ctx, flag), reps=max(ctx.reps, 10), env=ctx.env)
        median = row.ours.median
        _check(row, median is not None and median < 0.15)
        rows.append(row)
    return rows


def _not_built(row: Row, ctx: Context, cmd: str) -> bool:
    if not ctx.built.get(cmd, False):
        row.status = "not built yet"
        return True
    return False


def _mdl_args(ctx: Context, target: str) -> list[str] | None:
    if ctx.tools.mdl is None:
        return None
    return [*ctx.tools.mdl, target]


def row_validate(ctx: Context) -> list[Row]:
    rows = []
    one = Row("validate-one", "validate one brief (seed, 20 entries)", "≤ 1.0× markdownlint-cli2")
    one.peer_name = "markdownlint-cli2"
    if ctx.wants(one.id) and not _not_built(one, ctx, "validate"):
        _mine_and_peer(
            one, Spec(_gtc(ctx, "validate", SAMPLE_BRIEF), ctx.env, (0, 1)),
            _mdl_args(ctx, SAMPLE_BRIEF), reps=max(ctx.reps, 10),
        )  # fmt: skip
        ratio = one.ratio
        _check(one, None if ratio is None else ratio <= 1.0)
    rows.append(one)
    for size in ctx.sizes:
        if size < 10_000 or (size > 10_000 and not ctx.all):
            continue
        path = rel(corpus(size))
        row = Row(
            f"validate-{size // 1000}k",
            f"validate {size // 1000}k entries ({size // 20} files)",
            "≤ 0.5× markdownlint-cli2" if size == 10_000 else "linear in size",
        )
        row.peer_name = "markdownlint-cli2"
        row.what += ", warm cache"
        target = 0.5 if size == 10_000 else None
        reps = ctx.reps if size <= 10_000 else max(1, min(ctx.reps, 3))
        # At 10k, the same corpus also with nothing cached, and with one file edited
        # before each run (its document and features are loaded again; the corpus
        # rules always run). All run in turns with the one peer measurement.
        cold = Row(
            f"{row.id}-cold", f"validate {size // 1000}k entries, nothing cached",
            row.target, peer_name=row.peer_name,
        )  # fmt: skip
        edit = Row(
            f"{row.id}-edit", f"validate {size // 1000}k entries, one file edited before each run",
            row.target, peer_name=row.peer_name,
        )  # fmt: skip
        cold.extra["env"] = "GTCBRIEF_NO_CACHE=1"
        variants: list[tuple[Row, Spec]] = []
        if ctx.wants(row.id) and not _not_built(row, ctx, "validate"):
            variants.append((row, Spec(_gtc(ctx, "validate", path), ctx.env, (0, 1))))
        if size == 10_000 and ctx.wants(cold.id) and not _not_built(cold, ctx, "validate"):
            cold_env = dict(ctx.env, GTCBRIEF_NO_CACHE="1")
            variants.append((cold, Spec(_gtc(ctx, "validate", path), cold_env, (0, 1))))
        if size == 10_000 and ctx.wants(edit.id) and not _not_built(edit, ctx, "validate"):
            copy = OUT / f"c{size // 1000}k-edit"
            if not copy.exists():
                shutil.copytree(REPO / path, copy)
            files = sorted(copy.rglob("*.md"))
            victim = files[len(files) // 2]
            touch = functools.partial(_append_comment, victim, iter(range(1_000_000)))
            variants.append((edit, Spec(_gtc(ctx, "validate", rel(copy)), ctx.env, (0, 1), touch)))
        if variants:
            mdl = _mdl_args(ctx, f"{path}/**/*.md")
            specs = [spec for _row, spec in variants]
            if mdl:
                specs.append(Spec(mdl, None, (0, 1)))
            measured = measure_together(specs, reps=reps)
            for (variant, _spec), ours in zip(variants, measured, strict=False):
                variant.ours = ours
                variant.peer = measured[-1] if mdl else None
                _verdict(variant, target)
        rows.append(row)
        if size == 10_000:
            rows.extend([cold, edit])
    return rows


def _mine_and_peer(row: Row, mine: Spec, peer: list[str] | None, *, reps: int) -> None:
    """Measure ``mine`` and the peer's command in turns (see :func:`measure_together`)."""
    specs = [mine] if peer is None else [mine, Spec(peer, None, mine.ok_codes)]
    measured = measure_together(specs, reps=reps)
    row.ours = measured[0]
    row.peer = measured[1] if peer is not None else None


def _append_comment(path: Path, counter: Iterator[int]) -> None:
    """Edit a file: its cached document and features no longer apply."""
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"\n<!-- bench edit {next(counter)} -->\n")


def _verdict(row: Row, target: float | None) -> None:
    ratio = row.ratio
    _check(row, None if ratio is None or target is None else ratio <= target)


INDEX_DIR = OUT / "grep-index"  # grep's index only: other caches stay warm


def _index_args() -> list[str]:
    return ["--cache-dir", rel(INDEX_DIR)]


def _clear_index() -> None:
    shutil.rmtree(INDEX_DIR, ignore_errors=True)


def row_grep(ctx: Context) -> list[Row]:
    rows = []
    for size in ctx.sizes:
        if size < 10_000:
            continue
        path = rel(corpus(size))
        k = f"{size // 1000}k"
        cold = Row(f"grep-{k}-cold", f"grep cold index build, {k} entries", "recorded")
        if ctx.wants(cold.id) and not _not_built(cold, ctx, "grep"):
            cold.ours = measure(
                _gtc(ctx, "grep", GREP_QUERIES[0], path, "--format", "jsonl", *_index_args()),
                reps=1 if size > 10_000 else min(ctx.reps, 3),
                warmup=0, ok_codes=(0, 1), env=ctx.env, before_each=_clear_index,
            )  # fmt: skip
            median = cold.ours.median
            if median:
                mb = sum(p.stat().st_size for p in Path(REPO / path).rglob("*.md")) / 1e6
                cold.notes.append(f"{size / median:,.0f} entries/s, {mb / median:.1f} MB/s")
                cold.extra["entries_per_s"] = size / median
            _check(cold, None)
        rows.append(cold)
        for query in GREP_QUERIES:
            row = Row(f"grep-{k}-{query}", f"warm grep `{query}`, {k} entries", "≤ 1.5× rg")
            row.peer_name = "rg"
            if ctx.wants(row.id) and not _not_built(row, ctx, "grep"):
                mine = Spec(_gtc(ctx, "grep", query, path, *_index_args()), ctx.env, (0, 1))
                # a tenth of a second each, on a machine whose speed moves by a third from
                # run to run: five runs a side left the verdict of a row at 1.45-1.64x to
                # chance; fifteen cost a few seconds more
                _mine_and_peer(row, mine, _rg(ctx, query, path), reps=max(ctx.reps, 15))
                ratio = row.ratio
                _check(row, None if ratio is None else ratio <= 1.5)
            rows.append(row)
        if size < 100_000:
            continue
        # what an analyst at a terminal waits for: both in colour (no target; recorded)
        for query in GREP_QUERIES:
            row = Row(
                f"grep-{k}-{query}-colour", f"warm grep `{query}`, {k} entries, in colour",
                "recorded", peer_name="rg",
            )  # fmt: skip
            row.extra["env"] = "FORCE_COLOR=1"
            if ctx.wants(row.id) and not _not_built(row, ctx, "grep"):
                env = dict(ctx.env, FORCE_COLOR="1")
                env.pop("NO_COLOR", None)
                mine = Spec(_gtc(ctx, "grep", query, path, *_index_args()), env, (0, 1))
                rg = _rg(ctx, query, path, "--color", "always")
                _mine_and_peer(row, mine, rg, reps=max(ctx.reps, 15))
                _check(row, None)
            rows.append(row)
        # recorded rows (no target): rg's own events, for the editors and scripts that read
        # them; file order, beside rg in file order (which walks on one thread then)
        variants = (
            ("json", "`--json` events", ["--json"]),
            ("path", "`--sort path`", ["--sort", "path"]),
        )
        for suffix, what, flags in variants:
            for query in GREP_QUERIES:
                row = Row(
                    f"grep-{k}-{query}-{suffix}", f"warm grep `{query}`, {k} entries, {what}",
                    "recorded", peer_name="rg",
                )  # fmt: skip
                if ctx.wants(row.id) and not _not_built(row, ctx, "grep"):
                    ours = _gtc(ctx, "grep", query, path, *flags, *_index_args())
                    mine = Spec(ours, ctx.env, (0, 1))
                    rg = _rg(ctx, query, path, *flags)
                    _mine_and_peer(row, mine, rg, reps=max(ctx.reps, 5))
                    _check(row, None)
                rows.append(row)
    return rows


def _rg(ctx: Context, query: str, path: str, *extra: str) -> list[str] | None:
    """rg's command for a warm grep row: gtcbrief matches Latin words case-insensitively
    (and whole, but rg -w would miss "NCCL库": CJK letters are word characters to rg)."""
    if not ctx.tools.rg:
        return None
    flags = ["-i"] if query.isascii() else []
    return [ctx.tools.rg, "--no-ignore", "-n", *flags, *extra, query, path]


def _planted(corpus_dir: Path) -> list[tuple[tuple[str, int], tuple[str, int], str]]:
    data = json.loads((corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    return [
        ((p["a"]["path"], p["a"]["line"]), (p["b"]["path"], p["b"]["line"]), p["kind"])
        for p in data["pairs"]
    ]


def recall_of_clusters(stdout: str, corpus_dir: Path) -> dict[str, float]:
    """Share of planted pairs whose two entries share a dedupe cluster, by kind."""
    root = corpus_dir.resolve()

    def key(path: str) -> str:
        p = Path(path)
        p = (REPO / p if not p.is_absolute() else p).resolve()
        return p.relative_to(root).as_posix() if p.is_relative_to(root) else path

    cluster_of: dict[tuple[str, int], int] = {}
    try:
        clusters = json.loads(stdout) if stdout.strip() else []
    except ValueError:
        clusters = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    for n, cluster in enumerate(clusters):
        for member in cluster.get("members", []):
            cluster_of[(key(str(member.get("path", ""))), int(member.get("line", 0)))] = n
    return _recall(
        lambda a, b: a in cluster_of and cluster_of.get(a) == cluster_of.get(b), corpus_dir
    )


def _recall(
    found: Callable[[tuple[str, int], tuple[str, int]], bool], corpus_dir: Path
) -> dict[str, float]:
    pairs = _planted(corpus_dir)
    kinds: dict[str, list[bool]] = {}
    for a, b, kind in pairs:
        hit = found(a, b)
        kinds.setdefault(kind, []).append(hit)
        kinds.setdefault("all", []).append(hit)
    return {k: sum(v) / len(v) for k, v in kinds.items() if v}


def _fmt_recall(recall: dict[str, float]) -> str:
    order = ["all", "exact", "copied-description", "same-session"]
    return "recall " + ", ".join(f"{k} {recall[k]:.2f}" for k in order if k in recall)


def baseline_python(ctx: Context) -> str | None:
    """A Python with rapidfuzz (same version as ours) and numpy, for cdist.

    numpy is not a gtcbrief dependency, so the baseline gets its own venv in
    bench/out/ rather than touching the project's environment.
    """
    probe = [ctx.tools.python, "-c", "import numpy, rapidfuzz"]
    if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return ctx.tools.python
    venv = OUT / "venv-baseline"
    py = venv / "bin" / "python"
    if not py.exists():
        print("bench: creating bench/out/venv-baseline (numpy + rapidfuzz) …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=False)
        subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", "numpy",
             f"rapidfuzz=={ctx.tools.versions['rapidfuzz']}"],
            check=False,
        )  # fmt: skip
    probe[0] = str(py)
    ok = subprocess.run(probe, capture_output=True, check=False)
    return str(py) if py.exists() and ok.returncode == 0 else None


def row_dedupe(ctx: Context) -> list[Row]:
    rows = []
    small = corpus(BASELINE_ENTRIES)
    base = Row(
        "dedupe-2k", f"dedupe {BASELINE_ENTRIES // 1000}k entries vs all-pairs rapidfuzz",
        "faster than all pairs",
    )  # fmt: skip
    base.peer_name = "rapidfuzz cdist"
    if ctx.wants(base.id):
        pairs_file = OUT / "baseline-pairs.json"
        pairs_file.unlink(missing_ok=True)
        py = baseline_python(ctx)
        jsonl = OUT / f"{small.name}.jsonl"
        with jsonl.open("wb") as fh:  # the peer gets its entries ready-parsed (not timed)
            subprocess.run(
                _gtc(ctx, "parse", "--format", "jsonl", rel(small)), stdout=fh, check=True,
                cwd=REPO, env=ctx.env,
            )  # fmt: skip
        if py is None:
            base.notes.append("baseline skipped: could not set up numpy + rapidfuzz")
        else:
            base.peer = measure(
                [py, rel(BENCH / "baseline_dedupe.py"), rel(jsonl), "--root", rel(small), "--out",
                 rel(pairs_file)],
                reps=1 if ctx.quick else 2, warmup=0,
            )  # fmt: skip
        if pairs_file.exists() and base.peer is not None and not base.peer.error:
            found = json.loads(pairs_file.read_text(encoding="utf-8"))
            linked = {(tuple(p[0]), tuple(p[1])) for p in found["pairs"]}
            linked |= {(b, a) for a, b in linked}
            recall = _recall(lambda a, b: (a, b) in linked, small)
            base.notes.append(f"baseline {_fmt_recall(recall)}; {len(found['pairs'])} pairs ≥ "
                              f"{found['threshold']}")  # fmt: skip
            base.extra["baseline_recall"] = recall
        if not _not_built(base, ctx, "dedupe"):
            base.ours = measure(
                _gtc(ctx, "dedupe", "--format", "json", rel(small)),
                reps=ctx.reps, ok_codes=(0, 1), env=ctx.env, capture_last=True,
            )  # fmt: skip
            if base.ours.stdout is not None:
                recall = recall_of_clusters(base.ours.stdout, small)
                base.notes.append(f"gtcbrief {_fmt_recall(recall)}")
                base.extra["recall"] = recall
            ratio = base.ratio
            _check(base, None if ratio is None else ratio < 1.0)
    rows.append(base)
    for size in ctx.sizes:
        if size < 10_000:
            continue
        path = corpus(size)
        k = f"{size // 1000}k"
        target = "< 120 s, < 2 GiB" if size == 100_000 else "recorded"
        # Nothing cached: one run at 100k, so a warm or cold cache must not decide it.
        row = Row(f"dedupe-{k}", f"dedupe {k} entries, nothing cached", target)
        row.extra["env"] = "GTCBRIEF_NO_CACHE=1"
        if ctx.wants(row.id) and not _not_built(row, ctx, "dedupe"):
            row.ours = measure(
                _gtc(ctx, "dedupe", "--format", "json", rel(path)),
                reps=1 if size > 10_000 or ctx.quick else min(ctx.reps, 3),
                warmup=0, ok_codes=(0, 1), env=dict(ctx.env, GTCBRIEF_NO_CACHE="1"),
                capture_last=True, timeout=600,
            )  # fmt: skip
            if row.ours.stdout is not None:
                recall = recall_of_clusters(row.ours.stdout, path)
                row.notes.append(_fmt_recall(recall))
                row.extra["recall"] = recall
            median, peak = row.ours.median, row.ours.peak
            ok = None
            if size == 100_000 and median is not None and peak is not None:
                ok = median < 120 and peak < 2 * 1024**3
            _check(row, ok)
        rows.append(row)
        if size != 10_000:
            continue
        # Run again over the same files: documents and compact forms come from the cache.
        warm = Row(f"dedupe-{k}-warm", f"dedupe {k} entries, run again (cached)", "recorded")
        if ctx.wants(warm.id) and not _not_built(warm, ctx, "dedupe"):
            warm.ours = measure(
                _gtc(ctx, "dedupe", "--format", "json", rel(path)),
                reps=min(ctx.reps, 5), ok_codes=(0, 1), env=ctx.env,
            )  # fmt: skip
            _check(warm, None)
        rows.append(warm)
    return rows


def row_parse(ctx: Context) -> list[Row]:
    rows = []
    for size in ctx.sizes:
        path = rel(corpus(size))
        k = f"{size // 1000}k"
        row = Row(f"parse-{k}", f"`parse --format jsonl`, {k} entries", "flat peak memory")
        if not ctx.wants(row.id) and not ctx.wants("parse-"):
            continue
        reps = ctx.reps if size <= 10_000 else max(1, min(ctx.reps, 3))
        # From the warm document cache at every size: a cold run (after a change to the
        # loader) has a worker beside the main process, and its memory is not comparable.
        row.ours = measure(
            _gtc(ctx, "parse", "--format", "jsonl", path), reps=reps, env=ctx.env, warm_only=True
        )
        median = row.ours.median
        if median:
            row.notes.append(f"{size / median:,.0f} entries/s")
        rows.append(row)
    peaks = [r.ours.peak for r in rows if r.ours and r.ours.peak]
    if len(peaks) >= 2:
        growth = peaks[-1] / peaks[0]
        for r in rows:
            _check(r, None)
        rows[-1].verdict = "✅ met" if growth < 1.5 else "❌ missed"
        first, last = rows[0].id[6:], rows[-1].id[6:]
        rows[-1].notes.append(f"peak memory grows {growth:.2f}× from {first} to {last}")
    else:
        for r in rows:
            _check(r, None)
    if 10_000 in ctx.sizes:
        rows.append(_row_parse_table(ctx))
    return rows


#: The terminal a table row draws for: colour, 160 columns.
TABLE_ENV = {"FORCE_COLOR": "1", "COLUMNS": "160"}


def _row_parse_table(ctx: Context) -> Row:
    """What an analyst at a terminal gets from ``parse``: its default there, a table."""
    path = rel(corpus(10_000))
    row = Row("parse-10k-table", "`parse --format table`, 10k entries, in colour", "recorded")
    row.extra["env"] = " ".join(f"{k}={v}" for k, v in TABLE_ENV.items())
    if ctx.wants(row.id):
        env = dict(ctx.env, **TABLE_ENV)
        env.pop("NO_COLOR", None)
        argv = _gtc(ctx, "parse", "--format", "table", path)
        row.ours = measure(argv, reps=1 if ctx.quick else 3, env=env, warm_only=True)
        first = [_first_output(argv, env) for _ in range(1 if ctx.quick else 3)]
        row.notes.append(f"first line after {statistics.median(first) * 1000:,.0f} ms")
        _check(row, None)
    return row


def _first_output(argv: Sequence[str], env: dict[str, str]) -> float:
    """Seconds from starting ``argv`` to the first byte on its stdout (read to the end)."""
    start = time.perf_counter()
    with subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as proc:
        assert proc.stdout is not None
        proc.stdout.read(1)
        first = time.perf_counter() - start
        while proc.stdout.read(1 << 16):
            pass
    return first


def row_stats(ctx: Context) -> list[Row]:
    """``stats`` as an analyst reruns it (documents and words cached, warm-up run first)
    at 10k and 100k entries, and at 10k with nothing cached."""
    rows: list[Row] = []
    for size in ctx.sizes:
        if size < 10_000:
            continue
        path = rel(corpus(size))
        k = f"{size // 1000}k"
        row = Row(f"stats-{k}", f"`stats --format json`, {k} entries", "linear in size")
        if ctx.wants(row.id) and not _not_built(row, ctx, "stats"):
            reps = ctx.reps if size <= 10_000 else max(1, min(ctx.reps, 3))
            row.ours = measure(
                _gtc(ctx, "stats", "--format", "json", path), reps=reps, ok_codes=(0, 1),
                env=ctx.env,
            )  # fmt: skip
            _check(row, None)
        rows.append(row)
        if size == 10_000:
            cold = Row("stats-10k-cold", "`stats --format json`, 10k entries, nothing cached",
                       "recorded")  # fmt: skip
            cold.extra["env"] = "GTCBRIEF_NO_CACHE=1"
            if ctx.wants(cold.id) and not _not_built(cold, ctx, "stats"):
                cold.ours = measure(
                    _gtc(ctx, "stats", "--format", "json", path),
                    reps=1 if ctx.quick else min(ctx.reps, 3), warmup=0, ok_codes=(0, 1),
                    env=dict(ctx.env, GTCBRIEF_NO_CACHE="1"),
                )  # fmt: skip
                _check(cold, None)
            rows.append(cold)
    warm = [r for r in rows if r.id in ("stats-10k", "stats-100k") and r.ours and r.ours.peak]
    if len(warm) == 2:
        first, last = (r.ours.peak for r in warm if r.ours)
        if first and last:
            warm[-1].notes.append(
                f"peak memory grows {last / first:.2f}× from 10k to 100k entries (10× the entries)"
            )
    return rows


GROUPS: dict[str, Callable[[Context], list[Row]]] = {
    "startup": row_startup,
    "validate": row_validate,
    "grep": row_grep,
    "dedupe": row_dedupe,
    "parse": row_parse,
    "stats": row_stats,
}


# --------------------------------------------------------------------------- report


def _secs(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def _mib(value: int | None) -> str:
    return "—" if not value else f"{value / 1024**2:,.0f} MiB"  # 0: over before a sample


def _cmd(argv: Sequence[str]) -> str:
    shown = []
    for arg in argv:
        p = Path(arg)
        if p.is_absolute():
            try:
                arg = p.relative_to(REPO).as_posix()
            except ValueError:
                arg = p.name
        shown.append(arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else f"'{arg}'")
    return " ".join(shown)


def render(rows: Sequence[Row], info: dict[str, str], tools: Tools, args: str, took: float) -> str:
    lines = [BEGIN, "", "## Results", ""]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines.append(f"Generated by `python bench/run.py{args}` on {stamp} in {took / 60:.1f} min.")
    if "--only" in args:
        lines[-1] += " Rows not re-run keep their numbers from the previous run."
    lines += ["", "| machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    lines += ["", "| tool | version |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in tools.versions.items()]
    lines += [
        "",
        "| id | measurement | gtcbrief (median) | peer (median) | ratio | target | peak memory "
        "(gtcbrief / peer) | CPU (gtcbrief / peer) | result |",
        "|---|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for r in rows:
        if r.status:
            ours = r.status
        else:
            ours = _secs(r.ours.median if r.ours else None)
            if r.ours and r.ours.runs:
                ours += f" ({len(r.ours.runs)}×)"
        peer = _secs(r.peer.median if r.peer else None)
        if r.peer and r.peer_name and r.peer.median:
            peer += f" {r.peer_name}"
        ratio = f"{r.ratio:.2f}×" if r.ratio else "—"
        mem = _mib(r.ours.peak if r.ours else None)
        if r.peer and r.peer.peak:
            mem += f" / {_mib(r.peer.peak)}"
        verdict = r.verdict or ("—" if not r.status else "")
        cpu = _secs(r.ours.cpu if r.ours else None)
        if r.peer and r.peer.cpu is not None:
            cpu += f" / {_secs(r.peer.cpu)}"
        lines.append(
            f"| {r.id} | {r.what} | {ours} | {peer} | {ratio} | {r.target} | {mem} | {cpu} "
            f"| {verdict} |"
        )
    notes = [(r.id, n) for r in rows for n in r.notes]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- `{rid}`: {n}" for rid, n in notes]
    lines += ["", "Exact commands (run from the repository root):", ""]
    shown: set[int] = set()
    for r in rows:
        for who, m in (("gtcbrief", r.ours), (r.peer_name or "peer", r.peer)):
            if m is not None and id(m) not in shown:  # a peer measured once serves two rows
                shown.add(id(m))
                env = f"{r.extra['env']} " if who == "gtcbrief" and r.extra.get("env") else ""
                lines.append(f"- `{r.id}` {who}: `{env}{_cmd(m.argv)}`")
    lines += ["", END]
    return "\n".join(lines)


def write_benchmarks(block: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace the generated block, keeping everything else; create the file if missing."""
    if not path.exists():
        path.write_text(HEADER + "\n" + block + "\n", encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start != -1 and end != -1 and end > start:
        text = text[:start] + block + text[end + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="gtcbrief benchmarks against peers.")
    parser.add_argument("--quick", action="store_true", help="1k/10k only, one repetition")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 5)")
    parser.add_argument("--only", action="append", default=[], help="row-id prefix (repeatable)")
    parser.add_argument("--all", action="store_true", help="also validate at 100k")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    parser.add_argument("--no-install", action="store_true", help="do not npm-install peers")
    args = parser.parse_args(argv)
    reps = args.reps or (1 if args.quick else 5)
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    OUT.mkdir(parents=True, exist_ok=True)
    # Byte-compile the package, as a wheel install would: an editable install with
    # PYTHONDONTWRITEBYTECODE set would otherwise compile every module on every run.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "gtcbrief")], check=False)
    started = time.perf_counter()
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    tools = find_tools(install=not args.no_install)
    env = dict(os.environ, GTCBRIEF_CACHE_DIR=str(OUT / "cache"), NO_COLOR="1")
    env.pop("FORCE_COLOR", None)
    built = {c: has_command(tools, c) for c in ("validate", "grep", "stats", "dedupe", "parse")}
    ctx = Context(tools, reps, args.quick, env, built, sizes, tuple(args.only), args.all)
    for size in (*sizes, BASELINE_ENTRIES):
        corpus(size)
    rows: list[Row] = []
    for name, group in GROUPS.items():
        if args.only and not any(name.startswith(o) or o.startswith(name) for o in args.only):
            continue
        print(f"bench: {name} …", file=sys.stderr)
        for row in group(ctx):
            if args.only and not any(row.id.startswith(o) for o in args.only):
                continue
            rows.append(row)
            shown = row.status or f"{_secs(row.ours.median if row.ours else None)}"
            if row.ratio:
                shown += f" ({row.ratio:.2f}× {row.peer_name})"
            print(f"  {row.id}: {shown} {row.verdict} {'; '.join(row.notes)}", file=sys.stderr)
    took = time.perf_counter() - started
    if args.only:
        rows = _merge(_previous_rows(), rows)
    shown_args = "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:]) if a != "--no-install"
    )
    info = machine()
    info["load average (1/5/15 min)"] = (
        f"{load_before} at start, {info['load average (1/5/15 min)']} at end"
    )
    block = render(rows, info, tools, shown_args, took)
    results = {
        "machine": info,
        "versions": tools.versions,
        "rows": [
            {
                "id": r.id,
                "what": r.what,
                "target": r.target,
                "status": r.status,
                "verdict": r.verdict,
                "notes": r.notes,
                "extra": r.extra,
                "ratio": r.ratio,
                "peer_name": r.peer_name,
                "ours": _dump(r.ours),
                "peer": _dump(r.peer),
            }
            for r in rows
        ],
    }
    (OUT / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    if not args.no_write:
        write_benchmarks(block)
        print(f"bench: wrote {rel(BENCHMARKS_MD)} ({took / 60:.1f} min)", file=sys.stderr)
    else:
        print(block)
    return 0


def _undump(data: object) -> Measure | None:
    if not isinstance(data, dict):
        return None
    m = Measure(shlex.split(str(data.get("argv", ""))), error=data.get("error"))
    for run in data.get("runs") or []:
        seconds, peak, code, *cpu = run
        m.runs.append(Run(float(seconds), int(peak), int(code), float(cpu[0]) if cpu else 0.0))
    return m


def _previous_rows() -> list[Row]:
    """The rows of the last run (bench/out/results.json), for a partial re-run."""
    try:
        data = json.loads((OUT / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    rows = []
    for d in data.get("rows", []):
        row = Row(d["id"], d["what"], d["target"], _undump(d.get("ours")), _undump(d.get("peer")))
        row.status, row.verdict = d.get("status", ""), d.get("verdict", "")
        row.notes, row.extra = list(d.get("notes", [])), dict(d.get("extra", {}))
        argv = " ".join(row.peer.argv) if row.peer else ""
        row.peer_name = d.get("peer_name") or next(
            (name for key, name in _PEERS if key in argv), "peer"
        )
        rows.append(row)
    return rows


_PEERS = (("markdownlint", "markdownlint-cli2"), ("rg", "rg"), ("baseline", "rapidfuzz cdist"))


def _merge(old: list[Row], new: list[Row]) -> list[Row]:
    """``old`` with the rows of ``new`` replacing those with the same id (new ones last)."""
    fresh = {r.id: r for r in new}
    merged = [fresh.pop(r.id, r) for r in old]
    return merged + [r for r in new if r.id in fresh]


def _dump(m: Measure | None) -> dict[str, object] | None:
    if m is None:
        return None
    return {
        "argv": _cmd(m.argv),
        "median_s": m.median,
        "spread_s": m.spread,
        "peak_bytes": m.peak,
        "runs": [[r.seconds, r.peak_bytes, r.returncode, r.cpu_seconds] for r in m.runs],
        "error": m.error,
    }


if __name__ == "__main__":
    sys.exit(main())
