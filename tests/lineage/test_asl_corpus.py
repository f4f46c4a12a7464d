"""Real definitions from the shared corpus, each compared with a review of what it means.

Every file in `corpus_expected/` was written by reading one definition of `../shared/corpus/asl`: the flows its
Tasks and Distributed Maps name (source, kind, target and the paths in the document that say so), the dynamic
places, the warnings a reader should get, and the calls that only touch configuration. The parser's result must
equal the review exactly, so a flow too many fails as surely as one missing.

A review may carry `parser_disagrees`: the review is what the definition means, the parser says otherwise, and
the test runs as a strict expected failure until the parser is fixed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lineage import arn as arns
from lineage.asl import Machine, parse_definition

EXPECTED = Path(__file__).parent / "corpus_expected"
REGION = "eu-west-1"
ACCOUNT = "111122223333"
MACHINE_ID = arns.state_machine_arn(REGION, ACCOUNT, "m")
REVIEW_KEYS = {"file", "machine", "edges", "dynamic", "warnings", "control_calls", "parser_disagrees"}


def _reviews() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(EXPECTED.glob("*.json"))]


def _params() -> list[Any]:
    return [pytest.param(review, id=review["file"].split("__", 1)[-1][:90],
                         marks=[pytest.mark.xfail(strict=True, reason=review["parser_disagrees"])]
                         if review.get("parser_disagrees") else [])
            for review in _reviews()]


def test_at_least_twenty_definitions_are_reviewed_each_in_its_own_file() -> None:
    reviews = _reviews()
    assert len(reviews) >= 20
    for path, review in zip(sorted(EXPECTED.glob("*.json")), reviews, strict=True):
        assert path.name == f"{review['file']}.json"
        assert set(review) <= REVIEW_KEYS and review["machine"] == MACHINE_ID
        for edge in review["edges"]:
            assert MACHINE_ID in (edge["source"], edge["target"]) and edge["paths"], edge


@pytest.mark.parametrize("review", _params())
def test_a_reviewed_definition_means_exactly_what_its_review_says(review: dict[str, Any], corpus: Path) -> None:
    path = corpus / "asl" / review["file"]
    result = parse_definition(path.read_text(encoding="utf-8"), Machine(review["machine"], REGION, ACCOUNT),
                              path.name)

    found = {(e.source, e.kind.value, e.target): {ev.path for ev in e.evidence} for e in result.facts.edges}
    expected = {(e["source"], e["kind"], e["target"]): set(e["paths"]) for e in review["edges"]}
    assert set(found) == set(expected), "flows differ"
    assert found == expected, "evidence paths differ"

    assert {node.id for node in result.facts.nodes if arns.is_dynamic(node.id)} == set(review["dynamic"])

    # each expected warning is given, and nothing else is warned about
    assert len(result.warnings) == len(review["warnings"]), result.warnings
    for fragment in review["warnings"]:
        assert any(fragment in warning for warning in result.warnings), (fragment, result.warnings)
    for warning in result.warnings:
        assert any(fragment in warning for fragment in review["warnings"]), warning

    assert sorted(result.control_calls) == sorted(review.get("control_calls", []))


# --- Walking a definition without the parser ------------------------------------------------------------------


def integration_points(document: Any) -> list[tuple[str, str]]:
    """(path, Resource) of every Task and of every Distributed Map's `ItemReader` and `ResultWriter`, in every
    branch and iterator, named as evidence names them (`States.Run.Branches[0].States.Load`)."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        machine, prefix = stack.pop()
        states = machine.get("States") if isinstance(machine, dict) else None
        for name, state in (states.items() if isinstance(states, dict) else ()):
            if not isinstance(state, dict):
                continue
            path = f"{prefix}.States.{name}" if prefix else f"States.{name}"
            kind = state.get("Type")
            if kind == "Task":
                found.append((path, state.get("Resource")))
            elif kind == "Parallel" and isinstance(state.get("Branches"), list):
                stack.extend((branch, f"{path}.Branches[{index}]") for index, branch in enumerate(state["Branches"]))
            elif kind == "Map":
                for key in ("ItemProcessor", "Iterator"):
                    if key in state:
                        stack.append((state[key], f"{path}.{key}"))
                        break
                for key in ("ItemReader", "ResultWriter"):
                    block = state.get(key)
                    if isinstance(block, dict) and "Resource" in block:
                        found.append((f"{path}.{key}", block["Resource"]))
    return found


def names_a_place(document: Any, path: str) -> bool:
    """Whether `path` (keys joined by `.`, list items as `[i]`) leads to a value of `document`. Keys may hold a
    dot themselves (`JobName.$`, a state called `v1.2`), so each key of an object is tried where it fits."""
    if not path:
        return True
    if path[0] == "[":
        index, _, rest = path[1:].partition("]")
        return (isinstance(document, list) and index.isdigit() and int(index) < len(document)
                and names_a_place(document[int(index)], rest))
    if path[0] == ".":
        path = path[1:]
    return isinstance(document, dict) and any(
        names_a_place(value, path[len(key):]) for key, value in document.items()
        if isinstance(key, str) and path.startswith(key) and path[len(key):len(key) + 1] in ("", ".", "["))


def is_under(path: str, prefix: str) -> bool:
    return path == prefix or (path.startswith(prefix) and path[len(prefix)] in ".[:")


def test_names_a_place_follows_keys_with_dots_and_list_items() -> None:
    document = {"States": {"v1.2": {"Parameters": {"JobName.$": "$.j", "Entries": [{"EventBusName": "b"}]}}}}
    assert names_a_place(document, "States.v1.2.Parameters.JobName.$")
    assert names_a_place(document, "States.v1.2.Parameters.Entries[0].EventBusName")
    assert not names_a_place(document, "States.v1.2.Parameters.Entries[1]")
    assert not names_a_place(document, "States.v1.2.Parameters.JobName")
    assert not names_a_place(document, "States.v1")
    assert [path for path, _ in integration_points({"States": {"P": {"Type": "Parallel", "Branches": [
        {"States": {"M": {"Type": "Map", "ItemReader": {"Resource": "r"}, "ItemProcessor": {
            "States": {"T": {"Type": "Task", "Resource": "t"}}}}}}]}}})] == [
        "States.P.Branches[0].States.M.ItemReader", "States.P.Branches[0].States.M.ItemProcessor.States.T"]
