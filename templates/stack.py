"""A template placed where it will deploy: parameter values, account and region, and every resource's name,
id and resolved properties.

Names are looked up lazily: a bucket named `!Sub "${Other}-copy"` needs only `Other`'s name, never its whole
configuration, and a name that (wrongly) names itself is undetermined rather than endless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lineage import arn as arns
from templates.document import Resource, Template
from templates.intrinsics import Environment, expression_text, is_determined, placeholder, resolve
from templates.naming import (
    SHAPES,
    Shape,
    cfn_id,
    determined_name,
    kind_of_unknown,
    name_in,
    stand_in_name,
    value_of,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the templates will deploy, as far as the caller says; what is not said stays unknown."""

    account: str = ""
    region: str = ""
    stack_name: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Placed:
    """One resource of a placed template: its resolved properties and the id its node will have."""

    resource: Resource
    properties: Mapping[str, Any]
    kind: str
    name: str  # the physical name; a stand-in when CloudFormation chooses it
    id: str  # the ARN (with the stand-in name when generated); `cfn:` id for a type without a known shape
    named: bool  # the template determines the name
    shape: Shape | None

    @property
    def logical_id(self) -> str:
        return self.resource.logical_id

    @property
    def type(self) -> str:
        return self.resource.type


class Stack:
    """A template with its environment: `placed` holds every resource, `stand_ins` maps each id read under a
    stand-in name to the `cfn:` id it is shown as."""

    def __init__(self, template: Template, placement: Placement) -> None:
        self.template = template
        # What the caller says wins; else where the source says it deploys (a CDK stack's environment).
        self.account = placement.account or template.account
        self.region = placement.region or template.region
        self.warnings: list[str] = list(template.warnings)
        self._by_id = {r.logical_id: r for r in template.resources}
        self._names: dict[str, tuple[str, bool] | None] = {}
        self._arns_resolving: set[str] = set()  # logical ids whose ARN is being worked out
        self.env = Environment(
            parameters=_parameter_values(template, placement, self.warnings),
            pseudo=_pseudo(template, Placement(self.account, self.region, placement.stack_name)),
            mappings=template.mappings,
            conditions=template.conditions,
            lookup=self._lookup,
        )
        self.placed: dict[str, Placed] = {}
        self.stand_ins: dict[str, str] = {}
        self.dynamics: dict[str, str] = {}  # `dynamic:` id → the expression it stands for
        for resource in template.resources:
            if resource.condition and self.env.condition(resource.condition) is False:
                continue  # not created under the parameters given
            self.placed[resource.logical_id] = self._place(resource)

    def reference(self, owner: str, path: str, value: Any) -> Any:
        """A property that names another resource: itself when the template determines it, else the `dynamic:` id
        of a place known only at deployment, its expression kept for the evidence (see `templates.stack_facts`)."""
        if value is None or (isinstance(value, str) and is_determined(value)):
            return value
        dynamic = arns.dynamic_id(owner, path)
        self.dynamics[dynamic] = expression_text(value)
        return dynamic

    def _place(self, resource: Resource) -> Placed:
        properties = resolve(resource.properties, self.env)
        if not isinstance(properties, Mapping):
            properties = {}
            self.warnings.append(f"resource {resource.logical_id}: `Properties` resolve to no mapping")
        shape = SHAPES.get(resource.type)
        if shape is None:
            node_id = cfn_id(self.template.name, resource.logical_id)
            return Placed(resource, properties, kind_of_unknown(resource.type), resource.logical_id, node_id, False,
                          None)
        name, named = self.name_of(resource.logical_id)
        node_id = self._arn_of(resource, shape, name)
        if not named:
            self.stand_ins[node_id] = cfn_id(self.template.name, resource.logical_id)
        return Placed(resource, properties, shape.kind, name, node_id, named, shape)

    def _arn_of(self, resource: Resource, shape: Shape, name: str) -> str:
        """The ARN under `name`, from the few properties an ARN needs besides it (a rule's bus, a table's
        database, a role's path, an alias's function)."""
        wanted = {"EventBusName", "DatabaseName", "GroupName", "Path", "FunctionName"}
        self._arns_resolving.add(resource.logical_id)
        try:
            properties = {key: resolve(value, self.env) for key, value in resource.properties.items()
                          if key in wanted}
        finally:
            self._arns_resolving.discard(resource.logical_id)
        return shape.arn(name, self.region, self.account, properties)

    def name_of(self, logical_id: str) -> tuple[str, bool]:
        """(physical name, whether the template determines it) of a resource of the template with a known shape."""
        if logical_id in self._names:
            cached = self._names[logical_id]
            return cached if cached is not None else (stand_in_name(self.template.path, logical_id), False)
        resource = self._by_id[logical_id]
        shape = SHAPES[resource.type]
        self._names[logical_id] = None  # while resolving: a name that needs itself is not determined
        name = None
        if shape.name_property is not None:
            written = name_in(resource.properties, shape.name_property)
            if written is not None:
                name = determined_name(resolve(written, self.env))
        result = (name, True) if name else (stand_in_name(self.template.path, logical_id), False)
        self._names[logical_id] = result
        return result

    def _lookup(self, logical_id: str, attribute: str) -> Any:
        resource = self._by_id.get(logical_id)
        shape = SHAPES.get(resource.type) if resource is not None else None
        # An ARN that needs itself (aliases naming each other, a cycle CloudFormation refuses) is not determined.
        if resource is None or shape is None or logical_id in self._arns_resolving:
            return placeholder(logical_id if not attribute else f"{logical_id}.{attribute}")
        name = self.name_of(logical_id)[0]
        arn = self._arn_of(resource, shape, name)
        value = value_of(shape, attribute, name, arn, self.region, self.account)
        return value if value is not None else placeholder(f"{logical_id}.{attribute}")


