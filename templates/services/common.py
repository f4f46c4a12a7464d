"""What every service reader shares: reading a property of the shape it should have, and what each does last — the
node says which configuration AWS's defaults gave it, and loses the attributes the template leaves to a value
nobody gave (unknown, never guessed)."""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Mapping
from dataclasses import replace
from typing import Any

from lineage.model import Facts
from templates.stack import Placed, Stack


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


def text_of(value: Any) -> str:
    """A property that should hold text; anything else (a structure, a number) as none."""
    return value if isinstance(value, str) else ""


def tag_map(tags: Any, text: Callable[[Any], str] = str) -> dict[str, str]:
    """CloudFormation's list of `{Key, Value}` pairs as the map the APIs answer, each value as `text` makes it; a
    pair without a key is no tag."""
    return {str(t.get("Key")): text(t.get("Value", "")) for t in list_of(tags)
            if isinstance(t, Mapping) and t.get("Key")}


def by_owner(stack: Stack, kind: str, key: str, owners: Container[str] | None, unread: str) -> dict[str, list[Placed]]:
    """Each resource of `kind`, by the resource its `key` property names: any, or one of `owners` (those the
    template defines) when given. One naming none is not read: a warning, `unread` with its logical id, says so."""
    found: dict[str, list[Placed]] = {}
    for placed in stack.placed.values():
        if placed.type != kind:
            continue
        owner = placed.properties.get(key)
        if isinstance(owner, str) and owner and (owners is None or owner in owners):
            found.setdefault(owner, []).append(placed)
        else:
            stack.warnings.append(unread.format(placed.logical_id))
    return found


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
