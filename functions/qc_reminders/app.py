"""QC reminders, daily on a schedule: heartbeats for waiting QC tasks, reminder e-mails for overdue sheets."""

import telar.startup  # first: no garbage collection while the modules load

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.observability import logger
from telar.ports import default_ports
from telar.stages.qc_reminders import send_qc_reminders

telar.startup.loaded()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return send_qc_reminders(default_ports(), datetime.now(UTC))
