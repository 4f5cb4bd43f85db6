"""AwaitQc stage: keep the task token on the assignment; qc_upload resumes the execution with it."""

import telar.startup  # first: no garbage collection while the modules load

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.observability import logger
from telar.ports import default_ports
from telar.stages.await_qc import await_qc

telar.startup.loaded()


@logger.inject_lambda_context(correlation_id_path="order_id", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    await_qc(default_ports(), event["assignment_id"], event["task_token"])
    return {"assignment_id": event["assignment_id"], "status": "AWAITING_QC"}
