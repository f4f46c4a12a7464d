"""Secrets planted wherever the collectors read never leave through the tracker.

An estate deployed into a moto server carries one distinct marker in each place a credential is found
in real accounts: Glue job arguments and scripts, catalog parameters and locations, tags, lifecycle
filters, EventBridge input templates, Step Functions endpoints, headers, payloads, queries and
malformed values, Athena results and named queries. The estate is scanned as a user scans it, and
every way out is read byte by byte — the SQLite file (with its journal), PostgreSQL's rows, the JSON
and HTML exports, the page `scan --html` and the scheduler write, every command's stdout and stderr,
and the scheduler's log — for any marker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import sqlalchemy

from tests.e2e.conftest import lineage

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account
ROLE = f"arn:aws:iam::{ACCOUNT}:role/etl"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"


def marker(number: int) -> str:
    """A secret: distinct, and shaped like nothing the redactor knows by shape alone."""
    return f"Sx{number:02d}Kq7Zw4Rt"


PLACES: dict[str, str] = {}


def secret(where: str) -> str:
    """A new marker, remembered with the place it is planted."""
    value = marker(len(PLACES) + 1)
    PLACES[value] = where
    return value


def definition() -> dict[str, Any]:
    """A state machine with a secret wherever a task's parameters can hold one."""

    def task(resource: str, parameters: dict[str, Any], next_state: str | None) -> dict[str, Any]:
        state: dict[str, Any] = {"Type": "Task", "Resource": resource, "Parameters": parameters}
        state.update({"Next": next_state} if next_state else {"End": True})
        return state

    states = [
        ("CallApi", "arn:aws:states:::http:invoke", {
            "ApiEndpoint": f"https://api.example.com/v1/items?token={secret('http endpoint query')}",
            "Method": "POST",
            "Headers": {"Authorization": f"Bearer {secret('http Authorization header')}"},
            "QueryParameters": {"api_key": secret("http query parameter")},
            "Authentication": {"ConnectionArn": f"arn:aws:events:{REGION}:{ACCOUNT}:connection/api/1"},
        }),
        ("CallUserinfo", "arn:aws:states:::http:invoke", {
            "ApiEndpoint": f"https://svc:{secret('http endpoint userinfo')}@partner.example.com/ingest",
            "Method": "GET",
            "Authentication": {"ConnectionArn": f"arn:aws:events:{REGION}:{ACCOUNT}:connection/api/1"},
        }),
        ("Query", "arn:aws:states:::athena:startQueryExecution.sync", {
            "QueryString": f"SELECT * FROM raw.events WHERE api_key = '{secret('athena query literal')}'",
            "QueryExecutionContext": {"Database": "raw"}, "WorkGroup": "primary",
        }),
        ("RunJob", "arn:aws:states:::glue:startJobRun.sync", {
            "JobName": "curate",
            "Arguments": {"--password": secret("glue run argument"),
                          "--input": f"s3a://{ACCESS_KEY}:{secret('glue run s3a userinfo')}@secret-raw/in/"},
        }),
        ("Invoke", "arn:aws:states:::lambda:invoke", {
            "FunctionName": "transform", "Payload": {"client_secret": secret("lambda payload")},
        }),
        ("RunTask", "arn:aws:states:::ecs:runTask.sync", {
            "TaskDefinition": "loader", "Cluster": "etl",
            "Overrides": {"ContainerOverrides": [{"Name": "loader", "Environment": [
                {"Name": "DB_PASSWORD", "Value": secret("ecs environment pair")}]}]},
        }),
        ("BadBucket", "arn:aws:states:::aws-sdk:s3:putObject", {
            "Bucket": f"https://admin:{secret('malformed bucket echoed in a warning')}@files.example.com/x",
            "Key": "k", "Body": "x",
        }),
        ("Send", "arn:aws:states:::sqs:sendMessage", {
            "QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/jobs"
                        f"?X-Amz-Signature={secret('sqs url signature')}",
            "MessageBody": {"password": secret("sqs message body")},
        }),
        ("Notify", "arn:aws:states:::sns:publish", {
            "TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:done", "Message": {"token": secret("sns message")},
        }),
        ("Record", "arn:aws:states:::dynamodb:putItem", {
            "TableName": "runs", "Item": {"secret": {"S": secret("dynamodb item")}},
        }),
    ]
    names = [name for name, _, _ in states]
    return {
        "Comment": f"password={secret('definition comment')}",
        "StartAt": names[0],
        "States": {name: task(resource, parameters, names[i + 1] if i + 1 < len(names) else None)
                   for i, (name, resource, parameters) in enumerate(states)},
    }


