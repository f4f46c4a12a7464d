"""Terraform plans and states (`terraform show -json`) as templates: every AWS resource of the plan translated into
the CloudFormation resource it is the equivalent of, so each service's reader (`templates.services`) reads it as it
reads a template.

What is read: `planned_values.root_module` of a plan, or `values.root_module` of a state, with every child module,
each resource under its Terraform address (`module.lake.aws_s3_bucket.raw["a"]`), which serves as its logical id:
a resource whose name is chosen at apply is shown as `cfn:<plan file>#<address>`. A plan's `resource_changes` say
which values are known only after apply, and its `configuration` which other objects each expression references.
Such a value that references one attribute of one resource of the plan (`aws_s3_bucket.raw.arn`, followed through
module variables, module outputs and `for_each` keys) is written as the intrinsic that gives the same
(`Fn::GetAtt [aws_s3_bucket.raw, Arn]`), so it names the same node as the resource itself; any other stays a
`${…}` placeholder of the references (`${aws_s3_bucket.raw.bucket}`), read as a place known only at apply, never
guessed. A value the provider computes at apply that no expression gives (an id, a generated name) is left out,
as CloudFormation leaves out what it computes. A state has no unknown values; its resources link by value.

Terraform splits some configuration into resources of their own; they are folded into the resource they
configure, as CloudFormation holds them: `aws_s3_bucket_lifecycle_configuration`, `…_server_side_encryption_
configuration`, `…_public_access_block`, `…_versioning`, `…_notification` and `…_replication_configuration` into
their bucket (whose own inline blocks, of AWS provider v3, count where no such resource replaces them), and
`aws_cloudwatch_event_target` into its rule's `Targets`. A bucket policy built by `data.aws_iam_policy_document`
that waits for apply is rebuilt from the data source's statements. A setting left to the provider's default (a
queue's retention, a log group's class) is left out, so it is read as AWS's default, as a template's silence is.
Resources of a type no reader knows are kept as `Terraform::<type>` (a node of their own, see `terraform_kind`);
the bucket settings no reader reads (ACLs, CORS, websites…) and resources of the providers that make nothing in a
cloud (`random`, `null`, `time`, `tls`, `local`…) are left out.

The account is the one `data.aws_caller_identity` reads, else the one the plan's own ARNs name; the region is the
default `aws` provider's, else `data.aws_region`'s, else the ARNs'. Either stays unknown when the plan does not say.

Plan JSON has no source positions: a finding (and its SARIF location) points at the plan file and the line of the
resource's `"address"` in it — line 1 for the one-line JSON `terraform show -json` writes, its own line in a
pretty-printed plan — and names the Terraform address as the logical id, which is what the engineer searches for.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage import arn as arns
from templates.document import Resource, Template, TemplateError, template_name
from templates.intrinsics import placeholder
from templates.naming import SHAPES, Shape

KIND = "terraform"
UNKNOWN_PREFIX = "Terraform::"  # the CloudFormation-like type of a resource no reader knows
MAX_BYTES = 500_000_000  # a large estate's plan runs to tens of megabytes; Python's JSON decoder reads it quickly
SUPPORTED_MAJOR = "1"  # `format_version` 1.x; a new major version is a format this reader does not know
# Providers whose resources exist only in Terraform's state (random names, waits, local files, generated keys).
_LOCAL_PROVIDERS = frozenset({"random", "null", "time", "tls", "local", "archive", "external", "http", "terraform",
                              "template", "cloudinit"})
# Bucket settings no reader reads: kept out of the graph, as CloudFormation keeps them inside the bucket.
_BUCKET_SETTINGS_NOT_READ = frozenset({
    "aws_s3_bucket_acl", "aws_s3_bucket_ownership_controls", "aws_s3_bucket_logging",
    "aws_s3_bucket_cors_configuration",
    "aws_s3_bucket_website_configuration", "aws_s3_bucket_object_lock_configuration",
    "aws_s3_bucket_accelerate_configuration", "aws_s3_bucket_request_payment_configuration",
    "aws_s3_bucket_intelligent_tiering_configuration", "aws_s3_bucket_metric", "aws_s3_bucket_analytics_configuration",
    "aws_s3_bucket_inventory"})


# --- the document --------------------------------------------------------------------------------------------------


def is_terraform_plan(document: Any) -> bool:
    """True for what `terraform show -json` writes, of a plan (`planned_values`) or of a state (`values`)."""
    return isinstance(document, Mapping) and "format_version" in document and any(
        key in document for key in ("planned_values", "values", "terraform_version", "resource_changes"))


def is_stored_state(document: Any) -> bool:
    """A state file as Terraform stores it (`terraform.tfstate`), which is not the format read here."""
    return isinstance(document, Mapping) and "format_version" not in document and {
        "version", "terraform_version", "resources"} <= set(document)


def terraform_document(path: Path) -> tuple[Mapping[str, Any], str] | None:
    """(the document, its text) when the file is JSON of `terraform show -json`; None for any other file (which
    is then read as a template). A stored state file is a `TemplateError` saying what to give instead."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        with path.open("rb") as file:
            if file.read(64).lstrip()[:1] != b"{":
                return None
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None  # said in one line by the template reader
    if is_stored_state(document):
        raise TemplateError(f"{path}: a Terraform state file as Terraform stores it; give the JSON of "
                            f"`terraform show -json` instead")
    return (document, text) if is_terraform_plan(document) else None


def read_terraform(path: Path, document: Mapping[str, Any], shown_as: str | None = None, text: str = "") -> Template:
    """The plan or state as a template of CloudFormation-shaped resources (see the module's note)."""
    version = str(document.get("format_version", ""))
    if version.partition(".")[0] != SUPPORTED_MAJOR:
        raise TemplateError(f"{path}: Terraform JSON format {version or '(none)'}; this reader knows 1.x")
    values = document.get("planned_values", document.get("values"))
    if values is None:
        values = {"root_module": {}}  # an empty state, or a plan that changes nothing and holds nothing
    if not isinstance(values, Mapping) or not isinstance(values.get("root_module", {}), Mapping):
        raise TemplateError(f"{path}: `{'planned_values' if 'planned_values' in document else 'values'}` "
                            f"is not a Terraform module (no `root_module` mapping)")
    try:
        plan = _Plan(document, values, _lines(text))
        resources = plan.translated()
    except (TypeError, AttributeError, KeyError, ValueError) as error:
        raise TemplateError(f"{path}: not a Terraform plan this reader can follow "
                            f"({type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''})"
                            ) from None
    account, region = plan.account_and_region()
    cloudformation = {"Resources": {r.logical_id: {"Type": r.type, "Properties": r.properties} for r in resources}}
    return Template(shown_as or str(path), template_name(path), KIND, tuple(resources), warnings=tuple(plan.warnings),
                    account=account, region=region, document=json.loads(json.dumps(cloudformation, default=str)))


