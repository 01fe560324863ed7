"""`parley`: a thin command-line skin over the library (run, eval, serve, schema)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from schemas import ArticleExtraction, export_json_schema

from ..api import aextract_article
from ..errors import ExtractError
from ..settings import Settings, resolve_settings
from ._console import error_line, messages, tables
from ._options import BaseUrl, Model, Preset, Strategy, settings_from
from ._paths import expand_paths

__all__ = ["app", "main", "run_cli"]

# click's ClickException as typer raises it (recent typer vendors click, older typer uses the package)
_CLICK_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Evidence-backed extraction of diplomatic events."
)
console = tables()
say = messages(stderr=False)
err = messages()


def _article_files(paths: list[Path]) -> list[Path]:
    files = expand_paths(paths, {".txt", ".md"})
    if not files:
        raise typer.BadParameter("no .txt or .md articles found")
    return files


def _table(name: str, result: ArticleExtraction) -> Table:
    meta = result.meta
    cached = " (cached)" if meta.cached else ""
    table = Table(title=f"{name} — {meta.elapsed_s:.2f}s{cached}", show_lines=False, title_justify="left")
    table.add_column("type", style="bold")
    table.add_column("who")
    table.add_column("what")
    table.add_column("evidence (offsets)", style="dim")
    for m in result.meetings:
        who = " · ".join(p.canonical or p.name for p in m.participants)
        what = (
            f"[{m.status}] {m.topic or ''}"
            + (f" @ {m.location}" if m.location else "")
            + (f" ({m.date_text})" if m.date_text else "")
        )
        _row(table, "meeting", who, what, _ev(m.evidence[0]))
    for s in result.statements:
        what = (
            f"“{s.quote}”" if s.quote and s.direct else ("reported" + (f": “{s.quote}”" if s.quote else ""))
        )
        _row(table, "statement", s.speaker.canonical or s.speaker.name, what, _ev(s.evidence[0]))
    for d in result.demands:
        target = f" → {d.of.canonical or d.of.name}" if d.of else ""
        _row(table, "demand", (d.by.canonical or d.by.name) + target, d.demand, _ev(d.evidence[0]))
    return table


def _row(table: Table, *cells: str) -> None:
    """Article text is data, not markup: "[held]" or "[1]" must print as written."""
    table.add_row(*(escape(c) for c in cells))


def _ev(ev: Any) -> str:
    text = ev.text if len(ev.text) <= 70 else ev.text[:67] + "…"
    return f"{text} [{ev.start}:{ev.end}]"


def _summary_md(rows: list[tuple[str, ArticleExtraction | None, str | None]], settings: Settings) -> str:
    lines = [
        "# parley run",
        "",
        f"- model: `{settings.model}` at `{settings.host}`, strategy `{settings.strategy}`",
        f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        "",
        "| article | meetings | statements | demands | rejected | seconds | cached | error |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r, error in rows:
        if r is None:
            lines.append(f"| {name} | – | – | – | – | – | – | {error} |")
        else:
            lines.append(
                f"| {name} | {len(r.meetings)} | {len(r.statements)} | {len(r.demands)} | "
                f"{len(r.rejected)} | {r.meta.elapsed_s:.2f} | {r.meta.cached} | |"
            )
    for name, r, _ in rows:
        if r is None:
            continue
        lines += ["", f"## {name}", ""]
        for m in r.meetings:
            lines.append(
                f"- **meeting** [{m.status}] {', '.join(p.name for p in m.participants)}"
                + (f" @ {m.location}" if m.location else "")
                + f" — “{m.evidence[0].text}”"
            )
        for s in r.statements:
            lines.append(f"- **statement** {s.speaker.name}: “{s.quote or s.evidence[0].text}”")
        for d in r.demands:
            lines.append(f"- **demand** {d.by.name}{' → ' + d.of.name if d.of else ''}: {d.demand}")
    return "\n".join(lines) + "\n"


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="Article files or folders of .txt/.md")],
    out: Annotated[Path, typer.Option(help="Folder for <article>.json and summary.md")] = Path("out"),
    base_url: BaseUrl = None,
    model: Model = None,
    strategy: Strategy = None,
    preset: Preset = None,
    published: Annotated[
        str | None, typer.Option(help="Publication date YYYY-MM-DD for every article")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the cache")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead of tables")] = False,
) -> None:
    """Extract meetings, statements and demands from articles; print tables; write JSON and a summary."""
    settings = settings_from(base_url, model, strategy, no_cache, preset)
    files = _article_files(paths)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, ArticleExtraction | None, str | None]] = []
    started = time.perf_counter()

    async def go() -> None:
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
                result = await aextract_article(text, published=published, settings=settings)
            except (ExtractError, UnicodeDecodeError) as exc:
                err.print(f"[red]{escape(path.name)}: {type(exc).__name__}:[/red] {escape(str(exc))}")
                rows.append((path.name, None, f"{type(exc).__name__}: {exc}"))
                if isinstance(exc, ExtractError) and type(exc).__name__ in {
                    "ModelUnavailable",
                    "LocalExtraMissing",
                }:
                    raise
                continue
            rows.append((path.name, result, None))
            (out / f"{path.stem}.json").write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
            if as_json:
                sys.stdout.write(json.dumps({"article": path.name, **result.model_dump(mode="json")}) + "\n")
            else:
                console.print(_table(path.name, result))

    try:
        asyncio.run(go())
    except ExtractError as exc:
        err.print(error_line(exc))
        raise typer.Exit(2) from None
    (out / "summary.md").write_text(_summary_md(rows, settings), encoding="utf-8")
    failed = sum(1 for _, r, _ in rows if r is None)
    totals = [sum(len(getattr(r, k)) for _, r, _ in rows if r) for k in ("meetings", "statements", "demands")]
    if not as_json:
        say.print(
            f"[bold]{len(rows)} article(s)[/bold] in {time.perf_counter() - started:.1f}s: "
            f"{totals[0]} meetings, {totals[1]} statements, {totals[2]} demands; {failed} failed. "
            f"Wrote {out}/summary.md"
        )
    if failed:
        raise typer.Exit(1)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1")] = 8765,
    model: Model = None,
    preset: Preset = None,
) -> None:
    """Run the embedded model server in the foreground (for other tools: PARLEY_BASE_URL=…/v1): the preset's
    model (PARLEY_PRESET, PARLEY_MODEL; PARLEY_MODEL_PATH for a GGUF file of your own)."""
    from ..model.server import EmbeddedServer

    settings = resolve_settings(model=model, preset=preset, cache=False)
    if settings.strategy == "rules-only" and model is None:
        err.print(f"the {settings.preset!r} preset uses no model: give --model or another --preset")
        raise typer.Exit(2)
    server = EmbeddedServer(port=port, model=settings.model, path=settings.model_path)
    try:
        server.start()
        say.print(f"embedded model serving at [bold]{server.base_url}[/bold] — Ctrl-C to stop")
        assert server.proc is not None
        server.proc.wait()
    except KeyboardInterrupt:
        pass
    except ExtractError as exc:
        err.print(error_line(exc))
        raise typer.Exit(2) from None
    finally:
        server.stop()


@app.command()
def schema(
    write: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout")] = None,
) -> None:
    """Print (or write) the JSON Schema of the output contract."""
    text = export_json_schema()
    if write:
        write.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _register_eval() -> None:
    from evals.cli import eval_command

    app.command(name="eval")(eval_command)


_register_eval()


def _register_events() -> None:
    from .events import events_command

    app.command(name="events")(events_command)


_register_events()


def _register_batch() -> None:
    from .batch import batch_app

    app.add_typer(batch_app, name="batch")


_register_batch()


def _tolerant_streams() -> None:
    """A terminal or pipe that is not UTF-8 (a C or Latin-1 locale, an old Windows console) shows `?` for
    what it cannot print, instead of the run dying at the first dash or curly quote. Files are always UTF-8;
    JSON output is ASCII-escaped."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def main() -> None:
    _tolerant_streams()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sys.exit(run_cli(sys.argv[1:]))


def run_cli(args: list[str]) -> int:
    """Run `parley ARGS` and return the exit code. Usage errors print as plain `Usage:`/`Error:` lines,
    not in a panel wrapped to the terminal width, so an 80-column window shows the whole message."""
    try:
        code = app(args=args, prog_name="parley", standalone_mode=False)
    except _CLICK_ERROR as exc:
        exc.show()
        return int(exc.exit_code)
    except typer.Abort:
        print("Aborted!", file=sys.stderr)
        return 1
    return code if isinstance(code, int) else 0
