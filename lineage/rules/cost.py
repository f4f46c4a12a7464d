"""Cost rules: data kept or scanned at a price nobody chose.

Athena bills the bytes each query scans, S3 bills every GB-month in the storage class the data rests in, and
CloudWatch Logs every GB-month a group keeps. Each rule judges the configuration that sets one of those bills
on a flow: how a table Athena queries is stored, whether a table is partitioned, whether a workgroup caps
what one query may scan, whether data on a flow ever leaves S3 Standard, and how much a group that never
expires already holds.

Which tables Athena queries is what the graph shows: the tables read by a workgroup's saved queries and
prepared statements, and by QuickSight datasets through an Athena data source. Queries run ad hoc leave no
configuration behind, so a table only they read is not judged as queried.

Cost is not among the categories raised where personal data reaches (`lineage.rules`): what storing or
scanning data costs does not depend on whose it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lineage import arn as arns
from lineage import redact
from lineage.graph import Graph
from lineage.model import Category, Edge, EdgeKind, Evidence, Node, Severity
from lineage.protection import applies_to_every_object, covering_rules, logs_retention
from lineage.rules import Hit, rule
from lineage.rules.s3 import flow_evidence, location_on_a_flow

_GET_TABLES = "glue:GetTables"
EXCERPT = 200  # the longest excerpt evidence keeps, as everywhere

# --- how a table is stored ----------------------------------------------------------------------------

# What reads a table through Athena, as each is said in a message.
_ATHENA_READERS = {
    "athena.workgroup": "workgroup",
    "athena.named_query": "named query",
    "athena.prepared_statement": "prepared statement",
    "quicksight.dataset": "QuickSight dataset",  # its edge from a table exists only through an Athena data source
}
_TEXT_CLASSIFICATIONS = {"csv": "CSV", "tsv": "TSV", "json": "JSON"}
# SerDe libraries of row-wise text: what a crawler-less table (made by DDL or by a tool) says it is.
_TEXT_SERDES = {
    "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe": "delimited text",
    "org.apache.hadoop.hive.serde2.OpenCSVSerde": "CSV",
    "org.openx.data.jsonserde.JsonSerDe": "JSON",
    "org.apache.hive.hcatalog.data.JsonSerDe": "JSON",
}
_TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
# Where a table's definition says its files are compressed: the crawler's finding, Athena's property for text.
_COMPRESSION_PARAMETERS = ("compressionType", "write.compression")
_NO_CODEC = frozenset({"", "none", "uncompressed"})
# Open table formats keep their files' format and partitioning in their own metadata, not in the catalog's.
_OPEN_TABLE_FORMATS = frozenset({"iceberg", "delta"})


def _parameters(table: Node) -> Mapping[str, Any]:
    parameters = table.attributes.get("parameters")
    return parameters if isinstance(parameters, Mapping) else {}


def _open_table_format(table: Node) -> bool:
    parameters = _parameters(table)
    return (str(parameters.get("table_type") or "").lower() in _OPEN_TABLE_FORMATS
            or str(parameters.get("spark.sql.sources.provider") or "").lower() in _OPEN_TABLE_FORMATS)


def _s3_place(graph: Graph, table: Node) -> str | None:
    """The S3 location holding the table's data, when it has one."""
    return next((other for other in sorted(graph.equivalents(table.id)) if arns.s3_parts(other)), None)


def _where(place: str) -> str:
    bucket, prefix = arns.split_s3_id(place)
    return f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"


def text_format(table: Node) -> tuple[str, Evidence] | None:
    """(the row-wise text format its files are in, the definition that says so); None for columnar or binary
    files, an open table format, or a definition that does not say."""
    if _open_table_format(table):
        return None
    classification = str(table.attributes.get("format") or "").strip().lower()
    if classification:
        named = _TEXT_CLASSIFICATIONS.get(classification)
        if named is None:
            return None  # parquet, orc, avro, ion, cloudtrail…: not row-wise text, or not CSV or JSON
        return named, Evidence(_GET_TABLES, table.id, "Parameters.classification", classification)
    serde = str(table.attributes.get("serde") or "")
    named = _TEXT_SERDES.get(serde)
    if named is None or str(table.attributes.get("input_format") or _TEXT_INPUT) != _TEXT_INPUT:
        return None
    return named, Evidence(_GET_TABLES, table.id, "StorageDescriptor.SerdeInfo.SerializationLibrary", serde)


