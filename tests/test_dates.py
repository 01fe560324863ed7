"""extract/dates.py: relative dates resolve against the publication date, and are never guessed without it."""

from __future__ import annotations

from datetime import date

import pytest

from extract.analysis.dates import find_dates, resolve_date

FRI = date(2023, 7, 14)  # a Friday


@pytest.mark.parametrize(
    ("sentence", "iso", "written"),
    [
        ("Lavrov met them in April.", "2023-04", "in April"),
        ("He met Blinken on Thursday.", "2023-07-13", "on Thursday"),  # weekday before publication
        ("He met Blinken on Friday.", "2023-07-14", "on Friday"),  # same weekday: the publication day
        ("They met last Friday.", "2023-07-07", "last Friday"),
        ("They will meet on Thursday.", "2023-07-20", "on Thursday"),  # future tense looks forward
        ("They will meet next Tuesday.", "2023-07-18", "next Tuesday"),
        ("They have not spoken since February 15.", "2023-02-15", "since February 15"),
        ("The talks took place in September.", "2022-09", "in September"),  # later month: previous year
        ("They will meet in September.", "2023-09", "in September"),
        ("They will meet in June.", "2024-06", "in June"),
        ("The talks took place in September 2021.", "2021-09", "in September 2021"),  # explicit year wins
        ("on April 5, 2023 they met", "2023-04-05", "on April 5, 2023"),
        ("on 5 April they met", "2023-04-05", "on 5 April"),
        ("since the February 2022 invasion", "2022-02", "February 2022"),
        ("in mid-April", "2023-04", "mid-April"),
        ("last July", "2022-07", "last July"),
        ("yesterday", "2023-07-13", "yesterday"),
        ("last week", "2023-07", "last week"),  # 3-9 July lies in one month
        ("next month", "2023-08", "next month"),
    ],
)
def test_resolves_against_publication(sentence: str, iso: str, written: str) -> None:
    assert resolve_date(sentence, published=FRI) == (iso, written)


def test_week_across_months_names_no_month_but_keeps_its_range() -> None:
    (d,) = find_dates("They talked last week.", published=date(2023, 8, 2))  # week of 24-30 July
    assert d.iso == "2023-07"
    (d,) = find_dates("They talked last week.", published=date(2023, 8, 9))  # week of 31 July - 6 August
    assert d.iso is None
    assert (d.first, d.last, d.precision) == (date(2023, 7, 31), date(2023, 8, 6), "week")


@pytest.mark.parametrize(
    "sentence", ["He met Blinken on Thursday.", "in April", "since February 15", "last week"]
)
def test_without_publication_date_keeps_text_and_no_iso(sentence: str) -> None:
    iso, written = resolve_date(sentence, published=None)
    assert iso is None
    assert written is not None and written in sentence


def test_explicit_dates_need_no_publication_date() -> None:
    assert resolve_date("on April 5, 2023", published=None) == ("2023-04-05", "on April 5, 2023")


def test_bare_year_is_text_only_and_a_day_beats_it() -> None:
    assert resolve_date("They have not met since 2017.", published=FRI) == (None, "since 2017")
    assert resolve_date("In 2017 they met on Monday.", published=FRI) == ("2023-07-10", "on Monday")


@pytest.mark.parametrize("sentence", ["Officials may meet soon.", "No date here.", "May I ask a question?"])
def test_no_date(sentence: str) -> None:
    assert resolve_date(sentence, published=FRI) == (None, None)


def test_invalid_day_is_not_invented() -> None:
    assert resolve_date("on February 30", published=FRI) == (None, "on February 30")


def test_offsets_point_into_the_text() -> None:
    text = "Lavrov will meet Wang Yi next week, Peskov said on Thursday."
    found = find_dates(text, published=FRI)
    assert [text[d.start : d.end] for d in found] == ["next week", "on Thursday"]
