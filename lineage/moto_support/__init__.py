"""Operations a scan makes that moto does not serve, served from moto's own state, so that a scan of an
estate in moto — the demo's, the demo server's, the tests' — reads it whole as it would an account:

- Macie's `ListFindings` and `GetFindings`: the findings a test puts on moto's Macie backend
  (`seed_macie_findings`), none by default, as in an account where Macie runs and found nothing
  (moto starts every account with Macie enabled);
- Lake Formation's `SearchDatabasesByLFTags` and `SearchTablesByLFTags`: from the LF-tags moto keeps
  (`AddLFTagsToResource`) on the databases and tables moto's Glue holds, inherited as Lake Formation
  inherits them (database → table → column);
- DynamoDB's `DescribeKinesisStreamingDestination`: the Kinesis data streams a test seeds on a table
  (`seed_streaming_destinations`), none by default;
- and, one module per service beside this one, what the collectors of both ends of the flows read that moto
  lacks: AppSync's data sources (`apigateway`), Athena's saved queries read in batches and prepared
  statements (`athena`), Lambda's function URLs (`awslambda`), Bedrock's guardrails, knowledge-base data
  sources, action groups and agents' knowledge bases (`bedrock`), QuickSight's datasets, analyses and the
  datasets a dashboard shows (`quicksight`), SageMaker's feature groups listed (`sagemaker`); and S3's
  replication rules answered with the filter they were put with, where moto answers every one with an empty
  prefix (`s3`).

Without them a scan of any estate in moto would meet `404: Not yet implemented` on these operations.
`install` adds them once per process (`lineage.demo` before it builds an estate, `tests/conftest.py` for
every test), for in-process mocks and the threaded moto servers alike; an operation moto serves itself is
left to moto. The shapes are the API reference's, and what the collectors make of real answers is tested
on recorded ones with botocore's Stubber.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.dynamodb import urls as dynamodb_urls
from moto.dynamodb.exceptions import ResourceNotFoundException as DynamoResourceNotFound
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.responses import DynamoHandler
from moto.glue.models import glue_backends
from moto.lakeformation import urls as lakeformation_urls
from moto.lakeformation.responses import LakeFormationResponse
from moto.macie2 import urls as macie_urls
from moto.macie2.exceptions import ValidationException
from moto.macie2.models import macie2_backends
from moto.macie2.responses import MacieResponse

_FINDINGS = "lineage_test_findings"  # the attribute of moto's Macie backend that holds the findings seeded
GET_FINDINGS_MOST = 50


def seed_macie_findings(account: str, region: str, findings: Iterable[Mapping[str, Any]]) -> None:
    """Findings (shaped as `GetFindings` answers them, times as ISO text) moto's Macie then holds."""
    setattr(macie2_backends[account][region], _FINDINGS, [dict(finding) for finding in findings])


def _findings(response: MacieResponse) -> list[dict[str, Any]]:
    return list(getattr(response.macie_backend, _FINDINGS, []))


def _value(finding: Mapping[str, Any], dotted: str) -> str | None:
    value: Any = finding
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return str(value).lower() if isinstance(value, bool) else str(value)


def _meets(finding: Mapping[str, Any], criterion: Mapping[str, Mapping[str, Any]]) -> bool:
    for field, condition in criterion.items():
        value = _value(finding, field)
        if "eq" in condition and value not in condition["eq"]:
            return False
        if "neq" in condition and value in condition["neq"]:
            return False
    return True


def _list_findings(self: MacieResponse) -> str:
    criterion = (self._get_param("findingCriteria") or {}).get("criterion") or {}
    found = [finding["id"] for finding in _findings(self) if _meets(finding, criterion)]
    start = int(self._get_param("nextToken") or 0)
    size = int(self._get_param("maxResults") or 50)
    answer: dict[str, Any] = {"findingIds": found[start:start + size]}
    if start + size < len(found):
        answer["nextToken"] = str(start + size)
    return json.dumps(answer)


def _get_findings(self: MacieResponse) -> str:
    wanted = self._get_param("findingIds") or []
    if len(wanted) > GET_FINDINGS_MOST:
        raise ValidationException(f"findingIds holds {len(wanted)} ids; at most {GET_FINDINGS_MOST} are taken")
    held = {finding["id"]: finding for finding in _findings(self)}
    return json.dumps({"findings": [held[i] for i in wanted if i in held]})


# --- Lake Formation -------------------------------------------------------------------------------


