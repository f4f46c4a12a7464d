"""API Gateway: where data enters — REST APIs (v1) and HTTP and WebSocket APIs (v2), each method or route
with who may call it and where its integration sends what it receives.

Each API is a generation node (`arn:aws:execute-api:REGION:ACCOUNT:API_ID`) and each method or route one
of its own (`…:API_ID/*/METHOD/path`), part of it; the flow runs from the route to its integration's
target: a function it invokes, a queue, stream, bus or table it writes (or a table or bucket it reads),
a state machine it starts, a web endpoint it forwards to. Where the target is named by a mapping
template or request parameter, the literal name is the target and an expression (`$input…`,
`$request…`, `${stageVariables…}`) a place known only at run time; the template is the evidence.

Who may call: the method's authorisation (NONE, AWS_IAM, CUSTOM through a Lambda authoriser,
COGNITO_USER_POOLS, JWT) and whether it wants an API key; a REST API's endpoint type (a PRIVATE API is
reachable only from a VPC). A REST stage keeps its web ACL, access log destination, client certificate
and throttling on the API's node; the access log (caller IPs and identities) is a flow from the API into
its destination, and a Lambda authoriser is a function the API invokes with each caller's token.

What is read, per region: GetRestApis; per REST API GetStages, GetResources with `embed=methods` (AWS
then gives every method with its integration in the one answer, up to 500 resources a page) and
GetAuthorizers; GetApis; per HTTP or WebSocket API GetRoutes and GetIntegrations, and GetAuthorizer for
each authoriser a route names; GetDomainNames (apigatewayv2's, which lists REST and HTTP APIs' custom
domains alike, with their TLS policy and mutual TLS trust store) and GetApiMappings per domain; per HTTP or
WebSocket API its GetStages (access log destination, default route settings, client certificate). Both
clients sign as `apigateway` and share operation names: the v2 calls are counted and named in gaps as
`apigatewayv2:…`, and every read is `apigateway:GET` in IAM.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from collectors.context import AwsContext, each_answer, each_resource, every_page, is_gone
from collectors.declarations import Call, Collector
from lineage import arn as arns
from lineage import redact
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, Stage, stage_for

# API Gateway's IAM actions are the HTTP verbs of its management API: every read here is `apigateway:GET`.
_READ = "apigateway:GET"
_GONE = ("NotFoundException",)
GET_REST_APIS = Call("apigateway", "get_rest_apis", result_key="items", required=("id", "name"), iam_action=_READ)
# The first read of each REST API: one deleted since it was listed answers NotFoundException, and is left
# out rather than reported as a gap (GetStages is a single answer, read through `ctx.call`).
GET_STAGES = Call("apigateway", "get_stages", required=("item",), gone=_GONE, iam_action=_READ)
GET_RESOURCES = Call("apigateway", "get_resources", result_key="items", required=("id", "path"), iam_action=_READ)
GET_AUTHORIZERS = Call("apigateway", "get_authorizers", result_key="items", required=("id", "type"),
                       iam_action=_READ)
GET_APIS = Call("apigatewayv2", "get_apis", result_key="Items", required=("ApiId", "Name", "ProtocolType"),
                iam_action=_READ)
GET_ROUTES = Call("apigatewayv2", "get_routes", result_key="Items", required=("RouteKey",), iam_action=_READ)
GET_INTEGRATIONS = Call("apigatewayv2", "get_integrations", result_key="Items", required=("IntegrationId",),
                        iam_action=_READ)
# The first read of each HTTP or WebSocket API: one deleted since it was listed answers NotFoundException.
GET_HTTP_STAGES = Call("apigatewayv2", "get_stages", required=("Items",), gone=_GONE, iam_action=_READ)
# One call per authoriser a route names (an API has one or two), not GetAuthorizers: that is the REST API's
# name too (both clients sign as `apigateway`).
GET_AUTHORIZER = Call("apigatewayv2", "get_authorizer", required=("AuthorizerId", "AuthorizerType"), gone=_GONE,
                      iam_action=_READ)
# Custom domain names, REST and HTTP alike (apigatewayv2 lists them all, with their mutual TLS), and which API
# and stage each path of one serves.
GET_DOMAIN_NAMES = Call("apigatewayv2", "get_domain_names", result_key="Items", required=("DomainName",),
                        iam_action=_READ)
GET_API_MAPPINGS = Call("apigatewayv2", "get_api_mappings", result_key="Items", required=("ApiId",),
                        iam_action=_READ)
_MOST_RESOURCES_PER_PAGE = 500
_EXCERPT = 300


# --- get ------------------------------------------------------------------------------------------


def _read_rest_api(ctx: AwsContext, region: str, api: dict[str, Any]) -> dict[str, Any] | None:
    api_id = str(api["id"])
    record: dict[str, Any] = {"Api": api}
    stages = every_page(ctx, GET_STAGES, region, api_id, ("item", ("stageName",)), ("", ""), restApiId=api_id)
    if is_gone(stages):
        return None  # deleted since it was listed
    if stages is not None:
        record["Stages"] = stages
    # Routes are a listing of their own: when it fails, the API's routes are what it costs.
    resources = ctx.pages(GET_RESOURCES, region, api_id, restApiId=api_id, embed=["methods"],
                          limit=_MOST_RESOURCES_PER_PAGE)
    if resources is not None:
        record["Resources"] = resources
    authorizers = ctx.pages(GET_AUTHORIZERS, region, api_id, restApiId=api_id)
    if authorizers is not None:
        record["Authorizers"] = authorizers
    return record


def _read_http_api(ctx: AwsContext, region: str, api: dict[str, Any]) -> dict[str, Any] | None:
    api_id = str(api["ApiId"])
    record: dict[str, Any] = {"Api": api}
    stages = every_page(ctx, GET_HTTP_STAGES, region, api_id, ("Items", ("StageName",)), ("NextToken", "NextToken"),
                        ApiId=api_id)
    if is_gone(stages):
        return None  # deleted since it was listed
    if stages is not None:
        record["Stages"] = stages
    routes = ctx.pages(GET_ROUTES, region, api_id, ApiId=api_id)
    if routes is not None:
        record["Routes"] = routes
    integrations = ctx.pages(GET_INTEGRATIONS, region, api_id, ApiId=api_id)
    if integrations is not None:
        record["Integrations"] = integrations
    authorizers: list[dict[str, Any]] = []
    for authorizer_id in sorted({str(r["AuthorizerId"]) for r in routes or () if r.get("AuthorizerId")}):
        answer = ctx.call(GET_AUTHORIZER, region, f"{api_id}/{authorizer_id}", ApiId=api_id,
                          AuthorizerId=authorizer_id)
        if answer is None:
            record["AuthorizersUnread"] = True
        elif not is_gone(answer):
            authorizers.append(answer)
    record["Authorizers"] = authorizers
    return record


def _read_domains(ctx: AwsContext, region: str) -> list[dict[str, Any]] | None:
    domains = ctx.pages(GET_DOMAIN_NAMES, region, region)
    if domains is None:
        return None

    def read(domain: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {"Domain": domain}
        name = str(domain["DomainName"])
        mappings = ctx.pages(GET_API_MAPPINGS, region, name, DomainName=name)
        if mappings is not None:
            record["Mappings"] = mappings
        return record

    return ctx.map(read, domains)


def get_apigateway(ctx: AwsContext, region: str) -> dict[str, Any]:
    rest = ctx.pages(GET_REST_APIS, region, region)
    http = ctx.pages(GET_APIS, region, region)
    return {
        "RestApis": None if rest is None else [
            r for r in ctx.map(lambda api: _read_rest_api(ctx, region, api), rest) if r is not None],
        "HttpApis": None if http is None else [
            r for r in ctx.map(lambda api: _read_http_api(ctx, region, api), http) if r is not None],
        "Domains": _read_domains(ctx, region),
    }


# --- ids ------------------------------------------------------------------------------------------


def api_arn(region: str, account: str, api_id: str) -> str:
    return arns.build_arn("execute-api", region, account, api_id)


def route_arn(api_id_arn: str, method: str, path: str) -> str:
    """`…:API_ID/*/METHOD/path` as execute-api ARNs write it: any stage, `*` for ANY, no leading `/`."""
    verb = "*" if method.upper() == "ANY" else method.upper()
    return f"{api_id_arn}/*/{verb}/{path.lstrip('/')}"


def route_key_arn(api_id_arn: str, route_key: str) -> str:
    """An HTTP API's `POST /clicks` as `…/*/POST/clicks`; `$default` and a WebSocket's keys as they are."""
    method, separator, path = route_key.partition(" ")
    if separator and path.startswith("/"):
        return route_arn(api_id_arn, method, path)
    return f"{api_id_arn}/*/{route_key}"


# --- targets --------------------------------------------------------------------------------------

# Values written by an expression the gateway resolves per request, never a name.
_EXPRESSION = re.compile(r"\$(?:input|context|util|stageVariables|request|method)\b|\$\{|\bstageVariables\.")
_LAMBDA_URI = re.compile(r"/functions/(?P<function>arn:[^/]+?)/invocations")
# `"TableName": "enrollments"`, `"StreamName": $input.path('$.stream')`, `\"QueueUrl\":…` in a template.
_TEMPLATE_NAME = re.compile(r"""\\?["'](?P<key>%s)\\?["']\s*:\s*(?P<value>\\?"[^"\\\n]*\\?"|[^,}\n]+)""")
# What a REST integration does, by service and action: the direction of the flow and the kind of its place.
_READ_ACTIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "GetRecords", "ReceiveMessage",
                           "GetObject", "ListObjects", "ListObjectsV2"})
