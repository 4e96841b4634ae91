"""``python -m bench.store``: our event store side by side with ``eventsourcing``, as ratios.

Both sides do the same work on the same kind of database with the same durability (SQLite in WAL
mode with ``synchronous=FULL``; PostgreSQL with ``synchronous_commit=on``), each on a fresh
database of its own: appends one at a time, in batches of 100 and from 16 concurrent writers;
loading a 1,000-event stream; reading the whole log; and the memory that reading a million events
takes. On SQLite it also prices the driver: our ``sqlite3`` writer thread against SQLAlchemy's
asyncio engine on aiosqlite and against bare ``sqlite3``. ``bench/peer.py`` says which of the
peer's APIs is used and why.

Append measurements run in rounds that alternate which side goes first, and report the median
round, because an fsync on a shared virtual disk varies from one second to the next.
PostgreSQL is measured when ``INNOVATION_TEST_POSTGRES_URL`` is set (``make bench`` starts a
throw-away server and sets it). Figures are printed and written to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil
import psycopg
from eventsourcing.application import Application
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from bench import baseline, datasets, ours, peer
from bench.databases import Databases
from bench.report import BackendReport, Row, as_json, median, render, save
from bench.workload import our_mapper, our_stream, payload_sizes, peer_stream
from innovation.store import Log

SCENARIOS = {
    "append-1": "one event per append, one writer",
    "append-100": "100 events per append, one writer",
    "writers-16": "16 concurrent writers on distinct streams, one event per append",
    "load": "load a stream of 1,000 events (read and decode)",
    "read-all": "read the whole log (100,000 events), with raw-driver baselines",
    "memory": "peak RSS growth while reading 1,000,000 events, in a fresh process",
    "sqlite-driver": "SQLite only: our writer thread vs aiosqlite vs bare sqlite3",
}

NO_POSTGRES = (
    "INNOVATION_TEST_POSTGRES_URL is not set, so PostgreSQL is left out "
    "(`make bench` starts a throw-away PostgreSQL and sets it)"
)

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    appends: int  # one-event appends per round
    batches: int  # 100-event appends per round
    writer_appends: int  # one-event appends per writer per round
    rounds: int
    loads: int
    read_all: int
    memory: int
    driver_appends: int
    writers: int = 16
    stream: int = 1000


FULL = {
    "sqlite": Sizes(3000, 100, 200, 5, 15, 100_000, 1_000_000, 2000),
    "postgresql": Sizes(1000, 50, 100, 5, 15, 100_000, 1_000_000, 0),
}
QUICK = {
    "sqlite": Sizes(300, 10, 20, 1, 5, 20_000, 100_000, 300),
    "postgresql": Sizes(200, 10, 20, 1, 5, 20_000, 100_000, 0),
}


class Bench:
    """Runs the chosen measurements on one backend and collects their rows."""

    def __init__(
        self,
        backend: str,
        databases: Databases,
        sizes: Sizes,
        progress: Progress,
    ) -> None:
        self.backend = backend
        self.databases = databases
        self.sizes = sizes
        self.progress = progress
        self.report = BackendReport(backend, sizes=asdict(sizes))
        self._task = progress.add_task(backend, total=None)
        self._single: tuple[float, float] | None = None  # ours, peer: one writer, events/s

    # -- plumbing ------------------------------------------------------------------------------

    def _step(self, text: str) -> None:
        self.progress.update(self._task, description=f"{self.backend}: {text}")

    def _ours_target(self, label: str) -> str:
        if self.backend == "sqlite":
            return self.databases.sqlite_ours(label)
        return self.databases.postgres_ours(label)

    def _peer_target(self, label: str) -> dict[str, str]:
        if self.backend == "sqlite":
            return self.databases.sqlite_peer(label)
        return self.databases.postgres_peer(label)

    @contextmanager
    def _sides(self, label: str) -> Iterator[tuple[asyncio.Runner, Log, Application]]:
        """A fresh database for each side, our store on a loop that lives as long, and the peer."""
        url, env = self._ours_target(label), self._peer_target(label)
        with asyncio.Runner() as runner:
            store = ours.open_store(url)
            app = peer.open_app(env)
            try:
                yield runner, store, app
            finally:
                runner.run(store.database.close())
                app.close()
        self.databases.drop(url)
        self.databases.drop(env)

    def _alternate(
        self, name: str, ours_round: Callable[[int], float], peer_round: Callable[[int], float]
    ) -> tuple[list[float], list[float]]:
        """Run both sides ``rounds`` times, changing who goes first each round."""
        samples = self._rounds(name, {"ours": ours_round, "peer": peer_round})
        return samples["ours"], samples["peer"]

    def _rounds(
        self, name: str, sides: dict[str, Callable[[int], float]]
    ) -> dict[str, list[float]]:
        """Run every side once a round, ``rounds`` times, a different side first each round.

        Sides compared by a ratio are measured side by side, so that on a machine shared with
        other work both meet the same load, rather than one in a quiet minute and one not.
        """
        samples: dict[str, list[float]] = {side: [] for side in sides}
        order = list(sides)
        for number in range(self.sizes.rounds):
            self._step(f"{name}, round {number + 1}/{self.sizes.rounds}")
            shift = number % len(order)
            for side in order[shift:] + order[:shift]:
                samples[side].append(sides[side](number))
        return samples

    def _throughput_row(
        self, key: str, label: str, ours_rates: list[float], peer_rates: list[float]
    ) -> Row:
        mine, theirs = median(ours_rates), median(peer_rates)
        return Row(
            key,
            label,
            "events/s",
            mine,
            theirs,
            ratio=mine / theirs,
            samples={"ours": ours_rates, "peer": peer_rates},
            note=_drift(ours_rates, peer_rates),
        )

    # -- measurements --------------------------------------------------------------------------

    def durability(self) -> None:
        self._step("durability settings")
        with self._sides("durability") as (runner, store, app):
            self.report.durability["ours"] = runner.run(ours.durability(store))
            self.report.durability["peer"] = peer.durability(app)

    def append_one(self) -> None:
        size = self.sizes.appends
        with self._sides("append-1") as (runner, store, app):
            runner.run(ours.append(store, ours.plan("warm", our_stream(20), 1)))
            peer.append(app, [[e] for e in peer_stream(20)])

            def ours_round(number: int) -> float:
                calls = [
                    call
                    for stream in range(size // 100)
                    for call in ours.plan(f"idea-{number}-{stream}", our_stream(100), 1)
                ]
                return size / runner.run(ours.append(store, calls))

            def peer_round(_number: int) -> float:
                batches = [[e] for _ in range(size // 100) for e in peer_stream(100)]
                return size / peer.append(app, batches)

            raw_url, raw_round = self._bare_append(per_commit=1, runner=runner)
            urls, sides = [raw_url], {"ours": ours_round, "peer": peer_round, "raw": raw_round}
            if self.backend != "sqlite":  # SQLite's bare driver commits a transaction already
                tx_url, sides["raw-tx"] = self._bare_append(
                    per_commit=1, runner=runner, transaction=True
                )
                urls.append(tx_url)
            samples = self._rounds("append-1", sides)
            for url in urls:
                self.databases.drop(url)
        mine, theirs = samples["ours"], samples["peer"]
        self._single = median(mine), median(theirs)
        row = self._throughput_row("append-1", "append: 1 event per call, 1 writer", mine, theirs)
        row.target, row.met = "≥ 1.5x peer", (row.ratio or 0) >= 1.5
        self.report.rows.append(row)
        self._commit_ceiling(
            median(theirs),
            per_commit=1,
            wanted=1.5,
            ours=mine,
            mine_at_least=0.8,
            rates=samples["raw"],
        )
        if "raw-tx" in samples:
            floor = median(samples["raw-tx"])
            self.report.rows.append(
                Row(
                    "append-1-transaction",
                    "append: 1 event per call vs bare asyncpg, BEGIN, 1 INSERT, COMMIT",
                    "events/s",
                    median(mine),
                    floor,
                    other_name="asyncpg",
                    ratio=median(mine) / floor,
                    ratio_name="ours/asyncpg",
                    samples={"ours": mine, "asyncpg": samples["raw-tx"]},
                    note="the bare driver in a transaction against itself committing each "
                    f"INSERT alone: {floor / median(samples['raw']):.2f}x",
                )
            )

    def _bare_append(
        self,
        *,
        per_commit: int,
        runner: asyncio.Runner | None = None,
        transaction: bool = False,
    ) -> tuple[str, Callable[[int], float]]:
        """A fresh database, and a round of the bare driver appending to it, events/s (on
        ``runner``'s loop when a side's store already has one); PostgreSQL's inside a
        transaction of its own even for one event with ``transaction``."""
        run = asyncio.run if runner is None else runner.run
        size = self.sizes.appends if per_commit == 1 else self.sizes.batches * per_commit
        mapper = our_mapper()
        name = f"append-{per_commit}-driver" + ("-tx" if transaction else "")
        url = self._ours_target(name)

        def raw_round(number: int) -> float:
            streams = [(f"warm-{number}", our_stream(200)), (f"idea-{number}", our_stream(size))]
            if self.backend == "sqlite":
                seconds = baseline.append_plain_sqlite(url, mapper, streams, per_commit)
            else:
                seconds = run(
                    baseline.append_plain_postgres(
                        url, mapper, streams, per_commit, transaction=transaction
                    )
                )
            return size / sum(seconds)

        return url, raw_round

    def _commit_ceiling(
        self,
        peer_rate: float,
        *,
        per_commit: int,
        wanted: float,
        ours: list[float] | None = None,
        mine_at_least: float = 0.0,
        rates: list[float] | None = None,
    ) -> None:
        """The bare driver inserting ``per_commit`` events a durable commit, on a fresh database.

        One writer that waits for each append to be durable cannot beat this: it is the price
        of the commit and the insert themselves, with no checks at all. Shown beside the peer,
        it says how far above the peer any store could possibly go on this machine. ``rates``
        are its rounds when they were taken beside ours already (``_bare_append``).
        """
        key = f"append-{per_commit}"
        raw_name = "sqlite3" if self.backend == "sqlite" else "asyncpg"
        if rates is None:
            url, raw_round = self._bare_append(per_commit=per_commit)
            rates = []
            for number in range(self.sizes.rounds):
                self._step(f"{key}, bare {raw_name}, round {number + 1}/{self.sizes.rounds}")
                rates.append(raw_round(number))
            self.databases.drop(url)
        ceiling = median(rates)
        what = "1 durable INSERT per event" if per_commit == 1 else f"{per_commit} events a commit"
        self.report.rows.append(
            Row(
                f"{key}-ceiling",
                f"bare {raw_name}, {what}, no checks",
                "events/s",
                ceiling,
                peer_rate,
                ratio=ceiling / peer_rate,
                ratio_name=f"{raw_name}/peer",
                target=f"{wanted:g}x peer = {wanted * peer_rate:,.0f}",
                met=None,
                samples={raw_name: rates},
            )
        )
        if ours is None:
            return
        vs_raw = median(ours) / ceiling
        self.report.rows.append(
            Row(
                f"{key}-raw",
                f"append: 1 event per call vs bare {raw_name}, 1 durable INSERT per event",
                "events/s",
                median(ours),
                ceiling,
                other_name=raw_name,
                ratio=vs_raw,
                ratio_name=f"ours/{raw_name}",
                target=f"≥ {mine_at_least:g}x {raw_name}",
                met=vs_raw >= mine_at_least,
                samples={"ours": ours, raw_name: rates},
            )
        )

    def append_hundred(self) -> None:
        size = self.sizes.batches
        with self._sides("append-100") as (runner, store, app):
            runner.run(ours.append(store, ours.plan("warm", our_stream(200), 100)))
            peer.append(app, [peer_stream(100), peer_stream(100)])

            def ours_round(number: int) -> float:
                calls = [
                    call
                    for stream in range(size)
                    for call in ours.plan(f"idea-{number}-{stream}", our_stream(100), 100)
                ]
                return size * 100 / runner.run(ours.append(store, calls))

            def peer_round(_number: int) -> float:
                return size * 100 / peer.append(app, [peer_stream(100) for _ in range(size)])

            mine, theirs = self._alternate("append-100", ours_round, peer_round)
        row = self._throughput_row("append-100", "append: 100 events per call", mine, theirs)
        row.target, row.met = "≥ 2x peer", (row.ratio or 0) >= 2
        self.report.rows.append(row)
        self._commit_ceiling(median(theirs), per_commit=100, wanted=2)

    def writers(self) -> None:
        count, each = self.sizes.writers, self.sizes.writer_appends
        total = count * each
        with self._sides("writers-16") as (runner, store, app):
            runner.run(ours.append(store, ours.plan("warm", our_stream(20), 1)))
            peer.append(app, [[e] for e in peer_stream(20)])

            def ours_round(number: int) -> float:
                writers = [
                    ours.plan(f"idea-{number}-{w}", our_stream(each), 1) for w in range(count)
                ]
                return total / runner.run(ours.append_concurrently(store, writers))

            def peer_round(_number: int) -> float:
                writers = [[[e] for e in peer_stream(each)] for _ in range(count)]
                return total / peer.append_concurrently(app, writers)

            mine, theirs = self._alternate("writers-16", ours_round, peer_round)
            if self._single is None:
                self._step("writers-16, each side with one writer")
                calls = [
                    call
                    for stream in range(count)
                    for call in ours.plan(f"single-{stream}", our_stream(each), 1)
                ]
                batches = [[e] for _ in range(count) for e in peer_stream(each)]
                self._single = (
                    total / runner.run(ours.append(store, calls)),
                    total / peer.append(app, batches),
                )
        single, peer_single = self._single
        self.report.rows.append(
            self._throughput_row(
                "writers-16", f"append: {count} writers, 1 event per call", mine, theirs
            )
        )
        scaling = median(mine) / single
        self.report.rows.append(
            Row(
                "writers-16-scaling",
                f"{count} writers ÷ 1 writer (each side against itself)",
                "x",
                scaling,
                median(theirs) / peer_single,
                target="ours ≥ 4x",
                met=scaling >= 4,
                samples={"ours_single": [single], "peer_single": [peer_single]},
            )
        )

    def load(self) -> None:
        events = self.sizes.stream
        with self._sides("load") as (runner, store, app):
            self._step("load, writing the stream")
            runner.run(ours.append(store, ours.plan("idea-load", our_stream(events), 100)))
            history = peer_stream(events)
            peer.append(app, [history[i : i + 100] for i in range(0, events, 100)])
            originator = history[0].originator_id

            def ours_once() -> float:
                loaded, seconds = runner.run(ours.load(store, "idea-load"))
                assert loaded == events, loaded
                return seconds * 1000

            def peer_once() -> float:
                loaded, seconds = peer.load(app, originator)
                assert loaded == events, loaded
                return seconds * 1000

            for _ in range(2):
                ours_once(), peer_once()
            mine: list[float] = []
            theirs: list[float] = []
            for number in range(self.sizes.loads):
                self._step(f"load, run {number + 1}/{self.sizes.loads}")
                mine.append(ours_once())
                theirs.append(peer_once())
        ours_ms, peer_ms = median(mine), median(theirs)
        self.report.rows.append(
            Row(
                "load",
                f"load a {events:,}-event stream (median)",
                "ms",
                ours_ms,
                peer_ms,
                ratio=peer_ms / ours_ms,
                ratio_name="faster",
                target="≥ 3x faster",
                met=peer_ms / ours_ms >= 3,
                samples={"ours": mine, "peer": theirs},
            )
        )

    def read_all(self) -> None:
        events = self.sizes.read_all
        url, env = self._ours_target("read-all"), self._peer_target("read-all")
        self._step(f"read-all, writing {events:,} events per side")
        datasets.fill_ours(self.databases, url, events)
        datasets.fill_peer(self.databases, env, events)
        raw_name = "sqlite3" if self.backend == "sqlite" else "asyncpg"
        with asyncio.Runner() as runner:
            store = ours.open_store(url)
            app = peer.open_app(env)
            try:

                def ours_round(_number: int) -> float:
                    count, seconds = runner.run(ours.read_all(store))
                    assert count == events, count
                    return count / seconds

                def peer_round(_number: int) -> float:
                    count, seconds = peer.read_all(app.recorder)
                    assert count == events, count
                    return count / seconds

                def raw_round(_number: int) -> float:
                    if self.backend == "sqlite":
                        count, seconds = baseline.read_all_sqlite(url)
                    else:
                        count, seconds = runner.run(baseline.read_all_postgres(url))
                    assert count == events, count
                    return count / seconds

                raw_round(0)  # the same warm page cache for all three
                samples = self._rounds(
                    "read-all", {"ours": ours_round, "peer": peer_round, "raw": raw_round}
                )
                mine, theirs, raw = samples["ours"], samples["peer"], samples["raw"]
            finally:
                runner.run(store.database.close())
                app.close()
        self.databases.drop(url)
        self.databases.drop(env)
        row = self._throughput_row("read-all", f"read_all over {events:,} events", mine, theirs)
        row.target, row.met = "≥ 2x peer", (row.ratio or 0) >= 2
        self.report.rows.append(row)
        vs_raw = median(mine) / median(raw)
        self.report.rows.append(
            Row(
                "read-all-raw",
                f"read_all over {events:,} events vs bare driver",
                "events/s",
                median(mine),
                median(raw),
                other_name=raw_name,
                ratio=vs_raw,
                ratio_name=f"ours/{raw_name}",
                target=f"≥ 0.7x {raw_name}",
                met=vs_raw >= 0.7,
                samples={"ours": mine, raw_name: raw},
            )
        )

    def memory(self) -> None:
        events = self.sizes.memory
        url, env = self._ours_target("memory"), self._peer_target("memory")
        # Two pooled connections are plenty for one reader, and nothing opens after the baseline.
        env = {**env, "POSTGRES_POOL_SIZE": "2"} if self.backend == "postgresql" else env
        self._step(f"memory, writing {events:,} events per side")
        datasets.fill_ours(self.databases, url, events)
        datasets.fill_peer(self.databases, env, events)
        self._step(f"memory, ours reading {events:,} events in a fresh process")
        mine = _measure_memory("ours", url)
        self._step(f"memory, peer reading {events:,} events in a fresh process")
        theirs = _measure_memory("peer", json.dumps(env))
        self.databases.drop(url)
        self.databases.drop(env)
        for figure in (mine, theirs):
            assert figure["events"] == events, figure
        ours_mb, peer_mb = mine["growth"] / MB, theirs["growth"] / MB
        self.report.rows.append(
            Row(
                "memory",
                f"peak RSS growth, read_all over {events:,} events",
                "MB",
                ours_mb,
                peer_mb,
                ratio=ours_mb / peer_mb if peer_mb > 0 else None,
                ratio_name="ours/peer (lower is better)",
                target="ours < 100 MB",
                met=ours_mb < 100,
                samples={k: [float(v) for v in (mine[k], theirs[k])] for k in mine},
                note=(
                    f"{events:,} events read in {mine['seconds']:.1f} s (ours) and "
                    f"{theirs['seconds']:.1f} s (peer); RSS before reading "
                    f"{mine['rss_before'] / MB:.0f} MB and {theirs['rss_before'] / MB:.0f} MB"
                ),
            )
        )

    def sqlite_driver(self) -> None:
        size, mapper = self.sizes.driver_appends, our_mapper()
        ours_url = self.databases.sqlite_ours("driver-ours")
        aio_url = self.databases.sqlite_ours("driver-aiosqlite")
        plain_url = self.databases.sqlite_ours("driver-sqlite3")
        timings: dict[str, list[float]] = {"ours": [], "aiosqlite": [], "sqlite3": []}
        with asyncio.Runner() as runner:
            store = ours.open_store(ours_url)
            engine = baseline.aiosqlite_engine(aio_url)
            try:
                self.report.durability["aiosqlite engine"] = runner.run(
                    baseline.aiosqlite_durability(engine)
                )
                runner.run(ours.append(store, ours.plan("warm", our_stream(20), 1)))
                for number in range(self.sizes.rounds):
                    self._step(f"sqlite-driver, round {number + 1}/{self.sizes.rounds}")
                    streams = [
                        (f"warm-{number}", our_stream(20)),
                        (f"idea-{number}", our_stream(size)),
                    ]
                    calls = ours.plan(f"idea-{number}", our_stream(size), 1)
                    timings["ours"].append(runner.run(ours.append(store, calls)))
                    timings["aiosqlite"] += runner.run(
                        baseline.append_aiosqlite(engine, mapper, streams)
                    )
                    timings["sqlite3"] += baseline.append_plain_sqlite(plain_url, mapper, streams)
            finally:
                runner.run(store.database.close())
                runner.run(engine.dispose())
        for url in (ours_url, aio_url, plain_url):
            self.databases.drop(url)
        rates = {name: [size / t for t in values] for name, values in timings.items()}
        mine = median(rates["ours"])
        labels = {
            "ours": "ours: sqlite3 in the writer's thread (a plain write job)",
            "aiosqlite": "SQLAlchemy AsyncEngine on aiosqlite + SQLiteRecorder",
            "sqlite3": "bare sqlite3, one INSERT and one commit per event",
        }
        for name, label in labels.items():
            rate = median(rates[name])
            self.report.driver.append(
                Row(
                    f"driver-{name}",
                    label,
                    "events/s",
                    rate,
                    None,
                    ratio=None if name == "ours" else mine / rate,
                    ratio_name="",
                    samples={name: rates[name]},
                )
            )

    def run(self, only: set[str]) -> BackendReport:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("append-1", self.append_one),
            ("append-100", self.append_hundred),
            ("writers-16", self.writers),
            ("load", self.load),
            ("read-all", self.read_all),
            ("memory", self.memory),
        ]
        if self.backend == "sqlite":
            steps.append(("sqlite-driver", self.sqlite_driver))
        chosen = [(name, step) for name, step in steps if not only or name in only]
        self.progress.update(self._task, total=len(chosen) + 1, completed=0)
        self.durability()
        self.progress.advance(self._task)
        for name, step in chosen:
            self._step(name)
            step()
            self.progress.advance(self._task)
        self._step("done")
        return self.report


def _drift(ours_rates: list[float], peer_rates: list[float]) -> str:
    """Say so when a side's rounds differ by more than half: a median alone would hide a trend."""
    moved = [
        f"{side} {' → '.join(f'{rate:,.0f}' for rate in rates)}"
        for side, rates in (("ours", ours_rates), ("peer", peer_rates))
        if len(rates) > 1 and max(rates) > 1.5 * min(rates)
    ]
    return f"rounds vary, in order: {'; '.join(moved)}" if moved else ""


