"""The shared corpus deployed as one estate and scanned through the command line.

Every Step Functions definition of `../shared/corpus/asl` becomes a state machine, every EventBridge
pattern of `../shared/corpus/patterns` a rule on a custom bus, all in one moto server; one `lineage scan`
reads it all. The scan must complete without a gap, each machine must carry in the scan exactly the
facts `lineage asl` gives offline for its file, and each rule the producers and buckets its pattern names.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
from moto.server import ThreadedMotoServer

from lineage.asl import DefinitionError, load_definition
from lineage.cli import main
from lineage.patterns import pattern_facts
from tests.conftest import CORPUS, corpus_files
from tests.e2e.conftest import free_port, lineage
from viz.export import schema

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
BUS = "corpus-bus"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}

# Broken upstream (a missing comma): no template turns it into a definition, so AWS could not hold it.
REFUSED_BY_THE_LOADER = frozenset({
    "step-functions-workflows-collection__sfn-iot-data-analytics-dataset__statemachine__statemachine.asl.json",
})
# Only `lineage asl` reads a file with `${…}` outside strings; the deployed JSON has the substituted value.
OFFLINE_ONLY_WARNING = re.compile(r"^\d+ template placeholder\(s\) outside strings were read as dynamic values$")

DEFINITIONS = [p for p in corpus_files("asl") if p.name not in REFUSED_BY_THE_LOADER]
PATTERN_FILES = corpus_files("patterns")


def short_id(path: Path) -> str:
    return path.name[-70:]


@dataclass(frozen=True, slots=True)
class PatternRule:
    """One pattern as deployed: a file holds one pattern, or (event-ruler's test data) a list of them."""

    path: Path
    text: str  # the pattern as sent to EventBridge and as `pattern_facts` reads it
    arn: str
    where: str  # "file.json" or "file.json[3]", for messages


@dataclass(frozen=True, slots=True)
class Estate:
    machines: dict[str, str]  # file name -> state machine ARN
    refused: dict[str, str]  # file name -> why the loader refused it
    rules: dict[str, list[PatternRule]]  # file name -> its rules
    scan: subprocess.CompletedProcess
    document: dict[str, Any]  # `lineage export --format json` of that scan


def patterns_of(path: Path) -> list[tuple[str, str]]:
    """`(text, where)` for each pattern a file holds: the file itself, each item of a list, or the `rule`
    of each of event-ruler's test cases (`{"name", "rule", "event"}`)."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, list):
        return [(text, path.name)]
    found = []
    for index, item in enumerate(data):
        pattern = item["rule"] if isinstance(item, dict) and "rule" in item and "event" in item else item
        found.append((json.dumps(pattern), f"{path.name}[{index}]"))
    return found


def valid_name(index: int, path: Path, limit: int) -> str:
    """A unique resource name AWS accepts: the index, then as much of the file name as fits."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", path.name.split(".")[0]).strip("-")
    return f"{index:03d}-{stem}"[:limit]


def deploy(endpoint: str) -> tuple[dict[str, str], dict[str, str], dict[str, list[PatternRule]]]:
    session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    iam, sfn, sqs, events = (session.client(s, endpoint_url=endpoint) for s in ("iam", "stepfunctions", "sqs",
                                                                                 "events"))
    role = iam.create_role(RoleName="corpus-state-machines", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "states.amazonaws.com"}}]}))["Role"]["Arn"]
    machines: dict[str, str] = {}
    refused: dict[str, str] = {}
    for index, path in enumerate(corpus_files("asl")):
        try:
            definition, _ = load_definition(path.read_text(encoding="utf-8"), path.name)
        except DefinitionError as error:
            refused[path.name] = str(error)
            continue
        # What a template deploys: YAML as JSON, an unquoted `${…}` as the string the loader read.
        created = sfn.create_state_machine(name=valid_name(index, path, 80), definition=json.dumps(definition),
                                           roleArn=role)
        machines[path.name] = created["stateMachineArn"]

    queue_url = sqs.create_queue(QueueName="corpus-events")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.create_event_bus(Name=BUS)
    # moto checks only that each pattern value is an object or a non-empty array, so it also stores the
    # patterns event-ruler keeps as deliberately wrong, which EventBridge refuses: the scan reads them anyway.
    rules: dict[str, list[PatternRule]] = {}
    counter = 0
    for path in corpus_files("patterns"):
        for text, where in patterns_of(path):
            name = valid_name(counter, path, 64)
            counter += 1
            arn = events.put_rule(Name=name, EventPattern=text, EventBusName=BUS)["RuleArn"]
            events.put_targets(Rule=name, EventBusName=BUS, Targets=[{"Id": "queue", "Arn": queue}])
            rules.setdefault(path.name, []).append(PatternRule(path, text, arn, where))
    return machines, refused, rules


