"""A scan, wired: collectors (concurrently) → facts → graph → rules → one `Scan`.

Every stage keeps a bad input that input's problem: a call that fails is a coverage gap of its
collector, a resource whose answer no transform expected costs only that resource, a fact the graph
cannot place and a rule that fails on a node are gaps of service `lineage`. A scan therefore always
holds what it read; only the store failing to write it fails it (`scan_and_store`).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from sqlalchemy.exc import SQLAlchemyError

from collectors import COLLECTORS
from collectors.context import AwsContext, account_named_by, error_text
from collectors.declarations import Collector
from lineage import arn as arns
from lineage import redact, references
from lineage.classification import Classification
from lineage.graph import Graph, add_referenced_nodes, build_graph, resolve
from lineage.intake import admit, admit_gap
from lineage.isolation import Problems, describe_error
from lineage.model import CoverageGap, Edge, Facts, Finding, Node, Scan, ScanStatus
from lineage.rules import evaluate
from store.repository import StoreError, begin_scan, describe, fail_scan, save_scan

DEFAULT_REGION = "us-east-1"
GLOBAL = "global"  # the region label of a collector that is not regional (S3 lists every bucket at once)
MAX_FOLLOW_UP_ROUNDS = 3  # a resource read by name can name others; three rounds reach any real chain

Progress = Callable[[str, int, int], None]  # (what finished, done, total)


@dataclass(frozen=True, slots=True)
class ScanOptions:
    profile: str | None = None
    regions: tuple[str, ...] = ()
    endpoint_url: str | None = None
    workers: int = 8
    classification: Classification | None = None  # the default rules when None


@dataclass(frozen=True, slots=True)
class _Task:
    collector: Collector
    region: str  # GLOBAL for a collector that is not regional

    @property
    def label(self) -> str:
        return self.collector.label if self.region == GLOBAL else f"{self.collector.label} {self.region}"


def new_scan_id(now: datetime) -> str:
    """Sortable by time, unique without coordination."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _tasks(ctx: AwsContext, collectors: Sequence[Collector]) -> list[_Task]:
    """A task per collector and region where its service is offered (and one for a global service)."""
    tasks: list[_Task] = []
    for collector in collectors:
        if not collector.regional:
            tasks.append(_Task(collector, GLOBAL))
            continue
        clients = {call.client for call in collector.calls}
        tasks.extend(_Task(collector, region) for region in ctx.regions if ctx.offers(clients, region))
    return tasks


@dataclass(slots=True)
class _Read:
    """One task's raw answers, or what stopped its get."""

    task: _Task
    raw: Any = None
    error: Exception | None = None


def _get(task: _Task, read: Callable[[], Any]) -> _Read:
    try:
        return _Read(task, read())
    except Exception as error:  # noqa: BLE001 - a collector's own bug costs that collector, not the scan
        return _Read(task, error=error)


def _transform(ctx: AwsContext, done: _Read) -> Facts:
    """Transform one task's answers; what its collector did not foresee is a gap of the task."""
    region = done.task.region if done.task.region != GLOBAL else ""
    try:
        if done.error is not None:
            raise done.error
        facts = done.task.collector.transform(done.raw, ctx.account, region)
        if not isinstance(facts, Facts):
            raise TypeError(f"the transform gave a {type(facts).__name__}, not facts")
        return facts
    except Exception as error:  # noqa: BLE001 - a collector's own bug costs that collector, not the scan
        return Facts(gaps=(CoverageGap(done.task.collector.service, "collect", done.task.region,
                                       redact.short(f"UnexpectedError: {type(error).__name__}: {error}", 500),
                                       region),))


def _run_all(ctx: AwsContext, jobs: list[tuple[_Task, Callable[[], Any]]],
             progress: Progress | None = None) -> list[Facts]:
    """Every get at once, then every transform: the transforms name resources in the scanned account,
    which, when STS could not say, the answers themselves tell (`account_named_by`)."""
    if not jobs:
        return []
    reads: list[_Read] = []
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="collector") as pool:
        futures = {pool.submit(_get, task, read): task for task, read in jobs}
        for done, future in enumerate(as_completed(futures), start=1):
            reads.append(future.result())
            if progress:
                progress(futures[future].label, done, len(jobs))
    if not ctx.account:
        ctx.account = account_named_by([r.raw for r in reads if r.error is None])
    return [_transform(ctx, done) for done in reads]


def _listing_failed(ctx: AwsContext, task: _Task, kind: str) -> bool:
    call = task.collector.listings[kind]
    region = ctx.home_region if task.region == GLOBAL else task.region
    return any(g.service == call.service and g.operation == call.operation and g.region == region
               for g in ctx.gaps)


def _referenced(facts: Iterable[Facts], ctx: AwsContext, task: _Task, kinds: set[str]) -> dict[str, set[str]]:
    """Ids of resources of `kinds` that facts name but no collector read, in this task's account and region."""
    observed = {n.id for batch in facts for n in batch.nodes if n.observed}
    wanted: dict[str, set[str]] = {}
    for batch in facts:
        for node in batch.nodes:
            if node.kind not in kinds or node.observed or node.id in observed or arns.is_dynamic(node.id):
                continue
            if task.region != GLOBAL and (node.region != task.region or node.account not in ("", ctx.account)):
                continue
            wanted.setdefault(node.kind, set()).add(node.id)
    return wanted


