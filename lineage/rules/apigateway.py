"""Rules for where data enters through APIs: API Gateway methods and routes anyone can call, public REST
stages without a web firewall or an access log, and AppSync APIs open to the internet or guarded only by
an API key.

An unauthenticated route is judged by where its data goes: a route whose flows reach personal data (a
store labelled as holding it, or a node it already reaches) is the door to that data, and is reported
as more severe than one that only reaches places without it. Personal data flows downstream from the
stores labelled as holding it, so it never reaches a route, which stands upstream of everything: the
route's own reach, downstream and through flows of unknown direction, is what says it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from lineage.graph import Graph
from lineage.model import Category, Evidence, Node, Severity
from lineage.pii import carries_personal_data, categories_of, handling_of, labels_of
from lineage.rules import Hit, rule

_EXEMPT_METHODS = frozenset({"OPTIONS"})  # CORS preflight: answers with headers only, by design without auth


def _route_evidence(node: Node) -> tuple[Evidence, ...]:
    attributes = node.attributes
    said = {key: attributes[key] for key in ("auth_type", "api_key_required", "endpoint_types",
                                             "authorized_at_connect") if key in attributes}
    if attributes.get("protocol") == "REST":
        operation, path = "apigateway:GetResources", f"resourceMethods.{attributes.get('method')}"
    else:
        operation, path = "apigatewayv2:GetRoutes", f"Items[{attributes.get('route_key')}]"
    return (Evidence(operation, node.id, f"{path}.authorizationType, apiKeyRequired",
                     json.dumps(said, sort_keys=True)[:300]),)


def _open_to_anyone(node: Node) -> bool:
    """Whether anyone who finds the endpoint can call the route: no authorisation, no API key, reachable from
    the internet (not a PRIVATE REST API), not a CORS preflight, not a WebSocket message on a connection an
    authorised `$connect` let in (that route is judged instead)."""
    attributes = node.attributes
    authorization = attributes.get("auth_type")
    if authorization is None:  # the method could not be read
        return False
    if str(attributes.get("method", "")).upper() in _EXEMPT_METHODS:
        return False
    if "PRIVATE" in (attributes.get("endpoint_types") or ()):
        return False
    if "authorized_at_connect" in attributes:
        return False  # judged on its API's `$connect` route
    return str(authorization).upper() == "NONE" and not attributes.get("api_key_required")


_REACHED = "apigateway.personal_data_reached"  # graph.memo: route id → what `personal_data_reached` found
_STOPS = "apigateway.masking_nodes"  # graph.memo: the nodes that mask or drop personal data, found once


def personal_data_reached(graph: Graph, node: Node) -> list[str]:
    """The nodes holding or carrying personal data that what enters at `node` reaches, nearest first (past no
    node that masks or drops it); walked once per route, though two rules ask."""
    known: dict[str, list[str]] = graph.memo.setdefault(_REACHED, {})
    if node.id not in known:
        stops = graph.memo.get(_STOPS)
        if stops is None:
            stops = graph.memo[_STOPS] = {node_id for node_id, other in graph.nodes.items() if handling_of(other)}
        reached = graph.reach(node.id, stops=stops)
        found = [(r.distance, node_id) for node_id, r in reached.items() if node_id != node.id
                 and (labels_of(graph.nodes[node_id]) or carries_personal_data(graph.nodes[node_id]))]
        known[node.id] = [node_id for _, node_id in sorted(found)]
    return known[node.id]


def _name(graph: Graph, node_id: str) -> str:
    node = graph.nodes.get(node_id)
    return node.name if node is not None and node.name else node_id


def _categories(graph: Graph, node_ids: list[str]) -> list[str]:
    found: set[str] = set()
    for node_id in node_ids:
        node = graph.nodes[node_id]
        found.update(categories_of(node))
        personal = node.attributes.get("personal_data")
        if isinstance(personal, Mapping):
            found.update(str(c) for c in personal.get("categories") or ())
    return sorted(found)


def _open_route_hit(graph: Graph, node: Node, reached: list[str]) -> Hit:
    api = node.attributes.get("api") or node.attributes.get("api_id")
    message = (f"Route {node.name} of API {api} takes requests from anyone: authorization NONE and no API key "
               "required.")
    if reached:
        shown = ", ".join(_name(graph, n) for n in reached[:3])
        categories = ", ".join(_categories(graph, reached)) or "personal data"
        message += f" What it receives reaches {shown} ({categories})."
    owner = graph.nodes.get(node.id.split("/*/", 1)[0])
    if owner is not None and owner.attributes.get("has_resource_policy"):
        message += " The API has a resource policy: check whether it limits who may call (source IP, VPC endpoint)."
    return Hit(node.id, message, _route_evidence(node))


def route_without_authorization(graph: Graph, node: Node) -> Iterator[Hit]:
    if _open_to_anyone(node) and not personal_data_reached(graph, node):
        yield _open_route_hit(graph, node, [])


_ROUTE_REMEDIATION = (
    "Give the method an authoriser (REST: aws apigateway update-method --rest-api-id ID --resource-id RID "
    "--http-method POST --patch-operations op=replace,path=/authorizationType,value=COGNITO_USER_POOLS "
    "op=replace,path=/authorizerId,value=AUTHORIZER_ID, or AWS_IAM; HTTP API: aws apigatewayv2 update-route "
    "--api-id ID --route-id RID --authorization-type JWT --authorizer-id AUTHORIZER_ID), then redeploy the stage "
    "(aws apigateway create-deployment). If the route is public on purpose, say so with a usage plan and throttling."
)

rule(
    route_without_authorization,
    id="apigateway.route_without_authorization",
    title="API route anyone can call",
    category=Category.EXPOSURE,
    severity=Severity.MEDIUM,
    remediation=_ROUTE_REMEDIATION,
    kinds=("apigateway.route",),
)


def personal_data_route_without_authorization(graph: Graph, node: Node) -> Iterator[Hit]:
    if not _open_to_anyone(node):
        return
    reached = personal_data_reached(graph, node)
    if reached:
        yield _open_route_hit(graph, node, reached)


rule(
    personal_data_route_without_authorization,
    id="apigateway.personal_data_route_without_authorization",
    title="API route anyone can call leads to personal data",
    # A finding about personal data itself, so never raised again for carrying it (a route that writes
    # straight into a store labelled as holding it is said to carry it as its writer).
    category=Category.PII,
    severity=Severity.HIGH,
    remediation=_ROUTE_REMEDIATION,
    kinds=("apigateway.route",),
)


def _stages(node: Node) -> list[Mapping[str, Any]]:
    stages = node.attributes.get("stages")
    return [s for s in stages if isinstance(s, Mapping)] if isinstance(stages, list) else []


def stage_without_waf(graph: Graph, node: Node) -> Iterator[Hit]:
    # Only REST API stages take a web ACL; a PRIVATE API is reachable from a VPC only.
    if node.attributes.get("protocol") != "REST" or node.attributes.get("private"):
        return
    bare = [stage for stage in _stages(node) if not stage.get("web_acl")]
    if not bare:
        return
    names = ", ".join(str(stage.get("name")) for stage in bare)
    types = "/".join(node.attributes.get("endpoint_types") or ()) or "public"
    evidence = tuple(Evidence("apigateway:GetStages", node.id, f"item[{stage.get('name')}].webAclArn", "none")
                     for stage in bare[:5])
    yield Hit(node.id, f"API {node.name} ({types}) serves stage(s) {names} with no WAF web ACL: nothing filters "
              "injection, bots or request floods before they reach the integrations.", evidence)


rule(
    stage_without_waf,
    id="apigateway.stage_without_waf",
    title="Public REST API stage without a WAF web ACL",
    category=Category.EXPOSURE,
    severity=Severity.MEDIUM,
    remediation=(
        "Associate a regional AWS WAF web ACL (with the AWS managed core rule set and a rate-based rule) with "
        "the stage: aws wafv2 associate-web-acl --web-acl-arn WEB_ACL_ARN --resource-arn "
        "arn:aws:apigateway:REGION::/restapis/API_ID/stages/STAGE. HTTP APIs cannot take a web ACL: put "
        "CloudFront with one in front of them."
    ),
    kinds=("apigateway.api",),
)


def access_logging_off(graph: Graph, node: Node) -> Iterator[Hit]:
    silent = [stage for stage in _stages(node) if not stage.get("access_log_destination")]
    if not silent:
        return
    names = ", ".join(str(stage.get("name")) for stage in silent)
    rest = node.attributes.get("protocol") == "REST"
    operation, path = ("apigateway:GetStages", "item[{}].accessLogSettings") if rest else (
        "apigatewayv2:GetStages", "Items[{}].AccessLogSettings")
    evidence = tuple(Evidence(operation, node.id, path.format(stage.get("name")), "none") for stage in silent[:5])
    yield Hit(node.id, f"API {node.name} keeps no access log on stage(s) {names}: who called which route, from "
              "where, cannot be told after the fact.", evidence)


rule(
    access_logging_off,
    id="apigateway.access_logging_off",
    title="API stage without access logging",
    # Exposure: without the log nobody can tell who reached the data through the API, nor contain a leak.
    category=Category.EXPOSURE,
    severity=Severity.LOW,
    remediation=(
        "Send the stage's access log to a log group with a retention period: aws apigateway update-stage "
        "--rest-api-id ID --stage-name STAGE --patch-operations op=replace,path=/accessLogSettings/destinationArn,"
        "value=LOG_GROUP_ARN op=replace,path=/accessLogSettings/format,value='$context.requestId "
        "$context.identity.sourceIp $context.routeKey $context.status' (HTTP APIs: aws apigatewayv2 update-stage "
        "--access-log-settings). The log holds caller IPs and identities: give it a retention and a key."
    ),
    kinds=("apigateway.api",),
)


def _appsync_evidence(node: Node, path: str, excerpt: str) -> tuple[Evidence, ...]:
    return (Evidence("appsync:ListGraphqlApis", node.id, path, excerpt[:300]),)


def appsync_api_without_waf(graph: Graph, node: Node) -> Iterator[Hit]:
    if node.attributes.get("visibility") != "GLOBAL" or node.attributes.get("waf_web_acl"):
        return
    yield Hit(node.id, f"GraphQL API {node.name} is reachable from the internet (visibility GLOBAL) with no WAF web "
              "ACL: nothing limits query floods or filters malicious requests before the resolvers run.",
              _appsync_evidence(node, "wafWebAclArn", "none (visibility GLOBAL)"))


rule(
    appsync_api_without_waf,
    id="appsync.api_without_waf",
    title="Public AppSync API without a WAF web ACL",
    category=Category.EXPOSURE,
    severity=Severity.MEDIUM,
    remediation=(
        "Associate a regional AWS WAF web ACL with a rate-based rule with the API: aws wafv2 associate-web-acl "
        "--web-acl-arn WEB_ACL_ARN --resource-arn arn:aws:appsync:REGION:ACCOUNT:apis/API_ID."
    ),
    kinds=("appsync.api",),
)


def appsync_api_key_only(graph: Graph, node: Node) -> Iterator[Hit]:
    ways = [str(way) for way in node.attributes.get("authentication") or ()]
    if not ways or any(way != "API_KEY" for way in ways):
        return
    yield Hit(node.id, f"GraphQL API {node.name} lets in anyone holding an API key, and nothing else: keys ship "
              "inside web and mobile apps, so every query and mutation is open to whoever reads one out.",
              _appsync_evidence(node, "authenticationType, additionalAuthenticationProviders", ", ".join(ways)))


rule(
    appsync_api_key_only,
    id="appsync.api_key_only",
    title="AppSync API guarded by an API key only",
    category=Category.EXPOSURE,
    severity=Severity.MEDIUM,
    remediation=(
        "Make Cognito user pools, OIDC, IAM or a Lambda authoriser the default authentication (aws appsync "
        "update-graphql-api --api-id ID --name NAME --authentication-type AMAZON_COGNITO_USER_POOLS "
        "--user-pool-config …), keep API_KEY only as an additional provider for public read-only fields marked "
        "@aws_api_key in the schema."
    ),
    kinds=("appsync.api",),
)