_ADDRESS = re.compile(r'"address"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _lines(text: str) -> dict[str, int]:
    """The line of each address's first mention (`planned_values` comes before the rest)."""
    lines: dict[str, int] = {}
    line, position = 1, 0
    for match in _ADDRESS.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        try:
            address = json.loads(f'"{match.group(1)}"')
        except ValueError:
            continue
        lines.setdefault(address, line)
    return lines


# --- addresses and references --------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """`module.a["x.y"].aws_s3_bucket.raw[0].arn` → [module, a["x.y"], aws_s3_bucket, raw[0], arn]."""
    tokens, current, depth, quoted, escaped = [], [], 0, False, False
    for char in text:
        if quoted:
            current.append(char)
            quoted = escaped or char != '"'
            escaped = not escaped and char == "\\"
            continue
        if char == '"':
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "." and depth == 0:
            tokens.append("".join(current))
            current = []
            continue
        current.append(char)
    tokens.append("".join(current))
    return tokens


def _bare(token: str) -> str:
    return token.partition("[")[0]


def _key_of(token: str) -> Any:
    """The index in `name[KEY]`: a number or a string; None without one."""
    if "[" not in token:
        return None
    inside = token[token.index("[") + 1: token.rindex("]")] if "]" in token else ""
    try:
        return json.loads(inside)
    except ValueError:
        return None


def _indexed(address: str, key: Any) -> str:
    return f"{address}[{json.dumps(key, ensure_ascii=False)}]" if isinstance(key, str) else f"{address}[{key}]"


def _module_calls(module: str) -> tuple[tuple[str, Any], ...]:
    """`module.a["x"].module.b` → ((a, "x"), (b, None))."""
    tokens = _tokens(module) if module else []
    return tuple((_bare(tokens[i + 1]), _key_of(tokens[i + 1])) for i in range(0, len(tokens) - 1, 2)
                 if tokens[i] == "module")


def _prefixed(module: str, address: str) -> str:
    return f"{module}.{address}" if module else address


def _leading(references: list[str]) -> list[str]:
    """The references that are not a step of a longer one (`a.b.arn` of `a.b.arn`, `a.b`)."""
    return [r for r in dict.fromkeys(references)
            if not any(o != r and o.startswith(r) and o[len(r)] in ".[" for o in references)]


# --- what an attribute of a resource gives ------------------------------------------------------------------------

# Terraform attribute → what it gives: the resource's name, ARN, URL or stream ARN (as `naming.Shape` says them).
_NAME_ARN = {"name": "name", "arn": "arn"}
_MEANINGS: dict[str, dict[str, str]] = {
    "aws_s3_bucket": {"id": "name", "bucket": "name", "arn": "arn"},
    "aws_sfn_state_machine": {"id": "arn", **_NAME_ARN},
    "aws_cloudwatch_event_bus": {"id": "name", **_NAME_ARN},
    "aws_cloudwatch_event_rule": _NAME_ARN,
    "aws_glue_catalog_database": _NAME_ARN,
    "aws_athena_database": {"id": "name", "name": "name"},
    "aws_glue_catalog_table": _NAME_ARN,
    "aws_glue_crawler": {"id": "name", **_NAME_ARN},
    "aws_glue_job": {"id": "name", **_NAME_ARN},
    "aws_glue_trigger": {"id": "name", **_NAME_ARN},
    "aws_glue_workflow": {"id": "name", **_NAME_ARN},
    "aws_glue_security_configuration": {"id": "name", "name": "name"},
    "aws_sqs_queue": {"id": "url", "url": "url", **_NAME_ARN},
    "aws_sns_topic": {"id": "arn", **_NAME_ARN},
    "aws_lambda_function": {"id": "name", "function_name": "name", "arn": "arn"},
    "aws_dynamodb_table": {"id": "name", "stream_arn": "stream", **_NAME_ARN},
    "aws_cloudwatch_log_group": {"id": "name", **_NAME_ARN},
    "aws_kinesis_stream": {"id": "arn", **_NAME_ARN},
    "aws_kinesis_firehose_delivery_stream": {"id": "arn", **_NAME_ARN},
    "aws_athena_workgroup": {"id": "name", **_NAME_ARN},
    "aws_athena_named_query": {"id": "name"},
    "aws_kms_key": {"id": "name", "key_id": "name", "arn": "arn"},
    "aws_kms_alias": {"id": "name", **_NAME_ARN},
    "aws_iam_role": {"id": "name", **_NAME_ARN},
}
# Attributes holding text a reference is only part of (a path, a document, a query): never read as the reference.
_TEXT_SLOTS = frozenset({
    "definition", "policy", "assume_role_policy", "event_pattern", "path", "paths", "location", "location_uri",
    "output_location", "prefix", "error_output_prefix", "query", "query_statement", "input", "input_template",
    "script_location", "schedule", "schedule_expression", "filter_pattern", "description", "configuration",
    "resources", "not_resources", "redrive_policy", "redrive_allow_policy", "filter_policy", "delivery_policy",
    "archive_policy", "input_paths", "exclusions", "filter_prefix", "filter_suffix"})


def _slot_meaning(path: tuple[Any, ...]) -> str | None:
    """What a value at `path` must give for a reference to stand for it: "arn", "url", anything, or None (text)."""
    name = next((str(step).lower() for step in reversed(path) if isinstance(step, str)), "")
    if name in _TEXT_SLOTS:
        return None
    if name == "arn" or name.endswith("_arn"):
        return "arn"
    if name.endswith("_url"):
        return "url"
    return "any"


def _shape_of(resource_type: str) -> Shape | None:
    """How CloudFormation names the equivalent of a Terraform type; None for a type without a translation or shape."""
    translation = _TRANSLATIONS.get(resource_type)
    return SHAPES.get(translation[0]) if translation is not None else None


def _intrinsic(shape: Shape, address: str, gives: str) -> dict[str, Any] | None:
    """The `Ref` or `Fn::GetAtt` of the resource at `address` that gives `gives` (its name, ARN…); None if none."""
    if shape.ref == gives:
        return {"Ref": address}
    name = next((name for name, what in shape.attributes.items() if what == gives), None)
    return {"Fn::GetAtt": [address, name]} if name is not None else None


class Computed(str):
    """A value the provider computes at apply that no expression gives: left out of the properties."""

    __slots__ = ()


# --- the plan --------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Instance:
    address: str
    type: str
    mode: str  # "managed" or "data"
    module: str  # the module instance it is in; "" for the root
    index: Any  # its `count` index or `for_each` key
    values: Mapping[str, Any]
    unknown: Any  # `after_unknown`: True, or a tree of which values are known only after apply
    config: Mapping[str, Any] | None  # its block of `configuration`; None where the document has none
    provider: str = ""
    line: int = 0

    @property
    def expressions(self) -> Mapping[str, Any]:
        found = (self.config or {}).get("expressions")
        return found if isinstance(found, Mapping) else {}


@dataclass(frozen=True, slots=True)
class _Resource:
    """One resource's values, resolved: known values, references as intrinsics, placeholders."""

    address: str
    type: str
    values: Mapping[str, Any]
    written: frozenset[str] | None  # the attributes its configuration sets; None when the document has none

    def set(self, name: str) -> bool:
        """Whether the configuration sets `name` (anything counts where the document has no configuration)."""
        return self.written is None or name in self.written


class _Plan:
    def __init__(self, document: Mapping[str, Any], values: Mapping[str, Any], lines: Mapping[str, int]) -> None:
        self.warnings: list[str] = []
        configuration = document.get("configuration")
        self.configuration: Mapping[str, Any] = configuration if isinstance(configuration, Mapping) else {}
        self.variables = {name: value.get("value") for name, value in _mapping(document.get("variables")).items()
                          if isinstance(value, Mapping)}
        changes = {c["address"]: c for c in _list(document.get("resource_changes"))
                   if isinstance(c, Mapping) and isinstance(c.get("address"), str)}
        self.instances: dict[str, _Instance] = {}
        self.data: dict[str, _Instance] = {}
        for module, found in _walk(values.get("root_module") or {}, self.warnings):
            self._add(module, found, changes, lines)
        prior = _mapping(_mapping(document.get("prior_state")).get("values")).get("root_module")
        for module, found in _walk(_mapping(prior), []):
            if found.get("mode") == "data" and found.get("address") not in self.data:
                self._add(module, found, {}, lines)
        for change in changes.values():  # data sources read at apply: what the plan knows of them
            if change.get("mode") == "data" and change["address"] not in self.data:
                self._add(str(change.get("module_address") or ""),
                          {**change, "values": _mapping(change.get("change")).get("after")}, changes, lines)
        self._arns = self._unique_values()

    def _add(self, module: str, found: Mapping[str, Any], changes: Mapping[str, Any], lines: Mapping[str, int]
             ) -> None:
        address, kind = found.get("address"), found.get("type")
        if not isinstance(address, str) or not isinstance(kind, str):
            self.warnings.append(f"a resource without an address or a type ({json.dumps(found)[:120]}); left out")
            return
        mode = str(found.get("mode") or "managed")
        change = _mapping(_mapping(changes.get(address)).get("change"))
        values = found.get("values")
        instance = _Instance(address, kind, mode, module, found.get("index"),
                             values if isinstance(values, Mapping) else {}, change.get("after_unknown", False),
                             self._config_of(module, kind, str(found.get("name", "")), mode),
                             str(found.get("provider_name", "")), lines.get(address, 0))
        (self.data if mode == "data" else self.instances)[address] = instance

    # --- configuration

    def _config_module(self, module: str) -> Mapping[str, Any] | None:
        current = _mapping(self.configuration.get("root_module"))
        if not current:
            return None
        for call, _key in _module_calls(module):
            current = _mapping(_mapping(_mapping(current.get("module_calls")).get(call)).get("module"))
            if not current:
                return None
        return current

    def _config_of(self, module: str, kind: str, name: str, mode: str) -> Mapping[str, Any] | None:
        config = self._config_module(module)
        if config is None:
            return None
        wanted = f"{'data.' if mode == 'data' else ''}{kind}.{name}"
        return next((r for r in _list(config.get("resources"))
                     if isinstance(r, Mapping) and r.get("address") == wanted), None)

    # --- values

    def resolved(self, instance: _Instance, link: bool = True) -> _Resource:
        values = self._resolve(instance, (), instance.values, instance.unknown, link)
        written = frozenset(instance.expressions) if instance.config is not None else None
        return _Resource(instance.address, instance.type, values if isinstance(values, Mapping) else {}, written)

    def _resolve(self, instance: _Instance, path: tuple[Any, ...], known: Any, unknown: Any, link: bool) -> Any:
        if unknown is True:
            return self._unknown(instance, path, link)
        if isinstance(known, Mapping) or isinstance(unknown, Mapping):
            known_map = known if isinstance(known, Mapping) else {}
            unknown_map = unknown if isinstance(unknown, Mapping) else {}
            keys = [*known_map, *(k for k, u in unknown_map.items() if k not in known_map and _has_unknown(u))]
            return {str(k): self._resolve(instance, (*path, k), known_map.get(k), unknown_map.get(k), link)
                    for k in keys}
        if isinstance(known, list):
            marks = unknown if isinstance(unknown, list) else []
            return [self._resolve(instance, (*path, i), item, marks[i] if i < len(marks) else False, link)
                    for i, item in enumerate(known)]
        if link and isinstance(known, str) and known in self._arns and _slot_meaning(path) is not None:
            return self._arns[known]
        return known

    def _unknown(self, instance: _Instance, path: tuple[Any, ...], link: bool) -> Any:
        """A value known only after apply: the intrinsic its one reference means, a rebuilt policy document, or a
        placeholder of its references (see the module's note)."""
        expression, depth = _expression_at(instance.expressions, path)
        references = _references(expression)
        if not references:
            return Computed(placeholder(f"{instance.address}.{_dotted(path)}"))
        leading = _leading(references)
        policy = self._policy_document(instance.module, leading)
        if policy is not None:
            return policy
        sole = depth == len(path) or _unknown_leaves(_subtree(instance.unknown, path[:depth])) == 1
        meaning = _slot_meaning(path)
        if link and sole and meaning is not None:
            found = self._follow(instance, leading, meaning)
            if found is not None:
                return found
        return placeholder(", ".join(leading))

    def _follow(self, instance: _Instance, leading: list[str], meaning: str) -> Any:
        """The intrinsic the one reference of a value of `instance` gives; None when it is not one attribute of one
        resource of the plan whose meaning fits."""
        target = self._target(instance.module, leading, instance.index, 0, instance)
        if target is None:
            return None
        address, attribute = target
        named = self.instances.get(address)
        shape = _shape_of(named.type) if named is not None else None
        if named is None or shape is None:
            return None
        gives = _MEANINGS.get(named.type, {}).get(attribute) if attribute else (
            meaning if meaning in ("arn", "url") else None)
        if gives is None or (meaning != "any" and gives != meaning):
            return None
        return _intrinsic(shape, address, gives)

    def _target(self, module: str, leading: list[str], key: Any, depth: int, instance: _Instance | None = None
                ) -> tuple[str, str | None] | None:
        """(resource address, attribute or None) of the one object `leading` references, followed through module
        variables and outputs; `each.key`/`count.index` as an index is the referring instance's own key, and
        `each.value` of a `for_each` over a resource's instances is the instance of the same key."""
        if depth > 20:
            return None
        indexing = [r for r in leading if r in ("each.key", "each.value", "count.index")]
        others = [r for r in leading if r not in indexing]
        if len(others) != 1:
            return None
        tokens = _tokens(others[0])
        head = tokens[0]
        if head == "var" and len(tokens) == 2:
            return self._through_variable(module, tokens[1], depth)
        if head == "module" and len(tokens) >= 3:
            child = _prefixed(module, f"module.{tokens[1]}")
            config = self._config_module(child)
            references = _references(_mapping(_mapping((config or {}).get("outputs")).get(tokens[2])).get("expression"))
            return self._target(child, _leading(references), _key_of(tokens[1]), depth + 1) if references else None
        if head == "each" and len(tokens) >= 2 and tokens[1] == "value":
            found = self._each_value_target(instance) if instance is not None else None
            return (found, _bare(tokens[2]) if len(tokens) > 2 else None) if found is not None else None
        if head in ("data", "local", "each", "count", "path", "terraform", "self", "var", "module") or len(tokens) < 2:
            return None
        address = _prefixed(module, f"{tokens[0]}.{tokens[1]}")
        if address not in self.instances and indexing and key is not None and "[" not in tokens[1]:
            address = _indexed(address, key)
        attribute = _bare(tokens[2]) if len(tokens) > 2 else None
        return (address, attribute) if address in self.instances else None

    def _through_variable(self, module: str, name: str, depth: int) -> tuple[str, str | None] | None:
        calls = _module_calls(module)
        if not calls:
            return None
        parent = ".".join(f"module.{c}" if k is None else f"module.{_indexed(c, k)}" for c, k in calls[:-1])
        call, key = calls[-1]
        config = self._config_module(parent)
        expression = _mapping(_mapping(_mapping(_mapping(config or {}).get("module_calls")).get(call))
                              .get("expressions")).get(name)
        references = _references(expression)
        return self._target(parent, _leading(references), key, depth + 1) if references else None

    def target_address(self, instance: _Instance, attribute: str, value: Any) -> str | None:
        """The resource `attribute` of `instance` names: by its expression's reference, or by the intrinsic its
        value became."""
        expression, _ = _expression_at(instance.expressions, (attribute,))
        references = _references(expression)
        target = self._target(instance.module, _leading(references), instance.index, 0, instance) if references \
            else None
        if target is not None:
            return target[0]
        if isinstance(value, Mapping) and "Ref" in value:
            return str(value["Ref"])
        if isinstance(value, Mapping) and "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
        return None

    def _each_value_target(self, instance: _Instance) -> str | None:
        references = _leading(_references((instance.config or {}).get("for_each_expression")))
        if len(references) != 1 or instance.index is None:
            return None
        tokens = _tokens(references[0])
        if len(tokens) != 2 or tokens[0] in ("var", "local", "module", "data"):
            return None
        address = _indexed(_prefixed(instance.module, f"{tokens[0]}.{tokens[1]}"), instance.index)
        return address if address in self.instances else None

    def _unique_values(self) -> dict[str, Any]:
        """Known ARNs and ids of resources whose name deployment chooses (keys): a value equal to one is that
        resource, written as the intrinsic that gives it so it names the resource's node."""
        found: dict[str, Any] = {}
        for instance in self.instances.values():
            shape = _shape_of(instance.type)
            if shape is None or shape.name_property is not None:
                continue
            for attribute, gives in _MEANINGS.get(instance.type, {}).items():
                value = instance.values.get(attribute)
                if isinstance(value, str) and value:
                    intrinsic = _intrinsic(shape, instance.address, gives)
                    if intrinsic is not None:
                        found[value] = intrinsic
        return found

    # --- policies built by a data source

    def _policy_document(self, module: str, leading: list[str]) -> str | None:
        """`data.aws_iam_policy_document.X.json` read at apply, rebuilt from what the plan knows of its statements
        (an unknown part a placeholder), as the JSON it gives."""
        if len(leading) != 1:
            return None
        tokens = _tokens(leading[0])
        if len(tokens) != 4 or tokens[:2] != ["data", "aws_iam_policy_document"] or tokens[3] not in (
                "json", "minified_json"):
            return None
        source = self.data.get(_prefixed(module, f"data.aws_iam_policy_document.{tokens[2]}"))
        if source is None:
            return None
        known = source.values.get("json")
        if isinstance(known, str) and known:
            return known
        return json.dumps(policy_document(self.resolved(source, link=False).values))

    # --- translation

    def translated(self) -> list[Resource]:
        """Every resource of the plan as CloudFormation, configuration resources folded into what they configure."""
        built: dict[str, dict[str, Any]] = {}
        types: dict[str, str] = {}
        policies: dict[str, tuple[str, Any]] = {}  # bucket address → (policy's logical id, its document)
        folds: list[tuple[_Instance, _Resource]] = []
        for instance in self.instances.values():
            if _provider_of(instance) in _LOCAL_PROVIDERS or instance.type in _BUCKET_SETTINGS_NOT_READ:
                continue
            resource = self.resolved(instance)
            if instance.type in _FOLDS:
                folds.append((instance, resource))
                continue
            translation = _TRANSLATIONS.get(instance.type)
            if translation is None:
                types[instance.address] = UNKNOWN_PREFIX + instance.type
                built[instance.address] = {}
                continue
            try:
                properties = translation[1](resource)
            except (TypeError, ValueError, KeyError, AttributeError) as error:
                self.warnings.append(_unreadable(instance, error))
                continue
            types[instance.address] = translation[0]
            if instance.type == "aws_s3_bucket" and isinstance(properties.get(_INLINE_POLICY), str):
                policies[instance.address] = (f"{instance.address}.policy", properties[_INLINE_POLICY])
            properties.pop(_INLINE_POLICY, None)
            built[instance.address] = properties
        for instance, resource in folds:
            target_type, attribute, fold = _FOLDS[instance.type]
            target = self._fold_target(instance, resource, target_type, attribute)
            if target is None or target not in built:
                self.warnings.append(f"{instance.address}: configures a {target_type} this plan does not hold "
                                     f"({_shown(resource.values.get(attribute))}); left out")
                continue
            if instance.type == "aws_s3_bucket_policy":
                policies[target] = (instance.address, resource.values.get("policy"))
                continue
            try:
                fold(built[target], resource)
            except (TypeError, ValueError, KeyError, AttributeError) as error:
                self.warnings.append(_unreadable(instance, error))
        resources = [Resource(address, types[address], _plain(properties), self._line(address))
                     for address, properties in built.items()]
        for bucket, (logical_id, policy) in policies.items():
            document = _json(policy)
            if not isinstance(document, Mapping):
                self.warnings.append(f"{logical_id}: its policy is known only after apply ({_shown(policy)}); "
                                     f"not read")
                continue
            resources.append(Resource(logical_id, "AWS::S3::BucketPolicy",
                                      {"Bucket": {"Ref": bucket}, "PolicyDocument": _plain(document)},
                                      self._line(logical_id) or self._line(bucket)))
        self._warn_unreadable_definitions(resources)
        return resources

    def _line(self, address: str) -> int:
        instance = self.instances.get(address)
        return instance.line if instance is not None else 0

    def _fold_target(self, instance: _Instance, resource: _Resource, target_type: str, attribute: str) -> str | None:
        value = resource.values.get(attribute)
        address = self.target_address(instance, attribute, value)
        if address in self.instances and self.instances[address].type == target_type:
            return address
        if not isinstance(value, str) or not value:
            return None
        if target_type == "aws_cloudwatch_event_rule":
            bus = _bus_name(resource.values.get("event_bus_name"))
            found = [a for a, i in self.instances.items() if i.type == target_type and i.values.get("name") == value
                     and _bus_name(i.values.get("event_bus_name")) == bus]
        else:
            name = value.rpartition(":::")[2] if value.startswith("arn:") else value
            found = [a for a, i in self.instances.items() if i.type == target_type and i.values.get("bucket") == name]
        return found[0] if len(found) == 1 else None

    def _warn_unreadable_definitions(self, resources: list[Resource]) -> None:
        for resource in resources:
            definition = resource.properties.get("DefinitionString")
            if resource.type == "AWS::StepFunctions::StateMachine" and isinstance(definition, str) \
                    and definition.startswith("${"):
                self.warnings.append(f"state machine {resource.logical_id}: its definition is known only after apply "
                                     f"({definition[2:-1][:200]}); its flows are not read from the plan")

    # --- where it deploys

    def account_and_region(self) -> tuple[str, str]:
        region = self._provider_region()
        account = ""
        for instance in self.data.values():
            if instance.type == "aws_caller_identity" and isinstance(instance.values.get("account_id"), str):
                account = account or instance.values["account_id"]
            if instance.type == "aws_region" and not region:
                named = instance.values.get("region") or instance.values.get("name")
                region = named if isinstance(named, str) else ""
        owned = [arns.parse_arn(str(i.values["arn"])) for i in self.instances.values()
                 if isinstance(i.values.get("arn"), str) and str(i.values["arn"]).startswith("arn:")]
        if not account:
            account = _most_common([p.account for p in owned if p is not None and p.account.isdigit()])
        if not region:
            region = _most_common([p.region for p in owned if p is not None and p.region])
        return account, region

    def _provider_region(self) -> str:
        providers = _mapping(self.configuration.get("provider_config"))
        expression = _region_expression(providers.get("aws"))
        value = expression.get("constant_value")
        if value is None:
            references = _list(expression.get("references"))
            if len(references) == 1 and str(references[0]).startswith("var."):
                value = self.variables.get(str(references[0])[4:])
        regions = {str(region) for p in providers.values() if _mapping(p).get("name") == "aws"
                   and (region := _region_expression(p).get("constant_value"))}
        if isinstance(value, str) and len(regions - {value}) > 0:
            self.warnings.append(f"providers of more than one region ({', '.join(sorted(regions | {value}))}): every "
                                 f"resource is read as in {value}")
        return value if isinstance(value, str) else ""


def _region_expression(provider: Any) -> Mapping[str, Any]:
    """A provider block's `region` expression."""
    return _mapping(_mapping(_mapping(provider).get("expressions")).get("region"))


def _unreadable(instance: _Instance, error: Exception) -> str:
    return (f"{instance.address}: values of a shape that cannot be read ({type(error).__name__}: "
            f"{str(error)[:200]}); left out")


def _walk(module: Mapping[str, Any], warnings: list[str], depth: int = 0) -> list[tuple[str, Mapping[str, Any]]]:
    """(module address, resource) of every resource of a module of `planned_values`/`values` and of its child
    modules."""
    if depth > 50:
        warnings.append("modules nested more than 50 deep; the deeper ones are left out")
        return []
    resources = module.get("resources", [])
    children = module.get("child_modules", [])
    if not isinstance(resources, list) or not isinstance(children, list):
        raise ValueError(f"module {module.get('address') or 'root'}: `resources` and `child_modules` are not lists")
    address = str(module.get("address") or "")
    found = [(address, r) for r in resources if isinstance(r, Mapping)]
    for child in children:
        if isinstance(child, Mapping):
            found.extend(_walk(child, warnings, depth + 1))
    return found


def _provider_of(instance: _Instance) -> str:
    if instance.provider:
        return instance.provider.rstrip("/").rsplit("/", 1)[-1]
    return instance.type.partition("_")[0]


def _expression_at(expressions: Mapping[str, Any], path: tuple[Any, ...]) -> tuple[Mapping[str, Any] | None, int]:
    """The configuration's expression for `path`, or for the deepest step of it the configuration holds (a map
    attribute is one expression; blocks are lists of expression mappings), and how deep that is."""
    current: Any = expressions
    for depth, step in enumerate(path):
        if isinstance(current, list):
            if not isinstance(step, int) or step >= len(current):
                return None, depth
            current = current[step]
        elif isinstance(current, Mapping):
            if set(current) <= {"references", "constant_value"} and current:
                return current, depth
            if step not in current:
                return None, depth
            current = current[step]
        else:
            return None, depth
    if isinstance(current, Mapping) and set(current) <= {"references", "constant_value"}:
        return current, len(path)
    return None, len(path)


def _subtree(tree: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        if isinstance(tree, Mapping):
            tree = tree.get(step)
        elif isinstance(tree, list) and isinstance(step, int) and step < len(tree):
            tree = tree[step]
        else:
            return tree
    return tree


def _unknown_leaves(tree: Any) -> int:
    if tree is True:
        return 1
    if isinstance(tree, Mapping):
        return sum(_unknown_leaves(v) for v in tree.values())
    if isinstance(tree, list):
        return sum(_unknown_leaves(v) for v in tree)
    return 0


def _has_unknown(tree: Any) -> bool:
    return _unknown_leaves(tree) > 0


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".")


def _most_common(values: list[str]) -> str:
    return Counter(values).most_common(1)[0][0] if values else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _references(expression: Any) -> list[str]:
    """The references of a configuration expression (none for anything else)."""
    return [r for r in _list(_mapping(expression).get("references")) if isinstance(r, str)]


def _shown(value: Any) -> str:
    return (value if isinstance(value, str) else json.dumps(value, default=str))[:200]


def _plain(value: Any) -> Any:
    """Properties as plain data: a computed value left out, as CloudFormation leaves out what it computes."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if not isinstance(v, Computed)}
    if isinstance(value, list):
        return [_plain(v) for v in value if not isinstance(v, Computed)]
    return value


def _bus_name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return "default"
    return arns.name_for_id(value) if value.startswith("arn:") else value


# --- values as CloudFormation writes them -----------------------------------------------------------------------


def _given(value: Any) -> bool:
    return value is not None and not isinstance(value, Computed) and value != "" and value != [] and value != {}


def _put(properties: dict[str, Any], key: str, value: Any) -> None:
    if _given(value):
        properties[key] = value


def _first(values: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    blocks = values.get(key)
    if isinstance(blocks, list) and blocks and isinstance(blocks[0], Mapping):
        return blocks[0]
    return blocks if isinstance(blocks, Mapping) else {}


def _blocks(values: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return [b for b in _list(values.get(key)) if isinstance(b, Mapping)]


def _json(value: Any) -> Any:
    """A JSON document Terraform holds as text, as the object CloudFormation writes; text that is not JSON (a
    placeholder) stays text."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _tag_list(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    tags = values.get("tags_all") if isinstance(values.get("tags_all"), Mapping) else values.get("tags")
    return [{"Key": str(k), "Value": v} for k, v in _mapping(tags).items() if _given(v) or v == ""]


def _tag_filters(tags: Any) -> list[dict[str, Any]]:
    """A rule's `tags` map as S3's `TagFilters`."""
    return [{"Key": k, "Value": v} for k, v in _mapping(tags).items()]


def _tag_map(values: Mapping[str, Any]) -> dict[str, Any]:
    return {tag["Key"]: tag["Value"] for tag in _tag_list(values)}


def _number(value: Any) -> Any:
    """A number Terraform may hold as text (`"1024"`), as a number; zero and nothing as nothing."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if _given(value) and value != 0 else None


def _cased(values: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Terraform's `snake_case` attributes as CloudFormation's names, those given."""
    found: dict[str, Any] = {}
    for written, cased in names.items():
        _put(found, cased, values.get(written))
    return found


def policy_document(values: Mapping[str, Any]) -> dict[str, Any]:
    """An `aws_iam_policy_document`'s statements as the policy it gives."""
    statements = []
    for written in _blocks(values, "statement"):
        statement: dict[str, Any] = {"Effect": written.get("effect") or "Allow"}
        _put(statement, "Sid", written.get("sid"))
        for key, name in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                          ("not_resources", "NotResource")):
            _put(statement, name, written.get(key))
        for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            principals = _blocks(written, key)
            if principals:
                statement[name] = "*" if any(p.get("type") == "*" for p in principals) else {
                    str(p.get("type")): p.get("identifiers") for p in principals}
        conditions: dict[str, dict[str, Any]] = {}
        for condition in _blocks(written, "condition"):
            conditions.setdefault(str(condition.get("test")), {})[str(condition.get("variable"))] = condition.get(
                "values")
        if conditions:
            statement["Condition"] = conditions
        statements.append(statement)
    return {"Version": values.get("version") or "2012-10-17", "Statement": statements}


