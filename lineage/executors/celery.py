"""The Celery executor: a scan's tasks on workers, here or on other machines (`lineage worker`).

The coordinator — the `lineage scan` or `lineage schedule` process — sends each task as plain data and
gathers the facts through the result backend; the rounds of `lineage.scan.collect`, the graph, the rules
and the store stay in the coordinator, so a scan ends exactly as a local one would. Tasks are acknowledged
late: a worker killed mid-task loses nothing, the broker delivers the task again. A task no worker finishes
before the scan's deadline is a coverage gap naming it, and the scan is stored `partial`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeout
from celery.result import ResultSet

from lineage import redact
from lineage.executors import GLOBAL, Job, Progress, in_account, wanted_as_data
from lineage.model import CoverageGap, Edge, Facts, Node

TASK_NAME = "lineage.read"
DEFAULT_DEADLINE = 6 * 3600.0  # seconds; a scheduled scan every six hours must end before the next
# How long a task taken by a worker that vanished stays invisible on Redis before another worker gets it
# (RabbitMQ gives it back as soon as the connection drops). Longer than any one task runs.
DEFAULT_REDELIVER_AFTER = int(os.environ.get("LINEAGE_REDELIVER_AFTER", "3600"))


@dataclass(frozen=True, slots=True)
class CeleryOptions:
    broker: str
    result_backend: str = ""  # the broker when it is Redis, else RPC replies over the broker
    deadline: float = DEFAULT_DEADLINE


def is_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "valkey://", "valkeys://", "redis+socket://"))


def as_redis(url: str) -> str:
    """Valkey speaks Redis: kombu and redis-py know the `redis` scheme only."""
    for scheme in ("valkey", "valkeys"):
        if url.startswith(f"{scheme}://"):
            return "redis" + url[len("valkey"):]
    return url


def result_backend_for(broker: str, result_backend: str = "") -> str:
    if result_backend:
        return as_redis(result_backend)
    return as_redis(broker) if is_redis(broker) else "rpc://"


def make_app(broker: str, result_backend: str = "", redeliver_after: int = DEFAULT_REDELIVER_AFTER) -> Celery:
    """The app both sides use: JSON only (nothing from the broker is ever unpickled), one task at a time per
    worker process, acknowledged after it ran, delivered again when its worker is lost."""
    from lineage.executors import worker

    app = Celery("lineage", broker=as_redis(broker), backend=result_backend_for(broker, result_backend),
                 set_as_current=False)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"], result_accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue="lineage", result_expires=24 * 3600, result_extended=False,
        broker_connection_retry_on_startup=True, worker_hijack_root_logger=False,
        worker_send_task_events=False, task_send_sent_event=False,
        broker_transport_options={"visibility_timeout": redeliver_after,
                                  # look for lost tasks about five times per timeout, not once per 100 s
                                  "unacked_restore_interval": max(1, min(10, redeliver_after // 5)),
                                  "unacked_restore_throttle": 1},
    )
    app.task(name=TASK_NAME, bind=True)(worker.read)
    return app


def message_of(job: Job, scan_id: str, endpoint_url: str | None, workers: int, max_per_account: int) -> dict[str, Any]:
    """What a worker needs to run one job: names and numbers, never a credential."""
    ctx = job.ctx
    return {"scan": scan_id, "account": ctx.account, "role": ctx.assumed_role, "external_id": ctx.external_id,
            "regions": list(ctx.regions), "region": job.task.region, "service": job.task.collector.service,
            "wanted": wanted_as_data(job.wanted), "endpoint_url": endpoint_url or "", "workers": workers,
            "max_per_account": max_per_account}


def facts_of(data: dict[str, Any]) -> Facts:
    return Facts(tuple(Node.from_dict(n) for n in data.get("nodes") or ()),
                 tuple(Edge.from_dict(e) for e in data.get("edges") or ()),
                 tuple(CoverageGap.from_dict(g) for g in data.get("gaps") or ()))


class CeleryExecutor:
    def __init__(self, options: CeleryOptions, scan_id: str, endpoint_url: str | None = None,
                 max_per_account: int = 0, workers: int = 8) -> None:
        self.app = make_app(options.broker, options.result_backend)
        self.scan_id = scan_id
        self.endpoint_url = endpoint_url
        self.max_per_account = max_per_account
        self.workers = workers
        self.ends_at = time.monotonic() + options.deadline
        self.deadline = options.deadline

    def run(self, jobs: Sequence[Job], progress: Progress | None = None) -> list[Facts]:
        if not jobs:
            return []
        sent = {}
        for job in jobs:
            message = message_of(job, self.scan_id, self.endpoint_url, self.workers, self.max_per_account)
            result = self.app.send_task(TASK_NAME, args=[message])
            sent[result.id] = (job, result)
        facts: list[Facts] = []
        pending = dict(sent)
        try:
            results = ResultSet([result for _, result in sent.values()], app=self.app)
            for task_id, meta in results.iter_native(timeout=max(0.0, self.ends_at - time.monotonic()),
                                                     interval=0.2):
                if task_id not in pending:
                    continue
                job, _ = pending.pop(task_id)
                facts.append(self._received(job, meta))
                if progress:
                    progress(job.label, len(sent) - len(pending), len(sent))
        except CeleryTimeout:
            pass
        for job, result in pending.values():
            result.revoke()  # a worker that has not started it yet skips it
            job.ctx.gap(job.task.collector.service, "collect", "",
                        f"TaskNotFinished: no worker finished {job.label} before the scan's deadline "
                        f"({int(self.deadline)} s); what it would have read is missing", _region(job))
        return facts

    @staticmethod
    def _received(job: Job, meta: dict[str, Any]) -> Facts:
        ctx = job.ctx
        if meta.get("status") != "SUCCESS" or not isinstance(meta.get("result"), dict):
            error = meta.get("result")
            text = error.get("exc_message") if isinstance(error, dict) else error
            ctx.gap(job.task.collector.service, "collect", "",
                    redact.short(f"TaskFailed: {job.label} failed on its worker: {text}", 500), _region(job))
            return Facts()
        answer = meta["result"]
        ctx.gaps.extend(CoverageGap.from_dict(g) for g in answer.get("call_gaps") or ())
        ctx.api_calls.update({str(k): int(v) for k, v in (answer.get("api_calls") or {}).items()})
        ctx.successful_calls += int(answer.get("successful_calls") or 0)
        return in_account(facts_of(answer.get("facts") or {}), ctx.account)


def _region(job: Job) -> str:
    return job.ctx.home_region if job.task.region == GLOBAL else job.task.region