_WRITE_ACTIONS = frozenset({"SendMessage", "SendMessageBatch", "PutRecord", "PutRecords", "PutRecordBatch",
                            "PutEvents", "Publish", "PutObject", "DeleteObject", "BatchWriteItem",
                            "StartExecution", "StartSyncExecution"})


class _Target:
    """Where an integration sends (or takes) the data, and how that was found."""

    def __init__(self, place: str, kind: str, direction: EdgeKind, evidence: Evidence) -> None:
        self.place, self.kind, self.direction, self.evidence = place, kind, direction, evidence


def _is_expression(value: str) -> bool:
    return bool(_EXPRESSION.search(value))


def _unquoted(value: str) -> str:
    value = value.strip().replace('\\"', '"')
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _named_in_template(templates: Mapping[str, Any], keys: Iterable[str]) -> tuple[str, str, str] | None:
    """(content type, key, value as written) of the first of `keys` a mapping template sets."""
    pattern = re.compile(_TEMPLATE_NAME.pattern % "|".join(re.escape(k) for k in keys))
    for content_type, template in sorted(templates.items()):
        found = pattern.search(str(template or ""))
        if found:
            return content_type, found.group("key"), _unquoted(found.group("value"))
    return None


def _named_in_parameters(parameters: Mapping[str, Any], keys: Iterable[str]) -> tuple[str, str] | None:
    """(parameter, value) of a REST integration's request parameter that sets one of `keys`
    (`integration.request.querystring.QueueUrl: "'https://…'"`: a literal is in single quotes)."""
    for name, value in sorted(parameters.items()):
        if name.rsplit(".", 1)[-1] in keys:
            text = str(value)
            return name, text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text
    return None


