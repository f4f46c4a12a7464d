"""Periodic scans: APScheduler with its jobs in the scan store, one scan of a target at a time.

The schedule lives in the same database as the scans (SQLAlchemyJobStore), so a restarted
scheduler keeps it; runs missed while it was down are coalesced into one; SIGTERM and SIGINT stop it
between scans. Each run records its scan (a failed one too), writes the view, and logs one line with
what changed since the previous scan of the same target.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from lineage.drift import diff_scans
from lineage.isolation import Problems, describe_error
from lineage.model import ScanStatus
from lineage.scan import ScanOptions, failure_reason, scan_and_store, target_key
from store.repository import StoreError, acquire_lock, latest_scan_ids, load_scan, open_store, release_lock
from viz.html import render_html

log = logging.getLogger("lineage.scheduler")

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `6h`, `7d`."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration such as 30m, 6h or 7d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def make_trigger(every: str | None, cron: str | None) -> IntervalTrigger | CronTrigger:
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
    """Everything a run needs, as plain data: the job store pickles it."""

    db: str
    profile: str | None = None
    regions: tuple[str, ...] = ()
    endpoint_url: str | None = None
    workers: int = 8
    html_dir: str | None = None

    def options(self) -> ScanOptions:
        return ScanOptions(self.profile, self.regions, self.endpoint_url, self.workers)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def run_scheduled_scan(config: dict[str, Any]) -> str:
    """One run; never raises, so a failure is logged as one line and the next run happens as planned.

    Returns the line it logged.
    """
    try:
        return _run_once(ScheduledScan(**{**config, "regions": tuple(config.get("regions") or ())}))
    except Exception as error:  # noqa: BLE001 - the store failing mid-run, or anything unforeseen: one line
        line = f"scan not run: {describe_error(error)}"
        log.error(line)
        return line


def _run_once(job: ScheduledScan) -> str:
    try:
        engine = open_store(job.db)
    except StoreError as error:
        line = f"scan not run: {error}"
        log.error(line)
        return line
    try:
        session = boto3.Session(profile_name=job.profile)
    except Exception as error:  # noqa: BLE001 - a missing profile is the operator's to fix; keep running
        line = f"scan not run: {error}"
        log.error(line)
        return line
    target = target_key(job.options(), session)
    holder = acquire_lock(engine, target)
    if holder is not None:
        line = f"scan skipped: a scan of this target is already running ({holder})"
        log.warning(line)
        return line
    try:
        previous = latest_scan_ids(engine, 1, target)
        try:
            scan = scan_and_store(job.options(), engine, session=session)
        except Exception as error:  # noqa: BLE001 - recorded as failed by scan_and_store; logged here
            line = f"scan failed: {describe_error(error)}"
            log.error(line)
            return line
        failed = scan.status == ScanStatus.FAILED
        drift = ""
        if previous and not failed:
            try:
                drift = f"; since {previous[0]}: " + diff_scans(load_scan(engine, previous[0]), scan).one_line()
            except Exception as error:  # noqa: BLE001 - pruned meanwhile, or unreadable: the scan itself stands
                drift = f"; no drift: {describe_error(error)}"
        if job.html_dir and not failed:
            try:
                directory = Path(job.html_dir)
                directory.mkdir(parents=True, exist_ok=True)
                problems = Problems()
                page = render_html(scan, problems)
                if problems.gaps:
                    log.warning("scan %s: %d node(s) or edge(s) not shown in full in its view", scan.id,
                                len(problems.gaps))
                _write_atomically(directory / f"scan-{scan.id}.html", page)
                _write_atomically(directory / "latest.html", page)
            except Exception as error:  # noqa: BLE001 - the scan is stored; its page is a lesser loss
                log.error("scan %s is stored, but its view could not be written: %s", scan.id, describe_error(error))
        why = f" ({failure_reason(scan)[:300]})" if failed else ""
        line = (f"scan {scan.id} {scan.status.value}: {len(scan.nodes)} nodes, {len(scan.findings)} findings, "
                f"{len(scan.coverage_gaps)} coverage gaps, {sum(scan.api_calls.values())} API calls{why}{drift}")
        (log.error if failed else log.info)(line)
        return line
    finally:
        release_lock(engine, target)


def job_id(job: ScheduledScan) -> str:
    return "scan-" + target_key(job.options(), boto3.Session(profile_name=job.profile))


def serve(job: ScheduledScan, every: str | None, cron: str | None, stop: threading.Event | None = None,
          run_now: bool = False) -> None:
    """Run scans on the schedule until SIGTERM or SIGINT (or `stop` is set), then return."""
    trigger = make_trigger(every, cron)
    engine = open_store(job.db)
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="lineage_schedule")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone="UTC",
    )
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    scheduler.start(paused=True)
    identifier = job_id(job)
    config = asdict(job)
    existing = scheduler.get_job(identifier)
    if existing is not None and str(existing.trigger) == str(trigger) and existing.kwargs == {"config": config}:
        log.info("schedule kept: %s, next run %s", trigger, existing.next_run_time)
    else:
        scheduler.add_job(run_scheduled_scan, trigger, id=identifier, kwargs={"config": config},
                          replace_existing=True, name="lineage scan")
        log.info("schedule set: %s, next run %s", trigger, scheduler.get_job(identifier).next_run_time)
    if run_now:
        scheduler.modify_job(identifier, next_run_time=datetime.now(UTC))
    scheduler.resume()
    stop.wait()
    log.info("stopping: waiting for a running scan to finish")
    scheduler.shutdown(wait=True)
    log.info("stopped")
