"""Where executives find releases without GraphQL: pages and an Atom feed.

``/releases`` (every release, newest first), ``/releases/{period}`` (the printable digest) and
``/releases.atom`` accept ``Authorization: Bearer <token>`` or a read-only feed key in the
query string (``?key=fk_…``), because feed readers and links in e-mail cannot send a header.
A feed key is derived from a token, opens these pages and nothing else, and dies with its
token. Links on the pages carry the reader's feed key, so they keep working when followed.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, NotFoundException, ValidationException

from innovation.api.context import bearer, principal_for
from innovation.bootstrap import Services
from innovation.domain.errors import DomainError
from innovation.projections import releases as views
from innovation.releases.digest import headline
from innovation.releases.feed import FeedEntry, render_feed, summary_html
from innovation.releases.pages import releases_page
from innovation.tokens import Principal, digest, feed_key

HTML = "text/html; charset=utf-8"


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


def _base(services: Services) -> str:
    return services.settings.releases.public_url


@get("/releases", include_in_schema=False)
async def releases_index(request: Request[Any, Any, Any], state: State) -> Response[str]:
    services: Services = state.services
    _, key = await reader(request, services)
    found = await services.database.read(partial(views.releases, first=1000))
    listed = [(view.period, view.published_at, _headline(view)) for view in found]
    html = releases_page(listed, base_url=_base(services), key=key)
    return Response(html, media_type=HTML)


@get("/releases/{period:str}", include_in_schema=False)
async def release_page(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    services: Services = state.services
    period: str = request.path_params["period"]
    _, key = await reader(request, services)
    try:
        services.releases.cadence.parse(period)
    except DomainError as error:
        raise ValidationException(error.message) from None
    digest = await services.releases.page(period, key=key)
    if digest is None:
        raise NotFoundException(f"no release for {period} (yet)")
    return Response(digest.page, media_type=HTML)


@get("/releases.atom", include_in_schema=False)
async def releases_feed(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    services: Services = state.services
    _, key = await reader(request, services)
    found = await services.database.read(partial(views.releases, first=100))
    entries = []
    for view in found:
        entries.append(
            FeedEntry(view.period, view.published_at, _headline(view), summary_html(view.bundle))
        )
    document = render_feed(entries, base_url=_base(services), key=key)
    return Response(document, media_type="application/atom+xml; charset=utf-8")


def _headline(view: views.ReleaseView) -> str:
    """The digest's headline alone: the index and the feed list every release, and rendering
    each one's whole digest (its charts drawn first) made their first view take seconds."""
    return headline(view.bundle).sentence(view.bundle.period)


ROUTES = [releases_index, releases_feed, release_page]
