"""OpenLineage run events of a real scan: every event valid against OpenLineage's own published schema (spec 2-0-2,
`#/$defs/RunEvent`) and every facet against its facet schema; datasets named by the naming conventions; places known
only at run time never given a name; the same scan, the same bytes; and `lineage export --format openlineage --to`
delivering them to an HTTP receiver, or saying in one line why not.

The schemas in tests/viz/data are OpenLineage's (Apache-2.0): spec/OpenLineage.json and spec/facets/*.json of
OpenLineage/OpenLineage at 8f02abfb7a252783b95df79f443edb13959bf52c.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from jsonschema import Draft202012Validator
from moto import mock_aws
from referencing import Registry, Resource

from lineage.demo import ACCOUNT, CURATED, REGION, build_estate
from lineage.files import PRIVATE
from lineage.model import Scan, Stage
from lineage.scan import ScanOptions, run_scan
from store.repository import load_scan, open_store, save_scan
from tests.e2e.conftest import free_port, lineage
from tests.viz.test_schema import DYNAMIC_BUCKET_MACHINE
from viz.openlineage import (
    RUN_EVENT_SCHEMA,
    DatasetId,
    DeliveryError,
    EndpointError,
    dataset_id,
    json_lines,
    lineage_endpoint,
    post_events,
    processing_type,
    producer,
    run_events,
)

DATA = Path(__file__).parent / "data"
CORE = json.loads((DATA / "openlineage-2-0-2.json").read_text(encoding="utf-8"))
FACET_SCHEMAS = [json.loads(path.read_text(encoding="utf-8"))
                 for path in sorted((DATA / "openlineage-facets").glob("*.json"))]

GLUE = f"arn:aws:glue:{REGION}:{ACCOUNT}"
TABLE = f"{GLUE}:table/curated/enrollments"
EXPORT_JOB = f"{GLUE}:job/export-enrollments"
CURATE_JOB = f"{GLUE}:job/curate-enrollments"
FAN_OUT = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:fan-out-export"
ENROLLMENT_API = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:enrollment-api"
DYNAMO_TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/enrollments"


# --- the scan ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scan() -> Scan:
    """The demo estate, a job that reads the catalogue table and writes S3, and a machine that writes to a bucket
    named only at run time: scanned as a real account is."""
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
        build_estate(lambda service: session.client(service))
        role = f"arn:aws:iam::{ACCOUNT}:role/learning-platform-role"
        session.client("glue").create_job(
            Name="export-enrollments", Role=role, GlueVersion="4.0",
            Command={"Name": "glueetl", "ScriptLocation": "s3://lp-glue-temp/scripts/export.py", "PythonVersion": "3"},
            DefaultArguments={"--source_database": "curated", "--source_table": "enrollments",
                              "--output_path": f"s3://{CURATED}/exports/"},
            Tags={"team": "data-platform", "cost-centre": "cc-1042"})
        session.client("stepfunctions").create_state_machine(
            name="fan-out-export", definition=json.dumps(DYNAMIC_BUCKET_MACHINE), roleArn=role)
        result, _ = run_scan(ScanOptions(regions=(REGION,)), session=session)
    return result


@pytest.fixture(scope="module")
def events(scan: Scan) -> list[dict[str, Any]]:
    return run_events(scan)


def event_of(events: list[dict[str, Any]], job: str) -> dict[str, Any]:
    [found] = [e for e in events if e["job"]["name"] == job]
    return found


def names(datasets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d["namespace"], d["name"]) for d in datasets]


# --- validation against OpenLineage's schemas ----------------------------------------------------------------


def registry() -> Registry:
    schemas = [CORE, *FACET_SCHEMAS]
    return Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)


def validator(ref: str) -> Draft202012Validator:
    """Draft 2020-12 with formats asserted (date-time, uuid): the published schema only annotates them."""
    return Draft202012Validator({"$ref": ref}, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


RUN_EVENT = f"{CORE['$id']}#/$defs/RunEvent"


def violations(instance: Any, ref: str) -> list[str]:
    found, pending = [], list(validator(ref).iter_errors(instance))
    while pending:
        error = pending.pop()
        found.append(f"{'/'.join(map(str, error.absolute_path)) or '(event)'}: {error.message}")
        pending.extend(error.context or ())
    return found


def facets_of(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from event["run"].get("facets", {}).items()
    yield from event["job"].get("facets", {}).items()
    for dataset in event["inputs"] + event["outputs"]:
        yield from dataset.get("facets", {}).items()


def assert_valid_event(event: dict[str, Any]) -> None:
    assert violations(event, RUN_EVENT) == []
    for uri in (event["producer"], event["schemaURL"]):
        assert urlsplit(uri).scheme, uri  # `format: uri`, which jsonschema checks only with rfc3987 installed
    for key, facet in facets_of(event):
        schema_url = facet["_schemaURL"]
        document = schema_url.partition("#")[0]
        [schema] = [s for s in FACET_SCHEMAS if s["$id"] == document]  # a facet at a version the tests hold
        assert key in schema["properties"], f"{key} is not the key {document} defines"
        assert violations(facet, schema_url) == [], key
        assert facet["_producer"] == event["producer"]


def test_the_schemas_are_openlineage_2_0_2_and_the_run_event_is_checked_strictly() -> None:
    Draft202012Validator.check_schema(CORE)
    assert CORE["$id"] == "https://openlineage.io/spec/2-0-2/OpenLineage.json"
    assert RUN_EVENT_SCHEMA == RUN_EVENT
    for schema in FACET_SCHEMAS:
        Draft202012Validator.check_schema(schema)
    good = {"eventType": "COMPLETE", "eventTime": "2026-03-01T09:00:00+00:00", "producer": producer(),
            "schemaURL": RUN_EVENT_SCHEMA, "run": {"runId": str(uuid.uuid4())},
            "job": {"namespace": "aws://1/eu-west-1", "name": "j"}}
    assert violations(good, RUN_EVENT) == []
    # The top-level `oneOf` takes an event without a run as a JobEvent: `#/$defs/RunEvent` does not.
    runless = {k: v for k, v in good.items() if k != "run"}
    assert Draft202012Validator(CORE).is_valid(runless)
    assert violations(runless, RUN_EVENT) != []
    assert violations({**good, "eventTime": "yesterday"}, RUN_EVENT) != []  # formats are asserted
    assert violations({**good, "run": {"runId": "run-1"}}, RUN_EVENT) != []
    assert violations({**good, "eventType": "DONE"}, RUN_EVENT) != []


def test_every_event_and_every_facet_is_valid(events: list[dict[str, Any]]) -> None:
    assert len(events) > 15
    for event in events:
        assert_valid_event(event)
    used = {facet["_schemaURL"].partition("#")[0] for event in events for _, facet in facets_of(event)}
    assert used == {s["$id"] for s in FACET_SCHEMAS}  # each schema kept is one a facet uses


def test_a_facet_that_breaks_its_schema_is_caught(events: list[dict[str, Any]]) -> None:
    broken = copy.deepcopy(event_of(events, EXPORT_JOB))
    del broken["inputs"][0]["facets"]["symlinks"]["identifiers"][0]["type"]
    with pytest.raises(AssertionError):
        assert_valid_event(broken)


# --- what the events say -------------------------------------------------------------------------------------


def test_a_glue_job_reading_a_table_and_writing_s3_has_exactly_those_datasets(scan: Scan,
                                                                                events: list[dict[str, Any]]) -> None:
    event = event_of(events, EXPORT_JOB)
    assert event["eventType"] == "COMPLETE" and event["eventTime"] == scan.finished_at
    assert event["job"]["namespace"] == f"aws://{ACCOUNT}/{REGION}"
    [table] = event["inputs"]
    assert (table["namespace"], table["name"]) == (GLUE, "table/curated/enrollments")
    assert table["facets"]["symlinks"]["identifiers"] == [
        {"namespace": f"s3://{CURATED}", "name": "enrollments", "type": "LOCATION"}]
    fields = table["facets"]["schema"]["fields"]
    assert [f["name"] for f in fields] == ["enrollment_id", "student_id", "student_email", "course_id",
                                           "completed_at", "dt"]  # the partition key is queried as a column
    assert fields[2] == {"name": "student_email", "type": "string", "description": "Student e-mail address",
                         "ordinal_position": 3}
    assert table["facets"]["datasetType"]["datasetType"] == "TABLE"
    assert event["outputs"] == [{"namespace": f"s3://{CURATED}", "name": "exports"}]
    facets = event["job"]["facets"]
    assert {k: facets["jobType"][k] for k in ("processingType", "integration", "jobType")} == {
        "processingType": "BATCH", "integration": "AWS_GLUE", "jobType": "JOB"}
    assert facets["tags"]["tags"] == [{"key": "cost-centre", "value": "cc-1042", "source": "AWS"},
                                      {"key": "team", "value": "data-platform", "source": "AWS"}]
    assert "glue.job export-enrollments" in facets["documentation"]["description"]
    assert "facets" not in event["run"]  # everything it moves has a name


def test_what_runs_without_end_is_a_streaming_job_and_the_rest_batch(scan: Scan, events: list[dict[str, Any]]) -> None:
    kinds = {node.id: node.kind for node in scan.nodes}
    types = {event["job"]["name"]: event["job"]["facets"]["jobType"]["processingType"] for event in events}
    streaming = {job for job, processing in types.items() if processing == "STREAMING"}
    # A stream has no end: its event says it runs; a batch job's closes the run the scan saw.
    assert {e["job"]["name"] for e in events if e["eventType"] == "RUNNING"} == streaming
    assert {e["eventType"] for e in events if e["job"]["name"] not in streaming} == {"COMPLETE"}
    # A stream's one run goes on from scan to scan; a batch job's run is the scan's own.
    later = run_events(replace(scan, id="20990101T000000Z-000000"))
    runs = {e["job"]["name"]: e["run"]["runId"] for e in events}
    later_runs = {e["job"]["name"]: e["run"]["runId"] for e in later}
    assert {job for job in runs if runs[job] == later_runs[job]} == streaming
    assert streaming == {job for job in types if kinds[job] in ("firehose.delivery_stream", "pipes.pipe")}
    assert {kinds[job] for job in streaming} == {"pipes.pipe"}  # the demo's one; its delivery stream is storage
    glue_job = next(node for node in scan.nodes if node.kind == "glue.job")
    assert processing_type(glue_job) == "BATCH"
    streaming_job = replace(glue_job, attributes={**glue_job.attributes, "command": "gluestreaming"})
    assert processing_type(streaming_job) == "STREAMING"


def test_a_location_holding_a_catalogue_table_names_the_table_as_its_symlink(events: list[dict[str, Any]]) -> None:
    event = event_of(events, CURATE_JOB)
    assert names(event["inputs"]) == [("s3://lp-raw-data", "enrollments")]
    assert names(event["outputs"]) == [(f"s3://{CURATED}", "enrollments"), ("s3://lp-glue-temp", "tmp")]
    curated = event["outputs"][0]
    assert curated["facets"]["symlinks"]["identifiers"] == [
        {"namespace": GLUE, "name": "table/curated/enrollments", "type": "TABLE"}]
    assert "facets" not in event["inputs"][0]  # the raw export is no table's location


def test_other_aws_places_are_named_by_their_arn_cut_after_the_account(events: list[dict[str, Any]]) -> None:
    rule = event_of(events, f"arn:aws:events:{REGION}:{ACCOUNT}:rule/learning-platform/enrollment-completed")
    assert names(rule["inputs"]) == [(f"arn:aws:events:{REGION}:{ACCOUNT}", "event-bus/learning-platform")]
    assert names(rule["outputs"]) == [(f"arn:aws:sns:{REGION}:{ACCOUNT}", "enrollment-notifications"),
                                      (f"arn:aws:sqs:{REGION}:{ACCOUNT}", "enrollment-events-dlq")]
    assert [d["facets"]["datasetType"]["datasetType"] for d in rule["outputs"]] == ["TOPIC", "QUEUE"]
    announcer = event_of(events, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:enrollment-announcer")
    assert names(announcer["inputs"]) == [(f"arn:aws:dynamodb:{REGION}:{ACCOUNT}", "table/enrollments")]
    assert announcer["job"]["facets"]["jobType"]["integration"] == "AWS_LAMBDA"


@pytest.mark.parametrize(("node_id", "expected"), [
    ("arn:aws:s3:::lp-raw-data", DatasetId("s3://lp-raw-data", "/")),
    ("arn:aws:s3:::lp-raw-data/landing/clickstream", DatasetId("s3://lp-raw-data", "landing/clickstream")),
    (TABLE, DatasetId(GLUE, "table/curated/enrollments")),
    ("arn:aws-cn:glue:cn-north-1:123456789012:table/db/t", DatasetId("arn:aws-cn:glue:cn-north-1:123456789012",
                                                                      "table/db/t")),
    (DYNAMO_TABLE, DatasetId(f"arn:aws:dynamodb:{REGION}:{ACCOUNT}", "table/enrollments")),
    (f"arn:aws:sqs:{REGION}:{ACCOUNT}:course-reminders", DatasetId(f"arn:aws:sqs:{REGION}:{ACCOUNT}",
                                                                  "course-reminders")),
    (f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/lp-clickstream", DatasetId(f"arn:aws:kinesis:{REGION}:{ACCOUNT}",
                                                                          "stream/lp-clickstream")),
    (f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/x", DatasetId(f"arn:aws:logs:{REGION}:{ACCOUNT}",
                                                                         "log-group:/aws/lambda/x")),
    ("postgresql://catalog.cluster-c1.us-east-1.rds.amazonaws.com:5432/catalog",
     DatasetId("postgres://catalog.cluster-c1.us-east-1.rds.amazonaws.com:5432", "catalog")),
    (f"dynamic:{FAN_OUT}#States.Put.Parameters.Bucket.$", None),
    ("course-reminders", None),
    ("https://user:secret@example.com/x", None),  # never a name carrying a credential
])
def test_dataset_names_follow_the_conventions(node_id: str, expected: DatasetId | None) -> None:
    assert dataset_id(node_id) == expected
    if expected is not None and expected.namespace.startswith("arn:"):
        assert f"{expected.namespace}:{expected.name}" == node_id  # the ARN back, whole


def test_a_place_known_only_at_run_time_is_never_named_and_is_said_to_be_missing(
        events: list[dict[str, Any]]) -> None:
    event = event_of(events, FAN_OUT)
    assert event["inputs"] == [] and event["outputs"] == []
    failed = event["run"]["facets"]["extractionError"]
    assert (failed["totalTasks"], failed["failedTasks"]) == (1, 1)
    [error] = failed["errors"]
    assert error["task"] == f"dynamic:{FAN_OUT}#States.Fan.Branches[0].States.Put.Parameters.Bucket.$"
    assert error["errorMessage"].startswith("writes a place known only at run time ($.bucket)")
    for each in events:
        for dataset in each["inputs"] + each["outputs"]:
            assert "dynamic:" not in dataset["namespace"] + dataset["name"] and "$" not in dataset["name"]


def test_a_place_named_without_a_direction_is_neither_input_nor_output(events: list[dict[str, Any]]) -> None:
    event = event_of(events, ENROLLMENT_API)
    assert event["inputs"] == []
    assert names(event["outputs"]) == [(f"arn:aws:logs:{REGION}:{ACCOUNT}", "log-group:/aws/lambda/enrollment-api")]
    [error] = event["run"]["facets"]["extractionError"]["errors"]
    assert error["task"] == DYNAMO_TABLE and "without saying whether it reads or writes it" in error["errorMessage"]


def test_one_job_per_computing_node_that_moves_data(scan: Scan, events: list[dict[str, Any]]) -> None:
    jobs = [e["job"]["name"] for e in events]
    assert jobs == sorted(jobs) and len(set(jobs)) == len(jobs)
    stages = {n.id: n for n in scan.nodes}
    assert all(stages[job].stage is Stage.PROCESSING for job in jobs)
    kinds = {stages[job].kind for job in jobs}
    assert {"glue.job", "glue.crawler", "states.state_machine", "lambda.function", "emr.cluster",
            "events.rule", "pipes.pipe"} <= kinds
    assert not kinds & {"kms.key", "iam.role", "glue.catalog"}  # they move no data: no lineage to tell
    datasets = {d["namespace"] for e in events for d in e["inputs"] + e["outputs"]}
    assert not any(namespace.startswith(("aws://", "arn:aws:lambda", "arn:aws:states")) for namespace in datasets)


def test_the_same_scan_gives_the_same_events_whatever_the_order(scan: Scan, events: list[dict[str, Any]]) -> None:
    shuffled = replace(scan, nodes=tuple(reversed(scan.nodes)), edges=tuple(reversed(scan.edges)))
    assert json_lines(run_events(shuffled)) == json_lines(events)
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "pkg:pypi/aws-lineage")
    batch = [e for e in events if e["job"]["facets"]["jobType"]["processingType"] == "BATCH"]
    for event in batch:
        assert event["run"]["runId"] == str(uuid.uuid5(namespace, f"{scan.id}\n{event['job']['name']}"))
    assert len({e["run"]["runId"] for e in events}) == len(events)
    later = run_events(replace(scan, id="20261201T000000Z-000000"))
    assert not {e["run"]["runId"] for e in later} & {e["run"]["runId"] for e in batch}


def test_a_namespace_given_names_every_job(scan: Scan) -> None:
    events = run_events(scan, namespace="lineage-prod")
    assert {e["job"]["namespace"] for e in events} == {"lineage-prod"}
    assert event_of(events, EXPORT_JOB)["inputs"][0]["namespace"] == GLUE  # datasets keep their own


def test_json_lines_are_one_event_a_line(events: list[dict[str, Any]]) -> None:
    lines = json_lines(events).splitlines()
    assert [json.loads(line) for line in lines] == events


@pytest.mark.parametrize(("given", "endpoint"), [
    ("http://localhost:5000", "http://localhost:5000/api/v1/lineage"),
    ("http://localhost:5000/", "http://localhost:5000/api/v1/lineage"),
    ("https://lineage.example.com/api/v1/lineage", "https://lineage.example.com/api/v1/lineage"),
    ("https://ingest.example.com/openlineage/events", "https://ingest.example.com/openlineage/events"),
])
def test_a_base_url_gets_the_marquez_path_and_a_full_one_is_kept(given: str, endpoint: str) -> None:
    assert lineage_endpoint(given) == endpoint


@pytest.mark.parametrize("given", ["ftp://host/x", "localhost:5000", "http://", ""])
def test_an_endpoint_that_is_not_http_is_refused(given: str) -> None:
    with pytest.raises(EndpointError):
        lineage_endpoint(given)


# --- the command, end to end -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database(scan: Scan, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("openlineage") / "lineage.db"
    engine = open_store(f"sqlite:///{path}")
    save_scan(engine, scan)
    engine.dispose()
    return str(path)


def stored_events(database: str) -> list[dict[str, Any]]:
    engine = open_store(f"sqlite:///{database}")
    try:
        return run_events(load_scan(engine, None))
    finally:
        engine.dispose()


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    content_type: str
    authorization: str | None
    body: bytes


@contextmanager
def receiver(status: int = 201, answer: bytes = b"") -> Iterator[tuple[str, list[Received]]]:
    """An HTTP server on a free port that keeps what is POSTed to it and answers `status`."""
    received: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append(Received(self.path, self.headers.get("Content-Type", ""),
                                     self.headers.get("Authorization"), body))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


NO_PROXY = {"no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"}


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_the_events_reach_an_openlineage_server_valid_and_whole(scan: Scan, database: str) -> None:
    expected = stored_events(database)
    assert expected == run_events(scan)  # the store keeps all the events depend on
    with receiver() as (url, received):
        result = lineage("export", "--db", database, "--format", "openlineage", "--to", url,
                         env={**NO_PROXY, "LINEAGE_OPENLINEAGE_API_KEY": "ol-token-7f3a"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert one_line(result.stderr) == f"sent {len(expected)} OpenLineage events to {url}/api/v1/lineage"
    assert [r.path for r in received] == ["/api/v1/lineage"] * len(expected)
    assert {r.content_type for r in received} == {"application/json"}
    assert {r.authorization for r in received} == {"Bearer ol-token-7f3a"}
    posted = [json.loads(r.body) for r in received]
    assert posted == expected
    for event in posted:
        assert_valid_event(event)


def test_a_server_error_stops_the_sending_in_one_line_and_exit_1(database: str) -> None:
    first = stored_events(database)[0]["job"]["name"]
    total = len(stored_events(database))
    with receiver(500, b'{"code": 500,\n "message": "database unavailable"}') as (url, received):
        result = lineage("export", "--db", database, "--format", "openlineage", "--to", f"{url}/ingest/events",
                         env={**NO_PROXY, "LINEAGE_OPENLINEAGE_API_KEY": ""})
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"lineage: sent 0 of {total} OpenLineage events to {url}/ingest/events; event 1 (job {first}) failed: "
        'HTTP 500 Internal Server Error: {"code": 500, "message": "database unavailable"}')
    assert len(received) == 1 and received[0].path == "/ingest/events"
    assert received[0].authorization is None  # no key, no header


def test_a_server_that_does_not_answer_is_one_line_and_exit_1(database: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = lineage("export", "--db", database, "--format", "openlineage", "--to", url, env=NO_PROXY)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith(f"lineage: sent 0 of {len(stored_events(database))} OpenLineage events to {url}/api/v1/")
    assert "refused" in line.lower()


def test_the_events_print_as_json_lines_or_go_to_a_private_file(database: str, tmp_path: Path) -> None:
    printed = lineage("export", "--db", database, "--format", "openlineage", "--namespace", "lineage-prod")
    assert printed.returncode == 0, printed.stderr
    events = [json.loads(line) for line in printed.stdout.splitlines()]
    assert [e["run"]["runId"] for e in events] == [e["run"]["runId"] for e in stored_events(database)]
    assert {e["job"]["namespace"] for e in events} == {"lineage-prod"}
    target = tmp_path / "events.jsonl"
    written = lineage("export", "--db", database, "--format", "openlineage", "--namespace", "lineage-prod",
                      "-o", str(target))
    assert written.returncode == 0 and written.stdout == ""
    assert one_line(written.stderr) == f"wrote {target}"
    assert target.read_text(encoding="utf-8") == printed.stdout
    assert os.stat(target).st_mode & 0o777 == PRIVATE


@pytest.mark.parametrize(("args", "message"), [
    (("--format", "json", "--to", "http://127.0.0.1:9"),
     "lineage: --to and --namespace go with --format openlineage, not --format json"),
    (("--to", "http://127.0.0.1:9"), "lineage: --to and --namespace go with --format openlineage, not --format json"),
    (("--format", "html", "--namespace", "prod"),
     "lineage: --to and --namespace go with --format openlineage, not --format html"),
    (("--format", "openlineage", "--to", "ftp://127.0.0.1/x"),
     "lineage: --to: 'ftp://127.0.0.1/x' is not an http(s) URL"),
    (("--format", "openlineage", "--api-key", "k"), "lineage: --api-key goes with --to"),
    (("--format", "openlineage", "--namespace", " "), "lineage: --namespace is empty"),
])
def test_a_wrong_combination_is_one_line_and_exit_2(database: str, args: tuple[str, ...], message: str) -> None:
    result = lineage("export", "--db", database, *args)
    assert result.returncode == 2 and result.stdout == ""
    assert one_line(result.stderr) == message


def test_a_redirect_is_an_answer_never_followed_with_the_token() -> None:
    """Followed, a redirect would send the token on to wherever it points, and a POST answered 303 becomes a GET
    without its event that then counts as delivered."""
    seen: list[tuple[str, str, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append((self.command, self.path, self.headers.get("Authorization")))
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/api/v1/lineage":
                self.send_response(303)
                self.send_header("Location", "/elsewhere")
            else:
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _answer

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(DeliveryError) as raised:
            post_events([{"job": {"name": "j"}}], f"http://127.0.0.1:{server.server_port}/api/v1/lineage", "t0k")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert "303" in str(raised.value.reason)
    assert seen == [("POST", "/api/v1/lineage", "Bearer t0k")]
