"""Capacity bookings in DynamoDB (moto): concurrent plans never over-book a group; a late plan says so."""

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient

from telar import orders
from telar.adapters.dynamo.assignments import DynamoAssignments
from telar.adapters.mail import OutgoingMail
from telar.capacity import CapacityLedger, PlanWrite, add_bookings
from telar.errors import ConditionFailed, OrderRejected
from telar.models import Buyer, OrderRequest
from telar.ports import Ports
from telar.stages.split_work import split_work
from tests.capacity_checks import booked_total, over_booked
from tests.factories import CHIANG_MAI, CUSCO, make_group, make_order_request, make_reference

BUYER = Buyer(buyer_id="buyer-race", name="Race Buyer", email="race@example.org")
SCARF_MINUTES = 240


def _request(scarves: int, ship_in_days: int, accept_later_date: bool = True) -> OrderRequest:
    return make_order_request(
        buyer_reference=f"PO-{scarves}",
        requested_ship_date=(datetime.now(UTC).date() + timedelta(days=ship_in_days)).isoformat(),
        lines=[{"sku": "KNT-SCARF-ALP", "quantity": scarves, "options": {"colour": "natural"}}],
        accept_later_date=accept_later_date,
    )


def _submit(aws: Ports, scarves: int, ship_in_days: int) -> str:
    return orders.submit_order(aws, BUYER, _request(scarves, ship_in_days)).order_id


def s3_keys(storage: Any, prefix: str) -> set[str]:
    reply = boto3.client("s3").list_objects_v2(Bucket=storage.bucket, Prefix=prefix)
    return {o["Key"] for o in reply.get("Contents", [])}


@pytest.fixture
def cusco_only(aws: Ports) -> Ports:
    """Cusco's three makers are the only knitters: every scarf competes for their time."""
    aws.reference.put_reference(make_reference(groups=[make_group(CUSCO)]))
    aws.auth.put_buyer(BUYER, "hash-of-race-key")
    return aws


