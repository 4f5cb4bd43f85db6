"""E-mails received by SES (stored raw under inbound/) arriving through S3 -> SQS; each message on its own."""

import telar.startup  # first: no garbage collection while the modules load

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.adapters.sqs_batch import PartialItemFailureResponse
from telar.adapters.upload_events import handle_uploads
from telar.observability import logger
from telar.stages.inbound_mail import handle_inbound_mail

telar.startup.loaded()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return handle_uploads(event, handle_inbound_mail, "inbound mail")
