"""Fixtures shared by every test: backends, migrated databases, the event store."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import Connection

from innovation.all_tables import metadata
from innovation.bootstrap import Services, bootstrap
from innovation.config import Settings
from innovation.projections.telling import forget_statistics
from innovation.store import Database, Log, Mapper, open_database
from innovation.store.migrate import upgrade
from tests.integration.command_path import CommandPath
from tests.integration.world import FakeClock, World

settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("long", parent=settings.get_profile("default"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

POSTGRES_URL = os.environ.get("INNOVATION_TEST_POSTGRES_URL")
NO_POSTGRES = (
    "INNOVATION_TEST_POSTGRES_URL is not set: `make test` starts a throw-away PostgreSQL "
    "and sets it"
)
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _root_logger_as_found() -> Iterator[None]:
    """Each test leaves the root logger with the handlers and level it found. The service's
    logging set-up (Litestar's, which the app and ``innovation scheduler`` run) hangs on it a
    handler writing to the ``stderr`` of that moment, which pytest or click's runner closes once
    the test ends: a later test's log line would print a logging error into what it checks."""
    root = logging.getLogger()
    found, level = set(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in found and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)
    root.setLevel(level)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=["sqlite", "postgresql", "both"],
        default="both",
        help="run database tests on one backend only",
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once; every test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "innovation.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    # Alembic's PostgreSQL environment runs its own event loop: give it a thread of its own.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(upgrade, POSTGRES_URL).result()
    return POSTGRES_URL


def _backend_params() -> list[object]:
    return [pytest.param(name, id=name) for name in BACKENDS]


@pytest.fixture(params=_backend_params())
def backend(request: pytest.FixtureRequest) -> str:
    chosen = request.config.getoption("--backend")
    if chosen != "both" and chosen != request.param:
        pytest.skip(f"--backend={chosen} leaves out {request.param}")
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database of the test's backend, empty: a fresh file, or truncated tables."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "innovation.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url = str(request.getfixturevalue("postgres_migrated"))
    scratch = open_database(url)
    tables = ", ".join(table.name for table in metadata.sorted_tables)

    def empty(connection: Connection) -> None:
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        # Hints read the statistics ANALYZE keeps of the ideas' text: autovacuum analyzing the
        # table at some moment of a test would make its hints depend on that moment. A test
        # that wants statistics runs ANALYZE itself.
        connection.exec_driver_sql("ALTER TABLE ideas_view SET (autovacuum_enabled = false)")

    try:
        await scratch.write(empty)
    finally:
        await scratch.close()
    # Hints keep PostgreSQL's statistics for a while; this database's are of the last test's ideas.
    forget_statistics()
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = open_database(database_url)
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def services(database: Database, clock: FakeClock) -> Services:
    settings = Settings.from_env({"INNOVATION_SNAPSHOT_EVERY": "5"})
    return bootstrap(settings, clock=clock, database=database)


@pytest.fixture
def world(services: Services, clock: FakeClock) -> World:
    return World(services, clock)


@pytest.fixture
def mapper() -> Mapper:
    from tests.integration.store_events import test_mapper

    return test_mapper()


@pytest.fixture
async def store(database: Database, mapper: Mapper) -> CommandPath:
    return CommandPath(Log(database, mapper))
