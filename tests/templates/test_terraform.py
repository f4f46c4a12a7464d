"""Terraform plans and states (`terraform show -json`) read as templates: the same facts as the CloudFormation
that declares the same estate, values known only after apply linked through their references, modules and
`for_each`, states, and one line for what cannot be read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from textwrap import dedent
from typing import Any

import jsonschema
import pytest

from lineage.model import EdgeKind, Scan
from lineage.template_scan import read_templates, scan_templates
from templates import terraform
from templates.document import TemplateError
from templates.naming import STAND_IN_MARK, kind_of_unknown
from templates.stack import Placement
from templates.terraform import is_terraform_plan, read_terraform, terraform_kind
from tests.e2e.conftest import lineage
from tests.e2e.test_template_cli import sarif_schema
from tests.templates.reading import scanned
from viz.export import dumps, scan_document

ACCOUNT = "123456789012"
REGION = "eu-west-1"
AWS = "registry.terraform.io/hashicorp/aws"
TERRAFORM = "1.9.5"

# --- plans as `terraform show -json` writes them ------------------------------------------------------------------


def ref(*references: str) -> dict[str, Any]:
    """An expression of `configuration`: each reference with the shorter steps Terraform lists after it."""
    steps: list[str] = []
    for reference in references:
        parts = reference.split(".")
        for end in range(len(parts), 1, -1):
            step = ".".join(parts[:end])
            if step not in steps and not (parts[0] in ("var", "each", "count") and end < len(parts)):
                steps.append(step)
    return {"references": steps}


def const(value: Any) -> dict[str, Any]:
    return {"constant_value": value}


def tf(address: str, values: Mapping[str, Any], unknown: Mapping[str, Any] | None = None,
       expressions: Mapping[str, Any] | None = None, **config: Any) -> dict[str, Any]:
    """One resource instance of a plan: the values known before apply, which are known only after it, and the
    expressions of its block in `configuration` (addresses inside a module are the module's own)."""
    return {"address": address, "values": dict(values), "unknown": dict(unknown or {}),
            "expressions": dict(expressions or {}), "config": config}


def _split(address: str) -> tuple[str, str, str, str, Any]:
    """(module address, mode, type, name, index) of a resource instance address."""
    module, rest = "", address
    while rest.startswith("module."):
        name, _, rest = rest.removeprefix("module.").partition(".")
        module = f"{module}.module.{name}" if module else f"module.{name}"
    mode = "data" if rest.startswith("data.") else "managed"
    kind, _, name = rest.removeprefix("data.").partition(".")
    index = None
    if "[" in name:
        name, _, key = name.partition("[")
        index = json.loads(key.rstrip("]"))
    return module, mode, kind, name, index


def plan(resources: list[dict[str, Any]], data: list[dict[str, Any]] = (), module_calls: Mapping[str, Any] = (),
         variables: Mapping[str, Any] = (), region: Any = REGION) -> dict[str, Any]:
    """A plan document with every section Terraform 1.x writes for these resources."""
    modules: dict[str, list[dict[str, Any]]] = {}
    changes, configs = [], {}
    for resource in resources:
        module, mode, kind, name, index = _split(resource["address"])
        provider = f"registry.terraform.io/hashicorp/{kind.partition('_')[0]}"
        planned = {"address": resource["address"], "mode": mode, "type": kind, "name": name,
                   **({"index": index} if index is not None else {}), "provider_name": provider, "schema_version": 0,
                   "values": resource["values"], "sensitive_values": {}}
        modules.setdefault(module, []).append(planned)
        changes.append({"address": resource["address"], **({"module_address": module} if module else {}),
                        "mode": mode, "type": kind, "name": name, **({"index": index} if index is not None else {}),
                        "provider_name": provider, "change": {"actions": ["create"], "before": None,
                                                         "after": resource["values"],
                                                         "after_unknown": resource["unknown"],
                                                         "before_sensitive": False, "after_sensitive": {}}})
        configs.setdefault(module, {})[f"{kind}.{name}"] = {
            "address": f"{kind}.{name}", "mode": mode, "type": kind, "name": name,
            "provider_config_key": kind.partition("_")[0], "expressions": resource["expressions"],
            "schema_version": 0,
            **resource["config"]}
    root = {"resources": modules.pop("", []),
            **({"child_modules": [{"address": address, "resources": found} for address, found in modules.items()]}
               if modules else {})}
    calls = {name: {**call, "module": {**call.get("module", {}),
                                       "resources": list(configs.get(f"module.{name}", {}).values())}}
             for name, call in dict(module_calls).items()}
    region_expression = const(region) if not isinstance(region, dict) else region
    return {
        "format_version": "1.2", "terraform_version": TERRAFORM,
        "variables": {name: {"value": value} for name, value in dict(variables).items()},
        "planned_values": {"root_module": root},
        "resource_changes": changes,
        "prior_state": {"format_version": "1.0", "terraform_version": TERRAFORM, "values": {"root_module": {
            "resources": [{"address": d["address"], "mode": "data", "type": d["address"].split(".")[1],
                           "name": d["address"].split(".")[2], "provider_name": AWS, "schema_version": 0,
                           "values": d["values"], "sensitive_values": {}} for d in data]}}},
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": AWS,
                                        "expressions": {"region": region_expression}}},
            "root_module": {"resources": list(configs.get("", {}).values()),
                            **({"module_calls": calls} if calls else {})}},
        "timestamp": "2025-03-04T09:30:00Z", "applyable": True, "complete": True, "errored": False,
    }


# What the AWS provider v5 computes for every new bucket: known only after apply, given by no expression.
BUCKET_COMPUTED = dict.fromkeys((
    "acceleration_status", "acl", "arn", "bucket_domain_name", "bucket_regional_domain_name", "cors_rule", "grant",
    "hosted_zone_id", "id", "lifecycle_rule", "logging", "object_lock_configuration", "object_lock_enabled", "policy",
    "region", "replication_configuration", "request_payer", "server_side_encryption_configuration", "versioning",
    "website", "website_domain", "website_endpoint"), True)
ARN_ID = {"arn": True, "id": True}


def bucket(address: str, name: str | None, tags: Mapping[str, str] | None = None, **written: Any) -> dict[str, Any]:
    values = {"bucket": name, "bucket_prefix": None, "force_destroy": False, "tags": tags, "tags_all": tags or {},
              "timeouts": None}
    if name is None:
        values.pop("bucket")
    unknown = {**BUCKET_COMPUTED, **({"bucket": True} if name is None else {})}
    expressions = {**({"bucket": const(name)} if name else {}), **({"tags": const(tags)} if tags else {}), **written}
    return tf(address, values, unknown, expressions)


DEFINITION = {"StartAt": "Copy", "States": {"Copy": {
    "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
    "Parameters": {"Bucket": "acme-archive", "Key": "archive/orders.json",
                   "CopySource": "acme-landing/raw/orders.json"}, "End": True}}}
