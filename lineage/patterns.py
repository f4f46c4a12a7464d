"""EventBridge event patterns: which producers a rule listens to.

A pattern's `source` names where events come from (`aws.s3`, `com.example.app`); matchers other
than an exact value (`prefix`, `anything-but`, `wildcard`, …) are kept as written, since they name
a family of producers, not one. S3 patterns that name buckets tie those buckets to the rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class PatternError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class PatternFacts:
    sources: tuple[str, ...]  # exact source values, or a matcher written as `prefix:com.example`
    detail_types: tuple[str, ...]
    buckets: tuple[str, ...]  # S3 bucket names an `aws.s3` pattern matches exactly


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


def _exact_values(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def pattern_facts(text: str | dict[str, Any]) -> PatternFacts:
    pattern = load_pattern(text)
    sources: list[str] = []
    detail_types: list[str] = []
    buckets: list[str] = []
    for branch in _branches(pattern):
        branch_sources = _matcher_values(branch.get("source", []))
        sources.extend(s for s in branch_sources if s not in sources)
        detail_types.extend(d for d in _matcher_values(branch.get("detail-type", []))
                            if d not in detail_types)
        if "aws.s3" in branch_sources:
            detail = branch.get("detail")
            bucket = detail.get("bucket") if isinstance(detail, dict) else None
            names = bucket.get("name") if isinstance(bucket, dict) else None
            buckets.extend(b for b in _exact_values(names or []) if b not in buckets)
    return PatternFacts(tuple(sources), tuple(detail_types), tuple(buckets))
