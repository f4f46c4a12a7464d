"""Bedrock knowledge bases, their data sources, agents and guardrails in a template → what GetKnowledgeBase and
GetDataSource, GetAgent, GetAgentActionGroup and ListAgentKnowledgeBases, ListGuardrails and GetGuardrail answer
for the deployed stack → the Bedrock collector's transform.

CloudFormation's properties are the API's fields with a capital first letter, with a few names of their own:
`SupplementalDataStorageLocations` (the API's `storageLocations`), `S3Location.URI` (`uri`), an agent's
`ParentActionGroupSignature` (`parentActionSignature`), a guardrail's `…PolicyConfig`, `FiltersConfig`,
`PiiEntitiesConfig` (`…Policy`, `filters`, `piiEntities`). An agent's action groups and knowledge bases are
properties of the agent, read as the listings of its working draft (`DRAFT`), which is what the collector reads.

Ids Bedrock chooses (a knowledge base's, an agent's, a guardrail's) are read as stand-ins and shown as the logical
ids. Model invocation logging has no CloudFormation resource: it is the account's setting, read by a scan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors import bedrock
from lineage.model import Facts
from templates.naming import stand_in_name
from templates.services.common import by_owner
from templates.stack import Placed, Stack, each_placed

KNOWLEDGE_BASE, DATA_SOURCE, AGENT, GUARDRAIL = ("AWS::Bedrock::KnowledgeBase", "AWS::Bedrock::DataSource",
                                                 "AWS::Bedrock::Agent", "AWS::Bedrock::Guardrail")
TYPES = frozenset({KNOWLEDGE_BASE, DATA_SOURCE, AGENT, GUARDRAIL})
# CloudFormation's names that are not the API's with a capital first letter.
_RENAMED = {"URI": "uri", "SupplementalDataStorageLocations": "storageLocations",
            "SupplementalDataStorageLocationType": "type", "ParentActionGroupSignature": "parentActionSignature",
            "ContentPolicyConfig": "contentPolicy", "TopicPolicyConfig": "topicPolicy",
            "WordPolicyConfig": "wordPolicy",
            "SensitiveInformationPolicyConfig": "sensitiveInformationPolicy",
            "ContextualGroundingPolicyConfig": "contextualGroundingPolicy", "FiltersConfig": "filters",
            "TopicsConfig": "topics", "WordsConfig": "words", "ManagedWordListsConfig": "managedWordLists",
            "PiiEntitiesConfig": "piiEntities", "RegexesConfig": "regexes"}


def api_shaped(value: Any) -> Any:
    """A CloudFormation value with the API's field names: `VectorKnowledgeBaseConfiguration` →
    `vectorKnowledgeBaseConfiguration`, the few others renamed. A tag map's keys are data, not names: callers
    leave tags out."""
    if isinstance(value, Mapping):
        return {_RENAMED.get(str(k), str(k)[:1].lower() + str(k)[1:]): api_shaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [api_shaped(v) for v in value]
    return value


def knowledge_base_record(placed: Placed, sources: list[Placed], template_path: str) -> dict[str, Any]:
    """ListKnowledgeBases' summary, GetKnowledgeBase's `knowledgeBase`, and each data source's summary and
    GetDataSource's `dataSource`, for the deployed knowledge base."""
    p = placed.properties
    knowledge_base = api_shaped({k: v for k, v in p.items() if k != "Tags"})
    knowledge_base.update(knowledgeBaseId=placed.name, knowledgeBaseArn=placed.id, status="ACTIVE")
    data_sources = []
    for source in sources:
        shaped = api_shaped({k: v for k, v in source.properties.items() if k != "KnowledgeBaseId"})
        source_id = stand_in_name(template_path, source.logical_id)  # Bedrock chooses it
        shaped.update(dataSourceId=source_id, knowledgeBaseId=placed.name, status="AVAILABLE")
        data_sources.append({"Listed": {"dataSourceId": source_id, "name": shaped.get("name", ""),
                                        "status": "AVAILABLE"}, "DataSource": shaped})
    return {"Listed": {"knowledgeBaseId": placed.name, "name": str(p.get("Name") or ""), "status": "ACTIVE"},
            "KnowledgeBase": knowledge_base, "DataSources": data_sources}


