"""What `lineage asl` says of a definition — every node with its kind, every edge with its evidence as
excerpted, every warning word for word, every control call — for each row of the integration table,
each integration given nothing or values of the wrong type, and each reviewed corpus definition,
compared whole with a reviewed record (`golden/asl.json`).

The table and the reviews prove which flows a definition means; this proves how they are shown to a
person. After a deliberate change, run with `LINEAGE_RECORD_ASL=1` to rewrite the record, and review
its diff before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lineage import asl
from lineage.asl import Machine, parse_definition
from tests.conftest import CORPUS
from tests.lineage.test_asl_corpus import MACHINE_ID, _reviews
from tests.lineage.test_asl_handlers import MACHINE, ROWS
from tests.recorded import compare_with_record

RECORD = Path(__file__).parent / "golden" / "asl.json"


def as_read(definition: Any, machine: Machine, filename: str = "") -> dict[str, Any]:
    result = parse_definition(definition, machine, filename)
    return {
        "nodes": sorted(([n.id, n.kind, n.name, n.account, n.region, dict(n.attributes)] for n in result.facts.nodes),
                        key=lambda node: node[0]),
        "edges": sorted(([e.source, e.kind.value, e.target, [ev.to_dict() for ev in e.evidence]]
                         for e in result.facts.edges), key=lambda edge: edge[:3]),
        "warnings": result.warnings,
        "control_calls": result.control_calls,
    }


# Fields the handlers read, all given a value of the wrong type at once.
_FIELDS = ("FunctionName", "JobName", "Name", "TableName", "TableArn", "S3Bucket", "S3Prefix", "RequestItems",
           "TransactItems", "QueueUrl", "TopicArn", "TargetArn", "PhoneNumber", "Entries", "QueryString", "WorkGroup",
           "StateMachineArn", "TaskDefinition", "JobQueue", "ModelId", "ApiEndpoint", "Method", "StreamName",
           "StreamARN", "DeliveryStreamName", "Bucket", "Key", "Prefix", "CopySource", "Arguments", "Input", "Output")
_ACTIONS = [f"{service}:{action}" for service, action in asl._HANDLERS] + [
    "dynamodb:getItem", "dynamodb:putItem", "sqs:sendMessage", "sqs:receiveMessage", "s3:getObject",
    "s3:putObject", "s3:copyObject", "dynamodb:exportTableToPointInTime"]
_QUERIES = ("SELECT * FROM events", "UNLOAD (SELECT 1) TO 'https://not-s3/'", "SELECT ((( broken", "")


def odd_arguments() -> dict[str, Any]:
    """Each integration given nothing, and given values of the wrong type: what it warns, as recorded."""
    definitions: dict[str, Any] = {}
    for action in _ACTIONS:
        for label, arguments in (("nothing", {}), ("wrong types", dict.fromkeys(_FIELDS, 7))):
            task = {"Type": "Task", "Resource": f"arn:aws:states:::{action}", "Parameters": arguments, "End": True}
            definitions[f"odd: {action} given {label}"] = {"StartAt": "T", "States": {"T": task}}
    for query in _QUERIES:
        task = {"Type": "Task", "Resource": "arn:aws:states:::athena:startQueryExecution",
                "Parameters": {"QueryString": query}, "End": True}
        definitions[f"odd: athena query {query!r}"] = {"StartAt": "T", "States": {"T": task}}
    return {key: as_read(json.dumps(definition), MACHINE) for key, definition in definitions.items()}


def everything_as_read() -> dict[str, Any]:
    found: dict[str, Any] = {f"row: {row.id}": as_read(json.dumps(row.definition()), MACHINE) for row in ROWS}
    found.update(odd_arguments())
    if CORPUS.is_dir():
        machine = Machine(MACHINE_ID, MACHINE_ID.split(":")[3], MACHINE_ID.split(":")[4])
        for review in _reviews():
            path = CORPUS / "asl" / review["file"]
            found[f"corpus: {review['file']}"] = as_read(path.read_text(encoding="utf-8"), machine, path.name)
    return found


def test_every_definition_reads_as_recorded() -> None:
    # Without the corpus, the rows alone are compared.
    compare_with_record(everything_as_read(), RECORD, "LINEAGE_RECORD_ASL",
                        keep=None if CORPUS.is_dir() else lambda key: not key.startswith("corpus: "))
