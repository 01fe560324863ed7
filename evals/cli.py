"""`parley eval`: score extraction on the seeds, re-score stored runs, compare runs, run ablations."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from extract import aextract_article, resolve_settings

from .harness import check_baseline, compare, rescore, run_eval
from .report import summary_rows

__all__ = ["ablation_table", "eval_command"]

console = Console()


def _print_summary(label: str, summary: dict[str, Any]) -> None:
    table = Table(
        title=f"{label}: macro F1 {summary['macro_f1']:.3f}, grounded {summary['grounded_rate']:.2f}",
        title_justify="left",
    )
    for col in ("type", "TP", "FP", "FN", "P", "R", "F1"):
        table.add_column(col)
    for row in summary_rows(summary):
        table.add_row(*row)
    console.print(table)


def ablation_table(results: dict[str, dict[str, Any]]) -> str:
    """One Markdown table: per-type P/R/F1, grounded rate, tokens and seconds per article, per strategy."""
    head = (
        "| strategy | meetings P/R/F1 | statements P/R/F1 | demands P/R/F1 | grounded | failed | "
        "tokens/article | s/article |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for name, s in results.items():
        cells = [name]
        for kind in ("meetings", "statements", "demands"):
            c = s["per_type"][kind]
            cells.append(f"{c['precision']:.2f} / {c['recall']:.2f} / **{c['f1']:.2f}**")
        cells += [
            f"{s['grounded_rate']:.2f} ({s['items']} items)",
            str(len(s.get("failed_articles", []))),
            f"{s.get('tokens_per_article', 0):.0f}",
            f"{s.get('seconds_per_article', 0):.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def eval_command(
    strategy: Annotated[
        list[str] | None, typer.Option("--strategy", help="Strategy to run (repeatable)")
    ] = None,
    ablation: Annotated[
        bool, typer.Option(help="Run every strategy side by side and print one table")
    ] = False,
    out: Annotated[Path, typer.Option(help="Parent folder of run folders")] = Path("runs"),
    rescore_dir: Annotated[
        Path | None, typer.Option("--rescore", help="Re-score a stored run, no model")
    ] = None,
    compare_dir: Annotated[
        Path | None, typer.Option("--compare", help="Show deltas against this run")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check-baseline", help="Fail when F1 drops below the baseline")
    ] = False,
    base_url: Annotated[str | None, typer.Option("--base-url")] = None,
    model: Annotated[str | None, typer.Option("--model")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache")] = False,
) -> None:
    """Score extraction on the seed articles against the hand-written expectations."""
    if rescore_dir is not None:
        summary = rescore(rescore_dir)
        _print_summary(f"rescored {rescore_dir}", summary)
        results = {str(rescore_dir): summary}
    else:
        names = (
            ["single-call", "rules-only", "evidence-first"] if ablation else (strategy or ["evidence-first"])
        )
        results = {}
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        for name in names:
            settings = resolve_settings(
                base_url=base_url, model=model, strategy=name, cache=False if no_cache else None
            )
            run_dir = out / f"{stamp}-{name}"

            async def extract(text: str, published: str | None, _s: Any = settings) -> Any:
                return await aextract_article(text, published=published, settings=_s)

            info = {
                "model": settings.model,
                "base_url_host": settings.host,
                "strategy": name,
                "mode": settings.resolved_mode(),
            }
            results[name] = asyncio.run(run_eval(extract, out_dir=run_dir, label=name, settings_info=info))
            _print_summary(f"{name} → {run_dir}", results[name])
        if ablation:
            markdown = ablation_table(results)
            (out / f"{stamp}-ablation.md").write_text(markdown, encoding="utf-8")
            console.print(markdown)
    last = list(results.values())[-1]
    if compare_dir is not None:
        base = json.loads((compare_dir / "scores.json").read_text(encoding="utf-8"))
        table = Table(title=f"compared with {compare_dir}", title_justify="left")
        for col in ("metric", "base", "new", "delta"):
            table.add_column(col)
        for metric, b, n, d in compare(base, last):
            style = "red" if d < 0 else ("green" if d > 0 else "")
            table.add_row(
                metric, f"{b:.3f}", f"{n:.3f}", f"[{style}]{d:+.3f}[/{style}]" if style else f"{d:+.3f}"
            )
        console.print(table)
    if check:
        problems = check_baseline(last)
        if problems:
            for p in problems:
                console.print(f"[red]baseline check failed:[/red] {p}")
            raise typer.Exit(1)
        console.print("[green]baseline check passed[/green]")
