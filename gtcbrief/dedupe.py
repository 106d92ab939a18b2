"""Near-duplicate entries: copied descriptions and sessions reported twice.

Pipeline (no all-pairs comparison):

1. **Sketch.** Each description is reduced to its compact normalised text
   (NFKC, case folded, Traditional→Simplified, spaces and punctuation
   dropped; an unchanged file's are read back from the cache directory, see
   :func:`compact_forms`); its character 3-grams are hashed (CRC-32,
   deterministic) and the ``SKETCH_POOL`` smallest hashes taken (a bottom-k
   MinHash sketch).
   Of those, the ``SKETCH`` smallest that at most ``CAP`` sketches share are
   kept: boilerplate is never evidence, and in a large corpus it would crowd
   the sketches. A copy that was truncated, reordered or lightly edited
   keeps most of its 3-grams, so it shares several of these values with its
   source even when the Jaccard similarity of the two texts is low (a
   truncated copy is *contained* in its source). Titles get a smaller sketch
   of 2-grams and an exact key. Beyond ``POOL_ROWS`` rows, where ever more of
   the pool is too common to keep, a second sketch drawn from a pool that
   grows with the corpus adds its candidates to the first one's.
2. **Block.** Entries sharing three kept values (two texts), the same
   title or the same description are candidates; the work is bounded by
   ``entries × SKETCH × CAP`` (identical descriptions add one pair per copy).
3. **Verify** each candidate: character-bigram containment first (cheap,
   order-free; below ``PREFILTER`` it is the pair's description score), then
   more than one scorer (rapidfuzz): ``ratio`` (edits), ``partial_ratio``
   (truncation, when the shorter text is long enough), ``token_sort_ratio``
   over sentences (reordering), and the containment (all three edits at once).
4. **Cluster** verified pairs with union-find; a cluster carries its weakest
   link as ``score`` and the kind of duplication: ``copied-description``
   (different sessions, same text) or ``same-session`` (one session reported
   twice, the titles agree).

From ``VECTOR_MIN`` rows on, sketching, blocking and the containment run
vectorised with numpy over the whole corpus, with the same results as the
per-text Python code used below that size (where numpy's import would cost
more than it saves) and checked against it by the tests.
"""

from __future__ import annotations

import re
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import groupby
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from gtcbrief import _re_speedup
from gtcbrief.model import record
from gtcbrief.text import CJK_CLASS, normalize

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from gtcbrief.cache import TextsStore
    from gtcbrief.config import Config
    from gtcbrief.model import Entry

    Ints = NDArray[np.int64]
    Chunks = list[tuple[NDArray[np.int32], NDArray[np.uint32]]]

#: Default similarity (0–1) a pair must reach (``dedupe --threshold``, config ``dedupe_threshold``).
DEFAULT_THRESHOLD = 0.85
#: Title similarity at which two entries are the same session.
TITLE_THRESHOLD = 0.9
#: Sketch sizes (smallest hashes kept) for descriptions (3-grams) and titles (2-grams).
SKETCH = 24
TITLE_SKETCH = 8
#: Smallest hashes drawn per description, from which the SKETCH rarest-enough are kept.
SKETCH_POOL = 64
#: Rows beyond which a second, deeper sketch (its pool growing with the corpus) adds candidates.
POOL_ROWS = 10_000
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

_KEEP = _re_speedup.compile(f"[^0-9a-z{CJK_CLASS}]+")
_UNIT = _re_speedup.compile(f"[0-9a-z]+|[{CJK_CLASS}]+")
#: English words every text has: sharing them does not make two texts about one thing.
_FUNCTION_WORDS = frozenset(
    "about after all also and any are been being both but can could did does each "
    "for from had has have how into its more most not now one only other our over "
    "such than that the their them then there these they this those through under "
    "use used using very was were what when where which while who why will with "
    "would you your".split()
)
_SENTENCE = re.compile(r"(?<=[。！？!?；;])|\n+")


def compact(text: str) -> str:
    """Normalised text without spaces or punctuation: what copying preserves.

    (:func:`gtcbrief.text.normalize` is imported with the module: imported here, as
    it was, Python 3.11 looked for the module's ``__path__`` on every call, ≈1 µs of
    the 5 a title took.)"""
    return _KEEP.sub("", normalize(text))


def _sketch(text: str, n: int, size: int) -> list[int]:
    data = text.encode("utf-32-le")
    width = 4 * n
    if len(data) < width:
        return [zlib.crc32(data)] if data else []
    grams = {data[i : i + width] for i in range(0, len(data) - width + 4, 4)}
    return sorted(set(map(zlib.crc32, grams)))[:size]  # two grams of one CRC: one value


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


