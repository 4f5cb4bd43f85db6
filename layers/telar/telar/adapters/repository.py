"""DynamoDB single-table repository. Access patterns are listed in docs/data-model.md.

Items hold the model's JSON fields as native attributes beside the keys, so the table is readable
in the console and models round-trip through ``model_dump(mode="json")``.
"""

import base64
import contextlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from pydantic import BaseModel

from telar.adapters.aws import table
from telar.capacity import CapacityLedger
from telar.errors import ConditionFailed
from telar.models import (
    Assignment,
    AssignmentStatus,
    Buyer,
    EarningLine,
    Group,
    Maker,
    Order,
    OrderStatus,
    PayRun,
    Product,
    QcSheet,
    ReferenceBook,
    ReferenceData,
    TimelineEntry,
    WageRule,
)
from telar.models.api_key import ApiKey
from telar.reference_guards import OpenWork

M = TypeVar("M", bound=BaseModel)
_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")
_REFERENCE = "REF"
_AWAITING_QC = "QC#AWAITING"  # one marker per assignment whose execution waits for QC (the reminders' list)
_NEW = "attribute_not_exists(pk)"
_START_PENDING = "START#PENDING"  # markers of orders whose pipeline start is not confirmed (the sweeper's list)


def _start_pending_sk(order: Order) -> str:
    return f"{order.created_at.isoformat()}#{order.order_id}"


_UNPAID = "EARNING#UNPAID"
_PAID = "EARNING#PAID#"


def _earning_sk(line: EarningLine) -> str:
    return f"EARNING#{line.assignment_id}#{line.worker_id}#{line.sku}"


