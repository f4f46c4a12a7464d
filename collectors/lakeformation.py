"""Lake Formation: the LF-tags on Glue databases, tables and columns, which say what the data is
(`classification=confidential`, `pii=email`) whatever the catalog's own descriptions say.

Read by tag, not by resource. `ListLFTags` (with `ResourceShareType=ALL`: the keys this account
defines and those shared with it, each with its catalog and all its values), then, per key, one
`SearchDatabasesByLFTags` and one `SearchTablesByLFTags` whose expression names the key with every
value it has (fifty at most per search: a key with more is searched fifty values at a time), in the
catalog that defines it. Such an expression matches whatever carries the key,
so the searches find every tagged database and table, each answered with all its tags and a table
with its columns' too: a few calls per key however large the catalog. `GetResourceLFTags` would
cost a call per table and need the tables listed first, which is the Glue collector's reading, and
collectors never read each other's facts.

What Lake Formation answers depends on the scanning role's Lake Formation permissions, not on IAM
alone: it lists the tags the role may describe and finds the resources the role may see (a data lake
administrator sees all). An account that never used Lake Formation defines no tag: an empty list,
which is an answer, and nothing more is asked. A search that fails is a gap naming its key.

The facts are nodes with the ids, kinds and names the Glue collector gives the same databases and
tables, carrying only:

- `lf_tags`: `{key: [values]}`, what Lake Formation says the database or table has (a table's include
  what it inherits from its database, as AWS answers them);
- `lf_column_tags` (tables): `{column: {key: [values]}}` for each column whose tags are not exactly
  the table's (a column inherits the table's tags, and AWS answers with what the column has, inherited
  ones included: that is what is kept).

Keys, columns and values are sorted. A resource in another account's catalog (shared with this one)
has that account in its id. The nodes are not marked observed: the database's or table's configuration
is the Glue collector's to read; the graph merges these attributes into its node, and a table known
here only is still one Glue can be asked for by name when its listing failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from collectors.context import AwsContext, each_answer
from collectors.declarations import Call, Collector
from lineage import arn as arns
from lineage.model import CoverageGap, Facts, Node, stage_for

LIST_LF_TAGS = Call("lakeformation", "list_lf_tags", result_key="LFTags", required=("TagKey",))
SEARCH_DATABASES = Call("lakeformation", "search_databases_by_lf_tags", result_key="DatabaseList",
                        required=("Database.Name",))
SEARCH_TABLES = Call("lakeformation", "search_tables_by_lf_tags", result_key="TableList",
                     required=("Table.DatabaseName", "Table.Name"))

_ACCOUNT_ID = re.compile(r"^\d{12}$")
VALUES_PER_SEARCH = 50  # the most values one condition of a search expression takes

Tags = dict[str, list[str]]


def _searched(tag: Mapping[str, Any]) -> str:
    """How a gap names the search for one key: `catalog/key` (the catalog that defines the key)."""
    catalog = tag.get("CatalogId") or ""
    return f"{catalog}/{tag['TagKey']}" if catalog else tag["TagKey"]


def get_lakeformation(ctx: AwsContext, region: str) -> dict[str, Any]:
    """The tags listed and every search's items; a failed listing or search is missing (and a gap)."""
    tags = ctx.pages(LIST_LF_TAGS, region, region, ResourceShareType="ALL")
    if tags is None:
        return {}

    def search(tag: dict[str, Any]) -> tuple[list[Any], list[Any]]:
        values = [value for value in tag.get("TagValues") or [] if isinstance(value, str)]
        databases: list[Any] = []
        tables: list[Any] = []
        for start in range(0, len(values), VALUES_PER_SEARCH):  # a key without a value tags nothing
            arguments: dict[str, Any] = {
                "Expression": [{"TagKey": tag["TagKey"], "TagValues": values[start:start + VALUES_PER_SEARCH]}]}
            if tag.get("CatalogId"):
                arguments["CatalogId"] = tag["CatalogId"]
            databases += ctx.pages(SEARCH_DATABASES, region, _searched(tag), **arguments) or []
            tables += ctx.pages(SEARCH_TABLES, region, _searched(tag), **arguments) or []
        return databases, tables

    found = ctx.map(search, tags)
    return {
        "tags": tags,
        "databases": [item for databases, _ in found for item in databases],
        "tables": [item for _, tables in found for item in tables],
    }


# --- transform ----------------------------------------------------------------------------------


