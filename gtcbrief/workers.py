"""Many jobs on a few forked processes: the loader's parsing of a large corpus
(:func:`gtcbrief.loader.iter_documents`). Kept apart from :mod:`gtcbrief.forked`,
which every ``grep`` imports for its walk."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable

from gtcbrief.forked import SIGKILL, fork_running, write_all


class WorkerDied(Exception):
    """A process of :class:`Workers` ended before answering (killed, say, for memory)."""


class _Failed:
    """The answer of a job whose ``work`` raised in the child."""


FAILED = _Failed()

#: The parent's ends of the pipes of every pool alive in this process. A child closes
#: them all but its own: one that held another pool's job pipe open would keep that
#: pool's children waiting for jobs, and that pool's :meth:`Workers.close` waiting for
#: them (``parse`` draws a table on one pool while the loader loads on another).
_OPEN: set[int] = set()

#: Job and answer frames: ticket, size (and, for answers, 1 if ``work`` succeeded).
_JOB = "<II"
_ANSWER = "<IIB"
#: Pipe capacity asked for (Linux ``F_SETPIPE_SZ``; 1 MiB is what an unprivileged
#: process may ask by default): fewer system calls for documents of tens of KB.
_PIPE_SIZE = 1 << 20
_F_SETPIPE_SZ = 1031
_F_GETPIPE_SZ = 1032


def _widen(fd: int) -> int:
    """Ask for a larger pipe; the capacity it has (64 KiB where it cannot say)."""
    try:
        import fcntl

        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_SIZE)
        return int(fcntl.fcntl(fd, _F_GETPIPE_SZ))
    except (ImportError, OSError):
        return 1 << 16


def _serve(work: Callable[[bytes], bytes], jobs: int, answers: int) -> None:
    """A child's life: answer each job frame read from ``jobs``, until it closes."""
    import struct

    head = struct.calcsize(_JOB)
    with os.fdopen(jobs, "rb") as source:
        while True:
            frame = source.read(head)
            if len(frame) < head:
                return
            ticket, size = struct.unpack(_JOB, frame)
            job = source.read(size)
            try:
                answer, ok = work(job), 1
            except Exception:  # the parent does this job itself, and meets the error
                answer, ok = b"", 0
            write_all(answers, struct.pack(_ANSWER, ticket, len(answer), ok) + answer)


class _Worker:
    __slots__ = ("pid", "jobs", "answers", "capacity", "in_hand", "buffer")

    def __init__(self, pid: int, jobs: int, answers: int, capacity: int) -> None:
        self.pid, self.jobs, self.answers, self.capacity = pid, jobs, answers, capacity
        #: (ticket, frame size) of the jobs sent and not yet answered, in the order sent:
        #: at most their sizes' sum waits in the pipe
        self.in_hand: deque[tuple[int, int]] = deque()
        self.buffer = bytearray()  # an answer read in part

    def pending(self) -> int:
        return sum(size for _ticket, size in self.in_hand)