def content_units(text: str) -> frozenset[str]:
    """What a text is about, alike in any script: its Chinese character bigrams and its
    Latin words and numbers of three characters or more, less English function words.

    Character bigrams of a text without spaces overlap between any two English texts
    (two unrelated English paragraphs share half of them), as Chinese ones do not.
    """
    units: set[str] = set()
    for run in _UNIT.findall(normalize(text)):
        if run.isascii():
            if len(run) >= 3 and run not in _FUNCTION_WORDS:
                units.add(run)
        elif len(run) == 1:
            units.add(run)
        else:
            units.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(units)


def shared_content(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the smaller set of :func:`content_units` found in the other."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _mostly_latin(form: str) -> bool:
    """Whether most of a compact text is Latin letters and digits."""
    return len(form.encode("ascii", "ignore")) * 2 > len(form)


def _sentences(text: str) -> str:
    parts = [compact(p) for p in _SENTENCE.split(text)]
    return " ".join(p for p in parts if p)


@record
class Record:
    """What dedupe compares of an entry."""

    path: str
    line: int
    title: str
    description: str | None = None

    def to_member(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "title": self.title}


@record
class Pair:
    a: int
    b: int
    kind: str
    score: float
    title_score: float
    description_score: float | None


@record
class Cluster:
    members: tuple[int, ...]
    kind: str
    score: float
    pairs: tuple[Pair, ...]

    @property
    def complete(self) -> bool:
        """Whether every two members are a verified pair; else the cluster is a chain
        (A like B, B like C): its score is its weakest verified pair, and A and C may be
        unrelated (an entry that merges two others joins them)."""
        size = len(self.members)
        return len({(p.a, p.b) for p in self.pairs}) >= size * (size - 1) // 2

    def to_dict(self, records: Sequence[Record]) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "score": self.score,
            "size": len(self.members),
            "complete": self.complete,
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
    from gtcbrief.text import written

    # unfinished entries' '待补充' are one text, not copies of each other
    return Record(entry.path, entry.line, entry.title, written(entry.description))


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


# --------------------------------------------------------------------------- vectorised path
# The same sketches, rarity filter, candidates and containment as above, computed
# with numpy over the whole corpus instead of one text at a time. Used from
# VECTOR_MIN rows on, where it repays numpy's import (~0.1 s); results are
# identical (tests compare the two paths).

#: Rows from which find_pairs uses the vectorised path (when numpy is installed).
VECTOR_MIN = 1000
_BMP = 1 << 16
#: Texts sketched per vectorised step: bounds the memory of the position arrays.
_CHUNK = 4096
#: Bigram ids gathered per step of the containment computation.
_GATHER = 1 << 21


def _numpy_ready() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:  # pragma: no cover - numpy is a dependency; plain Python still works
        return False
    return True


@lru_cache(maxsize=4)
def _crc_tables(n: int) -> NDArray[np.uint32]:
    """Tables ``T`` with ``crc32(s.encode("utf-32-le")) == T[0][s[0]] ^ … ^ T[n-1][s[n-1]]``.

    For a fixed length CRC-32 is affine over GF(2): the CRC of a message is the
    CRC of zeros XOR one term per byte. A BMP character's UTF-32 code unit has
    two zero high bytes, so one table per character position covers it (the
    constant is folded into ``T[0]``).
    """
    import numpy as np

    width = 4 * n
    zero = zlib.crc32(bytes(width))
    per_byte = np.array(
        [
            [zlib.crc32(bytes(i) + bytes((v,)) + bytes(width - i - 1)) ^ zero for v in range(256)]
            for i in range(width)
        ],
        dtype=np.uint32,
    )
    cp = np.arange(_BMP)
    tables = np.stack([per_byte[4 * j][cp & 255] ^ per_byte[4 * j + 1][cp >> 8] for j in range(n)])
    tables[0] ^= np.uint32(zero)
    return tables


def _distinct(x: NDArray[Any]) -> NDArray[Any]:
    """Sorted distinct values: ``np.unique``, ~50× faster on uint64 (numpy 2.4 hashes)."""
    import numpy as np

    x = np.sort(x)
    return x[np.concatenate(([True], x[1:] != x[:-1]))] if len(x) else x


def _first_per_row(
    rows: NDArray[Any], values: NDArray[Any], keep: int
) -> tuple[NDArray[Any], NDArray[Any]]:
    """The first ``keep`` values of each row of flat, row-sorted ``rows``/``values``."""
    import numpy as np

    if not len(rows):
        return rows, values
    starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    lengths = np.diff(np.concatenate((starts, [len(rows)])))
    rank = np.arange(len(rows)) - np.repeat(starts, lengths)
    kept = rank < keep
    return rows[kept], values[kept]


def _np_sketch_chunks(texts: Sequence[str], n: int, size: int, min_len: int) -> Chunks:
    """:func:`_sketch` ``(text, n, size)`` of each text at least ``min_len`` (≥ ``n``) long.

    One (rows, values) pair of arrays per ``_CHUNK`` texts, sorted by row and,
    within a row, by value; kept apart so a large pool needs no concatenated
    copy. Every n-gram's CRC is made from per-character tables; one sort of
    ``row·2³² + CRC`` orders them and puts each text's repeats side by side. A
    text with a character beyond the BMP (``compact`` never keeps one) is
    sketched by :func:`_sketch`.
    """
    import numpy as np

    assert 1 <= n <= 3 and min_len >= n and _CHUNK <= _BMP
    tables = _crc_tables(n)
    out: Chunks = []
    for start in range(0, len(texts), _CHUNK):
        chunk = [t if len(t) >= min_len else "" for t in texts[start : start + _CHUNK]]
        lens = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
        cps = np.frombuffer("".join(chunk).encode("utf-32-le"), dtype="<u4").astype(np.intp)
        grams = len(cps) - n + 1
        if grams <= 0:
            continue
        row = np.repeat(np.arange(len(chunk), dtype=np.uint64), lens)[:grams]
        valid = _gram_starts(lens, n, grams)
        wide = cps >= _BMP
        odd: list[int] = []
        if wide.any():
            bad = _distinct(np.repeat(np.arange(len(chunk)), lens)[wide])
            odd = bad.tolist()
            valid &= ~np.isin(row, bad.astype(np.uint64))
            cps[wide] = 0  # in no table; their texts' grams are not valid here
        crc = tables[0][cps[:grams]]
        for j in range(1, n):
            crc ^= tables[j][cps[j : j + grams]]
        combined = np.sort(row[valid] << np.uint64(32) | crc[valid].astype(np.uint64))
        combined = combined[np.concatenate(([True], combined[1:] != combined[:-1]))]
        rows = (combined >> np.uint64(32)).astype(np.int32) + np.int32(start)
        values = (combined & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        rows, values = _first_per_row(rows, values, size)
        if odd:
            sketches = [_sketch(texts[start + i], n, size) for i in odd]
            extra = np.array(
                [start + i for i, sk in zip(odd, sketches, strict=True) for _ in sk], np.int32
            )
            rows = np.concatenate([rows, extra])
            values = np.concatenate(
                [values, np.array([h for sk in sketches for h in sk], np.uint32)]
            )
            order = np.argsort(rows, kind="stable")
            rows, values = rows[order], values[order]
        out.append((rows, values))
    return out


def _gram_starts(lens: NDArray[np.int64], n: int, size: int) -> NDArray[np.bool_]:
    """Of the first ``size`` positions of texts of ``lens`` laid end to end, those where
    an n-gram of one text starts: all but each text's last ``n − 1`` positions."""
    import numpy as np

    starts = np.ones(size, dtype=bool)
    ends = np.cumsum(lens)
    for k in range(1, n):
        at = ends[lens >= k] - k
        starts[at[at < size]] = False
    return starts


def _np_sketches(
    texts: Sequence[str], n: int, size: int, min_len: int
) -> tuple[NDArray[np.int32], NDArray[np.uint32]]:
    """:func:`_np_sketch_chunks` as two flat arrays."""
    import numpy as np

    chunks = _np_sketch_chunks(texts, n, size, min_len)
    if not chunks:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint32)
    return np.concatenate([r for r, _ in chunks]), np.concatenate([v for _, v in chunks])


def _np_rare(chunks: Chunks, keep: int, cap: int) -> tuple[NDArray[np.int32], NDArray[Any]]:
    """:func:`_rare_sketches` on sketch chunks (same saturating count table), flattened."""
    import numpy as np

    mask = np.uint32(_COUNT_SLOTS - 1)
    if not chunks:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint32)
    # The slots are counted a group of chunks at a time, up to _COUNT_SLOTS values (the
    # table is 32 MB: a table per chunk added to a zeroed one, then saturated whole,
    # was chunks + 2 passes over it, ≈40 ms a call at 10k entries; one group for all
    # chunks, ≈10 ms there, but 240 MB more at 100k). Saturated only where read.
    counts: NDArray[np.int64] | None = None
    group: list[NDArray[Any]] = []
    size = 0
    for n, (_, values) in enumerate(chunks, 1):
        group.append(values & mask)
        size += len(values)
        if size >= _COUNT_SLOTS or n == len(chunks):
            found = np.bincount(np.concatenate(group), minlength=_COUNT_SLOTS)
            if counts is None:
                counts = found
            else:
                counts += found
            group, size = [], 0
    assert counts is not None
    kept = []
    for rows, values in chunks:
        rare = np.minimum(counts[(values & mask).astype(np.intp)], 255) <= cap
        kept.append(_first_per_row(rows[rare], values[rare], keep))
    return np.concatenate([r for r, _ in kept]), np.concatenate([v for _, v in kept])


