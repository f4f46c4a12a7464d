"""The `lineage` command. Errors a user can make are one line on stderr and exit code 2."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from lineage.model import Scan, Severity, Stage

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from lineage.drift import Drift

console = Console()
errors = Console(stderr=True)


class UserError(click.ClickException):
    exit_code = 2


def fail(message: str) -> NoReturn:
    raise UserError(message)


def _store(db: str) -> Engine:
    from store.repository import StoreError, open_store

    try:
        return open_store(db)
    except StoreError as error:
        fail(str(error))


def _load(db: str, scan_id: str | None) -> Scan:
    from store.repository import StoreError, load_scan

    engine = _store(db)
    try:
        return load_scan(engine, scan_id)
    except StoreError as error:
        fail(str(error))


db_option = click.option("--db", default="sqlite:///lineage.db", show_default=True, metavar="URL",
                         help="SQLAlchemy URL (or a path to a SQLite file) of the scan store.")
scan_option = click.option("--scan", "scan_id", metavar="ID", help="A scan id; the latest scan when omitted.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aws-lineage", prog_name="lineage")
def cli() -> None:
    """Map how data moves through an AWS estate, and flag where it rests without a lifecycle or
    encryption."""


# --- scan -----------------------------------------------------------------------------------------


def print_summary(scan: Scan) -> None:
    stages = Counter(n.stage for n in scan.nodes)
    severities = Counter(f.severity for f in scan.findings)
    table = Table(title=f"Scan {scan.id} · {scan.status.value}", show_header=False, title_justify="left")
    table.add_row("accounts", ", ".join(scan.accounts) or "unknown")
    table.add_row("regions", ", ".join(scan.regions))
    table.add_row("nodes", f"{len(scan.nodes)} (" + ", ".join(f"{s.value} {stages.get(s, 0)}" for s in Stage) + ")")
    table.add_row("flows", str(sum(1 for e in scan.edges if e.kind.is_flow)))
    table.add_row("findings", f"{len(scan.findings)} (" + ", ".join(
        f"{s.value} {severities[s]}" for s in sorted(Severity, key=lambda s: -s.rank) if severities.get(s)) + ")")
    table.add_row("coverage gaps", str(len(scan.coverage_gaps)))
    table.add_row("API calls", str(sum(scan.api_calls.values())))
    console.print(table)
    by_error: dict[str, list[str]] = {}
    for gap in scan.coverage_gaps:
        by_error.setdefault(gap.error, []).append(f"{gap.service}:{gap.operation} {gap.resource}".strip())
    for error, calls in list(by_error.items())[:10]:
        where = ", ".join(calls[:3]) + (f" and {len(calls) - 3} more" if len(calls) > 3 else "")
        console.print(f"  gap: {error} ({where})", markup=False, highlight=False)
    if len(by_error) > 10:
        console.print(f"  … and {len(by_error) - 10} more kinds of gap (lineage export lists every one)")


def perform_scan(profile: str | None, regions: tuple[str, ...], endpoint_url: str | None, db: str,
                 html: Path | None, workers: int) -> Scan:
    import boto3
    from botocore.exceptions import BotoCoreError

    from lineage.scan import ScanOptions, scan_and_store
    from viz.html import write_html

    engine = _store(db)
    options = ScanOptions(profile=profile, regions=regions, endpoint_url=endpoint_url, workers=workers)
    try:
        session = boto3.Session(profile_name=profile)
    except BotoCoreError as error:  # a profile that does not exist, a malformed config file
        fail(str(error))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=errors,
                  transient=True) as progress:
        task = progress.add_task("scanning", total=None)

        def advance(label: str, done: int, total: int) -> None:
            progress.update(task, description=f"read {label}", completed=done, total=total)

        scan = scan_and_store(options, engine, advance, session=session)
    if html is not None:
        try:
            write_html(scan, html)
        except OSError as error:
            fail(f"scan {scan.id} is stored, but {html} could not be written: {error.strerror}")
    return scan


@cli.command()
@click.option("--profile", metavar="P", help="AWS profile to use.")
@click.option("--region", "regions", multiple=True, metavar="R", help="Region to scan; repeat for more.")
@click.option("--endpoint-url", metavar="URL", help="Send every call to this endpoint (moto, LocalStack).")
@db_option
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), help="Also write the HTML view here.")
@click.option("--workers", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Concurrent AWS calls.")
def scan(profile: str | None, regions: tuple[str, ...], endpoint_url: str | None, db: str, html: Path | None,
         workers: int) -> None:
    """Read the estate's configuration, build the graph, flag the gaps, store the scan."""
    if endpoint_url and not endpoint_url.startswith(("http://", "https://")):
        fail(f"--endpoint-url must be an http(s) URL, not {endpoint_url!r}")
    result = perform_scan(profile, regions, endpoint_url, db, html, workers)
    print_summary(result)
    if html is not None:
        console.print(f"view: {html}")
    if result.status.value == "failed":
        sys.exit(1)


