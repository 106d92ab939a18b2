"""Import mistletoe without its 0.25–0.35 s scan of every Unicode code point.

``mistletoe.core_tokens`` builds its set of punctuation at import time by
calling :func:`unicodedata.category` on all 1.1 million code points. That one
line is most of ``validate``'s start-up on a single brief (a pre-commit hook
pays it on every commit). :func:`install` adds an import hook that compiles
``core_tokens`` from its own source with that expression replaced by
:func:`punctuation_chars`: the same set, computed once per Unicode version and
kept as a small text file in the cache directory.

Better still, the whole statement that builds the set becomes a
:class:`Punctuation`: the same set, made on first use. Only inline (span)
parsing asks for it, and the loader parses no inline markup, so a run that
parses (every worker process of a run with nothing cached) does not pay for
the scan at all.

The rewrite is exact or nothing: if the statement is not found as expected,
only the expression is replaced; if that is not found verbatim (a different
mistletoe), the module is imported unchanged.

The rewritten module's code is kept in the cache directory, named for the
bytecode format and the rewritten source's hash (a ``.pyc`` beside the source is
of the module as shipped): compiling it took 6.9 ms of every command that parses
a document.
"""

from __future__ import annotations

import importlib.machinery
import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from types import CodeType, ModuleType

TARGET = "mistletoe.core_tokens"
SLOW = '{c for c in unicode_chrs if category(c).startswith("P")}'
FAST = "__import__('gtcbrief._mistletoe_speedup', fromlist=['_']).punctuation_chars()"
#: The statement around ``SLOW``: ``punctuation = set.union({ASCII…}, SLOW,)``.
STATEMENT = "punctuation = set.union("
_STATEMENT_END = re.compile(r",\s*\)")
LAZY = "__import__('gtcbrief._mistletoe_speedup', fromlist=['_']).Punctuation"


def compute_punctuation() -> frozenset[str]:
    """What mistletoe computes: every character whose Unicode category is P*."""
    return frozenset(
        c for c in map(chr, range(sys.maxunicode + 1)) if unicodedata.category(c).startswith("P")
    )


def _cache_file() -> str:
    from gtcbrief.text import cache_root

    name = f"unicode-punctuation-{unicodedata.unidata_version}-{sys.maxunicode}.txt"
    return os.path.join(cache_root(), name)


def punctuation_chars() -> frozenset[str]:
    """:func:`compute_punctuation`, read from the cache when it is there."""
    path = _cache_file()
    try:
        with open(path, encoding="utf-8") as fh:
            cached = fh.read()
        if cached.startswith("P:"):
            return frozenset(cached[2:])
    except (OSError, UnicodeDecodeError):
        pass
    chars = compute_punctuation()
    from gtcbrief.text import keep_file

    keep_file(path, ("P:" + "".join(sorted(chars))).encode("utf-8"))
    return chars


class Punctuation(AbstractSet[str]):
    """mistletoe's punctuation: the ASCII marks given and :func:`punctuation_chars`,
    the latter looked up (or computed) only when the set is first used."""

    def __init__(self, ascii_marks: Iterable[str]) -> None:
        self._ascii = frozenset(ascii_marks)
        self._chars: frozenset[str] | None = None

    def _all(self) -> frozenset[str]:
        if self._chars is None:
            self._chars = self._ascii | punctuation_chars()
        return self._chars

    def __contains__(self, char: object) -> bool:
        return char in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def rewrite(source: str) -> str:
    """``core_tokens``'s source with the punctuation set made lazily (or at least fast)."""
    start = source.find(STATEMENT)
    at = source.find(SLOW, start) if start >= 0 else -1
    end = _STATEMENT_END.match(source, at + len(SLOW)) if at >= 0 else None
    if end is not None:
        marks = source[start + len(STATEMENT) : at].rstrip()
        if marks.endswith("},") and marks.lstrip().startswith("{"):
            old = source[start : end.end()]
            new = f"punctuation = {LAZY}({marks[:-1]})"
            new += "\n" * (old.count("\n") - new.count("\n"))  # the same line numbers after
            return source[:start] + new + source[end.end() :]
    if SLOW in source:
        return source.replace(SLOW, FAST, 1)
    return source


def _code_file(source: bytes) -> str:
    """Where the code compiled from ``source`` (rewritten) is kept: named for the
    bytecode's format and the source's hash, as a hash-based ``.pyc`` is checked."""
    from importlib.util import MAGIC_NUMBER, source_hash

    from gtcbrief.text import cache_root

    name = f"mistletoe-core_tokens-{MAGIC_NUMBER.hex()}-{source_hash(source).hex()}.marshal"
    return os.path.join(cache_root(), name)


def _cached_code(path: str) -> CodeType | None:
    import marshal

    try:
        with open(path, "rb") as fh:
            code = marshal.loads(fh.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


class _Loader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname: str) -> CodeType:
        """The rewritten module's code, compiled once per source and Python and kept in
        the cache directory: compiling ``core_tokens`` took 6.9 ms of every command that
        loads a document (a ``.pyc`` beside the source is of the unrewritten module)."""
        import _imp

        path = self.get_filename(fullname)
        source = rewrite(self.get_data(path).decode("utf-8")).encode("utf-8")
        kept = _code_file(source)
        code = _cached_code(kept)
        if code is None:
            import marshal

            from gtcbrief.text import keep_file

            code = compile(source, path, "exec", dont_inherit=True)
            keep_file(kept, marshal.dumps(code))
        else:
            _imp._fix_co_filename(code, path)  # type: ignore[attr-defined]  # as a .pyc is
        return code


class _Finder:
    """A meta path finder (``importlib.abc.MetaPathFinder`` without its import, which
    brings ``importlib.resources`` and ``tempfile``: 4 ms of every command)."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return None
        assert spec.origin is not None
        spec.loader = _Loader(fullname, spec.origin)
        return spec


def install() -> None:
    """Hook the import of ``mistletoe.core_tokens`` (no-op once it is imported)."""
    if TARGET in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())
