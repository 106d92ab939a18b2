"""The command line: option parsing and dispatch only.

Each subcommand lives in ``gtcbrief/commands/<name>.py``, declares its
options with ``Annotated`` and calls one core function. Expected failures
(:class:`~gtcbrief.errors.GtcbriefError`) become a one-line message and
exit 2 here, and only here.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer

from gtcbrief import __version__
from gtcbrief.commands.loaded import Loaded
from gtcbrief.edge import (
    COMMANDS,
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    check_choice,
    contain,
    guard,
    warn,
)

__all__ = [
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "Loaded",
    "check_choice",
    "warn",
]

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="gtcbrief",
    help=(
        "Corpus toolkit for Chinese Markdown conference reports (每日参会快报).\n\n"
        "Examples:\n\n"
        "  gtcbrief parse reports/ --format jsonl | jq .title\n\n"
        "  gtcbrief validate reports/*.md\n\n"
        "  gtcbrief stats --by track reports/\n\n"
        "  gtcbrief grep 注意力 reports/\n\n"
        "  gtcbrief dedupe reports/"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"gtcbrief {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Corpus toolkit for Chinese Markdown conference reports."""


# ----------------------------------------------------------------- shared options

PathsArg = Annotated[
    list[str],
    typer.Argument(
        help="Files, directories (searched for *.md and *.markdown, passing over hidden ones) "
        "or - for standard input.",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    str | None,
    typer.Option("--config", help="Config file (default: .gtcbrief.toml or [tool.gtcbrief])."),
]
DocFormatOpt = Annotated[
    str | None,
    typer.Option("--doc-format", help="Force the document format: auto, brief, notes or markdown."),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="Decode input with this encoding (e.g. gb18030)."),
]
StdinNameOpt = Annotated[
    str,
    typer.Option("--stdin-filename", help="Name to report for input read from -."),
]


def guarded(fn: F) -> F:
    """Turn expected failures into exit 2 and a closed pipe into a quiet exit (see :mod:`edge`)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        raise typer.Exit(guard(lambda: fn(*args, **kwargs)))

    return wrapper  # type: ignore[return-value]


def run(argv: Sequence[str]) -> int:
    """Run the CLI on ``argv``; returns the exit code (never raises)."""
    return contain(lambda: _standalone(argv))


def _safe_usage_errors() -> None:
    """Make click's usage errors show what they quote from ``argv`` safely: ``No such
    option: -\\u202ex``, not a bidi override (click escapes only C0 controls)."""
    # click's UsageError, reached through typer's public BadParameter (typer vendors
    # its own click); each subclass words its own message, so the one shown is wrapped
    usage_error: Any = next(k for k in typer.BadParameter.__mro__ if k.__name__ == "UsageError")
    if getattr(usage_error.show, "_safe", False):
        return
    from gtcbrief.render import safe

    unsafe_show = usage_error.show

    def show(self: Any, file: Any = None) -> None:
        worded = type(self).format_message
        self.format_message = lambda: safe(worded(self))
        unsafe_show(self, file)

    show._safe = True  # type: ignore[attr-defined]
    usage_error.show = show


def _standalone(argv: Sequence[str]) -> int:
    _safe_usage_errors()
    try:
        _app_for(argv)(args=list(argv), prog_name="gtcbrief", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if code == 130:  # Typer's answer to Ctrl-C: say it, as the other paths do
            sys.stderr.write("gtcbrief: interrupted\n")
        return code if isinstance(code, int) else (0 if code is None else EXIT_ERROR)
    return EXIT_OK


# Subcommands register themselves on `app` when imported, in the order of COMMANDS.


def _app_for(argv: Sequence[str]) -> typer.Typer:
    """``app``, or, when ``argv`` names a subcommand, a copy holding only that one.

    Typer turns every registered command into a click command on each call;
    a copy with just the one being run parses ``argv`` the same way (the root
    callback stays, so it is still a group) at a third of the cost.
    """
    if not argv or argv[0] not in COMMANDS:
        return app
    chosen = [
        info
        for info in app.registered_commands
        if (info.name or (info.callback.__name__ if info.callback else "")).lower() == argv[0]
    ]
    if len(chosen) != 1:
        return app
    import copy

    narrowed = copy.copy(app)
    narrowed.registered_commands = chosen
    return narrowed


def _register() -> None:
    import importlib

    for name in COMMANDS:
        importlib.import_module(f"gtcbrief.commands.{name}")


_register()
