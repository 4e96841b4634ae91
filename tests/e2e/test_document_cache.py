"""Parsed and validated documents are cached, and the limits still refuse a document each time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from innovation.api import direct
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


async def test_a_repeated_document_is_parsed_and_validated_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    document = "query Repeated($first: Int!) { ideas(first: $first) { edges { cursor } } }"
    seen: list[str] = []

    def counted(name: str, work: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            seen.append(name)
            return work(*args, **kwargs)

        return call

    monkeypatch.setattr(direct, "parse", counted("parse", direct.parse))
    monkeypatch.setattr(direct, "validate_document", counted("validate", direct.validate_document))

    first = await api.data(document, {"first": 1})
    # other variables: run again (not answered from memory), on the same parse and validation
    second = await api.data(document, {"first": 2})

    assert seen == ["parse", "validate"]
    assert len(first["ideas"]["edges"]) <= 1
    assert len(second["ideas"]["edges"]) <= 2


async def test_a_document_that_fails_validation_is_refused_each_time_by_the_same_words(api: Api):
    document = "{ ideas(first: 1) { edges { nosuchfield } } }"

    answers = [await api(document) for _ in range(2)]

    assert answers[0]["errors"][0]["message"].startswith("Cannot query field 'nosuchfield'")
    assert answers[1] == answers[0]
