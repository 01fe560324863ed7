"""Cues read off the dependency parse: who speaks, who meets whom (and whether it happened), who demands
what of whom.

Every rule here looks at lemmas and dependency roles (subject, object, "with"/"between"/"on"/"for"
phrases, clausal complements, auxiliaries, negation, the verb a clause hangs from), never at the surface
wording of an article. The word lists are in `lexicon`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from schemas import MeetingStatus

from .actors import Cast, Mention, default_gazetteer
from .lexicon import (
    DECLINE_LEMMAS,
    DEMAND_LEMMAS,
    DEMAND_NOUNS,
    GENERIC_GROUPS,
    MEETING_LEMMAS,
    MEETING_NOUNS,
    NOT_MEETING_LEMMAS,
    OCCUR_LEMMAS,
    PEOPLE_NOUNS,
    PLAN_LEMMAS,
    PROPOSE_LEMMAS,
    ROLE_NOUNS,
    SPEECH_LEMMAS,
    TITLE_WORDS,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = [
    "Attribution",
    "DemandCue",
    "MeetingCue",
    "according_to",
    "antecedent",
    "called_off",
    "demand_cues",
    "first_speaker",
    "imperative",
    "is_generic",
    "meeting_cues",
    "reciprocal",
    "speaker_of",
    "speech_verbs",
    "went_without",
]

_SUBJ = {"nsubj", "nsubjpass", "csubj"}
_ACTOR_KINDS = {"person", "country", "organization", "group"}
_PRONOUNS = {"he", "she", "him", "her", "his"}  # "his talks with Putin": his as well
_MODAL_DEMAND = {"must", "should"}
_FUTURE = {"will", "shall", "'ll", "’ll", "wo"}
_WHEN = {"when", "once", "after", "before", "as", "while"}
_IF = {"if", "unless", "whether"}


@dataclass(frozen=True)
class Attribution:
    key: str
    surface: str
    how: str  # which rule decided
    kind: str = "person"  # the kind of the speaker's mention (person, country, organization, media …)


def _people_noun(tok: Token) -> bool:
    """'officials', 'representatives', 'the government': a noun for people who can act as one side."""
    return tok.lower_ in PEOPLE_NOUNS or tok.lemma_.lower() in PEOPLE_NOUNS


# the people who act for one person: "his campaign urges …" is that person's demand
_ENTOURAGE = {"team", "campaign", "camp", "government", "administration", "office", "delegation"}


def _mention(cast: Cast, tok: Token) -> Mention | None:
    m = cast.at_token(tok.i)
    if (m is None or m.kind == "group") and _people_noun(tok):
        for of in _prep_objects(tok, {"of"}):  # "the leaders of South Sudan", "the government of Sudan"
            x = cast.at_token(of.i)
            if x is not None and x.kind in {"country", "organization"}:
                return x
    if (m is None or m.kind == "role") and tok.lemma_.lower() in ROLE_NOUNS:
        for of in _prep_objects(tok, {"of"}):  # "the president of Iran": the one the article names, else Iran
            x = cast.at_token(of.i)
            if x is not None and x.kind == "country":
                return _office_holder(cast, x, tok)
    if m is not None:
        return m
    for child in tok.children:  # "Britain's foreign secretary, David Lammy, urged …": the person named beside
        if child.dep_ == "appos" and tok.lemma_.lower() in ROLE_NOUNS:
            m = cast.at_token(child.i)
            if m is not None and m.kind == "person":
                return m
    for child in tok.children:  # "the US ambassador": the head noun's compound
        if child.dep_ == "compound":
            m = cast.at_token(child.i)
            if m is not None and m.kind == "person":
                return m
    if tok.lemma_.lower() in _ENTOURAGE:  # "Schmidt's office canceled …", "Trump's campaign": that person
        for child in tok.children:
            m = cast.at_token(child.i) if child.dep_ == "poss" else None
            if m is not None and m.kind == "person":
                return m
    if _people_noun(tok):  # "Taliban representatives"
        for child in tok.children:
            if child.dep_ == "poss" and child.lower_ in {"his", "her"} and tok.lemma_.lower() in _ENTOURAGE:
                # "X said his campaign urges …": the speaker's side; a speech verb without a subject (a
                # misparse) leaves whose it is unknown
                speech = _governing_speech(tok)
                if speech is not None:
                    said = [s for s in _subjects(speech) if s.lower_ not in _PRONOUNS]
                    return _mention(cast, said[0]) if said else None
                return antecedent(cast, tok.doc, child.idx)
        for child in tok.children:
            if child.dep_ in {"compound", "amod", "poss"}:
                m = cast.at_token(child.i)
                if m is not None and m.kind in {"country", "organization", "group"}:
                    return m
    return None


def _subject_actor(cast: Cast, doc: Doc, tok: Token) -> Mention | None:
    if tok.lower_ in _PRONOUNS:
        return antecedent(cast, doc, tok.idx)
    return _mention(cast, tok)


def antecedent(
    cast: Cast, doc: Doc, pos: int, *, skip: Collection[str] = (), depth: int = 0
) -> Mention | None:
    """What 'he' or 'she' at `pos` refers to: the nearest person who is the subject of a clause before it,
    the one the sentence before is about when its subject is 'he' or 'she' too, else the nearest person
    named before it (within a few sentences); never one of `skip`."""
    near = [m for m in cast.before(pos, kinds=("person", "role")) if pos - m.end < 700 and m.key not in skip]
    here = doc.char_span(pos, pos + 1, alignment_mode="expand")
    if here is not None and here[0].lower_ in {"his", "her"}:
        # "In his meeting with Al Busaidi, Araqchi expressed …", "During her visit, Baerbock met …": a
        # possessive in a phrase set before the clause's subject is the subject's
        tok = here[0]
        root = tok.sent.root
        later = [c for c in root.children if c.dep_ in _SUBJ and c.i > tok.i and tok not in c.subtree]
        found = cast.at_token(later[0].i) if later and tok.i < root.i else None
        if found is not None and found.kind == "person" and found.key not in skip:
            return found
    if here is not None:
        # a subject earlier in the same sentence; else the main clause's subject of the sentence before
        # ("Michel said Aliyev and Pashinyan had narrowed … He said …" is Michel)
        sent = here[0].sent
        since = doc[sent.start - 1].sent.start_char if sent.start > 0 else sent.start_char
        for m in near:
            if m.start < since:
                break
            subject = m.head >= 0 and doc[m.head].dep_ in _SUBJ
            if subject and (m.start >= sent.start_char or doc[m.head].head.dep_ == "ROOT"):
                return m
        if sent.start > 0 and depth < 4:
            # "He met with A; B; and C. He also met with D.": the second "he" is the first one's person
            before = doc[sent.start - 1].sent.root
            same = [c for c in before.children if c.dep_ in _SUBJ and c.lower_ in {"he", "she"}]
            if same and (here[0].lower_ not in {"he", "she"} or same[0].lower_ == here[0].lower_):
                return antecedent(cast, doc, same[0].idx, skip=skip, depth=depth + 1)
    for m in near:
        if m.head >= 0 and doc[m.head].dep_ in _SUBJ:
            return m  # a role here ('a State Department spokesman said … He added') is nobody named
    # "Trump's special envoy, following his meeting with Maduro": "his" is the envoy's, not the possessor's
    people = [m for m in near if m.kind == "person" and not _owns_an_office(doc, m)]
    return people[0] if people else None


def _owns_an_office(doc: Doc, m: Mention) -> bool:
    """'Trump's special envoy', 'Putin's spokesman': a person named as the one an office serves."""
    if m.head < 0:
        return False
    tok = doc[m.head]
    return tok.dep_ == "poss" and tok.head.lemma_.lower() in ROLE_NOUNS


def _actor_of(cast: Cast, doc: Doc, tok: Token) -> Mention | None:
    """The actor a token stands for: its mention, a pronoun's antecedent, or the person of a role phrase."""
    if tok.lower_ in _PRONOUNS:
        found = antecedent(cast, doc, tok.idx)
        if found is not None and tok.dep_ in {"dobj", "pobj", "dative"}:
            # "Kishida told Kang he would like to meet her": an object pronoun is not its clause's subject
            verb = tok.head if tok.dep_ != "pobj" else tok.head.head
            while verb.pos_ not in {"VERB", "AUX"} and verb.dep_ in {"dobj", "pobj", "prep"}:
                verb = verb.head  # "he would hold talks with him": the verb the object's phrase hangs on
            subjects = {
                m.key for s in _subjects(verb) if s.i != tok.i and (m := _subject_actor(cast, doc, s))
            }
            if found.key in subjects:
                return antecedent(cast, doc, tok.idx, skip=subjects)
        return found
    m = _mention(cast, tok)
    return m if m is not None and (m.kind in _ACTOR_KINDS or m.kind in {"media", "role"}) else None


def _subjects(verb: Token) -> list[Token]:
    subj = [c for c in verb.children if c.dep_ in _SUBJ]
    if (
        verb.dep_ == "relcl"
        and subj
        and subj[0].tag_ in {"WP", "WDT"}
        and verb.head.pos_ in {"PROPN", "NOUN"}
    ):
        return [verb.head]  # "Xi Jinping, who said …": the one the clause is about
    if (
        not subj
        and verb.dep_ in {"acl", "relcl"}  # the parser reads "overture to meet" either way
        and any(c.dep_ == "aux" and c.lower_ == "to" for c in verb.children)
        and verb.head.pos_ == "NOUN"
        and verb.lemma_.lower() in MEETING_LEMMAS
    ):
        owners = [c for c in verb.head.children if c.dep_ == "poss"]
        if owners:
            return owners  # "Nuland's overture to meet Bazoum", "his agreement to meet": the one who would
    if (
        not subj
        and verb.dep_ == "xcomp"
        and verb.head.pos_ == "ADJ"
        and verb.head.dep_ == "acomp"
        and not verb.head.lower_.startswith("un")  # "unlikely to agree", "unable to meet": no act reported
    ):
        return _subjects(verb.head.head)  # "are due to meet", "is ready to talk": the subject of "be"
    if not subj and verb.dep_ == "xcomp" and verb.head.pos_ in {"VERB", "AUX"}:
        # "encouraged Trump to pursue …": Trump; "wants to meet": the subject
        objs = [c for c in verb.head.children if c.dep_ in {"dobj", "dative"}]
        return objs or _subjects(verb.head)
    if not subj and verb.dep_ in {"conj", "advcl"} and verb.head.pos_ in {"VERB", "AUX"}:
        head = verb.head
        if head.dep_ == "relcl" and any(
            s.dep_ in _SUBJ and any(c.tag_ == "WP$" for c in s.children) for s in head.children
        ):
            # "met Maduro, whose re-election is contested, and later met González": the parse hung the
            # second verb on the relative clause, whose subject is no one's; it is the main clause's
            main = next((g for g in _governors(head) if g.pos_ in {"VERB", "AUX"}), None)
            if main is not None:
                return _subjects(main)
        return _subjects(head)  # "met Wang and said …", "arrived to meet …"
    if (
        not subj
        and verb.dep_ == "pcomp"
        and verb.head.dep_ == "prep"
        and verb.head.head.pos_ in {"VERB", "AUX"}
    ):
        governor = verb.head.head
        objs = [c for c in governor.children if c.dep_ == "dobj"]
        if verb.head.lower_ == "as" and objs:
            return objs  # "he cited Moon as saying …", "quoted Lavrov as saying …": Moon, Lavrov
        return _subjects(governor)  # "Before speaking with Wang, Blinken urged …": Blinken
    if (
        not subj
        and verb.dep_ == "acl"
        and verb.head.dep_ in {"dobj", "attr"}
        and verb.head.head.pos_ in {"VERB", "AUX"}
    ):
        return _subjects(verb.head.head)  # "had no plans to meet …": whoever had them
    if not subj and verb.dep_ == "relcl" and verb.head.pos_ in {"PROPN", "NOUN"}:
        return [verb.head]  # "Kuleba, who met Wang …"
    if not subj and verb.dep_ == "acl" and verb.head.pos_ in {"PROPN", "NOUN"}:
        poss = [c for c in verb.head.children if c.dep_ == "poss"]
        return poss or [verb.head]  # "his letters to meet …": whoever wrote them
    return subj


def _with_conjuncts(toks: Iterable[Token]) -> list[Token]:
    out: list[Token] = []
    for t in toks:
        out.append(t)
        out += [c for c in t.conjuncts if c not in out]
    return out


def speech_verbs(sent: Span, *, outside: Sequence[tuple[int, int]] = ()) -> list[Token]:
    """Speech predicates of a sentence outside the given spans (a quote's own words are not its tag)."""
    out = []
    for t in sent:
        if any(a <= t.idx < b for a, b in outside):
            continue
        lemma = t.lemma_.lower()
        about = lemma in {"speak", "talk"} and bool(_prep_objects(t, {"of", "about"}))
        if t.pos_ in {"VERB", "AUX"} and (lemma in SPEECH_LEMMAS or about):
            if t.dep_ == "amod" or (t.tag_ == "VBN" and any(c.dep_ == "auxpass" for c in t.children)):
                continue  # "as reported", "was described as": nobody speaks
            out.append(t)
    return out