def _race(aws: Ports, monkeypatch: pytest.MonkeyPatch, order_ids: tuple[str, str]) -> tuple[dict[str, Any], int]:
    """Plan both orders in two threads that both read the ledgers before either stores its plan.

    Returns each order's result (assignment ids, or the exception) and how many times ledgers were read.
    """
    both_read = threading.Barrier(2, timeout=20)
    read = DynamoAssignments.capacity_ledgers
    calls: list[str] = []

    def racing_read(self: DynamoAssignments, group_ids: Any) -> dict[str, CapacityLedger]:
        ledgers = read(self, group_ids)
        calls.append(threading.current_thread().name)
        if calls.count(threading.current_thread().name) == 1:
            both_read.wait()
        return ledgers

    # moto is not thread-safe (a Query iterates a table another thread inserts into): its calls take turns,
    # as DynamoDB serialises conflicting transactions; the interleaving that matters is the one above
    one_call_at_a_time = threading.Lock()
    make_api_call = BaseClient._make_api_call

    def serialised(self: BaseClient, operation: str, params: Any) -> Any:
        with one_call_at_a_time:
            return make_api_call(self, operation, params)

    results: dict[str, Any] = {}

    def plan(order_id: str) -> None:
        try:
            results[order_id] = split_work(aws, order_id)
        except BaseException as e:  # reported by the caller: a thread's exception would be lost
            results[order_id] = e

    with monkeypatch.context() as patched:
        patched.setattr(DynamoAssignments, "capacity_ledgers", racing_read)
        patched.setattr(BaseClient, "_make_api_call", serialised)
        threads = [threading.Thread(target=plan, args=(o,), name=o) for o in order_ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    return results, len(calls)


def test_two_orders_racing_for_the_same_makers_never_over_book_them(
    cusco_only: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = cusco_only
    # Given two orders of 60 scarves (16 days of Cusco's time each)
    first, second = _submit(aws, 60, 20), _submit(aws, 60, 20)
    # When both are planned at the same moment
    results, reads = _race(aws, monkeypatch, (first, second))

    # Then both orders are planned, one of them on a second read of the ledger
    assert all(isinstance(r, list) and r for r in results.values()), results
    assert set(results) == {first, second} and reads == 3
    # and the ledger holds both plans' minutes, never more than a maker has in a week
    ledger = aws.assignments.capacity_ledgers([CUSCO])[CUSCO]
    assert ledger.version == 2
    assert not over_booked(aws.reference.load_reference(), {CUSCO: ledger}, datetime.now(UTC).date())
    assert 2 * 60 * SCARF_MINUTES <= booked_total(ledger) < 2 * 60 * SCARF_MINUTES + 3 * 10
    # and the order that lost the race queued behind the other: it finishes about 16 days later
    due = sorted(max(a.due_date for a in aws.assignments.assignments_of(o)) for o in (first, second))
    assert due[1] - due[0] >= timedelta(days=14)


def test_the_order_that_loses_the_race_is_planned_elsewhere_and_leaves_no_stale_papers(
    aws: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Cusco and Chiang Mai, and two orders of 9 scarves (too few to split), each best made in Chiang Mai
    aws.reference.put_reference(make_reference())
    aws.auth.put_buyer(BUYER, "hash-of-race-key")
    first, second = _submit(aws, 9, 60), _submit(aws, 9, 60)
    # When both are planned at the same moment
    results, reads = _race(aws, monkeypatch, (first, second))
    # Then one gets Chiang Mai and the one planned again gets Cusco
    assert all(isinstance(r, list) and len(r) == 1 for r in results.values()), results
    groups = sorted(a.group_id for o in (first, second) for a in aws.assignments.assignments_of(o))
    assert groups == [CUSCO, CHIANG_MAI] and reads == 3
    # and the only papers in S3 are those of the stored plans: the attempt that lost wrote none
    for o in (first, second):
        keys = {k for a in aws.assignments.assignments_of(o) for k in (a.worksheet_key, a.qc_template_key)}
        assert s3_keys(aws.artifacts, f"orders/{o}/") == keys


def test_a_plan_on_a_ledger_that_changed_is_refused(cusco_only: Ports) -> None:
    aws = cusco_only
    # Given a ledger read at version 0, then booked by someone else
    order_id = _submit(aws, 10, 120)
    stale = aws.assignments.capacity_ledgers([CUSCO])[CUSCO]
    today = datetime.now(UTC).date()
    other = _submit(aws, 10, 120)
    aws.assignments.create_assignments(
        PlanWrite(other, [], ledgers=[add_bookings(stale, {"CUS-01": {"2030-01-07": 60}}, today)])
    )
    # When a plan computed from the stale ledger is stored
    # Then the transaction is refused and nothing of it is stored
    with pytest.raises(ConditionFailed):
        stale_plan = [add_bookings(stale, {"CUS-02": {"2030-01-07": 60}}, today)]
        aws.assignments.create_assignments(PlanWrite(order_id, [], ledgers=stale_plan))
    order = aws.orders.get_order(order_id)
    assert order is not None and order.assignment_ids == [] and order.status.value != "IN_PRODUCTION"
    assert "CUS-02" not in aws.assignments.capacity_ledgers([CUSCO])[CUSCO].booked


def test_a_date_the_workshops_cannot_meet_is_refused_with_the_earliest_and_that_date_is_kept_once_accepted(
    cusco_only: Ports,
) -> None:
    aws = cusco_only
    # Given 150 scarves (40 days of Cusco's time) wanted in 15 days, When they are ordered as they are
    with pytest.raises(OrderRejected) as refused:
        orders.submit_order(aws, BUYER, _request(150, 15, accept_later_date=False))
    # Then the order is refused naming requested_ship_date, with the earliest date it could ship, and nothing stored
    earliest = refused.value.earliest_ship_date
    assert earliest is not None and earliest > datetime.now(UTC).date() + timedelta(days=15 + 30)
    assert [p["field"] for p in refused.value.problems] == ["requested_ship_date"]
    assert earliest.isoformat() in refused.value.problems[0]["message"]
    assert orders.list_orders(aws, BUYER, 10, None).orders == []
    # When the buyer accepts a later date, Then the reply commits to that earliest date
    view = orders.submit_order(aws, BUYER, _request(150, 15))
    assert view.committed_ship_date == earliest == view.expected_ship_date
    # and the plan aims for it: it ships that day, with no "capacity is short" note, every scarf planned
    split_work(aws, view.order_id)
    planned = orders.get_order(aws, BUYER, view.order_id)
    assert planned.expected_ship_date == earliest and planned.status_reason is None
    assert sum(a.planned_units for a in aws.assignments.assignments_of(view.order_id)) == 150


def test_an_order_whose_committed_date_was_taken_meanwhile_shows_its_later_date_and_why(cusco_only: Ports) -> None:
    aws = cusco_only
    # Given two orders for 60 scarves each, both accepted on the same free makers (so both committed early)
    first, second = _submit(aws, 60, 20), _submit(aws, 60, 20)
    committed = orders.get_order(aws, BUYER, second).committed_ship_date
    # When both are planned, one after the other
    split_work(aws, first)
    split_work(aws, second)
    # Then the second ships later than committed, and its buyer reads why, in the order and in the list
    view = orders.get_order(aws, BUYER, second)
    assert view.expected_ship_date > committed
    assert view.status_reason and "capacity is short" in view.status_reason and "committed" in view.status_reason
    assert view.expected_ship_date.isoformat() in view.status_reason
    listed = orders.list_orders(aws, BUYER, 10, None).orders
    assert next(o for o in listed if o.order_id == second).expected_ship_date == view.expected_ship_date


def test_a_retry_after_the_plan_was_stored_sends_the_papers_it_had_not_sent(
    cusco_only: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = cusco_only
    # Given a plan stored, and then SES failing before the manager's e-mail went out
    order_id = _submit(aws, 30, 120)
    sent: list[str] = []

    def throttled(mail: OutgoingMail) -> str:
        raise RuntimeError("SES throttled")

    monkeypatch.setattr(aws.mailer, "send", throttled)
    with pytest.raises(RuntimeError, match="SES"):
        split_work(aws, order_id)
    planned = aws.orders.get_order(order_id)
    assert planned is not None and planned.assignment_ids
    booked = aws.assignments.capacity_ledgers([CUSCO])[CUSCO]
    # When Step Functions retries the stage, twice
    monkeypatch.setattr(aws.mailer, "send", lambda mail: sent.append(mail.subject) or "id")
    assert split_work(aws, order_id) == planned.assignment_ids
    assert split_work(aws, order_id) == planned.assignment_ids
    # Then the manager gets her papers once (and the buyer her confirmation once), nothing planned or booked again
    papers = [subject for subject in sent if "confirm" not in subject]
    assert len(papers) == 1 and "PO-30" in papers[0] and len(sent) == 2
    assert aws.assignments.capacity_ledgers([CUSCO])[CUSCO] == booked
