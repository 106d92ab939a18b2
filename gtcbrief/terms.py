"""The words ``stats`` counts per track, segmented once per text.

Segmenting descriptions was most of ``gtcbrief stats``: about 0.25 ms a
description (jieba's words, the Latin words, the stop words out), 23 s of a
29 s run over 100k entries. So a document's words
(:func:`gtcbrief.stats.description_terms` of each described entry) are kept in
the cache directory under a hash of its descriptions and of what decides the
words (this package's version, the modules and dictionaries that segment, the
segmenter), and an unchanged file is not segmented again. Counts do not depend
on the order documents come in, so two processes can each count some of them
and add up (:func:`gtcbrief.stats.summarize_files`).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gtcbrief.cache import TextsStore
    from gtcbrief.model import Document

#: Bump when the encoding of a document's words changes.
FORMAT = 1
#: A document's words: for each of its described entries, in order, its words joined
#: by line feeds (no word has one). Ten times faster to read back from the
#: cache than a list per entry, and about as fast to count (splitting is in C).
Words = list[str]


@lru_cache(maxsize=1)
def _salt() -> bytes:
    """What a document's words depend on besides its descriptions."""
    from gtcbrief import __version__
    from gtcbrief.cache import add_sources, blake2b
    from gtcbrief.text import segmenter

    h = blake2b(f"gtcbrief-terms-{FORMAT}-{__version__}-{segmenter()}".encode(), digest_size=16)
    add_sources(h, ("stats.py", "text.py", "data/userdict.txt", "data/t2s.txt"))
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


def _store() -> TextsStore | None:
    from gtcbrief.cache import TextsStore, enabled_by_default
    from gtcbrief.text import cache_dir

    return TextsStore(cache_dir() / f"terms-{FORMAT}", _salt()) if enabled_by_default() else None


def segment(texts: list[str]) -> Words:
    """:func:`gtcbrief.stats.description_terms` of each text, as :data:`Words`."""
    from gtcbrief.stats import description_terms

    return ["\n".join(description_terms(text)) for text in texts]


class TermCounts:
    """How many described entries of each track use each word, over the documents
    given to :meth:`add` (see the module doc)."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[str]] = {}
        self._store = _store()

    def add(self, doc: Document) -> None:
        """Count the words of ``doc``'s described entries."""
        from gtcbrief.stats import described, keys_of

        entries = described(doc)
        if not entries:
            return
        texts = [e.description or "" for e in entries]
        store = self._store
        key = store.key(texts) if store is not None else ""
        words = store.get_texts(key, len(texts)) if store is not None else None
        if words is None:
            words = segment(texts)
            if store is not None:
                store.put_texts(key, words)
        counts = self._counts
        for entry, these in zip(entries, words, strict=True):
            if not these:
                continue
            track = keys_of(entry, "track")[0]
            found = counts.get(track)
            if found is None:
                found = counts[track] = Counter()
            found.update(these.split("\n"))

    def state(self) -> dict[str, dict[str, int]]:
        """What :meth:`merge` adds to other counts (plain data, for ``marshal``)."""
        return {track: dict(counts) for track, counts in self._counts.items()}

    def merge(self, state: dict[str, dict[str, int]]) -> None:
        """Add other counts' :meth:`state`."""
        for track, counts in state.items():
            found = self._counts.get(track)
            if found is None:
                found = self._counts[track] = Counter()
            found.update(counts)

    def counts(self) -> dict[str, Counter[str]]:
        """The counts of every document added (and merged)."""
        if self._store is not None:
            self._store.prune()
        return self._counts
