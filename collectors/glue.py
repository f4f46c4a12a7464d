"""Glue Data Catalog and ETL: databases, tables, crawlers, jobs, triggers, workflows, the catalog's
encryption and the security configurations.
"""

from __future__ import annotations

from typing import Any

from collectors.context import AwsContext, each_answer, each_resource, is_gone
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage.glue_arguments import argument_facts
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

_GONE = ("EntityNotFoundException",)
GET_DATABASES = Call("glue", "get_databases", result_key="DatabaseList", required=("Name",))
GET_TABLES = Call("glue", "get_tables", result_key="TableList", required=("Name",))
GET_CRAWLERS = Call("glue", "get_crawlers", result_key="Crawlers", required=("Name",))
GET_JOBS = Call("glue", "get_jobs", result_key="Jobs", required=("Name",))
GET_TRIGGERS = Call("glue", "get_triggers", result_key="Triggers", required=("Name",))
LIST_WORKFLOWS = Call("glue", "list_workflows", result_key="Workflows")
GET_SECURITY_CONFIGURATIONS = Call("glue", "get_security_configurations", result_key="SecurityConfigurations",
                                   required=("Name",))
GET_CATALOG_ENCRYPTION = Call("glue", "get_data_catalog_encryption_settings",
                              required=("DataCatalogEncryptionSettings",))
# One by one, for what other facts name when a listing could not be read.
GET_DATABASE = Call("glue", "get_database", required=("Database.Name",), gone=_GONE)
GET_JOB = Call("glue", "get_job", required=("Job.Name",), gone=_GONE)
GET_CRAWLER = Call("glue", "get_crawler", required=("Crawler.Name",), gone=_GONE)
# A job's tags (GetJobs does not return them): `lineage:stage`, and `lineage:pii=masked|dropped` on a job
# that removes personal data from what it writes.
GET_TAGS = Call("glue", "get_tags", required=("Tags",), gone=_GONE)

_LISTINGS = {
    "databases": GET_DATABASES,
    "crawlers": GET_CRAWLERS,
    "jobs": GET_JOBS,
    "triggers": GET_TRIGGERS,
    "workflows": LIST_WORKFLOWS,
    "security_configurations": GET_SECURITY_CONFIGURATIONS,
}


def _read_tables(ctx: AwsContext, region: str, databases: list[dict[str, Any]]) -> dict[str, Any]:
    def tables_of(database: dict[str, Any]) -> list[dict[str, Any]] | None:
        if database.get("TargetDatabase"):  # a resource link: its tables live in another catalog
            return []
        return ctx.pages(GET_TABLES, region, database["Name"], DatabaseName=database["Name"])

    return dict(zip([d["Name"] for d in databases], ctx.map(tables_of, databases), strict=True))


