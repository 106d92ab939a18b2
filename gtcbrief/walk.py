"""Finding the files of PATHS with their ``stat``, for the index, in parallel with the caller.

Looking at 5,000 files costs 25-50 ms of ``stat`` calls. A warm ``grep`` does
it in a forked process (:class:`Walk`) while it imports, opens the index and
searches on the presumption that nothing changed (see :mod:`gtcbrief.index`).
A thread would not do: the calls release the GIL, but getting it back waits
for the busy main thread's switch interval, and the walk took 70-90 ms instead
of 36. This module imports nothing heavy, so the fork is small and early.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from operator import itemgetter

from gtcbrief.errors import GtcbriefError

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    import threading
    from typing import NamedTuple
else:
    from gtcbrief.tuples import NamedTuple

MD_SUFFIXES = (".md", ".markdown")


def passed_over(name: str) -> bool:
    """Whether a directory walk leaves out this file or directory: hidden ones
    (``.git``, ``.obsidian`` and its ``.trash`` of deleted notes, ``.hidden.md``) and
    ``node_modules``: ripgrep passes over hidden ones too. Named in PATHS, they are read."""
    return name.startswith(".") or name == "node_modules"


class File(NamedTuple):
    display: str
    key: str
    size: int
    #: When the file last changed: its ctime, which every write, rename, ``touch -r``
    #: or swap of two files changes and no user can set back (an mtime can be: two
    #: files written in one clock tick and swapped kept theirs, and grep was stale).
    stamp: int


def spelled(raw: str) -> str:
    """``str(pathlib.Path(raw))``: how a path names itself, without importing ``pathlib``
    (≈5 ms of a warm ``grep``). On POSIX: no empty or ``.`` parts, no trailing slash,
    ``.`` for nothing, and a leading ``//`` kept (POSIX leaves its meaning open)."""
    if os.sep != "/":  # pragma: no cover - Windows: drives, both slashes
        from pathlib import Path

        return str(Path(raw))
    if raw.startswith("/"):
        root = "//" if raw.startswith("//") and not raw.startswith("///") else "/"
    else:
        root = ""
    return root + "/".join(p for p in raw.split("/") if p and p != ".") or "."


def is_stream(path: str) -> bool:
    """Whether a path given is read once, as it comes, rather than indexed as a file:
    ``-`` (standard input), a pipe (``<(…)``, a FIFO) or a character device
    (``/dev/null``, ``/dev/stdin``)."""
    if path == "-":
        return True
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def stat_files(paths: Sequence[str], on_error: Callable[[GtcbriefError], None]) -> list[File]:
    """The files of PATHS (as :func:`gtcbrief.sources.iter_paths` finds them), with their stat.

    Directories are walked here rather than with ``iter_paths``: the same
    files in the same order, but one ``stat`` per file instead of two, and
    absolute paths joined instead of normalised one by one. A file met again
    under another name (``./a.md`` after ``a.md``, a link to it, a folder holding
    it) is taken once, where it first came. Streams (:func:`is_stream`) are left to
    the caller, which reads them.
    """
    out: list[File] = []
    seen: set[object] = set()  # display paths, and each file's (device, inode)
    for raw in paths:
        if raw == "-":
            continue
        root = spelled(raw)
        if os.path.isdir(root):
            found: list[File] = []
            unlisted: list[tuple[str, OSError]] = []
            ids: dict[str, tuple[int, int]] = {}
            _walk_md(root, os.path.abspath(root), found, unlisted, ids)
            for where, exc in unlisted:  # as read_source reports what iter_paths passes on
                on_error(GtcbriefError(f"cannot list directory: {exc.strerror or exc}", path=where))
            found.sort(key=itemgetter(0))  # by display path
            for f in found:
                file_id = ids[f.key]
                if f.display not in seen and file_id not in seen:
                    seen.add(f.display)
                    seen.add(file_id)
                    out.append(f)
            continue
        if raw in seen:
            continue
        seen.add(raw)
        try:
            st = os.stat(raw)
        except FileNotFoundError:
            what = "broken symbolic link" if os.path.islink(raw) else "no such file"
            on_error(GtcbriefError(what, path=raw))
            continue
        except OSError as exc:  # EACCES under a directory that may not be searched
            on_error(GtcbriefError(f"cannot read: {exc.strerror or exc}", path=raw))
            continue
        if not stat.S_ISREG(st.st_mode):
            if not (stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode)):  # (streams)
                on_error(GtcbriefError("not a regular file", path=raw))
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        # abspath, not realpath: one string operation instead of a stat per path component
        out.append(File(raw, os.path.abspath(raw), st.st_size, st.st_ctime_ns))
    return out


