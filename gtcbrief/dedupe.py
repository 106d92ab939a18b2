"""Near-duplicate entries: copied descriptions and sessions reported twice.

Pipeline (no all-pairs comparison):

1. **Sketch.** Each description is reduced to its compact normalised text
   (NFKC, case folded, Traditional→Simplified, spaces and punctuation
   dropped); its character 3-grams are hashed (CRC-32, deterministic) and
   the ``SKETCH_POOL`` smallest hashes taken (a bottom-k MinHash sketch).
   Of those, the ``SKETCH`` smallest that at most ``CAP`` sketches share are
   kept: boilerplate is never evidence, and in a large corpus it would crowd
   the sketches. A copy that was truncated, reordered or lightly edited
   keeps most of its 3-grams, so it shares several of these values with its
   source even when the Jaccard similarity of the two texts is low (a
   truncated copy is *contained* in its source). Titles get a smaller sketch
   of 2-grams and an exact key.
2. **Block.** Entries sharing three kept values (two texts) or the same
   title are candidates; the work is bounded by ``entries × SKETCH × CAP``.
3. **Verify** each candidate with more than one scorer (rapidfuzz):
   ``ratio`` (edits), ``partial_ratio`` (truncation, when the shorter text is
   long enough), ``token_sort_ratio`` over sentences (reordering), and
   character-bigram containment (all three edits at once).
4. **Cluster** verified pairs with union-find; a cluster carries its weakest
   link as ``score`` and the kind of duplication: ``copied-description``
   (different sessions, same text) or ``same-session`` (one session reported
   twice, the titles agree).
"""

from __future__ import annotations

import re
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gtcbrief.config import Config
    from gtcbrief.model import Entry

#: Default similarity (0–1) a pair must reach (``dedupe --threshold``, config ``dedupe_threshold``).
DEFAULT_THRESHOLD = 0.85
#: Title similarity at which two entries are the same session.
TITLE_THRESHOLD = 0.9
#: Sketch sizes (smallest hashes kept) for descriptions (3-grams) and titles (2-grams).
SKETCH = 24
TITLE_SKETCH = 8
#: Smallest hashes drawn per description, from which the SKETCH rarest-enough are kept.
SKETCH_POOL = 64
#: Sketch values shared by more rows than this are boilerplate, not evidence.
CAP = 24
_COUNT_SLOTS = 1 << 22
#: Rows with the same title beyond this many are a generic title ("Keynote"), not evidence.
TITLE_CAP = 64
#: Bigram containment below which a pair is not worth the rapidfuzz scorers.
PREFILTER = 0.4
#: Description similarity that makes a title with its head or subtitle dropped one session.
RELATED = 0.3
#: Description similarity that makes two near-identical titles (a typo) one session.
CLOSELY_RELATED = 0.8
#: Below this, two descriptions under the same title are about different things.
UNRELATED = 0.2
#: Shorter description length (compact characters) below which only whole-text scorers apply.
MIN_PARTIAL = 40
#: Descriptions shorter than this are never compared ("待补充", "TBD").
MIN_DESCRIPTION = 12

_KEEP = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SENTENCE = re.compile(r"(?<=[。！？!?；;])|\n+")


def compact(text: str) -> str:
    """Normalised text without spaces or punctuation: what copying preserves."""
    from gtcbrief.mismatch import fold

    return _KEEP.sub("", fold(text))


def _sketch(text: str, n: int, size: int) -> list[int]:
    data = text.encode("utf-32-le")
    width = 4 * n
    if len(data) < width:
        return [zlib.crc32(data)] if data else []
    grams = {data[i : i + width] for i in range(0, len(data) - width + 4, 4)}
    return sorted(map(zlib.crc32, grams))[:size]


def _rare_sketches(sketches: Sequence[Sequence[int]], keep: int, cap: int) -> list[list[int]]:
    """Each sketch's ``keep`` smallest values that at most ``cap`` sketches share.

    Boilerplate (a sentence every brief repeats, a phrase a corpus recombines)
    would otherwise fill the sketches of large corpora with values too common
    to index, and copies would lose their candidates. Counts go into a fixed
    table of saturating byte counters (a hash collision can only overcount),
    so memory stays flat whatever the corpus size.
    """
    counts = bytearray(_COUNT_SLOTS)
    mask = _COUNT_SLOTS - 1
    for sk in sketches:
        for h in sk:
            slot = h & mask
            if counts[slot] < 255:
                counts[slot] += 1
    return [[h for h in sk if counts[h & mask] <= cap][:keep] for sk in sketches]


def _sentences(text: str) -> str:
    parts = [compact(p) for p in _SENTENCE.split(text)]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Record:
    """What dedupe compares of an entry."""

    path: str
    line: int
    title: str
    description: str | None = None

    def to_member(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "title": self.title}


