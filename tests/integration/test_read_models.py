"""Read models: rebuilt from zero they equal what was built event by event; history; time travel."""

from __future__ import annotations

import asyncio
import gc
from datetime import timedelta
from functools import partial
from types import SimpleNamespace

import pytest
from sqlalchemy.engine import Connection

from innovation.domain.experiments import RecordMeasurement
from innovation.domain.ideas import (
    AdvanceIdea,
    RecordEthicsReview,
    RequestEthicsReview,
    ReviseIdea,
)
from innovation.domain.values import Decision, Outcome, Stage, Verdict
from innovation.projections import as_of, queues, views
from innovation.projections.experiments import metrics_view
from innovation.projections.history import history
from innovation.projections.paging import Window
from innovation.projections.projector import REBUILD_YOUNG_COLLECTION_EVERY, snapshot_tables
from innovation.projections.search import Similar, similar_ideas
from innovation.projections.timetravel import (
    cutoff,
    idea_as_of,
    summary_as_of,
    summary_now,
)
from innovation.store import Mapper, Recorder
from tests.integration.world import ETHICS, LEAD, World


async def test_rebuilt_read_models_equal_the_incrementally_built_ones(world: World):
    await world.everything()
    database, services = world.services.database, world.services
    incremental = await database.read(snapshot_tables)
    seen: list[tuple[int, int]] = []

    replayed = await database.write(
        partial(
            services.projector.rebuild,
            recorder=services.store.recorder,
            progress=lambda done, total: seen.append((done, total)),
            page_size=7,
        )
    )
    rebuilt = await database.read(snapshot_tables)

    assert replayed == await services.store.last_position()
    assert sum(len(rows) for rows in incremental.values()) > 40
    assert rebuilt == incremental
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1] == (replayed, replayed)


async def test_a_rebuilt_search_index_finds_and_ranks_ideas_as_the_one_built_event_by_event(
    world: World,
):
    await world.everything()
    bots = await world.submit(
        title="Voice bots for the network operations centre",
        summary="Agents ask a voice bot about network alarms.",
    )
    await world.submit(
        title="Network alarms predicted by machine learning",
        summary="Failures are announced before customers call.",
    )
    await world.run(ReviseIdea(idea_id=bots, title="Voice bots answering network alarms"))
    database, services = world.services.database, world.services
    texts = ("network alarms", "voice assistant for customers", "generative assistant")

    def found(connection: Connection) -> tuple[list[list[Similar]], list[tuple[object, ...]]]:
        hints = [similar_ideas(connection, text, limit=10) for text in texts]
        if connection.dialect.name != "sqlite":
            return hints, []  # PostgreSQL's index is on ideas_view, compared by snapshot_tables
        rows = connection.exec_driver_sql(
            "SELECT idea_id, title, summary FROM ideas_fts ORDER BY rowid"
        )
        return hints, [tuple(row) for row in rows]

    before = await database.read(found)
    await database.write(partial(services.projector.rebuild, recorder=services.store.recorder))

    assert await database.read(found) == before
    assert all(before[0])
    assert before[1] == [] or before[1][-1][:2] == (bots, "Voice bots answering network alarms")


async def test_a_rebuild_makes_sqlites_full_text_table_again_as_it_was_defined(world: World):
    """The rebuild empties FTS5's table by making it again (``fulltext.remake_empty``)."""
    if world.services.database.dialect != "sqlite":
        pytest.skip("SQLite's own full-text table")
    await world.everything()
    database, services = world.services.database, world.services

    def table(connection: Connection) -> tuple[str, int, int]:
        definition = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ideas_fts'"
        ).scalar_one()
        rows = connection.exec_driver_sql("SELECT count(*) FROM ideas_fts").scalar_one()
        matches = connection.exec_driver_sql(
            "SELECT count(*) FROM ideas_fts WHERE ideas_fts MATCH 'network'"
        ).scalar_one()
        return definition, rows, matches

    before = await database.read(table)
    await database.write(partial(services.projector.rebuild, recorder=services.store.recorder))

    assert await database.read(table) == before
    assert before[0].startswith("CREATE VIRTUAL TABLE ideas_fts USING fts5(")
    assert before[1] > 0
    assert before[2] > 0


