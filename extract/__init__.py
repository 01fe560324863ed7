"""parley: turn news articles about diplomacy into structured, evidence-backed records."""

from __future__ import annotations

from .api import aextract_article, close, extract_article
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
from .settings import Settings, resolve_settings

__all__ = [
    "Backend",
    "CacheError",
    "ConfigError",
    "ExtractError",
    "FakeBackend",
    "InputRejected",
    "LocalExtraMissing",
    "ModelOutputInvalid",
    "ModelRequestFailed",
    "ModelTransportError",
    "ModelUnavailable",
    "OpenAIBackend",
    "Settings",
    "aextract_article",
    "close",
    "extract_article",
    "resolve_settings",
]
