"""Lambda: the get on recorded answers through botocore's Stubber, the transform on what it read (mappings
from a queue, a table's stream and a Kinesis stream; destinations; a dead-letter target; variables' names
but never their values), and the get on moto."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import awslambda
from collectors.context import AwsContext
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
INGEST = f"arn:aws:lambda:{R}:{A}:function:orders-ingest"
THUMBNAIL = f"arn:aws:lambda:{R}:{A}:function:thumbnail"


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
    stub.add_response("list_event_source_mappings",
                      parsed("lambda", "ListEventSourceMappings", answers["ListEventSourceMappings"]), {})
    return read_through(stub, ctx, awslambda.get_lambda, R)


def test_recorded_functions_and_mappings_become_nodes_and_flows() -> None:
    facts = awslambda.transform_lambda(_recorded_read(), A, R)
    nodes = {node.id: node for node in facts.nodes}
    assert set(nodes) == {INGEST, THUMBNAIL}
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
    ctx = AwsContext(session, [R])
    raw = awslambda.get_lambda(ctx, R)
    ctx.close()
    assert ctx.gaps == []
    facts = awslambda.transform_lambda(raw, ctx.account or A, R)
    [worker] = facts.nodes
    assert worker.id == function and worker.attributes["tags"] == {"team": "etl"}
    assert worker.attributes["environment_names"] == ["SECRET"] and "s3cr3t-value" not in json.dumps(worker.to_dict())
    assert [(e.source, e.target) for e in facts.edges] == [
        (function, f"arn:aws:logs:{R}:{function.split(':')[4]}:log-group:/aws/lambda/worker"), (queue_arn, function)]
