"""Glue, Athena and Lake Formation resources read from templates: the catalog (tables with their location,
format, columns and partition keys), crawlers, jobs and the triggers chaining them, workgroups and their saved
queries, LF-tags; the findings they give; and the same facts as a scan of the stack deployed in moto."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lineage import arn as arns
from lineage.model import Scan
from lineage.template_scan import scan_templates
from templates.document import read_template
from templates.stack import Placed, Placement, Stack
from tests.templates.reading import findings, flows, nodes_by_id, written_and_scanned

ACCOUNT, REGION = "123456789012", "eu-west-1"
PLACEMENT = Placement(account=ACCOUNT, region=REGION)


def glue_id(kind: str, name: str) -> str:
    return f"arn:aws:glue:{REGION}:{ACCOUNT}:{kind}/{name}"


DATABASE = glue_id("database", "sales_prod")
ORDERS = glue_id("table", "sales_prod/orders")
CURATE = glue_id("job", "curate-orders-prod")
CRAWLER = glue_id("crawler", "orders-prod")
NIGHTLY = glue_id("workflow", "nightly")
CATALOG = f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog"
REPORTS = arns.athena_workgroup_arn(REGION, ACCOUNT, "reports")
SECURE = arns.athena_workgroup_arn(REGION, ACCOUNT, "secure")
PRIMARY = arns.athena_workgroup_arn(REGION, ACCOUNT, "primary")

# A curated zone as a data team writes it: a database and a partitioned Parquet table over the curated bucket,
# a crawler over the same path, a job from the raw bucket into the table, a second job chained after it.
ETL = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: prod
Resources:
  RawBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "acme-raw-${Env}"
  CuratedBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "acme-curated-${Env}"
  GlueRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: acme-glue
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: glue.amazonaws.com}
            Action: sts:AssumeRole
  Database:
    Type: AWS::Glue::Database
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseInput:
        Name: !Sub "Sales_${Env}"
        LocationUri: !Sub "s3://${CuratedBucket}/"
  OrdersTable:
    Type: AWS::Glue::Table
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseName: !Ref Database
      TableInput:
        Name: Orders
        TableType: EXTERNAL_TABLE
        Parameters:
          classification: parquet
          has_encrypted_data: true
        PartitionKeys:
          - {Name: dt, Type: string}
        StorageDescriptor:
          Location: !Sub "s3://${CuratedBucket}/orders/"
          InputFormat: org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat
          OutputFormat: org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat
          Columns:
            - {Name: order_id, Type: string}
            - {Name: amount, Type: "decimal(10,2)"}
            - {Name: customer_email, Type: string, Comment: who ordered}
          SerdeInfo:
            SerializationLibrary: org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe
  OrdersCrawler:
    Type: AWS::Glue::Crawler
    Properties:
      Name: !Sub "orders-${Env}"
      Role: !GetAtt GlueRole.Arn
      DatabaseName: !Ref Database
      Targets:
        S3Targets:
          - Path: !Sub "s3://${CuratedBucket}/orders"
      Schedule:
        ScheduleExpression: cron(0 1 * * ? *)
  EtlEncryption:
    Type: AWS::Glue::SecurityConfiguration
    Properties:
      Name: etl-kms
      EncryptionConfiguration:
        S3Encryptions:
          - S3EncryptionMode: SSE-KMS
            KmsKeyArn: !Sub "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/0d6e2b7a-1c2f-4c1e-9a43-2f5c8e1d7b11"
        CloudWatchEncryption:
          CloudWatchEncryptionMode: DISABLED
  CurateJob:
    Type: AWS::Glue::Job
    Properties:
      Name: !Sub "curate-orders-${Env}"
      Role: !GetAtt GlueRole.Arn
      GlueVersion: "4.0"
      SecurityConfiguration: !Ref EtlEncryption
      Command:
        Name: glueetl
        ScriptLocation: !Sub "s3://${RawBucket}/scripts/curate_orders.py"
      DefaultArguments:
        "--source_path": !Sub "s3://${RawBucket}/orders/"
        "--output_path": !Sub "s3://${CuratedBucket}/orders/"
        "--target_database": !Ref Database
        "--target_table": orders
        "--enable-continuous-cloudwatch-log": true
        "--job-bookmark-option": job-bookmark-enable
      Tags:
        team: sales
  PublishJob:
    Type: AWS::Glue::Job
    Properties:
      Role: !GetAtt GlueRole.Arn
      Command:
        Name: pythonshell
        ScriptLocation: !Sub "s3://${RawBucket}/scripts/publish.py"
  AfterCurate:
    Type: AWS::Glue::Trigger
    Properties:
      Name: after-curate
      Type: CONDITIONAL
      StartOnCreation: true
      WorkflowName: !Ref Nightly
      Predicate:
        Logical: AND
        Conditions:
          - JobName: !Ref CurateJob
            LogicalOperator: EQUALS
            State: SUCCEEDED
      Actions:
        - JobName: !Ref PublishJob
        - CrawlerName: !Ref OrdersCrawler
  Nightly:
    Type: AWS::Glue::Workflow
    Properties:
      Name: nightly
"""


