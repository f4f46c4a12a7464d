"""Odd but legal estates: each is one a real account can hold, and none may cost a scan.

A bucket named by the input of an execution (in a `Parallel` branch, a `Map`, a Distributed Map's
reader) and every other place known only at run time, an opt-in region not enabled, a bucket deleted
while it is read, a rule target in another account, a definition of a megabyte, one nested deeper than
Python's stack, and an identity answer no parser reads.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from collectors.stepfunctions import transform_state_machine
from lineage.asl import Machine, parse_definition
from lineage.model import EdgeKind, Scan, ScanStatus
from lineage.scan import ScanOptions, run_scan, scan_and_store
from store.repository import load_scan, open_store
from tests.e2e.conftest import lineage
from viz.export import schema

ACCOUNT = "123456789012"  # the account moto answers for
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/odd-estate"
EXCERPT_LIMIT = 200


# --- shared helpers -------------------------------------------------------------------------------


class _Body(io.BytesIO):
    """A response body as botocore reads one (`stream()`), for answers injected before moto sees the call."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def _answer(request: Any, status: int, body: bytes, content_type: str = "application/x-amz-json-1.1") -> AWSResponse:
    return AWSResponse(request.url, status, {"content-type": content_type, "x-amzn-requestid": "odd-estate"},
                       _Body(body))


def _session() -> boto3.Session:
    return boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