async def test_a_rebuild_keeps_the_heap_it_found_out_of_full_collections_until_it_ends(
    world: World,
):
    """What the process held before a rebuild is frozen while it runs, then given back; a
    heap frozen before (as ``innovation serve`` freezes its own) is left as it was. The
    youngest generation is collected less often while it runs, then as often as before."""
    await world.everything()
    database, services = world.services.database, world.services

    async def rebuild() -> list[tuple[int, int]]:
        during: list[tuple[int, int]] = []
        await database.write(
            partial(
                services.projector.rebuild,
                recorder=services.store.recorder,
                progress=lambda done, total: during.append(
                    (gc.get_freeze_count(), gc.get_threshold()[0])
                ),
                page_size=5,
            )
        )
        return during

    thresholds = gc.get_threshold()
    gc.unfreeze()  # whatever an app started earlier in this process froze
    gc.set_threshold(700, 10, 10)
    try:
        during = await rebuild()
        assert len(during) > 2
        assert min(frozen for frozen, _ in during) > 0
        assert gc.get_freeze_count() == 0
        assert {young for _, young in during} == {REBUILD_YOUNG_COLLECTION_EVERY}
        assert gc.get_threshold() == (700, 10, 10)

        gc.freeze()
        frozen = gc.get_freeze_count()  # falls as frozen objects are freed; never rises
        gc.set_threshold(REBUILD_YOUNG_COLLECTION_EVERY * 2, 10, 10)  # collected less already
        during = await rebuild()
        assert max(count for count, _ in during) <= frozen  # nothing more frozen
        assert min(count for count, _ in during) > 0
        assert gc.get_freeze_count() > 0  # nor given back
        assert {young for _, young in during} == {REBUILD_YOUNG_COLLECTION_EVERY * 2}
        assert gc.get_threshold() == (REBUILD_YOUNG_COLLECTION_EVERY * 2, 10, 10)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def index_definitions(connection: Connection) -> list[tuple[str, str]]:
    """Every index of the database's tables, by name, with the statement that makes it (SQLite
    keeps none for the indexes of its constraints: their names alone)."""
    if connection.dialect.name == "sqlite":
        found = "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index'"
    else:
        found = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    return sorted((str(name), str(made)) for name, made in connection.exec_driver_sql(found))


class Stopped(Exception):
    """A rebuild stopped part way."""


async def test_a_rebuild_leaves_every_index_as_it_found_it_even_when_it_stops_part_way(
    world: World,
):
    """A rebuild sets the read models' secondary indexes aside while it writes their rows, then
    makes each again by the statement that had made it: after it, as after one stopped part way
    (the transaction rolled back), the database holds the same indexes, defined the same way,
    and reads through them find the rebuilt rows."""
    await world.everything()
    database, services = world.services.database, world.services
    before = await database.read(index_definitions)

    def by_score(connection: Connection) -> list[str]:
        page = queues.idea_page(connection, queues.IdeaFilter(), Window(first=100), "SCORE")
        return [view.idea_id for _, view in page.rows]

    listed = await database.read(by_score)

    def stop(done: int, total: int) -> None:
        raise Stopped

    with pytest.raises(Stopped):
        await database.write(
            partial(
                services.projector.rebuild,
                recorder=services.store.recorder,
                progress=stop,
                page_size=5,
            )
        )
    after_stopped = await database.read(index_definitions)
    await database.write(partial(services.projector.rebuild, recorder=services.store.recorder))
    after = await database.read(index_definitions)

    names = {name for name, _ in before}
    assert {"ix_ideas_view_stage_score_order", "ix_ideas_view_running_fit_order"} <= names
    assert after_stopped == before
    assert after == before
    assert len(listed) >= 2
    assert await database.read(by_score) == listed


