"""`lineage iam-policy --organization` as a platform team runs it: a template CloudFormation deploys as it is
printed, the two other policies readable at its end, one line and exit code 2 for a wrong argument, and the
plain `lineage iam-policy` unchanged."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from collectors import all_calls
from lineage.iam import policy_json
from lineage.organization import REGION_CALLS
from lineage.stackset import MemberRole, caller_policy, member_role_template, trust_policy
from tests.e2e.conftest import lineage

# Every call a scan makes, and in each member the calls that tell its enabled regions (`--region all`).
ACTIONS = [call.action for call in (*all_calls(), *REGION_CALLS)]
SCANNER = "arn:aws:iam::111122223333:role/Scanner"


def commented_json(printed: str, heading: str) -> Any:
    """The JSON document in the comment block under the `# ---- heading` line of the printed YAML."""
    lines = printed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"# ---- {heading}"))
    opening = next(i for i in range(start, len(lines)) if lines[i] == "# {")
    closing = next(i for i in range(opening, len(lines)) if lines[i] == "# }")
    return json.loads("\n".join(line.removeprefix("# ") for line in lines[opening:closing + 1]))


def test_without_organization_the_policy_is_printed_as_before() -> None:
    printed = lineage("iam-policy")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == policy_json(call.action for call in all_calls())


def test_the_organization_output_is_the_template_then_both_policies_as_comments() -> None:
    printed = lineage("iam-policy", "--organization", "--scanner-principal", SCANNER, "--role-name", "OrgReader",
                      "--external-id", "org-123")
    assert printed.returncode == 0, printed.stderr
    assert printed.stderr == ""
    role = MemberRole(SCANNER, "OrgReader", "org-123")
    assert yaml.safe_load(printed.stdout) == member_role_template(ACTIONS, role)
    header = printed.stdout.split("\n\n", 1)[0]
    for words in ("create-stack-set", "--permission-model SERVICE_MANAGED", "--auto-deployment Enabled=true",
                  "create-stack-instances", "--deployment-targets OrganizationalUnitIds=", "CAPABILITY_NAMED_IAM"):
        assert words in header
    assert commented_json(printed.stdout, "The trust policy") == trust_policy(SCANNER, "org-123")
    assert commented_json(printed.stdout, "The policy of") == caller_policy("OrgReader")

    with mock_aws():  # and CloudFormation takes the output as it is
        cloudformation = boto3.client("cloudformation", region_name="us-east-1")
        cloudformation.create_stack(StackName="lineage-reader", TemplateBody=printed.stdout,
                                    Capabilities=["CAPABILITY_NAMED_IAM"])
        role_made = boto3.client("iam", region_name="us-east-1").get_role(RoleName="OrgReader")["Role"]
    assert role_made["AssumeRolePolicyDocument"] == trust_policy(SCANNER, "org-123")


def test_the_json_format_and_the_defaults() -> None:
    printed = lineage("iam-policy", "--organization", "--scanner-principal", "111122223333", "--format", "json")
    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert document["template"] == member_role_template(ACTIONS, MemberRole("111122223333"))
    assert document["trustPolicy"] == trust_policy("111122223333")  # no external id: no condition
    assert document["scannerPolicy"]["Statement"][1]["Resource"] == "arn:aws:iam::*:role/LineageReader"


@pytest.mark.parametrize(("arguments", "complaint"), [
    (("--organization",), "--organization needs --scanner-principal"),
    (("--organization", "--scanner-principal", "arn:aws:sts::111122223333:assumed-role/S/x"), "--scanner-principal"),
    (("--organization", "--scanner-principal", "11112222333"), "--scanner-principal"),
    (("--organization", "--scanner-principal", "111122223333", "--role-name", "a/b"), "--role-name"),
    (("--organization", "--scanner-principal", "111122223333", "--external-id", "x"), "--external-id"),
    (("--organization", "--scanner-principal", "111122223333", "--external-id", "a b"), "--external-id"),
    (("--organization", "--scanner-principal", "111122223333", "--format", "xml"), "--format"),
    (("--scanner-principal", "111122223333"), "--scanner-principal needs --organization"),
    (("--external-id", "org-123"), "--external-id needs --organization"),
])
def test_a_wrong_argument_is_one_line_and_exit_code_2(arguments: tuple[str, ...], complaint: str) -> None:
    printed = lineage("iam-policy", *arguments)
    assert printed.returncode == 2, printed.stderr
    assert printed.stdout == ""
    [line] = printed.stderr.splitlines()
    assert line.startswith("lineage: ") and complaint in line
