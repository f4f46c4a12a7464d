"""Amazon QuickSight: where curated data is finally looked at. Data sources (the Athena workgroup, S3
manifest, database or cluster each connects to), the datasets built on them (which tables or SQL they
read, whether a copy rests in QuickSight's SPICE store, their row- and column-level security), and the
dashboards and analyses that show each dataset.

The flows: upstream —READS→ data source —READS→ dataset —READS→ dashboard / analysis; and, for a dataset
on an Athena data source, the catalog table itself —READS→ dataset (a relational table names its Glue
database and table, custom SQL names them in its text), so the personal data of a table reaches the
dashboards that show it.

Every call names the account (`AwsAccountId`): when STS did not say which it is, the scan runs this collector
after the others, whose answers name it (`Collector.needs_account`); when nothing names it, nothing is asked
and one gap per region says so.

QuickSight is regional: an account that never subscribed answers its listings with
`ResourceNotFoundException` ("… is not signed up with QuickSight", "Account information for account …
not found") or `UnsupportedUserEditionException: Account … is not subscribed for QuickSight`: a fact,
QuickSight is not used there, and nothing more is asked. A dataset made by uploading a file answers
DescribeDataSet with `InvalidParameterValueException: The data set type is not supported through API
yet`: a fact too (the dataset is kept, marked `uploaded`: it has no upstream in AWS).

Tags are read on datasets only (ListTagsForResource, one call each), for the `lineage:stage` and
`lineage:pii` tags and ownership; data sources, dashboards and analyses are not asked for theirs. A custom
SQL text is kept only as evidence, through the redactor (its literals may be personal data); the principals
of column-level rules are counted, never named (a user's name can be an e-mail address).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.context import AwsContext, each_resource, every_page, is_absent, is_gone, tag_dict
from collectors.declarations import Call, Collector
from lineage import arn as arns
from lineage import redact
from lineage.model import CoverageGap, Edge, EdgeKind, Evidence, Facts, Node, Stage, stage_for
from lineage.sql import tables_read

# The account has no QuickSight subscription in the region (see the module's docstring). A listing names no
# resource, so a ResourceNotFoundException there can only mean the account itself.
_NOT_SUBSCRIBED = ("ResourceNotFoundException", "UnsupportedUserEditionException: Account ")
_GONE = ("ResourceNotFoundException",)
_UPLOADED = ("InvalidParameterValueException: The data set type is not supported through API",)
_PAGE = 100  # the most a QuickSight listing answers per page


def _lists(key: str) -> Any:
    """A listing's page is usable only when it holds its list (an empty `{}` is not an empty listing)."""
    return lambda answer: None if isinstance(answer.get(key), list) else f"the answer lacks {key}"


LIST_DATA_SOURCES = Call("quicksight", "list_data_sources", result_key="DataSources", absent=_NOT_SUBSCRIBED,
                         check=_lists("DataSources"))
LIST_DATA_SETS = Call("quicksight", "list_data_sets", result_key="DataSetSummaries", absent=_NOT_SUBSCRIBED,
                      check=_lists("DataSetSummaries"))
DESCRIBE_DATA_SET = Call("quicksight", "describe_data_set", required=("DataSet.Arn",), gone=_GONE,
                         absent=_UPLOADED)
# A resource without tags is answered without `Tags` (the model allows no empty list): no tags, not a gap.
LIST_TAGS_FOR_RESOURCE = Call("quicksight", "list_tags_for_resource", gone=_GONE, empty_is_an_answer=True)
LIST_DASHBOARDS = Call("quicksight", "list_dashboards", result_key="DashboardSummaryList", absent=_NOT_SUBSCRIBED,
                       check=_lists("DashboardSummaryList"))
DESCRIBE_DASHBOARD = Call("quicksight", "describe_dashboard", required=("Dashboard.Arn",), gone=_GONE)
LIST_ANALYSES = Call("quicksight", "list_analyses", result_key="AnalysisSummaryList", absent=_NOT_SUBSCRIBED,
                     check=_lists("AnalysisSummaryList"))
DESCRIBE_ANALYSIS = Call("quicksight", "describe_analysis", required=("Analysis.Arn",), gone=_GONE)

