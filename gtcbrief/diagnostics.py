"""Diagnostics are data: one frozen record per finding, and its output formats.

A :class:`Diagnostic` names where (``path``, 1-based ``line`` and ``column``),
what (``code`` such as ``GB104`` and ``name`` such as ``missing-section``),
how bad (``severity``) and why (``message``); optionally a ``score`` (0–1)
and a ``suggestion``. Rules may attach ``extras`` (``context``: the offending
source line, …), which the JSON formats merge into the object, and ``fix``:
line edits that ``--fix`` may apply.

Formats (``validate --format``): ``text`` (``path:line:col: CODE/name message``
plus the offending line), ``json`` (one array, the contract in SPEC.md),
``jsonl``, ``github`` (workflow commands) and ``sarif`` (2.1.0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from typing import IO, TYPE_CHECKING, Any, Literal

from gtcbrief.model import record

if TYPE_CHECKING:
    from gtcbrief.rules import Rule

Severity = Literal["error", "warning", "info"]

#: Severities from the most to the least serious.
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
RANK: dict[str, int] = {"error": 3, "warning": 2, "info": 1}

OUTPUT_FORMATS = ("text", "json", "jsonl", "github", "sarif")


@record
class Edit:
    """Replace source line ``line`` (1-based) by ``lines`` (none deletes it).

    ``final_newline`` asks for the file to end with a line break.
    """

    line: int
    lines: tuple[str, ...]
    final_newline: bool = False


@record
class Diagnostic:
    """One finding of one rule at one place."""

    path: str
    line: int
    column: int
    code: str
    name: str
    severity: Severity
    message: str
    #: 0–1 where a rule scores (description-mismatch: how well the description fits).
    score: float | None = None
    #: What was probably meant (a section name, a kind, another entry's title).
    suggestion: str | None = None
    extras: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    fix: tuple[Edit, ...] = field(default=(), compare=False, hash=False)

    @property
    def fixable(self) -> bool:
        return bool(self.fix)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (SPEC contract: path, line, column, code, name, severity, message)."""
        record: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "fixable": self.fixable,
        }
        if self.score is not None:
            record["score"] = self.score
        if self.suggestion is not None:
            record["suggestion"] = self.suggestion
        for key, value in self.extras.items():
            record.setdefault(key, value)
        return record


# --------------------------------------------------------------------------- writers


#: Terminal cells of a finding's line shown under it.
CONTEXT_CELLS = 120


def context_window(line: str, column: int) -> str:
    """``line`` as shown under a finding: whole if it fits :data:`CONTEXT_CELLS` cells
    (a Chinese character takes two), else the part around ``column`` (1-based; a third
    of the room before it) with ``…`` where it was cut; escaped (:func:`safe`)."""
    import unicodedata

    from gtcbrief.render import safe

    def cells(text: str) -> list[int]:
        """Each character's cells as shown: two if wide, its escape's if escaped."""
        if text.isprintable():
            return [2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text]
        return [2 if unicodedata.east_asian_width(ch) in "WF" else len(safe(ch)) for ch in text]

    if (len(line) * 2 <= CONTEXT_CELLS and line.isprintable()) or (
        len(line) <= CONTEXT_CELLS and sum(cells(line)) <= CONTEXT_CELLS
    ):
        return safe(line)
    room = CONTEXT_CELLS - 2  # the two ellipses
    at = min(max(column - 1, 0), len(line) - 1)
    lo = max(0, at - room)  # (no window reaches further: a character takes a cell or more)
    part = line[lo : at + room + 1]
    width = cells(part)
    at -= lo
    start, used = at, 0
    while start > 0 and used + width[start - 1] <= room // 3:
        start -= 1
        used += width[start]
    end, used = start, 0
    while end < len(part) and used + width[end] <= room:
        used += width[end]
        end += 1
    while start > 0 and used + width[start - 1] <= room:  # the line's end came first
        start -= 1
        used += width[start]
    head = "…" if lo + start else ""
    tail = "…" if lo + end < len(line) else ""
    return head + safe(part[start:end]) + tail


