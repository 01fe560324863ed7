"""Pages people look at: the batch HTML report."""

from __future__ import annotations

from .html import render_report, write_report

__all__ = ["render_report", "write_report"]