def _walk_md(
    top: str,
    absolute: str,
    out: list[File],
    unlisted: list[tuple[str, OSError]],
    ids: dict[str, tuple[int, int]],
) -> None:
    """``os.walk(top)`` as ``iter_paths`` uses it: Markdown regular files, no directory links.

    A directory that cannot be listed goes to ``unlisted``, as ``os.walk`` gives it
    to ``iter_paths``' ``onerror``; each file's (device, inode) to ``ids``.
    """
    prefix = absolute if absolute.endswith(os.sep) else absolute + os.sep  # os.path.join's
    files: list[File] = []
    subdirs: list[tuple[str, str]] = []
    try:
        listing = os.scandir(top)
    except OSError as exc:
        unlisted.append((top, exc))
        return
    with listing:
        while True:
            try:
                entry = next(listing)
            except StopIteration:
                break
            except OSError as exc:
                unlisted.append((top, exc))
                return
            if passed_over(entry.name):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                try:
                    link = entry.is_symlink()
                except OSError:
                    link = False
                if not link:
                    subdirs.append((entry.path, prefix + entry.name))
            elif entry.name.lower().endswith(MD_SUFFIXES):
                try:
                    st = entry.stat()  # follows a link, as os.path.isfile does
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    key = prefix + entry.name
                    files.append(File(entry.path, key, st.st_size, st.st_ctime_ns))
                    ids[key] = (st.st_dev, st.st_ino)
    out.extend(files)
    for path, absolute_path in subdirs:
        _walk_md(path, absolute_path, out, unlisted, ids)


def snapshot(files: Sequence[File]) -> str:
    """A digest of the files, their display paths, sizes and times, in PATHS order."""
    import marshal

    # marshal's version 2 has no back-references, so equal lists give equal bytes
    # (written per file with an f-string, this was a quarter of the walk)
    listing = marshal.dumps(
        (
            [f.display for f in files],
            [f.key for f in files],
            [f.size for f in files],
            [f.stamp for f in files],
        ),
        2,
    )
    try:
        from _blake2 import blake2b  # hashlib would load OpenSSL first (milliseconds)
    except ImportError:  # pragma: no cover - an interpreter without the module
        from hashlib import blake2b
    return blake2b(listing, digest_size=16).hexdigest()


def search_targets(paths: Sequence[str] | None) -> list[str]:
    """What a search covers: the paths given, else the current directory (the walk
    started before the search is imported and the search itself must agree)."""
    return list(paths or ["."])


def index_in_memory(no_cache: bool, cache_dir: str | None) -> bool:
    """Whether grep's index is a throw-away one in memory: ``--no-cache``, or
    ``GTCBRIEF_NO_CACHE`` (as for every cache) unless ``--cache-dir`` names a place."""
    return no_cache or (
        cache_dir is None and os.environ.get("GTCBRIEF_NO_CACHE", "") not in ("", "0")
    )


def walk_for_index(paths: Sequence[str], *, in_memory: bool, verbose: bool) -> Walk | None:
    """A :class:`Walk` of PATHS for an index on disk to be presumed fresh against, started
    now; ``None`` when there is nothing to presume on: the index lives in memory
    (``--no-cache``, input from ``-`` or a pipe) or its refresh is to be reported
    (``--verbose``)."""
    if in_memory or verbose or any(map(is_stream, paths)):
        return None
    return Walk(paths)


