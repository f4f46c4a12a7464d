"""The demo's estate as a CloudFormation template (`lineage/demo/estate.yaml`): read before anything is deployed it
gives the nodes, flows and findings of the demo's scan; `lineage drift` against that scan finds only what the
allow-lists below explain; a change made by hand in the demo's moto shows up as drift, in words.

The template and the demo differ only where one side cannot say what the other does; each difference below is
listed with its cause.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import boto3
import pytest

from lineage.demo import ACCOUNT, BUS, ESTATE_TEMPLATE, REGION, build_estate
from lineage.model import Scan
from lineage.template_scan import scan_templates
from store.repository import load_scan, open_store
from templates.document import read_template
from templates.stack import Placement
from tests.conftest import ROOT
from tests.e2e.conftest import lineage, running_moto_server

# --- Why the two sides differ ----------------------------------------------------------------------------------
MOTO_ENCRYPTION = ("moto reports no default encryption on a bucket; AWS has given every new bucket SSE-S3 since "
                   "January 2023, which the template side has (aws_defaults)")
MOTO_PUBLIC_ACCESS = ("moto reports no public-access block on a bucket; AWS has blocked public access on every new "
                      "bucket since April 2023, which the template side has (aws_defaults)")
FEATURE_STORE = ("SageMaker resolves a feature group's offline store at creation to "
                 "<S3Uri>/<account>/<region>/offline-store/<name>-<created>/data; a template knows only S3Uri")
NO_TYPE_INVOCATION_LOGGING = "Bedrock model invocation logging has no CloudFormation type"
NO_TYPE_EMR_BLOCK_PUBLIC_ACCESS = "EMR's block public access (an account setting) has no CloudFormation type"
NO_TYPE_JOB_RUN = "an EMR Serverless job run is started, not declared: no CloudFormation type"
NO_TYPE_SAGEMAKER_JOBS = ("SageMaker training, processing and batch transform jobs are started, not declared: no "
                          "CloudFormation type; without the training job, the model's artefact and what the endpoint "
                          "captures carry no personal data")
MADE_BY_AWS = "the account's own, made by AWS and never by a template"
NOT_SCANNED = "a type no collector reads: the template keeps it as a node of its own, a scan has none"
NO_IAM_READER = ("no template reader for IAM roles yet: the rule on a function's role with wildcard actions needs the "
                 "role's policies")

TEMPLATE = "cfn:estate#"
# Resources whose ids AWS chooses at creation: the template reads each as `cfn:estate#<LogicalId>`, and it is the
# demo's resource of the same kind and name (an API's routes follow their API).
CHOSEN_BY_AWS = ("PlatformApi", "EventsApi", "CourseCatalogApi", "CertificateUrl", "WeeklyCompletions", "PlatformKey",
                 "CuratedKey", "RecommendationsCluster", "AggregatesCluster", "EngagementScoring", "CourseAssistant",
                 "CourseAssistantKnowledgeBase", "StudentPiiGuardrail")
NOT_SCANNED_RESOURCES = ("StudentsPool", "WebClient", "CuratedEnrollmentsRead")

# The demo names the offline store after the second it made the feature group.
_CREATED = re.compile(r"(?<=features-)1\d{9}(?=/)|(?<=features_)1\d{9}\b")
_FEATURES = f"arn:aws:s3:::lp-ml-artifacts/features/{ACCOUNT}/{REGION}/offline-store/student-features-<created>/data"
_FEATURES_TABLE = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/sagemaker_featurestore/student_features_<created>"


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


CURATED, RAW, TEMP, RESULTS, ARTIFACTS = (f"arn:aws:s3:::{name}" for name in (
    "lp-curated-data", "lp-raw-data", "lp-glue-temp", "lp-athena-results", "lp-ml-artifacts"))
PARTNER = "arn:aws:s3:::partner-university-inbox"
INVOCATION_LOGGING = _arn("bedrock", "model-invocation-logging")
INVOCATION_LOG_GROUP = _arn("logs", "log-group:/aws/bedrock/invocations")
TRAINING = _arn("sagemaker", "training-job/course-recommender-2025-01-15")
PROCESSING = _arn("sagemaker", "processing-job/student-features-2025-01-15")
TRANSFORM = _arn("sagemaker", "transform-job/course-recommender-batch-2025-01-15")
MODEL = _arn("sagemaker", "model/course-recommender")
FEATURE_GROUP = _arn("sagemaker", "feature-group/student-features")
ENROLLMENTS_TABLE = _arn("glue", "table/curated/enrollments")
MODEL_ARTEFACT = f"{ARTIFACTS}/models/course-recommender-2025-01-15/output/model.tar.gz"
SCORING = f"{TEMPLATE}EngagementScoring"

# Observed nodes (id, kind) one side has and the other has not; ids as the template names them.
NODES_ONLY_IN_TEMPLATE = {
    (f"{ARTIFACTS}/features", "s3.location"): FEATURE_STORE,
    (f"{TEMPLATE}StudentsPool", "cognito.user_pool"): NOT_SCANNED,
    (f"{TEMPLATE}WebClient", "cognito.user_pool_client"): NOT_SCANNED,
    (f"{TEMPLATE}CuratedEnrollmentsRead", "iam.managed_policy"): NOT_SCANNED,
}
NODES_ONLY_IN_DEMO = {
    (_arn("athena", "workgroup/primary"), "athena.workgroup"): MADE_BY_AWS,
    (_arn("events", "event-bus/default"), "events.bus"): MADE_BY_AWS,
    (_arn("glue", "catalog"), "glue.catalog"): MADE_BY_AWS,  # the template names it, so it is there unobserved
    (INVOCATION_LOGGING, "bedrock.invocation_logging"): NO_TYPE_INVOCATION_LOGGING,
    (f"{RESULTS}/bedrock", "s3.location"): NO_TYPE_INVOCATION_LOGGING,
    (f"{CURATED}/engagement-scores", "s3.location"): NO_TYPE_JOB_RUN,
    (f"{TEMP}/emr-serverless-logs", "s3.location"): NO_TYPE_JOB_RUN,
    (_FEATURES, "s3.location"): FEATURE_STORE,
    (TRAINING, "sagemaker.training_job"): NO_TYPE_SAGEMAKER_JOBS,
    (PROCESSING, "sagemaker.processing_job"): NO_TYPE_SAGEMAKER_JOBS,
    (TRANSFORM, "sagemaker.transform_job"): NO_TYPE_SAGEMAKER_JOBS,
    (f"{ARTIFACTS}/athena-staging", "s3.location"): NO_TYPE_SAGEMAKER_JOBS,
    (f"{ARTIFACTS}/recommendations", "s3.location"): NO_TYPE_SAGEMAKER_JOBS,
}
# Edges (source, target, kind), flows and structure alike.
EDGES_ONLY_IN_TEMPLATE = {
    (FEATURE_GROUP, f"{ARTIFACTS}/features", "writes"): FEATURE_STORE,
    (f"{ARTIFACTS}/features", ARTIFACTS, "part_of"): FEATURE_STORE,
}
EDGES_ONLY_IN_DEMO = {
    (FEATURE_GROUP, _FEATURES, "writes"): FEATURE_STORE,
    (_FEATURES, ARTIFACTS, "part_of"): FEATURE_STORE,
    (_FEATURES_TABLE, _FEATURES, "stored_at"): FEATURE_STORE,
    (INVOCATION_LOGGING, INVOCATION_LOG_GROUP, "writes"): NO_TYPE_INVOCATION_LOGGING,
    (INVOCATION_LOGGING, f"{RESULTS}/bedrock", "writes"): NO_TYPE_INVOCATION_LOGGING,
    (f"{RESULTS}/bedrock", RESULTS, "part_of"): NO_TYPE_INVOCATION_LOGGING,
    (f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0", INVOCATION_LOGGING, "writes"):
        NO_TYPE_INVOCATION_LOGGING,
    (f"arn:aws:bedrock:{REGION}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", INVOCATION_LOGGING,
     "writes"): NO_TYPE_INVOCATION_LOGGING,
    (f"{RAW}/landing/clickstream", SCORING, "reads"): NO_TYPE_JOB_RUN,
    (SCORING, f"{CURATED}/engagement-scores", "writes"): NO_TYPE_JOB_RUN,
    (SCORING, f"{TEMP}/emr-serverless-logs", "writes"): NO_TYPE_JOB_RUN,
    (f"{CURATED}/engagement-scores", CURATED, "part_of"): NO_TYPE_JOB_RUN,
    (f"{TEMP}/emr-serverless-logs", TEMP, "part_of"): NO_TYPE_JOB_RUN,
    (f"{CURATED}/enrollments", TRAINING, "reads"): NO_TYPE_SAGEMAKER_JOBS,
    (TRAINING, MODEL_ARTEFACT, "writes"): NO_TYPE_SAGEMAKER_JOBS,
    (f"{CURATED}/enrollments", TRANSFORM, "reads"): NO_TYPE_SAGEMAKER_JOBS,
    (MODEL, TRANSFORM, "reads"): NO_TYPE_SAGEMAKER_JOBS,
    (TRANSFORM, f"{ARTIFACTS}/recommendations", "writes"): NO_TYPE_SAGEMAKER_JOBS,
    (f"{ARTIFACTS}/recommendations", ARTIFACTS, "part_of"): NO_TYPE_SAGEMAKER_JOBS,
    (ENROLLMENTS_TABLE, PROCESSING, "reads"): NO_TYPE_SAGEMAKER_JOBS,
    (PROCESSING, f"{ARTIFACTS}/athena-staging", "writes"): NO_TYPE_SAGEMAKER_JOBS,
    (PROCESSING, FEATURE_GROUP, "writes"): NO_TYPE_SAGEMAKER_JOBS,
    (f"{ARTIFACTS}/athena-staging", ARTIFACTS, "part_of"): NO_TYPE_SAGEMAKER_JOBS,
}
# Findings (rule, node).
FINDINGS_ONLY_IN_TEMPLATE = {
    **{("s3.sse_s3_only", bucket): MOTO_ENCRYPTION for bucket in (TEMP, RESULTS, "arn:aws:s3:::lp-website-assets")},
    ("cost.location_kept_in_standard", f"{ARTIFACTS}/features"): FEATURE_STORE,
    ("s3.location_without_lifecycle", f"{ARTIFACTS}/features"): FEATURE_STORE,
}
FINDINGS_ONLY_IN_DEMO = {
    **{("s3.no_default_encryption", bucket): MOTO_ENCRYPTION
       for bucket in (TEMP, RESULTS, "arn:aws:s3:::lp-website-assets")},
    **{("s3.public_access_not_blocked", bucket): MOTO_PUBLIC_ACCESS
       for bucket in (RAW, TEMP, RESULTS, "arn:aws:s3:::lp-website-assets")},
    **{(rule, _FEATURES): FEATURE_STORE for rule in (
        "cost.location_kept_in_standard", "pii.personal_data_without_expiration", "s3.location_without_lifecycle")},
    ("bedrock.invocation_logging_without_customer_key", INVOCATION_LOGGING): NO_TYPE_INVOCATION_LOGGING,
    ("bedrock.invocation_logging_without_retention", INVOCATION_LOGGING): NO_TYPE_INVOCATION_LOGGING,
    ("pii.personal_data_without_customer_key", INVOCATION_LOG_GROUP): NO_TYPE_INVOCATION_LOGGING,
    ("pii.personal_data_without_expiration", INVOCATION_LOG_GROUP): NO_TYPE_INVOCATION_LOGGING,
    **{(rule, f"{RESULTS}/bedrock"): NO_TYPE_INVOCATION_LOGGING for rule in (
        "cost.location_kept_in_standard", "pii.personal_data_without_expiration", "pii.probably_personal_dataset",
        "s3.location_without_lifecycle")},
    ("emr.block_public_access_off", f"{TEMPLATE}RecommendationsCluster"): NO_TYPE_EMR_BLOCK_PUBLIC_ACCESS,
    ("emr.block_public_access_off", f"{TEMPLATE}AggregatesCluster"): NO_TYPE_EMR_BLOCK_PUBLIC_ACCESS,
    ("cost.location_kept_in_standard", f"{CURATED}/engagement-scores"): NO_TYPE_JOB_RUN,
    ("s3.location_without_lifecycle", f"{CURATED}/engagement-scores"): NO_TYPE_JOB_RUN,
    ("sagemaker.job_without_network_isolation", TRAINING): NO_TYPE_SAGEMAKER_JOBS,
    ("pii.personal_data_without_customer_key", ARTIFACTS): NO_TYPE_SAGEMAKER_JOBS,
    ("pii.probably_personal_dataset", f"{ARTIFACTS}/athena-staging"): NO_TYPE_SAGEMAKER_JOBS,
    ("pii.personal_data_without_expiration", f"{ARTIFACTS}/capture"): NO_TYPE_SAGEMAKER_JOBS,
    ("pii.probably_personal_dataset", f"{ARTIFACTS}/capture"): NO_TYPE_SAGEMAKER_JOBS,
    ("pii.personal_data_without_expiration", MODEL_ARTEFACT): NO_TYPE_SAGEMAKER_JOBS,
    ("pii.probably_personal_dataset", MODEL_ARTEFACT): NO_TYPE_SAGEMAKER_JOBS,
    ("cost.location_kept_in_standard", f"{ARTIFACTS}/recommendations"): NO_TYPE_SAGEMAKER_JOBS,
    ("pii.probably_personal_dataset", f"{ARTIFACTS}/recommendations"): NO_TYPE_SAGEMAKER_JOBS,
    ("events.bus_without_customer_key", _arn("events", "event-bus/default")): MADE_BY_AWS,
    ("glue.catalog_not_encrypted", _arn("glue", "catalog")): MADE_BY_AWS,
    ("glue.connection_passwords_not_encrypted", _arn("glue", "catalog")): MADE_BY_AWS,
    ("lambda.role_wildcard_actions", _arn("lambda", "function:enrollment-api")): NO_IAM_READER,
}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = lineage("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out / "lineage.db"


@pytest.fixture(scope="module")
def scans(demo_db: Path) -> tuple[Scan, Scan]:
    """(the template read as a scan, placed where the demo runs; the demo's scan)."""
    template = scan_templates([read_template(ESTATE_TEMPLATE)], Placement(ACCOUNT, REGION)).scan
    return template, load_scan(open_store(str(demo_db)))


def chosen_by_aws(template: Scan, demo: Scan) -> dict[str, str]:
    """`cfn:estate#<LogicalId>` → the demo's id, for each resource whose id AWS chooses: the one observed node of
    the demo with the same kind and name."""
    named: dict[tuple[str, str], list[str]] = {}
    for node in demo.nodes:
        if node.observed:
            named.setdefault((node.kind, node.name), []).append(node.id)
    nodes = {n.id: n for n in template.nodes}
    found = {}
    for logical_id in CHOSEN_BY_AWS:
        node = nodes[TEMPLATE + logical_id]
        candidates = named.get((node.kind, node.name), [])
        assert len(candidates) == 1, (logical_id, candidates)
        found[node.id] = candidates[0]
    return found


def as_template_names_it(node_id: str, demo_ids: dict[str, str]) -> str:
    """A demo id as the template names it: an id AWS chose as its `cfn:` id, the offline store's creation time
    as `<created>`."""
    for cfn, chosen in demo_ids.items():
        if node_id == chosen or node_id.startswith(f"{chosen}/"):
            return cfn + node_id[len(chosen):]
    return _CREATED.sub("<created>", node_id)


def test_the_template_is_valid_cloudformation_and_installed_with_the_package() -> None:
    from cfnlint.api import lint_file

    assert [str(match) for match in lint_file(ESTATE_TEMPLATE)] == []
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert ESTATE_TEMPLATE.relative_to(ROOT / "lineage").as_posix() in package_data["lineage"]


def test_read_before_deployment_the_template_defines_the_demos_nodes(scans: tuple[Scan, Scan]) -> None:
    template, demo = scans
    assert template.coverage_gaps == ()  # every resource read, nothing warned about
    demo_ids = chosen_by_aws(template, demo)
    defined = {n.id for n in template.nodes if n.observed and "template" in n.attributes}
    assert {i for i in defined if i.startswith(TEMPLATE)} == {TEMPLATE + i for i in
                                                              (*CHOSEN_BY_AWS, *NOT_SCANNED_RESOURCES)}
    ours = {(n.id, n.kind) for n in template.nodes if n.observed}
    theirs = {(as_template_names_it(n.id, demo_ids), n.kind) for n in demo.nodes if n.observed}
    assert ours - theirs == set(NODES_ONLY_IN_TEMPLATE)
    assert theirs - ours == set(NODES_ONLY_IN_DEMO)
    # Every resource the template defines, but for the types no scan reads, is a node of the demo's scan.
    assert defined - {i for i, _ in theirs} == {TEMPLATE + i for i in NOT_SCANNED_RESOURCES}


def test_read_before_deployment_the_template_gives_the_demos_flows(scans: tuple[Scan, Scan]) -> None:
    template, demo = scans
    demo_ids = chosen_by_aws(template, demo)
    ours = {(e.source, e.target, e.kind.value) for e in template.edges}
    theirs = {(as_template_names_it(e.source, demo_ids), as_template_names_it(e.target, demo_ids), e.kind.value)
              for e in demo.edges}
    assert ours - theirs == set(EDGES_ONLY_IN_TEMPLATE)
    assert theirs - ours == set(EDGES_ONLY_IN_DEMO)
    # The chain the demo is about, from the API to the dashboard, is in the template.
    api = f"{TEMPLATE}PlatformApi/*/POST/enrollments"
    assert {(api, _arn("lambda", "function:enrollment-api"), "invokes"),
            (_arn("dynamodb", "table/enrollments"), _arn("states", "stateMachine:enrollment-etl"), "reads"),
            (_arn("states", "stateMachine:enrollment-etl"), f"{RAW}/enrollments", "writes"),
            (f"{CURATED}/enrollments", f"{TEMPLATE}CourseAssistantKnowledgeBase", "reads"),
            (_arn("athena", "workgroup/analytics"), _arn("quicksight", "datasource/lp-athena-analytics"), "reads"),
            } <= ours


def test_read_before_deployment_the_template_gives_the_demos_findings(scans: tuple[Scan, Scan]) -> None:
    template, demo = scans
    demo_ids = chosen_by_aws(template, demo)
    ours = {(f.rule, f.node) for f in template.findings}
    theirs = {(f.rule, as_template_names_it(f.node, demo_ids)) for f in demo.findings}
    assert ours - theirs == set(FINDINGS_ONLY_IN_TEMPLATE)
    assert theirs - ours == set(FINDINGS_ONLY_IN_DEMO)
    assert {("apigateway.personal_data_route_without_authorization", f"{TEMPLATE}PlatformApi/*/GET/courses"),
            ("lambda.url_without_auth_on_personal_data", f"{TEMPLATE}CertificateUrl"),
            ("kms.key_rotation_off", f"{TEMPLATE}CuratedKey"),
            ("pii.personal_data_held", ENROLLMENTS_TABLE)} <= ours


def test_lineage_template_on_the_estate_says_the_same_findings_with_their_lines(scans: tuple[Scan, Scan]) -> None:
    done = lineage("template", str(ESTATE_TEMPLATE), "--account", ACCOUNT, "--region", REGION, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no warning: every resource of the template is read
    findings = json.loads(done.stdout)
    template, _ = scans
    assert sorted((f["rule"], f["node"]) for f in findings) == sorted((f.rule, f.node) for f in template.findings)
    lines = ESTATE_TEMPLATE.read_text().splitlines()
    # Every finding has a line: the partner's bucket is in no template, and its finding points at the resource that
    # names it (the curated bucket, whose replication rule writes there).
    partner = next(f for f in findings if f["node"] == f"{PARTNER}/enrollments")
    assert lines[int(partner["location"].rpartition(":")[2]) - 1] == "  CuratedBucket:"
    for finding in findings:
        file, _, line = finding["location"].rpartition(":")
        assert file == str(ESTATE_TEMPLATE)
        assert re.fullmatch(r"  [A-Za-z0-9]+:", lines[int(line) - 1]), finding  # a resource's logical id


# --- Drift -------------------------------------------------------------------------------------------------------

def _flow(kind: str, source: str, target: str, flow: str) -> tuple[str, str, str]:
    if kind == "flow missing":
        return kind, source, f"the template's flow {source} → {target} ({flow}) is not in the account"
    return kind, source, f"the account has a flow {source} → {target} ({flow}) no template defines"


def _missing(logical_id: str, resource_type: str) -> tuple[str, str, str]:
    return ("missing", TEMPLATE + logical_id,
            f"{resource_type} {logical_id} is in {ESTATE_TEMPLATE} but not in the account")


def drift(database: Path) -> dict[str, Any]:
    done = lineage("drift", "--template", str(ESTATE_TEMPLATE), "--db", str(database), "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_after_lineage_demo_drift_reports_nothing(demo_db: Path, scans: tuple[Scan, Scan]) -> None:
    """The template describes the demo's estate: nothing made by hand, nothing missing, nothing different. What no
    template can describe (jobs started rather than deployed, account-wide settings without a resource type) and
    what no scan reads (a user pool) is out of drift's reach, and said so nowhere as drift."""
    found = drift(demo_db)
    assert found["items"] == [], json.dumps(found["items"], indent=1)
    template, demo = scans
    # Every resource the template names is matched by its ARN; each whose id AWS chose, by its kind and name.
    named = {n.id for n in template.nodes if n.observed and "template" in n.attributes and not n.id.startswith(
        TEMPLATE)}
    assert {k: v for k, v in found["matched"].items() if not k.startswith(TEMPLATE)} == {i: i for i in named}
    chosen = chosen_by_aws(template, demo)
    assert {k: v for k, v in found["matched"].items() if k in chosen} == chosen


def test_changes_made_by_hand_in_the_demo_estate_are_drift(tmp_path: Path) -> None:
    database = tmp_path / "lineage.db"
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

    def scan(endpoint: str) -> None:
        done = lineage("scan", "--endpoint-url", endpoint, "--region", REGION, "--db", str(database),
                       env=credentials)
        assert done.returncode == 0, done.stderr

    with running_moto_server() as endpoint:
        session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        build_estate(lambda service: session.client(service, endpoint_url=endpoint))
        scan(endpoint)
        before = drift(database)
        s3 = session.client("s3", endpoint_url=endpoint)
        s3.create_bucket(Bucket="lp-adhoc-export")
        # The rule expiring the batch transform's scores is deleted; the Athena staging one stays.
        s3.put_bucket_lifecycle_configuration(Bucket="lp-ml-artifacts", LifecycleConfiguration={"Rules": [
            {"ID": "expire-athena-staging", "Status": "Enabled", "Filter": {"Prefix": "athena-staging/"},
             "Expiration": {"Days": 7}}]})
        queue = _arn("sqs", "certificate-requests")
        session.client("events", endpoint_url=endpoint).put_targets(
            Rule="enrollment-completed", EventBusName=BUS, Targets=[{"Id": "by-hand", "Arn": queue}])
        scan(endpoint)
        after = drift(database)

    def keyed(result: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
        return {(i["kind"], i["node"], i["summary"]): i for i in result["items"]}

    assert set(keyed(before)) <= set(keyed(after))  # nothing the changes did not touch moved
    new = [item for key, item in keyed(after).items() if key not in keyed(before)]
    rule, bucket = _arn("events", f"rule/{BUS}/enrollment-completed"), ARTIFACTS
    assert sorted((i["kind"], i["node"], i["severity"], i.get("attribute")) for i in new) == [
        ("changed", rule, "low", "targets"),
        ("changed", bucket, "high", "lifecycle_rules"),
        ("flow unexpected", rule, "medium", None),
        ("unmanaged", "arn:aws:s3:::lp-adhoc-export", "medium", None),
    ]
    said = {(i["kind"], i["node"]): i for i in new}
    assert said[("unmanaged", "arn:aws:s3:::lp-adhoc-export")]["summary"] == (
        "s3.bucket lp-adhoc-export runs in the account and no template describes it")
    lifecycle = said[("changed", bucket)]
    assert lifecycle["summary"] == ("lifecycle rules removed expire-recommendations (weaker in the account than in "
                                    "the template)")
    assert lifecycle["template"]["logical_id"] == "MlArtifactsBucket"
    assert [r["prefix"] for r in lifecycle["in_template"]] == ["athena-staging/", "recommendations/"]
    assert [r["prefix"] for r in lifecycle["in_account"]] == ["athena-staging/"]
    targets = said[("changed", rule)]
    assert [t["id"] for t in targets["in_account"] if t not in targets["in_template"]] == ["by-hand"]
    assert said[("flow unexpected", rule)]["summary"] == (
        f"the account has a flow {rule} → {queue} (routes) no template defines")
