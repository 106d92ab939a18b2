"""``grep``'s job without the Typer layer: the request, running it, rendering the hits.

:mod:`gtcbrief.commands.grep` declares the options for Typer and hands a
:class:`Request` to :func:`run`; :mod:`gtcbrief.commands.grep_argv` builds
the same request from a plain command line without importing Typer, which
is most of a warm search's start-up.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from itertools import accumulate

from gtcbrief.edge import check_choice, warn
from gtcbrief.errors import GtcbriefError

# here, not in the functions that use it: ``from m import x`` run in a function
# looks for ``m.__path__`` each time, and a module without one makes it format and
# drop an AttributeError (≈6,000 instructions, once per line shown)
from gtcbrief.render import one_line, safe

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from typing import IO, Any, NamedTuple

    from rich.console import Console
    from rich.text import Text

    from gtcbrief.index import Index, Unit
    from gtcbrief.search import Hit, LineMatch, Options
    from gtcbrief.walk import Walk
else:
    from gtcbrief.tuples import NamedTuple


class Request(NamedTuple):
    """Everything ``gtcbrief grep`` was asked, with the command line's defaults."""

    query: str
    paths: tuple[str, ...] = ()
    fmt: str = "text"
    context: int = 0
    files_only: bool = False
    count_only: bool = False
    limit: int | None = None
    sort: str = "rank"
    ignore_case: bool = False
    case_sensitive: bool = False
    regex: bool = False
    regex_timeout: float = 5.0
    full: bool = False
    cache_dir: str | None = None  # spelled as pathlib spells it (gtcbrief.walk.spelled)
    no_cache: bool = False
    verbose: bool = False
    config: str | None = None
    doc_format: str | None = None
    encoding: str | None = None
    stdin_filename: str = "-"
    #: ``-B``/``-A``: lines before/after each matching line (``None``: ``context``'s).
    before: int | None = None
    after: int | None = None
    #: ``-S``: match Latin case exactly if the query has a capital letter of its own.
    smart_case: bool = False
    #: ``-w``: whole words only; Chinese words are where jieba cuts them.
    words: bool = False
    #: ``--json``: ripgrep's JSON Lines event stream (:mod:`gtcbrief.commands.grep_rg`).
    rg_json: bool = False
    #: ``-0``: end each path of ``-l``/``-c`` with a NUL byte (for ``xargs -0``).
    null: bool = False

    def sensitive(self) -> bool:
        """Whether Latin case must match: ``-s``, or ``-S`` with a capital in the query
        (not ``OR``, the operator, nor a field's name, ``Title:``, nor a regex escape
        such as ``\\W``); ``-i`` wins."""
        if self.case_sensitive or not self.smart_case or self.ignore_case:
            return self.case_sensitive
        if self.regex:
            own = re.sub(r"\\.", "", self.query)
        else:
            from gtcbrief.search import FIELDS

            names = "|".join(FIELDS)
            own = re.sub(rf"\bOR\b|(?<![^\s-])(?i:{names}):", "", self.query)
        return any(c.isupper() for c in own)

    def around(self) -> Context:
        """The context lines asked for: (before, after) each matching line."""
        return (
            self.context if self.before is None else self.before,
            self.context if self.after is None else self.after,
        )


#: Lines shown before and after each matching line (``-B``, ``-A``; ``-C`` both).
Context = tuple[int, int]

GREP_FORMATS = ("text", "json", "jsonl")


