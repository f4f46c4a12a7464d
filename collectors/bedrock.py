"""Amazon Bedrock: where data meets models.

Read per region, through both of Bedrock's control-plane clients (`bedrock` and `bedrock-agent`, which
sign as one service, `bedrock`):

- model invocation logging (GetModelInvocationLoggingConfiguration): when it is on, every prompt and every
  answer of every model invoked in the account and region is copied to an S3 place and/or a log group. It
  becomes one node per account and region (`bedrock.invocation_logging`) that WRITES to those places; the
  graph then joins every model invoked there to it (`lineage.invocation_logging`). An answer without
  `loggingConfig` is how AWS says logging is off: the node says `enabled: false` and writes nowhere. A
  configuration that could not be read is the node marked unread, joined to nothing: whether prompts are
  kept, and where, is unknown.
- guardrails (ListGuardrails, GetGuardrail), an inventory: what each filters, above all which kinds of
  personal data it anonymises or blocks (`sensitiveInformationPolicy`), which is what a compliance person
  asks of it. Both read the guardrail's working draft (AWS's default when no version is named).
- knowledge bases (ListKnowledgeBases, GetKnowledgeBase) and their data sources (ListDataSources,
  GetDataSource): each S3 source path READS into the knowledge base, which INVOKES its embedding model and
  WRITES the vectors to its store (an OpenSearch Serverless collection by ARN; Pinecone, Redis Enterprise
  Cloud and MongoDB Atlas by endpoint, without credentials; RDS, Neptune Analytics, OpenSearch domains and
  S3 vector buckets by ARN). Web, Confluence, SharePoint and Salesforce sources are external places, named
  by host and path only.
- agents (ListAgents, GetAgent) with their action groups (ListAgentActionGroups, GetAgentActionGroup) and
  knowledge bases (ListAgentKnowledgeBases): the agent INVOKES its foundation model and each action group's
  function (the conversation's data reaches the function), and reads each knowledge base associated.

Agents have a working draft (`DRAFT`, what GetAgent describes and what its test alias runs) and numbered
versions, immutable snapshots of an earlier draft that aliases serve. Everything here is read for the
draft, so the model, the guardrail, the action groups and the knowledge bases judged are one consistent
configuration; the latest numbered version is kept as an attribute (`latest_version`), not read.

Foundation models are AWS's: they are named (`arn:aws:bedrock:REGION::foundation-model/ID`, no account, as
`lineage.asl` names them for state machines), never read, so their nodes are never observed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from collectors.context import AwsContext, each_resource, is_gone
from collectors.declarations import Call, Collector
from lineage import arn as arns
from lineage import redact
from lineage.invocation_logging import LOGGING_KIND
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

_GONE = ("ResourceNotFoundException",)

# bedrock (control plane)
GET_MODEL_INVOCATION_LOGGING_CONFIGURATION = Call("bedrock", "get_model_invocation_logging_configuration",
                                                  empty_is_an_answer=True)  # no loggingConfig: logging is off
LIST_GUARDRAILS = Call("bedrock", "list_guardrails", result_key="guardrails", required=("id", "arn"))
GET_GUARDRAIL = Call("bedrock", "get_guardrail", required=("guardrailArn", "name"), gone=_GONE)
# bedrock-agent
LIST_KNOWLEDGE_BASES = Call("bedrock-agent", "list_knowledge_bases", result_key="knowledgeBaseSummaries",
                            required=("knowledgeBaseId",))
GET_KNOWLEDGE_BASE = Call("bedrock-agent", "get_knowledge_base",
                          required=("knowledgeBase.knowledgeBaseArn", "knowledgeBase.knowledgeBaseConfiguration"),
                          gone=_GONE)
LIST_DATA_SOURCES = Call("bedrock-agent", "list_data_sources", result_key="dataSourceSummaries",
                         required=("dataSourceId",))
GET_DATA_SOURCE = Call("bedrock-agent", "get_data_source", required=("dataSource.dataSourceConfiguration",),
                       gone=_GONE)
LIST_AGENTS = Call("bedrock-agent", "list_agents", result_key="agentSummaries", required=("agentId",))
GET_AGENT = Call("bedrock-agent", "get_agent", required=("agent.agentArn",), gone=_GONE)
LIST_AGENT_ACTION_GROUPS = Call("bedrock-agent", "list_agent_action_groups", result_key="actionGroupSummaries",
                                required=("actionGroupId",))
GET_AGENT_ACTION_GROUP = Call("bedrock-agent", "get_agent_action_group", required=("agentActionGroup",), gone=_GONE)
LIST_AGENT_KNOWLEDGE_BASES = Call("bedrock-agent", "list_agent_knowledge_bases",
                                  result_key="agentKnowledgeBaseSummaries", required=("knowledgeBaseId",))

GUARDRAIL_KIND, KNOWLEDGE_BASE_KIND, AGENT_KIND = "bedrock.guardrail", "bedrock.knowledge_base", "bedrock.agent"
DRAFT = "DRAFT"  # the agent version read (see the module's docstring)
_DELIVERY_FLAGS = (("textDataDeliveryEnabled", "text"), ("imageDataDeliveryEnabled", "image"),
                   ("embeddingDataDeliveryEnabled", "embedding"), ("videoDataDeliveryEnabled", "video"),
                   ("audioDataDeliveryEnabled", "audio"))


def invocation_logging_id(region: str, account: str) -> str:
    """The tracker's id for a region's model invocation logging. Not an AWS ARN (the configuration has none):
    one per account and region, as the configuration is, in an ARN's shape so that its account and region read
    like any other node's."""
    return arns.build_arn("bedrock", region, account, "model-invocation-logging")