class Workers:
    """Forked processes that run ``work`` on the jobs given to :meth:`submit`.

    A lighter :class:`concurrent.futures.ProcessPoolExecutor` for bytes in and
    bytes out: no threads, no pickling, no queues, so the parent spends next to
    nothing on handing out work (the executor cost a loader's parent about a
    third of a core). Each child has a pipe for jobs and one for answers. A job
    goes to the child with the fewest jobs in hand, and only when its frame fits
    in the room the pipe certainly has (or the child has nothing in hand and so
    is reading): the parent never blocks writing while a child blocks writing
    its answer, so they cannot wait for each other.

    ``work`` raising gives the job the answer :data:`FAILED` (the caller does
    the job itself, and meets the error with its traceback); a child that dies
    makes :meth:`result` raise :class:`WorkerDied`. Only for use where
    :func:`gtcbrief.forked.can_fork`.
    """

    def __init__(self, count: int, work: Callable[[bytes], bytes]) -> None:
        import gc

        self._workers: list[_Worker] = []
        self._answers: dict[int, bytes | _Failed] = {}
        self._next = 0
        gc.freeze()  # the children's collectors leave the pages they share with us alone
        try:
            for _ in range(count):
                self._workers.append(self._start(work))
        except BaseException:
            self.close(kill=True)
            raise
        finally:
            gc.unfreeze()

    def _start(self, work: Callable[[bytes], bytes]) -> _Worker:
        """Fork one more child, with its two pipes."""
        jobs_read, jobs_write = os.pipe()
        answers_read, answers_write = os.pipe()
        capacity = _widen(jobs_write)
        _widen(answers_write)
        # the parent's ends, of this pool and of any other (else those children would
        # never see their pipes close)
        theirs = [jobs_write, answers_read, *_OPEN]

        def serve() -> None:
            for fd in theirs:
                os.close(fd)
            _serve(work, jobs_read, answers_write)

        pid = fork_running(serve)
        os.close(jobs_read)
        os.close(answers_write)
        _OPEN.update((jobs_write, answers_read))
        return _Worker(pid, jobs_write, answers_read, capacity)

    def submit(self, job: bytes) -> int:
        """Send ``job`` to a child (first waiting for answers if no pipe has room); its
        ticket for :meth:`result`."""
        import struct

        frame = struct.pack(_JOB, self._next, len(job)) + job
        while True:
            fits = [
                w for w in self._workers
                if not w.in_hand or w.pending() + len(frame) <= w.capacity // 2
            ]  # fmt: skip
            if fits:
                break
            self._read(block=True)
        worker = min(fits, key=lambda w: len(w.in_hand))
        try:
            write_all(worker.jobs, frame)
        except BrokenPipeError:
            raise WorkerDied("a worker process ended before it was given its job") from None
        ticket = self._next
        self._next += 1
        worker.in_hand.append((ticket, len(frame)))
        return ticket

    @property
    def in_hand(self) -> int:
        """Jobs sent whose answers have not been read (see :meth:`poll`)."""
        return sum(len(w.in_hand) for w in self._workers)

    def poll(self) -> None:
        """Read the answers that have arrived, without waiting."""
        self._read(block=False)

    def done(self, ticket: int) -> bool:
        """Whether the answer to ``ticket`` is here (reading what has arrived)."""
        if ticket not in self._answers:
            self._read(block=False)
        return ticket in self._answers

    def result(self, ticket: int) -> bytes | _Failed:
        """The answer to ``ticket``, waiting for it; :data:`FAILED` if ``work`` raised."""
        while ticket not in self._answers:
            self._read(block=True)
        return self._answers.pop(ticket)

    def _read(self, *, block: bool) -> None:
        import select
        import struct

        busy = {w.answers: w for w in self._workers if w.in_hand}
        if not busy:
            if block:
                raise WorkerDied("no worker has the job asked for")
            return
        ready, _, _ = select.select(list(busy), [], [], None if block else 0)
        head = struct.calcsize(_ANSWER)
        for fd in ready:
            worker = busy[fd]
            chunk = os.read(fd, _PIPE_SIZE)
            if not chunk:
                raise WorkerDied(f"a worker process ended with {len(worker.in_hand)} jobs in hand")
            buffer = worker.buffer
            buffer += chunk
            while len(buffer) >= head:
                ticket, size, ok = struct.unpack_from(_ANSWER, buffer)
                if len(buffer) < head + size:
                    break
                answer = bytes(buffer[head : head + size])
                del buffer[: head + size]
                if not worker.in_hand or worker.in_hand[0][0] != ticket:
                    raise WorkerDied("a worker process answered out of turn")
                worker.in_hand.popleft()
                self._answers[ticket] = answer if ok else FAILED

    def close(self, *, kill: bool = False) -> None:
        """Let the children finish (closing their job pipes) or kill them; wait for them."""
        for worker in self._workers:
            if kill and worker.pid:
                try:
                    os.kill(worker.pid, SIGKILL)
                except OSError:
                    pass
            for fd in (worker.jobs, worker.answers):
                _OPEN.discard(fd)
                try:
                    os.close(fd)
                except OSError:
                    pass
        for worker in self._workers:
            if worker.pid:
                try:
                    os.waitpid(worker.pid, 0)
                except ChildProcessError:  # reaped elsewhere
                    pass
                worker.pid = 0
        self._workers = []
