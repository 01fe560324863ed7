"""An offline gazetteer of frequent actors (shipped as extract/data/gazetteer.json, extendable by the user).

A name matches an entry by exact alias, by close spelling of a full name ("Zamai Khalizad" → Zalmay
Khalilzad: surname ≥ 85 and given name ≥ 70, rapidfuzz ratio), or by surname alone when one entry has that
surname. Two candidates or more is `ambiguous`: nothing is merged, the caller reports it. Fuzzy single words
("Antov") and role phrases ("the Russian ambassador") match only entries already named in the same article.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from rapidfuzz import fuzz

from ..errors import ConfigError

__all__ = ["NAME_PARTICLES", "Entry", "GazMatch", "Gazetteer", "load_gazetteer", "normalize_name"]

How = Literal["alias", "fuzzy", "surname", "role", "ambiguous", "none"]

_TITLES = re.compile(
    r"^(?:(?:the|mr|mrs|ms|dr|sir|president|vice|prime|foreign|minister|secretary|of|state|ambassador|envoy|"
    r"senator|sen|rep|chancellor|general|gen|former|us|u\.s\.|russian|ukrainian|chinese|american|spokesman|"
    r"spokeswoman|spokesperson)\s+)+(?=[a-z])"
)
_INSTITUTION = {
    "ministry",
    "department",
    "council",
    "house",
    "embassy",
    "administration",
    "officials",
    "authorities",
    "government",
    "office",
    "diplomacy",
    "federation",
    "union",
    "kingdom",
    "states",
    "nations",
    "delegation",
}
# demonyms that do not extend their country's name ('French', not 'Franc…'); the rest are found by prefix
_DEMONYMS = {
    "british": "United Kingdom",
    "french": "France",
    "dutch": "Netherlands",
    "swiss": "Switzerland",
    "spanish": "Spain",
    "irish": "Ireland",
    "polish": "Poland",
    "danish": "Denmark",
    "swedish": "Sweden",
    "finnish": "Finland",
    "saudi": "Saudi Arabia",
    "emirati": "United Arab Emirates",
    "afghan": "Afghanistan",
    "thai": "Thailand",
    "kazakh": "Kazakhstan",
    "uzbek": "Uzbekistan",
    "tajik": "Tajikistan",
    "turkmen": "Turkmenistan",
    "kyrgyz": "Kyrgyzstan",
    "filipino": "Philippines",
    "philippine": "Philippines",
    "czech": "Czech Republic",
    "turkish": "Turkey",
    "bosnian": "Bosnia and Herzegovina",
    "macedonian": "North Macedonia",
    "dprk": "North Korea",
    "north korean": "North Korea",
    "south korean": "South Korea",
    "lao": "Laos",
    "burmese": "Myanmar",
}

_COUNTRY_WORDS = {
    "russia": "Russia",
    "russian": "Russia",
    "moscow": "Russia",
    "kremlin": "Russia",
    "us": "United States",
    "u.s.": "United States",
    "american": "United States",
    "america": "United States",
    "united states": "United States",
    "washington": "United States",
    "white house": "United States",
    "ukraine": "Ukraine",
    "ukrainian": "Ukraine",
    "kyiv": "Ukraine",
    "china": "China",
    "chinese": "China",
    "beijing": "China",
    "eu": "European Union",
    "european": "European Union",
    "nato": "NATO",
}
# role words in a phrase -> words that must appear in the entry's role
_ROLE_WORDS = {  # most specific first
    "spokes": ("spokes",),
    "foreign minister": ("foreign minister",),
    "secretary of state": ("secretary of state",),
    "prime minister": ("prime minister", "premier"),
    "ambassador": ("ambassador",),
    "envoy": ("envoy",),
    "chancellor": ("chancellor",),
    "president": ("president",),
    "diplomat": ("ambassador", "foreign minister", "envoy"),
}


@functools.lru_cache(maxsize=65536)
def normalize_name(name: str) -> str:
    """Lowercase, no accents, no possessive, no leading titles: the form aliases are compared in."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("’", "'")
    text = re.sub(r"'s\b", "", text.lower())
    text = re.sub(r"[^\w.' -]+", " ", text)
    text = " ".join(text.split())
    stripped = _TITLES.sub("", text)
    # strip titles only in front of a personal name, never inside an institution's name
    if not stripped or set(stripped.split()) & _INSTITUTION:
        return text
    return stripped


@dataclass(frozen=True)
class Entry:
    id: str
    canonical: str
    aliases: tuple[str, ...] = ()
    role: str | None = None
    country: str | None = None
    qid: str | None = None
    kind: str = "person"
    capital: str | None = None  # a country's capital, which stands for its government ('Seoul urged …')

    @property
    def names(self) -> tuple[str, ...]:
        return (self.canonical, *self.aliases)


