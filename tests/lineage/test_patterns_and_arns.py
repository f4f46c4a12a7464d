from __future__ import annotations

import json

import pytest

from lineage import arn as arns
from lineage.arguments import Direction, direction_of
from lineage.patterns import PatternError, pattern_facts
from tests.conftest import corpus_files


def test_sources_exact_and_by_matcher_and_s3_buckets() -> None:
    facts = pattern_facts(json.dumps({
        "source": ["aws.s3", {"prefix": "com.example."}],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": ["raw-bucket", {"prefix": "tmp-"}]}},
    }))
    assert facts.sources == ("aws.s3", "prefix:com.example.")
    assert facts.detail_types == ("Object Created",)
    assert facts.buckets == ("raw-bucket",)


def test_top_level_or_is_read_branch_by_branch() -> None:
    facts = pattern_facts({"$or": [{"source": ["a.one"]}, {"source": ["b.two"]}]})
    assert facts.sources == ("a.one", "b.two")


def test_a_pattern_that_is_not_an_object_is_an_error() -> None:
    with pytest.raises(PatternError):
        pattern_facts("[1]")
    with pytest.raises(PatternError):
        pattern_facts("{oops")


@pytest.mark.parametrize("path", corpus_files("patterns"), ids=lambda p: p.name[-50:])
def test_corpus_patterns_parse_or_fail_clearly(path, corpus) -> None:
    try:
        facts = pattern_facts(path.read_text(encoding="utf-8"))
    except PatternError as error:
        assert str(error)
    else:
        assert all(isinstance(s, str) and s for s in facts.sources)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("s3://bucket/raw/events/", ("bucket", "raw/events")),
        ("s3a://bucket", ("bucket", "")),
        ("arn:aws:s3:::bucket/x/", ("bucket", "x")),
        ("https://bucket.s3.amazonaws.com/x", None),
        ("bucket/x", None),
    ],
)
def test_s3_urls(value, expected) -> None:
    assert arns.parse_s3_url(value) == expected


def test_location_ids_are_canonical() -> None:
    assert arns.s3_location_id("b", "/raw/") == "arn:aws:s3:::b/raw"
    assert arns.s3_location_id("b", "") == "arn:aws:s3:::b"
    assert arns.kind_for_arn("arn:aws:s3:::b/raw") == "s3.location"
    assert arns.kind_for_arn("arn:aws:s3:::b") == "s3.bucket"
    assert arns.glue_table_arn("r", "1", "Curated", "Enrollments") == "arn:aws:glue:r:1:table/curated/enrollments"
    assert arns.event_rule_arn("r", "1", "default", "x") == "arn:aws:events:r:1:rule/x"
    assert arns.event_rule_arn("r", "1", "bus", "x") == "arn:aws:events:r:1:rule/bus/x"
    assert arns.queue_url_to_arn("https://sqs.eu-west-1.amazonaws.com/1/q") == "arn:aws:sqs:eu-west-1:1:q"
    assert arns.unqualified_lambda_arn("arn:aws:lambda:r:1:function:f:live") == "arn:aws:lambda:r:1:function:f"
    assert arns.kind_for_arn("arn:aws:states:r:1:stateMachine:m") == "states.state_machine"
    assert arns.kind_for_arn("arn:aws:rekognition:r:1:service") == "external"


@pytest.mark.parametrize(
    ("name", "direction"),
    [("--source_path", Direction.READ), ("--output_path", Direction.WRITE), ("S3OutputPath", Direction.WRITE),
     ("--TempDir", Direction.WRITE), ("--scriptLocation", Direction.NONE), ("--extra-py-files", Direction.NONE),
     ("--bucket", Direction.UNSTATED), ("--input_to_output", Direction.UNSTATED)],
)
def test_argument_direction(name, direction) -> None:
    assert direction_of(name) == direction


def test_s3_patterns_name_buckets_by_name_by_arn_and_by_matcher() -> None:
    facts = pattern_facts({
        "source": ["aws.s3"],
        "detail": {"bucket": {"name": ["exact-name", {"prefix": "raw-"}, {"wildcard": "lake-*-eu"}]}},
        "resources": ["arn:aws:s3:::from-resources", {"prefix": "arn:aws:s3:::landing-"}],
    })
    assert facts.buckets == ("exact-name", "from-resources")
    by_operator = {(m.operator, json.dumps(m.operand)) for m in facts.bucket_matchers}
    assert by_operator == {("prefix", '"raw-"'), ("wildcard", '"lake-*-eu"'), ("prefix", '"landing-"')}


@pytest.mark.parametrize(
    ("operator", "operand", "matching", "not_matching"),
    [
        ("prefix", "raw-", "raw-events", "landing-raw-"),
        ("suffix", "-eu", "lake-eu", "eu-lake"),
        ("wildcard", "lake-*-eu", "lake-sales-eu", "lake-sales-us"),
        ("wildcard", "a?c", "a?c", "abc"),  # only `*` is special in event patterns
        ("equals-ignore-case", "Raw", "raw", "raw2"),
        ("anything-but", ["tmp"], "raw", "tmp"),
        ("anything-but", {"prefix": "tmp-"}, "raw", "tmp-1"),
    ],
)
def test_bucket_matchers_match_as_event_patterns_do(operator, operand, matching, not_matching) -> None:
    from lineage.patterns import BucketMatcher

    matcher = BucketMatcher(operator, operand)
    assert matcher.matches(matching) and not matcher.matches(not_matching)


def test_a_rule_matching_buckets_by_prefix_hears_from_each_matching_bucket_it_was_scanned_with() -> None:
    from collectors.events import transform_rule
    from lineage.graph import build_graph
    from lineage.model import Facts, Node, Stage

    pattern = json.dumps({"source": ["aws.s3"], "detail": {"bucket": {"name": [{"prefix": "raw-"}]}}})
    rule_arn = "arn:aws:events:eu-west-1:1:rule/r"
    rule = transform_rule({"rule": {"Name": "r", "Arn": rule_arn, "EventPattern": pattern}, "targets": []},
                          "arn:aws:events:eu-west-1:1:event-bus/default", "1", "eu-west-1")
    buckets = tuple(Node(arns.bucket_arn(name), "s3.bucket", name, Stage.STORAGE, "1", "eu-west-1", True)
                    for name in ("raw-a", "raw-b", "curated"))
    graph = build_graph([rule, Facts(buckets)])
    heard = {e.source for e in graph.flows_in(rule_arn) if e.kind.value == "notifies"}
    assert heard == {"arn:aws:s3:::raw-a", "arn:aws:s3:::raw-b"}
