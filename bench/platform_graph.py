"""A synthetic data platform as a `lineage-graph/1` document: N nodes, the same ones for the same seed.

Shaped as a real estate is, because the view's cost depends on the shape and not only on the count:
event sources trigger ingest functions that land raw data in S3 paths; Glue jobs read paths and write
catalog tables, each stored at a path of its own that later jobs read again; Athena workgroups read the
tables; state machines start the jobs. Most nodes have one to three flows, a few are hubs (a lake bucket
holding thousands of paths, a table every team queries): every choice of "which one" is Zipf-weighted.
Jobs sit in tiers and read only what earlier tiers wrote, so the flows form no cycle, as in a platform.

    .venv/bin/python bench/platform_graph.py 10000 > platform.json
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate
from typing import Any

from lineage import arn as arns
from lineage.model import (
    STAGE_BY_KIND,
    CoverageGap,
    Edge,
    EdgeKind,
    Evidence,
    Finding,
    Node,
    Scan,
    ScanStatus,
    Stage,
)
from lineage.rules import ANY_KIND, all_rules, finding_id
from viz.export import dumps, scan_document

# Homes weighted as an estate grows: one main account and region, the rest smaller.
ACCOUNTS = ("111122223333", "222233334444", "333344445555", "444455556666")
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1")
DOMAINS = ("orders", "payments", "customers", "clicks", "inventory", "shipping", "marketing", "support", "finance",
           "fraud", "search", "reviews")
PERSONAL_CATEGORIES = ("email", "name", "phone", "address", "ip_address", "date_of_birth")
STORAGE_KINDS = ("s3.bucket", "s3.location", "glue.table", "glue.database")

# Share of the N nodes per kind; s3.location takes what is left (at least one per table, which it stores).
SHARES = {
    "events.source": 0.02,
    "lambda.function": 0.05,
    "s3.bucket": 0.025,
    "glue.database": 0.01,
    "athena.workgroup": 0.005,
    "states.state_machine": 0.02,
    "glue.job": 0.14,
    "glue.table": 0.30,
}
JOB_TIERS = (0.5, 0.3, 0.15, 0.05)  # how many jobs read raw data, and how many read what those wrote, and so on
FLOWS_PER_NODE = ((1, 0.40), (2, 0.30), (3, 0.15), (5, 0.10), (12, 0.04), (40, 0.01))  # heavy-tailed fan-in/out

FINDING_OPERATION = {
    "s3.bucket": "s3:GetBucketLifecycleConfiguration",
    "s3.location": "s3:GetBucketLifecycleConfiguration",
    "glue.table": "glue:GetTables",
    "glue.database": "glue:GetDatabases",
}


@dataclass(slots=True)
class Platform:
    """The estate while it is built: nodes by id (in creation order) and edges without duplicates."""

    random: random.Random
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str, EdgeKind], Edge] = field(default_factory=dict)

    def add(self, node: Node) -> str:
        self.nodes[node.id] = node
        return node.id

    def flow(self, source: str, target: str, kind: EdgeKind, evidence: Evidence) -> None:
        self.edges.setdefault((source, target, kind), Edge(source, target, kind, (evidence,)))

    def home(self) -> tuple[str, str]:
        account = self.random.choices(ACCOUNTS, weights=(8, 3, 2, 1))[0]
        return account, self.random.choices(REGIONS, weights=(6, 2, 1))[0]

    def zipf(self, population: Sequence[str], count: int, exponent: float = 1.1) -> list[str]:
        """`count` picks where the first few of `population` are picked far more often: the hubs."""
        return self.random.choices(population, cum_weights=_zipf_weights(len(population), exponent), k=count)

    def flows(self, at_most: int | None = None) -> int:
        """How many flows one node has: mostly one to three, now and then dozens."""
        value, _ = self.random.choices(FLOWS_PER_NODE, weights=[w for _, w in FLOWS_PER_NODE])[0]
        if value > 3:
            value = self.random.randint(value // 2 + 1, value)
        return min(value, at_most) if at_most else value


@cache
def _zipf_weights(length: int, exponent: float) -> tuple[float, ...]:
    # Cumulative, and kept: the same populations are drawn from thousands of times.
    return tuple(accumulate(1 / (rank + 1) ** exponent for rank in range(length)))


def node(kind: str, node_id: str, name: str, home: tuple[str, str], attributes: dict[str, Any] | None = None) -> Node:
    return Node(node_id, kind, name, STAGE_BY_KIND.get(kind, Stage.PROCESSING), home[0], home[1], True,
                attributes or {})


def counts(size: int) -> dict[str, int]:
    by_kind = {kind: max(1, round(size * share)) for kind, share in SHARES.items()}
    by_kind["s3.location"] = max(by_kind["glue.table"] + 1, size - sum(by_kind.values()))
    return by_kind


def bucket_attributes(platform: Platform, domain: str, home: tuple[str, str]) -> dict[str, Any]:
    draw = platform.random.random()
    algorithm = "aws:kms" if draw < 0.6 else "AES256" if draw < 0.95 else None
    rules = [{"id": f"expire-{prefix}", "enabled": True, "prefix": f"{prefix}/", "tags": {}, "size": {},
              "expiration_days": platform.random.choice((7, 30, 90, 365)), "expiration_date": None,
              "expires_delete_markers": False, "transitions": [], "noncurrent_expiration_days": None,
              "noncurrent_transitions": 0, "abort_incomplete_days": 7}
             for prefix in platform.random.sample(("raw", "tmp", "curated", "logs"), platform.random.randint(0, 2))]
    return {
        "encryption": {"algorithm": algorithm, "bucket_key": algorithm == "aws:kms",
                       "kms_key": f"arn:aws:kms:{home[1]}:{home[0]}:key/{platform.random.getrandbits(64):016x}"
                       if algorithm == "aws:kms" else None},
        "lifecycle_rules": rules,
        "versioning": platform.random.choice(("Enabled", "Suspended", "")),
        "tags": {"team": domain, "env": platform.random.choice(("prod", "prod", "staging")),
                 "cost-centre": f"cc-{platform.random.randint(100, 999)}"},
    }


def buckets(platform: Platform, count: int) -> list[str]:
    made = []
    for index in range(count):
        domain = DOMAINS[index % len(DOMAINS)]
        name = f"acme-{domain}-{('lake', 'raw', 'curated', 'exports')[index % 4]}-{index:04d}"
        home = platform.home()
        made.append(platform.add(node("s3.bucket", arns.bucket_arn(name), name, home,
                                      bucket_attributes(platform, domain, home))))
    return made


def location(platform: Platform, bucket_id: str, prefix: str) -> str:
    bucket = platform.nodes[bucket_id]
    location_id = arns.s3_location_id(bucket.name, prefix)
    platform.add(node("s3.location", location_id, f"{bucket.name}/{prefix}", (bucket.account, bucket.region)))
    platform.flow(location_id, bucket_id, EdgeKind.PART_OF, Evidence("s3:ListBuckets", bucket_id))
    return location_id


def ingest(platform: Platform, by_kind: dict[str, int], bucket_ids: list[str], raw_count: int) -> list[str]:
    """Event sources → ingest functions → raw paths; returns the raw paths. A fifth of the functions are
    left for the state machines (they have no source)."""
    sources = []
    for index in range(by_kind["events.source"]):
        home = platform.home()
        name = f"com.acme.{DOMAINS[index % len(DOMAINS)]}.{index}"
        sources.append(platform.add(node("events.source", arns.event_source_id(home[1], home[0], name), name, home)))
    functions = []
    for index in range(by_kind["lambda.function"]):
        home = platform.home()
        name = f"{DOMAINS[index % len(DOMAINS)]}-fn-{index:04d}"
        functions.append(platform.add(node("lambda.function", arns.lambda_function_arn(home[1], home[0], name), name,
                                           home, {"runtime": "python3.12", "memory": 512})))
    ingesting = functions[: max(1, len(functions) * 4 // 5)]
    for index, function in enumerate(ingesting):  # every ingest function has a source; hub sources feed many
        for source in dict.fromkeys([sources[index % len(sources)], *platform.zipf(sources, platform.flows(3) - 1)]):
            platform.flow(source, function, EdgeKind.TRIGGERS, Evidence("events:ListTargetsByRule", source,
                                                                        "Targets[0].Arn", function))
    raw = [location(platform, platform.zipf(bucket_ids, 1)[0], f"raw/{DOMAINS[i % len(DOMAINS)]}/dataset-{i:05d}")
           for i in range(raw_count)]
    for index, path in enumerate(raw):  # every raw path has a writer
        writer = ingesting[index % len(ingesting)]
        platform.flow(writer, path, EdgeKind.WRITES, Evidence("lambda:GetFunctionConfiguration", writer,
                                                              "Environment.Variables.TARGET", f"s3://{path[13:]}/"))
    return raw


def catalog(platform: Platform, by_kind: dict[str, int], bucket_ids: list[str]) -> tuple[list[str], dict[str, str]]:
    """Databases and tables, each table stored at its own path; returns the tables and the path of each."""
    databases = []
    for index in range(by_kind["glue.database"]):
        home = platform.home()
        name = f"{DOMAINS[index % len(DOMAINS)]}_{index:03d}"
        databases.append(platform.add(node("glue.database", arns.glue_database_arn(home[1], home[0], name), name,
                                           home)))
    tables, stored_at = [], {}
    for index, database_id in enumerate(platform.zipf(databases, by_kind["glue.table"])):
        database = platform.nodes[database_id]
        name = f"t_{index:05d}"
        columns = [{"name": c, "type": "string"} for c in platform.random.sample(
            ("id", "ts", "amount", "status", "country", "sku", "session", "email", "user_id"),
            platform.random.randint(3, 8))]
        table_id = platform.add(node("glue.table", arns.glue_table_arn(database.region, database.account,
                                                                       database.name, name),
                                     f"{database.name}.{name}", (database.account, database.region),
                                     {"format": "parquet", "columns": columns}))
        path = location(platform, platform.zipf(bucket_ids, 1)[0], f"curated/{database.name}/{name}")
        platform.flow(table_id, path, EdgeKind.STORED_AT, Evidence("glue:GetTables", table_id,
                                                                   "StorageDescriptor.Location", f"s3://{path[13:]}/"))
        platform.flow(table_id, database_id, EdgeKind.PART_OF, Evidence("glue:GetTables", table_id))
        tables.append(table_id)
        stored_at[table_id] = path
    return tables, stored_at


def jobs(platform: Platform, count: int, raw: list[str], tables: list[str], stored_at: dict[str, str]) -> list[str]:
    """Jobs in tiers: a job reads raw paths, or paths of tables an earlier tier wrote, and writes tables
    of its own tier. Every table has a writer; a few have a second one, never from a later tier."""
    made, tier_of = [], {}
    for index in range(count):
        home = platform.home()
        name = f"{DOMAINS[index % len(DOMAINS)]}-etl-{index:05d}"
        job_id = platform.add(node("glue.job", arns.glue_job_arn(home[1], home[0], name), name, home,
                                   {"glue_version": "4.0", "worker_type": "G.1X"}))
        made.append(job_id)
        tier_of[job_id] = platform.random.choices(range(len(JOB_TIERS)), weights=JOB_TIERS)[0]
    table_tier = {}
    writers = made + platform.zipf(made, max(0, len(tables) - len(made)))  # each job one table, hubs more
    for table_id, job_id in zip(tables, writers, strict=False):
        table_tier[table_id] = tier_of[job_id]
        platform.flow(job_id, table_id, EdgeKind.WRITES, Evidence("glue:GetJob", job_id,
                                                                 "DefaultArguments.--output_table", table_id))
    for table_id in platform.random.sample(tables, len(tables) // 20):
        earlier = [j for j in platform.random.sample(made, min(8, len(made))) if tier_of[j] <= table_tier[table_id]]
        if earlier:
            platform.flow(earlier[0], table_id, EdgeKind.WRITES, Evidence("glue:GetJob", earlier[0],
                                                                         "DefaultArguments.--output_table", table_id))
    readable_by_tier = [raw + [stored_at[t] for t in tables if table_tier.get(t, len(JOB_TIERS)) < tier]
                        for tier in range(len(JOB_TIERS))]
    for job_id in made:
        choices = readable_by_tier[tier_of[job_id]]
        for path in platform.zipf(choices, platform.flows(len(choices))):
            platform.flow(path, job_id, EdgeKind.READS, Evidence("glue:GetJob", job_id,
                                                                "DefaultArguments.--input_path", f"s3://{path[13:]}/"))
    return made


def usage(platform: Platform, count: int, tables: list[str]) -> None:
    """Workgroups read tables: most tables by one, some by none, hub tables by many."""
    workgroups = []
    for index in range(count):
        home = platform.home()
        name = f"{DOMAINS[index % len(DOMAINS)]}-analysts-{index:03d}"
        workgroups.append(platform.add(node("athena.workgroup", arns.athena_workgroup_arn(home[1], home[0], name),
                                            name, home, {"enforce_configuration": True})))
    readers = platform.zipf(workgroups, len(tables))
    for table_id, workgroup_id in zip(tables, readers, strict=True):
        if platform.random.random() < 0.75:
            platform.flow(table_id, workgroup_id, EdgeKind.READS, Evidence("athena:ListQueryExecutions", workgroup_id))
    for workgroup_id in workgroups:
        for table_id in platform.zipf(tables, platform.flows()):
            platform.flow(table_id, workgroup_id, EdgeKind.READS, Evidence("athena:ListQueryExecutions", workgroup_id))


def orchestration(platform: Platform, count: int, job_ids: list[str], stored_paths: list[str]) -> None:
    """State machines start jobs, and the functions no event source triggers (which read a curated path)."""
    triggered = {e.target for e in platform.edges.values() if e.kind == EdgeKind.TRIGGERS}
    idle = [n.id for n in platform.nodes.values() if n.kind == "lambda.function" and n.id not in triggered]
    for index in range(count):
        home = platform.home()
        name = f"{DOMAINS[index % len(DOMAINS)]}-pipeline-{index:04d}"
        machine = platform.add(node("states.state_machine", arns.state_machine_arn(home[1], home[0], name), name,
                                    home, {"type": "STANDARD", "logging": platform.random.choice(("ALL", "OFF"))}))
        for state, job_id in enumerate(platform.zipf(job_ids, platform.flows() + 1)):
            platform.flow(machine, job_id, EdgeKind.INVOKES, Evidence("states:DescribeStateMachine", machine,
                                                                     f"States.Job{state}.Parameters.JobName",
                                                                     job_id.rsplit("/", 1)[-1]))
        if idle and platform.random.random() < 0.5:
            function = idle[index % len(idle)]
            platform.flow(machine, function, EdgeKind.INVOKES, Evidence("states:DescribeStateMachine", machine,
                                                                       "States.Notify.Resource", function))
            path = platform.zipf(stored_paths, 1)[0]
            platform.flow(path, function, EdgeKind.READS, Evidence("lambda:GetFunctionConfiguration", function))


def personal_data(platform: Platform, share: float = 0.05) -> None:
    """Personal data on about `share` of the nodes, from a few labelled raw paths: the shape pii.propagate
    leaves (categories, origins, one path from each origin)."""
    ids = list(platform.nodes)
    raw = [i for i in ids if platform.nodes[i].kind == "s3.location" and "/raw/" in i]
    origins = platform.random.sample(raw, min(len(raw), max(1, len(ids) // 500)))
    for origin in origins:
        category = platform.random.choice(PERSONAL_CATEGORIES)
        labelled = platform.nodes[origin]
        platform.nodes[origin] = _with(labelled, personal_labels=[{"column": category, "category": category,
                                                                   "source": "macie"}])
    for node_id in platform.random.sample(ids, round(len(ids) * share)):
        chosen = platform.random.sample(origins, min(len(origins), platform.random.randint(1, 2)))
        categories = sorted(set(platform.random.sample(PERSONAL_CATEGORIES, platform.random.randint(1, 3))))
        platform.nodes[node_id] = _with(platform.nodes[node_id], personal_data={
            "categories": categories, "origins": chosen, "paths": {o: [o, node_id] for o in chosen},
            "writes_only": False})


def _with(current: Node, **attributes: Any) -> Node:
    return Node(current.id, current.kind, current.name, current.stage, current.account, current.region,
                current.observed, {**current.attributes, **attributes})


def findings(platform: Platform, share: float = 0.10) -> list[Finding]:
    """Findings of the tracker's own rules on about `share` of the storage nodes (one or two each)."""
    rules = all_rules()
    storage = [n for n in platform.nodes.values() if n.kind in STORAGE_KINDS]
    made: dict[str, Finding] = {}
    for current in platform.random.sample(storage, round(len(storage) * share)):
        candidates = [r for r in rules if current.kind in r.kinds] or [r for r in rules if ANY_KIND in r.kinds]
        for chosen in platform.random.sample(candidates, min(len(candidates), platform.random.randint(1, 2))):
            identifier = finding_id(chosen.id, current.id)
            made[identifier] = Finding(identifier, chosen.id, chosen.category, chosen.severity, current.id,
                                       f"{chosen.title}: {current.name}", chosen.remediation,
                                       (Evidence(FINDING_OPERATION[current.kind], current.id),))
    return list(made.values())


