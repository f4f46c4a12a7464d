"""The scanner's read-only role in every member account of an organization, as a CloudFormation template a
platform team deploys as a service-managed StackSet; the role's trust policy on its own; and the policy the
scanner's own identity needs where it runs (listing the accounts and their regions, assuming the role).

The role allows exactly the actions of `lineage iam-policy` (`lineage.iam`), so the organization and a
single account are read with the same least privilege. Pure: the actions come in, text and dicts go out.
Intrinsic functions are written in their long forms (`Ref`, `Fn::If`) so any YAML reader loads the template.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from lineage.iam import scanner_policy

DEFAULT_ROLE_NAME = "LineageReader"

# IAM's quotas, in characters without white space (IAM does not count white space).
ROLE_INLINE_POLICIES_LIMIT = 10_240  # all inline policies of one role together
MANAGED_POLICY_LIMIT = 6_144
TRUST_POLICY_LIMIT = 2_048  # the default; AWS raises it to 4,096 on request
MANAGED_POLICIES_PER_ROLE = 10  # the default; AWS raises it to 20 on request

# One hour is IAM's least maximum; a scanner that itself runs as a role is held to one hour by role chaining
# anyway, and a shorter life is a smaller gift to whoever copies the credentials.
MAX_SESSION_SECONDS = 3_600

# The same expressions check the command line and, as AllowedPattern, the StackSet's parameters: they use only
# what Python's `re` (with re.ASCII) and CloudFormation's Java regular expressions read alike.
PRINCIPAL_PATTERN = r"^(\d{12}|arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)/([\w+=,.@-]+/)*[\w+=,.@-]{1,64})$"
ROLE_NAME_PATTERN = r"^[\w+=,.@-]{1,64}$"
EXTERNAL_ID_PATTERN = r"^([\w+=,.@:/-]{2,1224})?$"  # empty: the role asks for no external id

ROLE_RESOURCE = "ReaderRole"
INLINE_POLICY_NAME = "LineageReadOnly"
STACK_SET_NAME = "lineage-reader"
CALLER_LIST_ACTIONS = ("account:ListRegions", "ec2:DescribeRegions", "organizations:ListAccounts")


@dataclass(frozen=True, slots=True)
class MemberRole:
    """Who may assume the member role, and under which name and external id."""

    principal: str  # an account id, or the ARN of the IAM role or user the scanner runs as
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str = ""  # empty: none required

    def __post_init__(self) -> None:
        # Each value lands in a policy and in the comments of the printed template: none may bend either.
        problem = (principal_problem(self.principal) or role_name_problem(self.role_name)
                   or (external_id_problem(self.external_id) if self.external_id else None))
        if problem:
            raise ValueError(problem)


def _matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value, re.ASCII) is not None


def principal_problem(value: str) -> str | None:
    """Why `value` cannot be the scanner's principal, or None when it can."""
    if _matches(PRINCIPAL_PATTERN, value):
        return None
    return (f"{value!r} is not an account id (12 digits) or the ARN of an IAM role or user "
            "(arn:aws:iam::ACCOUNT:role/NAME)")


def role_name_problem(value: str) -> str | None:
    if _matches(ROLE_NAME_PATTERN, value):
        return None
    return f"{value!r} is not an IAM role name (1 to 64 of letters, digits and +=,.@_-)"


def external_id_problem(value: str) -> str | None:
    if value and _matches(EXTERNAL_ID_PATTERN, value):
        return None
    return "the external id must be 2 to 1224 of letters, digits and +=,.@:/_-"


def partition_of(principal: str) -> str:
    """`aws`, `aws-cn`, `aws-us-gov`…: an account id alone says nothing, and most accounts are in `aws`."""
    return principal.split(":")[1] if principal.startswith("arn:") else "aws"


def policy_size(document: dict[str, Any]) -> int:
    """The size IAM holds a policy document to: its characters less white space."""
    return sum(not char.isspace() for char in json.dumps(document))