def _edge_endpoints(facts: Iterable[Facts]) -> list[Facts]:
    """Endpoints of edges as the unobserved nodes the graph will make of them, so references are seen."""
    known = {n.id for batch in facts for n in batch.nodes}
    nodes = {}
    for batch in facts:
        for edge in batch.edges:
            for endpoint in (edge.source, edge.target):
                if endpoint not in known and endpoint not in nodes:
                    nodes[endpoint] = arns.referenced_node(endpoint)
    return [Facts(tuple(nodes.values()))]


def collect(ctx: AwsContext, progress: Progress | None = None,
            collectors: Sequence[Collector] = COLLECTORS) -> list[Facts]:
    """Every collector, concurrently (those that need the account, when STS could not say it, after the others).
    Then, where a listing failed — or, for a collector that lists nothing
    (KMS keys), always — what the facts name is read by name, round after round while new names appear."""
    tasks = _tasks(ctx, collectors)
    # Without the account, what needs it waits for the answers of the others, which name it.
    waiting = [] if ctx.account else [t for t in tasks if t.collector.needs_account]
    first = [t for t in tasks if t not in waiting]
    results = _run_all(ctx, [(t, lambda t=t: t.collector.get(ctx, t.region)) for t in first], progress)
    results += _run_all(ctx, [(t, lambda t=t: t.collector.get(ctx, t.region)) for t in waiting], progress)
    attempted: set[str] = set()
    for _ in range(MAX_FOLLOW_UP_ROUNDS):
        known = results + _edge_endpoints(results)
        named_by: dict[str, list[Facts]] = {}  # per collector, once a round: every region asks the same
        jobs = []
        for task in tasks:
            if task.collector.get_named is None:
                continue
            unlisted = {kind for kind in task.collector.listings if _listing_failed(ctx, task, kind)}
            wanted = {kind: ids - attempted for kind, ids in _referenced(known, ctx, task, unlisted).items()}
            if task.collector.named_in is not None:
                service = task.collector.service
                if service not in named_by:
                    named_by[service] = [Facts(tuple(_named_in(ctx, task.collector, results)))]
                named = named_by[service]
                kinds = {node.kind for node in named[0].nodes}
                for kind, ids in _referenced(results + named, ctx, task, kinds).items():
                    wanted[kind] = wanted.get(kind, set()) | (ids - attempted)
            wanted = {kind: sorted(ids) for kind, ids in wanted.items() if ids}
            if wanted:
                attempted.update(i for ids in wanted.values() for i in ids)
                jobs.append((task, lambda t=task, w=wanted: t.collector.get_named(ctx, t.region, w)))
        if not jobs:
            break
        results += _run_all(ctx, jobs)
    return results


def _named_in(ctx: AwsContext, collector: Collector, results: list[Facts]) -> list[Node]:
    """What the other facts name for a collector that lists nothing; a failure to find it is that collector's
    gap (what it would have read is missing), never the scan's end."""
    if collector.named_in is None:
        return []
    try:
        return list(collector.named_in(results, ctx.account))
    except Exception as error:  # noqa: BLE001 - finding names is pure code over facts: a bug costs only its reads
        ctx.gap(collector.service, "find the resources other facts name", "", f"UnusableAnswer: {error_text(error)}")
        return []


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the pipeline made of the facts: the graph, its findings, and every gap met on the way."""

    graph: Graph
    findings: list[Finding]
    gaps: list[CoverageGap] = field(default_factory=list)


def analyse(facts: Iterable[Facts], classification: Classification | None = None) -> Analysis:
    """Facts → intake → graph → rules, pure. A stage that fails as a whole (a bug, not a bad fact) is a
    gap, and what it would have added is missing; what was read is never lost: when resolving fails,
    the facts are kept as the intake made them, unjoined."""
    problems = Problems()
    batches: list[Facts] = []
    gaps: list[CoverageGap] = []
    for batch in facts:
        with problems.guard("intake"):
            if not isinstance(batch, Facts):
                raise TypeError(f"a collector gave a {type(batch).__name__}, not facts")
            gaps.extend(batch.gaps)
            batches.append(batch)
    nodes, edges = admit(batches, problems)
    graph: Graph | None = None
    with problems.guard("graph"):
        graph = resolve(nodes, edges, classification)
    if graph is None:
        graph = _unresolved(nodes, edges)
    references.drop_digests(graph.nodes)  # resolving drops them; a graph left unresolved must too
    findings: list[Finding] = []
    with problems.guard("rules"):
        evaluation = evaluate(graph)
        findings, gaps = evaluation.findings, gaps + evaluation.gaps
    # A problem met on the way may quote the value it met: its text passes the redactor too.
    return Analysis(graph, findings, [admit_gap(gap) for gap in gaps + problems.gaps + graph.problems])


def _unresolved(nodes: list[Node], edges: list[Edge]) -> Graph:
    """The plain facts without resolution: each node once, each edge's ends as nodes."""
    by_id: dict[str, Node] = {}
    for node in nodes:
        by_id.setdefault(node.id, node)
    unresolved = Graph(by_id, {edge.key: edge for edge in edges})
    add_referenced_nodes(by_id, edges)
    return unresolved