PATTERN = {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": ["acme-landing"]}}}

PIPELINE_RESOURCES = [
    bucket("aws_s3_bucket.landing", "acme-landing"),
    tf("aws_s3_bucket_lifecycle_configuration.landing",
       {"expected_bucket_owner": None, "timeouts": None, "rule": [{
           "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}],
           "expiration": [{"date": None, "days": 30, "expired_object_delete_marker": False}],
           "filter": [{"and": [], "object_size_greater_than": None, "object_size_less_than": None,
                       "prefix": "raw/", "tag": []}],
           "id": "expire-raw", "noncurrent_version_expiration": [], "noncurrent_version_transition": [],
           "prefix": None, "status": "Enabled",
           "transition": [{"date": None, "days": 90, "storage_class": "GLACIER"}]}]},
       {"bucket": True, "id": True, "transition_default_minimum_object_size": True},
       {"bucket": ref("aws_s3_bucket.landing.id"), "rule": [{
           "id": const("expire-raw"), "status": const("Enabled"), "filter": [{"prefix": const("raw/")}],
           "expiration": [{"days": const(30)}],
           "transition": [{"days": const(90), "storage_class": const("GLACIER")}],
           "abort_incomplete_multipart_upload": [{"days_after_initiation": const(7)}]}]}),
    tf("aws_s3_bucket_notification.landing", {"eventbridge": True, "lambda_function": [], "queue": [], "topic": []},
       {"bucket": True, "id": True},
       {"bucket": ref("aws_s3_bucket.landing.id"), "eventbridge": const(True)}),
    tf("aws_s3_bucket_public_access_block.landing",
       {"block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True,
        "restrict_public_buckets": True},
       {"bucket": True, "id": True},
       {"bucket": ref("aws_s3_bucket.landing.id"), "block_public_acls": const(True),
        "block_public_policy": const(True), "ignore_public_acls": const(True),
        "restrict_public_buckets": const(True)}),
    # A bucket whose name Terraform chooses at apply, encrypted with a key made in the same plan.
    tf("aws_s3_bucket.curated", {"bucket_prefix": "acme-curated-", "force_destroy": False,
                                 "tags": {"owner": "data-platform"}, "tags_all": {"owner": "data-platform"},
                                 "timeouts": None},
       {**BUCKET_COMPUTED, "bucket": True},
       {"bucket_prefix": const("acme-curated-"), "tags": const({"owner": "data-platform"})}),
    tf("aws_s3_bucket_server_side_encryption_configuration.curated",
       {"expected_bucket_owner": None, "rule": [{"apply_server_side_encryption_by_default": [
           {"sse_algorithm": "aws:kms"}], "bucket_key_enabled": True}]},
       {"bucket": True, "id": True,
        "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": True}]}]},
       {"bucket": ref("aws_s3_bucket.curated.id"), "rule": [{
           "apply_server_side_encryption_by_default": [{"sse_algorithm": const("aws:kms"),
                                                        "kms_master_key_id": ref("aws_kms_key.curated.arn")}],
           "bucket_key_enabled": const(True)}]}),
    tf("aws_s3_bucket_versioning.curated", {"expected_bucket_owner": None, "mfa": None,
                                            "versioning_configuration": [{"status": "Enabled"}]},
       {"bucket": True, "id": True, "versioning_configuration": [{"mfa_delete": True}]},
       {"bucket": ref("aws_s3_bucket.curated.id"), "versioning_configuration": [{"status": const("Enabled")}]}),
    tf("aws_kms_key.curated", {"bypass_policy_lockout_safety_check": False, "custom_key_store_id": None,
                               "customer_master_key_spec": "SYMMETRIC_DEFAULT", "deletion_window_in_days": None,
                               "description": "curated data", "enable_key_rotation": True, "is_enabled": True,
                               "key_usage": "ENCRYPT_DECRYPT", "tags": None, "timeouts": None},
       {**ARN_ID, "key_id": True, "multi_region": True, "policy": True, "rotation_period_in_days": True,
        "tags_all": True},
       {"description": const("curated data"), "enable_key_rotation": const(True)}),
    bucket("aws_s3_bucket.archive", "acme-archive"),
    tf("aws_iam_role.loader", {"name": "acme-loader", "path": "/", "description": None, "tags": None,
                               "assume_role_policy": json.dumps({"Version": "2012-10-17", "Statement": [{
                                   "Effect": "Allow", "Action": "sts:AssumeRole",
                                   "Principal": {"Service": "states.amazonaws.com"}}]}),
                               "force_detach_policies": False, "max_session_duration": 3600},
       {**ARN_ID, "create_date": True, "inline_policy": True, "managed_policy_arns": True, "name_prefix": True,
        "tags_all": True, "unique_id": True},
       {"name": const("acme-loader"), "assume_role_policy": {}}),
    tf("aws_cloudwatch_log_group.loader", {"name": "/aws/vendedlogs/states/acme-loader", "retention_in_days": 14,
                                           "kms_key_id": None, "log_group_class": "STANDARD", "skip_destroy": False,
                                           "tags": None},
       {**ARN_ID, "name_prefix": True, "tags_all": True},
       {"name": const("/aws/vendedlogs/states/acme-loader"), "retention_in_days": const(14)}),
    tf("aws_sfn_state_machine.loader",
       {"name": "acme-loader", "definition": json.dumps(DEFINITION, separators=(",", ":")), "type": "STANDARD",
        "publish": False, "tags": None,
        "logging_configuration": [{"include_execution_data": True, "level": "ALL"}],
        "tracing_configuration": [{"enabled": True}]},
       {**ARN_ID, "role_arn": True, "creation_date": True, "description": True, "encryption_configuration": True,
        "name_prefix": True, "revision_id": True, "state_machine_version_arn": True, "status": True,
        "tags_all": True, "version_description": True,
        "logging_configuration": [{"log_destination": True}]},
       {"name": const("acme-loader"), "role_arn": ref("aws_iam_role.loader.arn"), "definition": {},
        "logging_configuration": [{"include_execution_data": const(True), "level": const("ALL"),
                                   "log_destination": ref("aws_cloudwatch_log_group.loader.arn")}],
        "tracing_configuration": [{"enabled": const(True)}]}),
    tf("aws_cloudwatch_event_rule.on_upload",
       {"name": "acme-on-upload", "event_bus_name": "default", "event_pattern": json.dumps(PATTERN),
        "description": None, "role_arn": None, "schedule_expression": None, "state": "ENABLED", "tags": None,
        "force_destroy": False},
       {**ARN_ID, "name_prefix": True, "tags_all": True},
       {"name": const("acme-on-upload"), "event_pattern": ref("aws_s3_bucket.landing.bucket")}),
    tf("aws_cloudwatch_event_target.loader",
       {"rule": "acme-on-upload", "event_bus_name": "default", "target_id": "loader", "input": None,
        "input_path": None, "batch_target": [], "dead_letter_config": [], "ecs_target": [], "http_target": [],
        "input_transformer": [], "kinesis_target": [], "redshift_target": [], "retry_policy": [],
        "run_command_targets": [], "sagemaker_pipeline_target": [], "sqs_target": []},
       {"arn": True, "id": True, "role_arn": True},
       {"rule": ref("aws_cloudwatch_event_rule.on_upload.name"), "target_id": const("loader"),
        "arn": ref("aws_sfn_state_machine.loader.arn"), "role_arn": ref("aws_iam_role.loader.arn")}),
    tf("aws_sqs_queue.intake", {"name": "acme-intake", "content_based_deduplication": False, "delay_seconds": 0,
                                "fifo_queue": False, "kms_master_key_id": None, "max_message_size": 262144,
                                "message_retention_seconds": 345600, "receive_wait_time_seconds": 0,
                                "visibility_timeout_seconds": 60, "tags": None},
       {**ARN_ID, "url": True, "deduplication_scope": True, "fifo_throughput_limit": True,
        "kms_data_key_reuse_period_seconds": True, "name_prefix": True, "policy": True, "redrive_allow_policy": True,
        "redrive_policy": True, "sqs_managed_sse_enabled": True, "tags_all": True},
       {"name": const("acme-intake"), "visibility_timeout_seconds": const(60)}),
    tf("aws_sns_topic.alerts", {"name": "acme-alerts", "kms_master_key_id": "alias/aws/sns", "fifo_topic": False,
                                "display_name": None, "archive_policy": None, "tags": None},
       {**ARN_ID, "owner": True, "policy": True, "tags_all": True, "content_based_deduplication": True},
       {"name": const("acme-alerts"), "kms_master_key_id": const("alias/aws/sns")}),
    tf("aws_sns_topic_subscription.alerts_to_intake",
       {"protocol": "sqs", "raw_message_delivery": True, "filter_policy": None, "redrive_policy": None,
        "endpoint_auto_confirms": False, "confirmation_timeout_in_minutes": 1},
       {**ARN_ID, "endpoint": True, "topic_arn": True, "owner_id": True, "pending_confirmation": True,
        "confirmation_was_authenticated": True, "filter_policy_scope": True},
       {"protocol": const("sqs"), "raw_message_delivery": const(True),
        "topic_arn": ref("aws_sns_topic.alerts.arn"), "endpoint": ref("aws_sqs_queue.intake.arn")}),
    tf("aws_lambda_function.indexer",
       {"function_name": "acme-indexer", "handler": "index.handler", "runtime": "python3.12", "timeout": 30,
        "memory_size": 256, "package_type": "Zip", "filename": "indexer.zip", "kms_key_arn": None,
        "environment": [{"variables": {"TABLE": "acme-index"}}], "dead_letter_config": [], "vpc_config": [],
        "tags": None, "publish": False},
       {**ARN_ID, "role": True, "architectures": True, "invoke_arn": True, "last_modified": True,
        "logging_config": True, "qualified_arn": True, "source_code_hash": True, "tracing_config": True,
        "version": True, "tags_all": True},
       {"function_name": const("acme-indexer"), "handler": const("index.handler"), "runtime": const("python3.12"),
        "timeout": const(30), "memory_size": const(256), "filename": const("indexer.zip"),
        "role": ref("aws_iam_role.loader.arn"),
        "environment": [{"variables": ref("aws_dynamodb_table.index.name")}]}),
    tf("aws_lambda_event_source_mapping.intake", {"batch_size": 10, "enabled": True, "filter_criteria": [],
                                                  "destination_config": [], "starting_position": None},
       {"function_name": True, "event_source_arn": True, "function_arn": True, "id": True, "uuid": True,
        "state": True, "last_modified": True, "maximum_batching_window_in_seconds": True},
       {"function_name": ref("aws_lambda_function.indexer.arn"), "event_source_arn": ref("aws_sqs_queue.intake.arn"),
        "batch_size": const(10)}),
    tf("aws_dynamodb_table.index",
       {"name": "acme-index", "billing_mode": "PAY_PER_REQUEST", "hash_key": "pk", "range_key": None,
        "attribute": [{"name": "pk", "type": "S"}], "point_in_time_recovery": [{"enabled": True}],
        "server_side_encryption": [], "stream_enabled": None, "deletion_protection_enabled": None,
        "global_secondary_index": [], "local_secondary_index": [], "replica": [], "tags": None},
       {**ARN_ID, "stream_arn": True, "stream_label": True, "stream_view_type": True, "ttl": True,
        "read_capacity": True, "write_capacity": True, "table_class": True, "tags_all": True},
       {"name": const("acme-index"), "billing_mode": const("PAY_PER_REQUEST"), "hash_key": const("pk"),
        "attribute": [{"name": const("pk"), "type": const("S")}],
        "point_in_time_recovery": [{"enabled": const(True)}]}),
    tf("aws_kinesis_stream.clicks",
       {"name": "acme-clicks", "shard_count": 1, "retention_period": 48, "encryption_type": "KMS",
        "kms_key_id": "alias/aws/kinesis", "stream_mode_details": [{"stream_mode": "PROVISIONED"}],
        "enforce_consumer_deletion": False, "shard_level_metrics": None, "tags": None},
       {**ARN_ID, "tags_all": True},
       {"name": const("acme-clicks"), "shard_count": const(1), "retention_period": const(48),
        "encryption_type": const("KMS"), "kms_key_id": const("alias/aws/kinesis"),
        "stream_mode_details": [{"stream_mode": const("PROVISIONED")}]}),
    tf("aws_kinesis_firehose_delivery_stream.clicks",
       {"name": "acme-clicks-to-s3", "destination": "extended_s3", "server_side_encryption": [],
        "kinesis_source_configuration": [{}],
        "extended_s3_configuration": [{
            "prefix": "clicks/", "error_output_prefix": "clicks-errors/", "buffering_size": 64,
            "buffering_interval": 60, "compression_format": "GZIP", "kms_key_arn": None, "s3_backup_mode": "Disabled",
            "custom_time_zone": "UTC", "file_extension": "", "processing_configuration": [],
            "data_format_conversion_configuration": [], "dynamic_partitioning_configuration": [],
            "s3_backup_configuration": []}],
        "tags": None},
       {**ARN_ID, "version_id": True, "destination_id": True, "tags_all": True,
        "kinesis_source_configuration": [{"kinesis_stream_arn": True, "role_arn": True}],
        "extended_s3_configuration": [{"bucket_arn": True, "role_arn": True, "cloudwatch_logging_options": True}]},
       {"name": const("acme-clicks-to-s3"), "destination": const("extended_s3"),
        "kinesis_source_configuration": [{"kinesis_stream_arn": ref("aws_kinesis_stream.clicks.arn"),
                                          "role_arn": ref("aws_iam_role.loader.arn")}],
        "extended_s3_configuration": [{"bucket_arn": ref("aws_s3_bucket.landing.arn"),
                                       "role_arn": ref("aws_iam_role.loader.arn"), "prefix": const("clicks/"),
                                       "error_output_prefix": const("clicks-errors/"),
                                       "buffering_size": const(64), "buffering_interval": const(60),
                                       "compression_format": const("GZIP")}]}),
    tf("aws_glue_catalog_database.lake", {"name": "acme_lake", "description": None, "location_uri": None,
                                          "parameters": None, "tags": None, "target_database": [],
                                          "federated_database": []},
       {**ARN_ID, "catalog_id": True, "create_table_default_permission": True, "tags_all": True},
       {"name": const("acme_lake")}),
    tf("aws_glue_catalog_table.orders",
       {"name": "orders", "database_name": "acme_lake", "table_type": "EXTERNAL_TABLE", "description": None,
        "owner": None, "parameters": {"classification": "json"}, "partition_keys": [], "retention": None,
        "view_expanded_text": None, "view_original_text": None, "target_table": [], "partition_index": [],
        "open_table_format_input": [],
        "storage_descriptor": [{
            "location": "s3://acme-landing/raw/orders/",
            "input_format": "org.apache.hadoop.mapred.TextInputFormat",
            "output_format": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "compressed": None, "number_of_buckets": None, "parameters": None, "bucket_columns": None,
            "stored_as_sub_directories": None, "schema_reference": [], "skewed_info": [], "sort_columns": [],
            "columns": [{"name": "id", "type": "string", "comment": None, "parameters": None},
                        {"name": "email", "type": "string", "comment": None, "parameters": None}],
            "ser_de_info": [{"name": None, "parameters": None,
                             "serialization_library": "org.openx.data.jsonserde.JsonSerDe"}]}]},
       {**ARN_ID, "catalog_id": True},
       {"name": const("orders"), "database_name": ref("aws_glue_catalog_database.lake.name"),
        "table_type": const("EXTERNAL_TABLE"), "parameters": const({"classification": "json"}),
        "storage_descriptor": [{"location": ref("aws_s3_bucket.landing.bucket")}]}),
    tf("aws_glue_crawler.orders",
       {"name": "acme-orders", "database_name": "acme_lake", "schedule": "cron(0 2 * * ? *)",
        "classifiers": None, "configuration": None, "description": None, "security_configuration": None,
        "table_prefix": None, "tags": None, "catalog_target": [], "delta_target": [], "dynamodb_target": [],
        "hudi_target": [], "iceberg_target": [], "jdbc_target": [], "mongodb_target": [],
        "lake_formation_configuration": [], "lineage_configuration": [],
        "s3_target": [{"path": "s3://acme-landing/raw/", "exclusions": None, "connection_name": None,
                       "dlq_event_queue_arn": None, "event_queue_arn": None, "sample_size": None}],
        "schema_change_policy": [{"delete_behavior": "DEPRECATE_IN_DATABASE",
                                  "update_behavior": "UPDATE_IN_DATABASE"}]},
       {**ARN_ID, "role": True, "recrawl_policy": True, "tags_all": True},
       {"name": const("acme-orders"), "database_name": ref("aws_glue_catalog_database.lake.name"),
        "role": ref("aws_iam_role.loader.arn"), "schedule": const("cron(0 2 * * ? *)"),
        "s3_target": [{"path": ref("aws_s3_bucket.landing.bucket")}]}),
    tf("aws_glue_job.etl",
       {"name": "acme-etl", "glue_version": "4.0", "worker_type": "G.1X", "number_of_workers": 2,
        "max_retries": None, "timeout": 2880, "security_configuration": None, "connections": None,
        "default_arguments": {"--output": "s3://acme-archive/out/"}, "non_overridable_arguments": None,
        "description": None, "execution_class": None, "tags": None,
        "command": [{"name": "glueetl", "script_location": "s3://acme-archive/scripts/etl.py",
                     "python_version": "3", "runtime": None}]},
       {**ARN_ID, "role_arn": True, "execution_property": True, "max_capacity": True, "notification_property": True,
        "tags_all": True},
       {"name": const("acme-etl"), "role_arn": ref("aws_iam_role.loader.arn"), "glue_version": const("4.0"),
        "worker_type": const("G.1X"), "number_of_workers": const(2),
        "default_arguments": const({"--output": "s3://acme-archive/out/"}),
        "command": [{"name": const("glueetl"), "script_location": const("s3://acme-archive/scripts/etl.py"),
                     "python_version": const("3")}]}),
    tf("aws_glue_trigger.nightly",
       {"name": "acme-nightly", "type": "SCHEDULED", "schedule": "cron(0 3 * * ? *)", "enabled": True,
        "description": None, "predicate": [], "start_on_creation": None, "tags": None, "workflow_name": None,
        "event_batching_condition": [],
        "actions": [{"job_name": "acme-etl", "arguments": None, "crawler_name": None,
                     "notification_property": [], "security_configuration": None}]},
       {**ARN_ID, "state": True, "tags_all": True, "actions": [{"timeout": True}]},
       {"name": const("acme-nightly"), "type": const("SCHEDULED"), "schedule": const("cron(0 3 * * ? *)"),
        "actions": [{"job_name": ref("aws_glue_job.etl.name")}]}),
    tf("aws_athena_workgroup.analysts",
       {"name": "acme-analysts", "state": "ENABLED", "description": None, "force_destroy": False, "tags": None,
        "configuration": [{
            "enforce_workgroup_configuration": True, "publish_cloudwatch_metrics_enabled": True,
            "bytes_scanned_cutoff_per_query": None, "requester_pays_enabled": False, "execution_role": None,
            "engine_version": [], "identity_center_configuration": [],
            "result_configuration": [{"output_location": "s3://acme-archive/athena/",
                                      "expected_bucket_owner": None, "acl_configuration": [],
                                      "encryption_configuration": [{"encryption_option": "SSE_KMS"}]}]}]},
       {**ARN_ID, "tags_all": True, "configuration": [{"result_configuration": [{
           "encryption_configuration": [{"kms_key_arn": True}]}]}]},
       {"name": const("acme-analysts"), "configuration": [{"result_configuration": [{
           "output_location": ref("aws_s3_bucket.archive.bucket"),
           "encryption_configuration": [{"encryption_option": const("SSE_KMS"),
                                         "kms_key_arn": ref("aws_kms_key.curated.arn")}]}]}]}),
    tf("aws_vpc.main", {"cidr_block": "10.0.0.0/16", "enable_dns_support": True, "instance_tenancy": "default",
                        "tags": None},
       {**ARN_ID, "default_security_group_id": True, "main_route_table_id": True, "owner_id": True,
        "tags_all": True},
       {"cidr_block": const("10.0.0.0/16")}),
    tf("random_id.suffix", {"byte_length": 4, "keepers": None, "prefix": None},
       {"b64_std": True, "b64_url": True, "dec": True, "hex": True, "id": True}, {"byte_length": const(4)}),
]
CALLER = [{"address": "data.aws_caller_identity.current",
           "values": {"account_id": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "id": ACCOUNT,
                      "user_id": "AIDAEXAMPLE"}}]