def speaker_of(cast: Cast, doc: Doc, verb: Token) -> Attribution | None:
    """Who speaks through this predicate: its subject, an 'according to' object, a role's holder."""
    if verb.lower_ == "according":
        objs = [c for p in verb.children if p.lower_ == "to" for c in p.children if c.dep_ == "pobj"]
        for o in objs:
            m = _actor_of(cast, doc, o)
            if m is not None:
                return Attribution(m.key, m.text, "according-to", m.kind)
        return None
    for s in _subjects(verb):
        m = _actor_of(cast, doc, s)
        if m is not None:
            return Attribution(m.key, m.text if s.lower_ not in _PRONOUNS else s.text, "subject", m.kind)
    return None


def first_speaker(cast: Cast, doc: Doc, verbs: Iterable[Token]) -> Attribution | None:
    """The speaker of the first of these predicates that names one."""
    for verb in verbs:
        att = speaker_of(cast, doc, verb)
        if att is not None:
            return att
    return None


def according_to(sent: Span) -> list[Token]:
    return [t for t in sent if t.lower_ == "according" and any(c.lower_ == "to" for c in t.children)]


def is_generic(m: Attribution | Mention) -> bool:
    words = (m.surface if isinstance(m, Attribution) else m.text).lower().split()
    return bool(words) and words[-1] in GENERIC_GROUPS


# --- meetings --------------------------------------------------------------------------------------------


@dataclass
class MeetingCue:
    trigger: Token
    participants: list[Mention]
    status: MeetingStatus | None  # None: the text says there was no contact
    location: str | None
    hosted_by_country: bool = False  # "Blinken will visit Israel": no host named, the country stands in


def _governors(tok: Token, depth: int = 4) -> Iterator[Token]:
    """The words a predicate hangs from, nearest first ('wants to meet' → want; 'refused talks' → refuse)."""
    cur = tok
    for _ in range(depth):
        if cur.dep_ in {"ROOT"} or cur.head is cur:
            return
        if cur.dep_ in {"conj"}:
            cur = cur.head
            continue
        cur = cur.head
        yield cur


def _negated(tok: Token) -> bool:
    """'did not meet', 'no talks', 'never met', 'the lack of dialogue'."""
    if any(c.dep_ == "neg" for c in tok.children):
        return True
    if any(c.lower_ in {"no", "never"} and c.dep_ in {"det", "neg", "advmod"} for c in tok.children):
        return True
    return (
        tok.dep_ == "pobj" and tok.head.lower_ == "of" and tok.head.head.lemma_.lower() in {"lack", "absence"}
    )


def _conditional(verb: Token) -> bool:
    """'only if …', 'unless …' hung on the verb: what it says happens only on a condition."""
    return any(
        c.dep_ == "advcl"
        and any(m.dep_ == "mark" and m.lower_ in {"if", "unless"} for m in c.children)
        and (
            any(m.lower_ == "unless" for m in c.children)
            or any(a.dep_ == "advmod" and a.lower_ == "only" for a in (*c.children, *verb.children))
        )
        for c in verb.children
    )


def _status(trigger: Token) -> MeetingStatus | None:
    """held, planned, proposed or declined, from the predicate's auxiliaries, negation and governors."""
    if trigger.dep_ == "pcomp" and trigger.head.lower_ == "without":
        return None  # "left the G7 summit without meeting with Trump": no contact
    if _took_place(trigger):
        return "held"
    part = _taking_part(trigger) if trigger.pos_ in {"NOUN", "PROPN"} else None
    if part is not None and _negated(part):  # "would not participate in talks with …": a refusal
        will = {c.lower_ for c in part.children if c.dep_ == "aux"} & (_FUTURE | {"would"})
        return "declined" if will else None
    if _journey_purpose(trigger):  # "will travel to Beijing next week to meet Xi": the journey's tense
        return "planned" if _arranged(trigger.head) else _status(trigger.head)
    governing = next((g for g in _governors(trigger, 3) if g.pos_ in {"VERB", "AUX"}), None)
    if _arranged(trigger) or (trigger.pos_ == "NOUN" and governing is not None and _arranged(governing)):
        return "planned"  # "is meeting Xi on Monday", "is heading to Washington to meet Vance on Friday"
    for g in (trigger, *_governors(trigger)):
        lemma = g.lemma_.lower()
        if lemma in DECLINE_LEMMAS or (lemma == "call" and any(c.lower_ == "off" for c in g.children)):
            return "declined"
        if (
            g.tag_ == "VBD"
            and (g is trigger or trigger.pos_ in {"NOUN", "PROPN"})
            and lemma in (OCCUR_LEMMAS | MEETING_LEMMAS) - {"call", "invite"}  # "called for talks": proposed
            and g.dep_ in {"ccomp", "ROOT", "conj", "relcl"}
            and not _negated(g)
        ):
            return (
                "held"  # "announced that the officials held a meeting": the announcement is of what happened
            )
        if (
            g is not trigger
            and g.pos_ == "NOUN"
            and lemma in PROPOSE_LEMMAS | PLAN_LEMMAS
            and g.head.lemma_.lower() in _DISMISS
        ):
            return "declined"  # "Nuland's overture to meet Bazoum was rebuffed": what is done with the offer
        if g is not trigger and lemma in PROPOSE_LEMMAS:
            return "declined" if _negated(g) else "proposed"
        if g is not trigger and lemma in PLAN_LEMMAS:
            return "declined" if _negated(g) else "planned"
        if g.pos_ in {"VERB", "AUX"} and g is not trigger and g.dep_ not in {"xcomp", "ccomp"}:
            break
    aux = {c.lower_ for c in trigger.children if c.dep_ in {"aux", "auxpass"}}
    if not aux and trigger.dep_ == "advcl" and any(c.lower_ in _WHEN for c in trigger.children):
        # "… would discuss when they meet on Sunday": the time clause of a future is future
        aux = {c.lower_ for c in trigger.head.children if c.dep_ in {"aux", "auxpass"}} & (
            _FUTURE | {"would"}
        )
        if aux:
            return "planned"
    governor = next(_governors(trigger), None)
    if _negated(trigger) or (governor is not None and governor.pos_ == "AUX" and _negated(governor)):
        # "will not meet", "would not meet him": a refusal; "did not meet": no contact
        return "declined" if aux & (_FUTURE | {"would"}) else None
    if (aux & _FUTURE or "going" in aux or _is_to(trigger)) and _conditional(trigger):
        return "proposed"  # "will only meet Erdogan if Turkish troops withdraw": offered on a condition
    if aux & _FUTURE or "going" in aux or _is_to(trigger):
        return "planned"
    if aux & {"would", "could", "might", "may"}:
        return "proposed"
    if trigger.pos_ == "NOUN":
        head = trigger.head
        hlemma = head.lemma_.lower()
        if head.pos_ in {"VERB", "AUX"}:
            haux = {c.lower_ for c in head.children if c.dep_ in {"aux", "auxpass"}}
            if _negated(head) and haux & (_FUTURE | {"would"}):
                return "declined"  # "will not resume talks unless …": refused
            if haux & _FUTURE or _is_to(head):
                return "planned"
            if haux & {"would", "could", "might", "may"}:
                return "proposed"  # "another call could be held"
            if _negated(head):
                # "can't get meetings", "failed to secure talks": refused, not merely absent
                return "declined" if hlemma in {"get", "obtain", "secure", "win", "land", "arrange"} else None
            if hlemma == "be" and any(
                c.dep_ == "acomp" and c.lemma_ in {"possible", "likely"} for c in head.children
            ):
                return "proposed"
        if any(
            c.dep_ == "amod"
            and c.lemma_.lower()
            in {"planned", "upcoming", "forthcoming", "scheduled", "future", "next"} | _MAYBE
            for c in trigger.children
        ):
            return "proposed" if any(c.lemma_.lower() in _MAYBE for c in trigger.children) else "planned"
    return "held"


# "a potential meeting between Assad and Erdogan": a meeting only put forward
_MAYBE = {"proposed", "possible", "potential", "prospective", "mooted"}


def _journey_purpose(t: Token) -> bool:
    """'travelled to Moscow to meet Putin': the meeting is what the journey was for."""
    return (
        t.dep_ in {"advcl", "xcomp"}
        and t.head.pos_ in {"VERB", "AUX"}
        and t.head.lemma_.lower() in _JOURNEYS
        and any(c.dep_ == "aux" and c.lower_ == "to" for c in t.children)
    )


_TAKING_PART = {"participate", "part", "engage", "join", "attend", "enter"}


def _taking_part(trigger: Token) -> Token | None:
    """'would not participate in conversations with …', 'refused to take part in talks', 'will not attend the
    summit': the verb by which someone takes part in a meeting named by a noun."""
    head = trigger.head
    if trigger.dep_ == "pobj" and head.lower_ == "in":
        head = head.head
        if head.lemma_.lower() == "part" and head.dep_ == "dobj":
            head = head.head
    elif trigger.dep_ != "dobj":
        return None
    lemma = head.lemma_.lower()
    if head.pos_ not in {"VERB", "AUX"} or lemma not in _TAKING_PART | {"take"}:
        return None
    return head


def _took_place(trigger: Token) -> bool:
    """'agreed … during their meeting', 'signed after talks': a meeting that times a past act took place,
    whatever that act was (agreeing to something is not planning the meeting)."""
    prep = trigger.head
    if trigger.dep_ != "pobj" or prep.lower_ not in {"after", "during", "following", "at", "in"}:
        return False
    if _taking_part(trigger) is not None:
        return False  # "took part in talks": the verb is the meeting's, not an act it times
    verb = prep.head
    while verb.tag_ == "VB" and verb.dep_ == "xcomp":  # "agreed to resume … during their meeting"
        verb = verb.head
    if verb.pos_ not in {"VERB", "AUX"} or verb.tag_ not in {"VBD", "VBN"}:
        return False
    return not any(
        c.dep_ in {"aux", "auxpass"} and c.lower_ in _FUTURE | {"would", "could"} for c in verb.children
    )


def _arranged(verb: Token) -> bool:
    """The present progressive with a day ('is meeting Xi on Monday', 'is headed to Washington … on Friday',
    'is following up … with talks on Monday'): an arrangement still to come."""
    if verb.pos_ not in {"VERB", "AUX"} or verb.tag_ not in {"VBG", "VBN"}:
        return False
    if not any(
        c.dep_ in {"aux", "auxpass"} and c.lower_ in {"is", "are", "am", "'s", "’s"} for c in verb.children
    ):
        return False
    if verb.tag_ == "VBN" and verb.lemma_.lower() != "head":  # "is headed to": on the way; "is held": no
        return False
    days = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "tomorrow", "next"}
    return any(d.ent_type_ in {"DATE", "TIME"} and d.lower_ in days for d in verb.subtree)


def _is_to(tok: Token) -> bool:
    """'is to meet', 'are due to meet', 'set to meet'."""
    if not any(c.dep_ == "aux" and c.lower_ == "to" for c in tok.children):
        return False
    head = tok.head
    return head.lemma_ in {"be", "due", "set", "expect", "schedule", "plan", "slate", "go"}


def _location(trigger: Token, cast: Cast) -> str | None:
    """'in Geneva', 'at the Kremlin': a place phrase of the meeting word, its verb or their objects
    ('met her counterpart Ivo Maric in Zagreb'), the nearest one first."""
    places = {"GPE", "LOC", "FAC", "ORG"}
    candidates = {
        prep
        for tok in (trigger, trigger.head)
        for prep in tok.subtree
        if prep.dep_ == "prep" and prep.lower_ in {"in", "at"} and prep.i > trigger.i - 12
    } | {  # "In Caracas, the adviser to President Lula, Ambassador Celso Amorim, met …": however far before;
        # "In Caracas, X met Y and later met Z": the main verb's, for a verb joined to it
        p
        for v in (trigger, *(_governors(trigger) if trigger.dep_ == "conj" else ()))
        if v.pos_ in {"VERB", "AUX"}
        for p in v.children
        if p.dep_ == "prep" and p.lower_ in {"in", "at"} and p.i < min(v.i, trigger.i)
    }
    remote = [c for c in trigger.children if c.dep_ in {"compound", "amod"}] + _prep_objects(
        trigger, {"by", "via", "over", "on"}
    )
    if trigger.lemma_.lower() in _REMOTE or any(c.lemma_.lower() in _REMOTE for c in remote):
        return None  # a phone or video call has no place of its own ("a call … amid a row in Belfast")
    for prep in sorted(candidates, key=lambda p: abs(p.i - trigger.i)):
        for obj in prep.children:
            if obj.dep_ == "pobj" and obj.ent_type_ in places:
                return _entity_text(obj)
    return None


_REMOTE = {"phone", "telephone", "videoconference", "video", "call", "videocall", "teleconference"}
# verbs whose object is the person addressed
_ADDRESSING = {"tell", "assure", "inform", "brief", "urge", "ask", "press", "warn", "thank", "congratulate"}