def run(request: Request, walk: Walk | None = None) -> int:
    """Search, print the hits; 0 when something matched, 1 when nothing did, 2 on errors.

    ``walk``: the walk of the files that :func:`gtcbrief.walk.walk_for_index` started
    for this request, if the caller started it already; it is ended either way.
    """
    from gtcbrief.walk import index_in_memory, search_targets, walk_for_index

    r = request
    if not r.no_cache and index_in_memory(r.no_cache, r.cache_dir):
        r = r._replace(no_cache=True)
    targets = search_targets(r.paths)
    try:
        check_choice("--format", r.fmt, GREP_FORMATS)
        check_choice("--sort", r.sort, ("rank", "path"))
        if r.encoding:
            from gtcbrief.sources import check_encoding  # (only then: it imports pathlib)

            check_encoding(r.encoding)
        if not r.regex_timeout >= 0:  # (NaN too)
            raise GtcbriefError(f"--regex-timeout {r.regex_timeout}: not a number of seconds")
        if r.ignore_case and r.case_sensitive:
            raise GtcbriefError("-i and -s contradict each other")
        if r.rg_json and r.fmt != "text":
            raise GtcbriefError(f"--json and --format {r.fmt} contradict each other")
        if r.rg_json and (r.files_only or r.count_only):
            raise GtcbriefError("--json cannot be used with -l or -c (as in ripgrep)")
        if r.null and not ((r.files_only or r.count_only) and r.fmt == "text"):
            raise GtcbriefError("-0/--null goes with -l or -c (in JSON, paths are exact)")
        if walk is None:
            # look at the files in another process while the rest starts up and searches
            walk = walk_for_index(targets, in_memory=r.no_cache, verbose=r.verbose)
        return _run(r, targets, walk)
    finally:
        if walk is not None:
            walk.cancel()


def _run(r: Request, targets: list[str], walk: Walk | None) -> int:
    from gtcbrief.config import load_config
    from gtcbrief.index import open_index
    from gtcbrief.render import use_colour
    from gtcbrief.search import Options, compile_regex, parse_query

    if r.fmt == "text" and not r.full and not _to_terminal():
        # whole lines in a pipe, as rg's: what a pager or a file gets must not hang on a
        # width it cannot see (the coloured text took the width of the terminal stderr
        # was on, the plain text 80 columns)
        r = r._replace(full=True)
    # a bad query fails now, before any index is built
    if r.regex:
        compile_regex(r.query, case_sensitive=r.sensitive(), words=r.words)
    else:
        parse_query(r.query)
    cfg = load_config(r.config, targets, r.doc_format)
    errors = [0]

    def report(exc: Exception) -> None:
        errors[0] += 1
        warn(str(exc))

    def opened() -> Index:
        index = open_index(
            targets,
            config=cfg,
            encoding=r.encoding,
            stdin_name=r.stdin_filename,
            location=r.cache_dir,
            in_memory=r.no_cache,
            on_error=report,
            walk=walk,
        )
        if index.stats.note:
            warn(index.stats.note)
        if r.verbose:
            warn(index.stats.summary())
        return index

    options = Options(
        case_sensitive=r.sensitive(),
        regex=r.regex,
        regex_timeout=r.regex_timeout,
        limit=r.limit,
        sort=r.sort,
        spans=not (r.files_only or r.count_only),
        # text shows the title's spans only in colour; JSON reports every field's;
        # ripgrep's events have lines only
        fields=None if r.fmt != "text" else () if r.rg_json or not use_colour() else ("title",),
        words=r.words,
    )
    index = opened()
    try:
        matched = _answer(index, r, options)
    except _Stale:  # a file changed since the index was refreshed: refresh, search again
        index.close()
        index = opened()
        matched = _answer(index, r, options)
    index.close()
    if errors[0]:
        return 2
    if not index.stats.files:  # as the other commands say it: not a clean "no match"
        warn("no Markdown files found in " + " ".join(targets))
    return 0 if matched else 1


class _Stale(Exception):
    """The presumed-fresh index was not: nothing was shown; search again."""


class _Held:
    """Standard output held back until the index is confirmed fresh (at most 1 MB of it)."""

    LIMIT = 1 << 20

    def __init__(self, out: IO[str], confirm: Callable[[], bool]) -> None:
        self.out = out
        self.confirm = confirm
        self.parts: list[str] | None = []
        self.size = 0

    def write(self, text: str) -> int:
        if self.parts is None:
            return self.out.write(text)
        self.parts.append(text)
        self.size += len(text)
        if self.size > self.LIMIT:
            self.release()
        return len(text)

    def release(self) -> None:
        """Confirm, then let everything through; :class:`_Stale` if the index was not fresh."""
        if self.parts is None:
            return
        if not self.confirm():
            raise _Stale
        held, self.parts = self.parts, None
        self.out.write("".join(held))

    def isatty(self) -> bool:
        return False


