"""LF-tag associations in a template → what `SearchDatabasesByLFTags` and `SearchTablesByLFTags` answer for the
deployed stack → the Lake Formation collector's transform.

The collector reads one thing: which LF-tags databases, tables and columns carry (`pii=email` on a column is a
declaration the classification trusts). A template says the same with `AWS::LakeFormation::TagAssociation`, so
that is what is read. The searches answer each table with what it inherits: a table carries its database's tags
unless it has a value of its own for the key, a column its table's unless it has its own — so a table the template
defines in a tagged database is answered too, and `TableWildcard` tags every table the template puts in the
database (tables other stacks put there are the account's to report).

`AWS::LakeFormation::Permissions`, `PrincipalPermissions` and `Resource` (grants and registered locations) are
not read: the collector reads no grants and no locations, so there is no answer of a scan for them to become.
`AWS::LakeFormation::Tag` only defines a key and its allowed values: it tags nothing, and has no node.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from collectors import lakeformation
from lineage.model import Facts, Node
from templates.services.common import mapping_of
from templates.services.glue import catalog_name
from templates.stack import Stack

TYPES = frozenset({"AWS::LakeFormation::TagAssociation", "AWS::LakeFormation::Tag"})
_ACCOUNT_ID = re.compile(r"^\d{12}$")

Tags = dict[str, list[str]]


def _tags(pairs: Any) -> Tags:
    tags: dict[str, list[str]] = {}
    for pair in pairs if isinstance(pairs, list) else ():
        if isinstance(pair, Mapping) and isinstance(pair.get("TagKey"), str):
            values = pair.get("TagValues")
            values = values if isinstance(values, list) else [values] if values is not None else []
            tags.setdefault(pair["TagKey"], []).extend(str(v) for v in values)
    return tags


def _joined(into: dict[str, Tags], key: Any, tags: Tags) -> None:
    held = into.setdefault(key, {})
    for tag_key, values in tags.items():
        held[tag_key] = sorted({*held.get(tag_key, []), *values})


def _pairs(tags: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    return [{"TagKey": key, "TagValues": list(values)} for key, values in sorted(tags.items())]


def _catalog_id(value: Any, account: str) -> str:
    """The catalog a resource is in when it is another account's; "" for the stack's own (its account's id, or
    `${AWS::AccountId}` while the account is not known), which the answers leave unnamed."""
    return value if isinstance(value, str) and _ACCOUNT_ID.match(value) and value != account else ""


def _catalog(catalog: str) -> dict[str, str]:
    return {"CatalogId": catalog} if catalog else {}


def _name(value: Any) -> str:
    return catalog_name(value) if isinstance(value, str) else ""


TableKey = tuple[str, str, str]  # (catalog, database, table); catalog "" for the stack's account


def _where(resource: Mapping[str, Any], account: str) -> TableKey:
    """(catalog, database, table) a resource of an association names; table "" for a database."""
    return (_catalog_id(resource.get("CatalogId"), account), _name(resource.get("DatabaseName", resource.get("Name"))),
            _name(resource.get("Name")) if "DatabaseName" in resource else "")


def lakeformation_record(stack: Stack) -> dict[str, Any]:
    """The record `get_lakeformation` would build from the deployed stack's associations."""
    on_databases: dict[tuple[str, str], Tags] = {}
    on_tables: dict[TableKey, Tags] = {}
    on_columns: dict[TableKey, dict[str, Tags]] = {}
    wildcards: dict[tuple[str, str], Tags] = {}
    for placed in stack.placed.values():
        if placed.type != "AWS::LakeFormation::TagAssociation":
            continue
        tags = _tags(placed.properties.get("LFTags"))
        resource = mapping_of(placed.properties.get("Resource"))
        database, table, columns = (mapping_of(resource.get(k)) for k in ("Database", "Table", "TableWithColumns"))
        if database.get("Name"):
            _joined(on_databases, _where(database, stack.account)[:2], tags)
        elif table.get("DatabaseName") and table.get("TableWildcard") is not None:
            _joined(wildcards, _where(table, stack.account)[:2], tags)
        elif table.get("DatabaseName") and table.get("Name"):
            _joined(on_tables, _where(table, stack.account), tags)
        elif columns.get("DatabaseName") and columns.get("Name"):
            for column in columns.get("ColumnNames") or []:
                _joined(on_columns.setdefault(_where(columns, stack.account), {}), str(column), tags)
        else:
            stack.warnings.append(f"LF-tag association {placed.logical_id}: tags no database, table or column "
                                  "the tracker reads")
    defined = [("", _name(p.properties.get("DatabaseName")), _name(p.name)) for p in stack.placed.values()
               if p.type == "AWS::Glue::Table"]
    for key in defined:
        if key[:2] in wildcards:
            _joined(on_tables, key, wildcards[key[:2]])
    tables = {*on_tables, *on_columns, *(key for key in defined if key[:2] in on_databases)}
    return {
        "tags": [{"TagKey": p.properties.get("TagKey"), "TagValues": p.properties.get("TagValues") or [],
                  **_catalog(_catalog_id(p.properties.get("CatalogId"), stack.account))}
                 for p in stack.placed.values() if p.type == "AWS::LakeFormation::Tag"],
        "databases": [{"Database": {"Name": database, **_catalog(catalog)}, "LFTags": _pairs(tags)}
                      for (catalog, database), tags in sorted(on_databases.items())],
        "tables": [_table_item(key, on_databases.get(key[:2], {}), on_tables.get(key, {}), on_columns.get(key, {}))
                   for key in sorted(tables)],
    }


def _overridden(inherited: Mapping[str, list[str]], own: Mapping[str, list[str]]) -> Tags:
    """What a resource carries: what it inherits, except the keys it has a value of its own for."""
    return {**inherited, **own}


def _table_item(key: TableKey, on_database: Tags, own: Tags, columns: Mapping[str, Tags]) -> dict[str, Any]:
    catalog, database, table = key
    on_table = _overridden(on_database, own)
    item: dict[str, Any] = {"Table": {"DatabaseName": database, "Name": table, **_catalog(catalog)},
                            "LFTagOnDatabase": _pairs(on_database), "LFTagsOnTable": _pairs(on_table)}
    if columns:
        item["LFTagsOnColumns"] = [{"Name": column, "LFTags": _pairs(_overridden(on_table, tags))}
                                   for column, tags in sorted(columns.items())]
    return item


# The transform places an answer in the catalog it names, or the scanned account's; a scan always knows that
# account, a template may not. Read then under this stand-in, written back as the unknown (empty) account.
_UNKNOWN_ACCOUNT = "000000000000"


def _unknown_account(node: Node) -> Node:
    if node.account != _UNKNOWN_ACCOUNT:
        return node
    return replace(node, id=node.id.replace(f":{_UNKNOWN_ACCOUNT}:", "::", 1), account="")


def facts(stack: Stack) -> Facts:
    record = lakeformation_record(stack)
    if not record["databases"] and not record["tables"]:
        return Facts()
    found = lakeformation.transform_lakeformation(record, stack.account or _UNKNOWN_ACCOUNT, stack.region)
    return found if stack.account else replace(found, nodes=tuple(map(_unknown_account, found.nodes)))

