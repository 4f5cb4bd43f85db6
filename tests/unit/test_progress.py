"""Group stages that follow the work (issue 16): planned, in production until the window closes, awaiting QC,
rework n, done; as the buyer reads them in GET /orders/{id}."""

from datetime import UTC, date, datetime, time, timedelta, tzinfo

import pytest

from telar import orders
from telar.models import AssignmentStatus
from telar.ports import Ports
from telar.progress import GroupStage, group_stage, work_starts
from telar.stages.await_qc import await_qc
from telar.stages.qc_upload import accept_qc_upload
from telar.stages.rework import start_rework
from tests.factories import make_assignment
from tests.pipeline import BUYER, every_row, plan_sample_order, upload_filled

MONDAY = date(2027, 1, 4)
DUE = date(2027, 1, 22)
BOOKED = {"CUS-01": {"2027-01-11": 600, "2027-01-04": 300}, "CUS-02": {"2027-01-18": 120}}


@pytest.mark.parametrize(
    ("today", "stage"),
    [
        (MONDAY - timedelta(days=1), GroupStage.PLANNED),  # before the first booked week
        (MONDAY, GroupStage.IN_PRODUCTION),
        (DUE, GroupStage.IN_PRODUCTION),  # the window closes at the end of its due date
        (DUE + timedelta(days=1), GroupStage.AWAITING_QC),
        (DUE + timedelta(days=30), GroupStage.AWAITING_QC),
    ],
)
def test_a_first_round_is_planned_then_in_production_until_its_due_date_then_awaits_qc(
    today: date, stage: GroupStage
) -> None:
    # whether the execution waits for the sheet yet is internal: it changes nothing the buyer reads
    for status in (AssignmentStatus.PLANNED, AssignmentStatus.AWAITING_QC):
        a = make_assignment(due_date=DUE, booked=BOOKED, status=status)
        assert group_stage(a, today) is stage


def test_signed_off_is_done_cancelled_is_cancelled_and_a_rework_round_is_rework_until_signed_off() -> None:
    assert group_stage(make_assignment(due_date=DUE, status=AssignmentStatus.QC_DONE), MONDAY) is GroupStage.DONE
    assert group_stage(make_assignment(status=AssignmentStatus.CANCELLED), MONDAY) is GroupStage.CANCELLED
    rework = make_assignment(due_date=DUE, booked=BOOKED, rework_round=2)
    assert group_stage(rework, MONDAY - timedelta(days=7)) is GroupStage.REWORK
    assert group_stage(rework, DUE + timedelta(days=3)) is GroupStage.REWORK
    signed = rework.model_copy(update={"status": AssignmentStatus.QC_DONE})
    assert group_stage(signed, DUE + timedelta(days=3)) is GroupStage.DONE


def test_work_starts_on_the_first_booked_week_or_at_once_when_nothing_was_booked() -> None:
    assert work_starts(make_assignment(booked=BOOKED)) == MONDAY
    assert group_stage(make_assignment(due_date=DUE), MONDAY - timedelta(days=60)) is GroupStage.IN_PRODUCTION


def _on(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    """The API reads the order at noon UTC on ``day``."""

    class _Then(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> "_Then":
            return cls.combine(day, time(12), UTC).astimezone(tz)

    monkeypatch.setattr("telar.orders.datetime", _Then)


def test_the_buyer_reads_planned_then_in_production_then_done_and_rework_1_through_a_rework_round(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an order just planned
    order_id, assignment_ids = plan_sample_order(ports)
    starts = {a.group_id: work_starts(a) for a in ports.assignments.assignments_of(order_id)}
    assert all(starts.values())
    # Then each group is planned the day before its makers' booked time begins, in production from that day
    for group_id, first_day in starts.items():
        assert first_day is not None
        _on(monkeypatch, first_day - timedelta(days=1))
        stages = {g.group_id: g.stage for g in orders.get_order(ports, BUYER, order_id).groups}
        assert stages[group_id] is GroupStage.PLANNED
    _on(monkeypatch, max(d for d in starts.values() if d))
    view = orders.get_order(ports, BUYER, order_id)
    assert {g.stage for g in view.groups} == {GroupStage.IN_PRODUCTION}
    # even once its executions wait for the QC sheets (internal)
    for i, a in enumerate(assignment_ids):
        await_qc(ports, a, f"token-{i}")
    assert {g.stage for g in orders.get_order(ports, BUYER, order_id).groups} == {GroupStage.IN_PRODUCTION}
    # When the first group's sheet is signed off with rejects and a rework round starts
    key, version = upload_filled(ports, assignment_ids[0], every_row(rejected_every=2), "with rejects.xlsx")
    assert accept_qc_upload(ports, key, version) == "accepted"
    rework_id = start_rework(ports, assignment_ids[0])["assignment_id"]
    # Then the buyer reads that group's first round done and its second round as rework 1, the others unchanged
    view = orders.get_order(ports, BUYER, order_id)
    by_round = {(g.group_id, g.rework_round): g.stage for g in view.groups}
    first = ports.assignments.get_assignment(assignment_ids[0])
    assert first is not None and ports.assignments.get_assignment(rework_id) is not None
    assert by_round[(first.group_id, 0)] is GroupStage.DONE
    assert by_round[(first.group_id, 1)] is GroupStage.REWORK
    assert [s for (g, r), s in by_round.items() if g != first.group_id] == [GroupStage.IN_PRODUCTION] * (
        len(assignment_ids) - 1
    )
    # and the timeline has the sign-off and the round, and updated_at moved with them
    assert {f"QC_DONE#{first.group_id}", f"REWORK#{first.group_id}#r1"} <= {
        e.stage + (f"#{e.group_id}" if e.group_id else "") + (f"#r{e.rework_round}" if e.rework_round else "")
        for e in view.timeline
    }
    assert view.updated_at == max(e.at for e in view.timeline)


def test_a_group_past_its_due_date_awaits_qc_in_the_view(ports: Ports, monkeypatch: pytest.MonkeyPatch) -> None:
    order_id, _ = plan_sample_order(ports)
    due = max(a.due_date for a in ports.assignments.assignments_of(order_id))
    _on(monkeypatch, due + timedelta(days=1))
    assert {g.stage for g in orders.get_order(ports, BUYER, order_id).groups} == {GroupStage.AWAITING_QC}
