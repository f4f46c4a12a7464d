"""Amazon Macie: what its sensitive-data discovery found in S3 objects, per folder.

Per region: `GetMacieSession` first. An account that never enabled Macie answers it with
`AccessDeniedException: Macie is not enabled.` (the code a denied role gets too: only the message
tells them apart) or with `ResourceNotFoundException` (no session): a fact, Macie is not running
there, so nothing more is asked and nothing is a gap. Otherwise `ListFindings`, filtered to the
sensitive-data findings not archived (`category` eq `CLASSIFICATION`, `archived` eq `false`), then
`GetFindings` in batches of at most 50 ids, the most the operation takes.

Facts: for each folder holding an object with findings, the node of that S3 location (the bucket's
when the object lies at the top), not marked observed (the graph joins it to its bucket), carrying
`macie_findings`: one entry per finding with its id, type, severity, update time, the object's key,
and what was detected by type and count (`{"category": "PERSONAL_INFORMATION", "type":
"EMAIL_ADDRESS", "count": 12}`; a custom data identifier is category `CUSTOM_IDENTIFIER`, its name
the type). Never the occurrences (where in the object, which cells): they point at the personal data
itself. Keys can name people too, but are the evidence: they pass the redactor and are cut short.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from collectors.context import AwsContext, each_answer, is_absent
from collectors.declarations import Call, Collector
from lineage import arn as arns
from lineage import redact
from lineage.model import Facts

GET_MACIE_SESSION = Call("macie2", "get_macie_session", required=("status",),
                         absent=("AccessDeniedException: Macie is not enabled", "ResourceNotFoundException"))
LIST_FINDINGS = Call("macie2", "list_findings", result_key="findingIds")
GET_FINDINGS = Call("macie2", "get_findings", required=("findings",))

BATCH = 50  # the most ids one GetFindings takes
KEY_LENGTH = 300
CUSTOM_IDENTIFIER = "CUSTOM_IDENTIFIER"
SENSITIVE_DATA_FINDINGS = {"criterion": {"category": {"eq": ["CLASSIFICATION"]}, "archived": {"eq": ["false"]}}}


def _batch_name(batch: list[str]) -> str:
    """How a gap names a batch of findings: its first id, and how many more."""
    return batch[0] if len(batch) == 1 else f"{batch[0]} and {len(batch) - 1} more"


def get_macie(ctx: AwsContext, region: str) -> dict[str, Any]:
    """`{"enabled": False}` where Macie is not running; else the findings read (batches that failed are
    gaps, and missing). Empty when the session could not be read (a gap)."""
    session = ctx.call(GET_MACIE_SESSION, region, region)
    if session is None:
        return {}
    if is_absent(session):
        return {"enabled": False}
    ids = ctx.pages(LIST_FINDINGS, region, region, findingCriteria=SENSITIVE_DATA_FINDINGS)
    if ids is None:
        return {"enabled": True, "status": session["status"]}
    unique = list(dict.fromkeys(i for i in ids if isinstance(i, str)))
    batches = [unique[start:start + BATCH] for start in range(0, len(unique), BATCH)]
    answers = ctx.map(lambda batch: ctx.call(GET_FINDINGS, region, _batch_name(batch), findingIds=batch), batches)
    findings = [finding for answer in answers if answer is not None for finding in answer["findings"]]
    return {"enabled": True, "status": session["status"], "findings": findings}


# --- transform ----------------------------------------------------------------------------------


def _text_time(value: Any) -> str:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return str(value or "")


def _detections(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What was found, by category, type and count: never where (the occurrences). `CUSTOM_IDENTIFIER` is
    also a category `sensitiveData` may use: a detection said twice is counted once."""
    counts: dict[tuple[str, str], int] = {}

    def add(category: str, kind: str, count: Any) -> None:
        counts[(category, kind)] = max(counts.get((category, kind), 0), int(count or 0))

    for item in result.get("sensitiveData") or []:
        for detection in item.get("detections") or []:
            add(str(item.get("category", "")), str(detection["type"]), detection.get("count"))
    for detection in (result.get("customDataIdentifiers") or {}).get("detections") or []:
        add(CUSTOM_IDENTIFIER, str(detection["name"]), detection.get("count"))
    return [{"category": category, "type": kind, "count": count} for (category, kind), count in sorted(counts.items())]


def _finding(finding: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(the id of the folder holding the object, the finding as kept)."""
    affected = finding["resourcesAffected"]
    key = str(affected["s3Object"]["key"])
    bucket = str(affected["s3Bucket"]["name"])
    folder = key.rsplit("/", 1)[0] if "/" in key else ""
    result = (finding.get("classificationDetails") or {}).get("result") or {}
    return arns.s3_location_id(bucket, folder), {
        "finding": str(finding["id"]),
        "type": str(finding.get("type", "")),
        "key": redact.short(key, KEY_LENGTH),
        "severity": str((finding.get("severity") or {}).get("description", "")),
        "detections": _detections(result),
        "updated": _text_time(finding.get("updatedAt")),
    }


def transform_macie(record: dict[str, Any], account: str, region: str) -> Facts:
    read, gaps = each_answer(record.get("findings", []), _finding, GET_FINDINGS,
                             lambda finding: finding["id"], region)
    by_place: dict[str, list[dict[str, Any]]] = {}
    for place, finding in read:
        by_place.setdefault(place, []).append(finding)
    nodes = tuple(arns.referenced_node(place, attributes={
        "macie_findings": sorted(findings, key=lambda f: (f["key"], f["finding"]))})
        for place, findings in sorted(by_place.items()))
    return Facts(nodes, (), tuple(gaps))


COLLECTOR = Collector(
    service="macie2", label="Macie",
    calls=(GET_MACIE_SESSION, LIST_FINDINGS, GET_FINDINGS),
    get=get_macie, transform=transform_macie,
)
