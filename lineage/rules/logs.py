"""CloudWatch Logs rules: log groups that never expire, and subscription filters that send a group's events
to another account."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Node, Severity
from lineage.protection import logs_retention
from lineage.rules import Hit, account_of, rule

_SUBSCRIPTION = "logs:DescribeSubscriptionFilters"


def log_group_never_expires(graph: Graph, node: Node) -> Iterator[Hit]:
    answer = logs_retention(node)
    if answer.ok is False:
        yield Hit(node.id, f"Log group {node.name} never expires: what is written to it (functions often print "
                  "request payloads) is kept until someone deletes the group.", answer.evidence)


rule(
    log_group_never_expires,
    id="logs.no_retention",
    title="CloudWatch log group keeps events for ever (no retention)",
    category=Category.LIFECYCLE,
    severity=Severity.LOW,
    remediation=(
        "Set a retention period as short as the logs are needed for: "
        "aws logs put-retention-policy --log-group-name NAME --retention-in-days N"
    ),
    kinds=("logs.log_group",),
)


def subscription_to_another_account(graph: Graph, node: Node) -> Iterator[Hit]:
    own = account_of(graph, node.id)
    if not own:
        return  # whose the group is cannot be said: nothing to compare with
    crossing = []
    for edge in graph.flows_out(node.id):
        said = [evidence for evidence in edge.evidence if evidence.operation == _SUBSCRIPTION]
        destination = account_of(graph, edge.target)
        if said and destination and destination != own:
            crossing.append((edge.target, destination, said))
    if crossing:
        where = ", ".join(f"{target} (account {account})" for target, account, _ in crossing)
        yield Hit(node.id, f"Log group {node.name} sends its events to another account through a subscription "
                  f"filter: {where}.", tuple(evidence for *_, said in crossing for evidence in said))


rule(
    subscription_to_another_account,
    id="logs.subscription_to_another_account",
    title="CloudWatch log group subscribed to another account",
    category=Category.EXPOSURE,
    severity=Severity.MEDIUM,
    remediation=(
        "Confirm that the receiving account is yours and meant to hold these events (a central logging account) "
        "and that the filter pattern sends only what it needs; otherwise remove the filter: "
        "aws logs delete-subscription-filter --log-group-name NAME --filter-name FILTER"
    ),
    kinds=("logs.log_group",),
)
