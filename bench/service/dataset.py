"""The service bench's data set: ideas, experiments and releases at scale, kept in ``.bench/``.

``python -m bench.service.dataset [--backend sqlite|postgres]`` builds it once per backend and
reuses it while its marker (``.bench/<backend>/dataset.json``) names this generator's version
and the same scale (``BENCH_SCALE``, 1.0 = 100,000 ideas, 20,000 experiments, about 1,000,000
events). Every idea's story is decided by the domain's own deciders (so the log holds only
what commands could have written), and appended through the store's one write path: a
``Database.write`` job calling ``Recorder.append`` once per stream, a few hundred streams per
job. The read models are then rebuilt and the elapsed periods' releases assembled by the
service's own code; each step runs in a process of its own, timed, with its peak memory.
A kept data set has its steps timed again with the code at hand (``--retime``, on a copy):
the build's figures are those of the code that built it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.engine import Connection

from bench.service.postgres import DATABASE, Cluster
from innovation.cli import _progress
from innovation.domain import EXPERIMENT, IDEA
from innovation.domain.experiment_messages import (
    ConcludeExperiment,
    RecordMeasurement,
    StartExperiment,
)
from innovation.domain.experiments import targets_met
from innovation.domain.idea_messages import (
    AdvanceIdea,
    ApplyConclusion,
    BeginExperiment,
    OverrideValidation,
    RecordEthicsReview,
    RejectIdea,
    RequestEthicsReview,
    ReviseIdea,
    ScoreIdea,
    SubmitIdea,
)
from innovation.domain.values import (
    Decision,
    Direction,
    MetricDefinition,
    Outcome,
    Provenance,
    Score,
    SourceKind,
    Stage,
    Verdict,
)
from innovation.store import NO_STREAM, Metadata, NewEvent, StoredEvent
from innovation.store.ids import uuid7

VERSION = 2
"""Bumped whenever what is generated changes, so a kept data set is built again (2: ideas and
experiments under UUIDv7 ids, as the API draws them)."""
ROOT = Path(os.environ.get("BENCH_DIR", Path(__file__).resolve().parents[2] / ".bench"))
"""Where data sets are kept (``BENCH_DIR``), one folder per backend."""
IDEAS = 100_000
EXPERIMENTS = 20_000
FIRST_DAY = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
LAST_DAY = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
"""The data set's today: three semesters (2025-H1 to 2026-H1) have ended and are released."""
STREAMS_PER_JOB = 400
THEMES = (
    "customer-experience",
    "telecom-platforms",
    "cybersecurity",
    "networks-cloud",
    "generative-ai",
)
COUNTRIES = ("FR", "DE", "ES", "PL", "BE", "SN", "CI", "MA", "EG", "US", "GB", "IN", "JP", "BR")
WORDS = (
    "network slicing for stadium events",
    "churn prediction from call quality",
    "fraud alerts on SIM swaps",
    "self-care chatbot for invoices",
    "edge caching of video at cell sites",
    "energy saving on idle radio units",
    "digital identity for mobile money",
    "fibre fault location from optical traces",
    "open RAN interoperability lab",
    "summaries of customer calls for agents",
)
METRICS = (
    ("first-contact resolution", "%", 62.0, 70.0),
    ("average handling time", "s", 410.0, 360.0),
    ("monthly churn", "%", 1.9, 1.6),
    ("energy per cell", "kWh", 48.0, 42.0),
    ("net promoter score", "pts", 21.0, 28.0),
    ("fraud losses", "kEUR", 130.0, 100.0),
)


def scale_from_env() -> float:
    return float(os.environ.get("BENCH_SCALE", "1"))


def folder(backend: str) -> Path:
    return ROOT / backend


# -- stories ---------------------------------------------------------------------------------


