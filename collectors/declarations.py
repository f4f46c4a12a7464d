"""What each collector declares: the AWS calls it makes and what their answers mean, and how the scan
runs it. The IAM policy, the call counts and the fault tests are derived from these declarations, so a
new call is in the policy and under test the day it is declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore import xform_name

from lineage.model import Facts, Node

if TYPE_CHECKING:
    from collectors.context import AwsContext


@cache
def _service_model(client: str) -> Any:
    return botocore.session.get_session().get_service_model(client)


# Clients that sign as another API's service (API Gateway's v2 as `apigateway`) and share operation names with
# it (GetStages, GetAuthorizers): named by their own name in call counts and gaps, so that the two stay two calls.
_NAMED_AS_CLIENT = frozenset({"apigatewayv2"})


def service_name(model: Any) -> str:
    """How calls and gaps name a botocore service model's service: as AWS signs it (`states`, not `sfn`), or by
    the client's own name where that would mistake one API for another."""
    if model.service_name in _NAMED_AS_CLIENT:
        return str(model.service_name)
    return str(model.signing_name or model.endpoint_prefix)


@cache
def _operation_names(client: str) -> Mapping[str, str]:
    return {xform_name(name): name for name in _service_model(client).operation_names}


@dataclass(frozen=True, slots=True)
class Call:
    """One AWS operation, with what a usable answer holds and which error codes are facts, not gaps."""

    client: str  # boto3 client name: "s3", "stepfunctions"
    method: str  # boto3 method: "get_bucket_policy"
    result_key: str = ""  # a listing: the key of each page that holds the items
    required: tuple[str, ...] = ()  # keys (dotted when nested) a usable answer, or each listed item, has
    # Error codes that mean "not configured"; `Code: start of the message` where the code alone also
    # means something else (Macie answers AccessDeniedException both to a denied role and to an account
    # that never enabled it: only the message tells them apart).
    absent: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()  # error codes that mean the resource no longer exists (written as `absent`)
    iam_action: str = ""  # when the IAM action is not named like the operation
    # An answer without fields means something: no versioning ever set; a listing without its key, none.
    empty_is_an_answer: bool = False
    check: Callable[[Mapping[str, Any]], str | None] | None = None  # what else makes an answer unusable

    @property
    def operation(self) -> str:
        return _operation_names(self.client)[self.method]

    @property
    def service(self) -> str:
        """The prefix AWS uses for the service in IAM and in our call counts: `states`, not `sfn` (see
        `service_name` for the one exception)."""
        return service_name(_service_model(self.client))

    @property
    def iam_prefix(self) -> str:
        """The service's prefix in IAM, which its actions start with (API Gateway's v2 included)."""
        model = _service_model(self.client)
        return str(model.signing_name or model.endpoint_prefix)

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def action(self) -> str:
        return self.iam_action or self.name

    @property
    def is_listing(self) -> bool:
        return bool(self.result_key)


Wanted = Mapping[str, Sequence[str]]  # node kind → ids of resources to read one by one


@dataclass(frozen=True, slots=True)
class Collector:
    """One AWS service as the scan runs it: get (calls) → transform (pure) per region.

    When a listing fails (a role without `s3:ListAllMyBuckets`), the resources that other facts name
    are still read one by one through `get_named`, so a denied listing does not hide what flows use.
    """

    service: str  # as gaps and call counts name it
    label: str  # for progress: "Step Functions"
    calls: tuple[Call, ...]
    get: Callable[[AwsContext, str], Any]
    transform: Callable[[Any, str, str], Facts]  # (raw, account, region)
    regional: bool = True
    listings: Mapping[str, Call] = field(default_factory=dict)  # node kind → the listing that finds them
    get_named: Callable[[AwsContext, str, Wanted], Any] | None = None
    # For a collector that lists nothing (KMS keys): the resources the other collectors' facts name, as
    # unobserved nodes, read through `get_named` once the others ran. Given (facts, scanned account).
    named_in: Callable[[Iterable[Facts], str], list[Node]] | None = None
    # Every call names the account (QuickSight's `AwsAccountId`): when STS could not say which it is, the scan
    # runs this collector after the others, whose answers name it.
    needs_account: bool = False
