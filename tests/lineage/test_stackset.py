"""The member-account role of `lineage iam-policy --organization`: the CloudFormation template loads as plain
YAML, allows exactly the scanner's read-only actions within IAM's size quotas, trusts only the principal
(with the external id when one is given), and deploys in moto as the role it describes."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from collectors import all_calls
from lineage.iam import scanner_policy
from lineage.stackset import (
    CALLER_LIST_ACTIONS,
    DEFAULT_ROLE_NAME,
    EXTERNAL_ID_PATTERN,
    MANAGED_POLICIES_PER_ROLE,
    MANAGED_POLICY_LIMIT,
    MAX_SESSION_SECONDS,
    PRINCIPAL_PATTERN,
    ROLE_INLINE_POLICIES_LIMIT,
    ROLE_NAME_PATTERN,
    TRUST_POLICY_LIMIT,
    MemberRole,
    caller_policy,
    external_id_problem,
    member_role_template,
    organization_json,
    organization_yaml,
    partition_of,
    policy_size,
    principal_problem,
    read_only_documents,
    role_name_problem,
    template_policies,
    template_yaml,
    trust_policy,
)
from tests.collectors.test_declared_calls import READ_ONLY, access_levels

ACTIONS = [call.action for call in all_calls()]  # what `lineage iam-policy` prints
SCANNER = "arn:aws:iam::111122223333:role/lineage/Scanner"
REGION = "eu-west-1"
# More read actions than one managed policy holds: the split into several is exercised on them.
MANY_ACTIONS = [f"s3:GetThing{number:05d}" for number in range(1200)]


def allowed_actions(documents: list[dict[str, Any]]) -> set[str]:
    return {action for document in documents for statement in document["Statement"]
            for action in statement["Action"]}


def test_the_template_is_plain_yaml_and_the_printed_output_loads_as_the_template() -> None:
    role = MemberRole(SCANNER, external_id="org-123")
    template = member_role_template(ACTIONS, role)
    assert yaml.safe_load(template_yaml(template)) == template
    printed = organization_yaml(ACTIONS, role)
    assert yaml.safe_load(printed) == template  # the policies after it are comments, invisible to CloudFormation
    assert "!" not in "".join(line for line in printed.splitlines() if not line.startswith("#"))  # no short tags


def test_the_role_allows_every_action_of_iam_policy_inline_and_each_only_reads() -> None:
    template = member_role_template(ACTIONS, MemberRole(SCANNER))
    documents = template_policies(template)
    assert documents == [scanner_policy(ACTIONS)]  # the very policy `lineage iam-policy` prints
    assert allowed_actions(documents) == set(ACTIONS)
    for document in documents:
        for statement in document["Statement"]:
            assert set(statement) == {"Sid", "Effect", "Action", "Resource"}  # no NotAction, no Deny to misread
            assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    for action in sorted(allowed_actions(documents)):
        assert access_levels(action) <= READ_ONLY, f"the member role allows {action}, which is not read-only"


def test_every_policy_document_is_within_its_iam_quota() -> None:
    template = member_role_template(ACTIONS, MemberRole(SCANNER, external_id="x" * 1224))
    role = template["Resources"]["ReaderRole"]["Properties"]
    assert sum(policy_size(policy["PolicyDocument"]) for policy in role["Policies"]) <= ROLE_INLINE_POLICIES_LIMIT
    longest_trust = trust_policy(f"arn:aws-us-gov:iam::111122223333:role/{'p/' * 200}{'r' * 64}", "x" * 1224)
    assert policy_size(longest_trust) <= TRUST_POLICY_LIMIT


def test_a_policy_too_large_to_be_inline_is_split_into_managed_policies_each_within_the_quota() -> None:
    assert policy_size(scanner_policy(MANY_ACTIONS)) > ROLE_INLINE_POLICIES_LIMIT
    template = member_role_template(MANY_ACTIONS, MemberRole(SCANNER))
    assert "Policies" not in template["Resources"]["ReaderRole"]["Properties"]
    managed = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    assert 2 <= len(managed) <= MANAGED_POLICIES_PER_ROLE
    for resource in managed:
        assert resource["Properties"]["Roles"] == [{"Ref": "ReaderRole"}]
        assert policy_size(resource["Properties"]["PolicyDocument"]) <= MANAGED_POLICY_LIMIT
    assert allowed_actions(template_policies(template)) == set(MANY_ACTIONS)
    assert yaml.safe_load(template_yaml(template)) == template


def test_the_split_fills_each_document_before_starting_the_next() -> None:
    documents = read_only_documents(MANY_ACTIONS)
    assert [a for d in documents for a in d["Statement"][0]["Action"]] == sorted(MANY_ACTIONS)
    for document, following in zip(documents, documents[1:], strict=False):
        grown = scanner_policy([*document["Statement"][0]["Action"], following["Statement"][0]["Action"][0]])
        assert policy_size(grown) > MANAGED_POLICY_LIMIT  # one more action would not have fitted


def test_more_managed_policies_than_a_role_takes_is_an_error_not_a_template() -> None:
    too_many = [f"s3:GetThing{number:06d}" for number in range(MANAGED_POLICIES_PER_ROLE * 400)]
    with pytest.raises(ValueError, match="managed policies"):
        member_role_template(too_many, MemberRole(SCANNER))


def test_the_trust_policy_names_the_principal_and_asks_the_external_id_only_when_given() -> None:
    [bare] = trust_policy(SCANNER)["Statement"]
    assert bare["Principal"] == {"AWS": SCANNER} and bare["Action"] == "sts:AssumeRole"
    assert bare["Effect"] == "Allow" and "Condition" not in bare
    [guarded] = trust_policy("111122223333", "org-123")["Statement"]
    assert guarded["Principal"] == {"AWS": "111122223333"}
    assert guarded["Condition"] == {"StringEquals": {"sts:ExternalId": "org-123"}}


def test_the_template_takes_its_defaults_from_the_command_line_and_checks_them_with_the_same_patterns() -> None:
    template = member_role_template(ACTIONS, MemberRole(SCANNER, "Reader", "org-123"))
    parameters = template["Parameters"]
    assert {name: p["Default"] for name, p in parameters.items()} == {
        "ScannerPrincipal": SCANNER, "RoleName": "Reader", "ExternalId": "org-123"}
    assert parameters["ScannerPrincipal"]["AllowedPattern"] == PRINCIPAL_PATTERN
    assert parameters["RoleName"]["AllowedPattern"] == ROLE_NAME_PATTERN
    assert parameters["ExternalId"]["AllowedPattern"] == EXTERNAL_ID_PATTERN
    role = template["Resources"]["ReaderRole"]["Properties"]
    assert role["RoleName"] == {"Ref": "RoleName"} and role["MaxSessionDuration"] == MAX_SESSION_SECONDS
    assert template["Outputs"]["RoleArn"]["Value"] == {"Fn::GetAtt": ["ReaderRole", "Arn"]}


@pytest.mark.parametrize("value", ["111122223333", "arn:aws:iam::111122223333:role/Scanner",
                                   "arn:aws:iam::111122223333:role/team/ops/scan.er@x",
                                   "arn:aws:iam::111122223333:user/ci", "arn:aws-us-gov:iam::111122223333:role/S",
                                   "arn:aws-cn:iam::111122223333:role/S"])
def test_an_account_or_a_role_or_user_arn_is_a_principal(value: str) -> None:
    assert principal_problem(value) is None
    assert re.fullmatch(PRINCIPAL_PATTERN, value, re.ASCII)


@pytest.mark.parametrize("value", ["", "11112222333", "1111222233334", "*", "arn:aws:iam::111122223333:root",
                                   "arn:aws:sts::111122223333:assumed-role/Scanner/session",
                                   "arn:aws:iam::111122223333:group/readers", "arn:aws:iam::1111:role/S",
                                   "arn:aws:s3:::bucket", "arn:aws:iam::111122223333:role/S\n# injected",
                                   f"arn:aws:iam::111122223333:role/{'r' * 65}", "111122223333 "])
def test_anything_else_is_not(value: str) -> None:
    assert principal_problem(value) is not None
    with pytest.raises(ValueError):
        MemberRole(value)


def test_role_names_and_external_ids_are_iams() -> None:
    for good in ("LineageReader", "a", "r" * 64, "team+scan=1,x.y@z_w-v"):
        assert role_name_problem(good) is None
    for bad in ("", "r" * 65, "a/b", "a b", "a*", "réader"):
        assert role_name_problem(bad) is not None
        with pytest.raises(ValueError):
            MemberRole(SCANNER, role_name=bad)
    for good in ("ab", "x" * 1224, "org:123/a+b=c,d.e@f-g_h"):
        assert external_id_problem(good) is None
    for bad in ("", "a", "x" * 1225, "a b", "a*b", "a\nb"):
        assert external_id_problem(bad) is not None


def test_the_caller_policy_lists_accounts_and_regions_and_assumes_only_the_member_role() -> None:
    policy = caller_policy("Reader", partition_of("arn:aws-us-gov:iam::111122223333:role/S"))
    listing, assuming = policy["Statement"]
    assert set(listing["Action"]) == {"organizations:ListAccounts", "account:ListRegions", "ec2:DescribeRegions"}
    assert listing["Resource"] == "*"
    for action in listing["Action"]:
        assert access_levels(action) <= READ_ONLY
    assert assuming == {"Sid": "LineageAssumesMemberRole", "Effect": "Allow", "Action": "sts:AssumeRole",
                        "Resource": "arn:aws-us-gov:iam::*:role/Reader"}
    assert access_levels("sts:AssumeRole") == {"Write"}  # the one write, held to the role's name
    assert caller_policy()["Statement"][1]["Resource"] == f"arn:aws:iam::*:role/{DEFAULT_ROLE_NAME}"
    assert partition_of("111122223333") == "aws"
    assert set(CALLER_LIST_ACTIONS) == set(listing["Action"])


def test_the_json_output_holds_the_same_three_documents() -> None:
    role = MemberRole("111122223333", "Reader", "org-123")
    printed = json.loads(organization_json(ACTIONS, role))
    assert printed == {"template": member_role_template(ACTIONS, role),
                       "trustPolicy": trust_policy("111122223333", "org-123"),
                       "scannerPolicy": caller_policy("Reader")}


def as_document(stored: Any) -> dict[str, Any]:
    """A policy document as IAM hands it back: boto3 decodes it to a dict, but moto keeps the inline policy
    of a role that CloudFormation created as the text of a Python dict."""
    if isinstance(stored, dict):
        return stored
    try:
        return json.loads(stored)
    except json.JSONDecodeError:
        return ast.literal_eval(stored)


def deploy(template_body: str, parameters: dict[str, str] | None = None, stack: str = "lineage-reader") -> Any:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName=stack, TemplateBody=template_body, Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()])
    [described] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    assert described["StackStatus"] == "CREATE_COMPLETE", described
    return described


@mock_aws
def test_the_printed_template_deploys_as_the_role_it_describes() -> None:
    stack = deploy(organization_yaml(ACTIONS, MemberRole(SCANNER, external_id="org-123")))
    iam = boto3.client("iam", region_name=REGION)
    role = iam.get_role(RoleName=DEFAULT_ROLE_NAME)["Role"]
    assert role["AssumeRolePolicyDocument"] == trust_policy(SCANNER, "org-123")
    assert role["MaxSessionDuration"] == MAX_SESSION_SECONDS
    assert {tag["Key"] for tag in role["Tags"]} == {"ManagedBy", "Purpose"}
    [name] = iam.list_role_policies(RoleName=DEFAULT_ROLE_NAME)["PolicyNames"]
    document = iam.get_role_policy(RoleName=DEFAULT_ROLE_NAME, PolicyName=name)["PolicyDocument"]
    assert as_document(document) == scanner_policy(ACTIONS)
    assert [(o["OutputKey"], o["OutputValue"]) for o in stack["Outputs"]] == [("RoleArn", role["Arn"])]


@mock_aws
def test_the_parameters_override_the_defaults_and_an_empty_external_id_drops_the_condition() -> None:
    deploy(organization_yaml(ACTIONS, MemberRole(SCANNER, external_id="org-123")),
           {"RoleName": "OtherReader", "ExternalId": "", "ScannerPrincipal": "444455556666"})
    role = boto3.client("iam", region_name=REGION).get_role(RoleName="OtherReader")["Role"]
    assert role["AssumeRolePolicyDocument"] == trust_policy("444455556666")
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert "Condition" not in statement


@mock_aws
def test_the_split_template_deploys_managed_policies_attached_to_the_role() -> None:
    deploy(template_yaml(member_role_template(MANY_ACTIONS, MemberRole(SCANNER, role_name="BigReader"))))
    iam = boto3.client("iam", region_name=REGION)
    attached = iam.list_attached_role_policies(RoleName="BigReader")["AttachedPolicies"]
    assert len(attached) >= 2
    assert iam.list_role_policies(RoleName="BigReader")["PolicyNames"] == []
    documents = []
    for policy in attached:
        version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
        documents.append(as_document(document))
    assert allowed_actions(documents) == set(MANY_ACTIONS)


def test_cfn_lint_finds_no_error_or_warning_in_either_template() -> None:
    """CloudFormation's own linter (moto's server extra brings it): it knows the resource schemas, such as
    the characters a tag value may hold, that moto does not check."""
    cfn_lint = pytest.importorskip("cfnlint.api")
    for template in (member_role_template(ACTIONS, MemberRole(SCANNER, external_id="org-123")),
                     member_role_template(MANY_ACTIONS, MemberRole("111122223333"))):
        matches = cfn_lint.lint_all(template_yaml(template))
        # Informational notes (I…) judge no correctness; W3037 is MANY_ACTIONS' made-up action names.
        problems = [f"{m.rule.id}: {m.message}" for m in matches
                    if m.rule.id.startswith(("E", "W")) and m.rule.id != "W3037"]
        assert problems == []