def _answer(index: Index, r: Request, options: Options) -> int:
    """Write the hits of ``r`` in its format; returns how many entries matched."""
    from gtcbrief.render import json_array, use_colour
    from gtcbrief.search import search

    out: IO[str] = sys.stdout
    held: _Held | None = None
    shown_as_found = r.fmt == "text" and not (r.files_only or r.count_only or r.rg_json)
    colour = shown_as_found and use_colour()
    if colour:
        # rich's console (≈50 ms) renders colour: imported now, while the walk may still
        # be going, and before a split forks, so that both halves have it
        import rich.console  # noqa: F401
    if index.pending is not None:
        if colour or (shown_as_found and _isatty(out)):
            if not index.confirm():  # a terminal sees hits as they come: settle it first
                raise _Stale
        else:
            out = held = _Held(out, index.confirm)  # type: ignore[assignment]
    matched = 0
    if r.files_only or r.count_only:
        per_file: dict[str, int] = {}
        for hit in search(index, r.query, options):
            per_file[hit.unit.path] = per_file.get(hit.unit.path, 0) + 1
        matched = sum(per_file.values())
        in_order = [p for p in index.display.values() if p in per_file]
        if r.fmt != "text":  # {"path"} per file, with its "count" for -c
            from gtcbrief.render import write_json_items, write_jsonl

            records = (
                {"path": p, "count": per_file[p]} if r.count_only else {"path": p} for p in in_order
            )
            if r.fmt == "jsonl":
                write_jsonl(records, out)
            else:
                json_array(out, lambda: write_json_items(records, out))
        else:
            # made visible on a terminal only: off one, a path is for the next
            # program (xargs, a loop), which must get the file's real name; with -0
            # it ends with a NUL, as rg's does, for any name (a line feed in it too)
            shown = one_line if _isatty(sys.stdout) and not r.null else str
            end = "\0" if r.null else "\n"
            for path in in_order:
                n = per_file[path]
                if r.count_only:
                    out.write(f"{shown(path)}{end if r.null else ':'}{n}\n")
                else:
                    out.write(f"{shown(path)}{end}")
    elif r.rg_json:
        from gtcbrief.commands import grep_rg

        hits = search(index, r.query, options)
        matched = grep_rg.write(hits, index, r.around(), out, r.encoding)
    elif r.fmt == "json":
        matched = json_array(out, lambda: _stream(index, r, options, out))
    else:
        matched = _stream(index, r, options, out)
    if held is not None:
        held.release()
    return matched


#: From this many ranked candidates, a forked process takes the second half (any format).
#: Below it, starting the process and its connection costs about what it saves: at 600
#: candidates (``NCCL`` at 100k) the split was 0-10 ms slower, at 7,600 (``注意力``) it saved
#: 90-150 ms.
SPLIT_FROM = 1500


def _stream(index: Index, r: Request, options: Options, out: IO[str]) -> int:
    """Text, JSON Lines or a JSON array's items, streamed; with many candidates, on both
    cores.

    The ranked candidates are cut in two: this process verifies and writes
    the first half while a forked one, on its own connection to the same
    index, verifies and renders the second into memory; its text follows
    ours. Each hit's work is independent of the others (rows, lines,
    rendering), so the output is the same as one process's. If the child
    fails, or the index changed under it, this process does its half too.
    """
    from gtcbrief.forked import can_fork
    from gtcbrief.search import ranking, search

    context = r.around()

    def write(
        index: Index, ranked: Sequence[tuple[int, float]] | None, sink: IO[str], after: int
    ) -> int:
        hits = search(index, r.query, options, ranked)
        if r.fmt == "jsonl":
            from gtcbrief.render import write_jsonl

            return write_jsonl((hit_record(h, context) for h in hits), sink)
        if r.fmt == "json":
            from gtcbrief.render import write_json_items

            return write_json_items((hit_record(h, context) for h in hits), sink, after)
        return _render_text(hits, context, r.full, sink, after)

    ranked = ranking(index, r.query, options) if r.limit is None else None
    if ranked is None or len(ranked) < SPLIT_FROM or index.snapshot is None or not can_fork():
        return write(index, ranked, out, 0)
    half = (len(ranked) + 1) // 2
    if r.fmt == "text" and not r.full:
        # long lines are cut around their matches (nearly always, with this many): compile
        # the regex for it once, here, not in both processes (≈11 M instructions each)
        _wide_run()
    # the child encodes its text for our output as the text layer would, when the
    # output is UTF-8 (so this process need not decode and encode it again)
    target = out.out if isinstance(out, _Held) else out
    binary = _utf8_buffer(target)
    # the child never uses this process's connection: it opens its own
    try:
        child = _Half(
            lambda sink: write(index.reopened(), ranked[half:], sink, 1),
            None if binary is None else binary[1],
        )
    except OSError:  # no process to spare: all of it here
        return write(index, ranked, out, 0)
    first = write(index, ranked[:half], out, 0)
    if isinstance(out, _Held):
        # the walk is long done: show this half while the child finishes the other
        # (else encoding and writing it waits for the child too)
        try:
            out.release()
        except BaseException:  # _Stale (searched again), or the output failed
            child.child.end(kill=True)
            raise
    done = child.result()
    if done is None:  # the child could not: do its half here
        return first + write(index, ranked[half:], out, first)
    second, text = done
    # with no entry of ours, drop what the child put between ours and its first: a blank
    # line (text), a comma (a JSON array's items)
    between = "" if first else {"text": "\n", "json": ","}.get(r.fmt, "")
    if isinstance(text, str):
        out.write(text.removeprefix(between))
        return first + second
    text = text.removeprefix(between.encode())
    if binary is not None and not (isinstance(out, _Held) and out.parts is not None):
        target.flush()  # what this process wrote goes first
        binary[0].write(text)
    else:  # (never: the text was encoded only for a stream written straight to)
        out.write(text.decode("utf-8", binary[1] if binary else "strict"))
    return first + second


