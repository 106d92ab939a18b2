"""Corpus statistics as data: counts, coverage, description lengths, top terms.

Functions over loaded documents (:func:`summarize`), and over files loaded on both
cores (:func:`summarize_files`); ``gtcbrief stats`` renders the result. An entry
is *unfinished* when it lacks a description or authors (a brief is often filed
before it is written up); coverage counts those per group. Multi-valued keys
(``org``, ``speaker``, ``author``) count an entry once for each distinct value it
has; an entry without any value counts under ``(none)``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, field
from typing import TYPE_CHECKING, Any

from gtcbrief.model import record

if TYPE_CHECKING:
    from gtcbrief.config import Config
    from gtcbrief.errors import GtcbriefError
    from gtcbrief.model import Document, Entry
    from gtcbrief.terms import TermCounts
    from gtcbrief.workers import Workers

GROUP_KEYS = ("track", "subtopic", "kind", "org", "speaker", "author", "file")
NONE = "(none)"

# Function words and report boilerplate that say nothing about a topic.
STOP_WORDS = frozenset(
    """
    的 了 和 与 及 或 在 是 为 对 中 上 下 等 将 把 被 从 到 以 其 之 也 都 而 并 且 但 就
    这 那 这些 那些 这个 一个 一种 一些 我们 你们 他们 它们 我 你 他 她 它 可以 能够 能 会
    通过 进行 使用 利用 基于 关于 对于 以及 如何 什么 为了 因为 所以 如果 虽然 然而 同时 其中
    没有 不 很 更 最 还 已 已经 需要 可能 具有 提供 实现 包括 方面 方法 问题 相关 不同 主要
    提出 提升 研究 作者 本文 我司 华为 启示 描述 实事 演讲 演讲人 公司 撰稿人 未来 当前 目前
    非常 以上 以下 之间 之后 之前 由于 比如 例如 一 二 三 多 大 小 新 好 个 次 种 类 年 月 日
    the a an of to in and or for on with by as at from is are be this that these those it
    its we our you your they their can will how what which using use based via into than
    more most also not no but if then there here has have had was were been being do does
    http https www com org html png jpg jpeg gif image github
    """.split()
)


@record
class Group:
    """One row of ``stats --by KEY``."""

    key: str
    entries: int
    share: float
    with_description: int
    with_authors: int
    no_description: int
    no_authors: int
    description_median: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@record
class Lengths:
    """Description lengths in characters (entries that have one)."""

    count: int
    min: int | None
    median: float | None
    mean: float | None
    max: int | None
    buckets: tuple[tuple[str, int], ...] = ()


@record
class Summary:
    documents: int
    entries: int
    files_by_format: dict[str, int]
    by: str
    groups: tuple[Group, ...]
    no_description: int
    no_authors: int
    unfinished: int
    descriptions: Lengths
    top_terms: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "entries": self.entries,
            "files_by_format": self.files_by_format,
            "coverage": {
                "no_description": self.no_description,
                "no_authors": self.no_authors,
                "unfinished": self.unfinished,
                "complete": self.entries - self.unfinished,
            },
            "descriptions": {
                **{k: v for k, v in asdict(self.descriptions).items() if k != "buckets"},
                "buckets": [{"range": r, "entries": n} for r, n in self.descriptions.buckets],
            },
            "by": self.by,
            "groups": [g.to_dict() for g in self.groups],
            "top_terms": {
                track: [{"term": t, "count": n} for t, n in terms]
                for track, terms in self.top_terms.items()
            },
        }


def _has_description(entry: Entry) -> bool:
    """Described: with text, not a placeholder (``待补充``) for it."""
    from gtcbrief.text import written

    return written(entry.description) is not None


def keys_of(entry: Entry, by: str) -> list[str]:
    """The group keys of one entry for ``--by`` (distinct, in order; ``(none)`` if empty)."""
    if by == "track":
        values = [entry.track]
    elif by == "subtopic":
        values = [entry.subtopic]
    elif by == "kind":
        values = [entry.kind]
    elif by == "org":
        values = [s.organisation for s in entry.speakers]
    elif by == "speaker":
        values = [s.name for s in entry.speakers]
    elif by == "author":
        values = [f"{a.name} {a.id}" if a.id else a.name for a in entry.authors]
    elif by == "file":
        values = [entry.path]
    else:
        raise ValueError(f"unknown group key {by!r}")
    out = list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    return out or [NONE]


class _Members:
    """What one group has counted so far."""

    __slots__ = ("entries", "with_authors", "lengths")

    def __init__(self) -> None:
        self.entries = 0
        self.with_authors = 0
        self.lengths: list[int] = []  # of the descriptions, as written


class Tally:
    """Everything ``gtcbrief stats`` shows, counted one document at a time.

    No entry is kept: a group holds its counts and its description lengths, and
    the top terms are counted by :class:`gtcbrief.terms.TermCounts`, so memory
    grows with the number of groups and descriptions, not with the documents."""

    def __init__(self, by: str = "track") -> None:
        if by not in GROUP_KEYS:
            raise ValueError(f"unknown group key {by!r}")
        self.by = by
        self.documents = 0
        self.entries = 0
        self.formats: Counter[str] = Counter()
        self.no_description = 0
        self.no_authors = 0
        self.unfinished = 0
        self.lengths: list[int] = []  # of the descriptions, stripped
        self.members: dict[str, _Members] = {}

    def add(self, doc: Document) -> None:
        self.documents += 1
        self.formats[doc.format] += 1
        members = self.members
        for entry in doc.entries:
            self.entries += 1
            described = _has_description(entry)
            if not described:
                self.no_description += 1
            else:
                self.lengths.append(len((entry.description or "").strip()))
            if not entry.authors:
                self.no_authors += 1
            if not described or not entry.authors:
                self.unfinished += 1
            for key in keys_of(entry, self.by):
                group = members.get(key)
                if group is None:
                    group = members[key] = _Members()
                group.entries += 1
                if entry.authors:
                    group.with_authors += 1
                if described:
                    group.lengths.append(len(entry.description or ""))

    def state(self) -> tuple[Any, ...]:
        """What :meth:`merge` adds to another tally (plain data, for ``marshal``)."""
        members = {k: (m.entries, m.with_authors, m.lengths) for k, m in self.members.items()}
        return (
            self.documents, self.entries, dict(self.formats), self.no_description,
            self.no_authors, self.unfinished, self.lengths, members,
        )  # fmt: skip

    def merge(self, state: tuple[Any, ...]) -> None:
        """Add another tally's :meth:`state` (of other documents, grouped alike)."""
        documents, entries, formats, no_description, no_authors, unfinished, lengths, members = (
            state
        )
        self.documents += documents
        self.entries += entries
        self.formats.update(formats)
        self.no_description += no_description
        self.no_authors += no_authors
        self.unfinished += unfinished
        self.lengths.extend(lengths)
        for key, (count, with_authors, group_lengths) in members.items():
            group = self.members.get(key)
            if group is None:
                group = self.members[key] = _Members()
            group.entries += count
            group.with_authors += with_authors
            group.lengths.extend(group_lengths)

    def groups(self) -> list[Group]:
        """Counts and coverage per key, most entries first (then by key)."""
        total = self.entries or 1
        rows = []
        for key, m in self.members.items():
            with_desc = len(m.lengths)
            rows.append(
                Group(
                    key=key,
                    entries=m.entries,
                    share=round(m.entries / total, 4),
                    with_description=with_desc,
                    with_authors=m.with_authors,
                    no_description=m.entries - with_desc,
                    no_authors=m.entries - m.with_authors,
                    description_median=_median(m.lengths) if m.lengths else None,
                )
            )
        rows.sort(key=lambda g: (-g.entries, g.key == NONE, g.key))
        return rows

    def summary(self, top: dict[str, list[tuple[str, int]]] | None = None) -> Summary:
        return Summary(
            documents=self.documents,
            entries=self.entries,
            files_by_format=dict(sorted(self.formats.items())),
            by=self.by,
            groups=tuple(self.groups()),
            no_description=self.no_description,
            no_authors=self.no_authors,
            unfinished=self.unfinished,
            descriptions=description_lengths(self.lengths),
            top_terms=top or {},
        )


