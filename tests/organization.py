"""A whole AWS organization in moto: a management account, members that each hold part of one data
platform, and flows between them that only a scan of the organization sees whole.

- `landing` takes customer data in, in both regions, and replicates it into `lake`'s buckets; a rule on
  its default bus forwards upload events to `lake`'s ingest bus.
- `lake` keeps the replicas, catalogues the customers in Glue, and owns the ingest bus.
- `analytics` runs a state machine that reads the lake's customers and writes its results, and links to the
  lake's catalogue (a database link and a table link, as Lake Formation shares a catalogue).
- `reporting` works in eu-west-1 alone: a state machine reads the lake's European contacts.
- `without_role` is a member where the scanner's role was never made: its bucket must stay unseen.
- any further member holds one scratch bucket of its own.
- the management account keeps the organization's audit logs and forwards its events to the lake too.

Every member but `without_role` has the scanner's role (`role_name`), trusted by the management account.
Each member's resources are made through `OrganizationAccountAccessRole`, which moto (like AWS) creates in
every account the organization creates: moto maps the keys AssumeRole returns to the account the role ARN
names, so clients built with them act in that account. moto makes account ids at random: they are read
back, never assumed. S3 bucket names are global, so each carries its account id.

moto lets anyone assume a role that does not exist; `refuse_missing_roles` makes it refuse, as STS does.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.core.exceptions import AccessDeniedError
from moto.iam.models import iam_backends
from moto.sts.models import STSBackend

REGIONS = ("us-east-1", "eu-west-1")
HOME, EUROPE = REGIONS
ACCESS_ROLE = "OrganizationAccountAccessRole"  # made by Organizations in every account it creates
MEMBERS_WITH_PARTS = 5  # landing, lake, analytics, reporting, and the member without the role
INGEST_BUS = "lake-ingest"

Clients = Callable[[str, str], Any]  # (service, region) → a client acting in one account


@dataclass(frozen=True)
class MotoOrganization:
    management: str  # the caller's account: moto's default credentials
    members: tuple[str, ...]  # in creation order
    without_role: str  # the member in which `role_name` does not exist
    regions: tuple[str, ...]
    role_name: str
    # (source id, target id): flows between accounts that a scan of the whole organization must show.
    cross_account_flows: tuple[tuple[str, str], ...]

    def role_arn(self, account: str) -> str:
        return f"arn:aws:iam::{account}:role/{self.role_name}"


# --- sessions ------------------------------------------------------------------------------------

def assumed_credentials(role_arn: str, endpoint_url: str | None = None, session_name: str = "lineage-tests",
                        external_id: str | None = None) -> dict[str, str]:
    """Keys from sts:AssumeRole, made with the environment's credentials, as boto3 takes them."""
    sts = boto3.client("sts", region_name=HOME, endpoint_url=endpoint_url)
    extra = {"ExternalId": external_id} if external_id else {}
    keys = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, **extra)["Credentials"]
    return {"aws_access_key_id": keys["AccessKeyId"], "aws_secret_access_key": keys["SecretAccessKey"],
            "aws_session_token": keys["SessionToken"]}


def assumed_session(role_arn: str, endpoint_url: str | None = None, region: str = HOME) -> boto3.Session:
    """A session acting in the account `role_arn` names (a scan of one member takes it)."""
    return boto3.Session(region_name=region, **assumed_credentials(role_arn, endpoint_url))


def _clients(endpoint_url: str | None, credentials: dict[str, str] | None = None) -> Clients:
    def client(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint_url, **(credentials or {}))
    return client


def _member_clients(account: str, endpoint_url: str | None) -> Clients:
    return _clients(endpoint_url, assumed_credentials(f"arn:aws:iam::{account}:role/{ACCESS_ROLE}", endpoint_url,
                                                      "organization-setup"))


# --- refusing roles that do not exist ------------------------------------------------------------

def _role_exists(role_arn: str) -> bool:
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return False
    try:
        iam_backends[parts[4]]["global"].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - moto's NotFound, or an account moto has never seen
        return False
    return True


@contextmanager
def refuse_missing_roles() -> Iterator[None]:
    """While active, sts:AssumeRole into a role that does not exist fails with AccessDenied, as STS
    answers it. The patch is on moto's STS backend class, so it holds for `mock_aws` and for a
    `ThreadedMotoServer` running in this process alike."""
    original = STSBackend.assume_role
    signature = inspect.signature(original)

    def assume_role(self: STSBackend, *args: Any, **kwargs: Any) -> Any:
        role_arn = signature.bind(self, *args, **kwargs).arguments["role_arn"]
        if not _role_exists(role_arn):
            raise AccessDeniedError(f"arn:aws:iam::{self.account_id}:root", f"sts:AssumeRole on resource: {role_arn}")
        return original(self, *args, **kwargs)

    STSBackend.assume_role = assume_role  # type: ignore[method-assign]
    try:
        yield
    finally:
        STSBackend.assume_role = original  # type: ignore[method-assign]


