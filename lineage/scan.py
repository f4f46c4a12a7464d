"""A scan, wired: collectors (concurrently) → facts → graph → rules → one `Scan`."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from collectors import athena, events, glue, s3, stepfunctions
from collectors.context import AwsContext
from lineage.graph import Graph, build_graph
from lineage.model import CoverageGap, Facts, Scan, ScanStatus
from lineage.rules import evaluate
from store.repository import begin_scan, fail_scan, save_scan

DEFAULT_REGION = "us-east-1"

Progress = Callable[[str, int, int], None]  # (what finished, done, total)


@dataclass(frozen=True, slots=True)
class ScanOptions:
    profile: str | None = None
    regions: tuple[str, ...] = ()
    endpoint_url: str | None = None
    workers: int = 8


@dataclass(frozen=True, slots=True)
class _Task:
    label: str
    service: str
    region: str
    run: Callable[[], Facts]


def new_scan_id(now: datetime) -> str:
    """Sortable by time, unique without coordination."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _tasks(ctx: AwsContext) -> list[_Task]:
    account = ctx.account
    tasks = [_Task("S3 buckets", "s3", "global", lambda: s3.transform_buckets(s3.get_buckets(ctx), account))]
    for region in ctx.regions:
        tasks += [
            _Task(f"EventBridge {region}", "events", region,
                  lambda r=region: events.transform_event_buses(events.get_event_buses(ctx, r), account, r)),
            _Task(f"Step Functions {region}", "states", region,
                  lambda r=region: stepfunctions.transform_state_machines(
                      stepfunctions.get_state_machines(ctx, r), account, r)),
            _Task(f"Glue {region}", "glue", region,
                  lambda r=region: glue.transform_glue(glue.get_glue(ctx, r), account, r)),
            _Task(f"Athena {region}", "athena", region,
                  lambda r=region: athena.transform_athena(athena.get_athena(ctx, r), account, r)),
        ]
    return tasks


def collect(ctx: AwsContext, progress: Progress | None = None) -> list[Facts]:
    """Every collector, concurrently; one that breaks is a coverage gap, not a failed scan."""
    tasks = _tasks(ctx)
    results: list[Facts] = []
    with ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="collector") as pool:
        futures = {pool.submit(task.run): task for task in tasks}
        for done, future in enumerate(as_completed(futures), start=1):
            task = futures[future]
            try:
                results.append(future.result())
            except Exception as error:  # a response shape no transform expected: keep the rest
                ctx.gaps.append(CoverageGap(task.service, "transform", task.region,
                                            f"{type(error).__name__}: {error}", task.region))
            if progress:
                progress(task.label, done, len(tasks))
    return results


def scan_regions(options: ScanOptions, session: Any) -> tuple[str, ...]:
    return options.regions or (session.region_name or DEFAULT_REGION,)


def target_key(options: ScanOptions, session: Any) -> str:
    """What a scan reads, as a short key: scans of one target are compared, and never run at once."""
    text = "\x00".join([options.profile or "", ",".join(sorted(scan_regions(options, session))),
                        options.endpoint_url or ""])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_scan(options: ScanOptions, progress: Progress | None = None, session: Any | None = None,
             scan_id: str | None = None, started: datetime | None = None) -> tuple[Scan, Graph]:
    started = started or now_utc()
    session = session or boto3.Session(profile_name=options.profile)
    regions = scan_regions(options, session)
    ctx = AwsContext(session, regions, options.endpoint_url, options.workers)
    try:
        ctx.identify()
        facts = collect(ctx, progress) if ctx.unreachable is None else []
    finally:
        ctx.close()
    graph = build_graph(facts)
    findings = evaluate(graph)
    if ctx.successful_calls == 0:
        status = ScanStatus.FAILED
    elif ctx.gaps:
        status = ScanStatus.PARTIAL
    else:
        status = ScanStatus.COMPLETE
    scan = Scan(
        id=scan_id or new_scan_id(started),
        started_at=started.isoformat(),
        finished_at=now_utc().isoformat(),
        status=status,
        accounts=(ctx.account,) if ctx.account else (),
        regions=tuple(regions),
        nodes=tuple(sorted(graph.nodes.values(), key=lambda n: n.id)),
        edges=tuple(sorted(graph.edges.values(), key=lambda e: (e.source, e.target, e.kind.value))),
        findings=tuple(findings),
        coverage_gaps=tuple(ctx.gaps),
        api_calls=dict(sorted(ctx.api_calls.items())),
    )
    return scan, graph


def scan_and_store(options: ScanOptions, engine: Any, progress: Progress | None = None,
                   session: Any | None = None) -> Scan:
    """Record the scan as running, run it, and write it whole; whatever stops it, it ends `failed`."""
    session = session or boto3.Session(profile_name=options.profile)
    started = now_utc()
    scan_id = new_scan_id(started)
    target = target_key(options, session)
    begin_scan(engine, scan_id, started.isoformat(), target)
    try:
        scan, _ = run_scan(options, progress, session, scan_id=scan_id, started=started)
    except BaseException as error:  # interrupted, or a fault no collector caught: never a `running` ghost
        fail_scan(engine, scan_id, f"{type(error).__name__}: {error}".rstrip(": "))
        raise
    save_scan(engine, scan, target, failure_reason(scan))
    return scan


def failure_reason(scan: Scan) -> str:
    """Why a failed scan read nothing (its distinct errors); empty for a scan that read something."""
    if scan.status != ScanStatus.FAILED:
        return ""
    return "; ".join(sorted({gap.error for gap in scan.coverage_gaps})) or "no call succeeded"


def graph_of(scan: Scan) -> Graph:
    """The graph of a stored scan, for queries; resolution was done when it was taken."""
    return build_graph([Facts(scan.nodes, scan.edges)])
