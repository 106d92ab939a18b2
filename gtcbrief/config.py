"""Configuration: the report template and per-project settings.

Settings come from ``[tool.gtcbrief]`` in ``pyproject.toml`` or from a
``.gtcbrief.toml`` file (top-level keys), discovered upward from the first
input path, or named with ``--config``. Unknown keys are kept in ``raw`` so a
command can read its own settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from gtcbrief.errors import GtcbriefError
from gtcbrief.walk import is_stream

TYPE_CHECKING = False  # typing's constant, without importing typing (see gtcbrief.tuples)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, NamedTuple
else:
    from gtcbrief.tuples import NamedTuple

#: Fields an entry's sections can map to.
FIELDS = ("track", "speakers", "description", "implications")
#: What ``format`` (config) and ``--doc-format`` (command line) may say.
DOC_FORMATS = ("auto", "brief", "notes", "markdown")


class Template(NamedTuple):
    """What a daily brief looks like. The default is the seed brief's template.

    Named tuples, not dataclasses, here: ``grep`` reads a config on every run,
    and importing ``dataclasses`` (with ``inspect``, ``ast``, ``dis``) costs it
    about 5 ms. The ``repr`` is the same, and it is part of cache keys.
    """

    document_title: str = "每日参会快报"
    kinds: tuple[str, ...] = (
        "Talks & Panels",
        "Full-Day Workshop",
        "Keynote",
        "Training Lab",
        "Poster",
        "Connect With the Experts",
        "Fireside Chat",
        "Panel",
    )
    #: (heading text, field) in the required order.
    sections: tuple[tuple[str, str], ...] = (
        ("主题", "track"),
        ("演讲人或相关公司", "speakers"),
        ("实事描述", "description"),
        ("对华为的启示", "implications"),
    )
    required: tuple[str, ...] = ("主题", "演讲人或相关公司", "实事描述", "对华为的启示")
    author_prefix: str = "撰稿人"
    id_pattern: str = r"\d{8}"

    def field_of(self, heading: str) -> str | None:
        text = heading.strip()
        for name, fld in self.sections:
            if name == text:
                return fld
        named = self.section_named(text)
        return dict(self.sections)[named] if named else None

    def section_named(self, heading: str) -> str | None:
        """The template section ``heading`` names as writers write it: with a colon
        after it (``实事描述：``), in Traditional characters (``主題``) or both, or
        with its value after the colon (``主题：Robotics - …``, see
        :meth:`value_after`)."""
        text = heading.strip()
        if not text:
            return None
        import re

        from gtcbrief.text import to_simplified

        names = [name for name, _ in self.sections]
        head = to_simplified(re.split(r"[：:]", text, maxsplit=1)[0].strip())
        return head if head in names and head != text else None

    def value_after(self, heading: str) -> str:
        """What follows the section's name and colon on its heading line, if anything."""
        import re

        parts = re.split(r"[：:]", heading.strip(), maxsplit=1)
        return parts[1].strip() if len(parts) == 2 else ""


class Config(NamedTuple):
    template: Template = Template()
    doc_format: str = "auto"
    path: str | None = None
    raw: Mapping[str, Any] = {}  # shared; never changed (a config is replaced, not edited)

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    def error(self, message: str) -> GtcbriefError:
        """A bad value of this config's: the message names its file, where there is one."""
        return GtcbriefError(message, path=self.path)


DEFAULT = Config()


def number_setting(
    config: Config | None,
    key: str,
    explicit: float | None,
    default: float,
    *,
    low: float | None = None,
    high: float | None = None,
    option: str | None = None,
) -> float:
    """A number from the command line (``option``, named in its errors), else config key
    ``key``, else ``default``.

    ``low`` is exclusive and ``high`` inclusive, (low, high]; NaN is refused.
    """
    value: Any = explicit
    bad: Callable[[str], GtcbriefError] = GtcbriefError
    name = option or key
    if value is None and config is not None:
        value = config.get(key)
        bad = config.error  # the value is the config file's: name it
        name = key
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise bad(f"{name} must be a number, not {value!r}") from None
    if number != number:  # NaN
        raise bad(f"{name} must be a number")
    if (low is not None and number <= low) or (high is not None and number > high):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise bad(f"{name} must be in ({lo}, {hi}], not {number:g}")
    return number


