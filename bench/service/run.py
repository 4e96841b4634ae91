"""``make bench-service``: the service under wrk, on SQLite and PostgreSQL, against its ceilings.

For each backend: the kept data set (``bench.service.dataset``) is copied for the run (so the
bench's own writes never pile up in it), tokens are issued, the service is started under uvicorn
(``bench.service.app:create``: the product plus its ceilings) and wrk drives every path at
concurrency 1, 16 and 64 (``BENCH_DURATION`` seconds each), then each path held to a ceiling
and the ceiling again, taking turns (``paired``). On PostgreSQL the reads are run
again with two server processes, and afterwards the log is checked and a subscriber on one
process must see an idea submitted through another. The tables, the ratio targets, a JSON file
under ``bench/results/`` and ``bench/service-throughput.png`` are the output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from rich.console import Console

from bench.service import dataset
from bench.service.cpu import LEVEL, Meter, cpu_table, described
from bench.service.postgres import Cluster, free_port
from bench.service.report import (
    PAIRS,
    Figures,
    InvalidRunError,
    Pairs,
    Results,
    Target,
    chart,
    data_set_targets,
    floor_line,
    pair_ratio,
    pairs_line,
    pairs_to_json,
    parse_wrk,
    scaling_target,
    submit_scaling,
    table,
    targets,
    to_json,
)

HERE = Path(__file__).resolve().parent
ROUNDS = 3  # one process and two taking turns, for their ratio
PER_PROCESSES = ("two_processes", "one_beside_two")
LEVELS = tuple(int(level) for level in os.environ.get("BENCH_LEVELS", "1,16,64").split(","))
SATURATED = 20
"""Seconds at least at 64 connections: a slow path must answer each of them more than once."""
PAGE = (
    "query Page($order: IdeaOrderField!, $direction: SortDirection!) {"
    " ideas(first: 100, orderBy: {field: $order, direction: $direction}) { edges { node {"
    " title provenance { organisation country external }"
    " experiments { outcome decision metrics { name baseline latestValue changePct targetMet } }"
    " ethics { status } } } } }"
)
PAGE_ORDERS = [
    {"order": field, "direction": direction}
    for field in ("SCOUTED_AT", "UPDATED_AT", "SCORE", "STRATEGIC_FIT")
    for direction in ("DESC", "ASC")
]
"""The page's variables, every ordering both ways: the uncached page walks them in turn."""
CEILING_PAGE = PAGE.replace(
    "query Page($order: IdeaOrderField!, $direction: SortDirection!)", "query Page"
).replace("(first: 100, orderBy: {field: $order, direction: $direction})", "(first: 100)")
IDEA = (
    "query Idea($id: ID!) { idea(id: $id) { title stage summary score { rice strategicFit }"
    " experiments { hypothesis status metrics { name latestValue targetMet } } ethics { status } } }"
)
PIPELINE = "{ pipeline { position ideas externalShare byStage { key count } } }"
SUBMIT = (
    "mutation Submit($input: SubmitIdeaInput!) { submitIdea(input: $input) {"
    " idea { id version } errors { code message } } }"
)
NOOP = SUBMIT.replace("submitIdea(", "noopSubmitIdea(").replace(" idea { id version }", "")
MEASURE = (
    "mutation Measure($input: RecordMeasurementInput!) { recordMeasurement(input: $input) {"
    " experiment { id version } errors { code message } } }"
)


@dataclass(frozen=True)
class Route:
    """One thing the bench asks for: method, URL path, whose token, the bodies taken in turn."""

    name: str
    method: str
    path: str
    token: str
    bodies: list[str]
    cached: bool = False
    """Driven on a service whose answer cache is on; every other path runs with it off, so
    that a read measures its work rather than a copy kept from the warm-up request."""
    script: str = "requests.lua"
    """The wrk script: ``pages.lua`` for HTML pages, whose bodies wrk need not hand Lua."""


def body(query: str, variables: dict[str, Any] | None = None) -> str:
    """A GraphQL request body, one line (the Lua script reads one body a line)."""
    return json.dumps({"query": query, "variables": variables or {}})


