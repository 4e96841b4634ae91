"""A product lead uses GraphiQL on the running service: token in Headers, type, run, read."""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page

from tests.integration.world import World

pytestmark = pytest.mark.browser

QUERY = "{ me { name role } ideas(first: 3) { edges { node { title stage } } } }"


async def type_into(page: Page, editor_selector: str, text: str) -> None:
    """Focus a CodeMirror editor, select what is there and type over it."""
    await page.locator(editor_selector).first.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(text)


async def test_a_lead_types_a_query_in_graphiql_and_reads_the_answer(
    browser: Browser, live_server: str, tokens: dict[str, str], world: World
):
    await world.submit(title="Generative assistant for business customers")
    context = await browser.new_context()
    page = await context.new_page()
    leaving: list[str] = []
    page.on(
        "request",
        lambda request: leaving.append(request.url) if not _loopback(request.url) else None,
    )

    # Opened on a query of the lead's own (as a shared link would), so the role's example,
    # which replaces only the untouched welcome text (test_graphiql_product.py), cannot land
    # over what the lead types here.
    await page.goto(f"{live_server}/graphql?q=%23%20my%20queue")
    await page.locator(".graphiql-query-editor .CodeMirror").first.wait_for(timeout=30_000)
    await page.get_by_text("Headers", exact=True).click()
    await type_into(
        page,
        ".graphiql-editor-tool .CodeMirror:visible",
        json.dumps({"Authorization": f"Bearer {tokens['lead']}"}),
    )
    await type_into(page, ".graphiql-query-editor .CodeMirror", QUERY)
    typed = await page.locator(".graphiql-query-editor .CodeMirror").first.evaluate(
        "element => element.CodeMirror.getValue()"
    )
    await page.locator(".graphiql-execute-button").first.click()
    result = await page.wait_for_function(
        """() => {
            const element = document.querySelector('.graphiql-response .CodeMirror');
            const text = element && element.CodeMirror ? element.CodeMirror.getValue() : '';
            return text.includes('"me"') ? text : null;
        }""",
        timeout=30_000,
    )
    answer = json.loads(await result.json_value())
    await page.screenshot(path=str(_screenshot_dir() / "graphiql-lead.png"))
    await context.close()

    assert typed == QUERY
    assert answer["data"]["me"] == {"name": "lead", "role": "LEAD"}
    assert answer["data"]["ideas"]["edges"][0]["node"]["title"] == (
        "Generative assistant for business customers"
    )
    assert leaving == []


def _loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    host = parts.hostname or ""
    return host == "localhost" or ipaddress.ip_address(host).is_loopback


def _screenshot_dir():
    import tempfile
    from pathlib import Path

    path = Path(tempfile.gettempdir()) / "innovation-screens"
    path.mkdir(exist_ok=True)
    return path
