"""Lambda functions in a template → `ListFunctions`, `ListTags`, `ListFunctionEventInvokeConfigs`,
`ListFunctionUrlConfigs` and `ListEventSourceMappings` as the deployed functions answer them → the Lambda
collector's transform.

Environment variables are read as the collector reads them: `!Ref Queue` gives the queue's URL and `!GetAtt
Table.Arn` an ARN, which name the resource outright; `!Ref Table` gives a name, matched against the names of
what the templates define (`lineage.references`). A function's log group is `/aws/lambda/NAME` unless its
logging configuration names another, as Lambda reports it; its environment rests encrypted under a key of AWS's
(AWS owned, or the AWS managed key aws/lambda) unless `KmsKeyArn` names one (`aws_defaults` says which of these
came from AWS's defaults). A function URL has no address before it is
deployed: its node is the resource's `cfn:` id. Permissions (`AWS::Lambda::Permission`) are not read: the
collector reads no function policy either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors import awslambda
from lineage import arn as arns
from lineage.model import Facts
from templates.intrinsics import placeholder
from templates.services.common import as_text, finished, is_true, tag_map
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping", "AWS::Lambda::EventInvokeConfig",
                   "AWS::Lambda::Url"})
DEFAULT_LOG_GROUP = "/aws/lambda/{}"


def _list(value: Any) -> list[Any]:
    """A list property; one value left to deployment (`${Subnets}`) as a list of it."""
    return list(value) if isinstance(value, list) else [value] if value else []


def function_arn(value: str, region: str, account: str) -> str:
    """A function as a property names it — name, `name:alias`, partial ARN `ACCOUNT:function:name`, ARN — as the
    ARN Lambda answers with (qualified when the reference is)."""
    if value.startswith("arn:"):
        return value
    if ":function:" in value:
        owner, _, rest = value.partition(":function:")
        return arns.build_arn("lambda", region, owner, f"function:{rest}")
    name, _, qualifier = value.partition(":")
    arn = arns.lambda_function_arn(region, account, name)
    return f"{arn}:{qualifier}" if qualifier else arn


def listed_function(function: Placed) -> tuple[dict[str, Any], list[str]]:
    """(`ListFunctions`' entry for the deployed function, the configuration AWS's defaults gave)."""
    properties = function.properties
    defaults: list[str] = []
    code = properties.get("Code") if isinstance(properties.get("Code"), Mapping) else {}
    image = properties.get("PackageType") == "Image" or bool(code.get("ImageUri"))
    listed: dict[str, Any] = {
        "FunctionName": function.name, "FunctionArn": function.id, "Role": as_text(properties.get("Role", "")),
        "PackageType": "Image" if image else "Zip", "Timeout": properties.get("Timeout", 3),
        "MemorySize": properties.get("MemorySize", 128),
        "Architectures": _list(properties.get("Architectures")) or ["x86_64"],
    }
    if not image:
        listed["Runtime"] = as_text(properties.get("Runtime", ""))
        listed["Handler"] = as_text(properties.get("Handler", ""))
    environment = properties.get("Environment")
    variables = environment.get("Variables") if isinstance(environment, Mapping) else None
    if isinstance(variables, Mapping):
        listed["Environment"] = {"Variables": {str(k): as_text(v) for k, v in variables.items()}}
    if properties.get("KmsKeyArn"):
        listed["KMSKeyArn"] = as_text(properties["KmsKeyArn"])
    else:
        defaults.append("kms_key")  # the environment rests encrypted under a key of AWS's
    vpc = properties.get("VpcConfig")
    if isinstance(vpc, Mapping) and vpc.get("SubnetIds"):
        # The subnets' VPC is what Lambda reports; only deployment says which one it is.
        listed["VpcConfig"] = {"SubnetIds": _list(vpc.get("SubnetIds")),
                               "SecurityGroupIds": _list(vpc.get("SecurityGroupIds")),
                               "VpcId": placeholder(f"{function.logical_id}.VpcConfig.VpcId")}
    dead_letter = properties.get("DeadLetterConfig")
    if isinstance(dead_letter, Mapping) and dead_letter.get("TargetArn"):
        listed["DeadLetterConfig"] = {"TargetArn": as_text(dead_letter["TargetArn"])}
    logging = properties.get("LoggingConfig") if isinstance(properties.get("LoggingConfig"), Mapping) else {}
    listed["LoggingConfig"] = {"LogFormat": as_text(logging.get("LogFormat", "Text")),
                               "LogGroup": as_text(logging.get("LogGroup") or DEFAULT_LOG_GROUP.format(function.name))}
    if not logging.get("LogGroup"):
        defaults.append("log_group")
    tracing = properties.get("TracingConfig")
    listed["TracingConfig"] = {"Mode": as_text(tracing.get("Mode", "PassThrough")) if isinstance(tracing, Mapping)
                               else "PassThrough"}
    return listed, defaults


def _invoke_config(placed: Placed, function: str) -> dict[str, Any]:
    """`ListFunctionEventInvokeConfigs`' entry for an `AWS::Lambda::EventInvokeConfig`."""
    properties = placed.properties
    qualifier = as_text(properties.get("Qualifier") or "$LATEST")
    config: dict[str, Any] = {"FunctionArn": f"{function}:{qualifier}"}
    destinations = properties.get("DestinationConfig")
    if isinstance(destinations, Mapping):
        config["DestinationConfig"] = {outcome: {"Destination": as_text(target.get("Destination", ""))}
                                       for outcome in ("OnSuccess", "OnFailure")
                                       if isinstance(target := destinations.get(outcome), Mapping)}
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if key in properties:
            config[key] = properties[key]
    return config


