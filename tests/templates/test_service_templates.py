"""Queues, topics, functions, tables, log groups, streams, delivery streams, keys, schedules and pipes read from
templates: the nodes and flows each gives, what AWS's defaults fill in where a template is silent, the findings
they lead to, and the same facts as a scan of the stack deployed in moto."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lineage import arn as arns
from lineage.model import Scan
from lineage.template_scan import scan_templates
from templates.document import read_template
from templates.stack import Placed, Placement, Stack
from tests.templates.reading import findings, flows, nodes_by_id, written_and_scanned

ACCOUNT, REGION = "123456789012", "eu-west-1"
PLACEMENT = Placement(account=ACCOUNT, region=REGION)


def read(tmp_path: Path, text: str, name: str = "app.yaml", placement: Placement = PLACEMENT) -> Scan:
    return written_and_scanned(tmp_path / name, text, placement)


def queue(name: str, account: str = ACCOUNT) -> str:
    return arns.sqs_queue_arn(REGION, account, name)


def function(name: str) -> str:
    return arns.lambda_function_arn(REGION, ACCOUNT, name)


def table(name: str, region: str = REGION) -> str:
    return arns.dynamodb_table_arn(region, ACCOUNT, name)


def stream(name: str) -> str:
    return arns.kinesis_stream_arn(REGION, ACCOUNT, name)


def log_group(name: str) -> str:
    return arns.log_group_arn(REGION, ACCOUNT, name)


def topic(name: str, account: str = ACCOUNT) -> str:
    return arns.sns_topic_arn(REGION, account, name)


# --- SQS ------------------------------------------------------------------------------------------------------

QUEUES = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, Default: prod}
  Retention: {Type: Number}
Resources:
  OrdersKey:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: "kms:*"
            Resource: "*"
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "orders-${Env}"
      KmsMasterKeyId: !Ref OrdersKey
      VisibilityTimeout: 120
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt OrdersDlq.Arn
        maxReceiveCount: "5"
      Tags:
        - {Key: team, Value: checkout}
  OrdersDlq:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "orders-${Env}-dlq"
      MessageRetentionPeriod: 1209600
  Legacy:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: legacy-events.fifo
      FifoQueue: true
      SqsManagedSseEnabled: false
      MessageRetentionPeriod: !Ref Retention
  Scratch:
    Type: AWS::SQS::Queue
  OrdersPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Orders, !Ref OrdersDlq]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: sns.amazonaws.com}
            Action: sqs:SendMessage
            Resource: !GetAtt Orders.Arn
"""


def test_queues_get_the_encryption_and_retention_sqs_gives_and_their_dead_letter_flow(tmp_path: Path) -> None:
    scan = read(tmp_path, QUEUES)
    read_nodes = nodes_by_id(scan)
    orders, dlq, legacy = queue("orders-prod"), queue("orders-prod-dlq"), queue("legacy-events.fifo")
    assert read_nodes[orders].kind == "sqs.queue" and read_nodes[orders].observed
    # `!Ref` of a key gives its id, which is read as the customer's key (shown as its logical id).
    assert read_nodes[orders].attributes["encryption"] == {"type": "kms", "kms_key": "${OrdersKey}",
                                                              "customer_key": True}  # the key id KMS will give
    assert read_nodes[orders].attributes["retention_seconds"] == 345600
    assert read_nodes[orders].attributes["aws_defaults"] == ["retention"]
    assert read_nodes[orders].attributes["tags"] == {"team": "checkout"}
    # Silent on encryption: SSE-SQS, as every queue made since October 2022.
    assert read_nodes[dlq].attributes["encryption"]["type"] == "sse-sqs"
    assert read_nodes[dlq].attributes["aws_defaults"] == ["encryption"]
    assert read_nodes[dlq].attributes["retention_seconds"] == 1209600
    assert read_nodes[legacy].attributes["fifo"] is True
    assert "retention_seconds" not in read_nodes[legacy].attributes  # a parameter nobody gave: not known
    assert read_nodes["cfn:app#Scratch"].attributes["aws_defaults"] == ["encryption", "retention"]
    assert read_nodes["cfn:app#Scratch"].attributes["template"]["name_chosen_at_deployment"] is True
    assert (orders, "writes", dlq) in flows(scan)
    assert read_nodes[dlq].attributes["template"]["logical_id"] == "OrdersDlq"
    assert read_nodes[dlq].attributes["template"]["line"] == QUEUES.splitlines().index("  OrdersDlq:") + 1
    # The policy is the queue's configuration, not a node of its own.
    assert not [node for node in scan.nodes if node.kind.startswith("sqs.") and node.kind != "sqs.queue"]
    assert {f for f in findings(scan) if f[0].startswith("sqs.")} == {
        ("sqs.queue_not_encrypted", legacy), ("sqs.dead_letter_queue_unread", dlq)}


# --- SAM function with event sources -------------------------------------------------------------------------

