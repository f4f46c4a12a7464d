"""How a place where data rests is protected, answered from its configuration: encryption at rest (type
and key), TLS-only access, retention, public access — each answer with the configuration that proves it.

The rules about personal data and the evidence bundle ask these same questions, so what a finding says
and what the bundle shows never disagree. An answer the configuration cannot give (a bucket whose
encryption could not be read, a kind no collector reads) is unknown, never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lineage import arn as arns
from lineage.graph import Graph, read_by_reference
from lineage.model import Evidence, Node, Stage

ENCRYPTION, TLS_ONLY, RETENTION, PUBLIC_ACCESS = "encryption at rest", "TLS only", "retention", "public access"
QUESTIONS = (ENCRYPTION, TLS_ONLY, RETENTION, PUBLIC_ACCESS)
_AWS_MANAGED_S3_KEY = ("alias/aws/s3", "aws/s3")
_BLOCK_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    value: str  # what the configuration says, in words: "SSE-KMS, customer managed key …", "none"
    ok: bool | None  # None: unknown (not read, or not a place any collector reads)
    evidence: tuple[Evidence, ...] = ()
    customer_key: bool | None = None  # for encryption: a key of the customer's own, not AWS's


def _excerpt(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)[:300]


def _unknown(question: str, why: str) -> Answer:
    return Answer(question, f"unknown: {why}", None)


def applies_to_every_object(candidate: dict[str, Any], prefix: str) -> bool:
    """Whether an enabled lifecycle rule applies to every object under `prefix`, whatever it does to them.

    A rule filtered by tags or object size applies only to some objects, and the tags of objects
    are not configuration: such a rule cannot be shown to cover the location, so it does not count.
    """
    if not candidate.get("enabled") or candidate.get("tags") or candidate.get("size"):
        return False
    # Object keys under `prefix` begin `prefix/`; the bucket's own keys begin with anything, so only a
    # rule without a prefix covers the whole bucket (a rule for `/` covers only keys that begin `/`).
    keys_begin = f"{prefix}/" if prefix else ""
    return not candidate.get("prefix") or keys_begin.startswith(candidate.get("prefix", ""))


def covering_rules(rules: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """Enabled lifecycle rules that expire every current object under `prefix` (`applies_to_every_object`)."""
    return [candidate for candidate in rules if applies_to_every_object(candidate, prefix)
            and (candidate.get("expiration_days") is not None or candidate.get("expiration_date") is not None)]


def s3_encryption(bucket: Node) -> Answer:
    if "encryption" not in bucket.attributes:
        return _unknown(ENCRYPTION, "the bucket's default encryption could not be read")
    encryption = bucket.attributes.get("encryption") or {}
    evidence = (Evidence("s3:GetBucketEncryption", bucket.id, "ServerSideEncryptionConfiguration",
                         _excerpt(encryption)),)
    algorithm = str(encryption.get("algorithm") or "")
    key = str(encryption.get("kms_key") or "")
    if not algorithm:
        return Answer(ENCRYPTION, "none configured", False, evidence, False)
    if algorithm.startswith("aws:kms"):
        kind = "DSSE-KMS" if algorithm == "aws:kms:dsse" else "SSE-KMS"
        if not key or key.endswith(_AWS_MANAGED_S3_KEY):
            return Answer(ENCRYPTION, f"{kind}, AWS managed key (aws/s3)", True, evidence, False)
        return Answer(ENCRYPTION, f"{kind}, customer managed key {key}", True, evidence, True)
    return Answer(ENCRYPTION, f"SSE-S3 ({algorithm}), keys owned by AWS", True, evidence, False)


def s3_tls_only(bucket: Node) -> Answer:
    policy = bucket.attributes.get("policy")
    if not isinstance(policy, Mapping):
        return _unknown(TLS_ONLY, "the bucket policy could not be read")
    evidence = (Evidence("s3:GetBucketPolicy", bucket.id, "Statement",
                         "; ".join(policy.get("statements") or []) or ("no policy" if not policy.get("present")
                                                                       else "no Deny on aws:SecureTransport")),)
    if policy.get("unreadable"):
        return Answer(TLS_ONLY, "unknown: the policy document could not be parsed", None, evidence)
    if policy.get("tls_only"):
        return Answer(TLS_ONLY, "yes: requests without TLS are denied", True, evidence)
    return Answer(TLS_ONLY, "no bucket policy" if not policy.get("present") else "no: the policy allows plain HTTP",
                  False, evidence)


def s3_retention(bucket: Node, prefix: str) -> Answer:
    if "lifecycle_rules" not in bucket.attributes:
        return _unknown(RETENTION, "the bucket's lifecycle could not be read")
    rules = bucket.attributes.get("lifecycle_rules") or []
    covering = covering_rules(rules, prefix)
    where = f"s3://{bucket.name}/{prefix}" if prefix else f"s3://{bucket.name}"
    if not covering:
        evidence = (Evidence("s3:GetBucketLifecycleConfiguration", bucket.id, "Rules",
                             f"{len(rules)} rule(s), none expiring every object under {where}"),)
        return Answer(RETENTION, "none: kept until deleted", False, evidence)
    shortest = min(covering, key=lambda r: (r.get("expiration_days") is None, r.get("expiration_days") or 0))
    evidence = tuple(Evidence("s3:GetBucketLifecycleConfiguration", bucket.id, f"Rules[ID={r.get('id', '')}]",
                              _excerpt({k: r.get(k) for k in ("id", "prefix", "expiration_days", "expiration_date",
                                                               "noncurrent_expiration_days")}))
                     for r in covering)
    value = (f"{shortest['expiration_days']} days" if shortest.get("expiration_days") is not None
             else f"until {shortest.get('expiration_date')}")
    value = f"{value} (rule {shortest.get('id') or '(unnamed)'})"
    versioning = bucket.attributes.get("versioning")
    if versioning in ("Enabled", "Suspended") and not _noncurrent_expired(rules, prefix):
        # Expiring a current object of a versioned bucket keeps it as an old version, for ever.
        evidence += (Evidence("s3:GetBucketVersioning", bucket.id, "Status", str(versioning)),)
        return Answer(RETENTION, f"{value}, but old versions are kept until deleted (versioning {versioning})",
                      False, evidence)
    return Answer(RETENTION, value, True, evidence)


def _noncurrent_expired(rules: list[dict[str, Any]], prefix: str) -> bool:
    """Whether an enabled rule covering `prefix` (no tag or size filter) expires noncurrent versions."""
    keys_begin = f"{prefix}/" if prefix else ""
    return any(r.get("enabled") and not r.get("tags") and not r.get("size")
               and r.get("noncurrent_expiration_days") is not None
               and (not r.get("prefix") or keys_begin.startswith(r.get("prefix", ""))) for r in rules)


def s3_public_access(bucket: Node) -> Answer:
    if "public_access_block" not in bucket.attributes:
        return _unknown(PUBLIC_ACCESS, "the public access block could not be read")
    block = bucket.attributes.get("public_access_block") or {}
    evidence = (Evidence("s3:GetPublicAccessBlock", bucket.id, "PublicAccessBlockConfiguration",
                         _excerpt(block) if block else "not configured"),)
    off = [setting for setting in _BLOCK_SETTINGS if not block.get(setting)]
    if not off:
        return Answer(PUBLIC_ACCESS, "blocked (all four settings on)", True, evidence)
    # The account's own block (S3 Control) may cover what the bucket's leaves open; it is not read, so the
    # answer says what the bucket's configuration allows, and that the account's was not seen.
    return Answer(PUBLIC_ACCESS, "not blocked by the bucket: " + ", ".join(off) + " off (the account-level block "
                  "is not read)", False, evidence)


# Storage of what describes data, not of the data: a catalog database holds tables' schemas.
_DESCRIBES_DATA = frozenset({"glue.database", "glue.catalog"})


def dynamodb_encryption(table: Node) -> Answer:
    encryption = table.attributes.get("encryption") or {}
    evidence = (Evidence("dynamodb:DescribeTable", table.id, "Table.SSEDescription", _excerpt(encryption)),)
    if encryption.get("type") != "kms":
        return Answer(ENCRYPTION, "keys owned by AWS (the table's default)", True, evidence, False)
    key = str(encryption.get("kms_key") or "")
    # DescribeTable names the key but not whose it is: the account's AWS managed key looks like any other.
    return Answer(ENCRYPTION, f"KMS key {key} (AWS managed or the customer's: DescribeTable does not say)", True,
                  evidence, None)


def dynamodb_retention(table: Node) -> Answer:
    ttl = table.attributes.get("ttl")
    if not isinstance(ttl, Mapping):
        return _unknown(RETENTION, "the table's time to live could not be read")
    evidence = (Evidence("dynamodb:DescribeTimeToLive", table.id, "TimeToLiveDescription", _excerpt(ttl)),)
    if ttl.get("status") in ("ENABLED", "ENABLING"):
        return Answer(RETENTION, f"items expire at the time in attribute {ttl.get('attribute')!r} (TTL)", True,
                      evidence)
    return Answer(RETENTION, "no time to live: items are kept until deleted", False, evidence)


def _whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _key_answer(place: Node, operation: str, path: str, unencrypted: str) -> Answer:
    """Encryption of a place whose collector says `{type: kms | none, kms_key, customer_key}`: queues, topics,
    streams."""
    encryption = place.attributes.get("encryption") or {}
    evidence = (Evidence(operation, place.id, path, _excerpt(encryption)),)
    if encryption.get("type") == "kms":
        whose = "customer managed key" if encryption.get("customer_key") else "AWS managed key"
        return Answer(ENCRYPTION, f"SSE-KMS, {whose} {encryption.get('kms_key')}", True, evidence,
                      bool(encryption.get("customer_key")))
    return Answer(ENCRYPTION, unencrypted, False, evidence, False)


def sqs_encryption(queue: Node) -> Answer:
    if (queue.attributes.get("encryption") or {}).get("type") == "sse-sqs":
        evidence = (Evidence("sqs:GetQueueAttributes", queue.id, "Attributes.SqsManagedSseEnabled", "true"),)
        return Answer(ENCRYPTION, "SSE-SQS, keys owned by AWS", True, evidence, False)
    return _key_answer(queue, "sqs:GetQueueAttributes", "Attributes.KmsMasterKeyId, SqsManagedSseEnabled",
                       "none: messages wait unencrypted")


def sqs_retention(queue: Node) -> Answer:
    seconds = queue.attributes.get("retention_seconds")
    if not isinstance(seconds, int):
        return _unknown(RETENTION, "the queue's message retention could not be read")
    evidence = (Evidence("sqs:GetQueueAttributes", queue.id, "Attributes.MessageRetentionPeriod", str(seconds)),)
    return Answer(RETENTION, f"messages kept {seconds // 86400} days {seconds % 86400 // 3600} hours at most", True,
                  evidence)


def kinesis_encryption(stream: Node) -> Answer:
    return _key_answer(stream, "kinesis:DescribeStreamSummary", "StreamDescriptionSummary.EncryptionType, KeyId",
                       "none: records rest unencrypted")


def kinesis_retention(stream: Node) -> Answer:
    hours = stream.attributes.get("retention_hours")
    if not _whole_number(hours):
        return _unknown(RETENTION, "the stream's retention period could not be read")
    evidence = (Evidence("kinesis:DescribeStreamSummary", stream.id, "StreamDescriptionSummary.RetentionPeriodHours",
                         str(hours)),)
    days = f" ({hours // 24} days)" if hours > 24 and hours % 24 == 0 else ""
    return Answer(RETENTION, f"records kept {hours} hours{days} at most", True, evidence)


def logs_encryption(group: Node) -> Answer:
    # CloudWatch Logs encrypts every group at rest; only an associated KMS key makes the key the customer's.
    key = str(group.attributes.get("kms_key") or "")
    evidence = (Evidence("logs:DescribeLogGroups", group.id, "logGroups[].kmsKeyId", key or "not set"),)
    if key:
        return Answer(ENCRYPTION, f"KMS, customer managed key {key}", True, evidence, True)
    return Answer(ENCRYPTION, "keys owned by AWS (CloudWatch Logs encrypts every log group)", True, evidence, False)


def logs_retention(group: Node) -> Answer:
    if "retention_days" not in group.attributes:
        return _unknown(RETENTION, "the log group's retention could not be read")
    days = group.attributes.get("retention_days")
    if not _whole_number(days):
        evidence = (Evidence("logs:DescribeLogGroups", group.id, "logGroups[].retentionInDays",
                             "not set: never expire"),)
        return Answer(RETENTION, "never expires: events are kept until the group is deleted", False, evidence)
    evidence = (Evidence("logs:DescribeLogGroups", group.id, "logGroups[].retentionInDays", str(days)),)
    return Answer(RETENTION, f"events kept {days} days", True, evidence)


def sns_encryption(topic: Node) -> Answer:
    return _key_answer(topic, "sns:GetTopicAttributes", "Attributes.KmsMasterKeyId",
                       "none: messages wait for delivery unencrypted")


def sns_retention(topic: Node) -> Answer:
    days = topic.attributes.get("archive_days")
    if _whole_number(days):
        evidence = (Evidence("sns:GetTopicAttributes", topic.id, "Attributes.ArchivePolicy.MessageRetentionPeriod",
                             str(days)),)
        return Answer(RETENTION, f"messages archived {days} days (FIFO archive policy), then dropped", True, evidence)
    evidence = (Evidence("sns:GetTopicAttributes", topic.id, "Attributes.FifoTopic, ArchivePolicy",
                         f"fifo: {bool(topic.attributes.get('fifo'))}, no archive policy"),)
    return Answer(RETENTION, "messages are not kept: delivered, then dropped", True, evidence)


# A delivery stream reading a Kinesis stream or an MSK topic keeps nothing at rest: the records stay in the source.
_FIREHOSE_READS_A_STREAM = ("KinesisStreamAsSource", "MSKAsSource")


def firehose_encryption(stream: Node) -> Answer:
    encryption = stream.attributes.get("encryption")
    encryption = encryption if isinstance(encryption, Mapping) else {}
    evidence = (Evidence("firehose:DescribeDeliveryStream", stream.id,
                         "DeliveryStreamDescription.DeliveryStreamEncryptionConfiguration", _excerpt(encryption)),)
    source_type = stream.attributes.get("source_type")
    if source_type in _FIREHOSE_READS_A_STREAM:
        return Answer(ENCRYPTION, f"set by the source ({source_type}): Firehose keeps no copy at rest, the records "
                      f"stay in {stream.attributes.get('source', 'the source')} under its own encryption", None,
                      evidence, None)
    if encryption.get("type") == "kms":
        if encryption.get("customer_key"):
            return Answer(ENCRYPTION, f"SSE-KMS, customer managed key {encryption.get('kms_key')}", True, evidence,
                          True)
        return Answer(ENCRYPTION, "SSE with a key owned by AWS (AWS_OWNED_CMK)", True, evidence, False)
    return Answer(ENCRYPTION, "none: records wait for delivery unencrypted", False, evidence, False)


def firehose_retention(stream: Node) -> Answer:
    buffering = stream.attributes.get("buffering") or {}
    evidence = (Evidence("firehose:DescribeDeliveryStream", stream.id, "Destinations[].BufferingHints",
                         _excerpt(buffering) if buffering else "no buffering hints"),)
    return Answer(RETENTION, "records are buffered until delivered (minutes) and retried for at most 24 hours, "
                  "never kept", True, evidence)


# Places whose own configuration answers for them (S3 paths answer by their bucket's): encryption and
# retention are read; access (a resource policy) is not yet, and is said to be unknown.
_OWN_ANSWERS = {"dynamodb.table": (dynamodb_encryption, dynamodb_retention),
                "firehose.delivery_stream": (firehose_encryption, firehose_retention),
                "sqs.queue": (sqs_encryption, sqs_retention),
                "sns.topic": (sns_encryption, sns_retention),
                "logs.log_group": (logs_encryption, logs_retention),
                "kinesis.stream": (kinesis_encryption, kinesis_retention)}
ANSWERING_FOR_THEMSELVES = frozenset(_OWN_ANSWERS)  # the kinds above, for the rules that judge where data rests


def _own_protection(node: Node) -> dict[str, Answer]:
    encryption, retention = _OWN_ANSWERS[node.kind]
    not_read = f"not read for {node.kind} (its resource policy is not read yet)"
    return {ENCRYPTION: encryption(node), TLS_ONLY: _unknown(TLS_ONLY, not_read), RETENTION: retention(node),
            PUBLIC_ACCESS: _unknown(PUBLIC_ACCESS, not_read)}


def rests_here(node: Node) -> bool:
    """Whether data rests at this node (storage), as opposed to passing through or being used there."""
    if node.kind in _DESCRIBES_DATA:
        return False
    return node.stage == Stage.STORAGE or node.kind in ("s3.bucket", "s3.location", "glue.table")


def _s3_place(graph: Graph, node: Node) -> tuple[Node, str] | None:
    """The bucket and prefix whose configuration governs where this node's data rests."""
    ids = [node.id] if arns.s3_parts(node.id) else sorted(i for i in graph.equivalents(node.id) if arns.s3_parts(i))
    for node_id in ids:
        bucket = graph.bucket_of(node_id)
        if bucket is not None and bucket.observed:
            return bucket, arns.split_s3_id(node_id)[1]
    return None


