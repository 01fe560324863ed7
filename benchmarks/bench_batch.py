"""Batch scaling: throughput of `run_batch` at concurrency 1, 2, 4, 8 and 16 against the fake server (its own
process, fixed latency per request), as a ratio to sequential and to the ideal (concurrency x sequential).

Every level runs the same articles in one process, side by side. The 20 benchmark articles are repeated to
`--articles` items, each copy with its own id and content hash so none is skipped as a duplicate; the
response cache is off so every article asks the model. For reference, each level also sends the very same
request bodies with the raw `openai.AsyncOpenAI` client at the same concurrency: what the SDK alone
reaches on this machine, with no extraction, no validation, no result file.

    python -m benchmarks.bench_batch [--articles 96] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import openai

from extract.batch import load_inputs, run_batch
from extract.settings import resolve_settings

from ._common import ARTICLES, fake_log, fake_server, table, write_result

LEVELS = (1, 2, 4, 8, 16)


async def _raw(url: str, bodies: list[dict[str, Any]], concurrency: int) -> float:
    """Seconds for the raw SDK to send `bodies` with `concurrency` requests in flight."""
    client = openai.AsyncOpenAI(base_url=url, api_key="bench", max_retries=0)
    gate = asyncio.Semaphore(concurrency)

    async def one(body: dict[str, Any]) -> None:
        async with gate:
            await client.chat.completions.create(**body)

    await one(bodies[0])  # connect
    started = time.perf_counter()
    await asyncio.gather(*(one(b) for b in bodies))
    await client.close()
    return time.perf_counter() - started


def measure(strategy: str, n_articles: int, delay: float) -> dict[str, Any]:
    base = load_inputs(ARTICLES)
    items = [
        replace(a, id=f"{a.id}#{n}", content_hash=f"{a.content_hash}-{n}")
        for n, a in enumerate((base * (n_articles // len(base) + 1))[:n_articles])
    ]
    rows = []
    with fake_server(delay) as url, tempfile.TemporaryDirectory() as tmp:
        settings = resolve_settings(base_url=url, strategy=strategy, cache=False, api_key="bench")
        asyncio.run(run_batch(items[:4], out=Path(tmp) / "warm.jsonl", settings=settings, concurrency=4))
        fake_log(url)
        for level in LEVELS:
            started = time.perf_counter()
            stats = asyncio.run(
                run_batch(items, out=Path(tmp) / f"c{level}.jsonl", settings=settings, concurrency=level)
            )
            wall = time.perf_counter() - started
            bodies = fake_log(url)
            raw = asyncio.run(_raw(url, bodies, level)) if bodies else 0.0
            fake_log(url)
            rows.append({"concurrency": level, "seconds": wall, "articles_per_s": len(items) / wall,
                         "requests": len(bodies), "failed": stats.failed,
                         "raw_requests_per_s": len(bodies) / raw if raw else None})  # fmt: skip
    sequential: float = rows[0]["articles_per_s"]
    for row in rows:
        row["speedup"] = row["articles_per_s"] / sequential
        row["of_ideal"] = row["speedup"] / row["concurrency"]
    at8 = next(r for r in rows if r["concurrency"] == 8)
    return {
        "strategy": strategy,
        "articles": len(items),
        "delay_s": delay,
        "requests_per_article": rows[0]["requests"] / len(items),
        "cpus": len(os.sched_getaffinity(0)),
        "levels": rows,
        "target": "speed-up >= 7x at concurrency 8",
        "target_met": at8["speedup"] >= 7.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=96)
    ap.add_argument("--delay", type=float, default=0.05, help="fake model latency per request, seconds")
    args = ap.parse_args()
    results = [measure(s, args.articles, args.delay) for s in ("single-call", "evidence-first")]
    for r in results:
        print(f"Batch of {r['articles']} articles, {r['strategy']} ({r['requests_per_article']:.2f} requests per "
              f"article), fake latency {r['delay_s'] * 1000:.0f} ms")  # fmt: skip
        rows = [[x["concurrency"], x["seconds"], x["articles_per_s"], x["requests"], x["failed"],
                 f"{x['speedup']:.2f}x", f"{x['of_ideal']:.0%}", x["raw_requests_per_s"] or "-"]
                for x in r["levels"]]  # fmt: skip
        print(table(["concurrency", "seconds", "articles/s", "requests", "failed", "vs sequential", "of ideal",
                     "raw SDK req/s"], rows))  # fmt: skip
        print(f"target {r['target']}: {'met' if r['target_met'] else 'NOT met'}\n")
    print(f"-> {write_result('batch', {'results': results})}")


if __name__ == "__main__":
    main()
