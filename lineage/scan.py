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
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from sqlalchemy.exc import SQLAlchemyError

from collectors import COLLECTORS
from collectors.context import AwsContext, error_text
from collectors.declarations import Collector
from lineage import arn as arns
from lineage import redact, references
from lineage.classification import Classification
from lineage.executors import GLOBAL, Executor, Job, Progress, Task
from lineage.executors.limits import ThreadLimiter
from lineage.executors.threads import ThreadExecutor
from lineage.graph import Graph, add_referenced_nodes, build_graph, resolve
from lineage.intake import admit, admit_gap
from lineage.isolation import Problems, describe_error
from lineage.model import CoverageGap, Edge, Facts, Finding, Node, Scan, ScanStatus
from lineage.organization import (
    ALL_REGIONS,
    AccountSelection,
    assume,
    choose_accounts,
    enabled_regions,
    partition_of,
)
from lineage.rules import evaluate, ordered
from lineage.tag_policy import TagPolicy, tag_findings
from store.repository import StoreError, begin_scan, describe, fail_scan, save_scan

if TYPE_CHECKING:
    from lineage.executors.celery import CeleryOptions

DEFAULT_REGION = "us-east-1"
ACCOUNTS_SET_UP_AT_ONCE = 16
MAX_FOLLOW_UP_ROUNDS = 3  # a resource read by name can name others; three rounds reach any real chain


@dataclass(frozen=True, slots=True)
class ScanOptions:
    profile: str | None = None
    regions: tuple[str, ...] = ()  # (`all`,): every region enabled for each account
    endpoint_url: str | None = None
    workers: int = 8
    classification: Classification | None = None  # the default rules when None
    selection: AccountSelection = AccountSelection()  # the caller's account alone by default
    max_per_account: int = 0  # calls in flight to one account and region at most; 0: only `workers` bounds them
    executor: CeleryOptions | None = None  # the thread pool of this process when None
    tag_policy: TagPolicy | None = None  # the tags resources on a flow must carry; judged only when given


def new_scan_id(now: datetime) -> str:
    """Sortable by time, to the microsecond, and unique without coordination: the second, then the microsecond in
    five hex digits and one random one. Stores order scans by their start, kept to the second, then by id: two
    scans started within one second keep the order they started in."""
    return f"{now:%Y%m%dT%H%M%SZ}-{now.microsecond:05x}{secrets.token_hex(1)[0]}"


def now_utc() -> datetime:
    """Now, to the second: the precision a scan's times are kept and shown in."""
    return datetime.now(UTC).replace(microsecond=0)


def _tasks(ctx: AwsContext, collectors: Sequence[Collector]) -> list[Task]:
    """A task per collector and region where its service is offered (and one for a global service)."""
    tasks: list[Task] = []
    for collector in collectors:
        if not collector.regional:
            tasks.append(Task(collector, GLOBAL))
            continue
        clients = {call.client for call in collector.calls}
        tasks.extend(Task(collector, region) for region in ctx.regions if ctx.offers(clients, region))
    return tasks


def _listing_failed(ctx: AwsContext, task: Task, kind: str) -> bool:
    call = task.collector.listings[kind]
    region = ctx.home_region if task.region == GLOBAL else task.region
    return any(g.service == call.service and g.operation == call.operation and g.region == region
               for g in ctx.gaps)


def _referenced(facts: Iterable[Facts], ctx: AwsContext, task: Task, kinds: set[str]) -> dict[str, set[str]]:
    """Ids of resources of `kinds` that facts name but no collector read, in this task's account and region."""
    observed = {n.id for batch in facts for n in batch.nodes if n.observed}
    wanted: dict[str, set[str]] = {}
    for batch in facts:
        for node in batch.nodes:
            if node.kind not in kinds or node.observed or node.id in observed or arns.is_dynamic(node.id):
                continue
            if task.region != GLOBAL and (node.region != task.region or node.account not in ("", ctx.account)):
                continue
            if task.region == GLOBAL and ctx.account and node.account not in ("", ctx.account):
                continue  # another account's: read there when that account is scanned, never with these credentials
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