_BUCKETS = (0, 100, 200, 400, 800, 1600)


def _median(lengths: Sequence[int]) -> float:
    """The median length, a whole number where it is one (423, not 423.0 from an even
    count's two middle values): the same number the same way in JSON and CSV."""
    middle = statistics.median(lengths)
    return int(middle) if middle == int(middle) else middle


def description_lengths(lengths: Sequence[int]) -> Lengths:
    """Descriptions' lengths (stripped) in buckets, with their extremes and centre."""
    if not lengths:
        return Lengths(0, None, None, None, None, ())
    buckets: list[tuple[str, int]] = []
    for lo, hi in zip(_BUCKETS, (*_BUCKETS[1:], None), strict=True):
        n = sum(1 for x in lengths if x >= lo and (hi is None or x < hi))
        buckets.append((f"{lo}–{hi - 1}" if hi else f"{lo}+", n))
    return Lengths(
        count=len(lengths),
        min=min(lengths),
        median=_median(lengths),
        mean=round(statistics.fmean(lengths), 1),
        max=max(lengths),
        buckets=tuple(buckets),
    )


def is_term(token: str) -> bool:
    """A token worth counting: not a stop word, not a lone character, not a number."""
    if token in STOP_WORDS or len(token) < 2:
        return False
    return not token.replace(".", "").isdigit()


