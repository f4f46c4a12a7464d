"""SageMaker operations the scan makes that moto 5.2.5 does not serve, from moto's own state.

- `ListFeatureGroups`: the feature groups moto keeps (`CreateFeatureGroup`), as AWS lists them: summaries
  by creation time (`SortOrder`, ascending by default), filtered by `NameContains`, a page of `MaxResults`
  at a time with a `NextToken`.

Every other operation the SageMaker collector makes (the training, processing and transform jobs, models,
endpoints, endpoint configurations, `DescribeFeatureGroup`) moto serves itself.
"""

from __future__ import annotations

import json
from typing import Any

from moto.sagemaker import urls as sagemaker_urls
from moto.sagemaker.responses import SageMakerResponse

_DEFAULT_PAGE = 10  # AWS's default MaxResults for ListFeatureGroups


def _list_feature_groups(self: SageMakerResponse) -> str:
    body = json.loads(self.body or "{}")
    groups = sorted(self.sagemaker_backend.feature_groups.values(), key=lambda group: (group.creation_time, group.arn),
                    reverse=body.get("SortOrder") == "Descending")
    contains = body.get("NameContains")
    if contains:
        groups = [group for group in groups if contains in group.feature_group_name]
    start = int(body.get("NextToken") or 0)
    size = int(body.get("MaxResults") or _DEFAULT_PAGE)
    page = groups[start:start + size]
    summaries = [{"FeatureGroupName": group.feature_group_name, "FeatureGroupArn": group.arn,
                  "CreationTime": group.creation_time.timestamp(), "FeatureGroupStatus": "Created",
                  **({"OfflineStoreStatus": {"Status": "Active"}} if group.offline_store_config else {})}
                 for group in page]
    answer: dict[str, Any] = {"FeatureGroupSummaries": summaries}
    if start + size < len(groups):
        answer["NextToken"] = str(start + size)
    return json.dumps(answer)


ADDITIONS: list[tuple[Any, type, str, str, Any]] = [
    # (urls module, response class, path, method name, how it answers); JSON protocol: one path, by target
    (sagemaker_urls, SageMakerResponse, "{0}/$", "list_feature_groups", _list_feature_groups),
]
