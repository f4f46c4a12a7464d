"""What the API collectors read that moto does not serve: AppSync's data sources (CreateDataSource,
ListDataSources), kept on moto's AppSync backend beside the API they belong to, so that the demo builds
them through a client as it would in an account, and a scan lists them back. A data source of an API
moto does not hold is refused as AWS refuses it (NotFoundException).

API Gateway needs nothing here: moto serves GetRestApis, GetResources (always with the methods and their
integrations embedded, as AWS gives them with `embed=methods`), GetStages, GetAuthorizers, GetApis,
GetRoutes, GetIntegrations, GetAuthorizer, GetDomainNames and GetApiMappings (moto maps HTTP and WebSocket
APIs only to a custom domain, where AWS maps REST APIs too).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.appsync import urls as appsync_urls
from moto.appsync.responses import AppSyncResponse

_DATA_SOURCES = "lineage_data_sources"  # attribute of moto's AppSync backend: api id → name → data source
_CONFIGS = ("dynamodbConfig", "lambdaConfig", "elasticsearchConfig", "openSearchServiceConfig", "httpConfig",
            "relationalDatabaseConfig", "eventBridgeConfig")


def _held(response: AppSyncResponse) -> tuple[str, dict[str, dict[str, Any]]]:
    """The API the path names (NotFoundException when moto holds no such API) and its data sources."""
    api_id = unquote(response.path.rstrip("/").split("/")[-2])
    backend = response.appsync_backend
    backend.get_graphql_api(api_id)
    every: dict[str, dict[str, dict[str, Any]]] = backend.__dict__.setdefault(_DATA_SOURCES, {})
    return api_id, every.setdefault(api_id, {})


def _create_data_source(self: AppSyncResponse) -> str:
    api_id, held = _held(self)
    name = str(self._get_param("name"))
    source: dict[str, Any] = {
        "dataSourceArn": f"arn:aws:appsync:{self.region}:{self.current_account}:apis/{api_id}/datasources/{name}",
        "name": name, "type": self._get_param("type"),
    }
    for key in ("description", "serviceRoleArn", *_CONFIGS):
        value = self._get_param(key)
        if value is not None:
            source[key] = value
    held[name] = source
    return json.dumps({"dataSource": source})


def _list_data_sources(self: AppSyncResponse) -> str:
    _, held = _held(self)
    sources = [held[name] for name in sorted(held)]
    start = int(self._get_param("nextToken") or 0)
    size = int(self._get_param("maxResults") or 25)
    answer: dict[str, Any] = {"dataSources": sources[start:start + size]}
    if start + size < len(sources):
        answer["nextToken"] = str(start + size)
    return json.dumps(answer)


_PATH = "{0}/v1/apis/(?P<api_id>[^/]+)/datasources$"
ADDITIONS: list[tuple[Any, type, str, str, Any]] = [
    (appsync_urls, AppSyncResponse, _PATH, "create_data_source", _create_data_source),
    (appsync_urls, AppSyncResponse, _PATH, "list_data_sources", _list_data_sources),
]
