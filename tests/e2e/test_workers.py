"""`innovation serve --workers 2`: each worker listens on a socket of its own and gets a share.

With one socket shared by every worker, whichever worker wakes first accepts a whole burst of
connections; with one socket per worker (``SO_REUSEPORT``) the kernel spreads them. What each
process holds is read from ``/proc``: its listening sockets and its accepted connections.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from innovation.serving import PortShare

LISTEN, ESTABLISHED = "0A", "01"


def sockets_on(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 TCP sockets on this local port in this state (``/proc/net/tcp``)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            found.add(fields[9])
    return found


def held_by(pid: int, inodes: set[str]) -> int:
    """How many of these sockets the process has open."""
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        held += target.startswith("socket:[") and target[8:-1] in inodes
    return held


def listening_workers(server: int, port: int) -> list[int]:
    """The server's child processes that listen on the port (not multiprocessing's helpers)."""
    found = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    return [int(child) for child in found if held_by(int(child), sockets_on(port, LISTEN))]


def get_health(port: int) -> socket.socket:
    """A kept-alive connection that has had one answer from /health."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
    assert connection.recv(4096).startswith(b"HTTP/1.1 200")
    return connection


@contextmanager
def two_workers(database: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "INNOVATION_DATABASE_URL": f"sqlite:///{database}",
        "INNOVATION_PORT": str(port),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "innovation.cli", "serve", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(listening_workers(server.pid, port)) < 2:
            assert server.poll() is None, server.stderr.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "two workers never both listened"
            time.sleep(0.05)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=20)


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_each_worker_listens_on_its_own_socket_and_accepts_a_share(
    sqlite_template: Path, tmp_path: Path
):
    database = tmp_path / "innovation.db"
    shutil.copyfile(sqlite_template, database)
    port = free_port()
    with two_workers(database, port) as server:
        workers = listening_workers(server.pid, port)
        listening = sockets_on(port, LISTEN)
        connections = [get_health(port) for _ in range(32)]
        try:
            accepted = sockets_on(port, ESTABLISHED)
            shares = [held_by(worker, accepted) for worker in workers]
        finally:
            for connection in connections:
                connection.close()

    assert len(workers) == 2
    assert len(listening) == 2, "the workers share one listening socket"
    assert sum(shares) == 32
    assert min(shares) > 0, f"one worker accepted every connection: {shares}"


def test_a_port_in_use_is_refused_by_name(sqlite_template: Path, tmp_path: Path):
    with closing(socket.socket()) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "INNOVATION_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}"}
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "innovation.cli",
                "serve",
                "--workers",
                "2",
                "--port",
                str(port),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert run.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in run.stderr


@pytest.mark.slow
def test_a_second_server_does_not_join_the_first_on_its_port(sqlite_template: Path, tmp_path: Path):
    """Sockets that allow sharing a port would let it: the second must be refused instead."""
    database = tmp_path / "innovation.db"
    shutil.copyfile(sqlite_template, database)
    port = free_port()
    with two_workers(database, port) as first:
        env = {**os.environ, "INNOVATION_DATABASE_URL": f"sqlite:///{database}"}
        second = subprocess.Popen(
            [sys.executable, "-m", "innovation.cli", "serve", "--workers", "2"]
            + ["--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _, stderr = second.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            joined = listening_workers(second.pid, port)
            second.terminate()
            second.communicate(timeout=20)
            pytest.fail(f"a second server runs on the port ({len(joined)} workers listening)")
        assert first.poll() is None

    assert second.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in stderr


def test_a_share_sent_to_a_worker_is_a_new_socket_on_the_same_address():
    shared = PortShare.bind_to("127.0.0.1", 0)
    try:
        build, arguments = shared.__reduce__()
        rebuilt = build(*arguments)
        try:
            assert rebuilt.fileno() != shared.fileno()
            assert rebuilt.getsockname() == shared.getsockname()
            assert rebuilt.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        finally:
            rebuilt.close()
    finally:
        shared.close()
