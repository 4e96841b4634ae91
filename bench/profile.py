"""Flame graphs of the service's hot paths: ``make profile``.

Serves the product as ``innovation serve`` does, with the bench's routes beside it (as ``make
bench-service`` serves it: ``bench.service.app``), on a fresh, seeded SQLite file (or
``--database-url``), then for each path drives it with wrk, as the bench does, while py-spy
samples the server process, and writes one flame graph per path to ``.profile/``. ``noop`` is
the bench's ceiling for ``submitIdea``: the same input through the same stack, nothing written.
``recordMeasurement``, the pipeline's most frequent write, measures the database's running
experiments in turn, as the bench does.
The service keeps no answers unless ``--answer-cache`` is given: the page's bodies repeat, and
a kept answer would show the cache rather than the work of answering. ``--measure`` runs the
same load without py-spy and prints requests/s, latency percentiles and the service's CPU per
request (all its threads, and its event loop's alone, read from ``/proc``): the before/after
figure for a change. ``--in-process N`` starts no server: it asks each path N times, one at a
time, of the same app in this process and prints the median and p90 milliseconds a request,
the steadiest before/after figure when the machine's throughput swings from one run to the
next (run it in a worktree of the code before, then of the code after, in turn). Beside the
bench's paths, ``themed``, ``worded``, ``counted``, ``experiments`` and ``staged`` are reads a
lead makes every day (``LEAD_READS``), for ``--in-process`` above all.

The load comes from wrk rather than a Python client: on a two-core machine a Python client
takes a core of its own and holds the server well below what it serves under wrk, and a
server at a third of its load runs its write batches a command or two at a time, which is not
where production spends its time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.service.app import BENCH_GRAPHQL
from bench.service.postgres import free_port
from bench.service.report import Figures
from bench.service.run import (
    IDEA,
    NOOP,
    PAGE,
    PAGE_ORDERS,
    PIPELINE,
    SUBMIT,
    Route,
    answers_health,
    body,
    drive,
    ensure_wrk,
    measurement,
    running_experiments,
    serve_command,
    submit_input,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = ROOT / ".profile"


def bodies(
    name: str,
    run: str,
    ideas: Sequence[str] = (),
    running: Sequence[tuple[str, str]] = (),
) -> list[str]:
    """The request bodies of a path, one a line, taken in turn; ``{n}`` in a submission's title
    is made unique per request by the wrk script, ``run`` per run. ``idea`` asks for each of
    ``ideas`` in turn, with what it nests, and ``recordMeasurement`` measures each of the
    ``running`` experiments' metrics in turn, as the bench does."""
    title = f"Predictive fibre-cut location for field teams, run {run} request {{n}}"
    if name == "typename":
        return [body("{ __typename }")]
    if name == "noop":
        return [body(NOOP, {"input": submit_input(title)})]
    if name == "submitIdea":
        return [body(SUBMIT, {"input": submit_input(title)})]
    if name == "page":
        return [body(PAGE, order) for order in PAGE_ORDERS]
    if name == "pipeline":
        return [body(PIPELINE)]
    if name == "idea":
        if not ideas:
            raise ValueError("the database has no idea to ask for")
        return [body(IDEA, {"id": idea_id}) for idea_id in ideas]
    if name == "recordMeasurement":
        if not running:
            raise ValueError("the database has no running experiment to measure")
        return [measurement(experiment, metric) for experiment, metric in running]
    if name in LEAD_READS:
        return [body(query, variables) for query, variables in LEAD_READS[name]]
    raise ValueError(f"unknown path {name!r}")


LISTED = (
    "query Listed($filter: IdeaFilter, $order: IdeaOrder) {"
    " ideas(first: 100, filter: $filter, orderBy: $order) {"
    " edges { node { title stage score { rice } } } pageInfo { hasNextPage endCursor } } }"
)
COUNTED = "query Counted($filter: IdeaFilter) { ideas(filter: $filter) { totalCount } }"
EXPERIMENTS = (
    "{ experiments(first: 100) { edges { node {"
    " hypothesis status metrics { name latestValue changePct targetMet } } } } }"
)


def _ordered(where: dict[str, Any], *fields: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (LISTED, {"filter": where, "order": {"field": field, "direction": direction}})
        for field in fields
        for direction in ("DESC", "ASC")
    ]


LEAD_READS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "themed": _ordered({"theme": "networks-cloud"}, "SCORE", "STRATEGIC_FIT"),
    "worded": _ordered({"text": "network"}, "SCOUTED_AT", "SCORE"),
    "counted": [
        (COUNTED, {"filter": where})
        for where in ({"external": True}, {"text": "network"}, {"theme": "cybersecurity"})
    ],
    "experiments": [(EXPERIMENTS, {})],
    "staged": [
        *_ordered({"theme": "cybersecurity", "stages": ["SCREENING"]}, "SCOUTED_AT"),
        (COUNTED, {"filter": {"theme": "cybersecurity", "stages": ["SCREENING", "SCOUTED"]}}),
        (COUNTED, {"filter": {"sourceKind": "STARTUP", "stages": ["SCREENING"]}}),
    ],
}
"""Reads a lead makes every day, beside the bench's page: a theme's ideas by score or fit, the
ideas holding a word, newest first or by score, counts alone (the ideas from outside, those
holding a word, a theme's), a page of experiments with their metrics, and a theme's or a source
kind's ideas within stages (a page each way, newest first, and counts). Their figures in the
README come from ``--in-process`` on copies of the bench's data set (``--database-url``)."""


