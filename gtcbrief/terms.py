"""The words ``stats`` counts per track, segmented once per text and on both cores.

Segmenting descriptions is most of ``gtcbrief stats``: about 0.25 ms a
description (jieba's words, the Latin words, the stop words out), 23 s of a
29 s run over 100k entries. So a document's words
(:func:`gtcbrief.stats.description_terms` of each described entry) are kept in
the cache directory under a hash of its descriptions and of what decides the
words (this package's version, the modules and dictionaries that segment, the
segmenter), and an unchanged file is not segmented again. What the cache does
not have is segmented where it is cheapest: by the loader's worker processes
as they load a document, else by a forked process beside this one, which
takes a document whenever it has fewer than :data:`IN_HAND` in hand while this
one segments the others. Counts do not depend on the order documents come in.
"""

from __future__ import annotations

import marshal
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType

    from gtcbrief.cache import BlobStore
    from gtcbrief.model import Document
    from gtcbrief.workers import Workers

#: Bump when the encoding of a document's words changes.
FORMAT = 1
#: Documents the forked process may have in hand before this one segments the next.
IN_HAND = 4
#: A document's words: for each of its described entries, in order, its words joined
#: by line feeds (no word has one). Ten times faster to read back from the
#: cache than a list per entry, and about as fast to count (splitting is in C).
Words = list[str]


@lru_cache(maxsize=1)
def _salt() -> bytes:
    """What a document's words depend on besides its descriptions."""
    from pathlib import Path

    from gtcbrief import __version__
    from gtcbrief.cache import blake2b
    from gtcbrief.text import segmenter

    h = blake2b(f"gtcbrief-terms-{FORMAT}-{__version__}-{segmenter()}".encode(), digest_size=16)
    here = Path(__file__).parent
    for name in ("stats.py", "text.py", "data/userdict.txt", "data/t2s.txt"):
        try:
            h.update((here / name).read_bytes())
        except OSError:
            h.update(name.encode())
    h.update(_segmenter_build().encode())
    return h.digest()


def _segmenter_build() -> str:
    """The installed segmenter, as the loader's key names mistletoe: its module's path,
    size and time (an upgrade rewrites it, and may cut words differently).
    ``importlib.metadata`` would name the version, but takes 39 ms to import."""
    import os
    from importlib.util import find_spec

    from gtcbrief.text import segmenter

    spec = find_spec(segmenter())
    origin = spec.origin if spec is not None else None
    try:
        st = os.stat(origin) if origin else None
    except OSError:
        st = None
    return f"{segmenter()} {origin} {st.st_size} {st.st_mtime_ns}" if st else segmenter()


def _store() -> BlobStore | None:
    from gtcbrief.cache import BlobStore, enabled_by_default
    from gtcbrief.text import cache_dir

    return BlobStore(cache_dir() / f"terms-{FORMAT}") if enabled_by_default() else None


def _key(texts: list[str]) -> str:
    from gtcbrief.cache import blake2b

    h = blake2b(_salt(), digest_size=20)
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))  # so no two lists of texts run together
        h.update(data)
    return h.hexdigest()


def segment(texts: list[str]) -> Words:
    """:func:`gtcbrief.stats.description_terms` of each text, as :data:`Words`."""
    from gtcbrief.stats import description_terms

    return ["\n".join(description_terms(text)) for text in texts]


def _decode(blob: bytes | None, count: int) -> Words | None:
    """A document's words from the cache or a process; ``None`` if they are not
    ``count`` strings (a truncated or foreign entry is a miss)."""
    if blob is None:
        return None
    try:
        words = marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(words, list) or len(words) != count:
        return None
    return words if all(isinstance(item, str) for item in words) else None