def _place_of(service: str, value: str, region: str, account: str) -> str | None:
    """The node id a name or ARN given to a service's action stands for; None when it names none."""
    value = value.strip()
    if not value:
        return None
    if value.startswith("arn:"):
        return arns.unqualified_lambda_arn(value)
    if service == "sqs":
        return arns.queue_url_to_arn(value)
    builders = {"dynamodb": arns.dynamodb_table_arn, "kinesis": arns.kinesis_stream_arn,
                "states": arns.state_machine_arn, "events": arns.event_bus_arn, "sns": arns.sns_topic_arn,
                "firehose": lambda r, a, n: arns.build_arn("firehose", r, a, f"deliverystream/{n}")}
    build = builders.get(service)
    return build(region, account, value) if build and "/" not in value else None


_KIND_OF_SERVICE = {"dynamodb": "dynamodb.table", "kinesis": "kinesis.stream", "states": "states.state_machine",
                    "events": "events.bus", "sqs": "sqs.queue", "sns": "sns.topic",
                    "firehose": "firehose.delivery_stream", "lambda": "lambda.function", "s3": "s3.location"}
# The request keys that name each service's place, in templates and request parameters.
_NAME_KEYS = {"dynamodb": ("TableName",), "kinesis": ("StreamName", "StreamARN"), "states": ("stateMachineArn",),
              "events": ("EventBusName",), "sqs": ("QueueUrl",), "sns": ("TopicArn",),
              "firehose": ("DeliveryStreamName",)}


def _direction(service: str, action: str, http_method: str) -> EdgeKind:
    if service in ("lambda", "states"):
        return EdgeKind.INVOKES
    if service == "s3":
        return EdgeKind.READS if http_method.upper() in ("GET", "HEAD") else EdgeKind.WRITES
    if action in _READ_ACTIONS:
        return EdgeKind.READS
    if action in _WRITE_ACTIONS or (service == "dynamodb" and action.endswith("Item")):
        return EdgeKind.WRITES
    return EdgeKind.REFERENCES  # an action whose direction this reader does not know (DescribeStream…)


class _Route:
    """One method or route being read into facts: its id, the document path of its integration, and what
    its integration names."""

    def __init__(self, route_id: str, operation: str, path: str, region: str, account: str) -> None:
        self.id, self.operation, self.path = route_id, operation, path
        self.region, self.account = region, account
        self.targets: list[_Target] = []
        self.warnings: list[str] = []

    def full(self, path: str) -> str:
        """Where inside the route's answer: its integration's path, then `path`."""
        return f"{self.path}.{path}" if self.path else path

    def evidence(self, path: str, excerpt: str, dynamic: bool = False) -> Evidence:
        return Evidence(self.operation, self.id, self.full(path), redact.short(excerpt, _EXCERPT), dynamic)

    def unknown(self, kind: str, direction: EdgeKind, path: str, excerpt: str) -> None:
        """A place the gateway resolves per request: `dynamic:<route>#<path>`, the expression as evidence."""
        self.add(arns.dynamic_id(self.id, self.full(path)), kind, direction, self.evidence(path, excerpt, True))

    def add(self, place: str, kind: str, direction: EdgeKind, evidence: Evidence) -> None:
        self.targets.append(_Target(place, kind, direction, evidence))

    def named(self, service: str, direction: EdgeKind, value: str, path: str, excerpt: str,
              region: str = "") -> None:
        """A place a template or parameter names: the literal's node, or a dynamic place for an expression. A
        bare name is in the region the integration's URI names (the route's own when it names none)."""
        kind = _KIND_OF_SERVICE.get(service, "external")
        if _is_expression(value):
            self.unknown(kind, direction, path, excerpt)
            return
        place = _place_of(service, value, region or self.region, self.account)
        if place is None:
            self.warnings.append(redact.short(f"{path}: {value!r} names no {kind}", 200))
            return
        self.add(place, arns.kind_for_arn(place) if place.startswith("arn:") else kind, direction,
                 self.evidence(path, excerpt))