async def test_a_page_of_measurements_summarises_each_metric_as_one_by_one_would(world: World):
    idea_id = await world.submit()
    await world.screen(idea_id)
    experiment_id = await world.start(idea_id)
    day = world.clock.now
    # Dated out of order, and two on the same date: the later recorded counts.
    for value, days in ((55, 2), (70, 5), (52, 1), (61, 5), (58, 3)):
        await world.run(
            RecordMeasurement(
                experiment_id=experiment_id,
                metric="first-call resolution",
                value=value,
                measured_at=day + timedelta(days=days),
                now=day + timedelta(days=6),
            )
        )
    await world.measure(experiment_id, "daily network alarms", 280)
    await world.measure(experiment_id, "daily network alarms", 310)
    database, services = world.services.database, world.services
    incremental = await database.read(snapshot_tables)

    for page_size in (1000, 3):
        await database.write(
            partial(
                services.projector.rebuild, recorder=services.store.recorder, page_size=page_size
            )
        )
        assert await database.read(snapshot_tables) == incremental

    metrics = {row.name: row for row in incremental_metrics(incremental, experiment_id)}
    assert metrics["first-call resolution"].latest_value == 61
    assert metrics["first-call resolution"].measurement_count == 5
    assert metrics["daily network alarms"].latest_value == 310
    assert metrics["daily network alarms"].measurement_count == 2


async def test_one_key_reads_the_same_experiments_and_metrics_as_a_list_holding_it(
    world: World,
):
    # An idea with two experiments (the first stopped), each with its two metrics, and another.
    idea_id = await world.submit()
    await world.screen(idea_id)
    first = await world.start(idea_id)
    await world.measure(first, "daily network alarms", 290)
    await world.conclude(first, Outcome.INCONCLUSIVE, Decision.ITERATE)
    await world.screen(idea_id)
    second = await world.start(idea_id)
    other = await world.submit(title="Another idea, with a pilot of its own")
    await world.screen(other)
    third = await world.start(other)

    def read(connection: Connection) -> tuple[object, ...]:
        return (
            views.experiments_of_ideas(connection, [idea_id]),
            views.experiments_of_ideas(connection, [idea_id, other]),
            views.metrics_of_experiments(connection, [first]),
            views.metrics_of_experiments(connection, [first, second, third]),
        )

    alone, listed, metrics_alone, metrics_listed = await world.services.database.read(read)

    assert [e.experiment_id for e in alone[idea_id]] == [first, second]
    assert alone == {idea_id: listed[idea_id]}
    assert [m.name for m in metrics_alone[first]] == [
        "first-call resolution",
        "daily network alarms",
    ]
    assert metrics_alone == {first: metrics_listed[first]}
    assert set(metrics_listed) == {first, second, third}


def incremental_metrics(snapshot: dict[str, list[tuple[object, ...]]], experiment_id: str) -> list:
    columns = [column.name for column in metrics_view.columns]
    rows = [dict(zip(columns, row, strict=True)) for row in snapshot["metrics_view"]]
    return [SimpleNamespace(**row) for row in rows if row["experiment_id"] == experiment_id]


async def test_a_rebuild_repairs_a_damaged_read_model(world: World):
    idea_id, _ = await world.validated_idea()
    database, services = world.services.database, world.services
    before = await database.read(snapshot_tables)
    await database.write(
        lambda c: c.exec_driver_sql("UPDATE ideas_view SET stage = 'SCOUTED', title = 'lost'")
    )

    await database.write(partial(services.projector.rebuild, recorder=services.store.recorder))

    assert await database.read(snapshot_tables) == before
    assert (await database.read(lambda c: views.idea(c, idea_id))).stage == "VALIDATED"


async def test_the_ethics_gate_is_stored_with_the_idea_and_follows_approval_and_revision(
    world: World,
):
    plain = await world.submit()
    with_ai = await world.submit(uses_ai=True)

    async def gate(idea_id: str) -> bool:
        view = await world.services.database.read(lambda c: views.idea(c, idea_id))
        return view.passes_ethics_gate

    assert await gate(plain)
    assert not await gate(with_ai)
    await world.run(RequestEthicsReview(idea_id=with_ai))
    await world.run(
        RecordEthicsReview(idea_id=with_ai, verdict=Verdict.APPROVED, reviewers=("Ana",)), ETHICS
    )
    assert await gate(with_ai)
    await world.run(ReviseIdea(idea_id=with_ai, summary="Now it also listens to the customer."))
    assert not await gate(with_ai)