def protection(graph: Graph, node: Node) -> dict[str, Answer]:
    """The four answers for a place where data rests; unknown where no collector reads such a place. Asked
    by several rules and the evidence of the same place: answered once per graph."""
    answered = graph.memo.setdefault("protection", {})
    if node.id not in answered:
        answered[node.id] = _protection(graph, node)
    return answered[node.id]


def _protection(graph: Graph, node: Node) -> dict[str, Answer]:
    if arns.is_dynamic(node.id) or node.attributes.get("dynamic"):
        return {q: _unknown(q, "a place chosen at run time") for q in QUESTIONS}
    if node.kind in _OWN_ANSWERS and node.observed and "encryption" in node.attributes:
        answers = _own_protection(node)
        return {**answers, ENCRYPTION: _with_key(graph, node, answers[ENCRYPTION])}
    place = _s3_place(graph, node)
    if place is None:
        why = "not read: outside the scanned estate" if not node.observed else f"not read for {node.kind}"
        return {q: _unknown(q, why) for q in QUESTIONS}
    bucket, prefix = place
    return {ENCRYPTION: _with_key(graph, bucket, s3_encryption(bucket)), TLS_ONLY: s3_tls_only(bucket),
            RETENTION: s3_retention(bucket, prefix), PUBLIC_ACCESS: s3_public_access(bucket)}


