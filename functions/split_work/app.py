"""SplitWork stage: plan the order's assignments and send each group its papers."""

import telar.startup  # first: no garbage collection while the modules load

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.observability import logger
from telar.ports import default_ports
from telar.stages.split_work import split_work

telar.startup.loaded()


@logger.inject_lambda_context(correlation_id_path="order_id", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"assignment_ids": split_work(default_ports(), event["order_id"])}
