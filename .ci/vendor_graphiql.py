"""Fetch the GraphiQL page's npm assets into ``static/graphiql/``, so they can be reproduced.

Run ``python .ci/vendor_graphiql.py`` after changing ``PACKAGES`` (for instance to
follow a strawberry upgrade that asks for newer versions). Each tarball comes from the npm
registry and is checked against the ``dist.integrity`` and ``dist.shasum`` its metadata
publishes; only the files the page loads and the licence files are kept, and
``manifest.json`` records the package, version and sha256 of every file written.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from innovation.api.graphiql import GRAPHIQL_STATIC_DIR

__all__ = ["DEFAULT_REGISTRY", "PACKAGES", "LicenceFrom", "Package", "main", "vendor"]

DEFAULT_REGISTRY = "https://registry.npmjs.org"
MANIFEST_NAME = "manifest.json"
TIMEOUT_SECONDS = 60
LICENCE_NAME = re.compile(r"^(licen[cs]e|copying)([.-][\w.-]+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class LicenceFrom:
    """A licence file kept from another tarball, for a package whose own tarball ships none."""

    name: str
    version: str
    path: str
    save_as: str


@dataclass(frozen=True)
class Package:
    """One npm package version and the files of it that the GraphiQL page loads."""

    name: str
    version: str
    files: tuple[str, ...]
    licences_from: tuple[LicenceFrom, ...] = ()


# The versions strawberry 0.341's graphiql.html asks for, and the websocket client the page uses
# for subscriptions (the version graphiql 3.8.3 bundles for its own, unreachable, use).
PACKAGES: tuple[Package, ...] = (
    Package("react", "18.2.0", ("umd/react.production.min.js",)),
    Package("react-dom", "18.2.0", ("umd/react-dom.production.min.js",)),
    Package("js-cookie", "3.0.5", ("dist/js.cookie.min.js",)),
    Package("graphiql", "3.8.3", ("graphiql.min.js", "graphiql.min.css")),
    Package(
        "@graphiql/plugin-explorer",
        "1.0.2",
        ("dist/index.umd.js", "dist/style.css"),
        # Its tarball has no licence file (package.json says MIT). It is published from the
        # graphql/graphiql repository, whose licence the graphiql tarball carries, and its UMD
        # build bundles graphiql-explorer, which has its own.
        licences_from=(
            LicenceFrom("graphiql", "3.8.3", "LICENSE", "LICENSE"),
            LicenceFrom("graphiql-explorer", "0.9.0", "LICENSE", "LICENSE.graphiql-explorer"),
        ),
    ),
    Package("graphql-ws", "5.16.0", ("umd/graphql-ws.min.js",)),
)


class VendorError(RuntimeError):
    """A download that cannot be trusted or does not hold what the page needs."""


def _get(url: str) -> bytes:
    """One HTTP GET; the registry is the only host this module talks to."""
    request = urllib.request.Request(url, headers={"User-Agent": "innovation-vendor-graphiql"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        body: bytes = response.read()
    return body


def fetch_metadata(name: str, version: str, registry: str) -> dict[str, Any]:
    """The registry's document for one version: it names the tarball and its hashes."""
    quoted = urllib.parse.quote(name, safe="@")
    url = f"{registry.rstrip('/')}/{quoted}/{urllib.parse.quote(version)}"
    metadata: dict[str, Any] = json.loads(_get(url))
    if metadata.get("version") != version:
        raise VendorError(f"{url} describes version {metadata.get('version')!r}")
    return metadata


def verify_tarball(data: bytes, dist: dict[str, Any], label: str) -> None:
    """Refuse a tarball whose bytes differ from what the registry published for it."""
    integrity = str(dist.get("integrity", ""))
    shasum = str(dist.get("shasum", ""))
    if not integrity and not shasum:
        raise VendorError(f"{label}: the registry publishes no integrity or shasum")
    for entry in integrity.split():
        algorithm, _, expected = entry.partition("-")
        if algorithm not in {"sha256", "sha384", "sha512"}:
            continue
        actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
        if actual != expected:
            raise VendorError(f"{label}: {algorithm} integrity mismatch")
    if shasum and hashlib.sha1(data).hexdigest() != shasum:
        raise VendorError(f"{label}: sha1 shasum mismatch")


