"""Appends batches until killed, printing each batch once the store has acknowledged it.

Run by ``test_durability.py`` as ``python -m tests.integration.durability_writer URL``.
"""

from __future__ import annotations

import asyncio
import random
import sys
import uuid

from innovation.store import ANY, Log, open_database
from tests.integration.command_path import CommandPath
from tests.integration.store_events import Batched, new, test_mapper


async def main(url: str) -> None:
    store = CommandPath(Log(open_database(url), test_mapper()))

    async def writer(number: int) -> None:
        rng = random.Random()
        while True:
            size = rng.randint(1, 5)
            batch = str(uuid.uuid4())
            events = [new(Batched(batch=batch, size=size, index=i)) for i in range(size)]
            await store.append(f"durable-{number}-{rng.randint(0, 9)}", events, ANY)
            ids = " ".join(str(event.event_id) for event in events)
            sys.stdout.write(f"{batch} {size} {ids}\n")
            sys.stdout.flush()

    await asyncio.gather(*(writer(number) for number in range(4)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
