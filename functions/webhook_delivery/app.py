"""Buyers' webhook events from the webhook queue: each message POSTed, retried or parked on its own (partial batch)."""

import telar.startup  # first: no garbage collection while the modules load

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.adapters.sqs_batch import PartialItemFailureResponse, SqsMessage, process_messages
from telar.adapters.webhooks import HttpPoster
from telar.observability import logger, metrics
from telar.ports import default_ports
from telar.stages.webhook_delivery import deliver_message

telar.startup.loaded()


def _deliver(message: SqsMessage) -> str:
    ports = default_ports()
    post = HttpPoster(allow_private=ports.settings.webhooks_allow_private).post
    return deliver_message(ports, message.body, message.receive_count, message.receipt_handle, post, datetime.now(UTC))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_messages(event, _deliver)