def _chain(states: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """States chained in order: each but the last goes to the next."""
    chained = {}
    for index, (name, state) in enumerate(states):
        following = {"Next": states[index + 1][0]} if index + 1 < len(states) else {"End": True}
        chained[name] = {**state, **following}
    return {"StartAt": states[0][0], "States": chained}


def _task(resource: str, parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, "Parameters": parameters, **extra}


PUT_OBJECT = "arn:aws:states:::aws-sdk:s3:putObject"


def _small_estate(session: boto3.Session) -> None:
    """One resource of every collector in us-east-1, joined by flows: bucket, bus and rule, state machine,
    catalog table, Athena workgroup."""
    s3 = session.client("s3")
    s3.create_bucket(Bucket="odd-landing")
    states = session.client("stepfunctions")
    definition = _chain([("Land", _task(PUT_OBJECT, {"Bucket": "odd-landing", "Key": "out/x.json",
                                                             "Body.$": "$"}))])
    machine = states.create_state_machine(name="odd-etl", definition=json.dumps(definition), roleArn=ROLE)
    events = session.client("events")
    events.create_event_bus(Name="odd-bus")
    events.put_rule(Name="odd-rule", EventBusName="odd-bus", EventPattern=json.dumps({"source": ["odd.app"]}))
    events.put_targets(Rule="odd-rule", EventBusName="odd-bus",
                       Targets=[{"Id": "etl", "Arn": machine["stateMachineArn"], "RoleArn": ROLE}])
    glue = session.client("glue")
    glue.create_database(DatabaseInput={"Name": "odd_db"})
    glue.create_table(DatabaseName="odd_db", TableInput={
        "Name": "events", "StorageDescriptor": {"Location": "s3://odd-landing/events/",
                                                "Columns": [{"Name": "id", "Type": "string"}]}})
    session.client("athena").create_work_group(Name="odd-analytics")


SMALL_ESTATE_KINDS = {("s3.bucket", "odd-landing"), ("states.state_machine", "odd-etl"), ("events.bus", "odd-bus"),
                      ("events.rule", "odd-rule"), ("glue.table", "odd_db.events"),
                      ("athena.workgroup", "odd-analytics")}


def _observed(scan: Scan) -> set[tuple[str, str]]:
    return {(n.kind, n.name) for n in scan.nodes if n.observed}


def _all_excerpts(scan: Scan) -> Iterator[str]:
    for edge in scan.edges:
        yield from (e.excerpt for e in edge.evidence)
    for finding in scan.findings:
        yield from (e.excerpt for e in finding.evidence)


# --- 1. the scan that crashed: places known only at run time, through every stage ----------------

MACHINE_NAME = "odd-dynamic-fanout"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{MACHINE_NAME}"


def dynamic_definition() -> dict[str, Any]:
    """Every way a definition leaves a place to run time, each in a state of its own."""
    write_from_branch = _task(PUT_OBJECT, {"Bucket.$": "$.bucket", "Key": "exports/out.json", "Body.$": "$"},
                              End=True)
    write_literal = _task(PUT_OBJECT, {"Bucket": "odd-curated", "Key": "daily/out.json", "Body.$": "$"}, End=True)
    write_item = _task(PUT_OBJECT, {"Bucket.$": "$.target", "Key.$": "$.key", "Body.$": "$"}, End=True)
    return _chain([
        ("Fan", {"Type": "Parallel", "Branches": [
            {"StartAt": "WriteFromBranch", "States": {"WriteFromBranch": write_from_branch}},
            {"StartAt": "WriteLiteral", "States": {"WriteLiteral": write_literal}},
        ]}),
        ("PerItem", {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "WriteItem", "States": {"WriteItem": write_item}}}),
        ("Distributed", {"Type": "Map", "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket.$": "$.input", "Key": "manifest.json"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "Noop", "States": {"Noop": {"Type": "Pass", "End": True}}}}),
        ("Jsonata", {"Type": "Task", "QueryLanguage": "JSONata", "Resource": PUT_OBJECT,
                     "Arguments": {"Bucket": "{% $states.input.b %}", "Key": "jsonata/out.json",
                                   "Body": "{% $states.input %}"}}),
        ("Formatted", _task(PUT_OBJECT, {"Bucket.$": "States.Format('odd-{}-landing', $.env)",
                                         "Key": "formatted/out.json", "Body.$": "$"})),
        ("Templated", _task(PUT_OBJECT, {"Bucket": "${LandingBucket}", "Key": "templated/out.json", "Body.$": "$"})),
        ("Record", _task("arn:aws:states:::dynamodb:putItem", {"TableName.$": "$.table",
                                                               "Item": {"pk": {"S.$": "$.id"}}})),
        ("Enqueue", _task("arn:aws:states:::sqs:sendMessage", {"QueueUrl.$": "$.queue", "MessageBody.$": "$"})),
        ("Announce", _task("arn:aws:states:::sns:publish", {"TopicArn.$": "$.topic", "Message.$": "$"})),
        ("Transform", _task("arn:aws:states:::lambda:invoke", {"FunctionName.$": "$.function", "Payload.$": "$"})),
        ("Handoff", _task("arn:aws:states:::states:startExecution", {"StateMachineArn.$": "$.next_machine",
                                                                     "Input.$": "$"})),
    ])


def _dynamic(path: str) -> str:
    return f"dynamic:{MACHINE}#{path}"


# Each place known only at run time, by how the machine meets it: id → (its kind, the expression).
WRITTEN = {
    _dynamic("States.Fan.Branches[0].States.WriteFromBranch.Parameters.Bucket.$"): ("s3.location", "$.bucket"),
    _dynamic("States.PerItem.ItemProcessor.States.WriteItem.Parameters.Bucket.$"): ("s3.location", "$.target"),
    _dynamic("States.Jsonata.Arguments.Bucket"): ("s3.location", "{% $states.input.b %}"),
    _dynamic("States.Formatted.Parameters.Bucket.$"): ("s3.location", "States.Format('odd-{}-landing', $.env)"),
    _dynamic("States.Templated.Parameters.Bucket"): ("s3.location", "${LandingBucket}"),
    _dynamic("States.Record.Parameters.TableName.$"): ("dynamodb.table", "$.table"),
    _dynamic("States.Enqueue.Parameters.QueueUrl.$"): ("sqs.queue", "$.queue"),
    _dynamic("States.Announce.Parameters.TopicArn.$"): ("sns.topic", "$.topic"),
}
READ = {_dynamic("States.Distributed.ItemReader.Parameters.Bucket.$"): ("s3.location", "$.input")}
INVOKED = {
    _dynamic("States.Transform.Parameters.FunctionName.$"): ("lambda.function", "$.function"),
    _dynamic("States.Handoff.Parameters.StateMachineArn.$"): ("states.state_machine", "$.next_machine"),
}
DYNAMIC_PLACES = {**WRITTEN, **READ, **INVOKED}


