"""CloudFormation's intrinsics: resolved where the template determines them, kept as `${…}` where it does not."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from templates.intrinsics import NO_VALUE, Environment, is_determined, known_arn_fields, resolve


def env(**parameters: Any) -> Environment:
    return Environment(parameters=parameters, pseudo={"AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333",
                                                      "AWS::Partition": "aws"},
                       mappings={"Env": {"prod": {"Retention": "90"}}},
                       conditions={"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
                                   "Unknown": {"Fn::Equals": [{"Ref": "Missing"}, "x"]}})


def test_refs_to_parameters_and_pseudo_parameters() -> None:
    e = env(Stage="prod")
    assert resolve({"Ref": "Stage"}, e) == "prod"
    assert resolve({"Ref": "AWS::Region"}, e) == "eu-west-1"
    assert resolve({"Ref": "Missing"}, e) == "${Missing}"
    assert resolve({"Ref": "AWS::StackName"}, e) == "${AWS::StackName}"


def test_sub_fills_what_is_known_and_keeps_the_rest_as_written() -> None:
    e = env(Stage="prod")
    assert resolve({"Fn::Sub": "${Stage}-raw-${AWS::AccountId}"}, e) == "prod-raw-111122223333"
    assert resolve({"Fn::Sub": "${Stage}-${Missing}"}, e) == "prod-${Missing}"
    assert resolve({"Fn::Sub": ["${A}/${Stage}", {"A": {"Ref": "Stage"}}]}, e) == "prod/prod"
    assert resolve({"Fn::Sub": "literal ${!NotAVariable}"}, e) == "literal ${NotAVariable}"


def test_an_arn_of_an_unknown_account_is_written_with_an_empty_account() -> None:
    unknown = Environment()
    written = resolve({"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:f"},
                      unknown)
    assert written == "arn:aws:lambda:::function:f"
    # Anything else that waits for a pseudo parameter stays: the name itself is not known.
    assert resolve({"Fn::Sub": "${AWS::AccountId}-raw"}, unknown) == "${AWS::AccountId}-raw"
    assert known_arn_fields("arn:aws:s3:::${Bucket}/x", unknown) == "arn:aws:s3:::${Bucket}/x"


def test_join_select_split_find_in_map() -> None:
    e = env(Stage="prod", Subnets="a,b,c")
    assert resolve({"Fn::Join": ["", ["arn:aws:s3:::", {"Ref": "Stage"}, "/*"]]}, e) == "arn:aws:s3:::prod/*"
    assert resolve({"Fn::Select": [1, {"Fn::Split": [",", {"Ref": "Subnets"}]}]}, e) == "b"
    assert resolve({"Fn::FindInMap": ["Env", {"Ref": "Stage"}, "Retention"]}, e) == "90"
    assert resolve({"Fn::FindInMap": ["Env", "dev", "Retention"]}, e).startswith("${Fn::FindInMap")
    assert resolve({"Fn::FindInMap": ["Env", "dev", "Retention", {"DefaultValue": "7"}]}, e) == "7"


def test_conditions_choose_where_determined_and_never_guess() -> None:
    assert resolve({"Fn::If": ["IsProd", "big", "small"]}, env(Stage="prod")) == "big"
    assert resolve({"Fn::If": ["IsProd", "big", "small"]}, env(Stage="dev")) == "small"
    assert resolve({"Fn::If": ["Unknown", "big", "small"]}, env()) == "${Fn::If Unknown}"
    assert resolve({"Fn::If": ["IsProd", "big", {"Ref": "AWS::NoValue"}]}, env(Stage="dev")) is NO_VALUE


def test_no_value_removes_the_property() -> None:
    value = resolve({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}]}, env())
    assert value == {"B": [1]}


def test_exports_of_other_stacks_stay_unknown() -> None:
    assert resolve({"Fn::ImportValue": {"Fn::Sub": "${Stage}-bucket"}}, env(Stage="prod")) == (
        "${Fn::ImportValue prod-bucket}")


def test_a_condition_naming_itself_is_undetermined() -> None:
    looping = Environment(conditions={"A": {"Fn::Not": [{"Condition": "A"}]}})
    assert resolve({"Fn::If": ["A", 1, 2]}, looping) == "${Fn::If A}"


def test_resources_answer_through_the_lookup() -> None:
    calls = []

    def lookup(logical_id: str, attribute: str) -> str:
        calls.append((logical_id, attribute))
        return f"{logical_id}:{attribute or 'ref'}"

    e = Environment(lookup=lookup)
    assert resolve({"Fn::GetAtt": ["Queue", "Arn"]}, e) == "Queue:Arn"
    assert resolve({"Fn::GetAtt": "Queue.Arn"}, e) == "Queue:Arn"
    assert resolve({"Fn::Sub": "${Queue.Arn}|${Queue}"}, e) == "Queue:Arn|Queue:ref"


@pytest.mark.parametrize("value", ["${A}", ["x", "${B}"], {"k": {"n": "a-${C}"}}])
def test_is_determined_sees_a_placeholder_anywhere(value: Any) -> None:
    assert not is_determined(value)


json_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
intrinsic_names = st.sampled_from(["Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split",
                                   "Fn::FindInMap", "Fn::If", "Fn::Equals", "Fn::Not", "Fn::And", "Condition",
                                   "Fn::ImportValue", "Fn::Base64", "Fn::Length", "Fn::ToJsonString", "Other"])
documents = st.recursive(json_leaves, lambda children: st.one_of(
    st.lists(children, max_size=4),
    st.dictionaries(st.text(max_size=8), children, max_size=4),
    st.builds(lambda name, argument: {name: argument}, intrinsic_names, children)), max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_any_document_resolves_without_raising(document: Any) -> None:
    """Templates in the wild hold intrinsics with every wrong shape: resolving never raises, and a value with
    no intrinsic in it comes back as it was."""
    resolved = resolve(document, env(Stage="prod"))
    assert resolved is NO_VALUE or resolved is None or isinstance(resolved, str | int | bool | list | dict | float)


@settings(max_examples=200, deadline=None)
@given(st.recursive(json_leaves, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(min_size=2, max_size=8).filter(
        lambda k: k != "Ref" and not k.startswith("Fn::") and k != "Condition"), children, max_size=4)),
    max_leaves=20))
def test_plain_data_is_left_as_it_is(document: Any) -> None:
    assert resolve(document, env()) == document
