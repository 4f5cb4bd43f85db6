"""What a staff member may see: a manager her own groups' work only; the office everything. Work she may not see
is reported as not found, exactly as work that does not exist (no hint that another group's id is real)."""

from collections.abc import Iterable

from telar.console.session import Role, Staff
from telar.errors import AssignmentNotFound
from telar.models import Assignment


def may_see_group(staff: Staff, group_id: str) -> bool:
    return staff.role == Role.OFFICE or (staff.role == Role.MANAGER and group_id in staff.group_ids)


def visible_assignment(staff: Staff, assignment: Assignment | None, assignment_id: str) -> Assignment:
    """``assignment`` if she may see it; AssignmentNotFound otherwise, as for one that does not exist."""
    if assignment is None or not may_see_group(staff, assignment.group_id):
        raise AssignmentNotFound(assignment_id)
    return assignment


def open_work(staff: Staff, awaiting: Iterable[Assignment]) -> list[Assignment]:
    """Her groups' assignments still waiting for their QC sheet, the soonest due first."""
    return sorted(
        (a for a in awaiting if may_see_group(staff, a.group_id)), key=lambda a: (a.due_date, a.assignment_id)
    )