@dataclass(frozen=True)
class GazMatch:
    entry: Entry | None
    how: How
    candidates: tuple[str, ...] = ()  # entry ids, when ambiguous


# surnames too common to name one person on their own ('Kim' is not Sung Kim, 'Lee' not Lee Jae-myung): the
# article's own full name resolves them, the gazetteer's surname index does not
_COMMON_SURNAMES = frozenset(
    [
        "kim",
        "lee",
        "park",
        "choi",
        "jung",
        "kang",
        "cho",
        "yoon",
        "jang",
        "lim",
        "han",
        "wang",
        "li",
        "zhang",
        "liu",
        "chen",
        "yang",
        "zhao",
        "huang",
        "zhou",
        "wu",
        "xu",
        "sun",
        "ma",
        "hu",
        "zhu",
        "guo",
        "lin",
        "nguyen",
        "tran",
        "le",
        "pham",
        "khan",
        "singh",
        "kumar",
        "shah",
        "ali",
        "ahmed",
        "ahmad",
        "mohamed",
        "mohammed",
        "muhammad",
        "hussein",
        "hassan",
        "smith",
        "johnson",
        "brown",
        "jones",
        "williams",
        "miller",
        "davis",
        "wilson",
        "taylor",
        "thomas",
        "moore",
        "white",
        "martin",
        "garcia",
        "rodriguez",
        "lopez",
        "gonzalez",
        "hernandez",
        "perez",
        "sanchez",
        "silva",
        "santos",
    ]
)
# the small words inside names ("Ursula von der Leyen", "Lula da Silva", "Mohammed bin Salman")
NAME_PARTICLES = frozenset(
    {
        "von",
        "van",
        "der",
        "den",
        "de",
        "da",
        "das",
        "dos",
        "du",
        "la",
        "le",
        "bin",
        "ibn",
        "al",
        "el",
    }
)


