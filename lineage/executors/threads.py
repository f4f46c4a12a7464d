"""The default executor: every job of a batch on threads of this process, nothing else to run."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from collectors.context import account_named_by
from lineage.executors import Job, Progress, Read, get, transform
from lineage.model import Facts

# One account's collectors in every region all run at once (some hundred jobs); an organization's thousands
# wait their turn, so threads stay bounded while each account and region stays busy.
MOST_JOBS_AT_ONCE = 256


class ThreadExecutor:
    """Every get of a batch at once (each account's context bounds its own concurrent calls), then every
    transform: the transforms name resources in the scanned account, which, when STS could not say, the
    answers themselves tell (`account_named_by`)."""

    def __init__(self, most_at_once: int = MOST_JOBS_AT_ONCE) -> None:
        self.most_at_once = most_at_once

    def run(self, jobs: Sequence[Job], progress: Progress | None = None) -> list[Facts]:
        if not jobs:
            return []
        reads: list[Read] = []
        with ThreadPoolExecutor(max_workers=min(len(jobs), self.most_at_once), thread_name_prefix="collector") as pool:
            futures = {pool.submit(get, job): job for job in jobs}
            for done, future in enumerate(as_completed(futures), start=1):
                reads.append(future.result())
                if progress:
                    progress(futures[future].label, done, len(jobs))
        for ctx in {id(read.job.ctx): read.job.ctx for read in reads}.values():
            if not ctx.account:
                ctx.account = account_named_by([r.raw for r in reads if r.job.ctx is ctx and r.error is None])
        return [transform(read) for read in reads]