# --- the organization ----------------------------------------------------------------------------

def _create_members(organizations: Any, count: int) -> tuple[str, ...]:
    """`count` new accounts, their ids read back in creation order."""
    members = []
    for number in range(1, count + 1):
        request = organizations.create_account(AccountName=f"member-{number}",
                                               Email=f"member-{number}@data-platform.example.com")
        status = organizations.describe_create_account_status(
            CreateAccountRequestId=request["CreateAccountStatus"]["Id"])["CreateAccountStatus"]
        if status["State"] != "SUCCEEDED":
            raise RuntimeError(f"account {number} was not created: {status}")
        members.append(status["AccountId"])
    return tuple(members)


def _trusting(principal: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def _service_role(client: Clients, name: str, *services: str) -> str:
    return client("iam", HOME).create_role(
        RoleName=name, AssumeRolePolicyDocument=_trusting({"Service": list(services)}))["Role"]["Arn"]


def _bucket(client: Clients, name: str, region: str, tags: dict[str, str] | None = None,
            versioned: bool = False) -> str:
    s3 = client("s3", region)
    location = {} if region == HOME else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]})
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def _replicate(client: Clients, bucket: str, region: str, role: str, destination: str, account: str) -> None:
    """Every object of `bucket` copied into `destination`, owned by the destination's account."""
    client("s3", region).put_bucket_replication(Bucket=bucket, ReplicationConfiguration={"Role": role, "Rules": [{
        "ID": f"to-{destination}", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}", "Account": account,
                        "AccessControlTranslation": {"Owner": "Destination"}}}]})


def _forward_to_bus(client: Clients, rule: str, pattern: dict[str, Any], bus_arn: str, role: str) -> str:
    """A rule on the default bus of HOME whose target is another account's bus."""
    events = client("events", HOME)
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps(pattern), State="ENABLED")["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "lake-ingest", "Arn": bus_arn, "RoleArn": role}])
    return rule_arn


def _copy_definition(comment: str, source: tuple[str, str], target: tuple[str, str]) -> str:
    """A state machine that reads one object and writes what it made of it to another bucket."""
    (source_bucket, source_key), (target_bucket, target_key) = source, target
    return json.dumps({"Comment": comment, "StartAt": "Read", "States": {
        "Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                 "Parameters": {"Bucket": source_bucket, "Key": source_key}, "ResultPath": "$.source",
                 "Next": "Write"},
        "Write": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                  "Parameters": {"Bucket": target_bucket, "Key": target_key, "Body.$": "$.source.Body"},
                  "End": True},
    }})


def _state_machine(client: Clients, region: str, name: str, definition: str, role: str) -> str:
    return client("stepfunctions", region).create_state_machine(
        name=name, definition=definition, roleArn=role)["stateMachineArn"]


def _landing(client: Clients, account: str, lake: str, lake_bus: str) -> list[tuple[str, str]]:
    replication = _service_role(client, "landing-replication", "s3.amazonaws.com")
    forwarder = _service_role(client, "landing-event-forwarder", "events.amazonaws.com")
    flows = []
    for region, landing, replica in ((HOME, f"landing-customer-profiles-{account}", f"lake-raw-customers-{lake}"),
                                     (EUROPE, f"landing-eu-contact-forms-{account}", f"lake-eu-contacts-{lake}")):
        _bucket(client, landing, region, {"data-classification": "pii", "team": "ingestion"}, versioned=True)
        _replicate(client, landing, region, replication, replica, lake)
        flows.append((f"arn:aws:s3:::{landing}", f"arn:aws:s3:::{replica}"))
    rule = _forward_to_bus(client, "forward-uploads-to-lake", {"source": ["aws.s3"], "detail-type": [
        "Object Created"]}, lake_bus, forwarder)
    return [*flows, (rule, lake_bus)]


def _lake(client: Clients, account: str, landing: str, management: str) -> str:
    """The lake's buckets, catalogue and ingest bus; the bus's ARN."""
    raw = _bucket(client, f"lake-raw-customers-{account}", HOME, {"personal-data": "true"}, versioned=True)
    _bucket(client, f"lake-eu-contacts-{account}", EUROPE, {"personal-data": "true"}, versioned=True)
    glue = client("glue", HOME)
    glue.create_database(DatabaseInput={"Name": "customers", "Description": "customers replicated from landing"})
    glue.create_table(DatabaseName="customers", TableInput={
        "Name": "profiles", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"},
        "StorageDescriptor": {"Location": f"s3://{raw}/profiles/", "Columns": [
            {"Name": "customer_id", "Type": "string"}, {"Name": "email_address", "Type": "string"},
            {"Name": "full_name", "Type": "string"}, {"Name": "signup_date", "Type": "date"}]}})
    events = client("events", HOME)
    bus = events.create_event_bus(Name=INGEST_BUS)["EventBusArn"]
    for sender in (landing, management):
        events.put_permission(EventBusName=INGEST_BUS, Action="events:PutEvents", Principal=sender,
                              StatementId=f"from-{sender}")
    return bus


