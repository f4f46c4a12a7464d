"""Glue resource links followed across catalogs: the link references its target, and a table named in a
linked database references the target database's table, so a scan of both accounts has one flow."""

from __future__ import annotations

from lineage import arn as arns
from lineage.model import Edge, EdgeKind, Facts, Node, Stage
from lineage.pii import carries_personal_data
from lineage.resource_links import linked
from lineage.scan import analyse

LAKE, ANALYTICS, REGION = "111122223333", "444455556666", "eu-west-1"
SHARED = arns.glue_table_arn(REGION, LAKE, "customers", "profiles")


def database(account: str, name: str, **attributes) -> Node:
    return Node(arns.glue_database_arn(REGION, account, name), "glue.database", name, Stage.STORAGE, account, REGION,
                True, attributes)


def table(account: str, db: str, name: str, observed: bool = True, **attributes) -> Node:
    return Node(arns.glue_table_arn(REGION, account, db, name), "glue.table", f"{db}.{name}", Stage.STORAGE,
                account, REGION, observed, attributes)


def test_a_table_read_through_a_linked_database_references_the_shared_table() -> None:
    link = database(ANALYTICS, "lake_link", resource_link={"CatalogId": LAKE, "DatabaseName": "Customers"})
    read = table(ANALYTICS, "lake_link", "profiles", observed=False)
    edges = {(e.source, e.target, e.kind) for e in linked({n.id: n for n in (link, read)})}
    assert edges == {(link.id, arns.glue_database_arn(REGION, LAKE, "customers"), EdgeKind.REFERENCES),
                     (read.id, SHARED, EdgeKind.REFERENCES)}


def test_a_table_link_references_its_target_in_the_region_it_names() -> None:
    link = table(ANALYTICS, "local", "profiles_link", resource_link={
        "CatalogId": LAKE, "DatabaseName": "customers", "Name": "profiles", "Region": "us-east-1"})
    [edge] = linked({link.id: link})
    assert edge.target == arns.glue_table_arn("us-east-1", LAKE, "customers", "profiles")
    assert edge.evidence[0].operation == "glue:GetTables" and edge.evidence[0].path == "TargetTable"


def test_a_link_without_its_target_named_links_nothing_and_a_plain_database_is_no_link() -> None:
    broken = database(ANALYTICS, "half", resource_link={"DatabaseName": "customers"})
    plain = database(ANALYTICS, "own")
    assert linked({n.id: n for n in (broken, plain, table(ANALYTICS, "own", "t"))}) == []


def test_personal_data_of_the_shared_table_reaches_what_reads_the_link_in_another_account() -> None:
    shared = table(LAKE, "customers", "profiles", database="customers", columns=[{"name": "email", "type": "string"}])
    link = database(ANALYTICS, "lake_link", resource_link={"CatalogId": LAKE, "DatabaseName": "customers"})
    job = Node(f"arn:aws:glue:{REGION}:{ANALYTICS}:job/segment", "glue.job", "segment", Stage.PROCESSING,
               ANALYTICS, REGION)
    reads = Edge(arns.glue_table_arn(REGION, ANALYTICS, "lake_link", "profiles"), job.id, EdgeKind.READS)
    graph = analyse([Facts((shared, link, job), (reads,))]).graph
    assert job.id in graph.reach(shared.id)
    assert carries_personal_data(graph.nodes[job.id])
