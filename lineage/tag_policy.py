"""Tag policies: which tags a resource on a data flow must carry, spelled how, with which values.

Two forms of file are read (`load_tag_policy`), JSON or YAML:

- **An AWS Organizations tag policy**, as it is attached (`{"tags": {"costcenter": {"tag_key": {"@@assign":
  "CostCenter"}, "tag_value": {"@@assign": ["100", "200*"]}, "enforced_for": {"@@assign": ["s3:bucket"]},
  "report_required_tag_for": {"@@assign": ["s3:bucket"]}}}}`), as an effective policy prints it (the same
  without operators), or as `aws organizations describe-policy` and `describe-effective-policy` answer.
  It is judged as AWS judges it: a key present in another capitalisation than its `tag_key` (the policy key
  in lowercase when no `tag_key` is given) is noncompliant, and so is a value that none of `tag_value`
  matches (each may hold one `*`). A key is *required* only on the resource types of
  `report_required_tag_for`; `enforced_for` makes AWS refuse noncompliant tagging on its types (a finding
  there says so: a template would not deploy) but requires nothing. One file is judged alone: `@@append`
  adds to and `@@remove` takes from what `@@assign` sets; what a parent policy would add is not known.
- **A simple form**: `required: [owner, cost-center]`, `allowed: {data-classification: [public,
  internal]}`, and optionally `kinds: [s3.bucket, lambda.function]` (node kinds, or AWS resource types
  such as `s3:bucket` or `s3:*`) to judge those kinds alone. Every key is required on every judged kind
  (`required`) or restricted in its values where present (`allowed`), spelled as written.

Which nodes are judged: observed nodes on a flow (`Graph.on_a_flow`, as the S3 rules decide it) whose tags
were read. A collector records `tags` (an empty mapping for a resource without any) only when it asked AWS
and got an answer, so the choice rests on that attribute rather than on a list of kinds: a node without it
— a kind whose tags no collector reads (state machines, event buses, Glue tables), or a resource whose tag
call failed (already a coverage gap) — is never said to lack tags it may well have. IAM roles record tags
only when they have some, so a role without any is not judged. `TAGS_READ_BY` names the kinds whose
collectors read tags; it serves warnings about a policy's scope and the evidence of findings.

The rules' metadata stand in `TAG_RULES` so `lineage rules` lists them; they judge only with a policy
(`tag_findings`), through the same runner as every rule, so a check failing on one node is that node's gap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from lineage.graph import Graph, build_graph
from lineage.model import Category, Evidence, Facts, Finding, Node, Scan, Severity
from lineage.rules import ANY_KIND, Evaluation, Hit, Rule, evaluate, ordered

ORGANIZATIONS = "organizations"
SIMPLE = "simple"
FILE = "file"  # evidence read from a file (a policy, a template), not from an API call

# The operation that reads each kind's tags, as a collector calls it: where a finding's evidence points.
TAGS_READ_BY: Mapping[str, str] = {
    "s3.bucket": "s3:GetBucketTagging",
    "lambda.function": "lambda:ListTags",
    "dynamodb.table": "dynamodb:ListTagsOfResource",
    "sqs.queue": "sqs:ListQueueTags",
    "sns.topic": "sns:ListTagsForResource",
    "kinesis.stream": "kinesis:ListTagsForStream",
    "firehose.delivery_stream": "firehose:ListTagsForDeliveryStream",
    "logs.log_group": "logs:ListTagsForResource",
    "glue.job": "glue:GetTags",
    "emr.cluster": "elasticmapreduce:DescribeCluster",
    "iam.role": "iam:GetRole",
    "pipes.pipe": "pipes:DescribePipe",
    "quicksight.dataset": "quicksight:ListTagsForResource",
    "scheduler.schedule": "scheduler:ListTagsForResource",
    "apigateway.api": "apigateway:GetRestApis",
    "appsync.api": "appsync:ListGraphqlApis",
}

# AWS resource types (`service:type`, as tag policies and the Resource Groups Tagging API name them) of the
# kinds the tracker reads. A type not here names nothing the tracker reads (`ec2:instance`): a warning.
RESOURCE_TYPE_KINDS: Mapping[str, str] = {
    "s3:bucket": "s3.bucket",
    "lambda:function": "lambda.function",
    "dynamodb:table": "dynamodb.table",
    "sqs:queue": "sqs.queue",
    "sns:topic": "sns.topic",
    "kinesis:stream": "kinesis.stream",
    "firehose:deliverystream": "firehose.delivery_stream",
    "logs:log-group": "logs.log_group",
    "glue:job": "glue.job",
    "glue:crawler": "glue.crawler",
    "glue:database": "glue.database",
    "glue:table": "glue.table",
    "glue:workflow": "glue.workflow",
    "states:statemachine": "states.state_machine",
    "events:rule": "events.rule",
    "events:event-bus": "events.bus",
    "athena:workgroup": "athena.workgroup",
    "elasticmapreduce:cluster": "emr.cluster",
    "iam:role": "iam.role",
    "kms:key": "kms.key",
    "pipes:pipe": "pipes.pipe",
    "scheduler:schedule-group": "scheduler.schedule",  # a schedule carries its group's tags
    "quicksight:dataset": "quicksight.dataset",
    "quicksight:datasource": "quicksight.data_source",
    "quicksight:dashboard": "quicksight.dashboard",
    "quicksight:analysis": "quicksight.analysis",
    "apigateway:restapis": "apigateway.api",
    "apigateway:apis": "apigateway.api",
    "appsync:apis": "appsync.api",
    "sagemaker:endpoint": "sagemaker.endpoint",
    "sagemaker:model": "sagemaker.model",
    "sagemaker:feature-group": "sagemaker.feature_group",
    "sagemaker:training-job": "sagemaker.training_job",
    "sagemaker:processing-job": "sagemaker.processing_job",
    "sagemaker:transform-job": "sagemaker.transform_job",
    "bedrock:agent": "bedrock.agent",
    "bedrock:knowledge-base": "bedrock.knowledge_base",
    "bedrock:guardrail": "bedrock.guardrail",
}

_NODE_KIND = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
_RESOURCE_TYPE = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9_*-]+$")
_ASSIGN, _APPEND, _REMOVE = "@@assign", "@@append", "@@remove"
_CHILD_CONTROL = "@@operators_allowed_for_child_policies"
_OPERATORS = (_ASSIGN, _APPEND, _REMOVE, _CHILD_CONTROL)
_CHILD_OPERATORS = frozenset({"@@all", "@@none", _ASSIGN, _APPEND, _REMOVE})
_STATEMENT_FIELDS = ("tag_key", "tag_value", "enforced_for", "report_required_tag_for")
_SIMPLE_KEYS = ("required", "allowed", "kinds")
_SHOWN = 120  # characters of a tag value quoted in a message


class TagPolicyError(ValueError):
    """What is wrong with a tag policy file, in one line."""


@dataclass(frozen=True, slots=True)
class TagRule:
    """What a policy says of one tag key."""

    key: str  # the spelling a resource must use
    values: tuple[str, ...] = ()  # allowed values, each with at most one `*` for any text; () allows any value
    required_for: frozenset[str] | None = frozenset()  # node kinds that must carry the key; None: every kind
    enforced_for: frozenset[str] = frozenset()  # node kinds on which AWS refuses noncompliant tagging
    said_in: str = ""  # where in the file the statement stands (`tags.costcenter`, `required`, `allowed.env`)

    def requires(self, kind: str) -> bool:
        return self.required_for is None or kind in self.required_for


@dataclass(frozen=True, slots=True)
class TagPolicy:
    source: str  # the file it was read from
    form: str  # ORGANIZATIONS or SIMPLE
    rules: tuple[TagRule, ...]
    kinds: frozenset[str] | None = None  # the node kinds judged at all; None: every kind whose tags were read
    warnings: tuple[str, ...] = ()  # what in the file judges nothing, or is judged otherwise than it may mean


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a policy finds on one node's tags."""

    missing: tuple[TagRule, ...] = ()
    not_allowed: tuple[tuple[TagRule, str, str], ...] = ()  # (rule, key as the resource spells it, value)
    miscased: tuple[tuple[TagRule, str], ...] = ()  # (rule, key as the resource spells it)


