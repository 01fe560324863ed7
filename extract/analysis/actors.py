"""Actor mentions in one article, read off the parse, and resolved within the article and the gazetteer.

A name is a run of proper-noun tokens (particles such as "von der", "bin", "al-", "da" included), cut where
the gazetteer or the named-entity labels say one name ends and another begins, with the title in front of
it ("Crown Prince", "Foreign Minister") kept as the person's role. Its kind comes from the gazetteer, else
from the entity label, else from what it does in the sentence (a surname that speaks or meets is a person).
Within the article, a surname or a misspelling resolves to the full name it resembles (rapidfuzz), and every
person gets one canonical spelling (the gazetteer's when it knows them: "Zamai Khalizad" → Zalmay Khalilzad,
a bare "Putin" → Vladimir Putin). A role phrase in apposition to a name ("Russia's ambassador to the United
States, Anatoly Antonov") is that person, there and wherever the role is used alone later.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from schemas import Actor, ActorKind

from .gazetteer import NAME_PARTICLES, Entry, Gazetteer, load_gazetteer, normalize_name
from .lexicon import (
    DEMAND_LEMMAS,
    INSTITUTION_HEADS,
    MEDIA_WORDS,
    MEETING_LEMMAS,
    MEETING_NOUNS,
    NOT_ACTOR_HEADS,
    ROLE_NOUNS,
    SPEECH_LEMMAS,
    TITLE_ABBREVIATIONS,
    TITLE_WORDS,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["ACTOR_KINDS", "Cast", "Mention", "default_gazetteer", "find_cast"]

ACTOR_KINDS = ("person", "country", "organization", "group")
_ACTOR_KIND: dict[str, ActorKind] = {
    "person": "person",
    "country": "country",
    "organization": "organization",
    "group": "group",
}
_NAME_TAGS = {"NNP", "NNPS"}
_PARTICLES = NAME_PARTICLES | {"-"}
_SKIP_LABELS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY", "LANGUAGE", "LAW"}
_PLACE_LABELS = {"LOC", "FAC"}
# proper nouns that name things, never a person ("held a Summit", "the Brexit Bill", "Jr.")
_NOT_PERSON = MEETING_NOUNS | {
    "brexit",
    "bill",
    "bloc",
    "government",
    "pm",
    "jr",
    "jr.",
    "sr",
    "sr.",
    "act",
    "treaty",
    "accord",
}


@functools.cache
def default_gazetteer() -> Gazetteer:
    return load_gazetteer()


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    key: str  # the actor this mention refers to (its canonical name)
    kind: str  # person | country | organization | group | media | place | role | pronoun
    head: int = -1  # token index of the mention's head in the parse
    role: str | None = None  # the title written with it ("foreign minister")


@dataclass
class Cast:
    """The actors of one article, every mention resolved to a key (the canonical name)."""

    mentions: list[Mention] = field(default_factory=list)
    people: dict[str, Actor] = field(default_factory=dict)
    text: str = ""
    gazetteer: Gazetteer | None = field(default=None, repr=False, compare=False)  # what resolved its names
    _starts: list[int] = field(default_factory=list, repr=False)
    _by_token: dict[int, Mention] = field(default_factory=dict, repr=False)

    def actor(self, key: str, surface: str | None = None) -> Actor:
        base = self.people.get(key)
        if base is None:
            return Actor(name=surface or key, canonical=key)
        return base.model_copy(update={"name": surface or base.name})

    def index(self) -> None:
        """Sort mentions and index their starts and tokens; call after the mention list changes."""
        self.mentions.sort(key=lambda m: m.start)
        self._starts = [m.start for m in self.mentions]

    def bind(self, doc: Doc) -> None:
        """Map every token inside a mention to it (the parse's roles are read per token)."""
        self._by_token = {}
        for m in self.mentions:
            span = doc.char_span(m.start, m.end, alignment_mode="expand")
            if span is not None:
                for t in span:
                    self._by_token[t.i] = m

    def at_token(self, i: int) -> Mention | None:
        return self._by_token.get(i)

    def in_span(self, start: int, end: int) -> list[Mention]:
        lo = bisect_left(self._starts, start)
        hi = bisect_left(self._starts, end)
        return [m for m in self.mentions[lo:hi] if m.end <= end]

    def before(self, pos: int, *, kinds: tuple[str, ...] = ("person",), limit: int = 50) -> list[Mention]:
        """Up to `limit` mentions ending before `pos`, nearest first."""
        hi = bisect_left(self._starts, pos)
        found = [
            m
            for m in reversed(self.mentions[max(0, hi - limit - 5) : hi])
            if m.end <= pos and m.kind in kinds
        ]
        return sorted(found, key=lambda m: -m.end)[:limit]


@dataclass
class _Name:
    """A candidate name: a token range with what the parse and the gazetteer say about it."""

    start: int  # token indexes [start, end)
    end: int
    label: str = ""  # majority entity label
    entry: Entry | None = None
    title: list[str] = field(default_factory=list)  # title words written before it
    country: str | None = None

    def text(self, doc: Doc) -> str:
        return doc[self.start : self.end].text


# where a name stands in a clause: a known name there is a name even when the tagger took it for a noun
_ROLES = {"nsubj", "nsubjpass", "dobj", "pobj", "dative", "conj", "poss", "appos"}


def _is_name_token(t: Token, gaz: Gazetteer | None = None) -> bool:
    if t.lower_ in {"jr", "jr.", "sr", "sr."}:
        return False
    if t.lower_ in _PARTICLES and t.is_lower and 0 < t.i < len(t.doc) - 1:
        # "Ursula von der Leyen", "Lula da Silva": a particle between parts of a name
        prev, nxt = t.nbor(-1), t.nbor(1)
        if (prev.tag_ in _NAME_TAGS or prev.lower_ in _PARTICLES) and (
            nxt.is_title or nxt.lower_ in _PARTICLES
        ):
            return True
        # "Later von der Leyen said", "met bin Salman": a surname that begins with its particles
        k = t.i
        while k + 1 < len(t.doc) and t.doc[k + 1].lower_ in _PARTICLES and t.doc[k + 1].is_lower:
            k += 1
        last = t.doc[k + 1] if k + 1 < len(t.doc) else None
        return (
            k - t.i <= 1
            and last is not None
            and last.is_title
            and last.tag_ in _NAME_TAGS
            and gaz is not None
            and gaz.is_particle_surname(t.doc[t.i : k + 2].text)
        )
    if t.text == "-" and not t.whitespace_ and t.i > 0 and not t.nbor(-1).whitespace_:
        # "Eui-kyeom", "Jae-in": a hyphen inside a name joins its parts
        return t.nbor(-1).tag_ in _NAME_TAGS and t.i + 1 < len(t.doc) and t.nbor(1).is_alpha
    if t.i > 1 and t.nbor(-1).text == "-" and not t.nbor(-1).whitespace_ and t.nbor(-2).tag_ in _NAME_TAGS:
        return t.is_alpha  # "Kim Eui-kyeom": the part after a hyphen
    if t.tag_ in _NAME_TAGS:
        return t.text != "-" or (t.i > 0 and t.nbor(-1).tag_ in _NAME_TAGS)
    if (
        t.is_title
        and (
            t.ent_type_ in {"PERSON", "ORG", "GPE", "NORP"}
            or (t.pos_ in {"PROPN", "NOUN"} and t.dep_ in _ROLES)
            or t.dep_ in {"nsubj", "nsubjpass"}  # "Trump on Monday spoke …", with "Trump" read as a verb
        )
        and gaz is not None
        and (entry := gaz.exact(t.text)) is not None
        and entry.kind == "person"
    ):
        return True  # "Blinken is due …", "Macron is …": a known name the tagger took for another word
    # an acronym the tagger took for a common noun ("SADC"/NNS): inside a named entity, or a known name
    return _acronym(t) and (
        t.ent_type_ in {"ORG", "GPE", "PERSON", "NORP"} or (gaz is not None and gaz.exact(t.text) is not None)
    )


def _acronym(t: Token) -> bool:
    return t.is_upper and t.is_alpha and len(t) >= 2


def _dateline(doc: Doc, i: int) -> bool:
    """'BONN, Germany —', 'MEXICO CITY, May 10 (Xinhua) --': a place in capitals opening a paragraph."""
    t = doc[i]
    if not (t.is_upper and len(t.text) > 2):
        return False
    start = i
    while start > 0 and doc[start - 1].is_upper and not doc[start - 1].is_space:
        start -= 1
    opens = start == 0 or "\n" in doc[start - 1].text or "\n" in doc[start - 1].whitespace_
    end = i
    while end + 1 < len(doc) and doc[end + 1].is_upper:
        end += 1
    return opens and end + 1 < len(doc) and doc[end + 1].text == ","


def _runs(doc: Doc, skip: list[tuple[int, int]], gaz: Gazetteer | None = None) -> list[tuple[int, int]]:
    """Maximal runs of proper-noun tokens; a possessive or any other token ends a run."""
    runs, i = [], 0
    while i < len(doc):
        if not _is_name_token(doc[i], gaz) or any(a <= doc[i].idx < b for a, b in skip) or _dateline(doc, i):
            i += 1
            continue
        j = i
        while j < len(doc) and _is_name_token(doc[j], gaz) and doc[j].whitespace_ != "\n":
            j += 1
            if "\n" in doc[j - 1].whitespace_:
                break
        while j > i and doc[j - 1].text == "-":
            j -= 1
        a = i
        while a < j and doc[a].text == "-":  # "Secretary-General": the word after a hyphen starts no name
            a += 1
        if j > a:
            runs.append((a, j))
        i = max(j, i + 1)
    return runs


def _label(doc: Doc, a: int, b: int) -> str:
    labels = [doc[k].ent_type_ for k in range(a, b) if doc[k].ent_type_]
    # the commonest label; on a tie the first in the text (a set's order changes with the hash seed)
    return max(labels, key=labels.count) if labels else ""


def _gazetteer_pieces(doc: Doc, a: int, b: int, gaz: Gazetteer) -> list[tuple[int, int, Entry]]:
    """Longest gazetteer names inside tokens [a, b), left to right, not overlapping."""
    found: list[tuple[int, int, Entry]] = []
    i = a
    while i < b:
        hit = None
        for j in range(b, i, -1):
            entry = gaz.exact(doc[i:j].text)
            if entry is not None:
                hit = (i, j, entry)
                break
        if hit:
            found.append(hit)
            i = hit[1]
        else:
            i += 1
    return found


def _segments(doc: Doc, a: int, b: int, gaz: Gazetteer) -> list[_Name]:
    """Cut a run into names: gazetteer names first, then entity boundaries, titles split off in front."""
    out: list[_Name] = []
    pieces = _gazetteer_pieces(doc, a, b, gaz)
    cuts: list[tuple[int, int, Entry | None]] = []
    pos = a
    for s, e, entry in pieces:
        if s > pos:
            cuts.append((pos, s, None))
        if entry.kind == "person" and doc[e - 1].ent_type_ == "PERSON":
            # "Faisal bin Farhan Al-Saud": the rest of the person's name the tagger reads with it is theirs
            nxt = next((x for x, _, _ in pieces if x >= e), b)
            while e < nxt and doc[e].ent_iob_ == "I" and doc[e].ent_type_ == "PERSON":
                e += 1
        cuts.append((s, e, entry))
        pos = e
    if pos < b:
        cuts.append((pos, b, None))
    for s, e, found in cuts:
        if found is not None:
            out.append(_Name(s, e, _label(doc, s, e), found))
            continue
        # split at entity boundaries; a person ending in a particle runs on ("Ursula von der" + "Leyen")
        k = s
        while k < e:
            m = k + 1
            ent = doc[k].ent_iob_ in {"B", "I"} and doc[k].ent_type_
            while m < e and (
                (ent and doc[m].ent_iob_ == "I" and doc[m].ent_type_ == ent)
                or (not ent and not doc[m].ent_type_)
                or doc[m - 1].text.lower() in _PARTICLES
                or doc[m].text.lower() in _PARTICLES
            ):
                m += 1
            out.append(_Name(k, m, _label(doc, k, m)))
            k = m
    return _split_titles(doc, out, gaz)


def _split_titles(doc: Doc, names: list[_Name], gaz: Gazetteer) -> list[_Name]:
    """Title words in front of a name become its role; a country in front of a title becomes its country
    ('Russia's Foreign Minister', 'Kenyan President')."""
    out: list[_Name] = []
    pending_title: list[str] = []
    pending_country: str | None = None

    def demonym(i: int) -> str | None:
        if i < 0 or i + 1 >= len(doc) or not _next_is_title(doc, i + 1):
            return None
        country = gaz.country_of(doc[i].text) if doc[i].text[-1:] in "nsihe" and doc[i].is_title else None
        return country.canonical if country is not None else None

    for n in names:
        s = n.start
        if n.entry is None and s + 1 < n.end and (country := demonym(s)) is not None:
            pending_country = country  # "Guyanan President Ana Marks", read as one name
            s += 1
        if not pending_title and pending_country is None and (country := demonym(s - 1)) is not None:
            pending_country = country  # "Kenyan President Daniel Otieno": the demonym outside the name
        while (
            s < n.end - (1 if n.entry is not None else 0)
            and (n.entry is None or n.entry.kind == "person")
            and (
                doc[s].text.lower().rstrip(".") in TITLE_WORDS | {"mr", "mrs", "ms", "dr"}
                or doc[s].text == "-"
            )
        ):
            if doc[s].text != "-":  # "Secretary-General": one title in three tokens
                pending_title.append(doc[s].text.lower())
            s += 1
        if s == n.end:
            continue
        n.start = s
        if (
            n.entry is not None
            and n.entry.kind == "country"
            and n.end < len(doc)
            and _next_is_title(doc, n.end)
        ):
            pending_country = n.entry.canonical
            out.append(n)
            continue
        if pending_title:
            n.title, pending_title = pending_title, []
            n.country, pending_country = pending_country, None
            # a title makes a name of what follows, unless that is a thing ("Foreign Relations")
            thing = doc[n.end - 1].tag_ == "NNPS" or n.label in {"ORG", "FAC", "LAW", "EVENT"}
            if n.entry is None and not thing:
                n.label = "PERSON"
        out.append(n)
    return out


def _next_is_title(doc: Doc, i: int) -> bool:
    return doc[i].text.lower() in TITLE_WORDS


def _kind(doc: Doc, n: _Name, gaz: Gazetteer | None = None) -> str | None:
    if n.entry is not None:
        return n.entry.kind
    if n.label in _SKIP_LABELS:
        return None
    word = doc[n.start]
    if (
        n.end - n.start == 1
        and not n.title  # "Prime Minister Maliki" is a person, whatever country "Mali-ki" looks like
        and gaz is not None
        and word.text[-1:] in "nsih"
        and gaz.country_of(word.text)
    ):
        return None  # "Angolan" tagged ORG: a nationality word, no actor (a side only in front of people)
    words = {t.text.lower() for t in doc[n.start : n.end]}
    if words <= TITLE_ABBREVIATIONS.keys():
        return None  # "the PM": an office, read as a role phrase
    head = doc[n.end - 1].lower_
    if head in NOT_ACTOR_HEADS:
        return None  # "the Raisina Dialogue", "the Minsk Agreement": an event or a text, nobody who acts
    if head in INSTITUTION_HEADS:
        return "media" if words & MEDIA_WORDS else "organization"  # "Foreign Ministry" tagged PERSON
    if n.label == "ORG":
        return "media" if words & MEDIA_WORDS else "organization"
    if n.label == "NORP":
        return "group"
    if n.label in _PLACE_LABELS:
        return "place"
    if n.label == "GPE":
        return "gpe"  # country or place: decided by what it does
    if all(_acronym(t) for t in doc[n.start : n.end]) and not n.title:
        return "organization"  # an acronym ("SADC") is an institution, whatever the tagger's label
    if n.label == "PERSON" or n.title:
        return "person"
    return "unknown"


def _acts(tok: Token) -> bool:
    """A word that speaks, demands or meets: the subject of such a predicate, or the one met."""
    verb = tok.head
    if tok.dep_ == "nsubj" and verb.lemma_ in SPEECH_LEMMAS | MEETING_LEMMAS | DEMAND_LEMMAS:
        return True
    if tok.dep_ == "dobj" and verb.lemma_ in {"meet", "receive", "host", "urge", "press", "call", "tell"}:
        return True
    return tok.dep_ == "conj" and tok.head.dep_ == "nsubj" and _acts(tok.head)


def _first_names(people: dict[str, Entry | None], word: str) -> list[str]:
    """Full names of the article with `word` as a name part other than the last ('Wang' in 'Wang Yi',
    'Lula' in 'Luiz Inácio Lula da Silva')."""
    w = normalize_name(word)
    return [k for k in people if w in normalize_name(k).split()[:-1] and w not in _PARTICLES]


def _same_person(a: str, b: str) -> bool:
    """Surname equality or close spelling ('Khalizada' ~ 'Khalizad', 'Antov' ~ 'Antonov')."""
    # "Al-Thani" is "Mohammed bin Abdulrahman Al Thani", "el-Sisi" is "al-Sisi": the part after a hyphen
    la = normalize_name(a).replace("-", " ").split()[-1:]
    lb = normalize_name(b).replace("-", " ").split()[-1:]
    if not la or not lb:
        return False
    x, y = la[0], lb[0]
    if x == y:
        return True
    if min(len(x), len(y)) < 4 or x[0] != y[0]:
        return False
    return fuzz.ratio(x, y) >= 80


def _same_full_name(a: str, b: str) -> bool:
    """Two full names are one person only when surnames and first names agree ('Sergei'/'Sergey' do;
    'Thomas Graham' and 'Lindsey Graham' do not)."""
    if not _same_person(a, b):
        return False
    fa, fb = normalize_name(a).split()[0], normalize_name(b).split()[0]
    return fa[0] == fb[0] and (fuzz.ratio(fa, fb) >= 75 or fa.rstrip(".") == fb[0] or fb.rstrip(".") == fa[0])


def find_cast(
    doc: Doc, *, skip: list[tuple[int, int]] | None = None, gazetteer: Gazetteer | None = None
) -> Cast:
    """Find and resolve every actor mention of the parsed article outside the `skip` spans."""
    gaz = gazetteer or default_gazetteer()
    skip = skip or []
    names = [n for a, b in _runs(doc, skip, gaz) for n in _segments(doc, a, b, gaz)]
    # a name has a capital letter: not "elect" of "President-elect", not a stray accent
    names = [n for n in names if any(c.isupper() for c in n.text(doc))]
    kinds = [(n, _kind(doc, n, gaz)) for n in names]
    initials = _initials(doc, kinds)
    # full person names first: they are what surnames and misspellings resolve to
    cast = Cast(text=doc.text, gazetteer=gaz)
    people: dict[str, Entry | None] = {}
    for n, kind in sorted(kinds, key=lambda nk: -(nk[0].end - nk[0].start)):
        if kind == "person" and n.end - n.start >= 2:
            surface = n.text(doc)
            words = normalize_name(surface).split()
            if any(
                _same_full_name(surface, k) or normalize_name(k).split()[: len(words)] == words
                for k in people
            ):
                continue  # the same person again, or a cut-off form of a longer name ("Ursula von")
            if _one_word(doc, n) and any(_same_person(surface, k) for k in people):
                continue  # "Al-Thani" after "Mohammed bin Abdulrahman Al-Thani": a surname, not a full name
            if words[0] in _PARTICLES and any(
                len(normalize_name(k).split()) > len(words)
                and normalize_name(k).split()[-len(words) :] == words
                for k in people
            ):
                continue  # "Al Busaidi" after "Badr bin Hamad Al Busaidi", "von der Leyen": the surname
            people[surface] = n.entry or _known(gaz, surface)
    for n, kind in kinds:
        if n.entry is not None and n.entry.kind == "person" and n.end - n.start == 1:
            if not any(_same_person(n.entry.canonical, k) for k in people) and not _first_names(
                people, n.text(doc)
            ):
                people.setdefault(n.entry.canonical, n.entry)
            continue
        if (
            n.end - n.start == 1
            and n.entry is None
            and kind in {"unknown", "organization", "person", "place"}
        ):
            surface = n.text(doc)
            if (
                surface in initials
                or any(_same_person(surface, k) for k in people)
                or _first_names(people, surface)
            ):
                continue
            # an acronym ("KAN", a broadcaster) is nobody's surname; only an exact alias makes it a person
            entry = gaz.exact(surface) if surface.isupper() else gaz.match(surface).entry
            if entry is not None and entry.kind == "person":
                people.setdefault(entry.canonical, entry)
            elif (
                surface.lower() in MEDIA_WORDS
                or doc[n.start].lemma_.lower() in _NOT_PERSON
                or surface.lower().strip("-.") in TITLE_WORDS  # a title the tagger took for a name
                or doc[n.start].lower_ in INSTITUTION_HEADS | NOT_ACTOR_HEADS  # "the Ministry said"
            ):
                continue
            elif kind == "person" or (kind in {"unknown", "organization"} and _acts(doc[n.start])):
                people.setdefault(surface, None)
    canonical = {k: (e.canonical if e else k) for k, e in people.items()}
    for key, entry in people.items():
        name = canonical[key]
        cast.people[name] = Actor(
            name=key,
            canonical=name,
            role=entry.role if entry else None,
            country=entry.country if entry else None,
            kind="person",
        )
    for n, kind in kinds:
        surface = n.text(doc)
        head = n.end - 1
        start, end = doc[n.start].idx, doc[n.end - 1].idx + len(doc[n.end - 1])
        role = " ".join(n.title) or None
        entry_says = n.entry is not None and n.entry.kind != "person"
        person = None if entry_says or kind is None else _resolve(surface, people, canonical, start, cast)
        if surface in initials and not entry_says:
            person = _resolve(initials[surface], people, canonical, start, cast)
            kind = "person" if person is not None else kind
        if person is not None and (kind in {"person", "unknown"} or _one_word(doc, n)):
            cast.mentions.append(Mention(start, end, surface, person, "person", head, role))
            _add_role(cast, person, role, n.country)
            continue
        if kind in {None, "unknown", "person"}:
            continue
        if kind == "gpe":
            kind = "country" if (n.entry and n.entry.kind == "country") or _acts(doc[head]) else "place"
        key = n.entry.canonical if n.entry else surface.removeprefix("the ")
        if kind in ACTOR_KINDS or kind == "media":
            cast.people.setdefault(
                key, Actor(name=surface, canonical=key, kind=_ACTOR_KIND.get(kind, "organization"))
            )
        cast.mentions.append(Mention(start, end, surface, key, kind, head, role))
    cast.index()
    cast.bind(doc)
    _add_role_phrases(doc, cast, skip)
    cast.index()
    cast.bind(doc)
    return cast


def _initials(doc: Doc, kinds: list[tuple[_Name, str | None]]) -> dict[str, str]:
    """'Claudia Sheinbaum (CSP)', 'Mohammed bin Salman (MBS)': initials the article gives a person's name
    stand for that name wherever they recur."""
    out: dict[str, str] = {}
    for n, kind in kinds:
        if kind not in {"person", "unknown"} or n.end - n.start < 2 or n.end + 2 >= len(doc):
            continue
        inner = doc[n.end + 1]
        if (
            doc[n.end].text == "("
            and doc[n.end + 2].text == ")"
            and _acronym(inner)
            and _initials_of(inner.text, n.text(doc))
        ):
            out.setdefault(inner.text, n.text(doc))
    return out


def _initials_of(letters: str, name: str) -> bool:
    """'CSP' for Claudia Sheinbaum (Pardo), 'MBS' for Mohammed bin Salman, 'AMLO' for Andrés Manuel López
    Obrador: the letters open with the name's first two initials ('NDC' is not Ahmed Salem's)."""
    words = [w for w in name.replace("-", " ").split() if w]
    firsts = [w[0].upper() for w in words]
    return len(letters) >= 2 and len(firsts) >= 2 and letters[0] == firsts[0] and letters[1] in firsts[1:]


def _one_word(doc: Doc, n: _Name) -> bool:
    """A name written as one word, hyphens and all ('Al-Thani', 'Amir-Abdollahian')."""
    return not any(doc[i].whitespace_ for i in range(n.start, n.end - 1))


def _known(gaz: Gazetteer, surface: str) -> Entry | None:
    m = gaz.match(surface)
    if m.entry is not None and m.entry.kind == "person":
        return m.entry
    return gaz.by_particle_surname(surface)  # "bin Salman", "von der Leyen" on their own


def _resolve(
    surface: str, people: dict[str, Entry | None], canonical: dict[str, str], pos: int, cast: Cast
) -> str | None:
    if surface in people:
        return canonical[surface]
    if len(surface.split()) >= 2:
        full = [k for k in people if _same_full_name(surface, k)]
        if full:
            return canonical[full[0]]
    for k, e in people.items():
        if e is not None and any(normalize_name(a) == normalize_name(surface) for a in e.names):
            return canonical[k]
    matches = [k for k in people if _same_person(surface, k)]
    if not matches and len(surface.split()) == 1:
        matches = _first_names(people, surface)
    if len(matches) == 1:
        return canonical[matches[0]]
    if matches:
        # several people share the surname: the one just named (within the sentence), else the one the
        # article names in full most often ("Nawaz Sharif" twice, the army chief "Raheel Sharif" once), else
        # the one named most recently
        named = [m for m in cast.mentions if m.key in {canonical[k] for k in matches} and m.start < pos]
        if named:
            recent = max(named, key=lambda m: m.start)
            between = cast.text[recent.end : pos]
            if not any(stop in between for stop in (". ", "\n", "? ", "! ")):
                return recent.key  # named in the same sentence
            counts = sorted(((cast.text.count(k), k) for k in matches), reverse=True)
            if counts[0][0] > counts[1][0]:
                return canonical[counts[0][1]]
            return recent.key
        return canonical[max(matches, key=lambda k: fuzz.ratio(surface.split()[-1], k.split()[-1]))]
    return None


def _add_role(cast: Cast, key: str, role: str | None, country: str | None) -> None:
    actor = cast.people.get(key)
    if actor is None:
        return
    update: dict[str, str] = {}
    if role and not actor.role:
        update["role"] = role
    if country and not actor.country:
        update["country"] = country
    if update:
        cast.people[key] = actor.model_copy(update=update)


def _role_phrase(chunk: Span) -> str | None:
    """The office a noun chunk names ('the foreign minister', "Russia's ambassador"), or None."""
    root = chunk.root
    if root.lemma_.lower() not in ROLE_NOUNS or (root.tag_ in _NAME_TAGS and root.ent_type_ == "PERSON"):
        return None
    words = [
        TITLE_ABBREVIATIONS.get(t.lower_, t.lower_)
        for t in chunk
        if t.dep_ not in {"det", "poss", "case"} and t.tag_ not in {"POS", "PRP$"}
    ]
    return " ".join(words) or None


def _qualifiers(chunk: Span) -> list[str]:
    """Country words inside a role phrase ('the Ukrainian ambassador', "Russia's envoy", 'the U.S.
    president'), as the first letters of the country's name."""
    out = []
    for t in chunk:
        if t.ent_type_ in {"NORP", "GPE"} and t.i != chunk.root.i:
            country = default_gazetteer().country_of(t.text)
            out.append((country.canonical if country else t.text).lower()[:5])
    return out


def _fits(quals: list[str], cast: Cast, key: str, role: str | None) -> bool:
    """A holder fits a qualified role phrase only when its country or written title says the same."""
    if not quals:
        return True
    actor = cast.people.get(key)
    said = " ".join(x for x in (role, actor.country if actor else None) if x).lower()
    return any(q in said for q in quals) or any(said.startswith(q[:4]) for q in quals if said)


def _add_role_phrases(doc: Doc, cast: Cast, skip: list[tuple[int, int]]) -> None:
    """Role phrases: in apposition to a person (or followed by their name) they are that person, and so
    are their later uses; the nearest earlier holder of the office otherwise ("the crown prince said")."""
    covered = {i for m in cast.mentions for i in range(m.start, m.end)}
    holders: dict[str, tuple[str, str]] = {}  # phrase or office -> (person key, the phrase that named them)
    for chunk in doc.noun_chunks:
        if any(a <= chunk.start_char < b for a, b in skip) or chunk.start_char in covered:
            continue
        phrase = _role_phrase(chunk)
        if phrase is None:
            continue
        root = chunk.root
        plural = root.tag_ == "NNS"
        target: Mention | None = None
        for t in (*root.children, root.head):
            m = _person_at(cast, t)
            if m is not None and (t.dep_ == "appos" or root.dep_ == "appos"):
                target = m
                break
        if target is None and root.dep_ == "conj" and root.head.dep_ == "appos":
            target = _person_at(cast, root.head.head)  # "Haass, a former diplomat and outgoing head of …"
        if target is None and not plural:
            # "Ambassador to Afghanistan Zamai Khalizad": a name inside the role's own phrase
            inner = [_person_at(cast, t) for t in root.subtree if t.i > root.i and t.i - root.i <= 8]
            target = next((m for m in inner if m is not None), None)
            served = next((t for t in root.subtree if t.i > root.i and _person_at(cast, t) is target), None)
            if target is not None and served is not None and _served(root, served, target):
                # "the adviser to President Lula, Ambassador Celso Amorim": the one with a title of their own
                # after "to" is the one served; the holder is the name beside it, if the parse put it there
                beside = [m for c in served.children if c.dep_ == "appos" and (m := _person_at(cast, c))]
                target = beside[0] if beside else None
        quals = _qualifiers(chunk)
        office = (
            " ".join(w for w in phrase.split() if w in TITLE_WORDS or w in ROLE_NOUNS) or phrase.split()[-1]
        )
        key: str | None = None
        if target is not None:
            key = target.key
            holders[phrase] = holders[office] = (key, phrase)
        elif not plural and not any(t.dep_ == "det" and t.lower_ in {"a", "an", "another"} for t in chunk):
            # a definite or bare role ("the crown prince", "Russia's envoy") names someone already named
            for name in (phrase, office):
                if name in holders and _fits(quals, cast, holders[name][0], holders[name][1]):
                    key = holders[name][0]
                    break
            key = key or _holder(cast, office, chunk.start_char, quals)
            if key is None and _definite(chunk):
                key = _recent_subject(cast, doc, chunk.start_char, quals, office)
            if key is None and _definite(chunk):
                key = _named_later(cast, chunk.start_char, quals)
        kind = "person" if key else ("group" if plural else "role")
        cast.mentions.append(
            Mention(chunk.start_char, chunk.end_char, chunk.text, key or chunk.text, kind, root.i, phrase)
        )


def _served(root: Token, tok: Token, m: Mention) -> bool:
    """'adviser to President Lula', 'envoy of Prime Minister Modi': a person with a title of their own, object
    of the role's 'to', 'of' or 'for', is the one the role serves, not its holder."""
    return (
        m.role is not None
        and tok.dep_ == "pobj"
        and tok.head.lower_ in {"to", "of", "for"}
        and tok.head.head.i == root.i
    )


def _named_later(cast: Cast, pos: int, quals: list[str]) -> str | None:
    """'Blinken met with his Qatari counterpart … his meeting with Sheikh Mohammed bin Abdulrahman Al-Thani':
    a role of a named country that no one before holds is the one person of that country named just after."""
    if not quals:
        return None
    later = {
        m.key
        for m in cast.mentions
        if m.kind == "person" and pos <= m.start < pos + 1500 and _fits(quals, cast, m.key, m.role)
    }
    return later.pop() if len(later) == 1 else None


def _definite(chunk: Span) -> bool:
    """'the leader', "Sudan's leader": a role that names someone the reader already knows."""
    return any(t.i < chunk.root.i and (t.lower_ == "the" or t.dep_ == "poss") for t in chunk)


def _recent_subject(cast: Cast, doc: Doc, pos: int, quals: list[str], office: str) -> str | None:
    """A definite role whose office no one named holds ("The de-facto leader of Sudan … urged"): the person
    the text was last about, i.e. the nearest earlier person who is a clause's subject, a few sentences back,
    unless they are known by another office (a prime minister is not "the foreign minister")."""
    wanted = set(office.split()) - _ANY_OFFICE
    for m in sorted((m for m in cast.mentions if m.kind == "person" and m.end <= pos), key=lambda m: -m.end):
        if pos - m.end > _RECENT:
            return None
        if (
            m.head < 0
            or doc[m.head].dep_ not in {"nsubj", "nsubjpass"}
            or not _fits(quals, cast, m.key, m.role)
        ):
            continue
        known = m.role or (cast.people[m.key].role if m.key in cast.people else None)
        if wanted and known and not wanted <= set(known.lower().split()):
            continue
        return m.key
    return None


_RECENT = 600  # characters: about three sentences
_ANY_OFFICE = frozenset({"leader", "head", "chief", "official", "boss"})  # words any office holder answers to


def _person_at(cast: Cast, t: Token) -> Mention | None:
    m = cast.at_token(t.i)
    return m if m is not None and m.kind == "person" else None


def _holder(cast: Cast, office: str, pos: int, quals: list[str]) -> str | None:
    """The nearest person named before `pos` whose title is this office (and country, when given)."""
    named = sorted((m for m in cast.mentions if m.kind == "person" and m.end <= pos), key=lambda m: -m.end)
    if office == "diplomat":  # a diplomat is whoever holds a diplomatic office
        return next(
            (
                m.key
                for m in named
                if any(
                    w in (m.role or cast.people[m.key].role or "")
                    for w in ("ambassador", "minister", "envoy", "secretary")
                )
                and _fits(quals, cast, m.key, m.role)
            ),
            None,
        )
    wanted = set(office.split())
    for m in named:  # the title the article itself gives
        if m.role and wanted <= set(m.role.split()) and _fits(quals, cast, m.key, m.role):
            return m.key
    for m in named:  # else the office the gazetteer knows them by (a current one)
        role = cast.people[m.key].role if m.key in cast.people else None
        if (
            role
            and not role.startswith("former")
            and wanted <= set(role.split())
            and _fits(quals, cast, m.key, role)
        ):
            return m.key
    # an article from their time in office: the person it names who once held it, unless it calls them a
    # former holder itself ("the PM" in a 2020 article about Boris Johnson); among several, the one the
    # article is about (named at least twice as often as any other)
    once = {
        m.key
        for m in named
        if m.key in cast.people
        and (role := cast.people[m.key].role or "").startswith("former ")
        and wanted <= set(role.split())
        and not any(x.key == m.key and "former" in (x.role or "") for x in named)
        and _fits(quals, cast, m.key, role)
    }
    counts = sorted(((sum(x.key == k for x in cast.mentions), k) for k in once), reverse=True)
    if counts and (len(counts) == 1 or counts[0][0] >= 2 * counts[1][0]):
        return counts[0][1]
    return None