# --- get ----------------------------------------------------------------------------------------


def _read_guardrails(ctx: AwsContext, region: str) -> list[dict[str, Any]] | None:
    listed = ctx.pages(LIST_GUARDRAILS, region, region)
    if listed is None:
        return None

    def read(summary: dict[str, Any]) -> dict[str, Any] | None:
        answer = ctx.call(GET_GUARDRAIL, region, str(summary["arn"]), guardrailIdentifier=str(summary["id"]))
        if is_gone(answer):
            return None
        return {"Listed": summary, **({"Guardrail": answer} if answer is not None else {})}

    return [record for record in ctx.map(read, listed) if record is not None]


def _read_data_sources(ctx: AwsContext, region: str, kb_id: str) -> list[dict[str, Any]] | None:
    listed = ctx.pages(LIST_DATA_SOURCES, region, kb_id, knowledgeBaseId=kb_id)
    if listed is None:
        return None
    sources = []
    for summary in listed:  # already on a worker of the pool: read in turn
        ds_id = str(summary["dataSourceId"])
        answer = ctx.call(GET_DATA_SOURCE, region, f"{kb_id}/{ds_id}", knowledgeBaseId=kb_id, dataSourceId=ds_id)
        if is_gone(answer):
            continue
        sources.append({"Listed": summary, **({"DataSource": answer["dataSource"]} if answer is not None else {})})
    return sources


def _read_knowledge_bases(ctx: AwsContext, region: str) -> list[dict[str, Any]] | None:
    listed = ctx.pages(LIST_KNOWLEDGE_BASES, region, region)
    if listed is None:
        return None

    def read(summary: dict[str, Any]) -> dict[str, Any] | None:
        kb_id = str(summary["knowledgeBaseId"])
        answer = ctx.call(GET_KNOWLEDGE_BASE, region, kb_id, knowledgeBaseId=kb_id)
        if is_gone(answer):
            return None
        record: dict[str, Any] = {"Listed": summary}
        if answer is not None:
            record["KnowledgeBase"] = answer["knowledgeBase"]
        sources = _read_data_sources(ctx, region, kb_id)
        if sources is not None:
            record["DataSources"] = sources
        return record

    return [record for record in ctx.map(read, listed) if record is not None]


def _read_action_groups(ctx: AwsContext, region: str, agent_id: str) -> list[dict[str, Any]] | None:
    listed = ctx.pages(LIST_AGENT_ACTION_GROUPS, region, agent_id, agentId=agent_id, agentVersion=DRAFT)
    if listed is None:
        return None
    groups = []
    for summary in listed:
        group_id = str(summary["actionGroupId"])
        answer = ctx.call(GET_AGENT_ACTION_GROUP, region, f"{agent_id}/{group_id}", agentId=agent_id,
                          agentVersion=DRAFT, actionGroupId=group_id)
        if is_gone(answer):
            continue
        read = {"ActionGroup": answer["agentActionGroup"]} if answer is not None else {}
        groups.append({"Listed": summary, **read})
    return groups