@dataclass
class Stream:
    """One aggregate's stream as the generator writes it: state folded as events are decided."""

    aggregate: Any
    entity_id: str
    ids: random.Random
    """Where event ids come from: the story's own generator, so every build has the same ids."""
    born: datetime
    """When the story began: the time prefix of its event ids."""
    state: Any = None
    events: list[NewEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = self.aggregate.decider.initial_state()

    @property
    def stream_id(self) -> str:
        return str(self.aggregate.stream_id(self.entity_id))

    def run(self, command: Any, actor: str, at: datetime, correlation: uuid.UUID) -> None:
        metadata = Metadata(actor=actor, occurred_at=at, correlation_id=correlation)
        for event in self.aggregate.decider.decide(command, self.state):
            self.state = self.aggregate.decider.evolve(self.state, event)
            self.events.append(NewEvent(event=event, metadata=metadata, event_id=self._id()))

    def _id(self) -> uuid.UUID:
        """An event id, timed by the story's submission (the order in which stories are
        appended), its random bits from the story's generator."""
        return _uuid7(self.born, self.ids)


@dataclass
class Story:
    """One idea's life, and its experiment's, decided command by command at their own times."""

    number: int
    rng: random.Random
    idea: Stream
    experiment: Stream | None = None

    @property
    def streams(self) -> list[Stream]:
        return [self.idea] if self.experiment is None else [self.idea, self.experiment]


def story(number: int, ideas: int, experiments: int) -> Story:
    """The idea ``number`` of ``ideas`` (submitted in that order across the data set's span);
    one in ``ideas / experiments`` of them is piloted."""
    rng = random.Random(number)
    span = (LAST_DAY - FIRST_DAY - timedelta(days=20)).total_seconds()
    at = FIRST_DAY + timedelta(seconds=span * number / ideas)
    idea = Stream(IDEA, str(_uuid7(at, rng)), rng, at)
    told = Story(number, rng, idea)
    scout = f"scout:bench-scout-{number % 400}"
    lead = f"lead:bench-lead-{number % 40}"
    uses_ai = rng.random() < 0.3
    topic = WORDS[number % len(WORDS)]

    def run(command: Any, actor: str = lead, on: Stream = idea) -> None:
        on.run(command, actor, at, _uuid(rng))

    def later(days: float) -> bool:
        nonlocal at
        at += timedelta(days=days * (0.5 + rng.random()))
        return at < LAST_DAY

    run(
        SubmitIdea(
            idea_id=idea.entity_id,
            title=f"{topic.capitalize()} #{number}",
            summary=f"Pilot {topic} with an affiliate; idea {number} of the bench data set.",
            provenance=Provenance(
                source_kind=rng.choice(list(SourceKind)),
                organisation=f"Organisation {number % 997}",
                country=rng.choice(COUNTRIES),
                external=rng.random() < 0.6,
                url=f"https://example.org/ideas/{number}",
            ),
            themes=tuple(rng.sample(THEMES, rng.randint(1, 2))),
            uses_ai=uses_ai,
            uses_personal_data=rng.random() < 0.2,
            scout=scout,
        ),
        scout,
    )
    piloted = number % max(1, ideas // experiments) == 0
    if not piloted and rng.random() < 0.2:
        return told  # still waiting for a lead
    if not later(5):
        return told
    run(AdvanceIdea(idea_id=idea.entity_id, to_stage=Stage.SCREENING))
    score = Score(
        reach=rng.randint(1_000, 500_000),
        impact=rng.choice((0.5, 1.0, 2.0, 3.0)),
        confidence=rng.choice((0.5, 0.8, 1.0)),
        effort=rng.choice((1.0, 2.0, 5.0, 8.0)),
        strategic_fit=rng.randint(1, 5),
    )
    run(ScoreIdea(idea_id=idea.entity_id, score=score))
    if rng.random() < 0.1 and later(10):
        run(ReviseIdea(idea_id=idea.entity_id, summary=f"Revised after screening: {topic}."), scout)
        run(ScoreIdea(idea_id=idea.entity_id, score=Score(**{**_fields(score), "effort": 3.0})))
    if uses_ai and later(7):
        run(RequestEthicsReview(idea_id=idea.entity_id))
        if later(14):
            verdict = Verdict.APPROVED if rng.random() < 0.85 else Verdict.REJECTED
            run(
                RecordEthicsReview(
                    idea_id=idea.entity_id, verdict=verdict, reviewers=("Ethics council",)
                ),
                "ethics:bench-ethics",
            )
    if not piloted:
        if rng.random() < 0.25 and later(20):
            run(RejectIdea(idea_id=idea.entity_id, reason="Outside this year's priorities."))
        elif rng.random() < 0.05 and later(30):
            run(OverrideValidation(idea_id=idea.entity_id, reason="Proven at a sister operator."))
        return told
    if not later(10):
        return told
    pilot = Stream(EXPERIMENT, str(_uuid7(at, rng)), rng, idea.born)
    told.experiment = pilot
    weeks = rng.randint(10, 40)
    chosen = rng.sample(METRICS, rng.randint(1, 2))
    metrics = tuple(
        MetricDefinition(
            name=name,
            unit=unit,
            baseline=baseline,
            target=target,
            direction=Direction.HIGHER_IS_BETTER
            if target > baseline
            else Direction.LOWER_IS_BETTER,
        )
        for name, unit, baseline, target in chosen
    )
    run(BeginExperiment(idea_id=idea.entity_id, experiment_id=pilot.entity_id))
    run(
        StartExperiment(
            experiment_id=pilot.entity_id,
            idea_id=idea.entity_id,
            hypothesis=f"{topic.capitalize()} moves its metrics within {weeks} weeks.",
            pilot_site=f"Affiliate {rng.choice(COUNTRIES)}",
            starts_on=at.date(),
            ends_on=(at + timedelta(weeks=weeks)).date(),
            metrics=metrics,
        ),
        on=pilot,
    )
    succeeds = rng.random() < 0.45
    for week in range(1, weeks + 1):
        if not later(7):
            return told
        for definition in metrics:
            progress = week / weeks
            goal = definition.target if succeeds else definition.baseline
            value = definition.baseline + (goal - definition.baseline) * progress
            value += rng.gauss(0, abs(definition.target - definition.baseline) * 0.05)
            if week == weeks and succeeds:
                value = definition.target
            run(
                RecordMeasurement(
                    experiment_id=pilot.entity_id,
                    metric=definition.name,
                    value=round(value, 2),
                    measured_at=at,
                    now=at,
                ),
                on=pilot,
            )
    if not later(5):
        return told
    met = targets_met(pilot.state)
    outcome, decision = (
        (Outcome.VALIDATED, Decision.SCALE)
        if met
        else rng.choice(
            ((Outcome.INVALIDATED, Decision.STOP), (Outcome.INCONCLUSIVE, Decision.ITERATE))
        )
    )
    note = "Scaled to every affiliate." if met else "The targets were not reached."
    run(
        ConcludeExperiment(
            experiment_id=pilot.entity_id, outcome=outcome, decision=decision, note=note
        ),
        on=pilot,
    )
    run(
        ApplyConclusion(
            idea_id=idea.entity_id,
            experiment_id=pilot.entity_id,
            outcome=outcome,
            decision=decision,
            targets_met=met,
            note=note,
        )
    )
    return told


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _uuid7(at: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 as the service makes them, of the moment ``at``, its random bits from ``rng``:
    the ids of events, and those the API draws for ideas and experiments."""
    return uuid7(int(at.timestamp() * 1000), rng.getrandbits(80))


def _fields(score: Score) -> dict[str, Any]:
    return {name: getattr(score, name) for name in score.__struct_fields__}


def stories(scale: float) -> Iterator[Story]:
    ideas = max(1, round(IDEAS * scale))
    experiments = max(1, round(EXPERIMENTS * scale))
    for number in range(ideas):
        yield story(number, ideas, experiments)


# -- steps, each in a process of its own -----------------------------------------------------


class LogClock:
    """The time the log records appends with: while generating, the newest submission's time,
    so ``recorded_at`` grows with the position across the data set's span (a story's later
    events are recorded with its submission, earlier than they happened)."""

    def __init__(self) -> None:
        self.now = FIRST_DAY

    def __call__(self) -> datetime:
        return self.now


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bar(console: Console) -> Progress:
    """The CLI's own progress bar, on the bench's console."""
    return _progress(console)


async def generate(url: str, scale: float, console: Console) -> dict[str, Any]:
    """Decide every story and append its streams, ``STREAMS_PER_JOB`` streams per write job."""
    from innovation.bootstrap import event_mapper
    from innovation.store import Log, open_database

    clock = LogClock()
    log = Log(open_database(url), event_mapper(), clock=clock)
    recorder, to_stored = log.recorder, log.mapper.to_stored
    total = max(1, round(IDEAS * scale))
    events = 0
    pending: list[tuple[str, list[StoredEvent]]] = []

    def job(batch: list[tuple[str, list[StoredEvent]]], connection: Connection) -> None:
        for stream_id, records in batch:
            recorder.append(connection, stream_id, records, NO_STREAM)

    started = time.perf_counter()
    try:
        with _bar(console) as bar:
            task = bar.add_task("appending stories", total=total)
            for done, told in enumerate(stories(scale), start=1):
                for stream in told.streams:
                    pending.append((stream.stream_id, [to_stored(e) for e in stream.events]))
                    events += len(stream.events)
                clock.now = told.idea.events[0].metadata.occurred_at
                if len(pending) >= STREAMS_PER_JOB or done == total:
                    await log.database.write(partial(job, pending))
                    pending = []
                    bar.update(task, completed=done)
    finally:
        await log.database.close()
    seconds = time.perf_counter() - started
    return {"events": events, "seconds": seconds, "peak_rss_mb": _peak_mb()}


async def rebuild(url: str, console: Console) -> dict[str, Any]:
    """Every read model from the whole log, as ``innovation projections rebuild`` does it."""
    from innovation.bootstrap import bootstrap
    from innovation.config import get_settings

    services = bootstrap(get_settings())
    started = time.perf_counter()
    try:
        with _bar(console) as bar:
            task = bar.add_task("rebuilding read models", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            events = await services.database.write(
                partial(
                    services.projector.rebuild, recorder=services.store.recorder, progress=progress
                )
            )
    finally:
        await services.close()
    seconds = time.perf_counter() - started
    return {"events": events, "seconds": seconds, "peak_rss_mb": _peak_mb()}


async def read_all(url: str, console: Console) -> dict[str, Any]:
    """One pass of ``Log.replay`` over the whole log: what rebuild and assembly are held to."""
    from innovation.bootstrap import event_mapper
    from innovation.store import Log, open_database

    log = Log(open_database(url), event_mapper())
    count = 0
    started = time.perf_counter()
    try:
        async for _record in log.replay():
            count += 1
    finally:
        await log.database.close()
    seconds = time.perf_counter() - started
    return {"events": count, "seconds": seconds, "peak_rss_mb": _peak_mb()}


async def assemble(url: str, console: Console) -> dict[str, Any]:
    """The elapsed periods' releases, assembled and published by the release service, and
    shipped (the shipping reader's checkpoint brought to the end, so no service starts with
    a million events to catch up on)."""
    from innovation.bootstrap import bootstrap
    from innovation.config import get_settings

    clock = LogClock()
    clock.now = NOW
    services = bootstrap(get_settings(), clock=clock)
    started = time.perf_counter()
    try:
        periods = await services.releases.catch_up(now=NOW)
        # What a serving process would do first: mark the shipped ideas RELEASED.
        last = await services.store.last_position()
        await services.readers.run_until(services.shipping, last)
    finally:
        await services.close()
    seconds = time.perf_counter() - started
    return {"periods": periods, "seconds": seconds, "peak_rss_mb": _peak_mb()}


async def assembly(url: str, console: Console) -> dict[str, Any]:
    """Each release of the data set assembled again as it was: over the log up to the moment
    it was published (``Releases.assembly(period, upto=…)``, nothing written). The bundle must
    come out as published, or the step fails: the same work was done again."""
    from innovation.bootstrap import bootstrap
    from innovation.config import get_settings

    services = bootstrap(get_settings())
    releases = services.releases
    try:
        published = [
            release
            for period in sorted(await releases.released())
            if (release := await releases.release(period)) is not None
        ]
        started = time.perf_counter()
        shown = 0
        with _bar(console) as bar:
            task = bar.add_task("assembling every release again", total=len(published))
            for release in published:
                period = releases.cadence.parse(release.period)
                rule = release.bundle.figures.conversion_rule
                again = (
                    await releases.assembly(period, upto=release.position - 1, conversion_rule=rule)
                )[0].bundle
                if again != release.bundle:
                    raise SystemExit(f"{release.period} assembled again differs from its release")
                shown += len(again.items)
                bar.advance(task)
        seconds = time.perf_counter() - started
    finally:
        await services.close()
    return {
        "periods": [release.period for release in published],
        "ideas": shown,
        "seconds": seconds,
        "peak_rss_mb": _peak_mb(),
    }


async def write_rows(url: str, console: Console) -> dict[str, Any]:
    """The rebuild's floor (``floor.py``): its read models' rows, written again by the bare
    driver alone into empty tables of the same definitions, in one transaction."""
    from bench.service.floor import write_rows as written

    figures = await written(url, time.perf_counter)
    return {
        "rows": sum(figures["rows"].values()),
        "tables": figures["rows"],
        "seconds": figures["seconds"],
        "peak_rss_mb": _peak_mb(),
    }


STEPS: dict[str, Callable[..., Any]] = {
    "rebuild": rebuild,
    "write_rows": write_rows,
    "read_all": read_all,
    "assemble": assemble,
    "assembly": assembly,
}


def run_step(step: str, url: str, scale: float) -> dict[str, Any]:
    """Run ``step`` in a child process (so its peak memory is its own) and return its figures."""
    env = {**os.environ, "INNOVATION_DATABASE_URL": url, "BENCH_SCALE": str(scale)}
    command = [sys.executable, "-m", "bench.service.dataset", "--step", step, "--url", url]
    done = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


# -- kept per backend ------------------------------------------------------------------------


def marker(backend: str) -> Path:
    return folder(backend) / "dataset.json"


def kept(backend: str, scale: float) -> dict[str, Any] | None:
    """The figures of the kept data set, if it was built by this version at this scale."""
    path = marker(backend)
    if not path.exists():
        return None
    figures: dict[str, Any] = json.loads(path.read_text())
    if figures.get("version") != VERSION or figures.get("scale") != scale:
        return None
    return figures


def build(backend: str, url: str, scale: float, console: Console) -> dict[str, Any]:
    """Migrate, generate, rebuild, assemble and time one pass of the log; write the marker."""
    from innovation.store.migrate import upgrade

    marker(backend).unlink(missing_ok=True)
    upgrade(url)
    figures: dict[str, Any] = {"version": VERSION, "scale": scale, "backend": backend}
    figures["generate"] = asyncio.run(generate(url, scale, console))
    _say(console, "appended", figures["generate"])
    for step in ("rebuild", "write_rows", "read_all", "assemble", "assembly"):
        figures[step] = run_step(step, url, scale)
        _say(console, step, figures[step])
    figures["ideas"] = max(1, round(IDEAS * scale))
    figures["experiments"] = max(1, round(EXPERIMENTS * scale))
    figures["events"] = figures["generate"]["events"]
    figures["built_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    marker(backend).write_text(json.dumps(figures, indent=2))
    return figures


def copy_tables(source: str, target: str, console: Console) -> dict[str, Any]:
    """Every table of the built SQLite data set, copied row for row into the migrated, empty
    PostgreSQL database (tokens excepted: each run issues its own), sequences moved past."""
    import sqlalchemy as sa

    import innovation.bootstrap  # noqa: F401  (every projection registers its tables)
    from innovation.all_tables import metadata

    reader = sa.create_engine(source)
    writer = sa.create_engine(target.replace("+asyncpg", "+psycopg"))
    tables = [table for table in metadata.sorted_tables if table.name != "api_tokens"]
    started = time.perf_counter()
    rows = 0
    try:
        with reader.connect() as read, writer.begin() as write, _bar(console) as bar:
            counts = {t.name: read.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                      for t in tables}  # fmt: skip
            task = bar.add_task("copying into PostgreSQL", total=sum(counts.values()))
            for table in tables:
                result = read.execution_options(yield_per=5000).execute(sa.select(table))
                for chunk in result.mappings().partitions():
                    write.execute(table.insert(), [dict(row) for row in chunk])
                    rows += len(chunk)
                    bar.update(task, completed=rows)
            for table in tables:
                for column in (c for c in table.columns if c.identity is not None):
                    write.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'),"
                        f" (SELECT max({column.name}) FROM {table.name}))"
                        f" WHERE pg_get_serial_sequence('{table.name}', '{column.name}') IS NOT NULL"
                        f" AND EXISTS (SELECT 1 FROM {table.name})"
                    )
    finally:
        reader.dispose()
        writer.dispose()
    return {"rows": rows, "seconds": time.perf_counter() - started, "peak_rss_mb": _peak_mb()}


def copy_build(source: str, url: str, scale: float, console: Console) -> dict[str, Any]:
    """PostgreSQL's data set as a copy of SQLite's (the log, positions and read models alike),
    which is quicker than appending a million events through PostgreSQL's write path; then
    ``read_all``, a rebuild of every read model (the same rows again, from the log) and the
    releases' assembly are timed on PostgreSQL itself. Publishing the releases (the ``assemble``
    step) happened in SQLite's build. ``BENCH_PG_DATA=build`` builds it all on PostgreSQL."""
    from innovation.store.migrate import upgrade

    if kept("sqlite", scale) is None:
        ensure("sqlite", scale, console)
    sqlite = kept("sqlite", scale)
    assert sqlite is not None
    marker("postgres").parent.mkdir(parents=True, exist_ok=True)
    marker("postgres").unlink(missing_ok=True)
    upgrade(url)
    figures = {**sqlite, "backend": "postgres", "copied_from": "sqlite"}
    figures["copy"] = copy_tables(source, url, console)
    _say(console, "copied", figures["copy"])
    figures["assemble"] = {**sqlite["assemble"], "on": "sqlite"}
    _time_again(figures, url, scale, console)
    figures["built_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    marker("postgres").write_text(json.dumps(figures, indent=2))
    return figures


def _say(console: Console, what: str, figures: dict[str, Any]) -> None:
    count, unit = (
        (figures["events"], "events") if "events" in figures else (figures.get("rows"), "rows")
    )
    rate = f", {count / figures['seconds']:,.0f} {unit}/s" if count else ""
    console.print(
        f"{what}: {figures['seconds']:.1f} s{rate}, peak RSS {figures['peak_rss_mb']:.0f} MB"
        + (f", periods {', '.join(figures['periods'])}" if figures.get("periods") else "")
    )


def sqlite_url() -> str:
    folder("sqlite").mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder('sqlite') / 'innovation.db'}"


def ensure(backend: str, scale: float, console: Console, cluster: Cluster | None = None) -> str:
    """The URL of ``backend``'s data set, built first unless a kept one fits."""
    if backend == "sqlite":
        url = sqlite_url()
        if kept(backend, scale) is None:
            (folder("sqlite") / "innovation.db").unlink(missing_ok=True)
            build(backend, url, scale, console)
        else:
            console.print(f"sqlite: reusing the data set in {folder('sqlite')}")
        return url
    assert cluster is not None
    if kept(backend, scale) is None:
        cluster.recreate_database()
        if os.environ.get("BENCH_PG_DATA", "copy") == "build":
            build(backend, cluster.url, scale, console)
        else:
            copy_build(sqlite_url(), cluster.url, scale, console)
    else:
        console.print(f"postgres: reusing the data set in {cluster.data}")
    return cluster.url


RETIMED = ("read_all", "rebuild", "write_rows", "assembly")
"""What a kept data set has timed again: what the issue's targets hold to one another, and
the rebuild's floor (its rows written by the bare driver alone, on the rows it rebuilt)."""


def _time_again(figures: dict[str, Any], url: str, scale: float, console: Console) -> None:
    for step in RETIMED:
        figures[step] = run_step(step, url, scale)
        _say(console, step, figures[step])


def _remove(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def sqlite_copy(name: str) -> str:
    """A copy of the kept SQLite data set beside it, migrated to the code's schema; its URL."""
    from innovation.store.migrate import upgrade

    source, copy = folder("sqlite") / "innovation.db", folder("sqlite") / name
    _remove(copy)
    engine = sa.create_engine(f"sqlite:///{source}")
    with engine.connect() as connection:  # fold the WAL into the file before copying it
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    shutil.copyfile(source, copy)
    url = f"sqlite:///{copy}"
    upgrade(url)
    return url


def postgres_copy(cluster: Cluster, name: str) -> str:
    """A copy of the kept PostgreSQL data set (``CREATE DATABASE … TEMPLATE``), analysed as
    autovacuum would have done in a database in use and migrated to the code's schema."""
    from innovation.store.migrate import upgrade

    cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    # FILE_COPY: the files copied whole, between two checkpoints, before the copy is used. The
    # default (WAL_LOG) writes the whole data set to the WAL, a gigabyte here: checkpoints every
    # few seconds, then one spread over the next minutes, under the first paths measured.
    cluster.psql(f"CREATE DATABASE {name} TEMPLATE {DATABASE} STRATEGY FILE_COPY")
    # The planner's statistics, and the visibility map that lets a read of an index alone (the
    # queues' orders) skip the table: a data set just copied in has neither.
    cluster.psql("VACUUM (ANALYZE)", database=name)
    url = cluster.url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    return url


@contextmanager
def copy_of(backend: str) -> Iterator[str]:
    """The URL of a throw-away copy of ``backend``'s kept data set, removed afterwards."""
    if backend == "sqlite":
        try:
            yield sqlite_copy("retime.db")
        finally:
            _remove(folder("sqlite") / "retime.db")
        return
    with Cluster(folder("postgres")) as cluster:
        try:
            yield postgres_copy(cluster, "bench_retime")
        finally:
            cluster.psql("DROP DATABASE IF EXISTS bench_retime WITH (FORCE)")


def retime(scale: float, console: Console, backend: str = "sqlite") -> dict[str, Any]:
    """Time ``read_all``, rebuild, its floor (``write_rows``) and assembly again with this code,
    on a copy of the kept data set (brought to the current schema), and keep the figures in its
    marker.

    The build's own ``assemble`` step published and shipped the releases (the copy holds them
    already), so what is timed again is their assembly, every period over the whole log."""
    figures = kept(backend, scale)
    if figures is None:
        raise SystemExit(f"no {backend} data set at this scale to time again: build it first")
    with copy_of(backend) as url:
        _time_again(figures, url, scale, console)
    figures["retimed_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    marker(backend).write_text(json.dumps(figures, indent=2))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), action="append")
    parser.add_argument(
        "--retime",
        action="store_true",
        help="time read_all, rebuild, its floor and assembly again on a copy of each kept data set",
    )
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    scale = scale_from_env()
    if arguments.step:
        console = Console(stderr=True)
        figures = asyncio.run(STEPS[arguments.step](arguments.url, console))
        print(json.dumps(figures))
        return
    console = Console(stderr=True)
    backends = arguments.backend or ["sqlite", "postgres"]
    if arguments.retime:
        for backend in backends:
            retime(scale, console, backend)
        return
    for backend in backends:
        reused = kept(backend, scale) is not None
        if backend == "postgres":
            with Cluster(folder("postgres")) as cluster:
                ensure(backend, scale, console, cluster)
        else:
            ensure(backend, scale, console)
        if reused:  # its steps were timed by the code that built it: time them with this
            retime(scale, console, backend)


if __name__ == "__main__":
    main()
