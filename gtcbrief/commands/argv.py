"""Reading a plain command line without Typer, exactly as Typer (click) reads it.

A command whose start-up matters (``grep`` run many times in a row, ``validate`` in a
pre-commit hook) reads its command line here first. :func:`plain` understands known
flags and options with well-formed values, given the usual ways (``--opt value``,
``--opt=value``, ``-ovalue``), in any order around the positional arguments. Anything
else (``--help``, a mistyped option, a value Typer might read differently, grouped
short flags) makes it decline, and the full Typer command line then parses it and
reports the problem exactly as it always has.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from typing import Any

# No ``re`` here: ``grep`` forks its walk of the files right after reading its command
# line, before ``re`` is imported (5-8 ms); see gtcbrief.commands.grep_argv.


def _digits(text: str) -> bool:
    """``[0-9]+``: one or more ASCII digits."""
    return text.isascii() and text.isdigit()


def _decimal(text: str) -> bool:
    r"""``[0-9]+(\.[0-9]*)?|\.[0-9]+``: digits, a point and digits, one side may be empty."""
    whole, point, fraction = text.partition(".")
    if not point:
        return _digits(whole)
    return bool(whole or fraction) and all(_digits(part) for part in (whole, fraction) if part)


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
        if not _digits(text):
            return None
        number = int(text)
        return number if number >= int(kind[-1]) else None
    return float(text) if _decimal(text) else None


def plain(
    args: Sequence[str],
    flags: Mapping[str, str],
    valued: Mapping[str, tuple[str, str]],
    repeated: Collection[str] = (),
) -> tuple[dict[str, Any], list[str]] | None:
    """(fields, positional arguments) of ``args``, or ``None`` to leave them to Typer.

    ``flags``: option → field set to True. ``valued``: option → (field, kind), kind
    ``str``, ``path``, ``int>=N`` or ``float``; the last one given wins, except for
    the fields in ``repeated``, which collect every value in a list.
    """
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
        if arg in flags:
            fields[flags[arg]] = True
            continue
        name, value = arg, None
        if arg.startswith("--"):
            if "=" in arg:
                name, value = arg.split("=", 1)
        elif len(arg) > 2:
            name, value = arg[:2], arg[2:]  # -C3, -fjson
        if name not in valued:
            return None  # unknown, grouped flags, --help: Typer says what is wrong
        if value is None:
            if i >= len(args):
                return None
            value = args[i]
            i += 1
        field, kind = valued[name]
        converted = _value(kind, value)
        if converted is None:
            return None
        if field in repeated:
            fields.setdefault(field, []).append(converted)
        else:
            fields[field] = converted
    return fields, positional
