"""Lambda: functions, what feeds them (event source mappings from queues, streams and tables; function URLs,
where requests from anywhere on the internet enter) and where what they return goes (destinations on
success and failure, the dead-letter target).

A mapping reads its source on the function's behalf, so the flow is source → function, its filter
criteria the evidence of what part of the data passes. A DynamoDB stream carries the table's changes:
the flow starts at the table. The values of environment variables are never kept (they hold secrets
as often as names); their names are, and what the values name is found as `lineage.references` says.

A function URL is a generation node of its own (its id the URL as AWS gives it) that invokes the
function, or the alias it is configured on; whether it asks callers to sign their requests (`AuthType`
AWS_IAM or NONE) is what the exposure rules judge. The role each function runs as is kept (`role`) and
joined to it by structure, not a flow: `collectors.iam` reads what the role may do.
"""

from __future__ import annotations

from typing import Any

from collectors.context import AwsContext, each_resource, is_gone
from collectors.declarations import Call, Collector
from lineage import arn as arns
from lineage import references
from lineage.delivery import event_source_of
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

_GONE = ("ResourceNotFoundException",)
LIST_FUNCTIONS = Call("lambda", "list_functions", result_key="Functions", required=("FunctionName", "FunctionArn"))
LIST_EVENT_SOURCE_MAPPINGS = Call("lambda", "list_event_source_mappings", result_key="EventSourceMappings",
                                  required=("FunctionArn",))
LIST_FUNCTION_EVENT_INVOKE_CONFIGS = Call("lambda", "list_function_event_invoke_configs",
                                          result_key="FunctionEventInvokeConfigs", gone=_GONE)
LIST_TAGS = Call("lambda", "list_tags", required=("Tags",), gone=_GONE)
# One call per function, covering its aliases' URLs too: a failure costs only that function's URLs.
LIST_FUNCTION_URL_CONFIGS = Call("lambda", "list_function_url_configs", result_key="FunctionUrlConfigs",
                                 required=("FunctionUrl", "FunctionArn", "AuthType"), gone=_GONE)


def get_lambda(ctx: AwsContext, region: str) -> dict[str, Any]:
    functions = ctx.pages(LIST_FUNCTIONS, region, region)

    def read(function: dict[str, Any]) -> dict[str, Any] | None:
        """The function's parts; None when it was deleted since it was listed (nothing runs there now)."""
        name, arn = function["FunctionName"], function["FunctionArn"]
        record: dict[str, Any] = {"Function": function}
        configs = ctx.pages(LIST_FUNCTION_EVENT_INVOKE_CONFIGS, region, name, FunctionName=name)
        tags = ctx.call(LIST_TAGS, region, name, Resource=arn)
        urls = ctx.pages(LIST_FUNCTION_URL_CONFIGS, region, name, FunctionName=name)
        if any(is_gone(answer) for answer in (configs, tags, urls)):
            return None
        if configs is not None:
            record["EventInvokeConfigs"] = configs
        if tags is not None:
            record["Tags"] = dict(tags["Tags"])
        if urls is not None:
            record["FunctionUrls"] = urls
        return record

    read_functions = None if functions is None else [r for r in ctx.map(read, functions) if r is not None]
    return {"Functions": read_functions,
            "Mappings": ctx.pages(LIST_EVENT_SOURCE_MAPPINGS, region, region)}


def transform_function(record: dict[str, Any], account: str, region: str) -> Facts:
    function = record["Function"]
    name = function["FunctionName"]
    function_id = arns.unqualified_lambda_arn(function["FunctionArn"])
    logging = function.get("LoggingConfig") or {}
    variables = (function.get("Environment") or {}).get("Variables") or {}
    attributes: dict[str, Any] = {
        "runtime": function.get("Runtime") or function.get("PackageType", ""),
        "kms_key": function.get("KMSKeyArn"),
        "in_vpc": bool((function.get("VpcConfig") or {}).get("VpcId")),
        "log_group": logging.get("LogGroup") or f"/aws/lambda/{name}",
        "environment_names": sorted(variables.keys()),
        "role": function.get("Role", ""),
    }
    named, digests = references.environment_references(function_id, account, variables, "lambda:ListFunctions")
    if digests:
        attributes[references.DIGESTS] = digests
    if "Tags" in record:
        attributes["tags"] = record["Tags"]
    unread = [key for key, said in (("tags", "Tags"), ("destinations", "EventInvokeConfigs"),
                                    ("function_urls", "FunctionUrls")) if said not in record]
    if unread:
        attributes["unread"] = unread
    edges: list[Edge] = list(named)
    # What a function prints lands in its log group — request payloads as often as not.
    log_path = "LoggingConfig.LogGroup" if logging.get("LogGroup") else "FunctionName (the default log group)"
    home = arns.parse_arn(function_id)
    log_group = arns.log_group_arn(home.region if home else region, home.account if home else account,
                                   attributes["log_group"])
    edges.append(Edge(function_id, log_group, EdgeKind.WRITES,
                      (Evidence("lambda:ListFunctions", function_id, log_path, attributes["log_group"]),)))
    dead_letter = (function.get("DeadLetterConfig") or {}).get("TargetArn")
    if dead_letter:
        attributes["dead_letter_target"] = dead_letter
        evidence = Evidence("lambda:ListFunctions", function_id, "DeadLetterConfig.TargetArn", dead_letter)
        edges.append(Edge(function_id, dead_letter, EdgeKind.WRITES, (evidence,)))
    for config in record.get("EventInvokeConfigs") or []:
        for outcome in ("OnSuccess", "OnFailure"):
            target = ((config.get("DestinationConfig") or {}).get(outcome) or {}).get("Destination")
            if target:
                evidence = Evidence("lambda:ListFunctionEventInvokeConfigs", function_id,
                                    f"DestinationConfig.{outcome}.Destination", target)
                edges.append(Edge(function_id, arns.unqualified_lambda_arn(target), EdgeKind.WRITES, (evidence,)))
    if attributes["role"]:
        # Structure, not a flow: what the function may do is its role's, which the page shows beside it.
        evidence = Evidence("lambda:ListFunctions", function_id, "Role", attributes["role"])
        edges.append(Edge(function_id, attributes["role"], EdgeKind.PART_OF, (evidence,)))
    node = Node(function_id, "lambda.function", name, stage_for("lambda.function", record.get("Tags")), account,
                region, True, attributes)
    urls = [transform_url(config, function_id, name, account, region) for config in record.get("FunctionUrls") or []]
    return Facts.concat([Facts((node,), tuple(edges)), *urls])