def _deploy_dynamic_estate(endpoint: str) -> None:
    session = _session()
    s3 = session.client("s3", endpoint_url=endpoint)
    for bucket in ("odd-curated", "odd-inputs", "odd-prod-landing"):
        s3.create_bucket(Bucket=bucket)
    session.client("stepfunctions", endpoint_url=endpoint).create_state_machine(
        name=MACHINE_NAME, definition=json.dumps(dynamic_definition()), roleArn=ROLE)


def _run_ok(*args: str) -> str:
    result = lineage(*args)
    assert result.returncode == 0, f"lineage {' '.join(args)} exited {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr + result.stdout
    return result.stdout


def test_dynamic_places_in_parallel_map_and_item_reader_pass_scan_rules_store_export_view_and_diff(
        moto_server: str, tmp_path: Path) -> None:
    _deploy_dynamic_estate(moto_server)
    db = str(tmp_path / "lineage.db")
    scanned = _run_ok("scan", "--endpoint-url", moto_server, "--region", REGION, "--db", db)
    assert "complete" in scanned

    document = json.loads(_run_ok("export", "--db", db, "--format", "json"))
    jsonschema.validate(document, schema())
    assert document["scan"]["status"] == "complete", document["scan"]["coverage_gaps"]
    nodes = {n["id"]: n for n in document["nodes"]}
    dynamic_nodes = {i: n for i, n in nodes.items() if i.startswith("dynamic:")}
    assert set(dynamic_nodes) == set(DYNAMIC_PLACES)
    for node_id, (kind, expression) in DYNAMIC_PLACES.items():
        node = dynamic_nodes[node_id]
        assert node["attributes"]["dynamic"] is True, node
        assert node["kind"] == kind and node["observed"] is False, node
        assert node["attributes"]["expression"] == expression, node
    edges = {(e["source"], e["target"], e["kind"]) for e in document["edges"]}
    assert {(MACHINE, i, "writes") for i in WRITTEN} | {(i, MACHINE, "reads") for i in READ} | {
        (MACHINE, i, "invokes") for i in INVOKED} <= edges
    # A place known only at run time belongs to no bucket; the literal write beside it does.
    assert not [e for e in edges if e[2] == "part_of" and (e[0] in DYNAMIC_PLACES or e[1] in DYNAMIC_PLACES)]
    assert ("arn:aws:s3:::odd-curated/daily", "arn:aws:s3:::odd-curated", "part_of") in edges

    findings = json.loads(_run_ok("findings", "--db", db, "--json"))
    assert findings == document["findings"]
    on_dynamic = [f for f in findings if f["node"] in DYNAMIC_PLACES]
    assert not [f for f in on_dynamic if f["rule"].startswith("s3.")], "a run-time place was judged as a bucket"
    unknown = {f["node"]: f for f in findings if f["rule"] == "coverage.unknown_destination"}
    assert set(unknown) == set(WRITTEN)
    assert "$.bucket" in unknown[_dynamic("States.Fan.Branches[0].States.WriteFromBranch.Parameters.Bucket.$")][
        "message"]
    # The rest of the machine is judged as usual.
    assert any(f["rule"] == "s3.location_without_lifecycle" and f["node"] == "arn:aws:s3:::odd-curated/daily"
               for f in findings)

    shown = json.loads(_run_ok("show", MACHINE_NAME, "--downstream", "--db", db, "--json"))
    assert shown["node"]["id"] == MACHINE
    downstream = {item["id"] for item in shown["downstream"]}
    assert set(WRITTEN) | set(INVOKED) <= downstream
    upstream = json.loads(_run_ok("show", MACHINE_NAME, "--upstream", "--db", db, "--json"))["upstream"]
    assert set(READ) <= {item["id"] for item in upstream}

    view = tmp_path / "view.html"
    _run_ok("export", "--db", db, "--format", "html", "-o", str(view))
    page = view.read_text(encoding="utf-8")
    assert "<html" in page.lower() and "Traceback" not in page
    assert "Not shown in full" not in page, "a node or edge of the scan could not be drawn"
    for node_id in DYNAMIC_PLACES:
        assert node_id in page

    assert "complete" in _run_ok("scan", "--endpoint-url", moto_server, "--region", REGION, "--db", db)
    drift = json.loads(_run_ok("diff", "--db", db, "--json"))
    assert drift["base"] == document["scan"]["id"] and drift["head"] != drift["base"]
    assert drift["nodes"] == {"added": [], "removed": []}
    assert drift["flows"] == {"added": [], "removed": []}
    assert drift["findings"] == {"added": [], "resolved": [], "changed": []}
    assert drift["attribute_changes"] == []


