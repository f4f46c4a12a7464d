"""EventBridge Pipes: each pipe reads one source, may enrich what it read, and hands it to one target.

The flow is source → pipe (its filters the evidence of which records pass; a DynamoDB stream is its
table's changes, so the flow starts at the table), pipe → enrichment (a function, machine, API
destination or API that gives back what the target receives), pipe → target (how the target takes it as
for an EventBridge rule's target, the input template the evidence). Failed stream batches set aside in
a dead-letter queue, and execution data logged with the records in it, are flows too. Header, query and
path values of HTTP parameters, SQL statements and container overrides are not kept.
"""

from __future__ import annotations

from typing import Any

from collectors.context import AwsContext, each_resource, is_gone
from collectors.declarations import Call, Collector
from lineage import arn as arns
from lineage import redact
from lineage.delivery import event_source_of, target_edge_kind
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

LIST_PIPES = Call("pipes", "list_pipes", result_key="Pipes", required=("Name",))
DESCRIBE_PIPE = Call("pipes", "describe_pipe", required=("Name", "Source", "Target"), gone=("NotFoundException",))

DESCRIBE = "pipes:DescribePipe"
EXCERPT_LENGTH = 200
# Source parameters of a stream: where reading starts, and where failed batches are set aside.
_STREAM_PARAMETERS = ("DynamoDBStreamParameters", "KinesisStreamParameters")


