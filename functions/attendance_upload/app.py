"""Attendance uploads arriving through S3 -> SQS; each message succeeds or fails on its own (partial batch)."""

import telar.startup  # first: no garbage collection while the modules load

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.adapters.sqs_batch import PartialItemFailureResponse
from telar.adapters.upload_events import handle_uploads
from telar.observability import logger
from telar.stages.attendance_upload import accept_attendance_upload

telar.startup.loaded()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return handle_uploads(event, accept_attendance_upload, "attendance upload")
