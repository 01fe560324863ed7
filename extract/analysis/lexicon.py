"""Word lists the analysis reads the parse with: lemmas of predicates and nouns of offices.

Generic to diplomatic news and matched against spaCy lemmas and dependency roles, never against the
surface wording of any article. Extend them freely; each list says what it decides.
"""

from __future__ import annotations

__all__ = [
    "DECLINE_LEMMAS",
    "DEMAND_LEMMAS",
    "DEMAND_NOUNS",
    "GENERIC_GROUPS",
    "INSTITUTION_HEADS",
    "MEDIA_WORDS",
    "MEETING_LEMMAS",
    "MEETING_NOUNS",
    "NOT_ACTOR_HEADS",
    "NOT_MEETING_LEMMAS",
    "OCCUR_LEMMAS",
    "PEOPLE_NOUNS",
    "PLAN_LEMMAS",
    "PROPOSE_LEMMAS",
    "ROLE_NOUNS",
    "SPEECH_LEMMAS",
    "SPEECH_NOUNS",
    "TITLE_ABBREVIATIONS",
    "TITLE_WORDS",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# someone says something: the grammatical subject is the speaker
SPEECH_LEMMAS = _words(
    """accuse acknowledge add admit advise affirm agree announce argue articulate ask assert assure blast brief
    characterise characterize convey
    caution claim clarify commend comment complain concede concur condemn confirm contend counter
    criticise criticize declare decry deny describe disagree dismiss emphasise emphasize explain express
    hail highlight indicate inform insist lament laud maintain mention note observe pledge point praise
    post predict promise question quote reaffirm reassure recall recommend recount reiterate remark reply
    respond retort say signal slam state stress suggest tell thank threaten tout tweet underline underscore
    vow warn welcome write"""
)
# "according to X", "in a statement", "in remarks": nouns under which someone speaks
SPEECH_NOUNS = _words("""address comment comments interview post remark remarks speech statement""")
# someone asks something of someone: subject = demander
DEMAND_LEMMAS = _words(
    """appeal ask call demand exhort implore insist order press pressure pressurise pressurize push request require
    seek urge want"""
)
# nominal demands: "a demand for", "calls for", "the request of"
DEMAND_NOUNS = _words("""appeal call condition demand plea request ultimatum""")
# meeting predicates; a phone call or video call is a meeting too
MEETING_LEMMAS = _words(
    """call chat confer dial dine greet hold host invite lunch meet negotiate phone receive sit speak talk
    telephone visit welcome"""
)
# nouns that name a meeting ("talks between", "a summit", "a phone call")
MEETING_NOUNS = _words(
    """breakfast call conference consultations conversation dialogue dinner lunch meeting negotiation
    negotiations phone session summit talk talks videoconference visit"""
)
# contact that is not a meeting: a summons, a démarche, a letter, an interview
NOT_MEETING_LEMMAS = _words("""demarche démarche interview letter summon""")
# verbs that report a meeting named by a noun as taking place ("held talks", "a meeting took place")
OCCUR_LEMMAS = _words(
    """arrange attend begin chair conclude conduct continue convene end finish follow get grant happen have hold
    host join land mark obtain occur open resume secure start take win wrap"""
)
# the meeting is planned (agreed, scheduled) when governed by these
PLAN_LEMMAS = _words(
    """agree agreement announce arrange commitment decide decision due expect intend intention plan pledge
    prepare promise schedule set slate"""
)
# the meeting is proposed when governed by these
PROPOSE_LEMMAS = _words(
    """advise aim ask attempt bid call desire eager effort encourage hope invitation keen invite like offer
    overture propose proposal pursue push readiness ready recommend request seek willingness
    suggest try urge want willing wish"""
)
# the meeting is declined (refused, cancelled, postponed) when governed by these or negated
DECLINE_LEMMAS = _words(
    """abandon boycott cancel decline delay postpone rebuff refuse reject scrap shun skip snub spurn suspend"""
)
# words of a title or office in front of a name ("Foreign Minister", "Crown Prince"): never part of it
TITLE_WORDS = _words(
    """acting adm. admiral adviser advisor ambassador archbishop assistant attorney ayatollah cabinet
    cardinal chair chairman chairwoman chancellor chief col. commander commissioner councillor councilor counsellor counselor
    crown defence defense deputy director dr dr. emir envoy excellency finance first foreign former gen.
    general governor h.e. head her high highness his imam interior judge justice king lady leader lord
    lt. majesty marshal mayor minister minister-president mr mr. mrs mrs. ms ms. national parliament
    pope premier president prime prince princess queen rep. representative secretary security sen.
    senator sheikh sir speaker special spokesman spokesperson spokeswoman state sultan supreme trade
    under undersecretary vice"""
)
# office nouns that a title phrase ends with ("the crown prince", "the foreign minister")
ROLE_NOUNS = _words(
    """admiral adviser advisor ambassador chairman chairwoman chancellor chief commissioner counterpart
    diplomat director emir envoy general governor head king leader mayor minister monarch
    negotiator official peer pm premier president prince queen representative secretary senator sheikh
    spokesman spokesperson spokeswoman sultan"""
)
# offices written short ("the PM said"): read as the office they stand for
TITLE_ABBREVIATIONS = {"pm": "prime minister"}
# groups named by their office, not by name: never a speaker of a direct quote or a named participant
GENERIC_GROUPS = _words(
    """administration authorities delegation delegations diplomats government leaders ministry office
    official officials side source sources spokesman spokesperson spokeswoman"""
)
# news organisations: they report, they are never speakers of the quotes they report nor participants
MEDIA_WORDS = _words(
    """abc afp agencies agency al-jazeera aljazeera anadolu ap axios bbc bloomberg cbs cnn daily fox
    gazette guardian herald interfax journal kyodo nbc news newspaper politico post press radio reuters
    ria tass telegraph television times tribune tv xinhua yonhap"""
)
# nouns of people who can meet as a group when nobody among them is named
# the head word of a name that is an institution whatever the tagger says ("the Foreign Ministry", "… Forum")
INSTITUTION_HEADS = _words(
    """administration agency alliance assembly association authority bank bureau cabinet centre center
    coalition command commission committee company congress corporation council court department
    directorate embassy federation forces foundation front fund government group institute league
    ministry movement office organisation organization parliament party police secretariat senate service
    union university"""
)
# the head word of a name that is no actor at all: an event, a venue or a text ("… Diplomacy Forum", "…
# Agreement")
NOT_ACTOR_HEADS = _words(
    """accord accords act agreement agreements charter conference convention declaration dialogue forum
    initiative law pact plan programme program protocol summit treaty"""
)
PEOPLE_NOUNS = _words(
    """administration authorities commanders counterparts delegates delegation delegations diplomats envoys
    government group groups heads lawmakers leaders members ministers negotiators officers officials
    presidents rebels representatives senators side sides team campaign camp parties factions"""
)
