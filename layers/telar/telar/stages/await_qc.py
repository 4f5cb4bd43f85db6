"""AwaitQc: keep the task token on the assignment until its QC sheet arrives."""

from telar.errors import ConditionFailed
from telar.models import AssignmentStatus
from telar.observability import logger
from telar.ports import Ports
from telar.stages.qc_resume import resume_with_qc


def await_qc(ports: Ports, assignment_id: str, task_token: str) -> None:
    """Keep ``task_token`` for the QC sheet's arrival. Step Functions retries this stage when an invocation timed out
    after it had kept the first token: if the sheet was recorded meanwhile (its upload found the first token gone),
    the new task is resumed at once with what was recorded, instead of waiting for a sheet that already came."""
    try:
        ports.assignments.await_qc(assignment_id, task_token)
    except ConditionFailed:
        done = ports.assignments.get_assignment(assignment_id)
        if done is None or done.status is not AssignmentStatus.QC_DONE:
            raise
        logger.info("QC recorded before this retry of AwaitQc: resumed at once", assignment_id=assignment_id)
        resume_with_qc(ports, done.model_copy(update={"task_token": task_token}))
