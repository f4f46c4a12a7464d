"""Athena: workgroups (where queries run and results rest) and the saved queries in each.

A saved query's text says which catalog tables the workgroup's users read.
"""

from __future__ import annotations

from typing import Any

from collectors.context import AwsContext
from lineage import arn as arns
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for
from lineage.sql import tables_read


def get_athena(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    client = ctx.client("athena", region)
    workgroups = ctx.pages(client, "list_work_groups", "WorkGroups", resource=region)
    if workgroups is None:
        return []

    def read(workgroup: dict[str, Any]) -> dict[str, Any]:
        name = workgroup["Name"]
        described = ctx.call(client, "get_work_group", name, WorkGroup=name)
        record: dict[str, Any] = {"WorkGroup": (described or {}).get("WorkGroup") or workgroup}
        ids = ctx.pages(client, "list_named_queries", "NamedQueryIds", name, WorkGroup=name)
        if ids is None:
            return record
        # One GetNamedQuery per saved query rather than BatchGetNamedQuery: a workgroup holds few,
        # and the emulators `--endpoint-url` is used with (moto, LocalStack) answer this one.
        queries: list[dict[str, Any]] = []
        for query_id in ids:
            answer = ctx.call(client, "get_named_query", query_id, NamedQueryId=query_id)
            if answer is None:
                return record
            queries.append(answer.get("NamedQuery", {}))
        record["NamedQueries"] = queries
        return record

    return ctx.map(read, workgroups)


def transform_workgroup(record: dict[str, Any], account: str, region: str) -> Facts:
    workgroup = record["WorkGroup"]
    name = workgroup["Name"]
    workgroup_id = arns.athena_workgroup_arn(region, account, name)
    configuration = workgroup.get("Configuration") or {}
    result = configuration.get("ResultConfiguration") or {}
    encryption = result.get("EncryptionConfiguration") or {}
    attributes: dict[str, Any] = {
        "state": workgroup.get("State", ""),
        "output_location": result.get("OutputLocation"),
        "result_encryption": encryption.get("EncryptionOption"),
        "result_kms_key": encryption.get("KmsKey"),
        "enforce_configuration": bool(configuration.get("EnforceWorkGroupConfiguration")),
        "named_queries": [q.get("Name", "") for q in record.get("NamedQueries", [])],
    }
    if "NamedQueries" not in record:
        attributes["unread"] = ["named_queries"]
    edges: list[Edge] = []
    warnings: list[str] = []
    output = arns.parse_s3_url(result.get("OutputLocation") or "")
    if output:
        evidence = Evidence("athena:GetWorkGroup", workgroup_id,
                            "Configuration.ResultConfiguration.OutputLocation", result["OutputLocation"])
        edges.append(Edge(workgroup_id, arns.s3_location_id(*output), EdgeKind.WRITES, (evidence,)))
    for query in record.get("NamedQueries", []):
        read, warning = tables_read(query.get("QueryString", ""), query.get("Database", ""))
        if warning:
            warnings.append(f"named query {query.get('Name', '')!r}: {warning}")
        for database, table in read:
            evidence = Evidence("athena:GetNamedQuery", workgroup_id,
                                f"NamedQueries[{query.get('Name', '')}].QueryString",
                                query.get("QueryString", "")[:200])
            table_id = arns.glue_table_arn(region, account, database, table)
            edges.append(Edge(table_id, workgroup_id, EdgeKind.READS, (evidence,)))
    if warnings:
        attributes["warnings"] = warnings
    node = Node(workgroup_id, "athena.workgroup", name, stage_for("athena.workgroup"), account, region,
                True, attributes)
    return Facts((node,), tuple(edges))


def transform_athena(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    facts = Facts()
    for record in records:
        facts = facts + transform_workgroup(record, account, region)
    return facts
