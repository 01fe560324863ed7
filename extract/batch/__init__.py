"""Batch jobs over many articles: bounded concurrency, resumable exactly-once JSONL results, Batch API."""

from .articles import ArticleInput, ArticleResult, aextract_articles, extract_articles
from .inputs import InputItem, content_hash, load_inputs
from .progress import BatchStats
from .runner import run_batch
from .store import BatchRecord, ErrorInfo, ResultStore, read_results

__all__ = [
    "ArticleInput",
    "ArticleResult",
    "BatchRecord",
    "BatchStats",
    "ErrorInfo",
    "InputItem",
    "ResultStore",
    "aextract_articles",
    "content_hash",
    "extract_articles",
    "load_inputs",
    "read_results",
    "run_batch",
]
