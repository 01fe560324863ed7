"""The options the commands share, and the settings they make."""

from __future__ import annotations

from typing import Annotated

import typer

from ..settings import DEFAULT_PRESET, PRESETS, STRATEGIES, Settings, resolve_settings

__all__ = ["BaseUrl", "Model", "Preset", "Strategy", "settings_from"]

BaseUrl = Annotated[
    str | None, typer.Option("--base-url", help="OpenAI-compatible server; default: embedded model")
]
Model = Annotated[str | None, typer.Option("--model", help="Model name sent to the server")]
Strategy = Annotated[str | None, typer.Option("--strategy", help=f"One of: {', '.join(STRATEGIES)}")]
Preset = Annotated[
    str | None,
    typer.Option(
        "--preset",
        help=f"One of: {', '.join(PRESETS)} (default {DEFAULT_PRESET}); --strategy/--model override it",
    ),
]


def settings_from(
    base_url: str | None, model: str | None, strategy: str | None, no_cache: bool, preset: str | None = None
) -> Settings:
    return resolve_settings(
        base_url=base_url, model=model, strategy=strategy, preset=preset, cache=False if no_cache else None
    )
