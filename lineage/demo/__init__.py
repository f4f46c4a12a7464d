"""`lineage demo`: a learning platform's estate built in moto, scanned like a real one.

Students act through an API (API Gateway → Lambda → DynamoDB); the table's stream feeds a second
function that announces completed enrollments on a custom EventBridge bus; a rule starts a Step
Functions ETL that exports the table to a raw bucket, runs a Glue job into a curated bucket, crawls it
into a catalog table that holds student e-mail addresses, and queries it from the `analytics` Athena
workgroup. A second job publishes course statistics without the e-mail addresses (tagged
`lineage:pii=masked`). Beside it: course-page clicks through a Kinesis stream and a Firehose delivery
stream into the raw bucket, where a notification tells a function of each file; an SNS topic that
notifies the course team and queues certificate requests; schedules that start the ETL and queue
weekly reminders, which a pipe hands to the topic; the curated data replicated to a partner's account.
Some lifecycle, encryption and exposure gaps are left in on purpose, so the findings have something
to say.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage.files import PRIVATE, PUBLISHED, write_output
from lineage.model import Scan

REGION = "us-east-1"
ACCOUNT = "123456789012"  # the account moto answers as
BUS = "learning-platform"
EVENT_SOURCE = "edu.learning.enrollments"

RAW = "lp-raw-data"
CURATED = "lp-curated-data"
TEMP = "lp-glue-temp"
RESULTS = "lp-athena-results"
ASSETS = "lp-website-assets"
DLQ = "enrollment-events-dlq"
PARTNER_ACCOUNT = "210987654321"  # a university partner's account: not scanned
# The same estate as one CloudFormation template, for `lineage template` and `lineage drift --template`.
ESTATE_TEMPLATE = Path(__file__).with_name("estate.yaml")

ClientFactory = Callable[[str], Any]


def _tls_only(bucket: str, extra: list[dict[str, Any]] | None = None) -> str:
    statements = [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }]
    return json.dumps({"Version": "2012-10-17", "Statement": statements + (extra or [])})


def lambda_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {'statusCode': 200}\n")
    return buffer.getvalue()


def state_machine_definition() -> dict[str, Any]:
    return {
        "Comment": "Nightly enrollment ETL",
        "StartAt": "ExportEnrollments",
        "States": {
            "ExportEnrollments": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:exportTableToPointInTime",
                "Parameters": {
                    "TableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/enrollments",
                    "S3Bucket": RAW,
                    "S3Prefix": "enrollments",
                    "ExportFormat": "DYNAMODB_JSON",
                },
                "Next": "Curate",
            },
            "Curate": {
                "Type": "Task",
                "Resource": "arn:aws:states:::glue:startJobRun.sync",
                "Parameters": {"JobName": "curate-enrollments", "Arguments": {"--run_date.$": "$.date"}},
                "Next": "Crawl",
            },
            "Crawl": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler",
                "Parameters": {"Name": "curated-enrollments"},
                "Next": "Notify",
            },
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::events:putEvents",
                "Parameters": {"Entries": [{
                    "EventBusName": BUS, "Source": "edu.learning.etl", "DetailType": "CuratedDataReady",
                    "Detail.$": "$",
                }]},
                "End": True,
            },
        },
    }


def build_estate(client: ClientFactory) -> None:
    """Create the estate through the given clients (in-process moto, or a moto server)."""
    iam = client("iam")
    role = iam.create_role(RoleName="learning-platform-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": ["lambda.amazonaws.com",
                                                                          "states.amazonaws.com",
                                                                          "glue.amazonaws.com",
                                                                          "events.amazonaws.com",
                                                                          "firehose.amazonaws.com",
                                                                          "scheduler.amazonaws.com",
                                                                          "pipes.amazonaws.com",
                                                                          "s3.amazonaws.com"]}}],
    }))["Role"]["Arn"]

    # Keys: the platform's own, which rotates, and the curated data's, which was made before that was the rule.
    kms = client("kms")
    platform_key = kms.create_key(Description="learning platform")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=platform_key)
    kms.create_alias(AliasName="alias/learning-platform", TargetKeyId=platform_key)
    kms.create_alias(AliasName="alias/curated", TargetKeyId=kms.create_key(Description="curated data")[
        "KeyMetadata"]["KeyId"])

    # Usage data enters: API Gateway → Lambda → DynamoDB; the table's changes reach a second function
    # through its stream, and that function announces completions on the bus.
    dynamodb = client("dynamodb")
    stream = dynamodb.create_table(
        TableName="enrollments", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "enrollment_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "enrollment_id", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    functions = client("lambda")
    functions.create_function(
        FunctionName="enrollment-api", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": lambda_zip()}, Environment={"Variables": {"TABLE_NAME": "enrollments"}},
    )["FunctionArn"]
    functions.create_function(
        FunctionName="enrollment-announcer", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": lambda_zip()},
        Environment={"Variables": {"EVENT_BUS": BUS, "EVENT_SOURCE": EVENT_SOURCE}},
    )
    functions.create_event_source_mapping(
        EventSourceArn=stream, FunctionName="enrollment-announcer", StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["MODIFY"], "dynamodb": {
            "NewImage": {"status": {"S": ["completed"]}}}})}]})
    validator = functions.create_function(
        FunctionName="clickstream-validator", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": lambda_zip()},
    )["FunctionArn"]
    # Where data rests.
    s3 = client("s3")
    for bucket in (RAW, CURATED, TEMP, RESULTS, ASSETS):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_encryption(Bucket=RAW, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_policy(Bucket=RAW, Policy=_tls_only(RAW, [{
        "Sid": "RequireKmsOnUpload", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{RAW}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
    }]))
    # The raw bucket's only rule expires `landing/`, not `enrollments/` where the export writes.
    s3.put_bucket_lifecycle_configuration(Bucket=RAW, LifecycleConfiguration={"Rules": [
        {"ID": "expire-landing", "Status": "Enabled", "Filter": {"Prefix": "landing/"},
         "Expiration": {"Days": 30}}]})
    s3.put_bucket_encryption(Bucket=CURATED, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                "KMSMasterKeyID": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/curated"},
         "BucketKeyEnabled": True}]})
    s3.put_bucket_versioning(Bucket=CURATED, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket=CURATED, Policy=_tls_only(CURATED))
    # Filtered by tag: it cannot be shown to cover what the job writes.
    s3.put_bucket_lifecycle_configuration(Bucket=CURATED, LifecycleConfiguration={"Rules": [
        {"ID": "expire-tagged-scratch", "Status": "Enabled",
         "Filter": {"Tag": {"Key": "retention", "Value": "scratch"}}, "Expiration": {"Days": 14}}]})
    s3.put_bucket_tagging(Bucket=CURATED, Tagging={"TagSet": [{"Key": "team", "Value": "data-platform"}]})
    s3.put_bucket_lifecycle_configuration(Bucket=TEMP, LifecycleConfiguration={"Rules": [
        {"ID": "expire-temp", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 7}}]})
    s3.put_public_access_block(Bucket=CURATED, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    # The partner university receives the curated enrollments: replicated into its account.
    s3.put_bucket_replication(Bucket=CURATED, ReplicationConfiguration={"Role": role, "Rules": [{
        "ID": "partner-enrollments", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": "enrollments/"},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": "arn:aws:s3:::partner-university-inbox", "Account": PARTNER_ACCOUNT}}]})
    # Every clickstream file that lands is checked by a function.
    s3.put_bucket_notification_configuration(Bucket=RAW, NotificationConfiguration={"LambdaFunctionConfigurations": [
        {"LambdaFunctionArn": validator, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [
            {"Name": "prefix", "Value": "landing/clickstream/"}, {"Name": "suffix", "Value": ".json.gz"}]}}}]})

    sqs = client("sqs")
    dlq = sqs.get_queue_attributes(QueueUrl=sqs.create_queue(QueueName=DLQ)["QueueUrl"],
                                   AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    # Processing: Glue job, crawler and catalog.
    glue = client("glue")
    glue.create_job(
        Name="curate-enrollments", Role=role, GlueVersion="4.0",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{TEMP}/scripts/curate.py", "PythonVersion": "3"},
        DefaultArguments={
            "--source_path": f"s3://{RAW}/enrollments/",
            "--output_path": f"s3://{CURATED}/enrollments/",
            "--TempDir": f"s3://{TEMP}/tmp/",
            "--job-bookmark-option": "job-bookmark-enable",
        },
    )
    # Course statistics for the public dashboard: counts per course, the e-mail addresses left out. The job
    # says so by tag, and the personal data stops there; its output shares the curated bucket without
    # sharing its personal data.
    glue.create_job(
        Name="publish-course-stats", Role=role, GlueVersion="4.0",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{TEMP}/scripts/stats.py", "PythonVersion": "3"},
        DefaultArguments={"--source_path": f"s3://{CURATED}/enrollments/",
                          "--output_path": f"s3://{CURATED}/course-stats/"},
        Tags={"lineage:pii": "masked", "team": "data-platform"},
    )
    glue.create_database(DatabaseInput={"Name": "curated", "Description": "Curated learning data"})
    glue.create_table(DatabaseName="curated", TableInput={
        "Name": "enrollments",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet"},
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {
            "Location": f"s3://{CURATED}/enrollments/",
            "Columns": [
                {"Name": "enrollment_id", "Type": "string"},
                {"Name": "student_id", "Type": "string"},
                {"Name": "student_email", "Type": "string", "Comment": "Student e-mail address"},
                {"Name": "course_id", "Type": "string"},
                {"Name": "completed_at", "Type": "timestamp"},
            ],
        },
    })
    glue.create_table(DatabaseName="curated", TableInput={
        "Name": "course_stats", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"},
        "StorageDescriptor": {"Location": f"s3://{CURATED}/course-stats/", "Columns": [
            {"Name": "course_id", "Type": "string"}, {"Name": "completions", "Type": "bigint"},
            {"Name": "completion_rate", "Type": "double"}]},
    })
    glue.create_crawler(Name="curated-enrollments", Role=role, DatabaseName="curated",
                        Targets={"S3Targets": [{"Path": f"s3://{CURATED}/enrollments/"}]})

    # The ETL and what starts it.
    states = client("stepfunctions")
    machine = states.create_state_machine(name="enrollment-etl", definition=json.dumps(state_machine_definition()),
                                          roleArn=role, type="STANDARD")["stateMachineArn"]
    events = client("events")
    events.create_event_bus(Name=BUS)
    events.put_rule(Name="enrollment-completed", EventBusName=BUS, State="ENABLED",
                    EventPattern=json.dumps({"source": [EVENT_SOURCE], "detail-type": ["EnrollmentCompleted"]}))
    events.put_targets(Rule="enrollment-completed", EventBusName=BUS, Targets=[{
        "Id": "start-etl", "Arn": machine, "RoleArn": role,
        "InputTransformer": {"InputPathsMap": {"date": "$.time"}, "InputTemplate": '{"date": <date>}'},
        "DeadLetterConfig": {"Arn": dlq},
    }])

    # The course team hears of completions; certified courses queue a certificate request.
    sns = client("sns")
    topic = sns.create_topic(Name="enrollment-notifications", Attributes={"KmsMasterKeyId": "alias/aws/sns"},
                             Tags=[{"Key": "team", "Value": "learning-platform"}])["TopicArn"]
    certificates_url = sqs.create_queue(QueueName="certificate-requests",
                                        Attributes={"KmsMasterKeyId": "alias/learning-platform"})["QueueUrl"]
    certificates = sqs.get_queue_attributes(QueueUrl=certificates_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=certificates, Attributes={
        "FilterPolicy": json.dumps({"course_level": ["certified"]}), "RawMessageDelivery": "true",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})})
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="course-team@example.edu")
    events.put_targets(Rule="enrollment-completed", EventBusName=BUS, Targets=[{"Id": "notify", "Arn": topic}])

    # Schedules: the nightly ETL run, and weekly reminders queued through a universal target, which a pipe
    # hands on to the topic.
    sqs.create_queue(QueueName="course-reminders", Attributes={"SqsManagedSseEnabled": "true"})
    scheduler = client("scheduler")
    scheduler.create_schedule_group(Name="learning", Tags=[{"Key": "team", "Value": "data-platform"}])
    scheduler.create_schedule(
        Name="nightly-etl", GroupName="learning", ScheduleExpression="cron(0 2 * * ? *)",
        ScheduleExpressionTimezone="Europe/London", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": machine, "RoleArn": role, "Input": json.dumps({"date": "yesterday"}),
                "DeadLetterConfig": {"Arn": dlq}})
    scheduler.create_schedule(
        Name="weekly-reminders", ScheduleExpression="rate(7 days)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": role, "Input": json.dumps({
            "QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/course-reminders",
            "MessageBody": json.dumps({"kind": "weekly-reminder"})})})
    client("pipes").create_pipe(
        Name="reminder-dispatch", RoleArn=role, Source=f"arn:aws:sqs:{REGION}:{ACCOUNT}:course-reminders",
        SourceParameters={"SqsQueueParameters": {"BatchSize": 10}}, Target=topic, Tags={"team": "data-platform"})

    # Clicks on the course pages: a week in a Kinesis stream nobody encrypted, delivered by Firehose to the
    # raw bucket's landing area.
    kinesis = client("kinesis")
    kinesis.create_stream(StreamName="lp-clickstream", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    kinesis.increase_stream_retention_period(StreamName="lp-clickstream", RetentionPeriodHours=168)
    kinesis.add_tags_to_stream(StreamName="lp-clickstream", Tags={"team": "web"})
    clicks = kinesis.describe_stream_summary(StreamName="lp-clickstream")["StreamDescriptionSummary"]["StreamARN"]
    kinesis.register_stream_consumer(StreamARN=clicks, ConsumerName="engagement-analytics")
    client("firehose").create_delivery_stream(
        DeliveryStreamName="lp-clickstream-delivery", DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": clicks, "RoleARN": role},
        Tags=[{"Key": "team", "Value": "web"}],
        ExtendedS3DestinationConfiguration={
            "RoleARN": role, "BucketARN": f"arn:aws:s3:::{RAW}",
            "Prefix": "landing/clickstream/!{timestamp:yyyy}/!{timestamp:MM}/",
            "ErrorOutputPrefix": "landing/clickstream-errors/!{firehose:error-output-type}/",
            "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 300}, "CompressionFormat": "GZIP"})

    # What the functions print: the API's logs kept a month under the platform's key, its errors archived by
    # a function; the announcer's kept forever.
    archiver = functions.create_function(
        FunctionName="log-archiver", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": lambda_zip()})["FunctionArn"]
    logs = client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/enrollment-api", tags={"team": "platform"},
                          kmsKeyId=kms.describe_key(KeyId=platform_key)["KeyMetadata"]["Arn"])
    logs.put_retention_policy(logGroupName="/aws/lambda/enrollment-api", retentionInDays=30)
    logs.put_subscription_filter(logGroupName="/aws/lambda/enrollment-api", filterName="errors-to-archive",
                                 filterPattern="ERROR", destinationArn=archiver)
    for name in ("enrollment-announcer", "clickstream-validator", "log-archiver"):
        logs.create_log_group(logGroupName=f"/aws/lambda/{name}")
    for name in ("clickstream-validator", "log-archiver"):
        logs.put_retention_policy(logGroupName=f"/aws/lambda/{name}", retentionInDays=14)

    # Usage: the analytics workgroup, which writes results unencrypted and without a lifecycle.
    athena = client("athena")
    athena.create_work_group(Name="analytics", Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://{RESULTS}/analytics/"}})
    athena.create_named_query(
        Name="weekly-completions", Database="curated", WorkGroup="analytics",
        QueryString="SELECT course_id, count(*) AS completions, array_agg(student_email) AS students "
                    "FROM enrollments WHERE completed_at > current_date - interval '7' day GROUP BY course_id",
    )

    # The platform never turned on Macie's sensitive-data discovery (moto starts every account with it on).
    client("macie2").disable_macie()

    # Both ends of the flows, each part built on what is above and on nothing of another part.
    from lineage.demo import api, batch, dashboards, entry_functions, models, training  # noqa: PLC0415 - they use these names

    for part in (api, entry_functions, batch, dashboards, training, models):
        part.build(client)


@dataclass(frozen=True, slots=True)
class Written:
    """A file the demo wrote, and what became of the one there before."""

    path: Path
    action: str  # "wrote", "replaced", or "added a scan to" (the database keeps every scan, as a store does)


def _verb(replaced: bool) -> str:
    return "replaced" if replaced else "wrote"


def run_demo(out: Path) -> tuple[list[Written], Scan]:
    """Build the estate in-process, scan it, write lineage.db, lineage.html and lineage.json.

    The page is published (readable by all), the export and the database are private; `OutputError`
    (or `StoreError` for the database) when one cannot be written, after the scan.
    """
    import boto3
    from moto import mock_aws

    from lineage import moto_support
    from lineage.scan import ScanOptions, run_scan
    from store.repository import open_store, save_scan
    from viz.export import dumps, scan_document
    from viz.html import render_html

    credentials = {"aws_access_key_id": "demo", "aws_secret_access_key": "demo", "region_name": REGION}
    moto_support.install()  # what moto does not serve of what the scan reads
    with mock_aws():
        session = boto3.Session(**credentials)
        build_estate(lambda service: session.client(service))
        scan, _ = run_scan(ScanOptions(regions=(REGION,)), session=boto3.Session(**credentials))
    database, page, export = out / "lineage.db", out / "lineage.html", out / "lineage.json"
    had_database = database.is_file()
    save_scan(open_store(str(database)), scan)  # created private; a link is refused
    return [
        Written(database, "added a scan to" if had_database else "wrote"),
        Written(page, _verb(write_output(page, render_html(scan), PUBLISHED))),
        Written(export, _verb(write_output(export, dumps(scan_document(scan)), PRIVATE))),
    ], scan


def serve_demo_estate(host: str, port: int, stop: Any) -> str:
    """A moto server holding the demo estate, until `stop` (a threading.Event) is set; its URL."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    from lineage import moto_support

    moto_support.install()  # before the server starts: it reads the paths
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns what matters
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    local = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
    try:
        session = boto3.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name=REGION)
        build_estate(lambda service: session.client(service, endpoint_url=local))
        stop.wait()
    finally:
        server.stop()
    return local
