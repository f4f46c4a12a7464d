"""AppSync GraphQL APIs and their data sources in a template → what ListGraphqlApis and ListDataSources answer for
the deployed stack → the AppSync collector's transform.

CloudFormation's properties are the API's fields with a capital first letter (`DynamoDBConfig` is the API's
`dynamodbConfig`). A web ACL is read from an `AWS::WAFv2::WebACLAssociation` naming the API. Resolvers, functions
and the schema are read no more than a scan reads them (ListResolvers is one call per type): which operation of the
API reads or writes a source is not said, so a table or endpoint is joined to the API by a flow of unknown
direction, as a scan joins it. The API's id and its GraphQL address are AWS's to choose: the id is read as a
stand-in, shown as the logical id; the address is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors import appsync
from lineage.model import Facts
from templates.services.common import by_owner, is_true
from templates.stack import Placed, Stack, each_placed

API, DATA_SOURCE = "AWS::AppSync::GraphQLApi", "AWS::AppSync::DataSource"
TYPES = frozenset({API, DATA_SOURCE, "AWS::AppSync::Resolver", "AWS::AppSync::FunctionConfiguration",
                   "AWS::AppSync::GraphQLSchema"})
_CONFIGS = {"DynamoDBConfig": "dynamodbConfig", "LambdaConfig": "lambdaConfig", "HttpConfig": "httpConfig",
            "OpenSearchServiceConfig": "openSearchServiceConfig", "ElasticsearchConfig": "elasticsearchConfig",
            "RelationalDatabaseConfig": "relationalDatabaseConfig", "EventBridgeConfig": "eventBridgeConfig"}


def _camel(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k)[:1].lower() + str(k)[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def data_source_answer(placed: Placed, api_arn: str) -> dict[str, Any]:
    """ListDataSources' item for the deployed data source."""
    p = placed.properties
    name = str(p.get("Name") or placed.name)
    answer: dict[str, Any] = {"name": name, "type": str(p.get("Type") or ""),
                              "dataSourceArn": f"{api_arn}/datasources/{name}"}
    if p.get("ServiceRoleArn"):
        answer["serviceRoleArn"] = p["ServiceRoleArn"]
    for written, answered in _CONFIGS.items():
        if isinstance(p.get(written), Mapping):
            answer[answered] = _camel(p[written])
    return answer


def api_record(placed: Placed, sources: list[Placed], web_acls: Mapping[str, str]) -> dict[str, Any]:
    """ListGraphqlApis' item for the deployed API, with its data sources."""
    p = placed.properties
    api: dict[str, Any] = {
        "apiId": placed.name, "arn": placed.id, "name": str(p.get("Name") or placed.name),
        "authenticationType": str(p.get("AuthenticationType") or ""),
        "visibility": str(p.get("Visibility") or "GLOBAL"), "xrayEnabled": is_true(p.get("XrayEnabled")),
        "tags": {str(t["Key"]): str(t.get("Value", "")) for t in p.get("Tags") or [] if isinstance(t, Mapping)
                 and "Key" in t},
    }
    if p.get("ApiType"):
        api["apiType"] = p["ApiType"]
    for key in ("AdditionalAuthenticationProviders", "LambdaAuthorizerConfig", "LogConfig", "UserPoolConfig",
                "OpenIDConnectConfig"):
        if p.get(key):
            api[key[:1].lower() + key[1:]] = _camel(p[key])
    if placed.id in web_acls:
        api["wafWebAclArn"] = web_acls[placed.id]
    return {"Api": api, "DataSources": [data_source_answer(source, placed.id) for source in sources]}


def facts(stack: Stack) -> Facts:
    if not any(p.type in TYPES for p in stack.placed.values()):
        return Facts()
    apis = {p.name: p for p in stack.placed.values() if p.type == API}
    sources = by_owner(stack, DATA_SOURCE, "ApiId", apis,
                       "data source {}: its API is not one this template defines; not read")
    web_acls = {str(p.properties.get("ResourceArn")): str(p.properties.get("WebACLArn"))
                for p in stack.placed.values() if p.type == "AWS::WAFv2::WebACLAssociation"
                and p.properties.get("WebACLArn")}
    records = each_placed(stack, frozenset({API}), lambda p: api_record(p, sources.get(p.name, []), web_acls))
    return appsync.transform_appsync(records, stack.account, stack.region)
