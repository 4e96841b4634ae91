"""A service process of the releases wing, started by ``test_release_processes.py``.

    python -m tests.integration.release_process URL NOW assemble PERIOD
        prints "ready", waits for a line on stdin, assembles PERIOD, prints its log position
    python -m tests.integration.release_process URL NOW start
        prints "ready" and runs what a service runs at start: the catch-up, the shipping
        reader and the outbox, until killed

NOW is the time the process believes it is (an ISO instant), so that periods have ended.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from innovation.bootstrap import bootstrap
from innovation.config import Settings
from innovation.releases.workers import ReleaseWorkers
from innovation.services import Actor

LEAD = Actor("lead:process", "lead")


async def main(url: str, now: datetime, mode: str, *args: str) -> None:
    settings = Settings.from_env({"INNOVATION_DATABASE_URL": url, "INNOVATION_SNAPSHOT_EVERY": "0"})
    services = bootstrap(settings, clock=lambda: now)
    services.readers.lease_seconds = 1.0
    services.readers.poll_seconds = 0.05
    try:
        if mode == "assemble":
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            release = await services.releases.assemble(args[0], actor=LEAD, now=now)
            print(release.position, flush=True)
            return
        workers = ReleaseWorkers(services, scheduler=False)
        print("ready", flush=True)
        workers.start()
        await workers.catch_up()
        await asyncio.Event().wait()
    finally:
        await services.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], datetime.fromisoformat(sys.argv[2]), *sys.argv[3:]))
