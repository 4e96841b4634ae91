"""Serving over HTTP: uvicorn, one process or several, each with a listening socket of its own;
and what is checked before serving (the port, the database's schema, the address links use).

With ``--workers N`` uvicorn binds one socket in its supervisor and every worker accepts from
it. asyncio accepts every connection waiting on a socket each time it wakes, so whichever
worker wakes first takes a burst of new connections (a load balancer's pool opening, or
wrk's sixteen) and the others stay idle for as long as those connections live. Here each
worker binds a socket of its own with ``SO_REUSEPORT`` and the kernel spreads connections
across them by a hash of their addresses, so each process gets its share.

uvicorn's supervisor is kept (restarts of dead workers, signals, ``SIGHUP`` reloads): what it
hands each worker is a :class:`PortShare`, a bound socket that never listens and that, sent
to a worker, becomes a new socket on the same address there, listening.

``SO_REUSEPORT`` would also let a second ``innovation serve --workers`` started by the same
user join the first on its port, each taking a share of the connections, so the supervisor
first makes sure nothing listens there yet (two started at the same instant can still both
pass).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

APP = "innovation.api.app:create_app"
SCHEMA_CHECK_SECONDS = 10
"""How long ``serve`` and ``scheduler`` wait for the database to say its schema revision."""


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class PortShare(socket.socket):
    """A socket bound with ``SO_REUSEPORT``: listening in each worker it is sent to, never here.

    The supervisor binds it first so that a port taken by another program fails at once and
    by name; without ``listen`` it is in no accept queue, so no connection waits on it.
    """

    host: str
    port: int

    @classmethod
    def bind_to(cls, host: str, port: int) -> PortShare:
        sock = cls(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        sock.host, sock.port = host, sock.getsockname()[1]
        return sock

    def __reduce__(self) -> tuple[Any, ...]:
        return (PortShare.bind_to, (self.host, self.port))


def refuse_if_taken(host: str, port: int) -> None:
    """Raise ``OSError`` if a socket listens on the address, even one that allows sharing it:
    a bind without ``SO_REUSEPORT`` fails where any socket listens (``SO_REUSEADDR`` only lets
    connections of an earlier server, closing, stand aside)."""
    if port == 0:
        return  # the kernel picks a free one
    with socket.socket(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def ensure_free(host: str, port: int) -> None:
    """Exit with one line naming the address when something listens there already (uvicorn
    would start the application, then fail to bind, and stop it again half-way)."""
    try:
        refuse_if_taken(host, port)
    except OSError as error:
        raise SystemExit(f"cannot listen on {host}:{port}: {error.strerror}") from None


def serve(host: str, port: int, workers: int, *, app: str = APP, log_level: str = "info") -> None:
    """Serve ``app`` (an import string naming its factory) until interrupted: in this process,
    or in ``workers`` child processes."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": False,
    }
    if workers <= 1:
        ensure_free(host, port)
        uvicorn.run(app, **options)
        return
    try:
        refuse_if_taken(host, port)
        shared = PortShare.bind_to(host, port)
    except OSError as error:
        raise SystemExit(f"cannot listen on {host}:{port}: {error.strerror}") from None
    try:
        Multiprocess(uvicorn.Config(app, workers=workers, **options), sockets=[shared]).run()
    except KeyboardInterrupt:
        pass
    finally:
        shared.close()


def ensure_schema(url: str) -> None:
    """Exit with one line when the database's schema is not this version's (never migrated,
    behind after an update, or migrated by a newer version), rather than serve it and fail on
    every request. A database that cannot be reached yet is left to the service, which answers
    503 until it can."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from innovation.store import open_database
    from innovation.store.migrate import behind_or_ahead, current_revision

    async def revision() -> str | None:
        database = open_database(url)
        try:
            async with asyncio.timeout(SCHEMA_CHECK_SECONDS):
                return await database.read(current_revision)
        finally:
            await database.close()

    try:
        current = asyncio.run(revision())
    except (DBAPIError, OSError):  # unreachable for now (TimeoutError is an OSError)
        return
    problem = behind_or_ahead(current)
    if problem is not None:
        shown = make_url(url).render_as_string(hide_password=True)
        raise SystemExit(f"cannot serve {shown}: {problem}")


def public_url_note(host: str, public: str) -> str | None:
    """What to say when the service listens beyond this machine while the links it mails
    (``INNOVATION_PUBLIC_URL``, by default the listening address) lead back to it."""
    if _local(host) is True or _local(urlsplit(public).hostname or "") is False:
        return None
    return (
        f"digests and the feed link to {public}, which readers elsewhere cannot open: "
        "set INNOVATION_PUBLIC_URL to the address they use"
    )


def _local(host: str) -> bool | None:
    """True for a loopback address, None for every address (``0.0.0.0``), False otherwise."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False  # a name
    return None if address.is_unspecified else address.is_loopback
