"""The seam to the model: one OpenAI-compatible backend (and its fake), the embedded llama.cpp server,
and the JSON-only response cache."""

from __future__ import annotations

from .backend import Backend, FakeBackend, OpenAIBackend

__all__ = ["Backend", "FakeBackend", "OpenAIBackend"]
