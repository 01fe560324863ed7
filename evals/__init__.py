"""How well: hand-written expectations for the seeds, scorers, run folders, reports and the baseline gate."""

from __future__ import annotations

from .expectations import Expectations, load_all, seeds_dir
from .harness import check_baseline, compare, rescore, run_eval, score_outputs
from .scoring import actor_similarity, combine, evidence_overlap, match_items, score_article

__all__ = [
    "Expectations",
    "actor_similarity",
    "check_baseline",
    "combine",
    "compare",
    "evidence_overlap",
    "load_all",
    "match_items",
    "rescore",
    "run_eval",
    "score_article",
    "score_outputs",
    "seeds_dir",
]
