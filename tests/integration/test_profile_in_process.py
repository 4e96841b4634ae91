"""``make profile PROFILE_ARGS='--in-process N'``: each path timed through the app in process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bench.profile import Service, in_process


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    """A migrated, seeded SQLite file and an admin token, and no server."""
    made = Service(None, serve=False)
    try:
        yield made
    finally:
        made.stop()


def test_no_server_is_started_for_timing_in_process(service: Service) -> None:
    assert service.process is None


@pytest.mark.parametrize(
    "name",
    [
        "typename",
        "page",
        "submitIdea",
        "idea",
        "noop",
        "themed",
        "worded",
        "counted",
        "experiments",
        "staged",
    ],
)
def test_each_request_of_a_path_is_timed_once_answered_without_errors(
    service: Service, name: str
) -> None:
    taken = in_process(service, name, 3)

    assert len(taken) == 3
    assert all(seconds > 0 for seconds in taken)


def test_a_refused_request_stops_the_run(service: Service, monkeypatch) -> None:
    monkeypatch.setattr(service, "token", "inv_not-a-token")

    with pytest.raises(RuntimeError, match="typename: 401"):
        in_process(service, "typename", 3)


def test_an_answer_with_errors_stops_the_run(service: Service, monkeypatch) -> None:
    monkeypatch.setattr("bench.profile.bodies", lambda *_: ['{"query": "{ nope }"}'])

    with pytest.raises(RuntimeError, match="typename: .*nope"):
        in_process(service, "typename", 3)


def test_the_environment_is_left_as_it_was(service: Service, monkeypatch) -> None:
    monkeypatch.delenv("INNOVATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("INNOVATION_SCHEDULER", "on")

    in_process(service, "typename", 1)

    assert "INNOVATION_DATABASE_URL" not in os.environ
    assert os.environ["INNOVATION_SCHEDULER"] == "on"
