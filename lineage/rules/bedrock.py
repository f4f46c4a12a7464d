"""Bedrock rules: personal data reaching a model without a guardrail, model invocation logs (a copy of every
prompt and answer) kept without retention or without a customer key, and knowledge bases that turn personal
data into vectors any answer may quote."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lineage import arn as arns
from lineage.graph import Graph
from lineage.invocation_logging import LOGGING_KIND as LOGGING
from lineage.invocation_logging import MODEL_KIND as MODEL
from lineage.model import Category, Edge, EdgeKind, Evidence, Node, Severity
from lineage.pii import carries_personal_data
from lineage.protection import ENCRYPTION, RETENTION, Answer, protection
from lineage.rules import Hit, rule

AGENT, KNOWLEDGE_BASE = "bedrock.agent", "bedrock.knowledge_base"
# A state machine's InvokeModel task names its guardrail in `Parameters.GuardrailIdentifier` (`lineage.asl`).
_GUARDRAIL_FIELD = "GuardrailIdentifier"


def _categories(node: Node) -> str:
    return ", ".join(node.attributes["personal_data"]["categories"])


def _invocations(graph: Graph, node: Node) -> list[Edge]:
    return [edge for edge in graph.flows_out(node.id) if edge.kind == EdgeKind.INVOKES
            and (target := graph.nodes.get(edge.target)) is not None and target.kind == MODEL]


def _unguarded_agent(graph: Graph, agent: Node) -> Iterator[Hit]:
    if not agent.observed or "guardrail" not in agent.attributes or agent.attributes["guardrail"] is not None:
        return  # not read (nothing to judge), or a guardrail is attached
    if not carries_personal_data(agent):
        return
    models = _invocations(graph, agent)
    named = ", ".join(graph.nodes[e.target].name for e in models) or "its model"
    evidence = (Evidence("bedrock:GetAgent", agent.id, "agent.guardrailConfiguration", "not set"),
                *(e for edge in models for e in edge.evidence))
    yield Hit(agent.id, f"Agent {agent.name} sends personal data ({_categories(agent)}) to {named} without a "
              "guardrail: prompts, knowledge-base passages and answers reach the model, and the user, unfiltered.",
              evidence)


def _unguarded_invokers(graph: Graph, model: Node) -> Iterator[Hit]:
    unguarded: list[tuple[Node, Edge]] = []
    for edge in graph.flows_in(model.id):
        invoker = graph.nodes.get(edge.source)
        if edge.kind != EdgeKind.INVOKES or invoker is None or invoker.kind in (AGENT, KNOWLEDGE_BASE):
            continue  # agents are judged on their own node; a knowledge base only embeds (no guardrail applies)
        if _every_invocation_guarded(edge):
            continue
        if carries_personal_data(invoker):
            unguarded.append((invoker, edge))
    if unguarded:
        names = ", ".join(f"{invoker.name} ({_categories(invoker)})" for invoker, _ in unguarded)
        yield Hit(model.id, f"Model {model.name} is invoked on a personal-data flow without a guardrail by {names}.",
                  tuple(e for _, edge in unguarded for e in edge.evidence))


def _every_invocation_guarded(edge: Edge) -> bool:
    """Whether each invocation the edge stands for names a guardrail beside its model: a machine's tasks invoking
    one model are one edge, each task's `…Parameters.ModelId` evidence next to its own `…GuardrailIdentifier`."""
    guarded = {e.path.split(_GUARDRAIL_FIELD, 1)[0] for e in edge.evidence if _GUARDRAIL_FIELD in e.path}
    invocations = [e.path for e in edge.evidence if _GUARDRAIL_FIELD not in e.path]
    return bool(guarded) and all(any(path.startswith(prefix) for prefix in guarded) for path in invocations)


def model_without_guardrail(graph: Graph, node: Node) -> Iterator[Hit]:
    yield from _unguarded_agent(graph, node) if node.kind == AGENT else _unguarded_invokers(graph, node)


rule(
    model_without_guardrail,
    id="bedrock.model_without_guardrail",
    title="Bedrock model invoked on a personal-data flow without a guardrail",
    category=Category.PII,
    severity=Severity.HIGH,
    remediation=(
        "Create a guardrail whose sensitive-information filters anonymise or block the personal data involved "
        "(aws bedrock create-guardrail --name NAME --sensitive-information-policy-config "
        "'piiEntitiesConfig=[{type=EMAIL,action=ANONYMIZE}]' --blocked-input-messaging TEXT "
        "--blocked-outputs-messaging TEXT; aws bedrock create-guardrail-version --guardrail-identifier ID) and "
        "attach it: for an agent, aws bedrock-agent update-agent … --guardrail-configuration "
        "guardrailIdentifier=ID,guardrailVersion=1, then aws bedrock-agent prepare-agent --agent-id AGENT; for a "
        "Step Functions InvokeModel task, set GuardrailIdentifier and GuardrailVersion in its Parameters."
    ),
    kinds=(AGENT, MODEL),
    unobserved=True,  # AWS's foundation models are named, never read
)