def collect(contexts: AwsContext | Sequence[AwsContext], progress: Progress | None = None,
            collectors: Sequence[Collector] = COLLECTORS, executor: Executor | None = None) -> list[Facts]:
    """Every collector in every account and region, on the executor (in an account STS could not name, those
    that need the account after the others). Then, where a listing failed — or, for a collector that lists
    nothing (KMS keys), always — what the facts of any account name in an account is read by name there,
    round after round while new names appear."""
    contexts = [contexts] if isinstance(contexts, AwsContext) else list(contexts)
    executor = executor or ThreadExecutor()
    planned = [(ctx, task) for ctx in contexts for task in _tasks(ctx, collectors)]
    # Without the account, what needs it waits for the answers of the others, which name it.
    waiting = [(ctx, t) for ctx, t in planned if not ctx.account and t.collector.needs_account]
    first = [pair for pair in planned if pair not in waiting]
    results = executor.run([Job(ctx, task) for ctx, task in first], progress)
    results += executor.run([Job(ctx, task) for ctx, task in waiting], progress)
    attempted: set[str] = set()
    for _ in range(MAX_FOLLOW_UP_ROUNDS):
        known = results + _edge_endpoints(results)
        named_by: dict[tuple[str, str], list[Facts]] = {}  # once a round per collector and account
        jobs = []
        for ctx, task in planned:
            if task.collector.get_named is None:
                continue
            unlisted = {kind for kind in task.collector.listings if _listing_failed(ctx, task, kind)}
            wanted = {kind: ids - attempted for kind, ids in _referenced(known, ctx, task, unlisted).items()}
            if task.collector.named_in is not None:
                key = (task.collector.service, ctx.account)
                if key not in named_by:
                    named_by[key] = [Facts(tuple(_named_in(ctx, task.collector, results)))]
                named = named_by[key]
                kinds = {node.kind for node in named[0].nodes}
                for kind, ids in _referenced(results + named, ctx, task, kinds).items():
                    wanted[kind] = wanted.get(kind, set()) | (ids - attempted)
            wanted = {kind: sorted(ids) for kind, ids in wanted.items() if ids}
            if wanted:
                attempted.update(i for ids in wanted.values() for i in ids)
                jobs.append(Job(ctx, task, wanted))
        if not jobs:
            break
        results += executor.run(jobs)
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


def analyse(facts: Iterable[Facts], classification: Classification | None = None,
            tag_policy: TagPolicy | None = None) -> Analysis:
    """Facts → intake → graph → rules (and the tag policy, when one is given), pure. A stage that fails as a
    whole (a bug, not a bad fact) is a gap, and what it would have added is missing; what was read is never
    lost: when resolving fails, the facts are kept as the intake made them, unjoined."""
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
    if tag_policy is not None:
        with problems.guard("tag policy"):
            judged = tag_findings(graph, tag_policy)
            findings, gaps = ordered([*findings, *judged.findings]), gaps + judged.gaps
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


def _home_region(options: ScanOptions, session: Any) -> str:
    regions = [r for r in scan_regions(options, session) if r != ALL_REGIONS]
    return regions[0] if regions else (session.region_name or DEFAULT_REGION)


def target_key(options: ScanOptions, session: Any) -> str:
    """What a scan reads, as a short key: scans of one target are compared, and never run at once."""
    text = "\x00".join([options.profile or "", ",".join(sorted(scan_regions(options, session))),
                        redact.endpoint(options.endpoint_url or "")])  # its key holds no credential, even hashed
    if options.selection.spans_accounts:  # a single account's key stays what it was before organizations
        text += "\x00" + options.selection.key()
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _accounts(ctx: AwsContext, nodes: Iterable[Node]) -> tuple[str, ...]:
    """The scanned account; when STS could not say, the accounts of what was read."""
    if ctx.account:
        return (ctx.account,)
    return tuple(sorted({n.account for n in nodes if n.observed and n.account}))


@dataclass(slots=True)
class _Readers:
    """The contexts of a scan: the caller's (which lists the organization and assumes the roles) and one per
    account read; gaps met before any account could be read (a role refused) are kept beside them."""

    caller: AwsContext
    accounts: list[AwsContext] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)
    targeted: tuple[str, ...] = ()

    @property
    def every(self) -> list[AwsContext]:
        return [self.caller, *(ctx for ctx in self.accounts if ctx is not self.caller)]


def _with_regions(ctx: AwsContext, options: ScanOptions) -> AwsContext:
    if ALL_REGIONS in options.regions:
        ctx.regions = enabled_regions(ctx) or (ctx.home_region,)
    return ctx


