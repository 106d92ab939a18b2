"""Loaded documents, cached by content hash.

Loading is most of the cost of every command on a large corpus (mistletoe's
block parser is pure Python: ≈0.5 ms an entry). Years of briefs change a few
files a day, so a loaded :class:`~gtcbrief.model.Document` is kept in the
user's cache directory under a hash of

- the decoded text of the file,
- what shapes its reading: the template and ``doc_format`` of the config,
- the loader itself: this package's version, the source of the modules that
  build documents, and the installed mistletoe.

A changed file, config, gtcbrief or mistletoe simply misses. Entries are
``marshal`` files of plain tuples (no pickle: nothing in the cache can run
code), one file per key, written atomically; an unreadable, truncated or
foreign entry is a miss, never an error. A cache directory that cannot be
written leaves loading correct, just uncached. Entries not used for
:data:`MAX_AGE_DAYS` are removed when new ones are written.

The same tuple encoding carries documents back from the loader's worker
processes, which is far cheaper than pickling the dataclasses.

:class:`BlobStore` is the store itself, also used for what commands make of a
document (description-mismatch's features); :class:`TextsStore` keeps strings
made one per text of a document (``stats``' words, ``dedupe``'s compact forms).
"""

from __future__ import annotations

import marshal
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gtcbrief.model import (
    Anchor,
    Author,
    Comment,
    Document,
    Entry,
    Heading,
    Link,
    Problem,
    Section,
    Speaker,
)

if TYPE_CHECKING:
    import hashlib
    from collections.abc import Iterable

    from gtcbrief.config import Config

#: Bump when the encoding below changes.
FORMAT = 2
#: Modules whose code decides what a loaded document contains.
_LOADER_MODULES = ("loader.py", "model.py", "config.py", "cache.py", "_mistletoe_speedup.py")
MAX_AGE_DAYS = 30
_DAY = 86400.0

# ------------------------------------------------------------------ encoding


def _section(s: Section) -> tuple[Any, ...]:
    return (s.heading, s.level, s.line, s.end_line, s.text, s.text_line, s.field)


def _entry(e: Entry) -> tuple[Any, ...]:
    return (
        e.line,
        e.end_line,
        e.kind,
        e.title,
        e.heading,
        e.topic,
        e.track,
        e.subtopic,
        tuple((s.name, s.role, s.organisation, s.raw) for s in e.speakers),
        e.description,
        e.implications,
        tuple((a.name, a.id, a.raw) for a in e.authors),
        e.authors_line,
        tuple(_section(s) for s in e.sections),
        e.parent,
        e.separator_line,
    )


def encode(doc: Document) -> tuple[Any, ...]:
    """``doc`` as nested tuples of str/int/bool/None (``marshal``-able), without its path
    and source text (the caller has both)."""
    return (
        doc.format,
        doc.title,
        doc.title_line,
        tuple(_entry(e) for e in doc.entries),
        tuple(_section(s) for s in doc.sections),
        tuple((h.level, h.line, h.text, h.setext) for h in doc.headings),
        tuple((k.line, k.column, k.text, k.target, k.image) for k in doc.links),
        tuple((a.line, a.column, a.name) for a in doc.anchors),
        tuple((c.line, c.column, c.text) for c in doc.comments),
        doc.thematic_breaks,
        doc.toc,
        tuple((p.line, p.column, p.message) for p in doc.problems),
        doc.line_count,
        doc.front_matter,
    )


def _entry_from(path: str, e: tuple[Any, ...]) -> Entry:
    """The :class:`Entry` of a tuple made by :func:`_entry` (same positions)."""
    fields: list[Any] = [
        path,
        *e[:8],  # line … subtopic
        tuple(Speaker(*s) for s in e[8]),
        *e[9:11],  # description, implications
        tuple(Author(*a) for a in e[11]),
        e[12],  # authors_line
        tuple(Section(*s) for s in e[13]),
        *e[14:],  # parent, separator_line
    ]
    return Entry(*fields)


