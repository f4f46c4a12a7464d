"""Personal data in a stored scan: `pii` (the summary a person reads) and `evidence` (the bundle for
auditors, and `--verify` to check one). Both read the same document (`lineage.evidence`), so they agree."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from lineage.cli.app import cli, console, db_option, errors, fail, load_or_fail, scan_option, stop
from lineage.cli.printing import add_row, plain, text_table
from lineage.shown import printable

_MARKS = {"failing": "✗ FAILING", "unknown": "? unknown", "ok": "✓ ok", "masked": "■ masked",
          "dropped": "■ dropped", "processed": "→ processed"}


def _document(db: str, scan_id: str | None) -> dict[str, Any]:
    from lineage.evidence import evidence_document, installed_version
    from lineage.scan import graph_of

    scan = load_or_fail(db, scan_id)
    return _warned(evidence_document(scan, graph_of(scan), installed_version()))


def _warned(document: dict[str, Any]) -> dict[str, Any]:
    if document["problems"]:
        errors.print(plain(f"warning: {len(document['problems'])} place(s) or step(s) could not be judged and are "
                           "shown as unknown: " + "; ".join(f"{p['operation']} {p['resource']}: {p['error']}"
                                                            for p in document["problems"][:3])), soft_wrap=True)
    return document


def _place(place: dict[str, Any]) -> dict[str, Any]:
    return {"node": place["node"], "name": place["name"], "kind": place["kind"], "distance": place.get("distance", 0),
            "verdict": place["verdict"], "failed": place["failed"], "failing_findings": place["failing_findings"],
            "unknown": place["unknown"], "reasons": place["reasons"]}


def pii_summary(document: dict[str, Any]) -> dict[str, Any]:
    """What `lineage pii --json` prints: per source, its evidence, how many places it reaches, each place
    where it rests with its verdict, and the processing that masks or drops it."""
    return {
        "format": "lineage-pii/1",
        "scan": {key: document["scan"][key] for key in ("id", "status", "started_at", "finished_at")},
        "summary": document["summary"],
        "sources": [{
            "node": source["node"], "name": source["name"], "kind": source["kind"],
            "categories": source["categories"], "labels": source["labels"],
            "held": _place(source["held"]),
            "reaches": len(source["reaches"]),
            "rests": [_place(place) for place in source["reaches"] if place["rests_here"]],
            "handled_by": [{"node": place["node"], "name": place["name"], "kind": place["kind"],
                            "action": place["handling"]["action"], "why": place["handling"]["why"]}
                           for place in source["reaches"] if place["handling"]],
        } for source in document["sources"]],
        "ruled_out": document["ruled_out"],
        "problems": document["problems"],
    }


def _label_text(label: dict[str, str]) -> str:
    where = f" in column {label['column']}" if label["column"] else ""
    rules = f", {label['rules']}" if label["rules"] else ""
    return f"{label['category']}: {label['source']} {label['match']!r}{where} ({label['operation']}{rules})"


def _why(place: dict[str, Any]) -> str:
    """Why a place has its verdict, in a few words (the bundle has the whole of it)."""
    parts = []
    if place["failed"]:
        parts.append("no: " + ", ".join(place["failed"]))
    if place["failing_findings"]:
        parts.append("findings: " + ", ".join(place["failing_findings"]))
    if place["unknown"]:
        parts.append("unknown: " + ", ".join(place["unknown"]))
    return "; ".join(parts)


@cli.command()
@db_option
@scan_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def pii(db: str, scan_id: str | None, as_json: bool) -> None:
    """Personal data in a scan: each source and why, how far it goes, each place where it rests and how
    that place is judged, and the processing that masks or drops it."""
    summary = pii_summary(_document(db, scan_id))
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True, indent=2, ensure_ascii=False))
        return
    scan, counts = summary["scan"], summary["summary"]
    console.print(plain(f"Personal data in scan {scan['id']} ({scan['status']}): {counts['sources']} source(s), "
                        f"{counts['places_reached']} place(s) reached ({counts['places_where_it_rests']} where it "
                        f"rests), {counts['failing_places']} failing", style="bold"))
    if counts["coverage_gaps"]:
        console.print(plain(f"the scan could not read everything ({counts['coverage_gaps']} coverage gap(s)): "
                            f"lineage gaps --scan {scan['id']}"))
    for item in summary["ruled_out"]:
        console.print(plain(f"ruled out: {item['name']}" + (f" column {item['column']}" if item["column"] else "")
                            + f" ({item['category']}) by {item['ruled_out_by']}"))
    if not summary["sources"]:
        console.print(plain("no personal data found"))
        return
    for number, source in enumerate(summary["sources"], start=1):
        console.print()
        console.print(plain(f"{number}. {source['name']}  {source['kind']}  {_MARKS.get(source['held']['verdict'])}",
                            style="bold"))
        console.print(plain(f"   {source['node']}"))
        console.print(plain(f"   categories: {', '.join(source['categories'])}"))
        for label in source["labels"]:
            console.print(plain(f"   evidence: {_label_text(label)}"))
        if source["held"]["verdict"] != "ok":
            console.print(plain(f"   where it is held: {_why(source['held'])}"))
        console.print(plain(f"   reaches {source['reaches']} place(s); rests in {len(source['rests'])}"))
        if source["rests"]:
            listing = text_table(None, ("verdict", "flows", "place", "kind", "why"))
            for place in source["rests"]:
                add_row(listing, _MARKS.get(place["verdict"], place["verdict"]), place["distance"], place["node"],
                        place["kind"], _why(place))
            console.print(listing)
        for handler in source["handled_by"]:
            console.print(plain(f"   {handler['action']} by {handler['name']} ({handler['kind']}): {handler['why']}"))
    console.print()
    console.print(plain("the evidence for each answer, hop by hop: lineage evidence -o DIR"))


# --- the bundle -------------------------------------------------------------------------------------------


def _entries(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError as error:
        fail(f"cannot read the folder {folder}: {error.strerror or error}")


def _check_output_folder(folder: Path) -> bool:
    """Whether `folder` holds a previous bundle (to be replaced); refuses anything else that is not empty.
    Nothing but the bundle's own files is ever overwritten, and nothing is deleted."""
    from viz.evidence import LISTED, MANIFEST

    if folder.is_symlink():
        fail(f"{folder} is a symbolic link; not writing through it (name the folder itself)")
    if not folder.exists():
        return False
    if not folder.is_dir():
        fail(f"{folder} exists and is not a folder")
    entries = _entries(folder)
    if not entries:
        return False
    if MANIFEST not in entries:
        fail(f"{folder} is not empty and holds no evidence bundle (no {MANIFEST}): name a new or empty folder")
    foreign = [name for name in entries if name not in (*LISTED, MANIFEST)]
    if foreign:
        fail(f"{folder} holds files that are not part of an evidence bundle ({', '.join(foreign[:5])}): "
             "move them or name another folder")
    return True


