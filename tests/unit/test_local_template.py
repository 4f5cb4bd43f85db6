"""local.template: the template is read with its short tags, Globals and intrinsics as CloudFormation would."""

from pathlib import Path

import pytest

from local.template import (
    NO_VALUE,
    Pseudo,
    Resolver,
    TemplateError,
    UnsupportedIntrinsic,
    dependency_order,
    load_template,
    parameter_values,
    resources_with_globals,
)

TEMPLATE = """\
Parameters:
  Sender: {Type: String, Default: a@example.org}
  Emails: {Type: CommaDelimitedList, Default: "x@example.org, y@example.org"}
Globals:
  Function:
    Timeout: 60
    Layers: [!Ref Layer]
    Environment: {Variables: {TABLE: !Ref Table, LEVEL: INFO}}
Resources:
  Layer: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: layer}}
  Bucket:
    Type: AWS::S3::Bucket
    DependsOn: Policy
    Properties:
      BucketName: !Sub "${AWS::StackName}-uploads-${AWS::AccountId}"
      Target: !GetAtt Queue.Arn
  Policy: {Type: AWS::SQS::QueuePolicy, Properties: {Queues: [!Ref Queue]}}
  Queue: {Type: AWS::SQS::Queue}
  Table: {Type: AWS::DynamoDB::Table}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 15
      Layers: [extra]
      Environment: {Variables: {LEVEL: DEBUG, ARN: !Sub "${Queue.Arn}/x"}}
"""


@pytest.fixture
def template(tmp_path: Path) -> dict:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    return load_template(path)


def resolver(**refs: str) -> Resolver:
    return Resolver(
        pseudo=Pseudo(stack_name="telar", account_id="123456789012", region="us-east-1"),
        parameters={"Sender": "a@example.org"},
        refs=dict(refs),
        attributes={"Queue": {"Arn": "arn:aws:sqs:us-east-1:123456789012:telar-Queue"}},
    )


def test_short_tags_become_long_form_intrinsics(template: dict) -> None:
    bucket = template["Resources"]["Bucket"]["Properties"]
    assert bucket["BucketName"] == {"Fn::Sub": "${AWS::StackName}-uploads-${AWS::AccountId}"}
    assert bucket["Target"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert template["Resources"]["Policy"]["Properties"]["Queues"] == [{"Ref": "Queue"}]


def test_globals_merge_maps_concatenate_lists_and_let_the_function_win(template: dict) -> None:
    props = resources_with_globals(template)["Fn"]["Properties"]
    assert props["Timeout"] == 15
    assert props["Layers"] == [{"Ref": "Layer"}, "extra"]
    assert props["Environment"]["Variables"] == {
        "TABLE": {"Ref": "Table"},
        "LEVEL": "DEBUG",
        "ARN": {"Fn::Sub": "${Queue.Arn}/x"},
    }


def test_dependency_order_puts_references_and_depends_on_first(template: dict) -> None:
    order = dependency_order(resources_with_globals(template))
    assert order.index("Queue") < order.index("Policy") < order.index("Bucket")
    assert order.index("Table") < order.index("Fn") and order.index("Layer") < order.index("Fn")


def test_a_reference_cycle_is_an_error() -> None:
    resources = {"A": {"Properties": {"x": {"Ref": "B"}}}, "B": {"Properties": {"y": {"Fn::GetAtt": ["A", "Arn"]}}}}
    with pytest.raises(TemplateError, match="circular"):
        dependency_order(resources)


def test_sub_resolves_pseudo_parameters_resource_attributes_and_escapes() -> None:
    r = resolver(Table="telar-Table")
    assert r.resolve({"Fn::Sub": "${AWS::StackName}-uploads-${AWS::AccountId}"}) == "telar-uploads-123456789012"
    assert r.resolve({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Table}/*"}) == "arn:aws:s3:::telar-Table/*"
    assert r.resolve({"Fn::Sub": "${Queue.Arn}"}) == "arn:aws:sqs:us-east-1:123456789012:telar-Queue"
    assert r.resolve({"Fn::Sub": ["${x}-${!Literal}", {"x": {"Ref": "Sender"}}]}) == "a@example.org-${Literal}"
    assert r.resolve({"Fn::Sub": "https://api.${AWS::Region}.${AWS::URLSuffix}"}) == (
        "https://api.us-east-1.amazonaws.com"
    )


def test_ref_getatt_join_select_split_and_no_value() -> None:
    r = resolver(Table="telar-Table")
    value = {
        "a": {"Ref": "Table"},
        "b": {"Fn::GetAtt": "Queue.Arn"},
        "c": {"Fn::Join": ["-", ["x", {"Ref": "AWS::Region"}]]},
        "d": {"Fn::Select": [1, {"Fn::Split": [",", "p,q"]}]},
        "e": {"Ref": "AWS::NoValue"},
        "f": [1, {"Ref": "AWS::NoValue"}],
    }
    assert r.resolve(value) == {
        "a": "telar-Table",
        "b": "arn:aws:sqs:us-east-1:123456789012:telar-Queue",
        "c": "x-us-east-1",
        "d": "q",
        "f": [1],
    }
    assert r.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_unknown_intrinsics_and_names_fail_clearly() -> None:
    r = resolver()
    with pytest.raises(UnsupportedIntrinsic, match=r"Resources\.X: Fn::If"):
        r.resolve({"Fn::If": ["Cond", 1, 2]}, "Resources.X")
    with pytest.raises(TemplateError, match="Ref Nope"):
        r.resolve({"Ref": "Nope"})
    with pytest.raises(TemplateError, match=r"GetAtt Queue\.Url: the local cloud knows only \['Arn'\]"):
        r.resolve({"Fn::GetAtt": ["Queue", "Url"]})


def test_parameters_take_defaults_overrides_and_list_types(template: dict) -> None:
    assert parameter_values(template) == {"Sender": "a@example.org", "Emails": ["x@example.org", "y@example.org"]}
    assert parameter_values(template, {"Sender": "b@example.org"})["Sender"] == "b@example.org"
    with pytest.raises(TemplateError, match="unknown parameters"):
        parameter_values(template, {"Nope": "1"})
