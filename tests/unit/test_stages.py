"""The pipeline's stages on the in-memory ports (tests/fakes.py): one order from intake to cards, each stage run
twice. The store's behaviour under them is the contract tests' (tests/integration/test_store_contract.py)."""

import dataclasses
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from local.manager import RowResult
from telar import orders, pipeline_start
from telar.adapters.dynamo import keys
from telar.errors import AssignmentNotFound, ConditionFailed, OrderNotFound
from telar.messages import CELL_NOTE
from telar.models import AssignmentStatus, OrderStatus
from telar.ports import Ports
from telar.rendering import MAIL_TEXTS, translator
from telar.stages.await_qc import await_qc
from telar.stages.insert_cards import make_cards
from telar.stages.order_status import record_outcome, rework_used_up
from telar.stages.payroll import run_payroll
from telar.stages.qc_reminders import QC_TIMEOUT, send_qc_reminders
from telar.stages.qc_upload import accept_qc_upload
from telar.stages.rework import start_rework
from telar.stages.split_work import split_work
from tests.conftest import ROOT, import_sample_reference
from tests.fakes import CONSOLE_URL, MemoryAssignments, MemoryOrders, RecordingWorkflow, sent_mails
from tests.pipeline import BUYER, every_row, order_request, plan_sample_order, upload_filled


@pytest.fixture
def planned_order(ports: Ports) -> tuple[str, list[str]]:
    return plan_sample_order(ports)


def test_split_work_plans_once_writes_papers_and_mails_each_manager_once(
    ports: Ports, planned_order: tuple[str, list[str]]
) -> None:
    # Given an order that was split once
    order_id, assignment_ids = planned_order
    mails_after_first = len(sent_mails(ports))
    # When the stage is delivered again
    again = split_work(ports, order_id)
    # Then the same plan stands, its papers exist, and no manager (nor the buyer) is mailed twice
    assert again == assignment_ids and len(assignment_ids) >= 2
    assert len(sent_mails(ports)) == mails_after_first == len(assignment_ids) + 1  # the buyer's confirmation
    # And each manager's papers link her assignment's page on the console
    linked = {a for a in assignment_ids for m in sent_mails(ports) if f"{CONSOLE_URL}/assignments/{a}\n" in m.text}
    assert linked == set(assignment_ids)
    order = ports.orders.get_order(order_id)
    assert order is not None and order.status == OrderStatus.IN_PRODUCTION
    ordered = {line.sku: line.quantity for line in order.lines}
    planned: dict[str, int] = {}
    for a in ports.assignments.assignments_of(order_id):
        assert load_workbook(io.BytesIO(ports.artifacts.get(a.worksheet_key)))  # opens
        assert load_workbook(io.BytesIO(ports.artifacts.get(a.qc_template_key)))
        for line in a.lines:
            planned[line.sku] = planned.get(line.sku, 0) + line.quantity
            assert sum(line.per_maker.values()) == line.quantity
    assert planned == ordered


def test_qc_sheet_is_recorded_once_and_resumes_the_waiting_task(
    ports: Ports, planned_order: tuple[str, list[str]]
) -> None:
    # Given assignments waiting for QC
    _, assignment_ids = planned_order
    for i, assignment_id in enumerate(assignment_ids):
        await_qc(ports, assignment_id, f"token-{i}")
    # When a filled sheet is uploaded (a name with spaces and accents), then delivered a second time
    key, version = upload_filled(ports, assignment_ids[0], every_row(rejected_every=3), "Cusco – QC sheet ñ.xlsx")
    first = accept_qc_upload(ports, key, version)
    second = accept_qc_upload(ports, key, version)
    # Then it is accepted once, the duplicate changes nothing, and the task is resumed with the totals
    assert (first, second) == ("accepted", "duplicate")
    a = ports.assignments.get_assignment(assignment_ids[0])
    assert a is not None and a.status == AssignmentStatus.QC_DONE and a.qc_upload == f"{key}#{version}"
    assert a.units_passed + a.units_rejected == a.planned_units and a.units_rejected > 0
    token, output = ports.workflow.resumed[0]  # type: ignore[attr-defined]
    assert token == "token-0" and output["units_passed"] == a.units_passed