def scanned(tmp_path: Path, body: str, placement: Placement = PLACEMENT, name: str = "etl.yaml") -> Scan:
    return written_and_scanned(tmp_path / name, body, placement)


# --- the catalog ----------------------------------------------------------------------------------


def test_a_table_is_read_as_the_catalog_gives_it_back(tmp_path: Path) -> None:
    scan = scanned(tmp_path, ETL)
    nodes = nodes_by_id(scan)
    table, database = nodes[ORDERS], nodes[DATABASE]
    # Glue folds database and table names to lower case: `Sales_prod.Orders` is `sales_prod.orders`.
    assert (table.kind, table.name, table.observed) == ("glue.table", "sales_prod.orders", True)
    assert table.attributes["location"] == "s3://acme-curated-prod/orders/"
    assert table.attributes["format"] == "parquet"
    assert table.attributes["table_type"] == "EXTERNAL_TABLE"
    assert table.attributes["partition_keys"] == [{"name": "dt", "type": "string"}]
    assert [(c["name"], c["type"], c["comment"]) for c in table.attributes["columns"]] == [
        ("order_id", "string", ""), ("amount", "decimal(10,2)", ""), ("customer_email", "string", "who ordered")]
    # A map of strings holds YAML's `true` as the text the API gives back.
    assert table.attributes["parameters"] == {"classification": "parquet", "has_encrypted_data": "true"}
    assert table.attributes["template"]["logical_id"] == "OrdersTable"
    assert table.attributes["template"]["line"] == ETL.splitlines().index("  OrdersTable:") + 1
    assert (database.kind, database.name) == ("glue.database", "sales_prod")
    assert database.attributes["location"] == "s3://acme-curated-prod/"
    found = flows(scan)
    assert (ORDERS, "stored_at", "arn:aws:s3:::acme-curated-prod/orders") in found
    assert (ORDERS, "part_of", DATABASE) in found
    assert (DATABASE, "part_of", CATALOG) in found
    # The column name says what it holds: the table carries personal data from the template alone.
    assert table.attributes["personal_columns"] == [{"column": "customer_email", "category": "email"}]


def test_a_table_in_a_database_of_another_stack_is_read_in_that_database(tmp_path: Path) -> None:
    body = """\
Resources:
  Events:
    Type: AWS::Glue::Table
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseName: !ImportValue shared-lake-database
      TableInput:
        Name: clicks
        StorageDescriptor:
          Location: s3://acme-lake/clicks/
  Sessions:
    Type: AWS::Glue::Table
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseName: analytics
      TableInput:
        Name: sessions
        Parameters: {classification: json}
        StorageDescriptor:
          Location: s3://acme-lake/sessions/
"""
    scan = scanned(tmp_path, body)
    nodes = nodes_by_id(scan)
    sessions = nodes[glue_id("table", "analytics/sessions")]
    assert sessions.observed and sessions.attributes["format"] == "json"
    assert sessions.attributes["template"]["logical_id"] == "Sessions"
    # The database is the account's: referenced, not read from this template.
    assert not nodes[glue_id("database", "analytics")].observed
    assert (sessions.id, "part_of", glue_id("database", "analytics")) in flows(scan)
    # A database known only at deployment keeps its placeholder, never a guess.
    [clicks] = [n for n in scan.nodes if n.kind == "glue.table" and n.name.endswith(".clicks")]
    assert clicks.name == "${Fn::ImportValue shared-lake-database}.clicks"
    assert clicks.id == glue_id("table", "${fn::importvalue shared-lake-database}/clicks")  # ids fold names
    assert (clicks.id, "stored_at", "arn:aws:s3:::acme-lake/clicks") in flows(scan)


