"""Templates against the account: what runs that no template describes, what the templates describe that does not
run, and what differs where it matters (encryption, lifecycle, TLS policy, public access, logging, the targets of
rules and the flows of state machines). Pure: two scans in — the templates read as a scan (`lineage.template_scan`)
and a scan of the account — one `TemplateDrift` out.

A template resource is matched to the account's by id when the template determines its name (its ARN); a resource
whose name CloudFormation chose (`cfn:<template>#<LogicalId>`) by the `aws:cloudformation:logical-id` tag
CloudFormation puts on what it creates, or else by the name CloudFormation gives it (`<stack>-<LogicalId>-<random>`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lineage import arn as arns
from lineage.drift import AttributeChange, describe_change
from lineage.model import EdgeKind, Node, Scan, Severity

LOGICAL_ID_TAG = "aws:cloudformation:logical-id"
STACK_NAME_TAG = "aws:cloudformation:stack-name"

# What the account makes itself, never a template: the default bus, Athena's primary workgroup, the catalogue,
# the log groups services create for what they run, keys AWS manages.
_MADE_BY_AWS = (
    re.compile(r":event-bus/default$"),
    re.compile(r":workgroup/primary$"),
    re.compile(r":log-group:/aws/(lambda|vendedlogs|states|glue|sagemaker|apigateway|kinesisfirehose)/"),
    re.compile(r":alias/aws/"),
)
# The configuration that protects data, compared between template and account (each worded by `lineage.drift`).
COMPARED = ("encryption", "kms_key", "lifecycle_rules", "policy", "public_access_block", "logging", "versioning",
            "retention_days", "encryption_at_rest", "sse", "targets")
_NOT_COMPARED_IN_POLICY = ("statements",)  # a policy is compared on what it enforces, not on how it is written
# Answers about runs (a job started, not deployed): a flow only they evidence is not the templates' to describe.
RUN_OPERATIONS = frozenset({"emr-serverless:GetJobRun", "sagemaker:DescribeTrainingJob",
                            "sagemaker:DescribeProcessingJob", "sagemaker:DescribeTransformJob"})


@dataclass(frozen=True, slots=True)
class DriftItem:
    kind: str  # "unmanaged", "missing", "changed", "flow missing", "flow unexpected"
    node: str  # the account's id where there is one, else the template's
    severity: Severity
    summary: str  # in words
    template: Mapping[str, Any] = field(default_factory=dict)  # file, line, logical id of the template resource
    change: AttributeChange | None = None  # for a changed attribute: the template's value and the account's

    def to_dict(self) -> dict[str, Any]:
        said = {"kind": self.kind, "node": self.node, "severity": self.severity.value, "summary": self.summary,
                "template": dict(self.template)}
        if self.change is not None:
            said.update({"attribute": self.change.attribute, "in_template": self.change.before,
                         "in_account": self.change.after})
        return said


@dataclass(frozen=True, slots=True)
class TemplateDrift:
    scan: str
    templates: tuple[str, ...]
    matched: Mapping[str, str]  # template node id → account node id
    items: tuple[DriftItem, ...]

    @property
    def empty(self) -> bool:
        return not self.items

    def at_least(self, severity: Severity) -> list[DriftItem]:
        return [item for item in self.items if item.severity.rank >= severity.rank]

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for item in self.items:
            counted[item.kind] = counted.get(item.kind, 0) + 1
        return counted

    def to_dict(self) -> dict[str, Any]:
        return {"scan": self.scan, "templates": list(self.templates), "matched": dict(self.matched),
                "counts": self.counts(), "items": [item.to_dict() for item in self.items]}


def _source(node: Node) -> Mapping[str, Any]:
    source = node.attributes.get("template")
    return source if isinstance(source, Mapping) else {}


def defined(scan: Scan) -> dict[str, Node]:
    """The nodes the templates define: resources with a place in a template, read as a service would read them."""
    return {n.id: n for n in scan.nodes if _source(n) and n.observed and not arns.is_dynamic(n.id)}


def _tags(node: Node) -> Mapping[str, Any]:
    tags = node.attributes.get("tags")
    return tags if isinstance(tags, Mapping) else {}


def _by_name(logical_id: str, stack: str, candidates: Iterable[Node]) -> Node | None:
    """The account's resource CloudFormation named for the logical id: `<stack>-<LogicalId>-<random>` (buckets in
    lower case); without the stack's name, the one resource of the kind whose name holds `-<LogicalId>-`."""
    logical = logical_id.lower()
    if stack:
        prefix = f"{stack}-{logical}-".lower()
        found = [n for n in candidates if n.name.lower().startswith(prefix)]
    else:
        found = [n for n in candidates if f"-{logical}-" in n.name.lower()]
    return found[0] if len(found) == 1 else None


