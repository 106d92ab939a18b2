"""Running the rules: selection, severities, suppressions, corpus-wide checks.

:func:`make_selection` turns config and command-line choices into the set of
enabled codes and their effective severities; :func:`check_document` runs the
per-document rules on one document; :func:`run` runs everything over the
documents given and returns the diagnostics sorted by path and line.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, NamedTuple

from gtcbrief.diagnostics import SEVERITIES, Diagnostic, Severity
from gtcbrief.model import record
from gtcbrief.rules import CorpusContext, DocContext, Hit, Rule, all_rules, by_key, resolve

if TYPE_CHECKING:
    from gtcbrief.config import Config
    from gtcbrief.model import Document

MISMATCH_RULES = ("GB301", "GB302")


@record
class Selection:
    """Which rules run, and at which severity."""

    enabled: frozenset[str]
    severities: Mapping[str, Severity] = field(default_factory=dict)

    def severity(self, rule: Rule) -> Severity:
        return self.severities.get(rule.code, rule.severity)

    def rules(self, kind: str | None = None) -> list[Rule]:
        return [
            r for r in all_rules() if r.code in self.enabled and (kind is None or r.kind == kind)
        ]


def _list_of(config: Config, key: str) -> list[str]:
    value = config.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise config.error(f"config key {key!r} must be a list of rule codes or names")


def _split(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or ():
        out.extend(v for v in value.replace(",", " ").split() if v)
    return out


def make_selection(
    config: Config,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
) -> Selection:
    """Config ``select``/``ignore``/``severity``; ``--select`` replaces, ``--ignore`` adds.

    A rule ``--select`` names by code or name (not by a prefix or ``ALL``) runs even where
    the config ignores it or sets it ``off``: asked for now, by name, it was otherwise
    dropped without a word, and the file reported clean.
    """
    from gtcbrief.errors import GtcbriefError

    if select is not None and not _split(select):  # --select '' (an unset variable): not "all"
        raise GtcbriefError("--select names no rule")

    def in_config(key: str) -> set[str] | None:
        """The rules of a config list (``None``: not set), its unknown ones named as the
        config file's."""
        values = _list_of(config, key)
        try:
            return resolve(values) if values else None
        except GtcbriefError as exc:
            raise config.error(f"{key}: {exc.message}") from None

    keys = by_key()
    named = {keys[s.lower()].code for s in _split(select) if s.lower() in keys}
    configured = in_config("select")  # (checked even when --select replaces it)
    if select is not None:
        enabled = resolve(_split(select))
    else:
        enabled = configured if configured is not None else {r.code for r in all_rules()}
    enabled -= (in_config("ignore") or set()) - named
    enabled -= resolve(_split(ignore))
    severities: dict[str, Severity] = {}
    table = config.get("severity", {})
    if not isinstance(table, Mapping):
        raise config.error("config key 'severity' must be a table of rule = level")
    for name, level in table.items():
        rule = keys.get(str(name).lower())
        if rule is None:
            raise config.error(f"config severity names an unknown rule {name!r}")
        if level == "off":
            if rule.code not in named:
                enabled.discard(rule.code)
        elif level in SEVERITIES:
            severities[rule.code] = level
        else:
            raise config.error(
                f"severity of {name} must be error, warning, info or off, not {level!r}"
            )
    return Selection(frozenset(enabled), severities)


def mismatch_available() -> bool:
    return importlib.util.find_spec("gtcbrief.mismatch") is not None


#: The most of its line a finding's ``context`` carries (JSON included).
CONTEXT_LIMIT = 1000


def _diagnostic(rule: Rule, hit: Hit, path: str, selection: Selection) -> Diagnostic:
    extras = dict(hit.extras)
    context = extras.get("context")
    if isinstance(context, str) and len(context) > CONTEXT_LIMIT:
        # a finding's line, not a whole 300 KB paragraph once per finding on it
        extras["context"] = context[: CONTEXT_LIMIT - 1] + "…"
    score = extras.pop("score", None)
    suggestion = extras.pop("suggestion", None)
    return Diagnostic(
        path=hit.path or path,
        line=max(1, hit.line),
        column=max(1, hit.column),
        code=rule.code,
        name=rule.name,
        severity=selection.severity(rule),
        message=hit.message,
        score=float(score) if isinstance(score, int | float) else None,
        suggestion=str(suggestion) if suggestion is not None else None,
        extras=extras,
        fix=hit.fix,
    )


