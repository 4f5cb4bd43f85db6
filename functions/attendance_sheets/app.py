"""The month's blank attendance sheets to each manager: on a schedule (the month just begun), or on demand with
{"month": "YYYY-MM"}."""

import telar.startup  # first: no garbage collection while the modules load

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.models import PayPeriod
from telar.observability import logger
from telar.ports import default_ports
from telar.stages.attendance_sheets import send_attendance_sheets

telar.startup.loaded()


@logger.inject_lambda_context(correlation_id_path="month", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("month"):
        month = PayPeriod(period=str(event["month"]))
    else:  # the schedule's event carries no month: this month
        month = PayPeriod(period=datetime.now(UTC).strftime("%Y-%m"))
    return send_attendance_sheets(default_ports(), month)
