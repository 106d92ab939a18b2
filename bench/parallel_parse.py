"""``gtcbrief parse --format jsonl`` over a process pool: the per-file loader, mapped.

The loader is a pure function of one file (``gtcbrief.loader.load_path``), so
a large archive parallelises by mapping it over files, here with
``multiprocessing.Pool.imap`` (in order, streaming, bounded memory); the same
function maps over Dask, Spark or Ray workers (see docs/scaling.md). The
output is the same JSON Lines as ``gtcbrief parse --format jsonl PATHS``.

Usage::

    python bench/parallel_parse.py reports/ --jobs 2 > entries.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from multiprocessing import Pool

from gtcbrief.errors import GtcbriefError
from gtcbrief.loader import load_path
from gtcbrief.sources import iter_paths


def entries_of(path: str) -> str:
    """One file's entries as JSON Lines text (strings pickle cheaply between processes)."""
    try:
        doc = load_path(path)
    except GtcbriefError as exc:
        print(f"gtcbrief: {exc}", file=sys.stderr)
        return ""
    return "".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in doc.entries)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="parse --format jsonl on a process pool")
    parser.add_argument("paths", nargs="+", help="files or directories (*.md, recursively)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    args = parser.parse_args(argv)
    files = list(iter_paths(args.paths))
    out = sys.stdout
    if args.jobs <= 1:
        for path in files:
            out.write(entries_of(path))
        return 0
    with Pool(args.jobs) as pool:
        # chunksize amortises the inter-process round trip over several files
        for text in pool.imap(entries_of, files, chunksize=8):
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
