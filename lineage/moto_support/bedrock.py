"""Bedrock operations a scan makes that moto 5.2.5 does not serve, served from state kept on moto's backends.

moto serves model invocation logging, agents and knowledge bases, but has no guardrails, no knowledge-base
data sources, no agent action groups and no association of a knowledge base with an agent — nor any call
that creates them. The `seed_*` functions put them on moto's backends (shaped as the Get* answers of the
API reference), and the operations below answer from there, as AWS would: ListGuardrails and GetGuardrail
(`bedrock`); ListDataSources, GetDataSource, ListAgentActionGroups, GetAgentActionGroup and
ListAgentKnowledgeBases (`bedrock-agent`). Nothing is seeded by default, as in an account that has none.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from moto.bedrock import urls as bedrock_urls
from moto.bedrock.exceptions import ResourceNotFoundException as GuardrailNotFound
from moto.bedrock.models import bedrock_backends
from moto.bedrock.responses import BedrockResponse
from moto.bedrockagent import urls as agent_urls
from moto.bedrockagent.exceptions import ResourceNotFoundException
from moto.bedrockagent.models import bedrockagent_backends
from moto.bedrockagent.responses import AgentsforBedrockResponse
from moto.core.utils import unix_time

# Attributes of moto's backends holding what was seeded.
_GUARDRAILS = "lineage_guardrails"  # guardrail id → GetGuardrail answer
_DATA_SOURCES = "lineage_data_sources"  # knowledge base id → [GetDataSource's dataSource]
_ACTION_GROUPS = "lineage_action_groups"  # agent id → [GetAgentActionGroup's agentActionGroup]
_AGENT_KNOWLEDGE_BASES = "lineage_agent_knowledge_bases"  # agent id → [agent knowledge base summaries]
_BLOCKED = "Sorry, I cannot answer that."


def _held(backend: Any, attribute: str) -> dict[str, Any]:
    if not hasattr(backend, attribute):
        setattr(backend, attribute, {})
    return getattr(backend, attribute)


def _new_id() -> str:
    return uuid.uuid4().hex[:10].upper()


def seed_guardrail(account: str, region: str, name: str, policies: Mapping[str, Any]) -> str:
    """A guardrail (its working draft) with the policies given (`sensitiveInformationPolicy`, …); its id."""
    guardrail_id = _new_id().lower()
    now = unix_time()
    _held(bedrock_backends[account][region], _GUARDRAILS)[guardrail_id] = {
        "name": name, "guardrailId": guardrail_id, "version": "DRAFT", "status": "READY",
        "guardrailArn": f"arn:aws:bedrock:{region}:{account}:guardrail/{guardrail_id}",
        **policies, "createdAt": now, "updatedAt": now,
        "blockedInputMessaging": _BLOCKED, "blockedOutputsMessaging": _BLOCKED}
    return guardrail_id


def seed_data_source(account: str, region: str, knowledge_base_id: str, name: str,
                     configuration: Mapping[str, Any], **extra: Any) -> str:
    """A data source of a knowledge base moto holds (`dataSourceConfiguration` as the API takes it); its id."""
    backend = bedrockagent_backends[account][region]
    backend.get_knowledge_base(knowledge_base_id)  # as AWS: only on a knowledge base that exists
    source_id = _new_id()
    now = unix_time()
    _held(backend, _DATA_SOURCES).setdefault(knowledge_base_id, []).append({
        "knowledgeBaseId": knowledge_base_id, "dataSourceId": source_id, "name": name, "status": "AVAILABLE",
        "dataSourceConfiguration": dict(configuration), "dataDeletionPolicy": "DELETE", **extra,
        "createdAt": now, "updatedAt": now})
    return source_id


def seed_action_group(account: str, region: str, agent_id: str, name: str, function_arn: str) -> str:
    """An enabled action group of an agent's draft, run by a Lambda function; its id."""
    backend = bedrockagent_backends[account][region]
    backend.get_agent(agent_id)
    group_id = _new_id()
    now = unix_time()
    _held(backend, _ACTION_GROUPS).setdefault(agent_id, []).append({
        "agentId": agent_id, "agentVersion": "DRAFT", "actionGroupId": group_id, "actionGroupName": name,
        "actionGroupExecutor": {"lambda": function_arn}, "actionGroupState": "ENABLED",
        "createdAt": now, "updatedAt": now})
    return group_id


def seed_agent_knowledge_base(account: str, region: str, agent_id: str, knowledge_base_id: str,
                              description: str) -> None:
    """A knowledge base associated with an agent's draft, enabled."""
    backend = bedrockagent_backends[account][region]
    backend.get_agent(agent_id)
    backend.get_knowledge_base(knowledge_base_id)
    _held(backend, _AGENT_KNOWLEDGE_BASES).setdefault(agent_id, []).append({
        "knowledgeBaseId": knowledge_base_id, "description": description, "knowledgeBaseState": "ENABLED",
        "updatedAt": unix_time()})


