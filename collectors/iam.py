"""IAM: for each role that what the scan read runs as (a function's execution role, a job's, a state
machine's…), what it may do — the statements of its inline and attached policies that allow something.

A function behind an API runs whatever a caller's input makes it do with its role's permissions: a
role that may `dynamodb:*` on the table the function writes turns one injection into the whole table.
Roles are not listed (an account holds many nothing on a flow runs as); they are found in the other
collectors' facts (`roles_named`: every node's `role` attribute), after those ran, and read by name:
`GetRole`, then `ListRolePolicies` + `GetRolePolicy` for inline policies and `ListAttachedRolePolicies`
+ `GetPolicy` + `GetPolicyVersion` (the default version) for managed ones — AWS's own among them, since
`AmazonS3FullAccess` is exactly the wildcard the rules look for. Each managed policy is read once however
many roles attach it. A role in another account is not read: its account, not the scanning role, decides.

IAM answers policy documents as URL-encoded JSON; botocore decodes them into dicts (`json_decode_policies`),
and one it cannot decode is left a string: that answer is unusable, a gap of that policy only. Documents
are never kept whole: each Allow statement is summarised (actions, resources, whether a condition narrows
it) with the policy and statement index as evidence; Deny statements are counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from collectors.context import AwsContext, each_resource, is_gone, one_node_per_resource, tag_dict
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage.model import Facts, Node, stage_for

KIND = "iam.role"
_GONE = ("NoSuchEntity",)  # the wire code of NoSuchEntityException: deleted between naming and reading
MOST_STATEMENTS = 200  # per role: enough for any real role, bounded for a pathological one
MOST_ITEMS = 50  # actions or resources kept per statement


def _document(answer: Any, *keys: str) -> Any:
    value = answer
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _readable(*keys: str) -> Any:
    """A check that the policy document under `keys` was decoded (botocore leaves one it cannot decode a string)."""
    def check(answer: Mapping[str, Any]) -> str | None:
        document = policy_document(_document(answer, *keys))
        return None if isinstance(document, Mapping) else "the policy document is not JSON"
    return check


GET_ROLE = Call("iam", "get_role", required=("Role.Arn", "Role.RoleName"), gone=_GONE)
LIST_ROLE_POLICIES = Call("iam", "list_role_policies", result_key="PolicyNames", gone=_GONE)
GET_ROLE_POLICY = Call("iam", "get_role_policy", required=("PolicyName", "PolicyDocument"), gone=_GONE,
                       check=_readable("PolicyDocument"))
LIST_ATTACHED_ROLE_POLICIES = Call("iam", "list_attached_role_policies", result_key="AttachedPolicies",
                                   required=("PolicyArn",), gone=_GONE)
GET_POLICY = Call("iam", "get_policy", required=("Policy.Arn", "Policy.DefaultVersionId"), gone=_GONE)
GET_POLICY_VERSION = Call("iam", "get_policy_version", required=("PolicyVersion.Document",), gone=_GONE,
                          check=_readable("PolicyVersion", "Document"))


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """A policy document as a mapping: as botocore decoded it, or decoded here from IAM's URL-encoded JSON."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        try:
            decoded = json.loads(unquote(value))
        except ValueError:
            return None
        return decoded if isinstance(decoded, Mapping) else None
    return None


# --- which roles --------------------------------------------------------------------------------


