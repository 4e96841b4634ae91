"""Text is stored as a reader will see it: normalised (NFC), without control or bidi-override
characters that would hide, reorder or recolour it; long text keeps its newlines and tabs."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from innovation.domain import InvalidInputError, RejectIdea
from innovation.domain.bounds import Bound
from innovation.domain.values import BIDI_CONTROLS, LONG_TEXT, validate_text, validate_url
from tests.unit.domain.examples import (
    IDEA,
    provenance,
    screening,
    submit,
    submitted,
)
from tests.unit.domain.scenario import given

HIDDEN = {
    "NUL": "\x00",
    "ANSI colour": "\x1b[31m",
    "bell": "\x07",
    "delete": "\x7f",
    "C1 control": "\x85",
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "first-strong isolate": "\u2068",
    "right-to-left mark": "\u200f",
    "byte-order mark": "\ufeff",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "lone surrogate": "\ud800",
}


@pytest.mark.parametrize("character", HIDDEN.values(), ids=HIDDEN.keys())
def test_a_title_with_a_hidden_character_is_refused_naming_the_field(character: str) -> None:
    error = (
        given()
        .when(submit(title=f"Call {character}assistant"))
        .then(InvalidInputError, field="title")
    )

    assert f"U+{ord(character[0]):04X}" in error.message


@pytest.mark.parametrize("character", HIDDEN.values(), ids=HIDDEN.keys())
def test_long_text_refuses_the_same_characters(character: str) -> None:
    given().when(submit(summary=f"Listen to calls{character} and help.")).then(
        InvalidInputError, field="summary"
    )


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("provenance.organisation", {"provenance": provenance(organisation="Orange\x1b[0m")}),
        ("scout", {"scout": "scout-\u202eana"}),
    ],
)
def test_every_short_text_is_checked(field: str, changes: dict[str, object]) -> None:
    given().when(submit(**changes)).then(InvalidInputError, field=field)


@pytest.mark.parametrize("character", HIDDEN.values(), ids=HIDDEN.keys())
def test_long_text_refuses_a_hidden_character_after_its_newlines_and_tabs(character: str) -> None:
    given().when(submit(summary=f"Listen to calls.\n\tThen {character}help.")).then(
        InvalidInputError, field="summary"
    )


def test_text_is_long_from_a_limit_of_a_thousand_characters() -> None:
    assert validate_text("First line.\r\nSecond line.", "note", Bound(0, LONG_TEXT)) == (
        "First line.\nSecond line."
    )
    with pytest.raises(InvalidInputError):
        validate_text("First line.\nSecond line.", "note", Bound(0, LONG_TEXT - 1))


def test_a_windows_line_end_in_a_title_is_refused_as_it_was_sent() -> None:
    error = given().when(submit(title="Call\r\nassistant")).then(InvalidInputError, field="title")

    assert "U+000D" in error.message


def test_long_text_keeps_its_newlines_and_tabs() -> None:
    summary = "Listen to calls.\n\n\tThen push the product sheet."
    given().when(submit(summary=summary)).then([submitted(summary=summary)])


def test_a_windows_line_end_in_long_text_becomes_a_newline() -> None:
    given().when(submit(summary="First line.\r\nSecond line.")).then(
        [submitted(summary="First line.\nSecond line.")]
    )


def test_a_newline_inside_a_title_is_refused() -> None:
    given().when(submit(title="Call\nassistant")).then(InvalidInputError, field="title")


def test_text_is_stored_in_its_composed_form() -> None:
    decomposed = "Cafe\u0301 de l'innovation"
    given().when(submit(title=decomposed)).then([submitted(title="Café de l'innovation")])


def test_right_to_left_text_itself_is_welcome() -> None:
    title = "مساعد المكالمات الحية"
    given().when(submit(title=title)).then([submitted(title=title)])


def test_a_reason_is_checked_like_any_long_text() -> None:
    given(screening()).when(RejectIdea(idea_id=IDEA, reason="Too \x1b[2Jcostly")).then(
        InvalidInputError, field="reason"
    )


@pytest.mark.parametrize(
    "url",
    [
        'https://example.org/"><script>alert(1)</script>',
        "https://example.org/<img>",
        "https://example.org/a\\b",
        "https://example.org/\x00",
        "https://example.org/\u202e",
        "javascript:alert(1)",
        "data:text/html,<b>",
    ],
)
def test_an_address_that_is_not_a_plain_http_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate_url(url)

    assert caught.value.field == "provenance.url"
    assert caught.value.message.startswith("provenance.url must be")


def test_an_address_with_a_query_and_fragment_is_fine() -> None:
    url = "https://www.example.org/news/2024?lang=fr&id=3#top"
    assert validate_url(url) == url


def _hidden_by_definition(character: str, long_text: bool) -> bool:
    """What a stored text must not hold, by Unicode's categories: controls, surrogates, line
    and paragraph separators, bidi controls and the byte-order mark; long text keeps newlines
    and tabs."""
    if long_text and character in "\n\t":
        return False
    return (
        unicodedata.category(character) in {"Cc", "Cs", "Zl", "Zp"}
        or character in BIDI_CONTROLS
        or character == "\ufeff"
    )


@pytest.mark.parametrize("long_text", [False, True], ids=["short text", "long text"])
def test_every_code_point_is_refused_exactly_when_its_category_says_so(long_text: bool) -> None:
    bound = Bound(0, LONG_TEXT if long_text else 200)
    refused: dict[str, str] = {}
    for point in range(sys.maxunicode + 1):
        character = chr(point)
        try:
            validate_text(f"a{character}b", "summary", bound)
        except InvalidInputError as error:
            refused[character] = error.message
    expected = [
        chr(point)
        for point in range(sys.maxunicode + 1)
        if _hidden_by_definition(chr(point), long_text)
    ]

    assert list(refused) == expected
    assert all(f"U+{ord(c):04X}" in message for c, message in refused.items())