OnCrash = Callable[[Rule, str, Exception], None]


def check_document(
    doc: Document,
    config: Config,
    selection: Selection,
    on_crash: OnCrash | None = None,
) -> list[Diagnostic]:
    """Per-document rules on ``doc``, before suppressions."""
    ctx = DocContext(doc, doc.lines, config)
    found: list[Diagnostic] = []
    for rule in selection.rules("document"):
        if rule.check is None:
            continue
        try:
            found.extend(_diagnostic(rule, hit, doc.path, selection) for hit in rule.check(ctx))
        except Exception as exc:  # a bug in one rule must not hide the others
            if on_crash is None:
                raise
            on_crash(rule, doc.path, exc)
    return found


def check_corpus(
    documents: Sequence[Document],
    config: Config,
    selection: Selection,
    on_crash: OnCrash | None = None,
) -> list[Diagnostic]:
    ctx = CorpusContext(config)
    found: list[Diagnostic] = []
    for rule in selection.rules("corpus"):
        if rule.check is None:
            continue
        try:
            found.extend(
                _diagnostic(rule, hit, "", selection) for hit in rule.check(documents, ctx)
            )
        except Exception as exc:
            if on_crash is None:
                raise
            on_crash(rule, "<all files>", exc)
    return found


def with_threshold(config: Config, threshold: float | None) -> Config:
    """``--mismatch-threshold`` reaches the corpus rules as ``config.get("mismatch_threshold")``."""
    if threshold is None:
        return config
    return config._replace(raw={**config.raw, "mismatch_threshold": threshold})


class _Checked(NamedTuple):
    """The per-document rules run on one document while it loaded: their findings, and
    the crashes met (reported when :func:`run` gets to the document, as it would have)."""

    doc: Document
    found: list[Diagnostic]
    crashes: list[tuple[Rule, str, Exception]]


def _checked_of(doc: Document, config: Config, selection: Selection) -> _Checked:
    crashes: list[tuple[Rule, str, Exception]] = []
    found = check_document(doc, config, selection, lambda *crash: crashes.append(crash))
    return _Checked(doc, found, crashes)


#: What :func:`check_while_loading` made, by ``id`` of the document, and for what.
_checked: dict[int, _Checked] = {}
_checked_with: tuple[Config, Selection] | None = None


def check_while_loading(config: Config | None, selection: Selection | None = None) -> None:
    """Run the per-document rules on the documents this process loads while worker
    processes load others (see :func:`gtcbrief.loader.while_loading_here`), for
    :func:`run` with the same ``config`` and ``selection`` to use: on a corpus loaded
    on both cores, work taken off the second process of :func:`run`, which would
    otherwise finish after the main one. ``None`` stops it and forgets."""
    from gtcbrief.loader import while_loading_here

    global _checked_with
    _checked.clear()
    if config is None or selection is None:
        _checked_with = None
        while_loading_here(None)
        return
    _checked_with = (config, selection)
    entries = 0
    warm = bool(selection.enabled & set(MISMATCH_RULES))

    def work(doc: Document) -> None:
        nonlocal entries, warm
        _checked[id(doc)] = _checked_of(doc, config, selection)
        entries += len(doc.entries)
        if warm and entries >= _NUMPY_HERE:
            warm = False
            _import_numpy()

    while_loading_here(work)


#: Entries loaded in the main process (about half the corpus) from which the corpus
#: rules will use numpy (``mismatch.NUMPY_FROM``, ``dedupe.VECTOR_MIN``): it is then
#: imported while loading (≈0.12 s), beside the worker, and the second process of
#: :func:`run` inherits it instead of importing it again.
_NUMPY_HERE = 500


def _import_numpy() -> None:
    try:
        import numpy  # noqa: F401
    except ImportError:  # the rules do without
        pass


