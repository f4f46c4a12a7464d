"""Athena: workgroups (where queries run and results rest) and the saved work in each — named queries and
prepared statements.

A saved query's text says which catalog tables the workgroup's users read (and, for CTAS, INSERT and
UNLOAD, where its results go). Each saved query is a usage node of its own — `athena.named_query`,
`athena.prepared_statement` — that reads the tables its text names and is part of its workgroup; the
workgroup, where the query runs, reads those tables too. Neither has an ARN: their ids are built in the
workgroup's ARN space (`…:named-query/ID`, unique in the region; `…:prepared-statement/WORKGROUP/NAME`,
unique in the workgroup).

A workgroup whose engine is Apache Spark (`PySpark engine version 3`) runs notebooks, not SQL: it is
marked `engine: spark`, and holds no named queries or prepared statements to read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.context import AwsContext, each_resource, is_gone
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage import redact
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for
from lineage.sql import locations_written, tables_read, tables_written

LIST_WORK_GROUPS = Call("athena", "list_work_groups", result_key="WorkGroups", required=("Name",))
GET_WORK_GROUP = Call("athena", "get_work_group", required=("WorkGroup.Name",))
LIST_NAMED_QUERIES = Call("athena", "list_named_queries", result_key="NamedQueryIds")
BATCH_GET_NAMED_QUERY = Call("athena", "batch_get_named_query", required=("NamedQueries",))
LIST_PREPARED_STATEMENTS = Call("athena", "list_prepared_statements", result_key="PreparedStatements",
                                required=("StatementName",))
GET_PREPARED_STATEMENT = Call("athena", "get_prepared_statement", required=("PreparedStatement.QueryStatement",),
                              gone=("ResourceNotFoundException",))
BATCH_MOST = 50  # the most ids BatchGetNamedQuery takes at once
NAMED_QUERY = "athena.named_query"
PREPARED_STATEMENT = "athena.prepared_statement"
EXCERPT = 200


def named_query_id(region: str, account: str, query_id: str) -> str:
    return arns.build_arn("athena", region, account, f"named-query/{query_id}")


def prepared_statement_id(region: str, account: str, workgroup: str, name: str) -> str:
    return arns.build_arn("athena", region, account, f"prepared-statement/{workgroup}/{name}")


def is_spark(workgroup: Mapping[str, Any]) -> bool:
    engine = ((workgroup.get("Configuration") or {}).get("EngineVersion") or {})
    selected = str(engine.get("SelectedEngineVersion") or engine.get("EffectiveEngineVersion") or "")
    return selected.startswith("PySpark")


def _read_named_queries(ctx: AwsContext, region: str, name: str, record: dict[str, Any]) -> None:
    ids = ctx.pages(LIST_NAMED_QUERIES, region, name, WorkGroup=name)
    if ids is None:
        return
    queries: list[dict[str, Any]] = []
    unread: list[str] = []  # listed, but not read: each stays a node that says so
    for start in range(0, len(ids), BATCH_MOST):
        batch = [str(query_id) for query_id in ids[start:start + BATCH_MOST]]
        answer = ctx.call(BATCH_GET_NAMED_QUERY, region, name, NamedQueryIds=batch)
        if answer is None:
            unread.extend(batch)
            continue
        queries.extend(q for q in answer["NamedQueries"] if isinstance(q, Mapping))
        for failed in answer.get("UnprocessedNamedQueryIds") or ():
            unread.append(str(failed.get("NamedQueryId", "")))
            ctx.gap("athena", "BatchGetNamedQuery", str(failed.get("NamedQueryId", "")),
                    f"{failed.get('ErrorCode', 'Unprocessed')}: {failed.get('ErrorMessage', '')}", region)
    record["NamedQueries"] = queries
    if unread:
        record["NamedQueriesUnread"] = [query_id for query_id in unread if query_id]


def _read_prepared_statements(ctx: AwsContext, region: str, name: str, record: dict[str, Any]) -> None:
    listed = ctx.pages(LIST_PREPARED_STATEMENTS, region, name, WorkGroup=name)
    if listed is None:
        return
    statements: list[dict[str, Any]] = []
    unread: list[str] = []
    for summary in listed:
        statement = str(summary["StatementName"])
        answer = ctx.call(GET_PREPARED_STATEMENT, region, f"{name}/{statement}", StatementName=statement,
                          WorkGroup=name)
        if answer is None:
            unread.append(statement)
        elif not is_gone(answer):  # deleted since it was listed: nothing to read
            statements.append(answer["PreparedStatement"])
    record["PreparedStatements"] = statements
    if unread:
        record["PreparedStatementsUnread"] = unread


def _read_workgroups(ctx: AwsContext, region: str, workgroups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def read(workgroup: dict[str, Any]) -> dict[str, Any]:
        name = workgroup["Name"]
        described = ctx.call(GET_WORK_GROUP, region, name, WorkGroup=name)
        record: dict[str, Any] = {"WorkGroup": (described or {}).get("WorkGroup") or workgroup}
        if described is None:
            record["Unread"] = True
        if is_spark(record["WorkGroup"]):
            return record  # notebooks run there, not saved SQL
        _read_named_queries(ctx, region, name, record)
        _read_prepared_statements(ctx, region, name, record)
        return record

    return ctx.map(read, workgroups)


def get_athena(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    workgroups = ctx.pages(LIST_WORK_GROUPS, region, region)
    return [] if workgroups is None else _read_workgroups(ctx, region, workgroups)


def get_named_workgroups(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Workgroups that other facts name, read one by one when the listing could not be read."""
    names = sorted({arns.name_for_id(i) for i in wanted.get("athena.workgroup", ())})
    return _read_workgroups(ctx, region, [{"Name": name} for name in names])


