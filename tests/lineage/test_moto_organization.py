"""The moto organization the organization-wide tests stand on (`tests/organization.py`): its accounts,
its roles, the refusal of a role that does not exist, and the flows it promises a scan will find."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from lineage.scan import ScanOptions, run_scan
from tests.e2e.conftest import running_moto_server
from tests.organization import MotoOrganization, assumed_session, build_organization, refuse_missing_roles


@pytest.fixture
def organization() -> Iterator[MotoOrganization]:
    """A fresh organization in-process for each test (it builds in about a second); a mock left active
    would also answer the moto server's test in place of the server."""
    with mock_aws():
        yield build_organization()


def _buckets(session: boto3.Session, endpoint_url: str | None = None) -> set[str]:
    return {b["Name"] for b in session.client("s3", endpoint_url=endpoint_url).list_buckets()["Buckets"]}


def _refused(role_arn: str, endpoint_url: str | None = None) -> ClientError | None:
    try:
        boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint_url).assume_role(
            RoleArn=role_arn, RoleSessionName="lineage-scan")
    except ClientError as error:
        return error
    return None


def test_every_member_and_the_management_account_are_active(organization: MotoOrganization) -> None:
    accounts = boto3.client("organizations", region_name="us-east-1").list_accounts()["Accounts"]

    assert len(accounts) == len(organization.members) + 1 == 6
    assert {a["Id"] for a in accounts} == {organization.management, *organization.members}
    assert {a["Status"] for a in accounts} == {"ACTIVE"}
    assert organization.management == boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    assert organization.without_role in organization.members
    assert organization.regions == ("us-east-1", "eu-west-1")


def test_the_role_acts_in_its_member_and_sees_only_its_buckets(organization: MotoOrganization) -> None:
    seen: dict[str, set[str]] = {}
    for member in organization.members:
        if member == organization.without_role:
            continue
        session = assumed_session(organization.role_arn(member))
        assert session.client("sts").get_caller_identity()["Account"] == member
        seen[member] = _buckets(session)
        assert seen[member], f"member {member} holds no bucket"
        assert all(name.endswith(f"-{member}") for name in seen[member]), seen[member]
    assert _buckets(boto3.Session(region_name="us-east-1")) == {f"org-audit-logs-{organization.management}"}
    assert {f"lake-raw-customers-{organization.members[1]}", f"lake-eu-contacts-{organization.members[1]}"} == \
        seen[organization.members[1]]


def test_a_missing_role_is_refused_only_while_refusal_is_on(organization: MotoOrganization) -> None:
    missing = organization.role_arn(organization.without_role)

    with refuse_missing_roles():
        error = _refused(missing)
        assert error is not None and error.response["Error"]["Code"] == "AccessDenied"
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert missing in error.response["Error"]["Message"]
        assert _refused(organization.role_arn(organization.members[0])) is None
        assert _refused(f"arn:aws:iam::{organization.without_role}:role/OrganizationAccountAccessRole") is None
    assert _refused(missing) is None  # moto's own behaviour is back


def test_each_cross_account_flow_is_found_by_scanning_one_account(organization: MotoOrganization) -> None:
    """Every promised flow is an edge of one account's scan, and its other end is read in another
    account; the member without the role, scanned nowhere, shows nowhere."""
    edges_by_account: dict[str, set[tuple[str, str]]] = {}
    observed_by_account: dict[str, set[str]] = {}
    for account in (organization.management, *organization.members):
        if account == organization.without_role:
            continue
        session = (boto3.Session(region_name="us-east-1") if account == organization.management
                   else assumed_session(organization.role_arn(account)))
        # S3 lists every region's buckets at once; the other flows' regional ends are in one region each.
        region = "eu-west-1" if account == organization.members[3] else "us-east-1"
        scan, _ = run_scan(ScanOptions(regions=(region,)), session=session)
        assert scan.accounts == (account,)
        edges_by_account[account] = {(e.source, e.target) for e in scan.edges}
        observed_by_account[account] = {n.id for n in scan.nodes if n.observed}
        assert not any(organization.without_role in node.id for node in scan.nodes)

    def owners(node_id: str) -> set[str]:
        bucket = node_id.split("/", 1)[0]  # a location is read where its bucket is
        return {a for a, ids in observed_by_account.items() if node_id in ids or bucket in ids}

    assert len(organization.cross_account_flows) == 8
    for source, target in organization.cross_account_flows:
        found_in = {a for a, edges in edges_by_account.items() if (source, target) in edges}
        assert len(found_in) == 1, (source, target, found_in)
        assert (owners(source) | owners(target)) - found_in, f"{source} → {target} stays inside {found_in}"


def test_too_few_members_for_the_platform_is_refused() -> None:
    with pytest.raises(ValueError, match="5 members"):
        build_organization(members=4)


def test_the_organization_builds_over_http_and_refusal_holds_there() -> None:
    with running_moto_server() as endpoint:
        _builds_over_http_and_refusal_holds_there(endpoint)


def _builds_over_http_and_refusal_holds_there(moto_server: str) -> None:
    organization = build_organization(moto_server, members=6)
    listed = boto3.client("organizations", region_name="us-east-1", endpoint_url=moto_server).list_accounts()

    assert {a["Id"] for a in listed["Accounts"]} == {organization.management, *organization.members}
    extra = organization.members[5]
    session = assumed_session(organization.role_arn(extra), moto_server)
    assert session.client("sts", endpoint_url=moto_server).get_caller_identity()["Account"] == extra
    assert _buckets(session, moto_server) == {f"member-6-scratch-{extra}"}
    with refuse_missing_roles():
        error = _refused(organization.role_arn(organization.without_role), moto_server)
        assert error is not None and error.response["Error"]["Code"] == "AccessDenied"
        assert _refused(organization.role_arn(extra), moto_server) is None
    assert _refused(organization.role_arn(organization.without_role), moto_server) is None
