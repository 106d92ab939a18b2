"""``gtcbrief parse``: documents and entries as data."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

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

ENTRY_CSV = (
    "path",
    "line",
    "end_line",
    "kind",
    "title",
    "track",
    "subtopic",
    "speakers",
    "description",
    "implications",
    "authors",
)
#: Last in CSV, after --score's columns (added later: columns before it keep their places).
PARENT_CSV = ("parent",)  # the section a notes bullet sits in
ENTRY_TABLE: tuple[tuple[str, str] | tuple[str, str, int], ...] = (
    ("where", "Where"),
    ("kind", "Kind", 2),
    ("title", "Title", 5),
    ("topic", "Track", 3),
    ("speaker_names", "Speakers", 3),
    ("desc", "Desc."),
    ("author_names", "Authors", 2),
)
#: CSV's columns for ``--score`` (JSON has the whole ``mismatch`` object).
SCORE_CSV = ("mismatch_score", "mismatch_suggestion")
DOC_CSV = ("path", "format", "title", "entries", "line_count")
DOC_TABLE: tuple[tuple[str, str] | tuple[str, str, int], ...] = (
    ("path", "Path"),
    ("format", "Format"),
    ("title", "Title", 5),  # the only share: it wraps (15 cells at least) before records
    ("entries", "Entries"),
)


def _scores(documents: list[Any], config: Any) -> dict[tuple[str, int], dict[str, Any]]:
    """description-mismatch per brief entry with a description, keyed by (path, line)."""
    from gtcbrief.mismatch import scorable_entries, score_entries

    entries = scorable_entries(documents)
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for entry, match in zip(entries, score_entries(entries, config), strict=True):
        if match is None:
            continue
        other = entries[match.suggestion] if match.suggestion is not None else None
        out[(entry.path, entry.line)] = {
            "score": round(match.score, 4),
            "suggestion": other.title if other else None,
            "matched": list(match.matched),
            "missing": list(match.missing),
        }
    return out


def _table_row(record: dict[str, Any]) -> dict[str, Any]:
    desc = record["description"]
    return {
        **record,
        "where": f"{record['path']}:{record['line']}",
        "speaker_names": ", ".join(s["name"] for s in record["speakers"]),
        "author_names": ", ".join(a["name"] for a in record["authors"]),
        "desc": f"{len(desc)} chars" if desc else "—",
    }


@app.command(
    epilog=(
        "Examples:\n\n"
        "  gtcbrief parse samples/gtc-daily-brief.md\n\n"
        "  gtcbrief parse reports/ --format jsonl | jq -r .title\n\n"
        "  gtcbrief parse reports/ --format csv > entries.csv\n\n"
        "  gtcbrief parse reports/ --score --format jsonl | jq '{title, s: .mismatch.score}'\n\n"
        "  cat brief.md | gtcbrief parse - --stdin-filename brief.md --format json"
    )
)
@guarded
def parse(
    paths: PathsArg,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="table, json, jsonl or csv (default: table on a terminal, json otherwise).",
        ),
    ] = None,
    documents: Annotated[
        bool, typer.Option("--documents", help="One record per document instead of per entry.")
    ] = False,
    score: Annotated[
        bool,
        typer.Option(
            "--score",
            help="Add each brief entry's description-mismatch score and suggestion "
            "(compared with every entry of the files given, so all files are read first).",
        ),
    ] = False,
    config: ConfigOpt = None,
    doc_format: DocFormatOpt = None,
    encoding: EncodingOpt = None,
    stdin_filename: StdinNameOpt = "-",
) -> int:
    """Read documents into entries: kind, title, track, speakers, description, authors.

    Every record carries its path and the line of its heading.
    """
    from gtcbrief.render import FORMATS, default_format, emit, plural

    chosen = check_choice("--format", fmt or default_format(), FORMATS)
    loaded = Loaded(
        paths,
        config=config,
        doc_format=doc_format,
        encoding=encoding,
        stdin_filename=stdin_filename,
    )
    stats = {"documents": 0, "entries": 0}
    documents_in: Iterable[Any] = loaded
    scores: dict[tuple[str, int], dict[str, Any]] = {}
    if score:
        documents_in = list(loaded)
        scores = _scores(documents_in, loaded.config)

    def records() -> Iterator[dict[str, Any]]:
        for doc in documents_in:
            stats["documents"] += 1
            stats["entries"] += len(doc.entries)
            if documents:
                record = doc.to_dict()
                if chosen in ("csv", "table"):
                    record = {**record, "entries": len(doc.entries)}
                yield record
                continue
            for entry in doc.entries:
                record = entry.to_dict()
                if score:
                    found = record["mismatch"] = scores.get((entry.path, entry.line))
                    if chosen == "csv":  # flat, for the columns SCORE_CSV adds
                        record["mismatch_score"] = found and found["score"]
                        record["mismatch_suggestion"] = found and found["suggestion"]
                yield _table_row(record) if chosen == "table" else record

    if documents:
        emit(records(), chosen, csv_columns=DOC_CSV, table_columns=DOC_TABLE)
    else:
        csv_columns = ENTRY_CSV + (SCORE_CSV if score else ()) + PARENT_CSV
        emit(records(), chosen, csv_columns=csv_columns, table_columns=ENTRY_TABLE)
    if chosen == "table" or sys.stderr.isatty():
        sys.stderr.write(
            f"{plural(stats['entries'], 'entry', 'entries')} in "
            f"{plural(stats['documents'], 'document')}"
            + (f"; {loaded.errors} unreadable" if loaded.errors else "")
            + "\n"
        )
    return 2 if loaded.errors else 0
