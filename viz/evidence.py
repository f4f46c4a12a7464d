"""The evidence bundle for auditors, as files: the document `lineage.evidence` makes of a scan (every source
of personal data, every place it reaches hop by hop, how each place is protected and judged) rendered four
ways, so the files never disagree:

- `index.html`: the page a person reads and prints; static, no script, nothing from the network, every
  string escaped (and each control character shown as `\\xNN`);
- `evidence.json` (`lineage-evidence/1`): the same content as data;
- `flows.csv`: one row per hop, for a spreadsheet (a cell that would start a formula is quoted);
- `manifest.json`: the scan, the tool, and the sha256 and size of the three files above.

The same scan gives the same bytes every time: nothing says when the bundle was made or where, and every
list is in a stated order. This module only renders and checks bytes; the wiring writes and reads them.

How verification protects the manifest itself. A file cannot hold its own hash, so the manifest holds
nothing that cannot be derived again: each of its fields comes from `evidence.json` (scan header, tool,
caller identity, rules files) or from the bytes of the files it lists, and its bytes are the one
canonical rendering of those (`render_manifest`). `verify_bundle` renders the manifest again from the
files as found and requires the manifest on disk to be that rendering, byte for byte; and the page and the
CSV, when this version made them, must be what `evidence.json` renders. So a change to any
byte of the manifest shows: it no longer parses (an invalid manifest), or a hash or size in it no longer
matches its file, or a field, its spacing or its order is no longer what the files give. This detects
any change to the bundle after it was made; it does not prove who made it, since whoever rewrites
`evidence.json` can render a matching manifest too. Keep the manifest's sha256 outside the bundle (in
the audit record) or sign it: it pins every byte of the other files.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from lineage import protection
from lineage.evidence import installed_version
from lineage.shown import printable

MANIFEST_FORMAT = "lineage-evidence-manifest/1"
INDEX, EVIDENCE, FLOWS, MANIFEST = "index.html", "evidence.json", "flows.csv", "manifest.json"
LISTED = (EVIDENCE, FLOWS, INDEX)  # the files the manifest lists, in its order

FLOW_COLUMNS = ("source", "categories", "reach", "hop_index", "from", "relation", "to", "to_kind", "to_account",
                "to_region", "rests_here", "encryption", "customer_key", "tls_only", "retention", "public_access",
                "findings", "evidence", "verdict", "handling")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- the four renderings ------------------------------------------------------------------------------


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _cell(value: Any) -> str:
    """A cell as text a spreadsheet shows and never computes: one that would begin a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = printable(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _answer_value(place: Mapping[str, Any], question: str) -> str:
    return next((a["value"] for a in place["protection"] if a["question"] == question), "")


def _customer_key(place: Mapping[str, Any]) -> str:
    answer = next((a for a in place["protection"] if a["question"] == protection.ENCRYPTION), None)
    if answer is None:
        return ""
    return "unknown" if answer["customer_key"] is None else ("yes" if answer["customer_key"] else "no")


def render_csv(document: Mapping[str, Any]) -> str:
    places = {place["node"]: place for source in document["sources"]
              for place in (source["held"], *source["reaches"])}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FLOW_COLUMNS)
    for source in document["sources"]:
        for reach in source["reaches"]:
            for hop in reach["hops"]:
                to = places.get(hop["to"]) or {"protection": [], "findings": [], "rests_here": False,
                                               "account": "", "region": "", "verdict": "", "handling": None}
                first = hop["evidence"][0] if hop["evidence"] else None
                writer.writerow([_cell(value) for value in (
                    source["node"], ";".join(source["categories"]), reach["node"], hop["index"], hop["from"],
                    hop["relation"], hop["to"], hop["to_kind"], to["account"], to["region"], to["rests_here"],
                    _answer_value(to, protection.ENCRYPTION), _customer_key(to),
                    _answer_value(to, protection.TLS_ONLY), _answer_value(to, protection.RETENTION),
                    _answer_value(to, protection.PUBLIC_ACCESS),
                    ";".join(sorted({f["rule"] for f in to["findings"]})),
                    f"{first['operation']} {first['resource']} {first['path']}".strip() if first else "",
                    to["verdict"],
                    # Processing that masks or drops the data says so whatever else its verdict says.
                    f"{to['handling']['action']}: {to['handling']['why']}" if to.get("handling") else "",
                )])
    return buffer.getvalue()


