"""CloudFormation's intrinsic functions, resolved where the template alone determines their value.

Pure: a property value as decoded (long-form intrinsics, as cfn-lint's decoder gives short forms) and an
`Environment` in, a plain value out. What the template does not determine — a parameter without a value, a
pseudo parameter nobody gave, an export of another stack, an attribute of a resource type without a known
shape — is never guessed: it stays in the value as a `${…}` placeholder with the expression in it
(`${Env}`, `${Queue.Arn}`, `${Fn::ImportValue SharedBucket}`), the convention every later reader (the ASL
parser, the ARN helpers, `is_bucket_name`) already takes for a value known only at deployment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lineage import arn as arns

NO_VALUE = object()  # `AWS::NoValue`: the property is left out, as CloudFormation leaves it out
PSEUDO_PARAMETERS = ("AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::StackName", "AWS::StackId",
                     "AWS::URLSuffix", "AWS::NotificationARNs", "AWS::NoValue")
MAX_DEPTH = 100  # deeper than any template CloudFormation accepts; a cycle of conditions stops here

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
# An ARN whose partition, region or account is a pseudo parameter nobody gave: the rest names the resource,
# and an ARN with an empty region or account is how the tracker writes an ARN whose account is unknown.
_FIELD = r"(?:\$\{AWS::[A-Za-z]+\}|[^:]*)"  # a pseudo parameter's placeholder holds `::` itself
_ARN_FIELDS = re.compile(
    rf"^arn:(?P<partition>{_FIELD}):(?P<service>[^:]*):(?P<region>{_FIELD}):(?P<account>{_FIELD}):")


def placeholder(expression: str) -> str:
    return "${" + expression + "}"


def is_determined(value: Any) -> bool:
    """True when no part of the value waits for deployment."""
    if isinstance(value, str):
        return _PLACEHOLDER.search(value) is None
    if isinstance(value, Mapping):
        return all(is_determined(v) for v in value.values())
    if isinstance(value, list):
        return all(is_determined(v) for v in value)
    return True


def expression_text(value: Any, limit: int = 300) -> str:
    """An intrinsic as written, short enough for evidence."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(slots=True)
class Environment:
    """What the template and its caller determine: parameter values, pseudo parameters, mappings, conditions,
    and what `Ref` and `Fn::GetAtt` give for each resource of the template (filled lazily by `lookup`)."""

    parameters: Mapping[str, Any] = field(default_factory=dict)  # name → value (defaults and given values)
    pseudo: Mapping[str, str] = field(default_factory=dict)  # `AWS::Region` → value, only those known
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)  # name → the condition as written
    # (logical id, attribute or "" for Ref) → its value, or a placeholder when it is known only at deployment
    lookup: Callable[[str, str], Any] | None = None
    _condition_values: dict[str, bool | None] = field(default_factory=dict)

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name.startswith("AWS::"):
            return placeholder(name)
        if name in self.parameters:
            return self.parameters[name]
        if self.lookup is not None:
            return self.lookup(name, "")
        return placeholder(name)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if self.lookup is None:
            return placeholder(f"{logical_id}.{attribute}")
        return self.lookup(logical_id, attribute)

    def condition(self, name: str, depth: int = 0) -> bool | None:
        """A named condition's value; None when it depends on what only deployment knows."""
        if name in self._condition_values:
            return self._condition_values[name]
        self._condition_values[name] = None  # a condition that names itself is undetermined, not endless
        value = _truth(resolve(self.conditions.get(name), self, depth + 1)) if name in self.conditions else None
        self._condition_values[name] = value
        return value


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def resolve(value: Any, env: Environment, depth: int = 0) -> Any:
    """The value with every intrinsic the template determines applied (see the module's note)."""
    if depth > MAX_DEPTH:
        return placeholder("nested too deeply")
    if isinstance(value, Mapping):
        if len(value) == 1:
            (key, argument), = value.items()
            function = _FUNCTIONS.get(str(key))
            if function is not None:
                return function(argument, env, depth + 1)
        resolved = {str(k): resolve(v, env, depth + 1) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
    if isinstance(value, list):
        return [item for item in (resolve(v, env, depth + 1) for v in value) if item is not NO_VALUE]
    if isinstance(value, str):
        return str(value)  # the decoder's string node, as a plain string
    return value


def _ref(argument: Any, env: Environment, depth: int) -> Any:
    if not isinstance(argument, str):
        return placeholder("Ref " + expression_text(argument))
    return env.ref(argument)


def _get_att(argument: Any, env: Environment, depth: int) -> Any:
    if isinstance(argument, str) and "." in argument:
        logical_id, attribute = argument.split(".", 1)
    elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        logical_id = argument[0]
        attribute = resolve(argument[1], env, depth)
        if not isinstance(attribute, str) or not is_determined(attribute):
            return placeholder(f"{logical_id}.{expression_text(attribute)}")
    else:
        return placeholder("Fn::GetAtt " + expression_text(argument))
    return env.get_att(logical_id, attribute)


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_text_of(v) for v in value)
    if isinstance(value, str | int | float):
        return str(value)
    return placeholder(expression_text(value))


