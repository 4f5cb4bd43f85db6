"""Step Functions: start the order pipeline, resume a task waiting for QC."""

import json
from typing import Any

from telar.adapters.aws import client

ENDED_LISTED = 100  # per status: the office's list looks at the recent executions, not all of history


class Workflow:
    def __init__(self, state_machine_arn: str | None):
        self.state_machine_arn = state_machine_arn

    def start_order(self, order_id: str) -> bool:
        """Start the pipeline for ``order_id``; returns False if it was already started.

        The execution is named after the order, so a repeated start (a retry, a sweeper) is harmless.
        """
        sfn = client("stepfunctions")
        try:
            sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=order_id, input=json.dumps({"order_id": order_id})
            )
        except sfn.exceptions.ExecutionAlreadyExists:
            return False
        return True

    def stop_order(self, order_id: str, cause: str) -> bool:
        """Stop the order's execution (its buyer cancelled it); False if it was not running."""
        execution = self._execution(order_id)
        sfn = client("stepfunctions")
        try:
            reply = sfn.describe_execution(executionArn=execution)
            if reply["status"] != "RUNNING":
                return False
            sfn.stop_execution(executionArn=execution, error="OrderCancelled", cause=cause)
        except sfn.exceptions.ExecutionDoesNotExist:
            return False
        return True

    def is_running(self, order_id: str) -> bool:
        """Whether the order's execution is running now (False: never started, or ended however it ended)."""
        sfn = client("stepfunctions")
        try:
            return bool(sfn.describe_execution(executionArn=self._execution(order_id))["status"] == "RUNNING")
        except sfn.exceptions.ExecutionDoesNotExist:
            return False

    def ended_abnormally(self) -> set[str]:
        """The orders of the recent executions that were stopped by hand, failed or timed out (the newest
        ``ENDED_LISTED`` of each): an order among them that still holds bookings needs a person."""
        sfn = client("stepfunctions")
        found: set[str] = set()
        for status in ("ABORTED", "FAILED", "TIMED_OUT"):
            reply = sfn.list_executions(
                stateMachineArn=self.state_machine_arn, statusFilter=status, maxResults=ENDED_LISTED
            )
            found |= {e["name"] for e in reply.get("executions", [])}
        return found

    def _execution(self, order_id: str) -> str:
        assert self.state_machine_arn is not None
        return self.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{order_id}"

    def resume(self, task_token: str, output: dict[str, Any]) -> bool:
        """Resume the waiting task; False if it no longer waits (resumed before, timed out, or stopped)."""
        sfn = client("stepfunctions")
        try:
            sfn.send_task_success(taskToken=task_token, output=json.dumps(output))
        except _task_gone(sfn):
            return False
        return True

    def heartbeat(self, task_token: str) -> bool:
        """Tell Step Functions the task still waits (for days, on a person); False if it no longer exists."""
        sfn = client("stepfunctions")
        try:
            sfn.send_task_heartbeat(taskToken=task_token)
        except _task_gone(sfn):
            return False
        return True


def _task_gone(sfn: Any) -> tuple[type[Exception], ...]:
    """What Step Functions answers for a task token whose task no longer waits."""
    return (sfn.exceptions.TaskTimedOut, sfn.exceptions.TaskDoesNotExist, sfn.exceptions.InvalidToken)