def match(template_nodes: Mapping[str, Node], live: Mapping[str, Node], stacks: Mapping[str, str]) -> dict[str, str]:
    """Template node id → the account's node id, for every template resource found in the account. `stacks` maps a
    template's name to the stack name it is deployed as, where known."""
    matched: dict[str, str] = {}
    by_kind: dict[str, list[Node]] = {}
    for node in live.values():
        if node.observed:
            by_kind.setdefault(node.kind, []).append(node)
    taken: set[str] = set()
    for node_id in sorted(template_nodes):
        if node_id in live and live[node_id].observed:
            matched[node_id] = node_id
            taken.add(node_id)
    for node_id, node in sorted(template_nodes.items()):
        if node_id in matched or not node_id.startswith("cfn:"):
            continue
        source = _source(node)
        logical, template = str(source.get("logical_id", "")), node_id.removeprefix("cfn:").partition("#")[0]
        stack = stacks.get(template, "")
        candidates = [n for n in by_kind.get(node.kind, []) if n.id not in taken]
        tagged = [n for n in candidates if _tags(n).get(LOGICAL_ID_TAG) == logical
                  and (not stack or _tags(n).get(STACK_NAME_TAG, stack) == stack)]
        found = tagged[0] if len(tagged) == 1 else _by_name(logical, stack, candidates)
        if found is None:
            # A resource whose id AWS chooses but whose name the template gives (an API, a knowledge base): the
            # one resource of its kind with that name.
            # (A name CloudFormation chooses is shown as the logical id: never matched as a name.)
            named = [n for n in candidates if n.name == node.name] if node.name != logical else []
            found = named[0] if len(named) == 1 else None
        if found is not None:
            matched[node_id] = found.id
            taken.add(found.id)
    return matched


def _made_by_aws(node: Node) -> bool:
    return any(pattern.search(node.id) for pattern in _MADE_BY_AWS)


def _comparable(attribute: str, value: Any) -> Any:
    if attribute == "policy" and isinstance(value, Mapping):
        return {k: v for k, v in value.items() if k not in _NOT_COMPARED_IN_POLICY}
    if attribute == "lifecycle_rules" and isinstance(value, list):
        # CloudFormation gives a rule without `Id` one of its own: the rule is the same whatever it is called.
        return sorted(({k: v for k, v in rule.items() if k != "id"} for rule in value if isinstance(rule, Mapping)),
                      key=repr)
    if attribute == "tags" and isinstance(value, Mapping):
        return {k: v for k, v in value.items() if not str(k).startswith("aws:")}
    return value


class AccountNames:
    """Template values written as the account's: each matched `cfn:` id (whole, or with a path after it) as the
    account's id, and each `${LogicalId}` — the name CloudFormation gives a resource, inside another's id (a
    function's log group) — as the name the matched resource has. One pattern finds them all."""

    def __init__(self, matched: Mapping[str, str], ours: Mapping[str, Node], live: Mapping[str, Node]) -> None:
        self.ids = {t: a for t, a in matched.items() if t.startswith("cfn:")}
        self.names = {"${" + str(_source(ours[t]).get("logical_id", "")) + "}": live[a].name
                      for t, a in self.ids.items() if t in ours and a in live}
        ids = "|".join(re.escape(t) for t in sorted(self.ids, key=len, reverse=True))
        names = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        either = [f"(?:{ids})(?![A-Za-z0-9])"] * bool(ids) + [f"(?:{names})"] * bool(names)
        self.pattern = re.compile("|".join(either)) if either else None

    def _shown(self, match: re.Match[str]) -> str:
        text = match.group(0)
        return self.ids.get(text) or self.names[text]

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.pattern.sub(self._shown, value) if self.pattern is not None else value
        if isinstance(value, Mapping):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        return value

    def of_id(self, node_id: str) -> str:
        if arns.is_dynamic(node_id):
            owner, path = arns.dynamic_parts(node_id)
            return arns.dynamic_id(self(owner), path)
        return self(node_id)