# The same estate as CloudFormation writes it.
PIPELINE_CFN = dedent("""\
    Resources:
      Landing:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: acme-landing
          LifecycleConfiguration:
            Rules:
              - Id: expire-raw
                Status: Enabled
                Prefix: raw/
                ExpirationInDays: 30
                Transitions: [{TransitionInDays: 90, StorageClass: GLACIER}]
                AbortIncompleteMultipartUpload: {DaysAfterInitiation: 7}
          NotificationConfiguration:
            EventBridgeConfiguration: {EventBridgeEnabled: true}
          PublicAccessBlockConfiguration:
            BlockPublicAcls: true
            BlockPublicPolicy: true
            IgnorePublicAcls: true
            RestrictPublicBuckets: true
      Curated:
        Type: AWS::S3::Bucket
        Properties:
          Tags: [{Key: owner, Value: data-platform}]
          BucketEncryption:
            ServerSideEncryptionConfiguration:
              - ServerSideEncryptionByDefault: {SSEAlgorithm: "aws:kms", KMSMasterKeyID: !GetAtt CuratedKey.Arn}
                BucketKeyEnabled: true
          VersioningConfiguration: {Status: Enabled}
      CuratedKey:
        Type: AWS::KMS::Key
        Properties:
          Description: curated data
          EnableKeyRotation: true
      Archive:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: acme-archive
      LoaderRole:
        Type: AWS::IAM::Role
        Properties:
          RoleName: acme-loader
          Path: /
          AssumeRolePolicyDocument:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: "sts:AssumeRole", Principal: {Service: states.amazonaws.com}}]
      LoaderLogs:
        Type: AWS::Logs::LogGroup
        Properties:
          LogGroupName: /aws/vendedlogs/states/acme-loader
          RetentionInDays: 14
      Loader:
        Type: AWS::StepFunctions::StateMachine
        Properties:
          StateMachineName: acme-loader
          StateMachineType: STANDARD
          RoleArn: !GetAtt LoaderRole.Arn
          DefinitionString: '%(definition)s'
          LoggingConfiguration:
            Level: ALL
            IncludeExecutionData: true
            Destinations: [{CloudWatchLogsLogGroup: {LogGroupArn: !GetAtt LoaderLogs.Arn}}]
          TracingConfiguration: {Enabled: true}
      OnUpload:
        Type: AWS::Events::Rule
        Properties:
          Name: acme-on-upload
          State: ENABLED
          EventPattern: '%(pattern)s'
          Targets:
            - Id: loader
              Arn: !Ref Loader
              RoleArn: !GetAtt LoaderRole.Arn
      Intake:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: acme-intake
          VisibilityTimeout: 60
      Alerts:
        Type: AWS::SNS::Topic
        Properties:
          TopicName: acme-alerts
          KmsMasterKeyId: alias/aws/sns
      AlertsToIntake:
        Type: AWS::SNS::Subscription
        Properties:
          Protocol: sqs
          RawMessageDelivery: true
          TopicArn: !Ref Alerts
          Endpoint: !GetAtt Intake.Arn
      Indexer:
        Type: AWS::Lambda::Function
        Properties:
          FunctionName: acme-indexer
          Handler: index.handler
          Runtime: python3.12
          Timeout: 30
          MemorySize: 256
          PackageType: Zip
          Role: !GetAtt LoaderRole.Arn
          Environment:
            Variables: {TABLE: !Ref Index}
      IntakeMapping:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          FunctionName: !GetAtt Indexer.Arn
          EventSourceArn: !GetAtt Intake.Arn
          BatchSize: 10
          Enabled: true
      Index:
        Type: AWS::DynamoDB::Table
        Properties:
          TableName: acme-index
          BillingMode: PAY_PER_REQUEST
          KeySchema: [{AttributeName: pk, KeyType: HASH}]
          AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
          PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      Clicks:
        Type: AWS::Kinesis::Stream
        Properties:
          Name: acme-clicks
          ShardCount: 1
          RetentionPeriodHours: 48
          StreamEncryption: {EncryptionType: KMS, KeyId: alias/aws/kinesis}
          StreamModeDetails: {StreamMode: PROVISIONED}
      ClicksToS3:
        Type: AWS::KinesisFirehose::DeliveryStream
        Properties:
          DeliveryStreamName: acme-clicks-to-s3
          DeliveryStreamType: KinesisStreamAsSource
          KinesisStreamSourceConfiguration:
            KinesisStreamARN: !GetAtt Clicks.Arn
            RoleARN: !GetAtt LoaderRole.Arn
          ExtendedS3DestinationConfiguration:
            BucketARN: !GetAtt Landing.Arn
            RoleARN: !GetAtt LoaderRole.Arn
            Prefix: clicks/
            ErrorOutputPrefix: clicks-errors/
            BufferingHints: {SizeInMBs: 64, IntervalInSeconds: 60}
            CompressionFormat: GZIP
            S3BackupMode: Disabled
            CustomTimeZone: UTC
      Lake:
        Type: AWS::Glue::Database
        Properties:
          CatalogId: !Ref AWS::AccountId
          DatabaseInput: {Name: acme_lake}
      Orders:
        Type: AWS::Glue::Table
        Properties:
          CatalogId: !Ref AWS::AccountId
          DatabaseName: !Ref Lake
          TableInput:
            Name: orders
            TableType: EXTERNAL_TABLE
            Parameters: {classification: json}
            StorageDescriptor:
              Location: s3://acme-landing/raw/orders/
              InputFormat: org.apache.hadoop.mapred.TextInputFormat
              OutputFormat: org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat
              Columns: [{Name: id, Type: string}, {Name: email, Type: string}]
              SerdeInfo: {SerializationLibrary: org.openx.data.jsonserde.JsonSerDe}
      OrdersCrawler:
        Type: AWS::Glue::Crawler
        Properties:
          Name: acme-orders
          DatabaseName: !Ref Lake
          Role: !GetAtt LoaderRole.Arn
          Schedule: {ScheduleExpression: "cron(0 2 * * ? *)"}
          Targets: {S3Targets: [{Path: "s3://acme-landing/raw/"}]}
          SchemaChangePolicy: {DeleteBehavior: DEPRECATE_IN_DATABASE, UpdateBehavior: UPDATE_IN_DATABASE}
      Etl:
        Type: AWS::Glue::Job
        Properties:
          Name: acme-etl
          Role: !GetAtt LoaderRole.Arn
          GlueVersion: "4.0"
          WorkerType: G.1X
          NumberOfWorkers: 2
          Timeout: 2880
          DefaultArguments: {"--output": "s3://acme-archive/out/"}
          Command: {Name: glueetl, ScriptLocation: "s3://acme-archive/scripts/etl.py", PythonVersion: "3"}
      Nightly:
        Type: AWS::Glue::Trigger
        Properties:
          Name: acme-nightly
          Type: SCHEDULED
          Schedule: cron(0 3 * * ? *)
          StartOnCreation: true
          Actions: [{JobName: !Ref Etl}]
      Analysts:
        Type: AWS::Athena::WorkGroup
        Properties:
          Name: acme-analysts
          State: ENABLED
          WorkGroupConfiguration:
            EnforceWorkGroupConfiguration: true
            PublishCloudWatchMetricsEnabled: true
            RequesterPaysEnabled: false
            ResultConfiguration:
              OutputLocation: s3://acme-archive/athena/
              EncryptionConfiguration: {EncryptionOption: SSE_KMS, KmsKey: !GetAtt CuratedKey.Arn}
      Network:
        Type: AWS::EC2::VPC
        Properties:
          CidrBlock: 10.0.0.0/16
    """) % {"definition": json.dumps(DEFINITION, separators=(",", ":")), "pattern": json.dumps(PATTERN)}

