"""Rework rounds: rejected units go back to the makers who made them."""

from datetime import date
from decimal import Decimal

from telar.models import Assignment, AssignmentLine, QcRow
from telar.rework import plan_rework


def _signed_off(rows: list[tuple[str, str, int, int]], **overrides: object) -> Assignment:
    fields: dict = {
        "assignment_id": "ord-1-pe-cusco",
        "order_id": "ord-1",
        "group_id": "pe-cusco",
        "due_date": date(2027, 1, 1),
        "lines": [
            AssignmentLine(
                sku="KNT", quantity=8, options={"colour": "grey"}, notes="alpaca", per_maker={"A": 4, "B": 4}
            )
        ],
        "qc_rows": [
            QcRow(worker_id=w, sku=s, planned=p + r, produced=p + r, passed=p, rejected=r, hours_worked=Decimal(8))
            for w, s, p, r in rows
        ],
    }
    return Assignment(**{**fields, **overrides})


def test_rejected_units_go_back_to_their_makers_in_the_next_round() -> None:
    # Given a sheet where A had 1 reject and B 2
    rework = plan_rework(_signed_off([("A", "KNT", 3, 1), ("B", "KNT", 2, 2)]))
    # Then round 1 asks A for 1 and B for 2, keeping the line's options
    assert rework is not None
    assert rework.assignment_id == "ord-1-pe-cusco-rework1" and rework.rework_round == 1
    assert rework.rework_of == "ord-1-pe-cusco"
    [line] = rework.lines
    assert (line.quantity, line.per_maker, line.options) == (3, {"A": 1, "B": 2}, {"colour": "grey"})


def test_a_second_round_counts_from_the_original_assignment() -> None:
    first = _signed_off(
        [("A", "KNT", 0, 1)], assignment_id="ord-1-pe-cusco-rework1", rework_of="ord-1-pe-cusco", rework_round=1
    )
    second = plan_rework(first)
    assert second is not None and second.assignment_id == "ord-1-pe-cusco-rework2" and second.rework_round == 2


def test_no_rejects_no_rework() -> None:
    assert plan_rework(_signed_off([("A", "KNT", 4, 0), ("B", "KNT", 4, 0)])) is None
