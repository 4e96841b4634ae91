"""GraphiQL's vendored scripts and stylesheets as they go out to the browsers of product leads.

About 4.1 MB of files (GraphiQL's own script is 3.5 MB) load with every GraphiQL page. Each is
read once a process and kept as it goes out (``Served``): gzip-compressed for the browsers that
accept it (1.0 MB in all, the script 0.7), with an ``ETag`` from its bytes, the same
whichever process serves it, and ``Cache-Control: no-cache``, so that a browser opening the page
again asks whether it changed and is answered ``304 Not Modified``. Litestar's static files
router sent every file whole, uncompressed, to each page load, conditional requests included.
The files change only when the service is upgraded, and their addresses do not: ``no-cache``
rather than a lifetime, so that a browser never runs an old GraphiQL against a new page.
"""

from __future__ import annotations

import asyncio
import mimetypes
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from innovation.api.graphiql import GRAPHIQL_STATIC_DIR
from innovation.api.graphql import STATIC_PATH
from innovation.api.pages import served
from innovation.releases.digest import Served

_ROOT = GRAPHIQL_STATIC_DIR.resolve()
_kept: dict[str, tuple[Served, str]] = {}
"""Each file made, with its media type, by its path under ``_ROOT`` as the page names it: found
again without a look at the file system."""


def _file(relative: str) -> Path | None:
    """The vendored file at ``relative``, or None for anything else (a folder, a path that
    leads outside the vendored files)."""
    found = (_ROOT / relative).resolve()
    return found if found.is_relative_to(_ROOT) and found.is_file() else None


def _made(path: Path) -> tuple[Served, str]:
    media_type = mimetypes.guess_type(path.name)[0] or "text/plain"
    return Served(path.read_bytes()).ready(), media_type


async def asset(relative: str) -> tuple[Served, str] | None:
    """The file at ``relative`` as it goes out, and its media type, made once (compressing
    GraphiQL's script takes a tenth of a second: in a thread, the event loop answering others
    meanwhile); None when no vendored file is there. Kept under the file's own path alone, so
    that other spellings of it (``a/./b``) cannot grow what is kept."""
    relative = relative.lstrip("/")
    found = _kept.get(relative)
    if found is not None:
        return found
    path = _file(relative)
    if path is None:
        return None
    name = path.relative_to(_ROOT).as_posix()
    found = _kept.get(name)
    if found is None:
        found = _kept[name] = await asyncio.to_thread(_made, path)
    return found


@get(f"{STATIC_PATH}/{{relative:path}}", include_in_schema=False)
async def graphiql_asset(request: Request[Any, Any, Any]) -> Response[bytes]:
    found = await asset(request.path_params["relative"])
    if found is None:
        raise NotFoundException(f"no such file under {STATIC_PATH}")
    document, media_type = found
    return served(request, document, media_type)
