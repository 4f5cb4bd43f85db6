"""What every store on the single table shares: item (de)serialisation, conditional writes, paged queries.

Items hold the model's JSON fields as native attributes beside the keys, so the table is readable in the
console and models round-trip through ``model_dump(mode="json")``.
"""

from collections.abc import Iterator
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from telar.adapters.aws import table
from telar.errors import ConditionFailed

M = TypeVar("M", bound=BaseModel)
KEY_ATTRIBUTES = ("pk", "sk", "gsi1pk", "gsi1sk")
NEW = "attribute_not_exists(pk)"


def item(model: BaseModel, *keys: dict[str, str]) -> dict[str, Any]:
    """The item storing ``model`` under ``keys`` (its key, and its index key if it has one)."""
    merged: dict[str, Any] = model.model_dump(mode="json")
    for key in keys:
        merged.update(key)
    return merged


def model(cls: type[M], stored: dict[str, Any]) -> M:
    return cls.model_validate({k: v for k, v in stored.items() if k not in KEY_ATTRIBUTES})


def conditional(call: Any, **kwargs: Any) -> None:
    """Make a write whose failed condition (or cancelled transaction) raises the domain's ConditionFailed."""
    try:
        call(**kwargs)
    except ClientError as e:
        if e.response["Error"]["Code"] in ("ConditionalCheckFailedException", "TransactionCanceledException"):
            raise ConditionFailed(str(e)) from e
        raise


class TableStore:
    """A store on the shared table; each aggregate's store derives from it."""

    def __init__(self, table_name: str):
        self.table = table(table_name)

    def _put_new(self, new_item: dict[str, Any]) -> bool:
        """Put an item unless one with its key exists; False if one did (an earlier attempt, another writer)."""
        try:
            conditional(self.table.put_item, Item=new_item, ConditionExpression=NEW)
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

    def _transact(self, items: list[dict[str, Any]]) -> None:
        """One all-or-nothing transaction; ``table.meta.client`` carries the resource's type serialisation, so
        plain values go in."""
        conditional(self.table.meta.client.transact_write_items, TransactItems=items)
