"""EMR Serverless: applications, and what their recent job runs read and write.

An application is where Spark or Hive jobs run; what it reads and writes is in each job run: the
`sparkSubmit` entry point arguments, judged as a Glue job's arguments are (`lineage.glue_arguments`),
and the S3 place its logs go to (`configurationOverrides.monitoringConfiguration
.s3MonitoringConfiguration.logUri`). The entry point itself (the script or jar) and the spark-submit
parameters (`--conf`, `--py-files`…) are code, not data. A Hive run's query is a file of code too.

Applications that are TERMINATED are not read: they run nothing. The work is bounded: one `ListJobRuns`
page per application, of runs created in the last `RECENT_DAYS` days, at most `MOST_RUNS`; each of those
described once. The bound is on each application's node (`recent_runs_bound`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.context import AwsContext, each_resource, is_gone
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage.glue_arguments import command_line_facts
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

KIND = "emr_serverless.application"
RECENT_DAYS = 30
MOST_RUNS = 20
_LIVE_STATES = ("CREATING", "CREATED", "STARTING", "STARTED", "STOPPING", "STOPPED")
_GONE = ("ResourceNotFoundException",)

LIST_APPLICATIONS = Call("emr-serverless", "list_applications", result_key="applications",
                         required=("id", "arn"))
LIST_JOB_RUNS = Call("emr-serverless", "list_job_runs", required=("jobRuns",), gone=_GONE)
GET_JOB_RUN = Call("emr-serverless", "get_job_run", required=("jobRun.jobRunId",), gone=_GONE)


def _read_applications(ctx: AwsContext, region: str, applications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    since = datetime.now(UTC) - timedelta(days=RECENT_DAYS)

    def read(listed: dict[str, Any]) -> dict[str, Any] | None:
        application_id = str(listed["id"])
        runs = ctx.call(LIST_JOB_RUNS, region, application_id, applicationId=application_id,
                        createdAtAfter=since, maxResults=MOST_RUNS)
        if is_gone(runs):
            return None
        record: dict[str, Any] = {"Application": listed}
        if runs is None:
            return record
        summaries = [run for run in runs["jobRuns"] if isinstance(run, Mapping) and run.get("id")][:MOST_RUNS]
        described = []
        for summary in summaries:
            answer = ctx.call(GET_JOB_RUN, region, str(summary["id"]), applicationId=application_id,
                              jobRunId=str(summary["id"]))
            if answer is None:
                record["RunsUnread"] = record.get("RunsUnread", 0) + 1
            elif not is_gone(answer):
                described.append(answer["jobRun"])
        record["JobRuns"] = described
        return record

    return [record for record in ctx.map(read, applications) if record is not None]


def get_emr_serverless(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    applications = ctx.pages(LIST_APPLICATIONS, region, region, states=list(_LIVE_STATES))
    if applications is None:
        return []
    by_id = {str(application["id"]): application for application in applications}
    return _read_applications(ctx, region, list(by_id.values()))


def get_named_applications(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Applications that other facts name (a state machine's `startJobRun`), read one by one when the
    listing could not be read."""
    found: dict[str, dict[str, Any]] = {}
    for named in wanted.get(KIND, ()):
        parsed = arns.parse_arn(named)
        if parsed is not None and parsed.region == region and parsed.resource.startswith("/applications/"):
            application_id = parsed.resource.split("/")[2]
            found[application_id] = {"id": application_id, "arn": named}
    return _read_applications(ctx, region, [found[key] for key in sorted(found)])


# --- transform ------------------------------------------------------------------------------------


def _run_facts(application_id: str, run: Mapping[str, Any], region: str, account: str) -> Facts:
    label = str(run.get("name") or run.get("jobRunId") or "")
    path = f"jobRuns[{label}]"
    spark = (run.get("jobDriver") or {}).get("sparkSubmit") or {}
    facts = command_line_facts(application_id, spark.get("entryPointArguments") or [], region, account,
                               "emr-serverless:GetJobRun", application_id,
                               f"{path}.jobDriver.sparkSubmit.entryPointArguments")
    monitoring = (run.get("configurationOverrides") or {}).get("monitoringConfiguration") or {}
    log_uri = str((monitoring.get("s3MonitoringConfiguration") or {}).get("logUri") or "")
    log = arns.parse_s3_url(log_uri)
    if log is None:
        return facts
    evidence = Evidence("emr-serverless:GetJobRun", application_id,
                        f"{path}.configurationOverrides.monitoringConfiguration.s3MonitoringConfiguration.logUri",
                        log_uri)
    place = arns.s3_location_id(*log)
    return Facts.concat([facts, Facts((arns.referenced_node(place),),
                                      (Edge(application_id, place, EdgeKind.WRITES, (evidence,)),))])


def transform_application(record: dict[str, Any], account: str, region: str) -> Facts:
    listed = record["Application"]
    application_id = str(listed.get("arn") or arns.emr_serverless_application_arn(region, account, str(listed["id"])))
    attributes: dict[str, Any] = {
        "application_id": str(listed["id"]),
        "type": listed.get("type", ""),
        "state": listed.get("state", ""),
        "release": listed.get("releaseLabel", ""),
        "recent_runs_bound": {"days": RECENT_DAYS, "most": MOST_RUNS},
    }
    parts: list[Facts] = []
    if "JobRuns" in record:
        runs = record["JobRuns"]
        attributes["recent_runs"] = [str(run.get("name") or run.get("jobRunId")) for run in runs]
        roles = sorted({str(run["executionRole"]) for run in runs if run.get("executionRole")})
        attributes["roles"] = roles
        if len(roles) == 1:
            attributes["role"] = roles[0]
        if any((run.get("networkConfiguration") or {}).get("subnetIds") for run in runs):
            attributes["in_vpc"] = True  # no subnet on a run does not say the application has none
        parts.extend(_run_facts(application_id, run, region, account) for run in runs)
    unread = (["job_runs"] if "JobRuns" not in record or record.get("RunsUnread") else [])
    if unread:
        attributes["unread"] = unread
    node = Node(application_id, KIND, str(listed.get("name") or listed["id"]), stage_for(KIND), account, region,
                True, attributes)
    return Facts.concat([Facts((node,)), *parts])


def transform_emr_serverless(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda record: transform_application(record, account, region), GET_JOB_RUN,
                         lambda record: record["Application"]["id"], region)


COLLECTOR = Collector(
    service="emr-serverless", label="EMR Serverless",
    calls=(LIST_APPLICATIONS, LIST_JOB_RUNS, GET_JOB_RUN),
    get=get_emr_serverless, transform=transform_emr_serverless,
    listings={KIND: LIST_APPLICATIONS}, get_named=get_named_applications,
)
