"""The one output path: every command hands records here with a format.

``json`` streams one array, ``jsonl`` one object a line, ``csv`` flattens
lists, ``table`` draws a rich table. Document text is data: it is never
parsed as rich markup, and control characters (terminal escapes included)
are made visible before anything reaches a terminal.
"""

from __future__ import annotations

import os
import re
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from typing import IO, Any

    from rich.console import Console

FORMATS = ("table", "json", "jsonl", "csv")

#: Control characters (C0, DEL, C1), the bidirectional overrides and isolates, and the
#: invisible format characters (zero-width ones, marks, line and paragraph separators,
#: BOM, soft hyphen, interlinear annotations, tags), which hide text or move it; and
#: lone surrogates: a file name's bytes that are not UTF-8 (``\udcff`` for ``\xff``),
#: which would make the output invalid UTF-8.
CONTROL = (
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)


def shown(char: str) -> str:
    """``char`` as an escape: ``\x1b``, ``\u202e``, ``\U000e0041``; a byte of a file name
    that is not UTF-8 as that byte, ``\xff``."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's escape of an undecodable byte
        code -= 0xDC00
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


@cache
def _control() -> re.Pattern[str]:
    """:data:`CONTROL`, compiled when first needed: characters past U+00FF make ``re``
    build a 64K-entry map (2.6 M instructions), and most text never needs it."""
    return re.compile(CONTROL)


def safe(text: str) -> str:
    """Make control characters visible (``ESC`` becomes ``\\x1b``) for terminal output."""
    # every character CONTROL matches is unprintable (Cc, Cf): most text is decided
    # by one C loop, without the regex engine (4% of a grep with many hits)
    if text.isprintable() or not _control().search(text):
        return text
    return _control().sub(lambda m: shown(m.group(0)), text)


@cache
def _json_unsafe() -> re.Pattern[str]:
    """What :data:`CONTROL` matches that ``json.dumps`` leaves raw (all but C0)."""
    return re.compile(CONTROL.replace(r"\x00-\x08\x0b-\x1f", "", 1))


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON spells it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_safe(text: str) -> str:
    """JSON text (from ``json.dumps(…, ensure_ascii=False)``) with DEL, C1 controls,
    bidi and invisible format characters escaped too (``\\u009b``, ``\\u202e``): the
    same data, but nothing a terminal obeys when the JSON is printed on one."""
    if text.isprintable() or not _json_unsafe().search(text):
        return text
    return _json_unsafe().sub(_json_escape, text)


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 entry``, ``2 entries``: ``count`` and the word for it (``many`` defaults to
    ``one`` + s)."""
    return f"{count} {one if count == 1 else many or one + 's'}"


def one_line(text: str) -> str:
    """:func:`safe`, and a line feed shown too (``\\x0a``): for a path or a message
    that must stay one line of output (a file named ``x\\nREADME.md:1:1: GB101 …``
    would otherwise print a finding of its own)."""
    text = safe(text)
    return text.replace("\n", "\\x0a") if "\n" in text else text


def default_format(stream: IO[str] | None = None) -> str:
    """``table`` on a terminal, ``json`` in a pipe."""
    stream = stream or sys.stdout
    try:
        return "table" if stream.isatty() else "json"
    except (AttributeError, ValueError):
        return "json"


def use_colour(stream: IO[str] | None = None) -> bool:
    """Colour as :func:`console` decides it: NO_COLOR, then a dumb terminal
    (``TERM=dumb``, which rich never colours, FORCE_COLOR or not), then FORCE_COLOR,
    then a tty.

    For writers that style text themselves without importing rich.
    """
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") in ("dumb", "unknown"):
        return False
    if os.environ.get("FORCE_COLOR") not in (None, "", "0"):
        return True
    try:
        return bool((stream or sys.stdout).isatty())
    except (AttributeError, ValueError):
        return False


def console(stderr: bool = False) -> Console:
    """A rich console that honours NO_COLOR / FORCE_COLOR and never emits markup."""
    from rich.console import Console

    force = os.environ.get("FORCE_COLOR")
    return Console(
        stderr=stderr,
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=True if force not in (None, "", "0") else None,
        no_color=bool(os.environ.get("NO_COLOR")) or None,
        soft_wrap=False,
    )