def _targets(template: list[Any], account: list[Any]) -> tuple[list[Any], list[Any]]:
    """Targets as compared: a target the template leaves to deployment (`dynamic:`) stands for the account's target
    of the same `Id`, or else for one that no other template target names."""
    def arn(target: Any) -> str:
        return str((target or {}).get("arn", ""))

    known = [t for t in template if not arns.is_dynamic(arn(t))]
    unknown = [t for t in template if arns.is_dynamic(arn(t))]
    named = {arn(t) for t in known}
    extra = [t for t in account if arn(t) not in named]
    absorbed: list[Any] = []
    for target in unknown:
        same_id = [t for t in extra if (t or {}).get("id") == (target or {}).get("id") and t not in absorbed]
        rest = [t for t in extra if t not in absorbed]
        if same_id or rest:
            absorbed.append((same_id or rest)[0])
    return known, [t for t in account if not any(t is a for a in absorbed)]


def _changes(template: Node, account: Node, names: AccountNames) -> list[AttributeChange]:
    left_to_aws = set(template.attributes.get("aws_defaults") or ())
    unread = set(account.attributes.get("unread") or ()) | set(template.attributes.get("unread") or ())
    changes = []
    for attribute in COMPARED:
        if attribute in left_to_aws or attribute in unread:
            continue  # the template leaves it to AWS's default, or one side could not read it
        if attribute not in template.attributes and attribute not in account.attributes:
            continue
        written, found = names(template.attributes.get(attribute)), account.attributes.get(attribute)
        before, after = _comparable(attribute, written), _comparable(attribute, found)
        if attribute == "targets" and isinstance(before, list) and isinstance(after, list):
            before, after = written, found = _targets(before, after)
        if before != after:  # compared as they matter, worded as they are (a lifecycle rule by its id)
            changes.append(describe_change(account.id, attribute, written, found))
    return changes


def _flows(scan: Scan, ends: set[str], shown: Callable[[str], str] = str) -> dict[Flow, set[str]]:
    """The flows out of and into `ends`, their ends written by `shown` (template ids as the account's), each with the
    places in its owner's configuration that state it (`Targets[1]`)."""
    flows: dict[Flow, set[str]] = {}
    for e in scan.edges:
        if (e.kind.is_flow and e.kind is not EdgeKind.REFERENCES and (e.source in ends or e.target in ends)
                and not (e.evidence and all(ev.operation in RUN_OPERATIONS for ev in e.evidence))):
            flows.setdefault((shown(e.source), shown(e.target), e.kind.value), set()).update(
                ev.path for ev in e.evidence)
    return flows


Flow = tuple[str, str, str]


def _kind_of(node_id: str, nodes: Mapping[str, Node]) -> str:
    node = nodes.get(node_id)
    return node.kind if node is not None else arns.kind_for_arn(node_id)


def _inside(place: str, within: str) -> bool:
    return place == within or (arns.s3_parts(within) is not None and place.startswith(within.rstrip("/") + "/"))


def _stands_for(ours: Flow, theirs: Flow) -> bool:
    """Whether a template's flow is the account's: the same, or to or from a path inside the template's S3 path
    (AWS resolves some paths only at creation: a feature group's offline store adds the account and a creation time
    under the URI the template gives), or — for a place the template leaves to deployment — any flow between the
    same resource and anything, as the place is what deployment decides."""
    (source, target, kind), (their_source, their_target, their_kind) = ours, theirs
    if arns.is_dynamic(target):
        return their_source == source
    if arns.is_dynamic(source):
        return their_target == target
    return their_kind == kind and _inside(their_source, source) and _inside(their_target, target)


