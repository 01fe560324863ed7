"""Run every benchmark, each in a fresh interpreter, then print and write the summary of ratios and targets.

    python -m benchmarks                 # all five (3 and 4 need the local extra; about 15 minutes)
    python -m benchmarks --fake-only     # 1-3: the fake server only, about 2 minutes, no model needed

Each benchmark prints its own table and writes benchmarks/results/<name>.json; this writes
benchmarks/results/SUMMARY.md from those files.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from ._common import RESULTS, ROOT, table

FAKE = ("bench_overhead", "bench_cache", "bench_batch")
EMBEDDED = ("bench_embedded", "bench_tokens")


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def summary() -> list[list[str]]:
    rows: list[list[str]] = []

    def yes(ok: bool) -> str:
        return "met" if ok else "NOT met"

    if d := _load("overhead"):
        for r in d["results"]:
            lat = f"{round(r['delay_s'] * 1000)} ms"
            extra = r["extra_ms_per_article"]
            rows.append([f"1 overhead, {r['strategy']}, {lat}",
                         f"ours/raw {r['ratio_ours_to_raw']:.3f}x, instructor/raw {r['ratio_instructor_to_raw']:.3f}x; "
                         f"extra ms/article ours {extra['ours']:.2f}, instructor {extra['instructor']:.2f}",
                         r["target"], yes(r["target_met"])])  # fmt: skip
    if d := _load("cache"):
        for r in d["results"]:
            rows.append([f"2 cache hit, {r['strategy']}",
                         f"hit p50 {r['hit_ms']['p50']:.2f} ms, p99 {r['hit_ms']['p99']:.2f} ms; miss p50 "
                         f"{r['miss_ms']['p50']:.0f} ms ({r['speedup_p50']:.0f}x)", r["target"], yes(r["target_met"])])  # fmt: skip
    if d := _load("batch"):
        for r in d["results"]:
            lv = {x["concurrency"]: x for x in r["levels"]}
            speed = ", ".join(f"{c}: {x['speedup']:.2f}x" for c, x in lv.items())
            raw8 = lv[8]["raw_requests_per_s"]
            rows.append([f"3 batch, {r['strategy']}", f"{speed} (at 8: {lv[8]['of_ideal']:.0%} of ideal; raw SDK "
                         f"{raw8:.0f} req/s vs ours {lv[8]['articles_per_s'] * r['requests_per_article']:.0f})",
                         r["target"], yes(r["target_met"])])  # fmt: skip
    if d := _load("embedded"):
        for r in d["results"]:
            rows.append([f"4 embedded, {r['strategy']}",
                         f"e2e/llama {r['ratio_e2e_to_llama']:.3f}x; ours {r['ours_s']:.3f} s of "
                         f"{r['total']['e2e_s']:.2f} s", r["target"], yes(r["target_met"])])  # fmt: skip
    if d := _load("tokens"):
        for s in d["summary"]:
            rows.append([f"5 tokens/seed, {s['tool']}", f"{s['prompt_tokens']:.0f} prompt + {s['completion_tokens']:.0f} "
                         f"completion in {s['calls']:.1f} calls ({s['tokens_per_kchar']:.0f} tok/1k chars)", "-", "-"])  # fmt: skip
        for g in d["growth"]:
            if g["factor"] != 1:
                per_call = g["tokens"] / g["calls"] if g["calls"] else 0.0
                figures = (
                    f"refused by the server ({g['server_errors']} x HTTP error): no tokens counted"
                    if g["server_errors"] and not g["tokens"]
                    else f"tokens {g['tokens_vs_1x'] or 0:.1f}x the 1x article in {g['calls']:.1f} calls "
                    f"({per_call:.0f} tok/call; {g['tokens_per_kchar']:.0f} tok/1k chars)"
                )
                rows.append([f"5 growth, {g['strategy']}, {g['factor']}x", figures, "linear", "-"])  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fake-only", action="store_true", help="skip the embedded-model benchmarks")
    ap.add_argument("--summary-only", action="store_true", help="summarise the stored results, run nothing")
    args = ap.parse_args()
    if not args.summary_only:
        for name in FAKE + (() if args.fake_only else EMBEDDED):
            print(f"\n=== {name} ===", flush=True)
            subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=ROOT, check=True)
    rows = summary()
    text = table(["benchmark", "figures", "target", "result"], rows)
    print("\n=== summary ===\n" + text)
    (RESULTS / "SUMMARY.md").write_text(
        "# Benchmark summary\n\nWritten by `python -m benchmarks` from the JSON files next to this one.\n\n"
        "| benchmark | figures | target | result |\n|---|---|---|---|\n"
        + "".join(f"| {' | '.join(r)} |\n" for r in rows),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
