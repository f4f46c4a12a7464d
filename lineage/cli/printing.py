"""What the commands print from a scan: shown as text, whatever the account put in it.

A name, a message or an error read from AWS can hold anything. Handed to rich as a string it would be
read for `:emoji:` codes (and markup, were a console to allow it); written raw, an ESC or a BEL in it
would be obeyed by the terminal: clear the screen, plant a hyperlink (OSC 8), rewrite the line with a
carriage return. So every string from data reaches the consoles through here: as a rich `Text`, which
rich never parses, with each control character made a visible escape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from lineage.cli.app import errors
from lineage.model import Finding, Scan, Severity
from lineage.shown import printable


def plain(value: object, style: str = "") -> Text:
    """`value` for rich as the literal text it is: no markup, no emoji codes, no control characters."""
    return Text(printable(value), style=style)


def text_table(title: str | None, columns: tuple[str, ...] = (), show_header: bool = True) -> Table:
    """A table whose title is shown as text (it may hold a scan id) and whose long cells fold."""
    made = Table(title=plain(title) if title is not None else None, title_justify="left", show_header=show_header)
    for column in columns:
        made.add_column(column, overflow="fold")
    return made


def add_row(into: Table, *cells: object) -> None:
    into.add_row(*(plain(cell) for cell in cells))


def say_written(path: Path, replaced: bool) -> None:
    """On stderr, so that no output is overwritten silently and stdout stays the command's result; never
    wrapped, so that a script reading it gets the whole path."""
    errors.print(plain(f"{'replaced' if replaced else 'wrote'} {path}"), soft_wrap=True)


def emit(text: str, output: Path | None, mode: int) -> None:
    """`text` on stdout, or written to `output` with `mode` and said so on stderr."""
    from lineage.cli.app import fail
    from lineage.files import OutputError, write_output

    if output is None:
        click.echo(text, nl=False)
        return
    try:
        replaced = write_output(output, text, mode)
    except OutputError as error:
        fail(str(error))
    say_written(output, replaced)


def sarif_text(scan: Scan, findings: list[Finding], described: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The findings as a SARIF 2.1.0 log, each rule that found one described beside them."""
    from lineage.rules import all_rules
    from viz.sarif import sarif_log

    return json.dumps(sarif_log(scan, all_rules(), findings, described), indent=2) + "\n"


def at_or_above(findings: tuple[Finding, ...] | list[Finding], severity: str | None) -> list[Finding]:
    """The findings of `severity` or more severe; all of them when no severity is given."""
    if severity is None:
        return list(findings)
    floor = Severity(severity).rank
    return [f for f in findings if f.severity.rank >= floor]
