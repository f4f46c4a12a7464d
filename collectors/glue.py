"""Glue Data Catalog and ETL: databases, tables, crawlers, jobs, triggers, workflows, the catalog's
encryption and the security configurations.
"""

from __future__ import annotations

from typing import Any

from collectors.context import AwsContext
from lineage import arn as arns
from lineage.glue_arguments import argument_facts
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for
from lineage.pii import personal_columns


def get_glue(ctx: AwsContext, region: str) -> dict[str, Any]:
    """Raw listings of one region. A listing that failed is missing (and a gap was noted)."""
    client = ctx.client("glue", region)
    record: dict[str, Any] = {}
    listings = {
        "databases": ("get_databases", "DatabaseList"),
        "crawlers": ("get_crawlers", "Crawlers"),
        "jobs": ("get_jobs", "Jobs"),
        "triggers": ("get_triggers", "Triggers"),
        "workflows": ("list_workflows", "Workflows"),
        "security_configurations": ("get_security_configurations", "SecurityConfigurations"),
    }
    for key, (method, result_key) in listings.items():
        items = ctx.pages(client, method, result_key, resource=region)
        if items is not None:
            record[key] = items
    encryption = ctx.call(client, "get_data_catalog_encryption_settings", region)
    if encryption is not None:
        record["catalog_encryption"] = encryption.get("DataCatalogEncryptionSettings", {})

    def tables_of(database: dict[str, Any]) -> list[dict[str, Any]] | None:
        if database.get("TargetDatabase"):  # a resource link: its tables live in another catalog
            return []
        return ctx.pages(client, "get_tables", "TableList", database["Name"], DatabaseName=database["Name"])

    databases = record.get("databases", [])
    record["tables"] = dict(zip([d["Name"] for d in databases], ctx.map(tables_of, databases), strict=True))
    return record


# --- transform ----------------------------------------------------------------------------------