def decode(data: tuple[Any, ...], path: str, source: str) -> Document:
    """The :class:`Document` that :func:`encode` was given, at ``path``."""
    (
        fmt,
        title,
        title_line,
        entries,
        sections,
        headings,
        links,
        anchors,
        comments,
        breaks,
        toc,
        problems,
        line_count,
        front_matter,
    ) = data
    return Document(
        path=path,
        format=fmt,
        title=title,
        title_line=title_line,
        entries=tuple(_entry_from(path, e) for e in entries),
        sections=tuple(Section(*s) for s in sections),
        headings=tuple(Heading(*h) for h in headings),
        links=tuple(Link(*k) for k in links),
        anchors=tuple(Anchor(*a) for a in anchors),
        comments=tuple(Comment(*c) for c in comments),
        thematic_breaks=breaks,
        toc=toc,
        problems=tuple(Problem(*p) for p in problems),
        line_count=line_count,
        front_matter=front_matter,
        source=source,
    )


def dumps(doc: Document) -> bytes:
    return marshal.dumps(encode(doc))


def loads(blob: bytes, path: str, source: str) -> Document:
    return decode(marshal.loads(blob), path, source)


# ------------------------------------------------------------------ the store


def blake2b(data: bytes = b"", *, digest_size: int) -> hashlib.blake2b:
    """hashlib's BLAKE2b without importing hashlib, which first loads OpenSSL (≈3 ms)."""
    try:
        from _blake2 import blake2b as impl
    except ImportError:  # not CPython
        from hashlib import blake2b as impl
    return impl(data, digest_size=digest_size)


@lru_cache(maxsize=1)
def _loader_salt() -> bytes:
    """What must change the key besides the text and config: the loader's code."""
    from importlib.util import find_spec

    from gtcbrief import __version__

    h = blake2b(f"gtcbrief-documents-{FORMAT}-{__version__}".encode(), digest_size=16)
    add_sources(h, _LOADER_MODULES)
    spec = find_spec("mistletoe")
    origin = spec.origin if spec is not None else None
    if origin:
        try:
            st = os.stat(origin)
            h.update(f"mistletoe {origin} {st.st_size} {st.st_mtime_ns}".encode())
        except OSError:
            pass
    return h.digest()


def default_location() -> Path:
    from gtcbrief.text import cache_dir

    return cache_dir() / f"documents-{FORMAT}"


def enabled_by_default() -> bool:
    """``GTCBRIEF_NO_CACHE`` (any non-empty value but ``0``) turns the cache off."""
    return os.environ.get("GTCBRIEF_NO_CACHE", "") in ("", "0")


