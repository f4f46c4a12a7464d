"""AppSync: GraphQL APIs, where data enters and leaves through one endpoint, and the data sources their
resolvers read and write — DynamoDB tables, functions, HTTP endpoints, OpenSearch domains, Aurora
clusters through the Data API, EventBridge buses.

An API is a generation node (its ARN). A GraphQL API both queries and mutates through the same data
source, and which does which is written in resolvers (ListResolvers is one call per type of the
schema: not read), so a table, cluster, search domain or web endpoint is joined to the API by a flow of
unknown direction (`references`, walked both ways); a function is invoked, a bus written to. Who may
call: the API's authentication type and its additional providers (API_KEY alone lets anyone holding a
key in, and keys ship inside web and mobile apps; a Lambda authoriser is a function the API invokes with
each caller's token), its web ACL and whether it is reachable from the internet (visibility GLOBAL) or
only from a VPC (PRIVATE). Its request logs go to the log group `/aws/appsync/apis/API_ID`.

What is read, per region: ListGraphqlApis (each API whole: authentication, web ACL, logging, tags), and
ListDataSources per API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.context import AwsContext, each_resource, every_page, is_gone
from collectors.declarations import Call, Collector
from lineage import arn as arns
from lineage import redact
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

LIST_GRAPHQL_APIS = Call("appsync", "list_graphql_apis", result_key="graphqlApis", required=("apiId", "arn", "name"))
# Page by page through `ctx.call`: an API deleted since it was listed answers NotFoundException, a fact.
LIST_DATA_SOURCES = Call("appsync", "list_data_sources", required=("dataSources",), gone=("NotFoundException",))
_OPERATION = "appsync:ListDataSources"


def get_appsync(ctx: AwsContext, region: str) -> list[dict[str, Any]] | None:
    apis = ctx.pages(LIST_GRAPHQL_APIS, region, region)
    if apis is None:
        return None

    def read(api: dict[str, Any]) -> dict[str, Any] | None:
        record: dict[str, Any] = {"Api": api}
        sources = every_page(ctx, LIST_DATA_SOURCES, region, str(api["arn"]), ("dataSources", ("name", "type")),
                             ("nextToken", "nextToken"), apiId=str(api["apiId"]))
        if is_gone(sources):
            return None  # deleted since it was listed
        if sources is not None:
            record["DataSources"] = sources
        return record

    return [record for record in ctx.map(read, apis) if record is not None]


def _authentication(api: Mapping[str, Any]) -> list[str]:
    """Every way in: the default type first, then the additional providers'."""
    kinds = [str(api.get("authenticationType") or "")]
    kinds += [str(p.get("authenticationType")) for p in api.get("additionalAuthenticationProviders") or ()
              if isinstance(p, Mapping) and p.get("authenticationType")]
    return [kind for kind in kinds if kind]


