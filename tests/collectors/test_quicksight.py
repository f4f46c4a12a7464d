"""QuickSight: the get on recorded answers through botocore's Stubber (data sources in two pages, an item
without its ARN, a dataset made by uploading a file, resources deleted between listing and reading), an
account that never subscribed, a scan without the account, a definition that could not be read; the
transform; the get on moto (the demo's dashboards); and what the rules make of it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from moto import mock_aws

from collectors import events, quicksight
from collectors.context import AwsContext
from lineage import arn as arns
from lineage.demo import ACCOUNT, REGION
from lineage.demo import dashboards as demo_dashboards
from lineage.graph import build_graph
from lineage.model import EdgeKind, Facts, Node, Severity, Stage
from lineage.rules import evaluate
from lineage.scan import collect
from tests.collectors.recorded_answers import parsed, recorded

R, A = "eu-west-1", "111122223333"
QS = f"arn:aws:quicksight:{R}:{A}"
ATHENA_SOURCE, MANIFEST_SOURCE, REDSHIFT_SOURCE, RDS_SOURCE, MYSQL_SOURCE, JIRA_SOURCE = (
    f"{QS}:datasource/{name}" for name in ("lp-athena", "partner-files", "finance-warehouse", "course-db",
                                            "legacy-crm", "support-tickets"))
WEEKLY, COMPLETIONS, UPLOAD, DELETED = (f"{QS}:dataset/{name}" for name in (
    "weekly-enrollments", "course-completions", "survey-upload", "deleted-meanwhile"))
DASHBOARD = f"{QS}:dashboard/enrollment-overview"
ANALYSIS = f"{QS}:analysis/course-completion-trends"
ENROLLMENTS = arns.glue_table_arn(R, A, "curated", "enrollments")
WORKGROUP = arns.athena_workgroup_arn(R, A, "analytics")
LISTING = {"AwsAccountId": A, "MaxResults": 100}


def _context(account: str = A) -> AwsContext:
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    ctx.account = account
    return ctx


def _stub_recorded(stub: Stubber, answers: dict[str, Any]) -> None:
    pages = answers["ListDataSources"]
    stub.add_response("list_data_sources", parsed("quicksight", "ListDataSources", pages[0]), LISTING)
    stub.add_response("list_data_sources", parsed("quicksight", "ListDataSources", pages[1]),
                      {**LISTING, "NextToken": pages[0]["NextToken"]})
    stub.add_response("list_data_sets", parsed("quicksight", "ListDataSets", answers["ListDataSets"][0]), LISTING)
    for name in ("weekly-enrollments", "course-completions"):
        described = parsed("quicksight", "DescribeDataSet", answers["DescribeDataSet"][name])
        stub.add_response("describe_data_set", described, {"AwsAccountId": A, "DataSetId": name})
        stub.add_response("list_tags_for_resource", parsed("quicksight", "ListTagsForResource",
                                                           answers["ListTagsForResource"][name]),
                          {"ResourceArn": f"{QS}:dataset/{name}"})
    # A dataset made by uploading a file: AWS will not describe it.
    stub.add_client_error("describe_data_set", "InvalidParameterValueException",
                          "The data set type is not supported through API yet", http_status_code=400,
                          expected_params={"AwsAccountId": A, "DataSetId": "survey-upload"})
    stub.add_response("list_tags_for_resource", parsed("quicksight", "ListTagsForResource",
                                                       answers["ListTagsForResource"]["survey-upload"]),
                      {"ResourceArn": UPLOAD})
    stub.add_client_error("describe_data_set", "ResourceNotFoundException", "Data set deleted-meanwhile not found",
                          http_status_code=404, expected_params={"AwsAccountId": A, "DataSetId": "deleted-meanwhile"})
    stub.add_response("list_dashboards", parsed("quicksight", "ListDashboards", answers["ListDashboards"][0]), LISTING)
    stub.add_response("describe_dashboard", parsed("quicksight", "DescribeDashboard",
                                                   answers["DescribeDashboard"]["enrollment-overview"]),
                      {"AwsAccountId": A, "DashboardId": "enrollment-overview"})
    stub.add_response("list_analyses", parsed("quicksight", "ListAnalyses", answers["ListAnalyses"][0]), LISTING)
    stub.add_response("describe_analysis", parsed("quicksight", "DescribeAnalysis",
                                                  answers["DescribeAnalysis"]["course-completion-trends"]),
                      {"AwsAccountId": A, "AnalysisId": "course-completion-trends"})
    stub.add_client_error("describe_analysis", "ResourceNotFoundException", "Analysis deleted-meanwhile not found",
                          http_status_code=404, expected_params={"AwsAccountId": A, "AnalysisId": "deleted-meanwhile"})


def _recorded_read() -> tuple[dict[str, Any], list[Any]]:
    """What the get read from the recorded answers, each used, and the gaps it met."""
    ctx = _context()
    stub = Stubber(ctx.client("quicksight", R))
    _stub_recorded(stub, recorded("quicksight"))
    with stub:
        raw = quicksight.get_quicksight(ctx, R)
        stub.assert_no_pending_responses()
    ctx.close()
    return raw, ctx.gaps


def _recorded_facts() -> Facts:
    return quicksight.transform_quicksight(_recorded_read()[0], A, R)


# --- the recorded answers are AWS's shapes ----------------------------------------------------------


def _unknown_members(shape: Any, value: Any, path: str) -> list[str]:
    """Keys of a recorded body that botocore's model of the answer does not have."""
    if shape.type_name == "structure" and isinstance(value, Mapping):
        found = [f"{path}.{key}" for key in value if key not in shape.members]
        for key, inner in value.items():
            if key in shape.members:
                found += _unknown_members(shape.members[key], inner, f"{path}.{key}")
        return found
    if shape.type_name == "list" and isinstance(value, list):
        return [bad for i, item in enumerate(value) for bad in _unknown_members(shape.member, item, f"{path}[{i}]")]
    if shape.type_name == "map" and isinstance(value, Mapping):
        return [bad for key, item in value.items() for bad in _unknown_members(shape.value, item, f"{path}.{key}")]
    return []


