"""Assignments and the capacity they book: plans, QC results, rework rounds, cancellations, the open work list.

Every write that books or gives back makers' time carries the group's ledger in the same transaction, written
only if the stored ledger is still the version the change was computed from.
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from telar.adapters.dynamo import keys
from telar.adapters.dynamo.table import NEW, TableStore, item, model
from telar.capacity import CapacityLedger, PlanWrite
from telar.models import Assignment, AssignmentStatus, OrderStatus, QcSheet
from telar.reference_guards import OpenWork


def _assignment_item(a: Assignment) -> dict[str, Any]:
    return item(a, keys.assignment(a.assignment_id), keys.assignment_index(a.order_id, a.assignment_id))


class DynamoAssignments(TableStore):
    def create_assignments(self, plan: PlanWrite) -> None:
        """Store the plan, its capacity bookings and the order's link to it in one transaction: all or nothing.

        Each ledger is the group's new one (version + 1) and is written only if the stored one is still the
        version the plan was computed from, so two orders planned at once never book the same minutes: the
        second transaction fails (ConditionFailed) and that order is planned again on the new bookings.
        """
        assignments, extra = plan.assignments, plan.order_fields
        items = [self._put_new_item(_assignment_item(a)) for a in assignments]
        items += [self._open_item(a.assignment_id) for a in assignments]
        items += [self._ledger_put(ledger) for ledger in plan.ledgers]
        items.append(
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": keys.order(plan.order_id),
                    "UpdateExpression": "SET assignment_ids = :ids, #s = :s, updated_at = :now"
                    + "".join(f", #x{i} = :x{i}" for i in range(len(extra))),
                    # a plan for an order its buyer cancelled meanwhile never lands (nor books anyone's time)
                    "ConditionExpression": "attribute_exists(pk) AND size(assignment_ids) = :zero AND #s <> :cancelled",
                    "ExpressionAttributeNames": {"#s": "status", **{f"#x{i}": name for i, name in enumerate(extra)}},
                    "ExpressionAttributeValues": (
                        {
                            ":ids": [a.assignment_id for a in assignments],
                            ":s": "IN_PRODUCTION",
                            ":now": datetime.now(UTC).isoformat(),
                            ":zero": 0,
                            ":cancelled": OrderStatus.CANCELLED.value,
                            **{f":x{i}": value for i, value in enumerate(extra.values())},
                        }
                    ),
                }
            }
        )
        self._transact(items)

    def _put_new_item(self, new_item: dict[str, Any]) -> dict[str, Any]:
        return {"Put": {"TableName": self.table.name, "Item": new_item, "ConditionExpression": NEW}}

    def _ledger_put(self, ledger: CapacityLedger) -> dict[str, Any]:
        """A transaction item writing a group's new ledger (version + 1) only if the stored one is still the
        version it was computed from: bookings computed on a ledger another writer has changed never land."""
        stored = item(ledger, keys.capacity_ledger(ledger.group_id))
        if ledger.version == 1:
            return self._put_new_item(stored)
        return {
            "Put": {
                "TableName": self.table.name,
                "Item": stored,
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": ledger.version - 1},
            }
        }

    def _open_item(self, assignment_id: str) -> dict[str, Any]:
        """Its marker on the list of work not signed off: open work from the moment it is planned."""
        return {"Put": {"TableName": self.table.name, "Item": keys.awaiting_qc(assignment_id)}}

    def _stop_awaiting_item(self, assignment_id: str) -> dict[str, Any]:
        return {"Delete": {"TableName": self.table.name, "Key": keys.awaiting_qc(assignment_id)}}

    def capacity_ledgers(self, group_ids: Iterable[str]) -> dict[str, CapacityLedger]:
        """Each group's booked work as it stands (consistent reads, one request per 100 groups); a group never
        booked gets an empty ledger."""
        ledgers = {group_id: CapacityLedger(group_id=group_id) for group_id in group_ids}
        ledger_keys = [keys.capacity_ledger(group_id) for group_id in ledgers]
        for start in range(0, len(ledger_keys), 100):
            request: dict[str, Any] = {
                self.table.name: {"Keys": ledger_keys[start : start + 100], "ConsistentRead": True}
            }
            while request:
                reply = self.table.meta.client.batch_get_item(RequestItems=request)
                for stored in reply["Responses"].get(self.table.name, []):
                    ledger = model(CapacityLedger, stored)
                    ledgers[ledger.group_id] = ledger
                request = reply.get("UnprocessedKeys") or {}  # throttled keys: ask again
        return ledgers

    def create_rework(self, rework: Assignment, ledger: CapacityLedger | None = None) -> None:
        """Store a rework round once, with the ledger booking its makers' time, in one transaction.

        Raises ConditionFailed when the round exists already (an earlier delivery of the stage stored it) or the
        ledger changed since it was read (book again on the new one).
        """
        items = [self._put_new_item(_assignment_item(rework)), self._open_item(rework.assignment_id)]
        if ledger is not None:
            items.append(self._ledger_put(ledger))
        self._transact(items)

    def cancel_assignment(self, assignment_id: str, ledger: CapacityLedger | None = None) -> None:
        """Cancel an assignment not yet signed off, with ``ledger`` giving its bookings back, in one transaction;
        it leaves the reminders' list too.

        Raises ConditionFailed if it is signed off or cancelled already, or the ledger changed since it was read.
        """
        self._transact(
            [
                *([self._ledger_put(ledger)] if ledger is not None else []),
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": keys.assignment(assignment_id),
                        "UpdateExpression": "SET #s = :cancelled",
                        "ConditionExpression": "#s IN (:planned, :waiting)",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {
                            ":cancelled": AssignmentStatus.CANCELLED.value,
                            ":planned": AssignmentStatus.PLANNED.value,
                            ":waiting": AssignmentStatus.AWAITING_QC.value,
                        },
                    }
                },
                self._stop_awaiting_item(assignment_id),
            ]
        )

    def open_work(self) -> OpenWork:
        """The groups and products of work planned and not yet signed off (from the list of open work: no table
        scan); buyers are asked for one by one (the order store's ``buyers_with_open_orders``)."""
        groups: set[str] = set()
        skus: set[str] = set()
        for a in self._marked((AssignmentStatus.PLANNED, AssignmentStatus.AWAITING_QC)):
            groups.add(a.group_id)
            skus |= a.skus
        return OpenWork(frozenset(groups), frozenset(skus))

    def flag_assignment(self, assignment_id: str, reason: str) -> None:
        self.table.update_item(
            Key=keys.assignment(assignment_id),
            UpdateExpression="SET attention = :reason",
            ExpressionAttributeValues={":reason": reason},
        )

    def get_assignment(self, assignment_id: str) -> Assignment | None:
        stored = self.table.get_item(Key=keys.assignment(assignment_id), ConsistentRead=True).get("Item")
        return model(Assignment, stored) if stored else None

    def assignments_of(self, order_id: str) -> list[Assignment]:
        items = self._query(IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq(keys.assignments_of(order_id)))
        return [model(Assignment, i) for i in items if i["sk"] == "ASSIGNMENT"]

    def await_qc(self, assignment_id: str, task_token: str) -> None:
        """Keep the token of the task now waiting, and list the assignment as awaiting QC (the reminders' list).

        A redelivered invocation just replaces the token; the waiting time counts from the first.
        """
        current = self.get_assignment(assignment_id)
        since = current.awaiting_since if current and current.awaiting_since else datetime.now(UTC)
        self._transact(
            [
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": keys.assignment(assignment_id),
                        "UpdateExpression": "SET task_token = :t, #s = :waiting, awaiting_since = :since",
                        "ConditionExpression": "attribute_exists(pk) AND #s IN (:planned, :waiting)",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {
                            ":t": task_token,
                            ":since": since.isoformat(),
                            ":waiting": AssignmentStatus.AWAITING_QC.value,
                            ":planned": AssignmentStatus.PLANNED.value,
                        },
                    }
                },
                self._open_item(assignment_id),  # planned before this marker was written at planning
            ]
        )

    def awaiting_qc(self) -> Iterator[Assignment]:
        """Every assignment whose execution waits for its QC sheet (oldest id first)."""
        return self._marked((AssignmentStatus.AWAITING_QC,))

    def _marked(self, statuses: tuple[AssignmentStatus, ...]) -> Iterator[Assignment]:
        """The assignments on the list of work not signed off (no scan) whose status is one of ``statuses``."""
        for marker in self._query(KeyConditionExpression=Key("pk").eq(keys.AWAITING_QC)):
            assignment = self.get_assignment(marker["sk"])
            if assignment is not None and assignment.status in statuses:
                yield assignment

    def stop_awaiting(self, assignment_id: str) -> None:
        """Take an assignment off the reminders' list (its execution ended without a QC sheet)."""
        self.table.delete_item(Key=keys.awaiting_qc(assignment_id))

    def record_qc(self, sheet: QcSheet, upload_ref: str, ledger: CapacityLedger | None = None) -> None:
        """Record accepted QC results once, with ``ledger`` giving back capacity the work no longer needs.

        Raises ConditionFailed if the assignment is not waiting, or the ledger changed since it was read.
        """
        self._transact(
            [
                *([self._ledger_put(ledger)] if ledger is not None else []),
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": keys.assignment(sheet.assignment_id),
                        "UpdateExpression": "SET qc_rows = :rows, inspected_by = :by, inspected_on = :on, "
                        "qc_upload = :upload, #s = :done",
                        "ConditionExpression": "#s = :waiting",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {
                            ":rows": [r.model_dump(mode="json") for r in sheet.rows],
                            ":by": sheet.inspected_by,
                            ":on": sheet.inspected_on.isoformat(),
                            ":upload": upload_ref,
                            ":done": AssignmentStatus.QC_DONE.value,
                            ":waiting": AssignmentStatus.AWAITING_QC.value,
                        },
                    }
                },
                self._stop_awaiting_item(sheet.assignment_id),
            ]
        )
