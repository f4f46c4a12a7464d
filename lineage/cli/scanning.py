"""`lineage scan` and `lineage schedule`: reading the estate, once or periodically."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from lineage.cli.app import check_regions, cli, console, db_option, errors, fail, open_engine, stop
from lineage.cli.printing import add_row, plain, printable, say_written, text_table
from lineage.cli.workers import AcrossAccounts, across_accounts, across_accounts_options
from lineage.isolation import Problems
from lineage.model import Scan, Severity, Stage

if TYPE_CHECKING:
    from lineage.classification import Classification
    from lineage.tag_policy import TagPolicy
    from viz.page_data import Focus


def print_summary(scan: Scan) -> None:
    stages = Counter(n.stage for n in scan.nodes)
    severities = Counter(f.severity for f in scan.findings)
    table = text_table(f"Scan {scan.id} · {scan.status.value}", show_header=False)
    add_row(table, "accounts", ", ".join(scan.accounts) or "unknown")
    add_row(table, "regions", ", ".join(scan.regions))
    add_row(table, "nodes", f"{len(scan.nodes)} (" + ", ".join(f"{s.value} {stages.get(s, 0)}" for s in Stage) + ")")
    add_row(table, "flows", sum(1 for e in scan.edges if e.kind.is_flow))
    add_row(table, "findings", f"{len(scan.findings)} (" + ", ".join(
        f"{s.value} {severities[s]}" for s in sorted(Severity, key=lambda s: -s.rank) if severities.get(s)) + ")")
    add_row(table, "coverage gaps", len(scan.coverage_gaps))
    add_row(table, "API calls", sum(scan.api_calls.values()))
    console.print(table)
    by_error: dict[str, list[str]] = {}
    for gap in scan.coverage_gaps:
        by_error.setdefault(gap.error, []).append(f"{gap.service}:{gap.operation} {gap.resource}".strip())
    for error, calls in list(by_error.items())[:10]:
        where = ", ".join(calls[:3]) + (f" and {len(calls) - 3} more" if len(calls) > 3 else "")
        console.print(plain(f"  gap: {error} ({where})"))
    if len(by_error) > 10:
        console.print(f"  … and {len(by_error) - 10} more kinds of gap")
    if scan.coverage_gaps:
        console.print(plain(f"  every gap: lineage gaps --scan {scan.id}"))


def read_classification(path: Path | None) -> Classification:
    """The default rules, or those extended by the user's file; a file that cannot be used is one line."""
    from lineage.classification import ClassificationError, load_classification

    try:
        return load_classification(path)
    except ClassificationError as error:
        fail(f"--classification: {error}")


classification_option = click.option(
    "--classification", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="Personal-data rules (TOML) that extend the defaults: more words, false positives, processing that "
         "masks or drops personal data. See lineage/classification.toml for the shape.")


tag_policy_option = click.option(
    "--tag-policy", "tag_policy_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="Tags every resource on a data flow must carry: an AWS Organizations tag policy (JSON), or YAML/JSON with "
         "`required: [keys]` and `allowed: {key: [values]}`.")


def read_tag_policy(path: Path | None) -> TagPolicy | None:
    """The policy in the user's file (what in it judges nothing said on stderr); a file that cannot be used is one
    line and exit 2."""
    if path is None:
        return None
    from lineage.tag_policy import TagPolicyError, load_tag_policy

    try:
        policy = load_tag_policy(path)
    except TagPolicyError as error:
        fail(f"--tag-policy: {error}")
    for warning in policy.warnings:
        errors.print(plain(f"warning: --tag-policy: {warning}"))
    return policy


def perform_scan(profile: str | None, regions: tuple[str, ...], endpoint_url: str | None, db: str,
                 html: Path | None, workers: int, classification: Classification | None = None,
                 across: AcrossAccounts | None = None, tag_policy: TagPolicy | None = None) -> Scan:
    import boto3
    from botocore.exceptions import BotoCoreError

    from lineage.scan import ScanOptions, scan_and_store
    from store.repository import StoreError

    engine = open_engine(db)
    options = ScanOptions(profile=profile, regions=regions, endpoint_url=endpoint_url, workers=workers,
                          classification=classification, tag_policy=tag_policy)
    if across is not None:
        options = replace(options, selection=across.selection, executor=across.executor,
                          max_per_account=across.max_per_account)
    try:
        session = boto3.Session(profile_name=profile)
    except BotoCoreError as error:  # a profile that does not exist, a malformed config file
        fail(str(error))
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                  console=errors, transient=True) as progress:
        task = progress.add_task("scanning", total=None)

        def advance(label: str, done: int, total: int) -> None:
            progress.update(task, description=printable(f"read {label}"), completed=done, total=total)

        try:
            scan = scan_and_store(options, engine, advance, session=session)
        except StoreError as error:
            stop(str(error))
    if html is not None:
        write_page(scan, html)
    return scan


