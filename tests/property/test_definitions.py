"""Any Step Functions definition — every state type, every integration the parser knows, values literal or
dynamic in every notation, branches and iterators forty levels deep, odd values where objects belong —
is read without raising, into facts that hold together, and goes through a scan's pipeline."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from collectors.stepfunctions import transform_state_machine
from lineage.arn import DYNAMIC_PREFIX, lambda_function_arn
from lineage.asl import _HANDLERS, _SERVICE_HANDLERS, EXCERPT_LENGTH, STATE_TYPES, Machine, parse_definition
from lineage.model import Facts
from lineage.scan import analyse
from tests.property.strategies import admissible_edge_keys, admissible_ids, examples, mostly, names, odd_texts

MAX_DEPTH = 40

# --- values -------------------------------------------------------------------------------------

_SERVICE_ACTIONS: dict[str, tuple[str, ...]] = {
    "dynamodb": ("getItem", "putItem", "updateItem", "deleteItem", "query", "scan", "batchGetItem",
                 "batchWriteItem", "transactWriteItems", "exportTableToPointInTime", "describeTable"),
    "sqs": ("sendMessage", "sendMessageBatch", "receiveMessage", "deleteMessage"),
    "s3": ("getObject", "putObject", "copyObject", "deleteObject", "listObjectsV2", "headObject", "uploadPart",
           "getBucketPolicy", "putBucketTagging", "createMultipartUpload"),
}
_OTHER_SDK = ("sfn:describeExecution", "sfn:startExecution", "athena:getQueryResults", "ec2:describeInstances",
              "rds:createDbSnapshot", "glue:getTable", "lambda:invoke", "glue:startJobRun", "emr:addJobFlowSteps")
_SUFFIXES = ("", "", ".sync", ".sync:2", ".waitForTaskToken")
PARTITIONS = ("aws", "aws", "aws-cn", "aws-us-gov")

# Every integration the parser handles, derived from its tables so that a new handler is covered the day
# it is added; the action's case does not matter to the parser, so it is written as the table has it.
optimised = st.builds(lambda partition, key, suffix: f"arn:{partition}:states:::{key[0]}:{key[1]}{suffix}",
                      st.sampled_from(PARTITIONS), st.sampled_from(sorted(_HANDLERS)), st.sampled_from(_SUFFIXES))
by_service = st.sampled_from(sorted(_SERVICE_HANDLERS)).flatmap(
    lambda service: st.builds(lambda action, suffix: f"arn:aws:states:::{service}:{action}{suffix}",
                              st.sampled_from(_SERVICE_ACTIONS.get(service, ("get", "put", "send"))),
                              st.sampled_from(_SUFFIXES)))
sdk = st.one_of(
    st.builds(lambda service, action: f"arn:aws:states:::aws-sdk:{service}:{action}",
              st.sampled_from(sorted(_SERVICE_ACTIONS)), st.sampled_from(sorted({a for v in _SERVICE_ACTIONS.values()
                                                                                 for a in v}))),
    st.sampled_from(_OTHER_SDK).map(lambda call: f"arn:aws:states:::aws-sdk:{call}"),
)
legacy = st.sampled_from((
    "arn:aws:lambda:eu-west-1:111122223333:function:enrich", "arn:aws:lambda:eu-west-1:111122223333:function:x:7",
    "arn:aws:states:eu-west-1:111122223333:activity:review", "arn:aws:sqs:eu-west-1:1:q", "arn:aws:states:::",
    "arn:aws:states:::lambda", "arn:aws:states:::aws-sdk", "not an arn", " ", "dynamic:arn:x#y",
))
dynamic_resources = st.sampled_from(("${LambdaArn}", "{% $states.input.fn %}", "arn:aws:states:::${Service}:invoke"))
resources = st.one_of(optimised, optimised, by_service, by_service, sdk, legacy, dynamic_resources)

_S3_URLS = ("s3://raw-bucket/events/", "s3://raw-bucket", "s3a://curated/x/y", "s3n://b/", "s3://", "s3:/x",
            "arn:aws:s3:::raw-bucket/events", "arn:aws-cn:s3:::b", "s3://b/${Prefix}/x", "s3://{% $b %}/x")
_QUERIES = ("SELECT * FROM raw.events", "INSERT INTO curated.t SELECT a FROM raw.e JOIN raw.f ON 1=1",
            "CREATE TABLE curated.x AS SELECT * FROM events", "WITH w AS (SELECT 1) SELECT * FROM w, db.t",
            "SELEC broken (", "", "SELECT 1; DROP TABLE raw.events")
literals = st.one_of(
    names, st.sampled_from(_S3_URLS), st.sampled_from(_QUERIES),
    st.sampled_from(("arn:aws:lambda:eu-west-1:444455556666:function:x:3", "111122223333:function:f:live",
                     "arn:aws:glue:eu-west-1:1:job/j", "https://sqs.eu-west-1.amazonaws.com/111122223333/q",
                     "https://queue.amazonaws.com/1/q", "arn:aws:sns:eu-west-1:1:t", "db.table", "raw",
                     "api.example.com/x", "https://api.example.com", "dynamic:looks-dynamic#x", "")),
    # JSONata string literals: known when the definition is written, whatever the notation.
    st.sampled_from(("{% 'raw-bucket' %}", '{% "s3://raw-bucket/events/" %}', "{% 'enrich' %}")),
)
# `.$` values (JSONPath and intrinsics), JSONata and template substitutions: resolved only at run time.
path_expressions = st.sampled_from(("$.bucket", "$.detail.bucket.name", "$$.Execution.Input.key", "$",
                                    "States.Format('s3://{}/raw/', $.bucket)", "States.ArrayGetItem($.b, 0)",
                                    "States.StringToJson($.x)", "$.items[0]"))
inline_dynamic = st.sampled_from(("{% $states.input.bucket %}", "{%$x%}", "  {% $a & '/' %}  ", "${BucketName}",
                                  "s3://${Bucket}/raw", "arn:aws:lambda:${AWS::Region}:1:function:f"))
odd_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                       st.lists(st.one_of(st.none(), st.integers(), names), max_size=3),
                       st.dictionaries(names, st.one_of(st.none(), names), max_size=2), odd_texts)

_FIELDS = ("FunctionName", "Payload", "JobName", "Arguments", "Name", "TableName", "RequestItems", "TableArn",
           "S3Bucket", "S3Prefix", "QueueUrl", "MessageBody", "TopicArn", "TargetArn", "PhoneNumber", "Message",
           "Entries", "WorkGroup", "QueryString", "QueryExecutionContext", "ResultConfiguration",
           "StateMachineArn", "Input", "Output", "TaskDefinition", "Cluster", "JobQueue", "JobDefinition", "ModelId",
           "Body", "ApiEndpoint", "Method", "StreamName", "StreamARN", "DeliveryStreamName", "Record", "Bucket",
           "Key", "Prefix", "CopySource", "--input_path", "--output_path", "source_path", "TempDir", "Item")


# The fields each service's integrations name their target by.
_NAMING_FIELDS: dict[str, tuple[str, ...]] = {
    "lambda": ("FunctionName",), "glue": ("JobName", "Name", "Arguments"), "sns": ("TopicArn", "TargetArn"),
    "events": ("Entries",), "eventbridge": ("Entries",), "states": ("StateMachineArn",), "sfn": ("StateMachineArn",),
    "athena": ("QueryString", "WorkGroup", "QueryExecutionContext", "ResultConfiguration"),
    "ecs": ("TaskDefinition",), "batch": ("JobQueue",), "bedrock": ("ModelId", "Input", "Output"),
    "bedrockruntime": ("ModelId",), "http": ("ApiEndpoint",), "apigateway": ("ApiEndpoint",),
    "kinesis": ("StreamName", "StreamARN"), "firehose": ("DeliveryStreamName",),
    "dynamodb": ("TableName", "RequestItems", "TableArn", "S3Bucket", "S3Prefix"), "sqs": ("QueueUrl",),
    "s3": ("Bucket", "Key", "Prefix", "CopySource"),
}
_SERVICE = re.compile(r":states:::(?:aws-sdk:)?([^:.]+)")


@st.composite
def argument_maps(draw: st.DrawFn, depth: int = 0, fields: int = 6, naming: tuple[str, ...] = ()) -> dict[str, Any]:
    """Task arguments: each field literal, `.$`, JSONata, a template, an object where one is expected, or odd;
    the fields that name the integration's target (`naming`) most of the time, others at random."""
    result: dict[str, Any] = {}
    chosen = [name for name in naming if draw(st.integers(0, 3))]
    for name in chosen + draw(st.lists(st.sampled_from(_FIELDS), max_size=fields, unique=True)):
        form = draw(st.sampled_from(("literal", "literal", "literal", "path", "inline", "object", "odd")))
        if form == "path":
            result[f"{name}.$"] = draw(mostly(path_expressions, odd_values))
        elif form == "inline":
            result[name] = draw(inline_dynamic)
        elif form == "object" and depth < 2:
            result[name] = draw(_objects(name, depth))
        elif form == "odd":
            result[name] = draw(odd_values)
        else:
            result[name] = draw(literals)
    return result


