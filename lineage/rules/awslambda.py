"""Lambda rules for the functions where data enters: a function URL anyone may call, and functions behind
an API (a route, an API, a function URL, an AppSync API upstream of them) whose execution role may do far
more than their flows need, or that run outside the VPC of a store they reach.

A function behind an API runs on what callers send. What its role allows is what a caller who finds a flaw
in it can do: `dynamodb:*` on the table it writes lets one bad request delete the table. The role's
statements are read by `collectors.iam` (summarised, never the whole document) and matched here against
the function's own flows, ARN patterns as IAM matches them (`*` and `?`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from lineage import arn as arns
from lineage.graph import Graph, read_by_reference
from lineage.model import Category, EdgeKind, Evidence, Node, Severity, Stage
from lineage.pii import carries_personal_data
from lineage.rules import Hit, rule

ENTRY_KINDS = frozenset({"apigateway.route", "apigateway.api", "lambda.url", "appsync.api"})
ROLE_KIND = "iam.role"
# How an entry point's request reaches a function: invoked (a route, a URL, an alias), routed, triggered.
_CALLS = frozenset({EdgeKind.INVOKES, EdgeKind.ROUTES, EdgeKind.TRIGGERS})
_MOST_HOPS = 4  # route → state machine → alias → function, and one more


# --- what several rules ask ---------------------------------------------------------------------------


def entry_points(graph: Graph, node: Node) -> list[str]:
    """The entry points (routes, APIs, function URLs, AppSync APIs) whose requests reach this node through
    invocations alone, nearest first: what callers send is what it runs on."""
    seen = {node.id}
    queue: deque[tuple[str, int]] = deque([(node.id, 0)])
    found: list[str] = []
    while queue:
        current, hops = queue.popleft()
        if hops >= _MOST_HOPS:
            continue
        for edge in graph.flows_in(current):
            if edge.kind not in _CALLS or edge.source in seen:
                continue
            seen.add(edge.source)
            source = graph.nodes.get(edge.source)
            if source is not None and source.kind in ENTRY_KINDS:
                found.append(edge.source)
            queue.append((edge.source, hops + 1))
    return found


def _entry_evidence(graph: Graph, entries: list[str]) -> tuple[str, Evidence]:
    entry = graph.nodes[entries[0]]
    return entry.name or entry.id, Evidence("graph", entry.id, "upstream", f"{entry.kind} {entry.name or entry.id}")


def role_of(graph: Graph, function: Node) -> Node | None:
    """The role node the function runs as, when it was read (by its ARN, or a reference it was named by)."""
    reference = function.attributes.get("role")
    if not isinstance(reference, str) or not reference:
        return None
    return read_by_reference(graph, ROLE_KIND).get(reference)


def flow_places(graph: Graph, node: Node) -> list[str]:
    """What the node's own flows read, write or name (either way), its entry points and roles left out."""
    places = {edge.target for edge in graph.flows_out(node.id)} | {edge.source for edge in graph.flows_in(node.id)}
    return sorted(p for p in places if p != node.id and (graph.nodes.get(p) is None
                                                           or graph.nodes[p].kind not in ENTRY_KINDS))


# --- function URLs ------------------------------------------------------------------------------------


def _invoked_functions(graph: Graph, url: Node) -> list[Node]:
    """The function a URL invokes, through the alias it may be configured on."""
    found: list[Node] = []
    for edge in graph.flows_out(url.id):
        if edge.kind != EdgeKind.INVOKES:
            continue
        target = graph.nodes.get(edge.target)
        if target is None:
            continue
        found.append(target)
        found += [graph.nodes[e.target] for e in graph.flows_out(target.id)
                  if e.kind == EdgeKind.INVOKES and e.target == arns.unqualified_lambda_arn(target.id)
                  and e.target in graph.nodes and e.target != target.id]
    return found


def _open_url(graph: Graph, node: Node) -> tuple[list[Node], Evidence] | None:
    """(the functions it invokes, the evidence) of a URL that asks callers for no signature; None otherwise."""
    if node.attributes.get("auth_type") != "NONE":
        return None
    evidence = Evidence("lambda:ListFunctionUrlConfigs", str(node.attributes.get("function") or node.id), "AuthType",
                        f"{node.id}: AuthType NONE")
    return _invoked_functions(graph, node), evidence


def _cors_said(node: Node) -> str:
    cors = node.attributes.get("cors")
    origins = cors.get("allow_origins") if isinstance(cors, Mapping) else None
    return f" Its CORS configuration lets pages on {', '.join(origins[:3])} call it from a browser." \
        if origins and "*" in origins else ""