def reset(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30)


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    """One server, one deployment, one scan for the whole module. The e2e `moto_server` fixture starts a
    server per test; this starts one the same way, once, since the deployment and the scan are the slow part."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    home = tmp_path_factory.mktemp("corpus-estate")
    with pytest.MonkeyPatch.context() as environment:
        # Module fixtures start before the autouse per-test guard: fake credentials and no config here too.
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            environment.delenv(name, raising=False)
        for name, value in CREDENTIALS.items():
            environment.setenv(name, value)
        environment.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
        environment.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            reset(endpoint)
            machines, refused, rules = deploy(endpoint)
            db = str(home / "lineage.db")
            scanned = lineage("scan", "--endpoint-url", endpoint, "--region", REGION, "--db", db, env=CREDENTIALS)
            exported = lineage("export", "--db", db, "--format", "json", env=CREDENTIALS)
            assert exported.returncode == 0, exported.stderr
            yield Estate(machines, refused, rules, scanned, json.loads(exported.stdout))
        finally:
            # moto's state is per process: leave none of this estate to the mocks of later tests.
            reset(endpoint)
            server.stop()


# --- comparing the scan with `lineage asl` ------------------------------------------------------------

Edge = tuple[str, str, str, tuple[tuple[str, str, bool], ...]]


def edges_named_by(document: dict[str, Any], resource: str) -> set[Edge]:
    """Edges with the evidence that names `resource` as where the fact was read; the operation is left out
    (`file` offline, `states:DescribeStateMachine` in a scan)."""
    found = set()
    for edge in document["edges"]:
        evidence = tuple(sorted((e["path"], e["excerpt"], e["dynamic"]) for e in edge["evidence"]
                                if e["resource"] == resource))
        if evidence:
            found.add((edge["source"], edge["target"], edge["kind"], evidence))
    return found


def other_end_kinds(document: dict[str, Any], edges: set[Edge], machine: str) -> dict[str, str | None]:
    kinds = {node["id"]: node["kind"] for node in document["nodes"]}
    return {end: kinds.get(end) for edge in edges for end in edge[:2] if end != machine}


def offline(path: Path, arn: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    main(["asl", str(path), "--arn", arn, "--json"])
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, schema())
    return document


def difference(scanned: set[Edge], expected: set[Edge]) -> str:
    lines = [f"  only in the scan: {edge}" for edge in sorted(scanned - expected)]
    lines += [f"  only offline:     {edge}" for edge in sorted(expected - scanned)]
    return "\n".join(lines)


# --- the tests ----------------------------------------------------------------------------------------


def test_one_scan_of_the_whole_corpus_completes_without_a_gap(estate: Estate, corpus: Path) -> None:
    assert estate.scan.returncode == 0, (estate.scan.stdout, estate.scan.stderr)
    assert "Traceback" not in estate.scan.stderr
    header = estate.document["scan"]
    gaps = "\n".join(f"  {g['service']}:{g['operation']} {g['resource']}: {g['error']}"
                     for g in header["coverage_gaps"])
    assert header["coverage_gaps"] == [], f"the scan has coverage gaps:\n{gaps}"
    assert header["status"] == "complete"
    assert header["accounts"] == [ACCOUNT] and header["regions"] == [REGION]
    assert header["api_calls"]["states:DescribeStateMachine"] == len(estate.machines)
    jsonschema.validate(estate.document, schema())


def test_every_definition_is_deployed_except_the_one_the_loader_refuses(estate: Estate, corpus: Path) -> None:
    assert set(estate.refused) == REFUSED_BY_THE_LOADER, estate.refused
    assert all("not valid JSON" in reason for reason in estate.refused.values()), estate.refused
    assert set(estate.machines) == {p.name for p in DEFINITIONS}
    scanned = {n["id"] for n in estate.document["nodes"] if n["kind"] == "states.state_machine" and n["observed"]}
    assert set(estate.machines.values()) <= scanned


@pytest.mark.parametrize("path", DEFINITIONS, ids=short_id)
def test_a_deployed_definition_has_in_the_scan_the_facts_lineage_asl_gives_for_its_file(
        path: Path, estate: Estate, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arn = estate.machines.get(path.name)
    assert arn, f"{path.name} was not deployed: {estate.refused.get(path.name)}"
    expected = offline(path, arn, capsys)
    [node] = [n for n in estate.document["nodes"] if n["id"] == arn]
    assert node["kind"] == "states.state_machine" and node["observed"], f"{path.name}: {node}"

    scanned_edges = edges_named_by(estate.document, arn)
    offline_edges = edges_named_by(expected, arn)
    assert len(offline_edges) == len(expected["edges"]), f"{path.name}: offline evidence names another resource"
    assert scanned_edges == offline_edges, f"{path.name}: the scan's edges differ from `lineage asl`:\n" + difference(
        scanned_edges, offline_edges)
    # A node another collector observed carries more attributes than a reference does: only the kind counts.
    assert other_end_kinds(estate.document, scanned_edges, arn) == other_end_kinds(expected, offline_edges, arn), (
        f"{path.name}: the kinds of the nodes its edges reach differ")
    offline_warnings = [w for w in expected["warnings"] if not OFFLINE_ONLY_WARNING.match(w)]
    assert node["attributes"].get("warnings", []) == offline_warnings, f"{path.name}: warnings differ"


def test_lineage_asl_as_a_command_gives_what_it_gives_in_process(
        estate: Estate, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command itself, in its own process, for a YAML file and one with `${…}` outside strings."""
    yaml_file = next(p for p in DEFINITIONS if p.name.endswith((".yaml", ".yml")))
    placeholders = next(p for p in DEFINITIONS if any(OFFLINE_ONLY_WARNING.match(w) for w in offline(
        p, estate.machines[p.name], capsys)["warnings"]))
    for path in (yaml_file, placeholders):
        arn = estate.machines[path.name]
        result = lineage("asl", str(path), "--arn", arn, "--json")
        assert result.returncode == 0, (path.name, result.stderr)
        document = json.loads(result.stdout)
        assert document == offline(path, arn, capsys), path.name
        assert document["edges"], f"{path.name}: a corpus definition with integrations gave no edge"


