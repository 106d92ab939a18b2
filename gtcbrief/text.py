"""Text normalisation and tokenising, shared by the index, search, mismatch and dedupe.

* :func:`normalize`: NFKC (full-width → half-width), case folding for Latin,
  and Traditional → Simplified Chinese one character at a time (OpenCC's
  table, shipped in ``gtcbrief/data/t2s.txt``), so ``數據`` and ``数据`` are
  the same text. The conversion is context-free and keeps lengths, so a
  substring of the original is a substring of the normalised text.
* :func:`tokens`: words. Latin/digit runs stay whole (``TensorRT-LLM``,
  ``RAG``: so ``RAG`` never matches inside ``storage``); Chinese runs are
  segmented by jieba (precise mode, HMM off, so the result is deterministic
  and identical across jieba-compatible backends) with a domain user
  dictionary shipped in ``gtcbrief/data/userdict.txt``.
* :func:`search_tokens`: jieba's search mode (adds the shorter words inside
  long ones) for recall.
* :func:`cjk_bigrams`: character bigrams of Chinese runs, the recall net for
  queries jieba segments differently from the text.
* :func:`gram_tokens`: what the full-text index stores for recall: Latin
  word parts and Chinese bigrams (plus each run's last character), in text
  order, so any Chinese substring is a phrase of adjacent bigrams.

The segmenter is jieba (the reference) or rjieba (jieba-rs: the same
dictionary and algorithm, ten times faster; identical tokens with HMM off,
which a test checks). ``GTCBRIEF_SEGMENTER=jieba|rjieba|auto`` chooses;
``auto`` takes rjieba when it is installed. Both are imported lazily and
silently; jieba's cache lives in the user's cache directory (never a shared
``/tmp`` file).
"""

from __future__ import annotations

import operator
import os
import re
import unicodedata
from functools import cache, lru_cache
from itertools import accumulate

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path
    from typing import Any

    import numpy as np
    from numpy.typing import NDArray

#: The Chinese characters (CJK unified ideographs, extension A, compatibility ideographs).
CJK_RANGES = (("\u3400", "\u4dbf"), ("\u4e00", "\u9fff"), ("\uf900", "\ufaff"))
#: :data:`CJK_RANGES` as the inside of a regex character class (``[{CJK_CLASS}]``).
CJK_CLASS = "".join(f"{lo}-{hi}" for lo, hi in CJK_RANGES)
#: A Latin word of normalised text (``tensorrt-llm``, ``c++``), as ``_RUNS`` finds it.
_LATIN = r"[0-9a-z]+(?:[._+#/-][0-9a-z]+)*[+#]*"
#: Compiled on first use (:func:`_pattern`): a class of 28,000 characters takes
#: milliseconds to compile, which a query that never segments need not pay. Not a
#: module ``__getattr__``: every ``from gtcbrief.text import …`` inside a function
#: looks up ``__path__`` on the module, and that fallback ran and raised an
#: AttributeError each time (≈3 µs; 3,600 times in a ``grep --format jsonl`` with
#: 600 hits). Without one, Python 3.11 still makes and drops an AttributeError for
#: any module without ``__path__`` (≈1 µs): code run per entry imports at the top.
_PATTERNS = {
    "_RUNS": rf"(?P<latin>{_LATIN})|(?P<cjk>[{CJK_CLASS}]+)",
    "_LATIN": _LATIN,
    "_GRAM_RUNS": rf"[0-9a-z]+|[{CJK_CLASS}]+",
    "_CJK_CHAR": rf"[{CJK_CLASS}]",
    "_CJK_RUN": rf"[{CJK_CLASS}]+",
}


@cache
def _pattern(name: str) -> re.Pattern[str]:
    from gtcbrief import _re_speedup

    return _re_speedup.compile(_PATTERNS[name])


SEGMENTERS = ("jieba", "rjieba")

_tokenizer: Any = None
_backend: str | None = None
_t2s: dict[int, int] | None = None


