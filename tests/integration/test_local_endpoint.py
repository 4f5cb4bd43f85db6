"""The local AWS endpoint under concurrent requests, as the API server sends them (one thread per request)."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.endpoint import MotoEndpoint
from tests.local_aws import unretried_client


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = MotoEndpoint(port=0)
    url = server.start()
    yield url
    server.stop()


def test_concurrent_transactions_and_writes_to_one_table_all_succeed(endpoint: str) -> None:
    # Given a table on the local endpoint, and eight clients writing to it at once
    ddb = unretried_client("dynamodb", endpoint)
    ddb.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )

    def write(i: int) -> None:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": f"order-{i}"}, "n": {"N": str(i)}}}},
                {"Put": {"TableName": "t", "Item": {"pk": {"S": f"marker-{i}"}}}},
            ]
        )
        ddb.put_item(TableName="t", Item={"pk": {"S": f"plain-{i}"}})

    # When they write 600 items, half in transactions (moto deep-copies the table for each one)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(200)))
    # Then every write succeeded
    assert ddb.scan(TableName="t", Select="COUNT")["Count"] == 600