def description_terms(description: str) -> list[str]:
    """The distinct words of a description that top terms count (in no order): its Latin
    words and jieba words (:func:`gtcbrief.text.word_tokens`, one call) that
    :func:`is_term` keeps. None has a line feed (:mod:`gtcbrief.terms` joins them by it).

    A word counts once per entry (document frequency), so one long description
    cannot dominate its track."""
    from gtcbrief.text import latin_words, normalize, word_tokens

    norm = normalize(description)
    # the Chinese words are neither numbers nor spaced; each distinct word is tested once
    words = {w for w in word_tokens(norm, search=False) if len(w) > 1}
    words.update(latin_words(norm))
    words -= STOP_WORDS
    return [w for w in words if is_term(w) and "\n" not in w]


def described(doc: Document) -> list[Entry]:
    """The entries of ``doc`` whose words top terms count: those with a description."""
    return [e for e in doc.entries if _has_description(e)]


def ranked_terms(
    counts: dict[str, Counter[str]], per_group: int
) -> dict[str, list[tuple[str, int]]]:
    """The ``per_group`` most frequent words of each track (ties in word order), tracks
    with most words first."""
    from heapq import nsmallest

    return {
        key: nsmallest(per_group, c.items(), key=lambda kv: (-kv[1], kv[0]))
        for key, c in sorted(counts.items(), key=lambda kv: (-kv[1].total(), kv[0]))
    }


def summarize(docs: Iterable[Document], *, by: str = "track", terms: int = 10) -> Summary:
    """Everything ``gtcbrief stats`` shows, for the documents given (read once, in turn).

    ``terms``: the most frequent description words per track (0: none); each
    document's words are cached (see :mod:`gtcbrief.terms`)."""
    tally, words = _tallied(docs, by, terms)
    return tally.summary(ranked_terms(words.counts(), terms) if words is not None else None)


def _tallied(docs: Iterable[Document], by: str, terms: int) -> tuple[Tally, TermCounts | None]:
    """The tally of ``docs``, and their words' counts if ``terms`` are wanted."""
    from gtcbrief.terms import TermCounts

    tally, words = Tally(by), TermCounts() if terms > 0 else None
    for doc in docs:
        tally.add(doc)
        if words is not None:
            words.add(doc)
    return tally, words


