"""EMR on EC2 and EMR Serverless: the gets on recorded answers through botocore's Stubber (ListClusters in two
pages, a cluster gone and one ended between listing and reading, a step too old and one without its id, a
security configuration described once for two clusters; applications in two pages, one gone before its runs
are listed, a run gone before it is described), the transforms on what they read, the gets on moto, the
command-line judgement the steps share with Glue jobs, and the rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from collectors import emr, emrserverless
from collectors.context import AwsContext
from lineage import arn as arns
from lineage.glue_arguments import command_line_arguments, command_line_facts
from lineage.graph import build_graph
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, Stage
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
RECS, AGGR, GONE, ENDED, LEGACY = (f"arn:aws:elasticmapreduce:{R}:{A}:cluster/{i}" for i in (
    "j-1RECS0000001", "j-2AGGR0000002", "j-3GONE0000003", "j-4ENDED000004", "j-5LEGACY00005"))
SCORING = f"arn:aws:emr-serverless:{R}:{A}:/applications/00fabc123scoring"
CURATED = "lp-curated-data"
SECURITY = "emr.cluster_without_security_configuration"
BLOCK = "emr.block_public_access_off"


def _emr_answers() -> dict[str, Any]:
    """The recorded answers, the steps meant to be recent created an hour ago (the bound is relative to now)."""
    answers = recorded("emr")
    recent = (datetime.now(UTC) - timedelta(hours=1)).timestamp()
    for steps in answers["ListSteps"].values():
        for step in steps["Steps"]:
            timeline = step["Status"]["Timeline"]
            for key, value in timeline.items():
                if value == 0:
                    timeline[key] = recent
    return answers


def _recorded_clusters() -> list[dict[str, Any]]:
    answers = _emr_answers()
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("emr", R))
    states = {"ClusterStates": list(emr.ACTIVE_STATES)}
    stub.add_response("list_clusters", parsed("emr", "ListClusters", answers["ListClusters"][0]), states)
    stub.add_response("list_clusters", parsed("emr", "ListClusters", answers["ListClusters"][1]),
                      {**states, "Marker": answers["ListClusters"][0]["Marker"]})
    for cluster_id in ("j-1RECS0000001", "j-2AGGR0000002", "j-3GONE0000003", "j-4ENDED000004", "j-5LEGACY00005"):
        if cluster_id == "j-3GONE0000003":
            stub.add_client_error("describe_cluster", "InvalidRequestException",
                                  f"Cluster id '{cluster_id}' is not valid.", expected_params={"ClusterId": cluster_id})
            continue
        stub.add_response("describe_cluster", parsed("emr", "DescribeCluster", answers["DescribeCluster"][cluster_id]),
                          {"ClusterId": cluster_id})
        if cluster_id == "j-4ENDED000004":
            continue  # terminated since it was listed: its steps are not asked for
        stub.add_response("list_steps", parsed("emr", "ListSteps", answers["ListSteps"][cluster_id]),
                          {"ClusterId": cluster_id})
    # One description for the two clusters that use it.
    stub.add_response("describe_security_configuration", parsed(
        "emr", "DescribeSecurityConfiguration", answers["DescribeSecurityConfiguration"]["lp-encrypted"]),
        {"Name": "lp-encrypted"})
    stub.add_response("get_block_public_access_configuration", parsed(
        "emr", "GetBlockPublicAccessConfiguration", answers["GetBlockPublicAccessConfiguration"]), {})
    return read_through(stub, ctx, emr.get_emr, R)


def _flows(facts: Facts) -> set[tuple[str, str, str]]:
    return {(e.source, e.kind.value, e.target) for e in facts.edges}


def test_recorded_clusters_become_nodes_with_their_roles_logs_and_encryption() -> None:
    facts = emr.transform_emr(_recorded_clusters(), A, R)
    nodes = {node.id: node for node in facts.nodes if node.kind == "emr.cluster"}
    assert set(nodes) == {RECS, AGGR, LEGACY}  # gone and ended clusters hold nothing, and are no gap
    recs, aggr = nodes[RECS], nodes[AGGR]
    assert (recs.name, recs.stage, recs.observed) == ("course-recommendations", Stage.PROCESSING, True)
    assert recs.attributes["role"] == f"arn:aws:iam::{A}:role/EMR_DefaultRole"
    assert recs.attributes["instance_profile"] == f"arn:aws:iam::{A}:instance-profile/EMR_EC2_DefaultRole"
    assert recs.attributes["in_vpc"] is True and recs.attributes["applications"] == ["Hadoop", "Spark"]
    assert recs.attributes["security_configuration"] is None
    assert recs.attributes["tags"] == {"team": "data-science", "lineage:pii": "email"}
    assert recs.attributes["recent_steps"] == ["recommend-courses"]  # the old one and the one without an id: not
    assert recs.attributes["recent_steps_bound"] == {"days": emr.RECENT_DAYS, "most": emr.MOST_STEPS}
    assert recs.attributes["block_public_access"] == {"block_public_security_group_rules": False,
                                                      "permitted_ports": []}
    assert "unread" not in recs.attributes
    assert aggr.attributes["role"] == f"arn:aws:iam::{A}:role/service-role/emr-engagement"
    assert aggr.attributes["security_configuration"] == {
        "name": "lp-encrypted", "readable": True, "at_rest": True, "s3_encryption": "SSE-KMS",
        "s3_kms_key": f"arn:aws:kms:{R}:{A}:key/1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b",
        "local_disk_encryption": "AwsKms",
        "local_disk_kms_key": f"arn:aws:kms:{R}:{A}:key/1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b",
        "ebs_encryption": True, "in_transit": True, "kerberos": False}
    assert nodes[LEGACY].attributes["security_configuration"]["name"] == "lp-encrypted"


def test_steps_read_and_write_what_their_arguments_name_and_the_script_is_code() -> None:
    facts = emr.transform_emr(_recorded_clusters(), A, R)
    flows = _flows(facts)
    assert flows == {
        (RECS, "writes", "arn:aws:s3:::aws-logs-111122223333-eu-west-1/elasticmapreduce"),
        (arns.s3_location_id(CURATED, "enrollments"), "reads", RECS),
        (RECS, "writes", arns.s3_location_id(CURATED, "recommendations")),
        (RECS, "writes", arns.glue_table_arn(R, A, "curated", "recommendations")),
        (AGGR, "writes", "arn:aws:s3:::lp-logs/emr/engagement"),
        (arns.s3_location_id("lp-raw-data", "landing/clickstream"), "reads", AGGR),
        # A path no name explains: a flow whose direction is said to be unstated.
        (arns.s3_location_id(CURATED, "engagement"), "reads", AGGR),
        (LEGACY, "writes", "arn:aws:s3:::lp-logs/emr/legacy"),
    }
    evidence = {e.target: e.evidence[0] for e in facts.edges if e.source == RECS}
    step = evidence[arns.s3_location_id(CURATED, "recommendations")]
    assert (step.operation, step.resource, step.path) == ("elasticmapreduce:ListSteps", RECS,
                                                           "Steps[recommend-courses].Config.Args[9]")
    unstated = next(e for e in facts.edges if e.target == AGGR and "engagement" in e.source)
    assert "direction unstated" in unstated.evidence[0].excerpt
    # Neither the script, its libraries, nor a step's jar is data.
    assert not any("lp-code" in end for flow in flows for end in (flow[0], flow[2]))


def test_the_rules_on_the_recorded_clusters() -> None:
    graph = build_graph([emr.transform_emr(_recorded_clusters(), A, R)])
    found = {(f.rule, f.node) for f in evaluate(graph).findings if f.rule.startswith("emr.")}
    assert found == {(SECURITY, RECS), (BLOCK, RECS), (BLOCK, AGGR), (BLOCK, LEGACY)}
    finding = next(f for f in evaluate(graph).findings if (f.rule, f.node) == (SECURITY, RECS))
    assert finding.evidence[0].path == "Cluster.SecurityConfiguration"


def _cluster(attributes: dict[str, Any]) -> Facts:
    return Facts((Node(RECS, "emr.cluster", "c", Stage.PROCESSING, A, R, True, attributes),))


@pytest.mark.parametrize(("attributes", "expected"), [
    ({"security_configuration": None}, {SECURITY}),
    ({"security_configuration": {"name": "s", "readable": True, "at_rest": True, "local_disk_encryption": "AwsKms",
                                 "in_transit": False}}, {SECURITY}),
    ({"security_configuration": {"name": "s", "readable": True, "at_rest": True, "local_disk_encryption": None,
                                 "in_transit": True}}, {SECURITY}),
    ({"security_configuration": {"name": "s", "readable": True, "at_rest": True, "local_disk_encryption": "AwsKms",
                                 "in_transit": True}}, set()),
    ({"security_configuration": {"name": "s", "readable": False}}, set()),  # a document not read says nothing
    ({"unread": ["security_configuration"]}, set()),
    ({"block_public_access": {"block_public_security_group_rules": True, "permitted_ports": ["22"]}}, set()),
    ({"block_public_access": {"block_public_security_group_rules": True, "permitted_ports": ["22", "8088"]}},
     {BLOCK}),
    ({"block_public_access": {"block_public_security_group_rules": False, "permitted_ports": []}}, {BLOCK}),
])
def test_each_rule_reports_what_is_open_and_stays_quiet_otherwise(attributes: dict[str, Any],
                                                                 expected: set[str]) -> None:
    findings = evaluate(build_graph([_cluster(attributes)])).findings
    assert {f.rule for f in findings if f.rule.startswith("emr.")} == expected


def test_a_cluster_carrying_personal_data_is_judged_more_severely() -> None:
    table = arns.glue_table_arn(R, A, "curated", "people")
    facts = Facts((Node(RECS, "emr.cluster", "c", Stage.PROCESSING, A, R, True, {"security_configuration": None}),
                   Node(table, "glue.table", "people", Stage.STORAGE, A, R, True,
                        {"columns": [{"name": "email", "type": "string"}]})),
                  (Edge(table, RECS, EdgeKind.READS, (Evidence("t:T", table, "p", "e"),)),))
    [finding] = [f for f in evaluate(build_graph([facts])).findings if f.rule == SECURITY]
    assert finding.severity.value == "high"


def test_a_cluster_only_listed_keeps_its_state_and_says_what_was_not_read() -> None:
    record = {"Listed": {"Id": "j-1RECS0000001", "Name": "course-recommendations", "Status": {"State": "WAITING"},
                         "ClusterArn": RECS}}
    [node] = emr.transform_emr([record], A, R).nodes
    assert node.attributes["state"] == "WAITING"
    assert node.attributes["unread"] == ["configuration", "block_public_access", "steps"]
    assert evaluate(build_graph([Facts((node,))])).findings == []


def test_a_cluster_answer_no_transform_expected_costs_only_that_cluster() -> None:
    good = {"Listed": {"Id": "j-1", "ClusterArn": RECS}, "Cluster": {"Id": "j-1", "Name": "c", "Applications": 7}}
    facts = emr.transform_emr([good, {"Listed": {"Id": "j-2"}}], A, R)
    assert [n.attributes["cluster_id"] for n in facts.nodes] == ["j-2"]
    assert [(g.operation, g.resource) for g in facts.gaps] == [("DescribeCluster", "j-1")]


@pytest.mark.parametrize(("args", "named", "code"), [
    (["spark-submit", "--deploy-mode", "cluster", "--verbose", "--conf", "a=b", "s3://c/job.py", "--in", "s3://d/"],
     [("--in", "s3://d/", "A[8]")], [0, 1, 2, 3, 4, 5, 6]),
    (["spark-submit", "--py-files=s3://c/l.zip", "s3://c/job.py"], [], [0, 1, 2]),
    (["-input", "s3://d/in/", "s3://d/other/", "--flag"], [("-input", "s3://d/in/", "A[1]"),
                                                           ("Args[2]", "s3://d/other/", "A[2]")], []),
    ([], [], []),
])
def test_a_command_line_is_named_arguments_and_code(args: list[str], named: list[tuple[str, str, str]],
                                                    code: list[int]) -> None:
    assert command_line_arguments(args, "A") == (named, code)


def test_a_command_line_names_tables_as_a_glue_job_does() -> None:
    facts = command_line_facts("job", ["--source_database", "raw", "--source_table", "events", "--target_table",
                                       "daily"], R, A, "op", "job", "Args")
    assert _flows(facts) == {(arns.glue_table_arn(R, A, "raw", "events"), "reads", "job"),
                             ("job", "writes", arns.glue_table_arn(R, A, "raw", "daily"))}
    facts = command_line_facts("job", ["--table", "curated.daily"], R, A, "op", "job", "Args")
    assert _flows(facts) == {(arns.glue_table_arn(R, A, "curated", "daily"), "reads", "job")}
    assert "direction unstated" in facts.edges[0].evidence[0].excerpt


# --- EMR Serverless -----------------------------------------------------------------------------------------


def _recorded_applications() -> list[dict[str, Any]]:
    answers = recorded("emr")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("emr-serverless", R))
    states = {"states": ["CREATING", "CREATED", "STARTING", "STARTED", "STOPPING", "STOPPED"]}
    stub.add_response("list_applications", parsed("emr-serverless", "ListApplications",
                                                   answers["ListApplications"][0]), states)
    stub.add_response("list_applications", parsed("emr-serverless", "ListApplications",
                                                   answers["ListApplications"][1]),
                      {**states, "nextToken": "page-2"})
    runs = {"createdAtAfter": ANY, "maxResults": emrserverless.MOST_RUNS}
    stub.add_response("list_job_runs", parsed("emr-serverless", "ListJobRuns",
                                              answers["ListJobRuns"]["00fabc123scoring"]),
                      {"applicationId": "00fabc123scoring", **runs})
    stub.add_response("get_job_run", parsed("emr-serverless", "GetJobRun", answers["GetJobRun"]["00runscore01"]),
                      {"applicationId": "00fabc123scoring", "jobRunId": "00runscore01"})
    stub.add_client_error("get_job_run", "ResourceNotFoundException", "Job run 00rungone02 does not exist.",
                          expected_params={"applicationId": "00fabc123scoring", "jobRunId": "00rungone02"})
    stub.add_client_error("list_job_runs", "ResourceNotFoundException", "Application 00fdef456gone does not exist.",
                          expected_params={"applicationId": "00fdef456gone", **runs})
    return read_through(stub, ctx, emrserverless.get_emr_serverless, R)


def test_recorded_applications_and_what_their_recent_runs_read_and_write() -> None:
    facts = emrserverless.transform_emr_serverless(_recorded_applications(), A, R)
    [application] = [n for n in facts.nodes if n.kind == "emr_serverless.application"]
    assert application.id == SCORING and application.name == "engagement-scoring"
    assert application.attributes == {
        "application_id": "00fabc123scoring", "type": "Spark", "state": "CREATED", "release": "emr-7.1.0",
        "recent_runs_bound": {"days": emrserverless.RECENT_DAYS, "most": emrserverless.MOST_RUNS},
        "recent_runs": ["score-engagement"], "roles": [f"arn:aws:iam::{A}:role/emr-serverless-job"],
        "role": f"arn:aws:iam::{A}:role/emr-serverless-job", "in_vpc": True}
    assert _flows(facts) == {
        (arns.s3_location_id("lp-raw-data", "landing/clickstream"), "reads", SCORING),
        (SCORING, "writes", arns.s3_location_id(CURATED, "engagement-scores")),
        (SCORING, "writes", "arn:aws:s3:::lp-logs/emr-serverless"),
    }
    log = next(e for e in facts.edges if e.target.endswith("emr-serverless"))
    assert log.evidence[0].path == ("jobRuns[score-engagement].configurationOverrides.monitoringConfiguration"
                                    ".s3MonitoringConfiguration.logUri")


def test_an_application_whose_runs_were_not_read_says_so() -> None:
    [node] = emrserverless.transform_emr_serverless([{"Application": {"id": "x", "arn": SCORING}}], A, R).nodes
    assert node.attributes["unread"] == ["job_runs"] and "role" not in node.attributes


# --- moto -----------------------------------------------------------------------------------------------------


@mock_aws
def test_emr_and_emr_serverless_get_on_moto() -> None:
    session = boto3.Session(region_name="us-east-1")
    client = session.client("emr")
    client.put_block_public_access_configuration(BlockPublicAccessConfiguration={
        "BlockPublicSecurityGroupRules": True, "PermittedPublicSecurityGroupRuleRanges": [
            {"MinRange": 22, "MaxRange": 22}]})
    client.create_security_configuration(Name="sc", SecurityConfiguration=json.dumps(
        {"EncryptionConfiguration": {"EnableAtRestEncryption": False, "EnableInTransitEncryption": False}}))
    cluster = client.run_job_flow(
        Name="c", ReleaseLabel="emr-7.1.0", LogUri="s3://logs/emr/", ServiceRole="EMR_DefaultRole",
        JobFlowRole="EMR_EC2_DefaultRole", SecurityConfiguration="sc",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": True,
                   "Ec2SubnetId": "subnet-1"},
        Steps=[{"Name": "s", "HadoopJarStep": {"Jar": "command-runner.jar", "Args": [
            "spark-submit", "s3://code/s.py", "--input", "s3://data/in/", "--output", "s3://data/out/"]}}])
    serverless = session.client("emr-serverless")
    application = serverless.create_application(name="a", releaseLabel="emr-7.1.0", type="SPARK")
    serverless.start_job_run(applicationId=application["applicationId"],
                             executionRoleArn="arn:aws:iam::123456789012:role/r",
                             jobDriver={"sparkSubmit": {"entryPoint": "s3://code/x.py",
                                                        "entryPointArguments": ["--source", "s3://data/in/"]}})
    ctx = AwsContext(session, ["us-east-1"])
    clusters = emr.get_emr(ctx, "us-east-1")
    applications = emrserverless.get_emr_serverless(ctx, "us-east-1")
    ctx.close()
    assert ctx.gaps == []
    facts = emr.transform_emr(clusters, "123456789012", "us-east-1")
    cluster_id = f"arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/{cluster['JobFlowId']}"
    assert _flows(facts) == {(cluster_id, "writes", "arn:aws:s3:::logs/emr"),
                             ("arn:aws:s3:::data/in", "reads", cluster_id),
                             (cluster_id, "writes", "arn:aws:s3:::data/out")}
    [node] = [n for n in facts.nodes if n.kind == "emr.cluster"]
    assert node.attributes["security_configuration"]["at_rest"] is False
    app_facts = emrserverless.transform_emr_serverless(applications, "123456789012", "us-east-1")
    [app] = [n for n in app_facts.nodes if n.kind == "emr_serverless.application"]
    assert app.attributes["recent_runs"] and ("arn:aws:s3:::data/in", "reads", app.id) in _flows(app_facts)


def test_clusters_and_applications_named_elsewhere_are_read_by_id_when_the_listing_fails() -> None:
    answers = _emr_answers()
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("emr", R))
    described = answers["DescribeCluster"]["j-1RECS0000001"]
    stub.add_response("describe_cluster", parsed("emr", "DescribeCluster", described), {"ClusterId": "j-1RECS0000001"})
    stub.add_response("list_steps", parsed("emr", "ListSteps", answers["ListSteps"]["j-1RECS0000001"]),
                      {"ClusterId": "j-1RECS0000001"})
    stub.add_response("get_block_public_access_configuration", parsed(
        "emr", "GetBlockPublicAccessConfiguration", answers["GetBlockPublicAccessConfiguration"]), {})
    elsewhere = "arn:aws:elasticmapreduce:us-east-1:111122223333:cluster/j-OTHERREGION"
    with stub:
        records = emr.get_named_clusters(ctx, R, {"emr.cluster": [RECS, elsewhere]})
        stub.assert_no_pending_responses()
    ctx.close()
    assert [record["Cluster"]["Id"] for record in records] == ["j-1RECS0000001"]
    serverless = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(serverless.client("emr-serverless", R))
    stub.add_response("list_job_runs", {"jobRuns": []}, {"applicationId": "00fabc123scoring", "createdAtAfter": ANY,
                                                         "maxResults": emrserverless.MOST_RUNS})
    with stub:
        [record] = emrserverless.get_named_applications(serverless, R, {"emr_serverless.application": [SCORING]})
    serverless.close()
    [node] = emrserverless.transform_emr_serverless([record], A, R).nodes
    assert node.id == SCORING and node.attributes["recent_runs"] == [] and "unread" not in node.attributes
