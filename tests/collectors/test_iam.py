"""IAM: the roles other facts name, read once each after the other collectors ran — their inline and
attached policies, each managed policy once however many roles attach it — on answers recorded as IAM sends
them (XML, policy documents URL-encoded JSON) through botocore's Stubber, and on moto."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.parsers import create_parser
from botocore.stub import Stubber
from moto import mock_aws

from collectors import awslambda, iam
from collectors.context import AwsContext
from lineage.model import Facts, Node, Stage
from lineage.scan import collect
from tests.collectors.recorded_answers import _model, recorded
from tests.collectors.test_lambda import _zipped

R, A = "eu-west-1", "111122223333"
ORDERS_ROLE = f"arn:aws:iam::{A}:role/orders-ingest"
THUMBNAIL_REFERENCE = f"arn:aws:iam::{A}:role/thumbnail"  # as a function names it, without the role's path
THUMBNAIL_ROLE = f"arn:aws:iam::{A}:role/service-role/thumbnail"
S3_FULL = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
LOGGING = f"arn:aws:iam::{A}:policy/orders-logging"


def xml(operation: str, body: str) -> dict[str, Any]:
    """What `iam.<operation>` parses an XML answer into, before botocore's handlers decode its documents."""
    parser = create_parser("query")
    answer = parser.parse({"body": body.encode(), "headers": {}, "status_code": 200},
                          _model("iam").operation_model(operation).output_shape)
    answer.pop("ResponseMetadata", None)
    return answer


def _function(name: str, role: Any, account: str = A, observed: bool = True, region: str = R) -> Node:
    return Node(f"arn:aws:lambda:{region}:{account}:function:{name}", "lambda.function", name, Stage.PROCESSING,
                account, region, observed, {"role": role})


def test_the_roles_named_are_this_accounts_by_arn_or_bare_name_once_each() -> None:
    facts = [Facts((
        _function("a", ORDERS_ROLE),
        _function("b", ORDERS_ROLE),  # named twice, read once
        Node(f"arn:aws:glue:{R}:{A}:job/curate", "glue.job", "curate", Stage.PROCESSING, A, R, True,
             {"role": "glue-curate"}),  # Glue takes a bare name
        _function("c", "arn:aws:iam::444455556666:role/theirs", account="444455556666"),  # another account's
        _function("d", f"arn:aws:iam::{A}:role/unread", observed=False),  # only referenced: names nothing
        _function("e", ""), _function("f", None), _function("g", "arn:aws:iam::aws:policy/Nope"),
        _function("h", "not/a:role"),
        Node("arn:aws:states:cn-north-1:" + A + ":stateMachine:m", "states.state_machine", "m", Stage.PROCESSING, A,
             "cn-north-1", True, {"role": "etl"}),  # a bare name takes its partition from the region
    ))]
    named = iam.roles_named(facts, A)
    assert sorted(node.id for node in named) == [f"arn:aws-cn:iam::{A}:role/etl", f"arn:aws:iam::{A}:role/glue-curate",
                                                 ORDERS_ROLE]
    assert {(node.kind, node.observed) for node in named} == {("iam.role", False)}


