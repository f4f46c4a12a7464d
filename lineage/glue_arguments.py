"""Flows named by a job's arguments: S3 paths and database/table pairs.

Used for a Glue job's `DefaultArguments` (Glue collector) and for the `Arguments` a Step Functions task
passes to `glue:startJobRun`: both say what the job reads and writes, in the argument's own name. The
same judgement reads a command line (an EMR step's `Args`, an EMR Serverless run's entry point
arguments): `--name value` and `--name=value` pairs are named arguments; `spark-submit`'s own options and
its application (the script or jar that runs) are code, not data; any other `s3://` value on the line
is a flow whose direction no name states.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lineage import arn as arns
from lineage.arguments import Direction, direction_of, role_prefix
from lineage.model import Edge, EdgeKind, Evidence, Facts

_DATABASE_WORDS = ("database", "db")
_TABLE_WORDS = ("table",)


def _edge(job_id: str, target: str, direction: Direction, evidence: Evidence) -> Edge:
    if direction == Direction.WRITE:
        return Edge(job_id, target, EdgeKind.WRITES, (evidence,))
    return Edge(target, job_id, EdgeKind.READS, (evidence,))


def argument_facts(job_id: str, arguments: Mapping[str, Any], region: str, account: str,
                   operation: str, resource: str, path: str) -> Facts:
    """Edges between the job and what its arguments name; unobserved nodes for their targets."""
    named = ((name, value, f"{path}.{name}") for name, value in arguments.items())
    return _named_argument_facts(job_id, named, region, account, operation, resource)


# spark-submit's own options: where its code, libraries and settings come from, never the job's data.
_SPARK_SUBMIT_CODE_OPTIONS = frozenset(
    {"py-files", "jars", "files", "archives", "packages", "repositories", "exclude-packages", "conf",
     "properties-file", "class", "driver-class-path", "driver-library-path", "driver-java-options", "master",
     "deploy-mode", "name", "driver-memory", "driver-cores", "executor-memory", "executor-cores",
     "num-executors", "queue", "principal", "keytab", "total-executor-cores", "proxy-user"})
_SPARK_SUBMIT_FLAGS = frozenset({"verbose", "supervise", "version", "help"})  # options that take no value
_SPARK_SUBMIT = ("spark-submit", "/usr/bin/spark-submit", "/usr/lib/spark/bin/spark-submit")


def _is_option(token: str) -> bool:
    return token.startswith("-") and len(token) > 1 and not token[1:2].isdigit()


def command_line_arguments(args: Sequence[Any], path: str) -> tuple[list[tuple[str, str, str]], list[int]]:
    """A command line as (name, value, path) triples, and the indexes of the tokens that are code.

    `spark-submit [options] APPLICATION [application arguments]`: the options and the application are
    code (the script or jar), the application arguments are read like any job's. Without `spark-submit`
    every token is an application argument. A value with no name before it is named by its place on the
    line (`Args[4]`), which states no direction.
    """
    tokens = [str(token) if isinstance(token, str | int | float) else "" for token in args]
    start, code = 0, []
    if tokens and tokens[0] in _SPARK_SUBMIT:
        start, code = 1, [0]
        while start < len(tokens) and _is_option(tokens[start]):
            option = tokens[start].lstrip("-")
            code.append(start)
            if "=" not in option and option not in _SPARK_SUBMIT_FLAGS and start + 1 < len(tokens):
                start += 1
                code.append(start)
            start += 1
        if start < len(tokens):
            code.append(start)  # the application: the code that runs
            start += 1
    named: list[tuple[str, str, str]] = []
    index = start
    while index < len(tokens):
        token = tokens[index]
        if _is_option(token) and "=" in token:
            name, _, value = token.partition("=")
            named.append((name, value, f"{path}[{index}]"))
        elif _is_option(token) and index + 1 < len(tokens) and not _is_option(tokens[index + 1]):
            named.append((token, tokens[index + 1], f"{path}[{index + 1}]"))
            index += 1
        elif not _is_option(token):
            named.append((f"Args[{index}]", token, f"{path}[{index}]"))
        index += 1
    return named, code


def command_line_facts(job_id: str, args: Sequence[Any], region: str, account: str, operation: str,
                       resource: str, path: str) -> Facts:
    """Edges between the job and what its command line names (see `command_line_arguments`)."""
    named, _ = command_line_arguments(args, path)
    return _named_argument_facts(job_id, named, region, account, operation, resource)


def _named_argument_facts(job_id: str, arguments: Iterable[tuple[str, Any, str]], region: str, account: str,
                          operation: str, resource: str) -> Facts:
    edges: list[Edge] = []
    databases: dict[str, tuple[str, str]] = {}
    tables: dict[str, tuple[str, str]] = {}
    for name, value, argument_path in arguments:
        if not isinstance(value, str):
            continue
        parsed = arns.parse_s3_url(value)
        if parsed is not None:
            direction = direction_of(name)
            if direction == Direction.NONE:
                continue
            excerpt = f"{name}={value}" + (" (direction unstated)" if direction == Direction.UNSTATED else "")
            evidence = Evidence(operation, resource, argument_path, excerpt)
            edges.append(_edge(job_id, arns.s3_location_id(*parsed), direction, evidence))
            continue
        if (role := role_prefix(name, _DATABASE_WORDS)) is not None:
            databases[role] = (value, argument_path)
        elif (role := role_prefix(name, _TABLE_WORDS)) is not None:
            tables[role] = (value, argument_path)
    for role, (table, table_path) in tables.items():
        database = databases.get(role)
        if database is None and len(databases) == 1:
            database = next(iter(databases.values()))
        if database is None and "." in table:
            database = (table.split(".", 1)[0], table_path)
        if database is None or not table:
            continue
        direction = direction_of(role or table_path.rsplit(".", 1)[-1])
        table_name = table.split(".")[-1]
        target = arns.glue_table_arn(region, account, database[0], table_name)
        excerpt = f"{database[0]}.{table_name}" + (
            " (direction unstated)" if direction == Direction.UNSTATED else "")
        edges.append(_edge(job_id, target, direction, Evidence(operation, resource, table_path, excerpt)))
    nodes = tuple(arns.referenced_node(edge.target if edge.source == job_id else edge.source) for edge in edges)
    return Facts(nodes, tuple(edges))
