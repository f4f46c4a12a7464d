"""Any lifecycle configuration and any bucket policy S3 can answer with (and policies it should not) is read
without raising, and judged as S3 itself would apply it: a location on a flow is reported for having no
lifecycle exactly when no rule expires every object under it, and a bucket for lacking a TLS-only policy
exactly when its policy does not deny every insecure request."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from collectors.context import absent
from collectors.s3 import transform_bucket
from lineage.arn import s3_location_id
from lineage.model import CoverageGap, Edge, EdgeKind, Evidence, Facts, Node, Stage
from lineage.scan import analyse
from tests.property.strategies import examples, names

ACCOUNT = "123456789012"
JOB = "arn:aws:glue:eu-west-1:123456789012:job/etl"
_METADATA = {"ResponseMetadata": {"HTTPStatusCode": 200, "RetryAttempts": 0}}

# --- lifecycle configurations -------------------------------------------------------------------

RULE_PREFIXES = ("", "raw", "raw/", "raw/events", "raw/events/", "rawdata", "rawdata/", "curated/", "/", "/raw",
                 "raw//", "é/", "events/2024/", "a", "r")
LOCATION_PREFIXES = ("", "raw", "raw/events", "raw/events/2024", "rawdata", "curated", "curated/x", "a", "é",
                     "events", "/raw")
SIZES = ("ObjectSizeGreaterThan", "ObjectSizeLessThan")

tags = st.fixed_dictionaries({"Key": st.sampled_from(("retention", "team", "lineage:pii")),
                              "Value": st.sampled_from(("short", "x", "true"))})
rule_prefixes = st.sampled_from(RULE_PREFIXES)
sizes = st.integers(0, 10**12)


@st.composite
def filters(draw: st.DrawFn) -> dict[str, Any]:
    """The part of a rule that says which objects it applies to, in every form S3 answers with."""
    form = draw(st.sampled_from(("legacy", "prefix", "tag", "and", "size", "empty", "none")))
    if form == "legacy":  # the pre-2019 form, `Prefix` beside the rule
        return {"Prefix": draw(rule_prefixes)}
    if form == "prefix":
        return {"Filter": {"Prefix": draw(rule_prefixes)}}
    if form == "tag":
        return {"Filter": {"Tag": draw(tags)}}
    if form == "size":
        return {"Filter": {draw(st.sampled_from(SIZES)): draw(sizes)}}
    if form == "empty":  # a filter that says nothing: every object
        return {"Filter": {}}
    if form == "none":
        return {}
    conjunction: dict[str, Any] = {}
    if draw(st.booleans()):
        conjunction["Prefix"] = draw(rule_prefixes)
    if draw(st.booleans()):
        conjunction["Tags"] = draw(st.lists(tags, min_size=1, max_size=2))
    for size in SIZES:
        if draw(st.booleans()):
            conjunction[size] = draw(sizes)
    return {"Filter": {"And": conjunction}}


expirations = st.one_of(
    st.fixed_dictionaries({"Days": st.integers(1, 3650)}),
    st.fixed_dictionaries({"Date": st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2040, 1, 1),
                                                timezones=st.just(dt.UTC))}),
    st.fixed_dictionaries({"ExpiredObjectDeleteMarker": st.booleans()}),
)
transitions = st.lists(st.fixed_dictionaries({"Days": st.integers(0, 3650), "StorageClass": st.sampled_from(
    ("GLACIER", "STANDARD_IA", "DEEP_ARCHIVE", "INTELLIGENT_TIERING"))}), min_size=1, max_size=2)


@st.composite
def lifecycle_rules(draw: st.DrawFn) -> dict[str, Any]:
    rule: dict[str, Any] = {"Status": draw(st.sampled_from(("Enabled", "Enabled", "Disabled")))}
    if draw(st.booleans()):
        rule["ID"] = draw(names)
    rule.update(draw(filters()))
    if draw(st.integers(0, 3)):
        rule["Expiration"] = draw(expirations)
    if draw(st.booleans()):
        rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": draw(st.integers(1, 365))}
    if draw(st.booleans()):
        rule["Transitions"] = draw(transitions)
    if draw(st.booleans()):
        rule["NoncurrentVersionTransitions"] = [{"NoncurrentDays": 30, "StorageClass": "GLACIER"}]
    if draw(st.booleans()):
        rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": draw(st.integers(1, 30))}
    return rule


def expires_everything_under(rule: dict[str, Any], location: str) -> bool:
    """Whether S3 would expire every current object under `location` (a prefix without slashes at its ends;
    empty for the whole bucket) by this rule. Written from S3's documentation, not from the collector."""
    if rule.get("Status") != "Enabled":
        return False
    expiration = rule.get("Expiration", {})
    if "Days" not in expiration and "Date" not in expiration:
        return False  # a delete-marker clean-up or transitions only: the data itself stays
    scope = rule.get("Filter", {})
    conjunction = scope.get("And", {})
    if "Tag" in scope or conjunction.get("Tags") or any(k in scope or k in conjunction for k in SIZES):
        return False  # only objects with some tag or size: which objects those are is not configuration
    if "Prefix" in scope:
        prefix = scope["Prefix"]
    elif "Prefix" in conjunction:
        prefix = conjunction["Prefix"]
    else:
        prefix = rule.get("Prefix", "")
    # S3 prefixes are plain string prefixes of keys; the keys under a location all begin with `location/`.
    keys_begin_with = f"{location}/" if location else ""
    return keys_begin_with.startswith(prefix)


