"""``gtcbrief validate`` without Typer: what the command does, given its options.

:mod:`gtcbrief.commands.validate` declares the options for Typer and calls
:func:`run`; a plain command line reaches :func:`run` without Typer
(:mod:`gtcbrief.commands.validate_argv`), as a pre-commit hook runs it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from gtcbrief.commands.loaded import Loaded
from gtcbrief.edge import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    check_choice,
    keep,
    warn,
)
from gtcbrief.errors import GtcbriefError

if TYPE_CHECKING:
    from gtcbrief.config import Config
    from gtcbrief.diagnostics import Diagnostic
    from gtcbrief.model import Document
    from gtcbrief.rules import Rule

FAIL_LEVELS = ("error", "warning", "info")


def _list_rules(fmt: str) -> int:
    from gtcbrief.render import write_json_array, write_jsonl
    from gtcbrief.rules import all_rules

    # (sarif and github describe findings; a list of rules in them was text, silently)
    check_choice("--format", fmt, ("text", "json", "jsonl"))
    records = [
        {
            "code": r.code,
            "name": r.name,
            "severity": r.severity,
            "kind": r.kind,
            "fixable": r.fixable,
            "family": r.family,
            "doc": r.doc,
        }
        for r in all_rules()
    ]
    if fmt == "json":
        write_json_array(records, sys.stdout)
    elif fmt == "jsonl":
        write_jsonl(records, sys.stdout)
    else:
        for r in records:
            fix = "fix" if r["fixable"] else "   "
            sys.stdout.write(f"{r['code']}  {r['name']:<22} {r['severity']:<7} {fix}  {r['doc']}\n")
    return EXIT_OK


def _write(
    diagnostics: list[Diagnostic], fmt: str, rules: tuple[Rule, ...], explain: bool = False
) -> None:
    from gtcbrief import __version__
    from gtcbrief.diagnostics import write_github, write_json, write_jsonl, write_sarif, write_text
    from gtcbrief.render import use_colour

    out = sys.stdout
    if fmt == "json":
        write_json(diagnostics, out)
    elif fmt == "jsonl":
        write_jsonl(diagnostics, out)
    elif fmt == "github":
        write_github(diagnostics, out)
    elif fmt == "sarif":
        write_sarif(diagnostics, rules, out, __version__)
    else:
        write_text(diagnostics, out, color=use_colour(out), explain=explain)


def _stdin_config(config: str | None, paths: list[str], stdin_filename: str) -> str | None:
    """With only ``-``, discover the config from ``--stdin-filename`` (as for a real file)."""
    if config or paths != ["-"] or stdin_filename == "-":
        return config
    from pathlib import Path

    from gtcbrief.config import discover

    found = discover(Path(stdin_filename))
    return str(found) if found else None


def _threshold(value: float | None, config: Config) -> float | None:
    """``--mismatch-threshold``, else config ``mismatch_threshold``; checked here, before
    any rule runs (a bad one met inside GB301 read as a crash of the rule)."""
    if value is not None:
        if value != value:  # NaN: every comparison false, nothing would be flagged
            raise GtcbriefError(f"--mismatch-threshold {value}: not a number")
        return value
    raw = config.get("mismatch_threshold")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != raw:
        raise config.error(f"mismatch_threshold must be a number, not {raw!r}")
    return float(raw)


def run(
    paths: list[str] | None = None,
    fmt: str = "text",
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    fail_on: str | None = None,
    exit_zero: bool = False,
    fix: bool = False,
    diff: bool = False,
    mismatch_threshold: float | None = None,
    list_rules: bool = False,
    explain: bool = False,
    quiet: bool = False,
    config: str | None = None,
    doc_format: str | None = None,
    encoding: str | None = None,
    stdin_filename: str = "-",
) -> int:
    """``gtcbrief validate``'s work and exit status (see the command's help)."""
    from gtcbrief.diagnostics import OUTPUT_FORMATS, RANK

    check_choice("--format", fmt, OUTPUT_FORMATS)
    if list_rules:
        return _list_rules(fmt)
    if not paths:
        raise GtcbriefError("no paths given (use - for standard input)")
    if fix and diff:
        raise GtcbriefError("use --fix or --diff, not both")
    if diff and fmt != "text":
        raise GtcbriefError(f"--diff prints a unified diff: --format {fmt} does not apply")
    if fix and "-" in paths:
        raise GtcbriefError("--fix cannot rewrite standard input: use --diff")

    from gtcbrief.config import number_setting
    from gtcbrief.rules import all_rules
    from gtcbrief.rules.engine import (
        check_while_loading,
        make_selection,
        mismatch_available,
        run,
        with_threshold,
    )

    loaded = Loaded(
        paths,
        config=_stdin_config(config, paths, stdin_filename),
        doc_format=doc_format,
        encoding=encoding,
        stdin_filename=stdin_filename,
    )
    cfg = with_threshold(loaded.config, _threshold(mismatch_threshold, loaded.config))
    # GB302 reads dedupe_threshold: a bad one is the config's error, found before any
    # rule runs (met inside the rule, it read as the rule's crash, exit 3)
    number_setting(cfg, "dedupe_threshold", None, 1.0, low=0.0, high=1.0)
    selection = make_selection(cfg, select, ignore)
    level = cfg.get("fail_on", "error") if fail_on is None else fail_on  # ('' is refused)
    if fail_on is None and level not in FAIL_LEVELS:  # the config file's
        raise cfg.error(f"fail_on must be one of {', '.join(FAIL_LEVELS)}, not {level!r}")
    check_choice("--fail-on", str(level), FAIL_LEVELS)

    crashed: list[str] = []

    def on_crash(rule: Rule, path: str, exc: Exception) -> None:
        if isinstance(exc, ImportError):  # a rule's optional dependency is not installed
            warn(f"{rule.code}/{rule.name} skipped: {exc} (reinstall gtcbrief to enable it)")
            return
        crashed.append(rule.code)
        warn(
            f"internal error in {rule.code}/{rule.name} on {path}: {type(exc).__name__}: {exc} "
            "(please report it)"
        )

    featurise = "GB301" in selection.enabled and mismatch_available() and not (fix or diff)
    if featurise:
        # description-mismatch's per-brief features are made by the loader's workers.
        from gtcbrief.mismatch import featurise_while_loading

        featurise_while_loading(cfg)
    if not (fix or diff):
        check_while_loading(cfg, selection)
    try:
        documents: list[Document] = list(loaded)
        if fix or diff:
            documents, changed, failed = _fix(
                documents, cfg, selection, write=fix, encoding=encoding
            )
            loaded.errors += failed
            if diff:
                if loaded.errors:
                    return EXIT_ERROR
                return EXIT_FINDINGS if changed and not exit_zero else EXIT_OK

        diagnostics = run(documents, cfg, selection, on_crash=on_crash)
        keep(documents, diagnostics)
    finally:
        check_while_loading(None)
        if featurise:
            featurise_while_loading(None)
    _write(diagnostics, fmt, all_rules(), explain=explain)
    if diagnostics and not quiet:
        from gtcbrief.diagnostics import summary

        sys.stderr.write(summary(diagnostics, len(documents)) + "\n")
    if loaded.errors:
        return EXIT_ERROR
    if crashed:
        return EXIT_INTERNAL
    failing = any(RANK[d.severity] >= RANK[str(level)] for d in diagnostics)
    return EXIT_FINDINGS if failing and not exit_zero else EXIT_OK


def _fix(
    documents: list[Document],
    cfg: Config,
    selection: Any,
    *,
    write: bool,
    encoding: str | None,
) -> tuple[list[Document], int, int]:
    """Apply (or, for --diff, print) the fixes.

    Returns the documents as they now are, how many files changed (or would),
    and how many could not be written.
    """
    from gtcbrief.fix import fix_documents, unified_diff, write_atomic
    from gtcbrief.loader import load_text

    results = fix_documents(documents, cfg, selection)
    out: list[Document] = []
    changed = fixed = failed = 0
    for doc, result in zip(documents, results, strict=True):
        if result.refused:
            warn(f"{doc.path}: not fixed: {result.refused}")
        if not result.changed:
            out.append(doc)
            continue
        if not write:
            patch = unified_diff(result)
            if sys.stdout.isatty():  # a patch in a pipe stays byte for byte; here, text
                from gtcbrief.render import safe

                # only its line feeds end lines: str.splitlines would also break at
                # U+2028, form feeds and the like, and show text after them as a line of
                # its own, with no '+' or '-' of its own
                lines = patch.split("\n")
                if lines[-1] == "":
                    lines.pop()
                patch = "".join(safe(line.removesuffix("\r")) + "\n" for line in lines)
            else:
                codec = _patch_codec(doc.path, encoding)
                buffer = getattr(sys.stdout, "buffer", None)
                if codec is not None and buffer is not None:  # GBK's lines as GBK, for patch
                    try:
                        data = patch.encode(codec)
                    except UnicodeEncodeError as exc:  # as --fix refuses to write it
                        char = exc.object[exc.start : exc.start + 1]
                        warn(f"{doc.path}: no diff: {exc.encoding} has no {char!r} for it")
                        failed += 1
                        out.append(doc)
                        continue
                    sys.stdout.flush()
                    buffer.write(data)
                    buffer.flush()
                    patch = ""
            sys.stdout.write(patch)
            changed += 1
            fixed += result.fixed
            out.append(doc)
            continue
        try:
            write_atomic(result, encoding=encoding)
        except GtcbriefError as exc:
            warn(str(exc))
            failed += 1
            out.append(doc)
            continue
        changed += 1  # (counted once written: a refused write fixed nothing)
        fixed += result.fixed
        out.append(load_text(result.text, doc.path, config=cfg))
    if write and fixed:
        sys.stderr.write(
            f"fixed {fixed} problem{'s' if fixed != 1 else ''} in "
            f"{changed} file{'s' if changed != 1 else ''}\n"
        )
    return out, changed, failed


def _patch_codec(path: str, encoding: str | None) -> str | None:
    """The encoding a diff of ``path`` is written in for ``patch``, if not UTF-8: the
    file's own when it is ASCII-compatible (GBK, Big5); UTF-16's lines cannot be
    patched (its ``---`` is not ASCII), so they stay UTF-8, readable."""
    from gtcbrief.sources import WIDE_CODECS, bom_decides, codec_name, stream_bytes

    if not encoding:
        return None
    name = codec_name(encoding)
    if name is None or name.startswith(("utf-8", *WIDE_CODECS)):
        return None
    try:
        if path == "-":
            head = stream_bytes("-") or b""
        else:
            with open(path, "rb") as fh:
                head = fh.read(4)
    except OSError:
        return None
    return None if bom_decides(head, encoding) else name
