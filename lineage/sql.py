"""Tables read by an Athena query, from its text."""

from __future__ import annotations

import sqlglot
from sqlglot import exp


def tables_read(query: str, default_database: str = "") -> tuple[list[tuple[str, str]], str | None]:
    """(database, table) pairs the query reads, and a warning when the text cannot be parsed.

    Names bound by `WITH` are the query's own and are not tables.
    """
    try:
        statements = sqlglot.parse(query, read="athena")
    except sqlglot.errors.SqlglotError as error:
        return [], f"query could not be parsed: {str(error).splitlines()[0]}"
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
    """(database, table) pairs an `INSERT INTO` or `CREATE TABLE AS` writes."""
    try:
        statements = sqlglot.parse(query, read="athena")
    except sqlglot.errors.SqlglotError:
        return []
    found = []
    for statement in statements:
        table = _written_table(statement) if statement is not None else None
        if table is not None and table.name:
            found.append(((table.db or default_database).lower(), table.name.lower()))
    return found