# What each listed item must hold to be read further: an item without it costs only itself (a gap).
_ITEM_REQUIRED: Mapping[str, tuple[str, ...]] = {
    LIST_DATA_SOURCES.name: ("Arn",), LIST_DATA_SETS.name: ("Arn", "DataSetId"),
    LIST_DASHBOARDS.name: ("Arn", "DashboardId"), LIST_ANALYSES.name: ("Arn", "AnalysisId")}
_MAX_PAGES = 1000  # 100 000 resources of a kind: past that, a token that never ends is not followed
ATHENA = "ATHENA"
AWS_DATA_CATALOG = "AwsDataCatalog"  # the catalog an Athena relational table names: Glue's
DEFAULT_WORKGROUP = "primary"  # what an Athena data source without a workgroup queries in
ACCOUNT_UNKNOWN = "AccountUnknown"


# --- get ----------------------------------------------------------------------------------------


def _listing(ctx: AwsContext, call: Call, region: str) -> list[dict[str, Any]] | dict[str, str] | None:
    """Every item of a QuickSight listing, a page at a time through `AwsContext.call` (so that an account
    without QuickSight is an `absent` answer, not a gap); None (a gap already) when a page failed."""
    found = every_page(ctx, call, region, region, (call.result_key, _ITEM_REQUIRED[call.name]),
                       ("NextToken", "NextToken"), _MAX_PAGES, AwsAccountId=ctx.account, MaxResults=_PAGE)
    if not isinstance(found, list):
        return found
    items: dict[str, dict[str, Any]] = {}  # by ARN: a resource listed twice is read once
    for item in found:
        items.setdefault(str(item["Arn"]), item)
    return list(items.values())