def submit_input(title: str) -> dict[str, Any]:
    """``submitIdea``'s input, the same for the real mutation and the no-op."""
    return {
        "title": title,
        "summary": "A load-generated idea: a router that learns when cells sleep.",
        "provenance": {
            "sourceKind": "STARTUP",
            "organisation": "Bench Labs",
            "country": "FR",
            "external": True,
        },
        "themes": ["networks-cloud"],
    }


# -- the run's database ----------------------------------------------------------------------


@dataclass
class Prepared:
    url: str
    lead: str
    feed_key: str
    ideas: list[str]
    running: list[tuple[str, str]]
    """Running experiments of the data set, with one of their metrics each."""


def prepare(url: str) -> Prepared:
    """Tokens for the run, and ids the paths ask for, read from the data set."""
    from innovation.tokens import create_token, feed_key_of

    engine = sa.create_engine(url.replace("+asyncpg", "+psycopg"))
    now = datetime.now(UTC)
    with engine.begin() as connection:
        lead = create_token(connection, name="bench-lead", role="lead", email=None, now=now)
        executive, _ = create_token(
            connection, name="bench-executive", role="executive", email=None, now=now
        )
        key = feed_key_of(connection, executive.token_id)
        ideas = connection.exec_driver_sql(
            "SELECT idea_id FROM ideas_view ORDER BY idea_id LIMIT 500"
        ).all()
        running = running_experiments(connection)
    engine.dispose()
    assert key is not None
    assert running, "the data set has no running experiment"
    return Prepared(url, lead[1], key, [row[0] for row in ideas], running)


def running_experiments(connection: sa.Connection) -> list[tuple[str, str]]:
    """Up to 2,000 running experiments, each with one of its metrics: what
    ``recordMeasurement`` measures."""
    found = connection.exec_driver_sql(
        "SELECT e.experiment_id, min(m.name) FROM experiments_view e"
        " JOIN metrics_view m ON m.experiment_id = e.experiment_id"
        " WHERE e.status = 'RUNNING' GROUP BY e.experiment_id ORDER BY e.experiment_id"
        " LIMIT 2000"
    )
    return [(str(experiment), str(metric)) for experiment, metric in found]


def measurement(experiment_id: str, metric: str) -> str:
    """A ``recordMeasurement`` body: one value for one metric of a running experiment."""
    return body(
        MEASURE, {"input": {"experimentId": experiment_id, "metric": metric, "value": 50.5}}
    )


def paths(prepared: Prepared) -> list[Route]:
    """Every path the bench drives, ceilings first, then reads, then writes."""
    lead = prepared.lead
    measurements = [measurement(e, m) for e, m in prepared.running]
    return [
        Route("plain", "GET", "/bench/plain", "-", []),
        Route("typename", "POST", "/graphql", lead, [body("{ __typename }")]),
        Route("strawberry", "POST", "/bench/strawberry", "-", [body(CEILING_PAGE)]),
        Route(
            "noop",
            "POST",
            "/bench/graphql",
            lead,
            [body(NOOP, {"input": submit_input("Bench no-op {n}")})],
        ),
        Route("page", "POST", "/graphql", lead, [body(PAGE, order) for order in PAGE_ORDERS]),
        Route("page-repeated", "POST", "/graphql", lead, [body(PAGE, PAGE_ORDERS[0])], cached=True),
        Route("idea", "POST", "/graphql", lead, [body(IDEA, {"id": i}) for i in prepared.ideas]),
        Route("pipeline", "POST", "/graphql", lead, [body(PIPELINE)]),
        Route(
            "release",
            "GET",
            f"/releases/2026-H1?key={prepared.feed_key}",
            "-",
            [],
            script="pages.lua",
        ),
        Route(
            "submitIdea",
            "POST",
            "/graphql",
            lead,
            [body(SUBMIT, {"input": submit_input("Bench idea {n}")})],
        ),
        Route(
            "submitIdea-keyed",
            "POST",
            "/graphql",
            lead,
            [body(SUBMIT, {"input": {**submit_input("Bench idea {n}"), "clientMutationId": KEY}})],
        ),
        Route("recordMeasurement", "POST", "/graphql", lead, measurements),
    ]