def test_every_recorded_answer_has_only_what_botocores_model_of_it_has() -> None:
    model = botocore.session.get_session().get_service_model("quicksight")
    for operation, answers in recorded("quicksight").items():
        bodies = answers if isinstance(answers, list) else list(answers.values())
        for body in bodies:
            assert _unknown_members(model.operation_model(operation).output_shape, body, operation) == []


# --- get and transform on recorded answers ----------------------------------------------------------


def test_the_recorded_listings_are_read_page_by_page_and_an_item_without_its_arn_costs_only_itself() -> None:
    raw, gaps = _recorded_read()
    assert [s["Arn"] for s in raw["DataSources"]] == [ATHENA_SOURCE, MANIFEST_SOURCE, REDSHIFT_SOURCE, RDS_SOURCE,
                                                      MYSQL_SOURCE, JIRA_SOURCE]
    # Deleted between listing and reading: not there, and no gap. The items without ARNs: one gap each.
    assert [r["Summary"]["Arn"] for r in raw["DataSets"]] == [WEEKLY, COMPLETIONS, UPLOAD]
    assert [r["Summary"]["Arn"] for r in raw["Analyses"]] == [ANALYSIS]
    assert sorted((g.operation, g.error) for g in gaps) == [
        ("ListDataSets", "UnusableAnswer: an item of DataSetSummaries lacks Arn"),
        ("ListDataSources", "UnusableAnswer: an item of DataSources lacks Arn")]