# --- reading a policy file ---------------------------------------------------------------------------------


def load_tag_policy(path: str | Path) -> TagPolicy:
    """The policy in `path`; `TagPolicyError` says in one line what keeps it from being one."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TagPolicyError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise TagPolicyError(f"cannot read {path}: {error.strerror or error}") from None
    return parse_tag_policy(text, str(path))


def parse_tag_policy(text: str, source: str = "tag policy") -> TagPolicy:
    document = _document(text, source)
    try:
        return policy_of(document, source)
    except TagPolicyError as error:
        raise TagPolicyError(f"{source}: {error}") from None


def _document(text: str, source: str) -> Any:
    """JSON first (a policy copied from the console may be indented with tabs, which YAML refuses), then YAML."""
    try:
        return json.loads(text)
    except ValueError as json_error:
        if text.lstrip().startswith(("{", "[")):
            raise TagPolicyError(f"{source}: not valid JSON ({json_error})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TagPolicyError(f"{source}: not valid YAML ({_yaml_problem(error)})") from None
    if document is None:
        raise TagPolicyError(f"{source}: empty")
    return document


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else problem


def policy_of(document: Any, source: str = "tag policy") -> TagPolicy:
    """The policy a parsed document states, in either form; `TagPolicyError` otherwise."""
    document = _unwrapped(document)
    if not isinstance(document, Mapping):
        raise TagPolicyError("a tag policy is a mapping: {\"tags\": …} (AWS Organizations) or required/allowed")
    if "tags" in document:
        others = sorted(str(key) for key in document if key not in ("tags", _CHILD_CONTROL))
        if others:
            raise TagPolicyError(f"unknown key {others[0]!r} beside tags (an AWS Organizations tag policy holds "
                                 "only tags)")
        return _organizations(document["tags"], source)
    if any(key in document for key in _SIMPLE_KEYS):
        return _simple(document, source)
    raise TagPolicyError("neither an AWS Organizations tag policy ({\"tags\": …}) nor a simple one "
                         "(required, allowed, kinds)")


def _unwrapped(document: Any) -> Any:
    """The policy inside an answer of `describe-policy` (`Policy.Content`) or `describe-effective-policy`
    (`EffectivePolicy.PolicyContent`), whose content is JSON text."""
    if not isinstance(document, Mapping) or len(document) != 1:
        return document
    for outer, content, kind in (("Policy", "Content", ("PolicySummary", "Type")),
                                 ("EffectivePolicy", "PolicyContent", ("PolicyType",))):
        answer = document.get(outer)
        if isinstance(answer, Mapping) and isinstance(answer.get(content), str):
            declared: Any = answer
            for step in kind:
                declared = declared.get(step) if isinstance(declared, Mapping) else None
            if declared not in (None, "TAG_POLICY"):
                raise TagPolicyError(f"{outer} is a {declared}, not a TAG_POLICY")
            try:
                return json.loads(answer[content])
            except ValueError as error:
                raise TagPolicyError(f"{outer}.{content} is not valid JSON ({error})") from None
    return document


# AWS Organizations form ---------------------------------------------------------------------------------


def _organizations(tags: Any, source: str) -> TagPolicy:
    if not isinstance(tags, Mapping) or not [key for key in tags if key != _CHILD_CONTROL]:
        raise TagPolicyError("tags must map each policy key to its statement (tag_key, tag_value, …)")
    _child_control(tags.get(_CHILD_CONTROL), "tags")
    rules: list[TagRule] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    for policy_key, statement in tags.items():
        if policy_key == _CHILD_CONTROL:
            continue
        where = f"tags.{policy_key}"
        if not isinstance(policy_key, str) or not policy_key.strip():
            raise TagPolicyError(f"{where}: a policy key must be a tag key")
        folded = policy_key.casefold()
        if folded in seen:
            raise TagPolicyError(f"{where} and tags.{seen[folded]} name the same tag key")
        seen[folded] = policy_key
        rule, said = _statement(policy_key, statement, where)
        rules.append(rule)
        warnings += said
    return TagPolicy(source, ORGANIZATIONS, tuple(rules), None, tuple(dict.fromkeys(warnings)))


def _statement(policy_key: str, statement: Any, where: str) -> tuple[TagRule, list[str]]:
    if not isinstance(statement, Mapping):
        raise TagPolicyError(f"{where} must be a mapping of {', '.join(_STATEMENT_FIELDS)}")
    unknown = [str(name) for name in statement if name not in (*_STATEMENT_FIELDS, _CHILD_CONTROL)]
    if unknown:
        raise TagPolicyError(f"{where}: unknown field {unknown[0]!r} (a tag statement has "
                             f"{', '.join(_STATEMENT_FIELDS)})")
    _child_control(statement.get(_CHILD_CONTROL), where)
    warnings: list[str] = []
    if "tag_key" in statement:
        key = _key_operand(statement["tag_key"], f"{where}.tag_key")
        if key.casefold() != policy_key.casefold():
            raise TagPolicyError(f"{where}.tag_key {key!r} must be the policy key {policy_key!r} in some "
                                 "capitalisation")
    else:
        key = policy_key.lower()  # AWS: lowercase is the compliant spelling when no tag_key sets one
        if key != policy_key:
            warnings.append(f"{where} has no tag_key: AWS takes the lowercase {key!r} as the compliant spelling")
    values, said = _list_operand(statement.get("tag_value"), f"{where}.tag_value")
    warnings += said
    for value in values:
        _check_pattern(value, f"{where}.tag_value")
    enforced, said = _types_operand(statement.get("enforced_for"), f"{where}.enforced_for")
    warnings += said
    required, said = _types_operand(statement.get("report_required_tag_for"), f"{where}.report_required_tag_for")
    warnings += said
    return TagRule(key, values, required, enforced, where), warnings


def _key_operand(value: Any, where: str) -> str:
    if isinstance(value, Mapping):
        _operators_only(value, where)
        if _APPEND in value or _REMOVE in value:
            raise TagPolicyError(f"{where}: a tag key can only be assigned (@@assign)")
        if _ASSIGN not in value:
            raise TagPolicyError(f"{where} has no @@assign")
        value = value[_ASSIGN]
    if not isinstance(value, str) or not value.strip():
        raise TagPolicyError(f"{where} must be a tag key (text)")
    return value


def _list_operand(value: Any, where: str) -> tuple[tuple[str, ...], list[str]]:
    """The list an operand sets: `@@assign`, plus `@@append`, less `@@remove`; or a plain list, as an effective
    policy shows it. Absent: ()."""
    if value is None:
        return (), []
    if not isinstance(value, Mapping):
        return _texts(value, where), []
    _operators_only(value, where)
    assigned = _texts(value.get(_ASSIGN, []), f"{where}.{_ASSIGN}")
    appended = _texts(value.get(_APPEND, []), f"{where}.{_APPEND}")
    removed = set(_texts(value.get(_REMOVE, []), f"{where}.{_REMOVE}"))
    warnings = ([f"{where}: @@append and @@remove are judged against this file alone, without what the policies "
                 "above it would set"] if _APPEND in value or _REMOVE in value else [])
    return tuple(dict.fromkeys(v for v in (*assigned, *appended) if v not in removed)), warnings


def _operators_only(value: Mapping[Any, Any], where: str) -> None:
    for name in value:
        if name not in _OPERATORS:
            known = ", ".join(_OPERATORS)
            what = "unknown operator" if str(name).startswith("@@") else "not an operator"
            raise TagPolicyError(f"{where}: {name!r} is {what} (known: {known})")
    _child_control(value.get(_CHILD_CONTROL), where)


def _child_control(value: Any, where: str) -> None:
    """`@@operators_allowed_for_child_policies` says what policies below may change: nothing to judge here, but
    a misspelt one would be refused by AWS."""
    if value is None:
        return
    operators = _texts(value, f"{where}.{_CHILD_CONTROL}")
    odd = [operator for operator in operators if operator not in _CHILD_OPERATORS]
    if odd:
        raise TagPolicyError(f"{where}.{_CHILD_CONTROL}: {odd[0]!r} is not one of "
                             f"{', '.join(sorted(_CHILD_OPERATORS))}")


def _types_operand(value: Any, where: str) -> tuple[frozenset[str], list[str]]:
    types, warnings = _list_operand(value, where)
    kinds: set[str] = set()
    for resource_type in types:
        found = kinds_of_resource_type(resource_type, where)
        if not found:
            warnings.append(f"{where}: {resource_type} is no kind of resource the tracker reads")
        kinds |= found
    return frozenset(kinds), warnings


def kinds_of_resource_type(resource_type: str, where: str = "resource type") -> frozenset[str]:
    """The node kinds an AWS resource type names: `s3:bucket` → s3.bucket; `glue:*` or `glue:ALL_SUPPORTED` →
    every Glue kind; a type of a resource the tracker does not read → none."""
    if not _RESOURCE_TYPE.match(resource_type):
        raise TagPolicyError(f"{where}: {resource_type!r} is not a resource type (service:type, or service:* for "
                             "all of a service's)")
    service, _, kind = resource_type.lower().partition(":")
    if kind in ("*", "all_supported"):
        return frozenset(node for name, node in RESOURCE_TYPE_KINDS.items() if name.startswith(f"{service}:"))
    if "*" in kind:
        raise TagPolicyError(f"{where}: {resource_type!r}: a wildcard stands only for all of a service's types")
    found = RESOURCE_TYPE_KINDS.get(f"{service}:{kind}")
    return frozenset({found}) if found else frozenset()


# Simple form ----------------------------------------------------------------------------------------------


def _simple(document: Mapping[Any, Any], source: str) -> TagPolicy:
    unknown = [str(key) for key in document if key not in _SIMPLE_KEYS]
    if unknown:
        raise TagPolicyError(f"unknown key {unknown[0]!r} (a simple tag policy has {', '.join(_SIMPLE_KEYS)})")
    required = _texts(document.get("required") or [], "required")
    allowed = document.get("allowed") or {}
    if not isinstance(allowed, Mapping):
        raise TagPolicyError("allowed must map each tag key to its allowed values")
    values: dict[str, tuple[str, ...]] = {}
    for key, listed in allowed.items():
        where = f"allowed.{key}"
        values[_tag_key(key, where)] = _texts(listed, where)
        if not values[key]:
            raise TagPolicyError(f"{where} lists no value: give the values allowed, or leave the key out")
        for value in values[key]:
            _check_pattern(value, where)
    if not required and not values:
        raise TagPolicyError("requires no tag and restricts no value: nothing to judge")
    spelled: dict[str, str] = {}
    for key in [*(_tag_key(k, "required") for k in required), *values]:
        if spelled.setdefault(key.casefold(), key) != key:
            raise TagPolicyError(f"the tag key {key!r} is also spelled {spelled[key.casefold()]!r}: spell it one way")
    rules = tuple(TagRule(key, values.get(key, ()), None if key in required else frozenset(), frozenset(),
                          "required" if key in required else f"allowed.{key}")
                  for key in dict.fromkeys([*required, *values]))
    kinds, warnings = _simple_kinds(document.get("kinds"))
    return TagPolicy(source, SIMPLE, rules, kinds, tuple(warnings))


def _tag_key(key: Any, where: str) -> str:
    if not isinstance(key, str) or not key.strip():
        raise TagPolicyError(f"{where}: {key!r} is not a tag key (text)")
    return key


def _simple_kinds(value: Any) -> tuple[frozenset[str] | None, list[str]]:
    if value is None:
        return None, []
    named = _texts(value, "kinds")
    if not named:
        raise TagPolicyError("kinds is empty: it would judge nothing (leave it out to judge every kind)")
    kinds: set[str] = set()
    warnings: list[str] = []
    for name in named:
        if ":" in name:
            found = kinds_of_resource_type(name, "kinds")
            if not found:
                warnings.append(f"kinds: {name} is no kind of resource the tracker reads")
            kinds |= found
        elif _NODE_KIND.match(name):
            kinds.add(name)
        else:
            raise TagPolicyError(f"kinds: {name!r} is neither a node kind (s3.bucket) nor an AWS resource type "
                                 "(s3:bucket)")
    warnings += [f"kinds: no collector reads the tags of {kind}: it is never judged"
                 for kind in sorted(kinds) if kind not in TAGS_READ_BY]
    return frozenset(kinds), warnings


# Shared -----------------------------------------------------------------------------------------------------


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TagPolicyError(f"{where} must be a list")
    for item in value:
        if not isinstance(item, str):
            # YAML reads 100 as a number, yes as true and 0100 as 64: a tag is text, so it must be written as text.
            raise TagPolicyError(f"{where}: {item!r} is not text; quote the value in the file so it is read as "
                                 "written")
    return tuple(value)


def _check_pattern(value: str, where: str) -> None:
    if value.count("*") > 1:
        raise TagPolicyError(f"{where}: {value!r} has more than one * (AWS allows one wildcard per value)")


# --- judging ---------------------------------------------------------------------------------------------------


def value_allowed(value: str, patterns: Iterable[str]) -> bool:
    """Whether a tag value is one of `patterns` (case-sensitive; `*` stands for any text); no patterns: any."""
    patterns = tuple(patterns)
    return not patterns or any(_matches(value, pattern) for pattern in patterns)


def _matches(value: str, pattern: str) -> bool:
    if "*" not in pattern:
        return value == pattern
    prefix, _, suffix = pattern.partition("*")
    return len(value) >= len(prefix) + len(suffix) and value.startswith(prefix) and value.endswith(suffix)


def judge(kind: str, tags: Mapping[str, str], policy: TagPolicy) -> Verdict:
    """What `policy` finds on tags a node of `kind` carries, the kind being one it judges (`_verdict` sees to it)."""
    missing: list[TagRule] = []
    not_allowed: list[tuple[TagRule, str, str]] = []
    miscased: list[tuple[TagRule, str]] = []
    for rule in policy.rules:
        present = sorted(key for key in tags if key.casefold() == rule.key.casefold())
        if not present and rule.requires(kind):
            missing.append(rule)
        for key in present:
            if key != rule.key:
                miscased.append((rule, key))
            if not value_allowed(str(tags[key]), rule.values):
                not_allowed.append((rule, key, str(tags[key])))
    return Verdict(tuple(missing), tuple(not_allowed), tuple(miscased))


def judged_tags(graph: Graph, node: Node) -> Mapping[str, str] | None:
    """The node's tags when a policy judges them: read (see the module's docstring) and on a flow; else None."""
    tags = node.attributes.get("tags")
    if tags is None or not graph.on_a_flow(node.id):
        return None
    if isinstance(tags, list):  # as AWS lists them, `[{"Key", "Value"}]`
        tags = {str(tag["Key"]): str(tag.get("Value") or "") for tag in tags if isinstance(tag, Mapping)}
    if not isinstance(tags, Mapping):
        raise TypeError(f"tags recorded as {type(tags).__name__}, not as a mapping")
    return {str(key): "" if value is None else str(value) for key, value in tags.items()}


def _verdict(policy: TagPolicy, graph: Graph, node: Node) -> tuple[Mapping[str, str], Verdict]:
    """The node's tags as judged, and what the policy finds on them (nothing on a node it does not judge)."""
    if policy.kinds is not None and node.kind not in policy.kinds:
        return {}, Verdict()  # before reading the graph: a kind the policy leaves out costs nothing
    tags = judged_tags(graph, node)
    return ({}, Verdict()) if tags is None else (tags, judge(node.kind, tags, policy))