def _np_candidates(
    rows: NDArray[Any], values: NDArray[Any], n_rows: int, cap: int, min_shared: int
) -> Ints:
    """:func:`_candidates` on flat (row, value) arrays, as sorted keys ``a · n_rows + b``."""
    import numpy as np

    order = np.argsort(values, kind="stable")  # each posting list in row order, as in _candidates
    v, r = values[order], rows[order]
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]]) if len(v) else np.zeros(0, np.intp)
    sizes = np.diff(np.r_[starts, len(v)])
    size_of = np.repeat(sizes, sizes)
    indexed = (size_of >= 2) & (size_of <= cap)
    v, r = v[indexed], r[indexed]
    found: list[Ints] = [np.zeros(0, dtype=np.int64)]
    for d in range(1, cap):
        same = v[d:] == v[:-d]
        if not same.any():
            break  # posting lists are contiguous: none has a pair this far apart
        a, b = r[:-d][same], r[d:][same]
        distinct = a != b
        a, b = a[distinct].astype(np.int64), b[distinct].astype(np.int64)
        found.append(np.minimum(a, b) * n_rows + np.maximum(a, b))
    keys = np.sort(np.concatenate(found))
    if min_shared > 1 and len(keys):
        # a key whose (min_shared − 1)-th successor is itself occurs min_shared times or more
        far = min_shared - 1
        keys = keys[:-far][keys[:-far] == keys[far:]]
    return _distinct(keys)


