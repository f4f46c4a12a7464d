"""The least-privilege IAM policy of the scanner: read-only, and exactly the actions of the calls the
collectors declare (the wiring hands them in, so this module stays a pure function of them)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

_READ_PREFIXES = ("Get", "List", "Describe", "BatchGet")


def is_read(action: str) -> bool:
    return action.split(":", 1)[1].startswith(_READ_PREFIXES)


def scanner_policy(actions: Iterable[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "LineageTrackerReadOnly", "Effect": "Allow", "Action": sorted(set(actions)),
                       "Resource": "*"}],
    }


def policy_json(actions: Iterable[str]) -> str:
    return json.dumps(scanner_policy(actions), indent=2) + "\n"
