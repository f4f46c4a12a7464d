"""The cost rules on estates built as the collectors build them: Glue tables and jobs through
`collectors.glue.transform_glue`, Athena workgroups and their saved queries through
`collectors.athena.transform_athena`, buckets through `collectors.s3.transform_bucket` and log groups through
`collectors.logs.transform_logs`, each from answers shaped as AWS gives them (a crawler's CSV table carries the
parameters a crawler writes), then the whole pipeline (`lineage.scan.analyse`)."""

from __future__ import annotations

from typing import Any

import pytest

from collectors import athena, glue, logs, s3
from collectors.context import absent
from lineage import arn as arns
from lineage.model import Category, Edge, EdgeKind, Evidence, Facts, Finding, Node, Severity, stage_for
from lineage.rules import _RAISED_WITH_PERSONAL_DATA, all_rules
from lineage.scan import analyse

R, A = "eu-west-1", "111122223333"
TEXT = "cost.uncompressed_text_queried_by_athena"
PARTITIONS = "cost.table_without_partitions"
SCAN_LIMIT = "cost.workgroup_without_scan_limit"
STANDARD = "cost.location_kept_in_standard"
LOGS = "cost.log_group_growing_without_retention"

CLICKS = arns.glue_table_arn(R, A, "raw", "clicks")
ANALYTICS = arns.athena_workgroup_arn(R, A, "analytics")
GiB = 2**30

# --- Glue tables, as GetTables answers them -------------------------------------------------------------

LAZY_SIMPLE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
OPENX_JSON = "org.openx.data.jsonserde.JsonSerDe"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
COLUMNS = [{"Name": "event_id", "Type": "string"}, {"Name": "page", "Type": "string"},
           {"Name": "at", "Type": "timestamp"}]
DAY = [{"Name": "dt", "Type": "string"}]


def crawled(classification: str, compression: str = "none", size: int = 200 * GiB) -> dict[str, str]:
    """The parameters a crawler writes on a table (and on its storage descriptor)."""
    return {"CrawlerSchemaDeserializerVersion": "1.0", "CrawlerSchemaSerializerVersion": "1.0",
            "UPDATED_BY_CRAWLER": "raw-crawler", "averageRecordSize": "112", "classification": classification,
            "compressionType": compression, "objectCount": "42", "recordCount": "1900000", "sizeKey": str(size),
            "typeOfData": "file", **({"delimiter": ",", "areColumnsQuoted": "false", "columnsOrdered": "true",
                                     "skip.header.line.count": "1"} if classification == "csv" else {})}


def table(name: str = "clicks", *, parameters: dict[str, str] | None = None, serde: str = LAZY_SIMPLE,
          input_format: str = TEXT_INPUT, partitions: list[dict[str, str]] | None = None, compressed: bool = False,
          location: str | None = None, table_type: str = "EXTERNAL_TABLE") -> dict[str, Any]:
    """A table as GetTables answers it; by default the crawler's uncompressed CSV."""
    given = crawled("csv") if parameters is None else parameters
    descriptor: dict[str, Any] = {
        "Columns": COLUMNS, "Location": f"s3://lake/raw/{name}/" if location is None else location,
        "InputFormat": input_format, "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "Compressed": compressed, "NumberOfBuckets": -1, "StoredAsSubDirectories": False,
        "SerdeInfo": {"SerializationLibrary": serde, "Parameters": {"field.delim": ","}}, "Parameters": given}
    return {"Name": name, "DatabaseName": "raw", "TableType": table_type, "Parameters": given,
            "PartitionKeys": [] if partitions is None else partitions, "StorageDescriptor": descriptor,
            "CreateTime": "2024-03-01T10:00:00+00:00", "CatalogId": A}


def catalog(*tables: dict[str, Any], jobs: tuple[dict[str, Any], ...] = (),
            links: tuple[dict[str, Any], ...] = ()) -> Facts:
    record: dict[str, Any] = {"databases": [{"Name": "raw", "CatalogId": A}], "tables": {"raw": list(tables)},
                              "jobs": list(jobs), "crawlers": [], "triggers": [], "workflows": [],
                              "security_configurations": []}
    if links:
        record["databases"].append({"Name": "shared", "CatalogId": A})
        record["tables"]["shared"] = list(links)
    return glue.transform_glue(record, A, R)


