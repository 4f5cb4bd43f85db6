"""SQS -> Lambda with ``ReportBatchItemFailures``: each message of a batch succeeds or fails on its own.

A message whose handler raised is named in ``batchItemFailures``, so SQS delivers it again after the visibility
timeout and, after the queue's ``maxReceiveCount``, parks it in the DLQ; the rest of the batch is deleted. When
every message failed the batch raises (:class:`BatchFailed`), as powertools' ``process_partial_response`` does,
so the function's ``Errors`` metric (and its alarm) sees it.

Why not powertools' ``BatchProcessor``: importing it loads asyncio (for its async processor) and every event data
class, ~30 ms of each SQS function's cold start (issue 18, docs/decisions.md); this is the part Telar used.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from telar.observability import logger


class ItemFailure(TypedDict):
    itemIdentifier: str


class PartialItemFailureResponse(TypedDict):
    batchItemFailures: list[ItemFailure]


class BatchFailed(Exception):
    """Every message of the batch failed; the first failure is the cause."""


@dataclass(frozen=True)
class SqsMessage:
    """What a handler reads of one SQS record."""

    message_id: str
    body: str
    receipt_handle: str
    receive_count: int  # 1 on the first delivery

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "SqsMessage":
        attributes = record.get("attributes") or {}
        return cls(
            message_id=record["messageId"],
            body=record["body"],
            receipt_handle=record.get("receiptHandle", ""),
            receive_count=int(attributes.get("ApproximateReceiveCount") or 1),
        )


def process_messages(event: Mapping[str, Any], handle: Callable[[SqsMessage], object]) -> PartialItemFailureResponse:
    """Run ``handle`` on each message of an SQS event, in order; name the ones that raised.

    Raises
    ------
    ValueError
        the event is not an SQS batch (no ``Records`` list).
    BatchFailed
        every message raised.
    """
    records = event.get("Records")
    if not isinstance(records, list):
        raise ValueError("not an SQS event: no Records list")
    failures: list[ItemFailure] = []
    first_error: Exception | None = None
    for record in records:
        message_id = record.get("messageId", "") if isinstance(record, Mapping) else ""
        try:
            handle(SqsMessage.from_record(record))
        except Exception as error:  # one message's failure must not fail the others
            logger.exception("message failed; SQS delivers it again", message_id=message_id)
            failures.append({"itemIdentifier": message_id})
            first_error = first_error or error
    if records and len(failures) == len(records):
        raise BatchFailed(f"all {len(records)} messages of the batch failed") from first_error
    return {"batchItemFailures": failures}