SAM_APP = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 30
Resources:
  IngestQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: ingest
  FailedQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: ingest-failed
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  Ingest:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: ingest-orders
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          ORDERS_TABLE: !Ref OrdersTable
          NOTIFY_QUEUE_URL: !Ref FailedQueue
          API_TOKEN: s3cr3t-value
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt FailedQueue.Arn}
      Events:
        FromQueue:
          Type: SQS
          Properties:
            Queue: !GetAtt IngestQueue.Arn
            BatchSize: 10
            FilterCriteria:
              Filters:
                - Pattern: '{"body": {"type": ["order"]}}'
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref OrdersTable}
  Projector:
    Type: AWS::Serverless::Function
    Properties:
      Handler: project.handler
      CodeUri: src/
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt OrdersTable.StreamArn
            StartingPosition: TRIM_HORIZON
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt FailedQueue.Arn}
      FunctionUrlConfig:
        AuthType: NONE
        Cors: {AllowOrigins: ["*"]}
"""


def test_a_sam_function_reads_its_queue_and_table_stream_and_names_what_its_environment_names(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
    scan = read(tmp_path, SAM_APP)
    read_nodes, found = nodes_by_id(scan), flows(scan)
    ingest, projector = function("ingest-orders"), "cfn:app#Projector"
    orders_table = "cfn:app#OrdersTable"
    assert read_nodes[ingest].kind == "lambda.function"
    assert (read_nodes[ingest].attributes["template"]["logical_id"],
            read_nodes[ingest].attributes["template"]["format"]) == ("Ingest", "sam")
    # The event source mapping SAM makes: the queue's messages are read by the function, filter as evidence.
    assert (queue("ingest"), "reads", ingest) in found
    [mapping] = [e for e in scan.edges if (e.source, e.target) == (queue("ingest"), ingest)]
    assert '{"body": {"type": ["order"]}}' in mapping.evidence[0].excerpt
    # A DynamoDB stream carries its table's changes: the flow starts at the table.
    assert (orders_table, "reads", projector) in found
    # `!Ref` of a queue is its URL, naming it outright; `!Ref` of a table a name, matched to the table.
    assert (ingest, "references", queue("ingest-failed")) in found
    assert (ingest, "references", orders_table) in found
    assert read_nodes[ingest].attributes["environment_names"] == ["API_TOKEN", "NOTIFY_QUEUE_URL", "ORDERS_TABLE"]
    assert "s3cr3t-value" not in json.dumps([n.to_dict() for n in scan.nodes] + [e.to_dict() for e in scan.edges])
    # What fails is set aside: the dead-letter queue, and the destination on failure.
    assert (ingest, "writes", queue("ingest-failed")) in found
    assert (projector, "writes", queue("ingest-failed")) in found
    assert (ingest, "writes", log_group("/aws/lambda/ingest-orders")) in found
    assert read_nodes[ingest].attributes["role"] == "cfn:app#IngestRole"
    assert read_nodes[ingest].attributes["aws_defaults"] == ["kms_key", "log_group"]
    url = read_nodes["cfn:app#ProjectorUrl"]
    assert (url.kind, url.attributes["auth_type"]) == ("lambda.url", "NONE")
    assert ("cfn:app#ProjectorUrl", "invokes", projector) in found
    assert ("lambda.url_without_auth", "cfn:app#ProjectorUrl") in findings(scan)
    assert ("dynamodb.no_ttl", orders_table) in findings(scan)


# --- SNS ------------------------------------------------------------------------------------------------------

TOPICS = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: order-alerts
      Subscription:
        - {Protocol: email, Endpoint: oncall@example.com}
        - {Protocol: email, Endpoint: finance@example.com}
        - {Protocol: sqs, Endpoint: !GetAtt AlertQueue.Arn}
  Events:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: order-events.fifo
      FifoTopic: true
      KmsMasterKeyId: alias/aws/sns
      ArchivePolicy: {MessageRetentionPeriod: "30"}
  AlertQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: order-alerts
  Webhook:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Alerts
      Protocol: http
      Endpoint: http://hooks.partner.example/sns?token=abc123
      FilterPolicy: {severity: [critical]}
  Partner:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Alerts
      Protocol: sqs
      Endpoint: arn:aws:sqs:eu-west-1:999988887777:partner-inbox
      RawMessageDelivery: true
  FromShared:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: arn:aws:sns:eu-west-1:123456789012:shared-events
      Protocol: sqs
      Endpoint: !GetAtt AlertQueue.Arn
  AlertsPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Alerts]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sns:Publish, Resource: !Ref Alerts}
"""


