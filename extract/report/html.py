"""The batch report: one self-contained HTML page to check a batch by reading it, rendered with Jinja2.

Top: who met whom (a network of actors, one edge per meeting, coloured by status) and a timeline of the
meetings whose date is known. Then every meeting, statement and demand in tables with CSV downloads (data:
URIs), and per article its text with each evidence span highlighted and linked to its item: clicking an
item lights its spans and scrolls the first into view. Styles and the drawing script (ours, no library)
are inlined: the page loads nothing, so it works offline and from an e-mail attachment.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import get_args

import jinja2
from markupsafe import Markup

from schemas import MeetingStatus

from ..batch.store import BatchRecord
from ._view import build_view

__all__ = ["render_report", "write_report"]

_FILES = resources.files(__package__) / "templates"
STATUSES: tuple[str, ...] = get_args(MeetingStatus)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (_FILES / name).read_text(encoding="utf-8")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def _inline(name: str) -> Markup:
    """A stylesheet or script to inline, as is (never parsed as a template)."""
    text = (_FILES / name).read_text(encoding="utf-8")
    if "</" + ("script" if name.endswith(".js") else "style") in text.lower():
        raise ValueError(f"{name} would end its own element early")
    return Markup(text)


def render_report(records: Iterable[BatchRecord], *, title: str = "parley batch report") -> str:
    """The whole page as a string."""
    view = build_view(records)
    page = _environment().get_template("report.html.j2")
    return page.render(
        title=title,
        view=view,
        data={"graph": view.graph, "timeline": view.timeline},
        statuses=STATUSES,
        css=_inline("report.css"),
        script=_inline("report.js"),
    )


def write_report(records: Iterable[BatchRecord], path: Path, *, title: str = "parley batch report") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(records, title=title), encoding="utf-8")
    return path
