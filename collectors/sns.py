"""SNS: topics, whose key encrypts the messages they hold until delivered, and their subscriptions — each
a flow from the topic to where it delivers (a queue, a function, a delivery stream, a web endpoint, or
people), with the filter policy that says which messages pass and the dead-letter queue that takes
what could not be delivered.

Subscriptions are read per topic (ListSubscriptionsByTopic), not once per region (ListSubscriptions):
ListSubscriptions gives the requester's own subscriptions only, so a queue of another account that
subscribed itself to one of our topics would be missing, and that is the flow that leaves the account.

E-mail addresses, phone numbers and device endpoints are personal data themselves: they are never
kept. What they receive goes to one sink per topic and protocol (`<topic ARN>#email`) that counts them.
An HTTP endpoint is kept without user-info, query string or fragment (they may carry credentials).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from collectors.context import AwsContext, each_resource, is_gone, tag_dict
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage import redact
from lineage.delivery import target_edge_kind
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

_GONE = ("NotFound",)
LIST_TOPICS = Call("sns", "list_topics", result_key="Topics", required=("TopicArn",), empty_is_an_answer=True)
GET_TOPIC_ATTRIBUTES = Call("sns", "get_topic_attributes", required=("Attributes",), gone=_GONE)
LIST_TAGS_FOR_RESOURCE = Call("sns", "list_tags_for_resource", gone=("ResourceNotFound", *_GONE),
                              empty_is_an_answer=True)
LIST_SUBSCRIPTIONS_BY_TOPIC = Call("sns", "list_subscriptions_by_topic", result_key="Subscriptions",
                                   required=("SubscriptionArn", "Protocol"), empty_is_an_answer=True)
GET_SUBSCRIPTION_ATTRIBUTES = Call("sns", "get_subscription_attributes", required=("Attributes",), gone=_GONE)
# AWS managed keys are named by their alias; any other key, or alias, is the customer's own.
AWS_MANAGED_KEY = "alias/aws/sns"
# Protocols whose endpoint is a person (an address, a phone number, a device): never kept, only counted.
PERSONAL_PROTOCOLS = {"email": "e-mail subscribers", "email-json": "e-mail (JSON) subscribers",
                      "sms": "SMS subscribers", "application": "mobile app endpoints subscribed"}
_WEB_PROTOCOLS = ("http", "https")
# Evidence kept per edge: a topic mailing thousands of people needs the count, not every subscription.
_MAX_EVIDENCE = 25


# --- get ----------------------------------------------------------------------------------------


def _kept(subscription: dict[str, Any]) -> dict[str, Any]:
    """A subscription as kept past the call that returned it: never with an address or a phone number,
    nor a web endpoint's credentials."""
    protocol = str(subscription.get("Protocol", "")).lower()
    if protocol in PERSONAL_PROTOCOLS:
        return {key: value for key, value in subscription.items() if key != "Endpoint"}
    if protocol in _WEB_PROTOCOLS and isinstance(subscription.get("Endpoint"), str):
        return {**subscription, "Endpoint": redact.endpoint(subscription["Endpoint"])}
    return subscription


def _is_confirmed(subscription: dict[str, Any]) -> bool:
    # A subscription waiting for confirmation is listed as `PendingConfirmation` (or `Deleted`), no ARN.
    return str(subscription.get("SubscriptionArn", "")).startswith("arn:")


