"""EMR Serverless applications in a template → what ListApplications and ListJobRuns answer for the deployed
stack → the EMR Serverless collector's transform.

What an application reads and writes is in its job runs, which are started, not deployed: a freshly deployed
application (CREATED) has none, so it reads and writes nothing yet, as a scan of it would say. The runs a scan
finds later are where its flows come from.
"""

from __future__ import annotations

from typing import Any

from collectors import emrserverless
from lineage.model import Facts
from templates.stack import Placed, Stack, each_placed

TYPES = frozenset({"AWS::EMRServerless::Application"})


def application_record(placed: Placed) -> dict[str, Any]:
    """ListApplications' item for the deployed application, and its (no) job runs."""
    p = placed.properties
    listed = {"id": placed.name, "name": str(p.get("Name") or placed.name), "arn": placed.id,
              "type": str(p.get("Type") or ""), "state": "CREATED", "releaseLabel": str(p.get("ReleaseLabel") or "")}
    if p.get("Architecture"):
        listed["architecture"] = p["Architecture"]
    return {"Application": listed, "JobRuns": []}


def facts(stack: Stack) -> Facts:
    records = each_placed(stack, TYPES, application_record)
    return emrserverless.transform_emr_serverless(records, stack.account, stack.region)
