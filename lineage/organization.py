"""Which accounts and regions a scan reads, and the credentials each account is read with.

A scan of one set of credentials reads the account they belong to. A scan across accounts reads those
`organizations:ListAccounts` lists as active (from the management or a delegated administrator account),
or those named, less those excluded: each through a role assumed with the caller's own credentials, the
caller's own account with its own. What cannot be reached — a role that cannot be assumed, a listing that
fails, regions that cannot be told — is a coverage gap of that account; the rest is scanned.

Nothing here holds a credential beyond the boto3 session it builds: a Celery task names an account, a role
and a region, and each worker assumes the role itself (`lineage.executors.worker`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, RefreshableCredentials

from collectors.context import AwsContext, error_text
from collectors.declarations import Call
from lineage import redact
from lineage.model import CoverageGap

ALL_REGIONS = "all"  # `--region all`: every region enabled for each account
SESSION_NAME = "aws-lineage"
ROLE_SESSION_SECONDS = 3600  # the shortest AWS allows a role to cap sessions at; refreshed before it ends

_ACCOUNT_ID = re.compile(r"^\d{12}$")
# An IAM role name (with its path as IAM allows it): letters, digits and +=,.@_- up to 64.
_ROLE_NAME = re.compile(r"^(/[\w+=,.@-]+)*/?[\w+=,.@-]{1,64}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")

LIST_ACCOUNTS = Call("organizations", "list_accounts", result_key="Accounts", required=("Id",))
ASSUME_ROLE = Call("sts", "assume_role", required=("Credentials.AccessKeyId", "Credentials.SecretAccessKey",
                                                  "Credentials.SessionToken"))
LIST_REGIONS = Call("account", "list_regions", result_key="Regions", required=("RegionName",))
DESCRIBE_REGIONS = Call("ec2", "describe_regions", required=("Regions",))
# What the caller needs beyond what every account's role needs: the organization's accounts and the roles.
CALLER_CALLS = (LIST_ACCOUNTS, ASSUME_ROLE)
# What every scanned account is asked when its regions are `all` (the member role needs these too).
REGION_CALLS = (LIST_REGIONS, DESCRIBE_REGIONS)

_ENABLED = ("ENABLED", "ENABLED_BY_DEFAULT")
_EC2_ENABLED = ("opt-in-not-required", "opted-in")


class SelectionError(ValueError):
    """Accounts named in a way that cannot be used; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class AccountSelection:
    """Which accounts a scan reads, as the user named them."""

    organization: bool = False  # every active account the organization lists
    accounts: tuple[str, ...] = ()  # these accounts (with the organization's, when both are given)
    exclude: tuple[str, ...] = ()
    role_name: str = ""  # assumed in every account but the caller's own
    external_id: str = ""

    @property
    def spans_accounts(self) -> bool:
        return self.organization or bool(self.accounts)

    def key(self) -> str:
        """What names the selection in a scan's target key: scans of one selection are compared."""
        if not self.spans_accounts:
            return ""
        return "|".join(["org" if self.organization else "", ",".join(sorted(self.accounts)),
                         ",".join(sorted(self.exclude)), self.role_name])


def parse_account_ids(text: str, origin: str) -> tuple[str, ...]:
    """`111122223333,444455556666` (commas, spaces or lines; `#` starts a comment in a file) as account ids."""
    ids: list[str] = []
    for line in text.splitlines():
        for word in re.split(r"[,\s]+", line.split("#", 1)[0]):
            if not word:
                continue
            if not _ACCOUNT_ID.match(word):
                raise SelectionError(f"{origin}: {word!r} is not an account id (twelve digits)")
            if word not in ids:
                ids.append(word)
    return tuple(ids)


def check_role_name(name: str) -> str:
    if not _ROLE_NAME.match(name) or len(name) > 512:
        raise SelectionError(f"--assume-role {name!r} is not an IAM role name (letters, digits and +=,.@_-)")
    return name


def check_external_id(value: str) -> str:
    if not _EXTERNAL_ID.match(value):
        raise SelectionError("--external-id must be 2 to 1224 characters of letters, digits and +=,.@:/-")
    return value


def role_arn(account: str, role_name: str, partition: str = "aws") -> str:
    name = role_name.strip("/")
    return f"arn:{partition}:iam::{account}:role/{name}"


def partition_of(arn: str) -> str:
    """The partition an ARN is in (`aws`, `aws-cn`, `aws-us-gov`): roles are assumed in the caller's."""
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1].startswith("aws") else "aws"


def active_accounts(listed: Iterable[dict[str, Any]]) -> list[str]:
    """The ids of the accounts a listing says are active (suspended and closed accounts hold nothing to read)."""
    return sorted({str(a["Id"]) for a in listed if str(a.get("State") or a.get("Status") or "ACTIVE").upper()
                   == "ACTIVE"})


