"""moto's Step Functions as AWS's in one respect it is not: a stopped execution is ABORTED at once, and stays so.

On AWS, StopExecution ends the execution there: its status is ABORTED when the call returns, and nothing it was
doing afterwards (a Lambda invocation in flight failing, a Catch) changes that. moto (5.x, the ASL parser)
only signals its worker: the status is set when the program terminates, from the program's last state, so a
task that fails after the stop takes the Catch to a Fail state and the execution ends FAILED, running
RecordFailure on the way. The patch sets ABORTED (and the stop date) in StopExecution, and keeps it when the
worker terminates later.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution


def abort_on_stop() -> Callable[[], None]:
    """Install the patch; returns what removes it."""
    stop, reflect = Execution.stop, BaseExecutionWorkerCommunication._reflect_execution_status

    def stopped(self: Execution, stop_date: datetime.datetime, error: str | None, cause: str | None) -> None:
        stop(self, stop_date, error, cause)
        if self.exec_status == ExecutionStatus.RUNNING:
            self.exec_status, self.stop_date = ExecutionStatus.ABORTED, stop_date
            self.error, self.cause = error, cause

    def reflected(self: BaseExecutionWorkerCommunication) -> Any:
        if self.execution.exec_status == ExecutionStatus.ABORTED:
            return None  # stopped: what the worker did after that does not count
        return reflect(self)

    Execution.stop = stopped  # type: ignore[method-assign]
    BaseExecutionWorkerCommunication._reflect_execution_status = reflected  # type: ignore[method-assign]

    def undo() -> None:
        Execution.stop = stop  # type: ignore[method-assign]
        BaseExecutionWorkerCommunication._reflect_execution_status = reflect  # type: ignore[method-assign]

    return undo
