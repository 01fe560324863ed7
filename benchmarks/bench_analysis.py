"""Benchmark 6: the analysis under rules-only, before (regex analysis) vs after (spaCy), in one run.

    python -m benchmarks.bench_analysis [--before REV] [--rounds 3]

The code before the spaCy rewrite is checked out from git into a temporary worktree (default: the commit
before it); both versions analyse the same articles (seeds, dev and test texts) in fresh interpreters,
alternating, so the machine's load falls on both alike. Measured per version: milliseconds of rules-only
extraction per 1,000 words (the analysis is all rules-only does) and, where the tree parses with spaCy, how
many of them the pipeline's own parse takes (the floor no rule of ours can lower), articles per second one
after another
(a single-process batch), and the one-time start-up (imports and, after, loading the spaCy pipeline).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ._common import ROOT, median, table, write_result

BEFORE = "4de4c1a"  # the last commit with the regex analysis
ARTICLES = sorted(
    [
        *(ROOT / "seeds").glob("*.txt"),
        *(ROOT / "evals" / "datasets" / "dev" / "articles").glob("*.txt"),
        *(ROOT / "evals" / "datasets" / "test" / "articles").glob("*.txt"),
    ]
)

# runs inside the tree being measured: its own `extract` package comes first on sys.path
WORKER = r"""
import asyncio, json, sys, time
t0 = time.perf_counter()
from extract.strategies.pipeline import Article, run_strategy
warm = Article("Lavrov met Blinken in Geneva on Friday.", None)
asyncio.run(run_strategy("rules-only", warm, None))
startup = time.perf_counter() - t0
try:  # the spaCy parse alone, where the tree has one: what the analysis costs before any rule of ours
    from extract.analysis.nlp import parse
except ImportError:
    parse = None
out = []
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    t = time.perf_counter()
    asyncio.run(run_strategy("rules-only", Article(text, None), None))
    row = {"words": len(text.split()), "s": time.perf_counter() - t}
    if parse is not None:
        t = time.perf_counter()
        parse(text)
        row["parse_s"] = time.perf_counter() - t
    out.append(row)
print(json.dumps({"startup_s": startup, "articles": out}))
"""


def _measure(tree: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, *map(str, ARTICLES)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    words = sum(a["words"] for a in data["articles"])
    seconds = sum(a["s"] for a in data["articles"])
    parsed = sum(a.get("parse_s", 0.0) for a in data["articles"])
    return {
        "startup_s": data["startup_s"],
        "ms_per_1000_words": 1000 * seconds / (words / 1000),
        "parse_ms_per_1000_words": 1000 * parsed / (words / 1000),
        "articles_per_s": len(data["articles"]) / seconds,
        "max_article_s": max(a["s"] for a in data["articles"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git revision with the code to compare against")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="parley-before-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), args.before],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            for _ in range(args.rounds):
                runs["before"].append(_measure(tree))
                runs["after"].append(_measure(ROOT))
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)],
                cwd=ROOT,
                check=False,
                capture_output=True,
            )
    keys = ("ms_per_1000_words", "parse_ms_per_1000_words", "articles_per_s", "startup_s", "max_article_s")
    result = {name: {k: median([r[k] for r in rs]) for k in keys} for name, rs in runs.items()}
    words = sum(len(p.read_text(encoding="utf-8").split()) for p in ARTICLES)
    rows = [[name, *(result[name][k] for k in keys)] for name in ("before", "after")]
    rows.append(
        [
            "after/before",
            *(result["after"][k] / result["before"][k] if result["before"][k] else "—" for k in keys),
        ]
    )
    print(f"{len(ARTICLES)} articles, {words:,} words; median of {args.rounds} alternating rounds")
    print(
        table(
            [
                "analysis",
                "ms / 1,000 words",
                "of which spaCy's parse",
                "articles/s",
                "start-up s",
                "slowest s",
            ],
            rows,
        )
    )
    write_result(
        "analysis",
        {
            "before_rev": args.before,
            "articles": len(ARTICLES),
            "words": words,
            "rounds": args.rounds,
            **result,
        },
    )


if __name__ == "__main__":
    main()
