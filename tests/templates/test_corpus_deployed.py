"""Templates of the shared corpus read offline, then deployed into moto with CloudFormation and scanned: for every
state machine, the flows and integrations `lineage template` gives before deployment are those the scan of the
deployed stack gives, once each resource's `cfn:` id is matched to the physical resource the stack made of it.

Each template is laid out as in its repository (its definition files beside it, from the corpus's ASL folder),
and what `sam package` would upload is put in a bucket of moto first, so CloudFormation finds it.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from collectors.context import AwsContext
from lineage import arn as arns
from lineage.model import Edge, Scan
from lineage.scan import analyse, collect, scan_of
from lineage.template_scan import scan_templates
from templates.document import LOCAL_ARTIFACT_BUCKET, Template, TemplateError, read_template
from templates.naming import CFN_PREFIX, SHAPES, is_cfn_id
from templates.stack import Placement
from tests.conftest import CORPUS

ACCOUNT = "123456789012"
REGION = "us-east-1"
PLACEMENT = Placement(account=ACCOUNT, region=REGION)
LEAST_DEPLOYED = 5  # fewer means moto refused most of them: the comparison would prove little


def _rows() -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@dataclass(frozen=True, slots=True)
class Laid:
    path: Path  # the template, where its repository keeps it
    folder: Path  # the repository's root in the test's folder
    template: Template


def lay_out(root: Path) -> list[Laid]:
    """Every corpus template with a state machine, beside the definition files of its repository."""
    rows = _rows()
    for row in rows:
        if row["kind"] in ("cfn", "asl"):
            target = root / row["repo"].replace("/", "__") / row["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(CORPUS / row["local_file"], target)
    laid = []
    for row in rows:
        if row["kind"] != "cfn":
            continue
        folder = root / row["repo"].replace("/", "__")
        path = folder / row["path"]
        try:
            template = read_template(path)
        except TemplateError:
            continue
        if any(r.type == "AWS::StepFunctions::StateMachine" for r in template.resources):
            laid.append(Laid(path, folder, template))
    return laid


def _upload_artifacts(s3: Any, template: Template, path: Path) -> None:
    """What `sam package` uploads: each local file a resource names, at the key the translation gave it."""
    text = json.dumps(template.document)
    prefix = f"s3://{LOCAL_ARTIFACT_BUCKET}/"
    keys = {part.split('"')[0] for part in text.split(prefix)[1:]}
    keys |= {part.split('"')[0] for part in text.split(f'"Bucket": "{LOCAL_ARTIFACT_BUCKET}", "Key": "')[1:]}
    for key in keys:
        local = path.parent / key
        body = local.read_bytes() if local.is_file() else _zip()
        s3.put_object(Bucket=LOCAL_ARTIFACT_BUCKET, Key=key, Body=body)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


# An id with a value moto's CloudFormation did not model: `None`, or nothing (moto's `Ref` of an event bus is empty).
_MOTO_NONE = re.compile(r"(^|[:/])None($|[:/])|[:/]$")
_PLACEHOLDER = re.compile(r"\$\{([^}!][^}]*)\}")


def as_moto_deploys(template: Template, folder: Path) -> dict[str, Any]:
    """The template as real CloudFormation would deploy it, in the one form moto's CloudFormation reads: a state
    machine's `Definition` or `DefinitionS3Location` (read here, as CloudFormation reads it from S3) becomes
    `DefinitionString`, and `DefinitionSubstitutions` an `Fn::Sub` that moto's own intrinsics resolve — every other
    `${…}` in the definition left as written, as CloudFormation leaves it."""
    document = copy.deepcopy(dict(template.document))
    for body in document.get("Resources", {}).values():
        if body.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        properties = body.setdefault("Properties", {})
        if "Definition" in properties:
            text = json.dumps(properties.pop("Definition"))
        elif "DefinitionS3Location" in properties:
            location = properties.pop("DefinitionS3Location")
            text = json.dumps(yaml.safe_load((folder / location["Key"]).read_text(encoding="utf-8")))
        else:
            continue
        substitutions = properties.pop("DefinitionSubstitutions", None)
        if substitutions:
            given = set(substitutions)
            escaped = _PLACEHOLDER.sub(lambda m, given=given: m.group(0) if m.group(1) in given else "${!" + m.group(1)
                                       + "}", text)
            properties["DefinitionString"] = {"Fn::Sub": [escaped, substitutions]}
        elif isinstance(properties.get("DefinitionString"), str) or "DefinitionString" not in properties:
            properties.setdefault("DefinitionString", text)
    return document


def _parameters(template: Template) -> dict[str, str]:
    """A value for each parameter without a default (CloudFormation refuses a stack without them)."""
    values = {}
    for name, declaration in template.parameters.items():
        if not isinstance(declaration, dict) or "Default" not in declaration:
            values[name] = f"p-{name.lower()}"[:60]
    return values


def deployed_id(resource_type: str, physical: str) -> str | None:
    """The node id a scan gives the physical resource a stack made."""
    shape = SHAPES.get(resource_type)
    if shape is None or not physical or physical == "None":
        return None  # moto keeps no physical id for some types (an event bus): the flow names it, not the stack
    if shape.ref == "arn":
        return physical
    name = physical.rstrip("/").rsplit("/", 1)[-1] if shape.ref == "url" else physical
    return shape.arn(name, REGION, ACCOUNT, {})


def map_id(node_id: str, ids: dict[str, str]) -> str:
    if arns.is_dynamic(node_id):
        owner, _, path = node_id.removeprefix(arns.DYNAMIC_PREFIX).partition("#")
        if is_cfn_id(owner):  # `cfn:tpl#Logical`: the owner itself holds a `#`
            logical, _, path = path.partition("#")
            owner = f"{owner}#{logical}"
        return f"{arns.DYNAMIC_PREFIX}{map_id(owner, ids)}#{path}"
    if node_id in ids:
        return ids[node_id]
    resource, slash, prefix = node_id.partition("/")
    if is_cfn_id(node_id) and resource in ids:
        return f"{ids[resource]}/{prefix}"
    return node_id


def flows_of(scan: Scan, machine: str) -> set[tuple[str, str, str]]:
    """Every edge of the machine's definition: the machine is at one end, or a place only its executions know is.
    Its logging goes apart: moto's CloudFormation drops `LoggingConfiguration` (see `logging_of`)."""
    owned = f"{arns.DYNAMIC_PREFIX}{machine}#"

    def touches(edge: Edge) -> bool:
        return machine in (edge.source, edge.target) or edge.source.startswith(owned) or edge.target.startswith(owned)

    return {(e.source, e.target, e.kind.value) for e in scan.edges if touches(e) and not _logs(e)}