def write_page(scan: Scan, path: Path, focus: Focus | None = None, personal_only: bool = False) -> None:
    """The page of a stored scan, readable by all (the user asked for it to be shown); a page that cannot
    be written fails the command, never the stored scan."""
    from lineage.files import PUBLISHED, OutputError, write_output
    from viz.html import render_html

    problems = Problems()
    page = render_html(scan, problems, focus, personal_only)
    try:
        replaced = write_output(path, page, PUBLISHED)
    except OutputError as error:
        # The message names the path and why: "cannot write PATH: Permission denied", "PATH is a symbolic link…"
        fail(f"scan {scan.id} is stored, but {error}")
    say_written(path, replaced)
    warn_view_problems(problems)


def warn_view_problems(problems: Problems) -> None:
    if problems.gaps:
        errors.print(f"warning: {len(problems.gaps)} node(s) or edge(s) could not be shown in full; the page lists "
                     "them")


@cli.command()
@click.option("--profile", metavar="P", help="AWS profile to use.")
@click.option("--region", "regions", multiple=True, metavar="R",
              help="Region to scan; repeat for more; `all` for every region enabled for each account.")
@click.option("--endpoint-url", metavar="URL", help="Send every call to this endpoint (moto, LocalStack).")
@db_option
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), help="Also write the HTML view here.")
@click.option("--workers", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Concurrent AWS calls per account.")
@classification_option
@tag_policy_option
@across_accounts_options
def scan(profile: str | None, regions: tuple[str, ...], endpoint_url: str | None, db: str, html: Path | None,
         workers: int, classification: Path | None, tag_policy_file: Path | None, **across_options: Any) -> None:
    """Read the estate's configuration, build the graph, flag the gaps, store the scan."""
    if endpoint_url and not endpoint_url.startswith(("http://", "https://")):
        fail(f"--endpoint-url must be an http(s) URL, not {endpoint_url!r}")
    check_regions(regions)
    across = across_accounts(**across_options)
    rules = read_classification(classification)
    result = perform_scan(profile, regions, endpoint_url, db, html, workers, rules, across,
                          read_tag_policy(tag_policy_file))
    print_summary(result)
    if html is not None:
        console.print(plain(f"view: {html}"))
    if result.status.value == "failed":
        sys.exit(1)


@cli.command()
@click.option("--every", metavar="INTERVAL", help="Scan every INTERVAL: 30m, 6h, 1d (s, m, h, d).")
@click.option("--cron", metavar="EXPR", help='Scan on a crontab schedule, in UTC: "0 */6 * * *".')
@click.option("--profile", metavar="P")
@click.option("--region", "regions", multiple=True, metavar="R")
@click.option("--endpoint-url", metavar="URL")
@db_option
@click.option("--html-dir", type=click.Path(file_okay=False), help="Write latest.html and one page per scan here.")
@click.option("--workers", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--now", "run_now", is_flag=True, help="Also scan once right away.")
@classification_option
@tag_policy_option
@across_accounts_options
def schedule(every: str | None, cron: str | None, profile: str | None, regions: tuple[str, ...],
             endpoint_url: str | None, db: str, html_dir: str | None, workers: int, run_now: bool,
             classification: Path | None, tag_policy_file: Path | None, **across_options: Any) -> None:
    """Scan periodically until stopped (SIGTERM or Ctrl-C stop it between scans)."""
    import logging

    from lineage.scheduler import ScheduledScan, ScheduleError, make_trigger, serve
    from store.repository import StoreError

    try:
        make_trigger(every, cron)
    except ValueError as error:
        fail(str(error))
    check_regions(regions)
    across = across_accounts(**across_options)
    read_classification(classification)  # a broken file is said now, not at the first run
    read_tag_policy(tag_policy_file)
    open_engine(db)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    for noisy in ("apscheduler", "alembic", "botocore", "boto3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    job = ScheduledScan(db=db, profile=profile, regions=regions, endpoint_url=endpoint_url, workers=workers,
                        html_dir=html_dir, classification=str(classification.resolve()) if classification else None,
                        selection=across.selection, executor=across.executor, max_per_account=across.max_per_account,
                        tag_policy=str(tag_policy_file.resolve()) if tag_policy_file else None)
    try:
        serve(job, every, cron, run_now=run_now)
    except ScheduleError as error:
        fail(str(error))
    except StoreError as error:
        stop(str(error))

