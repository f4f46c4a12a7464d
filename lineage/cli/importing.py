"""`import`: a scan exported by `lineage export` (a `lineage-graph/1` document) stored again, in this
store or another one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from lineage.cli.app import cli, console, db_option, fail, open_engine, stop
from lineage.cli.printing import plain

STDIN = "-"
_MESSAGE_LENGTH = 300  # a schema message quotes the value it refuses, which can be a whole node


@cli.command("import")
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@db_option
@click.option("--as-id", "new_id", metavar="NEW_ID",
              help="Store the scan under this id rather than the document's (when the store has a scan of that id).")
def import_scan(file: Path, db: str, new_id: str | None) -> None:
    """Store a scan from its `lineage export` JSON document (FILE, or - for stdin): to move scans between
    stores. Nothing is written unless the whole document is a valid scan."""
    from sqlalchemy.exc import SQLAlchemyError

    from store.imports import DocumentError, require_scan_document, scan_from_document, scan_id_problem
    from store.repository import ScanExists, describe, save_new_scan, shown_url

    if new_id is not None and (problem := scan_id_problem(new_id)):
        fail(f"--as-id: {problem}")
    name = "stdin" if str(file) == STDIN else str(file)
    document = _parsed(_read(file, name), name)
    try:
        require_scan_document(document)
        if problem := _schema_problem(document):
            fail(f"{name}: {problem}")
        scan = scan_from_document(document, new_id)
    except DocumentError as error:
        fail(f"{name}: {error}")

    # Opened only now: a document refused leaves no new, empty store behind.
    engine = open_engine(db)
    shown = shown_url(db)
    try:
        save_new_scan(engine, scan)
    except ScanExists:
        fail(f"{shown} already has a scan {scan.id}: nothing written; import it under another id with --as-id NEW_ID")
    except SQLAlchemyError as error:
        stop(f"cannot write scan {scan.id} to {shown}: {describe(error)}")
    console.print(plain(f"imported scan {scan.id}: {len(scan.nodes)} nodes, {len(scan.edges)} edges, "
                        f"{len(scan.findings)} findings into {shown}"), soft_wrap=True)


def _read(file: Path, name: str) -> str:
    try:
        raw = sys.stdin.buffer.read() if str(file) == STDIN else file.read_bytes()
    except OSError as error:
        fail(f"cannot read {name}: {error.strerror or error}")
    try:
        return raw.decode("utf-8-sig")  # an editor's byte-order mark is not part of the JSON
    except UnicodeDecodeError as error:
        fail(f"{name} is not UTF-8 text (byte {error.start})")


def _refuse_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def _parsed(text: str, name: str) -> Any:
    try:
        # Python's parser takes NaN and Infinity, which are not JSON and which no store keeps.
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        fail(f"{name} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}")
    except ValueError as error:  # a refused constant, or an integer longer than Python will convert
        fail(f"{name} is not JSON: {error}")
    except RecursionError:
        fail(f"{name} is nested too deeply to be a {_format()} document")


def _format() -> str:
    from viz.export import FORMAT

    return FORMAT


def _schema_problem(document: Any) -> str | None:
    """The first way `document` breaks the `lineage-graph/1` schema, as `JSON path: what`; None if it
    does not. `document` has a scan header (`require_scan_document`): of the schema's `oneOf` (a scan, or
    the facts of one file) only the scan can match it, and its errors say where the document goes wrong,
    where those of the `oneOf` say only that neither matches."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    from viz.export import schema

    whole = schema()
    scan_branch = {"$schema": whole["$schema"], "$defs": whole["$defs"], "$ref": "#/$defs/scanDocument"}
    error = best_match(Draft202012Validator(scan_branch).iter_errors(document))
    if error is None:
        return None
    message = " ".join(error.message.split())
    if len(message) > _MESSAGE_LENGTH:
        message = message[:_MESSAGE_LENGTH - 1] + "…"
    return f"{error.json_path}: {message}"