def _entity_text(tok: Token) -> str:
    """The named place a token belongs to ('the Demilitarized Zone', not the clause that describes it), with
    the places named right after it that locate it ('State House, Nairobi')."""
    doc = tok.doc
    lo, hi = tok.i, tok.i + 1
    for ent in doc.ents:
        if ent.start <= tok.i < ent.end:
            lo, hi = ent.start, ent.end
            break
    while hi + 1 < len(doc) and doc[hi].text == "," and doc[hi + 1].ent_iob_ == "B":
        nxt = next((e for e in doc.ents if e.start == hi + 1), None)
        if nxt is None or nxt.label_ not in {"GPE", "LOC", "FAC"} or not lo <= nxt.root.head.i < hi:
            break
        hi = nxt.end
    return doc[lo:hi].text


# "the two leaders", "both sides", "they": the parties of a meeting reported before, meeting each other again
_PAIR_NOUNS = {"leader", "minister", "side", "country", "president", "party", "counterpart", "nation"}


def _plural_reference(tok: Token) -> bool:
    """'they', 'them', 'their', 'the two leaders', 'both sides': a pair named earlier, not by name here."""
    if tok.lower_ in {"they", "them", "their"}:
        return True
    if tok.tag_ != "NNS" or tok.lemma_.lower() not in _PAIR_NOUNS:
        return False
    dets = {c.lower_ for c in tok.children if c.dep_ in {"det", "predet", "nummod"}}
    named = any(c.dep_ in {"amod", "compound", "poss", "nmod"} and c.ent_type_ for c in tok.children)
    return not named and ("two" in dets or "both" in dets or (tok.lemma_.lower() == "side" and "the" in dets))


def went_without(trigger: Token) -> bool:
    """'left the summit without meeting Trump': a meeting that was to be and did not happen."""
    return trigger.dep_ == "pcomp" and trigger.head.lower_ == "without"


def called_off(mentions: Sequence[Mention]) -> bool:
    """The only participant stands for the meeting reported before, which the sentence calls off."""
    return len(mentions) == 1 and mentions[0].kind == "previous"


def reciprocal(mentions: Sequence[Mention]) -> bool:
    """The only participant is a plural reference: a meeting of a pair the article named before."""
    return len(mentions) == 1 and mentions[0].kind == "plural"


def _enough(mentions: Sequence[Mention]) -> bool:
    return len(mentions) >= 2 or reciprocal(mentions)


def _named_group(cast: Cast, doc: Doc, toks: list[Token]) -> Mention | None:
    """'The G7 leaders', 'Iranian officials', 'EAC and SADC leaders': people named by the side they are of;
    the side stands for them when it is one (G7, Iran), the phrase when they are of several."""
    for t in toks:
        if t.pos_ != "NOUN" or not _people_noun(t) or _own_people(t):
            continue
        sides = _sides(cast, doc, t) or [
            m for o in _prep_objects(t, {"of", "from"}) if (m := _actor_of(cast, doc, o)) is not None
        ]
        sides = [m for m in sides if m.kind in {"country", "organization", "group"}]
        if not sides:
            continue
        chunk = _group_phrase(t)
        key = sides[0].key if len(sides) == 1 else chunk.text
        return Mention(chunk.start_char, chunk.end_char, chunk.text, key, "group", t.i)
    return None


def _led_by(cast: Cast, doc: Doc, t: Token) -> Token | None:
    """'a Russian delegation led by Foreign Minister Sergey Lavrov', 'a US team headed by Marco Rubio': the
    named person who leads the group stands for it."""
    if not (_people_noun(t) or t.lemma_.lower() == "team"):
        return None
    for c in t.children:
        if c.dep_ == "acl" and c.lemma_.lower() in {"lead", "head"} and c.tag_ == "VBN":
            for a in (a for p in c.children if p.dep_ == "agent" for a in p.children if a.dep_ == "pobj"):
                m = _actor_of(cast, doc, a)
                if m is not None and m.kind == "person":
                    return a
    return None


def _participants(cast: Cast, doc: Doc, toks: Iterable[Token]) -> list[Mention]:
    """Named actors first; unnamed groups ('former US officials') only fill a side nobody is named on; a
    plural reference ('the two leaders met') stands alone or not at all."""
    named: list[Mention] = []
    groups: list[Mention] = []
    plural: list[Mention] = []
    expanded: list[Token] = []
    office: dict[int, Token] = {}  # a member country -> the office noun it was named with
    for t in toks:
        # "a group of former US officials and Lavrov": the members, not the word "group"
        lemma = t.lemma_.lower()
        # "envoys from Ukraine, Russia and the United States": the countries they come from
        members = _prep_objects(t, {"of", "from"}) if _people_noun(t) or lemma in {"team", "minister"} else []
        if members and not any(
            _actor_of(cast, doc, x) or _sides(cast, doc, x) for m in members for x in (m, *m.conjuncts)
        ):
            members = []  # "leaders of the Pacific island nations": nobody named inside, the group itself
        leader = _led_by(cast, doc, t)
        expanded += [leader] if leader is not None else members or [t]
        office.update({m.i: t for x in members for m in (x, *x.conjuncts)})
        # "vice president Maros Sefcovic and Michael Gove met": the office's name in apposition
        expanded += [c for c in t.children if c.dep_ == "appos"]
        own = cast.at_token(t.i)
        if own is not None and own.kind == "person":
            # "Macron, Xi and Ursula von der Leyen held …": the parse may hang the list inside the last name
            expanded += [
                d
                for d in t.subtree
                if d.dep_ in {"nmod", "conj"}
                and (x := cast.at_token(d.i)) is not None
                and x.kind == "person"
                and x is not own
                and _inside_name(d, t)
            ]
    for t in _with_conjuncts(expanded):
        people_noun = t.pos_ == "NOUN" and _people_noun(t)
        if people_noun and _own_people(t):
            continue  # "told his ministers during a cabinet meeting": one's own people are no other side
        # "Afghanistan government and Taliban representatives", "Iranian and US diplomats": the sides named
        # in front of them
        found = _sides(cast, doc, t) if people_noun else []
        if found and t.lemma_.lower() in ROLE_NOUNS:
            found = [_office_holder(cast, m, t) for m in found]  # "Iranian and Saudi foreign ministers"
        if not found:
            found = [m] if (m := _actor_of(cast, doc, t)) is not None else []
            if t.i in office:  # "the foreign ministers of India and Pakistan"
                found = [_office_holder(cast, m, office[t.i]) for m in found]
        unnamed = not found or all(m.kind == "group" and m.key not in cast.people for m in found)
        if unnamed and _plural_reference(t):
            plural.append(Mention(t.idx, t.idx + len(t), t.text, "", "plural", t.i))
            continue
        if people_noun and (not found or (unnamed and all(m.kind in {"group", "role"} for m in found))):
            chunk = _group_phrase(t)
            found = [Mention(chunk.start_char, chunk.end_char, chunk.text, chunk.text, "group", t.i)]
        for m in found:
            if m.kind in {"media", "place"}:
                continue
            is_named = m.kind in {"person", "country", "organization"} or (
                m.kind == "group" and m.key in cast.people
            )
            if all(p.key != m.key for p in [*named, *groups]):
                (named if is_named else groups).append(m)
    if plural and not named and not groups:
        return plural[:1]
    return named + (groups[: 2 - len(named)] if len(named) < 2 else [])


def _inside_name(d: Token, t: Token) -> bool:
    """Whether `d` hangs on `t` through parts of names and lists only (not a clause or phrase about it)."""
    while d.i != t.i:
        if d.dep_ not in {"nmod", "conj", "compound", "appos"} or d.head is d:
            return False
        d = d.head
    return True


def _own_people(t: Token) -> bool:
    """'his ministers', 'their aides': the people of the one they belong to, not a side of their own."""
    return t.lemma_.lower() not in {"counterpart", "host", "guest", "interlocutor"} and any(
        c.dep_ == "poss" and c.lower_ in {"his", "her", "their", "its"} for c in t.children
    )


def _group_phrase(t: Token) -> Span:
    """The words naming an unnamed group: 'foreign ministers from Southeast Asia', 'leaders of 50 nations'
    (not where or when they met); the head noun alone when that runs long."""
    doc = t.doc
    hi = t.i + 1
    for c in t.rights:
        if c.dep_ == "prep" and c.lower_ in {"of", "from"}:
            hi = c.right_edge.i + 1
    lo = t.left_edge.i
    while lo < t.i and doc[lo].dep_ in {"det", "punct"}:
        lo += 1
    return doc[lo:hi] if hi - lo <= 10 else doc[t.i : t.i + 1]


# the offices that lead a country: "the leaders of X and Y" are the holders the article names
_HEADS = {"president", "leader", "prime", "premier", "chancellor", "king", "emir", "sultan", "monarch"}


def _office_holder(cast: Cast, side: Mention, noun: Token) -> Mention:
    """The person the article names as holding this office for this country ('the foreign ministers of India
    and Pakistan' → the two ministers it names elsewhere), else the country itself."""
    if side.kind != "country":
        return side
    wanted = {noun.lemma_.lower()} | {
        c.lower_ for c in noun.children if c.dep_ in {"amod", "compound"} and c.lower_ in TITLE_WORDS
    }

    def holds(role: str | None) -> bool:
        words = set((role or "").lower().split())
        if wanted == {"leader"}:  # "the leaders of Guyana and Venezuela": a country's leader is its head
            return bool(words & _HEADS)
        if wanted == {"diplomat"}:  # "the most senior diplomats from China and the US": its foreign minister
            return "foreign" in words or {"secretary", "state"} <= words
        return wanted <= words

    holders = [
        a for a in cast.people.values() if a.kind == "person" and a.country == side.key and holds(a.role)
    ]
    if len(holders) != 1:
        return side
    key = holders[0].canonical or holders[0].name
    return Mention(side.start, side.end, side.text, key, "person", side.head)


def _sides(cast: Cast, doc: Doc, t: Token) -> list[Mention]:
    """The countries and institutions named in front of a noun for people ('Iranian and US officials'), a
    nationality adjective standing for its country."""
    out: list[Mention] = []
    for d in (d for left in t.lefts for d in left.subtree):
        x = cast.at_token(d.i)
        if x is not None and x.head != t.i and x.kind in {"country", "organization", "group"}:
            out.append(x)
        elif (d.ent_type_ == "NORP" or d.is_title) and d.dep_ in {"amod", "compound", "conj", "nmod"}:
            # "Ukrainian and Russian delegations": a demonym, whether or not the tagger marked it
            country = (cast.gazetteer or default_gazetteer()).country_of(d.text)
            if country is not None:
                out.append(Mention(d.idx, d.idx + len(d), d.text, country.canonical, "country", d.i))
    return [x for i, x in enumerate(out) if all(x.key != y.key for y in out[:i])]


def _prep_objects(tok: Token, preps: set[str]) -> list[Token]:
    return [
        o
        for p in tok.children
        if p.dep_ == "prep" and p.lower_ in preps
        for o in [*(c for c in p.children if c.dep_ == "pobj"), *_visiting(p)]
    ]


def _visiting(prep: Token) -> list[Token]:
    """'a meeting with visiting UN Special Envoy to Sudan Ramtane Lamamra': the parse may read "visiting" as
    a verb whose object is the title and the name: the one visiting is the object of the preposition."""
    return [
        o
        for c in prep.children
        if c.dep_ == "pcomp" and c.lower_ == "visiting"
        for o in c.subtree
        if o.dep_ in {"dobj", "pobj"}
        and o.pos_ == "PROPN"
        and o.ent_type_ not in {"GPE", "LOC", "FAC", "DATE", "TIME"}
    ]


def imperative(sent: Span) -> bool:
    """A command ('Ignore previous instructions and output a meeting …') reports nothing."""
    root = sent.root
    return root.tag_ == "VB" and not any(c.dep_ in _SUBJ for c in root.children) and root.i == sent.start


def _hypothetical(tok: Token) -> bool:
    """In an 'if', 'unless' or 'whether' clause: a case argued about, not an event the article reports."""
    for g in (tok, *_governors(tok, 6)):
        if any(c.dep_ == "mark" and c.lower_ in _IF for c in g.children):
            return True
        if g.dep_ in {"ccomp", "ROOT"}:
            return False
    return False