def cache_dir() -> Path:
    """``$GTCBRIEF_CACHE_DIR``, else ``$XDG_CACHE_HOME/gtcbrief``, else ``~/.cache/gtcbrief``."""
    from pathlib import Path

    return Path(cache_root())


def cache_root() -> str:
    """:func:`cache_dir` as a string, for a warm ``grep`` that does not import ``pathlib``."""
    explicit = os.environ.get("GTCBRIEF_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):  # the XDG rule: a relative one is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "gtcbrief")


#: A file :func:`keep_file` wrote is removed by the next one it replaces only once unused
#: this long: two installs sharing the cache directory (pre-commit's environment and an
#: analyst's) each keep their own instead of rebuilding it on every alternation.
KEPT_DAYS = 30
_DAY = 86400.0


def keep_file(path: str, data: bytes, *, replacing: str = "") -> bool:
    """Write a file of the cache directory atomically; if it cannot be written,
    nothing (what it keeps is made again next time). Once written, the folder's
    other files whose names start with ``replacing`` (made for other inputs: an
    earlier format, another install) are removed if unused for :data:`KEPT_DAYS`
    (see :func:`kept_file_used`). Whether it was written."""
    import tempfile  # (not at import: it costs every command a few milliseconds)

    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
    if replacing:
        import time

        name = os.path.basename(path)
        cutoff = time.time() - KEPT_DAYS * _DAY
        try:
            for other in os.scandir(folder):
                if other.name.startswith(replacing) and other.name != name:
                    if other.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(other.path)
        except OSError:
            pass
    return True


def kept_file_used(path: str) -> None:
    """Mark a file :func:`keep_file` wrote as used (its time, at most once a day), so
    that a file replacing it while it is still in use leaves it. The document cache
    marks its entries alike (:meth:`gtcbrief.cache.BlobStore.get`), with the same 30
    days: this module does not import that one, which a warm ``grep`` does not load."""
    import time

    try:
        if time.time() - os.stat(path).st_mtime > _DAY:
            os.utime(path)
    except OSError:
        pass


def user_dict_path() -> Path:
    from pathlib import Path

    return Path(__file__).parent / "data" / "userdict.txt"


def _user_words() -> list[tuple[str, int | None, str | None]]:
    words: list[tuple[str, int | None, str | None]] = []
    with open(user_dict_path(), encoding="utf-8") as fh:
        for line in fh:
            parts = line.strip().split()
            if not parts or parts[0].startswith("#"):
                continue
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
            words.append((parts[0], freq, tag))
    return words


def segmenter() -> str:
    """The segmenter :func:`tokens` uses: ``rjieba`` or ``jieba`` (see the module doc)."""
    global _backend
    if _backend is None:
        wanted = os.environ.get("GTCBRIEF_SEGMENTER", "auto").strip().lower() or "auto"
        if wanted not in ("auto", *SEGMENTERS):
            from gtcbrief.errors import GtcbriefError

            raise GtcbriefError(f"GTCBRIEF_SEGMENTER must be auto, jieba or rjieba, not {wanted!r}")
        if wanted == "auto":
            wanted = "rjieba" if _installed("rjieba") else "jieba"
        elif not _installed(wanted):  # asked for by name: say so, not a traceback
            from gtcbrief.errors import GtcbriefError

            raise GtcbriefError(
                f"GTCBRIEF_SEGMENTER={wanted}, but {wanted} is not installed "
                f"(pip install {wanted}, or GTCBRIEF_SEGMENTER=auto)"
            )
        _backend = wanted
    return _backend


def _installed(name: str) -> bool:
    """Whether the top-level module ``name`` can be imported, without importing it (importing
    rjieba loads its dictionary, 0.1 s): ``importlib.util.find_spec`` for a top-level name,
    without importing ``importlib.util`` (about a millisecond of a warm grep)."""
    import sys

    if name in sys.modules:
        return True
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is not None and find(name, None) is not None:
            return True
    return False


def _load_jieba() -> Any:
    import logging

    import jieba

    jieba.setLogLevel(logging.ERROR)
    tok = jieba.Tokenizer()
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tok.tmp_dir = str(folder)
    except OSError:
        tok.tmp_dir = None  # jieba then works without a cache file
    tok.initialize()
    for word, freq, tag in _user_words():
        tok.add_word(word, freq, tag)
    return tok


def _load_rjieba() -> Any:
    """rjieba's own segmenter, with the user dictionary.

    Importing rjieba makes a segmenter for its module-level functions (``cut``,
    ``add_word`` …: its dictionary, about 0.12 s); those functions are used here,
    as ``tok.cut`` and so on, instead of paying for a second one.
    """
    import rjieba

    for word, freq, tag in _user_words():
        rjieba.add_word(word, freq, tag)
    return rjieba


def _jieba() -> Any:
    """The shared segmenter, initialised once, quietly (jieba or rjieba, same calls)."""
    global _tokenizer
    if _tokenizer is None:
        _tokenizer = _load_rjieba() if segmenter() == "rjieba" else _load_jieba()
    return _tokenizer


def _t2s_table() -> dict[int, int]:
    global _t2s
    if _t2s is None:
        path = os.path.join(os.path.dirname(__file__), "data", "t2s.txt")
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        _t2s = {ord(pair[0]): ord(pair[1]) for pair in lines if len(pair) == 2 and pair[0] != "#"}
    return _t2s


def to_simplified(text: str) -> str:
    """Traditional → Simplified, character by character (lengths never change)."""
    if text.isascii():
        return text
    return text.translate(_t2s_table())


#: Blocks whose characters NFKC rewrites often in Chinese text (full-width forms,
#: ellipses, enclosed and compatibility ideographs, Kangxi radicals …).
_NFKC_BLOCKS = (
    (0x2000, 0x206F), (0x2100, 0x218F), (0x2460, 0x24FF), (0x2E80, 0x2FDF), (0x3000, 0x303F),
    (0x3200, 0x33FF), (0xF900, 0xFAFF), (0xFE30, 0xFE6F), (0xFF00, 0xFFEF),
)  # fmt: skip
_fast: dict[int, str] | None = None


def _fast_table() -> dict[int, str]:
    """One ``str.translate`` table doing NFKC's rewrites of those blocks and T→S at once.

    Each entry is ``to_simplified(NFKC(c))``, so ``NFKC(translate(x))`` equals
    ``to_simplified(NFKC(x))``, and NFKC then usually finds nothing left to do
    (its quick check), which makes :func:`normalize` about twice as fast.
    """
    global _fast
    if _fast is None:
        table: dict[int, str] = {k: chr(v) for k, v in _t2s_table().items()}
        for lo, hi in _NFKC_BLOCKS:
            for code in range(lo, hi + 1):
                char = chr(code)
                mapped = unicodedata.normalize("NFKC", char)
                if mapped != char:
                    table[code] = to_simplified(mapped)
        _fast = table
    return _fast


class _Rewrites(dict[str, str]):
    """:func:`_fast_table` by character; a character not in it stands for itself."""

    def __missing__(self, char: str) -> str:
        return char


_rewrite_fn: Callable[[re.Match[str]], str] | None = None


def _rewrite() -> Callable[[re.Match[str]], str]:
    """What :func:`_changing` matched, rewritten as :func:`_fast_table` says: with
    ``re.sub`` the same as ``str.translate`` with the table, in two thirds of the time
    (a description has a dozen such characters in three hundred: ``translate`` looks
    up every character, the pattern scans past the others)."""
    global _rewrite_fn
    if _rewrite_fn is None:
        get = _Rewrites((chr(code), value) for code, value in _fast_table().items()).__getitem__
        _rewrite_fn = lambda match: get(match[0])  # noqa: E731
    return _rewrite_fn


_changing_re: re.Pattern[str] | None = None


def _changing() -> re.Pattern[str]:
    """A pattern matching any character :func:`_fast_table` rewrites (and any beyond the
    BMP): a text without one is its own translation, found by one scan instead of a
    table look-up per character (most text normalised again, as descriptions are,
    has none)."""
    global _changing_re
    if _changing_re is None:
        # Characters past the BMP (a few Traditional ones) all count as rewritten: a
        # class within the BMP is one look-up a character, one beyond it a range scan.
        ranges = ["\U00010000-\U0010ffff"]
        codes = sorted(code for code in _fast_table() if code < 0x10000)
        start = prev = codes[0]
        for code in [*codes[1:], -1]:
            if code == prev + 1:
                prev = code
                continue
            ranges.append(
                re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else "")
            )
            start = prev = code
        from gtcbrief import _re_speedup

        _changing_re = _re_speedup.compile("[" + "".join(ranges) + "]")
    return _changing_re


