"""Resuming the task that waits for an assignment's QC sheet: by the QC upload that records the sheet, and by an
AwaitQc retry that finds it recorded already (stages/await_qc.py)."""

from telar.models import Assignment
from telar.observability import logger
from telar.ports import Ports


def resume_with_qc(ports: Ports, assignment: Assignment) -> None:
    """Resume the assignment's waiting task with its recorded QC totals (the next state's input)."""
    assert assignment.task_token
    output = {
        "order_id": assignment.order_id,
        "assignment_id": assignment.assignment_id,
        "units_passed": assignment.units_passed,
        "units_rejected": assignment.units_rejected,
    }
    if not ports.workflow.resume(assignment.task_token, output):
        logger.info("task no longer waiting (resumed before)", assignment_id=assignment.assignment_id)
