"""Capacity bookings seen from the rest of the pipeline: the catalog's dates, rework rounds, early finishes.

On the fakes; plans racing in threads on DynamoDB are tests/integration/test_bookings.py's."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from telar import orders
from telar.capacity import CapacityLedger, week_of
from telar.models import Buyer
from telar.ports import Ports
from telar.stages.await_qc import await_qc
from telar.stages.qc_upload import accept_qc_upload
from telar.stages.rework import start_rework
from telar.stages.split_work import split_work
from tests.factories import CUSCO, fill_qc_template, make_group, make_order_request, make_reference
from tests.fakes import MemoryAssignments

SCARF_MINUTES = 240

BUYER = Buyer(buyer_id="buyer-capacity", name="Capacity Buyer", email="capacity@example.org")


@pytest.fixture
def cusco_only(ports: Ports) -> Ports:
    """Cusco's three makers are the only ones: every order competes for their time."""
    ports.reference.put_reference(make_reference(groups=[make_group(CUSCO)]))
    ports.auth.put_buyer(BUYER, "hash-of-capacity-key")
    return ports


def _planned_order(aws: Ports, scarves: int) -> str:
    request = make_order_request(
        buyer_reference=f"PO-{scarves}",
        requested_ship_date=(datetime.now(UTC).date() + timedelta(days=10)).isoformat(),
        lines=[{"sku": "KNT-SCARF-ALP", "quantity": scarves}],
    )
    order_id = orders.submit_order(aws, BUYER, request).order_id
    split_work(aws, order_id)
    return order_id


def _scarf_date(aws: Ports) -> str:
    items = orders.catalog(aws, datetime.now(UTC).date()).items
    return next(i.earliest_ship_date for i in items if i.sku == "KNT-SCARF-ALP").isoformat()


def test_an_order_booking_the_makers_moves_the_catalog_date_later(cusco_only: Ports) -> None:
    # Given the catalog's date for scarves while Cusco has nothing booked
    before = _scarf_date(cusco_only)
    # When an order of 60 scarves (16 working days of Cusco's time) is planned
    _planned_order(cusco_only, 60)
    # Then the catalog offers scarves only after that work: at least three weeks later
    after = _scarf_date(cusco_only)
    assert datetime.fromisoformat(after) - datetime.fromisoformat(before) >= timedelta(days=21), (before, after)


def _sign_off(aws: Ports, assignment_id: str, rejected: dict[str, int] | None = None) -> str:
    """Upload the assignment's QC template filled in today, every unit passed but ``rejected`` (worker -> units)."""
    await_qc(aws, assignment_id, f"token-{assignment_id}")
    a = aws.assignments.get_assignment(assignment_id)
    assert a is not None and a.qc_template_key
    results = {
        (w, "KNT-SCARF-ALP"): {"Passed": a.lines[0].per_maker[w] - n, "Rejected": n}
        for w, n in (rejected or {}).items()
    }
    filled = fill_qc_template(
        aws.artifacts.get(a.qc_template_key), results, inspected_on=datetime.now(UTC).date(), hours_per_unit=Decimal(1)
    )
    stored = aws.uploads.put(f"qc/{assignment_id}.xlsx", filled, "application/octet-stream")
    assert accept_qc_upload(aws, stored.key, stored.version_id) == "accepted"
    return stored.key


def _minutes_after_this_week(ledger: CapacityLedger) -> int:
    this_week = week_of(datetime.now(UTC).date())
    return sum(m for weeks in ledger.booked.values() for week, m in weeks.items() if week > this_week)


def test_work_signed_off_early_gives_its_later_weeks_back(cusco_only: Ports) -> None:
    aws = cusco_only
    # Given an order of 60 scarves booking Cusco's makers for about four weeks
    order_id = _planned_order(aws, 60)
    (assignment,) = aws.assignments.assignments_of(order_id)
    booked = aws.assignments.capacity_ledgers([CUSCO])[CUSCO]
    assert _minutes_after_this_week(booked) > 0 and assignment.booked
    later_date = _scarf_date(aws)
    # When its QC sheet is signed off today, long before its due date
    _sign_off(aws, assignment.assignment_id)
    # Then the weeks after this one hold none of its minutes, in one new ledger version
    freed = aws.assignments.capacity_ledgers([CUSCO])[CUSCO]
    assert freed.version == booked.version + 1 and _minutes_after_this_week(freed) == 0
    assert freed.booked == {
        w: {week_of(datetime.now(UTC).date()): m}
        for w, weeks in booked.booked.items()
        for week, m in weeks.items()
        if week == week_of(datetime.now(UTC).date())
    }
    # and the catalog offers scarves earlier again
    assert _scarf_date(aws) < later_date


def test_a_rework_round_books_its_makers_time_once(cusco_only: Ports) -> None:
    aws = cusco_only
    # Given an order of 12 scarves signed off with 3 of CUS-01's rejected
    order_id = _planned_order(aws, 12)
    (assignment,) = aws.assignments.assignments_of(order_id)
    _sign_off(aws, assignment.assignment_id, {"CUS-01": 3})
    before = aws.assignments.capacity_ledgers([CUSCO])[CUSCO]
    # When the rework stage runs, and is delivered a second time
    first = start_rework(aws, assignment.assignment_id)
    second = start_rework(aws, assignment.assignment_id)
    # Then the round books CUS-01's three scarves once, on the same ledger later orders are planned on
    assert first == second and first["rework"] is True
    rework = aws.assignments.get_assignment(first["assignment_id"])
    assert rework is not None and set(rework.booked) == {"CUS-01"}
    after = aws.assignments.capacity_ledgers([CUSCO])[CUSCO]
    assert after.version == before.version + 1
    total = lambda ledger: sum(m for weeks in ledger.booked.values() for m in weeks.values())  # noqa: E731
    assert total(after) - total(before) == sum(rework.booked["CUS-01"].values()) == 3 * SCARF_MINUTES
    # and it is due when CUS-01 can have done it, never before the original due date
    assert rework.due_date >= assignment.due_date


def test_freeing_capacity_while_another_order_books_it_keeps_both(
    cusco_only: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = cusco_only
    # Given an order of 60 scarves about to be signed off, and a second order planned just after QC read the ledger
    first = _planned_order(aws, 60)
    (assignment,) = aws.assignments.assignments_of(first)
    read = MemoryAssignments.capacity_ledgers
    second: list[str] = []

    def read_then_race(self: MemoryAssignments, group_ids: Any) -> dict[str, CapacityLedger]:
        ledgers = read(self, group_ids)
        if not second:
            second.append("planning")
            second[0] = _planned_order(aws, 30)
        return ledgers

    monkeypatch.setattr(MemoryAssignments, "capacity_ledgers", read_then_race)
    # When the first order's QC sheet is signed off on the ledger read before the second order booked
    _sign_off(aws, assignment.assignment_id)
    monkeypatch.undo()
    # Then the second order's bookings all stand, and the first's later weeks are free
    (other,) = aws.assignments.assignments_of(second[0])
    ledger = aws.assignments.capacity_ledgers([CUSCO])[CUSCO]
    this_week = week_of(datetime.now(UTC).date())
    later = {(w, week): m for w, weeks in ledger.booked.items() for week, m in weeks.items() if week > this_week}
    expected = {(w, week): m for w, weeks in other.booked.items() for week, m in weeks.items() if week > this_week}
    assert later == expected and expected