def read_only_documents(actions: Iterable[str], limit: int = MANAGED_POLICY_LIMIT) -> list[dict[str, Any]]:
    """The read-only policy split into as few documents as keep each within `limit`, actions in order."""
    remaining = sorted(set(actions))
    documents: list[dict[str, Any]] = []
    chunk: list[str] = []
    for action in remaining:
        if chunk and policy_size(scanner_policy([*chunk, action])) > limit:
            documents.append(scanner_policy(chunk))
            chunk = []
        chunk.append(action)
        if policy_size(scanner_policy(chunk)) > limit:
            raise ValueError(f"the action {action!r} alone makes a policy larger than {limit} characters")
    if chunk:
        documents.append(scanner_policy(chunk))
    return documents


def trust_policy(principal: str, external_id: str = "") -> dict[str, Any]:
    """The member role's trust policy: the scanner's principal may assume it, with the external id if any."""
    statement: dict[str, Any] = {"Sid": "LineageScannerAssumesRole", "Effect": "Allow",
                                 "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def caller_policy(role_name: str = DEFAULT_ROLE_NAME, partition: str = "aws") -> dict[str, Any]:
    """What the scanner's own identity needs where it runs: list the accounts and their regions, and assume
    the member role (under that name, in any account) to read each one."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "LineageListsAccountsAndRegions", "Effect": "Allow", "Action": list(CALLER_LIST_ACTIONS),
             "Resource": "*"},
            {"Sid": "LineageAssumesMemberRole", "Effect": "Allow", "Action": "sts:AssumeRole",
             "Resource": f"arn:{partition}:iam::*:role/{role_name}"},
        ],
    }


def _parameters(role: MemberRole) -> dict[str, Any]:
    return {
        "ScannerPrincipal": {
            "Type": "String", "Default": role.principal, "AllowedPattern": PRINCIPAL_PATTERN,
            "Description": "The account id, or the ARN of the IAM role or user, the lineage scanner runs as "
                           "(in the management or delegated administrator account).",
            "ConstraintDescription": "an account id or arn:aws:iam::ACCOUNT:role/NAME (or user/NAME)",
        },
        "RoleName": {
            "Type": "String", "Default": role.role_name, "AllowedPattern": ROLE_NAME_PATTERN,
            "Description": "The name of the read-only role in each member account; the scanner assumes it by "
                           "this name.",
            "ConstraintDescription": "an IAM role name: 1 to 64 of letters, digits and +=,.@_-",
        },
        "ExternalId": {
            "Type": "String", "Default": role.external_id, "AllowedPattern": EXTERNAL_ID_PATTERN,
            "MaxLength": 1224,
            "Description": "The external id the scanner must present; empty for none.",
            "ConstraintDescription": "empty, or 2 to 1224 of letters, digits and +=,.@:/_-",
        },
    }


def _template_trust_policy() -> dict[str, Any]:
    """`trust_policy` with the template's parameters in place of its values."""
    [statement] = trust_policy("")["Statement"]
    statement = {**statement, "Principal": {"AWS": {"Ref": "ScannerPrincipal"}},
                 "Condition": {"Fn::If": ["HasExternalId",
                                          {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
                                          {"Ref": "AWS::NoValue"}]}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _tags() -> list[dict[str, str]]:
    return [{"Key": "ManagedBy", "Value": "lineage"},
            {"Key": "Purpose", "Value": "read-only configuration scan"}]


def member_role_template(actions: Iterable[str], role: MemberRole) -> dict[str, Any]:
    """The member-account role as a CloudFormation template: the read-only policy inline when it fits a
    role's inline quota, else in as many managed policies as it takes."""
    actions = sorted(set(actions))
    inline = scanner_policy(actions)
    fits_inline = policy_size(inline) <= ROLE_INLINE_POLICIES_LIMIT
    managed: Sequence[dict[str, Any]] = () if fits_inline else read_only_documents(actions)
    if len(managed) > MANAGED_POLICIES_PER_ROLE:
        raise ValueError(f"the read-only policy needs {len(managed)} managed policies, more than the "
                         f"{MANAGED_POLICIES_PER_ROLE} IAM attaches to a role by default")
    role_properties: dict[str, Any] = {
        "RoleName": {"Ref": "RoleName"},
        "Description": "Read-only role the lineage scanner assumes to read this account's configuration.",
        "AssumeRolePolicyDocument": _template_trust_policy(),
        "MaxSessionDuration": MAX_SESSION_SECONDS,
        "Tags": _tags(),
    }
    if fits_inline:
        role_properties["Policies"] = [{"PolicyName": INLINE_POLICY_NAME, "PolicyDocument": inline}]
    resources: dict[str, Any] = {ROLE_RESOURCE: {"Type": "AWS::IAM::Role", "Properties": role_properties}}
    for number, document in enumerate(managed, start=1):
        resources[f"ReadOnlyPolicy{number}"] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"Description": f"lineage scanner, read-only actions, part {number} of {len(managed)}",
                           "PolicyDocument": document, "Roles": [{"Ref": ROLE_RESOURCE}]},
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "The lineage scanner's read-only role in a member account of the organization.",
        "Parameters": _parameters(role),
        "Conditions": {"HasExternalId": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]}},
        "Resources": resources,
        "Outputs": {"RoleArn": {"Description": "The role the scanner assumes in this account.",
                                "Value": {"Fn::GetAtt": [ROLE_RESOURCE, "Arn"]}}},
    }


