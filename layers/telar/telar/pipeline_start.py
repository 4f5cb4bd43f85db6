"""Starting an order's pipeline: at intake, and again for an order whose start failed or was never confirmed
(the start sweeper, every few minutes, and the office's "retry" in the console). Apart from telar.orders so the
sweeper loads only this at its cold start."""

from datetime import datetime, timedelta

from telar.models import Order, OrderStatus
from telar.observability import logger
from telar.ports import Ports

START_SWEEP_GRACE = timedelta(minutes=2)  # an intake still running may yet start its own order


def start_pipeline(ports: Ports, order: Order) -> bool:
    """Start the order's execution (named after the order, so a repeat is harmless); False if it failed."""
    try:
        ports.workflow.start_order(order.order_id)
    except Exception:  # any failure: the order is kept and the sweeper retries it
        logger.exception("pipeline start failed; the order is kept for a retry", order_id=order.order_id)
        ports.orders.update_order(order.order_id, status=OrderStatus.START_PENDING.value)
        return False
    ports.orders.clear_start_pending(order)
    return True


def sweep_start_pending(ports: Ports, now: datetime) -> list[str]:
    """Start every order stored a while ago whose start was not confirmed; returns the ones started now."""
    return [
        o.order_id for o in ports.orders.start_pending_orders(before=now - START_SWEEP_GRACE) if retry_start(ports, o)
    ]


def retry_start(ports: Ports, order: Order) -> bool:
    """Start the pipeline of an order whose start was not confirmed (the sweeper's step, and the office's "retry"
    in the console); True if it runs now. Harmless to repeat: the execution is named after the order, and a
    cancelled order is never started (its marker is only cleared)."""
    if order.status is OrderStatus.CANCELLED:  # its buyer cancelled it before it started: never start it
        ports.orders.clear_start_pending(order)
        return False
    if order.status is OrderStatus.START_PENDING:
        ports.orders.update_order(order.order_id, status=OrderStatus.RECEIVED.value)
    return start_pipeline(ports, order)
