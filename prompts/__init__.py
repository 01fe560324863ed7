"""The words sent to the model, as files. `load()` reads and validates them once; `PROMPT_HASH` names the set."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources

from pydantic import BaseModel

__all__ = ["PROMPT_VERSION", "Prompts", "decision_hash", "load", "prompt_hash"]

PROMPT_VERSION = "4"
_FILES = ("system.md", "decide.md", "single_call.md", "guided.md")
_DECISION_FILES = ("decide.md",)  # with questions.json: what a decision question is made of
# one question per decision the pipeline can put to a model (extract/strategies/decisions.py)
QUESTION_KINDS = ("speaker", "meeting", "status", "demand", "demander", "target")


class Prompts(BaseModel):
    templates: dict[str, str]
    questions: dict[str, str]
    hash: str
    decision_hash: str  # of the files a decision question is made of (`_DECISION_FILES`)


@cache
def load() -> Prompts:
    root = resources.files(__name__)
    digest = hashlib.sha256(PROMPT_VERSION.encode())
    decision = hashlib.sha256(PROMPT_VERSION.encode())
    templates: dict[str, str] = {}
    for name in _FILES:
        body = (root / name).read_text(encoding="utf-8")
        digest.update(name.encode() + body.encode())
        if name in _DECISION_FILES:
            decision.update(name.encode() + body.encode())
        templates[name.removesuffix(".md")] = body.strip()
    raw = (root / "questions.json").read_text(encoding="utf-8")
    digest.update(b"questions.json" + raw.encode())
    decision.update(b"questions.json" + raw.encode())
    questions = json.loads(raw)
    if set(questions) != set(QUESTION_KINDS):
        raise ValueError(
            f"prompts/questions.json must hold exactly the questions {', '.join(QUESTION_KINDS)}"
        )
    return Prompts(
        templates=templates,
        questions=questions,
        hash=digest.hexdigest()[:12],
        decision_hash=decision.hexdigest()[:12],
    )


def prompt_hash() -> str:
    return load().hash


def decision_hash() -> str:
    """What a decision question is made of (decide.md, questions.json): stored model answers stay valid while
    it holds, whatever happens to the other prompts."""
    return load().decision_hash