def test_await_qc_retried_after_the_sheet_was_recorded_resumes_its_new_task_with_the_totals(
    ports: Ports, planned_order: tuple[str, list[str]]
) -> None:
    # Given AwaitQc kept its token, then timed out (Step Functions retries it), and the sheet was recorded between
    _, assignment_ids = planned_order
    await_qc(ports, assignment_ids[0], "token-0")
    key, version = upload_filled(ports, assignment_ids[0], every_row(rejected_every=3), "Cusco QC.xlsx")
    assert accept_qc_upload(ports, key, version) == "accepted"
    # When the retry runs with its new task's token
    await_qc(ports, assignment_ids[0], "token-retry")
    # Then the new task is resumed at once with the recorded totals (the first token's task is gone), and the
    # assignment stays signed off
    a = ports.assignments.get_assignment(assignment_ids[0])
    assert a is not None and a.status == AssignmentStatus.QC_DONE
    token, output = ports.workflow.resumed[-1]  # type: ignore[attr-defined]
    assert token == "token-retry"
    assert (output["units_passed"], output["units_rejected"]) == (a.units_passed, a.units_rejected)
    # And an assignment that is not signed off still refuses a token it cannot keep (a cancelled one)
    ports.assignments.table.assignments[assignment_ids[1]]["status"] = AssignmentStatus.CANCELLED.value  # type: ignore[attr-defined]
    with pytest.raises(ConditionFailed):
        await_qc(ports, assignment_ids[1], "token-late")


def test_invalid_upload_gets_a_report_and_the_assignment_keeps_waiting(
    ports: Ports, planned_order: tuple[str, list[str]]
) -> None:
    # Given an assignment waiting for QC
    _, assignment_ids = planned_order
    await_qc(ports, assignment_ids[0], "token-0")
    # When something that is not a spreadsheet is uploaded
    stored = ports.uploads.put("qc/notes.xlsx", b"this is not a workbook", "application/octet-stream")
    outcome = accept_qc_upload(ports, stored.key, stored.version_id)
    # Then it is rejected with a report kept beside the upload, the upload is intact, nothing is resumed
    assert outcome == "rejected"
    report = ports.uploads.get(f"qc-reports/notes.xlsx.{stored.version_id}.errors.txt").decode()
    assert "notes.xlsx" in report and "qc/" not in report  # the file's name, never its key
    assert ports.uploads.get("qc/notes.xlsx", stored.version_id) == b"this is not a workbook"
    a = ports.assignments.get_assignment(assignment_ids[0])
    assert a is not None and a.status == AssignmentStatus.AWAITING_QC
    assert ports.workflow.resumed == []  # type: ignore[attr-defined]


def _accept_all(ports: Ports, assignment_ids: list[str]) -> None:
    for i, assignment_id in enumerate(assignment_ids):
        await_qc(ports, assignment_id, f"token-{i}")
        key, version = upload_filled(ports, assignment_id, every_row(rejected_every=4), f"{assignment_id}.xlsx")
        assert accept_qc_upload(ports, key, version) == "accepted"


def test_payroll_pays_each_maker_once_and_the_file_totals_match(
    ports: Ports, planned_order: tuple[str, list[str]]
) -> None:
    # Given an order whose QC is signed off everywhere
    order_id, assignment_ids = planned_order
    _accept_all(ports, assignment_ids)
    # When the payroll stage runs twice (a retry)
    before = len(sent_mails(ports))
    keys = run_payroll(ports, order_id)
    assert run_payroll(ports, order_id) == keys
    # Then earnings are recorded once, finance is not mailed (the stack's default: the period's e-mail is the
    # one to pay from), and each file's total is the sum of its lines
    earnings = ports.earnings.earnings_of(order_id)
    assert len(sent_mails(ports)) == before
    assert len(earnings) == sum(len(a.qc_rows) for a in ports.assignments.assignments_of(order_id)) > 0
    assert len(keys) == len({(e.group_id, e.currency) for e in earnings})  # a file per group and currency
    assert all(e.total >= e.minimum_for_hours for e in earnings)
    for key in keys:
        book = load_workbook(io.BytesIO(ports.artifacts.get(key)), data_only=True)
        numbers = [c for row in book["Summary"].iter_rows(values_only=True) for c in row if isinstance(c, int | float)]
        expected = sum((e.total for e in earnings if f"-{e.group_id}-{e.currency}.xlsx" in key), Decimal(0))
        assert expected > 0
        assert float(expected) in [pytest.approx(n) for n in numbers]


