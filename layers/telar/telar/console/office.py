"""The office's view of production: every order with its stage per group, and the orders that need a person.

Orders are read per buyer of the reference data in force (the newest first, ``ORDERS_PER_BUYER`` each: the order
store's own index, no scan); each running order's assignments give its stage per group.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from telar.console.actions import holds_bookings
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
    held: bool = False  # its execution ended (stopped by hand, failed, timed out) while its work holds bookings

    @property
    def start_failed(self) -> bool:
        """Its pipeline could not be started (the sweeper retries; the office may retry now)."""
        return self.order.status == OrderStatus.START_PENDING

    @property
    def needs_attention(self) -> bool:
        return (
            self.order.status == OrderStatus.NEEDS_ATTENTION
            or self.start_failed
            or self.held
            or any(g.attention for g in self.groups)
        )

    @property
    def reason(self) -> str:
        """The staff-side reason: the internal detail first, then what the buyer was told, then a flagged group's."""
        flagged = next((g.attention for g in self.groups if g.attention), None)
        return self.order.attention_detail or self.order.status_reason or flagged or ""


def order_row(order: Order, assignments: Iterable[Assignment], execution_ended: bool = False) -> OrderRow:
    """The order with its groups' stages; ``execution_ended``: its execution is among those that ended abnormally."""
    work = list(assignments)
    latest: dict[str, Assignment] = {}
    for a in sorted(work, key=lambda a: (a.group_id, a.rework_round)):
        latest[a.group_id] = a  # a group's latest QC round is its stage
    groups = tuple(
        GroupStage(a.assignment_id, a.group_id, a.status.value, a.rework_round, a.attention) for a in latest.values()
    )
    held = execution_ended and order.status != OrderStatus.CANCELLED and holds_bookings(work)
    return OrderRow(order, groups, held)


def office_rows(rows: Iterable[OrderRow]) -> tuple[list[OrderRow], list[OrderRow]]:
    """(the orders needing attention, the others), each the newest first."""
    ordered = sorted(rows, key=lambda r: r.order.created_at, reverse=True)
    return [r for r in ordered if r.needs_attention], [r for r in ordered if not r.needs_attention]
