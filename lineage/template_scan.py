"""Templates, wired: files → placed stacks → facts → the same analysis as a scan → one `Scan`.

The result is a `Scan` like any other (id `template-…`, no API calls), so every output of a scan — findings,
JSON, the page, SARIF — serves templates too. Resources whose names CloudFormation chooses are analysed under
stand-in names and shown as `cfn:<template>#<LogicalId>` once the analysis is done.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from lineage.classification import Classification
from lineage.model import CoverageGap, Edge, Finding, Node, Scan
from lineage.rules import finding_id
from lineage.scan import analyse, now_utc, scan_of
from lineage.tag_policy import TagPolicy
from templates import stack_facts
from templates.cdk import is_cloud_assembly, read_cloud_assembly
from templates.document import Template, TemplateError, read_template
from templates.naming import StandIns, shown_with_cfn_ids, stand_in_name
from templates.stack import Placement, Stack

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


@dataclass(frozen=True, slots=True)
class TemplateScan:
    scan: Scan
    templates: tuple[Template, ...]


def read_templates(paths: Sequence[Path]) -> list[Template]:
    """Every template the paths name: each file named, each stack of a CDK cloud assembly (`cdk.out`) named, and
    each file directly inside a folder named that is a template (a folder also holds parameter files and
    definitions). A file named that cannot be read, or a template
    file in a folder that cannot be, is a `TemplateError` naming it."""
    templates: list[Template] = []
    for path in paths:
        if is_cloud_assembly(path):
            templates.extend(read_cloud_assembly(path))
        elif path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in TEMPLATE_SUFFIXES)
            found = [t for t in (read_template(p, only_if_template=True) for p in inside) if t is not None]
            if not found:
                raise TemplateError(f"{path}: a folder without templates")
            templates.extend(found)
        elif path.is_file():
            templates.append(read_template(path))
        else:
            raise TemplateError(f"{path}: no such file")
    return unique_names(templates)


def unique_names(templates: list[Template]) -> list[Template]:
    """Templates whose `cfn:` ids would collide (every SAM project's `template.yaml`) named with as many of their
    folders as tells them apart: `orders.template`, `billing.template`."""
    names = [t.name for t in templates]
    folders = [Path(t.path).resolve().parent for t in templates]
    for _ in range(max((len(f.parts) for f in folders), default=0)):
        clashing = {n for n in names if names.count(n) > 1}
        if not clashing:
            break
        for index, name in enumerate(names):
            if name in clashing and folders[index].name:
                names[index] = f"{folders[index].name}.{name}"
                folders[index] = folders[index].parent
    return [replace(t, name=n) if n != t.name else t for t, n in zip(templates, names, strict=True)]


def scan_templates(templates: Sequence[Template], placement: Placement | None = None,
                   classification: Classification | None = None, tag_policy: TagPolicy | None = None) -> TemplateScan:
    """The templates as one scan of the estate they would deploy."""
    started = now_utc()
    placement = placement or Placement()
    stacks: list[Stack] = []
    by_path: dict[str, Stack] = {}
    for template in templates:
        stack = Stack(template, _placed_by_parent(template, placement, by_path))
        stacks.append(stack)
        by_path[template.path] = stack
    declared = {name for template in templates for name in template.parameters}
    undeclared = sorted(set(placement.parameters) - declared)
    if undeclared and stacks:
        stacks[0].warnings.append(f"parameters given that no template declares: {', '.join(undeclared[:10])}")
    facts = [stack_facts(stack) for stack in stacks]
    analysis = analyse(facts, classification, tag_policy)
    digest = hashlib.sha256("\x00".join(t.path for t in templates).encode()).hexdigest()[:6]
    scan = scan_of(analysis, f"template-{started:%Y%m%dT%H%M%SZ}-{digest}", started,
                   (placement.region,) if placement.region else (), (), {}, True,
                   (placement.account,) if placement.account else ())
    stand_ins = StandIns({old: new for stack in stacks for old, new in stack.stand_ins.items()},
                         {stand_in_name(stack.template.path, r.logical_id): r.logical_id
                          for stack in stacks for r in stack.template.resources})
    return TemplateScan(with_cfn_ids(scan, stand_ins), tuple(templates))


def _placed_by_parent(template: Template, placement: Placement, stacks: dict[str, Stack]) -> Placement:
    """A nested stack's placement: its parameters are the values its parent passes (a CDK nested stack names its
    parent's bucket through them), as far as the parent's template determines them."""
    if not template.nested_in or template.nested_in[0] not in stacks:
        return placement
    parent, logical_id = stacks[template.nested_in[0]], template.nested_in[1]
    resource = parent.placed.get(logical_id)
    passed = resource.properties.get("Parameters") if resource is not None else None
    if not isinstance(passed, dict):
        return placement
    values = {name: value for name, value in passed.items() if isinstance(value, str | list)}
    return replace(placement, parameters={**placement.parameters, **values})


def with_cfn_ids(scan: Scan, stand_ins: StandIns) -> Scan:
    """The scan with stand-in names shown as `cfn:` ids and `${LogicalId}` (see `templates.naming`)."""
    if stand_ins.pattern is None:
        return scan

    def shown(value: object) -> object:
        return shown_with_cfn_ids(value, stand_ins)

    own_names = {cfn: cfn.partition("#")[2] for cfn in stand_ins.ids.values()}
    nodes = tuple(_named(Node.from_dict(shown(n.to_dict())), own_names) for n in scan.nodes)  # type: ignore[arg-type]
    edges = tuple(Edge.from_dict(shown(e.to_dict())) for e in scan.edges)  # type: ignore[arg-type]
    findings = tuple(_renamed_finding(Finding.from_dict(shown(f.to_dict())))  # type: ignore[arg-type]
                     for f in scan.findings)  # a finding's id is made of its node's: made again
    gaps = tuple(CoverageGap.from_dict(shown(g.to_dict())) for g in scan.coverage_gaps)  # type: ignore[arg-type]
    return replace(scan, nodes=tuple(sorted(nodes, key=lambda n: n.id)),
                   edges=tuple(sorted(edges, key=lambda e: (e.source, e.target, e.kind.value))),
                   findings=findings, coverage_gaps=gaps)


def _named(node: Node, own_names: dict[str, str]) -> Node:
    """A resource named by the stand-in itself is named by its logical id (one whose id alone AWS chooses, a named
    query, keeps the name the template gives it)."""
    logical = own_names.get(node.id)
    return replace(node, name=logical) if logical is not None and node.name == "${" + logical + "}" else node


def _renamed_finding(finding: Finding) -> Finding:
    return replace(finding, id=finding_id(finding.rule, finding.node))
