"""Amazon Data Firehose: delivery streams, where their records come from (a Kinesis stream, an MSK topic, a
database's changes, or producers putting them directly), the Lambda function that transforms them, and
every place they are delivered to (S3 paths, Redshift, OpenSearch, HTTP endpoints, Snowflake, Splunk,
Iceberg tables) with the S3 paths that take failed or backed-up records.

Firehose buffers records for minutes and retries a failed delivery for up to a day; it does not keep
them. Server-side encryption protects that buffer only for direct producers: records read from a
Kinesis stream or an MSK topic rest in the source, under its own encryption. The endpoints records go
to are kept without credentials: no access key, token or password, and no query string.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from collectors.context import AwsContext, each_resource, is_gone, tag_pages
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage import redact
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for


def _lists_names(answer: Mapping[str, Any]) -> str | None:
    """A page is usable only when it says which streams it holds and whether more follow."""
    if not isinstance(answer.get("DeliveryStreamNames"), list) or "HasMoreDeliveryStreams" not in answer:
        return "the answer lacks DeliveryStreamNames or HasMoreDeliveryStreams"
    return None


_GONE = ("ResourceNotFoundException",)
# Paginated by HasMoreDeliveryStreams and ExclusiveStartDeliveryStreamName, not NextToken, and botocore has
# no paginator for it: `get_firehose` turns the pages itself, each through `ctx.call`.
LIST_DELIVERY_STREAMS = Call("firehose", "list_delivery_streams", result_key="DeliveryStreamNames",
                             check=_lists_names)
DESCRIBE_DELIVERY_STREAM = Call("firehose", "describe_delivery_stream", gone=_GONE, required=(
    "DeliveryStreamDescription.DeliveryStreamName", "DeliveryStreamDescription.DeliveryStreamARN"))
LIST_TAGS_FOR_DELIVERY_STREAM = Call("firehose", "list_tags_for_delivery_stream", required=("Tags",), gone=_GONE)
OPERATION = "firehose:DescribeDeliveryStream"
KIND = "firehose.delivery_stream"

# Firehose's limit is thousands of streams a region; a listing that does not end by then is not trusted.
_MAX_PAGES = 1000


# --- get ------------------------------------------------------------------------------------------


def _list_names(ctx: AwsContext, region: str) -> list[str] | None:
    """Every stream's name, page after page; None when the first page could not be read. A later page
    failing is a gap of its own, and the names read before it stand."""
    names: list[str] = []
    arguments: dict[str, Any] = {}
    for _ in range(_MAX_PAGES):
        page = ctx.call(LIST_DELIVERY_STREAMS, region, region, **arguments)
        if page is None:
            return names or None
        listed = [str(name) for name in page["DeliveryStreamNames"]]
        names.extend(listed)
        if not page["HasMoreDeliveryStreams"] or not listed or listed[-1] == arguments.get(
                "ExclusiveStartDeliveryStreamName"):
            break
        arguments["ExclusiveStartDeliveryStreamName"] = listed[-1]
    return names


def _describe(ctx: AwsContext, region: str, name: str) -> dict[str, Any] | None:
    """The stream's description with all its destinations; None when it is gone; `Unread` when AWS did
    not say (a gap already)."""
    answer = ctx.call(DESCRIBE_DELIVERY_STREAM, region, name, DeliveryStreamName=name)
    if is_gone(answer):
        return None
    if answer is None:
        return {"Name": name, "Unread": True}
    description = dict(answer["DeliveryStreamDescription"])
    destinations = list(description.get("Destinations") or [])
    record: dict[str, Any] = {"Name": name, "Description": description}
    # A stream has one destination today; the API pages them all the same.
    while description.get("HasMoreDestinations") and destinations and len(destinations) < _MAX_PAGES:
        more = ctx.call(DESCRIBE_DELIVERY_STREAM, region, name, DeliveryStreamName=name,
                        ExclusiveStartDestinationId=destinations[-1].get("DestinationId", ""))
        if more is None or is_gone(more):
            record["DestinationsIncomplete"] = True
            break
        description = more["DeliveryStreamDescription"]
        added = list(description.get("Destinations") or [])
        if not added:
            break
        destinations.extend(added)
    record["Description"]["Destinations"] = destinations
    return record


def _tags(ctx: AwsContext, region: str, name: str) -> dict[str, str] | None:
    found = tag_pages(ctx, LIST_TAGS_FOR_DELIVERY_STREAM, region, name, _MAX_PAGES, DeliveryStreamName=name)
    return None if found is None or is_gone(found) else found


def _read_streams(ctx: AwsContext, region: str, names: list[str]) -> list[dict[str, Any]]:
    def read(name: str) -> dict[str, Any] | None:
        record = _describe(ctx, region, name)
        if record is None:
            return None  # deleted since it was listed: nothing passes through it now
        tags = _tags(ctx, region, name)
        if tags is not None:
            record["Tags"] = tags
        return record

    return [record for record in ctx.map(read, names) if record is not None]


def get_firehose(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    names = _list_names(ctx, region)
    return [] if names is None else _read_streams(ctx, region, names)


def get_named_delivery_streams(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Delivery streams that other facts name (a state machine's PutRecord, an EventBridge target), read
    one by one when the listing could not be read."""
    names = set()
    for stream_id in wanted.get(KIND, ()):
        parsed = arns.parse_arn(stream_id)
        if parsed is not None and parsed.region == region and parsed.resource_type == "deliverystream":
            names.add(parsed.resource_name)
    return _read_streams(ctx, region, sorted(names))