# --- ETL --------------------------------------------------------------------------------------------


def test_a_job_runs_its_script_on_what_its_arguments_name(tmp_path: Path) -> None:
    scan = scanned(tmp_path, ETL)
    job = nodes_by_id(scan)[CURATE]
    assert (job.kind, job.name) == ("glue.job", "curate-orders-prod")
    assert job.attributes["command"] == "glueetl"
    assert job.attributes["script"] == "s3://acme-raw-prod/scripts/curate_orders.py"
    assert job.attributes["glue_version"] == "4.0"
    assert job.attributes["role"] == f"arn:aws:iam::{ACCOUNT}:role/acme-glue"
    assert job.attributes["arguments"] == {
        "--source_path": "s3://acme-raw-prod/orders/", "--output_path": "s3://acme-curated-prod/orders/",
        "--target_database": "Sales_prod", "--target_table": "orders",
        "--enable-continuous-cloudwatch-log": "true", "--job-bookmark-option": "job-bookmark-enable"}
    assert job.attributes["tags"] == {"team": "sales"}
    # `S3Encryptions` in the template is the API's `S3Encryption`: the job's settings are known.
    assert job.attributes["security_configuration"] == "etl-kms"
    assert job.attributes["security_settings"] == {
        "s3_encryption": "SSE-KMS",
        "s3_kms_key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0d6e2b7a-1c2f-4c1e-9a43-2f5c8e1d7b11",
        "cloudwatch_encryption": "DISABLED", "bookmarks_encryption": "DISABLED"}
    found = flows(scan)
    assert ("arn:aws:s3:::acme-raw-prod/orders", "reads", CURATE) in found
    assert (CURATE, "writes", "arn:aws:s3:::acme-curated-prod/orders") in found
    assert (CURATE, "writes", arns.log_group_arn(REGION, ACCOUNT, "/aws-glue/jobs/logs-v2")) in found
    assert not any("scripts" in source or "scripts" in target for source, _, target in found)  # code, not data


def test_a_crawler_reads_its_paths_and_writes_the_tables_of_its_database(tmp_path: Path) -> None:
    scan = scanned(tmp_path, ETL)
    crawler = nodes_by_id(scan)[CRAWLER]
    assert crawler.attributes["database"] == "sales_prod"
    assert crawler.attributes["schedule"] == "cron(0 1 * * ? *)"
    assert crawler.attributes["targets"] == {"S3Targets": 1}
    assert crawler.attributes["state"] == "READY"
    found = flows(scan)
    assert ("arn:aws:s3:::acme-curated-prod/orders", "reads", CRAWLER) in found
    assert (CRAWLER, "writes", ORDERS) in found  # the table whose data lies under the path it crawls
    assert (CRAWLER, "writes", DATABASE) in found


def test_a_trigger_chains_what_finished_to_what_starts_next(tmp_path: Path) -> None:
    scan = scanned(tmp_path, ETL)
    publish = "cfn:etl#PublishJob"  # its name is chosen at deployment
    nodes = nodes_by_id(scan)
    assert nodes[publish].kind == "glue.job" and nodes[publish].attributes["template"]["name_chosen_at_deployment"]
    found = flows(scan)
    assert (CURATE, "triggers", publish) in found
    assert (CURATE, "triggers", CRAWLER) in found
    assert (publish, "part_of", NIGHTLY) in found and (CRAWLER, "part_of", NIGHTLY) in found
    assert nodes[NIGHTLY].kind == "glue.workflow" and nodes[NIGHTLY].observed
    assert not any(node.id.endswith("after-curate") for node in scan.nodes)  # a trigger is its edges, as in a scan