def _tag_evidence(node: Node, key: str, excerpt: str) -> Evidence:
    from_file = "template" in node.attributes  # a template's resource: its tags come from the file
    operation = FILE if from_file else TAGS_READ_BY.get(node.kind, "tags")
    return Evidence(operation, node.id, f"Tags.{key}" if key else "Tags", excerpt[:200])


def _policy_evidence(policy: TagPolicy, rule: TagRule, said: str, excerpt: str) -> Evidence:
    """Where in the policy file the rule `said` (`required`, `values` or `key`) stands."""
    if policy.form == ORGANIZATIONS:
        field = {"required": ".report_required_tag_for", "values": ".tag_value"}.get(said, "")
        path = f"{rule.said_in}{field}"
    else:
        path = f"allowed.{rule.key}" if said == "values" or rule.required_for is not None else "required"
    return Evidence(FILE, policy.source, path, excerpt[:200])


def _enforced(rule: TagRule, node: Node) -> str:
    return " (its enforced_for covers this kind: AWS refuses such tagging)" if node.kind in rule.enforced_for else ""


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN else value[:_SHOWN] + "…"


def check_missing(policy: TagPolicy, graph: Graph, node: Node) -> Iterator[Hit]:
    tags, verdict = _verdict(policy, graph, node)
    if not verdict.missing:
        return
    present = ", ".join(f"{k}={_shown(v)}" for k, v in sorted(tags.items())) or "no tags"
    keys = ", ".join(rule.key for rule in verdict.missing)
    evidence = (_tag_evidence(node, "", present),
                *(_policy_evidence(policy, rule, "required", f"requires {rule.key}") for rule in verdict.missing))
    yield Hit(node.id, f"On a data flow without the tags its tag policy requires: {keys}.", evidence)


