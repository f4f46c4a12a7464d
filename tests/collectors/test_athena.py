"""Athena's saved work: the get on recorded answers through botocore's Stubber (workgroups in two pages, one of
them a Spark notebook workgroup, named query ids in two pages read in one batch, a prepared statement deleted
between listing and reading), named queries over the batch limit, ids the batch could not answer, the
transform on what was read, and the get on moto (with the operations `lineage.moto_support.athena` adds)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import athena
from collectors.context import AwsContext
from lineage import arn as arns
from lineage.model import Facts, Stage
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
BI = arns.athena_workgroup_arn(R, A, "bi")
NOTEBOOKS = arns.athena_workgroup_arn(R, A, "notebooks")
ENROLLMENTS = arns.glue_table_arn(R, A, "curated", "enrollments")
COURSES = arns.glue_table_arn(R, A, "catalog", "courses")
WEEKLY = f"arn:aws:athena:{R}:{A}:named-query/a1b2c3d4-0000-4000-8000-000000000001"
EXPORT = f"arn:aws:athena:{R}:{A}:named-query/a1b2c3d4-0000-4000-8000-000000000002"
BROKEN = f"arn:aws:athena:{R}:{A}:named-query/a1b2c3d4-0000-4000-8000-000000000003"
ROSTER = f"arn:aws:athena:{R}:{A}:prepared-statement/bi/course_roster"


def _recorded_read() -> list[dict[str, Any]]:
    answers = recorded("athena")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("athena", R))
    stub.add_response("list_work_groups", parsed("athena", "ListWorkGroups", answers["ListWorkGroups"][0]), {})
    stub.add_response("list_work_groups", parsed("athena", "ListWorkGroups", answers["ListWorkGroups"][1]),
                      {"NextToken": "page-2"})
    stub.add_response("get_work_group", parsed("athena", "GetWorkGroup", answers["GetWorkGroup"]["bi"]),
                      {"WorkGroup": "bi"})
    stub.add_response("list_named_queries", parsed("athena", "ListNamedQueries", answers["ListNamedQueries"][0]),
                      {"WorkGroup": "bi"})
    stub.add_response("list_named_queries", parsed("athena", "ListNamedQueries", answers["ListNamedQueries"][1]),
                      {"WorkGroup": "bi", "NextToken": "page-2"})
    stub.add_response("batch_get_named_query", parsed("athena", "BatchGetNamedQuery", answers["BatchGetNamedQuery"]),
                      {"NamedQueryIds": [f"a1b2c3d4-0000-4000-8000-00000000000{i}" for i in (1, 2, 3)]})
    stub.add_response("list_prepared_statements", parsed("athena", "ListPreparedStatements",
                                                         answers["ListPreparedStatements"][0]), {"WorkGroup": "bi"})
    stub.add_response("get_prepared_statement", parsed("athena", "GetPreparedStatement",
                                                       answers["GetPreparedStatement"]["course_roster"]),
                      {"WorkGroup": "bi", "StatementName": "course_roster"})
    stub.add_client_error("get_prepared_statement", "ResourceNotFoundException",
                          "Prepared statement deleted_meanwhile was not found",
                          expected_params={"WorkGroup": "bi", "StatementName": "deleted_meanwhile"})
    # The notebook workgroup is described; it holds no saved SQL to list.
    stub.add_response("get_work_group", parsed("athena", "GetWorkGroup", answers["GetWorkGroup"]["notebooks"]),
                      {"WorkGroup": "notebooks"})
    return read_through(stub, ctx, athena.get_athena, R)


def _flows(facts: Facts) -> set[tuple[str, str, str]]:
    return {(e.source, e.kind.value, e.target) for e in facts.edges}


def test_saved_queries_are_usage_nodes_that_read_their_tables_in_their_workgroup() -> None:
    facts = athena.transform_athena(_recorded_read(), A, R)
    nodes = {node.id: node for node in facts.nodes}
    assert set(nodes) == {BI, NOTEBOOKS, WEEKLY, EXPORT, BROKEN, ROSTER}
    weekly, roster = nodes[WEEKLY], nodes[ROSTER]
    assert (weekly.kind, weekly.name, weekly.stage) == ("athena.named_query", "weekly-completions", Stage.USAGE)
    assert weekly.attributes == {"workgroup": "bi", "database": "curated"}
    assert (roster.kind, roster.name, roster.attributes) == ("athena.prepared_statement", "course_roster",
                                                             {"workgroup": "bi"})
    assert _flows(facts) == {
        (BI, "writes", "arn:aws:s3:::lp-athena-results/bi"),
        (NOTEBOOKS, "writes", "arn:aws:s3:::lp-athena-results/notebooks"),
        (WEEKLY, "part_of", BI), (EXPORT, "part_of", BI), (BROKEN, "part_of", BI), (ROSTER, "part_of", BI),
        (ENROLLMENTS, "reads", WEEKLY), (ENROLLMENTS, "reads", EXPORT), (COURSES, "reads", EXPORT),
        (ENROLLMENTS, "reads", ROSTER),
        # The workgroup, where each runs, reads the same tables and writes what an UNLOAD exports.
        (ENROLLMENTS, "reads", BI), (COURSES, "reads", BI), (BI, "writes", "arn:aws:s3:::lp-exports/daily"),
    }
    evidence = next(e for e in facts.edges if (e.source, e.target) == (ENROLLMENTS, ROSTER)).evidence[0]
    assert (evidence.operation, evidence.path) == ("athena:GetPreparedStatement", "QueryStatement")
    assert "'eu'" not in evidence.excerpt  # literals may be personal data: never kept
    evidence = next(e for e in facts.edges if (e.source, e.target) == (ENROLLMENTS, WEEKLY)).evidence[0]
    assert evidence.operation == "athena:BatchGetNamedQuery" and "test@example.com" not in evidence.excerpt


def test_the_workgroups_say_their_engine_what_they_hold_and_what_could_not_be_parsed() -> None:
    nodes = {node.id: node for node in athena.transform_athena(_recorded_read(), A, R).nodes}
    bi, notebooks = nodes[BI], nodes[NOTEBOOKS]
    assert bi.attributes["named_queries"] == ["weekly-completions", "daily-export", "broken"]
    assert bi.attributes["prepared_statements"] == ["course_roster"]  # the one deleted meanwhile is not there
    assert "engine" not in bi.attributes and "unread" not in bi.attributes
    assert bi.attributes["warnings"][0].startswith("named query 'broken'")
    assert "warnings" not in nodes[BROKEN].attributes  # said once, on the workgroup
    assert notebooks.attributes["engine"] == "spark" and "unread" not in notebooks.attributes
    assert notebooks.attributes["named_queries"] == [] and "prepared_statements" not in notebooks.attributes
    # The most one query may scan (BytesScannedCutoffPerQuery): None where the workgroup sets no limit.
    assert (bi.attributes["bytes_scanned_cutoff"], notebooks.attributes["bytes_scanned_cutoff"]) == (
        107374182400, None)


def test_named_queries_are_read_fifty_at_a_time_and_an_unprocessed_id_is_a_gap() -> None:
    ids = [f"a1b2c3d4-0000-4000-8000-{i:012d}" for i in range(51)]
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("athena", R))
    stub.add_response("list_work_groups", {"WorkGroups": [{"Name": "bi"}]}, {})
    stub.add_response("get_work_group", {"WorkGroup": {"Name": "bi"}}, {"WorkGroup": "bi"})
    stub.add_response("list_named_queries", {"NamedQueryIds": ids}, {"WorkGroup": "bi"})
    first = [{"Name": f"q{i}", "Database": "d", "QueryString": "SELECT 1", "NamedQueryId": i} for i in ids[:49]]
    stub.add_response("batch_get_named_query", {"NamedQueries": first, "UnprocessedNamedQueryIds": [
        {"NamedQueryId": ids[49], "ErrorCode": "INTERNAL_FAILURE", "ErrorMessage": "try again"}]},
        {"NamedQueryIds": ids[:50]})
    stub.add_response("batch_get_named_query", {"NamedQueries": [
        {"Name": "last", "Database": "d", "QueryString": "SELECT * FROM t", "NamedQueryId": ids[50]}]},
        {"NamedQueryIds": ids[50:]})
    stub.add_response("list_prepared_statements", {"PreparedStatements": []}, {"WorkGroup": "bi"})
    with stub:
        records = athena.get_athena(ctx, R)
    ctx.close()
    assert [(g.operation, g.resource) for g in ctx.gaps] == [("BatchGetNamedQuery", ids[49])]
    [record] = records
    assert len(record["NamedQueries"]) == 50 and record["NamedQueriesUnread"] == [ids[49]]
    [workgroup] = [n for n in athena.transform_athena(records, A, R).nodes if n.kind == "athena.workgroup"]
    assert workgroup.attributes["unread"] == ["named_queries"]
    assert workgroup.attributes["bytes_scanned_cutoff"] is None  # described, and no limit set
    unread = next(n for n in athena.transform_athena(records, A, R).nodes if n.name == ids[49])
    assert unread.kind == "athena.named_query" and unread.attributes == {"workgroup": "bi", "unread": ["query"]}


def test_a_prepared_statement_without_a_database_says_so() -> None:
    record = {"WorkGroup": {"Name": "bi"}, "NamedQueries": [], "PreparedStatements": [
        {"StatementName": "s", "QueryStatement": "SELECT * FROM enrollments WHERE id = ?"}]}
    facts = athena.transform_athena([record], A, R)
    statement = next(n for n in facts.nodes if n.kind == "athena.prepared_statement")
    workgroup = next(n for n in facts.nodes if n.kind == "athena.workgroup")
    assert workgroup.attributes["warnings"] == ["prepared statement 's': no database is named for enrollments"]
    assert _flows(facts) == {(statement.id, "part_of", BI)}


@mock_aws
def test_saved_queries_get_on_moto() -> None:
    session = boto3.Session(region_name="us-east-1")
    client = session.client("athena")
    client.create_work_group(Name="bi", Configuration={"ResultConfiguration": {"OutputLocation": "s3://r/"},
                                                       "BytesScannedCutoffPerQuery": 10 * 2**30})
    query = client.create_named_query(Name="q", Database="d", QueryString="SELECT * FROM t", WorkGroup="bi")
    client.create_prepared_statement(StatementName="p", WorkGroup="bi", QueryStatement="SELECT * FROM d.u WHERE x = ?")
    ctx = AwsContext(session, ["us-east-1"])
    records = athena.get_athena(ctx, "us-east-1")
    ctx.close()
    assert ctx.gaps == []
    bi = next(r for r in records if r["WorkGroup"]["Name"] == "bi")
    assert [q["NamedQueryId"] for q in bi["NamedQueries"]] == [query["NamedQueryId"]]
    assert [p["StatementName"] for p in bi["PreparedStatements"]] == ["p"]
    facts = athena.transform_athena(records, "123456789012", "us-east-1")
    kinds = {n.kind for n in facts.nodes}
    assert {"athena.named_query", "athena.prepared_statement"} <= kinds
    [workgroup] = [n for n in facts.nodes if n.kind == "athena.workgroup" and n.name == "bi"]
    assert workgroup.attributes["bytes_scanned_cutoff"] == 10 * 2**30