class Walk:
    """The files of PATHS (:func:`stat_files`), found while the caller goes on.

    A forked child (:class:`gtcbrief.forked.Child`) walks and answers in
    ``marshal`` tuples: first a small head (the :func:`snapshot` digest, the
    number of files, the problems), then the list itself, which is read only
    if someone needs it (when the index is fresh, nobody does). Where there is
    no ``fork``, or the process already runs other threads, a thread walks
    instead. If the child fails, the walk is done here. Problems (a missing
    path) are reported once, by the first :meth:`summary` or :meth:`join`.
    """

    def __init__(self, paths: Sequence[str]) -> None:
        from gtcbrief.forked import Child, can_fork

        self._paths = [p for p in paths if p != "-"]
        self._files: list[File] | None = None
        self._head: tuple[str, int, list[GtcbriefError]] | None = None
        self._reported = False
        self._child: Child | None = None
        self._thread: threading.Thread | None = None
        if can_fork():
            try:
                self._child = Child(self._answer)
            except OSError:  # no process to spare: the walk is done here when asked for
                pass
        else:
            import threading  # here: it costs the usual, forked, case about a millisecond

            self._thread = threading.Thread(target=self._walk, name="gtcbrief-walk", daemon=True)
            self._thread.start()

    def _walk(self) -> None:
        errors: list[GtcbriefError] = []
        files = stat_files(self._paths, errors.append)
        self._files, self._head = files, (snapshot(files), len(files), errors)

    def _answer(self, send: Callable[[bytes], None]) -> None:
        """In the child: the head's length and the head, sent first (it is all a fresh
        index needs), then the list."""
        import marshal

        errors: list[GtcbriefError] = []
        files = stat_files(self._paths, errors.append)
        head = marshal.dumps(
            (snapshot(files), len(files), [(e.message, e.path, e.line) for e in errors])
        )
        send(len(head).to_bytes(8, "little") + head)
        send(marshal.dumps([tuple(f) for f in files]))

    def _settle_head(self) -> tuple[str, int, list[GtcbriefError]]:
        """The digest, count and problems: from the child, the thread, or a walk here."""
        import marshal

        child = self._child
        if self._head is None and child is not None and child.running:
            try:
                size = int.from_bytes(child.read(8), "little")
                digest, count, errors = marshal.loads(child.read(size))
                self._head = (
                    digest,
                    count,
                    [GtcbriefError(m, path=p, line=n) for m, p, n in errors],
                )
            except (EOFError, ValueError, TypeError):  # the child died: walk here
                child.end(kill=True)
        if self._head is None and self._thread is not None:
            self._thread.join()
        if self._head is None:
            self._walk()
        assert self._head is not None
        return self._head

    def _report(self, report: Callable[[GtcbriefError], None]) -> tuple[str, int]:
        digest, count, errors = self._settle_head()
        if not self._reported:
            self._reported = True
            for error in errors:
                report(error)
        return digest, count

    @property
    def joined(self) -> bool:
        return self._reported

    def summary(self, report: Callable[[GtcbriefError], None]) -> tuple[str, int]:
        """The :func:`snapshot` digest of the files, and how many there are."""
        return self._report(report)

    def join(self, report: Callable[[GtcbriefError], None]) -> list[File]:
        """The files themselves."""
        self._report(report)
        child = self._child
        if self._files is None and child is not None and child.running:
            import marshal

            try:
                self._files = [File(*f) for f in marshal.loads(child.read())]
            except (EOFError, ValueError, TypeError):
                self._files = None
            child.end()
        if self._files is None:  # the child died after its head: walk here
            self._files = stat_files(self._paths, lambda error: None)
        return self._files

    def cancel(self) -> None:
        """Stop the child if nobody is going to read from it any more."""
        if self._child is not None:
            self._child.end(kill=True)
