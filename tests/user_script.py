"""What a user writes, checked by `mypy --strict` in tests/test_signature.py: both twins with every option,
and the batch API with its own arguments and the same options. Never run by the tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from extract import Settings, aextract_article, extract_article, resolve_settings
from extract.batch import ArticleResult, aextract_articles, extract_articles
from schemas import ArticleExtraction

TEXT = "Minister Antov met the envoy in Geneva."
rare: Settings = resolve_settings(timeout=30.0, max_transport_retries=2, temperature=0.0)


def one() -> ArticleExtraction:
    return extract_article(
        TEXT,
        published=date(2024, 5, 1),
        model="SmolLM2-135M-Instruct",
        base_url="http://127.0.0.1:8765/v1",
        api_key="not-needed",
        strategy="rules-only",
        mode="tools",
        cache=Path("cache"),
        settings=rare,
    )


async def one_async() -> ArticleExtraction:
    return await aextract_article(
        TEXT,
        published="2024-05-01",
        model=None,
        base_url=None,
        api_key=None,
        strategy="evidence-first",
        mode="auto",
        cache=False,
        settings=None,
    )


def many() -> list[ArticleResult]:
    rows = [{"id": "b", "text": TEXT, "published": "2024-05-01"}]
    done = list(extract_articles([TEXT, TEXT], concurrency=2, out="results.jsonl", ordered=True, cache=False))
    return done + list(extract_articles(rows, strategy="rules-only", published=date(2024, 5, 1)))


async def many_async() -> int:
    meetings = 0
    async for r in aextract_articles([TEXT], progress=True, strategy="single-call", mode="json", cache=True):
        meetings += len(r.result.meetings) if r.result is not None else 0
    return meetings