# --- reading scans --------------------------------------------------------------------------------


@cli.command()
@db_option
@scan_option
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--severity", type=click.Choice([s.value for s in Severity]), help="Only this severity and above.")
def findings(db: str, scan_id: str | None, as_json: bool, severity: str | None) -> None:
    """The findings of a scan, most severe first."""
    result = _load(db, scan_id)
    selected = [f for f in result.findings if severity is None or f.severity.rank >= Severity(severity).rank]
    if as_json:
        click.echo(json.dumps([f.to_dict() for f in selected], indent=2))
        return
    table = Table(title=f"Findings of scan {result.id}", title_justify="left")
    for column in ("severity", "rule", "node", "message"):
        table.add_column(column, overflow="fold")
    for finding in selected:
        table.add_row(finding.severity.value, finding.rule, finding.node, finding.message)
    console.print(table)


@cli.command()
@click.argument("node")
@click.option("--upstream", "direction", flag_value="upstream", help="Where its data comes from.")
@click.option("--downstream", "direction", flag_value="downstream", default=True, help="Where its data goes.")
@click.option("--depth", type=click.IntRange(1, None), help="Flows to follow at most.")
@db_option
@scan_option
@click.option("--json", "as_json", is_flag=True)
def show(node: str, direction: str, depth: int | None, db: str, scan_id: str | None, as_json: bool) -> None:
    """A node's facts and findings, and what lies upstream or downstream of it (id or unique name)."""
    from lineage.scan import graph_of

    result = _load(db, scan_id)
    graph = graph_of(result)
    matches = [n for n in graph.nodes.values() if node in (n.id, n.name)]
    if not matches:
        fail(f"no node {node!r} in scan {result.id}")
    if len(matches) > 1:
        fail(f"{node!r} names {len(matches)} nodes; give the id: " + ", ".join(m.id for m in matches[:5]))
    target = matches[0]
    reached = graph.walk(target.id, downstream=direction == "downstream", depth=depth)
    node_findings = [f for f in result.findings if f.node == target.id]
    if as_json:
        click.echo(json.dumps({"node": target.to_dict(), "findings": [f.to_dict() for f in node_findings],
                               direction: [{"id": n, "distance": d, "kind": graph.nodes[n].kind}
                                           for n, d in reached]}, indent=2))
        return
    console.print(f"[bold]{target.name}[/]  {target.kind} · {target.stage.value}"
                  + ("" if target.observed else " · not scanned"), highlight=False)
    console.print(target.id, highlight=False, markup=False)
    for finding in node_findings:
        console.print(f"  [{finding.severity.value}] {finding.message}", highlight=False, markup=False)
    table = Table(title=direction, title_justify="left")
    for column in ("distance", "kind", "node"):
        table.add_column(column, overflow="fold")
    for node_id, distance in reached:
        table.add_row(str(distance), graph.nodes[node_id].kind, node_id)
    console.print(table)


