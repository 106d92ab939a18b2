"""The command line's edge: exit codes, one-line messages, and what becomes of exceptions.

Shared by the Typer app (:mod:`gtcbrief.cli`) and the Typer-free path that
``grep`` takes for plain command lines (:mod:`gtcbrief.commands.grep_argv`),
so both end a run the same way. Nothing here imports Typer or rich.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Sequence

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3

#: The subcommands, in the order ``--help`` lists them.
COMMANDS = ("parse", "validate", "stats", "grep", "dedupe")


#: What commands built that the process keeps until it ends (see :func:`keep`);
#: ``None`` unless it ends with ``os._exit`` (not for ``main(argv)`` in-process).
_kept: list[object] | None = None


def ending_with_exit() -> None:
    """Say the process will end with ``os._exit`` (the command line): :func:`keep` keeps."""
    global _kept
    _kept = []


def keep(*objects: object) -> None:
    """Leave ``objects`` to the end of a process that ends with ``os._exit``, which gives
    their memory back whole, instead of freeing them object by object once they are
    no longer needed (10,000 entries: 66 ms for their documents, 45 ms for their
    features). In-process, it does nothing."""
    if _kept is not None:
        _kept.extend(objects)


def warn(message: str) -> None:
    """One line on stderr, control characters made visible."""
    from gtcbrief.render import one_line

    sys.stderr.write(f"gtcbrief: {one_line(message)}\n")
    sys.stderr.flush()


def check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``; else a usage error naming the option."""
    from gtcbrief.errors import GtcbriefError

    if value not in choices:
        raise GtcbriefError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def guard(fn: Callable[[], int | None]) -> int:
    """Run a command: expected failures become exit 2, a closed pipe a quiet exit 0.

    Anything else propagates to :func:`contain`.
    """
    from gtcbrief.errors import GtcbriefError

    try:
        code = fn()
        sys.stdout.flush()
    except GtcbriefError as exc:
        warn(str(exc))
        return EXIT_ERROR
    except OSError as exc:
        return output_failed(exc)
    return int(code or 0)


#: A write that failed for want of room (ENOSPC, EDQUOT, EFBIG) or a device error (EIO):
#: an I/O error of the run (exit 2), not a bug. Reading files reports its own errors.
_OUTPUT_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def output_failed(exc: OSError) -> int:
    """The exit status of a run whose standard output could not be written; ``exc`` is
    raised again if it is not such a failure."""
    if isinstance(exc, BrokenPipeError):
        # `gtcbrief … | head`: the reader is gone; stop quietly.
        _drop_stdout()
        return EXIT_OK
    if exc.errno not in _OUTPUT_FULL:
        raise exc
    # `gtcbrief … > /dev/full`, a full disk or quota: the output is incomplete
    _drop_stdout()
    warn(f"cannot write the output: {exc.strerror or exc}")
    return EXIT_ERROR


def flushed(code: int) -> int:
    """``code``, once standard output is flushed; 2 if that fails for want of room."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        try:
            failed = output_failed(exc)
        except OSError:
            return code
        return code if failed == EXIT_OK else failed
    except ValueError:  # closed
        pass
    return code


def _drop_stdout() -> None:
    """Send what is left of standard output to the null device, so that flushing it at
    the end does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def contain(fn: Callable[[], int]) -> int:
    """The last line of defence: an interrupt is 130, a bug is exit 3 with a hint."""
    try:
        return fn()
    except KeyboardInterrupt:
        sys.stderr.write("gtcbrief: interrupted\n")
        return 130
    except Exception as exc:  # a bug, not the user's fault: say so, briefly
        if os.environ.get("GTCBRIEF_DEBUG"):
            import traceback  # the traceback asked for, and still the exit of a bug

            traceback.print_exc()
            return EXIT_INTERNAL
        warn(
            f"internal error: {type(exc).__name__}: {exc} "
            "(please report it; set GTCBRIEF_DEBUG=1 for a traceback)"
        )
        return EXIT_INTERNAL
