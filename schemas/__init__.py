"""What we extract: the output contract relied on by evals and batch tools.

Pydantic models only; nothing here imports from `extract/`. Every field carries a description because the
descriptions are rendered into the prompts the model sees.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "SCHEMA_FILE",
    "Actor",
    "ActorKind",
    "ArticleExtraction",
    "Demand",
    "EventCode",
    "Evidence",
    "Meeting",
    "MeetingStatus",
    "Meta",
    "Rejected",
    "Statement",
    "Usage",
    "export_json_schema",
    "schema_hash",
]

SCHEMA_FILE = Path(__file__).with_name("article_extraction.schema.json")

MeetingStatus = Literal["held", "planned", "proposed", "declined"]
ActorKind = Literal["person", "country", "organization", "group"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Model):
    """A verbatim span of the article; `article[start:end] == text` holds for every returned item."""

    text: str = Field(description="Verbatim text copied from the article, character for character.")
    start: int = Field(ge=0, description="Offset of the first character of `text` in the article.")
    end: int = Field(ge=0, description="Offset just past the last character of `text` in the article.")


class EventCode(_Model):
    """Codes for downstream event tools: CAMEO (manual 1.1b3) and PLOVER; filled by code, not by the model."""

    cameo: str = Field(description="CAMEO event code, e.g. '040' (consult) or '125' (reject meeting).")
    plover: str | None = Field(default=None, description="PLOVER event type, e.g. 'CONSULT'; null if none.")
    mode: str | None = Field(default=None, description="PLOVER mode, e.g. 'phone' or 'meet'; null if none.")


class Actor(_Model):
    """A person, office, group or state taking part in an event."""

    name: str = Field(description="The actor as written in the article, e.g. 'Khalizad' or 'Antov'.")
    canonical: str | None = Field(
        default=None,
        description="Best full name, e.g. 'Zalmay Khalilzad' for 'Zamai Khalizad'; null if unknown.",
    )
    role: str | None = Field(default=None, description="Title or role, e.g. 'foreign minister'.")
    country: str | None = Field(default=None, description="Country the actor represents, e.g. 'Russia'.")
    kind: ActorKind | None = Field(
        default=None,
        description="person, country, organization or group: a country or institution stands in as an actor "
        "only when no person on its side is named.",
    )


class Meeting(_Model):
    """A meeting, talk, call or visit between actors, whether it happened or not."""

    participants: list[Actor] = Field(description="Who met, or would meet, whom.")
    location: str | None = Field(default=None, description="Where, as written (city, venue or country).")
    date: str | None = Field(
        default=None,
        description="ISO date YYYY-MM-DD or month YYYY-MM, only when the text and publication date fix it.",
    )
    date_text: str | None = Field(
        default=None, description="The date as written, e.g. 'in April', 'Thursday'."
    )
    status: MeetingStatus = Field(
        description="held: it took place; planned: agreed or scheduled; proposed: someone wants or "
        "offers it; declined: refused, blocked or cancelled."
    )
    topic: str | None = Field(default=None, description="What the meeting was about, in a few words.")
    evidence: list[Evidence] = Field(min_length=1, description="Spans of the article that report it.")
    codes: EventCode | None = Field(default=None, description="CAMEO/PLOVER codes, set after grounding.")


class Statement(_Model):
    """Something an actor said, quoted directly or reported."""

    speaker: Actor = Field(description="Who said it.")
    quote: str | None = Field(
        default=None, description="The verbatim quoted words, or null for reported speech without quotes."
    )
    summary: str | None = Field(default=None, description="What was said, in a short sentence.")
    direct: bool = Field(description="True when the words are quoted directly; false for reported speech.")
    evidence: list[Evidence] = Field(min_length=1, description="Spans of the article that report it.")
    codes: EventCode | None = Field(default=None, description="CAMEO/PLOVER codes, set after grounding.")


class Demand(_Model):
    """A demand, requirement or condition one party sets for another."""

    by: Actor = Field(description="Who demands.")
    of: Actor | None = Field(default=None, description="Of whom it is demanded; null when nobody is named.")
    demand: str = Field(description="What is demanded, as a short paraphrase.")
    evidence: list[Evidence] = Field(min_length=1, description="Spans of the article that report it.")
    codes: EventCode | None = Field(default=None, description="CAMEO/PLOVER codes, set after grounding.")


class Rejected(_Model):
    """An item the model proposed that was not returned as a fact, and why."""

    kind: Literal["meeting", "statement", "demand"] = Field(description="Which type of item it was.")
    reason: str = Field(description="Why it was dropped, e.g. 'evidence not found in the article'.")
    item: dict[str, Any] = Field(description="The item as the model proposed it.")


class Usage(_Model):
    """Token usage and attempts, summed over every call made for one article (retries included)."""

    prompt_tokens: int = Field(default=0, description="Prompt tokens over all calls.")
    completion_tokens: int = Field(default=0, description="Completion tokens over all calls.")
    calls: int = Field(default=0, description="Model calls that returned a response.")
    cache_hits: int = Field(default=0, description="Answers served from the cache instead of the model.")
    transport_retries: int = Field(default=0, description="Retries after 429/5xx/timeouts/connection errors.")
    validation_retries: int = Field(default=0, description="Re-asks after invalid or ungrounded output.")


class Meta(_Model):
    """How an extraction was produced."""

    model: str = Field(description="Model name sent to the server.")
    base_url_host: str = Field(description="Host of the model server (never the key or full URL).")
    strategy: str = Field(description="Extraction strategy, e.g. 'evidence-first'.")
    mode: str = Field(description="instructor mode used, e.g. 'tools'.")
    prompt_version: str = Field(description="Version of the prompt set.")
    prompt_hash: str = Field(description="Hash of the prompt files used.")
    schema_hash: str = Field(description="Hash of the output JSON Schema.")
    usage: Usage = Field(default_factory=Usage, description="Tokens and attempts.")
    cached: bool = Field(default=False, description="True when the result came from the cache.")
    elapsed_s: float = Field(default=0.0, description="Wall-clock seconds for this call.")

    @classmethod
    def unknown(cls) -> Meta:
        """Provenance of an output stored without any (e.g. a failed article scored as an empty one)."""
        return cls(
            model="-",
            base_url_host="-",
            strategy="-",
            mode="-",
            prompt_version="-",
            prompt_hash="-",
            schema_hash="-",
        )


class ArticleExtraction(_Model):
    """Everything extracted from one article, with what was dropped and how it was made."""

    meetings: list[Meeting] = Field(default_factory=list, description="Meetings found in the article.")
    statements: list[Statement] = Field(default_factory=list, description="Statements found in the article.")
    demands: list[Demand] = Field(default_factory=list, description="Demands found in the article.")
    rejected: list[Rejected] = Field(default_factory=list, description="Items dropped, with the reason.")
    meta: Meta = Field(description="Model, prompts, schema, usage and timing.")


def export_json_schema() -> str:
    """The JSON Schema of `ArticleExtraction`, as checked in next to this file."""
    return json.dumps(ArticleExtraction.model_json_schema(), indent=2, sort_keys=True) + "\n"


@functools.cache
def schema_hash() -> str:
    return hashlib.sha256(export_json_schema().encode()).hexdigest()[:12]
