"""The documents a command reads, without Typer (see :mod:`gtcbrief.commands.argv`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from gtcbrief.edge import warn
from gtcbrief.errors import GtcbriefError


class Loaded:
    """Documents of PATHS, streamed; unreadable files are reported and counted."""

    def __init__(
        self,
        paths: Sequence[str],
        *,
        config: str | None,
        doc_format: str | None,
        encoding: str | None,
        stdin_filename: str,
    ) -> None:
        from gtcbrief.config import load_config
        from gtcbrief.sources import check_encoding

        check_encoding(encoding)
        self.paths = list(paths)
        self.config = load_config(config, self.paths, doc_format)
        self.encoding = encoding
        self.stdin_filename = stdin_filename
        self.errors = 0

    def report(self, exc: GtcbriefError) -> None:
        """A file that could not be read: warned about, and counted."""
        self.errors += 1
        warn(str(exc))

    def none_found(self, documents: int) -> None:
        """Say so when PATHS held no Markdown at all (and nothing failed to be read):
        a directory mistyped, or of other files, is not a clean result."""
        if not documents and not self.errors:
            warn("no Markdown files found in " + " ".join(self.paths))

    def __iter__(self) -> Iterator[Any]:
        from gtcbrief.loader import iter_documents

        count = 0
        for doc in iter_documents(
            self.paths,
            config=self.config,
            encoding=self.encoding,
            stdin_name=self.stdin_filename,
            on_error=self.report,
        ):
            count += 1
            yield doc
        self.none_found(count)
