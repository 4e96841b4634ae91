"""How errors read: a code generic GraphQL tooling knows, beside ours; one log line per refusal."""

from __future__ import annotations

import logging

import pytest

from innovation.config import Settings
from tests.e2e.conftest import Api
from tests.e2e.test_hardening import nested


def logged(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno == level]


async def test_a_bad_argument_is_marked_as_bad_user_input_beside_our_code(api: Api):
    body = await api("{ ideas(first: 500) { edges { node { id } } } }")

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "errorCode": "VALIDATION",
        "field": "first",
    }


async def test_a_query_over_a_limit_is_marked_as_failing_validation(api: Api, settings: Settings):
    body = await api(nested(settings.api.max_depth + 2))

    [error] = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_syntax_error_is_marked_as_failing_to_parse(api: Api):
    body = await api("{ me { name }")

    [error] = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_a_variable_of_the_wrong_type_is_bad_user_input(api: Api):
    body = await api("query($n: Int) { ideas(first: $n) { totalCount } }", {"n": "many"})

    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_bad_argument_is_logged_as_one_line_at_info(
    api: Api, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO):
        await api("{ ideas(first: 500) { edges { node { id } } } }")

    [line] = [r for r in logged(caplog, logging.INFO) if "first must be" in r.getMessage()]
    assert line.exc_info is None
    assert "\n" not in line.getMessage()
    assert logged(caplog, logging.ERROR) == []


async def test_a_forbidden_mutation_is_logged_as_one_line_at_info(
    api: Api, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO):
        body = await api(
            'mutation { rejectIdea(input: {ideaId: "SWRlYTox", reason: "no"}) '
            "{ errors { code } } }",
            as_="executive",
        )

    assert body["data"]["rejectIdea"]["errors"] == [{"code": "FORBIDDEN"}]
    [line] = [r for r in logged(caplog, logging.INFO) if "rejectIdea" in r.getMessage()]
    assert "FORBIDDEN" in line.getMessage()
    assert line.exc_info is None
    assert logged(caplog, logging.ERROR) == []


async def test_an_unexpected_error_is_logged_once_with_its_traceback_and_marked_internal(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    from innovation.projections import queues

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the read model is gone")

    monkeypatch.setattr(queues, "idea_page", broken)

    with caplog.at_level(logging.INFO):
        body = await api("{ ideas { edges { node { id } } } }")

    [error] = body["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    [record] = logged(caplog, logging.ERROR)
    assert record.exc_info is not None
    assert "the read model is gone" in str(record.exc_info[1])
