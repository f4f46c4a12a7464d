"""SNS topics and their subscriptions in a template → `GetTopicAttributes`, `ListTagsForResource`,
`ListSubscriptionsByTopic` and `GetSubscriptionAttributes` as the deployed topic answers them → the SNS
collector's transform.

A topic is made unencrypted unless the template names a key: `aws_defaults` says when that came from the
template's silence. Subscriptions come from the topic's `Subscription` list and from `AWS::SNS::Subscription`
resources; each is read as confirmed, since a template subscribes an endpoint in order to deliver to it (an
e-mail address or a web endpoint confirms once deployed). A subscription to a topic the template does not define
gives its flows without a node for that topic, which a scan of its own stack reads. E-mail addresses and phone
numbers are never kept, as the collector keeps none; topic policies are read and not kept, likewise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from collectors import sns
from lineage import redact
from lineage.model import Facts
from templates.intrinsics import is_determined, placeholder
from templates.services.common import by_owner, finished, is_true, tag_map
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::SNS::TopicPolicy",
                   "AWS::SNS::TopicInlinePolicy"})
_WEB = ("http", "https")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def subscription_record(topic_arn: str, subscription_id: str, properties: Mapping[str, Any], account: str
                        ) -> dict[str, Any]:
    """A subscription as `ListSubscriptionsByTopic` lists it, with `GetSubscriptionAttributes`' answer as the
    collector keeps it (no endpoint, no owner): a personal endpoint is left out, a web one kept without
    anything that could carry a credential."""
    protocol = str(properties.get("Protocol") or "").lower()
    arn = f"{topic_arn}:{subscription_id}"
    listed: dict[str, Any] = {"SubscriptionArn": arn, "Owner": account, "Protocol": protocol, "TopicArn": topic_arn}
    endpoint = properties.get("Endpoint")
    if isinstance(endpoint, str) and protocol not in sns.PERSONAL_PROTOCOLS:
        listed["Endpoint"] = redact.endpoint(endpoint) if protocol in _WEB else endpoint
    attributes: dict[str, Any] = {"SubscriptionArn": arn, "TopicArn": topic_arn, "Protocol": protocol,
                                  "PendingConfirmation": "false", "ConfirmationWasAuthenticated": "true",
                                  "RawMessageDelivery": _text(is_true(properties.get("RawMessageDelivery")))}
    if properties.get("FilterPolicy"):
        attributes["FilterPolicy"] = _text(properties["FilterPolicy"])
        attributes["FilterPolicyScope"] = str(properties.get("FilterPolicyScope") or "MessageAttributes")
    for key in ("RedrivePolicy", "DeliveryPolicy", "ReplayPolicy"):
        if properties.get(key):
            attributes[key] = _text(properties[key])
    if properties.get("SubscriptionRoleArn"):
        attributes["SubscriptionRoleArn"] = str(properties["SubscriptionRoleArn"])
    return {**listed, "Attributes": attributes}


def topic_record(topic: Placed, subscriptions: list[dict[str, Any]], account: str) -> tuple[dict[str, Any], list[str]]:
    """(the answers a scan records for the deployed topic, the configuration AWS's defaults gave)."""
    properties = topic.properties
    defaults: list[str] = []
    attributes: dict[str, Any] = {"TopicArn": topic.id, "Owner": account,
                                  "DisplayName": str(properties.get("DisplayName") or "")}
    if properties.get("KmsMasterKeyId"):
        attributes["KmsMasterKeyId"] = str(properties["KmsMasterKeyId"])
    else:
        defaults.append("encryption")
    if is_true(properties.get("FifoTopic")):
        attributes["FifoTopic"] = "true"
        attributes["ContentBasedDeduplication"] = _text(is_true(properties.get("ContentBasedDeduplication")))
    archive = properties.get("ArchivePolicy")
    if archive and (not isinstance(archive, str) or is_determined(archive) or archive.lstrip().startswith("{")):
        attributes["ArchivePolicy"] = _text(archive)  # one left to a parameter nobody gave is not known
    inline = [subscription_record(topic.id, placeholder(f"{topic.logical_id}.Subscription[{index}]"), entry, account)
              for index, entry in enumerate(properties.get("Subscription") or []) if isinstance(entry, Mapping)]
    return {"TopicArn": topic.id, "Attributes": attributes, "Tags": tag_map(properties.get("Tags")),
            "Subscriptions": inline + subscriptions}, defaults


def _subscriptions(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Each `AWS::SNS::Subscription`, by the ARN of the topic it is on."""
    return {topic: [subscription_record(topic, placeholder(p.logical_id), p.properties, stack.account) for p in placed]
            for topic, placed in by_owner(stack, "AWS::SNS::Subscription", "TopicArn", None,
                                          "subscription {}: no topic").items()}


def facts(stack: Stack) -> Facts:
    subscriptions = _subscriptions(stack)
    records, defaults = [], {}
    for placed in stack.placed.values():
        if placed.type == "AWS::SNS::Topic":
            record, said = topic_record(placed, subscriptions.pop(placed.id, []), stack.account)
            records.append(record)
            if said:
                defaults[placed.id] = said
    parts = [finished(sns.transform_sns(records, stack.account, stack.region), defaults, {})]
    # A topic of another stack: its subscriptions' flows, not the topic, which that stack's reading gives.
    for topic_arn, elsewhere in subscriptions.items():
        flows = sns.transform_sns([{"TopicArn": topic_arn, "Attributes": {}, "Subscriptions": elsewhere}],
                                  stack.account, stack.region)
        parts.append(Facts(tuple(n for n in flows.nodes if n.id != topic_arn), flows.edges, flows.gaps))
    return Facts.concat(parts)


