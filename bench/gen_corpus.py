"""Deterministic generator of daily-brief corpora for the benchmarks.

Writes ``--entries N`` entries, 20 to a file, in the seed brief's template
(``# 每日参会快报``, ``## 【kind】title``, the four ``###`` sections, the
``撰稿人：`` line, ``---`` separators) under ``--out DIR``, plus
``DIR/manifest.json`` listing the planted near-duplicate pairs so that
``dedupe`` recall can be measured.

Every piece of text comes from real documents in ``../shared/`` (see
``../shared/corpus/SOURCES.md``): English arXiv titles with their Chinese
titles and summaries, the paper-reading table (model names and one-line
Chinese notes), GTC 2024 session titles, and the seed brief (tracks,
speakers, descriptions, implications, author names). Descriptions are
recombined from those sentences and clauses so that the background entries
are distinct (few accidental near-duplicates) while the character and token
statistics stay those of real Chinese technical prose. Because the source is
only ~1.5 MB, a reused clause gets one noun swapped for another real noun from
jieba's dictionary and its numbers redrawn: without that, at 100k entries
every character n-gram would recur ~100 times, unlike a real archive's long
tail of rare n-grams (which blocking-based dedupe relies on).

Realistic variation, as in the seed: unfinished entries (no description,
no implications, often no authors), a separator directly under the author
line (a CommonMark setext trap), a half-width ``:`` or ``,`` in the author
line, speakers with roles and organisations (some with half-width
parentheses in the name, commas in the organisation), mixed-language titles.

Planted duplicates (``manifest.json`` ``pairs``), each pair ``a`` (the
original) and ``b`` (the copy), both with ``path`` (relative to ``--out``,
POSIX) and ``line`` (the ``##`` heading line):

``exact``
    the same entry filed again in another brief.
``copied-description``
    another session's entry whose description is a copy of ``a``'s with
    small edits (characters changed, a clause dropped or added, truncated,
    clauses reordered): the copy-paste fault.
``same-session``
    the same session reported twice by different authors: same title
    (sometimes lightly edited), track and speakers; a description that keeps
    about half of ``a``'s clauses, reordered, plus new ones.

The generator reads only ``../shared`` (relative to the repository) and
writes only inside ``--out``. 100k entries take a few seconds.

Usage::

    python bench/gen_corpus.py --entries 10000 --seed 1 --out bench/out/c10k
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

GENERATOR_VERSION = 2
ENTRIES_PER_FILE = 20
FILES_PER_DIR = 500
MANIFEST = "manifest.json"

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"

# Rates (per entry) of the variations and planted duplicates.
UNFINISHED_RATE = 0.08
SETEXT_TRAP_RATE = 0.03
HALFWIDTH_COLON_RATE = 0.02
COMMA_AUTHORS_RATE = 0.01
DUPLICATE_RATE = 0.03  # share of entries that are planted copies
DUP_KINDS = (("exact", 0.2), ("copied-description", 0.5), ("same-session", 0.3))

KINDS = (
    ("Talks & Panels", 0.72),
    ("Full-Day Workshop", 0.10),
    ("Training Lab", 0.06),
    ("Connect With the Experts", 0.04),
    ("Poster", 0.04),
    ("Keynote", 0.02),
    ("Panel", 0.02),
)

# Track names of the GTC session catalogue ("Track - Subtopic"); the seed's
# own tracks are added to these at load time.
EXTRA_TRACKS = (
    "Accelerated Computing - CUDA",
    "Data Center / Cloud - Networking",
    "Data Center / Cloud - Storage",
    "Models / Libraries / Frameworks - Deep Learning Frameworks",
    "Generative AI - Image Generation",
    "Generative AI - Video Generation",
    "Autonomous Vehicles - Perception",
    "Healthcare - Medical Imaging",
    "Computer Vision / Video Analytics - Image Processing",
    "Cybersecurity - AI for Security",
    "Trustworthy AI - Responsible AI",
    "HPC - Scientific Computing",
)

_SENTENCE_END = re.compile(r"(?<=[。！？；])")
_CLAUSE_SPLIT = re.compile(r"(?<=[，,；;：])")
_PIECE_SPLIT = re.compile(r"(?<=[，,；;：。！？])")  # clauses and sentences, for edits
_MD_NOISE = re.compile(r"\*\*|`|<[^>]+>")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")
_DIGITS = re.compile(r"\d+")
SUBSTITUTE_RATE = 0.7  # share of reused clauses that get another noun


@dataclass(frozen=True, slots=True)
class Topic:
    """One real item a session can be about: a title and sentences about it."""

    title: str
    alt_title: str | None  # the Chinese title of an English one, if any
    sentences: tuple[str, ...]


@dataclass(slots=True)
class Pools:
    topics: list[Topic] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)  # short names for "Head: tail" titles
    clauses: list[str] = field(default_factory=list)
    # (start, length) of dictionary nouns in each clause, for substitution
    noun_spots: list[tuple[tuple[int, int], ...]] = field(default_factory=list)
    nouns: list[str] = field(default_factory=list)
    implications: list[str] = field(default_factory=list)
    tracks: list[str] = field(default_factory=list)
    seed_speakers: list[str] = field(default_factory=list)
    first_names: list[str] = field(default_factory=list)
    last_names: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    surnames: list[str] = field(default_factory=list)
    given: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Spec:
    """One entry before rendering."""

    kind: str
    title: str
    track: str
    speakers: str
    description: str | None
    implications: str | None
    authors: str | None
    setext_trap: bool = False


# --------------------------------------------------------------------------- reading


def _sentences(text: str) -> list[str]:
    text = _MD_NOISE.sub("", text).strip()
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) >= 6]


def _read_arxiv(path: Path, pools: Pools) -> None:
    text = path.read_text(encoding="utf-8")
    blocks = re.split(r"^### \[\d+\] ", text, flags=re.MULTILINE)[1:]
    for block in blocks:
        m = re.match(r"\[(.+?)\]\(", block)
        if not m:
            continue
        title = m.group(1).strip()
        zh = re.search(r"^> \*(.+?)\*\s*$", block, re.MULTILINE)
        sents: list[str] = []
        for label in ("TL;DR", "Motivation", "Method", "Result", "Conclusion", "AI_Comments"):
            fm = re.search(rf"\*\*{re.escape(label)}:\*\*\s*(.*)", block)
            if fm and "Not mentioned" not in fm.group(1):
                sents.extend(_sentences(fm.group(1)))
        if not sents:
            continue
        pools.topics.append(Topic(title, zh.group(1).strip() if zh else None, tuple(sents)))
        if ": " in title:
            head = title.split(": ", 1)[0].strip()
            if 2 <= len(head) <= 40:
                pools.heads.append(head)
        comments = re.search(r"\*\*AI_Comments:\*\*\s*(.*)", block)
        if comments:
            pools.implications.extend(_sentences(comments.group(1)))


def _read_paper_reading(path: Path, pools: Pools) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4:
            continue
        m = re.search(r"\[([^\]]+)\]\(", cells[2])
        name = m.group(1).strip() if m else ""
        note = cells[3]
        if not name or name.startswith("!") or not note or note.startswith("-"):
            continue
        pools.heads.append(name)
        pools.topics.append(Topic(name, None, (note.rstrip("。") + "。",)))


def _read_talks(path: Path, pools: Pools) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    titles = [row[2].strip() for row in rows[1:] if len(row) >= 3 and row[2].strip()]
    return titles


def _read_seed(path: Path, pools: Pools) -> list[Topic]:
    text = path.read_text(encoding="utf-8")
    topics: list[Topic] = []
    for chunk in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        head = chunk.split("\n", 1)[0]
        m = re.match(r"【[^】]*】\s*(.*)", head)
        title = m.group(1).strip() if m else head.strip()

        def section(name: str, body: str = chunk) -> str:
            sm = re.search(rf"^### {name}\n(.*?)(?=^### |^撰稿人|^---|\Z)", body, re.M | re.S)
            return sm.group(1).strip() if sm else ""

        track = section("主题")
        if track and track not in pools.tracks:
            pools.tracks.append(track)
        speakers = section("演讲人或相关公司")
        for raw in speakers.split("、"):
            raw = raw.strip()
            if not raw:
                continue
            pools.seed_speakers.append(raw)
            sm = re.match(r"^(.*?)（(.*)）$", raw)
            if not sm:
                continue
            inner = [p.strip() for p in sm.group(2).split(",")]
            if len(inner) >= 2:
                pools.roles.append(", ".join(inner[:-1]))
                org = inner[-1]
                if re.fullmatch(r"(?i)ltd\.?|inc\.?", org) and len(inner) >= 3:
                    org = f"{inner[-2]}, {org}"
                    pools.roles[-1] = ", ".join(inner[:-2])
                pools.orgs.append(org)
            first = sm.group(1).split(" (")[0].split()
            if len(first) == 2:
                pools.first_names.append(first[0])
                pools.last_names.append(first[1])
        description = section("实事描述")
        implications = section("对华为的启示")
        if implications:
            pools.implications.extend(_sentences(implications))
        if description:
            topics.append(Topic(title, None, tuple(_sentences(description))))
        am = re.search(r"^撰稿人[：:](.*)$", chunk, re.M)
        if am:
            for name in re.findall(r"([\u4e00-\u9fff]{2,3})\s*\d{8}", am.group(1)):
                if name[0] not in pools.surnames:
                    pools.surnames.append(name[0])
                if name[1:] not in pools.given:
                    pools.given.append(name[1:])
    return topics


_POOLS: dict[Path, Pools] = {}


def load_pools(shared: Path = SHARED) -> Pools:
    """The real text the corpus is built from, read once (raises OSError if missing)."""
    key = shared.resolve()
    if key not in _POOLS:
        _POOLS[key] = _load_pools(shared)
    return _POOLS[key]


def _load_pools(shared: Path) -> Pools:
    corpus = shared / "corpus"
    pools = Pools()
    _read_arxiv(corpus / "daily-arxiv" / "2025-06-26.md", pools)
    _read_paper_reading(corpus / "paper-reading" / "README.md", pools)
    seed_topics = _read_seed(shared / "seeds" / "000_5ef59784ab73fb50.txt", pools)
    pools.topics.extend(seed_topics)
    talk_titles = _read_talks(corpus / "gtc2024-talks" / "talks_full.csv", pools)
    # A GTC session title borrows the sentences of a seed or arXiv topic: the
    # catalogue has no descriptions of its own.
    donors = [t for t in pools.topics if len(t.sentences) >= 3]
    for i, title in enumerate(talk_titles):
        donor = donors[(i * 7919) % len(donors)]
        pools.topics.append(Topic(title, None, donor.sentences))
    for extra in EXTRA_TRACKS:
        if extra not in pools.tracks:
            pools.tracks.append(extra)
    for topic in pools.topics:
        for sentence in topic.sentences:
            pools.clauses.extend(c for c in _CLAUSE_SPLIT.split(sentence) if len(c) >= 4)
    # arXiv author names would be real people; speakers are recombined names.
    pools.first_names += ["Wei", "Lin", "Anna", "David", "Priya", "Kenji", "Sofia", "Omar"]
    pools.last_names += ["Chen", "Liu", "Garcia", "Müller", "Tanaka", "Singh", "Kim", "Rossi"]
    if not pools.orgs:
        raise OSError("no speaker organisations found in the seed brief")
    _read_nouns(pools)
    return pools


def _read_nouns(pools: Pools) -> None:
    """Nouns of jieba's dictionary (word frequencies counted from real text).

    The source text is about 1.5 MB, so at 100k entries every clause recurs
    about 100 times and every character n-gram looks like boilerplate; a real
    archive has a long tail of rare n-grams. Swapping one noun of a reused
    clause for another real noun (jieba's ``n`` words) restores that tail
    while keeping the text Chinese-shaped. Nouns are found by forward maximum
    matching against the same dictionary.
    """
    from importlib.util import find_spec

    spec = find_spec("jieba")
    if spec is None or spec.origin is None:
        pools.noun_spots = [() for _ in pools.clauses]
        return
    known: set[str] = set()
    with open(Path(spec.origin).parent / "dict.txt", encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "n" and 2 <= len(parts[0]) <= 3:
                if _CJK_WORD.fullmatch(parts[0]):
                    known.add(parts[0])
                    if 3 <= int(parts[1]) <= 2000:
                        pools.nouns.append(parts[0])
    for clause in pools.clauses:
        spots: list[tuple[int, int]] = []
        i = 0
        while i < len(clause) - 1:
            for width in (3, 2):
                if clause[i : i + width] in known:
                    spots.append((i, width))
                    i += width
                    break
            else:
                i += 1
        pools.noun_spots.append(tuple(spots))


# --------------------------------------------------------------------------- making entries


def _weighted(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    x = rng.random() * sum(w for _, w in table)
    for value, weight in table:
        x -= weight
        if x <= 0:
            return value
    return table[-1][0]


def _speakers(rng: random.Random, pools: Pools) -> str:
    out: list[str] = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        if rng.random() < 0.15:
            out.append(rng.choice(pools.seed_speakers))
            continue
        name = f"{rng.choice(pools.first_names)} {rng.choice(pools.last_names)}"
        org = rng.choice(pools.orgs)
        if rng.random() < 0.1:
            out.append(f"{name}（{org}）")
        else:
            out.append(f"{name}（{rng.choice(pools.roles)}, {org}）")
    return "、".join(out)


def _authors(rng: random.Random, pools: Pools) -> str:
    people = [
        f"{rng.choice(pools.surnames)}{rng.choice(pools.given)} {rng.randint(50000000, 59999999)}"
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3)))
    ]
    sep = "，" if rng.random() < COMMA_AUTHORS_RATE else "、"
    return sep.join(people)


def _clause(rng: random.Random, pools: Pools) -> str:
    """A real clause, reused: one noun swapped for another, numbers redrawn."""
    k = rng.randrange(len(pools.clauses))
    clause = pools.clauses[k]
    spots = pools.noun_spots[k]
    if spots and pools.nouns and rng.random() < SUBSTITUTE_RATE:
        start, width = spots[rng.randrange(len(spots))]
        clause = clause[:start] + rng.choice(pools.nouns) + clause[start + width :]
    if any(c.isdigit() for c in clause):
        clause = _DIGITS.sub(lambda m: _redraw(rng, m.group(0)), clause)
    return clause


def _redraw(rng: random.Random, digits: str) -> str:
    if len(digits) == 1:
        return str(rng.randrange(1, 10))
    return str(rng.randrange(10 ** (len(digits) - 1), 10 ** len(digits)))


def _text(rng: random.Random, lead: Sequence[str], pools: Pools, lo: int, hi: int) -> str:
    """Lead sentences about the topic, then clauses of other real text to a length."""
    target = rng.randint(lo, hi)
    parts = list(lead)
    size = sum(len(p) for p in parts)
    while size < target:
        clause = _clause(rng, pools)
        parts.append(clause)
        size += len(clause)
    text = "".join(parts)
    if text[-1] not in "。！？":
        text = text.rstrip("，,；;：") + "。"
    return text


def _title(topic: Topic, head: str | None, variant: int) -> str:
    """A session title: a real title, optionally labelled with a real short name.

    ``(topic, head, variant)`` combinations give distinct titles, so background
    entries do not share titles by chance.
    """
    if variant and topic.alt_title:
        base = topic.alt_title
    elif variant and head:
        return f"{topic.title}｜{head}"
    else:
        base = topic.title
    if not head or base.startswith(head):
        return base
    if ":" in base or "：" in base:
        return f"{head}｜{base}"
    return f"{head}: {base}"


def _entry(rng: random.Random, pools: Pools, topic: Topic, title: str) -> Spec:
    lead_n = min(len(topic.sentences), rng.choice((1, 1, 2)))
    start = rng.randrange(len(topic.sentences) - lead_n + 1)
    lead = topic.sentences[start : start + lead_n]
    finished = rng.random() >= UNFINISHED_RATE
    implications = None
    if finished:
        imp_lead = [rng.choice(pools.implications)]
        implications = _text(rng, imp_lead, pools, 80, 260)
    return Spec(
        kind=_weighted(rng, KINDS),
        title=title,
        track=rng.choice(pools.tracks),
        speakers=_speakers(rng, pools),
        description=_text(rng, lead, pools, 180, 480) if finished else None,
        implications=implications,
        authors=_authors(rng, pools) if finished or rng.random() < 0.3 else None,
        setext_trap=rng.random() < SETEXT_TRAP_RATE,
    )


def _edit_description(rng: random.Random, text: str, pools: Pools) -> tuple[str, str]:
    """A copied description with small edits; returns (text, what was done)."""
    how = rng.choice(("chars", "drop-clause", "add-clause", "truncate", "reorder"))
    clauses = [c for c in _PIECE_SPLIT.split(text) if c]
    if how == "chars":
        chars = list(text)
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(chars))
            chars[i] = rng.choice(pools.clauses)[0]
        return "".join(chars), how
    if how == "drop-clause" and len(clauses) > 3:
        del clauses[rng.randrange(1, len(clauses) - 1)]
        return "".join(clauses), how
    if how == "truncate":
        cut = int(len(text) * rng.uniform(0.7, 0.9))
        return text[:cut].rstrip("，,；;：") + "。", how
    if how == "reorder" and len(clauses) > 3:
        rng.shuffle(clauses)
        joined = "".join(clauses)
        return joined.rstrip("，,；;：。") + "。", how
    clauses.insert(rng.randrange(len(clauses) + 1), rng.choice(pools.clauses))
    return "".join(clauses), "add-clause"


def _same_session(rng: random.Random, spec: Spec, pools: Pools) -> tuple[Spec, str]:
    assert spec.description is not None
    clauses = [c for c in _PIECE_SPLIT.split(spec.description) if c]
    order = list(range(len(clauses)))
    rng.shuffle(order)
    keep: list[str] = []
    for i in order:  # about half of the text, in whole clauses
        if sum(map(len, keep)) >= len(spec.description) // 2:
            break
        keep.append(clauses[i])
    fresh = [rng.choice(pools.clauses) for _ in range(max(1, len(clauses) - len(keep)))]
    mixed = keep + fresh
    rng.shuffle(mixed)
    description = "".join(mixed).rstrip("，,；;：。") + "。"
    title = spec.title
    note = "title-kept"
    if rng.random() < 0.3 and ": " in title:
        title, note = title.split(": ", 1)[1], "title-head-dropped"
    return (
        replace(
            spec,
            title=title,
            description=description,
            implications=_text(rng, [rng.choice(pools.implications)], pools, 80, 260),
            authors=_authors(rng, pools),
            setext_trap=False,
        ),
        note,
    )


def make_specs(
    n: int, seed: int, pools: Pools
) -> tuple[list[Spec], list[tuple[int, int, str, str]]]:
    """N entry specs and the planted pairs (source index, copy index, kind, detail)."""
    rng = random.Random(seed)
    # Title = optional "Head: " + a topic's title; drawn from a shuffled list of
    # combinations so background titles do not repeat by chance.
    n_topics = len(pools.topics)
    n_heads = len(pools.heads)
    combos = n_topics * (n_heads + 1) * 2
    stride = _coprime_stride(combos, rng)
    offset = rng.randrange(combos)
    specs: list[Spec] = []
    for i in range(n):
        k = (offset + i * stride) % combos
        topic = pools.topics[k % n_topics]
        h = (k // n_topics) % (n_heads + 1)
        head = pools.heads[h - 1] if h else None
        title = _title(topic, head, k // (n_topics * (n_heads + 1)))
        specs.append(_entry(rng, pools, topic, title))

    planted: list[tuple[int, int, str, str]] = []
    n_dups = int(n * DUPLICATE_RATE)
    if n >= 4 and n_dups == 0:
        n_dups = 1
    order = list(range(n))
    rng.shuffle(order)
    copies = set(order[:n_dups])
    sources = [i for i in order[n_dups:] if specs[i].description is not None]
    for target in sorted(copies):
        if not sources:
            break
        src_index = rng.choice(sources)
        src = specs[src_index]
        assert src.description is not None
        kind = _weighted(rng, DUP_KINDS)
        if kind == "exact":
            specs[target] = replace(src, setext_trap=False)
            detail = "verbatim"
        elif kind == "copied-description":
            description, detail = _edit_description(rng, src.description, pools)
            specs[target] = replace(
                specs[target],
                description=description,
                implications=specs[target].implications or src.implications,
                authors=specs[target].authors or _authors(rng, pools),
            )
        else:
            specs[target], detail = _same_session(rng, src, pools)
        planted.append((src_index, target, kind, detail))
    return specs, planted


def _coprime_stride(m: int, rng: random.Random) -> int:
    from math import gcd

    while True:
        s = rng.randrange(1, max(2, m))
        if gcd(s, m) == 1:
            return s


# --------------------------------------------------------------------------- writing


def render(spec: Spec) -> list[str]:
    """The lines of one entry, without its trailing separator."""
    lines = [f"## 【{spec.kind}】{spec.title}", "", "### 主题", spec.track, ""]
    lines += ["### 演讲人或相关公司", spec.speakers, ""]
    if spec.description is not None:
        lines += ["### 实事描述", spec.description, ""]
    if spec.implications is not None:
        lines += ["### 对华为的启示", spec.implications, ""]
    if spec.authors is not None:
        lines += [f"撰稿人：{spec.authors}", ""]
    return lines


def file_path(index: int) -> str:
    """Relative POSIX path of the index-th file (0-based)."""
    return f"part-{index // FILES_PER_DIR:03d}/brief-{index:05d}.md"


def _clear(out: Path) -> None:
    """Remove a previous corpus from OUT (only what this generator writes)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise SystemExit(f"gen_corpus: {out} exists and is not a directory")
    stray = [
        p.name for p in out.iterdir() if not (p.name == MANIFEST or p.name.startswith("part-"))
    ]
    if stray:
        raise SystemExit(
            f"gen_corpus: {out} is not empty and not a generated corpus ({stray[0]}); "
            "choose another --out"
        )
    for part in out.glob("part-*"):
        if part.is_dir() and not part.is_symlink():
            shutil.rmtree(part)
        else:
            part.unlink()
    (out / MANIFEST).unlink(missing_ok=True)


def generate(n: int, seed: int, out: Path, shared: Path = SHARED) -> dict[str, object]:
    """Write the corpus and its manifest; returns the manifest."""
    pools = load_pools(shared)
    rng = random.Random(seed ^ 0x5EED)
    specs, planted = make_specs(n, seed, pools)
    # Unfinished flag and half-width colon are rendering choices.
    halfwidth = {i for i in range(n) if rng.random() < HALFWIDTH_COLON_RATE}
    _clear(out)
    out.mkdir(parents=True, exist_ok=True)
    where: list[tuple[str, int]] = []
    stats = {"unfinished": 0, "setext_traps": 0, "halfwidth_colon": 0, "comma_authors": 0}
    n_files = (n + ENTRIES_PER_FILE - 1) // ENTRIES_PER_FILE
    for f in range(n_files):
        rel = file_path(f)
        lines = ["# 每日参会快报", ""]
        chunk = range(f * ENTRIES_PER_FILE, min(n, (f + 1) * ENTRIES_PER_FILE))
        for i in chunk:
            spec = specs[i]
            where.append((rel, len(lines) + 1))
            body = render(spec)
            if spec.description is None:
                stats["unfinished"] += 1
            if spec.authors is not None and "，" in spec.authors:
                stats["comma_authors"] += 1
            if i in halfwidth and spec.authors is not None:
                body = [ln.replace("撰稿人：", "撰稿人:", 1) for ln in body]
                stats["halfwidth_colon"] += 1
            if spec.setext_trap and i != chunk[-1]:
                body.pop()  # the blank line before the separator
                stats["setext_traps"] += 1
            lines.extend(body)
            if i != chunk[-1]:
                lines += ["---", ""]
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")

    def member(i: int) -> dict[str, object]:
        return {"path": where[i][0], "line": where[i][1], "title": specs[i].title}

    manifest: dict[str, object] = {
        "generator": "gtcbrief bench/gen_corpus.py",
        "version": GENERATOR_VERSION,
        "seed": seed,
        "entries": n,
        "files": n_files,
        "entries_per_file": ENTRIES_PER_FILE,
        "variations": stats,
        "pairs": [
            {"kind": kind, "detail": detail, "a": member(a), "b": member(b)}
            for a, b, kind, detail in planted
        ],
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, required=True, help="number of entries (e.g. 10000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--shared", type=Path, default=SHARED, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.entries < 1:
        parser.error("--entries must be at least 1")
    started = time.perf_counter()
    try:
        manifest = generate(args.entries, args.seed, args.out, args.shared)
    except OSError as exc:
        print(f"gen_corpus: cannot read the source text: {exc}", file=sys.stderr)
        return 2
    pairs = manifest["pairs"]
    assert isinstance(pairs, list)
    print(
        f"gen_corpus: {args.entries} entries in {manifest['files']} files, "
        f"{len(pairs)} planted pairs, {time.perf_counter() - started:.1f} s -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
