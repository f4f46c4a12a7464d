"""API Gateway, AppSync, Bedrock, SageMaker, EMR, EMR Serverless and QuickSight resources read from templates — the
learning platform's entry points, models and dashboards as a team would write them (SAM included): the nodes and
flows each gives, the findings they lead to, and, for each service, the same facts as its collector gives on the
same resources made in moto through the service's API with the template's resolved properties."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from collectors import apigateway, appsync, bedrock, emr, emrserverless, quicksight, sagemaker
from collectors.context import AwsContext
from lineage import arn as arns
from lineage.model import Facts, Scan
from templates.document import read_template
from templates.naming import stand_in_name
from templates.services import apigateway as apigateway_template
from templates.services import appsync as appsync_template
from templates.services import bedrock as bedrock_template
from templates.services import emr as emr_template
from templates.services import emrserverless as emrserverless_template
from templates.services import quicksight as quicksight_template
from templates.services import sagemaker as sagemaker_template
from templates.stack import Placement, Stack
from tests.templates.reading import findings, flows, nodes_by_id, written_and_scanned

ACCOUNT, REGION = "123456789012", "us-east-1"
PLACEMENT = Placement(account=ACCOUNT, region=REGION)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/learning-platform-role"


def read(tmp_path: Path, text: str, name: str, placement: Placement = PLACEMENT) -> Scan:
    return written_and_scanned(tmp_path / name, text, placement)


def function(name: str) -> str:
    return arns.lambda_function_arn(REGION, ACCOUNT, name)


def sagemaker_id(kind: str, name: str) -> str:
    return arns.sagemaker_arn(REGION, ACCOUNT, kind, name)


def quicksight_id(kind: str, name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:quicksight:{REGION}:{account}:{kind}/{name}"


ENROLLMENT_API = function("enrollment-api")
ENROLLMENTS_TABLE = arns.dynamodb_table_arn(REGION, ACCOUNT, "enrollments")
CLICKSTREAM = arns.kinesis_stream_arn(REGION, ACCOUNT, "lp-clickstream")
ACCESS_LOG = arns.log_group_arn(REGION, ACCOUNT, "/aws/apigateway/learning-platform-api-access")

# --- API Gateway --------------------------------------------------------------------------------------------------

# The demo's entry points: a REST API into the enrollment function and straight from the enrollments table, a
# course list left open, an HTTP API putting clicks on a stream behind a JWT authoriser, served at a custom domain.
REST_AND_HTTP = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  AccessLog: {Type: String, Default: /aws/apigateway/learning-platform-api-access}
  UserPool: {Type: String, Default: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Lp4Students"}
Resources:
  EnrollmentFunction:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: enrollment-api
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/learning-platform-role
      Code: {ZipFile: "def handler(event, context): return {}"}
  Enrollments:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: enrollments
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: enrollment_id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: enrollment_id, AttributeType: S}]
  PlatformApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: learning-platform-api
      EndpointConfiguration: {Types: [REGIONAL]}
  StudentsAuthorizer:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref PlatformApi
      Name: students
      Type: COGNITO_USER_POOLS
      ProviderARNs: [!Ref UserPool]
      IdentitySource: method.request.header.Authorization
  EnrollmentsResource:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref PlatformApi
      ParentId: !GetAtt PlatformApi.RootResourceId
      PathPart: enrollments
  EnrollmentResource:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref PlatformApi
      ParentId: !Ref EnrollmentsResource
      PathPart: "{enrollment_id}"
  CoursesResource:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref PlatformApi
      ParentId: !GetAtt PlatformApi.RootResourceId
      PathPart: courses
  PostEnrollment:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref PlatformApi
      ResourceId: !Ref EnrollmentsResource
      HttpMethod: POST
      AuthorizationType: COGNITO_USER_POOLS
      AuthorizerId: !Ref StudentsAuthorizer
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${EnrollmentFunction.Arn}\
          /invocations"
  GetEnrollment:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref PlatformApi
      ResourceId: !Ref EnrollmentResource
      HttpMethod: GET
      AuthorizationType: COGNITO_USER_POOLS
      AuthorizerId: !Ref StudentsAuthorizer
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Credentials: arn:aws:iam::123456789012:role/learning-platform-role
        Uri: !Sub "arn:aws:apigateway:${AWS::Region}:dynamodb:action/GetItem"
        RequestTemplates:
          application/json: !Sub >-
            {"TableName": "${Enrollments}", "Key": {"enrollment_id": {"S": "$input.params('enrollment_id')"}}}
  GetCourses:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref PlatformApi
      ResourceId: !Ref CoursesResource
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${EnrollmentFunction.Arn}\
          /invocations"
  CoursesPreflight:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref PlatformApi
      ResourceId: !Ref CoursesResource
      HttpMethod: OPTIONS
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": 200}'}
  PlatformDeployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [PostEnrollment, GetEnrollment, GetCourses, CoursesPreflight]
    Properties:
      RestApiId: !Ref PlatformApi
  ProdStage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref PlatformApi
      DeploymentId: !Ref PlatformDeployment
      StageName: prod
      AccessLogSetting:
        DestinationArn: !Sub "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:${AccessLog}"
        Format: "$context.requestId $context.identity.sourceIp $context.httpMethod $context.path $context.status"
  EventsApi:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: learning-events
      ProtocolType: HTTP
      Tags: {team: web}
  ClicksIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref EventsApi
      IntegrationType: AWS_PROXY
      IntegrationSubtype: Kinesis-PutRecord
      PayloadFormatVersion: "1.0"
      CredentialsArn: arn:aws:iam::123456789012:role/learning-platform-role
      RequestParameters: {StreamName: lp-clickstream, Data: $request.body, PartitionKey: $context.requestId}
  StudentsTokens:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref EventsApi
      Name: students
      AuthorizerType: JWT
      IdentitySource: [$request.header.Authorization]
      JwtConfiguration:
        Audience: [4d7kq3example]
        Issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Lp4Students
  ClicksRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref EventsApi
      RouteKey: POST /clicks
      Target: !Sub integrations/${ClicksIntegration}
      AuthorizationType: JWT
      AuthorizerId: !Ref StudentsTokens
  EventsStage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref EventsApi, StageName: $default, AutoDeploy: true}
  PlatformDomain:
    Type: AWS::ApiGatewayV2::DomainName
    Properties:
      DomainName: api.learning.example.edu
      DomainNameConfigurations:
        - CertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/5f0c2a3e-8b1d-4c6f-9e2a-7d3b1c0e4f5a
          EndpointType: REGIONAL
          SecurityPolicy: TLS_1_2
  EventsMapping:
    Type: AWS::ApiGatewayV2::ApiMapping
    Properties: {DomainName: !Ref PlatformDomain, ApiId: !Ref EventsApi, Stage: $default, ApiMappingKey: events}
"""
PLATFORM_API, EVENTS_API = "cfn:api#PlatformApi", "cfn:api#EventsApi"


