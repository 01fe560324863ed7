"""Actor mentions in one article, found without a model, and resolved within the article.

Person names are runs of capitalised words that are not titles, places or organisations; a surname-only or
misspelled mention ("Khalizada", "Antov") resolves to the full name it resembles (rapidfuzz); a role phrase
set in apposition to a name ("Russia's ambassador to the United States, Anatoly Antonov") resolves to that
person wherever the role is used alone later.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from importlib import resources

from rapidfuzz import fuzz

from schemas import Actor

__all__ = ["Cast", "Mention", "find_cast"]

_NOT_NAME = {
    w.strip()
    for w in (resources.files("extract") / "data" / "not_names.txt").read_text(encoding="utf-8").splitlines()
    if w.strip() and not w.startswith("#")
}
# People often named by surname only; kept out of _NOT_NAME's role list on purpose.
_SURNAME_PEOPLE: set[str] = set()

_NAME_TOKEN = r"[A-Z][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)?"
_RUN = re.compile(rf"\b{_NAME_TOKEN}(?:[ \t]+{_NAME_TOKEN}){{0,5}}\b")

_ROLE = re.compile(
    r"\b(?:(?i:the|a)\s+)?(?:(?i:former|senior|top|outgoing|current|acting|deputy|chief)\s+)*"
    r"(?:(?:[A-Z][a-z]+(?:'s|’s)?|US|U\.S\.|UN|EU|White House|State Department|Kremlin)\s+){0,3}"
    r"(?:(?i:national security|foreign|defen[cs]e|diplomatic|foreign ministry)\s+)?"
    r"(?i:ambassador|diplomat|diplomats|spokesman|spokeswoman|spokesperson|officials?|minister|envoy|"
    r"senators|representatives|advisers|advisors|president|secretary|administration|authorities|"
    r"leaders?|delegation|government)\b"
)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    key: str  # the resolved person/group this mention refers to
    kind: str  # "person" | "role" | "pronoun"


@dataclass
class Cast:
    """The people and groups of one article, with every mention resolved to a key (the fullest name)."""

    mentions: list[Mention] = field(default_factory=list)
    people: dict[str, Actor] = field(default_factory=dict)
    text: str = ""
    _starts: list[int] = field(default_factory=list, repr=False)

    def actor(self, key: str, surface: str | None = None) -> Actor:
        base = self.people.get(key)
        if base is None:
            return Actor(name=surface or key, canonical=key)
        return base.model_copy(update={"name": surface or base.name})

    def index(self) -> None:
        """Sort mentions and index their starts; call after the mention list changes."""
        self.mentions.sort(key=lambda m: m.start)
        self._starts = [m.start for m in self.mentions]

    def in_span(self, start: int, end: int) -> list[Mention]:
        lo = bisect_left(self._starts, start)
        hi = bisect_left(self._starts, end)
        return [m for m in self.mentions[lo:hi] if m.end <= end]

    def before(
        self, pos: int, *, kinds: tuple[str, ...] = ("person", "role"), limit: int = 50
    ) -> list[Mention]:
        """Up to `limit` mentions ending before `pos`, nearest first."""
        hi = bisect_left(self._starts, pos)
        found = [
            m
            for m in reversed(self.mentions[max(0, hi - limit - 5) : hi])
            if m.end <= pos and m.kind in kinds
        ]
        return sorted(found, key=lambda m: -m.end)[:limit]


def _is_name_run(words: list[str]) -> bool:
    return bool(words) and all(w not in _NOT_NAME or w in _SURNAME_PEOPLE for w in words)


def _same_person(a: str, b: str) -> bool:
    """Surname equality or close spelling ('Khalizada' ~ 'Khalizad', 'Antov' ~ 'Antonov')."""
    la, lb = a.split()[-1], b.split()[-1]
    if la == lb:
        return True
    if min(len(la), len(lb)) < 4 or la[0] != lb[0]:
        return False
    return fuzz.ratio(la, lb) >= 80


def find_cast(text: str, *, skip: list[tuple[int, int]] | None = None) -> Cast:
    """Find and resolve every person and role mention of `text` outside the `skip` spans."""
    skip = skip or []
    runs: list[tuple[int, int, list[str]]] = []
    for m in _RUN.finditer(text):
        words = m.group(0).split()
        # trim non-name words at either end ("President Vladimir Putin" -> "Vladimir Putin")
        lo, hi = 0, len(words)
        while lo < hi and words[lo] in _NOT_NAME and words[lo] not in _SURNAME_PEOPLE:
            lo += 1
        while hi > lo and words[hi - 1] in _NOT_NAME and words[hi - 1] not in _SURNAME_PEOPLE:
            hi -= 1
        words = words[lo:hi]
        if not _is_name_run(words):
            continue
        start = m.start() + len(" ".join(m.group(0).split()[:lo])) + (1 if lo else 0)
        start = text.find(words[0], start)
        end = start + len(" ".join(words))
        if text[start:end] != " ".join(words) or any(a <= start < b for a, b in skip):
            continue
        # a single capitalised word opening a sentence is only a name if it recurs elsewhere as a name
        runs.append((start, end, words))

    headline = _title_case_lines(text)
    found = [w for s, _, w in runs if not any(a <= s < b for a, b in headline)]
    full = [" ".join(w) for w in found if len(w) >= 2]
    singles = {w[0] for w in found if len(w) == 1}
    cast = Cast(text=text)
    for name in full:
        if not any(_same_full_name(name, k) for k in cast.people):
            cast.people[name] = Actor(name=name, canonical=name)
    for word in sorted(singles):
        if any(_same_person(word, k) for k in cast.people):
            continue
        if word in _SURNAME_PEOPLE or _speaks_or_meets(text, word) or _recurs_mid_sentence(text, word):
            cast.people[word] = Actor(name=word, canonical=word)

    for start, end, words in runs:
        surface = " ".join(words)
        key = _resolve(surface, cast, start)
        if key:
            cast.mentions.append(Mention(start, end, surface, key, "person"))
    cast.index()
    _add_roles(text, cast, skip)
    cast.index()
    return cast


def _title_case_lines(text: str) -> list[tuple[int, int]]:
    """Headlines In Title Case: capitalised words there say nothing about names."""
    spans, pos = [], 0
    for line in text.splitlines(keepends=True):
        words = re.findall(r"[A-Za-z][\w’']*", line)
        long_words = [w for w in words if len(w) > 3]
        ends_like_prose = line.rstrip().endswith((".", "?", "!", "”", '"'))
        if (
            not ends_like_prose
            and len(long_words) >= 4
            and sum(w[0].isupper() for w in long_words) >= 0.8 * len(long_words)
        ):
            spans.append((pos, pos + len(line)))
        pos += len(line)
    return spans


def _same_full_name(a: str, b: str) -> bool:
    """Two full names are one person only when surnames and first names agree ('Sergei'/'Sergey' do;
    'Thomas Graham' and 'Lindsey Graham' do not)."""
    if not _same_person(a, b):
        return False
    fa, fb = a.split()[0], b.split()[0]
    return fa[0] == fb[0] and (fuzz.ratio(fa, fb) >= 75 or fa.rstrip(".") == fb[0] or fb.rstrip(".") == fa[0])


def _resolve(surface: str, cast: Cast, pos: int = 0) -> str | None:
    if surface in cast.people:
        return surface
    if len(surface.split()) >= 2:
        full = [k for k in cast.people if _same_full_name(surface, k)]
        if full:
            return full[0]
    matches = [k for k in cast.people if _same_person(surface, k)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        # several people share the surname: the one named most recently before this mention
        named = [m for m in cast.mentions if m.key in matches and m.start < pos and len(m.text.split()) >= 2]
        if named:
            return max(named, key=lambda m: m.start).key
        return max(matches, key=lambda k: fuzz.ratio(surface.split()[-1], k.split()[-1]))
    return None


_VERB_AFTER = re.compile(
    r"^\s+(?:also\s+|later\s+|then\s+)?(?:said|says|told|asked|added|stated|insisted|emphasized|stressed|"
    r"complained|described|decried|noted|met|meets|had|wants|seeks|hopes|laments|warned|urged|spoke|"
    r"dismissed|acknowledged|reiterated|commented|argued|explained|claimed|visited|called|demanded|demands|"
    r"urged|insisted|rejected|proposed|declined)\b"
)


def _recurs_mid_sentence(text: str, word: str) -> bool:
    """A capitalised word used twice inside sentences (not as their first word) is a name."""
    hits = 0
    for m in re.finditer(rf"(?<=[a-z,] ){re.escape(word)}\b", text):
        if not re.search(
            r"\b(in|at|from|to|of|near|into|across|outside)\s+$", text[max(0, m.start() - 10) : m.start()]
        ):
            hits += 1  # "in Marova" twice makes a place, not a person
    return hits >= 2


def _speaks_or_meets(text: str, word: str) -> bool:
    for m in re.finditer(rf"\b{re.escape(word)}\b", text):
        if _VERB_AFTER.match(text[m.end() : m.end() + 40]):
            return True
        if re.search(r"\b(?:said|says|laments|added|told)\s+$", text[max(0, m.start() - 20) : m.start()]):
            return True
    return False


def _add_roles(text: str, cast: Cast, skip: list[tuple[int, int]]) -> None:
    """Role phrases; in apposition to a person they resolve to that person, later uses too."""
    ends = sorted((m.end, i) for i, m in enumerate(cast.mentions))
    end_keys = [e for e, _ in ends]
    covered = [(m.start, m.end) for m in cast.mentions]
    aliases: dict[str, str] = {}
    roles: list[tuple[int, int, str]] = []
    for m in _ROLE.finditer(text):
        if any(a <= m.start() < b for a, b in skip):
            continue
        phrase = m.group(0)
        start, end = m.start(), m.end()
        if phrase.split()[0].lower() in {"the", "a"}:
            start += len(phrase.split()[0]) + 1
            phrase = text[start:end]
        if not any(ch.isalpha() for ch in phrase):
            continue
        roles.append((start, end, phrase))
        # "ROLE (to the X), NAME" or "ROLE NAME" or "NAME, the ROLE"
        nxt = None
        for cand in cast.in_span(end, end + 120):
            if cand.start <= end + 60 and re.fullmatch(
                r"(?:\s+(?:to|of|in|at)\s+(?:the\s+)?[A-Z][\w.]*(?:\s+[A-Z][\w.]*)*)?,?\s+",
                text[end : cand.start],
            ):
                nxt = cand
                break
        prev = None
        i = bisect_left(end_keys, start - 8)
        for e, idx in ends[i : bisect_left(end_keys, start + 1)]:
            if re.fullmatch(r",\s+(?:the\s+)?", text[e:start]):
                prev = cast.mentions[idx]
        target = nxt or prev
        if target is not None:
            aliases[_role_key(phrase)] = target.key
    for start, end, phrase in roles:
        key = aliases.get(_role_key(phrase))
        if key is None and _role_key(phrase) in {"ambas", "minis", "diplo", "spoke", "presi", "secre"}:
            continue  # a bare role with no named holder says too little
        j = bisect_left(covered, (start + 1,))
        if j and covered[j - 1][0] <= start < covered[j - 1][1]:
            continue
        cast.mentions.append(Mention(start, end, phrase, key or phrase, "person" if key else "role"))


def _role_key(phrase: str) -> str:
    """'Russia's ambassador' and 'the Russian ambassador' share a key: the last two word stems."""
    words = [w.lower().replace("’s", "").replace("'s", "") for w in phrase.split()]
    words = [w[:5] for w in words if w not in {"the", "a", "former", "senior", "current", "top"}]
    return " ".join(words[-2:])