def test_topics_deliver_to_their_subscribers_and_never_keep_an_address(tmp_path: Path) -> None:
    scan = read(tmp_path, TOPICS)
    read_nodes, found = nodes_by_id(scan), flows(scan)
    alerts, events = topic("order-alerts"), topic("order-events.fifo")
    assert read_nodes[alerts].attributes["encryption"]["type"] == "none"
    assert read_nodes[alerts].attributes["aws_defaults"] == ["encryption"]
    assert read_nodes[alerts].attributes["subscriptions_by_protocol"] == {"email": 2, "http": 1, "sqs": 2}
    assert read_nodes[events].attributes["encryption"] == {"type": "kms", "kms_key": "alias/aws/sns",
                                                           "customer_key": False}
    assert (read_nodes[events].attributes["fifo"], read_nodes[events].attributes["archive_days"]) == (True, 30)
    assert "aws_defaults" not in read_nodes[events].attributes
    assert (alerts, "routes", queue("order-alerts")) in found
    assert (alerts, "writes", f"{alerts}#email") in found
    assert read_nodes[f"{alerts}#email"].attributes["subscribers"] == 2
    assert (alerts, "writes", "http://hooks.partner.example/sns") in found  # the token never kept
    assert (alerts, "routes", queue("partner-inbox", "999988887777")) in found
    # A subscription to a topic of another stack: its flow, without claiming the topic was read.
    assert (topic("shared-events"), "routes", queue("order-alerts")) in found
    assert topic("shared-events") not in read_nodes or not read_nodes[topic("shared-events")].observed
    said = json.dumps([n.to_dict() for n in scan.nodes] + [e.to_dict() for e in scan.edges])
    assert "oncall@example.com" not in said and "abc123" not in said
    [webhook] = [e for e in scan.edges if e.target == "http://hooks.partner.example/sns"]
    assert '{\\"severity\\":[\\"critical\\"]}' in webhook.evidence[0].excerpt  # what passes, as evidence
    assert ("sns.topic_not_encrypted", alerts) in findings(scan)
    assert not [node for rule, node in findings(scan) if node == events]


# --- DynamoDB -------------------------------------------------------------------------------------------------

TABLES = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  TableKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {AWS: "*"}, Action: "kms:*", Resource: "*"}]
  Changes:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: order-changes
      StreamEncryption: {EncryptionType: KMS, KeyId: alias/aws/kinesis}
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: !GetAtt TableKey.Arn}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      KinesisStreamSpecification: {StreamArn: !GetAtt Changes.Arn}
      DeletionProtectionEnabled: true
  Sessions:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: sessions
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      SSESpecification: {SSEEnabled: true}
  Customers:
    Type: AWS::DynamoDB::GlobalTable
    Properties:
      TableName: customers
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      Replicas:
        - Region: eu-west-1
          PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
          Tags: [{Key: data, Value: customers}]
        - Region: us-east-1
"""


def test_tables_with_their_encryption_ttl_recovery_and_where_their_changes_go(tmp_path: Path) -> None:
    scan = read(tmp_path, TABLES)
    read_nodes, found = nodes_by_id(scan), flows(scan)
    orders, sessions, customers = table("orders"), table("sessions"), table("customers")
    assert read_nodes[orders].attributes["encryption"] == {"type": "kms", "kms_key": "cfn:app#TableKey"}
    assert read_nodes[orders].attributes["ttl"] == {"status": "ENABLED", "attribute": "expires_at"}
    assert read_nodes[orders].attributes["point_in_time_recovery"] is True
    assert read_nodes[orders].attributes["deletion_protection"] is True
    assert "aws_defaults" not in read_nodes[orders].attributes
    assert (orders, "routes", stream("order-changes")) in found
    # SSE on without a key: the account's AWS managed key, named by its alias.
    assert read_nodes[sessions].attributes["encryption"] == {
        "type": "kms", "kms_key": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/dynamodb"}
    assert read_nodes[sessions].attributes["aws_defaults"] == ["point_in_time_recovery", "ttl"]
    # A global table is read as its replica here, writing to its replica elsewhere.
    assert (customers, "writes", table("customers", "us-east-1")) in found
    assert read_nodes[customers].attributes["point_in_time_recovery"] is True
    assert read_nodes[customers].attributes["tags"] == {"data": "customers"}
    assert read_nodes[customers].attributes["stream"]["view_type"] == "NEW_AND_OLD_IMAGES"
    assert {f for f in findings(scan) if f[0].startswith("dynamodb.")} == {
        ("dynamodb.no_ttl", sessions), ("dynamodb.no_ttl", customers)}
    # The table's key is the customer's and does not rotate: the template says nothing of rotation.
    key = read_nodes["cfn:app#TableKey"]
    assert (key.kind, key.attributes["customer_key"], key.attributes["rotation"]) == (
        "kms.key", True, {"applies": True, "enabled": False, "period_days": None})
    assert key.attributes["aws_defaults"] == ["rotation", "spec"]
    rotation = [f for f in scan.findings if f.rule == "kms.key_rotation_off"]
    assert [f.node for f in rotation] == ["cfn:app#TableKey"] and "orders" in rotation[0].message


# --- CloudWatch Logs ------------------------------------------------------------------------------------------

LOGS = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  AuditDays: {Type: Number}
Resources:
  AppLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /app/orders
      RetentionInDays: 30
      KmsKeyId: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
  DebugLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /app/debug
  AuditLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /app/audit
      RetentionInDays: !Ref AuditDays
  LogStream:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: app-logs
      ShardCount: 1
  ToStream:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      LogGroupName: !Ref AppLogs
      FilterPattern: "{ $.level = \\"ERROR\\" }"
      DestinationArn: !GetAtt LogStream.Arn
      RoleArn: arn:aws:iam::123456789012:role/logs-to-kinesis
  ToCentral:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      LogGroupName: !Ref DebugLogs
      FilterPattern: ""
      DestinationArn: arn:aws:logs:eu-west-1:444455556666:destination:central-logs
  FunctionLogs:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      LogGroupName: /aws/lambda/payments
      FilterPattern: ""
      DestinationArn: !GetAtt LogStream.Arn
"""


