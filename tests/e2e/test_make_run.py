"""The first five minutes, as ``make run`` does them: migrate, seed, print tokens, serve."""

from __future__ import annotations

import asyncio
import re
import socket

import httpx
import pytest

from tests.helpers import ROOT, spawn_cli

pytestmark = pytest.mark.slow

FIRST_LOOK = "{ pipeline { ideas } releases(first: 1) { edges { node { period } } } }"
ROLE_BLOCK = re.compile(r"```graphql\n# as: (\w+)\n(.*?)```", re.S)


def readme_operations() -> list[tuple[str, str]]:
    """The README's GraphQL operations marked ``# as: role``, in the order printed."""
    return ROLE_BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def read_until(stream: asyncio.StreamReader, pattern: str, seen: list[str]) -> re.Match:
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError("the service stopped:\n" + "".join(seen))
        seen.append(line)
        if found := re.search(pattern, line):
            return found


async def test_make_run_serves_the_demo_with_working_tokens_and_feed_key(database_url: str):
    port = free_port()
    env = {
        "INNOVATION_DATABASE_URL": database_url,
        "INNOVATION_PORT": str(port),
        "INNOVATION_SCHEDULER": "off",
    }
    process = await spawn_cli("demo", env=env)
    assert process.stdout is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(240):
            tokens = {}
            for role in ("scout", "lead", "ethics", "executive", "admin"):
                pattern = rf"^\s+{role}\s+\S+\s+(inv_\S+)"
                tokens[role] = (await read_until(process.stdout, pattern, seen))[1]
            lead = tokens["lead"]
            key = (await read_until(process.stdout, r"^Releases: \S+\?key=(fk_\S+)", seen))[1]
            await read_until(process.stdout, r"Uvicorn running on", seen)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            health = await client.get("/health")
            answer = await client.post(
                "/graphql",
                json={"query": FIRST_LOOK},
                headers={"Authorization": f"Bearer {lead}"},
            )
            page = await client.get("/releases", params={"key": key})
            feed = await client.get("/releases.atom", params={"key": key})
            printed = []
            for role, document in readme_operations():
                reply = await client.post(
                    "/graphql",
                    json={"query": document},
                    headers={"Authorization": f"Bearer {tokens[role]}"},
                )
                printed.append((role, document, reply.json()))
    finally:
        process.terminate()
        await process.wait()

    assert health.status_code == 200, "".join(seen)
    printed_addresses = [line for line in seen if f"127.0.0.1:{port}/graphql" in line]
    assert len(printed_addresses) == 1, "".join(seen)  # once, beside the tokens
    data = answer.json()["data"]
    assert data["pipeline"]["ideas"] >= 60
    assert data["releases"]["edges"][0]["node"]["period"] == "2026-H1"
    assert page.status_code == 200
    assert "2023-H2" in page.text
    assert feed.status_code == 200
    assert feed.text.count("<entry>") >= 6
    assert len(printed) >= 8
    for role, document, body in printed:
        assert "errors" not in body, (role, document, body)
        for field in body["data"].values():
            if isinstance(field, dict) and "errors" in field:
                assert field["errors"] == [], (role, document, field)
        assert body["data"], (role, document)