def _stubbed(ctx: AwsContext, denied_inline: bool = False) -> Stubber:
    answers = recorded("iam")
    stub = Stubber(ctx.client("iam", R))
    stub.add_response("get_role", xml("GetRole", answers["GetRole"]["orders-ingest"]), {"RoleName": "orders-ingest"})
    pages = answers["ListRolePolicies"]["orders-ingest"]
    stub.add_response("list_role_policies", xml("ListRolePolicies", pages[0]), {"RoleName": "orders-ingest"})
    stub.add_response("list_role_policies", xml("ListRolePolicies", pages[1]),
                      {"RoleName": "orders-ingest", "Marker": "AAB1c2VyLXBvbGljaWVz"})
    if denied_inline:
        stub.add_client_error("get_role_policy", "AccessDenied", http_status_code=403,
                              expected_params={"RoleName": "orders-ingest", "PolicyName": "orders-access"})
    else:
        inline = answers["GetRolePolicy"]["orders-ingest/orders-access"]
        stub.add_response("get_role_policy", xml("GetRolePolicy", inline),
                          {"RoleName": "orders-ingest", "PolicyName": "orders-access"})
    # Deleted between the listing and the read: the role no longer has it, which is not a gap.
    stub.add_client_error("get_role_policy", "NoSuchEntity", http_status_code=404,
                          expected_params={"RoleName": "orders-ingest", "PolicyName": "retired-access"})
    stub.add_response("list_attached_role_policies",
                      xml("ListAttachedRolePolicies", answers["ListAttachedRolePolicies"]["orders-ingest"][0]),
                      {"RoleName": "orders-ingest"})
    stub.add_response("get_role", xml("GetRole", answers["GetRole"]["thumbnail"]), {"RoleName": "thumbnail"})
    stub.add_response("list_role_policies", xml("ListRolePolicies", answers["ListRolePolicies"]["thumbnail"][0]),
                      {"RoleName": "thumbnail"})
    stub.add_response("list_attached_role_policies",
                      xml("ListAttachedRolePolicies", answers["ListAttachedRolePolicies"]["thumbnail"][0]),
                      {"RoleName": "thumbnail"})
    # A role a function names that was deleted since: nothing to say of it, and no gap.
    stub.add_client_error("get_role", "NoSuchEntity", http_status_code=404, expected_params={"RoleName": "zz-gone"})
    # Each managed policy once, though both roles attach AmazonS3FullAccess.
    for policy, version in ((LOGGING, "v3"), (S3_FULL, "v2")):
        stub.add_response("get_policy", xml("GetPolicy", answers["GetPolicy"][policy]), {"PolicyArn": policy})
        stub.add_response("get_policy_version", xml("GetPolicyVersion", answers["GetPolicyVersion"][policy]),
                          {"PolicyArn": policy, "VersionId": version})
    return stub


WANTED = {"iam.role": [ORDERS_ROLE, THUMBNAIL_REFERENCE, f"arn:aws:iam::{A}:role/zz-gone"]}


def _recorded_roles(denied_inline: bool = False) -> tuple[dict[str, Node], AwsContext]:
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = _stubbed(ctx, denied_inline)
    with stub:
        raw = iam.get_named_roles(ctx, "global", WANTED)
        stub.assert_no_pending_responses()
    ctx.close()
    facts = iam.transform_iam(raw, A, "")
    return {node.id: node for node in facts.nodes}, ctx


def test_recorded_roles_become_nodes_with_their_allow_statements_summarised() -> None:
    roles, ctx = _recorded_roles()
    assert ctx.gaps == []
    assert ctx.api_calls["iam:GetPolicy"] == 2 and ctx.api_calls["iam:GetPolicyVersion"] == 2  # once per policy
    assert set(roles) == {ORDERS_ROLE, THUMBNAIL_ROLE}  # the deleted role is simply not there
    orders = roles[ORDERS_ROLE]
    assert (orders.kind, orders.name, orders.region, orders.account) == ("iam.role", "orders-ingest", "", A)
    attributes = orders.attributes
    assert attributes["policies"] == [
        {"name": "orders-access", "type": "inline"},
        {"name": "AmazonS3FullAccess", "arn": S3_FULL, "type": "aws_managed", "version": "v2"},
        {"name": "orders-logging", "arn": LOGGING, "type": "customer_managed", "version": "v3"}]
    # Decoded from IAM's URL-encoded JSON by botocore, summarised: never the document whole.
    assert attributes["allows"][0] == {
        "policy": "orders-access", "policy_arn": "", "operation": "iam:GetRolePolicy", "statement": 0,
        "sid": "OrdersTable", "has_condition": False, "actions": ["dynamodb:*"],
        "resources": [f"arn:aws:dynamodb:{R}:{A}:table/orders"]}
    assert [(s["policy"], s["statement"], s["actions"][0]) for s in attributes["allows"]] == [
        ("orders-access", 0, "dynamodb:*"), ("orders-access", 1, "sqs:ReceiveMessage"),
        ("AmazonS3FullAccess", 0, "s3:*"), ("orders-logging", 0, "logs:PutLogEvents")]
    assert attributes["allows"][3]["has_condition"] is True and attributes["allows"][3]["operation"] == \
        "iam:GetPolicyVersion"
    assert attributes["denies"] == 1
    assert attributes["trusted_by"] == ["aws:arn:aws:iam::444455556666:root", "service:lambda.amazonaws.com"]
    assert attributes["tags"] == {"team": "orders"} and "unread" not in attributes
    thumbnail = roles[THUMBNAIL_ROLE].attributes
    assert thumbnail["named_as"] == [THUMBNAIL_REFERENCE] and thumbnail["path"] == "/service-role/"
    assert [s["actions"] for s in thumbnail["allows"]] == [["s3:*", "s3-object-lambda:*"]]


