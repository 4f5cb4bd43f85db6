"""The local AWS endpoint under concurrent requests, as the API server sends them (one thread per request)."""

import http.client
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
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


def test_a_dlq_is_redriven_with_sqs_own_message_move_task_as_operations_says(endpoint: str) -> None:
    # Given a queue whose dead-letter queue holds three messages (moto has no StartMessageMoveTask of its own)
    sqs = boto3.client(
        "sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    dlq = sqs.create_queue(QueueName="parked")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})
    source = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=dlq, MessageBody=body)
    # When an operator starts a message move task from the DLQ, naming no destination
    assert sqs.start_message_move_task(SourceArn=arn)["TaskHandle"]
    # Then the messages are back in the queue they came from, and the DLQ is empty
    received = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in received) == ["a", "b", "c"]
    assert "Messages" not in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)
    # and a queue that does not exist is refused as AWS refuses it
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.start_message_move_task(SourceArn=arn.replace(":parked", ":missing"))


def _request(connection: http.client.HTTPConnection, target: str, body: bytes) -> tuple[int, bytes, str | None]:
    connection.request(
        "POST",
        "/",
        body=body,
        headers={
            "X-Amz-Target": target,
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=host, Signature=x",
        },
    )
    reply = connection.getresponse()
    return reply.status, reply.read(), reply.getheader("Connection")


def test_one_connection_carries_many_requests_and_is_closed_when_the_endpoint_stops() -> None:
    # Given the local endpoint and one HTTP/1.1 connection to it
    server = MotoEndpoint(port=0)
    server.start()
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    create = {
        "TableName": "t",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    }
    try:
        # When requests with bodies follow one another on it
        answers = [
            _request(connection, "DynamoDB_20120810.CreateTable", json.dumps(create).encode()),
            *(
                _request(
                    connection,
                    "DynamoDB_20120810.PutItem",
                    json.dumps({"TableName": "t", "Item": {"pk": {"S": f"k{i}"}}}).encode(),
                )
                for i in range(3)
            ),
            _request(connection, "DynamoDB_20120810.Scan", b'{"TableName": "t", "Select": "COUNT"}'),
        ]
        # Then each is answered in turn on the same connection, none asking to close it
        assert [status for status, _, _ in answers] == [200] * 5
        assert json.loads(answers[-1][1])["Count"] == 3
        assert {close for _, _, close in answers} == {None}
        socket_before = connection.sock
        assert _request(connection, "DynamoDB_20120810.Scan", b'{"TableName": "t"}')[0] == 200
        assert connection.sock is socket_before
    finally:
        server.stop()
    # And once the endpoint stops, the connection is closed: the client sees the server gone
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        _request(connection, "DynamoDB_20120810.Scan", b'{"TableName": "t"}')


def test_s3_refuses_more_than_two_kilobytes_of_user_metadata_as_aws_does(endpoint: str) -> None:
    # moto stores any amount; S3 answers 400 MetadataTooLarge over 2 KB (keys and values, UTF-8 bytes)
    s3 = unretried_client("s3", endpoint)
    s3.create_bucket(Bucket="uploads")
    s3.put_object(Bucket="uploads", Key="fits", Body=b"x", Metadata={"note": "x" * 2044})
    with pytest.raises(s3.exceptions.ClientError) as refused:
        s3.put_object(Bucket="uploads", Key="too-much", Body=b"x", Metadata={"note": "x" * 2045})  # 2,049 bytes
    assert refused.value.response["Error"]["Code"] == "MetadataTooLarge"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
