"""API Gateway in a template → what GetRestApis, GetStages, GetResources (methods embedded) and GetAuthorizers, and
GetApis, GetRoutes, GetIntegrations, GetAuthorizer, GetStages, GetDomainNames and GetApiMappings answer for the
deployed APIs → the API Gateway collector's transform.

A REST API is read from its `AWS::ApiGateway::Resource`, `Method`, `Authorizer`, `Stage` and `Deployment`
resources, or from the OpenAPI definition in its `Body` (what SAM's `AWS::Serverless::Api` and a function's
`Events: Api` become), as API Gateway imports it: each path a resource, each operation a method with its
`x-amazon-apigateway-integration`, each security scheme with `x-amazon-apigateway-authorizer` an authoriser, a
scheme of type `apiKey` without one an API key the method requires. An HTTP or WebSocket API likewise, from its
`Route`, `Integration`, `Authorizer` and `Stage` resources, its `Body` (SAM's `AWS::Serverless::HttpApi`), or
its quick-create `Target` (one route, `$default` unless `RouteKey` says, and an auto-deployed `$default` stage).
A deployment's `StageName` makes that stage, as CloudFormation does (SAM's deployments make one called `Stage`).

The ids API Gateway chooses — an API's, a resource's, an integration's, an authoriser's — are read as stand-ins,
shown afterwards as the logical ids. A REST API whose template names no endpoint type is EDGE, API Gateway's
default for REST APIs; `aws_defaults` on its node says so. A stage's web ACL is read from an
`AWS::WAFv2::WebACLAssociation` naming the stage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from collectors import apigateway
from lineage.model import Facts, Node
from templates.document import definition_beside
from templates.intrinsics import is_determined
from templates.naming import stand_in_name
from templates.services.common import finished, is_true, list_of, mapping_of
from templates.stack import Placed, Stack

# A route as its node's attributes say it: (protocol family, API id, method or route key, path).
RouteKey = tuple[str, str, str, str]

REST_API, HTTP_API = "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"
TYPES = frozenset({
    REST_API, "AWS::ApiGateway::Resource", "AWS::ApiGateway::Method", "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage", "AWS::ApiGateway::DomainName",
    "AWS::ApiGateway::BasePathMapping",
    HTTP_API, "AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Authorizer",
    "AWS::ApiGatewayV2::Stage", "AWS::ApiGatewayV2::Deployment", "AWS::ApiGatewayV2::DomainName",
    "AWS::ApiGatewayV2::ApiMapping",
})
WEB_ACL_ASSOCIATION = "AWS::WAFv2::WebACLAssociation"
DEFAULT_REST_ENDPOINT = "EDGE"  # API Gateway's default endpoint type for a REST API
_OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method")
_LOGICAL = re.compile(r"^\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}$")
_STAGE_ARN = re.compile(r"^arn:[^:]*:apigateway:[^:]*::/restapis/(?P<api>[^/]+)/stages/(?P<stage>[^/]+)$")


def _kept(**values: Any) -> dict[str, Any]:
    """The fields an answer holds: those with a value."""
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}


def _tag_dict(tags: Any) -> dict[str, str]:
    """Tags as API Gateway answers them (a map), from CloudFormation's list of pairs or a map."""
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t.get("Value", "")) for t in list_of(tags) if isinstance(t, Mapping) and "Key" in t}


def _policy_text(policy: Any) -> str | None:
    if policy in (None, "", {}):
        return None
    return policy if isinstance(policy, str) else json.dumps(policy)


def _ref(logical_id: str) -> str:
    """What `Ref` resolves to for a resource whose id only deployment gives."""
    return "${" + logical_id + "}"


class _Ids:
    """The ids API Gateway gives the stack's resources, read as stand-ins: `${Logical}` (what `Ref` resolves to for
    a type whose id only deployment gives) and `${Api.RootResourceId}` become the id the resource is read under."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def logical(self, value: Any) -> tuple[str, str] | None:
        found = _LOGICAL.match(value) if isinstance(value, str) else None
        if found is None or found.group(1) not in self.stack.placed:
            return None
        return found.group(1), found.group(2) or ""

    def of(self, value: Any) -> str | None:
        """The id a property names: a resource of the stack's (its stand-in), or a literal id; None when unknown."""
        named = self.logical(value)
        if named is not None:
            logical_id, attribute = named
            placed = self.stack.placed[logical_id]
            if attribute == "RootResourceId":
                return self.root(placed.name)
            return placed.name if placed.shape is not None else stand_in_name(self.stack.template.path, logical_id)
        return value if isinstance(value, str) and value and "${" not in value else None

    @staticmethod
    def root(api_id: str) -> str:
        return f"{api_id}-root"


