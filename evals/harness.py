"""Run extraction over the seeds, score it, and keep everything in a run folder.

A run folder holds `manifest.json` (model, host, prompt/schema hashes, git commit, timings, tokens),
`outputs/<article>.json` (raw extractions or error rows), `scores.json`, `report.md` and `report.html`.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import prompts
from schemas import ArticleExtraction, Meta, schema_hash

from .expectations import Expectations, load_all, seeds_dir
from .report import render_html, render_markdown
from .scoring import ArticleScore, combine, score_article

__all__ = [
    "BASELINE_FILE",
    "Extractor",
    "check_baseline",
    "compare",
    "rescore",
    "run_eval",
    "score_outputs",
]

BASELINE_FILE = Path(__file__).with_name("baseline.json")
Extractor = Callable[[str, str | None], Any]  # (text, published) -> awaitable ArticleExtraction


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=Path(__file__).parent
        )
        return out.stdout.strip() or None
    except OSError:
        return None


def score_outputs(
    outputs: dict[str, ArticleExtraction | None], expectations: tuple[Expectations, ...]
) -> tuple[list[ArticleScore], dict[str, Any]]:
    """Score stored outputs; an article with no output (it failed) scores as an empty prediction."""
    scores = []
    for exp in expectations:
        text = (seeds_dir() / exp.article).read_text(encoding="utf-8")
        pred = outputs.get(exp.article)
        if pred is None:
            pred = ArticleExtraction(meta=Meta.unknown())
        scores.append(score_article(text, exp, pred))
    summary = combine(scores)
    summary["failed_articles"] = sorted(k for k, v in outputs.items() if v is None)
    return scores, summary


async def run_eval(
    extract: Extractor, *, out_dir: Path, label: str, settings_info: dict[str, Any], concurrency: int = 1
) -> dict[str, Any]:
    """Extract every seed with `extract`, write the run folder, return the summary."""
    expectations = load_all()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "outputs").mkdir(exist_ok=True)
    outputs: dict[str, ArticleExtraction | None] = {}
    timings: dict[str, float] = {}
    errors: dict[str, str] = {}
    sem = asyncio.Semaphore(concurrency)

    async def one(exp: Expectations) -> None:
        text = (seeds_dir() / exp.article).read_text(encoding="utf-8")
        async with sem:
            t0 = time.perf_counter()
            try:
                result: ArticleExtraction = await extract(text, exp.published)
                outputs[exp.article] = result
                payload = result.model_dump(mode="json")
            except Exception as exc:  # failures are rows: one bad article does not stop the eval
                outputs[exp.article] = None
                errors[exp.article] = f"{type(exc).__name__}: {exc}"
                payload = {"error": {"kind": type(exc).__name__, "message": str(exc)}}
            timings[exp.article] = round(time.perf_counter() - t0, 3)
        name = Path(exp.article).stem + ".json"
        (out_dir / "outputs" / name).write_text(
            json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    await asyncio.gather(*(one(e) for e in expectations))
    scores, summary = score_outputs(outputs, expectations)
    tokens = sum(o.meta.usage.prompt_tokens + o.meta.usage.completion_tokens for o in outputs.values() if o)
    manifest = {
        "label": label,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "prompt_version": prompts.PROMPT_VERSION,
        "prompt_hash": prompts.prompt_hash(),
        "schema_hash": schema_hash(),
        **settings_info,
        "timings_s": timings,
        "total_s": round(sum(timings.values()), 3),
        "tokens": tokens,
        "errors": errors,
    }
    summary["seconds_per_article"] = round(sum(timings.values()) / max(1, len(timings)), 3)
    summary["tokens_per_article"] = round(tokens / max(1, len(timings)), 1)
    _write(out_dir, manifest, outputs, scores, summary, expectations)
    return summary


def _write(
    out_dir: Path,
    manifest: dict[str, Any],
    outputs: dict[str, ArticleExtraction | None],
    scores: list[ArticleScore],
    summary: dict[str, Any],
    expectations: tuple[Expectations, ...],
) -> None:
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (out_dir / "scores.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out_dir / "report.md").write_text(
        render_markdown(manifest, summary, scores, outputs, expectations), encoding="utf-8"
    )
    (out_dir / "report.html").write_text(
        render_html(manifest, summary, scores, outputs, expectations), encoding="utf-8"
    )


def load_outputs(run_dir: Path) -> dict[str, ArticleExtraction | None]:
    outputs: dict[str, ArticleExtraction | None] = {}
    for exp in load_all():
        path = run_dir / "outputs" / (Path(exp.article).stem + ".json")
        if not path.exists():
            outputs[exp.article] = None
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        outputs[exp.article] = None if "error" in data else ArticleExtraction.model_validate(data)
    return outputs


def rescore(run_dir: Path) -> dict[str, Any]:
    """Re-score a run's stored outputs against the current expectations, without calling any model."""
    expectations = load_all()
    outputs = load_outputs(run_dir)
    scores, summary = score_outputs(outputs, expectations)
    old = (
        json.loads((run_dir / "scores.json").read_text(encoding="utf-8"))
        if (run_dir / "scores.json").exists()
        else {}
    )
    for key in ("seconds_per_article", "tokens_per_article"):
        if key in old:
            summary[key] = old[key]
    manifest = (
        json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        if (run_dir / "manifest.json").exists()
        else {}
    )
    _write(run_dir, manifest, outputs, scores, summary, expectations)
    return summary


def compare(base: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """(metric, base, new, delta) for per-type P/R/F1, macro F1 and grounding."""
    rows = []
    for kind in ("meetings", "statements", "demands"):
        for metric in ("precision", "recall", "f1"):
            b = base["per_type"][kind][metric]
            n = new["per_type"][kind][metric]
            rows.append((f"{kind}.{metric}", b, n, round(n - b, 4)))
    for key in ("macro_f1", "grounded_rate"):
        rows.append((key, base[key], new[key], round(new[key] - base[key], 4)))
    return rows


def check_baseline(summary: dict[str, Any], baseline: dict[str, Any] | None = None) -> list[str]:
    """Messages for every per-type F1 that fell more than the baseline's tolerance below it (empty = pass)."""
    baseline = baseline or json.loads(BASELINE_FILE.read_text(encoding="utf-8"))
    tol = float(baseline["tolerance"])
    problems = []
    for kind, want in baseline["f1"].items():
        got = summary["per_type"][kind]["f1"]
        if got < want - tol:
            problems.append(f"{kind} F1 {got:.3f} is below the baseline {want:.3f} - tolerance {tol:.2f}")
    if summary.get("grounded_rate", 1.0) < baseline.get("grounded_rate", 1.0):
        problems.append(
            f"grounded rate {summary['grounded_rate']:.3f} fell below {baseline['grounded_rate']:.3f}"
        )
    if summary.get("failed_articles"):
        problems.append(f"articles failed: {', '.join(summary['failed_articles'])}")
    return problems
