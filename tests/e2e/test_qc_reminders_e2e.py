"""QC reminders as deployed: QcRemindersFunction, invoked on the served local cloud with its own role (each AWS call
checked against the template's IAM), keeps the waiting QC tasks alive, reminds the manager of a sheet past its due
date once a day with the QC template attached again, and takes off its list a task whose execution was stopped."""

import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from openpyxl import load_workbook

from local.demo import client_options
from telar.adapters.dynamo import DynamoStores, keys
from telar.models import Assignment, AssignmentStatus
from telar.rendering import translator
from tests.conftest import SAMPLES
from tests.e2e.conftest import mails, wait_for_mails
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def _placed_and_waiting_for_qc(served: dict[str, Any], stores: DynamoStores, reference: str) -> list[Assignment]:
    """An order sent through the served API, once each of its assignments waits for its QC sheet."""
    body = json.loads((SAMPLES / "orders" / "tiendasol-otono-2027.json").read_text())
    body["buyer_reference"] = reference
    body["requested_ship_date"] = (datetime.now(UTC).date() + timedelta(days=150)).isoformat()
    body["lines"] = [{"sku": "KNT-SCARF-ALP", "quantity": 5, "options": {"colour": "natural"}}]
    headers = {"x-api-key": served["buyers"][0]["api_key"]}
    reply = requests.post(f"{served['api_url'].rstrip('/')}/orders", data=json.dumps(body), headers=headers, timeout=60)
    assert reply.status_code == 202, reply.text
    order_id = reply.json()["order_id"]

    def waiting() -> list[Assignment] | None:
        found = stores.assignments.assignments_of(order_id)
        ready = found and all(a.status is AssignmentStatus.AWAITING_QC and a.task_token for a in found)
        return found if ready else None

    return list(wait_for(waiting, timeout=120, what=f"order {reference} waiting for its QC sheets"))


def test_the_deployed_reminders_keep_tasks_alive_remind_an_overdue_sheet_once_a_day_and_drop_a_stopped_one(
    served: dict[str, Any], served_stores: DynamoStores
) -> None:
    # Given an order waiting for QC whose first sheet was due yesterday, and one whose execution an operator stopped
    late_ref, stopped_ref = f"REMIND-{uuid.uuid4().hex[:6]}", f"STOPPED-{uuid.uuid4().hex[:6]}"
    late, *_ = _placed_and_waiting_for_qc(served, served_stores, late_ref)
    stopped = _placed_and_waiting_for_qc(served, served_stores, stopped_ref)
    options = client_options(served)
    table = boto3.resource("dynamodb", **options).Table(served["resources"]["TelarTable"])
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    table.update_item(
        Key=keys.assignment(late.assignment_id),
        UpdateExpression="SET due_date = :d",
        ExpressionAttributeValues={":d": yesterday},
    )
    sfn = boto3.client("stepfunctions", **options)
    execution = f"{served['state_machine_arn'].replace(':stateMachine:', ':execution:')}:{stopped[0].order_id}"
    sfn.stop_execution(executionArn=execution, cause="stopped by an operator")

    # When the daily function runs, as EventBridge invokes it
    lambda_ = boto3.client("lambda", **options)

    def remind() -> dict[str, Any]:
        reply = lambda_.invoke(FunctionName=served["functions"]["QcRemindersFunction"], Payload=b"{}")
        answer = json.loads(reply["Payload"].read())
        assert "FunctionError" not in reply, answer
        return dict(answer)

    answer = remind()

    # Then the overdue sheet's manager is reminded, with the QC template attached again
    assert late.assignment_id in answer["reminded"]
    outbox = served["out"] / "outbox"
    group = served_stores.reference.load_reference().group(late.group_id)
    _ = translator(group.language)
    subject = _("Telar: QC sheet overdue — %(group)s, order %(reference)s", group=group.name, reference=late_ref)
    [mail] = wait_for_mails(outbox, subject)
    assert mail["To"] == group.manager_email
    [attached] = [p for p in mail.iter_attachments() if (p.get_filename() or "").endswith(".xlsx")]
    template = load_workbook(io.BytesIO(attached.get_content()))
    assert late.assignment_id in [c.value for row in template.worksheets[0].iter_rows() for c in row]
    # And the stopped execution's sheets are no longer awaited: off the list, not reminded
    assert {a.assignment_id for a in stopped} <= set(answer["no_longer_waiting"])
    assert not any(a.assignment_id in answer["reminded"] for a in stopped)
    assert all("Item" not in table.get_item(Key=keys.awaiting_qc(a.assignment_id)) for a in stopped)
    # And the late order's execution still waits (its heartbeat was sent, the task is alive)
    late_execution = execution.replace(stopped[0].order_id, late.order_id)
    assert sfn.describe_execution(executionArn=late_execution)["status"] == "RUNNING"

    # When it runs again the same day, Then the manager gets no second reminder
    assert late.assignment_id in remind()["reminded"]
    assert len(mails(outbox, subject)) == 1