def test_data_sources_read_their_workgroup_manifest_instance_cluster_and_host() -> None:
    facts = _recorded_facts()
    nodes = {n.id: n for n in facts.nodes}
    into = {e.target: e for e in facts.edges if e.target.startswith(f"{QS}:datasource/")}
    athena = nodes[ATHENA_SOURCE]
    assert athena.kind == "quicksight.data_source" and athena.stage is Stage.USAGE and athena.observed
    assert athena.attributes == {"type": "ATHENA", "status": "CREATION_SUCCESSFUL", "ssl_disabled": False,
                                 "vpc_connection": None, "role": f"arn:aws:iam::{A}:role/quicksight-athena",
                                 "reads_from": WORKGROUP}
    assert (into[ATHENA_SOURCE].source, into[ATHENA_SOURCE].kind) == (WORKGROUP, EdgeKind.READS)
    assert into[ATHENA_SOURCE].evidence[0].path == "DataSourceParameters.AthenaParameters.WorkGroup"
    assert into[MANIFEST_SOURCE].source == arns.s3_location_id("lp-partner-drop", "manifests/partners.json")
    assert into[REDSHIFT_SOURCE].source == f"arn:aws:redshift:{R}:{A}:cluster:finance"
    assert into[RDS_SOURCE].source == f"arn:aws:rds:{R}:{A}:db:course-db"
    assert nodes[RDS_SOURCE].attributes["vpc_connection"] == f"{QS}:vpcConnection/lp-private"
    assert into[MYSQL_SOURCE].source == "mysql://crm.example.edu:3306/crm"
    assert nodes[MYSQL_SOURCE].attributes["ssl_disabled"] is True
    assert nodes[MYSQL_SOURCE].attributes["credentials_secret"].startswith("arn:aws:secretsmanager:")
    # A SaaS application has no place of its own: said, and no edge.
    assert JIRA_SOURCE not in into and nodes[JIRA_SOURCE].attributes["reads_from"].startswith("JIRA")


def test_datasets_read_their_tables_sql_sources_and_other_datasets() -> None:
    facts = _recorded_facts()
    nodes = {n.id: n for n in facts.nodes}
    into: dict[str, set[str]] = {}
    for edge in facts.edges:
        assert edge.kind is EdgeKind.READS
        into.setdefault(edge.target, set()).add(edge.source)
    # The relational table of an Athena data source is the catalog table (names folded to lower case).
    assert into[WEEKLY] == {ATHENA_SOURCE, ENROLLMENTS}
    weekly = nodes[WEEKLY].attributes
    assert (weekly["import_mode"], weekly["spice"], weekly["spice_bytes"]) == ("SPICE", True, 5242880)
    assert (weekly["row_level_security"], weekly["column_level_security"]) == (False, [])
    assert weekly["tables"] == [{"id": "enrollments", "source": "relational", "data_source": ATHENA_SOURCE,
                                 "table": "AwsDataCatalog.curated.Enrollments"}]
    assert weekly["tags"] == {"team": "course-team"} and "unread" not in weekly
    # Custom SQL on Athena: the tables its text names with their database (the WITH name is its own; a table
    # without its database is a warning); a Redshift table is the cluster's, read through its data source;
    # a logical table built on another dataset reads that dataset.
    assert into[COMPLETIONS] == {ATHENA_SOURCE, REDSHIFT_SOURCE, ENROLLMENTS,
                                 arns.glue_table_arn(R, A, "curated", "courses"), WEEKLY}
    completions = nodes[COMPLETIONS]
    assert completions.stage is Stage.PROCESSING  # its lineage:stage tag
    assert completions.attributes["row_level_security"] is True
    assert completions.attributes["row_level_permission_data_set"] == f"{QS}:dataset/course-team-rules"
    # The principals are counted, never named: a user's name can be an e-mail address.
    assert completions.attributes["column_level_security"] == [{"columns": ["completions"], "principals": 2}]
    assert completions.attributes["warnings"] == [
        "PhysicalTableMap.completions.CustomSql: table 'staging_notes' is named without its database"]
    sql = next(e for e in facts.edges if e.source == ENROLLMENTS and e.target == COMPLETIONS).evidence[0]
    assert sql.path == "PhysicalTableMap.completions.CustomSql.SqlQuery"
    assert "test@example.edu" not in sql.excerpt  # the literal is redacted
    upload = nodes[UPLOAD].attributes
    assert upload["uploaded"] is True and upload["tags"] == {} and UPLOAD not in into
    assert DELETED not in nodes


