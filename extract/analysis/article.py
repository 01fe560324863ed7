"""One article and everything found in it without a model, each part computed when first needed (the
single-call strategy needs none of it): the parse, sentences, quotes, ignored spans and the cast."""

from __future__ import annotations

import functools
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from schemas import Evidence

from .actors import Cast, find_cast
from .nlp import DEFAULT_PIPELINE, parse
from .text import Quote, Sentence, find_quotes, ignored_spans, split_sentences

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

__all__ = ["Article"]


@dataclass
class Article:
    text: str
    published: date | None
    pipeline: str = DEFAULT_PIPELINE

    @functools.cached_property
    def doc(self) -> Doc:
        return parse(self.text, pipeline=self.pipeline)

    @functools.cached_property
    def ignored(self) -> list[tuple[int, int]]:
        return ignored_spans(self.text)

    @functools.cached_property
    def _ignored_index(self) -> tuple[list[int], list[int]]:
        """Ignored spans sorted by start, with the furthest end reached by any span starting up to there."""
        spans = sorted(self.ignored)
        reach, furthest = [], -1
        for _, b in spans:
            furthest = max(furthest, b)
            reach.append(furthest)
        return [a for a, _ in spans], reach

    @functools.cached_property
    def _sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    @functools.cached_property
    def sentences(self) -> list[Sentence]:
        return [s for s in split_sentences(self.text, self.doc) if not self.is_ignored(s.start, s.end)]

    @functools.cached_property
    def quotes(self) -> list[Quote]:
        return [q for q in find_quotes(self.text) if not self.is_ignored(q.start, q.end)]

    @functools.cached_property
    def cast(self) -> Cast:
        return find_cast(self.doc, skip=self.ignored)

    def prepare(self) -> Article:
        """Compute the parse and everything read off it now (in a worker thread, say) rather than lazily."""
        _ = self.sentences, self.quotes, self.cast
        return self

    def is_ignored(self, start: int, end: int) -> bool:
        """Whether [start, end) lies inside one ignored span (its end may fall one past the span's)."""
        starts, reach = self._ignored_index
        i = bisect_right(starts, start) - 1
        return i >= 0 and end <= reach[i] + 1

    def sentence_at(self, pos: int) -> Sentence | None:
        i = bisect_right(self._sentence_starts, pos) - 1
        if i >= 0 and pos < self.sentences[i].end:
            return self.sentences[i]
        return None

    def tokens(self, s: Sentence) -> Span:
        """The parse of one sentence."""
        span = self.doc.char_span(s.start, s.end, alignment_mode="expand")
        assert span is not None
        return span

    def span(self, start: int, end: int) -> Evidence:
        return Evidence(text=self.text[start:end], start=start, end=end)

    def passage(self, start: int, end: int, *, before: int = 1) -> str:
        """The sentences covering [start, end) plus `before` sentences of context."""
        idx = [i for i, s in enumerate(self.sentences) if s.end > start and s.start < end]
        if not idx:
            return self.text[start:end]
        lo = max(0, idx[0] - before)
        return " ".join(s.text for s in self.sentences[lo : idx[-1] + 1])