def _read_topics(ctx: AwsContext, region: str, topic_arns: list[str]) -> list[dict[str, Any]]:
    """`[{"TopicArn", "Attributes" | "Unread", "Tags"?, "Subscriptions" | "SubscriptionsUnread"}]`; each
    confirmed subscription with its own `Attributes` (or `AttributesUnread`). A topic or subscription
    deleted between listing and reading is left out."""

    def read(topic_arn: str) -> dict[str, Any] | None:
        answer = ctx.call(GET_TOPIC_ATTRIBUTES, region, topic_arn, TopicArn=topic_arn)
        if is_gone(answer):
            return None  # deleted since it was listed
        record: dict[str, Any] = {"TopicArn": topic_arn}
        if answer is None:
            record["Unread"] = True  # a gap already: the topic is there, its configuration unknown
        else:
            record["Attributes"] = {k: v for k, v in answer["Attributes"].items() if k != "Policy"}
        tags = ctx.call(LIST_TAGS_FOR_RESOURCE, region, topic_arn, ResourceArn=topic_arn)
        if tags is not None and not is_gone(tags):
            record["Tags"] = tag_dict(tags.get("Tags"))
        subscriptions = ctx.pages(LIST_SUBSCRIPTIONS_BY_TOPIC, region, topic_arn, TopicArn=topic_arn)
        if subscriptions is None:
            record["SubscriptionsUnread"] = True
        else:
            record["Subscriptions"] = [_kept(s) for s in subscriptions]
        return record

    records = [record for record in ctx.map(read, topic_arns) if record is not None]

    def read_subscription(subscription: dict[str, Any]) -> dict[str, Any] | None:
        if not _is_confirmed(subscription):
            return subscription  # no ARN to ask about
        arn = subscription["SubscriptionArn"]
        answer = ctx.call(GET_SUBSCRIPTION_ATTRIBUTES, region, arn, SubscriptionArn=arn)
        if is_gone(answer):
            return None  # unsubscribed since it was listed
        if answer is None:
            return {**subscription, "AttributesUnread": True}
        attributes = {k: v for k, v in answer["Attributes"].items() if k not in ("Endpoint", "Owner")}
        return {**subscription, "Attributes": attributes}

    # Every subscription of every topic on the pool at once (a task never submits more), then handed back.
    listed = [s for record in records for s in record.get("Subscriptions", ())]
    read_back = iter(ctx.map(read_subscription, listed))
    for record in records:
        if "Subscriptions" in record:
            answers = [next(read_back) for _ in record["Subscriptions"]]
            record["Subscriptions"] = [s for s in answers if s is not None]
    return records