def test_log_groups_keep_events_for_ever_unless_told_and_their_filters_are_flows(tmp_path: Path) -> None:
    scan = read(tmp_path, LOGS)
    read_nodes, found = nodes_by_id(scan), flows(scan)
    app, debug, audit = log_group("/app/orders"), log_group("/app/debug"), log_group("/app/audit")
    assert read_nodes[app].attributes["retention_days"] == 30
    assert read_nodes[app].attributes["encryption"]["type"] == "kms"
    assert read_nodes[app].attributes["aws_defaults"] == ["class"]
    assert read_nodes[debug].attributes["retention_days"] is None
    assert read_nodes[debug].attributes["aws_defaults"] == ["class", "encryption", "retention"]
    assert "retention_days" not in read_nodes[audit].attributes  # a parameter nobody gave: not known
    assert (app, "routes", stream("app-logs")) in found
    central = "arn:aws:logs:eu-west-1:444455556666:destination:central-logs"
    assert (debug, "routes", central) in found
    # A filter on a group the template does not define: the flow, not a node claiming the group was read.
    payments = log_group("/aws/lambda/payments")
    assert (payments, "routes", stream("app-logs")) in found
    assert payments not in read_nodes or not read_nodes[payments].observed
    assert {node for rule, node in findings(scan) if rule == "logs.no_retention"} == {debug}


# --- Kinesis and Firehose -------------------------------------------------------------------------------------

STREAMS = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Clicks:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: clicks
      StreamModeDetails: {StreamMode: ON_DEMAND}
      RetentionPeriodHours: 168
      StreamEncryption: {EncryptionType: KMS, KeyId: !GetAtt StreamKey.Arn}
  Raw:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: raw-events
      ShardCount: 2
  RawReader:
    Type: AWS::Kinesis::StreamConsumer
    Properties:
      ConsumerName: raw-archiver
      StreamARN: !GetAtt Raw.Arn
  StreamKey:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {AWS: "*"}, Action: "kms:*", Resource: "*"}]
  Lake:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: acme-clickstream-lake
  Enrich:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: enrich-clicks
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/enrich
      Code: {ZipFile: "def handler(event, context):\\n    return event\\n"}
  ClicksToLake:
    Type: AWS::KinesisFirehose::DeliveryStream
    Properties:
      DeliveryStreamName: clicks-to-lake
      DeliveryStreamType: KinesisStreamAsSource
      KinesisStreamSourceConfiguration:
        KinesisStreamARN: !GetAtt Clicks.Arn
        RoleARN: arn:aws:iam::123456789012:role/firehose
      ExtendedS3DestinationConfiguration:
        BucketARN: !GetAtt Lake.Arn
        RoleARN: arn:aws:iam::123456789012:role/firehose
        Prefix: "clicks/year=!{timestamp:yyyy}/"
        ErrorOutputPrefix: "errors/!{firehose:error-output-type}/"
        BufferingHints: {IntervalInSeconds: 60, SizeInMBs: 64}
        EncryptionConfiguration:
          KMSEncryptionConfig: {AWSKMSKeyARN: !GetAtt StreamKey.Arn}
        ProcessingConfiguration:
          Enabled: true
          Processors:
            - Type: Lambda
              Parameters:
                - {ParameterName: LambdaArn, ParameterValue: !GetAtt Enrich.Arn}
  Direct:
    Type: AWS::KinesisFirehose::DeliveryStream
    Properties:
      DeliveryStreamName: direct-to-partner
      HttpEndpointDestinationConfiguration:
        EndpointConfiguration:
          Url: http://ingest.partner.example/v1/events
          Name: partner
          AccessKey: very-secret-access-key
        S3Configuration:
          BucketARN: !GetAtt Lake.Arn
          RoleARN: arn:aws:iam::123456789012:role/firehose
          Prefix: failed/
        RoleARN: arn:aws:iam::123456789012:role/firehose