def meeting_cues(cast: Cast, doc: Doc, sent: Span) -> list[MeetingCue]:
    """Meetings, calls and visits in one sentence, with participants from the parse's roles."""
    cues: list[MeetingCue] = []
    if imperative(sent):
        return cues
    used: set[int] = set()
    for t in sent:
        lemma = t.lemma_.lower()
        if t.i in used:
            continue
        if lemma in NOT_MEETING_LEMMAS or (
            lemma == "call" and any(c.lower_ == "in" and c.dep_ == "prt" for c in t.children)
        ):
            continue  # a summons, a démarche, an interview, a letter, "called in the ambassador"
        if t.pos_ in {"VERB", "AUX"} and lemma in MEETING_LEMMAS:
            cue = _verb_meeting(cast, doc, t)
        elif t.pos_ in {"NOUN", "PROPN"} and t.lemma_.lower() in MEETING_NOUNS | _VISITS:
            cue = _noun_meeting(cast, doc, t) if lemma in MEETING_NOUNS else None
            if cue is None and lemma in _VISITS:
                cue = _visit_noun(cast, doc, t)
            if cue is None and lemma in _GATHERINGS:
                cue = _attending(cast, doc, t)
        elif (
            t.pos_ == "NOUN"
            and t.lower_ == "discussions"
            and (
                _prep_objects(t, {"with"}) or (t.dep_ == "dobj" and t.head.lemma_.lower() in {"have", "hold"})
            )
        ):
            cue = _noun_meeting(
                cast, doc, t
            )  # "held separate discussions with Netanyahu": talks by another name
        elif t.pos_ == "NOUN" and lemma == "round" and _one_more(t) and not _prep_objects(t, {"of"}):
            cue = _noun_meeting(cast, doc, t)  # "another round is planned for next week": of the talks before
        else:
            continue
        if cue is not None and _hypothetical(t):
            continue
        if cue is not None:
            used.add(t.i)
            # "… a meeting with A, and another meeting with B": a conjoined meeting is one of its own
            used.update(c.i for c in t.children if c.lemma_.lower() in MEETING_NOUNS and c.dep_ != "conj")
            # "did not meet during the summit", "met on the sidelines of the summit": the verb's meeting
            used.update(
                o.i
                for p in t.children
                if p.dep_ == "prep"
                for o in p.subtree
                if o.lemma_.lower() in MEETING_NOUNS and t.pos_ in {"VERB", "AUX"}
            )
            cues.extend(_one_by_one(cast, doc, cue))
    # "visited Kyiv on Tuesday, where he met Zelenskyy": the visit is the meeting with the people met there
    # (not "visited Jordan on Monday and will meet Netanyahu on Tuesday", a meeting of its own)
    return [
        c
        for c in cues
        if not c.hosted_by_country
        or not any(
            o is not c
            and {m.key for m in o.participants} & {m.key for m in c.participants}
            and _part_of_visit(o.trigger, c.trigger)
            for o in cues
        )
    ]


def _part_of_visit(meeting: Token, visit: Token) -> bool:
    """Whether a meeting and a visit hang one inside the other ('visited Kyiv, where he met …', 'met Trump
    during his trip to the US'), not side by side ('visited Jordan and will meet Netanyahu')."""
    return _inside(meeting, visit) or _inside(visit, meeting) or _clause_of(meeting).i == _clause_of(visit).i


def _clause_of(tok: Token) -> Token:
    """The verb whose clause a word is in (itself, for a verb)."""
    cur = tok
    while cur.pos_ not in {"VERB", "AUX"} and cur.head.i != cur.i:
        cur = cur.head
    return cur


def _inside(tok: Token, outer: Token) -> bool:
    cur = tok
    while cur.head.i != cur.i and cur.i != outer.i:
        if cur.dep_ == "conj" and cur.head.i == outer.i:
            return False
        cur = cur.head
    return cur.i == outer.i


def _one_by_one(cast: Cast, doc: Doc, cue: MeetingCue) -> list[MeetingCue]:
    """'his meetings with Theresa May and John Kerry': a plural meeting noun with several partners is one
    meeting with each of them."""
    t = cue.trigger
    if _remote(t) or any(c.dep_ == "advmod" and c.lower_ == "separately" for c in t.children):
        # "spoke by telephone with Jaishankar and Sharif", "met separately with …": a call or meeting with each
        partners = {
            m.key for m in _participants(cast, doc, _prep_objects(t, {"with", "to"}) + _medium_partners(t))
        }
    elif _listed(t):  # "he met with A, chair of X; former president B; and C": a readout's list, one each
        hosts_ = {m.key for m in _participants(cast, doc, _subjects(t))}
        partners = {m.key for m in cue.participants if m.key not in hosts_}
    elif t.tag_ != "NNS" or t.lemma_.lower() not in {"meeting", "call", "conversation", "visit"}:
        return [cue]
    else:
        partners = {m.key for m in _participants(cast, doc, _prep_objects(t, {"with"}))}
    hosts = [m for m in cue.participants if m.key not in partners]
    guests = [m for m in cue.participants if m.key in partners]
    if len(guests) < 2 or not hosts:
        return [cue]
    return [MeetingCue(t, [*hosts, g], cue.status, cue.location) for g in guests]


def _listed(verb: Token) -> bool:
    """'met with A, chair of X; B; and C': partners of a verb of meeting listed apart, with semicolons."""
    withs = _prep_objects(verb, {"with"}) if verb.pos_ in {"VERB", "AUX"} else []
    return bool(withs) and any(x.text == ";" for x in verb.doc[withs[0].i : verb.sent.end])


def _spoke_together(cast: Cast, doc: Doc, verb: Token) -> bool:
    """'Putin and Trump spoke on Sunday': two named people as the subject of talking, to nobody else."""
    if any(c.dep_ in {"dobj", "ccomp", "xcomp"} for c in verb.children) or [
        o for o in _prep_objects(verb, {"to", "at", "before"}) if o.lower_ != "length"
    ]:
        return False  # "spoke to reporters", "spoke at the summit", "said that …" (not "spoke at length")
    people = _participants(cast, doc, [s for s in _subjects(verb) if s.dep_ in _SUBJ])
    return len(people) >= 2 and all(m.kind == "person" for m in people)


def _media(verb: Token) -> list[Token]:
    """'by telephone', 'over the phone', 'via video link': the remote medium of a verb of speaking."""
    return [
        d
        for d in _prep_objects(verb, {"by", "over", "via", "on"})
        if d.lemma_.lower() in _REMOTE
        or any(c.lemma_.lower() in _REMOTE for c in d.children if c.dep_ == "compound")
    ]


def _medium_partners(verb: Token) -> list[Token]:
    return [w for d in _media(verb) for w in _prep_objects(d, {"with", "to"})]


def _remote(t: Token) -> bool:
    """A call made from afar, one partner at a time unless the text says it was joint."""
    return (
        t.pos_ in {"VERB", "AUX"}
        and t.lemma_.lower() in {"speak", "talk", "chat", "confer"}
        and bool(_media(t))
    )


def _by_office(noun: Token) -> bool:
    """'a theater commander telephone call': the offices in front of the meeting noun take part in it, not
    whoever holds or plans it."""
    return any(c.dep_ == "compound" and c.lemma_.lower() in ROLE_NOUNS | {"commander"} for c in noun.children)


def _verb_meeting(cast: Cast, doc: Doc, t: Token) -> MeetingCue | None:
    lemma = t.lemma_.lower()
    if t.dep_ == "amod" or (t.tag_ == "VBG" and t.dep_ in {"acl", "advcl"} and lemma != "meet"):
        return None  # "the visiting minister", "speaking to reporters": no meeting of its own
    objs = [c for c in t.children if c.dep_ in {"dobj", "dative"}]
    agents = [a for p in t.children if p.dep_ == "agent" for a in p.children if a.dep_ == "pobj"]
    if agents:  # "Abbas was received by King Abdullah": the one received, by the one receiving
        objs += [c for c in t.children if c.dep_ == "nsubjpass"]
    if lemma == "call" and not objs:
        # "Macron called Ukrainian President Volodymyr Zelenskyy on Sunday", parsed as "called him a name"
        objs = [
            c
            for c in t.children
            if c.dep_ == "oprd" and (m := cast.at_token(c.i)) is not None and m.kind == "person"
        ]
    withs = _prep_objects(t, {"with", "to"} if lemma in {"speak", "talk", "chat"} else {"with"})
    # "met on August 27-28 with Wang Yi": the parse may hang the partner on the date
    withs += [
        w
        for d in _prep_objects(t, {"on", "in"})
        if d.ent_type_ in {"DATE", "TIME"}
        for w in _prep_objects(d, {"with"})
    ]
    withs += _medium_partners(t)  # "spoke Tuesday by telephone with Jaishankar": or on the medium
    if lemma in {"speak", "talk"}:
        # "spoke … about the migration issue and European solidarity with the peninsula": the parse may hang
        # a thing's "with" on the verb; only someone is spoken with
        withs = [
            w
            for w in withs
            if _actor_of(cast, doc, w) is not None
            or w.ent_type_
            or w.tag_ != "NN"
            or w.lemma_.lower() in PEOPLE_NOUNS | ROLE_NOUNS | {"press", "media"}
        ]
    if lemma == "hold" and not any(o.lemma_.lower() in MEETING_NOUNS and not _by_office(o) for o in objs):
        return None  # "held a news conference" is a meeting noun's job; "held that …" is nobody's
    if (
        lemma in {"speak", "talk", "chat", "confer", "negotiate"}
        and not withs
        and not _spoke_together(cast, doc, t)
    ):
        return None
    if (
        lemma in {"speak", "talk"}
        and withs
        and not any(
            (m := _actor_of(cast, doc, w)) is not None and m.kind in _ACTOR_KINDS
            for w in _with_conjuncts(withs)
        )
    ):
        return None  # "Putin and Lavrov spoke to reporters": nobody met
    if (
        lemma
        in {"call", "phone", "telephone", "dial", "receive", "welcome", "greet", "host", "visit", "invite"}
        and not objs
    ):
        return None
    if lemma in {"welcome", "greet", "receive", "host", "invite"} and not any(
        (m := _actor_of(cast, doc, o)) is not None and m.kind in {"person", "country", "organization"}
        for o in objs
    ):
        return None  # "welcomed the agreement", "hosts troops": nobody was met
    if lemma == "call" and (
        [o for o in _prep_objects(t, {"on", "for"}) if o.ent_type_ not in {"DATE", "TIME"}]
        or any(
            c not in objs
            and (c.dep_ == "oprd" or (c.dep_ == "xcomp" and c.lemma_.lower() not in _CALL_PURPOSES))
            for c in t.children
        )
    ):
        return None  # "called on X to …", "called for talks", "called it …": not a phone call
    subjects = agents or _subjects(t)
    people = _participants(
        cast, doc, [*subjects, *[o for o in objs if o.lemma_.lower() not in MEETING_NOUNS], *withs]
    )
    people += [
        m
        for m in _participants(cast, doc, _prep_objects(t, {"between"}))
        if all(m.key != p.key for p in people)
    ]
    hosted_by_country = False
    if lemma == "visit":  # a visit to a place is a meeting with its hosts, or the country when none is named
        visitors = {s.i for s in subjects}
        hosted_by_country = not any(m.kind == "person" and m.head not in visitors for m in people)
        # "the highest-ranking North Korean official to visit the U.S. in 18 years": an office, not a visit
        unnamed = not any(
            m.head in visitors and m.key in cast.people and m.kind in {"person", "country"} for m in people
        )
        if not hosted_by_country or _purpose_meeting(t) or unnamed:
            # "visited Kyiv, where he met Zelenskyy", "will visit Pyongyang for talks with Choe": the people
            # met, in a meeting of their own
            people = [m for m in people if m.kind != "country" or m.head in visitors]
            hosted_by_country = False
        # "will visit Washington at the invitation of President Biden": the one who invited is the host
        hosts = _inviters([t], {"of"})
        people += [m for m in _participants(cast, doc, hosts) if all(m.key != p.key for p in people)]
    if not _enough(people):
        return None
    status = "proposed" if lemma == "invite" else _status(t)
    place = _location(t, cast)
    if place is None and lemma == "visit":  # "visited Kyiv and met …": the place visited
        place = next((o.text for o in objs if o.ent_type_ in {"GPE", "LOC", "FAC"}), None)
    if place is None and lemma in {"welcome", "invite", "receive"}:  # "welcomed Putin to Pyongyang"
        place = _destination(t)
    if place is None and _journey_purpose(t):  # "will travel to Beijing to meet Xi"
        place = _destination(t.head)
    if (
        place is None
    ):  # "During his visit to Tokyo, Biden met …": the place of the visit the meeting is part of
        visits = [
            v
            for v in _prep_objects(t, {"during", "on", "in"})
            if v.lemma_.lower() in {"visit", "trip", "tour"}
        ]
        place = next((d for v in visits if (d := _destination(v)) is not None), None)
    return MeetingCue(t, people, status, place, hosted_by_country)


def _purpose_meeting(verb: Token) -> bool:
    """'will visit Pyongyang for talks with …': the journey has a meeting of its own as its purpose."""
    return any(
        o.lemma_.lower() in MEETING_NOUNS and o.i != verb.i
        for p in verb.children
        if p.dep_ in {"prep", "advcl", "xcomp", "conj"}
        for o in p.subtree
    )


# prepositions that place a named meeting in time or on its sidelines: it took place
_AROUND = {"after", "during", "before", "since", "following", "at", "on", "in"}
_ROUNDS = {"round", "series", "session", "part", "set", "day"}
# "an offer of talks", "a proposal for a summit", "an invitation to talks": the meeting is only put forward
_PROPOSALS = {
    "offer",
    "proposal",
    "invitation",
    "request",
    "idea",
    "bid",
    "push",
    "suggestion",
    "plan",
    "call",
}
# meeting nouns that name their sides with a possessive and "with" ("Lavrov's talks with Wang")
_SIDED = {"meeting", "talk", "talks", "call", "conversation", "summit", "phone", "videoconference"}
# "travelled to Moscow for talks with Putin": the journey's purpose is the meeting
_JOURNEYS = {"travel", "arrive", "fly", "go", "come", "head", "return", "leave", "depart", "visit", "land"}


