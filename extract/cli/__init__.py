"""`parley`: the command line, a thin skin over the library (top stage: it may import every stage below)."""

from __future__ import annotations

from .app import app, main, run_cli

__all__ = ["app", "main", "run_cli"]
