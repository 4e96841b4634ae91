"""Parsed and validated documents are cached, and the limits still refuse a document each time."""

from __future__ import annotations

import pytest
from strawberry.extensions import ParserCache, ValidationCache

from innovation.api.schema import DOCUMENTS_CACHED
from innovation.config import Settings
from tests.e2e.conftest import Api
from tests.e2e.test_hardening import nested, with_tokens


def over_each_limit(settings: Settings) -> dict[str, str]:
    aliases = " ".join(f"a{i}: me {{ name }}" for i in range(settings.api.max_aliases + 1))
    return {
        "depth": nested(settings.api.max_depth + 2),
        "aliases": "{ " + aliases + " }",
        "tokens": with_tokens(settings.api.max_tokens + 1),
    }


@pytest.mark.parametrize("limit", ["depth", "aliases", "tokens"])
async def test_a_document_over_a_limit_is_refused_the_same_way_every_time(
    api: Api, settings: Settings, limit: str
):
    document = over_each_limit(settings)[limit]

    answers = [await api(document) for _ in range(3)]

    assert answers[0].get("data") is None
    assert answers[0]["errors"], answers[0]
    assert answers[1] == answers[0]
    assert answers[2] == answers[0]


async def test_a_repeated_document_is_parsed_and_validated_once(api: Api):
    document = "query Repeated($first: Int!) { ideas(first: $first) { edges { cursor } } }"
    parsed = ParserCache(maxsize=DOCUMENTS_CACHED).cached_parse_document
    validated = ValidationCache(maxsize=DOCUMENTS_CACHED).cached_validate_document

    await api.data(document, {"first": 1})  # other variables: run again, not answered from memory
    parses, validations = parsed.cache_info(), validated.cache_info()
    await api.data(document, {"first": 2})

    assert parsed.cache_info().hits == parses.hits + 1
    assert parsed.cache_info().misses == parses.misses
    assert validated.cache_info().hits == validations.hits + 1
    assert validated.cache_info().misses == validations.misses
