"""Personal data: where it is declared or found, where it rests unprotected (no key of the customer's own,
no expiry, public or plain HTTP), where it crosses an account or a region, where a dataset written from
it carries no label, and where it goes beyond what can be judged: out of the scanned estate, or to a
place known only at run time."""

from __future__ import annotations

from collections.abc import Iterator

from lineage import arn as arns
from lineage import pii
from lineage.graph import Graph
from lineage.model import Category, EdgeKind, Evidence, Node, Severity
from lineage.protection import (
    ANSWERING_FOR_THEMSELVES,
    ENCRYPTION,
    PUBLIC_ACCESS,
    RETENTION,
    TLS_ONLY,
    Answer,
    protection,
)
from lineage.rules import ANY_KIND, INTO, Hit, flows_into, rule, unknown_place

_DATASETS = ("glue.table", "s3.location")
_HELD_IN_S3 = ("s3.bucket", "s3.location")
_HELD_ELSEWHERE = tuple(sorted(ANSWERING_FOR_THEMSELVES))  # judged by their own configuration, not a bucket's


def _personal(node: Node) -> dict | None:
    personal = node.attributes.get(pii.REACHED)
    return personal if isinstance(personal, dict) and personal.get("categories") else None


def _what(personal: dict) -> str:
    """`Personal data (email) from TABLE`: how a message begins."""
    origins = personal.get("origins") or []
    shown = ", ".join(origins[:3]) + (f" and {len(origins) - 3} more" if len(origins) > 3 else "")
    return f"Personal data ({', '.join(personal['categories'])}) from {shown}"


def _label_evidence(node: Node, labels: list[dict[str, str]]) -> tuple[Evidence, ...]:
    return tuple(Evidence(label.get("operation", ""), node.id, label.get("path", label.get("source", "")),
                          f"{label['category']}: {label.get('match', '')} ({label.get('source', '')})")
                 for label in labels[:5])


def personal_data_held(graph: Graph, node: Node) -> Iterator[Hit]:
    labels = pii.labels_of(node)
    if not labels:
        return
    reached = [n for n, _ in pii.reached_by(graph).get(node.id, []) if graph.nodes[n].kind != "s3.bucket"]
    by_column = sorted({(label.get("column", ""), label["category"]) for label in labels if label.get("column")})
    listed = ", ".join(f"{column} ({category})" for column, category in by_column[:10])
    declared = sorted({f"{label['source']} {label.get('match', '')}" for label in labels if not label.get("column")})
    said = "; ".join(part for part in (listed, ", ".join(declared[:5])) if part)
    yield Hit(node.id, f"{node.name} holds personal data ({', '.join(pii.categories_of(node))}): {said}; it "
              f"reaches {len(reached)} other node(s).", _label_evidence(node, labels))


rule(
    personal_data_held,
    id="pii.personal_data_held",
    title="Holds personal data",
    category=Category.PII,
    severity=Severity.INFO,
    remediation=(
        "Confirm the classification (or list a false positive in the classification file); record the lawful "
        "basis and retention, and make sure every place listed downstream is encrypted with a key of yours and "
        "expires the data."
    ),
    kinds=(ANY_KIND,),
    frameworks=("GDPR Art. 30", "ISMS-P 3.1"),
)


def _place_answers(graph: Graph, node: Node) -> dict[str, Answer] | None:
    """The answers for a place personal data rests in whose protection is read — S3 (a bucket is judged once
    for all its paths), a queue, a table — None where there is none, or none is known."""
    if node.kind not in (*_HELD_IN_S3, *_HELD_ELSEWHERE) or not _personal(node):
        return None
    answers = protection(graph, node)
    return answers if any(a.ok is not None for a in answers.values()) else None


def _where(node: Node) -> str:
    """`s3://bucket` or `s3://bucket/prefix` for S3, else `the sqs.queue orders`."""
    parts = arns.s3_parts(node.id)
    if parts is not None:
        return f"s3://{parts[0]}" + (f"/{parts[1]}" if parts[1] else "")
    return f"the {node.kind} {node.name}"


def personal_data_without_customer_key(graph: Graph, place: Node) -> Iterator[Hit]:
    answers = _place_answers(graph, place)
    if answers is None:
        return
    encryption = answers[ENCRYPTION]
    if encryption.ok is None or encryption.customer_key is not False:
        return  # unknown, the customer's own, or a key whose owner the configuration does not say
    yield Hit(place.id, f"{_what(_personal(place) or {})} rests in {_where(place)}, encryption: "
              f"{encryption.value}: no key of yours limits who can decrypt it or logs each use.",
              encryption.evidence)


