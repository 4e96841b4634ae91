"""``make profile --measure`` reads the service's CPU per request from ``/proc``."""

from __future__ import annotations

import os
import time

from bench.profile import cpu_per_request, cpu_seconds


def test_the_cpu_a_thread_spends_is_read_from_proc() -> None:
    pid = os.getpid()  # pytest runs the test on the main thread, whose id is the process's
    before = cpu_seconds(pid)
    start = time.thread_time()
    while time.thread_time() - start < 0.3:
        pass
    spent = time.thread_time() - start
    after = cpu_seconds(pid)

    assert abs((after[pid] - before[pid]) - spent) < 0.05
    assert all(after[tid] >= before[tid] for tid in before if tid in after)


def test_cpu_per_request_counts_every_thread_and_the_event_loops_apart() -> None:
    before = {10: 1.0, 11: 0.5}
    after = {10: 1.5, 11: 1.0, 12: 0.2}  # 12 started during the run

    total, loop = cpu_per_request(10, before, after, requests=100)

    assert (round(total, 6), round(loop, 6)) == (12.0, 5.0)
