"""Strategies for what a scan can meet: node ids of every shape, nodes, edges, batches of facts.

Values are drawn from small pools most of the time, so that ids collide (one id read by two collectors,
an edge landing on a node that was read), and from the odd corners the rest of the time: empty and
whitespace names, 2,000-character names, NUL characters, lone surrogates, markup, unicode, ids of
other partitions, `dynamic:` ids, and attributes of types the model never promised.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import os
from typing import Any

from hypothesis import strategies as st

from collectors import COLLECTORS
from lineage.arn import _KIND_BY_ARN, kind_for_arn
from lineage.intake import clean_text
from lineage.model import STAGE_BY_KIND, CoverageGap, Edge, EdgeKind, Evidence, Facts, Node, Stage

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "fast")
THOROUGH = PROFILE == "thorough"


def examples(fast: int) -> int:
    """How many examples a property gets: `fast` keeps the folder within a minute on two shared cores;
    the thorough profile looks twenty times harder."""
    return fast * 20 if THOROUGH else fast


# --- text ---------------------------------------------------------------------------------------

MARKUP = "<img src=x onerror=alert(1)></script>"  # must never reach a page unescaped
NUL = "\x00"

_NAMES = ("raw", "curated", "Raw", "events", "a", "b", "data.lake", "people", "my_table", "etl-2024")
_CHUNKS = ("", " ", "\t\n", "é", "数据", "🙂", "/", "//", ":", "#", "*", ".$", "${X}", "{% $x %}", "..", "%2F")

lone_surrogates = st.integers(0xD800, 0xDFFF).map(chr)
long_names = st.builds(lambda text: (text * 2000)[:2000], st.text(min_size=1, max_size=4))


def _with_inside(base: st.SearchStrategy[str], inside: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda text, extra, at: text[:at] + extra + text[at:], base, inside, st.integers(0, 20))


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any], times: int = 6) -> st.SearchStrategy[Any]:
    """`usual` about `times` times as often as `odd`: odd corners matter, but ids must also meet."""
    return st.one_of(*([usual] * times), odd)


plain_names = st.sampled_from(_NAMES)
odd_texts = st.one_of(
    st.sampled_from(("", " ", "   ", "\t", "\n", MARKUP, NUL)),
    st.text(max_size=20),
    st.builds("".join, st.lists(st.sampled_from(_CHUNKS + _NAMES), max_size=4)),
    long_names,
    _with_inside(plain_names, st.just(NUL)),
    _with_inside(plain_names, lone_surrogates),
    _with_inside(plain_names, st.just(MARKUP)),
)
# Names: mostly a small pool so that ids meet, sometimes anything.
names = mostly(plain_names, odd_texts)

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f")
REGIONS = ("us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "ap-southeast-7", "")
ACCOUNTS = ("123456789012", "210987654321", "", "aws")

partitions = mostly(st.sampled_from(PARTITIONS), odd_texts)
regions = mostly(st.sampled_from(REGIONS), odd_texts)
accounts = mostly(st.sampled_from(ACCOUNTS), odd_texts)

# --- node ids -----------------------------------------------------------------------------------

# (service, resource template): every kind the tracker names, and services it does not know.
_RESOURCES: tuple[tuple[str, str], ...] = (
    ("states", "stateMachine:{n}"), ("states", "activity:{n}"), ("states", "execution:{n}:run-1"),
    ("lambda", "function:{n}"), ("lambda", "function:{n}:live"), ("lambda", "function:{n}:7"),
    ("glue", "job/{n}"), ("glue", "crawler/{n}"), ("glue", "table/{n}/{n}"), ("glue", "database/{n}"),
    ("glue", "workflow/{n}"), ("glue", "trigger/{n}"), ("glue", "catalog"),
    ("dynamodb", "table/{n}"), ("dynamodb", "table/{n}/stream/2024"), ("sqs", "{n}"), ("sns", "{n}"),
    ("sns", "{n}:sub-1"), ("events", "event-bus/{n}"), ("events", "rule/{n}"), ("events", "rule/{n}/{n}"),
    ("events", "source/{n}"), ("events", "api-destination/{n}"), ("athena", "workgroup/{n}"),
    ("kinesis", "stream/{n}"), ("firehose", "deliverystream/{n}"), ("ecs", "cluster/{n}"),
    ("ecs", "task-definition/{n}:1"), ("batch", "job-queue/{n}"), ("logs", "log-group:{n}"),
    ("logs", "log-group:/aws/{n}:*"), ("kms", "key/{n}"), ("apigateway", "/restapis/{n}"),
    ("execute-api", "{n}/prod/GET/x"), ("iam", "role/{n}"), ("bedrock", "foundation-model/{n}"),
    ("sagemaker", "endpoint/{n}"), ("quicksight", "dataset/{n}"), ("s3", "{n}"), ("s3", "{n}/{n}"),
)


@st.composite
def service_arns(draw: st.DrawFn) -> str:
    """An ARN of any service, partition, region and account; `s3` here is also an ARN with a region."""
    service, template = draw(st.sampled_from(_RESOURCES))
    if draw(st.integers(0, 9)) == 0:
        service = draw(odd_texts)
    resource = template.replace("{n}", draw(names))
    region = "" if service in ("iam", "s3") and draw(st.booleans()) else draw(regions)
    return f"arn:{draw(partitions)}:{service}:{region}:{draw(accounts)}:{resource}"


_PREFIX_SEGMENTS = ("raw", "rawdata", "events", "2024", "year=2024", "", "x y", "é", "*", "{% $k %}")

prefixes = st.one_of(
    st.builds("/".join, st.lists(st.sampled_from(_PREFIX_SEGMENTS), min_size=1, max_size=4)),
    odd_texts,
)
bucket_names = st.one_of(st.sampled_from(("raw-bucket", "curated-bucket", "b", "data.lake", "logs")), names)


@st.composite
def s3_ids(draw: st.DrawFn) -> str:
    """Canonical `arn:aws:s3:::b` and `arn:aws:s3:::b/p/q`, S3 ARNs of other partitions, odd ones."""
    bucket = draw(bucket_names)
    prefix = draw(st.one_of(st.just(""), prefixes))
    shape = draw(st.sampled_from(("canonical", "canonical", "canonical", "partition", "trailing", "bare")))
    if shape == "partition":
        return f"arn:{draw(st.sampled_from(PARTITIONS))}:s3:::{bucket}" + (f"/{prefix}" if prefix else "")
    if shape == "trailing":
        return f"arn:aws:s3:::{bucket}/{prefix}/"
    if shape == "bare":
        return draw(st.sampled_from(("arn:aws:s3:::", "arn:aws:s3:::/", "arn:aws:s3:::/raw", "arn:aws:s3")))
    return f"arn:aws:s3:::{bucket}/{prefix}" if prefix else f"arn:aws:s3:::{bucket}"


_PATHS = ("States.Load.Parameters.Bucket.$", "States.Fan.Branches[0].States.Put.Arguments.Bucket",
          "States.Map.ItemReader.Parameters.Bucket.$", "", "#", "a#b#c")


@st.composite
def dynamic_ids(draw: st.DrawFn) -> str:
    """`dynamic:<owner>#<path>`, as the ASL parser writes them, and ids that only look like that."""
    owner = draw(st.one_of(service_arns(), s3_ids(), st.just(""), names))
    path = draw(st.one_of(st.sampled_from(_PATHS), names))
    shape = draw(st.sampled_from(("usual", "usual", "usual", "no-hash", "nested")))
    if shape == "no-hash":
        return f"dynamic:{owner}"
    if shape == "nested":
        return f"dynamic:dynamic:{owner}#{path}#{path}"
    return f"dynamic:{owner}#{path}"


tracker_ids = st.one_of(
    st.builds(lambda r, a, s: f"arn:aws:events:{r}:{a}:source/{s}", regions, accounts,
              st.sampled_from(("aws.s3", "com.example.app", "prefix:com.example", "aws.partner/x"))),
    st.sampled_from(("arn:aws:sns:::sms", "https://api.example.com/v1/x", "https://abc.execute-api.us-east-1"
                     ".amazonaws.com/prod")),
)
odd_ids = st.one_of(
    st.sampled_from(("", " ", "\t\n", "arn:", "arn:aws", "arn:::::", "arn:aws:s3", "dynamic:", "#", NUL,
                     "arn:aws:s3:::b\x00", MARKUP)),
    odd_texts,
)
node_ids = st.one_of(service_arns(), service_arns(), s3_ids(), s3_ids(), s3_ids(), dynamic_ids(), tracker_ids, odd_ids)

# --- attributes ---------------------------------------------------------------------------------


class _Colour(enum.Enum):
    RED = "red"


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-(2**70), 2**70),
                         st.floats(allow_nan=False, allow_infinity=False), odd_texts)
json_like = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                              st.dictionaries(names, inner, max_size=4)),
                         max_leaves=12)


def _nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"deeper": value}
    return value


# Values no stage was promised: the intake makes them plain, or says why not.
unpromised = st.one_of(
    st.datetimes(), st.dates(), st.just(dt.timedelta(days=3)), st.frozensets(st.integers(), max_size=3),
    st.sets(st.text(max_size=3), max_size=3), st.binary(max_size=8), st.just(float("nan")),
    st.just(math.inf), st.just(-math.inf), st.just(_Colour.RED), st.just(Stage.STORAGE), st.just(object()),
    st.tuples(st.integers(), st.text(max_size=3)), st.complex_numbers(allow_nan=False, max_magnitude=10),
    st.builds(_nested, st.integers(60, 140), json_scalars),
    st.dictionaries(st.one_of(st.integers(), st.none(), st.tuples(st.integers()), st.booleans(),
                              st.frozensets(st.integers(), max_size=2)), json_scalars, min_size=1, max_size=3),
)
anything = st.one_of(json_like, unpromised)


lifecycle_rule_attributes = st.fixed_dictionaries(
    {"id": names, "enabled": st.booleans(), "prefix": st.one_of(st.just(""), prefixes),
     "tags": st.one_of(st.just({}), st.dictionaries(names, names, max_size=2)),
     "size": st.one_of(st.just({}), st.just({"ObjectSizeGreaterThan": 1024})),
     "expiration_days": st.one_of(st.none(), st.integers(1, 3650)),
     "expiration_date": st.one_of(st.none(), st.just("2030-01-01 00:00:00+00:00")),
     "noncurrent_expiration_days": st.one_of(st.none(), st.integers(1, 365))},
)
encryption_attributes = st.fixed_dictionaries(
    {"algorithm": st.sampled_from((None, "AES256", "aws:kms", "aws:kms:dsse", "", "weird")),
     "kms_key": st.one_of(st.none(), names), "bucket_key": st.booleans()})
policy_attributes = st.fixed_dictionaries(
    {"present": st.booleans(), "tls_only": st.booleans(), "requires_kms": st.booleans(),
     "statements": st.lists(names, max_size=3)},
    optional={"unreadable": st.booleans()})
public_access_attributes = st.one_of(st.none(), st.dictionaries(
    st.sampled_from(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")),
    st.booleans()))
personal_column_attributes = st.lists(st.fixed_dictionaries(
    {"column": names, "category": st.sampled_from(("email", "phone", "name", "", "address"))}), max_size=3)
tag_attributes = st.dictionaries(
    st.one_of(st.sampled_from(("lineage:pii", "lineage:stage", "team")), names),
    st.one_of(st.sampled_from(("true", "yes", "TRUE ", "no", "false", "storage", "usage", "nonsense")), names),
    max_size=3)
matcher_attributes = st.lists(st.fixed_dictionaries(
    {"operator": st.sampled_from(("prefix", "suffix", "wildcard", "equals-ignore-case", "anything-but", "x")),
     "operand": st.one_of(names, st.lists(names, max_size=2), st.dictionaries(
         st.sampled_from(("prefix", "suffix")), names, max_size=1), st.integers())}), max_size=3)

# Attributes the rules, the graph, the view and the diff read, with realistic and odd values.
_REALISTIC: dict[str, st.SearchStrategy[Any]] = {
    "lifecycle_rules": st.lists(lifecycle_rule_attributes, max_size=3),
    "encryption": st.one_of(encryption_attributes,
                            st.fixed_dictionaries({"type": st.sampled_from(("AWS_OWNED_KEY",
                                                                             "CUSTOMER_MANAGED_KMS_KEY"))})),
    "policy": policy_attributes,
    "public_access_block": public_access_attributes,
    "versioning": st.sampled_from(("Enabled", "Suspended", "Disabled")),
    "personal_columns": personal_column_attributes,
    "tags": tag_attributes,
    "warnings": st.lists(names, max_size=4),
    "dynamic": st.booleans(),
    "expression": names,
    "bucket_matchers": matcher_attributes,
    "logging": st.fixed_dictionaries({"level": st.sampled_from(("OFF", "ALL", "ERROR"))}),
    "kms_key": st.one_of(st.none(), names),
    "encryption_at_rest": st.sampled_from(("DISABLED", "SSE-KMS")),
    "result_encryption": st.one_of(st.none(), st.sampled_from(("SSE_S3", "SSE_KMS", "CSE_KMS"))),
    "output_location": st.one_of(st.none(), st.just("s3://results/athena/")),
    "security_configuration": st.one_of(st.none(), names),
    "security_settings": st.one_of(st.none(), st.just({"s3_encryption": "SSE-KMS"})),
    "personal_data": st.fixed_dictionaries({"categories": st.lists(names, max_size=2),
                                            "origins": st.lists(names, max_size=2)}),
    "unread": st.lists(st.sampled_from(("tags", "lifecycle", "policy", "definition")), max_size=2),
    "created": st.one_of(st.just("2024-01-01 00:00:00+00:00"), st.datetimes()),
    "retention_seconds": st.integers(60, 1_209_600),
    "retention_hours": st.integers(24, 8760),
    "retention_days": st.one_of(st.none(), st.sampled_from((1, 30, 365, 3653))),
    "ttl": st.fixed_dictionaries({"status": st.sampled_from(("ENABLED", "DISABLED", "ENABLING")),
                                  "attribute": st.one_of(st.none(), names)}),
    "fifo": st.booleans(),
    "source_type": st.sampled_from(("DirectPut", "KinesisStreamAsSource", "MSKAsSource")),
    "destinations": st.lists(st.fixed_dictionaries({"type": names, "target": names}), max_size=2),
    "customer_key": st.booleans(),
    "rotation": st.one_of(st.just({"applies": False}), st.fixed_dictionaries(
        {"applies": st.just(True), "enabled": st.booleans(),
         "period_days": st.one_of(st.none(), st.integers(90, 2560))})),
    "named_as": st.lists(st.sampled_from(("alias/orders", "arn:aws:kms:eu-west-1:123456789012:alias/orders")),
                         max_size=2),
    "state": st.sampled_from(("Enabled", "Disabled", "PendingDeletion")),
    "environment_digests": st.lists(st.fixed_dictionaries({"variable": names, "digest": names}), max_size=3),
    "log_group": names,
}


@st.composite
def attributes(draw: st.DrawFn) -> Any:
    """A node's attributes: some the rules read (realistic or not), some random, occasionally not a mapping."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.one_of(st.none(), st.lists(json_scalars, max_size=2), odd_texts, st.integers()))
    chosen = draw(st.lists(st.sampled_from(sorted(_REALISTIC)), unique=True, max_size=6))
    result: dict[Any, Any] = {key: draw(mostly(_REALISTIC[key], anything, 4)) for key in chosen}
    result.update(draw(st.dictionaries(st.one_of(names, st.integers()), anything, max_size=3)))
    return result


