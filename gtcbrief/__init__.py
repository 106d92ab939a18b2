"""gtcbrief: a corpus toolkit for conference reports written in Chinese Markdown.

The public API is small: :func:`load_text` and :func:`load_path` turn Markdown
into :class:`Document` objects; everything else lives in private modules used
by the command line.
"""

from __future__ import annotations

#: ``typing.TYPE_CHECKING`` without importing ``typing`` (type checkers know the name):
#: the modules a warm ``grep`` runs do the same (see :mod:`gtcbrief.tuples`).
TYPE_CHECKING = False

__version__ = "0.1.0"

__all__ = ["__version__", "load_text", "load_path", "Document", "Entry"]

if TYPE_CHECKING:
    from typing import Any

    from gtcbrief.loader import load_path, load_text
    from gtcbrief.model import Document, Entry


def __getattr__(name: str) -> Any:
    # Lazy re-exports: `import gtcbrief` must stay cheap for `--version`.
    if name in ("load_text", "load_path"):
        from gtcbrief import loader

        return getattr(loader, name)
    if name in ("Document", "Entry"):
        from gtcbrief import model

        return getattr(model, name)
    raise AttributeError(name)
