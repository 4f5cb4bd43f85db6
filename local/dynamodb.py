"""moto's TransactWriteItems in O(items touched): a journal of the items it writes, put back if it is cancelled.

Why: moto (5.2) deep-copies every table a transaction names before writing, to roll back on failure. A table
of 1,000 orders is copied whole for each new order, so intake slowed down and grew with the data (p99 20 s,
8 GB held at 1,000 orders). DynamoDB's own cost does not grow with the table; neither should the local one.

What stays as moto has it: the order items are processed in, the checks (at most 100 items, one operation per
item, one item per operation), the condition evaluation, the writes themselves and the exceptions, with
CancellationReasons in the request's order (``{"Code": "None"}`` for the items that were fine). Only the
backup changes: before an operation writes, the item it targets is copied (or noted as absent), and a cancelled
transaction puts back exactly those items, last written first. Stream records the transaction added go too.

Atomicity towards other requests still comes from the local endpoint answering one DynamoDB request at a time
(local.endpoint): moto's tables are plain dicts that a Query iterates while a Put would insert.
Upstream: docs/upstream/moto-transact-copy.md.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamShard, Table

_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}


class _Journal:
    """The items a transaction is about to write, as they were; ``undo`` puts them back."""

    def __init__(self) -> None:
        self._before: list[tuple[Table, DynamoType, DynamoType | None, Item | None]] = []
        self._stream_lengths: dict[int, tuple[StreamShard, int]] = {}

    def note(self, table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> None:
        item = table.get_item(hash_key, range_key)
        # Update changes moto's Item in place, so the journal keeps a copy: of one item, not of the table.
        self._before.append((table, hash_key, range_key, copy.deepcopy(item)))
        shard = table.stream_shard
        if shard is not None and id(shard) not in self._stream_lengths:
            self._stream_lengths[id(shard)] = (shard, len(shard.items))

    def undo(self) -> None:
        for table, hash_key, range_key, item in reversed(self._before):
            if item is None:
                if range_key is not None:
                    table.items.get(hash_key, {}).pop(range_key, None)
                else:
                    table.items.pop(hash_key, None)
            elif range_key is not None:
                table.items[hash_key][range_key] = item
            else:
                table.items[hash_key] = item  # type: ignore[assignment]  # a hash-only table maps to items, as moto has it
        for shard, length in self._stream_lengths.values():
            del shard.items[length:]


def _key(table: Table, operation: str, op: dict[str, Any]) -> dict[str, Any]:
    if operation != "Put":
        return dict(op["Key"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's ``DynamoDBBackend.transact_write_items`` with a journal of the touched items instead of table copies."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    journal = _Journal()
    targets: set[tuple[str, str]] = set()
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []  # (Code, Message, Item), in order
    for entry in transact_items:
        original_item: dict[str, Any] | None = None
        try:
            if len(entry) > 1:
                raise TransactWriteSingleOpException
            operation, op = next(iter(entry.items()))
            if operation not in _OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            table = self.get_table(table_name)
            key = _key(table, operation, op)
            target = (str(table_name), str(dict(sorted(key.items()))))
            if target in targets:
                raise MultipleTransactionsException()
            targets.add(target)

            names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            condition = op.get("ConditionExpression")
            current = self.get_item(table_name, key)
            if condition is not None and not get_filter_expression(condition, names, values).expr(current):
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    original_item = current.to_json()["Attributes"]
                raise ConditionalCheckFailed(item=original_item)

            if operation != "ConditionCheck":
                journal.note(table, *self.get_keys_value(table, key))
            # the condition was checked above against the same item, which nothing changes before the write (an
            # item is named once per transaction, and DynamoDB requests take turns): moto need not parse it again
            expression: dict[str, Any] = {"expression_attribute_names": names, "expression_attribute_values": values}
            if operation == "Put":
                self.put_item(table_name, op["Item"], **expression)
            elif operation == "Delete":
                self.delete_item(table_name, key, **expression)
            elif operation == "Update":
                self.update_item(table_name, key, update_expression=op["UpdateExpression"], **expression)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            journal.undo()
            raise
        except ConditionalCheckFailed as failed:
            errors.append(("ConditionalCheckFailed", str(failed.message), original_item))
        except Exception as failed:  # moto reports any other failure as that item's reason
            errors.append((type(failed).__name__, str(failed), original_item))
    if any(code is not None for code, _, _ in errors):
        journal.undo()
        raise TransactionCanceledException(errors)


def journal_transactions() -> Callable[[], None]:
    """Install the journaled TransactWriteItems on moto's DynamoDB backend; returns the undo (a no-op if it was
    already installed, so that only the first installer removes it)."""
    original = DynamoDBBackend.transact_write_items
    if original is transact_write_items:
        return lambda: None
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]

    def undo() -> None:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]

    return undo