# Terraform address → the CloudFormation logical id of the same resource, where its name is chosen at deployment.
SAME_RESOURCE = {"aws_s3_bucket.curated": "Curated", "aws_kms_key.curated": "CuratedKey", "aws_vpc.main": "Network",
                 "aws_lambda_event_source_mapping.intake": "IntakeMapping",
                 "aws_sns_topic_subscription.alerts_to_intake": "AlertsToIntake"}


def write(folder: Path, name: str, document: Mapping[str, Any], indent: int | None = 2) -> Path:
    path = folder / name
    path.write_text(json.dumps(document, indent=indent))
    return path


def facts_of(scan: Scan, template: str, same: Mapping[str, str]) -> tuple[dict[str, Any], set[Any], set[Any]]:
    """(node id → (kind, attributes without where and as what they were written)), edges, findings — with the
    `cfn:` ids of the
    resources whose names deployment chooses written as the CloudFormation logical id of the same resource."""
    def shown(value: Any) -> Any:
        text = json.dumps(value, sort_keys=True)
        for address, logical_id in same.items():
            text = text.replace(json.dumps(f"cfn:{template}#{address}")[1:-1], f"cfn:ESTATE#{logical_id}")
        return json.loads(text.replace(f"cfn:{template}#", "cfn:ESTATE#"))

    nodes = {shown(n.id): shown([n.kind, {k: v for k, v in n.attributes.items()
                                          if k not in ("template", "resource_type")}])
             for n in scan.nodes}
    edges = {tuple(shown([e.source, e.target, e.kind.value])) for e in scan.edges}
    findings = {tuple(shown([f.rule, f.node])) for f in scan.findings}
    return nodes, edges, findings


