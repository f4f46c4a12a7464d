"""EventBridge event patterns: which producers a rule listens to.

A pattern's `source` names where events come from (`aws.s3`, `com.example.app`); matchers other
than an exact value (`prefix`, `anything-but`, `wildcard`, …) are kept as written, since they name
a family of producers, not one. S3 patterns that name buckets — by `detail.bucket.name` or by the
bucket ARNs in `resources`, exactly or through a matcher — tie those buckets to the rule: exact names
here, matchers once the graph knows which buckets exist (`BucketMatcher.matches`).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

from lineage import arn as arns


class PatternError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BucketMatcher:
    """An event-pattern matcher over bucket names: `prefix`, `suffix`, `wildcard`, `equals-ignore-case`,
    `anything-but` (a name, a list of names, or a `prefix`/`suffix` of names)."""

    operator: str
    operand: Any

    def matches(self, bucket: str) -> bool:
        operand = self.operand
        if self.operator == "prefix" and isinstance(operand, str):
            return bucket.startswith(operand)
        if self.operator == "suffix" and isinstance(operand, str):
            return bucket.endswith(operand)
        if self.operator == "equals-ignore-case" and isinstance(operand, str):
            return bucket.lower() == operand.lower()
        if self.operator == "wildcard" and isinstance(operand, str):
            # Event patterns know only `*`; escape what fnmatch would read as a class or a single character.
            escaped = "".join(f"[{c}]" if c in "?[" else c for c in operand)
            return fnmatch.fnmatchcase(bucket, escaped)
        if self.operator == "anything-but":
            if isinstance(operand, dict):
                return not any(BucketMatcher(op, value).matches(bucket) for op, value in operand.items())
            excluded = operand if isinstance(operand, list) else [operand]
            return bucket not in [str(e) for e in excluded]
        return False

    def to_dict(self) -> dict[str, Any]:
        return {"operator": self.operator, "operand": self.operand}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BucketMatcher:
        return cls(str(data.get("operator", "")), data.get("operand"))


@dataclass(frozen=True, slots=True)
class PatternFacts:
    sources: tuple[str, ...]  # exact source values, or a matcher written as `prefix:com.example`
    detail_types: tuple[str, ...]
    buckets: tuple[str, ...]  # S3 bucket names an `aws.s3` pattern matches exactly
    bucket_matchers: tuple[BucketMatcher, ...] = ()  # families of bucket names it matches


def load_pattern(text: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PatternError(f"event pattern is not valid JSON: {error.msg}") from None
    if not isinstance(data, dict):
        raise PatternError("an event pattern is a JSON object")
    return data


def _branches(pattern: dict[str, Any]) -> list[dict[str, Any]]:
    """A pattern with a top-level `$or` is several patterns; each is read on its own."""
    alternatives = pattern.get("$or")
    if not isinstance(alternatives, list):
        return [pattern]
    rest = {k: v for k, v in pattern.items() if k != "$or"}
    found = []
    for alternative in alternatives:
        if isinstance(alternative, dict):
            found.extend(_branches({**rest, **alternative}))
    return found or [rest]


def _matcher_values(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    found = []
    for item in values:
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            for operator, operand in item.items():
                text = operand if isinstance(operand, str) else json.dumps(operand, sort_keys=True)
                found.append(f"{operator}:{text}")
    return found


_S3_ARN_PREFIX = "arn:aws:s3:::"


def _bucket_names(value: Any, from_arns: bool) -> tuple[list[str], list[BucketMatcher]]:
    """Exact bucket names and matchers of a pattern field: bucket names, or (`resources`) bucket ARNs."""
    exact: list[str] = []
    matchers: list[BucketMatcher] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            name = _bucket_of_arn(item) if from_arns else item
            if name:
                exact.append(name)
        elif isinstance(item, dict):
            for operator, operand in item.items():
                if from_arns:
                    operand = _bucket_of_arn_operand(operator, operand)
                    if operand is None:
                        continue
                matchers.append(BucketMatcher(str(operator), operand))
    return exact, matchers


def _bucket_of_arn(value: str) -> str | None:
    parsed = arns.parse_s3_url(value) if value.startswith("arn:") else None
    return parsed[0] if parsed else None


def _bucket_of_arn_operand(operator: str, operand: Any) -> Any:
    """A matcher over bucket ARNs as a matcher over bucket names; None when it names no bucket."""
    if operator == "prefix" and isinstance(operand, str) and operand.startswith(_S3_ARN_PREFIX):
        return operand[len(_S3_ARN_PREFIX):]
    if operator == "anything-but" and isinstance(operand, str | list):
        names = [_bucket_of_arn(v) for v in (operand if isinstance(operand, list) else [operand]) if isinstance(v, str)]
        return [n for n in names if n] or None
    return None


def pattern_facts(text: str | dict[str, Any]) -> PatternFacts:
    pattern = load_pattern(text)
    sources: list[str] = []
    detail_types: list[str] = []
    buckets: list[str] = []
    matchers: list[BucketMatcher] = []
    for branch in _branches(pattern):
        branch_sources = _matcher_values(branch.get("source", []))
        sources.extend(s for s in branch_sources if s not in sources)
        detail_types.extend(d for d in _matcher_values(branch.get("detail-type", []))
                            if d not in detail_types)
        if "aws.s3" in branch_sources:
            detail = branch.get("detail")
            bucket = detail.get("bucket") if isinstance(detail, dict) else None
            names = bucket.get("name") if isinstance(bucket, dict) else None
            for field, from_arns in ((names, False), (branch.get("resources"), True)):
                if field is None:
                    continue
                exact, found = _bucket_names(field, from_arns)
                buckets.extend(b for b in exact if b not in buckets)
                matchers.extend(m for m in found if m not in matchers)
    return PatternFacts(tuple(sources), tuple(detail_types), tuple(buckets), tuple(matchers))