def url_path(name: str) -> str:
    """Where a path is asked: the no-op mutation, ``submitIdea``'s ceiling as ``make
    bench-service`` measures it, is on the bench's own GraphQL route; the rest on the product's."""
    return BENCH_GRAPHQL if name == "noop" else "/graphql"


PATHS = (
    "typename",
    "submitIdea",
    "page",
    "pipeline",
    "idea",
    "noop",
    "recordMeasurement",
    *LEAD_READS,
)


def innovation(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "innovation"), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def asked_in(url: str, limit: int = 50) -> tuple[list[str], list[tuple[str, str]]]:
    """Ideas of the database, for ``idea`` to ask for, and running experiments with a metric
    each, for ``recordMeasurement`` to measure (through the bench's synchronous driver on
    PostgreSQL, as ``bench.service.run.prepare`` reads them): as many experiments as the bench
    measures, so that a profile's measurements spread over as many streams."""
    engine = sa.create_engine(url.replace("+asyncpg", "+psycopg"))
    try:
        with engine.connect() as connection:
            found = connection.exec_driver_sql(
                f"SELECT idea_id FROM ideas_view ORDER BY idea_id LIMIT {int(limit)}"
            )
            return [row[0] for row in found], running_experiments(connection)
    finally:
        engine.dispose()


