"""Tag policies (`lineage.tag_policy`): both forms of file read, malformed ones refused in one line, and a small
estate — nodes built by the collectors' own transforms from answers shaped as AWS gives them — judged exactly:
what is on a flow with its tags read, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from collectors.awslambda import transform_function
from collectors.context import absent
from collectors.s3 import transform_bucket
from collectors.sqs import transform_queue
from collectors.stepfunctions import transform_state_machine
from lineage import scan as scan_module
from lineage import tag_policy as tp
from lineage.graph import build_graph
from lineage.model import Category, Edge, EdgeKind, Evidence, Facts, Node, Severity, Stage
from lineage.rules import all_rules, evaluate, finding_id
from lineage.scan import analyse, now_utc, scan_of
from lineage.tag_policy import (
    KEY_CASE,
    MISSING_REQUIRED_TAG,
    ORGANIZATIONS,
    SIMPLE,
    VALUE_NOT_ALLOWED,
    TagPolicy,
    TagPolicyError,
    TagRule,
    load_tag_policy,
    parse_tag_policy,
    policy_of,
    tag_findings,
    tag_findings_of_scan,
    with_tag_findings,
)

ACCOUNT = "111122223333"
REGION = "eu-west-1"
MISSING, NOT_ALLOWED, CASE = MISSING_REQUIRED_TAG.id, VALUE_NOT_ALLOWED.id, KEY_CASE.id

SIMPLE_YAML = """\
# What every resource on a data flow must say about itself.
required: [owner, cost-center, data-classification]
allowed:
  data-classification: [public, internal, confidential, restricted]
  cost-center: ["cc-*"]