# --- S3 ----------------------------------------------------------------------------------------------------------

_INLINE_POLICY = "\x00policy"  # an inline `policy` of provider v3, made a bucket policy of its own


def _bucket(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties: dict[str, Any] = {}
    _put(properties, "BucketName", v.get("bucket"))
    _put(properties, "Tags", _tag_list(v))
    # AWS provider v3 configured a bucket inline; v4 and later read these back (computed), and the resources that
    # configure the bucket, folded in afterwards, take their place.
    rules = [_legacy_lifecycle_rule(rule) for rule in _blocks(v, "lifecycle_rule")]
    if rules:
        properties["LifecycleConfiguration"] = {"Rules": rules}
    encryption = _first(v, "server_side_encryption_configuration")
    if encryption:
        _encryption(properties, encryption)
    if _first(v, "versioning").get("enabled") is True:
        properties["VersioningConfiguration"] = {"Status": "Enabled"}
    replication = _first(v, "replication_configuration")
    if replication:
        properties["ReplicationConfiguration"] = {"Role": replication.get("role"), "Rules": [
            _legacy_replication_rule(rule) for rule in _blocks(replication, "rules")]}
    if isinstance(v.get("policy"), str) and v["policy"] and not isinstance(v["policy"], Computed):
        properties[_INLINE_POLICY] = v["policy"]
    return properties


def _legacy_lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    written: dict[str, Any] = {"Status": "Enabled" if rule.get("enabled") is True else "Disabled"}
    _put(written, "Id", rule.get("id"))
    _put(written, "Prefix", rule.get("prefix"))
    _put(written, "TagFilters", _tag_filters(rule.get("tags")))
    expiration = _first(rule, "expiration")
    _put(written, "ExpirationInDays", _number(expiration.get("days")))
    _put(written, "ExpirationDate", expiration.get("date"))
    if expiration.get("expired_object_delete_marker") is True:
        written["ExpiredObjectDeleteMarker"] = True
    _put(written, "Transitions", [_cased(t, {"days": "TransitionInDays", "date": "TransitionDate",
                                             "storage_class": "StorageClass"}) for t in _blocks(rule, "transition")])
    days = _number(_first(rule, "noncurrent_version_expiration").get("days"))
    if days is not None:
        written["NoncurrentVersionExpiration"] = {"NoncurrentDays": days}
    _put(written, "NoncurrentVersionTransitions", [
        _cased(t, {"days": "TransitionInDays", "storage_class": "StorageClass"})
        for t in _blocks(rule, "noncurrent_version_transition")])
    days = _number(rule.get("abort_incomplete_multipart_upload_days"))
    if days is not None:
        written["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return written


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    written: dict[str, Any] = {"Status": rule.get("status") or "Disabled"}
    _put(written, "Id", rule.get("id"))
    scope = _first(rule, "filter")
    both = _first(scope, "and")
    prefix = both.get("prefix") if both else scope.get("prefix") if scope else rule.get("prefix")
    _put(written, "Prefix", prefix)
    if both:
        _put(written, "TagFilters", _tag_filters(both.get("tags")))
        sizes = both
    else:
        tag = _first(scope, "tag")
        if tag:
            written["TagFilters"] = [{"Key": tag.get("key"), "Value": tag.get("value")}]
        sizes = scope
    _put(written, "ObjectSizeGreaterThan", _number(sizes.get("object_size_greater_than")))
    _put(written, "ObjectSizeLessThan", _number(sizes.get("object_size_less_than")))
    expiration = _first(rule, "expiration")
    _put(written, "ExpirationInDays", _number(expiration.get("days")))
    _put(written, "ExpirationDate", expiration.get("date"))
    if expiration.get("expired_object_delete_marker") is True:
        written["ExpiredObjectDeleteMarker"] = True
    _put(written, "Transitions", [{**({"TransitionInDays": t["days"]} if t.get("days") is not None else {}),
                                   **_cased(t, {"date": "TransitionDate", "storage_class": "StorageClass"})}
                                  for t in _blocks(rule, "transition")])
    noncurrent = _first(rule, "noncurrent_version_expiration")
    if noncurrent:
        written["NoncurrentVersionExpiration"] = _cased(noncurrent, {"noncurrent_days": "NoncurrentDays",
                                                                     "newer_noncurrent_versions":
                                                                         "NewerNoncurrentVersions"})
    _put(written, "NoncurrentVersionTransitions", [
        _cased(t, {"noncurrent_days": "TransitionInDays", "storage_class": "StorageClass",
                   "newer_noncurrent_versions": "NewerNoncurrentVersions"})
        for t in _blocks(rule, "noncurrent_version_transition")])
    abort = _first(rule, "abort_incomplete_multipart_upload")
    if _number(abort.get("days_after_initiation")) is not None:
        written["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": _number(abort["days_after_initiation"])}
    return written


def _encryption(properties: dict[str, Any], configuration: Mapping[str, Any]) -> None:
    rules = []
    for rule in _blocks(configuration, "rule"):
        default = _first(rule, "apply_server_side_encryption_by_default")
        written: dict[str, Any] = {"ServerSideEncryptionByDefault": _cased(default, {
            "sse_algorithm": "SSEAlgorithm", "kms_master_key_id": "KMSMasterKeyID"})}
        if rule.get("bucket_key_enabled") is not None:
            written["BucketKeyEnabled"] = rule["bucket_key_enabled"]
        rules.append(written)
    if rules:
        properties["BucketEncryption"] = {"ServerSideEncryptionConfiguration": rules}


def _fold_lifecycle(bucket: dict[str, Any], r: _Resource) -> None:
    bucket["LifecycleConfiguration"] = {"Rules": [_lifecycle_rule(rule) for rule in _blocks(r.values, "rule")]}


def _fold_encryption(bucket: dict[str, Any], r: _Resource) -> None:
    bucket.pop("BucketEncryption", None)
    _encryption(bucket, r.values)


def _fold_public_access(bucket: dict[str, Any], r: _Resource) -> None:
    bucket["PublicAccessBlockConfiguration"] = {
        cased: r.values.get(written) is True for written, cased in (
            ("block_public_acls", "BlockPublicAcls"), ("block_public_policy", "BlockPublicPolicy"),
            ("ignore_public_acls", "IgnorePublicAcls"), ("restrict_public_buckets", "RestrictPublicBuckets"))}


def _fold_versioning(bucket: dict[str, Any], r: _Resource) -> None:
    status = _first(r.values, "versioning_configuration").get("status")
    if status in ("Enabled", "Suspended"):
        bucket["VersioningConfiguration"] = {"Status": status}
    else:
        bucket.pop("VersioningConfiguration", None)


def _fold_notification(bucket: dict[str, Any], r: _Resource) -> None:
    configuration: dict[str, Any] = {}
    for written, cased, target, target_cased in (
            ("lambda_function", "LambdaConfigurations", "lambda_function_arn", "Function"),
            ("queue", "QueueConfigurations", "queue_arn", "Queue"), ("topic", "TopicConfigurations", "topic_arn",
                                                                      "Topic")):
        entries = []
        for item in _blocks(r.values, written):
            rules = [{"Name": name, "Value": item[key]} for key, name in (("filter_prefix", "prefix"),
                                                                          ("filter_suffix", "suffix"))
                     if _given(item.get(key))]
            for event in _list(item.get("events")):
                entry: dict[str, Any] = {"Event": event, target_cased: item.get(target)}
                if rules:
                    entry["Filter"] = {"S3Key": {"Rules": rules}}
                entries.append(entry)
        _put(configuration, cased, entries)
    if r.values.get("eventbridge") is True:
        configuration["EventBridgeConfiguration"] = {"EventBridgeEnabled": True}
    bucket["NotificationConfiguration"] = configuration


def _replication_filter(scope: Mapping[str, Any]) -> dict[str, Any]:
    both = _first(scope, "and")
    if both:
        return {"And": {**({"Prefix": both["prefix"]} if _given(both.get("prefix")) else {}),
                        "TagFilters": _tag_filters(both.get("tags"))}}
    tag = _first(scope, "tag")
    if tag:
        return {"TagFilter": {"Key": tag.get("key"), "Value": tag.get("value")}}
    return {"Prefix": scope.get("prefix") or ""}


def _replication_destination(destination: Mapping[str, Any], key: Any, account: Any) -> dict[str, Any]:
    written = _cased(destination, {"bucket": "Bucket", "storage_class": "StorageClass"})
    _put(written, "Account", account)
    if _given(key):
        written["EncryptionConfiguration"] = {"ReplicaKmsKeyID": key}
    owner = _first(destination, "access_control_translation").get("owner")
    if _given(owner):
        written["AccessControlTranslation"] = {"Owner": owner}
    return written


def _fold_replication(bucket: dict[str, Any], r: _Resource) -> None:
    rules = []
    for rule in _blocks(r.values, "rule"):
        written = _cased(rule, {"id": "Id", "priority": "Priority", "status": "Status"})
        scope = _first(rule, "filter")
        if scope or "prefix" not in rule:
            written["Filter"] = _replication_filter(scope)
        else:
            _put(written, "Prefix", rule.get("prefix"))
        destination = _first(rule, "destination")
        written["Destination"] = _replication_destination(
            destination, _first(destination, "encryption_configuration").get("replica_kms_key_id"),
            destination.get("account"))
        marker = _first(rule, "delete_marker_replication").get("status")
        _put(written, "DeleteMarkerReplication", {"Status": marker} if _given(marker) else None)
        kms = _first(_first(rule, "source_selection_criteria"), "sse_kms_encrypted_objects").get("status")
        if _given(kms):
            written["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": kms}}
        rules.append(written)
    bucket["ReplicationConfiguration"] = {"Role": r.values.get("role"), "Rules": rules}


def _legacy_replication_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    written = _cased(rule, {"id": "Id", "priority": "Priority", "status": "Status"})
    scope = _first(rule, "filter")
    if scope:
        tags = _tag_filters(scope.get("tags"))
        written["Filter"] = {"And": {"Prefix": scope.get("prefix") or "", "TagFilters": tags}} if tags else {
            "Prefix": scope.get("prefix") or ""}
    else:
        _put(written, "Prefix", rule.get("prefix"))
    destination = _first(rule, "destination")
    written["Destination"] = _replication_destination(destination, destination.get("replica_kms_key_id"),
                                                      destination.get("account_id"))
    if _first(_first(rule, "source_selection_criteria"), "sse_kms_encrypted_objects").get("enabled") is True:
        written["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    return written


# --- Step Functions, EventBridge -----------------------------------------------------------------------------------


def _state_machine(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "StateMachineName", "role_arn": "RoleArn", "type": "StateMachineType"})
    definition = v.get("definition")
    if isinstance(definition, str) and not isinstance(definition, Computed):
        properties["DefinitionString"] = definition
    logging = _first(v, "logging_configuration")
    if logging:
        written = _cased(logging, {"level": "Level", "include_execution_data": "IncludeExecutionData"})
        if _given(logging.get("log_destination")):
            written["Destinations"] = [{"CloudWatchLogsLogGroup": {"LogGroupArn": logging["log_destination"]}}]
        properties["LoggingConfiguration"] = written
    tracing = _first(v, "tracing_configuration")
    if tracing.get("enabled") is not None:
        properties["TracingConfiguration"] = {"Enabled": tracing["enabled"]}
    encryption = _first(v, "encryption_configuration")
    if encryption:
        properties["EncryptionConfiguration"] = _cased(encryption, {
            "type": "Type", "kms_key_id": "KmsKeyId",
            "kms_data_key_reuse_period_seconds": "KmsDataKeyReusePeriodSeconds"})
    _put(properties, "Tags", _tag_list(v))
    return properties


def _event_bus(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "Name", "description": "Description", "kms_key_identifier": "KmsKeyIdentifier",
                            "event_source_name": "EventSourceName"})
    letter = _first(v, "dead_letter_config").get("arn")
    _put(properties, "DeadLetterConfig", {"Arn": letter} if _given(letter) else None)
    _put(properties, "Tags", _tag_list(v))
    return properties