def role_reference(value: Any, account: str, region: str) -> str | None:
    """The ARN a `role` attribute names in `account`: an ARN as written, a bare name (Glue takes either) as
    the ARN it has without a path; None for another account's role or no role."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    parsed = arns.parse_arn(value)
    if parsed is not None:
        if parsed.service != "iam" or parsed.resource_type != "role" or parsed.account != account:
            return None
        return value
    if ":" in value or "/" in value:
        return None  # neither an ARN nor a role's name
    return f"arn:{arns.partition(region)}:iam::{account}:role/{value}"


def roles_named(facts: Iterable[Facts], account: str) -> list[Node]:
    """The roles observed nodes of this account run as, as unobserved nodes (id: the reference as an ARN)."""
    named: dict[str, Node] = {}
    for batch in facts:
        for node in batch.nodes:
            if not node.observed or node.kind == KIND:
                continue
            reference = role_reference(node.attributes.get("role"), node.account or account, node.region)
            if reference and (node.account or account) == account and reference not in named:
                named[reference] = arns.referenced_node(reference, KIND)
    return list(named.values())


# --- get ----------------------------------------------------------------------------------------


def role_name(reference: str) -> str:
    """`arn:aws:iam::1:role/service-role/x` → `x`: IAM reads roles by name, their path aside."""
    return reference.rsplit("/", 1)[-1]


def get_iam(_ctx: AwsContext, _region: str) -> dict[str, Any]:
    return {}  # nothing is listed: `get_named_roles` reads what the other facts name


def _read_role(ctx: AwsContext, region: str, reference: str) -> dict[str, Any] | None:
    name = role_name(reference)
    described = ctx.call(GET_ROLE, region, name, RoleName=name)
    if described is None or is_gone(described):
        return None  # a gap already, or a role deleted: nothing to say of it
    record: dict[str, Any] = {"Reference": reference, "Role": described["Role"]}
    names = ctx.pages(LIST_ROLE_POLICIES, region, name, RoleName=name)
    if is_gone(names):
        return None  # deleted since it was described
    if isinstance(names, list):
        inline, unread = [], []
        for policy in names:
            answer = ctx.call(GET_ROLE_POLICY, region, f"{name}/{policy}", RoleName=name, PolicyName=policy)
            if answer is None:
                unread.append(str(policy))
            elif not is_gone(answer):  # deleted since it was listed: the role no longer has it
                inline.append({"PolicyName": answer["PolicyName"], "PolicyDocument": answer["PolicyDocument"]})
        record["Inline"], record["InlineUnread"] = inline, unread
    attached = ctx.pages(LIST_ATTACHED_ROLE_POLICIES, region, name, RoleName=name)
    if is_gone(attached):
        return None
    if isinstance(attached, list):
        record["Attached"] = [{"PolicyName": p.get("PolicyName", ""), "PolicyArn": p["PolicyArn"]} for p in attached]
    return record


def _read_policy(ctx: AwsContext, region: str, policy_arn: str) -> dict[str, Any] | None:
    """A managed policy's default version; None when it could not be read, `Gone` when it no longer exists."""
    policy = ctx.call(GET_POLICY, region, policy_arn, PolicyArn=policy_arn)
    if policy is None:
        return None
    if is_gone(policy):
        return {"Gone": True}
    version_id = policy["Policy"]["DefaultVersionId"]
    version = ctx.call(GET_POLICY_VERSION, region, policy_arn, PolicyArn=policy_arn, VersionId=version_id)
    if version is None:
        return None
    if is_gone(version):
        return {"Gone": True}
    return {"Policy": policy["Policy"], "VersionId": version_id, "Document": version["PolicyVersion"]["Document"]}


def get_named_roles(ctx: AwsContext, _region: str, wanted: Wanted) -> dict[str, Any]:
    """Each role once, then each managed policy any of them attaches once (IAM is global: the home region)."""
    region = ctx.home_region
    roles = [r for r in ctx.map(lambda reference: _read_role(ctx, region, reference), sorted(wanted.get(KIND, ())))
             if r is not None]
    policy_arns = sorted({p["PolicyArn"] for role in roles for p in role.get("Attached") or ()})
    policies = ctx.map(lambda policy_arn: _read_policy(ctx, region, policy_arn), policy_arns)
    return {"Roles": roles, "Policies": dict(zip(policy_arns, policies, strict=True))}


# --- transform ----------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value if isinstance(item, str | int | float)]
    return []


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        return [statements]
    return [s for s in statements if isinstance(s, Mapping)] if isinstance(statements, list) else []


def summarise(document: Any, policy: str, policy_arn: str, operation: str) -> tuple[list[dict[str, Any]], int]:
    """(the Allow statements, summarised; the number of Deny statements) of one policy document."""
    allows: list[dict[str, Any]] = []
    denies = 0
    decoded = policy_document(document)
    for index, statement in enumerate(_statements(decoded or {})):
        effect = str(statement.get("Effect", ""))
        if effect == "Deny":
            denies += 1
            continue
        if effect != "Allow":
            continue
        entry: dict[str, Any] = {"policy": policy, "policy_arn": policy_arn, "operation": operation,
                                 "statement": index, "has_condition": bool(statement.get("Condition"))}
        if statement.get("Sid"):
            entry["sid"] = str(statement["Sid"])[:128]
        for key, field in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                           ("not_resources", "NotResource")):
            if field in statement:
                values = _strings(statement[field])
                entry[key] = values[:MOST_ITEMS]
                if len(values) > MOST_ITEMS:
                    entry["truncated"] = True
        allows.append(entry)
    return allows, denies


