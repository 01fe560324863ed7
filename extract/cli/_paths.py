"""Command-line path arguments: files as given, folders expanded to their files of the wanted kinds."""

from __future__ import annotations

from pathlib import Path

import typer


def expand_paths(paths: list[Path], suffixes: set[str]) -> list[Path]:
    """Each file as given; each folder's files (not recursive) whose suffix is in `suffixes`, sorted."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in suffixes and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise typer.BadParameter(f"{path} is neither a file nor a folder")
    return files
