"""template.yaml's roles, as the local cloud enforces them (aws-sam-translator expands the policy templates, then
intrinsics are resolved against the provisioned stack): each function gets what it needs, nothing it must not have.

The e2e suite proves the roles are sufficient (every call is checked there); these tests pin what they refuse.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.cloud import PROJECT_ROOT, LocalCloud
from local.iam import Call


@pytest.fixture(scope="module")
def telar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    out = tmp_path_factory.mktemp("telar-roles")
    with LocalCloud(project_root=PROJECT_ROOT, out_dir=out, api_port=0, aws_port=0, seed=False) as running:
        yield running


def allowed(telar: LocalCloud, function: str, action: str, resource: str, **context: str) -> bool:
    return telar.iam.roles[function].decide(Call(action, resource, context)) is not None


def test_internet_facing_functions_cannot_scan_or_delete_orders(telar: LocalCloud) -> None:
    table = f"arn:aws:dynamodb:us-east-1:123456789012:table/{telar.outputs['resources']['TelarTable']}"
    for function in ("IntakeApiFunction", "AuthorizerFunction"):
        assert not allowed(telar, function, "dynamodb:Scan", table)
        assert not allowed(telar, function, "dynamodb:DeleteItem", table, **{"dynamodb:LeadingKeys": "ORDER#1"})
    # The intake may remove only the marker of an order whose start is confirmed
    marker = {"dynamodb:LeadingKeys": "START#PENDING"}
    assert allowed(telar, "IntakeApiFunction", "dynamodb:DeleteItem", table, **marker)
    # And the authorizer reads keys and buyers only
    assert allowed(telar, "AuthorizerFunction", "dynamodb:GetItem", table, **{"dynamodb:LeadingKeys": "APIKEY#abc"})
    assert not allowed(telar, "AuthorizerFunction", "dynamodb:GetItem", table, **{"dynamodb:LeadingKeys": "ORDER#1"})


def test_qc_uploads_cannot_touch_reference_data_and_no_function_scans(telar: LocalCloud) -> None:
    uploads = f"arn:aws:s3:::{telar.outputs['uploads_bucket']}"
    assert allowed(telar, "QcUploadFunction", "s3:GetObjectVersion", f"{uploads}/qc/sheet.xlsx")
    assert not allowed(telar, "QcUploadFunction", "s3:PutObject", f"{uploads}/reference/reference.xlsx")
    assert not allowed(telar, "QcUploadFunction", "s3:GetObject", f"{uploads}/reference/reference.xlsx")
    table = f"arn:aws:dynamodb:us-east-1:123456789012:table/{telar.outputs['resources']['TelarTable']}"
    assert not [f for f in telar.iam.roles if allowed(telar, f, "dynamodb:Scan", table)]


def test_only_task_token_callbacks_are_granted_on_any_resource(telar: LocalCloud) -> None:
    wildcard = {
        action
        for role in telar.iam.roles.values()
        for grant in role.grants
        if grant.statement.get("Resource") == "*" and not grant.policy.startswith("arn:aws:iam::aws:policy/")
        for action in grant.actions
    }
    # the QC upload (or AwaitQc's retry) resumes a task, the reminders keep tasks alive; nothing fails one from outside
    assert wildcard == {"states:SendTaskSuccess", "states:SendTaskHeartbeat"}
    per_function = {
        role.function: sorted(
            action
            for grant in role.grants
            if grant.statement.get("Resource") == "*"
            for action in grant.actions
            if action.startswith("states:SendTask")
        )
        for role in telar.iam.roles.values()
    }
    assert {f: actions for f, actions in per_function.items() if actions} == {
        "QcUploadFunction": ["states:SendTaskSuccess"],
        "AwaitQcFunction": ["states:SendTaskSuccess"],  # a retry after its sheet was recorded
        "QcRemindersFunction": ["states:SendTaskHeartbeat"],
    }


def test_insert_cards_cannot_write_uploads_or_the_table_beyond_its_e_mail_claims(telar: LocalCloud) -> None:
    uploads = f"arn:aws:s3:::{telar.outputs['uploads_bucket']}"
    table = f"arn:aws:dynamodb:us-east-1:123456789012:table/{telar.outputs['resources']['TelarTable']}"
    assert not allowed(telar, "InsertCardsFunction", "s3:PutObject", f"{uploads}/photos/p.png")
    # (DynamoDB always gives a write's partition key as dynamodb:LeadingKeys)
    for key in ("ORDER#1", "REF#7", "CAPACITY#pe-cusco"):
        assert not allowed(telar, "InsertCardsFunction", "dynamodb:PutItem", table, **{"dynamodb:LeadingKeys": key})
    # the once-only claim of the office's missing-photo e-mail is all it writes
    claim = {"dynamodb:LeadingKeys": "ONCE#mail#photo-missing#CUS-01#cusco-01.png"}
    assert allowed(telar, "InsertCardsFunction", "dynamodb:PutItem", table, **claim)


def test_reference_uploads_read_photos_and_write_contact_sheets_only(telar: LocalCloud) -> None:
    uploads = f"arn:aws:s3:::{telar.outputs['uploads_bucket']}"
    artifacts = f"arn:aws:s3:::{telar.outputs['artifacts_bucket']}"
    # The photo options are read, a missing one is a 404 (ListBucket), and the group's sheet is written
    assert allowed(telar, "ReferenceUploadFunction", "s3:GetObject", f"{uploads}/photos/cusco-01.png")
    assert allowed(telar, "ReferenceUploadFunction", "s3:ListBucket", uploads)
    assert allowed(telar, "ReferenceUploadFunction", "s3:PutObject", f"{artifacts}/contact-sheets/pe-cusco.html")
    # but photos are never changed, and nothing else of the artifacts bucket is read or written
    assert not allowed(telar, "ReferenceUploadFunction", "s3:PutObject", f"{uploads}/photos/cusco-01.png")
    assert not allowed(telar, "ReferenceUploadFunction", "s3:PutObject", f"{artifacts}/cards/o-1/cards.html")
    assert not allowed(telar, "ReferenceUploadFunction", "s3:GetObject", f"{artifacts}/payroll/o-1/p.xlsx")
