"""Buyers' webhook events from the webhook queue: each message POSTed, retried or parked on its own (partial batch)."""

import telar.startup  # first: no garbage collection while the modules load

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.adapters.webhooks import HttpPoster
from telar.observability import logger, metrics
from telar.ports import default_ports
from telar.stages.webhook_delivery import deliver_message

telar.startup.loaded()

processor = BatchProcessor(event_type=EventType.SQS)


def _record(record: SQSRecord) -> str:
    ports = default_ports()
    post = HttpPoster(allow_private=ports.settings.webhooks_allow_private).post
    receives = int(record.attributes.approximate_receive_count or 1)
    return deliver_message(ports, record.body, receives, record.receipt_handle, post, datetime.now(UTC))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=_record, processor=processor, context=context)