def _event_bus_policy(r: _Resource) -> dict[str, Any]:
    properties = _cased(r.values, {"event_bus_name": "EventBusName"})
    _put(properties, "Statement", _json(r.values.get("policy")))
    return properties


def _event_rule(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "Name", "description": "Description", "schedule_expression": "ScheduleExpression",
                            "role_arn": "RoleArn"})
    if _given(v.get("event_bus_name")) and v["event_bus_name"] != "default":
        properties["EventBusName"] = v["event_bus_name"]
    pattern = v.get("event_pattern")
    _put(properties, "EventPattern", _json(pattern))
    state = v.get("state")
    if isinstance(state, str) and state:
        properties["State"] = state
    elif v.get("is_enabled") is False:
        properties["State"] = "DISABLED"
    _put(properties, "Tags", _tag_list(v))
    return properties


def _fold_target(rule: dict[str, Any], r: _Resource) -> None:
    v = r.values
    target = _cased(v, {"target_id": "Id", "arn": "Arn", "role_arn": "RoleArn", "input": "Input",
                        "input_path": "InputPath"})
    transformer = _first(v, "input_transformer")
    if transformer:
        target["InputTransformer"] = _cased(transformer, {"input_paths": "InputPathsMap",
                                                          "input_template": "InputTemplate"})
    letter = _first(v, "dead_letter_config").get("arn")
    _put(target, "DeadLetterConfig", {"Arn": letter} if _given(letter) else None)
    _put(target, "RetryPolicy", _cased(_first(v, "retry_policy"), {
        "maximum_event_age_in_seconds": "MaximumEventAgeInSeconds", "maximum_retry_attempts": "MaximumRetryAttempts"}))
    _put(target, "SqsParameters", _cased(_first(v, "sqs_target"), {"message_group_id": "MessageGroupId"}))
    _put(target, "KinesisParameters", _cased(_first(v, "kinesis_target"), {"partition_key_path": "PartitionKeyPath"}))
    _put(target, "EcsParameters", _cased(_first(v, "ecs_target"), {
        "task_definition_arn": "TaskDefinitionArn", "task_count": "TaskCount", "launch_type": "LaunchType"}))
    _put(target, "BatchParameters", _cased(_first(v, "batch_target"), {"job_definition": "JobDefinition",
                                                                      "job_name": "JobName"}))
    _put(target, "HttpParameters", _cased(_first(v, "http_target"), {
        "header_parameters": "HeaderParameters", "query_string_parameters": "QueryStringParameters",
        "path_parameter_values": "PathParameterValues"}))
    _put(target, "RedshiftDataParameters", _cased(_first(v, "redshift_target"), {
        "database": "Database", "sql": "Sql", "db_user": "DbUser", "secrets_manager_arn": "SecretManagerArn",
        "statement_name": "StatementName"}))
    target.setdefault("Id", r.address)  # Terraform chooses one at apply
    rule.setdefault("Targets", []).append(target)


