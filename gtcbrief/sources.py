"""Finding input files and decoding them.

PATHS may be files, directories (walked recursively for ``*.md``, in sorted
order, without following directory symlinks) or ``-`` for standard input.
Decoding is strict: UTF-8 with or without a BOM, UTF-16 with a BOM, or the
encoding named with ``--encoding``; anything else is a one-line error that
names the file and the byte offset.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from gtcbrief.errors import GtcbriefError
from gtcbrief.model import record
from gtcbrief.walk import MD_SUFFIXES, passed_over

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from typing import BinaryIO

__all__ = [
    "MD_SUFFIXES", "Source", "check_encoding", "decode", "iter_paths", "read_source",
    "stream_bytes",
]  # fmt: skip

_streams: dict[str, bytes] = {}  # standard input and pipes as read: never read twice


@record
class Source:
    """A file's display path and its decoded text."""

    path: str
    text: str


def iter_paths(paths: Sequence[str]) -> Iterator[str]:
    """Expand PATHS into files; ``-`` and paths that are not directories pass through.
    Directories are walked for Markdown (``*.md``, ``*.markdown``, any case), leaving
    out hidden files and directories and ``node_modules`` (:func:`passed_over`).

    A directory that cannot be listed is passed through too, in its place among the
    files, so that :func:`read_source` reports it (a directory without its
    Markdown is an error, not an empty directory). A file met again under another
    name (``./a.md`` after ``a.md``, a link to it, a folder holding it) is passed
    on once, where it first came."""
    seen: set[object] = set()  # paths, and each file's (device, inode)
    for raw in paths:
        if raw == "-":  # read once, however often named (it cannot be read twice)
            if raw not in seen:
                seen.add(raw)
                yield raw
            continue
        # os.path, not Path.is_dir: a path under a directory that may not be searched
        # fails its stat with EACCES, which Path.is_dir raises; read_source reports it
        if os.path.isdir(raw):
            found: list[tuple[str, object]] = []
            unlisted: list[OSError] = []
            for root, dirs, files in os.walk(Path(raw), onerror=unlisted.append, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not passed_over(d))
                for name in files:
                    if name.lower().endswith(MD_SUFFIXES) and not passed_over(name):
                        full = os.path.join(root, name)
                        file_id = _identity(full)
                        if file_id is not None:  # skips broken links, sockets…
                            found.append((full, file_id))
            found += [(e.filename, e.filename) for e in unlisted if isinstance(e.filename, str)]
            for full, key in sorted(found, key=lambda pair: pair[0]):
                if full not in seen and key not in seen:
                    seen.update((full, key))
                    yield full
        elif raw not in seen:  # files, and missing paths that read_source reports
            identity = _identity(raw)
            if identity is None or identity not in seen:
                seen.add(raw)
                if identity is not None:
                    seen.add(identity)
                yield raw


def _identity(path: str) -> tuple[int, int] | None:
    """A regular file's (device, inode), following links; ``None`` for anything else."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


#: Byte order marks, which name their encoding whatever ``--encoding`` says (a folder
#: of Notepad's UTF-8-with-BOM files and GBK ones is read in one run).
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


#: Codecs whose zero bytes are not NULs and which read their own BOMs.
WIDE_CODECS = ("utf-16", "utf-32")


def codec_name(encoding: str) -> str | None:
    """Python's name for ``encoding`` (``utf-16-le`` for ``UTF16LE``); ``None``: no such codec."""
    import codecs

    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def bom_decides(data: bytes, encoding: str) -> bool:
    """Whether ``data``'s BOM overrules ``--encoding`` (not UTF-16 or UTF-32, whose own
    BOMs those codecs read)."""
    if not data.startswith(_BOMS):
        return False
    name = codec_name(encoding)
    return name is not None and not name.startswith(WIDE_CODECS)


