"""Headless-browser helpers: Debian's Chromium, an app served on loopback, GraphiQL driving.

Import the ``browser`` fixture into a test module (``from tests.e2e.browser import browser``)
to use it; everything here is async because the tests run in pytest-asyncio's loop, where
Playwright's sync API refuses to work.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
NO_CHROMIUM = (
    f"{CHROMIUM} is missing: `make test` installs Debian's chromium via .ci/install-chromium"
)
STARTUP_TIMEOUT_SECONDS = 10.0
UI_TIMEOUT_MS = 30_000

QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
RESPONSE_EDITOR = ".graphiql-response .CodeMirror"
EXECUTE_BUTTON = ".graphiql-execute-button"


def chromium_installed() -> bool:
    """A plain check, kept out of the async fixture so it does no blocking I/O there."""
    return CHROMIUM.is_file()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium for the whole session; each test opens its own context or page."""
    if not chromium_installed():
        pytest.skip(NO_CHROMIUM)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@asynccontextmanager
async def serve_app(app: Any) -> AsyncIterator[str]:
    """Run an ASGI app under uvicorn on 127.0.0.1 in a thread; yield its base URL.

    The socket is bound here, on a port the kernel picks, so there is no race for a free port.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="auto", access_log=False)
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT_SECONDS):
            while not server.started:
                if not thread.is_alive():
                    raise RuntimeError("uvicorn stopped before it started serving")
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, STARTUP_TIMEOUT_SECONDS)
        sock.close()


async def run_graphiql_query(page: Page, base_url: str, query: str, path: str = "/graphql") -> str:
    """Open GraphiQL at ``path``, run ``query`` with the run button, return the result text."""
    await page.goto(f"{base_url}{path}", wait_until="domcontentloaded")
    editor = page.locator(QUERY_EDITOR).first
    await editor.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    # GraphiQL 3 edits with CodeMirror 5, which hangs its instance on the wrapper element.
    # Setting the value through it avoids the auto-closed brackets that typing would add.
    await editor.evaluate("(element, query) => element.CodeMirror.setValue(query)", query)
    await page.locator(EXECUTE_BUTTON).first.click()
    result = await page.wait_for_function(
        """(selector) => {
            const element = document.querySelector(selector);
            const text = element && element.CodeMirror ? element.CodeMirror.getValue() : "";
            return text.trim() ? text : null;
        }""",
        arg=RESPONSE_EDITOR,
        timeout=UI_TIMEOUT_MS,
    )
    text: str = await result.json_value()
    return text
