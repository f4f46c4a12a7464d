"""Every rule, judged on small estates: for each case, the exact set of (rule, node) pairs it reports.

Each case is a handful of facts built as a collector would build them (S3 buckets through
`collectors.s3.transform_bucket` from answers shaped as AWS gives them), sent through `build_graph` and
`evaluate`. A case compares the whole set of hits of the rules it names, so a rule that reports too much
fails as surely as one that reports too little.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from collectors.context import absent
from collectors.iam import transform_role
from collectors.s3 import policy_facts, transform_bucket
from lineage import arn as arns
from lineage.graph import Graph, build_graph
from lineage.model import Category, CoverageGap, Edge, EdgeKind, Evidence, Facts, Node, Severity, Stage, stage_for
from lineage.rules import Hit, Rule, all_rules, evaluate

ACCOUNT = "111122223333"
REGION = "eu-west-1"
EV = (Evidence("test:Fixture", "fixture", "Path", "excerpt"),)

JOB = arns.glue_job_arn(REGION, ACCOUNT, "curate")
CRAWLER = arns.glue_crawler_arn(REGION, ACCOUNT, "crawl")
MACHINE = arns.state_machine_arn(REGION, ACCOUNT, "etl")
TABLE = arns.glue_table_arn(REGION, ACCOUNT, "curated", "people")
WORKGROUP = arns.athena_workgroup_arn(REGION, ACCOUNT, "analytics")
BUS = arns.event_bus_arn(REGION, ACCOUNT, "orders")
CATALOG = f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog"
EXTERNAL = "https://partner.example.com/ingest"
DYNAMIC = arns.dynamic_id(MACHINE, "States.Save.Parameters.Bucket.$")

LIFECYCLE = "s3.location_without_lifecycle"
VERSIONING = "s3.versioning_without_noncurrent_expiration"
TLS = "s3.no_tls_only_policy"
NO_ENCRYPTION = "s3.no_default_encryption"
SSE_S3 = "s3.sse_s3_only"
WEAKER = "s3.encryption_weaker_than_policy"
PUBLIC = "s3.public_access_not_blocked"
ENCRYPTION_RULES = (NO_ENCRYPTION, SSE_S3, WEAKER)
BLOCK_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


# --- S3 buckets as the collector builds them --------------------------------------------------------

UNREAD: Any = object()  # the configuration could not be read: the record holds no answer for it


def api_rule(rule_id: str, *, status: str = "Enabled", days: int | None = 30, **fields: Any) -> dict[str, Any]:
    """A lifecycle rule as GetBucketLifecycleConfiguration answers it; `Filter={}` is the whole bucket."""
    rule: dict[str, Any] = {"ID": rule_id, "Status": status, **fields}
    if days is not None:
        rule["Expiration"] = {"Days": days}
    if "Filter" not in rule and "Prefix" not in rule:
        rule["Filter"] = {}
    return rule


def lifecycle(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"Rules": list(rules)}


def sse(algorithm: str) -> dict[str, Any]:
    default: dict[str, Any] = {"SSEAlgorithm": algorithm}
    if algorithm.startswith("aws:kms"):
        default["KMSMasterKeyID"] = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"
    return {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]}}


def block(*off: str) -> dict[str, Any]:
    return {"PublicAccessBlockConfiguration": {k: k not in off for k in BLOCK_SETTINGS}}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def tls_deny(condition: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {"Sid": "DenyPlainHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": condition if condition is not None else {"Bool": {"aws:SecureTransport": "false"}},
            **fields}


KMS_DENY = {"Sid": "RequireKms", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}
EXPIRE_ALL = api_rule("expire-all", days=365, NoncurrentVersionExpiration={"NoncurrentDays": 30})

# A bucket no S3 rule reports: each case changes only what it is about.
CLEAN_RESPONSES: dict[str, Any] = {
    "get_bucket_lifecycle_configuration": lifecycle(EXPIRE_ALL),
    "get_bucket_encryption": sse("aws:kms"),
    "get_public_access_block": block(),
    "get_bucket_policy": policy(tls_deny()),
    "get_bucket_versioning": {},
    "get_bucket_tagging": {"TagSet": []},
    "get_bucket_notification_configuration": {},
    "get_bucket_replication": absent("ReplicationConfigurationNotFoundError"),
}
_METHOD = {
    "lifecycle": "get_bucket_lifecycle_configuration",
    "encryption": "get_bucket_encryption",
    "public_access": "get_public_access_block",
    "policy": "get_bucket_policy",
    "versioning": "get_bucket_versioning",
    "tags": "get_bucket_tagging",
    "replication": "get_bucket_replication",
}


def s3_bucket(name: str, **configuration: Any) -> Node:
    """The bucket node `transform_bucket` makes of a clean bucket's answers, with `configuration` changed."""
    record: dict[str, Any] = {"Name": name, "Region": REGION, "CreationDate": "2024-01-02 00:00:00+00:00",
                              **CLEAN_RESPONSES}
    for key, response in configuration.items():
        if response is UNREAD:
            record.pop(_METHOD[key])
        else:
            record[_METHOD[key]] = response
    return transform_bucket(record, ACCOUNT)


def tagged(**tags: str) -> dict[str, Any]:
    return {"TagSet": [{"Key": k.replace("_", ":"), "Value": v} for k, v in tags.items()]}


# --- Other nodes, with the attributes their collectors give them ------------------------------------


def node(node_id: str, kind: str, observed: bool = True, **attributes: Any) -> Node:
    return Node(node_id, kind, arns.name_for_id(node_id), stage_for(kind), ACCOUNT if observed else "",
                REGION if observed else "", observed, attributes)


SECURE = {"s3_encryption": "SSE-KMS", "s3_kms_key": "k", "cloudwatch_encryption": "SSE-KMS",
          "bookmarks_encryption": "CSE-KMS"}


def job(security_configuration: str | None = "secure", settings: dict[str, Any] | None = SECURE) -> Node:
    return node(JOB, "glue.job", command="glueetl", security_configuration=security_configuration,
                security_settings=settings)


def crawler(security_configuration: str | None = "secure", settings: dict[str, Any] | None = SECURE) -> Node:
    return node(CRAWLER, "glue.crawler", database="curated", security_configuration=security_configuration,
                security_settings=settings)


def machine(level: str = "ALL", encryption: str = "CUSTOMER_MANAGED_KMS_KEY", **attributes: Any) -> Node:
    return node(MACHINE, "states.state_machine", type="STANDARD", logging={"level": level},
                encryption={"type": encryption, "kms_key": "k"}, **attributes)


def table(*columns: tuple[str, str], observed: bool = True) -> Node:
    return node(TABLE, "glue.table", observed,
                personal_columns=[{"column": c, "category": k} for c, k in columns])


def catalog(mode: str = "SSE-KMS", passwords: bool = True) -> Node:
    return node(CATALOG, "glue.catalog", encryption_at_rest=mode, connection_password_encryption=passwords)


def workgroup(**attributes: Any) -> Node:
    return node(WORKGROUP, "athena.workgroup", **attributes)


def dynamic_place(kind: str = "s3.location", **attributes: Any) -> Node:
    return Node(DYNAMIC, kind, "Bucket.$", stage_for(kind), observed=False,
                attributes={"dynamic": True, "expression": "$.bucket", **attributes})


def flow(source: str, target: str, kind: EdgeKind = EdgeKind.WRITES) -> Edge:
    return Edge(source, target, kind, EV)


def facts(*items: Node | Edge) -> list[Facts]:
    return [Facts(tuple(i for i in items if isinstance(i, Node)), tuple(i for i in items if isinstance(i, Edge)))]


def judged(batches: Iterable[Facts], rule_ids: Iterable[str]) -> set[tuple[str, str]]:
    wanted = set(rule_ids)
    return {(f.rule, f.node) for f in evaluate(build_graph(batches)).findings if f.rule in wanted}


def findings_of(batches: Iterable[Facts], rule_id: str) -> dict[str, Any]:
    return {f.node: f for f in evaluate(build_graph(batches)).findings if f.rule == rule_id}


# --- The tables ---------------------------------------------------------------------------------------

CASES: list[Any] = []


def case(case_id: str, rules: str | tuple[str, ...], batches: list[Facts], *hits: tuple[str, str]) -> None:
    """A case: the facts, the rules it judges, and every (rule, node) those rules must report — no more."""
    CASES.append(pytest.param((rules,) if isinstance(rules, str) else rules, batches, set(hits), id=case_id))


# Lifecycle: judged per location a flow touches, against the rules of the bucket holding it.
EVENTS = "arn:aws:s3:::data/raw/events"


def written(location: str, *nodes: Node, **bucket_configuration: Any) -> list[Facts]:
    return facts(job(), s3_bucket("data", **bucket_configuration), *nodes, flow(JOB, location))


for name, rules, covered in [
    ("whole-bucket empty filter", [api_rule("all")], True),
    ("whole-bucket empty prefix filter", [api_rule("all", Filter={"Prefix": ""})], True),
    ("whole-bucket legacy prefix", [api_rule("legacy", Prefix="")], True),
    ("prefix with slash above the location", [api_rule("raw", Filter={"Prefix": "raw/"})], True),
    ("prefix without slash above the location", [api_rule("raw", Filter={"Prefix": "raw"})], True),
    ("prefix equal to the location with slash", [api_rule("ev", Filter={"Prefix": "raw/events/"})], True),
    ("prefix equal to the location without slash", [api_rule("ev", Filter={"Prefix": "raw/events"})], True),
    ("legacy prefix above the location", [api_rule("legacy", Prefix="raw/")], True),
    ("and-filter with prefix only", [api_rule("and", Filter={"And": {"Prefix": "raw/"}})], True),
    ("expiration by date", [api_rule("date", days=None, Expiration={"Date": "2030-01-01T00:00:00Z"})], True),
    ("one covering rule among others", [api_rule("big", Filter={"ObjectSizeGreaterThan": 1}),
                                        api_rule("raw", Filter={"Prefix": "raw/"})], True),
    ("prefix covering only part of the location", [api_rule("p", Filter={"Prefix": "raw/events/2024/"})], False),
    ("prefix of another path", [api_rule("p", Filter={"Prefix": "landing/"})], False),
    ("size filter greater than", [api_rule("s", Filter={"ObjectSizeGreaterThan": 1024})], False),
    ("size filter less than", [api_rule("s", Filter={"ObjectSizeLessThan": 1024})], False),
    ("and-filter prefix and size", [api_rule("s", Filter={"And": {"Prefix": "raw/", "ObjectSizeLessThan": 9}})],
     False),
    ("tag filter", [api_rule("t", Filter={"Tag": {"Key": "retention", "Value": "short"}})], False),
    ("and-filter prefix and tags", [api_rule("t", Filter={"And": {"Prefix": "raw/", "Tags": [
        {"Key": "retention", "Value": "short"}]}})], False),
    ("disabled", [api_rule("off", status="Disabled")], False),
    ("transitions only", [api_rule("cold", days=None, Transitions=[{"Days": 30, "StorageClass": "GLACIER"}])],
     False),
    ("delete markers only", [api_rule("m", days=None, Expiration={"ExpiredObjectDeleteMarker": True})], False),
    ("noncurrent versions only", [api_rule("nc", days=None, NoncurrentVersionExpiration={"NoncurrentDays": 1})],
     False),
    ("abort multipart only", [api_rule("mp", days=None, AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1})],
     False),
]:
    case(f"lifecycle: {name}", LIFECYCLE, written(EVENTS, lifecycle=lifecycle(*rules)),
         *(() if covered else ((LIFECYCLE, EVENTS),)))

