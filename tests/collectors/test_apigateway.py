"""API Gateway: the get on recorded answers through botocore's Stubber (REST APIs, their resources and HTTP
APIs' routes in two pages each, APIs deleted between listing and reading, a method
GetResources gave without its detail), the transform on what it read (routes, integrations to every kind of
target, mapping templates as evidence, stages, authorisers), the rules on that graph, answers no transform
expected, the get on moto, and the demo estate scanned end to end in moto."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from collectors import apigateway
from collectors.context import AwsContext
from lineage import arn as arns
from lineage.graph import build_graph
from lineage.model import EdgeKind, Facts, Node, ScanStatus, Severity, Stage, stage_for
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
LEARNING, INTERNAL, EVENTS, CHAT = (f"arn:aws:execute-api:{R}:{A}:{api}"
                                    for api in ("a1b2c3d4e5", "p1r2i3v4a5", "h1t2t3p4", "w1s2s3k4"))
FUNCTION = f"arn:aws:lambda:{R}:{A}:function:"
TABLE = f"arn:aws:dynamodb:{R}:{A}:table/enrollments"
LOG_GROUP = f"arn:aws:logs:{R}:{A}:log-group:API-Gateway-Access-Logs_a1b2c3d4e5/prod"
QUEUES = f"arn:aws:sqs:{R}:{A}:"
EXECUTION_LOGS = f"arn:aws:logs:{R}:{A}:log-group:API-Gateway-Execution-Logs_a1b2c3d4e5"


def _gone(stub: Stubber, method: str, params: dict[str, Any]) -> None:
    stub.add_client_error(method, "NotFoundException", "Invalid API identifier specified", 404,
                          expected_params=params)


def _stub_rest(stub: Stubber, answers: dict[str, Any]) -> None:
    pages = answers["GetRestApis"]
    stub.add_response("get_rest_apis", parsed("apigateway", "GetRestApis", pages[0]), {})
    stub.add_response("get_rest_apis", parsed("apigateway", "GetRestApis", pages[1]),
                      {"position": pages[0]["position"]})
    for api_id in ("a1b2c3d4e5", "p1r2i3v4a5"):
        stub.add_response("get_stages", parsed("apigateway", "GetStages", answers["GetStages"][api_id]),
                          {"restApiId": api_id})
        listing = {"restApiId": api_id, "embed": ["methods"], "limit": 500}
        position = ""
        for page in answers["GetResources"][api_id]:
            stub.add_response("get_resources", parsed("apigateway", "GetResources", page),
                              {**listing, **({"position": position} if position else {})})
            position = page.get("position", "")
        stub.add_response("get_authorizers", parsed("apigateway", "GetAuthorizers", answers["GetAuthorizers"][api_id]),
                          {"restApiId": api_id})
    _gone(stub, "get_stages", {"restApiId": "g0n3g0n3g0"})


def _stub_http(stub: Stubber, answers: dict[str, Any]) -> None:
    pages = answers["GetApis"]
    stub.add_response("get_apis", parsed("apigatewayv2", "GetApis", pages[0]), {})
    stub.add_response("get_apis", parsed("apigatewayv2", "GetApis", pages[1]), {"NextToken": pages[0]["nextToken"]})
    for api_id, authorizer in (("h1t2t3p4", "jwt0001"), ("w1s2s3k4", "lam0001")):
        stub.add_response("get_stages", parsed("apigatewayv2", "GetStages", answers["GetStagesV2"][api_id]),
                          {"ApiId": api_id})
        token = ""
        for page in answers["GetRoutes"][api_id]:
            stub.add_response("get_routes", parsed("apigatewayv2", "GetRoutes", page),
                              {"ApiId": api_id, **({"NextToken": token} if token else {})})
            token = page.get("nextToken", "")
        stub.add_response("get_integrations", parsed("apigatewayv2", "GetIntegrations",
                                                     answers["GetIntegrations"][api_id]), {"ApiId": api_id})
        stub.add_response("get_authorizer", parsed("apigatewayv2", "GetAuthorizer",
                                                   answers["GetAuthorizer"][authorizer]),
                          {"ApiId": api_id, "AuthorizerId": authorizer})
    stub.add_response("get_domain_names", parsed("apigatewayv2", "GetDomainNames", answers["GetDomainNames"]), {})
    for domain, mappings in answers["GetApiMappings"].items():
        stub.add_response("get_api_mappings", parsed("apigatewayv2", "GetApiMappings", mappings),
                          {"DomainName": domain})


def _recorded_read() -> dict[str, Any]:
    answers = recorded("apigateway")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    rest, http = Stubber(ctx.client("apigateway", R)), Stubber(ctx.client("apigatewayv2", R))
    _stub_rest(rest, answers)
    _stub_http(http, answers)
    with rest:
        return read_through(http, ctx, apigateway.get_apigateway, R)


@pytest.fixture(scope="module")
def facts() -> Facts:
    return apigateway.transform_apigateway(_recorded_read(), A, R)


def _nodes(facts: Facts) -> dict[str, Node]:
    return {node.id: node for node in facts.nodes}


def _flows(facts: Facts) -> set[tuple[str, EdgeKind, str]]:
    return {(e.source, e.kind, e.target) for e in facts.edges if e.kind != EdgeKind.PART_OF}


def test_every_api_read_and_those_deleted_meanwhile_left_out(facts: Facts) -> None:
    apis = {n.id: n for n in facts.nodes if n.kind == "apigateway.api"}
    assert set(apis) == {LEARNING, INTERNAL, EVENTS, CHAT}  # the REST API deleted meanwhile: nothing, no gap
    assert facts.gaps == ()
    learning = apis[LEARNING]
    assert learning.name == "learning-api" and learning.stage == Stage.GENERATION and learning.observed
    assert learning.attributes["endpoint_types"] == ["REGIONAL"] and learning.attributes["private"] is False
    assert learning.attributes["endpoint"] == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    assert learning.attributes["routes"] == 10 and "unread" not in learning.attributes
    assert learning.attributes["authorizers"] == {
        "tok3n1": {"name": "token-checker", "type": "REQUEST", "function": f"{FUNCTION}token-checker"},
        "c0gn1t": {"name": "students", "type": "COGNITO_USER_POOLS",
                   "user_pools": [f"arn:aws:cognito-idp:{R}:{A}:userpool/eu-west-1_AbCdEfGhI"]}}
    prod, staging = learning.attributes["stages"]
    assert prod == {"name": "prod", "web_acl": f"arn:aws:wafv2:{R}:{A}:regional/webacl/api-protection/"
                                               "0a1b2c3d-4e5f-6789-abcd-ef0123456789",
                    "access_log_destination": LOG_GROUP, "client_certificate": None, "tracing": True,
                    "execution_logging": ["ERROR"], "data_trace": False,
                    "throttling": {"throttlingRateLimit": 100.0, "throttlingBurstLimit": 200},
                    "tags": {"env": "prod"}}
    assert staging == {"name": "staging", "web_acl": None, "access_log_destination": None,
                       "client_certificate": "cl13ntc3rt", "tracing": False, "execution_logging": ["INFO"],
                       "data_trace": True}
    assert apis[INTERNAL].attributes["private"] is True and apis[INTERNAL].attributes["stages"] == []
    assert apis[EVENTS].attributes["protocol"] == "HTTP" and "unread" not in apis[EVENTS].attributes
    # An HTTP API's stage keeps what a REST stage keeps, but a web ACL: such an API cannot take one.
    assert apis[EVENTS].attributes["stages"] == [{
        "name": "$default", "access_log_destination": f"arn:aws:logs:{R}:{A}:log-group:/aws/apigateway/learning-events",
        "client_certificate": None, "auto_deploy": True, "execution_logging": [], "data_trace": False,
        "throttling": {"throttlingRateLimit": 1000.0, "throttlingBurstLimit": 500}, "tags": {"team": "web"}}]
    # A WebSocket stage logs every message in full when data tracing is on, and keeps no access log here.
    [chat_stage] = apis[CHAT].attributes["stages"]
    assert (chat_stage["execution_logging"], chat_stage["data_trace"], chat_stage["access_log_destination"]) == (
        ["INFO"], True, None)
    assert apis[EVENTS].attributes["authorizers"]["jwt0001"] == {
        "name": "students", "type": "JWT", "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI"}
    assert apis[CHAT].attributes["protocol"] == "WEBSOCKET" and apis[CHAT].attributes["routes"] == 3
    # Callers of v1 on the platform's domain must show a client certificate; the events domain takes TLS 1.0.
    assert learning.attributes["custom_domains"] == [{
        "name": "api.learning.example.edu", "endpoint_types": ["REGIONAL"], "security_policy": "TLS_1_2",
        "mutual_tls": True, "truststore": "s3://lp-truststores/partners.pem", "path": "v1", "stage": "prod"}]
    assert apis[EVENTS].attributes["custom_domains"] == [{
        "name": "events.learning.example.edu", "endpoint_types": ["EDGE"], "security_policy": "TLS_1_0",
        "mutual_tls": False, "path": "", "stage": "$default"}]
    assert apis[CHAT].attributes["custom_domains"] == [] and apis[INTERNAL].attributes["custom_domains"] == []


def test_each_method_and_route_is_a_node_part_of_its_api(facts: Facts) -> None:
    routes = {n.id: n for n in facts.nodes if n.kind == "apigateway.route"}
    assert set(routes) == {
        f"{LEARNING}/*/GET/", f"{LEARNING}/*/POST/enrollments", f"{LEARNING}/*/OPTIONS/enrollments",
        f"{LEARNING}/*/GET/enrollments/{{id}}", f"{LEARNING}/*/POST/clicks", f"{LEARNING}/*/POST/certificates",
        f"{LEARNING}/*/POST/jobs", f"{LEARNING}/*/POST/events", f"{LEARNING}/*/GET/exports/{{key}}",
        f"{LEARNING}/*/*/legacy", f"{INTERNAL}/*/GET/grades",
        f"{EVENTS}/*/POST/clicks", f"{EVENTS}/*/$default", f"{EVENTS}/*/POST/signup", f"{EVENTS}/*/GET/partner",
        f"{EVENTS}/*/POST/announcements", f"{EVENTS}/*/*/orders/{{proxy+}}",
        f"{CHAT}/*/$connect", f"{CHAT}/*/sendMessage", f"{CHAT}/*/$disconnect"}
    structure = {(e.source, e.target) for e in facts.edges if e.kind == EdgeKind.PART_OF}
    assert structure == {(route, route.split("/*/")[0]) for route in routes}
    enrollments = routes[f"{LEARNING}/*/POST/enrollments"]
    assert enrollments.name == "POST /enrollments" and enrollments.stage == Stage.GENERATION
    assert enrollments.attributes["auth_type"] == "CUSTOM"
    assert enrollments.attributes["authorizer"] == {"id": "tok3n1", "name": "token-checker", "type": "REQUEST",
                                                    "function": f"{FUNCTION}token-checker"}
    assert routes[f"{LEARNING}/*/GET/enrollments/{{id}}"].attributes["scopes"] == ["enrollments/read"]
    assert routes[f"{LEARNING}/*/*/legacy"].attributes["unread"] == ["method"]  # GetResources gave no detail
    assert routes[f"{LEARNING}/*/POST/certificates"].attributes["api_key_required"] is True
    assert routes[f"{CHAT}/*/sendMessage"].attributes["authorized_at_connect"] == "CUSTOM"
    assert "authorized_at_connect" not in routes[f"{CHAT}/*/$connect"].attributes
    assert routes[f"{EVENTS}/*/POST/clicks"].attributes["integration"] == {
        "type": "AWS_PROXY", "subtype": "Kinesis-PutRecord", "role": f"arn:aws:iam::{A}:role/api-kinesis-put"}


def test_each_integration_is_a_flow_to_what_it_names(facts: Facts) -> None:
    clicks_stream = arns.dynamic_id(f"{LEARNING}/*/POST/clicks",
                                    "resourceMethods.POST.methodIntegration.requestTemplates.application/json.StreamName")
    orders = arns.dynamic_id(f"{EVENTS}/*/*/orders/{{proxy+}}", "Items[sfn001].RequestParameters.StateMachineArn")
    assert _flows(facts) == {
        ("https://www.example.edu/courses", EdgeKind.READS, f"{LEARNING}/*/GET/"),
        (f"{LEARNING}/*/POST/enrollments", EdgeKind.INVOKES, f"{FUNCTION}enrollment-api"),
        (TABLE, EdgeKind.READS, f"{LEARNING}/*/GET/enrollments/{{id}}"),
        (f"{LEARNING}/*/POST/clicks", EdgeKind.WRITES, clicks_stream),
        (f"{LEARNING}/*/POST/certificates", EdgeKind.WRITES, f"{QUEUES}certificate-requests"),
        (f"{LEARNING}/*/POST/jobs", EdgeKind.INVOKES, f"arn:aws:states:{R}:{A}:stateMachine:enrollment-etl"),
        (f"{LEARNING}/*/POST/events", EdgeKind.WRITES, f"arn:aws:events:{R}:{A}:event-bus/learning-platform"),
        ("arn:aws:s3:::lp-exports/reports", EdgeKind.READS, f"{LEARNING}/*/GET/exports/{{key}}"),
        (LEARNING, EdgeKind.WRITES, LOG_GROUP),
        (LEARNING, EdgeKind.WRITES, f"{EXECUTION_LOGS}/prod"),
        (LEARNING, EdgeKind.WRITES, f"{EXECUTION_LOGS}/staging"),
        (EVENTS, EdgeKind.WRITES, f"arn:aws:logs:{R}:{A}:log-group:/aws/apigateway/learning-events"),
        (LEARNING, EdgeKind.INVOKES, f"{FUNCTION}token-checker"),
        (f"{INTERNAL}/*/GET/grades", EdgeKind.INVOKES, f"{FUNCTION}grades-api"),
        (f"{EVENTS}/*/POST/clicks", EdgeKind.WRITES, f"arn:aws:kinesis:{R}:{A}:stream/clickstream"),
        (f"{EVENTS}/*/$default", EdgeKind.INVOKES, f"{FUNCTION}events-fallback"),
        (f"{EVENTS}/*/POST/signup", EdgeKind.WRITES, f"{QUEUES}signups"),
        ("https://partner.example.com/catalogue", EdgeKind.READS, f"{EVENTS}/*/GET/partner"),
        (f"{EVENTS}/*/POST/announcements", EdgeKind.WRITES, f"arn:aws:events:{R}:{A}:event-bus/default"),
        (f"{EVENTS}/*/*/orders/{{proxy+}}", EdgeKind.INVOKES, orders),
        (f"{CHAT}/*/$connect", EdgeKind.INVOKES, f"{FUNCTION}course-chat"),
        (f"{CHAT}/*/sendMessage", EdgeKind.INVOKES, f"{FUNCTION}course-chat"),
        (f"{CHAT}/*/$disconnect", EdgeKind.INVOKES, f"{FUNCTION}course-chat"),
        (CHAT, EdgeKind.INVOKES, f"{FUNCTION}chat-authorizer"),
    }
    nodes = _nodes(facts)
    assert nodes[clicks_stream].kind == "kinesis.stream" and nodes[clicks_stream].attributes["dynamic"] is True
    assert nodes[orders].kind == "states.state_machine"
    assert nodes["https://partner.example.com/catalogue"].kind == "external"


def test_mapping_templates_are_the_evidence_and_keep_no_secret(facts: Facts) -> None:
    evidence = {(e.source, e.target): e.evidence for e in facts.edges}
    [read] = evidence[(TABLE, f"{LEARNING}/*/GET/enrollments/{{id}}")]
    assert read.operation == "apigateway:GetResources" and read.dynamic is False
    assert read.path == "resourceMethods.GET.methodIntegration.requestTemplates.application/json.TableName"
    # The name the template sets, not the template: the rest of it (a key, a literal value) is not kept.
    assert read.excerpt == "TableName: enrollments"
    assert "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz" not in json.dumps([e.to_dict() for es in evidence.values() for e in es])
    [dynamic] = [e for (source, _), es in evidence.items() if source == f"{LEARNING}/*/POST/clicks" for e in es]
    assert dynamic.dynamic is True and "$input.params('stream')" in dynamic.excerpt
    [partner] = evidence[("https://partner.example.com/catalogue", f"{EVENTS}/*/GET/partner")]
    assert "Qw3rTy8uIoP1aSdFgHjK" not in partner.excerpt
    [root] = evidence[("https://www.example.edu/courses", f"{LEARNING}/*/GET/")]
    assert "abc123def456ghi789" not in root.excerpt
    routes = _nodes(facts)
    assert "abc123def456ghi789" not in json.dumps(dict(routes[f"{LEARNING}/*/GET/"].attributes))
    [log] = evidence[(LEARNING, LOG_GROUP)]
    assert (log.operation, log.path) == ("apigateway:GetStages", "item[prod].accessLogSettings.destinationArn")
    [traced] = evidence[(LEARNING, f"{EXECUTION_LOGS}/staging")]
    assert (traced.path, traced.excerpt) == ("item[staging].methodSettings", "loggingLevel INFO, dataTraceEnabled True")


def test_the_rules_on_the_recorded_apis() -> None:
    facts = apigateway.transform_apigateway(_recorded_read(), A, R)
    # Sign-ups are kept with the students' e-mail addresses: the queue says so.
    signups = Node(f"{QUEUES}signups", "sqs.queue", "signups", stage_for("sqs.queue"), A, R, True,
                   {"tags": {"lineage:pii": "email"}})
    graph = build_graph([facts, Facts((signups,))])
    found = {(f.rule, f.node): f for f in evaluate(graph).findings
             if f.rule.startswith("apigateway.")}
    assert {(rule, node, f.severity) for (rule, node), f in found.items()} == {
        ("apigateway.route_without_authorization", f"{LEARNING}/*/GET/", Severity.MEDIUM),
        ("apigateway.route_without_authorization", f"{LEARNING}/*/POST/jobs", Severity.MEDIUM),
        ("apigateway.route_without_authorization", f"{EVENTS}/*/$default", Severity.MEDIUM),
        ("apigateway.route_without_authorization", f"{EVENTS}/*/*/orders/{{proxy+}}", Severity.MEDIUM),
        ("apigateway.personal_data_route_without_authorization", f"{EVENTS}/*/POST/signup", Severity.HIGH),
        ("apigateway.stage_without_waf", LEARNING, Severity.MEDIUM),
        ("apigateway.access_logging_off", LEARNING, Severity.LOW),
        ("apigateway.access_logging_off", CHAT, Severity.LOW),  # a WebSocket stage with execution logs only
    }
    # Not judged open: the CORS preflight, a method wanting an API key, a PRIVATE API's, IAM, JWT and Cognito
    # routes, a WebSocket message on a connection `$connect` authorised, a method whose detail was not read.
    signup = found[("apigateway.personal_data_route_without_authorization", f"{EVENTS}/*/POST/signup")]
    assert "signups (email)" in signup.message and "update-route" in signup.remediation
    assert signup.evidence[0].operation == "apigatewayv2:GetRoutes"
    assert json.loads(signup.evidence[0].excerpt) == {"api_key_required": False, "auth_type": "NONE"}
    waf = found[("apigateway.stage_without_waf", LEARNING)]
    assert "stage(s) staging" in waf.message and "associate-web-acl" in waf.remediation
    assert [e.path for e in waf.evidence] == ["item[staging].webAclArn"]
    logging = found[("apigateway.access_logging_off", LEARNING)]
    assert "staging" in logging.message and "prod" not in logging.message


def test_answers_no_transform_expected_cost_only_themselves() -> None:
    answers = recorded("apigateway")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    rest, http = Stubber(ctx.client("apigateway", R)), Stubber(ctx.client("apigatewayv2", R))
    internal = answers["GetRestApis"][0]["item"][1]
    # An API without its name, a resource without its path: each dropped with a gap of its own.
    rest.add_response("get_rest_apis", parsed("apigateway", "GetRestApis", {"item": [{"id": "n0n4m3n0n4"},
                                                                                      internal]}), {})
    rest.add_response("get_stages", parsed("apigateway", "GetStages", {}), {"restApiId": "p1r2i3v4a5"})  # no item
    page = answers["GetResources"]["p1r2i3v4a5"][0]
    page["item"].insert(0, {"id": "n0p4th"})
    listing = {"restApiId": "p1r2i3v4a5", "embed": ["methods"], "limit": 500}
    rest.add_response("get_resources", parsed("apigateway", "GetResources", page), listing)
    rest.add_response("get_authorizers", parsed("apigateway", "GetAuthorizers", {"item": []}),
                      {"restApiId": "p1r2i3v4a5"})
    http.add_response("get_apis", parsed("apigatewayv2", "GetApis", {"items": []}), {})
    http.add_response("get_domain_names", parsed("apigatewayv2", "GetDomainNames", {}), {})  # no items: a gap
    with rest, http:
        read = apigateway.get_apigateway(ctx, R)
    ctx.close()
    assert sorted((g.operation, g.resource) for g in ctx.gaps) == [
        ("GetDomainNames", R), ("GetResources", "p1r2i3v4a5"), ("GetRestApis", R), ("GetStages", "p1r2i3v4a5")]
    facts = apigateway.transform_apigateway(read, A, R)
    node = _nodes(facts)[INTERNAL]
    assert node.attributes["unread"] == ["stages", "custom_domains"] and "stages" not in node.attributes
    assert f"{INTERNAL}/*/GET/grades" in _nodes(facts)
    # A record whose shape no transform expected is a gap on that API alone.
    odd = apigateway.transform_apigateway({"RestApis": [{"Api": {"id": "0dd0dd0dd0"}}], "HttpApis": None}, A, R)
    assert odd.nodes == () and [(g.operation, g.resource) for g in odd.gaps] == [("GetResources", "0dd0dd0dd0")]


def test_an_http_api_deleted_meanwhile_is_left_out_and_one_whose_stages_fail_stays_a_node() -> None:
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    rest, http = Stubber(ctx.client("apigateway", R)), Stubber(ctx.client("apigatewayv2", R))
    rest.add_response("get_rest_apis", parsed("apigateway", "GetRestApis", {"item": []}), {})
    retired = {"apiId": "g0n3h77p", "name": "retired-events", "protocolType": "HTTP",
               "routeSelectionExpression": "$request.method $request.path"}
    kept = {"apiId": "k33p1t", "name": "kept-events", "protocolType": "HTTP",
            "routeSelectionExpression": "$request.method $request.path"}
    http.add_response("get_apis", parsed("apigatewayv2", "GetApis", {"items": [retired, kept]}), {})
    _gone(http, "get_stages", {"ApiId": "g0n3h77p"})  # its first read says it is gone: nothing more is asked
    http.add_client_error("get_stages", "AccessDeniedException", "not authorized", expected_params={"ApiId": "k33p1t"})
    http.add_response("get_routes", parsed("apigatewayv2", "GetRoutes", {"items": []}), {"ApiId": "k33p1t"})
    http.add_response("get_integrations", parsed("apigatewayv2", "GetIntegrations", {"items": []}),
                      {"ApiId": "k33p1t"})
    http.add_response("get_domain_names", parsed("apigatewayv2", "GetDomainNames", {"items": []}), {})
    with rest, http:
        read = apigateway.get_apigateway(ctx, R)
    ctx.close()
    assert [(g.service, g.operation, g.resource) for g in ctx.gaps] == [("apigatewayv2", "GetStages", "k33p1t")]
    [node] = apigateway.transform_apigateway(read, A, R).nodes
    assert node.name == "kept-events" and node.attributes["unread"] == ["stages"]
    assert node.attributes["custom_domains"] == []


def test_ids_and_kinds_of_routes() -> None:
    api = apigateway.api_arn(R, A, "abc123")
    assert apigateway.route_arn(api, "post", "/enrollments") == f"{api}/*/POST/enrollments"
    assert apigateway.route_arn(api, "ANY", "/") == f"{api}/*/*/"
    assert apigateway.route_key_arn(api, "GET /items/{id}") == f"{api}/*/GET/items/{{id}}"
    assert apigateway.route_key_arn(api, "$default") == f"{api}/*/$default"
    assert apigateway.route_key_arn(api, "$connect") == f"{api}/*/$connect"
    assert arns.kind_for_arn(api) == "apigateway.api"
    assert arns.kind_for_arn(f"{api}/*/POST/enrollments") == "apigateway.route"
    assert arns.kind_for_arn(f"{api}/prod/POST/enrich") == "apigateway.route"
    assert arns.kind_for_arn(f"arn:aws:apigateway:{R}::/restapis/abc123") == "apigateway.api"


def test_get_on_moto_reads_methods_integrations_stages_and_routes() -> None:
    with mock_aws():
        session = boto3.Session(region_name=R, aws_access_key_id="t", aws_secret_access_key="t")
        rest = session.client("apigateway")
        api = rest.create_rest_api(name="shop", endpointConfiguration={"types": ["EDGE"]})["id"]
        root = rest.get_resources(restApiId=api)["items"][0]["id"]
        orders = rest.create_resource(restApiId=api, parentId=root, pathPart="orders")["id"]
        rest.put_method(restApiId=api, resourceId=orders, httpMethod="POST", authorizationType="NONE")
        rest.put_integration(restApiId=api, resourceId=orders, httpMethod="POST", type="AWS",
                             integrationHttpMethod="POST", uri=f"arn:aws:apigateway:{R}:sqs:path/{A}/orders")
        rest.create_deployment(restApiId=api, stageName="live")
        http = session.client("apigatewayv2")
        events = http.create_api(Name="events", ProtocolType="HTTP")["ApiId"]
        target = http.create_integration(ApiId=events, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
                                         IntegrationUri=f"{FUNCTION}ingest")["IntegrationId"]
        http.create_route(ApiId=events, RouteKey="POST /events", Target=f"integrations/{target}",
                          AuthorizationType="AWS_IAM")
        ctx = AwsContext(session, [R], workers=2, max_attempts=1)
        facts = apigateway.transform_apigateway(apigateway.get_apigateway(ctx, R), A, R)
        ctx.close()
    assert ctx.gaps == []
    shop = f"arn:aws:execute-api:{R}:{A}:{api}"
    assert _flows(facts) == {(f"{shop}/*/POST/orders", EdgeKind.WRITES, f"{QUEUES}orders"),
                             (f"arn:aws:execute-api:{R}:{A}:{events}/*/POST/events", EdgeKind.INVOKES,
                              f"{FUNCTION}ingest")}
    node = _nodes(facts)[shop]
    assert [stage["name"] for stage in node.attributes["stages"]] == ["live"]
    assert _nodes(facts)[f"{shop}/*/POST/orders"].attributes["auth_type"] == "NONE"


def test_the_demo_scanned_in_moto_holds_the_route_to_the_function_both_observed() -> None:
    from lineage.demo import ACCOUNT, REGION, build_estate
    from lineage.scan import ScanOptions, run_scan

    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
        build_estate(lambda service: session.client(service))
        scan, _ = run_scan(ScanOptions(regions=(REGION,)), session=session)
    assert scan.status == ScanStatus.COMPLETE, scan.coverage_gaps
    nodes = {n.id: n for n in scan.nodes}
    [api] = [n for n in scan.nodes if n.kind == "apigateway.api" and n.name == "learning-platform-api"]
    route = f"{api.id}/*/POST/enrollments"
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:enrollment-api"
    assert nodes[route].observed and nodes[function].observed
    assert (route, function, EdgeKind.INVOKES) in {(e.source, e.target, e.kind) for e in scan.edges}
    assert nodes[route].attributes["auth_type"] == "COGNITO_USER_POOLS"
    findings = {(f.rule, f.node): f.severity for f in scan.findings}
    assert findings[("apigateway.personal_data_route_without_authorization", f"{api.id}/*/GET/courses")] == \
        Severity.HIGH
    assert ("apigateway.stage_without_waf", api.id) in findings
    assert not [key for key in findings if key[1] in (route, f"{api.id}/*/OPTIONS/courses")]
    [clicks] = [n for n in scan.nodes if n.kind == "apigateway.route" and n.name == "POST /clicks"]
    stream = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/lp-clickstream"
    assert (clicks.id, stream, EdgeKind.WRITES) in {(e.source, e.target, e.kind) for e in scan.edges}


def test_an_open_route_of_an_api_with_a_resource_policy_says_to_check_it() -> None:
    api = Node(LEARNING, "apigateway.api", "learning-api", stage_for("apigateway.api"), A, R, True,
               {"protocol": "REST", "private": False, "has_resource_policy": True})
    route = Node(f"{LEARNING}/*/GET/courses", "apigateway.route", "GET /courses", stage_for("apigateway.route"), A, R,
                 True, {"protocol": "REST", "method": "GET", "auth_type": "NONE", "api_key_required": False,
                        "endpoint_types": ["REGIONAL"], "api": "learning-api"})
    [finding] = [f for f in evaluate(build_graph([Facts((api, route))])).findings if f.node == route.id]
    assert finding.rule == "apigateway.route_without_authorization" and "resource policy" in finding.message


def test_a_bucket_named_by_its_subdomain_and_a_table_in_another_region_are_the_places_named() -> None:
    def method(uri: str, verb: str, templates: dict[str, str] | None = None) -> dict[str, Any]:
        return {"httpMethod": verb, "authorizationType": "AWS_IAM", "methodIntegration": {
            "type": "AWS", "httpMethod": "POST" if verb == "POST" else "GET", "uri": uri,
            **({"requestTemplates": templates} if templates else {})}}

    record = {"Api": {"id": "r3p0rt5", "name": "reports"}, "Resources": [
        {"id": "a", "path": "/reports/{key}", "resourceMethods": {
            "GET": method(f"arn:aws:apigateway:{R}:lp-reports.s3:path/monthly/{{key}}", "GET")}},
        {"id": "b", "path": "/scores", "resourceMethods": {
            "POST": method("arn:aws:apigateway:us-west-2:dynamodb:action/PutItem", "POST",
                           {"application/json": '{"TableName": "scores", "Item": {"email": {"S": "a@example.com"}}}'}),
            "GET": method(f"arn:aws:apigateway:{R}:kinesis:action/DescribeStream", "GET",
                          {"application/json": '{"StreamName": "scores-stream"}'})}}]}
    facts = apigateway.transform_rest_api(record, A, R)
    api = f"arn:aws:execute-api:{R}:{A}:r3p0rt5"
    assert _flows(facts) == {
        ("arn:aws:s3:::lp-reports/monthly", EdgeKind.READS, f"{api}/*/GET/reports/{{key}}"),
        (f"{api}/*/POST/scores", EdgeKind.WRITES, f"arn:aws:dynamodb:us-west-2:{A}:table/scores"),
        # An action whose direction is not known names the stream, and says no more.
        (f"{api}/*/GET/scores", EdgeKind.REFERENCES, f"arn:aws:kinesis:{R}:{A}:stream/scores-stream"),
    }
    assert "a@example.com" not in json.dumps([e.to_dict() for edge in facts.edges for e in edge.evidence])
    # A route that only reads answers callers with what rests in AWS: there data is used, not generated.
    stages = {n.id: n.stage for n in facts.nodes if n.kind == "apigateway.route"}
    assert stages == {f"{api}/*/GET/reports/{{key}}": Stage.USAGE, f"{api}/*/POST/scores": Stage.GENERATION,
                      f"{api}/*/GET/scores": Stage.GENERATION}