def _objects(name: str, depth: int) -> st.SearchStrategy[Any]:
    """The object a field holds when AWS expects one (or a list of them)."""
    nested = argument_maps(depth + 1, 3)
    if name == "Entries":
        return st.lists(st.one_of(nested, st.fixed_dictionaries({"Source": names}, optional={
            "EventBusName": st.one_of(literals, inline_dynamic), "EventBusName.$": path_expressions})), max_size=3)
    if name == "RequestItems":
        return st.dictionaries(st.one_of(names, st.sampled_from(("users", "arn:aws:dynamodb:eu-west-1:1:table/t"))),
                               st.lists(st.just({"PutRequest": {"Item": {}}}), max_size=1), max_size=2)
    if name in ("QueryExecutionContext", "ResultConfiguration", "Input", "Output", "Arguments"):
        keys = {"QueryExecutionContext": "Database", "ResultConfiguration": "OutputLocation", "Input": "S3Uri",
                "Output": "S3Uri", "Arguments": "--source_path"}
        return st.one_of(nested, st.dictionaries(st.sampled_from((keys[name], f"{keys[name]}.$", "--target_table",
                                                                  "--database")),
                                                 st.one_of(literals, path_expressions, inline_dynamic), max_size=3))
    return nested


# --- states and machines ------------------------------------------------------------------------


