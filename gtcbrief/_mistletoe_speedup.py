"""Import mistletoe without its 0.25–0.35 s scan of every Unicode code point.

``mistletoe.core_tokens`` builds its set of punctuation at import time by
calling :func:`unicodedata.category` on all 1.1 million code points. That one
line is most of ``validate``'s start-up on a single brief (a pre-commit hook
pays it on every commit). :func:`install` adds an import hook that compiles
``core_tokens`` from its own source with that expression replaced by
:func:`punctuation_chars`: the same set, computed once per Unicode version and
kept as a small text file in the cache directory.

The rewrite is exact or nothing: if the expression is not found verbatim (a
different mistletoe), the module is imported unchanged.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import tempfile
import unicodedata
from collections.abc import Sequence
from types import CodeType, ModuleType

TARGET = "mistletoe.core_tokens"
SLOW = '{c for c in unicode_chrs if category(c).startswith("P")}'
FAST = "__import__('gtcbrief._mistletoe_speedup', fromlist=['_']).punctuation_chars()"


def compute_punctuation() -> frozenset[str]:
    """What mistletoe computes: every character whose Unicode category is P*."""
    return frozenset(
        c for c in map(chr, range(sys.maxunicode + 1)) if unicodedata.category(c).startswith("P")
    )


def _cache_file() -> str:
    from gtcbrief.text import cache_dir

    name = f"unicode-punctuation-{unicodedata.unidata_version}-{sys.maxunicode}.txt"
    return os.path.join(cache_dir(), name)


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
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("P:" + "".join(sorted(chars)))
        os.replace(tmp, path)
    except OSError:
        pass  # no cache: correct, just slow next time
    return chars


class _Loader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        source = self.get_data(path).decode("utf-8")
        if SLOW in source:
            source = source.replace(SLOW, FAST, 1)
        return compile(source, path, "exec", dont_inherit=True)


class _Finder(importlib.abc.MetaPathFinder):
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
