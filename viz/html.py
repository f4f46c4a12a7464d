"""The interactive view of a scan: one self-contained HTML file that works offline.

pyvis lays out the node and edge data; the page is the project's own template, which inlines the
vis-network script and style pyvis ships, so nothing is loaded from the network. Every string that
came from AWS reaches the page as JSON inside a script element, with `<`, `>` and `&` escaped (and
vis-network shows tooltips given as strings as text, not HTML), or — the scan's header, its coverage
gaps and what could not be shown — through the template, which escapes it. A control character
reaches the page as an escape, never raw. Writing the page is the wiring's: this module only renders.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyvis
from jinja2 import Environment, PackageLoader, select_autoescape
from pyvis.network import Network

from lineage.isolation import Problems
from lineage.model import CoverageGap, EdgeKind, Finding, Node, Scan, Severity, Stage
from lineage.shown import printable
from viz.layout import positions

STAGE_COLOURS = {
    Stage.GENERATION: "#2b8a3e",
    Stage.STORAGE: "#1864ab",
    Stage.PROCESSING: "#e67700",
    Stage.USAGE: "#862e9c",
}

# Shapes whose label sits outside them, so a long name does not inflate the node.
SHAPE_BY_SERVICE = {
    "s3": "square",
    "glue": "triangle",
    "states": "hexagon",
    "events": "diamond",
    "lambda": "triangleDown",
    "athena": "star",
    "dynamodb": "dot",
    "sqs": "triangleDown",
    "sns": "triangleDown",
}

_SEVERITY_BORDER = {
    Severity.CRITICAL: "#c92a2a",
    Severity.HIGH: "#e03131",
    Severity.MEDIUM: "#f08c00",
    Severity.LOW: "#fab005",
    Severity.INFO: "#868e96",
}


def vis_assets() -> tuple[str, str]:
    """The vis-network script and style that pyvis ships."""
    base = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    return (base / "vis-network.min.js").read_text(encoding="utf-8"), (base / "vis-network.css").read_text(
        encoding="utf-8"
    )


def _tooltip(node: Node, findings: list[Finding]) -> str:
    lines = [node.name, f"{node.kind} · {node.stage.value}" + ("" if node.observed else " · not scanned"), node.id]
    if node.account or node.region:
        lines.append(f"account {node.account or '?'} · region {node.region or '?'}")
    attributes = node.attributes
    if "encryption" in attributes:
        lines.append(f"encryption: {json.dumps(attributes['encryption'], sort_keys=True)}")
    if "lifecycle_rules" in attributes:
        lines.append(f"lifecycle rules: {len(attributes['lifecycle_rules'])}")
    labels = attributes.get("personal_labels") or []
    if labels:
        said = sorted({f"{label.get('column') or label.get('source', '')}: {label.get('category', '')}"
                       for label in labels if isinstance(label, dict)})
        lines.append("holds personal data: " + ", ".join(said[:8]) + (" …" if len(said) > 8 else ""))
    if attributes.get("personal_data"):
        origins = attributes["personal_data"].get("origins") or []
        lines.append("personal data: " + ", ".join(attributes["personal_data"]["categories"])
                     + (f" (from {len(origins)} source(s))" if origins and labels == [] else ""))
    handling = attributes.get("personal_data_handling")
    if isinstance(handling, dict):
        lines.append(f"personal data {handling.get('action', '')} here ({handling.get('why', '')})")
    if attributes.get("dynamic"):
        lines.append(f"dynamic: {attributes.get('expression', '')}")
    for finding in findings[:6]:
        lines.append(f"[{finding.severity.value}] {finding.message}")
    return "\n".join(lines)


def _node_options(node: Node, findings: list[Finding]) -> dict[str, Any]:
    worst = max((f.severity for f in findings), key=lambda s: s.rank, default=None)
    colour: dict[str, Any] = {"background": STAGE_COLOURS[node.stage], "border": STAGE_COLOURS[node.stage]}
    if worst is not None:
        colour["border"] = _SEVERITY_BORDER[worst]
    return {
        "label": node.name if len(node.name) <= 40 else node.name[:37] + "…",
        "title": _tooltip(node, findings),
        "shape": SHAPE_BY_SERVICE.get(node.kind.split(".")[0], "dot"),
        "size": 14,
        "color": colour,
        "borderWidth": 4 if worst is not None else 1,
        "opacity": 1.0 if node.observed else 0.55,
        "font": {"color": "#212529"},
    }


def _network(scan: Scan, problems: Problems) -> Network:
    """The nodes and edges as vis-network draws them; one that cannot be drawn in full is drawn plainly
    (its id, and a note of why) and said in `problems`, so one odd attribute never costs the page."""
    findings_by_node: dict[str, list[Finding]] = {}
    for finding in scan.findings:
        findings_by_node.setdefault(finding.node, []).append(finding)
    network = Network(directed=True, cdn_resources="remote")
    placed: dict[str, tuple[int, int]] = {}
    with problems.guard("view.layout"):  # without positions the page still draws, only less legibly
        placed = positions(scan.nodes, scan.edges)
    for node in scan.nodes:
        x, y = placed.get(node.id, (0, 0))
        with problems.guard("view.node", node.id, node.region) as drawn:
            network.add_node(node.id, x=x, y=y, **_node_options(node, findings_by_node.get(node.id, [])))
        if drawn.failed:
            network.add_node(node.id, x=x, y=y, label=node.id[:40], title=f"{node.id}\n(could not be shown in full: "
                             f"{problems.gaps[-1].error})", shape="dot", size=10)
    shown = set(network.get_nodes())
    for edge in scan.edges:
        with problems.guard("view.edge", f"{edge.source} → {edge.target}"):
            if edge.source not in shown or edge.target not in shown:
                raise ValueError("an end of this edge is not a node of the scan")
            structural = not edge.kind.is_flow
            network.add_edge(
                edge.source, edge.target, title=edge.kind.value + "".join(
                    f"\n{e.operation} {e.path}: {e.excerpt}" for e in edge.evidence[:3]),
                label=edge.kind.value, dashes=structural, arrows="to" if not structural else "",
                color="#adb5bd" if structural else "#495057",
                hidden=edge.kind == EdgeKind.PART_OF,  # structure, not a flow: it would hide the flows
            )
    return network


# JSON escapes C0 controls itself; DEL and C1 it leaves raw, and a page printed to a terminal
# (`lineage export --format html`) would have them obeyed there (U+009B is CSI).
_C1 = re.compile(r"[\x7f-\x9f]")


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element, whatever the strings hold."""
    text = json.dumps(value, ensure_ascii=False)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return _C1.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _gap_as_shown(gap: CoverageGap) -> CoverageGap:
    return CoverageGap(*(printable(getattr(gap, name)) for name in ("service", "operation", "resource", "error",
                                                                    "region")))


