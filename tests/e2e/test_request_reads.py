"""What a request reads by key or by the page runs on the event loop's own thread (a glance):
on SQLite, handing it to a reader thread cost more than the read under load. What may look
through much of a table (a text filter) still goes to a reader thread there."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

import innovation.api.queries as queries_module
import innovation.projections.as_of as as_of
from innovation.bootstrap import Services
from innovation.projections import queues, views
from tests.e2e.conftest import Api
from tests.integration.world import World


def recorded(
    monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, threads: dict[str, list[str]]
) -> None:
    """Record the thread each call of ``owner.name`` runs on, under ``name``."""
    original: Callable[..., Any] = getattr(owner, name)

    def spied(*args: Any, **kwargs: Any) -> Any:
        threads.setdefault(name, []).append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, spied)


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    recorded(monkeypatch, queues, "idea_page", found)
    recorded(monkeypatch, views, "experiments_of_ideas", found)
    recorded(monkeypatch, views, "ideas_by_id", found)
    recorded(monkeypatch, queues, "experiment_page", found)
    recorded(monkeypatch, as_of, "summary_now", found)
    recorded(monkeypatch, queries_module, "read_history", found)
    return found


async def test_a_requests_pages_and_lookups_are_read_on_the_event_loop(
    api: Api, world: World, threads: dict[str, list[str]]
):
    idea_id, _ = await world.validated_idea()
    loop = threading.current_thread().name

    await api.data("{ ideas(first: 5) { edges { node { title experiments { hypothesis } } } } }")
    await api.data("{ experiments(first: 5) { edges { node { hypothesis idea { title } } } } }")
    await api.data("{ pipeline { ideas } }")
    await api.data(
        "query($id: ID!) { idea(id: $id) { title experiments { status } } "
        "history(ideaId: $id) { edges { cursor } } }",
        {"id": idea_id},
    )

    assert set(threads) == {
        "idea_page",
        "experiments_of_ideas",
        "ideas_by_id",
        "experiment_page",
        "summary_now",
        "read_history",
    }
    assert {name: set(ran) for name, ran in threads.items()} == {name: {loop} for name in threads}


async def test_a_text_filter_is_read_on_a_reader_thread_on_sqlite(
    api: Api, world: World, app_services: Services, threads: dict[str, list[str]]
):
    await world.submit(title="Alarm triage for the network centre")
    loop = threading.current_thread().name

    found = await api.data(
        '{ ideas(first: 5, filter: {text: "alarm"}) { edges { node { title } } } }'
    )

    assert [edge["node"]["title"] for edge in found["ideas"]["edges"]] == [
        "Alarm triage for the network centre"
    ]
    (ran,) = threads["idea_page"]
    if app_services.database.dialect == "sqlite":
        assert ran != loop, "a scan may take long: the event loop keeps turning meanwhile"
    else:
        assert ran == loop, "PostgreSQL's reads are the event loop's awaits either way"
