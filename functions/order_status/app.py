"""Records the pipeline's outcome on the order: READY_TO_SHIP, or NEEDS_ATTENTION with the reason."""

import telar.startup  # first: no garbage collection while the modules load

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.observability import logger
from telar.ports import default_ports
from telar.stages.order_status import record_outcome

telar.startup.loaded()


@logger.inject_lambda_context(correlation_id_path="order_id", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    status = record_outcome(default_ports(), event["order_id"], event["outcome"], event.get("error"))
    return {"order_id": event["order_id"], "status": status}
