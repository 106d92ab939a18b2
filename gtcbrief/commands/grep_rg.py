"""``grep --json``: the hits as ripgrep's JSON Lines event stream, for tools that read rg's.

One object a line, as ``rg --json`` prints them: for each file with a hit a
``begin``, its ``match`` and ``context`` lines in line order, and an ``end`` with
the file's statistics; last a ``summary``. Paths and line texts are
``{"text": …}`` (a path that is not valid UTF-8 is ``{"bytes": base64}``), and
offsets count bytes: ``absolute_offset`` is where the line starts in the file,
``start``/``end`` where each submatch sits in the line's UTF-8 text.

What differs from rg (mostly because gtcbrief searches entries): files come in the
order of their best entry (file order with ``--sort path``), and ``-m N``
keeps the best N entries overall; context lines (``-A``/``-B``/``-C``) stay
inside their entry; an entry that matched without a matching line of its own
(a phrase across a line break) reports its first line as a match with no
submatches; ``absolute_offset`` counts the file's own bytes (a byte order
mark too, and UTF-16 or ``--encoding`` text as stored) where rg counts its UTF-8
transcoding's; standard input is named by ``--stdin-filename`` (``-``), where rg
says ``<stdin>``.
"""

from __future__ import annotations

import time
from itertools import accumulate

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import IO, Any

    from gtcbrief.index import Index
    from gtcbrief.search import Hit

    Row = tuple[int, list[tuple[int, int]] | None, str]


def _duration(seconds: float) -> dict[str, Any]:
    whole = int(seconds)
    return {"secs": whole, "nanos": int((seconds - whole) * 1e9), "human": f"{seconds:.6f}s"}


def _data(text: str) -> dict[str, str]:
    """``{"text": …}``, or ``{"bytes": base64}`` for a name that is not valid UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes of a file name (surrogate escapes)
        import base64
        import os

        return {"bytes": base64.b64encode(os.fsencode(text)).decode("ascii")}
    return {"text": text}


def _rows(hit: Hit, before: int, after: int) -> list[Row]:
    """(line number, spans or ``None`` for context, text) of one entry, in line order."""
    unit = hit.unit
    wanted: dict[int, list[tuple[int, int]] | None] = {}
    known: dict[int, str] = {}
    for m in hit.lines:
        for n in range(max(unit.line, m.line - before), min(unit.end_line, m.line + after) + 1):
            wanted.setdefault(n, None)
    for m in hit.lines:
        wanted[m.line], known[m.line] = m.spans, m.text
    if not hit.lines:  # matched across lines (a phrase): the entry's first line stands for it
        wanted[unit.line] = []
    lines = unit.text.split("\n")
    rows: list[Row] = []
    for n in sorted(wanted):
        text = known.get(n)
        if text is None:
            text = lines[n - unit.line] if 0 <= n - unit.line < len(lines) else ""
        rows.append((n, wanted[n], text))
    return rows


class _Raw:
    """Where a file's lines start, in bytes, and how each ends (``absolute_offset``,
    ``lines.text``).

    Lines end as the loader ends them (:func:`gtcbrief.loader.split_lines`): at
    CR LF, LF, or a CR alone, so the numbers agree with the entries' own.
    """

    def __init__(self, data: bytes, lines: int, codec: str | None = None) -> None:
        """``lines``: how many lines, from the first, are asked about. ``codec``: the
        file's encoding where a line feed is not the byte 0x0A (UTF-16)."""
        self.starts = [0]
        self.ends: list[str] = []
        if codec is not None:
            self._decoded(data, lines, codec)
            return
        if b"\r" in data:  # (rare) every kind of line end, found one by one
            import re

            for end in re.finditer(rb"\r\n?|\n", data):
                self.starts.append(end.end())
                self.ends.append(end.group().decode("ascii"))
                if len(self.starts) > lines + 1:
                    break
            return
        # each line's length and its line feed, summed (in C: a loop over line feeds in
        # Python was a fifth of a broad query's run); the line after the last one asked
        # about must be found too
        lengths = map(len, data.split(b"\n", lines + 1)[:-1])
        self.starts = list(accumulate(map((1).__add__, lengths), initial=0))
        self.ends = ["\n"] * (len(self.starts) - 1)

    def _decoded(self, data: bytes, lines: int, codec: str) -> None:
        import codecs
        import re

        text = data.decode(codec, "replace")
        bom = len("".encode(codec))  # what encoding adds before any text: a BOM, for UTF-16
        marks = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
        # the BOM such a codec reads and drops; a codec that keeps it (utf-16-le) has it as
        # a character of the text, counted with the first line
        at, done = (bom if bom and data[:bom] in marks else 0), 0
        for end in re.finditer(r"\r\n?|\n", text):
            at += len(text[done : end.end()].encode(codec)) - bom
            done = end.end()
            self.starts.append(at)
            self.ends.append(end.group())
            if len(self.starts) > lines + 1:
                break

    def offset(self, number: int) -> int | None:
        return self.starts[number - 1] if number <= len(self.starts) else None

    def ending(self, number: int) -> str:
        """The line's end as the file has it: CR LF, LF, CR, or none at the end."""
        if number > len(self.starts):
            return "\n"
        return self.ends[number - 1] if number <= len(self.ends) else ""