def _utf8_buffer(stream: object) -> tuple[IO[bytes], str] | None:
    """The binary buffer under a text stream that writes what it is given as UTF-8 (no
    newline translation: POSIX), and its error handler; ``None`` for other streams."""
    import codecs
    import io
    import os

    if not isinstance(stream, io.TextIOWrapper) or os.linesep != "\n":
        return None
    try:
        if codecs.lookup(stream.encoding).name != "utf-8":
            return None
    except LookupError:
        return None
    return stream.buffer, stream.errors or "strict"


class _Sink:
    """Text collected in memory (what a forked half renders)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def isatty(self) -> bool:
        return False


class _Half:
    """``work`` rendering into memory in a forked child (:class:`gtcbrief.forked.Child`)."""

    def __init__(self, work: Callable[[IO[str]], int], errors: str | None = None) -> None:
        """``errors``: send the text encoded as UTF-8 with this error handler (if it
        cannot be, the child fails and the parent does the work, and meets the error)."""
        from gtcbrief.forked import Child

        def answer(send: Callable[[bytes], None]) -> None:
            import marshal

            sink = _Sink()
            count = work(sink)  # type: ignore[arg-type]
            text = "".join(sink.parts)
            send(marshal.dumps((count, text if errors is None else text.encode("utf-8", errors))))

        self.child = Child(answer)

    def result(self) -> tuple[int, str | bytes] | None:
        """(entries, text or its encoding) from the child; ``None`` if it failed."""
        import marshal

        try:
            data = self.child.read()
        finally:
            status = self.child.end()
        if status != 0:
            return None
        try:
            count, text = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return None
        if not isinstance(text, (str, bytes)):
            return None
        return int(count), text


def _columns() -> int:
    """``shutil.get_terminal_size((80, 24)).columns`` without importing ``shutil``."""
    import os

    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _to_terminal() -> bool:
    """Whether the text goes to a terminal (where long lines are cut to its width)."""
    return _isatty(sys.stdout)


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def hit_record(hit: Hit, context: Context = (0, 0)) -> dict[str, Any]:
    """The JSON record of one matching entry (SPEC contract: path, line, title + matches);
    with ``context`` (``-B``/``-A``/``-C``), also the entry's other lines around a match."""
    import gtcbrief.search  # (not ``from … import``: see the import of ``safe`` above)
    import gtcbrief.text

    unit = hit.unit
    fields: dict[str, Any] = {}
    for name, attr in gtcbrief.search.REPORTED:
        spans = hit.fields.get(name)
        if spans:
            fields[name] = {"text": getattr(unit, attr), "spans": [list(s) for s in spans]}
    track, subtopic = gtcbrief.text.split_track(unit.topic) if unit.topic else (None, None)
    record: dict[str, Any] = {
        "path": unit.path,
        "line": unit.line,
        "end_line": unit.end_line,
        "kind": unit.kind,
        "title": unit.title,
        # as parse names them: the track, the subtopic, and the 主题 line they come from
        "track": track,
        "subtopic": subtopic,
        "topic": unit.topic or None,
        "score": round(hit.score, 4),
        "fields": fields,
        "lines": [
            {"line": m.line, "text": m.text, "spans": [list(s) for s in m.spans]} for m in hit.lines
        ],
    }
    if any(context):
        rows = _rows(hit, context)
        record["context"] = [{"line": n, "text": text} for n, spans, text in rows if spans is None]
    return record