def test_rest_methods_are_routes_into_the_function_and_out_of_the_table(tmp_path: Path) -> None:
    scan = read(tmp_path, REST_AND_HTTP, "api.yaml")
    found = nodes_by_id(scan)
    api = found[PLATFORM_API]
    assert (api.kind, api.name, api.observed) == ("apigateway.api", "learning-platform-api", True)
    assert api.attributes["endpoint_types"] == ["REGIONAL"] and "aws_defaults" not in api.attributes
    assert api.attributes["authorizers"] == {"${StudentsAuthorizer}": {  # the id API Gateway will give it
        "name": "students", "type": "COGNITO_USER_POOLS",
        "user_pools": [f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/us-east-1_Lp4Students"]}}
    [prod] = api.attributes["stages"]
    assert (prod["name"], prod["access_log_destination"], prod["web_acl"]) == ("prod", ACCESS_LOG, None)
    assert api.attributes["template"]["logical_id"] == "PlatformApi"
    routes = {n.name: n for n in scan.nodes if n.kind == "apigateway.route" and n.id.startswith(PLATFORM_API)}
    assert set(routes) == {"POST /enrollments", "GET /enrollments/{enrollment_id}", "GET /courses", "OPTIONS /courses"}
    post, by_id = routes["POST /enrollments"], routes["GET /enrollments/{enrollment_id}"]
    assert post.id == f"{PLATFORM_API}/*/POST/enrollments"
    assert (post.attributes["auth_type"], post.attributes["authorizer"]["id"]) == ("COGNITO_USER_POOLS",
                                                                                   "${StudentsAuthorizer}")
    assert routes["GET /courses"].attributes["auth_type"] == "NONE"
    assert {(post.id, "invokes", ENROLLMENT_API), (routes["GET /courses"].id, "invokes", ENROLLMENT_API),
            (ENROLLMENTS_TABLE, "reads", by_id.id), (post.id, "part_of", PLATFORM_API),
            (PLATFORM_API, "writes", ACCESS_LOG)} <= flows(scan)
    # The table is named in the mapping template: the evidence says where.
    [edge] = [e for e in scan.edges if e.source == ENROLLMENTS_TABLE and e.target == by_id.id]
    assert edge.evidence[0].path.endswith("requestTemplates.application/json.TableName")
    said = findings(scan)
    assert ("apigateway.route_without_authorization", routes["GET /courses"].id) in said
    assert ("apigateway.route_without_authorization", routes["OPTIONS /courses"].id) not in said  # CORS preflight
    assert ("apigateway.stage_without_waf", PLATFORM_API) in said
    assert ("apigateway.access_logging_off", PLATFORM_API) not in said


def test_an_http_route_puts_on_its_stream_behind_its_authoriser_at_its_domain(tmp_path: Path) -> None:
    scan = read(tmp_path, REST_AND_HTTP, "api.yaml")
    api, route = nodes_by_id(scan)[EVENTS_API], nodes_by_id(scan)[f"{EVENTS_API}/*/POST/clicks"]
    assert api.attributes["protocol"] == "HTTP" and api.attributes["tags"] == {"team": "web"}
    assert api.attributes["custom_domains"] == [{"name": "api.learning.example.edu", "endpoint_types": ["REGIONAL"],
                                                 "security_policy": "TLS_1_2", "mutual_tls": False,
                                                 "path": "events", "stage": "$default"}]
    assert [s["name"] for s in api.attributes["stages"]] == ["$default"]
    assert (route.attributes["auth_type"], route.attributes["authorizer"]["type"]) == ("JWT", "JWT")
    assert (route.id, "writes", CLICKSTREAM) in flows(scan)
    assert ("apigateway.access_logging_off", EVENTS_API) in findings(scan)
    assert ("apigateway.route_without_authorization", route.id) not in findings(scan)


# The course list's key and the click route's authoriser left to a parameter: `yes`, `no`, or nobody says.
UNDECIDED_AUTHORISATION = REST_AND_HTTP.replace(
    "Resources:\n", "  KeyForCourses: {Type: String}\n"
    "Conditions:\n  CoursesNeedKey: !Equals [!Ref KeyForCourses, \"yes\"]\nResources:\n", 1).replace(
    "      HttpMethod: GET\n      AuthorizationType: NONE\n",
    "      HttpMethod: GET\n      AuthorizationType: NONE\n      ApiKeyRequired: !If [CoursesNeedKey, true, false]\n",
    1).replace("      AuthorizationType: JWT\n      AuthorizerId: !Ref StudentsTokens\n",
               "      AuthorizationType: !If [CoursesNeedKey, JWT, NONE]\n      AuthorizerId: !Ref StudentsTokens\n", 1)


def test_authorisation_only_deployment_decides_is_unread_never_judged(tmp_path: Path) -> None:
    assert UNDECIDED_AUTHORISATION.count("CoursesNeedKey") == 3  # every edit above took
    courses, clicks = f"{PLATFORM_API}/*/GET/courses", f"{EVENTS_API}/*/POST/clicks"
    open_route = "apigateway.route_without_authorization"

    undecided = read(tmp_path, UNDECIDED_AUTHORISATION, "api.yaml")
    for route in (courses, clicks):
        attributes = nodes_by_id(undecided)[route].attributes
        assert "authorization" in attributes["unread"] and "auth_type" not in attributes
        assert (open_route, route) not in findings(undecided)
    assert (open_route, f"{PLATFORM_API}/*/OPTIONS/courses") not in findings(undecided)  # decided, as before

    def given(answer: str) -> Placement:
        return Placement(ACCOUNT, REGION, parameters={"KeyForCourses": answer})

    keyless = read(tmp_path, UNDECIDED_AUTHORISATION, "api.yaml", given("no"))
    assert nodes_by_id(keyless)[courses].attributes["api_key_required"] is False
    assert {(open_route, courses), (open_route, clicks)} <= findings(keyless)
    keyed = read(tmp_path, UNDECIDED_AUTHORISATION, "api.yaml", given("yes"))
    assert nodes_by_id(keyed)[courses].attributes["api_key_required"] is True
    assert nodes_by_id(keyed)[clicks].attributes["auth_type"] == "JWT"
    assert not {(open_route, courses), (open_route, clicks)} & findings(keyed)


def test_a_rest_api_that_names_no_endpoint_type_is_edge_as_aws_makes_it(tmp_path: Path) -> None:
    body = REST_AND_HTTP.replace("      EndpointConfiguration: {Types: [REGIONAL]}\n", "")
    api = nodes_by_id(read(tmp_path, body, "api.yaml"))[PLATFORM_API]
    assert api.attributes["endpoint_types"] == ["EDGE"]
    assert api.attributes["aws_defaults"] == ["endpoint_types"]


def test_a_web_acl_associated_with_the_stage_is_read(tmp_path: Path) -> None:
    body = REST_AND_HTTP + """\
  ProdFirewall:
    Type: AWS::WAFv2::WebACLAssociation
    Properties:
      ResourceArn: !Sub "arn:aws:apigateway:${AWS::Region}::/restapis/${PlatformApi}/stages/prod"
      WebACLArn: arn:aws:wafv2:us-east-1:123456789012:regional/webacl/lp-api/8a1f3c2e
"""
    scan = read(tmp_path, body, "api.yaml")
    [prod] = nodes_by_id(scan)[PLATFORM_API].attributes["stages"]
    assert prod["web_acl"] == "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/lp-api/8a1f3c2e"
    assert ("apigateway.stage_without_waf", PLATFORM_API) not in findings(scan)


# SAM: the API's routes are the function's `Events`, written into the API's OpenAPI definition by the translator.
SAM_API = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  EnrollmentFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: enrollment-api
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(event, context): return {}"
      Events:
        Enroll:
          Type: Api
          Properties: {RestApiId: !Ref PlatformApi, Path: /enrollments, Method: post}
        Courses:
          Type: Api
          Properties: {RestApiId: !Ref PlatformApi, Path: /courses, Method: get, Auth: {Authorizer: NONE}}
        Reports:
          Type: Api
          Properties:
            RestApiId: !Ref PlatformApi
            Path: /reports/{course_id}
            Method: get
            Auth: {Authorizer: NONE, ApiKeyRequired: true}
        Clicks:
          Type: HttpApi
          Properties: {Path: /clicks, Method: POST}
  PlatformApi:
    Type: AWS::Serverless::Api
    Properties:
      Name: learning-platform-api
      StageName: prod
      EndpointConfiguration: REGIONAL
      Auth:
        DefaultAuthorizer: Students
        Authorizers:
          Students: {UserPoolArn: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Lp4Students"}
      AccessLogSetting:
        DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/learning-platform-api-access
        Format: $context.requestId
"""


def test_sam_api_events_are_routes_as_api_gateway_imports_the_definition(tmp_path: Path) -> None:
    scan = read(tmp_path, SAM_API, "sam.yaml")
    api = nodes_by_id(scan)["cfn:sam#PlatformApi"]
    assert api.attributes["template"]["format"] == "sam"
    assert api.attributes["endpoint_types"] == ["REGIONAL"]
    # SAM's deployment makes a stage called `Stage` beside the one asked for, as it does when deployed.
    assert sorted(s["name"] for s in api.attributes["stages"]) == ["Stage", "prod"]
    assert [s["access_log_destination"] for s in api.attributes["stages"] if s["name"] == "prod"] == [ACCESS_LOG]
    routes = {n.name: n for n in scan.nodes if n.kind == "apigateway.route"}
    assert set(routes) == {"POST /enrollments", "GET /courses", "GET /reports/{course_id}", "POST /clicks"}
    assert routes["POST /enrollments"].attributes["auth_type"] == "COGNITO_USER_POOLS"
    assert routes["POST /enrollments"].attributes["authorizer"]["user_pools"] == [
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Lp4Students"]
    assert (routes["GET /courses"].attributes["auth_type"], routes["GET /courses"].attributes["api_key_required"]) \
        == ("NONE", False)
    assert routes["GET /reports/{course_id}"].attributes["api_key_required"] is True
    assert routes["POST /clicks"].id == "cfn:sam#ServerlessHttpApi/*/POST/clicks"
    assert {(route.id, "invokes", ENROLLMENT_API) for route in routes.values()} <= flows(scan)
    said = findings(scan)
    assert ("apigateway.route_without_authorization", routes["GET /courses"].id) in said
    assert ("apigateway.route_without_authorization", routes["GET /reports/{course_id}"].id) not in said
    assert ("apigateway.route_without_authorization", routes["POST /clicks"].id) in said  # no authoriser at all


def test_a_quick_create_http_api_routes_everything_to_its_target(tmp_path: Path) -> None:
    body = """\
Resources:
  Webhook:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: payments-webhook
      ProtocolType: HTTP
      Target: arn:aws:lambda:us-east-1:123456789012:function:payments-webhook
"""
    scan = read(tmp_path, body, "hook.yaml")
    route = nodes_by_id(scan)["cfn:hook#Webhook/*/$default"]
    assert route.attributes["integration"]["type"] == "AWS_PROXY"
    assert (route.id, "invokes", function("payments-webhook")) in flows(scan)
    assert [s["name"] for s in nodes_by_id(scan)["cfn:hook#Webhook"].attributes["stages"]] == ["$default"]


def test_methods_of_an_api_the_template_does_not_define_are_a_warning(tmp_path: Path) -> None:
    body = """\
Resources:
  Orphan:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !ImportValue shared-api-id
      ResourceId: abc123
      HttpMethod: GET
      AuthorizationType: NONE
  Loop:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !Ref Loop, PathPart: loop}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: looped}
"""
    scan = read(tmp_path, body, "odd.yaml")
    errors = [gap.error for gap in scan.coverage_gaps]
    assert any("Orphan" in error and "not one this template defines" in error for error in errors)
    assert any("resource Loop" in error for error in errors)
    assert nodes_by_id(scan)["cfn:odd#Api"].attributes["routes"] == 0


# --- SageMaker and Bedrock ------------------------------------------------------------------------------------

# The demo's models: the recommender's artefact served by an endpoint that copies every request to `capture/` (which
# the bucket's lifecycle leaves out), the student features, and the course assistant over the curated enrollments.
MODELS = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Role: {Type: String, Default: "arn:aws:iam::123456789012:role/learning-platform-role"}
Resources:
  Artifacts:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: lp-ml-artifacts
      LifecycleConfiguration:
        Rules:
          - {Id: expire-recommendations, Status: Enabled, Prefix: recommendations/, ExpirationInDays: 90}
  Recommender:
    Type: AWS::SageMaker::Model
    Properties:
      ModelName: course-recommender
      ExecutionRoleArn: !Ref Role
      PrimaryContainer:
        Image: !Sub "683313688378.dkr.ecr.${AWS::Region}.amazonaws.com/sagemaker-xgboost:1.7-1"
        ModelDataUrl: !Sub "s3://${Artifacts}/models/course-recommender-2025-01-15/output/model.tar.gz"
  RecommenderConfig:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      EndpointConfigName: course-recommender-config
      ProductionVariants:
        - VariantName: primary
          ModelName: !GetAtt Recommender.ModelName
          InitialInstanceCount: 1
          InstanceType: ml.m5.large
      DataCaptureConfig:
        EnableCapture: true
        InitialSamplingPercentage: 100
        DestinationS3Uri: !Sub "s3://${Artifacts}/capture/"
        CaptureOptions: [{CaptureMode: Input}, {CaptureMode: Output}]
  RecommenderEndpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: course-recommender
      EndpointConfigName: !GetAtt RecommenderConfig.EndpointConfigName
  StudentFeatures:
    Type: AWS::SageMaker::FeatureGroup
    Properties:
      FeatureGroupName: student-features
      RecordIdentifierFeatureName: student_id
      EventTimeFeatureName: event_time
      FeatureDefinitions:
        - {FeatureName: student_id, FeatureType: String}
        - {FeatureName: event_time, FeatureType: String}
        - {FeatureName: courses_completed, FeatureType: Integral}
        - {FeatureName: student_email, FeatureType: String}
      OnlineStoreConfig: {EnableOnlineStore: true}
      OfflineStoreConfig:
        S3StorageConfig: {S3Uri: !Sub "s3://${Artifacts}/features"}
      RoleArn: !Ref Role
  AssistantKnowledge:
    Type: AWS::Bedrock::KnowledgeBase
    Properties:
      Name: course-assistant-kb
      Description: Enrollments, for the course assistant
      RoleArn: !Ref Role
      KnowledgeBaseConfiguration:
        Type: VECTOR
        VectorKnowledgeBaseConfiguration:
          EmbeddingModelArn: !Sub "arn:aws:bedrock:${AWS::Region}::foundation-model/amazon.titan-embed-text-v2:0"
      StorageConfiguration:
        Type: OPENSEARCH_SERVERLESS
        OpensearchServerlessConfiguration:
          CollectionArn: !Sub "arn:aws:aoss:${AWS::Region}:${AWS::AccountId}:collection/lpcourseassistant01"
          VectorIndexName: course-assistant
          FieldMapping: {VectorField: embedding, TextField: text, MetadataField: metadata}
  CuratedEnrollments:
    Type: AWS::Bedrock::DataSource
    Properties:
      KnowledgeBaseId: !Ref AssistantKnowledge
      Name: curated-enrollments
      DataSourceConfiguration:
        Type: S3
        S3Configuration:
          BucketArn: arn:aws:s3:::lp-curated-data
          InclusionPrefixes: [enrollments/]
  AssistantActions:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: course-assistant-actions
      Runtime: python3.12
      Handler: handler.handler
      Role: !Ref Role
      Code: {ZipFile: "def handler(event, context): return {}"}
  Assistant:
    Type: AWS::Bedrock::Agent
    Properties:
      AgentName: course-assistant
      AgentResourceRoleArn: !Ref Role
      FoundationModel: anthropic.claude-3-haiku-20240307-v1:0
      IdleSessionTTLInSeconds: 600
      Description: Answers students' questions about their courses
      Instruction: You help students with questions about the courses they are enrolled in.
      ActionGroups:
        - ActionGroupName: enrollments
          ActionGroupExecutor: {Lambda: !GetAtt AssistantActions.Arn}
      KnowledgeBases:
        - {KnowledgeBaseId: !GetAtt AssistantKnowledge.KnowledgeBaseId, Description: Course enrollments}
  StudentPii:
    Type: AWS::Bedrock::Guardrail
    Properties:
      Name: student-pii
      Description: Anonymises students' personal data in prompts and answers
      BlockedInputMessaging: Sorry, I cannot answer that.
      BlockedOutputsMessaging: Sorry, I cannot answer that.
      SensitiveInformationPolicyConfig:
        PiiEntitiesConfig:
          - {Type: EMAIL, Action: ANONYMIZE, InputAction: ANONYMIZE, OutputAction: ANONYMIZE}
          - {Type: NAME, Action: ANONYMIZE, InputAction: ANONYMIZE, OutputAction: BLOCK}
      ContentPolicyConfig:
        FiltersConfig: [{Type: PROMPT_ATTACK, InputStrength: HIGH, OutputStrength: NONE}]
"""
ENDPOINT, MODEL = sagemaker_id("endpoint", "course-recommender"), sagemaker_id("model", "course-recommender")
FEATURES = sagemaker_id("feature-group", "student-features")
ARTEFACT = arns.s3_location_id("lp-ml-artifacts", "models/course-recommender-2025-01-15/output/model.tar.gz")
CAPTURE = arns.s3_location_id("lp-ml-artifacts", "capture")
CURATED_ENROLLMENTS = arns.s3_location_id("lp-curated-data", "enrollments")
TITAN = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"
HAIKU = f"arn:aws:bedrock:{REGION}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
COLLECTION = f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/lpcourseassistant01"
KNOWLEDGE_BASE, AGENT, GUARDRAIL = "cfn:models#AssistantKnowledge", "cfn:models#Assistant", "cfn:models#StudentPii"


def test_an_endpoint_serves_its_model_which_loads_the_artefact_and_captures_to_the_bucket(tmp_path: Path) -> None:
    scan = read(tmp_path, MODELS, "models.yaml")
    found = nodes_by_id(scan)
    endpoint, model = found[ENDPOINT], found[MODEL]
    assert (endpoint.kind, endpoint.name, model.kind) == ("sagemaker.endpoint", "course-recommender",
                                                          "sagemaker.model")
    assert endpoint.attributes["status"] == "InService"
    assert endpoint.attributes["endpoint_config"] == "course-recommender-config"
    assert endpoint.attributes["data_capture"] == {"enabled": True, "status": "Started",
                                                   "destination": "s3://lp-ml-artifacts/capture/",
                                                   "sampling_percentage": 100, "modes": ["Input", "Output"]}
    assert model.attributes["network_isolation"] is False and model.attributes["role"] == ROLE
    assert {(ARTEFACT, "reads", MODEL), (MODEL, "reads", ENDPOINT), (ENDPOINT, "writes", CAPTURE),
            (FEATURES, "writes", arns.s3_location_id("lp-ml-artifacts", "features"))} <= flows(scan)
    assert found[FEATURES].attributes["online_store"] == {"enabled": True}
    # An endpoint configuration is read with its endpoint, never a node of its own.
    assert not [n for n in scan.nodes if n.kind == "sagemaker.endpoint_config"]
    said = findings(scan)
    assert ("sagemaker.data_capture_without_lifecycle", ENDPOINT) in said  # the lifecycle leaves capture/ out
    assert ("sagemaker.data_capture_without_customer_key", ENDPOINT) in said


def test_capture_under_a_customer_key_to_an_expiring_prefix_is_not_found(tmp_path: Path) -> None:
    body = MODELS.replace("        CaptureOptions: [{CaptureMode: Input}, {CaptureMode: Output}]\n", """\
        CaptureOptions: [{CaptureMode: Input}, {CaptureMode: Output}]
        KmsKeyId: arn:aws:kms:us-east-1:123456789012:key/2f5c8e1d-7b11-4c1e-9a43-0d6e2b7a1c2f
""").replace("          - {Id: expire-recommendations,", """\
          - {Id: expire-capture, Status: Enabled, Prefix: capture/, ExpirationInDays: 30}
          - {Id: expire-recommendations,""")
    scan = read(tmp_path, body, "models.yaml")
    key = nodes_by_id(scan)[ENDPOINT].attributes["data_capture"]["kms_key"]
    assert key == "arn:aws:kms:us-east-1:123456789012:key/2f5c8e1d-7b11-4c1e-9a43-0d6e2b7a1c2f"
    assert not {rule for rule, node in findings(scan) if node == ENDPOINT}


def test_a_knowledge_base_reads_its_sources_and_writes_its_collection(tmp_path: Path) -> None:
    scan = read(tmp_path, MODELS, "models.yaml")
    knowledge_base = nodes_by_id(scan)[KNOWLEDGE_BASE]
    assert (knowledge_base.kind, knowledge_base.name) == ("bedrock.knowledge_base", "course-assistant-kb")
    assert knowledge_base.attributes["vector_store"] == {"type": "OPENSEARCH_SERVERLESS", "id": COLLECTION,
                                                         "index": "course-assistant"}
    assert knowledge_base.attributes["data_sources"] == [{
        "id": "${CuratedEnrollments}", "name": "curated-enrollments", "status": "AVAILABLE", "type": "S3",
        "s3": ["s3://lp-curated-data/enrollments/"]}]
    assert {(CURATED_ENROLLMENTS, "reads", KNOWLEDGE_BASE), (KNOWLEDGE_BASE, "invokes", TITAN),
            (KNOWLEDGE_BASE, "writes", COLLECTION)} <= flows(scan)


def test_an_agent_calls_its_model_and_function_and_queries_its_knowledge_base(tmp_path: Path) -> None:
    scan = read(tmp_path, MODELS, "models.yaml")
    agent, guardrail = nodes_by_id(scan)[AGENT], nodes_by_id(scan)[GUARDRAIL]
    assert agent.attributes["guardrail"] is None  # left open: the guardrail below is attached to nothing
    assert agent.attributes["action_groups"] == [{"name": "enrollments", "state": "ENABLED",
                                                  "function": function("course-assistant-actions")}]
    assert agent.attributes["knowledge_bases"] == [{"knowledge_base": KNOWLEDGE_BASE, "state": "ENABLED"}]
    assert {(AGENT, "invokes", HAIKU), (AGENT, "invokes", function("course-assistant-actions")),
            (KNOWLEDGE_BASE, "reads", AGENT)} <= flows(scan)
    assert guardrail.attributes["pii_entities"] == {"EMAIL": "ANONYMIZE", "NAME": "input ANONYMIZE, output BLOCK"}
    assert guardrail.attributes["content_filters"] == {"PROMPT_ATTACK": "input HIGH, output NONE"}


def test_an_agent_with_its_guardrail_says_which(tmp_path: Path) -> None:
    body = MODELS.replace("      IdleSessionTTLInSeconds: 600\n", """\
      IdleSessionTTLInSeconds: 600
      GuardrailConfiguration:
        GuardrailIdentifier: !GetAtt StudentPii.GuardrailId
        GuardrailVersion: DRAFT
""")
    agent = nodes_by_id(read(tmp_path, body, "models.yaml"))[AGENT]
    assert agent.attributes["guardrail"] == {"identifier": "${StudentPii}", "version": "DRAFT"}


# --- QuickSight, EMR, EMR Serverless, AppSync ----------------------------------------------------------------------

ANALYTICS = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Curated:
    Type: AWS::Glue::Database
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseInput: {Name: curated}
  EnrollmentsTable:
    Type: AWS::Glue::Table
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseName: !Ref Curated
      TableInput:
        Name: enrollments
        PartitionKeys: [{Name: dt, Type: string}]
        StorageDescriptor:
          Location: s3://lp-curated-data/enrollments/
          Columns:
            - {Name: enrollment_id, Type: string}
            - {Name: student_email, Type: string}
            - {Name: course_id, Type: string}
  AthenaSource:
    Type: AWS::QuickSight::DataSource
    Properties:
      AwsAccountId: !Ref AWS::AccountId
      DataSourceId: lp-athena-analytics
      Name: Learning platform analytics
      Type: ATHENA
      DataSourceParameters: {AthenaParameters: {WorkGroup: analytics}}
  CatalogSource:
    Type: AWS::QuickSight::DataSource
    Properties:
      AwsAccountId: !Ref AWS::AccountId
      DataSourceId: course-catalog
      Name: Course catalog
      Type: AURORA_POSTGRESQL
      DataSourceParameters:
        AuroraPostgreSqlParameters:
          Host: course-catalog.cluster-c1a2b3d4e5f6.us-east-1.rds.amazonaws.com
          Port: 5432
          Database: catalog
      SslProperties: {DisableSsl: true}
  WeeklyEnrollments:
    Type: AWS::QuickSight::DataSet
    Properties:
      AwsAccountId: !Ref AWS::AccountId
      DataSetId: weekly-enrollments
      Name: weekly-enrollments
      ImportMode: SPICE
      PhysicalTableMap:
        enrollments:
          RelationalTable:
            DataSourceArn: !GetAtt AthenaSource.Arn
            Catalog: AwsDataCatalog
            Schema: curated
            Name: enrollments
            InputColumns:
              - {Name: enrollment_id, Type: STRING}
              - {Name: student_email, Type: STRING}
              - {Name: course_id, Type: STRING}
      LogicalTableMap:
        enrollments: {Alias: enrollments, Source: {PhysicalTableId: enrollments}}
      Tags: [{Key: team, Value: course-team}]
  CourseCompletions:
    Type: AWS::QuickSight::DataSet
    Properties:
      AwsAccountId: !Ref AWS::AccountId
      DataSetId: course-completions
      Name: course-completions
      ImportMode: DIRECT_QUERY
      PhysicalTableMap:
        completions:
          CustomSql:
            DataSourceArn: !GetAtt AthenaSource.Arn
            Name: completions per course
            SqlQuery: SELECT course_id, count(*) AS completions FROM curated.enrollments GROUP BY course_id
            Columns: [{Name: course_id, Type: STRING}, {Name: completions, Type: INTEGER}]
      Tags: [{Key: team, Value: course-team}, {Key: "lineage:pii", Value: masked}]
  EnrollmentOverview:
    Type: AWS::QuickSight::Dashboard
    Properties:
      AwsAccountId: !Ref AWS::AccountId
      DashboardId: enrollment-overview
      Name: Enrollment overview
      Definition:
        DataSetIdentifierDeclarations: [{Identifier: enrollments, DataSetArn: !GetAtt WeeklyEnrollments.Arn}]
        Sheets: [{SheetId: overview, Name: Overview}]
  CompletionTrends:
    Type: AWS::QuickSight::Analysis
    Properties:
      AwsAccountId: !Ref AWS::AccountId
      AnalysisId: course-completion-trends
      Name: Course completion trends
      Definition:
        DataSetIdentifierDeclarations: [{Identifier: completions, DataSetArn: !GetAtt CourseCompletions.Arn}]
        Sheets: [{SheetId: trends, Name: Trends}]
  Encrypted:
    Type: AWS::EMR::SecurityConfiguration
    Properties:
      Name: lp-encrypted
      SecurityConfiguration:
        EncryptionConfiguration:
          EnableAtRestEncryption: true
          EnableInTransitEncryption: true
          AtRestEncryptionConfiguration:
            S3EncryptionConfiguration: {EncryptionMode: SSE-KMS, AwsKmsKey: alias/lp-emr}
            LocalDiskEncryptionConfiguration:
              EncryptionKeyProviderType: AwsKms
              AwsKmsKey: alias/lp-emr
              EnableEbsEncryption: true
          InTransitEncryptionConfiguration:
            TLSCertificateConfiguration:
              CertificateProviderType: PEM
              S3Object: s3://lp-temp/certificates/emr.zip
  Recommendations:
    Type: AWS::EMR::Cluster
    Properties:
      Name: course-recommendations
      ReleaseLabel: emr-7.1.0
      LogUri: s3://lp-temp/emr-logs/
      ServiceRole: learning-platform-role
      JobFlowRole: learning-platform-role
      Applications: [{Name: Spark}]
      Instances:
        MasterInstanceGroup: {InstanceCount: 1, InstanceType: m5.xlarge}
        CoreInstanceGroup: {InstanceCount: 2, InstanceType: m5.xlarge}
        KeepJobFlowAliveWhenNoSteps: true
        Ec2SubnetId: subnet-0a1b2c3d4e5f60718
      Steps:
        - Name: recommend-courses
          ActionOnFailure: CONTINUE
          HadoopJarStep:
            Jar: command-runner.jar
            Args: [spark-submit, --deploy-mode, cluster, s3://lp-temp/scripts/recommend.py,
                   --input, s3://lp-curated-data/enrollments/, --output, s3://lp-curated-data/recommendations/]
      Tags: [{Key: team, Value: data-science}]
  Aggregates:
    Type: AWS::EMR::Cluster
    Properties:
      Name: engagement-aggregates
      ReleaseLabel: emr-7.1.0
      LogUri: s3://lp-temp/emr-logs/
      ServiceRole: learning-platform-role
      JobFlowRole: learning-platform-role
      SecurityConfiguration: !Ref Encrypted
      Applications: [{Name: Spark}]
      Instances:
        MasterInstanceGroup: {InstanceCount: 1, InstanceType: m5.xlarge}
        CoreInstanceGroup: {InstanceCount: 2, InstanceType: m5.xlarge}
        KeepJobFlowAliveWhenNoSteps: true
        Ec2SubnetId: subnet-0a1b2c3d4e5f60718
      Tags: [{Key: team, Value: data-science}]
  AggregateEngagement:
    Type: AWS::EMR::Step
    Properties:
      JobFlowId: !Ref Aggregates
      Name: aggregate-engagement
      ActionOnFailure: CONTINUE
      HadoopJarStep:
        Jar: command-runner.jar
        Args: [spark-submit, --deploy-mode, cluster, s3://lp-temp/scripts/aggregate.py,
               --source_path, s3://lp-raw-data/landing/clickstream/, --target_path, s3://lp-curated-data/engagement/]
  EngagementScoring:
    Type: AWS::EMRServerless::Application
    Properties:
      Name: engagement-scoring
      ReleaseLabel: emr-7.1.0
      Type: SPARK
  CourseCatalogApi:
    Type: AWS::AppSync::GraphQLApi
    Properties:
      Name: course-catalog
      AuthenticationType: API_KEY
      XrayEnabled: false
      Tags: [{Key: team, Value: web}]
  EnrollmentsSource:
    Type: AWS::AppSync::DataSource
    Properties:
      ApiId: !GetAtt CourseCatalogApi.ApiId
      Name: enrollments
      Type: AMAZON_DYNAMODB
      ServiceRoleArn: arn:aws:iam::123456789012:role/learning-platform-role
      DynamoDBConfig: {TableName: enrollments, AwsRegion: !Ref AWS::Region}
"""
ENROLLMENTS_GLUE = arns.glue_table_arn(REGION, ACCOUNT, "curated", "enrollments")
WEEKLY, COMPLETIONS = quicksight_id("dataset", "weekly-enrollments"), quicksight_id("dataset", "course-completions")
OVERVIEW = quicksight_id("dashboard", "enrollment-overview")
ATHENA_SOURCE, CATALOG_SOURCE = quicksight_id("datasource", "lp-athena-analytics"), quicksight_id(
    "datasource", "course-catalog")


def test_a_dashboard_shows_a_dataset_that_reads_the_catalog_table(tmp_path: Path) -> None:
    scan = read(tmp_path, ANALYTICS, "analytics.yaml")
    found = nodes_by_id(scan)
    assert {(ENROLLMENTS_GLUE, "reads", WEEKLY), (WEEKLY, "reads", OVERVIEW), (ATHENA_SOURCE, "reads", WEEKLY),
            (arns.athena_workgroup_arn(REGION, ACCOUNT, "analytics"), "reads", ATHENA_SOURCE),
            (ENROLLMENTS_GLUE, "reads", COMPLETIONS),
            (COMPLETIONS, "reads", quicksight_id("analysis", "course-completion-trends"))} <= flows(scan)
    weekly = found[WEEKLY]
    assert (weekly.attributes["import_mode"], weekly.attributes["spice"]) == ("SPICE", True)
    assert weekly.attributes["tags"] == {"team": "course-team"}
    assert found[OVERVIEW].attributes["personal_data"]["categories"] == ["email"]  # from the table's column
    assert found[CATALOG_SOURCE].attributes["ssl_disabled"] is True
    said = findings(scan)
    assert ("quicksight.dataset_reads_personal_data", WEEKLY) in said
    assert ("quicksight.dataset_reads_personal_data", COMPLETIONS) not in said  # says by tag it masks
    assert ("quicksight.data_source_ssl_disabled", CATALOG_SOURCE) in said


def test_quicksight_read_without_an_account_keeps_its_ids_without_one(tmp_path: Path) -> None:
    scan = read(tmp_path, ANALYTICS, "analytics.yaml", Placement(region=REGION))
    weekly, table = quicksight_id("dataset", "weekly-enrollments", ""), arns.glue_table_arn(REGION, "", "curated",
                                                                                            "enrollments")
    assert nodes_by_id(scan)[weekly].account == ""
    assert {(table, "reads", weekly), (weekly, "reads", quicksight_id("dashboard", "enrollment-overview", ""))
            } <= flows(scan)
    assert not [n for n in scan.nodes if "000000000000" in n.id]


def test_clusters_read_and_write_what_their_steps_name(tmp_path: Path) -> None:
    scan = read(tmp_path, ANALYTICS, "analytics.yaml")
    found = nodes_by_id(scan)
    recommendations, aggregates = found["cfn:analytics#Recommendations"], found["cfn:analytics#Aggregates"]
    assert (recommendations.kind, recommendations.name) == ("emr.cluster", "course-recommendations")
    assert recommendations.attributes["state"] == "WAITING"
    assert recommendations.attributes["recent_steps"] == ["recommend-courses"]
    assert aggregates.attributes["recent_steps"] == ["aggregate-engagement"]
    assert aggregates.attributes["security_configuration"]["at_rest"] is True
    assert recommendations.attributes["security_configuration"] is None
    # Block public access is the account's EMR setting, which no template holds: unread, never guessed.
    assert "block_public_access" in recommendations.attributes["unread"]
    curated, clickstream = arns.s3_location_id("lp-curated-data", "engagement"), arns.s3_location_id(
        "lp-raw-data", "landing/clickstream")
    assert {(CURATED_ENROLLMENTS, "reads", recommendations.id),
            (recommendations.id, "writes", arns.s3_location_id("lp-curated-data", "recommendations")),
            (clickstream, "reads", aggregates.id), (aggregates.id, "writes", curated),
            (aggregates.id, "writes", arns.s3_location_id("lp-temp", "emr-logs"))} <= flows(scan)
    said = findings(scan)
    assert ("emr.cluster_without_security_configuration", recommendations.id) in said
    assert ("emr.cluster_without_security_configuration", aggregates.id) not in said


def test_a_serverless_application_has_no_runs_until_one_is_started(tmp_path: Path) -> None:
    scan = read(tmp_path, ANALYTICS, "analytics.yaml")
    application = nodes_by_id(scan)["cfn:analytics#EngagementScoring"]
    assert (application.kind, application.name) == ("emr_serverless.application", "engagement-scoring")
    assert (application.attributes["state"], application.attributes["recent_runs"]) == ("CREATED", [])
    assert not [edge for edge in scan.edges if application.id in (edge.source, edge.target)]


def test_a_graphql_api_reaches_its_table_and_is_open_to_any_key(tmp_path: Path) -> None:
    scan = read(tmp_path, ANALYTICS, "analytics.yaml")
    api = nodes_by_id(scan)["cfn:analytics#CourseCatalogApi"]
    assert (api.kind, api.attributes["authentication"], api.attributes["visibility"]) == (
        "appsync.api", ["API_KEY"], "GLOBAL")
    assert (api.id, "references", ENROLLMENTS_TABLE) in flows(scan)
    assert {("appsync.api_key_only", api.id), ("appsync.api_without_waf", api.id)} <= findings(scan)
    guarded = ANALYTICS + """\
  CatalogFirewall:
    Type: AWS::WAFv2::WebACLAssociation
    Properties:
      ResourceArn: !GetAtt CourseCatalogApi.Arn
      WebACLArn: arn:aws:wafv2:us-east-1:123456789012:regional/webacl/lp-api/8a1f3c2e
"""
    guarded = guarded.replace("AuthenticationType: API_KEY", "AuthenticationType: AMAZON_COGNITO_USER_POOLS")
    scan = read(tmp_path, guarded, "analytics.yaml")
    assert not {rule for rule, node in findings(scan) if node == api.id}


def test_a_resource_of_an_unexpected_shape_costs_only_itself(tmp_path: Path) -> None:
    body = """\
Resources:
  OddModel:
    Type: AWS::SageMaker::Model
    Properties: {ModelName: odd, PrimaryContainer: [not, a, container]}
  GoodModel:
    Type: AWS::SageMaker::Model
    Properties: {ModelName: good, PrimaryContainer: {Image: img, ModelDataUrl: "s3://lp-ml-artifacts/good.tar.gz"}}
  OddCluster:
    Type: AWS::EMR::Cluster
    Properties: {Name: odd, Instances: none, Steps: [{Name: s, HadoopJarStep: {Jar: j, Args: "--input s3://x/"}}]}
  StrayDataSource:
    Type: AWS::Bedrock::DataSource
    Properties: {KnowledgeBaseId: KB12345678, Name: stray, DataSourceConfiguration: {Type: S3}}
  MacieSession:
    Type: AWS::Macie::Session
    Properties: {Status: ENABLED}
"""
    scan = read(tmp_path, body, "odd.yaml")
    found = nodes_by_id(scan)
    assert (arns.s3_location_id("lp-ml-artifacts", "good.tar.gz"), "reads", sagemaker_id("model", "good")) in flows(
        scan)
    assert found["cfn:odd#OddCluster"].kind == "emr.cluster"  # read with what could be read of it
    assert any("StrayDataSource" in gap.error for gap in scan.coverage_gaps)
    # Macie's resources say how to look for personal data, not what was found: kept as nodes of their own.
    assert found["cfn:odd#MacieSession"].kind == "macie.session"


# --- the same facts as a scan of the deployed stack ----------------------------------------------------------------
#
# moto's CloudFormation makes few of these types (API Gateway's v1 resources, SageMaker's, EMR's), and each partly,
# so each resource is made as CloudFormation's handler would make it: through the service's API, with the
# template's resolved properties, in the template's order. What moto's API cannot hold is said where it matters.


def _template(tmp_path: Path, text: str, name: str) -> Stack:
    path = tmp_path / name
    path.write_text(text)
    return Stack(read_template(path), PLACEMENT)


class _Ids:
    """The ids AWS (here moto) gave the template's resources, by what the template's reading calls each: its
    stand-in name, or `${Logical}` / `${Logical.Attribute}` for what `Ref` / `Fn::GetAtt` leave to deployment."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.real: dict[str, str] = {}
        self.labels: dict[str, str] = {}  # an id, as either side writes it → `<Logical>`

    def made(self, logical_id: str, real_id: str, *also: str) -> None:
        placed = self.stack.placed[logical_id]
        label = f"<{logical_id}>"
        names = (placed.name,) if placed.shape is not None else ()  # else its name is its logical id
        for read_as in (*names, "${" + logical_id + "}", stand_in_name(self.stack.template.path, logical_id), *also):
            self.real[read_as] = real_id
            self.labels[read_as] = label
        self.labels[real_id] = label

    def __call__(self, value: Any) -> Any:
        return self.real.get(value, value) if isinstance(value, str) else value


def _normal(value: Any, labels: Mapping[str, str]) -> Any:
    """A value with every id either side gave written as the resource's label, longest first."""
    text = json.dumps(value, sort_keys=True, default=str)
    for known in sorted(labels, key=len, reverse=True):
        if len(known) > 3:
            text = text.replace(known, labels[known])
    return json.loads(text)


def _compared(facts: Facts, keys: Mapping[str, Callable[[Mapping[str, Any]], Any]], labels: Mapping[str, str]
              ) -> dict[str, Any]:
    """The observed nodes of the kinds compared, by id, with what the rules judge of each."""
    return {_normal(node.id, labels): (node.kind, _normal(keys[node.kind](node.attributes), labels))
            for node in facts.nodes if node.observed and node.kind in keys}


def _edges(facts: Facts, labels: Mapping[str, str]) -> set[tuple[str, str, str]]:
    return {tuple(_normal([e.source, e.kind.value, e.target], labels)) for e in facts.edges}  # type: ignore[misc]


def _picked(*names: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    return lambda attributes: {name: attributes.get(name) for name in names}


def _same_facts(stack: Stack, reader: Callable[[Stack], Facts], collected: Facts, ids: _Ids,
                keys: Mapping[str, Callable[[Mapping[str, Any]], Any]]) -> dict[str, Any]:
    from_template = reader(stack)
    labels = ids.labels
    read, deployed = _compared(from_template, keys, labels), _compared(collected, keys, labels)
    assert set(read) == set(deployed)
    for node_id, (kind, said) in read.items():
        assert kind == deployed[node_id][0], node_id
        for key, value in said.items():
            assert value == deployed[node_id][1][key], (node_id, key)
    assert _edges(from_template, labels) == _edges(collected, labels)
    assert read  # the comparison compared something
    return read


def _context(session: boto3.Session) -> AwsContext:
    ctx = AwsContext(session, [REGION])
    ctx.account = ACCOUNT
    return ctx


def _stages(attributes: Mapping[str, Any]) -> list[dict[str, Any]]:
    kept = ("name", "web_acl", "access_log_destination", "execution_logging", "data_trace", "auto_deploy")
    return sorted(({k: s.get(k) for k in kept if k in s} for s in attributes.get("stages") or []),
                  key=lambda s: str(s["name"]))


API_KEYS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "apigateway.api": lambda a: {**_picked("protocol", "endpoint_types", "private", "has_resource_policy",
                                           "authorizers", "routes", "custom_domains", "tags")(a),
                                 "stages": _stages(a)},
    "apigateway.route": _picked("method", "path", "route_key", "auth_type", "api_key_required", "authorizer",
                                "endpoint_types", "integration"),
}


def _deploy_api(stack: Stack, session: boto3.Session) -> _Ids:
    rest, http, ids = session.client("apigateway"), session.client("apigatewayv2"), _Ids(stack)
    for logical_id, placed in stack.placed.items():
        p, kind = placed.properties, placed.type
        if kind == "AWS::ApiGateway::RestApi":
            api = rest.create_rest_api(name=p["Name"], endpointConfiguration={
                "types": p["EndpointConfiguration"]["Types"]})
            ids.made(logical_id, api["id"])
            ids.real["${" + logical_id + ".RootResourceId}"] = api["rootResourceId"]
        elif kind == "AWS::ApiGateway::Authorizer":
            ids.made(logical_id, rest.create_authorizer(
                restApiId=ids(p["RestApiId"]), name=p["Name"], type=p["Type"], providerARNs=p["ProviderARNs"],
                identitySource=p["IdentitySource"])["id"])
        elif kind == "AWS::ApiGateway::Resource":
            ids.made(logical_id, rest.create_resource(restApiId=ids(p["RestApiId"]), parentId=ids(p["ParentId"]),
                                                      pathPart=p["PathPart"])["id"])
        elif kind == "AWS::ApiGateway::Method":
            where = {"restApiId": ids(p["RestApiId"]), "resourceId": ids(p["ResourceId"]),
                     "httpMethod": p["HttpMethod"]}
            rest.put_method(**where, authorizationType=p["AuthorizationType"],
                            **({"authorizerId": ids(p["AuthorizerId"])} if "AuthorizerId" in p else {}))
            integration = p["Integration"]
            rest.put_integration(**where, type=integration["Type"], **{name: integration[key] for key, name in (
                ("IntegrationHttpMethod", "integrationHttpMethod"), ("Uri", "uri"), ("Credentials", "credentials"),
                ("RequestTemplates", "requestTemplates")) if key in integration})
        elif kind == "AWS::ApiGateway::Deployment":
            ids.made(logical_id, rest.create_deployment(restApiId=ids(p["RestApiId"]))["id"])
        elif kind == "AWS::ApiGateway::Stage":
            rest.create_stage(restApiId=ids(p["RestApiId"]), stageName=p["StageName"],
                              deploymentId=ids(p["DeploymentId"]))
            logs = p["AccessLogSetting"]
            rest.update_stage(restApiId=ids(p["RestApiId"]), stageName=p["StageName"], patchOperations=[
                {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": logs["DestinationArn"]},
                {"op": "replace", "path": "/accessLogSettings/format", "value": logs["Format"]}])
        elif kind == "AWS::ApiGatewayV2::Api":
            ids.made(logical_id, http.create_api(Name=p["Name"], ProtocolType=p["ProtocolType"],
                                                 Tags=p["Tags"])["ApiId"])
        elif kind == "AWS::ApiGatewayV2::Integration":
            ids.made(logical_id, http.create_integration(**{**p, "ApiId": ids(p["ApiId"])})["IntegrationId"])
        elif kind == "AWS::ApiGatewayV2::Authorizer":
            ids.made(logical_id, http.create_authorizer(**{**p, "ApiId": ids(p["ApiId"])})["AuthorizerId"])
        elif kind == "AWS::ApiGatewayV2::Route":
            target = "integrations/" + ids(p["Target"].removeprefix("integrations/"))
            http.create_route(**{**p, "ApiId": ids(p["ApiId"]), "Target": target,
                                 "AuthorizerId": ids(p["AuthorizerId"])})
        elif kind == "AWS::ApiGatewayV2::Stage":
            http.create_stage(**{**p, "ApiId": ids(p["ApiId"])})
        elif kind == "AWS::ApiGatewayV2::DomainName":
            http.create_domain_name(**p)
            ids.real["${" + logical_id + "}"] = p["DomainName"]
        elif kind == "AWS::ApiGatewayV2::ApiMapping":
            http.create_api_mapping(**{**p, "ApiId": ids(p["ApiId"]), "DomainName": ids(p["DomainName"])})
    return ids


@mock_aws
def test_api_gateway_read_from_the_template_is_what_the_collector_reads_of_it_deployed(tmp_path: Path) -> None:
    stack = _template(tmp_path, REST_AND_HTTP, "api.yaml")
    session = boto3.Session(region_name=REGION)
    ids = _deploy_api(stack, session)
    ctx = _context(session)
    collected = apigateway.transform_apigateway(apigateway.get_apigateway(ctx, REGION), ACCOUNT, REGION)
    ctx.close()
    assert ctx.gaps == []
    read = _same_facts(stack, apigateway_template.facts, collected, ids, API_KEYS)
    assert {kind for kind, _ in read.values()} == {"apigateway.api", "apigateway.route"}
    assert read["arn:aws:execute-api:us-east-1:123456789012:<PlatformApi>/*/GET/courses"][1]["auth_type"] == "NONE"


SAGEMAKER_KEYS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "sagemaker.model": _picked("role", "images", "in_vpc", "network_isolation"),
    "sagemaker.endpoint": lambda a: {**_picked("endpoint_config", "in_vpc", "volume_kms_key", "status")(a),
                                     "data_capture": _picked("enabled", "destination", "kms_key", "modes")(
                                         a.get("data_capture") or {})},
    # moto keeps no online store configuration (every group answers disabled): compared without it.
    "sagemaker.feature_group": _picked("features", "record_identifier", "event_time", "role", "offline_store"),
}


@mock_aws
def test_sagemaker_read_from_the_template_is_what_the_collector_reads_of_it_deployed(tmp_path: Path) -> None:
    stack = _template(tmp_path, MODELS, "models.yaml")
    session = boto3.Session(region_name=REGION)
    client = session.client("sagemaker")
    for placed in stack.placed.values():
        p = dict(placed.properties)
        if placed.type == "AWS::SageMaker::Model":
            client.create_model(**p)
        elif placed.type == "AWS::SageMaker::EndpointConfig":
            client.create_endpoint_config(**p)
        elif placed.type == "AWS::SageMaker::Endpoint":
            client.create_endpoint(**p)
        elif placed.type == "AWS::SageMaker::FeatureGroup":
            client.create_feature_group(**p)
    ctx = _context(session)
    collected = sagemaker.transform_sagemaker(sagemaker.get_sagemaker(ctx, REGION), ACCOUNT, REGION)
    ctx.close()
    assert ctx.gaps == []
    read = _same_facts(stack, sagemaker_template.facts, _offline_store_as_configured(collected), _Ids(stack),
                       SAGEMAKER_KEYS)
    assert read[ENDPOINT][1]["data_capture"]["destination"] == "s3://lp-ml-artifacts/capture/"
    assert {kind for kind, _ in read.values()} == set(SAGEMAKER_KEYS)


def _offline_store_as_configured(collected: Facts) -> Facts:
    """What moto cannot show the template: the folder AWS resolves a feature group's offline store to (under the
    account, region, group name and creation time) and the Glue table it makes there are deployment's to name. The
    template reads the configured prefix, which holds that folder: the deployed facts are compared at that prefix,
    without the table."""
    resolved = arns.s3_location_id("lp-ml-artifacts", "features")
    assert any(e.target.startswith(resolved + "/123456789012/") for e in collected.edges)  # deeper, once deployed
    from dataclasses import replace

    def configured(node_id: str) -> str:
        return resolved if node_id.startswith(resolved + "/") else node_id

    nodes = tuple(replace(n, attributes={**n.attributes, "offline_store": {"location": "s3://lp-ml-artifacts/features"}})
                  if n.kind == "sagemaker.feature_group" else n for n in collected.nodes)
    edges = tuple(replace(e, target=configured(e.target)) for e in collected.edges if e.kind.value != "stored_at")
    return Facts(nodes, edges, collected.gaps)


BEDROCK_KEYS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    # moto's data sources say DELETE for a deletion policy the template leaves out, a default the API reference
    # does not name: compared without it.
    "bedrock.knowledge_base": lambda a: {**_picked("role", "type", "embedding_model", "vector_store", "kms_key")(a),
                                         "data_sources": [{k: v for k, v in s.items() if k != "data_deletion_policy"}
                                                          for s in a.get("data_sources") or []]},
    "bedrock.agent": _picked("guardrail", "role", "foundation_model", "action_groups", "knowledge_bases",
                             "idle_session_ttl_seconds", "memory", "kms_key"),
    "bedrock.guardrail": _picked("pii_entities", "pii_regexes", "content_filters", "denied_topics", "blocked_words",
                                 "managed_word_lists", "kms_key"),
}


@mock_aws
def test_bedrock_read_from_the_template_is_what_the_collector_reads_of_it_deployed(tmp_path: Path) -> None:
    from lineage.moto_support.bedrock import (
        seed_action_group,
        seed_agent_knowledge_base,
        seed_data_source,
        seed_guardrail,
    )

    stack = _template(tmp_path, MODELS, "models.yaml")
    session, ids = boto3.Session(region_name=REGION), _Ids(stack)
    agents = session.client("bedrock-agent")
    for logical_id, placed in stack.placed.items():
        p = bedrock_template.api_shaped(dict(placed.properties))
        if placed.type == "AWS::Bedrock::KnowledgeBase":
            made = agents.create_knowledge_base(**p)["knowledgeBase"]
            ids.made(logical_id, made["knowledgeBaseId"])
        elif placed.type == "AWS::Bedrock::DataSource":
            ids.made(logical_id, seed_data_source(ACCOUNT, REGION, ids(p["knowledgeBaseId"]), p["name"],
                                                  p["dataSourceConfiguration"]))
        elif placed.type == "AWS::Bedrock::Agent":
            made = agents.create_agent(**{k: v for k, v in p.items() if k not in ("actionGroups", "knowledgeBases")})
            agent_id = made["agent"]["agentId"]
            ids.made(logical_id, agent_id)
            for group in p["actionGroups"]:
                seed_action_group(ACCOUNT, REGION, agent_id, group["actionGroupName"],
                                  group["actionGroupExecutor"]["lambda"])
            for known in p["knowledgeBases"]:
                seed_agent_knowledge_base(ACCOUNT, REGION, agent_id, ids(known["knowledgeBaseId"]),
                                          known["description"])
        elif placed.type == "AWS::Bedrock::Guardrail":
            policies = {k: v for k, v in p.items() if k.endswith("Policy")}
            ids.made(logical_id, seed_guardrail(ACCOUNT, REGION, p["name"], policies))
    ctx = _context(session)
    raw = bedrock.get_bedrock(ctx, REGION)
    ctx.close()
    assert ctx.gaps == []
    # The account's invocation logging is no resource of a template: compared without it.
    collected = bedrock.transform_bedrock({k: v for k, v in raw.items() if k != "Logging"}, ACCOUNT, REGION)
    read = _same_facts(stack, bedrock_template.facts, collected, ids, BEDROCK_KEYS)
    assert {kind for kind, _ in read.values()} == set(BEDROCK_KEYS)


EMR_KEYS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    # A cluster's state depends on when it is read: RUNNING while its steps run (as moto keeps it), WAITING after.
    "emr.cluster": _picked("release", "applications", "tags", "log_uri", "security_configuration_name",
                           "security_configuration", "role", "instance_profile", "subnet", "in_vpc", "recent_steps"),
    # moto starts an application as it is made (STARTED, where AWS answers CREATED until a run or auto-start
    # starts it) and writes its type as `Spark`: compared without them.
    "emr_serverless.application": _picked("release", "recent_runs", "roles"),
}


def _instances(instances: Mapping[str, Any]) -> dict[str, Any]:
    """CloudFormation's `Instances` as RunJobFlow takes them: its instance groups in a list, by role."""
    groups = [{"InstanceRole": role, **instances[key]} for key, role in (
        ("MasterInstanceGroup", "MASTER"), ("CoreInstanceGroup", "CORE")) if key in instances]
    return {"InstanceGroups": groups, **{k: v for k, v in instances.items() if not k.endswith("InstanceGroup")}}


@mock_aws
def test_emr_read_from_the_template_is_what_the_collectors_read_of_it_deployed(tmp_path: Path) -> None:
    from moto.emrserverless.models import emrserverless_backends

    stack = _template(tmp_path, ANALYTICS, "analytics.yaml")
    session, ids = boto3.Session(region_name=REGION), _Ids(stack)
    client, serverless = session.client("emr"), session.client("emr-serverless")
    client.put_block_public_access_configuration(BlockPublicAccessConfiguration={
        "BlockPublicSecurityGroupRules": True, "PermittedPublicSecurityGroupRuleRanges": [{"MinRange": 22}]})
    for logical_id, placed in stack.placed.items():
        p = dict(placed.properties)
        if placed.type == "AWS::EMR::SecurityConfiguration":
            client.create_security_configuration(Name=p["Name"], SecurityConfiguration=json.dumps(
                p["SecurityConfiguration"]))
        elif placed.type == "AWS::EMR::Cluster":
            ids.made(logical_id, client.run_job_flow(**{**p, "Instances": _instances(p["Instances"])})["JobFlowId"])
        elif placed.type == "AWS::EMR::Step":
            client.add_job_flow_steps(JobFlowId=ids(p.pop("JobFlowId")), Steps=[p])
        elif placed.type == "AWS::EMRServerless::Application":
            made = serverless.create_application(name=p["Name"], releaseLabel=p["ReleaseLabel"], type=p["Type"])
            ids.made(logical_id, made["applicationId"])
            # moto answers ListJobRuns of an application that never ran as if the application were gone; AWS
            # answers an empty list.
            emrserverless_backends[ACCOUNT][REGION].job_runs[made["applicationId"]] = []
    ctx = _context(session)
    collected = Facts.concat([emr.transform_emr(emr.get_emr(ctx, REGION), ACCOUNT, REGION),
                              emrserverless.transform_emr_serverless(emrserverless.get_emr_serverless(ctx, REGION),
                                                                     ACCOUNT, REGION)])
    ctx.close()
    assert ctx.gaps == []

    def both(stack: Stack) -> Facts:
        return Facts.concat([emr_template.facts(stack), emrserverless_template.facts(stack)])

    read = _same_facts(stack, both, collected, ids, EMR_KEYS)
    assert read["arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/<Aggregates>"][1]["recent_steps"] == [
        "aggregate-engagement"]
    # What moto cannot show: the account's block public access, which a scan reads and no template holds.
    [recommendations] = [n for n in collected.nodes if n.name == "course-recommendations"]
    assert "block_public_access" in recommendations.attributes


QUICKSIGHT_KEYS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "quicksight.data_source": _picked("type", "ssl_disabled", "reads_from", "role", "credentials_secret"),
    "quicksight.dataset": _picked("import_mode", "spice", "row_level_security", "row_level_permission_data_set",
                                  "column_level_security", "tables", "tags", "uploaded"),
    "quicksight.dashboard": _picked("datasets"),
    "quicksight.analysis": _picked("datasets"),
}


@mock_aws
def test_quicksight_read_from_the_template_is_what_the_collector_reads_of_it_deployed(tmp_path: Path) -> None:
    from lineage.moto_support.quicksight import seed_data_set_definition, serve_dashboard_data_sets

    stack = _template(tmp_path, ANALYTICS, "analytics.yaml")
    session = boto3.Session(region_name=REGION)
    client = session.client("quicksight")
    for placed in stack.placed.values():
        p = dict(placed.properties)
        if placed.type == "AWS::QuickSight::DataSource":
            client.create_data_source(**p)
        elif placed.type == "AWS::QuickSight::DataSet":
            client.create_data_set(**p)
            seed_data_set_definition(ACCOUNT, REGION, p)
        elif placed.type == "AWS::QuickSight::Dashboard":
            client.create_dashboard(**p)
        elif placed.type == "AWS::QuickSight::Analysis":
            client.create_analysis(**p)
    serve_dashboard_data_sets(ACCOUNT, REGION)
    ctx = _context(session)
    collected = quicksight.transform_quicksight(quicksight.get_quicksight(ctx, REGION), ACCOUNT, REGION)
    ctx.close()
    assert ctx.gaps == []
    read = _same_facts(stack, quicksight_template.facts, collected, _Ids(stack), QUICKSIGHT_KEYS)
    assert {kind for kind, _ in read.values()} == set(QUICKSIGHT_KEYS)


APPSYNC_KEYS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "appsync.api": _picked("authentication", "waf_web_acl", "visibility", "xray", "field_log_level", "tags",
                           "data_sources", "api_type"),
}


