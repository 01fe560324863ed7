"""Run extraction over an eval set, score it, and keep everything in a run folder.

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

from .datasets import Case, load_set
from .expectations import Expectations
from .report import error_rows, render_html, render_markdown
from .scoring import KINDS, ArticleScore, combine, score_article

__all__ = [
    "BASELINE_FILE",
    "Extractor",
    "above_baseline",
    "baseline_entry",
    "baseline_key",
    "check_baseline",
    "compare",
    "load_baseline",
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
    outputs: dict[str, ArticleExtraction | None], cases: tuple[Case, ...]
) -> tuple[list[ArticleScore], dict[str, Any]]:
    """Score stored outputs; an article with no output (it failed) scores as an empty prediction."""
    scores = []
    for case in cases:
        pred = outputs.get(case.article)
        if pred is None:
            pred = ArticleExtraction(meta=Meta.unknown())
        scores.append(score_article(case.text, case.expectations, pred))
    summary = combine(scores)
    summary["failed_articles"] = sorted(k for k, v in outputs.items() if v is None)
    return scores, summary


async def run_eval(
    extract: Extractor,
    *,
    out_dir: Path,
    label: str,
    settings_info: dict[str, Any],
    concurrency: int = 1,
    eval_set: str = "seeds",
    articles: int | None = None,
) -> dict[str, Any]:
    """Extract every article of `eval_set` (or its first `articles`) with `extract`, write the run folder,
    return the summary."""
    cases = load_set(eval_set)[:articles]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "outputs").mkdir(exist_ok=True)
    outputs: dict[str, ArticleExtraction | None] = {}
    timings: dict[str, float] = {}
    errors: dict[str, str] = {}
    sem = asyncio.Semaphore(concurrency)

    async def one(case: Case) -> None:
        exp, text = case.expectations, case.text
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

    await asyncio.gather(*(one(c) for c in cases))
    scores, summary = score_outputs(outputs, cases)
    tokens = sum(o.meta.usage.prompt_tokens + o.meta.usage.completion_tokens for o in outputs.values() if o)
    manifest = {
        "label": label,
        "set": eval_set,
        "articles": articles,  # None: all of the set
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
    _write(out_dir, manifest, outputs, scores, summary, cases)
    return summary


def _write(
    out_dir: Path,
    manifest: dict[str, Any],
    outputs: dict[str, ArticleExtraction | None],
    scores: list[ArticleScore],
    summary: dict[str, Any],
    cases: tuple[Case, ...],
) -> None:
    expectations: tuple[Expectations, ...] = tuple(c.expectations for c in cases)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (out_dir / "scores.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    by_article = {c.article: c.expectations for c in cases}
    errors = {
        s.article: error_rows(s, outputs.get(s.article), by_article[s.article]) for s in scores
    }  # what `parley eval` prints per article: missed and spurious items with their evidence
    (out_dir / "errors.json").write_text(
        json.dumps(errors, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out_dir / "report.md").write_text(
        render_markdown(manifest, summary, scores, outputs, expectations), encoding="utf-8"
    )
    (out_dir / "report.html").write_text(
        render_html(manifest, summary, scores, outputs, expectations), encoding="utf-8"
    )


def load_outputs(run_dir: Path, cases: tuple[Case, ...]) -> dict[str, ArticleExtraction | None]:
    outputs: dict[str, ArticleExtraction | None] = {}
    for case in cases:
        path = run_dir / "outputs" / (Path(case.article).stem + ".json")
        if not path.exists():
            outputs[case.article] = None
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        outputs[case.article] = None if "error" in data else ArticleExtraction.model_validate(data)
    return outputs


def rescore(run_dir: Path) -> dict[str, Any]:
    """Re-score a run's stored outputs against the current expectations, without calling any model."""
    manifest = (
        json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        if (run_dir / "manifest.json").exists()
        else {}
    )
    cases = load_set(manifest.get("set", "seeds"))[: manifest.get("articles")]
    outputs = load_outputs(run_dir, cases)
    scores, summary = score_outputs(outputs, cases)
    old = (
        json.loads((run_dir / "scores.json").read_text(encoding="utf-8"))
        if (run_dir / "scores.json").exists()
        else {}
    )
    for key in ("seconds_per_article", "tokens_per_article"):
        if key in old:
            summary[key] = old[key]
    _write(run_dir, manifest, outputs, scores, summary, cases)
    return summary