def test_findings_judge_security_configurations_and_not_a_catalog_the_template_leaves_alone(tmp_path: Path) -> None:
    scan = scanned(tmp_path, ETL)
    found = findings(scan)
    assert ("glue.job_without_security_configuration", "cfn:etl#PublishJob") in found
    assert ("glue.crawler_without_security_configuration", CRAWLER) in found
    assert ("glue.job_without_security_configuration", CURATE) not in found  # SSE-KMS through etl-kms
    # The catalog's settings are the account's: unread, so neither assumed DISABLED nor judged.
    assert not any(rule.startswith("glue.catalog") or rule == "glue.connection_passwords_not_encrypted"
                   for rule, _ in found)
    assert not nodes_by_id(scan)[CATALOG].observed


CATALOG_SETTINGS = """\
Resources:
  CatalogSettings:
    Type: AWS::Glue::DataCatalogEncryptionSettings
    Properties:
      CatalogId: !Ref AWS::AccountId
      DataCatalogEncryptionSettings:
        EncryptionAtRest:
          CatalogEncryptionMode: {mode}
{key}        ConnectionPasswordEncryption:
          ReturnConnectionPasswordEncrypted: {passwords}
  Weak:
    Type: AWS::Glue::SecurityConfiguration
    Properties:
      Name: weak
      EncryptionConfiguration:
        S3Encryptions:
          - S3EncryptionMode: DISABLED
  Export:
    Type: AWS::Glue::Job
    Properties:
      Name: export
      Role: arn:aws:iam::123456789012:role/etl
      SecurityConfiguration: !Ref Weak
      Command: {{Name: glueetl, ScriptLocation: "s3://acme-code/export.py"}}
"""


@pytest.mark.parametrize(("mode", "key", "passwords", "expected"), [
    ("DISABLED", "", "false", {"glue.catalog_not_encrypted", "glue.connection_passwords_not_encrypted"}),
    ("SSE-KMS", "          SseAwsKmsKeyId: alias/catalog\n", '"true"', set()),
])
def test_catalog_settings_a_template_defines_are_judged(tmp_path: Path, mode: str, key: str, passwords: str,
                                                        expected: set[str]) -> None:
    scan = scanned(tmp_path, CATALOG_SETTINGS.format(mode=mode, key=key, passwords=passwords))
    catalog = nodes_by_id(scan)[CATALOG]
    assert catalog.observed and catalog.kind == "glue.catalog"
    assert catalog.attributes["encryption_at_rest"] == mode
    assert catalog.attributes["template"]["logical_id"] == "CatalogSettings"
    assert {rule for rule, node in findings(scan) if node == CATALOG} == expected
    # A security configuration that leaves S3 unencrypted is no better than none.
    assert ("glue.job_without_security_configuration", glue_id("job", "export")) in findings(scan)


# --- Athena ---------------------------------------------------------------------------------------

ATHENA = """\
Parameters:
  Enforce:
    Type: String
    Default: "false"
Resources:
  Reports:
    Type: AWS::Athena::WorkGroup
    Properties:
      Name: reports
      WorkGroupConfiguration:
        EnforceWorkGroupConfiguration: !Ref Enforce
        BytesScannedCutoffPerQuery: 10000000000
        ResultConfiguration:
          OutputLocation: s3://acme-athena-results/reports/
  Secure:
    Type: AWS::Athena::WorkGroup
    Properties:
      Name: secure
      WorkGroupConfiguration:
        EnforceWorkGroupConfiguration: true
        ResultConfiguration:
          OutputLocation: s3://acme-athena-results/secure/
          EncryptionConfiguration:
            EncryptionOption: SSE_KMS
            KmsKey: alias/athena
  Weekly:
    Type: AWS::Athena::NamedQuery
    Properties:
      Name: weekly-revenue
      Database: sales_prod
      WorkGroup: !Ref Reports
      QueryString: >-
        SELECT date_trunc('week', o.dt) AS week, sum(o.amount)
        FROM orders o JOIN crm.customers c ON o.customer_email = c.email GROUP BY 1
  Export:
    Type: AWS::Athena::NamedQuery
    Properties:
      Name: export-orders
      Database: sales_prod
      QueryString: "UNLOAD (SELECT * FROM orders) TO 's3://acme-exports/orders/' WITH (format = 'PARQUET')"
  ByCustomer:
    Type: AWS::Athena::PreparedStatement
    Properties:
      StatementName: orders_by_customer
      WorkGroup: !Ref Secure
      QueryStatement: SELECT * FROM sales_prod.orders WHERE customer_email = ?
"""