def _url_config(placed: Placed, function: str) -> dict[str, Any]:
    """`ListFunctionUrlConfigs`' entry for an `AWS::Lambda::Url`, its address the resource's `cfn:` id."""
    properties = placed.properties
    qualifier = properties.get("Qualifier")
    config: dict[str, Any] = {"FunctionUrl": placed.id, "FunctionArn": f"{function}:{qualifier}" if qualifier
                              else function, "AuthType": as_text(properties.get("AuthType", "")),
                              "InvokeMode": as_text(properties.get("InvokeMode") or "BUFFERED")}
    if isinstance(properties.get("Cors"), Mapping):
        config["Cors"] = dict(properties["Cors"])
    return config


def mapping_record(placed: Placed, region: str, account: str) -> dict[str, Any] | None:
    """`ListEventSourceMappings`' entry for the deployed mapping; None for one naming no function."""
    properties = placed.properties
    function = properties.get("FunctionName")
    if not isinstance(function, str) or not function:
        return None  # said by `facts`
    mapping: dict[str, Any] = {
        "UUID": placed.id,  # AWS gives the mapping a UUID at creation
        "FunctionArn": function_arn(function, region, account),
        "State": "Enabled" if is_true(properties.get("Enabled", True)) else "Disabled",
    }
    if properties.get("EventSourceArn"):
        mapping["EventSourceArn"] = as_text(properties["EventSourceArn"])
    for key in ("BatchSize", "StartingPosition", "MaximumBatchingWindowInSeconds", "FilterCriteria",
                "DestinationConfig"):
        if key in properties:
            mapping[key] = properties[key]
    return mapping


def _by_function(stack: Stack, resource_type: str) -> dict[str, list[Placed]]:
    """The resources of a type that name a function, by the function's unqualified ARN."""
    found: dict[str, list[Placed]] = {}
    for placed in stack.placed.values():
        if placed.type != resource_type:
            continue
        named = placed.properties.get("FunctionName" if resource_type != "AWS::Lambda::Url" else "TargetFunctionArn")
        if isinstance(named, str) and named:
            unqualified = arns.unqualified_lambda_arn(function_arn(named, stack.region, stack.account))
            found.setdefault(unqualified, []).append(placed)
        else:
            stack.warnings.append(f"{resource_type} {placed.logical_id}: names no function")
    return found


def facts(stack: Stack) -> Facts:
    configs = _by_function(stack, "AWS::Lambda::EventInvokeConfig")
    urls = _by_function(stack, "AWS::Lambda::Url")
    functions, defaults = [], {}
    for placed in stack.placed.values():
        if placed.type != "AWS::Lambda::Function":
            continue
        listed, said = listed_function(placed)
        functions.append({"Function": listed, "Tags": tag_map(placed.properties.get("Tags"), as_text),
                          "EventInvokeConfigs": [_invoke_config(c, placed.id) for c in configs.pop(placed.id, [])],
                          "FunctionUrls": [_url_config(u, placed.id) for u in urls.pop(placed.id, [])]})
        if said:
            defaults[placed.id] = said
    for function, placed in configs.items():
        names = ", ".join(p.logical_id for p in placed)
        stack.warnings.append(f"{names}: configures {function}, which this template does not define; its "
                              "destinations are read with that function")
    # A URL of a function defined elsewhere is still where requests enter: its node and the call it makes.
    elsewhere = [awslambda.transform_url(_url_config(url, function), function, arns.name_for_id(function),
                                         stack.account, stack.region)
                 for function, placed in urls.items() for url in placed]
    mappings = []
    for placed in stack.placed.values():
        if placed.type == "AWS::Lambda::EventSourceMapping":
            record = mapping_record(placed, stack.region, stack.account)
            if record is None:
                stack.warnings.append(f"event source mapping {placed.logical_id}: names no function")
            else:
                mappings.append(record)
    read = awslambda.transform_lambda({"Functions": functions, "Mappings": mappings}, stack.account, stack.region)
    return finished(Facts.concat([read, *elsewhere]), defaults, {})


