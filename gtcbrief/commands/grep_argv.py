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

import re
from collections.abc import Sequence

from gtcbrief.commands.grep_core import Request

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from typing import Any

#: Flags: option → Request field (set to True).
FLAGS = {
    "-l": "files_only", "--files-with-matches": "files_only",
    "-c": "count_only", "--count": "count_only",
    "-i": "ignore_case", "--ignore-case": "ignore_case",
    "-s": "case_sensitive", "--case-sensitive": "case_sensitive",
    "-e": "regex", "--regex": "regex",
    "--full-lines": "full",
    "--no-cache": "no_cache",
    "-v": "verbose", "--verbose": "verbose",
}  # fmt: skip

#: Options with a value: option → (Request field, kind).
VALUED = {
    "-f": ("fmt", "str"), "--format": ("fmt", "str"),
    "-C": ("context", "int>=0"), "--context": ("context", "int>=0"),
    "-m": ("limit", "int>=1"), "--limit": ("limit", "int>=1"),
    "--sort": ("sort", "str"),
    "--regex-timeout": ("regex_timeout", "float>=0"),
    "--cache-dir": ("cache_dir", "path"),
    "--config": ("config", "str"),
    "--doc-format": ("doc_format", "str"),
    "--encoding": ("encoding", "str"),
    "--stdin-filename": ("stdin_filename", "str"),
}  # fmt: skip

_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


def _value(kind: str, text: str) -> Any:
    """The converted value, or ``None`` where Typer might read it differently or refuse it."""
    if text[:1] == "-" and text != "-":
        return None  # an option-looking value: leave the judgement to click
    if kind == "str":
        return text
    if kind == "path":
        from gtcbrief.walk import spelled

        return spelled(text) if text else None
    if kind.startswith("int"):
        if not _DIGITS.fullmatch(text):
            return None
        number = int(text)
        return number if number >= int(kind[-1]) else None
    return float(text) if _DECIMAL.fullmatch(text) else None


def parse(args: Sequence[str]) -> Request | None:
    """The request of ``gtcbrief grep ARGS`` (ARGS after ``grep``), or ``None`` to let Typer."""
    fields: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            positional.extend(args[i:])
            break
        if arg[:1] != "-" or arg == "-":
            positional.append(arg)
            continue
        if arg in FLAGS:
            fields[FLAGS[arg]] = True
            continue
        name, value = arg, None
        if arg.startswith("--"):
            if "=" in arg:
                name, value = arg.split("=", 1)
        elif len(arg) > 2:
            name, value = arg[:2], arg[2:]  # -C3, -fjson
        if name not in VALUED:
            return None  # unknown, grouped flags, --help: Typer says what is wrong
        if value is None:
            if i >= len(args):
                return None
            value = args[i]
            i += 1
        field, kind = VALUED[name]
        converted = _value(kind, value)
        if converted is None:
            return None
        fields[field] = converted
    if not positional:
        return None
    return Request(positional[0], tuple(positional[1:]), **fields)


def main(args: Sequence[str]) -> int | None:
    """Run ``gtcbrief grep ARGS`` if :func:`parse` takes it; ``None`` if it declines."""
    request = parse(args)
    if request is None:
        return None
    from gtcbrief.commands.grep_core import run
    from gtcbrief.edge import contain, guard

    return contain(lambda: guard(lambda: run(request)))
