"""IAM as deployed: a function's AWS call outside its role gets the service's AccessDenied, as on AWS.

A throwaway project whose stub handler makes the calls it is told to (template.yaml's own roles:
test_template_roles.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from local.cloud import LocalCloud
from local.iam import unused_grants
from tests.integration.stacks import STACKS

TEMPLATE = (STACKS / "local_iam.yaml").read_text()

CALLER = """
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def lambda_handler(event, context):
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    calls = {
        "get": lambda: dynamodb.get_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": "x"}}),
        "put_mine": lambda: dynamodb.put_item(TableName=os.environ["TABLE_NAME"], Item={"pk": {"S": "MINE#1"}}),
        "put_theirs": lambda: dynamodb.put_item(TableName=os.environ["TABLE_NAME"], Item={"pk": {"S": "ORDER#1"}}),
        "delete": lambda: dynamodb.delete_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": "MINE#1"}}),
        "other_table": lambda: dynamodb.get_item(TableName=os.environ["OTHER_TABLE"], Key={"pk": {"S": "x"}}),
        "s3_put_mine": lambda: s3.put_object(Bucket=os.environ["BUCKET"], Key="mine/a.txt", Body=b"a"),
        # writes what it reads: tests run in any order, so it cannot count on s3_put_mine having run first
        "s3_get_mine": lambda: (
            s3.put_object(Bucket=os.environ["BUCKET"], Key="mine/b.txt", Body=b"b"),
            s3.get_object(Bucket=os.environ["BUCKET"], Key="mine/b.txt")["Body"].read(),
        ),
        "s3_put_theirs": lambda: s3.put_object(Bucket=os.environ["BUCKET"], Key="theirs/a.txt", Body=b"a"),
        "s3_put_locked": lambda: s3.put_object(Bucket=os.environ["BUCKET"], Key="mine/locked/a.txt", Body=b"a"),
        "s3_get_missing": lambda: s3.get_object(Bucket=os.environ["BUCKET"], Key="mine/never.txt"),
        "s3_head_missing": lambda: s3.head_object(Bucket=os.environ["BUCKET"], Key="mine/never.txt"),
    }
    if event["call"].startswith("form:"):  # a browser upload form for a key, signed with the role's credentials
        signer = boto3.client("s3", config=Config(signature_version="s3v4"))  # as telar.adapters.aws signs
        post = signer.generate_presigned_post(
            os.environ["BUCKET"], event["call"][5:], Conditions=[["content-length-range", 1, 100]], ExpiresIn=60
        )
        return {"allowed": True, "url": post["url"], "fields": post["fields"]}
    try:
        calls[event["call"]]()
    except ClientError as error:
        error_ = error.response["Error"]
        return {"allowed": False, "code": error_["Code"], "message": error_["Message"],
                "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
    return {"allowed": True}
"""


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    root = tmp_path_factory.mktemp("iam")
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "fns" / "caller").mkdir(parents=True)
    (root / "fns" / "caller" / "app.py").write_text(CALLER)
    with LocalCloud(project_root=root, out_dir=root / "out", api_port=0, aws_port=0, seed=False) as running:
        yield running


def call(cloud: LocalCloud, name: str, function: str = "telar-CallerFunction") -> dict[str, Any]:
    reply = cloud.client("lambda").invoke(FunctionName=function, Payload=json.dumps({"call": name}))
    assert "FunctionError" not in reply
    return dict(json.load(reply["Payload"]))


@pytest.mark.parametrize("name", ["get", "put_mine", "s3_put_mine", "s3_get_mine"])
def test_calls_the_role_grants_are_allowed(cloud: LocalCloud, name: str) -> None:
    # Given the function's role (SAM's DynamoDBReadPolicy plus its own statements)
    # When it makes a call the role grants, Then it succeeds
    assert call(cloud, name) == {"allowed": True}


@pytest.mark.parametrize(
    ("name", "code", "status"),
    [
        ("put_theirs", "AccessDeniedException", 400),  # the LeadingKeys condition does not match
        ("delete", "AccessDeniedException", 400),  # no statement grants DeleteItem
        ("other_table", "AccessDeniedException", 400),  # another table
        ("s3_put_theirs", "AccessDenied", 403),  # another prefix
        ("s3_put_locked", "AccessDenied", 403),  # an explicit Deny wins over the Allow
    ],
)
def test_a_call_outside_the_role_gets_the_services_access_denied(
    cloud: LocalCloud, name: str, code: str, status: int
) -> None:
    # When the function makes a call its role does not allow
    refused = call(cloud, name)
    # Then the service refuses it as AWS does, naming the role's session and the action
    assert (refused["allowed"], refused["code"], refused["status"]) == (False, code, status)
    session = "assumed-role/telar-CallerFunctionRole/telar-CallerFunction"
    assert f"{session} is not authorized to perform" in refused["message"]


@pytest.mark.parametrize("name", ["s3_get_missing", "s3_head_missing"])
def test_a_missing_object_is_a_404_only_to_a_role_that_may_list_the_bucket(cloud: LocalCloud, name: str) -> None:
    # Given two roles that may read mine/*, one of them also allowed s3:ListBucket on the bucket
    # When each reads an object that does not exist
    lister, caller = call(cloud, name, "telar-ListerFunction"), call(cloud, name)
    # Then, as S3 does, the role that may list learns it is missing (404), the other is refused (403)
    assert (lister["allowed"], lister["status"]) == (False, 404)
    assert (caller["allowed"], caller["status"]) == (False, 403)
    if name == "s3_get_missing":  # a HEAD reply has no body to name the action
        assert caller["code"] == "AccessDenied" and "s3:ListBucket" in caller["message"]


@pytest.mark.parametrize(
    ("key", "status"),
    [("mine/form.txt", 204), ("theirs/form.txt", 403), ("mine/locked/form.txt", 403)],
)
def test_a_browser_upload_is_put_as_the_role_that_signed_its_form(cloud: LocalCloud, key: str, status: int) -> None:
    # Given a presigned POST form the function signed (as the staff console signs its upload forms)
    form = call(cloud, f"form:{key}")
    # When a browser posts a file with it (the policy itself is valid)
    reply = requests.post(form["url"], data=form["fields"], files={"file": ("a.txt", b"hello")}, timeout=30)
    # Then S3 stores it only where the signer's role may s3:PutObject, as AWS authorises a POST upload
    assert reply.status_code == status, reply.text
    stored = cloud.client("s3").list_objects_v2(Bucket=cloud.outputs["resources"]["Bucket"], Prefix=key)
    assert stored.get("KeyCount", 0) == (1 if status == 204 else 0)
    if status == 403:
        assert "<Code>AccessDenied</Code>" in reply.text


def test_callers_that_are_not_functions_are_not_checked(cloud: LocalCloud) -> None:
    # Given the test process's own credentials (an administrator, as `aws --endpoint-url` is)
    # When it writes where the function may not, Then it may
    cloud.client("s3").put_object(Bucket=cloud.outputs["resources"]["Bucket"], Key="theirs/b.txt", Body=b"b")


def test_the_audit_records_what_was_granted_and_used(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    lines = [
        {
            "template": str(template),
            "granted": True,
            "function": "F",
            "policy": "P",
            "statement": 0,
            "actions": ["s3:GetObject", "s3:PutObject"],
        },
        {
            "template": str(template),
            "function": "F",
            "policy": "P",
            "statement": 0,
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::b/k",
        },
    ]
    (tmp_path / "1.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert unused_grants(tmp_path, template) == {"F": ["P#0: s3:PutObject"]}
