"""A CDK cloud assembly (`cdk synth`'s `cdk.out`) as templates: one per stack, nested stacks and stages included.

The assembly's `manifest.json` lists its artifacts: each `aws:cloudformation:stack` names its template file, its
stack name, its environment (`aws://ACCOUNT/REGION`, `unknown-account` and `unknown-region` when the app left them
to deployment) and the parameter values CDK passes; a `cdk:cloud-assembly` artifact (a stage) is an assembly of its
own in a sub-folder. A nested stack is a resource whose `aws:asset:path` metadata names its template in the
assembly. The templates are generated: a finding points at the generated file and line, and names the construct
path (`aws:cdk:path`) the engineer recognises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from templates.document import Template, TemplateError, read_template

MANIFEST = "manifest.json"
STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"
NESTED_STACK = "AWS::CloudFormation::Stack"
MAX_NESTING = 10  # stages in stages and stacks in stacks; deeper is a loop in a hand-made manifest


def is_cloud_assembly(path: Path) -> bool:
    return (path.is_dir() and (path / MANIFEST).is_file()) or (path.name == MANIFEST and path.is_file())


def _manifest(folder: Path) -> Mapping[str, Any]:
    path = folder / MANIFEST
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise TemplateError(f"{path}: not a readable CDK manifest ({str(error).splitlines()[0][:200]})") from None
    if not isinstance(document, Mapping) or not isinstance(document.get("artifacts", {}), Mapping):
        raise TemplateError(f"{path}: not a CDK manifest (no `artifacts` mapping)")
    return document


def environment_of(artifact: Mapping[str, Any]) -> tuple[str, str]:
    """(account, region) of `aws://ACCOUNT/REGION`; an `unknown-…` part, or none, is ""."""
    text = str(artifact.get("environment") or "")
    account, _, region = text.removeprefix("aws://").partition("/")
    return ("" if account.startswith("unknown") else account), ("" if region.startswith("unknown") else region)


def read_cloud_assembly(path: Path, depth: int = 0) -> list[Template]:
    """Every stack of the assembly in `path` (its folder, or its `manifest.json`)."""
    folder = path.parent if path.name == MANIFEST else path
    if depth > MAX_NESTING:
        raise TemplateError(f"{folder}: assemblies nested more than {MAX_NESTING} deep")
    templates: list[Template] = []
    for name, artifact in sorted(_manifest(folder)["artifacts"].items()):
        if not isinstance(artifact, Mapping):
            continue
        properties = artifact.get("properties") if isinstance(artifact.get("properties"), Mapping) else {}
        if artifact.get("type") == NESTED_ASSEMBLY and properties.get("directoryName"):
            templates.extend(read_cloud_assembly(folder / str(properties["directoryName"]), depth + 1))
        elif artifact.get("type") == STACK_ARTIFACT and properties.get("templateFile"):
            account, region = environment_of(artifact)
            stack = str(properties.get("stackName") or artifact.get("displayName") or name)
            template = read_template(folder / str(properties["templateFile"]))
            template = replace(template, stack=stack, account=account, region=region, kind="cdk",
                               parameters=_with_values(template.parameters, properties.get("parameters")))
            templates.append(template)
            templates.extend(_nested(template, folder, account, region, depth))
    if not templates:
        raise TemplateError(f"{folder / MANIFEST}: the assembly holds no CloudFormation stack")
    return templates


def _with_values(declared: Mapping[str, Any], values: Any) -> Mapping[str, Any]:
    """The parameters with the values CDK passes at deployment as their defaults."""
    if not isinstance(values, Mapping):
        return declared
    return {name: ({**declaration, "Default": values[name]} if name in values and isinstance(declaration, Mapping)
                   else declaration) for name, declaration in declared.items()}


def _nested(parent: Template, folder: Path, account: str, region: str, depth: int) -> list[Template]:
    """The templates of the parent's nested stacks, found in the assembly through their asset path."""
    nested: list[Template] = []
    for resource in parent.resources:
        asset = resource.metadata.get("aws:asset:path")
        if resource.type != NESTED_STACK or not isinstance(asset, str) or depth >= MAX_NESTING:
            continue
        path = folder / asset
        if not path.is_file():
            continue  # an asset CDK did not synthesise here: the nested stack stays a node of the parent
        child = replace(read_template(path), account=account, region=region, kind="cdk",
                        nested_in=(parent.path, resource.logical_id))
        nested.append(child)
        nested.extend(_nested(child, folder, account, region, depth + 1))
    return nested
