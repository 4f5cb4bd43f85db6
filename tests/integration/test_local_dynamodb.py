"""TransactWriteItems on the local cloud (local.dynamodb): DynamoDB's semantics, without copying the table.

Run against the local endpoint (moto's server with the journal installed, as `make serve` has it), through
boto3, so what is checked is what a handler sees: all or nothing, condition failures, cancellation reasons,
and concurrent transactions that never lose or half-apply a write.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
from moto.dynamodb.parsing.expressions import UpdateExpressionParser

from local.endpoint import MotoEndpoint
from tests.local_aws import unretried_client

TABLE = "t"


@pytest.fixture
def ddb() -> Iterator[Any]:
    server = MotoEndpoint(port=0)
    url = server.start()
    client = unretried_client("dynamodb", url)
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    yield client
    server.stop()


def _key(pk: str, sk: str = "A") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _put(pk: str, **attrs: Any) -> dict[str, Any]:
    return {"Put": {"TableName": TABLE, "Item": {**_key(pk), **attrs}}}


def _items(ddb: Any) -> dict[str, dict[str, Any]]:
    return {i["pk"]["S"]: i for i in ddb.scan(TableName=TABLE)["Items"]}


def _cancelled(ddb: Any, items: list[dict[str, Any]]) -> ClientError:
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(TransactItems=items)
    return raised.value


def test_a_transaction_with_one_failed_condition_writes_nothing_and_names_the_item_that_failed(ddb: Any) -> None:
    # Given an item to update, one to delete and one whose condition will fail
    ddb.put_item(TableName=TABLE, Item={**_key("update-me"), "n": {"N": "1"}, "tags": {"SS": ["a"]}})
    ddb.put_item(TableName=TABLE, Item={**_key("delete-me"), "n": {"N": "1"}})
    ddb.put_item(TableName=TABLE, Item={**_key("guard"), "state": {"S": "closed"}})
    before = _items(ddb)

    # When one transaction puts a new item, updates, deletes, and checks a condition that does not hold
    error = _cancelled(
        ddb,
        [
            _put("new", n={"N": "1"}),
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": _key("update-me"),
                    "UpdateExpression": "SET n = n + :one ADD tags :t",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":t": {"SS": ["b"]}},
                }
            },
            {"Delete": {"TableName": TABLE, "Key": _key("delete-me")}},
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": _key("guard"),
                    "ConditionExpression": "#s = :open",
                    "ExpressionAttributeNames": {"#s": "state"},
                    "ExpressionAttributeValues": {":open": {"S": "open"}},
                }
            },
        ],
    )

    # Then it is cancelled with DynamoDB's reasons, one per item in order, and the table is as it was
    assert error.response["Error"]["Code"] == "TransactionCanceledException"
    assert error.response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "None"},
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
    ]
    assert _items(ddb) == before


def test_a_failed_condition_returns_the_old_item_when_asked(ddb: Any) -> None:
    # Given an order already stored
    ddb.put_item(TableName=TABLE, Item={**_key("order-1"), "status": {"S": "RECEIVED"}})
    # When a transaction puts it again only if new, asking for the old item on failure
    put = _put("order-1", status={"S": "RECEIVED"})
    put["Put"] |= {"ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    error = _cancelled(ddb, [_put("marker-1"), put])
    # Then the reason carries the stored item, and the marker was not written
    assert error.response["CancellationReasons"] == [
        {"Code": "None"},
        {
            "Code": "ConditionalCheckFailed",
            "Message": "The conditional request failed",
            "Item": {**_key("order-1"), "status": {"S": "RECEIVED"}},
        },
    ]
    assert set(_items(ddb)) == {"order-1"}


def test_two_operations_on_one_item_are_refused_before_anything_is_written(ddb: Any) -> None:
    # When a transaction names the same item twice, after a put of another item
    error = _cancelled(ddb, [_put("other"), _put("twice"), {"Delete": {"TableName": TABLE, "Key": _key("twice")}}])
    # Then it is a validation error and nothing was written
    assert error.response["Error"]["Code"] == "ValidationException"
    assert _items(ddb) == {}


def test_a_transaction_that_holds_is_written_whole(ddb: Any) -> None:
    # Given a counter
    ddb.put_item(TableName=TABLE, Item={**_key("counter"), "n": {"N": "1"}})
    # When a transaction adds an item and increments the counter on a condition that holds
    ddb.transact_write_items(
        TransactItems=[
            _put("order-2"),
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": _key("counter"),
                    "UpdateExpression": "SET n = n + :one",
                    "ConditionExpression": "n = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )
    # Then both are written
    items = _items(ddb)
    assert items["counter"]["n"] == {"N": "2"} and "order-2" in items


def test_a_transaction_copies_the_items_it_touches_not_the_table(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a table of 200 items
    for i in range(200):
        ddb.put_item(TableName=TABLE, Item={**_key(f"item-{i}"), "n": {"N": str(i)}})
    copies: list[Item] = []
    deepcopy = Item.__deepcopy__

    def counted(self: Item, memo: dict[int, Any]) -> Item:
        copies.append(self)
        return deepcopy(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counted)
    # When a transaction writes two items and is cancelled by a third
    _cancelled(
        ddb,
        [
            _put("item-1", n={"N": "-1"}),
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": _key("item-2"),
                    "UpdateExpression": "SET n = :z",
                    "ExpressionAttributeValues": {":z": {"N": "0"}},
                }
            },
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": _key("item-3"),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ],
    )
    # Then only the items written were copied (moto copies an updated item once more for its stream), and they
    # are back as they were
    assert {c.hash_key.value for c in copies} == {"item-1", "item-2"}
    assert len(copies) <= 3
    items = _items(ddb)
    assert (items["item-1"]["n"], items["item-2"]["n"]) == ({"N": "1"}, {"N": "2"})


def test_concurrent_conflicting_transactions_never_lose_or_half_apply_a_write(ddb: Any) -> None:
    # Given a counter that every transaction increments if it still holds the value the writer read
    ddb.put_item(TableName=TABLE, Item={**_key("counter"), "n": {"N": "0"}})

    def take_a_number(i: int) -> int:
        """Read the counter, then store an item named after the number together with the increment; retry on
        a conflict (as the app's optimistic writes do)."""
        while True:
            n = int(ddb.get_item(TableName=TABLE, Key=_key("counter"), ConsistentRead=True)["Item"]["n"]["N"])
            try:
                ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": TABLE,
                                "Key": _key("counter"),
                                "UpdateExpression": "SET n = :next",
                                "ConditionExpression": "n = :seen",
                                "ExpressionAttributeValues": {":seen": {"N": str(n)}, ":next": {"N": str(n + 1)}},
                            }
                        },
                        {
                            "Put": {
                                "TableName": TABLE,
                                "Item": {**_key(f"number-{n}"), "writer": {"N": str(i)}},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
                return n
            except ClientError as e:
                assert e.response["Error"]["Code"] == "TransactionCanceledException", e.response

    # When eight clients take 80 numbers at once
    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(take_a_number, range(80)))
    # Then every number was taken once, each with its item, and the counter counts them all
    assert sorted(numbers) == list(range(80))
    items = _items(ddb)
    assert items["counter"]["n"] == {"N": "80"}
    assert {f"number-{n}" for n in range(80)} <= set(items)
    assert len(items) == 81


def test_the_400_kb_item_limit_holds_when_the_item_is_measured_once(ddb: Any) -> None:
    # Given an item of many attributes that together pass the limit, none of them alone near it
    big = {f"a{n:03d}": {"S": "x" * 5_000} for n in range(90)}  # ~450 kB
    # When it is put, alone and in a transaction
    with pytest.raises(ClientError) as put:
        ddb.put_item(TableName=TABLE, Item={**_key("big"), **big})
    refused = _cancelled(ddb, [_put("big2", **big)])
    # Then both are refused as DynamoDB refuses them, and one just under the limit is stored whole
    assert "Item size has exceeded the maximum allowed size" in put.value.response["Error"]["Message"]
    assert refused.response["Error"]["Code"] in ("ValidationException", "TransactionCanceledException")
    fits = {f"a{n:03d}": {"S": "x" * 5_000} for n in range(78)}  # ~390 kB
    ddb.put_item(TableName=TABLE, Item={**_key("fits"), **fits})
    assert set(_items(ddb)) == {"fits"}
    assert len(_items(ddb)["fits"]) == 2 + 78


def _parse() -> Any:
    return UpdateExpressionParser.__dict__["make"]


def test_an_update_expression_seen_before_updates_as_the_first_time(ddb: Any) -> None:
    # Given one UpdateExpression text used on two items with different values
    update = "SET #n = if_not_exists(#n, :zero) + :step, tags = list_append(if_not_exists(tags, :empty), :tag)"
    for pk, step in (("a", "1"), ("b", "5"), ("a", "2")):
        ddb.update_item(
            TableName=TABLE,
            Key=_key(pk),
            UpdateExpression=update,
            ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={
                ":zero": {"N": "0"},
                ":step": {"N": step},
                ":empty": {"L": []},
                ":tag": {"L": [{"S": f"+{step}"}]},
            },
        )
    # Then each update applied its own values (the parsed text is shared, its values are not)
    items = _items(ddb)
    assert (items["a"]["n"], items["b"]["n"]) == ({"N": "3"}, {"N": "5"})
    assert items["a"]["tags"] == {"L": [{"S": "+1"}, {"S": "+2"}]}
    # And a text that does not parse is refused each time
    for _ in range(2):
        with pytest.raises(ClientError, match="Invalid UpdateExpression"):
            ddb.update_item(TableName=TABLE, Key=_key("a"), UpdateExpression="SET = 1")


def test_a_condition_seen_before_is_evaluated_with_its_own_values_and_placeholders(ddb: Any) -> None:
    # Given an item, and one ConditionExpression text (an idempotency record's) sent with different values
    ddb.put_item(TableName=TABLE, Item={**_key("k"), "expiry": {"N": "100"}, "seen": {"N": "0"}})
    condition = "attribute_not_exists(pk) OR #expiry < :now"

    def put(now: str, seen: str) -> None:
        ddb.put_item(
            TableName=TABLE,
            Item={**_key("k"), "expiry": {"N": "100"}, "seen": {"N": seen}},
            ConditionExpression=condition,
            ExpressionAttributeNames={"#expiry": "expiry"},
            ExpressionAttributeValues={":now": {"N": now}},
        )

    # When it holds with one value, fails with another, and holds again with the first
    put("200", "1")
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        put("50", "2")
    put("200", "3")
    # Then each put was judged on its own values
    assert _items(ddb)["k"]["seen"] == {"N": "3"}
    # And a name the text does not use is still refused, each time
    for _ in range(2):
        with pytest.raises(ClientError, match="unused"):
            ddb.put_item(
                TableName=TABLE,
                Item=_key("other"),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#expiry": "expiry", "#spare": "spare"},
                ExpressionAttributeValues={":now": {"N": "1"}},
            )


def test_the_endpoint_puts_back_what_it_sped_up_when_it_stops() -> None:
    import moto.backends
    import moto.core.responses

    def patched() -> tuple[Any, ...]:
        responses = moto.core.responses
        return (
            moto.backends.list_of_moto_modules,
            responses.method_names_from_class,
            responses.gen_amzn_requestid_long,
            Item.__init__,
            _parse(),
            DepthFirstTraverser.nodes_to_be_processed,
            DepthFirstTraverser.process,
            ConditionExpressionParser.parse,
        )

    # Given moto as imported
    before = patched()
    # When a local endpoint starts and stops
    server = MotoEndpoint(port=0)
    server.start()
    during = patched()
    server.stop()
    # Then its shortcuts were on while it ran and moto's own functions are back
    assert all(a is not b for a, b in zip(before, during, strict=True))
    assert patched() == before