class _Cells(dict[int, str]):
    """Code point → its terminal cells as a character, ``"\\x02"`` (East Asian wide or
    full-width) or ``"\\x01"``, memoised: a :meth:`str.translate` table.

    Translating a piece measures it in one C loop; mapping each character
    through a memo made a new one-character string, hashed it and looked it up,
    ≈800 instructions a character (a tenth of a grep with hundreds of hits).
    """

    def __missing__(self, point: int) -> str:
        if 0x4E00 <= point <= 0x9FFF:  # CJK unified ideographs, most of what is looked up
            cells = "\x02"
        else:
            cells = "\x02" if _east_asian_width(chr(point)) in "WF" else "\x01"
        self[point] = cells
        return cells


def _east_asian_width(char: str) -> str:
    from unicodedata import east_asian_width

    return east_asian_width(char)


_CELLS = _Cells()

#: Runs of characters two cells wide in every Unicode version: CJK punctuation and
#: ideographs, kana, full-width forms (a test checks each one). Not every such
#: character: the regex compiler walks each character of a class in Python (≈470
#: instructions apiece), and Hangul syllables and extension A (17,800 characters,
#: rare in these briefs) cost more to compile than they save; they are measured one
#: by one instead, as any other character is.
_WIDE_CLASS = (
    "[\u3000-\u303e\u3041-\u3096\u3099-\u30ff\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60\uffe0-\uffe6]*"
)


@cache
def _wide_run() -> re.Pattern[str]:
    """Compiled on first use: a class of 21,900 characters costs the regex compiler
    ≈11 M instructions, which a grep with no long lines to cut need not pay."""
    from gtcbrief import _re_speedup

    return _re_speedup.compile(_WIDE_CLASS)


def _reach(text: str, index: int, step: int, budget: int) -> int:
    """Walk from ``index`` by ``step`` (-1 or 1) until ``budget`` terminal cells are used.

    A character takes one cell or two, so the walk never goes further than
    ``budget`` characters: only that slice is looked at, an ASCII slice is all
    one-cell characters, and otherwise the running total of its widths says
    how many characters fit. Chinese prose mostly needs neither: a window
    whose first ``budget // 2 + 1`` characters (from where the walk starts) are
    all surely wide holds ``budget // 2`` of them, which one regex decides.
    """
    if step < 0:
        lo = index - budget if index > budget else 0
        piece = text[lo:index]
        if piece.isascii():
            return lo
        half = budget // 2
        if _wide_run().fullmatch(piece, max(0, len(piece) - half - 1)):
            return index - min(half, len(piece))
        return index - _fitting(piece[::-1], budget)
    piece = text[index : index + budget]
    if piece.isascii():
        return index + len(piece)
    half = budget // 2
    if _wide_run().fullmatch(piece, 0, half + 1):  # two cells each, so half of them fit
        return index + min(half, len(piece))
    return index + _fitting(piece, budget)


_ASCII_RUN = re.compile(r"[\x00-\x7f]*")


def _fitting(piece: str, budget: int) -> int:
    """How many of the first characters of ``piece`` fit in ``budget`` cells, measured
    run by run: ASCII (one cell each) and surely-wide characters (two each, see
    :func:`_wide_run`), the text of Chinese prose with Latin words in it. If a
    character of neither kind comes first, each character of the piece is measured.

    Translating a piece to its widths looked up every character in :data:`_CELLS`
    (≈700 instructions each: a subclass of ``dict`` is read through a Python-level
    ``__getitem__``), a quarter of the text output of a grep with many hits.
    """
    wide = _wide_run()
    pos, left, end = 0, budget, len(piece)
    while pos < end:
        if piece[pos] < "\x80":
            run = _ASCII_RUN.match(piece, pos).end() - pos  # type: ignore[union-attr]
            take = run if run <= left else left
            left -= take
        else:
            run = wide.match(piece, pos).end() - pos  # type: ignore[union-attr]
            if not run:
                return bisect_right(list(accumulate(piece.translate(_CELLS).encode())), budget)
            take = run if 2 * run <= left else left // 2
            left -= 2 * take
        pos += take
        if take < run:  # the budget ran out inside the run
            break
    return pos


