"""Batch API submit/collect against a loopback fake, chunk merging, the HTML report and CLI exit codes."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extract.api import aextract_article
from extract.batch import load_inputs, read_results
from extract.cli import app
from extract.report.html import render_report
from extract.strategies.chunking import aextract_chunked, chunk_text
from tests.fake_batches import FakeBatches, single_call_completion
from tests.fake_openai import FakeOpenAI
from tests.test_batch import article, write_articles

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1"])  # loopback fakes only


def long_article(sentences: int) -> str:
    parts = []
    for n in range(sentences):
        if n % 3 == 0:
            parts.append(f"Anna Korvel met Tomas Brandt in Vienna{n} for round {n} of the talks.")
        elif n % 3 == 1:
            parts.append(f"Tomas Brandt said round {n} had gone better than the one before it.")
        else:
            parts.append(f"Observers in the capital expected a statement on round {n} later this week.")
    return "\n\n".join(parts) + "\n"


def test_chunks_cover_the_text_on_sentence_boundaries_with_overlap() -> None:
    text = long_article(30)
    chunks = chunk_text(text, max_chars=400, overlap=150)
    assert len(chunks) > 3
    assert chunks[0].start == 0 and chunks[-1].end >= len(text.rstrip())
    for a, b in itertools.pairwise(chunks):
        assert a.end - a.start <= 400 and b.start < a.end  # consecutive chunks overlap
        assert b.start > a.start  # and always move forward
        assert text[b.start - 2 : b.start] == "\n\n"  # a chunk starts where a sentence starts
    assert all(text[c.start : c.end] == c.text for c in chunks)


async def test_chunked_extraction_maps_offsets_back_and_drops_overlap_duplicates() -> None:
    text = long_article(24)

    async def rules(part: str) -> Any:
        return await aextract_article(part, strategy="rules-only", cache=False)

    whole = await rules(text)
    merged, n = await aextract_chunked(text, rules, max_chars=500, overlap=200)
    assert n > 2
    for item in [*merged.meetings, *merged.statements]:
        for ev in item.evidence:
            assert text[ev.start : ev.end] == ev.text
    spans = [(s.evidence[0].start, s.evidence[0].end) for s in merged.statements]
    assert len(spans) == len(set(spans))  # sentences in two chunks are reported once
    assert spans == [(s.evidence[0].start, s.evidence[0].end) for s in whole.statements]


def test_submit_then_collect_through_the_batch_api(tmp_path: Path) -> None:
    long = long_article(40)
    folder = write_articles(tmp_path / "in", 3, **{"long.txt": long, "copy.txt": article(0)})
    out = tmp_path / "out.jsonl"
    answered: list[dict[str, Any]] = []

    def answer(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        answered.append(body)
        if "number 2" in json.dumps(body):
            return 500, {"error": {"message": "server overloaded", "type": "server_error"}}
        return 200, single_call_completion(body)

    runner = CliRunner()
    with FakeBatches(answer, pending_polls=1) as fake:
        args = ["--out", str(out), "--base-url", fake.base_url]
        sub = runner.invoke(app, ["batch", "submit", str(folder), *args, "--chunk-chars", "1500"])
        assert sub.exit_code == 0, sub.output
        manifest = json.loads(out.with_name("out.jsonl.batch.json").read_text(encoding="utf-8"))
        assert manifest["batch_id"] and len(manifest["articles"]) == 5
        assert len(manifest["calls"]) == len(answered) >= 3 + 2  # 3 short articles + a chunked long one
        assert all(c["id"] != "copy.txt" for c in manifest["calls"].values())  # same content, asked once
        pending = runner.invoke(app, ["batch", "collect", *args])
        assert pending.exit_code == 3 and "in_progress" in pending.output
        done = runner.invoke(app, ["batch", "collect", *args, "--report", str(tmp_path / "r.html")])
    assert done.exit_code == 1, done.output  # one request failed at the server
    recs = read_results(out)
    assert {r.status for r in recs.values()} == {"ok", "duplicate", "error"}
    assert recs["art002.txt"].error is not None and recs["art002.txt"].error.kind == "ModelRequestFailed"
    assert recs["copy.txt"].duplicate_of == "art000.txt"
    big = recs["long.txt"]
    assert big.result is not None and big.chunks > 1
    assert len(big.result.statements) == len([n for n in range(40) if n % 3 == 1])
    for item in [*big.result.meetings, *big.result.statements]:
        ev = item.evidence[0]
        assert big.text[ev.start : ev.end] == ev.text
    assert (tmp_path / "r.html").exists()


def test_cli_exit_codes_and_allow_failures(tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "in", 2, **{"bad.txt": article(5, "A BROKEN line.")})
    runner = CliRunner()
    with FakeOpenAI(default=single_call_completion) as fake:
        args = [
            "batch",
            str(folder),
            "--out",
            str(tmp_path / "o.jsonl"),
            "--base-url",
            fake.base_url,
            "--strategy",
            "single-call",
            "--quiet",
            "--no-cache",
        ]
        first = runner.invoke(app, args)
        again = runner.invoke(app, [*args, "--allow-failures", "--report", str(tmp_path / "r.html")])
    assert first.exit_code == 1 and "1 failed" in first.output
    assert again.exit_code == 0 and "2 already done" in again.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "ModelOutputInvalid" in page


def test_report_links_highlights_to_items_and_exports_csv(tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "in", 2)
    out = tmp_path / "o.jsonl"
    with FakeOpenAI(default=single_call_completion) as fake:
        from extract.batch import run_batch
        from extract.settings import resolve_settings

        settings = resolve_settings(base_url=fake.base_url, strategy="single-call", cache=False)
        asyncio.run(run_batch(load_inputs(folder), out=out, settings=settings, concurrency=2))
    page = render_report(read_results(out).values())
    assert page.count('<mark class="m"') == 2 and page.count('<mark class="s"') == 2
    assert 'href="#a0-m0"' in page and 'id="a0-m0"' in page  # highlight -> item, and the item exists
    assert 'id="a0-m0-ev' in page and 'href="#a0-m0-ev' in page  # item -> highlight
    assert page.count("data:text/csv;charset=utf-8,") == 4
    assert "Tomas%20Brandt1" in page  # the CSV carries the rows
    assert not re.search(r"<(?:link|img|iframe)\b|\bsrc=|@import|url\(", page)  # styles and script inline
    assert "http" not in page.split("<body>")[1].split("Articles")[0]
