"""Article text: input checks, boilerplate and repeat detection, sentences and quoted spans, with offsets.

The article is never rewritten. Everything here returns spans `(start, end)` into the caller's text, so
evidence offsets always refer to exactly what the caller passed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InputRejected
from .nlp import parse

if TYPE_CHECKING:
    from spacy.tokens import Doc

__all__ = [
    "Quote",
    "Sentence",
    "check_text",
    "find_quotes",
    "ignored_spans",
    "split_sentences",
]

MAX_CHARS = 2_000_000

_BOILERPLATE = re.compile(
    r"^\s*(read (also|more)\b|see also\b|share (this|on)\b|subscribe\b|sign up\b|leave a reply\b|"
    r"your email address\b|by staying online|we use cookies|this (web)?site uses cookies|cookie|"
    r"based on (your browser|materials)\b|source:|author:|most viewed\b|related\b|advertisement\b|"
    r"generic selectors|exact matches only|search in (title|content)|post type selectors|table of contents|"
    r"points of attention|category$|publication date$|politics$|follow (him|her|us)\b|"
    r"all rights reserved|copyright\b)",
    re.IGNORECASE,
)
_PUNCT_ONLY = re.compile(r"^[\s,.;:|•·\-–—]*$")

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # Unicode category Cc, but for \t \n \r


def check_text(text: object) -> str:
    """Return `text` if it can be extracted from, else raise `InputRejected` saying why."""
    if isinstance(text, bytes | bytearray):
        raise InputRejected("article must be str, got bytes: decode it first (e.g. data.decode('utf-8'))")
    if not isinstance(text, str):
        raise InputRejected(f"article must be str, got {type(text).__name__}")
    if not text.strip():
        raise InputRejected("article text is empty or whitespace only")
    if len(text) > MAX_CHARS:
        raise InputRejected(
            f"article has {len(text):,} characters, over the {MAX_CHARS:,} limit: split it before extracting"
        )
    controls = len(_CONTROLS.findall(text))
    if "\x00" in text or controls > max(8, len(text) // 100):
        raise InputRejected("article looks binary (NUL or many control characters): pass plain text")
    if "\ufffd" in text and text.count("\ufffd") > max(8, len(text) // 100):
        raise InputRejected("article is mostly undecodable characters: check its encoding")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates: no model request or UTF-8 output could carry them
        raise InputRejected(
            f"article holds undecodable bytes at character {exc.start} (lone surrogates, as from "
            "errors='surrogateescape'): decode it with the right encoding, or with errors='replace'"
        ) from None
    return text


def _lines(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.splitlines(keepends=True):
        spans.append((pos, pos + len(line.splitlines()[0])))  # without its break, whichever of the 8 kinds
        pos += len(line)
    return spans


_GLUE = re.compile(r"[.!?]\s|\s[-–—]\s?(?=\w)")


def _boilerplate_extent(line: str) -> int:
    """How much of a boilerplate line to ignore. Scraped pages glue a 'Read also: <headline>' onto the
    next paragraph; only the headline part (up to the first sentence end or dash) is boilerplate."""
    if len(line.split()) <= 14 or not re.match(r"\s*read (also|more)", line, re.IGNORECASE):
        return len(line)
    glue = _GLUE.search(line)
    return glue.end() if glue else len(line)


def _norm_line(line: str) -> str:
    return re.sub(r"\W+", " ", line).strip().lower()


def ignored_spans(text: str) -> list[tuple[int, int]]:
    """Spans to take no candidates from: boilerplate lines, and every repeat of an earlier paragraph.

    Repeats matter because scraped pages often print a paragraph twice; its events must be counted once.
    """
    spans: list[tuple[int, int]] = []
    seen: set[str] = set()
    lines = [(a, b) for a, b in _lines(text) if text[a:b].strip() and not _BOILERPLATE.match(text[a:b])]
    if lines:  # a title (the first line that is not page furniture) restates the body: count its items once
        a, b = lines[0]
        title = text[a:b].strip()
        if len(title.split()) <= 30 and not title.endswith((".", "!", "?", "”", '"')) and len(lines) > 1:
            spans.append((a, b))
    for start, end in _lines(text):
        line = text[start:end]
        key = _norm_line(line)
        if not key or _PUNCT_ONLY.match(line):
            continue
        if _BOILERPLATE.match(line):
            spans.append((start, start + _boilerplate_extent(line)))
        elif len(key.split()) >= 8 and key in seen:
            spans.append((start, end))
        seen.add(key)
    return spans


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    paragraph: int


def split_sentences(text: str, doc: Doc | None = None) -> list[Sentence]:
    """Sentences with offsets, from the parse (`doc` when the caller has it); a line break of any kind
    always ends one."""
    doc = doc if doc is not None else parse(text, sentences_only=True)
    lines = _lines(text)
    starts = [a for a, _ in lines]
    out: list[Sentence] = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        i = max(0, bisect_right(starts, start) - 1)
        while i < len(lines) and lines[i][0] < end:
            a, b = max(start, lines[i][0]), min(end, lines[i][1])
            if b > a:
                _append(out, text, a, b, i)
            i += 1
    return out


def _append(out: list[Sentence], text: str, start: int, end: int, para: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(start, end, text[start:end], para))


@dataclass(frozen=True)
class Quote:
    """A quoted span: `start`/`end` cover the words inside the marks."""

    start: int
    end: int
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())


_PAIRS = [("“", "”"), ("«", "»"), ("„", "“"), ("‘", "’")]


def find_quotes(text: str) -> list[Quote]:
    """Every quoted span, in any of the usual quote-mark styles, outermost first, without nesting."""
    found: list[tuple[int, int]] = []
    for line_start, line_end in _lines(text):
        found.extend(_quotes_in(text, line_start, line_end))
    found.sort()
    out: list[Quote] = []
    last_end = -1
    for start, end in found:
        if start < last_end:  # nested or overlapping: keep the outer one
            continue
        inner_s, inner_e = start, end
        while inner_s < inner_e and text[inner_s].isspace():
            inner_s += 1
        while inner_e > inner_s and text[inner_e - 1].isspace():
            inner_e -= 1
        if inner_e > inner_s:
            out.append(Quote(inner_s, inner_e, text[inner_s:inner_e]))
        last_end = end
    return out


def _quotes_in(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for open_mark, close_mark in _PAIRS:
        pos = lo
        while True:
            i = text.find(open_mark, pos, hi)
            if i < 0:
                break
            if open_mark == "‘" and i > lo and text[i - 1].isalnum():
                pos = i + 1
                continue
            j = _closing(text, i + 1, hi, close_mark)
            if j < 0:
                if _opens_paragraph_quote(text, lo, i, hi):
                    spans.append((i + 1, hi))  # a quote running on into the next paragraph
                break
            spans.append((i + 1, j))
            pos = j + 1
    # straight double quotes pair up left to right
    marks = [m.start() for m in re.finditer('"', text[lo:hi])]
    for a, b in zip(marks[::2], marks[1::2], strict=False):
        spans.append((lo + a + 1, lo + b))
    spans += _single_quoted(text, lo, hi)
    # a ‘ opened and closed by a straight ' (mixed marks, common in scraped text)
    for m in re.finditer(r"(?<!\w)‘([^‘’'\n]{2,200}?)'(?!\w)", text[lo:hi]):
        spans.append((lo + m.start(1), lo + m.end(1)))
    return spans


def _opens_paragraph_quote(text: str, lo: int, i: int, hi: int) -> bool:
    """An opening mark never closed on its line opens a quote that runs to the paragraph's end when it opens
    the paragraph or follows a colon ('… said: ‘Our word …'), and what follows is a sentence."""
    before = text[lo:i].rstrip()
    return (not before or before.endswith(":")) and len(text[i + 1 : hi].split()) >= 4


def _single_quoted(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Straight single quotes ('…'), British style: an opening mark at a word's start, closed by a mark
    after punctuation or before punctuation or the line's end, so that apostrophes inside ("Britain's",
    "don't", "farmers' union") do not close it."""
    spans: list[tuple[int, int]] = []
    pos = lo
    while True:
        i = text.find("'", pos, hi)
        if i < 0:
            return spans
        opens = (i == lo or not (text[i - 1].isalnum() or text[i - 1] in "’'")) and (
            i + 1 < hi and (text[i + 1].isalnum() or text[i + 1] in "‘“")
        )
        if not opens:
            pos = i + 1
            continue
        j = i + 1
        while (j := text.find("'", j, hi)) >= 0 and not _closes(text, j, hi):
            j += 1
        if j < 0:
            if _opens_paragraph_quote(text, lo, i, hi):
                spans.append((i + 1, hi))
            return spans
        if j - i > 2:
            spans.append((i + 1, j))
        pos = j + 1


def _closes(text: str, j: int, hi: int) -> bool:
    """Whether the straight ' at `j` closes a quote rather than marks a possessive or an elision."""
    after = text[j + 1] if j + 1 < hi else ""
    if after.isalpha():
        return False  # don't, Britain's
    if text[j - 1] in ".,!?;:" or not after or after in ".,;:!?)—–-":
        return True
    # "the farmers' union": a plural possessive before a lower-case word; "'blockade' was" closes
    nxt = text[j + 2] if j + 2 < hi else ""
    return not (text[j - 1] == "s" and nxt.islower())


def _closing(text: str, start: int, hi: int, close_mark: str) -> int:
    pos = start
    while True:
        j = text.find(close_mark, pos, hi)
        if j < 0:
            return -1
        # ’ doubles as an apostrophe: a real closing mark is not followed by a letter
        if close_mark == "’" and j + 1 < hi and text[j + 1].isalpha():
            pos = j + 1
            continue
        return j