def get_sns(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    topics = ctx.pages(LIST_TOPICS, region, region)
    return [] if topics is None else _read_topics(ctx, region, [str(t["TopicArn"]) for t in topics])


def get_named_topics(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Topics that other facts name, read one by one when the listing could not be read."""
    topic_arns = []
    for topic_id in sorted(wanted.get("sns.topic", ())):
        parsed = arns.parse_arn(topic_id)
        if parsed is not None and parsed.region == region and parsed.account and parsed.resource:
            topic_arns.append(topic_id)
    return _read_topics(ctx, region, topic_arns)


# --- transform ----------------------------------------------------------------------------------


def encryption_of(attributes: dict[str, Any]) -> dict[str, Any]:
    key = attributes.get("KmsMasterKeyId")
    if key:
        customer = not arns.names_aws_managed_key(str(key), AWS_MANAGED_KEY)
        return {"type": "kms", "kms_key": key, "customer_key": customer}
    return {"type": "none", "kms_key": None, "customer_key": False}


def _archive_days(attributes: dict[str, Any], warnings: list[str]) -> int | None:
    """The days a FIFO topic's archive keeps messages (ArchivePolicy); None when it keeps none."""
    text = attributes.get("ArchivePolicy")
    if not text:
        return None
    try:
        days = json.loads(text)["MessageRetentionPeriod"]
        return int(days)
    except (ValueError, KeyError, TypeError):
        warnings.append("ArchivePolicy: not a policy this reader understands")
        return None


def _filter_summary(attributes: dict[str, Any] | None) -> dict[str, Any]:
    """What a subscription lets through, for evidence: its filter policy, shortened, and how it delivers."""
    if attributes is None:
        return {"attributes": "unread"}
    summary: dict[str, Any] = {}
    policy = attributes.get("FilterPolicy")
    if policy:
        summary["filter_policy"] = redact.short(str(policy), 200)
        summary["filter_policy_scope"] = attributes.get("FilterPolicyScope") or "MessageAttributes"
    else:
        summary["filter_policy"] = "none: every message"
    if str(attributes.get("RawMessageDelivery", "")).lower() == "true":
        summary["raw_message_delivery"] = True
    return summary


def _excerpt(protocol: str, summary: dict[str, Any]) -> str:
    return redact.short(json.dumps({"protocol": protocol, **summary}, sort_keys=True), 300)


class _Flows:
    """Edges of one topic, one per (target, kind), each with the evidence of every subscription behind it."""

    def __init__(self, topic_id: str) -> None:
        self.topic_id = topic_id
        self.evidence: dict[tuple[str, EdgeKind], list[Evidence]] = {}
        self.nodes: dict[str, Node] = {}

    def add(self, target: str, kind: EdgeKind, evidence: Evidence) -> None:
        self.evidence.setdefault((target, kind), []).append(evidence)

    def edges(self) -> Iterable[Edge]:
        for (target, kind), evidence in self.evidence.items():
            yield Edge(self.topic_id, target, kind, tuple(evidence[:_MAX_EVIDENCE]))


def _subscriber(protocol: str, endpoint: str) -> tuple[str, EdgeKind] | None:
    """Where a confirmed subscription of a protocol other than the personal ones delivers; None when
    its endpoint names no place."""
    if protocol in _WEB_PROTOCOLS:
        if "://" not in endpoint:
            return None
        return redact.endpoint(endpoint), EdgeKind.WRITES
    if not endpoint.startswith("arn:"):
        return None
    target = arns.unqualified_lambda_arn(endpoint)
    return target, target_edge_kind(arns.kind_for_arn(target))


def _sink(topic_id: str, topic_name: str, protocol: str, count: int) -> Node:
    """The people (or devices) subscribed to a topic by one protocol: counted, never named."""
    what = PERSONAL_PROTOCOLS.get(protocol, f"{protocol} subscribers")
    preposition = "to" if what.endswith("subscribed") else "of"
    return Node(f"{topic_id}#{protocol}", "external", f"{what} {preposition} {topic_name}", stage_for("external"),
                observed=False, attributes={"protocol": protocol, "subscribers": count})


def _subscription_facts(topic_id: str, topic_name: str, subscriptions: list[dict[str, Any]],
                        attributes: dict[str, Any], warnings: list[str]) -> tuple[list[Node], list[Edge]]:
    flows = _Flows(topic_id)
    confirmed: dict[str, int] = {}
    people: dict[str, int] = {}
    pending: list[dict[str, Any]] = []
    unread = 0
    for index, subscription in enumerate(subscriptions):
        protocol = str(subscription.get("Protocol", "")).lower()
        personal = protocol in PERSONAL_PROTOCOLS
        endpoint = "" if personal else str(subscription.get("Endpoint") or "")
        if not _is_confirmed(subscription):
            entry = {"protocol": protocol, "status": str(subscription.get("SubscriptionArn", ""))}
            if endpoint:
                entry["endpoint"] = redact.endpoint(endpoint) if protocol in _WEB_PROTOCOLS else endpoint
            pending.append(entry)
            continue
        arn = subscription["SubscriptionArn"]
        confirmed[protocol] = confirmed.get(protocol, 0) + 1
        sub_attributes = subscription.get("Attributes")
        if sub_attributes is None:
            unread += 1
            evidence = Evidence("sns:ListSubscriptionsByTopic", arn, f"Subscriptions[{index}]",
                                _excerpt(protocol, _filter_summary(None)))
        else:
            evidence = Evidence("sns:GetSubscriptionAttributes", arn, "Attributes.Endpoint, FilterPolicy",
                                _excerpt(protocol, _filter_summary(sub_attributes)))
        if personal:
            people[protocol] = people.get(protocol, 0) + 1
            flows.add(f"{topic_id}#{protocol}", EdgeKind.WRITES, evidence)
        else:
            place = _subscriber(protocol, endpoint)
            if place is None:
                warnings.append(f"Subscriptions[{index}]: a {protocol or 'subscription'} endpoint that names no place")
                # Still a flow out of the account's sight: to the protocol's sink, never to the text itself.
                people[protocol] = people.get(protocol, 0) + 1
                flows.add(f"{topic_id}#{protocol}", EdgeKind.WRITES, evidence)
            else:
                target, kind = place
                flows.add(target, kind, evidence)
                if protocol in _WEB_PROTOCOLS and target not in flows.nodes:
                    flows.nodes[target] = arns.referenced_node(target, "external", {"protocol": protocol})
        redrive = (sub_attributes or {}).get("RedrivePolicy")
        if redrive:
            try:
                dead_letter = str(json.loads(redrive)["deadLetterTargetArn"])
            except (ValueError, KeyError, TypeError):
                warnings.append(f"Subscriptions[{index}].RedrivePolicy: not a policy this reader understands")
            else:
                flows.add(dead_letter, EdgeKind.WRITES, Evidence(
                    "sns:GetSubscriptionAttributes", arn, "Attributes.RedrivePolicy.deadLetterTargetArn", dead_letter))
    for protocol, count in people.items():
        flows.nodes[f"{topic_id}#{protocol}"] = _sink(topic_id, topic_name, protocol, count)
    attributes["subscriptions"] = sum(confirmed.values())
    attributes["subscriptions_by_protocol"] = dict(sorted(confirmed.items()))
    if pending:
        attributes["pending_subscriptions"] = pending
    if unread:
        attributes.setdefault("unread", []).append("subscription attributes")
    return list(flows.nodes.values()), list(flows.edges())


def transform_topic(record: dict[str, Any], account: str, region: str) -> Facts:
    topic_id = record["TopicArn"]
    parsed = arns.parse_arn(topic_id)
    name = parsed.resource if parsed is not None else topic_id
    topic = record.get("Attributes") or {}
    attributes: dict[str, Any] = {}
    warnings: list[str] = []
    if record.get("Unread"):
        attributes["unread"] = ["configuration"]
    else:
        attributes["encryption"] = encryption_of(topic)
        attributes["fifo"] = str(topic.get("FifoTopic", "")).lower() == "true"
        days = _archive_days(topic, warnings)
        if days is not None:
            attributes["archive_days"] = days
    if "Tags" in record:
        attributes["tags"] = record["Tags"]
    nodes: list[Node] = []
    edges: list[Edge] = []
    if record.get("SubscriptionsUnread"):
        attributes.setdefault("unread", []).append("subscriptions")
    else:
        nodes, edges = _subscription_facts(topic_id, name, record.get("Subscriptions") or [], attributes, warnings)
    if warnings:
        attributes["warnings"] = warnings
    node = Node(topic_id, "sns.topic", name, stage_for("sns.topic", record.get("Tags")),
                (parsed.account if parsed is not None else "") or account,
                (parsed.region if parsed is not None else "") or region, True, attributes)
    return Facts((node, *nodes), tuple(edges))


def transform_sns(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda record: transform_topic(record, account, region), GET_TOPIC_ATTRIBUTES,
                         lambda record: record["TopicArn"], region)


COLLECTOR = Collector(
    service="sns", label="SNS",
    calls=(LIST_TOPICS, GET_TOPIC_ATTRIBUTES, LIST_TAGS_FOR_RESOURCE, LIST_SUBSCRIPTIONS_BY_TOPIC,
           GET_SUBSCRIPTION_ATTRIBUTES),
    get=get_sns, transform=transform_sns,
    listings={"sns.topic": LIST_TOPICS}, get_named=get_named_topics,
)
