"""CI gates every eval set offline: rules-only (deterministic, no model) must not fall below its stored
baseline on the seeds, the dev split or the test split. The default strategy is gated on the seeds from
cassettes (tests/test_cassettes.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from evals.datasets import SETS, load_set
from evals.harness import baseline_key, check_baseline, load_baseline, run_eval
from extract import aextract_article, resolve_settings

UPDATE = "parley eval --set all --strategy rules-only --update-baseline"


@pytest.mark.parametrize("eval_set", SETS)
def test_rules_only_holds_its_baseline(eval_set: str, tmp_path: Path) -> None:
    settings = resolve_settings(strategy="rules-only", cache=False)

    async def extract(text: str, published: str | None) -> Any:
        return await aextract_article(text, published=published, settings=settings)

    summary = asyncio.run(
        run_eval(
            extract,
            out_dir=tmp_path,
            label=f"rules-only on {eval_set}",
            settings_info={"strategy": "rules-only"},
            eval_set=eval_set,
        )
    )
    key = baseline_key("rules-only", eval_set)
    assert key in load_baseline()["runs"], f"no baseline for {key}: store one with {UPDATE}"
    assert summary["articles"] == len(load_set(eval_set)) and not summary["failed_articles"]
    assert summary["grounded_rate"] == 1.0
    problems = check_baseline(summary, key=key)
    assert not problems, "\n".join(problems) + f"\nreport: {tmp_path / 'report.md'}"
