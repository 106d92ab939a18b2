"""``python -m gtcbrief`` and the ``gtcbrief`` console script."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from gtcbrief import helpcache
from gtcbrief.edge import COMMANDS


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        # Fast path: a version check must not pay for importing typer or rich.
        from gtcbrief import __version__
        from gtcbrief.edge import flushed, output_failed

        try:
            sys.stdout.write(f"gtcbrief {__version__}\n")
        except OSError as exc:
            return output_failed(exc)
        return flushed(0)
    import gc

    # PYTHONUNBUFFERED (common in CI images) makes every write a system call: 100k
    # JSON records cost ~1 s of them. Off a terminal, let the text layer batch them.
    if not sys.stdout.isatty() and getattr(sys.stdout, "write_through", False):
        sys.stdout.reconfigure(write_through=False)  # type: ignore[union-attr]

    # Loading builds hundreds of thousands of small records that live to the end
    # of the run; the default thresholds rescan them over and over (≈10% of a
    # corpus run's CPU). Cycles (mistletoe's trees) are still collected.
    gc.set_threshold(100_000, 50, 100)
    # When numpy is imported its OpenBLAS starts a thread for each other core, which
    # spins for ≈0.1 s of CPU before it sleeps: CPU taken from the other process of a
    # run on both cores. gtcbrief does no linear algebra. (A value set by the user stands.)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if argv is None:
        from gtcbrief.edge import ending_with_exit

        ending_with_exit()
    if args[:1] == ["grep"] or args[:1] == ["validate"]:
        # A plain grep or validate command line skips Typer's ≈90 ms of start-up (an
        # analyst's repeated searches, a pre-commit hook); the rest go on to it.
        if args[0] == "grep":
            from gtcbrief.commands.grep_argv import main as plain_main
        else:
            from gtcbrief.commands.validate_argv import main as plain_main
        code = plain_main(args[1:])
        if code is not None:
            if argv is None:
                _leave(code)
            return code
    key = None
    if helpcache.wants(args, COMMANDS):
        text, key = helpcache.cached(args)
        if text is not None:
            from gtcbrief.edge import flushed, output_failed

            try:
                sys.stdout.write(text)
                code = flushed(0)
            except OSError as exc:
                code = output_failed(exc)
            if argv is None:
                _leave(code)
            return code
    from gtcbrief.cli import run

    if key is not None:
        code = helpcache.write_and_keep(key, lambda: run(args))
    else:
        code = run(args)
    if argv is None:
        _leave(code)
    return code


def _leave(code: int) -> None:
    """End the process now: everything is written and closed (files atomically, the
    index's connection, every worker reaped), and the interpreter's own clean-up does
    nothing for us but free memory the process is about to give back whole: ≈8 ms
    after a warm grep (more than a tenth of it), ≈40 ms after validating one brief,
    0.15–0.2 s after 10,000 entries."""
    import os

    from gtcbrief.edge import flushed

    code = flushed(code)
    try:
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: nothing more can be said
        pass
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