@dataclass(frozen=True, slots=True)
class Pair:
    a: int
    b: int
    kind: str
    score: float
    title_score: float
    description_score: float | None


@dataclass(frozen=True, slots=True)
class Cluster:
    members: tuple[int, ...]
    kind: str
    score: float
    pairs: tuple[Pair, ...]

    def to_dict(self, records: Sequence[Record]) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "score": self.score,
            "size": len(self.members),
            "members": [records[i].to_member() for i in self.members],
            "pairs": [
                {
                    "a": records[p.a].to_member(),
                    "b": records[p.b].to_member(),
                    "kind": p.kind,
                    "score": p.score,
                    "title_score": p.title_score,
                    "description_score": p.description_score,
                }
                for p in self.pairs
            ],
        }


def record_of(entry: Entry) -> Record:
    desc = entry.description.strip() if entry.description else None
    return Record(entry.path, entry.line, entry.title, desc or None)


def _candidates(
    keys: Sequence[Sequence[int]], cap: int, min_shared: int = 3
) -> set[tuple[int, int]]:
    """Pairs of rows sharing at least ``min_shared`` sketch values.

    Values found in more than ``cap`` rows are boilerplate and ignored, which
    bounds the work by ``rows × sketch × cap``.
    """
    postings: dict[int, list[int]] = {}
    for i, ks in enumerate(keys):
        for k in ks:
            postings.setdefault(k, []).append(i)
    counts: dict[tuple[int, int], int] = {}
    pairs: set[tuple[int, int]] = set()
    for plist in postings.values():
        n = len(plist)
        if n < 2 or n > cap:
            continue
        for x in range(n):
            a = plist[x]
            for b in plist[x + 1 :]:
                if a != b:
                    key = (a, b) if a < b else (b, a)
                    counts[key] = counts.get(key, 0) + 1
    pairs.update(k for k, c in counts.items() if c >= min_shared)
    return pairs


class _Prepared:
    """Normalised forms of the records, computed once."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.titles = [compact(r.title) for r in records]
        self.descs = [compact(r.description) if r.description else "" for r in records]
        self.sentences: dict[int, str] = {}
        self.records = records

    def sentence_form(self, i: int) -> str:
        form = self.sentences.get(i)
        if form is None:
            desc = self.records[i].description or ""
            form = self.sentences[i] = _sentences(desc)
        return form


@lru_cache(maxsize=8192)
def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def bigram_containment(a: str, b: str) -> float:
    """Share of the shorter text's character bigrams found in the other (order-free)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))


def description_similarity(a: str, b: str, sa: str = "", sb: str = "") -> float:
    """0–1: the best of four scorers on compact texts ``a``/``b``.

    rapidfuzz ``ratio`` (edits), ``partial_ratio`` (a truncated copy inside its
    source), ``token_sort_ratio`` over sentences ``sa``/``sb`` (reordered
    sentences), and character-bigram containment (reordering *and* typos *and*
    truncation together). The last three only apply when the shorter text
    has at least ``MIN_PARTIAL`` characters, so short boilerplate never matches.
    """
    from rapidfuzz import fuzz

    if len(a) < MIN_DESCRIPTION or len(b) < MIN_DESCRIPTION:
        return 1.0 if a == b and a else 0.0
    best = fuzz.ratio(a, b) / 100
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= MIN_PARTIAL and len(short) >= 0.2 * len(long_):
        best = max(best, fuzz.partial_ratio(short, long_) / 100)
        if sa and sb:
            best = max(best, fuzz.token_sort_ratio(sa, sb) / 100)
        if best < 1.0:
            best = max(best, bigram_containment(a, b))
    return best


def title_similarity(a: str, b: str) -> float:
    """0–1 similarity of compact titles (``ratio``; a subtitle dropped still counts)."""
    from rapidfuzz import fuzz

    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    best = fuzz.ratio(a, b)
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    # "Title: subtitle" vs "Title": the shorter is a long-enough prefix of the longer.
    if len(short) >= 12 and long_.startswith(short):
        best = max(best, 95.0)
    return best / 100


def _same_session(ta: str, tb: str, ts: float, ds: float | None) -> bool:
    """Do two titles (compact) name the same session, given their descriptions' similarity?

    Identical titles do, unless both descriptions exist and are unrelated. A
    title with its subtitle (or head) dropped does when both descriptions
    exist and are related. A near-identical title (a typo) needs mostly
    shared descriptions: "Fundamentals of Deep Learning" and "Fundamentals of
    Accelerated Data Science" are different sessions.
    """
    if len(ta) < 4 or len(tb) < 4:
        return False
    if ta == tb:
        # Two write-ups of one talk share its vocabulary; unrelated texts under one
        # title are a copied title or a generic one ("Keynote"), not one session.
        return ds is None or ds >= UNRELATED
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if len(short) >= 12 and (long_.startswith(short) or long_.endswith(short)):
        return ds is not None and ds >= RELATED
    return ts >= TITLE_THRESHOLD and ds is not None and ds >= CLOSELY_RELATED


