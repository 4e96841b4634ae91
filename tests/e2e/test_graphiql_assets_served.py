"""GraphiQL's vendored files go out compressed and tagged, and unchanged are not sent again."""

from __future__ import annotations

import gzip
import re

import httpx
import pytest

from innovation.api.graphiql import GRAPHIQL_STATIC_DIR

SCRIPT = "/static/graphiql/graphiql/graphiql.min.js"


async def sent(
    client: httpx.AsyncClient, path: str, **headers: str
) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (httpx would ask for gzip and decode it)."""
    request = client.build_request("GET", path)
    request.headers.pop("accept-encoding", None)
    request.headers.update(headers)
    response = await client.send(request, stream=True)
    return response, b"".join([chunk async for chunk in response.aiter_raw()])


async def test_every_file_the_graphiql_page_names_is_served(client: httpx.AsyncClient):
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    named = re.findall(r'(?:src|href)="(/static/graphiql/[^"]+)"', page.text)

    assert len(named) >= 6, page.text
    for path in named:
        response, body = await sent(client, path)
        assert response.status_code == 200, path
        relative = path.removeprefix("/static/graphiql/")
        assert body == (GRAPHIQL_STATIC_DIR / relative).read_bytes(), path


async def test_graphiql_s_script_goes_out_compressed_and_unchanged_is_not_resent(
    client: httpx.AsyncClient,
):
    whole = (GRAPHIQL_STATIC_DIR / "graphiql" / "graphiql.min.js").read_bytes()

    plain, body = await sent(client, SCRIPT)
    compressed, packed = await sent(client, SCRIPT, **{"Accept-Encoding": "gzip, br"})
    again, nothing = await sent(client, SCRIPT, **{"If-None-Match": plain.headers["etag"]})
    packed_again, none_packed = await sent(
        client, SCRIPT, **{"Accept-Encoding": "gzip", "If-None-Match": compressed.headers["etag"]}
    )

    assert (plain.status_code, body) == (200, whole)
    assert "javascript" in plain.headers["content-type"]
    assert compressed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed) == whole
    assert len(packed) < len(whole) / 3
    assert plain.headers["etag"] != compressed.headers["etag"]
    assert plain.headers["vary"] == "Accept-Encoding"
    assert "no-cache" in plain.headers["cache-control"], "asked again, so never run stale"
    assert (again.status_code, nothing) == (304, b"")
    assert (packed_again.status_code, none_packed) == (304, b"")


@pytest.mark.parametrize(
    "path",
    [
        "/static/graphiql/graphiql",  # a folder
        "/static/graphiql/graphiql/nothing.js",
        "/static/graphiql/..%2Fgraphiql.py",
        "/static/graphiql/%2E%2E/%2E%2E/config.py",
    ],
)
async def test_nothing_but_a_vendored_file_is_served(client: httpx.AsyncClient, path: str):
    response = await client.get(path)

    assert response.status_code == 404, response.text
