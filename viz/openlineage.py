"""A scan as OpenLineage run events (spec 2-0-2): what catalogues such as Marquez, DataHub or Dataplex read.

One event per computing node (stage `processing`: a state machine, a Glue job or crawler, a function, an EMR
cluster…) that moves data to or from a place where it rests (stage `storage`): its inputs are the places that
flow into it (`reads`, `triggers`, `notifies`, `routes`…), its outputs the places it flows into. A computing node
with no such flow (a key, a role) has no lineage to tell and no event. The events describe configuration as
one scan read it, not a run anyone watched: each is `COMPLETE` at the time the scan finished, and its run id is
derived from the scan and the job, so the same scan always gives the same events.

Names follow OpenLineage's naming conventions (https://openlineage.io/docs/spec/naming), which name S3 and the
Glue catalogue but no other AWS service (see `dataset_id`). What cannot be named honestly is never given a
name: a place known only at run time (`dynamic:` id), a place whose id has no OpenLineage form, and a place
the job's configuration names without saying whether it reads or writes it (`references`) are neither inputs
nor outputs; each is listed in the run's `extractionError` facet (the spec's facet for lineage that could
not be extracted), with the id the tracker knows it by.

`post_events` sends events to an OpenLineage HTTP endpoint (Marquez's `POST /api/v1/lineage`).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lineage import arn as arns
from lineage.evidence import installed_version
from lineage.model import Edge, EdgeKind, Node, Scan, Stage

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
RUN_EVENT_SCHEMA = f"{SPEC}#/$defs/RunEvent"
PACKAGE = "aws-lineage"
LINEAGE_PATH = "/api/v1/lineage"  # where Marquez, and servers that speak its API, take events
TIMEOUT_SECONDS = 30.0

# The facets used, each at the version whose schema the tests validate it against.
_FACET_VERSIONS = {
    "JobTypeJobFacet": "2-0-4",
    "DocumentationJobFacet": "1-1-0",
    "TagsJobFacet": "1-0-0",
    "SymlinksDatasetFacet": "1-0-1",
    "SchemaDatasetFacet": "1-2-0",
    "DatasetTypeDatasetFacet": "1-0-1",
    "ExtractionErrorRunFacet": "1-1-2",
}

# Run ids: UUID 5 of the scan and the job under this namespace (uuid5 of the package's name), so that the same
# scan gives the same ids everywhere and two scans never share one — except a streaming job's: its one run goes on
# from scan to scan, and each scan's event tells how it runs now.
_RUN_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, f"pkg:pypi/{PACKAGE}")

# What each kind of place is, in the words of the DatasetType facet ("TABLE|VIEW|FILE|TOPIC|STREAM|…"); a kind not
# here gets no such facet rather than a guess.
_DATASET_TYPE = {
    "glue.table": "TABLE",
    "dynamodb.table": "TABLE",
    "kinesis.stream": "STREAM",
    "firehose.delivery_stream": "STREAM",
    "sns.topic": "TOPIC",
    "sqs.queue": "QUEUE",
}

# URL schemes the conventions table spells otherwise: it names PostgreSQL `postgres://{host}:{port}`.
_SCHEME_ALIASES = {"postgresql": "postgres"}


def producer() -> str:
    """The URI naming what wrote the events: the package as a Package URL (`pkg:pypi/aws-lineage@VERSION`)."""
    found = installed_version()
    return f"pkg:pypi/{PACKAGE}" + ("" if found == "unknown" else f"@{found}")


def facet_schema_url(facet: str) -> str:
    return f"https://openlineage.io/spec/facets/{_FACET_VERSIONS[facet]}/{facet}.json#/$defs/{facet}"


# --- names --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class DatasetId:
    namespace: str
    name: str


def dataset_id(node_id: str) -> DatasetId | None:
    """A place's OpenLineage identifier; None when it has none that is not a guess.

    - S3 (conventions table): namespace `s3://BUCKET`, name the key prefix without leading or trailing `/`; the
      whole bucket is `/`, as OpenLineage's own clients name a bucket's root (FilesystemDatasetUtils).
    - The Glue catalogue (conventions table): namespace `arn:aws:glue:REGION:ACCOUNT`, name
      `table/DATABASE/TABLE` — the table's ARN cut after the account.
    - Any other AWS resource (DynamoDB, SQS, SNS, Kinesis, log groups, buses…): the conventions name none, so
      each is named as they name a Glue table: its ARN cut after the account (`arn:aws:sqs:REGION:ACCOUNT`,
      `QUEUE`; `arn:aws:dynamodb:REGION:ACCOUNT`, `table/NAME`). Namespace and name joined by `:` give the ARN
      back, and two accounts' resources of one name stay apart (the Spark integration's `kinesis://HOST` for a
      stream would join them).
    - A database named by URL (`postgresql://host:5432/db`): the conventions' general rule, namespace
      `scheme://authority` and name the path, with the scheme as their table spells it (`postgres`).
    - A place known only at run time (`dynamic:`), or an id of none of these forms: None.
    """
    if arns.is_dynamic(node_id):
        return None
    s3 = arns.s3_parts(node_id)
    if s3 is not None:
        return DatasetId(f"s3://{s3[0]}", s3[1] or "/")
    parsed = arns.parse_arn(node_id)
    if parsed is not None:
        if not parsed.service or not parsed.resource:
            return None
        return DatasetId(f"arn:{parsed.partition}:{parsed.service}:{parsed.region}:{parsed.account}",
                         parsed.resource)
    return _url_dataset_id(node_id)


def _url_dataset_id(node_id: str) -> DatasetId | None:
    parts = urlsplit(node_id)
    if not re.fullmatch(r"[a-z][a-z0-9+.-]*", parts.scheme) or not parts.netloc or "@" in parts.netloc:
        return None
    scheme = _SCHEME_ALIASES.get(parts.scheme, parts.scheme)
    return DatasetId(f"{scheme}://{parts.netloc}", parts.path.strip("/") or "/")


def job_namespace(node: Node) -> str:
    """`aws://ACCOUNT/REGION` of the job: the account and region that run it, as the scheduler namespaces of
    the naming conventions group jobs by what runs them."""
    parsed = arns.parse_arn(node.id)
    account = node.account or (parsed.account if parsed else "") or "unknown-account"
    region = node.region or (parsed.region if parsed else "") or "unknown-region"
    return f"aws://{account}/{region}"


def run_id(scan_id: str, job_id: str) -> str:
    return str(uuid.uuid5(_RUN_NAMESPACE, f"{scan_id}\n{job_id}"))


def streaming_run_id(job_id: str) -> str:
    return str(uuid.uuid5(_RUN_NAMESPACE, f"streaming\n{job_id}"))


# --- the events ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Flows:
    """A scan's edges and nodes, indexed once for every job."""

    nodes: Mapping[str, Node]
    into: Mapping[str, list[Edge]]
    out_of: Mapping[str, list[Edge]]
    stored: Mapping[str, list[str]]  # a table ↔ the location holding its data (`stored_at`), both ways