# --- nodes, edges, facts ------------------------------------------------------------------------

KINDS = tuple(sorted(set(STAGE_BY_KIND) | set(_KIND_BY_ARN.values()) | {"external", "events.rule", "glue.catalog"}))
COLLECTOR_SERVICES = frozenset(c.service for c in COLLECTORS)

kinds = mostly(st.sampled_from(KINDS), odd_texts)
stages = st.sampled_from(tuple(Stage))


@st.composite
def any_nodes(draw: st.DrawFn, ids: st.SearchStrategy[str] = node_ids) -> Node:
    node_id = draw(ids)
    # Half the time the kind its id names, as a collector would say; else any kind at all.
    kind = kind_for_arn(node_id) if draw(st.booleans()) else draw(kinds)
    return Node(node_id, kind, draw(names), draw(stages), draw(accounts), draw(regions), draw(st.booleans()),
                draw(attributes()))


@st.composite
def _some_of(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """Most of these attributes (a collector may leave one unread), each realistic most of the time."""
    return {key: draw(mostly(value, anything, 8)) for key, value in fields.items() if draw(st.integers(0, 4))}


_S3_FIELDS = ("lifecycle_rules", "encryption", "policy", "public_access_block", "versioning", "tags", "unread")
# What a collector says of each kind that a rule judges: (id template, attributes read).
_READ_BY_KIND: dict[str, tuple[str, tuple[str, ...]]] = {
    "s3.bucket": ("arn:aws:s3:::{n}", _S3_FIELDS),
    "glue.table": ("arn:aws:glue:eu-west-1:123456789012:table/{n}/{n}", ("personal_columns", "tags", "warnings")),
    "states.state_machine": ("arn:aws:states:eu-west-1:123456789012:stateMachine:{n}",
                             ("encryption", "logging", "warnings", "tags")),
    "events.rule": ("arn:aws:events:eu-west-1:123456789012:rule/{n}", ("bucket_matchers", "warnings")),
    "events.bus": ("arn:aws:events:eu-west-1:123456789012:event-bus/{n}", ("kms_key",)),
    "athena.workgroup": ("arn:aws:athena:eu-west-1:123456789012:workgroup/{n}",
                         ("result_encryption", "output_location", "warnings")),
    "glue.job": ("arn:aws:glue:eu-west-1:123456789012:job/{n}", ("security_configuration", "security_settings")),
    "glue.catalog": ("arn:aws:glue:eu-west-1:123456789012:catalog", ("encryption_at_rest",)),
    "external": ("https://api.example.com/{n}", ()),
    "sqs.queue": ("arn:aws:sqs:eu-west-1:123456789012:{n}", ("encryption", "retention_seconds", "tags", "unread")),
    "dynamodb.table": ("arn:aws:dynamodb:eu-west-1:123456789012:table/{n}", ("encryption", "ttl", "tags")),
    "sns.topic": ("arn:aws:sns:eu-west-1:123456789012:{n}", ("encryption", "fifo", "tags")),
    "kinesis.stream": ("arn:aws:kinesis:eu-west-1:123456789012:stream/{n}", ("encryption", "retention_hours")),
    "firehose.delivery_stream": ("arn:aws:firehose:eu-west-1:123456789012:deliverystream/{n}",
                                 ("encryption", "source_type", "destinations")),
    "logs.log_group": ("arn:aws:logs:eu-west-1:123456789012:log-group:{n}", ("encryption", "retention_days",
                                                                            "kms_key")),
    "kms.key": ("arn:aws:kms:eu-west-1:123456789012:key/{n}", ("customer_key", "rotation", "named_as", "state")),
    "lambda.function": ("arn:aws:lambda:eu-west-1:123456789012:function:{n}", ("environment_digests", "log_group")),
}


@st.composite
def read_nodes(draw: st.DrawFn) -> Node:
    """A node as a collector reads it: the kind its id names, the attributes its rules read."""
    kind = draw(st.sampled_from(sorted(_READ_BY_KIND)))
    template, fields = _READ_BY_KIND[kind]
    name = draw(st.one_of(bucket_names, names) if kind == "s3.bucket" else names)
    chosen = draw(_some_of({key: _REALISTIC[key] for key in fields}))
    return Node(template.replace("{n}", name), kind, name, STAGE_BY_KIND.get(kind, Stage.PROCESSING),
                "123456789012", "eu-west-1", draw(mostly(st.just(True), st.just(False), 4)), chosen)


def nodes(ids: st.SearchStrategy[str] = node_ids) -> st.SearchStrategy[Node]:
    return st.one_of(read_nodes(), any_nodes(ids))


# Nodes built without the dataclass's help: fields of the wrong type, as a buggy collector could send.
malformed_nodes = st.builds(
    Node,
    id=st.one_of(node_ids, st.none(), st.integers()),
    kind=st.one_of(kinds, st.none(), st.integers()),
    name=st.one_of(names, st.none(), st.integers()),
    stage=st.one_of(stages, st.sampled_from(("storage", "nonsense")), st.none()),
    account=st.one_of(accounts, st.none(), st.integers()),
    region=st.one_of(regions, st.none()),
    observed=st.one_of(st.booleans(), st.none(), st.just("yes")),
    attributes=attributes(),
)
not_nodes = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.dictionaries(names, names, max_size=2),
                      st.builds(Edge, node_ids, node_ids, st.sampled_from(tuple(EdgeKind))))

