"""Whose CPU a request costs: the service, PostgreSQL and wrk share the machine's two cores.

What PostgreSQL and wrk spend on a request is CPU the service does not get, so a ratio such as
two processes against one is bounded by all three together (bench/README.md, *The targets
still missed, and why*). Each of the bench's wrk runs reads the CPU time of the processes it
watches before and after (a process with every descendant: the service's workers, PostgreSQL's
backends; one that ended meanwhile counts through its parent, which waited for it), and wrk's
own from its exit (it is a child of the bench), and divides each by the requests answered.
"""

from __future__ import annotations

import contextlib
import resource
from collections.abc import Mapping

import psutil

LOAD = "wrk"
"""The load generator's name among the parts a run's CPU is told by."""
LEVEL = 16
"""The concurrency whose CPU the report tabulates: where the targets are."""


def tree_seconds(pid: int) -> float:
    """CPU seconds, user and system, of a process and every descendant alive now, with what
    each of them got from the children it waited for (a backend that closed, a worker that
    was replaced). 0 for a process that is gone."""
    try:
        root = psutil.Process(pid)
        members = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = member.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def waited_seconds() -> float:
    """CPU seconds of this process's children that ended and were waited for: each wrk run."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """CPU spent from its making on, by each watched process tree and by the children the
    bench waits for meanwhile (wrk)."""

    def __init__(self, watched: Mapping[str, int]) -> None:
        self.watched = dict(watched)
        self.before = {name: tree_seconds(pid) for name, pid in self.watched.items()}
        self.waited_before = waited_seconds()

    def per_request(self, requests: int) -> dict[str, float]:
        """Microseconds of CPU a request, by part (``watched``'s names, then ``LOAD``); empty
        when nothing was answered."""
        if not requests:
            return {}
        spent = {name: tree_seconds(pid) - self.before[name] for name, pid in self.watched.items()}
        spent[LOAD] = waited_seconds() - self.waited_before
        return {name: max(seconds, 0.0) * 1e6 / requests for name, seconds in spent.items()}


def described(cpu_us: Mapping[str, float]) -> str:
    """``service 550, PostgreSQL 98, wrk 30 µs of CPU a request``."""
    parts = ", ".join(f"{name} {us:,.0f}" for name, us in cpu_us.items())
    return f"{parts} µs of CPU a request"


def cpu_table(columns: Mapping[str, Mapping[str, Mapping[str, float] | None]]) -> list[str]:
    """A Markdown table of CPU a request: a row per path, for each column (a backend, or one
    process and two) the parts and their sum, in µs; ``—`` where a run was not measured."""
    parts = list(
        dict.fromkeys(
            part for by_path in columns.values() for cpu in by_path.values() if cpu for part in cpu
        )
    )
    if not parts:
        return []
    head = ["path"] + [f"{column}: {' + '.join(parts)} = all" for column in columns]
    rows = ["| " + " | ".join(head) + " |", "| --- |" + " --- |" * len(columns)]
    for path in dict.fromkeys(path for by_path in columns.values() for path in by_path):
        cells = []
        for by_path in columns.values():
            cpu = by_path.get(path)
            if not cpu:
                cells.append("—")
                continue
            shown = [f"{cpu[part]:,.0f}" if part in cpu else "—" for part in parts]
            cells.append(" + ".join(shown) + f" = {sum(cpu.values()):,.0f}")
        rows.append(f"| {path} | " + " | ".join(cells) + " |")
    return rows