def check_values(policy: TagPolicy, graph: Graph, node: Node) -> Iterator[Hit]:
    _, verdict = _verdict(policy, graph, node)
    if not verdict.not_allowed:
        return
    said = "; ".join(f"{key}={_shown(value)} (allowed: {', '.join(rule.values)}){_enforced(rule, node)}"
                     for rule, key, value in verdict.not_allowed)
    evidence = tuple(e for rule, key, value in verdict.not_allowed for e in (
        _tag_evidence(node, key, f"{key}={value}"), _policy_evidence(policy, rule, "values", ", ".join(rule.values))))
    yield Hit(node.id, f"Tag values its tag policy does not allow: {said}.", evidence)


def check_case(policy: TagPolicy, graph: Graph, node: Node) -> Iterator[Hit]:
    tags, verdict = _verdict(policy, graph, node)
    if not verdict.miscased:
        return
    said = "; ".join(f"{key} (spelt {rule.key} by the policy){_enforced(rule, node)}"
                     for rule, key in verdict.miscased)
    evidence = tuple(e for rule, key in verdict.miscased for e in (
        _tag_evidence(node, key, f"{key}={tags[key]}"), _policy_evidence(policy, rule, "key", rule.key)))
    yield Hit(node.id, f"Tag keys spelt otherwise than its tag policy spells them: {said}.", evidence)


