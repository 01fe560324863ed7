"""Wrapper overhead: `extract_article()` vs the same requests sent by the raw `openai` client and by plain
`instructor`, side by side in one run, against the fake server at a fixed latency (200 ms and 0 ms).

"The same request": a capture pass runs `extract_article()` once per seed and records, per article, the
exact request bodies the server received and the (messages, response model) of every call. Timed rounds then
interleave, per article, in a shuffled order:
  ours        extract_article(text)                      (blocking API, response cache off)
  raw         openai.OpenAI().chat.completions.create(**body) for each recorded body
  instructor  instructor.from_openai(OpenAI()).create(response_model=..., same messages and sampling)
  rules       (evidence-first only) extract_article(text, strategy="rules-only"): the same article analysis
              with no model at all, so ours - raw - rules is the part of our extra time spent around the calls
The instructor bodies are checked to be identical to ours before timing.

    python -m benchmarks.bench_overhead [--rounds-slow 5] [--rounds-fast 40]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from typing import Any

import instructor
import openai
from pydantic import BaseModel

from extract import extract_article, resolve_settings, using_backend
from extract.api import get_backend
from extract.model.backend import Reply
from extract.settings import Settings

from ._common import SEEDS, fake_log, fake_server, median, table, write_result

STRATEGIES = ("single-call", "evidence-first")


class Recorder:
    """A backend that records every call on its way to the real one (capture pass only)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name = inner, inner.name
        self.calls: list[tuple[list[dict[str, str]], type[BaseModel], dict[str, Any] | None]] = []

    async def complete(
        self,
        messages: list[dict[str, str]],
        response_model: type[BaseModel],
        *,
        context: dict[str, Any] | None = None,
    ) -> Reply:
        self.calls.append((messages, response_model, context))
        reply: Reply = await self.inner.complete(messages, response_model, context=context)
        return reply


def _key(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True)


