"""Batch jobs over many articles: bounded concurrency, resumable exactly-once JSONL results, Batch API."""

from .inputs import InputItem, content_hash, load_inputs
from .progress import BatchStats
from .runner import run_batch
from .store import BatchRecord, ErrorInfo, ResultStore, read_results

__all__ = [
    "BatchRecord",
    "BatchStats",
    "ErrorInfo",
    "InputItem",
    "ResultStore",
    "content_hash",
    "load_inputs",
    "read_results",
    "run_batch",
]
