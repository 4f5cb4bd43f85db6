"""Twelve orders from two buyers for the same product, sent to the served API at the same moment: every one is
planned (lost races for capacity are waited out by the state machine's retry, not turned into NEEDS_ATTENTION),
and no maker is booked for more minutes in a week than she has."""

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from telar.adapters.dynamo import DynamoStores
from telar.models import AssignmentStatus
from tests.capacity_checks import over_booked
from tests.conftest import SAMPLES
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

ORDERS = 12
SKU = "KNT-SCARF-ALP"


def test_twelve_orders_from_two_buyers_sent_at_once_through_the_api_are_all_planned_without_over_booking(
    served: dict[str, Any], served_stores: DynamoStores
) -> None:
    api = served["api_url"].rstrip("/")
    buyers = served["buyers"][:2]
    assert len(buyers) == 2
    ship = (datetime.now(UTC).date() + timedelta(days=150)).isoformat()
    start_together = threading.Barrier(ORDERS, timeout=30)
    replies: dict[int, requests.Response | BaseException] = {}

    def send(i: int) -> None:
        body = json.loads((SAMPLES / "orders" / "tiendasol-otono-2027.json").read_text())  # its address, contact
        body["buyer_reference"] = f"RACE-{i:02d}"
        body["requested_ship_date"] = ship
        body["lines"] = [{"sku": SKU, "quantity": 10, "options": {"colour": "natural"}}]
        key = buyers[i % 2]["api_key"]
        start_together.wait()
        try:
            replies[i] = requests.post(f"{api}/orders", data=json.dumps(body), headers={"x-api-key": key}, timeout=60)
        except BaseException as e:  # reported by the test: a thread's exception would be lost
            replies[i] = e

    # When 12 orders for the same scarves are sent at the same moment
    threads = [threading.Thread(target=send, args=(i,)) for i in range(ORDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert all(isinstance(r, requests.Response) and r.status_code == 202 for r in replies.values()), {
        i: r.text if isinstance(r, requests.Response) else r for i, r in replies.items()
    }
    placed = {r.json()["order_id"]: buyers[i % 2]["api_key"] for i, r in replies.items()}  # type: ignore[union-attr]
    assert len(placed) == ORDERS

    # Then every order is planned: in production, each group waiting for its QC sheet, none needing attention
    def views() -> dict[str, dict[str, Any]]:
        got = {o: requests.get(f"{api}/orders/{o}", headers={"x-api-key": k}, timeout=30) for o, k in placed.items()}
        return {o: r.json() for o, r in got.items()}

    def all_planned() -> dict[str, dict[str, Any]] | None:
        now = views()
        stuck = {o: v["status_reason"] for o, v in now.items() if v["status"] == "NEEDS_ATTENTION"}
        assert not stuck, stuck
        planned = all(  # the executions wait for the sheets (the staff's side: the buyer reads the work window)
            v["groups"]
            and {a.status for a in served_stores.assignments.assignments_of(o)} == {AssignmentStatus.AWAITING_QC}
            for o, v in now.items()
        )
        return now if planned else None

    wait_for(all_planned, timeout=300, what=f"all {ORDERS} orders planned and waiting for QC")
    # and no maker of any group is booked beyond the minutes she has in any week (the ledger holds every plan)
    ref = served_stores.reference.load_reference()
    ledgers = served_stores.assignments.capacity_ledgers([g.group_id for g in ref.groups])
    assert not over_booked(ref, ledgers, datetime.now(UTC).date())
    # and each order's assignments booked its scarves' standard minutes (10 x 12 scarves in all)
    product = ref.product(SKU)
    assert product is not None
    for order_id in placed:
        assignments = served_stores.assignments.assignments_of(order_id)
        minutes = sum(m for a in assignments for weeks in a.booked.values() for m in weeks.values())
        assert minutes >= 10 * float(product.standard_minutes), (order_id, minutes)