@mock_aws
def test_appsync_read_from_the_template_is_what_the_collector_reads_of_it_deployed(tmp_path: Path) -> None:
    stack = _template(tmp_path, ANALYTICS, "analytics.yaml")
    session, ids = boto3.Session(region_name=REGION), _Ids(stack)
    client = session.client("appsync")
    for logical_id, placed in stack.placed.items():
        p = placed.properties
        if placed.type == "AWS::AppSync::GraphQLApi":
            tags = {t["Key"]: t["Value"] for t in p["Tags"]}
            made = client.create_graphql_api(name=p["Name"], authenticationType=p["AuthenticationType"],
                                             xrayEnabled=p["XrayEnabled"], tags=tags)
            ids.made(logical_id, made["graphqlApi"]["apiId"])
        elif placed.type == "AWS::AppSync::DataSource":
            client.create_data_source(apiId=ids(p["ApiId"]), name=p["Name"], type=p["Type"],
                                      serviceRoleArn=p["ServiceRoleArn"],
                                      dynamodbConfig={"tableName": p["DynamoDBConfig"]["TableName"],
                                                      "awsRegion": p["DynamoDBConfig"]["AwsRegion"]})
    ctx = _context(session)
    collected = appsync.transform_appsync(appsync.get_appsync(ctx, REGION), ACCOUNT, REGION)
    ctx.close()
    assert ctx.gaps == []
    read = _same_facts(stack, appsync_template.facts, collected, ids, APPSYNC_KEYS)
    assert read["arn:aws:appsync:us-east-1:123456789012:apis/<CourseCatalogApi>"][1]["authentication"] == ["API_KEY"]