def platform_scan(size: int, seed: int = 7) -> Scan:
    """A scan of about `size` nodes (exactly `size` from a few hundred up), the same for the same seed."""
    platform = Platform(random.Random(seed))
    by_kind = counts(size)
    bucket_ids = buckets(platform, by_kind["s3.bucket"])
    raw = ingest(platform, by_kind, bucket_ids, by_kind["s3.location"] - by_kind["glue.table"])
    tables, stored_at = catalog(platform, by_kind, bucket_ids)
    job_ids = jobs(platform, by_kind["glue.job"], raw, tables, stored_at)
    usage(platform, by_kind["athena.workgroup"], tables)
    orchestration(platform, by_kind["states.state_machine"], job_ids, list(stored_at.values()))
    personal_data(platform)
    found = findings(platform)
    calls = {"s3:ListBuckets": 1, "glue:GetJobs": 1 + len(job_ids) // 100, "glue:GetTables": 1 + len(tables) // 100,
             "states:DescribeStateMachine": by_kind["states.state_machine"]}
    return Scan(
        id=f"bench-{size}-{seed}", started_at="2026-01-05T06:00:00+00:00", finished_at="2026-01-05T06:04:12+00:00",
        status=ScanStatus.PARTIAL, accounts=ACCOUNTS, regions=REGIONS, nodes=tuple(platform.nodes.values()),
        edges=tuple(platform.edges.values()), findings=tuple(found),
        coverage_gaps=(CoverageGap("macie2", "GetFindings", "", "AccessDeniedException", REGIONS[1]),),
        api_calls=calls,
    )


def platform_document(size: int, seed: int = 7) -> dict[str, Any]:
    return scan_document(platform_scan(size, seed))


if __name__ == "__main__":
    sys.stdout.write(dumps(platform_document(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
