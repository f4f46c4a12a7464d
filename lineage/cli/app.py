"""The `lineage` command group, its shared options, and how errors reach the user.

Errors a user can make are one line on stderr and exit code 2; anything unexpected is one line too
(`--debug` shows the traceback). Each command family lives in its own module of this package.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from typing import TYPE_CHECKING, NoReturn

import click
from rich.console import Console

from lineage.isolation import describe_error
from lineage.model import Scan
from lineage.shown import printable

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from lineage.graph import Graph
    from lineage.model import Node

# Strings from AWS reach the terminal: never read as rich markup (`[/x]` in a bucket name is text).
console = Console(markup=False, highlight=False)
errors = Console(stderr=True, markup=False, highlight=False)


class UserError(click.ClickException):
    exit_code = 2


class Failure(click.ClickException):
    """Something outside the user's command failed (the store could not write): one line, exit code 1."""

    exit_code = 1


def fail(message: str) -> NoReturn:
    raise UserError(message)


def stop(message: str) -> NoReturn:
    raise Failure(message)


def open_engine(db: str) -> Engine:
    from store.repository import StoreError, open_store

    try:
        return open_store(db)
    except StoreError as error:
        fail(str(error))


def load_or_fail(db: str, scan_id: str | None) -> Scan:
    from store.repository import StoreError, load_scan

    engine = open_engine(db)
    try:
        return load_scan(engine, scan_id)
    except StoreError as error:
        fail(str(error))


def node_named(graph: Graph, name: str, scan_id: str) -> Node:
    """The one node of a scan a user names by id or by name; one line and exit 2 for none, or for many."""
    matches = [n for n in graph.nodes.values() if name in (n.id, n.name)]
    if not matches:
        fail(f"no node {name!r} in scan {scan_id}")
    if len(matches) > 1:
        fail(f"{name!r} names {len(matches)} nodes; give the id: " + ", ".join(m.id for m in matches[:5]))
    return matches[0]


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def check_regions(regions: tuple[str, ...]) -> None:
    """A region is a name such as eu-west-1: anything else is the user's to fix, before any call."""
    if "all" in regions and len(regions) > 1:
        fail("--region all means every enabled region: give it alone")
    for region in regions:
        if region != "all" and not _REGION.match(region):
            fail(f"--region {region!r} is not a region name such as eu-west-1")


# The URL may come from the environment, and its password from LINEAGE_DB_PASSWORD_FILE or
# LINEAGE_DB_PASSWORD (store.repository), so a service never writes it on a command line.
db_option = click.option("--db", envvar="LINEAGE_DB", show_envvar=True, default="sqlite:///lineage.db",
                         show_default=True, metavar="URL",
                         help="SQLAlchemy URL (or a path to a SQLite file) of the scan store; without a password "
                              "in it, the one in the file LINEAGE_DB_PASSWORD_FILE or in LINEAGE_DB_PASSWORD.")
scan_option = click.option("--scan", "scan_id", metavar="ID", help="A scan id; the latest scan when omitted.")


DEBUG_FLAG = "--debug"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aws-lineage", prog_name="lineage")
@click.option(DEBUG_FLAG, is_flag=True, help="Show the traceback of an unexpected error (anywhere on the line; "
              "or set LINEAGE_DEBUG=1).")
def cli(debug: bool) -> None:
    """Map how data moves through an AWS estate, and flag where it rests without a lifecycle or
    encryption."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: every failure is one line on stderr; usage errors exit 2, unexpected ones 1.

    `--debug` may stand anywhere on the command line, so a user who saw the one line can add it to
    the same command and run it again.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in args or os.environ.get("LINEAGE_DEBUG", "") not in ("", "0")
    args = [a for a in args if a != DEBUG_FLAG]
    try:
        cli.main(args=args, prog_name="lineage", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("lineage: aborted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        message = error.format_message().splitlines()[0] if error.format_message() else type(error).__name__
        # An error can quote what it met (a store's message, a name from AWS): shown, never obeyed.
        click.echo(f"lineage: {printable(message)}", err=True)
        if isinstance(error, Failure):
            sys.exit(1)
        sys.exit(2 if error.exit_code in (1, 2) else error.exit_code)
    except Exception as error:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        if debug:
            traceback.print_exc()
        click.echo(f"lineage: unexpected error: {printable(describe_error(error))}"
                   + ("" if debug else f" (add {DEBUG_FLAG} to see where)"), err=True)
        sys.exit(1)