def compare(base: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """(metric, base, new, delta) for per-type P/R/F1, macro F1 and grounding."""
    rows = []
    for kind in KINDS:
        if kind not in base["per_type"] or kind not in new["per_type"]:
            continue  # a run scored before reported speech was scored apart
        for metric in ("precision", "recall", "f1"):
            b = base["per_type"][kind][metric]
            n = new["per_type"][kind][metric]
            rows.append((f"{kind}.{metric}", b, n, round(n - b, 4)))
    for key in ("macro_f1", "grounded_rate"):
        rows.append((key, base[key], new[key], round(new[key] - base[key], 4)))
    return rows


def baseline_key(strategy: str, eval_set: str) -> str:
    return f"{strategy}/{eval_set}"


def load_baseline() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BASELINE_FILE.read_text(encoding="utf-8"))
    return data


def baseline_entry(summary: dict[str, Any], *, tolerance: float, run: str, **info: Any) -> dict[str, Any]:
    """What the baseline file keeps of a run: per-kind P/R/F1, grounding, the tolerance and provenance."""
    per = summary["per_type"]
    return {
        **info,
        "tolerance": tolerance,
        "f1": {k: per[k]["f1"] for k in KINDS if k in per},
        "precision": {k: per[k]["precision"] for k in KINDS if k in per},
        "recall": {k: per[k]["recall"] for k in KINDS if k in per},
        "grounded_rate": summary["grounded_rate"],
        "articles": summary.get("articles"),
        "run": run,
    }


def check_baseline(
    summary: dict[str, Any], baseline: dict[str, Any] | None = None, *, key: str = "evidence-first/seeds"
) -> list[str]:
    """Messages for every per-kind F1 that fell more than the entry's tolerance below the stored baseline
    `key` (`strategy/set`), each with the numbers that changed (empty = pass)."""
    entry = (
        baseline if baseline is not None and "f1" in baseline else (baseline or load_baseline())["runs"][key]
    )
    tol = float(entry["tolerance"])
    problems = []
    for kind, want in entry["f1"].items():
        got = summary["per_type"][kind]["f1"]
        if got < want - tol - 1e-9:
            c = summary["per_type"][kind]
            problems.append(
                f"{key}: {kind} F1 {got:.4f} is below the baseline {want:.4f} - tolerance {tol:.2f} "
                f"(P {entry['precision'][kind]:.4f} → {c['precision']:.4f}, "
                f"R {entry['recall'][kind]:.4f} → {c['recall']:.4f}; TP {c['tp']} FP {c['fp']} FN {c['fn']})"
            )
    if summary.get("grounded_rate", 1.0) < entry.get("grounded_rate", 1.0):
        problems.append(
            f"{key}: grounded rate {summary['grounded_rate']:.3f} fell below {entry['grounded_rate']:.3f}"
        )
    if summary.get("failed_articles"):
        problems.append(f"{key}: articles failed: {', '.join(summary['failed_articles'])}")
    return problems


def above_baseline(summary: dict[str, Any], key: str, baseline: dict[str, Any] | None = None) -> list[str]:
    """Kinds whose F1 rose above the stored baseline: raise it so a later fall is caught."""
    entry = (baseline or load_baseline())["runs"][key]
    return [
        f"{key}: {k} F1 {summary['per_type'][k]['f1']:.4f} > baseline {want:.4f}"
        for k, want in entry["f1"].items()
        if summary["per_type"][k]["f1"] > want + 1e-9
    ]