def _start_key(cursor: str, gsi1pk: str) -> dict[str, str]:
    """A list cursor back to DynamoDB's key, only if it is one we gave out for this partition (not tampered with)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:  # bad base64, bad UTF-8 and bad JSON are all ValueErrors
        key = None
    if not (isinstance(key, dict) and set(key) == set(_KEYS) and all(isinstance(v, str) for v in key.values())):
        raise ValueError("not a cursor this API gave out")
    if key["gsi1pk"] != gsi1pk:
        raise ValueError("not a cursor this API gave out")
    return key


def _reference_partition(version: int) -> str:
    return f"{_REFERENCE}#{version:06d}"


CLAIM_LEASE = timedelta(minutes=20)  # longer than any Lambda invocation (15 minutes at most)


def _order_key(order_id: str) -> dict[str, str]:
    return {"pk": f"ORDER#{order_id}", "sk": "ORDER"}


def _assignment_key(assignment_id: str) -> dict[str, str]:
    return {"pk": f"ASSIGNMENT#{assignment_id}", "sk": "ASSIGNMENT"}


def _item(model: BaseModel, **keys: str) -> dict[str, Any]:
    return {**model.model_dump(mode="json"), **keys}


def _assignment_item(a: Assignment) -> dict[str, Any]:
    return _item(
        a, **_assignment_key(a.assignment_id), gsi1pk=f"ORDER#{a.order_id}", gsi1sk=f"ASSIGNMENT#{a.assignment_id}"
    )


def _model(cls: type[M], item: dict[str, Any]) -> M:
    return cls.model_validate({k: v for k, v in item.items() if k not in _KEYS})


def _conditional(call: Any, **kwargs: Any) -> None:
    try:
        call(**kwargs)
    except ClientError as e:
        if e.response["Error"]["Code"] in ("ConditionalCheckFailedException", "TransactionCanceledException"):
            raise ConditionFailed(str(e)) from e
        raise


class Repository:
    def __init__(self, table_name: str):
        self.table = table(table_name)

    # ------------------------------------------------------------ reference data
    def put_reference(self, ref: ReferenceData, buyers: Iterable[Buyer] = (), source: str = "") -> int:
        """Store ``ref`` (and the buyers, for export) as a new version and make it current; returns its number.

        The items go to the version's own partition first, invisible to readers; one conditional write of
        the ``CURRENT`` pointer then switches every reader at once. Earlier versions stay readable.
        """
        version = (self.reference_version() or 0) + 1
        while True:
            partition = _reference_partition(version)
            claimed = self._put_new(
                {
                    "pk": partition,
                    "sk": "VERSION",
                    "version": version,
                    "source": source,
                    "created_at": datetime.now(UTC).isoformat(),
                }
            )
            if not claimed:  # a concurrent import (or one that crashed before switching) has the number
                version += 1
                continue
            with self.table.batch_writer() as batch:
                for g in ref.groups:
                    batch.put_item(Item=_item(g, pk=partition, sk=f"GROUP#{g.group_id}"))
                for m in ref.makers:
                    batch.put_item(Item=_item(m, pk=partition, sk=f"MAKER#{m.worker_id}"))
                for p in ref.products:
                    batch.put_item(Item=_item(p, pk=partition, sk=f"PRODUCT#{p.sku}"))
                for w in ref.wage_rules:
                    sk = f"WAGE#{w.country}#{w.region}#{w.effective_from.isoformat()}"
                    batch.put_item(Item=_item(w, pk=partition, sk=sk))
                for b in buyers:
                    batch.put_item(Item=_item(b, pk=partition, sk=f"BUYER#{b.buyer_id}"))
            try:
                _conditional(
                    self.table.put_item,
                    Item={"pk": _REFERENCE, "sk": "CURRENT", "version": version, "source": source},
                    ConditionExpression="attribute_not_exists(pk) OR version < :v",
                    ExpressionAttributeValues={":v": version},
                )
            except ConditionFailed:  # a later version became current meanwhile: ours goes on top of it
                version = max(version, self.reference_version() or 0) + 1
                continue
            if source:  # so a late redelivery of this upload is known, and never rolls back a later version
                self.table.put_item(Item={"pk": f"{_REFERENCE}#SOURCE#{source}", "sk": "SOURCE", "version": version})
            return version

    def reference_applied_from(self, source: str) -> int | None:
        """The version an upload (``key#version``) was applied as, if it was."""
        item = self.table.get_item(Key={"pk": f"{_REFERENCE}#SOURCE#{source}", "sk": "SOURCE"}).get("Item")
        return int(item["version"]) if item else None

    def reference_version(self) -> int | None:
        """The number of the reference version in force (None before the first import)."""
        item = self.table.get_item(Key={"pk": _REFERENCE, "sk": "CURRENT"}, ConsistentRead=True).get("Item")
        return int(item["version"]) if item else None

    def reference_source(self, version: int) -> str | None:
        """What a version was imported from (the upload's ``key#version``), if it exists."""
        item = self.table.get_item(Key={"pk": _reference_partition(version), "sk": "VERSION"}).get("Item")
        return str(item["source"]) if item else None

    def load_reference(self, version: int | None = None) -> ReferenceData:
        """The reference data in force, or as it was in ``version`` (running orders keep theirs)."""
        return self.load_reference_book(version).reference

    def load_reference_buyers(self, version: int | None = None) -> list[Buyer]:
        """The buyers as imported with a version (for export; live profiles are ``BUYER#<id>``)."""
        return list(self.load_reference_book(version).buyers)

    def load_reference_book(self, version: int | None = None) -> ReferenceBook:
        """The reference data and the buyers imported with it, in force or as in ``version``: one read of its items."""
        version = version if version is not None else self.reference_version()
        kinds: dict[str, list[dict[str, Any]]] = {"GROUP": [], "MAKER": [], "PRODUCT": [], "WAGE": [], "BUYER": []}
        if version is not None:
            for item in self._query(KeyConditionExpression=Key("pk").eq(_reference_partition(version))):
                if item["sk"] != "VERSION":  # the version's own record, not data
                    kinds[item["sk"].split("#", 1)[0]].append(item)
        ref = ReferenceData(
            groups=tuple(_model(Group, i) for i in kinds["GROUP"]),
            makers=tuple(_model(Maker, i) for i in kinds["MAKER"]),
            products=tuple(_model(Product, i) for i in kinds["PRODUCT"]),
            wage_rules=tuple(_model(WageRule, i) for i in kinds["WAGE"]),
        )
        return ReferenceBook(reference=ref, buyers=tuple(_model(Buyer, i) for i in kinds["BUYER"]))

    # ------------------------------------------------------------ buyers
    def put_buyer(self, buyer: Buyer, api_key_hash: str) -> None:
        self.put_buyer_profile(buyer)
        self.put_api_key(buyer.buyer_id, api_key_hash)

    def put_buyer_profile(self, buyer: Buyer) -> None:
        """Create or update a buyer's profile; her API keys are untouched."""
        self.table.put_item(Item=_item(buyer, pk=f"BUYER#{buyer.buyer_id}", sk="PROFILE"))

    def get_buyer(self, buyer_id: str) -> Buyer | None:
        item = self.table.get_item(Key={"pk": f"BUYER#{buyer_id}", "sk": "PROFILE"}).get("Item")
        return _model(Buyer, item) if item else None

    def put_api_key(self, buyer_id: str, api_key_hash: str) -> ApiKey:
        """Add a key (rotation: add the new one, let the buyer switch, then revoke the old one)."""
        key = ApiKey(key_hash=api_key_hash, buyer_id=buyer_id, issued_at=datetime.now(UTC))
        gsi1sk = f"{key.issued_at.isoformat()}#{api_key_hash}"
        self.table.put_item(
            Item=_item(key, pk=f"APIKEY#{api_key_hash}", sk="APIKEY", gsi1pk=f"APIKEYS#{buyer_id}", gsi1sk=gsi1sk)
        )
        return key

    def api_keys_of(self, buyer_id: str) -> list[ApiKey]:
        """The buyer's keys (their hashes), newest first."""
        condition = Key("gsi1pk").eq(f"APIKEYS#{buyer_id}")
        items = self._query(IndexName="gsi1", KeyConditionExpression=condition, ScanIndexForward=False)
        return [_model(ApiKey, i) for i in items]

    def revoke_api_key(self, api_key_hash: str) -> None:
        self.table.delete_item(Key={"pk": f"APIKEY#{api_key_hash}", "sk": "APIKEY"})

    def buyer_for_key(self, api_key_hash: str) -> Buyer | None:
        key_item = self.table.get_item(Key={"pk": f"APIKEY#{api_key_hash}", "sk": "APIKEY"}).get("Item")
        if not key_item:
            return None
        return self.get_buyer(key_item["buyer_id"])

    # ------------------------------------------------------------ orders
    def create_order(self, order: Order) -> None:
        """Store a new order and its start-pending marker together: an order is never stored unstarted and lost."""
        item = _item(
            order,
            **_order_key(order.order_id),
            gsi1pk=f"BUYER#{order.buyer_id}",
            gsi1sk=f"{order.created_at.isoformat()}#{order.order_id}",
        )
        marker = {"pk": _START_PENDING, "sk": _start_pending_sk(order), "order_id": order.order_id}
        _conditional(
            self.table.meta.client.transact_write_items,
            TransactItems=[
                {"Put": {"TableName": self.table.name, "Item": item, "ConditionExpression": _NEW}},
                {"Put": {"TableName": self.table.name, "Item": marker}},
            ],
        )

    def clear_start_pending(self, order: Order) -> None:
        """The pipeline has started: the sweeper may forget the order."""
        self.table.delete_item(Key={"pk": _START_PENDING, "sk": _start_pending_sk(order)})

    def start_pending_orders(self, before: datetime) -> Iterator[Order]:
        """Orders stored before ``before`` whose pipeline start was not confirmed (oldest first)."""
        condition = Key("pk").eq(_START_PENDING) & Key("sk").lt(before.isoformat())
        for marker in self._query(KeyConditionExpression=condition):
            order = self.get_order(marker["order_id"])
            if order is not None:
                yield order

    def record_timeline(
        self, order_id: str, stage: str, group_id: str | None = None, detail: str | None = None
    ) -> None:
        """Note a stage change on the order's timeline; a retried stage keeps the first time it was noted."""
        entry = TimelineEntry(stage=stage, at=datetime.now(UTC), group_id=group_id, detail=detail)
        # An order stored before timelines existed has none: its status still tells the buyer where it is.
        with contextlib.suppress(ConditionFailed):
            _conditional(
                self.table.update_item,
                Key=_order_key(order_id),
                UpdateExpression="SET timeline.#k = if_not_exists(timeline.#k, :e)",
                ConditionExpression=Attr("timeline").exists(),
                ExpressionAttributeNames={"#k": entry.key},
                ExpressionAttributeValues={":e": entry.model_dump(mode="json")},
            )

    def get_order(self, order_id: str) -> Order | None:
        item = self.table.get_item(Key=_order_key(order_id), ConsistentRead=True).get("Item")
        return _model(Order, item) if item else None

    def list_orders(self, buyer_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        """The buyer's orders, newest first; ``cursor`` is opaque to the caller."""
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": Key("gsi1pk").eq(f"BUYER#{buyer_id}"),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = _start_key(cursor, f"BUYER#{buyer_id}")
        reply = self.table.query(**kwargs)
        last = reply.get("LastEvaluatedKey")
        next_cursor = base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None
        return [_model(Order, i) for i in reply["Items"]], next_cursor

    def update_order(self, order_id: str, **fields: Any) -> None:
        """Set top-level fields of an existing order (JSON values) and stamp updated_at."""
        fields["updated_at"] = datetime.now(UTC).isoformat()
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": value for i, value in enumerate(fields.values())}
        _conditional(
            self.table.update_item,
            Key=_order_key(order_id),
            UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ConditionExpression=Attr("pk").exists(),
        )

    # ------------------------------------------------------------ assignments
    def create_assignments(
        self,
        order_id: str,
        assignments: list[Assignment],
        ledgers: Iterable[CapacityLedger] = (),
        order_fields: dict[str, Any] | None = None,
    ) -> None:
        """Store the plan, its capacity bookings and the order's link to it in one transaction: all or nothing.

        Each ledger is the group's new one (version + 1) and is written only if the stored one is still the
        version the plan was computed from, so two orders planned at once never book the same minutes: the
        second transaction fails (ConditionFailed) and that order is planned again on the new bookings.
        ``order_fields`` are more fields of the order to set (JSON values). ``table.meta.client`` carries the
        resource's type serialisation, so plain values go in.
        """
        items = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": _assignment_item(a),
                    "ConditionExpression": _NEW,
                }
            }
            for a in assignments
        ]
        items += [self._ledger_put(ledger) for ledger in ledgers]
        extra = order_fields or {}
        items.append(
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": _order_key(order_id),
                    "UpdateExpression": "SET assignment_ids = :ids, #s = :s, updated_at = :now"
                    + "".join(f", #x{i} = :x{i}" for i in range(len(extra))),
                    "ConditionExpression": "attribute_exists(pk) AND size(assignment_ids) = :zero",
                    "ExpressionAttributeNames": {"#s": "status", **{f"#x{i}": name for i, name in enumerate(extra)}},
                    "ExpressionAttributeValues": (
                        {
                            ":ids": [a.assignment_id for a in assignments],
                            ":s": "IN_PRODUCTION",
                            ":now": datetime.now(UTC).isoformat(),
                            ":zero": 0,
                            **{f":x{i}": value for i, value in enumerate(extra.values())},
                        }
                    ),
                }
            }
        )
        _conditional(self.table.meta.client.transact_write_items, TransactItems=items)

    def _ledger_put(self, ledger: CapacityLedger) -> dict[str, Any]:
        """A transaction item writing a group's new ledger (version + 1) only if the stored one is still the
        version it was computed from: bookings computed on a ledger another writer has changed never land."""
        return {
            "Put": {
                "TableName": self.table.name,
                "Item": _item(ledger, pk=f"CAPACITY#{ledger.group_id}", sk="LEDGER"),
                "ConditionExpression": _NEW if ledger.version == 1 else "#v = :v",
                **(
                    {}
                    if ledger.version == 1
                    else {
                        "ExpressionAttributeNames": {"#v": "version"},
                        "ExpressionAttributeValues": {":v": ledger.version - 1},
                    }
                ),
            }
        }

    def capacity_ledgers(self, group_ids: Iterable[str]) -> dict[str, CapacityLedger]:
        """Each group's booked work as it stands (consistent reads, one request per 100 groups); a group never
        booked gets an empty ledger."""
        ledgers = {group_id: CapacityLedger(group_id=group_id) for group_id in group_ids}
        keys = [{"pk": f"CAPACITY#{group_id}", "sk": "LEDGER"} for group_id in ledgers]
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {self.table.name: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
            while request:
                reply = self.table.meta.client.batch_get_item(RequestItems=request)
                for item in reply["Responses"].get(self.table.name, []):
                    ledger = _model(CapacityLedger, item)
                    ledgers[ledger.group_id] = ledger
                request = reply.get("UnprocessedKeys") or {}  # throttled keys: ask again
        return ledgers

    def create_rework(self, rework: Assignment, ledger: CapacityLedger | None = None) -> None:
        """Store a rework round once, with the ledger booking its makers' time, in one transaction.

        Raises ConditionFailed when the round exists already (an earlier delivery of the stage stored it) or the
        ledger changed since it was read (book again on the new one).
        """
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self.table.name, "Item": _assignment_item(rework), "ConditionExpression": _NEW}}
        ]
        if ledger is not None:
            items.append(self._ledger_put(ledger))
        _conditional(self.table.meta.client.transact_write_items, TransactItems=items)

    def cancel_assignment(self, assignment_id: str, ledger: CapacityLedger | None = None) -> None:
        """Cancel an assignment not yet signed off, with ``ledger`` giving its bookings back, in one transaction;
        it leaves the reminders' list too.

        Raises ConditionFailed if it is signed off or cancelled already, or the ledger changed since it was read.
        """
        _conditional(
            self.table.meta.client.transact_write_items,
            TransactItems=[
                *([self._ledger_put(ledger)] if ledger is not None else []),
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": _assignment_key(assignment_id),
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
                {"Delete": {"TableName": self.table.name, "Key": {"pk": _AWAITING_QC, "sk": assignment_id}}},
            ],
        )

    def open_work(self) -> OpenWork:
        """The groups and products of work waiting for QC (from the reminders' list: no table scan); buyers are
        asked for one by one (:meth:`buyers_with_open_orders`)."""
        groups: set[str] = set()
        skus: set[str] = set()
        for a in self.awaiting_qc():
            groups.add(a.group_id)
            skus |= a.skus
        return OpenWork(frozenset(groups), frozenset(skus))

    def buyers_with_open_orders(self, buyer_ids: Iterable[str]) -> set[str]:
        """Those of ``buyer_ids`` with an order not yet READY_TO_SHIP or NEEDS_ATTENTION."""
        ended = {OrderStatus.READY_TO_SHIP, OrderStatus.NEEDS_ATTENTION}
        found: set[str] = set()
        for buyer_id in buyer_ids:
            cursor: str | None = None
            while buyer_id not in found:
                page, cursor = self.list_orders(buyer_id, 100, cursor)
                if any(o.status not in ended for o in page):
                    found.add(buyer_id)
                if cursor is None:
                    break
        return found

    def flag_assignment(self, assignment_id: str, reason: str) -> None:
        self.table.update_item(
            Key=_assignment_key(assignment_id),
            UpdateExpression="SET attention = :reason",
            ExpressionAttributeValues={":reason": reason},
        )

    def get_assignment(self, assignment_id: str) -> Assignment | None:
        item = self.table.get_item(Key=_assignment_key(assignment_id), ConsistentRead=True).get("Item")
        return _model(Assignment, item) if item else None

    def assignments_of(self, order_id: str) -> list[Assignment]:
        items = self._query(IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq(f"ORDER#{order_id}"))
        return [_model(Assignment, i) for i in items if i["sk"] == "ASSIGNMENT"]

    def await_qc(self, assignment_id: str, task_token: str) -> None:
        """Keep the token of the task now waiting, and list the assignment as awaiting QC (the reminders' list).

        A redelivered invocation just replaces the token; the waiting time counts from the first.
        """
        current = self.get_assignment(assignment_id)
        since = current.awaiting_since if current and current.awaiting_since else datetime.now(UTC)
        _conditional(
            self.table.meta.client.transact_write_items,
            TransactItems=[
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": _assignment_key(assignment_id),
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
                {"Put": {"TableName": self.table.name, "Item": {"pk": _AWAITING_QC, "sk": assignment_id}}},
            ],
        )

    def awaiting_qc(self) -> Iterator[Assignment]:
        """Every assignment whose execution waits for its QC sheet (oldest id first)."""
        for marker in self._query(KeyConditionExpression=Key("pk").eq(_AWAITING_QC)):
            assignment = self.get_assignment(marker["sk"])
            if assignment is not None and assignment.status == AssignmentStatus.AWAITING_QC:
                yield assignment

    def stop_awaiting(self, assignment_id: str) -> None:
        """Take an assignment off the reminders' list (its execution ended without a QC sheet)."""
        self.table.delete_item(Key={"pk": _AWAITING_QC, "sk": assignment_id})

    def record_qc(self, sheet: QcSheet, upload_ref: str, ledger: CapacityLedger | None = None) -> None:
        """Record accepted QC results once, with ``ledger`` giving back capacity the work no longer needs.

        Raises ConditionFailed if the assignment is not waiting, or the ledger changed since it was read.
        """
        _conditional(
            self.table.meta.client.transact_write_items,
            TransactItems=[
                *([self._ledger_put(ledger)] if ledger is not None else []),
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": _assignment_key(sheet.assignment_id),
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
                {"Delete": {"TableName": self.table.name, "Key": {"pk": _AWAITING_QC, "sk": sheet.assignment_id}}},
            ],
        )

    # ------------------------------------------------------------ earnings
    def record_earnings(self, lines: Iterable[EarningLine]) -> int:
        """Record each earning line exactly once (keyed by order, assignment, maker, product).

        Returns how many were new; lines already recorded by an earlier attempt are left as they are.
        """
        new = 0
        for line in lines:
            sk = _earning_sk(line)
            gsi1sk = f"{line.group_id}#{line.order_id}#{sk}"
            new += self._put_new(_item(line, pk=f"ORDER#{line.order_id}", sk=sk, gsi1pk=_UNPAID, gsi1sk=gsi1sk))
        return new

    def earnings_of(self, order_id: str) -> list[EarningLine]:
        items = self._query(
            KeyConditionExpression=Key("pk").eq(f"ORDER#{order_id}") & Key("sk").begins_with("EARNING#")
        )
        return [_model(EarningLine, i) for i in items]

    def unpaid_earnings(self) -> list[EarningLine]:
        """Every earning line no pay run has paid yet (the sparse ``EARNING#UNPAID`` index partition)."""
        items = self._query(IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq(_UNPAID))
        return [_model(EarningLine, i) for i in items]

    def mark_paid(self, lines: Iterable[EarningLine], period: str) -> list[EarningLine]:
        """Move each line from unpaid to paid in ``period``, only if still unpaid; returns the lines moved.

        The condition makes a re-run (or a concurrent run) unable to pay a line twice.
        """
        moved = []
        for line in lines:
            try:
                _conditional(
                    self.table.update_item,
                    Key={"pk": f"ORDER#{line.order_id}", "sk": _earning_sk(line)},
                    UpdateExpression="SET paid_in = :period, gsi1pk = :paid",
                    ConditionExpression="gsi1pk = :unpaid",
                    ExpressionAttributeValues={":period": period, ":paid": f"{_PAID}{period}", ":unpaid": _UNPAID},
                )
                moved.append(line.model_copy(update={"paid_in": period}))
            except ConditionFailed:
                continue
        return moved

    def earnings_paid_in(self, period: str) -> list[EarningLine]:
        items = self._query(IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq(f"{_PAID}{period}"))
        return [_model(EarningLine, i) for i in items]

    # ------------------------------------------------------------ pay runs
    def start_pay_run(self, period: str) -> PayRun:
        """The run for ``period``: created COLLECTING the first time, as it stands on any later call."""
        run = PayRun(period=period, status="COLLECTING")
        if self._put_new(_item(run, pk=f"PAYRUN#{period}", sk="RUN")):
            return run
        item = self.table.get_item(Key={"pk": f"PAYRUN#{period}", "sk": "RUN"}, ConsistentRead=True)["Item"]
        return _model(PayRun, item)

    def save_pay_run(self, run: PayRun) -> None:
        self.table.put_item(Item=_item(run, pk=f"PAYRUN#{run.period}", sk="RUN"))

    # ------------------------------------------------------------ once-only side effects
    def claim(self, name: str, lease: timedelta = CLAIM_LEASE) -> bool:
        """Claim a once-only action (an e-mail, say) for ``lease``; False if it is done, or held by a live holder.

        A claim is a lease until :meth:`complete` marks the action done: a holder that died (a timeout, a crash)
        before completing it leaves a claim that expires, and the next attempt takes it over and performs the
        action. The lease outlasts any invocation (Lambda stops a function after 15 minutes at most), so a holder
        still alive never sees its action taken over.
        """
        now = datetime.now(UTC)
        try:
            _conditional(
                self.table.put_item,
                Item={
                    "pk": f"ONCE#{name}",
                    "sk": "ONCE",
                    "at": now.isoformat(),
                    "state": "held",
                    "lease_until": (now + lease).isoformat(),
                },
                # new, or held by an attempt whose lease ran out (claims stored before leases have no state:
                # they are done)
                ConditionExpression="attribute_not_exists(pk) OR (#state = :held AND lease_until < :now)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":held": "held", ":now": now.isoformat()},
            )
        except ConditionFailed:
            return False
        return True

    def complete(self, name: str) -> None:
        """Mark a claimed action done: the claim never expires any more."""
        self.table.update_item(
            Key={"pk": f"ONCE#{name}", "sk": "ONCE"},
            UpdateExpression="SET #state = :done, done_at = :now REMOVE lease_until",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":done": "done", ":now": datetime.now(UTC).isoformat()},
        )

    def release(self, name: str) -> None:
        """Undo a claim whose action failed, so that a retry performs it."""
        self.table.delete_item(Key={"pk": f"ONCE#{name}", "sk": "ONCE"})

    # ------------------------------------------------------------ helpers
    def _put_new(self, item: dict[str, Any]) -> bool:
        """Put ``item`` unless an item with its key exists; False if one did (an earlier attempt, another writer)."""
        try:
            _conditional(self.table.put_item, Item=item, ConditionExpression=_NEW)
        except ConditionFailed:
            return False
        return True

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        while True:
            reply = self.table.query(**kwargs)
            yield from reply["Items"]
            if "LastEvaluatedKey" not in reply:
                return
            kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
