"""The values ideas carry: country codes, addresses, themes and the score's scales."""

from __future__ import annotations

import pytest

from innovation.domain import InvalidInputError, Score, SourceKind, Stage
from innovation.domain.countries import COUNTRY_CODES
from innovation.domain.values import (
    TERMINAL_STAGES,
    is_text,
    validate_country,
    validate_themes,
    validate_url,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [("Café \U0001f4a1", True), ("", True), ("\x00", True), ("a\ud800", False), ("\udcff", False)],
)
def test_text_is_what_can_be_written_as_utf8_and_half_a_surrogate_pair_is_not(
    value: str, text: bool
) -> None:
    assert is_text(value) is text


def test_every_assigned_country_code_is_known() -> None:
    assert len(COUNTRY_CODES) == 249
    assert {"FR", "LU", "BE", "SN", "CI", "EG", "JO", "PL", "RO", "MA", "AQ"} <= COUNTRY_CODES
    assert all(len(code) == 2 and code.isupper() for code in COUNTRY_CODES)


@pytest.mark.parametrize("code", ["XK", "UK", "EU", "ZZ", "F", ""])
def test_user_assigned_or_reserved_codes_are_not_countries(code: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate_country(code)
    assert caught.value.field == "provenance.country"


def test_a_country_code_is_upper_cased() -> None:
    assert validate_country(" sn ") == "SN"


@pytest.mark.parametrize(
    "url",
    ["https://example.org", "http://lab.example.edu/paper?id=4#top", "HTTPS://EXAMPLE.ORG/x"],
)
def test_http_and_https_addresses_with_a_host_are_accepted(url: str) -> None:
    assert validate_url(url) == url


def test_the_field_path_is_passed_through() -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate_url("mailto:someone@example.org", "source.url")
    assert caught.value.field == "source.url"


def test_themes_keep_their_order() -> None:
    assert validate_themes(["networks-cloud", "cybersecurity"]) == (
        "networks-cloud",
        "cybersecurity",
    )


def test_five_themes_are_enough() -> None:
    assert len(validate_themes([f"theme-{n}" for n in range(5)])) == 5


def test_rejected_and_merged_are_the_terminal_stages() -> None:
    assert frozenset({Stage.REJECTED, Stage.MERGED}) == TERMINAL_STAGES


def test_the_enumerations_read_as_their_names() -> None:
    assert SourceKind.OPEN_SOURCE == "OPEN_SOURCE"
    assert Score(reach=10, impact=1.0, confidence=1.0, effort=2.0, strategic_fit=3).rice == 5.0


def test_an_address_is_blamed_on_the_provenance_url_unless_told_otherwise() -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate_url("mailto:someone@example.org")
    assert caught.value.field == "provenance.url"
