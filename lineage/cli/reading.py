"""Reading stored scans: `findings`, `gaps`, `show`, `export`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lineage.cli.app import cli, console, db_option, fail, load_or_fail, node_named, scan_option
from lineage.cli.printing import add_row, plain, say_written, text_table
from lineage.model import Severity


@cli.command()
@db_option
@scan_option
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--severity", type=click.Choice([s.value for s in Severity]), help="Only this severity and above.")
def findings(db: str, scan_id: str | None, as_json: bool, severity: str | None) -> None:
    """The findings of a scan, most severe first."""
    result = load_or_fail(db, scan_id)
    selected = [f for f in result.findings if severity is None or f.severity.rank >= Severity(severity).rank]
    if as_json:
        click.echo(json.dumps([f.to_dict() for f in selected], indent=2))
        return
    listing = text_table(f"Findings of scan {result.id}", ("severity", "rule", "node", "message"))
    for finding in selected:
        add_row(listing, finding.severity.value, finding.rule, finding.node, finding.message)
    console.print(listing)


@cli.command()
@db_option
@scan_option
@click.option("--json", "as_json", is_flag=True, help="Print the gaps as JSON.")
def gaps(db: str, scan_id: str | None, as_json: bool) -> None:
    """What a scan could not read, and why: each AWS call that failed, each resource whose answer was
    unusable, each fact the tracker could not place (service `lineage`)."""
    result = load_or_fail(db, scan_id)
    if as_json:
        click.echo(json.dumps([g.to_dict() for g in result.coverage_gaps], indent=2))
        return
    if not result.coverage_gaps:
        console.print(plain(f"scan {result.id} is {result.status.value}: nothing it tried to read was missed"))
        return
    # The account column only where the scan read several: one account's gaps are all in it.
    by_account = len(result.accounts) > 1
    listing = text_table(f"Coverage gaps of scan {result.id} ({result.status.value})",
                         ("account",) * by_account + ("service", "operation", "resource", "region", "error"))
    for gap in result.coverage_gaps:
        add_row(listing, *(gap.account,) * by_account, gap.service, gap.operation, gap.resource, gap.region,
                gap.error)
    console.print(listing)


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

    result = load_or_fail(db, scan_id)
    graph = graph_of(result)
    target = node_named(graph, node, result.id)
    reached = graph.walk(target.id, downstream=direction == "downstream", depth=depth)
    node_findings = [f for f in result.findings if f.node == target.id]
    if as_json:
        click.echo(json.dumps({"node": target.to_dict(), "findings": [f.to_dict() for f in node_findings],
                               direction: [{"id": n, "distance": d, "kind": graph.nodes[n].kind}
                                           for n, d in reached]}, indent=2))
        return
    console.print(plain(f"{target.name}  {target.kind} · {target.stage.value}"
                        + ("" if target.observed else " · not scanned"), style="bold"))
    console.print(plain(target.id))
    for finding in node_findings:
        console.print(plain(f"  [{finding.severity.value}] {finding.message}"))
    listing = text_table(direction, ("distance", "kind", "node"))
    for node_id, distance in reached:
        add_row(listing, distance, graph.nodes[node_id].kind, node_id)
    console.print(listing)


@cli.command()
@db_option
@scan_option
@click.option("--format", "fmt", type=click.Choice(["json", "html"]), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write; stdout if omitted.")
def export(db: str, scan_id: str | None, fmt: str, output: Path | None) -> None:
    """The scan as a `lineage-graph/1` JSON document (or the HTML view)."""
    from lineage.cli.scanning import warn_view_problems
    from lineage.files import PRIVATE, PUBLISHED, OutputError, write_output
    from lineage.isolation import Problems
    from viz.export import dumps, scan_document
    from viz.html import render_html

    result = load_or_fail(db, scan_id)
    problems = Problems()
    text = dumps(scan_document(result)) if fmt == "json" else render_html(result, problems)
    warn_view_problems(problems)
    if output is None:
        click.echo(text, nl=False)
    else:
        # The document names every resource of the account: its owner's alone. A page is asked for to be shown.
        try:
            replaced = write_output(output, text, PUBLISHED if fmt == "html" else PRIVATE)
        except OutputError as error:
            fail(str(error))
        say_written(output, replaced)

