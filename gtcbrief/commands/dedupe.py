"""``gtcbrief dedupe``: near-duplicate entries across files, as clusters."""

from __future__ import annotations

import sys
from collections.abc import Iterator
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

KINDS = ("all", "copied-description", "same-session", "mixed")
MEMBER_CSV = ("cluster", "kind", "score", "path", "line", "title", "complete")
MEMBER_TABLE: tuple[tuple[str, str] | tuple[str, str, int], ...] = (
    ("cluster", "#"),
    ("kind", "Kind"),
    ("score", "Score"),
    ("where", "Where"),
    ("title", "Title", 5),  # the only share: 5 makes its least width 15 cells
)


@app.command(
    epilog=(
        "Kinds: copied-description (different sessions, the same text: a copy-paste "
        "fault) and same-session (one session reported twice, the titles agree).\n\n"
        "Exit status: 0 no duplicates, 1 duplicates found, 2 usage or I/O error.\n\n"
        "Examples:\n\n"
        "  gtcbrief dedupe reports/\n\n"
        "  gtcbrief dedupe reports/ --threshold 0.9 --format json | jq '.[].members'\n\n"
        "  gtcbrief dedupe reports/ --kind copied-description --format jsonl"
    )
)
@guarded
def dedupe(
    paths: PathsArg,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="table, json, jsonl or csv (default: table on a terminal, json otherwise).",
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            "-t",
            help="Similarity 0–1 a pair must reach (default 0.85, config key dedupe_threshold).",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="all, copied-description or same-session (the pairs of that kind, wherever "
            "they are), or mixed (clusters holding both).",
        ),
    ] = "all",
    config: ConfigOpt = None,
    doc_format: DocFormatOpt = None,
    encoding: EncodingOpt = None,
    stdin_filename: StdinNameOpt = "-",
) -> int:
    """Find near-duplicate entries: copied descriptions and sessions reported twice.

    Candidates come from shared sketches of character 3-grams (no all-pairs
    comparison) and are verified with several rapidfuzz scorers; each cluster
    has a score (its weakest pair) and a kind.
    """
    from gtcbrief.dedupe import Record, cluster, find_pairs, record_of, resolve_threshold
    from gtcbrief.render import FORMATS, default_format, emit, plural

    chosen = check_choice("--format", fmt or default_format(), FORMATS)
    check_choice("--kind", kind, KINDS)
    loaded = Loaded(
        paths,
        config=config,
        doc_format=doc_format,
        encoding=encoding,
        stdin_filename=stdin_filename,
    )
    limit = resolve_threshold(loaded.config, threshold)
    documents = 0
    records: list[Record] = []
    for doc in loaded:
        documents += 1
        records.extend(record_of(e) for e in doc.entries)
    pairs = find_pairs(records, limit)
    if kind in ("copied-description", "same-session"):
        # the pairs of that kind, clustered by themselves: a copy joined to a session
        # reported twice makes a mixed cluster, and is a copy all the same
        pairs = [p for p in pairs if p.kind == kind]
    clusters = [c for c in cluster(pairs, len(records)) if kind != "mixed" or c.kind == "mixed"]

    def cluster_records() -> Iterator[dict[str, Any]]:
        for c in clusters:
            yield c.to_dict(records)

    def member_rows() -> Iterator[dict[str, Any]]:
        for n, c in enumerate(clusters, 1):
            for i in c.members:
                r = records[i]
                yield {
                    "cluster": n,
                    # a chain: not every two members are a pair (see Cluster.complete)
                    "kind": c.kind if c.complete or chosen != "table" else f"{c.kind} (chain)",
                    "complete": c.complete,
                    "score": f"{c.score:.2f}",
                    "path": r.path,
                    "line": r.line,
                    "where": f"{r.path}:{r.line}",
                    "title": r.title,
                }

    if chosen in ("json", "jsonl"):
        emit(cluster_records(), chosen, csv_columns=(), table_columns=())
    else:
        emit(member_rows(), chosen, csv_columns=MEMBER_CSV, table_columns=MEMBER_TABLE)
    if chosen == "table" or sys.stderr.isatty():
        duplicated = sum(len(c.members) for c in clusters)
        sys.stderr.write(
            f"{plural(len(clusters), 'cluster')} ({plural(duplicated, 'entry', 'entries')}) "
            f"among {plural(len(records), 'entry', 'entries')} in {plural(documents, 'document')}"
            + (f"; {loaded.errors} unreadable" if loaded.errors else "")
            + "\n"
        )
    if loaded.errors:
        return 2
    return 1 if clusters else 0
