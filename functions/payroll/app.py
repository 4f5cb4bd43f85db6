"""Payroll stage: pay the makers of one order and e-mail the files to finance."""

import telar.startup  # first: no garbage collection while the modules load

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.observability import logger
from telar.ports import default_ports
from telar.stages.payroll import run_payroll

telar.startup.loaded()


@logger.inject_lambda_context(correlation_id_path="order_id", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"payroll_keys": run_payroll(default_ports(), event["order_id"])}
