"""The command line's edge: exit codes, one-line messages, and what becomes of exceptions.

Shared by the Typer app (:mod:`gtcbrief.cli`) and the Typer-free path that
``grep`` takes for plain command lines (:mod:`gtcbrief.commands.grep_argv`),
so both end a run the same way. Nothing here imports Typer or rich.
"""

from __future__ import annotations

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
    from gtcbrief.render import safe

    sys.stderr.write(f"gtcbrief: {safe(message)}\n")
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
    except BrokenPipeError:
        # `gtcbrief … | head`: the reader is gone; stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    return int(code or 0)


def contain(fn: Callable[[], int]) -> int:
    """The last line of defence: an interrupt is 130, a bug is exit 3 with a hint."""
    try:
        return fn()
    except KeyboardInterrupt:
        sys.stderr.write("gtcbrief: interrupted\n")
        return 130
    except Exception as exc:  # a bug, not the user's fault: say so, briefly
        if os.environ.get("GTCBRIEF_DEBUG"):
            raise
        warn(
            f"internal error: {type(exc).__name__}: {exc} "
            "(please report it; set GTCBRIEF_DEBUG=1 for a traceback)"
        )
        return EXIT_INTERNAL
