"""`parley eval`: score extraction on an eval set, re-score stored runs, compare runs, gate on the baseline."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from extract import aextract_article, resolve_settings

from .datasets import SETS, load_set
from .harness import (
    BASELINE_FILE,
    above_baseline,
    baseline_entry,
    baseline_key,
    check_baseline,
    compare,
    load_baseline,
    rescore,
    run_eval,
)
from .report import confusion_rows, role_rows, summary_rows
from .scoring import STATUSES
from .stats import dataset_stats, stats_problems, stats_tables

__all__ = ["ablation_table", "eval_command"]

console = Console()
STRATEGY_NAMES = ("single-call", "rules-only", "evidence-first")


def _table(title: str, columns: tuple[str, ...], rows: list[list[str]]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(escape(c) for c in row))
    return table


def _print_summary(label: str, summary: dict[str, Any]) -> None:
    title = f"{label}: macro F1 {summary['macro_f1']:.3f}, grounded {summary['grounded_rate']:.2f}"
    console.print(_table(title, ("type", "TP", "FP", "FN", "P", "R", "F1"), summary_rows(summary)))
    console.print(
        _table("roles and fields on pairs that share evidence", ("role", "accuracy", "n"), role_rows(summary))
    )
    if confusion_rows(summary):
        console.print(
            _table(
                "meeting status on matched meetings (rows expected, columns predicted)",
                ("expected", *STATUSES),
                confusion_rows(summary),
            )
        )


def _print_errors(run_dir: Path) -> None:
    """Per article, the missed and spurious items with their evidence (from the run's errors.json)."""
    errors = json.loads((run_dir / "errors.json").read_text(encoding="utf-8"))
    for article, rows in errors.items():
        if not rows:
            continue
        console.print(f"[bold]{escape(article)}[/bold]", soft_wrap=True)
        for kind, tag, text in rows:
            colour = "red" if tag == "MISS" else "yellow"
            console.print(f"  [{colour}]{tag:8}[/{colour}] {kind:10} {escape(text)}", soft_wrap=True)


def ablation_table(results: dict[str, dict[str, Any]]) -> str:
    """One Markdown table: per-type P/R/F1, grounded rate, tokens and seconds per article, per run."""
    head = (
        "| run | meetings P/R/F1 | statements (direct) P/R/F1 | reported P/R/F1 | demands P/R/F1 | grounded | "
        "failed | tokens/article | s/article |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for name, s in results.items():
        cells = [name]
        for kind in ("meetings", "statements", "reported", "demands"):
            c = s["per_type"].get(kind)
            cells.append(f"{c['precision']:.2f} / {c['recall']:.2f} / **{c['f1']:.2f}**" if c else "–")
        cells += [
            f"{s['grounded_rate']:.2f} ({s['items']} items)",
            str(len(s.get("failed_articles", []))),
            f"{s.get('tokens_per_article', 0):.0f}",
            f"{s.get('seconds_per_article', 0):.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _sets(names: list[str] | None) -> list[str]:
    out: list[str] = []
    for name in names or ["seeds"]:
        for one in SETS if name == "all" else (name,):
            if one not in SETS:
                raise typer.BadParameter(f"unknown set {one!r}: choose from {', '.join((*SETS, 'all'))}")
            if one not in out:
                out.append(one)
    return out


def _run(
    strategy: str,
    eval_set: str,
    *,
    out: Path,
    stamp: str,
    base_url: str | None,
    model: str | None,
    cache: bool,
    articles: int | None = None,
) -> tuple[Path, dict[str, Any]]:
    settings = resolve_settings(
        base_url=base_url, model=model, strategy=strategy, cache=None if cache else False
    )
    run_dir = out / f"{stamp}-{strategy}-{eval_set}"

    async def extract(text: str, published: str | None, _s: Any = settings) -> Any:
        return await aextract_article(text, published=published, settings=_s)

    info = {
        "model": settings.model,
        "base_url_host": settings.host,
        "strategy": strategy,
        "mode": settings.resolved_mode(),
    }
    summary = asyncio.run(
        run_eval(
            extract,
            out_dir=run_dir,
            label=f"{strategy} on {eval_set}" + (f" (first {articles})" if articles else ""),
            settings_info=info,
            eval_set=eval_set,
            articles=articles,
        )
    )
    return run_dir, summary


def eval_command(
    eval_set: Annotated[
        list[str] | None,
        typer.Option("--set", help="seeds, dev, test or all (repeatable); default seeds"),
    ] = None,
    strategy: Annotated[
        list[str] | None, typer.Option("--strategy", help="Strategy to run (repeatable)")
    ] = None,
    ablation: Annotated[
        bool, typer.Option(help="Run every strategy side by side and print one table")
    ] = False,
    stats: Annotated[
        bool,
        typer.Option("--stats", help="Print what the sets cover (outlets, theatres, phenomena) and stop"),
    ] = False,
    errors: Annotated[
        bool | None,
        typer.Option(
            "--errors/--no-errors",
            help="Print each article's missed and spurious items (default: on, except for the test split)",
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Parent folder of run folders")] = Path("runs"),
    rescore_dir: Annotated[
        Path | None, typer.Option("--rescore", help="Re-score a stored run, no model")
    ] = None,
    compare_dir: Annotated[
        Path | None, typer.Option("--compare", help="Show deltas against this run")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check-baseline", help="Fail when F1 drops below the stored baseline")
    ] = False,
    update: Annotated[
        bool, typer.Option("--update-baseline", help="Store these runs' scores as the new baseline")
    ] = False,
    base_url: Annotated[str | None, typer.Option("--base-url")] = None,
    model: Annotated[str | None, typer.Option("--model")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache")] = False,
    decisions: Annotated[
        bool,
        typer.Option(
            "--decisions",
            help="Measure each decision a model can make (rules alone, the model alone, combined as routed) "
            "on the set (default dev) and store the answers in evals/decisions/",
        ),
    ] = False,
    decisions_from: Annotated[
        list[Path] | None,
        typer.Option("--decisions-from", help="Print stored decision measurements side by side (no model)"),
    ] = None,
    articles: Annotated[
        int | None,
        typer.Option(
            "--articles",
            "--decision-articles",
            min=1,
            help="Only each set's first N articles (in name order); with --decisions too",
        ),
    ] = None,
    write_routing: Annotated[
        bool,
        typer.Option(
            "--write-routing",
            help="With --decisions or --decisions-from: store the best routing of each model measured on dev",
        ),
    ] = False,
) -> None:
    """Score extraction on the eval sets (seeds, dev, test) against the hand-written expectations."""
    if decisions or decisions_from:
        from .decisions_cli import decisions_report

        decisions_report(
            _sets(eval_set or ["dev"]),
            stored=decisions_from or [],
            base_url=base_url,
            model=model,
            cache=not no_cache,
            write_routing=write_routing,
            measure=decisions,
            articles=articles,
        )
        return
    sets = _sets(eval_set)
    if articles is not None and (update or check):
        raise typer.BadParameter("a baseline holds whole sets: --articles cannot update or check it")
    if stats:
        report = dataset_stats(load_set("all"))
        for title, columns, rows in stats_tables(report):
            console.print(_table(title, columns, rows))
        for problem in stats_problems(report):
            console.print(f"[yellow]below target:[/yellow] {escape(problem)}", soft_wrap=True)
        return
    results: dict[str, dict[str, Any]] = {}
    if rescore_dir is not None:
        manifest_path = rescore_dir / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
        key = baseline_key(manifest.get("strategy", "evidence-first"), manifest.get("set", "seeds"))
        results[key] = rescore(rescore_dir)
        _print_summary(f"rescored {rescore_dir} ({key})", results[key])
        if errors:
            _print_errors(rescore_dir)
    else:
        names = list(STRATEGY_NAMES) if ablation else (strategy or ["evidence-first"])
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        for name in names:
            for one in sets:
                key = baseline_key(name, one)
                run_dir, results[key] = _run(
                    name,
                    one,
                    out=out,
                    stamp=stamp,
                    base_url=base_url,
                    model=model,
                    cache=not no_cache,
                    articles=articles,
                )
                _print_summary(f"{key} → {run_dir}", results[key])
                if errors if errors is not None else one != "test":
                    _print_errors(run_dir)
        if len(results) > 1:
            markdown = ablation_table(results)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{stamp}-table.md").write_text(markdown, encoding="utf-8")
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
    if update and rescore_dir is None:
        _update_baseline(results)
    if check:
        _check(results)


def _update_baseline(results: dict[str, dict[str, Any]]) -> None:
    baseline = load_baseline()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    for key, summary in results.items():
        old = baseline["runs"].get(key, {})
        tolerance = float(old.get("tolerance", 0.0 if key.startswith("rules-only") else 0.05))
        info = {k: old[k] for k in ("model",) if k in old}
        baseline["runs"][key] = baseline_entry(
            summary, tolerance=tolerance, run=f"parley eval ({stamp})", **info
        )
    BASELINE_FILE.write_text(json.dumps(baseline, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"baseline updated: {', '.join(results)} → {BASELINE_FILE}", soft_wrap=True)


def _check(results: dict[str, dict[str, Any]]) -> None:
    baseline = load_baseline()
    problems: list[str] = []
    for key, summary in results.items():
        if key not in baseline["runs"]:
            problems.append(f"{key}: no stored baseline (run with --update-baseline to store one)")
            continue
        problems += check_baseline(summary, key=key)
        for note in above_baseline(summary, key):
            console.print(f"[green]above baseline:[/green] {escape(note)}", soft_wrap=True)
    if problems:
        for p in problems:
            console.print(f"[red]baseline check failed:[/red] {escape(p)}", soft_wrap=True)
        raise typer.Exit(1)
    console.print("[green]baseline check passed[/green]")