class TermCounts:
    """How many described entries of each track use each word, over the documents
    given to :meth:`add` (see the module doc). A context manager: on leaving, the
    forked process is stopped and the loader no longer segments."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[str]] = {}
        self._store = _store()
        self._pool: Workers | None = None
        self._pool_tried = False
        self._segmenting = False  # whether this process has segmented (loaded the segmenter)
        #: tracks and texts of the documents the pool has, by ticket
        self._given: dict[int, tuple[list[str], list[str]]] = {}
        self._in_loader()

    def __enter__(self) -> TermCounts:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        from gtcbrief.loader import also_in_workers

        also_in_workers(None)
        if self._pool is not None:
            self._pool.close(kill=True)
            self._pool = None

    # ------------------------------------------------------------- documents

    def add(self, doc: Document) -> None:
        """Count the words of ``doc``'s described entries (now, or once a process has
        segmented them)."""
        from gtcbrief.loader import worker_result
        from gtcbrief.stats import described, keys_of

        entries = described(doc)
        if not entries:
            return
        tracks = [keys_of(e, "track")[0] for e in entries]
        texts = [e.description or "" for e in entries]
        made = worker_result(doc)  # bytes from a loader's worker, the list if loaded here
        words = made if isinstance(made, list) else _decode(made, len(texts))
        if words is None and self._store is not None:
            words = _decode(self._store.get(_key(texts)), len(texts))
        if words is not None:
            self._count(tracks, words)
        elif not self._give(tracks, texts):
            self._count(tracks, self._segmented(texts))
        self._take(wait=False)

    def counts(self) -> dict[str, Counter[str]]:
        """The counts of every document added (waiting for the forked process)."""
        self._take(wait=True)
        if self._store is not None:
            self._store.prune()
        return self._counts

    def _count(self, tracks: list[str], words: Words) -> None:
        counts = self._counts
        for track, these in zip(tracks, words, strict=True):
            if not these:
                continue
            found = counts.get(track)
            if found is None:
                found = counts[track] = Counter()
            found.update(these.split("\n"))

    def _segmented(self, texts: list[str]) -> Words:
        """Segment here, and keep the words in the cache."""
        words = segment(texts)
        self._segmenting = True
        if self._store is not None:
            self._store.put(_key(texts), marshal.dumps(words))
        return words

    # ------------------------------------------------------------- processes

    def _in_loader(self) -> None:
        """Have the loader's worker processes segment each document they load."""
        from gtcbrief.loader import also_in_workers
        from gtcbrief.stats import described

        store = self._store

        def here(doc: Document) -> Words | None:
            entries = described(doc)
            if not entries:
                return None
            texts = [e.description or "" for e in entries]
            words = segment(texts)
            if store is not None:
                store.put(_key(texts), marshal.dumps(words))
            return words

        def work(doc: Document) -> bytes | None:  # in a worker: sent encoded
            words = here(doc)
            return None if words is None else marshal.dumps(words)

        also_in_workers(work, here)

    def _give(self, tracks: list[str], texts: list[str]) -> bool:
        """Hand a document's texts to the forked process if it has room (starting it
        after the first document segmented here, which loads the segmenter it shares)."""
        from gtcbrief.workers import WorkerDied

        pool = self._pool
        if pool is None:
            if self._pool_tried or not self._segmenting:
                return False
            pool = self._start()
            if pool is None:
                return False
        if pool.in_hand >= IN_HAND:
            return False
        try:
            self._given[pool.submit(marshal.dumps(texts))] = (tracks, texts)
        except WorkerDied:
            self._lose_pool()
            return False
        return True

    def _start(self) -> Workers | None:
        from gtcbrief.forked import can_fork
        from gtcbrief.loader import fork_workers
        from gtcbrief.workers import Workers

        self._pool_tried = True
        if fork_workers() < 2 or not can_fork():
            return None
        store = self._store

        def work(job: bytes) -> bytes:
            texts = marshal.loads(job)
            blob = marshal.dumps(segment(texts))
            if store is not None:
                store.put(_key(texts), blob)
            return blob

        try:
            self._pool = Workers(1, work)
        except OSError:  # no process to spare: everything is segmented here
            return None
        if store is not None:
            store.wrote_elsewhere()
        return self._pool

    def _take(self, *, wait: bool) -> None:
        """Count what the forked process has segmented (all of it, with ``wait``)."""
        from gtcbrief.workers import WorkerDied

        pool = self._pool
        if pool is None:
            return
        for ticket in list(self._given):
            try:
                if not wait and not pool.done(ticket):
                    continue
                answer = pool.result(ticket)
            except WorkerDied:
                self._lose_pool()
                return
            tracks, texts = self._given.pop(ticket)
            words = _decode(answer, len(texts)) if isinstance(answer, bytes) else None
            self._count(tracks, self._segmented(texts) if words is None else words)

    def _lose_pool(self) -> None:
        """Segment here what the forked process had in hand; it is gone."""
        given, self._given = self._given, {}
        if self._pool is not None:
            self._pool.close(kill=True)
            self._pool = None
        for tracks, texts in given.values():
            self._count(tracks, self._segmented(texts))