def _needs_a_policy(graph: Graph, node: Node) -> Iterable[Hit]:
    """The listed rules' check: without a policy there is nothing to judge (`rules_for` binds one)."""
    return ()


MISSING_REQUIRED_TAG = Rule(
    "tagging.missing_required_tag", "Resource on a data flow without a tag its tag policy requires",
    Category.TAGGING, Severity.MEDIUM,
    "Add the missing tags to the resource (in its template, or with `aws resourcegroupstaggingapi tag-resources`), "
    "with values the policy allows; then nobody has to guess who owns the data it holds, which costs it "
    "carries or how it is classified.",
    _needs_a_policy, frozenset({ANY_KIND}))
VALUE_NOT_ALLOWED = Rule(
    "tagging.value_not_allowed", "Tag value its tag policy does not allow", Category.TAGGING, Severity.MEDIUM,
    "Set the tag to one of the values the policy allows (a classification, cost centre or owner that no report "
    "or control recognises is as good as none), or add the value to the policy if it is legitimate.",
    _needs_a_policy, frozenset({ANY_KIND}))
KEY_CASE = Rule(
    "tagging.key_case", "Tag key spelt in another capitalisation than its tag policy's", Category.TAGGING,
    Severity.LOW,
    "Rename the tag to the policy's spelling: tag keys are case-sensitive, so cost reports, IAM conditions and "
    "automation keyed on the policy's spelling do not see this one.",
    _needs_a_policy, frozenset({ANY_KIND}))
