"""Amazon States Language: what a state machine reads, writes and invokes, from its definition.

Pure: a definition (text or parsed) in, facts out. Every Task, the `ItemReader` and `ResultWriter`
of a Distributed Map and every branch and iterator are walked; each value that names a resource is
either literal (it becomes an edge to that resource) or dynamic — a JSONPath `.$` key, a JSONata
`{% %}` expression, a `${Name}` template substitution — and then becomes an edge to a node that
says it is dynamic, with the expression as evidence. Nothing is guessed, nothing is dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from lineage import arn as arns
from lineage import redact
from lineage.arguments import Direction, direction_of
from lineage.glue_arguments import argument_facts, command_line_arguments, command_line_facts
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node
from lineage.sql import locations_written, tables_read, tables_written

STATE_TYPES = frozenset({"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"})
# Branches and iterators nest a few levels in real definitions; beyond this many, a warning says where
# reading stopped (ids and paths grow with every level, so an unbounded walk could exhaust memory).
MAX_NESTING = 250
EXCERPT_LENGTH = 200
_JSON_TYPES = {int: "number", float: "number", bool: "boolean", list: "list", dict: "object", type(None): "null"}
_TEMPLATE = re.compile(r"\$\{[^}]+\}")
_JSONATA = re.compile(r"^\s*\{%.*%\}\s*$", re.S)
# A JSONata expression that is only a string literal (`{% 'enrich' %}`) is that literal, known before the run.
_JSONATA_LITERAL = re.compile(r"""^\s*\{%\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*%\}\s*$""")
_RESOURCE = re.compile(r"^arn:[^:]+:states:[^:]*:[^:]*:(?P<integration>.+)$")
_UNQUOTED_PLACEHOLDER = re.compile(r'(?<=[:\[,\s])(\$\{[A-Za-z0-9_:.\-]+\})(?=\s*[,}\]\n])')



class DefinitionError(ValueError):
    """The text is not a state machine definition at all."""


@dataclass(frozen=True, slots=True)
class Machine:
    """Where the definition lives: its node id, region and account resolve bare names."""

    id: str
    region: str = ""
    account: str = ""
    operation: str = "states:DescribeStateMachine"


@dataclass(slots=True)
class AslResult:
    facts: Facts
    warnings: list[str]
    integrations: list[str]  # every Task resource, as written, in document order
    control_calls: list[str]  # aws-sdk calls that touch configuration, not data


@dataclass(slots=True)
class _Walk:
    machine: Machine
    query_language: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str, EdgeKind], list[Evidence]] = field(default_factory=dict)
    linked_paths: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    integrations: list[str] = field(default_factory=list)
    control_calls: list[str] = field(default_factory=list)

    def evidence(self, path: str, excerpt: Any, dynamic: bool = False) -> Evidence:
        return Evidence(self.machine.operation, self.machine.id, path, redact.short(_text(excerpt), EXCERPT_LENGTH),
                        dynamic)

    def link(self, target: str, kind: str, direction: EdgeKind, evidence: Evidence,
             attributes: Mapping[str, Any] | None = None) -> None:
        dynamic = bool(attributes and attributes.get("dynamic"))
        if not target.strip() or target != target.strip() or arns.is_dynamic(target) != dynamic:
            # Text that names no place (blank, or written to look like one of our own dynamic ids).
            self.warn(evidence.path, f"{redact.short(_text(target), 100)!r} names no {kind}")
            return
        if target not in self.nodes:
            self.nodes[target] = arns.referenced_node(target, kind, attributes)
        if direction == EdgeKind.READS:
            key = (target, self.machine.id, direction)
        else:
            key = (self.machine.id, target, direction)
        self.edges.setdefault(key, []).append(evidence)
        self.linked_paths.add(evidence.path)

    def dynamic(self, kind: str, direction: EdgeKind, path: str, expression: Any) -> None:
        """A reference whose value is known only at run time: a node that says so."""
        target = arns.dynamic_id(self.machine.id, path)
        self.link(target, kind, direction, self.evidence(path, expression, dynamic=True),
                  {"dynamic": True, "expression": redact.short(_text(expression), 1000)})

    def not_a_name(self, path: str, value: Any, kind: str) -> None:
        """A literal of the wrong type where a name is expected: it names nothing, and is not dynamic."""
        word = _JSON_TYPES.get(type(value), type(value).__name__)
        self.warn(path, f"{redact.short(_text(value), 60)} (a {word}) names no {kind}")

    def warn(self, path: str, message: str) -> None:
        if len(path) > 400:  # deep nesting makes long paths; where it starts and ends says enough
            path = f"{path[:200]}…{path[-200:]}"
        # A warning quotes what it met, which may be a secret: marked before the text is cut.
        self.warnings.append(redact.short(f"{path}: {message}" if path else message, 1000))

    def add(self, facts: Facts) -> None:
        """Facts between other resources that the definition states (a job's arguments)."""
        for node in facts.nodes:
            self.nodes.setdefault(node.id, node)
        for edge in facts.edges:
            self.edges.setdefault(edge.key, []).extend(edge.evidence)
            self.linked_paths.update(e.path for e in edge.evidence)


# --- Loading ------------------------------------------------------------------------------------


def load_definition(text: str, filename: str = "") -> tuple[dict[str, Any], list[str]]:
    """The definition as a dict, and warnings about how it had to be read.

    Templates (SAM, CDK, Terraform) leave `${Name}` outside strings where a number or object will be
    substituted; such a placeholder is read as a string so the rest of the definition still counts.
    """
    try:
        return _load(text, filename)
    except RecursionError:
        raise DefinitionError("nested too deeply for the JSON reader (more than about a thousand levels)") from None


def _load(text: str, filename: str) -> tuple[dict[str, Any], list[str]]:
    warnings: list[str] = []
    if filename.endswith((".yaml", ".yml")):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise DefinitionError(f"not valid YAML: {_first_line(error)}") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            substituted, count = _UNQUOTED_PLACEHOLDER.subn(r'"\1"', text)
            try:
                data = json.loads(substituted) if count else None
            except json.JSONDecodeError:
                data = None
            if data is None:
                try:
                    data = yaml.safe_load(text)  # a YAML definition saved without its extension
                except yaml.YAMLError:
                    data = None
                if not isinstance(data, dict):
                    raise DefinitionError(
                        f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
                    ) from None
            else:
                warnings.append(
                    f"{count} template placeholder(s) outside strings were read as dynamic values"
                )
    if not isinstance(data, dict):
        raise DefinitionError("a definition is a JSON object with `StartAt` and `States`")
    if "States" not in data and "StartAt" not in data:
        raise DefinitionError("no `States` and no `StartAt`: not a state machine definition")
    return data, warnings


def _text(value: Any) -> str:
    """A value as written, as short text: strings as they are, anything else as JSON (or its repr when
    it is nested too deeply for the encoder)."""
    if isinstance(value, str):
        return value
    try:
        return redact.short(json.dumps(value, default=str), 10_000)
    except (RecursionError, ValueError, TypeError):
        return redact.short(repr(value), EXCERPT_LENGTH) if not isinstance(value, dict | list) else (
            f"<{type(value).__name__}>")


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --- Walking ------------------------------------------------------------------------------------


def parse_definition(definition: str | Mapping[str, Any], machine: Machine,
                     filename: str = "") -> AslResult:
    """Facts of one definition. A definition that cannot be read yields warnings, never raises."""
    load_warnings: list[str] = []
    if isinstance(definition, str):
        try:
            data, load_warnings = load_definition(definition, filename)
        except DefinitionError as error:
            return AslResult(Facts(), [str(error)], [], [])
    elif isinstance(definition, Mapping):
        data = dict(definition)
    else:
        return AslResult(Facts(), ["a definition is a JSON object with `StartAt` and `States`"], [], [])
    walk = _Walk(machine, str(data.get("QueryLanguage", "JSONPath")))
    walk.warnings.extend(load_warnings)
    _walk_document(walk, data)
    nodes = tuple(walk.nodes.values())
    edges = tuple(Edge(s, t, k, tuple(ev)) for (s, t, k), ev in walk.edges.items())
    return AslResult(Facts(nodes, edges), walk.warnings, walk.integrations, walk.control_calls)


# A branch or iterator inside another: (its definition, its path, the query language it inherits).
_Nested = tuple[Mapping[str, Any], str, str]


def _walk_document(walk: _Walk, data: Mapping[str, Any]) -> None:
    """Every state of every branch and iterator, in document order, without recursion: a definition
    nested deeper than Python's stack is walked like any other, down to `MAX_NESTING` levels."""
    stack: list[Iterator[_Nested]] = [_walk_machine(walk, data, "", walk.query_language)]
    while stack:
        nested = next(stack[-1], None)
        if nested is None:
            stack.pop()
        elif len(stack) > MAX_NESTING:
            walk.warn(nested[1], f"nested more than {MAX_NESTING} branches or iterators deep; what lies "
                      "deeper was not read")
        else:
            stack.append(_walk_machine(walk, *nested))


def _walk_machine(walk: _Walk, data: Mapping[str, Any], path: str, inherited: str) -> Iterator[_Nested]:
    """The states of one (sub-)machine; a branch or iterator it holds is handed back to be walked next."""
    states = data.get("States")
    start = data.get("StartAt")
    if not isinstance(states, dict) or not states:
        walk.warn(path, "`States` is missing or empty")
        return
    if not isinstance(start, str):
        walk.warn(path, "`StartAt` is missing")
    elif start not in states:
        walk.warn(path, f"`StartAt` names `{start}`, which is not a state")
    language = str(data.get("QueryLanguage", inherited))
    for name, state in states.items():
        state_path = f"{path}.States.{name}" if path else f"States.{name}"
        if not isinstance(state, dict):
            walk.warn(state_path, "a state is an object")
            continue
        yield from _walk_state(walk, state, state_path, str(state.get("QueryLanguage", language)), states)


def _walk_state(walk: _Walk, state: Mapping[str, Any], path: str, language: str,
                siblings: Mapping[str, Any]) -> Iterator[_Nested]:
    kind = state.get("Type")
    if not isinstance(kind, str) or kind not in STATE_TYPES:
        shown = repr(redact.short(kind, 100)) if isinstance(kind, str) else redact.short(_text(kind), 100)
        walk.warn(path, f"unknown state type {shown}" if kind else "no `Type`")
        return
    following = state.get("Next")
    if isinstance(following, str) and following not in siblings:
        walk.warn(path, f"`Next` names `{following}`, which is not a state")
    if kind == "Task":
        _walk_task(walk, state, path, language)
    elif kind == "Parallel":
        branches = state.get("Branches")
        if not isinstance(branches, list) or not branches:
            walk.warn(path, "a Parallel state needs `Branches`")
            return
        for index, branch in enumerate(branches):
            if isinstance(branch, dict):
                yield branch, f"{path}.Branches[{index}]", language
    elif kind == "Map":
        yield from _walk_map(walk, state, path, language)
    elif kind == "Choice" and not isinstance(state.get("Choices"), list):
        walk.warn(path, "a Choice state needs `Choices`")


def _walk_map(walk: _Walk, state: Mapping[str, Any], path: str, language: str) -> Iterator[_Nested]:
    processor_key = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
    processor = state.get(processor_key)
    if not isinstance(processor, dict):
        walk.warn(path, "a Map state needs `ItemProcessor` (or `Iterator`)")
    else:
        yield processor, f"{path}.{processor_key}", language
    for key in ("ItemReader", "ResultWriter"):
        block = state.get(key)
        if isinstance(block, dict) and isinstance(block.get("Resource"), str):
            _walk_integration(walk, block, f"{path}.{key}", language, forced=key)


def _walk_task(walk: _Walk, state: Mapping[str, Any], path: str, language: str) -> None:
    resource = state.get("Resource")
    if not isinstance(resource, str) or not resource:
        walk.warn(path, "a Task state needs `Resource`")
        return
    _walk_integration(walk, state, path, language)


def _arguments(block: Mapping[str, Any], language: str) -> tuple[str, Any]:
    if language == "JSONata" or "Arguments" in block:
        return "Arguments", block.get("Arguments") or {}
    return "Parameters", block.get("Parameters") or {}


def _walk_integration(walk: _Walk, block: Mapping[str, Any], path: str, language: str,
                      forced: str = "") -> None:
    resource = block["Resource"]
    walk.integrations.append(resource)
    key, arguments = _arguments(block, language)
    whole = arguments if _is_dynamic_string(arguments) else None
    args = _Args(walk, arguments if isinstance(arguments, dict) else {}, f"{path}.{key}", whole)
    resource_path = f"{path}.Resource"
    resource = _known_integration(resource, walk.machine)
    if _is_dynamic_string(resource):
        walk.dynamic("external", EdgeKind.INVOKES, resource_path, resource)
        return
    if arns.kind_for_arn(resource) == "states.activity":
        _legacy_resource(walk, resource, resource_path)
        return
    match = _RESOURCE.match(resource)
    if match is None:
        _legacy_resource(walk, resource, resource_path)
        return
    integration = match.group("integration")
    service, action = _split_integration(integration)
    if forced == "ItemReader":
        _s3_object(args, EdgeKind.READS)
    elif forced == "ResultWriter":
        _s3_object(args, EdgeKind.WRITES)
    elif (service, action.lower()) in _HANDLERS:
        _HANDLERS[(service, action.lower())](args)
    elif _is_control_call(service, action):
        walk.control_calls.append(integration)
        return
    elif service in _SERVICE_HANDLERS:
        _SERVICE_HANDLERS[service](args, action)
    else:
        node = arns.build_arn(service, walk.machine.region, walk.machine.account, "service")
        walk.link(node, "external", EdgeKind.INVOKES, walk.evidence(resource_path, resource))
    if forced == "" and service not in ("s3",):
        args.s3_paths_by_name()


def _known_integration(resource: str, machine: Machine) -> str:
    """`arn:${AWS::Partition}:states:::batch:submitJob.sync` is the Batch integration whatever the partition:
    a template placeholder in the partition, region or account of a Step Functions ARN hides nothing (the
    machine's own stand in for them)."""
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[2] != "states" or _TEMPLATE.search(parts[5]) or not _TEMPLATE.search(resource):
        return resource
    partition = arns.partition(machine.region) if _TEMPLATE.search(parts[1]) else parts[1]
    region = machine.region if _TEMPLATE.search(parts[3]) else parts[3]
    account = machine.account if _TEMPLATE.search(parts[4]) else parts[4]
    return f"arn:{partition}:states:{region}:{account}:{parts[5]}"


def _split_integration(integration: str) -> tuple[str, str]:
    """`glue:startJobRun.sync` → (glue, startJobRun); `aws-sdk:s3:getObject` → (s3, getObject)."""
    parts = integration.split(":")
    if parts[0] == "aws-sdk" and len(parts) >= 3:
        service, action = parts[1], parts[2]
    elif len(parts) >= 2:
        service, action = parts[0], parts[1]
    else:
        service, action = parts[0], ""
    return service, action.split(".")[0]


# The calls of these services that move data; every other call of theirs reads or steers configuration.
_DYNAMODB_READS = frozenset({"getItem", "query", "scan", "batchGetItem", "transactGetItems"})
_DYNAMODB_DATA = _DYNAMODB_READS | {"putItem", "updateItem", "deleteItem", "batchWriteItem", "transactWriteItems",
                                    "exportTableToPointInTime", "executeStatement", "batchExecuteStatement",
                                    "executeTransaction"}
_SQS_DATA = frozenset({"sendMessage", "sendMessageBatch", "receiveMessage", "deleteMessage", "deleteMessageBatch",
                       "purgeQueue"})
_S3_CONTROL_PREFIXES = ("getBucket", "putBucket", "deleteBucket", "listBuckets", "createBucket", "headBucket",
                        "getPublicAccessBlock", "putPublicAccessBlock", "deletePublicAccessBlock")


def _is_control_call(service: str, action: str) -> bool:
    """Calls that read or steer configuration, not data: left out of the flows, kept in a list."""
    if service in ("sfn", "states") and action != "startExecution":
        return True
    if service == "s3":
        return action.startswith(_S3_CONTROL_PREFIXES)
    if service == "dynamodb":
        return action not in _DYNAMODB_DATA
    if service == "sqs":
        return action not in _SQS_DATA
    return action.startswith(("describe", "list", "get"))


def _legacy_resource(walk: _Walk, resource: str, path: str) -> None:
    kind = arns.kind_for_arn(resource)
    if kind == "lambda.function":
        target = arns.unqualified_lambda_arn(resource)
    elif kind == "states.activity":
        target = resource
    else:
        walk.warn(path, f"`Resource` {redact.short(resource, 200)!r} is not a known integration")
        if arns.parse_arn(resource) is None:
            return  # not an ARN: there is no resource to draw
        target, kind = resource, "external"
    walk.link(target, kind, EdgeKind.INVOKES, walk.evidence(path, resource))


def _literal(value: Any) -> Any:
    """A JSONata string literal as the string it is; any other value as written."""
    if isinstance(value, str) and (match := _JSONATA_LITERAL.match(value)):
        return match.group(1) if match.group(1) is not None else match.group(2)
    return value


def _is_dynamic_string(value: Any) -> bool:
    return isinstance(value, str) and (bool(_JSONATA.match(value)) or bool(_TEMPLATE.search(value)))


# --- Arguments ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Args:
    """The arguments of one Task, read field by field with literal/dynamic told apart."""

    walk: _Walk
    values: Mapping[str, Any]
    path: str
    whole: str | None = None  # the arguments written as one expression: every field is known only at run time

    def raw(self, name: str) -> tuple[Any, str, bool] | None:
        """(value, path, dynamic) of a field, whichever spelling the definition used."""
        if self.whole is not None:
            return self.whole, self.path, True
        if f"{name}.$" in self.values:
            return self.values[f"{name}.$"], f"{self.path}.{name}.$", True
        if name in self.values:
            value = _literal(self.values[name])
            return value, f"{self.path}.{name}", _is_dynamic_string(value)
        return None

    def nested(self, name: str) -> _Args | None:
        value = self.values.get(name)
        if isinstance(value, dict):
            return _Args(self.walk, value, f"{self.path}.{name}")
        return None

    def reference(self, name: str, kind: str, direction: EdgeKind,
                  resolve: Callable[[str], str | None], required: bool = True) -> str | None:
        """Link the resource a field names; a dynamic value is linked as dynamic."""
        found = self.raw(name)
        if found is None:
            if required:
                self.walk.warn(self.path, f"`{name}` is missing")
            return None
        value, path, dynamic = found
        if dynamic:
            self.walk.dynamic(kind, direction, path, value)
            return None
        if not isinstance(value, str):
            self.walk.not_a_name(path, value, kind)
            return None
        if value.startswith(("$.", "$$.")) or value in ("$", "$$"):
            self.walk.warn(path, f"{value!r} is a path, but `{name}` does not end in `.$`: it is passed as "
                           f"written and names no {kind}")
            return None
        target = resolve(value)
        if target is None:
            self.walk.warn(path, f"{value!r} does not name a {kind}")
            return None
        self.walk.link(target, kind, direction, self.walk.evidence(path, value))
        return target

    def s3_paths_by_name(self) -> None:
        """Any `s3://` value among the arguments is a flow; its field name tells which way."""
        for value, path, name in _string_leaves(self.values, self.path):
            parsed = arns.parse_s3_url(value) if value.startswith("s3") else None
            if parsed is None or path in self.walk.linked_paths:
                continue
            direction = direction_of(name)
            if direction == Direction.NONE:
                continue
            edge_kind = EdgeKind.WRITES if direction == Direction.WRITE else EdgeKind.READS
            if _is_dynamic_string(value):
                self.walk.dynamic("s3.location", edge_kind, path, value)
                continue
            excerpt = value if direction != Direction.UNSTATED else f"{value} (direction unstated)"
            target = arns.s3_location_id(*parsed)
            self.walk.link(target, arns.kind_for_arn(target), edge_kind,
                           self.walk.evidence(path, excerpt))


def _string_leaves(value: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """(text, path, name of the field holding it) of every string inside `value`, in document order;
    fields whose name ends in `.$` are expressions, not values. A `{"Name": …, "Value": …}` pair (a
    container's environment) names its value by `Name`. Iterative: arguments can nest deeply."""
    stack: list[tuple[Any, str, str]] = [(value, path, "")]
    while stack:
        item, item_path, name = stack.pop()
        if isinstance(item, str):
            yield item, item_path, name
        elif isinstance(item, dict):
            pair_name = _pair_name(item)
            stack.extend((child, f"{item_path}.{key}", pair_name if pair_name and key.lower() == "value" else key)
                         for key, child in reversed(list(item.items()))
                         if isinstance(key, str) and not key.endswith(".$"))
        elif isinstance(item, list):
            stack.extend((child, f"{item_path}[{index}]", name) for index, child in reversed(list(enumerate(item))))


def _pair_name(item: Mapping[str, Any]) -> str | None:
    keys = {key.lower(): key for key in item if isinstance(key, str)}
    if set(keys) == {"name", "value"} and isinstance(item[keys["name"]], str):
        return item[keys["name"]]
    return None


# --- Integrations -------------------------------------------------------------------------------


def _in_account(args: _Args, build: Callable[[str, str, str], str]) -> Callable[[str], str | None]:
    """Resolve a bare name, or accept an ARN as written."""
    machine = args.walk.machine

    def resolve(value: str) -> str | None:
        if value.startswith("arn:"):
            return value
        return build(machine.region, machine.account, value)

    return resolve


def _lambda(args: _Args) -> None:
    machine = args.walk.machine

    def resolve(value: str) -> str | None:
        if value.startswith("arn:"):
            return arns.unqualified_lambda_arn(value)
        parts = value.split(":")
        if len(parts) >= 3 and parts[1] == "function":  # ACCOUNT:function:NAME[:QUALIFIER]
            return arns.lambda_function_arn(machine.region, parts[0], parts[2])
        return arns.lambda_function_arn(machine.region, machine.account, parts[0])

    args.reference("FunctionName", "lambda.function", EdgeKind.INVOKES, resolve)


def _glue_job(args: _Args) -> None:
    """The job is invoked; the paths and tables in the `Arguments` it is given are its own flows."""
    job = args.reference("JobName", "glue.job", EdgeKind.INVOKES, _in_account(args, arns.glue_job_arn))
    found = args.raw("Arguments")
    if found is None or found[2] or not isinstance(found[0], dict):
        return  # a dynamic argument map: the generic scan of S3 paths ties its literal paths to the machine
    literal = {k: _literal(v) for k, v in found[0].items() if isinstance(k, str) and not k.endswith(".$")}
    literal = {k: v for k, v in literal.items() if not _is_dynamic_string(v)}
    machine = args.walk.machine
    # A job known only at run time cannot hold the flows: the machine that names them does.
    args.walk.add(argument_facts(job or machine.id, literal, machine.region, machine.account, machine.operation,
                                 machine.id, found[1]))


def _glue_workflow(args: _Args) -> None:
    args.reference("Name", "glue.workflow", EdgeKind.INVOKES, _in_account(args, arns.glue_workflow_arn))


def _glue_crawler(args: _Args) -> None:
    args.reference("Name", "glue.crawler", EdgeKind.INVOKES, _in_account(args, arns.glue_crawler_arn))


def _dynamodb(direction: EdgeKind) -> Callable[[_Args], None]:
    def handle(args: _Args) -> None:
        resolve = _in_account(args, arns.dynamodb_table_arn)
        if "TransactItems" in args.values or "TransactItems.$" in args.values:
            _transact_items(args, resolve)
            return
        if "RequestItems" in args.values or "RequestItems.$" in args.values:
            found = args.raw("RequestItems")
            if found and isinstance(found[0], dict) and not found[2]:
                for table in found[0]:
                    if not isinstance(table, str):  # a YAML key that is not text names no table
                        args.walk.warn(found[1], f"{table!r} is not a table name")
                        continue
                    target = resolve(table)
                    args.walk.link(target, "dynamodb.table", direction,
                                   args.walk.evidence(f"{found[1]}.{table}", table))
            elif found and found[2]:
                args.walk.dynamic("dynamodb.table", direction, found[1], found[0])
            elif found:
                args.walk.not_a_name(found[1], found[0], "map of tables")
            return
        args.reference("TableName", "dynamodb.table", direction, resolve)

    return handle


# In a transaction each item names its table; a condition check or a get reads it, the rest write it.
_TRANSACT_DIRECTION = {"Put": EdgeKind.WRITES, "Update": EdgeKind.WRITES, "Delete": EdgeKind.WRITES,
                       "ConditionCheck": EdgeKind.READS, "Get": EdgeKind.READS}


def _transact_items(args: _Args, resolve: Callable[[str], str | None]) -> None:
    found = args.raw("TransactItems")
    if found is None:
        return
    items, path, dynamic = found
    if dynamic:
        args.walk.dynamic("dynamodb.table", EdgeKind.WRITES, path, items)
        return
    if not isinstance(items, list):
        args.walk.not_a_name(path, items, "list of transaction items")
        return
    for index, item in enumerate(items):
        for operation, direction in _TRANSACT_DIRECTION.items():
            block = item.get(operation) if isinstance(item, dict) else None
            if isinstance(block, dict):
                _Args(args.walk, block, f"{path}[{index}].{operation}").reference(
                    "TableName", "dynamodb.table", direction, resolve)


def _dynamodb_export(args: _Args) -> None:
    """A table exported to S3: read from the table, written under the bucket and prefix."""
    args.reference("TableArn", "dynamodb.table", EdgeKind.READS, _in_account(args, arns.dynamodb_table_arn))
    bucket = args.raw("S3Bucket")
    if bucket is None:
        args.walk.warn(args.path, "`S3Bucket` is missing")
    elif bucket[2]:
        args.walk.dynamic("s3.location", EdgeKind.WRITES, bucket[1], bucket[0])
    elif not isinstance(bucket[0], str):
        args.walk.not_a_name(bucket[1], bucket[0], "bucket")
    else:
        prefix = args.raw("S3Prefix")
        literal_prefix = prefix[0] if prefix and not prefix[2] and isinstance(prefix[0], str) else ""
        target = arns.s3_location_id(bucket[0], literal_prefix)
        excerpt = f"s3://{bucket[0]}/{literal_prefix}" + (f" + {prefix[1]}" if prefix and prefix[2] else "")
        args.walk.link(target, arns.kind_for_arn(target), EdgeKind.WRITES,
                       args.walk.evidence(bucket[1], excerpt, dynamic=bool(prefix and prefix[2])))


def _dynamodb_service(args: _Args, action: str) -> None:
    if action == "exportTableToPointInTime":
        _dynamodb_export(args)
        return
    reads = action in _DYNAMODB_READS
    _dynamodb(EdgeKind.READS if reads else EdgeKind.WRITES)(args)


def _sqs(args: _Args, action: str) -> None:
    direction = EdgeKind.READS if action.startswith("receive") else EdgeKind.WRITES

    def resolve(value: str) -> str | None:
        return value if value.startswith("arn:") else arns.queue_url_to_arn(value)

    args.reference("QueueUrl", "sqs.queue", direction, resolve)


def _sns(args: _Args) -> None:
    field_name = next((f for f in ("TopicArn", "TargetArn") if args.raw(f)), None)
    if field_name is None:
        if (phone := args.raw("PhoneNumber")) is not None:
            args.walk.link("arn:aws:sns:::sms", "external", EdgeKind.WRITES, args.walk.evidence(phone[1], "SMS"))
            return
        args.walk.warn(args.path, "`TopicArn` is missing")
        return
    args.reference(field_name, "sns.topic", EdgeKind.WRITES, lambda v: v if v.startswith("arn:") else None)


def _events(args: _Args) -> None:
    found = args.raw("Entries")
    if found is None:
        args.walk.warn(args.path, "`Entries` is missing")
        return
    entries, path, dynamic = found
    if dynamic:
        args.walk.dynamic("events.bus", EdgeKind.WRITES, path, entries)
        return
    if not isinstance(entries, list):
        args.walk.not_a_name(path, entries, "list of events")
        return
    resolve = _in_account(args, arns.event_bus_arn)
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        entry_args = _Args(args.walk, entry, f"{path}[{index}]")
        if entry_args.raw("EventBusName") is None:
            target = arns.event_bus_arn(args.walk.machine.region, args.walk.machine.account, "default")
            args.walk.link(target, "events.bus", EdgeKind.WRITES,
                           args.walk.evidence(f"{path}[{index}]", "EventBusName not given: default bus"))
        else:
            entry_args.reference("EventBusName", "events.bus", EdgeKind.WRITES, resolve)


def _athena(args: _Args) -> None:
    machine = args.walk.machine
    database = ""
    context = args.nested("QueryExecutionContext")
    if context is not None and (found := context.raw("Database")) and not found[2]:
        database = str(found[0])
    workgroup = args.raw("WorkGroup")
    if workgroup is None:
        target = arns.athena_workgroup_arn(machine.region, machine.account, "primary")
        args.walk.link(target, "athena.workgroup", EdgeKind.INVOKES,
                       args.walk.evidence(args.path, "WorkGroup not given: primary"))
    else:
        args.reference("WorkGroup", "athena.workgroup", EdgeKind.INVOKES,
                       _in_account(args, arns.athena_workgroup_arn))
    query = args.raw("QueryString")
    if query is None:
        args.walk.warn(args.path, "`QueryString` is missing")
    elif query[2]:
        args.walk.dynamic("glue.table", EdgeKind.READS, query[1], query[0])
    elif not isinstance(query[0], str):
        args.walk.not_a_name(query[1], query[0], "query")
    else:
        excerpt = redact.sql(query[0])  # literals may be secrets or personal data
        read, warning = tables_read(query[0], database)
        if warning:
            args.walk.warn(query[1], warning)
        for db, table in read:
            if not db:
                args.walk.warn(query[1], f"table {table!r} has no database and none is given")
                continue
            target = arns.glue_table_arn(machine.region, machine.account, db, table)
            args.walk.link(target, "glue.table", EdgeKind.READS, args.walk.evidence(query[1], excerpt))
        for db, table in tables_written(query[0], database):
            target = arns.glue_table_arn(machine.region, machine.account, db, table)
            args.walk.link(target, "glue.table", EdgeKind.WRITES, args.walk.evidence(query[1], excerpt))
        for location in locations_written(query[0]):
            parsed = arns.parse_s3_url(location)
            if parsed is None:
                args.walk.warn(query[1], f"UNLOAD to {location!r}, which is not an S3 path")
                continue
            target = arns.s3_location_id(*parsed)
            args.walk.link(target, arns.kind_for_arn(target), EdgeKind.WRITES, args.walk.evidence(query[1], excerpt))
    result = args.nested("ResultConfiguration")
    if result is not None and result.raw("OutputLocation") is not None:
        _s3_field(result, "OutputLocation", EdgeKind.WRITES)


def _s3_field(args: _Args, name: str, direction: EdgeKind) -> None:
    def resolve(value: str) -> str | None:
        parsed = arns.parse_s3_url(value)
        return arns.s3_location_id(*parsed) if parsed else None

    found = args.raw(name)
    if found is None:
        return
    value, path, dynamic = found
    if dynamic:
        args.walk.dynamic("s3.location", direction, path, value)
        return
    if not isinstance(value, str):
        args.walk.not_a_name(path, value, "S3 location")
        return
    target = resolve(value)
    if target is None:
        args.walk.warn(path, f"{value!r} is not an S3 path")
        return
    args.walk.link(target, arns.kind_for_arn(target), direction, args.walk.evidence(path, value))


def _s3_object(args: _Args, direction: EdgeKind) -> None:
    """Bucket with Key or Prefix: a literal bucket with a dynamic key is a flow into that bucket."""
    bucket = args.raw("Bucket")
    if bucket is None:
        args.walk.warn(args.path, "`Bucket` is missing")
        return
    value, path, dynamic = bucket
    if dynamic:
        args.walk.dynamic("s3.location", direction, path, value)
        return
    if not isinstance(value, str):
        args.walk.not_a_name(path, value, "bucket")
        return
    if value.strip() and not arns.is_bucket_name(value):
        args.walk.warn(path, f"{value!r} does not name a bucket")
        return
    prefix, prefix_dynamic, prefix_path = "", False, path
    for name in ("Prefix", "Key"):
        found = args.raw(name)
        if found is not None:
            prefix_value, prefix_path, prefix_dynamic = found
            if not prefix_dynamic and isinstance(prefix_value, str):
                prefix = prefix_value if name == "Prefix" else prefix_value.rpartition("/")[0]
            break
    target = arns.s3_location_id(value, prefix)
    excerpt = f"s3://{value}/{prefix}" if not prefix_dynamic else f"s3://{value}/ + {prefix_path}"
    args.walk.link(target, arns.kind_for_arn(target), direction,
                   args.walk.evidence(path, excerpt, dynamic=prefix_dynamic))


def _s3_service(args: _Args, action: str) -> None:
    if action in ("copyObject",):
        source = args.raw("CopySource")
        if source and not source[2] and isinstance(source[0], str):
            bucket, _, key = source[0].lstrip("/").partition("/")
            target = arns.s3_location_id(bucket, key.rpartition("/")[0])
            args.walk.link(target, arns.kind_for_arn(target), EdgeKind.READS,
                           args.walk.evidence(source[1], source[0]))
        elif source and source[2]:
            args.walk.dynamic("s3.location", EdgeKind.READS, source[1], source[0])
        elif source:
            args.walk.not_a_name(source[1], source[0], "copy source")
        _s3_object(args, EdgeKind.WRITES)
        return
    writes = action.startswith(("put", "delete", "copy", "upload", "restore", "createMultipart",
                                "completeMultipart", "abortMultipart"))
    _s3_object(args, EdgeKind.WRITES if writes else EdgeKind.READS)


def _start_execution(args: _Args) -> None:
    args.reference("StateMachineArn", "states.state_machine", EdgeKind.INVOKES,
                   _in_account(args, arns.state_machine_arn))


def _ecs(args: _Args) -> None:
    def resolve(value: str) -> str | None:
        if value.startswith("arn:"):
            return value
        machine = args.walk.machine
        return arns.build_arn("ecs", machine.region, machine.account, f"task-definition/{value}")

    args.reference("TaskDefinition", "ecs.task_definition", EdgeKind.INVOKES, resolve)


def _batch(args: _Args) -> None:
    def resolve(value: str) -> str | None:
        if value.startswith("arn:"):
            return value
        machine = args.walk.machine
        return arns.build_arn("batch", machine.region, machine.account, f"job-queue/{value}")

    args.reference("JobQueue", "batch.job_queue", EdgeKind.INVOKES, resolve)


def _bedrock(args: _Args) -> None:
    def resolve(value: str) -> str | None:
        machine = args.walk.machine
        return arns.bedrock_model_arn(value, machine.region, machine.account)

    model = args.reference("ModelId", "bedrock.model", EdgeKind.INVOKES, resolve)
    _guardrail(args, model)
    for name, direction in (("Input", EdgeKind.READS), ("Output", EdgeKind.WRITES)):
        block = args.nested(name)
        if block is not None:
            _s3_field(block, "S3Uri", direction)


def _guardrail(args: _Args, model: str | None) -> None:
    """The guardrail an invocation names, said on the invocation itself (evidence `GuardrailIdentifier` on the
    machine's INVOKES edge to the model), where the Bedrock rules read it. Arguments written as one expression
    say nothing about a guardrail."""
    guardrail = args.raw("GuardrailIdentifier") if args.whole is None else None
    named = args.raw("ModelId")
    if guardrail is None or named is None or (model is None and not named[2]):
        return
    identifier, path, dynamic = guardrail
    version = args.raw("GuardrailVersion")
    excerpt = _text(identifier) + (f" version {_text(version[0])}" if version is not None else "")
    evidence = args.walk.evidence(path, excerpt, dynamic)
    if model is not None:
        args.walk.link(model, "bedrock.model", EdgeKind.INVOKES, evidence)
    else:  # the model is known only at run time; the guardrail is still said on the call
        args.walk.link(arns.dynamic_id(args.walk.machine.id, named[1]), "bedrock.model", EdgeKind.INVOKES, evidence,
                       {"dynamic": True})


_FETCHING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _http(args: _Args) -> None:
    """A GET fetches data from the endpoint into the machine; any other method (or one known only at run
    time) sends data to it."""
    method = args.raw("Method")
    fetches = method is not None and not method[2] and str(method[0]).upper() in _FETCHING_METHODS
    # The endpoint is the place, without what may carry a credential (userinfo, query, fragment).
    args.reference("ApiEndpoint", "external", EdgeKind.READS if fetches else EdgeKind.WRITES, redact.endpoint)


# `ID.execute-api.REGION.amazonaws.com` (with or without a scheme, a stage or a path after it).
_EXECUTE_API_HOST = re.compile(
    r"^(?:https?://)?(?P<api>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?:[/:?#].*)?$",
    re.I)


def _apigateway(args: _Args) -> None:
    """An API Gateway endpoint is the API it serves (`arn:aws:execute-api:REGION:ACCOUNT:ID`, the id the API
    Gateway collector gives it), in the machine's account: the host names the API and its region, never its
    account. A custom domain names no API: the endpoint itself is the place."""
    machine = args.walk.machine

    def resolve(value: str) -> str | None:
        if (match := _EXECUTE_API_HOST.match(value.strip())) is not None:
            region = match.group("region").lower()
            return arns.build_arn("execute-api", region, machine.account, match.group("api"))
        return redact.endpoint(f"https://{value}" if "://" not in value else value)

    api = args.reference("ApiEndpoint", "apigateway.api", EdgeKind.INVOKES, resolve)
    method, path = args.raw("Method"), args.raw("Path")
    if api is None or not api.startswith("arn:") or method is None or path is None or method[2] or path[2]:
        return  # the API is all that is known: a route chosen at run time, or none named
    if isinstance(method[0], str) and isinstance(path[0], str) and method[0].strip() and "{" not in path[0]:
        # The route the call reaches, as the API Gateway collector names it: what lies behind it follows.
        verb = method[0].strip().upper()
        route = f"{api}/*/{'*' if verb == 'ANY' else verb}/{path[0].strip().lstrip('/')}"
        args.walk.link(route, "apigateway.route", EdgeKind.INVOKES,
                       args.walk.evidence(path[1], f"{verb} {path[0]}"))


def _stream(kind: str, field_name: str, service: str) -> Callable[[_Args], None]:
    def handle(args: _Args) -> None:
        machine = args.walk.machine
        segment = "stream" if service == "kinesis" else "deliverystream"

        def resolve(value: str) -> str | None:
            if value.startswith("arn:"):
                return value
            return arns.build_arn(service, machine.region, machine.account, f"{segment}/{value}")

        name = field_name if args.raw(field_name) or not args.raw("StreamARN") else "StreamARN"
        args.reference(name, kind, EdgeKind.WRITES, resolve)

    return handle


# --- Batch processing and machine learning: the job or cluster a Task starts, and the places it names --------


def _owner_flow(args: _Args, owner: str | None, name: str, kind: str, direction: EdgeKind) -> None:
    """The S3 place a field names, as a flow of `owner` (the job the Task starts) or, when the job is known
    only at run time, of the machine that names it. A dynamic place is the machine's: it names it."""
    found = args.raw(name)
    if found is None:
        return
    value, path, dynamic = found
    if owner is None or dynamic or not isinstance(value, str):
        _s3_field(args, name, direction)
        return
    parsed = arns.parse_s3_url(value)
    if parsed is None:
        args.walk.warn(path, f"{value!r} is not an S3 path")
        return
    place = arns.s3_location_id(*parsed)
    evidence = args.walk.evidence(path, value)
    edge = Edge(owner, place, direction, (evidence,)) if direction == EdgeKind.WRITES else Edge(
        place, owner, direction, (evidence,))
    args.walk.add(Facts((arns.referenced_node(place, kind),), (edge,)))


def _judged(args: _Args, *paths: str) -> None:
    """Paths that hold code or runtime settings (a script, a jar), never data: not read as flows by name."""
    args.walk.linked_paths.update(paths)


def _command_line(args: _Args, owner: str | None, name: str) -> None:
    """A command line (`Args`, `EntryPointArguments`) read as a job's arguments are: the job's flows, or the
    machine's when the job is known only at run time. Values known only at run time name nothing here."""
    found = args.raw(name)
    if found is None or found[2] or not isinstance(found[0], list):
        return
    values, path, _ = found
    line = ["" if not isinstance(v, str) or _is_dynamic_string(_literal(v)) else _literal(v) for v in values]
    machine = args.walk.machine
    _, code = command_line_arguments(line, path)
    _judged(args, *(f"{path}[{index}]" for index in code))
    args.walk.add(command_line_facts(owner or machine.id, line, machine.region, machine.account,
                                     machine.operation, machine.id, path))


def _emr_step(args: _Args, owner: str | None) -> None:
    jar_step = args.nested("HadoopJarStep")
    if jar_step is None:
        return
    _judged(args, f"{jar_step.path}.Jar")  # the program the step runs
    _command_line(jar_step, owner, "Args")


def _emr_add_step(args: _Args) -> None:
    """`elasticmapreduce:addStep`: the cluster runs the step; what its arguments name are the cluster's flows."""
    cluster = args.reference("ClusterId", "emr.cluster", EdgeKind.INVOKES, _in_account(args, arns.emr_cluster_arn))
    step = args.nested("Step")
    if step is not None:
        _emr_step(step, cluster)


def _emr_add_job_flow_steps(args: _Args) -> None:
    """`aws-sdk:emr:addJobFlowSteps`: the same, for each of its `Steps`."""
    cluster = args.reference("JobFlowId", "emr.cluster", EdgeKind.INVOKES, _in_account(args, arns.emr_cluster_arn))
    found = args.raw("Steps")
    if found is None or found[2] or not isinstance(found[0], list):
        return
    for index, step in enumerate(found[0]):
        if isinstance(step, dict):
            _emr_step(_Args(args.walk, step, f"{found[1]}[{index}]"), cluster)


def _emr_serverless_start_job_run(args: _Args) -> None:
    """`emr-serverless:startJobRun`: the application runs the job; its entry point arguments are the
    application's flows, and its S3 log place is written by it. The entry point and the spark-submit
    parameters are code."""
    application = args.reference("ApplicationId", "emr_serverless.application", EdgeKind.INVOKES,
                                 _in_account(args, arns.emr_serverless_application_arn))
    driver = args.nested("JobDriver")
    spark = driver.nested("SparkSubmit") if driver is not None else None
    if spark is not None:
        _judged(spark, f"{spark.path}.EntryPoint", f"{spark.path}.SparkSubmitParameters")
        _command_line(spark, application, "EntryPointArguments")
    hive = driver.nested("Hive") if driver is not None else None
    if hive is not None:
        _judged(hive, f"{hive.path}.Query", f"{hive.path}.InitQueryFile")  # files of HiveQL: code
    overrides = args.nested("ConfigurationOverrides")
    monitoring = overrides.nested("MonitoringConfiguration") if overrides is not None else None
    s3_logs = monitoring.nested("S3MonitoringConfiguration") if monitoring is not None else None
    if s3_logs is not None:
        _owner_flow(s3_logs, application, "LogUri", "s3.location", EdgeKind.WRITES)


def _sagemaker_arn(prefix: str) -> Callable[[str, str, str], str]:
    return lambda region, account, name: arns.sagemaker_arn(region, account, prefix, name)


def _sagemaker_job(args: _Args, name_field: str, kind: str, prefix: str) -> str | None:
    """The job the Task creates: a node when its name is written, a dynamic one (the usual case: one name per
    execution) when not. Its flows are the job's when it is named, the machine's otherwise."""
    return args.reference(name_field, kind, EdgeKind.INVOKES, _in_account(args, _sagemaker_arn(prefix)))


def _each(args: _Args | None, name: str, direction: EdgeKind) -> list[_Args]:
    """The objects of a list field (inputs, outputs); a list known only at run time names a dynamic place."""
    found = args.raw(name) if args is not None else None
    if args is None or found is None:
        return []
    if found[2]:
        args.walk.dynamic("s3.location", direction, found[1], found[0])
        return []
    if not isinstance(found[0], list):
        args.walk.not_a_name(found[1], found[0], f"list of {name}")
        return []
    return [_Args(args.walk, item, f"{found[1]}[{index}]") for index, item in enumerate(found[0])
            if isinstance(item, dict)]


def _nested(args: _Args | None, *names: str) -> _Args | None:
    for name in names:
        if args is None:
            return None
        args = args.nested(name)
    return args


def _sagemaker_training(args: _Args) -> None:
    job = _sagemaker_job(args, "TrainingJobName", "sagemaker.training_job", "training-job")
    for channel in _each(args, "InputDataConfig", EdgeKind.READS):
        if (source := _nested(channel, "DataSource", "S3DataSource")) is not None:
            _owner_flow(source, job, "S3Uri", "s3.location", EdgeKind.READS)
    if (output := args.nested("OutputDataConfig")) is not None:
        _owner_flow(output, job, "S3OutputPath", "s3.location", EdgeKind.WRITES)
    if (checkpoint := args.nested("CheckpointConfig")) is not None:
        _owner_flow(checkpoint, job, "S3Uri", "s3.location", EdgeKind.WRITES)


def _sagemaker_processing(args: _Args) -> None:
    job = _sagemaker_job(args, "ProcessingJobName", "sagemaker.processing_job", "processing-job")
    for item in _each(args, "ProcessingInputs", EdgeKind.READS):
        if (source := item.nested("S3Input")) is not None:
            _owner_flow(source, job, "S3Uri", "s3.location", EdgeKind.READS)
    for item in _each(args.nested("ProcessingOutputConfig"), "Outputs", EdgeKind.WRITES):
        if (target := item.nested("S3Output")) is not None:
            _owner_flow(target, job, "S3Uri", "s3.location", EdgeKind.WRITES)


def _sagemaker_transform(args: _Args) -> None:
    job = _sagemaker_job(args, "TransformJobName", "sagemaker.transform_job", "transform-job")
    model = args.raw("ModelName")
    if model is not None:
        if job is None or model[2] or not isinstance(model[0], str):
            args.reference("ModelName", "sagemaker.model", EdgeKind.READS, _in_account(args, _sagemaker_arn("model")))
        else:  # the named job loads the model
            machine = args.walk.machine
            model_id = _sagemaker_arn("model")(machine.region, machine.account, model[0])
            args.walk.add(Facts((arns.referenced_node(model_id, "sagemaker.model"),),
                                (Edge(model_id, job, EdgeKind.READS, (args.walk.evidence(model[1], model[0]),)),)))
    if (source := _nested(args, "TransformInput", "DataSource", "S3DataSource")) is not None:
        _owner_flow(source, job, "S3Uri", "s3.location", EdgeKind.READS)
    if (output := args.nested("TransformOutput")) is not None:
        _owner_flow(output, job, "S3OutputPath", "s3.location", EdgeKind.WRITES)


_HANDLERS: dict[tuple[str, str], Callable[[_Args], None]] = {
    ("lambda", "invoke"): _lambda,
    ("glue", "startjobrun"): _glue_job,
    ("glue", "startcrawler"): _glue_crawler,
    ("glue", "startworkflowrun"): _glue_workflow,
    ("sns", "publish"): _sns,
    ("events", "putevents"): _events,
    ("eventbridge", "putevents"): _events,
    ("athena", "startqueryexecution"): _athena,
    ("states", "startexecution"): _start_execution,
    ("sfn", "startexecution"): _start_execution,
    ("ecs", "runtask"): _ecs,
    ("batch", "submitjob"): _batch,
    ("bedrock", "invokemodel"): _bedrock,
    ("bedrockruntime", "invokemodel"): _bedrock,
    ("http", "invoke"): _http,
    ("apigateway", "invoke"): _apigateway,
    ("elasticmapreduce", "addstep"): _emr_add_step,
    ("emr", "addjobflowsteps"): _emr_add_job_flow_steps,
    ("emr-serverless", "startjobrun"): _emr_serverless_start_job_run,
    ("emrserverless", "startjobrun"): _emr_serverless_start_job_run,
    ("sagemaker", "createtrainingjob"): _sagemaker_training,
    ("sagemaker", "createprocessingjob"): _sagemaker_processing,
    ("sagemaker", "createtransformjob"): _sagemaker_transform,
    ("kinesis", "putrecord"): _stream("kinesis.stream", "StreamName", "kinesis"),
    ("kinesis", "putrecords"): _stream("kinesis.stream", "StreamName", "kinesis"),
    ("firehose", "putrecord"): _stream("firehose.delivery_stream", "DeliveryStreamName", "firehose"),
    ("firehose", "putrecordbatch"): _stream(
        "firehose.delivery_stream", "DeliveryStreamName", "firehose"
    ),
}

_SERVICE_HANDLERS: dict[str, Callable[[_Args, str], None]] = {
    "dynamodb": _dynamodb_service,
    "sqs": _sqs,
    "s3": _s3_service,
}