def url_without_auth(graph: Graph, node: Node) -> Iterator[Hit]:
    opened = _open_url(graph, node)
    if opened is None:
        return
    functions, evidence = opened
    if any(carries_personal_data(f) for f in functions):
        return  # said, more severely, by lambda.url_without_auth_on_personal_data
    names = ", ".join(f.name for f in functions) or str(node.attributes.get("function") or "its function")
    yield Hit(node.id, f"Function URL {node.id} invokes {names} for anyone who knows the address: AuthType is NONE, "
              f"so no caller signs its requests.{_cors_said(node)}", (evidence,))


rule(
    url_without_auth,
    id="lambda.url_without_auth",
    title="Lambda function URL without authentication",
    category=Category.EXPOSURE,
    severity=Severity.MEDIUM,
    remediation=(
        "Require signed requests: aws lambda update-function-url-config --function-name NAME --auth-type AWS_IAM "
        "(and grant lambda:InvokeFunctionUrl to the callers); or put the function behind API Gateway with an "
        "authoriser and delete the URL (aws lambda delete-function-url-config --function-name NAME)."
    ),
    kinds=("lambda.url",),
)


def url_without_auth_on_personal_data(graph: Graph, node: Node) -> Iterator[Hit]:
    opened = _open_url(graph, node)
    if opened is None:
        return
    functions, evidence = opened
    carrying = [f for f in functions if carries_personal_data(f)]
    if not carrying:
        return
    categories = sorted({c for f in carrying for c in f.attributes["personal_data"].get("categories") or ()})
    origins = sorted({o for f in carrying for o in f.attributes["personal_data"].get("origins") or ()})
    yield Hit(node.id, f"Function URL {node.id} invokes {', '.join(f.name for f in carrying)}, whose flows carry "
              f"personal data ({', '.join(categories)}) from {', '.join(origins[:3])}, for anyone who knows the "
              f"address: AuthType is NONE, so no caller signs its requests.{_cors_said(node)}", (evidence,))


rule(
    url_without_auth_on_personal_data,
    id="lambda.url_without_auth_on_personal_data",
    title="Lambda function URL without authentication on a personal-data flow",
    category=Category.EXPOSURE,
    severity=Severity.HIGH,
    remediation=(
        "Require signed requests: aws lambda update-function-url-config --function-name NAME --auth-type AWS_IAM "
        "(and grant lambda:InvokeFunctionUrl to the callers), or serve it through API Gateway with an authoriser "
        "(Cognito or a Lambda authoriser checking the student's identity) and delete the URL; a link sent by "
        "e-mail should be a short-lived pre-signed one, never a permanent open URL."
    ),
    kinds=("lambda.url",),
)


# --- what a function behind an API may do -------------------------------------------------------------


