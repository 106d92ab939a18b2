"""``gtcbrief grep`` without Typer, for the command lines that need nothing of it.

Importing Typer and building its command costs about 90 ms before a warm
search even starts (its own run takes 20–60 ms at 10k entries), and an
analyst runs grep many times in a row. :func:`parse` reads a grep command
line the way Typer (click) would, into the same
:class:`~gtcbrief.commands.grep_core.Request`, for the plain cases: known
options, well-formed values. Everything else, ``--help``, a mistyped option,
a value out of range, grouped short flags, makes it decline (``None``), and
the full Typer command line then parses it and reports the problem exactly
as it always has. ``tests/test_grep_argv.py`` holds the two to the same
answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from gtcbrief.commands.argv import plain

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from typing import Any

    from gtcbrief.commands.grep_core import Request

#: Flags: option → Request field (set to True).
FLAGS = {
    "-l": "files_only", "--files-with-matches": "files_only",
    "-c": "count_only", "--count": "count_only",
    "-i": "ignore_case", "--ignore-case": "ignore_case",
    "-s": "case_sensitive", "--case-sensitive": "case_sensitive",
    "-S": "smart_case", "--smart-case": "smart_case",
    "-w": "words", "--word-regexp": "words",
    "--json": "rg_json",
    "-0": "null", "--null": "null",
    "-e": "regex", "--regex": "regex",
    "--full-lines": "full",
    "--no-cache": "no_cache",
    "-v": "verbose", "--verbose": "verbose",
}  # fmt: skip

#: Options with a value: option → (Request field, kind).
VALUED = {
    "-f": ("fmt", "str"), "--format": ("fmt", "str"),
    "-C": ("context", "int>=0"), "--context": ("context", "int>=0"),
    "-B": ("before", "int>=0"), "--before-context": ("before", "int>=0"),
    "-A": ("after", "int>=0"), "--after-context": ("after", "int>=0"),
    "-m": ("limit", "int>=1"), "--limit": ("limit", "int>=1"),
    "--sort": ("sort", "str"),
    "--regex-timeout": ("regex_timeout", "float>=0"),
    "--cache-dir": ("cache_dir", "path"),
    "--config": ("config", "str"),
    "--doc-format": ("doc_format", "str"),
    "--encoding": ("encoding", "str"),
    "--stdin-filename": ("stdin_filename", "str"),
}  # fmt: skip


def _read(args: Sequence[str]) -> tuple[dict[str, Any], list[str]] | None:
    """(Request fields, positional arguments), or ``None`` to let Typer read ``args``."""
    read = plain(args, FLAGS, VALUED)
    return None if read is None or not read[1] else read


def _request(fields: dict[str, Any], positional: list[str]) -> Request:
    """The :class:`Request` of what :func:`_read` read (imports ``grep_core``, and ``re``)."""
    from gtcbrief.commands.grep_core import Request

    return Request(positional[0], tuple(positional[1:]), **fields)


def parse(args: Sequence[str]) -> Request | None:
    """The request of ``gtcbrief grep ARGS`` (ARGS after ``grep``), or ``None`` to let Typer."""
    read = _read(args)
    return None if read is None else _request(*read)


def main(args: Sequence[str]) -> int | None:
    """Run ``gtcbrief grep ARGS`` if :func:`parse` takes it; ``None`` if it declines."""
    read = _read(args)
    if read is None:
        return None
    from gtcbrief.edge import contain, guard

    return contain(lambda: guard(lambda: _run(*read)))


def _run(fields: dict[str, Any], positional: list[str]) -> int:
    """Start the walk of the files, then import the search and run it.

    The walk (:class:`gtcbrief.walk.Walk`) takes as long as the search of a warm
    index, and the two run side by side: forked here, before ``re``, ``sqlite3``
    and the search are imported (nothing on this path so far imports them), it
    starts 5-10 ms sooner, from a smaller process. ``run`` ends the walk; so does
    this, should importing or calling it fail first.
    """
    from gtcbrief.walk import index_in_memory, search_targets, walk_for_index

    walk = walk_for_index(
        search_targets(positional[1:]),
        in_memory=index_in_memory(bool(fields.get("no_cache")), fields.get("cache_dir")),
        verbose=bool(fields.get("verbose")),
    )
    try:
        from gtcbrief.commands.grep_core import run

        return run(_request(fields, positional), walk)
    finally:
        if walk is not None:
            walk.cancel()
