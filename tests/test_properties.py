"""Properties of offsets: whatever the text, every span the cleaner or the grounding returns indexes the
caller's original string exactly. Hypothesis searches for the counterexamples."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from extract.analysis.grounding import locate, normalize_with_map, verify
from extract.analysis.text import check_text, find_quotes, ignored_spans, split_sentences
from extract.errors import InputRejected

QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters the helpers treat specially, plus ordinary ones.
SPECIAL = "“”‘’\"'«»„‟`´–—‑−…\u00a0\u2009\u202f \t\n\r\u2028.!?,;:()[]-"
TOKENS = [
    "Mr.",
    "U.S.",
    "Dr.",
    "said",
    "Antov",
    "Lopez",
    "met",
    "Read also:",
    "Share this",
    "e.g.",
    "No.",
    "“We agree,”",
    "‘blockade’",
    "don't",
    '"talks"',
    "«да»",
    "Москва",
    "王毅",
    "\n\n",
    " - ",
    "...",
]

BREAKS = "\n\r\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85"
chars = st.text(alphabet=st.sampled_from(SPECIAL + "abcXYZ019"), max_size=200)
tokens = st.lists(st.sampled_from(TOKENS) | chars, max_size=40).map(" ".join)
texts = st.one_of(chars, tokens, st.text(max_size=200))


# --- grounding --------------------------------------------------------------------------------------------


@QUICK
@given(texts)
def test_normalize_map_points_at_the_original_characters(text: str) -> None:
    folded, index = normalize_with_map(text)
    assert len(folded) == len(index)
    assert index == sorted(set(index))  # strictly increasing
    assert all(0 <= i < len(text) for i in index)
    for ch, i in zip(folded, index, strict=True):
        original = text[i]
        assert ch == original or (ch == " " and original.isspace()) or ch in "\"'-. "
    assert "  " not in folded and folded == folded.strip(" ")


@QUICK
@given(texts, st.data())
def test_any_substring_is_located_verbatim(article: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(article)))
    j = data.draw(st.integers(i, len(article)))
    claim = article[i:j]
    found = locate(claim, article, near=data.draw(st.integers(0, len(article) + 5)))
    if not claim.strip():
        assert found is None
        return
    assert found is not None
    assert found.text == claim.strip()
    assert verify([found], article)


@QUICK
@given(texts, st.data())
def test_a_requoted_respaced_claim_maps_back_to_the_original(article: str, data: st.DataObject) -> None:
    """Claims that differ only in quote marks, dashes and whitespace are found, with original offsets."""
    i = data.draw(st.integers(0, len(article)))
    j = data.draw(st.integers(i, len(article)))
    claim = normalize_with_map(article[i:j])[0]
    assume(claim.strip(" \"'"))
    found = locate(claim, article)
    assert found is not None
    assert verify([found], article)
    assert normalize_with_map(found.text)[0].strip(" \"'") == claim.strip(" \"'")


def test_a_requoted_claim_example() -> None:
    article = "He said: “We will   never\u00a0accept—this”."
    found = locate('"We will never accept-this"', article)
    assert found is not None and found.text == "We will   never\u00a0accept—this"


@QUICK
@given(texts, texts)
def test_locate_never_returns_a_span_that_does_not_verify(claim: str, article: str) -> None:
    found = locate(claim, article)
    if found is not None:
        assert verify([found], article)
        assert found.text.strip()


# --- input cleaner ----------------------------------------------------------------------------------------


@QUICK
@given(st.one_of(texts, st.binary(max_size=50), st.none(), st.integers()))
def test_check_text_returns_the_text_untouched_or_rejects(value: object) -> None:
    try:
        out = check_text(value)
    except InputRejected as exc:
        assert str(exc)
        return
    assert out is value


@QUICK
@given(texts)
def test_sentences_index_the_original_and_cover_every_word(text: str) -> None:
    sentences = split_sentences(text)
    covered = [False] * len(text)
    last_end = 0
    for s in sentences:
        assert text[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert s.start >= last_end  # in order, no overlap
        assert not set(s.text) & set(
            "\n\r\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85"
        )  # a line break ends a sentence
        last_end = s.end
        covered[s.start : s.end] = [True] * (s.end - s.start)
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())


@QUICK
@given(texts)
def test_quotes_index_the_original_without_overlap(text: str) -> None:
    last_end = -1
    for q in find_quotes(text):
        assert text[q.start : q.end] == q.text
        assert q.text and q.text == q.text.strip()
        assert q.start >= last_end
        last_end = q.end


@QUICK
@given(texts)
def test_ignored_spans_stay_inside_one_line(text: str) -> None:
    for start, end in ignored_spans(text):
        assert 0 <= start <= end <= len(text)
        assert not set(text[start:end]) & set("\n\r\u2028\u2029")


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Mr. Antov met Dr. Lopez. They talked.", ["Mr. Antov met Dr. Lopez.", "They talked."]),
        # every kind of line break ends a sentence; a single letter and a period read as an initial
        ("a\r\nb. C\rd\u2028e", ["a", "b. C", "d", "e"]),
        (
            "“We agreed,” Kovac said. “There is more to do.”",
            ["“We agreed,” Kovac said.", "“There is more to do.”"],
        ),
    ],
)
def test_known_examples_still_split_as_before(text: str, want: list[str]) -> None:
    """Fixed points next to the properties, so a change in behaviour is visible."""
    assert [s.text for s in split_sentences(text)] == want