def _effective(inherited: list[dict[str, Any]], own: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tags of a resource as Lake Formation answers them: its own, and those of its parent it does not override."""
    keys = {tag["TagKey"] for tag in own}
    return [*(tag for tag in inherited if tag["TagKey"] not in keys), *own]


def _matches(tags: list[dict[str, Any]], expression: list[dict[str, Any]]) -> bool:
    """Every condition of the expression met: the key is there with one of the values named."""
    return all(any(tag["TagKey"] == condition["TagKey"] and set(tag["TagValues"]) & set(condition["TagValues"])
                   for tag in tags) for condition in expression)


def _catalog(response: LakeFormationResponse) -> tuple[str, Any, Any]:
    catalog = response._get_param("CatalogId") or response.current_account
    return catalog, response.lakeformation_backend, glue_backends[response.current_account][response.region]


def _search_databases(self: LakeFormationResponse) -> str:
    catalog, lakeformation, glue = _catalog(self)
    expression = self._get_param("Expression") or []
    found = []
    for name in glue.databases:
        tags = list(lakeformation.lf_database_tags.get((catalog, name), []))
        if tags and _matches(tags, expression):
            found.append({"Database": {"CatalogId": catalog, "Name": name}, "LFTags": tags})
    return json.dumps({"DatabaseList": found})


def _search_tables(self: LakeFormationResponse) -> str:
    catalog, lakeformation, glue = _catalog(self)
    expression = self._get_param("Expression") or []
    found = []
    for database_name, database in glue.databases.items():
        on_database = list(lakeformation.lf_database_tags.get((catalog, database_name), []))
        for table_name, table in database.tables.items():
            own = lakeformation.lf_table_tags.get((catalog, database_name, table_name), [])
            on_table = _effective(on_database, own)
            described = table.as_dict()
            names = [c["Name"] for c in [*(described.get("StorageDescriptor") or {}).get("Columns", []),
                                         *described.get("PartitionKeys", [])]]
            columns = [{"Name": name, "LFTags": _effective(
                on_table, lakeformation.lf_columns_tags.get((catalog, database_name, table_name, name), []))}
                for name in names]
            if any(_matches(tags, expression) for tags in [on_table, *(c["LFTags"] for c in columns)]):
                found.append({"Table": {"CatalogId": catalog, "DatabaseName": database_name, "Name": table_name},
                              "LFTagOnDatabase": on_database, "LFTagsOnTable": on_table,
                              "LFTagsOnColumns": [c for c in columns if c["LFTags"]]})
    return json.dumps({"TableList": found})


_STREAMING = "lineage_test_streaming_destinations"  # the attribute of a moto table holding its destinations


def seed_streaming_destinations(account: str, region: str, table: str, streams: Iterable[str]) -> None:
    """Kinesis data streams moto's DynamoDB then says the table streams its changes to (active)."""
    setattr(dynamodb_backends[account][region].get_table(table), _STREAMING, list(streams))


def _streaming_destinations(self: DynamoHandler) -> str:
    name = self.body["TableName"]
    try:
        table = self.dynamodb_backend.get_table(name)
    except DynamoResourceNotFound as error:
        raise JsonRESTError("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found") \
            from error
    destinations = [{"StreamArn": arn, "DestinationStatus": "ACTIVE"} for arn in getattr(table, _STREAMING, [])]
    return json.dumps({"TableName": table.name, "KinesisDataStreamDestinations": destinations})


_ADDITIONS: list[tuple[Any, type, str, str, Any]] = [
    # DynamoDB's DescribeKinesisStreamingDestination: none unless a test seeds some, as in most accounts.
    (dynamodb_urls, DynamoHandler, "{0}/", "describe_kinesis_streaming_destination", _streaming_destinations),
    # (urls module, response class, path, method name, how it answers)
    (macie_urls, MacieResponse, "{0}/findings$", "list_findings", _list_findings),
    (macie_urls, MacieResponse, "{0}/findings/describe$", "get_findings", _get_findings),
    (lakeformation_urls, LakeFormationResponse, "{0}/SearchDatabasesByLFTags$", "search_databases_by_lf_tags",
     _search_databases),
    (lakeformation_urls, LakeFormationResponse, "{0}/SearchTablesByLFTags$", "search_tables_by_lf_tags",
     _search_tables),
]


def install() -> None:
    """Teach moto the operations above and those of each service's module here (idempotent); before any moto
    server starts, which reads the paths."""
    from lineage.moto_support import (  # noqa: PLC0415 - they may use this module's helpers
        apigateway,
        athena,
        awslambda,
        bedrock,
        quicksight,
        s3,
        sagemaker,
    )

    s3.install()  # a correction of what moto answers, rather than an operation it lacks
    every = [*_ADDITIONS, *(addition for service in (apigateway, athena, awslambda, bedrock, quicksight, sagemaker)
                            for addition in service.ADDITIONS)]
    for module, response, path, method, answer in every:
        if hasattr(response, method):  # moto serves it now
            continue
        setattr(response, method, answer)
        module.url_paths.setdefault(path, response.dispatch)