def _as_shown(scan: Scan) -> Scan:
    """The scan's strings that the template writes (its header and gaps), each control character an
    escape (`\\x1b`); everything else reaches the page as JSON."""
    return replace(scan, id=printable(scan.id), accounts=tuple(map(printable, scan.accounts)),
                   regions=tuple(map(printable, scan.regions)),
                   coverage_gaps=tuple(map(_gap_as_shown, scan.coverage_gaps)))


def script_sources(*scripts: str) -> str:
    """The page's Content-Security-Policy `script-src`: the hash of each of its own scripts, and
    nothing else, so that a script element that reached the page any other way never runs."""
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)


def render_html(scan: Scan, problems: Problems | None = None) -> str:
    """The page; what could not be shown in full is listed on it and, when given, in `problems`."""
    problems = problems if problems is not None else Problems()
    network = _network(scan, problems)
    script, style = vis_assets()
    environment = Environment(loader=PackageLoader("viz", "templates"), autoescape=select_autoescape(["html"]))
    app_script = environment.get_template("graph.js").render(
        nodes_json=_script_json(network.nodes),
        edges_json=_script_json(network.edges),
        findings_json=_script_json([f.to_dict() for f in scan.findings]),
    )
    vis_script = script.replace("</script", "<\\/script")
    counts = Counter(n.stage.value for n in scan.nodes)
    severities = Counter(f.severity.value for f in scan.findings)
    return environment.get_template("graph.html").render(
        scan=_as_shown(scan),
        script_sources=script_sources(vis_script, app_script),
        vis_script=vis_script,
        app_script=app_script,
        vis_style=style,
        stage_colours={s.value: c for s, c in STAGE_COLOURS.items()},
        shapes=SHAPE_BY_SERVICE,
        stage_counts=counts,
        severity_counts=severities,
        view_problems=[_gap_as_shown(gap) for gap in problems.gaps],
    )
