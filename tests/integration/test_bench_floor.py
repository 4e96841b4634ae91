"""The service bench's floor for the rebuild (``bench/service/floor.py``): the read models'
rows written again by the bare driver, every one of them, and nothing left behind."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bench.service.floor import FULL_TEXT, SCHEMA, read_model_tables, write_rows
from tests.integration.world import World


async def test_the_floor_writes_every_row_of_every_read_model_again(
    world: World, database_url: str
):
    await world.everything()
    sqlite = world.services.database.dialect == "sqlite"
    names = [*read_model_tables(), *([FULL_TEXT] if sqlite else [])]

    def counts(connection: Connection) -> dict[str, int]:
        return {
            name: connection.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one()
            for name in names
        }

    held = await world.services.database.read(counts)
    folder = Path(sa.make_url(database_url).database or "").parent
    beside = sorted(folder.iterdir()) if sqlite else []

    figures = await write_rows(database_url, time.perf_counter)

    assert figures["rows"] == held
    assert held["ideas_view"] > 0
    assert held["measurements_view"] > 0
    assert figures["seconds"] > 0
    if sqlite:
        assert sorted(folder.iterdir()) == beside  # its scratch file and folder are gone
    else:
        schemas = await world.services.database.read(
            lambda c: c.exec_driver_sql(
                f"SELECT count(*) FROM information_schema.schemata WHERE schema_name = '{SCHEMA}'"
            ).scalar_one()
        )
        assert schemas == 0
