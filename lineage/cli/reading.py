"""Reading stored scans: `findings`, `gaps`, `show`, `export`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lineage.cli.app import cli, console, db_option, errors, fail, load_or_fail, node_named, scan_option
from lineage.cli.printing import add_row, at_or_above, emit, plain, text_table
from lineage.cli.scanning import read_tag_policy, tag_policy_option
from lineage.cli.templates import (
    described_in,
    findings_report,
    parameters_option,
    stack_name_option,
    template_paths_option,
    where_defined,
)
from lineage.model import Severity


@cli.command()
@db_option
@scan_option
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON (as --format json).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True,
              help="A table, JSON, or SARIF 2.1.0 for code-scanning tools.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the findings (JSON or SARIF) to this file instead of standard output.")
@click.option("--severity", type=click.Choice([s.value for s in Severity]), help="Only this severity and above.")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]), metavar="SEVERITY",
              help="Exit with code 1 when the scan has a finding of this severity or above (for CI), whether or "
                   "not --severity or --described-only leave it out of the output.")
@tag_policy_option
@template_paths_option
@parameters_option
@stack_name_option
@click.option("--described-only", is_flag=True,
              help="Only the findings on resources a template describes: each has a file, as GitHub's code "
                   "scanning requires of every result it accepts.")
def findings(db: str, scan_id: str | None, as_json: bool, fmt: str, output: Path | None, severity: str | None,
             fail_on: str | None, tag_policy_file: Path | None, template_paths: tuple[Path, ...],
             parameters_file: Path | None, stack_name: str | None, described_only: bool) -> None:
    """The findings of a scan, most severe first; with --tag-policy, judged against that policy's tags too; with
    --template, each pointing at where the templates describe its resource."""
    from lineage.cli.app import stop
    from lineage.files import PRIVATE
    from viz.sarif import template_sources

    if as_json and fmt not in ("text", "json"):
        fail("--json is --format json: give one of them")
    fmt = "json" if as_json else fmt
    if output is not None and fmt == "text":
        fail("--output writes JSON or SARIF: add --format json or --format sarif")
    if (parameters_file or stack_name) and not template_paths:
        fail("--parameters and --stack-name are the templates': give --template too")
    policy = read_tag_policy(tag_policy_file)
    result = load_or_fail(db, scan_id)
    if policy is not None:
        from lineage.tag_policy import with_tag_findings

        result = with_tag_findings(result, policy)
    described = described_in(template_paths, parameters_file, stack_name, result) if template_paths else None
    sources = template_sources(result, described)
    if described_only and not sources:
        # An empty output would read as "every alert fixed" to a code-scanning tool: refused, not written.
        fail("--described-only keeps the findings on resources a template describes: give --template PATH…"
             if not template_paths else f"the templates describe no resource of scan {result.id} (check the "
             "paths, --stack-name and --parameters): --described-only would leave nothing")
    if template_paths and not described:
        errors.print(plain(f"warning: the templates describe no resource of scan {result.id} (check the paths, "
                           "--stack-name and --parameters)"), soft_wrap=True)
    selected = at_or_above(result.findings, severity)
    if described_only:
        selected = [f for f in selected if f.node in sources]
    if fmt == "text":
        where = ("where",) if sources else ()
        listing = text_table(f"Findings of scan {result.id}", ("severity", "rule", *where, "node", "message"))
        for finding in selected:
            place = (where_defined(sources.get(finding.node)),) if sources else ()
            add_row(listing, finding.severity.value, finding.rule, *place, finding.node, finding.message)
        console.print(listing)
    elif fmt == "json" and not (sources or template_paths):  # nothing to place: no `location` to give
        emit(json.dumps([f.to_dict() for f in selected], indent=2) + "\n", output, PRIVATE)
    else:
        emit(findings_report(result, selected, fmt, described), output, PRIVATE)
    unplaced = sum(f.node not in sources for f in selected)
    if fmt == "sarif" and unplaced:
        errors.print(plain(
            f"warning: {unplaced} of {len(selected)} result(s) name no file, only the resource: GitHub's code scanning "
            "refuses a SARIF file holding any such result. " + (
                "--described-only leaves them out." if template_paths else
                "--template PATH… points those its templates describe at their file and line; --described-only "
                "leaves the others out.")), soft_wrap=True)
    if fail_on is not None:
        failing = at_or_above(result.findings, fail_on)
        if failing:
            shown = {f.id for f in selected}
            left_out = sum(f.id not in shown for f in failing)
            stop(f"{len(failing)} finding(s) of severity {fail_on} or above in scan {result.id}"
                 + (f", {left_out} of them not in this output" if left_out else ""))


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
@click.option("--format", "fmt", type=click.Choice(["json", "html", "openlineage"]), default="json",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write; stdout if omitted.")
@click.option("--to", "to_url", metavar="URL",
              help="openlineage: POST each event to this endpoint (a server's base URL gets /api/v1/lineage).")
@click.option("--namespace", help="openlineage: the jobs' namespace (default: aws://ACCOUNT/REGION of each job).")
@click.option("--api-key", envvar="LINEAGE_OPENLINEAGE_API_KEY", show_envvar=True,
              help="openlineage: bearer token for --to; better from the environment than on a command line.")
def export(db: str, scan_id: str | None, fmt: str, output: Path | None, to_url: str | None,
           namespace: str | None, api_key: str | None) -> None:
    """The scan as a `lineage-graph/1` JSON document, the HTML view, or OpenLineage run events (one JSON
    object a line, or sent to an OpenLineage server with --to)."""
    from lineage.cli.scanning import warn_view_problems
    from lineage.files import PRIVATE, PUBLISHED
    from lineage.isolation import Problems
    from viz.export import dumps, scan_document
    from viz.html import render_html
    from viz.openlineage import EndpointError, json_lines, lineage_endpoint, run_events

    if fmt != "openlineage" and (to_url is not None or namespace is not None):
        fail(f"--to and --namespace go with --format openlineage, not --format {fmt}")
    if namespace is not None and not namespace.strip():
        fail("--namespace is empty")
    source = click.get_current_context().get_parameter_source("api_key")
    if to_url is None and api_key and source is click.core.ParameterSource.COMMANDLINE:
        fail("--api-key goes with --to")  # from the environment, it is there for whichever export sends
    try:
        endpoint = lineage_endpoint(to_url) if to_url is not None else None
    except EndpointError as error:
        fail(f"--to: {error}")
    result = load_or_fail(db, scan_id)
    if fmt == "openlineage":
        events = run_events(result, namespace)
        if output is not None or endpoint is None:
            emit(json_lines(events), output, PRIVATE)
        if endpoint is not None:
            _send_openlineage(events, endpoint, api_key)
        return
    problems = Problems()
    text = dumps(scan_document(result)) if fmt == "json" else render_html(result, problems)
    warn_view_problems(problems)
    # The document names every resource of the account: its owner's alone. A page is asked for to be shown.
    emit(text, output, PUBLISHED if fmt == "html" else PRIVATE)


def _send_openlineage(events: list[dict[str, object]], endpoint: str, api_key: str | None) -> None:
    """Each event POSTed in turn; at the first that fails, one line saying how many arrived and why the next
    did not (exit 1)."""
    from lineage.cli.app import errors, stop
    from lineage.redact import endpoint as without_credentials
    from viz.openlineage import DeliveryError, post_events

    where = without_credentials(endpoint)
    try:
        sent = post_events(events, endpoint, api_key)
    except DeliveryError as error:
        stop(f"sent {error.sent} of {len(events)} OpenLineage events to {where}; event {error.sent + 1} "
             f"(job {error.job}) failed: {error.reason}")
    errors.print(plain(f"sent {sent} OpenLineage events to {where}"), soft_wrap=True)

