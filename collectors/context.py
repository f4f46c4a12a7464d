"""One context per scan: clients, call counts, retries, concurrency, and coverage gaps.

Every AWS call of every collector goes through `AwsContext.call` or `AwsContext.pages`, named by a
`Call` that its collector declares. Whatever goes wrong with one call — an AWS error, a timeout, an
answer no parser reads, an answer without the fields a usable one has — becomes a coverage gap on
the scan naming that operation, never an exception to the caller. An answer that only says a
configuration does not exist (no lifecycle, no policy) is returned as an `absent` marker, and one
that says the resource itself is gone (deleted between list and read) as a `gone` marker: both are
facts about the resource, not gaps.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Protocol, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from collectors.declarations import Call, service_name
from lineage import redact
from lineage.model import CoverageGap, Facts, Node

T = TypeVar("T")
R = TypeVar("R")

ABSENT_KEY = "__absent__"
GONE_KEY = "__gone__"

# Errors no other call of the scan could avoid either.
_NO_CREDENTIALS = (NoCredentialsError, PartialCredentialsError)
# Errors that say an endpoint does not answer: every other call to it would wait out the same retries.
_NOT_ANSWERING = (EndpointConnectionError, ConnectTimeoutError)

# Codes a region answers with when it is not enabled for the account (opt-in regions): every other
# call there would fail the same way, so the region is said to be unusable once.
_REGION_NOT_ENABLED = frozenset({"UnrecognizedClientException", "InvalidClientTokenId", "OptInRequired",
                                 "AuthFailure"})


def _refuse_unreadable_json(operation_model: Any, response_dict: Mapping[str, Any], **_: Any) -> None:
    """A successful answer of a JSON service whose body is not JSON is unusable. botocore reads such a
    body as an empty answer, which where emptiness means something (no queue) would pass for a fact."""
    if operation_model.metadata.get("protocol") not in ("json", "rest-json") or response_dict["status_code"] >= 300:
        return
    body = response_dict.get("body") or b""
    if body.strip():
        try:
            json.loads(body)
        except ValueError:
            raise _Unusable("the answer is not JSON") from None


def _lookup(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def missing_fields(answer: Any, required: Iterable[str]) -> list[str]:
    """The required keys an answer lacks (None counts as lacking)."""
    return [key for key in required if _lookup(answer, key) is None]


def error_text(error: BaseException) -> str:
    """`Code: message` of an AWS error, `Type: message` of anything else."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{info.get('Code', 'ClientError')}: {info.get('Message', '')}"
    return f"{type(error).__name__}: {error}"


def error_code(error: BaseException) -> str:
    return error.response.get("Error", {}).get("Code", "ClientError") if isinstance(error, ClientError) else ""


def declared_error(error: BaseException, declared: Iterable[str]) -> bool:
    """Whether an AWS error is one of those a call declares: its code (`NoSuchBucketPolicy`), or its code
    and the start of its message (`AccessDeniedException: Macie is not enabled`)."""
    code = error_code(error)
    if not code:
        return False
    text = error_text(error)
    return any(entry == code or (entry.startswith(f"{code}: ") and text.startswith(entry)) for entry in declared)


def absent(code: str) -> dict[str, str]:
    """The marker for a configuration AWS says does not exist; plain data, so it can be recorded."""
    return {ABSENT_KEY: code}


def is_absent(value: Any) -> bool:
    return isinstance(value, dict) and ABSENT_KEY in value


def gone(code: str) -> dict[str, str]:
    """The marker for a resource that no longer exists (deleted between the listing and this call)."""
    return {GONE_KEY: code}


def is_gone(value: Any) -> bool:
    return isinstance(value, dict) and GONE_KEY in value


class _Unusable(Exception):
    """An answer that arrived but cannot be used: said in the gap, never raised past `call`."""


class CallLimiter(Protocol):
    """Bounds the calls in flight to one account and region, across every thread (and, in a shared store,
    every worker) that reads it, so that a large scan does not throttle itself."""

    def acquire(self, key: str) -> str:
        """Wait for a free slot of `key` (`ACCOUNT/REGION`); a token that `release` gives back."""
        ...

    def release(self, key: str, token: str) -> None: ...


