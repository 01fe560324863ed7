"""Batch throughput at concurrency 1/4/8 against the loopback fake server with a fixed per-request delay.

Not a test. Every concurrency level runs the same articles against the same fake, side by side in one
process, and the result is printed as ratios to concurrency 1:

    python benchmarks/bench_batch.py [--articles 24] [--delay 0.25] [--strategy single-call]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extract.batch import load_inputs, run_batch
from extract.settings import resolve_settings
from tests.fake_batches import single_call_completion
from tests.fake_openai import FakeOpenAI, _answer_from_schema

ARTICLES = Path(__file__).with_name("articles")


def answer_after(delay: float) -> Any:
    def answer(body: dict[str, Any]) -> dict[str, Any]:
        time.sleep(delay)  # the fake serves each request on its own thread, like a real server would
        return (
            single_call_completion(body)
            if body.get("tools", [{}])[0].get("function", {}).get("name") == "_LLMArticle"
            else _answer_from_schema(body)
        )

    return answer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=24)
    ap.add_argument("--delay", type=float, default=0.25, help="seconds the fake takes per request")
    ap.add_argument("--strategy", default="single-call")
    args = ap.parse_args()
    articles = load_inputs(ARTICLES)
    items = [  # repeat the 20 articles as needed, each copy with its own id and content hash
        replace(a, id=f"{a.id}#{n}", content_hash=f"{a.content_hash}-{n}")
        for n, a in enumerate(articles * (args.articles // len(articles) + 1))
    ]
    items = items[: args.articles]
    rows = []
    with FakeOpenAI(default=answer_after(args.delay)) as fake, tempfile.TemporaryDirectory() as tmp:
        settings = resolve_settings(base_url=fake.base_url, strategy=args.strategy, cache=False)
        for concurrency in (1, 4, 8):
            before = len(fake.requests)
            started = time.perf_counter()
            stats = asyncio.run(run_batch(items, out=Path(tmp) / f"c{concurrency}.jsonl", settings=settings,
                                          concurrency=concurrency))  # fmt: skip
            wall = time.perf_counter() - started
            rows.append((concurrency, wall, len(items) / wall, len(fake.requests) - before, stats.failed))
    base_rate = rows[0][2]
    print(f"{len(items)} articles, strategy {args.strategy}, fake server delay {args.delay:.2f}s per request")
    print(
        f"{'concurrency':>11} {'seconds':>8} {'articles/s':>10} {'requests':>8} {'failed':>6} {'speed-up':>8}"
    )
    for concurrency, wall, rate, requests, failed in rows:
        print(
            f"{concurrency:>11} {wall:>8.2f} {rate:>10.2f} {requests:>8} {failed:>6} "
            f"{rate / base_rate:>7.2f}x"
        )


if __name__ == "__main__":
    main()
