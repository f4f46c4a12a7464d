"""Scans across accounts and on workers: the options `scan` and `schedule` share, and `lineage worker`."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lineage.cli.app import cli, console, fail

if TYPE_CHECKING:
    from lineage.executors.celery import CeleryOptions
    from lineage.organization import AccountSelection

_BROKER_SCHEMES = ("redis://", "rediss://", "valkey://", "valkeys://", "amqp://", "amqps://", "pyamqp://")


def across_accounts_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of a scan that reads several accounts, or runs on Celery workers."""
    options = [
        click.option("--organization", is_flag=True,
                     help="Scan every active account of the organization (organizations:ListAccounts, from the "
                          "management or a delegated administrator account)."),
        click.option("--accounts", "accounts_text", metavar="ID,…", help="Scan these accounts (comma-separated)."),
        click.option("--accounts-file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                     help="Scan the accounts listed in FILE (one or more per line; # starts a comment)."),
        click.option("--exclude-accounts", "exclude_text", metavar="ID,…", help="Leave these accounts out."),
        click.option("--assume-role", "role_name", metavar="NAME",
                     help="The role assumed in each account but the caller's own (needed with several accounts)."),
        click.option("--external-id", metavar="ID", help="The external id the role's trust policy asks for."),
        click.option("--max-per-account", type=click.IntRange(1, 1000), metavar="N",
                     help="At most N calls in flight to one account and region, across every worker."),
        click.option("--executor", type=click.Choice(["threads", "celery"]), default="threads",
                     envvar="LINEAGE_EXECUTOR", show_default=True, show_envvar=True,
                     help="Where the reads run: this process's threads, or Celery workers (lineage worker)."),
        click.option("--broker", envvar="LINEAGE_BROKER", show_envvar=True, metavar="URL",
                     help="With --executor celery: the broker, redis://, valkey:// or amqp://."),
        click.option("--result-backend", envvar="LINEAGE_RESULT_BACKEND", show_envvar=True, metavar="URL",
                     help="Where workers leave the facts; the broker when it is Redis, else replies over it."),
        click.option("--deadline", metavar="DURATION", default="6h", show_default=True,
                     help="With --executor celery: tasks not finished by then are gaps and the scan is partial."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass(frozen=True, slots=True)
class AcrossAccounts:
    selection: AccountSelection
    executor: CeleryOptions | None
    max_per_account: int


def across_accounts(organization: bool, accounts_text: str | None, accounts_file: Path | None,
                    exclude_text: str | None, role_name: str | None, external_id: str | None,
                    max_per_account: int | None, executor: str, broker: str | None, result_backend: str | None,
                    deadline: str) -> AcrossAccounts:
    """The options as the scan takes them; a wrong one is one line and exit code 2."""
    from lineage.executors.celery import CeleryOptions
    from lineage.organization import (
        AccountSelection,
        SelectionError,
        check_external_id,
        check_role_name,
        parse_account_ids,
    )
    from lineage.scheduler import parse_duration

    try:
        accounts = parse_account_ids(accounts_text or "", "--accounts")
        if accounts_file is not None:
            try:
                text = accounts_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                fail(f"--accounts-file: cannot read {accounts_file}: {getattr(error, 'strerror', None) or error}")
            accounts += tuple(a for a in parse_account_ids(text, str(accounts_file)) if a not in accounts)
            if not accounts and not organization:
                fail(f"--accounts-file: {accounts_file} names no account")
        exclude = parse_account_ids(exclude_text or "", "--exclude-accounts")
        role = check_role_name(role_name) if role_name else ""
        external = check_external_id(external_id) if external_id else ""
    except SelectionError as error:
        fail(str(error))
    spans = organization or bool(accounts)
    if spans and not role:
        fail("--assume-role NAME is needed to read accounts other than the caller's own")
    if (role or external or exclude) and not spans:
        fail("--assume-role, --external-id and --exclude-accounts go with --organization or --accounts")
    if external and not role:
        fail("--external-id goes with --assume-role")
    celery = None
    if executor == "celery":
        if not broker:
            fail("--executor celery needs --broker URL (or LINEAGE_BROKER)")
        check_broker(broker, "--broker")
        if result_backend and not result_backend.startswith((*_BROKER_SCHEMES, "rpc://", "db+")):
            fail("--result-backend must be a redis://, valkey://, rpc:// or db+ URL")
        try:
            seconds = parse_duration(deadline).total_seconds()
        except ValueError as error:
            fail(f"--deadline: {error}")
        celery = CeleryOptions(broker, result_backend or "", seconds)
    return AcrossAccounts(AccountSelection(organization, accounts, exclude, role, external), celery,
                          max_per_account or 0)


def check_broker(url: str, option: str) -> None:
    if not url.startswith(_BROKER_SCHEMES):
        fail(f"{option} must be a redis://, valkey:// or amqp:// URL")


@cli.command()
@click.option("--broker", envvar="LINEAGE_BROKER", show_envvar=True, metavar="URL", required=True,
              help="The broker scans send their tasks to: redis://, valkey:// or amqp://.")
@click.option("--result-backend", envvar="LINEAGE_RESULT_BACKEND", show_envvar=True, metavar="URL",
              help="Where the facts go back; the broker when it is Redis, else replies over it.")
@click.option("--limiter", "limiter_url", envvar="LINEAGE_LIMITER", show_envvar=True, metavar="URL",
              help="Redis or Valkey that every worker shares to bound calls per account and region; the broker "
                   "or the result backend when either is Redis.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=2, show_default=True,
              help="Tasks this worker runs at once (processes).")
@click.option("--redeliver-after", type=click.IntRange(2, 7 * 24 * 3600), metavar="SECONDS",
              envvar="LINEAGE_REDELIVER_AFTER", show_envvar=True, default=3600, show_default=True,
              help="On Redis, a task whose worker vanished is given to another after this long; longer than "
                   "any one task runs.")
@click.option("--ping", is_flag=True,
              help="Only check that a worker of this host answers on the broker (exit 0), else exit 1.")
def worker(broker: str, result_backend: str | None, limiter_url: str | None, concurrency: int,
           redeliver_after: int, ping: bool) -> None:
    """Run a Celery worker that reads the tasks of scans started with --executor celery."""
    from lineage.executors import worker as work
    from lineage.executors.celery import as_redis, is_redis, make_app, result_backend_for

    check_broker(broker, "--broker")
    if limiter_url and not is_redis(limiter_url):
        fail("--limiter must be a redis:// or valkey:// URL")
    app = make_app(broker, result_backend or "", redeliver_after)
    if ping:
        try:
            answers = app.control.ping(timeout=3.0)
        except Exception as error:  # noqa: BLE001 - a broker that does not answer is the answer
            console.print(f"no answer: {type(error).__name__}", markup=False)
            sys.exit(1)
        # Another host's worker answering says nothing of this one (a container among replicas).
        here = [answer for answer in answers if any(name.endswith(f"@{socket.gethostname()}") for name in answer)]
        console.print(f"{len(here)} worker(s) of this host answered, {len(answers)} in all", markup=False)
        sys.exit(0 if here else 1)
    backend = result_backend_for(broker, result_backend or "")
    shared = limiter_url or (broker if is_redis(broker) else backend if is_redis(backend) else "")
    work.settings.limiter_url = as_redis(shared) if shared else ""

    app.worker_main(["worker", f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip",
                     "--without-mingle", f"--hostname=lineage-{os.getpid()}@%h", "--queues=lineage"])