def _transition(draw: st.DrawFn, names_in_machine: list[str]) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"End": True}
    return {"Next": draw(st.one_of(st.sampled_from(names_in_machine), names))}


@st.composite
def integration_blocks(draw: st.DrawFn, resource: st.SearchStrategy[Any], fields: int = 6) -> dict[str, Any]:
    """A Task, or the `ItemReader`/`ResultWriter` of a Distributed Map: a resource and its arguments."""
    block: dict[str, Any] = {"Resource": draw(resource)}
    service = _SERVICE.search(block["Resource"]) if isinstance(block["Resource"], str) else None
    naming = _NAMING_FIELDS.get(service.group(1), ()) if service else ()
    key = draw(st.sampled_from(("Parameters", "Arguments", "Parameters", "both", "none")))
    # Arguments are an object, or one JSONata expression for all of them, or something else entirely.
    arguments = draw(mostly(argument_maps(fields=fields, naming=naming),
                            st.one_of(odd_values, st.just("{% $states.input %}")), 5))
    if key == "both":
        block["Parameters"], block["Arguments"] = arguments, draw(argument_maps(fields=fields))
    elif key != "none":
        block[key] = arguments
    if draw(st.integers(0, 5)) == 0:
        block["QueryLanguage"] = draw(st.sampled_from(("JSONata", "JSONPath")))
    return block


