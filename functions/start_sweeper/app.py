"""Every few minutes: start the pipeline of orders stored without a confirmed start (START_PENDING)."""

import telar.startup  # first: no garbage collection while the modules load

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar import pipeline_start
from telar.observability import logger
from telar.ports import default_ports

telar.startup.loaded()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = pipeline_start.sweep_start_pending(default_ports(), datetime.now(UTC))
    if started:
        logger.info("started pending orders", order_ids=started)
    return {"started": started}
