"""``gtcbrief validate`` without Typer, for the command lines that need nothing of it.

Importing Typer and building its command is 80–100 ms of a validate of one file
(about 210 ms), and a pre-commit hook pays it on every commit. :func:`parse`
reads a validate command line the way Typer (click) would, into the keyword
arguments of :func:`gtcbrief.commands.validate_core.run`, for the plain cases;
everything else goes to Typer (see :mod:`gtcbrief.commands.argv`).
``tests/test_validate_argv.py`` holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from gtcbrief.commands.argv import plain

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from typing import Any

#: Flags: option → keyword of ``run`` (set to True).
FLAGS = {
    "-q": "quiet", "--quiet": "quiet",
    "--exit-zero": "exit_zero",
    "--fix": "fix",
    "--diff": "diff",
    "--explain": "explain",
}  # fmt: skip

#: Options with a value: option → (keyword of ``run``, kind).
VALUED = {
    "-f": ("fmt", "str"), "--format": ("fmt", "str"),
    "--select": ("select", "str"),
    "--ignore": ("ignore", "str"),
    "--fail-on": ("fail_on", "str"),
    "--mismatch-threshold": ("mismatch_threshold", "float"),
    "--config": ("config", "str"),
    "--doc-format": ("doc_format", "str"),
    "--encoding": ("encoding", "str"),
    "--stdin-filename": ("stdin_filename", "str"),
}  # fmt: skip


def parse(args: Sequence[str]) -> dict[str, Any] | None:
    """``run``'s keywords for ``gtcbrief validate ARGS``, or ``None`` to let Typer."""
    read = plain(args, FLAGS, VALUED, repeated=("select", "ignore"))
    if read is None or not read[1]:
        return None  # no paths (or --list-rules, --help…): Typer's to answer
    fields, paths = read
    return {**fields, "paths": paths}


def main(args: Sequence[str]) -> int | None:
    """Run ``gtcbrief validate ARGS`` if :func:`parse` takes it; ``None`` if it declines."""
    keywords = parse(args)
    if keywords is None:
        return None
    from gtcbrief.commands.validate_core import run
    from gtcbrief.edge import contain, guard

    return contain(lambda: guard(lambda: run(**keywords)))