@dataclass
class Gazetteer:
    entries: dict[str, Entry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._alias: dict[str, set[str]] = {}
        self._surname: dict[str, set[str]] = {}
        # people by the first letter of each of their surnames: fuzzy matching compares within one letter
        self._by_initial: dict[str, list[Entry]] = {}
        self._particle_tails: dict[str, set[str]] = {}  # "von der leyen", "bin salman", "al thani"
        for e in self.entries.values():
            for n in e.names:
                self._alias.setdefault(normalize_name(n), set()).add(e.id)
                words = normalize_name(n).split()
                if e.kind == "person":
                    # from the first particle on only ("de la Fuente", not "la Fuente"), never a common surname
                    first = next((i for i in range(1, len(words) - 1) if words[i] in NAME_PARTICLES), None)
                    if first is not None and words[-1] not in _COMMON_SURNAMES:
                        self._particle_tails.setdefault(" ".join(words[first:]), set()).add(e.id)
                if e.kind == "person" and len(words) >= 2:
                    self._surname.setdefault(words[-1], set()).add(e.id)
                    bucket = self._by_initial.setdefault(words[-1][:1], [])
                    if e not in bucket:
                        bucket.append(e)
        # a capital names its country's government ('Seoul urged Pyongyang …'), unless the name is already
        # another entry's ('Brussels' is the European Union's)
        for e in self.entries.values():
            if e.capital and normalize_name(e.capital) not in self._alias:
                self._alias[normalize_name(e.capital)] = {e.id}

    def is_particle_surname(self, name: str) -> bool:
        """'von der Leyen', 'bin Salman': the end of a known person's name, from a particle on."""
        return normalize_name(name) in self._particle_tails

    def by_particle_surname(self, name: str) -> Entry | None:
        """The one known person whose name ends with this particle-led surname ('bin Salman')."""
        ids = self._particle_tails.get(normalize_name(name), set())
        return self.entries[next(iter(ids))] if len(ids) == 1 else None

    def get(self, entry_id: str) -> Entry:
        return self.entries[entry_id]

    def exact(self, name: str) -> Entry | None:
        """The one entry whose canonical name or alias is exactly `name` (accents, case and a leading
        'the' aside); None when no entry or several have it."""
        key = normalize_name(name)
        if key.startswith("the "):
            key = key[4:]
        ids = self._alias.get(key)
        if ids and len(ids) == 1:
            return self.entries[next(iter(ids))]
        return None

    def match(self, name: str, *, present: Iterable[str] = ()) -> GazMatch:
        """The entry `name` denotes; `present`: entry ids named in the same article (context for fuzzy)."""
        key = normalize_name(name)
        if not key:
            return GazMatch(None, "none")
        ids = self._alias.get(key, set())
        if ids:
            return self._one(ids, "alias")
        words = key.split()
        if len(words) == 1:
            ids = self._surname.get(key, set()) if key not in _COMMON_SURNAMES else set()
            if ids:
                return self._one(ids, "surname")
            near = {
                i
                for i in present
                if self.entries[i].kind == "person" and _close_surname(key, self.entries[i])
            }
            return self._one(near, "fuzzy") if near else GazMatch(None, "none")
        if not all(w[:1].isalpha() for w in words) or len(words) > 4:
            return GazMatch(None, "none")
        near = {e.id for e in self._by_initial.get(words[-1][:1], ()) if _close_full(words, e)}
        return self._one(near, "fuzzy") if near else GazMatch(None, "none")

    def country_of(self, word: str) -> Entry | None:
        """The country an adjective or demonym names ('Iranian' → Iran, 'British' → United Kingdom): a name
        or alias itself, an irregular form, else the one country whose name the word extends (all but the
        name's last two letters shared: 'Israeli', 'Ukrainian', 'Chinese')."""
        key = normalize_name(word)
        if not key:
            return None
        entry = self.exact(_DEMONYMS.get(key) or _COUNTRY_WORDS.get(key, word))
        if entry is not None:
            return entry if entry.kind == "country" else None
        best: list[Entry] = []
        longest = 0
        for e in self._countries:
            for n in e.names:
                name = normalize_name(n)
                common = _shared_prefix(key, name)
                if common < max(4, len(name) - 2) or common < longest:
                    continue
                if common > longest:
                    best, longest = [], common
                if e not in best:
                    best.append(e)
        return best[0] if len(best) == 1 else None

    @functools.cached_property
    def _countries(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.kind == "country"]

    def by_role(self, phrase: str, *, present: Iterable[str]) -> GazMatch:
        """A role phrase ('Russia's ambassador') → the one person of `present` holding such a role."""
        text = normalize_name(phrase.replace("’", "'"))
        raw = " " + phrase.lower().replace("’", "'").replace("'s", "") + " "
        country = next((c for w, c in _COUNTRY_WORDS.items() if f" {w} " in raw), None)
        wanted = next((v for k, v in _ROLE_WORDS.items() if k in text or k in raw), None)
        if wanted is None:
            return GazMatch(None, "none")
        ids = {
            i
            for i in present
            if (e := self.entries[i]).kind == "person"
            and e.role
            and any(w in e.role for w in wanted)
            and (country is None or e.country == country)
        }
        return self._one(ids, "role") if ids else GazMatch(None, "none")

    def _one(self, ids: set[str], how: How) -> GazMatch:
        if len(ids) == 1:
            return GazMatch(self.entries[next(iter(ids))], how)
        return GazMatch(None, "ambiguous", tuple(sorted(ids)))


def _shared_prefix(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _close_surname(word: str, e: Entry) -> bool:
    for n in e.names:
        last = normalize_name(n).split()[-1]
        if len(word) >= 4 and len(last) >= 4 and word[0] == last[0] and fuzz.ratio(word, last) >= 80:
            return True
    return False


def _close_full(words: list[str], e: Entry) -> bool:
    for n in e.names:
        parts = normalize_name(n).split()
        if len(parts) < 2:
            continue
        if fuzz.ratio(words[-1], parts[-1]) >= 85 and (
            fuzz.ratio(words[0], parts[0]) >= 70
            or (len(words[0].rstrip(".")) == 1 and words[0][0] == parts[0][0])
        ):
            return True
    return False


_KINDS = {"state": "country", "organisation": "organization"}  # older spellings of the kinds


def _read(path: Path | str) -> list[Entry]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        rows = data["entries"] if isinstance(data, dict) else data
        return [
            Entry(
                id=r["id"],
                canonical=r["canonical"],
                aliases=tuple(r.get("aliases") or ()),
                role=r.get("role"),
                country=r.get("country"),
                qid=r.get("qid"),
                kind=_KINDS.get(r.get("kind") or "person", r.get("kind") or "person"),
                capital=r.get("capital"),
            )
            for r in rows
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"cannot read gazetteer {path}: {exc}; "
            "expected JSON {'entries': [{'id', 'canonical', 'aliases', …}]}"
        ) from exc


def load_gazetteer(*extra: Path | str, builtin: bool = True) -> Gazetteer:
    """The shipped gazetteer plus the user's files (an entry with an existing id replaces it)."""
    entries: dict[str, Entry] = {}
    if builtin:
        shipped = resources.files("extract") / "data" / "gazetteer.json"
        for e in _read(Path(str(shipped))):
            entries[e.id] = e
    for path in extra:
        for e in _read(path):
            entries[e.id] = e
    return Gazetteer(entries)