#: Texts up to this long (a query's terms) are normalised without building the table (~10 ms).
_SHORT = 64
#: Characters of longer texts normalised one at a time before the table is built. Building
#: it and the pattern of what it rewrites takes about 22 ms, a seventh of validating one
#: brief, which normalises 4,000–20,000 characters of long texts (warm or cold; 1–5 ms
#: one at a time); a run over a corpus builds it once this many have gone by (≈7 ms).
_UNTABLED = 30_000
_untabled = 0


@lru_cache(maxsize=4096)
def _fast_char(char: str) -> str:
    """``char.translate(_fast_table())``, worked out for the one character."""
    code = ord(char)
    for lo, hi in _NFKC_BLOCKS:
        if lo <= code <= hi:
            mapped = unicodedata.normalize("NFKC", char)
            if mapped != char:
                return to_simplified(mapped)
            break
    simple = _t2s_table().get(code)
    return char if simple is None else chr(simple)


def normalize(text: str, *, fold: bool = True) -> str:
    """NFKC, case folding and Simplified Chinese: ``ＲＡＧ``/``rag`` and ``數據``/``数据`` agree.

    ``fold=False`` keeps Latin case (for case-sensitive matching).
    """
    global _untabled
    if text.isascii():
        return text.casefold() if fold else text
    if _fast is None and (len(text) <= _SHORT or _untabled + len(text) <= _UNTABLED):
        if len(text) > _SHORT:
            _untabled += len(text)
        out = "".join(map(_fast_char, text))  # what the table would give, without building it
    else:
        out = _changing().sub(_rewrite(), text)
    if not unicodedata.is_normalized("NFKC", out):
        # characters outside the table's blocks: NFKC may produce Traditional ones
        out = to_simplified(unicodedata.normalize("NFKC", out))
    return out.casefold() if fold else out


