"""The pipeline's outcome on the order: READY_TO_SHIP, or NEEDS_ATTENTION with the reason."""

from typing import Any

from telar.models import OrderStatus
from telar.ports import Ports
from telar.stages import cards_key


def record_outcome(ports: Ports, order_id: str, outcome: str, error: dict[str, Any] | None = None) -> str:
    status = OrderStatus(outcome)
    fields: dict[str, Any] = {"status": status.value}
    assignments = ports.repo.assignments_of(order_id)
    fields["units_passed"] = sum(a.units_passed for a in assignments)
    if error:
        fields["status_reason"] = f"{error.get('Error', 'Error')}: {str(error.get('Cause', ''))[:500]}"
    if status is OrderStatus.READY_TO_SHIP:
        fields["artifacts"] = {"cards": cards_key(order_id), "payroll": f"payroll/{order_id}/"}
        if flagged := [a.attention for a in assignments if a.attention]:  # rework rounds used up
            status = OrderStatus.NEEDS_ATTENTION
            fields |= {"status": status.value, "status_reason": "; ".join(flagged)}
    ports.repo.update_order(order_id, **fields)
    ports.repo.record_timeline(order_id, status.value, detail=fields.get("status_reason"))
    return status.value
