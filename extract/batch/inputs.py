"""Batch inputs: a folder of .txt/.md/.html files or a JSONL file, read into `InputItem`s with content hashes.

An input that cannot be read (bad encoding, broken JSON line, HTML without article text) is still an item:
it carries its error and becomes an error row, so a batch never silently loses an input.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analysis.htmltext import html_to_article
from ..errors import ExtractError, InputRejected

__all__ = ["SUFFIXES", "InputItem", "as_item", "content_hash", "load_inputs"]

log = logging.getLogger("parley")
SUFFIXES = {".txt", ".md", ".html", ".htm"}


@dataclass(frozen=True)
class InputItem:
    """One article to extract: `text` is what the model sees and what evidence offsets refer to."""

    id: str
    text: str
    content_hash: str
    published: str | None = None
    url: str | None = None
    title: str | None = None
    source: str | None = None
    error: tuple[str, str] | None = None  # (kind, message) when the input itself could not be read


def content_hash(text: str, published: str | None) -> str:
    """Names everything about the input that changes the answer: the text and the publication date."""
    h = hashlib.sha256(text.encode("utf-8"))
    h.update(b"\0" + (published or "").encode("utf-8"))
    return h.hexdigest()[:32]


def _item(
    id: str,
    text: str,
    *,
    published: str | None = None,
    url: str | None = None,
    title: str | None = None,
    source: str | None = None,
    html: bool = False,
) -> InputItem:
    try:
        if html:
            page = html_to_article(text, url=url)
            text, title = page.text, title or page.title
            published, url = published or page.published, url or page.url
    except ExtractError as exc:
        return _failed(id, type(exc).__name__, str(exc), raw=text, source=source)
    return InputItem(
        id=id,
        text=text,
        content_hash=content_hash(text, published),
        published=published,
        url=url,
        title=title,
        source=source,
    )


def _failed(id: str, kind: str, message: str, *, raw: str, source: str | None) -> InputItem:
    return InputItem(
        id=id, text="", content_hash=content_hash(raw, None), source=source, error=(kind, message)
    )


def _from_files(folder: Path, files: list[Path]) -> list[InputItem]:
    items = []
    for path in files:
        rel = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            items.append(
                _failed(
                    rel,
                    "UnicodeDecodeError",
                    f"{exc}; save the file as UTF-8",
                    raw=data.hex(),
                    source=str(path),
                )
            )
            continue
        items.append(_item(rel, text, source=str(path), html=path.suffix.lower() in {".html", ".htm"}))
    return items


def _opt(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    return None if value is None else str(value)


def _from_jsonl(path: Path) -> list[InputItem]:
    items = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                row = json.loads(line)
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise ValueError("each line must be an object with a string `text`")
            except ValueError as exc:
                items.append(_failed(f"line-{n}", "InputRejected", f"{where}: {exc}", raw=line, source=where))
                continue
            id = str(row.get("id") if row.get("id") is not None else f"line-{n}")
            is_html = bool(row.get("html")) or row["text"].lstrip()[:1] == "<"
            items.append(
                _item(
                    id,
                    row["text"],
                    published=_opt(row, "published"),
                    url=_opt(row, "url"),
                    title=_opt(row, "title"),
                    source=where,
                    html=is_html,
                )
            )
    return items


def load_inputs(path: Path) -> list[InputItem]:
    """Every article under `path`, ids unique (a repeated id keeps its first article, with a warning)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        items = _from_files(path, files)
    elif path.is_file() and path.suffix.lower() in {".jsonl", ".ndjson"}:
        items = _from_jsonl(path)
    elif path.is_file() and path.suffix.lower() in SUFFIXES:
        items = _from_files(path.parent, [path])
    else:
        raise InputRejected(f"{path}: expected a folder of .txt/.md/.html files or a .jsonl file")
    seen: dict[str, InputItem] = {}
    for item in items:
        if item.id in seen:
            if seen[item.id].content_hash != item.content_hash:
                log.warning("input id %r appears twice with different text; keeping the first", item.id)
            continue
        seen[item.id] = item
    return list(seen.values())


def as_item(
    value: str | Mapping[str, Any] | InputItem, index: int, *, published: str | None = None
) -> InputItem:
    """One article handed over from Python: a text (its id is its position, `index`), a mapping with `text`
    and optionally `id`, `published`, `url`, `title` and `html` (as a JSONL line), or an `InputItem`.
    `published` applies where the article has no date of its own. Anything else is an item with an error."""
    if isinstance(value, InputItem):
        return value
    if isinstance(value, str):
        return _item(str(index), value, published=published, source=f"#{index}")
    id = str(value["id"]) if isinstance(value, Mapping) and value.get("id") is not None else str(index)
    if isinstance(value, Mapping) and isinstance(value.get("text"), str):
        row = dict(value)
        return _item(
            id,
            row["text"],
            published=_opt(row, "published") or published,
            url=_opt(row, "url"),
            title=_opt(row, "title"),
            source=f"#{index}",
            html=bool(row.get("html")),
        )
    what = "a mapping without a string `text`" if isinstance(value, Mapping) else type(value).__name__
    message = f"article #{index} is {what}: pass a str, a mapping with `text`, or an InputItem"
    return _failed(id, "InputRejected", message, raw=repr(value), source=f"#{index}")
