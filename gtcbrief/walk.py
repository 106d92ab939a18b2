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
from pathlib import Path
from typing import NamedTuple

from gtcbrief.errors import GtcbriefError

MD_SUFFIXES = (".md", ".markdown")


class File(NamedTuple):
    display: str
    key: str
    size: int
    mtime_ns: int


def stat_files(paths: Sequence[str], on_error: Callable[[GtcbriefError], None]) -> list[File]:
    """The files of PATHS (as :func:`gtcbrief.sources.iter_paths` finds them), with their stat.

    Directories are walked here rather than with ``iter_paths``: the same
    files in the same order, but one ``stat`` per file instead of two, and
    absolute paths joined instead of normalised one by one.
    """
    out: list[File] = []
    seen: set[str] = set()
    for raw in paths:
        if raw == "-":
            continue
        root = Path(raw)
        if root.is_dir():
            found: list[File] = []
            _walk_md(os.fspath(root), os.path.abspath(root), found)
            found.sort(key=lambda f: f.display)
            for f in found:
                if f.display not in seen:
                    seen.add(f.display)
                    out.append(f)
            continue
        if raw in seen:
            continue
        seen.add(raw)
        try:
            st = os.stat(raw)
        except OSError:
            what = "broken symbolic link" if os.path.islink(raw) else "no such file"
            on_error(GtcbriefError(what, path=raw))
            continue
        if not stat.S_ISREG(st.st_mode):
            on_error(GtcbriefError("not a regular file", path=raw))
            continue
        # abspath, not realpath: one string operation instead of a stat per path component
        out.append(File(raw, os.path.abspath(raw), st.st_size, st.st_mtime_ns))
    return out


def _walk_md(top: str, absolute: str, out: list[File]) -> None:
    """``os.walk(top)`` as ``iter_paths`` uses it: Markdown regular files, no directory links.

    Like ``os.walk`` without ``onerror``, a directory that cannot be listed is skipped.
    """
    prefix = absolute if absolute.endswith(os.sep) else absolute + os.sep  # os.path.join's
    files: list[File] = []
    subdirs: list[tuple[str, str]] = []
    try:
        listing = os.scandir(top)
    except OSError:
        return
    with listing:
        while True:
            try:
                entry = next(listing)
            except StopIteration:
                break
            except OSError:
                return
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
                    files.append(File(entry.path, prefix + entry.name, st.st_size, st.st_mtime_ns))
    out.extend(files)
    for path, absolute_path in subdirs:
        _walk_md(path, absolute_path, out)


def snapshot(files: Sequence[File]) -> str:
    """A digest of the files, their display paths, sizes and times, in PATHS order."""
    listing = "\n".join(f"{f.display}\0{f.key}\0{f.size}\0{f.mtime_ns}" for f in files)
    try:
        from _blake2 import blake2b  # hashlib would load OpenSSL first (milliseconds)
    except ImportError:  # pragma: no cover - an interpreter without the module
        from hashlib import blake2b
    return blake2b(listing.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


class Walk:
    """The files of PATHS (:func:`stat_files`), found while the caller goes on.

    A forked child walks and sends the list back through a pipe (``marshal``:
    plain tuples); where there is no ``fork``, or the process already has
    other threads, a thread does it. If the child fails, :meth:`join` walks
    itself. Problems (a missing path) are reported once, by the first
    :meth:`join`.
    """

    def __init__(self, paths: Sequence[str]) -> None:
        import threading

        self._paths = [p for p in paths if p != "-"]
        self._files: list[File] | None = None
        self._errors: list[GtcbriefError] = []
        self._digest: str | None = None
        self._reported = False
        self._pid = 0
        self._pipe = -1
        self._thread: threading.Thread | None = None
        if hasattr(os, "fork") and threading.active_count() == 1:
            self._fork()
        else:
            self._thread = threading.Thread(target=self._walk, name="gtcbrief-walk", daemon=True)
            self._thread.start()

    def _walk(self) -> None:
        self._files = stat_files(self._paths, self._errors.append)

    def _fork(self) -> None:
        import marshal

        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: walk, send, leave without running anything of the parent's
            code = 1
            try:
                os.close(read)
                errors: list[GtcbriefError] = []
                files = stat_files(self._paths, errors.append)
                payload = marshal.dumps(
                    (
                        [tuple(f) for f in files],
                        [(e.message, e.path, e.line) for e in errors],
                        snapshot(files),
                    )
                )
                view = memoryview(payload)
                while view:
                    view = view[os.write(write, view) :]
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._pid, self._pipe = pid, read

    def _collect(self) -> None:
        """Read the child's answer (or walk here if it has none)."""
        import marshal

        chunks: list[bytes] = []
        try:
            while chunk := os.read(self._pipe, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self._pipe)
            os.waitpid(self._pid, 0)
            self._pid = 0
        try:
            files, errors, digest = marshal.loads(b"".join(chunks))
            self._files = [File(*f) for f in files]
            self._errors = [GtcbriefError(m, path=p, line=n) for m, p, n in errors]
            self._digest = digest
        except (EOFError, ValueError, TypeError):  # the child died: do it here
            self._walk()

    @property
    def joined(self) -> bool:
        return self._reported

    def join(self, report: Callable[[GtcbriefError], None]) -> list[File]:
        if self._pid:
            self._collect()
        elif self._thread is not None:
            self._thread.join()
        assert self._files is not None
        if not self._reported:
            self._reported = True
            for error in self._errors:
                report(error)
        return self._files

    def snapshot(self, report: Callable[[GtcbriefError], None]) -> str:
        """:func:`snapshot` of the files (joins first)."""
        files = self.join(report)
        if self._digest is None:
            self._digest = snapshot(files)
        return self._digest

    def cancel(self) -> None:
        """Stop a walk nobody will join (the run failed first)."""
        if self._pid:
            import signal

            os.kill(self._pid, signal.SIGKILL)
            os.close(self._pipe)
            os.waitpid(self._pid, 0)
            self._pid = 0
