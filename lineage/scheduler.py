"""Periodic scans: APScheduler with its jobs in memory, one scan of a target at a time.

The schedule of a target is kept in the scan store as plain JSON (the trigger and the scan options), so a
restarted scheduler keeps it; the job is rebuilt from it at start and lives in this process only. Nothing
read from the store is ever unpickled, and the database URL, which may hold a password, is never stored.
Runs missed while the scheduler was down are coalesced into one, counted from the last scan of the same
target. SIGTERM and SIGINT stop it between scans. Each run records its scan (a failed one too), writes
the view, and logs one line with what changed since the previous scan of the same target.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from botocore.exceptions import BotoCoreError
from sqlalchemy import Engine

from lineage import redact
from lineage.classification import ClassificationError, load_classification
from lineage.drift import diff_scans
from lineage.executors.celery import CeleryOptions
from lineage.files import PUBLISHED, write_output
from lineage.isolation import Problems, describe_error
from lineage.model import Scan, ScanStatus
from lineage.organization import AccountSelection
from lineage.scan import ScanOptions, failure_reason, scan_and_store, target_key
from lineage.tag_policy import TagPolicyError, load_tag_policy
from store.repository import StoreError, acquire_lock, latest_scan_ids, load_scan, open_store, release_lock
from store.schedules import StoredSchedule, last_scan_started, load_schedule, save_schedule
from viz.html import render_html

log = logging.getLogger("lineage.scheduler")

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
SCHEDULE_FORMAT = "lineage-schedule/1"

Trigger = IntervalTrigger | CronTrigger


class ScheduleError(Exception):
    """A schedule that cannot start as asked; the message is one line for the user."""


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `6h`, `7d`."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration such as 30m, 6h or 7d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def make_trigger(every: str | None, cron: str | None) -> Trigger:
    if (every is None) == (cron is None):
        raise ValueError("give one of --every or --cron")
    if every is not None:
        return IntervalTrigger(seconds=int(parse_duration(every).total_seconds()), timezone="UTC")
    try:
        return CronTrigger.from_crontab(cron, timezone="UTC")
    except ValueError as error:
        raise ValueError(f"--cron {cron!r}: {error}") from None


@dataclass(frozen=True, slots=True)
class ScheduledScan:
    """Everything a run needs. It stays in this process: `db` may hold a password, so it is never stored."""

    db: str
    profile: str | None = None
    regions: tuple[str, ...] = ()
    endpoint_url: str | None = None
    workers: int = 8
    html_dir: str | None = None
    classification: str | None = None  # a rules file, read again for each run: edits apply to the next scan
    selection: AccountSelection = AccountSelection()
    executor: CeleryOptions | None = None  # the runs enqueue on Celery workers when set
    max_per_account: int = 0
    tag_policy: str | None = None  # a tag policy file, read again for each run like the rules file

    def options(self) -> ScanOptions:
        return ScanOptions(self.profile, self.regions, self.endpoint_url, self.workers,
                           load_classification(self.classification), self.selection, self.max_per_account,
                           self.executor, load_tag_policy(self.tag_policy) if self.tag_policy else None)

    def across(self) -> dict[str, Any]:
        """What the store keeps of the accounts and the executor: no external id, no broker password."""
        across: dict[str, Any] = {}
        if self.selection.spans_accounts:
            across.update(organization=self.selection.organization, accounts=list(self.selection.accounts),
                          exclude=list(self.selection.exclude), role=self.selection.role_name,
                          external_id=bool(self.selection.external_id))
        if self.executor is not None:
            across.update(executor="celery", broker=public_endpoint(self.executor.broker),
                          result_backend=public_endpoint(self.executor.result_backend) or "",
                          deadline=self.executor.deadline)
        if self.max_per_account:
            across["max_per_account"] = self.max_per_account
        return across


@dataclass(frozen=True, slots=True)
class Schedule:
    """What the store keeps of a schedule: when to scan and what, with nothing secret in it."""

    every: str | None
    cron: str | None
    profile: str | None
    regions: tuple[str, ...]
    endpoint_url: str | None  # without user, password or query: only where the calls go
    workers: int
    html_dir: str | None
    classification: str | None = None
    across: dict[str, Any] = field(default_factory=dict)  # accounts and executor, when not the caller's on threads
    tag_policy: str | None = None

    def trigger(self) -> Trigger:
        return make_trigger(self.every, self.cron)

    def same_as(self, other: Schedule) -> bool:
        """The same runs of the same scan: `6h` and `6 h` are one trigger."""
        return str(self.trigger()) == str(other.trigger()) and self.scan_options() == other.scan_options()

    def scan_options(self) -> dict[str, Any]:
        options = {"profile": self.profile, "regions": list(self.regions), "endpoint_url": self.endpoint_url,
                   "workers": self.workers, "html_dir": self.html_dir, "classification": self.classification}
        if self.across:  # a schedule of the caller's account on threads reads as it did before organizations
            options["across"] = dict(self.across)
        if self.tag_policy:  # likewise a schedule without a tag policy reads as it did before there were any
            options["tag_policy"] = self.tag_policy
        return options

    def to_json(self) -> dict[str, Any]:
        trigger = {"every": self.every} if self.every is not None else {"cron": self.cron}
        return {"format": SCHEDULE_FORMAT, "trigger": trigger, "scan": self.scan_options()}


def public_endpoint(url: str | None) -> str | None:
    """The endpoint without what may be secret in it (user and password, query, fragment)."""
    return redact.endpoint(url) if url else url


def schedule_of(job: ScheduledScan, every: str | None, cron: str | None) -> Schedule:
    return Schedule(every, cron, job.profile, tuple(job.regions), public_endpoint(job.endpoint_url), job.workers,
                    job.html_dir, job.classification, job.across(), job.tag_policy)


def read_schedule(definition: object) -> Schedule | None:
    """The schedule a row holds; None for anything this version did not write (bytes, a pickle, junk)."""
    if not isinstance(definition, str):
        return None
    try:
        data = json.loads(definition)
        schedule = _schedule_from(data)
        schedule.trigger()
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):  # whatever was planted: not ours
        return None
    return schedule


def _schedule_from(data: Any) -> Schedule:
    if data.get("format") != SCHEDULE_FORMAT:
        raise ValueError("not a schedule")
    trigger, scan = data["trigger"], data["scan"]
    regions = scan["regions"]
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        raise ValueError("regions")
    if not isinstance(scan["workers"], int) or isinstance(scan["workers"], bool):
        raise ValueError("workers")
    across = scan.get("across") or {}
    if not isinstance(across, dict):
        raise ValueError("across")
    return Schedule(_text(trigger.get("every")), _text(trigger.get("cron")), _text(scan["profile"]),
                    tuple(regions), _text(scan["endpoint_url"]), scan["workers"], _text(scan["html_dir"]),
                    _text(scan.get("classification")), across, _text(scan.get("tag_policy")))


def _text(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    return value


def parse_time(text: str | None) -> datetime | None:
    """A time the store wrote; one without a zone is UTC, one that is not a time is none."""
    try:
        moment = datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def first_run(trigger: Trigger, since: datetime, now: datetime) -> tuple[datetime | None, bool]:
    """When to run first, counting from the last run at `since`; and whether a run was missed.

    A trigger that would have fired at least once since then runs once, now: the missed runs are one.
    """
    # A clock ahead on another host sharing the store must not push the schedule into the future.
    since = min(since, now)
    due = trigger.get_next_fire_time(since, since)
    if due is not None and due <= now:
        return now, True
    return due, False


def _run_log_line(line: str, level: int = logging.ERROR) -> str:
    log.log(level, line)
    return line


def run_scheduled_scan(config: dict[str, Any]) -> str:
    """One run; never raises, so a failure is logged as one line and the next run happens as planned.

    Returns the line it logged.
    """
    try:
        return _run_once(job_of(config))
    except Exception as error:  # noqa: BLE001 - the store failing mid-run, or anything unforeseen: one line
        return _run_log_line(f"scan not run: {describe_error(error)}")


def job_of(config: dict[str, Any]) -> ScheduledScan:
    """The job `asdict` made plain for APScheduler, as it was."""
    selection = config.get("selection") or {}
    executor = config.get("executor")
    return ScheduledScan(**{
        **config, "regions": tuple(config.get("regions") or ()),
        "selection": AccountSelection(**{**selection, "accounts": tuple(selection.get("accounts") or ()),
                                         "exclude": tuple(selection.get("exclude") or ())}),
        "executor": CeleryOptions(**executor) if executor else None})


def _run_once(job: ScheduledScan) -> str:
    try:
        engine = open_store(job.db)
    except StoreError as error:
        return _run_log_line(f"scan not run: {error}")
    try:
        session = boto3.Session(profile_name=job.profile)
    except Exception as error:  # noqa: BLE001 - a missing profile is the operator's to fix; keep running
        return _run_log_line(f"scan not run: {error}")
    try:
        options = job.options()
    except (ClassificationError, TagPolicyError) as error:  # a file broken since the schedule started
        return _run_log_line(f"scan not run: {error}")
    target = target_key(options, session)
    holder = acquire_lock(engine, target)
    if holder is not None:
        return _run_log_line(f"scan skipped: a scan of this target is already running ({holder})", logging.WARNING)
    try:
        previous = latest_scan_ids(engine, 1, target)
        try:
            scan = scan_and_store(options, engine, session=session)
        except Exception as error:  # noqa: BLE001 - recorded as failed by scan_and_store; logged here
            return _run_log_line(f"scan failed: {describe_error(error)}")
        failed = scan.status == ScanStatus.FAILED
        drift = ""
        if previous and not failed:
            try:
                drift = f"; since {previous[0]}: " + diff_scans(load_scan(engine, previous[0]), scan).one_line()
            except Exception as error:  # noqa: BLE001 - pruned meanwhile, or unreadable: the scan itself stands
                drift = f"; no drift: {describe_error(error)}"
        if job.html_dir and not failed:
            _publish(scan, Path(job.html_dir))
        why = f" ({failure_reason(scan)[:300]})" if failed else ""
        line = (f"scan {scan.id} {scan.status.value}: {len(scan.nodes)} nodes, {len(scan.findings)} findings, "
                f"{len(scan.coverage_gaps)} coverage gaps, {sum(scan.api_calls.values())} API calls{why}{drift}")
        return _run_log_line(line, logging.ERROR if failed else logging.INFO)
    finally:
        release_lock(engine, target)


def _publish(scan: Scan, directory: Path) -> None:
    """The scan's page and `latest.html`, readable by all: the folder is what a web server serves."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        problems = Problems()
        page = render_html(scan, problems)
        if problems.gaps:
            log.warning("scan %s: %d node(s) or edge(s) not shown in full in its view", scan.id, len(problems.gaps))
        write_output(directory / f"scan-{scan.id}.html", page, PUBLISHED)
        write_output(directory / "latest.html", page, PUBLISHED)
    except Exception as error:  # noqa: BLE001 - the scan is stored; its page is a lesser loss
        log.error("scan %s is stored, but its view could not be written: %s", scan.id, describe_error(error))