def _sub(argument: Any, env: Environment, depth: int) -> Any:
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
        text, variables = argument[0], {str(k): resolve(v, env, depth) for k, v in argument[1].items()}
    else:
        text, variables = argument, {}
    if not isinstance(text, str):
        return placeholder("Fn::Sub " + expression_text(argument))

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name in variables:
            value = variables[name]
        elif "." in name and not name.startswith("AWS::"):
            value = env.get_att(*name.split(".", 1))
        else:
            value = env.ref(name)
        return "" if value is NO_VALUE else _text_of(value)

    substituted = _SUB_VARIABLE.sub(value_of, str(text))
    return known_arn_fields(substituted.replace("${!", "${"), env)


def known_arn_fields(text: str, env: Environment) -> str:
    """An ARN whose partition, region or account waits for a pseudo parameter nobody gave is written as the
    tracker writes an ARN of an unknown account: the partition of its region, an empty region or account.
    Any other placeholder stays: that part of the name is not known."""
    match = _ARN_FIELDS.match(text)
    if match is None:
        return text
    region = env.pseudo.get("AWS::Region", "")
    fields = {"partition": match["partition"], "region": match["region"], "account": match["account"]}
    stand_ins = {"partition": ("${AWS::Partition}", arns.partition(region)),
                 "region": ("${AWS::Region}", ""), "account": ("${AWS::AccountId}", "")}
    for key, (written, meaning) in stand_ins.items():
        if fields[key] == written:
            fields[key] = meaning
    return f"arn:{fields['partition']}:{match['service']}:{fields['region']}:{fields['account']}:" + text[match.end():]


def _join(argument: Any, env: Environment, depth: int) -> Any:
    if not (isinstance(argument, list) and len(argument) == 2):
        return placeholder("Fn::Join " + expression_text(argument))
    delimiter = resolve(argument[0], env, depth)
    items = resolve(argument[1], env, depth)
    if not isinstance(delimiter, str) or not isinstance(items, list):
        return placeholder("Fn::Join " + expression_text(argument))
    return known_arn_fields(str(delimiter).join(_text_of(item) for item in items), env)


def _select(argument: Any, env: Environment, depth: int) -> Any:
    if not (isinstance(argument, list) and len(argument) == 2):
        return placeholder("Fn::Select " + expression_text(argument))
    index, items = resolve(argument[0], env, depth), resolve(argument[1], env, depth)
    try:
        position = int(index)
    except (TypeError, ValueError):
        return placeholder("Fn::Select " + expression_text(argument))
    if isinstance(items, list) and 0 <= position < len(items):
        return items[position]
    return placeholder("Fn::Select " + expression_text(argument))


def _split(argument: Any, env: Environment, depth: int) -> Any:
    if not (isinstance(argument, list) and len(argument) == 2):
        return placeholder("Fn::Split " + expression_text(argument))
    delimiter, text = resolve(argument[0], env, depth), resolve(argument[1], env, depth)
    if isinstance(delimiter, str) and delimiter and isinstance(text, str) and is_determined(text):
        return text.split(delimiter)
    return placeholder("Fn::Split " + expression_text(argument))


