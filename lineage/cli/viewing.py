"""`lineage view`: the page of a stored scan, whole, around one node, or of personal data only."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from lineage.cli.app import cli, db_option, load_or_fail, node_named, scan_option
from lineage.model import Scan


def focused(scan: Scan, focus: str, depth: int) -> Scan:
    """The scan cut to one node (by id or unique name) and what lies `depth` flows upstream and downstream
    of it; the same data under another name (a table's location, a bucket's paths) costs no flow."""
    from lineage.scan import graph_of

    graph = graph_of(scan)
    centre = node_named(graph, focus, scan.id).id
    kept = {centre} | {n for n, _ in graph.walk(centre, downstream=True, depth=depth)} | {
        n for n, _ in graph.walk(centre, downstream=False, depth=depth)}
    return _only(scan, kept)


def personal_only(scan: Scan) -> Scan:
    """The scan cut to the nodes personal data reaches or that hold it."""
    return _only(scan, {n.id for n in scan.nodes if n.attributes.get("personal_data")})


def _only(scan: Scan, kept: set[str]) -> Scan:
    return replace(scan, nodes=tuple(n for n in scan.nodes if n.id in kept),
                   edges=tuple(e for e in scan.edges if e.source in kept and e.target in kept),
                   findings=tuple(f for f in scan.findings if f.node in kept))


@cli.command()
@db_option
@scan_option
@click.option("--focus", metavar="NODE", help="Only this node (id or unique name) and what lies around it.")
@click.option("--depth", type=click.IntRange(1, None), default=2, show_default=True,
              help="With --focus: flows to follow upstream and downstream.")
@click.option("--pii-only", is_flag=True, help="Only the nodes that hold personal data or that it reaches.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The page to write.")
def view(db: str, scan_id: str | None, focus: str | None, depth: int, pii_only: bool, output: Path) -> None:
    """The interactive page of a stored scan, left to right as the data flows; one self-contained file,
    readable by all (a page is asked for to be shown)."""
    from lineage.cli.scanning import write_page

    scan = load_or_fail(db, scan_id)
    if focus is not None:
        scan = focused(scan, focus, depth)
    if pii_only:
        scan = personal_only(scan)
    write_page(scan, output)
