"""Cold vs cached extraction of the seeds, side by side in one run, against the loopback fake server.

Not a test. The fake answers every model question after a fixed delay (standing in for a model), so the
ratio shows what the response cache saves; the second pass must make no request at all.

    python benchmarks/bench_cache.py [--delay 0.2] [--strategy single-call|evidence-first]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extract import aextract_article, resolve_settings
from tests.fake_batches import single_call_completion
from tests.fake_openai import FakeOpenAI, _answer_from_schema

SEEDS = sorted((Path(__file__).resolve().parents[1] / "seeds").glob("*.txt"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--strategy", default="single-call")
    args = parser.parse_args()

    def answer(request: dict[str, Any]) -> Any:
        time.sleep(args.delay)
        if args.strategy == "single-call":
            return single_call_completion(request)
        return _answer_from_schema(request)

    with FakeOpenAI(default=answer) as fake, tempfile.TemporaryDirectory() as tmp:
        settings = resolve_settings(base_url=fake.base_url, strategy=args.strategy, cache=Path(tmp) / "cache")

        async def one_pass() -> tuple[float, int]:
            t0 = time.perf_counter()
            cached = 0
            for path in SEEDS:
                result = await aextract_article(path.read_text(), settings=settings)
                cached += result.meta.cached
            return time.perf_counter() - t0, cached

        cold, _ = asyncio.run(one_pass())
        requests_after_cold = len(fake.requests)
        warm, cached = asyncio.run(one_pass())
    print(f"{len(SEEDS)} seeds, strategy {args.strategy}, model delay {args.delay:.2f}s per request")
    print(f"cold : {cold:7.3f}s  ({requests_after_cold} requests)")
    print(
        f"warm : {warm:7.3f}s  ({len(fake.requests) - requests_after_cold} requests, {cached} cached results)"
    )
    print(f"cold/warm = {cold / warm:.1f}x")


if __name__ == "__main__":
    main()