"""


def test_streams_and_delivery_streams_with_their_sources_destinations_and_encryption(tmp_path: Path) -> None:
    scan = read(tmp_path, STREAMS)
    read_nodes, found = nodes_by_id(scan), flows(scan)
    clicks, raw = stream("clicks"), stream("raw-events")
    to_lake = arns.build_arn("firehose", REGION, ACCOUNT, "deliverystream/clicks-to-lake")
    direct = arns.build_arn("firehose", REGION, ACCOUNT, "deliverystream/direct-to-partner")
    assert read_nodes[clicks].attributes["encryption"] == {"type": "kms", "kms_key": "cfn:app#StreamKey",
                                                           "customer_key": True}
    assert (read_nodes[clicks].attributes["mode"], read_nodes[clicks].attributes["retention_hours"]) == (
        "ON_DEMAND", 168)
    assert read_nodes[raw].attributes["encryption"]["type"] == "none"
    assert read_nodes[raw].attributes["retention_hours"] == 24
    assert read_nodes[raw].attributes["consumers"] == ["raw-archiver"]
    assert read_nodes[raw].attributes["aws_defaults"] == ["encryption", "mode", "retention"]
    # Firehose reads the stream, runs the function on each batch, writes to the static part of the prefix.
    assert (clicks, "reads", to_lake) in found
    assert (to_lake, "invokes", function("enrich-clicks")) in found
    assert (to_lake, "writes", "arn:aws:s3:::acme-clickstream-lake/clicks") in found
    assert (to_lake, "writes", "arn:aws:s3:::acme-clickstream-lake/errors") in found
    lake = read_nodes[to_lake].attributes
    assert (lake["source_type"], lake["destination_types"], lake["buffering"]) == (
        "KinesisStreamAsSource", ["ExtendedS3"], {"size_mb": 64, "interval_seconds": 60})
    assert lake["destination_encryption"] == {"type": "kms", "kms_key": "cfn:app#StreamKey"}
    assert lake["aws_defaults"] == ["encryption"]
    assert read_nodes[direct].attributes["source_type"] == "DirectPut"
    assert read_nodes[direct].attributes["aws_defaults"] == ["encryption", "source"]
    assert (direct, "writes", "http://ingest.partner.example/v1/events") in found
    assert (direct, "writes", "arn:aws:s3:::acme-clickstream-lake/failed") in found
    assert "very-secret-access-key" not in json.dumps([n.to_dict() for n in scan.nodes])
    assert {f for f in findings(scan) if f[0].split(".")[0] in ("kinesis", "firehose")} == {
        ("kinesis.stream_not_encrypted", raw), ("kinesis.retention_beyond_need", clicks),
        ("firehose.stream_not_encrypted", direct), ("firehose.http_endpoint_plain", direct)}


# --- KMS aliases, schedules, pipes ----------------------------------------------------------------------------

ORCHESTRATION = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  QueueKey:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {AWS: "*"}, Action: "kms:*", Resource: "*"}]
  QueueKeyAlias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: alias/orders
      TargetKeyId: !Ref QueueKey
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: nightly-jobs
      KmsMasterKeyId: alias/orders
  Batch:
    Type: AWS::Scheduler::ScheduleGroup
    Properties:
      Name: batch
      Tags: [{Key: stage, Value: generation}]
  Nightly:
    Type: AWS::Scheduler::Schedule
    Properties:
      Name: nightly-export
      GroupName: !Ref Batch
      ScheduleExpression: cron(0 2 * * ? *)
      ScheduleExpressionTimezone: Europe/Dublin
      FlexibleTimeWindow: {Mode: "OFF"}
      Target:
        Arn: !GetAtt Jobs.Arn
        RoleArn: arn:aws:iam::123456789012:role/scheduler
        Input: '{"job": "export", "date": "yesterday"}'
  Purge:
    Type: AWS::Scheduler::Schedule
    Properties:
      Name: purge-sessions
      ScheduleExpression: rate(1 day)
      FlexibleTimeWindow: {Mode: FLEXIBLE, MaximumWindowInMinutes: 30}
      Target:
        Arn: arn:aws:scheduler:::aws-sdk:sqs:purgeQueue
        RoleArn: arn:aws:iam::123456789012:role/scheduler
        Input: !Sub '{"QueueUrl": "${Jobs}"}'
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: job-worker
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(event, context):\\n    return event\\n"}
  JobsToWorker:
    Type: AWS::Pipes::Pipe
    Properties:
      Name: jobs-to-worker
      RoleArn: arn:aws:iam::123456789012:role/pipe
      Source: !GetAtt Jobs.Arn
      SourceParameters:
        FilterCriteria:
          Filters: [{Pattern: '{"body": {"job": ["export"]}}'}]
      Target: !GetAtt Worker.Arn
      TargetParameters:
        LambdaFunctionParameters: {InvocationType: FIRE_AND_FORGET}
  CallbackUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: arn:aws:lambda:eu-west-1:123456789012:function:partner-callback
      AuthType: NONE
  Broken:
    Type: AWS::Pipes::Pipe
    Properties:
      Name: half-made
      RoleArn: arn:aws:iam::123456789012:role/pipe
      Source: !GetAtt Jobs.Arn
"""


