"""Every AWS call a scan makes, broken one at a time in each way a real account breaks it.

The operations come from the collectors' declarations (`collectors.all_calls()`), so a call is under
test the day it is declared. The estate is the demo's, in moto; a fault is injected on one operation
only, at the HTTP layer (botocore's `before-send`), so the client's retries, parsers and error
handling all run as they would against AWS. Each scan must end `partial` with a gap naming that
operation, and keep everything that does not depend on it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.endpoint
import botocore.retries.bucket
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from moto import mock_aws

from collectors import COLLECTORS, all_calls
from collectors.context import GET_CALLER_IDENTITY
from collectors.declarations import Call, Collector
from lineage import arn as arns
from lineage.cli import main
from lineage.demo import ACCOUNT, CURATED, RAW, REGION, build_estate
from lineage.model import Facts, Node, Scan, ScanStatus
from lineage.moto_support import seed_macie_findings
from lineage.scan import ScanOptions, run_scan
from store.repository import load_scan, open_store
from tests.collectors.recorded_answers import recorded

CALLS: tuple[Call, ...] = all_calls()
BY_NAME: Mapping[str, Call] = {call.name: call for call in CALLS}


# --- faults ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    retried: bool  # the client retries it: every attempt meets the fault, and the last one is the answer


ACCESS_DENIED = Fault("access-denied", retried=False)
THROTTLED = Fault("throttled", retried=True)
TIMEOUT = Fault("timeout", retried=True)
SERVER_ERROR = Fault("server-error", retried=True)
UNPARSEABLE = Fault("unparseable", retried=False)
LACKS_FIELDS = Fault("lacks-fields", retried=False)
FAULTS: tuple[Fault, ...] = (ACCESS_DENIED, THROTTLED, TIMEOUT, SERVER_ERROR, UNPARSEABLE, LACKS_FIELDS)

# What a proxy in the way answers: neither XML nor JSON.
UNPARSEABLE_BODY = b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx"
S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
JSON_PROTOCOLS = ("json", "rest-json")  # the body is JSON, errors named by `__type` (Macie, Lake Formation)


class _Body:
    """The raw body botocore reads a response from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data

    def read(self, *_: Any, **__: Any) -> bytes:
        return self._data


