"""Splitting an order among production groups: skill first, then in proportion to weekly capacity.

A deliberately simple first plan (issue 4 replaces it with a makespan-minimising allocation).
"""

import math
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from telar.errors import CapacityExceeded
from telar.models import Assignment, AssignmentLine, Order, ReferenceData


def largest_remainder(total: int, weights: dict[str, Decimal]) -> dict[str, int]:
    """Split ``total`` units in proportion to ``weights`` so the shares are whole and add up exactly."""
    weight_sum = sum(weights.values())
    exact = {k: Decimal(total) * w / weight_sum for k, w in weights.items()}
    shares = {k: int(v) for k, v in exact.items()}
    by_remainder = sorted(exact, key=lambda k: (exact[k] - shares[k], k), reverse=True)
    for k in by_remainder[: total - sum(shares.values())]:
        shares[k] += 1
    return {k: v for k, v in shares.items() if v > 0}


def weekly_capacity_units(ref: ReferenceData, group_id: str, sku: str) -> Decimal:
    """Units of ``sku`` a group can make in a week: skilled maker-minutes / standard minutes per unit."""
    product = ref.product(sku)
    assert product is not None
    group = ref.group(group_id)
    makers = ref.makers_of(group_id, product.skill)
    return len(makers) * group.weekly_hours_per_maker * 60 / product.standard_minutes


def split_order(order: Order, ref: ReferenceData, today: date) -> list[Assignment]:
    """One assignment per group that gets work, with a suggested quantity per maker.

    Raises
    ------
    CapacityExceeded
        if no group has an active maker with the skill a product needs.
    """
    lines_by_group: dict[str, list[AssignmentLine]] = defaultdict(list)
    weeks_by_group: dict[str, Decimal] = defaultdict(Decimal)
    for line in order.lines:
        capacity = {g.group_id: weekly_capacity_units(ref, g.group_id, line.sku) for g in ref.groups}
        capacity = {g: c for g, c in capacity.items() if c > 0}
        if not capacity:
            product = ref.product(line.sku)
            raise CapacityExceeded(f"no group has an active maker skilled in {product.skill if product else '?'}")
        for group_id, quantity in largest_remainder(line.quantity, capacity).items():
            product = ref.product(line.sku)
            assert product is not None
            makers = ref.makers_of(group_id, product.skill)
            per_maker = largest_remainder(quantity, {m.worker_id: Decimal(1) for m in makers})
            lines_by_group[group_id].append(
                AssignmentLine(
                    sku=line.sku, quantity=quantity, options=line.options, notes=line.notes, per_maker=per_maker
                )
            )
            weeks_by_group[group_id] += quantity / capacity[group_id]
    return [
        Assignment(
            assignment_id=f"{order.order_id}-{group_id}",
            order_id=order.order_id,
            group_id=group_id,
            due_date=max(
                order.requested_ship_date - timedelta(days=7),
                today + timedelta(weeks=math.ceil(weeks_by_group[group_id])),
            ),
            lines=lines,
        )
        for group_id, lines in sorted(lines_by_group.items())
    ]
