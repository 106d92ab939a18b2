"""The grep query language and its evaluation over the index.

Query language (terms are separated by spaces; everything is case-insensitive
for Latin and indifferent to full-width/half-width and Traditional/Simplified):

=================  ==========================================================
``机器人 rag``      both terms (AND)
``"kv cache"``      a phrase: the words in this order (any whitespace between)
``a OR b``          either term (``OR`` in capitals binds the terms around it)
``-word``           entries without ``word`` (also ``-title:x``, ``-"a b"``)
``title:x``         a field filter: ``title:``, ``track:``, ``speaker:``,
                    ``org:``, ``author:``, ``desc:``; ``field:"a phrase"`` too
=================  ==========================================================

A Latin term matches whole words only (``rag`` never inside ``storage``); a
Chinese term matches anywhere (``机器人`` inside ``人形机器人``). The index
only proposes candidates; each is verified against the entry's normalised
text, so results are exactly what a substring/word scan would find, ranked
by BM25 (title hits and whole jieba words first). With ``-w``
(:attr:`Options.words`) an occurrence counts only where it starts and ends on a
word edge (:class:`gtcbrief.text.WordEdges`: no word character just outside
it, as ripgrep's ``-w`` has it, and jieba's cuts inside Chinese).

``--regex`` skips the language: the pattern is a Python regular expression
run over each entry's raw lines, under a time budget so a pathological
pattern fails with a message instead of hanging.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence

# not inside the functions: there ``from m import x`` looks for ``m.__path__``, and a
# module without one formats and drops an AttributeError each time (≈2 µs; _spans
# runs once per field of every hit in JSON)
from gtcbrief import _re_speedup
from gtcbrief.errors import GtcbriefError
from gtcbrief.index import Record, Value
from gtcbrief.text import CJK_CLASS, is_cjk, normalize, normalize_map, word_spans

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    from gtcbrief.index import Index, Unit

FIELDS = ("title", "track", "speaker", "org", "author", "desc")
#: The FTS column that proposes candidates for a field filter (verification decides).
_FTS_COLUMN = {
    "title": "title",
    "track": "body",
    "speaker": "body",
    "org": "body",
    "author": "body",
    "desc": "body",
}
#: Record fields reported with spans (JSON), with the unit attribute they come from.
REPORTED = (
    ("title", "title"),
    ("track", "topic"),
    ("speakers", "speakers"),
    ("authors", "authors"),
    ("description", "description"),
    ("implications", "implications"),
)
_QUERY_TOKEN = re.compile(r'\s*(-?)(?:([A-Za-z]+):)?(?:"([^"]*)"?|(\S+))')


class Term(Value):
    """One query term: its text, the field it is limited to, and whether it excludes."""

    __slots__ = ("text", "field", "negate", "phrase")

    def __init__(
        self, text: str, field: str | None = None, negate: bool = False, phrase: bool = False
    ) -> None:
        self.text = text
        self.field = field
        self.negate = negate
        self.phrase = phrase


class Query(Value):
    """An AND of clauses, each an OR of terms; ``excludes`` must not match."""

    __slots__ = ("clauses", "excludes")

    def __init__(
        self, clauses: tuple[tuple[Term, ...], ...], excludes: tuple[Term, ...] = ()
    ) -> None:
        self.clauses = clauses
        self.excludes = excludes


def parse_query(text: str) -> Query:
    """Parse the query language; raises :class:`GtcbriefError` on an empty query."""
    if text.count('"') % 2:
        raise GtcbriefError('unbalanced quote in the query (a phrase is "two words")')
    clauses: list[list[Term]] = []
    excludes: list[Term] = []
    pending_or = False
    pos = 0
    while pos < len(text):
        m = _QUERY_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        neg, fld, quoted, bare = m.group(1), m.group(2), m.group(3), m.group(4)
        if fld is None and bare is not None and bare.endswith(":") and bare[:-1].lower() in FIELDS:
            raise GtcbriefError(f"empty term after {bare}")
        if fld is not None and fld.lower() not in FIELDS:
            # not a field filter (``http://…``, ``C:``): the whole token is text
            bare = fld + ":" + (bare if bare is not None else f'"{quoted}"')
            quoted, fld = None, None
        if bare == "OR" and not neg and fld is None:
            if not clauses or pending_or:
                raise GtcbriefError("OR needs a term on each side")
            pending_or = True
            continue
        value = quoted if quoted is not None else (bare or "")
        if not value.strip():
            if neg or fld:
                raise GtcbriefError(f"empty term after {'-' if neg else ''}{fld or ''}:")
            continue
        term = Term(value, fld.lower() if fld else None, bool(neg), quoted is not None)
        if term.negate:
            if pending_or:
                raise GtcbriefError("OR cannot join an excluded term")
            excludes.append(term)
        elif pending_or:
            clauses[-1].append(term)
            pending_or = False
        else:
            clauses.append([term])
    if pending_or:
        raise GtcbriefError("OR needs a term on each side")
    if not clauses:
        raise GtcbriefError("the query has no term to search for (only exclusions?)")

    # a term said twice is one term (800 copies of one word made 800 FTS5 phrases and
    # 800 scans of every hit: 40 s): OR of the same, AND of the same, NOT of the same.
    # Terms are values (equal by their fields), so dict keys keep each first one.
    once = tuple(tuple(dict.fromkeys(clause)) for clause in clauses)
    return Query(tuple(dict.fromkeys(once)), tuple(dict.fromkeys(excludes)))


# ---------------------------------------------------------------- matching one term


class Matcher(Value):
    """A compiled term: finds its occurrences in normalised text."""

    __slots__ = ("term", "norm", "folded", "pattern", "plain", "words")

    def __init__(
        self,
        term: Term,
        norm: str,
        folded: str,
        pattern: re.Pattern[str],
        plain: bool,
        words: bool = False,
    ) -> None:
        self.term = term
        self.norm = norm
        self.folded = folded  # the casefolded form, which the index holds
        self.pattern = pattern
        self.plain = plain  # a plain substring test is exact
        self.words = words  # -w: only occurrences that start and end on word edges

    def found(self, norm_text: str) -> bool:
        if self.plain:
            return self.norm in norm_text
        if self.words:
            return next(word_spans(self.pattern, norm_text), None) is not None
        return self.pattern.search(norm_text) is not None

    def spans(self, norm_text: str) -> Iterator[tuple[int, int]]:
        """Where the term occurs in ``norm_text`` (possibly empty spans, unless ``words``)."""
        if self.words:
            return word_spans(self.pattern, norm_text)
        return (found.span() for found in self.pattern.finditer(norm_text))


#: Scripts written without spaces between words (Chinese, Japanese, Korean, Thai, Lao,
#: Myanmar, Khmer; full-width forms): their letters are never part of a Latin word, so a
#: Latin term beside them stands alone (``GPU`` in ``GPUを使う``, ``NVIDIA의``).
_UNSPACED_SCRIPTS = (
    ("\u0e00", "\u0eff"), ("\u1000", "\u109f"), ("\u1100", "\u11ff"), ("\u1780", "\u17ff"),
    ("\u2e80", "\ua4cf"), ("\ua960", "\ua97f"), ("\uac00", "\ud7ff"), ("\uf900", "\ufaff"),
    ("\uff00", "\uffef"), ("\U0001b000", "\U0001b2ff"), ("\U00020000", "\U0003ffff"),
)  # fmt: skip
#: A character inside a Latin word: a letter or digit of a script written with spaces
#: (``ü`` in ``Müller``: ``ller`` is not a word there). ``_`` separates words
#: (``rag_pipeline``).
_IN_WORD = "[^\\W_" + "".join(f"{lo}-{hi}" for lo, hi in _UNSPACED_SCRIPTS) + "]"


def _in_word(char: str) -> bool:
    return char.isalnum() and not any(lo <= char <= hi for lo, hi in _UNSPACED_SCRIPTS)


def compile_term(term: Term, *, fold: bool = True, words: bool = False) -> Matcher:
    norm = " ".join(normalize(term.text, fold=fold).split())
    if not norm:
        raise GtcbriefError(f"the term {term.text!r} is empty after normalisation")
    body = r"\s+".join(re.escape(w) for w in norm.split(" "))
    head = rf"(?<!{_IN_WORD})" if _in_word(norm[0]) else ""
    tail = rf"(?!{_IN_WORD})" if _in_word(norm[-1]) else ""
    plain = not head and not tail and " " not in norm
    folded = norm if fold else " ".join(normalize(term.text).split())
    if head and " " not in norm:
        # the same test after the word instead of before it: a pattern that starts with
        # its literal is found by a fast scan, one that starts with a lookbehind is tried
        # at every position (ten times slower over an entry)
        head, body = "", body + f"(?<!{_IN_WORD}{body})"
    if words:  # whole words (grep -w): each occurrence is tested where it stands
        return Matcher(term, norm, folded, _re_speedup.compile(head + body + tail), False, True)
    return Matcher(term, norm, folded, _re_speedup.compile(head + body + tail), plain)


def _char_kind(char: str) -> int:
    """1 for a Latin gram character (``[0-9a-z]``), 2 for a Chinese one, else 0."""
    if "0" <= char <= "9" or "a" <= char <= "z":
        return 1
    return 2 if is_cjk(char) else 0


def _gram_runs(norm: str) -> list[str]:
    """The runs ``text._pattern("_GRAM_RUNS")`` finds in a (short) term, without compiling it."""
    runs: list[str] = []
    start, previous = 0, 0
    for i, char in enumerate(norm):
        kind = _char_kind(char)
        if kind != previous:
            if previous:
                runs.append(norm[start:i])
            start, previous = i, kind
    if previous:
        runs.append(norm[start:])
    return runs


def _fts_phrase(norm: str) -> str | None:
    """The FTS5 phrase for one normalised term (``None`` if no gram can find it)."""
    runs = _gram_runs(norm)
    if not runs:
        return None
    parts: list[str] = []
    for i, run in enumerate(runs):
        last = i == len(runs) - 1
        if run[0] < "\u0080":
            parts.append(f'"{run}"')
        elif len(run) == 1:
            parts.append(f'"{run}"' + ("*" if last else ""))
        else:
            parts.extend(f'"{a}{b}"' for a, b in zip(run, run[1:], strict=False))
            if not last:
                parts.append(f'"{run[-1]}"')
    return " + ".join(parts)


def _covers(norm: str) -> bool:
    """Whether grams can propose every occurrence of ``norm`` (it has Latin or CJK)."""
    return any(_char_kind(c) for c in norm)


def fts_expression(matchers: Sequence[Sequence[Matcher]]) -> str | None:
    """The FTS5 MATCH expression for the positive clauses; ``None`` means scan everything."""
    parts: list[str] = []
    for clause in matchers:
        options: list[str] = []
        for m in clause:
            phrase = _fts_phrase(m.folded) if _covers(m.folded) else None
            if phrase is None:
                options = []
                break
            column = _FTS_COLUMN.get(m.term.field or "")
            if column:
                options.append(f"{column} : ({phrase})")
            else:
                options.append(f"{{title body}} : ({phrase})")
                if len(m.folded) > 1 and all(_char_kind(c) == 2 for c in m.folded):
                    options.append(f'words : "{m.folded}"')
        if options:
            parts.append("(" + " OR ".join(options) + ")")
    return " AND ".join(parts) if parts else None


# ---------------------------------------------------------------- results


class LineMatch(Record):
    __slots__ = ("line", "text", "spans")

    def __init__(self, line: int, text: str, spans: list[tuple[int, int]]) -> None:
        self.line = line
        self.text = text
        self.spans = spans


class Hit(Record):
    __slots__ = ("unit", "score", "lines", "fields")

    def __init__(
        self,
        unit: Unit,
        score: float,
        lines: list[LineMatch] | None = None,
        fields: dict[str, list[tuple[int, int]]] | None = None,
    ) -> None:
        self.unit = unit
        self.score = score
        self.lines: list[LineMatch] = [] if lines is None else lines
        self.fields: dict[str, list[tuple[int, int]]] = {} if fields is None else fields


class Options(Value):
    __slots__ = (
        "case_sensitive", "regex", "regex_timeout", "limit", "sort", "spans", "fields", "words",
    )  # fmt: skip

    def __init__(
        self,
        case_sensitive: bool = False,
        regex: bool = False,
        regex_timeout: float = 5.0,
        limit: int | None = None,
        sort: str = "rank",
        spans: bool = True,  # compute line and field spans (not needed for -l / -c)
        fields: tuple[str, ...] | None = None,  # REPORTED fields to give spans for (None: all)
        words: bool = False,  # -w: whole words only (Chinese ones as jieba cuts them)
    ) -> None:
        self.case_sensitive = case_sensitive
        self.regex = regex
        self.regex_timeout = regex_timeout
        self.limit = limit
        self.sort = sort
        self.spans = spans
        self.fields = fields
        self.words = words


def _spans(
    matchers: Sequence[Matcher], text: str, fold: bool, quick: str | None = None
) -> list[tuple[int, int]]:
    """Match spans in ``text`` (source offsets); ``quick`` is its normalised form if known."""
    if not text:
        return []
    if quick is None:
        quick = normalize(text, fold=fold)
    if not any(m.found(quick) for m in matchers):
        return []
    if len(quick) == len(text):  # one character for one: offsets carry over
        norm, where = quick, None
    else:
        norm, mapping = normalize_map(text, fold=fold)
        where = mapping
    found: list[tuple[int, int]] = []
    for m in matchers:
        for start, end in m.spans(norm):
            if end > start:
                if where is None:
                    found.append((start, end))
                else:
                    found.append((where[start], where[end - 1] + 1))
    return _merge(found)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:  # overlapping; touching ones stay two
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _line_spans(
    matchers: Sequence[Matcher], unit: Unit, spaced: bool | None = None
) -> list[LineMatch] | None:
    """The matching lines of a unit, read off one scan of its stored normalised text.

    Exactly what :func:`_spans` finds line by line, when no match can cross a
    line break (no term has a space in it) and each matching line keeps its
    length and place when normalised (it almost always does). ``None``
    otherwise: the caller then goes line by line. ``spaced``: whether a term
    has a space, if the caller knows.
    """
    text, norm = unit.text, unit.norm
    if spaced is None:
        spaced = any(" " in m.norm for m in matchers)
    if norm is None or len(norm) != len(text) or spaced:
        return None
    by_line: dict[int, list[tuple[int, int]]] = {}
    if len(matchers) == 1 and matchers[0].plain:
        # one literal: what finditer finds, line by line in order, without match objects
        needle = matchers[0].norm
        size = len(needle)
        start = norm.find(needle)
        while start >= 0:
            head = norm.rfind("\n", 0, start) + 1
            tail = norm.find("\n", start)
            if tail < 0:
                tail = len(norm)
            by_line[head] = in_line = []
            while 0 <= start < tail:
                in_line.append((start - head, start - head + size))
                start = norm.find(needle, start + size)
        heads: Iterable[int] = by_line
    else:
        for m in matchers:
            last = -1  # the previous span's start, whose line starts at ``head``
            head = 0
            for start, end in m.spans(norm):
                if end <= start:
                    continue
                if not (0 <= last <= start and norm.find("\n", last, start) < 0):
                    head = norm.rfind("\n", 0, start) + 1  # (once a line, not once a span)
                last = start
                spans = by_line.get(head)
                if spans is None:
                    by_line[head] = spans = []
                spans.append((start - head, end - head))
        heads = sorted(by_line)
    out: list[LineMatch] = []
    # line numbers counted on from the last matching line, not from the top for each
    # (a unit with 80,000 matching lines took 20 s)
    counted = number = text_number = 0
    for head in heads:
        tail = norm.find("\n", head)
        if tail < 0:
            tail = len(norm)
        number += norm.count("\n", counted, head)
        text_number += text.count("\n", counted, head)
        counted = head
        if (
            (head and text[head - 1] != "\n")
            or (tail < len(text) and text[tail] != "\n")
            or text.count("\n", head, tail)
            or text_number != number
        ):
            return None  # lines moved when normalised
        spans = by_line[head]
        out.append(
            LineMatch(
                unit.line + number, text[head:tail], spans if len(spans) == 1 else _merge(spans)
            )
        )
    return out


def _annotate(
    hit: Hit,
    matchers: Sequence[Matcher],
    fold: bool,
    fields: tuple[str, ...] | None = None,
    spaced: bool | None = None,
) -> None:
    """Fill in ``hit``'s matching lines, and the spans of the ``fields`` asked for:
    every term marked wherever it is found (:func:`_annotate_by_field` for a query
    with field filters)."""
    unit = hit.unit
    quick = _line_spans(matchers, unit, spaced) if fold else None
    if quick is not None:
        hit.lines = quick
        if fields != ():
            _annotate_fields(hit, matchers, fold, fields)
        return
    lines = unit.text.split("\n")
    normal: list[str] | None = None
    if fold and unit.norm is not None:
        # normalising never adds or removes a line feed, so the stored form splits alike
        normal = unit.norm.split("\n")
        if len(normal) != len(lines):
            normal = None
    crossing: dict[int, list[tuple[int, int]]] = {}  # the lines of a phrase across lines
    matched: set[int] | None = None
    if normal is not None and unit.norm is not None:
        matched, crossing = _lines_matched(matchers, unit.norm, normal, lines)
    elif spaced is not False and any(" " in m.norm for m in matchers):
        source = normalize(unit.text, fold=fold)  # (as _spans reads each line)
        split = source.split("\n")
        if len(split) == len(lines):
            _, crossing = _lines_matched(matchers, source, split, lines)
    candidates = sorted(matched | crossing.keys()) if matched is not None else range(len(lines))
    for n in candidates:
        spans = _spans(matchers, lines[n], fold, normal[n] if normal is not None else None)
        if n in crossing:
            spans = _merge(spans + crossing[n])
        if spans:
            hit.lines.append(LineMatch(unit.line + n, lines[n], spans))
    _annotate_fields(hit, matchers, fold, fields)


def _lines_matched(
    matchers: Sequence[Matcher], source: str, split: list[str], lines: list[str]
) -> tuple[set[int], dict[int, list[tuple[int, int]]]]:
    """The lines (0-based) where a match in ``source`` (a unit's normalised text, ``split``
    into its lines) starts, and each line's part of a match across line breaks (a phrase
    with a line break for a space), as spans of ``lines`` (the unit's own)."""
    import bisect

    starts = [0]
    for line in split[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    matched: set[int] = set()
    crossing: dict[int, list[tuple[int, int]]] = {}
    for m in matchers:
        for start, end in m.spans(source):
            first = bisect.bisect_right(starts, start) - 1
            matched.add(first)
            last = bisect.bisect_right(starts, end - 1) - 1
            for n in range(first, last + 1) if last > first else ():
                part = _part(start, end, starts[n], split[n], lines[n])
                if part is not None:  # (not a blank line between paragraphs)
                    crossing.setdefault(n, []).append(part)
    return matched, crossing


def _part(start: int, end: int, at: int, normal: str, line: str) -> tuple[int, int] | None:
    """A line's part of the span ``[start, end)`` of its unit's normalised text (the line
    starts at ``at`` there, and is ``normal`` normalised), without the spaces at its ends;
    all of the line where normalising changed its length (the places differ then);
    ``None`` where the part is only spaces."""
    if len(normal) != len(line):
        return (0, len(line)) if line.strip() else None
    lo, hi = max(start, at) - at, min(end, at + len(normal)) - at
    while lo < hi and line[lo].isspace():
        lo += 1
    while hi > lo and line[hi - 1].isspace():
        hi -= 1
    return (lo, hi) if hi > lo else None


#: The reported fields (:data:`REPORTED`) a field filter's term is marked in.
_MARKED_IN = {
    "title": ("title",),
    "track": ("track",),
    "speaker": ("speakers",),
    "org": ("speakers",),
    "author": ("authors",),
    "desc": ("description",),
}


def _annotate_by_field(
    hit: Hit,
    matchers: Sequence[Matcher],
    fold: bool,
    fields: tuple[str, ...] | None,
    spaced: bool | None,
) -> None:
    """:func:`_annotate` for a query with field filters: the terms of each field (and
    the free terms) marked apart, each field's kept to its own lines and fields
    (``title:机器人`` is marked in the title, not in a description that also says it)."""
    unit = hit.unit
    groups: dict[str | None, list[Matcher]] = {}
    for m in matchers:
        groups.setdefault(m.term.field, []).append(m)
    lines: dict[int, LineMatch] = {}
    marked: dict[str, list[tuple[int, int]]] = {}
    for field, group in groups.items():
        part = Hit(unit, hit.score)
        _annotate(part, group, fold, fields, spaced)
        for found in part.lines:
            if field is not None and not _in_field(unit, field, found):
                continue
            known = lines.get(found.line)
            if known is None:
                lines[found.line] = found
            else:
                known.spans = _merge(known.spans + found.spans)
        for name, spans in part.fields.items():
            if field is None or name in _MARKED_IN[field]:
                marked[name] = _merge(marked.get(name, []) + spans)
    hit.lines = [lines[n] for n in sorted(lines)]
    hit.fields = {name: marked[name] for name, _attr in REPORTED if name in marked}


def _in_field(unit: Unit, field: str, line: LineMatch) -> bool:
    """Whether ``line`` of ``unit`` holds (part of) the text of ``field``."""
    if field == "title":
        return unit.heading and line.line == unit.line
    # an organisation is read off the speakers' line, which is what has to be found
    value = unit.field_text("speaker" if field == "org" else field)
    if not value:
        return False
    text = line.text.strip()
    if text and text in value:  # a line of a longer field (a description's)
        return True
    return any(piece.strip() in text for piece in value.split("\n") if piece.strip())


def _annotate_fields(
    hit: Hit, matchers: Sequence[Matcher], fold: bool, fields: tuple[str, ...] | None
) -> None:
    if fields == ():
        return
    unit = hit.unit
    for name, attr in REPORTED:
        if fields is not None and name not in fields:
            continue
        value = getattr(unit, attr)
        spans = _spans(matchers, value or "", fold)
        if spans:
            hit.fields[name] = spans


#: The unit attribute a field filter reads (see :meth:`gtcbrief.index.Unit.field_text`).
_FIELD_ATTR = {
    "title": "title",
    "track": "topic",
    "speaker": "speakers",
    "org": "orgs",
    "author": "authors",
    "desc": "description",
}


def _positives(clauses: Sequence[Sequence[Matcher]]) -> list[Matcher]:
    return [m for clause in clauses for m in clause]


def ranking(index: Index, query: str, options: Options) -> list[tuple[int, float]] | None:
    """The candidates :func:`search` would go through, best first (in PATHS order with
    ``--sort path``), as (unit id, score); ``None`` when it would not rank them
    (``--regex``, a term no gram can find). Verification still decides which of them
    match."""
    if options.regex:
        return None
    parsed = parse_query(query)
    fold, words = not options.case_sensitive, options.words
    expression = fts_expression(
        [[compile_term(t, fold=fold, words=words) for t in clause] for clause in parsed.clauses]
    )
    return None if expression is None else index.rank(expression, by_path=options.sort == "path")


def search(
    index: Index,
    query: str,
    options: Options,
    ranked: Sequence[tuple[int, float]] | None = None,
) -> Iterator[Hit]:
    """The entries matching ``query``, best first (or in file order with ``sort='path'``).

    ``ranked``: go through these candidates (a part of :func:`ranking`), in that
    order, instead.
    """
    if options.regex:
        yield from _regex_scan(index, query, options)
        return
    parsed = parse_query(query)
    fold, words = not options.case_sensitive, options.words
    clauses = [
        [compile_term(t, fold=fold, words=words) for t in clause] for clause in parsed.clauses
    ]
    excludes = [compile_term(t, fold=fold, words=words) for t in parsed.excludes]
    expression = fts_expression(clauses)
    with_text = options.spans or not fold
    # the optional unit fields anything below reads: filters, and the spans asked for
    wanted = {_FIELD_ATTR[m.term.field] for m in (*_positives(clauses), *excludes) if m.term.field}
    if options.spans:
        if "orgs" in wanted:  # an organisation's term is marked on the speakers' line
            wanted.add("speakers")
        if options.fields is None:
            wanted.update(attr for _name, attr in REPORTED)
        else:
            wanted.update(attr for name, attr in REPORTED if name in options.fields)
    units: Iterable[Unit]
    if ranked is not None:
        units = index.fetch(ranked, with_text=with_text, fields=wanted)
    elif expression:
        ranked = index.rank(expression, by_path=options.sort == "path")
        units = index.fetch(ranked, with_text=with_text, fields=wanted)
    else:
        units = index.all_units(with_text=with_text, fields=wanted)
        if options.sort == "path":
            order = index.order()
            units = sorted(units, key=lambda u: (order.get(u.file_id, 0), u.line))
    texts: dict[str | None, str] = {}
    emitted = 0
    positives = _positives(clauses)
    # the usual case: every term on the whole unit, decided on its stored normalised text
    whole = fold and not any(m.term.field for m in (*positives, *excludes))
    # the commonest query of all, one term: tested without the generators around it
    single = positives[0] if len(positives) == 1 and len(clauses) == 1 and not excludes else None
    spaced = any(" " in m.norm for m in positives)
    annotate = _annotate_by_field if any(m.term.field for m in positives) else _annotate
    if whole and single is not None and single.plain:
        # and the commonest of those, a plain term (most Chinese ones): the loop below,
        # without what the term and the options have already decided
        needle, spans, fields, limit = single.norm, options.spans, options.fields, options.limit
        for unit in units:
            norm = unit.norm
            if needle not in (normalize(unit.text) if norm is None else norm):
                continue
            hit = Hit(unit, unit.score)
            if spans:
                _annotate(hit, positives, True, fields, spaced)
            yield hit
            emitted += 1
            if limit is not None and emitted >= limit:
                return
        return
    for unit in units:
        norm = unit.norm
        if whole and norm is not None:
            if single is not None:
                if not single.found(norm):
                    continue
            elif not all(any(m.found(norm) for m in clause) for clause in clauses) or any(
                m.found(norm) for m in excludes
            ):
                continue
        else:
            texts.clear()

            def text_of(name: str | None, unit: Unit = unit) -> str:
                if name not in texts:
                    if name is None and fold and unit.norm is not None:
                        texts[name] = unit.norm
                    else:
                        texts[name] = normalize(unit.field_text(name), fold=fold)
                return texts[name]

            if not all(any(m.found(text_of(m.term.field)) for m in clause) for clause in clauses):
                continue
            if any(m.found(text_of(m.term.field)) for m in excludes):
                continue
        hit = Hit(unit, unit.score)
        if options.spans:
            annotate(hit, positives, fold, options.fields, spaced)
        yield hit
        emitted += 1
        if options.limit is not None and emitted >= options.limit:
            return


# ---------------------------------------------------------------- --regex


class RegexTimeout(Exception):
    pass


def _deadline(seconds: float) -> AbstractContextManager[Callable[[], None]]:
    """Interrupt the regex engine after ``seconds`` (it checks signals while matching);
    the callable it gives starts the ``seconds`` again (for the next entry).

    ``contextlib`` is imported here: only ``--regex`` needs it (≈1 ms of every grep).
    """
    import contextlib

    return contextlib.contextmanager(_interrupted)(seconds)


def _interrupted(seconds: float) -> Iterator[Callable[[], None]]:
    import signal  # here: only --regex needs it (with threading, ≈1 ms of every grep)
    import threading

    usable = (
        0 < seconds < 1e8  # a longer limit (up to inf) is none: the timer cannot hold it
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield lambda: None
        return

    def expire(_signum: int, _frame: object) -> None:
        raise RegexTimeout

    def again() -> None:
        signal.setitimer(signal.ITIMER_REAL, seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    again()
    try:
        yield again
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: Where a whole word may start and end (``grep -w --regex``), short of Chinese: no
#: word character just outside it, unless one side is Chinese, which
#: :func:`gtcbrief.text.word_spans` then judges with jieba's cuts.
_OPENS = rf"(?:(?<![^\W{CJK_CLASS}])|(?=[{CJK_CLASS}]))"
_CLOSES = rf"(?:(?![^\W{CJK_CLASS}])|(?<=[{CJK_CLASS}]))"


def compile_regex(pattern: str, *, case_sensitive: bool, words: bool = False) -> re.Pattern[str]:
    """``pattern`` compiled; with ``words``, held to word edges as ripgrep's ``-w`` does,
    so that ``foo|foobar`` finds ``foobar`` where ``foo`` ends inside a word."""
    if len(pattern) > 1000:
        raise GtcbriefError("the regular expression is longer than 1000 characters")
    try:
        compiled = re.compile(pattern, 0 if case_sensitive else re.IGNORECASE)
        if words:
            # global flags, (?i), must stay first
            flags = re.match(r"(?:\(\?[aiLmsux]+\))*", pattern)
            cut = flags.end() if flags else 0
            # (a verbose pattern may end in a comment: the group closes on a line of its own)
            close = "\n)" if compiled.flags & re.VERBOSE else ")"
            compiled = re.compile(
                f"{pattern[:cut]}{_OPENS}(?:{pattern[cut:]}{close}{_CLOSES}", compiled.flags
            )
        return compiled
    except re.error as exc:
        raise GtcbriefError(f"bad regular expression: {exc}") from None


def _regex_scan(index: Index, pattern: str, options: Options) -> Iterator[Hit]:
    rx = compile_regex(pattern, case_sensitive=options.case_sensitive, words=options.words)

    def spans_of(text: str) -> list[tuple[int, int]]:
        if options.words:
            return list(word_spans(rx, text))
        found = [(m.start(), m.end()) for m in rx.finditer(text)]
        marked = [(start, end) for start, end in found if end > start]
        # a pattern that matches only empty text (^$, a lookahead) still matches the line:
        # where it first matched, as an empty span
        return marked or found[:1]

    started = time.perf_counter()
    emitted = 0
    hits: list[Hit] = []
    try:
        with _deadline(options.regex_timeout) as again:
            for unit in index.all_units():
                again()  # a time limit for each entry: a whole corpus of '.' takes longer
                hit = Hit(unit, 0.0)
                for n, line in enumerate(unit.text.split("\n")):
                    spans = spans_of(line)
                    if spans:
                        hit.lines.append(LineMatch(unit.line + n, line, spans))
                if hit.lines:
                    for name, attr in REPORTED:
                        value = getattr(unit, attr) or ""
                        spans = spans_of(value)
                        if spans:
                            hit.fields[name] = spans
                    hits.append(hit)
                    emitted += 1
                    if options.limit is not None and emitted >= options.limit:
                        break
    except RegexTimeout:
        raise GtcbriefError(
            f"the regular expression ran longer than {options.regex_timeout:g} s on one entry "
            f"(after {time.perf_counter() - started:.1f} s; nested repetition such as (a+)+ "
            "backtracks catastrophically): simplify it or raise --regex-timeout"
        ) from None
    yield from hits
