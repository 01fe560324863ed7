"""`parley events`: merged cross-article events and resolved actors from stored per-article outputs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from schemas import ArticleExtraction, Meta

from ..analysis.gazetteer import Gazetteer, load_gazetteer
from ..resolve.events import Event, merge_events
from ..resolve.resolve import ActorResolution, resolve_actors
from ._console import messages, tables
from ._paths import expand_paths

__all__ = ["events_command", "events_document", "read_outputs"]

console = tables()
say = messages(stderr=False)
err = messages()
_ID_KEYS = ("id", "article", "name", "path", "file")
_NESTED = ("result", "extraction", "output")


def _record(data: Any, fallback_id: str) -> tuple[str, ArticleExtraction] | None:
    """One output record → (article id, extraction); None for error rows and foreign JSON (tolerant)."""
    if not isinstance(data, dict):
        return None
    art = next((str(data[k]) for k in _ID_KEYS if isinstance(data.get(k), str | int)), fallback_id)
    body = next((data[k] for k in _NESTED if isinstance(data.get(k), dict)), data)
    if not any(k in body for k in ("meetings", "statements", "demands")):
        return None
    fields = {k: v for k, v in body.items() if k in ArticleExtraction.model_fields}
    fields.setdefault("meta", Meta.unknown().model_dump())
    try:
        return Path(art).stem if art.endswith(
            (".txt", ".md", ".json", ".html")
        ) else art, ArticleExtraction.model_validate(fields)
    except ValidationError:
        return None


def _from_file(path: Path) -> Iterator[tuple[str, ArticleExtraction] | None]:
    if path.suffix == ".jsonl":
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    yield _record(json.loads(line), f"{path.stem}:{n}")
                except json.JSONDecodeError:
                    yield None
    elif path.suffix == ".json":
        try:
            yield _record(json.loads(path.read_text(encoding="utf-8")), path.stem)
        except json.JSONDecodeError:
            yield None


def read_outputs(paths: list[Path]) -> tuple[list[tuple[str, ArticleExtraction]], int]:
    """Extractions from `parley run` folders (<article>.json) and batch JSONL files, and a skipped count."""
    files = expand_paths(paths, {".json", ".jsonl"})
    found: dict[str, ArticleExtraction] = {}
    skipped = 0
    for f in files:
        for rec in _from_file(f):
            if rec is None:
                skipped += 1
            else:
                found.setdefault(rec[0], rec[1])  # the first record of an article wins
    return sorted(found.items()), skipped


def _events_table(events: list[Event], res: ActorResolution) -> Table:
    table = Table(title="events reported by several articles", title_justify="left")
    for col in ("event", "kind", "status", "who", "when / where", "sources"):
        table.add_column(col)
    for e in events:
        if len(e.articles) < 2:
            continue
        who = " · ".join(res.actors[a].canonical for a in e.participants)
        when = ", ".join(filter(None, [e.date or "; ".join(e.date_text), e.location]))
        src = ", ".join(f"{s.article}:{s.kind}[{s.index}]" for s in e.sources)
        code = f" ({e.codes.cameo})" if e.codes else ""
        table.add_row(e.id, e.kind + code, e.status or "", who, when, src)
    return table


def _actors_table(res: ActorResolution) -> Table:
    table = Table(title="actors", title_justify="left")
    for col in ("id", "canonical", "kind", "role / country", "qid", "written as", "articles"):
        table.add_column(col)
    for a in sorted(res.actors.values(), key=lambda a: (-len(a.articles), a.id)):
        table.add_row(
            a.id,
            a.canonical,
            a.kind,
            " / ".join(filter(None, [a.role, a.country])),
            a.qid or "",
            "; ".join(a.names),
            str(len(a.articles)),
        )
    return table


def events_document(
    extractions: list[tuple[str, ArticleExtraction]], *, gazetteer: Gazetteer | None = None
) -> tuple[dict[str, Any], list[Event], ActorResolution]:
    """Resolve actors across the articles and merge the events they share, as one JSON-ready document."""
    res = resolve_actors(extractions, gazetteer=gazetteer)
    events = merge_events(extractions, resolution=res)
    doc = {
        "articles": [a for a, _ in extractions],
        "events": [e.model_dump(mode="json") for e in events],
        "actors": [a.model_dump(mode="json") for a in res.actors.values()],
        "ambiguities": [a.model_dump(mode="json") for a in res.ambiguities],
    }
    return doc, events, res


def events_command(
    paths: Annotated[
        list[Path], typer.Argument(help="RESULTS.jsonl files or OUTDIR folders of <article>.json")
    ],
    out: Annotated[Path | None, typer.Option(help="Write {events, actors, ambiguities} as JSON here")] = None,
    gazetteer: Annotated[
        list[Path] | None,
        typer.Option(
            "--gazetteer",
            envvar="PARLEY_GAZETTEER",
            help="Extra gazetteer JSON (repeatable); extends the shipped one",
        ),
    ] = None,
    no_builtin: Annotated[
        bool, typer.Option("--no-builtin-gazetteer", help="Use only --gazetteer files")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON instead of tables")] = False,
) -> None:
    """Merge the same events reported by several articles, and resolve actors across the batch."""
    extractions, skipped = read_outputs(paths)
    if not extractions:
        err.print("[red]error:[/red] no per-article outputs found (expected <article>.json or JSONL records)")
        raise typer.Exit(2)
    gaz = load_gazetteer(*(gazetteer or []), builtin=not no_builtin)
    doc, events, res = events_document(extractions, gazetteer=gaz)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if out is not None:
        out.write_text(text, encoding="utf-8")
    if as_json:
        sys.stdout.write(text)
        return
    console.print(_events_table(events, res))
    console.print(_actors_table(res))
    for a in res.ambiguities:
        say.print(
            f"[yellow]kept apart:[/yellow] {a.article}: {a.name!r} ({', '.join(a.candidates)}): {a.reason}"
        )
    merged = sum(1 for e in events if len(e.articles) > 1)
    say.print(
        f"[bold]{len(extractions)} article(s)[/bold]: {len(events)} events ({merged} reported by several "
        f"articles), {len(res.actors)} actors, {len(res.ambiguities)} ambiguities, {skipped} record(s) "
        "skipped" + (f"; wrote {out}" if out else "")
    )