def test_workgroups_and_their_saved_queries(tmp_path: Path) -> None:
    scan = scanned(tmp_path, ATHENA, name="athena.yaml")
    nodes = nodes_by_id(scan)
    reports, secure = nodes[REPORTS], nodes[SECURE]
    assert reports.attributes["output_location"] == "s3://acme-athena-results/reports/"
    assert reports.attributes["enforce_configuration"] is False  # the parameter's "false" is false
    assert reports.attributes["result_encryption"] is None
    assert reports.attributes["named_queries"] == ["weekly-revenue"]
    assert reports.attributes["prepared_statements"] == []
    assert "unread" not in reports.attributes  # a new workgroup holds what the template saves in it, no more
    assert secure.attributes["enforce_configuration"] is True
    assert (secure.attributes["result_encryption"], secure.attributes["result_kms_key"]) == ("SSE_KMS", "alias/athena")
    weekly, export = nodes["cfn:athena#Weekly"], nodes["cfn:athena#Export"]  # Athena chooses their ids
    assert (weekly.kind, weekly.name, weekly.attributes["workgroup"]) == ("athena.named_query", "weekly-revenue",
                                                                        "reports")
    assert export.attributes["workgroup"] == "primary"  # no `WorkGroup`: Athena's default
    statement = nodes[f"arn:aws:athena:{REGION}:{ACCOUNT}:prepared-statement/secure/orders_by_customer"]
    assert statement.kind == "athena.prepared_statement"
    orders, customers = glue_id("table", "sales_prod/orders"), glue_id("table", "crm/customers")
    found = flows(scan)
    assert {(orders, "reads", weekly.id), (customers, "reads", weekly.id), (orders, "reads", REPORTS),
            (customers, "reads", REPORTS), (weekly.id, "part_of", REPORTS)} <= found
    assert (REPORTS, "writes", "arn:aws:s3:::acme-athena-results/reports") in found
    assert (PRIMARY, "writes", "arn:aws:s3:::acme-exports/orders") in found  # UNLOAD, where the query runs
    assert (orders, "reads", statement.id) in found and (statement.id, "part_of", SECURE) in found
    # `primary` is the account's: its saved query is read, the workgroup is not described by this template.
    assert not nodes[PRIMARY].observed
    assert {rule for rule, node in findings(scan) if node == REPORTS} >= {"athena.results_not_encrypted"}
    assert ("athena.results_not_encrypted", SECURE) not in findings(scan)


def test_a_saved_query_that_cannot_be_parsed_in_a_workgroup_of_the_account_is_a_warning(tmp_path: Path) -> None:
    body = """\
Resources:
  Broken:
    Type: AWS::Athena::NamedQuery
    Properties:
      Name: broken
      Database: sales_prod
      QueryString: SELEC oops (((
"""
    scan = scanned(tmp_path, body, name="broken.yaml")
    assert "cfn:broken#Broken" in nodes_by_id(scan)
    assert any("broken" in gap.error and gap.service == "cloudformation" for gap in scan.coverage_gaps)


# --- Lake Formation -------------------------------------------------------------------------------

