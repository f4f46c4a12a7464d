"""Which nodes a large page opens folded together, so that ten thousand nodes open as a few hundred.

Above a threshold, a bucket's paths fold into the bucket (the bucket holds what they hold), a database's
tables into the database, and — while the page is still too full — a service's many similar nodes (one
kind, account and region) into a cluster with a count. The page unfolds a group in place on a click.
Small scans are not grouped: every node is worth its own place until there are too many to read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from lineage import arn as arns
from lineage.model import Node, Stage

GROUP_ABOVE = 1000  # a page with more nodes than this opens grouped
OPEN_WITH = 400  # clusters are formed until the page opens with about this many shapes
CLUSTER_MIN = 6  # fewer similar nodes than this are clearer apart than as a cluster

_STAGE_ORDER = {stage: index for index, stage in enumerate(Stage)}


@dataclass(frozen=True, slots=True)
class Group:
    id: str  # `bucket:ARN`, `database:ARN` or `cluster:KIND|ACCOUNT|REGION`: never a node's id
    kind: str  # "bucket", "database" or "cluster"
    label: str
    node_kind: str  # the kind its members share, or the container's: what shape it is drawn as
    stage: Stage  # the stage most of its members are in
    members: tuple[str, ...]  # node ids, sorted


def groups(nodes: Sequence[Node], above: int = GROUP_ABOVE, open_with: int = OPEN_WITH) -> list[Group]:
    """The groups a page of these nodes opens with; none when there are `above` nodes or fewer."""
    if len(nodes) <= above:
        return []
    by_container: dict[tuple[str, str], list[Node]] = {}
    for node in nodes:
        container = _container(node)
        if container is not None:
            by_container.setdefault(container, []).append(node)
    found = [_group(kind, container, members) for (kind, container), members in sorted(by_container.items())
             if len(members) > 1]
    grouped = {member for group in found for member in group.members}
    loose: dict[tuple[str, str, str], list[Node]] = {}
    for node in nodes:
        if node.id not in grouped:
            loose.setdefault((node.kind, node.account, node.region), []).append(node)
    shapes = len(found) + sum(len(members) for members in loose.values())
    # The largest sets of similar nodes fold first: each fold removes the most shapes for one click more.
    for (kind, account, region), members in sorted(loose.items(), key=lambda item: (-len(item[1]), item[0])):
        if shapes <= open_with or len(members) < CLUSTER_MIN:
            break
        label = " · ".join(part for part in (kind, account, region) if part)
        found.append(Group(f"cluster:{kind}|{account}|{region}", "cluster", label, kind, _stage_of(members),
                           tuple(sorted(node.id for node in members))))
        shapes -= len(members) - 1
    return found


def _container(node: Node) -> tuple[str, str] | None:
    """("bucket", bucket ARN) for a bucket and its paths; ("database", database ARN) for a database and
    its tables; None for anything else (a place known only at run time included: it is in no bucket)."""
    if node.kind in ("s3.bucket", "s3.location"):
        parts = arns.s3_parts(node.id)
        return ("bucket", arns.bucket_arn(parts[0])) if parts else None
    if node.kind == "glue.database" and ":database/" in node.id:
        return "database", node.id
    if node.kind == "glue.table" and ":table/" in node.id:
        head, _, path = node.id.partition(":table/")
        database = path.split("/", 1)[0]
        return ("database", f"{head}:database/{database}") if database else None
    return None


def _group(kind: str, container: str, members: list[Node]) -> Group:
    own = next((m for m in members if m.id == container), None)
    if kind == "bucket":
        label = own.name if own else container.removeprefix("arn:aws:s3:::")
        node_kind = "s3.bucket"
    else:
        label = own.name if own else container.rpartition(":database/")[2]
        node_kind = "glue.database"
    return Group(f"{kind}:{container}", kind, label, node_kind, own.stage if own else _stage_of(members),
                 tuple(sorted(member.id for member in members)))


def _stage_of(members: Sequence[Node]) -> Stage:
    counts = Counter(member.stage for member in members)
    return min(counts, key=lambda stage: (-counts[stage], _STAGE_ORDER[stage]))
