"""``gtcbrief validate``: template and content rules, as a pre-commit hook or in CI.

The options, for Typer; the work is :func:`gtcbrief.commands.validate_core.run`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from gtcbrief.cli import (
    ConfigOpt,
    DocFormatOpt,
    EncodingOpt,
    StdinNameOpt,
    app,
    guarded,
)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  gtcbrief validate reports/\n\n"
        "  gtcbrief validate brief.md --format json | jq '.[] | select(.severity==\"error\")'\n\n"
        "  gtcbrief validate reports/ --select GB1,GB2 --ignore GB110 --fail-on warning\n\n"
        "  gtcbrief validate brief.md --diff        # what --fix would change\n\n"
        "  cat brief.md | gtcbrief validate - --stdin-filename brief.md\n\n"
        "  gtcbrief validate --list-rules\n\n"
        "Exit status: 0 nothing at or above --fail-on, 1 findings, 2 usage or I/O error."
    )
)
@guarded
def validate(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, directories (searched for *.md and *.markdown, passing over hidden ones) "
            "or - for standard input.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, json, jsonl, github or sarif.")
    ] = "text",
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            help="Only these rules: codes, names or prefixes (GB1), "
            "comma-separated; replaces the config's select.",
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Skip these rules (added to the config's ignore)."),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Lowest severity that fails: error (default), warning "
            "or info. Config key fail_on.",
        ),
    ] = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even with findings (I/O errors still 2).")
    ] = False,
    fix: Annotated[
        bool, typer.Option("--fix", help="Fix what is safe to fix mechanically, in place.")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Show what --fix would change; write nothing.")
    ] = False,
    mismatch_threshold: Annotated[
        float | None,
        typer.Option(
            "--mismatch-threshold",
            help="description-mismatch flags entries scoring "
            "below this (0–1; 1.01 shows every score). Config key mismatch_threshold.",
        ),
    ] = None,
    list_rules: Annotated[
        bool, typer.Option("--list-rules", help="List every rule and exit.")
    ] = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Show the evidence behind scored findings (description-mismatch): "
            "coverage, competitors, matched and missing terms. JSON always has it.",
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary line on stderr.")
    ] = False,
    config: ConfigOpt = None,
    doc_format: DocFormatOpt = None,
    encoding: EncodingOpt = None,
    stdin_filename: StdinNameOpt = "-",
) -> int:
    """Check briefs and notes against the template and content rules.

    Prints one finding per line, `path:line:col: GB104/missing-section message`,
    and exits 1 when any is at or above --fail-on. Rules, severities and the
    template come from [tool.gtcbrief] in pyproject.toml or .gtcbrief.toml.
    Silence a finding with <!-- gtcbrief-disable-next-line GB104 -->.
    """
    from gtcbrief.commands.validate_core import run

    return run(
        paths=paths, fmt=fmt, select=select, ignore=ignore, fail_on=fail_on,
        exit_zero=exit_zero, fix=fix, diff=diff, mismatch_threshold=mismatch_threshold,
        list_rules=list_rules, explain=explain, quiet=quiet, config=config,
        doc_format=doc_format, encoding=encoding, stdin_filename=stdin_filename,
    )  # fmt: skip