def declared_compression(table: Node) -> str | None:
    """The codec the table's definition says its files are compressed with (or where it says they are
    compressed, without naming one); None where it says nothing of it, or says none."""
    parameters = _parameters(table)
    for key in _COMPRESSION_PARAMETERS:
        codec = str(parameters.get(key) or "").strip()
        if codec.lower() not in _NO_CODEC:
            return codec
    return "StorageDescriptor.Compressed" if table.attributes.get("compressed") else None


def athena_reads(graph: Graph, table: Node) -> list[Edge]:
    """The flows by which Athena reads the table: a workgroup, a saved query or a QuickSight dataset reading
    it, or reading a resource link that names it."""
    found = []
    for edge in graph.flows_out(table.id):
        reader = graph.nodes.get(edge.target)
        if reader is None:
            continue
        if edge.kind == EdgeKind.READS and reader.kind in _ATHENA_READERS:
            found.append(edge)
        elif edge.kind == EdgeKind.REFERENCES and reader.kind == "glue.table":  # a link to it, or its target
            found.extend(e for e in graph.flows_out(reader.id) if e.kind == EdgeKind.READS
                         and e.target in graph.nodes and graph.nodes[e.target].kind in _ATHENA_READERS)
    return found


def _readers(graph: Graph, reads: list[Edge]) -> str:
    said = sorted({f"{_ATHENA_READERS[graph.nodes[e.target].kind]} {graph.nodes[e.target].name}" for e in reads})
    return ", ".join(said[:3]) + (f" and {len(said) - 3} more" if len(said) > 3 else "")


def uncompressed_text_queried_by_athena(graph: Graph, table: Node) -> Iterator[Hit]:
    place = _s3_place(graph, table)
    found = text_format(table)
    if place is None or found is None or declared_compression(table) is not None:
        return
    reads = athena_reads(graph, table)
    if not reads:
        return
    named, format_evidence = found
    parameters = _parameters(table)
    if str(parameters.get("compressionType") or "").strip():  # "none": the crawler looked, and found none
        why = "the crawler found its files uncompressed (compressionType none)"
        said = Evidence(_GET_TABLES, table.id, "Parameters.compressionType",
                        redact.short(str(parameters["compressionType"]), EXCERPT))
    else:
        why = "its definition declares no compression (no compressionType or write.compression)"
        said = Evidence(_GET_TABLES, table.id, "Parameters", "no compressionType, no write.compression")
    evidence = (format_evidence, said, *(e.evidence[0] for e in reads[:3] if e.evidence))
    yield Hit(table.id, f"Table {table.name} is queried through Athena ({_readers(graph, reads)}) and its data at "
              f"{_where(place)} is {named} without compression: {why}. Athena bills every byte a query scans, and "
              "row-wise text is scanned whole, every column of every row.", evidence)


rule(
    uncompressed_text_queried_by_athena,
    id="cost.uncompressed_text_queried_by_athena",
    title="Table queried through Athena stored as uncompressed CSV or JSON",
    category=Category.COST,
    severity=Severity.MEDIUM,
    remediation=(
        "Rewrite the data as Parquet or ORC with Snappy or ZSTD, which Athena reads column by column: "
        "CREATE TABLE db.t_parquet WITH (format = 'PARQUET', write_compression = 'SNAPPY', "
        "external_location = 's3://BUCKET/NEW_PREFIX/') AS SELECT * FROM db.t; or at least write the files "
        "gzip-compressed. Where the files already are compressed, say so in the table's definition: "
        "ALTER TABLE db.t SET TBLPROPERTIES ('compressionType' = 'gzip')."
    ),
    kinds=("glue.table",),
)

# Below this, a query reading the whole table is billed about half a cent (Athena's $5 per TB), and partitions
# would only split the data into small files that are slower to read.
SMALL_TABLE_BYTES = 2**30


def _size(count: int) -> str:
    value, unit = float(count), "bytes"
    for larger in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{count} bytes" if unit == "bytes" else f"{value:.1f} {unit}"


