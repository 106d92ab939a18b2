"""Work done in a forked child process, its answer sent back through a pipe.

``grep`` uses it twice: to look at the files while it searches
(:class:`gtcbrief.walk.Walk`), and to render the second half of many hits
(``gtcbrief.commands.grep_core``). Imports nothing but ``os``. Many jobs on a
few processes are :mod:`gtcbrief.workers`'s.
"""

from __future__ import annotations

import os
from collections.abc import Callable

#: ``signal.SIGKILL``, the same number wherever there is ``fork``; importing ``signal``
#: to name it costs every ``grep`` that stops its walk early about a millisecond.
SIGKILL = 9

#: Seconds a forked child waits before its work, so that the parent goes first.
#: Right after a fork the two processes share every page, and the first write to
#: each costs the writer a copy. Measured on a 2-core KVM machine: with both
#: processes busy from the start, both went slower than either alone. Importing
#: ``re`` in the parent took 17-19 ms beside a child that walked (or only spun) at
#: once, 10 ms beside a sleeping child, 8 ms with no child. With the walk's child
#: waiting 1 ms, a warm grep's imports after the fork took 10.6 ms instead of 18.1
#: (medians of 20), and the walk still ended 3.6 ms sooner. Waits of 0.3, 1 and
#: 3 ms measured alike.
CHILD_PAUSE = 0.001


def can_fork() -> bool:
    """Whether forking is safe here: there is ``fork``, and no other Python thread runs
    (a forked copy of a thread-holding process may find a lock held for ever)."""
    import sys

    threading = sys.modules.get("threading")
    return hasattr(os, "fork") and (threading is None or threading.active_count() == 1)


def fork_running(body: Callable[[], None]) -> int:
    """Fork a child that runs ``body`` and leaves with ``os._exit``: 0 if it returned,
    1 if it raised (the parent sees its pipes close). The child's pid, in the parent."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            import time  # (built in: nothing to read)

            time.sleep(CHILD_PAUSE)
            body()
            code = 0
        except BaseException:  # noqa: BLE001 - the parent does without the answer
            pass
        finally:
            os._exit(code)
    return pid


def pool_worker(parent: int | None = None) -> None:
    """Set up a worker of a ``ProcessPoolExecutor`` (its ``initializer``): it ends with
    its parent, and a Ctrl-C ends it quietly.

    Such a worker holds both ends of its pool's queues, so it never sees them close
    when the parent is killed (SIGTERM, SIGKILL, out of memory): it would wait, or
    block writing its answer, for ever, holding the pipeline's stdout open. Linux's
    ``PR_SET_PDEATHSIG`` kills it when the parent ends. Ctrl-C reaches every process
    of the group; the parent reports it, so a worker leaves without a traceback.

    ``parent``: the pool's process id, if known (a worker that starts after its parent
    has ended sees its new parent's, and would wait for ever)."""
    import signal

    if parent is None:
        parent = os.getppid()
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the queues' own checks remain
        return
    if os.getppid() != parent:  # the parent ended before the call
        os._exit(1)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Child:
    """A forked child that runs ``work`` and sends back the bytes it gives.

    ``work`` is called with ``send``, which writes its bytes to the parent at
    once: an answer can go in parts, each as soon as it is ready (the walk
    sends its digest before it encodes the list of files). The child never
    returns into the caller's code: it leaves with ``os._exit``, so nothing of
    the parent's (buffered output, database connections, ``atexit`` handlers)
    is flushed, closed or run twice. If ``work`` raises, the child sends
    nothing more and exits with 1. Writing blocks once the pipe is full until
    the parent reads, so a child whose answer nobody wants is ended with
    ``end(kill=True)``.
    """

    def __init__(self, work: Callable[[Callable[[bytes], None]], None]) -> None:
        """:class:`OSError` if there is no process to spare (``EAGAIN``, ``ENOMEM``)."""
        read, write = os.pipe()

        def answer() -> None:
            os.close(read)
            work(lambda data: write_all(write, data))

        try:
            pid = fork_running(answer)
        except OSError:
            os.close(read)
            raise
        finally:
            os.close(write)
        self.pid, self.pipe = pid, read

    @property
    def running(self) -> bool:
        return self.pid != 0

    def read(self, size: int | None = None) -> bytes:
        """``size`` bytes of the answer (``None``: the rest); fewer if the child stopped."""
        chunks: list[bytes] = []
        left = size
        while left is None or left > 0:
            chunk = os.read(self.pipe, 1 << 20 if left is None else left)
            if not chunk:
                break
            chunks.append(chunk)
            if left is not None:
                left -= len(chunk)
        return b"".join(chunks)

    def end(self, kill: bool = False) -> int:
        """Close the pipe and wait for the child (killing it first); its exit status."""
        if not self.pid:
            return -1
        if kill:
            os.kill(self.pid, SIGKILL)
        os.close(self.pipe)
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = 0
        return status