def test_keys_by_alias_schedules_and_pipes(tmp_path: Path) -> None:
    scan = read(tmp_path, ORCHESTRATION)
    read_nodes, found = nodes_by_id(scan), flows(scan)
    jobs, worker = queue("nightly-jobs"), function("job-worker")
    key = read_nodes["cfn:app#QueueKey"]
    assert f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/orders" in key.attributes["named_as"]
    assert key.attributes["rotation"]["enabled"] is True and "kms.key_rotation_off" not in {
        rule for rule, _ in findings(scan)}
    nightly = arns.build_arn("scheduler", REGION, ACCOUNT, "schedule/batch/nightly-export")
    purge = arns.build_arn("scheduler", REGION, ACCOUNT, "schedule/default/purge-sessions")
    assert (nightly, "routes", jobs) in found
    assert read_nodes[nightly].attributes["tags"] == {"stage": "generation"}
    assert read_nodes[nightly].attributes["timezone"] == "Europe/Dublin"
    assert read_nodes[purge].attributes["tags"] == {}  # the default group has none
    assert read_nodes[purge].attributes["target"]["action"] == "sqs:purgeQueue"
    assert read_nodes[purge].attributes["target"]["retry"] == {"MaximumEventAgeInSeconds": 86400,
                                                                 "MaximumRetryAttempts": 185}
    assert read_nodes[purge].attributes["aws_defaults"] == ["kms_key"]
    pipe = arns.build_arn("pipes", REGION, ACCOUNT, "pipe/jobs-to-worker")
    assert (jobs, "reads", pipe) in found and (pipe, "triggers", worker) in found
    assert read_nodes[pipe].attributes["target"]["invocation_type"] == "FIRE_AND_FORGET"
    assert read_nodes[pipe].attributes["source"]["filters"] == ['{"body": {"job": ["export"]}}']
    # The URL of a function of another stack is where requests enter all the same.
    assert ("cfn:app#CallbackUrl", "invokes", function("partner-callback")) in found
    assert ("lambda.url_without_auth", "cfn:app#CallbackUrl") in findings(scan)
    assert function("partner-callback") not in read_nodes or not read_nodes[function("partner-callback")].observed
    # A pipe without a target: kept with what it names, said to be incomplete, never a crash.
    broken = arns.build_arn("pipes", REGION, ACCOUNT, "pipe/half-made")
    assert read_nodes[broken].attributes["unread"] == ["configuration"]
    assert (jobs, "reads", broken) in found
    assert any("half-made" in gap.error or "Broken" in gap.error for gap in scan.coverage_gaps)


UNDETERMINED = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Encrypt: {Type: String, AllowedValues: ["true", "false"]}
  Env: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: events
      SqsManagedSseEnabled: !Ref Encrypt
  Stream:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: events
      StreamEncryption: !If [IsProd, {EncryptionType: KMS, KeyId: alias/aws/kinesis}, !Ref AWS::NoValue]
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: events
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: !Ref Encrypt}
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: !If [IsProd, true, false]
      KeyPolicy: {Version: "2012-10-17", Statement: []}
  Half:
    Type: AWS::SNS::Subscription
    Properties:
      Protocol: sqs
      Endpoint: !GetAtt Queue.Arn
  Schedule:
    Type: AWS::Scheduler::Schedule
    Properties:
      Name: nightly
      ScheduleExpression: rate(1 day)
      FlexibleTimeWindow: !Ref Env
      Target: !Ref Env