def bucket_record(name: str, region: str, **responses: Any) -> dict[str, Any]:
    """A bucket as `get_buckets` records it: every configuration read, unless left out of `responses`."""
    defaults: dict[str, Any] = {
        "get_bucket_lifecycle_configuration": absent("NoSuchLifecycleConfiguration"),
        "get_bucket_encryption": {"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"},
             "BucketKeyEnabled": True}]}, **_METADATA},
        "get_public_access_block": {"PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True}, **_METADATA},
        "get_bucket_policy": absent("NoSuchBucketPolicy"),
        "get_bucket_versioning": dict(_METADATA),
        "get_bucket_tagging": absent("NoSuchTagSet"),
        "get_bucket_notification_configuration": dict(_METADATA),
    }
    record = {"Name": name, "CreationDate": "2024-01-01 00:00:00+00:00", "Region": region}
    record.update({key: value for key, value in {**defaults, **responses}.items() if value is not None})
    return record


# How the lifecycle was read: rules, none configured (an answer, not a gap), or not read at all.
lifecycle_answers = st.one_of(
    st.lists(lifecycle_rules(), max_size=4).map(lambda rules: {"Rules": rules, **_METADATA}),
    st.lists(lifecycle_rules(), max_size=4).map(lambda rules: {"Rules": rules, **_METADATA}),
    st.just(absent("NoSuchLifecycleConfiguration")),
    st.just(None),
)


def _flows(bucket: str, locations: list[str]) -> Facts:
    """A job that writes to each location (the bucket itself for an empty prefix)."""
    job = Node(JOB, "glue.job", "etl", Stage.PROCESSING, ACCOUNT, "eu-west-1", True,
               {"security_configuration": "sc"})
    edges = tuple(Edge(JOB, s3_location_id(bucket, location), EdgeKind.WRITES,
                       (Evidence("glue:GetJobs", JOB, "DefaultArguments.--output", f"s3://{bucket}/{location}"),))
                  for location in locations)
    return Facts((job,), edges)


def _unexpected(gaps: list[CoverageGap]) -> list[CoverageGap]:
    """Gaps of a step that failed on a fact; text made plain at intake (a NUL in a rule's id) is no failure."""
    return [gap for gap in gaps if gap.service == "lineage" and gap.operation != "intake"]


