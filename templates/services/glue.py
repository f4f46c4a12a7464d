"""Glue resources in a template → what `GetDatabases`, `GetTables`, `GetCrawlers`, `GetJobs`, `GetTags`,
`GetTriggers`, `ListWorkflows`, `GetSecurityConfigurations` and `GetDataCatalogEncryptionSettings` answer for
the deployed stack (the record `collectors.glue.get_glue` builds) → the Glue collector's transform.

CloudFormation's properties are mostly the API's own (`DatabaseInput` and `TableInput` are what `GetDatabases`
and `GetTables` give back, with the name folded to lower case as the catalog stores it); where they differ
(`S3Encryptions`, `DynamoDBTargets[].ScanAll`, `ConnectionPasswordEncryption.KmsKeyId`, JSON written as text,
YAML numbers and booleans in maps of strings) the record says it as the API does.

A table, crawler or trigger may name a database or workflow the template does not define (one of another stack,
or `!ImportValue`d): it is read in that database, which is left to the account, where a scan finds it.

The catalog's encryption settings are one per account and region, and rarely set in the stack that creates a
database. Where the template has no `AWS::Glue::DataCatalogEncryptionSettings`, they are left unread — as the
collector leaves them when `GetDataCatalogEncryptionSettings` cannot be read — rather than assumed to be AWS's
default (`DISABLED`): `glue.catalog_not_encrypted` and `glue.connection_passwords_not_encrypted` judge only a
catalog whose settings were read, so a template says nothing about a catalog it does not configure, instead of a
HIGH finding on every template that creates a database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from collectors import glue
from lineage import arn as arns
from lineage.model import EdgeKind, Facts
from templates.intrinsics import is_determined
from templates.services.common import as_text, is_true, list_of, mapping_of, text_of
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::Glue::Database", "AWS::Glue::Table", "AWS::Glue::Crawler", "AWS::Glue::Job",
                   "AWS::Glue::Trigger", "AWS::Glue::Workflow", "AWS::Glue::SecurityConfiguration",
                   "AWS::Glue::DataCatalogEncryptionSettings"})
# Properties CloudFormation takes that the listing does not give back (tags are read with `GetTags`).
_NOT_ANSWERED = frozenset({"Tags", "CatalogId", "StartOnCreation"})


def catalog_name(name: str) -> str:
    """A database or table name as the catalog stores it: folded to lower case, for Hive (as the ids of
    `lineage.arn` are); a name known only at deployment stays as written."""
    return name.lower() if is_determined(name) else name


def _json_map(value: Any) -> dict[str, str]:
    """A `format: json` property (an object, or its JSON as text) as a map of strings."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return {str(k): as_text(v) for k, v in mapping_of(value).items()}


# --- the catalog ---------------------------------------------------------------------------------


def database_record(placed: Placed) -> dict[str, Any]:
    """`GetDatabases`' entry for the database: its `DatabaseInput`, named as the catalog stores it."""
    written = mapping_of(placed.properties.get("DatabaseInput"))
    record = {key: value for key, value in written.items() if key != "Name"}
    record["Name"] = catalog_name(placed.name)
    if isinstance(record.get("Parameters"), Mapping):
        record["Parameters"] = _json_map(record["Parameters"])
    return record


def _columns(columns: Any) -> list[dict[str, Any]]:
    return [{key: (as_text(value) if key in ("Name", "Type", "Comment") else value)
             for key, value in column.items()} for column in list_of(columns) if isinstance(column, Mapping)]