async def test_a_material_revision_makes_an_ethics_approval_stale(world: World):
    await world.everything()
    rows = await world.services.database.read(
        lambda c: [
            r
            for r in queues.idea_page(c, queues.IdeaFilter(), Window(first=50)).rows
            if r[1].uses_ai
        ]
    )

    [(_, row)] = rows
    assert row.ethics_status == "STALE"  # approved, then the summary changed
    assert not row.passes_ethics_gate
    reviews = await world.services.database.read(lambda c: views.ethics_reviews(c, [row.idea_id]))
    assert [r.kind for r in reviews[row.idea_id]] == ["REQUESTED", "RECORDED"]


async def test_history_lists_the_idea_and_its_experiments_in_order(world: World):
    idea_id, experiment_id = await world.validated_idea()
    other = await world.submit(title="Someone else's idea")
    database, mapper = world.services.database, world.services.store.mapper

    entries, more = await database.read(lambda c: history(c, mapper, idea_id, first=100))
    first_page, more_after_first = await database.read(lambda c: history(c, mapper, idea_id, 3))
    rest, _ = await database.read(
        lambda c: history(c, mapper, idea_id, 100, first_page[-1].position)
    )

    streams = {entry.stream_id for entry in entries}
    assert streams == {f"idea-{idea_id}", f"experiment-{experiment_id}"}
    assert f"idea-{other}" not in streams
    assert [e.position for e in entries] == sorted(e.position for e in entries)
    assert [e.type for e in entries][:2] == ["idea.submitted", "idea.advanced"]
    assert entries[-1].type == "idea.validated"
    assert entries[0].metadata.actor == "scout:sam"
    assert entries[1].description == "moved from SCOUTED to SCREENING"
    assert not more
    assert more_after_first
    assert first_page + rest == entries


async def test_an_idea_as_of_a_past_moment_is_what_it_was_then(world: World):
    idea_id = await world.submit(title="First wording of the idea")
    await world.screen(idea_id)
    then = world.clock.now
    world.clock.jump(days=30)
    await world.run(ReviseIdea(idea_id=idea_id, title="Second wording of the idea"))
    await world.run(AdvanceIdea(idea_id=idea_id, to_stage=Stage.EXPERIMENTING))
    database, store = world.services.database, world.services.store

    def as_of(connection, moment=None):
        position = cutoff(connection, store.recorder, moment, None)
        return idea_as_of(connection, store.recorder, store.mapper, idea_id, position)

    past = await database.read(partial(as_of, moment=then))
    now = await database.read(as_of)

    assert (past.state.title, past.state.stage) == ("First wording of the idea", Stage.SCREENING)
    assert (now.state.title, now.state.stage) == ("Second wording of the idea", Stage.EXPERIMENTING)
    assert past.submitted_at == now.submitted_at
    assert past.position < now.position


async def test_a_summary_asked_for_later_as_of_a_date_equals_the_one_taken_that_day(world: World):
    await world.everything()
    database, store = world.services.database, world.services.store
    taken_then = await database.read(summary_now)
    that_day = world.clock.now
    world.clock.jump(days=200)
    await world.everything()
    await world.submit(country="SN", source=world_source("STARTUP"), actor=LEAD)

    asked_later = await database.read(
        lambda c: summary_as_of(
            c, store.recorder, store.mapper, cutoff(c, store.recorder, that_day, None)
        )
    )
    now_by_replay = await database.read(
        lambda c: summary_as_of(c, store.recorder, store.mapper, store.recorder.last_position(c))
    )
    now_from_views = await database.read(summary_now)

    assert asked_later == taken_then
    assert now_by_replay == now_from_views
    assert now_from_views != taken_then
    assert taken_then.by_stage["MERGED"] == 1
    assert taken_then.ideas == 5  # the merged duplicate counts only under its stage
    assert taken_then.external_share == pytest.approx(4 / 5)


