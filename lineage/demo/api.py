"""The demo's entry points: where students' actions enter the platform.

- REST API `learning-platform-api` (REGIONAL): `POST /enrollments` into the `enrollment-api` function and
  `GET /enrollments/{enrollment_id}` straight from the `enrollments` table through a mapping template,
  both behind a Cognito user pool authoriser; `GET /courses` into the same function with no authorisation
  at all (left open on purpose) and its CORS preflight; stage `prod` with an access log and no web ACL.
- HTTP API `learning-events`: `POST /clicks` put into the `lp-clickstream` stream (Kinesis-PutRecord),
  behind a JWT authoriser; stage `$default`, served at `api.learning.example.edu/events`.
- AppSync API `course-catalog`: API key only, over the `enrollments` table.

The REST API may already hold `POST /enrollments` (the estate's first sketch of it): it is found by name
and completed rather than made twice.
"""

from __future__ import annotations

from typing import Any

from lineage.demo import ACCOUNT, REGION, ClientFactory

REST_API = "learning-platform-api"
HTTP_API = "learning-events"
GRAPHQL_API = "course-catalog"
ACCESS_LOG_GROUP = "/aws/apigateway/learning-platform-api-access"
DOMAIN = "api.learning.example.edu"
ACCESS_LOG_FORMAT = "$context.requestId $context.identity.sourceIp $context.httpMethod $context.path $context.status"
_ENROLLMENT_BY_ID = ('{"TableName": "enrollments", '
                     '"Key": {"enrollment_id": {"S": "$input.params(\'enrollment_id\')"}}}')


def _rest_api(apigateway: Any) -> str:
    """The REST API's id, made REGIONAL: found by name, or created."""
    found = next((api for api in apigateway.get_rest_apis()["items"] if api["name"] == REST_API), None)
    if found is None:
        return str(apigateway.create_rest_api(name=REST_API, endpointConfiguration={"types": ["REGIONAL"]})["id"])
    for kind in (found.get("endpointConfiguration") or {}).get("types") or ():
        if kind != "REGIONAL":
            apigateway.update_rest_api(restApiId=found["id"], patchOperations=[
                {"op": "replace", "path": f"/endpointConfiguration/types/{kind}", "value": "REGIONAL"}])
    return str(found["id"])


def _resource(apigateway: Any, api: str, path: str) -> str:
    """The id of the resource at `path`, made (with its parents) where missing."""
    held = {r["path"]: r["id"] for r in apigateway.get_resources(restApiId=api)["items"]}
    parent = held["/"]
    current = ""
    for part in path.strip("/").split("/"):
        current = f"{current}/{part}"
        if current not in held:
            held[current] = apigateway.create_resource(restApiId=api, parentId=parent, pathPart=part)["id"]
        parent = held[current]
    return str(parent)


def _method(apigateway: Any, api: str, path: str, verb: str, authorizer: str | None,
            integration: dict[str, Any]) -> None:
    resource = _resource(apigateway, api, path)
    auth = {"authorizationType": "COGNITO_USER_POOLS", "authorizerId": authorizer} if authorizer else {
        "authorizationType": "NONE"}
    apigateway.put_method(restApiId=api, resourceId=resource, httpMethod=verb, **auth)
    apigateway.put_integration(restApiId=api, resourceId=resource, httpMethod=verb, **integration)


def _build_rest_api(client: ClientFactory, function: str, role: str, pool_arn: str) -> None:
    apigateway = client("apigateway")
    api = _rest_api(apigateway)
    students = apigateway.create_authorizer(
        restApiId=api, name="students", type="COGNITO_USER_POOLS", providerARNs=[pool_arn],
        identitySource="method.request.header.Authorization")["id"]
    to_function = {"type": "AWS_PROXY", "integrationHttpMethod": "POST",
                   "uri": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"}
    _method(apigateway, api, "/enrollments", "POST", students, to_function)
    _method(apigateway, api, "/enrollments/{enrollment_id}", "GET", students, {
        "type": "AWS", "integrationHttpMethod": "POST", "credentials": role,
        "uri": f"arn:aws:apigateway:{REGION}:dynamodb:action/GetItem",
        "requestTemplates": {"application/json": _ENROLLMENT_BY_ID}})
    # The course list was meant to be public and went out with no authorisation on the same function.
    _method(apigateway, api, "/courses", "GET", None, to_function)
    _method(apigateway, api, "/courses", "OPTIONS", None, {
        "type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}})
    logs = client("logs")
    logs.create_log_group(logGroupName=ACCESS_LOG_GROUP, tags={"team": "platform"})
    logs.put_retention_policy(logGroupName=ACCESS_LOG_GROUP, retentionInDays=90)
    apigateway.create_deployment(restApiId=api, stageName="prod")
    apigateway.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn",
         "value": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{ACCESS_LOG_GROUP}"},
        {"op": "replace", "path": "/accessLogSettings/format", "value": ACCESS_LOG_FORMAT}])


def _build_http_api(client: ClientFactory, role: str, pool_id: str, audience: str) -> None:
    apigatewayv2 = client("apigatewayv2")
    api = apigatewayv2.create_api(Name=HTTP_API, ProtocolType="HTTP", Tags={"team": "web"})["ApiId"]
    clicks = apigatewayv2.create_integration(
        ApiId=api, IntegrationType="AWS_PROXY", IntegrationSubtype="Kinesis-PutRecord", PayloadFormatVersion="1.0",
        CredentialsArn=role, RequestParameters={"StreamName": "lp-clickstream", "Data": "$request.body",
                                                "PartitionKey": "$context.requestId"})["IntegrationId"]
    students = apigatewayv2.create_authorizer(
        ApiId=api, Name="students", AuthorizerType="JWT", IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": [audience], "Issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"},
    )["AuthorizerId"]
    apigatewayv2.create_route(ApiId=api, RouteKey="POST /clicks", Target=f"integrations/{clicks}",
                              AuthorizationType="JWT", AuthorizerId=students)
    apigatewayv2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    # Served under the platform's own domain, at /events.
    apigatewayv2.create_domain_name(DomainName=DOMAIN, DomainNameConfigurations=[{
        "CertificateArn": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/5f0c2a3e-8b1d-4c6f-9e2a-7d3b1c0e4f5a",
        "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}])
    apigatewayv2.create_api_mapping(DomainName=DOMAIN, ApiId=api, Stage="$default", ApiMappingKey="events")


def _build_graphql_api(client: ClientFactory, role: str) -> None:
    appsync = client("appsync")
    # The course catalogue for the website: an API key in the page's script is all it asks for.
    api = appsync.create_graphql_api(name=GRAPHQL_API, authenticationType="API_KEY", xrayEnabled=False,
                                     tags={"team": "web"})["graphqlApi"]["apiId"]
    appsync.create_data_source(apiId=api, name="enrollments", type="AMAZON_DYNAMODB", serviceRoleArn=role,
                               dynamodbConfig={"tableName": "enrollments", "awsRegion": REGION})


def build(client: ClientFactory) -> None:
    role = client("iam").get_role(RoleName="learning-platform-role")["Role"]["Arn"]
    function = client("lambda").get_function(FunctionName="enrollment-api")["Configuration"]["FunctionArn"]
    cognito = client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="learning-platform-students")["UserPool"]
    audience = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]["ClientId"]
    _build_rest_api(client, function, role, pool["Arn"])
    _build_http_api(client, role, pool["Id"], audience)
    _build_graphql_api(client, role)
