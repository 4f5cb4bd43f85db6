"""Where a group's part of an order stands, in the buyer's words: the stage follows the work, not the workflow.

``PLANNED`` until the makers' booked time begins (the first week booked for it), ``IN_PRODUCTION`` until its window
closes (its due date, in the group's time zone), then ``AWAITING_QC`` until the manager's QC sheet is signed off
(``DONE``); a round for rejected units is ``REWORK`` (with its round number) until its own sheet is signed off.
``CANCELLED`` when its order was cancelled or failed before QC. Whether the execution waits for the sheet yet is
internal (``AssignmentStatus``, the staff's view): a sheet may be signed off before the window closes.
"""

from datetime import date
from enum import StrEnum

from telar.models import Assignment, AssignmentStatus


class GroupStage(StrEnum):
    PLANNED = "PLANNED"
    IN_PRODUCTION = "IN_PRODUCTION"
    AWAITING_QC = "AWAITING_QC"
    REWORK = "REWORK"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


def work_starts(a: Assignment) -> date | None:
    """The Monday of the first week the makers' time is booked for it (None: no booking recorded)."""
    weeks = [date.fromisoformat(week) for per_week in a.booked.values() for week in per_week]
    return min(weeks) if weeks else None


def group_stage(a: Assignment, today: date) -> GroupStage:
    """The buyer's stage of assignment ``a`` on ``today`` (the group's local date)."""
    if a.status is AssignmentStatus.CANCELLED:
        return GroupStage.CANCELLED
    if a.status is AssignmentStatus.QC_DONE:
        return GroupStage.DONE
    if a.rework_round:
        return GroupStage.REWORK
    if today > a.due_date:
        return GroupStage.AWAITING_QC
    starts = work_starts(a)
    if starts is not None and today < starts:
        return GroupStage.PLANNED
    return GroupStage.IN_PRODUCTION