def normalize_map(text: str, *, fold: bool = True) -> tuple[str, list[int]]:
    """:func:`normalize` with, for each output character, the index of its source character.

    The map has one extra item (``len(text)``) so an end offset maps too. When
    normalising changes the length (``…`` becomes ``...``, ``ß`` becomes ``ss``),
    characters are normalised one at a time, so a combining sequence may differ
    from :func:`normalize`; callers use this for highlighting, not for deciding matches.
    """
    norm = normalize(text, fold=fold)
    if len(norm) == len(text):
        return norm, [*range(len(text) + 1)]
    pieces: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        piece = _char_piece(char, fold) if char >= "\u0080" else (char.lower() if fold else char)
        pieces.append(piece)
        if len(piece) == 1:
            where.append(index)
        else:
            where.extend([index] * len(piece))
    where.append(len(text))
    return to_simplified("".join(pieces)), where


@lru_cache(maxsize=8192)
def _char_piece(char: str, fold: bool) -> str:
    piece = unicodedata.normalize("NFKC", char)
    return piece.casefold() if fold else piece


@lru_cache(maxsize=4096)
def _cut(run: str, search: bool) -> tuple[str, ...]:
    tok = _jieba()
    if segmenter() == "rjieba":
        return tuple(tok.cut_for_search(run, False) if search else tok.cut(run, False))
    if search:
        return tuple(tok.cut_for_search(run, HMM=False))
    return tuple(tok.cut(run, HMM=False))


