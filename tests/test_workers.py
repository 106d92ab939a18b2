"""Forked worker processes (gtcbrief.workers.Workers): every job answered, in any
order asked, never a hang: not on answers larger than a pipe, not when a child dies."""

from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gtcbrief.workers import FAILED, WorkerDied, Workers

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork"),
    pytest.mark.usefixtures("deadline"),  # (conftest) fail instead of hanging
]


def digest_twice(job: bytes) -> bytes:
    """An answer that depends on all of the job, and is larger than it."""
    return hashlib.sha256(job).digest() + job + job


def test_each_ticket_gets_the_answer_to_its_own_job() -> None:
    jobs = [bytes([n]) * (n * 1000) for n in range(40)]
    pool = Workers(2, digest_twice)
    try:
        tickets = [pool.submit(job) for job in jobs]
        # asked for out of order: the last first, then the rest
        answers = {t: pool.result(t) for t in [tickets[-1], *tickets[:-1]]}
    finally:
        pool.close()
    assert [answers[t] for t in tickets] == [digest_twice(j) for j in jobs]


def test_jobs_and_answers_far_larger_than_a_pipe_do_not_deadlock() -> None:
    big = os.urandom(3 << 20)  # 3 MiB jobs, 6 MiB answers: more than any pipe holds
    pool = Workers(2, digest_twice)
    try:
        tickets = [pool.submit(big[n:]) for n in range(6)]  # all sent before any is read
        answers = [pool.result(t) for t in tickets]
    finally:
        pool.close()
    assert answers == [digest_twice(big[n:]) for n in range(6)]


def test_a_job_whose_work_raises_is_answered_failed_and_the_rest_go_on() -> None:
    def picky(job: bytes) -> bytes:
        if job == b"bad":
            raise ValueError("no")
        return job.upper()

    pool = Workers(2, picky)
    try:
        tickets = [pool.submit(j) for j in (b"a", b"bad", b"c")]
        answers = [pool.result(t) for t in tickets]
    finally:
        pool.close()
    assert answers == [b"A", FAILED, b"C"]


def test_a_child_that_dies_is_an_error_for_the_caller_not_a_hang() -> None:
    def die(job: bytes) -> bytes:
        os._exit(9)

    pool = Workers(2, die)
    try:
        ticket = pool.submit(b"x")
        with pytest.raises(WorkerDied):
            pool.result(ticket)
    finally:
        pool.close(kill=True)


def test_closing_with_jobs_in_hand_ends_and_reaps_every_child() -> None:
    def slow(job: bytes) -> bytes:
        signal.pause()  # never answers by itself
        return job

    pool = Workers(2, slow)
    pids = [w.pid for w in pool._workers]
    pool.submit(b"x")
    pool.submit(b"y")
    pool.close(kill=True)
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 300_000), max_size=12), st.integers(1, 3))
def test_any_mix_of_sizes_comes_back_whole(sizes: list[int], count: int) -> None:
    jobs = [os.urandom(8) * (n // 8) for n in sizes]
    pool = Workers(count, digest_twice)
    try:
        tickets = [pool.submit(j) for j in jobs]
        assert [pool.result(t) for t in reversed(tickets)] == [
            digest_twice(j) for j in reversed(jobs)
        ]
    finally:
        pool.close()


@pytest.mark.parametrize("closed_first", ["older", "newer"])
def test_a_pool_closes_while_another_lives(closed_first: str) -> None:
    """``parse`` draws a table on one pool while the loader loads on another: each
    pool's children must see their own job pipe close, whichever pool forked last
    (a child holding the other pool's pipe kept that pool's children, and its
    ``close``, waiting for ever)."""
    older = Workers(1, digest_twice)
    newer = Workers(1, bytes.upper)
    try:
        first, second = (older, newer) if closed_first == "older" else (newer, older)
        assert first.result(first.submit(b"ab")) in (b"AB", digest_twice(b"ab"))
        with _given_up_after(10):  # close waits for its child: a hang, not an error
            first.close()
        assert second.result(second.submit(b"cd")) in (b"CD", digest_twice(b"cd"))
    finally:
        older.close(kill=True)
        newer.close(kill=True)


@contextmanager
def _given_up_after(seconds: int) -> Iterator[None]:
    """A hang of more than ``seconds`` raises; the test's own deadline goes on after."""

    def hung(*_: object) -> None:
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    left = signal.alarm(seconds)
    try:
        yield
    finally:
        signal.signal(signal.SIGALRM, previous)
        signal.alarm(left)
