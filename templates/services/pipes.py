"""EventBridge Pipes in a template → `DescribePipe` as the deployed pipe answers it → the Pipes collector's
transform.

A pipe's properties are the API's own names (source, enrichment and target, each with its parameters, the log
configuration), so they are answered as written. Where the template is silent the pipe runs (DesiredState
RUNNING, which it reaches once made) and what it holds in transit is encrypted with a key AWS owns;
`aws_defaults` says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors import pipes
from lineage.model import Facts
from templates.services.common import finished
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::Pipes::Pipe"})
_AS_WRITTEN = ("Description", "Source", "SourceParameters", "Enrichment", "EnrichmentParameters", "Target",
               "TargetParameters", "RoleArn", "LogConfiguration", "KmsKeyIdentifier")


def pipe_answer(pipe: Placed) -> tuple[dict[str, Any], list[str]]:
    """(`DescribePipe` of the deployed pipe, the configuration AWS's defaults gave)."""
    properties = pipe.properties
    defaults: list[str] = []
    desired = str(properties.get("DesiredState") or "RUNNING")
    answer: dict[str, Any] = {"Arn": pipe.id, "Name": pipe.name, "DesiredState": desired, "CurrentState": desired,
                              "StateReason": ""}
    answer.update({key: properties[key] for key in _AS_WRITTEN if properties.get(key) is not None})
    if not properties.get("KmsKeyIdentifier"):
        defaults.append("kms_key")
    tags = properties.get("Tags")
    answer["Tags"] = {str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {}
    return answer, defaults


def facts(stack: Stack) -> Facts:
    answers, defaults = [], {}
    for placed in stack.placed.values():
        if placed.type in TYPES:
            answer, said = pipe_answer(placed)
            if not isinstance(answer.get("Source"), str) or not isinstance(answer.get("Target"), str):
                # As a pipe DescribePipe could not answer for: what it names is kept, the rest is not known.
                stack.warnings.append(f"pipe {placed.logical_id}: names no source or no target")
                answer = {key: answer[key] for key in ("Arn", "Name", "Source", "Enrichment", "Target")
                          if isinstance(answer.get(key), str)} | {"Unread": True}
            answers.append(answer)
            defaults[placed.id] = said
    read = pipes.transform_pipes(answers, stack.account, stack.region)
    return finished(read, defaults, {})


