"""local.poller: Lambda's SQS event and its partial batch response rules."""

from local.poller import messages_to_delete, sqs_event

ARN = "arn:aws:sqs:us-east-1:123456789012:uploads"
MESSAGES = [
    {
        "MessageId": f"m{i}",
        "ReceiptHandle": f"r{i}",
        "Body": f"body {i}",
        "MD5OfBody": "md5",
        "Attributes": {"ApproximateReceiveCount": "1"},
        "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "qc"}},
    }
    for i in range(3)
]


def test_sqs_event_has_lambdas_record_shape() -> None:
    record = sqs_event(MESSAGES[:1], ARN, "us-east-1")["Records"][0]
    assert record == {
        "messageId": "m0",
        "receiptHandle": "r0",
        "body": "body 0",
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {
            "kind": {"stringValue": "qc", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
        },
        "md5OfBody": "md5",
        "eventSource": "aws:sqs",
        "eventSourceARN": ARN,
        "awsRegion": "us-east-1",
    }


def test_without_report_batch_item_failures_a_success_consumes_the_batch() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert messages_to_delete(MESSAGES, response, report_batch_item_failures=False) == MESSAGES


def test_reported_failures_stay_on_the_queue() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    kept = messages_to_delete(MESSAGES, response, report_batch_item_failures=True)
    assert [m["MessageId"] for m in kept] == ["m0", "m2"]
    assert messages_to_delete(MESSAGES, {"batchItemFailures": []}, report_batch_item_failures=True) == MESSAGES
    assert messages_to_delete(MESSAGES, None, report_batch_item_failures=True) == MESSAGES


def test_an_invalid_item_identifier_fails_the_whole_batch() -> None:
    for bad in ({"itemIdentifier": ""}, {"itemIdentifier": "unknown"}, {}):
        assert messages_to_delete(MESSAGES, {"batchItemFailures": [bad]}, report_batch_item_failures=True) == []
