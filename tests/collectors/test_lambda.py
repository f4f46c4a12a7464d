"""Lambda: the get on recorded answers through botocore's Stubber, the transform on what it read (mappings
from a queue, a table's stream and a Kinesis stream; destinations; a dead-letter target; variables' names
but never their values), and the get on moto."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from collectors import awslambda, iam
from collectors.context import AwsContext
from lineage.graph import build_graph
from lineage.model import Edge, EdgeKind, Evidence, Facts, Finding, Node, Severity, Stage
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
INGEST = f"arn:aws:lambda:{R}:{A}:function:orders-ingest"
THUMBNAIL = f"arn:aws:lambda:{R}:{A}:function:thumbnail"
SIGNED_URL = "https://ab3cd4ef5gh6ij7kl8mn9op0qr1st2uv.lambda-url.eu-west-1.on.aws/"
OPEN_URL = "https://zy9xw8vu7ts6rq5po4nm3lk2ji1hg0fe.lambda-url.eu-west-1.on.aws/"


def _recorded_read() -> dict[str, Any]:
    answers = recorded("lambda")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("lambda", R))
    stub.add_response("list_functions", parsed("lambda", "ListFunctions", answers["ListFunctions"]), {})
    for name in ("orders-ingest", "thumbnail"):
        stub.add_response("list_function_event_invoke_configs", parsed(
            "lambda", "ListFunctionEventInvokeConfigs", answers["ListFunctionEventInvokeConfigs"][name]),
            {"FunctionName": name})
        stub.add_response("list_tags", parsed("lambda", "ListTags", answers["ListTags"][name]),
                          {"Resource": f"arn:aws:lambda:{R}:{A}:function:{name}"})
        marker: dict[str, str] = {}
        for page in answers["ListFunctionUrlConfigs"][name]:  # orders-ingest's come on two pages
            stub.add_response("list_function_url_configs", parsed("lambda", "ListFunctionUrlConfigs", page),
                              {"FunctionName": name, **marker})
            marker = {"Marker": page["NextMarker"]} if "NextMarker" in page else {}
    stub.add_response("list_event_source_mappings",
                      parsed("lambda", "ListEventSourceMappings", answers["ListEventSourceMappings"]), {})
    return read_through(stub, ctx, awslambda.get_lambda, R)


def test_recorded_functions_and_mappings_become_nodes_and_flows() -> None:
    facts = awslambda.transform_lambda(_recorded_read(), A, R)
    nodes = {node.id: node for node in facts.nodes}
    assert set(nodes) == {INGEST, THUMBNAIL, SIGNED_URL, OPEN_URL}
    assert nodes[INGEST].attributes["role"] == f"arn:aws:iam::{A}:role/orders-ingest"
    ingest = nodes[INGEST].attributes
    assert ingest["in_vpc"] is True and ingest["log_group"] == "/platform/orders" and ingest["runtime"] == "python3.12"
    assert ingest["environment_names"] == ["API_TOKEN", "TABLE_NAME"]
    assert "tok_live_5f2b9c0e7d1a4b38" not in json.dumps([n.to_dict() for n in facts.nodes])  # names, never values
    assert nodes[THUMBNAIL].attributes["log_group"] == "/aws/lambda/thumbnail"  # Lambda's default
    assert ingest["tags"]["team"] == "orders"
    flows = {(e.source, e.kind.value, e.target): e for e in facts.edges}
    assert set(flows) == {
        (INGEST, "writes", f"arn:aws:sqs:{R}:{A}:orders-ingest-dlq"),  # the dead-letter target
        (INGEST, "writes", f"arn:aws:events:{R}:{A}:event-bus/orders"),  # on success
        (INGEST, "writes", f"arn:aws:lambda:{R}:{A}:function:alerts"),  # on failure, to the function, not its alias
        (f"arn:aws:sqs:{R}:{A}:orders", "reads", INGEST),
        (f"arn:aws:dynamodb:{R}:{A}:table/orders", "reads", THUMBNAIL),  # the stream is the table's changes
        (f"arn:aws:kinesis:{R}:{A}:stream/clicks", "reads", THUMBNAIL),  # through a fan-out consumer
        (INGEST, "writes", f"arn:aws:logs:{R}:{A}:log-group:/platform/orders"),  # what it prints
        (THUMBNAIL, "writes", f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/thumbnail"),
        (INGEST, "part_of", f"arn:aws:iam::{A}:role/orders-ingest"),  # the role it runs as: structure, no flow
        (THUMBNAIL, "part_of", f"arn:aws:iam::{A}:role/thumbnail"),
        (OPEN_URL, "invokes", f"{INGEST}:live"),  # the alias's URL invokes the alias, which runs the function
        (f"{INGEST}:live", "invokes", INGEST),
        (SIGNED_URL, "invokes", INGEST),
    }
    assert flows[(THUMBNAIL, "writes", f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/thumbnail")].evidence[0].path == \
        "FunctionName (the default log group)"
    filtered = flows[(f"arn:aws:sqs:{R}:{A}:orders", "reads", INGEST)].evidence[0]
    assert '"order"' in filtered.excerpt and "State: Enabled" in filtered.excerpt
    stream = flows[(f"arn:aws:dynamodb:{R}:{A}:table/orders", "reads", THUMBNAIL)].evidence[0]
    assert "State: Disabled" in stream.excerpt


def test_mappings_are_read_when_the_functions_could_not_be_listed() -> None:
    raw = _recorded_read()
    raw["Functions"] = None
    facts = awslambda.transform_lambda(raw, A, R)
    assert facts.nodes == () and len(facts.edges) == 3  # the functions become nodes known by reference


def test_each_function_url_is_a_generation_node_invoking_the_function_or_its_alias() -> None:
    facts = awslambda.transform_lambda(_recorded_read(), A, R)
    nodes = {node.id: node for node in facts.nodes}
    signed, opened = nodes[SIGNED_URL], nodes[OPEN_URL]
    assert (signed.kind, signed.stage.value, signed.name) == ("lambda.url", "generation", "orders-ingest URL")
    assert signed.attributes == {"auth_type": "AWS_IAM", "invoke_mode": "BUFFERED", "cors": None,
                                 "function": INGEST}
    assert opened.name == "orders-ingest:live URL" and opened.attributes["qualifier"] == "live"
    assert opened.attributes["auth_type"] == "NONE" and opened.attributes["invoke_mode"] == "RESPONSE_STREAM"
    assert opened.attributes["cors"] == {"allow_origins": ["*"], "allow_methods": ["POST"],
                                         "allow_credentials": False}
    assert (opened.account, opened.region) == (A, R)
    [evidence] = next(e for e in facts.edges if e.source == OPEN_URL).evidence
    assert evidence.operation == "lambda:ListFunctionUrlConfigs" and "AuthType NONE" in evidence.excerpt
    assert "unread" not in nodes[INGEST].attributes


def test_an_odd_url_configuration_is_read_for_what_it_says() -> None:
    raw = _recorded_read()
    [record] = [r for r in raw["Functions"] if r["Function"]["FunctionName"] == "thumbnail"]
    record["FunctionUrls"] = [{"FunctionUrl": "https://odd.lambda-url.eu-west-1.on.aws/", "FunctionArn": THUMBNAIL,
                               "AuthType": "NONE", "Cors": {"AllowCredentials": True}}]  # no InvokeMode, no origins
    [url] = [n for n in awslambda.transform_lambda(raw, A, R).nodes if n.kind == "lambda.url"
             and n.attributes["function"] == THUMBNAIL]
    assert url.attributes["invoke_mode"] == "BUFFERED"  # Lambda's default
    assert url.attributes["cors"] == {"allow_origins": [], "allow_methods": [], "allow_credentials": True}


@pytest.mark.parametrize("deleted_while_read", [False, True])
def test_a_denied_url_listing_costs_only_that_functions_urls(deleted_while_read: bool) -> None:
    answers = recorded("lambda")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("lambda", R))
    stub.add_response("list_functions", parsed("lambda", "ListFunctions", answers["ListFunctions"]), {})
    for name in ("orders-ingest", "thumbnail"):
        stub.add_response("list_function_event_invoke_configs", parsed(
            "lambda", "ListFunctionEventInvokeConfigs", answers["ListFunctionEventInvokeConfigs"][name]),
            {"FunctionName": name})
        stub.add_response("list_tags", parsed("lambda", "ListTags", answers["ListTags"][name]),
                          {"Resource": f"arn:aws:lambda:{R}:{A}:function:{name}"})
        if name == "orders-ingest" and deleted_while_read:
            stub.add_client_error("list_function_url_configs", "ResourceNotFoundException",
                                  "Function not found: orders-ingest", http_status_code=404)
        elif name == "orders-ingest":
            stub.add_client_error("list_function_url_configs", "AccessDeniedException", http_status_code=403)
        else:
            stub.add_response("list_function_url_configs", {"FunctionUrlConfigs": []}, {"FunctionName": name})
    stub.add_response("list_event_source_mappings", {"EventSourceMappings": []}, {})
    with stub:
        raw = awslambda.get_lambda(ctx, R)
    ctx.close()
    nodes = {n.id: n for n in awslambda.transform_lambda(raw, A, R).nodes}
    if deleted_while_read:  # a function deleted since it was listed runs nothing now: no node, no gap
        assert ctx.gaps == [] and set(nodes) == {THUMBNAIL}
        return
    assert [(g.operation, g.resource) for g in ctx.gaps] == [("ListFunctionUrlConfigs", "orders-ingest")]
    assert set(nodes) == {INGEST, THUMBNAIL}
    assert nodes[INGEST].attributes["unread"] == ["function_urls"] and "unread" not in nodes[THUMBNAIL].attributes


def _zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@mock_aws
def test_lambda_get_on_moto() -> None:
    session = boto3.Session(region_name=R)
    role = session.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    queue = session.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    queue_arn = session.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    client = session.client("lambda")
    function = client.create_function(FunctionName="worker", Runtime="python3.12", Role=role, Handler="app.handler",
                                      Code={"ZipFile": _zipped()}, Tags={"team": "etl"},
                                      Environment={"Variables": {"SECRET": "s3cr3t-value"}})["FunctionArn"]
    client.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="worker")
    url = client.create_function_url_config(FunctionName="worker", AuthType="NONE")["FunctionUrl"]
    client.create_function(FunctionName="quiet", Runtime="python3.12", Role=role, Handler="app.handler",
                           Code={"ZipFile": _zipped()})  # no URL: an empty listing
    ctx = AwsContext(session, [R])
    raw = awslambda.get_lambda(ctx, R)
    ctx.close()
    assert ctx.gaps == []
    facts = awslambda.transform_lambda(raw, ctx.account or A, R)
    nodes = {node.id: node for node in facts.nodes}
    worker = nodes[function]
    assert worker.attributes["tags"] == {"team": "etl"} and worker.attributes["role"] == role
    assert worker.attributes["environment_names"] == ["SECRET"] and "s3cr3t-value" not in json.dumps(worker.to_dict())
    assert nodes[url].kind == "lambda.url" and nodes[url].attributes["auth_type"] == "NONE"
    assert {(e.source, e.target, e.kind.value) for e in facts.edges if function in (e.source, e.target)} == {
        (function, f"arn:aws:logs:{R}:{function.split(':')[4]}:log-group:/aws/lambda/worker", "writes"),
        (function, role, "part_of"), (queue_arn, function, "reads"), (url, function, "invokes")}
    assert ctx.api_calls["lambda:ListFunctionUrlConfigs"] == 2


# --- the rules of functions where data enters ----------------------------------------------------------

API_ROLE = f"arn:aws:iam::{A}:role/api"
ORDERS = f"arn:aws:dynamodb:{R}:{A}:table/orders"
ROUTE = f"arn:aws:execute-api:{R}:{A}:abc123/*/POST/orders"
API_FUNCTION = f"arn:aws:lambda:{R}:{A}:function:api"
URL = "https://q1w2e3r4t5y6u7i8o9p0.lambda-url.eu-west-1.on.aws/"
EV = (Evidence("test:Fixture", "fixture"),)
WILDCARD, OPEN_URL_RULE, OPEN_URL_PII, OUTSIDE_VPC = (
    "lambda.role_wildcard_actions", "lambda.url_without_auth", "lambda.url_without_auth_on_personal_data",
    "lambda.outside_vpc_reaching_vpc_store")


def _role(*statements: dict[str, Any], role_id: str = API_ROLE, **attached: Any) -> Node:
    """A role as `collectors.iam` makes it from an inline policy holding `statements`."""
    record = {"Reference": role_id, "Role": {"Arn": role_id, "RoleName": role_id.rsplit("/", 1)[-1], **attached},
              "Inline": [{"PolicyName": "inline", "PolicyDocument": {"Version": "2012-10-17",
                                                                     "Statement": list(statements)}}],
              "Attached": []}
    return iam.transform_role(record, {}, A)


def _allow(action: Any, resource: Any, **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def _api_function(in_vpc: bool = False, role: str = API_ROLE, function_id: str = API_FUNCTION) -> Node:
    return Node(function_id, "lambda.function", function_id.rsplit(":", 1)[-1], Stage.PROCESSING, A, R, True,
                {"role": role, "in_vpc": in_vpc})


def _route() -> Node:
    return Node(ROUTE, "apigateway.route", "POST /orders", Stage.GENERATION, A, R, True, {})


def _findings(nodes: list[Node], edges: list[tuple[str, str, EdgeKind]]) -> dict[str, dict[str, Finding]]:
    graph = build_graph([Facts(tuple(nodes), tuple(Edge(s, t, k, EV) for s, t, k in edges))])
    found: dict[str, dict[str, Finding]] = {}
    for finding in evaluate(graph).findings:
        found.setdefault(finding.rule, {})[finding.node] = finding
    return found


BEHIND_ROUTE = [(ROUTE, API_FUNCTION, EdgeKind.INVOKES), (API_FUNCTION, ORDERS, EdgeKind.WRITES)]


@pytest.mark.parametrize(("statements", "edges", "fires"), [
    ([_allow("dynamodb:*", ORDERS)], BEHIND_ROUTE, True),
    ([_allow(["dynamodb:*"], f"{ORDERS}*")], BEHIND_ROUTE, True),  # a pattern covering the table
    ([_allow("*", "*")], BEHIND_ROUTE, True),  # everything, whatever the flows
    ([_allow("sqs:*", "*")], BEHIND_ROUTE, True),  # a whole service on every resource
    ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], BEHIND_ROUTE, True),  # all but IAM
    ([_allow("dynamodb:*", ORDERS)], BEHIND_ROUTE[1:], False),  # no API upstream
    ([_allow(["dynamodb:PutItem", "dynamodb:GetItem"], ORDERS)], BEHIND_ROUTE, False),  # what it needs
    ([_allow("dynamodb:Get*", ORDERS)], BEHIND_ROUTE, False),  # a family of reads, not the whole service
    ([_allow("dynamodb:*", f"arn:aws:dynamodb:{R}:{A}:table/other")], BEHIND_ROUTE, False),  # not its flows
    ([_allow("s3:*", ORDERS)], BEHIND_ROUTE, False),  # another service's actions on the table mean nothing
    ([{"Effect": "Allow", "Action": "dynamodb:*", "NotResource": ORDERS}], BEHIND_ROUTE, False),  # not judged
    ([{"Effect": "Deny", "Action": "*", "Resource": "*"}], BEHIND_ROUTE, False),
])
def test_a_wildcard_on_what_a_function_behind_an_api_touches(statements: list[dict[str, Any]],
                                                             edges: list[tuple[str, str, EdgeKind]],
                                                             fires: bool) -> None:
    found = _findings([_route(), _api_function(), _role(*statements)], edges)
    assert (API_FUNCTION in found.get(WILDCARD, {})) is fires


def test_the_wildcard_finding_names_the_policy_the_statement_and_the_entry() -> None:
    role = _role(_allow("dynamodb:*", ORDERS), {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"})
    finding = _findings([_route(), _api_function(), role], BEHIND_ROUTE)[WILDCARD][API_FUNCTION]
    assert finding.severity == Severity.HIGH and finding.category.value == "exposure"
    assert "dynamodb:* on " + ORDERS in finding.message and "POST /orders" in finding.message
    assert "1 Deny statement(s)" in finding.message
    policy, entry = finding.evidence
    assert (policy.operation, policy.path) == ("iam:GetRolePolicy", "Statement[0].Action")
    assert policy.resource == f"{API_ROLE} inline policy inline" and policy.excerpt == f"dynamodb:* on {ORDERS}"
    assert entry.resource == ROUTE


def test_s3_object_patterns_cover_the_paths_a_function_writes_and_an_alias_url_is_an_entry() -> None:
    alias = f"{API_FUNCTION}:live"
    url = Node(URL, "lambda.url", "api:live URL", Stage.GENERATION, A, R, True,
               {"auth_type": "AWS_IAM", "function": API_FUNCTION})
    edges = [(URL, alias, EdgeKind.INVOKES), (alias, API_FUNCTION, EdgeKind.INVOKES),
             (API_FUNCTION, "arn:aws:s3:::lake/exports/daily", EdgeKind.WRITES)]
    for pattern, fires in (("arn:aws:s3:::lake/*", True), ("arn:aws:s3:::lake/exports/*", True),
                           ("arn:aws:s3:::lake/ex?orts/*", True), ("arn:aws:s3:::lake", False),
                           ("arn:aws:s3:::other/*", False)):
        found = _findings([url, _api_function(), _role(_allow("s3:*", pattern))], edges)
        assert (API_FUNCTION in found.get(WILDCARD, {})) is fires, pattern
    # The role named by a reference without its path is found all the same; one not read judges nothing.
    named = _role(_allow("s3:*", "*"), role_id=f"arn:aws:iam::{A}:role/service-role/api")
    named = Node(named.id, named.kind, named.name, named.stage, named.account, "", True,
                 {**named.attributes, "named_as": [API_ROLE]})
    assert API_FUNCTION in _findings([url, _api_function(), named], edges)[WILDCARD]
    assert WILDCARD not in _findings([url, _api_function()], edges)


def _open_url(auth_type: str = "NONE") -> Node:
    return Node(URL, "lambda.url", "api URL", Stage.GENERATION, A, R, True,
                {"auth_type": auth_type, "function": API_FUNCTION, "cors": {"allow_origins": ["*"]}})


def test_an_open_function_url_is_medium_and_high_where_its_function_carries_personal_data() -> None:
    people = Node("arn:aws:s3:::people", "s3.bucket", "people", Stage.STORAGE, A, R, True,
                  {"tags": {"lineage:pii": "email"}})
    plain = _findings([_open_url(), _api_function()], [(URL, API_FUNCTION, EdgeKind.INVOKES)])
    assert plain[OPEN_URL_RULE][URL].severity == Severity.MEDIUM and OPEN_URL_PII not in plain
    assert "from a browser" in plain[OPEN_URL_RULE][URL].message  # CORS allows any origin
    assert plain[OPEN_URL_RULE][URL].evidence[0].excerpt == f"{URL}: AuthType NONE"
    personal = _findings([_open_url(), _api_function(), people], [(URL, API_FUNCTION, EdgeKind.INVOKES),
                                                                   (API_FUNCTION, people.id, EdgeKind.REFERENCES)])
    assert OPEN_URL_RULE not in personal
    assert personal[OPEN_URL_PII][URL].severity == Severity.HIGH and "(email)" in personal[OPEN_URL_PII][URL].message
    signed = _findings([_open_url("AWS_IAM"), _api_function(), people], [
        (URL, API_FUNCTION, EdgeKind.INVOKES), (API_FUNCTION, people.id, EdgeKind.REFERENCES)])
    assert OPEN_URL_RULE not in signed and OPEN_URL_PII not in signed


@pytest.mark.parametrize(("in_vpc", "store_in_vpc", "behind_api", "fires"), [
    (False, True, True, True),
    (True, True, True, False),  # in a VPC itself
    (False, False, True, False),  # the store is not in one
    (False, None, True, False),  # not known
    (False, True, False, False),  # nothing calls it from outside
])
def test_a_function_outside_the_vpc_of_a_store_it_reaches(in_vpc: bool, store_in_vpc: bool | None,
                                                          behind_api: bool, fires: bool) -> None:
    store_id = f"arn:aws:rds:{R}:{A}:db:orders"
    attributes = {} if store_in_vpc is None else {"in_vpc": store_in_vpc}
    store = Node(store_id, "rds.db_instance", "orders", Stage.STORAGE, A, R, True, attributes)
    edges = [(API_FUNCTION, store_id, EdgeKind.REFERENCES)] + ([(ROUTE, API_FUNCTION, EdgeKind.INVOKES)]
                                                               if behind_api else [])
    found = _findings([_route(), _api_function(in_vpc=in_vpc), store], edges)
    assert (API_FUNCTION in found.get(OUTSIDE_VPC, {})) is fires
    if fires:
        assert found[OUTSIDE_VPC][API_FUNCTION].severity == Severity.MEDIUM
        assert "orders (rds.db_instance)" in found[OUTSIDE_VPC][API_FUNCTION].message