# --- Glue, Athena ----------------------------------------------------------------------------------------------------


def _columns(columns: Any) -> list[dict[str, Any]]:
    return [_cased(c, {"name": "Name", "type": "Type", "comment": "Comment", "parameters": "Parameters"})
            for c in _list(columns) if isinstance(c, Mapping)]


def _glue_database(r: _Resource) -> dict[str, Any]:
    v = r.values
    database = _cased(v, {"name": "Name", "description": "Description", "location_uri": "LocationUri",
                          "parameters": "Parameters"})
    target = _first(v, "target_database")
    if target:
        database["TargetDatabase"] = _cased(target, {"catalog_id": "CatalogId", "database_name": "DatabaseName",
                                                     "region": "Region"})
    properties: dict[str, Any] = {"DatabaseInput": database}
    _put(properties, "CatalogId", v.get("catalog_id"))
    return properties


def _athena_database(r: _Resource) -> dict[str, Any]:
    return {"DatabaseInput": _cased(r.values, {"name": "Name", "comment": "Description"})}


def _glue_table(r: _Resource) -> dict[str, Any]:
    v = r.values
    table = _cased(v, {"name": "Name", "description": "Description", "owner": "Owner", "table_type": "TableType",
                       "parameters": "Parameters", "view_original_text": "ViewOriginalText",
                       "view_expanded_text": "ViewExpandedText", "retention": "Retention"})
    _put(table, "PartitionKeys", _columns(v.get("partition_keys")))
    descriptor = _first(v, "storage_descriptor")
    if descriptor:
        written = _cased(descriptor, {
            "location": "Location", "input_format": "InputFormat", "output_format": "OutputFormat",
            "compressed": "Compressed", "number_of_buckets": "NumberOfBuckets", "parameters": "Parameters",
            "bucket_columns": "BucketColumns", "stored_as_sub_directories": "StoredAsSubDirectories"})
        _put(written, "Columns", _columns(descriptor.get("columns")))
        serde = _first(descriptor, "ser_de_info")
        if serde:
            written["SerdeInfo"] = _cased(serde, {"name": "Name", "serialization_library": "SerializationLibrary",
                                                  "parameters": "Parameters"})
        _put(written, "SortColumns", [_cased(c, {"column": "Column", "sort_order": "SortOrder"})
                                      for c in _blocks(descriptor, "sort_columns")])
        table["StorageDescriptor"] = written
    target = _first(v, "target_table")
    if target:
        table["TargetTable"] = _cased(target, {"catalog_id": "CatalogId", "database_name": "DatabaseName",
                                               "name": "Name", "region": "Region"})
    properties: dict[str, Any] = {"TableInput": table}
    _put(properties, "DatabaseName", v.get("database_name"))
    _put(properties, "CatalogId", v.get("catalog_id"))
    return properties


