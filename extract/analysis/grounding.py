"""Grounding: find a claimed span in the article and return it with offsets into the original text.

Exact match first; then a match that ignores differences in whitespace, quote marks, apostrophes and dashes,
mapped back to the original characters. Nothing fuzzier: a quote that is not in the text is not grounded.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemas import Evidence

__all__ = ["locate", "normalize_with_map", "verify"]

_FOLD = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‟": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "`": "'",
        "´": "'",
        "–": "-",
        "—": "-",
        "‑": "-",
        "−": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "…": ".",
    }
)


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Fold quote marks/dashes, collapse whitespace runs; return the folded text and, per folded char,
    the index of the original character it came from."""
    out: list[str] = []
    index: list[int] = []
    prev_space = True
    for i, ch in enumerate(text):
        folded = ch.translate(_FOLD)
        if folded.isspace():
            if prev_space:
                continue
            out.append(" ")
            index.append(i)
            prev_space = True
            continue
        out.append(folded)
        index.append(i)
        prev_space = False
    if out and out[-1] == " ":
        out.pop()
        index.pop()
    return "".join(out), index


def locate(claim: str, article: str, *, near: int = 0) -> Evidence | None:
    """The span of `article` that `claim` quotes, or None. Prefers the occurrence at or after `near`."""
    claim = claim.strip()
    if not claim:
        return None
    start = article.find(claim, near)
    if start < 0:
        start = article.find(claim)
    if start >= 0:
        return Evidence(text=claim, start=start, end=start + len(claim))
    folded_article, index = normalize_with_map(article)
    folded_claim, _ = normalize_with_map(claim)
    strip = " \"'"
    folded_claim = folded_claim.strip(strip)
    if not folded_claim:
        return None
    hit = folded_article.find(folded_claim)
    if hit < 0:
        return None
    start = index[hit]
    end = index[hit + len(folded_claim) - 1] + 1
    return Evidence(text=article[start:end], start=start, end=end)


def verify(evidence: Iterable[Evidence], article: str) -> bool:
    """True when every span's offsets select exactly its text."""
    return all(
        0 <= ev.start <= ev.end <= len(article) and article[ev.start : ev.end] == ev.text for ev in evidence
    )
