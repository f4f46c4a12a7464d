"""QuickSight as a scan reads it, where moto 5.2.5 falls short, served from moto's own objects:

- `ListDataSets` and `DescribeDataSet`, which moto does not serve. moto's `CreateDataSet` keeps only the
  id, the name and the tags of what it is given, so the rest of a dataset's definition (its physical
  tables, import mode, row- and column-level security) is kept on moto's dataset object by
  `seed_data_set_definition`, called with the very request the data set was created with. Datasets are
  answered with the ARN AWS gives them (`…:dataset/ID`), not moto's `…:data-set/ID`, and their tags filed
  under it too.
- `CreateAnalysis`, `ListAnalyses` and `DescribeAnalysis`, which moto does not serve: analyses are kept
  on moto's QuickSight backend, their datasets read from the source template or the definition given.
- `DescribeDashboard` is moto's own, but answers no `Version.DataSetArns` (and puts the whole source
  entity where the source template's ARN belongs). `serve_dashboard_data_sets` has moto's dashboards
  answer both as AWS does, from the source entity or the definition moto keeps on each.

An operation moto serves itself is left to it (see `lineage.moto_support.install`); what a collector
makes of AWS's real answers is tested on recorded ones with botocore's Stubber.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from moto.quicksight import urls as quicksight_urls
from moto.quicksight.data_models import QuicksightDashboard
from moto.quicksight.exceptions import ResourceNotFoundException
from moto.quicksight.models import QuickSightBackend, quicksight_backends
from moto.quicksight.responses import QuickSightResponse
from moto.utilities.utils import get_partition

_DEFINITION = "lineage_definition"  # the attribute of a moto dataset holding the whole CreateDataSet request
_ANALYSES = "lineage_analyses"  # the attribute of moto's QuickSight backend holding the analyses created
# What DescribeDataSet answers of a definition, beside the id, name, ARN and times.
_DATA_SET_FIELDS = ("PhysicalTableMap", "LogicalTableMap", "ImportMode", "ColumnGroups", "FieldFolders",
                    "RowLevelPermissionDataSet", "RowLevelPermissionTagConfiguration", "ColumnLevelPermissionRules",
                    "DataSetUsageConfiguration", "DatasetParameters", "PerformanceConfiguration", "UseAs")


def _arn(region: str, account: str, resource: str) -> str:
    return f"arn:{get_partition(region)}:quicksight:{region}:{account}:{resource}"


# --- datasets -------------------------------------------------------------------------------------


def seed_data_set_definition(account: str, region: str, request: Mapping[str, Any]) -> None:
    """Keep on moto's dataset what CreateDataSet was given (`request`, as passed to it), which moto drops."""
    backend = quicksight_backends[account][region]
    data_set = backend.data_sets[request["DataSetId"]]
    setattr(data_set, _DEFINITION, {**dict(request), "CreatedTime": time.time()})
    if request.get("Tags"):  # moto files them under its own spelling of the ARN
        backend.tagger.tag_resource(_arn(region, account, f"dataset/{data_set._id}"), list(request["Tags"]))


def _data_set(self: QuickSightResponse, data_set: Any) -> dict[str, Any]:
    definition = getattr(data_set, _DEFINITION, {})
    created = definition.get("CreatedTime", time.time())
    answer = {"Arn": _arn(self.region, self.current_account, f"dataset/{data_set._id}"),
              "DataSetId": data_set._id, "Name": data_set.name, "CreatedTime": created, "LastUpdatedTime": created}
    answer.update({key: definition[key] for key in _DATA_SET_FIELDS if key in definition})
    return answer


def _summary(described: Mapping[str, Any]) -> dict[str, Any]:
    summary = {key: described[key] for key in ("Arn", "DataSetId", "Name", "CreatedTime", "LastUpdatedTime",
                                               "ImportMode", "RowLevelPermissionDataSet", "UseAs")
               if key in described}
    summary["RowLevelPermissionTagConfigurationApplied"] = "RowLevelPermissionTagConfiguration" in described
    summary["ColumnLevelPermissionRulesApplied"] = bool(described.get("ColumnLevelPermissionRules"))
    return summary


def _pages(self: QuickSightResponse, items: list[dict[str, Any]], key: str) -> str:
    start = int(self._get_param("NextToken") or self._get_param("next-token") or 0)
    size = int(self._get_param("MaxResults") or self._get_param("max-results") or 100)
    answer: dict[str, Any] = {key: items[start:start + size], "RequestId": "lineage", "Status": 200}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return json.dumps(answer)


def _list_data_sets(self: QuickSightResponse) -> str:
    data_sets = self.quicksight_backend.data_sets.values()
    return _pages(self, [_summary(_data_set(self, data_set)) for data_set in data_sets], "DataSetSummaries")