def _saved_query_facts(workgroup_id: str, saved_id: str, kind: str, name: str, text: str, database: str,
                       operation: str, text_path: str, workgroup_path: str, region: str,
                       account: str) -> tuple[list[Node], list[Edge], str]:
    """A saved query's node, the tables it reads (read by its workgroup too, where it runs), what running it
    writes (written by the workgroup), and the warning its text gave, if any (said once, on the workgroup, as
    `coverage.unreadable_definition` reads it)."""
    excerpt = redact.sql(text)[:EXCERPT]  # literals may be secrets or personal data
    read, warning = tables_read(text, database)
    mine = Evidence(operation, saved_id, text_path, excerpt)
    run = Evidence(operation, workgroup_id, workgroup_path, excerpt)
    edges = [_part_of(saved_id, workgroup_id, operation)]
    unplaced = sorted(table for db, table in read if not db)
    if unplaced:  # a prepared statement is given its database only when it is executed
        warning = "; ".join(filter(None, (warning, f"no database is named for {', '.join(unplaced)}")))
    for db, table in read:
        if not db:
            continue
        table_id = arns.glue_table_arn(region, account, db, table)
        edges.append(Edge(table_id, saved_id, EdgeKind.READS, (mine,)))
        edges.append(Edge(table_id, workgroup_id, EdgeKind.READS, (run,)))
    for db, table in tables_written(text, database):
        edges.append(Edge(workgroup_id, arns.glue_table_arn(region, account, db, table), EdgeKind.WRITES, (run,)))
    for location in locations_written(text):
        parsed = arns.parse_s3_url(location)
        if parsed is not None:
            edges.append(Edge(workgroup_id, arns.s3_location_id(*parsed), EdgeKind.WRITES, (run,)))
    attributes: dict[str, Any] = {"workgroup": arns.name_for_id(workgroup_id)}
    if database:
        attributes["database"] = database
    node = Node(saved_id, kind, name, stage_for(kind), account, region, True, attributes)
    return [node], edges, warning or ""


def _unread_saved_query(saved_id: str, kind: str, name: str, workgroup: str, account: str, region: str) -> Node:
    """A saved query listed but not read: it is there, what it reads is not known."""
    return Node(saved_id, kind, name, stage_for(kind), account, region, True,
                {"workgroup": workgroup, "unread": ["query"]})


def _part_of(saved_id: str, workgroup_id: str, operation: str) -> Edge:
    return Edge(saved_id, workgroup_id, EdgeKind.PART_OF,
                (Evidence(operation, saved_id, "WorkGroup", arns.name_for_id(workgroup_id)),))


