"""Scan speed and memory on a synthetic estate in a moto server: workers=1 (baseline) beside workers=8,
with a latency added to every call as a real endpoint has.

Also the pure parts alone: ASL parsing of the shared corpus, and graph + rules on a large fact set
(beside the same graph with the intake's redactor switched off: what redaction costs), then on the
same facts with a tenth of them odd (values the intake must make plain, places known only at run
time): what keeping each bad fact its own problem costs.
Prints a table; asserts nothing (these machines are shared and noisy).

Each scan row says its calls per resource read and, beside its wall time, the ideal: calls × latency ÷
workers, what the scan would take if every worker were busy for the whole of it. A second table gives
the calls of the widest scan by service.

    .venv/bin/python bench/bench_scan.py [--buckets 150] [--machines 40] [--jobs 60] [--functions 40]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import socket
import time
import tracemalloc
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import boto3
from moto.server import ThreadedMotoServer

from lineage import intake
from lineage.asl import Machine, parse_definition
from lineage.graph import build_graph
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, Stage
from lineage.references import DIGESTS, name_digest, named_by_digests
from lineage.rules import evaluate
from lineage.scan import ScanOptions, run_scan

REGION = "us-east-1"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "asl"


def seed(endpoint: str, buckets: int, machines: int, jobs: int) -> None:
    session = boto3.Session(region_name=REGION, aws_access_key_id="b", aws_secret_access_key="b")
    s3 = session.client("s3", endpoint_url=endpoint)
    glue = session.client("glue", endpoint_url=endpoint)
    states = session.client("stepfunctions", endpoint_url=endpoint)
    # moto starts every account with Macie on, and serves none of its findings calls: off, as in most accounts.
    session.client("macie2", endpoint_url=endpoint).disable_macie()
    for index in range(buckets):
        s3.create_bucket(Bucket=f"bench-{index:04d}")
        if index % 3 == 0:
            s3.put_bucket_lifecycle_configuration(Bucket=f"bench-{index:04d}", LifecycleConfiguration={"Rules": [
                {"ID": "x", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 3}}]})
    for index in range(jobs):
        glue.create_job(Name=f"job-{index}", Role="arn:aws:iam::123456789012:role/r",
                        Command={"Name": "glueetl", "ScriptLocation": "s3://code/x.py"},
                        DefaultArguments={"--input_path": f"s3://bench-{index % buckets:04d}/in/",
                                          "--output_path": f"s3://bench-{(index + 1) % buckets:04d}/out/"})
    for index in range(machines):
        definition = {"StartAt": "J", "States": {"J": {
            "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
            "Parameters": {"JobName": f"job-{index % max(jobs, 1)}"}, "End": True}}}
        states.create_state_machine(name=f"sm-{index}", definition=json.dumps(definition),
                                    roleArn="arn:aws:iam::123456789012:role/r")


def _zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def seed_serverless(endpoint: str, functions: int, buckets: int) -> None:
    """The middle of the flows: per function a table it names, a queue that feeds it and its log group; a
    topic per four queues, a stream and a delivery stream into a bench bucket per eight, a key per eight
    queues, a schedule per four functions."""
    session = boto3.Session(region_name=REGION, aws_access_key_id="b", aws_secret_access_key="b")
    client = lambda service: session.client(service, endpoint_url=endpoint)  # noqa: E731
    role = client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    dynamodb, sqs, sns, functions_client = client("dynamodb"), client("sqs"), client("sns"), client("lambda")
    kinesis, firehose, logs, kms, scheduler = (client(name) for name in
                                               ("kinesis", "firehose", "logs", "kms", "scheduler"))
    keys = [kms.create_key(Description=f"bench {index}")["KeyMetadata"]["Arn"]
            for index in range(max(1, functions // 8))]
    topics = [sns.create_topic(Name=f"topic-{index}")["TopicArn"] for index in range(max(1, functions // 4))]
    for index in range(functions):
        dynamodb.create_table(TableName=f"table-{index}", BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        url = sqs.create_queue(QueueName=f"queue-{index}", Attributes={"KmsMasterKeyId": keys[index % len(keys)]})[
            "QueueUrl"]
        queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topics[index % len(topics)], Protocol="sqs", Endpoint=queue)
        function = functions_client.create_function(
            FunctionName=f"fn-{index}", Runtime="python3.12", Role=role, Handler="handler.handler",
            Code={"ZipFile": _zipped()}, Environment={"Variables": {"TABLE_NAME": f"table-{index}"}})["FunctionArn"]
        functions_client.create_event_source_mapping(EventSourceArn=queue, FunctionName=f"fn-{index}")
        logs.create_log_group(logGroupName=f"/aws/lambda/fn-{index}")
        if index % 4 == 0:
            scheduler.create_schedule(Name=f"every-hour-{index}", ScheduleExpression="rate(1 hour)",
                                      FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": function, "RoleArn": role})
        if index % 8 == 0:
            kinesis.create_stream(StreamName=f"stream-{index}", ShardCount=1)
            stream = kinesis.describe_stream_summary(StreamName=f"stream-{index}")["StreamDescriptionSummary"][
                "StreamARN"]
            firehose.create_delivery_stream(
                DeliveryStreamName=f"delivery-{index}", DeliveryStreamType="KinesisStreamAsSource",
                KinesisStreamSourceConfiguration={"KinesisStreamARN": stream, "RoleARN": role},
                ExtendedS3DestinationConfiguration={"RoleARN": role, "Prefix": f"delivery-{index}/",
                                                    "BucketARN": f"arn:aws:s3:::bench-{index % buckets:04d}"})


def measure(label: str, function) -> tuple[str, float, float, object]:
    tracemalloc.start()
    started = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return label, elapsed, peak / 2**20, result


def synthetic_facts(size: int) -> list[Facts]:
    nodes, edges = [], []
    evidence = (Evidence("bench", "x"),)
    for index in range(size):
        bucket = Node(f"arn:aws:s3:::b{index}", "s3.bucket", f"b{index}", Stage.STORAGE, "1", "r", True,
                      {"lifecycle_rules": [], "encryption": {"algorithm": "AES256"}, "versioning": "Enabled",
                       "policy": {"present": False, "tls_only": False}})
        job = f"arn:aws:glue:r:1:job/j{index}"
        nodes += [bucket, Node(job, "glue.job", f"j{index}", Stage.PROCESSING, "1", "r", True, {})]
        edges += [Edge(f"arn:aws:s3:::b{index}/in", job, EdgeKind.READS, evidence),
                  Edge(job, f"arn:aws:s3:::b{(index + 1) % size}/out", EdgeKind.WRITES, evidence)]
    return [Facts(tuple(nodes), tuple(edges))]


def messy(facts: list[Facts]) -> list[Facts]:
    """The same facts as a real account's odd corners give them: every tenth node with attributes the intake
    must make plain, every tenth edge to a place known only at run time."""
    nodes, edges = [], []
    for index, node in enumerate(facts[0].nodes):
        if index % 10 == 0:
            node = Node(node.id, node.kind, node.name + "\x00", node.stage, node.account, node.region, node.observed,
                        {**node.attributes, "created": datetime(2024, 1, 1), "odd": {1: float("nan")}})
        nodes.append(node)
    for index, edge in enumerate(facts[0].edges):
        if index % 10 == 0:
            edge = Edge(edge.source, f"dynamic:{edge.source}#States.T.Parameters.Bucket.$", edge.kind, edge.evidence)
        edges.append(edge)
    return [Facts(tuple(nodes), tuple(edges))]


def named_functions(size: int, with_digests: bool) -> dict[str, Node]:
    """`size` tables and as many functions, each function's environment naming one table by a digest (or,
    for the baseline, naming nothing)."""
    nodes: dict[str, Node] = {}
    for index in range(size):
        table = f"arn:aws:dynamodb:r:1:table/t{index}"
        nodes[table] = Node(table, "dynamodb.table", f"t{index}", Stage.STORAGE, "1", "r", True, {})
        function = f"arn:aws:lambda:r:1:function:f{index}"
        digests = [{"variable": "TABLE_NAME", "digest": name_digest("1", f"t{(index * 7) % size}")}]
        nodes[function] = Node(function, "lambda.function", f"f{index}", Stage.PROCESSING, "1", "r", True,
                               {DIGESTS: digests} if with_digests else {})
    return nodes


def one_lake(size: int, buckets: int) -> list[Facts]:
    """`size` table paths written by one job, spread over `buckets` buckets: one bucket is a data lake."""
    evidence = (Evidence("bench", "x"),)
    paths = (f"arn:aws:s3:::lake{index % buckets}/t{index}/p{index % 7}" for index in range(size))
    return [Facts((), tuple(Edge("arn:aws:glue:r:1:job/load", path, EdgeKind.WRITES, evidence) for path in paths))]


@contextlib.contextmanager
def redactor_off() -> Iterator[None]:
    """The intake without its redactor: the side-by-side that says what redaction costs."""
    saved = intake.redact
    intake.redact = SimpleNamespace(text=lambda value: value, data=lambda value: value,  # type: ignore[assignment]
                                    short=lambda value, length: value[:length])
    try:
        yield
    finally:
        intake.redact = saved


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buckets", type=int, default=150)
    parser.add_argument("--machines", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--functions", type=int, default=40,
                        help="Lambda functions, with as many tables, queues and log groups, and the topics, "
                             "streams, delivery streams, keys and schedules around them.")
    parser.add_argument("--graph-size", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=20.0,
                        help="Added to every call: a local server answers faster than AWS does.")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    rows = []
    try:
        seed(endpoint, args.buckets, args.machines, args.jobs)
        seed_serverless(endpoint, args.functions, args.buckets)
        session = boto3.Session(region_name=REGION, aws_access_key_id="b", aws_secret_access_key="b")
        session.events.register("before-send", lambda **_: time.sleep(args.latency_ms / 1000))
        for workers in (1, 8, 16):
            label, elapsed, peak, (scan, _) = measure(
                f"scan, workers={workers}" + (" (baseline)" if workers == 1 else ""),
                lambda w=workers: run_scan(ScanOptions(regions=(REGION,), endpoint_url=endpoint, workers=w),
                                           session=session))
            calls = sum(scan.api_calls.values())
            read = sum(1 for node in scan.nodes if node.observed)
            ideal = calls * args.latency_ms / 1000 / workers
            rows.append((label, elapsed, peak, f"{read} resources read, {calls} calls ({calls / max(read, 1):.1f} "
                                               f"per resource), ideal {ideal:.2f} s, {len(scan.coverage_gaps)} gaps"))
        by_service = Counter()
        for name, count in scan.api_calls.items():
            by_service[name.split(":", 1)[0]] += count
    finally:
        server.stop()

    if CORPUS.is_dir():
        texts = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(CORPUS.iterdir())]
        machine = Machine("arn:aws:states:r:1:stateMachine:bench", "r", "1")
        label, elapsed, peak, results = measure(
            "parse ASL corpus", lambda: [parse_definition(t, machine, n) for n, t in texts])
        rows.append((label, elapsed, peak, f"{len(texts)} definitions, "
                                           f"{sum(len(r.facts.edges) for r in results)} flows"))
    facts = synthetic_facts(args.graph_size)
    label, elapsed, peak, graph = measure(f"graph of {args.graph_size * 2} nodes (baseline)",
                                          lambda: build_graph(facts))
    rows.append((label, elapsed, peak, f"{len(graph.nodes)} nodes after resolution"))
    with redactor_off():
        label, elapsed, peak, plain_graph = measure("the same, redactor off", lambda: build_graph(facts))
    rows.append((label, elapsed, peak, f"{len(plain_graph.nodes)} nodes: what redacting every text costs"))
    label, elapsed, peak, findings = measure("rules on that graph", lambda: evaluate(graph).findings)
    rows.append((label, elapsed, peak, f"{len(findings)} findings"))
    odd = messy(facts)
    label, elapsed, peak, odd_graph = measure("graph of the same, 10 % odd", lambda: build_graph(odd))
    rows.append((label, elapsed, peak, f"{len(odd_graph.nodes)} nodes, {len(odd_graph.problems)} intake gaps"))
    label, elapsed, peak, evaluation = measure("rules on that graph", lambda: evaluate(odd_graph))
    rows.append((label, elapsed, peak, f"{len(evaluation.findings)} findings, {len(evaluation.gaps)} rule gaps"))
    for with_digests, note in ((False, " (baseline: none named)"), (True, "")):
        named = named_functions(args.graph_size, with_digests)
        label, elapsed, peak, found = measure(f"environment names of {args.graph_size} functions{note}",
                                              lambda n=named: named_by_digests(n))
        rows.append((label, elapsed, peak, f"{len(found)} references among {len(named)} nodes"))
    for buckets, note in ((args.graph_size * 4, " (baseline)"), (1, "")):
        spread = one_lake(args.graph_size * 4, buckets)
        label, elapsed, peak, lake = measure(f"graph of {args.graph_size * 4} paths in {buckets} bucket(s){note}",
                                             lambda s=spread: build_graph(s))
        rows.append((label, elapsed, peak, f"{len(lake.nodes)} nodes"))

    print(f"{'what':48} {'seconds':>9} {'peak MiB':>9}  result")
    for label, elapsed, peak, note in rows:
        print(f"{label:48} {elapsed:9.3f} {peak:9.1f}  {note}")
    print("\ncalls of the last scan by service: " + ", ".join(f"{service} {count}"
                                                              for service, count in by_service.most_common()))


if __name__ == "__main__":
    main()
