"""Fair pay: piece rate for accepted units, never less than the minimum wage for the hours worked."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from telar.models import Assignment, EarningLine, GroupPayroll, ReferenceData
from telar.money import quantize


def earnings_for(assignment: Assignment, ref: ReferenceData, on: date) -> list[EarningLine]:
    """One line per maker and product of an assignment's accepted QC results.

    The minimum wage is the rule in force on ``on`` (the QC date), as an hourly rate; when the piece
    earnings fall short of it for the hours worked, the difference is paid as a top-up.
    """
    group = ref.group(assignment.group_id)
    hourly = ref.minimum_wage(group, on).hourly
    makers = {m.worker_id: m for m in ref.makers if m.group_id == group.group_id}
    lines = []
    for row in assignment.qc_rows:
        product = ref.product(row.sku)
        assert product is not None, f"{row.sku} vanished from the catalog"
        piece = quantize(row.passed * product.piece_rates[group.currency], group.currency)
        minimum = quantize(row.hours_worked * hourly, group.currency)
        maker = makers.get(row.worker_id)
        lines.append(
            EarningLine(
                order_id=assignment.order_id,
                assignment_id=assignment.assignment_id,
                group_id=group.group_id,
                worker_id=row.worker_id,
                maker_name=maker.first_name if maker else row.worker_id,
                sku=row.sku,
                currency=group.currency,
                units_passed=row.passed,
                hours_worked=row.hours_worked,
                piece_earnings=piece,
                minimum_for_hours=minimum,
                top_up=max(Decimal(0), minimum - piece),
                qc_upload=assignment.qc_upload,
            )
        )
    return lines


def by_group(lines: list[EarningLine], ref: ReferenceData) -> list[GroupPayroll]:
    """Group earning lines per group and currency (the unit finance pays from)."""
    grouped: dict[tuple[str, str], list[EarningLine]] = defaultdict(list)
    for line in lines:
        grouped[(line.group_id, line.currency)].append(line)
    return [
        GroupPayroll(group_id=g, group_name=ref.group(g).name, currency=c, lines=ls)
        for (g, c), ls in sorted(grouped.items())
    ]
