"""Pages people look at: the batch HTML report."""

from __future__ import annotations

from .html import write_report

__all__ = ["write_report"]
