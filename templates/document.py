"""A template file as the tracker reads it: decoded with line numbers, SAM turned into CloudFormation.

CloudFormation's JSON and YAML (short-form intrinsics such as `!Sub` included) are decoded by cfn-lint's
decoder, which keeps the line of every key; a SAM template (`Transform: AWS::Serverless-2016-10-31`) goes
through the AWS SAM translator offline — no managed-policy listing, no Serverless Application Repository —
after the local files it names (a state machine's `DefinitionUri`) are read from beside the template. A
resource SAM makes keeps the line of the SAM resource it came from.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import yaml

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
MAX_BYTES = 5_000_000  # CloudFormation's own limit for a template from S3 is 1 MB; generated ones stay far below


class TemplateError(ValueError):
    """A template that cannot be read at all: said in one line, with the file."""


@dataclass(frozen=True, slots=True)
class Resource:
    logical_id: str
    type: str
    properties: Mapping[str, Any]  # as written: intrinsics unresolved
    line: int = 0  # 1-based line of the logical id in its file; 0 when not known
    condition: str = ""  # the condition the resource is created under, if any
    from_sam: str = ""  # the SAM resource it was made from
    metadata: Mapping[str, Any] = field(default_factory=dict)  # its `Metadata` (a CDK construct's path, an asset)


@dataclass(frozen=True, slots=True)
class Template:
    path: str  # as given on the command line: where findings point
    name: str  # the file's name without its extensions: how `cfn:` ids name the template
    kind: str  # "cloudformation", "sam", "cdk", "terraform"
    resources: tuple[Resource, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict)  # name → declaration
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    stack: str = ""  # the stack it deploys as, where the source says (a CDK stack)
    account: str = ""  # where the source says it deploys (a CDK stack's environment), unless the caller says
    region: str = ""
    document: Mapping[str, Any] = field(default_factory=dict)  # the CloudFormation it deploys as (SAM translated)
    nested_in: tuple[str, str] = ()  # (the parent template's path, its resource) for a nested stack


def template_name(path: Path) -> str:
    name = path.name
    for suffix in (".template.json", ".template.yaml", ".json", ".yaml", ".yml", ".template"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def decode_file(path: Path) -> Mapping[str, Any]:
    """The file's document, keys carrying their lines; a file that is not one is a `TemplateError`."""
    from cfnlint.decode import decode_str

    try:
        size = path.stat().st_size
    except OSError as error:
        raise TemplateError(f"{path}: cannot read it ({error.strerror or error})") from None
    if size > MAX_BYTES:
        raise TemplateError(f"{path}: {size:,} bytes, more than a template can be ({MAX_BYTES:,})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateError(f"{path}: cannot read it ({getattr(error, 'strerror', None) or error})") from None
    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)  # its parse errors come back as matches, said below
    try:
        document, problems = decode_str(text)
    except RecursionError:
        raise TemplateError(f"{path}: nested too deeply to read") from None
    if document is None or problems:
        said = "; ".join(_problem_text(p) for p in problems[:2]) or "not a template"
        raise TemplateError(f"{path}: not valid JSON or YAML ({said})")
    if not isinstance(document, Mapping):
        shape = "list" if isinstance(document, list) else "scalar"
        raise TemplateError(f"{path}: a template is a mapping with `Resources`, not a {shape}")
    return document


def _not_a_mapping(path: Path) -> bool:
    try:
        return not isinstance(json.loads(path.read_text(encoding="utf-8")), dict)
    except (OSError, UnicodeDecodeError, ValueError):
        return False


def _problem_text(problem: Any) -> str:
    message = str(getattr(problem, "message", problem)).strip().splitlines()[0]
    line = getattr(problem, "linenumber", None)
    return f"line {line}: {message}" if line else message


def line_of(mapping: Mapping[str, Any], key: str) -> int:
    """The 1-based line of `key` in a decoded mapping; 0 when the decoder did not keep it."""
    for candidate in mapping:
        if candidate == key:
            mark = getattr(candidate, "start_mark", None)
            return mark.line + 1 if mark is not None else 0
    return 0