def _cells(text: str) -> int:
    """Terminal cells of ``text``, counted as :func:`_reach` counts them."""
    if text.isascii():
        return len(text)
    return len(text) + text.translate(_CELLS).count("\x02")


def _wider(text: str, width: int) -> bool:
    """Whether ``text`` takes more than ``width`` terminal cells (cheap bounds first)."""
    if len(text) > width:
        return True
    return 2 * len(text) > width and _cells(text) > width


Segment = tuple[str, str | None]  # text and its style (None: plain)


def _windows(
    text: str, spans: list[tuple[int, int]], width: int | None
) -> tuple[list[tuple[int, int]], int]:
    """The stretches of a line to show, and how many of its spans were left out.

    With ``width`` (terminal cells), a longer line is cut to windows around its
    matches, measured in cells so Chinese (two cells a character) fits too; one
    without matches to its first ``width`` cells.
    """
    if width is None or not _wider(text, width):
        return [(0, len(text))], 0
    if not spans:  # a context line (or a match across lines): its start, a line's worth
        return [(0, _reach(text, 0, 1, width))], 0
    side = 24  # cells of context either side of a match
    half = side // 2
    wide = _wide_run()
    size = len(text)
    pieces: list[tuple[int, int]] = []
    shown = 0  # characters in pieces: none takes more than two cells
    hidden = 0
    for start, end in spans:
        if shown > width and _shown_over(text, pieces, 2 * width):
            hidden += 1
            continue
        # _reach's commonest answer first, read off the line itself (one regex, no
        # slices): the ``half`` characters next to the match are surely wide, so they
        # fill the ``side`` cells exactly (or the line ends first)
        if wide.fullmatch(text, start - half if start > half else 0, start):
            lo = start - min(half, start)
        else:
            lo = _reach(text, start, -1, side)
        if wide.fullmatch(text, end, end + half):
            hi = end + min(half, size - end)
        else:
            hi = _reach(text, end, 1, side)
        if pieces and lo <= pieces[-1][1]:
            merged = pieces.pop()
            shown -= merged[1] - merged[0]
            lo = merged[0]
        pieces.append((lo, hi))
        shown += hi - lo
    return pieces, hidden


def _styled(text: str, spans: list[tuple[int, int]], *, width: int | None) -> list[Segment]:
    """A line as segments with its matches styled, cut to :func:`_windows`.

    Segment text is already made safe (control characters visible).
    """
    # a line without control characters has none in any piece either
    clean: Callable[[str], str] = _same if safe(text) is text else safe
    pieces, hidden = _windows(text, spans, width)
    spans = [s for s in spans if s[1] <= pieces[-1][1]]  # the ones shown
    out: list[Segment] = []
    for lo, hi in pieces:
        if lo > 0:
            out.append(("…", "dim"))
        cursor = lo
        for start, end in spans:
            if end <= lo or start >= hi:
                continue
            start, end = max(start, lo), min(end, hi)
            out.append((clean(text[cursor:start]), None))
            out.append((clean(text[start:end]), MATCH_STYLE))
            cursor = end
        out.append((clean(text[cursor:hi]), None))
        if hi < len(text):
            out.append(("…", "dim"))
    if hidden:
        out.append((f" (+{hidden} more)", "dim"))
    return out