LF_TAGS = ETL + """\
  Classification:
    Type: AWS::LakeFormation::Tag
    Properties:
      TagKey: classification
      TagValues: [confidential, internal, public]
  Pii:
    Type: AWS::LakeFormation::Tag
    Properties:
      TagKey: pii
      TagValues: [email, none]
  DatabaseIsInternal:
    Type: AWS::LakeFormation::TagAssociation
    Properties:
      Resource:
        Database:
          CatalogId: !Ref AWS::AccountId
          Name: !Ref Database
      LFTags:
        - {CatalogId: !Ref AWS::AccountId, TagKey: classification, TagValues: [internal]}
  OrdersAreConfidential:
    Type: AWS::LakeFormation::TagAssociation
    Properties:
      Resource:
        Table:
          CatalogId: !Ref AWS::AccountId
          DatabaseName: !Ref Database
          Name: !Ref OrdersTable
      LFTags:
        - {CatalogId: !Ref AWS::AccountId, TagKey: classification, TagValues: [confidential]}
  EmailColumn:
    Type: AWS::LakeFormation::TagAssociation
    Properties:
      Resource:
        TableWithColumns:
          CatalogId: !Ref AWS::AccountId
          DatabaseName: !Ref Database
          Name: !Ref OrdersTable
          ColumnNames: [amount]
      LFTags:
        - {CatalogId: !Ref AWS::AccountId, TagKey: pii, TagValues: [email]}
  ReadersMayDescribe:
    Type: AWS::LakeFormation::Permissions
    Properties:
      DataLakePrincipal: {DataLakePrincipalIdentifier: !GetAtt GlueRole.Arn}
      Permissions: [DESCRIBE]
      Resource: {DatabaseResource: {Name: !Ref Database}}
"""


def test_lf_tags_of_a_template_label_its_tables_and_columns(tmp_path: Path) -> None:
    scan = scanned(tmp_path, LF_TAGS)
    nodes = nodes_by_id(scan)
    table, database = nodes[ORDERS], nodes[DATABASE]
    assert database.attributes["lf_tags"] == {"classification": ["internal"]}
    # The table's own value overrides its database's for the key; a column inherits the table's.
    assert table.attributes["lf_tags"] == {"classification": ["confidential"]}
    assert table.attributes["lf_column_tags"] == {"amount": {"classification": ["confidential"], "pii": ["email"]}}
    assert table.observed and table.attributes["location"] == "s3://acme-curated-prod/orders/"  # one node, merged
    labels = {(label["column"], label["source"]) for label in table.attributes["personal_labels"] if "column" in label}
    assert ("amount", "lf-tag on column") in labels
    # A tag definition tags nothing; grants are not what the tracker reads: only the grant is kept, as a resource.
    assert not any(n.kind == "lakeformation.tag" for n in scan.nodes)
    assert nodes["cfn:etl#ReadersMayDescribe"].kind == "lakeformation.permissions"


def test_lf_tags_land_on_the_tables_when_the_account_is_not_known(tmp_path: Path) -> None:
    scan = scanned(tmp_path, LF_TAGS, Placement())
    table = nodes_by_id(scan)["arn:aws:glue:::table/sales_prod/orders"]  # the ids a template gives without an account
    assert table.observed and table.account == ""
    assert table.attributes["lf_tags"] == {"classification": ["confidential"]}
    assert nodes_by_id(scan)["arn:aws:glue:::database/sales_prod"].attributes["lf_tags"] == {
        "classification": ["internal"]}


def test_a_table_wildcard_tags_every_table_the_template_puts_in_the_database(tmp_path: Path) -> None:
    body = ETL + """\
  AllOfSales:
    Type: AWS::LakeFormation::TagAssociation
    Properties:
      Resource:
        Table:
          CatalogId: !Ref AWS::AccountId
          DatabaseName: !Ref Database
          TableWildcard: {}
      LFTags:
        - {CatalogId: !Ref AWS::AccountId, TagKey: pii, TagValues: [email]}
"""
    table = nodes_by_id(scanned(tmp_path, body))[ORDERS]
    assert table.attributes["lf_tags"] == {"pii": ["email"]}


# --- what the account gives back once deployed -------------------------------------------------------


