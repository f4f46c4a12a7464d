"""QuickSight data sources, datasets, dashboards and analyses in a template → what ListDataSources,
DescribeDataSet (with ListTagsForResource), DescribeDashboard and DescribeAnalysis answer for the deployed stack
→ the QuickSight collector's transform.

CloudFormation writes a data source's parameters, a dataset's physical and logical tables and its row- and
column-level security as the API answers them; a dashboard or analysis shows the datasets its `Definition`
declares (or its source template's references), as its first version, published. Credentials are never read: only
the ARN of a secret, as the API answers. Every QuickSight resource lives in an account the ARN names: where the
caller gives none, the transform is run under a stand-in account and its ids written back with the account empty,
as every id a template gives without an account is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from collectors import quicksight
from lineage.model import Edge, Facts
from templates.services.common import list_of, mapping_of
from templates.stack import Placed, Stack, each_placed

DATA_SOURCE, DATA_SET, DASHBOARD, ANALYSIS = ("AWS::QuickSight::DataSource", "AWS::QuickSight::DataSet",
                                              "AWS::QuickSight::Dashboard", "AWS::QuickSight::Analysis")
TYPES = frozenset({DATA_SOURCE, DATA_SET, DASHBOARD, ANALYSIS})
CREATED = "CREATION_SUCCESSFUL"
_SECURITY = ("RowLevelPermissionDataSet", "RowLevelPermissionTagConfiguration", "ColumnLevelPermissionRules")


def data_source_answer(placed: Placed) -> dict[str, Any]:
    """ListDataSources' item for the deployed data source."""
    p = placed.properties
    answer = {"Arn": placed.id, "DataSourceId": placed.name, "Name": str(p.get("Name") or placed.name),
              "Type": str(p.get("Type") or ""), "Status": CREATED}
    for key in ("DataSourceParameters", "SslProperties", "VpcConnectionProperties"):
        if isinstance(p.get(key), Mapping):
            answer[key] = dict(p[key])
    secret = mapping_of(p.get("Credentials")).get("SecretArn")
    if secret:
        answer["SecretArn"] = secret
    return answer


def data_set_record(placed: Placed) -> dict[str, Any]:
    """ListDataSets' summary, DescribeDataSet's answer and the dataset's tags."""
    p = placed.properties
    data_set = {"Arn": placed.id, "DataSetId": placed.name, "Name": str(p.get("Name") or placed.name),
                "ImportMode": str(p.get("ImportMode") or ""),
                **{key: p[key] for key in ("PhysicalTableMap", "LogicalTableMap", *_SECURITY) if key in p}}
    summary = {"Arn": placed.id, "DataSetId": placed.name, "Name": data_set["Name"], "ImportMode":
               data_set["ImportMode"], "RowLevelPermissionTagConfigurationApplied": bool(
                   p.get("RowLevelPermissionTagConfiguration")),
               "ColumnLevelPermissionRulesApplied": bool(p.get("ColumnLevelPermissionRules"))}
    if isinstance(p.get("RowLevelPermissionDataSet"), Mapping):
        summary["RowLevelPermissionDataSet"] = p["RowLevelPermissionDataSet"]
    tags = {str(t["Key"]): str(t.get("Value", "")) for t in list_of(p.get("Tags")) if isinstance(t, Mapping)
            and "Key" in t}
    return {"Summary": summary, "DataSet": data_set, "Tags": tags}


def _shown_data_sets(properties: Mapping[str, Any]) -> list[str]:
    """The datasets a dashboard or analysis shows: its definition's declarations, or its source template's."""
    declared = [d.get("DataSetArn") for d in list_of(mapping_of(properties.get("Definition")).get(
        "DataSetIdentifierDeclarations")) if isinstance(d, Mapping)]
    referenced = [r.get("DataSetArn") for r in list_of(mapping_of(mapping_of(properties.get("SourceEntity")).get(
        "SourceTemplate")).get("DataSetReferences")) if isinstance(r, Mapping)]
    return [str(arn) for arn in [*declared, *referenced] if arn]


def dashboard_record(placed: Placed) -> dict[str, Any]:
    name = str(placed.properties.get("Name") or placed.name)
    version = {"VersionNumber": 1, "Status": CREATED, "DataSetArns": _shown_data_sets(placed.properties)}
    return {"Summary": {"Arn": placed.id, "DashboardId": placed.name, "Name": name, "PublishedVersionNumber": 1},
            "Dashboard": {"Arn": placed.id, "DashboardId": placed.name, "Name": name, "Version": version}}


def analysis_record(placed: Placed) -> dict[str, Any]:
    name = str(placed.properties.get("Name") or placed.name)
    return {"Summary": {"Arn": placed.id, "AnalysisId": placed.name, "Name": name, "Status": CREATED},
            "Analysis": {"Arn": placed.id, "AnalysisId": placed.name, "Name": name, "Status": CREATED,
                         "DataSetArns": _shown_data_sets(placed.properties)}}


# Every QuickSight id names an account; a template may not know it. Read under this stand-in, written back empty.
_UNKNOWN_ACCOUNT = "000000000000"


def _without_stand_in(value: str) -> str:
    return value.replace(f":{_UNKNOWN_ACCOUNT}:", "::", 1)


def _unknown_account(found: Facts) -> Facts:
    nodes = tuple(replace(n, id=_without_stand_in(n.id), account="" if n.account == _UNKNOWN_ACCOUNT else n.account)
                  for n in found.nodes)
    edges = tuple(Edge(_without_stand_in(e.source), _without_stand_in(e.target), e.kind, e.evidence)
                  for e in found.edges)
    return Facts(nodes, edges, found.gaps)


def facts(stack: Stack) -> Facts:
    if not any(p.type in TYPES for p in stack.placed.values()):
        return Facts()
    raw = {"Subscribed": True,
           "DataSources": each_placed(stack, frozenset({DATA_SOURCE}), data_source_answer),
           "DataSets": each_placed(stack, frozenset({DATA_SET}), data_set_record),
           "Dashboards": each_placed(stack, frozenset({DASHBOARD}), dashboard_record),
           "Analyses": each_placed(stack, frozenset({ANALYSIS}), analysis_record)}
    found = quicksight.transform_quicksight(raw, stack.account or _UNKNOWN_ACCOUNT, stack.region)
    return found if stack.account else _unknown_account(found)