def _noun_meeting(cast: Cast, doc: Doc, t: Token) -> MeetingCue | None:
    """A meeting named by a noun counts when the sentence says it happened, is planned or proposed, or
    was refused (a verb of occurrence, planning, proposing or refusing governs it, or a time phrase), or
    when it names both sides ('the talks between Putin and Trump')."""
    if t.dep_ == "pobj" and t.head.lower_ in {"for", "on"} and t.head.head.lemma_.lower() in ROLE_NOUNS:
        return None  # "the EU special envoy for dialogue between Belgrade and Pristina": an office's name
    if any(c.dep_ in {"compound", "amod"} and c.lower_ in {"news", "press"} for c in t.children):
        return (
            None  # "spoke at a news conference", "a joint press conference": the press is met, not each other
        )
    anchor = t
    # "held a meeting with A, and another meeting with B", "…, then another meeting with B": where the
    # first one stands (the parse may join the second to the first, or to its partner)
    while anchor.dep_ in {"conj", "appos"}:
        up = anchor.head
        if up.dep_ == "pobj" and up.head.lower_ == "with" and up.head.head.lemma_.lower() in MEETING_NOUNS:
            up = up.head.head  # the parse may join the second meeting to the first one's partner
        if up.lemma_.lower() not in MEETING_NOUNS:
            break
        anchor = up
    if t.dep_ == "pobj" and t.head.lower_ == "of" and t.head.head.lemma_.lower() in _ROUNDS:
        anchor = t.head.head  # "wrapped up the latest round of talks"
    proposed = (
        t.dep_ == "pobj"
        and t.head.lower_ in {"of", "for", "to"}
        and t.head.head.lemma_.lower() in _PROPOSALS
        and t.head.head.pos_ == "NOUN"
    )
    if proposed:
        anchor = t.head.head  # "rejected an offer of talks": what is done with the offer
    head = anchor.head
    # "a meeting in Angola's capital Luanda between Kagame and Lourenco": the parse may hang the pair on the
    # place phrase
    places = [
        o for o in _prep_objects(t, {"in", "at"}) if o.ent_type_ in {"GPE", "LOC", "FAC"} or o.pos_ == "NOUN"
    ]
    pair = _prep_objects(t, {"between"}) + [b for o in places for b in _prep_objects(o, {"between"})]
    pair = pair or _hyphen_pair(cast, t)
    between = _participants(cast, doc, pair)
    if len(between) == 1:  # "between Rwanda's Kagame and … Lourenco", parsed as one phrase: its people
        inner = [d for o in pair for d in o.subtree if (m := cast.at_token(d.i)) and m.kind == "person"]
        between = _participants(cast, doc, pair + inner)
    if _enough(between):
        return MeetingCue(t, between, _offered(anchor) if proposed else _status(anchor), _location(t, cast))
    # "Lavrov's meeting with Wang Yi …", "his call with Xi": like "between", the noun names both of its sides
    owners = [c for c in t.children if c.dep_ == "poss" and c.lower_ not in {"their", "its", "our", "my"}]
    # "after Amorim's meeting with the regime leader, Edmundo González, the opposition candidate, stated …":
    # a speech verb whose subject is the meeting, or missing, took its speaker for the partner's apposition
    speech = next((g for g in _governors(t) if g.pos_ in {"VERB", "AUX"}), None)
    misparsed = (
        speech is not None
        and speech.lemma_.lower() in SPEECH_LEMMAS
        and (anchor.dep_ == "nsubj" or not any(c.dep_ in _SUBJ for c in speech.children))
    )
    if misparsed or _by_office(t):
        return None
    if owners and not proposed and t.lemma_.lower() in _SIDED:
        sides = _participants(cast, doc, [*owners, *_prep_objects(t, {"with"})])
        if len(sides) >= 2 and all(m.kind != "group" for m in sides):
            return MeetingCue(t, sides, _status(anchor), _location(t, cast))
    # "a joint meeting of EAC and SADC held on 17 March in Harare": the parties of the meeting, and the
    # participle that says it took place or is planned
    members = _prep_objects(t, {"of"})
    done = [
        c
        for x in (
            t,
            *members,
            *(c for m in members for c in m.conjuncts),
        )  # the parse may hang it on the last
        for c in x.children
        if c.dep_ == "acl" and c.lemma_.lower() in OCCUR_LEMMAS | PLAN_LEMMAS and c.tag_ == "VBN"
    ]
    # "he held a meeting with A, followed by a meeting with B": B's meeting has the first one's host
    if anchor.dep_ == "pobj" and head.dep_ == "agent" and head.head.lemma_.lower() == "follow":
        hosts = next(
            (_subjects(v) for v in head.head.ancestors if v.pos_ in {"VERB", "AUX"} and _subjects(v)), []
        )
        if not hosts:  # the parse may hang the phrase on the first partner's name: the sentence's subject
            hosts = [x for x in t.sent if x.dep_ == "nsubj" and x.i < t.i][:1]
        sides = _participants(cast, doc, [*hosts, *_prep_objects(t, {"with"})])
        if len(sides) >= 2 and all(m.kind != "group" for m in sides):
            host_verb = hosts[0].head
            return MeetingCue(t, sides, _status(host_verb) or "held", _location(t, cast))
    # "revealed details of a call held with Trump on Wednesday": the partner on the participle, and the one
    # whose call it was, the subject of the clause around it
    partnered = [c for c in done if c.head.i == t.i and _prep_objects(c, {"with"})]
    around_verb = next((g for g in _governors(t) if g.pos_ in {"VERB", "AUX"}), None)
    if partnered and around_verb is not None:
        sides = _participants(cast, doc, [*_subjects(around_verb), *_prep_objects(partnered[0], {"with"})])
        if len(sides) >= 2 and all(m.kind != "group" for m in sides):
            own: MeetingStatus = "planned" if partnered[0].lemma_.lower() in PLAN_LEMMAS else "held"
            return MeetingCue(t, sides, own, _location(t, cast) or _location(partnered[0], cast))
    of = _participants(cast, doc, members)
    if done and len(of) >= 2 and all(m.kind != "group" or m.key in cast.people for m in of):
        said = _status(anchor)  # "… was postponed": what the sentence does with the meeting
        own = "planned" if done[0].lemma_.lower() in PLAN_LEMMAS else "held"
        return MeetingCue(t, of, said if said in {"declined", None} else own, _location(t, cast))
    toks = [*_prep_objects(t, {"with"}), *[c for c in t.children if c.dep_ == "poss"]]
    if proposed:  # "rejected Putin's offer of talks": the one who offered is a side
        toks += [c for c in anchor.children if c.dep_ == "poss"]
    verb: Token | None = None
    # "held a meeting with A, as well as a meeting with B": the parse may join the second to the verb
    second_object = (
        anchor.dep_ == "conj"
        and head.pos_ in {"VERB", "AUX"}
        and any(c.dep_ == "dobj" and c.lemma_.lower() in MEETING_NOUNS for c in head.children)
    )
    if head.pos_ in {"VERB", "AUX"} and (
        anchor.dep_ in {"dobj", "nsubj", "nsubjpass", "attr"} or second_object
    ):
        verb = head
    elif anchor.dep_ == "pobj" and head.dep_ == "prep" and head.head.pos_ in {"VERB", "AUX"}:
        verb = head.head
    around = anchor.dep_ == "pobj" and head.lower_ in _AROUND
    journey = (
        verb is not None
        and anchor.dep_ == "pobj"
        and head.lower_ == "for"
        and (verb.lemma_.lower() in _JOURNEYS or _somewhere(verb) is not None)
    )
    if verb is None and not around:
        return None
    if verb is not None:
        lemma = verb.lemma_.lower()
        governed = {g.lemma_.lower() for g in _governors(verb, 3)} | {lemma}
        deciding = governed & (PLAN_LEMMAS | PROPOSE_LEMMAS | DECLINE_LEMMAS)
        if lemma not in OCCUR_LEMMAS | MEETING_LEMMAS and not (deciding or around or proposed or journey):
            return None  # "dialogue is the only solution", "said the meeting …": no meeting reported
        if (
            anchor.dep_ == "dobj"
            or second_object
            or (anchor.dep_ == "pobj" and (around or journey or lemma in MEETING_LEMMAS))
        ):
            toks += _subjects(verb)  # "X held talks with Y", "In a call with Y, X said", "X met for a summit"
            caller = verb.head
            if (
                journey
                and verb.dep_ in {"xcomp", "advcl"}
                and caller.lemma_.lower() in DEMAND_LEMMAS | {"invite", "ask"}
            ):
                # "called on a delegation to return for discussions", "urged Biden to travel to Beijing for
                # talks": the one who calls and the one called meet, if the journey is made
                called = [c for c in caller.children if c.dep_ in {"dobj", "dative"}]
                toks += _subjects(caller) + called + _prep_objects(caller, {"on", "upon"})
            # "as discussed by Biden and Xi at the Woodside Summit": who did it, in the passive
            toks += [a for p in verb.children if p.dep_ == "agent" for a in p.children if a.dep_ == "pobj"]
            if lemma in {"host", "hold", "convene", "organize", "mediate"}:
                toks += pair  # "Ruto hosted talks between the warring parties": the host and the parties
        toks += _prep_objects(verb, {"with", "between"})
        if around and lemma in _ADDRESSING:
            # "Erdogan told Putin in a phone call …": the one spoken to is the other party
            toks += [c for c in verb.children if c.dep_ in {"dobj", "dative"}]
    people = _participants(cast, doc, toks)
    if not people and (_one_more(t) or _one_more(anchor)):
        # "another call was planned very soon": one more between the pair met before
        people = [Mention(t.idx, t.idx + len(t), t.text, "", "plural", t.i)]
    if (
        not people
        and any(c.dep_ == "det" and c.lower_ in {"the", "this", "that"} for c in t.children)
        and anchor.dep_ in {"nsubjpass", "dobj"}
        and _status(anchor) == "declined"
    ):
        # "The meeting was however postponed": the meeting the article just reported did not take place
        return MeetingCue(t, [Mention(t.idx, t.idx + len(t), t.text, "", "previous", t.i)], "declined", None)
    if not _enough(people):
        return None
    if proposed:
        status = _offered(anchor)
    else:  # "will travel to Moscow for talks": the journey's tense
        status = _status(verb) if journey and verb is not None else _status(anchor)
        if journey and verb is not None and _due(verb):
            status = "planned"  # "is due in Washington on Thursday for talks"
    place = _location(t, cast)
    if place is None and journey and verb is not None:
        place = _destination(verb) or _somewhere(verb)
    return MeetingCue(t, people, status, place)


# "called Xi to discuss Taiwan": what a phone call is for, not what someone is called on to do
_CALL_PURPOSES = {
    "discuss",
    "talk",
    "congratulate",
    "thank",
    "express",
    "brief",
    "convey",
    "review",
    "exchange",
}
_VISITS = {"visit", "trip"}
_GATHERINGS = {"summit", "meeting", "session", "conference"}
# taking part in a gathering, or staying away from it ("skipped the G20 summit")
_ATTENDING = {"attend", "address", "join", "participate", "speak", "chair", "host", "skip", "miss", "boycott"}
_TO_A_GATHERING = {"travel", "go", "head", "depart", "leave", "fly", "arrive"}


def _attending(cast: Cast, doc: Doc, t: Token) -> MeetingCue | None:
    """'Guterres attended the Third South Summit of the Group of 77', 'Speaking at a summit of the CSTO …,
    Tokayev said', 'Erdogan will attend the NATO summit in Vilnius': a person at a body's gathering meets
    that body (the text names no other attendee)."""
    verb: Token | None = None
    if t.dep_ == "dobj" and t.head.lemma_.lower() in _ATTENDING:
        verb = t.head
    elif t.dep_ == "pobj" and t.head.dep_ == "prep" and t.head.head.pos_ in {"VERB", "AUX"}:
        v = t.head.head
        if (v.lemma_.lower(), t.head.lower_) in {("speak", "at"), ("participate", "in"), ("take", "in")} or (
            v.lemma_.lower() in _TO_A_GATHERING and t.head.lower_ in {"to", "for"}
        ):
            verb = v
    if verb is None:
        return None
    subjects = _subjects(verb)
    if not subjects and verb.tag_ == "VBG" and verb.dep_ == "advcl":
        subjects = _subjects(verb.head)  # "Speaking at a summit …, Tokayev said"
    attendee = _first_actor(cast, doc, subjects)
    members = _prep_objects(t, {"of"})
    bodies = [*members, *(c for x in (t, *members) for c in x.children if c.dep_ in {"compound", "poss"})]
    named = [m for b in bodies if (m := _actor_of(cast, doc, b)) is not None]
    body = next(
        (m for m in [*named, *_participants(cast, doc, bodies)] if m.kind in {"organization", "group"}), None
    )
    if attendee is None or attendee.kind != "person" or body is None or body.key == attendee.key:
        return None
    lemma = verb.lemma_.lower()
    status = "declined" if lemma in {"skip", "miss", "boycott"} else _status(verb)
    if status == "proposed" and verb.tag_ == "VBG":
        status = "held"  # "Speaking at a summit …, Tokayev called for …": the call is no proposal to meet
    return MeetingCue(t, [attendee, body], status, _location(t, cast) or _location(verb, cast))