def _reported(facts: list[Facts], rule: str) -> set[str]:
    analysis = analyse(facts)
    assert not _unexpected(analysis.gaps)
    return {finding.node for finding in analysis.findings if finding.rule == rule}


def _expected_without_lifecycle(lifecycle: dict[str, Any] | None, bucket: str, locations: list[str]) -> set[str]:
    if lifecycle is None:
        return set()  # the lifecycle could not be read: nothing can be said of it
    rules = lifecycle.get("Rules", [])
    return {s3_location_id(bucket, location) for location in locations
            if not any(expires_everything_under(rule, location.strip("/")) for rule in rules)}


def _reported_without_lifecycle(lifecycle: dict[str, Any] | None, bucket: str, locations: list[str]) -> set[str]:
    node = transform_bucket(bucket_record(bucket, "eu-west-1", get_bucket_lifecycle_configuration=lifecycle),
                            ACCOUNT)
    return _reported([Facts((node,)), _flows(bucket, locations)], "s3.location_without_lifecycle")


bucket_names = st.sampled_from(("raw-bucket", "b", "data.lake"))


@settings(max_examples=examples(200))
@given(lifecycle_answers, st.lists(st.sampled_from(LOCATION_PREFIXES[1:]), min_size=1, max_size=4, unique=True),
       bucket_names)
@example({"Rules": [{"Status": "Enabled", "Filter": {"Prefix": "raw"}, "Expiration": {"Days": 30}}]},
         ["raw", "rawdata", "raw/events"], "raw-bucket")