def _rest_aws_target(route: _Route, integration: Mapping[str, Any]) -> None:
    """`arn:aws:apigateway:REGION:SERVICE:path/…|action/ACTION` and what the templates and parameters name."""
    uri = str(integration.get("uri") or "")
    parts = uri.split(":", 5)
    if len(parts) != 6 or parts[2] != "apigateway":
        route.warnings.append(redact.short(f"uri: {uri!r} is not an API Gateway service URI", 200))
        return
    region = parts[3] or route.region
    subdomain, _, service = parts[4].rpartition(".")  # `bucket.s3` names S3 through a bucket's subdomain
    how, _, rest = parts[5].partition("/")
    if service == "s3" and subdomain and how == "path":
        rest = f"{subdomain}/{rest}"  # the bucket is the subdomain; the whole path is the key
    if service == "lambda":
        found = _LAMBDA_URI.search(uri)
        if found is None:
            route.warnings.append(redact.short(f"uri: {uri!r} names no function", 200))
        else:
            route.named("lambda", EdgeKind.INVOKES, found.group("function"), "uri", uri)
        return
    action = rest if how == "action" else ""
    direction = _direction(service, action, str(integration.get("httpMethod") or ""))
    if service == "s3" and how == "path":
        bucket, _, key = rest.partition("/")
        if _is_expression(bucket) or bucket.startswith("{"):
            route.unknown("s3.location", direction, "uri", uri)
        else:
            prefix = key.split("{", 1)[0].rsplit("/", 1)[0] if "{" in key else key
            route.add(arns.s3_location_id(bucket, prefix), "s3.location", direction, route.evidence("uri", uri))
        return
    if service == "sqs" and how == "path":
        # The action is in the request (`Action=SendMessage`, the common case, which sends the body on).
        asked = f"{integration.get('requestTemplates') or ''} {integration.get('requestParameters') or ''}"
        direction = EdgeKind.READS if "ReceiveMessage" in asked else EdgeKind.WRITES
        account, _, queue = rest.partition("/")
        if account and queue and "/" not in queue:
            route.add(arns.sqs_queue_arn(region, account, queue), "sqs.queue", direction, route.evidence("uri", uri))
            return
    keys = _NAME_KEYS.get(service)
    if keys is None:
        return  # a service this reader does not follow: the integration stays on the route's node
    templates = integration.get("requestTemplates") or {}
    in_template = _named_in_template(templates, keys)
    if in_template is not None:
        content_type, key, value = in_template
        # The name the template sets, never the rest of it: a template may hold literals of any kind.
        route.named(service, direction, value, f"requestTemplates.{content_type}.{key}", f"{key}: {value}", region)
        return
    in_parameters = _named_in_parameters(integration.get("requestParameters") or {}, keys)
    if in_parameters is not None:
        name, value = in_parameters
        route.named(service, direction, value, f"requestParameters.{name}", f"{name}: {value}", region)
        return
    if service == "events":  # no bus named: PutEvents puts on the account's default bus
        route.add(arns.event_bus_arn(region, route.account, "default"), "events.bus", direction,
                  route.evidence("uri", f"{uri} (no EventBusName: the default bus)"))
        return
    route.unknown(_KIND_OF_SERVICE.get(service, "external"), direction, "requestTemplates",
                  f"{uri}: the {keys[0]} is set where this reader cannot see")


def _web_target(route: _Route, uri: str, http_method: str, path: str) -> None:
    if not uri:
        return
    if uri.startswith("arn:"):  # a load balancer's listener or a Cloud Map service behind a VPC link
        route.add(uri, arns.kind_for_arn(uri), EdgeKind.WRITES, route.evidence(path, uri))
        return
    if _is_expression(uri):
        route.unknown("external", EdgeKind.WRITES, path, uri)
        return
    direction = EdgeKind.READS if http_method.upper() == "GET" else EdgeKind.WRITES
    route.add(redact.endpoint(uri), "external", direction, route.evidence(path, uri))


def _integration_summary(integration: Mapping[str, Any], type_key: str, uri_key: str) -> dict[str, Any]:
    summary: dict[str, Any] = {"type": integration.get(type_key)}
    uri = integration.get(uri_key)
    if uri:
        summary["uri"] = redact.short(redact.endpoint(str(uri)) if "://" in str(uri) else str(uri), 500)
    for key, name in (("IntegrationSubtype", "subtype"), ("connectionType", "connection"),
                      ("ConnectionType", "connection"), ("credentials", "role"), ("CredentialsArn", "role")):
        if integration.get(key):
            summary[name] = integration[key]
    return summary


# --- transform: REST ------------------------------------------------------------------------------


def _authorizer_function(uri: str) -> str | None:
    found = _LAMBDA_URI.search(uri)
    return arns.unqualified_lambda_arn(found.group("function")) if found else (
        arns.unqualified_lambda_arn(uri) if uri.startswith("arn:") and ":lambda:" in uri else None)


