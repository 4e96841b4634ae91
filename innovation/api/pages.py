"""Where executives find releases without GraphQL: pages and an Atom feed.

``/releases`` (every release, newest first), ``/releases/{period}`` (the printable digest) and
``/releases.atom`` accept ``Authorization: Bearer <token>`` or a read-only feed key in the
query string (``?key=fk_…``), because feed readers and links in e-mail cannot send a header.
A feed key is derived from a token, opens these pages and nothing else, and dies with its
token. Links on the pages carry the reader's feed key, so they keep working when followed.

A release page stays the same as long as its release, and the index and the feed as long as
the list of releases (each is rendered once and kept): they go out gzip-compressed to every
client that accepts it (a semester's page is megabytes of HTML and SVG, about an eighteenth of
that compressed), with an ``ETag``, so that a reader or feed reader who asks again is answered
``304 Not Modified``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from litestar.types import ExceptionHandlersMap

from innovation.api.answers import matches
from innovation.api.context import bearer, principal_for
from innovation.bootstrap import Services
from innovation.domain.errors import DomainError
from innovation.releases.digest import Served, environment
from innovation.tokens import Principal, digest, feed_key

HTML = "text/html"  # Litestar adds "; charset=utf-8" to a text/* type itself
ATOM = "application/atom+xml; charset=utf-8"


async def reader(
    request: Request[Any, Any, Any], services: Services
) -> tuple[Principal, str | None]:
    """Who reads, and the feed key their links carry; 401 without a valid token or key.

    Both are found without the database while the token cache remembers the caller: a feed
    key is its own reader's key, and a bearer's key derives from the token it sent.
    """
    secret = bearer(request.headers.get("authorization"))
    principal = await principal_for(services, secret)
    if principal is not None and secret is not None:
        return principal, feed_key(principal.token_id, digest(secret))
    key = request.query_params.get("key")
    principal = await services.tokens.feed_reader(key) if key else None
    if principal is None:
        raise NotAuthorizedException(
            "a valid token (Authorization: Bearer) or feed key (?key=) is required",
            headers={"WWW-Authenticate": 'Bearer realm="innovation"'},
        )
    return principal, key


REFUSALS = {
    400: ("Not a period", "The address names a period this service does not write that way."),
    404: ("No such release", "The period has not closed yet, or nothing was released for it."),
}
"""What a browser shows, by status: a heading, and what to make of the refusal's own words."""
NO_KEY = ("The releases need a key", "Open them from a link sent to you (it carries your key).")
STALE_KEY = (
    "This link no longer opens the releases",
    "Its key belongs to a token that was revoked or replaced: ask whoever sent it for a new one.",
)


def refused(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    """A refused page as the browser that asked for it can show it (a link followed from an
    e-mail, a revoked key); to any other client, the JSON every route answers with."""
    headers = dict(error.headers or {})
    status = error.status_code
    if "text/html" not in request.headers.get("accept", "") or status not in (401, *REFUSALS):
        body = {"status_code": status, "detail": error.detail}
        return Response(body, status_code=status, headers=headers)
    key = request.query_params.get("key")
    index_url = None
    if status == 401:
        title, advice = STALE_KEY if key else NO_KEY
    else:
        title, advice = REFUSALS[status]
        index_url = "/releases" + (f"?{urlencode({'key': key})}" if key else "")
    html = (
        environment()
        .get_template("refused.html")
        .render(
            title=title,
            detail=error.detail,
            advice=advice,
            index_url=index_url,
            status=f"{status} {title}",
        )
    )
    return Response(html, status_code=status, headers=headers, media_type=MediaType.HTML)


ON_REFUSAL: ExceptionHandlersMap = {HTTPException: refused}


@get("/releases", include_in_schema=False, exception_handlers=ON_REFUSAL)
async def releases_index(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    services: Services = state.services
    _, key = await reader(request, services)
    return served(request, await services.documents.listing("index", key=key), HTML)


@get("/releases/{period:str}", include_in_schema=False, exception_handlers=ON_REFUSAL)
async def release_page(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    services: Services = state.services
    period: str = request.path_params["period"]
    await reader(request, services)  # the page is the same for every reader who may open it
    page = await services.documents.page(period)
    if page is None:  # a typo is told from a period without a release (yet)
        try:
            services.releases.cadence.parse(period)
        except DomainError as error:
            raise ValidationException(error.message) from None
        raise NotFoundException(f"no release for {period} (yet)")
    return served(request, page, HTML)


@get("/releases.atom", include_in_schema=False, exception_handlers=ON_REFUSAL)
async def releases_feed(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    services: Services = state.services
    _, key = await reader(request, services)
    return served(request, await services.documents.listing("feed", key=key), ATOM)


def served(request: Request[Any, Any, Any], document: Served, media_type: str) -> Response[bytes]:
    """``document`` gzipped when the client accepts it, with its tag; 304 when it has it."""
    compressed = accepts_gzip(request.headers.get("accept-encoding"))
    etag = gzip_tag(document.etag) if compressed else document.etag
    headers = {"ETag": etag, "Vary": "Accept-Encoding", "Cache-Control": "private, no-cache"}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(b"", status_code=304, headers=headers)
    if compressed:
        headers["Content-Encoding"] = "gzip"
        return Response(document.gzipped, media_type=media_type, headers=headers)
    return Response(document.body, media_type=media_type, headers=headers)


def gzip_tag(etag: str) -> str:
    """The ``ETag`` of a representation's gzip-compressed form: each encoding is a
    representation of its own, with its own tag (RFC 9110, 8.8.3)."""
    return etag[:-1] + '-gzip"' if etag.endswith('"') else etag


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header takes gzip (RFC 9110, 12.5.3): named, or through
    ``*``, with a quality above zero; a coding named explicitly outweighs ``*``."""
    named: float | None = None
    anything: float | None = None
    for part in (accept_encoding or "").split(","):
        coding, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        match coding.lower():
            case "gzip" | "x-gzip":
                named = quality
            case "*":
                anything = quality
    chosen = named if named is not None else anything
    return chosen is not None and chosen > 0


ROUTES = [releases_index, releases_feed, release_page]
