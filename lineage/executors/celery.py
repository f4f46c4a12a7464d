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
                                  "unacked_restore_throttle": 1,
                                  # the lock a worker takes to look, which a killed worker leaves held until it
                                  # expires: never longer than a task is left before it is delivered again
                                  "unacked_mutex_expire": max(1, min(300, redeliver_after))},
    )
    app.task(name=TASK_NAME, bind=True)(worker.read)
    return app


def message_of(job: Job, scan_id: str, endpoint_url: str | None, workers: int, max_per_account: int,
               sts_region: str, partition: str) -> dict[str, Any]:
    """What a worker needs to run one job: names and numbers, never a credential. What the account's earlier
    tasks learnt — regions not enabled, endpoints that do not answer — goes along, so that no worker asks
    again what the thread executor would not ask again either."""
    ctx = job.ctx
    return {"scan": scan_id, "account": ctx.account, "role": ctx.assumed_role, "external_id": ctx.external_id,
            "regions": list(ctx.regions), "region": job.task.region, "service": job.task.collector.service,
            "wanted": wanted_as_data(job.wanted), "endpoint_url": endpoint_url or "", "workers": workers,
            "max_per_account": max_per_account, "sts_region": sts_region, "partition": partition,
            "regions_not_enabled": dict(ctx.regions_not_enabled),
            "silent_endpoints": [[client, region, why] for (client, region), why in ctx.silent_endpoints.items()]}


def facts_of(data: dict[str, Any]) -> Facts:
    return Facts(tuple(Node.from_dict(n) for n in data.get("nodes") or ()),
                 tuple(Edge.from_dict(e) for e in data.get("edges") or ()),
                 tuple(CoverageGap.from_dict(g) for g in data.get("gaps") or ()))


class CeleryExecutor:
    def __init__(self, options: CeleryOptions, scan_id: str, endpoint_url: str | None = None,
                 max_per_account: int = 0, workers: int = 8, sts_region: str = "us-east-1",
                 partition: str = "aws") -> None:
        self.app = make_app(options.broker, options.result_backend)
        self.scan_id = scan_id
        self.endpoint_url = endpoint_url
        self.max_per_account = max_per_account
        self.workers = workers
        self.sts_region = sts_region  # the caller's own region: roles are assumed there, never in an opt-in one
        self.partition = partition
        self.ends_at = time.monotonic() + options.deadline
        self.deadline = options.deadline

    @property
    def _too_late(self) -> str:
        return f"no worker finished it before the scan's deadline ({int(self.deadline)} s)"

    def close(self) -> None:
        """The broker's and the backend's connections: a scheduler makes an executor per run."""
        self.app.close()

    def run(self, jobs: Sequence[Job], progress: Progress | None = None) -> list[Facts]:
        if not jobs:
            return []
        if self.ends_at <= time.monotonic():  # a later round after the deadline: nothing is sent any more
            self._unfinished(jobs, self._too_late)
            return []
        sent: dict[str, Job] = {}  # task id → its job, until its answer comes
        answered: set[int] = set()
        facts: list[Facts] = []
        why = "no answer came back"
        try:
            for job in jobs:
                message = message_of(job, self.scan_id, self.endpoint_url, self.workers, self.max_per_account,
                                     self.sts_region, self.partition)
                sent[self.app.send_task(TASK_NAME, args=[message]).id] = job
            results = ResultSet([self.app.AsyncResult(task_id) for task_id in sent], app=self.app)
            # Never a timeout of 0: some Celery versions read it as none at all.
            for task_id, meta in results.iter_native(timeout=max(self.ends_at - time.monotonic(), 0.001),
                                                     interval=0.2):
                job = sent.pop(task_id, None)
                if job is None:
                    continue
                answered.add(id(job))
                facts.append(self._received(job, meta))
                if progress:
                    progress(job.label, len(facts), len(jobs))
        except CeleryTimeout:
            why = self._too_late
        except Exception as error:  # noqa: BLE001 - the broker or the backend failing costs the tasks not gathered
            why = redact.short(f"the broker or the result backend failed ({type(error).__name__}: {error})", 300)
        left = [job for job in jobs if id(job) not in answered]  # sent and unanswered, or never sent
        if left:
            self._revoke(list(sent))
            self._unfinished(left, why)
        return facts

    def _revoke(self, task_ids: list[str]) -> None:
        """Tasks no one waits for any more: a worker that has not started one skips it."""
        try:
            if task_ids:
                self.app.control.revoke(task_ids)
        except Exception:  # noqa: BLE001 - revoking is a courtesy to the workers; their answers are ignored anyway
            pass

    def _unfinished(self, jobs: Sequence[Job], why: str) -> None:
        for job in jobs:
            job.ctx.gap(job.task.collector.service, "collect", "",
                        f"TaskNotFinished: {job.label}: {why}; what it would have read is missing", _region(job))

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
        _learn(ctx, answer)
        ctx.api_calls.update({str(k): int(v) for k, v in (answer.get("api_calls") or {}).items()})
        ctx.successful_calls += int(answer.get("successful_calls") or 0)
        return in_account(facts_of(answer.get("facts") or {}), ctx.account)


_SILENT = " does not answer; nothing more was asked of it"


def _learn(ctx: Any, answer: dict[str, Any]) -> None:
    """A task's call gaps, and what it learnt of its account, kept as one context of the account would keep
    them: a region not enabled, or an endpoint that does not answer, is said once however many tasks met it."""
    for region, why in (answer.get("regions_not_enabled") or {}).items():
        ctx.regions_not_enabled.setdefault(str(region), str(why))
    for client, region, why in answer.get("silent_endpoints") or ():
        ctx.silent_endpoints.setdefault((str(client), str(region)), str(why))
    disabled = {g.region for g in ctx.gaps if g.error.startswith(f"region {g.region} is not enabled")}
    silent = {(g.service, g.region) for g in ctx.gaps if _SILENT in g.error}
    for data in answer.get("call_gaps") or ():
        gap = CoverageGap.from_dict(data)
        if gap.error.startswith(f"region {gap.region} is not enabled"):
            if gap.region in disabled:
                continue
            disabled.add(gap.region)
        elif _SILENT in gap.error:
            if (gap.service, gap.region) in silent:
                continue
            silent.add((gap.service, gap.region))
        ctx.gaps.append(gap)


def _region(job: Job) -> str:
    return job.ctx.home_region if job.task.region == GLOBAL else job.task.region
