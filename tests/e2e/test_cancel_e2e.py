"""A buyer cancels through the served API: the execution stops on the local cloud's Step Functions, the
managers' outbox has one notice per group, and the order reads CANCELLED."""

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local.demo import client_options
from tests.conftest import SAMPLES
from tests.e2e.conftest import mails
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def test_a_buyer_cancels_an_order_in_production_and_its_execution_stops(served: dict[str, Any]) -> None:
    api, key = served["api_url"].rstrip("/"), served["buyers"][0]["api_key"]
    body = json.loads((SAMPLES / "orders" / "tiendasol-otono-2027.json").read_text())
    body |= {"buyer_reference": "CANCEL-E2E", "requested_ship_date": (date.today() + timedelta(days=150)).isoformat()}
    created = requests.post(f"{api}/orders", json=body, headers={"x-api-key": key}, timeout=30).json()
    order_id = created["order_id"]

    def order() -> dict[str, Any]:
        return dict(requests.get(f"{api}/orders/{order_id}", headers={"x-api-key": key}, timeout=30).json())

    # Given the order planned and in production
    wait_for(lambda: order()["status"] == "IN_PRODUCTION" and order()["groups"], timeout=60, what="the plan")
    groups = len(order()["groups"])
    # When its buyer cancels it
    reply = requests.post(f"{api}/orders/{order_id}/cancel", headers={"x-api-key": key}, timeout=30)
    # Then the order is CANCELLED and its execution stopped
    assert reply.status_code == 200 and reply.json()["status"] == "CANCELLED", reply.text
    sfn = boto3.client("stepfunctions", **client_options(served))
    execution = served["state_machine_arn"].replace(":stateMachine:", ":execution:") + f":{order_id}"
    statuses: list[str] = []

    def aborted() -> bool:
        statuses.append(sfn.describe_execution(executionArn=execution)["status"])
        return statuses[-1] == "ABORTED"

    try:
        wait_for(aborted, timeout=30)
    except AssertionError:
        raise AssertionError(f"the execution is {statuses[-1:]}, not ABORTED") from None
    # and each group's manager has one notice to stop, with the buyer's reference in its subject
    outbox = Path(served["outbox_dir"])
    # (in her language: the notice names the reference and the assignment, the papers only the reference)
    notices = wait_for(lambda: [m for m in mails(outbox, "CANCEL-E2E") if order_id in str(m["Subject"])])
    assert len(notices) == groups, [str(m["Subject"]) for m in notices]
    # and the order stays CANCELLED (the stopped execution records nothing over it)
    assert order()["status"] == "CANCELLED"