def _measure_memory(side: str, target: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", side, target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.memory {side} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _versions(databases: Databases) -> dict[str, str]:
    found = {
        name: version(name)
        for name in ("eventsourcing", "SQLAlchemy", "asyncpg", "aiosqlite", "psycopg", "msgspec")
    }
    found["psycopg implementation"] = psycopg.pq.__impl__
    found["sqlite"] = sqlite3.sqlite_version
    found["python"] = platform.python_version()
    if databases.has_postgres:
        found["postgresql"] = databases.server_version()
    return found


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.store",
        description="Our event store side by side with eventsourcing 9.5, as ratios.",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(SCENARIOS),
        metavar="NAME",
        help="run only this measurement (repeatable): " + ", ".join(SCENARIOS),
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one round each")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    # A table wider than 80 columns stays readable when the output goes to a file or a pipe.
    out = Console(width=None if sys.stdout.isatty() else 120)
    err = Console(stderr=True)
    postgres_url = os.environ.get("INNOVATION_TEST_POSTGRES_URL") or None
    backends = ["sqlite", "postgresql"] if arguments.backend == "both" else [arguments.backend]
    skipped: dict[str, str] = {}
    if "postgresql" in backends and not postgres_url:
        if arguments.backend == "postgresql":
            err.print(f"[red]{NO_POSTGRES}[/red]")
            return 2
        backends.remove("postgresql")
        skipped["postgresql"] = NO_POSTGRES
        err.print(f"[yellow]{NO_POSTGRES}[/yellow]")
    only = set(arguments.only or ())
    table = QUICK if arguments.quick else FULL
    started = datetime.now(UTC)
    clock = time.perf_counter()
    reports: list[BackendReport] = []
    databases = Databases(postgres_url if "postgresql" in backends else None)
    try:
        versions = _versions(databases)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            refresh_per_second=4,
        ) as progress:
            for backend in backends:
                bench = Bench(backend, databases, table[backend], progress)
                reports.append(bench.run(only))
        sizes = payload_sizes()
    finally:
        databases.close()
    elapsed = time.perf_counter() - clock

    cores = os.cpu_count() or 0
    out.print(
        f"[bold]Event store benchmark[/bold]: ours vs eventsourcing {versions['eventsourcing']}, "
        f"{cores} cores ({psutil.cpu_count(logical=False) or '?'} physical), "
        f"{'quick' if arguments.quick else 'full'} run in {elapsed:.0f} s"
    )
    out.print("versions: " + ", ".join(f"{name} {value}" for name, value in versions.items()))
    out.print(
        f"bytes stored per event: ours {sizes['ours_data']:.0f} data + "
        f"{sizes['ours_metadata']:.0f} metadata, peer {sizes['peer_state']:.0f} state"
    )
    out.print(
        "ratio: ours ÷ peer for events/s, peer ÷ ours for ms (so above 1 is ours faster), "
        "ours ÷ peer for MB (below 1 is ours smaller)"
    )
    for backend, reason in skipped.items():
        out.print(f"[yellow]{backend}: skipped, {reason}[/yellow]")
    for report in reports:
        out.print()
        render(out, report)
        if report.backend == "postgresql" and versions["psycopg implementation"] == "python":
            out.print(
                "  note: the peer runs on psycopg's pure-Python implementation, which is what "
                "eventsourcing[postgres] installs; with psycopg[binary] its reads and loads are "
                "several times faster, so compare the read figures with that in mind",
                markup=False,
            )
    path = save(
        {
            "started_at": started.isoformat(),
            "elapsed_seconds": elapsed,
            "machine": {
                "cores": cores,
                "physical_cores": psutil.cpu_count(logical=False),
                "platform": platform.platform(),
                "memory_bytes": psutil.virtual_memory().total,
            },
            "versions": versions,
            "options": {
                "backend": arguments.backend,
                "only": sorted(only),
                "quick": arguments.quick,
            },
            "bytes_per_event": sizes,
            "backends": {report.backend: as_json(report) for report in reports},
            "skipped": skipped,
        },
        started,
    )
    out.print(f"\nsaved {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
