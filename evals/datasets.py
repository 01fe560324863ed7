"""The eval sets: the five seeds, the `dev` split (tune on it) and the frozen `test` split.

A set is a folder of articles and a folder of expectations with the same stems:
`seeds/` + `evals/expectations/` for the seeds, `evals/datasets/<split>/articles/` +
`evals/datasets/<split>/expectations/` for dev and test. `python -m evals.datasets check DIR` checks
a folder laid out that way (schema, article present, every evidence string and quote verbatim).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import ValidationError

from .expectations import Expectations, load_expectations, seeds_dir

__all__ = [
    "SETS",
    "Case",
    "SetName",
    "check_folder",
    "load_set",
    "set_dirs",
    "verify_case",
]

SetName = Literal["seeds", "dev", "test"]
SETS: tuple[SetName, ...] = get_args(SetName)
_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Case:
    """One annotated article of a set."""

    set: str
    path: Path
    expectations: Expectations

    @property
    def article(self) -> str:
        return self.expectations.article

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


def set_dirs(name: str) -> tuple[Path, Path]:
    """(articles folder, expectations folder) of a named set."""
    if name == "seeds":
        return seeds_dir(), _ROOT / "expectations"
    if name in SETS:
        base = _ROOT / "datasets" / name
        return base / "articles", base / "expectations"
    raise ValueError(f"unknown eval set {name!r}: choose one of {', '.join((*SETS, 'all'))}")


@cache
def load_set(name: str) -> tuple[Case, ...]:
    """Every case of a set (`all` = seeds + dev + test), sorted by file name within each set."""
    if name == "all":
        return tuple(c for n in SETS for c in load_set(n))
    articles, expectations = set_dirs(name)
    cases = []
    for path in sorted(expectations.glob("*.json")):
        exp = load_expectations(path)
        cases.append(Case(set=name, path=articles / exp.article, expectations=exp))
    return tuple(cases)


def _strings(exp: Expectations) -> Iterable[tuple[str, str]]:
    for kind in ("meetings", "statements", "demands"):
        for i, item in enumerate(getattr(exp, kind)):
            for ev in item.evidence:
                yield f"{kind}[{i}].evidence", ev
            quote = getattr(item, "quote", None)
            if quote:
                yield f"{kind}[{i}].quote", quote
    for i, neg in enumerate(exp.negatives):
        for ev in neg.evidence:
            yield f"negatives[{i}].evidence", ev


def verify_case(exp: Expectations, text: str) -> list[str]:
    """Problems with one expectations file against its article text (empty = fine)."""
    return [
        f"{where}: not verbatim in the article: {s!r}" for where, s in _strings(exp) if not s or s not in text
    ]


def check_folder(folder: Path) -> list[str]:
    """Check a set folder (`articles/` + `expectations/`) the way the tests do; returns the problems."""
    problems: list[str] = []
    exp_dir, art_dir = folder / "expectations", folder / "articles"
    seen: set[str] = set()
    for path in sorted(exp_dir.glob("*.json")):
        try:
            exp = load_expectations(path)
        except (ValidationError, json.JSONDecodeError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        seen.add(exp.article)
        article = art_dir / exp.article
        if path.stem != Path(exp.article).stem:
            problems.append(f"{path.name}: 'article' is {exp.article!r}, expected {path.stem}.txt")
        if not article.exists():
            problems.append(f"{path.name}: article file {article} is missing")
            continue
        problems += [f"{path.name}: {p}" for p in verify_case(exp, article.read_text(encoding="utf-8"))]
        if exp.source is None:
            problems.append(f"{path.name}: no 'source' (url, title, outlet, theatre, styles)")
    problems += [
        f"{p.name}: article without expectations" for p in sorted(art_dir.glob("*.txt")) if p.name not in seen
    ]
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "check":
        print("usage: python -m evals.datasets check FOLDER [FOLDER ...]", file=sys.stderr)
        return 2
    problems = [p for folder in argv[1:] for p in check_folder(Path(folder))]
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
