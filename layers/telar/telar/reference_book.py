"""Reference data as staff maintain it: one book of groups, makers, catalog, wage rules and buyers.

Pure rules for applying an uploaded book over the version in force (no I/O): makers missing from the
upload are kept, deactivated (payroll history needs them); comparison ignores row order.
"""

from telar.errors import SheetProblem
from telar.models import Maker, ReferenceData


def keep_departed_makers(previous: ReferenceData | None, incoming: ReferenceData) -> tuple[ReferenceData, list[Maker]]:
    """``incoming`` with every maker of ``previous`` it leaves out kept as inactive; returns those makers too.

    A maker who leaves is deactivated, never deleted: her earnings, payslips and QC rows name her.
    """
    if previous is None:
        return incoming, []
    present = {m.worker_id for m in incoming.makers}
    departed = [m.model_copy(update={"active": False}) for m in previous.makers if m.worker_id not in present]
    if not departed:
        return incoming, []
    return incoming.model_copy(update={"makers": (*incoming.makers, *departed)}), departed


def deactivated(previous: ReferenceData | None, current: ReferenceData) -> list[str]:
    """Worker ids active before and inactive now (explicitly or by leaving the sheet)."""
    if previous is None:
        return []
    was_active = {m.worker_id for m in previous.makers if m.active}
    return sorted(m.worker_id for m in current.makers if not m.active and m.worker_id in was_active)


def orphaned_groups(merged: ReferenceData) -> list[SheetProblem]:
    """A group left out while makers of it are kept (inactive ones included): refused, it would orphan them."""
    present = {g.group_id for g in merged.groups}
    missing = sorted({m.group_id for m in merged.makers} - present)
    return [
        SheetProblem(
            "groups",
            "",
            group_id,
            f"a row for group {group_id!r}: its makers are kept for payroll history, so it cannot be removed "
            "(set its makers' Active to no instead)",
        )
        for group_id in missing
    ]