def _read_agents(ctx: AwsContext, region: str) -> list[dict[str, Any]] | None:
    listed = ctx.pages(LIST_AGENTS, region, region)
    if listed is None:
        return None

    def read(summary: dict[str, Any]) -> dict[str, Any] | None:
        agent_id = str(summary["agentId"])
        answer = ctx.call(GET_AGENT, region, agent_id, agentId=agent_id)
        if is_gone(answer):
            return None
        record: dict[str, Any] = {"Listed": summary}
        if answer is not None:
            record["Agent"] = answer["agent"]
        groups = _read_action_groups(ctx, region, agent_id)
        if groups is not None:
            record["ActionGroups"] = groups
        knowledge_bases = ctx.pages(LIST_AGENT_KNOWLEDGE_BASES, region, agent_id, agentId=agent_id,
                                    agentVersion=DRAFT)
        if knowledge_bases is not None:
            record["KnowledgeBases"] = knowledge_bases
        return record

    return [record for record in ctx.map(read, listed) if record is not None]


def get_bedrock(ctx: AwsContext, region: str) -> dict[str, Any]:
    """`{"Logging": answer | None, "Guardrails", "KnowledgeBases", "Agents": [...] | None}`; None where the call
    or the listing was a gap; no `Logging` where nothing of Bedrock answers."""
    raw = {"Logging": ctx.call(GET_MODEL_INVOCATION_LOGGING_CONFIGURATION, region, region),
           "Guardrails": _read_guardrails(ctx, region),
           "KnowledgeBases": _read_knowledge_bases(ctx, region),
           "Agents": _read_agents(ctx, region)}
    if raw["Logging"] is None and ctx.skips(GET_MODEL_INVOCATION_LOGGING_CONFIGURATION, region):
        del raw["Logging"]  # no Bedrock answers there (a region without it, say): no logging setting to speak of
    return raw


# --- transform: invocation logging ----------------------------------------------------------------


def _s3_place(bucket: Any, prefix: Any) -> str | None:
    if not isinstance(bucket, str) or not arns.is_bucket_name(bucket):
        return None
    return arns.s3_location_id(bucket, str(prefix or ""))


def _logging_node(account: str, region: str, attributes: dict[str, Any]) -> Node:
    return Node(invocation_logging_id(region, account), LOGGING_KIND, f"model invocation logging ({region})",
                stage_for(LOGGING_KIND), account, region, True, attributes)


def _unread_logging(account: str, region: str) -> Facts:
    """The region's logging whose configuration could not be read: whether prompts are copied, and where, is
    unknown (said, never guessed); it writes nowhere known, and no model is joined to it."""
    return Facts((_logging_node(account, region, {"unread": ["configuration"]}),))


def transform_logging(answer: Mapping[str, Any], account: str, region: str) -> Facts:
    """The region's logging setting and where it writes. Off (no `loggingConfig`, or one naming no destination)
    is a fact too: the node says so, and writes nowhere."""
    config = answer.get("loggingConfig") or {}
    s3, cloudwatch = config.get("s3Config") or {}, config.get("cloudWatchConfig") or {}
    if not s3.get("bucketName") and not cloudwatch.get("logGroupName"):
        return Facts((_logging_node(account, region, {"enabled": False}),))
    node_id = invocation_logging_id(region, account)
    operation = "bedrock:GetModelInvocationLoggingConfiguration"
    delivers = [name for flag, name in _DELIVERY_FLAGS if config.get(flag)]
    attributes: dict[str, Any] = {"enabled": True, "delivers": delivers}
    edges: list[Edge] = []

    def writes(target: str | None, path: str, excerpt: str) -> None:
        if target is not None:
            edges.append(Edge(node_id, target, EdgeKind.WRITES, (Evidence(operation, node_id, path, excerpt),)))

    if s3.get("bucketName"):
        place = _s3_place(s3["bucketName"], s3.get("keyPrefix"))
        attributes["s3"] = f"s3://{s3['bucketName']}/{str(s3.get('keyPrefix') or '').lstrip('/')}"
        writes(place, "loggingConfig.s3Config", attributes["s3"])
    if cloudwatch.get("logGroupName"):
        group = str(cloudwatch["logGroupName"])
        attributes["log_group"] = group
        if cloudwatch.get("roleArn"):
            attributes["role"] = str(cloudwatch["roleArn"])
        writes(arns.log_group_arn(region, account, group), "loggingConfig.cloudWatchConfig.logGroupName", group)
        large = cloudwatch.get("largeDataDeliveryS3Config") or {}
        if large.get("bucketName"):
            attributes["large_data_s3"] = f"s3://{large['bucketName']}/{str(large.get('keyPrefix') or '').lstrip('/')}"
            writes(_s3_place(large["bucketName"], large.get("keyPrefix")),
                   "loggingConfig.cloudWatchConfig.largeDataDeliveryS3Config", attributes["large_data_s3"])
    return Facts((_logging_node(account, region, attributes),), tuple(edges))