def _deploy_as_cloudformation_would(placed: Placed, session: boto3.Session) -> None:
    """What CloudFormation's Glue, Athena and Lake Formation handlers call for a resource: moto's CloudFormation
    creates none of these types (moto 5 skips them with a warning), so the test makes the same calls."""
    p = dict(placed.properties)
    glue, athena = session.client("glue"), session.client("athena")
    if placed.type == "AWS::Glue::Database":
        glue.create_database(DatabaseInput=p["DatabaseInput"])
    elif placed.type == "AWS::Glue::Table":
        glue.create_table(DatabaseName=p["DatabaseName"], TableInput=_strings_in(p["TableInput"]))
    elif placed.type == "AWS::Glue::Crawler":
        schedule = p.pop("Schedule", {}).get("ScheduleExpression")
        glue.create_crawler(**p, **({"Schedule": schedule} if schedule else {}))
    elif placed.type == "AWS::Glue::Job":
        glue.create_job(**{**p, "DefaultArguments": _strings_in(p.get("DefaultArguments", {}))})
    elif placed.type == "AWS::Glue::Trigger":
        glue.create_trigger(**p)
    elif placed.type == "AWS::Glue::Workflow":
        glue.create_workflow(**p)
    elif placed.type == "AWS::Glue::SecurityConfiguration":
        configuration = dict(p["EncryptionConfiguration"])
        configuration["S3Encryption"] = configuration.pop("S3Encryptions")
        glue.create_security_configuration(Name=p["Name"], EncryptionConfiguration=configuration)
    elif placed.type == "AWS::Athena::WorkGroup":
        athena.create_work_group(Name=p["Name"], Configuration=p.get("WorkGroupConfiguration", {}))
    elif placed.type == "AWS::Athena::NamedQuery":
        athena.create_named_query(**p)
    elif placed.type == "AWS::LakeFormation::Tag":
        session.client("lakeformation").create_lf_tag(TagKey=p["TagKey"], TagValues=p["TagValues"])
    elif placed.type == "AWS::LakeFormation::TagAssociation":
        resource = {kind: {k: v for k, v in value.items() if k != "CatalogId"} for kind, value in p["Resource"].items()}
        session.client("lakeformation").add_lf_tags_to_resource(
            Resource=resource, LFTags=[{k: v for k, v in tag.items() if k != "CatalogId"} for tag in p["LFTags"]])