# --- the KMS key a place names, as KMS describes it ---------------------------------------------------


def key_reference(place: Node) -> str | None:
    """The KMS key a place's configuration names (its encryption's, or its own `kms_key`), as an ARN."""
    encryption = place.attributes.get("encryption")
    named = (encryption.get("kms_key") if isinstance(encryption, Mapping) else None) or place.attributes.get("kms_key")
    return arns.kms_key_reference(named, place.region, place.account) if isinstance(named, str) else None


def key_of(graph: Graph, place: Node) -> Node | None:
    reference = key_reference(place)
    return read_by_reference(graph, "kms.key").get(reference) if reference else None


def places_under(graph: Graph, key: Node) -> list[Node]:
    """The places whose configuration names this key, by id."""
    index = graph.memo.get("kms.places")
    if index is None:
        index = {}
        for place in graph.nodes.values():
            found = key_of(graph, place) if place.kind != "kms.key" else None
            if found is not None:
                index.setdefault(found.id, []).append(place)
        graph.memo["kms.places"] = index
    return sorted(index.get(key.id, []), key=lambda place: place.id)


def _with_key(graph: Graph, place: Node, answer: Answer) -> Answer:
    """The encryption answer, with whose key it is and whether it rotates where KMS told us."""
    key = key_of(graph, place) if answer.ok else None
    if key is None:
        return answer
    customer = bool(key.attributes.get("customer_key"))
    rotation = key.attributes.get("rotation") or {}
    rotates = ("rotation on" if rotation.get("enabled") else "rotation off") if rotation.get("applies") else ""
    said = ("the customer's key" if customer else "an AWS managed key") + (f", {rotates}" if rotates else "")
    evidence = Evidence("kms:DescribeKey", key.id, "KeyMetadata.KeyManager, GetKeyRotationStatus.KeyRotationEnabled",
                        _excerpt({"manager": key.attributes.get("manager"), "rotation": rotation}))
    return Answer(answer.question, f"{answer.value} — KMS: {said}", answer.ok, answer.evidence + (evidence,), customer)