def choose_accounts(ctx: AwsContext, selection: AccountSelection) -> tuple[str, ...]:
    """The organization's active accounts (the management account among them) and those named, less those
    excluded; the caller's own account only as one of these. The organization's listing failing is a gap of
    the caller's context; the accounts named are still read."""
    chosen: list[str] = []
    if selection.organization:
        listed = ctx.pages(LIST_ACCOUNTS, ctx.home_region)
        if isinstance(listed, list):
            chosen += active_accounts(listed)
    chosen += selection.accounts
    excluded = set(selection.exclude)
    return tuple(dict.fromkeys(a for a in chosen if a not in excluded))


def enabled_regions(ctx: AwsContext) -> tuple[str, ...] | None:
    """The regions enabled for the context's account, opt-in regions only when opted in: from
    `account:ListRegions`, else `ec2:DescribeRegions`; None (and one gap naming both errors) when neither says."""
    client_errors: list[str] = []
    try:
        regions: list[str] = []
        paginator = ctx.client(LIST_REGIONS.client, ctx.home_region).get_paginator(LIST_REGIONS.method)
        for page in paginator.paginate(RegionOptStatusContains=list(_ENABLED)):
            regions += [str(r["RegionName"]) for r in page.get("Regions") or ()
                        if r.get("RegionName") and r.get("RegionOptStatus", "ENABLED") in _ENABLED]
        if regions:
            return tuple(sorted(set(regions)))
        client_errors.append("account:ListRegions listed no region")
    except Exception as error:  # noqa: BLE001 - the fallback below may still answer
        client_errors.append(f"account:ListRegions: {error_text(error)}")
    try:
        answer = ctx.client(DESCRIBE_REGIONS.client, ctx.home_region).describe_regions()
        regions = [str(r["RegionName"]) for r in answer.get("Regions") or ()
                   if r.get("RegionName") and r.get("OptInStatus", "opt-in-not-required") in _EC2_ENABLED]
        if regions:
            return tuple(sorted(set(regions)))
        client_errors.append("ec2:DescribeRegions listed no region")
    except Exception as error:  # noqa: BLE001 - said in the gap below
        client_errors.append(f"ec2:DescribeRegions: {error_text(error)}")
    ctx.gap("account", "ListRegions", ctx.account,
            f"the regions enabled for the account could not be told; only {ctx.home_region} was read "
            f"({'; '.join(client_errors)})", ctx.home_region)
    return None


@dataclass(frozen=True, slots=True)
class Assumed:
    """A session acting in another account, or the gap that says why there is none."""

    session: boto3.Session | None
    caller: str = ""  # the assumed-role ARN STS answered with
    gap: CoverageGap | None = None


class _AssumedRole(CredentialProvider):
    """The credentials of an assumed role, ahead of every other source botocore would look in."""

    METHOD = "sts-assume-role"
    CANONICAL_NAME = "lineage-assumed-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


def assume(sts: Any, account: str, selection: AccountSelection, region: str,
           base: boto3.Session | None = None, partition: str = "aws") -> Assumed:
    """A session in `account` through its role, with credentials refreshed before they expire, asked of `sts`
    (a client of the caller's own credentials). The first AssumeRole is made now, so a role that cannot be
    assumed is known at once: a gap of that account. The session shares `base`'s loaded service models, which
    each new session would otherwise read and parse again: a quarter of a second of CPU per account."""
    arn = role_arn(account, selection.role_name, partition)
    arguments: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": SESSION_NAME,
                                 "DurationSeconds": ROLE_SESSION_SECONDS}
    if selection.external_id:
        arguments["ExternalId"] = selection.external_id

    def fetch() -> tuple[dict[str, str], str]:
        answer = sts.assume_role(**arguments)
        credentials = answer["Credentials"]
        expiry = credentials["Expiration"]
        return ({"access_key": credentials["AccessKeyId"], "secret_key": credentials["SecretAccessKey"],
                 "token": credentials["SessionToken"],
                 "expiry_time": expiry.isoformat() if isinstance(expiry, datetime) else str(expiry)},
                str((answer.get("AssumedRoleUser") or {}).get("Arn", "")))

    try:
        metadata, caller = fetch()
    except Exception as error:  # noqa: BLE001 - a role that cannot be assumed costs that account only
        return Assumed(None, gap=CoverageGap(
            "sts", "AssumeRole", arn,
            redact.short(f"the role could not be assumed, nothing in account {account} was read "
                         f"({error_text(error)})", 500), region, account))
    credentials = RefreshableCredentials.create_from_metadata(
        metadata=metadata, refresh_using=lambda: fetch()[0], method="sts-assume-role")
    # The caller's profile still says how to reach AWS (its CA bundle, its proxies); the role's credentials,
    # put ahead of every other source, say who asks.
    # boto3 offers no public way to its botocore session; its components are botocore's own API.
    core = botocore.session.Session(profile=base._session.profile if base is not None else None)
    if base is not None:
        core.register_component("data_loader", base._session.get_component("data_loader"))
    core.get_component("credential_provider").insert_before("env", _AssumedRole(credentials))
    return Assumed(boto3.Session(botocore_session=core, region_name=region), caller)