def _wildcard_services(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(service or `*`, action as written) for each whole-service wildcard the statement allows: `*`, `s3:*`;
    an Allow with NotAction allows every service it does not name (`*` as the action)."""
    if "not_actions" in statement:
        excluded = [str(a).lower() for a in statement.get("not_actions") or ()]
        if "*" in excluded:
            return []
        return [("*", "NotAction " + ", ".join(statement.get("not_actions") or ())[:120])]
    found = []
    for action in statement.get("actions") or ():
        action = str(action)
        if action == "*":
            found.append(("*", action))
        elif action.endswith(":*") and action.count(":") == 1:
            found.append((action.split(":", 1)[0].lower(), action))
    return found


def _not_excluded(statement: Mapping[str, Any], service: str) -> bool:
    """Whether a NotAction statement still allows the whole of `service` (it does unless it names `service:*`)."""
    excluded = [str(a).lower() for a in statement.get("not_actions") or ()]
    return f"{service}:*" not in excluded


def _pattern_matches(pattern: str, place: str) -> bool:
    """An IAM resource pattern (`*`, `?`) matching a place's id; a bucket or a path is matched by a pattern on the
    objects in it too (`arn:aws:s3:::b/*` covers every object in `b` and in `b/x`)."""
    escaped = pattern.replace("[", "[[]")
    candidates = [place]
    if arns.kind_for_arn(place) in ("s3.bucket", "s3.location"):
        candidates.append(f"{place}/*")
    return any(fnmatchcase(candidate, escaped) for candidate in candidates)


def _service_of(place: str) -> str:
    parsed = arns.parse_arn(place)
    return parsed.service.lower() if parsed is not None else ""


def wildcard_grants(role: Node, places: list[str]) -> list[tuple[Mapping[str, Any], str, str]]:
    """(statement, action, resource) for each wildcard action the role allows on `*` or on one of `places`."""
    grants = []
    for statement in role.attributes.get("allows") or ():
        if not isinstance(statement, Mapping) or "not_resources" in statement:
            continue  # NotResource: everything but… — too open-ended to match honestly against a place
        for service, action in _wildcard_services(statement):
            for pattern in statement.get("resources") or ():
                pattern = str(pattern)
                if pattern == "*":
                    grants.append((statement, action, pattern))
                    continue
                for place in places:
                    place_service = _service_of(place)
                    if service != "*" and service != place_service:
                        continue
                    if service == "*" and "not_actions" in statement and not _not_excluded(statement, place_service):
                        continue
                    if _pattern_matches(pattern, place):
                        grants.append((statement, action, place if pattern == place else f"{pattern} ({place})"))
    return grants


def _grant_evidence(role: Node, statement: Mapping[str, Any], action: str, resource: str) -> Evidence:
    policy = str(statement.get("policy_arn") or f"{role.id} inline policy {statement.get('policy', '')}")
    condition = " (with a Condition)" if statement.get("has_condition") else ""
    return Evidence(str(statement.get("operation") or "iam:GetRolePolicy"), policy,
                    f"Statement[{statement.get('statement', 0)}].Action", f"{action} on {resource}{condition}"[:300])


def role_wildcard_actions(graph: Graph, node: Node) -> Iterator[Hit]:
    entries = entry_points(graph, node)
    if not entries:
        return
    role = role_of(graph, node)
    if role is None:
        return  # the role was not read: nothing to judge
    grants = wildcard_grants(role, flow_places(graph, node))
    if not grants:
        return
    entry_name, entry_evidence = _entry_evidence(graph, entries)
    said = "; ".join(sorted({f"{action} on {resource} ({statement.get('policy', '')})"
                             for statement, action, resource in grants}))
    narrowed = []
    if role.attributes.get("denies"):
        narrowed.append(f"{role.attributes['denies']} Deny statement(s)")
    if role.attributes.get("permissions_boundary"):
        narrowed.append("a permissions boundary")
    if any(statement.get("has_condition") for statement, _, _ in grants):
        narrowed.append("conditions")
    note = f" The role also has {', '.join(narrowed)}, which may narrow this." if narrowed else ""
    evidence = tuple(_grant_evidence(role, *grant) for grant in grants[:4]) + (entry_evidence,)
    yield Hit(node.id, f"Function {node.name}, behind {entry_name}, runs as role {role.name}, which allows "
              f"{said[:600]}: a caller who finds a flaw in the function can do anything there, not only what its "
              f"flows need.{note}",
              evidence)


rule(
    role_wildcard_actions,
    id="lambda.role_wildcard_actions",
    title="Function behind an API whose role allows wildcard actions",
    category=Category.EXPOSURE,
    severity=Severity.HIGH,
    remediation=(
        "Replace the wildcard with the actions the function uses on exactly its resources (e.g. dynamodb:GetItem, "
        "dynamodb:PutItem on the table's ARN): aws iam put-role-policy --role-name ROLE --policy-name NAME "
        "--policy-document file://narrow.json, or detach the broad managed policy (aws iam detach-role-policy). "
        "IAM Access Analyzer's policy generation (from CloudTrail) lists what the role really used; give each "
        "function a role of its own rather than sharing one."
    ),
    kinds=("lambda.function",),
)


def outside_vpc_reaching_vpc_store(graph: Graph, node: Node) -> Iterator[Hit]:
    if node.attributes.get("in_vpc") is not False:
        return  # in a VPC, or not known
    entries = entry_points(graph, node)
    if not entries:
        return
    # Stores only: a function invoking another in a VPC, or invoked by one, crosses no VPC (Lambda's API does).
    inside = [graph.nodes[p] for p in flow_places(graph, node)
              if p in graph.nodes and graph.nodes[p].attributes.get("in_vpc") is True
              and graph.nodes[p].stage is Stage.STORAGE]
    if not inside:
        return
    entry_name, entry_evidence = _entry_evidence(graph, entries)
    stores = ", ".join(f"{store.name} ({store.kind})" for store in inside[:3])
    evidence = (Evidence("lambda:ListFunctions", node.id, "VpcConfig", "no VPC"),
                *(Evidence("graph", store.id, "attributes.in_vpc", "in a VPC") for store in inside[:3]), entry_evidence)
    yield Hit(node.id, f"Function {node.name}, behind {entry_name}, runs outside any VPC yet its flows reach "
              f"{stores} in a VPC: the store must then answer from outside its VPC (a public endpoint), or the flow "
              "goes through something the scan did not see.", evidence)


rule(
    outside_vpc_reaching_vpc_store,
    id="lambda.outside_vpc_reaching_vpc_store",
    title="Function behind an API outside the VPC of a store it reaches",
    category=Category.EXPOSURE,
    severity=Severity.MEDIUM,
    remediation=(
        "Attach the function to the store's VPC (aws lambda update-function-configuration --function-name NAME "
        "--vpc-config SubnetIds=…,SecurityGroupIds=…), allow its security group in the store's, and turn off the "
        "store's public access; give it VPC endpoints for the AWS services it also calls."
    ),
    kinds=("lambda.function",),
)
