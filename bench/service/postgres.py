"""A PostgreSQL cluster kept under ``.bench/postgres``: made once, started for a bench run.

The bench's data set lives in it between runs (``.ci/with-postgres`` throws its cluster away),
so a million events are written once, not on every run. It listens on loopback only, on a
free port, with the durable defaults the store's own bench uses.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from pathlib import Path
from types import TracebackType

DATABASE = "innovation_bench"


def _bin() -> Path:
    found = (
        os.environ.get("INNOVATION_PG_BIN")
        or (
            sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))[-1:]
            or [""]
        )[0]
    )
    if not found or not (Path(found) / "initdb").exists():
        raise SystemExit("no PostgreSQL server binaries found (set INNOVATION_PG_BIN)")
    return Path(found)


def free_port() -> int:
    """A loopback port nothing listens on now, for a server about to start."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Cluster:
    """``with Cluster(folder) as cluster:`` runs the kept cluster; ``cluster.url`` reaches it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.bin = _bin()
        self.port = free_port()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def pid(self) -> int:
        """The postmaster's process id: its backends and helpers are its children."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    @property
    def libpq(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={DATABASE}"

    def _run(self, *command: str, quiet: bool = True) -> None:
        out = subprocess.DEVNULL if quiet else None
        subprocess.run([*self.as_owner, *command], check=True, stdout=out)

    def __enter__(self) -> Cluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_owner:
            shutil.chown(self.folder, "postgres")
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.data, ignore_errors=True)
            self._run(
                str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--no-sync",
            )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
            "-c max_connections=200 -c fsync=on -c synchronous_commit=on"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
            "-w", "-o", options, "start",
        )  # fmt: skip
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"):
            self.psql(f"CREATE DATABASE {DATABASE}")
        return self

    def psql(self, sql: str, database: str = "postgres") -> str:
        """One statement through ``psql`` as the cluster's owner (``CREATE DATABASE`` included)."""
        done = subprocess.run(
            [*self.as_owner, str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", "-d", database, "-At", "-c", sql],
            check=True, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        return done.stdout.strip()

    def version(self) -> str:
        return self.psql("SHOW server_version")

    def setting(self, name: str) -> str:
        return self.psql(f"SHOW {name}")

    def recreate_database(self) -> None:
        """An empty bench database (the data set is built again into it)."""
        self.psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        self.psql(f"CREATE DATABASE {DATABASE}")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