def _crawled_size(table: Node) -> int | None:
    """The bytes the crawler counted under the table's location (`sizeKey`); None where none did."""
    try:
        return int(str(_parameters(table).get("sizeKey")))
    except ValueError:
        return None


def table_without_partitions(graph: Graph, table: Node) -> Iterator[Hit]:
    place = _s3_place(graph, table)
    if place is None or table.attributes.get("partition_keys") != [] or _open_table_format(table):
        return  # no data in S3, partitions unread, or a format that keeps its partitioning out of the catalog
    if not graph.on_a_flow(table.id):
        return
    size = _crawled_size(table)
    if size is not None and size < SMALL_TABLE_BYTES:
        return
    measured = f" (the crawler counted {_size(size)})" if size is not None else ""
    evidence = (Evidence(_GET_TABLES, table.id, "PartitionKeys", "[]"),
                Evidence(_GET_TABLES, table.id, "StorageDescriptor.Location", redact.short(_where(place), EXCERPT)),
                *flow_evidence(graph, table.id)[:3])
    yield Hit(table.id, f"Table {table.name} holds its data at {_where(place)}{measured} on a data flow and has no "
              "partition keys: every query that reads it, whatever it filters on, reads all of it.", evidence)


rule(
    table_without_partitions,
    id="cost.table_without_partitions",
    title="Table on a flow with its data in S3 and no partition keys",
    category=Category.COST,
    severity=Severity.LOW,
    remediation=(
        "Partition the data by what queries filter on, most often a date (s3://BUCKET/PREFIX/dt=2024-01-31/), "
        "declare those columns as partition keys (PARTITIONED BY, or let a crawler find the Hive-style paths) and "
        "keep the partitions known with partition projection or the crawler. Tables the crawler measured under "
        f"{_size(SMALL_TABLE_BYTES)}, and Iceberg and Delta tables (partitioned in their own metadata), are not "
        "reported."
    ),
    kinds=("glue.table",),
    frameworks=("AWS Well-Architected Analytics Lens BP 10.4",),
)


# --- what one query may scan ---------------------------------------------------------------------------


def workgroup_without_scan_limit(graph: Graph, node: Node) -> Iterator[Hit]:
    if "bytes_scanned_cutoff" not in node.attributes or node.attributes.get("engine") == "spark":
        return  # the configuration could not be read; a notebook workgroup is billed by the hour, not the byte
    if node.attributes.get("state") == "DISABLED":
        return
    if not node.attributes.get("output_location") and not graph.on_a_flow(node.id):
        return  # an idle workgroup with no result location of its own runs nothing yet
    if node.attributes.get("bytes_scanned_cutoff") is None:
        yield Hit(node.id, f"Workgroup {node.name} sets no limit on the data one query may scan: a query over a "
                  "large table, or a join that reads it many times, runs to the end and is billed for every byte.",
                  (Evidence("athena:GetWorkGroup", node.id, "Configuration.BytesScannedCutoffPerQuery", "not set"),))


rule(
    workgroup_without_scan_limit,
    id="cost.workgroup_without_scan_limit",
    title="Athena workgroup without a per-query limit on data scanned",
    category=Category.COST,
    severity=Severity.MEDIUM,
    remediation=(
        "Set a per-query data usage control, above what the workgroup's largest legitimate query scans: "
        "aws athena update-work-group --work-group NAME --configuration-updates "
        "BytesScannedCutoffPerQuery=107374182400 (100 GiB; the least is 10 MB); and, for the workgroup as a "
        "whole, a CloudWatch alarm on its ProcessedBytes."
    ),
    kinds=("athena.workgroup",),
    frameworks=("AWS Well-Architected COST02-BP05",),
)


# --- where data rests -----------------------------------------------------------------------------------

# A transition to a cheaper class cannot pay for data deleted this soon: Standard-IA and One Zone-IA bill 30
# days at least, Glacier classes 90 or more, and Intelligent-Tiering moves nothing untouched for less than 30.
SHORT_LIVED_DAYS = 30


def _expires_within(rules: list[dict[str, Any]], prefix: str, days: int) -> bool:
    return any(isinstance(r.get("expiration_days"), int) and r["expiration_days"] <= days
               for r in covering_rules(rules, prefix))