def _cors(cors: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a browser on another site may do with the URL: origins, methods, credentials; None when unset."""
    if not cors:
        return None
    return {"allow_origins": list(cors.get("AllowOrigins") or [])[:20],
            "allow_methods": list(cors.get("AllowMethods") or [])[:20],
            "allow_credentials": bool(cors.get("AllowCredentials"))}


def transform_url(config: dict[str, Any], function_id: str, name: str, account: str, region: str) -> Facts:
    """A function URL: where requests enter, invoking the function (or, for an alias's URL, that alias)."""
    url = str(config["FunctionUrl"])
    invoked = str(config["FunctionArn"])
    qualifier = invoked[len(function_id) + 1:] if invoked.startswith(function_id + ":") else ""
    attributes: dict[str, Any] = {
        "auth_type": str(config["AuthType"]),  # NONE: anyone who knows the URL can call it
        "invoke_mode": config.get("InvokeMode") or "BUFFERED",
        "cors": _cors(config.get("Cors")),
        "function": function_id,
    }
    if qualifier:
        attributes["qualifier"] = qualifier
    evidence = Evidence("lambda:ListFunctionUrlConfigs", function_id, "FunctionUrlConfigs[].FunctionArn",
                        f"{invoked} (AuthType {attributes['auth_type']})")
    edges = [Edge(url, invoked, EdgeKind.INVOKES, (evidence,))]
    if invoked != function_id:  # the alias runs the function: the flow goes on to it
        edges.append(Edge(invoked, function_id, EdgeKind.INVOKES, (Evidence(
            "lambda:ListFunctionUrlConfigs", function_id, "FunctionUrlConfigs[].FunctionArn", invoked),)))
    home = arns.parse_arn(function_id)
    label = f"{name}:{qualifier} URL" if qualifier else f"{name} URL"
    node = Node(url, "lambda.url", label, stage_for("lambda.url"), home.account if home else account,
                home.region if home else region, True, attributes)
    return Facts((node,), tuple(edges))


def transform_mapping(mapping: dict[str, Any]) -> Facts:
    source = mapping.get("EventSourceArn")
    if not source:
        return Facts()  # a self-managed Kafka cluster or Amazon MQ broker named otherwise: no node to start at
    function_id = arns.unqualified_lambda_arn(mapping["FunctionArn"])
    filters = [f.get("Pattern", "") for f in (mapping.get("FilterCriteria") or {}).get("Filters") or []]
    said = f"State: {mapping.get('State', '?')}" + (f"; filters: {' | '.join(filters)}" if filters else "")
    evidence = Evidence("lambda:ListEventSourceMappings", mapping.get("UUID", function_id), "EventSourceArn",
                        f"{source} ({said})"[:300])
    return Facts(edges=(Edge(event_source_of(source), function_id, EdgeKind.READS, (evidence,)),))


def transform_lambda(raw: dict[str, Any], account: str, region: str) -> Facts:
    functions = each_resource(raw.get("Functions") or [], lambda record: transform_function(record, account, region),
                              LIST_FUNCTIONS, lambda record: record["Function"]["FunctionName"], region)
    mappings = each_resource(raw.get("Mappings") or [], transform_mapping, LIST_EVENT_SOURCE_MAPPINGS,
                             lambda mapping: mapping.get("UUID", ""), region)
    return Facts.concat([functions, mappings])


COLLECTOR = Collector(
    service="lambda", label="Lambda",
    calls=(LIST_FUNCTIONS, LIST_FUNCTION_EVENT_INVOKE_CONFIGS, LIST_TAGS, LIST_FUNCTION_URL_CONFIGS,
           LIST_EVENT_SOURCE_MAPPINGS),
    get=get_lambda, transform=transform_lambda,
    listings={"lambda.function": LIST_FUNCTIONS},
)
