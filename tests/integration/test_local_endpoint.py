"""The local AWS endpoint under concurrent requests, as the API server sends them (one thread per request)."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config

from local.endpoint import MotoEndpoint


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = MotoEndpoint(port=0)
    url = server.start()
    yield url
    server.stop()


def test_concurrent_transactions_and_writes_to_one_table_all_succeed(endpoint: str) -> None:
    # Given a table on the local endpoint, and eight clients writing to it at once
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),  # a 500 must not be hidden by a retry
    )
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
