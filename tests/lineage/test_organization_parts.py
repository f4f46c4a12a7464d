"""The parts of a scan across accounts, each on its own: naming accounts, telling an account's regions,
bounding calls per account and region, a scan's deadline on Celery, and a task that keeps ending its
worker. Redis is the machine's (127.0.0.1:6379), in a database of these tests' own."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import boto3
import pytest
import redis
from botocore.stub import Stubber
from moto import mock_aws

from collectors.context import AwsContext
from lineage.executors import worker
from lineage.executors.celery import CeleryOptions
from lineage.executors.limits import RedisLimiter, ThreadLimiter
from lineage.organization import SelectionError, active_accounts, enabled_regions, parse_account_ids, role_arn
from lineage.scan import ScanOptions, run_scan
from tests.e2e.conftest import lineage

REDIS = "redis://127.0.0.1:6379/10"


@pytest.fixture
def store() -> redis.Redis:
    client = redis.Redis.from_url(REDIS)
    try:
        client.flushdb()
    except redis.ConnectionError:
        pytest.fail("Redis does not answer on 127.0.0.1:6379 (make test starts it)")
    return client


def test_account_ids_are_read_from_commas_spaces_lines_and_comments() -> None:
    text = "111122223333, 444455556666\n# the lake\n777788889999 111122223333  # again\n"
    assert parse_account_ids(text, "f") == ("111122223333", "444455556666", "777788889999")
    with pytest.raises(SelectionError, match="'12345' is not an account id"):
        parse_account_ids("111122223333,12345", "--accounts")


def test_only_active_accounts_are_read_and_a_role_is_named_in_its_account() -> None:
    listed = [{"Id": "111122223333", "Status": "ACTIVE"}, {"Id": "444455556666", "Status": "SUSPENDED"},
              {"Id": "777788889999", "State": "CLOSED", "Status": "SUSPENDED"}, {"Id": "222233334444"}]
    assert active_accounts(listed) == ["111122223333", "222233334444"]
    assert role_arn("111122223333", "/team/Reader") == "arn:aws:iam::111122223333:role/team/Reader"


def _context() -> AwsContext:
    ctx = AwsContext(boto3.Session(region_name="us-east-1"), ("us-east-1",))
    ctx.account = "111122223333"
    return ctx


def test_the_regions_of_an_account_are_those_enabled_for_it() -> None:
    ctx = _context()
    with Stubber(ctx.client("account", "us-east-1")) as account:
        account.add_response("list_regions", {"Regions": [
            {"RegionName": "eu-west-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"},
            {"RegionName": "af-south-1", "RegionOptStatus": "ENABLED"}]},
            {"RegionOptStatusContains": ["ENABLED", "ENABLED_BY_DEFAULT"]})
        assert enabled_regions(ctx) == ("af-south-1", "eu-west-1")
    assert not ctx.gaps


def test_without_list_regions_ec2_tells_and_regions_not_opted_in_are_left_out() -> None:
    ctx = _context()
    with Stubber(ctx.client("account", "us-east-1")) as account, Stubber(ctx.client("ec2", "us-east-1")) as ec2:
        account.add_client_error("list_regions", "AccessDeniedException", http_status_code=403)
        ec2.add_response("describe_regions", {"Regions": [
            {"RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"},
            {"RegionName": "me-south-1", "OptInStatus": "not-opted-in"},
            {"RegionName": "ap-east-1", "OptInStatus": "opted-in"}]})
        assert enabled_regions(ctx) == ("ap-east-1", "us-east-1")
    assert not ctx.gaps


def test_regions_nobody_can_tell_are_one_gap_of_the_account() -> None:
    ctx = _context()
    with Stubber(ctx.client("account", "us-east-1")) as account, Stubber(ctx.client("ec2", "us-east-1")) as ec2:
        account.add_client_error("list_regions", "AccessDeniedException", http_status_code=403)
        ec2.add_client_error("describe_regions", "UnauthorizedOperation", http_status_code=403)
        assert enabled_regions(ctx) is None
    [gap] = ctx.gaps
    assert gap.account == "111122223333" and "AccessDeniedException" in gap.error
    assert "UnauthorizedOperation" in gap.error and "only us-east-1 was read" in gap.error


def _most_at_once(limiter, key: str, threads: int = 12) -> int:
    in_flight, most, lock = 0, 0, threading.Lock()

    def call() -> None:
        nonlocal in_flight, most
        token = limiter.acquire(key)
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        limiter.release(key, token)

    runners = [threading.Thread(target=call) for _ in range(threads)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(timeout=60)
    return most


def test_calls_in_flight_to_an_account_and_region_never_pass_the_limit(store) -> None:
    assert _most_at_once(ThreadLimiter(3), "111122223333/eu-west-1") == 3
    shared = RedisLimiter(store, 2)
    assert _most_at_once(shared, "111122223333/eu-west-1") == 2
    assert shared.holders("111122223333/eu-west-1") == 0  # every slot given back


def test_a_slot_a_vanished_holder_kept_comes_back_after_its_lease(store) -> None:
    limiter = RedisLimiter(store, 1, lease=1.0)
    limiter.acquire("111122223333/us-east-1")  # never released: its worker was killed
    started = time.monotonic()
    token = limiter.acquire("111122223333/us-east-1")
    assert 0.5 < time.monotonic() - started < 10
    limiter.release("111122223333/us-east-1", token)


def test_a_scan_whose_tasks_no_worker_finishes_is_partial_at_its_deadline_naming_each(store) -> None:
    with mock_aws():
        scan, _ = run_scan(ScanOptions(regions=("us-east-1",), executor=CeleryOptions(REDIS, deadline=2.0)),
                           session=boto3.Session(region_name="us-east-1"))
    assert scan.status.value == "partial" and not scan.nodes
    unfinished = [g for g in scan.coverage_gaps if g.error.startswith("TaskNotFinished")]
    assert {g.service for g in unfinished} >= {"s3", "states", "glue", "events"}
    assert all(g.account == "123456789012" and "before the scan's deadline (2 s)" in g.error for g in unfinished)


def test_a_task_that_ended_its_worker_again_and_again_is_a_gap_not_run_again(store, monkeypatch) -> None:
    monkeypatch.setattr(worker.settings, "limiter_url", REDIS)
    store.set("lineage:deliveries:task-1", worker.MOST_DELIVERIES)
    message = {"service": "s3", "region": "global", "account": "111122223333", "regions": ["eu-west-1"]}
    answer = worker.read(SimpleNamespace(request=SimpleNamespace(id="task-1")), message)
    [gap] = answer["call_gaps"]
    assert gap["error"] == f"TaskFailed: the task ended its worker {worker.MOST_DELIVERIES} times; it was not run again"
    assert (gap["service"], gap["account"], gap["region"]) == ("s3", "111122223333", "eu-west-1")
    assert answer["facts"] == {} and answer["api_calls"] == {}


@pytest.mark.parametrize(("arguments", "message"), [
    (["--organization"], "--assume-role NAME is needed"),
    (["--accounts", "12345", "--assume-role", "R"], "'12345' is not an account id"),
    (["--assume-role", "R"], "go with --organization or --accounts"),
    (["--organization", "--assume-role", "bad role!"], "is not an IAM role name"),
    (["--executor", "celery"], "--executor celery needs --broker"),
    (["--executor", "celery", "--broker", "http://x"], "--broker must be a redis://"),
    (["--region", "all", "--region", "eu-west-1"], "--region all means every enabled region"),
])
def test_a_wrong_option_is_one_line_and_exit_code_2(arguments, message, tmp_path) -> None:
    done = lineage("scan", *arguments, "--db", f"sqlite:///{tmp_path / 'x.db'}",
                   env={"LINEAGE_BROKER": "", "LINEAGE_EXECUTOR": "threads"})
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
