"""Relative dates resolved against the article's publication date, or left unresolved — never guessed.

"Thursday", "in April", "since February 15", "last week" mean something only relative to when the article
was written. With `published` known they resolve to an ISO day (YYYY-MM-DD) or month (YYYY-MM), the two forms
the output contract allows, plus the `start`/`end` range they denote; without it only expressions that carry
their own year resolve. Past is the default reading of news; a future cue in the sentence ("will", "next",
"scheduled") turns a bare weekday or month forward instead.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = ["ResolvedDate", "find_dates", "resolve_date"]

Precision = Literal["day", "week", "month", "year"]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name} | {"sept": 9}
_DAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}

_MONTH = (
    r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
)
_PREP = r"(?:(?P<{}>in|on|since|from|until|till|by|before|after|during|early|late|mid|earlier|later)[\s-]+)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_PATTERN = re.compile(
    "|".join(
        [
            # April 5, 2023 / April 5 / April 2023 / in April / since February 15
            rf"\b{_PREP.format('prep')}(?:(?P<md_mod>this|last|next)\s+)?{_MONTH}(?:\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b)?"
            rf"(?:,?\s+{_YEAR})?\b",
            # 5 April 2023 / on 15 February
            rf"\b{_PREP.format('prep2')}(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month2>January|February|March|April|May|June|"
            rf"July|August|September|October|November|December)(?:,?\s+(?P<year2>(?:19|20)\d\d))?\b",
            # (last|next|this|on) Thursday
            r"\b(?:(?P<wd_prep>on|since|by|until|from)\s+)?"
            r"(?:(?P<wd_mod>last|next|this|this coming|this past)\s+)?"
            r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b",
            r"\b(?P<rel>yesterday|today|tomorrow|tonight)\b",
            r"\b(?P<unit_mod>last|next|this|earlier this|later this|past)\s+(?P<unit>week|month|year)\b",
            r"\b(?:(?:in|since|by|until|during)\s+)?(?P<year_only>(?:19|20)\d\d)\b",
        ]
    ),
    re.IGNORECASE,
)
_FUTURE = re.compile(
    r"\b(?:will|shall|is to|are to|to be held|scheduled|planned|plans? to|expected to|upcoming|next|"
    r"is due|are due|would meet|set to)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ResolvedDate:
    """A date expression as written (`text`, `start`:`end` in the searched string) and what it resolves to.

    `iso` is YYYY-MM-DD or YYYY-MM when the expression plus the publication date fix a day or a month, else
    None; `first`/`last` bound the denoted period (a week, a year) even when `iso` cannot name it.
    """

    text: str
    start: int
    end: int
    iso: str | None = None
    first: date | None = None
    last: date | None = None
    precision: Precision | None = None


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _valid_day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_year(month: int, published: date, future: bool) -> int:
    """The year of a bare month: the latest such month up to publication (past), or the next one (future)."""
    if future:
        return published.year if month >= published.month else published.year + 1
    return published.year if month <= published.month else published.year - 1


def _resolve(
    m: re.Match[str], published: date | None, future: bool
) -> tuple[str | None, date | None, date | None, Precision | None]:
    g = m.groupdict()
    month_word = g["month"] or g["month2"]
    if month_word:
        month = _MONTHS[month_word.lower().rstrip(".")]
        day_s = g["day"] or g["day2"]
        year_s = g["year"] or g["year2"]
        mod = (g["md_mod"] or "").lower()
        if year_s:
            year: int | None = int(year_s)
        elif published is None:
            return None, None, None, None
        elif mod == "this":
            year = published.year
        elif mod == "next":
            year = published.year + (1 if month <= published.month else 0)
        elif mod == "last":
            year = published.year - (1 if month >= published.month else 0)
        else:
            year = _month_year(month, published, future)
        assert year is not None
        if day_s:
            day = _valid_day(year, month, int(day_s))
            if day is None:
                return None, None, None, None
            return day.isoformat(), day, day, "day"
        first, last = _month_range(year, month)
        return f"{year:04d}-{month:02d}", first, last, "month"
    if g["weekday"]:
        if published is None:
            return None, None, None, None
        wd = _DAYS[g["weekday"].lower()]
        mod = (g["wd_mod"] or "").lower()
        if mod == "next" or mod == "this coming" or (future and mod not in {"last", "this past"}):
            ahead = (wd - published.weekday()) % 7 or (7 if mod else 0)
            day = published + timedelta(days=ahead)
        else:
            back = (published.weekday() - wd) % 7
            if back == 0 and mod in {"last", "this past"}:
                back = 7
            day = published - timedelta(days=back)
        return day.isoformat(), day, day, "day"
    if g["rel"]:
        if published is None:
            return None, None, None, None
        shift = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}[g["rel"].lower()]
        day = published + timedelta(days=shift)
        return day.isoformat(), day, day, "day"
    if g["unit"]:
        if published is None:
            return None, None, None, None
        return _relative_unit(g["unit_mod"].lower(), g["unit"].lower(), published)
    if g["year_only"]:
        year = int(g["year_only"])
        return None, date(year, 1, 1), date(year, 12, 31), "year"
    return None, None, None, None


def _relative_unit(
    mod: str, unit: str, published: date
) -> tuple[str | None, date | None, date | None, Precision | None]:
    step = {"last": -1, "past": -1, "next": 1}.get(mod, 0)
    if unit == "week":
        monday = published - timedelta(days=published.weekday()) + timedelta(weeks=step)
        sunday = monday + timedelta(days=6)
        # a week has no ISO form in the contract; name its month only when the whole week lies in one
        iso = (
            f"{monday.year:04d}-{monday.month:02d}"
            if (monday.year, monday.month) == (sunday.year, sunday.month)
            else None
        )
        return iso, monday, sunday, "week"
    if unit == "month":
        index = published.year * 12 + published.month - 1 + step
        year, month = divmod(index, 12)
        first, last = _month_range(year, month + 1)
        return f"{year:04d}-{month + 1:02d}", first, last, "month"
    year = published.year + step
    return None, date(year, 1, 1), date(year, 12, 31), "year"


def find_dates(text: str, *, published: date | None, future: bool = False) -> list[ResolvedDate]:
    """Every date expression in `text`, in order, each resolved as far as `published` allows; `future`: the
    text is known to speak of what is to come (a planned meeting's "on Sunday" is the coming Sunday)."""
    future = future or bool(_FUTURE.search(text))
    out = []
    for m in _PATTERN.finditer(text):
        word = m.group("month") or ""
        if word.lower() == "may" and not (
            m.group("prep") or m.group("day") or m.group("year") or m.group("md_mod")
        ):
            continue  # the modal verb "may"
        if word and word[0].islower():
            continue  # "mar", "jan" as ordinary words; month names are capitalised in news text
        iso, first, last, precision = _resolve(m, published, future)
        out.append(ResolvedDate(m.group(0), m.start(), m.end(), iso, first, last, precision))
    return out


def resolve_date(
    sentence: str, *, published: date | None, future: bool = False
) -> tuple[str | None, str | None]:
    """(ISO date or month, date as written) for the first date expression of `sentence` — the shape of
    `Meeting.date` / `Meeting.date_text`. A bare year yields its text and no ISO date."""
    found = find_dates(sentence, published=published, future=future)
    # prefer an expression that fixes a day or month over a bare year mentioned earlier in the sentence
    best = next((d for d in found if d.precision != "year"), found[0] if found else None)
    if best is None:
        return None, None
    return best.iso, best.text
