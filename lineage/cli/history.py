"""The scan history: `scans`, `prune`, `diff`, `db upgrade`."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from lineage.cli.app import cli, console, db_option, fail, load_or_fail, open_engine
from lineage.cli.printing import add_row, plain, text_table
from lineage.model import Severity

if TYPE_CHECKING:
    from lineage.drift import Drift


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True)
def scans(db: str, as_json: bool) -> None:
    """The scan history, newest first."""
    from store.repository import list_scans

    summaries = list_scans(open_engine(db))
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in summaries], indent=2))
        return
    listing = text_table("Scans", ("id", "started", "status", "nodes", "edges", "findings", "gaps", "error"))
    for item in summaries:
        add_row(listing, item.id, item.started_at, item.status, item.nodes, item.edges, item.findings, item.gaps,
                (item.error.splitlines() or [""])[0][:80])
    console.print(listing)


@cli.command()
@db_option
@click.option("--keep", type=click.IntRange(1, None), help="Keep the newest N scans.")
@click.option("--older-than", metavar="AGE", help="Remove scans started more than AGE ago (30d, 12h).")
def prune(db: str, keep: int | None, older_than: str | None) -> None:
    """Remove old scans: the tracker gives its own data a lifecycle too."""
    from lineage.scheduler import parse_duration
    from store.repository import prune as prune_scans

    if keep is None and older_than is None:
        fail("give --keep N or --older-than AGE (or both)")
    try:
        age = parse_duration(older_than) if older_than else None
    except ValueError as error:
        fail(f"--older-than: {error}")
    removed = prune_scans(open_engine(db), keep=keep, older_than=age)
    console.print(plain(f"removed {len(removed)} scan(s)" + (": " + ", ".join(removed) if removed else "")))


@cli.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@db_option
@click.option("--json", "as_json", is_flag=True)
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]),
              help="Exit 1 when a new finding at this severity or above appeared.")
def diff(base: str | None, head: str | None, db: str, as_json: bool, fail_on: str | None) -> None:
    """What changed between two scans (default: the last two with a graph)."""
    from lineage.drift import diff_scans
    from store.repository import latest_scan_ids

    engine = open_engine(db)
    if base is None:
        newest = latest_scan_ids(engine, 2)
        if len(newest) < 2:
            fail("diff needs two scans with a graph; this database has " + str(len(newest)))
        head, base = newest
    elif head is None:
        newest = latest_scan_ids(engine, 1)
        head = newest[0] if newest else None
        if head is None or head == base:
            fail("give two scan ids, or one older than the latest scan")
    drift = diff_scans(load_or_fail(db, base), load_or_fail(db, head))
    if as_json:
        click.echo(json.dumps(drift.to_dict(), indent=2, default=str))
    else:
        print_drift(drift)
    if fail_on and drift.new_findings_at_least(Severity(fail_on)):
        sys.exit(1)


def print_drift(drift: Drift) -> None:
    console.print(plain(f"{drift.base} → {drift.head}: {drift.one_line()}", style="bold"))
    changes = text_table(None, ("change", "what", "detail"))
    for node in drift.nodes_added:
        add_row(changes, "+ node", node, "")
    for node in drift.nodes_removed:
        add_row(changes, "- node", node, "")
    for source, target, kind in drift.flows_added:
        add_row(changes, "+ flow", f"{source} → {target}", kind)
    for source, target, kind in drift.flows_removed:
        add_row(changes, "- flow", f"{source} → {target}", kind)
    for finding in drift.findings_added:
        add_row(changes, f"+ {finding.severity.value}", finding.rule, f"{finding.node}: {finding.message}")
    for finding in drift.findings_resolved:
        add_row(changes, "resolved", finding.rule, finding.node)
    for before, after in drift.findings_changed:
        add_row(changes, f"{before.severity.value} → {after.severity.value}", after.rule, after.node)
    for change in drift.attribute_changes:
        add_row(changes, "worse" if change.worse else "changed", change.node, change.summary)
    if changes.row_count:
        console.print(changes)


@cli.group()
def db() -> None:
    """The scan store's schema."""


@db.command("upgrade")
@db_option
def db_upgrade(db: str) -> None:
    """Bring the database to the schema this version needs."""
    from store import migrate
    from store.repository import StoreError, open_store

    try:
        engine = open_store(db, upgrade=True)
    except StoreError as error:
        fail(str(error))
    console.print(plain(f"database at schema revision {migrate.current_revision(engine)}"))

