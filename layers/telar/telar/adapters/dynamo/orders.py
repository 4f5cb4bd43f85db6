"""Orders: stored once with their start-pending marker, their timeline, and each buyer's list."""

import base64
import contextlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from telar.adapters.dynamo import keys
from telar.adapters.dynamo.table import KEY_ATTRIBUTES, NEW, TableStore, conditional, item, model
from telar.errors import ConditionFailed, ReferenceChanged
from telar.models import ENDED, Order, TimelineEntry


def _start_key(cursor: str, gsi1pk: str) -> dict[str, str]:
    """A list cursor back to DynamoDB's key, only if it is one we gave out for this partition (not tampered with)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:  # bad base64, bad UTF-8 and bad JSON are all ValueErrors
        key = None
    if not (
        isinstance(key, dict) and set(key) == set(KEY_ATTRIBUTES) and all(isinstance(v, str) for v in key.values())
    ):
        raise ValueError("not a cursor this API gave out")
    if key["gsi1pk"] != gsi1pk:
        raise ValueError("not a cursor this API gave out")
    return key


class DynamoOrders(TableStore):
    def create_order(self, order: Order, reference_in_force: int | None = None) -> None:
        """Store a new order and its start-pending marker together: an order is never stored unstarted and lost.

        With ``reference_in_force``, only while that reference version is in force (checked in the same
        transaction, instead of a read before it); raises ReferenceChanged, writing nothing, if another is.
        """
        stored = item(
            order, keys.order(order.order_id), keys.order_index(order.buyer_id, order.created_at, order.order_id)
        )
        marker = {**keys.start_pending(order.created_at, order.order_id), "order_id": order.order_id}
        writes: list[dict[str, Any]] = [
            {"Put": {"TableName": self.table.name, "Item": stored, "ConditionExpression": NEW}},
            {"Put": {"TableName": self.table.name, "Item": marker}},
        ]
        if reference_in_force is not None:
            writes.append(
                {
                    "ConditionCheck": {
                        "TableName": self.table.name,
                        "Key": keys.reference_in_force(),
                        "ConditionExpression": "version = :in_force",
                        "ExpressionAttributeValues": {":in_force": reference_in_force},
                    }
                }
            )
        try:
            self._transact(writes)
        except ConditionFailed as failed:
            cause = failed.__cause__
            reasons = cause.response.get("CancellationReasons", []) if isinstance(cause, ClientError) else []
            if reference_in_force is not None and [r.get("Code") for r in reasons[2:3]] == ["ConditionalCheckFailed"]:
                raise ReferenceChanged(f"reference version {reference_in_force} is no longer in force") from cause
            raise

    def clear_start_pending(self, order: Order) -> None:
        """The pipeline has started: the sweeper may forget the order."""
        self.table.delete_item(Key=keys.start_pending(order.created_at, order.order_id))

    def start_pending_orders(self, before: datetime) -> Iterator[Order]:
        """Orders stored before ``before`` whose pipeline start was not confirmed (oldest first)."""
        condition = Key("pk").eq(keys.START_PENDING) & Key("sk").lt(before.isoformat())
        for marker in self._query(KeyConditionExpression=condition):
            order = self.get_order(marker["order_id"])
            if order is not None:
                yield order

    def record_timeline(
        self, order_id: str, stage: str, group_id: str | None = None, detail: str | None = None, rework_round: int = 0
    ) -> None:
        """Note a stage change on the order's timeline, and stamp the order's ``updated_at``; a retried stage
        keeps the first time it was noted (and changes nothing)."""
        entry = TimelineEntry(
            stage=stage, at=datetime.now(UTC), group_id=group_id, detail=detail, rework_round=rework_round
        )
        # An order stored before timelines existed has none: its status still tells the buyer where it is.
        with contextlib.suppress(ConditionFailed):
            conditional(
                self.table.update_item,
                Key=keys.order(order_id),
                UpdateExpression="SET timeline.#k = :e, updated_at = :at",
                ConditionExpression=Attr("timeline").exists() & Attr(f"timeline.{entry.key}").not_exists(),
                ExpressionAttributeNames={"#k": entry.key},
                ExpressionAttributeValues={":e": entry.model_dump(mode="json"), ":at": entry.at.isoformat()},
            )

    def get_order(self, order_id: str) -> Order | None:
        stored = self.table.get_item(Key=keys.order(order_id), ConsistentRead=True).get("Item")
        return model(Order, stored) if stored else None

    def list_orders(self, buyer_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        """The buyer's orders, newest first; ``cursor`` is opaque to the caller."""
        partition = keys.orders_of(buyer_id)
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": Key("gsi1pk").eq(partition),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = _start_key(cursor, partition)
        reply = self.table.query(**kwargs)
        last = reply.get("LastEvaluatedKey")
        next_cursor = base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None
        return [model(Order, i) for i in reply["Items"]], next_cursor

    def update_order(self, order_id: str, **fields: Any) -> None:
        """Set top-level fields of an existing order (JSON values) and stamp updated_at."""
        fields["updated_at"] = datetime.now(UTC).isoformat()
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": value for i, value in enumerate(fields.values())}
        conditional(
            self.table.update_item,
            Key=keys.order(order_id),
            UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ConditionExpression=Attr("pk").exists(),
        )

    def buyers_with_open_orders(self, buyer_ids: Iterable[str]) -> set[str]:
        """Those of ``buyer_ids`` with an order not yet READY_TO_SHIP or NEEDS_ATTENTION."""
        found: set[str] = set()
        for buyer_id in buyer_ids:
            cursor: str | None = None
            while buyer_id not in found:
                page, cursor = self.list_orders(buyer_id, 100, cursor)
                if any(o.status not in ENDED for o in page):
                    found.add(buyer_id)
                if cursor is None:
                    break
        return found