def _write_bundle(db: str, scan_id: str | None, folder: Path) -> None:
    from lineage.files import PRIVATE, OutputError, write_output
    from viz.evidence import MANIFEST, render_bundle

    replacing = _check_output_folder(folder)
    document = _document(db, scan_id)
    files = render_bundle(document)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Every file is private, the page too: the bundle maps where personal data lies, what protects it and
        # where that protection is missing, which is for the auditor it is handed to, not for all to read.
        for name, data in files.items():  # the manifest last: an interrupted write never verifies
            write_output(folder / name, data, PRIVATE)
    except OSError as error:
        fail(f"cannot create {folder}: {error.strerror or error}")
    except OutputError as error:
        fail(str(error))
    summary = document["summary"]
    errors.print(plain(f"{'replaced the' if replacing else 'wrote an'} evidence bundle in {folder}: "
                       + ", ".join(name for name in files if name != MANIFEST) + f" and {MANIFEST}"), soft_wrap=True)
    click.echo(printable(f"scan {document['scan']['id']}: {summary['sources']} source(s) of personal data, "
                         f"{summary['places_reached']} place(s) reached, {summary['failing_places']} failing; "
                         f"open {folder / 'index.html'}"))


def _verify_bundle(folder: Path) -> None:
    from viz.evidence import MANIFEST, BundleError, listed_files, verify_bundle

    if not folder.is_dir():
        fail(f"{folder} is not a folder holding an evidence bundle")
    manifest_path = folder / MANIFEST
    if manifest_path.is_symlink() or not manifest_path.is_file():
        fail(f"{folder} holds no {MANIFEST}: not an evidence bundle")
    try:
        manifest = manifest_path.read_bytes()
    except OSError as error:
        fail(f"cannot read {manifest_path}: {error.strerror or error}")
    try:
        listed = listed_files(manifest)
    except BundleError as error:
        fail(f"{manifest_path} is not a usable manifest: {error}")
    found: dict[str, bytes | None] = {}
    for name in listed:
        path = folder / name
        try:
            found[name] = None if path.is_symlink() or not path.is_file() else path.read_bytes()
        except OSError:
            found[name] = None
    others = [name for name in _entries(folder) if name not in listed and name != MANIFEST]
    result = verify_bundle(manifest, found, others)
    for problem in result.problems:
        click.echo(printable(problem))
    if not result.ok:
        stop(f"{folder} does not verify: {len(result.problems)} problem(s)")
    click.echo(f"{result.verified} files verified")


@cli.command()
@db_option
@scan_option
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar="DIR",
              help="Folder to write the bundle to (created if absent; a previous bundle in it is replaced).")
@click.option("--verify", "verify", type=click.Path(path_type=Path), metavar="DIR",
              help="Check a bundle: every file as its manifest says, none missing, none added.")
def evidence(db: str, scan_id: str | None, output: Path | None, verify: Path | None) -> None:
    """An evidence bundle for auditors: each source of personal data, every place it reaches hop by hop, how
    each place where it rests is protected and the configuration that proves it (index.html, evidence.json,
    flows.csv, and manifest.json with the hash of each)."""
    if output is not None and verify is not None:
        fail("-o and --verify do not go together: write a bundle with -o DIR, or check one with --verify DIR")
    if verify is not None:
        if scan_id is not None:
            fail("--scan is for writing a bundle; --verify checks the bundle as it is")
        _verify_bundle(verify)
    elif output is not None:
        _write_bundle(db, scan_id, output)
    else:
        fail("give -o DIR to write an evidence bundle, or --verify DIR to check one")