def _strings_in(value: Any) -> Any:
    """CloudFormation hands Glue its maps of strings as strings (YAML's `true` becomes "true")."""
    if isinstance(value, Mapping):
        return {k: (_strings_in(v) if isinstance(v, Mapping | list) else
                    str(v).lower() if isinstance(v, bool) else v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings_in(v) for v in value]
    return value


# Names in lower case: Glue folds them (the template's reading does too), moto keeps them as given.
DEPLOYED = LF_TAGS.replace('Name: !Sub "Sales_${Env}"', 'Name: !Sub "sales_${Env}"').replace(
    "Name: Orders\n", "Name: orders\n").replace("""  PublishJob:
    Type: AWS::Glue::Job
    Properties:
""", """  PublishJob:
    Type: AWS::Glue::Job
    Properties:
      Name: publish-orders
""") + """\
  Reports:
    Type: AWS::Athena::WorkGroup
    Properties:
      Name: reports
      WorkGroupConfiguration:
        EnforceWorkGroupConfiguration: false
        ResultConfiguration:
          OutputLocation: !Sub "s3://${CuratedBucket}/athena/"
  Weekly:
    Type: AWS::Athena::NamedQuery
    Properties:
      Name: weekly-revenue
      Database: !Ref Database
      WorkGroup: !Ref Reports
      QueryString: SELECT date_trunc('week', dt), sum(amount) FROM orders GROUP BY 1
"""
KEY_ATTRIBUTES = {
    "glue.database": ("location",),
    "glue.table": ("location", "format", "table_type", "columns", "partition_keys", "parameters", "lf_tags",
                   "lf_column_tags"),
    "glue.crawler": ("database", "schedule", "targets", "security_configuration", "role", "state"),
    "glue.job": ("command", "script", "arguments", "glue_version", "role", "security_configuration",
                 "security_settings", "tags"),
    "glue.workflow": (),
    "athena.workgroup": ("output_location", "result_encryption", "enforce_configuration", "named_queries", "state"),
    "athena.named_query": ("workgroup", "database"),
}


def _compared(scan: Scan) -> dict[tuple[str, str], dict[str, Any]]:
    """The Glue and Athena nodes by (kind, name), with their key attributes; a saved query's id is Athena's."""
    return {(node.kind, node.name): {"id": node.id if node.kind != "athena.named_query" else "",
                                     **{key: node.attributes.get(key) for key in KEY_ATTRIBUTES[node.kind]}}
            for node in scan.nodes if node.observed and node.kind in KEY_ATTRIBUTES}


def _glue_and_athena_flows(scan: Scan) -> set[tuple[str, str, str]]:
    queries = {node.id: f"named query {node.name}" for node in scan.nodes if node.kind == "athena.named_query"}
    return {(queries.get(e.source, e.source), e.kind.value, queries.get(e.target, e.target)) for e in scan.edges
            if any(":glue:" in end or ":athena:" in end or end in queries for end in (e.source, e.target))}


@mock_aws
@pytest.mark.filterwarnings("ignore:Tried to parse AWS..(Glue|Athena|LakeFormation)..")
def test_the_template_gives_the_facts_a_scan_of_the_deployed_stack_gives(tmp_path: Path) -> None:
    from lineage.scan import ScanOptions, run_scan

    path = tmp_path / "etl.yaml"
    path.write_text(DEPLOYED)
    template = read_template(path)
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName="etl", TemplateBody=DEPLOYED, Capabilities=["CAPABILITY_NAMED_IAM"])
    assert cloudformation.describe_stacks(StackName="etl")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    created = {r["LogicalResourceId"] for r in cloudformation.list_stack_resources(StackName="etl")[
        "StackResourceSummaries"] if r.get("ResourceType")}
    assert {"RawBucket", "CuratedBucket", "GlueRole"} <= created  # what moto's CloudFormation deploys
    session = boto3.Session(region_name=REGION)
    stack = Stack(template, PLACEMENT)
    for placed in stack.placed.values():  # in the template's order, which is an order CloudFormation may take
        if placed.logical_id not in created:
            _deploy_as_cloudformation_would(placed, session)

    deployed, _ = run_scan(ScanOptions(regions=(REGION,)), session=session)
    read = scan_templates([template], PLACEMENT).scan

    from_template, from_account = _compared(read), _compared(deployed)
    from_account.pop(("athena.workgroup", "primary"))  # every account has it; the template does not describe it
    assert set(from_template) == set(from_account)
    assert {"glue.table", "glue.job", "glue.crawler", "athena.named_query"} <= {kind for kind, _ in from_template}
    for key, attributes in from_template.items():
        assert attributes == from_account[key], key
    assert _glue_and_athena_flows(read) == _glue_and_athena_flows(deployed)
    glue_rules = {(rule, node) for rule, node in findings(deployed) if rule.startswith(("glue.", "athena."))
                  and node not in (PRIMARY, CATALOG)}
    assert {(rule, node) for rule, node in findings(read) if rule.startswith(("glue.", "athena."))} == glue_rules
    assert glue_rules  # the comparison judged something


def test_a_resource_of_an_unexpected_shape_costs_only_itself(tmp_path: Path) -> None:
    body = """\
Resources:
  Odd:
    Type: AWS::Glue::Job
    Properties:
      Name: odd
      Role: etl
      Command: [glueetl]
      DefaultArguments: "--not json"
  Good:
    Type: AWS::Glue::Table
    Properties:
      DatabaseName: lake
      TableInput:
        Name: good
        StorageDescriptor: {Location: "s3://acme-lake/good/", Columns: none}
  OddWorkgroup:
    Type: AWS::Athena::WorkGroup
    Properties:
      Name: odd
      WorkGroupConfiguration: [1]
  CatalogTag:
    Type: AWS::LakeFormation::TagAssociation
    Properties:
      Resource: {Catalog: {}}
      LFTags: [{TagKey: pii, TagValues: [email]}]
"""
    scan = scanned(tmp_path, body, name="odd.yaml")
    nodes = nodes_by_id(scan)
    assert nodes[glue_id("table", "lake/good")].attributes["location"] == "s3://acme-lake/good/"
    assert nodes[arns.athena_workgroup_arn(REGION, ACCOUNT, "odd")].observed
    assert glue_id("job", "odd") not in nodes
    gaps = {(gap.service, gap.operation, gap.resource) for gap in scan.coverage_gaps}
    assert ("glue", "GetJobs", "odd") in gaps
    assert any("CatalogTag" in gap.error for gap in scan.coverage_gaps)