def _destinations(graph: Graph, logging: Node) -> list[tuple[Node, Edge]]:
    return [(graph.nodes[edge.target], edge) for edge in graph.flows_out(logging.id)
            if edge.kind == EdgeKind.WRITES and edge.target in graph.nodes]


def _place(node: Node) -> str:
    parts = arns.s3_parts(node.id)
    if parts is not None:
        return f"s3://{parts[0]}/{parts[1]}" if parts[1] else f"s3://{parts[0]}"
    return f"log group {node.name}" if node.kind == "logs.log_group" else node.name


def _judged(graph: Graph, logging: Node, question: str,
            failing: Callable[[Answer], bool]) -> list[tuple[Node, Answer, Edge]]:
    found = []
    for place, edge in _destinations(graph, logging):
        answer = protection(graph, place)[question]
        if failing(answer):
            found.append((place, answer, edge))
    return found


def invocation_logging_without_retention(graph: Graph, node: Node) -> Iterator[Hit]:
    kept = _judged(graph, node, RETENTION, lambda answer: answer.ok is False)
    if kept:
        where = "; ".join(f"{_place(place)}: {answer.value}" for place, answer, _ in kept)
        yield Hit(node.id, f"Model invocation logging in {node.region} copies every prompt and answer to places "
                  f"that keep them for ever — {where}.",
                  tuple(e for _, answer, edge in kept for e in (*edge.evidence, *answer.evidence)))


rule(
    invocation_logging_without_retention,
    id="bedrock.invocation_logging_without_retention",
    title="Bedrock invocation logs kept without retention",
    category=Category.LIFECYCLE,
    severity=Severity.MEDIUM,
    remediation=(
        "Give every destination of the invocation logs a retention as short as they are needed for: the log "
        "group, aws logs put-retention-policy --log-group-name NAME --retention-in-days N; the S3 prefix, an "
        "expiration rule for it: aws s3api put-bucket-lifecycle-configuration --bucket BUCKET "
        "--lifecycle-configuration '{\"Rules\":[{\"ID\":\"bedrock-logs\",\"Status\":\"Enabled\","
        "\"Filter\":{\"Prefix\":\"PREFIX/\"},\"Expiration\":{\"Days\":N}}]}'"
    ),
    kinds=(LOGGING,),
)


def _without_customer_key(answer: Answer) -> bool:
    return answer.ok is False or answer.customer_key is False


def invocation_logging_without_customer_key(graph: Graph, node: Node) -> Iterator[Hit]:
    exposed = _judged(graph, node, ENCRYPTION, _without_customer_key)
    if exposed:
        where = "; ".join(f"{_place(place)}: {answer.value}" for place, answer, _ in exposed)
        yield Hit(node.id, f"Model invocation logging in {node.region} writes prompts and answers to places not "
                  f"encrypted with a key of the customer's own — {where}.",
                  tuple(e for _, answer, edge in exposed for e in (*edge.evidence, *answer.evidence)))


rule(
    invocation_logging_without_customer_key,
    id="bedrock.invocation_logging_without_customer_key",
    title="Bedrock invocation logs not encrypted with a customer managed key",
    category=Category.ENCRYPTION,
    severity=Severity.MEDIUM,
    remediation=(
        "Encrypt each destination with a customer managed KMS key whose policy lets the service use it: the log "
        "group, aws logs associate-kms-key --log-group-name NAME --kms-key-id KEY_ARN; the bucket, aws s3api "
        "put-bucket-encryption --bucket BUCKET --server-side-encryption-configuration '{\"Rules\":"
        "[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"KEY_ARN\"}}]}'"
    ),
    kinds=(LOGGING,),
)


def knowledge_base_source_with_personal_data(graph: Graph, node: Node) -> Iterator[Hit]:
    sources = [(graph.nodes[edge.source], edge) for edge in graph.flows_in(node.id)
               if edge.kind == EdgeKind.READS and edge.source in graph.nodes
               and graph.nodes[edge.source].kind not in (AGENT, KNOWLEDGE_BASE)
               and carries_personal_data(graph.nodes[edge.source])]
    if sources:
        names = ", ".join(f"{_place(source)} ({_categories(source)})" for source, _ in sources)
        store = (node.attributes.get("vector_store") or {}).get("id") or "its vector store"
        yield Hit(node.id, f"Knowledge base {node.name} turns personal data from {names} into vectors in {store}: "
                  "any answer grounded on it may quote it.", tuple(e for _, edge in sources for e in edge.evidence))


rule(
    knowledge_base_source_with_personal_data,
    id="bedrock.knowledge_base_source_with_personal_data",
    title="Bedrock knowledge base built from personal data",
    category=Category.PII,
    severity=Severity.MEDIUM,
    remediation=(
        "Confirm the knowledge base may hold this data. Otherwise narrow its data source to paths without personal "
        "data (aws bedrock-agent update-data-source … with s3Configuration inclusionPrefixes), or feed it a masked "
        "copy, then aws bedrock-agent start-ingestion-job; and attach a guardrail that anonymises personal data to "
        "every agent and RetrieveAndGenerate call that uses it."
    ),
    kinds=(KNOWLEDGE_BASE,),
)