def _take_checked(
    documents: Sequence[Document], config: Config, selection: Selection
) -> dict[int, _Checked]:
    """Position in ``documents`` → what :func:`check_while_loading` made for that
    document with this ``config`` and ``selection``; forgets the rest."""
    global _checked_with
    taken: dict[int, _Checked] = {}
    if _checked_with is not None and _checked_with == (config, selection):
        for n, doc in enumerate(documents):
            done = _checked.get(id(doc))
            if done is not None and done.doc is doc:
                taken[n] = done
    _checked.clear()
    _checked_with = None
    return taken


def _replay(done: _Checked, on_crash: OnCrash | None) -> list[Diagnostic]:
    for rule, path, exc in done.crashes:
        if on_crash is None:
            raise exc
        on_crash(rule, path, exc)
    return done.found


#: Entries from which ``run`` gives the per-document rules and the corpus rules
#: other than description-mismatch to a second process (fork only).
PARALLEL_FROM = 2000
#: The corpus rule the main process keeps: the heaviest one.
_HEAVIEST = "GB301"


class _Claims:
    """The positions of the documents whose per-document rules are still to run, taken
    one at a time from the front by this process and from the back by a forked one
    (each once its corpus rule is done): whichever finishes first checks more.

    The two ends live in a temporary file both map; a record lock on it (which the
    system drops if its holder dies) makes each take whole."""

    def __init__(self, todo: Sequence[int]) -> None:
        import mmap
        import tempfile

        self.todo = todo
        self._file = tempfile.TemporaryFile()
        os.ftruncate(self._file.fileno(), 16)
        self._ends = memoryview(mmap.mmap(self._file.fileno(), 16)).cast("q")
        self._ends[1] = len(todo)

    def take(self, *, from_back: bool) -> int | None:
        import fcntl

        fcntl.lockf(self._file.fileno(), fcntl.LOCK_EX)
        try:
            front, back = self._ends[0], self._ends[1]
            if front >= back:
                return None
            if from_back:
                self._ends[1] = back = back - 1
                return self.todo[back]
            self._ends[0] = front + 1
            return self.todo[front]
        finally:
            fcntl.lockf(self._file.fileno(), fcntl.LOCK_UN)


#: For the second process: the documents, config, selection, and the documents whose
#: per-document rules have not run (see :func:`check_while_loading`) for it to claim.
_forked: tuple[Sequence[Document], Config, Selection, _Claims] | None = None


class _Crash(NamedTuple):
    """A rule's exception in the second process, as data (exceptions may not pickle)."""

    code: str
    path: str
    kind: str
    message: str
    import_error: bool

    def exception(self) -> Exception:
        base: type[Exception] = ImportError if self.import_error else Exception
        kind: type[Exception] = type(self.kind, (base,), {})
        return kind(self.message)


def _side_rules() -> tuple[list[Diagnostic], list[tuple[int, _Crash]], list[_Crash]]:
    """In the forked process: the per-document rules and the lighter corpus rules. The
    crashes of the former come with the position of their document."""
    assert _forked is not None
    documents, config, selection, claims = _forked
    crashes: list[_Crash] = []

    def note(rule: Rule, path: str, exc: Exception) -> None:
        crashes.append(
            _Crash(rule.code, path, type(exc).__name__, str(exc), isinstance(exc, ImportError))
        )

    lighter = Selection(selection.enabled - {_HEAVIEST}, selection.severities)
    found = list(check_corpus(documents, config, lighter, note))
    in_corpus = crashes[:]
    crashes.clear()
    in_documents: list[tuple[int, _Crash]] = []
    while (n := claims.take(from_back=True)) is not None:
        found.extend(check_document(documents[n], config, selection, note))
        in_documents.extend((n, crash) for crash in crashes)
        crashes.clear()
    in_documents.sort(key=lambda item: item[0])  # claimed from the back
    return found, in_documents, in_corpus


def _parallel(documents: Sequence[Document], selection: Selection) -> bool:
    from gtcbrief.loader import fork_workers

    if _HEAVIEST not in selection.enabled or fork_workers() < 2:
        return False
    return sum(len(d.entries) for d in documents) >= PARALLEL_FROM