@cli.command()
@db_option
@scan_option
@click.option("--format", "fmt", type=click.Choice(["json", "html"]), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write; stdout if omitted.")
def export(db: str, scan_id: str | None, fmt: str, output: Path | None) -> None:
    """The scan as a `lineage-graph/1` JSON document (or the HTML view)."""
    from viz.export import dumps, scan_document
    from viz.html import render_html

    result = _load(db, scan_id)
    text = dumps(scan_document(result)) if fmt == "json" else render_html(result)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            fail(f"cannot write {output}: {error.strerror}")
        errors.print(f"wrote {output}", highlight=False)


# --- offline --------------------------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the facts as a lineage-graph/1 document.")
def asl(file: Path, as_json: bool) -> None:
    """What one Step Functions definition file (JSON or YAML) reads, writes and invokes, offline."""
    from lineage.asl import DefinitionError, Machine, load_definition, parse_definition
    from viz.export import dumps, facts_document

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {file}: {getattr(error, 'strerror', None) or error}")
    try:
        load_definition(text, file.name)
    except DefinitionError as error:
        fail(f"{file}: {error}")
    stem = file.name.split(".")[0] or "definition"
    machine = Machine(f"arn:aws:states:::stateMachine:{stem}", operation="file")
    result = parse_definition(text, machine, file.name)
    if as_json:
        click.echo(dumps(facts_document(result.facts, result.warnings, str(file))), nl=False)
        return
    table = Table(title=f"{file.name}: {len(result.facts.edges)} flow(s)", title_justify="left")
    for column in ("flow", "resource", "where", "value"):
        table.add_column(column, overflow="fold")
    nodes = {n.id: n for n in result.facts.nodes}
    for edge in result.facts.edges:
        other = edge.source if edge.target == machine.id else edge.target
        node = nodes.get(other)
        label = f"{node.kind} (dynamic)" if node and node.attributes.get("dynamic") else (node.kind if node else "")
        for evidence in edge.evidence:
            table.add_row(edge.kind.value, f"{label}\n{other if not other.startswith('dynamic:') else ''}".strip(),
                          evidence.path, evidence.excerpt)
    console.print(table)
    for warning in result.warnings:
        errors.print(f"warning: {warning}", highlight=False, markup=False)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def rules(as_json: bool) -> None:
    """Every rule the scan applies, with its id, severity and remediation."""
    from lineage.rules import all_rules

    listed = all_rules()
    if as_json:
        click.echo(json.dumps([{"id": r.id, "title": r.title, "category": r.category.value,
                                "severity": r.severity.value, "remediation": r.remediation,
                                "frameworks": list(r.frameworks)} for r in listed], indent=2))
        return
    table = Table(title="Rules", title_justify="left")
    for column in ("id", "category", "severity", "title"):
        table.add_column(column, overflow="fold")
    for item in listed:
        table.add_row(item.id, item.category.value, item.severity.value, item.title)
    console.print(table)


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"),
              show_default=True, help="Folder for lineage.db, lineage.html and lineage.json.")
def demo(out: Path) -> None:
    """Build a sample estate in moto (no AWS account needed), scan it, and write the three files."""
    try:
        from lineage.demo import run_demo
    except ImportError as error:
        fail(f"the demo needs moto: pip install 'aws-lineage[demo]' ({error.name} is missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(f"cannot create {out}: {error.strerror}")
    paths, scan_result = run_demo(out)
    print_summary(scan_result)
    for path in paths:
        console.print(f"wrote {path}", highlight=False)


# --- history, drift, maintenance ------------------------------------------------------------------


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True)
def scans(db: str, as_json: bool) -> None:
    """The scan history, newest first."""
    from store.repository import list_scans

    summaries = list_scans(_store(db))
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in summaries], indent=2))
        return
    table = Table(title="Scans", title_justify="left")
    for column in ("id", "started", "status", "nodes", "edges", "findings", "gaps", "error"):
        table.add_column(column, overflow="fold")
    for item in summaries:
        table.add_row(item.id, item.started_at, item.status, str(item.nodes), str(item.edges), str(item.findings),
                      str(item.gaps), item.error[:80])
    console.print(table)


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
    removed = prune_scans(_store(db), keep=keep, older_than=age)
    console.print(f"removed {len(removed)} scan(s)" + (": " + ", ".join(removed) if removed else ""),
                  highlight=False)


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

    engine = _store(db)
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
    drift = diff_scans(_load(db, base), _load(db, head))
    if as_json:
        click.echo(json.dumps(drift.to_dict(), indent=2, default=str))
    else:
        print_drift(drift)
    if fail_on and drift.new_findings_at_least(Severity(fail_on)):
        sys.exit(1)


