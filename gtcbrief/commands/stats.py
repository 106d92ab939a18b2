"""``gtcbrief stats``: counts, coverage, description lengths and top terms."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from gtcbrief.cli import (
    ConfigOpt,
    DocFormatOpt,
    EncodingOpt,
    Loaded,
    PathsArg,
    StdinNameOpt,
    app,
    check_choice,
    guarded,
)

if TYPE_CHECKING:
    from rich.text import Text

    from gtcbrief.stats import Summary

STATS_FORMATS = ("table", "json", "csv")
CSV_COLUMNS = (
    "key",
    "entries",
    "share",
    "with_description",
    "with_authors",
    "no_description",
    "no_authors",
    "description_median",
)
BAR_WIDTH = 30


def _bar(value: int, largest: int, width: int = BAR_WIDTH) -> Text:
    from rich.text import Text

    eighths = round(8 * width * value / largest) if largest else 0
    full, rest = divmod(eighths, 8)
    return Text("█" * full + (" ▏▎▍▌▋▊▉"[rest] if rest else ""), style="cyan")


def _render_table(summary: Summary) -> None:
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    from gtcbrief.render import console, one_line, plural, safe

    con = console()
    total = summary.entries
    head = Text()
    head.append(f"{summary.entries}", style="bold")
    head.append(
        f" {'entry' if summary.entries == 1 else 'entries'} in "
        f"{plural(summary.documents, 'document')} ("
    )
    head.append(", ".join(f"{n} {fmt}" for fmt, n in summary.files_by_format.items()))
    head.append(")")
    con.print(head)
    con.print(
        Text(
            f"unfinished: {summary.unfinished} of {total} "
            f"(no description {summary.no_description}, no authors {summary.no_authors})",
            style="yellow" if summary.unfinished else "green",
        )
    )

    largest = max((g.entries for g in summary.groups), default=0)
    rows = [
        (
            one_line(g.key),  # (a file's name may hold a line feed)
            str(g.entries),
            str(g.no_description) if g.no_description else "",
            str(g.no_authors) if g.no_authors else "",
            f"{g.description_median:g}" if g.description_median is not None else "—",
        )
        for g in summary.groups
    ]
    heads = (summary.by.capitalize(), "Entries", "No desc.", "No authors", "Desc. median")
    key_width = min(50, max(cell_len(row[0]) for row in [heads, *rows]))
    # each count column as wide as its numbers and its header (which rich draws whole:
    # sized by its longest word, the columns took from the names 12 cells the sum left
    # out), three cells of padding and border each; the key column and the bar share the
    # rest: a fixed bar had squeezed the names to a few cells, or none
    counts = sum(max([*(len(row[i]) for row in rows), cell_len(heads[i])]) + 3 for i in range(1, 5))
    key_room = con.width - 1 - counts - 3
    key = min(key_width, key_room)
    bar = key_room - key - 3
    if bar < 10 and key > 20:  # a name folded a little, for a bar worth showing
        key = max(20, key_room - 13)
        bar = key_room - key - 3
    if bar < 6:
        key, bar = min(key_width, key_room), 0
    if key < min(key_width, 12):  # no room for a table: a group a line
        con.print(Text(f"entries by {summary.by}", style="italic"))
        for name, entries, no_desc, no_authors, median in rows:
            line = Text(name, style="bold")
            line.append(f"  {plural(int(entries), 'entry', 'entries')}")
            line.append(f", no desc. {no_desc}" if no_desc else "")
            line.append(f", no authors {no_authors}" if no_authors else "")
            line.append(f", desc. median {median}")
            con.print(line, overflow="fold")
    else:
        table = Table(title=f"entries by {summary.by}", title_justify="left")
        table.add_column(heads[0], overflow="fold", max_width=key)
        table.add_column(heads[1], justify="right")
        if bar:
            table.add_column("", no_wrap=True)
        for label in heads[2:]:
            table.add_column(label, justify="right")
        for g, (name, entries, *rest) in zip(summary.groups, rows, strict=True):
            drawn = [_bar(g.entries, largest, min(BAR_WIDTH, bar))] if bar else []
            table.add_row(Text(name), entries, *drawn, *rest)
        con.print(table)

    lengths = summary.descriptions
    if lengths.count:
        table = Table(
            title=(
                f"description length (characters): {lengths.count} descriptions, "
                f"min {lengths.min}, median {lengths.median:g}, mean {lengths.mean:g}, "
                f"max {lengths.max}"
            ),
            title_justify="left",
        )
        table.add_column("Length", justify="right")
        table.add_column("Entries", justify="right")
        top = max(n for _, n in lengths.buckets)
        # the bar in what the ranges and counts leave
        wide = max(len(label) for label, _ in lengths.buckets) + 3 + max(7, len(str(top))) + 3
        room = min(BAR_WIDTH, con.width - 1 - wide - 3)
        if room >= 6:
            table.add_column("", no_wrap=True)
        for label, n in lengths.buckets:
            table.add_row(label, str(n), *([_bar(n, top, room)] if room >= 6 else []))
        con.print(table)

    if summary.top_terms:
        table = Table(title="top terms per track (entries using the word)", title_justify="left")
        table.add_column("Track", overflow="fold", max_width=40)
        table.add_column("Terms", overflow="fold")
        for track, terms in summary.top_terms.items():
            # 'term(count)': a space inside a pair let a line break part a word from its count
            table.add_row(Text(safe(track)), Text(safe("  ".join(f"{t}({n})" for t, n in terms))))
        con.print(table)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  gtcbrief stats reports/\n\n"
        "  gtcbrief stats --by org reports/ --format csv > orgs.csv\n\n"
        "  gtcbrief stats --by author reports/ --format json | jq '.coverage'"
    )
)
@guarded
def stats(
    paths: PathsArg,
    by: Annotated[
        str,
        typer.Option(
            "--by", "-b", help="Group by track, subtopic, kind, org, speaker, author or file."
        ),
    ] = "track",
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="table, json or csv (default: table on a terminal, json otherwise).",
        ),
    ] = None,
    terms: Annotated[
        int, typer.Option("--terms", min=0, help="Top terms shown per track (0: none).")
    ] = 8,
    config: ConfigOpt = None,
    doc_format: DocFormatOpt = None,
    encoding: EncodingOpt = None,
    stdin_filename: StdinNameOpt = "-",
) -> int:
    """Counts and coverage by track, kind, organisation, author or file; description lengths."""
    import json

    from gtcbrief.render import default_format, write_csv
    from gtcbrief.stats import GROUP_KEYS, summarize_files

    check_choice("--by", by, GROUP_KEYS)
    chosen = check_choice("--format", fmt or default_format(), STATS_FORMATS)
    loaded = Loaded(
        paths,
        config=config,
        doc_format=doc_format,
        encoding=encoding,
        stdin_filename=stdin_filename,
    )
    summary = summarize_files(
        loaded.paths,
        config=loaded.config,
        encoding=loaded.encoding,
        stdin_name=loaded.stdin_filename,
        on_error=loaded.report,
        by=by,
        terms=terms if chosen != "csv" else 0,
    )
    loaded.none_found(summary.documents)
    if chosen == "json":
        from gtcbrief.render import json_safe

        text = json.dumps(summary.to_dict(), ensure_ascii=False, indent=2)
        sys.stdout.write(json_safe(text) + "\n")
    elif chosen == "csv":
        write_csv((g.to_dict() for g in summary.groups), CSV_COLUMNS, sys.stdout)
    else:
        _render_table(summary)
    return 2 if loaded.errors else 0
