"""`parley eval --decisions`: measure every decision a model can make, print them side by side, route them."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import prompts
from extract import resolve_settings
from extract.api import get_backend
from extract.strategies.decisions import KINDS, Route, routes_for

from .decisions import Item, load, measure, route, save, summarize

__all__ = ["DECISIONS_DIR", "ROUTING_FILE", "decisions_report"]

console = Console()
DECISIONS_DIR = Path(__file__).with_name("decisions")
ROUTING_FILE = Path(__file__).resolve().parent.parent / "extract" / "data" / "routing.json"


def _slug(model: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", model.lower()).strip("-")


def _measure(settings: Any, set_name: str, path: Path, articles: int | None) -> list[Item]:
    """Ask every question; every 20 answers the file is saved, and a rerun keeps what it holds."""
    backend = get_backend(settings)
    previous: list[Item] = []
    if path.exists():
        info, previous = load(path)
        if info.get("prompts") != prompts.decision_hash() or info.get("model") != settings.model:
            previous = []

    def progress(n: int, items: list[Item]) -> None:
        if n % 20 == 0 or n == len(items):
            console.print(f"  {settings.model} on {set_name}: {n}/{len(items)} questions", soft_wrap=True)
            _save(items, path, settings, set_name, partial=n < len(items))

    items = asyncio.run(measure(backend, set_name, progress=progress, previous=previous, articles=articles))
    _save(items, path, settings, set_name, partial=False)
    return items


def _save(items: list[Item], path: Path, settings: Any, set_name: str, *, partial: bool) -> None:
    save(
        items,
        path,
        model=settings.model,
        set=set_name,
        host=settings.host,
        prompts=prompts.decision_hash(),
        measured=datetime.now(UTC).isoformat(timespec="seconds"),
        partial=partial,
        best_routes=None if partial else route(items),
    )


def _write_routing(model: str, routes: dict[str, dict[str, Any]], items: int) -> None:
    table = json.loads(ROUTING_FILE.read_text(encoding="utf-8"))
    table["models"][model] = {
        "measured": datetime.now(UTC).strftime("%Y-%m-%d"),
        "set": "dev",
        "items": items,
        "routes": routes,
    }
    ROUTING_FILE.write_text(json.dumps(table, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"routing for {model} → {ROUTING_FILE}", soft_wrap=True)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _print(runs: list[tuple[str, str, list[Item]]]) -> None:
    """One table per set: a row per decision kind, the rules once, then each model alone / combined / time."""
    for set_name in dict.fromkeys(s for _, s, _ in runs):
        of_set = [(m, items) for m, s, items in runs if s == set_name]
        table = Table(title=f"decisions on {set_name}", title_justify="left")
        table.add_column("decision")
        table.add_column("items", justify="right")
        table.add_column("rules", justify="right")
        summaries = []
        for model, items in of_set:
            routes: dict[str, Route] = {str(k): v for k, v in routes_for(model).items()}
            summaries.append(summarize(items, routes))
            for col in ("alone", "routed", "route", "s/q first", "s/q next"):
                table.add_column(f"{model} {col}", justify="right")
        for kind in KINDS:
            rows = [s.get(kind) for s in summaries]
            first = next((r for r in rows if r), None)
            if first is None:
                continue
            cells = [kind, str(first["items"]), _pct(first["rules"])]
            for r in rows:
                r = r or {}
                cells += [
                    _pct(r.get("model")),
                    _pct(r.get("combined")),
                    str(r.get("route", "—")),
                    _pct(r.get("seconds_first")),
                    _pct(r.get("seconds_next")),
                ]
            table.add_row(*cells)
        console.print(table)
        markdown = _markdown([m for m, _ in of_set], summaries)
        DECISIONS_DIR.mkdir(parents=True, exist_ok=True)
        (DECISIONS_DIR / f"table-{set_name}.md").write_text(markdown, encoding="utf-8")
        console.print(f"→ {DECISIONS_DIR / f'table-{set_name}.md'}", soft_wrap=True)


def _markdown(models: list[str], summaries: list[dict[str, dict[str, Any]]]) -> str:
    """The README's table: accuracy per decision (rules, each model alone and as routed), then the time."""
    head = ["decision", "items", "rules"] + [f"{m} alone / routed" for m in models]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind in KINDS:
        rows = [s.get(kind) or {} for s in summaries]
        first = next((r for r in rows if r), None)
        if first is None:
            continue
        cells = [kind, str(first["items"]), _pct(first["rules"])]
        for r in rows:
            route_ = r.get("route", "rules")
            routed = f"**{_pct(r.get('combined'))}** ({route_})" if route_ != "rules" else "— (rules)"
            cells.append(f"{_pct(r.get('model'))} / {routed}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| seconds per question | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
    for label, key in (("first about an article", "seconds_first"), ("the next ones", "seconds_next")):
        times = []
        for s in summaries:
            asked = [r[key] for r in s.values() if r.get(key) is not None]
            items = [r["items"] for r in s.values() if r.get(key) is not None]
            mean = sum(a * n for a, n in zip(asked, items, strict=True)) / sum(items) if items else None
            times.append(_pct(mean))
        lines.append(f"| {label} | " + " | ".join(times) + " |")
    return "\n".join(lines) + "\n"


def decisions_report(
    sets: list[str],
    *,
    stored: list[Path],
    base_url: str | None,
    model: str | None,
    cache: bool,
    write_routing: bool,
    measure: bool,
    articles: int | None = None,
) -> None:
    runs: list[tuple[str, str, list[Item]]] = []
    for path in stored:
        info, items = load(path)
        runs.append((info["model"], info["set"], items))
        if write_routing and info["set"] == "dev":
            _write_routing(info["model"], route(items), len(items))
    if measure:
        settings = resolve_settings(base_url=base_url, model=model, cache=None if cache else False)
        for set_name in sets:
            path = DECISIONS_DIR / f"{_slug(settings.model)}-{set_name}.json"
            items = _measure(settings, set_name, path, articles)
            chosen = route(items)
            console.print(f"{len(items)} answers → {path}", soft_wrap=True)
            if write_routing and set_name == "dev":
                _write_routing(settings.model, chosen, len(items))
            elif write_routing:
                console.print(f"routing is chosen on the dev split only, not on {set_name}", soft_wrap=True)
            runs.append((settings.model, set_name, items))
    _print(runs)