def _readers(options: ScanOptions, session: Any, limiter: Any) -> _Readers:
    """The caller's context, and the context of every account the scan reads (the caller's own included when
    chosen), each with the regions it is read in."""
    home = _home_region(options, session)
    named = tuple(r for r in options.regions if r != ALL_REGIONS) or (home,)
    caller = AwsContext(session, named if ALL_REGIONS not in options.regions else (home,), options.endpoint_url,
                        options.workers, limiter=limiter)
    readers = _Readers(caller)
    caller.identify()
    if caller.unreachable is not None:
        return readers
    selection = options.selection
    if not selection.spans_accounts:
        readers.accounts.append(_with_regions(caller, options))
        return readers
    readers.targeted = choose_accounts(caller, selection)
    sts = caller.client("sts", home)

    def reader(account: str) -> AwsContext | CoverageGap:
        if account == caller.account:
            return _with_regions(caller, options)
        assumed = assume(sts, account, selection, home, base=session, partition=partition_of(caller.caller))
        if assumed.session is None:
            return assumed.gap  # type: ignore[return-value]
        ctx = AwsContext(assumed.session, caller.regions, options.endpoint_url, options.workers, limiter=limiter)
        ctx.account, ctx.caller = account, assumed.caller
        ctx.assumed_role, ctx.external_id = selection.role_name, selection.external_id
        return _with_regions(ctx, options)

    # Each account costs a round trip or two before its reads start (AssumeRole, its regions): a thousand
    # of them one after another would be minutes of waiting.
    with ThreadPoolExecutor(max_workers=ACCOUNTS_SET_UP_AT_ONCE, thread_name_prefix="account") as pool:
        for made in pool.map(reader, readers.targeted):
            if isinstance(made, CoverageGap):
                readers.gaps.append(made)
            else:
                readers.accounts.append(made)
    return readers


def _executor(options: ScanOptions, scan_id: str, caller: AwsContext) -> Executor:
    if options.executor is None:
        return ThreadExecutor()
    from lineage.executors.celery import CeleryExecutor

    return CeleryExecutor(options.executor, scan_id, options.endpoint_url, options.max_per_account, options.workers,
                          caller.home_region, partition_of(caller.caller))


def _close(executor: Executor) -> None:
    close = getattr(executor, "close", None)
    if close is not None:
        close()


def run_scan(options: ScanOptions, progress: Progress | None = None, session: Any | None = None,
             scan_id: str | None = None, started: datetime | None = None) -> tuple[Scan, Graph]:
    moment = started or datetime.now(UTC)
    started = moment.replace(microsecond=0)
    scan_id = scan_id or new_scan_id(moment)
    session = session or boto3.Session(profile_name=options.profile)
    # On Celery the workers bound their own calls; here, a semaphore per account and region bounds this process's.
    limiter = ThreadLimiter(options.max_per_account) if options.max_per_account and options.executor is None else None
    readers = _Readers(AwsContext(session, (DEFAULT_REGION,)))
    facts: list[Facts] = []
    try:
        readers = _readers(options, session, limiter)
        if readers.accounts:
            executor = _executor(options, scan_id, readers.caller)
            try:
                facts = collect(readers.accounts, progress, executor=executor)
            finally:
                _close(executor)
    finally:
        for ctx in readers.every:
            ctx.close()
    analysis = analyse(facts, options.classification, options.tag_policy)
    every = readers.every
    api_calls: Counter[str] = Counter()
    for ctx in every:
        api_calls.update(ctx.api_calls)
    gaps = [*readers.gaps, *(gap for ctx in every for gap in ctx.gaps)]
    if options.selection.spans_accounts:
        accounts = tuple(sorted(set(readers.targeted)))
        regions = tuple(sorted({r for ctx in readers.accounts for r in ctx.regions})) or readers.caller.regions
    else:
        accounts = _accounts(readers.caller, analysis.graph.nodes.values())
        regions = readers.caller.regions
    scan = scan_of(analysis, scan_id, started, regions, gaps, dict(api_calls),
                   any(ctx.successful_calls > 0 for ctx in every), accounts, redact.text(readers.caller.caller))
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
    moment = datetime.now(UTC)
    started = moment.replace(microsecond=0)
    scan_id = new_scan_id(moment)
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