KEY = "bench-{run}-{n}"
"""A resendable submission's ``clientMutationId``: ``{run}`` is new for every wrk run (``drive``),
``{n}`` for every request of it, so each is a first sending rather than a resend."""


# -- the server and the load ------------------------------------------------------------------


def answers_health(base: str, server: subprocess.Popen[Any], *, seconds: float) -> bool:
    """Whether the server at ``base`` answers ``/health`` within ``seconds`` (False as soon as
    its process has ended)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2):
                return True
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.2)


def serve_command(port: int, workers: int = 1, *, log_level: str = "info") -> list[str]:
    """The command serving the product as ``innovation serve`` does (``innovation.serving``),
    with the bench's routes beside it (``bench.service.app:create``), on 127.0.0.1:``port``."""
    serve = (
        "from innovation.serving import serve; "
        f"serve('127.0.0.1', {port}, {workers}, app='bench.service.app:create', "
        f"log_level={log_level!r})"
    )
    return [sys.executable, "-c", serve]


@dataclass(frozen=True)
class Served:
    """A service the bench started: where it answers, and whose CPU is its (``cpu.py``)."""

    base: str
    watched: Mapping[str, int]
    """The process trees a run's CPU is told by: the service's own (its workers with it), and
    PostgreSQL's when it is the backend."""


@contextmanager
def serving(
    url: str,
    log: Path,
    *,
    workers: int = 1,
    answer_cache: bool = False,
    database_pid: int | None = None,
) -> Iterator[Served]:
    """The service as ``innovation serve`` runs it (uvicorn, each worker listening on a socket
    of its own), with the bench's routes; yields where it answers and the processes to watch
    (``database_pid``: PostgreSQL's postmaster, if the backend is).

    Without ``answer_cache`` the service keeps no answers (``INNOVATION_ANSWER_CACHE_MB=0``):
    the bench's reads repeat a few bodies, which a cache would otherwise answer from memory.

    Its output goes to ``log`` (wrk closing its connections at the end of a run makes the
    service log a request cut short for each)."""
    port = free_port()
    env = {
        **os.environ,
        "INNOVATION_DATABASE_URL": url,
        "INNOVATION_SCHEDULER": "off",
    }
    if not answer_cache:
        env["INNOVATION_ANSWER_CACHE_MB"] = "0"
    command = serve_command(port, workers, log_level="warning")
    output = log.open("a")
    server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        if not answers_health(base, server, seconds=60):
            raise SystemExit(f"the service did not start, see {log}")
        watched = {"service": server.pid}
        if database_pid is not None:
            watched["PostgreSQL"] = database_pid
        yield Served(base, watched)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        output.close()


