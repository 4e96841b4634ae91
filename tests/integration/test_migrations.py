"""Alembic owns the schema: migrations and models agree, and migrations run both ways."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from innovation.all_tables import metadata
from innovation.store import open_database
from innovation.store.migrate import (
    current_revision,
    downgrade,
    head_revision,
    include_object,
    upgrade,
)
from tests.conftest import NO_POSTGRES, POSTGRES_URL
from tests.helpers import spawn_cli
from tests.smtp_server import free_port


async def in_thread(function, *args) -> None:
    """Alembic runs its own event loop for PostgreSQL: give it a thread of its own."""
    with ThreadPoolExecutor(1) as thread:
        await asyncio.wrap_future(thread.submit(function, *args))


@pytest.fixture
async def empty_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no schema at all."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    admin_url = sa.make_url(POSTGRES_URL)
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def pending_changes(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"include_object": include_object, "compare_type": True}
    )
    return list(compare_metadata(context, metadata))


async def schema_diff(url: str) -> list[object]:
    database = open_database(url)
    try:
        return await database.read(pending_changes)
    finally:
        await database.close()


async def table_names(url: str) -> set[str]:
    database = open_database(url)
    try:
        return await database.read(lambda c: set(sa.inspect(c).get_table_names()))
    finally:
        await database.close()


async def test_the_migrations_build_exactly_the_models(empty_url: str):
    await in_thread(upgrade, empty_url)

    assert await schema_diff(empty_url) == []


async def test_migrations_go_down_to_nothing_and_up_again(empty_url: str):
    await in_thread(upgrade, empty_url)
    await in_thread(downgrade, empty_url, "base")

    assert await table_names(empty_url) <= {"alembic_version"}

    await in_thread(upgrade, empty_url)
    assert {"events", "snapshots", "reader_leases"} <= await table_names(empty_url)


async def test_processes_upgrading_together_migrate_one_after_the_other(empty_url: str):
    """Deployments often run ``innovation db upgrade`` as each process starts: started
    together, both reached for the empty schema and one failed on a table the other made."""
    env = {"INNOVATION_DATABASE_URL": empty_url, "COLUMNS": "200"}
    upgrades = [await spawn_cli("db", "upgrade", env=env) for _ in range(3)]
    said = [(await upgrade.communicate())[0].decode() for upgrade in upgrades]

    assert [upgrade.returncode for upgrade in upgrades] == [0, 0, 0], said
    assert all(output.startswith("database at head") for output in said), said
    assert {"events", "snapshots", "reader_leases"} <= await table_names(empty_url)
    database = open_database(empty_url)
    try:
        revision = await database.read(current_revision)
    finally:
        await database.close()
    assert revision == head_revision()


async def test_an_upgrade_that_fails_half_way_leaves_the_schema_as_it_was(empty_url: str):
    database = open_database(empty_url)
    try:  # in the way of migration 0009, after eight others have run
        await database.write(
            lambda c: c.exec_driver_sql("CREATE TABLE pipeline_counts_view (x INTEGER)")
        )
    finally:
        await database.close()

    with pytest.raises(Exception, match="pipeline_counts_view"):
        await in_thread(upgrade, empty_url)

    assert await table_names(empty_url) == {"pipeline_counts_view"}


async def run_cli(url: str, *args: str) -> tuple[int | None, str]:
    """``innovation …`` against ``url``, its exit status and what it said (killed after 60 s:
    a server that starts serving never ends on its own)."""
    env = {"INNOVATION_DATABASE_URL": url, "INNOVATION_PORT": str(free_port()), "COLUMNS": "300"}
    process = await spawn_cli(*args, env=env)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
    return process.returncode, output.decode()


async def set_revision(url: str, revision: str) -> None:
    database = open_database(url)
    try:
        await database.write(
            lambda c: c.execute(
                sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision}
            )
        )
    finally:
        await database.close()


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ("never migrated", "it has no schema yet: run `innovation db upgrade` first"),
        ("one behind", "this version needs {head}: run `innovation db upgrade`"),
        ("migrated by a newer version", "at revision 9999_later, which this version does not know"),
    ],
)
@pytest.mark.parametrize("command", ["serve", "scheduler"])
async def test_a_schema_that_is_not_this_version_s_is_not_served(
    empty_url: str, command: str, state: str, says: str
):
    if state != "never migrated":
        await in_thread(upgrade, empty_url)
    if state == "one behind":
        await in_thread(downgrade, empty_url, "-1")
    if state == "migrated by a newer version":
        await set_revision(empty_url, "9999_later")

    status, output = await run_cli(empty_url, command)

    assert status == 1, output
    assert "cannot serve" in output
    assert says.format(head=head_revision()) in output


def test_there_is_a_single_head_revision():
    assert head_revision() is not None
