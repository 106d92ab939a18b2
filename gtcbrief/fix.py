"""``validate --fix`` and ``--diff``: apply the safe, mechanical fixes.

Fixes are the :class:`~gtcbrief.diagnostics.Edit` records that fixable rules
attach to their findings (trailing whitespace, trailing blank lines, the
final line break, a blank line above a ``---`` separator, punctuation of the
author line). Only findings that are reported (selected, not suppressed) are
fixed. Edits that touch the same line are applied one per pass; passes repeat
until nothing fixable is left, so fixing twice changes nothing.

Safety:

* a file the loader reported problems for is never touched;
* the result is loaded again and its entries compared with the original's
  (kind, title, track, speakers, description, implications, authors: text
  compared without trailing whitespace); any difference and the file is left
  alone;
* line endings (``\\n``/``\\r\\n``), a UTF-8 BOM, the encoding and the file
  mode are kept; the file is replaced atomically (a temporary file in the same
  directory, then :func:`os.replace`), and not at all if it changed on disk
  since it was read.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tempfile
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from gtcbrief.errors import GtcbriefError
from gtcbrief.model import record

if TYPE_CHECKING:
    from gtcbrief.config import Config
    from gtcbrief.diagnostics import Diagnostic, Edit
    from gtcbrief.model import Document, Entry
    from gtcbrief.rules.engine import Selection

_PIECES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
MAX_PASSES = 10


def pieces(text: str) -> list[str]:
    """Lines with their own line ends (numbering agrees with :func:`loader.split_lines`)."""
    return _PIECES.findall(text)


def _newline(text: str) -> str:
    """The file's line end: the commonest of LF, CR LF and a lone CR (old Mac OS)."""
    crlf = text.count("\r\n")
    lf, cr = text.count("\n") - crlf, text.count("\r") - crlf
    return "\r\n" if crlf and crlf >= max(lf, cr) else "\r" if cr > lf else "\n"


def apply_edits(text: str, edits: Sequence[Edit]) -> tuple[str, int]:
    """Apply edits, at most one per line; returns the new text and how many were applied."""
    lines = pieces(text)
    newline = _newline(text)
    chosen: dict[int, Edit] = {}
    for edit in edits:
        if 1 <= edit.line <= len(lines) and edit.line not in chosen:
            chosen[edit.line] = edit
    out: list[str] = []
    final_newline = False
    for number, piece in enumerate(lines, 1):
        change = chosen.get(number)
        if change is None:
            out.append(piece)
            continue
        body = piece.rstrip("\r\n")
        end = piece[len(body) :]
        for i, new in enumerate(change.lines):
            last = i == len(change.lines) - 1
            out.append(new + (end if last else (end or newline)))
        final_newline = final_newline or change.final_newline
    result = "".join(out)
    if final_newline and result and not result.endswith(("\n", "\r")):
        result += newline
    return result, len(chosen)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    return "\n".join(line.rstrip() for line in text.split("\n"))


def entry_content(entry: Entry) -> tuple[Any, ...]:
    """What a fix must never change about an entry."""
    return (
        entry.kind,
        entry.title,
        entry.track,
        entry.subtopic,
        tuple((s.name, s.role, s.organisation) for s in entry.speakers),
        _clean(entry.description),
        _clean(entry.implications),
        tuple((a.name, a.id) for a in entry.authors),
        entry.parent,
    )


def document_content(doc: Document) -> tuple[Any, ...]:
    """What a fix must never change about a document: its title's script aside (GB101
    writes 每日參會快報 as the template's 每日参会快报)."""
    from gtcbrief.text import to_simplified

    title = None if doc.title is None else to_simplified(doc.title)
    return (doc.format, title, tuple(entry_content(e) for e in doc.entries))


@record
class FixResult:
    path: str
    original: str
    text: str
    fixed: int
    refused: str | None = None  # why the file was left alone

    @property
    def changed(self) -> bool:
        return self.refused is None and self.text != self.original


Check = Callable[["Document"], "list[Diagnostic]"]


def fix_document(doc: Document, config: Config, check: Check) -> FixResult:
    """Fix ``doc`` in memory; ``check`` returns its reported (unsuppressed) findings."""
    from gtcbrief.loader import load_text

    if doc.problems:
        return FixResult(
            doc.path, doc.source, doc.source, 0, refused="the loader could not read it cleanly"
        )
    text = doc.source
    current = doc
    total = 0
    for _ in range(MAX_PASSES):
        fixable = [d for d in check(current) if d.fix]
        if not fixable:
            break
        text, _ = apply_edits(text, [e for d in fixable for e in d.fix])
        # findings, not edits (GB502 removes 16 blank lines with 16): apply_edits takes the
        # first edit of each line, so a finding is fixed in this pass when an earlier one
        # took none of its lines
        taken: set[int] = set()
        for d in fixable:
            lines = {e.line for e in d.fix}
            total += not lines & taken
            taken |= lines
        current = load_text(text, doc.path, config=config)
        if current.problems:
            return FixResult(
                doc.path, doc.source, doc.source, 0, refused="the fixed text would not load cleanly"
            )
    if document_content(current) != document_content(doc):
        return FixResult(
            doc.path, doc.source, doc.source, 0, refused="fixing would change the entries' content"
        )
    return FixResult(doc.path, doc.source, text, total)


