"""Compile patterns with large character classes without ``re``'s loop per character.

Python's regex compiler (``re._compiler._optimize_charset``) maps a class's
characters one at a time in Python: the class of CJK ideographs (28,000 of them)
takes 2.3 ms to compile, and twice that in a pattern that starts with it (the
prefix scan maps it again). Validating one brief compiled six such patterns, 20 ms
of its 190; every ``grep`` compiles one (2 ms). :func:`compile` compiles with
:func:`_optimize_charset`, a copy of the standard library's function with two
changes: it fills a range of the map with a slice, as CPython proposes to
(python/cpython#149427), and turns the map into words with one integer
(:func:`_mk_bitmap`) instead of one per word. Everything else, and so the
compiled pattern, is the same.

Exact or nothing: the copy is of Python 3.11's function, and is used only where
the standard library's is that one, by a digest of its bytecode; elsewhere
:func:`compile` is :func:`re.compile`. It stands in only while :func:`compile`
runs, so nothing else in the process compiles with it.
"""

from __future__ import annotations

import re
import sys
from _thread import allocate_lock
from re import _compiler  # type: ignore[attr-defined]  # (not in typeshed)

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from typing import Any

#: :func:`_digest` of the standard library's ``_optimize_charset`` in the Python 3.11
#: the copy below comes from.
KNOWN_DIGEST = 1693250641483693238
_PRIME = (1 << 61) - 1

_swap = allocate_lock()
_usable: bool | None = None


def _digest(function: Any) -> int:
    """A function's bytecode, constants and names as one number, modulo a prime (no
    import: ``zlib`` would cost ``grep`` a third of a millisecond)."""
    code = function.__code__
    raw = code.co_code + repr(code.co_consts).encode() + repr(code.co_names).encode()
    return int.from_bytes(raw, "little") % _PRIME


def usable() -> bool:
    """Whether the standard library's ``_optimize_charset`` is the one copied here."""
    global _usable
    if _usable is None:
        original = getattr(_compiler, "_optimize_charset", None)
        _usable = callable(original) and _digest(original) == KNOWN_DIGEST
    return _usable


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """:func:`re.compile` (and its cache), in a fraction of the time for a pattern
    with large character classes."""
    if not usable():
        return re.compile(pattern, flags)
    with _swap:
        original = _compiler._optimize_charset
        _compiler._optimize_charset = _optimize_charset
        try:
            return re.compile(pattern, flags)
        finally:
            _compiler._optimize_charset = original


def _mk_bitmap(bits: bytes | bytearray) -> list[int]:
    """The standard library's ``_mk_bitmap``: a map of 0 and 1 bytes as 32-bit words,
    the map's first byte the first word's lowest bit; parsed as one binary number."""
    if sys.byteorder != "little" or len(bits) % 32:
        return list(_compiler._mk_bitmap(bits))
    number = int(bits.translate(_compiler._BITS_TRANS)[::-1] or b"0", 2)
    return memoryview(number.to_bytes(len(bits) // 8, "little")).cast("I").tolist()


# The copy: ``re/_compiler.py`` of Python 3.11 (PSF licence), reformatted; the
# two changes are marked.
_LITERAL = _compiler.LITERAL
_RANGE = _compiler.RANGE
_NEGATE = _compiler.NEGATE
_RANGE_UNI_IGNORE = _compiler.RANGE_UNI_IGNORE
_CHARSET = _compiler.CHARSET
_BIGCHARSET = _compiler.BIGCHARSET


def _optimize_charset(
    charset: Any, iscased: Any = None, fixup: Any = None, fixes: Any = None
) -> tuple[Any, bool]:
    # internal: optimize character set
    out: list[Any] = []
    tail: list[Any] = []
    charmap = bytearray(256)
    hascased = False
    for op, av in charset:
        while True:
            try:
                if op is _LITERAL:
                    if fixup:
                        lo = fixup(av)
                        charmap[lo] = 1
                        if fixes and lo in fixes:
                            for k in fixes[lo]:
                                charmap[k] = 1
                        if not hascased and iscased(av):
                            hascased = True
                    else:
                        charmap[av] = 1
                elif op is _RANGE:
                    r = range(av[0], av[1] + 1)
                    if fixup:
                        if fixes:
                            for i in map(fixup, r):
                                charmap[i] = 1
                                if i in fixes:
                                    for k in fixes[i]:
                                        charmap[k] = 1
                        else:
                            for i in map(fixup, r):
                                charmap[i] = 1
                        if not hascased:
                            hascased = any(map(iscased, r))
                    else:
                        # The change: one slice instead of a loop, with the loop's
                        # IndexError where the range runs past the map.
                        end = min(av[1] + 1, len(charmap))
                        if av[0] < end:
                            charmap[av[0] : end] = b"\1" * (end - av[0])
                        if av[1] >= len(charmap):
                            raise IndexError
                elif op is _NEGATE:
                    out.append((op, av))
                else:
                    tail.append((op, av))
            except IndexError:
                if len(charmap) == 256:
                    # character set contains non-UCS1 character codes
                    charmap += b"\0" * 0xFF00
                    continue
                # Character set contains non-BMP character codes.
                # For range, all BMP characters in the range are already
                # proceeded.
                if fixup:
                    hascased = True
                    # (see the standard library's comment)
                    if op is _RANGE:
                        op = _RANGE_UNI_IGNORE
                tail.append((op, av))
            break

    # compress character map
    runs: list[tuple[int, int]] | None = []
    q = 0
    while True:
        p = charmap.find(1, q)
        if p < 0:
            break
        assert runs is not None
        if len(runs) >= 2:
            runs = None
            break
        q = charmap.find(0, p)
        if q < 0:
            runs.append((p, len(charmap)))
            break
        runs.append((p, q))
    if runs is not None:
        # use literal/range
        for p, q in runs:
            if q - p == 1:
                out.append((_LITERAL, p))
            else:
                out.append((_RANGE, (p, q - 1)))
        out += tail
        # if the case was changed or new representation is more compact
        if hascased or len(out) < len(charset):
            return out, hascased
        # else original character set is good enough
        return charset, hascased

    # use bitmap
    if len(charmap) == 256:
        data = _mk_bitmap(charmap)  # the second change, and below
        out.append((_CHARSET, data))
        out += tail
        return out, hascased

    # A big charset: a bitmap of every character, cut into chunks of 256, each
    # distinct chunk kept once and numbered (see the standard library's comment).
    whole = bytes(charmap)  # should be hashable
    comps: dict[bytes, int] = {}
    mapping = bytearray(256)
    block = 0
    chunks = bytearray()
    for i in range(0, 65536, 256):
        chunk = whole[i : i + 256]
        if chunk in comps:
            mapping[i // 256] = comps[chunk]
        else:
            mapping[i // 256] = comps[chunk] = block
            block += 1
            chunks += chunk
    data = _mk_bitmap(chunks)
    data[0:0] = [block] + _compiler._bytes_to_codes(mapping)
    out.append((_BIGCHARSET, data))
    out += tail
    return out, hascased