def _plain(text: str, spans: list[tuple[int, int]], width: int | None) -> str:
    """:func:`_styled` joined without styles: the same characters, built directly.

    Within a window the segments cover it end to end, and making text safe
    works character by character, so a window is its own text made safe.
    """
    pieces, hidden = _windows(text, spans, width)
    if len(pieces) == 1 and not hidden:  # the usual line: one window, or all of it
        lo, hi = pieces[0]
        if lo == 0 and hi == len(text):
            return safe(text)
        return ("…" if lo > 0 else "") + safe(text[lo:hi]) + ("…" if hi < len(text) else "")
    parts: list[str] = []
    for lo, hi in pieces:
        if lo > 0:
            parts.append("…")
        parts.append(safe(text[lo:hi]))
        if hi < len(text):
            parts.append("…")
    if hidden:
        parts.append(f" (+{hidden} more)")
    return "".join(parts)


def _same(text: str) -> str:
    return text


def _shown_over(text: str, pieces: list[tuple[int, int]], limit: int) -> bool:
    """Whether the pieces of ``text`` shown so far take more than ``limit`` cells.

    No character takes more than two cells, so short pieces need no measuring.
    """
    if 2 * sum(hi - lo for lo, hi in pieces) <= limit:
        return False
    return sum(_cells(text[lo:hi]) for lo, hi in pieces) > limit


MATCH_STYLE = "bold red"


def _render_text(
    hits: Iterator[Hit], context: Context, full: bool, out: IO[str], after: int = 0
) -> int:
    """ripgrep-like text: ``path:line: 【kind】title``, then numbered matching lines.

    On a colour terminal each line is a list of styled segments, written as
    rich's console would print them as a ``Text`` (never markup) but a block
    at a time (:func:`_painter`); without colour the same characters are
    written as plain lines (:func:`_render_plain`).
    """
    from gtcbrief.render import use_colour

    if not use_colour():  # plain text: rich is not even imported
        return _render_plain(hits, context, full, out, after)

    from gtcbrief.render import console

    con = console()
    painted = _painter(con)
    block: list[str] = []
    interactive = _isatty(out)

    def show(segments: list[Segment]) -> None:
        if painted is None:
            con.print(_rich_text(segments), soft_wrap=True)
            return
        block.append(painted(segments))
        if len(block) >= 512:
            write()

    def write() -> None:
        if block:
            block.append("")
            out.write("\n".join(block))
            block.clear()

    width = None if full else max(40, con.width - 9)
    try:
        return _show_hits(hits, context, width, show, write if interactive else None, after)
    finally:
        write()


def _rich_text(segments: list[Segment]) -> Text:
    from rich.text import Text

    line = Text()
    for text, style in segments:
        line.append(text, style=style)
    return line


def _painter(con: Console) -> Callable[[list[Segment]], str] | None:
    """A line of styled segments as ``con.print(_rich_text(segments), soft_wrap=True)``
    would write it (less the line feed), with each style worked out once.

    rich writes each styled stretch as its style renders it for the console's
    colour system, and plain stretches as they are; printing each line on its
    own, it made a warm grep on a terminal several times slower than the same
    grep into a pipe. A line with a tab is still printed by rich, into a string
    (it expands tabs to its tab stops). ``None`` on a legacy Windows console,
    which rich drives with calls, not escapes: there it prints every line.
    """
    if con.legacy_windows:
        return None
    from rich.console import COLOR_SYSTEMS

    system = COLOR_SYSTEMS.get(con.color_system or "")
    around: dict[str, tuple[str, str]] = {}

    def paint(text: str, style: str | None) -> str:
        if style is None or not text:
            return text
        wrap = around.get(style)
        if wrap is None:
            made = con.get_style(style)
            if con.no_color:  # (NO_COLOR: rich keeps bold, dim, … but drops colours)
                made = made.without_color
            before, _, after = made.render("\0", color_system=system).partition("\0")
            wrap = around[style] = (before, after)
        return wrap[0] + text + wrap[1]

    def painted(segments: list[Segment]) -> str:
        if any("\t" in text for text, _style in segments):
            with con.capture() as captured:
                con.print(_rich_text(segments), soft_wrap=True)
            return captured.get().removesuffix("\n")
        return "".join([paint(text, style) for text, style in segments])

    return painted