def target_of(job: ScheduledScan) -> str:
    try:
        session = boto3.Session(profile_name=job.profile)
    except BotoCoreError as error:  # a profile that does not exist, a malformed config file
        raise ScheduleError(str(error)) from None
    return target_key(job.options(), session)


def settle_schedule(engine: Engine, target: str, wanted: Schedule, now: datetime) -> tuple[bool, datetime]:
    """Keep the stored schedule when it is the one wanted, else store the wanted one.

    Returns whether it was kept, and when the schedule in force was set.
    """
    stored = load_schedule(engine, target)
    kept = _kept(stored, wanted)
    if kept and stored is not None:
        return True, parse_time(stored.set_at) or now
    save_schedule(engine, target, wanted.to_json(), now.isoformat(timespec="seconds"))
    return False, now


def _kept(stored: StoredSchedule | None, wanted: Schedule) -> bool:
    if stored is None:
        return False
    schedule = read_schedule(stored.definition)
    if schedule is None:
        log.warning("the stored schedule of this target is unreadable (not one this version of lineage writes); "
                    "replacing it")
        return False
    return schedule.same_as(wanted)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else "never"


def _log_next_run(trigger: Trigger) -> Callable[[JobExecutionEvent], None]:
    """After each run, when the next is planned: that the missed runs became one is seen in the log."""

    def log_next_run(event: JobExecutionEvent) -> None:
        # Worked out from the trigger as the scheduler does, not asked of the scheduler: it holds its lock
        # while it waits for this run at shutdown.
        log.info("next run %s", _when(trigger.get_next_fire_time(event.scheduled_run_time, datetime.now(UTC))))

    return log_next_run


