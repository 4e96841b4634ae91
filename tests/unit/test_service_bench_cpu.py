"""The service bench tells a request's CPU by part: a watched process with its descendants
(those that ended included), and the children the bench waited for (wrk)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bench.service.cpu import LOAD, Meter, cpu_table, described
from bench.service.report import Figures, from_json, to_json

WORK = (
    "import time\n"
    "n = 0\n"
    "for i in range(4_000_000):\n"
    "    n += i\n"
    "print(time.process_time(), flush=True)\n"
)
"""A fixed amount of work, which prints the CPU seconds it took."""

PARENT = (
    "import subprocess, sys\n"
    "print('ready', flush=True)\n"
    "sys.stdin.readline()\n"
    "done = subprocess.run([sys.executable, '-c', sys.argv[1]], check=True,\n"
    "                      stdout=subprocess.PIPE, text=True)\n"
    "print(done.stdout.strip(), flush=True)\n"
    "sys.stdin.read()\n"
)
"""A process that, once told to, runs ``WORK`` in a child, waits for it, passes on what it
printed, and stays until its input closes."""

TICK = 0.02
"""What accounting in clock ticks may leave out of a process's CPU seconds."""


@pytest.fixture
def parent() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", PARENT, WORK],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    yield process
    process.kill()
    process.wait()


def test_a_watched_process_counts_the_work_of_a_child_that_ended_meanwhile(
    parent: subprocess.Popen[str],
) -> None:
    assert parent.stdin is not None
    assert parent.stdout is not None
    meter = Meter({"service": parent.pid})
    parent.stdin.write("go\n")
    parent.stdin.flush()
    child_seconds = float(parent.stdout.readline())  # the child has ended and been waited for

    found = meter.per_request(1)

    assert child_seconds > 0.05
    assert found["service"] >= (child_seconds - TICK) * 1e6
    assert list(found) == ["service", LOAD]


def test_the_children_the_bench_waits_for_count_as_the_load_generator() -> None:
    meter = Meter({})
    done = subprocess.run([sys.executable, "-c", WORK], check=True, stdout=subprocess.PIPE)
    child_seconds = float(done.stdout)

    found = meter.per_request(4)

    assert child_seconds > 0.05
    assert found[LOAD] >= (child_seconds - TICK) * 1e6 / 4
    assert Meter({}).per_request(0) == {}


def test_a_process_gone_before_it_is_read_again_counts_nothing_more() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    meter = Meter({"service": process.pid})
    process.wait()

    assert meter.per_request(1)["service"] == 0.0


def test_the_report_tabulates_each_part_and_their_sum_and_marks_what_was_not_measured() -> None:
    rows = cpu_table(
        {
            "one process": {
                "idea": {"service": 780.4, "PostgreSQL": 110.0, LOAD: 35.0},
                "page": None,
            },
            "two processes": {"idea": {"service": 860.0, "PostgreSQL": 180.2, LOAD: 58.0}},
        }
    )

    assert rows == [
        "| path | one process: service + PostgreSQL + wrk = all"
        " | two processes: service + PostgreSQL + wrk = all |",
        "| --- | --- | --- |",
        "| idea | 780 + 110 + 35 = 925 | 860 + 180 + 58 = 1,098 |",
        "| page | — | — |",
    ]
    assert cpu_table({"sqlite": {"page": None}}) == []
    assert described({"service": 550.2, LOAD: 30.0}) == "service 550, wrk 30 µs of CPU a request"


def test_a_runs_cpu_is_saved_with_its_figures_and_read_back() -> None:
    measured = Figures(
        requests=800, seconds=8.0, p50_ms=12.5, p99_ms=80.25, cpu_us={"service": 550.0}
    )
    saved = {"backends": {"sqlite": {"results": to_json({"page": {16: measured}})}}}

    assert from_json(json.loads(json.dumps(saved)))["sqlite"]["page"][16] == measured