def _inside_each_other(ours: Mapping[Flow, set[str]], theirs: Mapping[Flow, set[str]]) -> tuple[set[Flow], set[Flow]]:
    """The flows left on each side once each template flow is paired with an account flow it stands for (a place left
    to deployment with the flow stated at the same place of the configuration first, as `Targets[1]`)."""
    left, right = set(ours), set(theirs)
    for flow in sorted(ours, key=lambda f: (arns.is_dynamic(f[0]) or arns.is_dynamic(f[1]), f)):
        candidates = sorted((t for t in right if _stands_for(flow, t)), key=lambda t: (not ours[flow] & theirs[t], t))
        twin = candidates[0] if candidates else None
        if twin is not None:
            left.discard(flow)
            right.discard(twin)
    return left, right


def where_described(templates: Scan, account: Scan, stacks: Mapping[str, str] | None = None
                    ) -> dict[str, Mapping[str, Any]]:
    """Each resource of the account's scan that a template describes → where: the file, line and logical id of the
    template resource matched to it (as drift matches them)."""
    ours = defined(templates)
    matched = match(ours, {n.id: n for n in account.nodes}, stacks or {})
    return {live: _source(ours[template_id]) for template_id, live in matched.items()}


def template_drift(templates: Scan, account: Scan, template_paths: Iterable[str] = (),
                   stacks: Mapping[str, str] | None = None, definable: Iterable[str] = (),
                   read_when_named: Iterable[str] = ()) -> TemplateDrift:
    """Drift between what the templates define and what the account's scan found. `definable` names the node kinds
    a template can define at all: a flow to or from anything else (a training job run, an account-wide setting with
    no resource type) is not the templates' to describe. `read_when_named` names the kinds a scan reads only when
    another resource names them (KMS keys, IAM roles): one the scan did not find is not known to be missing."""
    named_only = set(read_when_named)
    ours = defined(templates)
    kinds = set(definable) | {n.kind for n in templates.nodes}
    live = {n.id: n for n in account.nodes}
    matched = match(ours, live, stacks or {})
    items: list[DriftItem] = []
    readable_kinds = {n.kind for n in ours.values()}
    claimed = set(matched.values())
    names = AccountNames(matched, ours, live)
    for node in sorted(live.values(), key=lambda n: n.id):
        if node.observed and node.kind in readable_kinds and node.id not in claimed and not _made_by_aws(node):
            items.append(DriftItem("unmanaged", node.id, Severity.MEDIUM,
                                   f"{node.kind} {node.name} runs in the account and no template describes it"))
    for node_id, node in sorted(ours.items()):
        source = _source(node)
        if node_id not in matched and ("resource_type" in node.attributes or node.kind in named_only):
            continue  # a type no scan reads, or reads only when named: not known to be missing
        if node_id not in matched:
            items.append(DriftItem("missing", node_id, Severity.LOW,
                                   f"{source.get('type', node.kind)} {source.get('logical_id', node.name)} is in "
                                   f"{source.get('file', 'a template')} but not in the account", source))
            continue
        for change in _changes(node, live[matched[node_id]], names):
            items.append(DriftItem("changed", change.node, Severity.HIGH if change.worse else Severity.LOW,
                                   change.summary + (" (weaker in the account than in the template)"
                                                     if change.worse else ""), source, change))
    flows_template = _flows(templates, set(matched), names.of_id)
    flows_account = {flow: paths for flow, paths in _flows(account, claimed).items()
                     if all(_kind_of(end, live) in kinds for end in flow[:2])}
    only_template, only_account = _inside_each_other(
        {f: p for f, p in flows_template.items() if f not in flows_account},
        {f: p for f, p in flows_account.items() if f not in flows_template})
    for source, target, kind in sorted(only_template):
        items.append(DriftItem("flow missing", source, Severity.MEDIUM,
                               f"the template's flow {source} → {target} ({kind}) is not in the account"))
    for source, target, kind in sorted(only_account):
        items.append(DriftItem("flow unexpected", source, Severity.MEDIUM,
                               f"the account has a flow {source} → {target} ({kind}) no template defines"))
    return TemplateDrift(account.id, tuple(template_paths), matched, tuple(items))