rule(
    personal_data_without_customer_key,
    id="pii.personal_data_without_customer_key",
    title="Personal data rests without a customer-managed KMS key",
    category=Category.PII,
    severity=Severity.HIGH,
    remediation=(
        "Encrypt with a customer managed KMS key whose policy names who may decrypt. A bucket: default "
        "encryption SSE-KMS with that key and S3 Bucket Keys, then re-encrypt existing objects (S3 Batch "
        "Operations copy). A queue: its KmsMasterKeyId. A DynamoDB table: SSESpecification with the key."
    ),
    kinds=("s3.bucket", *_HELD_ELSEWHERE),
    frameworks=("GDPR Art. 32", "ISO 27001 A.8.24", "ISMS-P 2.7.1"),
)


def personal_data_without_expiration(graph: Graph, node: Node) -> Iterator[Hit]:
    answers = _place_answers(graph, node)
    if answers is None or answers[RETENTION].ok is not False:
        return
    if node.kind in _HELD_ELSEWHERE:
        yield Hit(node.id, f"{_what(_personal(node) or {})} rests in {_where(node)} — {answers[RETENTION].value}.",
                  answers[RETENTION].evidence)
        return
    if node.kind == "s3.bucket" and not (graph.flows_in(node.id) or graph.flows_out(node.id)) \
            and not pii.labels_of(node):
        return  # only paths inside it hold personal data: each is judged for itself
    bucket = graph.bucket_of(node.id)
    if node.kind == "s3.location" and bucket is not None and pii.labels_of(bucket):
        return  # the bucket is declared personal as a whole, and judged as a whole
    yield Hit(node.id, f"{_what(_personal(node) or {})} rests in {_where(node)} and no lifecycle rule expires it: "
              "it is kept until someone deletes it.", answers[RETENTION].evidence)


rule(
    personal_data_without_expiration,
    id="pii.personal_data_without_expiration",
    title="Personal data rests with no expiration",
    category=Category.PII,
    severity=Severity.HIGH,
    remediation=(
        "Add an enabled lifecycle rule whose filter covers this prefix (no tag or size filter) and expires "
        "current objects after the retention recorded for this data, and noncurrent versions too. A DynamoDB "
        "table: enable TTL on an attribute holding each item's expiry."
    ),
    kinds=(*_HELD_IN_S3, *_HELD_ELSEWHERE),
    frameworks=("GDPR Art. 5(1)(e)", "ISMS-P 3.4.1"),
)


def personal_data_exposed(graph: Graph, bucket: Node) -> Iterator[Hit]:
    answers = _place_answers(graph, bucket)
    if answers is None:
        return
    failing = [answers[q] for q in (PUBLIC_ACCESS, TLS_ONLY) if answers[q].ok is False]
    if not failing:
        return
    said = "; ".join(f"{a.question}: {a.value}" for a in failing)
    yield Hit(bucket.id, f"{_what(_personal(bucket) or {})} rests in s3://{bucket.name}, which is exposed: {said}.",
              tuple(e for a in failing for e in a.evidence))


rule(
    personal_data_exposed,
    id="pii.personal_data_exposed",
    title="Personal data rests where public access is not blocked or plain HTTP is allowed",
    category=Category.PII,
    severity=Severity.CRITICAL,
    remediation=(
        "Turn on all four settings of the bucket's public access block, and add a bucket policy statement that "
        "denies every request where aws:SecureTransport is false."
    ),
    kinds=("s3.bucket",),
    frameworks=("GDPR Art. 32", "CIS AWS 2.1.1", "CIS AWS 2.1.4", "ISMS-P 2.7.1"),
)


def _crossing(source: Node, target: Node) -> list[str]:
    crossed = []
    if source.account and target.account and source.account != target.account:
        crossed.append(f"account {source.account} → {target.account}")
    if source.region and target.region and source.region != target.region:
        crossed.append(f"region {source.region} → {target.region}")
    return crossed


def personal_data_crosses_border(graph: Graph, node: Node) -> Iterator[Hit]:
    """Judged at the receiving end: each flow into it from a node that carries personal data."""
    for edge in graph.flows_in(node.id):
        source = graph.nodes.get(edge.source)
        personal = _personal(source) if source is not None else None
        if source is None or personal is None or not pii.passes_personal_data_on(source):
            continue
        crossed = _crossing(source, node)
        if crossed:
            yield Hit(node.id, f"{_what(personal)} flows from {source.name or source.id} to {node.name or node.id} "
                      f"({edge.kind.value}), crossing {' and '.join(crossed)}.", edge.evidence[:3])
            return


