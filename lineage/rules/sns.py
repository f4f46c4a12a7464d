"""SNS rules: topics that hold messages unencrypted, subscriptions that deliver in clear over plain HTTP,
and subscribers in another account."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Edge, Evidence, Node, Severity
from lineage.protection import sns_encryption
from lineage.rules import Hit, account_of, rule

# Evidence of a subscription: the collector writes every subscription edge from one of these.
_SUBSCRIPTION_OPERATIONS = ("sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic")


def topic_not_encrypted(graph: Graph, node: Node) -> Iterator[Hit]:
    if "encryption" not in node.attributes:
        return  # the configuration could not be read
    answer = sns_encryption(node)
    if answer.ok is False:
        yield Hit(node.id, f"Topic {node.name} has no server-side encryption: its messages wait for delivery "
                  "unencrypted.", answer.evidence)


rule(
    topic_not_encrypted,
    id="sns.topic_not_encrypted",
    title="SNS topic holds messages unencrypted",
    category=Category.ENCRYPTION,
    severity=Severity.MEDIUM,
    remediation=(
        "Give the topic a KMS key (aws sns set-topic-attributes --topic-arn ARN --attribute-name KmsMasterKeyId "
        "--attribute-value alias/aws/sns), a key of your own where the messages carry personal data; the key "
        "policy must let each publishing service (events.amazonaws.com, s3.amazonaws.com…) use it."
    ),
    kinds=("sns.topic",),
)


def _subscription_evidence(edge: Edge) -> list[Evidence]:
    """What says a subscription makes this flow (its delivery, or its dead-letter queue): none when
    something else drew it."""
    return [e for e in edge.evidence if e.operation in _SUBSCRIPTION_OPERATIONS]


def http_subscription(graph: Graph, node: Node) -> Iterator[Hit]:
    plain = [edge for edge in graph.flows_out(node.id) if edge.target.lower().startswith("http://")
             and _subscription_evidence(edge)]
    if not plain:
        return
    endpoints = ", ".join(sorted({edge.target for edge in plain})[:3])
    evidence = tuple(e for edge in plain for e in _subscription_evidence(edge))
    yield Hit(node.id, f"Topic {node.name} delivers to {endpoints} over plain HTTP: every message crosses the "
              "network in clear.", evidence[:5])


rule(
    http_subscription,
    id="sns.http_subscription",
    title="SNS subscription delivers over plain HTTP",
    category=Category.ENCRYPTION,
    severity=Severity.HIGH,
    remediation=(
        "Subscribe the endpoint by https:// instead (aws sns subscribe --protocol https --notification-endpoint "
        "https://…), confirm it, then remove the http:// subscription (aws sns unsubscribe)."
    ),
    kinds=("sns.topic",),
)


def subscription_to_another_account(graph: Graph, node: Node) -> Iterator[Hit]:
    home = account_of(graph, node.id)
    if not home:
        return
    away = [(edge, account) for edge in graph.flows_out(node.id)
            if _subscription_evidence(edge) and (account := account_of(graph, edge.target)) and account != home]
    if not away:
        return
    said = ", ".join(f"{graph.nodes[e.target].name if e.target in graph.nodes else e.target} (account {a})"
                     for e, a in away[:3])
    evidence = tuple(e for edge, _ in away for e in _subscription_evidence(edge)[:1])
    yield Hit(node.id, f"Topic {node.name} delivers to {said}: the messages leave account {home}.", evidence[:5])


rule(
    subscription_to_another_account,
    id="sns.subscription_to_another_account",
    title="SNS topic delivers to another account",
    category=Category.EXPOSURE,
    severity=Severity.MEDIUM,
    remediation=(
        "Confirm the other account may receive these messages (record the transfer); otherwise unsubscribe it "
        "(aws sns unsubscribe) and restrict sns:Subscribe in the topic policy to your own accounts "
        "(a Condition on aws:PrincipalOrgID)."
    ),
    kinds=("sns.topic",),
)
