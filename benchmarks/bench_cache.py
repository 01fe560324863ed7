"""Cache hit vs miss: p50/p99 latency of `extract_article()` with a warm cache vs a cold one, side by side in
one run, against the fake server (its own process, fixed latency per request).

A miss asks the model (every request waits the fake's latency); a hit is served from the whole-article entry
of the response cache without building the article analysis or touching the network. The hit pass must
make no request at all; the script checks that.

    python -m benchmarks.bench_cache [--delay 0.2] [--rounds 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from extract import extract_article, resolve_settings

from ._common import SEEDS, fake_log, fake_server, pct, table, write_result

TARGET_P50_MS = 5.0


def measure(strategy: str, delay: float, rounds: int) -> dict[str, Any]:
    texts = [p.read_text(encoding="utf-8") for p in SEEDS]
    with fake_server(delay) as url, tempfile.TemporaryDirectory() as tmp:
        miss_s: list[float] = []
        hit_s: list[float] = []
        for r in range(rounds):
            # a fresh cache directory per round: every first call misses, every second call hits
            settings = resolve_settings(
                base_url=url, strategy=strategy, cache=Path(tmp) / f"r{r}", api_key="b"
            )
            for text in texts:
                t0 = time.perf_counter()
                first = extract_article(text, settings=settings)
                t1 = time.perf_counter()
                second = extract_article(text, settings=settings)
                t2 = time.perf_counter()
                assert not first.meta.cached and second.meta.cached
                assert second.model_dump(exclude={"meta"}) == first.model_dump(exclude={"meta"})
                miss_s.append(t1 - t0)
                hit_s.append(t2 - t1)
            fake_log(url)  # forget this round's requests
        # one more hit pass alone, to prove hits never reach the server
        for text in texts:
            extract_article(text, settings=settings)
        assert fake_log(url) == [], "a cached extraction reached the model server"

    def ms(xs: list[float], q: float) -> float:
        return 1000 * pct(xs, q)

    return {
        "strategy": strategy,
        "delay_s": delay,
        "samples": len(hit_s),
        "miss_ms": {"p50": ms(miss_s, 50), "p99": ms(miss_s, 99)},
        "hit_ms": {"p50": ms(hit_s, 50), "p99": ms(hit_s, 99)},
        "speedup_p50": pct(miss_s, 50) / pct(hit_s, 50),
        "target": f"hit p50 <= {TARGET_P50_MS} ms",
        "target_met": ms(hit_s, 50) <= TARGET_P50_MS,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delay", type=float, default=0.2, help="fake model latency per request, seconds")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    results = [measure(s, args.delay, args.rounds) for s in ("evidence-first", "single-call")]
    rows = [
        [r["strategy"], r["samples"], r["miss_ms"]["p50"], r["miss_ms"]["p99"], r["hit_ms"]["p50"],
         r["hit_ms"]["p99"], f"{r['speedup_p50']:.0f}x", "yes" if r["target_met"] else "NO"]
        for r in results
    ]  # fmt: skip
    print(f"Cache hit vs miss on the 5 seeds, fake model latency {args.delay * 1000:.0f} ms per request (ms)")
    print(
        table(["strategy", "n", "miss p50", "miss p99", "hit p50", "hit p99", "miss/hit", "p50<=5ms"], rows)
    )
    print(f"-> {write_result('cache', {'results': results})}")


if __name__ == "__main__":
    main()