LEAF_TYPES = ("Task", "Pass", "Choice", "Wait", "Succeed", "Fail")
CONTAINER_TYPES = ("Parallel", "Map")
_READERS = st.sampled_from(("arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2",
                            "arn:aws-us-gov:states:::s3:getObject"))
_WRITERS = st.sampled_from(("arn:aws:states:::s3:putObject", "arn:aws:states:::aws-sdk:s3:putObject"))


@st.composite
def leaf_states(draw: st.DrawFn, siblings: list[str], fields: int = 6) -> Any:
    """A state without branches: every such type, an unknown one, or a value that is no state at all."""
    kind = draw(st.sampled_from(("Task", "Task", *LEAF_TYPES, "unknown", "odd")))
    if kind == "odd":
        return draw(st.one_of(st.lists(names, max_size=2), st.integers(), st.none(), names))
    if kind == "unknown":
        return {"Type": draw(st.one_of(st.sampled_from(("task", "Foo", "")), st.integers(), st.none())), "End": True}
    state: dict[str, Any] = {"Type": kind}
    if kind == "Task":
        state.update(draw(integration_blocks(mostly(resources, odd_values, 10), fields)))
        state.update(_transition(draw, siblings))
    elif kind == "Pass":
        state.update({"Result": draw(odd_values), **_transition(draw, siblings)})
        if draw(st.booleans()):
            state["Parameters"] = draw(argument_maps(fields=fields))
    elif kind == "Choice":
        state["Choices"] = draw(mostly(st.lists(st.fixed_dictionaries(
            {"Variable": path_expressions, "StringEquals": names, "Next": st.sampled_from(siblings)}), max_size=2),
            odd_values, 3))
        state["Default"] = draw(st.sampled_from(siblings))
    elif kind == "Wait":
        state.update({draw(st.sampled_from(("Seconds", "SecondsPath", "Timestamp"))): draw(st.one_of(
            st.integers(0, 100), path_expressions)), **_transition(draw, siblings)})
    elif kind == "Fail":
        state.update({"Error": draw(names), "Cause": draw(names)})
    return state


@st.composite
def container_states(draw: st.DrawFn, inner: Any, siblings: list[str]) -> Any:
    """A Parallel or Map state holding `inner` (a nested machine), beside other branches."""
    kind = draw(st.sampled_from(CONTAINER_TYPES))
    state: dict[str, Any] = {"Type": kind, **_transition(draw, siblings)}
    if kind == "Parallel":
        branches = [inner] + draw(st.lists(st.one_of(small_machines(), odd_values), max_size=2))
        state["Branches"] = draw(st.permutations(branches))
        return state
    state[draw(st.sampled_from(("ItemProcessor", "ItemProcessor", "Iterator")))] = inner
    if draw(st.booleans()):
        state["ItemReader"] = draw(mostly(integration_blocks(_READERS), odd_values, 4))
    if draw(st.booleans()):
        state["ResultWriter"] = draw(mostly(integration_blocks(_WRITERS), odd_values, 4))
    if draw(st.booleans()):
        state["ItemsPath"] = draw(path_expressions)
    return state


_STATE_NAMES = ("Load", "Transform", "Fan", "Each", "Done", "Wait", "Pick", "Load ", "é", "数据", "a.b", "$x")


