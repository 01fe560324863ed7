"""Who is who across mentions and articles: the gazetteer, actor resolution, merged events, event codes."""

from __future__ import annotations

__all__: list[str] = []
