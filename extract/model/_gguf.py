"""Just enough of a GGUF reader to check which model a file holds: the header and the metadata up to a key.

Layout (ggml's docs/gguf.md, little-endian): magic `GGUF`, uint32 version, uint64 tensor count, uint64
key/value count, then per pair a string key, a uint32 value type and the value. Strings are a uint64 length
and UTF-8 bytes; an array is a uint32 element type, a uint64 length and the elements. Version 1 used 32-bit
counts and lengths and is not read.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

__all__ = ["MAGIC", "GGUFError", "is_gguf", "read_string"]

MAGIC = b"GGUF"
STRING, ARRAY = 8, 9
# fixed-size value types: uint8, int8, uint16, int16, uint32, int32, float32, bool, uint64, int64, float64
_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_MAX_STRING = 64 << 20  # a corrupt length must not make us allocate gigabytes


class GGUFError(ValueError):
    """The file is not a GGUF file, or its header is cut short or malformed."""


def is_gguf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == MAGIC


def read_string(path: Path, key: str = "general.name") -> str | None:
    """The string value of `key` in the file's metadata (None when absent), reading no further than it."""
    with path.open("rb") as f:
        magic, version, _tensors, pairs = struct.unpack("<4sIQQ", _read(f, 24))
        if magic != MAGIC:
            raise GGUFError(f"{path} is not a GGUF file (it starts with {magic!r})")
        if version not in (2, 3):
            raise GGUFError(f"{path} is GGUF version {version}; versions 2 and 3 are read")
        for _ in range(pairs):
            name = _string(f)
            (kind,) = struct.unpack("<I", _read(f, 4))
            if name == key:
                if kind != STRING:
                    raise GGUFError(f"{path}: {key} has value type {kind}, not a string")
                return _string(f)
            _skip(f, kind)
    return None


def _read(f: BinaryIO, size: int) -> bytes:
    data = f.read(size)
    if len(data) != size:
        raise GGUFError("the GGUF header is cut short")
    return data


def _string(f: BinaryIO) -> str:
    (size,) = struct.unpack("<Q", _read(f, 8))
    if size > _MAX_STRING:
        raise GGUFError(f"a GGUF string claims {size} bytes")
    return _read(f, size).decode("utf-8", errors="replace")


def _skip(f: BinaryIO, kind: int) -> None:
    if kind in _SIZES:
        _read(f, _SIZES[kind])
    elif kind == STRING:
        _string(f)
    elif kind == ARRAY:
        item, count = struct.unpack("<IQ", _read(f, 12))
        if item in _SIZES:
            f.seek(_SIZES[item] * count, 1)
        else:
            for _ in range(count):
                _skip(f, item)
    else:
        raise GGUFError(f"unknown GGUF value type {kind}")
