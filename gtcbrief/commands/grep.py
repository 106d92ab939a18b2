"""``gtcbrief grep``: ranked, token-aware search over entries, backed by the index.

This module declares the command for Typer; the work is
:func:`gtcbrief.commands.grep_core.run`. A plain command line skips Typer
altogether (:mod:`gtcbrief.commands.grep_argv`) and reaches the same function
with the same :class:`~gtcbrief.commands.grep_core.Request`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from gtcbrief.cli import ConfigOpt, DocFormatOpt, EncodingOpt, StdinNameOpt, app, guarded


@app.command(
    epilog=(
        'Query language: words are ANDed; "a phrase"; a OR b; -exclude; field filters '
        "title: track: speaker: org: author: desc: (e.g. title:机器人, org:nvidia, "
        'desc:"kv cache"). Latin words match whole words, case-insensitively; Chinese '
        "matches any substring (-w: whole words, as jieba cuts them); Traditional and "
        "Simplified are the same.\n\n"
        "Examples:\n\n"
        "  gtcbrief grep 注意力 reports/\n\n"
        "  gtcbrief grep 'title:机器人 -track:simulation' reports/\n\n"
        "  gtcbrief grep 'rag OR 检索增强生成' reports/ --format jsonl | jq .title\n\n"
        "  gtcbrief grep --regex 'GPT-?4' reports/ -c\n\n"
        "Exit status: 0 when something matched, 1 when nothing did, 2 on errors."
    )
)
@guarded
def grep(
    query: Annotated[
        str,
        typer.Argument(
            help="The query (see below), or a pattern with --regex.", show_default=False
        ),
    ],
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, directories (searched for *.md and *.markdown, passing over hidden ones) "
            "or - for standard input "
            "(default: the current directory).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json or jsonl.")] = "text",
    rg_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="ripgrep's JSON Lines events (begin, match, context, end, summary), "
            "for tools that read rg --json.",
        ),
    ] = False,
    context: Annotated[
        int, typer.Option("--context", "-C", min=0, help="Show N lines around each matching line.")
    ] = 0,
    before: Annotated[
        int | None,
        typer.Option(
            "--before-context", "-B", min=0, help="Show N lines before each matching line."
        ),
    ] = None,
    after: Annotated[
        int | None,
        typer.Option("--after-context", "-A", min=0, help="Show N lines after each matching line."),
    ] = None,
    smart_case: Annotated[
        bool,
        typer.Option(
            "--smart-case", "-S", help="Match Latin case exactly only if QUERY has a capital."
        ),
    ] = False,
    words: Annotated[
        bool,
        typer.Option(
            "--word-regexp",
            "-w",
            help="Whole words only: Latin as \\b has it, Chinese where jieba cuts words "
            "(注意 then no longer matches inside 注意力).",
        ),
    ] = False,
    files_only: Annotated[
        bool,
        typer.Option("--files-with-matches", "-l", help="Print only the paths of matching files."),
    ] = False,
    count: Annotated[
        bool, typer.Option("--count", "-c", help="Print the number of matching entries per file.")
    ] = False,
    null: Annotated[
        bool,
        typer.Option(
            "--null",
            "-0",
            help="With -l or -c: end each path with a NUL byte (for xargs -0), as rg does.",
        ),
    ] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", "-m", min=1, help="Stop after N entries (the best N).")
    ] = None,
    sort: Annotated[
        str, typer.Option("--sort", help="rank (best first) or path (file order).")
    ] = "rank",
    ignore_case: Annotated[
        bool, typer.Option("--ignore-case", "-i", help="Ignore Latin case (the default).")
    ] = False,
    case_sensitive: Annotated[
        bool, typer.Option("--case-sensitive", "-s", help="Match Latin case exactly.")
    ] = False,
    regex: Annotated[
        bool, typer.Option("--regex", "-e", help="QUERY is a regular expression over raw lines.")
    ] = False,
    regex_timeout: Annotated[
        float,
        typer.Option(
            "--regex-timeout",
            min=0.0,
            help="Give up a --regex scan after N seconds on one entry (0: no limit).",
        ),
    ] = 5.0,
    full: Annotated[bool, typer.Option("--full-lines", help="Never shorten long lines.")] = False,
    cache_dir: Annotated[
        str | None,
        typer.Option(
            "--cache-dir",
            metavar="PATH",
            help="Where the index lives (default: index/ in the cache directory).",
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache", help="Build a throw-away index in memory (as GTCBRIEF_NO_CACHE=1 does)."
        ),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Report what the index did on stderr.")
    ] = False,
    config: ConfigOpt = None,
    doc_format: DocFormatOpt = None,
    encoding: EncodingOpt = None,
    stdin_filename: StdinNameOpt = "-",
) -> int:
    """Search entries: Chinese by substring, Latin by whole word, ranked, with field filters."""
    from gtcbrief.commands.grep_core import Request, run

    return run(
        Request(
            query,
            tuple(paths or ()),
            fmt,
            context,
            files_only,
            count,
            limit,
            sort,
            ignore_case,
            case_sensitive,
            regex,
            regex_timeout,
            full,
            None if cache_dir is None else _cache_dir(cache_dir),
            no_cache,
            verbose,
            config,
            doc_format,
            encoding,
            stdin_filename,
            before,
            after,
            smart_case,
            words,
            rg_json,
            null,
        )  # fmt: skip
    )


def _cache_dir(given: str) -> str:
    """``--cache-dir``'s folder, as written (an empty one would have meant the current
    folder, silently)."""
    from gtcbrief.errors import GtcbriefError
    from gtcbrief.walk import spelled

    if not given.strip():
        raise GtcbriefError("--cache-dir is empty: name a folder")
    return spelled(given)
