"""The demo's dashboards: the curated enrollments reach the course team's screens through QuickSight.

An Athena data source queries in the `analytics` workgroup; the `weekly-enrollments` dataset imports the
whole `curated.enrollments` table into SPICE — student e-mail addresses included, with no row- or
column-level security (left open on purpose: the dataset's finding asks someone to check it) — and the
`enrollment-overview` dashboard shows it. A second dataset, `course-completions`, asks Athena for counts
per course only (no e-mail address leaves the table), says so by tag (`lineage:pii=masked`), and feeds an
analysis. Beside them, the course catalog's Aurora database is connected with SSL turned off.
"""

from __future__ import annotations

from typing import Any

from lineage.demo import ACCOUNT, REGION, ClientFactory

ATHENA_SOURCE = "lp-athena-analytics"
CATALOG_SOURCE = "course-catalog"
WEEKLY = "weekly-enrollments"
COMPLETIONS = "course-completions"
DASHBOARD = "enrollment-overview"
ANALYSIS = "course-completion-trends"
CATALOG_HOST = "course-catalog.cluster-c1a2b3d4e5f6.us-east-1.rds.amazonaws.com"


def data_set_arn(data_set_id: str) -> str:
    # As AWS spells it (moto's CreateDataSet answers `data-set/`, which no other QuickSight resource uses).
    return f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dataset/{data_set_id}"


def _weekly(source: str) -> dict[str, Any]:
    columns = [{"Name": name, "Type": kind} for name, kind in (
        ("enrollment_id", "STRING"), ("student_id", "STRING"), ("student_email", "STRING"),
        ("course_id", "STRING"), ("completed_at", "DATETIME"))]
    return {
        "AwsAccountId": ACCOUNT, "DataSetId": WEEKLY, "Name": WEEKLY, "ImportMode": "SPICE",
        "PhysicalTableMap": {"enrollments": {"RelationalTable": {
            "DataSourceArn": source, "Catalog": "AwsDataCatalog", "Schema": "curated", "Name": "enrollments",
            "InputColumns": columns}}},
        "LogicalTableMap": {"enrollments": {"Alias": "enrollments", "Source": {"PhysicalTableId": "enrollments"}}},
        "Tags": [{"Key": "team", "Value": "course-team"}],
    }


def _completions(source: str) -> dict[str, Any]:
    return {
        "AwsAccountId": ACCOUNT, "DataSetId": COMPLETIONS, "Name": COMPLETIONS, "ImportMode": "DIRECT_QUERY",
        "PhysicalTableMap": {"completions": {"CustomSql": {
            "DataSourceArn": source, "Name": "completions per course",
            "SqlQuery": "SELECT course_id, count(*) AS completions FROM curated.enrollments "
                        "WHERE completed_at IS NOT NULL GROUP BY course_id",
            "Columns": [{"Name": "course_id", "Type": "STRING"}, {"Name": "completions", "Type": "INTEGER"}]}}},
        "Tags": [{"Key": "team", "Value": "course-team"}, {"Key": "lineage:pii", "Value": "masked"}],
    }


def _definition(identifier: str, data_set_id: str, sheet: str) -> dict[str, Any]:
    return {"DataSetIdentifierDeclarations": [{"Identifier": identifier, "DataSetArn": data_set_arn(data_set_id)}],
            "Sheets": [{"SheetId": sheet, "Name": sheet.replace("-", " ").capitalize()}]}


def build(client: ClientFactory) -> None:
    """Data sources, datasets, a dashboard and an analysis in QuickSight."""
    from lineage.moto_support.quicksight import (  # noqa: PLC0415 - moto only where the demo runs
        seed_data_set_definition,
        serve_dashboard_data_sets,
    )

    quicksight = client("quicksight")
    source = quicksight.create_data_source(
        AwsAccountId=ACCOUNT, DataSourceId=ATHENA_SOURCE, Name="Learning platform analytics", Type="ATHENA",
        DataSourceParameters={"AthenaParameters": {"WorkGroup": "analytics"}})["Arn"]
    quicksight.create_data_source(
        AwsAccountId=ACCOUNT, DataSourceId=CATALOG_SOURCE, Name="Course catalog", Type="AURORA_POSTGRESQL",
        DataSourceParameters={"AuroraPostgreSqlParameters": {"Host": CATALOG_HOST, "Port": 5432,
                                                             "Database": "catalog"}},
        SslProperties={"DisableSsl": True})
    for request in (_weekly(source), _completions(source)):
        quicksight.create_data_set(**request)
        seed_data_set_definition(ACCOUNT, REGION, request)  # moto keeps only the name of what it is given
    quicksight.create_dashboard(AwsAccountId=ACCOUNT, DashboardId=DASHBOARD, Name="Enrollment overview",
                                Definition=_definition("enrollments", WEEKLY, "overview"))
    serve_dashboard_data_sets(ACCOUNT, REGION)  # moto's DescribeDashboard names no dataset otherwise
    quicksight.create_analysis(AwsAccountId=ACCOUNT, AnalysisId=ANALYSIS, Name="Course completion trends",
                               Definition=_definition("completions", COMPLETIONS, "trends"))