"""

# Shaped like the example in the AWS Organizations user guide ("Tag policy syntax and examples"), with the
# required-tag reporting block and a child-policy control as the guide describes them.
ORGANIZATIONS_POLICY: dict[str, Any] = {
    "tags": {
        "costcenter": {
            "tag_key": {"@@assign": "CostCenter", "@@operators_allowed_for_child_policies": ["@@none"]},
            "tag_value": {"@@assign": ["100", "200", "300*"]},
            "enforced_for": {"@@assign": ["secretsmanager:ALL_SUPPORTED", "s3:bucket"]},
            "report_required_tag_for": {"@@assign": ["s3:bucket", "lambda:function"]},
        },
        "project": {
            "tag_key": {"@@assign": "Project"},
            "tag_value": {"@@assign": ["Maintenance", "Escalations"]},
        },
    }
}


def written(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- reading the simple form ---------------------------------------------------------------------------------


def test_the_simple_form_requires_every_key_everywhere_and_restricts_the_listed_values(tmp_path: Path) -> None:
    path = written(tmp_path, "tags.yaml", SIMPLE_YAML)
    policy = load_tag_policy(path)
    assert (policy.form, policy.source, policy.kinds, policy.warnings) == (SIMPLE, str(path), None, ())
    assert {rule.key: (rule.values, rule.required_for) for rule in policy.rules} == {
        "owner": ((), None),
        "cost-center": (("cc-*",), None),
        "data-classification": (("public", "internal", "confidential", "restricted"), None),
    }


def test_the_simple_form_in_json_limits_the_kinds_judged_and_warns_of_kinds_it_cannot_judge(tmp_path: Path) -> None:
    document = {"required": ["owner"], "allowed": {"env": ["prod", "dev"]},
                "kinds": ["s3.bucket", "lambda:function", "states.state_machine", "ec2:instance"]}
    policy = load_tag_policy(written(tmp_path, "tags.json", json.dumps(document)))
    assert policy.kinds == {"s3.bucket", "lambda.function", "states.state_machine"}
    [owner, env] = policy.rules
    assert (owner.key, owner.required_for) == ("owner", None)
    assert (env.key, env.values, env.required_for) == ("env", ("prod", "dev"), frozenset())  # restricted, not required
    assert policy.warnings == ("kinds: ec2:instance is no kind of resource the tracker reads",
                               "kinds: no collector reads the tags of states.state_machine: it is never judged")


# --- reading AWS Organizations policies ----------------------------------------------------------------------


def test_an_organizations_policy_as_the_aws_guide_writes_it(tmp_path: Path) -> None:
    policy = load_tag_policy(written(tmp_path, "org.json", json.dumps(ORGANIZATIONS_POLICY, indent="\t")))
    assert policy.form == ORGANIZATIONS and policy.kinds is None
    [cost, project] = policy.rules
    assert cost == TagRule("CostCenter", ("100", "200", "300*"), frozenset({"s3.bucket", "lambda.function"}),
                           frozenset({"s3.bucket"}), "tags.costcenter")
    # Without report_required_tag_for a key is not required: only its spelling and values are judged.
    assert project == TagRule("Project", ("Maintenance", "Escalations"), frozenset(), frozenset(), "tags.project")
    assert policy.warnings == (
        "tags.costcenter.enforced_for: secretsmanager:ALL_SUPPORTED is no kind of resource the tracker reads",)


def test_the_effective_policy_and_the_answers_of_the_organizations_api_read_as_the_attached_policy() -> None:
    attached = policy_of(ORGANIZATIONS_POLICY)
    effective = {"tags": {"costcenter": {"tag_key": "CostCenter", "tag_value": ["100", "200", "300*"],
                                         "enforced_for": ["secretsmanager:ALL_SUPPORTED", "s3:bucket"],
                                         "report_required_tag_for": ["s3:bucket", "lambda:function"]},
                          "project": {"tag_key": "Project", "tag_value": ["Maintenance", "Escalations"]}}}
    described = {"Policy": {"PolicySummary": {"Id": "p-95ouootdnp", "Type": "TAG_POLICY", "Name": "tags"},
                            "Content": json.dumps(ORGANIZATIONS_POLICY)}}
    described_effective = {"EffectivePolicy": {"PolicyContent": json.dumps(effective), "TargetId": ACCOUNT,
                                               "PolicyType": "TAG_POLICY"}}
    for document in (effective, described, described_effective):
        assert policy_of(document).rules == attached.rules


def test_a_service_wildcard_names_every_kind_of_that_service_the_tracker_reads() -> None:
    assert tp.kinds_of_resource_type("glue:*") == {"glue.job", "glue.crawler", "glue.database", "glue.table",
                                                   "glue.workflow"}
    assert tp.kinds_of_resource_type("s3:ALL_SUPPORTED") == {"s3.bucket"}
    assert tp.kinds_of_resource_type("states:stateMachine") == {"states.state_machine"}
    assert tp.kinds_of_resource_type("ec2:instance") == frozenset()


def test_append_and_remove_act_on_what_this_file_assigns_and_say_so() -> None:
    policy = policy_of({"tags": {"env": {"tag_key": {"@@assign": "env"},
                                         "tag_value": {"@@assign": ["prod", "dev"], "@@append": ["test"],
                                                       "@@remove": ["dev"]}}}})
    assert policy.rules[0].values == ("prod", "test")
    assert policy.warnings == ("tags.env.tag_value: @@append and @@remove are judged against this file alone, "
                               "without what the policies above it would set",)


def test_without_tag_key_the_lowercase_policy_key_is_the_spelling_aws_requires() -> None:
    policy = policy_of({"tags": {"CostCenter": {"report_required_tag_for": {"@@assign": ["s3:bucket"]}}}})
    assert policy.rules[0].key == "costcenter"
    assert policy.warnings == ("tags.CostCenter has no tag_key: AWS takes the lowercase 'costcenter' as the "
                               "compliant spelling",)


# --- malformed files -------------------------------------------------------------------------------------------


def org(statement: dict[str, Any], key: str = "costcenter") -> str:
    return json.dumps({"tags": {key: statement}})


MALFORMED = [
    ("broken-json", '{"tags": {"costcenter": ', "not valid JSON"),
    ("broken-yaml", "required: [owner\nallowed: {}\n", "not valid YAML"),
    ("empty", "\n", "empty"),
    ("a-list", "- owner\n- team\n", "a tag policy is a mapping"),
    ("neither-form", "requried: [owner]\n", "neither an AWS Organizations tag policy"),
    ("beside-tags", json.dumps({"tags": {"a": {}}, "Version": "1"}), "unknown key 'Version' beside tags"),
    ("tags-not-mapping", json.dumps({"tags": ["owner"]}), "tags must map each policy key"),
    ("key-not-policy-key", org({"tag_key": {"@@assign": "Owner"}}), "'Owner' must be the policy key 'costcenter'"),
    ("unknown-operator", org({"tag_value": {"@@assing": ["100"]}}), "'@@assing' is unknown operator"),
    ("not-an-operator", org({"tag_value": {"values": ["100"]}}), "'values' is not an operator"),
    ("unknown-field", org({"tag_valeu": {"@@assign": ["100"]}}), "unknown field 'tag_valeu'"),
    ("two-wildcards", org({"tag_value": {"@@assign": ["*@*.com"]}}), "more than one *"),
    ("value-not-text", org({"tag_value": {"@@assign": [100]}}), "100 is not text"),
    ("value-not-list", org({"tag_value": {"@@assign": "100"}}), "tag_value.@@assign must be a list"),
    ("all-services", org({"enforced_for": {"@@assign": ["*"]}}), "'*' is not a resource type"),
    ("type-wildcard", org({"enforced_for": {"@@assign": ["s3:buck*"]}}), "a wildcard stands only for all"),
    ("key-appended", org({"tag_key": {"@@append": "CostCenter"}}), "a tag key can only be assigned"),
    ("key-unassigned", org({"tag_key": {"@@operators_allowed_for_child_policies": ["@@none"]}}), "has no @@assign"),
    ("child-operator", org({"tag_key": {"@@assign": "CostCenter", "@@operators_allowed_for_child_policies": ["@@al"]}}),
     "'@@al' is not one of"),
    ("same-key-twice", json.dumps({"tags": {"CostCenter": {}, "costcenter": {}}}), "name the same tag key"),
    ("statement-not-mapping", org(["CostCenter"]), "tags.costcenter must be a mapping"),  # type: ignore[arg-type]
    ("another-policy-type", json.dumps({"Policy": {"PolicySummary": {"Type": "SERVICE_CONTROL_POLICY"},
                                                   "Content": "{}"}}), "a SERVICE_CONTROL_POLICY, not a TAG_POLICY"),
    ("required-not-list", "required: owner\n", "required must be a list"),
    ("unquoted-number", "allowed:\n  cost-center: [100, 0200]\n", "100 is not text; quote the value"),
    ("unquoted-boolean", "allowed:\n  public: [yes, no]\n", "True is not text"),
    ("allowed-not-mapping", "allowed: [public]\n", "allowed must map each tag key"),
    ("allowed-nothing", "allowed:\n  env: []\n", "allowed.env lists no value"),
    ("nothing-to-judge", "required: []\n", "nothing to judge"),
    ("spelt-two-ways", "required: [owner]\nallowed:\n  Owner: [a]\n", "'Owner' is also spelled 'owner'"),
    ("odd-kind", "required: [owner]\nkinds: [S3 bucket]\n", "'S3 bucket' is neither a node kind"),
    ("no-kinds", "required: [owner]\nkinds: []\n", "kinds is empty"),
    ("unknown-simple-key", "required: [owner]\nowner: team\n", "unknown key 'owner'"),
]


@pytest.mark.parametrize(("text", "said"), [pytest.param(text, said, id=name) for name, text, said in MALFORMED])
def test_a_malformed_policy_is_refused_in_one_line_naming_the_file(tmp_path: Path, text: str, said: str) -> None:
    path = written(tmp_path, "policy.yaml", text)
    with pytest.raises(TagPolicyError) as raised:
        load_tag_policy(path)
    message = str(raised.value)
    assert said in message
    assert message.startswith(f"{path}: ") and "\n" not in message


def test_a_file_that_cannot_be_read_is_one_line_too(tmp_path: Path) -> None:
    with pytest.raises(TagPolicyError, match=r"^cannot read .*absent\.json: No such file or directory$"):
        load_tag_policy(tmp_path / "absent.json")
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("required: [propriétaire]\n".encode("latin-1"))
    with pytest.raises(TagPolicyError, match=r"latin1\.yaml: not UTF-8 text$"):
        load_tag_policy(latin)


# --- a small estate, as the collectors build it ----------------------------------------------------------------

BUCKET = "arn:aws:s3:::raw-orders"
INCOMING = "arn:aws:s3:::raw-orders/incoming"
ARCHIVE = "arn:aws:s3:::archive-2019"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ingest"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:nightly-etl"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"


def bucket(name: str, tags: dict[str, str] | None) -> Node:
    """A bucket as `transform_bucket` makes it of GetBucketTagging's answer (the NoSuchTagSet error, as the
    collector records it, when the bucket has no tags)."""
    tagging: dict[str, Any] = ({"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags
                               else absent("NoSuchTagSet"))
    return transform_bucket({"Name": name, "Region": REGION, "CreationDate": "2024-03-01 09:00:00+00:00",
                             "get_bucket_tagging": tagging}, ACCOUNT)


def function(tags: dict[str, str]) -> Facts:
    """ListFunctions' entry and ListTags' answer for one function."""
    return transform_function({
        "Function": {"FunctionName": "ingest", "FunctionArn": FUNCTION, "Runtime": "python3.12",
                     "Role": f"arn:aws:iam::{ACCOUNT}:role/ingest", "Handler": "app.handler"},
        "Tags": tags,
    }, ACCOUNT, REGION)


def state_machine() -> Facts:
    """DescribeStateMachine's answer: Step Functions' collector reads no tags."""
    definition = {"StartAt": "Ingest", "States": {"Ingest": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": FUNCTION, "Payload.$": "$"}, "End": True}}}
    return transform_state_machine({
        "stateMachineArn": MACHINE, "name": "nightly-etl", "type": "STANDARD", "status": "ACTIVE",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/etl", "definition": json.dumps(definition),
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
    }, ACCOUNT, REGION)


def queue_whose_tags_could_not_be_read() -> Facts:
    """GetQueueAttributes answered, ListQueueTags did not (a gap of the collector): no `tags` recorded."""
    return transform_queue({"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/orders",
                            "Attributes": {"QueueArn": QUEUE, "MessageRetentionPeriod": "345600"}},
                           ACCOUNT, REGION)


def writes(source: str, target: str) -> Edge:
    return Edge(source, target, EdgeKind.WRITES, (Evidence("lambda:ListFunctions", source, "Environment", target),))


def estate(*, bucket_tags: dict[str, str] | None = None, function_tags: dict[str, str] | None = None,
           archive_tags: dict[str, str] | None = None) -> list[Facts]:
    """The nightly ETL invokes `ingest`, which writes into raw-orders/incoming and onto the orders queue; the
    2019 archive bucket is off every flow."""
    return [
        Facts((bucket("raw-orders", {"cost-center": "cc-42", "data-classification": "internal"}
                      if bucket_tags is None else bucket_tags),
               bucket("archive-2019", archive_tags))),
        function({"owner": "data-eng", "cost-center": "cc-7", "data-classification": "secret"}
                 if function_tags is None else function_tags),
        state_machine(),
        queue_whose_tags_could_not_be_read(),
        Facts((), (writes(FUNCTION, INCOMING), writes(FUNCTION, QUEUE))),
    ]


def simple_policy() -> TagPolicy:
    return parse_tag_policy(SIMPLE_YAML, "tags.yaml")


def hits(findings: Any) -> set[tuple[str, str]]:
    return {(f.rule, f.node) for f in findings}


def test_the_estate_is_as_the_cases_below_assume() -> None:
    graph = build_graph(estate())
    assert graph.on_a_flow(BUCKET) and graph.on_a_flow(FUNCTION) and graph.on_a_flow(MACHINE)
    assert graph.on_a_flow(QUEUE) and not graph.on_a_flow(ARCHIVE)
    assert "tags" not in graph.nodes[MACHINE].attributes and "tags" not in graph.nodes[QUEUE].attributes
    assert graph.nodes[ARCHIVE].attributes["tags"] == {}  # read, and there are none


def test_only_what_is_on_a_flow_with_its_tags_read_is_judged() -> None:
    evaluation = tag_findings(build_graph(estate()), simple_policy())
    # raw-orders lacks owner; ingest's data-classification is not allowed; its cost-center matches cc-*. The
    # archive (no tags, off every flow), the state machine (tags never read) and the queue (tags unread) stay
    # out, and so does the location inside raw-orders (tags are the bucket's).
    assert hits(evaluation.findings) == {(MISSING, BUCKET), (NOT_ALLOWED, FUNCTION)}
    assert evaluation.gaps == []


def test_a_missing_tag_finding_names_what_is_missing_and_where_it_was_read() -> None:
    [finding] = [f for f in tag_findings(build_graph(estate()), simple_policy()).findings if f.rule == MISSING]
    assert finding.id == finding_id(MISSING, BUCKET)
    assert (finding.category, finding.severity) == (Category.TAGGING, Severity.MEDIUM)
    assert finding.message == "On a data flow without the tags its tag policy requires: owner."
    assert finding.remediation == MISSING_REQUIRED_TAG.remediation
    assert finding.evidence == (
        Evidence("s3:GetBucketTagging", BUCKET, "Tags", "cost-center=cc-42, data-classification=internal"),
        Evidence("file", "tags.yaml", "required", "requires owner"))


def test_every_missing_key_is_named_in_one_finding() -> None:
    findings = tag_findings(build_graph(estate(bucket_tags={"team": "orders"})), simple_policy()).findings
    [finding] = [f for f in findings if f.node == BUCKET]
    assert finding.message.endswith("requires: owner, cost-center, data-classification.")


def test_a_value_not_allowed_is_named_with_the_values_that_are() -> None:
    [finding] = [f for f in tag_findings(build_graph(estate()), simple_policy()).findings if f.rule == NOT_ALLOWED]
    assert (finding.node, finding.severity) == (FUNCTION, Severity.MEDIUM)
    assert finding.message == ("Tag values its tag policy does not allow: data-classification=secret "
                               "(allowed: public, internal, confidential, restricted).")
    assert finding.evidence == (
        Evidence("lambda:ListTags", FUNCTION, "Tags.data-classification", "data-classification=secret"),
        Evidence("file", "tags.yaml", "allowed.data-classification", "public, internal, confidential, restricted"))


def test_a_wildcard_value_admits_what_it_matches_and_only_that() -> None:
    for cost_center, reported in (("cc-7", False), ("cc-", False), ("CC-7", True), ("dept-cc-7", True)):
        tags = {"owner": "data-eng", "cost-center": cost_center, "data-classification": "internal"}
        findings = tag_findings(build_graph(estate(function_tags=tags)), simple_policy()).findings
        assert ((NOT_ALLOWED, FUNCTION) in hits(findings)) is reported, cost_center


def test_a_bucket_off_every_flow_is_not_judged_until_a_flow_reaches_it() -> None:
    facts = [*estate(), Facts((), (writes(FUNCTION, ARCHIVE),))]
    assert (MISSING, ARCHIVE) in hits(tag_findings(build_graph(facts), simple_policy()).findings)


def test_the_kinds_of_a_simple_policy_limit_what_is_judged() -> None:
    policy = policy_of({"required": ["owner"], "allowed": {"data-classification": ["internal"]},
                        "kinds": ["lambda.function"]})
    assert hits(tag_findings(build_graph(estate()), policy).findings) == {(NOT_ALLOWED, FUNCTION)}


def test_an_organizations_policy_judges_spelling_and_values_everywhere_and_presence_where_it_reports_it() -> None:
    policy = policy_of(ORGANIZATIONS_POLICY, "org.json")
    facts = estate(bucket_tags={"costcenter": "100", "Project": "Maintenance"},  # spelt otherwise
                   function_tags={"Project": "Migration"})  # no CostCenter, which lambda:function must carry
    findings = {(f.rule, f.node): f for f in tag_findings(build_graph(facts), policy).findings}
    assert set(findings) == {(CASE, BUCKET), (MISSING, FUNCTION), (NOT_ALLOWED, FUNCTION)}
    assert findings[CASE, BUCKET].severity == Severity.LOW
    assert findings[CASE, BUCKET].message == (
        "Tag keys spelt otherwise than its tag policy spells them: costcenter (spelt CostCenter by the policy) "
        "(its enforced_for covers this kind: AWS refuses such tagging).")
    assert findings[CASE, BUCKET].evidence == (
        Evidence("s3:GetBucketTagging", BUCKET, "Tags.costcenter", "costcenter=100"),
        Evidence("file", "org.json", "tags.costcenter", "CostCenter"))
    assert findings[MISSING, FUNCTION].message.endswith("requires: CostCenter.")
    assert "Project=Migration (allowed: Maintenance, Escalations)." in findings[NOT_ALLOWED, FUNCTION].message
    assert "enforced_for" not in findings[NOT_ALLOWED, FUNCTION].message  # AWS enforces it on buckets only


def test_a_value_under_a_key_spelt_otherwise_is_judged_too() -> None:
    policy = policy_of(ORGANIZATIONS_POLICY)
    facts = estate(bucket_tags={"costcenter": "999", "Project": "Maintenance"},
                   function_tags={"CostCenter": "3001"})  # 300* admits it
    assert hits(tag_findings(build_graph(facts), policy).findings) == {(CASE, BUCKET), (NOT_ALLOWED, BUCKET)}


def test_the_rules_are_listed_but_judge_nothing_without_a_policy() -> None:
    listed = {rule.id: rule for rule in all_rules()}
    assert {rule_id: (listed[rule_id].category, listed[rule_id].severity) for rule_id in (MISSING, NOT_ALLOWED, CASE)
            } == {MISSING: (Category.TAGGING, Severity.MEDIUM), NOT_ALLOWED: (Category.TAGGING, Severity.MEDIUM),
                  CASE: (Category.TAGGING, Severity.LOW)}
    assert all(listed[rule_id].title and listed[rule_id].remediation for rule_id in (MISSING, NOT_ALLOWED, CASE))
    graph = build_graph(estate(bucket_tags={}))
    assert not [f for f in evaluate(graph).findings if f.category is Category.TAGGING]
    assert not [f for f in evaluate(graph, all_rules()).findings if f.category is Category.TAGGING]


# --- in the pipeline --------------------------------------------------------------------------------------------


def test_analyse_adds_the_policy_findings_to_the_rules_findings_and_changes_nothing_else() -> None:
    without = analyse(estate())
    judged = analyse(estate(), tag_policy=simple_policy())
    assert not [f for f in without.findings if f.category is Category.TAGGING]
    assert [f for f in judged.findings if f.category is not Category.TAGGING] == without.findings
    assert hits(f for f in judged.findings if f.category is Category.TAGGING) == {
        (MISSING, BUCKET), (NOT_ALLOWED, FUNCTION)}
    ranks = [-f.severity.rank for f in judged.findings]
    assert ranks == sorted(ranks)  # one list, the most severe first, as a scan holds it
    assert judged.gaps == without.gaps


def test_the_tag_check_failing_as_a_whole_is_a_gap_and_the_rest_of_the_analysis_stands(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug in the tag check")

    monkeypatch.setattr(scan_module, "tag_findings", broken)
    analysis = analyse(estate(), tag_policy=simple_policy())
    assert analysis.findings == analyse(estate()).findings
    assert ("lineage", "tag policy", "", "RuntimeError: a bug in the tag check") in {
        (g.service, g.operation, g.resource, g.error) for g in analysis.gaps}


def test_tags_recorded_in_a_shape_no_check_reads_are_that_nodes_gaps_alone() -> None:
    odd = Node(f"arn:aws:sqs:{REGION}:{ACCOUNT}:odd", "sqs.queue", "odd", Stage.STORAGE, ACCOUNT, REGION, True,
               {"tags": "owner=data-eng"})
    analysis = analyse([*estate(), Facts((odd,), (writes(FUNCTION, odd.id),))], tag_policy=simple_policy())
    assert hits(f for f in analysis.findings if f.category is Category.TAGGING) == {
        (MISSING, BUCKET), (NOT_ALLOWED, FUNCTION)}
    assert {(g.service, g.operation, g.resource) for g in analysis.gaps if g.resource == odd.id} == {
        ("lineage", MISSING, odd.id), ("lineage", NOT_ALLOWED, odd.id), ("lineage", CASE, odd.id)}


def test_a_stored_scan_is_judged_again_and_its_old_tagging_findings_replaced() -> None:
    analysis = analyse(estate(), tag_policy=simple_policy())
    scan = scan_of(analysis, "s1", now_utc(), (REGION,), [], {"s3:ListBuckets": 1}, True, (ACCOUNT,))
    organizations = policy_of(ORGANIZATIONS_POLICY)  # CostCenter, on buckets and functions, neither has
    assert hits(tag_findings_of_scan(scan, organizations).findings) == {(MISSING, BUCKET), (MISSING, FUNCTION)}
    judged = with_tag_findings(scan, organizations)
    assert hits(f for f in judged.findings if f.category is Category.TAGGING) == {
        (MISSING, BUCKET), (MISSING, FUNCTION)}
    assert "requires: CostCenter." in next(f for f in judged.findings if f.node == BUCKET).message
    assert [f for f in judged.findings if f.category is not Category.TAGGING] == [
        f for f in scan.findings if f.category is not Category.TAGGING]
    assert (judged.nodes, judged.edges, judged.coverage_gaps) == (scan.nodes, scan.edges, scan.coverage_gaps)


# --- property: a node that says everything a policy asks is never reported ---------------------------------------

# What AWS allows in tag keys and values: letters, digits, spaces and _ . : / = + - @.
_TAG_TEXT = st.characters(categories=("L", "N", "Zs"), include_characters="_.:/=+-@")
keys = st.text(_TAG_TEXT, min_size=1, max_size=12).filter(str.strip)
texts = st.text(_TAG_TEXT, max_size=12)
patterns = st.one_of(texts, st.tuples(texts, texts).map(lambda parts: f"{parts[0]}*{parts[1]}"))


@st.composite
def policies_and_compliant_tags(draw: st.DrawFn) -> tuple[TagPolicy, dict[str, str]]:
    required = draw(st.lists(keys, min_size=1, max_size=4, unique_by=str.casefold))
    allowed = {key: draw(st.lists(patterns, min_size=1, max_size=3))
               for key in required if draw(st.booleans())}
    policy = policy_of({"required": required, "allowed": allowed})
    tags = {}
    for key in required:
        if key in allowed:
            prefix, star, suffix = draw(st.sampled_from(allowed[key])).partition("*")
            tags[key] = prefix + (draw(texts) if star else "") + suffix
        else:
            tags[key] = draw(texts)
    others = draw(st.dictionaries(keys, texts, max_size=3))
    tags.update({k: v for k, v in others.items() if k.casefold() not in {r.casefold() for r in required}})
    return policy, tags


def judged_bucket(tags: dict[str, str], policy: TagPolicy) -> set[tuple[str, str]]:
    node = Node(BUCKET, "s3.bucket", "raw-orders", Stage.STORAGE, ACCOUNT, REGION, True, {"tags": tags})
    graph = build_graph([Facts((node,), (writes(FUNCTION, INCOMING),))])
    # Tags as the graph holds them: a value the redactor takes for a credential (under a tag named `auth`,
    # or 40 characters shaped like a secret key) is no longer the value the policy allows.
    assume(graph.nodes[BUCKET].attributes["tags"] == tags)
    return hits(tag_findings(graph, policy).findings)


@settings(max_examples=150, deadline=None)
@given(policies_and_compliant_tags(), st.data())
def test_a_node_with_every_required_key_and_allowed_values_is_never_reported(
        drawn: tuple[TagPolicy, dict[str, str]], data: st.DataObject) -> None:
    policy, tags = drawn
    assert judged_bucket(tags, policy) == set()
    # …and it is the tags that make it so: without one required key, that key alone is reported missing.
    dropped = data.draw(st.sampled_from([rule.key for rule in policy.rules]))
    assert judged_bucket({k: v for k, v in tags.items() if k != dropped}, policy) == {(MISSING, BUCKET)}
