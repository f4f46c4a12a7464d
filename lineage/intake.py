"""Facts as they may arrive → facts every later stage can hold, store and show.

A collector, a parsed document or an imported export can hand the graph a value no stage expects: a
datetime among attributes, a NUL character PostgreSQL refuses, a lone surrogate no encoder writes, an
id that is not a string, a structure nested deeper than a JSON encoder will go. Each is made plain
here, once, and said in a gap; a fact that cannot be placed at all (no id) is dropped with a gap.
Every text passes the redactor here too (`lineage.redact`), so no credential read from AWS reaches
the graph, the store, an export or a view. Everything after this point may rely on plain,
JSON-serialisable data with its secrets marked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from lineage import arn as arns
from lineage import redact
from lineage.isolation import SERVICE, Problems
from lineage.model import CoverageGap, Edge, EdgeKind, Evidence, Facts, Node, Stage, stage_for

STEP = "intake"
MAX_DEPTH = 64  # deeper than any configuration AWS returns; beyond it a value is kept as text
_REPLACEMENT = "\ufffd"


def clean_text(value: str) -> str:
    """The text without NUL characters and lone surrogates (each becomes U+FFFD)."""
    if "\x00" in value:
        value = value.replace("\x00", _REPLACEMENT)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = "".join(_REPLACEMENT if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    return value


def shown(value: str) -> str:
    """Text as every later stage may hold and show it: plain characters, secrets marked."""
    return redact.text(clean_text(value))


_HASH_STAND_IN = "\ue000"  # a private-use character: stands for `#` while a place's id is redacted


def shown_id(value: str) -> str:
    """A node id as `shown` makes text; but in a place known only at run time, `#` joins its owner to its
    path (and may stand in a state's name), so it is never read as the start of a URL's fragment, even
    where the owner is, or looks like, a URL."""
    cleaned = clean_text(value)
    if not arns.is_dynamic(cleaned) or "#" not in cleaned or _HASH_STAND_IN in cleaned:
        return redact.text(cleaned)
    return redact.text(cleaned.replace("#", _HASH_STAND_IN)).replace(_HASH_STAND_IN, "#")


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr fails is still described
        text = f"<{type(value).__name__}>"
    return redact.short(clean_text(text), 200)


def plain(value: Any, notes: list[str], path: str = "", depth: int = 0) -> Any:
    """`value` as plain JSON data (str, int, finite float, bool, None, list, dict with str keys).

    What had to change is said in `notes`; tuples becoming lists is not a change worth saying.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        cleaned = clean_text(value)
        if cleaned is not value:
            notes.append(f"{path or 'value'}: characters no store keeps were replaced")
        return cleaned
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        notes.append(f"{path or 'value'}: {value!r} is not a JSON number; kept as text")
        return str(value)
    if depth >= MAX_DEPTH:
        notes.append(f"{path or 'value'}: nested deeper than {MAX_DEPTH} levels; kept as text")
        return _short(value)
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = clean_text(key if isinstance(key, str) else str(key))
            if name in result:
                notes.append(f"{path or 'value'}: two keys read as {name!r}; the last one is kept")
            result[name] = plain(item, notes, f"{path}.{name}" if path else name, depth + 1)
        return result
    if isinstance(value, list | tuple):
        return [plain(item, notes, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)]
    notes.append(f"{path or 'value'}: a {type(value).__name__} is not plain data; kept as text")
    return _short(value)


def _text_field(value: Any, name: str, notes: list[str]) -> str:
    if isinstance(value, str):
        cleaned = clean_text(value)
        if cleaned is not value:
            notes.append(f"{name}: characters no store keeps were replaced")
        return redact.text(cleaned)
    notes.append(f"{name}: a {type(value).__name__}, not text")
    return "" if value is None else _short(value)


def admit_node(node: Any, problems: Problems) -> Node | None:
    if not isinstance(node, Node) or not isinstance(node.id, str) or not node.id.strip():
        problems.add(STEP, _short(getattr(node, "id", node)), "a node without an id cannot be placed; dropped")
        return None
    notes: list[str] = []
    node_id = shown_id(node.id)
    kind = _text_field(node.kind, "kind", notes) or "external"
    stage = node.stage if isinstance(node.stage, Stage) else stage_for(kind)
    if not isinstance(node.stage, Stage):
        notes.append(f"stage: {_short(node.stage)} is not a stage; the kind's own is used")
    attributes = node.attributes if isinstance(node.attributes, Mapping) else {}
    if not isinstance(node.attributes, Mapping):
        notes.append(f"attributes: a {type(node.attributes).__name__}, not a mapping; dropped")
    admitted = replace(
        node, id=node_id, kind=kind, stage=stage, name=_text_field(node.name, "name", notes),
        account=_text_field(node.account, "account", notes), region=_text_field(node.region, "region", notes),
        observed=bool(node.observed), attributes=redact.data(plain(attributes, notes, "attributes")),
    )
    for note in notes:
        problems.add(STEP, node_id, note, admitted.region)
    return admitted


def _admit_evidence(evidence: Any, notes: list[str]) -> Evidence | None:
    if not isinstance(evidence, Evidence):
        notes.append(f"evidence: a {type(evidence).__name__}, not evidence; dropped")
        return None
    return Evidence(*(_text_field(getattr(evidence, name), f"evidence.{name}", notes)
                      for name in ("operation", "resource", "path", "excerpt")), bool(evidence.dynamic))


def admit_edge(edge: Any, problems: Problems) -> Edge | None:
    endpoints = (getattr(edge, "source", None), getattr(edge, "target", None))
    if not isinstance(edge, Edge) or not all(isinstance(e, str) and e.strip() for e in endpoints):
        problems.add(STEP, _short(endpoints), "an edge without both ends cannot be placed; dropped")
        return None
    if not isinstance(edge.kind, EdgeKind):
        problems.add(STEP, f"{edge.source} → {edge.target}", f"{_short(edge.kind)} is not a kind of edge; dropped")
        return None
    notes: list[str] = []
    raw = edge.evidence if isinstance(edge.evidence, tuple | list) else ()
    if not isinstance(edge.evidence, tuple | list):
        notes.append(f"evidence: a {type(edge.evidence).__name__}, not a list; dropped")
    evidence = tuple(e for e in (_admit_evidence(item, notes) for item in raw) if e is not None)
    admitted = Edge(shown_id(edge.source), shown_id(edge.target), edge.kind, evidence)
    for note in notes:
        problems.add(STEP, f"{admitted.source} → {admitted.target}", note)
    return admitted


def admit_gap(gap: CoverageGap) -> CoverageGap:
    """A gap's text as every store keeps it (an AWS error message can hold any character); anything
    else handed over as a gap is kept as its text."""
    try:
        if not isinstance(gap, CoverageGap):
            return CoverageGap(SERVICE, STEP, "", shown(f"not a gap: {_short(gap)}"))
        return CoverageGap(*(shown(str(getattr(gap, name))) for name in ("service", "operation", "resource",
                                                                              "error", "region", "account")))
    except Exception as error:  # noqa: BLE001 - a gap is never the end of a scan, even one that cannot be read
        return CoverageGap(SERVICE, STEP, "", f"a gap whose text could not be read ({type(error).__name__})")


def _label(value: Any) -> str:
    """What a guard names, cheaply: it is shown only if something fails, and then as a gap, which the
    redactor reads before anything keeps it."""
    return value if isinstance(value, str) else _short(value)


def admit(facts: Iterable[Facts], problems: Problems) -> tuple[list[Node], list[Edge]]:
    """Every node and edge that can be placed, made plain; the rest said in `problems`."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    for batch in facts:
        batch_nodes: tuple[Any, ...] = ()
        batch_edges: tuple[Any, ...] = ()
        with problems.guard(STEP, "facts"):  # a batch whose nodes or edges are not a sequence
            batch_nodes, batch_edges = tuple(batch.nodes), tuple(batch.edges)
        for node in batch_nodes:
            with problems.guard(STEP, _label(getattr(node, "id", ""))):
                if (admitted := admit_node(node, problems)) is not None:
                    nodes.append(admitted)
        for edge in batch_edges:
            with problems.guard(STEP, _label(getattr(edge, "key", ""))):
                if (admitted_edge := admit_edge(edge, problems)) is not None:
                    edges.append(admitted_edge)
    return nodes, edges


def admit_one(facts: Facts) -> tuple[Facts, list[str]]:
    """One batch as a scan would admit it, for a command that shows facts without scanning
    (`lineage asl`): the facts, and what had to change, as lines."""
    problems = Problems()
    nodes, edges = admit([facts], problems)
    notes = [f"{gap.resource}: {gap.error}" for gap in map(admit_gap, problems.gaps)]
    return Facts(tuple(nodes), tuple(edges)), notes
