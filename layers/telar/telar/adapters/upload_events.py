"""S3 -> SQS -> Lambda: the uploads each message names, handed to a stage; each message succeeds or fails on its own.

A message whose stage raised is reported in ``batchItemFailures`` (telar.adapters.sqs_batch), so SQS delivers it
again after the visibility timeout and, after the queue's ``maxReceiveCount``, parks it in the DLQ; the rest of the
batch is deleted.
"""

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from telar.adapters.sqs_batch import PartialItemFailureResponse, SqsMessage, process_messages
from telar.observability import logger
from telar.ports import Ports, default_ports


def s3_records(event_body: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(bucket, key, version id) of each S3 record in an SQS message body; test events give none."""
    return [
        (r["s3"]["bucket"]["name"], unquote_plus(r["s3"]["object"]["key"]), r["s3"]["object"].get("versionId"))
        for r in event_body.get("Records", [])
        if r.get("eventName", "").startswith("ObjectCreated")
    ]


Accept = Callable[[Ports, str, str | None], str]  # (ports, key, version id) -> what happened to the upload


def handle_uploads(event: dict[str, Any], accept: Accept, what: str) -> PartialItemFailureResponse:
    def handle_message(message: SqsMessage) -> None:
        for _bucket, key, version_id in s3_records(json.loads(message.body)):
            outcome = accept(default_ports(), key, version_id)
            logger.info(f"{what} handled", key=key, version_id=version_id, outcome=outcome)

    return process_messages(event, handle_message)