def _read(key: str) -> bytes | None:
    """The bytes of a file of the index (``None``: it is gone)."""
    if key.startswith("\0"):  # standard input or a pipe, as it was read
        from gtcbrief.sources import stream_bytes

        return stream_bytes(key[1:])
    try:
        with open(key, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _raw(data: bytes, lines: int, encoding: str | None) -> _Raw:
    """The :class:`_Raw` of a file's ``data``, read as :func:`gtcbrief.sources.decode` does."""
    codec = None
    if encoding is not None:
        try:
            codec = None if "\n".encode(encoding) == b"\n" else encoding
        except LookupError:
            codec = None
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # as gtcbrief.sources.decode reads it
        codec = "utf-16"
    return _Raw(data, lines, codec)


def write(
    hits: Iterable[Hit],
    index: Index,
    context: tuple[int, int],
    out: IO[str],
    encoding: str | None = None,
) -> int:
    """Write the events of ``hits``; returns how many entries matched. ``encoding``:
    ``--encoding``, how the files are read."""
    import json

    from gtcbrief.render import json_safe

    started = time.perf_counter()
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    by_file: dict[int, list[Hit]] = {}
    entries = 0
    for hit in hits:
        by_file.setdefault(hit.unit.file_id, []).append(hit)
        entries += 1
    files = index.files()
    before, after = context

    def emit(event: dict[str, Any]) -> int:
        line = json_safe(dumps(event)) + "\n"
        out.write(line)
        return len(line.encode("utf-8"))

    # rg's summary adds up the files it reported on (their statistics), not every file
    total = {"bytes_searched": 0, "bytes_printed": 0, "matched_lines": 0, "matches": 0}
    spent = 0.0
    for file_id, file_hits in by_file.items():
        began = time.perf_counter()
        key, size = files.get(file_id, ("\0", 0))
        path = _data(file_hits[0].unit.path)
        rows = sorted(
            (row for hit in file_hits for row in _rows(hit, before, after)), key=lambda r: r[0]
        )
        content = _read(key)
        raw = None if content is None else _raw(content, rows[-1][0] if rows else 0, encoding)
        if content is not None:
            size = len(content)
        printed = emit({"type": "begin", "data": {"path": path}})
        matched = matches = 0
        for number, spans, text in rows:
            submatches = []
            at = head = 0  # byte offset ``head`` of character ``at``, carried along the line
            for start, end in spans or ():
                head += len(text[at:start].encode("utf-8"))
                at = start
                piece = text[start:end]
                submatches.append(
                    {"match": {"text": piece}, "start": head, "end": head + len(piece.encode())}
                )
            data = {
                "path": path,
                "lines": {"text": text + ("\n" if raw is None else raw.ending(number))},
                "line_number": number,
                "absolute_offset": None if raw is None else raw.offset(number),
                "submatches": submatches,
            }
            printed += emit({"type": "context" if spans is None else "match", "data": data})
            if spans is not None:
                matched += 1
                matches += len(submatches)
        stats = {
            "elapsed": _duration(time.perf_counter() - began),  # (as rg: rendering the file)
            "searches": 1,
            "searches_with_match": 1,
            "bytes_searched": size,
            "bytes_printed": printed,
            "matched_lines": matched,
            "matches": matches,
        }
        emit({"type": "end", "data": {"path": path, "binary_offset": None, "stats": stats}})
        spent += time.perf_counter() - began
        total["bytes_searched"] += size
        total["bytes_printed"] += printed
        total["matched_lines"] += matched
        total["matches"] += matches
    summary = {
        "elapsed_total": _duration(time.perf_counter() - started),
        "stats": {
            "elapsed": _duration(spent),
            "searches": len(by_file),
            "searches_with_match": len(by_file),
            **total,
        },
    }
    out.write(dumps({"type": "summary", "data": summary}) + "\n")
    return entries