# --- transform: guardrails ------------------------------------------------------------------------


def _actions(entry: Mapping[str, Any]) -> str:
    """`ANONYMIZE`, or `input BLOCK, output ANONYMIZE` where the two directions differ."""
    action = str(entry.get("action") or "NONE")
    given, taken = entry.get("inputAction") or action, entry.get("outputAction") or action
    if entry.get("inputEnabled") is False:
        given = "off"
    if entry.get("outputEnabled") is False:
        taken = "off"
    return str(given) if given == taken else f"input {given}, output {taken}"


def guardrail_summary(guardrail: Mapping[str, Any]) -> dict[str, Any]:
    """What a guardrail filters, without its patterns, words or messages (they may quote what they block)."""
    summary: dict[str, Any] = {}
    sensitive = guardrail.get("sensitiveInformationPolicy") or {}
    summary["pii_entities"] = {str(e["type"]): _actions(e) for e in sensitive.get("piiEntities") or ()}
    summary["pii_regexes"] = {str(r["name"]): _actions(r) for r in sensitive.get("regexes") or ()}
    filters = (guardrail.get("contentPolicy") or {}).get("filters") or ()
    summary["content_filters"] = {str(f["type"]): f"input {f.get('inputStrength')}, output {f.get('outputStrength')}"
                                  for f in filters}
    summary["denied_topics"] = sorted(str(t["name"]) for t in (guardrail.get("topicPolicy") or {}).get("topics") or ())
    words = guardrail.get("wordPolicy") or {}
    summary["blocked_words"] = len(words.get("words") or ())
    summary["managed_word_lists"] = sorted(str(w["type"]) for w in words.get("managedWordLists") or ())
    grounding = (guardrail.get("contextualGroundingPolicy") or {}).get("filters") or ()
    summary["contextual_grounding"] = {str(f["type"]): f.get("threshold") for f in grounding}
    return summary


def transform_guardrail(record: Mapping[str, Any], account: str, region: str) -> Facts:
    listed, guardrail = record["Listed"], record.get("Guardrail")
    node_id = str((guardrail or {}).get("guardrailArn") or listed["arn"])
    attributes: dict[str, Any] = {"guardrail_id": str(listed["id"]), "version": str(listed.get("version") or DRAFT),
                                  "status": str(listed.get("status") or "")}
    if guardrail is None:
        attributes["unread"] = ["policies"]
    else:
        attributes.update(guardrail_summary(guardrail))
        attributes["status"] = str(guardrail.get("status") or attributes["status"])
        if guardrail.get("kmsKeyArn"):
            attributes["kms_key"] = str(guardrail["kmsKeyArn"])
    name = str((guardrail or {}).get("name") or listed.get("name") or listed["id"])
    parsed = arns.parse_arn(node_id)
    node = Node(node_id, GUARDRAIL_KIND, name, stage_for(GUARDRAIL_KIND), (parsed.account if parsed else "") or account,
                (parsed.region if parsed else "") or region, True, attributes)
    return Facts((node,))


# --- transform: knowledge bases -------------------------------------------------------------------


def _external(endpoint: str) -> tuple[str, Node] | None:
    """A place outside AWS, by its address without what may carry a credential; None when it names none."""
    if not endpoint.strip():
        return None
    place = redact.endpoint(endpoint.strip() if "://" in endpoint else f"https://{endpoint.strip()}")
    return place, arns.referenced_node(place, "external")


# The vector store of each storage type: (configuration key, field naming it, by ARN (else an endpoint)).
_STORES: Mapping[str, tuple[str, str, bool]] = {
    "OPENSEARCH_SERVERLESS": ("opensearchServerlessConfiguration", "collectionArn", True),
    "OPENSEARCH_MANAGED_CLUSTER": ("opensearchManagedClusterConfiguration", "domainArn", True),
    "RDS": ("rdsConfiguration", "resourceArn", True),
    "NEPTUNE_ANALYTICS": ("neptuneAnalyticsConfiguration", "graphArn", True),
    "S3_VECTORS": ("s3VectorsConfiguration", "indexArn", True),
    "PINECONE": ("pineconeConfiguration", "connectionString", False),
    "REDIS_ENTERPRISE_CLOUD": ("redisEnterpriseCloudConfiguration", "endpoint", False),
    "MONGO_DB_ATLAS": ("mongoDbAtlasConfiguration", "endpoint", False),
}


