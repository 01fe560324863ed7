"""Test setup: a clean environment, an offline network, and cassettes matched on the request body.

Cassettes under tests/cassettes/ are recorded from the real embedded llama.cpp server
(`PARLEY_RECORD=1 pytest tests/test_cassettes.py --record-mode=all`, see README).
"""

from __future__ import annotations

import json
import os
import resource
from collections.abc import Iterator
from typing import Any

import pytest

import extract

RERECORD = "PARLEY_RECORD=1 python -m pytest tests/test_cassettes.py --record-mode=rewrite"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    """A developer's own keys and settings never leak into a test; caches go to a temp folder."""
    for name in list(os.environ):
        if name.startswith(("PARLEY_", "OPENAI_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path / "cache"))
    yield
    extract.close()  # every client, connection and cache handle a test opened is released with it


def pytest_report_header() -> str:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return f"parley: {os.cpu_count()} cpu(s), open files limit {soft}/{hard}"


def _json_body(request: Any) -> Any:
    body = request.body or b""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body


def _body_matcher(r1: Any, r2: Any) -> None:
    """Match on the parsed JSON body: a changed prompt, schema or sampling setting must not replay."""
    if _json_body(r1) != _json_body(r2):
        raise AssertionError(f"request body differs from the recording; re-record with: {RERECORD}")


def _scrub_request(request: Any) -> Any:
    for header in (
        "authorization",
        "api-key",
        "x-api-key",
        "openai-organization",
        "openai-project",
        "cookie",
    ):
        request.headers.pop(header, None)
        request.headers.pop(header.title(), None)
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for key in list(headers):
        if key.lower() in {"set-cookie", "openai-organization", "authorization"}:
            headers.pop(key)
    return response


def pytest_recording_configure(config: Any, vcr: Any) -> None:
    vcr.register_matcher("json_body", _body_matcher)


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "match_on": ["method", "path", "json_body"],
        "filter_headers": ["authorization", "api-key", "x-api-key", "openai-organization", "openai-project"],
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
        "allow_playback_repeats": False,
    }


def pytest_configure(config: Any) -> None:
    """Network off and cassettes read-only, always, unless re-recording (PARLEY_RECORD=1)."""
    if os.environ.get("PARLEY_RECORD") != "1":
        config.option.block_network = True
        config.option.record_mode = "none"