def _owner(catalog: Any, account: str) -> str:
    """The account whose catalog holds a resource: the scanned one unless the answer names another.
    An id that is not an account's (a federated catalog) has no Glue ARN of this form: empty."""
    if not catalog:
        return account
    return catalog if isinstance(catalog, str) and _ACCOUNT_ID.match(catalog) else ""


def _tags(pairs: Iterable[Mapping[str, Any]] | None) -> Tags:
    merged: dict[str, set[str]] = {}
    for pair in pairs or []:
        values = pair.get("TagValues") or []
        if not isinstance(pair["TagKey"], str) or not isinstance(values, list):
            raise TypeError(f"an LF-tag of an unexpected shape: {pair!r}")
        merged.setdefault(pair["TagKey"], set()).update(str(value) for value in values)
    return {key: sorted(merged[key]) for key in sorted(merged)}


def _union(into: dict[str, set[str]], tags: Tags) -> None:
    for key, values in tags.items():
        into.setdefault(key, set()).update(values)


def _sorted(tags: Mapping[str, set[str]]) -> Tags:
    return {key: sorted(tags[key]) for key in sorted(tags)}


# (account, database) and (account, database, table) → what the answers say.
_DatabaseKey = tuple[str, str]
_TableKey = tuple[str, str, str]


def _database_item(item: Mapping[str, Any], account: str) -> tuple[_DatabaseKey, Tags] | None:
    owner = _owner(item["Database"].get("CatalogId"), account)
    return ((owner, item["Database"]["Name"]), _tags(item.get("LFTags"))) if owner else None


def _table_item(item: Mapping[str, Any], account: str) -> tuple[_TableKey, Tags, Tags, dict[str, Tags]] | None:
    table = item["Table"]
    owner = _owner(table.get("CatalogId"), account)
    if not owner:
        return None
    columns: dict[str, Tags] = {}
    for column in item.get("LFTagsOnColumns") or []:
        columns[str(column["Name"])] = _tags(column.get("LFTags"))
    return ((owner, table["DatabaseName"], table["Name"]), _tags(item.get("LFTagOnDatabase")),
            _tags(item.get("LFTagsOnTable")), columns)


def transform_lakeformation(record: dict[str, Any], account: str, region: str) -> Facts:
    """Every database and table the searches found, once, with the union of what each answer said of it
    (the same table is found once per key it carries)."""
    database_items, database_gaps = each_answer(record.get("databases", []), lambda i: _database_item(i, account),
                                                SEARCH_DATABASES, lambda i: i["Database"]["Name"], region)
    table_items, table_gaps = each_answer(
        record.get("tables", []), lambda i: _table_item(i, account), SEARCH_TABLES,
        lambda i: f"{i['Table']['DatabaseName']}.{i['Table']['Name']}", region)
    databases: dict[_DatabaseKey, dict[str, set[str]]] = {}
    tables: dict[_TableKey, tuple[dict[str, set[str]], dict[str, dict[str, set[str]]]]] = {}
    for found in database_items:
        if found is not None:
            _union(databases.setdefault(found[0], {}), found[1])
    for found_table in table_items:
        if found_table is None:
            continue
        key, on_database, on_table, on_columns = found_table
        if on_database:
            _union(databases.setdefault(key[:2], {}), on_database)
        table_tags, column_tags = tables.setdefault(key, ({}, {}))
        _union(table_tags, on_table)
        for column, tags in on_columns.items():
            _union(column_tags.setdefault(column, {}), tags)

    nodes: list[Node] = []
    for (owner, database), tags in sorted(databases.items()):
        nodes.append(Node(arns.glue_database_arn(region, owner, database), "glue.database", database,
                          stage_for("glue.database"), owner, region, False, {"lf_tags": _sorted(tags)}))
    for (owner, database, table), (table_tags, column_tags) in sorted(tables.items()):
        on_table = _sorted(table_tags)
        differing = {column: _sorted(tags) for column, tags in sorted(column_tags.items())
                     if _sorted(tags) != on_table}
        nodes.append(Node(arns.glue_table_arn(region, owner, database, table), "glue.table", f"{database}.{table}",
                          stage_for("glue.table"), owner, region, False,
                          {"lf_tags": on_table, "lf_column_tags": differing}))
    gaps: list[CoverageGap] = [*database_gaps, *table_gaps]
    return Facts(tuple(nodes), (), tuple(gaps))


COLLECTOR = Collector(
    service="lakeformation", label="Lake Formation",
    calls=(LIST_LF_TAGS, SEARCH_DATABASES, SEARCH_TABLES),
    get=get_lakeformation, transform=transform_lakeformation,
)