def _lambda_authorizers(api: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(document path, configuration) of each Lambda authoriser: the default one, and additional providers'."""
    found = []
    own = api.get("lambdaAuthorizerConfig")
    if isinstance(own, Mapping) and own.get("authorizerUri"):
        found.append(("lambdaAuthorizerConfig", own))
    for index, provider in enumerate(api.get("additionalAuthenticationProviders") or ()):
        config = provider.get("lambdaAuthorizerConfig") if isinstance(provider, Mapping) else None
        if isinstance(config, Mapping) and config.get("authorizerUri"):
            found.append((f"additionalAuthenticationProviders[{index}].lambdaAuthorizerConfig", config))
    return found


def _rds_cluster(config: Mapping[str, Any], region: str, account: str) -> str | None:
    cluster = str(config.get("dbClusterIdentifier") or "")
    if not cluster:
        return None
    if cluster.startswith("arn:"):
        return cluster
    return arns.build_arn("rds", str(config.get("awsRegion") or region), account, f"cluster:{cluster}")


def _source_target(source: Mapping[str, Any], region: str, account: str) -> tuple[str, EdgeKind, str] | None:
    """(node id, flow from the API, document path) of what a data source names; None for NONE, Bedrock (no
    model is named on the data source) and an answer without its configuration."""
    kind = source.get("type")
    if kind == "AMAZON_DYNAMODB":
        config = source.get("dynamodbConfig") or {}
        if config.get("tableName"):
            return (arns.dynamodb_table_arn(str(config.get("awsRegion") or region), account, str(config["tableName"])),
                    EdgeKind.REFERENCES, "dynamodbConfig.tableName")
    elif kind == "AWS_LAMBDA":
        function = (source.get("lambdaConfig") or {}).get("lambdaFunctionArn")
        if function:
            return arns.unqualified_lambda_arn(str(function)), EdgeKind.INVOKES, "lambdaConfig.lambdaFunctionArn"
    elif kind == "HTTP":
        endpoint = (source.get("httpConfig") or {}).get("endpoint")
        if endpoint:
            return redact.endpoint(str(endpoint)), EdgeKind.REFERENCES, "httpConfig.endpoint"
    elif kind in ("AMAZON_OPENSEARCH_SERVICE", "AMAZON_ELASTICSEARCH"):
        key = "openSearchServiceConfig" if kind == "AMAZON_OPENSEARCH_SERVICE" else "elasticsearchConfig"
        endpoint = (source.get(key) or {}).get("endpoint")
        if endpoint:
            return redact.endpoint(str(endpoint)), EdgeKind.REFERENCES, f"{key}.endpoint"
    elif kind == "RELATIONAL_DATABASE":
        config = (source.get("relationalDatabaseConfig") or {}).get("rdsHttpEndpointConfig") or {}
        cluster = _rds_cluster(config, region, account)
        if cluster:
            return cluster, EdgeKind.REFERENCES, "relationalDatabaseConfig.rdsHttpEndpointConfig.dbClusterIdentifier"
    elif kind == "AMAZON_EVENTBRIDGE":
        bus = (source.get("eventBridgeConfig") or {}).get("eventBusArn")
        if bus:
            return str(bus), EdgeKind.WRITES, "eventBridgeConfig.eventBusArn"
    return None


def _kept_source(source: Mapping[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {"name": source["name"], "type": source["type"]}
    if source.get("serviceRoleArn"):
        kept["role"] = source["serviceRoleArn"]
    return kept


def transform_graphql_api(record: dict[str, Any], account: str, region: str) -> Facts:
    api = record["Api"]
    api_id = str(api["arn"])
    parsed = arns.parse_arn(api_id)
    home_account = (parsed.account if parsed else "") or account
    home_region = (parsed.region if parsed else "") or region
    log_config = api.get("logConfig") or {}
    attributes: dict[str, Any] = {
        "api_id": api["apiId"],
        "authentication": _authentication(api),
        "waf_web_acl": api.get("wafWebAclArn"),
        "visibility": api.get("visibility") or "GLOBAL",  # PRIVATE APIs say so; the default is GLOBAL
        "xray": bool(api.get("xrayEnabled")),
        "field_log_level": log_config.get("fieldLogLevel") if log_config else None,
        "tags": dict(api.get("tags") or {}),
    }
    if api.get("apiType"):
        attributes["api_type"] = api["apiType"]
    uris = api.get("uris") or {}
    if uris.get("GRAPHQL"):
        attributes["endpoint"] = redact.endpoint(str(uris["GRAPHQL"]))
    edges: list[Edge] = []
    nodes: list[Node] = []
    for path, config in _lambda_authorizers(api):
        # A Lambda authoriser is a function the API invokes with each caller's token.
        function = arns.unqualified_lambda_arn(str(config["authorizerUri"]))
        attributes.setdefault("authorizer_functions", []).append(function)
        edges.append(Edge(api_id, function, EdgeKind.INVOKES, (Evidence(
            "appsync:ListGraphqlApis", api_id, f"{path}.authorizerUri", str(config["authorizerUri"])),)))
    if log_config:
        # AppSync writes its request (and, by field log level, resolver) logs to one group per API.
        group = arns.log_group_arn(home_region, home_account, f"/aws/appsync/apis/{api['apiId']}")
        edges.append(Edge(api_id, group, EdgeKind.WRITES, (Evidence(
            "appsync:ListGraphqlApis", api_id, "logConfig", redact.short(str(dict(log_config)), 300)),)))
    if "DataSources" in record:
        attributes["data_sources"] = [_kept_source(source) for source in record["DataSources"]]
        for source in record["DataSources"]:
            target = _source_target(source, home_region, home_account)
            if target is None:
                continue
            place, direction, path = target
            evidence = Evidence(_OPERATION, str(source.get("dataSourceArn") or api_id), path,
                                redact.short(f"{source['name']} ({source['type']}): {place}", 300))
            if not place.startswith("arn:"):
                nodes.append(arns.referenced_node(place, "external"))
            edges.append(Edge(api_id, place, direction, (evidence,)))
    else:
        attributes["unread"] = ["data_sources"]
    node = Node(api_id, "appsync.api", str(api["name"]), stage_for("appsync.api", api.get("tags")), home_account,
                home_region, True, attributes)
    return Facts((node, *nodes), tuple(edges))


def transform_appsync(records: list[dict[str, Any]] | None, account: str, region: str) -> Facts:
    return each_resource(records or [], lambda record: transform_graphql_api(record, account, region),
                         LIST_GRAPHQL_APIS, lambda record: record["Api"]["arn"], region)


COLLECTOR = Collector(
    service="appsync", label="AppSync",
    calls=(LIST_GRAPHQL_APIS, LIST_DATA_SOURCES),
    get=get_appsync, transform=transform_appsync,
)
