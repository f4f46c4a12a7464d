"""One context per scan: clients, call counts, retries, concurrency, and coverage gaps.

Every AWS call of every collector goes through `AwsContext.call` or `AwsContext.pages`. An error
becomes a coverage gap on the scan, never an exception to the caller; an answer that only says a
configuration does not exist (no lifecycle, no policy) is returned as an `absent` marker, because
that is a fact about the resource.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

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

from lineage.model import CoverageGap

T = TypeVar("T")
R = TypeVar("R")

ABSENT_KEY = "__absent__"

# Errors that no other call of the scan could avoid either: no credentials, or nothing answering.
_UNREACHABLE = (NoCredentialsError, PartialCredentialsError, EndpointConnectionError, ConnectTimeoutError)


def error_text(error: Exception) -> str:
    """`Code: message` of an AWS error, `Type: message` of any other botocore error."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{info.get('Code', 'ClientError')}: {info.get('Message', '')}"
    return f"{type(error).__name__}: {error}"


def absent(code: str) -> dict[str, str]:
    """The marker for a configuration AWS says does not exist; plain data, so it can be recorded."""
    return {ABSENT_KEY: code}


def is_absent(value: Any) -> bool:
    return isinstance(value, dict) and ABSENT_KEY in value


class AwsContext:
    def __init__(
        self,
        session: boto3.Session,
        regions: Iterable[str],
        endpoint_url: str | None = None,
        workers: int = 8,
        max_attempts: int = 8,
    ) -> None:
        self._session = session
        self.regions = tuple(regions)
        self.endpoint_url = endpoint_url
        self.account = ""
        self.gaps: list[CoverageGap] = []
        self.api_calls: Counter[str] = Counter()
        self.successful_calls = 0
        self.unreachable: str | None = None  # the first error saying no call can succeed
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": max_attempts},
            s3={"addressing_style": "path"} if endpoint_url else {},
            user_agent_extra="aws-lineage",
        )
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="aws")

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
                self._clients[key] = client
            return self._clients[key]

    def _count(self, model: Any, **_: Any) -> None:
        prefix = model.service_model.signing_name or model.service_model.endpoint_prefix
        with self._lock:
            self.api_calls[f"{prefix}:{model.name}"] += 1

    # -- calls -----------------------------------------------------------------------------------

    def call(self, client: Any, method: str, resource: str = "", absent_codes: Iterable[str] = (),
             **kwargs: Any) -> dict[str, Any] | None:
        """The response; an `absent` marker for the listed error codes; None (and a gap) on error."""
        try:
            response = getattr(client, method)(**kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            if code in set(absent_codes):
                self._succeeded()
                return absent(code)
            self._gap(client, method, resource, error_text(error))
            return None
        except BotoCoreError as error:
            if isinstance(error, _UNREACHABLE) and self.unreachable is None:
                self.unreachable = error_text(error)
            self._gap(client, method, resource, error_text(error))
            return None
        self._succeeded()
        response.pop("ResponseMetadata", None)
        return response

    def pages(self, client: Any, method: str, result_key: str, resource: str = "",
              **kwargs: Any) -> list[Any] | None:
        """All items of a listing, through the paginator when botocore has one, else NextToken."""
        items: list[Any] = []
        try:
            if client.can_paginate(method):
                for page in client.get_paginator(method).paginate(**kwargs):
                    items.extend(page.get(result_key) or [])
            else:
                token_kwargs = dict(kwargs)
                while True:
                    page = getattr(client, method)(**token_kwargs)
                    items.extend(page.get(result_key) or [])
                    token = page.get("NextToken")
                    if not token:
                        break
                    token_kwargs["NextToken"] = token
        except (ClientError, BotoCoreError) as error:
            self._gap(client, method, resource, error_text(error))
            return None
        self._succeeded()
        return items

    def _succeeded(self) -> None:
        with self._lock:
            self.successful_calls += 1

    def _gap(self, client: Any, method: str, resource: str, error: str) -> None:
        operation = client.meta.method_to_api_mapping.get(method, method)
        gap = CoverageGap(
            service=client.meta.service_model.signing_name or client.meta.service_model.endpoint_prefix,
            operation=operation,
            resource=resource,
            error=error.strip()[:500],
            region=client.meta.region_name or "",
        )
        with self._lock:
            self.gaps.append(gap)

    # -- concurrency -----------------------------------------------------------------------------

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`function` over `items` on the scan's worker pool, results in the order of `items`.

        Only collectors' per-resource work is submitted here, and it never submits more, so the
        pool cannot wait on itself.
        """
        return list(self._pool.map(function, items))

    def identify(self) -> str:
        """The account the credentials belong to; a gap, and an empty account, when STS says no.

        When STS cannot be reached at all, or there are no credentials, `unreachable` says why:
        every other call would fail the same way, after the same retries.
        """
        region = self.regions[0] if self.regions else "us-east-1"
        response = self.call(self.client("sts", region), "get_caller_identity")
        self.account = (response or {}).get("Account", "")
        return self.account

    def close(self) -> None:
        self._pool.shutdown(wait=True)
