"""`parley batch`: a thin skin over `run_batch`, the Batch API path and the HTML report.

`parley batch INPUT --out RESULTS.jsonl` runs the `run` subcommand (the group routes anything that is not a
subcommand name to it); `submit`, `collect` and `report` are the other subcommands.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from ..batch.inputs import load_inputs
from ..batch.progress import BarProgress, BatchStats, LogProgress
from ..batch.runner import run_batch
from ..batch.store import read_results
from ..errors import ExtractError
from ..report.html import write_report
from ._console import error_line, messages
from ._options import BaseUrl, Model, Preset, Strategy, settings_from

__all__ = ["batch_app"]

err = messages()


class _DefaultRun(TyperGroup):
    """Route `parley batch INPUT ...` to `parley batch run INPUT ...`."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


batch_app = typer.Typer(
    cls=_DefaultRun,
    no_args_is_help=True,
    add_completion=False,
    help="Extract from many articles: resumable JSONL results, progress, HTML report, OpenAI Batch API.",
)

Input = Annotated[
    Path, typer.Argument(help="Folder of .txt/.md/.html files, or a .jsonl with id/text/published")
]
Out = Annotated[Path, typer.Option("--out", help="Results file (JSONL, one record per article; resumable)")]
Report = Annotated[Path | None, typer.Option("--report", help="Also write a self-contained HTML report here")]
AllowFailures = Annotated[
    bool, typer.Option("--allow-failures", help="Exit 0 even when some articles failed")
]
ChunkChars = Annotated[
    int | None,
    typer.Option("--chunk-chars", help="Split longer articles (default: 8000 for single-call, else off)"),
]


def _summary(
    stats: BatchStats, out: Path, *, allow_failures: bool, report: Path | None, events: Path | None = None
) -> None:
    rate = stats.done / stats.elapsed if stats.elapsed > 0 else 0.0
    err.print(
        f"[bold]{stats.total} article(s)[/bold]: {stats.ok} extracted, {stats.duplicates} duplicate(s), "
        f"{stats.failed} failed, {stats.skipped} already done — {stats.elapsed:.1f}s ({rate:.2f}/s), "
        f"{stats.tokens:,} tokens, {stats.cache_hits} cache hit(s). Results: {out}"
    )
    for id, why in stats.failures[:10]:
        err.print(f"  [red]failed[/red] {id}: {why[:160]}")
    if len(stats.failures) > 10:
        err.print(f'  … and {len(stats.failures) - 10} more (status "error" in {out})')
    if report is not None:
        write_report(read_results(out).values(), report)
        err.print(f"Report: {report}")
    if events is not None:
        from .events import events_document

        done = [(r.id, r.result) for r in read_results(out).values() if r.status == "ok" and r.result]
        doc, merged, _ = events_document(done)
        events.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        shared = sum(1 for e in merged if len(e.articles) > 1)
        err.print(f"Events: {len(merged)} ({shared} reported by several articles) → {events}")
    if stats.failed and not allow_failures:
        raise typer.Exit(1)


@batch_app.command()
def run(
    input: Input,
    out: Out,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Articles in flight")] = 4,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            min=0,
            help="Processes sharing a rules-only analysis (default: one per core from 48 articles; 0: none)",
        ),
    ] = None,
    base_url: BaseUrl = None,
    model: Model = None,
    strategy: Strategy = None,
    preset: Preset = None,
    report: Report = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Log lines instead of a progress bar")] = False,
    allow_failures: AllowFailures = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the cache")] = False,
    chunk_chars: ChunkChars = None,
    events: Annotated[
        Path | None,
        typer.Option("--events", help="Also merge events across articles and resolve actors (JSON file)"),
    ] = None,
) -> None:
    """Extract every article of INPUT not yet done in --out; rerun the same command to resume."""
    try:
        settings = settings_from(base_url, model, strategy, no_cache, preset)
        items = load_inputs(input)
    except ExtractError as exc:
        err.print(error_line(exc))
        raise typer.Exit(2) from None
    if quiet:
        logging.getLogger("parley.batch").setLevel(logging.INFO)
        if not logging.getLogger().handlers:
            logging.basicConfig(
                level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
            )
    sink: Any = LogProgress() if quiet else BarProgress(console=Console(stderr=True))
    try:
        stats = asyncio.run(
            run_batch(
                items,
                out=out,
                settings=settings,
                concurrency=concurrency,
                progress=sink,
                chunk_chars=chunk_chars,
                processes=processes,
            )
        )
    except KeyboardInterrupt:
        err.print(f"[yellow]interrupted[/yellow]: finished articles are saved in {out}; rerun to resume")
        raise typer.Exit(130) from None
    except ExtractError as exc:
        err.print(error_line(exc) + f"\nFinished articles are saved in {escape(str(out))}; rerun to resume.")
        raise typer.Exit(2) from None
    _summary(stats, out, allow_failures=allow_failures, report=report, events=events)


@batch_app.command()
def submit(
    input: Input,
    out: Out,
    base_url: BaseUrl = None,
    model: Model = None,
    chunk_chars: ChunkChars = None,
    no_upload: Annotated[bool, typer.Option("--no-upload", help="Only write the request file")] = False,
) -> None:
    """Write the OpenAI Batch API request file (single-call strategy, one request per chunk) and upload it."""
    from ..batch.openai_batch import manifest_path
    from ..batch.openai_batch import submit as do_submit

    try:
        settings = settings_from(base_url, model, "single-call", no_cache=True)
        manifest = do_submit(
            load_inputs(input), out=out, settings=settings, chunk_chars=chunk_chars, upload=not no_upload
        )
    except ExtractError as exc:
        err.print(error_line(exc))
        raise typer.Exit(2) from None
    err.print(
        f"{len(manifest['articles'])} article(s), {len(manifest['calls'])} request(s) in "
        f"{manifest['requests_file']}; manifest {manifest_path(out)}"
    )
    if manifest.get("batch_id"):
        err.print(
            f"batch [bold]{manifest['batch_id']}[/bold] is {manifest['status']}; "
            f"fetch with: parley batch collect --out {out}"
        )


@batch_app.command()
def collect(
    out: Out,
    base_url: BaseUrl = None,
    wait: Annotated[
        float, typer.Option("--wait", help="Poll up to this many seconds for the batch to finish")
    ] = 0,
    report: Report = None,
    allow_failures: AllowFailures = False,
) -> None:
    """Download a submitted batch, validate and ground its answers, append them to --out."""
    from ..batch.openai_batch import BatchPending
    from ..batch.openai_batch import collect as do_collect

    try:
        stats = do_collect(
            out=out, settings=settings_from(base_url, None, "single-call", no_cache=True), wait=wait
        )
    except BatchPending as exc:
        err.print(f"[yellow]{escape(str(exc))}[/yellow]")
        raise typer.Exit(3) from None
    except (ExtractError, FileNotFoundError) as exc:
        err.print(error_line(exc))
        raise typer.Exit(2) from None
    _summary(stats, out, allow_failures=allow_failures, report=report)


@batch_app.command(name="report")
def report_command(
    results: Annotated[Path, typer.Argument(help="A results file written by `parley batch`")],
    report: Annotated[Path, typer.Option("--report", "-o", help="HTML file to write")] = Path("report.html"),
) -> None:
    """Write the HTML report of a results file (again, or while a batch is still running)."""
    write_report(read_results(results).values(), report)
    err.print(f"Report: {report}")
