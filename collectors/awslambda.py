"""Lambda: functions, what feeds them (event source mappings from queues, streams and tables) and where
what they return goes (destinations on success and failure, the dead-letter target).

A mapping reads its source on the function's behalf, so the flow is source → function, its filter
criteria the evidence of what part of the data passes. A DynamoDB stream carries the table's changes:
the flow starts at the table. The values of environment variables are never kept (they hold secrets
as often as names); their names are, and what the values name is found as `lineage.references` says.
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


def get_lambda(ctx: AwsContext, region: str) -> dict[str, Any]:
    functions = ctx.pages(LIST_FUNCTIONS, region, region)

    def read(function: dict[str, Any]) -> dict[str, Any]:
        name, arn = function["FunctionName"], function["FunctionArn"]
        record: dict[str, Any] = {"Function": function}
        configs = ctx.pages(LIST_FUNCTION_EVENT_INVOKE_CONFIGS, region, name, FunctionName=name)
        if configs is not None:
            record["EventInvokeConfigs"] = configs
        tags = ctx.call(LIST_TAGS, region, name, Resource=arn)
        if tags is not None and not is_gone(tags):
            record["Tags"] = dict(tags["Tags"])
        return record

    return {"Functions": None if functions is None else ctx.map(read, functions),
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
    }
    named, digests = references.environment_references(function_id, account, variables, "lambda:ListFunctions")
    if digests:
        attributes[references.DIGESTS] = digests
    if "Tags" in record:
        attributes["tags"] = record["Tags"]
    unread = [key for key, said in (("tags", "Tags"), ("destinations", "EventInvokeConfigs")) if said not in record]
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
    node = Node(function_id, "lambda.function", name, stage_for("lambda.function", record.get("Tags")), account,
                region, True, attributes)
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
    calls=(LIST_FUNCTIONS, LIST_FUNCTION_EVENT_INVOKE_CONFIGS, LIST_TAGS, LIST_EVENT_SOURCE_MAPPINGS),
    get=get_lambda, transform=transform_lambda,
    listings={"lambda.function": LIST_FUNCTIONS},
)