# --- transform: pieces ----------------------------------------------------------------------------


def stream_arn(region: str, account: str, name: str) -> str:
    return arns.build_arn("firehose", region, account, f"deliverystream/{name}")


# Whether records wait encrypted, by the Status of DeliveryStreamEncryptionConfiguration: while being
# turned off, or when turning it off failed, they still are.
_ENCRYPTING = frozenset({"ENABLED", "DISABLING", "DISABLING_FAILED"})


def encryption_of(configuration: Mapping[str, Any] | None) -> dict[str, Any]:
    """Server-side encryption of the records Firehose holds: `kms` with AWS's own key (AWS_OWNED_CMK) or
    the customer's (CUSTOMER_MANAGED_CMK), else `none`."""
    configuration = configuration or {}
    status = str(configuration.get("Status") or "")
    key_type = str(configuration.get("KeyType") or "")
    # A configuration naming a key type but no status is taken as on (moto answers so; AWS states it).
    if status in _ENCRYPTING or (not status and key_type):
        customer = key_type == "CUSTOMER_MANAGED_CMK"
        return {"type": "kms", "kms_key": configuration.get("KeyARN") if customer else None,
                "customer_key": customer, "key_type": key_type or "AWS_OWNED_CMK", "status": status or "ENABLED"}
    return {"type": "none", "kms_key": None, "customer_key": False, "status": status or "DISABLED"}


