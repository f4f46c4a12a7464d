"""Tables read by an Athena query, from its text; tables and S3 locations it writes."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from lineage import redact

# `UNLOAD (SELECT …) TO 's3://…' WITH (…)`: Athena's export, which the SQL parser reads as an opaque command.
_UNLOAD = re.compile(r"^\s*UNLOAD\s*\((?P<query>.*)\)\s*TO\s*'(?P<location>[^']*)'", re.I | re.S)


def unload(query: str) -> tuple[str, str] | None:
    """(the query it runs, the S3 location it writes) of an UNLOAD statement; None for any other."""
    match = _UNLOAD.match(query)
    return (match["query"], match["location"]) if match else None


def locations_written(query: str) -> list[str]:
    """S3 locations the query writes outside any table: the target of an UNLOAD."""
    found = unload(query)
    return [found[1]] if found else []


def tables_read(query: str, default_database: str = "") -> tuple[list[tuple[str, str]], str | None]:
    """(database, table) pairs the query reads, and a warning when the text cannot be parsed.

    Names bound by `WITH` are the query's own and are not tables; an UNLOAD reads what its query reads.
    """
    exported = unload(query)
    if exported is not None:
        query = exported[0]
    try:
        statements = sqlglot.parse(query, read="athena")
    except (sqlglot.errors.SqlglotError, RecursionError) as error:
        # The parser's message can quote the query; its literals may be secrets or personal data.
        reason = redact.sql((str(error).splitlines() or [type(error).__name__])[0])
        return [], f"query could not be parsed: {reason}"
    found: list[tuple[str, str]] = []
    for statement in statements:
        if statement is None:
            continue
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        written = _written_table(statement)
        for table in statement.find_all(exp.Table):
            name = table.name
            if not name or (not table.db and name.lower() in ctes) or table is written:
                continue
            pair = ((table.db or default_database).lower(), name.lower())
            if pair not in found:
                found.append(pair)
    return found, None


def _written_table(statement: exp.Expression) -> exp.Table | None:
    target = statement.args.get("this") if isinstance(statement, (exp.Insert, exp.Create)) else None
    if isinstance(target, exp.Schema):
        target = target.this
    return target if isinstance(target, exp.Table) else None


def tables_written(query: str, default_database: str = "") -> list[tuple[str, str]]:
    """(database, table) pairs an `INSERT INTO` or `CREATE TABLE AS` writes (an UNLOAD writes no table)."""
    if unload(query) is not None:
        return []
    try:
        statements = sqlglot.parse(query, read="athena")
    except (sqlglot.errors.SqlglotError, RecursionError):
        return []
    found = []
    for statement in statements:
        table = _written_table(statement) if statement is not None else None
        if table is not None and table.name:
            found.append(((table.db or default_database).lower(), table.name.lower()))
    return found