def _find_in_map(argument: Any, env: Environment, depth: int) -> Any:
    if not (isinstance(argument, list) and len(argument) >= 3):
        return placeholder("Fn::FindInMap " + expression_text(argument))
    keys = [resolve(item, env, depth) for item in argument[:3]]
    value: Any = env.mappings
    for key in keys:
        if not isinstance(key, str) or not is_determined(key) or not isinstance(value, Mapping) or key not in value:
            if len(argument) > 3 and isinstance(argument[3], Mapping) and "DefaultValue" in argument[3]:
                return resolve(argument[3]["DefaultValue"], env, depth)
            return placeholder("Fn::FindInMap " + expression_text(argument))
        value = value[key]
    return resolve(value, env, depth)


def _if(argument: Any, env: Environment, depth: int) -> Any:
    if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
        return placeholder("Fn::If " + expression_text(argument))
    truth = env.condition(argument[0], depth)
    if truth is None:
        return placeholder(f"Fn::If {argument[0]}")
    return resolve(argument[1] if truth else argument[2], env, depth)


def _equals(argument: Any, env: Environment, depth: int) -> Any:
    if not (isinstance(argument, list) and len(argument) == 2):
        return placeholder("Fn::Equals " + expression_text(argument))
    left, right = (resolve(item, env, depth) for item in argument)
    if not (is_determined(left) and is_determined(right)):
        return placeholder("Fn::Equals " + expression_text(argument))
    return _text_of(left) == _text_of(right)


def _logic(name: str) -> Callable[[Any, Environment, int], Any]:
    """`Fn::And`, `Fn::Or`, `Fn::Not`: decided as soon as a known operand decides (false in an `And`, true in an
    `Or`), unknown only when what is unknown could still change the answer."""
    def apply(argument: Any, env: Environment, depth: int) -> Any:
        if not isinstance(argument, list) or not argument:
            return placeholder(f"{name} " + expression_text(argument))
        values = [_truth(resolve(item, env, depth)) for item in argument]
        if name == "Fn::Not":
            return placeholder(f"{name} " + expression_text(argument)) if values[0] is None else not values[0]
        deciding = name == "Fn::Or"  # the value that decides the whole: true for Or, false for And
        if deciding in values:
            return deciding
        if None in values:
            return placeholder(f"{name} " + expression_text(argument))
        return not deciding
    return apply


def _condition(argument: Any, env: Environment, depth: int) -> Any:
    truth = env.condition(str(argument), depth) if isinstance(argument, str) else None
    return placeholder(f"Condition {expression_text(argument)}") if truth is None else truth


def _import_value(argument: Any, env: Environment, depth: int) -> Any:
    return placeholder("Fn::ImportValue " + expression_text(resolve(argument, env, depth)))


def _to_json_string(argument: Any, env: Environment, depth: int) -> Any:
    return json.dumps(resolve(argument, env, depth), separators=(",", ":"))


def _length(argument: Any, env: Environment, depth: int) -> Any:
    items = resolve(argument, env, depth)
    return len(items) if isinstance(items, list) else placeholder("Fn::Length " + expression_text(argument))


def _unknown(name: str) -> Callable[[Any, Environment, int], Any]:
    """A function whose value only deployment gives (availability zones, CIDR blocks, Base64 of a script)."""
    return lambda argument, env, depth: placeholder(f"{name} " + expression_text(argument, 120))


_FUNCTIONS: dict[str, Callable[[Any, Environment, int], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::FindInMap": _find_in_map,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::And": _logic("Fn::And"),
    "Fn::Or": _logic("Fn::Or"),
    "Fn::Not": _logic("Fn::Not"),
    "Condition": _condition,
    "Fn::ImportValue": _import_value,
    "Fn::ToJsonString": _to_json_string,
    "Fn::Length": _length,
    "Fn::Base64": _unknown("Fn::Base64"),
    "Fn::GetAZs": _unknown("Fn::GetAZs"),
    "Fn::Cidr": _unknown("Fn::Cidr"),
    "Fn::Transform": _unknown("Fn::Transform"),
}