def _index(scan: Scan) -> _Flows:
    into: dict[str, list[Edge]] = {}
    out_of: dict[str, list[Edge]] = {}
    stored: dict[str, list[str]] = {}
    for edge in sorted(scan.edges, key=lambda e: (e.source, e.target, e.kind.value)):
        if edge.kind is EdgeKind.STORED_AT:
            stored.setdefault(edge.source, []).append(edge.target)
            stored.setdefault(edge.target, []).append(edge.source)
        elif edge.kind.is_flow:
            into.setdefault(edge.target, []).append(edge)
            out_of.setdefault(edge.source, []).append(edge)
    return _Flows({n.id: n for n in scan.nodes}, into, out_of, stored)


def _place(flows: _Flows, node_id: str) -> Node:
    return flows.nodes.get(node_id) or arns.referenced_node(node_id)


def _is_place(flows: _Flows, node_id: str) -> bool:
    """Where data rests: a dataset, or — known only at run time — a place that would be one."""
    return _place(flows, node_id).stage is Stage.STORAGE


def run_events(scan: Scan, namespace: str | None = None, producer_uri: str | None = None) -> list[dict[str, Any]]:
    """One `RunEvent` per computing node with a flow to or from a place, in the order of the nodes' ids.

    `namespace` replaces every job's `aws://ACCOUNT/REGION`; job names are the nodes' ids (ARNs), unique in any
    namespace.
    """
    flows = _index(scan)
    made_by = producer_uri or producer()
    events = []
    for node in sorted(scan.nodes, key=lambda n: n.id):
        if node.stage is not Stage.PROCESSING:
            continue
        event = _event(scan, flows, node, namespace or job_namespace(node), made_by)
        if event is not None:
            events.append(event)
    return events


@dataclass(frozen=True, slots=True)
class _Unresolved:
    """A place a job moves data to or from that no dataset stands for, and why."""

    node_id: str
    message: str