def measure(strategy: str, delay: float, rounds: int) -> dict[str, Any]:
    texts = [p.read_text(encoding="utf-8") for p in SEEDS]
    with fake_server(delay) as url:
        settings: Settings = resolve_settings(base_url=url, strategy=strategy, cache=False, api_key="bench")
        calls, bodies = [], []
        for text in texts:  # capture pass (also warms imports, the client and the connection)
            rec = Recorder(get_backend(settings))
            with using_backend(rec):
                extract_article(text, settings=settings)
            calls.append(rec.calls)
            bodies.append(fake_log(url))
        raw = openai.OpenAI(base_url=url, api_key="bench", max_retries=0)
        plain = instructor.from_openai(openai.OpenAI(base_url=url, api_key="bench", max_retries=0),
                                       mode=instructor.Mode.TOOLS)  # fmt: skip

        def run_raw(i: int) -> None:
            for body in bodies[i]:
                raw.chat.completions.create(**body)

        def run_instructor(i: int) -> None:
            for messages, model, context in calls[i]:
                plain.chat.completions.create(
                    model=settings.model,
                    messages=messages,  # type: ignore[arg-type]
                    response_model=model,
                    max_retries=settings.max_validation_retries,
                    context=context,
                    temperature=settings.temperature,
                    seed=settings.seed,
                    max_tokens=settings.max_tokens,
                )

        def run_ours(i: int) -> None:
            extract_article(texts[i], settings=settings)

        rules_only = resolve_settings(strategy="rules-only", cache=False)

        def run_rules(i: int) -> None:
            extract_article(texts[i], settings=rules_only)

        for i in range(len(texts)):  # same requests? instructor and ours must send byte-equal JSON bodies
            run_instructor(i)
            sent = fake_log(url)
            run_ours(i)
            assert (
                sorted(map(_key, sent)) == sorted(map(_key, fake_log(url))) == sorted(map(_key, bodies[i]))
            ), "instructor and extract_article sent different requests"
        variants = {"ours": run_ours, "raw": run_raw, "instructor": run_instructor}
        if strategy == "evidence-first":
            variants["rules"] = run_rules
        times: dict[str, list[list[float]]] = {v: [[] for _ in texts] for v in variants}
        rng = random.Random(0)
        for _ in range(rounds):
            for i in range(len(texts)):
                order = list(variants)
                rng.shuffle(order)
                for name in order:
                    t0 = time.perf_counter()
                    variants[name](i)
                    times[name][i].append(time.perf_counter() - t0)
            fake_log(url)  # drop the log between rounds
    per_article = {v: [median(t) for t in times[v]] for v in variants}
    total = {v: sum(per_article[v]) for v in variants}
    n_calls = sum(len(c) for c in calls)
    n = len(texts)
    return {
        "strategy": strategy,
        "delay_s": delay,
        "rounds": rounds,
        "articles": n,
        "requests_per_round": n_calls,
        "seconds_per_article": {v: total[v] / n for v in variants},
        "ratio_ours_to_raw": total["ours"] / total["raw"],
        "ratio_instructor_to_raw": total["instructor"] / total["raw"],
        "extra_ms_per_article": {
            "ours": 1000 * (total["ours"] - total["raw"]) / n,
            "instructor": 1000 * (total["instructor"] - total["raw"]) / n,
            **({"rules_analysis": 1000 * total["rules"] / n,
                "ours_around_calls": 1000 * (total["ours"] - total["raw"] - total["rules"]) / n}
               if "rules" in total else {}),
        },
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds-slow", type=int, default=5, help="rounds at 200 ms latency")
    ap.add_argument("--rounds-fast", type=int, default=40, help="rounds at 0 ms latency")
    ap.add_argument("--strategy", action="append", choices=STRATEGIES, help="default: both")
    args = ap.parse_args()
    results = []
    for strategy in args.strategy or STRATEGIES:
        for delay, rounds in ((0.2, args.rounds_slow), (0.0, args.rounds_fast)):
            results.append(measure(strategy, delay, rounds))
    rows = []
    for r in results:
        extra, slow = r["extra_ms_per_article"], r["delay_s"] > 0
        target_met = r["ratio_ours_to_raw"] <= 1.03 if slow else extra["ours"] <= extra["instructor"] + 1.0
        r["target"] = "ours/raw <= 1.03" if slow else "ours extra <= instructor extra + 1 ms"
        r["target_met"] = target_met
        rows.append([
            r["strategy"], f"{int(r['delay_s'] * 1000)} ms", r["requests_per_round"],
            1000 * r["seconds_per_article"]["raw"], 1000 * r["seconds_per_article"]["instructor"],
            1000 * r["seconds_per_article"]["ours"], f"{r['ratio_instructor_to_raw']:.3f}x",
            f"{r['ratio_ours_to_raw']:.3f}x", extra["instructor"], extra["ours"], "yes" if target_met else "NO",
        ])  # fmt: skip
    print(
        "Wrapper overhead on the 5 seeds (ms per article, median of rounds; fake server in its own process)"
    )
    print(table(["strategy", "latency", "requests", "raw ms", "instr ms", "ours ms", "instr/raw", "ours/raw",
                 "instr +ms", "ours +ms", "target"], rows))  # fmt: skip
    for r in results:
        extra = r["extra_ms_per_article"]
        if "rules_analysis" in extra:
            r["around_calls_target_met"] = extra["ours_around_calls"] <= extra["instructor"] + 1.0
            print(f"{r['strategy']} at {r['delay_s'] * 1000:.0f} ms: ours +{extra['ours']:.2f} ms = rules analysis "
                  f"{extra['rules_analysis']:.2f} ms (no model) + {extra['ours_around_calls']:.2f} ms around the "
                  f"calls (instructor alone: +{extra['instructor']:.2f} ms)")  # fmt: skip
    print(f"-> {write_result('overhead', {'results': results})}")


if __name__ == "__main__":
    main()
