"""Pictures for the README, taken from the running service in headless Chromium.

``make screenshots`` runs this: it serves the demo (``innovation demo``) on a temporary
SQLite database and a free port, opens GraphiQL with the printed lead token and runs a lead's
queue, then opens the last release's page with the printed feed key, and writes
``docs/graphiql.png`` and ``docs/release-page.png``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sys
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
QUERY = """# A lead's screening queue: best score first
{
  ideas(first: 5, filter: { stages: [SCREENING] }, orderBy: { field: SCORE, direction: DESC }) {
    edges {
      node {
        title
        provenance { organisation country }
        score { rice strategicFit }
        ethics { status }
      }
    }
  }
}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_for(stream: asyncio.StreamReader, pattern: str) -> re.Match[str]:
    while line := (await stream.readline()).decode():
        print(line, end="", file=sys.stderr)
        if found := re.search(pattern, line):
            return found
    raise SystemExit("the demo service stopped before it was ready")


async def main() -> None:
    port = free_port()
    folder = tempfile.mkdtemp(prefix="innovation-screenshots-")
    env = {
        **os.environ,
        "INNOVATION_DATABASE_URL": f"sqlite:///{folder}/demo.db",
        "INNOVATION_PORT": str(port),
        "INNOVATION_SCHEDULER": "off",
    }
    service = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "innovation.cli", "demo", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert service.stdout is not None
    try:
        lead = (await wait_for(service.stdout, r"^\s+lead\s+\S+\s+(inv_\S+)"))[1]
        key = (await wait_for(service.stdout, r"^Releases: \S+\?key=(fk_\S+)"))[1]
        await wait_for(service.stdout, r"Uvicorn running on")
        base = f"http://127.0.0.1:{port}"
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 1400, "height": 860})
            await page.goto(f"{base}/graphql")
            editor = page.locator(".graphiql-query-editor .CodeMirror").first
            await editor.wait_for(timeout=60_000)
            await page.get_by_text("Headers", exact=True).click()
            headers = page.locator(".graphiql-editor-tool .CodeMirror:visible").first
            await headers.evaluate(
                "(element, text) => element.CodeMirror.setValue(text)",
                json.dumps({"Authorization": f"Bearer {lead}"}),
            )
            await editor.evaluate("(element, text) => element.CodeMirror.setValue(text)", QUERY)
            await page.locator(".graphiql-execute-button").first.click()
            await page.wait_for_function(
                """() => {
                    const element = document.querySelector('.graphiql-response .CodeMirror');
                    return element && element.CodeMirror.getValue().includes('"title"');
                }""",
                timeout=60_000,
            )
            DOCS.mkdir(exist_ok=True)
            await page.screenshot(path=str(DOCS / "graphiql.png"))
            release = await browser.new_page(viewport={"width": 1100, "height": 1400})
            await release.goto(f"{base}/releases/2026-H1?key={key}")
            await release.locator("figure.chart svg").first.wait_for(timeout=60_000)
            await release.screenshot(path=str(DOCS / "release-page.png"))
            await browser.close()
    finally:
        service.terminate()
        await service.wait()
    print(f"wrote {DOCS / 'graphiql.png'} and {DOCS / 'release-page.png'}")


if __name__ == "__main__":
    asyncio.run(main())