def _event(scan: Scan, flows: _Flows, job: Node, namespace: str, made_by: str) -> dict[str, Any] | None:
    inputs: dict[DatasetId, str] = {}
    outputs: dict[DatasetId, str] = {}
    unresolved: dict[str, _Unresolved] = {}
    for edges, other_end, found, verb in ((flows.into.get(job.id, []), "source", inputs, "reads"),
                                          (flows.out_of.get(job.id, []), "target", outputs, "writes")):
        for edge in edges:
            place_id = getattr(edge, other_end)
            if place_id == job.id or not _is_place(flows, place_id):
                continue
            named = dataset_id(place_id)
            if named is None:
                moves = "reads or writes" if edge.kind.either_way else verb
                unresolved.setdefault(place_id, _Unresolved(place_id, _why_unnamed(flows, edge, place_id, moves)))
            elif edge.kind.either_way:
                unresolved.setdefault(place_id, _Unresolved(place_id, (
                    f"its configuration names this {_place(flows, place_id).kind} without saying whether it "
                    "reads or writes it: neither an input nor an output")))
            else:
                found.setdefault(named, place_id)
    # A place read and written through a `references` edge and a plain one: the plain one says the direction.
    for place_id in [p for p in unresolved if p in inputs.values() or p in outputs.values()]:
        del unresolved[place_id]
    if not inputs and not outputs and not unresolved:
        return None
    # A batch job's event closes the run the scan saw; a streaming job has no end, so its event says it runs.
    streaming = processing_type(job) == "STREAMING"
    event: dict[str, Any] = {
        "eventType": "RUNNING" if streaming else "COMPLETE",
        "eventTime": scan.finished_at or scan.started_at,
        "run": {"runId": streaming_run_id(job.id) if streaming else run_id(scan.id, job.id)},
        "job": {"namespace": namespace, "name": job.id, "facets": _job_facets(scan, job, made_by)},
        "inputs": [_dataset(flows, named, inputs[named], made_by) for named in sorted(inputs)],
        "outputs": [_dataset(flows, named, outputs[named], made_by) for named in sorted(outputs)],
        "producer": made_by,
        "schemaURL": RUN_EVENT_SCHEMA,
    }
    if unresolved:
        places = len(inputs) + len(outputs) + len(unresolved)
        event["run"]["facets"] = {"extractionError": _facet("ExtractionErrorRunFacet", made_by, {
            "totalTasks": places,
            "failedTasks": len(unresolved),
            "errors": [{"errorMessage": u.message, "task": u.node_id}
                       for u in sorted(unresolved.values(), key=lambda u: u.node_id)],
        })}
    return event


def _why_unnamed(flows: _Flows, edge: Edge, place_id: str, verb: str) -> str:
    if arns.is_dynamic(place_id):
        node = _place(flows, place_id)
        expression = str(node.attributes.get("expression") or next(
            (e.excerpt for e in edge.evidence if e.excerpt), "")) or "an expression"
        return (f"{verb} a place known only at run time ({expression}): no dataset is named for it, as its name "
                "would be a guess")
    return f"{verb} {place_id}, which has no OpenLineage name"


