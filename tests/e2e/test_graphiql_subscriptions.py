"""GraphiQL runs a subscription over the websocket, with the token typed in its Headers tab."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.async_api import Browser, Page, WebSocket
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.browser import EXECUTE_BUTTON, QUERY_EDITOR, RESPONSE_EDITOR, UI_TIMEOUT_MS

pytestmark = pytest.mark.browser

HEADERS_EDITOR = ".graphiql-editor-tool .CodeMirror:visible"
POSITION = "{ pipeline { position } }"
SUBSCRIBE = "subscription { events(after: %d) { type actor position } }"
IDEA = {
    "title": "Self-service eSIM activation",
    "summary": "Activate a line from the app.",
    "provenance": {"sourceKind": "CUSTOMER", "organisation": "Customers", "country": "FR"},
    "themes": ["customer-experience"],
}
SUBMIT = """
mutation($input: SubmitIdeaInput!) { submitIdea(input: $input) { idea { id } errors { code } } }
"""


async def set_editor(page: Page, selector: str, text: str) -> None:
    """Replace an editor's text through its CodeMirror instance, as typing would end up."""
    editor = page.locator(selector).first
    await editor.wait_for(state="attached", timeout=UI_TIMEOUT_MS)
    await editor.evaluate("(element, text) => element.CodeMirror.setValue(text)", text)


async def open_with_token(page: Page, base_url: str, token: str) -> None:
    await page.goto(f"{base_url}/graphql", wait_until="domcontentloaded")
    await page.locator(QUERY_EDITOR).first.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    await page.get_by_text("Headers", exact=True).click()
    await set_editor(page, HEADERS_EDITOR, json.dumps({"Authorization": f"Bearer {token}"}))


async def response_containing(page: Page, text: str, frames: Frames | None = None) -> str:
    """The response editor's text once it holds ``text``; on a timeout, what it held instead
    (and what went over the websocket, when ``frames`` watched it), so that a failure says
    where the answer stopped."""
    try:
        handle = await page.wait_for_function(
            """([selector, text]) => {
                const element = document.querySelector(selector);
                const value = element && element.CodeMirror ? element.CodeMirror.getValue() : "";
                return value.includes(text) ? value : null;
            }""",
            arg=[RESPONSE_EDITOR, text],
            timeout=UI_TIMEOUT_MS,
        )
    except PlaywrightTimeoutError:
        shown = await page.locator(RESPONSE_EDITOR).first.evaluate(
            "element => element.CodeMirror.getValue()"
        )
        watched = f"; frames sent {frames.sent}, received {frames.received}" if frames else ""
        raise AssertionError(
            f"no {text!r} in GraphiQL's response within {UI_TIMEOUT_MS} ms; it shows {shown!r}"
            + watched
        ) from None
    value: str = await handle.json_value()
    return value


class Frames:
    """What the page's websockets sent and received, in order."""

    def __init__(self, page: Page) -> None:
        self.sent: list[str] = []
        self.received: list[str] = []
        page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        socket.on("framesent", lambda frame: self.sent.append(_text(frame)))
        socket.on("framereceived", lambda frame: self.received.append(_text(frame)))

    async def subscribed(self, page: Page, within_ms: int = UI_TIMEOUT_MS) -> None:
        """Wait until GraphiQL has sent its subscribe message: the click was taken."""
        for _ in range(within_ms // 50):
            if any(json.loads(frame).get("type") == "subscribe" for frame in self.sent):
                return
            await page.wait_for_timeout(50)
        raise AssertionError(
            f"GraphiQL sent no subscribe message within {within_ms} ms;"
            f" frames sent {self.sent}, received {self.received}"
        )

    async def execute(self, page: Page, tries: int = 3) -> None:
        """Click GraphiQL's execute button until its subscribe message goes out. A click made
        while GraphiQL re-renders after its editors changed can be lost: then no frame at all
        went out (one CI run in many), and only then is it clicked again, since a second click
        on a running subscription would stop it."""
        for _ in range(tries - 1):
            await page.locator(EXECUTE_BUTTON).first.click()
            try:
                await self.subscribed(page, UI_TIMEOUT_MS // tries)
            except AssertionError:
                if self.sent:  # the click was taken and something else went wrong
                    raise
            else:
                return
        await page.locator(EXECUTE_BUTTON).first.click()
        await self.subscribed(page, UI_TIMEOUT_MS // tries)


def _text(frame: str | bytes) -> str:
    return frame if isinstance(frame, str) else frame.decode()


async def test_a_lead_subscribes_in_graphiql_and_sees_an_event_another_request_appends(
    browser: Browser, live_server: str, tokens: dict[str, str]
):
    async with httpx.AsyncClient(base_url=live_server) as client:
        lead = {"Authorization": f"Bearer {tokens['lead']}"}
        read = await client.post("/graphql", json={"query": POSITION}, headers=lead)
        position = read.json()["data"]["pipeline"]["position"]
        context = await browser.new_context()
        page = await context.new_page()
        frames = Frames(page)
        await open_with_token(page, live_server, tokens["lead"])
        await set_editor(page, QUERY_EDITOR, SUBSCRIBE % position)
        await frames.execute(page)

        submitted = await client.post(
            "/graphql",
            json={"query": SUBMIT, "variables": {"input": IDEA}},
            headers={"Authorization": f"Bearer {tokens['scout']}"},
        )
        answer = await response_containing(page, "idea.submitted", frames)
        await context.close()

    assert submitted.json()["data"]["submitIdea"]["errors"] == []
    event = json.loads(answer)["data"]["events"]
    assert event == {"type": "idea.submitted", "actor": "scout:scout", "position": position + 1}
    init = json.loads(frames.sent[0])
    assert init == {
        "type": "connection_init",
        "payload": {"Authorization": f"Bearer {tokens['lead']}"},
    }
    assert json.loads(frames.sent[1])["type"] == "subscribe"