def test_dashboards_and_analyses_read_the_datasets_they_show() -> None:
    facts = _recorded_facts()
    nodes = {n.id: n for n in facts.nodes}
    shown = {(e.source, e.target) for e in facts.edges if e.target in (DASHBOARD, ANALYSIS)}
    assert shown == {(WEEKLY, DASHBOARD), (COMPLETIONS, DASHBOARD), (COMPLETIONS, ANALYSIS)}
    assert nodes[DASHBOARD].kind == "quicksight.dashboard" and nodes[DASHBOARD].name == "Enrollment overview"
    assert nodes[DASHBOARD].attributes == {"status": "CREATION_SUCCESSFUL", "published_version": 3, "datasets": 2}
    assert nodes[ANALYSIS].kind == "quicksight.analysis"
    assert nodes[ANALYSIS].attributes == {"status": "UPDATE_SUCCESSFUL", "datasets": 1}
    assert f"{QS}:analysis/deleted-meanwhile" not in nodes


# --- what is not an answer -------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "message"), [
    ("UnsupportedUserEditionException", f"Account {A} is not subscribed for QuickSight"),
    ("ResourceNotFoundException", f"Account {A} is not signed up with QuickSight"),
    ("ResourceNotFoundException", f"Account information for account {A} not found"),
])
def test_an_account_without_quicksight_is_a_fact_not_a_gap(code: str, message: str) -> None:
    ctx = _context()
    stub = Stubber(ctx.client("quicksight", R))
    stub.add_client_error("list_data_sources", code, message, http_status_code=403, expected_params=LISTING)
    with stub:
        raw = quicksight.get_quicksight(ctx, R)
        stub.assert_no_pending_responses()  # nothing more is asked
    assert raw == {"Subscribed": False} and ctx.gaps == []
    assert quicksight.transform_quicksight(raw, A, R) == Facts()


def test_a_denied_listing_is_a_gap_and_the_others_are_still_read() -> None:
    answers = recorded("quicksight")
    ctx = _context()
    stub = Stubber(ctx.client("quicksight", R))
    stub.add_client_error("list_data_sources", "AccessDeniedException", "User is not authorized",
                          http_status_code=403, expected_params=LISTING)
    stub.add_response("list_data_sets", {"DataSetSummaries": [], "Status": 200}, LISTING)
    stub.add_response("list_dashboards", parsed("quicksight", "ListDashboards", answers["ListDashboards"][0]), LISTING)
    stub.add_client_error("describe_dashboard", "ThrottlingException", "Rate exceeded", http_status_code=429,
                          expected_params={"AwsAccountId": A, "DashboardId": "enrollment-overview"})
    stub.add_response("list_analyses", {"AnalysisSummaryList": []}, LISTING)
    with stub:
        raw = quicksight.get_quicksight(ctx, R)
    assert [g.operation for g in ctx.gaps] == ["ListDataSources", "DescribeDashboard"]
    assert raw["DataSourcesUnread"] is True
    [dashboard] = quicksight.transform_quicksight(raw, A, R).nodes
    assert dashboard.id == DASHBOARD and dashboard.observed and dashboard.attributes["unread"] == ["datasets"]


def test_without_the_account_nothing_is_asked_and_one_gap_says_why() -> None:
    ctx = _context(account="")
    stub = Stubber(ctx.client("quicksight", R))
    with stub:
        raw = quicksight.get_quicksight(ctx, R)
    assert ctx.gaps == []
    facts = quicksight.transform_quicksight(raw, "", R)
    [gap] = facts.gaps
    assert (gap.operation, gap.region) == ("ListDataSources", R) and gap.error.startswith("AccountUnknown")
    assert facts.nodes == ()