def _parameter_values(template: Template, placement: Placement, warnings: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, declaration in template.parameters.items():
        declaration = declaration if isinstance(declaration, Mapping) else {}
        kind = str(declaration.get("Type", "String"))
        if name in placement.parameters and placement.parameters[name] is not None:
            value: Any = placement.parameters[name]
        elif "Default" in declaration and not kind.startswith("AWS::SSM::Parameter::Value"):
            value = declaration["Default"]
        else:
            continue  # known only at deployment: `Ref` gives its placeholder
        if isinstance(value, Mapping | list) and kind != "CommaDelimitedList" and not kind.startswith("List<"):
            warnings.append(f"parameter {name}: its value is not text; read as unknown")
            continue
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            values[name] = value if isinstance(value, list) else [part.strip() for part in str(value).split(",")]
        else:
            values[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return values


def _pseudo(template: Template, placement: Placement) -> dict[str, str]:
    pseudo: dict[str, str] = {}
    if placement.region:
        pseudo["AWS::URLSuffix"] = "amazonaws.com.cn" if placement.region.startswith("cn-") else "amazonaws.com"
        pseudo["AWS::Region"] = placement.region
        pseudo["AWS::Partition"] = arns.partition(placement.region)
    if placement.account:
        pseudo["AWS::AccountId"] = placement.account
    stack = placement.stack_name or template.stack
    if stack:
        pseudo["AWS::StackName"] = stack
    return pseudo


def each_placed(stack: Stack, types: frozenset[str], build: Callable[[Placed], T]) -> list[T]:
    """`build` over each resource of `types`; one whose properties have a shape nothing expected (a list where a
    mapping belongs, a number written as a macro) is a warning of the template and costs only itself."""
    built: list[T] = []
    for placed in stack.placed.values():
        if placed.type not in types:
            continue
        try:
            built.append(build(placed))
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            stack.warnings.append(f"resource {placed.logical_id} ({placed.type}): properties of a shape that "
                                  f"cannot be read ({type(error).__name__}: {str(error)[:200]}); left out")
    return built