def _at(scan: Scan, flow: tuple[str, str, str], paths: set[str], ids: dict[str, str]) -> bool:
    """Whether the (mapped) flow stands on one of the definition's `paths`, or on a value inside or around one (a
    bucket's flow is read from `Parameters`, its unresolved name from `Parameters.Bucket`; a state whose `Resource`
    is unknown is unknown whole)."""
    wholes = {p.removesuffix(".Resource") for p in paths}

    def near(path: str) -> bool:
        return any(path == p or path.startswith(p + ".") or p.startswith(path + ".") for p in wholes)

    return any(map_id(e.source, ids) == flow[0] and map_id(e.target, ids) == flow[1] and near(ev.path)
               for e in scan.edges for ev in e.evidence)


def _logs(edge: Edge) -> bool:
    return any(e.path.startswith("loggingConfiguration") for e in edge.evidence)


def logging_of(scan: Scan, machine: str) -> set[str]:
    return {e.target for e in scan.edges if e.source == machine and _logs(e)}


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory: pytest.TempPathFactory) -> list[Laid]:
    if not (CORPUS / "cfn").is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return lay_out(tmp_path_factory.mktemp("repositories"))


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_state_machines_of_corpus_templates_match_their_deployed_stacks(laid_out: list[Laid], aws: None) -> None:
    session = boto3.Session(region_name=REGION)
    cloudformation = session.client("cloudformation")
    s3 = session.client("s3")
    s3.create_bucket(Bucket=LOCAL_ARTIFACT_BUCKET)
    deployed: list[tuple[Laid, str, dict[str, str]]] = []
    refused: list[str] = []
    for number, laid in enumerate(laid_out):
        parameters = _parameters(laid.template)
        _upload_artifacts(s3, laid.template, laid.path)
        stack = f"corpus-{number}"
        try:
            cloudformation.create_stack(
                StackName=stack, TemplateBody=json.dumps(as_moto_deploys(laid.template, laid.path.parent)),
                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
            status = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        except Exception as error:  # noqa: BLE001 - moto's CloudFormation does not make every resource type
            refused.append(f"{laid.path.name}: {type(error).__name__}: {str(error)[:120]}")
            continue
        if status != "CREATE_COMPLETE":
            refused.append(f"{laid.path.name}: {status}")
            continue
        deployed.append((laid, stack, parameters))
    assert len(deployed) >= LEAST_DEPLOYED, f"moto made only {len(deployed)} stacks; refused: {refused}"

    ctx = AwsContext(session, (REGION,))
    ctx.identify()
    live = scan_of(analyse(collect(ctx)), "deployed", __import__("datetime").datetime.now(), (REGION,), ctx.gaps,
                   {}, True, (ACCOUNT,))
    compared = 0
    unmapped: list[str] = []
    for laid, stack, parameters in deployed:
        offline = scan_templates([laid.template], Placement(ACCOUNT, REGION, stack, parameters)).scan
        physical = {r["LogicalResourceId"]: (r["ResourceType"], r["PhysicalResourceId"])
                    for r in cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]}
        ids: dict[str, str] = {}
        for node in offline.nodes:
            source = node.attributes.get("template") or {}
            logical = source.get("logical_id")
            if logical in physical:
                mapped = deployed_id(*physical[logical])
                if mapped is not None:
                    ids[node.id] = mapped
        for node in offline.nodes:
            if node.kind != "states.state_machine" or not node.observed:
                continue
            machine = ids[node.id]
            if any(e.startswith(CFN_PREFIX) for flow in flows_of(offline, node.id) for e in
                   (map_id(flow[0], ids), map_id(flow[1], ids))):
                unmapped.append(f"{laid.path.name} {node.name}")
                continue  # names a resource moto kept no physical id for: no way to match it
            live_machine = next(n for n in live.nodes if n.id == machine)
            expected = {(map_id(s, ids), map_id(t, ids), k) for s, t, k in flows_of(offline, node.id)}
            # moto's CloudFormation writes `None` or nothing for values it does not model (an API's id, a bus's `Ref`):
            # the template leaves the first dynamic and names the second as AWS documents; neither is compared.
            unmodelled = {e.path for edge in live.edges if edge.source == machine and _MOTO_NONE.search(edge.target)
                          for e in edge.evidence}
            # Nor does it resolve an intrinsic inside `DefinitionSubstitutions` (SAM puts each of `Definition`'s there):
            # the deployed definition keeps `${definition_substitution_1}` where CloudFormation writes the value.
            unresolved = {e.path for edge in live.edges if machine in (edge.source, edge.target)
                          for e in edge.evidence if "${definition_substitution" in e.excerpt}
            unmodelled |= unresolved
            expected = {flow for flow in expected if not _at(offline, flow, unmodelled, ids)}
            assert {f for f in flows_of(live, machine) if not _MOTO_NONE.search(f[1])
                    and not _at(live, f, unresolved, {})} == expected, laid.path.name
            # The log groups execution data goes to are the stack's own, as the template names them.
            stack_groups = {deployed_id(kind, name) for kind, name in physical.values()
                            if kind == "AWS::Logs::LogGroup"}
            assert {map_id(group, ids) for group in logging_of(offline, node.id)} <= stack_groups | {
                g for g in logging_of(offline, node.id) if not is_cfn_id(g)}, laid.path.name
            offline_integrations = {map_id(i, ids) for i in node.attributes["integrations"]}
            live_integrations = set(live_machine.attributes["integrations"])
            if unresolved:  # the states moto left unresolved call an integration the template names
                known = {i for i in live_integrations if "${definition_substitution" not in i}
                assert known <= offline_integrations, laid.path.name
                assert len(offline_integrations) >= len(known), laid.path.name
            else:
                assert live_integrations == offline_integrations, laid.path.name
            compared += 1
    print(f"{len(laid_out)} templates, {len(deployed)} deployed, {compared} machines compared; refused: {refused}; "
          f"not matched: {unmapped}")
    assert compared >= LEAST_DEPLOYED, f"compared {compared}; not matched: {unmapped}"