evidence = st.builds(Evidence, operation=st.one_of(st.sampled_from(("states:DescribeStateMachine", "file",
                                                                    "glue:GetJobs")), names),
                     resource=node_ids, path=names, excerpt=st.one_of(names, st.text(max_size=300)),
                     dynamic=st.booleans())
malformed_evidence = st.one_of(
    st.none(), st.text(max_size=5), st.builds(Evidence, st.one_of(st.none(), st.integers()), st.integers(),
                                              st.none(), st.lists(st.integers(), max_size=2), st.booleans()))


def edges(endpoints: st.SearchStrategy[str]) -> st.SearchStrategy[Edge]:
    return st.builds(Edge, endpoints, endpoints, st.sampled_from(tuple(EdgeKind)),
                     st.lists(evidence, max_size=3).map(tuple))


def malformed_edges(endpoints: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(Edge, st.one_of(endpoints, st.none(), st.integers()), st.one_of(endpoints, st.none()),
                  st.one_of(st.sampled_from(tuple(EdgeKind)), st.sampled_from(("reads", "flows")), st.none()),
                  st.one_of(st.lists(st.one_of(evidence, malformed_evidence), max_size=2).map(tuple),
                            st.none(), st.just("evidence"))),
        st.none(), st.text(max_size=5), st.builds(Node, node_ids, kinds, names, stages),
    )