def _page(response: Any, items: list[dict[str, Any]], key: str) -> str:
    """One page of `items` after the `nextToken` asked for (an offset), as the API pages them."""
    params = response._get_params() if response.method == "GET" else json.loads(response.body or "{}")
    start = int(params.get("nextToken") or 0)
    size = int(params.get("maxResults") or 100)
    answer: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        answer["nextToken"] = str(start + size)
    return json.dumps(answer)


def _segment(response: Any, after: str) -> str:
    """The path segment after `after` (`/agents/ID/…` → ID)."""
    match = re.search(rf"/{after}/([^/]+)", response.path)
    return unquote(match.group(1)) if match else ""


def _list_guardrails(self: BedrockResponse) -> str:
    held = _held(self.bedrock_backend, _GUARDRAILS)
    summaries = [{key: g[key] for key in ("name", "status", "version", "createdAt", "updatedAt")}
                 | {"id": g["guardrailId"], "arn": g["guardrailArn"]} for g in held.values()]
    return _page(self, summaries, "guardrails")


def _get_guardrail(self: BedrockResponse) -> str:
    wanted = _segment(self, "guardrails").split(":guardrail/")[-1]
    held = _held(self.bedrock_backend, _GUARDRAILS)
    if wanted not in held:
        raise GuardrailNotFound(f"Guardrail {wanted} not found")
    return json.dumps(held[wanted])


def _agent_backend(response: AgentsforBedrockResponse) -> Any:
    return response.bedrockagent_backend


def _sources_of(response: AgentsforBedrockResponse) -> list[dict[str, Any]]:
    kb_id = _segment(response, "knowledgebases")
    _agent_backend(response).get_knowledge_base(kb_id)
    return list(_held(_agent_backend(response), _DATA_SOURCES).get(kb_id, []))


def _list_data_sources(self: AgentsforBedrockResponse) -> str:
    summaries = [{key: s[key] for key in ("knowledgeBaseId", "dataSourceId", "name", "status", "updatedAt")}
                 for s in _sources_of(self)]
    return _page(self, summaries, "dataSourceSummaries")


def _get_data_source(self: AgentsforBedrockResponse) -> str:
    wanted = _segment(self, "datasources")
    found = [s for s in _sources_of(self) if s["dataSourceId"] == wanted]
    if not found:
        raise ResourceNotFoundException(f"Data source {wanted} not found")
    return json.dumps({"dataSource": found[0]})


def _groups_of(response: AgentsforBedrockResponse) -> list[dict[str, Any]]:
    agent_id = _segment(response, "agents")
    _agent_backend(response).get_agent(agent_id)
    return list(_held(_agent_backend(response), _ACTION_GROUPS).get(agent_id, []))


def _list_action_groups(self: AgentsforBedrockResponse) -> str:
    summaries = [{key: g[key] for key in ("actionGroupId", "actionGroupName", "actionGroupState", "updatedAt")}
                 for g in _groups_of(self)]
    return _page(self, summaries, "actionGroupSummaries")


def _get_action_group(self: AgentsforBedrockResponse) -> str:
    wanted = _segment(self, "actiongroups")
    found = [g for g in _groups_of(self) if g["actionGroupId"] == wanted]
    if not found:
        raise ResourceNotFoundException(f"Action group {wanted} not found")
    return json.dumps({"agentActionGroup": found[0]})


def _list_agent_knowledge_bases(self: AgentsforBedrockResponse) -> str:
    agent_id = _segment(self, "agents")
    _agent_backend(self).get_agent(agent_id)
    held = _held(_agent_backend(self), _AGENT_KNOWLEDGE_BASES).get(agent_id, [])
    return _page(self, list(held), "agentKnowledgeBaseSummaries")


_AGENT_VERSION = "{0}/agents/[^/]+/agentversions/[^/]+"
ADDITIONS: list[tuple[Any, type, str, str, Any]] = [
    (bedrock_urls, BedrockResponse, "{0}/guardrails$", "list_guardrails", _list_guardrails),
    (bedrock_urls, BedrockResponse, "{0}/guardrails/[^/]+$", "get_guardrail", _get_guardrail),
    (agent_urls, AgentsforBedrockResponse, "{0}/knowledgebases/[^/]+/datasources/$", "list_data_sources",
     _list_data_sources),
    (agent_urls, AgentsforBedrockResponse, "{0}/knowledgebases/[^/]+/datasources/[^/]+$", "get_data_source",
     _get_data_source),
    (agent_urls, AgentsforBedrockResponse, f"{_AGENT_VERSION}/actiongroups/$", "list_agent_action_groups",
     _list_action_groups),
    (agent_urls, AgentsforBedrockResponse, f"{_AGENT_VERSION}/actiongroups/[^/]+/$", "get_agent_action_group",
     _get_action_group),
    (agent_urls, AgentsforBedrockResponse, f"{_AGENT_VERSION}/knowledgebases/$", "list_agent_knowledge_bases",
     _list_agent_knowledge_bases),
]
