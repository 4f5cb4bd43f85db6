"""What the office may do for an order that needs a person, and doing it: each action is a domain function that
already exists (the sweeper's start, the compensation that gives bookings back, the papers' e-mail), called here
for one order when a person asks. Every action is safe to ask twice: the second finds it done and changes nothing.

- retry the start of an order whose pipeline did not start (``pipeline_start.retry_start``: the execution is named after
  the order, so a start that did happen meanwhile is not repeated);
- release the bookings of an order whose execution is no longer running (stopped by hand, failed, timed out) but
  whose unfinished work still holds makers' time (``release_order_bookings``: each assignment cancelled once);
- re-send a group's papers (work sheet and QC template) to its manager while its QC sheet is awaited
  (``mail_manager_papers`` under the name of the form that asked: a form submitted twice sends once).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from telar.models import Assignment, AssignmentStatus, Order, OrderStatus
from telar.ports import Ports

NONCE = re.compile(r"^[0-9a-f]{32}$")  # the name of one form as a page showed it (a re-send is sent once per form)
OPEN = (AssignmentStatus.PLANNED, AssignmentStatus.AWAITING_QC)


class Action(StrEnum):
    RETRY_START = "retry-start"
    RELEASE_BOOKINGS = "release-bookings"
    RESEND_PAPERS = "resend-papers"


class Done(StrEnum):
    """The outcome of an action, shown on the order's page after it."""

    STARTED = "started"
    START_FAILED = "start-failed"  # Step Functions refused again: the sweeper keeps trying
    RELEASED = "released"
    NOTHING_TO_RELEASE = "nothing-to-release"
    STILL_RUNNING = "still-running"  # its execution runs: releasing now would pull work from under it
    RESENT = "resent"
    ALREADY = "already"  # the action no longer applies: done before (a second submit), or by the pipeline


@dataclass(frozen=True)
class Offered:
    """The actions an order's page offers, from what the order, its work and its execution are now."""

    retry_start: bool
    release_bookings: bool
    resend: tuple[Assignment, ...]

    @property
    def any(self) -> bool:
        return self.retry_start or self.release_bookings or bool(self.resend)


def holds_bookings(assignments: Iterable[Assignment]) -> bool:
    return any(a.status in OPEN for a in assignments)


def offered(order: Order, assignments: Iterable[Assignment], running: bool) -> Offered:
    work = list(assignments)
    alive = order.status is not OrderStatus.CANCELLED
    return Offered(
        retry_start=order.status is OrderStatus.START_PENDING,
        release_bookings=alive and not running and holds_bookings(work),
        resend=tuple(
            a
            for a in work
            if alive and running and a.status is AssignmentStatus.AWAITING_QC and a.worksheet_key and a.qc_template_key
        ),
    )


def perform(ports: Ports, order: Order, action: Action, *, assignment_id: str = "", nonce: str = "") -> Done:
    """Do ``action`` for ``order`` if it still applies (what the page offered may have changed since it was shown).

    ``nonce`` names the form a re-send came from (``NONCE``); ``assignment_id`` the work whose papers to re-send.
    """
    # late: an action is rare, and the intake, planner and papers it calls are ~7 ms of a console cold start
    from telar.pipeline_start import retry_start
    from telar.stages.order_status import release_order_bookings
    from telar.stages.papers import mail_manager_papers

    assignments = ports.assignments.assignments_of(order.order_id)
    running = ports.workflow.is_running(order.order_id)
    now = offered(order, assignments, running)
    if action is Action.RETRY_START:
        if not now.retry_start:
            return Done.ALREADY
        return Done.STARTED if retry_start(ports, order) else Done.START_FAILED
    if action is Action.RELEASE_BOOKINGS:
        if running and holds_bookings(assignments):
            return Done.STILL_RUNNING
        if not now.release_bookings:
            return Done.NOTHING_TO_RELEASE
        return Done.RELEASED if release_order_bookings(ports, order.order_id) else Done.NOTHING_TO_RELEASE
    assignment = next((a for a in now.resend if a.assignment_id == assignment_id), None)
    if assignment is None or not NONCE.match(nonce):
        return Done.ALREADY
    ref = ports.reference.load_reference()  # the manager of now: the one to whom it is re-sent
    mail_manager_papers(ports, assignment, order.buyer_reference, ref, resend=nonce)
    return Done.RESENT
