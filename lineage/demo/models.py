"""The demo's models part: where the platform's data meets Bedrock.

A course assistant answers students' questions. Its knowledge base, `course-assistant-kb`, embeds the
curated enrollments (`s3://lp-curated-data/enrollments/`, which hold student e-mail addresses) with Titan
Text Embeddings v2 into an OpenSearch Serverless collection; the agent `course-assistant` runs on Claude 3
Haiku, queries that knowledge base and calls its own function, `course-assistant-actions`, through an
action group (what a student asks, and what the knowledge base answered, reach that function). Model
invocation logging copies every prompt and answer to a log group and to the Athena results bucket. Left
open on purpose: the agent has no guardrail — although a guardrail `student-pii` that anonymises e-mail
addresses and names exists, nobody attached it — and the log group keeps the logs for ever, neither
destination under a key of the platform's own.

moto creates knowledge bases and agents but has no call that creates data sources, action groups,
guardrails or an agent's knowledge bases: those are seeded on moto's backends (`lineage.moto_support.bedrock`).
"""

from __future__ import annotations

from lineage.demo import ACCOUNT, CURATED, REGION, RESULTS, ClientFactory, lambda_zip
from lineage.moto_support.bedrock import (
    seed_action_group,
    seed_agent_knowledge_base,
    seed_data_source,
    seed_guardrail,
)

ROLE = f"arn:aws:iam::{ACCOUNT}:role/learning-platform-role"
LOG_GROUP = "/aws/bedrock/invocations"
EMBEDDING_MODEL = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"
AGENT_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
COLLECTION = f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/lpcourseassistant01"
ACTIONS = "course-assistant-actions"


def _invocation_logging(client: ClientFactory) -> None:
    client("logs").create_log_group(logGroupName=LOG_GROUP)  # no retention: left open
    client("bedrock").put_model_invocation_logging_configuration(loggingConfig={
        "cloudWatchConfig": {"logGroupName": LOG_GROUP, "roleArn": ROLE},
        "s3Config": {"bucketName": RESULTS, "keyPrefix": "bedrock/"},
        "textDataDeliveryEnabled": True, "imageDataDeliveryEnabled": False, "embeddingDataDeliveryEnabled": False})


def _knowledge_base(client: ClientFactory) -> str:
    knowledge_base = client("bedrock-agent").create_knowledge_base(
        name="course-assistant-kb", roleArn=ROLE, description="Enrollments, for the course assistant",
        knowledgeBaseConfiguration={"type": "VECTOR",
                                    "vectorKnowledgeBaseConfiguration": {"embeddingModelArn": EMBEDDING_MODEL}},
        storageConfiguration={"type": "OPENSEARCH_SERVERLESS", "opensearchServerlessConfiguration": {
            "collectionArn": COLLECTION, "vectorIndexName": "course-assistant",
            "fieldMapping": {"vectorField": "embedding", "textField": "text", "metadataField": "metadata"}}},
    )["knowledgeBase"]
    kb_id = str(knowledge_base["knowledgeBaseId"])
    seed_data_source(ACCOUNT, REGION, kb_id, "curated-enrollments", {
        "type": "S3",
        "s3Configuration": {"bucketArn": f"arn:aws:s3:::{CURATED}", "inclusionPrefixes": ["enrollments/"]}})
    return kb_id


def build(client: ClientFactory) -> None:
    _invocation_logging(client)
    kb_id = _knowledge_base(client)
    agent = client("bedrock-agent").create_agent(
        agentName="course-assistant", agentResourceRoleArn=ROLE, foundationModel=AGENT_MODEL,
        idleSessionTTLInSeconds=600, description="Answers students' questions about their courses",
        instruction="You help students with questions about the courses they are enrolled in.",
    )["agent"]  # without guardrailConfiguration: left open
    agent_id = str(agent["agentId"])
    actions = client("lambda").create_function(
        FunctionName=ACTIONS, Runtime="python3.12", Role=ROLE, Handler="handler.handler",
        Code={"ZipFile": lambda_zip()}, Description="Looks up a student's enrollments for the course assistant",
    )["FunctionArn"]
    seed_action_group(ACCOUNT, REGION, agent_id, "enrollments", actions)
    seed_agent_knowledge_base(ACCOUNT, REGION, agent_id, kb_id, "Course enrollments")
    # The guardrail the agent should have: it exists, and is attached to nothing.
    seed_guardrail(ACCOUNT, REGION, "student-pii", {
        "description": "Anonymises students' personal data in prompts and answers",
        "sensitiveInformationPolicy": {"piiEntities": [
            {"type": "EMAIL", "action": "ANONYMIZE", "inputAction": "ANONYMIZE", "outputAction": "ANONYMIZE",
             "inputEnabled": True, "outputEnabled": True},
            {"type": "NAME", "action": "ANONYMIZE", "inputAction": "ANONYMIZE", "outputAction": "ANONYMIZE",
             "inputEnabled": True, "outputEnabled": True}]},
        "contentPolicy": {"filters": [
            {"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"}]}})
