"""The Amazon States Language parser: integrations, direction, dynamic values, broken input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lineage.asl import DefinitionError, Machine, load_definition, parse_definition
from lineage.model import EdgeKind
from tests.conftest import corpus_files

MACHINE = Machine("arn:aws:states:eu-west-1:111122223333:stateMachine:etl", "eu-west-1", "111122223333")


def task(resource: str, parameters: dict[str, Any] | None = None, key: str = "Parameters") -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": resource, "End": True}
    if parameters is not None:
        state[key] = parameters
    return {"StartAt": "T", "States": {"T": state}}


def flows(definition: dict[str, Any] | str) -> set[tuple[str, str, str]]:
    result = parse_definition(definition if isinstance(definition, str) else json.dumps(definition), MACHINE)
    return {(e.source, e.kind.value, e.target) for e in result.facts.edges}


M = MACHINE.id


@pytest.mark.parametrize(
    ("resource", "parameters", "expected"),
    [
        ("arn:aws:states:::lambda:invoke", {"FunctionName": "enrich:live"},
         (M, "invokes", "arn:aws:lambda:eu-west-1:111122223333:function:enrich")),
        ("arn:aws:states:::lambda:invoke", {"FunctionName": "arn:aws:lambda:eu-west-1:444455556666:function:x:3"},
         (M, "invokes", "arn:aws:lambda:eu-west-1:444455556666:function:x")),
        ("arn:aws:states:::glue:startJobRun.sync", {"JobName": "curate"},
         (M, "invokes", "arn:aws:glue:eu-west-1:111122223333:job/curate")),
        ("arn:aws:states:::dynamodb:getItem", {"TableName": "users", "Key": {}},
         ("arn:aws:dynamodb:eu-west-1:111122223333:table/users", "reads", M)),
        ("arn:aws:states:::dynamodb:putItem", {"TableName": "users", "Item": {}},
         (M, "writes", "arn:aws:dynamodb:eu-west-1:111122223333:table/users")),
        ("arn:aws:states:::aws-sdk:dynamodb:query", {"TableName": "users"},
         ("arn:aws:dynamodb:eu-west-1:111122223333:table/users", "reads", M)),
        ("arn:aws:states:::sqs:sendMessage", {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/q"},
         (M, "writes", "arn:aws:sqs:eu-west-1:111122223333:q")),
        ("arn:aws:states:::sns:publish", {"TopicArn": "arn:aws:sns:eu-west-1:111122223333:t", "Message": "m"},
         (M, "writes", "arn:aws:sns:eu-west-1:111122223333:t")),
        ("arn:aws:states:::events:putEvents", {"Entries": [{"Detail": {}, "Source": "s"}]},
         (M, "writes", "arn:aws:events:eu-west-1:111122223333:event-bus/default")),
        ("arn:aws:states:::states:startExecution.sync:2",
         {"StateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:child"},
         (M, "invokes", "arn:aws:states:eu-west-1:111122223333:stateMachine:child")),
        ("arn:aws:states:::ecs:runTask.sync", {"TaskDefinition": "report:4", "Cluster": "c"},
         (M, "invokes", "arn:aws:ecs:eu-west-1:111122223333:task-definition/report:4")),
        ("arn:aws:states:::batch:submitJob.sync", {"JobQueue": "q", "JobName": "j", "JobDefinition": "d"},
         (M, "invokes", "arn:aws:batch:eu-west-1:111122223333:job-queue/q")),
        ("arn:aws:states:::bedrock:invokeModel", {"ModelId": "anthropic.claude-v2", "Body": {}},
         (M, "invokes", "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-v2")),
        ("arn:aws:states:::http:invoke", {"ApiEndpoint": "https://api.example.com/x", "Method": "POST"},
         (M, "writes", "https://api.example.com/x")),
        ("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "raw", "Key": "events/2024/a.json"},
         ("arn:aws:s3:::raw/events/2024", "reads", M)),
        ("arn:aws:states:::aws-sdk:s3:putObject", {"Bucket": "out", "Key": "x.json", "Body": "b"},
         (M, "writes", "arn:aws:s3:::out")),
        ("arn:aws:states:::aws-sdk:glue:startCrawler", {"Name": "c"},
         (M, "invokes", "arn:aws:glue:eu-west-1:111122223333:crawler/c")),
        ("arn:aws:lambda:eu-west-1:111122223333:function:legacy",
         None, (M, "invokes", "arn:aws:lambda:eu-west-1:111122223333:function:legacy")),
    ],
)
def test_integrations_become_flows_in_the_direction_data_moves(resource, parameters, expected) -> None:
    assert expected in flows(task(resource, parameters))


def test_athena_query_reads_its_tables_writes_its_output_and_runs_in_its_workgroup() -> None:
    found = flows(task("arn:aws:states:::athena:startQueryExecution.sync", {
        "QueryString": "WITH recent AS (SELECT * FROM curated.enrollments) "
                       "SELECT * FROM recent JOIN courses USING (id)",
        "QueryExecutionContext": {"Database": "Catalog"},
        "WorkGroup": "analytics",
        "ResultConfiguration": {"OutputLocation": "s3://results/reports/"},
    }))
    assert ("arn:aws:glue:eu-west-1:111122223333:table/curated/enrollments", "reads", M) in found
    assert ("arn:aws:glue:eu-west-1:111122223333:table/catalog/courses", "reads", M) in found
    assert not any("recent" in target or "recent" in source for source, _, target in found)
    assert (M, "writes", "arn:aws:s3:::results/reports") in found
    assert (M, "invokes", "arn:aws:athena:eu-west-1:111122223333:workgroup/analytics") in found


def test_glue_arguments_passed_by_a_task_are_flows_of_the_job() -> None:
    job = "arn:aws:glue:eu-west-1:111122223333:job/curate"
    result = parse_definition(json.dumps(task("arn:aws:states:::glue:startJobRun", {
        "JobName": "curate", "Arguments": {"--input_path": "s3://raw/in/", "--output_path": "s3://cur/out/",
                                           "--target_database": "curated", "--target_table": "people",
                                           "--run_date.$": "$.date"}})), MACHINE)
    found = {(e.source, e.kind.value, e.target): e for e in result.facts.edges}
    assert set(found) == {(M, "invokes", job), ("arn:aws:s3:::raw/in", "reads", job),
                          (job, "writes", "arn:aws:s3:::cur/out"),
                          (job, "writes", "arn:aws:glue:eu-west-1:111122223333:table/curated/people")}
    evidence = found[("arn:aws:s3:::raw/in", "reads", job)].evidence[0]
    assert (evidence.resource, evidence.path) == (M, "States.T.Parameters.Arguments.--input_path")


def test_glue_arguments_of_a_dynamic_job_stay_with_the_machine() -> None:
    found = flows(task("arn:aws:states:::glue:startJobRun", {
        "JobName.$": "$.job", "Arguments": {"--output_path": "s3://cur/out/"}}))
    assert (M, "writes", "arn:aws:s3:::cur/out") in found


def test_dynamodb_export_reads_the_table_and_writes_the_prefix() -> None:
    found = flows(task("arn:aws:states:::aws-sdk:dynamodb:exportTableToPointInTime", {
        "TableArn": "arn:aws:dynamodb:eu-west-1:111122223333:table/t", "S3Bucket": "raw", "S3Prefix": "exports"}))
    assert found == {("arn:aws:dynamodb:eu-west-1:111122223333:table/t", "reads", M),
                     (M, "writes", "arn:aws:s3:::raw/exports")}


def test_parallel_branches_and_both_map_forms_are_walked() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "Next": "Old", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                   "Parameters": {"FunctionName": "a"}, "End": True}}},
            ]},
            "Old": {"Type": "Map", "Next": "New", "Iterator": {"StartAt": "B", "States": {
                "B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {"FunctionName": "b"}, "End": True}}}},
            "New": {
                "Type": "Map", "End": True,
                "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                               "ReaderConfig": {"InputType": "CSV"},
                               "Parameters": {"Bucket": "inputs", "Key": "lists/items.csv"}},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                                  "StartAt": "C", "States": {"C": {
                                      "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                      "Parameters": {"FunctionName": "c"}, "End": True}}},
                "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                                 "Parameters": {"Bucket": "outputs", "Prefix": "runs"}},
            },
        },
    }
    found = flows(definition)
    for name in ("a", "b", "c"):
        assert (M, "invokes", f"arn:aws:lambda:eu-west-1:111122223333:function:{name}") in found
    assert ("arn:aws:s3:::inputs/lists", "reads", M) in found
    assert (M, "writes", "arn:aws:s3:::outputs/runs") in found


@pytest.mark.parametrize(
    ("definition", "expression"),
    [
        (task("arn:aws:states:::glue:startJobRun", {"JobName.$": "$.job"}), "$.job"),
        ({"QueryLanguage": "JSONata", **task("arn:aws:states:::glue:startJobRun",
                                             {"JobName": "{% $states.input.job %}"}, key="Arguments")},
         "{% $states.input.job %}"),
        (task("arn:aws:states:::glue:startJobRun", {"JobName": "${TransformJob}"}), "${TransformJob}"),
    ],
)
def test_a_dynamic_value_is_recorded_as_dynamic_not_guessed_not_dropped(definition, expression) -> None:
    result = parse_definition(json.dumps(definition), MACHINE)
    [edge] = result.facts.edges
    [node] = [n for n in result.facts.nodes if n.id == edge.target]
    assert edge.kind == EdgeKind.INVOKES and edge.source == M
    assert node.id.startswith("dynamic:") and node.kind == "glue.job" and not node.observed
    assert node.attributes == {"dynamic": True, "expression": expression}
    assert edge.evidence[0].dynamic and edge.evidence[0].excerpt == expression


def test_a_literal_bucket_with_a_dynamic_key_is_a_flow_into_that_bucket_marked_dynamic() -> None:
    result = parse_definition(json.dumps(task("arn:aws:states:::aws-sdk:s3:putObject",
                                              {"Bucket": "out", "Key.$": "$.key", "Body.$": "$"})), MACHINE)
    [edge] = result.facts.edges
    assert edge.target == "arn:aws:s3:::out" and edge.evidence[0].dynamic


def test_evidence_names_the_path_inside_the_document() -> None:
    definition = {"StartAt": "Load", "States": {"Load": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
        "Parameters": {"JobName": "load"}, "End": True}}}
    [edge] = parse_definition(json.dumps(definition), MACHINE).facts.edges
    assert edge.evidence[0].path == "States.Load.Parameters.JobName"
    assert edge.evidence[0].excerpt == "load" and edge.evidence[0].operation == "states:DescribeStateMachine"


def test_template_placeholders_outside_strings_are_read_as_dynamic() -> None:
    text = '{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": ${Wait}, "Next": "T"},' \
           ' "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",' \
           ' "Parameters": {"FunctionName": "${Fn}", "Payload": ${Payload}}, "End": true}}}'
    result = parse_definition(text, MACHINE)
    assert any("placeholder" in w for w in result.warnings)
    [edge] = result.facts.edges
    assert edge.target.startswith("dynamic:")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"StartAt": "A", "States": {"A": {"Type": "Teleport"}}}', "unknown state type 'Teleport'"),
        ('{"StartAt": "A", "States": {"A": {"Type": "Task", "End": true}}}', "needs `Resource`"),
        ('{"StartAt": "B", "States": {"A": {"Type": "Pass", "End": true}}}', "`StartAt` names `B`"),
        ('{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Z"}}}', "`Next` names `Z`"),
        ('{"StartAt": "A"}', "`States` is missing"),
        ('[1, 2]', "JSON object"),
    ],
)
def test_a_broken_definition_is_a_clear_warning_not_an_exception(text: str, message: str) -> None:
    result = parse_definition(text, MACHINE)
    assert any(message in warning for warning in result.warnings), result.warnings


def test_yaml_definitions_are_read() -> None:
    text = "StartAt: A\nStates:\n  A:\n    Type: Task\n    Resource: arn:aws:states:::sqs:sendMessage\n" \
           "    Parameters:\n      QueueUrl: https://sqs.eu-west-1.amazonaws.com/111122223333/jobs\n    End: true\n"
    data, _ = load_definition(text, "flow.asl.yaml")
    assert data["StartAt"] == "A"
    assert (M, "writes", "arn:aws:sqs:eu-west-1:111122223333:jobs") in flows(data)


def test_control_plane_calls_are_listed_not_drawn_as_flows() -> None:
    result = parse_definition(json.dumps(task("arn:aws:states:::aws-sdk:glue:getCrawler", {"Name": "c"})), MACHINE)
    assert result.facts.edges == () and result.control_calls == ["aws-sdk:glue:getCrawler"]


def test_something_that_is_not_a_definition_is_refused_when_loading() -> None:
    with pytest.raises(DefinitionError):
        load_definition('{"Resources": {}}', "template.json")


@pytest.mark.parametrize("path", corpus_files("asl"), ids=lambda p: p.name[-70:])
def test_every_corpus_definition_yields_facts_or_a_clean_warning(path, corpus) -> None:
    """Every Task and every Distributed Map reader and writer of a real definition is accounted for — by a flow
    whose evidence lies under it, by a control call that is its integration, or by a warning naming it — and
    every piece of evidence names a real place in the document. A file the loader refuses is one warning."""
    from tests.lineage.test_asl_corpus import integration_points, is_under, names_a_place

    text = path.read_text(encoding="utf-8")
    result = parse_definition(text, MACHINE, path.name)
    try:
        document, _ = load_definition(text, path.name)
    except DefinitionError:
        assert result.facts.nodes == () and result.facts.edges == () and result.integrations == []
        [warning] = result.warnings
        assert warning.strip() and "\n" not in warning
        return

    evidence_paths = [e.path for edge in result.facts.edges for e in edge.evidence]
    unaccounted = []
    control = list(result.control_calls)
    for state_path, resource in integration_points(document):
        if any(is_under(p, state_path) for p in evidence_paths):
            continue
        if any(is_under(w, state_path) and "`Next` names" not in w for w in result.warnings):
            continue  # a warning about the Task itself, not about where it goes next
        parts = resource.split(":", 5) if isinstance(resource, str) else []
        integration = parts[5] if len(parts) == 6 and parts[2] == "states" else ""  # arn:P:states:R:A:INTEGRATION
        if integration in control:
            control.remove(integration)  # one control call accounts for one Task
            continue
        unaccounted.append((state_path, resource))
    assert unaccounted == []

    assert [p for p in evidence_paths if not names_a_place(document, p)] == []
    for edge in result.facts.edges:
        assert edge.evidence and all(e.resource == M and e.excerpt for e in edge.evidence)
    for node in result.facts.nodes:
        assert not node.observed
        if node.id.startswith("dynamic:"):
            assert node.attributes["dynamic"] is True and node.attributes["expression"]
            assert names_a_place(document, node.id.partition("#")[2])


def _nested_text(depth: int) -> str:
    """`depth` Parallel states one inside the other around a Task writing to a dynamic bucket; built as
    text because the JSON encoder itself stops at Python's recursion limit."""
    text = json.dumps(task("arn:aws:states:::aws-sdk:s3:putObject", {"Bucket.$": "$.b", "Key": "k"}))
    for _ in range(depth):
        text = '{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [' + text + ']}}}'
    return text