def template_policies(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every permission policy document a template gives the role, inline or managed."""
    documents: list[dict[str, Any]] = []
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents.extend(policy["PolicyDocument"] for policy in properties.get("Policies", []))
        elif resource["Type"] == "AWS::IAM::ManagedPolicy":
            documents.append(properties["PolicyDocument"])
    return documents


def template_yaml(template: dict[str, Any]) -> str:
    return yaml.safe_dump(template, sort_keys=False, default_flow_style=False, width=120)


def _commented(text: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines()) + "\n"


def _header(role: MemberRole) -> str:
    return _commented(f"""\
The lineage scanner's read-only role for every member account, as a CloudFormation StackSet template.

Save this output as lineage-reader.yaml and deploy it from the management account (from a delegated
administrator of StackSets, add --call-as DELEGATED_ADMIN to both commands):

  aws cloudformation create-stack-set --stack-set-name {STACK_SET_NAME} \\
    --template-body file://lineage-reader.yaml --capabilities CAPABILITY_NAMED_IAM \\
    --permission-model SERVICE_MANAGED \\
    --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false
  aws cloudformation create-stack-instances --stack-set-name {STACK_SET_NAME} \\
    --deployment-targets OrganizationalUnitIds=r-xxxx --regions us-east-1

Name one region only: a role is global, so a second region's stack would fail on the role's name.
Accounts that join the organization later get the role by the auto-deployment. A service-managed StackSet
never deploys to the management account: to scan it too, create the same template there as a stack
(aws cloudformation create-stack --stack-name {STACK_SET_NAME} --template-body file://lineage-reader.yaml
--capabilities CAPABILITY_NAMED_IAM).

The parameters default to what was given to `lineage iam-policy --organization`; --parameters overrides them.
At the end of this file, as comments: the role's trust policy, and the policy the scanner's own identity
needs where it runs.""")


def organization_yaml(actions: Iterable[str], role: MemberRole) -> str:
    """What `lineage iam-policy --organization` prints: a template CloudFormation takes as it is, the other
    two policies as comments at its end."""
    template = member_role_template(actions, role)
    trust = json.dumps(trust_policy(role.principal, role.external_id), indent=2)
    caller = json.dumps(caller_policy(role.role_name, partition_of(role.principal)), indent=2)
    return (_header(role) + "\n" + template_yaml(template) + "\n"
            + _commented(f"---- The trust policy of {role.role_name} in each member account ----\n"
                         f"The template above creates it.\n{trust}")
            + "#\n"
            + _commented(f"---- The policy of {role.principal}, where the scanner runs ----\n"
                         "Attach it in the management or delegated administrator account: it lists the accounts and "
                         f"their\nregions, and assumes {role.role_name} in each (sts:AssumeRole is its one "
                         f"action that is not a read).\n{caller}"))


def organization_json(actions: Iterable[str], role: MemberRole) -> str:
    """The same three documents as one JSON object, for a script to take apart."""
    return json.dumps({
        "template": member_role_template(actions, role),
        "trustPolicy": trust_policy(role.principal, role.external_id),
        "scannerPolicy": caller_policy(role.role_name, partition_of(role.principal)),
    }, indent=2) + "\n"