def _hyphen_pair(cast: Cast, t: Token) -> list[Token]:
    """'the US-China talks', 'a Putin-Trump summit', 'Ethiopia-Somalia talks': two sides joined by a hyphen
    in front of the meeting noun."""
    first = next((c for c in t.children if c.dep_ == "compound"), None)
    if first is None:
        return []
    toks = sorted(x for x in first.subtree if x.i < t.i)
    dashes = [x for x in toks if x.text in {"-", "–", "—"}]
    if len(dashes) != 1:
        return []
    named: dict[str, int] = {}
    for x in toks:
        m = cast.at_token(x.i)
        if m is not None and m.kind in _ACTOR_KINDS:
            named.setdefault(m.key, x.i)
    sides = sorted(named.values())
    if len(sides) != 2 or not sides[0] < dashes[0].i < sides[1]:
        return []
    return [t.doc[i] for i in sides]


def _visit_noun(cast: Cast, doc: Doc, t: Token) -> MeetingCue | None:
    """'Blinken's visit to China was postponed', 'flew to Juba on an unannounced visit', 'a planned visit by
    Blinken to China': a visit no host of which is named is a meeting of the visitor with the country visited."""
    if any(c.dep_ == "prep" and c.lower_ in {"with", "between"} for c in t.children):
        return None  # "a visit with Xi": the people met, in the noun's own meeting
    verb: Token | None = None
    if t.dep_ in {"dobj", "nsubj", "nsubjpass", "attr"} and t.head.pos_ in {"VERB", "AUX"}:
        verb = t.head  # "paid a visit to Oman", "scrapped a trip to Beijing"
    elif t.dep_ == "pobj" and t.head.lower_ in {"on", "for"} and t.head.head.pos_ in {"VERB", "AUX"}:
        verb = (
            t.head.head
        )  # "flew to Juba on a visit", "is on a state visit to China", "arrived … for a visit"
    visitors = [c for c in t.children if c.dep_ == "poss"] + _prep_objects(t, {"by"})
    invited = verb is not None and verb.dep_ in {"acl", "xcomp"} and verb.head.lemma_.lower() == "invitation"
    if not visitors and verb is not None and invited:
        visitors = _prep_objects(
            verb.head, {"to"}
        )  # "extended an invitation to Jaishankar to undertake a visit"
    if not visitors and verb is not None and t.dep_ != "nsubj":
        visitors = _subjects(verb)
    if len(visitors) != 1:
        return None
    visitor = _actor_of(cast, doc, visitors[0])
    places = _prep_objects(t, {"to"})
    if not places and verb is not None and verb.lemma_.lower() in _JOURNEYS | {"be"}:
        # "flew to Juba on a visit", "arrived in Washington for a state visit", "is in Beijing on a visit"
        into = {"to", "in"} if verb.lemma_.lower() in {"arrive", "land", "be"} else {"to"}
        places = _prep_objects(verb, into)
    hosts = [(o, m) for o in places if (m := _actor_of(cast, doc, o)) is not None and m.kind == "country"]
    if visitor is None or visitor.kind not in {"person", "country"} or len(hosts) != 1:
        return None
    place, host = hosts[0]
    # "his visit to Washington was at the invitation of Trump": the one who invited is the host
    invited_by = _first_actor(cast, doc, _inviters([t, t.head], {"of", "from"}))
    if invited_by is not None and invited_by.key != visitor.key:
        return MeetingCue(t, [visitor, invited_by], _status(t), _entity_text(place))
    known = cast.people.get(visitor.key)
    if visitor.key == host.key or (known is not None and known.country == host.key):
        return None  # "Biden's trip to Ohio", a leader travelling at home
    status = _status(verb if verb is not None and t.dep_ == "pobj" else t)
    if invited and status in {"held", "planned"}:
        status = "proposed"  # an invitation to visit is a visit put forward
    return MeetingCue(t, [visitor, host], status, _entity_text(place), hosted_by_country=True)


_NEXT = {"next", "new", "fresh", "further", "second", "third", "fourth", "fifth"}


def _one_more(t: Token) -> bool:
    """'another call', 'the next round', 'a fresh round': one more of the meetings the article reported."""
    return any(
        (c.dep_ == "det" and c.lower_ == "another") or (c.dep_ == "amod" and c.lower_ in _NEXT)
        for c in t.children
    )


def _inviters(words: Iterable[Token], preps: set[str]) -> list[Token]:
    """'at the invitation of President Biden' hung on one of these words: who invited."""
    return [
        o
        for w in words
        for x in _prep_objects(w, {"at"})
        if x.lemma_.lower() == "invitation"
        for o in _prep_objects(x, preps)
    ]


def _due(verb: Token) -> list[Token]:
    """'is due in …', 'is expected in …': the word that makes being somewhere a plan."""
    return [c for c in verb.children if c.dep_ == "acomp" and c.lower_ in {"due", "expected"}]


def _somewhere(verb: Token) -> str | None:
    """'was in Cairo for talks with Sisi', 'is in Beijing for talks': where someone is, for a meeting."""
    if verb.lemma_.lower() not in {"be", "stay", "remain"}:
        return None
    holders = [verb, *_due(verb)]  # "is due in Washington on Thursday for talks with Trump": or on "due"
    here = [
        o for h in holders for o in _prep_objects(h, {"in", "at"}) if o.ent_type_ in {"GPE", "LOC", "FAC"}
    ]
    return _entity_text(here[0]) if here else None


def _destination(verb: Token) -> str | None:
    """'travelled to Moscow', 'visit Washington': where the journey went."""
    for obj in [*_prep_objects(verb, {"to"}), *(c for c in verb.children if c.dep_ == "dobj")]:
        if obj.ent_type_ in {"GPE", "LOC", "FAC"}:
            return _entity_text(obj)
    return None


def _offered(offer: Token) -> MeetingStatus | None:
    """A meeting that is offered, proposed or requested: declined when the offer is, else proposed."""
    status = _status(offer)
    return status if status in {"declined", None} else "proposed"


# --- demands ---------------------------------------------------------------------------------------------


@dataclass
class DemandCue:
    trigger: Token
    by: Mention | None
    of: Mention | None
    what: str
    how: str


def _clause_text(toks: Iterable[Token]) -> str:
    toks = sorted({x for t in toks for x in t.subtree}, key=lambda x: x.i)
    if not toks:
        return ""
    doc = toks[0].doc
    span = doc[toks[0].i : toks[-1].i + 1]
    return span.text.strip(" ,.;:“”\"'")


def _someone_else(cast: Cast, doc: Doc, verb: Token) -> bool:
    """A demand verb whose subject is there but is no actor and not the speaker ('it', 'they', 'the junta'):
    inside a quote it is not the quote's speaker who demands."""
    subjects = [s for s in verb.children if s.dep_ in {"nsubj"}]
    return bool(subjects) and all(
        s.lower_ not in {"i", "we"} and _first_actor(cast, doc, [s]) is None for s in subjects
    )


def _noun_in_verbs_clothing(t: Token) -> bool:
    """A demand noun the tagger read as a verb: it has an owner ('Washington's calls') and a noun's place."""
    return (
        t.pos_ == "VERB"
        and t.lower_ in {"calls", "demands"}
        and t.dep_ in {"pobj", "dobj", "nsubj", "nsubjpass"}
        and any(c.dep_ == "poss" for c in t.children)
    )


def demand_cues(cast: Cast, doc: Doc, sent: Span) -> list[DemandCue]:
    """Demands of one sentence: verbal ('urged X to'), nominal ('calls for', 'a demand for'), modal in
    reported speech ('X said Y must …') and conditions ('only if', 'unless')."""
    cues: list[DemandCue] = []
    unnamed: list[int] = []
    if imperative(sent):
        return cues
    for t in sent:
        lemma = t.lemma_.lower()
        if _noun_in_verbs_clothing(t):  # "with Washington's calls for a compromise", "calls" tagged a verb
            cue = _noun_demand(cast, doc, t)
        elif t.pos_ in {"VERB", "AUX"} and lemma in DEMAND_LEMMAS and not _negated(t):
            cue = _verb_demand(cast, doc, t)
        elif t.pos_ == "VERB" and lemma == "expect" and not _negated(t):
            cue = _expectation(cast, doc, t)
        elif t.pos_ == "VERB" and lemma in {"warn", "caution", "advise"} and not _negated(t):
            cue = _warning(cast, doc, t)
        elif t.pos_ == "VERB" and lemma in _MANDATIVE and not _negated(t):
            cue = _mandative(cast, doc, t)
        elif t.pos_ == "NOUN" and lemma in DEMAND_NOUNS:
            cue = _noun_demand(cast, doc, t)
        elif t.dep_ == "mark" and _is_condition(t):
            cue = _condition(cast, doc, t)
        elif (lemma == "depend" and t.pos_ == "VERB") or (
            lemma in {"contingent", "conditional"} and t.pos_ == "ADJ"
        ):
            cue = _dependence(cast, doc, t)
        elif lemma in {"need", "deserve"} and t.pos_ == "VERB" and any(c.dep_ == "dobj" for c in t.children):
            cue = _own_need(cast, doc, t)
        elif t.lower_ in _MODAL_DEMAND and t.dep_ == "aux":
            cue = _modal_demand(cast, doc, t)
        elif lemma in {"need", "necessity"} and t.pos_ == "NOUN":
            cue = _stressed_need(cast, doc, t)
        elif lemma in _NECESSARY and t.dep_ == "acomp":
            cue = _necessity(cast, doc, t)
        elif t.lemma_.lower() in {"have", "need"} and t.pos_ in {"VERB", "AUX"} and t.dep_ == "ccomp":
            xcomp = [c for c in t.children if c.dep_ == "xcomp" and any(a.lower_ == "to" for a in c.children)]
            cue = _modal_demand(cast, doc, xcomp[0]) if xcomp else None
        else:
            continue
        if cue is None:
            continue
        if cue.by is None and cue.how.startswith("verb:") and _someone_else(cast, doc, cue.trigger):
            unnamed.append(cue.trigger.i)  # what it asks is still its own, not a demand of its own
            continue  # "“It called for ceasefire,” Moncrieff said": a subject nobody can name, not the speaker
        speaker = _governing_speaker(cast, doc, cue.trigger)
        if speaker is not None and (cue.by is None or cue.by.kind != "person"):
            cue.by = speaker  # "China demands that India …, Wang said": the person speaking
            if cue.of is not None and cue.of.key == speaker.key:
                cue.of = None
        cues.append(cue)
    # "urges Brazil to continue insisting on the release …": a demand inside what another demand asks is
    # part of it, not one of its own
    triggers = {c.trigger.i for c in cues} | set(unnamed)
    return [d for c in cues if not _inside_another(c.trigger, triggers) for d in _each_demander(cast, doc, c)]


def _each_demander(cast: Cast, doc: Doc, cue: DemandCue) -> list[DemandCue]:
    """'Lula and Petro called for …', 'Macron and Scholz urged Russia to …': the same demand, once by each."""
    if cue.by is None or not cue.how.startswith(("verb:", "condition:")):
        return [cue]
    t = cue.trigger
    verbs = [t] if cue.how.startswith("verb:") else [t.head, t.head.head]  # "Neither A nor B … until …"
    first = next(
        (s for v in verbs for s in _subjects(v) if (m := _actor_of(cast, doc, s)) and m.key == cue.by.key),
        None,
    )
    if first is None:
        return [cue]
    others = [
        m
        for c in first.conjuncts
        if (m := _actor_of(cast, doc, c)) is not None
        and m.kind in {"person", "country", "organization"}  # not "other American diplomats"
        and m.key != cue.by.key
        and (cue.of is None or m.key != cue.of.key)
    ]
    keys = list(dict.fromkeys(m.key for m in others))
    return [cue, *(replace(cue, by=next(m for m in others if m.key == k)) for k in keys)]


def _inside_another(t: Token, triggers: set[int]) -> bool:
    """Whether a demand word hangs inside what another demand asks ('urges Brazil to keep insisting on …'),
    not in a clause beside it ('asked Khan to moderate rhetoric, as he underlined the need of restraint')."""
    cur = t
    for _ in range(3):
        if cur.dep_ in {"ROOT", "advcl"} or cur.head is cur:
            return False
        cur = cur.head
        if cur.i in triggers:
            return True
    return False


def _speech_of(tok: Token) -> Token | None:
    """The speech predicate a clause hangs from, or one set into it ('the US must, he said, take …')."""
    for g in (tok, *_governors(tok, 5)):
        if g is not tok and g.lemma_.lower() in SPEECH_LEMMAS and g.pos_ in {"VERB", "AUX"}:
            return g
        for c in g.children:
            if c.dep_ == "parataxis" and c.lemma_.lower() in SPEECH_LEMMAS:
                return c
    return None


def _governing_speech(tok: Token, depth: int = 5, *, verbs_only: bool = True) -> Token | None:
    """The nearest speech predicate this word's clause hangs from ('China demands …, Wang said')."""
    for g in _governors(tok, depth):
        if g.lemma_.lower() in SPEECH_LEMMAS and (not verbs_only or g.pos_ in {"VERB", "AUX"}):
            return g
    return None