def _authorizer_facts(api_id: str, authorizers: list[dict[str, Any]], operation: str, keys: Mapping[str, str]
                      ) -> tuple[dict[str, dict[str, Any]], list[Edge]]:
    """Authorisers by id, as kept on the API's node; a Lambda authoriser is a function the API invokes with
    each caller's token or request."""
    kept: dict[str, dict[str, Any]] = {}
    edges: list[Edge] = []
    for authorizer in authorizers:
        entry: dict[str, Any] = {"name": authorizer.get(keys["name"]), "type": authorizer.get(keys["type"])}
        providers = authorizer.get("providerARNs")
        if providers:
            entry["user_pools"] = list(providers)
        jwt = authorizer.get("JwtConfiguration") or {}
        if jwt.get("Issuer"):
            entry["issuer"] = redact.endpoint(str(jwt["Issuer"]))
        function = _authorizer_function(str(authorizer.get(keys["uri"]) or ""))
        if function:
            entry["function"] = function
            edges.append(Edge(api_id, function, EdgeKind.INVOKES, (Evidence(
                operation, api_id, f"{keys['uri']} of authorizer {authorizer.get(keys['id'])}",
                redact.short(str(authorizer.get(keys["uri"])), _EXCERPT)),)))
        kept[str(authorizer.get(keys["id"]))] = entry
    return kept, edges


_REST_AUTHORIZER_KEYS = {"id": "id", "name": "name", "type": "type", "uri": "authorizerUri"}
_HTTP_AUTHORIZER_KEYS = {"id": "AuthorizerId", "name": "Name", "type": "AuthorizerType", "uri": "AuthorizerUri"}


def _log_destination(arn: str) -> str:
    # An access log destination is a log group's ARN, sometimes with the `:*` DescribeLogGroups writes.
    return arn[:-2] if arn.endswith(":*") else arn


def _throttling(settings: Mapping[str, Any]) -> dict[str, Any]:
    every = settings.get("*/*") or {}
    return {key: every[key] for key in ("throttlingRateLimit", "throttlingBurstLimit") if key in every}


def _rest_stage(stage: Mapping[str, Any]) -> dict[str, Any]:
    logs = stage.get("accessLogSettings") or {}
    settings = stage.get("methodSettings") or {}
    kept: dict[str, Any] = {
        "name": stage["stageName"],
        "web_acl": stage.get("webAclArn"),
        "access_log_destination": _log_destination(str(logs["destinationArn"])) if logs.get("destinationArn")
        else None,
        "client_certificate": stage.get("clientCertificateId"),
        "tracing": bool(stage.get("tracingEnabled")),
        "execution_logging": sorted({str(s["loggingLevel"]) for s in settings.values()
                                     if isinstance(s, Mapping) and s.get("loggingLevel") not in (None, "OFF")}),
        # Execution logs with full requests and responses: bodies, headers, tokens.
        "data_trace": any(bool(s.get("dataTraceEnabled")) for s in settings.values() if isinstance(s, Mapping)),
    }
    throttling = _throttling(settings)
    if throttling:
        kept["throttling"] = throttling
    if stage.get("tags"):
        kept["tags"] = dict(stage["tags"])
    return kept


def _http_stage(stage: Mapping[str, Any]) -> dict[str, Any]:
    """An HTTP or WebSocket API's stage as a REST stage is kept; such a stage takes no web ACL."""
    logs = stage.get("AccessLogSettings") or {}
    defaults = stage.get("DefaultRouteSettings") or {}
    kept: dict[str, Any] = {
        "name": stage["StageName"],
        "access_log_destination": _log_destination(str(logs["DestinationArn"])) if logs.get("DestinationArn")
        else None,
        "client_certificate": stage.get("ClientCertificateId"),
        "auto_deploy": bool(stage.get("AutoDeploy")),
        # WebSocket APIs only: execution logs, with full messages when data tracing is on.
        "execution_logging": [str(defaults["LoggingLevel"])] if defaults.get("LoggingLevel") not in (None, "OFF")
        else [],
        "data_trace": bool(defaults.get("DataTraceEnabled")),
    }
    throttling = {key: defaults[name] for key, name in (("throttlingRateLimit", "ThrottlingRateLimit"),
                                                         ("throttlingBurstLimit", "ThrottlingBurstLimit"))
                  if name in defaults}
    if throttling:
        kept["throttling"] = throttling
    if stage.get("Tags"):
        kept["tags"] = dict(stage["Tags"])
    return kept


def _access_logs(api_node_id: str, stages: list[dict[str, Any]], operation: str, path: str) -> list[Edge]:
    """The API writes each stage's access log (caller IPs and identities) to its destination; `path` names the
    stage's field in the answer, `{}` standing for the stage's name."""
    return [Edge(api_node_id, stage["access_log_destination"], EdgeKind.WRITES, (Evidence(
        operation, api_node_id, path.format(stage["name"]), stage["access_log_destination"]),))
        for stage in stages if stage["access_log_destination"]]


def _execution_log(api_node_id: str, api_id: str, stage: Mapping[str, Any], region: str, account: str) -> Edge:
    """A stage with execution logging writes to the log group API Gateway names after the API and stage; with
    data tracing, every request and response body lands there."""
    group = arns.log_group_arn(region, account, f"API-Gateway-Execution-Logs_{api_id}/{stage['name']}")
    said = f"loggingLevel {'/'.join(stage['execution_logging']) or 'OFF'}, dataTraceEnabled {stage['data_trace']}"
    return Edge(api_node_id, group, EdgeKind.WRITES, (Evidence(
        "apigateway:GetStages", api_node_id, f"item[{stage['name']}].methodSettings", said),))