_CRAWLER_TARGETS = {
    "s3_target": ("S3Targets", {"path": "Path", "exclusions": "Exclusions", "connection_name": "ConnectionName",
                                "sample_size": "SampleSize", "event_queue_arn": "EventQueueArn",
                                "dlq_event_queue_arn": "DlqEventQueueArn"}),
    "jdbc_target": ("JdbcTargets", {"connection_name": "ConnectionName", "path": "Path", "exclusions": "Exclusions"}),
    "dynamodb_target": ("DynamoDBTargets", {"path": "Path", "scan_all": "ScanAll", "scan_rate": "ScanRate"}),
    "catalog_target": ("CatalogTargets", {"database_name": "DatabaseName", "tables": "Tables",
                                          "connection_name": "ConnectionName", "event_queue_arn": "EventQueueArn",
                                          "dlq_event_queue_arn": "DlqEventQueueArn"}),
    "delta_target": ("DeltaTargets", {"delta_tables": "DeltaTables", "connection_name": "ConnectionName",
                                      "write_manifest": "WriteManifest",
                                      "create_native_delta_table": "CreateNativeDeltaTable"}),
    "iceberg_target": ("IcebergTargets", {"paths": "Paths", "connection_name": "ConnectionName",
                                          "exclusions": "Exclusions",
                                          "maximum_traversal_depth": "MaximumTraversalDepth"}),
    "hudi_target": ("HudiTargets", {"paths": "Paths", "connection_name": "ConnectionName", "exclusions": "Exclusions",
                                    "maximum_traversal_depth": "MaximumTraversalDepth"}),
    "mongodb_target": ("MongoDBTargets", {"connection_name": "ConnectionName", "path": "Path"}),
}


def _glue_crawler(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "Name", "database_name": "DatabaseName", "role": "Role",
                            "description": "Description", "classifiers": "Classifiers",
                            "configuration": "Configuration", "security_configuration": "CrawlerSecurityConfiguration",
                            "table_prefix": "TablePrefix"})
    targets: dict[str, Any] = {}
    for written, (cased, names) in _CRAWLER_TARGETS.items():
        _put(targets, cased, [_cased(target, names) for target in _blocks(v, written)])
    properties["Targets"] = targets
    _put(properties, "Schedule", {"ScheduleExpression": v["schedule"]} if _given(v.get("schedule")) else None)
    _put(properties, "SchemaChangePolicy", _cased(_first(v, "schema_change_policy"), {
        "update_behavior": "UpdateBehavior", "delete_behavior": "DeleteBehavior"}))
    _put(properties, "RecrawlPolicy", _cased(_first(v, "recrawl_policy"), {"recrawl_behavior": "RecrawlBehavior"}))
    _put(properties, "LakeFormationConfiguration", _cased(_first(v, "lake_formation_configuration"), {
        "use_lake_formation_credentials": "UseLakeFormationCredentials", "account_id": "AccountId"}))
    _put(properties, "Tags", _tag_map(v))
    return properties


def _glue_job(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "Name", "role_arn": "Role", "description": "Description",
                            "default_arguments": "DefaultArguments",
                            "non_overridable_arguments": "NonOverridableArguments", "glue_version": "GlueVersion",
                            "worker_type": "WorkerType", "number_of_workers": "NumberOfWorkers",
                            "max_capacity": "MaxCapacity", "max_retries": "MaxRetries", "timeout": "Timeout",
                            "security_configuration": "SecurityConfiguration", "execution_class": "ExecutionClass",
                            "job_mode": "JobMode"})
    properties["Command"] = _cased(_first(v, "command"), {"name": "Name", "script_location": "ScriptLocation",
                                                          "python_version": "PythonVersion", "runtime": "Runtime"})
    _put(properties, "Connections", {"Connections": v["connections"]} if _given(v.get("connections")) else None)
    _put(properties, "ExecutionProperty", _cased(_first(v, "execution_property"),
                                                 {"max_concurrent_runs": "MaxConcurrentRuns"}))
    _put(properties, "Tags", _tag_map(v))
    return properties


def _glue_trigger(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "Name", "type": "Type", "schedule": "Schedule", "description": "Description",
                            "workflow_name": "WorkflowName"})
    properties["Actions"] = [_cased(a, {"job_name": "JobName", "crawler_name": "CrawlerName",
                                        "arguments": "Arguments", "timeout": "Timeout",
                                        "security_configuration": "SecurityConfiguration"})
                             for a in _blocks(v, "actions")]
    predicate = _first(v, "predicate")
    if predicate:
        properties["Predicate"] = {**_cased(predicate, {"logical": "Logical"}), "Conditions": [
            _cased(c, {"job_name": "JobName", "state": "State", "crawler_name": "CrawlerName",
                       "crawl_state": "CrawlState", "logical_operator": "LogicalOperator"})
            for c in _blocks(predicate, "conditions")]}
    # Terraform starts a scheduled or conditional trigger once made unless `enabled = false`.
    properties["StartOnCreation"] = v.get("enabled") is not False or v.get("start_on_creation") is True
    if v.get("type") == "ON_DEMAND":
        properties["StartOnCreation"] = False
    _put(properties, "Tags", _tag_map(v))
    return properties


def _glue_workflow(r: _Resource) -> dict[str, Any]:
    return _cased(r.values, {"name": "Name", "description": "Description",
                             "default_run_properties": "DefaultRunProperties"})


def _glue_security_configuration(r: _Resource) -> dict[str, Any]:
    written = _first(r.values, "encryption_configuration")
    configuration: dict[str, Any] = {}
    for key, cased, mode in (("cloudwatch_encryption", "CloudWatchEncryption", "CloudWatchEncryptionMode"),
                             ("job_bookmarks_encryption", "JobBookmarksEncryption", "JobBookmarksEncryptionMode")):
        _put(configuration, cased, _cased(_first(written, key), {f"{key}_mode": mode, "kms_key_arn": "KmsKeyArn"}))
    _put(configuration, "S3Encryptions", [_cased(e, {"s3_encryption_mode": "S3EncryptionMode",
                                                     "kms_key_arn": "KmsKeyArn"})
                                          for e in _blocks(written, "s3_encryption")])
    return {**_cased(r.values, {"name": "Name"}), "EncryptionConfiguration": configuration}


def _glue_catalog_encryption(r: _Resource) -> dict[str, Any]:
    settings = _first(r.values, "data_catalog_encryption_settings")
    at_rest = _cased(_first(settings, "encryption_at_rest"), {
        "catalog_encryption_mode": "CatalogEncryptionMode", "sse_aws_kms_key_id": "SseAwsKmsKeyId",
        "catalog_encryption_service_role": "CatalogEncryptionServiceRole"})
    passwords = _cased(_first(settings, "connection_password_encryption"), {
        "return_connection_password_encrypted": "ReturnConnectionPasswordEncrypted", "aws_kms_key_id": "KmsKeyId"})
    properties = _cased(r.values, {"catalog_id": "CatalogId"})
    properties["DataCatalogEncryptionSettings"] = {"EncryptionAtRest": at_rest,
                                                   "ConnectionPasswordEncryption": passwords}
    return properties


def _athena_workgroup(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "Name", "description": "Description", "state": "State"})
    written = _first(v, "configuration")
    configuration = _cased(written, {
        "enforce_workgroup_configuration": "EnforceWorkGroupConfiguration",
        "publish_cloudwatch_metrics_enabled": "PublishCloudWatchMetricsEnabled",
        "bytes_scanned_cutoff_per_query": "BytesScannedCutoffPerQuery",
        "requester_pays_enabled": "RequesterPaysEnabled", "execution_role": "ExecutionRole"})
    engine = _first(written, "engine_version").get("selected_engine_version")
    _put(configuration, "EngineVersion", {"SelectedEngineVersion": engine} if _given(engine) else None)
    results = _first(written, "result_configuration")
    if results:
        result = _cased(results, {"output_location": "OutputLocation", "expected_bucket_owner": "ExpectedBucketOwner"})
        _put(result, "EncryptionConfiguration", _cased(_first(results, "encryption_configuration"), {
            "encryption_option": "EncryptionOption", "kms_key_arn": "KmsKey"}))
        acl = _first(results, "acl_configuration").get("s3_acl_option")
        _put(result, "AclConfiguration", {"S3AclOption": acl} if _given(acl) else None)
        configuration["ResultConfiguration"] = result
    _put(properties, "WorkGroupConfiguration", configuration)
    _put(properties, "Tags", _tag_list(v))
    return properties


def _athena_named_query(r: _Resource) -> dict[str, Any]:
    return _cased(r.values, {"name": "Name", "workgroup": "WorkGroup", "database": "Database",
                             "query": "QueryString", "description": "Description"})


def _athena_prepared_statement(r: _Resource) -> dict[str, Any]:
    return _cased(r.values, {"name": "StatementName", "workgroup": "WorkGroup",
                             "query_statement": "QueryStatement", "description": "Description"})


# --- queues, topics, functions, tables, logs, streams, keys --------------------------------------------------------


def _sqs_queue(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "QueueName", "kms_master_key_id": "KmsMasterKeyId",
                            "deduplication_scope": "DeduplicationScope",
                            "fifo_throughput_limit": "FifoThroughputLimit"})
    # The provider writes SQS's defaults into every plan; those the configuration leaves to them are AWS's defaults.
    for written, cased in (("visibility_timeout_seconds", "VisibilityTimeout"), ("delay_seconds", "DelaySeconds"),
                           ("receive_wait_time_seconds", "ReceiveMessageWaitTimeSeconds"),
                           ("max_message_size", "MaximumMessageSize"),
                           ("message_retention_seconds", "MessageRetentionPeriod"),
                           ("kms_data_key_reuse_period_seconds", "KmsDataKeyReusePeriodSeconds"),
                           ("sqs_managed_sse_enabled", "SqsManagedSseEnabled")):
        if r.set(written):
            _put(properties, cased, v.get(written))
    if v.get("fifo_queue") is True:
        properties["FifoQueue"] = True
        properties["ContentBasedDeduplication"] = v.get("content_based_deduplication") is True
    for written, cased in (("redrive_policy", "RedrivePolicy"), ("redrive_allow_policy", "RedriveAllowPolicy")):
        _put(properties, cased, _json(v.get(written)))
    _put(properties, "Tags", _tag_list(v))
    return properties


def _sqs_queue_policy(r: _Resource) -> dict[str, Any]:
    properties: dict[str, Any] = {"Queues": [r.values.get("queue_url")]}
    _put(properties, "PolicyDocument", _json(r.values.get("policy")))
    return properties


def _sns_topic(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "TopicName", "display_name": "DisplayName",
                            "kms_master_key_id": "KmsMasterKeyId"})
    if v.get("fifo_topic") is True:
        properties["FifoTopic"] = True
        properties["ContentBasedDeduplication"] = v.get("content_based_deduplication") is True
    _put(properties, "ArchivePolicy", _json(v.get("archive_policy")))
    _put(properties, "Tags", _tag_list(v))
    return properties


def _sns_subscription(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"topic_arn": "TopicArn", "protocol": "Protocol", "endpoint": "Endpoint",
                            "raw_message_delivery": "RawMessageDelivery", "filter_policy_scope": "FilterPolicyScope",
                            "subscription_role_arn": "SubscriptionRoleArn"})
    for written, cased in (("filter_policy", "FilterPolicy"), ("redrive_policy", "RedrivePolicy"),
                           ("delivery_policy", "DeliveryPolicy"), ("replay_policy", "ReplayPolicy")):
        _put(properties, cased, _json(v.get(written)))
    return properties


def _sns_topic_policy(r: _Resource) -> dict[str, Any]:
    properties: dict[str, Any] = {"Topics": [r.values.get("arn")]}
    _put(properties, "PolicyDocument", _json(r.values.get("policy")))
    return properties


