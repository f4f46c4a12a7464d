"""A `lineage-graph/1` document, as `lineage export` writes it, back into a scan the store can keep.

The document's shape is the JSON Schema's to check (`viz/lineage-graph-1.schema.json`), by the caller:
the store may not import `viz`. What a schema cannot say is checked here: that the document is a scan
and not the facts of one definition file, that every edge and finding stands on a node of the document,
that ids are unique, and that every value is one SQLite and PostgreSQL both keep exactly as written, so
that the export of the imported scan is the document again. Each refusal is one line that says where
in the document (as a JSON path, as the schema's errors say it) and what is wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from lineage.model import CoverageGap, Edge, EdgeKind, Finding, Node, Scan, ScanStatus
from store import schema
from store.repository import StoreError

# viz.export.FORMAT, which the store may not import: the name of the contract, not a setting.
FORMAT = "lineage-graph/1"
# An export's attributes are at most 64 levels deep (lineage.intake keeps anything deeper as text); the
# bound keeps a hostile document from exhausting the stack of the JSON encoder on the way into the store.
MAX_DEPTH = 100
SCAN_ID_LENGTH: int = schema.scans.c.id.type.length  # type: ignore[attr-defined]
FINDING_ID_LENGTH: int = schema.findings.c.id.type.length  # type: ignore[attr-defined]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
               float: "a number", type(None): "null"}
_SHOWN_LENGTH = 120

Made = TypeVar("Made")


class DocumentError(StoreError):
    """A document that is not a scan the store can keep, said in one line: where in it, and what."""


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), f"a {type(value).__name__}")


def _shown(value: object) -> str:
    text = repr(value[:_SHOWN_LENGTH + 1] if isinstance(value, str) else value)
    return text if len(text) <= _SHOWN_LENGTH else text[:_SHOWN_LENGTH - 1] + "…"


def require_scan_document(document: object) -> Mapping[str, Any]:
    """The scan header of a `lineage-graph/1` document that holds a scan; `DocumentError` for anything else.

    Worth asking before the schema is: a document of another kind, or the facts of one file, is better
    named as such than by the first property the schema finds out of place.
    """
    if not isinstance(document, Mapping):
        raise DocumentError(f"not a {FORMAT} document: the JSON is {_json_type(document)}, not an object")
    if document.get("format") != FORMAT:
        found = f"format {_shown(document['format'])}" if "format" in document else "no format"
        raise DocumentError(f"not a {FORMAT} document ({found})")
    if "scan" not in document:
        raise DocumentError("$.scan: missing; a scan's export has its header there")
    header = document["scan"]
    if header is None:
        raise DocumentError("$.scan: null: these are the facts of one definition file (`lineage asl --json`), "
                            "not a scan; import the export of a stored scan (`lineage export`)")
    if not isinstance(header, Mapping):
        raise DocumentError(f"$.scan: {_json_type(header)}, not the scan's header object")
    return header


def scan_id_problem(scan_id: str) -> str | None:
    """Why the store cannot keep a scan under `scan_id` and have users name it on a command line; None
    when it can."""
    if not scan_id.strip():
        return "a scan id cannot be empty"
    if len(scan_id) > SCAN_ID_LENGTH:
        return f"a scan id has at most {SCAN_ID_LENGTH} characters, this one {len(scan_id)}"
    if _CONTROL.search(scan_id) or _text_problem(scan_id):
        return f"{_shown(scan_id)} holds a character no scan id may hold"
    return None


def scan_from_document(document: Mapping[str, Any], scan_id: str | None = None) -> Scan:
    """The scan a `lineage-graph/1` document holds, under `scan_id` when given; `DocumentError` when the
    document is not one the store can keep. Pure: nothing is read or written."""
    header = require_scan_document(document)
    _require_plain_json(document)
    if scan_id is None:
        where_id, scan_id = "$.scan.id", _field(header, "id", "$.scan")
    else:
        where_id = "the new scan id"
    if not isinstance(scan_id, str):
        raise DocumentError(f"{where_id}: {_json_type(scan_id)}, not a string")
    if problem := scan_id_problem(scan_id):
        raise DocumentError(f"{where_id}: {problem}")
    status = _made(ScanStatus, _field(header, "status", "$.scan"), "$.scan.status")
    if status is ScanStatus.RUNNING:
        # Stored as running, it would be taken for a scan whose process died, and failed, its graph deleted.
        raise DocumentError("$.scan.status: 'running': a scan still under way cannot be imported; export it "
                            "once it has finished")

    nodes = _each(document, "nodes", Node.from_dict)
    node_at: dict[str, int] = {}
    for index, node in enumerate(nodes):
        if node.id in node_at:
            raise DocumentError(f"$.nodes[{index}].id: {_shown(node.id)} is already the id of "
                                f"$.nodes[{node_at[node.id]}]")
        node_at[node.id] = index

    edges = _each(document, "edges", Edge.from_dict)
    edge_at: dict[tuple[str, str, EdgeKind], int] = {}
    for index, edge in enumerate(edges):
        for end in ("source", "target"):
            if getattr(edge, end) not in node_at:
                raise DocumentError(f"$.edges[{index}].{end}: {_shown(getattr(edge, end))} is not a node of "
                                    "the document")
        # The graph merges edges of one key into one: two in a document would not come back as two.
        if edge.key in edge_at:
            raise DocumentError(f"$.edges[{index}]: the same {edge.kind.value} edge from {_shown(edge.source)} "
                                f"to {_shown(edge.target)} as $.edges[{edge_at[edge.key]}]")
        edge_at[edge.key] = index

    findings = _each(document, "findings", Finding.from_dict)
    finding_at: dict[str, int] = {}
    for index, finding in enumerate(findings):
        if finding.node not in node_at:
            raise DocumentError(f"$.findings[{index}].node: {_shown(finding.node)} is not a node of the document")
        if len(finding.id) > FINDING_ID_LENGTH:
            raise DocumentError(f"$.findings[{index}].id: a finding id has at most {FINDING_ID_LENGTH} "
                                f"characters, this one {len(finding.id)}")
        if finding.id in finding_at:
            raise DocumentError(f"$.findings[{index}].id: {_shown(finding.id)} is already the id of "
                                f"$.findings[{finding_at[finding.id]}]")
        finding_at[finding.id] = index

    return Scan(
        id=scan_id,
        started_at=_field(header, "started_at", "$.scan"),
        finished_at=_field(header, "finished_at", "$.scan"),
        status=status,
        accounts=_made(tuple, _field(header, "accounts", "$.scan"), "$.scan.accounts"),
        regions=_made(tuple, _field(header, "regions", "$.scan"), "$.scan.regions"),
        nodes=nodes,
        edges=edges,
        findings=findings,
        coverage_gaps=_each(header, "coverage_gaps", CoverageGap.from_dict, "$.scan"),
        api_calls=_made(dict, _field(header, "api_calls", "$.scan"), "$.scan.api_calls"),
        caller="",  # not part of the export, by design: who ran a scan stays in the store it ran into
    )


# The schema has checked each part's shape before a caller gets here; should one call without it, a part
# the model cannot read is still one line that says where, not a KeyError from deep inside.


def _field(part: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in part:
        raise DocumentError(f"{where}: {name!r} is missing")
    return part[name]


def _made(make: Callable[[Any], Made], value: Any, where: str) -> Made:
    try:
        return make(value)
    except (TypeError, ValueError) as error:
        raise DocumentError(f"{where}: {_shown(value)} cannot be read ({error})") from None


def _each(part: Mapping[str, Any], name: str, read: Callable[[Mapping[str, Any]], Made],
          where: str = "$") -> tuple[Made, ...]:
    items = _field(part, name, where)
    if not isinstance(items, list):
        raise DocumentError(f"{where}.{name}: {_json_type(items)}, not an array")
    made: list[Made] = []
    for index, item in enumerate(items):
        try:
            made.append(read(item))
        except KeyError as error:
            raise DocumentError(f"{where}.{name}[{index}]: {error.args[0]!r} is missing") from None
        except (TypeError, ValueError, AttributeError) as error:
            raise DocumentError(f"{where}.{name}[{index}]: cannot be read ({error})") from None
    return tuple(made)


# --- values both stores keep as written ------------------------------------------------------------


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character, which PostgreSQL cannot store"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"holds a lone surrogate (U+{ord(text[error.start]):04X}), which no store can encode"
    return None


# A place in the document as a chain (parent, key): built for every value, spelled out for one only.
_Place = tuple["_Place", str | int] | None


def _path(place: _Place) -> str:
    keys: list[str | int] = []
    while place is not None:
        place, key = place
        keys.append(key)
    spelled = ["$"]
    for key in reversed(keys):
        if isinstance(key, int):
            spelled.append(f"[{key}]")
        elif _IDENTIFIER.fullmatch(key):
            spelled.append(f".{key}")
        else:
            spelled.append(f"[{key!r}]")
    return "".join(spelled)


def _require_plain_json(document: object) -> None:
    """Every value plain JSON that both stores keep and give back unchanged: text that PostgreSQL accepts
    and UTF-8 can encode, finite numbers (Python's parser reads `NaN` and `1e999`; neither store keeps
    them), text keys, and no deeper nesting than an export has. Walked with a stack of its own, so that
    no document is too deep to be refused."""
    pending: list[tuple[object, _Place, int]] = [(document, None, 0)]
    while pending:
        value, place, depth = pending.pop()
        if isinstance(value, str):
            if problem := _text_problem(value):
                raise DocumentError(f"{_path(place)}: {problem}")
        elif isinstance(value, bool | int | None):
            continue
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise DocumentError(f"{_path(place)}: {value} is not a number JSON or a store can hold")
        elif isinstance(value, Mapping | list):
            if depth >= MAX_DEPTH:
                raise DocumentError(f"{_path(place)}: nested deeper than {MAX_DEPTH} levels")
            # Pushed last first, so that the first bad value in the document is the one named.
            if isinstance(value, list):
                pending.extend((item, (place, index), depth + 1) for index, item in reversed(list(enumerate(value))))
                continue
            for key in value:
                if not isinstance(key, str):
                    raise DocumentError(f"{_path(place)}: the key {_shown(key)} is not a string")
                if problem := _text_problem(key):
                    raise DocumentError(f"{_path(place)}: the key {_shown(key)} {problem}")
            pending.extend((item, (place, key), depth + 1) for key, item in reversed(list(value.items())))
        else:
            raise DocumentError(f"{_path(place)}: a {type(value).__name__} is not JSON data")