# --- OpenAPI definitions ---------------------------------------------------------------------------------------


def _definition(placed: Placed, stack: Stack) -> Mapping[str, Any] | None:
    """The OpenAPI document of `Body` (an object, or its text), or of `BodyS3Location` when its file is beside the
    template; None when the API has none."""
    body = placed.properties.get("Body")
    if isinstance(body, str):
        try:
            body = yaml.safe_load(body)
        except yaml.YAMLError as error:
            stack.warnings.append(f"API {placed.logical_id}: its Body cannot be read ({str(error).splitlines()[0]})")
            return None
    if isinstance(body, Mapping):
        return body
    location = placed.properties.get("BodyS3Location")
    if isinstance(location, Mapping):
        key = location.get("Key")
        folder = Path(stack.template.path).parent if stack.template.path else None
        document, why = definition_beside(folder, key) if isinstance(key, str) and folder is not None else (
            None, "its definition is in S3")
        if isinstance(document, Mapping):
            return document
        stack.warnings.append(f"API {placed.logical_id}: {why}; its routes are not read")
    return None


def _schemes(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """Security schemes: Swagger 2's `securityDefinitions`, OpenAPI 3's `components.securitySchemes`."""
    return {**mapping_of(document.get("securityDefinitions")), **mapping_of(mapping_of(document.get("components")).get(
        "securitySchemes"))}


def _operations(document: Mapping[str, Any]) -> Iterable[tuple[str, str, Mapping[str, Any]]]:
    """(path, HTTP method in upper case, operation) of every operation of the definition."""
    for path, item in mapping_of(document.get("paths")).items():
        for method, operation in mapping_of(item).items():
            if method.lower() in _OPERATIONS and isinstance(operation, Mapping):
                verb = "ANY" if method.lower() == "x-amazon-apigateway-any-method" else method.upper()
                yield str(path), verb, operation


def _requirements(operation: Mapping[str, Any], document: Mapping[str, Any]) -> list[tuple[str, list[Any]]]:
    """(scheme, scopes) the operation requires: its own `security`, else the document's."""
    security = operation["security"] if isinstance(operation.get("security"), list) else list_of(
        document.get("security"))
    return [(str(name), list_of(scopes)) for requirement in security
            for name, scopes in mapping_of(requirement).items()]


# --- REST APIs -------------------------------------------------------------------------------------------------


def _rest_api(placed: Placed, document: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """GetRestApis' item for the deployed API, and the configuration AWS's defaults gave it."""
    properties, document = placed.properties, document or {}
    types = list_of(mapping_of(properties.get("EndpointConfiguration")).get("Types"))
    from_parameters = mapping_of(properties.get("Parameters")).get("endpointConfigurationTypes")
    if not types and isinstance(from_parameters, str):
        types = [t.strip() for t in from_parameters.split(",") if t.strip()]
    defaults = [] if types else ["endpoint_types"]
    endpoint = _kept(types=[str(t) for t in types] or [DEFAULT_REST_ENDPOINT],
                     vpcEndpointIds=list_of(mapping_of(properties.get("EndpointConfiguration")).get("VpcEndpointIds")))
    extension = mapping_of(document.get("x-amazon-apigateway-endpoint-configuration"))
    api = _kept(id=placed.name, name=str(properties.get("Name") or mapping_of(document.get("info")).get("title") or ""),
                endpointConfiguration=endpoint,
                apiKeySource=properties.get("ApiKeySourceType") or document.get("x-amazon-apigateway-api-key-source"),
                policy=_policy_text(properties.get("Policy") or document.get("x-amazon-apigateway-policy")),
                tags=_tag_dict(properties.get("Tags")))
    if is_true(properties.get("DisableExecuteApiEndpoint", extension.get("disableExecuteApiEndpoint"))):
        api["disableExecuteApiEndpoint"] = True
    return api, defaults


def _rest_integration(integration: Mapping[str, Any], openapi: bool) -> dict[str, Any]:
    """A method's integration as GetResources embeds it, from CloudFormation's `Integration` or an OpenAPI
    `x-amazon-apigateway-integration` (whose type is written in lower case)."""
    if openapi:
        return _kept(type=str(integration.get("type") or "").upper(), uri=integration.get("uri"),
                     httpMethod=integration.get("httpMethod"), credentials=integration.get("credentials"),
                     requestTemplates=mapping_of(integration.get("requestTemplates")),
                     requestParameters=mapping_of(integration.get("requestParameters")),
                     connectionType=str(integration.get("connectionType") or "").upper() or None)
    return _kept(type=integration.get("Type"), uri=integration.get("Uri"),
                 httpMethod=integration.get("IntegrationHttpMethod"), credentials=integration.get("Credentials"),
                 requestTemplates=mapping_of(integration.get("RequestTemplates")),
                 requestParameters=mapping_of(integration.get("RequestParameters")),
                 connectionType=integration.get("ConnectionType"))


class _RestApi:
    """One REST API being put together from the template's resources: its answers, by kind."""

    def __init__(self, placed: Placed, stack: Stack) -> None:
        self.placed = placed
        self.document = _definition(placed, stack)
        self.api, self.defaults = _rest_api(placed, self.document)
        root = _Ids.root(placed.name)
        self.resources: dict[str, dict[str, Any]] = {root: {"id": root, "path": "/", "resourceMethods": {}}}
        self.authorizers: dict[str, dict[str, Any]] = {}
        self.stages: dict[str, dict[str, Any]] = {}
        self.undecided: set[RouteKey] = set()  # methods whose authorisation only deployment decides
        if self.document is not None:
            self._imported(self.document)

    def resource_at(self, path: str) -> dict[str, Any]:
        for resource in self.resources.values():
            if resource["path"] == path:
                return resource
        resource_id = f"{self.placed.name}-{path}"
        self.resources[resource_id] = {"id": resource_id, "path": path, "resourceMethods": {}}
        return self.resources[resource_id]

    def _imported(self, document: Mapping[str, Any]) -> None:
        """What importing the OpenAPI definition makes: resources (each path's ancestors too), methods, authorisers."""
        schemes = _schemes(document)
        for name, scheme in schemes.items():
            authorizer = mapping_of(mapping_of(scheme).get("x-amazon-apigateway-authorizer"))
            if authorizer:
                self.authorizers[f"{self.placed.name}-{name}"] = _kept(
                    id=f"{self.placed.name}-{name}", name=name, type=str(authorizer.get("type") or "").upper(),
                    providerARNs=list_of(authorizer.get("providerARNs")), authorizerUri=authorizer.get("authorizerUri"),
                    identitySource=authorizer.get("identitySource"))
        for path, verb, operation in _operations(document):
            parts = [part for part in path.split("/") if part]
            for end in range(1, len(parts) + 1):
                self.resource_at("/" + "/".join(parts[:end]))
            method: dict[str, Any] = {"httpMethod": verb, "authorizationType": "NONE", "apiKeyRequired": False}
            for name, scopes in _requirements(operation, document):
                scheme = mapping_of(schemes.get(name))
                authorizer = mapping_of(scheme.get("x-amazon-apigateway-authorizer"))
                kind = str(authorizer.get("type") or scheme.get("x-amazon-apigateway-authtype") or "").lower()
                if authorizer:
                    method["authorizationType"] = "COGNITO_USER_POOLS" if kind == "cognito_user_pools" else "CUSTOM"
                    method["authorizerId"] = f"{self.placed.name}-{name}"
                    if scopes:
                        method["authorizationScopes"] = [str(s) for s in scopes]
                elif kind == "awssigv4":
                    method["authorizationType"] = "AWS_IAM"
                elif str(scheme.get("type") or "") == "apiKey":
                    method["apiKeyRequired"] = True
            integration = mapping_of(operation.get("x-amazon-apigateway-integration"))
            if integration:
                method["methodIntegration"] = _rest_integration(integration, openapi=True)
            self.resource_at("/" + "/".join(parts))["resourceMethods"][verb] = method

    def record(self) -> dict[str, Any]:
        return {"Api": self.api, "Stages": list(self.stages.values()), "Resources": list(self.resources.values()),
                "Authorizers": list(self.authorizers.values())}


def _method_settings(settings: Any) -> dict[str, dict[str, Any]]:
    """`MethodSettings` as GetStages keys them: `*/*` for every method, `~1path/GET` for one."""
    answer: dict[str, dict[str, Any]] = {}
    for setting in list_of(settings):
        if not isinstance(setting, Mapping):
            continue
        path = str(setting.get("ResourcePath") or "/*")
        key = f"{'*' if path == '/*' else path.replace('/', '~1')}/{setting.get('HttpMethod') or '*'}"
        answer[key] = _kept(loggingLevel=setting.get("LoggingLevel"),
                            dataTraceEnabled=is_true(setting.get("DataTraceEnabled")) or None,
                            metricsEnabled=is_true(setting.get("MetricsEnabled")) or None,
                            cachingEnabled=is_true(setting.get("CachingEnabled")) or None,
                            throttlingBurstLimit=setting.get("ThrottlingBurstLimit"),
                            throttlingRateLimit=setting.get("ThrottlingRateLimit"))
    return answer


def _rest_stage(name: str, settings: Mapping[str, Any], top_level: bool) -> dict[str, Any]:
    """GetStages' item for a stage, from `AWS::ApiGateway::Stage` or a deployment's `StageDescription` (whose
    logging, tracing and throttling written at its top level apply to every method)."""
    logs = mapping_of(settings.get("AccessLogSetting"))
    methods = _method_settings(settings.get("MethodSettings"))
    if top_level:
        every = _kept(loggingLevel=settings.get("LoggingLevel"),
                      dataTraceEnabled=is_true(settings.get("DataTraceEnabled")) or None,
                      metricsEnabled=is_true(settings.get("MetricsEnabled")) or None,
                      throttlingBurstLimit=settings.get("ThrottlingBurstLimit"),
                      throttlingRateLimit=settings.get("ThrottlingRateLimit"))
        if every:
            methods["*/*"] = {**every, **methods.get("*/*", {})}
    return _kept(stageName=name, methodSettings=methods, tracingEnabled=is_true(settings.get("TracingEnabled")),
                 clientCertificateId=settings.get("ClientCertificateId"), tags=_tag_dict(settings.get("Tags")),
                 accessLogSettings=_kept(destinationArn=logs.get("DestinationArn"), format=logs.get("Format")))


def _web_acls(stack: Stack) -> dict[tuple[str, str], str]:
    """(API id, stage) → the web ACL an association puts on that REST stage."""
    found = {}
    for placed in stack.placed.values():
        if placed.type != WEB_ACL_ASSOCIATION:
            continue
        stage = _STAGE_ARN.match(str(placed.properties.get("ResourceArn") or ""))
        if stage is not None and isinstance(placed.properties.get("WebACLArn"), str):
            found[(stage.group("api"), stage.group("stage"))] = placed.properties["WebACLArn"]
    return found


def _rest_path(resource: Placed, stack: Stack, ids: _Ids, seen: frozenset[str] = frozenset()) -> str | None:
    """The path of an `AWS::ApiGateway::Resource`, its parents followed; None when a parent is not the stack's."""
    part = str(resource.properties.get("PathPart") or "")
    parent = ids.logical(resource.properties.get("ParentId"))
    if parent is None or parent[0] in seen:
        return None
    owner = stack.placed[parent[0]]
    if owner.type == REST_API and parent[1] == "RootResourceId":
        return f"/{part}"
    if owner.type != "AWS::ApiGateway::Resource":
        return None
    above = _rest_path(owner, stack, ids, seen | {resource.logical_id})
    return None if above is None else f"{above.rstrip('/')}/{part}"


def rest_records(stack: Stack) -> tuple[list[dict[str, Any]], dict[str, list[str]], set[RouteKey]]:
    """(each REST API's record as the collector's get builds it, the defaults each API's node was given, the
    methods whose authorisation only deployment decides)."""
    ids = _Ids(stack)
    apis = {p.name: _RestApi(p, stack) for p in stack.placed.values() if p.type == REST_API}

    def api_of(placed: Placed) -> _RestApi | None:
        api = apis.get(str(placed.properties.get("RestApiId")))
        if api is None:
            stack.warnings.append(f"{placed.type} {placed.logical_id}: its REST API is not one this template defines; "
                                  "not read")
        return api

    resources: dict[str, str] = {}  # the stand-in id of each resource → its path
    for placed in stack.placed.values():
        if placed.type == "AWS::ApiGateway::Resource" and (api := api_of(placed)) is not None:
            path = _rest_path(placed, stack, ids)
            if path is None:
                stack.warnings.append(f"resource {placed.logical_id}: its parent is not a resource of this template")
                continue
            resources[str(ids.of(_ref(placed.logical_id)))] = path
            api.resource_at(path)
        elif placed.type == "AWS::ApiGateway::Authorizer" and (api := api_of(placed)) is not None:
            p = placed.properties
            authorizer_id = str(ids.of(_ref(placed.logical_id)))
            api.authorizers[authorizer_id] = _kept(
                id=authorizer_id, name=p.get("Name"), type=p.get("Type"), providerARNs=list_of(p.get("ProviderARNs")),
                authorizerUri=p.get("AuthorizerUri"), identitySource=p.get("IdentitySource"))
    for placed in stack.placed.values():
        if placed.type == "AWS::ApiGateway::Method" and (api := api_of(placed)) is not None:
            _read_method(placed, api, resources, ids, stack)
    acls = _web_acls(stack)
    for placed in stack.placed.values():
        if placed.type == "AWS::ApiGateway::Deployment" and placed.properties.get("StageName") and (
                api := api_of(placed)) is not None:
            name = str(placed.properties["StageName"])
            api.stages.setdefault(name, _rest_stage(name, mapping_of(placed.properties.get("StageDescription")), True))
        elif placed.type == "AWS::ApiGateway::Stage" and (api := api_of(placed)) is not None:
            name = str(placed.properties.get("StageName") or placed.name)
            api.stages[name] = _rest_stage(name, placed.properties, False)
    for api in apis.values():
        for name, stage in api.stages.items():
            if (api.placed.name, name) in acls:
                stage["webAclArn"] = acls[(api.placed.name, name)]
    return ([api.record() for api in apis.values()],
            {api.placed.id: api.defaults for api in apis.values() if api.defaults},
            {key for api in apis.values() for key in api.undecided})


def _read_method(placed: Placed, api: _RestApi, resources: Mapping[str, str], ids: _Ids, stack: Stack) -> None:
    p = placed.properties
    named = ids.logical(p.get("ResourceId"))
    root = named is not None and named[1] == "RootResourceId"
    path = "/" if root else resources.get(str(ids.of(p.get("ResourceId"))))
    if path is None:
        stack.warnings.append(f"method {placed.logical_id}: its resource is not one this template defines; not read")
        return
    verb = str(p.get("HttpMethod") or "").upper()
    method = _kept(httpMethod=verb, authorizationType=p.get("AuthorizationType") or "NONE",
                   authorizerId=ids.of(p.get("AuthorizerId")),
                   authorizationScopes=list_of(p.get("AuthorizationScopes")))
    method["apiKeyRequired"] = is_true(p.get("ApiKeyRequired"))
    if _authorisation_undecided(p):
        api.undecided.add(("REST", str(api.api.get("id")), verb, path))
    if isinstance(p.get("Integration"), Mapping):
        method["methodIntegration"] = _rest_integration(p["Integration"], openapi=False)
    api.resource_at(path)["resourceMethods"][verb] = method


# --- HTTP and WebSocket APIs -----------------------------------------------------------------------------------


class _HttpApi:
    def __init__(self, placed: Placed, stack: Stack) -> None:
        properties = placed.properties
        self.placed = placed
        self.document = _definition(placed, stack) or {}
        protocol = str(properties.get("ProtocolType") or "HTTP")
        scheme = "wss" if protocol == "WEBSOCKET" else "https"
        tags = {**{str(t.get("name")): str(t.get("x-amazon-apigateway-tag-value")) for t in list_of(
            self.document.get("tags")) if isinstance(t, Mapping) and "x-amazon-apigateway-tag-value" in t},
                **_tag_dict(properties.get("Tags"))}
        title = mapping_of(self.document.get("info")).get("title")
        self.api = _kept(ApiId=placed.name, Name=str(properties.get("Name") or title or ""), ProtocolType=protocol,
                         Tags=tags, ApiEndpoint=f"{scheme}://{placed.name}.execute-api.{stack.region}.amazonaws.com")
        if is_true(properties.get("DisableExecuteApiEndpoint")):
            self.api["DisableExecuteApiEndpoint"] = True
        self.routes: list[dict[str, Any]] = []
        self.undecided: set[RouteKey] = set()  # routes whose authorisation only deployment decides
        self.integrations: dict[str, dict[str, Any]] = {}
        self.authorizers: dict[str, dict[str, Any]] = {}
        self.stages: dict[str, dict[str, Any]] = {}
        self._imported()
        if properties.get("Target"):
            self._quick_create(properties)

    def _quick_create(self, properties: Mapping[str, Any]) -> None:
        """What a quick-create `Target` makes: a proxy integration, its route, an auto-deployed `$default` stage."""
        target = str(properties["Target"])
        integration_id = f"{self.placed.name}-quick"
        self.integrations[integration_id] = _kept(
            IntegrationId=integration_id, IntegrationType="HTTP_PROXY" if "://" in target else "AWS_PROXY",
            IntegrationUri=target, CredentialsArn=properties.get("CredentialsArn"),
            PayloadFormatVersion=None if "://" in target else "2.0")
        self.routes.append({"RouteId": f"{self.placed.name}-quick", "RouteKey": str(properties.get("RouteKey")
                                                                                    or "$default"),
                            "AuthorizationType": "NONE", "Target": f"integrations/{integration_id}"})
        self.stages.setdefault("$default", {"StageName": "$default", "AutoDeploy": True})

    def _imported(self) -> None:
        schemes = _schemes(self.document)
        for path, verb, operation in _operations(self.document):
            key = "$default" if path == "$default" else f"{verb} {path}"
            route: dict[str, Any] = {"RouteId": f"{self.placed.name}-{key}", "RouteKey": key,
                                     "AuthorizationType": "NONE"}
            for name, scopes in _requirements(operation, self.document):
                scheme = mapping_of(schemes.get(name))
                authorizer = mapping_of(scheme.get("x-amazon-apigateway-authorizer"))
                kind = str(authorizer.get("type") or scheme.get("x-amazon-apigateway-authtype") or "").lower()
                if authorizer:
                    authorizer_id = f"{self.placed.name}-{name}"
                    jwt = mapping_of(authorizer.get("jwtConfiguration"))
                    self.authorizers[authorizer_id] = _kept(
                        AuthorizerId=authorizer_id, Name=name, AuthorizerType="JWT" if kind == "jwt" else "REQUEST",
                        AuthorizerUri=authorizer.get("authorizerUri"),
                        IdentitySource=list_of(authorizer.get("identitySource")) or None,
                        JwtConfiguration=_kept(Issuer=jwt.get("issuer"), Audience=list_of(jwt.get("audience"))))
                    route.update(AuthorizationType="JWT" if kind == "jwt" else "CUSTOM", AuthorizerId=authorizer_id)
                    if scopes:
                        route["AuthorizationScopes"] = [str(s) for s in scopes]
                elif kind == "awssigv4":
                    route["AuthorizationType"] = "AWS_IAM"
            integration = mapping_of(operation.get("x-amazon-apigateway-integration"))
            if integration:
                integration_id = f"{self.placed.name}-{key}"
                self.integrations[integration_id] = _kept(
                    IntegrationId=integration_id, IntegrationType=str(integration.get("type") or "").upper(),
                    IntegrationUri=integration.get("uri"), IntegrationMethod=integration.get("httpMethod"),
                    IntegrationSubtype=integration.get("integrationSubtype"),
                    CredentialsArn=integration.get("credentials"),
                    RequestParameters=mapping_of(integration.get("requestParameters")),
                    PayloadFormatVersion=integration.get("payloadFormatVersion"),
                    ConnectionType=str(integration.get("connectionType") or "").upper() or None)
                route["Target"] = f"integrations/{integration_id}"
            self.routes.append(route)

    def record(self) -> dict[str, Any]:
        named = {str(route["AuthorizerId"]) for route in self.routes if route.get("AuthorizerId")}
        return {"Api": self.api, "Stages": list(self.stages.values()), "Routes": self.routes,
                "Integrations": list(self.integrations.values()),
                # The get reads only the authorisers a route names.
                "Authorizers": [a for key, a in self.authorizers.items() if key in named]}


def _http_stage(placed: Placed) -> dict[str, Any]:
    p = placed.properties
    logs, defaults = mapping_of(p.get("AccessLogSettings")), mapping_of(p.get("DefaultRouteSettings"))
    return _kept(StageName=p.get("StageName"), AutoDeploy=is_true(p.get("AutoDeploy")),
                 ClientCertificateId=p.get("ClientCertificateId"), Tags=_tag_dict(p.get("Tags")),
                 AccessLogSettings=_kept(DestinationArn=logs.get("DestinationArn"), Format=logs.get("Format")),
                 DefaultRouteSettings=_kept(LoggingLevel=defaults.get("LoggingLevel"),
                                            DataTraceEnabled=is_true(defaults.get("DataTraceEnabled")) or None,
                                            DetailedMetricsEnabled=is_true(defaults.get("DetailedMetricsEnabled")),
                                            ThrottlingBurstLimit=defaults.get("ThrottlingBurstLimit"),
                                            ThrottlingRateLimit=defaults.get("ThrottlingRateLimit")))


def http_records(stack: Stack) -> tuple[list[dict[str, Any]], set[RouteKey]]:
    """(each HTTP or WebSocket API's record as the collector's get builds it, the routes whose authorisation only
    deployment decides)."""
    ids = _Ids(stack)
    apis = {p.name: _HttpApi(p, stack) for p in stack.placed.values() if p.type == HTTP_API}

    def api_of(placed: Placed) -> _HttpApi | None:
        api = apis.get(str(placed.properties.get("ApiId")))
        if api is None:
            stack.warnings.append(f"{placed.type} {placed.logical_id}: its API is not one this template defines; "
                                  "not read")
        return api

    for placed in stack.placed.values():
        p = placed.properties
        local_id = str(ids.of(_ref(placed.logical_id)))
        if placed.type == "AWS::ApiGatewayV2::Integration" and (api := api_of(placed)) is not None:
            api.integrations[local_id] = _kept(
                IntegrationId=local_id, IntegrationType=p.get("IntegrationType"),
                IntegrationUri=p.get("IntegrationUri"),
                IntegrationMethod=p.get("IntegrationMethod"), IntegrationSubtype=p.get("IntegrationSubtype"),
                CredentialsArn=p.get("CredentialsArn"), RequestParameters=mapping_of(p.get("RequestParameters")),
                RequestTemplates=mapping_of(p.get("RequestTemplates")),
                PayloadFormatVersion=p.get("PayloadFormatVersion"),
                ConnectionType=p.get("ConnectionType"))
        elif placed.type == "AWS::ApiGatewayV2::Authorizer" and (api := api_of(placed)) is not None:
            jwt = mapping_of(p.get("JwtConfiguration"))
            api.authorizers[local_id] = _kept(
                AuthorizerId=local_id, Name=p.get("Name"), AuthorizerType=p.get("AuthorizerType"),
                AuthorizerUri=p.get("AuthorizerUri"), IdentitySource=list_of(p.get("IdentitySource")),
                JwtConfiguration=_kept(Issuer=jwt.get("Issuer"), Audience=list_of(jwt.get("Audience"))))
        elif placed.type == "AWS::ApiGatewayV2::Stage" and (api := api_of(placed)) is not None:
            api.stages[str(p.get("StageName"))] = _http_stage(placed)
    for placed in stack.placed.values():
        if placed.type == "AWS::ApiGatewayV2::Route" and (api := api_of(placed)) is not None:
            p = placed.properties
            target = str(p.get("Target") or "")
            if target.startswith("integrations/"):
                target = f"integrations/{ids.of(target.removeprefix('integrations/')) or target}"
            api.routes.append(_kept(RouteId=str(ids.of(_ref(placed.logical_id))), RouteKey=p.get("RouteKey"),
                                    AuthorizationType=p.get("AuthorizationType") or "NONE",
                                    AuthorizerId=ids.of(p.get("AuthorizerId")),
                                    ApiKeyRequired=is_true(p.get("ApiKeyRequired")) or None,
                                    AuthorizationScopes=list_of(p.get("AuthorizationScopes")), Target=target))
            if _authorisation_undecided(p):
                api.undecided.add(("HTTP", str(api.api.get("ApiId")), str(p.get("RouteKey")), ""))
    return [api.record() for api in apis.values()], {key for api in apis.values() for key in api.undecided}


# --- custom domain names ---------------------------------------------------------------------------------------


def domain_records(stack: Stack) -> list[dict[str, Any]]:
    """GetDomainNames' items (REST and HTTP APIs' custom domains alike) with each one's GetApiMappings."""
    ids = _Ids(stack)
    domains: dict[str, dict[str, Any]] = {}
    by_logical: dict[str, str] = {}
    for placed in stack.placed.values():
        p = placed.properties
        if placed.type == "AWS::ApiGatewayV2::DomainName" and p.get("DomainName"):
            configurations = [_kept(EndpointType=c.get("EndpointType"), SecurityPolicy=c.get("SecurityPolicy"),
                                    CertificateArn=c.get("CertificateArn"))
                              for c in list_of(p.get("DomainNameConfigurations")) if isinstance(c, Mapping)]
        elif placed.type == "AWS::ApiGateway::DomainName" and p.get("DomainName"):
            configurations = [_kept(EndpointType=t, SecurityPolicy=p.get("SecurityPolicy"),
                                    CertificateArn=p.get("RegionalCertificateArn") or p.get("CertificateArn"))
                              for t in list_of(mapping_of(p.get("EndpointConfiguration")).get("Types")) or ["EDGE"]]
        else:
            continue
        name = str(p["DomainName"])
        mutual = mapping_of(p.get("MutualTlsAuthentication"))
        domains[name] = {"Domain": _kept(DomainName=name, DomainNameConfigurations=configurations,
                                         MutualTlsAuthentication=_kept(TruststoreUri=mutual.get("TruststoreUri"))),
                         "Mappings": []}
        by_logical[placed.logical_id] = name
    for placed in stack.placed.values():
        p = placed.properties
        if placed.type not in ("AWS::ApiGatewayV2::ApiMapping", "AWS::ApiGateway::BasePathMapping"):
            continue
        named = ids.logical(p.get("DomainName"))
        domain = by_logical.get(named[0]) if named else str(p.get("DomainName") or "")
        if domain not in domains:
            stack.warnings.append(f"{placed.type} {placed.logical_id}: maps a domain this template does not define; "
                                  "not read")
            continue
        rest = placed.type == "AWS::ApiGateway::BasePathMapping"
        key = p.get("BasePath") if rest else p.get("ApiMappingKey")
        domains[domain]["Mappings"].append(_kept(ApiId=p.get("RestApiId" if rest else "ApiId"),
                                                 ApiMappingKey="" if key in (None, "(none)") else key,
                                                 Stage=p.get("Stage")))
    return list(domains.values())


# --- facts -----------------------------------------------------------------------------------------------------


def _authorisation_undecided(properties: Mapping[str, Any]) -> bool:
    """Whether a method's or route's authorisation is left to a value only deployment knows (an `!If` on a
    condition nobody can decide, a parameter nobody gave)."""
    return any(key in properties and not is_determined(properties[key])
               for key in ("AuthorizationType", "ApiKeyRequired"))


def _route_key(node: Node) -> RouteKey:
    attributes = node.attributes
    if attributes.get("protocol") == "REST":
        return ("REST", str(attributes.get("api_id")), str(attributes.get("method")), str(attributes.get("path")))
    return ("HTTP", str(attributes.get("api_id")), str(attributes.get("route_key")), "")


def _authorisation_unread(node: Node, undecided: set[RouteKey]) -> Node:
    """A route whose authorisation only deployment decides: unread, so that no rule judges a guess."""
    if not undecided or _route_key(node) not in undecided:
        return node
    attributes = {k: v for k, v in node.attributes.items() if k not in ("auth_type", "api_key_required")}
    attributes["unread"] = sorted({*node.attributes.get("unread", ()), "authorization"})
    return replace(node, attributes=attributes)


def facts(stack: Stack) -> Facts:
    if not any(p.type in TYPES for p in stack.placed.values()):
        return Facts()
    rest, defaults, rest_undecided = rest_records(stack)
    http, http_undecided = http_records(stack)
    raw = {"RestApis": rest, "HttpApis": http, "Domains": domain_records(stack)}
    found = finished(apigateway.transform_apigateway(raw, stack.account, stack.region), defaults, {})
    undecided = rest_undecided | http_undecided
    return Facts(tuple(_authorisation_unread(node, undecided) for node in found.nodes), found.edges, found.gaps)