def test_nesting_deeper_than_the_stack_is_walked_without_recursion() -> None:
    result = parse_definition(_nested_text(60), MACHINE)
    [edge] = result.facts.edges
    assert edge.target.startswith("dynamic:") and result.warnings == []


def test_nesting_beyond_the_limit_says_where_reading_stopped() -> None:
    from lineage.asl import MAX_NESTING

    definition: dict[str, Any] = task("arn:aws:states:::aws-sdk:s3:putObject", {"Bucket": "deep", "Key": "k"})
    for _ in range(MAX_NESTING + 20):  # as objects: deeper than any JSON text the reader would take
        definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [definition]}}}
    result = parse_definition(definition, MACHINE)
    assert result.facts.edges == ()
    [warning] = result.warnings
    assert f"nested more than {MAX_NESTING}" in warning and len(warning) < 1000


def test_a_definition_deeper_than_the_json_reader_goes_is_a_warning_not_a_recursion_error() -> None:
    result = parse_definition(_nested_text(2000), MACHINE)
    assert result.facts.edges == () and result.warnings == [
        "nested too deeply for the JSON reader (more than about a thousand levels)"]


def test_odd_values_where_objects_are_expected_are_warnings() -> None:
    odd = {"StartAt": "A", "States": {"A": {"Type": ["Task"]}, "B": {"Type": "Parallel", "Branches": "x"},
                                      "C": {"Type": "Map", "ItemProcessor": 7}, "D": 3}}
    result = parse_definition(odd, MACHINE)
    assert len(result.warnings) == 4 and result.facts.edges == ()
    assert parse_definition(["not", "a", "definition"], MACHINE).warnings  # type: ignore[arg-type]