def deploy(endpoint: str) -> dict[str, Any]:
    """The estate, with a secret in every place listed in PLACES; returns the state machine definition."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    s3 = session.client("s3", endpoint_url=endpoint)
    for bucket in ("secret-raw", "secret-lake", "secret-results"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="secret-raw", Tagging={"TagSet": [
        {"Key": "api_token", "Value": secret("bucket tag by name")},
        {"Key": "note", "Value": f"db_password={secret('bucket tag value holding a setting')}"},
        {"Key": "license_key", "Value": secret("bucket tag license_key")},
    ]})
    s3.put_bucket_lifecycle_configuration(Bucket="secret-lake", LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Expiration": {"Days": 30},
         "Filter": {"Tag": {"Key": "session_token", "Value": secret("lifecycle tag filter")}}},
    ]})

    glue = session.client("glue", endpoint_url=endpoint)
    glue.create_database(DatabaseInput={
        "Name": "curated", "LocationUri": f"s3://db:{secret('database location userinfo')}@secret-lake/curated/",
        "Description": f"connection password={secret('database description')}",
    })
    glue.create_table(DatabaseName="curated", TableInput={
        "Name": "people",
        "Parameters": {"classification": "parquet", "password": secret("table parameter")},
        "StorageDescriptor": {
            "Location": f"s3://app:{secret('table location userinfo')}@secret-lake/people/",
            "Columns": [{"Name": "email", "Type": "string",
                         "Parameters": {"secret": secret("column parameter")}}],
            "SerdeInfo": {"Parameters": {"password": secret("serde parameter")}},
        },
    })
    glue.create_job(Name="curate", Role=ROLE, Command={
        "Name": "glueetl", "ScriptLocation": f"s3://ci:{secret('script location userinfo')}@secret-raw/job.py"},
        DefaultArguments={
            "--db_password": f"s3cr3t{secret('job argument starting like a path')}",
            "--conf": f"spark.hadoop.fs.s3a.secret.key={secret('spark conf secret key')}",
            "--jdbc_url": f"jdbc:postgresql://app:{secret('jdbc url userinfo')}@db.example.com:5432/app",
            "--DB_PASS": secret("job argument DB_PASS"),
            "--pwd": secret("job argument pwd"),
            "--input_path": f"s3a://{ACCESS_KEY}:{secret('job s3a userinfo')}@secret-raw/in/",
            "--output_path": "s3://secret-lake/people/",
            "--api_token": secret("job argument api_token"),
            "--odbc": f"Driver={{ODBC Driver 18}};Server=db;Uid=app;Pwd={{{secret('odbc braced password')};x}};",
            "--env": f"DB_PASSWORD: {secret('environment line')}",
            "--args": f"--password {secret('flag and its value')} --verbose",
            "--settings": json.dumps({"credentials": {"db": secret("json object under a secret name")}}),
            "--webhook": f"https://hooks.slack.com/services/T000/B000/{secret('webhook path token')}",
            "--encoded": f"%22password%22%3A%22{secret('url-encoded json')}%22",
        },
        Tags={"auth": secret("job tag")})
    glue.create_crawler(Name="people", Role=ROLE, DatabaseName="curated", Targets={"S3Targets": [
        {"Path": f"s3://crawl:{secret('crawler path userinfo')}@secret-lake/people/"}]})

    events = session.client("events", endpoint_url=endpoint)
    events.put_rule(Name="on-upload", Description=f"token={secret('rule description')}",
                    EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"],
                                             "detail": {"bucket": {"name": ["secret-raw"]}}}))
    events.put_targets(Rule="on-upload", Targets=[{
        "Id": "machine", "Arn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:etl", "RoleArn": ROLE,
        "InputTransformer": {
            "InputPathsMap": {"key": "$.detail.object.key"},
            "InputTemplate": json.dumps({"apiKey": secret("input template constant"), "key": "<key>"}),
        },
    }, {
        "Id": "constant", "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:notify",
        "Input": json.dumps({"password": secret("target constant input")}),
    }])

    athena = session.client("athena", endpoint_url=endpoint)
    athena.create_work_group(Name="analysts", Configuration={"ResultConfiguration": {
        "OutputLocation": f"s3://res:{secret('athena output location userinfo')}@secret-results/analysts/"}},
        Tags=[{"Key": "credentials", "Value": secret("workgroup tag")}])
    athena.create_named_query(Name="by-key", Database="curated", WorkGroup="analysts",
                              QueryString=f"SELECT * FROM curated.people WHERE note = "
                                          f"'{secret('named query literal')}'")

    machine = definition()
    session.client("stepfunctions", endpoint_url=endpoint).create_state_machine(
        name="etl", definition=json.dumps(machine), roleArn=ROLE,
        tags=[{"key": "password", "value": secret("state machine tag")}])
    return machine


def leaks(where: str, data: bytes | str) -> list[str]:
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    return [f"{where}: {PLACES[m]} ({m})" for m in PLACES if m.encode() in raw]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = lineage(*args, env=env)
    assert result.returncode == 0, f"lineage {' '.join(args)} exited {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    return result


def store_files(db: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(db.parent.glob(db.name + "*")):
        yield path.name, path.read_bytes()


def every_row(url: str) -> str:
    """Every row of every table of the store, as PostgreSQL writes it out as text."""
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(sqlalchemy.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
            return "\n".join(str(row) for table in tables for row in connection.execute(
                sqlalchemy.text(f'SELECT t::text FROM "{table}" AS t')).scalars())
    finally:
        engine.dispose()


def schedule_until_two_scans(endpoint: str, db: str, pages: Path, log: Path) -> str:
    """`lineage schedule --now` until it has stored two scans (the second via `lineage scan` meanwhile),
    then SIGTERM; its log."""
    with log.open("w") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "lineage.cli", "schedule", "--every", "1h", "--now", "--endpoint-url", endpoint,
             "--region", REGION, "--db", db, "--html-dir", str(pages)],
            stdout=stream, stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 240
        while not (pages / "latest.html").exists():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the scheduled scan wrote no page in time"
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    return log.read_text(encoding="utf-8", errors="surrogateescape")


def test_no_planted_secret_reaches_the_store_an_export_a_view_the_logs_or_the_terminal(
        moto_server: str, tmp_path: Path, postgres_url: str) -> None:
    PLACES.clear()
    machine = deploy(moto_server)
    assert len(PLACES) >= 30
    found: list[str] = []
    db = tmp_path / "lineage.db"
    url = f"sqlite:///{db}"

    scanned = run("scan", "--endpoint-url", moto_server, "--region", REGION, "--db", url,
                  "--html", str(tmp_path / "scan.html"))
    found += leaks("scan output", scanned.stdout + scanned.stderr)
    found += leaks("scan --html page", (tmp_path / "scan.html").read_bytes())

    document = json.loads(run("export", "--db", url, "--format", "json").stdout)
    exported = json.dumps(document, ensure_ascii=False)
    found += leaks("export --format json", exported)
    run("export", "--db", url, "--format", "json", "-o", str(tmp_path / "export.json"))
    found += leaks("export -o", (tmp_path / "export.json").read_bytes())
    run("export", "--db", url, "--format", "html", "-o", str(tmp_path / "view.html"))
    found += leaks("export --format html", (tmp_path / "view.html").read_bytes())
    for command in (["findings"], ["findings", "--json"], ["gaps"], ["gaps", "--json"], ["scans"],
                    ["scans", "--json"], ["show", "etl", "--json"], ["show", "etl"], ["show", "curate"]):
        result = run(*command, "--db", url)
        found += leaks(" ".join(command), result.stdout + result.stderr)

    log = schedule_until_two_scans(moto_server, url, tmp_path / "pages", tmp_path / "schedule.log")
    found += leaks("scheduler log", log)
    for page in sorted((tmp_path / "pages").iterdir()):
        found += leaks(f"scheduler page {page.name}", page.read_bytes())
    for command in (["diff"], ["diff", "--json"]):
        result = run(*command, "--db", url)
        found += leaks(" ".join(command), result.stdout + result.stderr)
    for name, data in store_files(db):
        found += leaks(f"store file {name}", data)

    run("scan", "--endpoint-url", moto_server, "--region", REGION, "--db", postgres_url)
    found += leaks("PostgreSQL store", every_row(postgres_url))

    definition_file = tmp_path / "etl.asl.json"
    definition_file.write_text(json.dumps(machine), encoding="utf-8")
    for command in (["asl", str(definition_file)], ["asl", str(definition_file), "--json"]):
        result = run(*command)
        found += leaks(" ".join(command[:1] + command[2:]), result.stdout + result.stderr)

    assert not found, "secrets left the account:\n" + "\n".join(found)

    # Each place was read, and what it said is kept with its secret marked: the test proves nothing
    # about a place the scan never read.
    nodes = {node["id"]: node for node in document["nodes"]}
    job = nodes[f"arn:aws:glue:{REGION}:{ACCOUNT}:job/curate"]["attributes"]["arguments"]
    assert job["--db_password"] == "«redacted: password»"
    assert job["--DB_PASS"] == job["--pwd"] == "«redacted: password»"
    assert job["--conf"] == "spark.hadoop.fs.s3a.secret.key=«redacted: secret»"
    assert job["--jdbc_url"] == "jdbc:postgresql://db.example.com:5432/app"
    assert job["--input_path"] == "s3a://secret-raw/in/"
    edges = {(edge["source"], edge["target"], edge["kind"]) for edge in document["edges"]}
    # Lineage a path gives is kept when credentials are taken out of it.
    assert ("arn:aws:s3:::secret-raw/in", f"arn:aws:glue:{REGION}:{ACCOUNT}:job/curate", "reads") in edges
    machine_id = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:etl"
    assert (machine_id, "https://api.example.com/v1/items", "writes") in edges
    assert ("https://partner.example.com/ingest", machine_id, "reads") in edges
    table = nodes[f"arn:aws:glue:{REGION}:{ACCOUNT}:table/curated/people"]
    assert table["attributes"]["parameters"]["password"] == "«redacted: password»"
    assert any(edge[0] == table["id"] and edge[1] == "arn:aws:s3:::secret-lake/people" for edge in edges)
    assert nodes["arn:aws:s3:::secret-raw"]["attributes"]["tags"]["api_token"] == "«redacted: token»"
    assert "«redacted: key»" in exported  # the input template's apiKey
    assert "«redacted: literal»" in exported  # the Athena literals
