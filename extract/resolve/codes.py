"""CAMEO and PLOVER codes for grounded items, from ONE table (`CODE_TABLE`) and a few textual cues.

Coding is deterministic and runs after grounding, so the model never has to know a codebook: a meeting's
status picks the family (held → CONSULT 04x, planned → 036, proposed → 026/106, declined → 125), a demand's
wording picks its 10x subtype, a statement is 010.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from schemas import ArticleExtraction, Demand, EventCode, Meeting, Statement

__all__ = [
    "CODE_TABLE",
    "CodeRow",
    "code_demand",
    "code_extraction",
    "code_meeting",
    "code_statement",
    "row_for",
]


@dataclass(frozen=True)
class CodeRow:
    key: str  # our item kind and status/subtype, e.g. "meeting:held:phone"
    cameo: str
    label: str  # CAMEO manual label
    plover: str | None
    mode: str | None
    cue: str | None  # regex (case-insensitive) over the item's text that selects this row; None: the default


# Source: /work/shared/reference/EVENT_CODES.md, which follows the CAMEO manual 1.1b3 (labels from the manual,
# NOT from GDELT's lookup file, whose 10x labels are shifted) and PLOVER (openeventdata/PLOVER; REQUEST was
# DEMAND in older PLOVER files). Within one kind/status, rows are tried top to bottom; the first whose cue
# matches wins; the row without a cue is the default.
CODE_TABLE: tuple[CodeRow, ...] = (
    CodeRow(
        "meeting:held:phone",
        "041",
        "Discuss by telephone",
        "CONSULT",
        "phone",
        r"\b(?:(?:tele)?phon\w*|video ?(?:call|link|conference)|conference call|calls? (?:with|between)|"
        r"spoke by)\b",
    ),
    CodeRow("meeting:held:negotiate", "046", "Engage in negotiation", "CONSULT", None, r"\bnegotiat\w*"),
    CodeRow(
        "meeting:held:visit", "042", "Make a visit", "CONSULT", "visit", r"\b(?:visit\w*|trip|travel\w*)\b"
    ),
    CodeRow("meeting:held", "040", "Consult, not specified below", "CONSULT", None, None),
    CodeRow("meeting:planned", "036", "Express intent to meet or negotiate", "AGREE", None, None),
    CodeRow(
        "meeting:proposed:demand",
        "106",
        "Demand meeting, negotiation",
        "REQUEST",
        "meet",
        r"\b(?:demand\w*|insist\w*|must)\b",
    ),
    CodeRow("meeting:proposed", "026", "Appeal to others to meet or negotiate", "REQUEST", "meet", None),
    CodeRow(
        "meeting:declined", "125", "Reject proposal to meet, discuss, or negotiate", "REJECT", "meet", None
    ),
    CodeRow("statement", "010", "Make statement, not specified below", None, None, None),
    CodeRow(
        "demand:meet",
        "106",
        "Demand meeting, negotiation",
        "REQUEST",
        "meet",
        r"\b(?:meet\w*|talks|negotiat\w*|dialogue|summit|communication|channel)\b",
    ),
    CodeRow("demand:mediation", "108", "Demand mediation", "REQUEST", None, r"\bmediat\w*"),
    CodeRow(
        "demand:settle",
        "107",
        "Demand settling of dispute",
        "REQUEST",
        None,
        r"\b(?:peace (?:deal|agreement|settlement)|settle\w*|agreement (?:that )?end\w*|"
        r"end(?:ing)? the war)\b",
    ),
    CodeRow(
        "demand:yield",
        "105",
        "Demand that target yields",
        "REQUEST",
        "yield",
        r"\b(?:ease|lift\w*|sanctions|release\w*|withdraw\w*|ceasefire|cease-fire|de-?escalat\w*|stop\w*|"
        r"halt\w*|recogni[sz]\w*|surrender\w*|give up|concession\w*|cede\w*)\b",
    ),
    CodeRow(
        "demand:aid",
        "103",
        "Demand material aid",
        "REQUEST",
        "assist",
        r"\b(?:aid|weapons|arms|military assistance|humanitarian|funding|money|loans?|"
        r"air defen[cs]e|missiles?|"
        r"tanks|ammunition)\b",
    ),
    CodeRow(
        "demand:reform",
        "104",
        "Demand political reform",
        "REQUEST",
        "change",
        r"\b(?:reform\w*|elections?|democra\w*|human rights|rule of law)\b",
    ),
    CodeRow(
        "demand:material",
        "101",
        "Demand material cooperation",
        "REQUEST",
        "assist",
        r"\b(?:economic|trade|military) cooperation\b",
    ),
    CodeRow(
        "demand:diplomatic",
        "102",
        "Demand diplomatic cooperation (such as policy support)",
        "REQUEST",
        None,
        r"\b(?:support|respect\w*|cooperat\w*|guarantee\w*|take .{0,30}into account|interests)\b",
    ),
    CodeRow("demand", "100", "Make a demand, not specified below", "REQUEST", None, None),
)

_COMPILED = {row.key: re.compile(row.cue, re.IGNORECASE) for row in CODE_TABLE if row.cue}


@functools.cache
def _rows(kind: str) -> tuple[CodeRow, ...]:
    rows = tuple(r for r in CODE_TABLE if r.key == kind or r.key.startswith(kind + ":"))
    if not rows:
        raise KeyError(f"no code rows for {kind!r}")
    return rows


def row_for(kind: str, text: str) -> CodeRow:
    """The first row of `kind` ('meeting:held', 'statement', 'demand', …) whose cue matches `text`."""
    rows = _rows(kind)
    for row in rows:
        pattern = _COMPILED.get(row.key)
        if pattern is None or pattern.search(text):
            return row
    return rows[-1]


def _code(row: CodeRow) -> EventCode:
    return EventCode(cameo=row.cameo, plover=row.plover, mode=row.mode)


def code_meeting(m: Meeting) -> EventCode:
    # the meeting word and its nearby cues sit in the evidence; the topic may name the form ("phone call")
    text = " ".join([m.topic or "", *(e.text for e in m.evidence)])
    return _code(row_for(f"meeting:{m.status}", text))


def code_statement(s: Statement) -> EventCode:
    return _code(row_for("statement", s.summary or ""))


def code_demand(d: Demand) -> EventCode:
    # the paraphrase says what is demanded; the evidence is the fallback when the paraphrase is bare
    row = row_for("demand", d.demand)
    if row.key == "demand":
        row = row_for("demand", " ".join(e.text for e in d.evidence))
    return _code(row)


def code_extraction(result: ArticleExtraction) -> ArticleExtraction:
    """Every meeting, statement and demand with its `codes` set (items are copied, not mutated)."""
    return result.model_copy(
        update={
            "meetings": [m.model_copy(update={"codes": code_meeting(m)}) for m in result.meetings],
            "statements": [s.model_copy(update={"codes": code_statement(s)}) for s in result.statements],
            "demands": [d.model_copy(update={"codes": code_demand(d)}) for d in result.demands],
        }
    )