def transforms_of(document: Mapping[str, Any]) -> list[str]:
    transform = document.get("Transform")
    if isinstance(transform, str):
        return [transform]
    if isinstance(transform, list):
        return [t for t in transform if isinstance(t, str)]
    return []


def resources_of(document: Mapping[str, Any], lines: Mapping[str, int] | None = None,
                 made_by_sam: bool = False) -> tuple[list[Resource], list[str]]:
    """Each resource of the document, and a warning for each entry that is not one."""
    declared = document.get("Resources")
    if not isinstance(declared, Mapping):
        return [], []
    resources: list[Resource] = []
    warnings: list[str] = []
    for logical_id, body in declared.items():
        if not isinstance(body, Mapping) or not isinstance(body.get("Type"), str):
            warnings.append(f"resource {logical_id}: no `Type`; left out")
            continue
        properties = body.get("Properties") or {}
        if not isinstance(properties, Mapping):
            warnings.append(f"resource {logical_id}: `Properties` is not a mapping; read without them")
            properties = {}
        origin = _sam_origin(str(logical_id), lines) if made_by_sam and lines is not None else ""
        if lines is None:
            line = line_of(declared, str(logical_id))
        else:
            line = lines.get(str(logical_id)) or lines.get(origin, 0)
        metadata = body.get("Metadata")
        resources.append(Resource(str(logical_id), str(body["Type"]), properties, line,
                                  str(body.get("Condition") or ""), origin if origin != str(logical_id) else "",
                                  metadata if isinstance(metadata, Mapping) else {}))
    return resources, warnings


def _sam_origin(logical_id: str, lines: Mapping[str, int]) -> str:
    """The SAM resource a generated one came from: SAM names what it makes after it (`FnRole` for `Fn`)."""
    if logical_id in lines:
        return logical_id
    candidates = [name for name in lines if logical_id.startswith(name)]
    return max(candidates, key=len, default="")


@overload
def read_template(path: Path, shown_as: str | None = None) -> Template: ...
@overload
def read_template(path: Path, shown_as: str | None = None, only_if_template: bool = ...) -> Template | None: ...


def read_template(path: Path, shown_as: str | None = None, only_if_template: bool = False) -> Template | None:
    """One CloudFormation or SAM template file, or the JSON of a Terraform plan or state (`terraform show -json`,
    read by `templates.terraform`); with `only_if_template`, None for a document that is not one."""
    from templates.terraform import read_terraform, terraform_document

    plan = terraform_document(path)  # before the template decoder: plans are large, and JSON's own decoder is fast
    if plan is not None:
        return read_terraform(path, plan[0], shown_as, plan[1])
    try:
        document = decode_file(path)
    except TemplateError:
        if only_if_template and path.suffix == ".json" and _not_a_mapping(path):
            return None  # a parameters file beside the templates, in the CLI's list form
        raise
    if "Resources" not in document:
        if only_if_template and "AWSTemplateFormatVersion" not in document:
            return None
        raise TemplateError(f"{path}: no `Resources`; not a CloudFormation template")
    shown = shown_as or str(path)
    declared = document.get("Resources")
    lines = {str(k): line_of(declared, str(k)) for k in declared} if isinstance(declared, Mapping) else {}
    kind = "cloudformation"
    if SAM_TRANSFORM in transforms_of(document):
        kind = "sam"
        try:
            document = translate_sam(document)
        except TemplateError as error:
            raise TemplateError(f"{path}: {error}") from None
    resources, warnings = resources_of(document, lines, made_by_sam=kind == "sam")
    return Template(shown, template_name(path), kind, tuple(resources),
                    _mapping(document.get("Parameters")), _mapping(document.get("Mappings")),
                    _mapping(document.get("Conditions")), tuple(warnings), document=_plain(document))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


# --- SAM --------------------------------------------------------------------------------------------

LOCAL_ARTIFACT_BUCKET = "local-artifact"  # stands for a file `sam package` would upload; never read as a flow


def local_artifact(relative: str) -> str:
    """A local path as the S3 URI the translator wants; `definition_beside` reads such a key from the folder."""
    return f"s3://{LOCAL_ARTIFACT_BUCKET}/{relative.removeprefix('./') or 'code'}"


