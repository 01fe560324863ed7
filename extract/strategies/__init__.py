"""Extraction strategies (evidence-first, rules-only, single-call) and chunking of long articles."""

from __future__ import annotations

from .pipeline import Article, Proposal, run_strategy

__all__ = ["Article", "Proposal", "run_strategy"]