@st.composite
def machines(draw: st.DrawFn, inner: Any = None, max_states: int = 4, fields: int = 6) -> Any:
    """`{"StartAt", "States"}`, holding `inner` in a Parallel or Map state when given; rarely not an object."""
    state_names = draw(st.lists(st.sampled_from(_STATE_NAMES), min_size=1, max_size=max_states, unique=True))
    states: dict[str, Any] = {}
    for name in state_names:
        states[name] = draw(leaf_states(state_names, fields))
    if inner is not None:
        states[draw(st.sampled_from(state_names))] = draw(container_states(inner, state_names))
    machine: dict[str, Any] = {"StartAt": draw(mostly(st.sampled_from(state_names), odd_values, 8)),
                               "States": states}
    if draw(st.integers(0, 3)) == 0:  # the language switches here, for this machine and what it nests
        machine["QueryLanguage"] = draw(st.sampled_from(("JSONata", "JSONPath", "jsonata", "")))
    if inner is None and draw(st.integers(0, 12)) == 0:
        machine["States"] = draw(odd_values)
    return machine


def small_machines() -> st.SearchStrategy[Any]:
    return machines(max_states=2, fields=2)


@st.composite
def definitions(draw: st.DrawFn) -> Any:
    """A whole definition, its branches and iterators nested up to forty deep; rarely not an object at all."""
    if draw(st.integers(0, 30)) == 0:
        return draw(odd_values)
    depth = draw(mostly(st.integers(0, 3), st.one_of(st.integers(4, MAX_DEPTH), st.just(MAX_DEPTH)), 3))
    inner = None
    for _ in range(depth):  # the levels below the top are lean, or forty of them would make megabytes
        inner = draw(machines(inner, max_states=2, fields=2))
    definition = draw(machines(inner))
    if draw(st.booleans()):
        definition["Comment"] = draw(names)
    return definition


MACHINES = (
    Machine("arn:aws:states:eu-west-1:111122223333:stateMachine:etl", "eu-west-1", "111122223333"),
    Machine("arn:aws-cn:states:cn-north-1:111122223333:stateMachine:etl", "cn-north-1", "111122223333"),
    Machine("arn:aws-us-gov:states:us-gov-west-1:111122223333:stateMachine:e", "us-gov-west-1", "111122223333"),
    Machine("lineage.asl.json", "", "", "file"),
)
state_machines = st.sampled_from(MACHINES)

# The shape that once ended a scan: a bucket from the input, inside a Parallel branch, a Map and its reader.
DYNAMIC_BUCKET_IN_BRANCHES = {"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": True, "Branches": [
    {"StartAt": "Put", "States": {"Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                                          "Parameters": {"Bucket.$": "$.bucket", "Key": "k", "Body": "b"},
                                          "End": True}}},
    {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket.$": "$.in", "Key": "k"}},
        "ItemProcessor": {"StartAt": "Get", "States": {"Get": {
            "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "End": True,
            "Parameters": {"Bucket.$": "States.Format('{}-raw', $.env)", "Key.$": "$.key"}}}}}}},
]}}}

# --- properties ---------------------------------------------------------------------------------


def _parsed_both_ways(definition: Any, machine: Machine) -> Facts:
    from_text = parse_definition(json.dumps(definition), machine)
    from_mapping = parse_definition(definition, machine)
    if isinstance(definition, dict) and ("States" in definition or "StartAt" in definition):
        # The text and the parsed document are the same definition: they say the same.
        assert from_text.facts == from_mapping.facts
        assert from_text.warnings == from_mapping.warnings
    return from_text.facts


@settings(max_examples=examples(100))
@given(definitions(), state_machines)
@example(DYNAMIC_BUCKET_IN_BRANCHES, MACHINES[0])
def test_any_definition_is_read_as_text_or_object_into_facts_that_hold_together(definition: Any,
                                                                                 machine: Machine) -> None:
    facts = _parsed_both_ways(definition, machine)
    ids = {node.id for node in facts.nodes}
    assert len(ids) == len(facts.nodes)
    assert machine.id not in ids  # the machine's own node is its collector's to make, with its configuration
    for edge in facts.edges:
        edge_ends = {edge.source, edge.target}
        assert edge_ends <= ids | {machine.id}
        assert edge.evidence  # every flow says where in the definition it was read
        for evidence in edge.evidence:
            assert len(evidence.excerpt) <= EXCERPT_LENGTH


