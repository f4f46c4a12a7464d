"""Answers recorded as AWS sends them (`recorded/<service>.json`: the JSON bodies, times as ISO text),
made into what a boto3 client returns by botocore's own parser, for Stubber to hand to the code."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
from botocore.parsers import create_parser

RECORDED = Path(__file__).resolve().parent / "recorded"


@cache
def _model(client: str) -> Any:
    return botocore.session.get_session().get_service_model(client)


def recorded(service: str) -> dict[str, Any]:
    """The raw bodies of `recorded/<service>.json`, fresh each time (tests may change them)."""
    return json.loads((RECORDED / f"{service}.json").read_text(encoding="utf-8"))


def parsed(client: str, operation: str, body: Any) -> dict[str, Any]:
    """What `client.<operation>` returns for this body: timestamps as datetimes, as botocore parses them."""
    model = _model(client)
    parser = create_parser(model.protocol)
    answer = parser.parse({"body": json.dumps(body).encode(), "headers": {}, "status_code": 200},
                          model.operation_model(operation).output_shape)
    answer.pop("ResponseMetadata", None)
    return answer


def read_through(stub: Any, ctx: Any, get: Any, region: str) -> Any:
    """What a collector's `get` reads from the answers stubbed, each of them used, and no gap left behind
    (a resource deleted between listing and reading, among them, holds nothing: it is not a gap)."""
    with stub:
        read = get(ctx, region)
        stub.assert_no_pending_responses()
    ctx.close()
    assert ctx.gaps == [], ctx.gaps
    return read