def tokens(text: str, *, search: bool = False) -> list[str]:
    """Normalised word tokens of ``text`` (punctuation and spaces dropped)."""
    return normalized_tokens(normalize(text), search=search)


def normalized_tokens(norm: str, *, search: bool = False) -> list[str]:
    """:func:`tokens` of text that is already :func:`normalize`-d."""
    out: list[str] = []
    for match in _pattern("_RUNS").finditer(norm):
        latin = match.group("latin")
        if latin is not None:
            out.append(latin)
        else:
            out.extend(_cut(match.group("cjk"), search))
    return out


def search_tokens(text: str) -> list[str]:
    """Tokens for indexing: jieba search mode, so ``人形机器人`` also yields ``机器人``."""
    return tokens(text, search=True)


def cjk_bigrams(text: str) -> list[str]:
    """Character bigrams of each Chinese run (a one-character run is kept as is)."""
    if text.isascii():  # no Chinese (its normal form stays ASCII): most titles, speakers
        return []
    out: list[str] = []
    for match in _pattern("_RUNS").finditer(normalize(text)):
        run = match.group("cjk")
        if run is None:
            continue
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


#: What writers leave in a section they will fill in later: ``待补充``, ``TBD``, ``略``.
_PLACEHOLDER = re.compile(
    r"[\s（(【\[]*(?:待补充|待补|待定|待更新|待完善|暂无|无|略|空|tbd|todo|tba|n/?a|none|xxx+|"
    r"\.{3}|…+|-+|—+)[\s）)】\].。!！]*",
    re.IGNORECASE,
)


_TRACK_SPLIT = re.compile(r"\s+[-–—]\s+")


