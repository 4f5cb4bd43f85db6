"""Rework: the units a QC sheet rejected go back to the makers who made them, for another QC round."""

from collections import defaultdict

from telar.models import Assignment, AssignmentLine


def rework_id(original_id: str, rework_round: int) -> str:
    return f"{original_id}-rework{rework_round}"


def plan_rework(signed_off: Assignment) -> Assignment | None:
    """The next round for ``signed_off``'s rejected units, each with the maker who made it; None if none."""
    rejected: dict[str, dict[str, int]] = defaultdict(dict)
    for row in signed_off.qc_rows:
        if row.rejected:
            rejected[row.sku][row.worker_id] = rejected[row.sku].get(row.worker_id, 0) + row.rejected
    if not rejected:
        return None
    original = {line.sku: line for line in signed_off.lines}
    next_round = signed_off.rework_round + 1
    return Assignment(
        assignment_id=rework_id(signed_off.rework_of or signed_off.assignment_id, next_round),
        order_id=signed_off.order_id,
        group_id=signed_off.group_id,
        due_date=signed_off.due_date,
        rework_of=signed_off.rework_of or signed_off.assignment_id,
        rework_round=next_round,
        lines=[
            AssignmentLine(
                sku=sku,
                quantity=sum(per_maker.values()),
                options=original[sku].options if sku in original else {},
                notes=f"Rework round {next_round}"
                + (f" — {original[sku].notes}" if sku in original and original[sku].notes else ""),
                per_maker=per_maker,
            )
            for sku, per_maker in sorted(rejected.items())
        ],
    )
