"""AppSync: the get on recorded answers through botocore's Stubber (APIs and one API's data sources in two
pages, an API deleted between listing and reading), the transform on what it read (a flow to what each
kind of data source names), the rules on that graph, an answer no transform expected, and the get on moto
with the data sources `lineage.moto_support` serves."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import appsync
from collectors.context import AwsContext
from lineage.graph import build_graph
from lineage.model import EdgeKind, Facts, Severity, Stage
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
CATALOG, ADMIN = (f"arn:aws:appsync:{R}:{A}:apis/{api}"
                  for api in ("c4t4l0gc4t4l0gc4t4l0gc4t4l", "4dm1n4dm1n4dm1n4dm1n4dm1n4"))


def _recorded_read() -> list[dict[str, Any]]:
    answers = recorded("appsync")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("appsync", R))
    pages = answers["ListGraphqlApis"]
    stub.add_response("list_graphql_apis", parsed("appsync", "ListGraphqlApis", pages[0]), {})
    stub.add_response("list_graphql_apis", parsed("appsync", "ListGraphqlApis", pages[1]),
                      {"nextToken": pages[0]["nextToken"]})
    for api_id, sources in answers["ListDataSources"].items():
        token = ""
        for page in sources:
            stub.add_response("list_data_sources", parsed("appsync", "ListDataSources", page),
                              {"apiId": api_id, **({"nextToken": token} if token else {})})
            token = page.get("nextToken", "")
    stub.add_client_error("list_data_sources", "NotFoundException", "GraphQL API r3t1r3d not found.", 404,
                          expected_params={"apiId": "r3t1r3dr3t1r3dr3t1r3dr3t1r"})
    return read_through(stub, ctx, appsync.get_appsync, R)


def test_recorded_apis_become_nodes_with_their_ways_in() -> None:
    facts = appsync.transform_appsync(_recorded_read(), A, R)
    apis = {n.id: n for n in facts.nodes if n.kind == "appsync.api"}
    assert set(apis) == {CATALOG, ADMIN}  # the API deleted meanwhile holds nothing, and is no gap
    assert facts.gaps == ()
    catalog, admin = apis[CATALOG], apis[ADMIN]
    assert catalog.name == "course-catalog" and catalog.stage == Stage.GENERATION and catalog.observed
    assert catalog.attributes["authentication"] == ["API_KEY"]
    assert (catalog.attributes["visibility"], catalog.attributes["waf_web_acl"]) == ("GLOBAL", None)
    assert catalog.attributes["field_log_level"] == "ALL" and catalog.attributes["tags"] == {"team": "web"}
    assert catalog.attributes["endpoint"] == "https://abcdefghij1234567890.appsync-api.eu-west-1.amazonaws.com/graphql"
    assert [s["name"] for s in catalog.attributes["data_sources"]] == [
        "enrollments", "recommendations", "reviews", "search", "gradebook", "announcements", "local"]
    assert admin.attributes["authentication"] == ["AMAZON_COGNITO_USER_POOLS", "API_KEY", "AWS_LAMBDA"]
    assert admin.attributes["authorizer_functions"] == [f"arn:aws:lambda:{R}:{A}:function:staff-badge-check"]
    assert admin.attributes["visibility"] == "PRIVATE" and admin.attributes["xray"] is True


def test_each_data_source_is_a_flow_of_the_direction_it_is_known_to_have() -> None:
    facts = appsync.transform_appsync(_recorded_read(), A, R)
    flows = {(e.source, e.kind, e.target) for e in facts.edges}
    assert flows == {
        (CATALOG, EdgeKind.REFERENCES, f"arn:aws:dynamodb:{R}:{A}:table/enrollments"),
        (CATALOG, EdgeKind.INVOKES, f"arn:aws:lambda:{R}:{A}:function:recommend"),
        (CATALOG, EdgeKind.REFERENCES, "https://reviews.example.com/v1"),
        (CATALOG, EdgeKind.REFERENCES, "https://search-courses-abcdefghijklmnopqrstuvwxyz.eu-west-1.es.amazonaws.com"),
        (CATALOG, EdgeKind.REFERENCES, f"arn:aws:rds:{R}:{A}:cluster:gradebook"),
        (CATALOG, EdgeKind.WRITES, f"arn:aws:events:{R}:{A}:event-bus/learning-platform"),
        (CATALOG, EdgeKind.WRITES, f"arn:aws:logs:{R}:{A}:log-group:/aws/appsync/apis/c4t4l0gc4t4l0gc4t4l0gc4t4l"),
        (ADMIN, EdgeKind.REFERENCES, f"arn:aws:rds:{R}:{A}:cluster:staff-db"),
        (ADMIN, EdgeKind.INVOKES, f"arn:aws:lambda:{R}:{A}:function:staff-badge-check"),
    }
    evidence = {e.target: e.evidence[0] for e in facts.edges}
    table = evidence[f"arn:aws:dynamodb:{R}:{A}:table/enrollments"]
    assert (table.operation, table.path) == ("appsync:ListDataSources", "dynamodbConfig.tableName")
    assert table.resource.endswith("/datasources/enrollments")
    assert "Zx9Qw8Er7Ty6Ui5Op4As" not in json.dumps([e.to_dict() for e in evidence.values()])
    assert {n.id: n.kind for n in facts.nodes if n.kind == "external"} == {
        "https://reviews.example.com/v1": "external",
        "https://search-courses-abcdefghijklmnopqrstuvwxyz.eu-west-1.es.amazonaws.com": "external"}


def test_the_rules_on_the_recorded_apis() -> None:
    graph = build_graph([appsync.transform_appsync(_recorded_read(), A, R)])
    found = {(f.rule, f.node): f for f in evaluate(graph).findings if f.rule.startswith("appsync.")}
    # The admin API is PRIVATE behind a web ACL, and wants a Cognito user unless a field allows a key.
    assert {(rule, node, f.severity) for (rule, node), f in found.items()} == {
        ("appsync.api_key_only", CATALOG, Severity.MEDIUM),
        ("appsync.api_without_waf", CATALOG, Severity.MEDIUM)}
    key_only = found[("appsync.api_key_only", CATALOG)]
    assert key_only.evidence[0].excerpt == "API_KEY" and "update-graphql-api" in key_only.remediation
    assert "associate-web-acl" in found[("appsync.api_without_waf", CATALOG)].remediation


def test_data_sources_not_read_leave_the_api_with_them_unread_and_an_odd_answer_costs_only_its_api() -> None:
    api = recorded("appsync")["ListGraphqlApis"][0]["graphqlApis"][0]
    [node] = appsync.transform_appsync([{"Api": api}], A, R).nodes
    assert node.attributes["unread"] == ["data_sources"] and "data_sources" not in node.attributes
    odd = {"Api": {**api, "apiId": "0dd", "arn": f"arn:aws:appsync:{R}:{A}:apis/0dd"},
           "DataSources": [{"name": "x", "type": "AMAZON_DYNAMODB", "dynamodbConfig": "not a mapping"}]}
    facts = appsync.transform_appsync([odd, {"Api": api, "DataSources": []}], A, R)
    assert [n.id for n in facts.nodes] == [CATALOG]
    assert [(g.operation, g.resource) for g in facts.gaps] == [("ListGraphqlApis", f"arn:aws:appsync:{R}:{A}:apis/0dd")]


def test_get_on_moto_lists_the_apis_and_their_data_sources() -> None:
    with mock_aws():
        session = boto3.Session(region_name=R, aws_access_key_id="t", aws_secret_access_key="t")
        client = session.client("appsync")
        api = client.create_graphql_api(name="shop", authenticationType="AWS_IAM")["graphqlApi"]
        client.create_data_source(apiId=api["apiId"], name="orders", type="AMAZON_DYNAMODB",
                                  dynamodbConfig={"tableName": "orders", "awsRegion": R})
        client.create_data_source(apiId=api["apiId"], name="checkout", type="AWS_LAMBDA",
                                  lambdaConfig={"lambdaFunctionArn": f"arn:aws:lambda:{R}:{A}:function:checkout"})
        ctx = AwsContext(session, [R], workers=1, max_attempts=1)
        facts = appsync.transform_appsync(appsync.get_appsync(ctx, R), A, R)
        ctx.close()
    assert ctx.gaps == []
    # The table is named in the API's own account (moto's), whatever account the scan was told.
    moto = api["arn"].split(":")[4]
    assert {(e.kind, e.target) for e in facts.edges} == {
        (EdgeKind.REFERENCES, f"arn:aws:dynamodb:{R}:{moto}:table/orders"),
        (EdgeKind.INVOKES, f"arn:aws:lambda:{R}:{A}:function:checkout")}
    [node] = facts.nodes
    assert node.attributes["authentication"] == ["AWS_IAM"] and node.attributes["visibility"] == "GLOBAL"
    assert Facts(facts.nodes).nodes[0].id == api["arn"]
