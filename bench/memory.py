"""Peak memory of reading the whole log, measured in a process of its own.

``python -m bench.memory ours URL`` or ``python -m bench.memory peer ENV_JSON`` opens the store,
notes its resident set, reads every event and prints one JSON line: events read, seconds, RSS
before, peak RSS, and their difference (the growth). A fresh process keeps earlier measurements'
garbage and caches out of the figure. The peak is the kernel's high-water mark (``VmHWM``),
reset just before reading where the kernel allows it, else the process's ``ru_maxrss``, which
can only overstate the growth.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
from pathlib import Path

import psutil

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _reset_peak() -> bool:
    """Start the high-water mark again from the current RSS (Linux 4.0+)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _peak_bytes(reset: bool) -> int:
    if reset:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _measure_ours(url: str) -> tuple[int, float, int, int, bool]:
    from bench import ours

    async def run() -> tuple[int, float, int, int, bool]:
        store = ours.open_store(url)
        try:
            await store.last_position()  # connections and threads up before the baseline
            gc.collect()
            before = psutil.Process().memory_info().rss
            reset = _reset_peak()
            count, seconds = await ours.read_all(store)
            return count, seconds, before, _peak_bytes(reset), reset
        finally:
            await store.database.close()

    return asyncio.run(run())


def _measure_peer(env: dict[str, str]) -> tuple[int, float, int, int, bool]:
    from bench import peer

    app = peer.open_app(env)
    try:
        app.recorder.max_notification_id()
        gc.collect()
        before = psutil.Process().memory_info().rss
        reset = _reset_peak()
        count, seconds = peer.read_all(app.recorder)
        return count, seconds, before, _peak_bytes(reset), reset
    finally:
        app.close()


def main(argv: list[str]) -> None:
    side, target = argv
    if side == "ours":
        count, seconds, before, peak, reset = _measure_ours(target)
    else:
        count, seconds, before, peak, reset = _measure_peer(json.loads(target))
    print(
        json.dumps(
            {
                "events": count,
                "seconds": seconds,
                "rss_before": before,
                "rss_peak": peak,
                "growth": peak - before,
                "peak_reset": reset,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
