"""The embedded models side by side, in one run: seconds per article, tokens per second, peak memory, and what
reusing the article's prefix saves.

For each installed model the embedded server is started (`EmbeddedServer(model=…)`), then:
  articles  `extract_article()` with the `accurate` preset's strategy (evidence-first, routed as measured for
            that model in extract/data/routing.json) on the first N dev articles, response cache off:
            seconds per article, model calls, prompt and generated tokens (the server's usage)
  prefix    the first article's decision questions asked twice: as shipped (article first, question last, so
            llama.cpp reuses the evaluated article) and with the question first (nothing to reuse)
  tokens/s  generated tokens per second of generation, prompt tokens per second, from llama.cpp's own report
  RAM       the server process's peak resident memory (VmHWM)
The strategies' accuracy per decision is `parley eval --decisions` (README, "Decisions").

    python -m benchmarks.bench_models                     # every installed model, 6 dev articles
    python -m benchmarks.bench_models --model qwen2.5-coder-1.5b --articles 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import time
from typing import Any

from evals.datasets import load_set
from extract import aextract_article, resolve_settings
from extract.analysis.article import Article
from extract.api import get_backend
from extract.errors import ModelOutputInvalid
from extract.model import weights
from extract.strategies import decisions
from extract.strategies.decisions import Question

from ._common import table, write_result
from ._embedded import TimedServer

_PROMPT = re.compile(rb"prompt eval time =\s+([\d.]+) ms /\s+(\d+) tokens")
_EVAL = re.compile(rb"\beval time =\s+([\d.]+) ms /\s+(\d+) runs")


def _installed() -> list[str]:
    found = []
    for spec in weights.MODELS:
        try:
            weights.model_file(spec)
        except Exception as exc:  # not installed, or not assembled: say so and go on
            print(f"skip {spec.key}: {type(exc).__name__}: {str(exc)[:120]}")
            continue
        found.append(spec.key)
    return found


def _peak_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rates(log: bytes) -> tuple[float, float]:
    """Prompt tokens/s and generated tokens/s over every completion llama.cpp reported."""
    p_ms = sum(float(m[0]) for m in _PROMPT.findall(log))
    p_tok = sum(int(m[1]) for m in _PROMPT.findall(log))
    g_ms = sum(float(m[0]) for m in _EVAL.findall(log))
    g_tok = sum(int(m[1]) for m in _EVAL.findall(log))
    return (p_tok / p_ms * 1000 if p_ms else 0.0), (g_tok / g_ms * 1000 if g_ms else 0.0)


def _log(server: TimedServer) -> bytes:
    if server._stderr is None:
        return b""
    server._stderr.flush()
    server._stderr.seek(0)
    return server._stderr.read()


def _question_first(q: Question) -> list[dict[str, str]]:
    """The same question with the article after it: every question's prompt differs from its start."""
    system, user = q.messages()
    article, _, question = user["content"].partition("\n\n")
    return [system, {"role": "user", "content": f"{question}\n\n{article}"}]


async def _prefix(backend: Any, questions: list[Question]) -> dict[str, float]:
    out: dict[str, float] = {}
    for layout in ("article first", "question first"):
        other = Question("meeting", f"Something else ({layout}).", (("sentence", "Nothing."),), ("yes", "no"))
        # something else in the server's memory first (a weak model may still fail it: that is fine)
        with contextlib.suppress(ModelOutputInvalid):
            await backend.complete(
                other.messages(),
                decisions.Choice,
                context={"choices": ["yes", "no"]},
                grammar=other.grammar(),
            )
        started = time.perf_counter()
        for q in questions:
            messages = q.messages() if layout == "article first" else _question_first(q)
            await backend.complete(
                messages, decisions.Choice, context={"choices": list(q.choices)}, grammar=q.grammar()
            )
        out[layout] = (time.perf_counter() - started) / max(1, len(questions))
    return out


def _measure(key: str, n_articles: int) -> dict[str, Any]:
    cases = load_set("dev")[:n_articles]
    with TimedServer(model=key) as server:
        settings = resolve_settings(base_url=server.base_url, model=key, preset="accurate", cache=False)
        rows: list[dict[str, Any]] = []
        for case in cases:
            started = time.perf_counter()
            r = asyncio.run(
                aextract_article(case.text, published=case.expectations.published, settings=settings)
            )
            rows.append({
                "article": case.article, "chars": len(case.text), "s": time.perf_counter() - started,
                "calls": r.meta.usage.calls, "prompt_tokens": r.meta.usage.prompt_tokens,
                "completion_tokens": r.meta.usage.completion_tokens,
            })  # fmt: skip
        first = Article(cases[0].text, None).prepare()
        questions = [
            decisions.sentence_question(first, kind, s.start, s.end)
            for s in first.sentences[:4]
            for kind in ("meeting", "demand")
        ]
        prefix = asyncio.run(_prefix(get_backend(settings), questions))
        prompt_tps, gen_tps = _rates(_log(server))
        assert server.proc is not None
        peak = _peak_mb(server.proc.pid)
    n = len(rows)
    return {
        "model": key, "articles": rows, "s_per_article": sum(r["s"] for r in rows) / n,
        "calls_per_article": sum(r["calls"] for r in rows) / n,
        "tokens_per_article": sum(r["prompt_tokens"] + r["completion_tokens"] for r in rows) / n,
        "prompt_tokens_per_s": prompt_tps, "generated_tokens_per_s": gen_tps, "peak_ram_mb": peak,
        "s_per_question_article_first": prefix["article first"],
        "s_per_question_question_first": prefix["question first"],
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="append", help="a model key (repeatable); default: every installed one")
    ap.add_argument("--articles", type=int, default=6)
    args = ap.parse_args()
    keys = args.model or _installed()
    results = []
    for key in keys:  # each model's figures as soon as they are in: a later model's failure loses nothing
        results.append(_measure(key, args.articles))
        print({k: v for k, v in results[-1].items() if k != "articles"}, flush=True)
    print(f"Embedded models, accurate preset (evidence-first, routed), first {args.articles} dev articles")
    print(table(
        ["model", "s/article", "calls/article", "tokens/article", "prompt tok/s", "gen tok/s", "peak RAM MB",
         "s/question shipped", "s/question question-first", "prefix saves"],
        [[r["model"], r["s_per_article"], r["calls_per_article"], r["tokens_per_article"],
          r["prompt_tokens_per_s"], r["generated_tokens_per_s"], r["peak_ram_mb"],
          r["s_per_question_article_first"], r["s_per_question_question_first"],
          f"{r['s_per_question_question_first'] / r['s_per_question_article_first']:.1f}x"] for r in results],
    ))  # fmt: skip
    print(f"-> {write_result('models', {'articles': args.articles, 'results': results})}")


if __name__ == "__main__":
    main()