def test_cards_count_equals_passed_units_and_outcome_is_recorded(
    ports: Ports, planned_order: tuple[str, list[str]]
) -> None:
    # Given an order whose QC is signed off everywhere, planned later than asked (capacity was short)
    order_id, assignment_ids = planned_order
    _accept_all(ports, assignment_ids)
    ports.orders.update_order(order_id, status_reason="capacity is short: expected to ship later than requested")
    # When the cards are made and the outcome recorded
    key, count = make_cards(ports, order_id)
    status = record_outcome(ports, order_id, "READY_TO_SHIP")
    # Then there is one card per passed unit and the order is ready with its units and artifacts
    passed = sum(a.units_passed for a in ports.assignments.assignments_of(order_id))
    assert count == passed > 0
    assert "<html" in ports.artifacts.get(key).decode().lower()
    order = ports.orders.get_order(order_id)
    assert order is not None and status == "READY_TO_SHIP" and order.units_passed == passed
    assert order.artifacts["cards"] == key
    assert order.status_reason is None  # the late-date note no longer applies once it is ready
    # and the buyer is given links to her cards and packing list (never a key, never the internal payroll)
    view = orders.get_order(ports, BUYER, order_id)
    assert set(view.artifacts) == {"cards", "packing_list"}
    assert all(
        link.url.startswith("https://") and link.expires_at > order.updated_at for link in view.artifacts.values()
    )
    packing = ports.artifacts.get(order.artifacts["packing_list"]).decode()
    assert order.buyer_reference in packing and f">{passed}<" in packing


def test_a_failed_stage_marks_the_order_needs_attention_with_the_reason(
    ports: Ports, planned_order: tuple[str, list[str]]
) -> None:
    order_id, _ = planned_order
    record_outcome(ports, order_id, "NEEDS_ATTENTION", {"Error": "CapacityExceeded", "Cause": "no knitters"})
    order = ports.orders.get_order(order_id)
    assert order is not None and order.status == OrderStatus.NEEDS_ATTENTION
    assert order.status_reason is not None and order.status_reason.startswith("We cannot plan this order")
    assert order.attention_detail == "CapacityExceeded: no knitters"


def test_a_sheet_with_bad_cells_gets_an_annotated_copy_and_the_manager_is_told(
    ports: Ports, planned_order: tuple[str, list[str]]
) -> None:
    # Given an assignment waiting for QC and a sheet where a maker passed more than she produced
    _, assignment_ids = planned_order
    await_qc(ports, assignment_ids[0], "token-0")

    def too_many(worker_id: str, sku: str, planned: int) -> RowResult:
        return RowResult(produced=planned, rejected=-1, defect_codes="", hours_worked=Decimal(2))

    key, version = upload_filled(ports, assignment_ids[0], too_many, "bad counts.xlsx")
    mails_before = len(sent_mails(ports))
    # When it is handled
    outcome = accept_qc_upload(ports, key, version)
    # Then it is rejected, the copy marks the bad cells with comments in her language, and she gets both reports
    assert outcome == "rejected"
    group = ports.reference.load_reference().group(ports.assignments.get_assignment(assignment_ids[0]).group_id)  # type: ignore[union-attr]
    found = translator(group.language)(CELL_NOTE.english).partition("%(")[0]  # "Se encontró " in Spanish
    assert group.language != "en" and found != "Found "
    report = load_workbook(io.BytesIO(ports.uploads.get(f"qc-reports/bad counts.xlsx.{version}.errors.xlsx")))
    commented = [c for row in report["QC"].iter_rows() for c in row if c.comment]
    assert commented and all(c.comment.text.startswith(found) for c in commented)
    [mail] = sent_mails(ports)[mails_before:]
    assert mail.to == [group.manager_email]
    assert any(a.filename.endswith(".errors.xlsx") for a in mail.attachments)
    assert ports.assignments.get_assignment(assignment_ids[0]).status == AssignmentStatus.AWAITING_QC  # type: ignore[union-attr]


def test_rejects_start_one_rework_round_once_for_the_makers_who_made_them(
    ports: Ports, planned_order: tuple[str, list[str]]
) -> None:
    # Given an assignment signed off with rejects
    _, assignment_ids = planned_order
    await_qc(ports, assignment_ids[0], "token-0")
    key, version = upload_filled(ports, assignment_ids[0], every_row(rejected_every=2), "with rejects.xlsx")
    assert accept_qc_upload(ports, key, version) == "accepted"
    signed_off = ports.assignments.get_assignment(assignment_ids[0])
    assert signed_off is not None and signed_off.units_rejected > 0
    # When the rework stage runs (twice: a redelivery)
    first = start_rework(ports, assignment_ids[0])
    mails = len(sent_mails(ports))
    second = start_rework(ports, assignment_ids[0])
    # Then one round exists, for exactly the rejected units of each maker, with papers sent once
    assert first == second and first["rework"] is True
    rework = ports.assignments.get_assignment(first["assignment_id"])
    assert rework is not None and rework.rework_of == assignment_ids[0] and rework.rework_round == 1
    assert len(sent_mails(ports)) == mails
    rejected = {(r.worker_id, r.sku): r.rejected for r in signed_off.qc_rows if r.rejected}
    assert {(w, line.sku): n for line in rework.lines for w, n in line.per_maker.items()} == rejected
    assert rework.qc_template_key and ports.artifacts.get(rework.qc_template_key)
    # and the buyer's timeline shows the round (once), after the first sign-off of the group
    order = ports.orders.get_order(rework.order_id)
    assert order is not None
    noted = order.timeline[f"REWORK#{rework.group_id}#r1"]
    assert noted.rework_round == 1 and f"{rework.planned_units} unit(s)" in (noted.detail or "")
    assert f"QC_DONE#{rework.group_id}" in order.timeline and order.updated_at >= noted.at


