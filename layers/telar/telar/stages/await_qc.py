"""AwaitQc: keep the task token on the assignment until its QC sheet arrives."""

from telar.ports import Ports


def await_qc(ports: Ports, assignment_id: str, task_token: str) -> None:
    ports.assignments.await_qc(assignment_id, task_token)
