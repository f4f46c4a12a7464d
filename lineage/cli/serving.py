"""`lineage serve`: the pages of a folder of scans, read-only, over HTTP.

The viewer has no authentication, so it shows as little as it can and listens only where asked: the
loopback unless `--host` says otherwise. It answers GET and HEAD with the pages the tracker publishes
(`.html` files readable by all, as `--html-dir` writes them) under the folder; never a listing, a file
its owner kept private (an export is written 0600), a dotfile (the scheduler's half-written
temporaries), or anything reached through `..` or a link leading out.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import stat
import sys
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import click

from lineage.cli.app import cli, fail
from lineage.shown import printable

log = logging.getLogger("lineage.serve")

SERVED_TYPES = {".html": "text/html; charset=utf-8"}
INDEX = "latest.html"

# The page is one self-contained file: inline script and style, images as data: URLs, nothing fetched.
# 'unsafe-inline' is what its own meta policy allows too; a hash of each script would add nothing here,
# since the server would hash whatever the file holds. The page escapes every string from AWS instead.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                               "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class Answer:
    """What a request target is: a file to send, a page to go to instead, or nothing to show."""

    status: HTTPStatus
    file: Path | None = None
    location: str | None = None


NOT_FOUND = Answer(HTTPStatus.NOT_FOUND)


def answer(root: Path, target: str) -> Answer:
    """The answer to a request target, `root` being resolved already.

    Every refusal is the same 404, so that a request learns nothing about what lies outside the pages.
    """
    path = unquote(urlsplit(target).path)
    if "\x00" in path:
        return NOT_FOUND
    # Empty segments are dropped, so `//etc/passwd` and `/%2Fetc` stay under the root like any path.
    parts = [part for part in path.split("/") if part]
    if any(part.startswith(".") for part in parts):  # `..`, and dotfiles
        return NOT_FOUND
    resolved = Path(os.path.realpath(root.joinpath(*parts)))
    if not resolved.is_relative_to(root):  # a link leading out
        return NOT_FOUND
    if resolved.is_dir():
        index = Path(os.path.realpath(resolved / INDEX))
        if index.is_relative_to(root) and index.is_file():
            return Answer(HTTPStatus.FOUND, location="/" + "".join(f"{quote(part)}/" for part in parts) + INDEX)
        return NOT_FOUND
    if resolved.suffix not in SERVED_TYPES or not resolved.is_file():
        return NOT_FOUND
    if not resolved.stat().st_mode & stat.S_IROTH:  # kept private by its owner: not published
        return NOT_FOUND
    return Answer(HTTPStatus.OK, file=resolved)


class PageServer(ThreadingHTTPServer):
    daemon_threads = True  # a slow client never holds up stopping

    def __init__(self, root: Path, host: str, port: int) -> None:
        self.root = root
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), PageHandler)


class PageHandler(BaseHTTPRequestHandler):
    server: PageServer
    server_version = "lineage"
    timeout = 30  # an idle connection does not keep a thread forever

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self.respond(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self.respond(with_body=False)

    def respond(self, with_body: bool) -> None:
        found = answer(self.server.root, self.path)
        if found.location is not None:
            self.send_response(found.status)
            self.send_header("Location", found.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if found.file is None:
            self.send_error(found.status)
            return
        try:
            # The file was checked as resolved; opening it without following a link keeps it so.
            descriptor = os.open(found.file, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        with open(descriptor, "rb") as page:
            size = os.fstat(page.fileno())
            if not stat.S_ISREG(size.st_mode):
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", SERVED_TYPES[found.file.suffix])
            self.send_header("Content-Length", str(size.st_size))
            self.end_headers()
            if with_body:
                while chunk := page.read(64 * 1024):
                    self.wfile.write(chunk)

    def version_string(self) -> str:
        return self.server_version  # no Python version for a scanner to match against

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request; the query string is left out, since links may carry tokens in it."""
        method = getattr(self, "command", None) or "-"
        path = (getattr(self, "path", None) or "-").partition("?")[0]
        status = code.value if isinstance(code, HTTPStatus) else code
        log.info("%s %s %s %s", self.client_address[0], printable(method), printable(path), status)

    def log_error(self, format: str, *args: object) -> None:  # noqa: A002 - the signature http.server calls
        """Said already by the request's own line."""


def url_of(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


@cli.command()
@click.option("--dir", "directory", required=True, metavar="DIR",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The folder of pages to serve (the scheduler's --html-dir).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The viewer has no authentication: anything but the loopback belongs "
                   "behind a proxy that authenticates.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")
def serve(directory: Path, host: str, port: int) -> None:
    """Serve the scan pages of a folder, read-only, until SIGTERM or Ctrl-C."""
    root = directory.resolve()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # before listening: a stop that comes early is kept
        signal.signal(signum, lambda *_: stop.set())
    try:
        server = PageServer(root, host, port)
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error.strerror or error}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    listening = threading.Thread(target=server.serve_forever, name="lineage-serve", daemon=True)
    listening.start()
    bound_host, bound_port = server.server_address[:2]
    log.info("serving %s on %s (no authentication; SIGTERM or Ctrl-C stops it)", root,
             url_of(str(bound_host), bound_port))
    stop.wait()
    server.shutdown()
    server.server_close()
    log.info("stopped")
