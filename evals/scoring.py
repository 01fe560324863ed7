"""Scorers: small pure functions from (article, expectations, prediction) to numbers.

Matching is one-to-one per item type: a predicted item may pair with an expected one when their evidence
overlaps and their actors agree (rapidfuzz on canonical and surface names, last-name aware). Pairs are taken
greedily by score, best first. Predictions paired with `optional` expectations count neither way. Overlap
scoring, not exact spans: exact-span scoring understates LLM extraction (see shared/reference/PEERS.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from schemas import Actor, ArticleExtraction, Demand, Meeting, Statement

from .expectations import ExpActor, ExpDemand, Expectations, ExpMeeting, ExpStatement, Negative

__all__ = [
    "KINDS",
    "REPORTED",
    "STATUSES",
    "TYPES",
    "ArticleScore",
    "Counts",
    "actor_similarity",
    "combine",
    "evidence_overlap",
    "match_items",
    "score_article",
]

TYPES = ("meetings", "statements", "demands")  # the headline types; `statements` = direct quotes
REPORTED = "reported"  # reported speech (`direct: false`), scored apart from direct quotes
KINDS = (*TYPES, REPORTED)
STATUSES = ("held", "planned", "proposed", "declined")


def _names(a: Actor | ExpActor | str | None) -> list[str]:
    if a is None:
        return []
    if isinstance(a, str):
        return [a]
    return [n for n in (a.name, a.canonical) if n]


def _clean(name: str) -> str:
    name = re.sub(r"[’']s\b", "", name)
    return re.sub(r"\b(the|a|an|former|senior|current)\b", " ", name.lower()).strip()


def actor_similarity(pred: Actor | ExpActor | str | None, exp: Actor | ExpActor | str | None) -> float:
    """1.0 for the same person, 0 for clearly different ones; surnames and misspellings tolerated."""
    best = 0.0
    for p in _names(pred):
        for e in _names(exp):
            a, b = _clean(p), _clean(e)
            if not a or not b:
                continue
            score = fuzz.token_set_ratio(a, b) / 100
            la, lb = a.split()[-1], b.split()[-1]
            if len(la) >= 4 and len(lb) >= 4 and fuzz.ratio(la, lb) >= 80:
                score = max(score, 0.9)  # last-name aware: "Khalizada" ~ "Zalmay Khalilzad"
            best = max(best, score)
    return best


def _spans(text: str, needles: Iterable[str]) -> list[tuple[int, int]]:
    out = []
    for needle in needles:
        start = text.find(needle)
        while start >= 0:
            out.append((start, start + len(needle)))
            start = text.find(needle, start + 1)
    return out


def evidence_overlap(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> float:
    """Largest overlap between any two spans, relative to the shorter one (0..1)."""
    best = 0.0
    for s1, e1 in a:
        for s2, e2 in b:
            inter = min(e1, e2) - max(s1, s2)
            if inter > 0:
                best = max(best, inter / max(1, min(e1 - s1, e2 - s2)))
    return best


def _pred_spans(item: Meeting | Statement | Demand) -> list[tuple[int, int]]:
    return [(e.start, e.end) for e in item.evidence]


def _participants_score(pred: list[Actor], exp: Sequence[ExpActor | str]) -> float:
    if not exp:
        return 0.0
    hit = sum(1 for e in exp if any(actor_similarity(p, e) >= 0.8 for p in pred))
    return hit / len(exp)


def _actor_score(kind: str, pred: Any, exp: Any) -> float:
    if kind == "meetings":
        return _participants_score(pred.participants, exp.participants)
    if kind in ("statements", REPORTED):
        return actor_similarity(pred.speaker, exp.speaker)
    return actor_similarity(pred.by, exp.by)


def match_items(
    kind: str,
    text: str,
    preds: Sequence[Any],
    exps: Sequence[ExpMeeting | ExpStatement | ExpDemand],
    *,
    strict: bool = True,
) -> list[tuple[int, int, float]]:
    """One-to-one pairs (pred index, expected index, score): required expectations first, then optional
    ones, each greedy by score. `strict` pairs must agree on the actor (speaker, demander, a participant);
    loose pairs only share evidence, to measure the roles."""
    cands: list[tuple[float, bool, bool, int, int]] = []
    exp_spans = [_spans(text, e.evidence) for e in exps]
    for i, p in enumerate(preds):
        ps = _pred_spans(p)
        for j, e in enumerate(exps):
            ov = evidence_overlap(ps, exp_spans[j])
            if ov <= 0:
                continue
            actor = _actor_score(kind, p, e)
            threshold = 0.01 if kind == "meetings" else 0.8  # meetings: any participant in common
            if strict and actor < threshold:
                continue
            # on equal scores the one that agrees on the meeting's status wins ("were to meet in Moscow …, to
            # pave the way for a foreign ministers' meeting": two meetings of one sentence and the same
            # countries)
            agrees = bool(kind == "meetings" and getattr(p, "status", None) == getattr(e, "status", None))
            cands.append((0.5 * ov + 0.5 * actor, agrees, not e.optional, i, j))
    pairs: list[tuple[int, int, float]] = []
    used_p: set[int] = set()
    used_e: set[int] = set()
    # required expectations first: an optional one (a borderline item) takes only what no required one can
    # ("met with Erdogan on the sidelines of the summit": the meeting, and optionally the summit)
    for score, _agrees, _required, i, j in sorted(cands, key=lambda c: (c[2], c[0], c[1]), reverse=True):
        if i in used_p or j in used_e:
            continue
        used_p.add(i)
        used_e.add(j)
        pairs.append((i, j, score))
    return pairs


def _same_text(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return fuzz.ratio(_norm_text(a), _norm_text(b)) >= 90


def _norm_text(s: str) -> str:
    return re.sub(r"[^\w]+", " ", s.lower()).strip()


def _loc_ok(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return fuzz.partial_ratio(a.lower(), b.lower()) >= 80


def _fields(kind: str, p: Any, e: Any) -> dict[str, bool]:
    if kind == "meetings":
        return {
            "participants": _participants_score(p.participants, e.participants) == 1.0,
            "location": _loc_ok(p.location, e.location),
            "date": p.date == e.date,
            "status": p.status == e.status,
        }
    if kind == "statements":
        return {
            "speaker": actor_similarity(p.speaker, e.speaker) >= 0.8,
            "quote": _same_text(p.quote, e.quote),
        }
    if kind == REPORTED:
        return {"speaker": actor_similarity(p.speaker, e.speaker) >= 0.8}
    return {
        "demander": actor_similarity(p.by, e.by) >= 0.8,
        "target": (p.of is None and e.of is None)
        or (p.of is not None and e.of is not None and actor_similarity(p.of, e.of) >= 0.8),
    }


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    fields: dict[str, list[int]] = field(default_factory=dict)  # name -> [correct, total]
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)  # expected status -> predicted -> n

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if self.fn == 0 else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        for name, (ok, total) in other.fields.items():
            cur = self.fields.setdefault(name, [0, 0])
            cur[0] += ok
            cur[1] += total
        for want, row in other.confusion.items():
            mine = self.confusion.setdefault(want, {})
            for got, n in row.items():
                mine[got] = mine.get(got, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "fields": {
                k: {"correct": v[0], "total": v[1], "accuracy": round(v[0] / v[1], 4) if v[1] else None}
                for k, v in sorted(self.fields.items())
            },
            **({"confusion": self.confusion} if self.confusion else {}),
        }


@dataclass
class ArticleScore:
    article: str
    counts: dict[str, Counts]
    items: int = 0
    grounded: int = 0
    hallucinated_quotes: int = 0
    trap_hits: list[str] = field(default_factory=list)
    misses: dict[str, list[int]] = field(default_factory=dict)  # expected indexes not found
    false_positives: dict[str, list[int]] = field(default_factory=dict)  # predicted indexes unmatched
    pairs: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


def _hits_negative(kind: str, item: Any, neg: Negative, text: str) -> bool:
    if neg.type + "s" != kind and not (neg.type == "statement" and kind == REPORTED):
        return False
    if evidence_overlap(_pred_spans(item), _spans(text, neg.evidence)) <= 0:
        return False
    if kind == "meetings":
        if neg.participants and _participants_score(item.participants, neg.participants) < 0.5:
            return False
        return not neg.status_not or item.status in neg.status_not
    return True


def items_of(source: ArticleExtraction | Expectations, kind: str) -> list[Any]:
    """The items of one scored kind: statements split into direct quotes and reported speech."""
    if kind == "statements":
        return [s for s in source.statements if s.direct]
    if kind == REPORTED:
        return [s for s in source.statements if not s.direct]
    return list(getattr(source, kind))


def score_article(text: str, exp: Expectations, pred: ArticleExtraction) -> ArticleScore:
    """Score one article's prediction against its expectations."""
    result = ArticleScore(article=exp.article, counts={})
    for kind in KINDS:
        preds = items_of(pred, kind)
        exps = items_of(exp, kind)
        pairs = match_items(kind, text, preds, exps)
        counts = Counts()
        matched_p = {i for i, _, _ in pairs}
        matched_e = {j for _, j, _ in pairs}
        counts.tp = sum(1 for _, j, _ in pairs if not exps[j].optional)
        # roles and fields are measured on pairs that share evidence, whoever the actor: a quote given to
        # the wrong speaker counts as a miss and a false positive above, and as a wrong speaker here
        for i, j, _ in match_items(kind, text, preds, exps, strict=False):
            if exps[j].optional:
                continue
            for name, ok in _fields(kind, preds[i], exps[j]).items():
                cur = counts.fields.setdefault(name, [0, 0])
                cur[0] += int(ok)
                cur[1] += 1
            if kind == "meetings":
                row = counts.confusion.setdefault(exps[j].status, {})
                row[preds[i].status] = row.get(preds[i].status, 0) + 1
        fps = [i for i in range(len(preds)) if i not in matched_p]
        counts.fp = len(fps)
        misses = [j for j, e in enumerate(exps) if j not in matched_e and not e.optional]
        counts.fn = len(misses)
        result.counts[kind] = counts
        result.misses[kind] = misses
        result.false_positives[kind] = fps
        result.pairs[kind] = [(i, j) for i, j, _ in pairs]
        for i in fps:
            for neg in exp.negatives:
                if _hits_negative(kind, preds[i], neg, text):
                    result.trap_hits.append(f"{kind}[{i}]: {neg.why}")
                    break
        for item in preds:
            result.items += 1
            if all(
                0 <= e.start <= e.end <= len(text) and text[e.start : e.end] == e.text for e in item.evidence
            ):
                result.grounded += 1
            if kind in ("statements", REPORTED) and item.quote and item.quote not in text:
                result.hallucinated_quotes += 1
    return result


def combine(scores: Sequence[ArticleScore]) -> dict[str, Any]:
    """Per-type P/R/F1 with per-field accuracy, micro and macro totals, grounding, traps."""
    per_type = {k: Counts() for k in KINDS}
    for s in scores:
        for k in KINDS:
            per_type[k].add(s.counts[k])
    micro = Counts()
    for k in TYPES:
        c = per_type[k]
        micro.add(Counts(tp=c.tp, fp=c.fp, fn=c.fn))
    items = sum(s.items for s in scores)
    return {
        "per_type": {k: c.as_dict() for k, c in per_type.items()},
        "micro": {k: v for k, v in micro.as_dict().items() if k != "fields"},
        "macro_f1": round(sum(per_type[k].f1 for k in TYPES) / len(TYPES), 4),
        "items": items,
        "grounded_rate": round(sum(s.grounded for s in scores) / items, 4) if items else 1.0,
        "hallucinated_quotes": sum(s.hallucinated_quotes for s in scores),
        "trap_hits": sum(len(s.trap_hits) for s in scores),
        "articles": len(scores),
    }
