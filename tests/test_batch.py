"""`parley batch`: concurrency, exactly-once resume, torn-line repair, failures as rows, duplicates, HTML."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extract.batch import ResultStore, load_inputs, read_results, run_batch
from extract.cli import app
from extract.settings import resolve_settings
from tests.fake_batches import single_call_completion
from tests.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1"])  # loopback fakes only

PAGE = """<html><head><title>Ministers meet in Vienna | Daily Wire</title>
<meta property="article:published_time" content="2024-03-05"></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a> | Subscribe</nav>
<div class="cookie">We use cookies to improve your experience.</div>
<article><h1>Ministers meet in Vienna</h1>
<p>Anna Korvel met Tomas Brandt in Vienna on Tuesday, the ministry said in a statement to the press.</p>
<p>Tomas Brandt said the border crossings would stay closed until the next round of talks in April.</p>
<p>Anna Korvel demanded that the crossings be reopened before any new round of talks begins.</p>
</article><footer>© 2024 Daily Wire. All rights reserved.</footer></body></html>"""


def article(n: int, extra: str = "") -> str:
    return (
        f"Report number {n} from the capital.\n\n"
        f"Anna Korvel met Tomas Brandt{n} in Vienna on Tuesday for talks number {n}.\n\n"
        f"Tomas Brandt said the border would stay closed for {n} more days.\n\n{extra}"
    )


def write_articles(folder: Path, count: int, **special: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"art{n:03d}.txt").write_text(article(n), encoding="utf-8")
    for name, text in special.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def answer_slowly(delay: float) -> Any:
    def answer(body: dict[str, Any]) -> dict[str, Any]:
        time.sleep(delay)
        return single_call_completion(body)

    return answer


def settings_for(fake: FakeOpenAI, **extra: Any) -> Any:
    return resolve_settings(
        base_url=fake.base_url, strategy="single-call", cache=False, max_transport_retries=0, **extra
    )


def max_overlap(times: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in times] + [(e, -1) for _, e in times])
    best = cur = 0
    for _, step in events:
        cur += step
        best = max(best, cur)
    return best


async def test_requests_really_overlap_and_every_article_is_written_once(tmp_path: Path) -> None:
    items = load_inputs(write_articles(tmp_path / "in", 8))
    with FakeOpenAI(default=answer_slowly(0.2)) as fake:
        stats = await run_batch(items, out=tmp_path / "out.jsonl", settings=settings_for(fake), concurrency=4)
    assert stats.ok == 8 and stats.failed == 0
    assert max_overlap(fake.times) >= 3  # four workers, one shared client: requests run side by side
    span = max(e for _, e in fake.times) - min(s for s, _ in fake.times)
    assert span < 0.6 * sum(e - s for s, e in fake.times)
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == [f"art{n:03d}.txt" for n in range(8)]
    rec = read_results(tmp_path / "out.jsonl")["art003.txt"]
    assert rec.result is not None and rec.result.meta.usage.prompt_tokens == 100
    for item in [*rec.result.meetings, *rec.result.statements]:
        ev = item.evidence[0]
        assert rec.text[ev.start : ev.end] == ev.text


async def test_failures_are_rows_and_a_rerun_redoes_only_them(tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "in", 3, **{"bad.txt": article(9, "This line is BROKEN on purpose.")})
    out = tmp_path / "out.jsonl"
    with FakeOpenAI(default=single_call_completion) as fake:
        settings = settings_for(fake, max_validation_retries=1)
        stats = await run_batch(load_inputs(folder), out=out, settings=settings, concurrency=2)
        assert (stats.ok, stats.failed) == (3, 1)
        bad = read_results(out)["bad.txt"]
        assert bad.status == "error" and bad.error is not None
        assert bad.error.kind == "ModelOutputInvalid" and bad.error.attempts == 2
        before = len(fake.requests)
        again = await run_batch(load_inputs(folder), out=out, settings=settings, concurrency=2)
    assert (again.skipped, again.ok, again.failed) == (3, 0, 1)
    assert len(fake.requests) - before == 2  # only the failed article was asked again (two attempts)
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 4  # the old error row was replaced, not duplicated


async def test_duplicate_content_is_extracted_once(tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "in", 2, **{"copy.txt": article(1), "copy2.md": article(1)})
    out = tmp_path / "out.jsonl"
    with FakeOpenAI(default=single_call_completion) as fake:
        stats = await run_batch(load_inputs(folder), out=out, settings=settings_for(fake), concurrency=3)
    assert len(fake.requests) == 2 and stats.ok == 2 and stats.duplicates == 2
    recs = read_results(out)
    first = next(
        r.id for r in recs.values() if r.status == "ok" and r.content_hash == recs["copy.txt"].content_hash
    )
    assert {recs["copy.txt"].duplicate_of, recs["copy2.md"].duplicate_of} == {first}


async def test_resume_after_a_crash_writes_every_id_exactly_once(tmp_path: Path) -> None:
    items = load_inputs(write_articles(tmp_path / "in", 12))
    out = tmp_path / "out.jsonl"
    calls = 0
    hanging = asyncio.Event()

    async def crashing(item: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls > 5:
            hanging.set()
            await asyncio.sleep(3600)  # hangs until the run is cancelled, as Ctrl-C does under asyncio.run
        return await real(item)

    from extract.batch.runner import default_extractor

    settings = resolve_settings(strategy="rules-only", cache=False)
    real = default_extractor(settings, backend=None, chunk_chars=0, overlap=0)
    run = asyncio.ensure_future(
        run_batch(items, out=out, settings=settings, concurrency=3, extractor=crashing)
    )
    await asyncio.wait_for(hanging.wait(), timeout=60)  # however long the first article takes (model load)
    await asyncio.sleep(0.1)  # the other workers finish what they hold, or hang too
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    done_before = len(out.read_text(encoding="utf-8").splitlines())
    assert 0 < done_before < 12
    with out.open("ab") as fh:  # and the kill landed in the middle of a write
        fh.write(b'{"id": "art011.txt", "content_hash": "12')
    stats = await run_batch(items, out=out, settings=settings, concurrency=3)
    assert stats.skipped == done_before and stats.ok == 12 - done_before
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == [f"art{n:03d}.txt" for n in range(12)]


def test_torn_and_corrupt_lines_are_repaired(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    good = '{"id":"a","content_hash":"h","status":"duplicate","text":"x","duplicate_of":"b"}\n'
    out.write_text(good + "not json\n" + good.replace('"a"', '"c"') + '{"id":"d","con', encoding="utf-8")
    store = ResultStore(out)
    kept = store.open()
    store.close()
    assert set(kept) == {"a", "c"}
    assert (store.report.torn, store.report.corrupt, store.report.rewritten) == (1, 1, True)
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["a", "c"]


def test_html_pages_are_reduced_to_article_text(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.html").write_text(PAGE, encoding="utf-8")
    (item,) = load_inputs(tmp_path / "in")
    assert item.title and "Ministers meet in Vienna" in item.title and item.published == "2024-03-05"
    assert "Anna Korvel met Tomas Brandt" in item.text
    assert "cookies" not in item.text and "Subscribe" not in item.text and "rights reserved" not in item.text


def test_kill_9_then_resume_with_the_cli_is_exactly_once(tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "in", 16, **{"page.html": PAGE})
    out = tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "OPENAI_"))}
    env |= {"PARLEY_NO_CACHE": "1"}
    with FakeOpenAI(default=answer_slowly(0.15)) as fake:
        cmd = [
            sys.executable,
            "-c",
            "from extract.cli import main; main()",
            "batch",
            str(folder),
            "--out",
            str(out),
            "--base-url",
            fake.base_url,
            "--strategy",
            "single-call",
            "--concurrency",
            "2",
            "--quiet",
        ]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (
                not out.exists() or len(out.read_bytes().splitlines()) < 4
            ):
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=10)
        first = len(out.read_text(encoding="utf-8").splitlines())
        assert 4 <= first < 17
        result = CliRunner().invoke(app, cmd[3:], env=env)
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(ids) == 17 and len(set(ids)) == 17


def test_batch_events_merge_the_same_meeting_across_articles(tmp_path: Path) -> None:
    """`parley batch --events` merges seeds 001 and 004 (one April meeting) and nothing else."""
    from typer.testing import CliRunner

    from extract.cli import app

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    out, events = tmp_path / "out.jsonl", tmp_path / "events.json"
    ran = CliRunner().invoke(
        app,
        [
            "batch",
            str(seeds),
            "--out",
            str(out),
            "--strategy",
            "rules-only",
            "--no-cache",
            "--quiet",
            "--events",
            str(events),
        ],
    )
    assert ran.exit_code == 0, ran.output
    doc = json.loads(events.read_text(encoding="utf-8"))
    shared = [e for e in doc["events"] if len(e["articles"]) > 1]
    assert len(shared) == 1
    assert sorted(a[:3] for a in shared[0]["articles"]) == ["001", "004"]


# --- the analysis over a pool of processes ----------------------------------------------------------------


def test_a_long_rules_only_batch_spreads_its_analysis_over_the_cores() -> None:
    from extract.batch.runner import POOL_FROM, analysis_processes

    fast = resolve_settings(strategy="rules-only", cache=False)
    model = resolve_settings(strategy="evidence-first", cache=False)
    assert analysis_processes(fast, POOL_FROM - 1, 4, None) == 0  # too short to repay starting processes
    assert analysis_processes(fast, POOL_FROM, 1, None) == 0  # one article in flight: one process
    assert analysis_processes(model, 10_000, 8, None) == 0  # the model's server does the work
    assert analysis_processes(fast, 3, 4, 2) == 2  # asked for
    assert analysis_processes(fast, 10_000, 4, 1) == 0


def test_a_pool_of_processes_gives_the_results_of_one_process_and_its_errors(tmp_path: Path) -> None:
    from extract.batch.inputs import InputItem

    texts = {
        "a": "Russian Foreign Minister Sergei Lavrov met US Secretary of State Antony Blinken in Geneva on Friday.",
        "b": "The European Union called on Russia to withdraw its troops.",
        "c": '"We will not negotiate under pressure," Iranian Foreign Minister Abbas Araghchi said on Sunday.',
        "bad": "a\x00binary\x00file",  # rejected inside the pool process: the error crosses back as itself
    }
    items = [InputItem(id=k, text=v, content_hash=f"h-{k}") for k, v in texts.items()]
    settings = resolve_settings(strategy="rules-only", cache=False)
    runs = {}
    for processes in (0, 2):
        out = tmp_path / f"p{processes}.jsonl"
        stats = asyncio.run(run_batch(items, out=out, settings=settings, concurrency=2, processes=processes))
        assert (stats.ok, stats.failed) == (3, 1)
        runs[processes] = read_results(out)
    assert runs[2]["bad"].error is not None and runs[2]["bad"].error.kind == "InputRejected"
    assert "binary" in runs[2]["bad"].error.message
    for k in ("a", "b", "c"):
        one, pooled = runs[0][k].result, runs[2][k].result
        assert one is not None and pooled is not None
        assert pooled.model_dump(exclude={"meta"}) == one.model_dump(exclude={"meta"})
        assert pooled.meetings or pooled.demands or pooled.statements
