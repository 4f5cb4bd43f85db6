"""Rework stage: rejected units of a signed-off assignment go back for another QC round (or are flagged)."""

import telar.startup  # first: no garbage collection while the modules load

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.observability import logger
from telar.ports import default_ports
from telar.stages.rework import start_rework

telar.startup.loaded()


@logger.inject_lambda_context(correlation_id_path="order_id", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"order_id": event["order_id"], **start_rework(default_ports(), event["assignment_id"])}
