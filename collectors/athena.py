"""Athena: workgroups (where queries run and results rest) and the saved queries in each.

A saved query's text says which catalog tables the workgroup's users read.
"""

from __future__ import annotations

from typing import Any

from collectors.context import AwsContext, each_resource
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage import redact
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for
from lineage.sql import locations_written, tables_read

LIST_WORK_GROUPS = Call("athena", "list_work_groups", result_key="WorkGroups", required=("Name",))
GET_WORK_GROUP = Call("athena", "get_work_group", required=("WorkGroup.Name",))
LIST_NAMED_QUERIES = Call("athena", "list_named_queries", result_key="NamedQueryIds")
GET_NAMED_QUERY = Call("athena", "get_named_query", required=("NamedQuery.QueryString",))


def _read_workgroups(ctx: AwsContext, region: str, workgroups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def read(workgroup: dict[str, Any]) -> dict[str, Any]:
        name = workgroup["Name"]
        described = ctx.call(GET_WORK_GROUP, region, name, WorkGroup=name)
        record: dict[str, Any] = {"WorkGroup": (described or {}).get("WorkGroup") or workgroup}
        if described is None:
            record["Unread"] = True
        ids = ctx.pages(LIST_NAMED_QUERIES, region, name, WorkGroup=name)
        if ids is None:
            return record
        # One GetNamedQuery per saved query rather than BatchGetNamedQuery: a workgroup holds few,
        # and the emulators `--endpoint-url` is used with (moto, LocalStack) answer this one.
        answers = [ctx.call(GET_NAMED_QUERY, region, query_id, NamedQueryId=query_id) for query_id in ids]
        record["NamedQueries"] = [answer["NamedQuery"] for answer in answers if answer is not None]
        if len(record["NamedQueries"]) < len(ids):
            record["NamedQueriesUnread"] = len(ids) - len(record["NamedQueries"])
        return record

    return ctx.map(read, workgroups)


def get_athena(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    workgroups = ctx.pages(LIST_WORK_GROUPS, region, region)
    return [] if workgroups is None else _read_workgroups(ctx, region, workgroups)


def get_named_workgroups(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Workgroups that other facts name, read one by one when the listing could not be read."""
    names = sorted({arns.name_for_id(i) for i in wanted.get("athena.workgroup", ())})
    return _read_workgroups(ctx, region, [{"Name": name} for name in names])


def transform_workgroup(record: dict[str, Any], account: str, region: str) -> Facts:
    workgroup = record["WorkGroup"]
    name = workgroup["Name"]
    workgroup_id = arns.athena_workgroup_arn(region, account, name)
    configuration = workgroup.get("Configuration") or {}
    result = configuration.get("ResultConfiguration") or {}
    encryption = result.get("EncryptionConfiguration") or {}
    attributes: dict[str, Any] = {"named_queries": [q.get("Name", "") for q in record.get("NamedQueries", [])]}
    if not record.get("Unread"):  # a workgroup only listed: its configuration is unknown, so not judged
        attributes.update({
            "state": workgroup.get("State", ""),
            "output_location": result.get("OutputLocation"),
            "result_encryption": encryption.get("EncryptionOption"),
            "result_kms_key": encryption.get("KmsKey"),
            "enforce_configuration": bool(configuration.get("EnforceWorkGroupConfiguration")),
        })
    unread = (["configuration"] if record.get("Unread") else []) + (
        ["named_queries"] if "NamedQueries" not in record or record.get("NamedQueriesUnread") else [])
    if unread:
        attributes["unread"] = unread
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
                                redact.sql(query.get("QueryString", ""))[:200])
            table_id = arns.glue_table_arn(region, account, database, table)
            edges.append(Edge(table_id, workgroup_id, EdgeKind.READS, (evidence,)))
        for location in locations_written(query.get("QueryString", "")):
            parsed = arns.parse_s3_url(location)
            if parsed is not None:
                evidence = Evidence("athena:GetNamedQuery", workgroup_id,
                                    f"NamedQueries[{query.get('Name', '')}].QueryString",
                                    redact.sql(query.get("QueryString", ""))[:200])
                edges.append(Edge(workgroup_id, arns.s3_location_id(*parsed), EdgeKind.WRITES, (evidence,)))
    if warnings:
        attributes["warnings"] = warnings
    node = Node(workgroup_id, "athena.workgroup", name, stage_for("athena.workgroup"), account, region,
                True, attributes)
    return Facts((node,), tuple(edges))


def transform_athena(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda record: transform_workgroup(record, account, region), GET_WORK_GROUP,
                         lambda record: record["WorkGroup"]["Name"], region)


COLLECTOR = Collector(
    service="athena", label="Athena",
    calls=(LIST_WORK_GROUPS, GET_WORK_GROUP, LIST_NAMED_QUERIES, GET_NAMED_QUERY),
    get=get_athena, transform=transform_athena,
    listings={"athena.workgroup": LIST_WORK_GROUPS}, get_named=get_named_workgroups,
)