def ensure_wrk() -> str:
    """Debian's wrk, installed when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    prefix = [] if os.getuid() == 0 else ["sudo"]
    subprocess.run([*prefix, "apt-get", "install", "-y", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed")
    return found


def drive(
    wrk: str,
    base: str,
    path: Route,
    level: int,
    seconds: int,
    folder: Path,
    watched: Mapping[str, int] | None = None,
) -> Figures:
    """One wrk run of ``path`` at ``level`` connections, its figures checked for failures;
    with the CPU a request of each ``watched`` process tree and of wrk, if given."""
    bodies = "-"
    if path.bodies:
        bodies = str(folder / f"{path.name}.bodies")
        run = uuid.uuid4().hex[:12]
        Path(bodies).write_text("\n".join(path.bodies).replace("{run}", run) + "\n")
    command = [
        wrk, f"-t{min(level, 2)}", f"-c{level}", f"-d{seconds}s", "--timeout", "60s",
        "-s", str(HERE / path.script), base, "--",
        path.method, path.path, path.token, bodies,
    ]  # fmt: skip
    meter = None if watched is None else Meter(watched)
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    figures = parse_wrk(done.stdout, f"{path.name} at {level}")
    if meter is None:
        return figures
    return replace(figures, cpu_us=meter.per_request(figures.requests))


WARM_LEVEL, WARM_SECONDS = 16, 2
"""Before a path's runs, wrk at 16 connections for two seconds, not counted. The first run at
16 after the service started measured its start as well: the read connections a burst opens,
and PostgreSQL planning each statement afresh on each connection for its first executions
(a prepared statement's first five are planned for their values). The uncached page's p99 at
16 on PostgreSQL was 93 and 99 ms in such a first run, 70 to 71 in the two after it."""


def warm(base: str, route: Route) -> None:
    """One request first, so what a path draws or loads once is not part of its figures."""
    headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip"}
    if route.token != "-":
        headers["Authorization"] = f"Bearer {route.token}"
    data = route.bodies[0].replace("{n}", "0").encode() if route.bodies else None
    request = urllib.request.Request(base + route.path, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()


@dataclass(frozen=True)
class Sweep:
    """What the runs of one backend's sweep share: wrk, how long a run lasts, the folder its
    bodies are written to, where it tells of each run, and the list of runs left out."""

    wrk: str
    seconds: int
    console: Console
    folder: Path
    refused: list[str]


def drive_all(sweep: Sweep, served: Served, chosen: list[Route]) -> Results:
    """Every path at every concurrency; a run with failures is left out and listed in
    ``refused`` (the others are still measured)."""
    results: Results = {}
    base = served.base
    for path in chosen:
        warm(base, path)
        with contextlib.suppress(InvalidRunError):  # the runs measured say what went wrong
            drive(sweep.wrk, base, path, WARM_LEVEL, WARM_SECONDS, sweep.folder)
        for level in LEVELS:
            long_enough = max(sweep.seconds, SATURATED) if level >= 64 else sweep.seconds
            try:
                figures = drive(
                    sweep.wrk, base, path, level, long_enough, sweep.folder, served.watched
                )
            except InvalidRunError as error:
                sweep.refused.append(str(error))
                sweep.console.print(f"  [red]{path.name} at {level} not reported:[/red] {error}")
                continue
            results.setdefault(path.name, {})[level] = figures
            sweep.console.print(
                f"  {path.name:<18} c={level:<3} {figures.rate:>9,.1f} req/s"
                f"  p50 {figures.p50_ms:7.1f} ms  p90 {figures.p90_ms or 0:7.1f} ms"
                f"  p99 {figures.p99_ms:7.1f} ms"
                + (f"  {described(figures.cpu_us)}" if figures.cpu_us and level == LEVEL else ""),
                soft_wrap=True,  # one line per run, however narrow the terminal
            )
    return results


K = TypeVar("K")


def taking_turns(
    wrk: str, runs: dict[K, tuple[Served, Route]], seconds: int, folder: Path
) -> dict[K, Figures]:
    """Each of ``runs`` (a path on a server) at 16 connections in turn, ``ROUNDS`` times; for
    each, the run of median rate. Taking turns, they share whatever the machine's load does
    meanwhile (it is a shared virtual one): one after the other, a ratio of two runs a minute
    apart moved with it."""
    taken: dict[K, list[Figures]] = {key: [] for key in runs}
    for served, path in runs.values():
        for _ in range(4):  # each process answers some of them
            warm(served.base, path)
    for _ in range(ROUNDS):
        for key, (served, path) in runs.items():
            taken[key].append(drive(wrk, served.base, path, 16, seconds, folder, served.watched))
    return {
        key: sorted(found, key=lambda figures: figures.rate)[len(found) // 2]
        for key, found in taken.items()
    }


def paired(sweep: Sweep, served: Served, chosen: list[Route]) -> Pairs:
    """Each chosen path held to a ceiling (``PAIRS``) and that ceiling, taking turns on
    ``served``: the runs its target is judged by."""
    named = {path.name: path for path in chosen}
    found: Pairs = {}
    for name, ceiling in PAIRS.items():
        if name not in named or ceiling not in named:
            continue
        runs = {"run": (served, named[name]), "ceiling": (served, named[ceiling])}
        try:
            taken = taking_turns(sweep.wrk, runs, sweep.seconds, sweep.folder)
        except InvalidRunError as error:
            sweep.refused.append(f"{name} taking turns with {ceiling}: {error}")
            continue
        found[name] = (taken["run"], taken["ceiling"])
        run, base = found[name]
        sweep.console.print(
            f"  {name:<18} c=16  {run.rate:>9,.1f} req/s  {ceiling} {base.rate:>9,.1f} req/s"
            f"  ({pair_ratio(run, base) or 0:.3g})",
            soft_wrap=True,
        )
    return found


# -- after two processes: the log, and a subscriber on the other process ----------------------


def check_log(url: str) -> dict[str, int]:
    """Every stream's versions run 1..n with no gap or repeat; positions and ids are unique."""
    engine = sa.create_engine(url.replace("+asyncpg", "+psycopg"))
    with engine.connect() as connection:
        one = connection.exec_driver_sql
        figures = {
            "events": one("SELECT count(*) FROM events").scalar_one(),
            "distinct_positions": one("SELECT count(DISTINCT position) FROM events").scalar_one(),
            "distinct_event_ids": one("SELECT count(DISTINCT event_id) FROM events").scalar_one(),
            "streams_with_gaps": one(
                "SELECT count(*) FROM (SELECT stream_id FROM events GROUP BY stream_id"
                " HAVING min(version) <> 1 OR max(version) <> count(*)"
                " OR count(DISTINCT version) <> count(*)) broken"
            ).scalar_one(),
            "submitted": one("SELECT count(*) FROM events WHERE type = 'idea.submitted'").scalar_one(),
        }  # fmt: skip
    engine.dispose()
    return figures


async def subscriber_sees(listen: str, write: str, token: str) -> float:
    """Seconds until a subscriber on ``listen`` receives an idea submitted through ``write``."""
    import websockets

    title = f"Seen across processes {uuid.uuid4().hex[:8]}"
    uri = listen.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(uri, subprotocols=["graphql-transport-ws"]) as socket_:  # type: ignore[list-item]
        await socket_.send(json.dumps({"type": "connection_init",
                                       "payload": {"Authorization": f"Bearer {token}"}}))  # fmt: skip
        assert json.loads(await socket_.recv())["type"] == "connection_ack"
        query = 'subscription { events(streamPrefix: "idea-") { type data } }'
        await socket_.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}})
        )
        await asyncio.sleep(0.5)
        started = time.perf_counter()
        request = urllib.request.Request(
            write + "/graphql",
            data=body(SUBMIT, {"input": submit_input(title)}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        await asyncio.to_thread(urllib.request.urlopen, request, timeout=30)
        while True:
            message = json.loads(await asyncio.wait_for(socket_.recv(), timeout=30))
            if message.get("type") == "next" and title in json.dumps(message):
                return time.perf_counter() - started


UNRELEASED = "2026-M07"
"""A period that is over and has no release: under a monthly cadence, the month after the data
set's last released semester (2026-H1). Time is released once, whatever the cadence, so the
months the semesters cover are passed over; unlike the semester before the data set's first
event, this month's release is assembled from the log."""


def assemble_twice(url: str, period: str) -> int:
    """``innovation release assemble`` run by two processes at once (monthly periods); returns
    how many releases of ``period`` the log then holds."""
    env = {**os.environ, "INNOVATION_DATABASE_URL": url, "INNOVATION_RELEASE_CADENCE_MONTHS": "1"}
    command = [sys.executable, "-m", "innovation.cli", "release", "assemble", "--period", period]
    both = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(2)]
    if any(process.wait() != 0 for process in both):
        raise SystemExit("innovation release assemble failed")
    engine = sa.create_engine(url.replace("+asyncpg", "+psycopg"))
    with engine.connect() as connection:
        count: int = connection.exec_driver_sql(
            "SELECT count(*) FROM events WHERE type = 'release.published'"
            f" AND stream_id = 'release-{period}'"
        ).scalar_one()
    engine.dispose()
    return count


# -- one backend --------------------------------------------------------------------------------


def run_copy_sqlite(scale: float, console: Console) -> str:
    """A copy of the kept SQLite data set for this run, so its writes do not pile up."""
    dataset.ensure("sqlite", scale, console)
    return dataset.sqlite_copy("run.db")


def run_copy_postgres(cluster: Cluster, scale: float, console: Console) -> str:
    """A copy of the kept PostgreSQL data set for this run (``CREATE DATABASE … TEMPLATE``)."""
    dataset.ensure("postgres", scale, console, cluster)
    return dataset.postgres_copy(cluster, "bench_run")


def bench_backend(
    backend: str,
    url: str,
    seconds: int,
    console: Console,
    folder: Path,
    database_pid: int | None = None,
) -> dict[str, Any]:
    """Every path at every concurrency; on PostgreSQL, then two processes and the checks.
    ``database_pid``, PostgreSQL's postmaster, is watched with the service (``cpu.py``)."""
    wrk = ensure_wrk()
    log = dataset.folder(backend) / "service.log"
    log.unlink(missing_ok=True)
    prepared = prepare(url)
    only = os.environ.get("BENCH_PATHS")
    chosen = [p for p in paths(prepared) if not only or p.name in only.split(",")]
    console.print(f"[bold]{backend}[/bold]: one process")
    refused: list[str] = []
    sweep = Sweep(wrk, seconds, console, folder, refused)
    turns = f"each path and its ceiling taking turns, {ROUNDS} runs each"
    with serving(url, log, database_pid=database_pid) as served:
        uncached = [path for path in chosen if not path.cached]
        results = drive_all(sweep, served, uncached)
        console.print(f"[bold]{backend}[/bold]: one process, {turns}")
        pairs = paired(sweep, served, uncached)
    if cached := [path for path in chosen if path.cached]:
        console.print(f"[bold]{backend}[/bold]: one process, answer cache on")
        with serving(url, log, answer_cache=True, database_pid=database_pid) as served:
            results |= drive_all(sweep, served, cached)
            plain = [path for path in chosen if path.name in {PAIRS[p.name] for p in cached}]
            console.print(f"[bold]{backend}[/bold]: answer cache on, {turns}")
            pairs |= paired(sweep, served, cached + plain)
    found: dict[str, Any] = {"results": results, "pairs": pairs, "refused": refused}
    if backend == "postgres":
        reads = [path for path in chosen if path.name in ("page", "idea", "pipeline")]
        console.print(
            f"[bold]{backend}[/bold]: one process and two (--workers 2) taking turns, "
            f"{ROUNDS} runs each"
        )
        one: Results = {}
        two: Results = {}
        with (
            serving(url, log, database_pid=database_pid) as alone,
            serving(url, log, workers=2, database_pid=database_pid) as both,
        ):
            for path in reads:
                try:
                    taken = taking_turns(wrk, {1: (alone, path), 2: (both, path)}, seconds, folder)
                except InvalidRunError as error:
                    refused.append(f"two processes: {error}")
                    continue
                one[path.name], two[path.name] = {16: taken[1]}, {16: taken[2]}
                console.print(
                    f"  {path.name:<18} c=16  one {taken[1].rate:>9,.1f} req/s"
                    f" p99 {taken[1].p99_ms:7.1f} ms  two {taken[2].rate:>9,.1f} req/s"
                    f" p99 {taken[2].p99_ms:7.1f} ms",
                    soft_wrap=True,
                )
                for processes, figures in taken.items():
                    if figures.cpu_us:
                        console.print(
                            f"    {processes} process{'es' if processes > 1 else ''}:"
                            f" {described(figures.cpu_us)}",
                            soft_wrap=True,
                        )
        found["two_processes"] = two
        found["one_beside_two"] = one
        found["scaling"] = scaling_target(one, two)
        console.print(f"[bold]{backend}[/bold]: submitIdea through both processes, then the log")
        submit = next(path for path in paths(prepared) if path.name == "submitIdea")
        before = check_log(url)
        answered = 0  # failed requests may or may not have written: not counted
        with serving(url, log, workers=2, database_pid=database_pid) as served:
            for _ in range(4):  # each answered (warm raises otherwise), and in the log
                warm(served.base, submit)
                answered += 1
            submits: dict[int, Figures] = {}
            for level in (1, 16):
                try:
                    submits[level] = drive(
                        wrk, served.base, submit, level, seconds, folder, served.watched
                    )
                except InvalidRunError as error:
                    refused.append(f"two processes: {error}")
                    continue
                answered += submits[level].requests
                console.print(f"  submitIdea{'':<9}c={level:<3} {submits[level].rate:>9,.1f} req/s")
        two["submitIdea"] = submits
        found["scaling"] += submit_scaling(submits, "two processes")
        with serving(url, log) as first, serving(url, log) as second:
            found["subscriber_seconds"] = asyncio.run(
                subscriber_sees(first.base, second.base, prepared.lead)
            )
        found["releases_assembled_twice"] = assemble_twice(url, UNRELEASED)
        console.print(
            f"  two processes assembled {UNRELEASED}: "
            f"{found['releases_assembled_twice']} release(s)"
        )
        after = check_log(url)
        after["answered_submits"] = answered
        after["new_ideas"] = after["submitted"] - before["submitted"] - 1  # the subscriber's
        found["log"] = after
        found["scaling"].append(
            Target(
                f"releases of {UNRELEASED} after two processes assembled it",
                found["releases_assembled_twice"],
                1,
                upper=True,
                unit="",
            )
        )
        found["scaling"].append(
            Target(
                "log intact after two processes (streams with a gap, repeated positions or ids,"
                " answered submits missing)",
                after["streams_with_gaps"]
                + (after["events"] - after["distinct_positions"])
                + (after["events"] - after["distinct_event_ids"])
                + max(0, answered - after["new_ideas"]),
                0,
                upper=True,
                unit="",
            )
        )
    return found


def machine() -> dict[str, Any]:
    """What the figures were taken on, for the report."""
    memory = subprocess.run(["free", "-g"], stdout=subprocess.PIPE, text=True).stdout
    return {
        "nproc": os.cpu_count(),
        "free_g": memory.splitlines()[1].split()[1] if memory else "?",
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def outputs(
    bench: Path,
    now: datetime,
    scale: float,
    backends: list[str],
    levels: tuple[int, ...],
    paths_only: str | None,
) -> tuple[Path, Path]:
    """Where a run's figures (JSON) and chart go, under ``bench``.

    Only a whole run (both backends, every path at every concurrency, the full-scale data set)
    redraws ``service-throughput.png``, the chart the READMEs show; a partial one draws its own
    beside its figures in ``results/``. Each run's figures have a file of their own, named by
    the minute it ended, so a quick run never replaces the day's whole one."""
    whole = (
        scale == 1
        and sorted(backends) == ["postgres", "sqlite"]
        and levels == (1, 16, 64)
        and not paths_only
    )
    stamp = f"{now:%Y-%m-%dT%H%M}"
    if whole:
        return bench / "results" / f"service-{stamp}.json", bench / "service-throughput.png"
    partial = bench / "results" / f"service-{stamp}-partial"
    return partial.with_suffix(".json"), partial.with_suffix(".png")


def main() -> None:
    console = Console()
    scale = dataset.scale_from_env()
    seconds = int(os.environ.get("BENCH_DURATION", "8"))
    backends = os.environ.get("BENCH_BACKENDS", "sqlite,postgres").split(",")
    started = time.perf_counter()
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": scale,
        "seconds_per_run": seconds,
        "machine": machine(),
        "backends": {},
    }
    per_backend: dict[str, Results] = {}
    lines: list[str] = []
    refused_all: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-service-") as temporary:
        folder = Path(temporary)
        for backend in backends:
            try:
                if backend == "sqlite":
                    url = run_copy_sqlite(scale, console)
                    found = bench_backend(backend, url, seconds, console, folder)
                    figures = dataset.kept("sqlite", scale)
                else:
                    with Cluster(dataset.folder("postgres")) as cluster:
                        url = run_copy_postgres(cluster, scale, console)
                        found = bench_backend(
                            backend, url, seconds, console, folder, database_pid=cluster.pid
                        )
                        found["postgres"] = {
                            name: cluster.setting(name)
                            for name in ("server_version", "shared_buffers", "max_connections",
                                         "synchronous_commit", "wal_buffers", "commit_delay")
                        }  # fmt: skip
                        cluster.psql("DROP DATABASE IF EXISTS bench_run WITH (FORCE)")
                    figures = dataset.kept("postgres", scale)
            except InvalidRunError as error:  # the service could not even be prepared
                console.print(f"[red]not reported, the run had errors:[/red] {error}")
                sys.exit(1)
            refused_here = found.pop("refused")
            refused_all += [f"{backend}: {line}" for line in refused_here]
            results: Results = found.pop("results")
            pairs: Pairs = found.pop("pairs")
            per_backend[backend] = results
            checks = targets(results, backend, pairs=pairs) + found.get("scaling", [])
            if figures is not None:
                checks += data_set_targets(figures, backend)
            lines += [f"## {backend}", "", *table(results), ""]
            lines += [f"    {check.line()}" for check in checks]
            if pairs:
                lines.append(f"    {pairs_line(pairs, results)}")
            floor = None if figures is None else floor_line(figures, backend)
            if floor is not None:
                lines.append(f"    {floor}")
            cpu = cpu_table(
                {
                    backend: {
                        path: runs[LEVEL].cpu_us for path, runs in results.items() if LEVEL in runs
                    }
                }
            )
            if cpu:
                lines += ["", f"µs of CPU a request at {LEVEL} connections, by part:", "", *cpu, ""]
            if found.get("one_beside_two"):
                both = {
                    label: {
                        path: runs[16].cpu_us for path, runs in found[key].items() if 16 in runs
                    }
                    for label, key in (
                        ("one process", "one_beside_two"),
                        ("two processes", "two_processes"),
                    )
                }
                if turns_cpu := cpu_table(both):
                    lines += ["", "µs of CPU a request at 16, one process and two taking turns:",
                              "", *turns_cpu, ""]  # fmt: skip
                turns = []
                for path, by_level in found["one_beside_two"].items():
                    one, two = by_level[16], found["two_processes"][path][16]
                    turns.append(
                        f"{path} {one.rate:,.1f} ({one.p99_ms:,.0f}) and"
                        f" {two.rate:,.1f} ({two.p99_ms:,.0f})"
                    )
                lines.append(
                    "    req/s (p99 ms) at 16, one process and two taking turns: "
                    + "; ".join(turns)
                )
            if "log" in found:
                log = found["log"]
                lines.append(
                    f"    log after two processes: {log['events']} events, {log['distinct_positions']}"
                    f" positions, {log['distinct_event_ids']} ids, {log['streams_with_gaps']} streams"
                    f" with a gap; {log['answered_submits']} submitIdea answered through two"
                    f" processes, {log['new_ideas']} ideas new in the log (the difference: requests"
                    f" still in flight when wrk stopped); a subscriber on one process saw an idea"
                    f" submitted through the other after {found['subscriber_seconds']:.2f} s"
                )
            lines += [f"    NOT REPORTED (failed requests): {line}" for line in refused_here]
            lines.append("")
            report["backends"][backend] = {
                "refused": refused_here,
                **{k: v for k, v in found.items() if k not in ("scaling", *PER_PROCESSES)},
                "results": to_json(results),
                "pairs": pairs_to_json(pairs),
                **{k: to_json(found.get(k, {})) for k in PER_PROCESSES},
                "targets": [_target(check) for check in checks],
                "data_set": figures,
            }
    report["seconds"] = time.perf_counter() - started
    console.print("\n".join(lines), markup=False, highlight=False)
    output, drawn = outputs(
        HERE.parent, datetime.now(UTC), scale, backends, LEVELS, os.environ.get("BENCH_PATHS")
    )
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    (output.parent / "service-latest.md").write_text("\n".join(lines))
    chart(per_backend, drawn)
    console.print(
        f"wrote {output.relative_to(HERE.parent.parent)} and"
        f" {drawn.relative_to(HERE.parent.parent)} in {report['seconds']:.0f} s"
    )
    if refused_all:
        console.print(
            f"[red]{len(refused_all)} runs had failed requests and are not reported[/red]"
        )
        sys.exit(1)


def _target(check: Target) -> dict[str, Any]:
    return {"label": check.label, "measured": check.measured, "target": check.target,
            "upper": check.upper, "met": check.met}  # fmt: skip


if __name__ == "__main__":
    main()
