"""What the text says without a model: cleaning, sentences, quotes, actors, cues, dates, grounding."""

from __future__ import annotations

__all__: list[str] = []
