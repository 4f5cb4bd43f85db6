"""The start sweeper as deployed: StartSweeperFunction, invoked on the served local cloud with its own role (the
local cloud checks each of its AWS calls against the template's IAM), starts an order whose intake stored it and
stopped before starting it, and only clears the marker of one its buyer cancelled meanwhile."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from local.demo import client_options
from telar.adapters.dynamo import DynamoStores, keys
from telar.intake import accept_order
from telar.models import Buyer, Order, OrderRequest, OrderStatus
from tests.conftest import SAMPLES

pytestmark = pytest.mark.e2e


def _stored_unstarted(stores: DynamoStores, buyer: dict[str, Any], reference: str, minutes_ago: int) -> Order:
    """An order stored with its start-pending marker ``minutes_ago``, as an intake that stopped before the start."""
    body = json.loads((SAMPLES / "orders" / "tiendasol-otono-2027.json").read_text())
    body["buyer_reference"] = reference
    body["requested_ship_date"] = (datetime.now(UTC).date() + timedelta(days=150)).isoformat()
    body["lines"] = [{"sku": "KNT-SCARF-ALP", "quantity": 5, "options": {"colour": "natural"}}]
    who = Buyer(buyer_id=buyer["buyer_id"], name=buyer["buyer_id"], email="buyer@example.org")
    stored_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    order = accept_order(OrderRequest.model_validate(body), who, stores.reference.load_reference(), stored_at)
    stores.orders.create_order(order)
    return order


def _marked(served: dict[str, Any], order: Order) -> bool:
    table = boto3.resource("dynamodb", **client_options(served)).Table(served["resources"]["TelarTable"])
    return "Item" in table.get_item(Key=keys.start_pending(order.created_at, order.order_id))


def test_the_deployed_sweeper_starts_an_order_left_unstarted_and_never_one_cancelled(
    served: dict[str, Any], served_stores: DynamoStores
) -> None:
    # Given an order stored 10 minutes ago whose start failed (kept START_PENDING), one stored and never started,
    # one cancelled before its start, and one just stored
    buyer = served["buyers"][0]
    left = _stored_unstarted(served_stores, buyer, "SWEEP-LEFT", minutes_ago=10)
    served_stores.orders.update_order(left.order_id, status=OrderStatus.START_PENDING.value)
    never = _stored_unstarted(served_stores, buyer, "SWEEP-NEVER", minutes_ago=10)
    cancelled = _stored_unstarted(served_stores, buyer, "SWEEP-CANCELLED", minutes_ago=10)
    served_stores.orders.update_order(cancelled.order_id, status=OrderStatus.CANCELLED.value)
    recent = _stored_unstarted(served_stores, buyer, "SWEEP-RECENT", minutes_ago=0)

    # When the scheduled function runs, as EventBridge invokes it
    lambda_ = boto3.client("lambda", **client_options(served))

    def sweep() -> list[str]:
        reply = lambda_.invoke(FunctionName=served["functions"]["StartSweeperFunction"], Payload=b"{}")
        answer = json.loads(reply["Payload"].read())
        assert "FunctionError" not in reply, answer
        return list(answer["started"])

    started = sweep()

    # Then the orders left unstarted run now, each execution named after its order, their markers gone
    assert {left.order_id, never.order_id} <= set(started)
    assert cancelled.order_id not in started and recent.order_id not in started
    sfn = boto3.client("stepfunctions", **client_options(served))
    arn = f"{served['state_machine_arn'].replace(':stateMachine:', ':execution:')}:{left.order_id}"
    assert sfn.describe_execution(executionArn=arn)["name"] == left.order_id
    assert served_stores.orders.get_order(left.order_id).status is not OrderStatus.START_PENDING  # type: ignore[union-attr]
    assert not _marked(served, left) and not _marked(served, never)
    # And the cancelled order is never started: its marker is cleared, its status kept
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_execution(executionArn=arn.replace(left.order_id, cancelled.order_id))
    assert not _marked(served, cancelled)
    assert served_stores.orders.get_order(cancelled.order_id).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    # And the one within the grace period (its intake may still start it) is left alone
    assert _marked(served, recent)

    # When it runs again, Then nothing is started twice
    assert left.order_id not in sweep()
    served_stores.orders.clear_start_pending(recent)  # the intake "finished": later sweeps of this session skip it