# --- 2. an opt-in region that is not enabled ----------------------------------------------------

NOT_ENABLED = {"__type": "UnrecognizedClientException",
               "message": "The security token included in the request is invalid."}


NOT_ENABLED_XML = (b'<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>'
                   b'<Message>The security token included in the request is invalid.</Message></Error>'
                   b'<RequestId>odd-estate</RequestId></ErrorResponse>')


def _speaks_query(request: Any) -> bool:
    body = request.body or b""
    return (body if isinstance(body, bytes) else str(body).encode()).startswith(b"Action=")


def test_a_region_not_enabled_is_one_gap_and_the_enabled_region_is_read_whole() -> None:
    with mock_aws():
        session = _session()
        _small_estate(session)
        asked: list[str] = []

        def refuse_me_south_1(request: Any, event_name: str, **_: Any) -> AWSResponse | None:
            # Every service of a region not enabled answers like this, whatever the operation.
            if ".me-south-1." not in request.url:
                return None
            asked.append(event_name)
            if _speaks_query(request):  # SNS and the other query services answer in XML
                return _answer(request, 403, NOT_ENABLED_XML, "text/xml")
            return _answer(request, 400, json.dumps(NOT_ENABLED).encode())

        session.events.register_first("before-send", refuse_me_south_1)
        scan, _ = run_scan(ScanOptions(regions=(REGION, "me-south-1")), session=session)

    assert asked, "the scan never asked me-south-1, so this test proves nothing"
    assert scan.status == ScanStatus.PARTIAL
    assert [g.region for g in scan.coverage_gaps] == ["me-south-1"], scan.coverage_gaps
    (gap,) = scan.coverage_gaps
    assert "not enabled" in gap.error and "me-south-1" in gap.error, gap
    assert _observed(scan) >= SMALL_ESTATE_KINDS
    assert not [n for n in scan.nodes if n.region == "me-south-1"]


# --- 3. a bucket deleted between the listing and its reading -------------------------------------

NO_SUCH_BUCKET = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code>'
                  b"<Message>The specified bucket does not exist</Message><BucketName>odd-vanishing</BucketName>"
                  b"</Error>")


Vanish = Callable[[boto3.Session, Any, list[str]], None]  # (scanning session, a client of moto, what it did)


def _delete_after_listing(session: boto3.Session, deleter: Any, done: list[str]) -> None:
    def delete(**_: Any) -> None:
        deleter.delete_bucket(Bucket="odd-vanishing")
        done.append("deleted")

    session.events.register("after-call.s3.ListBuckets", delete)