def write_json_array(records: Iterable[Mapping[str, Any]], out: IO[str]) -> int:
    """Stream a JSON array, one record per line; returns how many were written."""
    return json_array(out, lambda: write_json_items(records, out))


def json_array(out: IO[str], items: Callable[[], int]) -> int:
    """A JSON array around what ``items`` writes (:func:`write_json_items`) and counts."""
    out.write("[")
    count = items()
    out.write("\n]\n" if count else "]\n")
    return count


def write_json_items(records: Iterable[Mapping[str, Any]], out: IO[str], after: int = 0) -> int:
    """A JSON array's items, one a line: each after ``,`` and a line feed, the first after
    a line feed alone unless ``after`` items came before it. Returns how many."""
    import json

    count = 0
    for record in records:
        out.write(",\n" if count or after else "\n")
        out.write(json_safe(json.dumps(record, ensure_ascii=False)))
        count += 1
    return count


def write_jsonl(records: Iterable[Mapping[str, Any]], out: IO[str]) -> int:
    import json

    count = 0
    for record in records:
        out.write(json_safe(json.dumps(record, ensure_ascii=False)))
        out.write("\n")
        count += 1
    return count


def flatten(value: Any) -> str:
    """A cell for CSV/table: lists joined with ``; ``, objects by their name or raw text."""
    import json

    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(flatten(v) for v in value)
    if isinstance(value, dict):
        for key in ("raw", "name", "title", "text"):
            if key in value:
                return flatten(value[key])
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_csv(records: Iterable[Mapping[str, Any]], columns: Sequence[str], out: IO[str]) -> int:
    """CSV has no escapes, and is read on terminals: control characters are shown
    as ``\\x1b`` (JSON is the lossless format)."""
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for record in records:
        writer.writerow([safe(flatten(record.get(c))) for c in columns])
        count += 1
    return count


#: Rows a table is measured on before its first line is written. A terminal shows them
#: while the rest load (rich lays a table out only once it has every row: 17 s of
#: nothing, then 10,000 rows, for ``parse`` of 10k entries).
TABLE_HEAD_ROWS = 64
#: Rows drawn together after the first ones.
TABLE_BLOCK_ROWS = 256


def write_table(
    records: Iterable[Mapping[str, Any]],
    columns: Sequence[tuple[str, str] | tuple[str, str, int]],
    *,
    title: str | None = None,
) -> int:
    """A rich table; ``columns`` is (key, header) or (key, header, ratio).

    Columns with a ratio share the terminal's width in that proportion (a
    title gets more than a kind); the others take their natural width. The
    first column is the location (path:line) and is never folded, so it stays
    clickable. Cells are plain, sanitised text.

    A table of more than :data:`TABLE_HEAD_ROWS` rows is drawn a block at a time,
    as one table: each block is a rich table with the header and edges of its place
    in the whole, and the columns without a ratio as wide as their widest cell so
    far, so that the blocks line up. A cell wider than any before it widens its
    column from its block on (the ratio columns give the room). Where that leaves
    rich too little room to keep the ratios (a narrow terminal, from the start as a
    rule), the rest of the table is drawn at once, as rich lays it out.
    """
    from itertools import islice

    keys = [c[0] for c in columns]

    def cells(record: Mapping[str, Any]) -> list[str]:
        row = []
        for n, key in enumerate(keys):
            # the location is one line, whatever the file's name (``\x0a``)
            cell = (one_line if n == 0 else safe)(flatten(record.get(key)))
            if len(cell) > 200:
                cell = cell[:199] + "…"
            row.append(cell)
        return row

    rows = map(cells, records)
    con = console()
    con.width = con.width  # one table: its blocks all laid out for the width it began with
    block = list(islice(rows, TABLE_HEAD_ROWS))
    if not block:  # a header over nothing (after "no such file", say) says nothing
        return 0
    following = list(islice(rows, TABLE_BLOCK_ROWS))
    if not following:
        natural = _widest(con, columns, block, [0] * len(keys), header=True)
        laid = _layout(con, columns, natural)
        if laid is None:  # too narrow a terminal for the table: a record at a time
            _records(con, columns, block, title=title)
            return len(block)
        if not any(len(c) == 3 for c in columns):
            laid = None  # each column as wide as its cells: rich's own layout
        narrowed = laid is not None and laid[0] < natural[0]
        con.print(_table(columns, block, title=title, widths=laid, narrowed=narrowed))
        return len(block)
    fixed = [0] * len(columns)
    count = 0
    drawer = _Drawer(con, columns, title)
    try:
        while block:
            fixed = _widest(con, columns, block, fixed, header=not count)
            widths = _layout(con, columns, fixed)
            if widths is None:
                from itertools import chain

                drawer.finish()
                rest = list(chain(block, following, rows))
                header = not count  # too narrow a terminal for the table: records
                return count + _records(con, columns, rest, title=title if header else None)
            narrowed = widths[0] < fixed[0]
            drawer.draw((block, widths, not count, not following, narrowed))
            count += len(block)
            block, following = following, list(islice(rows, TABLE_BLOCK_ROWS))
        drawer.finish()
    finally:
        drawer.close()
    return count