"""


def test_what_a_template_leaves_to_deployment_is_unknown_and_a_broken_resource_costs_only_itself(
        tmp_path: Path) -> None:
    scan = read(tmp_path, UNDETERMINED)
    read_nodes = nodes_by_id(scan)
    # Neither guessed nor judged: encryption, time to live and rotation wait for parameters nobody gave.
    assert "encryption" not in read_nodes[queue("events")].attributes
    assert "encryption" not in read_nodes[stream("events")].attributes
    assert "ttl" not in read_nodes[table("events")].attributes
    assert "rotation" not in read_nodes["cfn:app#Key"].attributes
    assert not {rule for rule, _ in findings(scan)} & {"sqs.queue_not_encrypted", "kinesis.stream_not_encrypted",
                                                        "dynamodb.no_ttl", "kms.key_rotation_off"}
    # A subscription naming no topic is said in one line; a schedule whose target is not known is still a node.
    assert [gap.error for gap in scan.coverage_gaps if "Half" in gap.error] == ["subscription Half: no topic"]
    nightly = arns.build_arn("scheduler", REGION, ACCOUNT, "schedule/default/nightly")
    assert read_nodes[nightly].kind == "scheduler.schedule"
    assert not [gap for gap in scan.coverage_gaps if gap.operation.startswith("read ") and "Error" in gap.error]


def test_without_account_or_region_the_ids_keep_those_fields_empty_and_nothing_breaks(tmp_path: Path) -> None:
    scan = read(tmp_path, QUEUES, placement=Placement())
    read_nodes = nodes_by_id(scan)
    assert "arn:aws:sqs:::orders-prod" in read_nodes
    assert read_nodes["arn:aws:sqs:::orders-prod"].attributes["encryption"]["type"] == "kms"
    assert not [gap for gap in scan.coverage_gaps if "Error" in gap.error]


# --- the same facts as a scan of the deployed stack -----------------------------------------------------------

# Every resource named, so the template's ids are the deployed ones.
DEPLOYED = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  OrdersKey:
    Type: AWS::KMS::Key
    Properties:
      Description: orders queue key
      KeyPolicy: |
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]}
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: orders
      KmsMasterKeyId: !Ref OrdersKey
      RedrivePolicy: {deadLetterTargetArn: !GetAtt OrdersDlq.Arn, maxReceiveCount: 5}
  OrdersDlq:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: orders-dlq
      MessageRetentionPeriod: 1209600
  Plain:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: plain-events
      SqsManagedSseEnabled: false
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: order-alerts
      KmsMasterKeyId: alias/aws/sns
      Subscription:
        - {Protocol: sqs, Endpoint: !GetAtt Orders.Arn}
  Loose:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: loose-events
  LooseToDlq:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Loose
      Protocol: sqs
      Endpoint: !GetAtt OrdersDlq.Arn
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      SSESpecification: {SSEEnabled: true}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  Sessions:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: sessions
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Clicks:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: clicks
      ShardCount: 1
      RetentionPeriodHours: 168
      StreamEncryption: {EncryptionType: KMS, KeyId: alias/aws/kinesis}
  Raw:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: raw-events
      ShardCount: 1
  Lake:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: acme-orders-lake
  ClicksToLake:
    Type: AWS::KinesisFirehose::DeliveryStream
    Properties:
      DeliveryStreamName: clicks-to-lake
      DeliveryStreamType: KinesisStreamAsSource
      KinesisStreamSourceConfiguration:
        KinesisStreamARN: !GetAtt Clicks.Arn
        RoleARN: !GetAtt Role.Arn
      ExtendedS3DestinationConfiguration:
        BucketARN: !GetAtt Lake.Arn
        RoleARN: !GetAtt Role.Arn
        Prefix: clicks/
        EncryptionConfiguration:
          KMSEncryptionConfig: {AWSKMSKeyARN: arn:aws:kms:eu-west-1:123456789012:key/0b5e3f5e-lake}
  WorkerLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/lambda/order-worker
      RetentionInDays: 30
  AuditLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /app/audit
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: order-worker
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: order-worker
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(event, context):\\n    return None\\n"}
      Environment:
        Variables:
          QUEUE_URL: !Ref Orders
          TABLE_NAME: !Ref OrdersTable
  WorkerReadsOrders:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Worker
      EventSourceArn: !GetAtt Orders.Arn
      BatchSize: 10
"""

# What each kind's node is compared on: the attributes the rules and the flows judge.
COMPARED: dict[str, tuple[str, ...]] = {
    "sqs.queue": ("encryption.type", "encryption.customer_key", "retention_seconds", "fifo", "dead_letter_queue",
                  "tags"),
    "sns.topic": ("encryption", "fifo", "subscriptions", "subscriptions_by_protocol", "tags"),
    "lambda.function": ("runtime", "in_vpc", "log_group", "environment_names", "role", "dead_letter_target", "tags"),
    "dynamodb.table": ("encryption.type", "ttl", "point_in_time_recovery", "stream.view_type", "deletion_protection",
                       "tags"),
    "logs.log_group": ("retention_days", "encryption", "class", "tags"),
    "kinesis.stream": ("encryption", "retention_hours", "mode", "consumers", "tags"),
    "firehose.delivery_stream": ("encryption.type", "source_type", "source", "destination_types", "destinations",
                                 "destination_encryption", "tags"),
}
_FAMILIES = ("sqs.", "sns.", "lambda.", "dynamodb.", "logs.", "kinesis.", "firehose.", "kms.")


def _value(attributes: Mapping[str, Any], dotted: str) -> Any:
    value: Any = attributes
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _compared(scan: Scan) -> dict[str, dict[str, Any]]:
    return {node.id: {"kind": node.kind, **{key: _value(node.attributes, key) for key in COMPARED[node.kind]}}
            for node in scan.nodes if node.observed and node.kind in COMPARED}


