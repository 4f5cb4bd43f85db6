"""The office's view of production: every order with its stage per group, and the orders that need a person.

Orders are read per buyer of the reference data in force (the newest first, ``ORDERS_PER_BUYER`` each: the order
store's own index, no scan); each running order's assignments give its stage per group.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from telar.models import Assignment, Order, OrderStatus

ORDERS_PER_BUYER = 50


@dataclass(frozen=True)
class GroupStage:
    assignment_id: str
    group_id: str
    stage: str
    rework_round: int
    attention: str | None


@dataclass(frozen=True)
class OrderRow:
    order: Order
    groups: tuple[GroupStage, ...]

    @property
    def needs_attention(self) -> bool:
        return self.order.status == OrderStatus.NEEDS_ATTENTION or any(g.attention for g in self.groups)

    @property
    def reason(self) -> str:
        """The staff-side reason: the internal detail first, then what the buyer was told, then a flagged group's."""
        flagged = next((g.attention for g in self.groups if g.attention), None)
        return self.order.attention_detail or self.order.status_reason or flagged or ""


def order_row(order: Order, assignments: Iterable[Assignment]) -> OrderRow:
    latest: dict[str, Assignment] = {}
    for a in sorted(assignments, key=lambda a: (a.group_id, a.rework_round)):
        latest[a.group_id] = a  # a group's latest QC round is its stage
    groups = tuple(
        GroupStage(a.assignment_id, a.group_id, a.status.value, a.rework_round, a.attention) for a in latest.values()
    )
    return OrderRow(order, groups)


def office_rows(rows: Iterable[OrderRow]) -> tuple[list[OrderRow], list[OrderRow]]:
    """(the orders needing attention, the others), each the newest first."""
    ordered = sorted(rows, key=lambda r: r.order.created_at, reverse=True)
    return [r for r in ordered if r.needs_attention], [r for r in ordered if not r.needs_attention]