gaps = st.builds(CoverageGap, st.sampled_from(sorted(COLLECTOR_SERVICES)),
                 st.sampled_from(("ListBuckets", "GetBucketPolicy", "DescribeStateMachine", "collect")),
                 names, st.one_of(names, st.text(max_size=40)), regions)


@st.composite
def fact_batches(draw: st.DrawFn, max_nodes: int = 10, odd: bool = True) -> list[Facts]:
    """One to three batches of facts whose edges mostly join the batches' own nodes; with `odd`, a few
    objects in them are not facts at all, or facts with fields of the wrong type."""
    drawn = draw(st.lists(nodes(), max_size=max_nodes))
    if drawn:  # the same id read twice (by two collectors, observed or not) is what merging is for
        drawn += [draw(any_nodes(st.just(twin.id))) for twin in draw(st.lists(st.sampled_from(drawn), max_size=2))]
    known = [n.id for n in drawn]
    endpoints = st.one_of(st.sampled_from(known), st.sampled_from(known), node_ids) if known else node_ids
    drawn_edges: list[Any] = draw(st.lists(edges(endpoints), max_size=max_nodes * 2))
    items: list[Any] = list(drawn)
    if odd:
        items += draw(st.lists(st.one_of(malformed_nodes, not_nodes), max_size=2))
        drawn_edges += draw(st.lists(malformed_edges(endpoints), max_size=2))
    items = draw(st.permutations(items))
    count = draw(st.integers(1, 3))
    batches = [Facts(tuple(items[i::count]), tuple(drawn_edges[i::count]),
                     tuple(draw(st.lists(gaps, max_size=1)))) for i in range(count)]
    return batches


