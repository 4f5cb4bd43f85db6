"""Reference workbooks arriving through S3 (reference/) -> SQS; each message succeeds or fails on its own."""

import telar.startup  # first: no garbage collection while the modules load

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.adapters.sqs_batch import PartialItemFailureResponse
from telar.adapters.upload_events import handle_uploads
from telar.observability import logger
from telar.stages.reference_upload import accept_reference_upload

telar.startup.loaded()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return handle_uploads(event, accept_reference_upload, "reference upload")