def _describe(ctx: AwsContext, region: str, pipes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each pipe as described; one that could not be is kept as listed, marked unread; one deleted
    meanwhile is left out."""

    def describe(pipe: dict[str, Any]) -> dict[str, Any] | None:
        described = ctx.call(DESCRIBE_PIPE, region, pipe.get("Arn") or pipe["Name"], Name=pipe["Name"])
        if is_gone(described):
            return None
        return described if described is not None else {**pipe, "Unread": True}

    return [d for d in ctx.map(describe, pipes) if d is not None]


def get_pipes(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    listed = ctx.pages(LIST_PIPES, region, region)
    return [] if listed is None else _describe(ctx, region, listed)


# --- transform ----------------------------------------------------------------------------------


def _place(value: str) -> str:
    """The node a source, enrichment or target names: a function without its qualifier, a stream's table,
    a broker's address (self-managed Kafka) without anything that could carry a credential."""
    if value.startswith("arn:"):
        return event_source_of(arns.unqualified_lambda_arn(value))
    return redact.endpoint(value)


def _source_edges(pipe: dict[str, Any], pipe_id: str) -> tuple[list[Edge], dict[str, Any]]:
    source = str(pipe["Source"])
    parameters = pipe.get("SourceParameters") or {}
    filters = [str(f.get("Pattern", "")) for f in (parameters.get("FilterCriteria") or {}).get("Filters") or []]
    summary: dict[str, Any] = {"arn": source, "filters": [redact.short(f, 300) for f in filters]}
    said = source
    stream = next((parameters[key] for key in _STREAM_PARAMETERS if isinstance(parameters.get(key), dict)), None)
    if stream is not None:
        summary["starting_position"] = stream.get("StartingPosition")
        said += f" (starting position: {stream.get('StartingPosition', '?')})"
    evidence = [Evidence(DESCRIBE, pipe_id, "Source", redact.short(said, EXCERPT_LENGTH))]
    evidence += [Evidence(DESCRIBE, pipe_id, f"SourceParameters.FilterCriteria.Filters[{index}].Pattern",
                          redact.short(pattern, EXCERPT_LENGTH)) for index, pattern in enumerate(filters)]
    edges = [Edge(_place(source), pipe_id, EdgeKind.READS, tuple(evidence))]
    for key in _STREAM_PARAMETERS:
        dead_letter = ((parameters.get(key) or {}).get("DeadLetterConfig") or {}).get("Arn")
        if dead_letter:
            summary["dead_letter_queue"] = dead_letter
            found = Evidence(DESCRIBE, pipe_id, f"SourceParameters.{key}.DeadLetterConfig.Arn", dead_letter)
            edges.append(Edge(pipe_id, dead_letter, EdgeKind.WRITES, (found,)))
    return edges, summary


def _template_evidence(parameters: dict[str, Any], pipe_id: str, path: str) -> list[Evidence]:
    template = parameters.get("InputTemplate")
    if not isinstance(template, str):
        return []
    return [Evidence(DESCRIBE, pipe_id, f"{path}.InputTemplate", redact.short(template, EXCERPT_LENGTH))]


def _log_destinations(logging: dict[str, Any]) -> list[tuple[str, str]]:
    """(node id, path) of each place the pipe's log goes to."""
    found: list[tuple[str, str]] = []
    bucket = (logging.get("S3LogDestination") or {}).get("BucketName")
    if bucket:
        found.append((arns.s3_location_id(bucket, (logging.get("S3LogDestination") or {}).get("Prefix") or ""),
                      "LogConfiguration.S3LogDestination.BucketName"))
    for key, field in (("FirehoseLogDestination", "DeliveryStreamArn"), ("CloudwatchLogsLogDestination",
                                                                          "LogGroupArn")):
        arn = (logging.get(key) or {}).get(field)
        if arn:
            found.append((arn, f"LogConfiguration.{key}.{field}"))
    return found


def transform_pipe(pipe: dict[str, Any], account: str, region: str) -> Facts:
    name = pipe["Name"]
    pipe_id = pipe.get("Arn") or arns.build_arn("pipes", region, account, f"pipe/{name}")
    tags = pipe.get("Tags") if isinstance(pipe.get("Tags"), dict) else None
    attributes: dict[str, Any] = {"state": pipe.get("CurrentState", ""), "desired_state": pipe.get("DesiredState", "")}
    edges: list[Edge] = []
    if pipe.get("Unread"):  # listed only: where it reads and writes is known, how is not
        attributes["unread"] = ["configuration"]
        for field, kind in (("Source", EdgeKind.READS), ("Enrichment", EdgeKind.INVOKES), ("Target", None)):
            value = pipe.get(field)
            if not value:
                continue
            evidence = (Evidence("pipes:ListPipes", pipe_id, field, redact.short(value, EXCERPT_LENGTH)),)
            place = _place(value)
            if kind == EdgeKind.READS:
                edges.append(Edge(place, pipe_id, kind, evidence))
            else:
                edges.append(Edge(pipe_id, place, kind or target_edge_kind(arns.kind_for_arn(place)), evidence))
        node = Node(pipe_id, "pipes.pipe", name, stage_for("pipes.pipe"), account, region, True, attributes)
        return Facts((node,), tuple(edges))

    source_edges, source = _source_edges(pipe, pipe_id)
    edges += source_edges
    enrichment = pipe.get("Enrichment")
    enrichment_parameters = pipe.get("EnrichmentParameters") or {}
    if enrichment:
        evidence = [Evidence(DESCRIBE, pipe_id, "Enrichment", enrichment),
                    *_template_evidence(enrichment_parameters, pipe_id, "EnrichmentParameters")]
        edges.append(Edge(pipe_id, _place(enrichment), EdgeKind.INVOKES, tuple(evidence)))
    target = str(pipe["Target"])
    target_parameters = pipe.get("TargetParameters") or {}
    target_id = _place(target)
    evidence = [Evidence(DESCRIBE, pipe_id, "Target", redact.short(target, EXCERPT_LENGTH)),
                *_template_evidence(target_parameters, pipe_id, "TargetParameters")]
    edges.append(Edge(pipe_id, target_id, target_edge_kind(arns.kind_for_arn(target_id)), tuple(evidence)))

    logging = pipe.get("LogConfiguration") or {}
    included = [str(item) for item in logging.get("IncludeExecutionData") or []]
    destinations = _log_destinations(logging)
    if "ALL" in included:  # the records themselves are logged: the log holds the data that passed
        for destination, path in destinations:
            found = Evidence(DESCRIBE, pipe_id, path, f"IncludeExecutionData: ALL (level {logging.get('Level', '?')})")
            edges.append(Edge(pipe_id, destination, EdgeKind.WRITES, (found,)))
    invocation = {key: (target_parameters.get(key) or {}).get("InvocationType")
                  for key in ("LambdaFunctionParameters", "StepFunctionStateMachineParameters")}
    attributes.update({
        "state_reason": redact.short(pipe.get("StateReason") or "", 300),
        "description": redact.short(pipe.get("Description") or "", 300),
        "role": pipe.get("RoleArn"),
        # Pipes encrypts what it holds in transit with an AWS owned key unless one is given.
        "kms_key": pipe.get("KmsKeyIdentifier"),
        "source": source,
        "enrichment": enrichment,
        "enrichment_input_template": isinstance(enrichment_parameters.get("InputTemplate"), str),
        "target": {"arn": target, "input_template": isinstance(target_parameters.get("InputTemplate"), str),
                   "invocation_type": next((v for v in invocation.values() if v), None),
                   "parameters": sorted(k for k in target_parameters if k.endswith("Parameters"))},
        "logging": {"level": logging.get("Level", "OFF") if logging else "OFF", "include_execution_data": included,
                    "destinations": [destination for destination, _ in destinations]},
    })
    if tags is not None:
        attributes["tags"] = dict(tags)
    node = Node(pipe_id, "pipes.pipe", name, stage_for("pipes.pipe", tags), account, region, True, attributes)
    return Facts((node,), tuple(edges))


def transform_pipes(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda pipe: transform_pipe(pipe, account, region), DESCRIBE_PIPE,
                         lambda pipe: pipe.get("Arn") or pipe["Name"], region)


# No `get_named`: nothing else names a pipe (a pipe names its source and target, never the reverse), so a
# denied listing leaves no reference to follow.
COLLECTOR = Collector(
    service="pipes", label="EventBridge Pipes",
    calls=(LIST_PIPES, DESCRIBE_PIPE),
    get=get_pipes, transform=transform_pipes,
    listings={"pipes.pipe": LIST_PIPES},
)