class _Facts:
    """Nodes and edges of one resource, each edge with its evidence."""

    def __init__(self, owner: str, operation: str) -> None:
        self.owner, self.operation = owner, operation
        self.nodes: dict[str, Node] = {}
        self.edges: dict[tuple[str, str, EdgeKind], Edge] = {}

    def add(self, source: str, target: str, kind: EdgeKind, path: str, excerpt: str, operation: str = "") -> None:
        evidence = Evidence(operation or self.operation, self.owner, path, redact.short(excerpt, 300))
        edge = Edge(source, target, kind, (evidence,))
        if edge.key in self.edges:
            edge = Edge(source, target, kind, (*self.edges[edge.key].evidence, evidence))
        self.edges[edge.key] = edge

    def facts(self, node: Node) -> Facts:
        return Facts((node, *self.nodes.values()), tuple(self.edges.values()))


def _storage(kb: Mapping[str, Any], found: _Facts, attributes: dict[str, Any]) -> None:
    storage = kb.get("storageConfiguration") or {}
    kind = str(storage.get("type") or "")
    if not kind:
        return
    attributes["vector_store"] = {"type": kind}
    key, field, by_arn = _STORES.get(kind, ("", "", False))
    config = storage.get(key) or {}
    value = str(config.get(field) or "")
    path = f"knowledgeBase.storageConfiguration.{key}.{field}"
    if by_arn and value.startswith("arn:"):
        found.add(found.owner, value, EdgeKind.WRITES, path, value)
        attributes["vector_store"]["id"] = value
    elif value:
        external = _external(value)
        if external is not None:
            place, node = external
            found.nodes[place] = node
            found.add(found.owner, place, EdgeKind.WRITES, path, place)
            attributes["vector_store"]["id"] = place
    for index_field in ("vectorIndexName", "indexName", "tableName", "collectionName"):
        if config.get(index_field):
            attributes["vector_store"]["index"] = str(config[index_field])
            break