@pytest.fixture
def pipeline(tmp_path: Path) -> tuple[Path, Path]:
    terraform = write(tmp_path, "plan.json", plan(PIPELINE_RESOURCES, CALLER))
    cloudformation = tmp_path / "pipeline.yaml"
    cloudformation.write_text(PIPELINE_CFN)
    return terraform, cloudformation


def test_a_plan_gives_the_facts_the_same_cloudformation_gives(pipeline: tuple[Path, Path]) -> None:
    terraform, cloudformation = pipeline
    from_plan = scanned(terraform)  # account and region: the plan's own
    from_template = scanned(cloudformation, placement=Placement(ACCOUNT, REGION))
    plan_nodes, plan_edges, plan_findings = facts_of(from_plan, "plan", SAME_RESOURCE)
    cfn_nodes, cfn_edges, cfn_findings = facts_of(from_template, "pipeline", {})
    assert set(plan_nodes) == set(cfn_nodes)
    assert {i: n for i, n in plan_nodes.items() if n != cfn_nodes[i]} == {}
    assert plan_edges == cfn_edges
    assert plan_findings == cfn_findings
    assert len(plan_edges) > 20  # the comparison stands on flows; `test_the_flows_of_the_plan_are_there`
    curated = plan_nodes["cfn:ESTATE#Curated"][1]
    assert curated["encryption"]["kms_key"] == "cfn:ESTATE#CuratedKey"  # the key made in the same plan
    assert curated["versioning"] == "Enabled"
    assert plan_nodes["arn:aws:s3:::acme-landing"][1]["lifecycle_rules"][0]["expiration_days"] == 30
    assert plan_nodes[f"arn:aws:sqs:{REGION}:{ACCOUNT}:acme-intake"][1]["aws_defaults"] == ["encryption", "retention"]
    assert not from_plan.coverage_gaps


