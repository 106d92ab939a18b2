"""The rule registry: one table of every ``validate`` rule.

Each :class:`Rule` has a stable ``code`` (``GB104``) and ``name``
(``missing-section``), a default ``severity``, a one-line ``doc`` (listed by
``--list-rules`` and the README) and a ``kind``:

``document``
    ``check(doc: DocContext) -> Iterable[Hit]``, run on one document at a
    time (the family modules: :mod:`.structure`, :mod:`.fields`,
    :mod:`.notes`, :mod:`.hygiene`).
``corpus``
    ``check(documents: Sequence[Document], ctx: CorpusContext) ->
    Iterable[Hit]``, run once over every document given (duplicates across
    files; the title/description rules of :mod:`gtcbrief.mismatch`).

A :class:`Hit` is a position and a message; the engine turns it into a
:class:`~gtcbrief.diagnostics.Diagnostic` with the rule's code, name and
effective severity. ``GB002/unused-suppression`` has no check of its own:
:mod:`gtcbrief.suppress` reports it after the other rules ran.

``GB301/description-mismatch`` and ``GB302/copied-description`` live in
:mod:`gtcbrief.mismatch`, imported only when they run, and are skipped when
that module is not installed. They are called as
``check_mismatch(documents, config)`` / ``check_copied(documents, config)``;
``validate --mismatch-threshold T`` reaches them as
``config.get("mismatch_threshold")`` (the engine writes the option into
``config.raw`` before corpus rules run; ``None`` means the rule's own default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from gtcbrief.diagnostics import Edit, Severity
from gtcbrief.model import record

if TYPE_CHECKING:
    from gtcbrief.config import Config, Template
    from gtcbrief.model import Document

Kind = Literal["document", "corpus"]


@record
class Hit:
    """What a check found: where, why, and optionally how to fix it."""

    line: int
    column: int
    message: str
    extras: Mapping[str, Any] = field(default_factory=dict)
    fix: tuple[Edit, ...] = ()
    path: str | None = None  # corpus rules say which file


@dataclass(slots=True)
class DocContext:
    """One document as the per-document checks see it."""

    doc: Document
    lines: list[str]
    config: Config

    @property
    def template(self) -> Template:
        return self.config.template

    def context(self, line: int) -> str:
        """The source line ``line`` (1-based), for the ``context`` extra."""
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""


@record
class CorpusContext:
    config: Config


@record
class Rule:
    code: str
    name: str
    severity: Severity
    doc: str
    kind: Kind
    check: Callable[..., Iterable[Hit]] | None
    fixable: bool = False
    family: str = ""


def _mismatch(documents: Sequence[Document], ctx: CorpusContext) -> Iterator[Hit]:
    yield from _from_mismatch("check_mismatch", documents, ctx)


def _copied(documents: Sequence[Document], ctx: CorpusContext) -> Iterator[Hit]:
    yield from _from_mismatch("check_copied", documents, ctx)


def _from_mismatch(
    function: str, documents: Sequence[Document], ctx: CorpusContext
) -> Iterator[Hit]:
    import importlib

    try:
        module = importlib.import_module("gtcbrief.mismatch")
    except ModuleNotFoundError as exc:
        if exc.name == "gtcbrief.mismatch":
            return  # not built yet: the rule is reserved, silently skipped
        raise
    check = getattr(module, function, None)
    if check is None:
        return
    for d in check(documents, ctx.config):
        extras = dict(d.extras)
        if d.score is not None:
            extras["score"] = d.score
        if d.suggestion is not None:
            extras["suggestion"] = d.suggestion
        yield Hit(d.line, d.column, d.message, extras=extras, path=d.path)


def _build() -> tuple[Rule, ...]:
    from gtcbrief.rules import fields, hygiene, notes, structure

    def rule(
        code: str,
        name: str,
        severity: Severity,
        doc: str,
        check: Callable[..., Iterable[Hit]] | None,
        *,
        kind: Kind = "document",
        fixable: bool = False,
        family: str,
    ) -> Rule:
        return Rule(code, name, severity, doc, kind, check, fixable, family)

    return (
        # meta
        rule(
            "GB001",
            "parse-problem",
            "error",
            "The loader could not read the Markdown as intended.",
            structure.parse_problem,
            family="meta",
        ),
        rule(
            "GB002",
            "unused-suppression",
            "warning",
            "A gtcbrief-disable comment suppresses nothing or names an unknown rule.",
            None,
            family="meta",
        ),
        # structure
        rule(
            "GB101",
            "document-title",
            "error",
            "A brief opens with one '# 每日参会快报' title (template.document_title; "
            "in Traditional characters, fixable).",
            structure.document_title,
            fixable=True,
            family="structure",
        ),
        rule(
            "GB102",
            "entry-heading",
            "error",
            "An entry heading is shaped '## 【kind】title': level 2, a space after '##', a title.",
            structure.entry_heading,
            fixable=True,
            family="structure",
        ),
        rule(
            "GB103",
            "unknown-kind",
            "warning",
            "The entry's 【kind】 is one of the template's kinds.",
            structure.unknown_kind,
            family="structure",
        ),
        rule(
            "GB104",
            "missing-section",
            "error",
            "Every required '###' section is present (did-you-mean for near misses, fixed "
            "when Traditional, with a colon or a level off; '###' spaced).",
            structure.missing_section,
            fixable=True,
            family="structure",
        ),
        rule(
            "GB105",
            "empty-section",
            "error",
            "A template section has text under its heading (not only 待补充 or TBD).",
            structure.empty_section,
            family="structure",
        ),
        rule(
            "GB106",
            "section-order",
            "warning",
            "Template sections come in the template's order.",
            structure.section_order,
            family="structure",
        ),
        rule(
            "GB107",
            "unknown-section",
            "warning",
            "A '###' heading inside an entry is one of the template's sections, once.",
            structure.unknown_section,
            family="structure",
        ),
        rule(
            "GB108",
            "setext-separator",
            "error",
            "A '---' separator has a blank line above it (else it makes a heading).",
            structure.setext_separator,
            fixable=True,
            family="structure",
        ),
        rule(
            "GB109",
            "missing-separator",
            "warning",
            "Consecutive entries are separated by a '---' line.",
            structure.missing_separator,
            family="structure",
        ),
        rule(
            "GB110",
            "duplicate-title",
            "warning",
            "An entry title appears once in a file and across the files given.",
            structure.duplicate_title,
            kind="corpus",
            family="structure",
        ),
        # fields
        rule(
            "GB201",
            "track-format",
            "warning",
            "The 主题 track is shaped 'Track - Subtopic'.",
            fields.track_format,
            family="fields",
        ),
        rule(
            "GB202",
            "speaker-format",
            "warning",
            "Speakers are shaped 'Name（Role, Organisation）' and joined by '、'.",
            fields.speaker_format,
            family="fields",
        ),
        rule(
            "GB203",
            "author-line",
            "error",
            "The author line reads '撰稿人：' with a full-width colon and '、' between people.",
            fields.author_line,
            fixable=True,
            family="fields",
        ),
        rule(
            "GB204",
            "author-id",
            "error",
            "Every author has an employee id matching template.id_pattern (8 digits).",
            fields.author_id,
            family="fields",
        ),
        rule(
            "GB205",
            "author-id-conflict",
            "warning",
            "One employee id is used with one name across the files given.",
            fields.author_id_conflict,
            kind="corpus",
            family="fields",
        ),
        rule(
            "GB206",
            "missing-authors",
            "warning",
            "An entry with a description has an author line.",
            fields.missing_authors,
            family="fields",
        ),
        # content (gtcbrief.mismatch)
        rule(
            "GB301",
            "description-mismatch",
            # a warning by default: the score is lexical, and on bare short titles
            # (model names) its precision is low (BENCHMARKS.md); raise it per project
            "warning",
            "The description is about the session named in the title (score below the threshold).",
            _mismatch,
            kind="corpus",
            family="content",
        ),
        rule(
            "GB302",
            "copied-description",
            "warning",
            "A description is not a copy of another entry's description.",
            _copied,
            kind="corpus",
            family="content",
        ),
        # notes / Markdown
        rule(
            "GB401",
            "broken-link",
            "error",
            "An in-document link '(#name)' points to an anchor or heading that exists.",
            notes.broken_link,
            family="notes",
        ),
        rule(
            "GB402",
            "empty-anchor",
            "error",
            "An '<a name>' anchor has a name.",
            notes.empty_anchor,
            family="notes",
        ),
        rule(
            "GB403",
            "image-alt",
            "warning",
            "An image has alt text: '![what it shows](…)'.",
            notes.image_alt,
            family="notes",
        ),
        rule(
            "GB404",
            "placeholder-alt",
            "info",
            "An image's alt text says what it shows, not just 'image'.",
            notes.placeholder_alt,
            family="notes",
        ),
        rule(
            "GB405",
            "heading-increment",
            "warning",
            "Heading levels go down one at a time (no '#' then '###').",
            notes.heading_increment,
            family="notes",
        ),
        rule(
            "GB406",
            "duplicate-anchor",
            "warning",
            "An '<a name>' anchor's name is used once in its file.",
            notes.duplicate_anchor,
            family="notes",
        ),
        # hygiene
        rule(
            "GB501",
            "trailing-whitespace",
            "warning",
            "No spaces or tabs at the end of a line (two spaces before text: a hard break).",
            hygiene.trailing_whitespace,
            fixable=True,
            family="hygiene",
        ),
        rule(
            "GB502",
            "trailing-blank-lines",
            "warning",
            "No blank lines at the end of the file.",
            hygiene.trailing_blank_lines,
            fixable=True,
            family="hygiene",
        ),
        rule(
            "GB503",
            "halfwidth-punctuation",
            "warning",
            "Chinese sentences use full-width punctuation (，：；！？), not ', : ; ! ?' "
            "(speakers' lines aside).",
            hygiene.halfwidth_punctuation,
            family="hygiene",
        ),
        rule(
            "GB504",
            "missing-final-newline",
            "warning",
            "The file ends with a line break.",
            hygiene.missing_final_newline,
            fixable=True,
            family="hygiene",
        ),
    )


_RULES: tuple[Rule, ...] | None = None


def all_rules() -> tuple[Rule, ...]:
    """The registry table, in code order."""
    global _RULES
    if _RULES is None:
        _RULES = _build()
    return _RULES


def by_key() -> Mapping[str, Rule]:
    """Rules by code and by name (``GB104`` and ``missing-section``), case-insensitive."""
    table: dict[str, Rule] = {}
    for r in all_rules():
        table[r.code.lower()] = r
        table[r.name.lower()] = r
    return table


def resolve(selectors: Iterable[str]) -> set[str]:
    """Codes named by selectors: a code, a name, a code prefix (``GB1``) or ``ALL``.

    Raises :class:`~gtcbrief.errors.GtcbriefError` for a selector that names nothing.
    """
    from gtcbrief.errors import GtcbriefError

    keys = by_key()
    codes: set[str] = set()
    for raw in selectors:
        key = raw.strip().lower()
        if not key:
            continue
        if key == "all":
            codes.update(r.code for r in all_rules())
        elif key in keys:
            codes.add(keys[key].code)
        else:
            matched = {r.code for r in all_rules() if r.code.lower().startswith(key)}
            if not matched or not key.startswith("gb"):
                raise GtcbriefError(f"unknown rule {raw.strip()!r} (see --list-rules)")
            codes.update(matched)
    return codes
