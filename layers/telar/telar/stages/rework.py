"""Rework: after a QC sign-off with rejects, send the rejected units back for another round, or flag them."""

from typing import Any

from telar.observability import logger
from telar.ports import Ports
from telar.rework import plan_rework
from telar.stages import order_reference
from telar.stages.split_work import mail_manager_papers, write_papers


def start_rework(ports: Ports, assignment_id: str) -> dict[str, Any]:
    """The next QC round for ``assignment_id``'s rejected units.

    Returns ``{"rework": True, "assignment_id": <round id>}`` when a round starts (the state machine waits
    for its QC sheet), or ``{"rework": False, "assignment_id": assignment_id}`` when nothing is left to
    rework or the rounds are used up; then the assignment is flagged and the order ends NEEDS_ATTENTION.
    """
    signed_off = ports.repo.get_assignment(assignment_id)
    assert signed_off is not None, f"assignment {assignment_id} does not exist"
    rework = plan_rework(signed_off)
    if rework is None:
        return {"rework": False, "assignment_id": assignment_id}
    if rework.rework_round > ports.settings.max_rework_rounds:
        reason = (
            f"{signed_off.units_rejected} unit(s) still rejected after {signed_off.rework_round} rework round(s) "
            f"of {signed_off.rework_of or signed_off.assignment_id}"
        )
        ports.repo.flag_assignment(assignment_id, reason)
        logger.warning("rework rounds used up", assignment_id=assignment_id, reason=reason)
        return {"rework": False, "assignment_id": assignment_id}
    order = ports.repo.get_order(signed_off.order_id)
    assert order is not None
    ref = order_reference(ports, order)  # the catalog as planned; the manager as now
    rework = write_papers(ports, order, rework, ref)
    if ports.repo.create_rework(rework):
        logger.info("rework round started", assignment_id=rework.assignment_id, units=rework.planned_units)
    mail_manager_papers(ports, rework, order.buyer_reference, ref)  # once per round, whoever stored it
    return {"rework": True, "assignment_id": rework.assignment_id}
