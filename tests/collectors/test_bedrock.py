"""Bedrock: the get on recorded answers through botocore's Stubber (both clients; guardrails, knowledge bases and
action groups in two pages; a guardrail, a knowledge base, a data source and an agent deleted between listing and
reading), the transform on what it read, a listing item and answers no transform expected, invocation logging
joined to the models of its account and region, the get on moto (with what moto lacks served from its state),
and the rules firing where they should and quiet where they should not."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from moto import mock_aws

from collectors import bedrock
from collectors.context import AwsContext
from lineage import arn as arns
from lineage import asl
from lineage.graph import build_graph
from lineage.invocation_logging import logged_invocations
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, Severity, stage_for
from lineage.moto_support.bedrock import (
    seed_action_group,
    seed_agent_knowledge_base,
    seed_data_source,
    seed_guardrail,
)
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, recorded

R, A = "eu-west-1", "111122223333"
KB_DOCS, KB_PINE = (f"arn:aws:bedrock:{R}:{A}:knowledge-base/{i}" for i in ("KBDOCS0001", "KBPINE0002"))
SUPPORT, HELPER = (f"arn:aws:bedrock:{R}:{A}:agent/{i}" for i in ("AGENT00001", "AGENT00002"))
GUARDRAIL = f"arn:aws:bedrock:{R}:{A}:guardrail/abcd1234efgh"
LOGGING = f"arn:aws:bedrock:{R}:{A}:model-invocation-logging"
TITAN = f"arn:aws:bedrock:{R}::foundation-model/amazon.titan-embed-text-v2:0"
HAIKU = f"arn:aws:bedrock:{R}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
SONNET_PROFILE = f"arn:aws:bedrock:{R}:{A}:inference-profile/eu.anthropic.claude-3-5-sonnet-20240620-v1:0"
COLLECTION = f"arn:aws:aoss:{R}:{A}:collection/kb4docs7x2q9"
LOG_GROUP = arns.log_group_arn(R, A, "/aws/bedrock/model-invocations")
ORDERS = f"arn:aws:lambda:{R}:{A}:function:orders-api"
DRAFT = {"agentVersion": "DRAFT"}
WEB_GUIDE = "https://guide.example.edu/students/"  # the seed URL without its user-info and query


def _not_found(stub: Stubber, method: str, params: dict[str, Any]) -> None:
    stub.add_client_error(method, "ResourceNotFoundException", "The resource does not exist.", 404,
                          expected_params=params)


def _stub_control_plane(stub: Stubber, answers: dict[str, Any]) -> None:
    stub.add_response("get_model_invocation_logging_configuration",
                      parsed("bedrock", "GetModelInvocationLoggingConfiguration",
                             answers["GetModelInvocationLoggingConfiguration"]), {})
    first, second = answers["ListGuardrails"]
    stub.add_response("list_guardrails", parsed("bedrock", "ListGuardrails", first), {})
    stub.add_response("list_guardrails", parsed("bedrock", "ListGuardrails", second), {"nextToken": first["nextToken"]})
    stub.add_response("get_guardrail", parsed("bedrock", "GetGuardrail", answers["GetGuardrail"]),
                      {"guardrailIdentifier": "abcd1234efgh"})
    _not_found(stub, "get_guardrail", {"guardrailIdentifier": "zyxw9876vuts"})


def _stub_knowledge_bases(stub: Stubber, answers: dict[str, Any]) -> None:
    first, second = answers["ListKnowledgeBases"]
    stub.add_response("list_knowledge_bases", parsed("bedrock-agent", "ListKnowledgeBases", first), {})
    stub.add_response("list_knowledge_bases", parsed("bedrock-agent", "ListKnowledgeBases", second),
                      {"nextToken": first["nextToken"]})
    for kb, sources in (("KBDOCS0001", ("DSS3000001", "DSWEB00002", "DSGONE0003")), ("KBPINE0002", ("DSCONF0004",))):
        stub.add_response("get_knowledge_base", parsed("bedrock-agent", "GetKnowledgeBase",
                                                       answers["GetKnowledgeBase"][kb]), {"knowledgeBaseId": kb})
        stub.add_response("list_data_sources", parsed("bedrock-agent", "ListDataSources",
                                                      answers["ListDataSources"][kb]), {"knowledgeBaseId": kb})
        for source in sources:
            params = {"knowledgeBaseId": kb, "dataSourceId": source}
            if source in answers["GetDataSource"]:
                stub.add_response("get_data_source", parsed("bedrock-agent", "GetDataSource",
                                                            answers["GetDataSource"][source]), params)
            else:
                _not_found(stub, "get_data_source", params)
    _not_found(stub, "get_knowledge_base", {"knowledgeBaseId": "KBGONE0003"})


def _stub_agents(stub: Stubber, answers: dict[str, Any]) -> None:
    stub.add_response("list_agents", parsed("bedrock-agent", "ListAgents", answers["ListAgents"]), {})
    for agent in ("AGENT00001", "AGENT00002"):
        stub.add_response("get_agent", parsed("bedrock-agent", "GetAgent", answers["GetAgent"][agent]),
                          {"agentId": agent})
        pages = answers["ListAgentActionGroups"][agent]
        for index, page in enumerate(pages):
            token = {"nextToken": pages[index - 1]["nextToken"]} if index else {}
            stub.add_response("list_agent_action_groups", parsed("bedrock-agent", "ListAgentActionGroups", page),
                              {"agentId": agent, **DRAFT, **token})
        for page in pages:
            for group in page["actionGroupSummaries"]:
                group_id = group["actionGroupId"]
                stub.add_response("get_agent_action_group", parsed("bedrock-agent", "GetAgentActionGroup",
                                                                   answers["GetAgentActionGroup"][group_id]),
                                  {"agentId": agent, **DRAFT, "actionGroupId": group_id})
        stub.add_response("list_agent_knowledge_bases", parsed("bedrock-agent", "ListAgentKnowledgeBases",
                                                               answers["ListAgentKnowledgeBases"][agent]),
                          {"agentId": agent, **DRAFT})
    _not_found(stub, "get_agent", {"agentId": "AGENT00003"})


def _context() -> AwsContext:
    return AwsContext(boto3.Session(region_name=R, aws_access_key_id="t", aws_secret_access_key="t"), [R],
                      workers=1, max_attempts=1)


def _recorded_read() -> dict[str, Any]:
    answers = recorded("bedrock")
    ctx = _context()
    control, agents = Stubber(ctx.client("bedrock", R)), Stubber(ctx.client("bedrock-agent", R))
    _stub_control_plane(control, answers)
    _stub_knowledge_bases(agents, answers)
    _stub_agents(agents, answers)
    with control, agents:
        read = bedrock.get_bedrock(ctx, R)
        control.assert_no_pending_responses()
        agents.assert_no_pending_responses()
    ctx.close()
    assert ctx.gaps == [], ctx.gaps  # what was deleted meanwhile holds nothing, and is no gap
    return read


def _facts() -> Facts:
    return bedrock.transform_bedrock(_recorded_read(), A, R)


def _edges(facts: Facts) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.kind.value) for e in facts.edges}


# --- transform on recorded answers ------------------------------------------------------------------------


def test_invocation_logging_writes_to_each_destination_and_says_what_it_delivers() -> None:
    facts = _facts()
    logging = next(n for n in facts.nodes if n.kind == "bedrock.invocation_logging")
    assert logging.id == LOGGING == bedrock.invocation_logging_id(R, A) and logging.observed
    assert (logging.account, logging.region, logging.stage.value) == (A, R, "processing")
    assert logging.attributes == {
        "enabled": True, "delivers": ["text", "image"], "s3": "s3://lp-bedrock-logs/invocations/",
        "log_group": "/aws/bedrock/model-invocations", "role": f"arn:aws:iam::{A}:role/bedrock-logging",
        "large_data_s3": "s3://lp-bedrock-logs/large/"}
    assert {(s, t, k) for s, t, k in _edges(facts) if s == LOGGING} == {
        (LOGGING, "arn:aws:s3:::lp-bedrock-logs/invocations", "writes"), (LOGGING, LOG_GROUP, "writes"),
        (LOGGING, "arn:aws:s3:::lp-bedrock-logs/large", "writes")}
    [evidence] = next(e for e in facts.edges if e.target == LOG_GROUP).evidence
    assert (evidence.operation, evidence.path) == ("bedrock:GetModelInvocationLoggingConfiguration",
                                                   "loggingConfig.cloudWatchConfig.logGroupName")


def test_an_answer_without_logging_config_means_logging_is_off() -> None:
    for answer in ({}, {"loggingConfig": {}}, {"loggingConfig": {"textDataDeliveryEnabled": True}}):
        [off] = bedrock.transform_logging(answer, A, R).nodes  # a fact: off, writing nowhere
        assert (off.id, off.attributes, off.observed) == (LOGGING, {"enabled": False}, True)
        assert bedrock.transform_logging(answer, A, R).edges == ()
        assert logged_invocations({LOGGING: off, HAIKU: _model(HAIKU)}) == []
    # Unread: the region's logging stands, said to be unread, and writes nowhere known; no model is joined to it.
    [unread] = bedrock.transform_bedrock({"Logging": None}, A, R).nodes
    assert (unread.id, unread.attributes) == (LOGGING, {"unread": ["configuration"]})
    assert logged_invocations({LOGGING: unread, HAIKU: _model(HAIKU)}) == []


def test_a_guardrail_is_summarised_by_what_it_filters_never_by_its_patterns_or_words() -> None:
    nodes = {n.id: n for n in _facts().nodes if n.kind == "bedrock.guardrail"}
    assert set(nodes) == {GUARDRAIL}  # the one deleted meanwhile is not there
    guardrail = nodes[GUARDRAIL]
    assert guardrail.name == "students" and guardrail.stage.value == "processing"
    assert guardrail.attributes == {
        "guardrail_id": "abcd1234efgh", "version": "DRAFT", "status": "READY",
        "pii_entities": {"EMAIL": "ANONYMIZE", "US_SOCIAL_SECURITY_NUMBER": "BLOCK",
                         "PHONE": "input NONE, output ANONYMIZE"},
        "pii_regexes": {"student-number": "ANONYMIZE"},
        "content_filters": {"HATE": "input HIGH, output HIGH", "PROMPT_ATTACK": "input HIGH, output NONE"},
        "denied_topics": ["Grades of others"], "blocked_words": 1, "managed_word_lists": ["PROFANITY"],
        "contextual_grounding": {"GROUNDING": 0.75, "RELEVANCE": 0.5},
        "kms_key": "arn:aws:kms:eu-west-1:111122223333:key/1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b"}
    text = json.dumps(guardrail.to_dict())
    assert "S[0-9]{7}" not in text and "confidential-project-x" not in text and "Anna" not in text


def test_knowledge_bases_read_their_sources_invoke_their_embedding_model_and_write_their_vector_store() -> None:
    facts = _facts()
    nodes = {n.id: n for n in facts.nodes}
    assert {n.id for n in facts.nodes if n.kind == "bedrock.knowledge_base"} == {KB_DOCS, KB_PINE}
    docs, pine = nodes[KB_DOCS], nodes[KB_PINE]
    assert docs.name == "course-docs" and docs.observed and docs.account == A and docs.region == R
    assert docs.attributes["role"].endswith("AmazonBedrockExecutionRoleForKnowledgeBase_docs")
    assert docs.attributes["embedding_model"] == TITAN
    assert docs.attributes["vector_store"] == {"type": "OPENSEARCH_SERVERLESS", "id": COLLECTION,
                                               "index": "bedrock-knowledge-base-default-index"}
    s3_source, web_source = docs.attributes["data_sources"]  # the source deleted meanwhile is not there
    assert s3_source == {"id": "DSS3000001", "name": "course-material", "status": "AVAILABLE", "type": "S3",
                         "kms_key": "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                         "data_deletion_policy": "RETAIN", "s3": ["s3://lp-docs/courses/", "s3://lp-docs/handbook/"],
                         "bucket_owner": A}
    assert web_source["type"] == "WEB" and "unread" not in docs.attributes
    sonnet = f"arn:aws:bedrock:{R}::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0"
    assert {(s, t, k) for s, t, k in _edges(facts) if KB_DOCS in (s, t)} == {
        ("arn:aws:s3:::lp-docs/courses", KB_DOCS, "reads"), ("arn:aws:s3:::lp-docs/handbook", KB_DOCS, "reads"),
        (KB_DOCS, TITAN, "invokes"), (KB_DOCS, COLLECTION, "writes"),
        (KB_DOCS, f"arn:aws:lambda:{R}:{A}:function:chunk-cleaner", "invokes"),
        (KB_DOCS, "arn:aws:s3:::lp-docs-staging/chunks", "writes"), (KB_DOCS, sonnet, "invokes"),
        (WEB_GUIDE, KB_DOCS, "reads"),
        (KB_DOCS, SUPPORT, "reads"),
        (KB_DOCS, HELPER, "reads")}
    web = next(n for n in facts.nodes if "guide.example.edu" in n.id)
    assert web.kind == "external" and not web.observed and web.id == WEB_GUIDE
    assert "Hunter2secret" not in json.dumps([e.to_dict() for e in facts.edges]) + json.dumps(
        [n.to_dict() for n in facts.nodes])
    assert "abc123def456" not in web.id and "docs-user" not in web.id
    # Pinecone is outside AWS: an external place by its address; Confluence a source the same way.
    pinecone = "https://partner-faq-abc123.svc.us-east1-gcp.pinecone.io"
    assert pine.attributes["vector_store"]["type"] == "PINECONE"
    assert (KB_PINE, pinecone, "writes") in _edges(facts) and nodes[pinecone].kind == "external"
    assert ("https://partner-university.atlassian.net", KB_PINE, "reads") in _edges(facts)
    assert "secretsmanager" not in json.dumps(pine.to_dict())


def test_agents_invoke_their_model_and_functions_and_read_their_knowledge_bases_as_drafts() -> None:
    facts = _facts()
    nodes = {n.id: n for n in facts.nodes}
    assert {n.id for n in facts.nodes if n.kind == "bedrock.agent"} == {SUPPORT, HELPER}  # the retired one is gone
    support, helper = nodes[SUPPORT], nodes[HELPER]
    assert support.stage.value == "usage" and support.name == "support-bot"
    assert support.attributes["guardrail"] == {"identifier": GUARDRAIL, "version": "1"}
    assert helper.attributes["guardrail"] is None
    assert (support.attributes["version_read"], support.attributes["latest_version"]) == ("DRAFT", "3")
    assert support.attributes["foundation_model"] == SONNET_PROFILE  # a cross-region inference profile
    assert support.attributes["memory"] == {"types": ["SESSION_SUMMARY"], "storage_days": 30}
    assert support.attributes["idle_session_ttl_seconds"] == 900 and support.attributes["kms_key"].endswith("2a19")
    assert support.attributes["role"].endswith("AmazonBedrockExecutionRoleForAgents_support")
    assert support.attributes["action_groups"] == [
        {"name": "orders", "state": "ENABLED", "function": ORDERS},
        {"name": "UserInputAction", "state": "ENABLED", "built_in": "AMAZON.UserInput"},
        {"name": "refunds", "state": "DISABLED", "function": f"arn:aws:lambda:{R}:{A}:function:refunds-api"}]
    assert support.attributes["knowledge_bases"] == [{"knowledge_base": KB_DOCS, "state": "ENABLED"},
                                                     {"knowledge_base": KB_PINE, "state": "DISABLED"}]
    # The disabled action group and the disabled knowledge base carry nothing: no flow.
    assert {(s, t, k) for s, t, k in _edges(facts) if SUPPORT in (s, t)} == {
        (SUPPORT, SONNET_PROFILE, "invokes"), (SUPPORT, ORDERS, "invokes"), (KB_DOCS, SUPPORT, "reads")}
    assert {(s, t, k) for s, t, k in _edges(facts) if HELPER in (s, t)} == {
        (HELPER, HAIKU, "invokes"), (KB_DOCS, HELPER, "reads")}
    orders = next(e for e in facts.edges if e.target == ORDERS)
    assert [(e.operation, e.path, e.excerpt) for e in orders.evidence] == [
        ("bedrock:GetAgentActionGroup", "actionGroups[0].actionGroupExecutor.lambda", f"{ORDERS}:live")]
    assert helper.attributes["action_groups"] == [] and "unread" not in helper.attributes


def test_what_was_not_read_is_said_and_a_summary_keeps_the_resource() -> None:
    answers = recorded("bedrock")
    listed_kb = answers["ListKnowledgeBases"][0]["knowledgeBaseSummaries"][0]
    listed_agent = answers["ListAgents"]["agentSummaries"][0]
    listed_guardrail = answers["ListGuardrails"][0]["guardrails"][0]
    facts = bedrock.transform_bedrock({
        "Logging": None, "Guardrails": [{"Listed": listed_guardrail}],
        "KnowledgeBases": [{"Listed": listed_kb, "DataSources": [{"Listed": answers["ListDataSources"]["KBDOCS0001"]
                                                                   ["dataSourceSummaries"][0]}]}],
        "Agents": [{"Listed": listed_agent, "ActionGroups": []}]}, A, R)
    nodes = {n.id: n for n in facts.nodes}
    assert nodes[KB_DOCS].attributes["unread"] == ["configuration", "data source configuration"]
    assert nodes[SUPPORT].attributes["unread"] == ["configuration", "knowledge bases"]
    assert nodes[SUPPORT].attributes["guardrail"] == {"identifier": GUARDRAIL, "version": "1"}  # as listed
    assert nodes[GUARDRAIL].attributes["unread"] == ["policies"] and nodes[GUARDRAIL].name == "students"
    assert facts.edges == () and facts.gaps == ()


def test_an_answer_no_transform_expected_costs_only_its_resource() -> None:
    answers = recorded("bedrock")
    good = {"Listed": answers["ListAgents"]["agentSummaries"][1], "Agent": answers["GetAgent"]["AGENT00002"]["agent"]}
    odd = {"Listed": {"agentId": "ODD"}, "Agent": {"agentArn": f"arn:aws:bedrock:{R}:{A}:agent/ODD",
                                                   "foundationModel": ["not", "a", "string"],
                                                   "customOrchestration": "lambda"}}
    odd_kb = {"Listed": {"knowledgeBaseId": "ODDKB"}, "KnowledgeBase": {"knowledgeBaseConfiguration": "VECTOR"}}
    facts = bedrock.transform_bedrock({"Agents": [odd, good], "KnowledgeBases": [odd_kb]}, A, R)
    assert [n.id for n in facts.nodes if n.kind == "bedrock.agent"] == [HELPER]
    assert sorted((g.operation, g.resource) for g in facts.gaps) == [("GetAgent", "ODD"),
                                                                     ("GetKnowledgeBase", "ODDKB")]


def test_a_listed_item_without_its_id_costs_only_itself() -> None:
    ctx = _context()
    client = ctx.client("bedrock-agent", R)
    body = {"knowledgeBaseSummaries": [{"name": "no-id", "status": "ACTIVE", "updatedAt": "2024-06-01T12:00:00Z"}]}

    def answer(request: Any, **_: Any) -> AWSResponse:
        class Body:
            def stream(self, **__: Any) -> Any:
                yield json.dumps(body).encode()

            def read(self, *__: Any, **___: Any) -> bytes:
                return json.dumps(body).encode()

        return AWSResponse(request.url, 200, {"Content-Type": "application/json"}, Body())

    client.meta.events.register_first("before-send.bedrock-agent.ListKnowledgeBases", answer)
    assert bedrock._read_knowledge_bases(ctx, R) == []
    ctx.close()
    [gap] = ctx.gaps
    assert gap.operation == "ListKnowledgeBases" and "lacks knowledgeBaseId" in gap.error


def test_model_ids_as_configuration_names_them() -> None:
    model_arn = arns.bedrock_model_arn
    assert model_arn("anthropic.claude-v2", R, A) == f"arn:aws:bedrock:{R}::foundation-model/anthropic.claude-v2"
    assert arns.bedrock_model_arn("us.meta.llama3-2-1b-instruct-v1:0", "us-east-1", A) == \
        f"arn:aws:bedrock:us-east-1:{A}:inference-profile/us.meta.llama3-2-1b-instruct-v1:0"
    custom = f"arn:aws:bedrock:{R}:{A}:custom-model/amazon.titan-text-express-v1:0:8k/abc"
    assert arns.bedrock_model_arn(custom, R, A) == custom
    assert model_arn("amazon.nova-lite-v1:0", "cn-north-1", A).startswith("arn:aws-cn:bedrock:cn-north-1::")
    # A state machine's InvokeModel task names the same profile as the same node.
    task = {"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": "arn:aws:states:::bedrock:invokeModel",
                                                "Parameters": {"ModelId": "us.meta.llama3-2-1b-instruct-v1:0",
                                                               "Body": {}}, "End": True}}}
    machine = asl.Machine(f"arn:aws:states:us-east-1:{A}:stateMachine:m", "us-east-1", A)
    facts = asl.parse_definition(task, machine).facts
    assert f"arn:aws:bedrock:us-east-1:{A}:inference-profile/us.meta.llama3-2-1b-instruct-v1:0" in {
        e.target for e in facts.edges}
    for model in (custom, HAIKU, SONNET_PROFILE):
        assert arns.kind_for_arn(model) == "bedrock.model"
    assert arns.kind_for_arn(KB_DOCS) == "bedrock.knowledge_base" and arns.kind_for_arn(SUPPORT) == "bedrock.agent"
    assert arns.kind_for_arn(COLLECTION) == "aoss.collection" and arns.kind_for_arn(LOGGING) == \
        "bedrock.invocation_logging"


# --- invocation logging joined to the models ------------------------------------------------------------


def _logging(account: str, region: str, delivers: tuple[str, ...] = ("text",)) -> Node:
    return Node(bedrock.invocation_logging_id(region, account), "bedrock.invocation_logging", "logging",
                stage_for("bedrock.invocation_logging"), account, region, True, {"delivers": list(delivers)})


def _model(model: str) -> Node:
    return arns.referenced_node(model)


def test_every_model_of_a_region_writes_to_the_logging_of_each_account_that_may_invoke_it() -> None:
    other = "444455556666"
    custom = f"arn:aws:bedrock:{R}:{other}:custom-model/tuned/abc"
    dynamic = arns.dynamic_id(f"arn:aws:states:{R}:{A}:stateMachine:ask", "States.Ask.Parameters.ModelId")
    nodes = {n.id: n for n in (
        _logging(A, R), _logging(other, R), _logging(A, "us-east-1"), _logging("777788889999", R, delivers=()),
        _model(HAIKU), _model(custom), _model("arn:aws:bedrock:ap-south-1::foundation-model/x"),
        Node(dynamic, "bedrock.model", "ModelId", stage_for("bedrock.model"), observed=False))}
    edges = {(e.source, e.target) for e in logged_invocations(nodes)}
    assert edges == {
        (HAIKU, LOGGING), (HAIKU, bedrock.invocation_logging_id(R, other)),  # either account may invoke it
        (custom, bedrock.invocation_logging_id(R, other)),  # only its own account's
        (dynamic, LOGGING)}  # chosen at run time, invoked from the machine's account and region
    [edge] = [e for e in logged_invocations(nodes) if e.source == custom]
    assert edge.kind == EdgeKind.WRITES and edge.evidence[0].operation == \
        "bedrock:GetModelInvocationLoggingConfiguration"
    assert logged_invocations({HAIKU: _model(HAIKU)}) == []


def test_the_graph_joins_models_to_the_logging_of_their_region() -> None:
    graph = build_graph([_facts()])
    writes = {e.source for e in graph.flows_in(LOGGING) if e.kind == EdgeKind.WRITES}
    assert writes == {TITAN, HAIKU, SONNET_PROFILE,
                      f"arn:aws:bedrock:{R}::foundation-model/cohere.embed-multilingual-v3",
                      f"arn:aws:bedrock:{R}::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0"}
    assert graph.nodes[HAIKU].kind == "bedrock.model" and not graph.nodes[HAIKU].observed
    assert graph.nodes[COLLECTION].kind == "aoss.collection" and graph.nodes[COLLECTION].stage.value == "storage"
    assert graph.problems == []


# --- rules ---------------------------------------------------------------------------------------------


def _personal_bucket() -> Node:
    """lp-docs, tagged as holding e-mail addresses: every path in it does."""
    return Node(arns.bucket_arn("lp-docs"), "s3.bucket", "lp-docs", stage_for("s3.bucket"), A, R, True,
                {"tags": {"lineage:pii": "email"}})


def _log_group(name: str, retention: int | None, key: str | None) -> Node:
    return Node(arns.log_group_arn(R, A, name), "logs.log_group", name, stage_for("logs.log_group"), A, R, True,
                {"retention_days": retention, "kms_key": key,
                 "encryption": {"type": "kms", "kms_key": key} if key else {"type": "aws-owned", "kms_key": None}})


def _findings(*facts: Facts) -> dict[tuple[str, str], Any]:
    return {(f.rule, f.node): f for f in evaluate(build_graph(list(facts))).findings if f.rule.startswith("bedrock.")}


def test_an_agent_on_personal_data_without_a_guardrail_is_found_and_one_with_a_guardrail_is_not() -> None:
    found = _findings(_facts(), Facts((_personal_bucket(),)))
    finding = found[("bedrock.model_without_guardrail", HELPER)]
    assert finding.severity == Severity.HIGH and finding.category.value == "pii"
    assert "course-helper" in finding.message and "(email)" in finding.message and "claude-3-haiku" in finding.message
    assert finding.evidence[0] == Evidence("bedrock:GetAgent", HELPER, "agent.guardrailConfiguration", "not set")
    assert "update-agent" in finding.remediation and "GuardrailIdentifier" in finding.remediation
    assert ("bedrock.model_without_guardrail", SUPPORT) not in found  # its guardrail is attached
    # Models invoked by agents and knowledge bases only: the agent answers for its own invocations.
    assert not [node for rule, node in found if rule == "bedrock.model_without_guardrail" and "foundation" in node]
    source = found[("bedrock.knowledge_base_source_with_personal_data", KB_DOCS)]
    assert source.severity == Severity.MEDIUM and "s3://lp-docs/courses (email)" in source.message
    assert COLLECTION in source.message
    assert ("bedrock.knowledge_base_source_with_personal_data", KB_PINE) not in found


def test_without_personal_data_no_agent_is_found() -> None:
    found = _findings(_facts())
    assert not [key for key in found if key[0] in ("bedrock.model_without_guardrail",
                                                   "bedrock.knowledge_base_source_with_personal_data")]


def _machine(name: str, path: str) -> Facts:
    machine = Node(arns.state_machine_arn(R, A, name), "states.state_machine", name,
                   stage_for("states.state_machine"), A, R, True, {"tags": {"lineage:pii": "email"}})
    edge_evidence = (Evidence("states:DescribeStateMachine", machine.id, path, "anthropic.claude-v2"),)
    model = f"arn:aws:bedrock:{R}::foundation-model/anthropic.claude-v2"
    return Facts((machine,), (Edge(machine.id, model, EdgeKind.INVOKES, edge_evidence),))


def test_a_state_machine_invoking_a_model_is_judged_by_the_guardrail_its_task_names() -> None:
    model = f"arn:aws:bedrock:{R}::foundation-model/anthropic.claude-v2"
    unguarded = _findings(_machine("ask", "States.Ask.Parameters.ModelId"))
    finding = unguarded[("bedrock.model_without_guardrail", model)]
    assert "by ask (email)" in finding.message and finding.evidence[0].path == "States.Ask.Parameters.ModelId"
    guarded = _machine("ask-safely", "States.Ask.Parameters.ModelId, Parameters.GuardrailIdentifier")
    assert ("bedrock.model_without_guardrail", model) not in _findings(guarded)


def test_invocation_logs_kept_for_ever_or_without_a_customer_key_are_found() -> None:
    logging = _logging(A, R)
    kept = _log_group("/aws/bedrock/model-invocations", None, None)
    writes = Facts((logging, kept), (
        Edge(logging.id, kept.id, EdgeKind.WRITES, (Evidence("bedrock:GetModelInvocationLoggingConfiguration",
                                                                      logging.id, "loggingConfig", "x"),)),))
    found = _findings(writes)
    retention = found[("bedrock.invocation_logging_without_retention", LOGGING)]
    assert retention.severity == Severity.MEDIUM and "never expires" in retention.message
    assert "put-retention-policy" in retention.remediation
    assert [e.operation for e in retention.evidence] == ["bedrock:GetModelInvocationLoggingConfiguration",
                                                         "logs:DescribeLogGroups"]
    key = found[("bedrock.invocation_logging_without_customer_key", LOGGING)]
    assert key.severity == Severity.MEDIUM and "keys owned by AWS" in key.message
    assert "associate-kms-key" in key.remediation
    # Personal data reaching the logs (through a model invoked on it) raises both.
    haiku = Facts((_personal_bucket(),), (Edge(arns.bucket_arn("lp-docs"), HAIKU, EdgeKind.INVOKES),))
    raised = _findings(writes, haiku)
    assert raised[("bedrock.invocation_logging_without_retention", LOGGING)].severity == Severity.HIGH
    assert raised[("bedrock.invocation_logging_without_customer_key", LOGGING)].severity == Severity.HIGH


def test_invocation_logs_with_retention_and_a_customer_key_or_unread_are_not_found() -> None:
    logging = _logging(A, R)
    kept = _log_group("/aws/bedrock/model-invocations", 30, f"arn:aws:kms:{R}:{A}:key/k")
    unread_bucket = "arn:aws:s3:::lp-bedrock-logs/invocations"  # a bucket the scan did not read: unknown, not judged
    facts = Facts((logging, kept), tuple(Edge(logging.id, target, EdgeKind.WRITES) for target in
                                         (kept.id, unread_bucket)))
    assert _findings(facts) == {}


# --- get on moto ---------------------------------------------------------------------------------------


@mock_aws
def test_bedrock_get_on_moto() -> None:
    session = boto3.Session(region_name=R)
    ctx = AwsContext(session, [R])
    assert bedrock.get_bedrock(ctx, R) == {"Logging": {"loggingConfig": {}}, "Guardrails": [], "KnowledgeBases": [],
                                           "Agents": []}
    account = boto3.client("sts", region_name=R).get_caller_identity()["Account"]
    role = f"arn:aws:iam::{account}:role/bedrock"
    session.client("bedrock").put_model_invocation_logging_configuration(loggingConfig={
        "cloudWatchConfig": {"logGroupName": "/aws/bedrock/invocations", "roleArn": role},
        "textDataDeliveryEnabled": True})
    agents = session.client("bedrock-agent")
    kb = agents.create_knowledge_base(
        name="docs", roleArn=role,
        knowledgeBaseConfiguration={"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {"embeddingModelArn": TITAN}},
        storageConfiguration={"type": "OPENSEARCH_SERVERLESS", "opensearchServerlessConfiguration": {
            "collectionArn": COLLECTION, "vectorIndexName": "i",
            "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"}}})["knowledgeBase"]
    seed_data_source(account, R, kb["knowledgeBaseId"], "docs", {
        "type": "S3", "s3Configuration": {"bucketArn": "arn:aws:s3:::lp-docs", "inclusionPrefixes": ["courses/"]}})
    agent = agents.create_agent(agentName="helper", agentResourceRoleArn=role,
                                foundationModel="anthropic.claude-3-haiku-20240307-v1:0")["agent"]
    seed_action_group(account, R, agent["agentId"], "orders", ORDERS)
    seed_agent_knowledge_base(account, R, agent["agentId"], kb["knowledgeBaseId"], "docs")
    guardrail = seed_guardrail(account, R, "students", {"sensitiveInformationPolicy": {
        "piiEntities": [{"type": "EMAIL", "action": "ANONYMIZE"}]}})
    raw = bedrock.get_bedrock(ctx, R)
    ctx.close()
    assert ctx.gaps == []
    facts = bedrock.transform_bedrock(raw, account, R)
    nodes = {n.kind: n for n in facts.nodes}
    assert nodes["bedrock.guardrail"].id == f"arn:aws:bedrock:{R}:{account}:guardrail/{guardrail}"
    assert nodes["bedrock.guardrail"].attributes["pii_entities"] == {"EMAIL": "ANONYMIZE"}
    kb_id, agent_id = kb["knowledgeBaseArn"], agent["agentArn"]
    assert nodes["bedrock.knowledge_base"].id == kb_id and nodes["bedrock.agent"].id == agent_id
    assert _edges(facts) == {
        ("arn:aws:s3:::lp-docs/courses", kb_id, "reads"), (kb_id, TITAN, "invokes"), (kb_id, COLLECTION, "writes"),
        (agent_id, HAIKU, "invokes"), (agent_id, ORDERS, "invokes"), (kb_id, agent_id, "reads"),
        (bedrock.invocation_logging_id(R, account), arns.log_group_arn(R, account, "/aws/bedrock/invocations"),
         "writes")}
    assert all("unread" not in n.attributes for n in facts.nodes)
    assert bedrock.transform_bedrock({"Logging": {"loggingConfig": {}}}, account, R).nodes[0].attributes == \
        {"enabled": False}  # what moto answers before any configuration is put, as AWS answers `{}`


def _asking_machine(guarded: tuple[str, ...]) -> list[Facts]:
    """A machine holding personal data whose tasks A and B invoke one model, those named in `guarded` through a
    guardrail — as `lineage.asl` reads the definition."""
    from lineage.asl import Machine, parse_definition  # noqa: PLC0415 - only these cases read a definition

    machine = arns.state_machine_arn(R, A, "ask")
    states = {name: {"Type": "Task", "Resource": "arn:aws:states:::bedrock:invokeModel", "Next": "B",
                     "Parameters": {"ModelId": "anthropic.claude-v2", "Body": {},
                                    **({"GuardrailIdentifier": "gr-1", "GuardrailVersion": "1"}
                                       if name in guarded else {})}} for name in ("A", "B")}
    del states["B"]["Next"]
    states["B"]["End"] = True
    parsed_machine = parse_definition({"StartAt": "A", "States": states}, Machine(machine, R, A)).facts
    node = Node(machine, "states.state_machine", "ask", stage_for("states.state_machine"), A, R, True,
                {"tags": {"lineage:pii": "email"}})
    return [Facts((node,)), parsed_machine]


def test_each_task_invoking_the_model_must_name_its_guardrail() -> None:
    model = f"arn:aws:bedrock:{R}::foundation-model/anthropic.claude-v2"
    key = ("bedrock.model_without_guardrail", model)
    assert key in _findings(*_asking_machine(()))
    assert key in _findings(*_asking_machine(("A",)))  # task B still sends the data unfiltered
    assert key not in _findings(*_asking_machine(("A", "B")))


def test_where_nothing_of_bedrock_answers_no_logging_setting_is_made_up() -> None:
    """A region without Bedrock (its endpoint does not answer): one gap, and no logging node said to be unread."""
    ctx = AwsContext(boto3.Session(region_name=R, aws_access_key_id="t", aws_secret_access_key="t"), [R],
                     endpoint_url="http://127.0.0.1:9", max_attempts=1)
    raw = bedrock.get_bedrock(ctx, R)
    ctx.close()
    assert raw == {"Guardrails": None, "KnowledgeBases": None, "Agents": None}
    assert bedrock.transform_bedrock(raw, A, R) == Facts()
    assert [gap.operation for gap in ctx.gaps] == ["GetModelInvocationLoggingConfiguration"]
