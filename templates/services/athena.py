"""Athena workgroups, named queries and prepared statements in a template → what `GetWorkGroup`,
`BatchGetNamedQuery` and `GetPreparedStatement` answer for the deployed stack → the Athena collector's transform.

A workgroup's `WorkGroupConfiguration` is the API's `Configuration`. A freshly deployed workgroup holds exactly
the saved queries the template puts in it, so its named queries and prepared statements are read (an empty list
is an answer), except in a Spark workgroup, which the collector does not ask. A named query's id is chosen by
Athena: it is read under the query's stand-in name, and shown as its `cfn:` id.

A saved query in a workgroup the template does not define (a named query without `WorkGroup` is in `primary`)
is read in that workgroup, which is left to the account, where a scan finds it; what its text could not tell
becomes a warning on the template instead of on that workgroup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from collectors import athena
from lineage import arn as arns
from lineage.model import Facts
from templates.services.common import is_true, mapping_of, text_of
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::Athena::WorkGroup", "AWS::Athena::NamedQuery", "AWS::Athena::PreparedStatement"})
DEFAULT_WORKGROUP = "primary"  # where a named query without `WorkGroup` is saved
_BOOLEANS = ("EnforceWorkGroupConfiguration", "PublishCloudWatchMetricsEnabled", "RequesterPaysEnabled")


def configuration(written: Mapping[str, Any]) -> dict[str, Any]:
    """`WorkGroupConfiguration` as `GetWorkGroup`'s `Configuration`: booleans as booleans, a parameter's
    `"false"` included."""
    answered = dict(written)
    for key in _BOOLEANS:
        if key in answered:
            answered[key] = is_true(answered[key])
    if "BytesScannedCutoffPerQuery" in answered:
        try:
            answered["BytesScannedCutoffPerQuery"] = int(answered["BytesScannedCutoffPerQuery"])
        except (TypeError, ValueError):
            del answered["BytesScannedCutoffPerQuery"]
    return answered


def workgroup_answer(placed: Placed) -> dict[str, Any]:
    """`GetWorkGroup`'s `WorkGroup`."""
    properties = placed.properties
    answer: dict[str, Any] = {"Name": placed.name, "State": properties.get("State") or "ENABLED",
                              "Configuration": configuration(mapping_of(properties.get("WorkGroupConfiguration")))}
    if properties.get("Description"):
        answer["Description"] = properties["Description"]
    return answer


def named_query(placed: Placed) -> dict[str, Any]:
    """`BatchGetNamedQuery`'s entry; its id is the one Athena chooses, read under the stand-in name."""
    properties = placed.properties
    query = {"Name": text_of(properties.get("Name")) or placed.logical_id,
             "Database": text_of(properties.get("Database")),
             "QueryString": text_of(properties.get("QueryString")), "NamedQueryId": placed.name,
             "WorkGroup": text_of(properties.get("WorkGroup")) or DEFAULT_WORKGROUP}
    if properties.get("Description"):
        query["Description"] = properties["Description"]
    return query


def prepared_statement(placed: Placed) -> dict[str, Any]:
    """`GetPreparedStatement`'s `PreparedStatement`."""
    properties = placed.properties
    statement = {"StatementName": placed.name, "QueryStatement": text_of(properties.get("QueryStatement")),
                 "WorkGroupName": text_of(properties.get("WorkGroup")) or DEFAULT_WORKGROUP}
    if properties.get("Description"):
        statement["Description"] = properties["Description"]
    return statement


def athena_records(stack: Stack) -> tuple[list[dict[str, Any]], set[str]]:
    """The records `get_athena` would read from the deployed stack, and the workgroups its saved queries are
    in that the template does not define."""
    records: dict[str, dict[str, Any]] = {}
    for placed in stack.placed.values():
        if placed.type == "AWS::Athena::WorkGroup":
            answer = workgroup_answer(placed)
            records[placed.name] = {"WorkGroup": answer} if athena.is_spark(answer) else {
                "WorkGroup": answer, "NamedQueries": [], "PreparedStatements": []}
    defined = set(records)
    for placed in stack.placed.values():
        if placed.type == "AWS::Athena::NamedQuery":
            query = named_query(placed)
            key, item = "NamedQueries", query
            workgroup = query["WorkGroup"]
        elif placed.type == "AWS::Athena::PreparedStatement":
            statement = prepared_statement(placed)
            key, item = "PreparedStatements", statement
            workgroup = statement["WorkGroupName"]
        else:
            continue
        record = records.setdefault(workgroup, {"WorkGroup": {"Name": workgroup}, "NamedQueries": [],
                                                "PreparedStatements": []})
        if key in record:  # a Spark workgroup holds no saved SQL for the collector to read
            record[key].append(item)
    return list(records.values()), set(records) - defined


def facts(stack: Stack) -> Facts:
    records, elsewhere = athena_records(stack)
    found = athena.transform_athena(records, stack.account, stack.region)
    if not elsewhere:
        return found
    outside = {arns.athena_workgroup_arn(stack.region, stack.account, name) for name in elsewhere}
    for node in found.nodes:
        if node.id in outside:
            stack.warnings.extend(f"Athena workgroup {node.name}: {warning}"
                                  for warning in node.attributes.get("warnings", ()))
    return replace(found, nodes=tuple(n for n in found.nodes if n.id not in outside))
