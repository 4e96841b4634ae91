"""Flame graphs of the service's hot paths: ``make profile``.

Starts the service on a fresh, seeded SQLite file (or ``--database-url``), then for each path
drives it with a short asyncio load (httpx) while py-spy samples the server process, and writes
one SVG per path to ``.profile/``. The same load, without py-spy, prints requests/s and
latency percentiles (``--measure``), which is how command throughput is compared before and
after a change.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = ROOT / ".profile"

TYPENAME = {"query": "{ __typename }"}
PAGE = {
    "query": """{ ideas(first: 100) { edges { node {
        title provenance { organisation country external }
        experiments { outcome decision metrics { name baseline latestValue changePct targetMet } }
        ethics { status } } } } }"""
}
_SUBMIT = """mutation($input: SubmitIdeaInput!) { submitIdea(input: $input) {
    idea { id } similarIdeas { score } errors { code message } } }"""
NOOP_MUTATION = {"query": "mutation { __typename }"}
_serial = itertools.count()


def submit_idea() -> dict[str, Any]:
    """A fresh idea per request, worded like the seed's so duplicate hints have work to do."""
    n = next(_serial)
    return {
        "query": _SUBMIT,
        "variables": {
            "input": {
                "title": f"Predictive fibre-cut location for field teams, variant {n}",
                "summary": "Field teams get the likely location of a fibre cut from network "
                "telemetry before they leave, so repairs start sooner and customers wait less.",
                "provenance": {
                    "sourceKind": "STARTUP",
                    "organisation": "Fibre Labs",
                    "country": "FR",
                },
                "themes": ["networks-cloud"],
            }
        },
    }


PATHS: dict[str, Callable[[], dict[str, Any]]] = {
    "typename": lambda: TYPENAME,
    "submitIdea": submit_idea,
    "page": lambda: PAGE,
    "noop-mutation": lambda: NOOP_MUTATION,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def innovation(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "innovation"), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


class Service:
    """``innovation serve`` on a migrated, seeded database, with an admin token."""

    def __init__(self, database_url: str | None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="innovation-profile-"))
        url = database_url or f"sqlite:///{self.folder / 'profile.db'}"
        self.port = free_port()
        self.env = {**os.environ, "INNOVATION_DATABASE_URL": url, "INNOVATION_PORT": str(self.port)}
        innovation(self.env, "db", "upgrade")
        innovation(self.env, "seed", "load")
        created = innovation(self.env, "token", "create", "--name", "profile", "--role", "admin")
        match = re.search(r"inv_\S+", created)
        assert match is not None, created
        self.token = match.group(0)
        OUT.mkdir(exist_ok=True)
        self.log = (OUT / "server.log").open("w")
        self.process = subprocess.Popen(
            [str(BIN / "innovation"), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.url}/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the service did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


async def load(
    service: Service, body: Callable[[], dict[str, Any]], seconds: float, concurrency: int
) -> list[float]:
    """Send requests from ``concurrency`` clients for ``seconds``; every latency, in seconds."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {service.token}"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=service.url, headers=headers, limits=limits) as client:
        end = time.monotonic() + seconds

        async def client_loop() -> None:
            while time.monotonic() < end:
                started = time.perf_counter()
                response = await client.post("/graphql", json=body(), timeout=60)
                response.raise_for_status()
                assert "errors" not in response.json(), response.text
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    return latencies


def report(name: str, concurrency: int, seconds: float, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(
        f"{name:>14} at {concurrency:>2}: {len(ordered) / seconds:7.1f} req/s"
        f"  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8])
    parser.add_argument("--paths", nargs="+", default=["typename", "submitIdea", "page"])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--measure", action="store_true", help="no py-spy: print rates only")
    parser.add_argument(
        "--format", default="flamegraph", choices=["flamegraph", "raw", "speedscope"]
    )
    options = parser.parse_args()
    service = Service(options.database_url)
    try:
        OUT.mkdir(exist_ok=True)
        for name in options.paths:
            for concurrency in options.concurrency:
                asyncio.run(load(service, PATHS[name], 1.0, concurrency))  # warm up
                spy = None
                if not options.measure:
                    suffix = {"flamegraph": "svg", "raw": "txt", "speedscope": "json"}
                    svg = OUT / f"{name}.{suffix[options.format]}"
                    command = [str(BIN / "py-spy"), "record", "--pid", str(service.process.pid)]
                    command += ["--rate", "200", "--output", str(svg), "--nonblocking"]
                    spy = subprocess.Popen(
                        [*command, "--format", options.format],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    time.sleep(1)  # py-spy attaches
                latencies = asyncio.run(load(service, PATHS[name], options.seconds, concurrency))
                report(name, concurrency, options.seconds, latencies)
                if spy is not None:
                    spy.send_signal(2)  # py-spy writes its SVG on interrupt
                    spy.wait(timeout=60)
                    print(f"{'':>14} flame graph: {svg.relative_to(ROOT)}")
    finally:
        service.stop()


if __name__ == "__main__":
    main()