@example({"Rules": [{"Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 0}, "Expiration": {"Days": 1}}]},
         ["raw"], "b")
@example({"Rules": [{"Status": "Enabled", "Filter": {"And": {"Prefix": "curated/"}}, "Expiration": {"Days": 1}}]},
         ["raw", "curated"], "b")
def test_a_path_in_a_bucket_is_reported_exactly_when_no_enabled_rule_expires_all_of_it(
        lifecycle: dict[str, Any] | None, locations: list[str], bucket: str) -> None:
    assert _reported_without_lifecycle(lifecycle, bucket, locations) == _expected_without_lifecycle(
        lifecycle, bucket, locations)


@settings(max_examples=examples(100))
@given(lifecycle_answers, bucket_names)
@example({"Rules": [{"Status": "Enabled", "Filter": {"Prefix": "/"}, "Expiration": {"Days": 30}}]}, "b")
def test_a_whole_bucket_on_a_flow_is_reported_exactly_when_no_enabled_rule_expires_all_of_it(
        lifecycle: dict[str, Any] | None, bucket: str) -> None:
    assert _reported_without_lifecycle(lifecycle, bucket, [""]) == _expected_without_lifecycle(lifecycle, bucket, [""])


# --- bucket policies ----------------------------------------------------------------------------

_SECURE_TRANSPORT = ("aws:SecureTransport", "aws:securetransport", "AWS:SecureTransport")
_FALSE = ("false", "False", False, ["false"], ["true", "false"])
_TRUE = ("true", True, ["true"])
_ALL_ACTIONS = ("s3:*", "S3:*", "*", ["s3:GetObject", "s3:*"])
_SOME_ACTIONS = ("s3:GetObject", "s3:Get*", ["s3:PutObject", "s3:GetObject"], "s3:PutObject")
_EVERYONE = ("*", {"AWS": "*"}, {"AWS": ["*", "arn:aws:iam::123456789012:root"]})
_SOMEONE = ({"AWS": "arn:aws:iam::123456789012:root"}, {"Service": "logging.s3.amazonaws.com"})


@st.composite
def statements(draw: st.DrawFn) -> Any:
    """A statement: the TLS-only deny in its spellings and near misses, a KMS requirement, an allow, odd ones."""
    shape = draw(st.sampled_from(("transport", "transport", "kms", "allow", "odd")))
    if shape == "odd":
        return draw(st.one_of(st.none(), st.integers(), names, st.lists(names, max_size=2),
                              st.fixed_dictionaries({"Effect": st.just("Deny")}, optional={
                                  "Principal": st.none(), "Action": st.integers(), "Condition": names})))
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(("Deny", "Deny", "Allow"))),
        "Principal": draw(st.sampled_from(_EVERYONE + _SOMEONE)),
        "Action": draw(st.sampled_from(_ALL_ACTIONS + _SOME_ACTIONS)),
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    }
    if draw(st.booleans()):
        statement["Sid"] = draw(st.one_of(names, st.integers()))
    if shape == "transport":
        operator = draw(st.sampled_from(("Bool", "BoolIfExists", "StringEquals")))
        statement["Condition"] = {operator: {draw(st.sampled_from(_SECURE_TRANSPORT)): draw(
            st.sampled_from(_FALSE + _TRUE))}}
    elif shape == "kms":
        statement["Condition"] = {draw(st.sampled_from(("StringNotEquals", "StringNotEqualsIfExists"))): {
            "s3:x-amz-server-side-encryption": draw(st.sampled_from(("aws:kms", ["aws:kms", "aws:kms:dsse"],
                                                                      "AES256")))}}
    elif draw(st.booleans()):
        statement["Condition"] = draw(st.sampled_from(({"Bool": "false"}, ["Bool"], "odd", None)))
    return statement


@st.composite
def policy_documents(draw: st.DrawFn) -> str:
    """The `Policy` text of `GetBucketPolicy`: a policy, or text that is not one."""
    shape = draw(st.sampled_from(("list", "list", "list", "object", "no statement", "text")))
    if shape == "text":
        return draw(st.sampled_from(("null", "[]", '"text"', "42", "", "{", "not json", '{"Statement": null}')))
    policy: dict[str, Any] = {"Version": "2012-10-17"}
    if shape == "list":
        policy["Statement"] = draw(st.lists(statements(), max_size=4))
    elif shape == "object":
        policy["Statement"] = draw(statements())
    return json.dumps(policy)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def denies_every_insecure_request(document: str) -> bool:
    """Whether the policy denies everyone every S3 action when `aws:SecureTransport` is false. Written from
    IAM's documentation: condition keys and action names ignore case, Bool compares `true`/`false` as text
    (a JSON boolean included), several values of one key are alternatives, and `aws:SecureTransport` is
    always present, so BoolIfExists denies what Bool does."""
    try:
        policy = json.loads(document)
    except ValueError:
        return False
    if not isinstance(policy, dict):
        return False
    for statement in _as_list(policy.get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS")))
        actions = {a.lower() for a in _as_list(statement.get("Action")) if isinstance(a, str)}
        condition = statement.get("Condition")
        values: list[Any] = []
        if isinstance(condition, dict):
            for operator in ("Bool", "BoolIfExists"):
                block = condition.get(operator)
                if isinstance(block, dict):
                    values += [v for key, value in block.items() if key.lower() == "aws:securetransport"
                               for v in _as_list(value)]
        insecure_denied = any(str(v).lower() == "false" for v in values)
        if everyone and actions & {"s3:*", "*"} and insecure_denied:
            return True
    return False


@settings(max_examples=examples(200))
@given(st.one_of(policy_documents(), st.none()))
@example(json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                    "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}]}))
@example(json.dumps({"Statement": {"Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": ["S3:*"],
                                   "Condition": {"Bool": {"AWS:SecureTransport": False}}}}))
@example("null")
def test_a_bucket_is_reported_without_tls_only_policy_exactly_when_its_policy_allows_plain_http(
        document: str | None) -> None:
    answer = absent("NoSuchBucketPolicy") if document is None else {"Policy": document, **_METADATA}
    node = transform_bucket(bucket_record("b", "eu-west-1", get_bucket_policy=answer), ACCOUNT)
    policy = node.attributes["policy"]
    readable = document is None or isinstance(_loads(document), dict)
    assert bool(policy.get("unreadable")) == (not readable)
    if readable:
        assert policy["tls_only"] == (document is not None and denies_every_insecure_request(document))
    reported = _reported([Facts((node,))], "s3.no_tls_only_policy")
    # A policy that cannot be read says nothing of what it denies: not reported as missing.
    assert reported == ({node.id} if readable and not policy["tls_only"] else set())


def _loads(document: str) -> Any:
    try:
        return json.loads(document)
    except ValueError:
        return None


# --- whole buckets ------------------------------------------------------------------------------

encryption_answers = st.one_of(
    st.just(absent("ServerSideEncryptionConfigurationNotFoundError")),
    st.builds(lambda algorithm, key, bucket_key: {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm, **({"KMSMasterKeyID": key} if key else {})},
         "BucketKeyEnabled": bucket_key}]}, **_METADATA},
        st.sampled_from(("AES256", "aws:kms", "aws:kms:dsse")), st.one_of(st.none(), names), st.booleans()),
    st.just({"ServerSideEncryptionConfiguration": {"Rules": []}, **_METADATA}),
    st.none(),
)
public_access_answers = st.one_of(
    st.just(absent("NoSuchPublicAccessBlockConfiguration")), st.none(),
    st.fixed_dictionaries({"PublicAccessBlockConfiguration": st.fixed_dictionaries({}, optional={
        key: st.booleans() for key in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                       "RestrictPublicBuckets")})}),
)
versioning_answers = st.one_of(st.none(), st.just(dict(_METADATA)), st.fixed_dictionaries(
    {"Status": st.sampled_from(("Enabled", "Suspended"))}, optional={"MFADelete": st.sampled_from(("Enabled",
                                                                                                   "Disabled"))}))
