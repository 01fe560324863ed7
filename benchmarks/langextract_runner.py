"""Run langextract on articles against an OpenAI-compatible server; print one JSON line per article.

Runs in langextract's own virtual environment (it is not one of our dependencies), started by
`benchmarks/bench_tokens.py`:

    <langextract-venv>/bin/python benchmarks/langextract_runner.py BASE_URL MODEL FILE...

The task is ours (meetings, statements, demands), told the way langextract wants it: a description and one
worked example. Output tokens per call are capped at 256, as ours are.
"""

from __future__ import annotations

import json
import sys
import time

import langextract as lx

PROMPT = (
    "Extract diplomatic meetings (who met whom, where, when, status), statements (who said what) and demands "
    "(who demands what of whom), in order of appearance. Use exact text from the article for each extraction."
)

EXAMPLE = lx.data.ExampleData(
    text=(
        'Foreign Minister Anna Berg met her Finnish counterpart in Helsinki on Monday. "We want the border '
        'open," Berg said. She urged Moscow to withdraw its troops.'
    ),
    extractions=[
        lx.data.Extraction(
            extraction_class="meeting",
            extraction_text="Foreign Minister Anna Berg met her Finnish counterpart in Helsinki on Monday",
            attributes={
                "participants": "Anna Berg; Finnish foreign minister",
                "where": "Helsinki",
                "when": "Monday",
                "status": "held",
            },
        ),
        lx.data.Extraction(
            extraction_class="statement",
            extraction_text='"We want the border open," Berg said',
            attributes={"speaker": "Anna Berg"},
        ),
        lx.data.Extraction(
            extraction_class="demand",
            extraction_text="She urged Moscow to withdraw its troops",
            attributes={"by": "Anna Berg", "of": "Moscow", "what": "withdraw its troops"},
        ),
    ],
)


def main() -> None:
    base_url, model, *files = sys.argv[1:]
    config = lx.factory.ModelConfig(
        model_id=model,
        provider="OpenAILanguageModel",
        provider_kwargs={"api_key": "not-needed", "base_url": base_url, "max_output_tokens": 256},
    )
    for path in files:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        started = time.perf_counter()
        status, extractions = "ok", 0
        try:
            doc = lx.extract(text, prompt_description=PROMPT, examples=[EXAMPLE], config=config,
                             temperature=0.0, max_workers=1, show_progress=False,
                             use_schema_constraints=False, fence_output=True)  # fmt: skip
            extractions = len(doc.extractions or [])  # type: ignore[union-attr]
        except Exception as exc:  # a failed article is a row, not the end of the run
            status = f"{type(exc).__name__}: {str(exc)[:120]}"
        print(json.dumps({"file": path, "seconds": time.perf_counter() - started, "status": status,
                          "extractions": extractions}), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