@mock_aws
def test_when_sts_is_silent_quicksight_is_read_after_the_answers_that_name_the_account() -> None:
    session = boto3.Session(region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    demo_dashboards.build(lambda name: session.client(name))

    def silent(request: Any, **_: Any) -> None:
        raise EndpointConnectionError(endpoint_url=request.url)

    session.events.register_first("before-send.sts", silent)
    ctx = AwsContext(session, [REGION], max_attempts=1)
    ctx.identify()
    facts = collect(ctx, collectors=(events.COLLECTOR, quicksight.COLLECTOR))
    ctx.close()
    assert [g.service for g in ctx.gaps] == ["sts"]
    assert ctx.account == ACCOUNT  # named by the default event bus's ARN
    kinds = {n.kind for f in facts for n in f.nodes}
    assert {"quicksight.data_source", "quicksight.dataset", "quicksight.dashboard"} <= kinds
    assert not [g for f in facts for g in f.gaps]


def test_a_dataset_whose_definition_was_not_read_keeps_what_the_listing_said() -> None:
    summary = recorded("quicksight")["ListDataSets"][0]["DataSetSummaries"][1]
    raw = {"Subscribed": True, "DataSourcesUnread": True, "DataSets": [{"Summary": summary, "Unread": True}]}
    [node] = quicksight.transform_quicksight(raw, A, R).nodes
    assert node.id == COMPLETIONS and node.observed
    assert node.attributes == {"import_mode": "DIRECT_QUERY", "spice": False, "row_level_security": True,
                               "column_level_security_applied": True, "unread": ["definition", "tags"]}


def test_an_answer_no_transform_expected_costs_only_its_resource() -> None:
    raw, _ = _recorded_read()
    raw["DataSets"][0]["DataSet"]["PhysicalTableMap"] = ["not", "a", "map"]
    facts = quicksight.transform_quicksight(raw, A, R)
    assert WEEKLY not in {n.id for n in facts.nodes} and COMPLETIONS in {n.id for n in facts.nodes}
    [gap] = facts.gaps
    assert (gap.operation, gap.resource) == ("DescribeDataSet", WEEKLY)


# --- moto ---------------------------------------------------------------------------------------------


def test_the_get_on_moto_reads_the_demos_dashboards() -> None:
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        demo_dashboards.build(lambda service: session.client(service))
        ctx = AwsContext(session, [REGION], workers=2)
        ctx.identify()
        raw = quicksight.get_quicksight(ctx, REGION)
        ctx.close()
    assert ctx.gaps == []
    facts = quicksight.transform_quicksight(raw, ACCOUNT, REGION)
    qs = f"arn:aws:quicksight:{REGION}:{ACCOUNT}"
    edges = {(e.source, e.target) for e in facts.edges}
    source, weekly = f"{qs}:datasource/lp-athena-analytics", f"{qs}:dataset/weekly-enrollments"
    assert {(arns.athena_workgroup_arn(REGION, ACCOUNT, "analytics"), source), (source, weekly),
            (arns.glue_table_arn(REGION, ACCOUNT, "curated", "enrollments"), weekly),
            (weekly, f"{qs}:dashboard/enrollment-overview"),
            (f"{qs}:dataset/course-completions", f"{qs}:analysis/course-completion-trends")} <= edges
    nodes = {n.id: n for n in facts.nodes}
    assert nodes[weekly].attributes["tags"] == {"team": "course-team"} and nodes[weekly].attributes["spice"]
    assert nodes[f"{qs}:datasource/course-catalog"].attributes["ssl_disabled"] is True


# --- rules ----------------------------------------------------------------------------------------------


def _catalog_table() -> Facts:
    columns = [{"name": "student_email", "type": "string", "comment": "Student e-mail address"},
               {"name": "course_id", "type": "string"}]
    table = Node(ENROLLMENTS, "glue.table", "curated.enrollments", Stage.STORAGE, A, R, True,
                 {"database": "curated", "columns": columns})
    return Facts((table,))


def test_a_dataset_reading_personal_data_is_reported_with_its_security_and_its_copy() -> None:
    graph = build_graph([_recorded_facts(), _catalog_table()])
    findings = {(f.rule, f.node): f for f in evaluate(graph).findings if f.rule.startswith("quicksight.")}
    weekly = findings[("quicksight.dataset_reads_personal_data", WEEKLY)]
    assert weekly.severity is Severity.MEDIUM
    assert "(email) from curated.enrollments (student_email (email))" in weekly.message
    assert "Row-level security: none" in weekly.message and "column-level security: none" in weekly.message
    assert "SPICE" in weekly.message and "until the dataset is deleted" in weekly.message
    assert weekly.evidence[0].resource == WEEKLY and "update-data-set" in weekly.remediation
    completions = findings[("quicksight.dataset_reads_personal_data", COMPLETIONS)]
    assert "Row-level security: on (by a permissions dataset)" in completions.message
    assert "personal columns left open: student_email (email)" in completions.message
    assert "no copy rests in QuickSight" in completions.message
    # The upload reads nothing in AWS; the dashboard is not a dataset: neither is reported.
    assert not [node for rule, node in findings if rule == "quicksight.dataset_reads_personal_data"
                and node not in (WEEKLY, COMPLETIONS)]
    assert graph.nodes[DASHBOARD].attributes["personal_data"]["categories"] == ["email"]


def test_a_dataset_declared_to_mask_personal_data_is_not_reported() -> None:
    facts = _recorded_facts()
    masked = tuple(Node(n.id, n.kind, n.name, n.stage, n.account, n.region, n.observed,
                        {**n.attributes, "tags": {"lineage:pii": "masked"}}) if n.id == WEEKLY else n
                   for n in facts.nodes)
    graph = build_graph([Facts(masked, facts.edges), _catalog_table()])
    reported = {f.node for f in evaluate(graph).findings if f.rule == "quicksight.dataset_reads_personal_data"}
    assert WEEKLY not in reported and COMPLETIONS in reported  # it reads the table itself too
    # Without personal data anywhere, nothing is reported.
    assert not [f for f in evaluate(build_graph([facts])).findings
                if f.rule == "quicksight.dataset_reads_personal_data"]


def test_ssl_turned_off_is_reported_only_where_a_connection_carries_the_data() -> None:
    facts = _recorded_facts()
    athena_without_ssl = Node(f"{QS}:datasource/odd", "quicksight.data_source", "odd", Stage.USAGE, A, R, True,
                              {"type": "ATHENA", "ssl_disabled": True})
    findings = [f for f in evaluate(build_graph([facts, Facts((athena_without_ssl,))])).findings
                if f.rule == "quicksight.data_source_ssl_disabled"]
    assert [(f.node, f.severity) for f in findings] == [(MYSQL_SOURCE, Severity.HIGH)]
    assert "mysql://crm.example.edu:3306/crm" in findings[0].message
    assert "DisableSsl=false" in findings[0].remediation


@mock_aws
def test_a_service_not_offered_in_a_region_is_not_asked_there() -> None:
    session = boto3.Session(region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    ctx = AwsContext(session, [REGION, "me-south-1"], max_attempts=1)
    assert ctx.offers({"quicksight"}, REGION) and not ctx.offers({"quicksight"}, "me-south-1")
    assert ctx.offers({"quicksight", "sqs"}, "me-south-1")  # one of a collector's services is enough
    assert ctx.offers({"bedrock-agent"}, "me-south-1")  # botocore lists no regions for it: asked
    assert ctx.offers({"quicksight"}, "xx-newer-1")  # a region newer than botocore: asked
    ctx.identify()
    collect(ctx, collectors=(quicksight.COLLECTOR,))
    ctx.close()
    assert ctx.gaps == [] and ctx.api_calls["quicksight:ListDataSources"] == 1  # us-east-1 only