def _np_containments(texts: Sequence[str], a: Ints, b: Ints) -> NDArray[np.float64]:
    """:func:`bigram_containment` ``(texts[a[k]], texts[b[k]])`` for every k (``a`` sorted).

    Each text's distinct bigrams become dense integer ids; for each row ``a`` its
    ids are marked in a boolean array and the ids of all its partners looked
    up at once.
    """
    import numpy as np

    if not len(a):
        return np.zeros(0, dtype=np.float64)
    needed = _distinct(np.concatenate([a, b]))
    local_a, local_b = np.searchsorted(needed, a), np.searchsorted(needed, b)
    chosen = [texts[i] for i in needed]
    lens = np.fromiter(map(len, chosen), dtype=np.int64, count=len(chosen))
    cps = np.frombuffer("".join(chosen).encode("utf-32-le"), dtype="<u4")
    # characters as dense ids, so that a bigram fits 32 bits
    present = np.zeros(int(cps.max()) + 1, dtype=bool)
    present[cps] = True
    alphabet = np.cumsum(present, dtype=np.uint64) - np.uint64(1)
    if int(alphabet[-1]) >= _BMP:  # pragma: no cover - compact() keeps fewer characters
        return np.array([bigram_containment(texts[x], texts[y]) for x, y in zip(a, b, strict=True)])
    chars = alphabet[cps]
    row = np.repeat(np.arange(len(chosen), dtype=np.uint64), lens)[:-1]
    valid = _gram_starts(lens, 2, len(cps) - 1)
    # row · 2³² + bigram, distinct per row
    key = _distinct((row << np.uint64(32) | chars[:-1] << np.uint64(16) | chars[1:])[valid])
    # dense bigram ids: sort bigram · 2³² + position, number the distinct bigrams
    ordered = np.sort(
        (key & np.uint64(0xFFFFFFFF)) << np.uint64(32) | np.arange(len(key), dtype=np.uint64)
    )
    bigram = ordered >> np.uint64(32)
    ids = np.empty(len(key), dtype=np.intp)
    ids[(ordered & np.uint64(0xFFFFFFFF)).astype(np.intp)] = np.cumsum(
        np.concatenate(([False], bigram[1:] != bigram[:-1]))
    )
    ptr = np.searchsorted(key >> np.uint64(32), np.arange(len(chosen) + 1, dtype=np.uint64))
    size = np.diff(ptr)
    out = np.zeros(len(a), dtype=np.float64)
    # a text without bigrams contains nothing; the rest are computed
    live = np.flatnonzero((size[local_a] > 0) & (size[local_b] > 0))
    if not len(live):
        return out
    la, lb = local_a[live], local_b[live]
    seg = size[lb]  # each partner's bigrams, gathered one after another
    offs = np.concatenate(([0], np.cumsum(seg)))
    groups = np.flatnonzero(np.concatenate(([True], la[1:] != la[:-1]))).tolist() + [len(la)]
    offs_l, ptr_l, la_l = offs.tolist(), ptr.tolist(), la.tolist()
    marker = np.zeros(int(ids.max()) + 1, dtype=bool)
    shared = np.zeros(len(la), dtype=np.int64)
    g0 = 0
    while g0 < len(groups) - 1:
        g1 = g0 + 1  # a batch of whole groups, about _GATHER gathered ids
        while g1 < len(groups) - 1 and offs_l[groups[g1 + 1]] - offs_l[groups[g0]] <= _GATHER:
            g1 += 1
        p0, p1 = groups[g0], groups[g1]
        e0 = offs_l[p0]
        base = ptr[lb[p0:p1]] - (offs[p0:p1] - e0)
        gathered = ids[np.repeat(base, seg[p0:p1]) + np.arange(offs_l[p1] - e0)]
        hits = np.empty(len(gathered), dtype=bool)
        for s, e in zip(groups[g0:g1], groups[g0 + 1 : g1 + 1], strict=True):
            i = la_l[s]
            mine = ids[ptr_l[i] : ptr_l[i + 1]]
            marker[mine] = True
            lo, hi = offs_l[s] - e0, offs_l[e] - e0
            marker.take(gathered[lo:hi], out=hits[lo:hi])
            marker[mine] = False
        shared[p0:p1] = np.add.reduceat(hits, offs[p0:p1] - e0, dtype=np.int64)
        g0 = g1
    out[live] = shared / np.minimum(size[la], seg)
    return out