def _error_body(model: Any, code: str, message: str) -> bytes:
    protocol = model.service_model.protocol
    if protocol in JSON_PROTOCOLS:
        return json.dumps({"__type": code, "message": message}).encode()
    if protocol == "query":
        namespace = model.metadata.get("xmlNamespace", "")
        return (f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{code}</Code>'
                f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>").encode()
    return f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>".encode()


def _empty_body(model: Any) -> bytes:
    """A well-formed answer with no fields: what the parser reads, without anything the transform needs."""
    protocol = model.service_model.protocol
    if protocol in JSON_PROTOCOLS:
        return b"{}"
    output = model.output_shape
    if protocol == "query":
        namespace = model.metadata.get("xmlNamespace", "")
        wrapper = output.serialization.get("resultWrapper", f"{model.name}Result")
        return f'<{model.name}Response xmlns="{namespace}"><{wrapper}/></{model.name}Response>'.encode()
    payload = output.serialization.get("payload")
    if payload:
        member = output.members[payload]
        if member.type_name != "structure":  # the body is the value itself (a policy document): empty
            return b""
        root = member.serialization.get("name", payload)
    else:  # botocore reads the root's children whatever the root is called
        root = f"{model.name}Result"
    return f'<{root} xmlns="{S3_NAMESPACE}"/>'.encode()


def _status_code_and_body(fault: Fault, model: Any) -> tuple[int, bytes]:
    json_protocol = model.service_model.protocol in JSON_PROTOCOLS
    s3 = model.service_model.endpoint_prefix == "s3"
    if fault is ACCESS_DENIED:
        return 403, _error_body(model, "AccessDeniedException" if json_protocol else "AccessDenied",
                                "User is not authorized to perform this action")
    if fault is THROTTLED:
        if s3:
            return 503, _error_body(model, "SlowDown", "Please reduce your request rate.")
        return 400, _error_body(model, "ThrottlingException" if json_protocol else "Throttling", "Rate exceeded")
    if fault is SERVER_ERROR:
        return 500, _error_body(model, "InternalFailure" if json_protocol else "InternalError",
                                "We encountered an internal error. Please try again.")
    if fault is UNPARSEABLE:
        return 200, UNPARSEABLE_BODY
    assert fault is LACKS_FIELDS
    return 200, _empty_body(model)


def _content_type(model: Any) -> str:
    if model.service_model.protocol == "json":
        return f"application/x-amz-json-{model.service_model.metadata.get('jsonVersion', '1.0')}"
    if model.service_model.protocol == "rest-json":
        return "application/json"
    return "text/xml"


class Injector:
    """A `before-send` handler for one operation: every attempt of it meets the fault; attempts are counted."""

    def __init__(self, call: Call, fault: Fault, attempts: Counter[str], lock: threading.Lock) -> None:
        self.call = call
        self.fault = fault
        self._attempts = attempts
        self._lock = lock

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        with self._lock:
            self._attempts[self.call.name] += 1
        if self.fault is TIMEOUT:
            raise ReadTimeoutError(endpoint_url=request.url)
        model = _operation_model(self.call)
        status, body = _status_code_and_body(self.fault, model)
        headers = {"Content-Type": _content_type(model), "x-amzn-RequestId": "fault", "x-amz-request-id": "fault"}
        return AWSResponse(request.url, status, headers, _Body(body))


_SERVICE_MODELS: dict[str, Any] = {}  # client name → its service model, as the scan's clients load it


def _service_model(session: boto3.Session, call: Call) -> Any:
    if call.client not in _SERVICE_MODELS:
        _SERVICE_MODELS[call.client] = session.client(call.client, region_name=REGION).meta.service_model
    return _SERVICE_MODELS[call.client]


def _operation_model(call: Call) -> Any:
    return _SERVICE_MODELS[call.client].operation_model(call.operation)


# --- the estate -----------------------------------------------------------------------------------


def _collector_of(call: Call) -> Collector | None:
    return next((collector for collector in COLLECTORS if call in collector.calls), None)


class _VirtualTime:
    """Time as botocore's retry machinery sees it: every wait moves it on at once, so a case meets all its
    retries (and the adaptive rate limiter's waits for tokens) without spending them.

    The back-off between attempts is `time.sleep` in `botocore.endpoint`; the rate limiter that adaptive
    mode turns on after throttling waits on a condition of its token bucket, timed by the bucket's clock.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def wait(self, seconds: float | None) -> None:
        with self._lock:
            self._offset += max(0.0, seconds or 0.0)

    def patch(self, patch: pytest.MonkeyPatch) -> None:
        virtual = self

        class EndpointTime:
            sleep = staticmethod(virtual.wait)

            def __getattr__(self, name: str) -> Any:
                return getattr(time, name)

        class Clock:
            def sleep(self, amount: float) -> None:
                virtual.wait(amount)

            def current_time(self) -> float:
                return virtual.now()

        class Condition(threading.Condition):
            def wait(self, timeout: float | None = None) -> bool:
                virtual.wait(timeout)
                return False

        class Threading:
            def __getattr__(self, name: str) -> Any:
                return Condition if name == "Condition" else getattr(threading, name)

        patch.setattr(botocore.endpoint, "time", EndpointTime())
        patch.setattr(botocore.retries.bucket, "Clock", Clock)
        patch.setattr(botocore.retries.bucket, "threading", Threading())


class Estate:
    """The demo estate in moto, one session, and scans of it with faults injected."""

    def __init__(self, session: boto3.Session) -> None:
        self.session = session
        self._lock = threading.Lock()
        self.clean = self.scan({})[0]
        self._denied: dict[str, Scan] = {}  # listing name → a scan with only that listing denied

    @contextmanager
    def faults(self, faults: Mapping[Call, Fault]) -> Iterator[Counter[str]]:
        """Every client made meanwhile from the session meets `faults`; yields the attempts per operation."""
        attempts: Counter[str] = Counter()
        registered = []
        for call, fault in faults.items():
            event = f"before-send.{_service_model(self.session, call).service_id.hyphenize()}.{call.operation}"
            unique = f"fault-{call.name}"
            # First, so it answers before moto's own stub does.
            self.session.events.register_first(event, Injector(call, fault, attempts, self._lock), unique_id=unique)
            registered.append((event, unique))
        try:
            yield attempts
        finally:
            for event, unique in registered:
                self.session.events.unregister(event, unique_id=unique)

    def scan(self, faults: Mapping[Call, Fault]) -> tuple[Scan, Counter[str]]:
        with self.faults(faults) as attempts:
            scan, _ = run_scan(ScanOptions(regions=(REGION,)), session=self.session)
        return scan, attempts

    def denied(self, listing: Call) -> Scan:
        if listing.name not in self._denied:
            self._denied[listing.name] = self.scan({listing: ACCESS_DENIED})[0]
        return self._denied[listing.name]

    def prerequisite(self, call: Call) -> Call | None:
        """For a call a clean scan does not make: the listing of its collector whose failure makes the scan
        read by name, and so make it. None when the clean scan makes it, or when nothing does."""
        if call.name in self.clean.api_calls:
            return None
        collector = _collector_of(call)
        listings = dict.fromkeys(collector.listings.values()) if collector else {}
        return next((listing for listing in listings if call.name in self.denied(listing).api_calls), None)

    def baseline(self, call: Call) -> Scan:
        """What the scan reads when only what `call` needs to be made fails: the clean scan for most."""
        prerequisite = self.prerequisite(call)
        return self.clean if prerequisite is None else self.denied(prerequisite)


def _labels(client: Callable[[str], Any]) -> None:
    """What says which data is personal, beyond the demo's: LF-tags on its catalog (a database, a column) and
    Macie running, with a finding on an object the job writes; so the clean scan makes every call."""
    tags = client("lakeformation")
    tags.create_lf_tag(TagKey="pii", TagValues=["email", "none"])
    tags.add_lf_tags_to_resource(Resource={"Database": {"Name": "curated"}},
                                 LFTags=[{"TagKey": "pii", "TagValues": ["none"]}])
    tags.add_lf_tags_to_resource(Resource={"TableWithColumns": {"DatabaseName": "curated", "Name": "enrollments",
                                                                "ColumnNames": ["student_email"]}},
                                 LFTags=[{"TagKey": "pii", "TagValues": ["email"]}])
    client("macie2").enable_macie()
    finding = recorded("macie")["GetFindings"]["findings"][0]
    key = "enrollments/dt=2025-01-01/part-0.parquet"
    finding["resourcesAffected"] = {"s3Bucket": {"arn": arns.bucket_arn(CURATED), "name": CURATED},
                                    "s3Object": {"bucketArn": arns.bucket_arn(CURATED), "key": key,
                                                 "path": f"{CURATED}/{key}"}}
    seed_macie_findings(ACCOUNT, REGION, [{**finding, "accountId": ACCOUNT, "region": REGION}])


@pytest.fixture(scope="module")
def estate() -> Iterator[Estate]:
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        _VirtualTime().patch(patch)
        session = boto3.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name=REGION)
        build_estate(lambda service: session.client(service))
        _labels(lambda service: session.client(service))
        yield Estate(session)


# --- what a scan kept -----------------------------------------------------------------------------


# Services whose nodes' kinds are named otherwise than the calls that read them.
_KIND_PREFIX: Mapping[str, str] = {"elasticmapreduce": "emr", "emr-serverless": "emr_serverless",
                                   "apigatewayv2": "apigateway"}


def _service_of(node: Node) -> str:
    """The service a node's kind names, as its kind names it."""
    return node.kind.split(".", 1)[0]


def _kind_prefix(call: Call) -> str:
    """What the kinds of the nodes a call reads start with."""
    return _KIND_PREFIX.get(call.service, call.service)


NodeKey = Callable[[Node], Any]


def _by_id(node: Node) -> Any:
    return node.id


def _by_kind_and_name(node: Node) -> Any:
    return node.kind, node.name


def _observed(scan: Scan, key: NodeKey, keep: Callable[[Node], bool]) -> dict[Any, Node]:
    """Observed nodes `keep` accepts. An S3 location is left out: it is a path that some flow names, not
    something a collector reads, so it stands or falls with those flows (compared in `_flows`)."""
    return {key(node): node for node in scan.nodes if node.observed and keep(node) and node.kind != "s3.location"}


def _flows(scan: Scan, key: NodeKey, keep: Callable[[Node], bool]) -> set[tuple[Any, Any, str]]:
    """Flow edges between observed nodes that `keep` accepts, by the nodes' keys."""
    nodes = {node.id: node for node in scan.nodes if node.observed and keep(node)}
    return {(key(nodes[e.source]), key(nodes[e.target]), e.kind.value) for e in scan.edges
            if e.kind.is_flow and e.source in nodes and e.target in nodes}


def _gaps_of(scan: Scan, call: Call) -> list[Any]:
    return [gap for gap in scan.coverage_gaps if gap.service == call.service and gap.operation == call.operation]


def _buckets(scan: Scan) -> list[Node]:
    return [node for node in scan.nodes if node.kind == "s3.bucket" and node.observed]


# What a collector that lists nothing (KMS) finds each resource with: its first call, which reads one
# resource by the name other facts give it. It fails as a listing fails: that resource is not read.
FINDS = frozenset(collector.calls[0].name for collector in COLLECTORS if collector.named_in is not None)


def _named(scan: Scan, with_kinds: bool = False) -> set[Any]:
    """What the collectors that list nothing (KMS keys, IAM roles) find named in a scan: ids, or (kind, id)."""
    facts = [Facts(tuple(scan.nodes))]
    return {(node.kind, node.id) if with_kinds else node.id for collector in COLLECTORS
            if collector.named_in is not None for node in collector.named_in(facts, ACCOUNT)}


# An empty answer from these calls is a fact, not a gap (AWS itself answers so): read as that meaning.
EMPTY_MEANS: Mapping[str, Callable[[Scan], bool]] = {
    # No LocationConstraint: the bucket is in us-east-1.
    "s3:GetBucketLocation": lambda scan: all(b.region == "us-east-1" for b in _buckets(scan)),
    # No Status: versioning was never enabled.
    "s3:GetBucketVersioning": lambda scan: all(b.attributes["versioning"] == "Disabled" for b in _buckets(scan)),
    # No configuration at all: nothing is sent to EventBridge.
    "s3:GetBucketNotificationConfiguration":
        lambda scan: all(b.attributes["eventbridge_notifications"] is False for b in _buckets(scan)),
    # No QueueUrls: there is no queue to read; one the rules name stays a node only referenced.
    "sqs:ListQueues": lambda scan: all(not n.observed for n in scan.nodes if n.kind == "sqs.queue"),
    # No Tags: the queue has none.
    "sqs:ListQueueTags": lambda scan: all(n.attributes["tags"] == {} for n in scan.nodes
                                          if n.kind == "sqs.queue" and n.observed),
    # No KinesisDataStreamDestinations: the table's changes go to no stream.
    "dynamodb:DescribeKinesisStreamingDestination": lambda scan: not any(
        e.source.startswith("arn:aws:dynamodb:") and e.target.startswith("arn:aws:kinesis:") for e in scan.edges),
    # No Topics: there is no topic to read; one an EventBridge target names stays a node only referenced.
    "sns:ListTopics": lambda scan: all(not n.observed for n in scan.nodes if n.kind == "sns.topic"),
    "sns:ListTagsForResource": lambda scan: all(n.attributes["tags"] == {} for n in scan.nodes
                                                if n.kind == "sns.topic" and n.observed),
    # No Subscriptions: nothing hears from the topic.
    "sns:ListSubscriptionsByTopic": lambda scan: all(n.attributes["subscriptions"] == 0 for n in scan.nodes
                                                     if n.kind == "sns.topic" and n.observed),
    # No subscriptionFilters: the group's events go nowhere else; no tags: it has none.
    "logs:DescribeSubscriptionFilters": lambda scan: not any(
        e.source.startswith("arn:aws:logs:") and e.kind.is_flow for e in scan.edges),
    "logs:ListTagsForResource": lambda scan: all(n.attributes["tags"] == {} for n in scan.nodes
                                                 if n.kind == "logs.log_group" and n.observed),
    # No Tags on the schedule groups: the schedules carry none.
    "scheduler:ListTagsForResource": lambda scan: all(n.attributes["tags"] == {} for n in scan.nodes
                                                      if n.kind == "scheduler.schedule" and n.observed),
    # No Tags (QuickSight answers none rather than an empty list): the dataset has none.
    "quicksight:ListTagsForResource": lambda scan: all(n.attributes["tags"] == {} for n in scan.nodes
                                                       if n.kind == "quicksight.dataset" and n.observed),
    # No loggingConfig: model invocation logging is off; no prompt is copied anywhere.
    "bedrock:GetModelInvocationLoggingConfiguration": lambda scan: [
        n.attributes for n in scan.nodes if n.kind == "bedrock.invocation_logging"] == [{"enabled": False}] and not any(
        ":model-invocation-logging" in f"{e.source} {e.target}" for e in scan.edges),
}


# --- the estate exercises every call --------------------------------------------------------------


def test_a_clean_scan_of_the_estate_is_complete(estate: Estate) -> None:
    assert estate.clean.status == ScanStatus.COMPLETE, estate.clean.coverage_gaps
    assert estate.clean.accounts == (ACCOUNT,)
    assert {(n.kind, n.name) for n in _buckets(estate.clean)} >= {("s3.bucket", RAW), ("s3.bucket", CURATED)}


def test_every_declared_call_is_made_by_a_clean_scan_or_after_its_listing_fails(estate: Estate) -> None:
    made = set(estate.clean.api_calls)
    declared = {call.name for call in CALLS}
    assert made - declared == set(), "the scan makes calls no collector declares"
    followed = {call.name: estate.prerequisite(call) for call in CALLS if call.name not in made}
    never = sorted(name for name, listing in followed.items() if listing is None)
    assert never == [], "the estate never makes these calls, so their faults cannot be tested: extend it"
    # Reading one by one is what a failed listing is followed by; a listing itself is always made.
    assert not any(BY_NAME[name].is_listing for name in followed)
    assert {name: listing.name for name, listing in followed.items() if listing} == {
        "glue:GetDatabase": "glue:GetDatabases",
        "glue:GetJob": "glue:GetJobs",
        "glue:GetCrawler": "glue:GetCrawlers",
    }


def test_the_labels_land_on_the_nodes_the_scan_reads(estate: Estate) -> None:
    nodes = {n.id: n for n in estate.clean.nodes}
    table = nodes[arns.glue_table_arn(REGION, ACCOUNT, "curated", "enrollments")]
    assert table.observed and table.attributes["location"] == f"s3://{CURATED}/enrollments/"
    assert table.attributes["lf_tags"] == {"pii": ["none"]}  # as the database has it
    assert table.attributes["lf_column_tags"] == {"student_email": {"pii": ["email"]}}
    assert nodes[arns.glue_database_arn(REGION, ACCOUNT, "curated")].attributes["lf_tags"] == {"pii": ["none"]}
    [finding] = nodes[arns.s3_location_id(CURATED, "enrollments/dt=2025-01-01")].attributes["macie_findings"]
    assert finding["key"] == "enrollments/dt=2025-01-01/part-0.parquet"
    assert {"category": "PERSONAL_INFORMATION", "type": "EMAIL_ADDRESS", "count": 12} in finding["detections"]


# --- every call, every fault ----------------------------------------------------------------------


def _case_id(value: Any) -> str:
    return value.name


@pytest.mark.fault_matrix  # counted by this folder's conftest
@pytest.mark.parametrize("fault", FAULTS, ids=_case_id)
@pytest.mark.parametrize("call", CALLS, ids=_case_id)
def test_one_faulty_call_costs_only_what_depends_on_it(estate: Estate, call: Call, fault: Fault) -> None:
    prerequisite = estate.prerequisite(call)
    baseline = estate.baseline(call)
    faults = {prerequisite: ACCESS_DENIED} if prerequisite else {}
    scan, attempts = estate.scan({**faults, call: fault})  # never raises: that is the first thing tested

    assert attempts[call.name] >= 1, f"{call.name} was never attempted: the fault was not met"
    if fault.retried:  # past the retries: the client tried again, and every attempt met the fault
        assert attempts[call.name] > scan.api_calls[call.name], "the client did not retry"

    gaps = _gaps_of(scan, call)
    if fault is LACKS_FIELDS and call.empty_is_an_answer:
        # An empty answer here means something (see EMPTY_MEANS): a complete scan, read as that meaning.
        expected = ScanStatus.PARTIAL if faults else ScanStatus.COMPLETE
        assert scan.status == expected, scan.coverage_gaps
        assert gaps == []
        assert call.name in EMPTY_MEANS, f"say in EMPTY_MEANS what an empty {call.name} answer means"
        assert EMPTY_MEANS[call.name](scan), f"an empty {call.name} answer was not read as what it means"
    else:
        assert scan.status == ScanStatus.PARTIAL, f"status {scan.status}, gaps {scan.coverage_gaps}"
        assert gaps, f"no gap names {call.name}; gaps: {scan.coverage_gaps}"

    # Without the account, ids built from names lose it: compare what each node is, not its id.
    key = _by_kind_and_name if call == GET_CALLER_IDENTITY else _by_id

    # A KMS key, an IAM role, is read because something names it: it stands or falls with what names it.
    still_named = _named(scan)
    named_kinds = {kind for kind, _ in _named(baseline, with_kinds=True)}

    def elsewhere(node: Node) -> bool:
        if node.kind in named_kinds and not still_named & {node.id, *(node.attributes.get("named_as") or ())}:
            return False
        return _service_of(node) != _kind_prefix(call)

    kept = _observed(scan, key, elsewhere)
    lost = sorted(str(k) for k in _observed(baseline, key, elsewhere).keys() - kept.keys())
    assert lost == [], f"observed nodes of other services lost to a fault on {call.name}"
    missing = sorted(map(str, _flows(baseline, key, elsewhere) - _flows(scan, key, elsewhere)))
    assert missing == [], f"flows between other services' nodes lost to a fault on {call.name}"

    if not call.is_listing and call.name not in FINDS:
        # A per-resource answer costs at most the resource it describes, never the whole collector.
        def here(node: Node) -> bool:
            return _service_of(node) == _kind_prefix(call)

        before = {key(node) for node in baseline.nodes if here(node) and node.observed}
        after = {key(node) for node in scan.nodes if here(node)}
        assert sorted(map(str, before - after)) == [], f"{call.service} resources lost to a fault on {call.name}"
        collector = _collector_of(call)
        if collector is not None and prerequisite is None:
            # What the collector listed stays read (marked unread where it is): only a call that reads one
            # resource by name, after its listing failed, may cost that resource.
            listed = set(collector.listings)
            before = {key(node) for node in baseline.nodes if node.kind in listed and node.observed}
            after = {key(node) for node in scan.nodes if node.kind in listed and node.observed}
            assert sorted(map(str, before - after)) == [], f"listed resources unread after a fault on {call.name}"

    if call == GET_CALLER_IDENTITY:  # the ARNs read still name the account
        assert ACCOUNT in scan.accounts, "the account is not learned from what was read"


def test_a_failed_bucket_policy_keeps_every_bucket_with_the_policy_unread(estate: Estate) -> None:
    scan, _ = estate.scan({BY_NAME["s3:GetBucketPolicy"]: UNPARSEABLE})
    assert {b.name for b in _buckets(scan)} == {b.name for b in _buckets(estate.clean)}
    for bucket in _buckets(scan):
        assert "policy" in bucket.attributes["unread"] and "policy" not in bucket.attributes
        assert "lifecycle_rules" in bucket.attributes, "the bucket's other configuration is still read"


def test_a_failed_describe_keeps_the_machine_as_a_node_marked_unread(estate: Estate) -> None:
    scan, _ = estate.scan({BY_NAME["states:DescribeStateMachine"]: TIMEOUT})
    machines = [n for n in scan.nodes if n.kind == "states.state_machine"]
    assert [m.name for m in machines] == ["enrollment-etl"]
    assert machines[0].observed and machines[0].attributes["unread"] == ["definition", "configuration"]


# --- a listing that fails does not hide what flows name -------------------------------------------


def test_denied_bucket_listing_still_reads_the_buckets_flows_name(estate: Estate) -> None:
    scan, _ = estate.scan({BY_NAME["s3:ListBuckets"]: ACCESS_DENIED})
    assert _gaps_of(scan, BY_NAME["s3:ListBuckets"])
    clean = {n.id: n for n in estate.clean.nodes}
    nodes = {n.id: n for n in scan.nodes}
    # The raw bucket is behind the machine's export and the job's arguments; the curated one behind
    # the job's arguments, the crawler and the catalog table.
    for bucket in (RAW, CURATED):
        node = nodes.get(arns.bucket_arn(bucket))
        assert node is not None and node.observed, f"{bucket} was not read by name"
        assert "unread" not in node.attributes
        assert node.attributes["lifecycle_rules"] == clean[arns.bucket_arn(bucket)].attributes["lifecycle_rules"]
    assert scan.api_calls["s3:GetBucketLocation"] >= 2, "a bucket read by name is located first"


def test_denied_job_listing_still_reads_the_job_the_machine_runs(estate: Estate) -> None:
    scan, _ = estate.scan({BY_NAME["glue:GetJobs"]: ACCESS_DENIED})
    job = {n.id: n for n in scan.nodes}.get(arns.glue_job_arn(REGION, ACCOUNT, "curate-enrollments"))
    assert job is not None and job.observed, "the job the state machine runs was not read by name"
    assert scan.api_calls["glue:GetJob"] == 1
    assert job.attributes["arguments"]["--output_path"] == f"s3://{CURATED}/enrollments/"


def test_denied_machine_listing_still_describes_the_machine_the_rule_targets(estate: Estate) -> None:
    scan, _ = estate.scan({BY_NAME["states:ListStateMachines"]: ACCESS_DENIED})
    machine_id = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:enrollment-etl"
    machine = {n.id: n for n in scan.nodes}.get(machine_id)
    assert machine is not None and machine.observed, "the machine the rule targets was not described by ARN"
    assert "unread" not in machine.attributes
    flows_from_machine = {(e.target, e.kind) for e in scan.edges if e.source == machine_id}
    clean_flows = {(e.target, e.kind) for e in estate.clean.edges if e.source == machine_id}
    assert flows_from_machine == clean_flows, "its definition was not read"


# --- through the command line ---------------------------------------------------------------------


@pytest.mark.parametrize(("operation", "fault"), [
    ("s3:ListBuckets", ACCESS_DENIED),
    ("s3:GetBucketPolicy", UNPARSEABLE),
    ("sts:GetCallerIdentity", UNPARSEABLE),
    ("sts:GetCallerIdentity", LACKS_FIELDS),
    ("states:DescribeStateMachine", TIMEOUT),
    ("glue:GetTables", THROTTLED),
], ids=lambda value: value if isinstance(value, str) else value.name)
def test_the_command_prints_the_gap_and_exits_zero(estate: Estate, operation: str, fault: Fault, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(boto3, "Session", lambda *_, **__: estate.session)
    db = f"sqlite:///{tmp_path / 'lineage.db'}"
    with estate.faults({BY_NAME[operation]: fault}):
        try:
            main(["scan", "--region", REGION, "--db", db])
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err and "unexpected error" not in err, err
    printed = " ".join(out.split())  # the summary wraps at the terminal's width
    assert "· partial" in printed
    assert f"({operation}" in printed, f"the summary does not name {operation}:\n{out}"
    stored = load_scan(open_store(db), None)
    assert stored.status == ScanStatus.PARTIAL and any(g.operation == BY_NAME[operation].operation
                                                       for g in stored.coverage_gaps)
