"""Rules-only batch throughput: the analysis in the batch's own process vs spread over a pool of processes.

The real articles of the eval sets (seeds, dev, test) are repeated to `--articles` items, each copy with its
own id and content hash so none is skipped as a duplicate; the cache is off. Each round runs both ways on
the same items one after the other, alternating which goes first, so the machine's load falls on both
alike. The pool's time includes starting its processes (spawned: imports and the spaCy pipeline in each).

    python -m benchmarks.bench_pool [--articles 200] [--processes 2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from extract.batch import load_inputs, run_batch
from extract.batch.inputs import InputItem
from extract.settings import resolve_settings

from ._common import ROOT, median, table, write_result


def _items(n: int) -> list[InputItem]:
    base: list[InputItem] = []
    for folder in (ROOT / "seeds", *(ROOT / "evals" / "datasets" / s / "articles" for s in ("dev", "test"))):
        base += load_inputs(folder)
    return [
        replace(a, id=f"{a.id}#{k}", content_hash=f"{a.content_hash}-{k}")
        for k, a in enumerate((base * (n // len(base) + 1))[:n])
    ]


def _run(items: list[InputItem], processes: int) -> float:
    settings = resolve_settings(preset="fast", cache=False)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        asyncio.run(
            run_batch(
                items, out=Path(tmp) / "out.jsonl", settings=settings, concurrency=4, processes=processes
            )
        )
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    items = _items(args.articles)
    _run(items[:4], 0)  # warm: imports and the pipeline in this process
    times: dict[int, list[float]] = {0: [], args.processes: []}
    for r in range(args.rounds):
        order = [0, args.processes] if r % 2 == 0 else [args.processes, 0]
        for p in order:
            times[p].append(_run(items, p))
    rows: list[list[Any]] = []
    one = median(times[0])
    for p, ts in times.items():
        s = median(ts)
        rows.append(["this process" if p == 0 else f"pool of {p}", len(items), s, len(items) / s, one / s])
    print(table(["analysis in", "articles", "s (median)", "articles/s", "x this process"], rows))
    write_result(
        "pool",
        {"articles": len(items), "rounds": args.rounds, "seconds": {str(p): ts for p, ts in times.items()}},
    )


if __name__ == "__main__":
    main()
