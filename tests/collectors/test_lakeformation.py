"""Lake Formation: the get on recorded answers through botocore's Stubber (moto lists LF-tags but does not
search by them), the transform on what it read, and the ids it gives beside the Glue collector's."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import glue, lakeformation
from collectors.context import AwsContext
from lineage.graph import build_graph
from lineage.model import STAGE_TAG, Facts, Stage
from tests.collectors.recorded_answers import parsed, recorded

R, A, SHARING = "eu-west-1", "111122223333", "999988887777"
HR = f"arn:aws:glue:{R}:{A}:database/hr"
PEOPLE = f"arn:aws:glue:{R}:{A}:table/hr/people"
PAYROLL = f"arn:aws:glue:{R}:{A}:table/hr/payroll"
SALES = f"arn:aws:glue:{R}:{SHARING}:database/sales"
ORDERS = f"arn:aws:glue:{R}:{SHARING}:table/sales/orders"


def _context() -> tuple[AwsContext, Stubber]:
    session = boto3.Session(region_name=R)
    ctx = AwsContext(session, [R], workers=1, max_attempts=1)  # one worker: the searches in the order listed
    return ctx, Stubber(ctx.client("lakeformation", R))


def _pages(stub: Stubber, method: str, operation: str, pages: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    token = None
    for page in pages:
        stub.add_response(method, parsed("lakeformation", operation, page),
                          {**expected, **({"NextToken": token} if token else {})})
        token = page.get("NextToken")


def _listed(stub: Stubber, answers: dict[str, Any]) -> list[dict[str, Any]]:
    _pages(stub, "list_lf_tags", "ListLFTags", answers["ListLFTags"], {"ResourceShareType": "ALL"})
    return [tag for page in answers["ListLFTags"] for tag in page["LFTags"]]


def _read(stub: Stubber, ctx: AwsContext) -> dict[str, Any]:
    with stub:
        record = lakeformation.get_lakeformation(ctx, R)
        stub.assert_no_pending_responses()
    ctx.close()
    return record


def test_one_search_per_key_with_all_its_values_finds_tags_of_databases_tables_and_columns() -> None:
    answers = recorded("lakeformation")
    ctx, stub = _context()
    for tag in _listed(stub, answers):
        # Every value of the key, in the catalog that defines it: whatever carries the key is found.
        expected = {"Expression": [{"TagKey": tag["TagKey"], "TagValues": tag["TagValues"]}],
                    "CatalogId": tag["CatalogId"]}
        searched = tag["TagKey"] if tag["CatalogId"] == A else f"{tag['CatalogId']}/{tag['TagKey']}"
        _pages(stub, "search_databases_by_lf_tags", "SearchDatabasesByLFTags",
               answers["SearchDatabasesByLFTags"][searched], expected)
        _pages(stub, "search_tables_by_lf_tags", "SearchTablesByLFTags", answers["SearchTablesByLFTags"][searched],
               expected)
    record = _read(stub, ctx)
    assert ctx.gaps == []
    assert ctx.api_calls == {"lakeformation:ListLFTags": 2, "lakeformation:SearchDatabasesByLFTags": 3,
                             "lakeformation:SearchTablesByLFTags": 4}

    facts = lakeformation.transform_lakeformation(record, A, R)
    assert facts.edges == () and facts.gaps == ()
    nodes = {node.id: node for node in facts.nodes}
    assert sorted(nodes) == sorted([HR, PEOPLE, PAYROLL, SALES, ORDERS])  # each once, however often found
    assert {node_id: (n.kind, n.name, n.account, n.region, n.stage, n.observed) for node_id, n in nodes.items()} == {
        HR: ("glue.database", "hr", A, R, Stage.STORAGE, False),
        PEOPLE: ("glue.table", "hr.people", A, R, Stage.STORAGE, False),
        PAYROLL: ("glue.table", "hr.payroll", A, R, Stage.STORAGE, False),
        SALES: ("glue.database", "sales", SHARING, R, Stage.STORAGE, False),  # a catalog shared with this account
        ORDERS: ("glue.table", "sales.orders", SHARING, R, Stage.STORAGE, False),
    }
    assert nodes[HR].attributes == {"lf_tags": {"classification": ["confidential"]}}
    assert nodes[PEOPLE].attributes == {
        "lf_tags": {"classification": ["confidential"], "pii": ["none"]},
        # `id` has exactly the table's tags; `contact` was answered by one search only, and its values sorted.
        "lf_column_tags": {"contact": {"classification": ["confidential"], "pii": ["email", "name"]},
                           "email": {"classification": ["confidential"], "pii": ["email"]}},
    }
    assert nodes[PAYROLL].attributes == {
        "lf_tags": {"classification": ["confidential"]},
        "lf_column_tags": {"employee_name": {"classification": ["confidential"], "pii": ["name"]}},
    }
    assert nodes[SALES].attributes == {"lf_tags": {"domain": ["sales"]}}
    assert nodes[ORDERS].attributes == {"lf_tags": {"domain": ["sales"]}, "lf_column_tags": {}}


def test_a_key_with_more_values_than_a_search_takes_is_searched_fifty_values_at_a_time() -> None:
    values = [f"cost-centre-{index:03d}" for index in range(120)]
    ctx, stub = _context()
    stub.add_response("list_lf_tags", parsed("lakeformation", "ListLFTags", {"LFTags": [
        {"CatalogId": A, "TagKey": "cost_centre", "TagValues": values}]}), {"ResourceShareType": "ALL"})
    for chunk in (values[:50], values[50:100], values[100:]):
        expected = {"Expression": [{"TagKey": "cost_centre", "TagValues": chunk}], "CatalogId": A}
        stub.add_response("search_databases_by_lf_tags", {"DatabaseList": []}, expected)
        stub.add_response("search_tables_by_lf_tags", {"TableList": [
            {"Table": {"CatalogId": A, "DatabaseName": "finance", "Name": "ledger"},
             "LFTagsOnTable": [{"CatalogId": A, "TagKey": "cost_centre", "TagValues": [chunk[0]]}]}]}, expected)
    record = _read(stub, ctx)
    assert ctx.gaps == [] and ctx.api_calls["lakeformation:SearchTablesByLFTags"] == 3
    [ledger] = lakeformation.transform_lakeformation(record, A, R).nodes
    assert ledger.attributes["lf_tags"] == {"cost_centre": ["cost-centre-000", "cost-centre-050", "cost-centre-100"]}


def test_a_denied_listing_is_a_gap_and_nothing_is_searched() -> None:
    ctx, stub = _context()
    stub.add_client_error("list_lf_tags", "AccessDeniedException", "Insufficient Lake Formation permission(s)", 403,
                          expected_params={"ResourceShareType": "ALL"})
    record = _read(stub, ctx)
    [gap] = ctx.gaps
    assert (gap.service, gap.operation, gap.region) == ("lakeformation", "ListLFTags", R)
    assert ctx.api_calls == {"lakeformation:ListLFTags": 1}
    assert lakeformation.transform_lakeformation(record, A, R) == Facts()


def test_a_failed_search_is_a_gap_naming_its_key_and_the_other_searches_are_kept() -> None:
    answers = recorded("lakeformation")
    ctx, stub = _context()
    classification, pii = answers["ListLFTags"][0]["LFTags"]
    stub.add_response("list_lf_tags", parsed("lakeformation", "ListLFTags", {"LFTags": [classification, pii]}),
                      {"ResourceShareType": "ALL"})
    stub.add_client_error("search_databases_by_lf_tags", "InternalServiceException", "Internal service error", 500)
    _pages(stub, "search_tables_by_lf_tags", "SearchTablesByLFTags", answers["SearchTablesByLFTags"]["classification"],
           {"Expression": [{"TagKey": "classification", "TagValues": classification["TagValues"]}],
            "CatalogId": A})
    _pages(stub, "search_databases_by_lf_tags", "SearchDatabasesByLFTags", answers["SearchDatabasesByLFTags"]["pii"],
           {"Expression": [{"TagKey": "pii", "TagValues": pii["TagValues"]}], "CatalogId": A})
    stub.add_client_error("search_tables_by_lf_tags", "AccessDeniedException", "Insufficient permission", 403)
    record = _read(stub, ctx)
    assert sorted((g.operation, g.resource) for g in ctx.gaps) == [("SearchDatabasesByLFTags", f"{A}/classification"),
                                                                    ("SearchTablesByLFTags", f"{A}/pii")]
    nodes = {n.id: n for n in lakeformation.transform_lakeformation(record, A, R).nodes}
    assert sorted(nodes) == sorted([HR, PEOPLE, PAYROLL])
    # The database's tags as the tables' answers give them, its own search having failed.
    assert nodes[HR].attributes == {"lf_tags": {"classification": ["confidential"]}}


def test_an_answer_of_an_unexpected_shape_costs_only_that_resource() -> None:
    answers = recorded("lakeformation")
    tables = answers["SearchTablesByLFTags"]["999988887777/domain"][0]["TableList"]
    broken = {"Table": {"CatalogId": A, "DatabaseName": "hr", "Name": "broken"},
              "LFTagsOnTable": [{"TagKey": "pii", "TagValues": "email"}]}  # values not a list
    federated = {"Table": {"CatalogId": f"{A}:s3tablescatalog/lake", "DatabaseName": "ns", "Name": "t"},
                 "LFTagsOnTable": [{"TagKey": "pii", "TagValues": ["email"]}]}
    facts = lakeformation.transform_lakeformation({"tables": [*tables, broken, federated]}, A, R)
    # A catalog that is no account's has no table id of the Glue collector's form: not a node of it.
    assert sorted(node.id for node in facts.nodes) == [SALES, ORDERS]
    [gap] = facts.gaps
    assert (gap.service, gap.operation, gap.resource) == ("lakeformation", "SearchTablesByLFTags", "hr.broken")


# --- on moto --------------------------------------------------------------------------------------


@mock_aws
def test_an_account_that_never_used_lake_formation_is_read_with_one_call_and_no_gap() -> None:
    session = boto3.Session(region_name="us-east-1")
    ctx = AwsContext(session, ["us-east-1"])
    record = lakeformation.get_lakeformation(ctx, "us-east-1")
    ctx.close()
    assert ctx.gaps == [] and ctx.api_calls == {"lakeformation:ListLFTags": 1}
    assert lakeformation.transform_lakeformation(record, "123456789012", "us-east-1") == Facts()


@mock_aws
def test_the_tags_land_on_the_nodes_the_glue_collector_reads_whatever_order_the_facts_come_in() -> None:
    region, account = "us-east-1", "123456789012"
    session = boto3.Session(region_name=region)
    catalog = session.client("glue")
    catalog.create_database(DatabaseInput={"Name": "hr"})
    catalog.create_table(DatabaseName="hr", TableInput={
        "Name": "people", "Parameters": {STAGE_TAG: "usage"},  # Glue's own reading says where it stands
        "StorageDescriptor": {"Location": "s3://hr-lake/people/", "Columns": [
            {"Name": "id", "Type": "string"}, {"Name": "email", "Type": "string"}]}})
    tags = session.client("lakeformation")
    tags.create_lf_tag(TagKey="classification", TagValues=["confidential", "public"])
    tags.create_lf_tag(TagKey="pii", TagValues=["email", "none"])
    tags.add_lf_tags_to_resource(Resource={"Database": {"Name": "hr"}},
                                 LFTags=[{"TagKey": "classification", "TagValues": ["confidential"]}])
    tags.add_lf_tags_to_resource(Resource={"TableWithColumns": {"DatabaseName": "hr", "Name": "people",
                                                                "ColumnNames": ["email"]}},
                                 LFTags=[{"TagKey": "pii", "TagValues": ["email"]}])
    ctx = AwsContext(session, [region])
    lf_facts = lakeformation.transform_lakeformation(lakeformation.get_lakeformation(ctx, region), account, region)
    glue_facts = glue.transform_glue(glue.get_glue(ctx, region), account, region)
    ctx.close()
    assert ctx.gaps == []
    glue_ids = {node.id: node for node in glue_facts.nodes}
    for node in lf_facts.nodes:
        assert node.id in glue_ids, f"{node.id} is no id the Glue collector gives"
        assert (node.kind, node.name) == (glue_ids[node.id].kind, glue_ids[node.id].name)
    table = f"arn:aws:glue:{region}:{account}:table/hr/people"
    for facts in ([glue_facts, lf_facts], [lf_facts, glue_facts]):
        merged = build_graph(facts).nodes[table]
        assert merged.observed and merged.stage == Stage.USAGE  # Glue's reading of the table stands
        assert merged.attributes["location"] == "s3://hr-lake/people/"
        assert merged.attributes["lf_tags"] == {"classification": ["confidential"]}  # inherited from the database
        assert merged.attributes["lf_column_tags"] == {"email": {"classification": ["confidential"],
                                                                 "pii": ["email"]}}
        database = build_graph(facts).nodes[f"arn:aws:glue:{region}:{account}:database/hr"]
        assert database.observed and database.attributes["lf_tags"] == {"classification": ["confidential"]}
