"""The benchmark harness (bench/run.py) runs compared commands in turns."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType

import pytest


@pytest.fixture(scope="module")
def bench(bench_script: Callable[[str], ModuleType]) -> ModuleType:
    return bench_script("run")


def _command(code: int = 0) -> list[str]:
    return [sys.executable, "-c", f"raise SystemExit({code})"]


def test_compared_commands_take_turns_in_rotating_order(bench: ModuleType) -> None:
    order: list[str] = []
    specs = [
        bench.Spec(_command(), before_each=lambda name=name: order.append(name))
        for name in ("ours", "peer")
    ]
    ours, peer = bench.measure_together(specs, reps=3, warmup=1)
    assert len(ours.runs) == len(peer.runs) == 3
    rounds = [tuple(order[i : i + 2]) for i in range(0, len(order), 2)]
    assert rounds == [("peer", "ours"), ("ours", "peer")] * 2  # neither always goes first


def test_a_failing_command_stops_alone(bench: ModuleType) -> None:
    failing, fine = bench.measure_together(
        [bench.Spec(_command(3)), bench.Spec(_command())], reps=2, warmup=0
    )
    assert failing.error is not None and failing.error.startswith("exit 3")
    assert not failing.runs
    assert len(fine.runs) == 2


def test_the_harness_own_memory_is_not_counted_as_the_command_s(bench: ModuleType) -> None:
    ballast = bytearray(150 * 2**20)
    ballast[:: 2**12] = b"x" * len(ballast[:: 2**12])  # resident in this process
    quick, _ = bench.run_once([sys.executable, "-c", "pass"])
    assert quick.peak_bytes < 100 * 2**20
    # held a while, so a sample sees it whatever the harness's own peak (pytest's here)
    code = (
        "import time; b = bytearray(250 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
        "time.sleep(0.3)"
    )
    big, _ = bench.run_once([sys.executable, "-c", code])
    assert big.peak_bytes > 250 * 2**20
    del ballast


@pytest.mark.parametrize(("warm_only", "runs"), [(False, 2), (True, 3)], ids=["counted", "not"])
def test_a_slow_warm_up_counts_as_a_measured_run_unless_only_warm_runs_are_wanted(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch, warm_only: bool, runs: int
) -> None:
    monkeypatch.setattr(bench, "SLOW", 0.0)  # every run is "slow"
    ran: list[int] = []
    measured = bench.measure(
        _command(), reps=2, warmup=1, warm_only=warm_only, before_each=lambda: ran.append(1)
    )
    assert (len(measured.runs), len(ran)) == (2, runs)