def _lambda_function(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"function_name": "FunctionName", "role": "Role", "handler": "Handler",
                            "runtime": "Runtime", "timeout": "Timeout", "memory_size": "MemorySize",
                            "architectures": "Architectures", "package_type": "PackageType",
                            "kms_key_arn": "KmsKeyArn", "description": "Description"})
    _put(properties, "Code", {"ImageUri": v["image_uri"]} if _given(v.get("image_uri")) else None)
    variables = _first(v, "environment").get("variables")
    _put(properties, "Environment", {"Variables": dict(variables)} if isinstance(variables, Mapping) and variables
         else None)
    vpc = _first(v, "vpc_config")
    if _given(vpc.get("subnet_ids")):
        properties["VpcConfig"] = _cased(vpc, {"subnet_ids": "SubnetIds", "security_group_ids": "SecurityGroupIds"})
    letter = _first(v, "dead_letter_config").get("target_arn")
    _put(properties, "DeadLetterConfig", {"TargetArn": letter} if _given(letter) else None)
    logging = _first(v, "logging_config")
    if logging and (r.set("logging_config") or _given(logging.get("log_group"))):
        properties["LoggingConfig"] = _cased(logging, {"log_format": "LogFormat", "log_group": "LogGroup"})
    mode = _first(v, "tracing_config").get("mode")
    _put(properties, "TracingConfig", {"Mode": mode} if _given(mode) else None)
    _put(properties, "Tags", _tag_list(v))
    return properties


def _event_source_mapping(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"function_name": "FunctionName", "event_source_arn": "EventSourceArn",
                            "batch_size": "BatchSize", "starting_position": "StartingPosition",
                            "maximum_batching_window_in_seconds": "MaximumBatchingWindowInSeconds",
                            "enabled": "Enabled"})
    filters = [_cased(f, {"pattern": "Pattern"}) for c in _blocks(v, "filter_criteria") for f in _blocks(c, "filter")]
    _put(properties, "FilterCriteria", {"Filters": filters} if filters else None)
    failure = _first(_first(v, "destination_config"), "on_failure").get("destination_arn")
    _put(properties, "DestinationConfig", {"OnFailure": {"Destination": failure}} if _given(failure) else None)
    return properties


def _invoke_config(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"function_name": "FunctionName", "qualifier": "Qualifier",
                            "maximum_retry_attempts": "MaximumRetryAttempts",
                            "maximum_event_age_in_seconds": "MaximumEventAgeInSeconds"})
    destinations = _first(v, "destination_config")
    written = {cased: {"Destination": _first(destinations, key).get("destination")}
               for key, cased in (("on_success", "OnSuccess"), ("on_failure", "OnFailure"))
               if _given(_first(destinations, key).get("destination"))}
    _put(properties, "DestinationConfig", written)
    return properties


def _function_url(r: _Resource) -> dict[str, Any]:
    return _cased(r.values, {"function_name": "TargetFunctionArn", "qualifier": "Qualifier",
                             "authorization_type": "AuthType", "invoke_mode": "InvokeMode"})


def _dynamodb_table(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "TableName", "billing_mode": "BillingMode"})
    keys = [{"AttributeName": v[key], "KeyType": kind} for key, kind in (("hash_key", "HASH"), ("range_key", "RANGE"))
            if _given(v.get(key))]
    _put(properties, "KeySchema", keys)
    _put(properties, "AttributeDefinitions", [_cased(a, {"name": "AttributeName", "type": "AttributeType"})
                                              for a in _blocks(v, "attribute")])
    if v.get("stream_enabled") is True:
        properties["StreamSpecification"] = {"StreamViewType": v.get("stream_view_type")}
    encryption = _first(v, "server_side_encryption")
    if encryption.get("enabled") is True:
        properties["SSESpecification"] = {"SSEEnabled": True, "SSEType": "KMS", **_cased(encryption, {
            "kms_key_arn": "KMSMasterKeyId"})}
    recovery = _first(v, "point_in_time_recovery")
    if recovery.get("enabled") is True or (recovery and r.set("point_in_time_recovery")):
        properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": recovery.get("enabled")
                                                          is True}
    ttl = _first(v, "ttl")
    if ttl.get("enabled") is True or (ttl and r.set("ttl")):
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl.get("attribute_name") or "",
                                                 "Enabled": ttl.get("enabled") is True}
    if v.get("deletion_protection_enabled") is True or r.set("deletion_protection_enabled"):
        _put(properties, "DeletionProtectionEnabled", v.get("deletion_protection_enabled"))
    _put(properties, "Tags", _tag_list(v))
    return properties


def _log_group(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "LogGroupName", "kms_key_id": "KmsKeyId"})
    _put(properties, "RetentionInDays", _number(v.get("retention_in_days")))
    if r.set("log_group_class"):
        _put(properties, "LogGroupClass", v.get("log_group_class"))
    _put(properties, "Tags", _tag_list(v))
    return properties


def _subscription_filter(r: _Resource) -> dict[str, Any]:
    return _cased(r.values, {"name": "FilterName", "log_group_name": "LogGroupName", "filter_pattern": "FilterPattern",
                             "destination_arn": "DestinationArn", "distribution": "Distribution",
                             "role_arn": "RoleArn"})


def _kinesis_stream(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "Name"})
    mode = _first(v, "stream_mode_details").get("stream_mode")
    if _given(mode) and (r.set("stream_mode_details") or mode != "PROVISIONED"):
        properties["StreamModeDetails"] = {"StreamMode": mode}
    if mode != "ON_DEMAND":
        _put(properties, "ShardCount", _number(v.get("shard_count")))
    if r.set("retention_period"):
        _put(properties, "RetentionPeriodHours", _number(v.get("retention_period")))
    if v.get("encryption_type") == "KMS":
        properties["StreamEncryption"] = {"EncryptionType": "KMS", "KeyId": v.get("kms_key_id")}
    _put(properties, "DesiredShardLevelMetrics", v.get("shard_level_metrics"))
    _put(properties, "Tags", _tag_list(v))
    return properties


def _stream_consumer(r: _Resource) -> dict[str, Any]:
    return _cased(r.values, {"name": "ConsumerName", "stream_arn": "StreamARN"})


def _s3_destination(c: Mapping[str, Any]) -> dict[str, Any]:
    written = _cased(c, {"role_arn": "RoleARN", "bucket_arn": "BucketARN", "prefix": "Prefix",
                         "error_output_prefix": "ErrorOutputPrefix", "compression_format": "CompressionFormat",
                         "s3_backup_mode": "S3BackupMode", "custom_time_zone": "CustomTimeZone",
                         "file_extension": "FileExtension"})
    size = c.get("buffering_size", c.get("buffer_size"))  # named `buffer_*` before provider v5
    interval = c.get("buffering_interval", c.get("buffer_interval"))
    hints = {**({"SizeInMBs": size} if _given(size) else {}),
             **({"IntervalInSeconds": interval} if _given(interval) else {})}
    _put(written, "BufferingHints", hints)
    if _given(c.get("kms_key_arn")):
        written["EncryptionConfiguration"] = {"KMSEncryptionConfig": {"AWSKMSKeyARN": c["kms_key_arn"]}}
    logging = _first(c, "cloudwatch_logging_options")
    _put(written, "CloudWatchLoggingOptions", _cased(logging, {"enabled": "Enabled", "log_group_name": "LogGroupName",
                                                               "log_stream_name": "LogStreamName"}))
    processing = _first(c, "processing_configuration")
    if processing:
        written["ProcessingConfiguration"] = {"Enabled": processing.get("enabled") is True, "Processors": [
            {"Type": p.get("type"), "Parameters": [_cased(q, {"parameter_name": "ParameterName",
                                                              "parameter_value": "ParameterValue"})
                                                   for q in _blocks(p, "parameters")]}
            for p in _blocks(processing, "processors")]}
    conversion = _first(c, "data_format_conversion_configuration")
    if conversion:
        schema = _cased(_first(conversion, "schema_configuration"), {
            "database_name": "DatabaseName", "table_name": "TableName", "role_arn": "RoleARN",
            "catalog_id": "CatalogId", "region": "Region", "version_id": "VersionId"})
        written["DataFormatConversionConfiguration"] = {"Enabled": conversion.get("enabled") is not False,
                                                        "SchemaConfiguration": schema}
    partitioning = _first(c, "dynamic_partitioning_configuration")
    if partitioning:
        written["DynamicPartitioningConfiguration"] = {"Enabled": partitioning.get("enabled") is True}
    backup = _first(c, "s3_backup_configuration")
    if backup:
        written["S3BackupConfiguration"] = _s3_destination(backup)
    return written


_FIREHOSE_DESTINATIONS: dict[str, tuple[str, str, dict[str, str]]] = {
    "redshift": ("redshift_configuration", "Redshift", {"cluster_jdbcurl": "ClusterJDBCURL", "username": "Username",
                                                        "role_arn": "RoleARN", "s3_backup_mode": "S3BackupMode"}),
    "elasticsearch": ("elasticsearch_configuration", "Elasticsearch", {
        "domain_arn": "DomainARN", "cluster_endpoint": "ClusterEndpoint", "index_name": "IndexName",
        "role_arn": "RoleARN", "s3_backup_mode": "S3BackupMode"}),
    "opensearch": ("opensearch_configuration", "Amazonopensearchservice", {
        "domain_arn": "DomainARN", "cluster_endpoint": "ClusterEndpoint", "index_name": "IndexName",
        "role_arn": "RoleARN", "s3_backup_mode": "S3BackupMode"}),
    "opensearchserverless": ("opensearchserverless_configuration", "AmazonOpenSearchServerless", {
        "collection_endpoint": "CollectionEndpoint", "index_name": "IndexName", "role_arn": "RoleARN",
        "s3_backup_mode": "S3BackupMode"}),
    "splunk": ("splunk_configuration", "Splunk", {"hec_endpoint": "HECEndpoint",
                                                  "hec_endpoint_type": "HECEndpointType",
                                                  "s3_backup_mode": "S3BackupMode"}),
    "http_endpoint": ("http_endpoint_configuration", "HttpEndpoint", {"role_arn": "RoleARN",
                                                                      "s3_backup_mode": "S3BackupMode"}),
    "snowflake": ("snowflake_configuration", "Snowflake", {"account_url": "AccountUrl", "database": "Database",
                                                           "schema": "Schema", "table": "Table",
                                                           "role_arn": "RoleARN", "s3_backup_mode": "S3BackupMode"}),
    "iceberg": ("iceberg_configuration", "Iceberg", {"role_arn": "RoleARN", "s3_backup_mode": "S3BackupMode"}),
}