def table_record(placed: Placed) -> tuple[str, dict[str, Any]]:
    """(the database, `GetTables`' entry for the table): its `TableInput` as the catalog gives it back."""
    written = mapping_of(placed.properties.get("TableInput"))
    database = catalog_name(text_of(placed.properties.get("DatabaseName")))
    record: dict[str, Any] = {key: value for key, value in written.items() if key != "Name"}
    record.update({"Name": catalog_name(placed.name), "DatabaseName": database})
    if "Parameters" in record:
        record["Parameters"] = _json_map(record["Parameters"])
    if "PartitionKeys" in record:
        record["PartitionKeys"] = _columns(record["PartitionKeys"])
    descriptor = written.get("StorageDescriptor")
    if isinstance(descriptor, Mapping):
        answered = dict(descriptor)
        answered["Columns"] = _columns(descriptor.get("Columns"))
        if "Parameters" in answered:
            answered["Parameters"] = _json_map(answered["Parameters"])
        serde = descriptor.get("SerdeInfo")
        if isinstance(serde, Mapping) and "Parameters" in serde:
            answered["SerdeInfo"] = {**serde, "Parameters": _json_map(serde["Parameters"])}
        record["StorageDescriptor"] = answered
    return database, record


def security_configuration_record(placed: Placed) -> dict[str, Any]:
    """`GetSecurityConfigurations`' entry: CloudFormation's `S3Encryptions` is the API's `S3Encryption`."""
    written = mapping_of(placed.properties.get("EncryptionConfiguration"))
    answered: dict[str, Any] = {}
    s3 = [dict(item) for item in list_of(written.get("S3Encryptions")) if isinstance(item, Mapping)]
    if s3:
        answered["S3Encryption"] = s3
    for key in ("CloudWatchEncryption", "JobBookmarksEncryption"):
        if isinstance(written.get(key), Mapping):
            answered[key] = dict(written[key])
    return {"Name": placed.name, "EncryptionConfiguration": answered}


def catalog_encryption_record(placed: Placed) -> dict[str, Any]:
    """`GetDataCatalogEncryptionSettings`' `DataCatalogEncryptionSettings`."""
    written = mapping_of(placed.properties.get("DataCatalogEncryptionSettings"))
    at_rest = mapping_of(written.get("EncryptionAtRest"))
    passwords = mapping_of(written.get("ConnectionPasswordEncryption"))
    answered: dict[str, Any] = {"EncryptionAtRest": {"CatalogEncryptionMode": at_rest.get("CatalogEncryptionMode",
                                                                                        "DISABLED")}}
    for key in ("SseAwsKmsKeyId", "CatalogEncryptionServiceRole"):
        if at_rest.get(key):
            answered["EncryptionAtRest"][key] = at_rest[key]
    answered["ConnectionPasswordEncryption"] = {
        "ReturnConnectionPasswordEncrypted": is_true(passwords.get("ReturnConnectionPasswordEncrypted"))}
    if passwords.get("KmsKeyId"):
        answered["ConnectionPasswordEncryption"]["AwsKmsKeyId"] = passwords["KmsKeyId"]
    return answered


# --- ETL ------------------------------------------------------------------------------------------


def _folded_database(value: Any) -> Any:
    return catalog_name(value) if isinstance(value, str) else value


def crawler_record(placed: Placed) -> dict[str, Any]:
    """`GetCrawlers`' entry for the crawler, as it stands once created (`READY`)."""
    properties = placed.properties
    record: dict[str, Any] = {key: value for key, value in properties.items() if key not in _NOT_ANSWERED}
    record.update({"Name": placed.name, "State": "READY"})
    if "DatabaseName" in record:
        record["DatabaseName"] = _folded_database(record["DatabaseName"])
    targets = dict(mapping_of(properties.get("Targets")))
    if "DynamoDBTargets" in targets:  # the API spells these two in lower camel case
        targets["DynamoDBTargets"] = [
            {{"ScanAll": "scanAll", "ScanRate": "scanRate"}.get(key, key): value for key, value in target.items()}
            for target in list_of(targets["DynamoDBTargets"]) if isinstance(target, Mapping)]
    if "CatalogTargets" in targets:
        targets["CatalogTargets"] = [
            {**target, "DatabaseName": _folded_database(target.get("DatabaseName", "")),
             "Tables": [_folded_database(t) for t in list_of(target.get("Tables"))]}
            for target in list_of(targets["CatalogTargets"]) if isinstance(target, Mapping)]
    record["Targets"] = targets
    expression = mapping_of(properties.get("Schedule")).get("ScheduleExpression")
    if expression:
        record["Schedule"] = {"ScheduleExpression": expression, "State": "SCHEDULED"}
    else:
        record.pop("Schedule", None)
    if isinstance(record.get("Configuration"), Mapping):  # CloudFormation takes it as text; so does the API
        record["Configuration"] = json.dumps(record["Configuration"])
    return record


