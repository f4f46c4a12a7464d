"""Model invocation logging as a flow: with logging on in an account and region, Bedrock copies the prompt and
the answer of every model invocation there to the logging destinations. So every model node invoked there
WRITES to that region's `bedrock.invocation_logging` node — a join across collectors, since the models are
named by others (state machines' InvokeModel tasks, agents, knowledge bases).

A foundation model's ARN names no account (AWS's models are shared by every account), and its node is one
node for all who invoke it. With one account scanned, its region's logging node is the one; with several,
the model gets an edge to the logging node of each scanned account in its region: invocations from any of
them may be logged there, and configuration does not say which account invoked which model. A model of an
account's own (custom or provisioned model, inference profile) goes to its account's node only. A model
chosen at run time (`dynamic:`) is invoked from the account and region of what chooses it: its invocations
are logged there too.
"""

from __future__ import annotations

from collections.abc import Mapping

from lineage import arn as arns
from lineage.model import Edge, EdgeKind, Evidence, Node

LOGGING_KIND = "bedrock.invocation_logging"
MODEL_KIND = "bedrock.model"
_OPERATION = "bedrock:GetModelInvocationLoggingConfiguration"


def _where(node: Node) -> tuple[str, str]:
    """(account, region) of a model: as read, else as its id names them (a dynamic one by its owner's id)."""
    named = node.id[len(arns.DYNAMIC_PREFIX):].split("#", 1)[0] if arns.is_dynamic(node.id) else node.id
    parsed = arns.parse_arn(named)
    return node.account or (parsed.account if parsed else ""), node.region or (parsed.region if parsed else "")


def logged_invocations(nodes: Mapping[str, Node]) -> list[Edge]:
    """model —WRITES→ the logging node of each account whose logging may copy its invocations."""
    loggers: dict[str, list[Node]] = {}
    for node in nodes.values():
        delivers = node.attributes.get("delivers") if node.kind == LOGGING_KIND and node.observed else None
        if isinstance(delivers, list) and delivers:  # logging on, and prompts or answers are delivered
            loggers.setdefault(node.region, []).append(node)
    said = {region: [(logger, Evidence(_OPERATION, logger.id, "loggingConfig",
                                       f"{', '.join(map(str, logger.attributes['delivers']))} of every invocation "
                                       f"in {region} delivered", dynamic=False))
                     for logger in sorted(held, key=lambda n: n.id)] for region, held in loggers.items()}
    edges = []
    for model in sorted((n for n in nodes.values() if n.kind == MODEL_KIND), key=lambda n: n.id):
        account, region = _where(model)
        for logger, evidence in said.get(region, ()):
            if account and logger.account != account:
                continue  # a model of another account's own is logged by that account's configuration
            edges.append(Edge(model.id, logger.id, EdgeKind.WRITES, (evidence,)))
    return edges