case("lifecycle: no lifecycle configuration", LIFECYCLE,
     written(EVENTS, lifecycle=absent("NoSuchLifecycleConfiguration")), (LIFECYCLE, EVENTS))
case("lifecycle: configuration unread is not judged", LIFECYCLE, written(EVENTS, lifecycle=UNREAD))
case("lifecycle: location written with a trailing slash is covered by `raw/`", LIFECYCLE,
     written(arns.s3_location_id("data", "raw/"), lifecycle=lifecycle(api_rule("r", Filter={"Prefix": "raw/"}))))
case("lifecycle: `raw/events/` does not cover the location `raw`", LIFECYCLE,
     written("arn:aws:s3:::data/raw", lifecycle=lifecycle(api_rule("r", Filter={"Prefix": "raw/events/"}))),
     (LIFECYCLE, "arn:aws:s3:::data/raw"))
case("lifecycle: `raw/` does not cover the sibling `rawdata`", LIFECYCLE,
     written("arn:aws:s3:::data/rawdata", lifecycle=lifecycle(api_rule("r", Filter={"Prefix": "raw/"}))),
     (LIFECYCLE, "arn:aws:s3:::data/rawdata"))
case("lifecycle: `raw` is a string prefix and covers `rawdata`", LIFECYCLE,
     written("arn:aws:s3:::data/rawdata", lifecycle=lifecycle(api_rule("r", Filter={"Prefix": "raw"}))))
case("lifecycle: a flow on the whole bucket needs a whole-bucket rule", LIFECYCLE,
     written("arn:aws:s3:::data", lifecycle=lifecycle(api_rule("r", Filter={"Prefix": "raw/"}))),
     (LIFECYCLE, "arn:aws:s3:::data"))
case("lifecycle: a flow on the whole bucket covered by a whole-bucket rule", LIFECYCLE,
     written("arn:aws:s3:::data", lifecycle=lifecycle(api_rule("all"))))
case("lifecycle: each location judged for itself, the bucket not at all", LIFECYCLE,
     facts(job(), s3_bucket("data", lifecycle=lifecycle(api_rule("r", Filter={"Prefix": "raw/"}))),
           flow(JOB, EVENTS), flow(JOB, "arn:aws:s3:::data/curated/x"), flow("arn:aws:s3:::data/raw/in", JOB,
                                                                               EdgeKind.READS)),
     (LIFECYCLE, "arn:aws:s3:::data/curated/x"))
case("lifecycle: a location only read from is on a flow", LIFECYCLE,
     facts(job(), s3_bucket("data", lifecycle=absent("NoSuchLifecycleConfiguration")),
           flow("arn:aws:s3:::data/in", JOB, EdgeKind.READS)),
     (LIFECYCLE, "arn:aws:s3:::data/in"))
case("lifecycle: a table's location is on the flows of the table", LIFECYCLE,
     facts(table(), workgroup(result_encryption="SSE_KMS"),
           s3_bucket("data", lifecycle=absent("NoSuchLifecycleConfiguration")),
           Edge(TABLE, "arn:aws:s3:::data/people", EdgeKind.STORED_AT), flow(TABLE, WORKGROUP, EdgeKind.READS)),
     (LIFECYCLE, "arn:aws:s3:::data/people"))
case("lifecycle: a location beside a sibling on a flow is not on that flow", LIFECYCLE,
     facts(table(), job(), s3_bucket("data", lifecycle=lifecycle(api_rule("r", Filter={"Prefix": "rawdata/"}))),
           Edge(TABLE, "arn:aws:s3:::data/raw", EdgeKind.STORED_AT), flow(JOB, "arn:aws:s3:::data/rawdata")))
case("lifecycle: a bucket no flow touches", LIFECYCLE,
     facts(s3_bucket("idle", lifecycle=absent("NoSuchLifecycleConfiguration"))))
case("lifecycle: a bucket that was not scanned is not judged", LIFECYCLE,
     facts(job(), flow(JOB, "arn:aws:s3:::elsewhere/out")))
case("lifecycle: a place known only at run time is not a bucket", LIFECYCLE,
     facts(machine(), dynamic_place(), flow(MACHINE, DYNAMIC)))


# Versioning: a versioned bucket needs an enabled whole-bucket rule expiring noncurrent versions.
def noncurrent(rule_id: str = "nc", status: str = "Enabled", **fields: Any) -> dict[str, Any]:
    return api_rule(rule_id, status=status, days=None, NoncurrentVersionExpiration={"NoncurrentDays": 30},
                    **fields)


VERSIONED = "arn:aws:s3:::versioned"
for name, status, response, reported in [
    ("whole-bucket noncurrent expiration", "Enabled", lifecycle(noncurrent()), False),
    ("noncurrent expiration with an empty prefix filter", "Enabled", lifecycle(noncurrent(Filter={"Prefix": ""})),
     False),
    ("suspended counts as versioned, covered", "Suspended", lifecycle(noncurrent()), False),
    ("suspended counts as versioned", "Suspended", lifecycle(api_rule("current")), True),
    ("no lifecycle configuration", "Enabled", absent("NoSuchLifecycleConfiguration"), True),
    ("current versions expire only", "Enabled", lifecycle(api_rule("current")), True),
    ("noncurrent expiration scoped to a prefix", "Enabled", lifecycle(noncurrent(Filter={"Prefix": "raw/"})), True),
    ("noncurrent expiration scoped by legacy prefix", "Enabled", lifecycle(noncurrent(Prefix="raw/")), True),
    ("noncurrent expiration filtered by size", "Enabled",
     lifecycle(noncurrent(Filter={"ObjectSizeGreaterThan": 1024})), True),
    ("noncurrent expiration filtered by tag", "Enabled",
     lifecycle(noncurrent(Filter={"Tag": {"Key": "k", "Value": "v"}})), True),
    ("noncurrent expiration disabled", "Enabled", lifecycle(noncurrent(status="Disabled")), True),
    ("noncurrent transitions only", "Enabled", lifecycle(api_rule(
        "nt", days=None, NoncurrentVersionTransitions=[{"NoncurrentDays": 30, "StorageClass": "GLACIER"}])), True),
    ("lifecycle unread is not judged", "Enabled", UNREAD, False),
    ("never versioned", "", absent("NoSuchLifecycleConfiguration"), False),
]:
    answer = {"Status": status} if status else {}
    case(f"versioning: {name}", VERSIONING, facts(s3_bucket("versioned", versioning=answer, lifecycle=response)),
         *(((VERSIONING, VERSIONED),) if reported else ()))
case("versioning: versioning unread is not judged", VERSIONING,
     facts(s3_bucket("versioned", versioning=UNREAD, lifecycle=absent("NoSuchLifecycleConfiguration"))))

# Public access block: every setting must be on.
OPEN = "arn:aws:s3:::open"
case("public access: all four on", PUBLIC, facts(s3_bucket("open", public_access=block())))
for setting in BLOCK_SETTINGS:
    case(f"public access: {setting} off alone", PUBLIC, facts(s3_bucket("open", public_access=block(setting))),
         (PUBLIC, OPEN))
case("public access: two off", PUBLIC,
     facts(s3_bucket("open", public_access=block("BlockPublicAcls", "RestrictPublicBuckets"))), (PUBLIC, OPEN))
case("public access: block not configured", PUBLIC,
     facts(s3_bucket("open", public_access=absent("NoSuchPublicAccessBlockConfiguration"))), (PUBLIC, OPEN))
case("public access: a setting missing from the answer is off", PUBLIC,
     facts(s3_bucket("open", public_access={"PublicAccessBlockConfiguration": {
         k: True for k in BLOCK_SETTINGS if k != "IgnorePublicAcls"}})), (PUBLIC, OPEN))
case("public access: block unread is not judged", PUBLIC, facts(s3_bucket("open", public_access=UNREAD)))

# Replication: where a rule copies the data, judged against the account of the bucket it copies to.
AWAY = "s3.replication_to_another_account"


def replicating(destination: str, status: str = "Enabled", **fields: Any) -> dict[str, Any]:
    return {"ReplicationConfiguration": {"Role": f"arn:aws:iam::{ACCOUNT}:role/r", "Rules": [
        {"ID": "copy", "Priority": 1, "Status": status, "Filter": {"Prefix": "exports/"},
         "DeleteMarkerReplication": {"Status": "Disabled"},
         "Destination": {"Bucket": f"arn:aws:s3:::{destination}", **fields}}]}}


case("replication: to a bucket of an account it names", AWAY,
     facts(s3_bucket("src", replication=replicating("partner", Account="444455556666"))), (AWAY, "arn:aws:s3:::src"))
case("replication: to a bucket the scan did not read", AWAY,
     facts(s3_bucket("src", replication=replicating("partner"))), (AWAY, "arn:aws:s3:::src"))
case("replication: to a bucket of the same account, read", AWAY,
     facts(s3_bucket("src", replication=replicating("dr")), s3_bucket("dr")))
case("replication: to a bucket read in another account", AWAY,
     facts(s3_bucket("src", replication=replicating("dr")),
           Node("arn:aws:s3:::dr", "s3.bucket", "dr", Stage.STORAGE, "444455556666", REGION, True, {})),
     (AWAY, "arn:aws:s3:::src"))
case("replication: the account named is this one", AWAY,
     facts(s3_bucket("src", replication=replicating("dr", Account=ACCOUNT))))
case("replication: a rule turned off", AWAY, facts(s3_bucket("src", replication=replicating("partner", "Disabled"))))
case("replication: unread is not judged", AWAY, facts(s3_bucket("src", replication=UNREAD)))

# KMS: a customer's key whose material never rotates.
ROTATION = "kms.key_rotation_off"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"


def kms_key(manager: str = "CUSTOMER", state: str = "Enabled", **rotation: Any) -> Node:
    return node(KEY, "kms.key", manager=manager, customer_key=manager == "CUSTOMER", state=state,
                rotation=rotation or {"applies": True, "enabled": False}, named_as=[KEY])


case("kms: the customer's key never rotates", ROTATION, facts(kms_key()), (ROTATION, KEY))
case("kms: the customer's key rotates", ROTATION, facts(kms_key(applies=True, enabled=True, period_days=365)))
case("kms: AWS rotates its own keys", ROTATION, facts(kms_key("AWS")))
case("kms: an asymmetric key does not rotate", ROTATION, facts(kms_key(applies=False)))
case("kms: a key pending deletion", ROTATION, facts(kms_key(state="PendingDeletion")))
case("kms: rotation unread is not judged", ROTATION,
     facts(node(KEY, "kms.key", manager="CUSTOMER", customer_key=True, unread=["rotation"])))
case("kms: a key only named is not judged", ROTATION, facts(node(KEY, "kms.key", observed=False)))