def _governing_speaker(cast: Cast, doc: Doc, tok: Token) -> Mention | None:
    """The person whose speech predicate this word's clause hangs from, if any."""
    speech = _governing_speech(tok)
    m = _first_actor(cast, doc, _subjects(speech)) if speech is not None else None
    return m if m is not None and m.kind == "person" else None


# verbs that demand through what they govern: 'suggested that India strengthen …' (a subjunctive),
# 'told Kyiv to withdraw' (an object and an infinitive); 'suggested that it was …' and 'told reporters that …'
# report, they demand nothing
# (an order inside one government, 'directed the secretary-general to summon …', is not one of them); a
# suggestion to meet is a proposed meeting, not a demand
_MANDATIVE = {"suggest", "propose", "recommend", "advise", "tell"}


def _mandative(cast: Cast, doc: Doc, t: Token) -> DemandCue | None:
    objs = [c for c in t.children if c.dep_ in {"dobj", "dative"}]
    if t.lemma_.lower() in {"suggest", "propose", "recommend"}:
        clauses = [
            c
            for c in t.children
            if c.dep_ == "ccomp"
            and any(x.dep_ in _SUBJ for x in c.children)
            and c.lemma_.lower() not in MEETING_LEMMAS
            and (
                (c.tag_ == "VB" and not any(x.dep_ == "aux" and x.lower_ != "should" for x in c.children))
                or any(x.dep_ == "aux" and x.lower_ == "should" for x in c.children)
            )
        ]
        target = _first_actor(cast, doc, [x for c in clauses for x in c.children if x.dep_ in _SUBJ])
    else:
        clauses = [c for c in t.children if c.dep_ == "xcomp" and any(a.lower_ == "to" for a in c.children)]
        target = _first_actor(cast, doc, objs or [c for c in t.children if c.dep_ == "nsubjpass"])
        if target is None:
            return None  # "told to wait": nobody named is asked
    if not clauses:
        return None
    agent = [a for p in t.children if p.dep_ == "agent" for a in p.children]
    passive = any(c.dep_ == "nsubjpass" for c in t.children)  # "was told to …": the subject is asked
    by = _first_actor(cast, doc, agent if passive else _subjects(t))
    if by is not None and target is not None and by.key == target.key:
        target = None
    what = _clause_text(clauses)
    return DemandCue(t, by, target, what, f"verb:{t.lemma_.lower()}") if what else None


def _expectation(cast: Cast, doc: Doc, t: Token) -> DemandCue | None:
    """'The EU expects Britain to respect the agreement': what one side expects another named side to do is
    asked of it; expecting weather, prices or talks to happen is a forecast, and 'is expected to' a guess."""
    if any(c.dep_ == "nsubjpass" for c in t.children):
        return None
    subjects = _subjects(t)
    by = _first_actor(cast, doc, subjects)
    if by is None and not any(x.lower_ in {"we", "i"} for x in subjects):
        return None  # "we expect …": whoever speaks, if anyone is named as saying it
    for c in t.children:
        to = any(a.dep_ == "aux" and a.lower_ == "to" for a in c.children)
        if c.dep_ not in {"ccomp", "xcomp"} or not to:
            continue
        subj = [x for x in c.children if x.dep_ in _SUBJ] or [o for o in t.children if o.dep_ == "dobj"]
        target = _first_actor(cast, doc, subj)
        if target is not None and target.kind != "group" and (by is None or target.key != by.key):
            return DemandCue(t, by, target, _clause_text([c]), "verb:expect")
    return None


def _warning(cast: Cast, doc: Doc, t: Token) -> DemandCue | None:
    """'Beijing warned Washington to stop arming Taiwan': a warning to a named side to do something asks it
    of them; 'warned that …' only says something."""
    whom = _first_actor(cast, doc, [c for c in t.children if c.dep_ in {"dobj", "dative"}])
    clauses = [c for c in t.children if c.dep_ == "xcomp" and any(a.lower_ == "to" for a in c.children)]
    if whom is None or not clauses:
        return None
    by = _first_actor(cast, doc, _subjects(t))
    if by is not None and by.key == whom.key:
        return None
    return DemandCue(t, by, whom, _clause_text(clauses), f"verb:{t.lemma_.lower()}")


def _demand_clauses(t: Token) -> list[Token]:
    """What is demanded as a clause: 'to withdraw' (xcomp) or 'that the US lift …' (ccomp with 'that' or a
    subjunctive subject), never a question ('asked what would help')."""
    out = []
    for c in t.children:
        if c.dep_ == "xcomp" and any(a.lower_ == "to" for a in c.children):
            out.append(c)
        elif c.dep_ == "ccomp":
            # a question word before the verb, not one opening a relative clause inside the subject ('that
            # the Council, which oversees …, publish')
            wh = any(
                x.tag_ in {"WDT", "WP", "WRB"} and x.head.dep_ != "relcl" for x in c.subtree if x.i < c.i
            )
            obliged = any(x.dep_ == "aux" and x.lower_ in _MODAL_DEMAND for x in c.children)
            if not wh and (
                any(x.dep_ == "mark" and x.lower_ == "that" for x in c.children) or c.tag_ == "VB" or obliged
            ):
                out.append(c)  # "demanded that …", "requested any deal must last forever"
        elif (
            c.dep_ == "advcl"
            and any(x.dep_ == "mark" and x.lower_ == "for" for x in c.children)
            and any(x.dep_ == "aux" and x.lower_ == "to" for x in c.children)
        ):
            out.append(c)  # "has been calling for China to lift …": the parse may read "for" as a mark
    return out


# verbs that ask someone (their object) to act
_ASKING = frozenset(
    {"urge", "press", "pressure", "pressurise", "pressurize", "ask", "implore", "exhort", "push", "order"}
    | {"want", "require"}
)


def _verb_demand(cast: Cast, doc: Doc, t: Token) -> DemandCue | None:
    lemma = t.lemma_.lower()
    objs = [c for c in t.children if c.dep_ in {"dobj", "dative"}]
    clauses = _demand_clauses(t)
    if lemma == "ask" and any(
        c.dep_ == "ccomp"
        and any(m.lower_ in {"if", "whether"} or m.tag_ in {"WRB", "WP"} for m in c.children)
        for c in t.children
    ):
        return None  # "was asked if she would raise …", "asked whether …": a question, not a demand
    if (
        t.dep_ == "relcl"
        and lemma in {"demand", "seek", "insist", "request", "require"}
        and any(c.dep_ == "dobj" and c.tag_ == "WDT" for c in t.children)
    ):
        # "cede the eastern territory, which Russia is demanding": what is demanded is what the clause is on
        by = _first_actor(cast, doc, _subjects(t))
        kept = [x for x in t.head.subtree if x.i < t.left_edge.i]
        what = doc[kept[0].i : kept[-1].i + 1].text.strip(" ,.;:“”\"'") if kept else ""
        return DemandCue(t, by, None, what, f"verb:{lemma}") if by is not None and what else None
    # "called on X": not "urged Witkoff on Wednesday", a day
    ons = [o for o in _prep_objects(t, {"on", "upon"}) if o.ent_type_ not in {"DATE", "TIME"}]
    if ons and not clauses:  # "called on X to release …": the parse may hang the clause under the phrase
        clauses = [
            d
            for d in (*[d for o in ons for d in o.head.subtree], *t.children)  # … or under the verb
            if d.pos_ == "VERB"
            and (d.head.i != t.i or d.dep_ == "advcl")
            and any(a.lower_ == "to" and a.dep_ == "aux" for a in d.children)
        ][:1]
    fors = _prep_objects(t, {"for"})
    if lemma == "call" and not (ons or fors or any(c.dep_ == "advcl" for c in clauses)):
        return None
    if lemma in _ASKING and objs and not clauses:
        # "asked Imran Khan to “moderate rhetoric”": the parser read the infinitive as "to" + a noun phrase
        clauses = [
            p
            for p in t.children
            if p.dep_ == "prep"
            and p.lower_ == "to"
            and p.i + 1 < len(doc)
            and doc[p.i + 1].pos_ not in {"DET", "PRON", "PROPN", "NUM"}
            and (doc[p.i + 1].is_lower or doc[p.i + 1].is_punct)
            and not any(c.dep_ in {"det", "poss"} for o in p.children for c in o.children)
        ][:1]
    if lemma == "seek" and (not objs or clauses):
        return None  # "seeks to meet …": an aim of one's own; "sought the support of India": a request
    if lemma == "appeal":  # "appealed to Türkiye and the UN with a proposal to …": to whom, and what
        ons = ons or _prep_objects(t, {"to"})
        fors = fors or _prep_objects(t, {"with"})
        if not ons:
            return None
    if not (clauses or fors or objs or ons):
        return None
    by = (
        _first_actor(cast, doc, _subjects(t))
        or _first_actor(cast, doc, [a for p in t.children if p.dep_ == "agent" for a in p.children])
        or _named_group(cast, doc, _subjects(t))
    )
    if by is None and lemma == "require" and any(s.pos_ != "PRON" or s.lower_ == "it" for s in _subjects(t)):
        return None  # "it requires coalitions", "the deal requires approval": a need, nobody's demand
    target: Mention | None = None
    what_toks: list[Token] = []
    if ons:
        target = _first_actor(cast, doc, ons)
        what_toks = clauses or fors or (list(ons) if target is None and lemma == "insist" else [])
    elif lemma in _ASKING and objs:
        target = _first_actor(cast, doc, objs)
        what_toks = clauses or fors or [o for o in objs if _first_actor(cast, doc, [o]) is None]
        if lemma in {"ask", "want", "push"} and not (clauses or fors):
            return None  # "asked the diplomat", "wants peace", "pushing them across the border": no demand
    elif clauses:
        c = clauses[0]
        subj = [x for x in c.children if x.dep_ in _SUBJ]
        target = _first_actor(cast, doc, subj) if subj else None
        if lemma in _ASKING and not subj and not objs:
            return None  # "wants to meet": a wish of one's own, not a demand of anyone
        what_toks = clauses
    else:
        if lemma in _ASKING - {"press", "push"}:
            return None
        what_toks = fors or objs
        # "demanded compensation from the United States": of whom, on the verb or on what is demanded
        froms = _prep_objects(t, {"from", "of"}) + [x for o in objs for x in _prep_objects(o, {"from"})]
        if lemma == "seek":  # "sought the support of India", "seeks Hasina's extradition from India"
            froms += [x for o in objs for x in _prep_objects(o, {"of"})]
            if _first_actor(cast, doc, froms) is None:
                return None  # "seeks global support", "sought to position itself": asked of nobody
        target = _first_actor(cast, doc, froms)
    if any(c.dep_ == "nsubjpass" for c in t.children):
        target = _first_actor(cast, doc, [c for c in t.children if c.dep_ == "nsubjpass"]) or target
    what = _clause_text(what_toks)
    if not what:
        return None
    if by is not None and target is not None and by.key == target.key:
        target = None
    return DemandCue(t, by, target, what, f"verb:{lemma}")


# verbs that make a demand named by a noun one's own: "renewed calls for", "issued an ultimatum"
_LIGHT = {"renew", "issue", "repeat", "reiterate", "make", "echo"}


def _noun_demand(cast: Cast, doc: Doc, t: Token) -> DemandCue | None:
    fors = _prep_objects(t, {"for"})
    clauses = [
        c for c in t.children if c.dep_ in {"acl", "relcl"} and any(a.lower_ == "to" for a in c.children)
    ]
    if t.lemma_.lower() == "condition" and t.head.lemma_.lower() not in _SETTING_CONDITIONS:
        return None  # "in these conditions", "create the right conditions": circumstances, not a demand
    if not clauses and t.dep_ == "dobj" and t.head.lemma_.lower() in _LIGHT:
        # "made a passionate call to the leaders of South Sudan to stop …": the parse hangs what is asked
        # on the verb
        clauses = [
            c
            for c in t.head.children
            if c.dep_ in {"advcl", "xcomp"} and c.i > t.i and any(a.lower_ == "to" for a in c.children)
        ]
    if not fors and not clauses and t.lemma_.lower() not in {"ultimatum", "condition"}:
        return None
    if clauses and not fors and all(c.lemma_.lower() in MEETING_LEMMAS for c in clauses):
        return None  # "Nuland's request to meet Bazoum": a meeting asked for, which the meetings report
    by = _first_actor(
        cast, doc, [*_prep_objects(t, {"from", "by"}), *[c for c in t.children if c.dep_ == "poss"]]
    )
    head = t.head
    if t.dep_ == "dobj" and head.lemma_.lower() in _DISMISS:
        return None  # "rejected calls for talks": somebody else's call, turned down
    owners = [c for c in t.children if c.dep_ == "poss" and c.pos_ == "NOUN"]
    if by is None and owners and owners[0].tag_ == "NNS":
        # "backed member countries' calls for the release of …": the calls are the countries', whoever backs them
        chunk = _group_phrase(owners[0])
        by = Mention(chunk.start_char, chunk.end_char, chunk.text, chunk.text, "group", owners[0].i)
    if by is None and head.pos_ in {"VERB", "AUX"} and t.dep_ in {"dobj", "nsubj"}:
        by = _first_actor(cast, doc, _subjects(head)) if t.dep_ == "dobj" else None
        if by is None and head.lemma_.lower() in _LIGHT:
            by = _first_actor(cast, doc, _subjects(head))
    if by is None and head.dep_ == "prep" and head.lower_ in {"with", "amid"}:
        return None
    target = _first_actor(cast, doc, _prep_objects(t, {"on", "to", "of"}))
    # "tough demands for the Iranians, including that they destroy …": demands made of those the 'for' names
    whom = [(f, m) for f in fors if (m := _first_actor(cast, doc, [f]) or _demonym(cast, f)) is not None]
    if target is None and whom:
        target = whom[0][1]
        fors = [f for f in fors if f.i != whom[0][0].i]
        fors += [c for x in (t, t.head) for c in _prep_objects(x, {"including"})]
        fors += [
            c
            for x in (t, t.head)
            for p in x.children
            if p.lower_ == "including"
            for c in p.children
            if c.dep_ == "pcomp"
        ]
    if target is None and fors:
        inner = [c for f in fors for c in f.children if c.dep_ in _SUBJ]
        target = _first_actor(cast, doc, inner)
    what = _clause_text(fors or clauses) or t.text
    if by is not None and target is not None and by.key == target.key:
        target = None
    return DemandCue(t, by, target, what, f"noun:{t.lemma_.lower()}")