def job_record(placed: Placed) -> tuple[dict[str, Any], dict[str, str]]:
    """(`GetJobs`' entry for the job, `GetTags`' answer for it)."""
    properties = placed.properties
    record: dict[str, Any] = {key: value for key, value in properties.items() if key not in _NOT_ANSWERED}
    record["Name"] = placed.name
    for key in ("DefaultArguments", "NonOverridableArguments"):
        if key in record:
            record[key] = _json_map(record[key])
    return record, _json_map(properties.get("Tags"))


def trigger_record(placed: Placed) -> dict[str, Any]:
    """`GetTriggers`' entry: a scheduled or conditional trigger started on creation is `ACTIVATED`."""
    properties = placed.properties
    record: dict[str, Any] = {key: value for key, value in properties.items() if key not in _NOT_ANSWERED}
    kind = str(properties.get("Type", ""))
    started = is_true(properties.get("StartOnCreation")) and kind in ("SCHEDULED", "CONDITIONAL")
    record.update({"Name": placed.name, "State": "ACTIVATED" if started else "CREATED"})
    record["Actions"] = [{**action, **({"Arguments": _json_map(action["Arguments"])} if "Arguments" in action
                                       else {})}
                         for action in list_of(properties.get("Actions")) if isinstance(action, Mapping)]
    return record


# --- the whole ------------------------------------------------------------------------------------


def glue_record(stack: Stack) -> tuple[dict[str, Any], set[str]]:
    """The record `get_glue` would build for the deployed stack, and the databases its tables are in that the
    template does not define."""
    of_type: dict[str, list[Placed]] = {}
    for placed in stack.placed.values():
        of_type.setdefault(placed.type, []).append(placed)
    databases = [database_record(p) for p in of_type.get("AWS::Glue::Database", [])]
    defined = {d["Name"] for d in databases}
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in defined}
    for placed in of_type.get("AWS::Glue::Table", []):
        database, table = table_record(placed)
        if not database:
            stack.warnings.append(f"Glue table {placed.logical_id}: no database named")
            continue
        tables.setdefault(database, []).append(table)
    elsewhere = set(tables) - defined
    record: dict[str, Any] = {
        "databases": databases + [{"Name": name} for name in sorted(elsewhere)],
        "tables": tables,
        "crawlers": [crawler_record(p) for p in of_type.get("AWS::Glue::Crawler", [])],
        "triggers": [trigger_record(p) for p in of_type.get("AWS::Glue::Trigger", [])],
        "workflows": [p.name for p in of_type.get("AWS::Glue::Workflow", [])],
        "security_configurations": [security_configuration_record(p)
                                    for p in of_type.get("AWS::Glue::SecurityConfiguration", [])],
    }
    jobs = [job_record(p) for p in of_type.get("AWS::Glue::Job", [])]
    record["jobs"] = [job for job, _ in jobs]
    record["job_tags"] = {job["Name"]: tags for job, tags in jobs}
    settings = of_type.get("AWS::Glue::DataCatalogEncryptionSettings", [])
    if len(settings) > 1:
        stack.warnings.append("Glue: more than one DataCatalogEncryptionSettings for one catalog; the last is read")
    if settings:
        record["catalog_encryption"] = catalog_encryption_record(settings[-1])
    return record, elsewhere


def facts(stack: Stack) -> Facts:
    record, elsewhere = glue_record(stack)
    found = glue.transform_glue(record, stack.account, stack.region)
    if not elsewhere:
        return found
    # A database the template only names was fed in for its tables' sake; it is the account's to describe.
    outside = {arns.glue_database_arn(stack.region, stack.account, name) for name in elsewhere}
    return replace(found, nodes=tuple(n for n in found.nodes if n.id not in outside),
                   edges=tuple(e for e in found.edges if not (e.source in outside and e.kind == EdgeKind.PART_OF)))