def _all_findings(
    documents: Sequence[Document],
    config: Config,
    selection: Selection,
    on_crash: OnCrash | None,
) -> list[Diagnostic]:
    """Every rule's findings, before suppressions. On a large corpus the main process
    runs description-mismatch while a forked one runs everything else: the two
    heaviest parts of ``validate`` on the two cores; the per-document rules not run
    yet are shared between them (:class:`_Claims`)."""
    done = _take_checked(documents, config, selection)

    def in_one_process() -> list[Diagnostic]:
        found: list[Diagnostic] = []
        for n, doc in enumerate(documents):
            if n in done:
                found.extend(_replay(done[n], on_crash))
            else:
                found.extend(check_document(doc, config, selection, on_crash))
        found.extend(check_corpus(documents, config, selection, on_crash))
        return found

    claims = None
    if _parallel(documents, selection):
        try:
            claims = _Claims([n for n in range(len(documents)) if n not in done])
        except OSError:  # no temporary file: one process does it all
            pass
    if claims is None:
        return in_one_process()
    import contextlib
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from gtcbrief.forked import pool_worker

    context = multiprocessing.get_context("fork")
    global _forked
    _forked = (documents, config, selection, claims)
    gc.freeze()  # the child's collector leaves the shared pages alone
    try:
        # A second process that dies (killed for memory, say) raises BrokenProcessPool.
        with contextlib.ExitStack() as stack:
            try:
                pool = stack.enter_context(
                    ProcessPoolExecutor(1, mp_context=context, initializer=pool_worker)
                )
                side = pool.submit(_side_rules)
            except OSError:  # no process to spare (EAGAIN, ENOMEM), no semaphores: one does all
                side = None
            if side is not None:
                heaviest = Selection(selection.enabled & {_HEAVIEST}, selection.severities)
                found = check_corpus(documents, config, heaviest, on_crash)
                while (mine := claims.take(from_back=False)) is not None:
                    done[mine] = _checked_of(documents[mine], config, selection)
                others, in_documents, crashes = side.result()
    finally:
        _forked = None
        gc.unfreeze()
    if side is None:
        return in_one_process()
    rules = {r.code: r for r in all_rules()}

    def replay(crash: _Crash) -> None:
        if on_crash is None:
            raise crash.exception()
        on_crash(rules[crash.code], crash.path, crash.exception())

    # the per-document rules' crashes in the order of the documents, as in one process
    side_crashes = iter(in_documents)
    pending = next(side_crashes, None)
    for n in range(len(documents)):
        if n in done:
            found.extend(_replay(done[n], on_crash))
        while pending is not None and pending[0] == n:
            replay(pending[1])
            pending = next(side_crashes, None)
    for crash in crashes:
        replay(crash)
    return others + found


def run(
    documents: Sequence[Document],
    config: Config,
    selection: Selection,
    *,
    on_crash: OnCrash | None = None,
) -> list[Diagnostic]:
    """All enabled rules over ``documents``: suppressed findings dropped.

    Files come in the order given, findings in a file by line and column.
    """
    from gtcbrief.suppress import UNUSED, Suppressions

    raw: dict[str, list[Diagnostic]] = {}
    for d in _all_findings(documents, config, selection, on_crash):
        raw.setdefault(d.path, []).append(d)

    checked = {r.code for r in selection.rules() if r.check is not None}
    if not mismatch_available():
        checked -= set(MISMATCH_RULES)
    unused_rule = next(r for r in all_rules() if r.code == UNUSED)
    result: list[Diagnostic] = []
    seen_paths: set[str] = set()
    for doc in documents:
        if doc.path in seen_paths:
            continue
        seen_paths.add(doc.path)
        found = raw.pop(doc.path, [])
        suppressions = Suppressions(doc)
        if suppressions:
            found = [d for d in found if suppressions.allows(d)]
            if UNUSED in selection.enabled:
                unused = [
                    _diagnostic(unused_rule, hit, doc.path, selection)
                    for hit in suppressions.unused(checked)
                ]
                found.extend(d for d in unused if suppressions.allows(d, mark=False))
        result.extend(sorted(found, key=lambda d: d.sort_key))
    for rest in raw.values():  # corpus findings on paths not among the documents
        result.extend(sorted(rest, key=lambda d: d.sort_key))
    return result
