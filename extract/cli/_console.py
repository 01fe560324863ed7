"""The CLI's consoles: tables on stdout, messages on stderr.

Messages are soft-wrapped: rich never inserts a line break or crops, the terminal folds a long line itself,
so an 80-column window (or a pipe) still shows every word of an error, long paths included. Tables and
progress bars are laid out to the width and use their own consoles.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape

__all__ = ["error_line", "messages", "tables"]


def tables() -> Console:
    """Stdout for tables: the terminal's width, or 140 columns in logs and pipes."""
    return Console(width=None if sys.stdout.isatty() else 140)


def messages(*, stderr: bool = True) -> Console:
    """A console for one-line messages that are never wrapped or cut by rich."""
    return Console(stderr=stderr, soft_wrap=True)


def error_line(exc: BaseException | str) -> str:
    """`error: <message>` with the message escaped: text in brackets is data, not markup."""
    return f"[red]error:[/red] {escape(str(exc))}"