#: Bump when the compact forms kept in the cache change encoding.
COMPACT_FORMAT = 1
#: Records from which their compact forms are kept in the cache directory (fewer are
#: made sooner than their document's entry is looked up).
COMPACT_CACHE_FROM = VECTOR_MIN


def _compact_store() -> TextsStore | None:
    from gtcbrief import __version__
    from gtcbrief.cache import TextsStore, add_sources, blake2b, enabled_by_default
    from gtcbrief.text import cache_dir

    if not enabled_by_default():
        return None
    h = blake2b(f"gtcbrief-compact-{COMPACT_FORMAT}-{__version__}".encode(), digest_size=16)
    add_sources(h, ("dedupe.py", "text.py", "data/t2s.txt"))
    return TextsStore(cache_dir() / f"compact-{COMPACT_FORMAT}", h.digest())


def _compact_all(texts: Sequence[str]) -> list[str]:
    return [compact(t) if t else "" for t in texts]


def compact_forms(records: Sequence[Record]) -> tuple[list[str], list[str]]:
    """:func:`compact` of each record's title and of its description ("" without one).

    Normalising them was a fifth of ``dedupe`` over cached documents, and a fifth
    of ``validate``'s copied-description, so from ``COMPACT_CACHE_FROM`` records on
    each document's (a run of records with one path) are kept in the cache
    directory under a hash of its titles and descriptions, and an unchanged file's
    are read back."""
    store = _compact_store() if len(records) >= COMPACT_CACHE_FROM else None
    if store is None:
        forms = _compact_all([t for r in records for t in (r.title, r.description or "")])
        return forms[0::2], forms[1::2]
    titles: list[str] = []
    descs: list[str] = []
    for _, run in groupby(records, key=attrgetter("path")):
        texts = [t for r in run for t in (r.title, r.description or "")]
        key = store.key(texts)
        kept = store.get_texts(key, len(texts))
        if kept is None:
            kept = _compact_all(texts)
            store.put_texts(key, kept)
        titles += kept[0::2]
        descs += kept[1::2]
    store.prune()
    return titles, descs