def _delete_while_read(session: boto3.Session, deleter: Any, done: list[str]) -> None:
    def delete(params: dict[str, Any], **_: Any) -> None:
        if params.get("Bucket") == "odd-vanishing" and not done:
            deleter.delete_bucket(Bucket="odd-vanishing")
            done.append("deleted")

    # Its lifecycle is read before; its encryption and the rest after it is gone.
    session.events.register("before-parameter-build.s3.GetBucketEncryption", delete)


def _answer_no_such_bucket(session: boto3.Session, _deleter: Any, done: list[str]) -> None:
    def refuse(request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        if event_name.endswith(".ListBuckets") or "odd-vanishing" not in request.url:
            return None
        done.append(event_name)
        return _answer(request, 404, NO_SUCH_BUCKET, "application/xml")

    session.events.register_first("before-send", refuse)


@pytest.mark.parametrize("vanish", [_delete_after_listing, _delete_while_read, _answer_no_such_bucket],
                         ids=["deleted-after-the-listing", "deleted-while-its-configuration-is-read",
                              "every-call-answers-NoSuchBucket"])
def test_a_bucket_deleted_between_list_and_read_is_left_out_without_a_gap(vanish: Vanish) -> None:
    done: list[str] = []
    with mock_aws():
        s3 = _session().client("s3")
        for bucket in ("odd-staying", "odd-vanishing"):
            s3.create_bucket(Bucket=bucket)
        session = _session()
        vanish(session, s3, done)
        scan, _ = run_scan(ScanOptions(regions=(REGION,)), session=session)

    assert done, "the bucket never vanished, so this test proves nothing"
    assert scan.status == ScanStatus.COMPLETE, scan.coverage_gaps
    assert scan.coverage_gaps == ()
    assert "arn:aws:s3:::odd-vanishing" not in {n.id for n in scan.nodes}
    staying = next(n for n in scan.nodes if n.id == "arn:aws:s3:::odd-staying")
    assert staying.observed and "unread" not in staying.attributes


# --- 4. a rule target in another account ---------------------------------------------------------

CENTRAL_BUS = "arn:aws:events:us-east-1:210987654321:event-bus/central"


def test_a_rule_target_in_another_account_is_an_unobserved_bus_routed_to() -> None:
    with mock_aws():
        session = _session()
        events = session.client("events")
        rule = events.put_rule(Name="odd-forward", EventPattern=json.dumps({"source": ["odd.app"]}))["RuleArn"]
        events.put_targets(Rule="odd-forward", Targets=[{"Id": "central", "Arn": CENTRAL_BUS, "RoleArn": ROLE}])
        assert events.list_targets_by_rule(Rule="odd-forward")["Targets"][0]["Arn"] == CENTRAL_BUS
        scan, _ = run_scan(ScanOptions(regions=(REGION,)), session=session)

    assert scan.status == ScanStatus.COMPLETE, scan.coverage_gaps
    central = next(n for n in scan.nodes if n.id == CENTRAL_BUS)
    assert (central.kind, central.observed, central.account, central.region) == (
        "events.bus", False, "210987654321", "us-east-1")
    assert any(e.source == rule and e.target == CENTRAL_BUS and e.kind == EdgeKind.ROUTES for e in scan.edges)
    # Its configuration was never read, so nothing about it is judged.
    assert not [f for f in scan.findings if f.node == CENTRAL_BUS]


# --- 5. a definition of a megabyte ---------------------------------------------------------------

BIG_BUCKETS = 20
LONG_PREFIX = "long/" + "p" * 900
LONG_EXPRESSION = "{% " + " & ".join(f"$states.input.part{i}" for i in range(300)) + " %}"


def big_definition(target_size: int = 990_000) -> tuple[str, set[str]]:
    """Task after task writing to its own prefix, to about `target_size` characters; and the places written."""
    specials = [("LongPrefix", _task(PUT_OBJECT, {"Bucket": "odd-big-00", "Key": f"{LONG_PREFIX}/o.json"})),
                ("LongExpression", {"Type": "Task", "QueryLanguage": "JSONata", "Resource": PUT_OBJECT,
                                    "Arguments": {"Bucket": LONG_EXPRESSION, "Key": "o.json"}})]
    written = {f"arn:aws:s3:::odd-big-00/{LONG_PREFIX}"}
    one = len(json.dumps(_task(PUT_OBJECT, {"Bucket": "odd-big-00", "Key": "feed-00000/part.json", "Body.$": "$"},
                               Next="Write-00000"))) + len('"Write-00000": , ')
    count = (target_size - len(json.dumps(_chain(specials)))) // one
    states = list(specials)
    for index in range(count):
        bucket = f"odd-big-{index % BIG_BUCKETS:02d}"
        states.append((f"Write-{index:05d}", _task(PUT_OBJECT, {"Bucket": bucket, "Key": f"feed-{index:05d}/part.json",
                                                                 "Body.$": "$"})))
        written.add(f"arn:aws:s3:::{bucket}/feed-{index:05d}")
    return json.dumps(_chain(states)), written


def test_a_megabyte_definition_is_read_whole_with_short_evidence(tmp_path: Path) -> None:
    text, written = big_definition()
    assert 950_000 < len(text) < 1_048_576  # near the largest definition Step Functions accepts
    with mock_aws():
        session = _session()
        s3 = session.client("s3")
        for index in range(BIG_BUCKETS):
            s3.create_bucket(Bucket=f"odd-big-{index:02d}")
        machine = session.client("stepfunctions").create_state_machine(name="odd-big", definition=text,
                                                                       roleArn=ROLE)["stateMachineArn"]
        engine = open_store(str(tmp_path / "lineage.db"))
        stored = scan_and_store(ScanOptions(regions=(REGION,)), engine, session=session)

    scan = load_scan(engine, stored.id)
    assert scan.status == ScanStatus.COMPLETE, scan.coverage_gaps
    writes = {e.target for e in scan.edges if e.source == machine and e.kind == EdgeKind.WRITES}
    assert written <= writes
    assert f"dynamic:{machine}#States.LongExpression.Arguments.Bucket" in writes
    assert len(writes) == len(written) + 1
    too_long = [excerpt for excerpt in _all_excerpts(scan) if len(excerpt) > EXCERPT_LIMIT]
    assert not too_long, f"{len(too_long)} excerpt(s) longer than {EXCERPT_LIMIT}, e.g. {too_long[0][:80]}…"


# --- 6. a definition nested deeper than Python's stack -------------------------------------------

DEEP_MACHINE = Machine(f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:odd-deep", REGION, ACCOUNT)
_LEVEL = re.compile(r"^arn:aws:s3:::odd-deep/level-(\d+)$")


def deep_text(levels: int) -> str:
    """`Parallel` inside `Parallel`, `levels` deep, a Task at every level; written out as text, since the
    JSON encoder itself recurses."""
    head, tail = [], []
    for level in range(levels):
        task = json.dumps(_task(PUT_OBJECT, {"Bucket": "odd-deep", "Key": f"level-{level}/o.json"},
                                Next=f"Nest{level}"))
        head.append(f'{{"StartAt": "Write{level}", "States": {{"Write{level}": {task}, '
                    f'"Nest{level}": {{"Type": "Parallel", "End": true, "Branches": [')
        tail.append("]}}}")
    innermost = '{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}'
    return "".join(head) + innermost + "".join(reversed(tail))


def deep_dict(levels: int) -> dict[str, Any]:
    """The same definition built as objects, innermost first, so no step of building it recurses."""
    machine: dict[str, Any] = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    for level in reversed(range(levels)):
        task = _task(PUT_OBJECT, {"Bucket": "odd-deep", "Key": f"level-{level}/o.json"}, Next=f"Nest{level}")
        machine = {"StartAt": f"Write{level}", "States": {
            f"Write{level}": task, f"Nest{level}": {"Type": "Parallel", "End": True, "Branches": [machine]}}}
    return machine


def assert_every_level_read_or_warned(targets: set[str], warnings: list[str], levels: int) -> None:
    """Every level's Task read; or the outermost ones, and a warning that says the nesting stopped it."""
    read = {int(m.group(1)) for t in targets if (m := _LEVEL.match(t))}
    if read == set(range(levels)):
        return
    assert read == set(range(len(read))), f"levels read are not the outermost ones: {sorted(read)[:10]}…"
    assert any(re.search(r"nest|deep|depth", w, re.I) for w in warnings), (
        f"{len(read)} of {levels} levels read and no warning says why: {warnings[:3]}")


@pytest.mark.parametrize("levels", [200, 2000])
@pytest.mark.parametrize("given", ["text", "objects"])
def test_a_definition_nested_deeper_than_the_stack_is_read_or_warned_never_a_recursion_error(
        levels: int, given: str) -> None:
    definition: str | dict[str, Any] = deep_text(levels) if given == "text" else deep_dict(levels)
    result = parse_definition(definition, DEEP_MACHINE)
    targets = {e.target for e in result.facts.edges if e.source == DEEP_MACHINE.id}
    assert_every_level_read_or_warned(targets, result.warnings, levels)


@pytest.mark.parametrize("levels", [200, 2000])
def test_a_deeply_nested_described_machine_is_one_node_with_its_warnings(levels: int) -> None:
    described = {"stateMachineArn": DEEP_MACHINE.id, "name": "odd-deep", "definition": deep_text(levels),
                 "type": "STANDARD", "status": "ACTIVE", "roleArn": ROLE}
    facts = transform_state_machine(described, ACCOUNT, REGION)
    (machine,) = [n for n in facts.nodes if n.id == DEEP_MACHINE.id]
    assert machine.observed and machine.kind == "states.state_machine"
    targets = {e.target for e in facts.edges if e.source == DEEP_MACHINE.id}
    assert_every_level_read_or_warned(targets, list(machine.attributes.get("warnings", [])), levels)


@pytest.mark.parametrize("levels", [200, 2000])
def test_lineage_asl_on_a_deeply_nested_file_exits_cleanly_in_one_line_or_with_the_facts(
        levels: int, tmp_path: Path) -> None:
    path = tmp_path / "deep.asl.json"
    path.write_text(deep_text(levels), encoding="utf-8")
    result = lineage("asl", str(path), "--json", "--arn", DEEP_MACHINE.id)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode in (0, 2), result.stderr
    if result.returncode == 2:
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("lineage: "), result.stderr
        assert re.search(r"nest|deep|depth", result.stderr, re.I), result.stderr
        return
    document = json.loads(result.stdout)
    jsonschema.validate(document, schema())
    targets = {e["target"] for e in document["edges"] if e["source"] == DEEP_MACHINE.id}
    assert_every_level_read_or_warned(targets, document.get("warnings", []), levels)


# --- 7. an identity answer no parser reads -------------------------------------------------------


@pytest.mark.parametrize("body", [b"<GetCallerIdentityResponse><unclosed", b""], ids=["unparseable", "empty"])
def test_an_unreadable_identity_answer_is_a_gap_and_every_collector_still_reads(body: bytes) -> None:
    with mock_aws():
        _small_estate(_session())
        clean, _ = run_scan(ScanOptions(regions=(REGION,)), session=_session())
        session = _session()

        def garble(request: Any, event_name: str, **_: Any) -> AWSResponse | None:
            return _answer(request, 200, body, "text/xml") if event_name.endswith(".GetCallerIdentity") else None

        session.events.register_first("before-send", garble)
        scan, _ = run_scan(ScanOptions(regions=(REGION,)), session=session)

    assert clean.status == ScanStatus.COMPLETE and _observed(clean) >= SMALL_ESTATE_KINDS
    assert scan.status == ScanStatus.PARTIAL
    assert [(g.service, g.operation) for g in scan.coverage_gaps] == [("sts", "GetCallerIdentity")], (
        scan.coverage_gaps)
    assert _observed(scan) == _observed(clean)
