"""The offline GraphiQL page only references files the package ships, intact and licensed."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import parse, validate

from innovation.api.graphiql import EXAMPLES, GRAPHIQL_STATIC_DIR, WELCOME, render_graphiql
from innovation.api.schema import build_schema
from innovation.config import ApiSettings
from innovation.tokens import ROLES

STATIC_PATH = "/static/graphiql"
LICENCE = re.compile(r"^(licen[cs]e|copying)", re.IGNORECASE)


class _AssetCollector(HTMLParser):
    """Every URL the browser fetches for a script or a stylesheet/icon link."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.attributes: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        url = attributes.get("src") if tag == "script" else None
        if tag == "link":
            url = attributes.get("href")
        if tag in {"script", "link"}:
            self.attributes.append(attributes)
            if url is not None:
                self.urls.append(url)


def _collect(page: str) -> _AssetCollector:
    collector = _AssetCollector()
    collector.feed(page)
    collector.close()
    return collector


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads((GRAPHIQL_STATIC_DIR / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def local_urls() -> list[str]:
    urls = _collect(render_graphiql(static_path=STATIC_PATH)).urls
    return [url for url in urls if not url.startswith("data:")]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_asset_the_page_loads_is_shipped_and_matches_the_manifest(
    manifest: dict[str, Any], local_urls: list[str]
) -> None:
    hashes = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    assert len(local_urls) == 8
    for url in local_urls:
        assert url.startswith(f"{STATIC_PATH}/"), url
        relative = url.removeprefix(f"{STATIC_PATH}/")
        path = GRAPHIQL_STATIC_DIR / relative
        assert path.is_file(), f"{url} is not in {GRAPHIQL_STATIC_DIR}"
        assert relative in hashes, f"{relative} is missing from manifest.json"
        assert _sha256(path) == hashes[relative], f"{relative} differs from manifest.json"


def test_every_file_in_the_manifest_is_on_disk_with_its_hash(manifest: dict[str, Any]) -> None:
    for entry in manifest["files"]:
        path = GRAPHIQL_STATIC_DIR / entry["path"]
        assert path.is_file(), entry["path"]
        assert _sha256(path) == entry["sha256"], entry["path"]
        assert entry["path"].startswith(f"{entry['package']}/")
        assert entry["version"]


def test_every_vendored_asset_is_used_by_the_page(
    manifest: dict[str, Any], local_urls: list[str]
) -> None:
    assets = {entry["path"] for entry in manifest["files"] if entry["kind"] == "asset"}
    assert assets == {url.removeprefix(f"{STATIC_PATH}/") for url in local_urls}


def test_every_package_folder_keeps_a_licence_file(manifest: dict[str, Any]) -> None:
    packages = {package["name"] for package in manifest["packages"]}
    assert packages == {
        "react",
        "react-dom",
        "js-cookie",
        "graphiql",
        "@graphiql/plugin-explorer",
        "graphql-ws",
    }
    for name in packages:
        folder = GRAPHIQL_STATIC_DIR / name
        licences = [path for path in folder.iterdir() if LICENCE.match(path.name)]
        assert licences, f"{folder} has no licence file"
        assert all("MIT" in path.read_text(encoding="utf-8") for path in licences), name


def test_the_rendered_page_loads_nothing_from_the_internet() -> None:
    page = render_graphiql(static_path=STATIC_PATH)
    collected = _collect(page)
    for url in collected.urls:
        assert not re.match(r"^(https?:)?//", url, re.IGNORECASE), url
    for attributes in collected.attributes:
        assert "integrity" not in attributes
        assert "crossorigin" not in attributes
    for word in ("unpkg", "jsdelivr", "cdn"):
        assert word not in page.lower()
    assert "{{" not in page


def test_the_static_path_is_filled_in_without_a_trailing_slash() -> None:
    page = render_graphiql(static_path="/assets/ide/")
    urls = [url for url in _collect(page).urls if not url.startswith("data:")]
    assert urls
    assert all(url.startswith("/assets/ide/") and "//" not in url for url in urls)


def test_the_vendored_files_are_byte_for_byte_those_strawberry_pins() -> None:
    """strawberry's own page names each file with a sha384 integrity; ours must match it."""
    upstream = (Path(strawberry.__file__).parent / "static" / "graphiql.html").read_text(
        encoding="utf-8"
    )
    pinned = re.findall(
        r'(?:src|href)="https://unpkg\.com/((?:@[^/]+/)?[^@/]+)@([^/]+)/([^"]+)"\s+'
        r'integrity="sha384-([^"]+)"',
        upstream,
    )
    assert len(pinned) == 7
    versions = {
        package["name"]: package["version"]
        for package in json.loads((GRAPHIQL_STATIC_DIR / "manifest.json").read_text())["packages"]
    }
    for name, version, path, sha384 in pinned:
        hint = "update PACKAGES in .ci/vendor_graphiql.py and re-run it"
        assert versions.get(name) == version, f"strawberry now asks for {name}@{version}; {hint}"
        content = (GRAPHIQL_STATIC_DIR / name / path).read_bytes()
        assert base64.b64encode(hashlib.sha384(content).digest()).decode() == sha384, path


def test_every_role_has_an_example_tab_that_is_valid_against_the_schema() -> None:
    schema = build_schema(ApiSettings())
    assert set(EXAMPLES) == {role.upper() for role in ROLES}
    for role, document in {"welcome": WELCOME, **EXAMPLES}.items():
        assert validate(schema._schema, parse(document)) == [], role


def test_the_examples_are_in_the_page_as_json_a_script_cannot_break_out_of() -> None:
    page = render_graphiql(static_path=STATIC_PATH)
    start = page.index('<script id="examples" type="application/json">') + len(
        '<script id="examples" type="application/json">'
    )
    embedded = json.loads(page[start : page.index("</script>", start)])
    assert embedded == {"welcome": WELCOME, "byRole": EXAMPLES}