def decode(data: bytes, path: str, encoding: str | None = None) -> str:
    """Bytes to text, strictly. A BOM names the encoding and is removed; line ends are
    left alone; a NUL byte anywhere is a binary file."""
    if encoding and bom_decides(data, encoding):
        encoding = None
    if encoding:
        try:
            text = data.decode(encoding).removeprefix("\ufeff")
            if "\x00" in text:  # (whatever encoding wrote it; UTF-16's own zeros are not)
                raise GtcbriefError("binary file (contains NUL bytes), not Markdown", path=path)
            return text
        except LookupError:
            raise GtcbriefError(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise GtcbriefError(
                f"not valid {encoding} (byte offset {exc.start})", path=path
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise GtcbriefError(f"invalid UTF-16 (byte offset {exc.start})", path=path) from None
    if b"\x00" in data:  # (one C scan: a NUL past the first 8 KB was kept as text)
        # UTF-16 without a BOM: the NULs of its ASCII (Markdown's #, spaces, line feeds)
        # all on odd bytes (little-endian) or all on even ones (big-endian)
        head = data[:4096]
        odd, even = head[1::2].count(0), head[::2].count(0)
        many = max(8, len(head) // 16)  # (not a stray NUL or two)
        order = ""
        if max(odd, even) >= many:
            order = "le" if odd > 8 * even else "be" if even > 8 * odd else ""
        hint = f": UTF-16 without a BOM? rerun with --encoding utf-16-{order}" if order else ""
        raise GtcbriefError(f"binary file (contains NUL bytes), not Markdown{hint}", path=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        legacy = _legacy_encoding(data)
        hint = ""
        if legacy is not None:
            hint = f"; it looks {legacy}: rerun with --encoding {legacy.split('/')[0].lower()}"
        raise GtcbriefError(f"not valid UTF-8 (byte offset {exc.start}){hint}", path=path) from None


def _legacy_encoding(data: bytes) -> str | None:
    """The Chinese encoding ``data`` reads as: ``"GB18030/GBK"`` (Simplified, mainland
    Windows), ``"Big5"`` (Traditional), or ``None``. Big5 bytes mostly decode as GBK
    too, into rare characters; GBK's Simplified text is nearly all GB2312's."""
    try:
        as_gbk = data.decode("gb18030")
    except UnicodeDecodeError:
        as_gbk = None
    try:
        data.decode("big5")
        big5 = True
    except UnicodeDecodeError:
        big5 = False
    if as_gbk is None:
        return "Big5" if big5 else None
    if big5:
        han = [c for c in as_gbk if "\u4e00" <= c <= "\u9fff"]
        common = sum(1 for c in han if _in_gb2312(c))
        if han and common < 0.9 * len(han):
            return "Big5"
    return "GB18030/GBK"


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def check_encoding(encoding: str | None) -> None:
    """``--encoding`` refused before anything is read or written, if Python has no such
    codec (else each file failed alone, after output had begun)."""
    if encoding:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise GtcbriefError(f"unknown encoding {encoding!r}") from None


def stream_bytes(path: str) -> bytes | None:
    """The bytes of standard input (``-``) or a pipe or device (``<(…)``, ``/dev/null``),
    as :func:`read_source` read them in this process (``None``: not read)."""
    return _streams.get(path)


def read_source(path: str, *, encoding: str | None = None, stdin_name: str = "-") -> Source:
    """Read and decode one path (``-`` is standard input)."""
    if path == "-":
        data = _read_stream(sys.stdin.buffer, stdin_name, encoding)
        _streams["-"] = data
        return Source(stdin_name, decode(data, stdin_name, encoding))
    try:
        with open(path, "rb") as fh:
            if stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                data = fh.read()
            else:
                data = _streams[path] = _read_stream(fh, path, encoding)
    except FileNotFoundError:
        what = "broken symbolic link" if os.path.islink(path) else "no such file"
        raise GtcbriefError(what, path=path) from None
    except OSError as exc:
        if os.path.isdir(path):  # one iter_paths could not list (EACCES or EISDIR here)
            raise GtcbriefError(_directory_problem(path), path=path) from None
        raise GtcbriefError(f"cannot read: {exc.strerror or exc}", path=path) from None
    return Source(path, decode(data, path, encoding))


#: The most a pipe or device is read (a brief is kilobytes; /dev/zero never ends).
STREAM_LIMIT = 1 << 30


def _read_stream(fh: BinaryIO, path: str, encoding: str | None) -> bytes:
    """A pipe's or device's bytes, a megabyte at a time: one that starts with a NUL
    (``/dev/zero``, ``/dev/urandom``) is refused at its first read, as a file of them
    is, and none is read past :data:`STREAM_LIMIT`."""
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = fh.read(1 << 20)
        if not chunk:
            return b"".join(parts)
        if not parts and b"\x00" in chunk and not _utf16_or_32(chunk, encoding):
            decode(chunk, path, encoding)  # (the binary file's message, with its hints)
        parts.append(chunk)
        size += len(chunk)
        if size > STREAM_LIMIT:
            raise GtcbriefError(
                f"more than {STREAM_LIMIT >> 20} MB from a pipe or device: not a brief",
                path=path,
            )


def _utf16_or_32(data: bytes, encoding: str | None) -> bool:
    """Whether ``data`` is read as UTF-16 or UTF-32 (by its BOM, or ``--encoding``), whose
    zero bytes are not NULs."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if not encoding or data.startswith(b"\xef\xbb\xbf"):
        return False
    name = codec_name(encoding)
    return name is not None and name.startswith(WIDE_CODECS)


def _directory_problem(path: str) -> str:
    """What is wrong with a directory given where a file is read: that it cannot be
    listed (:func:`iter_paths` passes such a directory on), or just that it is one."""
    try:
        with os.scandir(path):
            pass
    except OSError as exc:
        return f"cannot list directory: {exc.strerror or exc}"
    return "is a directory"
