"""Labelled evaluation of description-mismatch and dedupe (``make eval``).

Builds the sets of :mod:`datasets` into brief files in a temporary directory,
loads them with gtcbrief's own loader, and prints ROC-AUC, precision, recall
and F1 at the default threshold, suggestion accuracy, and dedupe pair
precision/recall. Deterministic for a given ``--seed``.

    .venv/bin/python eval/run.py [--seed 7] [--no-lexicon] [--no-glossary] [--no-dedupe]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import datasets  # noqa: E402

from gtcbrief.dedupe import DEFAULT_THRESHOLD as DEDUPE_T  # noqa: E402
from gtcbrief.dedupe import find_duplicates, record_of  # noqa: E402
from gtcbrief.loader import iter_documents  # noqa: E402
from gtcbrief.mismatch import (  # noqa: E402
    DEFAULT_THRESHOLD,
    Scorer,
    item_of,
    lexicon,
    load_glossary,
    parse_glossary,
)

#: Signals switched off for ablations (--no-glossary, --no-lexicon).
USE = {"glossary": True, "lexicon": True}


def roc_auc(pos: list[float], neg: list[float]) -> float:
    """P(a positive outranks a negative), ties counted half (Mann–Whitney)."""
    if not pos or not neg:
        return float("nan")
    ranked = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        avg = (i + j + 1) / 2  # 1-based average rank of the tie group
        rank_sum += avg * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    n_pos, n_neg = len(pos), len(neg)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def write(folder: Path, files: dict[str, list[datasets.Row]]) -> dict[tuple[str, str], Any]:
    truth: dict[tuple[str, str], Any] = {}
    for name, rows in files.items():
        (folder / name).write_text(datasets.brief_markdown(rows), encoding="utf-8")
        for row in rows:
            truth[(name, row.title)] = row.truth
    return truth


def load(folder: Path, names: list[str]) -> list[Any]:
    return list(iter_documents([str(folder / n) for n in names]))


def eval_mismatch(
    name: str, files: dict[str, list[datasets.Row]], threshold: float, per_file: bool
) -> dict[str, Any]:
    glossary = load_glossary() if USE["glossary"] else parse_glossary([])
    lex = lexicon() if USE["lexicon"] else {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write(folder, files)
        groups = [[n] for n in files] if per_file else [list(files)]
        scored: list[tuple[float, bool, str | None, str | None, str]] = []
        start = time.perf_counter()
        for group in groups:
            docs = load(folder, group)
            entries = [e for d in docs for e in d.entries]
            rows = [r for n in group for r in files[n]]
            assert [e.title for e in entries] == [r.title.strip() for r in rows], name
            items = [item_of(e) for e in entries]
            results = Scorer(items, glossary, lex).score_all()
            for row, m in zip(rows, results, strict=True):
                if m is None:
                    continue
                suggestion = items[m.suggestion].title if m.suggestion is not None else None
                owner = row.truth["owner"]
                scored.append(
                    (
                        m.score,
                        bool(row.truth["mismatch"]),
                        None if owner is None else str(owner).strip(),
                        suggestion,
                        str(row.truth.get("language", "")),
                    )
                )
        elapsed = time.perf_counter() - start
    pos = [s for s, bad, *_ in scored if bad]
    neg = [s for s, bad, *_ in scored if not bad]
    auc = roc_auc([-s for s in pos], [-s for s in neg])
    tp = sum(1 for s in pos if s < threshold)
    fp = sum(1 for s in neg if s < threshold)
    p, r, f = prf(tp, fp, len(pos) - tp)
    swapped = [x for x in scored if x[1] and x[2] is not None]
    right = sum(1 for x in swapped if x[3] == x[2])
    wrong_sugg = sum(1 for x in scored if not x[1] and x[3] is not None)
    by_lang: dict[str, float] = {}
    for lang in sorted({x[4] for x in scored}):
        lp = [-x[0] for x in scored if x[1] and x[4] == lang]
        ln = [-x[0] for x in scored if not x[1] and x[4] == lang]
        by_lang[lang] = roc_auc(lp, ln)
    return {
        "set": name + (" (each file alone)" if per_file else ""),
        "entries": len(scored),
        "mismatched": len(pos),
        "auc": auc,
        "precision": p,
        "recall": r,
        "f1": f,
        "swapped": len(swapped),
        "suggestion_accuracy": right / len(swapped) if swapped else 0.0,
        "suggestions_on_good": wrong_sugg,
        "auc_by_title_language": by_lang,
        "seconds": elapsed,
    }


def eval_dedupe(seed: int, threshold: float) -> dict[str, Any]:
    files, truth = datasets.dedupe_set(seed=seed)
    group_of = {i: g for g, i in truth}
    meta = {str(r.truth["id"]): r.truth for rows in files.values() for r in rows}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write(folder, files)
        docs = load(folder, list(files))
        entries = [e for d in docs for e in d.entries]
        ids = [str(r.truth["id"]) for rows in files.values() for r in rows]
        assert len(ids) == len(entries)
        start = time.perf_counter()
        clusters = find_duplicates([record_of(e) for e in entries], threshold)
        elapsed = time.perf_counter() - start
    predicted: set[frozenset[str]] = set()
    kind_right = kind_total = 0
    for c in clusters:
        for a, b in itertools.combinations(c.members, 2):
            predicted.add(frozenset((ids[a], ids[b])))
        planted_kinds = {meta[ids[m]].get("kind") for m in c.members} - {None}
        if len(planted_kinds) == 1:
            kind_total += 1
            kind_right += c.kind == planted_kinds.pop()
    members: dict[str, list[str]] = defaultdict(list)
    for i, g in group_of.items():
        members[g].append(i)
    true_pairs = {
        frozenset(p) for ms in members.values() for p in itertools.combinations(sorted(ms), 2)
    }
    tp = len(predicted & true_pairs)
    p, r, f = prf(tp, len(predicted - true_pairs), len(true_pairs - predicted))
    by_edit: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pair in true_pairs:
        edit = next((str(meta[i]["edit"]) for i in pair if "edit" in meta[i]), "?")
        by_edit[edit][1] += 1
        by_edit[edit][0] += pair in predicted
    return {
        "entries": len(entries),
        "true_pairs": len(true_pairs),
        "predicted_pairs": len(predicted),
        "precision": p,
        "recall": r,
        "f1": f,
        "seconds": elapsed,
        "kind_accuracy": kind_right / kind_total if kind_total else 0.0,
        "recall_by_edit": {k: v[0] / v[1] for k, v in sorted(by_edit.items())},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--dedupe-threshold", type=float, default=DEDUPE_T)
    ap.add_argument("--no-glossary", action="store_true", help="ablation: no glossary")
    ap.add_argument("--no-lexicon", action="store_true", help="ablation: no CC-CEDICT")
    ap.add_argument("--no-dedupe", action="store_true", help="skip the dedupe evaluation")
    args = ap.parse_args(argv)
    USE["glossary"] = not args.no_glossary
    USE["lexicon"] = not args.no_lexicon
    sets = {
        "daily-arxiv": datasets.arxiv_mismatch_set(seed=args.seed),
        "daily-arxiv TL;DR": datasets.arxiv_mismatch_set(seed=args.seed, description="tldr"),
        "paper-reading": datasets.paper_reading_mismatch_set(seed=args.seed),
    }
    results = []
    for name, files in sets.items():
        for per_file in (False, True):
            results.append(eval_mismatch(name, files, args.threshold, per_file))
    out = sys.stdout.write
    off = [k for k, v in USE.items() if not v]
    out(
        f"description-mismatch (default threshold {args.threshold}, seed {args.seed}"
        + (f", without {' and '.join(off)}" if off else "")
        + ")\n\n"
    )
    out(
        "| set | entries | mismatched | ROC-AUC | precision | recall | F1 | swapped | "
        "right suggestion | suggestions on good entries | AUC en/zh title | time |\n"
    )
    out("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--|--:|\n")
    for r in results:
        langs = " / ".join(f"{k}:{v:.3f}" for k, v in r["auc_by_title_language"].items())
        out(
            f"| {r['set']} | {r['entries']} | {r['mismatched']} | {r['auc']:.3f} | "
            f"{r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['swapped']} | "
            f"{r['suggestion_accuracy']:.1%} | {r['suggestions_on_good']} | {langs} | "
            f"{r['seconds']:.2f} s |\n"
        )
    if args.no_dedupe:
        return 0
    dd = eval_dedupe(args.seed + 4, args.dedupe_threshold)
    out(f"\ndedupe (threshold {args.dedupe_threshold}, seed {args.seed + 4})\n\n")
    out(
        "| entries | true pairs | predicted pairs | precision | recall | F1 | kind right | time |\n"
    )
    out("|--:|--:|--:|--:|--:|--:|--:|--:|\n")
    out(
        f"| {dd['entries']} | {dd['true_pairs']} | {dd['predicted_pairs']} | "
        f"{dd['precision']:.3f} | {dd['recall']:.3f} | {dd['f1']:.3f} | "
        f"{dd['kind_accuracy']:.1%} | {dd['seconds']:.2f} s |\n\n"
    )
    out(
        "recall by edit: "
        + ", ".join(f"{k} {v:.2f}" for k, v in dd["recall_by_edit"].items())
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