#: A block to draw: its rows' cells, the columns' widths, whether it is the first
#: (with the title, header and top edge), whether it is the last (with the bottom),
#: and whether the location column was narrowed (and folds).
_Block = tuple[list[list[str]], list[int], bool, bool, bool]


class _Drawer:
    """Draws a table's blocks in order, on both cores where it may fork.

    The first block is drawn here, at once. After it, a forked process draws a
    block whenever it has fewer than two in hand, and this one draws the others
    while it reads and measures the rows (rich takes about 1.5 ms a row, the
    loader a tenth of that). Each block's lines are written as soon as the blocks
    before them are. A process that fails or dies leaves its blocks to this one.
    """

    def __init__(
        self,
        con: Console,
        columns: Sequence[tuple[str, str] | tuple[str, str, int]],
        title: str | None,
    ) -> None:
        self.con, self.columns, self.title = con, columns, title
        self.pool: Any = None  # a gtcbrief.workers.Workers, from the second block
        #: drawn text, or a ticket of the pool's with its block
        self.pending: deque[str | tuple[int, _Block]] = deque()

    def draw(self, block: _Block) -> None:
        if self.pool is not None and self.pool.in_hand < 2:
            from gtcbrief.workers import WorkerDied

            try:
                self.pending.append((self.pool.submit(_encode(block)), block))
            except WorkerDied:
                self._lose_pool()
                self.pending.append(self.drawn(block))
        else:
            self.pending.append(self.drawn(block))
        self._write(wait=False)
        if block[2] and not block[3]:  # the first block shown, and more to come
            self._start_pool()

    def finish(self) -> None:
        self._write(wait=True)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close(kill=True)
            self.pool = None

    def drawn(self, block: _Block) -> str:
        """The lines of ``block`` as :meth:`rich.console.Console.print` writes them."""
        rows, widths, first, last, narrowed = block
        title = self.title if first else None
        table = _table(
            self.columns, rows, title=title, header=first, widths=widths, narrowed=narrowed
        )
        con = self.con
        lines = con.render_lines(table, pad=False)
        # the whole table's top edge and header come first, its bottom edge last
        with con.capture() as capture:
            con.print(_Lines(lines[0 if first else 1 : None if last else len(lines) - 1]))
        return capture.get()

    def _start_pool(self) -> None:
        from gtcbrief.forked import can_fork
        from gtcbrief.loader import fork_workers

        if self.con.legacy_windows or fork_workers() < 2 or not can_fork():
            return
        from gtcbrief.workers import Workers

        try:
            self.pool = Workers(1, lambda job: self.drawn(_decode(job)).encode(_UTF8, _LONE))
        except OSError:  # no process to spare: every block is drawn here
            self.pool = None

    def _lose_pool(self) -> None:
        """Draw here what the pool had in hand; it is gone."""
        pending = [item if isinstance(item, str) else self.drawn(item[1]) for item in self.pending]
        self.pending = deque(pending)
        self.close()

    def _write(self, *, wait: bool) -> None:
        from gtcbrief.workers import FAILED, WorkerDied

        out = self.con.file
        while self.pending:
            item = self.pending[0]
            if not isinstance(item, str):
                ticket, block = item
                try:
                    if not wait and not self.pool.done(ticket):
                        return
                    answer = self.pool.result(ticket)
                except WorkerDied:
                    self._lose_pool()
                    continue
                item = self.drawn(block) if answer is FAILED else answer.decode(_UTF8, _LONE)
            self.pending.popleft()
            out.write(item)
            out.flush()


