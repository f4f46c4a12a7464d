"""Athena operations the scan makes that moto 5.2.5 does not serve, from moto's own state.

- `BatchGetNamedQuery`: the named queries moto keeps (`CreateNamedQuery`), at most 50 ids a call as AWS takes
  them; an id moto does not hold comes back in `UnprocessedNamedQueryIds`, as AWS answers it.
- `ListPreparedStatements`: the prepared statements moto keeps (`CreatePreparedStatement`) in the workgroup
  asked for, a page of `MaxResults` (50 at most, AWS's default) at a time with a `NextToken`. moto keeps one
  statement per name across workgroups; AWS keeps one per name in each.

`ListNamedQueries` and `GetPreparedStatement` moto serves itself.
"""

from __future__ import annotations

import json
from typing import Any

from moto.athena import urls as athena_urls
from moto.athena.responses import AthenaResponse
from moto.core.exceptions import JsonRESTError

BATCH_MOST = 50
_PAGE = 50


def _batch_get_named_query(self: AthenaResponse) -> str:
    wanted = list(self._get_param("NamedQueryIds") or [])
    if not 1 <= len(wanted) <= BATCH_MOST:
        raise JsonRESTError("InvalidRequestException", f"NamedQueryIds holds {len(wanted)} ids; 1 to 50 are taken")
    found, unprocessed = [], []
    for query_id in wanted:
        query = self.athena_backend.get_named_query(query_id)
        if query is None:
            unprocessed.append({"NamedQueryId": query_id, "ErrorCode": "INVALID_INPUT",
                                "ErrorMessage": "Named query not found"})
            continue
        workgroup = query.workgroup
        found.append({"Name": query.name, "Description": query.description, "Database": query.database,
                      "QueryString": query.query_string, "NamedQueryId": query.id,
                      "WorkGroup": getattr(workgroup, "name", workgroup)})
    return json.dumps({"NamedQueries": found, "UnprocessedNamedQueryIds": unprocessed})


def _list_prepared_statements(self: AthenaResponse) -> str:
    workgroup = self._get_param("WorkGroup")
    statements = sorted((statement for statement in self.athena_backend.prepared_statements.values()
                         if getattr(statement.workgroup, "name", statement.workgroup) == workgroup),
                        key=lambda statement: statement.statement_name)
    start = int(self._get_param("NextToken") or 0)
    size = int(self._get_param("MaxResults") or _PAGE)
    page = statements[start:start + size]
    answer: dict[str, Any] = {"PreparedStatements": [{"StatementName": s.statement_name} for s in page]}
    if start + size < len(statements):
        answer["NextToken"] = str(start + size)
    return json.dumps(answer)


ADDITIONS: list[tuple[Any, type, str, str, Any]] = [
    (athena_urls, AthenaResponse, "{0}/$", "batch_get_named_query", _batch_get_named_query),
    (athena_urls, AthenaResponse, "{0}/$", "list_prepared_statements", _list_prepared_statements),
]