tagging_answers = st.one_of(st.none(), st.just(absent("NoSuchTagSet")), st.lists(st.fixed_dictionaries(
    {"Key": st.sampled_from(("lineage:pii", "lineage:stage", "team")), "Value": st.sampled_from(
        ("true", "yes", "usage", "storage", "x"))}), max_size=3).map(lambda tag_set: {"TagSet": tag_set}))
notification_answers = st.one_of(st.none(), st.just(dict(_METADATA)), st.just({"EventBridgeConfiguration": {}}))


@st.composite
def bucket_records(draw: st.DrawFn) -> dict[str, Any]:
    """Every configuration of a bucket, each read, absent or not readable, as `get_buckets` records them."""
    policy = draw(st.one_of(policy_documents(), st.none()))
    return bucket_record(
        draw(st.sampled_from(("raw-bucket", "b", "data.lake", "logs"))), draw(st.sampled_from(("eu-west-1",
                                                                                                "us-east-1", ""))),
        get_bucket_lifecycle_configuration=draw(lifecycle_answers),
        get_bucket_encryption=draw(encryption_answers),
        get_public_access_block=draw(public_access_answers),
        get_bucket_policy=draw(st.sampled_from((None, absent("NoSuchBucketPolicy")))) if policy is None
        else {"Policy": policy, **_METADATA},
        get_bucket_versioning=draw(versioning_answers),
        get_bucket_tagging=draw(tagging_answers),
        get_bucket_notification_configuration=draw(notification_answers),
    )


@settings(max_examples=examples(100))
@given(st.lists(bucket_records(), min_size=1, max_size=3),
       st.lists(st.sampled_from(LOCATION_PREFIXES), max_size=3, unique=True))
def test_any_bucket_s3_can_answer_with_is_read_and_judged_without_a_gap(records: list[dict[str, Any]],
                                                                        locations: list[str]) -> None:
    buckets = [transform_bucket(record, ACCOUNT) for record in records]
    facts = [Facts(tuple(buckets))] + [_flows(record["Name"], locations) for record in records]
    analysis = analyse(facts)
    assert not _unexpected(analysis.gaps)
    for bucket in buckets:
        assert analysis.graph.nodes[bucket.id].observed
        json.dumps(dict(bucket.attributes))  # plain data, as the model promises: nothing for the intake to fix
