"""What the eval sets cover: articles, outlets, theatres, styles, long pieces and phenomena, with the targets
a set that looks like the news must reach (`parley eval --stats`; a test holds the sets to the targets)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, get_args

from .datasets import Case
from .expectations import Phenomenon
from .scoring import KINDS, items_of

__all__ = ["LONG_CHARS", "TARGETS", "dataset_stats", "stats_problems", "stats_tables"]

LONG_CHARS = 8_000  # a long piece: chunking is exercised
TARGETS = {
    "articles (all sets)": 45,
    "articles (dev + test)": 40,
    "articles (test)": 15,
    "outlets": 15,
    "theatres": 12,
    "long pieces": 5,
    "each phenomenon": 3,
}


def dataset_stats(cases: Sequence[Case]) -> dict[str, Any]:
    """Counts over the annotated articles (the seeds have no `source`; they count as articles only)."""
    sourced = [c for c in cases if c.expectations.source is not None]
    per_set = Counter(c.set for c in cases)
    items: dict[str, Counter[str]] = {}
    for c in cases:
        row = items.setdefault(c.set, Counter())
        for kind in KINDS:
            row[kind] += sum(1 for i in items_of(c.expectations, kind) if not i.optional)
        row["negatives"] += len(c.expectations.negatives)
    phenomena = Counter(p for c in cases for p in set(c.expectations.phenomena))
    return {
        "sets": dict(per_set),
        "items": {k: dict(v) for k, v in items.items()},
        "outlets": dict(Counter(c.expectations.source.outlet for c in sourced if c.expectations.source)),
        "theatres": dict(Counter(c.expectations.source.theatre for c in sourced if c.expectations.source)),
        "styles": dict(
            Counter(s for c in sourced if c.expectations.source for s in c.expectations.source.styles)
        ),
        "long": sorted(c.article for c in cases if len(c.text) >= LONG_CHARS),
        "phenomena": {p: phenomena.get(p, 0) for p in get_args(Phenomenon)},
    }


def stats_problems(stats: dict[str, Any]) -> list[str]:
    """Every target the sets miss (empty = the sets cover what they should)."""
    sets = stats["sets"]
    have = {
        "articles (all sets)": sum(sets.values()),
        "articles (dev + test)": sets.get("dev", 0) + sets.get("test", 0),
        "articles (test)": sets.get("test", 0),
        "outlets": len(stats["outlets"]),
        "theatres": len(stats["theatres"]),
        "long pieces": len(stats["long"]),
    }
    problems = [
        f"{name}: {have[name]} < {want}"
        for name, want in TARGETS.items()
        if name in have and have[name] < want
    ]
    problems += [
        f"phenomenon {p}: {n} article(s) < {TARGETS['each phenomenon']}"
        for p, n in stats["phenomena"].items()
        if n < TARGETS["each phenomenon"]
    ]
    return problems


def stats_tables(stats: dict[str, Any]) -> list[tuple[str, tuple[str, ...], list[list[str]]]]:
    """(title, columns, rows) tables for the terminal and the README."""

    def counted(title: str, key: str) -> tuple[str, tuple[str, ...], list[list[str]]]:
        rows = [[k, str(v)] for k, v in sorted(stats[key].items(), key=lambda kv: (-kv[1], kv[0]))]
        return f"{title}: {len(stats[key])}", (key, "articles"), rows

    sets = stats["sets"]
    item_rows = [
        [name, str(n), *(str(stats["items"].get(name, {}).get(k, 0)) for k in (*KINDS, "negatives"))]
        for name, n in sets.items()
    ]
    return [
        (
            "articles and expected items (required ones) per set",
            ("set", "articles", *KINDS, "negatives"),
            item_rows,
        ),
        counted("outlets", "outlets"),
        counted("theatres", "theatres"),
        counted("styles", "styles"),
        (
            f"long pieces (≥ {LONG_CHARS:,} characters): {len(stats['long'])}",
            ("article",),
            [[a] for a in stats["long"]],
        ),
        counted("phenomena", "phenomena"),
    ]
