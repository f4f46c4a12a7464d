"""S3 rules: lifecycle judged per location, versions, transport, encryption, public access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lineage import arn as arns
from lineage.graph import Graph
from lineage.model import Category, Evidence, Node, Severity
from lineage.protection import covering_rules
from lineage.rules import Hit, account_of, rule


def flow_evidence(graph: Graph, node_id: str) -> tuple[Evidence, ...]:
    evidence: list[Evidence] = []
    for edge in graph.flows_in(node_id) + graph.flows_out(node_id):
        evidence.extend(edge.evidence[:1])
    return tuple(evidence[:5])


def location_on_a_flow(graph: Graph, node: Node) -> tuple[Node, str] | None:
    """(its bucket, its prefix) for an S3 place a flow touches whose bucket's lifecycle was read: where the
    lifecycle of data is judged. None for a place off every flow, a bucket only its paths' flows touch, or a
    bucket not read."""
    if not graph.on_a_flow(node.id):
        return None
    if node.kind == "s3.bucket" and not (graph.flows_in(node.id) or graph.flows_out(node.id)):
        return None  # only paths inside it are on a flow; each is judged for itself
    bucket = graph.bucket_of(node.id)
    if bucket is None or not bucket.observed or "lifecycle_rules" not in bucket.attributes:
        return None
    return bucket, arns.split_s3_id(node.id)[1]


def location_without_lifecycle(graph: Graph, node: Node) -> Iterator[Hit]:
    located = location_on_a_flow(graph, node)
    if located is None:
        return
    bucket, prefix = located
    rules = bucket.attributes["lifecycle_rules"]
    if covering_rules(rules, prefix):
        return
    where = f"s3://{bucket.name}/{prefix}" if prefix else f"s3://{bucket.name}"
    if not rules:
        reason = "the bucket has no lifecycle configuration"
    else:
        reason = "none of the bucket's lifecycle rules covers it: " + ", ".join(_why_not(r) for r in rules)
    evidence = (Evidence("s3:GetBucketLifecycleConfiguration", bucket.id, "Rules",
                         f"{len(rules)} rule(s)"),) + flow_evidence(graph, node.id)
    yield Hit(node.id, f"{where} is on a data flow and no lifecycle rule expires it: {reason}.", evidence)


rule(
    location_without_lifecycle,
    id="s3.location_without_lifecycle",
    title="Data on a flow rests in S3 with no lifecycle expiring it",
    category=Category.LIFECYCLE,
    severity=Severity.MEDIUM,
    remediation=(
        "Add an enabled lifecycle rule whose filter covers this prefix (no tag or size filter) and "
        "expires current objects after the retention the data needs: "
        "aws s3api put-bucket-lifecycle-configuration --bucket BUCKET --lifecycle-configuration file://rules.json"
    ),
    kinds=("s3.location", "s3.bucket"),
    frameworks=("GDPR Art. 5(1)(e)", "ISO 27001 A.8.10"),
)


def _why_not(candidate: dict[str, Any]) -> str:
    reasons = [f"prefix {candidate.get('prefix', '')!r}"]
    reasons += ["tags"] if candidate.get("tags") else []
    reasons += ["object size"] if candidate.get("size") else []
    reasons += ["disabled"] if not candidate.get("enabled") else []
    if candidate.get("expiration_days") is None and candidate.get("expiration_date") is None:
        reasons.append("no expiration")
    return f"{candidate.get('id') or '(unnamed)'} ({', '.join(reasons)})"


def versioning_without_noncurrent_expiration(graph: Graph, bucket: Node) -> Iterator[Hit]:
    if bucket.attributes.get("versioning") not in ("Enabled", "Suspended"):
        return
    rules = bucket.attributes.get("lifecycle_rules")
    if rules is None:
        return
    if any(r.get("enabled") and r.get("noncurrent_expiration_days") is not None and not r.get("prefix")
           and not r.get("tags") and not r.get("size") for r in rules):
        return
    evidence = (Evidence("s3:GetBucketVersioning", bucket.id, "Status", bucket.attributes["versioning"]),)
    yield Hit(bucket.id, f"Bucket {bucket.name} is versioned ({bucket.attributes['versioning']}) and no "
              "whole-bucket lifecycle rule expires noncurrent versions.", evidence)


rule(
    versioning_without_noncurrent_expiration,
    id="s3.versioning_without_noncurrent_expiration",
    title="Versioned bucket keeps old versions forever",
    category=Category.LIFECYCLE,
    severity=Severity.MEDIUM,
    remediation=(
        "Add a lifecycle rule over the whole bucket with NoncurrentVersionExpiration "
        "(NoncurrentDays) so overwritten and deleted data does not rest indefinitely."
    ),
    kinds=("s3.bucket",),
    frameworks=("GDPR Art. 17",),
)


def no_tls_only_policy(graph: Graph, bucket: Node) -> Iterator[Hit]:
    policy = bucket.attributes.get("policy")
    if policy is None or policy.get("tls_only") or policy.get("unreadable"):
        return  # unread, or a document that could not be parsed: what it denies is unknown, not absent
    state = "has no bucket policy" if not policy.get("present") else "has a policy without a TLS-only deny"
    evidence = (Evidence("s3:GetBucketPolicy", bucket.id, "Statement",
                         "no policy" if not policy.get("present") else "no Deny on aws:SecureTransport=false"),)
    yield Hit(bucket.id, f"Bucket {bucket.name} {state}: data can be read and written over plain HTTP.", evidence)


rule(
    no_tls_only_policy,
    id="s3.no_tls_only_policy",
    title="Bucket policy does not deny requests without TLS",
    category=Category.EXPOSURE,
    severity=Severity.MEDIUM,
    remediation=(
        'Add to the bucket policy: {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": '
        '["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}'
    ),
    kinds=("s3.bucket",),
    frameworks=("CIS AWS 2.1.1", "PCI DSS 4.2.1"),
)


def no_default_encryption(graph: Graph, bucket: Node) -> Iterator[Hit]:
    encryption = bucket.attributes.get("encryption")
    if encryption is not None and encryption.get("algorithm") is None:
        evidence = (Evidence("s3:GetBucketEncryption", bucket.id, "ServerSideEncryptionConfiguration",
                             "not configured"),)
        yield Hit(bucket.id, f"Bucket {bucket.name} reports no default encryption: objects uploaded "
                  "without encryption headers rest unencrypted where the endpoint allows it.", evidence)


rule(
    no_default_encryption,
    id="s3.no_default_encryption",
    title="Bucket reports no default encryption",
    category=Category.ENCRYPTION,
    severity=Severity.HIGH,
    remediation=(
        "Set default encryption with a KMS key: aws s3api put-bucket-encryption --bucket BUCKET "
        "--server-side-encryption-configuration '{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":"
        "{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"KEY\"},\"BucketKeyEnabled\":true}]}'"
    ),
    kinds=("s3.bucket",),
)


def sse_s3_only(graph: Graph, bucket: Node) -> Iterator[Hit]:
    encryption = bucket.attributes.get("encryption") or {}
    if encryption.get("algorithm") == "AES256":
        evidence = (Evidence("s3:GetBucketEncryption", bucket.id,
                             "Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm", "AES256"),)
        yield Hit(bucket.id, f"Bucket {bucket.name} uses SSE-S3 (AES256): encrypted at rest with keys AWS "
                  "manages; no key policy limits who can decrypt and key use is not logged.", evidence)


rule(
    sse_s3_only,
    id="s3.sse_s3_only",
    title="Bucket encrypted with S3-managed keys only (SSE-S3)",
    category=Category.ENCRYPTION,
    severity=Severity.LOW,
    remediation=(
        "Where the data needs key control or an audit trail of key use, switch default encryption to "
        "SSE-KMS with a customer managed key and enable S3 Bucket Keys to keep KMS costs down."
    ),
    kinds=("s3.bucket",),
)


def encryption_weaker_than_policy(graph: Graph, bucket: Node) -> Iterator[Hit]:
    policy = bucket.attributes.get("policy") or {}
    if "encryption" not in bucket.attributes:
        return  # the default encryption could not be read: nothing to compare the policy with
    algorithm = (bucket.attributes.get("encryption") or {}).get("algorithm")
    if policy.get("requires_kms") and not str(algorithm or "").startswith("aws:kms"):
        evidence = (
            Evidence("s3:GetBucketPolicy", bucket.id, "Statement", "; ".join(policy.get("statements", []))[:200]),
            Evidence("s3:GetBucketEncryption", bucket.id, "SSEAlgorithm", str(algorithm)),
        )
        yield Hit(bucket.id, f"Bucket {bucket.name}'s policy requires aws:kms but its default encryption is "
                  f"{algorithm or 'not set'}.", evidence)


rule(
    encryption_weaker_than_policy,
    id="s3.encryption_weaker_than_policy",
    title="Default encryption weaker than the KMS the bucket policy asks for",
    category=Category.ENCRYPTION,
    severity=Severity.HIGH,
    remediation=(
        "Set the bucket's default encryption to aws:kms with the intended key so that writers which "
        "send no encryption header are encrypted as the policy requires instead of rejected or weaker."
    ),
    kinds=("s3.bucket",),
)


def public_access_not_blocked(graph: Graph, bucket: Node) -> Iterator[Hit]:
    if "public_access_block" not in bucket.attributes:
        return
    block = bucket.attributes["public_access_block"]
    missing = [k for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
               if not (block or {}).get(k)]
    if missing:
        evidence = (Evidence("s3:GetPublicAccessBlock", bucket.id, "PublicAccessBlockConfiguration",
                             "not configured" if block is None else f"off: {', '.join(missing)}"),)
        yield Hit(bucket.id, f"Bucket {bucket.name} does not block public access ({', '.join(missing)} off).",
                  evidence)


rule(
    public_access_not_blocked,
    id="s3.public_access_not_blocked",
    title="Public access block incomplete",
    category=Category.EXPOSURE,
    severity=Severity.MEDIUM,
    remediation="Turn on all four settings of the bucket's public access block (and the account's).",
    kinds=("s3.bucket",),
    frameworks=("CIS AWS 2.1.4",),
)


def replication_to_another_account(graph: Graph, node: Node) -> Iterator[Hit]:
    for place, replication in enumerate(node.attributes.get("replication") or []):
        if replication.get("status") != "Enabled" or not replication.get("destination_bucket"):
            continue
        destination = graph.nodes.get(arns.bucket_arn(replication["destination_bucket"]))
        account = replication.get("destination_account") or account_of(graph, arns.bucket_arn(
            replication["destination_bucket"]))
        if account and account == node.account:
            continue
        if account:
            where = f"account {account}"
        elif destination is not None and destination.observed:
            continue  # a bucket the scan read in an account it does not know: nothing to compare
        else:
            # Not among the buckets the scan read: another account's, unless this account's listing failed
            # (a coverage gap of the scan says so) or the bucket is gone. Said as what it is.
            where = "a bucket the scan did not read (another account's, unless the scan could not list this one's)"
        prefix = replication.get("prefix") or ""
        what = f"s3://{node.name}/{prefix}" if prefix else f"every object of s3://{node.name}"
        evidence = Evidence("s3:GetReplicationConfiguration", node.id, f"ReplicationConfiguration.Rules[{place}]",
                            f"{replication.get('id', '')}: to {replication['destination_bucket']}")
        yield Hit(node.id, f"Replication rule {replication.get('id') or place} copies {what} to "
                  f"s3://{replication['destination_bucket']} in {where}: the data leaves this account.", (evidence,))


rule(
    replication_to_another_account,
    id="s3.replication_to_another_account",
    title="S3 replication copies data to another account",
    category=Category.EXPOSURE,
    severity=Severity.MEDIUM,
    remediation=(
        "Confirm the destination account is one of yours and meant to hold this data; there, keep the "
        "replicas under a key of your own (Destination.EncryptionConfiguration.ReplicaKmsKeyID) with the "
        "owner override (AccessControlTranslation) set, or remove the rule: "
        "aws s3api delete-bucket-replication --bucket BUCKET"
    ),
    kinds=("s3.bucket",),
    frameworks=("GDPR Art. 44",),
)
