"""What a staff member may see: a manager her own groups' work only; the office everything. Work she may not see
is reported as not found, exactly as work that does not exist (no hint that another group's id is real)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

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


@dataclass(frozen=True)
class Reminder:
    """A QC sheet the daily reminder is about: late, or its wait ends soon (telar.stages.qc_reminders' rule)."""

    assignment: Assignment
    days_late: int
    wait_ends: datetime


def reminders_due(
    work: Iterable[Assignment], now: datetime, qc_timeout: timedelta, remind_before: timedelta
) -> list[Reminder]:
    """Her open work the daily reminder e-mail is sent for today: past its due date, or within ``remind_before``
    of the end of its wait (``qc_timeout`` after it began)."""
    due = []
    for a in work:
        ends = (a.awaiting_since or now) + qc_timeout
        if now.date() > a.due_date or ends - now <= remind_before:
            due.append(Reminder(a, max((now.date() - a.due_date).days, 0), ends))
    return due