def _route_stage(route: _Route) -> Stage:
    """Where data enters, unless the route only reads (a GET answered from a table or bucket): there the data
    leaves the estate for whoever calls, and the route is where it is used."""
    reads_only = bool(route.targets) and all(t.direction == EdgeKind.READS for t in route.targets)
    return Stage.USAGE if reads_only else stage_for("apigateway.route")


def _route_facts(route: _Route, name: str, api_node_id: str, attributes: dict[str, Any]) -> Facts:
    if route.warnings:
        attributes["warnings"] = route.warnings
    nodes: list[Node] = [Node(route.id, "apigateway.route", name, _route_stage(route), route.account, route.region,
                              True, attributes)]
    edges: list[Edge] = [Edge(route.id, api_node_id, EdgeKind.PART_OF)]
    for target in route.targets:
        if arns.is_dynamic(target.place):
            nodes.append(arns.referenced_node(target.place, target.kind, {
                "dynamic": True, "expression": target.evidence.excerpt}))
        elif target.kind == "external":
            nodes.append(arns.referenced_node(target.place, target.kind))
        if target.direction == EdgeKind.READS:
            edges.append(Edge(target.place, route.id, target.direction, (target.evidence,)))
        else:
            edges.append(Edge(route.id, target.place, target.direction, (target.evidence,)))
    return Facts(tuple(nodes), tuple(edges))


def _rest_method_facts(api: Mapping[str, Any], api_node_id: str, resource: Mapping[str, Any], verb: str,
                       method: Mapping[str, Any], authorizers: Mapping[str, Any], region: str, account: str,
                       ) -> Facts:
    path = str(resource["path"])
    route = _Route(route_arn(api_node_id, verb, path), "apigateway:GetResources",
                   f"resourceMethods.{verb}.methodIntegration", region, account)
    types = list((api.get("endpointConfiguration") or {}).get("types") or ())
    attributes: dict[str, Any] = {"api": api.get("name"), "api_id": api["id"], "protocol": "REST",
                                  "method": verb, "path": path, "endpoint_types": types}
    if "authorizationType" not in method:  # GetResources answered without the embedded method
        attributes["unread"] = ["method"]
        return _route_facts(route, f"{verb} {path}", api_node_id, attributes)
    attributes["auth_type"] = method.get("authorizationType")
    attributes["api_key_required"] = bool(method.get("apiKeyRequired"))
    authorizer_id = method.get("authorizerId")
    if authorizer_id:
        attributes["authorizer"] = {"id": authorizer_id, **authorizers.get(str(authorizer_id), {})}
    if method.get("authorizationScopes"):
        attributes["scopes"] = list(method["authorizationScopes"])
    integration = method.get("methodIntegration")
    if integration:
        attributes["integration"] = _integration_summary(integration, "type", "uri")
        kind = str(integration.get("type") or "")
        if kind in ("AWS", "AWS_PROXY"):
            _rest_aws_target(route, integration)
        elif kind in ("HTTP", "HTTP_PROXY"):
            _web_target(route, str(integration.get("uri") or ""), str(integration.get("httpMethod") or ""), "uri")
    return _route_facts(route, f"{verb} {path}", api_node_id, attributes)


def transform_rest_api(record: dict[str, Any], account: str, region: str) -> Facts:
    api = record["Api"]
    api_node_id = api_arn(region, account, str(api["id"]))
    types = list((api.get("endpointConfiguration") or {}).get("types") or ())
    attributes: dict[str, Any] = {
        "protocol": "REST", "api_id": api["id"], "endpoint_types": types, "private": "PRIVATE" in types,
        "endpoint": f"https://{api['id']}.execute-api.{region}.amazonaws.com",
        "execute_api_endpoint_disabled": bool(api.get("disableExecuteApiEndpoint")),
        "api_key_source_type": api.get("apiKeySource"), "has_resource_policy": bool(api.get("policy")),
        "tags": dict(api.get("tags") or {}),
    }
    authorizers, edges = _authorizer_facts(api_node_id, record.get("Authorizers") or [], "apigateway:GetAuthorizers",
                                           _REST_AUTHORIZER_KEYS)
    attributes["authorizers"] = authorizers
    unread = [key.lower() for key in ("Resources", "Stages", "Authorizers") if key not in record]
    if "Stages" in record:
        stages = [_rest_stage(stage) for stage in record["Stages"]]
        attributes["stages"] = stages
        edges += _access_logs(api_node_id, stages, "apigateway:GetStages", "item[{}].accessLogSettings.destinationArn")
        for stage in stages:
            if stage["execution_logging"] or stage["data_trace"]:
                edges.append(_execution_log(api_node_id, str(api["id"]), stage, region, account))
    parts = [Facts(edges=tuple(edges))]
    methods = 0
    for resource in record.get("Resources") or ():
        for verb, method in sorted((resource.get("resourceMethods") or {}).items()):
            methods += 1
            parts.append(_rest_method_facts(api, api_node_id, resource, verb, method or {}, authorizers, region,
                                            account))
    if "Resources" in record:
        attributes["routes"] = methods
    if unread:
        attributes["unread"] = unread
    node = Node(api_node_id, "apigateway.api", str(api["name"]), stage_for("apigateway.api", api.get("tags")),
                account, region, True, attributes)
    return Facts.concat([Facts((node,)), *parts])