rule(
    personal_data_crosses_border,
    id="pii.personal_data_crosses_account_or_region",
    title="Personal data flows to another account or region",
    category=Category.PII,
    severity=Severity.HIGH,
    remediation=(
        "Confirm the transfer is recorded (GDPR Art. 30(1)(e)) and lawful where the region is in another "
        "country (Chapter V: adequacy or safeguards); minimise or pseudonymise what crosses."
    ),
    kinds=(ANY_KIND,),
    frameworks=("GDPR Art. 44", "GDPR Art. 30(1)(e)", "ISMS-P 3.3.4"),
    unobserved=True,
)


def probably_personal_dataset(graph: Graph, node: Node) -> Iterator[Hit]:
    personal = _personal(node)
    if personal is None or pii.labels_of(node) or node.kind not in _DATASETS:
        return
    if node.kind == "s3.location" and any(graph.nodes[o].kind == "glue.table" for o in graph.equivalents(node.id)
                                          if o in graph.nodes):
        return  # judged as its table
    if any(pii.labels_of(graph.nodes[o]) for o in graph.same_data(node.id) if o in graph.nodes):
        return  # the same data is labelled under another name
    written = [e for other in (node.id, *sorted(graph.equivalents(node.id))) for e in graph.flows_in(other)
               if e.kind == EdgeKind.WRITES and e.source in graph.nodes
               and pii.passes_personal_data_on(graph.nodes[e.source])]
    if not written:
        return
    writers = ", ".join(sorted({graph.nodes[e.source].name or e.source for e in written})[:3])
    what = _what(personal)
    evidence = tuple(e.evidence[0] for e in written if e.evidence)[:5]
    yield Hit(node.id, f"{node.name} is written by {writers}, which handles {what[0].lower()}{what[1:]}, but "
              "carries no personal-data label of its own: it probably holds personal data.", evidence)


rule(
    probably_personal_dataset,
    id="pii.probably_personal_dataset",
    title="Dataset written from personal data carries no label",
    category=Category.PII,
    severity=Severity.MEDIUM,
    remediation=(
        "Label the dataset (column comments, a Glue parameter pii=true, an LF-tag, or lineage:pii on its bucket), "
        "or tag the job that writes it lineage:pii=masked or dropped if it removes the personal data."
    ),
    kinds=_DATASETS,
    frameworks=("GDPR Art. 30",),
)


def personal_data_leaves_estate(graph: Graph, node: Node) -> Iterator[Hit]:
    """An endpoint outside AWS, or a bucket the scan could not see (another account's, most often)."""
    personal = _personal(node)
    if not personal:
        return
    flows = graph.flows_in(node.id)
    if node.kind in _HELD_IN_S3:
        if node.observed:
            return
        # Data left in it by something that passes personal data on; a bucket only for what lands on it
        # directly (what lands in one of its paths is said at that path).
        flows = [e for e in flows if e.kind in INTO and e.source in graph.nodes
                 and pii.passes_personal_data_on(graph.nodes[e.source])]
        if not flows:
            return
    where = f"s3://{node.name}, a bucket the scan did not read" if node.kind in _HELD_IN_S3 else node.name
    evidence = tuple(e for edge in flows for e in edge.evidence[:1])
    yield Hit(node.id, f"{_what(personal)} flows to {where}, outside what was scanned.", evidence[:5])


rule(
    personal_data_leaves_estate,
    id="pii.personal_data_leaves_estate",
    title="Personal data flows to a destination outside the scanned estate",
    category=Category.PII,
    severity=Severity.HIGH,
    remediation="Confirm the destination may receive personal data and is covered by an agreement; "
    "minimise or pseudonymise what is sent.",
    kinds=("external", *_HELD_IN_S3),
    frameworks=("GDPR Art. 44",),
    unobserved=True,
)


def personal_data_to_unknown_destination(graph: Graph, node: Node) -> Iterator[Hit]:
    personal = _personal(node)
    # Invoking code chosen at run time hands it the data as surely as writing to a place chosen then.
    flows = flows_into(graph, node, INTO | {EdgeKind.INVOKES})
    if not personal or not flows:
        return
    evidence = [e for edge in flows for e in edge.evidence[:1]]
    yield Hit(node.id, f"Personal data ({', '.join(personal['categories'])}) from {', '.join(personal['origins'])} "
              f"goes to {unknown_place(node)}: where it rests, and whether that place is encrypted and expires "
              "it, cannot be shown from configuration.", tuple(evidence[:5]))


rule(
    personal_data_to_unknown_destination,
    id="pii.personal_data_to_unknown_destination",
    title="Personal data flows to a destination known only at run time",
    category=Category.PII,
    severity=Severity.MEDIUM,
    remediation="Name the destination in the definition, or constrain the values it can take (a Choice on "
    "allowed buckets, an IAM policy scoped to them), so where personal data rests can be shown and judged.",
    kinds=(ANY_KIND,),
    frameworks=("GDPR Art. 30",),
    unobserved=True,
    dynamic=True,
)
