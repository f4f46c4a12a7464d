"""Where a scan's reads run: one task is one collector in one account and region.

A task is plain data — which account, region and collector, and for a follow-up read the names wanted —
never a credential. An executor runs a batch of tasks and gives back each one's facts, with its call gaps
and call counts added to the account's context, so that the rounds of `lineage.scan.collect` decide the
same whatever ran the tasks: the thread pool here (`threads`), or Celery workers elsewhere (`celery`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from collectors import COLLECTORS
from collectors.context import AwsContext
from collectors.declarations import Collector, Wanted
from lineage import redact
from lineage.model import CoverageGap, Facts

GLOBAL = "global"  # the region label of a collector that is not regional (S3 lists every bucket at once)

Progress = Callable[[str, int, int], None]  # (what finished, done, total)


@dataclass(frozen=True, slots=True)
class Task:
    collector: Collector
    region: str  # GLOBAL for a collector that is not regional

    @property
    def label(self) -> str:
        return self.collector.label if self.region == GLOBAL else f"{self.collector.label} {self.region}"


@dataclass(frozen=True, slots=True)
class Job:
    """A task to run in the account of `ctx`: the collector's listing read, or, with `wanted`, the resources
    other facts named, read one by one."""

    ctx: AwsContext
    task: Task
    wanted: Wanted | None = None

    @property
    def label(self) -> str:
        return f"{self.task.label} ({self.ctx.account})" if self.ctx.account else self.task.label


class Executor(Protocol):
    def run(self, jobs: Sequence[Job], progress: Progress | None = None) -> list[Facts]:
        """Each job's facts (in any order); each job's call gaps and counts added to its context."""
        ...


def collector_named(service: str) -> Collector:
    """The collector of a service, as a task names it."""
    for collector in COLLECTORS:
        if collector.service == service:
            return collector
    raise KeyError(f"no collector reads {service!r}")


@dataclass(slots=True)
class Read:
    """One job's raw answers, or what stopped its get."""

    job: Job
    raw: Any = None
    error: Exception | None = None


def get(job: Job) -> Read:
    """The job's calls; a collector's own bug costs that collector, not the scan."""
    collector, region = job.task.collector, job.task.region
    try:
        if job.wanted is None:
            return Read(job, collector.get(job.ctx, region))
        if collector.get_named is None:
            raise TypeError(f"the {collector.service} collector reads nothing by name")
        return Read(job, collector.get_named(job.ctx, region, job.wanted))
    except Exception as error:  # noqa: BLE001 - a collector's own bug costs that collector, not the scan
        return Read(job, error=error)


def transform(done: Read) -> Facts:
    """Transform one job's answers; what its collector did not foresee is a gap of the job. Every gap of the
    facts is said to be in the job's account."""
    task, account = done.job.task, done.job.ctx.account
    region = task.region if task.region != GLOBAL else ""
    try:
        if done.error is not None:
            raise done.error
        facts = task.collector.transform(done.raw, account, region)
        if not isinstance(facts, Facts):
            raise TypeError(f"the transform gave a {type(facts).__name__}, not facts")
    except Exception as error:  # noqa: BLE001 - a collector's own bug costs that collector, not the scan
        facts = Facts(gaps=(CoverageGap(task.collector.service, "collect", task.region,
                                        redact.short(f"UnexpectedError: {type(error).__name__}: {error}", 500),
                                        region),))
    return in_account(facts, account)


def in_account(facts: Facts, account: str) -> Facts:
    """The facts with each gap that names no account said to be in `account`."""
    if not account or all(gap.account for gap in facts.gaps):
        return facts
    gaps = tuple(gap if gap.account else CoverageGap(gap.service, gap.operation, gap.resource, gap.error,
                                                      gap.region, account) for gap in facts.gaps)
    return Facts(facts.nodes, facts.edges, gaps)


def wanted_as_data(wanted: Wanted | None) -> dict[str, list[str]] | None:
    return None if wanted is None else {kind: list(ids) for kind, ids in wanted.items()}


def wanted_from_data(data: Mapping[str, Sequence[str]] | None) -> Wanted | None:
    return None if data is None else {str(kind): [str(i) for i in ids] for kind, ids in data.items()}
