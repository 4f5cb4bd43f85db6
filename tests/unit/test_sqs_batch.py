"""SQS partial batch responses: each message succeeds or fails on its own (telar.adapters.sqs_batch)."""

import logging
from typing import Any

import pytest

from telar.adapters.sqs_batch import BatchFailed, SqsMessage, process_messages


def _record(message_id: str, body: str, receives: str | None = "1") -> dict[str, Any]:
    record: dict[str, Any] = {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": receives} if receives else {},
        "eventSource": "aws:sqs",
    }
    return record


def _fail_on(*bad: str) -> tuple[list[str], Any]:
    seen: list[str] = []

    def handle(message: SqsMessage) -> None:
        seen.append(message.body)
        if message.body in bad:
            raise RuntimeError(f"cannot handle {message.body}")

    return seen, handle


def test_only_the_messages_that_raised_are_reported_and_every_message_is_tried() -> None:
    seen, handle = _fail_on("b", "d")
    event = {"Records": [_record(f"m-{body}", body) for body in "abcde"]}
    response = process_messages(event, handle)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-b"}, {"itemIdentifier": "m-d"}]}
    assert seen == list("abcde")


def test_a_batch_without_failures_reports_none() -> None:
    _, handle = _fail_on()
    assert process_messages({"Records": [_record("m1", "a")]}, handle) == {"batchItemFailures": []}
    assert process_messages({"Records": []}, handle) == {"batchItemFailures": []}


def test_a_batch_whose_every_message_failed_raises_with_the_first_failure_as_its_cause() -> None:
    # Lambda's Errors metric, and the function's alarm, count a batch that raised; a batch that only names its
    # failures would look healthy while nothing gets through
    _, handle = _fail_on("a", "b")
    with pytest.raises(BatchFailed, match="all 2 messages") as raised:
        process_messages({"Records": [_record("m1", "a"), _record("m2", "b")]}, handle)
    assert str(raised.value.__cause__) == "cannot handle a"


def test_the_failure_is_logged_with_its_message_id_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    _, handle = _fail_on("b")
    process_messages({"Records": [_record("m1", "a"), _record("m2", "b")]}, handle)
    [failed] = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert failed.message_id == "m2"  # type: ignore[attr-defined]
    assert failed.exc_info and str(failed.exc_info[1]) == "cannot handle b"


def test_the_handler_reads_the_body_the_receipt_handle_and_the_receive_count() -> None:
    received: list[SqsMessage] = []
    event = {"Records": [_record("m1", '{"x": 1}', receives="3"), _record("m2", "", receives=None)]}
    process_messages(event, received.append)
    assert received == [
        SqsMessage(message_id="m1", body='{"x": 1}', receipt_handle="handle-m1", receive_count=3),
        SqsMessage(message_id="m2", body="", receipt_handle="handle-m2", receive_count=1),
    ]


def test_a_malformed_record_fails_alone() -> None:
    # Lambda retries the whole batch when an identifier is empty: a record that names no message cannot be told apart
    seen, handle = _fail_on()
    response = process_messages({"Records": [{"body": "x"}, _record("m2", "b")]}, handle)
    assert response == {"batchItemFailures": [{"itemIdentifier": ""}]}
    assert seen == ["b"]


@pytest.mark.parametrize("event", [{}, {"Records": None}, {"Records": "m1"}, {"detail": {}}])
def test_an_event_that_is_not_an_sqs_batch_is_refused(event: dict[str, Any]) -> None:
    _, handle = _fail_on()
    with pytest.raises(ValueError, match="not an SQS event"):
        process_messages(event, handle)
