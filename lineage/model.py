"""The one vocabulary of the tracker: nodes, edges, evidence, findings, coverage gaps and scans.

Every other module speaks these types. They are frozen, slotted and hold plain data only, so a scan
can be compared, stored and exported without knowing where it came from.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Stage(enum.StrEnum):
    GENERATION = "generation"
    STORAGE = "storage"
    PROCESSING = "processing"
    USAGE = "usage"


class EdgeKind(enum.StrEnum):
    READS = "reads"
    WRITES = "writes"
    INVOKES = "invokes"
    TRIGGERS = "triggers"
    ROUTES = "routes"
    NOTIFIES = "notifies"
    # The source names the target in its configuration (a function's environment names a table), and data
    # may move either way between them: configuration alone does not say which.
    REFERENCES = "references"
    STORED_AT = "stored_at"
    PART_OF = "part_of"

    @property
    def is_flow(self) -> bool:
        return self not in (EdgeKind.PART_OF, EdgeKind.STORED_AT)

    @property
    def either_way(self) -> bool:
        """A flow whose direction is unknown: walked both ways, so nothing it may carry is missed."""
        return self is EdgeKind.REFERENCES


class Category(enum.StrEnum):
    LIFECYCLE = "lifecycle"
    ENCRYPTION = "encryption"
    EXPOSURE = "exposure"
    PII = "pii"
    COVERAGE = "coverage"
    COST = "cost"  # data kept or scanned at a price nobody chose: no tiering, unlimited scans, logs kept forever
    TAGGING = "tagging"  # a resource on a flow without the tags the organization's tag policy requires


class Severity(enum.StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def raised(self) -> Severity:
        """One step more severe, for the same gap on a node that carries personal data."""
        return _SEVERITY_ORDER[min(self.rank + 1, len(_SEVERITY_ORDER) - 1)]


_SEVERITY_ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


class ScanStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    PARTIAL = "partial"
    FAILED = "failed"


# Stage of each kind when no tag overrides it. A kind not listed is processing: something that is
# neither a source, a resting place nor a consumer usually computes.
STAGE_BY_KIND: Mapping[str, Stage] = {
    "events.source": Stage.GENERATION,
    "events.schedule": Stage.GENERATION,
    "scheduler.schedule": Stage.GENERATION,
    "apigateway.api": Stage.GENERATION,
    "apigateway.route": Stage.GENERATION,
    "lambda.url": Stage.GENERATION,
    "appsync.api": Stage.GENERATION,
    "s3.bucket": Stage.STORAGE,
    "s3.location": Stage.STORAGE,
    "glue.table": Stage.STORAGE,
    "glue.database": Stage.STORAGE,
    "dynamodb.table": Stage.STORAGE,
    "sqs.queue": Stage.STORAGE,
    "sns.topic": Stage.STORAGE,
    "kinesis.stream": Stage.STORAGE,
    "firehose.delivery_stream": Stage.STORAGE,
    "events.bus": Stage.STORAGE,
    "logs.log_group": Stage.STORAGE,
    "sagemaker.feature_group": Stage.STORAGE,
    "aoss.collection": Stage.STORAGE,  # a vector store a knowledge base writes to
    "rds.db_instance": Stage.STORAGE,
    "rds.cluster": Stage.STORAGE,
    "redshift.cluster": Stage.STORAGE,
    "redshift.workgroup": Stage.STORAGE,
    "opensearch.domain": Stage.STORAGE,
    "athena.workgroup": Stage.USAGE,
    "quicksight.data_source": Stage.USAGE,
    "quicksight.dataset": Stage.USAGE,
    "quicksight.analysis": Stage.USAGE,
    "quicksight.dashboard": Stage.USAGE,
    "athena.named_query": Stage.USAGE,
    "athena.prepared_statement": Stage.USAGE,
    "sagemaker.endpoint": Stage.USAGE,
    "bedrock.model": Stage.USAGE,
    "bedrock.agent": Stage.USAGE,
    "external": Stage.USAGE,
}

STAGE_TAG = "lineage:stage"


def stage_for(kind: str, tags: Mapping[str, str] | None = None) -> Stage:
    """The stage of a node: its `lineage:stage` tag when valid, else the default for its kind."""
    if tags:
        value = tags.get(STAGE_TAG, "").strip().lower()
        if value in Stage._value2member_map_:
            return Stage(value)
    return STAGE_BY_KIND.get(kind, Stage.PROCESSING)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a fact came from, precise enough for an auditor to find it again."""

    operation: str  # API operation ("states:DescribeStateMachine") or "file" for offline input
    resource: str  # the resource whose configuration holds the fact
    path: str = ""  # where inside that document ("States.Load.Parameters.JobName")
    excerpt: str = ""  # short text of the value as written
    dynamic: bool = False  # True when the value is an expression resolved only at run time

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "resource": self.resource,
            "path": self.path,
            "excerpt": self.excerpt,
            "dynamic": self.dynamic,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(
            operation=data.get("operation", ""),
            resource=data.get("resource", ""),
            path=data.get("path", ""),
            excerpt=data.get("excerpt", ""),
            dynamic=bool(data.get("dynamic", False)),
        )


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: str
    name: str
    stage: Stage
    account: str = ""
    region: str = ""
    observed: bool = True
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "stage": self.stage.value,
            "name": self.name,
            "account": self.account,
            "region": self.region,
            "observed": self.observed,
            "attributes": dict(self.attributes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Node:
        return cls(
            id=data["id"],
            kind=data["kind"],
            name=data.get("name", ""),
            stage=Stage(data["stage"]),
            account=data.get("account", ""),
            region=data.get("region", ""),
            observed=bool(data.get("observed", True)),
            attributes=dict(data.get("attributes") or {}),
        )


@dataclass(frozen=True, slots=True)
class Edge:
    """A flow (or structure) from `source` to `target`, in the direction the data moves."""

    source: str
    target: str
    kind: EdgeKind
    evidence: tuple[Evidence, ...] = ()

    @property
    def key(self) -> tuple[str, str, EdgeKind]:
        return (self.source, self.target, self.kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "kind": self.kind.value,
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Edge:
        return cls(
            source=data["source"],
            target=data["target"],
            kind=EdgeKind(data["kind"]),
            evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence") or ()),
        )


@dataclass(frozen=True, slots=True)
class Finding:
    id: str  # stable: rule and node, so the same gap has the same id in every scan
    rule: str
    category: Category
    severity: Severity
    node: str
    message: str
    remediation: str
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "category": self.category.value,
            "severity": self.severity.value,
            "node": self.node,
            "message": self.message,
            "evidence": [e.to_dict() for e in self.evidence],
            "remediation": self.remediation,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            id=data["id"],
            rule=data["rule"],
            category=Category(data["category"]),
            severity=Severity(data["severity"]),
            node=data["node"],
            message=data.get("message", ""),
            remediation=data.get("remediation", ""),
            evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence") or ()),
        )


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """What the scan could not see, and why: an AWS call that failed (service and operation of the call),
    an answer no transform could read, or a fact the tracker could not place or judge (service `lineage`,
    the step or rule id as operation)."""

    service: str
    operation: str
    resource: str
    error: str
    region: str = ""
    account: str = ""  # the account it is in; "" for a gap of the scan as a whole (or one stored before accounts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "operation": self.operation,
            "resource": self.resource,
            "error": self.error,
            "region": self.region,
            "account": self.account,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CoverageGap:
        return cls(
            service=data["service"],
            operation=data["operation"],
            resource=data.get("resource", ""),
            error=data.get("error", ""),
            region=data.get("region", ""),
            account=data.get("account", ""),
        )


@dataclass(frozen=True, slots=True)
class Facts:
    """What one collector (or one parsed document) saw: nodes and edges, nothing judged yet, and the
    gaps met while reading them (a resource whose answer had a shape no transform expected)."""

    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    gaps: tuple[CoverageGap, ...] = ()

    def __add__(self, other: Facts) -> Facts:
        return Facts(self.nodes + other.nodes, self.edges + other.edges, self.gaps + other.gaps)

    @classmethod
    def concat(cls, parts: Iterable[Facts]) -> Facts:
        """Many facts as one, in linear time (repeated `+` copies every tuple again)."""
        nodes: list[Node] = []
        edges: list[Edge] = []
        gaps: list[CoverageGap] = []
        for part in parts:
            nodes.extend(part.nodes)
            edges.extend(part.edges)
            gaps.extend(part.gaps)
        return cls(tuple(nodes), tuple(edges), tuple(gaps))


@dataclass(frozen=True, slots=True)
class Scan:
    id: str
    started_at: str  # ISO 8601, UTC
    finished_at: str
    status: ScanStatus
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    findings: tuple[Finding, ...]
    coverage_gaps: tuple[CoverageGap, ...]
    api_calls: Mapping[str, int]
    caller: str = ""  # who the scan ran as: the ARN STS gave for its credentials ("" when STS did not say)