def test_a_denied_inline_policy_leaves_the_role_read_and_says_which_policy_is_unread() -> None:
    roles, ctx = _recorded_roles(denied_inline=True)
    assert [(g.service, g.operation, g.resource) for g in ctx.gaps] == [
        ("iam", "GetRolePolicy", "orders-ingest/orders-access")]
    orders = roles[ORDERS_ROLE].attributes
    assert orders["unread"] == ["inline_policies"] and orders["unread_policies"] == ["inline:orders-access"]
    assert [s["policy"] for s in orders["allows"]] == ["AmazonS3FullAccess", "orders-logging"]  # the rest is read
    assert "unread" not in roles[THUMBNAIL_ROLE].attributes


def test_a_document_botocore_could_not_decode_is_a_gap_of_that_policy_only() -> None:
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("iam", R))
    stub.add_response("get_role_policy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": "%7B%22Version"})
    with stub:
        answer = ctx.call(iam.GET_ROLE_POLICY, R, "r/p", RoleName="r", PolicyName="p")
    ctx.close()
    assert answer is None
    assert [g.error for g in ctx.gaps] == ["UnusableAnswer: the policy document is not JSON"]


@pytest.mark.parametrize(("document", "expected"), [
    ({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}, [["*"]]),
    ('%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%7D%5D%7D', [["s3:*"]]),
    ("not json", []),
    ({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "odd", {"Effect": "Maybe"}]}, [None]),
    ({"Statement": None}, []),
])
def test_odd_documents_are_summarised_for_what_they_say(document: Any, expected: list[Any]) -> None:
    allows, _ = iam.summarise(document, "p", "", "iam:GetRolePolicy")
    assert [entry.get("actions") for entry in allows] == expected


@mock_aws
def test_a_scan_reads_each_role_its_functions_run_as_and_each_shared_policy_once() -> None:
    session = boto3.Session(region_name=R)
    client = session.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "lambda.amazonaws.com"}}]})
    shared = client.create_policy(PolicyName="shared-read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::lake/raw/*"}]}))["Policy"]["Arn"]
    roles = {}
    for name in ("ingest", "export"):
        roles[name] = client.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        client.attach_role_policy(RoleName=name, PolicyArn=shared)
    client.put_role_policy(RoleName="ingest", PolicyName="table", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*",
                                                "Resource": f"arn:aws:dynamodb:{R}:123456789012:table/t"}]}))
    functions = session.client("lambda")
    for name in ("ingest", "export", "export-again"):
        functions.create_function(FunctionName=name, Runtime="python3.12", Role=roles[name.split("-")[0]],
                                  Handler="app.handler", Code={"ZipFile": _zipped()})
    ctx = AwsContext(session, [R])
    ctx.identify()
    facts = collect(ctx, collectors=(awslambda.COLLECTOR, iam.COLLECTOR))
    ctx.close()
    assert ctx.gaps == []
    assert ctx.api_calls["iam:GetRole"] == 2 and ctx.api_calls["iam:GetRolePolicy"] == 1
    assert ctx.api_calls["iam:GetPolicy"] == 1 and ctx.api_calls["iam:GetPolicyVersion"] == 1
    nodes = {node.id: node for batch in facts for node in batch.nodes if node.kind == "iam.role"}
    assert set(nodes) == set(roles.values())
    ingest = nodes[roles["ingest"]].attributes
    assert [(s["policy"], s["actions"]) for s in ingest["allows"]] == [("table", ["dynamodb:*"]),
                                                                        ("shared-read", ["s3:GetObject"])]
    assert nodes[roles["export"]].attributes["policies"] == [
        {"name": "shared-read", "arn": shared, "type": "customer_managed", "version": "v1"}]


def test_a_role_deleted_while_its_policies_are_listed_is_left_out_without_a_gap() -> None:
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("iam", R))
    role = {"Path": "/", "RoleName": "orders-ingest", "RoleId": "AROAEXAMPLEID12345678", "Arn": ORDERS_ROLE,
            "CreateDate": "2024-01-01T00:00:00Z"}
    stub.add_response("get_role", {"Role": role}, {"RoleName": "orders-ingest"})
    stub.add_client_error("list_role_policies", "NoSuchEntity", "The role with name orders-ingest cannot be found.",
                          http_status_code=404, expected_params={"RoleName": "orders-ingest"})
    with stub:
        raw = iam.get_named_roles(ctx, "global", {iam.KIND: [ORDERS_ROLE]})
        stub.assert_no_pending_responses()
    ctx.close()
    assert ctx.gaps == [] and raw["Roles"] == []
    assert iam.transform_iam(raw, A, "").nodes == ()