def serve(job: ScheduledScan, every: str | None, cron: str | None, stop: threading.Event | None = None,
          run_now: bool = False) -> None:
    """Run scans on the schedule until SIGTERM or SIGINT (or `stop` is set), then return.

    `ValueError` for a trigger that is not one, `ScheduleError` for a profile that is not there,
    `StoreError` for a store that cannot keep the schedule: each one line.
    """
    trigger = make_trigger(every, cron)
    target = target_of(job)
    engine = open_store(job.db)
    now = datetime.now(UTC)
    kept, set_at = settle_schedule(engine, target, schedule_of(job, every, cron), now)
    since = parse_time(last_scan_started(engine, target)) or set_at
    next_run, missed = (now, False) if run_now else first_run(trigger, since, now)
    # Held in memory only: the job (and the URL it carries) is rebuilt from the process at every start.
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone="UTC",
    )
    scheduler.add_job(run_scheduled_scan, trigger, args=[asdict(job)], id=f"scan-{target}", name="lineage scan",
                      next_run_time=next_run)
    scheduler.add_listener(_log_next_run(trigger), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    caught_up = f" (missed since the last scan at {_when(since)}: running once now)" if missed else ""
    stop = stop or threading.Event()
    # Before the line that says it is running: a SIGTERM sent on reading that line must stop it cleanly.
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    log.info("schedule %s: %s, next run %s%s", "kept" if kept else "set", trigger, _when(next_run), caught_up)
    scheduler.start()
    stop.wait()
    log.info("stopping: waiting for a running scan to finish")
    scheduler.shutdown(wait=True)
    log.info("stopped")
