"""E-mails received by SES (stored raw under inbound/) arriving through S3 -> SQS; each message on its own."""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.observability import logger
from telar.ports import default_ports
from telar.stages import s3_records
from telar.stages.inbound_mail import handle_inbound_mail

processor = BatchProcessor(event_type=EventType.SQS)


def handle_message(record: SQSRecord) -> None:
    for _bucket, key, version_id in s3_records(json.loads(record.body)):
        outcome = handle_inbound_mail(default_ports(), key, version_id)
        logger.info("inbound mail handled", key=key, version_id=version_id, outcome=outcome)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=handle_message, processor=processor, context=context)
