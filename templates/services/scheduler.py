"""EventBridge Scheduler schedules in a template → `GetSchedule` and the groups' `ListTagsForResource` as the
deployed schedules answer them → the Scheduler collector's transform.

A schedule's `Target` is answered as written (the names are the API's); where the template is silent the
schedule is ENABLED, in the `default` group, in UTC, with no flexible window, retried 185 times over a day, and
what it keeps (its input) is encrypted with a key AWS owns. Tags live on groups: a group the template defines
(`AWS::Scheduler::ScheduleGroup`) gives its tags to its schedules, the `default` group has none, and the tags of
a group defined elsewhere are not known here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors import scheduler
from lineage.model import Facts
from templates.services.common import finished, tag_map
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::Scheduler::Schedule", "AWS::Scheduler::ScheduleGroup"})
DEFAULT_GROUP = "default"
DEFAULT_RETRY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}


def schedule_answer(schedule: Placed) -> tuple[dict[str, Any], list[str]]:
    """(`GetSchedule` of the deployed schedule, the configuration AWS's defaults gave)."""
    properties = schedule.properties
    defaults: list[str] = []
    target = dict(properties.get("Target")) if isinstance(properties.get("Target"), Mapping) else {}
    if "RetryPolicy" not in target:
        target["RetryPolicy"] = DEFAULT_RETRY
    answer: dict[str, Any] = {
        "Arn": schedule.id, "Name": schedule.name, "GroupName": str(properties.get("GroupName") or DEFAULT_GROUP),
        "State": str(properties.get("State") or "ENABLED"),
        "ScheduleExpression": str(properties.get("ScheduleExpression") or ""),
        "ScheduleExpressionTimezone": str(properties.get("ScheduleExpressionTimezone") or "UTC"),
        "FlexibleTimeWindow": _window(properties.get("FlexibleTimeWindow")),
        "Target": target, "ActionAfterCompletion": str(properties.get("ActionAfterCompletion") or "NONE"),
        "Description": str(properties.get("Description") or ""),
    }
    if properties.get("KmsKeyArn"):
        answer["KmsKeyArn"] = str(properties["KmsKeyArn"])
    else:
        defaults.append("kms_key")
    for key in ("StartDate", "EndDate"):
        if properties.get(key):
            answer[key] = str(properties[key])
    return answer, defaults


def _window(value: Any) -> dict[str, Any]:
    """`FlexibleTimeWindow` as answered: OFF where the template is silent, its mode as written otherwise."""
    if isinstance(value, Mapping):
        return dict(value)
    return {"Mode": str(value) if value else "OFF"}


def _group_tags(stack: Stack) -> dict[str, dict[str, str]]:
    """The tags of each group whose tags are known: the template's groups', and the `default` group's (none)."""
    tags: dict[str, dict[str, str]] = {DEFAULT_GROUP: {}}
    for placed in stack.placed.values():
        if placed.type == "AWS::Scheduler::ScheduleGroup":
            tags[placed.name] = tag_map(placed.properties.get("Tags"))
    return tags


def facts(stack: Stack) -> Facts:
    schedules, defaults = [], {}
    for placed in stack.placed.values():
        if placed.type == "AWS::Scheduler::Schedule":
            answer, said = schedule_answer(placed)
            schedules.append({"Schedule": answer})
            defaults[placed.id] = said
    raw = {"Schedules": schedules, "GroupTags": _group_tags(stack)}
    read = scheduler.transform_scheduler(raw, stack.account, stack.region)
    return finished(read, defaults, {})


