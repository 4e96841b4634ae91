"""GraphiQL that knows the product: its name, the schema as soon as a token is typed, an example
for the caller's role, and the bare address leading to it."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.async_api import Browser

from innovation.api.graphiql import EXAMPLES, WELCOME
from tests.e2e.browser import EXECUTE_BUTTON, QUERY_EDITOR, UI_TIMEOUT_MS
from tests.e2e.test_graphiql_subscriptions import open_with_token, response_containing


async def test_the_bare_address_leads_to_graphiql(client: httpx.AsyncClient):
    response = await client.get("/", headers={"Accept": "text/html"})

    assert response.is_redirect
    assert response.headers["location"] == "/graphql"


@pytest.mark.browser
async def test_a_lead_gets_the_schema_and_a_working_example_as_soon_as_the_token_is_typed(
    browser: Browser, live_server: str, tokens: dict[str, str]
):
    context = await browser.new_context()
    page = await context.new_page()
    introspections: list[int] = []

    async def count(response: object) -> None:
        request = response.request  # type: ignore[attr-defined]
        if request.method == "POST" and "IntrospectionQuery" in (request.post_data or ""):
            introspections.append(response.status)  # type: ignore[attr-defined]

    page.on("response", count)
    await page.goto(f"{live_server}/graphql", wait_until="domcontentloaded")
    editor = page.locator(QUERY_EDITOR).first
    await editor.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    opened_with = await editor.evaluate("element => element.CodeMirror.getValue()")
    title = await page.title()

    await open_with_token(page, live_server, tokens["lead"])
    shown = await page.wait_for_function(
        """([selector, welcome]) => {
            const element = document.querySelector(selector);
            const text = element && element.CodeMirror ? element.CodeMirror.getValue() : "";
            return text && text !== welcome ? text : null;
        }""",
        arg=[QUERY_EDITOR, WELCOME],
        timeout=UI_TIMEOUT_MS,
    )
    example = await shown.json_value()
    await page.get_by_label("Show Documentation Explorer").click()
    await page.get_by_text("Root Types").wait_for(timeout=UI_TIMEOUT_MS)
    await page.locator(EXECUTE_BUTTON).first.click()
    answer = json.loads(await response_containing(page, '"ideas"'))
    await context.close()

    assert title == "innovation · GraphQL"
    assert opened_with == WELCOME
    assert example == EXAMPLES["LEAD"]
    assert 200 in introspections
    assert "errors" not in answer
    assert answer["data"]["ideas"]["totalCount"] == 0
