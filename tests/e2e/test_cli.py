"""The `lineage` command run as a user runs it: demo, scan against a moto server, errors, offline ASL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lineage.cli import main
from lineage.demo import ACCOUNT, REGION, build_estate
from lineage.rules import finding_id
from lineage.scan import ScanOptions, graph_of, run_scan
from store.imports import scan_from_document
from store.repository import list_scans, load_scan, open_store
from tests.conftest import corpus_files
from tests.e2e.conftest import lineage
from tests.viz.test_schema import assert_valid
from tests.viz.test_views import page_data_of
from viz.export import scan_document


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = lineage("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    for name in ("lineage.db", "lineage.html", "lineage.json"):
        assert str(out / name) in result.stdout
    return out


def test_demo_writes_the_three_files_and_the_chain_is_whole(demo_output: Path) -> None:
    document = json.loads((demo_output / "lineage.json").read_text())
    assert_valid(document)
    assert document["format"] == "lineage-graph/1" and document["scan"]["status"] == "complete"
    flows = {(e["source"], e["target"]) for e in document["edges"] if e["kind"] not in ("part_of",)}
    source = f"arn:aws:events:{REGION}:{ACCOUNT}:source/edu.learning.enrollments"
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/learning-platform/enrollment-completed"
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:enrollment-etl"
    job = f"arn:aws:glue:{REGION}:{ACCOUNT}:job/curate-enrollments"
    curated = "arn:aws:s3:::lp-curated-data/enrollments"
    table = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/curated/enrollments"
    workgroup = f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/analytics"
    chain = [(source, rule), (rule, machine), (machine, job), (job, curated), (table, curated), (table, workgroup)]
    for link in chain:
        assert link in flows, link
    nodes = {n["id"]: n for n in document["nodes"]}
    assert nodes[source]["stage"] == "generation" and nodes[workgroup]["stage"] == "usage"
    assert nodes[table]["attributes"]["personal_columns"] == [{"column": "student_email", "category": "email"}]
    assert nodes[workgroup]["attributes"]["personal_data"]["categories"] == ["email"]
    assert nodes["arn:aws:s3:::lp-website-assets"]["observed"]  # never on a flow, still a node
    by_rule: dict[str, set[str]] = {}
    for finding in document["findings"]:
        by_rule.setdefault(finding["rule"], set()).add(finding["node"])
    assert curated in by_rule["s3.location_without_lifecycle"]  # a tag-filtered rule does not count
    assert "arn:aws:s3:::lp-raw-data/enrollments" in by_rule["s3.location_without_lifecycle"]  # wrong prefix
    assert "arn:aws:s3:::lp-glue-temp/tmp" not in by_rule["s3.location_without_lifecycle"]  # covered
    assert "arn:aws:s3:::lp-raw-data" in by_rule["s3.encryption_weaker_than_policy"]
    assert workgroup in by_rule["athena.results_not_encrypted"]
    assert job in by_rule["glue.job_without_security_configuration"]
    assert f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog" in by_rule["glue.catalog_not_encrypted"]
    assert "arn:aws:s3:::lp-curated-data" in by_rule["s3.versioning_without_noncurrent_expiration"]
    lifecycle = next(f for f in document["findings"]
                     if f["rule"] == "s3.location_without_lifecycle" and f["node"] == curated)
    assert lifecycle["severity"] == "high" and "expire-tagged-scratch" in lifecycle["message"]
    calls = document["scan"]["api_calls"]
    assert calls["s3:ListBuckets"] == 1 and calls["s3:GetBucketLifecycleConfiguration"] == 6
    assert calls["states:DescribeStateMachine"] == 1


def test_on_the_demo_a_route_leads_to_the_dashboard_the_knowledge_base_and_the_model_every_hop_observed(
        demo_output: Path) -> None:
    document = json.loads((demo_output / "lineage.json").read_text())
    graph = graph_of(scan_from_document(document))
    named = {(node.kind, node.name): node for node in graph.nodes.values()}
    route = named[("apigateway.route", "POST /enrollments")]
    reached = graph.reach(route.id)
    for end in (("quicksight.dashboard", "Enrollment overview"), ("bedrock.knowledge_base", "course-assistant-kb"),
                ("bedrock.agent", "course-assistant"), ("sagemaker.endpoint", "course-recommender")):
        path = reached[named[end].id].path
        assert [graph.nodes[hop].observed for hop in path] == [True] * len(path), (end, path)
        assert path[1] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:enrollment-api"
    table = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/curated/enrollments"
    dataset = named[("quicksight.dataset", "weekly-enrollments")].id
    assert list(reached[named[("quicksight.dashboard", "Enrollment overview")].id].path[-3:]) == [
        table, dataset, named[("quicksight.dashboard", "Enrollment overview")].id]
    # What each end leaves open, said where it is.
    found = {(f["rule"], f["node"]): f for f in document["findings"]}
    open_route = named[("apigateway.route", "GET /courses")].id
    assert found[("apigateway.personal_data_route_without_authorization", open_route)]["severity"] == "high"
    assert ("apigateway.route_without_authorization", route.id) not in found  # behind the students' pool
    agent = named[("bedrock.agent", "course-assistant")].id
    assert found[("bedrock.model_without_guardrail", agent)]["category"] == "pii"
    assert ("quicksight.dataset_reads_personal_data", dataset) in found
    assert ("lambda.role_wildcard_actions", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:enrollment-api") in found
    assert ("sagemaker.data_capture_without_lifecycle", named[("sagemaker.endpoint", "course-recommender")].id) \
        in found
    assert ("emr.cluster_without_security_configuration",
            named[("emr.cluster", "course-recommendations")].id) in found


def test_on_the_demo_the_student_email_reaches_every_place_its_data_goes_and_nowhere_else(demo_output: Path) -> None:
    document = json.loads((demo_output / "lineage.json").read_text())
    nodes = {n["id"]: n for n in document["nodes"]}
    table = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/curated/enrollments"
    [label] = nodes[table]["attributes"]["personal_labels"]
    assert (label["category"], label["column"], label["source"]) == ("email", "student_email", "column name")
    reached = {node_id for node_id, node in nodes.items() if node["attributes"].get("personal_data")}
    glue = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    catalog_and_lake = ("arn:aws:glue:", "arn:aws:athena:", "arn:aws:s3:::lp-c", "arn:aws:s3:::lp-a")
    assert {node_id for node_id in reached if node_id.startswith(catalog_and_lake)} == {
        table, "arn:aws:s3:::lp-curated-data/enrollments", "arn:aws:s3:::lp-curated-data",  # where it rests
        f"{glue}:job/curate-enrollments",  # writes it there
        f"{glue}:crawler/curated-enrollments", f"{glue}:database/curated",  # crawls it into the catalog
        f"{glue}:job/publish-course-stats",  # reads it, and masks it
        f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/analytics",  # queries it
        f"arn:aws:athena:{REGION}:{ACCOUNT}:prepared-statement/analytics/course_roster",  # and its saved SQL
        "arn:aws:s3:::lp-athena-results/analytics", "arn:aws:s3:::lp-athena-results",  # keeps query results
        "arn:aws:s3:::lp-athena-results/bedrock",  # where Bedrock copies the prompts that quote it
        "arn:aws:s3:::lp-curated-data/recommendations",  # computed from it, by EMR and a SageMaker model
    } | {n for n in reached if nodes[n]["kind"] in ("athena.named_query", "glue.table") and n != table}
    named = {(nodes[n]["kind"], nodes[n]["name"]) for n in reached}
    # Both ends: what reads it to show it, answer with it, or learn from it.
    assert {("quicksight.data_source", "Learning platform analytics"), ("quicksight.dataset", "weekly-enrollments"),
            ("quicksight.dataset", "course-completions"),  # reads it, and masks it (tagged so)
            ("quicksight.dashboard", "Enrollment overview"),
            ("bedrock.knowledge_base", "course-assistant-kb"), ("aoss.collection", "lpcourseassistant01"),
            ("bedrock.agent", "course-assistant"), ("lambda.function", "course-assistant-actions"),
            ("bedrock.model", "amazon.titan-embed-text-v2:0"),
            ("bedrock.model", "anthropic.claude-3-haiku-20240307-v1:0"),
            ("bedrock.invocation_logging", f"model invocation logging ({REGION})"),
            ("logs.log_group", "/aws/bedrock/invocations"),
            ("emr.cluster", "course-recommendations"), ("sagemaker.training_job", "course-recommender-2025-01-15"),
            ("sagemaker.model", "course-recommender"), ("sagemaker.endpoint", "course-recommender"),
            ("sagemaker.feature_group", "student-features"),
            ("lambda.function", "certificate-download"),  # its environment names where the enrollments are
            } <= named
    # Not where it comes from: the API, its function and the table before the ETL hold no e-mail address.
    assert not named & {("lambda.function", "enrollment-api"), ("dynamodb.table", "enrollments"),
                        ("apigateway.route", "POST /enrollments"), ("quicksight.analysis", "Course completion trends")}
    masking = nodes[f"{glue}:job/publish-course-stats"]["attributes"]
    assert masking["personal_data_handling"] == {"action": "masked", "why": "tag lineage:pii=masked"}
    # What the masking job writes shares the curated bucket, not its personal data.
    assert "arn:aws:s3:::lp-curated-data/course-stats" in nodes
    assert nodes[f"{glue}:table/curated/course_stats"]["attributes"]["personal_labels"] == []
    results = nodes["arn:aws:s3:::lp-athena-results/analytics"]["attributes"]["personal_data"]
    assert results["paths"] == {table: [table, f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/analytics",
                                        "arn:aws:s3:::lp-athena-results/analytics"]}
    pii_findings = {(f["rule"], f["node"]) for f in document["findings"] if f["rule"].startswith("pii.")}
    assert ("pii.personal_data_exposed", "arn:aws:s3:::lp-athena-results") in pii_findings
    assert ("pii.personal_data_without_expiration", "arn:aws:s3:::lp-curated-data/enrollments") in pii_findings
    assert not any(node.startswith("arn:aws:s3:::lp-curated-data/course") for _, node in pii_findings)


def test_a_classification_file_changes_what_a_scan_calls_personal(moto_server, tmp_path) -> None:
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    build_estate(lambda service: session.client(service, endpoint_url=moto_server))
    rules = tmp_path / "rules.toml"
    rules.write_text('[[false_positives]]\ncolumn = "curated.enrollments.student_email"\nreason = "test accounts"\n'
                     '[categories.student_number]\ntitle = "Student number"\nphrases = ["student id"]\n',
                     encoding="utf-8")
    db = tmp_path / "scan.db"
    result = lineage("scan", "--endpoint-url", moto_server, "--region", REGION, "--db", str(db),
                     "--classification", str(rules), env=credentials)
    assert result.returncode == 0, result.stderr
    stored = load_scan(open_store(str(db)))
    assert stored.caller.startswith(f"arn:aws:sts::{ACCOUNT}:")  # who the scan ran as, as STS said
    nodes = {n.id: n for n in stored.nodes}
    labels = nodes[f"arn:aws:glue:{REGION}:{ACCOUNT}:table/curated/enrollments"].attributes["personal_labels"]
    assert [(x["column"], x["category"], x["rules"]) for x in labels] == [
        ("student_id", "student_number", "default rules + rules.toml")]


def test_view_writes_the_whole_scan_opened_on_a_node_or_on_personal_data(demo_output: Path, tmp_path: Path) -> None:
    db = str(demo_output / "lineage.db")
    document = json.loads((demo_output / "lineage.json").read_text())
    table = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/curated/enrollments"
    assert lineage("view", "--db", db, "-o", str(tmp_path / "all.html")).returncode == 0
    whole = page_data_of((tmp_path / "all.html").read_text(encoding="utf-8"))
    assert [n["id"] for n in whole["nodes"]] == [n["id"] for n in document["nodes"]]
    assert whole["initial"] == {"focus": None, "depth": 2, "personal_only": False}
    focus = lineage("view", "--db", db, "--focus", "curated.enrollments", "--depth", "1",
                    "-o", str(tmp_path / "focus.html"))
    assert focus.returncode == 0, focus.stderr
    focused = page_data_of((tmp_path / "focus.html").read_text(encoding="utf-8"))
    assert len(focused["nodes"]) == len(document["nodes"])  # the whole scan, for the breadcrumb back
    assert focused["nodes"][focused["initial"]["focus"]]["id"] == table and focused["initial"]["depth"] == 1
    assert lineage("view", "--db", db, "--pii-only", "-o", str(tmp_path / "pii.html")).returncode == 0
    assert page_data_of((tmp_path / "pii.html").read_text(encoding="utf-8"))["initial"]["personal_only"] is True
    missing = lineage("view", "--db", db, "--focus", "nothing-such", "-o", str(tmp_path / "x.html"))
    assert missing.returncode == 2 and "no node 'nothing-such'" in missing.stderr
    assert not (tmp_path / "x.html").exists()


def test_reading_commands_work_on_the_demo_database(demo_output: Path) -> None:
    db = str(demo_output / "lineage.db")
    findings = lineage("findings", "--db", db, "--json")
    assert findings.returncode == 0 and json.loads(findings.stdout)
    shown = lineage("show", "curated.enrollments", "--downstream", "--db", db, "--json")
    downstream = {item["id"] for item in json.loads(shown.stdout)["downstream"]}
    assert f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/analytics" in downstream
    upstream = lineage("show", "analytics", "--upstream", "--depth", "2", "--db", db, "--json")
    assert f"arn:aws:glue:{REGION}:{ACCOUNT}:job/curate-enrollments" in {
        item["id"] for item in json.loads(upstream.stdout)["upstream"]}
    exported = lineage("export", "--db", db, "--format", "json")
    assert_valid(json.loads(exported.stdout))
    assert json.loads(exported.stdout) == json.loads((demo_output / "lineage.json").read_text())
    assert lineage("rules", "--json").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "--no-such-option"], "No such option"),
        (["findings", "--db", "nosuchdialect://x"], "cannot use database URL"),
        (["findings", "--db", "{tmp}/empty.db"], "no completed scan in this database yet"),
        (["export", "--db", "{demo}", "--scan", "nope"], "no scan with id 'nope'"),
        (["show", "no-such-node", "--db", "{demo}"], "no node 'no-such-node'"),
        (["asl", "{tmp}/missing.json"], "cannot read"),
        (["asl", "{tmp}/not-a-definition.json"], "not a state machine definition"),
        (["scan", "--endpoint-url", "ftp://x"], "must be an http(s) URL"),
        (["scan", "--profile", "nobody", "--db", "{tmp}/p.db"], "profile"),
        (["show", "x", "--depth", "0", "--db", "{demo}"], "--depth"),
        (["scan", "--classification", "{tmp}/missing.toml", "--db", "{tmp}/c.db"], "cannot read"),
        (["scan", "--classification", "{tmp}/not-a-definition.json", "--db", "{tmp}/c.db"], "not valid TOML"),
        (["schedule", "--every", "1h", "--classification", "{tmp}/missing.toml", "--db", "{tmp}/c.db"],
         "--classification"),
        (["schedule", "--every", "1h", "--tag-policy", "{tmp}/missing.yaml", "--db", "{tmp}/c.db"],
         "--tag-policy"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(args, message, tmp_path, demo_output) -> None:
    (tmp_path / "not-a-definition.json").write_text('{"Resources": {}}')
    args = [a.format(tmp=tmp_path, demo=demo_output / "lineage.db") for a in args]
    result = lineage(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr


def test_a_scan_nothing_answers_is_failed_says_why_and_is_recorded(tmp_path) -> None:
    db = tmp_path / "x.db"
    result = lineage("scan", "--endpoint-url", "http://127.0.0.1:9", "--db", str(db),
                     env={"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "failed" in result.stdout and "EndpointConnectionError" in result.stdout
    engine = open_store(str(db))
    [summary] = list_scans(engine)
    assert summary.status == "failed" and "EndpointConnectionError" in summary.error
    scan = load_scan(engine, summary.id)
    assert scan.status.value == "failed" and scan.coverage_gaps[0].operation == "GetCallerIdentity"


@pytest.mark.parametrize("path", corpus_files("asl"), ids=lambda p: p.name[-70:])
def test_every_corpus_definition_goes_through_lineage_asl(path, corpus, capsys) -> None:
    try:
        main(["asl", str(path), "--json"])
        code = 0
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    if code == 0:
        document = json.loads(captured.out)
        assert document["source"] == str(path)
        assert document["edges"] or document["warnings"] or document["nodes"] == []
    else:
        assert code == 2
        assert len(captured.err.strip().splitlines()) == 1 and str(path) in captured.err


def test_asl_table_output_names_dynamic_references(tmp_path) -> None:
    definition = tmp_path / "flow.asl.json"
    definition.write_text(json.dumps({"StartAt": "A", "States": {"A": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
        "Parameters": {"JobName": "${CurateJob}"}, "End": True}}}))
    result = lineage("asl", str(definition))
    assert result.returncode == 0 and "glue.job (dynamic)" in result.stdout and "${CurateJob}" in result.stdout


# --- the same graph through a moto server as in-process -------------------------------------------


# What AWS (and moto) make up anew for each resource: key ids, subscription and mapping ids, stream labels.
_MADE_UP = ((re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
            (re.compile(r"/stream/\d{4}-\d\d-\d\dT[\d:.]+"), "/stream/<label>"))


# Kinds whose ids AWS (and moto) make up at creation: the id's last part is replaced by the kind and name.
_MADE_UP_IDS = frozenset({"apigateway.api", "appsync.api", "emr.cluster", "emr_serverless.application",
                          "bedrock.agent", "bedrock.knowledge_base", "bedrock.guardrail", "lambda.url"})
_MADE_UP_PARTS = (
    (re.compile(r"(?<=features[-_])1\d{9}\b"), "<created>"),  # a feature group's offline store, named at creation
    (re.compile(r"(?<=[a-z]-\d_)[0-9a-f]{32}\b"), "<user pool>"),  # a Cognito user pool's id
    (re.compile(r"(?<=Items\[)[a-z0-9]{8}(?=\])"), "<integration>"),  # an HTTP API's integration, in evidence
)


def _made_up(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(made-up part of an id, what stands for it), the longest first."""
    found = []
    for node in document["nodes"]:
        if node["kind"] in _MADE_UP_IDS:
            made = node["id"].split("://")[-1].split(".")[0] if node["kind"] == "lambda.url" else \
                re.split(r"[:/]", node["id"])[-1]
            found.append((made, f"<{node['kind']}:{node['name']}>"))
        attributes = node["attributes"]
        found += [(made, f"<authorizer:{a['name']}>") for made, a in (attributes.get("authorizers") or {}).items()
                  if node["kind"] == "apigateway.api"]
        found += [(source["id"], f"<data source:{source.get('name')}>") for source in
                  attributes.get("data_sources") or () if node["kind"] == "bedrock.knowledge_base"]
    return sorted(found, key=lambda pair: -len(pair[0]))


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """The graph without what differs between two runs: ids, times, creation dates, made-up ids."""
    nodes = []
    for node in document["nodes"]:
        attributes = {k: v for k, v in node["attributes"].items() if k != "created"}
        nodes.append({**node, "attributes": attributes})
    # A finding's id is made of its rule and node; the node's made-up part differs run to run, so the id is
    # checked to be that, then left out.
    assert all(f["id"] == finding_id(f["rule"], f["node"]) for f in document["findings"])
    findings = [{k: v for k, v in finding.items() if k != "id"} for finding in document["findings"]]
    text = json.dumps({"nodes": nodes, "edges": document["edges"], "findings": findings})
    for made, placeholder in _made_up(document):
        text = text.replace(made, placeholder)
    for pattern, placeholder in (*_MADE_UP, *_MADE_UP_PARTS):
        text = pattern.sub(placeholder, text)
    same = json.loads(text)
    return {"nodes": sorted(same["nodes"], key=lambda n: json.dumps(n, sort_keys=True)),
            "edges": sorted(same["edges"], key=lambda e: json.dumps(e, sort_keys=True)),
            "findings": sorted(same["findings"], key=lambda f: json.dumps(f, sort_keys=True)),
            "api_calls": document["scan"]["api_calls"], "gaps": document["scan"]["coverage_gaps"]}


def test_scan_through_endpoint_url_gives_the_same_graph_as_in_process(moto_server, tmp_path) -> None:
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    build_estate(lambda service: session.client(service, endpoint_url=moto_server))
    db = tmp_path / "server.db"
    result = lineage("scan", "--endpoint-url", moto_server, "--region", REGION, "--db", str(db),
                     "--html", str(tmp_path / "view.html"), env=credentials)
    assert result.returncode == 0, result.stderr
    assert "complete" in result.stdout and (tmp_path / "view.html").exists()
    through_server = scan_document(load_scan(open_store(str(db))))

    with mock_aws():
        in_process_session = boto3.Session(region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
        build_estate(lambda service: in_process_session.client(service))
        scan, _ = run_scan(ScanOptions(regions=(REGION,)), session=in_process_session)
    in_process = scan_document(scan)
    assert_valid(json.loads(json.dumps(through_server)))
    assert_valid(json.loads(json.dumps(in_process)))
    assert comparable(through_server) == comparable(in_process)
    assert len(through_server["nodes"]) > 15 and through_server["findings"]