def _data_source(record: Mapping[str, Any], index: int, kb_id: str, found: _Facts, region: str,
                 account: str) -> dict[str, Any]:
    """The data source's summary for the knowledge base's attributes; its flows into `found`."""
    listed, source = record["Listed"], record.get("DataSource")
    summary: dict[str, Any] = {"id": str(listed["dataSourceId"]), "name": str(listed.get("name") or ""),
                               "status": str(listed.get("status") or "")}
    if source is None:
        summary["unread"] = True
        return summary
    operation = "bedrock:GetDataSource"
    config = source.get("dataSourceConfiguration") or {}
    summary["type"] = str(config.get("type") or "")
    if (source.get("serverSideEncryptionConfiguration") or {}).get("kmsKeyArn"):
        summary["kms_key"] = str(source["serverSideEncryptionConfiguration"]["kmsKeyArn"])
    if source.get("dataDeletionPolicy"):
        summary["data_deletion_policy"] = str(source["dataDeletionPolicy"])
    where = f"dataSources[{index}]"
    s3 = config.get("s3Configuration") or {}
    parts = arns.parse_s3_url(str(s3.get("bucketArn") or ""))
    if parts is not None:
        prefixes = [str(p) for p in s3.get("inclusionPrefixes") or ()] or [""]
        for prefix in prefixes:
            place = arns.s3_location_id(parts[0], prefix)
            found.add(place, kb_id, EdgeKind.READS, f"{where}.dataSourceConfiguration.s3Configuration",
                      f"{s3.get('bucketArn')} {prefix}".strip(), operation)
        summary["s3"] = [f"s3://{parts[0]}/{p}" for p in prefixes]
        if s3.get("bucketOwnerAccountId"):
            summary["bucket_owner"] = str(s3["bucketOwnerAccountId"])
    endpoints: list[tuple[str, str]] = []
    web = ((config.get("webConfiguration") or {}).get("sourceConfiguration") or {}).get("urlConfiguration") or {}
    endpoints += [(str(u.get("url") or ""), "webConfiguration") for u in web.get("seedUrls") or ()]
    for key in ("confluenceConfiguration", "salesforceConfiguration"):
        host = ((config.get(key) or {}).get("sourceConfiguration") or {}).get("hostUrl")
        if host:
            endpoints.append((str(host), key))
    sharepoint = (config.get("sharePointConfiguration") or {}).get("sourceConfiguration") or {}
    endpoints += [(str(url), "sharePointConfiguration") for url in sharepoint.get("siteUrls") or ()]
    for endpoint, key in endpoints:
        external = _external(endpoint)
        if external is not None:
            place, node = external
            found.nodes[place] = node
            found.add(place, kb_id, EdgeKind.READS, f"{where}.dataSourceConfiguration.{key}", place, operation)
    ingestion = source.get("vectorIngestionConfiguration") or {}
    custom = ingestion.get("customTransformationConfiguration") or {}
    for step in custom.get("transformations") or ():
        function = (((step.get("transformationFunction") or {}).get("transformationLambdaConfiguration") or {})
                    .get("lambdaArn"))
        if function:
            target = arns.unqualified_lambda_arn(str(function))
            found.add(kb_id, target, EdgeKind.INVOKES, f"{where}.vectorIngestionConfiguration."
                      "customTransformationConfiguration", str(function), operation)
    staging = arns.parse_s3_url(str(((custom.get("intermediateStorage") or {}).get("s3Location") or {}).get("uri")
                                    or ""))
    if staging is not None:
        found.add(kb_id, arns.s3_location_id(*staging), EdgeKind.WRITES,
                  f"{where}.vectorIngestionConfiguration.customTransformationConfiguration.intermediateStorage",
                  f"s3://{staging[0]}/{staging[1]}", operation)
    for key in ("parsingConfiguration", "contextEnrichmentConfiguration"):
        model = ((ingestion.get(key) or {}).get("bedrockFoundationModelConfiguration") or {}).get("modelArn")
        if model:
            found.add(kb_id, arns.bedrock_model_arn(str(model), region, account), EdgeKind.INVOKES,
                      f"{where}.vectorIngestionConfiguration.{key}", str(model), operation)
    return summary


def transform_knowledge_base(record: Mapping[str, Any], account: str, region: str) -> Facts:
    listed, kb = record["Listed"], record.get("KnowledgeBase")
    kb_id = str((kb or {}).get("knowledgeBaseArn")
                or arns.build_arn("bedrock", region, account, f"knowledge-base/{listed['knowledgeBaseId']}"))
    found = _Facts(kb_id, "bedrock:GetKnowledgeBase")
    attributes: dict[str, Any] = {"knowledge_base_id": str(listed["knowledgeBaseId"]),
                                  "status": str((kb or {}).get("status") or listed.get("status") or "")}
    unread = []
    if kb is None:
        unread.append("configuration")
    else:
        if kb.get("roleArn"):
            attributes["role"] = str(kb["roleArn"])
        configuration = kb.get("knowledgeBaseConfiguration") or {}
        attributes["type"] = str(configuration.get("type") or "")
        vector = configuration.get("vectorKnowledgeBaseConfiguration") or {}
        managed = configuration.get("managedKnowledgeBaseConfiguration") or {}
        for key, block in (("vectorKnowledgeBaseConfiguration", vector),
                           ("managedKnowledgeBaseConfiguration", managed)):
            if block.get("embeddingModelArn"):
                model = arns.bedrock_model_arn(str(block["embeddingModelArn"]), region, account)
                attributes["embedding_model"] = model
                found.add(kb_id, model, EdgeKind.INVOKES,
                          f"knowledgeBase.knowledgeBaseConfiguration.{key}.embeddingModelArn",
                          str(block["embeddingModelArn"]))
            locations = (block.get("supplementalDataStorageConfiguration") or {}).get("storageLocations") or ()
            for location in locations:
                parts = arns.parse_s3_url(str((location.get("s3Location") or {}).get("uri") or ""))
                if parts is not None:
                    found.add(kb_id, arns.s3_location_id(*parts), EdgeKind.WRITES,
                              f"knowledgeBase.knowledgeBaseConfiguration.{key}.supplementalDataStorageConfiguration",
                              f"s3://{parts[0]}/{parts[1]}")
        if (managed.get("serverSideEncryptionConfiguration") or {}).get("kmsKeyArn"):
            attributes["kms_key"] = str(managed["serverSideEncryptionConfiguration"]["kmsKeyArn"])
        kendra = (configuration.get("kendraKnowledgeBaseConfiguration") or {}).get("kendraIndexArn")
        if kendra:  # a Kendra index answers the queries: the knowledge base reads from it
            found.add(str(kendra), kb_id, EdgeKind.READS,
                      "knowledgeBase.knowledgeBaseConfiguration.kendraKnowledgeBaseConfiguration.kendraIndexArn",
                      str(kendra))
        _storage(kb, found, attributes)
    if "DataSources" in record:
        summaries = [_data_source(source, index, kb_id, found, region, account)
                     for index, source in enumerate(record["DataSources"])]
        attributes["data_sources"] = summaries
        if any(summary.get("unread") for summary in summaries):
            unread.append("data source configuration")
    else:
        unread.append("data sources")
    if unread:
        attributes["unread"] = unread
    name = str((kb or {}).get("name") or listed.get("name") or listed["knowledgeBaseId"])
    node = Node(kb_id, KNOWLEDGE_BASE_KIND, name, stage_for(KNOWLEDGE_BASE_KIND), account, region, True, attributes)
    return found.facts(node)


