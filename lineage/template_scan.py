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
from templates.naming import shown_with_cfn_ids, stand_in_name
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
    return templates


def scan_templates(templates: Sequence[Template], placement: Placement | None = None,
                   classification: Classification | None = None, tag_policy: TagPolicy | None = None) -> TemplateScan:
    """The templates as one scan of the estate they would deploy."""
    started = now_utc()
    placement = placement or Placement()
    stacks = [Stack(template, placement) for template in templates]
    facts = [stack_facts(stack) for stack in stacks]
    analysis = analyse(facts, classification, tag_policy)
    digest = hashlib.sha256("\x00".join(t.path for t in templates).encode()).hexdigest()[:6]
    scan = scan_of(analysis, f"template-{started:%Y%m%dT%H%M%SZ}-{digest}", started,
                   (placement.region,) if placement.region else (), (), {}, True,
                   (placement.account,) if placement.account else ())
    stand_ins = {old: new for stack in stacks for old, new in stack.stand_ins.items()}
    names = {stand_in_name(stack.template.path, r.logical_id).partition("-")[0]: r.logical_id
             for stack in stacks for r in stack.template.resources}
    return TemplateScan(with_cfn_ids(scan, stand_ins, names), tuple(templates))


def with_cfn_ids(scan: Scan, stand_ins: dict[str, str], names: dict[str, str]) -> Scan:
    """The scan with stand-in names shown as `cfn:` ids and logical ids (see `templates.naming`)."""
    if not stand_ins and not names:
        return scan
    # The longest first: a stand-in ARN is never rewritten through a shorter one it contains.
    stand_ins = dict(sorted(stand_ins.items(), key=lambda item: -len(item[0])))

    def shown(value: object) -> object:
        return shown_with_cfn_ids(value, stand_ins, names)

    nodes = tuple(Node.from_dict(shown(n.to_dict())) for n in scan.nodes)  # type: ignore[arg-type]
    edges = tuple(Edge.from_dict(shown(e.to_dict())) for e in scan.edges)  # type: ignore[arg-type]
    findings = tuple(_renamed_finding(Finding.from_dict(shown(f.to_dict())))  # type: ignore[arg-type]
                     for f in scan.findings)  # a finding's id is made of its node's: made again
    gaps = tuple(CoverageGap.from_dict(shown(g.to_dict())) for g in scan.coverage_gaps)  # type: ignore[arg-type]
    return replace(scan, nodes=tuple(sorted(nodes, key=lambda n: n.id)),
                   edges=tuple(sorted(edges, key=lambda e: (e.source, e.target, e.kind.value))),
                   findings=findings, coverage_gaps=gaps)


def _renamed_finding(finding: Finding) -> Finding:
    return replace(finding, id=finding_id(finding.rule, finding.node))