def _firehose(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "DeliveryStreamName"})
    kinesis = _first(v, "kinesis_source_configuration")
    msk = _first(v, "msk_source_configuration")
    if kinesis:
        properties["DeliveryStreamType"] = "KinesisStreamAsSource"
        properties["KinesisStreamSourceConfiguration"] = _cased(kinesis, {"kinesis_stream_arn": "KinesisStreamARN",
                                                                          "role_arn": "RoleARN"})
    elif msk:
        properties["DeliveryStreamType"] = "MSKAsSource"
        properties["MSKSourceConfiguration"] = _cased(msk, {"msk_cluster_arn": "MSKClusterARN",
                                                            "topic_name": "TopicName"})
    encryption = _first(v, "server_side_encryption")
    if encryption.get("enabled") is True:
        properties["DeliveryStreamEncryptionConfigurationInput"] = {
            "KeyType": encryption.get("key_type") or "AWS_OWNED_CMK",
            **_cased(encryption, {"key_arn": "KeyARN"})}
    destination = v.get("destination")
    if destination in ("extended_s3", "s3"):
        configuration = _first(v, f"{destination}_configuration")
        kind = "ExtendedS3" if destination == "extended_s3" else "S3"
        properties[f"{kind}DestinationConfiguration"] = _s3_destination(configuration)
    elif destination in _FIREHOSE_DESTINATIONS:
        block, kind, names = _FIREHOSE_DESTINATIONS[destination]
        configuration = _first(v, block)
        written = _cased(configuration, names)
        backup = _first(configuration, "s3_configuration") or _first(v, "s3_configuration")
        _put(written, "S3Configuration", _s3_destination(backup) if backup else None)
        if destination == "redshift":
            written["CopyCommand"] = _cased(configuration, {"data_table_name": "DataTableName",
                                                            "copy_options": "CopyOptions",
                                                            "data_table_columns": "DataTableColumns"})
        elif destination == "http_endpoint":
            written["EndpointConfiguration"] = _cased(configuration, {"url": "Url", "name": "Name"})
        elif destination == "iceberg":
            written["CatalogConfiguration"] = _cased(configuration, {"catalog_arn": "CatalogArn"})
            written["DestinationTableConfigurationList"] = [
                _cased(t, {"database_name": "DestinationDatabaseName", "table_name": "DestinationTableName"})
                for t in _blocks(configuration, "destination_table_configuration")]
        properties[f"{kind}DestinationConfiguration"] = written
    _put(properties, "Tags", _tag_list(v))
    return properties


def _kms_key(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"description": "Description", "multi_region": "MultiRegion",
                            "rotation_period_in_days": "RotationPeriodInDays"})
    for written, cased, default in (("key_usage", "KeyUsage", "ENCRYPT_DECRYPT"),
                                    ("customer_master_key_spec", "KeySpec", "SYMMETRIC_DEFAULT")):
        if r.set(written) or v.get(written) != default:
            _put(properties, cased, v.get(written))
    if r.set("enable_key_rotation") or v.get("enable_key_rotation") is True:
        _put(properties, "EnableKeyRotation", v.get("enable_key_rotation"))
    if v.get("is_enabled") is False:
        properties["Enabled"] = False
    _put(properties, "KeyPolicy", _json(v.get("policy")))
    _put(properties, "Tags", _tag_list(v))
    return properties


def _kms_alias(r: _Resource) -> dict[str, Any]:
    return _cased(r.values, {"name": "AliasName", "target_key_id": "TargetKeyId"})


def _iam_role(r: _Resource) -> dict[str, Any]:
    v = r.values
    properties = _cased(v, {"name": "RoleName", "path": "Path", "description": "Description"})
    _put(properties, "AssumeRolePolicyDocument", _json(v.get("assume_role_policy")))
    _put(properties, "Tags", _tag_list(v))
    return properties


Translate = Callable[[_Resource], dict[str, Any]]
_TRANSLATIONS: dict[str, tuple[str, Translate]] = {
    "aws_s3_bucket": ("AWS::S3::Bucket", _bucket),
    "aws_sfn_state_machine": ("AWS::StepFunctions::StateMachine", _state_machine),
    "aws_cloudwatch_event_bus": ("AWS::Events::EventBus", _event_bus),
    "aws_cloudwatch_event_bus_policy": ("AWS::Events::EventBusPolicy", _event_bus_policy),
    "aws_cloudwatch_event_rule": ("AWS::Events::Rule", _event_rule),
    "aws_glue_catalog_database": ("AWS::Glue::Database", _glue_database),
    "aws_athena_database": ("AWS::Glue::Database", _athena_database),
    "aws_glue_catalog_table": ("AWS::Glue::Table", _glue_table),
    "aws_glue_crawler": ("AWS::Glue::Crawler", _glue_crawler),
    "aws_glue_job": ("AWS::Glue::Job", _glue_job),
    "aws_glue_trigger": ("AWS::Glue::Trigger", _glue_trigger),
    "aws_glue_workflow": ("AWS::Glue::Workflow", _glue_workflow),
    "aws_glue_security_configuration": ("AWS::Glue::SecurityConfiguration", _glue_security_configuration),
    "aws_glue_data_catalog_encryption_settings": ("AWS::Glue::DataCatalogEncryptionSettings",
                                                  _glue_catalog_encryption),
    "aws_athena_workgroup": ("AWS::Athena::WorkGroup", _athena_workgroup),
    "aws_athena_named_query": ("AWS::Athena::NamedQuery", _athena_named_query),
    "aws_athena_prepared_statement": ("AWS::Athena::PreparedStatement", _athena_prepared_statement),
    "aws_sqs_queue": ("AWS::SQS::Queue", _sqs_queue),
    "aws_sqs_queue_policy": ("AWS::SQS::QueuePolicy", _sqs_queue_policy),
    "aws_sns_topic": ("AWS::SNS::Topic", _sns_topic),
    "aws_sns_topic_subscription": ("AWS::SNS::Subscription", _sns_subscription),
    "aws_sns_topic_policy": ("AWS::SNS::TopicPolicy", _sns_topic_policy),
    "aws_lambda_function": ("AWS::Lambda::Function", _lambda_function),
    "aws_lambda_event_source_mapping": ("AWS::Lambda::EventSourceMapping", _event_source_mapping),
    "aws_lambda_function_event_invoke_config": ("AWS::Lambda::EventInvokeConfig", _invoke_config),
    "aws_lambda_function_url": ("AWS::Lambda::Url", _function_url),
    "aws_dynamodb_table": ("AWS::DynamoDB::Table", _dynamodb_table),
    "aws_cloudwatch_log_group": ("AWS::Logs::LogGroup", _log_group),
    "aws_cloudwatch_log_subscription_filter": ("AWS::Logs::SubscriptionFilter", _subscription_filter),
    "aws_kinesis_stream": ("AWS::Kinesis::Stream", _kinesis_stream),
    "aws_kinesis_stream_consumer": ("AWS::Kinesis::StreamConsumer", _stream_consumer),
    "aws_kinesis_firehose_delivery_stream": ("AWS::KinesisFirehose::DeliveryStream", _firehose),
    "aws_kms_key": ("AWS::KMS::Key", _kms_key),
    "aws_kms_alias": ("AWS::KMS::Alias", _kms_alias),
    "aws_iam_role": ("AWS::IAM::Role", _iam_role),
}
Fold = Callable[[dict[str, Any], _Resource], None]
# Resources that configure another: (the type they configure, the attribute naming it, how they fold into it).
_FOLDS: dict[str, tuple[str, str, Fold]] = {
    "aws_s3_bucket_lifecycle_configuration": ("aws_s3_bucket", "bucket", _fold_lifecycle),
    "aws_s3_bucket_server_side_encryption_configuration": ("aws_s3_bucket", "bucket", _fold_encryption),
    "aws_s3_bucket_public_access_block": ("aws_s3_bucket", "bucket", _fold_public_access),
    "aws_s3_bucket_versioning": ("aws_s3_bucket", "bucket", _fold_versioning),
    "aws_s3_bucket_notification": ("aws_s3_bucket", "bucket", _fold_notification),
    "aws_s3_bucket_replication_configuration": ("aws_s3_bucket", "bucket", _fold_replication),
    "aws_s3_bucket_policy": ("aws_s3_bucket", "bucket", lambda bucket, r: None),  # a resource of its own; see above
    "aws_cloudwatch_event_target": ("aws_cloudwatch_event_rule", "rule", _fold_target),
}


# --- kinds of the types no reader knows -------------------------------------------------------------------------

# `aws_<prefix>…` → the service CloudFormation names (so a kind reads as `kind_of_unknown` makes it of a template).
_SERVICE_PREFIXES = (("api_gateway_", "apigateway"), ("apigatewayv2_", "apigatewayv2"), ("cloudwatch_event_", "events"),
                     ("cloudwatch_log_", "logs"), ("kinesis_firehose_", "firehose"), ("sfn_", "states"),
                     ("db_", "rds"), ("lb_", "elasticloadbalancingv2"), ("alb_", "elasticloadbalancingv2"),
                     ("msk_", "msk"), ("elasticsearch_", "elasticsearch"), ("opensearch_", "opensearchservice"),
                     ("cloudwatch_", "cloudwatch"), ("ec2_", "ec2"))
_EC2_PREFIXES = ("vpc_", "ebs_", "default_", "network_", "nat_", "egress_only_", "customer_gateway", "vpn_",
                 "placement_group", "spot_")  # EC2's own types, named without `ec2_`
_WHOLE = {"lb": "elasticloadbalancingv2.load_balancer", "alb": "elasticloadbalancingv2.load_balancer",
          "vpc": "ec2.vpc", "subnet": "ec2.subnet", "instance": "ec2.instance", "security_group": "ec2.security_group",
          "security_group_rule": "ec2.security_group_ingress", "eip": "ec2.eip", "nat_gateway": "ec2.nat_gateway",
          "internet_gateway": "ec2.internet_gateway", "route_table": "ec2.route_table", "route": "ec2.route",
          "route_table_association": "ec2.subnet_route_table_association", "network_interface":
          "ec2.network_interface", "launch_template": "ec2.launch_template", "key_pair": "ec2.key_pair",
          "network_acl": "ec2.network_acl", "flow_log": "ec2.flow_log", "cloudwatch_metric_alarm": "cloudwatch.alarm",
          "cloudtrail": "cloudtrail.trail", "ami": "ec2.image"}


def terraform_kind(resource_type: str) -> str:
    """The node kind of a Terraform type no reader knows: `aws_<service>_<thing>` → `<service>.<thing>`, named as
    CloudFormation's type would give it (`aws_vpc` → `ec2.vpc`, `aws_sfn_activity` → `states.activity`, `aws_ecs_
    cluster` → `ecs.cluster`); another provider's type → `terraform.<type>`, since no AWS service names it."""
    if not resource_type.startswith("aws_"):
        return f"terraform.{resource_type}"
    rest = resource_type.removeprefix("aws_")
    if rest in _WHOLE:
        return _WHOLE[rest]
    if rest.startswith(_EC2_PREFIXES):
        return f"ec2.{rest}"
    for prefix, service in _SERVICE_PREFIXES:
        if rest.startswith(prefix) and len(rest) > len(prefix):
            return f"{service}.{rest.removeprefix(prefix)}"
    service, _, thing = rest.partition("_")
    return f"{service}.{thing or service}"