TAG_RULES: tuple[Rule, ...] = (MISSING_REQUIRED_TAG, VALUE_NOT_ALLOWED, KEY_CASE)
_CHECKS = {MISSING_REQUIRED_TAG.id: check_missing, VALUE_NOT_ALLOWED.id: check_values, KEY_CASE.id: check_case}


def rules_for(policy: TagPolicy) -> list[Rule]:
    """The tagging rules with their checks bound to `policy`, for the rule runner."""
    return [replace(rule, check=partial(_CHECKS[rule.id], policy)) for rule in TAG_RULES]


def tag_findings(graph: Graph, policy: TagPolicy) -> Evaluation:
    """The findings of `policy` on the graph, one per node and rule; a check failing on a node is its gap."""
    return evaluate(graph, rules_for(policy))


def tag_findings_of_scan(scan: Scan, policy: TagPolicy) -> Evaluation:
    """The findings of `policy` on a stored scan's graph (`lineage findings --tag-policy`)."""
    return tag_findings(build_graph([Facts(scan.nodes, scan.edges)]), policy)


def with_tag_findings(scan: Scan, policy: TagPolicy) -> Scan:
    """The scan judged by `policy`: the tagging findings it was stored with replaced by this policy's, the gaps
    of checks that failed added."""
    judged = tag_findings_of_scan(scan, policy)
    kept: list[Finding] = [f for f in scan.findings if f.category is not Category.TAGGING]
    return replace(scan, findings=tuple(ordered([*kept, *judged.findings])),
                   coverage_gaps=(*scan.coverage_gaps, *judged.gaps))