def etl_job(source: str, output: str) -> dict[str, Any]:
    return {"Name": "curate", "Role": f"arn:aws:iam::{A}:role/etl", "GlueVersion": "4.0",
            "Command": {"Name": "glueetl", "ScriptLocation": "s3://code/curate.py"},
            "DefaultArguments": {"--source_path": source, "--output_path": output}}


# --- Athena workgroups, as GetWorkGroup and BatchGetNamedQuery answer them -------------------------------


def workgroup(*queries: str, name: str = "analytics", cutoff: int | None = None, state: str = "ENABLED",
              output: str | None = "s3://lp-athena-results/analytics/", engine: str = "AUTO",
              unread: bool = False) -> Facts:
    configuration: dict[str, Any] = {
        "EnforceWorkGroupConfiguration": True, "PublishCloudWatchMetricsEnabled": True,
        "RequesterPaysEnabled": False,
        "EngineVersion": {"SelectedEngineVersion": engine, "EffectiveEngineVersion": (
            engine if engine.startswith("PySpark") else "Athena engine version 3")}}
    if output:
        configuration["ResultConfiguration"] = {"OutputLocation": output,
                                                "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"}}
    if cutoff is not None:
        configuration["BytesScannedCutoffPerQuery"] = cutoff
    record: dict[str, Any] = {"WorkGroup": {"Name": name, "State": state, "Configuration": configuration},
                              "NamedQueries": [
                                  {"Name": f"q{i}", "Database": "raw", "QueryString": query, "WorkGroup": name,
                                   "NamedQueryId": f"a1b2c3d4-0000-4000-8000-00000000000{i}"}
                                  for i, query in enumerate(queries)],
                              "PreparedStatements": []}
    if unread:
        record = {"WorkGroup": {"Name": name}, "Unread": True}
    return athena.transform_athena([record], A, R)


def weekly_pages() -> Facts:
    return workgroup("SELECT page, count(*) AS views FROM clicks WHERE dt > '2024-03-01' GROUP BY page")


# --- buckets and log groups ------------------------------------------------------------------------------


