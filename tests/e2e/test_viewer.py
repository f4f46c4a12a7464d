"""`lineage serve` over a real socket: only the pages under its folder, never a listing, never a step
outside; the security headers on every answer; the loopback unless told otherwise; a clean stop."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from lineage.cli.serving import SECURITY_HEADERS
from tests.e2e.conftest import lineage, wait_for
from tests.viz.test_views import headless_chromium, hostile_scan
from viz.html import render_html

SECRET = "nobody-should-read-this"
PAGE = "<!DOCTYPE html><title>latest</title><p>the aws page</p>"


@dataclass(frozen=True, slots=True)
class Viewer:
    host: str
    port: int
    log: Path
    process: subprocess.Popen


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def start(*args: str, log: Path) -> Viewer:
    """`lineage serve ARGS` in its own process, once it says where it listens."""
    process = subprocess.Popen([sys.executable, "-m", "lineage.cli", "serve", *args],
                               stdout=subprocess.DEVNULL, stderr=log.open("w"))
    found: list[re.Match[str]] = []

    def listening() -> bool:
        if process.poll() is not None:
            pytest.fail(f"lineage serve exited {process.returncode}: {log.read_text()}")
        found[:] = [m for m in [re.search(r"serving \S+ on http://([^/]+):(\d+)/", log.read_text())] if m]
        return bool(found)

    wait_for(listening)
    return Viewer(found[0].group(1), int(found[0].group(2)), log, process)


def stop(viewer: Viewer, signum: int = signal.SIGTERM) -> int:
    viewer.process.send_signal(signum)
    return viewer.process.wait(timeout=30)


def request(viewer: Viewer, target: str, method: str = "GET") -> Reply:
    """The target is sent exactly as given: no client-side normalisation of `..` or `%2e`."""
    connection = http.client.HTTPConnection("127.0.0.1", viewer.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return Reply(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file beside the served folder, which no request may reach."""
    secret = tmp_path / "secret.html"
    secret.write_text(SECRET)
    return secret


@pytest.fixture
def pages(tmp_path: Path, outside: Path) -> Path:
    root = tmp_path / "pages"
    (root / "aws").mkdir(parents=True)
    (root / "aws" / "latest.html").write_text(PAGE)
    (root / "aws" / "scan-1.html").write_text(PAGE)
    (root / "latest.html").write_text(PAGE)
    (root / "listed").mkdir()
    (root / "listed" / "scan-2.html").write_text(PAGE)  # a folder without latest.html
    (root / "lineage.db").write_text(SECRET)  # a scan database left beside the pages
    (root / ".latest.html.42.tmp").write_text(SECRET)  # the scheduler's half-written page
    (root / ".hidden.html").write_text(SECRET)
    (root / "out.html").symlink_to(outside)
    (root / "out").symlink_to(outside.parent)
    (root / "inside.html").symlink_to(root / "aws" / "latest.html")
    for page in (root / "aws" / "latest.html", root / "aws" / "scan-1.html", root / "latest.html",
                 root / "listed" / "scan-2.html"):
        page.chmod(0o644)  # published, as --html-dir writes pages
    for private in (root / "export.json", root / "aws" / "private.html"):  # kept to their owner
        private.write_text(SECRET)
        private.chmod(0o600)
    return root


@pytest.fixture
def viewer(pages: Path, tmp_path: Path) -> Iterator[Viewer]:
    running = start("--dir", str(pages), "--port", "0", log=tmp_path / "viewer.log")
    try:
        yield running
    finally:
        assert stop(running) == 0


def test_a_page_is_served_whole_with_the_security_headers(viewer: Viewer, pages: Path) -> None:
    got = request(viewer, "/aws/latest.html")
    assert got.status == 200 and got.body == PAGE.encode()
    assert got.headers["Content-Type"] == "text/html; charset=utf-8"
    for name, value in SECURITY_HEADERS.items():
        assert got.headers[name] == value, name
    policy = got.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy
    assert "Python" not in got.headers["Server"]
    head = request(viewer, "/aws/latest.html", "HEAD")
    assert head.status == 200 and head.body == b"" and head.headers["Content-Length"] == str(len(PAGE))
    assert request(viewer, "/inside.html").body == PAGE.encode()  # a link that stays inside is followed


def test_a_folder_is_never_listed(viewer: Viewer) -> None:
    root = request(viewer, "/")
    assert (root.status, root.headers["Location"]) == (302, "/latest.html")
    assert root.headers["X-Frame-Options"] == "DENY"  # on every answer, not only on pages
    assert request(viewer, "/aws").headers["Location"] == "/aws/latest.html"
    assert request(viewer, "/aws/").headers["Location"] == "/aws/latest.html"
    for target in ("/listed/", "/listed", "/out/"):
        got = request(viewer, target)
        assert got.status == 404, target
        assert b"scan-2.html" not in got.body and b"secret" not in got.body
        assert "Location" not in got.headers


