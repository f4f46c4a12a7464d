"""The sample estate: `demo` scans it, `demo-server` serves it to `scan --endpoint-url`."""

from __future__ import annotations

from pathlib import Path

import click

from lineage.cli.app import cli, console, errors, fail
from lineage.cli.printing import plain
from lineage.cli.scanning import print_summary


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"),
              show_default=True, help="Folder for lineage.db, lineage.html and lineage.json.")
def demo(out: Path) -> None:
    """Build a sample estate in moto (no AWS account needed), scan it, and write the three files."""
    from lineage.files import OutputError
    from store.repository import StoreError

    try:
        from lineage.demo import run_demo
    except ImportError as error:
        fail(f"the demo needs moto: pip install 'aws-lineage[demo]' ({error.name} is missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(f"cannot create {out}: {error.strerror}")
    try:
        written, scan_result = run_demo(out)
    except (OutputError, StoreError) as error:
        fail(str(error))
    print_summary(scan_result)
    # On stdout, beside the summary: these three files are what the demo is run for.
    for item in written:
        console.print(plain(f"{item.action} {item.path}"), soft_wrap=True)


@cli.command("demo-server")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def demo_server(host: str, port: int) -> None:
    """Serve the demo estate from a moto server, for `lineage scan --endpoint-url`, until stopped."""
    import signal
    import threading

    try:
        from lineage.demo import serve_demo_estate
    except ImportError as error:
        fail(f"the demo needs moto: pip install 'aws-lineage[demo]' ({error.name} is missing)")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    errors.print(f"serving the demo estate on http://{host}:{port} (account 123456789012, us-east-1)")
    try:
        serve_demo_estate(host, port, stop)
    except OSError as error:
        fail(f"cannot serve on {host}:{port}: {error.strerror or error}")

