"""`lineage view`: the page of a stored scan, opened on the whole graph, around one node, or on personal data."""

from __future__ import annotations

from pathlib import Path

import click

from lineage.cli.app import cli, db_option, load_or_fail, node_named, scan_option


@cli.command()
@db_option
@scan_option
@click.option("--focus", metavar="NODE", help="Open on this node (id or unique name) and what lies around it.")
@click.option("--depth", type=click.IntRange(1, None), default=2, show_default=True,
              help="Flows shown upstream and downstream of a focused node: the one --focus names, or one chosen "
                   "in the page (changeable there).")
@click.option("--pii-only", is_flag=True, help="Open with only the nodes that hold personal data or that it reaches.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The page to write.")
def view(db: str, scan_id: str | None, focus: str | None, depth: int, pii_only: bool, output: Path) -> None:
    """The interactive page of a stored scan, left to right as the data flows; one self-contained file,
    readable by all (a page is asked for to be shown). The whole scan is in it: a breadcrumb returns from
    the focused node to the whole graph, and the personal-data filter can be turned off."""
    from lineage.cli.scanning import write_page
    from lineage.scan import graph_of
    from viz.page_data import Focus

    scan = load_or_fail(db, scan_id)
    centre = node_named(graph_of(scan), focus, scan.id).id if focus is not None else None
    write_page(scan, output, Focus(centre, depth), pii_only)