def scan_regions(options: ScanOptions, session: Any) -> tuple[str, ...]:
    return options.regions or (session.region_name or DEFAULT_REGION,)


def target_key(options: ScanOptions, session: Any) -> str:
    """What a scan reads, as a short key: scans of one target are compared, and never run at once."""
    text = "\x00".join([options.profile or "", ",".join(sorted(scan_regions(options, session))),
                        redact.endpoint(options.endpoint_url or "")])  # its key holds no credential, even hashed
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _accounts(ctx: AwsContext, nodes: Iterable[Node]) -> tuple[str, ...]:
    """The scanned account; when STS could not say, the accounts of what was read."""
    if ctx.account:
        return (ctx.account,)
    return tuple(sorted({n.account for n in nodes if n.observed and n.account}))


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
    analysis = analyse(facts, options.classification)
    scan = scan_of(analysis, scan_id or new_scan_id(started), started, tuple(regions), ctx.gaps,
                   dict(ctx.api_calls), ctx.successful_calls > 0, _accounts(ctx, analysis.graph.nodes.values()),
                   redact.text(ctx.caller))
    return scan, analysis.graph


def scan_of(analysis: Analysis, scan_id: str, started: datetime, regions: tuple[str, ...],
            call_gaps: Iterable[CoverageGap], api_calls: dict[str, int], read_anything: bool,
            accounts: tuple[str, ...], caller: str = "") -> Scan:
    """The one `Scan` of an analysis: sorted as the store gives it back, its status from its gaps."""
    gaps = (*map(admit_gap, call_gaps), *analysis.gaps)  # the analysis admitted its own
    if not read_anything:
        status = ScanStatus.FAILED
    elif gaps:
        status = ScanStatus.PARTIAL
    else:
        status = ScanStatus.COMPLETE
    return Scan(
        id=scan_id,
        started_at=started.isoformat(),
        finished_at=now_utc().isoformat(),
        status=status,
        accounts=accounts,
        regions=regions,
        nodes=tuple(sorted(analysis.graph.nodes.values(), key=lambda n: n.id)),
        edges=tuple(sorted(analysis.graph.edges.values(), key=lambda e: (e.source, e.target, e.kind.value))),
        findings=tuple(analysis.findings),
        coverage_gaps=gaps,
        api_calls=dict(sorted(api_calls.items())),
        caller=caller,
    )


def scan_and_store(options: ScanOptions, engine: Any, progress: Progress | None = None,
                   session: Any | None = None) -> Scan:
    """Record the scan as running, run it, and write it whole; whatever stops it, it ends `failed`,
    with the reason and where it arose kept in its record."""
    session = session or boto3.Session(profile_name=options.profile)
    started = now_utc()
    scan_id = new_scan_id(started)
    target = target_key(options, session)
    try:
        begin_scan(engine, scan_id, started.isoformat(), target)
    except SQLAlchemyError as error:
        raise StoreError(f"cannot record a new scan: {describe(error)}") from None
    try:
        scan, _ = run_scan(options, progress, session, scan_id=scan_id, started=started)
    except BaseException as error:  # interrupted, or a fault nothing caught: never a `running` ghost
        _record_failure(engine, scan_id, error)
        raise
    try:
        save_scan(engine, scan, target, failure_reason(scan))
    except Exception as error:  # noqa: BLE001 - the one failure that fails a scan: said in one line
        _record_failure(engine, scan_id, error)
        raise StoreError(f"scan {scan_id} was read but could not be stored: {describe_error(error)}") from error
    return scan


def _record_failure(engine: Any, scan_id: str, error: BaseException) -> None:
    """Mark the scan failed with the reason and where it arose; when the store itself is what failed, the
    record stays `running` until the next `open_store` finds its process gone and fails it."""
    # Both are kept and printed (`lineage scans`): what they quote passes the redactor.
    reason = redact.text(f"{type(error).__name__}: {error}".rstrip(": "))
    where = redact.text("".join(traceback.format_exception(error)))
    with contextlib.suppress(Exception):  # the store is down: the scan is recovered as abandoned later
        fail_scan(engine, scan_id, f"{reason}\n{where}")


def failure_reason(scan: Scan) -> str:
    """Why a failed scan read nothing (its distinct errors); empty for a scan that read something."""
    if scan.status != ScanStatus.FAILED:
        return ""
    return "; ".join(sorted({gap.error for gap in scan.coverage_gaps})) or "no call succeeded"


def graph_of(scan: Scan) -> Graph:
    """The graph of a stored scan, for queries; resolution was done when it was taken."""
    return build_graph([Facts(scan.nodes, scan.edges)])