def print_drift(drift: Drift) -> None:
    console.print(f"[bold]{drift.base} → {drift.head}[/]: {drift.one_line()}", highlight=False)
    table = Table(show_header=True, title_justify="left")
    for column in ("change", "what", "detail"):
        table.add_column(column, overflow="fold")
    for node in drift.nodes_added:
        table.add_row("+ node", node, "")
    for node in drift.nodes_removed:
        table.add_row("- node", node, "")
    for source, target, kind in drift.flows_added:
        table.add_row("+ flow", f"{source} → {target}", kind)
    for source, target, kind in drift.flows_removed:
        table.add_row("- flow", f"{source} → {target}", kind)
    for finding in drift.findings_added:
        table.add_row(f"+ {finding.severity.value}", finding.rule, f"{finding.node}: {finding.message}")
    for finding in drift.findings_resolved:
        table.add_row("resolved", finding.rule, finding.node)
    for before, after in drift.findings_changed:
        table.add_row(f"{before.severity.value} → {after.severity.value}", after.rule, after.node)
    for change in drift.attribute_changes:
        table.add_row("worse" if change.worse else "changed", change.node, change.summary)
    if table.row_count:
        console.print(table)


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
    console.print(f"database at schema revision {migrate.current_revision(engine)}", highlight=False)


@cli.command()
@click.option("--every", metavar="INTERVAL", help="Scan every INTERVAL: 30m, 6h, 1d (s, m, h, d).")
@click.option("--cron", metavar="EXPR", help='Scan on a crontab schedule, in UTC: "0 */6 * * *".')
@click.option("--profile", metavar="P")
@click.option("--region", "regions", multiple=True, metavar="R")
@click.option("--endpoint-url", metavar="URL")
@db_option
@click.option("--html-dir", type=click.Path(file_okay=False), help="Write latest.html and one page per scan here.")
@click.option("--workers", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--now", "run_now", is_flag=True, help="Also scan once right away.")
def schedule(every: str | None, cron: str | None, profile: str | None, regions: tuple[str, ...],
             endpoint_url: str | None, db: str, html_dir: str | None, workers: int, run_now: bool) -> None:
    """Scan periodically until stopped (SIGTERM or Ctrl-C stop it between scans)."""
    import logging

    from lineage.scheduler import ScheduledScan, make_trigger, serve

    try:
        make_trigger(every, cron)
    except ValueError as error:
        fail(str(error))
    _store(db)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    for noisy in ("apscheduler", "alembic", "botocore", "boto3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    job = ScheduledScan(db=db, profile=profile, regions=regions, endpoint_url=endpoint_url, workers=workers,
                        html_dir=html_dir)
    serve(job, every, cron, run_now=run_now)


@cli.command("iam-policy")
def iam_policy() -> None:
    """The least-privilege, read-only IAM policy the scanner needs."""
    from lineage.iam import policy_json

    click.echo(policy_json(), nl=False)


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
    errors.print(f"serving the demo estate on http://{host}:{port} (account 123456789012, us-east-1)",
                 highlight=False)
    try:
        serve_demo_estate(host, port, stop)
    except OSError as error:
        fail(f"cannot serve on {host}:{port}: {error.strerror or error}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: click's usage errors become one line and exit code 2."""
    try:
        cli.main(args=argv, prog_name="lineage", standalone_mode=False)
    except click.exceptions.Exit as stop:
        sys.exit(stop.exit_code)
    except click.Abort:
        click.echo("lineage: aborted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        message = error.format_message().splitlines()[0] if error.format_message() else type(error).__name__
        click.echo(f"lineage: {message}", err=True)
        sys.exit(2 if error.exit_code in (1, 2) else error.exit_code)


if __name__ == "__main__":
    main()