class _Prepared:
    """Normalised forms of the records, computed once."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.titles, self.descs = compact_forms(records)
        self.sentences: dict[int, str] = {}
        self.units: dict[int, frozenset[str]] = {}
        self.records = records

    def content(self, i: int) -> frozenset[str]:
        units = self.units.get(i)
        if units is None:
            units = self.units[i] = content_units(self.records[i].description or "")
        return units

    def about_one_thing(self, a: int, b: int) -> bool:
        """Whether two descriptions are not unrelated by their words, when both are
        mostly Latin script: the character scorers rate two unrelated English texts
        about 0.5 alike (two unrelated Chinese ones under 0.2), so for them alone
        the scorers' verdict stands."""
        if not (_mostly_latin(self.descs[a]) and _mostly_latin(self.descs[b])):
            return True
        return shared_content(self.content(a), self.content(b)) >= UNRELATED

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


def description_similarity(
    a: str,
    b: str,
    sa: str = "",
    sb: str = "",
    containment: float | None = None,
    floor: float = 0.0,
) -> float:
    """0–1: the best of four scorers on compact texts ``a``/``b``.

    rapidfuzz ``ratio`` (edits), ``partial_ratio`` (a truncated copy inside its
    source), ``token_sort_ratio`` over sentences ``sa``/``sb`` (reordered
    sentences), and character-bigram containment (reordering *and* typos *and*
    truncation together; pass ``containment`` if it is already known). The
    last three only apply when the shorter text has at least ``MIN_PARTIAL``
    characters, so short boilerplate never matches. Only the best score
    matters, so each rapidfuzz scorer is given the best so far as its
    ``score_cutoff`` and can stop early.

    A best score below ``floor`` need not be exact (the caller decides the same
    for any score below it): the result is then some score below ``floor``, and
    the scorers can stop early at ``floor`` too.
    """
    from rapidfuzz import fuzz
    from rapidfuzz.distance import LCSseq

    if len(a) < MIN_DESCRIPTION or len(b) < MIN_DESCRIPTION:
        return 1.0 if a == b and a else 0.0
    best = fuzz.ratio(a, b) / 100
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if best < 1.0 and len(short) >= MIN_PARTIAL and len(short) >= 0.2 * len(long_):
        # max() is order-free: containment first, so it can cut the costly partial_ratio short
        best = max(best, bigram_containment(a, b) if containment is None else containment)
        # partial_ratio is the best ratio 2·m / (len(short) + len(window)) of ``short`` with a
        # window of ``long_``; a window has no longer common subsequence m than the whole
        # text, so with ``common`` that of the whole texts (m ≤ common, m ≤ len(window)) it is
        # at most 2·common / (len(short) + common). Below the score to beat it cannot count.
        common = LCSseq.similarity(short, long_)
        # a score only counts above the best so far (and floor); the margin absorbs float rounding
        if 2 * common / (len(short) + common) > max(best, floor) - 1e-9:
            cutoff = max(best, floor) * 100 - 1e-6
            best = max(best, fuzz.partial_ratio(short, long_, score_cutoff=cutoff) / 100)
        if sa and sb and best < 1.0:
            cutoff = max(best, floor) * 100 - 1e-6
            best = max(best, fuzz.token_sort_ratio(sa, sb, score_cutoff=cutoff) / 100)
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


def _session_level(ta: str, tb: str, ts: float) -> float | None:
    """Description similarity from which two titles (compact; ``ts`` their
    :func:`title_similarity`) name the same session, when both descriptions exist;
    ``None``: at none.

    Identical titles do, unless the descriptions are unrelated. A title with its
    subtitle (or head) dropped does when the descriptions are related. A
    near-identical title (a typo) needs mostly shared descriptions: "Fundamentals
    of Deep Learning" and "Fundamentals of Accelerated Data Science" are
    different sessions.
    """
    if len(ta) < 4 or len(tb) < 4:
        return None
    if ta == tb:
        # Two write-ups of one talk share its vocabulary; unrelated texts under one
        # title are a copied title or a generic one ("Keynote"), not one session.
        return UNRELATED
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if len(short) >= 12 and (long_.startswith(short) or long_.endswith(short)):
        return RELATED
    return CLOSELY_RELATED if ts >= TITLE_THRESHOLD else None


def _same_session(ta: str, tb: str, ts: float, ds: float | None) -> bool:
    """Do two titles (compact) name the same session, given their descriptions' similarity?

    See :func:`_session_level`; without a description (``ds`` is ``None``) only
    identical titles do.
    """
    if ds is None:
        return len(ta) >= 4 and ta == tb
    level = _session_level(ta, tb, ts)
    return level is not None and ds >= level