_UTF8, _LONE = "utf-8", "surrogatepass"


def _encode(block: _Block) -> bytes:
    import marshal

    return marshal.dumps(block)


def _decode(job: bytes) -> _Block:
    import marshal

    rows, widths, first, last, narrowed = marshal.loads(job)
    return rows, widths, first, last, narrowed


def _table(
    columns: Sequence[tuple[str, str] | tuple[str, str, int]],
    rows: Iterable[Sequence[str]],
    *,
    title: str | None = None,
    header: bool = True,
    widths: Sequence[int] | None = None,
    narrowed: bool = False,
) -> Any:
    """A rich table of plain cells (never read as markup); ``widths`` fixes every
    column's width (without padding) where rich would share it out or measure it;
    ``narrowed``: the location (first column) is narrower than its cells, and folds."""
    from rich.table import Table
    from rich.text import Text

    flexible = widths is None and any(len(c) == 3 for c in columns)
    table = Table(title=title, show_lines=False, expand=flexible, show_header=header)
    for index, column in enumerate(columns):
        width = None if widths is None else widths[index]
        if index == 0:  # the location: whole, unless the layout had to narrow it
            if narrowed:
                table.add_column(column[1], overflow="fold", width=width)
            else:
                table.add_column(column[1], no_wrap=True, width=width)
        elif len(column) == 3:
            ratio = column[2] if widths is None else None
            table.add_column(column[1], overflow="fold", ratio=ratio, width=width)
        else:
            table.add_column(column[1], overflow="fold", max_width=60, width=width)
    for row in rows:
        table.add_row(*map(Text, row))
    return table


def _records(
    con: Console,
    columns: Sequence[tuple[str, str] | tuple[str, str, int]],
    rows: Iterable[Sequence[str]],
    *,
    title: str | None = None,
) -> int:
    """The rows one record at a time, for a terminal too narrow for their table (rich
    would squeeze columns to no width and drop their Chinese text): the location on a
    line of its own, then each other column's header and cell, the cell wrapped beside it."""
    from rich.table import Table
    from rich.text import Text

    if title:
        con.print(Text(title, style="bold"))
    count = 0
    for row in rows:
        if count:
            con.print()
        head = row[0] if columns[0][0] in ("where", "path") else f"{columns[0][1]} {row[0]}"
        con.print(Text(head, style="bold"), overflow="fold")
        fields = Table.grid(padding=(0, 1))  # a value wraps under itself, not the header
        fields.add_column(no_wrap=True, style="dim")
        fields.add_column(overflow="fold")
        for column, cell in list(zip(columns, row, strict=True))[1:]:
            if cell:
                fields.add_row(Text(f"  {column[1]}:"), Text(cell))
        con.print(fields)
        count += 1
    return count


#: A table cell's padding, one space each side, as rich's default.
_PAD = 2


def _widest(
    con: Console,
    columns: Sequence[tuple[str, str] | tuple[str, str, int]],
    rows: Sequence[Sequence[str]],
    fixed: Sequence[int],
    *,
    header: bool,
) -> list[int]:
    """Each column without a ratio as wide as rich would make it for ``rows`` (and its
    header), or as ``fixed`` has it if that is wider; 0 for the columns with one."""
    from rich.measure import Measurement
    from rich.text import Text

    options = con.options
    out = []
    for index, (column, width) in enumerate(zip(columns, fixed, strict=True)):
        if len(column) == 3:
            out.append(0)
            continue
        cells = [Text(row[index]) for row in rows]
        if header:
            cells.append(Text(column[1]))
        widest = max(Measurement.get(con, options, cell).maximum for cell in cells)
        out.append(max(width, widest if index == 0 else min(widest, 60)))
    return out


