"""Small tools for tests: driving async code from Hypothesis, starting helper processes."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]


def on_loop(loop: asyncio.AbstractEventLoop) -> Callable[[Coroutine[Any, Any, T]], T]:
    """From a worker thread, run coroutines on ``loop`` (where the fixtures live) and wait.

    A Hypothesis test body is synchronous; an async test runs it with ``asyncio.to_thread`` so
    the loop stays free to serve the coroutines this sends it.
    """

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    return run


async def collect(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


async def start_module(
    module: str, *args: str, ready_within: float = 60
) -> tuple[asyncio.subprocess.Process, bytes]:
    """Run ``python -m module args`` from the project root; return it and its first line.

    A process that exits before printing a line fails the test with its standard error.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    first = await asyncio.wait_for(process.stdout.readline(), timeout=ready_within)
    assert first, (await process.stderr.read()).decode()
    return process, first


async def spawn_cli(*args: str, env: Mapping[str, str]) -> asyncio.subprocess.Process:
    """``innovation ARGS`` in a process of its own, from the project root, with ``env`` over
    this environment and its standard error in its standard output (read it, or it blocks)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "innovation.cli",
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    return process


async def post_messages(
    app: Any, incoming: list[dict[str, Any]], headers: list[tuple[bytes, bytes]]
) -> list[dict[str, Any]]:
    """POST /graphql to an ASGI ``app`` as these ``http.request`` (or disconnect) messages,
    the client gone once they run out; what the app sent back."""
    pending = list(incoming)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    await app(scope, receive, send)
    return sent