def write_text(
    diagnostics: Iterable[Diagnostic], out: IO[str], *, color: bool = False, explain: bool = False
) -> int:
    """``path:line:col: GB104/missing-section message`` and the offending line under it;
    with ``explain``, a rule's evidence (the numbers behind a score) under that."""
    from gtcbrief.render import one_line, safe

    styles = {"error": "\x1b[1;31m", "warning": "\x1b[33m", "info": "\x1b[36m"}
    count = 0
    for d in diagnostics:
        where = one_line(f"{d.path}:{d.line}:{d.column}:")
        code = f"{d.code}/{d.name}"
        if color:
            where = f"\x1b[1m{where}\x1b[0m"
            code = f"{styles[d.severity]}{code}\x1b[0m"
        out.write(f"{where} {code} {one_line(d.message)}\n")
        context = d.extras.get("context")
        if isinstance(context, str) and context.strip():
            shown = context_window(context.rstrip("\r\n"), d.column)
            out.write(f"    | {shown}\n")
        evidence = d.extras.get("evidence")
        if explain and isinstance(evidence, str):
            for line in evidence.splitlines():
                out.write(f"    = {safe(line)}\n")
        count += 1
    return count


def write_json(diagnostics: Iterable[Diagnostic], out: IO[str]) -> int:
    from gtcbrief.render import write_json_array

    return write_json_array((d.to_dict() for d in diagnostics), out)


def write_jsonl(diagnostics: Iterable[Diagnostic], out: IO[str]) -> int:
    from gtcbrief.render import write_jsonl as _write

    return _write((d.to_dict() for d in diagnostics), out)


def _gh_escape(text: str, *, prop: bool = False) -> str:
    from gtcbrief.render import safe

    # GitHub logs are terminals too: control characters from documents are made visible.
    text = safe(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def write_github(diagnostics: Iterable[Diagnostic], out: IO[str]) -> int:
    """GitHub Actions workflow commands: annotations on the pull request's files."""
    kinds = {"error": "error", "warning": "warning", "info": "notice"}
    count = 0
    for d in diagnostics:
        props = (
            f"file={_gh_escape(d.path, prop=True)},line={d.line},col={d.column},"
            f"title={_gh_escape(f'{d.code}/{d.name}', prop=True)}"
        )
        out.write(f"::{kinds[d.severity]} {props}::{_gh_escape(d.message)}\n")
        count += 1
    return count


def _uri(path: str) -> str:
    """A path as SARIF wants it, a URI reference: percent-encoded (spaces, Chinese, ``%``
    and ``#``), relative as given, an absolute path as a ``file://`` URI."""
    import os
    from urllib.parse import quote

    raw = os.fsencode(path.replace("\\", "/"))  # bytes: a name that is not UTF-8 too
    while raw.startswith(b"./"):
        raw = raw[2:]
    encoded = quote(raw, safe="/")
    return "file://" + encoded if encoded.startswith("/") else encoded


def sarif_log(
    diagnostics: Sequence[Diagnostic], rules: Sequence[Rule], version: str
) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run (code scanning, editors)."""
    levels = {"error": "error", "warning": "warning", "info": "note"}
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = []
    for d in diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": levels[d.severity],
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(d.path)},
                        "region": {"startLine": d.line, "startColumn": d.column},
                    }
                }
            ],
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        extra = {k: v for k, v in d.extras.items() if k != "context"}
        if extra:
            result["properties"] = extra
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "gtcbrief",
                        "version": version,
                        "rules": [
                            {
                                "id": rule.code,
                                "name": rule.name,
                                "shortDescription": {"text": rule.doc},
                                "defaultConfiguration": {"level": levels[rule.severity]},
                            }
                            for rule in rules
                        ],
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",  # a column counts characters
            }
        ],
    }


def write_sarif(
    diagnostics: Sequence[Diagnostic], rules: Sequence[Rule], out: IO[str], version: str
) -> int:
    import json

    from gtcbrief.render import json_safe

    out.write(
        json_safe(json.dumps(sarif_log(diagnostics, rules, version), ensure_ascii=False, indent=2))
    )
    out.write("\n")
    return len(diagnostics)


def summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """``3 errors, 1 warning in 2 of 5 files (2 fixable with --fix)``."""
    counts: dict[str, int] = {}
    for d in diagnostics:
        counts[d.severity] = counts.get(d.severity, 0) + 1
    parts = []
    for sev in SEVERITIES:
        n = counts.get(sev, 0)
        if n:
            noun = sev if sev == "info" or n == 1 else sev + "s"
            parts.append(f"{n} {noun}")
    touched = len({d.path for d in diagnostics})
    text = ", ".join(parts) + f" in {touched} of {files} file{'s' if files != 1 else ''}"
    fixable = sum(1 for d in diagnostics if d.fixable)
    if fixable:
        text += f" ({fixable} fixable with --fix)"
    return text
