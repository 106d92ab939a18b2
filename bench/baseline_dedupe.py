"""All-pairs rapidfuzz baseline for ``gtcbrief dedupe`` (the naive peer).

Reads entries as JSON Lines (``gtcbrief parse --format jsonl CORPUS``), scores
every pair of descriptions with ``rapidfuzz.process.cdist`` (both cores) and
writes the pairs at or above ``--threshold`` as JSON::

    {"threshold": 60, "scorer": "ratio", "entries": 2000,
     "pairs": [[["part-000/brief-00001.md", 3], ["part-004/brief-00093.md", 51]], …]}

Paths are made relative to ``--root`` (the corpus directory) so they compare
with the generator's manifest. Needs numpy (cdist returns a matrix); the
harness runs it from a throwaway venv in ``bench/out/`` so numpy never enters
the project's environment.

Usage::

    python bench/baseline_dedupe.py entries.jsonl --root bench/out/c2k --out pairs.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="all-pairs rapidfuzz dedupe baseline")
    parser.add_argument("jsonl", type=Path, help="entries from `gtcbrief parse --format jsonl`")
    parser.add_argument("--root", default="", help="corpus directory to strip from paths")
    parser.add_argument("--out", type=Path, required=True, help="where to write the pairs")
    parser.add_argument("--threshold", type=int, default=60, help="minimum score (0-100)")
    parser.add_argument("--scorer", choices=("ratio", "token_set_ratio"), default="ratio")
    args = parser.parse_args(argv)

    from rapidfuzz import fuzz, process

    keys: list[tuple[str, int]] = []
    texts: list[str] = []
    prefix = args.root.rstrip("/") + "/" if args.root else ""
    with args.jsonl.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            description = record.get("description")
            if not description:
                continue
            path = str(record["path"])
            keys.append((path[len(prefix) :] if path.startswith(prefix) else path, record["line"]))
            texts.append(description)
    scorer = fuzz.ratio if args.scorer == "ratio" else fuzz.token_set_ratio
    # The same list object on both sides takes rapidfuzz's symmetric path.
    matrix = process.cdist(
        texts, texts, scorer=scorer, score_cutoff=args.threshold, workers=-1, dtype="uint8"
    )
    import numpy as np  # type: ignore[import-not-found, unused-ignore]

    rows, cols = np.nonzero(np.triu(matrix, k=1))
    pairs = [[keys[i], keys[j]] for i, j in zip(rows.tolist(), cols.tolist(), strict=True)]
    args.out.write_text(
        json.dumps(
            {
                "threshold": args.threshold,
                "scorer": args.scorer,
                "entries": len(texts),
                "pairs": pairs,
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"baseline: {len(texts)} descriptions, {len(pairs)} pairs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