def test_the_flows_of_the_plan_are_there(pipeline: tuple[Path, Path]) -> None:
    edges = {(e.source, e.target, e.kind) for e in scanned(pipeline[0]).edges}
    landing, archive = "arn:aws:s3:::acme-landing", "arn:aws:s3:::acme-archive"
    loader = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:acme-loader"
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/acme-on-upload"
    assert (rule, loader, EdgeKind.TRIGGERS) in edges  # the target, folded into its rule
    assert (landing, rule, EdgeKind.NOTIFIES) in edges
    assert (f"{landing}/raw", loader, EdgeKind.READS) in edges
    assert (loader, f"{archive}/archive", EdgeKind.WRITES) in edges
    # Values known only after apply, linked through their references: the queue's ARN, the state machine's.
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:acme-intake"
    assert any(s == f"arn:aws:sns:{REGION}:{ACCOUNT}:acme-alerts" and t == queue for s, t, _ in edges)
    assert any(s == queue and t == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:acme-indexer" for s, t, _ in edges)
    assert any(t.startswith(f"{landing}/clicks") for s, t, _ in edges
               if s == f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/acme-clicks-to-s3")


def test_nodes_point_at_the_plan_file_and_the_line_of_the_address(pipeline: tuple[Path, Path]) -> None:
    terraform = pipeline[0]
    scan = scanned(terraform)
    landing = next(n for n in scan.nodes if n.id == "arn:aws:s3:::acme-landing")
    lines = terraform.read_text().splitlines()
    source = landing.attributes["template"]
    assert source["file"] == str(terraform) and source["format"] == "terraform"
    assert source["logical_id"] == "aws_s3_bucket.landing"
    assert lines[source["line"] - 1].strip() == '"address": "aws_s3_bucket.landing",'
    curated = next(n for n in scan.nodes if n.id == "cfn:plan#aws_s3_bucket.curated")
    assert curated.attributes["template"]["name_chosen_at_deployment"] is True
    assert STAND_IN_MARK not in dumps(scan_document(scan))
    # A resource of a type no reader knows is a node; one of a provider that makes nothing in AWS is not.
    vpc = next(n for n in scan.nodes if n.id == "cfn:plan#aws_vpc.main")
    assert vpc.kind == "ec2.vpc" and vpc.attributes["resource_type"] == "Terraform::aws_vpc"
    assert not [n for n in scan.nodes if "random_id" in n.id]


def test_one_line_json_as_terraform_writes_it_points_at_line_one(tmp_path: Path) -> None:
    path = write(tmp_path, "plan.json", plan(PIPELINE_RESOURCES[:1], CALLER), indent=None)
    (template,) = read_templates([path])
    assert template.kind == "terraform" and template.account == ACCOUNT and template.region == REGION
    assert [r.line for r in template.resources] == [1]


# --- modules, for_each, references through them ---------------------------------------------------------------------

LAKE_RESOURCES = [
    *[tf(f'module.lake.aws_s3_bucket.raw["{key}"]', {"bucket_prefix": f"acme-{key}-", "force_destroy": False,
                                                     "tags": None, "tags_all": {}, "timeouts": None},
         {**BUCKET_COMPUTED, "bucket": True}, {"bucket_prefix": ref("each.key")},
         for_each_expression=ref("var.datasets")) for key in ("events", "orders")],
    *[tf(f'module.lake.aws_s3_bucket_versioning.raw["{key}"]',
         {"expected_bucket_owner": None, "mfa": None, "versioning_configuration": [{"status": "Enabled"}]},
         {"bucket": True, "id": True, "versioning_configuration": [{"mfa_delete": True}]},
         {"bucket": {"references": ["aws_s3_bucket.raw", "each.key"]},
          "versioning_configuration": [{"status": const("Enabled")}]},
         for_each_expression=ref("aws_s3_bucket.raw")) for key in ("events", "orders")],
    tf("module.lake.aws_sqs_queue.inbox", {"name": "acme-lake-inbox", "message_retention_seconds": 345600},
       {**ARN_ID, "url": True, "sqs_managed_sse_enabled": True}, {"name": const("acme-lake-inbox")}),
    tf("module.lake.aws_sns_topic_subscription.alerts", {"protocol": "sqs", "raw_message_delivery": False},
       {**ARN_ID, "endpoint": True, "topic_arn": True},
       {"protocol": const("sqs"), "topic_arn": ref("var.alerts_topic_arn"),
        "endpoint": ref("aws_sqs_queue.inbox.arn")}),
    tf("aws_sns_topic.alerts", {"name": "acme-alerts", "kms_master_key_id": None, "fifo_topic": False},
       {**ARN_ID, "tags_all": True}, {"name": const("acme-alerts")}),
    tf("aws_sqs_queue.intake", {"name": "acme-intake", "message_retention_seconds": 345600},
       {**ARN_ID, "url": True, "sqs_managed_sse_enabled": True}, {"name": const("acme-intake")}),
    # The root configures a bucket of the module, named through the module's output.
    tf("aws_s3_bucket_notification.events", {"eventbridge": False, "lambda_function": [], "topic": [],
                                             "queue": [{"events": ["s3:ObjectCreated:*"], "filter_prefix": "in/",
                                                        "filter_suffix": None}]},
       {"bucket": True, "id": True, "queue": [{"id": True, "queue_arn": True}]},
       {"bucket": ref("module.lake.events_bucket"),
        "queue": [{"events": const(["s3:ObjectCreated:*"]), "filter_prefix": const("in/"),
                   "queue_arn": ref("aws_sqs_queue.intake.arn")}]}),
]
LAKE_CALLS = {"lake": {"source": "./modules/lake",
                       "expressions": {"datasets": const(["events", "orders"]),
                                       "alerts_topic_arn": ref("aws_sns_topic.alerts.arn")},
                       "module": {"variables": {"datasets": {}, "alerts_topic_arn": {}},
                                  "outputs": {"events_bucket": {"expression": {"references": [
                                      'aws_s3_bucket.raw["events"].id', 'aws_s3_bucket.raw["events"]',
                                      "aws_s3_bucket.raw"]}}}}}}


def test_modules_and_for_each_keep_their_addresses_and_link_through_variables_and_outputs(tmp_path: Path) -> None:
    path = write(tmp_path, "lake.json", plan(LAKE_RESOURCES, CALLER, LAKE_CALLS))
    scan = scanned(path)
    nodes = {n.id: n for n in scan.nodes}
    events, orders = (f'cfn:lake#module.lake.aws_s3_bucket.raw["{key}"]' for key in ("events", "orders"))
    assert nodes[events].kind == nodes[orders].kind == "s3.bucket"
    assert nodes[events].attributes["template"]["logical_id"] == 'module.lake.aws_s3_bucket.raw["events"]'
    # Each versioning resource, keyed as its bucket (`aws_s3_bucket.raw[each.key]`), folded into that bucket.
    assert nodes[events].attributes["versioning"] == nodes[orders].attributes["versioning"] == "Enabled"
    edges = {(e.source, e.target, e.kind) for e in scan.edges}
    intake = f"arn:aws:sqs:{REGION}:{ACCOUNT}:acme-intake"
    # The root's notification reaches the module's bucket through `module.lake.events_bucket`.
    assert (f"{events}/in", intake, EdgeKind.NOTIFIES) in edges
    assert not any(s.startswith(orders) and t == intake for s, t, _ in edges)
    # The module's subscription names the root's topic through `var.alerts_topic_arn`.
    assert (f"arn:aws:sns:{REGION}:{ACCOUNT}:acme-alerts", f"arn:aws:sqs:{REGION}:{ACCOUNT}:acme-lake-inbox",
            EdgeKind.ROUTES) in edges
    assert STAND_IN_MARK not in dumps(scan_document(scan))
    assert not scan.coverage_gaps


def test_each_value_of_a_for_each_over_resources_is_the_instance_of_the_same_key(tmp_path: Path) -> None:
    resources = [
        *[bucket(f'aws_s3_bucket.raw["{key}"]', f"acme-{key}") for key in ("a", "b")],
        *[tf(f'aws_s3_bucket_versioning.raw["{key}"]', {"versioning_configuration": [{"status": "Enabled"}]},
             {"bucket": True, "id": True}, {"bucket": ref("each.value.id"),
                                            "versioning_configuration": [{"status": const("Enabled")}]},
             for_each_expression=ref("aws_s3_bucket.raw")) for key in ("a",)],
    ]
    nodes = {n.id: n for n in scanned(write(tmp_path, "plan.json", plan(resources))).nodes}
    assert nodes["arn:aws:s3:::acme-a"].attributes["versioning"] == "Enabled"
    assert nodes["arn:aws:s3:::acme-b"].attributes.get("versioning") != "Enabled"


def test_a_value_only_apply_knows_is_never_guessed(tmp_path: Path) -> None:
    """A path built on a name Terraform chooses keeps its reference and makes no flow; a target that is one of two
    resources is a place known only at apply, its references as the evidence; a definition waiting for apply is
    said, not read."""
    resources = [
        tf("aws_s3_bucket.scratch", {"bucket_prefix": "scratch-"}, {**BUCKET_COMPUTED, "bucket": True},
           {"bucket_prefix": const("scratch-")}),
        tf("aws_glue_crawler.scratch", {"name": "scratch", "database_name": "scratch", "role": "crawler",
                                        "s3_target": [{"exclusions": None}]},
           {**ARN_ID, "s3_target": [{"path": True}]},
           {"name": const("scratch"), "s3_target": [{"path": ref("aws_s3_bucket.scratch.bucket")}]}),
        tf("aws_cloudwatch_event_rule.nightly", {"name": "nightly", "schedule_expression": "rate(1 day)",
                                                 "event_bus_name": "default"}, ARN_ID, {"name": const("nightly")}),
        tf("aws_cloudwatch_event_target.nightly", {"rule": "nightly", "target_id": "run"}, {"arn": True, "id": True},
           {"rule": ref("aws_cloudwatch_event_rule.nightly.name"),
            "arn": ref("var.blue", "aws_sfn_state_machine.blue.arn", "aws_sfn_state_machine.green.arn")}),
        tf("aws_sfn_state_machine.later", {"name": "later", "role_arn": f"arn:aws:iam::{ACCOUNT}:role/x"},
           {**ARN_ID, "definition": True}, {"name": const("later"),
                                            "definition": ref("aws_lambda_function.worker.arn")}),
    ]
    path = write(tmp_path, "plan.json", plan(resources, CALLER))
    (template,) = read_templates([path])
    crawler = next(r for r in template.resources if r.logical_id == "aws_glue_crawler.scratch")
    assert crawler.properties["Targets"]["S3Targets"] == [{"Path": "${aws_s3_bucket.scratch.bucket}"}]
    assert any("later" in w and "known only after apply" in w and "aws_lambda_function.worker.arn" in w
               for w in template.warnings)
    scan = scan_templates([template]).scan
    assert not [e for e in scan.edges if "aws_s3_bucket.scratch" in e.source + e.target]
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/nightly"
    (dynamic,) = [e for e in scan.edges if e.source == rule]
    assert dynamic.target == "dynamic:" + rule + "#Targets[0].Arn"
    assert dynamic.evidence[-1].dynamic and "aws_sfn_state_machine.green.arn" in dynamic.evidence[-1].excerpt


def test_a_bucket_policy_waiting_for_apply_is_rebuilt_from_its_policy_document(tmp_path: Path) -> None:
    statement = {"sid": "TlsOnly", "effect": "Deny", "actions": ["s3:*"], "not_actions": None,
                 "not_resources": None, "not_principals": [],
                 "principals": [{"type": "*", "identifiers": ["*"]}],
                 "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]}
    resources = [
        bucket("aws_s3_bucket.landing", "acme-landing"),
        tf("aws_s3_bucket_policy.landing", {}, {"bucket": True, "id": True, "policy": True},
           {"bucket": ref("aws_s3_bucket.landing.id"), "policy": ref("data.aws_iam_policy_document.tls.json")}),
    ]
    document = plan(resources, CALLER)
    document["resource_changes"].append({
        "address": "data.aws_iam_policy_document.tls", "mode": "data", "type": "aws_iam_policy_document",
        "name": "tls", "provider_name": AWS, "action_reason": "read_because_config_unknown",
        "change": {"actions": ["read"], "before": None,
                   "after": {"override_policy_documents": None, "source_policy_documents": None, "version": None,
                             "statement": [statement]},
                   "after_unknown": {"id": True, "json": True, "minified_json": True,
                                     "statement": [{"resources": True}]}}})
    document["configuration"]["root_module"]["resources"].append({
        "address": "data.aws_iam_policy_document.tls", "mode": "data", "type": "aws_iam_policy_document",
        "name": "tls", "provider_config_key": "aws", "schema_version": 0, "expressions": {"statement": [{
            "resources": ref("aws_s3_bucket.landing.arn"), "effect": const("Deny")}]}})
    scan = scanned(write(tmp_path, "plan.json", document))
    landing = next(n for n in scan.nodes if n.id == "arn:aws:s3:::acme-landing")
    assert landing.attributes["policy"]["tls_only"] is True
    assert "s3.no_tls_only_policy" not in {f.rule for f in scan.findings if f.node == landing.id}


# --- states -------------------------------------------------------------------------------------------------------

KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0d8f9c1e-4b7a-4c2e-9a51-6f3e2b1c7d90"
STATE = {
    "format_version": "1.0", "terraform_version": TERRAFORM,
    "values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.legacy", "mode": "managed", "type": "aws_s3_bucket", "name": "legacy",
         "provider_name": AWS, "schema_version": 0, "sensitive_values": {}, "values": {
             "arn": "arn:aws:s3:::acme-legacy", "bucket": "acme-legacy", "id": "acme-legacy", "region": REGION,
             "tags": {"owner": "finance"}, "tags_all": {"owner": "finance"}, "policy": "",
             # AWS provider v3 configures a bucket inline.
             "lifecycle_rule": [{"id": "expire", "enabled": True, "prefix": "exports/", "tags": {},
                                 "abort_incomplete_multipart_upload_days": 0,
                                 "expiration": [{"days": 365, "date": "", "expired_object_delete_marker": False}],
                                 "noncurrent_version_expiration": [], "noncurrent_version_transition": [],
                                 "transition": [{"days": 30, "date": "", "storage_class": "STANDARD_IA"}]}],
             "server_side_encryption_configuration": [{"rule": [{"bucket_key_enabled": False,
                                                                 "apply_server_side_encryption_by_default": [{
                                                                     "sse_algorithm": "aws:kms",
                                                                     "kms_master_key_id": KEY_ARN}]}]}],
             "versioning": [{"enabled": True, "mfa_delete": False}],
             "replication_configuration": []}},
        {"address": "aws_kms_key.legacy", "mode": "managed", "type": "aws_kms_key", "name": "legacy",
         "provider_name": AWS, "schema_version": 0, "sensitive_values": {}, "values": {
             "arn": KEY_ARN, "key_id": KEY_ARN.rpartition("/")[2], "id": KEY_ARN.rpartition("/")[2],
             "description": "legacy exports", "enable_key_rotation": False, "is_enabled": True,
             "key_usage": "ENCRYPT_DECRYPT", "customer_master_key_spec": "SYMMETRIC_DEFAULT",
             "multi_region": False}},
        {"address": "aws_cloudwatch_log_group.app", "mode": "managed", "type": "aws_cloudwatch_log_group",
         "name": "app", "provider_name": AWS, "schema_version": 0, "sensitive_values": {}, "values": {
             "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/acme/app", "id": "/acme/app", "name": "/acme/app",
             "retention_in_days": 0, "kms_key_id": "", "log_group_class": "STANDARD"}},
        {"address": "data.aws_region.current", "mode": "data", "type": "aws_region", "name": "current",
         "provider_name": AWS, "schema_version": 0, "sensitive_values": {}, "values": {
             "name": REGION, "id": REGION, "description": "Europe (Ireland)"}},
    ]}},
}