def test_when_rework_rounds_are_used_up_the_order_needs_attention(
    ports: Ports, planned_order: tuple[str, list[str]]
) -> None:
    # Given no rework rounds allowed and an assignment signed off with rejects
    order_id, assignment_ids = planned_order
    no_rounds = replace(ports, settings=ports.settings.model_copy(update={"max_rework_rounds": 0}))
    await_qc(ports, assignment_ids[0], "token-0")
    key, version = upload_filled(ports, assignment_ids[0], every_row(rejected_every=2), "with rejects.xlsx")
    assert accept_qc_upload(ports, key, version) == "accepted"
    # When the rework stage runs, then the pipeline completes
    assert start_rework(no_rounds, assignment_ids[0])["rework"] is False
    status = record_outcome(ports, order_id, "READY_TO_SHIP")
    # Then the order needs attention and tells the buyer why in her words, without an internal id
    order = ports.orders.get_order(order_id)
    assert status == "NEEDS_ATTENTION" and order is not None
    flagged = ports.assignments.get_assignment(assignment_ids[0])
    assert flagged is not None
    assert order.status_reason == (
        f"{flagged.units_rejected} unit(s) did not pass the quality check. Our team will contact you about them."
    )
    assert rework_used_up(3, 2) == (
        "3 unit(s) did not pass the quality check after 2 round(s) of rework. Our team will contact you about them."
    )
    view = orders.get_order(ports, BUYER, order_id)
    buyer_sees = view.model_dump_json() + "".join(m.text for m in sent_mails(ports) if m.to == [str(BUYER.email)])
    assert assignment_ids[0] not in buyer_sees
    # and the staff's detail names the assignment
    assert assignment_ids[0] in (order.attention_detail or "") and "still rejected" in (order.attention_detail or "")


def _subject_start(english: str) -> tuple[str, ...]:
    """How a subject that starts with ``english`` starts in each language Telar writes."""
    message = next(m for m in MAIL_TEXTS["es"] if m.startswith(english))
    return tuple(translator(language)(message).split("%(")[0] for language in ("en", *MAIL_TEXTS))


def test_waiting_qc_gets_heartbeats_and_overdue_sheets_one_reminder_a_day(
    ports: Ports,
) -> None:
    # Given two assignments waiting for QC, one past its due date, and one whose execution has ended
    import_sample_reference(ports)
    ports.auth.put_buyer(BUYER, "hash-of-key")
    # two sample orders: how many groups one is split among depends on the day it is planned (planned on Saturday
    # 2026-12-05, the sample order of three groups went to two), and three assignments are needed here
    assignment_ids = [
        a
        for sample in (1, 0)
        for a in split_work(ports, orders.submit_order(ports, BUYER, order_request(sample)).order_id)
    ]
    on_time, overdue, ended = assignment_ids[:3]
    for i, assignment_id in enumerate((on_time, overdue, ended)):
        await_qc(ports, assignment_id, f"token-{i}")
    workflow = ports.workflow
    assert isinstance(workflow, RecordingWorkflow)
    workflow.ended.add("token-2")
    late = ports.assignments.get_assignment(overdue)
    assert late is not None and late.awaiting_since is not None
    now = datetime.combine(late.due_date + timedelta(days=2), datetime.min.time(), UTC)
    a = ports.assignments.get_assignment(on_time)
    assert a is not None
    assert isinstance(ports.assignments, MemoryAssignments)
    ports.assignments.table.assignments[on_time].update(  # the on-time one is due well after `now`
        due_date=(now + timedelta(days=30)).date().isoformat(), awaiting_since=now.isoformat()
    )
    mails = len(sent_mails(ports))
    # When the daily job runs, and runs again the same day (a retry)
    first = send_qc_reminders(ports, now)
    second = send_qc_reminders(ports, now + timedelta(hours=1))
    # Then every live task got a heartbeat, the ended one left the list, and only the overdue one was reminded once
    assert first["no_longer_waiting"] == [ended] and second["no_longer_waiting"] == []
    assert first["waiting"] == second["waiting"] == 2
    assert workflow.heartbeats.count("token-0") == 2 and workflow.heartbeats.count("token-1") == 2
    assert overdue in first["reminded"] and on_time not in first["reminded"]
    reminders = [
        m for m in sent_mails(ports)[mails:] if m.subject.startswith(_subject_start("Telar: QC sheet overdue"))
    ]
    assert len(reminders) == len(first["reminded"])
    assert any(overdue in m.text for m in reminders)
    # And a QC sheet that arrives takes its assignment off the list
    key, version = upload_filled(ports, overdue, every_row(), "late but here.xlsx")
    assert accept_qc_upload(ports, key, version) == "accepted"
    assert overdue not in {a.assignment_id for a in ports.assignments.awaiting_qc()}