def find_pairs(records: Sequence[Record], threshold: float = DEFAULT_THRESHOLD) -> list[Pair]:
    """Verified near-duplicate pairs among ``records``."""
    prep = _Prepared(records)
    desc_keys = _rare_sketches(
        [
            array("I", _sketch(d, 3, SKETCH_POOL)) if len(d) >= MIN_DESCRIPTION else ()
            for d in prep.descs
        ],
        SKETCH,
        CAP,
    )
    title_keys = _rare_sketches(
        [array("I", _sketch(t, 2, 3 * TITLE_SKETCH)) if len(t) >= 4 else () for t in prep.titles],
        TITLE_SKETCH,
        CAP,
    )
    exact_titles = [[zlib.crc32(t.encode("utf-8"))] if len(t) >= 4 else [] for t in prep.titles]
    candidates = (
        _candidates(desc_keys, CAP)
        | _candidates(title_keys, CAP, min_shared=3)
        | _candidates(exact_titles, TITLE_CAP, min_shared=1)
    )
    pairs: list[Pair] = []
    for a, b in sorted(candidates):
        ta, tb = prep.titles[a], prep.titles[b]
        ts = title_similarity(ta, tb)
        ds: float | None = None
        if prep.descs[a] and prep.descs[b]:
            # Cheap, order-free containment first; the rapidfuzz scorers only for plausible pairs.
            ds = bigram_containment(prep.descs[a], prep.descs[b])
            if ds >= PREFILTER:
                ds = description_similarity(
                    prep.descs[a], prep.descs[b], prep.sentence_form(a), prep.sentence_form(b)
                )
        if _same_session(ta, tb, ts, ds):
            kind, score = "same-session", max(ts, ds or 0.0)
            if score < threshold:
                continue
        elif ds is not None and ds >= threshold:
            kind, score = "copied-description", ds
        else:
            continue
        pairs.append(
            Pair(a, b, kind, round(score, 4), round(ts, 4), None if ds is None else round(ds, 4))
        )
    return pairs


def cluster(pairs: Iterable[Pair], n: int) -> list[Cluster]:
    """Union-find over ``pairs``; clusters sorted by their first member."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    plist = list(pairs)
    for p in plist:
        ra, rb = find(p.a), find(p.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[Pair]] = {}
    for p in plist:
        groups.setdefault(find(p.a), []).append(p)
    out: list[Cluster] = []
    for ps in groups.values():
        members = sorted({i for p in ps for i in (p.a, p.b)})
        kinds = {p.kind for p in ps}
        kind = kinds.pop() if len(kinds) == 1 else "mixed"
        out.append(Cluster(tuple(members), kind, min(p.score for p in ps), tuple(ps)))
    out.sort(key=lambda c: c.members[0])
    return out


def find_duplicates(
    records: Sequence[Record], threshold: float = DEFAULT_THRESHOLD
) -> list[Cluster]:
    """Clusters of near-duplicate records."""
    return cluster(find_pairs(records, threshold), len(records))


def resolve_threshold(config: Config | None, threshold: float | None) -> float:
    """``--threshold``, else config ``dedupe_threshold``, else the default; in (0, 1]."""
    from gtcbrief.config import number_setting

    return number_setting(
        config, "dedupe_threshold", threshold, DEFAULT_THRESHOLD, low=0.0, high=1.0
    )


def copied_descriptions(
    entries: Sequence[Entry], config: Config | None = None
) -> Iterator[tuple[Entry, Entry, float]]:
    """(entry, the entry it copied from, similarity) for each later copy of a description.

    The earliest entry (by path, line) of a cluster is taken as the source.
    """
    records = [record_of(e) for e in entries]
    threshold = resolve_threshold(config, None)
    for c in find_duplicates(records, threshold):
        copied = [
            p
            for p in c.pairs
            if p.description_score is not None and p.description_score >= threshold
        ]
        if not copied:
            continue
        members = sorted(
            {i for p in copied for i in (p.a, p.b)},
            key=lambda i: (records[i].path, records[i].line),
        )
        source = members[0]
        for i in members[1:]:
            score = max((p.description_score or 0.0) for p in copied if i in (p.a, p.b))
            yield entries[i], entries[source], score