def destination_encryption_of(configuration: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """How Firehose encrypts the objects it writes to S3 (NoEncryption: the bucket's default applies)."""
    if not configuration:
        return None
    key = (configuration.get("KMSEncryptionConfig") or {}).get("AWSKMSKeyARN")
    if key:
        return {"type": "kms", "kms_key": key}
    return {"type": "none", "kms_key": None}


def static_prefix(prefix: str) -> str:
    """The folder every object a prefix names lies in: the literal part up to the last `/` before the
    first `!{…}` expression (and before the `YYYY/MM/dd/HH/` Firehose appends when there is none)."""
    literal = prefix.split("!{", 1)[0]
    return literal[: literal.rfind("/") + 1].strip("/")


class _Flows:
    """Edges out of (or into) one stream, one per target and kind, every piece of evidence kept."""

    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        self._edges: dict[tuple[str, str, EdgeKind], list[Evidence]] = {}
        self.warnings: list[str] = []
        self.destinations: list[dict[str, str]] = []

    def add(self, source: str, target: str, kind: EdgeKind, path: str, excerpt: str, dynamic: bool = False) -> None:
        evidence = Evidence(OPERATION, self.stream_id, path, excerpt[:300], dynamic)
        self._edges.setdefault((source, target, kind), []).append(evidence)

    def writes(self, target: str, path: str, excerpt: str, dynamic: bool = False) -> None:
        self.add(self.stream_id, target, EdgeKind.WRITES, path, excerpt, dynamic)

    def to(self, kind: str, target: str | None, path: str, excerpt: str) -> None:
        """A destination that is not S3: its node, and what the rules need to know of it."""
        if not target:
            self.warnings.append(f"{path}: a {kind} destination without an address")
            return
        self.writes(target, path, excerpt)
        self.destinations.append({"type": kind, "target": target, "path": path})

    def s3(self, description: Mapping[str, Any] | None, path: str, what: str) -> None:
        """The S3 path a description delivers to, and the path its failed records go to."""
        if not description:
            return
        parsed = arns.parse_s3_url(str(description.get("BucketARN") or ""))
        if parsed is None:
            self.warnings.append(f"{path}.BucketARN: not an S3 bucket")
            return
        bucket = parsed[0]
        prefix = str(description.get("Prefix") or "")
        location = arns.s3_location_id(bucket, static_prefix(prefix))
        self.writes(location, f"{path}.Prefix" if prefix else f"{path}.BucketARN", f"{what}: s3://{bucket}/{prefix}",
                    "!{" in prefix)
        self.destinations.append({"type": "S3", "target": location, "path": path})
        error = str(description.get("ErrorOutputPrefix") or "")
        if error:
            self.writes(arns.s3_location_id(bucket, static_prefix(error)), f"{path}.ErrorOutputPrefix",
                        f"error output of {what}: s3://{bucket}/{error}", "!{" in error)

    def edges(self) -> tuple[Edge, ...]:
        return tuple(Edge(source, target, kind, tuple(evidence))
                     for (source, target, kind), evidence in self._edges.items())


def _endpoint(value: Any) -> str | None:
    """Where a URL points, as a node id: without user-info, query or fragment, so without a credential."""
    return redact.endpoint(str(value)) if value else None


def _s3_destination(flows: _Flows, d: Mapping[str, Any], path: str) -> None:
    flows.s3(d, path, "delivery")
    if d.get("S3BackupMode") == "Enabled":
        flows.s3(d.get("S3BackupDescription"), f"{path}.S3BackupDescription", "source record backup")


def _backup(flows: _Flows, d: Mapping[str, Any], path: str, what: str = "") -> None:
    """The S3 path a destination other than S3 writes failed (or all) records to."""
    mode = d.get("S3BackupMode")
    flows.s3(d.get("S3DestinationDescription"), f"{path}.S3DestinationDescription",
             what or f"backup ({mode or 'failed records'})")


def _redshift(flows: _Flows, d: Mapping[str, Any], path: str) -> None:
    table = (d.get("CopyCommand") or {}).get("DataTableName", "")
    target = _endpoint(d.get("ClusterJDBCURL"))
    flows.to("Redshift", target, f"{path}.ClusterJDBCURL", f"{target} table {table}")
    _backup(flows, d, path, "intermediate copy")
    if d.get("S3BackupMode") == "Enabled":
        flows.s3(d.get("S3BackupDescription"), f"{path}.S3BackupDescription", "source record backup")


def _search(kind: str) -> Callable[[_Flows, Mapping[str, Any], str], None]:
    def destination(flows: _Flows, d: Mapping[str, Any], path: str) -> None:
        field = "DomainARN" if d.get("DomainARN") else "ClusterEndpoint"
        target = d.get("DomainARN") or _endpoint(d.get("ClusterEndpoint"))
        flows.to(kind, target, f"{path}.{field}", f"{target} index {d.get('IndexName', '')}")
        _backup(flows, d, path)

    return destination


def _serverless(flows: _Flows, d: Mapping[str, Any], path: str) -> None:
    target = _endpoint(d.get("CollectionEndpoint"))
    flows.to("AmazonOpenSearchServerless", target, f"{path}.CollectionEndpoint",
             f"{target} index {d.get('IndexName', '')}")
    _backup(flows, d, path)


def _http(flows: _Flows, d: Mapping[str, Any], path: str) -> None:
    target = _endpoint((d.get("EndpointConfiguration") or {}).get("Url"))
    flows.to("HttpEndpoint", target, f"{path}.EndpointConfiguration.Url", str(target))
    _backup(flows, d, path)


def _snowflake(flows: _Flows, d: Mapping[str, Any], path: str) -> None:
    target = _endpoint(d.get("AccountUrl"))
    table = ".".join(str(d.get(part) or "") for part in ("Database", "Schema", "Table"))
    flows.to("Snowflake", target, f"{path}.AccountUrl", f"{target} table {table}")
    _backup(flows, d, path)


def _splunk(flows: _Flows, d: Mapping[str, Any], path: str) -> None:
    target = _endpoint(d.get("HECEndpoint"))  # never HECToken
    flows.to("Splunk", target, f"{path}.HECEndpoint", f"{target} ({d.get('HECEndpointType', '')})")
    _backup(flows, d, path)


def _iceberg(account: str, region: str) -> Callable[[_Flows, Mapping[str, Any], str], None]:
    def destination(flows: _Flows, d: Mapping[str, Any], path: str) -> None:
        catalog = d.get("CatalogConfiguration") or {}
        parsed = arns.parse_arn(str(catalog.get("CatalogARN") or ""))
        catalog_region, catalog_account = (parsed.region, parsed.account) if parsed else (region, account)
        tables = d.get("DestinationTableConfigurationList") or []
        for index, table in enumerate(tables):
            database, name = table.get("DestinationDatabaseName"), table.get("DestinationTableName")
            if database and name:
                target = arns.glue_table_arn(catalog_region or region, catalog_account or account, database, name)
                flows.to("Iceberg", target, f"{path}.DestinationTableConfigurationList[{index}]",
                         f"{database}.{name}")
        warehouse = arns.parse_s3_url(str(catalog.get("WarehouseLocation") or ""))
        if not tables and warehouse is not None:
            flows.writes(arns.s3_location_id(*warehouse), f"{path}.CatalogConfiguration.WarehouseLocation",
                         f"Iceberg warehouse: {catalog.get('WarehouseLocation')}")
            flows.destinations.append({"type": "Iceberg", "target": arns.s3_location_id(*warehouse), "path": path})
        elif not tables:
            flows.warnings.append(f"{path}: an Iceberg destination naming neither tables nor a warehouse")
        _backup(flows, d, path)

    return destination


_SEARCH = _search("Amazonopensearchservice")
_ELASTICSEARCH = _search("Elasticsearch")
_SUFFIX = "DestinationDescription"


def _destination_readers(account: str, region: str) -> dict[str, Callable[[_Flows, Mapping[str, Any], str], None]]:
    return {"ExtendedS3": _s3_destination, "S3": _s3_destination, "Redshift": _redshift,
            "Amazonopensearchservice": _SEARCH, "Elasticsearch": _ELASTICSEARCH,
            "AmazonOpenSearchServerless": _serverless, "HttpEndpoint": _http, "Snowflake": _snowflake,
            "Splunk": _splunk, "Iceberg": _iceberg(account, region)}


def _lambdas(flows: _Flows, d: Mapping[str, Any], path: str) -> list[str]:
    """The transformation functions Firehose invokes on each batch of records."""
    processing = d.get("ProcessingConfiguration") or {}
    if processing.get("Enabled") is False:
        return []
    functions = []
    for index, processor in enumerate(processing.get("Processors") or []):
        if processor.get("Type") != "Lambda":
            continue
        for parameter in processor.get("Parameters") or []:
            if parameter.get("ParameterName") == "LambdaArn" and parameter.get("ParameterValue"):
                value = str(parameter["ParameterValue"])
                function = arns.unqualified_lambda_arn(value)
                flows.add(flows.stream_id, function, EdgeKind.INVOKES,
                          f"{path}.ProcessingConfiguration.Processors[{index}].Parameters.LambdaArn", value)
                functions.append(function)
    return functions


def _buffering(d: Mapping[str, Any]) -> dict[str, Any] | None:
    hints = d.get("BufferingHints") or (d.get("S3DestinationDescription") or {}).get("BufferingHints")
    if not hints:
        return None
    return {"size_mb": hints.get("SizeInMBs"), "interval_seconds": hints.get("IntervalInSeconds")}


def _source(flows: _Flows, description: Mapping[str, Any], attributes: dict[str, Any]) -> None:
    kind = str(description.get("DeliveryStreamType") or "")
    source = description.get("Source") or {}
    attributes["source_type"] = kind
    if kind == "DirectPut":
        attributes["source"] = "direct_put"
        return
    found: tuple[str, str, str] | None = None
    if kind == "KinesisStreamAsSource":
        arn = (source.get("KinesisStreamSourceDescription") or {}).get("KinesisStreamARN")
        found = (arn, "Source.KinesisStreamSourceDescription.KinesisStreamARN", str(arn)) if arn else None
    elif kind == "MSKAsSource":
        msk = source.get("MSKSourceDescription") or {}
        arn = msk.get("MSKClusterARN")
        found = (arn, "Source.MSKSourceDescription.MSKClusterARN", f"{arn} topic {msk.get('TopicName', '')}") \
            if arn else None
    elif kind == "DatabaseAsSource":
        database = source.get("DatabaseSourceDescription") or {}
        host = database.get("Endpoint")
        if host:
            place = _endpoint(f"{str(database.get('Type') or 'database').lower()}://{host}:{database.get('Port', '')}")
            included = ", ".join((database.get("Databases") or {}).get("Include") or [])
            found = (str(place), "Source.DatabaseSourceDescription.Endpoint", f"{place} databases {included}")
    if found is None:
        attributes["source"] = kind.lower() or "unknown"
        attributes.setdefault("warnings", []).append(f"source {kind or '(none)'}: no place to read it from")
        return
    attributes["source"] = found[0]
    flows.add(found[0], flows.stream_id, EdgeKind.READS, found[1], found[2])


# --- transform --------------------------------------------------------------------------------------


def transform_delivery_stream(record: dict[str, Any], account: str, region: str) -> Facts:
    name = record["Name"]
    description = record.get("Description") or {}
    stream_id = description.get("DeliveryStreamARN") or stream_arn(region, account, name)
    attributes: dict[str, Any] = {}
    flows = _Flows(stream_id)
    if record.get("Unread"):
        attributes["unread"] = ["configuration"]
    else:
        attributes["status"] = description.get("DeliveryStreamStatus", "")
        attributes["encryption"] = encryption_of(description.get("DeliveryStreamEncryptionConfiguration"))
        _source(flows, description, attributes)
        readers = _destination_readers(account, region)
        types: list[str] = []
        functions: list[str] = []
        for index, destination in enumerate(description.get("Destinations") or []):
            path = f"Destinations[{index}]"
            keys = [key for key in destination if key.endswith(_SUFFIX) and destination[key] is not None]
            if "ExtendedS3" + _SUFFIX in keys:  # AWS repeats an extended S3 destination as a plain one
                keys = [key for key in keys if key != "S3" + _SUFFIX]
            for key in keys:
                kind, d = key[: -len(_SUFFIX)], destination[key]
                types.append(kind)
                reader = readers.get(kind)
                if reader is None:
                    flows.warnings.append(f"{path}.{key}: a destination type this reader does not know")
                    continue
                reader(flows, d, f"{path}.{key}")
                functions += _lambdas(flows, d, f"{path}.{key}")
                s3 = d if kind in ("ExtendedS3", "S3") else d.get("S3DestinationDescription") or {}
                for key, value in (("buffering", _buffering(d)),
                                   ("destination_encryption", destination_encryption_of(
                                       s3.get("EncryptionConfiguration")))):
                    if attributes.get(key) is None:  # the first destination that says
                        attributes[key] = value
        attributes["destination_types"] = sorted(set(types))
        attributes["destinations"] = flows.destinations
        if functions:
            attributes["processors"] = sorted(set(functions))
        if record.get("DestinationsIncomplete"):
            attributes["unread"] = ["more destinations"]
    if "Tags" in record:
        attributes["tags"] = record["Tags"]
    else:
        attributes["unread"] = [*attributes.get("unread", []), "tags"]
    warnings = attributes.get("warnings", []) + flows.warnings
    if warnings:
        attributes["warnings"] = warnings
    attributes = {key: value for key, value in attributes.items() if value is not None}
    node = Node(stream_id, KIND, name, stage_for(KIND, record.get("Tags")), account, region, True, attributes)
    return Facts((node,), flows.edges())


def transform_firehose(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda record: transform_delivery_stream(record, account, region),
                         DESCRIBE_DELIVERY_STREAM, lambda record: record["Name"], region)


COLLECTOR = Collector(
    service="firehose", label="Data Firehose",
    calls=(LIST_DELIVERY_STREAMS, DESCRIBE_DELIVERY_STREAM, LIST_TAGS_FOR_DELIVERY_STREAM),
    get=get_firehose, transform=transform_firehose,
    listings={KIND: LIST_DELIVERY_STREAMS}, get_named=get_named_delivery_streams,
)
