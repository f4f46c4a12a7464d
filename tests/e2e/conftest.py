"""The command as a user runs it, and a moto server to point it at."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer


def lineage(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess:
    """`lineage ARGS` in a new process; the test's fake credentials are inherited from its environment."""
    return subprocess.run([sys.executable, "-m", "lineage.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=300, input=stdin)


def wait_for(predicate: Callable[[], object], timeout: float = 120, interval: float = 0.2) -> None:
    """Poll until `predicate` holds; fail the test at the deadline (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    pytest.fail("timed out waiting")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_moto_server() -> Iterator[str]:
    """A moto server on a free port, empty: an in-process server shares moto's state with every mock."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30)
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def moto_server() -> Iterator[str]:
    with running_moto_server() as endpoint:
        yield endpoint