def _facet(facet: str, made_by: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {"_producer": made_by, "_schemaURL": facet_schema_url(facet), **fields}


def _job_facets(scan: Scan, job: Node, made_by: str) -> dict[str, Any]:
    service, _, resource = job.kind.partition(".")
    facets: dict[str, Any] = {
        "jobType": _facet("JobTypeJobFacet", made_by, {
            "processingType": processing_type(job),
            "integration": f"AWS_{service.upper()}",
            "jobType": (resource or service).upper(),
        }),
        "documentation": _facet("DocumentationJobFacet", made_by, {
            "description": _description(scan, job),
            "contentType": "text/plain",
        }),
    }
    tags = job.attributes.get("tags")
    if isinstance(tags, Mapping) and tags:
        facets["tags"] = _facet("TagsJobFacet", made_by, {
            "tags": [{"key": str(k), "value": str(v), "source": "AWS"} for k, v in sorted(tags.items())],
        })
    return facets


# What runs without end by its nature: a delivery stream, a pipe polling its source, a Glue streaming job.
# A delivery stream is a place where data rests (storage) and gets a job only when its tags make it processing.
_STREAMING_KINDS = frozenset({"firehose.delivery_stream", "pipes.pipe"})
_STREAMING_GLUE_COMMAND = "gluestreaming"


def processing_type(job: Node) -> str:
    """STREAMING for a job whose configuration makes it run continuously, BATCH for one that runs and ends.

    The configuration decides it, not a run watched: a function fed by a stream still runs and ends per batch."""
    if job.kind in _STREAMING_KINDS:
        return "STREAMING"
    if job.kind == "glue.job" and job.attributes.get("command") == _STREAMING_GLUE_COMMAND:
        return "STREAMING"
    return "BATCH"


def _description(scan: Scan, job: Node) -> str:
    unread = "" if job.observed else " The scan did not read it: it is known only because something refers to it."
    return (f"{job.kind} {job.name}: the inputs and outputs its configuration names, as scan {scan.id} read it "
            f"(not a run that was watched).{unread}")


def _dataset(flows: _Flows, named: DatasetId, node_id: str, made_by: str) -> dict[str, Any]:
    node = _place(flows, node_id)
    facets: dict[str, Any] = {}
    symlinks = _symlinks(flows, node_id)
    if symlinks:
        facets["symlinks"] = _facet("SymlinksDatasetFacet", made_by, {"identifiers": symlinks})
    fields = _schema_fields(node)
    if fields:
        facets["schema"] = _facet("SchemaDatasetFacet", made_by, {"fields": fields})
    if node.kind in _DATASET_TYPE:
        facets["datasetType"] = _facet("DatasetTypeDatasetFacet", made_by, {"datasetType": _DATASET_TYPE[node.kind]})
    dataset: dict[str, Any] = {"namespace": named.namespace, "name": named.name}
    if facets:
        dataset["facets"] = facets
    return dataset


def _symlinks(flows: _Flows, node_id: str) -> list[dict[str, str]]:
    """The other names of the same data: a location's catalogue tables (`TABLE`), a table's location
    (`LOCATION`), as OpenLineage's Spark and Hive integrations tie a Glue table to where it is stored."""
    identifiers = []
    for other in sorted(set(flows.stored.get(node_id, ()))):
        named = dataset_id(other)
        if named is not None:
            kind = "TABLE" if _place(flows, other).kind == "glue.table" else "LOCATION"
            identifiers.append({"namespace": named.namespace, "name": named.name, "type": kind})
    return identifiers


def _schema_fields(node: Node) -> list[dict[str, Any]]:
    """A catalogue table's columns, then its partition keys (queried as columns), as read from Glue."""
    if node.kind != "glue.table":
        return []
    columns = [*_column_list(node.attributes.get("columns")), *_column_list(node.attributes.get("partition_keys"))]
    fields = []
    for position, column in enumerate(columns, start=1):
        field: dict[str, Any] = {"name": str(column["name"])}
        if column.get("type"):
            field["type"] = str(column["type"])
        if column.get("comment"):
            field["description"] = str(column["comment"])
        field["ordinal_position"] = position
        fields.append(field)
    return fields


def _column_list(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [c for c in value if isinstance(c, Mapping) and c.get("name")]


def json_lines(events: Iterable[Mapping[str, Any]]) -> str:
    """One event per line, as OpenLineage's file transport writes them."""
    return "".join(json.dumps(event, sort_keys=False) + "\n" for event in events)


# --- sending ------------------------------------------------------------------------------------------------


class EndpointError(ValueError):
    """An endpoint URL the events cannot be sent to."""


class DeliveryError(Exception):
    """The first `sent` events arrived; the next one, `job`'s, did not, for `reason`."""

    def __init__(self, sent: int, job: str, reason: str) -> None:
        super().__init__(f"{sent} sent; {job}: {reason}")
        self.sent, self.job, self.reason = sent, job, reason


def lineage_endpoint(url: str) -> str:
    """Where to POST: a server's base URL (`http://localhost:5000`) gets Marquez's `/api/v1/lineage`; a URL
    with a path is taken as the full endpoint."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"{url!r} is not an http(s) URL")
    if parts.path in ("", "/"):
        return parts._replace(path=LINEAGE_PATH).geturl()
    return parts.geturl()


Opener = Callable[..., Any]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new place to send to: followed, a POST would become a GET without its event
    (counted as delivered on the next 200), and the token would go to wherever the redirect points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def post_events(events: Sequence[Mapping[str, Any]], endpoint: str, api_key: str | None = None,
                timeout: float = TIMEOUT_SECONDS, opener: Opener = _OPENER.open) -> int:
    """POST each event as JSON, in order; the number sent. `DeliveryError` at the first that fails: an HTTP
    status other than 2xx (a redirect included), a refused connection, a timeout."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    for sent, event in enumerate(events):
        body = json.dumps(event, sort_keys=False).encode("utf-8")
        request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
        job = str(event.get("job", {}).get("name", ""))
        try:
            with opener(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise DeliveryError(sent, job, f"HTTP {error.code} {error.reason}{_answer(error)}") from None
        except urllib.error.URLError as error:
            raise DeliveryError(sent, job, str(error.reason)) from None
        except (OSError, ValueError) as error:  # a timeout while reading, a connection reset, a bad URL
            raise DeliveryError(sent, job, str(error) or type(error).__name__) from None
    return len(events)


def _answer(error: urllib.error.HTTPError) -> str:
    """The start of what the server said, on one line: Marquez explains a rejected event in its body."""
    try:
        text = error.read(300).decode("utf-8", "replace")
    except (OSError, ValueError):
        return ""
    text = " ".join(text.split())
    return f": {text[:200]}" if text else ""