def _security_settings(configurations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    settings = {}
    for configuration in configurations:
        encryption = configuration.get("EncryptionConfiguration") or {}
        s3 = (encryption.get("S3Encryption") or [{}])[0]
        settings[configuration["Name"]] = {
            "s3_encryption": s3.get("S3EncryptionMode", "DISABLED"),
            "s3_kms_key": s3.get("KmsKeyArn"),
            "cloudwatch_encryption": (encryption.get("CloudWatchEncryption") or {}).get(
                "CloudWatchEncryptionMode", "DISABLED"
            ),
            "bookmarks_encryption": (encryption.get("JobBookmarksEncryption") or {}).get(
                "JobBookmarksEncryptionMode", "DISABLED"
            ),
        }
    return settings


def _table(table: dict[str, Any], database: str, account: str, region: str) -> Facts:
    table_id = arns.glue_table_arn(region, account, database, table["Name"])
    descriptor = table.get("StorageDescriptor") or {}
    columns = [
        {"name": c.get("Name", ""), "type": c.get("Type", ""), "comment": c.get("Comment", ""),
         "parameters": c.get("Parameters", {})}
        for c in descriptor.get("Columns", [])
    ]
    partition_keys = [{"name": c.get("Name", ""), "type": c.get("Type", "")}
                      for c in table.get("PartitionKeys", [])]
    location = descriptor.get("Location", "")
    attributes: dict[str, Any] = {
        "database": database,
        "columns": columns,
        "partition_keys": partition_keys,
        "location": location,
        "table_type": table.get("TableType", ""),
        "format": (table.get("Parameters") or {}).get("classification", ""),
        "parameters": table.get("Parameters", {}),
        "personal_columns": personal_columns(columns + partition_keys),
    }
    if table.get("TargetTable"):
        attributes["resource_link"] = table["TargetTable"]
    node = Node(table_id, "glue.table", f"{database}.{table['Name']}",
                stage_for("glue.table", table.get("Parameters")), account, region, True, attributes)
    edges = [Edge(table_id, arns.glue_database_arn(region, account, database), EdgeKind.PART_OF)]
    parsed = arns.parse_s3_url(location)
    if parsed:
        evidence = Evidence("glue:GetTables", table_id, "StorageDescriptor.Location", location)
        edges.append(Edge(table_id, arns.s3_location_id(*parsed), EdgeKind.STORED_AT, (evidence,)))
    return Facts((node,), tuple(edges))


def _crawler(crawler: dict[str, Any], tables: dict[str, list[dict[str, Any]]],
             security: dict[str, dict[str, Any]], account: str, region: str) -> Facts:
    name = crawler["Name"]
    crawler_id = arns.glue_crawler_arn(region, account, name)
    database = crawler.get("DatabaseName", "")
    targets = crawler.get("Targets") or {}
    edges: list[Edge] = []
    s3_paths = []
    for index, target in enumerate(targets.get("S3Targets", [])):
        parsed = arns.parse_s3_url(target.get("Path", ""))
        if parsed is None:
            continue
        s3_paths.append(parsed)
        evidence = Evidence("glue:GetCrawlers", crawler_id, f"Targets.S3Targets[{index}].Path", target["Path"])
        edges.append(Edge(arns.s3_location_id(*parsed), crawler_id, EdgeKind.READS, (evidence,)))
    for index, target in enumerate(targets.get("DynamoDBTargets", [])):
        evidence = Evidence("glue:GetCrawlers", crawler_id, f"Targets.DynamoDBTargets[{index}].Path",
                            target.get("Path", ""))
        source = arns.dynamodb_table_arn(region, account, target.get("Path", ""))
        edges.append(Edge(source, crawler_id, EdgeKind.READS, (evidence,)))
    for index, target in enumerate(targets.get("CatalogTargets", [])):
        for table in target.get("Tables", []):
            evidence = Evidence("glue:GetCrawlers", crawler_id, f"Targets.CatalogTargets[{index}].Tables", table)
            table_id = arns.glue_table_arn(region, account, target.get("DatabaseName", ""), table)
            edges.append(Edge(crawler_id, table_id, EdgeKind.WRITES, (evidence,)))
    # The tables a crawler feeds: those of its database whose data lies under a path it crawls.
    for table in tables.get(database, []):
        location = arns.parse_s3_url((table.get("StorageDescriptor") or {}).get("Location", ""))
        if location is None:
            continue
        for bucket, prefix in s3_paths:
            if location[0] == bucket and (not prefix or f"{location[1]}/".startswith(f"{prefix}/")):
                evidence = Evidence("glue:GetTables", arns.glue_table_arn(region, account, database,
                                                                          table["Name"]),
                                    "StorageDescriptor.Location", f"under s3://{bucket}/{prefix}")
                table_id = arns.glue_table_arn(region, account, database, table["Name"])
                edges.append(Edge(crawler_id, table_id, EdgeKind.WRITES, (evidence,)))
                break
    if database:
        evidence = Evidence("glue:GetCrawlers", crawler_id, "DatabaseName", database)
        edges.append(Edge(crawler_id, arns.glue_database_arn(region, account, database), EdgeKind.WRITES,
                          (evidence,)))
    configuration = crawler.get("CrawlerSecurityConfiguration")
    attributes = {
        "database": database,
        "state": crawler.get("State", ""),
        "schedule": (crawler.get("Schedule") or {}).get("ScheduleExpression"),
        "targets": {k: len(v) for k, v in targets.items() if v},
        "security_configuration": configuration,
        "security_settings": security.get(configuration) if configuration else None,
        "role": crawler.get("Role", ""),
    }
    node = Node(crawler_id, "glue.crawler", name, stage_for("glue.crawler"), account, region, True, attributes)
    return Facts((node,), tuple(edges))


_SECRET_WORDS = ("password", "secret", "token", "credential", "key")


def _job(job: dict[str, Any], security: dict[str, dict[str, Any]], account: str, region: str) -> Facts:
    name = job["Name"]
    job_id = arns.glue_job_arn(region, account, name)
    arguments = job.get("DefaultArguments") or {}
    command = job.get("Command") or {}
    configuration = job.get("SecurityConfiguration")
    attributes = {
        "command": command.get("Name", ""),
        "script": command.get("ScriptLocation", ""),
        "glue_version": job.get("GlueVersion", ""),
        "role": job.get("Role", ""),
        # Values can hold secrets; the names are kept, and the values only where they are paths.
        "arguments": {k: (v if isinstance(v, str) and v.startswith("s3") else "…")
                      if any(w in k.lower() for w in _SECRET_WORDS) else v
                      for k, v in arguments.items()},
        "connections": (job.get("Connections") or {}).get("Connections", []),
        "security_configuration": configuration,
        "security_settings": security.get(configuration) if configuration else None,
    }
    node = Node(job_id, "glue.job", name, stage_for("glue.job", job.get("Tags")), account, region, True,
                attributes)
    flows = argument_facts(job_id, arguments, region, account, "glue:GetJobs", job_id, "DefaultArguments")
    return Facts((node,), ()) + flows


def _trigger(trigger: dict[str, Any], account: str, region: str) -> Facts:
    """A conditional trigger chains jobs and crawlers: what finished → what starts next."""
    name = trigger["Name"]
    trigger_id = arns.glue_trigger_arn(region, account, name)

    def endpoint(item: dict[str, Any]) -> str | None:
        if item.get("JobName"):
            return arns.glue_job_arn(region, account, item["JobName"])
        if item.get("CrawlerName"):
            return arns.glue_crawler_arn(region, account, item["CrawlerName"])
        return None

    before = [endpoint(c) for c in (trigger.get("Predicate") or {}).get("Conditions", [])]
    after = [endpoint(a) for a in trigger.get("Actions", [])]
    edges = []
    for index, successor in enumerate(after):
        if successor is None:
            continue
        for predecessor in before:
            if predecessor is None:
                continue
            evidence = Evidence("glue:GetTriggers", trigger_id, f"Actions[{index}]",
                                f"{trigger.get('Type', '')} trigger {name}")
            edges.append(Edge(predecessor, successor, EdgeKind.TRIGGERS, (evidence,)))
        workflow = trigger.get("WorkflowName")
        if workflow:
            edges.append(Edge(successor, arns.glue_workflow_arn(region, account, workflow), EdgeKind.PART_OF))
    return Facts((), tuple(edges))


def transform_glue(record: dict[str, Any], account: str, region: str) -> Facts:
    security = _security_settings(record.get("security_configurations", []))
    catalog_id = f"arn:aws:glue:{region}:{account}:catalog"
    facts = Facts()
    if "catalog_encryption" in record:
        settings = record["catalog_encryption"]
        at_rest = settings.get("EncryptionAtRest") or {}
        passwords = settings.get("ConnectionPasswordEncryption") or {}
        attributes = {
            "encryption_at_rest": at_rest.get("CatalogEncryptionMode", "DISABLED"),
            "kms_key": at_rest.get("SseAwsKmsKeyId"),
            "connection_password_encryption": bool(passwords.get("ReturnConnectionPasswordEncrypted")),
            "security_configurations": security,
        }
        facts = facts + Facts((Node(catalog_id, "glue.catalog", f"Data Catalog ({region})",
                                    stage_for("glue.catalog"), account, region, True, attributes),), ())
    for database in record.get("databases", []):
        database_id = arns.glue_database_arn(region, account, database["Name"])
        attributes = {"location": database.get("LocationUri", ""), "description": database.get("Description", "")}
        if database.get("TargetDatabase"):
            attributes["resource_link"] = database["TargetDatabase"]
        tables = record.get("tables", {}).get(database["Name"])
        if tables is None:
            attributes["unread"] = ["tables"]
        node = Node(database_id, "glue.database", database["Name"], stage_for("glue.database"), account,
                    region, True, attributes)
        facts = facts + Facts((node,), (Edge(database_id, catalog_id, EdgeKind.PART_OF),))
        for table in tables or []:
            facts = facts + _table(table, database["Name"], account, region)
    tables_by_database = {db: tables or [] for db, tables in record.get("tables", {}).items()}
    for crawler in record.get("crawlers", []):
        facts = facts + _crawler(crawler, tables_by_database, security, account, region)
    for job in record.get("jobs", []):
        facts = facts + _job(job, security, account, region)
    for trigger in record.get("triggers", []):
        facts = facts + _trigger(trigger, account, region)
    for workflow in record.get("workflows", []):
        workflow_id = arns.glue_workflow_arn(region, account, workflow)
        facts = facts + Facts((Node(workflow_id, "glue.workflow", workflow, stage_for("glue.workflow"),
                                    account, region, True, {}),), ())
    return facts
