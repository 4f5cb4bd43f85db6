"""InsertCards stage: the print sheet of insert cards for one order."""

import telar.startup  # first: no garbage collection while the modules load

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.observability import logger
from telar.ports import default_ports
from telar.stages.insert_cards import make_cards

telar.startup.loaded()


@logger.inject_lambda_context(correlation_id_path="order_id", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    key, count = make_cards(default_ports(), event["order_id"])
    return {"cards_key": key, "cards": count}
