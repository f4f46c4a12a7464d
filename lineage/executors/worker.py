"""What a Celery worker does with one task: read one collector in one account and region.

The task names the account, the role and the region; the worker assumes the role with its own base
credentials (kept per process and refreshed before they expire) and answers with the facts, its call gaps
and its call counts as plain JSON. A task that ended its worker again and again is answered with a gap
instead of being run once more, so one poisonous task cannot keep a scan from ending.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3

from collectors.context import AwsContext, error_text
from lineage import redact
from lineage.executors import GLOBAL, Job, Task, collector_named, get, transform, wanted_from_data
from lineage.model import CoverageGap
from lineage.organization import AccountSelection, assume

MOST_DELIVERIES = 3  # a task delivered more often than this ended its worker each time
MOST_SESSIONS_KEPT = 64  # assumed-role sessions per process: their credentials refresh, their clients cost memory


@dataclass(slots=True)
class WorkerSettings:
    """Set once when the worker starts (`lineage worker`); each process of its pool inherits it."""

    limiter_url: str = ""  # Redis or Valkey shared by every worker; "" bounds calls per process only


settings = WorkerSettings()
_lock = threading.Lock()
_sessions: OrderedDict[tuple[str, str, str, str], Any] = OrderedDict()
_limiters: dict[int, Any] = {}
_own_account: dict[str, str] = {}


@cache
def _base_session() -> boto3.Session:
    """The worker's own credentials, once per process: its service models are loaded once and shared with the
    sessions of the roles it assumes."""
    return boto3.Session()


def _limiter(limit: int) -> Any:
    if limit <= 0:
        return None
    with _lock:
        if limit not in _limiters:
            from lineage.executors.limits import RedisLimiter, ThreadLimiter

            _limiters[limit] = RedisLimiter(_store(settings.limiter_url), limit) if settings.limiter_url \
                else ThreadLimiter(limit)
        return _limiters[limit]


def _session_for(message: dict[str, Any]) -> tuple[Any, CoverageGap | None]:
    """The session that reads the task's account: the role assumed with this worker's credentials, or its own
    credentials for the caller's account — which must then be that account."""
    account, role, external_id, endpoint = (str(message.get(k) or "") for k in
                                            ("account", "role", "external_id", "endpoint_url"))
    region = str(message.get("sts_region") or "") or _home(message)  # the caller's region, never an opt-in one
    key = (account, role, external_id, endpoint)
    with _lock:
        if key in _sessions:
            _sessions.move_to_end(key)
            return _sessions[key], None
    if role:
        sts = _base_session().client("sts", region_name=region, endpoint_url=endpoint or None)
        assumed = assume(sts, account, AccountSelection(accounts=(account,), role_name=role,
                                                         external_id=external_id), region, base=_base_session(),
                         partition=str(message.get("partition") or "aws"))
        if assumed.session is None:
            return None, assumed.gap
        session = assumed.session
    else:
        session = _base_session()
        own = _identity(session, region, endpoint)
        if account and own != account:
            return None, CoverageGap("sts", "GetCallerIdentity", "", redact.short(
                f"the worker's own credentials are in account {own or 'unknown'}, not {account}: a task without "
                "a role is read with the worker's credentials, which must be the scanning account's", 500),
                region, account)
    with _lock:
        _sessions[key] = session
        while len(_sessions) > MOST_SESSIONS_KEPT:  # a worker that has seen a thousand accounts keeps the latest
            _sessions.popitem(last=False)
    return session, None


def _identity(session: Any, region: str, endpoint: str) -> str:
    with _lock:
        if endpoint in _own_account:
            return _own_account[endpoint]
    try:
        account = str(session.client("sts", region_name=region, endpoint_url=endpoint or None)
                      .get_caller_identity()["Account"])
    except Exception:  # noqa: BLE001 - said as the account being unknown, in the gap the caller makes
        return ""  # not kept: STS failing once must not stop this process's later tasks
    with _lock:
        _own_account[endpoint] = account
    return account


def _home(message: dict[str, Any]) -> str:
    regions = message.get("regions") or ()
    return str(regions[0]) if regions else "us-east-1"


@cache
def _store(url: str) -> Any:
    """One Redis client per process (it pools its connections), not one per task."""
    import redis

    return redis.Redis.from_url(url)


def _deliveries(task_id: str) -> int:
    """How often this task was delivered (counted where the limiter lives; 1 without a shared store)."""
    if not settings.limiter_url or not task_id:
        return 1
    try:
        client = _store(settings.limiter_url)
        key = f"lineage:deliveries:{task_id}"
        count = int(client.incr(key))
        client.expire(key, 7 * 24 * 3600)
        return count
    except Exception:  # noqa: BLE001 - counting is a safeguard; a store that does not answer runs the task
        return 1


def read(task: Any, message: dict[str, Any]) -> dict[str, Any]:
    """The Celery task: the facts of one collector in one account and region, as plain data."""
    service, region, account = str(message["service"]), str(message["region"]), str(message.get("account") or "")
    gap_region = _home(message) if region == GLOBAL else region
    delivered = _deliveries(getattr(task.request, "id", "") or "")
    if delivered > MOST_DELIVERIES:
        return _only_gap(CoverageGap(service, "collect", "", f"TaskFailed: the task ended its worker {delivered - 1} "
                                     "times; it was not run again", gap_region, account))
    session, refused = _session_for(message)
    if session is None:
        return _only_gap(refused)  # type: ignore[arg-type]
    ctx = AwsContext(session, tuple(message.get("regions") or (region,)), message.get("endpoint_url") or None,
                     int(message.get("workers") or 8), limiter=_limiter(int(message.get("max_per_account") or 0)))
    try:
        ctx.account = account
        # What the account's earlier tasks learnt, as one context of the account would remember it.
        learnt = message.get("regions_not_enabled") or {}
        ctx.regions_not_enabled.update({str(region): str(why) for region, why in learnt.items()})
        ctx.silent_endpoints.update({(str(c), str(r)): str(why) for c, r, why in message.get("silent_endpoints") or ()})
        if not account:
            ctx.identify()
        job = Job(ctx, Task(collector_named(service), region), wanted_from_data(message.get("wanted")))
        facts = transform(get(job))
    except KeyError as error:  # a worker older or newer than the coordinator
        ctx.gap(service, "collect", "", f"TaskFailed: {error_text(error)}", gap_region)
        facts = None
    finally:
        ctx.close()
    return {"facts": {"nodes": [n.to_dict() for n in facts.nodes], "edges": [e.to_dict() for e in facts.edges],
                      "gaps": [g.to_dict() for g in facts.gaps]} if facts is not None else {},
            "call_gaps": [g.to_dict() for g in ctx.gaps], "api_calls": dict(ctx.api_calls),
            "successful_calls": ctx.successful_calls, "regions_not_enabled": dict(ctx.regions_not_enabled),
            "silent_endpoints": [[c, r, why] for (c, r), why in ctx.silent_endpoints.items()]}


def _only_gap(gap: CoverageGap) -> dict[str, Any]:
    return {"facts": {}, "call_gaps": [gap.to_dict()], "api_calls": {}, "successful_calls": 0}