def _layout(
    con: Console,
    columns: Sequence[tuple[str, str] | tuple[str, str, int]],
    fixed: Sequence[int],
) -> list[int] | None:
    """Every column's width, given the ``fixed`` widths of the columns without a ratio:
    the rest of the room shared out by ratio as ``rich._ratio.ratio_distribute`` does,
    but each ratio column at least its header's width and :data:`_LEAST` cells a unit of
    its ratio. rich gives one cell, into which no Chinese character fits: rich dropped
    it, and a name was gone from the table; at two, a title was two characters a line
    and a header broke inside its word. Where
    the location (the first column) leaves too little room for that, it is narrowed
    (and folds), down to :data:`_LOCATION_LEAST`. ``None`` where the table does not fit
    even so: rich then lays it out itself."""
    from rich.cells import cell_len

    room = con.options.max_width - (len(columns) + 1)  # the borders
    weight = sum(column[2] for column in columns if len(column) == 3)
    if not weight:  # every column as wide as its cells, if they fit
        return list(fixed) if sum(fixed) + _PAD * len(fixed) <= room else None
    ratio = {i: column[2] for i, column in enumerate(columns) if len(column) == 3}
    # each ratio column's least share (padding included)
    least = {i: max(_LEAST * ratio[i], cell_len(columns[i][1])) + _PAD for i in ratio}
    others = sum(w + _PAD for i, w in enumerate(fixed) if i and i not in ratio)
    first = fixed[0]
    left = room - others - (first + _PAD)
    if left < sum(least.values()):  # the location gives up what the ratio columns lack
        first -= sum(least.values()) - left
        left = sum(least.values())
        if first < min(fixed[0], _LOCATION_LEAST):
            return None
    # the columns whose share by ratio would be under their least get it; the others
    # share the rest by ratio (rounded down, so never under their least; the cells left
    # over go one each to the first of them)
    shares: dict[int, int] = {}
    while True:
        free = [i for i in ratio if i not in shares]
        rest = left - sum(shares.values())
        free_weight = sum(ratio[i] for i in free)
        under = [i for i in free if ratio[i] * rest / free_weight < least[i]]
        if not under:
            break
        shares.update((i, least[i]) for i in under)
    for i in free:
        shares[i] = ratio[i] * rest // free_weight
    over = left - sum(shares.values())
    for i in (free or [max(ratio, key=ratio.__getitem__)]) * over:
        shares[i] += 1
        over -= 1
        if not over:
            break
    return [
        first if i == 0 else shares[i] - _PAD if i in shares else w for i, w in enumerate(fixed)
    ]


#: The fewest cells a ratio column is given for each unit of its ratio (a title of
#: ratio 5: 15 cells, seven Chinese characters a line), if its header is no wider.
_LEAST = 3
#: The narrowest the location column is made, when it must fold to leave room.
_LOCATION_LEAST = 16


class _Lines:
    """Rendered lines, printed as they are."""

    def __init__(self, lines: Sequence[Sequence[Any]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.segment import Segment

        newline = Segment.line()
        for line in self.lines:
            yield from line
            yield newline


def emit(
    records: Iterable[Mapping[str, Any]],
    fmt: str,
    *,
    csv_columns: Sequence[str],
    table_columns: Sequence[tuple[str, str] | tuple[str, str, int]],
    title: str | None = None,
    out: IO[str] | None = None,
) -> int:
    """Write records in ``fmt``; returns the record count."""
    stream = out or sys.stdout
    if fmt == "json":
        return write_json_array(records, stream)
    if fmt == "jsonl":
        return write_jsonl(records, stream)
    if fmt == "csv":
        return write_csv(records, csv_columns, stream)
    return write_table(records, table_columns, title=title)


def counting(records: Iterable[Any], counter: list[int]) -> Iterator[Any]:
    """Pass records through, counting them into ``counter[0]``."""
    for record in records:
        counter[0] += 1
        yield record