@pytest.mark.parametrize("target", [
    "/../secret.html",
    "/aws/../../secret.html",
    "/%2e%2e/secret.html",
    "/%2E%2E%2Fsecret.html",
    "/aws/%2e%2e/%2e%2e/secret.html",
    "..%2fsecret.html",
    "http://127.0.0.1/../secret.html",  # the absolute form of a request target
    "/out.html",  # a link leading out
    "/out/secret.html",
    "/lineage.db",  # not a page
    "/.hidden.html",
    "/.latest.html.42.tmp",
    "/aws/latest.html%00.db",
    "/export.json",  # an export, written 0600
    "/aws/private.html",  # a page its owner kept private
])
def test_nothing_outside_the_folder_hidden_or_not_a_page_is_served(viewer: Viewer, target: str) -> None:
    got = request(viewer, target)
    assert got.status == 404, target
    assert SECRET.encode() not in got.body


def test_an_absolute_path_stays_under_the_folder(viewer: Viewer, outside: Path) -> None:
    for target in ("/" + str(outside), "/" + quote(str(outside), safe=""), "///" + str(outside).lstrip("/")):
        got = request(viewer, target)
        assert got.status == 404 and SECRET.encode() not in got.body, target


def test_only_get_and_head_are_answered(viewer: Viewer, pages: Path) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        got = request(viewer, "/aws/latest.html", method)
        assert got.status == 501, method
    assert (pages / "aws" / "latest.html").read_text() == PAGE


def test_each_request_is_one_line_without_its_query(viewer: Viewer) -> None:
    request(viewer, "/aws/latest.html?token=query-secret")
    request(viewer, "/../secret.html")
    with socket.create_connection(("127.0.0.1", viewer.port), timeout=10) as raw:  # what no client library sends
        raw.sendall(b"GET /\x1b[2K\x08forged HTTP/1.0\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.0 404")
    stop(viewer)
    text = viewer.log.read_text()
    lines = [line for line in text.splitlines() if " 127.0.0.1 " in line]
    assert len(lines) == 3, lines
    assert lines[0].endswith("GET /aws/latest.html 200")
    assert lines[1].endswith("GET /../secret.html 404")
    assert lines[2].endswith("GET /\\x1b[2K\\x08forged 404")  # a terminal escape is shown, not obeyed
    assert "query-secret" not in text and "\x1b" not in text


def test_it_listens_on_the_loopback_unless_told_otherwise(viewer: Viewer) -> None:
    assert viewer.host == "127.0.0.1"
    assert listening_addresses(viewer.port) == {"127.0.0.1"}


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port`, as the kernel reports them."""
    table = Path("/proc/net/tcp")
    if not table.exists():
        pytest.skip("no /proc/net/tcp to read listening sockets from")
    addresses = set()
    for line in table.read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, _, hex_port = local.partition(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            addresses.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
    return addresses


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_it_cleanly(pages: Path, tmp_path: Path, signum: int) -> None:
    running = start("--dir", str(pages), "--port", "0", log=tmp_path / "viewer.log")
    assert request(running, "/aws/latest.html").status == 200
    assert stop(running, signum) == 0
    assert running.log.read_text().rstrip().endswith("stopped")
    assert "Traceback" not in running.log.read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--dir", "{tmp}/missing"], "does not exist"),
    (["--dir", "{tmp}/a-file"], "is a file"),
    (["--dir", "{tmp}", "--port", "70000"], "--port"),
    (["--dir", "{tmp}", "--host", "192.0.2.1"], "cannot listen on 192.0.2.1:"),  # not an address of this machine
    (["--dir", "{tmp}", "--host", "no-such-host.invalid"], "cannot listen on no-such-host.invalid:"),
    ([], "--dir"),
])
def test_a_wrong_argument_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    result = lineage("serve", *[a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_a_port_in_use_is_one_line_and_exit_2(viewer: Viewer, tmp_path: Path) -> None:
    result = lineage("serve", "--dir", str(tmp_path), "--port", str(viewer.port))
    assert result.returncode == 2
    assert result.stderr.strip() == f"lineage: cannot listen on 127.0.0.1:{viewer.port}: Address already in use"


@pytest.mark.browser
def test_the_page_renders_in_headless_chromium_under_the_viewers_policy(tmp_path: Path) -> None:
    root = tmp_path / "pages"
    root.mkdir()
    (root / "latest.html").write_text(render_html(hostile_scan()), encoding="utf-8")
    (root / "latest.html").chmod(0o644)  # published
    driver = headless_chromium(tmp_path, browser_log=True)  # first: a machine without Chromium skips here
    try:
        running = start("--dir", str(root), "--port", "0", log=tmp_path / "viewer.log")
    except BaseException:
        driver.quit()
        raise
    try:
        driver.get(f"http://127.0.0.1:{running.port}/")  # the redirect to latest.html, as a user opens it
        assert driver.current_url.endswith("/latest.html")
        drawn = driver.execute_script(
            "return window.lineageNetwork ? window.lineageNetwork.body.data.nodes.length : -1")
        assert drawn == 2
        assert driver.find_elements("css selector", "canvas")
        assert driver.execute_script("return document.querySelectorAll('#findings .finding').length") == 1
        assert driver.execute_script("return window.__pwned === undefined")
        refused = [entry["message"] for entry in driver.get_log("browser")
                   if "Content Security Policy" in entry["message"]]
        assert refused == []  # the page needs nothing the policy forbids
    finally:
        driver.quit()
        assert stop(running) == 0