@pytest.mark.parametrize("path", PATTERN_FILES, ids=short_id)
def test_a_pattern_rule_on_the_custom_bus_has_the_sources_and_buckets_its_pattern_names(
        path: Path, estate: Estate, corpus: Path) -> None:
    nodes = {n["id"]: n for n in estate.document["nodes"]}
    rules = estate.rules[path.name]
    assert rules, f"{path.name}: no pattern deployed"
    for rule in rules:
        assert rule.arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{BUS}/{rule.arn.rsplit('/', 1)[-1]}"
        node = nodes.get(rule.arn)
        assert node is not None and node["kind"] == "events.rule", f"{rule.where}: no rule node {rule.arn}"
        assert node["attributes"].get("warnings", []) == [], f"{rule.where}: {node['attributes']['warnings']}"
        facts = pattern_facts(rule.text)
        into_rule = [e for e in estate.document["edges"] if e["target"] == rule.arn]
        sources = {e["source"] for e in into_rule
                   if e["kind"] == "routes" and nodes.get(e["source"], {}).get("kind") == "events.source"}
        assert sources == {f"arn:aws:events:{REGION}:{ACCOUNT}:source/{s}" for s in facts.sources}, rule.where
        buckets = {e["source"] for e in into_rule if e["kind"] == "notifies"}
        assert buckets == {f"arn:aws:s3:::{b}" for b in facts.buckets}, rule.where
        bus = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{BUS}"
        assert any(e["source"] == bus and e["kind"] == "routes" for e in into_rule), f"{rule.where}: not on {BUS}"