# --- transform: agents ----------------------------------------------------------------------------


def _guardrail(configuration: Any) -> dict[str, str] | None:
    if not isinstance(configuration, Mapping) or not configuration.get("guardrailIdentifier"):
        return None
    return {"identifier": str(configuration["guardrailIdentifier"]),
            "version": str(configuration.get("guardrailVersion") or "")}


def _agent_settings(agent: Mapping[str, Any], agent_id: str, found: _Facts, region: str, account: str,
                    attributes: dict[str, Any]) -> None:
    attributes["guardrail"] = _guardrail(agent.get("guardrailConfiguration"))
    if agent.get("agentResourceRoleArn"):
        attributes["role"] = str(agent["agentResourceRoleArn"])
    if agent.get("idleSessionTTLInSeconds") is not None:
        attributes["idle_session_ttl_seconds"] = agent["idleSessionTTLInSeconds"]
    if agent.get("customerEncryptionKeyArn"):
        attributes["kms_key"] = str(agent["customerEncryptionKeyArn"])
    memory = agent.get("memoryConfiguration") or {}
    if memory.get("enabledMemoryTypes"):  # past sessions' summaries, kept for `storageDays`
        attributes["memory"] = {"types": [str(t) for t in memory["enabledMemoryTypes"]],
                                "storage_days": memory.get("storageDays")}
    if agent.get("foundationModel"):
        model = arns.bedrock_model_arn(str(agent["foundationModel"]), region, account)
        attributes["foundation_model"] = model
        found.add(agent_id, model, EdgeKind.INVOKES, "agent.foundationModel", str(agent["foundationModel"]))
    for path, function in (("agent.customOrchestration.executor.lambda",
                            ((agent.get("customOrchestration") or {}).get("executor") or {}).get("lambda")),
                           ("agent.promptOverrideConfiguration.overrideLambda",
                            (agent.get("promptOverrideConfiguration") or {}).get("overrideLambda"))):
        if function:
            found.add(agent_id, arns.unqualified_lambda_arn(str(function)), EdgeKind.INVOKES, path, str(function))


def _action_groups(groups: Iterable[Mapping[str, Any]], agent_id: str, found: _Facts) -> tuple[list[dict[str, Any]],
                                                                                               bool]:
    summaries, unread = [], False
    for index, record in enumerate(groups):
        listed, group = record["Listed"], record.get("ActionGroup")
        summary: dict[str, Any] = {"name": str(listed.get("actionGroupName") or listed["actionGroupId"]),
                                   "state": str((group or listed).get("actionGroupState") or "")}
        if group is None:
            unread = True
            summary["unread"] = True
        else:
            executor = group.get("actionGroupExecutor") or {}
            if executor.get("lambda"):
                summary["function"] = arns.unqualified_lambda_arn(str(executor["lambda"]))
                if summary["state"] != "DISABLED":  # a disabled group is never called
                    found.add(agent_id, summary["function"], EdgeKind.INVOKES,
                              f"actionGroups[{index}].actionGroupExecutor.lambda", str(executor["lambda"]),
                              "bedrock:GetAgentActionGroup")
            elif executor.get("customControl"):
                summary["returns_control"] = True  # the application that called the agent runs the action
            if group.get("parentActionSignature"):
                summary["built_in"] = str(group["parentActionSignature"])
        summaries.append(summary)
    return summaries, unread