class AwsContext:
    def __init__(
        self,
        session: boto3.Session,
        regions: Iterable[str],
        endpoint_url: str | None = None,
        workers: int = 8,
        max_attempts: int = 8,
        limiter: CallLimiter | None = None,
    ) -> None:
        self._session = session
        self._limiter = limiter
        self._slots = threading.local()  # the slot this thread's call holds, from its sending to its answer
        self.regions = tuple(regions)
        self.endpoint_url = endpoint_url
        self.account = ""
        self.caller = ""  # the ARN the credentials act as, as STS says
        self.assumed_role = ""  # the role name assumed to read the account ("" for the caller's own credentials)
        self.external_id = ""
        self.gaps: list[CoverageGap] = []
        self.api_calls: Counter[str] = Counter()
        self.successful_calls = 0
        self.unreachable: str | None = None  # the first error saying no call can succeed
        self.regions_not_enabled: dict[str, str] = {}  # region → the error that said so
        self.silent_endpoints: dict[tuple[str, str], str] = {}  # (client, region) → why it is not tried again
        self._clients: dict[tuple[str, str], Any] = {}
        self._offered: dict[tuple[tuple[str, ...], str], bool] = {}
        self._lock = threading.Lock()
        self._config = Config(
            retries={"mode": "adaptive", "total_max_attempts": max_attempts},
            s3={"addressing_style": "path"} if endpoint_url else {},
            user_agent_extra="aws-lineage",
        )
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="aws")

    @property
    def home_region(self) -> str:
        return self.regions[0] if self.regions else "us-east-1"

    # -- clients ---------------------------------------------------------------------------------

    def client(self, service: str, region: str) -> Any:
        """A client per (service, region), built once; sessions are not thread-safe, clients are."""
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                client = self._session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url, config=self._config
                )
                client.meta.events.register("before-call.*.*", self._count)
                client.meta.events.register("before-parse.*.*", _refuse_unreadable_json)
                if self._limiter is not None:  # each attempt holds a slot while on the wire, retries included
                    client.meta.events.register("before-send.*.*", partial(self._take_slot, region))
                    client.meta.events.register("response-received.*.*", self._give_slot)
                    # An answer no parser reads raises past `response-received`: the call's end gives it back.
                    client.meta.events.register("after-call-error.*.*", self._give_slot)
                self._clients[key] = client
            return self._clients[key]

    def offers(self, clients: Iterable[str], region: str) -> bool:
        """Whether any of these services is offered in `region`, as botocore's endpoint data says (QuickSight is
        in some two dozen regions): a service not offered there holds nothing there, and asking its endpoint
        would only be a gap. A service the data lists no regions for (those resolved by rules alone), or a
        region the data does not know (newer than botocore), is taken as offered."""
        key = (tuple(sorted(set(clients))), region)
        with self._lock:
            if key in self._offered:
                return self._offered[key]
        known = set(self._session.get_available_regions("sts"))
        lists = [set(self._session.get_available_regions(client)) for client in key[0]]
        offered = region not in known or not lists or any(not listed or region in listed for listed in lists)
        with self._lock:
            self._offered[key] = offered
        return offered

    def _take_slot(self, region: str, **_: Any) -> None:
        assert self._limiter is not None
        self._give_slot()  # one this thread still holds was never answered: never kept for good
        key = f"{self.account}/{region}"
        self._slots.held = (key, self._limiter.acquire(key))

    def _give_slot(self, **_: Any) -> None:
        held = getattr(self._slots, "held", None)
        if held is not None and self._limiter is not None:
            self._slots.held = None
            self._limiter.release(*held)

    def _count(self, model: Any, **_: Any) -> None:
        prefix = service_name(model.service_model)
        with self._lock:
            self.api_calls[f"{prefix}:{model.name}"] += 1

    # -- calls -----------------------------------------------------------------------------------

    def skips(self, call: Call, region: str) -> bool:
        """Calls not made: when nothing can answer, to a region not enabled, or to an endpoint that did not
        answer (one gap said so)."""
        return (self.unreachable is not None or region in self.regions_not_enabled
                or (call.client, region) in self.silent_endpoints)

    def call(self, call: Call, region: str, resource: str = "", **kwargs: Any) -> dict[str, Any] | None:
        """The answer; an `absent` or `gone` marker for the codes the call declares; None and a gap
        for anything else, including an answer that lacks what a usable one has."""
        if self.skips(call, region):
            return None
        try:
            answer = self._invoke(call, region, kwargs)
            if not call.empty_is_an_answer:
                lacking = missing_fields(answer, call.required)
                if lacking:
                    raise _Unusable(f"the answer lacks {', '.join(lacking)}")
            problem = call.check(answer) if call.check is not None else None
            if problem:
                raise _Unusable(problem)
        except Exception as error:  # noqa: BLE001 - every failure of one call is that call's gap
            code = error_code(error)
            if declared_error(error, call.gone):
                self._succeeded()
                return gone(code)
            if declared_error(error, call.absent):
                self._succeeded()
                return absent(code)
            self._failed(call, region, resource, error)
            return None
        self._succeeded()
        return answer

    def pages(self, call: Call, region: str, resource: str = "", **kwargs: Any) -> list[Any] | dict[str, str] | None:
        """Every item of a listing (through botocore's paginator when it has one, else NextToken).

        A page without the listing's key is an unusable answer (a gap, and None); an item without
        a required key is dropped with a gap of its own, so it costs only itself. A listing of one
        resource's parts (a role's policies) answers the `gone` marker when the resource went meanwhile.
        """
        if self.skips(call, region):
            return None
        items: list[Any] = []
        malformed: list[str] = []
        try:
            client = self.client(call.client, region)
            if client.can_paginate(call.method):
                pages: Iterable[Mapping[str, Any]] = client.get_paginator(call.method).paginate(**kwargs)
            else:
                pages = self._token_pages(client, call.method, kwargs)
            for page in pages:
                listed = page.get(call.result_key)
                if listed is None and call.empty_is_an_answer:
                    listed = []  # SQS leaves QueueUrls out of the answer when there is no queue
                if not isinstance(listed, list):
                    raise _Unusable(f"the answer lacks {call.result_key}")
                for item in listed:
                    lacking = missing_fields(item, call.required) if call.required else []
                    if lacking:
                        malformed.append(f"an item of {call.result_key} lacks {', '.join(lacking)}")
                    else:
                        items.append(item)
        except Exception as error:  # noqa: BLE001 - every failure of one listing is that listing's gap
            if declared_error(error, call.gone):
                self._succeeded()
                return gone(error_code(error))
            self._failed(call, region, resource, error)
            return None
        self._succeeded()
        for problem in malformed:
            self._failed(call, region, resource, _Unusable(problem))
        return items

    def _invoke(self, call: Call, region: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        answer = getattr(self.client(call.client, region), call.method)(**kwargs)
        answer.pop("ResponseMetadata", None)
        return answer

    @staticmethod
    def _token_pages(client: Any, method: str, kwargs: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        arguments = dict(kwargs)
        while True:
            page = getattr(client, method)(**arguments)
            yield page
            token = page.get("NextToken")
            if not token:
                return
            arguments["NextToken"] = token

    def _succeeded(self) -> None:
        with self._lock:
            self.successful_calls += 1

    def _failed(self, call: Call, region: str, resource: str, error: BaseException) -> None:
        if isinstance(error, _Unusable):
            text = f"UnusableAnswer: {error}"
        elif isinstance(error, ClientError | BotoCoreError):
            text = error_text(error)
        else:  # no parser read the body (ResponseParserError), or a parser met a shape it did not expect
            text = f"UnusableAnswer: {error_text(error)}"
        if isinstance(error, _NO_CREDENTIALS) or (isinstance(error, _NOT_ANSWERING) and self.endpoint_url):
            with self._lock:  # no credentials, or the one endpoint every call goes to is silent
                self.unreachable = self.unreachable or error_text(error)
        elif isinstance(error, _NOT_ANSWERING):
            with self._lock:
                first = (call.client, region) not in self.silent_endpoints
                self.silent_endpoints.setdefault((call.client, region), text)
            if not first:
                return
            text = f"the {call.service} endpoint in {region} does not answer; nothing more was asked of it ({text})"
        if error_code(error) in _REGION_NOT_ENABLED and self.account and region != self.home_region:
            with self._lock:
                first = region not in self.regions_not_enabled
                self.regions_not_enabled.setdefault(region, text)
            if not first:
                return
            text = f"region {region} is not enabled for this account, nothing there was read ({text})"
        self.gap(call.service, call.operation, resource, text, region)

    def gap(self, service: str, operation: str, resource: str, error: str, region: str = "") -> None:
        """Record what the scan could not read (from any worker thread)."""
        with self._lock:
            self.gaps.append(CoverageGap(service, operation, resource, redact.short(error.strip(), 500), region,
                                         self.account))

    # -- concurrency -----------------------------------------------------------------------------

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`function` over `items` on the scan's worker pool, results in the order of `items`.

        Only collectors' per-resource work is submitted here, and it never submits more, so the
        pool cannot wait on itself.
        """
        return list(self._pool.map(function, items))

    def identify(self) -> str:
        """The account the credentials belong to; a gap, and an empty account, when STS says no.

        Without credentials, or when the one endpoint every call is sent to (`--endpoint-url`) does not
        answer, `unreachable` says why: every other call would fail the same way, after the same
        retries. STS alone not answering is not that: other services may still answer.
        """
        response = self.call(GET_CALLER_IDENTITY, self.home_region)
        self.account = str((response or {}).get("Account", ""))
        self.caller = str((response or {}).get("Arn", ""))
        return self.account

    def close(self) -> None:
        self._pool.shutdown(wait=True)


GET_CALLER_IDENTITY = Call("sts", "get_caller_identity", required=("Account",))

# The account in an ARN AWS wrote: `arn:PARTITION:SERVICE:REGION:ACCOUNT:…`.
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")


def tag_dict(tags: Any) -> dict[str, str]:
    """Tags as AWS lists them (`[{"Key", "Value"}]`), as a mapping; an entry without a key is no tag."""
    return {str(tag["Key"]): str(tag.get("Value") or "") for tag in tags or ()
            if isinstance(tag, Mapping) and tag.get("Key")}


def tag_pages(ctx: AwsContext, call: Call, region: str, resource: str, most_pages: int = 20,
              **arguments: Any) -> dict[str, str] | None:
    """Tags listed a page at a time as Kinesis and Firehose list them (`HasMoreTags`, the next page after
    `ExclusiveStartTagKey`); the answer as it came when a page is a gap (None) or the resource is gone."""
    tags: dict[str, str] = {}
    start = ""
    for _ in range(most_pages):
        answer = ctx.call(call, region, resource, **arguments, **({"ExclusiveStartTagKey": start} if start else {}))
        if answer is None or is_gone(answer):
            return answer
        page = tag_dict(answer.get("Tags"))
        tags.update(page)
        last = list(page)[-1] if page else ""
        if not answer.get("HasMoreTags") or not last or last == start:
            break
        start = last
    return tags


def every_page(ctx: AwsContext, call: Call, region: str, resource: str, items: tuple[str, tuple[str, ...]],
               token: tuple[str, str], most_pages: int = 50,
               **arguments: Any) -> list[dict[str, Any]] | dict[str, str] | None:
    """Every item of a paged answer read through `ctx.call`, so that the resource being gone, or the service
    not being used at all, is a fact (the `gone` or `absent` marker), not a gap; None when a page is a gap.
    `items` is (the answer's key, what each item must hold): an item without it is dropped with a gap of its
    own. `token` is (request parameter, answer key)."""
    key, required = items
    found: list[dict[str, Any]] = []
    position = ""
    for _ in range(most_pages):
        answer = ctx.call(call, region, resource, **arguments, **({token[0]: position} if position else {}))
        if answer is None or is_gone(answer) or is_absent(answer):
            return answer
        for item in answer[key]:
            lacking = missing_fields(item, required)
            if lacking:
                ctx.gap(call.service, call.operation, resource,
                        f"UnusableAnswer: an item of {key} lacks {', '.join(lacking)}", region)
            else:
                found.append(item)
        following = str(answer.get(token[1]) or "")
        if not following or following == position:
            break
        position = following
    return found


def account_named_by(answers: Iterable[Any]) -> str:
    """The account most of the ARNs in these answers belong to: when STS cannot say which account the
    credentials reach, the resources it lists (each bus, machine and workgroup has its ARN) can.
    Empty when no answer holds an account's ARN."""
    counts: Counter[str] = Counter()
    stack: list[Any] = list(answers)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if match := _ARN_ACCOUNT.match(value):
                counts[match.group(1)] += 1
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return min(counts, key=lambda account: (-counts[account], account)) if counts else ""


def each_answer(items: Iterable[T], read: Callable[[T], R], call: Call, resource_of: Callable[[T], str],
                region: str = "") -> tuple[list[R], list[CoverageGap]]:
    """`read` over each resource's answer; one whose shape no transform expected costs only itself.

    Transforms are pure and trust what `AwsContext` let through; this is where a surprise beyond that
    becomes a coverage gap on the one resource, named by the call that described it.
    """
    results: list[R] = []
    gaps: list[CoverageGap] = []
    for item in items:
        try:
            results.append(read(item))
        except Exception as error:  # noqa: BLE001 - one resource's problem, never the collector's
            try:
                resource = str(resource_of(item))
            except Exception:  # noqa: BLE001 - the answer may lack even its name
                resource = ""
            gaps.append(CoverageGap(call.service, call.operation, resource,
                                    redact.short(f"UnusableAnswer: {error_text(error)}", 500), region))
    return results, gaps


def each_resource(items: Iterable[T], transform: Callable[[T], Facts], call: Call, resource_of: Callable[[T], str],
                  region: str = "") -> Facts:
    """The facts of each resource's answer (see `each_answer`), with the gaps of those that had none."""
    parts, gaps = each_answer(items, transform, call, resource_of, region)
    return Facts.concat([*parts, Facts(gaps=tuple(gaps))])


def one_node_per_resource(facts: Facts) -> Facts:
    """Facts of resources read by the names other facts gave them, one node per resource however many names
    reached it (an alias and a key's ARN are one key; a role's name and its ARN one role), `named_as` joined."""
    merged: dict[str, Node] = {}
    for node in facts.nodes:
        held = merged.get(node.id)
        if held is not None:
            named_as = sorted({*held.attributes.get("named_as", ()), *node.attributes.get("named_as", ())})
            node = Node(node.id, node.kind, node.name, node.stage, node.account, node.region, node.observed,
                        {**node.attributes, "named_as": named_as})
        merged[node.id] = node
    return Facts(tuple(merged.values()), facts.edges, facts.gaps)