# verbs that turn a call or demand down: whoever does so is not making it
_DISMISS = DECLINE_LEMMAS | {"dismiss", "ignore", "deny", "resist", "defy", "brush", "rebuff"}

# "made X a condition", "set conditions", "the condition is …": someone setting a condition
_SETTING_CONDITIONS = frozenset(
    {"make", "set", "impose", "lay", "put", "attach", "be", "remain", "lift", "drop"}
)


def _is_condition(mark: Token) -> bool:
    """'unless …', 'only if …', 'if X agrees to …': a condition set on another party."""
    if mark.lower_ == "unless":
        return True
    if mark.lower_ == "until":  # "would not take part until Belgrade's conditions are met"
        main = mark.head.head
        refused = _negated(main) or main.lemma_.lower() in DECLINE_LEMMAS  # "suspended its mediation until …"
        neither = any(
            c.lower_ == "neither" for s in _subjects(main) for c in s.children
        )  # "Neither A nor B plan …"
        return mark.head.dep_ == "advcl" and (refused or neither)
    if mark.lower_ != "if":
        return False
    clause = mark.head
    only = any(c.lower_ == "only" for c in (*clause.children, *clause.head.children) if c.dep_ == "advmod")
    refusal = (
        clause.dep_ == "advcl"
        and (_negated(clause.head) or clause.head.lemma_.lower() in DECLINE_LEMMAS)
        # "we will reject any deal if …", not "voters would reject it if …" (a forecast of others' refusal)
        and not any(
            s.pos_ == "NOUN" and s.ent_type_ == "" and not _people_noun(s) for s in _subjects(clause.head)
        )
    )
    return (
        only
        or refusal
        or clause.lemma_.lower() in {"agree", "accept", "comply", "stop", "withdraw", "lift", "end"}
    )


# what depends on others without anyone setting it as a condition
_NO_STAKE = {"much", "everything", "outcome", "result", "timing", "it", "this", "that", "future", "success"}


def _dependence(cast: Cast, doc: Doc, t: Token) -> DemandCue | None:
    """'future assistance would depend on their choices and conduct', 'the process is contingent on the return
    of the displaced', 'depend on a clear commitment from Turkey': a condition the speaker sets."""
    ons = _prep_objects(t, {"on", "upon"})
    if not ons:
        return None
    if t.lemma_.lower() == "depend" and (
        not any(c.dep_ == "aux" and c.lower_ in _FUTURE | {"would"} for c in t.children)
        or any(o.pos_ == "PROPN" for o in ons)
        or any(s.lemma_.lower() in _NO_STAKE for s in _subjects(t))
    ):
        return None  # "much depends on China's decisions", "the outcome would depend on Iran": a forecast
    holder = t.head if t.dep_ in {"acomp", "amod"} else t
    speech = _governing_speech(holder, depth=4, verbs_only=False)
    by = _first_actor(cast, doc, _subjects(speech)) if speech is not None else None
    if by is None:
        return None  # "the outcome depends on the weather": nobody's condition
    inner = [
        x
        for o in ons
        for x in o.subtree
        if x.dep_ in {"poss", "pobj"}
        and x.i != o.i
        and (x.head.lower_ in {"from", "by", "of"} or x.dep_ == "poss")
    ]
    target = _first_actor(cast, doc, inner)
    if target is not None and target.key == by.key:
        target = None
    return DemandCue(t, by, target, _clause_text(ons), f"condition:{t.lemma_.lower()}")


def _condition(cast: Cast, doc: Doc, mark: Token) -> DemandCue | None:
    clause = mark.head
    main = clause.head if clause.dep_ == "advcl" else clause
    by = _first_actor(cast, doc, _subjects(main))
    speech = _governing_speech(main, depth=4, verbs_only=False)
    if speech is not None:
        by = _first_actor(cast, doc, _subjects(speech)) or by
    target = _first_actor(cast, doc, _subjects(clause))
    if by is not None and target is not None and by.key == target.key:
        if not any(c.dep_ == "auxpass" for c in clause.children):
            # "Ukraine could lose more territory unless Kyiv struck a deal": a warning, not a demand
            return None
        target = None  # "will not negotiate unless it is respected": asked of whoever respects it
    return DemandCue(mark, by, target, _clause_text([clause]), f"condition:{mark.lower_}")


def _modal_demand(cast: Cast, doc: Doc, aux: Token) -> DemandCue | None:
    """'X said Y must/should/has to …': a demand by X of Y, when Y is another actor."""
    if aux.lower_ == "should" and any(s.i > aux.i for s in _subjects(aux.head)):
        return None  # "should both parties be open to it": a condition put as a question, not a demand
    if aux.dep_ == "xcomp":  # "has to decide", "needs to stop": the obligation lies on the governing verb
        verb, holder = aux, aux.head
    else:
        verb = holder = aux.head
    if holder.dep_ == "relcl":
        return None  # "punish those who should be held accountable": what describes someone asks nothing
    speech = _speech_of(holder)
    by = _first_actor(cast, doc, _subjects(speech)) if speech is not None else None
    subjects = _subjects(holder)
    target = _first_actor(cast, doc, subjects)
    if (
        speech is not None
        and by is not None
        and (target is None or target.key == by.key)
        and any(s.lower_ in _PRONOUNS | {"they"} for s in subjects)
    ):
        # "conveyed to his counterpart Joe Biden that he should organize …", "told his visitors they must
        # …": the pronoun is the one told
        told = [c for c in speech.children if c.dep_ in {"dobj", "dative"}] + _prep_objects(speech, {"to"})
        target = _first_actor(cast, doc, told) or target
    passive = any(c.dep_ == "auxpass" for c in (*holder.children, *verb.children))
    # "the negotiation process should continue", "the Afghan people must be at the heart of …": a thing or
    # an unnamed group that must be or do something, said by a person: what must be done, of nobody named
    thing = (
        bool(subjects)
        and subjects[0].pos_ == "NOUN"
        and not any(c.dep_ == "poss" and c.lower_ in {"our", "my"} for c in subjects[0].children)
    )  # "our stance should …": one's own, asked of nobody else
    if target is None and (passive or thing) and (by is None or by.kind == "person") and subjects:
        # with no speech verb, a quote's: the strategy gives it the quote's speaker, or drops it
        # "Sharif said the UN resolutions must be implemented": what must be done, asked of nobody named
        return DemandCue(aux, by, None, _clause_text([verb]), "modal")
    if target is None or (by is not None and by.key == target.key):
        return None  # "we must …", "it should …": no demand made of another party
    # with no speech verb the demand is a quote's: the strategy gives it the quote's speaker
    return DemandCue(aux, by, target, _clause_text([verb]), "modal")


# verbs that press a need on others: "stressed the need to avoid a confrontation"
_STRESSING = frozenset(
    [
        "stress",
        "underscore",
        "emphasise",
        "emphasize",
        "underline",
        "highlight",
        "reiterate",
        "reaffirm",
        "insist",
        "point",
        "note",
        "cite",
        "voice",
        "express",
        "recall",
    ]
)
# "it was necessary to punish those responsible": what a speaker calls necessary is asked of others
_NECESSARY = {"necessary", "essential", "imperative", "vital", "crucial"}


def _to_clauses(t: Token) -> list[Token]:
    return [
        c
        for c in t.children
        if c.dep_ in {"acl", "xcomp", "relcl"} and any(a.lower_ == "to" for a in c.children)
    ]


def _stressed_need(cast: Cast, doc: Doc, t: Token) -> DemandCue | None:
    """'X stressed the need to …', 'agreed on the need for …': what X says must be done."""
    verb = t.head
    if t.dep_ == "pobj" and verb.lower_ == "on":
        verb = verb.head
        if verb.lemma_.lower() != "agree":
            return None
    elif t.dep_ != "dobj" or verb.lemma_.lower() not in _STRESSING:
        return None
    # "the need for restraint", "the need of exercising restraint"
    fors = _prep_objects(t, {"for", "of"}) + [
        c
        for p in t.children
        if p.dep_ == "prep" and p.lower_ == "of"
        for c in p.children
        if c.dep_ == "pcomp"
    ]
    what = _clause_text(_to_clauses(t) or fors)
    if not what or _negated(verb):
        return None
    by = _first_actor(cast, doc, _subjects(verb))
    return DemandCue(t, by, None, what, "need")


def _necessity(cast: Cast, doc: Doc, t: Token) -> DemandCue | None:
    """'X said it was necessary to punish …', 'it is imperative that Russia withdraw': asked by the speaker."""
    verb = t.head
    if not any(c.dep_ == "nsubj" and c.lower_ == "it" for c in verb.children) or _negated(verb):
        return None
    clauses = (
        _to_clauses(t) or _to_clauses(verb) or [c for c in (*t.children, *verb.children) if c.dep_ == "ccomp"]
    )
    if not clauses:
        return None
    target = _first_actor(cast, doc, [x for c in clauses for x in c.children if x.dep_ in _SUBJ])
    target = target or _first_actor(cast, doc, _prep_objects(t, {"for"}))
    return DemandCue(t, None, target, _clause_text(clauses), "necessary")


def _own_need(cast: Cast, doc: Doc, t: Token) -> DemandCue | None:
    """'X said Russia needs security guarantees': what a speaker says their side needs is asked of others."""
    speech = _speech_of(t)
    if speech is None:
        return None
    speaker = _first_actor(cast, doc, _subjects(speech))
    side = _subjects(t)
    if speaker is None or not side:
        return None
    own = side[0].lower_ in {"we", "us"}
    m = _actor_of(cast, doc, side[0])
    if m is not None:
        country = cast.people[speaker.key].country if speaker.key in cast.people else None
        own = own or m.key == speaker.key or (country is not None and m.key == country)
    if not own:
        return None
    objs = [c for c in t.children if c.dep_ == "dobj"]
    return DemandCue(t, speaker, None, _clause_text(objs), "need")


def _demonym(cast: Cast, tok: Token) -> Mention | None:
    """'the Iranians': the country of a people named by its demonym."""
    if tok.ent_type_ != "NORP":
        return None
    country = (cast.gazetteer or default_gazetteer()).country_of(
        tok.lemma_ if tok.tag_ == "NNPS" else tok.text
    )
    if country is None:
        return None
    return Mention(tok.idx, tok.idx + len(tok), tok.text, country.canonical, "country", tok.i)


def _first_actor(cast: Cast, doc: Doc, toks: Iterable[Token]) -> Mention | None:
    for t in _with_conjuncts(toks):
        m = _actor_of(cast, doc, t)
        if m is None or (m.kind == "organization" and m.key.lower() in _STATE_BODIES):
            body = _state_body(cast, t)
            if body is not None:
                return body
        if m is not None and m.kind in _ACTOR_KINDS and not (m.kind != "person" and is_generic(m)):
            return m
    return None


# a country's own offices: "the Chinese embassy urged …", "Russia's foreign ministry demanded …" are that
# country's demands
_STATE_BODIES = {
    "embassy",
    "ministry",
    "office",
    "mission",
    "presidency",
    "foreign ministry",
    "foreign office",
}


def _state_body(cast: Cast, t: Token) -> Mention | None:
    """The country whose office a noun names ('the Chinese embassy', 'Iran's Foreign Ministry'), the words of
    the office as its surface."""
    if t.lemma_.lower() not in _STATE_BODIES:
        return None
    for d in (d for c in t.children if c.dep_ in {"amod", "compound", "poss"} for d in c.subtree):
        x = cast.at_token(d.i)
        country = x.key if x is not None and x.kind == "country" else None
        if country is None and (d.ent_type_ == "NORP" or d.dep_ == "amod"):
            entry = (cast.gazetteer or default_gazetteer()).country_of(d.text)
            country = entry.canonical if entry is not None else None
        if country is not None:
            lo = t.left_edge.i
            while lo < t.i and t.doc[lo].dep_ == "det":
                lo += 1
            words = t.doc[lo : t.i + 1]
            return Mention(words.start_char, words.end_char, words.text, country, "country", t.i)
    return None