def admissible_ids(batches: list[Facts]) -> set[str]:
    """Ids of the nodes the intake must keep: every `Node` whose id is non-blank text, as cleaned."""
    return {clean_text(n.id) for batch in batches for n in batch.nodes
            if isinstance(n, Node) and isinstance(n.id, str) and n.id.strip()}


def admissible_edge_keys(batches: list[Facts]) -> set[tuple[str, str, EdgeKind]]:
    """Keys of the edges the intake must keep: both ends non-blank text, a kind of edge; as cleaned."""
    return {(clean_text(e.source), clean_text(e.target), e.kind) for batch in batches for e in batch.edges
            if isinstance(e, Edge) and isinstance(e.kind, EdgeKind)
            and all(isinstance(end, str) and end.strip() for end in (e.source, e.target))}


scan_regions = st.lists(st.sampled_from(REGIONS[:-1]), min_size=1, max_size=3, unique=True).map(tuple)
api_calls = st.dictionaries(st.sampled_from(("s3:ListBuckets", "states:DescribeStateMachine", "glue:GetTables",
                                             "sts:GetCallerIdentity")), st.integers(0, 10_000), max_size=4)
started_times = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 1, 1),
                             timezones=st.just(dt.UTC)).map(lambda moment: moment.replace(microsecond=0))