def test_reminders_know_the_state_machine_qc_timeout() -> None:
    # Given the order pipeline's definition
    definition = json.loads((ROOT / "statemachines" / "order_pipeline.asl.json").read_text())
    await_qc_state = definition["States"]["AwaitAllQc"]["ItemProcessor"]["States"]["AwaitQc"]
    # Then the reminders count down to the same timeout, and the daily job beats well inside the heartbeat
    assert await_qc_state["TimeoutSeconds"] == QC_TIMEOUT.total_seconds()
    assert await_qc_state["HeartbeatSeconds"] >= 2 * 24 * 3600


def test_a_stage_given_an_id_nobody_stored_raises_not_found_of_that_kind(ports: Ports) -> None:
    # Given a table with the reference data and no orders
    import_sample_reference(ports)
    # When each stage is started for an order or assignment that does not exist, Then each says which is missing
    with pytest.raises(OrderNotFound, match="ord-missing"):
        split_work(ports, "ord-missing")
    with pytest.raises(OrderNotFound, match="ord-missing"):
        make_cards(ports, "ord-missing")
    with pytest.raises(AssignmentNotFound, match="ord-missing-pe-cusco"):
        start_rework(ports, "ord-missing-pe-cusco")


def test_a_cancelled_order_is_never_started_by_the_sweeper_nor_overwritten_by_a_late_outcome(ports: Ports) -> None:
    import_sample_reference(ports)
    ports.auth.put_buyer(BUYER, "hash-of-key")
    # Given an order whose start was not confirmed, cancelled by its buyer
    view = orders.submit_order(ports, BUYER, order_request(0))
    workflow = ports.workflow
    assert isinstance(workflow, RecordingWorkflow)
    workflow.started.clear()
    stored = ports.orders.get_order(view.order_id)
    assert stored is not None
    assert isinstance(ports.orders, MemoryOrders)  # the start marker back, as a failed start leaves it
    ports.orders.table.start_pending[keys.start_pending(stored.created_at, stored.order_id)["sk"]] = stored.order_id
    ports.orders.update_order(view.order_id, status=OrderStatus.CANCELLED.value)
    # When the sweeper runs, Then it does not start it
    assert pipeline_start.sweep_start_pending(ports, datetime.now(UTC) + timedelta(hours=1)) == []
    assert workflow.started == []
    # and an outcome that arrives late records nothing over CANCELLED
    assert record_outcome(ports, view.order_id, "NEEDS_ATTENTION", {"Error": "X", "Cause": "y"}) == "CANCELLED"
    assert ports.orders.get_order(view.order_id).status is OrderStatus.CANCELLED  # type: ignore[union-attr]


def test_the_order_payroll_e_mail_goes_to_finance_once_where_the_stack_turns_it_on(
    ports: Ports, planned_order: tuple[str, list[str]]
) -> None:
    # Given a stack deployed with OrderPayrollMail=true, and an order signed off everywhere
    order_id, assignment_ids = planned_order
    _accept_all(ports, assignment_ids)
    ports = dataclasses.replace(ports, settings=ports.settings.model_copy(update={"order_payroll_mail": True}))
    before = len(sent_mails(ports))
    # When the payroll stage runs twice (a retry)
    keys = run_payroll(ports, order_id)
    run_payroll(ports, order_id)
    # Then finance has one e-mail for reference, with the files
    [mail] = sent_mails(ports)[before:]
    assert mail.to == ports.settings.finance_recipients and "(for reference)" in mail.subject
    assert sorted(a.filename for a in mail.attachments) == sorted(k.rsplit("/", 1)[-1] for k in keys)