def _members(archive: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """Regular files by their path inside the package (npm puts them under ``package/``)."""
    members: dict[str, tarfile.TarInfo] = {}
    for member in archive.getmembers():
        if not member.isfile():
            continue
        parts = PurePosixPath(member.name).parts[1:]
        if parts and ".." not in parts:
            members[PurePosixPath(*parts).as_posix()] = member
    return members


@dataclass(frozen=True)
class Tarball:
    """A verified npm tarball, read into memory (the packages involved are a few MB)."""

    name: str
    version: str
    metadata: dict[str, Any]
    files: dict[str, bytes]

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def read(self, path: str) -> bytes:
        try:
            return self.files[path]
        except KeyError:
            raise VendorError(f"{self.label}: {path} is not in the tarball") from None

    def licences(self) -> list[str]:
        return sorted(p for p in self.files if "/" not in p and LICENCE_NAME.match(p))


def download(name: str, version: str, registry: str) -> Tarball:
    """Fetch one package version's tarball and check it against the registry's hashes."""
    label = f"{name}@{version}"
    metadata = fetch_metadata(name, version, registry)
    dist = metadata.get("dist") or {}
    tarball_url = str(dist.get("tarball", ""))
    if not tarball_url:
        raise VendorError(f"{label}: the registry names no tarball")
    data = _get(tarball_url)
    verify_tarball(data, dist, label)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        files = {}
        for path, member in _members(archive).items():
            stream = archive.extractfile(member)
            if stream is not None:
                files[path] = stream.read()
    return Tarball(name, version, metadata, files)


def vendor(
    destination: Path = GRAPHIQL_STATIC_DIR,
    *,
    packages: Sequence[Package] = PACKAGES,
    registry: str = DEFAULT_REGISTRY,
) -> dict[str, Any]:
    """Download, verify and extract every package; replace ``destination`` only if all worked."""
    tarballs: dict[tuple[str, str], Tarball] = {}

    def tarball(name: str, version: str) -> Tarball:
        if (name, version) not in tarballs:
            tarballs[name, version] = download(name, version, registry)
            print(f"fetched {name}@{version}", file=sys.stderr)
        return tarballs[name, version]

    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".graphiql-", dir=destination.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the folder is served and packaged
    try:
        manifest: dict[str, Any] = {
            "comment": "Written by python .ci/vendor_graphiql.py; do not edit.",
            "registry": registry,
            "packages": [],
            "files": [],
        }
        for package in packages:
            own = tarball(package.name, package.version)
            dist = own.metadata.get("dist") or {}
            manifest["packages"].append(
                {
                    "name": package.name,
                    "version": package.version,
                    "license": own.metadata.get("license"),
                    "tarball": dist.get("tarball"),
                    "integrity": dist.get("integrity"),
                }
            )
            wanted: list[tuple[str, Tarball, str, str]] = [
                ("asset", own, path, path) for path in package.files
            ]
            wanted += [("licence", own, path, path) for path in own.licences()]
            wanted += [
                ("licence", tarball(extra.name, extra.version), extra.path, extra.save_as)
                for extra in package.licences_from
            ]
            if not any(kind == "licence" for kind, *_ in wanted):
                raise VendorError(f"{own.label}: no licence file; name one in licences_from")
            for kind, source, path, save_as in wanted:
                content = source.read(path)
                target = staging / package.name / save_as
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                manifest["files"].append(
                    {
                        "package": package.name,
                        "version": package.version,
                        "kind": kind,
                        "path": f"{package.name}/{save_as}",
                        "source": f"{source.label}/{path}",
                        "size": len(content),
                        "sha256": hashlib.sha256(content).hexdigest(),
                    }
                )
        (staging / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
        )
        if destination.exists():
            shutil.rmtree(destination)
        staging.rename(destination)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry: ``python .ci/vendor_graphiql.py [--dest DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python .ci/vendor_graphiql.py",
        description="Fetch the GraphiQL page's npm assets into the package, verified.",
    )
    parser.add_argument("--dest", type=Path, default=GRAPHIQL_STATIC_DIR, help="output folder")
    parser.add_argument("--registry", default=DEFAULT_REGISTRY, help="npm registry base URL")
    args = parser.parse_args(argv)
    try:
        manifest = vendor(args.dest, registry=args.registry)
    except (VendorError, OSError) as error:
        print(f"vendor_graphiql: {error}", file=sys.stderr)
        return 1
    total = sum(entry["size"] for entry in manifest["files"])
    print(f"{len(manifest['files'])} files, {total} bytes in {args.dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