def _read_data_sets(ctx: AwsContext, region: str, summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def read(summary: dict[str, Any]) -> dict[str, Any] | None:
        arn = str(summary["Arn"])
        described = ctx.call(DESCRIBE_DATA_SET, region, arn, AwsAccountId=ctx.account,
                             DataSetId=summary["DataSetId"])
        if is_gone(described):
            return None  # deleted since it was listed
        record: dict[str, Any] = {"Summary": summary}
        if described is None:
            record["Unread"] = True  # a gap already: the dataset is there, its definition unknown
        elif is_absent(described):
            record["Uploaded"] = True
        else:
            record["DataSet"] = described["DataSet"]
        tags = ctx.call(LIST_TAGS_FOR_RESOURCE, region, arn, ResourceArn=arn)
        if tags is not None and not is_gone(tags):
            record["Tags"] = tag_dict(tags.get("Tags"))
        return record

    return [record for record in ctx.map(read, summaries) if record is not None]


def _read_shown(ctx: AwsContext, region: str, summaries: list[dict[str, Any]], call: Call, id_key: str,
                answer_key: str) -> list[dict[str, Any]]:
    """Dashboards or analyses, each described for the datasets it shows."""

    def read(summary: dict[str, Any]) -> dict[str, Any] | None:
        described = ctx.call(call, region, str(summary["Arn"]), AwsAccountId=ctx.account,
                             **{id_key: summary[id_key]})
        if is_gone(described):
            return None
        return {"Summary": summary, **({"Unread": True} if described is None else {answer_key: described[answer_key]})}

    return [record for record in ctx.map(read, summaries) if record is not None]


def get_quicksight(ctx: AwsContext, region: str) -> dict[str, Any]:
    """`{"Subscribed": False}` where the account does not use QuickSight; else what each listing gave (a
    listing that failed is `<Key>Unread`)."""
    if not ctx.account:
        return {ACCOUNT_UNKNOWN: True}  # the transform says so
    sources = _listing(ctx, LIST_DATA_SOURCES, region)
    if is_absent(sources):
        return {"Subscribed": False}
    raw: dict[str, Any] = {"Subscribed": True}
    if isinstance(sources, list):
        raw["DataSources"] = sources
    else:
        raw["DataSourcesUnread"] = True
    listings = ((LIST_DATA_SETS, "DataSets", lambda items: _read_data_sets(ctx, region, items)),
                (LIST_DASHBOARDS, "Dashboards",
                 lambda items: _read_shown(ctx, region, items, DESCRIBE_DASHBOARD, "DashboardId", "Dashboard")),
                (LIST_ANALYSES, "Analyses",
                 lambda items: _read_shown(ctx, region, items, DESCRIBE_ANALYSIS, "AnalysisId", "Analysis")))
    for call, key, read in listings:
        listed = _listing(ctx, call, region)
        if isinstance(listed, list):
            raw[key] = read(listed)
        elif listed is None:
            raw[f"{key}Unread"] = True
    return raw


# --- transform: data sources ----------------------------------------------------------------------


def _place(parsed: arns.Arn | None, account: str, region: str) -> tuple[str, str]:
    return ((parsed.account if parsed else "") or account, (parsed.region if parsed else "") or region)


# The engine an Aurora data source speaks, as its URL scheme says it.
_SCHEME = {"AuroraPostgreSql": "postgresql", "Aurora": "mysql"}


def _endpoint(kind: str, parameters: Mapping[str, Any]) -> str | None:
    """A database a data source connects to by host, as an id: `postgresql://host:5432/database`."""
    host = str(parameters.get("Host") or "")
    if not host:
        return None
    port = f":{parameters['Port']}" if parameters.get("Port") else ""
    database = f"/{parameters['Database']}" if parameters.get("Database") else ""
    return redact.endpoint(f"{_SCHEME.get(kind, kind.lower())}://{host}{port}{database}")


def _upstream(source: Mapping[str, Any], account: str, region: str) -> tuple[str, str, str] | None:
    """(id, path, excerpt) of what a data source reads: its Athena workgroup, its manifest's S3 place, the
    RDS instance, Redshift cluster or database host it connects to; None for what has no place of its own
    (a SaaS application)."""
    parameters = source.get("DataSourceParameters") or {}
    athena = parameters.get("AthenaParameters")
    if athena is not None or str(source.get("Type", "")).upper() == ATHENA:
        workgroup = str((athena or {}).get("WorkGroup") or DEFAULT_WORKGROUP)
        return (arns.athena_workgroup_arn(region, account, workgroup),
                "DataSourceParameters.AthenaParameters.WorkGroup", workgroup)
    manifest = (parameters.get("S3Parameters") or {}).get("ManifestFileLocation") or {}
    if manifest.get("Bucket"):
        key = str(manifest.get("Key") or "").strip("/")
        return (arns.s3_location_id(str(manifest["Bucket"]), key), "DataSourceParameters.S3Parameters."
                "ManifestFileLocation", f"s3://{manifest['Bucket']}/{key}")
    instance = (parameters.get("RdsParameters") or {}).get("InstanceId")
    if instance:
        return (arns.build_arn("rds", region, account, f"db:{instance}"), "DataSourceParameters.RdsParameters"
                ".InstanceId", str(instance))
    cluster = (parameters.get("RedshiftParameters") or {}).get("ClusterId")
    if cluster:
        return (arns.build_arn("redshift", region, account, f"cluster:{cluster}"),
                "DataSourceParameters.RedshiftParameters.ClusterId", str(cluster))
    for name, value in sorted(parameters.items()):
        endpoint = _endpoint(name.removesuffix("Parameters"), value) if isinstance(value, Mapping) else None
        if endpoint:
            return endpoint, f"DataSourceParameters.{name}.Host", endpoint
    return None


def _role(parameters: Mapping[str, Any]) -> str | None:
    """The IAM role QuickSight assumes to read the source (Athena, S3), when one is set."""
    return next((str(value["RoleArn"]) for value in parameters.values()
                 if isinstance(value, Mapping) and value.get("RoleArn")), None)


def transform_data_source(source: dict[str, Any], account: str, region: str) -> Facts:
    source_id = str(source["Arn"])
    parsed = arns.parse_arn(source_id)
    home_account, home_region = _place(parsed, account, region)
    parameters = source.get("DataSourceParameters") or {}
    attributes: dict[str, Any] = {
        "type": source.get("Type", ""),
        "status": source.get("Status", ""),
        # SSL is on unless the data source turns it off; what connects by host is judged on it.
        "ssl_disabled": bool((source.get("SslProperties") or {}).get("DisableSsl")),
        "vpc_connection": (source.get("VpcConnectionProperties") or {}).get("VpcConnectionArn"),
    }
    role = _role(parameters)
    if role:
        attributes["role"] = role
    if source.get("SecretArn"):
        attributes["credentials_secret"] = source["SecretArn"]  # an ARN, never the secret
    edges: list[Edge] = []
    upstream = _upstream(source, home_account, home_region)
    if upstream is None:
        attributes["reads_from"] = f"{source.get('Type', '') or 'unknown'} (outside AWS's resources)"
    else:
        place, path, excerpt = upstream
        attributes["reads_from"] = place
        edges.append(Edge(place, source_id, EdgeKind.READS, (Evidence("quicksight:ListDataSources", source_id, path,
                                                                      redact.short(excerpt, 200)),)))
    name = str(source.get("Name") or source.get("DataSourceId") or (parsed.resource_name if parsed else source_id))
    node = Node(source_id, "quicksight.data_source", name, stage_for("quicksight.data_source"), home_account,
                home_region, True, attributes)
    nodes = [node]
    if upstream is not None and not upstream[0].startswith("arn:"):
        # A database named by its host: where the data rests, though nothing here read it.
        nodes.append(Node(upstream[0], "external", arns.name_for_id(upstream[0]), Stage.STORAGE, observed=False))
    return Facts(tuple(nodes), tuple(edges))


# --- transform: datasets --------------------------------------------------------------------------


def _types_by_arn(sources: list[dict[str, Any]]) -> dict[str, str]:
    return {str(s["Arn"]): str(s.get("Type") or "").upper() for s in sources if isinstance(s, Mapping)}


def _is_athena(data_source: str, catalog: str, types: Mapping[str, str]) -> bool:
    """Whether a table read through this data source is a Glue catalog table: an Athena data source, or,
    where the data sources could not be listed, a table that names Glue's catalog."""
    return types.get(data_source) == ATHENA or (data_source not in types and catalog == AWS_DATA_CATALOG)


# The kinds of physical table a dataset reads, as the API names them and as the node says them.
_PHYSICAL = (("RelationalTable", "relational"), ("CustomSql", "custom_sql"), ("S3Source", "s3"),
             ("SaaSTable", "saas"), ("FileSource", "file"))


class _DataSetFlows:
    """Edges into one dataset, one per (source, kind), each with every piece of evidence behind it."""

    def __init__(self, data_set: str, region: str, account: str, types: Mapping[str, str]) -> None:
        self.data_set, self.region, self.account, self.types = data_set, region, account, types
        self.evidence: dict[str, list[Evidence]] = {}
        self.tables: list[dict[str, Any]] = []
        self.warnings: list[str] = []

    def add(self, source: str, path: str, excerpt: str) -> None:
        evidence = Evidence("quicksight:DescribeDataSet", self.data_set, path, redact.short(excerpt, 200))
        self.evidence.setdefault(source, []).append(evidence)

    def physical(self, table_id: str, table: Mapping[str, Any]) -> None:
        path = f"PhysicalTableMap.{table_id}"
        relational, custom = table.get("RelationalTable"), table.get("CustomSql")
        field, kind = next(((f, k) for f, k in _PHYSICAL if isinstance(table.get(f), Mapping)), ("", "unknown"))
        source = str((table.get(field) or {}).get("DataSourceArn") or "") if field else ""
        entry: dict[str, Any] = {"id": table_id, "source": kind, "data_source": source or None}
        if source:
            self.add(source, f"{path}.{field}.DataSourceArn", source)
        if isinstance(relational, Mapping):
            catalog, schema, name = (str(relational.get(k) or "") for k in ("Catalog", "Schema", "Name"))
            entry["table"] = ".".join(part for part in (catalog, schema, name) if part)
            if schema and name and _is_athena(source, catalog, self.types):
                table_arn = arns.glue_table_arn(self.region, self.account, schema, name)
                self.add(table_arn, f"{path}.RelationalTable", entry["table"])
        if isinstance(custom, Mapping) and self.types.get(source) == ATHENA:  # its SQL names no catalog
            self._custom_sql(path, custom)
        self.tables.append(entry)

    def _custom_sql(self, path: str, custom: Mapping[str, Any]) -> None:
        query = str(custom.get("SqlQuery") or "")
        read, warning = tables_read(query)
        if warning:
            self.warnings.append(f"{path}.CustomSql: {warning}")
        for database, table in read:
            if not database:  # the data source's default database is not in its configuration
                self.warnings.append(f"{path}.CustomSql: table {table!r} is named without its database")
                continue
            self.add(arns.glue_table_arn(self.region, self.account, database, table), f"{path}.CustomSql.SqlQuery",
                     redact.sql(query))

    def logical(self, table_id: str, table: Mapping[str, Any]) -> None:
        """A logical table whose source is another dataset: that dataset's data flows in."""
        upstream = (table.get("Source") or {}).get("DataSetArn")
        if upstream:
            self.add(str(upstream), f"LogicalTableMap.{table_id}.Source.DataSetArn", str(upstream))

    def edges(self) -> tuple[Edge, ...]:
        return tuple(Edge(source, self.data_set, EdgeKind.READS, tuple(evidence[:10]))
                     for source, evidence in self.evidence.items())


def _enabled(setting: Any) -> bool | None:
    """A security setting's state: None when it is not set; on unless its Status says DISABLED."""
    if not isinstance(setting, Mapping):
        return None
    return str(setting.get("Status") or "ENABLED").upper() != "DISABLED"


def _security(data_set: Mapping[str, Any]) -> dict[str, Any]:
    rows = data_set.get("RowLevelPermissionDataSet")
    tags = data_set.get("RowLevelPermissionTagConfiguration")
    rules = data_set.get("ColumnLevelPermissionRules") or []
    return {
        "row_level_security": bool(_enabled(rows)) or bool(_enabled(tags)),
        "row_level_permission_data_set": (rows or {}).get("Arn") if _enabled(rows) else None,
        "row_level_permission_policy": (rows or {}).get("PermissionPolicy") if _enabled(rows) else None,
        "row_level_tag_rules": bool(_enabled(tags)),
        "column_level_security": [{"columns": list(rule.get("ColumnNames") or []),
                                   "principals": len(rule.get("Principals") or [])}
                                  for rule in rules if isinstance(rule, Mapping)],
    }


def _listed_security(summary: Mapping[str, Any]) -> dict[str, Any]:
    """What the listing says of a dataset's security when its definition could not be read."""
    rows = summary.get("RowLevelPermissionDataSet")
    tags = bool(summary.get("RowLevelPermissionTagConfigurationApplied"))
    return {"row_level_security": bool(_enabled(rows)) or tags,
            "column_level_security_applied": bool(summary.get("ColumnLevelPermissionRulesApplied"))}


def transform_data_set(record: dict[str, Any], account: str, region: str, types: Mapping[str, str]) -> Facts:
    summary = record["Summary"]
    data_set = record.get("DataSet") or {}
    data_set_id = str(data_set.get("Arn") or summary["Arn"])
    parsed = arns.parse_arn(data_set_id)
    home_account, home_region = _place(parsed, account, region)
    import_mode = str(data_set.get("ImportMode") or summary.get("ImportMode") or "")
    attributes: dict[str, Any] = {"import_mode": import_mode, "spice": import_mode == "SPICE"}
    if data_set.get("ConsumedSpiceCapacityInBytes") is not None:
        attributes["spice_bytes"] = data_set["ConsumedSpiceCapacityInBytes"]
    unread: list[str] = []
    flows = _DataSetFlows(data_set_id, home_region, home_account, types)
    if record.get("Unread"):
        unread.append("definition")
        attributes.update(_listed_security(summary))
    elif record.get("Uploaded"):
        attributes["uploaded"] = True  # a file uploaded into QuickSight: no upstream in AWS
        attributes.update(_listed_security(summary))
    else:
        attributes.update(_security(data_set))
        for table_id, table in sorted((data_set.get("PhysicalTableMap") or {}).items()):
            flows.physical(str(table_id), table)
        for table_id, table in sorted((data_set.get("LogicalTableMap") or {}).items()):
            flows.logical(str(table_id), table)
        attributes["tables"] = flows.tables
        if not flows.evidence:  # read from nowhere in AWS: a file upload
            attributes["uploaded"] = True
    if "Tags" in record:
        attributes["tags"] = record["Tags"]
    else:
        unread.append("tags")
    if flows.warnings:
        attributes["warnings"] = flows.warnings
    if unread:
        attributes["unread"] = unread
    name = str(data_set.get("Name") or summary.get("Name") or summary["DataSetId"])
    node = Node(data_set_id, "quicksight.dataset", name, stage_for("quicksight.dataset", record.get("Tags")),
                home_account, home_region, True, attributes)
    return Facts((node,), flows.edges())


# --- transform: dashboards and analyses -----------------------------------------------------------


def _shown(record: dict[str, Any], account: str, region: str, kind: str, answer_key: str, operation: str,
           path: str) -> Facts:
    summary = record["Summary"]
    described = record.get(answer_key) or {}
    node_id = str(described.get("Arn") or summary["Arn"])
    parsed = arns.parse_arn(node_id)
    home_account, home_region = _place(parsed, account, region)
    # A dashboard names its datasets per published version; an analysis, itself.
    version = (described.get("Version") or {}) if answer_key == "Dashboard" else described
    attributes: dict[str, Any] = {"status": str(version.get("Status") or summary.get("Status") or "")}
    if answer_key == "Dashboard":
        attributes["published_version"] = summary.get("PublishedVersionNumber", version.get("VersionNumber"))
    edges: list[Edge] = []
    if record.get("Unread"):
        attributes["unread"] = ["datasets"]
    else:
        data_sets = [str(arn) for arn in version.get("DataSetArns") or [] if arn]
        attributes["datasets"] = len(data_sets)
        edges = [Edge(arn, node_id, EdgeKind.READS, (Evidence(operation, node_id, path, arn),)) for arn in data_sets]
    name = str(described.get("Name") or summary.get("Name") or (parsed.resource_name if parsed else node_id))
    node = Node(node_id, kind, name, stage_for(kind), home_account, home_region, True, attributes)
    return Facts((node,), tuple(edges))


def transform_quicksight(raw: dict[str, Any], account: str, region: str) -> Facts:
    if raw.get(ACCOUNT_UNKNOWN):
        return Facts(gaps=(CoverageGap(LIST_DATA_SOURCES.service, LIST_DATA_SOURCES.operation, region,
                                       f"{ACCOUNT_UNKNOWN}: every QuickSight call names the account, and neither STS "
                                       "nor any other answer said which it is", region),))
    if not raw.get("Subscribed"):
        return Facts()
    sources = raw.get("DataSources") or []
    types = {} if raw.get("DataSourcesUnread") else _types_by_arn(sources)
    return Facts.concat([
        each_resource(sources, lambda s: transform_data_source(s, account, region), LIST_DATA_SOURCES,
                      lambda s: s["Arn"], region),
        each_resource(raw.get("DataSets") or [], lambda r: transform_data_set(r, account, region, types),
                      DESCRIBE_DATA_SET, lambda r: r["Summary"]["Arn"], region),
        each_resource(raw.get("Dashboards") or [],
                      lambda r: _shown(r, account, region, "quicksight.dashboard", "Dashboard",
                                       "quicksight:DescribeDashboard", "Version.DataSetArns"),
                      DESCRIBE_DASHBOARD, lambda r: r["Summary"]["Arn"], region),
        each_resource(raw.get("Analyses") or [],
                      lambda r: _shown(r, account, region, "quicksight.analysis", "Analysis",
                                       "quicksight:DescribeAnalysis", "DataSetArns"),
                      DESCRIBE_ANALYSIS, lambda r: r["Summary"]["Arn"], region),
    ])


# --- when STS could not name the account -------------------------------------------------------------


COLLECTOR = Collector(
    service="quicksight", label="QuickSight",
    calls=(LIST_DATA_SOURCES, LIST_DATA_SETS, DESCRIBE_DATA_SET, LIST_TAGS_FOR_RESOURCE, LIST_DASHBOARDS,
           DESCRIBE_DASHBOARD, LIST_ANALYSES, DESCRIBE_ANALYSIS),
    get=get_quicksight, transform=transform_quicksight, needs_account=True,
)
