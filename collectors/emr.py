"""EMR on EC2: the clusters that are running, the steps they ran lately, where they write their logs, and
how their security configuration protects the data they handle.

Only clusters in an active state (STARTING, BOOTSTRAPPING, RUNNING, WAITING) are read: a terminated
cluster holds nothing and runs nothing, and EMR keeps listing terminated ones for two months. A cluster
reads and writes what its steps' arguments name — the same judgement as a Glue job's arguments
(`lineage.glue_arguments`): `--input s3://…` reads, `--output s3://…` writes, an `s3://` path no name
explains is a flow of unstated direction; `spark-submit`'s application (the script or jar) and its own
options (`--py-files`, `--jars`, `--conf`…) are code, not data, and the step's `Jar` likewise.

The work is bounded: one `ListSteps` page per cluster (EMR lists the newest first, at most 50 a page),
of which the steps created in the last `RECENT_DAYS` days count; the bound is on each cluster's node
(`recent_steps_bound`). A security configuration is described once per name and region, however many
clusters use it; the account's block public access setting once per region, when there is a cluster.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.context import AwsContext, each_resource, is_gone, tag_dict
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage.glue_arguments import command_line_facts
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

KIND = "emr.cluster"
ACTIVE_STATES = ("STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING")
_ENDED_STATES = ("TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS")
RECENT_DAYS = 30
MOST_STEPS = 50  # one ListSteps page: EMR answers at most 50 steps a page, newest first

LIST_CLUSTERS = Call("emr", "list_clusters", result_key="Clusters", required=("Id",))
# EMR answers a cluster id it does not know with InvalidRequestException, which it also uses for bad input:
# only its message says the cluster is not there.
DESCRIBE_CLUSTER = Call("emr", "describe_cluster", required=("Cluster.Id",),
                        gone=("InvalidRequestException: Cluster id",))
LIST_STEPS = Call("emr", "list_steps", required=("Steps",), gone=("InvalidRequestException: Cluster id",))
DESCRIBE_SECURITY_CONFIGURATION = Call("emr", "describe_security_configuration",
                                       required=("Name", "SecurityConfiguration"))
GET_BLOCK_PUBLIC_ACCESS_CONFIGURATION = Call(
    "emr", "get_block_public_access_configuration",
    required=("BlockPublicAccessConfiguration.BlockPublicSecurityGroupRules",))


def _recent(steps: list[Any], since: datetime) -> list[dict[str, Any]]:
    """The steps created since `since`, newest first, at most `MOST_STEPS`; an item that is not a step is
    left out (its answer is the page's, already used)."""
    kept = []
    for step in steps:
        if not isinstance(step, Mapping) or not step.get("Id"):
            continue
        created = ((step.get("Status") or {}).get("Timeline") or {}).get("CreationDateTime")
        if isinstance(created, datetime) and created < since:
            continue
        kept.append(dict(step))
    return kept[:MOST_STEPS]


def _read_clusters(ctx: AwsContext, region: str, clusters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    since = datetime.now(UTC) - timedelta(days=RECENT_DAYS)

    def read(listed: dict[str, Any]) -> dict[str, Any] | None:
        cluster_id = str(listed["Id"])
        described = ctx.call(DESCRIBE_CLUSTER, region, cluster_id, ClusterId=cluster_id)
        if is_gone(described):
            return None
        record: dict[str, Any] = {"Listed": listed}
        if described is not None:
            if ((described["Cluster"].get("Status") or {}).get("State")) in _ENDED_STATES:
                return None  # ended since it was listed: it runs nothing now
            record["Cluster"] = described["Cluster"]
        steps = ctx.call(LIST_STEPS, region, cluster_id, ClusterId=cluster_id)
        if is_gone(steps):
            return None
        if steps is not None:
            record["Steps"] = _recent(steps["Steps"] if isinstance(steps["Steps"], list) else [], since)
        return record

    records = [record for record in ctx.map(read, clusters) if record is not None]
    names = sorted({str(r["Cluster"]["SecurityConfiguration"]) for r in records
                    if r.get("Cluster", {}).get("SecurityConfiguration")})
    configurations = dict(zip(names, ctx.map(
        lambda name: ctx.call(DESCRIBE_SECURITY_CONFIGURATION, region, name, Name=name), names), strict=True))
    block = ctx.call(GET_BLOCK_PUBLIC_ACCESS_CONFIGURATION, region, region) if records else None
    for record in records:
        name = record.get("Cluster", {}).get("SecurityConfiguration")
        if name and configurations.get(str(name)) is not None:
            record["SecurityConfiguration"] = configurations[str(name)]
        if block is not None:
            record["BlockPublicAccess"] = block["BlockPublicAccessConfiguration"]
    return records


def get_emr(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    clusters = ctx.pages(LIST_CLUSTERS, region, region, ClusterStates=list(ACTIVE_STATES))
    if clusters is None:
        return []
    by_id = {str(cluster["Id"]): cluster for cluster in clusters}  # a repeated summary is read once
    return _read_clusters(ctx, region, list(by_id.values()))


def get_named_clusters(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Clusters that other facts name (a state machine's `addStep`), read one by one when the listing could
    not be read."""
    ids = set()
    for named in wanted.get(KIND, ()):
        parsed = arns.parse_arn(named)
        if parsed is not None and parsed.region == region and parsed.resource.startswith("cluster/"):
            ids.add(parsed.resource_name)
    return _read_clusters(ctx, region, [{"Id": cluster_id} for cluster_id in sorted(ids)])


# --- transform ------------------------------------------------------------------------------------


def security_configuration_of(answer: Mapping[str, Any]) -> dict[str, Any]:
    """What a security configuration (its JSON document) says of encryption: at rest in S3 (EMRFS) and on
    local disks, and in transit. A document that cannot be read says nothing: every answer is None."""
    try:
        document = json.loads(str(answer.get("SecurityConfiguration") or ""))
    except ValueError:
        document = None
    if not isinstance(document, Mapping):
        return {"name": str(answer.get("Name", "")), "readable": False}
    encryption = document.get("EncryptionConfiguration") or {}
    at_rest = bool(encryption.get("EnableAtRestEncryption"))
    rest = (encryption.get("AtRestEncryptionConfiguration") or {}) if at_rest else {}
    s3 = rest.get("S3EncryptionConfiguration") or {}
    disk = rest.get("LocalDiskEncryptionConfiguration") or {}
    return {
        "name": str(answer.get("Name", "")),
        "readable": True,
        "at_rest": at_rest,
        "s3_encryption": s3.get("EncryptionMode"),  # SSE-S3, SSE-KMS, CSE-KMS or CSE-Custom
        "s3_kms_key": s3.get("AwsKmsKey"),
        "local_disk_encryption": disk.get("EncryptionKeyProviderType"),  # AwsKms or Custom
        "local_disk_kms_key": disk.get("AwsKmsKey"),
        "ebs_encryption": bool(disk.get("EnableEbsEncryption")),
        "in_transit": bool(encryption.get("EnableInTransitEncryption")),
        "kerberos": bool((document.get("AuthenticationConfiguration") or {}).get("KerberosConfiguration")),
    }


def _ports(port_range: Mapping[str, Any]) -> str:
    """`22`, or `8000-8100`: a range of one port is that port."""
    low, high = port_range.get("MinRange"), port_range.get("MaxRange")
    return f"{low}" if high in (None, low) else f"{low}-{high}"


def _role_arn(value: str, region: str, account: str) -> str:
    """EMR names the service role by name or by ARN: always its ARN."""
    return value if value.startswith("arn:") else f"arn:{arns.partition(region)}:iam::{account}:role/{value}"


def _instance_profile_arn(value: str, region: str, account: str) -> str:
    if value.startswith("arn:"):
        return value
    return f"arn:{arns.partition(region)}:iam::{account}:instance-profile/{value}"


def _cluster_attributes(cluster: Mapping[str, Any], region: str, account: str) -> dict[str, Any]:
    instances = cluster.get("Ec2InstanceAttributes") or {}
    attributes: dict[str, Any] = {
        "state": (cluster.get("Status") or {}).get("State", ""),
        "release": cluster.get("ReleaseLabel") or cluster.get("RunningAmiVersion") or "",
        "applications": sorted(str(a["Name"]) for a in cluster.get("Applications") or () if a.get("Name")),
        "tags": tag_dict(cluster.get("Tags")),
        "log_uri": cluster.get("LogUri"),
        "log_encryption_kms_key": cluster.get("LogEncryptionKmsKeyId"),
        "security_configuration_name": cluster.get("SecurityConfiguration"),
        # A cluster's instances always run in a subnet (EC2-Classic is gone): in a VPC.
        "in_vpc": bool(instances.get("Ec2SubnetId")) or not instances,
    }
    if cluster.get("ServiceRole"):
        attributes["role"] = _role_arn(str(cluster["ServiceRole"]), region, account)
    if instances.get("IamInstanceProfile"):
        attributes["instance_profile"] = _instance_profile_arn(str(instances["IamInstanceProfile"]), region, account)
    if instances.get("Ec2SubnetId"):
        attributes["subnet"] = instances["Ec2SubnetId"]
    return attributes


def transform_cluster(record: dict[str, Any], account: str, region: str) -> Facts:
    listed = record["Listed"]
    cluster = record.get("Cluster") or {}
    cluster_id = str(cluster.get("Id") or listed["Id"])
    node_id = str(cluster.get("ClusterArn") or listed.get("ClusterArn")
                  or arns.emr_cluster_arn(region, account, cluster_id))
    name = str(cluster.get("Name") or listed.get("Name") or cluster_id)
    attributes: dict[str, Any] = {"cluster_id": cluster_id,
                                  "recent_steps_bound": {"days": RECENT_DAYS, "most": MOST_STEPS}}
    unread: list[str] = []
    edges: list[Edge] = []
    nodes: list[Node] = []
    if cluster:
        attributes.update(_cluster_attributes(cluster, region, account))
        configuration_name = cluster.get("SecurityConfiguration")
        if not configuration_name:
            attributes["security_configuration"] = None
        elif "SecurityConfiguration" in record:
            attributes["security_configuration"] = security_configuration_of(record["SecurityConfiguration"])
        else:
            unread.append("security_configuration")
        log = arns.parse_s3_url(str(cluster.get("LogUri") or ""))
        if log is not None:
            evidence = Evidence("elasticmapreduce:DescribeCluster", node_id, "Cluster.LogUri", str(cluster["LogUri"]))
            edges.append(Edge(node_id, arns.s3_location_id(*log), EdgeKind.WRITES, (evidence,)))
    else:
        attributes["state"] = (listed.get("Status") or {}).get("State", "")
        unread.append("configuration")
    if "BlockPublicAccess" in record:
        block = record["BlockPublicAccess"]
        attributes["block_public_access"] = {
            "block_public_security_group_rules": bool(block.get("BlockPublicSecurityGroupRules")),
            "permitted_ports": [_ports(r) for r in block.get("PermittedPublicSecurityGroupRuleRanges") or ()
                                if isinstance(r, Mapping)],
        }
    else:
        unread.append("block_public_access")
    if "Steps" in record:
        attributes["recent_steps"] = [str(step.get("Name") or step["Id"]) for step in record["Steps"]]
        for step in record["Steps"]:
            config = step.get("Config") or {}
            label = str(step.get("Name") or step["Id"])
            facts = command_line_facts(node_id, config.get("Args") or [], region, account,
                                       "elasticmapreduce:ListSteps", node_id, f"Steps[{label}].Config.Args")
            nodes.extend(facts.nodes)
            edges.extend(facts.edges)
    else:
        unread.append("steps")
    if unread:
        attributes["unread"] = unread
    node = Node(node_id, KIND, name, stage_for(KIND, attributes.get("tags")), account, region, True, attributes)
    return Facts((node, *nodes), tuple(edges))


def transform_emr(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda record: transform_cluster(record, account, region), DESCRIBE_CLUSTER,
                         lambda record: record["Listed"]["Id"], region)


COLLECTOR = Collector(
    service="elasticmapreduce", label="EMR",
    calls=(LIST_CLUSTERS, DESCRIBE_CLUSTER, LIST_STEPS, DESCRIBE_SECURITY_CONFIGURATION,
           GET_BLOCK_PUBLIC_ACCESS_CONFIGURATION),
    get=get_emr, transform=transform_emr,
    listings={KIND: LIST_CLUSTERS}, get_named=get_named_clusters,
)
