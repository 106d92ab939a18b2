"""``--help`` as it was last written, when nothing it depends on has changed.

Writing the help takes importing Typer (≈55 ms) and having it turn every command
into a click command (≈20 ms), well over half of ``gtcbrief --help``. Its text depends
only on the code, the command line, the environment and the terminal's width, so
the text is kept in the cache directory under a key made of all of those:

- the command line, gtcbrief's version and the Python running it;
- the size and modification time of every module of gtcbrief and of Typer (an edit,
  an upgrade or a reinstall changes them);
- every environment variable but the few a shell changes as it moves about
  (``PWD``, ``OLDPWD``, ``SHLVL``, ``_``) and the random one hyperfine sets, and
  whether output goes to a terminal, and its size.

Any change is a miss: the help is written as usual and kept for next time. Only
``--help``/``-h``, alone or after a command's name, is served; ``GTCBRIEF_NO_CACHE``
turns it off. Nothing here imports more than the standard library's smallest parts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

#: Environment variables that change as a shell moves about, and never the help; and
#: the one hyperfine sets to a new random value on every run it times.
_VOLATILE = frozenset({"PWD", "OLDPWD", "SHLVL", "_", "HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET"})
#: Help texts kept at most (one per terminal width, command and so on).
_KEEP = 32


def wants(args: Sequence[str], commands: Sequence[str]) -> bool:
    """Whether ``args`` only ask for help, of the program or of one command."""
    if not args or args[-1] not in ("--help", "-h"):
        return False
    return len(args) == 1 or (len(args) == 2 and args[0] in commands)


def _modules(folder: str) -> list[str]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return [f"{folder}:missing"]
    out = []
    for entry in entries:
        if entry.name.endswith(".py"):
            st = entry.stat()
            out.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
    return sorted(out)


def _key(args: Sequence[str]) -> str | None:
    import hashlib

    from gtcbrief import __version__

    try:
        terminal = os.isatty(sys.stdout.fileno())
        size = os.get_terminal_size(sys.stdout.fileno()) if terminal else None
    except (OSError, ValueError, AttributeError):  # not a real file: never from the cache
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    typer = next(
        (
            os.path.join(p or ".", "typer")
            for p in sys.path
            if os.path.isfile(os.path.join(p or ".", "typer", "__init__.py"))
        ),
        "",
    )
    parts = [
        __version__,
        sys.version,
        sys.executable,
        "\0".join(args),
        f"terminal={terminal} {size}",
        repr(sorted((k, v) for k, v in os.environ.items() if k not in _VOLATILE)),
        here,
        *_modules(here),
        *_modules(os.path.join(here, "commands")),
        typer,
        *_modules(typer),
        *_modules(os.path.join(typer, "_click")),
    ]
    return hashlib.blake2b("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _folder() -> str:
    from gtcbrief.text import cache_root

    return os.path.join(cache_root(), "help")


def cached(args: Sequence[str]) -> tuple[str | None, str | None]:
    """(the text kept for ``args``, or ``None``; the key to keep it under, or ``None``)."""
    if os.environ.get("GTCBRIEF_NO_CACHE", "") not in ("", "0"):
        return None, None
    key = _key(args)
    if key is None:
        return None, None
    try:
        with open(os.path.join(_folder(), key), encoding="utf-8") as fh:
            kept = fh.read()
    except (OSError, UnicodeDecodeError):
        return None, key
    # whole only with the mark :func:`_keep` ends it with (a file cut short, by a full
    # disk or by hand, printed an empty or partial help)
    return (kept[:-1] if kept.endswith(_END) else None), key


def write_and_keep(key: str, run: Callable[[], int]) -> int:
    """Run ``run`` (which writes the help), keep what it wrote under ``key`` if it
    ended well, and write it out: the same text as without the cache."""
    import io

    real, captured = sys.stdout, io.StringIO()
    sys.stdout = captured
    try:
        code = run()
    finally:
        sys.stdout = real
    text = captured.getvalue()
    real.write(text)
    if code == 0 and text:
        _keep(key, text)
    return code


#: What ends every kept help text: a character no help has.
_END = "\0"


def _keep(key: str, text: str) -> None:
    import contextlib

    folder = _folder()
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".{key}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text + _END)
            os.replace(tmp, os.path.join(folder, key))  # whole or not at all
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        kept = sorted(os.scandir(folder), key=lambda e: e.stat().st_mtime_ns, reverse=True)
        for old in kept[_KEEP:]:
            os.unlink(old.path)
    except OSError:  # a cache that cannot be written is only slower
        pass
