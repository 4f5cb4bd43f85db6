"""The API's Lambda authorizer (REQUEST type): x-api-key -> the buyer, by the key's hash in the table."""

import telar.startup  # first: no garbage collection while the modules load

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.auth import authorize
from telar.errors import NotAuthenticated
from telar.observability import logger
from telar.ports import default_ports

telar.startup.loaded()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return authorize(default_ports(), event.get("headers"), event["methodArn"])
    except NotAuthenticated:
        logger.info("unknown API key refused")
        raise Exception("Unauthorized") from None  # the exact message API Gateway turns into a 401
