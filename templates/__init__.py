"""Infrastructure templates as a source of facts, before anything is deployed.

A template is turned into the answers a scan of the deployed stack would read, and each service's collector
transform makes the facts of them, so a template gives the same nodes, flows and findings as a scan (see
`templates.services`). Every node a template defines carries `template`: the file, the line of its logical id,
the logical id and the resource type, which findings and SARIF point to.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lineage import arn as arns
from lineage.model import CoverageGap, Edge, Evidence, Facts, Node, stage_for
from templates.services import read_types, readers
from templates.stack import Placed, Stack

SERVICE = "cloudformation"  # gaps of a template: what it names that cannot be read from it
# Evidence of a template keeps the API operation whose answer the fact stands for (rules read it), and the node
# says where in which template it is defined; only an expression known at deployment is evidence of the file.
FILE = "file"


def source_of(stack: Stack, placed: Placed) -> dict[str, Any]:
    source: dict[str, Any] = {"file": stack.template.path, "line": placed.resource.line,
                              "logical_id": placed.logical_id, "type": placed.type, "format": stack.template.kind}
    if placed.resource.from_sam:
        source["sam_resource"] = placed.resource.from_sam
    construct = placed.resource.metadata.get("aws:cdk:path")
    if isinstance(construct, str):
        source["construct_path"] = construct  # where a CDK app defines it: the file is generated
    if not placed.named:
        source["name_chosen_at_deployment"] = True
    return source


def stack_facts(stack: Stack) -> Facts:
    """The facts of one placed template: each service's, a node for each resource of a type none reads, each
    node the template defines marked with where, and a gap for what the template names but does not hold."""
    parts: list[Facts] = []
    for service, read in readers():
        try:
            parts.append(read(stack))
        except Exception as error:  # noqa: BLE001 - one service's surprise costs only its resources
            parts.append(Facts(gaps=(CoverageGap(SERVICE, f"read {service} resources", stack.template.path,
                                                 f"{type(error).__name__}: {error}"[:500], stack.region,
                                                 stack.account),)))
    known = read_types()
    unknown = [_unknown_node(stack, p) for p in stack.placed.values() if p.type not in known]
    facts = Facts.concat([*parts, Facts(tuple(unknown)), _dynamic_places(stack, parts)])
    sources = {placed.id: source_of(stack, placed) for placed in stack.placed.values()}
    nodes = tuple(_marked(node, sources) for node in facts.nodes)
    edges = tuple(_with_expressions(edge, stack.dynamics) for edge in facts.edges)
    warnings = tuple(CoverageGap(SERVICE, "read template", stack.template.path, warning, stack.region, stack.account)
                     for warning in stack.warnings)
    return Facts(nodes, edges, facts.gaps + warnings)


def _dynamic_places(stack: Stack, parts: list[Facts]) -> Facts:
    """The places the template names with a value only deployment knows: a node that says so, and the expression
    on each flow to or from it."""
    nodes = {}
    for part in parts:
        for edge in part.edges:
            for end in (edge.source, edge.target):
                if end in stack.dynamics and end not in nodes:
                    nodes[end] = arns.referenced_node(end, "external", {"dynamic": True,
                                                                        "expression": stack.dynamics[end]})
    return Facts(tuple(nodes.values()))


def _with_expressions(edge: Edge, dynamics: dict[str, str]) -> Edge:
    ends = [end for end in (edge.source, edge.target) if end in dynamics]
    if not ends:
        return edge
    owner, path = arns.dynamic_parts(ends[0])
    return replace(edge, evidence=(*edge.evidence, Evidence(FILE, owner, path, dynamics[ends[0]], dynamic=True)))


def _unknown_node(stack: Stack, placed: Placed) -> Node:
    """A resource of a type no service reads: kept, with its logical id, so the template's picture is whole."""
    return Node(placed.id, placed.kind, placed.logical_id, stage_for(placed.kind), stack.account, stack.region, True,
                {"resource_type": placed.type})


def _marked(node: Node, sources: dict[str, dict[str, Any]]) -> Node:
    source = sources.get(node.id)
    if source is None or not node.observed:
        return node
    return replace(node, attributes={**node.attributes, "template": source})