def _deploy_as_cloudformation_would(placed: Placed, session: boto3.Session) -> None:
    """The calls CloudFormation's handlers make for what moto's CloudFormation leaves out: the types it does not
    create (subscriptions, delivery streams) and the properties of the types it does that it skips (a table's
    encryption, time to live and recovery, a stream's encryption)."""
    p = placed.properties
    if placed.type == "AWS::SNS::Subscription":
        session.client("sns").subscribe(TopicArn=p["TopicArn"], Protocol=p["Protocol"], Endpoint=p["Endpoint"])
    elif placed.type == "AWS::KinesisFirehose::DeliveryStream":
        session.client("firehose").create_delivery_stream(**{key: value for key, value in p.items()})
    elif placed.type == "AWS::DynamoDB::Table":
        dynamodb = session.client("dynamodb")
        if p.get("SSESpecification", {}).get("SSEEnabled"):
            # The handler's CreateTable names the encryption, which moto's UpdateTable cannot add afterwards.
            dynamodb.delete_table(TableName=placed.name)
            stream = {"StreamSpecification": {"StreamEnabled": True, **p["StreamSpecification"]}} \
                if "StreamSpecification" in p else {}
            dynamodb.create_table(TableName=placed.name, BillingMode=p["BillingMode"], KeySchema=p["KeySchema"],
                                  AttributeDefinitions=p["AttributeDefinitions"], SSESpecification={"Enabled": True},
                                  **stream)
        if "TimeToLiveSpecification" in p:
            dynamodb.update_time_to_live(TableName=placed.name, TimeToLiveSpecification=p["TimeToLiveSpecification"])
        if "PointInTimeRecoverySpecification" in p:
            dynamodb.update_continuous_backups(TableName=placed.name,
                                               PointInTimeRecoverySpecification=p["PointInTimeRecoverySpecification"])
    elif placed.type == "AWS::Kinesis::Stream" and "StreamEncryption" in p:
        session.client("kinesis").start_stream_encryption(StreamName=placed.name, **p["StreamEncryption"])


@pytest.mark.filterwarnings("ignore:Tried to parse .* not supported by moto's CloudFormation:UserWarning")
@mock_aws
def test_the_template_gives_the_facts_a_scan_of_the_deployed_stack_gives(tmp_path: Path) -> None:
    from lineage.scan import ScanOptions, run_scan

    path = tmp_path / "orders.yaml"
    path.write_text(DEPLOYED)
    template = read_template(path)
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName="orders", TemplateBody=DEPLOYED, Capabilities=["CAPABILITY_NAMED_IAM"])
    assert cloudformation.describe_stacks(StackName="orders")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cloudformation.list_stack_resources(
        StackName="orders")["StackResourceSummaries"]}
    assert {"Orders", "Alerts", "OrdersTable", "Clicks", "WorkerLogs", "Worker", "WorkerReadsOrders"} <= set(physical)
    session = boto3.Session(region_name=REGION)
    for placed in Stack(template, PLACEMENT).placed.values():
        _deploy_as_cloudformation_would(placed, session)

    deployed, _ = run_scan(ScanOptions(regions=(REGION,)), session=session)
    read_scan = scan_templates([template], PLACEMENT).scan

    from_template, from_account = _compared(read_scan), _compared(deployed)
    assert set(from_template) == set(from_account)
    assert set(COMPARED) == {attributes["kind"] for attributes in from_template.values()}
    for node_id, attributes in from_template.items():
        assert attributes == from_account[node_id], node_id
    # The key is named at deployment: the template's `cfn:` id is the key CloudFormation made.
    key_id = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{physical['OrdersKey']}"
    read_key, deployed_key = nodes_by_id(read_scan)["cfn:orders#OrdersKey"], nodes_by_id(deployed)[key_id]
    for attribute in ("customer_key", "rotation", "spec", "origin", "state"):
        assert read_key.attributes[attribute] == deployed_key.attributes[attribute], attribute

    def ours(scan: Scan) -> set[tuple[str, str, str]]:
        kinds = {node.id: node.kind for node in scan.nodes}
        return {(s, k, t) for s, k, t in flows(scan) if k != "part_of"
                and (kinds.get(s, "").startswith(_FAMILIES) or kinds.get(t, "").startswith(_FAMILIES))}

    assert ours(read_scan) == ours(deployed)
    assert (queue("orders"), "reads", function("order-worker")) in ours(read_scan)
    assert (stream("clicks"), "reads", arns.build_arn("firehose", REGION, ACCOUNT, "deliverystream/clicks-to-lake")
            ) in ours(read_scan)

    def judged(scan: Scan) -> set[tuple[str, str]]:
        # Keys the template does not define are left out: moto makes the key of a table's encryption a key of the
        # customer's, where AWS uses its managed key aws/dynamodb, which rotates and is not judged.
        ours = (key_id, "cfn:orders#OrdersKey")
        return {(rule, key_id if node in ours else node) for rule, node in findings(scan)
                if rule.startswith(_FAMILIES) and (not rule.startswith("kms.") or node in ours)}

    assert judged(read_scan) == judged(deployed)
    assert {("sqs.queue_not_encrypted", queue("plain-events")), ("logs.no_retention", log_group("/app/audit")),
            ("dynamodb.no_ttl", table("sessions")), ("kinesis.stream_not_encrypted", stream("raw-events")),
            ("sns.topic_not_encrypted", topic("loose-events")), ("kms.key_rotation_off", key_id)} <= judged(deployed)