def _why_not_moved(candidate: dict[str, Any]) -> str:
    reasons = [f"prefix {candidate.get('prefix', '')!r}"]
    reasons += ["tags"] if candidate.get("tags") else []
    reasons += ["object size"] if candidate.get("size") else []
    reasons += ["disabled"] if not candidate.get("enabled") else []
    reasons += ["no transition"] if not candidate.get("transitions") else []
    return f"{candidate.get('id') or '(unnamed)'} ({', '.join(reasons)})"


def location_kept_in_standard(graph: Graph, node: Node) -> Iterator[Hit]:
    located = location_on_a_flow(graph, node)
    if located is None:
        return
    bucket, prefix = located
    rules = bucket.attributes["lifecycle_rules"]
    if any(applies_to_every_object(r, prefix) and r.get("transitions") for r in rules):
        return
    if _expires_within(rules, prefix, SHORT_LIVED_DAYS):
        return
    where = f"s3://{bucket.name}/{prefix}" if prefix else f"s3://{bucket.name}"
    if not rules:
        reason = "the bucket has no lifecycle configuration"
    else:
        reason = "none of the bucket's lifecycle rules moves it: " + ", ".join(_why_not_moved(r) for r in rules)
    evidence = (Evidence("s3:GetBucketLifecycleConfiguration", bucket.id, "Rules[].Transitions",
                         f"{len(rules)} rule(s), none moving every object here"),) + flow_evidence(graph, node.id)
    yield Hit(node.id, f"{where} is on a data flow and its objects stay in S3 Standard for as long as they are "
              f"kept: {reason}.", evidence)


rule(
    location_kept_in_standard,
    id="cost.location_kept_in_standard",
    title="Data on a flow stays in S3 Standard: no lifecycle transition to a cheaper class",
    category=Category.COST,
    severity=Severity.LOW,
    remediation=(
        "Add a lifecycle rule whose filter covers this prefix (no tag or size filter) with a transition to "
        "INTELLIGENT_TIERING (when how often the data is read is not known) or to STANDARD_IA or GLACIER_IR after "
        "the days it is read often: aws s3api put-bucket-lifecycle-configuration --bucket BUCKET "
        "--lifecycle-configuration file://rules.json. Judged on the lifecycle configuration only: objects a writer "
        "uploads in another class (StorageClass on PutObject) and the bucket's Intelligent-Tiering archive "
        "configurations are not read, so where the writers choose the class themselves this finding does not "
        "apply. Data a rule expires within 30 days is not reported."
    ),
    kinds=("s3.location", "s3.bucket"),
    frameworks=("AWS Well-Architected COST04-BP05",),
)


# --- logs -----------------------------------------------------------------------------------------------

# `logs.no_retention` reports every group that never expires, for the data kept; this reports the groups
# whose size already makes that a bill, and says how large each is, so the largest can be seen first.
LARGE_LOG_GROUP_BYTES = 10 * 2**30


def log_group_growing_without_retention(graph: Graph, node: Node) -> Iterator[Hit]:
    stored = node.attributes.get("stored_bytes")
    if not isinstance(stored, int) or isinstance(stored, bool) or stored < LARGE_LOG_GROUP_BYTES:
        return
    answer = logs_retention(node)
    if answer.ok is False:
        evidence = (*answer.evidence, Evidence("logs:DescribeLogGroups", node.id, "logGroups[].storedBytes",
                                               str(stored)))
        yield Hit(node.id, f"Log group {node.name} never expires and already holds {_size(stored)}: every month "
                  "bills all of it again, and it grows with every event written.", evidence)


rule(
    log_group_growing_without_retention,
    id="cost.log_group_growing_without_retention",
    title="Large CloudWatch log group kept for ever",
    category=Category.COST,
    severity=Severity.LOW,
    remediation=(
        "Set a retention as short as the events are needed for: aws logs put-retention-policy --log-group-name "
        "NAME --retention-in-days N; export what must be kept longer to S3 (aws logs create-export-task), where a "
        f"lifecycle rule can move it to a cheaper class. Groups holding less than {_size(LARGE_LOG_GROUP_BYTES)} "
        "are left to logs.no_retention."
    ),
    kinds=("logs.log_group",),
    frameworks=("AWS Well-Architected COST04-BP05",),
)