def _describe_data_set(self: QuickSightResponse) -> str:
    data_set_id = self._get_param("DataSetId")
    data_set = self.quicksight_backend.data_sets.get(data_set_id)
    if data_set is None:
        raise ResourceNotFoundException(f"Data set {data_set_id} not found")
    return json.dumps({"DataSet": _data_set(self, data_set), "RequestId": "lineage", "Status": 200})


# --- analyses and dashboards: the datasets they are built on -------------------------------------


def _data_set_arns(source_entity: Any, definition: Any) -> list[str]:
    """The datasets a dashboard or analysis shows: its source template's references, or its definition's."""
    template = (source_entity or {}).get("SourceTemplate") or (source_entity or {}).get("SourceAnalysis") or {}
    references = template.get("DataSetReferences") or (definition or {}).get("DataSetIdentifierDeclarations") or []
    return [str(reference["DataSetArn"]) for reference in references if reference.get("DataSetArn")]


def _source_arn(source_entity: Any) -> str | None:
    template = (source_entity or {}).get("SourceTemplate") or (source_entity or {}).get("SourceAnalysis") or {}
    return template.get("Arn")


def _analyses(backend: QuickSightBackend) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, _ANALYSES):
        setattr(backend, _ANALYSES, {})
    return getattr(backend, _ANALYSES)


def _create_analysis(self: QuickSightResponse) -> str:
    analysis_id = self._get_param("AnalysisId")
    now = time.time()
    analysis = {"AnalysisId": analysis_id, "Arn": _arn(self.region, self.current_account, f"analysis/{analysis_id}"),
                "Name": self._get_param("Name"), "Status": "CREATION_SUCCESSFUL", "CreatedTime": now,
                "LastUpdatedTime": now,
                "DataSetArns": _data_set_arns(self._get_param("SourceEntity"), self._get_param("Definition"))}
    if self._get_param("ThemeArn"):
        analysis["ThemeArn"] = self._get_param("ThemeArn")
    _analyses(self.quicksight_backend)[analysis_id] = analysis
    return json.dumps({"Arn": analysis["Arn"], "AnalysisId": analysis_id, "CreationStatus": analysis["Status"],
                       "RequestId": "lineage", "Status": 200})


def _list_analyses(self: QuickSightResponse) -> str:
    summaries = [{key: analysis[key] for key in ("Arn", "AnalysisId", "Name", "Status", "CreatedTime",
                                                 "LastUpdatedTime")}
                 for analysis in _analyses(self.quicksight_backend).values()]
    return _pages(self, summaries, "AnalysisSummaryList")


def _describe_analysis(self: QuickSightResponse) -> str:
    analysis_id = self._get_param("AnalysisId")
    analysis = _analyses(self.quicksight_backend).get(analysis_id)
    if analysis is None:
        raise ResourceNotFoundException(f"Analysis {analysis_id} not found")
    return json.dumps({"Analysis": analysis, "RequestId": "lineage", "Status": 200})


class _Dashboard(QuicksightDashboard):
    """A moto dashboard answering `Version.DataSetArns` and `Version.SourceEntityArn` as AWS does."""

    def to_dict(self) -> dict[str, Any]:
        answer = super().to_dict()
        version = {key: value for key, value in answer["Version"].items() if key != "SourceEntity"}
        version["DataSetArns"] = _data_set_arns(self.source_entity, self.definition)
        source = _source_arn(self.source_entity)
        if source:
            version["SourceEntityArn"] = source
        else:
            version.pop("SourceEntityArn", None)
        return {**answer, "Version": version}


def serve_dashboard_data_sets(account: str, region: str) -> None:
    """Have every dashboard moto holds for the account and region answer its datasets (idempotent)."""
    for dashboard in quicksight_backends[account][region].dashboards.values():
        if type(dashboard) is QuicksightDashboard:
            dashboard.__class__ = _Dashboard


ADDITIONS: list[tuple[Any, type, str, str, Any]] = [
    (quicksight_urls, QuickSightResponse, r"{0}/accounts/(?P<account_id>[\d]+)/data-sets$", "list_data_sets",
     _list_data_sets),
    (quicksight_urls, QuickSightResponse, r"{0}/accounts/(?P<account_id>[\d]+)/data-sets/(?P<datasetid>[^/.]+)$",
     "describe_data_set", _describe_data_set),
    (quicksight_urls, QuickSightResponse, r"{0}/accounts/(?P<account_id>[\d]+)/analyses$", "list_analyses",
     _list_analyses),
    (quicksight_urls, QuickSightResponse, r"{0}/accounts/(?P<account_id>[\d]+)/analyses/(?P<analysis_id>[^/]+)$",
     "create_analysis", _create_analysis),
    (quicksight_urls, QuickSightResponse, r"{0}/accounts/(?P<account_id>[\d]+)/analyses/(?P<analysis_id>[^/]+)$",
     "describe_analysis", _describe_analysis),
]