# --- transform: HTTP and WebSocket ----------------------------------------------------------------

# IntegrationSubtype → (service, the request parameter that names the place, direction). Stopping an execution
# moves no data (and names an execution, not a place): not followed, as AppConfig's are not.
_SUBTYPES: Mapping[str, tuple[str, str, EdgeKind]] = {
    "SQS-SendMessage": ("sqs", "QueueUrl", EdgeKind.WRITES),
    "SQS-ReceiveMessage": ("sqs", "QueueUrl", EdgeKind.READS),
    "SQS-DeleteMessage": ("sqs", "QueueUrl", EdgeKind.WRITES),
    "SQS-PurgeQueue": ("sqs", "QueueUrl", EdgeKind.WRITES),
    "Kinesis-PutRecord": ("kinesis", "StreamName", EdgeKind.WRITES),
    "StepFunctions-StartExecution": ("states", "StateMachineArn", EdgeKind.INVOKES),
    "StepFunctions-StartSyncExecution": ("states", "StateMachineArn", EdgeKind.INVOKES),
    "EventBridge-PutEvents": ("events", "EventBusName", EdgeKind.WRITES),
}


def _http_integration_target(route: _Route, integration: Mapping[str, Any]) -> None:
    kind = str(integration.get("IntegrationType") or "")
    uri = str(integration.get("IntegrationUri") or "")
    subtype = str(integration.get("IntegrationSubtype") or "")
    if kind == "AWS_PROXY" and subtype:
        known = _SUBTYPES.get(subtype)
        if known is None:
            return  # AppConfig and the like: no data place this reader follows; kept on the route's node
        service, key, direction = known
        parameters = integration.get("RequestParameters") or {}
        value = parameters.get(key)
        if value is None and service == "events":
            route.add(arns.event_bus_arn(route.region, route.account, "default"), "events.bus", direction,
                      route.evidence("RequestParameters", f"{subtype} (no EventBusName: the default bus)"))
        elif value is None:
            route.warnings.append(f"RequestParameters: {subtype} without {key}")
        else:
            route.named(service, direction, str(value), f"RequestParameters.{key}", f"{subtype}: {key}={value}")
    elif kind in ("AWS_PROXY", "AWS"):
        function = _authorizer_function(uri)
        if function is not None:
            route.named("lambda", EdgeKind.INVOKES, function, "IntegrationUri", uri)
        elif uri:
            route.warnings.append(redact.short(f"IntegrationUri: {uri!r} names no function", 200))
    elif kind in ("HTTP", "HTTP_PROXY"):
        _web_target(route, uri, str(integration.get("IntegrationMethod") or ""), "IntegrationUri")


def _connect_authorization(routes: list[dict[str, Any]]) -> str | None:
    connect = next((r for r in routes if r.get("RouteKey") == "$connect"), None)
    return str(connect.get("AuthorizationType") or "NONE") if connect is not None else None


def _http_route_facts(api: Mapping[str, Any], api_node_id: str, route_answer: Mapping[str, Any],
                      integrations: Mapping[str, Mapping[str, Any]] | None, authorizers: Mapping[str, Any],
                      connect: str | None, region: str, account: str) -> Facts:
    key = str(route_answer["RouteKey"])
    route = _Route(route_key_arn(api_node_id, key), "apigatewayv2:GetIntegrations", "", region, account)
    attributes: dict[str, Any] = {
        "api": api.get("Name"), "api_id": api["ApiId"], "protocol": api.get("ProtocolType"), "route_key": key,
        "auth_type": route_answer.get("AuthorizationType") or "NONE",
        "api_key_required": bool(route_answer.get("ApiKeyRequired")),
    }
    if api.get("ProtocolType") == "WEBSOCKET" and key != "$connect" and connect is not None:
        # Only `$connect` takes an authoriser: every message after it rides on the connection it allowed.
        attributes["authorized_at_connect"] = connect
    authorizer_id = route_answer.get("AuthorizerId")
    if authorizer_id:
        attributes["authorizer"] = {"id": authorizer_id, **authorizers.get(str(authorizer_id), {})}
    if route_answer.get("AuthorizationScopes"):
        attributes["scopes"] = list(route_answer["AuthorizationScopes"])
    target = str(route_answer.get("Target") or "")
    integration_id = target.removeprefix("integrations/") if target.startswith("integrations/") else ""
    if integration_id and integrations is None:
        attributes["unread"] = ["integration"]
    elif integration_id and integration_id in (integrations or {}):
        integration = integrations[integration_id]  # type: ignore[index]
        attributes["integration"] = _integration_summary(integration, "IntegrationType", "IntegrationUri")
        route.path = f"Items[{integration_id}]"
        _http_integration_target(route, integration)
    elif integration_id:
        route.warnings.append(f"Target: integration {integration_id} is not among the API's integrations")
    return _route_facts(route, key, api_node_id, attributes)