@pytest.fixture
def replayed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The positions ``pipeline(asOf:)`` replays the log to, in turn."""
    positions: list[int] = []

    def counted(connection: Connection, recorder: Recorder, mapper: Mapper, position: int):
        positions.append(position)
        return summary_as_of(connection, recorder, mapper, position)

    monkeypatch.setattr(as_of, "summary_as_of", counted)
    return positions


async def test_the_pipeline_as_of_a_past_moment_is_replayed_once_while_the_log_grows(
    world: World, replayed: list[int]
):
    """What ``pipeline(asOf:)`` answers: kept by the settled position it stands at, so asked
    again after more writes it is the same, without a second replay; a moment after those
    writes stands at another position, and is replayed."""
    store = world.services.store
    await world.everything()
    that_day = world.clock.now
    world.clock.jump(days=30)

    first = await as_of.pipeline_at(store, that_day)
    await world.submit(country="SN", source=world_source("STARTUP"), actor=LEAD)
    again = await as_of.pipeline_at(store, that_day)
    later = await as_of.pipeline_at(store, world.clock.now)

    assert again == first
    assert replayed == [first.position, later.position]
    assert later.ideas == first.ideas + 1
    at_first = partial(summary_as_of, recorder=store.recorder, mapper=store.mapper)
    assert first == await world.services.database.read(partial(at_first, position=first.position))


async def test_the_pipeline_as_of_a_moment_asked_by_several_at_once_is_replayed_once(
    world: World, replayed: list[int]
):
    store = world.services.store
    await world.everything()
    that_day = world.clock.now
    world.clock.jump(days=30)

    answers = await asyncio.gather(*(as_of.pipeline_at(store, that_day) for _ in range(3)))

    assert answers[0] == answers[1] == answers[2]
    assert replayed == [answers[0].position]


async def test_a_summary_as_of_any_position_equals_every_idea_event_folded(world: World):
    """The replay reads only the events that can move a figure; folding every idea event with
    the domain's own rules gives the same figures at every position of a varied history."""
    from innovation.domain import IDEA
    from innovation.domain import ideas as rules
    from innovation.projections.timetravel import IDEA_PREFIX, SUMMARY_EVENT_NAMES, summarise
    from innovation.store import replay, type_name

    await world.everything()
    database, store = world.services.database, world.services.store
    every_idea_event = frozenset(type_name(kind) for kind in IDEA.events)

    def folded_whole(connection: Connection, position: int):
        states: dict[str, rules.Idea] = {}
        for record in replay(connection, store.recorder, up_to=position, types=every_idea_event):
            idea_id = record.stream_id[len(IDEA_PREFIX) :]
            event = store.mapper.to_event(record)
            states[idea_id] = rules.evolve(states.get(idea_id, rules.initial_state()), event)
        return summarise(states.values(), position)

    last = await store.last_position()
    logged = await database.read(
        lambda c: {r.type for r in replay(c, store.recorder, up_to=last, types=every_idea_event)}
    )
    # every kind of idea event the summary's replay leaves out is in this history
    assert logged >= every_idea_event - SUMMARY_EVENT_NAMES, every_idea_event - logged
    for position in range(1, last + 1):
        replayed = await database.read(
            partial(summary_as_of, recorder=store.recorder, mapper=store.mapper, position=position)
        )
        assert replayed == await database.read(partial(folded_whole, position=position)), position


def world_source(name: str):
    from innovation.domain.values import SourceKind

    return SourceKind(name)


async def test_the_cli_rebuilds_the_read_models_with_progress(
    world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    import asyncio

    from click.testing import CliRunner

    from innovation.cli import main
    from innovation.config import get_settings

    await world.everything()
    before = await world.services.database.read(snapshot_tables)
    await world.services.database.write(lambda c: c.exec_driver_sql("DELETE FROM metrics_view"))
    monkeypatch.setenv("INNOVATION_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(CliRunner().invoke, main, ["projections", "rebuild"])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    events = await world.services.store.last_position()
    assert f"rebuilt from {events} events" in result.output
    assert await world.services.database.read(snapshot_tables) == before
