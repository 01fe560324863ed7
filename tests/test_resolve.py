"""Gazetteer matching and batch actor resolution: spellings merge, different people never do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extract.analysis.gazetteer import load_gazetteer
from extract.errors import ConfigError
from extract.resolve.resolve import resolve_actors, resolve_extraction
from schemas import Actor, ArticleExtraction, Evidence, Meeting, Meta, Statement

GAZ = load_gazetteer()
META = Meta.unknown()


def _said(*actors: Actor) -> ArticleExtraction:
    ev = [Evidence(text="x", start=0, end=1)]
    return ArticleExtraction(
        statements=[Statement(speaker=a, direct=False, evidence=ev) for a in actors], meta=META
    )


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("Zamai Khalizad", "zalmay-khalilzad"),  # both words misspelled
        ("Sergei Lavrov", "sergey-lavrov"),
        ("Sergey Lavrov", "sergey-lavrov"),
        ("Russian Foreign Minister Sergei Lavrov", "sergey-lavrov"),
        ("Dmitry Simes", "dimitri-simes"),
        ("Putin", "vladimir-putin"),
        ("the US", "united-states"),
        ("Zelensky", "volodymyr-zelenskyy"),
    ],
)
def test_gazetteer_matches_spellings(name: str, entry: str) -> None:
    m = GAZ.match(name)
    assert m.entry is not None and m.entry.id == entry


@pytest.mark.parametrize(
    ("capital", "entry"),
    [("Seoul", "south-korea"), ("Pyongyang", "north-korea"), ("Manila", "philippines"), ("Moscow", "russia")],
)
def test_a_capital_names_its_country(capital: str, entry: str) -> None:
    m = GAZ.match(capital)
    assert m.entry is not None and m.entry.id == entry


def test_a_capital_taken_by_another_entry_keeps_it() -> None:
    m = GAZ.match("Brussels")  # Belgium's capital, but in diplomacy the European Union
    assert m.entry is not None and m.entry.id == "european-union"


def test_shared_surname_is_ambiguous_not_merged() -> None:
    m = GAZ.match("Graham")
    assert m.entry is None and m.how == "ambiguous"
    assert set(m.candidates) == {"lindsey-graham", "thomas-graham"}
    assert GAZ.match("Thomas Graham").entry.id == "thomas-graham"  # type: ignore[union-attr]
    assert GAZ.match("Lindsey Graham").entry.id == "lindsey-graham"  # type: ignore[union-attr]


def test_fuzzy_single_word_needs_the_person_in_the_article() -> None:
    assert GAZ.match("Antov").entry is None
    assert GAZ.match("Antov", present=["anatoly-antonov"]).entry.id == "anatoly-antonov"  # type: ignore[union-attr]


def test_role_phrase_resolves_only_to_a_person_named_in_the_article() -> None:
    assert GAZ.by_role("the Russian ambassador", present=[]).entry is None
    m = GAZ.by_role("the Russian ambassador", present=["anatoly-antonov", "zalmay-khalilzad"])
    assert m.entry is not None and m.entry.id == "anatoly-antonov"
    spoke = GAZ.by_role("Russian diplomatic spokeswoman", present=["anatoly-antonov", "maria-zakharova"])
    assert spoke.entry is not None and spoke.entry.id == "maria-zakharova"


def test_article_000_spellings_resolve_to_two_people() -> None:
    article = _said(
        Actor(name="Zamai Khalizad", canonical="Zamai Khalizad"),
        Actor(name="Khalizada", canonical="Zamai Khalizad"),
        Actor(name="Khalizad", canonical="Zamai Khalizad"),
        Actor(name="Antov", canonical="Anatoly Antonov"),
        Actor(name="Russia's ambassador", canonical="Russia's ambassador"),
    )
    res = resolve_actors([("000", article)])
    ids = {res.id_of("000", s.speaker) for s in article.statements}
    assert ids == {"zalmay-khalilzad", "anatoly-antonov"}
    out = resolve_extraction("000", article, res)
    assert [s.speaker.canonical for s in out.statements][:2] == ["Zalmay Khalilzad", "Zalmay Khalilzad"]
    assert out.statements[0].speaker.name == "Zamai Khalizad"  # the surface stays as written
    assert out.statements[3].speaker.country == "Russia"


def test_in_article_over_merge_is_undone_and_reported() -> None:
    # the article-level resolver folded 'Thomas Graham' into 'Lindsey Graham'; the written full name wins
    article = _said(
        Actor(name="Lindsey Graham", canonical="Lindsey Graham"),
        Actor(name="Thomas Graham", canonical="Lindsey Graham"),
    )
    res = resolve_actors([("a", article)])
    assert [res.id_of("a", s.speaker) for s in article.statements] == ["lindsey-graham", "thomas-graham"]
    assert any(a.name == "Thomas Graham" for a in res.ambiguities)


def test_batch_clusters_unknown_people_by_name_and_keeps_conflicts_apart() -> None:
    a = _said(Actor(name="Rebekah Koffler", canonical="Rebekah Koffler"))
    b = _said(Actor(name="Koffler", canonical="Koffler"), Actor(name="R. Koffler", canonical="R. Koffler"))
    c = _said(Actor(name="John Smith", canonical="John Smith", country="United Kingdom"))
    d = _said(Actor(name="John Smith", canonical="John Smith", country="Canada"))
    res = resolve_actors([("a", a), ("b", b), ("c", c), ("d", d)])
    koffler = {res.id_of(k, s.speaker) for k, art in (("a", a), ("b", b)) for s in art.statements}
    assert koffler == {"rebekah-koffler"}
    smiths = {res.id_of(k, art.statements[0].speaker) for k, art in (("c", c), ("d", d))}
    assert smiths == {"john-smith", "john-smith-2"}  # same name, different countries: two people
    assert res.actors["rebekah-koffler"].articles == ["a", "b"]


def test_surname_shared_by_two_batch_people_stays_apart() -> None:
    a = _said(
        Actor(name="Anna Novak", canonical="Anna Novak"), Actor(name="Petr Novak", canonical="Petr Novak")
    )
    b = _said(Actor(name="Novak", canonical="Novak"))
    res = resolve_actors([("a", a), ("b", b)])
    lone = res.id_of("b", b.statements[0].speaker)
    assert lone not in {res.id_of("a", s.speaker) for s in a.statements}
    assert any(x.name == "Novak" and len(x.candidates) == 2 for x in res.ambiguities)


def test_ids_are_stable_across_runs_and_order() -> None:
    a = _said(Actor(name="Rebekah Koffler"), Actor(name="Lavrov"))
    b = _said(Actor(name="Sergei Lavrov"))
    one = resolve_actors([("a", a), ("b", b)])
    two = resolve_actors([("b", b), ("a", a)])
    assert sorted(one.actors) == sorted(two.actors) == ["rebekah-koffler", "sergey-lavrov"]


def test_user_gazetteer_extends_and_replaces(tmp_path: Path) -> None:
    extra = tmp_path / "g.json"
    extra.write_text(
        json.dumps(
            {
                "entries": [
                    {
                        "id": "rebekah-koffler",
                        "canonical": "Rebekah Koffler",
                        "aliases": ["Koffler"],
                        "role": "analyst",
                        "country": "United States",
                        "qid": None,
                    },
                    {"id": "sergey-lavrov", "canonical": "Sergei Lavrov", "aliases": ["Lavrov"]},
                ]
            }
        ),
        encoding="utf-8",
    )
    gaz = load_gazetteer(extra)
    assert gaz.match("Koffler").entry.role == "analyst"  # type: ignore[union-attr]
    assert gaz.get("sergey-lavrov").canonical == "Sergei Lavrov"
    assert len(load_gazetteer(extra, builtin=False).entries) == 2


def test_bad_gazetteer_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="gazetteer"):
        load_gazetteer(bad)


def test_shipped_gazetteer_is_consistent() -> None:
    ids = list(GAZ.entries)
    assert len(ids) == len(set(ids))
    for e in GAZ.entries.values():
        assert e.qid is None or (e.qid.startswith("Q") and e.qid[1:].isdigit())
    # no alias points at two entries
    owners: dict[str, str] = {}
    from extract.analysis.gazetteer import normalize_name

    for e in GAZ.entries.values():
        for n in e.names:
            assert owners.setdefault(normalize_name(n), e.id) == e.id, n


def test_meeting_participants_resolve() -> None:
    m = Meeting(
        participants=[Actor(name="Lavrov", canonical="Sergei Lavrov"), Actor(name="Wang Yi")],
        status="held",
        evidence=[Evidence(text="x", start=0, end=1)],
    )
    art = ArticleExtraction(meetings=[m], meta=META)
    out = resolve_extraction("x", art, resolve_actors([("x", art)]))
    assert [p.canonical for p in out.meetings[0].participants] == ["Sergey Lavrov", "Wang Yi"]


@pytest.mark.parametrize(
    ("word", "country"),
    [
        ("Iranian", "Iran"),
        ("Israeli", "Israel"),
        ("Ukrainian", "Ukraine"),
        ("Australian", "Australia"),
        ("Austrian", "Austria"),
        ("British", "United Kingdom"),
        ("French", "France"),
        ("American", "United States"),
        ("Korean", None),  # North or South: no guess
        ("European", None),
        ("Kurdish", None),
    ],
)
def test_a_nationality_names_its_country_or_nothing(word: str, country: str | None) -> None:
    from extract.analysis.actors import default_gazetteer

    entry = default_gazetteer().country_of(word)
    assert (entry.canonical if entry else None) == country