class BlobStore:
    """Bytes by hex key, one file each directly in ``folder``; never raises on I/O.

    No subfolders by key prefix: with nothing cached, each of those 256 folders was
    one more thing to create, and on some file systems creating one costs about as
    much as writing a whole entry (≈1 ms of CPU time)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self.writable = True
        self._wrote = False
        self._folder_made = False

    def _file(self, key: str) -> Path:
        return self.folder / key

    def get(self, key: str) -> bytes | None:
        file = self._file(key)
        try:
            with open(file, "rb") as fh:
                blob = fh.read()
        except OSError:
            return None
        try:  # mark it used (at most once a day), so pruning keeps it
            if time.time() - os.stat(file).st_mtime > _DAY:
                os.utime(file)
        except OSError:
            pass
        return blob

    def put(self, key: str, blob: bytes) -> None:
        """Store ``blob`` atomically; a failure only turns the store off for this run."""
        if not self.writable:
            return
        file = self._file(key)
        tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        try:
            if not self._folder_made:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._folder_made = True
            with open(tmp, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, file)
            self._wrote = True
        except OSError:
            self.writable = False
            try:
                tmp.unlink()
            except OSError:
                pass

    def wrote_elsewhere(self) -> None:
        """Another process wrote entries to this folder for this run: prune as if here."""
        self._wrote = True

    def prune(self, max_age_days: float = MAX_AGE_DAYS) -> int:
        """Remove entries unused for ``max_age_days`` (only after a run that wrote some)."""
        if not self._wrote:
            return 0
        cutoff = time.time() - max_age_days * _DAY
        removed = 0
        try:
            items = list(os.scandir(self.folder))
        except OSError:
            return 0
        for item in items:
            try:
                if item.is_dir(follow_symlinks=False):
                    # a subfolder by key prefix, as entries were once kept: its old entries
                    # go, and then the subfolder once empty
                    removed += self._prune_folder(item.path, cutoff)
                elif item.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(item.path)
                    removed += 1
            except OSError:
                continue
        return removed

    @staticmethod
    def _prune_folder(path: str, cutoff: float) -> int:
        removed = 0
        for item in os.scandir(path):
            if item.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(item.path)
                removed += 1
        try:
            os.rmdir(path)  # only once empty
        except OSError:
            pass
        return removed


def document_salt(config: Config) -> bytes:
    """What a loaded document depends on besides its text: the loader and the template."""
    h = blake2b(_loader_salt(), digest_size=16)
    h.update(repr((config.template, config.doc_format)).encode("utf-8"))
    return h.digest()


def add_sources(h: hashlib.blake2b, names: Iterable[str]) -> None:
    """Add to ``h`` the bytes of each of this package's files ``names`` (relative to the
    package; a file that cannot be read adds its name): what a cached value made by
    those modules and data depends on."""
    here = Path(__file__).parent
    for name in names:
        try:
            h.update((here / name).read_bytes())
        except OSError:
            h.update(name.encode())


def text_key(salt: bytes, text: str) -> str:
    h = blake2b(salt, digest_size=20)
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class DocumentCache(BlobStore):
    """Get and put loaded documents by the hash of their text (see the module doc)."""

    def __init__(self, config: Config, folder: Path | None = None) -> None:
        super().__init__(folder if folder is not None else default_location())
        self._salt = document_salt(config)

    def key(self, text: str) -> str:
        return text_key(self._salt, text)

    def get_document(self, key: str, path: str, source: str) -> Document | None:
        """The cached document for ``key`` (at ``path``), or ``None``."""
        blob = self.get(key)
        doc = None
        if blob is not None:
            try:
                doc = loads(blob, path, source)
            except (EOFError, ValueError, TypeError):
                doc = None
        if doc is None:
            self.misses += 1
        else:
            self.hits += 1
        return doc

    def put_document(self, key: str, doc: Document) -> None:
        self.put(key, dumps(doc))


class TextsStore(BlobStore):
    """Strings made one per text from one document's texts (the words of its
    descriptions for ``stats``, the compact forms of its titles and descriptions for
    ``dedupe``), kept under a hash of the texts and of ``salt``: what makes them.

    An entry holds its own key, so one copied under another name is a miss, as is a
    truncated or damaged one, or one with another count of strings."""

    def __init__(self, folder: Path, salt: bytes) -> None:
        super().__init__(folder)
        self._salt = salt

    def key(self, texts: Iterable[str]) -> str:
        h = blake2b(self._salt, digest_size=20)
        for text in texts:
            data = text.encode("utf-8", "surrogatepass")
            h.update(len(data).to_bytes(8, "little"))  # so no two lists of texts run together
            h.update(data)
        return h.hexdigest()

    def get_texts(self, key: str, count: int) -> list[str] | None:
        """The ``count`` strings kept under ``key``, or ``None``."""
        blob = self.get(key)
        if blob is None:
            return None
        try:
            stored, made = marshal.loads(blob)
        except (EOFError, ValueError, TypeError):
            return None
        if stored != key or not isinstance(made, list) or len(made) != count:
            return None
        return made if all(isinstance(item, str) for item in made) else None

    def put_texts(self, key: str, made: list[str]) -> None:
        self.put(key, marshal.dumps((key, made)))