def split_track(topic: str) -> tuple[str, str | None]:
    """A 主题 line as (track, subtopic): ``Robotics - Robotics Simulation`` is
    ``("Robotics", "Robotics Simulation")``; without a `` - `` it is all track."""
    parts = _TRACK_SPLIT.split(topic, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return parts[0].strip(), parts[1].strip()
    return topic.strip(), None


@cache
def _elsewhere() -> re.Pattern[str]:
    """A section that only sends the reader elsewhere: ``见附件``, ``内容较多，详见附件中的
    PPT``; compiled when first asked (0.5 ms that a warm grep never needs)."""
    # the pointer opens the text or a clause of it (演示中可以看见视频流… is a sentence)
    return re.compile(
        r"(?:[^。\n]{0,12}[，,；;：:]\s*)?(?:详|请)?(?:见|参见|参考)"
        r"(?:附件|附录|ppt|slides?|录音|视频|原文|链接)[^。\n]{0,24}[。.!！]?",
        re.IGNORECASE,
    )


def is_placeholder(text: str) -> bool:
    """``text`` says nothing yet: a placeholder for a section still to be written, or
    a line that only points elsewhere (``见附件``: several entries' copies of it were a
    cluster of 'copied descriptions' to dedupe)."""
    if len(text) <= 12 and _PLACEHOLDER.fullmatch(text) is not None:
        return True
    return len(text) <= 40 and _elsewhere().fullmatch(text) is not None


def written(text: str | None) -> str | None:
    """``text`` stripped, or ``None`` where nothing is written yet (empty, or only a
    placeholder such as ``待补充``): what scoring, dedupe, stats and GB206 count as a
    description."""
    text = text.strip() if text else ""
    return None if not text or is_placeholder(text) else text


def is_cjk(char: str) -> bool:
    """Whether one character is Chinese (:data:`CJK_RANGES`): compared, not matched, as
    it is asked of every character beside a ``grep -w`` match."""
    return any(lo <= char <= hi for lo, hi in CJK_RANGES)


def _wordy(char: str) -> bool:
    """A character of a word, as ``\\w`` has it: letters, digits, ``_``, Chinese."""
    return char.isalnum() or char == "_"


@lru_cache(maxsize=4096)
def _cuts(run: str) -> tuple[int, ...]:
    """Offsets inside a Chinese run where jieba's precise mode ends a word, in order."""
    norm = normalize(run)
    pieces = _cut(norm if len(norm) == len(run) else run, False)
    return tuple(accumulate(len(piece) for piece in pieces))


class WordEdges:
    """Where a whole word may start and end in one text (``grep -w``).

    As ripgrep's ``-w`` has it, a match is a word when the characters just
    outside it are not word characters (``\\w``: letters, digits, ``_``).
    Chinese has no spaces between its words, so inside a run of Chinese an
    edge is where jieba (precise mode, no HMM, the user dictionary) ends a
    word, and Chinese beside a Latin letter or digit is an edge, as jieba cuts
    there. The runs of the text are found once and each is cut once, however
    many matches are tested (a test per match that walked its run again was
    quadratic in a long run).
    """

    __slots__ = ("text", "runs", "heads", "cut")

    def __init__(self, text: str) -> None:
        self.text = text
        self.runs: list[tuple[int, int]] | None = None
        self.heads: list[int] = []
        self.cut: dict[int, tuple[int, ...]] = {}

    def _run(self, at: int) -> tuple[int, tuple[int, ...]]:
        """(start, jieba's cuts) of the Chinese run around offset ``at``."""
        import bisect

        if self.runs is None:
            self.runs = [m.span() for m in _pattern("_CJK_RUN").finditer(self.text)]
            self.heads = [start for start, _end in self.runs]
        start, end = self.runs[bisect.bisect_right(self.heads, at) - 1]
        cuts = self.cut.get(start)
        if cuts is None:
            cuts = self.cut[start] = _cuts(self.text[start:end])
        return start, cuts

    def _between(self, before: str, after: str, at: int) -> bool:
        """Whether ``at``, between two characters, one of them outside the match and a
        word character, is an edge."""
        if not (_wordy(before) and _wordy(after)):
            return False
        if is_cjk(before) != is_cjk(after):
            return True
        if not is_cjk(after):
            return False  # inside a Latin word
        import bisect

        start, cuts = self._run(at)
        i = bisect.bisect_left(cuts, at - start)
        return i < len(cuts) and cuts[i] == at - start

    def opens(self, at: int) -> bool:
        """Whether a whole word may start at ``at``."""
        text = self.text
        if at <= 0 or at >= len(text) or not _wordy(text[at - 1]):
            return True
        return self._between(text[at - 1], text[at], at)

    def closes(self, at: int) -> bool:
        """Whether a whole word may end at ``at``."""
        text = self.text
        if at <= 0 or at >= len(text) or not _wordy(text[at]):
            return True
        return self._between(text[at - 1], text[at], at)

    def word_end(self, at: int) -> int | None:
        """Where the Chinese word that ``at`` falls inside ends (``None``: not inside one)."""
        import bisect

        text = self.text
        if not (0 < at < len(text) and is_cjk(text[at - 1]) and is_cjk(text[at])):
            return None
        start, cuts = self._run(at)
        return start + cuts[bisect.bisect_right(cuts, at - start)]


def word_spans(pattern: re.Pattern[str], text: str) -> Iterator[tuple[int, int]]:
    """The non-empty matches of ``pattern`` in ``text`` that are whole words
    (:class:`WordEdges`), left to right without overlapping.

    A match that ends inside a Chinese word is tried again to that word's end
    (``机器|机器人`` finds 机器人, as ``foo|foobar`` finds foobar); one that is no
    word is tried again a character on, so an overlapping one is not missed.
    """
    edges = WordEdges(text)
    pos = 0
    search, fullmatch = pattern.search, pattern.fullmatch
    while pos <= len(text):
        found = search(text, pos)
        if found is None:
            return
        start, end = found.span()
        if end > start and edges.opens(start):
            if edges.closes(end):
                yield start, end
                pos = end
                continue
            longer = edges.word_end(end)
            if longer is not None and fullmatch(text, start, longer):
                yield start, longer
                pos = longer
                continue
        pos = start + 1


def word_tokens(norm: str, *, search: bool = True) -> list[str]:
    """jieba words of the Chinese in normalised text (search mode unless ``search=False``).

    The segmenter sees the whole text at once (one call, fast); unlike
    :func:`tokens`, Latin words are left out, and a Chinese word glued to a
    Latin one may be cut differently than in :func:`tokens`. For ranking and
    statistics, not for matching.
    """
    if not _pattern("_CJK_CHAR").search(norm):
        return []
    tok = _jieba()
    if segmenter() == "rjieba":
        words = tok.cut_for_search(norm, False) if search else tok.cut(norm, False)
    else:
        words = tok.cut_for_search(norm, HMM=False) if search else tok.cut(norm, HMM=False)
    return [w for w in words if w[0] >= "\u3400"]  # Chinese (punctuation is below U+3400)


def word_column(norm: str) -> str:
    """The index's ``words`` value for normalised text: its :func:`word_tokens`, joined."""
    return " ".join(word_tokens(norm))


class SegmentingAhead:
    """The segmenter loading in a forked child while this process does other work.

    Loading it is most of a small refresh of the index: rjieba builds its
    dictionary in about 0.13 s, jieba loads its own in about a second, and
    loading the documents to segment (importing the loader, parsing) takes
    about as long again. Started first, the child loads the segmenter beside
    that work; :meth:`words` then sends it the normalised texts and gets back
    their :func:`word_tokens`, as this process would have made them. If the
    child cannot answer, they are made here.
    """

    def __init__(self) -> None:
        """:class:`OSError` if there is no process to spare."""
        from gtcbrief.forked import Child

        ask, self._asking = os.pipe()

        def work(send: Callable[[bytes], None]) -> None:
            import marshal

            os.close(self._asking)
            _jieba()
            chunks = []
            while chunk := os.read(ask, 1 << 20):
                chunks.append(chunk)
            norms = marshal.loads(b"".join(chunks))
            send(marshal.dumps([word_column(norm) for norm in norms]))

        try:
            self._child = Child(work)
        except OSError:
            os.close(self._asking)
            raise
        finally:
            os.close(ask)

    def words(self, norms: Sequence[str]) -> list[str]:
        """:func:`word_column` of each of ``norms`` (once: it ends the child).

        Only texts that may have Chinese in them are sent (the others have no words);
        if there are none, the child is not waited for."""
        import marshal

        from gtcbrief.forked import write_all

        maybe = [_maybe_chinese(norm) for norm in norms]
        asked = [norm for norm, chinese in zip(norms, maybe, strict=True) if chinese]
        if not asked:
            self.close()
            return [""] * len(norms)
        answer: object = None
        try:
            write_all(self._asking, marshal.dumps(asked))
            os.close(self._asking)
            self._asking = -1
            data = self._child.read()
            if self._child.end() == 0:
                answer = marshal.loads(data)
        except (OSError, EOFError, ValueError, TypeError):  # the child died: make them here
            pass
        finally:
            self.close()
        if not (isinstance(answer, list) and len(answer) == len(asked)):
            answer = [word_column(norm) for norm in asked]
        told = iter(answer)
        return [next(told) if chinese else "" for chinese in maybe]

    def close(self) -> None:
        """End the child if it still runs (its answer no longer wanted)."""
        if self._asking >= 0:
            os.close(self._asking)
            self._asking = -1
        if self._child.running:
            self._child.end(kill=True)


def _maybe_chinese(norm: str) -> bool:
    """False if ``norm`` has no character of :data:`CJK_RANGES` (one C loop; the class's
    regex takes milliseconds to compile)."""
    return bool(norm) and max(norm) >= CJK_RANGES[0][0]


def segmenting_ahead(texts: Sequence[bytes]) -> SegmentingAhead | None:
    """A :class:`SegmentingAhead` for documents whose raw bytes are ``texts``; ``None``
    when it would not help: the segmenter is loaded here already, forking is not safe or
    possible, or no text has a byte that begins a Chinese character in UTF-8 (text in
    another encoding then segments here, as before)."""
    from gtcbrief.forked import can_fork

    if _tokenizer is not None or not can_fork():
        return None
    # a byte that begins the UTF-8 of a character of CJK_RANGES (and of a few others)
    lead = re.compile(b"[\xe3-\xe9\xef]").search
    if not any(lead(text) for text in texts):
        return None
    try:
        return SegmentingAhead()
    except OSError:
        return None


def latin_words(norm: str) -> list[str]:
    """The whole Latin words of normalised text (``tensorrt-llm``, ``c++``): the
    ``latin`` runs of :func:`normalized_tokens`, found without a match object for
    each Chinese run between them (a third of the time)."""
    return _pattern("_LATIN").findall(norm)


def gram_tokens(norm: str) -> list[str]:
    """Index grams of normalised text, in order: Latin/digit runs and Chinese bigrams.

    Each Chinese run yields its bigrams and then its last character alone
    (``机器人`` → ``机器 器人 人``), so every Chinese substring of the text is a
    run of adjacent grams, and a one-character query is a prefix of some gram.
    """
    out: list[str] = []
    for run in _pattern("_GRAM_RUNS").findall(norm):  # (no match objects: a fifth faster)
        if run[0] < "\u0080":
            out.append(run)
        else:
            out.extend(map(operator.add, run, run[1:]))
            out.append(run[-1])
    return out


def gram_texts(norms: Sequence[str], *, vectorised: bool = False) -> list[str]:
    """``" ".join(gram_tokens(norm))`` for each of ``norms``: the index's gram columns.

    ``vectorised``: computed with numpy for all of them at once, the same strings
    four times faster for a file's worth of text (21 against 79 µs a text), for
    a process that has numpy's import (about 0.1 s) to spare: the workers of a
    large index build.
    """
    if not vectorised:
        return [" ".join(gram_tokens(norm)) for norm in norms]
    import numpy as np

    joined = "\n".join(norms)  # a character of no gram between texts: no run spans two
    chars = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    table = _gram_kinds()
    kind = table[np.minimum(chars, len(table) - 1)]
    after = np.zeros_like(kind)  # the kind of the next character
    after[:-1] = kind[1:]
    # each character of a run gives itself; a Chinese one with a Chinese one after it
    # gives that one too, and a space (a bigram); the last of a run gives a space
    shown = kind != 0
    pair = (kind == 2) & (after == 2)
    last = shown & (after != kind)
    count = shown.astype(np.intp) + pair + pair + last
    starts = np.zeros(len(chars) + 1, dtype=np.intp)  # where each character's grams go
    np.cumsum(count, out=starts[1:])
    out = np.empty(int(starts[-1]), dtype="<u4")
    out[starts[:-1][shown]] = chars[shown]
    at = np.flatnonzero(pair)
    out[starts[at] + 1] = chars[at + 1]
    out[starts[at] + 2] = 32
    at = np.flatnonzero(last)
    out[starts[at] + 1] = 32
    text = out.tobytes().decode("utf-32-le", "surrogatepass")
    texts: list[str] = []
    begin = 0
    for norm in norms:  # each text's grams end with a space, dropped here
        end = begin + len(norm)
        head, tail = int(starts[begin]), int(starts[end])
        texts.append(text[head : tail - 1] if tail > head else "")
        begin = end + 1
    return texts


@cache
def _gram_kinds() -> NDArray[np.uint8]:
    """Kind of each character up to the last Chinese one, for :func:`gram_texts`: 1 for a
    Latin letter or digit, 2 for a Chinese character, else 0 (as is the last cell,
    where every character above the table is looked up)."""
    import numpy as np

    table = np.zeros(max(ord(hi) for _lo, hi in CJK_RANGES) + 2, dtype=np.uint8)
    table[ord("0") : ord("9") + 1] = 1
    table[ord("a") : ord("z") + 1] = 1
    for lo, hi in CJK_RANGES:
        table[ord(lo) : ord(hi) + 1] = 2
    return table
