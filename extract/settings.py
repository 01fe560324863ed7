"""Configuration, resolved once: arguments > environment > defaults, then passed down as a value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import platformdirs

from .errors import ConfigError

__all__ = ["DEFAULT_MODEL", "MODES", "STRATEGIES", "Settings", "resolve_settings"]

DEFAULT_MODEL = "SmolLM2-135M-Instruct"
STRATEGIES = ("evidence-first", "rules-only", "single-call")
MODES = ("auto", "tools", "json", "json_schema", "md_json")

_ENV = {
    "base_url": "PARLEY_BASE_URL",
    "model": "PARLEY_MODEL",
    "strategy": "PARLEY_STRATEGY",
    "mode": "PARLEY_MODE",
    "cache_dir": "PARLEY_CACHE_DIR",
    "timeout": "PARLEY_TIMEOUT",
}


@dataclass(frozen=True)
class Settings:
    """Everything that decides how an article is extracted. Build it with `resolve_settings`."""

    base_url: str | None = None  # None: start the embedded llama.cpp server
    model: str = DEFAULT_MODEL
    api_key: str = field(default="not-needed", repr=False)
    strategy: str = "evidence-first"
    mode: str = "auto"
    cache_dir: Path | None = None  # None: no cache
    timeout: float = 60.0
    max_transport_retries: int = 4
    retry_backoff: float = 0.5  # first transport backoff in seconds, doubled per retry (with jitter)
    max_validation_retries: int = 2
    temperature: float = 0.0
    seed: int = 0
    max_tokens: int = 256

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


def resolve_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Merge explicit arguments (non-None) over environment variables over defaults, and validate.

    `cache` may be True/None (default directory), False (no cache) or a path.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for name, var in _ENV.items():
        if env.get(var):
            values[name] = env[var]
    if env.get("OPENAI_API_KEY"):
        values["api_key"] = env["OPENAI_API_KEY"]
    if env.get("PARLEY_API_KEY"):
        values["api_key"] = env["PARLEY_API_KEY"]
    cache = overrides.pop("cache", None)
    if env.get("PARLEY_NO_CACHE") and cache is None:
        cache = False
    for key, value in overrides.items():
        if value is not None:
            values[key] = value
    if cache is False:
        values["cache_dir"] = None
    elif isinstance(cache, str | os.PathLike):
        values["cache_dir"] = Path(cache)
    elif "cache_dir" in values:
        values["cache_dir"] = Path(values["cache_dir"])
    else:
        values["cache_dir"] = default_cache_dir()
    if "timeout" in values:
        values["timeout"] = float(values["timeout"])
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
