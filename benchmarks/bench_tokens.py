"""Tokens per article on the embedded model: ours vs langextract on the same seeds, and how our cost grows
with article length (1x, 4x, 16x the seed), all measured in one run through one token-counting proxy.

Tokens are the model server's own `usage` counts, read at a proxy in front of the embedded SmolLM2-135M
server, for every request of every client (retries included). langextract (not one of our dependencies)
runs from its own virtual environment (`--langextract-python`, default `.venv-langextract/bin/python`;
make it with `python -m venv .venv-langextract && .venv-langextract/bin/pip install 'langextract[openai]'`).

Longer articles: the seed followed by other whole articles (the other seeds, the benchmark and eval
articles) up to 4x or 16x its length; when those run out they are reused with " [copy n]" after each
paragraph so the repeated-paragraph filter keeps them. evidence-first needs no chunking (each call carries
a short passage); single-call is chunked at 8,000 characters as `parley batch` does (every chunk asked, even
after one fails), and also tried whole.

    python -m benchmarks.bench_tokens [--growth-seeds 2] [--no-langextract]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

from extract import ExtractError, aextract_article, resolve_settings
from extract.batch.runner import DEFAULT_CHUNK_CHARS
from extract.settings import Settings
from extract.strategies.chunking import chunk_text

from ._common import ARTICLES, ROOT, SEEDS, table, write_result
from ._embedded import TimedServer
from ._proxy import Proxy, proxy_to

FACTORS = (1, 4, 16)
MODEL = "SmolLM2-135M-Instruct"


def longer(seed: Path, factor: int) -> str:
    """The seed followed by other whole articles, about `factor` times the seed's length.

    Whole articles keep each quote next to the sentence that names its speaker. When the pool runs out it
    starts again with " [copy n]" after every paragraph, so the repeated-paragraph filter keeps them and
    sentence openings (where attribution cues sit) are untouched.
    """
    text = seed.read_text(encoding="utf-8")
    target = factor * len(text)
    pool = [p for p in SEEDS if p != seed] + sorted(ARTICLES.glob("*.txt"))
    pool += sorted((ROOT / "evals" / "synthetic").glob("*.txt"))
    out, size, copy = [text.rstrip()], len(text), 1
    while size < target:
        for path in pool:
            paragraphs = [x.strip() for x in path.read_text(encoding="utf-8").split("\n\n") if x.strip()]
            if copy > 1:
                paragraphs = [f"{x} [copy {copy}]" for x in paragraphs]
            for para in paragraphs:
                if size >= target:
                    break
                out.append(para)
                size += len(para) + 2
        copy += 1
    return "\n\n".join(out) + "\n"


def _tokens(proxy: Proxy, label: str) -> dict[str, Any]:
    ex = proxy.records(label)
    return {"calls": len(ex), "prompt_tokens": sum(x.prompt_tokens for x in ex),
            "completion_tokens": sum(x.completion_tokens for x in ex),
            "server_errors": sum(1 for x in ex if x.status >= 400)}  # fmt: skip


async def _ours(text: str, settings: Settings, chunk: bool) -> str:
    """Extract; chunked, every chunk is asked even after one fails (a batch would stop at the first), so
    the tokens are what the whole article costs."""
    pieces = [c.text for c in chunk_text(text, max_chars=DEFAULT_CHUNK_CHARS)] if chunk else [text]
    items, failures = 0, []
    for piece in pieces:
        try:
            result = await aextract_article(piece, settings=settings)
        except ExtractError as exc:
            failures.append(type(exc).__name__)
            continue
        items += len(result.meetings) + len(result.statements) + len(result.demands)
    parts = f"{len(pieces)} chunks, " if chunk else ""
    return f"{parts}{items} items" + (f", {len(failures)} x {failures[0]}" if failures else "")


def run_ours(proxy: Proxy, label: str, text: str, strategy: str, chunk: bool = False) -> dict[str, Any]:
    settings = resolve_settings(base_url=proxy.base_url, strategy=strategy, cache=False)
    proxy.label = label
    outcome = asyncio.run(_ours(text, settings, chunk))
    return {"label": label, "chars": len(text), "outcome": outcome, **_tokens(proxy, label)}


def run_langextract(proxy: Proxy, python: str, seeds: list[Path]) -> list[dict[str, Any]]:
    rows = []
    for seed in seeds:
        label = f"langextract:{seed.stem[:3]}"
        proxy.label = label
        done = subprocess.run(
            [python, str(ROOT / "benchmarks" / "langextract_runner.py"), proxy.base_url, MODEL, str(seed)],
            capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        lines = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
        outcome = (f"{lines[0]['extractions']} items" if lines and lines[0]["status"] == "ok"
                   else (lines[0]["status"] if lines else done.stderr.strip()[-200:]))  # fmt: skip
        rows.append(
            {
                "label": label,
                "chars": len(seed.read_text(encoding="utf-8")),
                "outcome": outcome,
                **_tokens(proxy, label),
            }
        )
    return rows


def per_kchar(row: dict[str, Any]) -> float:
    return float(row["prompt_tokens"] + row["completion_tokens"]) / (row["chars"] / 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--growth-seeds", type=int, default=2, help="seeds used for the 4x/16x rows (all: 5)")
    ap.add_argument("--langextract-python", default=str(ROOT / ".venv-langextract" / "bin" / "python"))
    ap.add_argument("--no-langextract", action="store_true")
    args = ap.parse_args()
    have_le = not args.no_langextract and Path(args.langextract_python).exists()
    compare: list[dict[str, Any]] = []
    growth: list[dict[str, Any]] = []
    with TimedServer() as server, proxy_to(server.base_url) as proxy:
        run_ours(proxy, "warm-up", SEEDS[0].read_text(encoding="utf-8"), "evidence-first")
        for seed in SEEDS:  # 1x: ours (both strategies) and langextract, per seed
            for strategy in ("evidence-first", "single-call"):
                compare.append(
                    run_ours(proxy, f"{strategy}:{seed.stem[:3]}", seed.read_text(encoding="utf-8"), strategy)
                )
        if have_le:
            compare += run_langextract(proxy, args.langextract_python, SEEDS)
        for seed in SEEDS[: args.growth_seeds]:
            for factor in FACTORS:
                text = longer(seed, factor)
                for strategy, chunk in (
                    ("evidence-first", False),
                    ("single-call", True),
                    ("single-call", False),
                ):
                    if factor == 1 and not chunk and strategy == "single-call":
                        continue  # the same request as chunked: one chunk
                    name = f"{strategy}{' chunked' if chunk else ''}"
                    row = run_ours(proxy, f"{name}:{seed.stem[:3]}:{factor}x", text, strategy, chunk)
                    growth.append({**row, "strategy": name, "factor": factor, "seed": seed.stem[:3]})
    by_tool: dict[str, list[dict[str, Any]]] = {}
    for row in compare:
        by_tool.setdefault(row["label"].split(":")[0], []).append(row)
    summary = []
    for tool, rows in by_tool.items():
        n = len(rows)
        summary.append({"tool": tool, "articles": n, "calls": sum(r["calls"] for r in rows) / n,
                        "prompt_tokens": sum(r["prompt_tokens"] for r in rows) / n,
                        "completion_tokens": sum(r["completion_tokens"] for r in rows) / n,
                        "tokens_per_kchar": sum(per_kchar(r) for r in rows) / n,
                        "outcomes": [r["outcome"] for r in rows]})  # fmt: skip
    print("Tokens per seed article (mean over the seeds; embedded SmolLM2-135M, server-reported usage)")
    print(table(["tool", "articles", "calls", "prompt tok", "compl tok", "tok/1k chars", "outcomes"],
                [[s["tool"], s["articles"], s["calls"], s["prompt_tokens"], s["completion_tokens"],
                  s["tokens_per_kchar"], ", ".join(s["outcomes"])] for s in summary]))  # fmt: skip
    if not have_le:
        print("(langextract not run: no interpreter at --langextract-python; see this script's docstring)")
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in growth:
        grouped.setdefault((row["strategy"], row["factor"]), []).append(row)
    lines = []
    for (strategy, factor), rows in grouped.items():
        base = grouped.get((strategy, 1)) or grouped[("single-call chunked", 1)]
        base_tokens = sum(r["prompt_tokens"] + r["completion_tokens"] for r in base) / len(base)
        tokens = sum(r["prompt_tokens"] + r["completion_tokens"] for r in rows) / len(rows)
        lines.append({"strategy": strategy, "factor": factor, "chars": sum(r["chars"] for r in rows) / len(rows),
                      "calls": sum(r["calls"] for r in rows) / len(rows), "tokens": tokens,
                      "tokens_vs_1x": tokens / base_tokens if base_tokens else None,
                      "tokens_per_kchar": sum(per_kchar(r) for r in rows) / len(rows),
                      "tokens_per_call": tokens / max(1e-9, sum(r["calls"] for r in rows) / len(rows)),
                      "server_errors": sum(r["server_errors"] for r in rows),
                      "outcomes": [r["outcome"] for r in rows]})  # fmt: skip
    print(
        f"\nGrowth with article length (mean over {args.growth_seeds} seeds); linear cost = tokens/1k chars flat"
    )
    print(table(["strategy", "length", "chars", "calls", "tokens", "vs 1x", "tok/call", "tok/1k chars", "outcomes"],
                [[x["strategy"], f"{x['factor']}x", x["chars"], x["calls"], x["tokens"],
                  f"{x['tokens_vs_1x']:.1f}x" if x["tokens_vs_1x"] else "-", x["tokens_per_call"], x["tokens_per_kchar"],
                  ", ".join(sorted(set(x["outcomes"])))] for x in lines]))  # fmt: skip
    data = {"model": MODEL, "per_seed": compare, "summary": summary, "growth": lines, "growth_rows": growth}
    print(f"-> {write_result('tokens', data)}")


if __name__ == "__main__":
    main()