@settings(max_examples=examples(100))
@given(definitions(), state_machines)
@example(DYNAMIC_BUCKET_IN_BRANCHES, MACHINES[0])
def test_a_place_known_only_at_run_time_is_a_dynamic_node_of_its_machine(definition: Any, machine: Machine) -> None:
    facts = parse_definition(definition, machine).facts
    for node in facts.nodes:
        if node.attributes.get("dynamic"):
            assert node.id.startswith(f"{DYNAMIC_PREFIX}{machine.id}#"), node
            assert not node.observed and node.attributes.get("expression") is not None


# Literal texts the parser takes as node ids as written: a legacy `Resource` that is no ARN, an `ApiEndpoint`.
_BLANK_RESOURCE = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": " ", "End": True}}}
_LITERAL_DYNAMIC_LOOKALIKE = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "dynamic:arn:x#y",
                                                               "End": True}}}


@settings(max_examples=examples(100))
@given(definitions(), state_machines)
@example(_BLANK_RESOURCE, MACHINES[0])
@example(_LITERAL_DYNAMIC_LOOKALIKE, MACHINES[0])
def test_every_node_the_parser_makes_is_a_place(definition: Any, machine: Machine) -> None:
    """A node id is never blank, and is in the dynamic namespace only when the place is known only at run time."""
    facts = parse_definition(definition, machine).facts
    for node in facts.nodes:
        assert node.id.strip(), node
        if node.id.startswith(DYNAMIC_PREFIX):
            assert node.attributes.get("dynamic") is True, node


def _nested_to_the_bottom(depth: int, innermost: dict[str, Any], containers: list[str]) -> dict[str, Any]:
    machine = innermost
    for level in range(depth):
        container = containers[level % len(containers)]
        if container == "Parallel":
            state: dict[str, Any] = {"Type": "Parallel", "Branches": [machine], "End": True}
        else:
            state = {"Type": "Map", container: machine, "End": True}
        machine = {"StartAt": "Nest", "States": {"Nest": state}}
    return machine


@settings(max_examples=examples(25))
@given(st.integers(0, MAX_DEPTH), st.lists(st.sampled_from(("Parallel", "ItemProcessor", "Iterator")), min_size=1,
                                           max_size=4), st.sampled_from(("JSONPath", "JSONata")))
def test_a_task_forty_levels_down_is_read_like_one_at_the_top(depth: int, containers: list[str],
                                                              language: str) -> None:
    arguments = "Arguments" if language == "JSONata" else "Parameters"
    innermost = {"QueryLanguage": language, "StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", arguments: {"FunctionName": "deep"},
        "End": True}}}
    machine = MACHINES[0]
    result = parse_definition(json.dumps(_nested_to_the_bottom(depth, innermost, containers)), machine)
    target = lambda_function_arn(machine.region, machine.account, "deep")
    assert {(e.source, e.target, e.kind.value) for e in result.facts.edges} == {(machine.id, target, "invokes")}
    assert result.warnings == []


def _described(definition: Any, machine: Machine, extra: dict[str, Any]) -> dict[str, Any]:
    return {"stateMachineArn": machine.id, "name": machine.id.rsplit(":", 1)[-1], "definition": json.dumps(definition),
            "roleArn": "arn:aws:iam::111122223333:role/sfn", "status": "ACTIVE", **extra}


configurations = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(("STANDARD", "EXPRESS")),
    "loggingConfiguration": st.fixed_dictionaries({"level": st.sampled_from(("OFF", "ALL", "ERROR", "FATAL"))},
                                                  optional={"includeExecutionData": st.booleans(),
                                                            "destinations": st.just([{"cloudWatchLogsLogGroup": {
                                                                "logGroupArn": "arn:aws:logs:eu-west-1:1:log-group:x:*"
                                                            }}])}),
    "encryptionConfiguration": st.fixed_dictionaries({"type": st.sampled_from(("AWS_OWNED_KEY",
                                                                                "CUSTOMER_MANAGED_KMS_KEY"))},
                                                     optional={"kmsKeyId": names}),
    "tracingConfiguration": st.fixed_dictionaries({"enabled": st.booleans()}),
})


