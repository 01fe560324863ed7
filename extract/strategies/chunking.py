"""Long articles: split at sentence boundaries with overlap, extract per chunk, merge back to one result.

A chunk always starts and ends on a sentence boundary, so a sentence that lies in the overlap of two chunks
yields the same evidence span from both; after shifting offsets to whole-text coordinates, items of the
same kind and actor whose evidence overlaps are one item (the one with the longest evidence is kept).
Every merged span is re-checked against the whole text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from schemas import ArticleExtraction, Demand, Evidence, Meeting, Rejected, Statement, Usage

from ..analysis.text import split_sentences

__all__ = ["Chunk", "aextract_chunked", "chunk_text", "merge_chunks"]

Item = Meeting | Statement | Demand


@dataclass(frozen=True)
class Chunk:
    """`text[start:end]` of the whole article."""

    start: int
    end: int
    text: str


def _units(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Sentence spans covering the text; a sentence longer than `max_chars` is cut at whitespace."""
    units: list[tuple[int, int]] = []
    for s in split_sentences(text):
        start = s.start
        while s.end - start > max_chars:
            cut = text.rfind(" ", start + 1, start + max_chars)
            cut = cut if cut > start else start + max_chars
            units.append((start, cut))
            start = cut
        units.append((start, s.end))
    return units or [(0, len(text))]


def chunk_text(text: str, *, max_chars: int, overlap: int = 600) -> list[Chunk]:
    """Chunks of at most `max_chars` characters; consecutive chunks share about `overlap` characters."""
    if max_chars <= 0 or len(text) <= max_chars:
        return [Chunk(0, len(text), text)]
    overlap = max(0, min(overlap, max_chars // 2))
    units = _units(text, max_chars)
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        start = units[i][0]
        j = i
        while j + 1 < len(units) and units[j + 1][1] - start <= max_chars:
            j += 1
        end = units[j][1]
        chunks.append(Chunk(start, end, text[start:end]))
        if j + 1 >= len(units):
            break
        # the next chunk starts at the first sentence inside the overlap window (always moving forward)
        k = j + 1
        while k - 1 > i and units[k - 1][0] >= end - overlap:
            k -= 1
        i = k
    return chunks


def _shift(ev: Evidence, by: int, text: str) -> Evidence | None:
    start, end = ev.start + by, ev.end + by
    if text[start:end] != ev.text:
        return None
    return Evidence(text=ev.text, start=start, end=end)


def _who(item: Item) -> str:
    if isinstance(item, Meeting):
        return item.status
    if isinstance(item, Statement):
        return (item.speaker.canonical or item.speaker.name).lower()
    return f"{(item.by.canonical or item.by.name).lower()}: {item.demand}"  # two asks in one sentence are two


def _overlaps(a: list[Evidence], b: list[Evidence]) -> bool:
    return any(x.start < y.end and y.start < x.end for x in a for y in b)


def _extent(item: Item) -> int:
    return sum(e.end - e.start for e in item.evidence) + (
        len(item.participants) if isinstance(item, Meeting) else 0
    )


def _dedupe(items: list[Any]) -> list[Any]:
    kept: list[Any] = []
    for item in items:
        for i, other in enumerate(kept):
            if _who(other) == _who(item) and _overlaps(other.evidence, item.evidence):
                if _extent(item) > _extent(other):
                    kept[i] = item
                break
        else:
            kept.append(item)
    return sorted(kept, key=lambda it: it.evidence[0].start)


def merge_chunks(text: str, parts: list[tuple[Chunk, ArticleExtraction]]) -> ArticleExtraction:
    """One result for the whole text: offsets shifted, spans re-verified, overlap duplicates removed."""
    if len(parts) == 1 and parts[0][0].start == 0 and parts[0][0].end == len(text):
        return parts[0][1]
    lists: dict[str, list[Any]] = {"meetings": [], "statements": [], "demands": []}
    rejected: list[Rejected] = []
    usage = Usage()
    elapsed = 0.0
    for chunk, result in parts:
        for kind, items in lists.items():
            for item in getattr(result, kind):
                shifted = [_shift(ev, chunk.start, text) for ev in item.evidence]
                if any(ev is None for ev in shifted):
                    rejected.append(
                        Rejected(
                            kind=kind[:-1],  # type: ignore[arg-type]
                            reason="evidence moved when merging chunks",
                            item=item.model_dump(mode="json"),
                        )
                    )
                    continue
                items.append(item.model_copy(update={"evidence": shifted}))
        for r in result.rejected:
            if r not in rejected:
                rejected.append(r)
        u = result.meta.usage
        for name in Usage.model_fields:
            setattr(usage, name, getattr(usage, name) + getattr(u, name))
        elapsed += result.meta.elapsed_s
    meta = parts[0][1].meta.model_copy(
        update={
            "usage": usage,
            "elapsed_s": round(elapsed, 4),
            "cached": all(r.meta.cached for _, r in parts),
        }
    )
    return ArticleExtraction(
        meetings=_dedupe(lists["meetings"]),
        statements=_dedupe(lists["statements"]),
        demands=_dedupe(lists["demands"]),
        rejected=rejected,
        meta=meta,
    )


async def aextract_chunked(
    text: str,
    extract: Callable[[str], Awaitable[ArticleExtraction]],
    *,
    max_chars: int,
    overlap: int = 600,
) -> tuple[ArticleExtraction, int]:
    """Run `extract` on each chunk in order (the caller bounds concurrency across articles); merge."""
    chunks = chunk_text(text, max_chars=max_chars, overlap=overlap)
    parts = [(chunk, await extract(chunk.text)) for chunk in chunks]
    return merge_chunks(text, parts), len(chunks)