# Default encryption, against what the bucket policy asks for.
ENCRYPTED = "arn:aws:s3:::enc"
for name, encryption, bucket_policy, reported in [
    ("KMS", sse("aws:kms"), policy(tls_deny()), ()),
    ("KMS, policy requires KMS", sse("aws:kms"), policy(tls_deny(), KMS_DENY), ()),
    ("dual-layer KMS, policy requires KMS", sse("aws:kms:dsse"), policy(tls_deny(), KMS_DENY), ()),
    ("dual-layer KMS", sse("aws:kms:dsse"), policy(tls_deny()), ()),
    ("SSE-S3", sse("AES256"), policy(tls_deny()), (SSE_S3,)),
    ("SSE-S3, policy requires KMS", sse("AES256"), policy(tls_deny(), KMS_DENY), (SSE_S3, WEAKER)),
    ("SSE-S3, policy unread", sse("AES256"), UNREAD, (SSE_S3,)),
    ("none", absent("ServerSideEncryptionConfigurationNotFoundError"), policy(tls_deny()), (NO_ENCRYPTION,)),
    ("none, policy requires KMS", absent("ServerSideEncryptionConfigurationNotFoundError"),
     policy(tls_deny(), KMS_DENY), (NO_ENCRYPTION, WEAKER)),
    ("rules without a default", {"ServerSideEncryptionConfiguration": {"Rules": [{"BucketKeyEnabled": True}]}},
     policy(tls_deny()), (NO_ENCRYPTION,)),
    ("unread, policy requires KMS", UNREAD, policy(tls_deny(), KMS_DENY), ()),
    ("unread, no policy", UNREAD, absent("NoSuchBucketPolicy"), ()),
]:
    case(f"encryption: {name}", ENCRYPTION_RULES, facts(s3_bucket("enc", encryption=encryption, policy=bucket_policy)),
         *((rule_id, ENCRYPTED) for rule_id in reported))