def transform_http_api(record: dict[str, Any], account: str, region: str) -> Facts:
    api = record["Api"]
    api_node_id = api_arn(region, account, str(api["ApiId"]))
    protocol = str(api["ProtocolType"])
    attributes: dict[str, Any] = {
        "protocol": protocol, "api_id": api["ApiId"], "endpoint": api.get("ApiEndpoint"),
        "execute_api_endpoint_disabled": bool(api.get("DisableExecuteApiEndpoint")),
        "tags": dict(api.get("Tags") or {}),
        # HTTP and WebSocket APIs cannot take a WAF web ACL (only REST API stages can).
        "waf_supported": False,
    }
    authorizers, edges = _authorizer_facts(api_node_id, record.get("Authorizers") or [], "apigatewayv2:GetAuthorizer",
                                           _HTTP_AUTHORIZER_KEYS)
    attributes["authorizers"] = authorizers
    unread = [key.lower() for key in ("Stages", "Routes", "Integrations") if key not in record]
    if "Stages" in record:
        stages = [_http_stage(stage) for stage in record["Stages"]]
        attributes["stages"] = stages
        edges += _access_logs(api_node_id, stages, "apigatewayv2:GetStages",
                              "Items[{}].AccessLogSettings.DestinationArn")
    if record.get("AuthorizersUnread"):
        unread.append("authorizers")
    integrations = None if "Integrations" not in record else {
        str(i["IntegrationId"]): i for i in record["Integrations"]}
    routes = record.get("Routes") or []
    connect = _connect_authorization(routes) if protocol == "WEBSOCKET" else None
    parts = [Facts(edges=tuple(edges))]
    for route_answer in routes:
        parts.append(_http_route_facts(api, api_node_id, route_answer, integrations, authorizers, connect, region,
                                       account))
    if "Routes" in record:
        attributes["routes"] = len(routes)
    if unread:
        attributes["unread"] = unread
    node = Node(api_node_id, "apigateway.api", str(api["Name"]), stage_for("apigateway.api", api.get("Tags")),
                account, region, True, attributes)
    return Facts.concat([Facts((node,)), *parts])


def domains_by_api(domains: list[dict[str, Any]] | None) -> dict[str, list[dict[str, Any]]] | None:
    """Per API id, the custom domain names that serve it: the path and stage each maps, the TLS policy, and
    whether callers must show a client certificate (mutual TLS, against the trust store named)."""
    if domains is None:
        return None
    served: dict[str, list[dict[str, Any]]] = {}
    for record in domains:
        domain = record.get("Domain") or {}
        configurations = [c for c in domain.get("DomainNameConfigurations") or () if isinstance(c, Mapping)]
        mutual = domain.get("MutualTlsAuthentication") or {}
        kept: dict[str, Any] = {
            "name": domain.get("DomainName"),
            "endpoint_types": sorted({str(c["EndpointType"]) for c in configurations if c.get("EndpointType")}),
            "security_policy": next((c.get("SecurityPolicy") for c in configurations if c.get("SecurityPolicy")), None),
            "mutual_tls": bool(mutual.get("TruststoreUri")),
        }
        if mutual.get("TruststoreUri"):
            kept["truststore"] = redact.short(str(mutual["TruststoreUri"]), 300)
        for mapping in record.get("Mappings") or ():
            served.setdefault(str(mapping["ApiId"]), []).append(
                {**kept, "path": mapping.get("ApiMappingKey") or "", "stage": mapping.get("Stage")})
    return served


def _with_domains(facts: Facts, served: Mapping[str, list[dict[str, Any]]] | None) -> Facts:
    """The API nodes with the custom domains that serve them (`unread` when the domains could not be read)."""
    nodes = []
    for node in facts.nodes:
        if node.kind == "apigateway.api":
            attributes = dict(node.attributes)
            if served is None:
                attributes["unread"] = [*attributes.get("unread", ()), "custom_domains"]
            else:
                attributes["custom_domains"] = served.get(str(attributes.get("api_id")), [])
            node = replace(node, attributes=attributes)
        nodes.append(node)
    return Facts(tuple(nodes), facts.edges, facts.gaps)


def transform_apigateway(raw: dict[str, Any], account: str, region: str) -> Facts:
    rest = each_resource(raw.get("RestApis") or [], lambda record: transform_rest_api(record, account, region),
                         GET_RESOURCES, lambda record: record["Api"]["id"], region)
    http = each_resource(raw.get("HttpApis") or [], lambda record: transform_http_api(record, account, region),
                         GET_ROUTES, lambda record: record["Api"]["ApiId"], region)
    served, gaps = each_answer([raw.get("Domains")], domains_by_api, GET_DOMAIN_NAMES, lambda _: region, region)
    facts = _with_domains(Facts.concat([rest, http]), served[0] if served else None)
    return Facts(facts.nodes, facts.edges, (*facts.gaps, *gaps))


COLLECTOR = Collector(
    service="apigateway", label="API Gateway",
    calls=(GET_REST_APIS, GET_STAGES, GET_RESOURCES, GET_AUTHORIZERS, GET_APIS, GET_HTTP_STAGES, GET_ROUTES,
           GET_INTEGRATIONS, GET_AUTHORIZER, GET_DOMAIN_NAMES, GET_API_MAPPINGS),
    get=get_apigateway, transform=transform_apigateway,
)