def transform_workgroup(record: dict[str, Any], account: str, region: str) -> Facts:
    workgroup = record["WorkGroup"]
    name = workgroup["Name"]
    workgroup_id = arns.athena_workgroup_arn(region, account, name)
    configuration = workgroup.get("Configuration") or {}
    result = configuration.get("ResultConfiguration") or {}
    encryption = result.get("EncryptionConfiguration") or {}
    named = [q for q in record.get("NamedQueries", []) if isinstance(q, Mapping)]
    prepared = [p for p in record.get("PreparedStatements", []) if isinstance(p, Mapping)]
    attributes: dict[str, Any] = {"named_queries": [str(q.get("Name", "")) for q in named]}
    if "PreparedStatements" in record:
        attributes["prepared_statements"] = [str(p.get("StatementName", "")) for p in prepared]
    spark = is_spark(workgroup)
    if not record.get("Unread"):  # a workgroup only listed: its configuration is unknown, so not judged
        attributes.update({
            "state": workgroup.get("State", ""),
            "output_location": result.get("OutputLocation"),
            "result_encryption": encryption.get("EncryptionOption"),
            "result_kms_key": encryption.get("KmsKey"),
            "enforce_configuration": bool(configuration.get("EnforceWorkGroupConfiguration")),
            # The most one query may scan before Athena cancels it (bytes); None: no limit.
            "bytes_scanned_cutoff": configuration.get("BytesScannedCutoffPerQuery"),
        })
        if spark:
            attributes["engine"] = "spark"
    unread = (["configuration"] if record.get("Unread") else []) + ([] if spark else (
        (["named_queries"] if "NamedQueries" not in record or record.get("NamedQueriesUnread") else []) +
        (["prepared_statements"] if "PreparedStatements" not in record or record.get("PreparedStatementsUnread")
         else [])))
    if unread:
        attributes["unread"] = unread
    nodes: list[Node] = []
    edges: list[Edge] = []
    warnings: list[str] = []
    output = arns.parse_s3_url(result.get("OutputLocation") or "")
    if output:
        evidence = Evidence("athena:GetWorkGroup", workgroup_id,
                            "Configuration.ResultConfiguration.OutputLocation", result["OutputLocation"])
        edges.append(Edge(workgroup_id, arns.s3_location_id(*output), EdgeKind.WRITES, (evidence,)))
    for query in named:
        query_name = str(query.get("Name", ""))
        saved_id = named_query_id(region, account, str(query.get("NamedQueryId") or query_name))
        found, flows, warning = _saved_query_facts(
            workgroup_id, saved_id, NAMED_QUERY, query_name, str(query.get("QueryString") or ""),
            str(query.get("Database") or ""), "athena:BatchGetNamedQuery", "QueryString",
            f"NamedQueries[{query_name}].QueryString", region, account)
        nodes.extend(found)
        edges.extend(flows)
        if warning:
            warnings.append(f"named query {query_name!r}: {warning}")
    for statement in prepared:
        statement_name = str(statement.get("StatementName", ""))
        saved_id = prepared_statement_id(region, account, name, statement_name)
        found, flows, warning = _saved_query_facts(
            workgroup_id, saved_id, PREPARED_STATEMENT, statement_name, str(statement.get("QueryStatement") or ""),
            "", "athena:GetPreparedStatement", "QueryStatement",
            f"PreparedStatements[{statement_name}].QueryStatement", region, account)
        nodes.extend(found)
        edges.extend(flows)
        if warning:
            warnings.append(f"prepared statement {statement_name!r}: {warning}")
    for query_id in record.get("NamedQueriesUnread") or ():
        saved_id = named_query_id(region, account, query_id)
        nodes.append(_unread_saved_query(saved_id, NAMED_QUERY, query_id, name, account, region))
        edges.append(_part_of(saved_id, workgroup_id, "athena:ListNamedQueries"))
    for statement_name in record.get("PreparedStatementsUnread") or ():
        saved_id = prepared_statement_id(region, account, name, statement_name)
        nodes.append(_unread_saved_query(saved_id, PREPARED_STATEMENT, statement_name, name, account, region))
        edges.append(_part_of(saved_id, workgroup_id, "athena:ListPreparedStatements"))
    if warnings:
        attributes["warnings"] = warnings
    node = Node(workgroup_id, "athena.workgroup", name, stage_for("athena.workgroup"), account, region,
                True, attributes)
    return Facts((node, *nodes), tuple(edges))


def transform_athena(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda record: transform_workgroup(record, account, region), GET_WORK_GROUP,
                         lambda record: record["WorkGroup"]["Name"], region)


COLLECTOR = Collector(
    service="athena", label="Athena",
    calls=(LIST_WORK_GROUPS, GET_WORK_GROUP, LIST_NAMED_QUERIES, BATCH_GET_NAMED_QUERY, LIST_PREPARED_STATEMENTS,
           GET_PREPARED_STATEMENT),
    get=get_athena, transform=transform_athena,
    listings={"athena.workgroup": LIST_WORK_GROUPS}, get_named=get_named_workgroups,
)