def bucket(name: str, lifecycle: Any) -> Facts:
    record = {"Name": name, "Region": R, "CreationDate": "2024-01-02 00:00:00+00:00",
              "get_bucket_lifecycle_configuration": lifecycle,
              "get_bucket_encryption": {"ServerSideEncryptionConfiguration": {"Rules": [
                  {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}},
              "get_public_access_block": {"PublicAccessBlockConfiguration": {
                  k: True for k in s3.PUBLIC_ACCESS_SETTINGS}},
              "get_bucket_policy": absent("NoSuchBucketPolicy"), "get_bucket_versioning": {},
              "get_bucket_tagging": {"TagSet": []}, "get_bucket_notification_configuration": {},
              "get_bucket_replication": absent("ReplicationConfigurationNotFoundError")}
    if lifecycle is None:
        del record["get_bucket_lifecycle_configuration"]  # the configuration could not be read
    return Facts((s3.transform_bucket(record, A),))


def rule_(rule_id: str, *, status: str = "Enabled", **fields: Any) -> dict[str, Any]:
    """A lifecycle rule as GetBucketLifecycleConfiguration answers it; `Filter={}` is the whole bucket."""
    return {"ID": rule_id, "Status": status, **({"Filter": {}} if "Filter" not in fields and "Prefix" not in fields
                                                 else {}), **fields}


def lifecycle(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"Rules": list(rules)}


def to(storage_class: str, days: int = 30) -> list[dict[str, Any]]:
    return [{"Days": days, "StorageClass": storage_class}]


def log_group(name: str, retention: int | None = None, stored: int | None = 50 * GiB) -> dict[str, Any]:
    group: dict[str, Any] = {"logGroupName": name, "creationTime": 1704067200000, "metricFilterCount": 0,
                             "arn": f"arn:aws:logs:{R}:{A}:log-group:{name}:*", "logGroupClass": "STANDARD",
                             "logGroupArn": f"arn:aws:logs:{R}:{A}:log-group:{name}"}
    if retention is not None:
        group["retentionInDays"] = retention
    if stored is not None:
        group["storedBytes"] = stored
    return {"logGroup": group, "subscriptionFilters": [], "tags": {}}


# --- the pipeline ----------------------------------------------------------------------------------------


def found(rule_id: str, *facts: Facts) -> dict[str, Finding]:
    analysis = analyse(list(facts))
    assert not [gap for gap in analysis.gaps if gap.service == "lineage"], analysis.gaps  # no check failed
    return {f.node: f for f in analysis.findings if f.rule == rule_id}


def test_every_cost_rule_stands_with_its_metadata_and_is_never_raised_for_personal_data() -> None:
    rules = {r.id: r for r in all_rules() if r.id.startswith("cost.")}
    assert set(rules) == {TEXT, PARTITIONS, SCAN_LIMIT, STANDARD, LOGS}
    for cost in rules.values():
        assert cost.category is Category.COST and cost.severity in (Severity.LOW, Severity.MEDIUM)
        assert cost.title and cost.remediation
    assert Category.COST not in _RAISED_WITH_PERSONAL_DATA


# --- 1. uncompressed text Athena queries ------------------------------------------------------------------


@pytest.mark.parametrize(("described", "reported"), [
    pytest.param(table(), True, id="crawled CSV, compressionType none"),
    pytest.param(table(parameters=crawled("json"), serde=OPENX_JSON), True, id="crawled JSON, none"),
    pytest.param(table(parameters=crawled("CSV")), True, id="classification in capitals"),
    pytest.param(table(parameters={"EXTERNAL": "TRUE"}, serde=OPENX_JSON), True,
                 id="JSON made by DDL, no compression declared"),
    pytest.param(table(parameters={"EXTERNAL": "TRUE"}, serde=OPEN_CSV), True, id="OpenCSVSerde by DDL"),
    pytest.param(table(parameters={"EXTERNAL": "TRUE", "write.compression": "NONE"}), True,
                 id="write.compression NONE"),
    pytest.param(table(parameters=crawled("csv", "gzip")), False, id="crawled CSV, gzip"),
    pytest.param(table(parameters=crawled("json", "bzip2"), serde=OPENX_JSON), False, id="crawled JSON, bzip2"),
    pytest.param(table(parameters={"EXTERNAL": "TRUE", "write.compression": "GZIP"}), False,
                 id="CSV written by Athena with write.compression GZIP"),
    pytest.param(table(parameters={"EXTERNAL": "TRUE"}, serde=OPEN_CSV, compressed=True), False,
                 id="StorageDescriptor.Compressed"),
    pytest.param(table(parameters={**crawled("parquet"), "parquet.compression": "SNAPPY"}, serde=PARQUET_SERDE,
                       input_format=PARQUET_INPUT), False, id="Parquet with Snappy"),
    pytest.param(table(parameters=crawled("parquet"), serde=PARQUET_SERDE, input_format=PARQUET_INPUT), False,
                 id="Parquet the crawler calls compressionType none"),
    pytest.param(table(parameters=crawled("orc"), serde="org.apache.hadoop.hive.ql.io.orc.OrcSerde",
                       input_format="org.apache.hadoop.hive.ql.io.orc.OrcInputFormat"), False, id="ORC"),
    pytest.param(table(parameters={"EXTERNAL": "TRUE", "table_type": "ICEBERG",
                                   "metadata_location": "s3://lake/raw/clicks/metadata/00001.metadata.json"},
                       input_format="org.apache.hadoop.mapred.FileInputFormat"), False,
                 id="Iceberg (the catalog shows LazySimpleSerDe)"),
    pytest.param(table(parameters={"EXTERNAL": "TRUE"}, serde="com.amazon.emr.hive.serde.CloudTrailSerde",
                       input_format="com.amazon.emr.cloudtrail.CloudTrailInputFormat"), False,
                 id="CloudTrail logs: not CSV or JSON"),
])
def test_text_tables_athena_queries_are_reported_unless_compressed_or_columnar(described: dict[str, Any],
                                                                               reported: bool) -> None:
    hits = found(TEXT, catalog(described), weekly_pages())
    assert (CLICKS in hits) is reported
    if reported:
        assert hits[CLICKS].severity is Severity.MEDIUM and hits[CLICKS].category is Category.COST


def test_the_finding_names_the_readers_the_format_and_what_the_definition_says() -> None:
    hits = found(TEXT, catalog(table()), weekly_pages())
    message = hits[CLICKS].message
    assert "workgroup analytics" in message and "named query q0" in message
    assert "s3://lake/raw/clicks is CSV without compression" in message and "compressionType none" in message
    evidence = hits[CLICKS].evidence
    assert (evidence[0].path, evidence[0].excerpt) == ("Parameters.classification", "csv")
    assert (evidence[1].path, evidence[1].excerpt) == ("Parameters.compressionType", "none")
    assert {e.operation for e in evidence[2:]} == {"athena:BatchGetNamedQuery"}
    ddl = found(TEXT, catalog(table(parameters={"EXTERNAL": "TRUE"}, serde=OPENX_JSON)), weekly_pages())[CLICKS]
    assert "is JSON without compression: its definition declares no compression" in ddl.message
    assert ddl.evidence[0].path == "StorageDescriptor.SerdeInfo.SerializationLibrary"


def test_a_text_table_athena_does_not_query_is_not_reported() -> None:
    job = etl_job("s3://lake/raw/clicks/", "s3://lake/curated/clicks/")
    assert found(TEXT, catalog(table(), jobs=(job,))) == {}  # read by a Glue job, not through Athena
    other = workgroup("SELECT * FROM orders")  # a workgroup that queries another table
    assert found(TEXT, catalog(table()), other) == {}


def test_a_text_table_a_quicksight_dataset_reads_through_athena_is_reported() -> None:
    dataset = f"arn:aws:quicksight:{R}:{A}:dataset/page-views"
    node = Node(dataset, "quicksight.dataset", "page-views", stage_for("quicksight.dataset"), A, R, True,
                {"import_mode": "SPICE"})
    edge = Edge(CLICKS, dataset, EdgeKind.READS, (Evidence("quicksight:DescribeDataSet", dataset,
                                                           "PhysicalTableMap.t1.RelationalTable",
                                                           "AwsDataCatalog.raw.clicks"),))
    hits = found(TEXT, catalog(table()), Facts((node,), (edge,)))
    assert "QuickSight dataset page-views" in hits[CLICKS].message


def test_a_table_athena_queries_through_a_resource_link_is_reported_and_the_link_is_not() -> None:
    link = {"Name": "clicks", "DatabaseName": "shared", "CatalogId": A,
            "TargetTable": {"CatalogId": A, "DatabaseName": "raw", "Name": "clicks", "Region": R}}
    through_link = workgroup("SELECT count(*) FROM shared.clicks")
    hits = found(TEXT, catalog(table(), links=(link,)), through_link)
    assert set(hits) == {CLICKS}


def test_a_table_only_a_query_names_is_not_judged() -> None:
    assert found(TEXT, weekly_pages()) == {}  # never read from Glue: how it is stored is unknown


# --- 2. tables without partitions -------------------------------------------------------------------------


def test_an_unpartitioned_table_on_a_flow_is_reported_with_the_size_the_crawler_counted() -> None:
    hits = found(PARTITIONS, catalog(table()), weekly_pages())
    assert set(hits) == {CLICKS}
    assert "(the crawler counted 200.0 GiB)" in hits[CLICKS].message and "reads all of it" in hits[CLICKS].message
    assert hits[CLICKS].severity is Severity.LOW
    assert hits[CLICKS].evidence[0].path == "PartitionKeys"


@pytest.mark.parametrize(("described", "reported"), [
    pytest.param(table(partitions=DAY), False, id="partitioned by day"),
    pytest.param(table(parameters=crawled("csv", size=5 * 2**20)), False, id="5 MiB: cheap to scan whole"),
    pytest.param(table(parameters=crawled("csv", size=GiB)), True, id="1 GiB"),
    pytest.param(table(parameters={"EXTERNAL": "TRUE", "classification": "parquet"}, serde=PARQUET_SERDE,
                       input_format=PARQUET_INPUT), True, id="made by DDL: size unknown"),
    pytest.param(table(parameters={"EXTERNAL": "TRUE", "table_type": "ICEBERG"},
                       input_format="org.apache.hadoop.mapred.FileInputFormat"), False,
                 id="Iceberg: partitioned in its own metadata"),
    pytest.param(table(parameters={"EXTERNAL": "TRUE", "table_type": "DELTA"}), False, id="Delta"),
    pytest.param(table(location="", table_type="VIRTUAL_VIEW", parameters={"presto_view": "true"}), False,
                 id="a view: no data of its own"),
])
def test_partitions_judged_on_what_the_table_is(described: dict[str, Any], reported: bool) -> None:
    assert (CLICKS in found(PARTITIONS, catalog(described), weekly_pages())) is reported


def test_a_table_is_on_a_flow_through_its_location_and_off_every_flow_is_not_judged() -> None:
    job = etl_job("s3://lake/landing/", "s3://lake/raw/clicks/")  # writes where the table's data rests
    assert set(found(PARTITIONS, catalog(table(), jobs=(job,)))) == {CLICKS}
    assert found(PARTITIONS, catalog(table())) == {}


# --- 3. workgroups without a per-query limit ---------------------------------------------------------------


@pytest.mark.parametrize(("facts", "reported"), [
    pytest.param(workgroup(), True, id="a result location, no limit"),
    pytest.param(workgroup(cutoff=10 * GiB), False, id="10 GiB per query"),
    pytest.param(workgroup(cutoff=10 * GiB, output=None), False, id="a limit, no result location"),
    pytest.param(workgroup(output=None), False, id="idle: nothing runs there"),
    pytest.param(workgroup("SELECT * FROM raw.clicks", output=None), True, id="no result location, a saved query"),
    pytest.param(workgroup(state="DISABLED"), False, id="disabled"),
    pytest.param(workgroup(engine="PySpark engine version 3"), False, id="Spark notebooks: billed by the hour"),
    pytest.param(workgroup(unread=True), False, id="configuration unread"),
])
def test_workgroups_without_a_per_query_limit(facts: Facts, reported: bool) -> None:
    hits = found(SCAN_LIMIT, facts)
    assert (ANALYTICS in hits) is reported
    if reported:
        assert hits[ANALYTICS].evidence[0].path == "Configuration.BytesScannedCutoffPerQuery"


# --- 4. data kept in S3 Standard ---------------------------------------------------------------------------

EVENTS = "arn:aws:s3:::data/raw/events"


def written_to_events(lifecycle_answer: Any) -> list[Facts]:
    return [bucket("data", lifecycle_answer), catalog(jobs=(etl_job("s3://lake/landing/", "s3://data/raw/events/"),))]


@pytest.mark.parametrize(("answer", "reported"), [
    pytest.param(absent("NoSuchLifecycleConfiguration"), True, id="no lifecycle configuration"),
    pytest.param(lifecycle(rule_("tier", Transitions=to("INTELLIGENT_TIERING", 0))), False,
                 id="whole bucket to Intelligent-Tiering"),
    pytest.param(lifecycle(rule_("ia", Filter={"Prefix": "raw/"}, Transitions=to("STANDARD_IA"))), False,
                 id="raw/ to Standard-IA"),
    pytest.param(lifecycle(rule_("cold", Prefix="raw/", Transitions=to("GLACIER", 90))), False,
                 id="legacy prefix to Glacier"),
    pytest.param(lifecycle(rule_("date", Transitions=[{"Date": "2025-01-01T00:00:00Z", "StorageClass": "GLACIER_IR"}])),
                 False, id="a transition by date"),
    pytest.param(lifecycle(rule_("ia", Filter={"Prefix": "archive/"}, Transitions=to("STANDARD_IA"))), True,
                 id="a transition covering another prefix"),
    pytest.param(lifecycle(rule_("ia", Filter={"Prefix": "raw/events/2024/"}, Transitions=to("STANDARD_IA"))), True,
                 id="a transition covering part of the location"),
    pytest.param(lifecycle(rule_("ia", Filter={"Tag": {"Key": "tier", "Value": "cold"}},
                                 Transitions=to("STANDARD_IA"))), True, id="a transition filtered by tag"),
    pytest.param(lifecycle(rule_("ia", Filter={"ObjectSizeGreaterThan": 131072}, Transitions=to("STANDARD_IA"))),
                 True, id="a transition filtered by size"),
    pytest.param(lifecycle(rule_("ia", status="Disabled", Transitions=to("STANDARD_IA"))), True,
                 id="a transition disabled"),
    pytest.param(lifecycle(rule_("expire", Expiration={"Days": 365})), True, id="expires after a year, never moved"),
    pytest.param(lifecycle(rule_("expire", Expiration={"Days": 7})), False, id="expires within a week"),
    pytest.param(lifecycle(rule_("expire", Filter={"Prefix": "tmp/"}, Expiration={"Days": 7})), True,
                 id="another prefix expires within a week"),
    pytest.param(lifecycle(rule_("nc", NoncurrentVersionTransitions=[{"NoncurrentDays": 30,
                                                                      "StorageClass": "GLACIER"}])), True,
                 id="only old versions are moved"),
    pytest.param(None, False, id="lifecycle unread"),
])
def test_data_on_a_flow_kept_in_standard_is_judged_per_location(answer: Any, reported: bool) -> None:
    assert (EVENTS in found(STANDARD, *written_to_events(answer))) is reported


def test_the_standard_finding_says_why_no_rule_moves_the_data() -> None:
    answer = lifecycle(rule_("ia", Filter={"Prefix": "archive/"}, Transitions=to("STANDARD_IA")),
                       rule_("expire", Expiration={"Days": 365}))
    finding = found(STANDARD, *written_to_events(answer))[EVENTS]
    assert finding.message.startswith("s3://data/raw/events is on a data flow and its objects stay in S3 Standard")
    assert "ia (prefix 'archive/')" in finding.message and "expire (prefix '', no transition)" in finding.message
    assert finding.evidence[0].operation == "s3:GetBucketLifecycleConfiguration"
    assert any(e.operation == "glue:GetJobs" for e in finding.evidence)  # the flow that puts data there
    bare = found(STANDARD, *written_to_events(absent("NoSuchLifecycleConfiguration")))[EVENTS]
    assert "the bucket has no lifecycle configuration" in bare.message


def test_a_bucket_is_judged_only_where_a_flow_touches_it() -> None:
    assert found(STANDARD, bucket("idle", absent("NoSuchLifecycleConfiguration"))) == {}
    # Only a path is written: the path is judged, not the bucket holding it.
    assert set(found(STANDARD, *written_to_events(absent("NoSuchLifecycleConfiguration")))) == {EVENTS}


def test_personal_data_does_not_raise_the_cost_finding_but_raises_the_lifecycle_one() -> None:
    people = table("people", parameters=crawled("csv"))
    people["StorageDescriptor"]["Columns"] = [{"Name": "email", "Type": "string"}]
    analysis = analyse([bucket("data", absent("NoSuchLifecycleConfiguration")),
                        catalog(people, jobs=(etl_job("s3://lake/raw/people/", "s3://data/raw/events/"),))])
    by_rule = {f.rule: f for f in analysis.findings if f.node == EVENTS}
    assert by_rule["s3.location_without_lifecycle"].severity is Severity.HIGH  # raised: personal data reaches it
    assert by_rule[STANDARD].severity is Severity.LOW and "Personal data" not in by_rule[STANDARD].message


# --- 5. large log groups kept for ever ---------------------------------------------------------------------


def test_a_large_log_group_that_never_expires_is_a_cost_finding_beside_the_lifecycle_one() -> None:
    facts = logs.transform_logs([log_group("/aws/lambda/ingest"), log_group("/aws/lambda/small", stored=GiB),
                                 log_group("/aws/lambda/kept", retention=30),
                                 log_group("/aws/lambda/unmeasured", stored=None)], A, R)
    analysis = analyse([facts])
    ingest, small = (arns.log_group_arn(R, A, name) for name in ("/aws/lambda/ingest", "/aws/lambda/small"))
    cost = {f.node: f for f in analysis.findings if f.rule == LOGS}
    assert set(cost) == {ingest}
    assert "already holds 50.0 GiB" in cost[ingest].message
    assert [e.path for e in cost[ingest].evidence] == ["logGroups[].retentionInDays", "logGroups[].storedBytes"]
    # Every group that never expires stays a lifecycle finding, whatever it holds.
    lifecycle_hits = {f.node for f in analysis.findings if f.rule == "logs.no_retention"}
    assert {ingest, small} <= lifecycle_hits