def _show_hits(
    hits: Iterator[Hit],
    context: Context,
    width: int | None,
    show: Callable[[list[Segment]], None],
    each_hit: Callable[[], None] | None,
    after: int,
) -> int:
    """The styled lines of :func:`_render_text`, each handed to ``show``; ``each_hit``
    is called after each hit (to write it out on a terminal)."""
    count = 0
    for hit in hits:
        unit = hit.unit
        if count or after:
            show([])
        head: list[Segment] = [
            (one_line(unit.path), "magenta"),
            (":", None),
            (str(unit.line), "green"),
            (": ", None),
        ]
        if unit.kind:
            head.append((f"【{safe(unit.kind)}】", "bold cyan"))
        head.extend(
            (text, "bold " + style if style else "bold")
            for text, style in _styled(unit.title, hit.fields.get("title", []), width=None)
        )
        show(head)
        previous = None
        for n, spans, line in _rows(hit, context):
            if previous is not None and n > previous + 1:
                show([("    --", "dim")])
            row: list[Segment] = [
                (f"{n:>6}", "green" if spans else "dim"),
                (":" if spans else "-", "dim"),
                (" ", None),
            ]
            row.extend(_styled(line, spans or [], width=width))
            show(row)
            previous = n
        count += 1
        if each_hit is not None:
            each_hit()
    return count


def _is_heading(m: LineMatch, unit: Unit) -> bool:
    """Whether a matching line is the unit's heading, which its title line shows."""
    return m.line == unit.line and unit.heading


def _rows(hit: Hit, context: Context) -> list[tuple[int, list[tuple[int, int]] | None, str]]:
    """The body lines to show for a hit: (number, spans or None for context, text)."""
    unit = hit.unit
    before, after = context
    if not (before or after):  # the matching lines, in order, each once: no lines to look up
        return [(m.line, m.spans, m.text) for m in hit.lines if not _is_heading(m, unit)]
    wanted: dict[int, list[tuple[int, int]] | None] = {}
    known: dict[int, str] = {}  # matching lines carry their text: no need to split the unit
    first = unit.line + 1 if unit.heading else unit.line  # the heading is shown above
    for m in hit.lines:
        if _is_heading(m, unit):
            continue
        for n in range(m.line - before, m.line + after + 1):
            if first <= n <= unit.end_line and n not in wanted:
                wanted[n] = None
        wanted[m.line] = m.spans
        known[m.line] = m.text
    rows: list[tuple[int, list[tuple[int, int]] | None, str]] = []
    lines: list[str] | None = None
    for n in sorted(wanted):
        line = known.get(n)
        if line is None:
            if lines is None:
                lines = unit.text.split("\n")
            line = lines[n - unit.line] if n - unit.line < len(lines) else ""
        rows.append((n, wanted[n], line))
    return rows


def _render_plain(
    hits: Iterator[Hit], context: Context, full: bool, out: IO[str], after: int = 0
) -> int:
    """:func:`_render_text` without colour: each line built as a string, written in blocks."""

    columns = _columns()
    width = None if full else max(40, columns - 9)
    interactive = _isatty(out)
    block: list[str] = []  # one write per line is a system call each when Python runs unbuffered
    count = 0
    paths: dict[str, str] = {}
    kinds: dict[str | None, str] = {None: "", "": ""}  # a handful of kinds, shown many times
    try:
        for hit in hits:
            unit = hit.unit
            path = paths.get(unit.path)
            if path is None:
                path = paths[unit.path] = one_line(unit.path)
            kind = kinds.get(unit.kind)
            if kind is None:
                kind = kinds[unit.kind] = f"【{safe(unit.kind)}】" if unit.kind else ""
            if count or after:
                block.append("")
            block.append(f"{path}:{unit.line}: {kind}{safe(unit.title)}")
            previous = None
            if not any(context):  # the matching lines, as _rows gives them, without the tuples
                for m in hit.lines:
                    n = m.line
                    if _is_heading(m, unit):
                        continue
                    if previous is not None and n > previous + 1:
                        block.append("    --")
                    mark = ":" if m.spans else "-"
                    block.append(f"{n:>6}{mark} {_plain(m.text, m.spans, width)}")
                    previous = n
            else:
                for n, spans, line in _rows(hit, context):
                    if previous is not None and n > previous + 1:
                        block.append("    --")
                    mark = ":" if spans else "-"
                    block.append(f"{n:>6}{mark} {_plain(line, spans or [], width)}")
                    previous = n
            count += 1
            if interactive or len(block) >= 512:
                block.append("")
                out.write("\n".join(block))
                block = []
    finally:
        if block:
            block.append("")
            out.write("\n".join(block))
    return count