def _read_job_tags(ctx: AwsContext, region: str, jobs: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Each job's tags, by name; a job whose tags could not be read is left out (and a gap was noted). Tags
    are read by ARN, so without the account (STS said no) they cannot be asked for."""
    if not ctx.account:
        return {}

    def tags_of(job: dict[str, Any]) -> dict[str, str] | None:
        arn = arns.glue_job_arn(region, ctx.account, job["Name"])
        answer = ctx.call(GET_TAGS, region, job["Name"], ResourceArn=arn)
        return None if answer is None or is_gone(answer) else dict(answer["Tags"])

    read = dict(zip([j["Name"] for j in jobs], ctx.map(tags_of, jobs), strict=True))
    return {name: tags for name, tags in read.items() if tags is not None}


def get_glue(ctx: AwsContext, region: str) -> dict[str, Any]:
    """Raw listings of one region. A listing that failed is missing (and a gap was noted)."""
    record: dict[str, Any] = {}
    for key, call in _LISTINGS.items():
        items = ctx.pages(call, region, region)
        if items is not None:
            record[key] = items
    record["job_tags"] = _read_job_tags(ctx, region, record.get("jobs", []))
    encryption = ctx.call(GET_CATALOG_ENCRYPTION, region, region)
    if encryption is not None:
        record["catalog_encryption"] = encryption["DataCatalogEncryptionSettings"]
    record["tables"] = _read_tables(ctx, region, record.get("databases", []))
    return record


def get_named_glue(ctx: AwsContext, region: str, wanted: Wanted) -> dict[str, Any]:
    """Databases (with their tables), jobs and crawlers that other facts name, read one by one."""

    def one(call: Call, key: str, **kwargs: str) -> dict[str, Any] | None:
        answer = ctx.call(call, region, next(iter(kwargs.values())), **kwargs)
        return None if answer is None or is_gone(answer) else answer[key]

    def named(kind: str) -> list[str]:
        return sorted({arns.parse_arn(i).resource_name for i in wanted.get(kind, ()) if arns.parse_arn(i)})

    database_names = sorted({name.split("/")[0] for name in named("glue.table") + named("glue.database")})
    databases = [d for d in ctx.map(lambda n: one(GET_DATABASE, "Database", Name=n), database_names) if d]
    jobs = [j for j in ctx.map(lambda n: one(GET_JOB, "Job", JobName=n), named("glue.job")) if j]
    crawlers = [c for c in ctx.map(lambda n: one(GET_CRAWLER, "Crawler", Name=n), named("glue.crawler")) if c]
    return {"databases": databases, "tables": _read_tables(ctx, region, databases), "jobs": jobs,
            "job_tags": _read_job_tags(ctx, region, jobs),
            "crawlers": crawlers}


# --- transform ----------------------------------------------------------------------------------


def _security_setting(configuration: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    encryption = configuration.get("EncryptionConfiguration") or {}
    s3 = (encryption.get("S3Encryption") or [{}])[0]
    return configuration["Name"], {
        "s3_encryption": s3.get("S3EncryptionMode", "DISABLED"),
        "s3_kms_key": s3.get("KmsKeyArn"),
        "cloudwatch_encryption": (encryption.get("CloudWatchEncryption") or {}).get(
            "CloudWatchEncryptionMode", "DISABLED"
        ),
        "bookmarks_encryption": (encryption.get("JobBookmarksEncryption") or {}).get(
            "JobBookmarksEncryptionMode", "DISABLED"
        ),
    }


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
        # How its files are read and whether they are said to be compressed: what a query scans, and pays for.
        "input_format": descriptor.get("InputFormat", ""),
        "serde": (descriptor.get("SerdeInfo") or {}).get("SerializationLibrary", ""),
        "compressed": bool(descriptor.get("Compressed")),
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


def _job(job: dict[str, Any], security: dict[str, dict[str, Any]], account: str, region: str,
         tags: dict[str, str] | None = None) -> Facts:
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
        # Values can hold secrets: the intake marks them (`lineage.redact`), by name and by shape.
        "arguments": dict(arguments),
        "connections": (job.get("Connections") or {}).get("Connections", []),
        "security_configuration": configuration,
        "security_settings": security.get(configuration) if configuration else None,
    }
    if tags is not None:
        attributes["tags"] = tags
    node = Node(job_id, "glue.job", name, stage_for("glue.job", tags), account, region, True, attributes)
    flows = argument_facts(job_id, arguments, region, account, "glue:GetJobs", job_id, "DefaultArguments")
    return Facts((node,), tuple(_continuous_log(job_id, arguments, account, region))) + flows


# Glue's own default for continuous logging, when the job names no group of its own.
CONTINUOUS_LOG_GROUP = "/aws-glue/jobs/logs-v2"


def _continuous_log(job_id: str, arguments: dict[str, Any], account: str, region: str) -> list[Edge]:
    """Continuous logging sends the driver's and executors' output — what the script prints — to a group."""
    if str(arguments.get("--enable-continuous-cloudwatch-log", "")).strip().lower() != "true":
        return []
    group = str(arguments.get("--continuous-log-logGroup") or CONTINUOUS_LOG_GROUP)
    path = "DefaultArguments.--continuous-log-logGroup" if arguments.get("--continuous-log-logGroup") else \
        "DefaultArguments.--enable-continuous-cloudwatch-log (Glue's default group)"
    evidence = Evidence("glue:GetJobs", job_id, path, group)
    return [Edge(job_id, arns.log_group_arn(region, account, group), EdgeKind.WRITES, (evidence,))]


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


def _catalog(settings: dict[str, Any], security: dict[str, dict[str, Any]], account: str, region: str) -> Node:
    at_rest = settings.get("EncryptionAtRest") or {}
    passwords = settings.get("ConnectionPasswordEncryption") or {}
    attributes = {
        "encryption_at_rest": at_rest.get("CatalogEncryptionMode", "DISABLED"),
        "kms_key": at_rest.get("SseAwsKmsKeyId"),
        "connection_password_encryption": bool(passwords.get("ReturnConnectionPasswordEncrypted")),
        "security_configurations": security,
    }
    return Node(_catalog_id(account, region), "glue.catalog", f"Data Catalog ({region})", stage_for("glue.catalog"),
                account, region, True, attributes)


def _catalog_id(account: str, region: str) -> str:
    return f"arn:{arns.partition(region)}:glue:{region}:{account}:catalog"


def _database(database: dict[str, Any], tables: list[dict[str, Any]] | None, account: str, region: str) -> Facts:
    database_id = arns.glue_database_arn(region, account, database["Name"])
    attributes = {"location": database.get("LocationUri", ""), "description": database.get("Description", "")}
    if database.get("TargetDatabase"):
        attributes["resource_link"] = database["TargetDatabase"]
    if tables is None:
        attributes["unread"] = ["tables"]
    node = Node(database_id, "glue.database", database["Name"], stage_for("glue.database"), account, region, True,
                attributes)
    facts = Facts((node,), (Edge(database_id, _catalog_id(account, region), EdgeKind.PART_OF),))
    return facts + each_resource(tables or [], lambda table: _table(table, database["Name"], account, region),
                                 GET_TABLES, lambda table: f"{database['Name']}.{table['Name']}", region)


def _workflow(workflow: str, account: str, region: str) -> Facts:
    workflow_id = arns.glue_workflow_arn(region, account, workflow)
    return Facts((Node(workflow_id, "glue.workflow", workflow, stage_for("glue.workflow"), account, region, True,
                       {}),))


def transform_glue(record: dict[str, Any], account: str, region: str) -> Facts:
    settings, unreadable = each_answer(record.get("security_configurations", []), _security_setting,
                                       GET_SECURITY_CONFIGURATIONS, lambda configuration: configuration["Name"], region)
    security = dict(settings)
    parts: list[Facts] = [Facts(gaps=tuple(unreadable))]
    if "catalog_encryption" in record:
        parts.append(each_resource([record["catalog_encryption"]],
                                   lambda answer: Facts((_catalog(answer, security, account, region),)),
                                   GET_CATALOG_ENCRYPTION, lambda _: region, region))
    tables = record.get("tables", {})
    parts.append(each_resource(record.get("databases", []),
                               lambda database: _database(database, tables.get(database["Name"]), account, region),
                               GET_DATABASES, lambda database: database["Name"], region))
    tables_by_database = {db: listed or [] for db, listed in tables.items()}
    parts.append(each_resource(record.get("crawlers", []),
                               lambda crawler: _crawler(crawler, tables_by_database, security, account, region),
                               GET_CRAWLERS, lambda crawler: crawler["Name"], region))
    job_tags = record.get("job_tags") or {}
    parts.append(each_resource(record.get("jobs", []),
                               lambda job: _job(job, security, account, region, job_tags.get(job["Name"])),
                               GET_JOBS, lambda job: job["Name"], region))
    parts.append(each_resource(record.get("triggers", []), lambda trigger: _trigger(trigger, account, region),
                               GET_TRIGGERS, lambda trigger: trigger["Name"], region))
    parts.append(each_resource(record.get("workflows", []), lambda name: _workflow(name, account, region),
                               LIST_WORKFLOWS, str, region))
    return Facts.concat(parts)


COLLECTOR = Collector(
    service="glue", label="Glue",
    calls=(*_LISTINGS.values(), GET_TABLES, GET_CATALOG_ENCRYPTION, GET_DATABASE, GET_JOB, GET_CRAWLER, GET_TAGS),
    get=get_glue, transform=transform_glue,
    listings={"glue.database": GET_DATABASES, "glue.table": GET_DATABASES, "glue.job": GET_JOBS,
              "glue.crawler": GET_CRAWLERS},
    get_named=get_named_glue,
)