@settings(max_examples=examples(30))
@given(st.lists(st.tuples(definitions(), st.sampled_from(MACHINES[:3]), configurations), min_size=1, max_size=2))
@example([(DYNAMIC_BUCKET_IN_BRANCHES, MACHINES[0], {})])
def test_machines_described_with_any_definition_go_through_a_scan(described: list[tuple[Any, Machine, Any]]) -> None:
    batches = [transform_state_machine(_described(d, m, extra), m.account, m.region) for d, m, extra in described]
    analysis = analyse(batches)
    for _, machine, _ in described:
        node = analysis.graph.nodes[machine.id]
        assert node.observed and node.kind == "states.state_machine"
    # Every fact the definitions stated that can be placed (a blank id cannot) is in the graph.
    assert admissible_ids(batches) <= analysis.graph.nodes.keys()
    assert admissible_edge_keys(batches) <= analysis.graph.edges.keys()
    # Only the rules' own view of a run-time place: never judged as a bucket.
    for finding in analysis.findings:
        if finding.node.startswith(DYNAMIC_PREFIX):
            assert not finding.rule.startswith("s3.")


# YAML keys that are not text: `1:`, `yes:` (true), `null:`, `2024-01-01:` (a date).
_YAML_KEYS = (1, True, False, None, 2.5, dt.date(2024, 1, 1))


@st.composite
def yaml_definitions(draw: st.DrawFn) -> Any:
    """A generated definition as YAML can hold it: here and there a key that is a number, a boolean, null or
    a date, and dates where text was."""
    def odd_keys(value: Any) -> Any:
        if isinstance(value, dict):
            result = {key: odd_keys(item) for key, item in value.items()}
            if result and draw(st.integers(0, 3)) == 0:
                key = draw(st.sampled_from(sorted(result, key=str)))
                result[draw(st.sampled_from(_YAML_KEYS))] = result.pop(key)
            return result
        if isinstance(value, list):
            return [odd_keys(item) for item in value]
        if isinstance(value, str) and draw(st.integers(0, 30)) == 0:
            return dt.date(2024, 1, 1)
        return value

    return odd_keys(draw(definitions()))


_YAML_TABLE_KEY = {"StartAt": "A", "States": {"A": {
    "Type": "Task", "Resource": "arn:aws:states:::dynamodb:batchWriteItem", "End": True,
    "Parameters": {"RequestItems": {1: [{"PutRequest": {"Item": {}}}]}}}}}
_YAML_ARGUMENT_KEY = {"StartAt": "A", "States": {"A": {
    "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun", "End": True,
    "Parameters": {"JobName": "curate", "Arguments": {True: "s3://raw-bucket/events/"}}}}}


@settings(max_examples=examples(60))
@given(yaml_definitions(), state_machines)
@example(_YAML_TABLE_KEY, MACHINES[0])
@example(_YAML_ARGUMENT_KEY, MACHINES[0])
def test_a_yaml_definition_with_keys_that_are_not_text_is_read_without_raising(definition: Any,
                                                                               machine: Machine) -> None:
    text = yaml.safe_dump(definition, allow_unicode=True)
    as_text, as_mapping = parse_definition(text, machine, "machine.asl.yaml"), parse_definition(definition, machine)
    for facts in (as_text.facts, as_mapping.facts):
        ids = {node.id for node in facts.nodes} | {machine.id}
        assert all({edge.source, edge.target} <= ids for edge in facts.edges)


def test_the_definitions_generated_hold_every_state_type_the_parser_knows() -> None:
    """A state type the parser learns is a type these properties must generate too."""
    assert set(LEAF_TYPES) | set(CONTAINER_TYPES) == STATE_TYPES