_CODE_PROPERTIES = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri",
                    "AWS::Serverless::Api": "DefinitionUri", "AWS::Serverless::HttpApi": "DefinitionUri"}


def translate_sam(document: Mapping[str, Any]) -> dict[str, Any]:
    """The SAM template as the CloudFormation it deploys as, offline; SAM's own refusal is a `TemplateError`."""
    from samtranslator.model.exceptions import InvalidDocumentException, InvalidResourceException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    plain = _plain(document)
    _prepare_sam(plain)
    logging.getLogger("samtranslator").setLevel(logging.CRITICAL)
    translator = Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=_offline_session())
    try:
        translated = translator.translate(plain, parameter_values={}, get_managed_policy_map=lambda: {})
    except InvalidDocumentException as error:
        causes = "; ".join(str(getattr(cause, "message", cause)) for cause in list(error.causes)[:3])
        raise TemplateError(f"the SAM translator refused it: {causes or error}") from None
    except InvalidResourceException as error:
        raise TemplateError(f"the SAM translator refused it: {error.message}") from None
    except Exception as error:  # noqa: BLE001 - the translator is another project's code: its failure is this file's
        raise TemplateError(f"the SAM translator failed on it: {type(error).__name__}: {error}") from None
    return translated


def _offline_session() -> Any:
    """A session for the translator's partition lookups alone: a region, and no call is ever made with it."""
    import boto3

    return boto3.Session(region_name="us-east-1", aws_access_key_id="offline", aws_secret_access_key="offline")


def _plain(value: Any) -> Any:
    """The decoded document as plain dicts and lists (the translator copies and compares them)."""
    return json.loads(json.dumps(value, default=str))


def _prepare_sam(document: dict[str, Any]) -> None:
    """Local code paths set aside (a state machine's definition is read from beside the template by its reader),
    applications of the Serverless Application Repository made nested stacks: what `sam package` and SAR would do,
    without the network."""
    resources = document.get("Resources")
    if not isinstance(resources, dict):
        return
    for logical_id, body in resources.items():
        if not isinstance(body, dict):
            continue
        properties = body.get("Properties")
        if not isinstance(properties, dict):
            continue
        kind = body.get("Type")
        if kind == "AWS::Serverless::StateMachine":
            uri = properties.get("DefinitionUri")
            if isinstance(uri, str) and not uri.startswith("s3://"):
                # Read from beside the template by the state machine's reader, as `DefinitionS3Location` is.
                properties["DefinitionUri"] = local_artifact(uri)
        elif kind == "AWS::Serverless::Application":
            body["Type"] = "AWS::CloudFormation::Stack"
            body["Properties"] = {"TemplateURL": "${" + f"{logical_id}.Location" + "}",
                                  **({"Parameters": properties["Parameters"]} if "Parameters" in properties else {})}
        elif kind in _CODE_PROPERTIES:
            key = _CODE_PROPERTIES[kind]
            uri = properties.get(key)
            if isinstance(uri, str) and not uri.startswith("s3://"):
                if kind in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
                    properties.pop(key)
                    properties.setdefault("DefinitionBody", {"openapi": "3.0.1", "paths": {}})
                else:
                    properties[key] = local_artifact(uri)
    globals_ = document.get("Globals")
    if isinstance(globals_, dict) and isinstance(globals_.get("Function"), dict):
        uri = globals_["Function"].get("CodeUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            globals_["Function"]["CodeUri"] = local_artifact(uri)


def definition_beside(folder: Path, relative: str) -> tuple[Any, str]:
    """A definition file named relative to the template: (its document, "") or (None, why not)."""
    target = (folder / relative).resolve()
    if not target.is_file():
        return None, f"its definition file {relative} is not beside the template"
    try:
        text = target.read_text(encoding="utf-8")
        document = yaml.safe_load(text) if target.suffix in (".yaml", ".yml") else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        return None, f"its definition file {relative} cannot be read: {str(error).splitlines()[0][:200]}"
    return copy.deepcopy(document), ""