def unified_diff(result: FixResult) -> str:
    before = pieces(result.original)
    after = pieces(result.text)
    return "".join(
        line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
        for line in difflib.unified_diff(before, after, result.path, result.path)
    )


def _encode(text: str, raw: bytes, encoding: str | None) -> bytes:
    """``text`` as the file ``raw`` was written: its encoding, its byte order, and the
    byte order mark it had (none it had not). ``encoding``: ``--encoding``."""
    import codecs

    from gtcbrief.sources import bom_decides

    name = codecs.lookup(encoding).name if encoding else None
    if encoding and bom_decides(raw, encoding):  # as sources.decode read it
        name = None
    if name in (None, "utf-16", "utf-32"):  # the byte order is the file's BOM's
        marks = [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
        if name == "utf-32":
            marks = [(codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")]
        for mark, codec in marks:
            if raw.startswith(mark):
                return mark + text.encode(codec)
        if name is not None:  # no BOM: the order the decoder took (the machine's)
            return text.encode(name)[4 if name == "utf-32" else 2 :]
        name = "utf-8"
    if name == "utf-8-sig":  # its encoder always adds a BOM; keep the file's choice
        name = "utf-8"
    data = text.encode(name)
    try:
        mark = "\ufeff".encode(name)
    except UnicodeEncodeError:  # GBK, Big5: no BOM to keep
        return data
    # a BOM that decoding read as a character and dropped (sources.decode)
    if raw.startswith(mark) and not data.startswith(mark):
        data = mark + data
    return data


def _changed_since(path: str, info: os.stat_result) -> bool:
    """Whether ``path`` is no longer the file ``info`` described (written, replaced)."""
    try:
        now = os.stat(path)
    except OSError:
        return True
    return (now.st_ino, now.st_size, now.st_mtime_ns) != (
        info.st_ino,
        info.st_size,
        info.st_mtime_ns,
    )


def write_atomic(result: FixResult, *, encoding: str | None = None) -> None:
    """Replace the file with the fixed text, keeping its mode, encoding and BOM."""
    from gtcbrief.sources import decode

    target = os.path.realpath(result.path)
    try:
        info = os.stat(target)  # (before the read: a write after it shows in the stat below)
        with open(target, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise GtcbriefError(
            f"cannot read for --fix: {exc.strerror or exc}", path=result.path
        ) from None
    if decode(raw, result.path, encoding) != result.original:
        raise GtcbriefError("changed on disk while it was checked; not fixed", path=result.path)
    # the rename needs only the folder: ask the file, and its mode (root may write a file
    # nobody may write, as sed -i would; a file marked read-only is left alone all the same)
    if not os.access(target, os.W_OK) or not info.st_mode & 0o222:
        raise GtcbriefError("cannot write: Permission denied (read-only file)", path=result.path)
    try:
        data = _encode(result.text, raw, encoding)
    except UnicodeEncodeError as exc:  # a fix wrote a character the file's encoding lacks
        char = exc.object[exc.start : exc.start + 1]
        raise GtcbriefError(
            f"not fixed: {exc.encoding} has no {char!r} for the fixed text", path=result.path
        ) from None
    folder = os.path.dirname(target) or "."
    tmp: str | None = None
    import signal
    import threading

    # SIGTERM (CI cancelling, `timeout`) ends the process at once; raised here, it
    # lets the temporary file be removed instead of left in the user's folder
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main else None
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=folder
        )
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(info.st_mode))
        if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
            try:  # keep the owner (a user may only give a file to itself, root to anyone)
                os.chown(tmp, info.st_uid, info.st_gid)
            except OSError:
                pass
        if _changed_since(target, info):  # written by another process in the meantime
            raise GtcbriefError("changed on disk while it was fixed; not fixed", path=result.path)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise GtcbriefError(f"cannot write: {exc.strerror or exc}", path=result.path) from None
    finally:
        if tmp is not None:  # not renamed: failed, interrupted or terminated
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if main and previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def fix_documents(
    documents: Sequence[Document],
    config: Config,
    selection: Selection,
) -> list[FixResult]:
    """:func:`fix_document` for each document, with the per-document rules as the check."""
    from gtcbrief.rules.engine import check_document
    from gtcbrief.suppress import Suppressions

    def check(doc: Document) -> list[Diagnostic]:
        found = check_document(doc, config, selection)
        suppressions = Suppressions(doc)
        return [d for d in found if d.fixable and suppressions.allows(d, mark=False)]

    return [fix_document(doc, config, check) for doc in documents]