def test_a_state_is_read_with_every_value_known(tmp_path: Path) -> None:
    path = write(tmp_path, "terraform.tfstate.json", STATE)
    (template,) = read_templates([path])
    assert (template.account, template.region) == (ACCOUNT, REGION)  # from the state's own ARNs and data source
    scan = scan_templates([template]).scan
    nodes = {n.id: n for n in scan.nodes}
    legacy = nodes["arn:aws:s3:::acme-legacy"]
    assert legacy.attributes["versioning"] == "Enabled"
    assert legacy.attributes["lifecycle_rules"][0]["expiration_days"] == 365
    assert legacy.attributes["tags"] == {"owner": "finance"}
    # The key's ARN in the bucket's encryption is the key the state holds: the same node.
    assert legacy.attributes["encryption"]["kms_key"] == "cfn:terraform.tfstate#aws_kms_key.legacy"
    assert nodes["cfn:terraform.tfstate#aws_kms_key.legacy"].kind == "kms.key"
    group = nodes[f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/acme/app"]
    assert "retention" in group.attributes["aws_defaults"]  # 0 days: kept for ever, as AWS keeps it by default
    assert "kms.key_rotation_off" in {f.rule for f in scan.findings}


# --- what cannot be read ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("document", "said"), [
    ({"format_version": "1.2", "terraform_version": TERRAFORM,
      "planned_values": {"root_module": {"resources": "aws_s3_bucket.raw"}}}, "not a Terraform plan this reader"),
    ({"format_version": "1.2", "terraform_version": TERRAFORM, "planned_values": ["root_module"]},
     "is not a Terraform module"),
    ({"format_version": "2.0", "terraform_version": "2.0.0", "planned_values": {"root_module": {}}},
     "Terraform JSON format 2.0; this reader knows 1.x"),
    ({"version": 4, "terraform_version": TERRAFORM, "serial": 3, "lineage": "5c1e", "outputs": {}, "resources": []},
     "a Terraform state file as Terraform stores it"),
])
def test_a_plan_that_cannot_be_read_is_one_line_naming_it(tmp_path: Path, document: Any, said: str) -> None:
    path = write(tmp_path, "plan.json", document)
    with pytest.raises(TemplateError) as raised:
        read_templates([path])
    assert str(raised.value).startswith(f"{path}: ")
    assert said in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_broken_resource_costs_only_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreadable(resource: Any) -> dict[str, Any]:
        raise TypeError("'NoneType' object is not subscriptable")

    monkeypatch.setitem(terraform._TRANSLATIONS, "aws_sqs_queue", ("AWS::SQS::Queue", unreadable))
    document = plan([bucket("aws_s3_bucket.landing", "acme-landing"),
                     tf("aws_sqs_queue.odd", {"name": "odd"}, ARN_ID, {"name": const("odd")})])
    document["planned_values"]["root_module"]["resources"].append({"mode": "managed", "values": {}})
    scan = scanned(write(tmp_path, "plan.json", document))
    assert "arn:aws:s3:::acme-landing" in {n.id for n in scan.nodes}
    assert not [n for n in scan.nodes if "odd" in n.id]
    errors = [g.error for g in scan.coverage_gaps]
    assert any(e.startswith("a resource without an address or a type") for e in errors)
    assert "aws_sqs_queue.odd: values of a shape that cannot be read (TypeError: 'NoneType' object is not " \
           "subscriptable); left out" in errors


