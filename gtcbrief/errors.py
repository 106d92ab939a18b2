"""The one exception type for expected failures (bad input, usage, I/O).

It is raised anywhere and caught only at the command-line edge, where it
becomes a one-line message on stderr and exit code 2.
"""

from __future__ import annotations


class GtcbriefError(Exception):
    """An expected failure the user can act on."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path + (f":{self.line}" if self.line is not None else "") + ": "
        return where + self.message