def summarize_files(
    paths: Sequence[str],
    *,
    config: Config,
    encoding: str | None = None,
    stdin_name: str = "-",
    on_error: Callable[[GtcbriefError], None],
    by: str = "track",
    terms: int = 10,
) -> Summary:
    """:func:`summarize` of the files of PATHS, loading them on both cores.

    From :data:`gtcbrief.loader.POOL_MIN_FILES` files, a forked process
    (:class:`gtcbrief.workers.Workers`) loads and tallies every other file while this
    one does the rest, and the two tallies are added up: loading from the cache,
    segmenting and counting words each take about a third of a run, and all three
    halve. A process that fails or dies leaves its files to this one. Files that
    cannot be read go to ``on_error`` in the order of the files, after loading."""
    import marshal

    from gtcbrief.errors import GtcbriefError as Error
    from gtcbrief.forked import can_fork
    from gtcbrief.loader import POOL_MIN_FILES, fork_workers, iter_documents
    from gtcbrief.sources import iter_paths

    Tally(by)  # an unknown key fails here, before any process starts
    files = list(iter_paths(list(paths)))
    split = "-" not in files and len(files) >= POOL_MIN_FILES and fork_workers() > 1

    def tallied(
        these: list[str], errors: list[GtcbriefError], jobs: int | None
    ) -> tuple[Tally, TermCounts | None]:
        docs = iter_documents(
            these, config=config, encoding=encoding, stdin_name=stdin_name,
            on_error=errors.append, jobs=jobs,
        )  # fmt: skip
        return _tallied(docs, by, terms)

    def work(job: bytes) -> bytes:
        """Tally the files of ``job`` (every other file) in one process, as plain data."""
        errors: list[GtcbriefError] = []
        tally, words = tallied(marshal.loads(job), errors, 1)
        return marshal.dumps(
            (
                tally.state(),
                None if words is None else words.state(),
                [(e.message, e.path, e.line) for e in errors],
            )
        )

    theirs = marshal.dumps(files[1::2]) if split else b""
    elsewhere = _Elsewhere.start(work, theirs) if split and can_fork() else None
    errors: list[GtcbriefError] = []
    try:
        if elsewhere is None:
            tally, words = tallied(files, errors, None)
        else:  # each process loads its own files alone
            tally, words = tallied(files[0::2], errors, 1)
            got = elsewhere.answer()
    finally:
        if elsewhere is not None:
            elsewhere.close()
    if elsewhere is not None:
        if got is None:  # the other process failed or died: its files are done here
            got = work(theirs)
        state, words_state, their_errors = marshal.loads(got)
        tally.merge(state)
        if words is not None:
            words.merge(words_state)
        errors.extend(Error(message, path=path, line=line) for message, path, line in their_errors)
    order = {path: i for i, path in enumerate(files)}
    for error in sorted(errors, key=lambda e: order.get(e.path or "", len(files))):
        on_error(error)
    top = ranked_terms(words.counts(), terms) if words is not None else None
    return tally.summary(top)


class _Elsewhere:
    """A forked process doing one job (:class:`gtcbrief.workers.Workers`)."""

    def __init__(self, pool: Workers, ticket: int) -> None:
        self.pool, self.ticket = pool, ticket

    @classmethod
    def start(cls, work: Callable[[bytes], bytes], job: bytes) -> _Elsewhere | None:
        """``work(job)`` in a forked process; ``None`` with no process to spare."""
        from gtcbrief.workers import WorkerDied, Workers

        try:
            pool = Workers(1, work)
        except OSError:  # no process to spare (EAGAIN, ENOMEM): all here
            return None
        try:
            return cls(pool, pool.submit(job))
        except WorkerDied:
            pool.close(kill=True)
            return None

    def answer(self) -> bytes | None:
        """Its answer, waiting for it; ``None`` if ``work`` raised or the process died."""
        from gtcbrief.workers import WorkerDied

        try:
            answer = self.pool.result(self.ticket)
        except WorkerDied:
            return None
        return answer if isinstance(answer, bytes) else None

    def close(self) -> None:
        self.pool.close(kill=True)
