"""The local SQS event source mapping: a thread per `Type: SQS` event, as Lambda's poller behaves.

Why it matters: qc_upload relies on Lambda's semantics for S3 -> SQS -> Lambda. Each thread
long-polls its queue, hands a batch (at most BatchSize, and at most 10 per receive) to the
function as Lambda's SQS event, and then:

- success: deletes the batch; with ReportBatchItemFailures, deletes all but the reported items
  (an unknown or empty itemIdentifier fails the whole batch, as on Lambda);
- the handler raised: deletes nothing.

Messages left behind reappear after the visibility timeout, and the queue's redrive policy moves them
to the DLQ after maxReceiveCount receives; moto does that part. The queue keeps the template's
VisibilityTimeout. Only if TELAR_LOCAL_VISIBILITY_TIMEOUT (or LocalCloud's visibility_timeout) is set
does the poller ask for that shorter timeout on each receive, so retries come quickly in tests.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Sequence
from typing import Any

from local.lambdas import LambdaRuntime
from local.stack import SqsSource

log = logging.getLogger(__name__)


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An SQS message attribute in the Lambda event's spelling (camelCase, lists always present)."""
    attribute: dict[str, Any] = {
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": value.get("BinaryListValues", []),
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return attribute


def sqs_event(messages: Sequence[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """Lambda's SQS event for messages as ReceiveMessage returns them."""
    records = []
    for message in messages:
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: _lambda_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        records.append(record)
    return {"Records": records}


def messages_to_delete(
    messages: Sequence[dict[str, Any]], response: Any, *, report_batch_item_failures: bool
) -> list[dict[str, Any]]:
    """Which messages a successful invocation consumed (Lambda's partial batch response rules)."""
    if not report_batch_item_failures or not isinstance(response, dict):
        return list(messages)
    failures = response.get("batchItemFailures") or []
    by_id = {m["MessageId"]: m for m in messages}
    failed: set[str] = set()
    for failure in failures:
        item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not item or item not in by_id:
            log.warning("invalid batchItemFailures entry %r: the whole batch is retried", failure)
            return []
        failed.add(item)
    return [m for m in messages if m["MessageId"] not in failed]


class SqsEventSource:
    """Polls one queue for one function until stopped."""

    def __init__(
        self,
        source: SqsSource,
        runtime: LambdaRuntime,
        sqs: Any,
        *,
        region: str,
        account_id: str,
        visibility_timeout: int | None = None,
        wait_seconds: int = 1,
    ) -> None:
        self.source = source
        self._runtime = runtime
        self._sqs = sqs
        self._region = region
        self._visibility_timeout = visibility_timeout
        self._wait_seconds = wait_seconds
        self._queue_url: str = sqs.get_queue_url(QueueName=source.queue_name, QueueOwnerAWSAccountId=account_id)[
            "QueueUrl"
        ]
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"sqs-{source.queue_name}->{source.function_name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception:
                if self._stopping.is_set():
                    break
                log.exception("polling %s failed; retrying", self.source.queue_name)
                self._stopping.wait(1.0)

    def poll_once(self) -> int:
        """Receive one batch and hand it to the function; returns how many messages it received."""
        receive: dict[str, Any] = {
            "QueueUrl": self._queue_url,
            "MaxNumberOfMessages": max(1, min(self.source.batch_size, 10)),
            "WaitTimeSeconds": self._wait_seconds,
            "MessageSystemAttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        if self._visibility_timeout is not None:
            receive["VisibilityTimeout"] = self._visibility_timeout
        messages = self._sqs.receive_message(**receive).get("Messages", [])
        if not messages:
            return 0
        event = sqs_event(messages, self.source.queue_arn, self._region)
        invocation = self._runtime.invoke(self.source.function_name, json.dumps(event).encode())
        if invocation.function_error:
            log.warning(
                "%s failed on %d message(s): left for retry after the visibility timeout",
                self.source.function_name,
                len(messages),
            )
            return len(messages)
        done = messages_to_delete(
            messages, invocation.json(), report_batch_item_failures=self.source.report_batch_item_failures
        )
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        if len(done) < len(messages):
            log.info(
                "%s: %d of %d message(s) failed; left for retry",
                self.source.function_name,
                len(messages) - len(done),
                len(messages),
            )
        return len(messages)