class Service:
    """``innovation serve`` on a migrated, seeded database, with an admin token."""

    def __init__(
        self, database_url: str | None, *, answer_cache: bool = False, serve: bool = True
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="innovation-profile-"))
        url = database_url or f"sqlite:///{self.folder / 'profile.db'}"
        self.port = free_port()
        self.env = {
            **os.environ,
            "INNOVATION_DATABASE_URL": url,
            "INNOVATION_PORT": str(self.port),
            "INNOVATION_SCHEDULER": "off",
        }
        if not answer_cache:
            self.env["INNOVATION_ANSWER_CACHE_MB"] = "0"
        innovation(self.env, "db", "upgrade")
        innovation(self.env, "seed", "load")
        created = innovation(self.env, "token", "create", "--name", "profile", "--role", "admin")
        match = re.search(r"inv_\S+", created)
        assert match is not None, created
        self.token = match.group(0)
        self.ideas, self.running = asked_in(url)
        self.process: subprocess.Popen[bytes] | None = None
        if serve:
            self._serve()

    def _serve(self) -> None:
        OUT.mkdir(exist_ok=True)
        self.log = (OUT / "server.log").open("w")
        self.process = subprocess.Popen(
            serve_command(self.port),
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        if not answers_health(self.url, self.process, seconds=30):
            raise RuntimeError("the service did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def load(wrk: str, service: Service, name: str, seconds: int, concurrency: int) -> Figures:
    """One wrk run of a path, as the bench drives it (a failed request makes it an error)."""
    sent = bodies(name, uuid.uuid4().hex[:8], service.ideas, service.running)
    route = Route(name, "POST", url_path(name), service.token, sent)
    return drive(wrk, service.url, route, concurrency, seconds, OUT)


def in_process(service: Service, name: str, requests: int) -> list[float]:
    """Seconds each of ``requests`` answers of a path took, asked one at a time of the app
    in this process (the bench's app, as the service serves it, through ``httpx``'s ASGI
    transport: no HTTP server, no load generator), after a few unmeasured. A refused request,
    or an answer with errors, stops the run."""
    from bench.service.app import create
    from innovation.config import get_settings

    settings = {k: v for k, v in service.env.items() if k.startswith("INNOVATION_")}
    before = {variable: os.environ.get(variable) for variable in settings}
    os.environ.update(settings)  # the app reads its settings from the environment
    get_settings.cache_clear()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line for every request otherwise
    try:
        return asyncio.run(_answer_in_process(create(), service, name, requests))
    finally:
        for variable, value in before.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value
        get_settings.cache_clear()


async def _answer_in_process(app: Any, service: Service, name: str, requests: int) -> list[float]:
    sent = bodies(name, uuid.uuid4().hex[:8], service.ideas, service.running)
    token = service.token
    # Asked as wrk asks in the bench, taking no gzip (httpx would ask for it): the same work.
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",
    }
    transport = httpx.ASGITransport(app=app)
    taken: list[float] = []
    refused = None  # raised once the app has shut down (inside, its task group wraps it)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url=LOCAL) as client:
        for number in range(-WARM_UP, requests):
            content = sent[number % len(sent)].replace("{n}", str(number + WARM_UP))
            started = time.perf_counter()
            answer = await client.post(url_path(name), content=content, headers=headers)
            spent = time.perf_counter() - started
            if answer.status_code != 200 or "errors" in answer.json():
                refused = RuntimeError(f"{name}: {answer.status_code} {answer.text[:300]}")
                break
            if number >= 0:
                taken.append(spent)
    if refused is not None:
        raise refused
    return taken


LOCAL = "http://in-process"
WARM_UP = 8
"""Requests answered before the measured ones: the first of a path fill the app's caches."""


def report_in_process(name: str, taken: list[float]) -> None:
    ordered = sorted(taken)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    print(
        f"{name:>14} in process: median {1000 * statistics.median(taken):6.2f} ms"
        f"  p90 {1000 * p90:6.2f} ms  ({len(taken)} requests, one at a time)"
    )


def cpu_seconds(pid: int) -> dict[int, float]:
    """The CPU time (user and system) each thread of process ``pid`` has used so far, by
    thread id, from ``/proc`` (Linux): the event loop's thread is the one whose id is ``pid``."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[int, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text(encoding="ascii")
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread ended in between
        fields = stat.rsplit(")", 1)[1].split()  # past the name, which may hold spaces
        used[int(tid)] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return used


def cpu_per_request(
    pid: int, before: dict[int, float], after: dict[int, float], requests: int
) -> tuple[float, float]:
    """Milliseconds of CPU a request took between two ``cpu_seconds``: the whole process's
    (threads that ended in between are not counted), and its event loop thread's."""
    total = sum(spent - before.get(tid, 0.0) for tid, spent in after.items())
    loop = after.get(pid, 0.0) - before.get(pid, 0.0)
    return 1000 * total / max(requests, 1), 1000 * loop / max(requests, 1)


def report(name: str, concurrency: int, figures: Figures) -> None:
    print(
        f"{name:>14} at {concurrency:>2}: {figures.rate:7.1f} req/s"
        f"  p50 {figures.p50_ms:6.1f} ms  p90 {figures.p90_ms or 0:6.1f} ms"
        f"  p99 {figures.p99_ms:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8, help="per path and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16])
    parser.add_argument("--paths", nargs="+", default=list(PATHS[:3]), choices=PATHS)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument(
        "--measure", action="store_true", help="no py-spy: rates, latencies and CPU per request"
    )
    parser.add_argument(
        "--format", default="flamegraph", choices=["flamegraph", "raw", "speedscope"]
    )
    parser.add_argument(
        "--gil", action="store_true", help="sample only the thread holding the GIL (py-spy)"
    )
    parser.add_argument(
        "--answer-cache", action="store_true", help="keep answers, as the service does by default"
    )
    parser.add_argument(
        "--in-process",
        type=int,
        metavar="REQUESTS",
        help="no server, no wrk: time this many requests of each path through the app in this"
        " process, one at a time (median and p90 ms)",
    )
    options = parser.parse_args()
    if options.in_process:
        service = Service(options.database_url, answer_cache=options.answer_cache, serve=False)
        try:
            for name in options.paths:
                report_in_process(name, in_process(service, name, options.in_process))
        finally:
            service.stop()
        return
    wrk = ensure_wrk()
    service = Service(options.database_url, answer_cache=options.answer_cache)
    served = service.process
    assert served is not None
    try:
        for name in options.paths:
            for concurrency in options.concurrency:
                load(wrk, service, name, 1, concurrency)  # warm up
                spy = None
                if not options.measure:
                    suffix = {"flamegraph": "svg", "raw": "txt", "speedscope": "json"}
                    graph = OUT / f"{name}.{suffix[options.format]}"
                    command = [str(BIN / "py-spy"), "record", "--pid", str(served.pid)]
                    command += ["--rate", "200", "--output", str(graph), "--nonblocking"]
                    command += ["--format", options.format] + (["--gil"] if options.gil else [])
                    spy = subprocess.Popen(
                        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                    )
                    time.sleep(1)  # py-spy attaches
                pid = served.pid
                before = cpu_seconds(pid) if options.measure else None
                figures = load(wrk, service, name, options.seconds, concurrency)
                report(name, concurrency, figures)
                if before is not None:
                    total, loop = cpu_per_request(pid, before, cpu_seconds(pid), figures.requests)
                    print(
                        f"{'':>14} the service's CPU: {total:.2f} ms a request,"
                        f" {loop:.2f} of them on the event loop's thread"
                    )
                if spy is not None:
                    spy.send_signal(signal.SIGINT)  # py-spy writes its graph on interrupt
                    spy.wait(timeout=60)
                    print(f"{'':>14} flame graph: {graph.relative_to(ROOT)}")
    finally:
        service.stop()


if __name__ == "__main__":
    main()