def agent_record(placed: Placed) -> dict[str, Any]:
    """ListAgents' summary, GetAgent's `agent`, and the agent's working draft's action groups and knowledge bases."""
    p = placed.properties
    agent = api_shaped({k: v for k, v in p.items() if k not in ("ActionGroups", "KnowledgeBases", "Tags",
                                                               "TestAliasTags")})
    # The draft is prepared at creation only when asked; its status says which.
    status = "PREPARED" if str(agent.get("autoPrepare")).lower() == "true" else "NOT_PREPARED"
    agent.update(agentId=placed.name, agentArn=placed.id, agentStatus=status, agentVersion=bedrock.DRAFT)
    groups = []
    for index, group in enumerate(p.get("ActionGroups") or []):
        if not isinstance(group, Mapping):
            continue
        shaped = api_shaped(group)
        shaped.setdefault("actionGroupState", "ENABLED")
        shaped["actionGroupId"] = f"{placed.name}-group-{index}"
        groups.append({"Listed": {"actionGroupId": shaped["actionGroupId"],
                                  "actionGroupName": shaped.get("actionGroupName", ""),
                                  "actionGroupState": shaped["actionGroupState"]}, "ActionGroup": shaped})
    knowledge_bases = [{"knowledgeBaseId": str(kb.get("KnowledgeBaseId")),
                        "knowledgeBaseState": str(kb.get("KnowledgeBaseState") or "ENABLED"),
                        "description": str(kb.get("Description") or "")}
                       for kb in p.get("KnowledgeBases") or [] if isinstance(kb, Mapping) and kb.get("KnowledgeBaseId")]
    listed = {"agentId": placed.name, "agentName": str(p.get("AgentName") or ""), "agentStatus": status}
    if isinstance(agent.get("guardrailConfiguration"), Mapping):
        listed["guardrailConfiguration"] = agent["guardrailConfiguration"]
    return {"Listed": listed, "Agent": agent, "ActionGroups": groups, "KnowledgeBases": knowledge_bases}


def guardrail_record(placed: Placed) -> dict[str, Any]:
    """ListGuardrails' summary and GetGuardrail's answer for the deployed guardrail's working draft."""
    p = placed.properties
    guardrail = api_shaped({k: v for k, v in p.items() if k != "Tags"})
    guardrail.update(guardrailId=placed.name, guardrailArn=placed.id, version=bedrock.DRAFT, status="READY")
    return {"Listed": {"id": placed.name, "arn": placed.id, "name": str(p.get("Name") or ""),
                       "version": bedrock.DRAFT, "status": "READY"}, "Guardrail": guardrail}


def _sources_by_knowledge_base(stack: Stack) -> dict[str, list[Placed]]:
    """The data sources of each knowledge base the stack defines, by the knowledge base's id as read."""
    bases = {p.name for p in stack.placed.values() if p.type == KNOWLEDGE_BASE}
    return by_owner(stack, DATA_SOURCE, "KnowledgeBaseId", bases,
                    "data source {}: its knowledge base is not one this template defines; not read")


def facts(stack: Stack) -> Facts:
    if not any(p.type in TYPES for p in stack.placed.values()):
        return Facts()
    sources = _sources_by_knowledge_base(stack)
    raw = {
        "Guardrails": each_placed(stack, frozenset({GUARDRAIL}), guardrail_record),
        "KnowledgeBases": each_placed(stack, frozenset({KNOWLEDGE_BASE}),
                                      lambda p: knowledge_base_record(p, sources.get(p.name, []), stack.template.path)),
        "Agents": each_placed(stack, frozenset({AGENT}), agent_record),
    }
    return bedrock.transform_bedrock(raw, stack.account, stack.region)