# TLS-only policy, read from the policy document as GetBucketPolicy returns it.
STRICT = "arn:aws:s3:::strict"
for name, answer, tls_only in [
    ("Bool, string", policy(tls_deny({"Bool": {"aws:SecureTransport": "false"}})), True),
    ("Bool, list", policy(tls_deny({"Bool": {"aws:SecureTransport": ["false"]}})), True),
    ("Bool, JSON false", policy(tls_deny({"Bool": {"aws:SecureTransport": False}})), True),
    ("BoolIfExists, string", policy(tls_deny({"BoolIfExists": {"aws:SecureTransport": "false"}})), True),
    ("BoolIfExists, list", policy(tls_deny({"BoolIfExists": {"aws:SecureTransport": ["false"]}})), True),
    ("BoolIfExists, JSON false", policy(tls_deny({"BoolIfExists": {"aws:SecureTransport": False}})), True),
    ("condition key in lower case", policy(tls_deny({"Bool": {"aws:securetransport": "false"}})), True),
    ("principal AWS *", policy(tls_deny(Principal={"AWS": "*"})), True),
    ("action *", policy(tls_deny(Action=["*"])), True),
    ("a single statement, not a list", {"Policy": json.dumps({"Statement": tls_deny()})}, True),
    ("among other statements", policy(KMS_DENY, tls_deny()), True),
    ("no policy", absent("NoSuchBucketPolicy"), False),
    ("allow instead of deny", policy(tls_deny(Effect="Allow")), False),
    ("deny over TLS, not without it", policy(tls_deny({"Bool": {"aws:SecureTransport": "true"}})), False),
    ("deny for one principal", policy(tls_deny(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"})), False),
    ("deny of one action", policy(tls_deny(Action="s3:GetObject")), False),
    ("another condition operator", policy(tls_deny({"StringEquals": {"aws:SecureTransport": "false"}})), False),
]:
    case(f"tls: {name}", TLS, facts(s3_bucket("strict", policy=answer)), *(() if tls_only else ((TLS, STRICT),)))
for document in ("null", "[]", "7", '"text"', "{not json"):
    case(f"tls: unreadable policy {document} is not judged", TLS,
         facts(s3_bucket("strict", policy={"Policy": document})))
case("tls: policy unread is not judged", TLS, facts(s3_bucket("strict", policy=UNREAD)))

# Step Functions.
case("states: AWS-owned key", ("states.aws_owned_key",), facts(machine(encryption="AWS_OWNED_KEY")),
     ("states.aws_owned_key", MACHINE))
case("states: encryption without a type is AWS-owned", ("states.aws_owned_key",),
     facts(node(MACHINE, "states.state_machine", encryption={}, logging={"level": "ALL"})),
     ("states.aws_owned_key", MACHINE))
case("states: customer key", ("states.aws_owned_key",), facts(machine()))
case("states: logging off", ("states.logging_off",), facts(machine(level="OFF")), ("states.logging_off", MACHINE))
case("states: logging without a level is off", ("states.logging_off",),
     facts(node(MACHINE, "states.state_machine", logging={}, encryption={"type": "CUSTOMER_MANAGED_KMS_KEY"})),
     ("states.logging_off", MACHINE))
for level in ("ERROR", "ALL", "FATAL"):
    case(f"states: logging {level}", ("states.logging_off",), facts(machine(level=level)))
case("states: a machine listed but not described is not judged", ("states.aws_owned_key", "states.logging_off"),
     facts(node(MACHINE, "states.state_machine", unread=["definition", "configuration"])))
case("states: a machine only referenced is not judged", ("states.aws_owned_key", "states.logging_off"),
     facts(job(), flow(MACHINE, JOB, EdgeKind.INVOKES)))

# Glue.
case("glue: catalog not encrypted", ("glue.catalog_not_encrypted",), facts(catalog("DISABLED")),
     ("glue.catalog_not_encrypted", CATALOG))
for mode in ("SSE-KMS", "SSE-KMS-WITH-SERVICE-ROLE"):
    case(f"glue: catalog {mode}", ("glue.catalog_not_encrypted",), facts(catalog(mode)))
case("glue: passwords in clear", ("glue.connection_passwords_not_encrypted",), facts(catalog(passwords=False)),
     ("glue.connection_passwords_not_encrypted", CATALOG))
case("glue: passwords encrypted", ("glue.connection_passwords_not_encrypted",), facts(catalog()))
for label, rule_id, make, node_id in [("job", "glue.job_without_security_configuration", job, JOB),
                                       ("crawler", "glue.crawler_without_security_configuration", crawler, CRAWLER)]:
    case(f"glue: {label} without a security configuration", rule_id, facts(make(None, None)), (rule_id, node_id))
    case(f"glue: {label} whose configuration leaves S3 unencrypted", rule_id,
         facts(make("weak", {**SECURE, "s3_encryption": "DISABLED"})), (rule_id, node_id))
    case(f"glue: {label} with an encrypting configuration", rule_id, facts(make()))
    case(f"glue: {label} whose configuration could not be read is not judged", rule_id,
         facts(make("listed-elsewhere", None)))
case("glue: a job only referenced is not judged", "glue.job_without_security_configuration",
     facts(machine(), flow(MACHINE, JOB, EdgeKind.INVOKES)))

# EventBridge.
case("events: bus with an AWS-owned key", "events.bus_without_customer_key",
     facts(node(BUS, "events.bus", kms_key=None)), ("events.bus_without_customer_key", BUS))
case("events: bus with a customer key", "events.bus_without_customer_key",
     facts(node(BUS, "events.bus", kms_key=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k")))
case("events: bus whose key could not be read is not judged", "events.bus_without_customer_key",
     facts(node(BUS, "events.bus", unread=["configuration"])))
case("events: bus only referenced is not judged", "events.bus_without_customer_key",
     facts(node(BUS, "events.bus", observed=False, kms_key=None)))

# Athena.
ATHENA = "athena.results_not_encrypted"
case("athena: results written unencrypted", ATHENA,
     facts(workgroup(output_location="s3://results/", result_encryption=None)), (ATHENA, WORKGROUP))
for option in ("SSE_KMS", "SSE_S3", "CSE_KMS"):
    case(f"athena: results {option}", ATHENA, facts(workgroup(output_location="s3://results/",
                                                              result_encryption=option)))
case("athena: no output location and no flow", ATHENA, facts(workgroup(output_location=None, result_encryption=None)))
case("athena: no output location of its own but reading a table", ATHENA,
     facts(table(), workgroup(output_location=None, result_encryption=None), flow(TABLE, WORKGROUP, EdgeKind.READS)),
     (ATHENA, WORKGROUP))
case("athena: configuration unread is not judged", ATHENA,
     facts(workgroup(unread=["configuration"]), table(), flow(TABLE, WORKGROUP, EdgeKind.READS)))

# DynamoDB.
NO_TTL = "dynamodb.no_ttl"
DDB = "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"
case("dynamodb: no time to live", NO_TTL, facts(node(DDB, "dynamodb.table", encryption={"type": "aws-owned"},
                                                     ttl={"status": "DISABLED", "attribute": None})), (NO_TTL, DDB))
for status in ("ENABLED", "ENABLING"):
    case(f"dynamodb: TTL {status}", NO_TTL, facts(node(DDB, "dynamodb.table", encryption={"type": "aws-owned"},
                                                       ttl={"status": status, "attribute": "expires_at"})))
case("dynamodb: TTL being turned off still keeps items", NO_TTL,
     facts(node(DDB, "dynamodb.table", ttl={"status": "DISABLING", "attribute": "expires_at"})), (NO_TTL, DDB))
case("dynamodb: TTL unread is not judged", NO_TTL, facts(node(DDB, "dynamodb.table", unread=["ttl"])))
case("dynamodb: a table only referenced is not judged", NO_TTL, facts(node(DDB, "dynamodb.table", observed=False)))

# CloudWatch Logs.
NO_RETENTION = "logs.no_retention"
CROSS_ACCOUNT_LOGS = "logs.subscription_to_another_account"
GROUP = arns.log_group_arn(REGION, ACCOUNT, "/aws/lambda/orders")


def log_group(**attributes: Any) -> Node:
    return node(GROUP, "logs.log_group", **{"retention_days": 30, "kms_key": None, "class": "STANDARD",
                                             "encryption": {"type": "aws-owned", "kms_key": None}, **attributes})


def subscribed(destination: str, operation: str = "logs:DescribeSubscriptionFilters") -> Edge:
    return Edge(GROUP, destination, EdgeKind.TRIGGERS,
                (Evidence(operation, GROUP, "subscriptionFilters[0].destinationArn", f"{destination} (filter 'f')"),))


case("logs: a group that never expires", NO_RETENTION, facts(log_group(retention_days=None)), (NO_RETENTION, GROUP))
case("logs: a group kept 30 days", NO_RETENTION, facts(log_group()))
case("logs: retention unread is not judged", NO_RETENTION,
     facts(node(GROUP, "logs.log_group", unread=["configuration"])))
case("logs: a group only referenced is not judged", NO_RETENTION, facts(node(GROUP, "logs.log_group", observed=False)))
case("logs: subscribed to a destination in another account", CROSS_ACCOUNT_LOGS,
     facts(log_group(), subscribed(f"arn:aws:logs:{REGION}:999988887777:destination:central")),
     (CROSS_ACCOUNT_LOGS, GROUP))
case("logs: subscribed to a function of its own account", CROSS_ACCOUNT_LOGS,
     facts(log_group(), subscribed(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shipper")))
case("logs: a flow to another account that no subscription filter draws", CROSS_ACCOUNT_LOGS,
     facts(log_group(), subscribed(f"arn:aws:lambda:{REGION}:999988887777:function:x", "lambda:ListFunctions")))

# Coverage.
UNREADABLE = "coverage.unreadable_definition"
UNKNOWN = "coverage.unknown_destination"
case("coverage: warnings on a definition", UNREADABLE,
     facts(machine(warnings=["States.Load: Resource is not a string"])), (UNREADABLE, MACHINE))
case("coverage: warnings on a node only referenced", UNREADABLE,
     facts(node(BUS, "events.bus", observed=False, warnings=["pattern: unreadable"])), (UNREADABLE, BUS))
case("coverage: no warnings", UNREADABLE, facts(machine(warnings=[])))
case("coverage: a dynamic place is not a definition", UNREADABLE,
     facts(machine(), dynamic_place(warnings=["odd"]), flow(MACHINE, DYNAMIC)))
case("coverage: written to a place known only at run time", UNKNOWN,
     facts(machine(), dynamic_place(), flow(MACHINE, DYNAMIC)), (UNKNOWN, DYNAMIC))
case("coverage: routed to a place known only at run time", UNKNOWN,
     facts(node(BUS, "events.bus", kms_key="k"), dynamic_place("sqs.queue"), flow(BUS, DYNAMIC, EdgeKind.ROUTES)),
     (UNKNOWN, DYNAMIC))
case("coverage: only read from a place known only at run time", UNKNOWN,
     facts(machine(), dynamic_place(), flow(DYNAMIC, MACHINE, EdgeKind.READS)))
case("coverage: a dynamic id only referenced by an edge", UNKNOWN,
     facts(machine(), flow(MACHINE, DYNAMIC)), (UNKNOWN, DYNAMIC))
case("coverage: a named place is not unknown", UNKNOWN,
     facts(job(), s3_bucket("data"), flow(JOB, "arn:aws:s3:::data/out"), flow(JOB, EXTERNAL)))

# Personal data.
HELD = "pii.personal_data_held"
LEAVES = "pii.personal_data_leaves_estate"
TO_UNKNOWN = "pii.personal_data_to_unknown_destination"
case("pii: table with personal columns", HELD, facts(table(("email", "email"))), (HELD, TABLE))
case("pii: table without personal columns", HELD, facts(table()))
case("pii: table only referenced", HELD, facts(table(("email", "email"), observed=False)))
case("pii: personal data flows out of the estate", LEAVES,
     facts(table(("email", "email")), job(), flow(TABLE, JOB, EdgeKind.READS), flow(JOB, EXTERNAL)),
     (LEAVES, EXTERNAL))
case("pii: other data flows out of the estate", LEAVES,
     facts(table(), job(), flow(TABLE, JOB, EdgeKind.READS), flow(JOB, EXTERNAL)))
case("pii: personal data stays inside the estate", LEAVES,
     facts(table(("email", "email")), job(), s3_bucket("data"), flow(TABLE, JOB, EdgeKind.READS),
           flow(JOB, "arn:aws:s3:::data/out")))
case("pii: personal data to a place known only at run time", TO_UNKNOWN,
     facts(table(("phone", "phone")), machine(), dynamic_place(), flow(TABLE, MACHINE, EdgeKind.READS),
           flow(MACHINE, DYNAMIC)), (TO_UNKNOWN, DYNAMIC))
case("pii: other data to a place known only at run time", TO_UNKNOWN,
     facts(table(), machine(), dynamic_place(), flow(TABLE, MACHINE, EdgeKind.READS), flow(MACHINE, DYNAMIC)))
case("pii: personal data read from a place known only at run time", TO_UNKNOWN,
     facts(table(("phone", "phone")), machine(), dynamic_place(), flow(TABLE, MACHINE, EdgeKind.READS),
           flow(DYNAMIC, MACHINE, EdgeKind.READS)))
case("pii: personal data to a named place", TO_UNKNOWN,
     facts(table(("phone", "phone")), machine(), s3_bucket("data"), flow(TABLE, MACHINE, EdgeKind.READS),
           flow(MACHINE, "arn:aws:s3:::data/out")))


# Personal data where it rests, where it crosses, and what it makes.
KEY = "pii.personal_data_without_customer_key"
EXPIRY = "pii.personal_data_without_expiration"
EXPOSED = "pii.personal_data_exposed"
BORDER = "pii.personal_data_crosses_account_or_region"
PROBABLY = "pii.probably_personal_dataset"
PEOPLE = "arn:aws:s3:::data/people"
DATA = "arn:aws:s3:::data"
AWS_KEY = {"ServerSideEncryptionConfiguration": {"Rules": [
    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"}}]}}


def at_rest(*items: Node | Edge, personal: bool = True, **bucket_configuration: Any) -> list[Facts]:
    """A table (personal or not) whose data rests at s3://data/people, in a bucket configured as given."""
    return facts(table(("email", "email")) if personal else table(), s3_bucket("data", **bucket_configuration),
                 Edge(TABLE, PEOPLE, EdgeKind.STORED_AT), *items)


def masking_job(job_id: str = JOB, region: str = REGION) -> Node:
    return Node(job_id, "glue.job", arns.name_for_id(job_id), Stage.PROCESSING, ACCOUNT, region, True,
                {"tags": {"lineage:pii": "masked"}})


case("pii: resting with a customer managed key", KEY, at_rest())
case("pii: resting with SSE-S3", KEY, at_rest(encryption=sse("AES256")), (KEY, DATA))
case("pii: resting with the AWS managed key", KEY, at_rest(encryption=AWS_KEY), (KEY, DATA))
case("pii: resting with no default encryption", KEY,
     at_rest(encryption=absent("ServerSideEncryptionConfigurationNotFoundError")), (KEY, DATA))
case("pii: encryption unread", KEY, at_rest(encryption=UNREAD))
case("pii: other data with SSE-S3", KEY, at_rest(personal=False, encryption=sse("AES256")))
case("pii: resting where a lifecycle expires it", EXPIRY, at_rest())
case("pii: resting with no lifecycle", EXPIRY, at_rest(lifecycle=lifecycle()), (EXPIRY, PEOPLE))
case("pii: resting where only another prefix expires", EXPIRY,
     at_rest(lifecycle=lifecycle(api_rule("tmp", Filter={"Prefix": "tmp/"}))), (EXPIRY, PEOPLE))
case("pii: lifecycle unread", EXPIRY, at_rest(lifecycle=UNREAD))
case("pii: versioned, only current objects expire", EXPIRY,
     at_rest(versioning={"Status": "Enabled"}, lifecycle=lifecycle(api_rule("current-only", days=365))),
     (EXPIRY, PEOPLE))
case("pii: versioned, old versions expire too", EXPIRY, at_rest(versioning={"Status": "Enabled"}))
case("pii: other data with no lifecycle", EXPIRY, at_rest(personal=False, lifecycle=lifecycle()))
case("pii: resting private and TLS only", EXPOSED, at_rest())
case("pii: resting where public access is not blocked", EXPOSED,
     at_rest(public_access=block("RestrictPublicBuckets")), (EXPOSED, DATA))
case("pii: resting where plain HTTP is allowed", EXPOSED, at_rest(policy=absent("NoSuchBucketPolicy")),
     (EXPOSED, DATA))
case("pii: other data where public access is not blocked", EXPOSED,
     at_rest(personal=False, public_access=absent("NoSuchPublicAccessBlockConfiguration")))
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:people-events"
ITEMS = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/people"


def sent_to(place: Node) -> list[Facts]:
    """A personal table read by a machine that writes what it read to `place`."""
    return facts(table(("email", "email")), machine(), place, flow(TABLE, MACHINE, EdgeKind.READS),
                 flow(MACHINE, place.id))


def queue(**encryption: Any) -> Node:
    return node(QUEUE, "sqs.queue", encryption=encryption, retention_seconds=345600)


def items(ttl: str = "ENABLED", **encryption: Any) -> Node:
    return node(ITEMS, "dynamodb.table", encryption=encryption, ttl={"status": ttl, "attribute": "expires_at"})


case("pii: sent to a queue with a key of the customer's", KEY,
     sent_to(queue(type="kms", kms_key="alias/people", customer_key=True)))
case("pii: sent to a queue with the AWS managed key", KEY,
     sent_to(queue(type="kms", kms_key="alias/aws/sqs", customer_key=False)), (KEY, QUEUE))
case("pii: sent to a queue with SSE-SQS", KEY, sent_to(queue(type="sse-sqs", customer_key=False)), (KEY, QUEUE))
case("pii: sent to a queue whose configuration was not read", KEY,
     sent_to(node(QUEUE, "sqs.queue", unread=["configuration"])))
case("pii: a queue keeps messages days, never for ever", EXPIRY,
     sent_to(queue(type="sse-sqs", customer_key=False)))
case("pii: sent to a table with AWS's own key", KEY, sent_to(items(type="aws-owned")), (KEY, ITEMS))
case("pii: sent to a table with a KMS key whose owner is not said", KEY,
     sent_to(items(type="kms", kms_key="arn:aws:kms:eu-west-1:1:key/k")))
case("pii: sent to a table without TTL", EXPIRY, sent_to(items("DISABLED", type="aws-owned")), (EXPIRY, ITEMS))
case("pii: sent to a table with TTL", EXPIRY, sent_to(items(type="aws-owned")))
case("pii: other data in a table without TTL", EXPIRY,
     facts(machine(), items("DISABLED", type="aws-owned"), flow(MACHINE, ITEMS)))
UNENCRYPTED = "sqs.queue_not_encrypted"
case("sqs: no encryption", UNENCRYPTED, facts(queue(type="none", customer_key=False)), (UNENCRYPTED, QUEUE))
case("sqs: SSE-SQS", UNENCRYPTED, facts(queue(type="sse-sqs", customer_key=False)))
case("sqs: a KMS key", UNENCRYPTED, facts(queue(type="kms", kms_key="alias/aws/sqs", customer_key=False)))
case("sqs: configuration unread", UNENCRYPTED, facts(node(QUEUE, "sqs.queue", unread=["configuration"])))
UNREAD_DLQ = "sqs.dead_letter_queue_unread"
SOURCE_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"
WORKER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:retry"


def set_aside(path: str = "Attributes.RedrivePolicy.deadLetterTargetArn") -> Edge:
    return Edge(SOURCE_QUEUE, QUEUE, EdgeKind.WRITES, (Evidence("sqs:GetQueueAttributes", SOURCE_QUEUE, path, QUEUE),))


case("sqs: a dead-letter queue nothing reads", UNREAD_DLQ, facts(queue(type="sse-sqs"), set_aside()),
     (UNREAD_DLQ, QUEUE))
case("sqs: an EventBridge target's dead-letter queue nothing reads", UNREAD_DLQ,
     facts(queue(type="sse-sqs"), set_aside("Targets[0].DeadLetterConfig.Arn")), (UNREAD_DLQ, QUEUE))
case("sqs: a dead-letter queue a function reads", UNREAD_DLQ,
     facts(queue(type="sse-sqs"), set_aside(), node(WORKER, "lambda.function"), flow(QUEUE, WORKER, EdgeKind.READS)))
case("sqs: a queue written to in the ordinary way, read by nothing", UNREAD_DLQ,
     facts(queue(type="sse-sqs"), machine(), flow(MACHINE, QUEUE)))
case("sqs: a dead-letter queue only referenced", UNREAD_DLQ,
     facts(node(QUEUE, "sqs.queue", observed=False), set_aside()))
TOPIC = arns.sns_topic_arn(REGION, ACCOUNT, "orders")
TOPIC_PLAIN, TOPIC_HTTP, TOPIC_AWAY = ("sns.topic_not_encrypted", "sns.http_subscription",
                                       "sns.subscription_to_another_account")


def topic(**encryption: Any) -> Node:
    return node(TOPIC, "sns.topic", encryption=encryption or {"type": "kms", "kms_key": "alias/aws/sns"}, fifo=False)


def subscribed(target: str, kind: EdgeKind = EdgeKind.ROUTES) -> Edge:
    """A subscription's flow as the SNS collector draws it."""
    return Edge(TOPIC, target, kind, (Evidence("sns:GetSubscriptionAttributes", f"{TOPIC}:s1",
                                               "Attributes.Endpoint, FilterPolicy", '{"protocol": "sqs"}'),))


case("sns: no encryption", TOPIC_PLAIN, facts(topic(type="none")), (TOPIC_PLAIN, TOPIC))
case("sns: the AWS managed key", TOPIC_PLAIN, facts(topic()))
case("sns: configuration unread", TOPIC_PLAIN, facts(node(TOPIC, "sns.topic", unread=["configuration"])))
case("sns: delivers over plain HTTP", TOPIC_HTTP,
     facts(topic(), subscribed("http://monitor.example.com/in", EdgeKind.WRITES)), (TOPIC_HTTP, TOPIC))
case("sns: delivers over HTTPS", TOPIC_HTTP, facts(topic(), subscribed(EXTERNAL, EdgeKind.WRITES)))
case("sns: a queue of another account subscribed", TOPIC_AWAY,
     facts(topic(), subscribed(f"arn:aws:sqs:{REGION}:444455556666:partner")), (TOPIC_AWAY, TOPIC))
case("sns: a function of the same account subscribed", TOPIC_AWAY,
     facts(topic(), subscribed(WORKER, EdgeKind.TRIGGERS), subscribed(QUEUE)))
STREAM = arns.kinesis_stream_arn(REGION, ACCOUNT, "clicks")
STREAM_PLAIN, STREAM_KEPT = "kinesis.stream_not_encrypted", "kinesis.retention_beyond_need"


def stream(hours: int = 24, **encryption: Any) -> Node:
    return node(STREAM, "kinesis.stream", encryption=encryption or {"type": "kms", "kms_key": "alias/aws/kinesis",
                                                                    "customer_key": False}, retention_hours=hours)


case("kinesis: no encryption", STREAM_PLAIN, facts(stream(type="none", kms_key=None, customer_key=False)),
     (STREAM_PLAIN, STREAM))
case("kinesis: the AWS managed key", STREAM_PLAIN, facts(stream()))
case("kinesis: configuration unread", (STREAM_PLAIN, STREAM_KEPT),
     facts(node(STREAM, "kinesis.stream", unread=["configuration"])))
case("kinesis: a week of records", STREAM_KEPT, facts(stream(168)), (STREAM_KEPT, STREAM))
case("kinesis: the default day", STREAM_KEPT, facts(stream(24)))
HOSE = arns.build_arn("firehose", REGION, ACCOUNT, "deliverystream/feed")
HOSE_HTTP, HOSE_PLAIN = "firehose.http_endpoint_plain", "firehose.stream_not_encrypted"


def hose(source_type: str = "DirectPut", url: str = "https://partner.example.com/in", **encryption: Any) -> Node:
    path = "Destinations[0].HttpEndpointDestinationDescription.EndpointConfiguration.Url"
    return node(HOSE, "firehose.delivery_stream", source_type=source_type,
                encryption=encryption or {"type": "kms", "kms_key": None, "customer_key": False},
                destinations=[{"type": "HttpEndpoint", "target": url, "path": path}])


case("firehose: delivers over plain HTTP", HOSE_HTTP, facts(hose(url="http://partner.example.com/in")),
     (HOSE_HTTP, HOSE))
case("firehose: delivers over HTTPS", HOSE_HTTP, facts(hose()))
case("firehose: direct PUT, encryption off", HOSE_PLAIN, facts(hose(type="none", customer_key=False)),
     (HOSE_PLAIN, HOSE))
case("firehose: a Kinesis source, encryption off", HOSE_PLAIN,
     facts(hose("KinesisStreamAsSource", type="none", customer_key=False)))
case("firehose: direct PUT, AWS owned key", HOSE_PLAIN, facts(hose()))
case("firehose: configuration unread", (HOSE_HTTP, HOSE_PLAIN),
     facts(node(HOSE, "firehose.delivery_stream", unread=["configuration"])))
OTHER_REGION_JOB = arns.glue_job_arn("us-east-1", ACCOUNT, "copy")
OTHER_ACCOUNT_JOB = arns.glue_job_arn(REGION, "444455556666", "partner")
case("pii: read in another region", BORDER,
     at_rest(Node(OTHER_REGION_JOB, "glue.job", "copy", Stage.PROCESSING, ACCOUNT, "us-east-1", True, {}),
             flow(TABLE, OTHER_REGION_JOB, EdgeKind.READS)), (BORDER, OTHER_REGION_JOB))
case("pii: sent to another account", BORDER,
     at_rest(job(), flow(TABLE, JOB, EdgeKind.READS), flow(JOB, OTHER_ACCOUNT_JOB, EdgeKind.INVOKES)),
     (BORDER, OTHER_ACCOUNT_JOB))
case("pii: read in the same account and region", BORDER, at_rest(job(), flow(TABLE, JOB, EdgeKind.READS)))
case("pii: masked before it crosses", BORDER,
     at_rest(masking_job(), flow(TABLE, JOB, EdgeKind.READS), flow(JOB, OTHER_ACCOUNT_JOB, EdgeKind.INVOKES)))
case("pii: other data read in another region", BORDER,
     at_rest(Node(OTHER_REGION_JOB, "glue.job", "copy", Stage.PROCESSING, ACCOUNT, "us-east-1", True, {}),
             flow(TABLE, OTHER_REGION_JOB, EdgeKind.READS), personal=False))
case("pii: written to a bucket the scan did not read", LEAVES,
     at_rest(job(), flow(TABLE, JOB, EdgeKind.READS), flow(JOB, "arn:aws:s3:::partner-drop/in")),
     (LEAVES, "arn:aws:s3:::partner-drop/in"))
case("pii: written to a bucket the scan read", LEAVES,
     at_rest(job(), s3_bucket("mine"), flow(TABLE, JOB, EdgeKind.READS), flow(JOB, "arn:aws:s3:::mine/in")))
case("pii: written elsewhere by a job that only writes where it rests", LEAVES,
     at_rest(job(), flow(JOB, PEOPLE), flow(JOB, "arn:aws:s3:::partner-drop/in")))
case("pii: a writer of personal data writes across a region, carrying none of it", BORDER,
     at_rest(job(), flow(JOB, PEOPLE), flow(JOB, OTHER_REGION_JOB, EdgeKind.INVOKES),
             Node(OTHER_REGION_JOB, "glue.job", "copy", Stage.PROCESSING, ACCOUNT, "us-east-1", True, {})))
OUT = "arn:aws:s3:::data/exports"
EXPORTS = arns.glue_table_arn(REGION, ACCOUNT, "curated", "exports")
case("pii: a path written from personal data", PROBABLY,
     at_rest(job(), flow(TABLE, JOB, EdgeKind.READS), flow(JOB, OUT)), (PROBABLY, OUT))
case("pii: a table written from personal data is judged, not its path", PROBABLY,
     at_rest(job(), node(EXPORTS, "glue.table", columns=[{"name": "total", "type": "int"}]),
             flow(TABLE, JOB, EdgeKind.READS), flow(JOB, OUT), Edge(EXPORTS, OUT, EdgeKind.STORED_AT)),
     (PROBABLY, EXPORTS))
case("pii: a labelled table written from personal data", PROBABLY,
     at_rest(job(), node(EXPORTS, "glue.table", columns=[{"name": "customer_email", "type": "string"}]),
             flow(TABLE, JOB, EdgeKind.READS), flow(JOB, OUT), Edge(EXPORTS, OUT, EdgeKind.STORED_AT)))
case("pii: a path written by a job that masks", PROBABLY,
     at_rest(masking_job(), flow(TABLE, JOB, EdgeKind.READS), flow(JOB, OUT)))
case("pii: a path written from other data", PROBABLY,
     at_rest(job(), flow(TABLE, JOB, EdgeKind.READS), flow(JOB, OUT), personal=False))


# API Gateway and AppSync: where requests enter.
API = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:a1b2c3"
ROUTE = f"{API}/*/POST/orders"
GRAPHQL = f"arn:aws:appsync:{REGION}:{ACCOUNT}:apis/g1"
OPEN_ROUTE, OPEN_TO_PII = ("apigateway.route_without_authorization",
                           "apigateway.personal_data_route_without_authorization")
NO_WAF, NO_ACCESS_LOG = "apigateway.stage_without_waf", "apigateway.access_logging_off"
GRAPHQL_NO_WAF, KEY_ONLY = "appsync.api_without_waf", "appsync.api_key_only"


def route(route_id: str = ROUTE, **attributes: Any) -> Node:
    said = {"api": "orders", "api_id": "a1b2c3", "protocol": "REST", "method": "POST", "path": "/orders",
            "endpoint_types": ["REGIONAL"], "auth_type": "NONE", "api_key_required": False, **attributes}
    return node(route_id, "apigateway.route", **said)


def rest_api(*stages: dict[str, Any], **attributes: Any) -> Node:
    return node(API, "apigateway.api", **{"protocol": "REST", "private": False, "endpoint_types": ["REGIONAL"],
                                          "stages": list(stages), **attributes})


def graphql(**attributes: Any) -> Node:
    return node(GRAPHQL, "appsync.api", **{"authentication": ["AMAZON_COGNITO_USER_POOLS"], "visibility": "GLOBAL",
                                           "waf_web_acl": "arn:aws:wafv2:r:1:regional/webacl/w/1", **attributes})


case("apigateway: a route anyone can call into a function", (OPEN_ROUTE, OPEN_TO_PII),
     facts(route(), node(WORKER, "lambda.function"), flow(ROUTE, WORKER, EdgeKind.INVOKES)), (OPEN_ROUTE, ROUTE))
case("apigateway: a route anyone can call into a table of personal data", (OPEN_ROUTE, OPEN_TO_PII),
     facts(route(), table(("email", "email")), flow(ROUTE, TABLE)), (OPEN_TO_PII, ROUTE))
case("apigateway: routes behind IAM, an API key, a PRIVATE API, a CORS preflight, a WebSocket's $connect",
     (OPEN_ROUTE, OPEN_TO_PII),
     facts(route(auth_type="AWS_IAM"), route(f"{API}/*/GET/keyed", api_key_required=True),
           route(f"{API}/*/GET/private", endpoint_types=["PRIVATE"]),
           route(f"{API}/*/OPTIONS/orders", method="OPTIONS"),
           route(f"{API}/*/sendMessage", protocol="WEBSOCKET", authorized_at_connect="CUSTOM"),
           route(f"{API}/*/GET/unread", auth_type=None), table(("email", "email")), flow(ROUTE, TABLE)))
case("apigateway: a public stage without a web ACL", NO_WAF,
     facts(rest_api({"name": "prod", "web_acl": None, "access_log_destination": "arn:aws:logs:r:1:log-group:a"})),
     (NO_WAF, API))
case("apigateway: a stage with a web ACL, a PRIVATE API's, an HTTP API's", NO_WAF,
     facts(rest_api({"name": "prod", "web_acl": "arn:aws:wafv2:r:1:regional/webacl/w/1"}),
           node(f"{API}x", "apigateway.api", protocol="REST", private=True, stages=[{"name": "p", "web_acl": None}]),
           node(f"{API}y", "apigateway.api", protocol="HTTP", unread=["stages"])))
case("apigateway: a stage without an access log", NO_ACCESS_LOG,
     facts(rest_api({"name": "prod", "access_log_destination": None})), (NO_ACCESS_LOG, API))
case("apigateway: a stage with an access log, stages unread", NO_ACCESS_LOG,
     facts(rest_api({"name": "prod", "access_log_destination": "arn:aws:logs:r:1:log-group:a"}),
           node(f"{API}y", "apigateway.api", protocol="HTTP", unread=["stages"])))
case("appsync: a public API without a web ACL, behind an API key only", (GRAPHQL_NO_WAF, KEY_ONLY),
     facts(graphql(authentication=["API_KEY"], waf_web_acl=None)), (GRAPHQL_NO_WAF, GRAPHQL), (KEY_ONLY, GRAPHQL))
case("appsync: a private API, users with a key as a second way in", (GRAPHQL_NO_WAF, KEY_ONLY),
     facts(graphql(authentication=["AMAZON_COGNITO_USER_POOLS", "API_KEY"], visibility="PRIVATE", waf_web_acl=None)))

# Lambda: functions behind an API, what their role allows and where they run; function URLs.
WILDCARD, OPEN_URL, OPEN_URL_TO_PII, OUTSIDE_VPC = (
    "lambda.role_wildcard_actions", "lambda.url_without_auth", "lambda.url_without_auth_on_personal_data",
    "lambda.outside_vpc_reaching_vpc_store")
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-api"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/orders-api"
URL = "https://q1w2e3r4t5y6u7i8o9p0.lambda-url.eu-west-1.on.aws/"
STORE = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders"
PEOPLE_BUCKET = "arn:aws:s3:::people"


def api_function(in_vpc: bool = False) -> Node:
    return node(FUNCTION, "lambda.function", role=ROLE, in_vpc=in_vpc)


def api_role(*actions: str) -> Node:
    """The function's role as `collectors.iam` summarises it: one inline policy allowing `actions` on DDB."""
    statement = {"Effect": "Allow", "Action": list(actions), "Resource": DDB}
    return transform_role({"Reference": ROLE, "Role": {"Arn": ROLE, "RoleName": "orders-api"}, "Attached": [],
                           "Inline": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
                                                                             "Statement": [statement]}}]},
                          {}, ACCOUNT)


def behind_route(role: Node, *items: Node | Edge) -> list[Facts]:
    """A route (behind IAM) invoking the function, which writes the orders table."""
    return facts(route(auth_type="AWS_IAM"), api_function(), role, flow(ROUTE, FUNCTION, EdgeKind.INVOKES),
                 flow(FUNCTION, DDB), *items)


def function_url(auth_type: str, *items: Node | Edge) -> list[Facts]:
    """A function URL, as `collectors.awslambda` draws it, invoking the function."""
    url = Node(URL, "lambda.url", "orders-api URL", stage_for("lambda.url"), ACCOUNT, REGION, True,
               {"auth_type": auth_type, "invoke_mode": "BUFFERED", "cors": None, "function": FUNCTION})
    return facts(url, api_function(), flow(URL, FUNCTION, EdgeKind.INVOKES), *items)


def reaching_store(in_vpc: bool) -> list[Facts]:
    return facts(route(auth_type="AWS_IAM"), api_function(in_vpc), node(STORE, "rds.db_instance", in_vpc=True),
                 flow(ROUTE, FUNCTION, EdgeKind.INVOKES), flow(FUNCTION, STORE, EdgeKind.REFERENCES))


case("lambda: a function behind a route whose role allows dynamodb:* on the table it writes", WILDCARD,
     behind_route(api_role("dynamodb:*")), (WILDCARD, FUNCTION))
case("lambda: a function behind a route whose role allows what it needs", WILDCARD,
     behind_route(api_role("dynamodb:PutItem")))
case("lambda: a function nothing calls from outside, its role allowing dynamodb:*", WILDCARD,
     facts(api_function(), api_role("dynamodb:*"), flow(FUNCTION, DDB)))
case("lambda: a function URL anyone may call", (OPEN_URL, OPEN_URL_TO_PII), function_url("NONE"), (OPEN_URL, URL))
case("lambda: a function URL anyone may call, on a flow of personal data", (OPEN_URL, OPEN_URL_TO_PII),
     function_url("NONE", s3_bucket("people", tags=tagged(lineage_pii="email")),
                  flow(FUNCTION, PEOPLE_BUCKET, EdgeKind.REFERENCES)), (OPEN_URL_TO_PII, URL))
case("lambda: a function URL asking for signed requests, on a flow of personal data", (OPEN_URL, OPEN_URL_TO_PII),
     function_url("AWS_IAM", s3_bucket("people", tags=tagged(lineage_pii="email")),
                  flow(FUNCTION, PEOPLE_BUCKET, EdgeKind.REFERENCES)))
case("lambda: a function behind a route, outside the VPC of a store it reaches", OUTSIDE_VPC, reaching_store(False),
     (OUTSIDE_VPC, FUNCTION))
case("lambda: a function behind a route, in a VPC, reaching a store in one", OUTSIDE_VPC, reaching_store(True))

# QuickSight: datasets bringing personal data to screens, data sources connecting without SSL.
QS_PERSONAL, QS_SSL = "quicksight.dataset_reads_personal_data", "quicksight.data_source_ssl_disabled"
DATASET = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dataset/enrolments"
SOURCE = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:datasource/registry"
ATHENA_SOURCE = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:datasource/lake"


def dataset(*columns: tuple[str, str], **tags: str) -> list[Facts]:
    """A SPICE dataset, without row- or column-level security, reading the table (personal or not)."""
    return facts(table(*columns), node(DATASET, "quicksight.dataset", import_mode="SPICE", spice=True,
                                       row_level_security=False, column_level_security=[], tags=tags),
                 flow(TABLE, DATASET, EdgeKind.READS))


def data_source(source_id: str, source_type: str, ssl_disabled: bool) -> Node:
    return node(source_id, "quicksight.data_source", type=source_type, status="CREATION_SUCCESSFUL",
                ssl_disabled=ssl_disabled, vpc_connection=None,
                reads_from=f"{source_type} (outside AWS's resources)")


case("quicksight: a dataset reading personal columns", QS_PERSONAL, dataset(("student_email", "email")),
     (QS_PERSONAL, DATASET))
case("quicksight: a dataset declared to mask personal columns", QS_PERSONAL,
     dataset(("student_email", "email"), **{"lineage:pii": "masked"}))
case("quicksight: a dataset reading other data", QS_PERSONAL, dataset())
case("quicksight: a MySQL data source with SSL off", QS_SSL, facts(data_source(SOURCE, "MYSQL", True)),
     (QS_SSL, SOURCE))
case("quicksight: a MySQL data source with SSL on, an Athena one with SSL off", QS_SSL,
     facts(data_source(SOURCE, "MYSQL", False), data_source(ATHENA_SOURCE, "ATHENA", True)))

# EMR: clusters' security configurations, the region's block public access.
CLUSTER = f"arn:aws:elasticmapreduce:{REGION}:{ACCOUNT}:cluster/j-1RECS"
EMR_PLAIN, EMR_OPEN = "emr.cluster_without_security_configuration", "emr.block_public_access_off"
EMR_ENCRYPTED = {"name": "s", "readable": True, "at_rest": True, "local_disk_encryption": "AwsKms", "in_transit": True}


def cluster(**attributes: Any) -> Node:
    return node(CLUSTER, "emr.cluster", **attributes)


case("emr: no security configuration", EMR_PLAIN, facts(cluster(security_configuration=None)), (EMR_PLAIN, CLUSTER))
case("emr: at rest but not in transit", EMR_PLAIN,
     facts(cluster(security_configuration={**EMR_ENCRYPTED, "in_transit": False})), (EMR_PLAIN, CLUSTER))
case("emr: encrypted at rest and in transit", EMR_PLAIN, facts(cluster(security_configuration=EMR_ENCRYPTED)))
case("emr: security configuration unread", EMR_PLAIN, facts(cluster(unread=["security_configuration"])))
case("emr: block public access off", EMR_OPEN,
     facts(cluster(block_public_access={"block_public_security_group_rules": False, "permitted_ports": []})),
     (EMR_OPEN, CLUSTER))
case("emr: block public access excepting a web interface", EMR_OPEN,
     facts(cluster(block_public_access={"block_public_security_group_rules": True,
                                        "permitted_ports": ["22", "8088"]})), (EMR_OPEN, CLUSTER))
case("emr: block public access on, SSH excepted", EMR_OPEN,
     facts(cluster(block_public_access={"block_public_security_group_rules": True, "permitted_ports": ["22"]})))

# SageMaker: what an endpoint captures and where it keeps it; jobs that reach the network.
ENDPOINT = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/churn"
TRAIN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/churn-1"
CAPTURED, CAPTURE_KEY, ISOLATION = ("sagemaker.data_capture_without_lifecycle",
                                    "sagemaker.data_capture_without_customer_key",
                                    "sagemaker.job_without_network_isolation")


def capturing(prefix: str, **capture: Any) -> list[Facts]:
    """An endpoint capturing to s3://data/capture/, in a bucket whose one lifecycle rule expires `prefix`."""
    endpoint = node(ENDPOINT, "sagemaker.endpoint",
                    data_capture={"enabled": True, "destination": "s3://data/capture/", **capture})
    written = Edge(ENDPOINT, "arn:aws:s3:::data/capture", EdgeKind.WRITES, (Evidence(
        "sagemaker:DescribeEndpoint", ENDPOINT, "DataCaptureConfig.DestinationS3Uri", "s3://data/capture/"),))
    return facts(s3_bucket("data", lifecycle=lifecycle(api_rule("r", Filter={"Prefix": prefix}))), endpoint, written)


case("sagemaker: capture kept for ever under AWS's key", (CAPTURED, CAPTURE_KEY), capturing("raw/"),
     (CAPTURED, ENDPOINT), (CAPTURE_KEY, ENDPOINT))
case("sagemaker: capture expired, under the customer's key", (CAPTURED, CAPTURE_KEY),
     capturing("capture/", kms_key=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"))
PEOPLE_FOR_TRAINING = "arn:aws:s3:::people-for-training"
case("sagemaker: a training job on personal data not isolated, outside a VPC", ISOLATION,
     facts(node(TRAIN, "sagemaker.training_job", network_isolation=False, in_vpc=False),
           node(PEOPLE_FOR_TRAINING, "s3.bucket", tags={"lineage:pii": "email"}),
           flow(PEOPLE_FOR_TRAINING, TRAIN, EdgeKind.READS)), (ISOLATION, TRAIN))
case("sagemaker: a training job not isolated, on no personal data", ISOLATION,
     facts(node(TRAIN, "sagemaker.training_job", network_isolation=False, in_vpc=False)))
case("sagemaker: a training job on personal data, isolated", ISOLATION,
     facts(node(TRAIN, "sagemaker.training_job", network_isolation=True, in_vpc=True),
           node(PEOPLE_FOR_TRAINING, "s3.bucket", tags={"lineage:pii": "email"}),
           flow(PEOPLE_FOR_TRAINING, TRAIN, EdgeKind.READS)))

# Bedrock: guardrails where personal data meets a model, invocation logs, knowledge-base sources.
GUARDRAIL_RULE, KB_SOURCE = "bedrock.model_without_guardrail", "bedrock.knowledge_base_source_with_personal_data"
LOG_RETENTION, LOG_KEY = ("bedrock.invocation_logging_without_retention",
                          "bedrock.invocation_logging_without_customer_key")
AGENT = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/A1"
KB = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:knowledge-base/K1"
MODEL = f"arn:aws:bedrock:{REGION}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
LOGGING = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-logging"
BEDROCK_LOGS = arns.log_group_arn(REGION, ACCOUNT, "/aws/bedrock/invocations")


def agent_on_kb(guardrail: dict[str, str] | None, personal: bool = True) -> list[Facts]:
    return at_rest(node(KB, "bedrock.knowledge_base"), node(AGENT, "bedrock.agent", guardrail=guardrail),
                   flow(PEOPLE, KB, EdgeKind.READS), flow(KB, AGENT, EdgeKind.READS),
                   flow(AGENT, MODEL, EdgeKind.INVOKES), personal=personal)


def machine_asking(path: str) -> list[Facts]:
    return at_rest(node(MACHINE, "states.state_machine"), flow(TABLE, MACHINE, EdgeKind.READS),
                   Edge(MACHINE, MODEL, EdgeKind.INVOKES, (Evidence("states:DescribeStateMachine", MACHINE, path),)))


def bedrock_logs(retention: int | None, key: str | None) -> list[Facts]:
    group = node(BEDROCK_LOGS, "logs.log_group", retention_days=retention, kms_key=key,
                 encryption={"type": "kms", "kms_key": key} if key else {"type": "aws-owned", "kms_key": None})
    return facts(node(LOGGING, "bedrock.invocation_logging", enabled=True, delivers=["text"]), group,
                 flow(LOGGING, BEDROCK_LOGS))


case("bedrock: an agent on personal data without a guardrail", GUARDRAIL_RULE, agent_on_kb(None),
     (GUARDRAIL_RULE, AGENT))
case("bedrock: an agent on personal data with a guardrail", GUARDRAIL_RULE,
     agent_on_kb({"identifier": "gr-1", "version": "1"}))
case("bedrock: an agent without a guardrail on other data", GUARDRAIL_RULE, agent_on_kb(None, personal=False))
case("bedrock: a machine's InvokeModel task on personal data without a guardrail", GUARDRAIL_RULE,
     machine_asking("States.Ask.Parameters.ModelId"), (GUARDRAIL_RULE, MODEL))
case("bedrock: a machine's InvokeModel task naming its guardrail", GUARDRAIL_RULE,
     machine_asking("States.Ask.Parameters.ModelId, Parameters.GuardrailIdentifier"))
case("bedrock: a knowledge base built from personal data", KB_SOURCE,
     at_rest(node(KB, "bedrock.knowledge_base"), flow(PEOPLE, KB, EdgeKind.READS)), (KB_SOURCE, KB))
case("bedrock: a knowledge base built from other data", KB_SOURCE,
     at_rest(node(KB, "bedrock.knowledge_base"), flow(PEOPLE, KB, EdgeKind.READS), personal=False))
case("bedrock: invocation logs kept for ever under AWS's keys", (LOG_RETENTION, LOG_KEY), bedrock_logs(None, None),
     (LOG_RETENTION, LOGGING), (LOG_KEY, LOGGING))
case("bedrock: invocation logs kept 30 days under the customer's key", (LOG_RETENTION, LOG_KEY),
     bedrock_logs(30, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/logs"))

# Cost: how a table Athena queries is stored and partitioned, what one query may scan, what leaves S3 Standard,
# what a log group that never expires holds (every case of each: tests/lineage/test_cost_rules.py).
TEXT, UNPARTITIONED, SCAN_LIMIT, IN_STANDARD, LARGE_LOGS = (
    "cost.uncompressed_text_queried_by_athena", "cost.table_without_partitions", "cost.workgroup_without_scan_limit",
    "cost.location_kept_in_standard", "cost.log_group_growing_without_retention")
CLICKS_DATA = "arn:aws:s3:::data/raw/clicks"
TEXT_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
BIG = str(200 * 2**30)


def queried_table(classification: str, compression: str, keys: list[dict[str, str]] | None = None) -> list[Facts]:
    """A crawled table whose data rests in s3://data/raw/clicks/, read by a saved query of the workgroup."""
    crawled = node(TABLE, "glue.table", format=classification, serde=TEXT_SERDE, compressed=False,
                   input_format="org.apache.hadoop.mapred.TextInputFormat", partition_keys=keys or [],
                   parameters={"classification": classification, "compressionType": compression, "sizeKey": BIG})
    return facts(crawled, workgroup(bytes_scanned_cutoff=None, output_location="s3://results/"), s3_bucket("data"),
                 Edge(TABLE, CLICKS_DATA, EdgeKind.STORED_AT), flow(TABLE, WORKGROUP, EdgeKind.READS))


case("cost: uncompressed CSV queried through Athena", TEXT, queried_table("csv", "none"), (TEXT, TABLE))
case("cost: gzip-compressed CSV queried through Athena", TEXT, queried_table("csv", "gzip"))
case("cost: Parquet queried through Athena", TEXT, queried_table("parquet", "none"))
case("cost: a table on a flow without partition keys", UNPARTITIONED, queried_table("parquet", "none"),
     (UNPARTITIONED, TABLE))
case("cost: a table on a flow partitioned by day", UNPARTITIONED,
     queried_table("parquet", "none", [{"name": "dt", "type": "string"}]))
case("cost: a workgroup without a per-query limit", SCAN_LIMIT,
     facts(workgroup(state="ENABLED", output_location="s3://results/", bytes_scanned_cutoff=None)),
     (SCAN_LIMIT, WORKGROUP))
case("cost: a workgroup that cancels a query past 10 GiB", SCAN_LIMIT,
     facts(workgroup(state="ENABLED", output_location="s3://results/", bytes_scanned_cutoff=10 * 2**30)))
case("cost: data on a flow no rule moves out of S3 Standard", IN_STANDARD,
     written(EVENTS, lifecycle=lifecycle(api_rule("ia", days=None, Filter={"Prefix": "archive/"},
                                                  Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}]))),
     (IN_STANDARD, EVENTS))
case("cost: data on a flow moved to Intelligent-Tiering", IN_STANDARD,
     written(EVENTS, lifecycle=lifecycle(api_rule("tier", days=None,
                                                  Transitions=[{"Days": 0, "StorageClass": "INTELLIGENT_TIERING"}]))))
case("cost: data on a flow expired within a week", IN_STANDARD, written(EVENTS, lifecycle=lifecycle(api_rule(
    "tmp", days=7))))
LARGE_GROUP = arns.log_group_arn(REGION, ACCOUNT, "/aws/lambda/ingest")
case("cost: 50 GiB of logs kept for ever", LARGE_LOGS,
     facts(node(LARGE_GROUP, "logs.log_group", retention_days=None, stored_bytes=50 * 2**30)),
     (LARGE_LOGS, LARGE_GROUP))
case("cost: 50 GiB of logs kept 30 days", LARGE_LOGS,
     facts(node(LARGE_GROUP, "logs.log_group", retention_days=30, stored_bytes=50 * 2**30)))
case("cost: 1 GiB of logs kept for ever", LARGE_LOGS,
     facts(node(LARGE_GROUP, "logs.log_group", retention_days=None, stored_bytes=2**30)))


@pytest.mark.parametrize(("rules", "batches", "expected"), CASES)
def test_rule_reports_exactly_these_nodes(rules: tuple[str, ...], batches: list[Facts],
                                          expected: set[tuple[str, str]]) -> None:
    assert judged(batches, rules) == expected


def test_every_rule_has_a_case_that_reports_and_one_that_does_not() -> None:
    reported: set[str] = set()
    silent: set[str] = set()
    for param in CASES:
        rules, _, expected = param.values
        hit = {rule_id for rule_id, _ in expected}
        reported |= hit
        silent |= set(rules) - hit
    # The tagging rules judge only against a tag policy: their cases are in tests/lineage/test_tag_policy.py.
    every = {r.id for r in all_rules() if r.category is not Category.TAGGING}
    assert every - reported == set(), "rules without a case where they report"
    assert every - silent == set(), "rules without a case where they stay silent"


# --- Messages: what a user reads ----------------------------------------------------------------------


@pytest.mark.parametrize("setting", BLOCK_SETTINGS)
def test_each_public_access_setting_off_is_named_alone(setting: str) -> None:
    [finding] = findings_of(facts(s3_bucket("open", public_access=block(setting))), PUBLIC).values()
    assert f"({setting} off)" in finding.message
    assert all(other not in finding.message for other in BLOCK_SETTINGS if other != setting)
    assert finding.evidence[0].excerpt == f"off: {setting}"


def test_a_missing_public_access_block_names_all_four_settings() -> None:
    [finding] = findings_of(facts(s3_bucket("open", public_access=absent("NoSuchPublicAccessBlockConfiguration"))),
                            PUBLIC).values()
    assert all(setting in finding.message for setting in BLOCK_SETTINGS)
    assert finding.evidence[0].excerpt == "not configured"


def test_lifecycle_finding_says_why_each_rule_does_not_cover() -> None:
    rules = lifecycle(api_rule("big-only", Filter={"ObjectSizeGreaterThan": 1024}),
                      api_rule("tagged", Filter={"Tag": {"Key": "k", "Value": "v"}}),
                      api_rule("off", status="Disabled"), api_rule("cold", days=None))
    [finding] = findings_of(written(EVENTS, lifecycle=rules), LIFECYCLE).values()
    assert finding.message.startswith("s3://data/raw/events is on a data flow")
    for reason in ("big-only (prefix '', object size)", "tagged (prefix '', tags)", "off (prefix '', disabled)",
                   "cold (prefix '', no expiration)"):
        assert reason in finding.message


def test_tls_finding_tells_a_missing_policy_from_one_without_the_deny() -> None:
    missing = findings_of(facts(s3_bucket("strict", policy=absent("NoSuchBucketPolicy"))), TLS)[STRICT]
    lacking = findings_of(facts(s3_bucket("strict", policy=policy(KMS_DENY))), TLS)[STRICT]
    assert "has no bucket policy" in missing.message
    assert "has a policy without a TLS-only deny" in lacking.message


# --- The policy reader on its own --------------------------------------------------------------------


@pytest.mark.parametrize("document", ["null", "[]", "7", '"a string"', "true", "", "{", "[{}]"])
def test_a_policy_that_is_not_an_object_is_unreadable_and_grants_nothing(document: str) -> None:
    assert policy_facts(document) == {"tls_only": False, "requires_kms": False, "statements": [],
                                      "unreadable": True}


@pytest.mark.parametrize(
    "document",
    [
        {"Statement": "not a statement"},
        {"Statement": [None, 7, "x", []]},
        {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": [None, 3], "Condition": "odd"}]},
        {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": ["odd"]}}]},
        {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Sid": 5,
                        "Condition": {"Bool": {5: "false"}}}]},
    ],
)
def test_odd_statements_are_skipped_without_raising(document: dict[str, Any]) -> None:
    read = policy_facts(json.dumps(document))
    assert read["tls_only"] is False and read["requires_kms"] is False and "unreadable" not in read


@pytest.mark.parametrize(
    ("condition", "requires_kms"),
    [
        ({"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}, True),
        ({"StringNotEquals": {"s3:x-amz-server-side-encryption": ["aws:kms"]}}, True),
        ({"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms:dsse"}}, True),
        ({"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}, True),
        ({"StringNotEquals": {"S3:X-Amz-Server-Side-Encryption": "aws:kms"}}, True),
        ({"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}, False),
        ({"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}, False),
        ({"Null": {"s3:x-amz-server-side-encryption": "true"}}, False),
    ],
)
def test_policy_requiring_kms(condition: dict[str, Any], requires_kms: bool) -> None:
    statement = {**KMS_DENY, "Condition": condition}
    assert policy_facts(json.dumps({"Statement": [statement]}))["requires_kms"] is requires_kms
    assert policy_facts(json.dumps({"Statement": [{**statement, "Effect": "Allow"}]}))["requires_kms"] is False


# --- Personal data raises severity, where it matters -----------------------------------------------

OUT = "arn:aws:s3:::out"
OUT_PEOPLE = "arn:aws:s3:::out/people"
# The same estate with and without personal data: each gap at its default severity.
BASE_SEVERITIES = {
    ("glue.job_without_security_configuration", JOB): Severity.MEDIUM,
    (LIFECYCLE, OUT_PEOPLE): Severity.MEDIUM,
    (IN_STANDARD, OUT_PEOPLE): Severity.LOW,  # cost: the same with personal data or without
    (SSE_S3, OUT): Severity.LOW,
    (PUBLIC, OUT): Severity.MEDIUM,
    (TLS, OUT): Severity.MEDIUM,
    ("states.aws_owned_key", MACHINE): Severity.LOW,
    ("states.logging_off", MACHINE): Severity.MEDIUM,
    (UNREADABLE, MACHINE): Severity.LOW,
}
RAISED = {  # lifecycle, encryption and exposure: one step more severe where personal data reaches
    ("glue.job_without_security_configuration", JOB): Severity.HIGH,
    (LIFECYCLE, OUT_PEOPLE): Severity.HIGH,
    (SSE_S3, OUT): Severity.MEDIUM,
    (PUBLIC, OUT): Severity.HIGH,
    (TLS, OUT): Severity.HIGH,
    ("states.aws_owned_key", MACHINE): Severity.MEDIUM,
}


def estate(columns: tuple[tuple[str, str], ...] = (), bucket_tags: dict[str, Any] | None = None) -> list[Facts]:
    """A table read by a job that writes to a bucket a machine reads; the machine sends data outside."""
    out = s3_bucket("out", lifecycle=absent("NoSuchLifecycleConfiguration"), encryption=sse("AES256"),
                    public_access=block("RestrictPublicBuckets"), policy=absent("NoSuchBucketPolicy"),
                    tags=bucket_tags or {"TagSet": []})
    return facts(table(*columns), job(None, None), out,
                 machine(level="OFF", encryption="AWS_OWNED_KEY", warnings=["States.Odd: unknown state type"]),
                 flow(TABLE, JOB, EdgeKind.READS), flow(JOB, OUT_PEOPLE), flow(OUT_PEOPLE, MACHINE, EdgeKind.READS),
                 flow(MACHINE, EXTERNAL))


@pytest.mark.parametrize(
    ("batches", "expected"),
    [
        pytest.param(estate(), BASE_SEVERITIES, id="no personal data"),
        pytest.param(estate((("email", "email"),)),
                     {**BASE_SEVERITIES, **RAISED, (HELD, TABLE): Severity.INFO, (LEAVES, EXTERNAL): Severity.HIGH,
                      (EXPOSED, OUT): Severity.CRITICAL, (KEY, OUT): Severity.HIGH,
                      (EXPIRY, OUT_PEOPLE): Severity.HIGH, (PROBABLY, OUT_PEOPLE): Severity.MEDIUM},
                     id="personal columns upstream"),
        pytest.param(estate(bucket_tags=tagged(lineage_pii="true")),
                     {**BASE_SEVERITIES, **RAISED, (LEAVES, EXTERNAL): Severity.HIGH, (HELD, OUT): Severity.INFO,
                      (EXPOSED, OUT): Severity.CRITICAL, (KEY, OUT): Severity.HIGH, (EXPIRY, OUT): Severity.HIGH},
                     id="bucket tagged lineage:pii"),
    ],
)
def test_personal_data_raises_lifecycle_encryption_and_exposure_but_not_coverage_or_pii(
        batches: list[Facts], expected: dict[tuple[str, str], Severity]) -> None:
    findings = evaluate(build_graph(batches)).findings
    assert {(f.rule, f.node): f.severity for f in findings} == expected
    for finding in findings:
        said = "Personal data (" in finding.message and "reaches this node." in finding.message
        assert said is (finding.severity != BASE_SEVERITIES.get((finding.rule, finding.node), finding.severity))


def test_the_raised_message_names_the_categories() -> None:
    findings = findings_of(estate((("email", "email"), ("phone", "phone"))), SSE_S3)
    assert findings[OUT].message.endswith("Personal data (email, phone) reaches this node.")
    declared = findings_of(estate(bucket_tags=tagged(lineage_pii="true")), SSE_S3)
    assert declared[OUT].message.endswith("Personal data (declared) reaches this node.")


# --- Places known only at run time ------------------------------------------------------------------


def _every_s3_rule_would_report() -> dict[str, Any]:
    """Attributes under which every S3 rule reports a bucket it judges."""
    bucket = s3_bucket("x", lifecycle=absent("NoSuchLifecycleConfiguration"), versioning={"Status": "Enabled"},
                       encryption=absent("ServerSideEncryptionConfigurationNotFoundError"),
                       public_access=absent("NoSuchPublicAccessBlockConfiguration"),
                       policy=policy(KMS_DENY))
    return dict(bucket.attributes)


@pytest.mark.parametrize("kind", ["s3.location", "s3.bucket"])
@pytest.mark.parametrize("personal", [False, True], ids=["no personal data", "personal data upstream"])
def test_a_dynamic_place_is_never_judged_as_s3_but_as_an_unknown_destination(kind: str, personal: bool) -> None:
    attributes = _every_s3_rule_would_report() if kind == "s3.bucket" else {}
    place = Node(DYNAMIC, kind, "Bucket.$", stage_for(kind), observed=kind == "s3.bucket",
                 attributes={**attributes, "dynamic": True, "expression": "$.bucket"})
    columns = (("email", "email"),) if personal else ()
    batches = facts(table(*columns), machine(), place, flow(TABLE, MACHINE, EdgeKind.READS),
                    Edge(MACHINE, DYNAMIC, EdgeKind.WRITES,
                         (Evidence("states:DescribeStateMachine", MACHINE, "States.Save.Parameters.Bucket.$",
                                   "$.bucket", dynamic=True),)))
    evaluation = evaluate(build_graph(batches))
    on_place = {(f.rule, f.severity) for f in evaluation.findings if f.node == DYNAMIC}
    expected = {(UNKNOWN, Severity.LOW)} | ({(TO_UNKNOWN, Severity.MEDIUM)} if personal else set())
    assert on_place == expected
    assert evaluation.gaps == []
    [unknown] = [f for f in evaluation.findings if f.rule == UNKNOWN]
    assert "$.bucket" in unknown.message and unknown.evidence[0].dynamic is True


def test_the_control_bucket_with_those_attributes_is_reported_by_every_bucket_rule() -> None:
    # Shows that the attributes given to the dynamic bucket above would be reported were it a bucket.
    bucket = Node("arn:aws:s3:::x", "s3.bucket", "x", Stage.STORAGE, ACCOUNT, REGION, True,
                  _every_s3_rule_would_report())
    batches = facts(job(), bucket, flow(JOB, "arn:aws:s3:::x"))
    assert {rule_id for rule_id, _ in judged(batches, [r.id for r in all_rules() if r.id.startswith("s3.")])} == {
        LIFECYCLE, VERSIONING, TLS, NO_ENCRYPTION, WEAKER, PUBLIC}


# --- A check that fails on one node -------------------------------------------------------------------


def _fragile(graph: Graph, bucket: Node) -> Iterator[Hit]:
    yield Hit(bucket.id, f"{bucket.name} judged")
    if bucket.name == "odd":
        raise KeyError("lifecycle_rules")


FRAGILE = Rule("test.fragile", "Fails on one bucket", Category.LIFECYCLE, Severity.LOW, "none", _fragile,
               frozenset({"s3.bucket"}))


def test_a_check_that_raises_on_one_node_is_that_nodes_gap_and_the_others_are_judged() -> None:
    graph = build_graph(facts(s3_bucket("first"), s3_bucket("odd"), s3_bucket("last", public_access=block(
        "BlockPublicAcls"))))
    public = next(r for r in all_rules() if r.id == PUBLIC)
    evaluation = evaluate(graph, rules=[FRAGILE, public])
    assert {(f.rule, f.node) for f in evaluation.findings} == {
        ("test.fragile", "arn:aws:s3:::first"), ("test.fragile", "arn:aws:s3:::last"), (PUBLIC, "arn:aws:s3:::last")}
    # The hit yielded before the failure is not kept: a failed check leaves none of its hits on that node.
    assert evaluation.gaps == [CoverageGap("lineage", "test.fragile", "arn:aws:s3:::odd",
                                           "KeyError: 'lifecycle_rules'", REGION)]