def _principals(trust: Any) -> list[str]:
    """Who may assume the role, as its trust policy's Allow statements name them (`service:lambda.amazonaws.com`)."""
    found: list[str] = []
    for statement in _statements(policy_document(trust) or {}):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            found.append("*")
        elif isinstance(principal, Mapping):
            found += [f"{kind.lower()}:{value}" for kind, values in principal.items() for value in _strings(values)]
    return sorted(set(found))[:MOST_ITEMS]


def _managed_type(policy_arn: str) -> str:
    parsed = arns.parse_arn(policy_arn)
    return "aws_managed" if parsed is not None and parsed.account == "aws" else "customer_managed"


def transform_role(record: Mapping[str, Any], policies: Mapping[str, Any], account: str) -> Node:
    role = record["Role"]
    role_arn = str(role["Arn"])
    listed: list[dict[str, Any]] = []
    allows: list[dict[str, Any]] = []
    denies = 0
    unread: list[str] = []
    unread_policies: list[str] = []
    if "Inline" not in record:
        unread.append("inline_policies")
    else:
        for policy in record["Inline"]:
            name = str(policy["PolicyName"])
            listed.append({"name": name, "type": "inline"})
            found, denied = summarise(policy["PolicyDocument"], name, "", "iam:GetRolePolicy")
            allows, denies = allows + found, denies + denied
        if record.get("InlineUnread"):
            unread.append("inline_policies")
            unread_policies += [f"inline:{name}" for name in record["InlineUnread"]]
    if "Attached" not in record:
        unread.append("attached_policies")
    else:
        for attached in record["Attached"]:
            policy_arn = str(attached["PolicyArn"])
            read = policies.get(policy_arn)
            if read is not None and read.get("Gone"):
                continue  # deleted or detached since it was listed
            entry = {"name": str(attached.get("PolicyName") or policy_arn.rsplit("/", 1)[-1]), "arn": policy_arn,
                     "type": _managed_type(policy_arn)}
            if read is None:
                unread_policies.append(policy_arn)
                if "attached_policies" not in unread:
                    unread.append("attached_policies")
            else:
                entry["version"] = str(read["VersionId"])
                found, denied = summarise(read["Document"], entry["name"], policy_arn, "iam:GetPolicyVersion")
                allows, denies = allows + found, denies + denied
            listed.append(entry)
    attributes: dict[str, Any] = {
        "path": str(role.get("Path") or "/"),
        "policies": listed,
        "allows": allows[:MOST_STATEMENTS],
        "denies": denies,
        "trusted_by": _principals(role.get("AssumeRolePolicyDocument")),
        "permissions_boundary": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
        "named_as": [str(record["Reference"])],
    }
    if len(allows) > MOST_STATEMENTS:
        attributes["allows_truncated"] = True
    if role.get("Tags"):
        attributes["tags"] = tag_dict(role["Tags"])
    if unread:
        attributes["unread"] = unread
        attributes["unread_policies"] = unread_policies
    parsed = arns.parse_arn(role_arn)
    return Node(role_arn, KIND, str(role["RoleName"]), stage_for(KIND, attributes.get("tags")),
                parsed.account if parsed and parsed.account else account, "", True, attributes)


def transform_iam(raw: Mapping[str, Any], account: str, _region: str) -> Facts:
    """One node per role, however many references named it (a bare name and the role's ARN are one role)."""
    policies = raw.get("Policies") or {}
    facts = each_resource(raw.get("Roles") or [], lambda record: Facts((transform_role(record, policies, account),)),
                          GET_ROLE, lambda record: record.get("Reference", ""))
    return one_node_per_resource(facts)


COLLECTOR = Collector(
    service="iam", label="IAM roles",
    calls=(GET_ROLE, LIST_ROLE_POLICIES, GET_ROLE_POLICY, LIST_ATTACHED_ROLE_POLICIES, GET_POLICY, GET_POLICY_VERSION),
    get=get_iam, transform=transform_iam, regional=False, get_named=get_named_roles, named_in=roles_named,
)
