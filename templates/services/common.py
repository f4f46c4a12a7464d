"""What every service reader shares: reading a property of the shape it should have, and what each does last — the
node says which configuration AWS's defaults gave it, and loses the attributes the template leaves to a value
nobody gave (unknown, never guessed)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lineage.model import Facts


def finished(facts: Facts, defaults: Mapping[str, list[str]], unknown: Mapping[str, list[str]]) -> Facts:
    """Each node with `aws_defaults` (what AWS's defaults gave it) and without the attributes the template leaves
    to a value nobody gave: unknown, never guessed."""
    nodes = []
    for node in facts.nodes:
        attributes = {k: v for k, v in node.attributes.items() if k not in unknown.get(node.id, ())}
        if defaults.get(node.id):
            attributes["aws_defaults"] = sorted(defaults[node.id])
        nodes.append(replace(node, attributes=attributes))
    return Facts(tuple(nodes), facts.edges, facts.gaps)


def mapping_of(value: Any) -> Mapping[str, Any]:
    """A property that should hold a mapping; anything else (a value left to deployment) as none."""
    return value if isinstance(value, Mapping) else {}


def list_of(value: Any) -> list[Any]:
    """A property that should hold a list; anything else as none."""
    return value if isinstance(value, list) else []


def truth(value: Any) -> bool | None:
    """A boolean property: true, false, or None when only deployment knows (a condition nobody can decide)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def is_true(value: Any) -> bool:
    """A boolean property as CloudFormation takes it: `true`, or the text "true" (a parameter's value)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def as_text(value: Any) -> str:
    """A value as the API holds a map of strings: YAML's `true` and `1` as "true" and "1", a structure as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)