def _shown(value: Any) -> Any:
    """Every string of the document as text a page shows and never obeys (the template escapes it too)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Mapping):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(item) for item in value]
    return value


def style_source(style: str) -> str:
    """The page's Content-Security-Policy `style-src`: the hash of its one style element, nothing else."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"


STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #212529; margin: 24px auto;
  max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 6px; }
h3 { font-size: 15px; margin: 18px 0 6px; } h4 { font-size: 14px; margin: 12px 0 4px; }
.muted, .id { color: #495057; } .id { font-family: ui-monospace, monospace; font-size: 12px; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin: 6px 0 10px; }
th, td { border: 1px solid #ced4da; padding: 4px 6px; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; word-break: break-word; }
th { background: #f1f3f5; }
table.answers th:nth-child(1) { width: 14%; } table.answers th:nth-child(2) { width: 28%; }
table.answers th:nth-child(3) { width: 10%; }
table.findings th:nth-child(1) { width: 10%; } table.findings th:nth-child(2) { width: 24%; }
table.toc th:nth-child(1) { width: 4%; } table.toc th:nth-child(2) { width: 52%; }
table.toc th:nth-child(4), table.toc th:nth-child(5) { width: 12%; }
table.reached th:nth-child(1) { width: 10%; }
table.reached th:nth-child(3), table.reached th:nth-child(4) { width: 18%; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 10px 0; }
dl.summary dt { font-weight: 600; } dl.summary dd { margin: 0; overflow-wrap: anywhere; }
.verdict { font-weight: 700; white-space: nowrap; }
.verdict-failing { color: #c92a2a; } .verdict-unknown { color: #8f6900; } .verdict-ok { color: #2b8a3e; }
.verdict-masked, .verdict-dropped { color: #1864ab; } .verdict-processed { color: #495057; }
.place { border: 1px solid #ced4da; border-left: 6px solid #adb5bd; padding: 6px 10px; margin: 10px 0; }
.place.failing { border-left-color: #c92a2a; background: #fff5f5; }
.place.unknown { border-left-color: #f08c00; } .place.ok { border-left-color: #2b8a3e; }
.place.masked, .place.dropped { border-left-color: #1864ab; }
ol.hops { margin: 4px 0; padding-left: 22px; } ol.hops li { margin: 2px 0; }
.relation { font-style: italic; } .handling { color: #1864ab; font-weight: 600; }
.excerpt { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
ul.reasons { margin: 2px 0 6px; color: #c92a2a; }
a { color: #1864ab; }
@page { size: A4; margin: 14mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10.5pt; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
  section.source { break-before: page; }
  tr, ol.hops li, dl.summary, ul.reasons { break-inside: avoid; }
  thead { display: table-header-group; }
  h2, h3, h4 { break-after: avoid; }
}
"""


def render_html(document: Mapping[str, Any]) -> str:
    environment = Environment(loader=PackageLoader("viz", "templates"), autoescape=select_autoescape(["html"]),
                              keep_trailing_newline=True)
    style = STYLE.strip()
    return environment.get_template("evidence.html").render(
        doc=_shown(document), style=style, style_source=style_source(style),
        questions=protection.QUESTIONS, verify_hint="lineage evidence --verify DIR")


def file_entry(data: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def render_manifest(document: Mapping[str, Any], files: Mapping[str, bytes]) -> str:
    """The manifest: a function of `evidence.json` and the bytes of the files it lists, nothing else."""
    scan = document["scan"]
    manifest = {
        "format": MANIFEST_FORMAT,
        "evidence_format": document["format"],
        "scan": {key: scan[key] for key in ("id", "started_at", "finished_at", "status", "accounts", "regions")},
        "caller_identity": document["caller_identity"],
        "tool": document["tool"],
        "rules_files": document["rules_files"],
        "files": {name: file_entry(files[name]) for name in sorted(files)},
    }
    return json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def render_bundle(document: Mapping[str, Any]) -> dict[str, bytes]:
    """The four files of the bundle (of `evidence_document`) by name, manifest last (write it last: an
    interrupted write then leaves a bundle that fails verification, never one that passes)."""
    files = {EVIDENCE: render_json(document).encode(), FLOWS: render_csv(document).encode(),
             INDEX: render_html(document).encode()}
    return {**files, MANIFEST: render_manifest(document, files).encode()}


# --- verification ---------------------------------------------------------------------------------------


class BundleError(ValueError):
    """A manifest that cannot be read as one: the message is one line for the user."""


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def listed_files(manifest: bytes) -> dict[str, dict[str, Any]]:
    """The files a manifest lists, each a plain name in the bundle's folder (never a path out of it)."""
    try:
        data = json.loads(manifest.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(f"not JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise BundleError(f"not a {MANIFEST_FORMAT} manifest")
    files = data.get("files")
    if not isinstance(files, dict) or not files:
        raise BundleError("it lists no files")
    for name, entry in files.items():
        if not _PLAIN_NAME.fullmatch(name) or name == MANIFEST:
            raise BundleError(f"it lists {printable(name)!r}, which is not a file of the bundle")
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and _SHA256.fullmatch(entry["sha256"])
                and type(entry.get("bytes")) is int):
            raise BundleError(f"it gives no sha256 and size for {printable(name)}")
    return files


@dataclass(frozen=True, slots=True)
class Verification:
    verified: int  # files that are as the manifest says, the manifest included
    problems: tuple[str, ...]  # one line each: "changed: x", "missing: x", "extra: x"

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(manifest: bytes, found: Mapping[str, bytes | None], others: list[str]) -> Verification:
    """Check a bundle as found: `found` maps each name the manifest lists to its bytes (None: missing, or
    not a regular file), `others` names every other entry of the folder but the manifest.

    Raises `BundleError` for a manifest that is not one."""
    listed = listed_files(manifest)
    problems: list[str] = []
    verified = 0
    for name in sorted(listed):
        data = found.get(name)
        if data is None:
            problems.append(f"missing: {name} (absent, or not a regular file)")
        elif file_entry(data) != {"sha256": listed[name]["sha256"], "bytes": listed[name]["bytes"]}:
            problems.append(f"changed: {name} (its sha256 or size is not the one in {MANIFEST})")
        else:
            verified += 1
    problems += [f"extra: {name} (not listed in {MANIFEST})" for name in sorted(others)]
    # Every listed file is as listed: the manifest must be the one those files give, byte for byte.
    if verified == len(listed):
        if _manifest_of(found, listed) == manifest:
            verified += 1
            problems += _not_rendered_from_evidence(found)
        else:
            problems.append(f"changed: {MANIFEST} (it is not the manifest that {EVIDENCE} and the files give)")
    return Verification(verified, tuple(problems))


def _not_rendered_from_evidence(found: Mapping[str, bytes | None]) -> list[str]:
    """The page and the CSV are renderings of `evidence.json`: made by this version of the tool, each must
    be the rendering of it, byte for byte — so a page edited to read OK, with the manifest's hash of it
    updated to match, is still caught. A bundle another version made is checked by its hashes alone."""
    try:
        document = json.loads((found.get(EVIDENCE) or b"").decode("utf-8"))
        if document.get("tool", {}).get("version") != installed_version():
            return []
        rendered = {FLOWS: render_csv(document).encode(), INDEX: render_html(document).encode()}
    except Exception:  # noqa: BLE001 - an evidence.json this version cannot render: its hashes stand alone
        return []
    return [f"changed: {name} (it is not what {EVIDENCE} renders)" for name, data in sorted(rendered.items())
            if found.get(name) != data]


def _manifest_of(found: Mapping[str, bytes | None], listed: Mapping[str, Any]) -> bytes | None:
    evidence = found.get(EVIDENCE)
    if evidence is None or set(listed) != set(LISTED):
        return None
    try:
        document = json.loads(evidence.decode("utf-8"))
        return render_manifest(document, {name: found[name] for name in LISTED}).encode()  # type: ignore[misc]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None
