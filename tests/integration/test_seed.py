"""Demo data goes in through the command handlers, at its own times, and only once."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from innovation.bootstrap import bootstrap
from innovation.cli import main
from innovation.config import DEFAULT_THEMES, Settings, get_settings
from innovation.projections import views
from innovation.projections.as_of import pipeline_at
from innovation.projections.ideas import ideas_view
from innovation.seed import SeedClock, SeedError, load_seed, read_seed, seed_files, seed_id
from innovation.store import Database
from innovation.store.tables import events
from innovation.tokens import authenticate, list_tokens

SEED = Path(__file__).parents[2] / "seed"


async def test_the_demo_seed_loads_through_the_handlers_once(database: Database):
    clock = SeedClock()
    services = bootstrap(Settings.from_env({}), clock=clock, database=database)
    commands = [command for path in seed_files(SEED) for command in read_seed(path)]
    submitted = {c.command.idea_id for c in commands if type(c.command).__name__ == "SubmitIdea"}

    first = await load_seed(services.pipeline, clock, commands)
    end = await services.store.last_position()
    again = await load_seed(services.pipeline, clock, commands)

    assert first.written == len(commands) > 0
    assert again.written == 0
    assert await services.store.last_position() == end
    rows = await database.read(lambda c: c.execute(sa.select(ideas_view)).mappings().all())
    assert {row["idea_id"] for row in rows} == submitted
    stages = {row["idea_id"]: row["stage"] for row in rows}
    assert stages[seed_id("conversation-analytics")] == "VALIDATED"
    assert stages[seed_id("home-voice-speaker")] == "REJECTED"
    assert stages[seed_id("network-as-a-service")] == "MERGED"
    assert stages[seed_id("esim-instant-activation")] == "SCREENING"  # rejected, then reopened
    handling = (seed_id("conversation-analytics-pilot"), "average handling time")
    measured = await database.read(lambda c: views.measurements_of(c, [handling], latest=50))
    assert {m.number: m.value for m in measured[handling]}[7] == 7.4  # as corrected
    assert set(stages.values()) >= {"SCOUTED", "SCREENING", "EXPERIMENTING", "VALIDATED"}
    assert len(rows) >= 60
    assert sum(row["external"] for row in rows) > len(rows) / 2
    assert {theme for row in rows for theme in row["themes"]} == set(DEFAULT_THEMES)
    analytics = await database.read(lambda c: views.idea(c, seed_id("conversation-analytics")))
    assert analytics is not None
    assert analytics.submitted_at == datetime(2023, 7, 11, 14, 0, tzinfo=UTC)
    assert analytics.scout == "scout:demo-scout"


def test_the_demo_seed_file_is_what_its_generator_writes(monkeypatch: pytest.MonkeyPatch):
    spec = importlib.util.spec_from_file_location("seed_generate", SEED / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, generate)  # dataclasses look their module up
    spec.loader.exec_module(generate)

    written = generate.render(generate.commands())

    assert (SEED / "pipeline.jsonl").read_text(encoding="utf-8") == written


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('{"at": "2024-01-01T00:00:00Z", "actor": "lead:x", "command": "Fly", "input": {}}', "Fly"),
        (
            '{"at": "2024-01-01T00:00:00", "actor": "lead:x", "command": "AdvanceIdea", '
            '"input": {"idea_id": "a", "to_stage": "SCREENING"}}',
            "time zone",
        ),
        (
            '{"at": "2024-01-01T00:00:00Z", "actor": "lead:x", "command": "AdvanceIdea", '
            '"input": {"idea_id": "a"}}',
            "to_stage",
        ),
        ('{"at": "2024-01-01T00:00:00Z", "actor": "nobody", "command": "X", "input": {}}', "actor"),
        ("not json", "JSON"),
    ],
)
def test_a_bad_seed_line_is_named_with_its_file_line_and_field(
    tmp_path: Path, line: str, says: str
):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n" + line + "\n", encoding="utf-8")

    with pytest.raises(SeedError) as refused:
        list(read_seed(path))

    assert str(refused.value).startswith("bad.jsonl:2: ")
    assert says in str(refused.value)


async def test_a_refused_seed_command_names_its_line(database: Database, tmp_path: Path):
    clock = SeedClock()
    services = bootstrap(Settings.from_env({}), clock=clock, database=database)
    path = tmp_path / "refused.jsonl"
    advance = {"idea_id": "never-submitted", "to_stage": "SCREENING"}
    path.write_text(
        json.dumps(
            {"at": "2024-01-01T00:00:00Z", "actor": "lead:x", "command": "AdvanceIdea"}
            | {"input": advance}
        ),
        encoding="utf-8",
    )

    with pytest.raises(SeedError, match=r"^refused.jsonl:1: "):
        await load_seed(services.pipeline, clock, list(read_seed(path)))
    assert await services.store.last_position() == 0


async def test_make_run_s_commands_load_the_seed_and_print_working_demo_tokens(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("INNOVATION_DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        loaded = await asyncio.to_thread(runner.invoke, main, ["seed", "load", str(SEED)])
        first = await asyncio.to_thread(runner.invoke, main, ["token", "demo"])
        second = await asyncio.to_thread(runner.invoke, main, ["token", "demo"])
    finally:
        get_settings.cache_clear()

    assert loaded.exit_code == 0, loaded.output
    assert "newly written" in loaded.output
    # Each release's ideas are marked released as it is published, as the service does, so
    # the log is in time order and the pipeline as of a past moment shows what had shipped.
    query = sa.select(events.c.metadata).order_by(events.c.position)
    moments = await database.read(
        lambda c: [
            datetime.fromisoformat(json.loads(row.metadata)["occurred_at"].replace("Z", "+00:00"))
            for row in c.execute(query)
        ]
    )
    assert moments == sorted(moments)
    services = bootstrap(Settings.from_env({"INNOVATION_DATABASE_URL": database_url}))
    try:
        then = await pipeline_at(services.store, datetime(2025, 7, 1, tzinfo=UTC))
    finally:
        await services.close()
    assert then.by_stage.get("RELEASED", 0) >= 12  # three semesters' releases by then
    assert second.exit_code == 0, second.output
    assert "/graphql" in second.output
    secrets = [line.split()[-1] for line in second.output.splitlines() if "inv_" in line]
    old = [line.split()[-1] for line in first.output.splitlines() if "inv_" in line]
    assert len(secrets) == len(old) == 5
    principals = [await database.read(lambda c, s=s: authenticate(c, s)) for s in secrets]
    assert sorted(p.role for p in principals if p) == sorted(
        ["scout", "lead", "ethics", "executive", "admin"]
    )
    assert [await database.read(lambda c, s=s: authenticate(c, s)) for s in old] == [None] * 5
    live = [info for info in await database.read(list_tokens) if info.revoked_at is None]
    assert len(live) == 5


def test_loading_with_no_seed_file_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`innovation demo` started outside the project's folder finds no seed/ there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INNOVATION_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["seed", "load"])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"no seed data to load: no seed file (*.jsonl) at {tmp_path / 'seed'}"
    )
