"""Pay-period run: monthly on a schedule (pays the month just ended), or on demand with {"period": "YYYY-MM"}."""

import telar.startup  # first: no garbage collection while the modules load

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.models import PayPeriod
from telar.observability import logger
from telar.ports import default_ports
from telar.stages.pay_period import run_pay_period

telar.startup.loaded()


@logger.inject_lambda_context(correlation_id_path="period", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("period"):
        period = PayPeriod(period=str(event["period"]))
    else:  # the schedule's event carries no period: pay the month that ended before today
        period = PayPeriod.before(datetime.now(UTC).date())
    return run_pay_period(default_ports(), period).model_dump(mode="json")