def _kept_from(ta: str, tb: str, ts: float, threshold: float) -> float:
    """The least description similarity at which :func:`find_pairs` keeps a pair titled
    ``ta``/``tb`` (title similarity ``ts``): a copy from ``threshold`` on, one session
    from its level on when its score ``max(ts, ds)`` reaches ``threshold``. Keeping is
    monotone in the similarity, so one below this needs no exact value."""
    level = _session_level(ta, tb, ts)
    if level is None:
        return threshold
    return min(threshold, level if ts >= threshold else max(level, threshold))


def _deep_pool(base: int, rows: int) -> int:
    """Pool of the second, deeper sketch of a large corpus (0: none).

    Beyond ``POOL_ROWS`` rows more of a text's ``base`` smallest hashes are
    shared by over ``CAP`` rows and fewer values are left to index; a second
    sketch drawn from a pool that grows with the corpus restores them. Its
    candidates are added to, never replace, those of the first.
    """
    return 0 if rows <= POOL_ROWS else -(-base * rows // POOL_ROWS)


def _sketch_candidates(
    texts: Sequence[str], n: int, pool: int, keep: int, min_len: int
) -> set[tuple[int, int]]:
    """Pairs sharing three values of the rare sketches (and, in a large corpus, the deep ones)."""
    deep = _deep_pool(pool, len(texts))
    full = [_sketch(t, n, max(pool, deep)) if len(t) >= min_len else [] for t in texts]
    found = _candidates(_rare_sketches([array("I", s[:pool]) for s in full], keep, CAP), CAP)
    if deep:
        found |= _candidates(_rare_sketches([array("I", s) for s in full], keep, CAP), CAP)
    return found


def _blocked(prep: _Prepared) -> list[tuple[int, int]]:
    """Candidate pairs (sorted): shared rare description or title sketch values, same title."""
    candidates = (
        _sketch_candidates(prep.descs, 3, SKETCH_POOL, SKETCH, MIN_DESCRIPTION)
        | _sketch_candidates(prep.titles, 2, 3 * TITLE_SKETCH, TITLE_SKETCH, 4)
        | _candidates(_exact_titles(prep.titles), TITLE_CAP, min_shared=1)
        | set(_same_descriptions(prep.descs))
    )
    return sorted(candidates)


def _same_descriptions(descs: Sequence[str]) -> Iterator[tuple[int, int]]:
    """Each description's first holder with every later one of the same text.

    A description pasted into more than ``CAP`` entries shares every sketch value with
    too many rows to be evidence (boilerplate), so the sketches never propose it: the
    worst copy-paste of all. Identical texts need no evidence; a star, not all pairs,
    is enough to make their cluster.
    """
    first: dict[str, int] = {}
    for i, text in enumerate(descs):
        if len(text) >= MIN_DESCRIPTION:
            j = first.setdefault(text, i)
            if j != i:
                yield j, i


def _exact_titles(titles: Sequence[str]) -> list[list[int]]:
    return [[zlib.crc32(t.encode("utf-8"))] if len(t) >= 4 else [] for t in titles]


def _np_sketch_candidates(texts: Sequence[str], n: int, pool: int, keep: int, min_len: int) -> Ints:
    """:func:`_sketch_candidates` vectorised, as sorted keys ``a · len(texts) + b``."""
    import numpy as np

    rows = len(texts)
    deep = _deep_pool(pool, rows)
    chunks = _np_sketch_chunks(texts, n, max(pool, deep), min_len)
    first = [_first_per_row(r, v, pool) for r, v in chunks] if deep else chunks
    found = _np_candidates(*_np_rare(first, keep, CAP), rows, CAP, 3)
    if deep:
        more = _np_candidates(*_np_rare(chunks, keep, CAP), rows, CAP, 3)
        found = _distinct(np.concatenate([found, more]))
    return found


def _np_blocked(prep: _Prepared, lowest: float) -> tuple[list[int], list[int], list[float | None]]:
    """:func:`_blocked` vectorised, with each pair's bigram containment (None: a text
    missing), leaving out the pairs of two texts that share less than ``lowest``."""
    import numpy as np

    n = len(prep.descs)
    desc = _np_sketch_candidates(prep.descs, 3, SKETCH_POOL, SKETCH, MIN_DESCRIPTION)
    title = _np_sketch_candidates(prep.titles, 2, 3 * TITLE_SKETCH, TITLE_SKETCH, 4)
    exact = _exact_titles(prep.titles)
    rows = np.fromiter((i for i, e in enumerate(exact) for _ in e), dtype=np.int64)
    values = np.fromiter((h for e in exact for h in e), dtype=np.int64)
    same = _np_candidates(rows, values, n, TITLE_CAP, 1)
    copies = np.fromiter((a * n + b for a, b in _same_descriptions(prep.descs)), dtype=np.int64)
    keys = _distinct(np.concatenate([desc, title, same, copies]))
    a, b = keys // max(n, 1), keys % max(n, 1)
    both = np.fromiter((bool(d) for d in prep.descs), dtype=bool, count=n)
    with_text = both[a] & both[b]
    contained = _np_containments(prep.descs, a[with_text], b[with_text])
    kept = ~with_text
    kept[with_text] = contained >= lowest
    shares = iter(contained[kept[with_text]].tolist())
    containment = [next(shares) if t else None for t in with_text[kept].tolist()]
    return a[kept].tolist(), b[kept].tolist(), containment


def find_pairs(records: Sequence[Record], threshold: float = DEFAULT_THRESHOLD) -> list[Pair]:
    """Verified near-duplicate pairs among ``records``."""
    prep = _Prepared(records)
    # No pair whose texts share less than this is kept: _session_level is never lower.
    lowest = min(threshold, UNRELATED, RELATED, CLOSELY_RELATED)
    containment: list[float | None]
    if len(records) >= VECTOR_MIN and _numpy_ready():
        left, right, containment = _np_blocked(prep, lowest)
    else:
        candidates = _blocked(prep)
        left, right = [a for a, _ in candidates], [b for _, b in candidates]
        containment = [
            bigram_containment(prep.descs[a], prep.descs[b])
            if prep.descs[a] and prep.descs[b]
            else None
            for a, b in candidates
        ]
    pairs: list[Pair] = []
    for a, b, ds in zip(left, right, containment, strict=True):
        if ds is not None and ds < lowest:
            continue
        ta, tb = prep.titles[a], prep.titles[b]
        ts: float | None = None
        # Cheap, order-free containment first; the rapidfuzz scorers only for plausible pairs.
        if ds is not None and ds >= PREFILTER:
            ts = title_similarity(ta, tb)
            ds = description_similarity(
                prep.descs[a],
                prep.descs[b],
                prep.sentence_form(a),
                prep.sentence_form(b),
                containment=ds,
                floor=_kept_from(ta, tb, ts, threshold),
            )
        # The title score decides only near-identical titles over mostly shared texts;
        # otherwise it is needed just for a pair that is kept.
        if ts is None and ds is not None and ds >= CLOSELY_RELATED:
            ts = title_similarity(ta, tb)
        if _same_session(ta, tb, 0.0 if ts is None else ts, ds) and (
            ds is None or prep.about_one_thing(a, b)
        ):
            if ts is None:
                ts = title_similarity(ta, tb)
            kind, score = "same-session", max(ts, ds or 0.0)
            if score < threshold:
                continue
        elif ds is not None and ds >= threshold:
            kind, score = "copied-description", ds
            if ts is None:
                ts = title_similarity(ta, tb)
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
        config,
        "dedupe_threshold",
        threshold,
        DEFAULT_THRESHOLD,
        low=0.0,
        high=1.0,
        option="--threshold",
    )


def copied_descriptions(
    entries: Sequence[Entry], config: Config | None = None
) -> Iterator[tuple[Entry, Entry, float]]:
    """(entry, the entry it copied from, similarity) for each later copy of a description.

    Of two entries whose descriptions are at least the threshold alike, the later
    (in ``entries``' order: the files as given, then by line, as GB110 has it) is
    the copy. Its source is the most alike of its earlier partners (the earliest
    of equals): a description it was compared with, not merely the first member
    of its cluster, which may be joined to it only by a session written up twice.
    """
    records = [record_of(e) for e in entries]
    threshold = resolve_threshold(config, None)

    source: dict[int, tuple[float, int]] = {}
    for pair in find_pairs(records, threshold):
        score = pair.description_score
        if score is None or score < threshold:
            continue
        early, late = sorted((pair.a, pair.b))
        best = source.get(late)
        if best is None or score > best[0] or (score == best[0] and early < best[1]):
            source[late] = (score, early)
    for i in sorted(source):
        score, early = source[i]
        yield entries[i], entries[early], score