def transform_agent(record: Mapping[str, Any], account: str, region: str) -> Facts:
    listed, agent = record["Listed"], record.get("Agent")
    agent_id = str((agent or {}).get("agentArn") or arns.build_arn("bedrock", region, account,
                                                                  f"agent/{listed['agentId']}"))
    found = _Facts(agent_id, "bedrock:GetAgent")
    attributes: dict[str, Any] = {"agent_id": str(listed["agentId"]), "version_read": DRAFT,
                                  "status": str((agent or {}).get("agentStatus") or listed.get("agentStatus") or "")}
    if listed.get("latestAgentVersion"):
        attributes["latest_version"] = str(listed["latestAgentVersion"])
    unread = []
    if agent is None:
        unread.append("configuration")
        if "guardrailConfiguration" in listed:  # ListAgents says which guardrail, when one is attached
            attributes["guardrail"] = _guardrail(listed["guardrailConfiguration"])
    else:
        _agent_settings(agent, agent_id, found, region, account, attributes)
    if "ActionGroups" in record:
        attributes["action_groups"], unread_groups = _action_groups(record["ActionGroups"], agent_id, found)
        if unread_groups:
            unread.append("action group configuration")
    else:
        unread.append("action groups")
    if "KnowledgeBases" in record:
        associated = []
        for index, association in enumerate(record["KnowledgeBases"]):
            kb = arns.build_arn("bedrock", region, account, f"knowledge-base/{association['knowledgeBaseId']}")
            state = str(association.get("knowledgeBaseState") or "")
            associated.append({"knowledge_base": kb, "state": state})
            if state != "DISABLED":  # the agent queries it: what it holds reaches the agent
                found.add(kb, agent_id, EdgeKind.READS, f"agentKnowledgeBaseSummaries[{index}].knowledgeBaseId",
                          str(association["knowledgeBaseId"]), "bedrock:ListAgentKnowledgeBases")
        attributes["knowledge_bases"] = associated
    else:
        unread.append("knowledge bases")
    if unread:
        attributes["unread"] = unread
    name = str((agent or {}).get("agentName") or listed.get("agentName") or listed["agentId"])
    node = Node(agent_id, AGENT_KIND, name, stage_for(AGENT_KIND), account, region, True, attributes)
    return found.facts(node)


# --- transform ------------------------------------------------------------------------------------


def transform_bedrock(raw: Mapping[str, Any], account: str, region: str) -> Facts:
    logging = raw.get("Logging")
    parts = [_unread_logging(account, region) if "Logging" in raw and logging is None else Facts(),
             each_resource([logging] if logging is not None else [],
                           lambda answer: transform_logging(answer, account, region),
                           GET_MODEL_INVOCATION_LOGGING_CONFIGURATION, lambda _: region, region),
             each_resource(raw.get("Guardrails") or [], lambda r: transform_guardrail(r, account, region),
                           GET_GUARDRAIL, lambda r: r["Listed"]["arn"], region),
             each_resource(raw.get("KnowledgeBases") or [], lambda r: transform_knowledge_base(r, account, region),
                           GET_KNOWLEDGE_BASE, lambda r: r["Listed"]["knowledgeBaseId"], region),
             each_resource(raw.get("Agents") or [], lambda r: transform_agent(r, account, region),
                           GET_AGENT, lambda r: r["Listed"]["agentId"], region)]
    return Facts.concat(parts)


COLLECTOR = Collector(
    service="bedrock", label="Bedrock",
    calls=(GET_MODEL_INVOCATION_LOGGING_CONFIGURATION, LIST_GUARDRAILS, GET_GUARDRAIL, LIST_KNOWLEDGE_BASES,
           GET_KNOWLEDGE_BASE, LIST_DATA_SOURCES, GET_DATA_SOURCE, LIST_AGENTS, GET_AGENT, LIST_AGENT_ACTION_GROUPS,
           GET_AGENT_ACTION_GROUP, LIST_AGENT_KNOWLEDGE_BASES),
    get=get_bedrock, transform=transform_bedrock,
    listings={GUARDRAIL_KIND: LIST_GUARDRAILS, KNOWLEDGE_BASE_KIND: LIST_KNOWLEDGE_BASES, AGENT_KIND: LIST_AGENTS},
)