def test_only_terraform_json_is_read_as_terraform() -> None:
    assert is_terraform_plan({"format_version": "1.2", "planned_values": {}})
    assert is_terraform_plan({"format_version": "1.0", "terraform_version": TERRAFORM, "values": {}})
    assert not is_terraform_plan({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}})
    template = read_terraform(Path("empty.json"), {"format_version": "1.0", "terraform_version": TERRAFORM})
    assert template.resources == () and template.kind == "terraform"


@pytest.mark.parametrize(("resource_type", "kind"), [
    ("aws_vpc", "ec2.vpc"), ("aws_ecs_task_definition", "ecs.task_definition"), ("aws_sfn_activity", "states.activity"),
    ("aws_lambda_permission", "lambda.permission"), ("aws_batch_job_queue", "batch.job_queue"),
    ("aws_vpc_endpoint", "ec2.vpc_endpoint"), ("aws_cloudwatch_metric_alarm", "cloudwatch.alarm"),
    ("aws_lb", "elasticloadbalancingv2.load_balancer"), ("google_storage_bucket", "terraform.google_storage_bucket"),
])
def test_types_no_reader_knows_get_the_kind_their_service_names(resource_type: str, kind: str) -> None:
    assert terraform_kind(resource_type) == kind
    assert kind_of_unknown(f"Terraform::{resource_type}") == kind


# --- the command --------------------------------------------------------------------------------------------------


def test_lineage_template_reads_a_plan_and_writes_sarif_that_validates(pipeline: tuple[Path, Path],
                                                                        tmp_path: Path) -> None:
    terraform = pipeline[0]
    out = tmp_path / "findings.sarif"
    done = lineage("template", str(terraform), "--format", "sarif", "-o", str(out))
    assert done.returncode == 0, done.stderr
    log = json.loads(out.read_text())
    jsonschema.validate(log, sarif_schema())
    results = log["runs"][0]["results"]
    lines = terraform.read_text().splitlines()
    landing = [r for r in results if r["properties"]["node"].startswith("arn:aws:s3:::acme-landing")]
    assert landing
    for result in landing:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == terraform.resolve().as_uri()  # outside where it ran
        assert lines[location["region"]["startLine"] - 1].strip() == '"address": "aws_s3_bucket.landing",'
    curated = [r for r in results if r["properties"]["node"] == "cfn:plan#aws_s3_bucket.curated"]
    assert curated and curated[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == \
        "cfn:plan#aws_s3_bucket.curated"
