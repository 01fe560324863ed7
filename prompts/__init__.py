"""The words sent to the model, as files. `load()` reads and validates them once; `PROMPT_HASH` names the set."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

__all__ = ["PROMPT_VERSION", "FewShot", "Prompts", "load", "prompt_hash"]

PROMPT_VERSION = "3"
_FILES = ("system.md", "speaker.md", "demand_target.md", "single_call.md")


class FewShot(BaseModel):
    """One synthetic worked example (never taken from an evaluation article)."""

    task: Literal["speaker", "demand_target"]
    text: str = Field(min_length=10)
    question: str
    choices: list[str] = Field(min_length=2)
    answer: str

    def model_post_init(self, _: object) -> None:
        if self.answer not in self.choices:
            raise ValueError(f"few-shot answer {self.answer!r} is not one of its choices")


class Prompts(BaseModel):
    templates: dict[str, str]
    fewshot: list[FewShot]
    hash: str

    def examples(self, task: str) -> list[FewShot]:
        return [ex for ex in self.fewshot if ex.task == task]


@cache
def load() -> Prompts:
    root = resources.files(__name__)
    digest = hashlib.sha256(PROMPT_VERSION.encode())
    templates: dict[str, str] = {}
    for name in _FILES:
        body = (root / name).read_text(encoding="utf-8")
        digest.update(name.encode() + body.encode())
        templates[name.removesuffix(".md")] = body.strip()
    examples: list[FewShot] = []
    for path in sorted((root / "fewshot").iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".json"):
            continue
        raw = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + raw.encode())
        try:
            examples.extend(FewShot.model_validate(item) for item in json.loads(raw))
        except (ValidationError, ValueError) as exc:
            raise ValueError(f"invalid few-shot file prompts/fewshot/{path.name}: {exc}") from exc
    return Prompts(templates=templates, fewshot=examples, hash=digest.hexdigest()[:12])


def prompt_hash() -> str:
    return load().hash