def _template_from(raw: Mapping[str, Any], where: str) -> Template:
    tpl = Template()
    data = raw.get("template", {})
    if not isinstance(data, Mapping):
        raise GtcbriefError("[template] must be a table", path=where)
    changes: dict[str, Any] = {}
    for key in _TEMPLATE_STRINGS:
        if key in data:
            if not isinstance(data[key], str):
                raise GtcbriefError(f"template.{key} must be a string", path=where)
            changes[key] = data[key]
    if "id_pattern" in changes:
        import re  # only for a config that sets the pattern

        try:
            re.compile(changes["id_pattern"])
        except re.error as exc:
            raise GtcbriefError(
                f"template.id_pattern is not a regular expression: {exc}", path=where
            ) from None
    for key in _TEMPLATE_LISTS:
        if key in data:
            value = data[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise GtcbriefError(f"template.{key} must be a list of strings", path=where)
            changes[key] = tuple(value)
    if "sections" in data:
        secs = data["sections"]
        if not isinstance(secs, Mapping) or not all(
            isinstance(k, str) and v in FIELDS for k, v in secs.items()
        ):
            raise GtcbriefError(
                "template.sections must map heading text to one of " + ", ".join(FIELDS),
                path=where,
            )
        changes["sections"] = tuple((k, str(v)) for k, v in secs.items())
    return tpl._replace(**changes)


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when a config file is found (≈4 ms)

    try:
        with path.open("rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise GtcbriefError(f"cannot read config: {exc.strerror}", path=str(path)) from None
    try:
        # (a BOM, which Windows editors write and TOML does not allow, is passed over)
        return tomllib.loads(data.removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise GtcbriefError(f"not valid UTF-8 (byte offset {exc.start})", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise GtcbriefError(f"invalid TOML: {exc}", path=str(path)) from None


def load_config_file(path: Path) -> Config:
    data = _read_toml(path)
    tool = data.get("tool", {})
    if not isinstance(tool, Mapping):  # (``tool = 1``: not the table it is read as)
        raise GtcbriefError("tool must be a table ([tool.gtcbrief])", path=str(path))
    if path.name == "pyproject.toml":
        section = tool.get("gtcbrief", {})
    else:
        section = tool.get("gtcbrief", data)
    if not isinstance(section, Mapping):
        raise GtcbriefError("[tool.gtcbrief] must be a table", path=str(path))
    _warn_unknown(section, str(path))
    doc_format = section.get("format", "auto")
    if doc_format not in DOC_FORMATS:
        raise GtcbriefError(
            f"format must be auto, brief, notes or markdown, not {doc_format!r}", path=str(path)
        )
    return Config(
        template=_template_from(section, str(path)),
        doc_format=doc_format,
        path=str(path),
        raw=dict(section),
    )


#: The settings a config file may hold (README, "Configuration"), and its template's.
SETTINGS = (
    "format", "select", "ignore", "fail_on", "severity", "mismatch_threshold",
    "dedupe_threshold", "glossary", "template",
)  # fmt: skip
_TEMPLATE_STRINGS = ("document_title", "author_prefix", "id_pattern")
_TEMPLATE_LISTS = ("kinds", "required")
TEMPLATE_SETTINGS = (*_TEMPLATE_STRINGS, *_TEMPLATE_LISTS, "sections")


def _warn_unknown(section: Mapping[str, Any], where: str) -> None:
    """Say so of a setting gtcbrief does not know (``fail-on`` for ``fail_on``): it would
    otherwise be ignored without a word and the run go on as if it were not there."""
    template = section.get("template")
    unknown: list[tuple[str, tuple[str, ...], str]]
    unknown = [(str(key), SETTINGS, "") for key in section if key not in SETTINGS]
    if isinstance(template, Mapping):
        unknown += [
            (k, TEMPLATE_SETTINGS, "template.") for k in template if k not in TEMPLATE_SETTINGS
        ]
    if not unknown:
        return
    from difflib import get_close_matches

    from gtcbrief.edge import warn

    for key, known, prefix in unknown:
        close = get_close_matches(key.replace("-", "_"), known, n=1)
        hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
        warn(f"{where}: unknown setting {prefix}{key} ignored{hint}")


def discover(start: str | os.PathLike[str]) -> Path | None:
    """The nearest ``.gtcbrief.toml`` or ``pyproject.toml`` with ``[tool.gtcbrief]``."""
    found = _discover(os.fspath(start))
    if found is None:
        return None
    from pathlib import Path

    return Path(found)


def _discover(start: str, known: dict[str, str | None] | None = None) -> str | None:
    """:func:`discover` in strings: ``pathlib`` is imported only once a file is found
    (a warm ``grep`` without a config file never pays its ≈5 ms). ``known``: folders
    already looked at in this run, and their answers (3,000 files in 3,000 folders
    looked up to the root and parsed one pyproject each: 0.95 s)."""
    start = start or "."  # Path("") is the current directory
    here = start if os.path.isdir(start) else os.path.dirname(start.rstrip("/")) or "."
    try:
        folder = os.path.realpath(here)  # what Path.resolve() does
    except OSError:
        return None
    passed: list[str] = []  # folders whose answer is the one found above them
    found: str | None = None
    while True:
        if known is not None and folder in known:
            found = known[folder]
            break
        passed.append(folder)
        candidate = os.path.join(folder, ".gtcbrief.toml")
        if os.path.isfile(candidate):
            found = candidate
            break
        pyproject = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(pyproject) and _configures(pyproject):
            found = pyproject
            break
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    if known is not None:
        known.update(dict.fromkeys(passed, found))
    return found


def _warn_other_configs(used: str | None, paths: Sequence[str]) -> None:
    """Say so when a path given has a nearer config than the one the run uses (found from
    the first path): one config applies to a run, and a pre-commit hook passing files of
    two projects otherwise passed or failed by which files were staged."""
    if len(paths) < 2:
        return
    seen: dict[str, str | None] = {}
    known: dict[str, str | None] = {}
    others: dict[str | None, str] = {}
    for raw in paths:
        if is_stream(raw):  # (standard input, a pipe: they have no folder of their own)
            continue
        folder = raw if os.path.isdir(raw) else os.path.dirname(raw.rstrip("/")) or "."
        if folder not in seen:
            seen[folder] = _discover(folder, known)
        own = seen[folder]
        if own != used and own not in others:
            others[own] = raw
    if others:
        from gtcbrief.edge import warn

        applied = used or "the defaults"
        for own, raw in others.items():
            mine = f"not its own {own}" if own else "though none applies to it"
            warn(
                f"{raw}: checked with {applied} (the first path's config), {mine}: "
                "one config applies to a run; check it apart or pass --config"
            )


def _configures(pyproject: str) -> bool:
    """Whether a ``pyproject.toml`` has a ``[tool.gtcbrief]`` table, however TOML spells it
    (``[tool."gtcbrief"]``, ``gtcbrief = {…}`` under ``[tool]``): a mention in a comment or
    of ``[tool.gtcbriefx]`` is none. A file that is not TOML counts if it names the table,
    so that loading it reports the error."""
    try:
        with open(pyproject, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return False
    if "gtcbrief" not in text or not _may_configure(text):  # (tomllib costs a warm grep
        return False  # ≈4 ms, typing with it: most pyprojects are decided without it)
    import tomllib

    try:
        tool = tomllib.loads(text.removeprefix("\ufeff")).get("tool")
    except tomllib.TOMLDecodeError:
        return "[tool.gtcbrief" in text
    return isinstance(tool, dict) and "gtcbrief" in tool


def _may_configure(text: str) -> bool:
    """Whether a table header names tool and gtcbrief, or a ``gtcbrief`` key sits under
    ``[tool]`` (or ``tool.gtcbrief…`` before any table): what TOML then confirms. A
    project named gtcbrief, or its script, is neither."""
    header = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            header = line.split("#", 1)[0].replace(" ", "")
            if "gtcbrief" in header and "tool" in header:
                return True
        elif "gtcbrief" in line and (
            header == "[tool]" or (not header and line.startswith(("tool", '"tool"')))
        ):
            return True
    return False


def load_config(
    explicit: str | None, paths: Sequence[str], doc_format: str | None = None
) -> Config:
    """``--config`` if given, else the config discovered from the first real path;
    ``doc_format`` (``--doc-format``) overrides its format."""
    config = _load_config(explicit, paths)
    if doc_format:
        from gtcbrief.edge import check_choice

        check_choice("--doc-format", doc_format, DOC_FORMATS)
        config = config._replace(doc_format=doc_format)
    return config


def _load_config(explicit: str | None, paths: Sequence[str]) -> Config:
    found: str | None
    if explicit is not None:
        if not explicit:  # --config '' (an unset variable): no file, not "none given"
            raise GtcbriefError("--config names no file")
        if not os.path.isfile(explicit):
            raise GtcbriefError("config file not found", path=explicit)
        found = explicit
    else:
        # the first file's, not a pipe's (``<(…)`` is in /dev/fd) nor standard input's
        start = next((raw for raw in paths if not is_stream(raw)), None)
        found = _discover(os.getcwd() if start is None else start)
        _warn_other_configs(found, paths)
    if found is None:
        return DEFAULT
    from pathlib import Path

    return load_config_file(Path(found))
