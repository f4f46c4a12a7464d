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


class _Watched:
    """A limiter that records what passes through it: every slot taken, given back, and most held at once."""

    def __init__(self, limit: int) -> None:
        self.inner = ThreadLimiter(limit)
        self.taken: list[str] = []
        self.held: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.lock = threading.Lock()

    def acquire(self, key: str) -> str:
        token = self.inner.acquire(key)
        with self.lock:
            self.taken.append(key)
            self.held[key] = self.held.get(key, 0) + 1
            self.most[key] = max(self.most.get(key, 0), self.held[key])
        time.sleep(0.01)  # calls overlap, so the limit is what keeps them apart
        return token

    def release(self, key: str, token: str) -> None:
        with self.lock:
            self.held[key] -= 1
        self.inner.release(key, token)


def test_every_call_of_a_context_holds_a_slot_of_its_account_and_region_while_on_the_wire() -> None:
    from collectors.declarations import Call

    listing = Call("sqs", "list_queues", result_key="QueueUrls", empty_is_an_answer=True)
    watched = _Watched(2)
    with mock_aws():
        ctx = AwsContext(boto3.Session(region_name="eu-west-1"), ("eu-west-1", "us-east-1"), workers=8,
                         limiter=watched)
        ctx.account = "111122223333"
        try:
            answers = ctx.map(lambda region: ctx.pages(listing, region), ["eu-west-1", "us-east-1"] * 8)
        finally:
            ctx.close()
    assert answers == [[]] * 16
    assert sorted(set(watched.taken)) == ["111122223333/eu-west-1", "111122223333/us-east-1"]
    assert len(watched.taken) == sum(ctx.api_calls.values()) == 16
    assert set(watched.held.values()) == {0}  # every slot given back
    assert max(watched.most.values()) == 2  # calls did overlap, and never more than two per account and region


def test_a_task_that_failed_on_its_worker_is_a_gap_of_its_account_and_region() -> None:
    from collectors import s3, stepfunctions
    from lineage.executors import Job, Task
    from lineage.executors.celery import CeleryExecutor

    ctx = _context()
    try:
        failed = CeleryExecutor._received(Job(ctx, Task(stepfunctions.COLLECTOR, "eu-west-1")),
                                          {"status": "FAILURE", "result": {"exc_type": "MemoryError",
                                                                           "exc_message": ["out of memory"]}})
        read = CeleryExecutor._received(Job(ctx, Task(s3.COLLECTOR, "global")), {"status": "SUCCESS", "result": {
            "facts": {"gaps": [{"service": "s3", "operation": "GetBucketPolicy", "resource": "b", "error": "x"}]},
            "call_gaps": [], "api_calls": {"s3:ListBuckets": 1}, "successful_calls": 1}})
    finally:
        ctx.close()
    assert failed.nodes == () and failed.edges == ()
    [gap] = ctx.gaps
    assert (gap.service, gap.operation, gap.region, gap.account) == ("states", "collect", "eu-west-1", "111122223333")
    assert gap.error.startswith("TaskFailed: Step Functions eu-west-1 (111122223333) failed on its worker")
    assert "out of memory" in gap.error
    assert [g.account for g in read.gaps] == ["111122223333"]  # a worker's gap is said to be in the task's account
    assert ctx.api_calls["s3:ListBuckets"] == 1 and ctx.successful_calls == 1


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: object):
        yield self.body


def test_an_answer_no_parser_reads_gives_its_slot_back() -> None:
    """botocore skips `response-received` when an answer fails to parse: the slot must not be kept for good,
    or every later call to that account and region would wait for ever."""
    from botocore.awsrequest import AWSResponse

    from collectors.declarations import Call

    listing = Call("sqs", "list_queues", result_key="QueueUrls", empty_is_an_answer=True)
    watched = _Watched(1)
    with mock_aws():
        ctx = AwsContext(boto3.Session(region_name="eu-west-1"), ("eu-west-1",), limiter=watched, max_attempts=1)
        ctx.account = "111122223333"
        client = ctx.client("sqs", "eu-west-1")
        garbled = lambda request, **_: AWSResponse(request.url, 200, {}, _Raw(b"<html>not json</html>"))  # noqa: E731
        client.meta.events.register("before-send.sqs.ListQueues", garbled)
        answers: list = []
        reader = threading.Thread(target=lambda: answers.extend(ctx.pages(listing, "eu-west-1") for _ in range(3)))
        reader.start()
        reader.join(timeout=30)
        ctx.close()
    assert not reader.is_alive(), "a call waited for a slot an unreadable answer kept"
    assert answers == [None, None, None] and len(ctx.gaps) == 3
    assert len(watched.taken) == 3 and watched.held == {"111122223333/eu-west-1": 0}


def test_a_region_not_enabled_is_said_once_however_many_workers_met_it_and_no_worker_asks_again() -> None:
    from collectors import sqs, stepfunctions
    from lineage.executors import Job, Task
    from lineage.executors.celery import CeleryExecutor, message_of

    not_enabled = "region ap-east-1 is not enabled for this account, nothing there was read (OptInRequired: x)"

    def answer(service: str) -> dict:
        return {"status": "SUCCESS", "result": {
            "facts": {}, "api_calls": {}, "successful_calls": 0,
            "regions_not_enabled": {"ap-east-1": "OptInRequired: x"},
            "call_gaps": [{"service": service, "operation": "List", "resource": "", "error": not_enabled,
                           "region": "ap-east-1", "account": "111122223333"}]}}

    ctx = _context()
    try:
        CeleryExecutor._received(Job(ctx, Task(sqs.COLLECTOR, "ap-east-1")), answer("sqs"))
        CeleryExecutor._received(Job(ctx, Task(stepfunctions.COLLECTOR, "ap-east-1")), answer("states"))
        later = message_of(Job(ctx, Task(sqs.COLLECTOR, "ap-east-1"), {"sqs.queue": ["q"]}), "scan", None, 8, 0,
                           "us-east-1", "aws")
    finally:
        ctx.close()
    assert [gap.service for gap in ctx.gaps] == ["sqs"]
    assert later["regions_not_enabled"] == {"ap-east-1": "OptInRequired: x"}
    assert later["sts_region"] == "us-east-1" and later["wanted"] == {"sqs.queue": ["q"]}
    assert not any(key in later for key in ("credentials", "secret", "token", "AccessKeyId"))
