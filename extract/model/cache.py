"""Response cache: diskcache holding JSON strings only, in a private directory.

diskcache pickles values by default, and reading a pickle from a directory someone else could write is code
execution (CVE-2025-69872). `_JSONOnlyDisk` refuses to store or load pickles; values are JSON text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import diskcache

__all__ = ["CACHE_FORMAT", "ResponseCache", "cache_key"]

log = logging.getLogger("parley")
CACHE_FORMAT = 1


class _JSONOnlyDisk(diskcache.Disk):  # type: ignore[misc]
    def store(self, value: Any, read: bool, key: Any = diskcache.core.UNKNOWN) -> Any:
        if not isinstance(value, str):
            raise TypeError("parley's cache stores JSON text only")
        return super().store(value, read, key=key)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode == diskcache.core.MODE_PICKLE:
            raise ValueError("refusing to unpickle a cache entry")
        return super().fetch(mode, filename, value, read)


def cache_key(parts: dict[str, Any], *, prompt_hash: str) -> str:
    """sha256 over everything that changes the answer (see `OpenAIBackend._key`) plus format and prompts."""
    blob = json.dumps({"format": CACHE_FORMAT, "prompts": prompt_hash, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    """Validated model answers keyed by `cache_key`. Broken entries are dropped; an unusable directory
    turns the cache off with one warning instead of failing the extraction."""

    def __init__(self, directory: Path, *, prompt_hash: str) -> None:
        self.prompt_hash = prompt_hash
        self.directory = directory
        self._cache: diskcache.Cache | None = None
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(directory, 0o700)
            self._cache = diskcache.Cache(str(directory), disk=_JSONOnlyDisk)
        except (OSError, diskcache.Timeout, Exception) as exc:  # sqlite errors are not OSError
            log.warning("cache disabled: %s is not usable (%s)", directory, exc)
            self._cache = None

    @property
    def enabled(self) -> bool:
        return self._cache is not None

    def get(self, parts: dict[str, Any]) -> Any | None:
        if self._cache is None:
            return None
        key = cache_key(parts, prompt_hash=self.prompt_hash)
        try:
            raw = self._cache.get(key)
            return None if raw is None else json.loads(raw)
        except Exception as exc:  # corrupt row, pickle, bad JSON: drop it and recompute
            log.warning("discarding corrupt cache entry %s… (%s)", key[:12], exc)
            self._discard(key)
            return None

    def set(self, parts: dict[str, Any], value: Any) -> None:
        if self._cache is None:
            return
        key = cache_key(parts, prompt_hash=self.prompt_hash)
        try:
            self._cache.set(key, json.dumps(value, sort_keys=True))
        except Exception as exc:
            log.warning("cache write failed (%s); continuing without caching this answer", exc)

    def _discard(self, key: str) -> None:
        try:
            assert self._cache is not None
            self._cache.delete(key)
        except Exception:
            pass

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
