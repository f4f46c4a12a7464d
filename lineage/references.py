"""What a function's configuration names: the table, bucket, queue or bus its environment variables hold.

A function that reads `TABLE_NAME=orders` from its environment works on the `orders` table, but the
configuration does not say whether it reads, writes or both: the edge is `references`, a flow of unknown
direction, walked both ways.

Environment values hold secrets as often as names, so none is kept as written. A value that names a
resource outright — an ARN, an `s3://` URL, a queue URL — is a resource id, kept as the edge's evidence.
Any other value that could be a resource's name is kept only as a digest (salted with the account), and
the graph matches digests against the names of what the scan read; the digests are dropped once matched.
A variable whose name says it holds a secret is not read at all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import replace
from typing import Any

from lineage import arn as arns
from lineage import redact
from lineage.model import Edge, EdgeKind, Evidence, Node

DIGESTS = "environment_digests"  # node attribute: [{"variable", "digest"}], read by `named_by_digests`

_ENDS_IN_KEY = re.compile(r"(?:^|[_-])KEY$", re.IGNORECASE)  # STRIPE_KEY: a key, though no word says secret
# Names of buckets, tables, queues, topics, streams, state machines and buses are drawn from these.
_NAME_LIKE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]{2,254}")

# What a function may name, with the words in a variable's name that point at each kind.
NAMEABLE: Mapping[str, tuple[str, ...]] = {
    "s3.bucket": ("BUCKET", "S3"),
    "dynamodb.table": ("TABLE", "DYNAMO", "DDB"),
    "sqs.queue": ("QUEUE", "SQS", "DLQ"),
    "sns.topic": ("TOPIC", "SNS"),
    "kinesis.stream": ("STREAM", "KINESIS"),
    "firehose.delivery_stream": ("FIREHOSE", "DELIVERY", "STREAM"),
    "states.state_machine": ("STATE_MACHINE", "STATEMACHINE", "SFN", "WORKFLOW"),
    "events.bus": ("BUS", "EVENTBRIDGE"),
}
_GLOBAL_NAMES = frozenset({"s3.bucket"})  # unique across regions: matched wherever the function runs
# Kinds an ARN in a variable may name and still be a place data goes or comes from.
_REFERABLE = frozenset({*NAMEABLE, "s3.location", "lambda.function", "glue.table", "glue.database", "glue.job",
                        "logs.log_group", "athena.workgroup"})


def _holds_a_secret(variable: str) -> bool:
    return redact.secret_word(variable) is not None or bool(_ENDS_IN_KEY.search(variable))


def name_digest(account: str, value: str) -> str:
    """A name as the collector keeps it: never the value, only what a matching name's digest equals."""
    return hashlib.sha256(f"{account}\n{value}".encode()).hexdigest()[:32]


def _outright(value: str) -> str | None:
    """The resource a value names by itself (an ARN, an S3 URL, a queue URL), or None."""
    if value.startswith("s3://"):
        parts = arns.parse_s3_url(value)
        return arns.s3_location_id(*parts) if parts else None
    if value.startswith("https://sqs.") or value.startswith("https://queue.amazonaws.com"):
        return arns.queue_url_to_arn(value)
    if value.startswith("arn:") and arns.kind_for_arn(value) in _REFERABLE:
        return arns.unqualified_lambda_arn(value)
    return None


def environment_references(function_id: str, account: str, variables: Mapping[str, Any], operation: str
                           ) -> tuple[list[Edge], list[dict[str, str]]]:
    """(edges to what values name outright, digests of the values that may be names), by variable."""
    edges: list[Edge] = []
    digests: list[dict[str, str]] = []
    for variable in sorted(variables):
        value = variables[variable]
        if not isinstance(value, str) or _holds_a_secret(variable):
            continue
        value = value.strip()
        target = _outright(value)
        if target is not None:
            evidence = Evidence(operation, function_id, f"Environment.Variables.{variable}", target)
            edges.append(Edge(function_id, target, EdgeKind.REFERENCES, (evidence,)))
        elif _NAME_LIKE.fullmatch(value) and not value.isdigit():
            digests.append({"variable": variable, "digest": name_digest(account, value)})
    return edges, digests


def named_by_digests(nodes: MutableMapping[str, Node], operation: str = "lambda:ListFunctions") -> list[Edge]:
    """The `references` edges from each node holding digests to the scanned resources whose names match,
    the digests dropped from the nodes. Where a variable's name points at a kind (`…_TABLE`), only
    matches of that kind count when there are any; a name in several kinds otherwise names each."""
    holders = [node for node in nodes.values() if node.attributes.get(DIGESTS)]
    if not holders:
        return []
    try:
        return _matches(nodes, holders, operation)
    finally:
        drop_digests(nodes)


def drop_digests(nodes: MutableMapping[str, Node]) -> None:
    """The digests gone from every node: once matched (or not), nothing of the values is kept."""
    for node_id in [i for i, node in nodes.items() if DIGESTS in node.attributes]:
        node = nodes[node_id]
        nodes[node_id] = replace(node, attributes={k: v for k, v in node.attributes.items() if k != DIGESTS})


def _matches(nodes: Mapping[str, Node], holders: list[Node], operation: str) -> list[Edge]:
    indexes: dict[str, dict[str, list[Node]]] = {}
    edges = []
    for holder in holders:
        index = indexes.get(holder.account)
        if index is None:
            index = indexes[holder.account] = _names_index(nodes.values(), holder.account)
        for entry in holder.attributes[DIGESTS]:
            matches = [node for node in index.get(str(entry.get("digest")), [])
                       if node.id != holder.id and _within_reach(holder, node)]
            variable = str(entry.get("variable", ""))
            hinted = [node for node in matches if any(word in variable.upper() for word in NAMEABLE[node.kind])]
            for node in sorted(hinted or matches, key=lambda n: n.id):
                evidence = Evidence(operation, holder.id, f"Environment.Variables.{variable}",
                                    f"the value is the name of {node.kind} {node.name}")
                edges.append(Edge(holder.id, node.id, EdgeKind.REFERENCES, (evidence,)))
    return edges


def _within_reach(function: Node, named: Node) -> bool:
    """A bare name means the function's own account and region (its SDK's defaults); a bucket's, anywhere."""
    return named.kind in _GLOBAL_NAMES or (named.region, named.account) == (function.region, function.account)


def _names_index(nodes: Any, account: str) -> dict[str, list[Node]]:
    index: dict[str, list[Node]] = {}
    for node in nodes:
        if node.observed and node.kind in NAMEABLE and node.name:
            index.setdefault(name_digest(account, node.name), []).append(node)
    return index
