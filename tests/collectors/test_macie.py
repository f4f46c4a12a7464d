"""Macie: the get on recorded answers through botocore's Stubber (moto serves Macie's session, not its
findings), the transform on what the get read, and the session moto serves."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from collectors import macie
from collectors.context import AwsContext, declared_error
from tests.collectors.recorded_answers import parsed, recorded

R, A = "eu-west-1", "111122223333"
FOLDER = "arn:aws:s3:::people-lake/users/2024/01"
BUCKET = "arn:aws:s3:::people-lake"
# Sensitive-data findings only, and not those archived (a suppression rule archives what was judged harmless).
CRITERIA = {"criterion": {"category": {"eq": ["CLASSIFICATION"]}, "archived": {"eq": ["false"]}}}
NOT_ENABLED = "Macie is not enabled."


def _context() -> tuple[AwsContext, Stubber]:
    session = boto3.Session(region_name=R)
    ctx = AwsContext(session, [R], workers=1, max_attempts=1)
    return ctx, Stubber(ctx.client("macie2", R))


def _session_enabled(stub: Stubber) -> None:
    stub.add_response("get_macie_session", parsed("macie2", "GetMacieSession", recorded("macie")["GetMacieSession"]),
                      {})


def _finding(finding_id: str, key: str) -> dict[str, Any]:
    """The recorded top-level finding, as another finding on another object."""
    finding = copy.deepcopy(recorded("macie")["GetFindings"]["findings"][1])
    finding["id"] = finding_id
    finding["resourcesAffected"]["s3Object"].update(key=key, path=f"people-lake/{key}")
    return finding


def _read(stub: Stubber, ctx: AwsContext) -> dict[str, Any]:
    with stub:
        record = macie.get_macie(ctx, R)
        stub.assert_no_pending_responses()
    ctx.close()
    return record


# --- what a folder holds ----------------------------------------------------------------------------


def test_findings_are_kept_on_the_folder_holding_each_object_by_type_and_count_only() -> None:
    answers = recorded("macie")
    ctx, stub = _context()
    _session_enabled(stub)
    first, second = answers["ListFindings"]
    stub.add_response("list_findings", parsed("macie2", "ListFindings", first), {"findingCriteria": CRITERIA})
    stub.add_response("list_findings", parsed("macie2", "ListFindings", second),
                      {"findingCriteria": CRITERIA, "nextToken": first["nextToken"]})
    ids = first["findingIds"] + second["findingIds"]
    stub.add_response("get_findings", parsed("macie2", "GetFindings", answers["GetFindings"]), {"findingIds": ids})
    record = _read(stub, ctx)
    assert ctx.gaps == []
    assert ctx.api_calls == {"macie2:GetMacieSession": 1, "macie2:ListFindings": 2, "macie2:GetFindings": 1}

    facts = macie.transform_macie(record, A, R)
    nodes = {node.id: node for node in facts.nodes}
    assert sorted(nodes) == [BUCKET, FOLDER] and facts.edges == () and facts.gaps == ()
    folder = nodes[FOLDER]
    assert (folder.kind, folder.observed, folder.name) == ("s3.location", False, "people-lake/users/2024/01")
    assert folder.attributes == {"macie_findings": [
        {"finding": "8ec4d2f1b0a94a3b9c1e6f7d2a5b4c3d", "type": "SensitiveData:S3Object/Multiple",
         "key": "users/2024/01/part-0.parquet", "severity": "High",
         "detections": [{"category": "CUSTOM_IDENTIFIER", "type": "EmployeeId", "count": 5},
                        {"category": "FINANCIAL_INFORMATION", "type": "CREDIT_CARD_NUMBER", "count": 2},
                        {"category": "PERSONAL_INFORMATION", "type": "EMAIL_ADDRESS", "count": 12},
                        {"category": "PERSONAL_INFORMATION", "type": "NAME", "count": 40}],
         "updated": "2025-03-04T02:11:09.551000+00:00"},
        {"finding": "5a4b3c2d1e0f99887766554433221100", "type": "SensitiveData:S3Object/Credentials",
         "key": "users/2024/01/part-1.parquet", "severity": "High",
         "detections": [{"category": "CREDENTIALS", "type": "AWS_CREDENTIALS", "count": 1}],
         "updated": "2025-03-06T08:00:00+00:00"},
    ]}
    top = nodes[BUCKET]  # an object at the top of the bucket: the bucket holds it
    assert (top.kind, top.observed) == ("s3.bucket", False)
    assert top.attributes == {"macie_findings": [
        {"finding": "1f0e9d8c7b6a54433221100ffeeddccb", "type": "SensitiveData:S3Object/Personal", "key": "export.csv",
         "severity": "Medium", "detections": [{"category": "PERSONAL_INFORMATION", "type": "PHONE_NUMBER", "count": 3}],
         "updated": "2025-03-05T11:40:00+00:00"}]}
    kept = json.dumps([node.to_dict() for node in facts.nodes])
    for where in ("occurrences", "jsonPath", "$.email", "cellReference", "phone", "recordIndex", "kmsMasterKeyId"):
        assert where not in kept, f"{where!r} is where the data is, or beside the point: never kept"


def test_more_than_fifty_findings_are_read_in_batches_of_fifty() -> None:
    ids = [f"{index:032x}" for index in range(60)]
    findings = [_finding(finding_id, f"tables/t{index % 3}/part-{index}.csv") for index, finding_id in enumerate(ids)]
    ctx, stub = _context()
    _session_enabled(stub)
    stub.add_response("list_findings", {"findingIds": ids}, {"findingCriteria": CRITERIA})
    stub.add_response("get_findings", parsed("macie2", "GetFindings", {"findings": findings[:50]}),
                      {"findingIds": ids[:50]})
    stub.add_response("get_findings", parsed("macie2", "GetFindings", {"findings": findings[50:]}),
                      {"findingIds": ids[50:]})
    record = _read(stub, ctx)
    assert ctx.gaps == [] and ctx.api_calls["macie2:GetFindings"] == 2
    nodes = {node.id: node for node in macie.transform_macie(record, A, R).nodes}
    assert sorted(nodes) == [f"{BUCKET}/tables/t{n}" for n in range(3)]
    assert sorted(f["finding"] for node in nodes.values() for f in node.attributes["macie_findings"]) == ids
    assert [f["key"] for f in nodes[f"{BUCKET}/tables/t0"].attributes["macie_findings"]][:3] == [
        "tables/t0/part-0.csv", "tables/t0/part-12.csv", "tables/t0/part-15.csv"]  # sorted by key


def test_a_batch_that_fails_costs_only_its_findings() -> None:
    ids = [f"{index:032x}" for index in range(51)]
    ctx, stub = _context()
    _session_enabled(stub)
    stub.add_response("list_findings", {"findingIds": ids}, {"findingCriteria": CRITERIA})
    stub.add_client_error("get_findings", "ThrottlingException", "Rate exceeded", 429,
                          expected_params={"findingIds": ids[:50]})
    stub.add_response("get_findings", parsed("macie2", "GetFindings", {"findings": [_finding(ids[50], "last/x.csv")]}),
                      {"findingIds": ids[50:]})
    record = _read(stub, ctx)
    [gap] = ctx.gaps
    assert (gap.service, gap.operation, gap.error.split(":")[0]) == ("macie2", "GetFindings", "ThrottlingException")
    assert [node.id for node in macie.transform_macie(record, A, R).nodes] == [f"{BUCKET}/last"]


# --- Macie not running, or not readable ------------------------------------------------------------


def test_an_account_without_macie_is_a_fact_not_a_gap() -> None:
    ctx, stub = _context()
    stub.add_client_error("get_macie_session", "AccessDeniedException", NOT_ENABLED, 403)
    record = _read(stub, ctx)  # no pending answer: nothing but the session was asked
    assert ctx.gaps == [] and ctx.api_calls == {"macie2:GetMacieSession": 1}
    assert record == {"enabled": False}
    assert macie.transform_macie(record, A, R).nodes == ()


def test_a_role_denied_is_a_gap_even_with_the_same_error_code() -> None:
    ctx, stub = _context()
    stub.add_client_error("get_macie_session", "AccessDeniedException",
                          f"User: arn:aws:sts::{A}:assumed-role/scanner/s is not authorized to perform: "
                          "macie2:GetMacieSession", 403)
    record = _read(stub, ctx)
    [gap] = ctx.gaps
    assert (gap.service, gap.operation, gap.region) == ("macie2", "GetMacieSession", R)
    assert gap.error.startswith("AccessDeniedException: User:")
    assert ctx.api_calls == {"macie2:GetMacieSession": 1}
    assert macie.transform_macie(record, A, R).nodes == ()


def test_a_denied_listing_is_a_gap_and_no_findings_are_asked_for() -> None:
    ctx, stub = _context()
    _session_enabled(stub)
    stub.add_client_error("list_findings", "AccessDeniedException", "User is not authorized", 403,
                          expected_params={"findingCriteria": CRITERIA})
    record = _read(stub, ctx)
    assert [(g.operation, g.error.split(":")[0]) for g in ctx.gaps] == [("ListFindings", "AccessDeniedException")]
    assert "macie2:GetFindings" not in ctx.api_calls
    assert macie.transform_macie(record, A, R).nodes == ()


def test_an_error_is_declared_by_its_code_or_by_its_code_and_how_its_message_starts() -> None:
    def error(code: str, message: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": message}}, "GetMacieSession")

    declared = macie.GET_MACIE_SESSION.absent
    assert declared_error(error("AccessDeniedException", NOT_ENABLED), declared)
    assert declared_error(error("ResourceNotFoundException", "The request failed"), declared)
    assert not declared_error(error("AccessDeniedException", "User is not authorized"), declared)
    assert not declared_error(error("AccessDenied", NOT_ENABLED), declared)
    assert not declared_error(ValueError(NOT_ENABLED), declared)


# --- what a finding may hold --------------------------------------------------------------------------


def test_a_finding_of_an_unexpected_shape_costs_only_itself() -> None:
    good = _finding("a" * 32, "in/x.csv")
    facts = macie.transform_macie({"findings": [good, {"id": "b" * 32, "category": "CLASSIFICATION"}]}, A, R)
    assert [node.id for node in facts.nodes] == [f"{BUCKET}/in"]
    [gap] = facts.gaps
    assert (gap.operation, gap.resource, gap.region) == ("GetFindings", "b" * 32, R)


def test_keys_pass_the_redactor_and_are_cut_short() -> None:
    secret = _finding("c" * 32, "exports/AKIAIOSFODNN7EXAMPLE/dump.csv")
    long = _finding("d" * 32, "deep/" + "x" * 400 + ".csv")
    nodes = {node.id: node for node in macie.transform_macie({"findings": [secret, long]}, A, R).nodes}
    [kept] = nodes[f"{BUCKET}/exports/AKIAIOSFODNN7EXAMPLE"].attributes["macie_findings"]
    assert kept["key"] == "exports/«redacted: aws access key»/dump.csv"
    [cut] = nodes[f"{BUCKET}/deep"].attributes["macie_findings"]
    assert len(cut["key"]) == macie.KEY_LENGTH == 300 and cut["key"].startswith("deep/xxx")


# --- the session moto serves ----------------------------------------------------------------------


@mock_aws
@pytest.mark.parametrize("enabled", [True, False])
def test_on_moto_macie_disabled_is_no_gap_and_enabled_without_findings_is_empty(enabled: bool) -> None:
    session = boto3.Session(region_name="us-east-1")
    if not enabled:
        session.client("macie2").disable_macie()  # moto then answers ResourceNotFoundException
    ctx = AwsContext(session, ["us-east-1"])
    record = macie.get_macie(ctx, "us-east-1")
    ctx.close()
    assert ctx.gaps == []
    if enabled:
        assert record == {"enabled": True, "status": "ENABLED", "findings": []}
        assert ctx.api_calls == {"macie2:GetMacieSession": 1, "macie2:ListFindings": 1}
    else:
        assert record == {"enabled": False} and ctx.api_calls == {"macie2:GetMacieSession": 1}
