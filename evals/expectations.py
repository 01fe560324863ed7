"""Hand-written expectations for the seed articles (see EXPECTATIONS.md), as validated data."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ExpActor",
    "ExpDemand",
    "ExpMeeting",
    "ExpStatement",
    "Expectations",
    "Negative",
    "load_all",
    "load_expectations",
    "seeds_dir",
]


class _Exp(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExpActor(_Exp):
    name: str
    canonical: str | None = None
    role: str | None = None
    country: str | None = None


class _Item(_Exp):
    evidence: list[str] = Field(min_length=1, description="Alternative verbatim substrings of the article.")
    optional: bool = False


class ExpMeeting(_Item):
    participants: list[ExpActor] = Field(min_length=1)
    location: str | None = None
    date: str | None = None
    date_text: str | None = None
    status: Literal["held", "planned", "proposed", "declined"]
    topic: str | None = None


class ExpStatement(_Item):
    speaker: ExpActor
    quote: str | None = None
    direct: bool
    summary: str | None = None


class ExpDemand(_Item):
    by: ExpActor
    of: ExpActor | None = None
    demand: str


class Negative(_Exp):
    type: Literal["meeting", "statement", "demand"]
    participants: list[str] = Field(default_factory=list)
    status_not: list[str] = Field(default_factory=list)
    why: str
    evidence: list[str] = Field(min_length=1)


Theatre = Literal[
    "gulf_iran",
    "israel_gaza_lebanon",
    "south_asia",
    "korea_japan",
    "china_us",
    "china_neighbours",
    "africa",
    "latin_america",
    "balkans",
    "caucasus",
    "eu_uk",
    "central_asia",
    "multilateral",
    "russia_ukraine",
    "us_russia",
    "other",
]
Style = Literal[
    "wire", "readout", "press_release", "transcript", "live_blog", "news", "analysis", "non_native"
]
Phenomenon = Literal[
    "phone_call",
    "summons",
    "declined_meeting",
    "proposed_meeting",
    "multilateral_summit",
    "institution_actor",
    "nominal_demand",
    "condition",
    "split_quote",
    "coreference",
    "according_to",
    "scare_quotes",
    "institution_quote",
    "name_particles",
]


class Source(_Exp):
    """Where a dev/test article comes from, so anyone can check the text against the original."""

    url: str
    title: str
    outlet: str
    theatre: Theatre
    styles: list[Style] = Field(min_length=1)
    licence: str | None = None
    repo: str | None = Field(default=None, description="GitHub owner/name holding the full copy, if any.")
    path: str | None = None
    commit: str | None = None


class Expectations(_Exp):
    article: str
    published: str | None = None
    notes: str | None = None
    source: Source | None = None
    phenomena: list[Phenomenon] = Field(default_factory=list)
    meetings: list[ExpMeeting] = Field(default_factory=list)
    statements: list[ExpStatement] = Field(default_factory=list)
    demands: list[ExpDemand] = Field(default_factory=list)
    negatives: list[Negative] = Field(default_factory=list)


def _expectations_dir() -> Path:
    return Path(str(resources.files(__package__ or "evals") / "expectations"))


def seeds_dir() -> Path:
    """The repository's `seeds/` folder (the eval articles live next to the package folders)."""
    return Path(__file__).resolve().parent.parent / "seeds"


def load_expectations(path: Path) -> Expectations:
    return Expectations.model_validate(json.loads(path.read_text(encoding="utf-8")))


@cache
def load_all() -> tuple[Expectations, ...]:
    return tuple(load_expectations(p) for p in sorted(_expectations_dir().glob("*.json")))