def _analytics(client: Clients, account: str, lake: str) -> list[tuple[str, str]]:
    role = _service_role(client, "analytics-pipelines", "states.amazonaws.com")
    results = _bucket(client, f"analytics-customer-insights-{account}", HOME, {"team": "analytics"})
    lake_bucket = f"lake-raw-customers-{lake}"
    machine = _state_machine(client, HOME, "customer-insights", _copy_definition(
        "Profiles the lake's customers", (lake_bucket, "profiles/latest.parquet"), (results, "insights/latest.json")),
        role)
    # The lake's catalogue shared as Lake Formation shares it: a database link, and a table link beside its own.
    glue = client("glue", HOME)
    glue.create_database(DatabaseInput={"Name": "lake_customers", "TargetDatabase": {
        "CatalogId": lake, "DatabaseName": "customers", "Region": HOME}})
    glue.create_database(DatabaseInput={"Name": "insights"})
    glue.create_table(DatabaseName="insights", TableInput={"Name": "profiles_shared", "TargetTable": {
        "CatalogId": lake, "DatabaseName": "customers", "Name": "profiles", "Region": HOME}})
    glue_arn = f"arn:aws:glue:{HOME}"
    return [(f"arn:aws:s3:::{lake_bucket}/profiles", machine),
            (f"{glue_arn}:{account}:database/lake_customers", f"{glue_arn}:{lake}:database/customers"),
            (f"{glue_arn}:{account}:table/insights/profiles_shared", f"{glue_arn}:{lake}:table/customers/profiles")]


def _reporting(client: Clients, account: str, lake: str) -> list[tuple[str, str]]:
    role = _service_role(client, "reporting-pipelines", "states.amazonaws.com")
    reports = _bucket(client, f"reporting-eu-dashboards-{account}", EUROPE, {"team": "reporting"})
    client("s3", EUROPE).put_bucket_lifecycle_configuration(Bucket=reports, LifecycleConfiguration={"Rules": [
        {"ID": "expire-reports", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 90}}]})
    contacts = f"lake-eu-contacts-{lake}"
    machine = _state_machine(client, EUROPE, "eu-contact-report", _copy_definition(
        "Counts the lake's European contacts", (contacts, "contacts/latest.csv"), (reports, "contacts/summary.json")),
        role)
    return [(f"arn:aws:s3:::{contacts}/contacts", machine)]


def _management(client: Clients, account: str, lake_bus: str) -> list[tuple[str, str]]:
    _bucket(client, f"org-audit-logs-{account}", HOME, {"team": "security"})
    forwarder = _service_role(client, "org-event-forwarder", "events.amazonaws.com")
    rule = _forward_to_bus(client, "forward-account-changes", {"source": ["aws.organizations"]}, lake_bus, forwarder)
    return [(rule, lake_bus)]


def build_organization(endpoint_url: str | None = None, *, members: int = MEMBERS_WITH_PARTS,
                       role_name: str = "LineageReader", regions: tuple[str, ...] = REGIONS) -> MotoOrganization:
    """The organization in a fresh moto: in-process (`mock_aws` already active) when `endpoint_url` is
    None, else the moto server there. The environment's credentials are the management account's."""
    if members < MEMBERS_WITH_PARTS:
        raise ValueError(f"the platform needs {MEMBERS_WITH_PARTS} members, not {members}")
    if set(regions) != set(REGIONS):
        raise ValueError(f"the platform spans {', '.join(REGIONS)}")
    management_clients = _clients(endpoint_url)
    organizations = management_clients("organizations", HOME)
    organizations.create_organization(FeatureSet="ALL")
    management = management_clients("sts", HOME).get_caller_identity()["Account"]
    accounts = _create_members(organizations, members)
    landing, lake, analytics, reporting, without_role = accounts[:MEMBERS_WITH_PARTS]
    clients = {account: _member_clients(account, endpoint_url) for account in accounts}

    for account in accounts:
        if account != without_role:
            clients[account]("iam", HOME).create_role(RoleName=role_name, AssumeRolePolicyDocument=_trusting(
                {"AWS": f"arn:aws:iam::{management}:root"}), Description="reads the data platform's configuration")
    lake_bus = _lake(clients[lake], lake, landing, management)
    flows = [*_landing(clients[landing], landing, lake, lake_bus),
             *_analytics(clients[analytics], analytics, lake),
             *_reporting(clients[reporting], reporting, lake),
             *_management(management_clients, management, lake_bus)]
    _bucket(clients[without_role], f"isolated-payroll-{without_role}", HOME, {"personal-data": "true"})
    for number, account in enumerate(accounts[MEMBERS_WITH_PARTS:], start=MEMBERS_WITH_PARTS + 1):
        _bucket(clients[account], f"member-{number}-scratch-{account}", HOME)
    return MotoOrganization(management, accounts, without_role, tuple(regions), role_name, tuple(flows))
