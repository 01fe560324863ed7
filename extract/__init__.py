"""parley: turn news articles about diplomacy into structured, evidence-backed records."""

from __future__ import annotations

from .api import ExtractOptions, aextract_article, close, extract_article, using_backend
from .errors import (
    CacheError,
    ConfigError,
    ExtractError,
    InputRejected,
    LocalExtraMissing,
    ModelOutputInvalid,
    ModelRequestFailed,
    ModelTransportError,
    ModelUnavailable,
)
from .model.backend import Backend, FakeBackend, OpenAIBackend
from .settings import Mode, Settings, Strategy, resolve_settings

__all__ = [
    "Backend",
    "CacheError",
    "ConfigError",
    "ExtractError",
    "ExtractOptions",
    "FakeBackend",
    "InputRejected",
    "LocalExtraMissing",
    "Mode",
    "ModelOutputInvalid",
    "ModelRequestFailed",
    "ModelTransportError",
    "ModelUnavailable",
    "OpenAIBackend",
    "Settings",
    "Strategy",
    "aextract_article",
    "close",
    "extract_article",
    "resolve_settings",
    "using_backend",
]
