"""Partial failure against moto: a failed order gives its capacity back, its buyer reads buyer words, a sheet for
it is answered at once, lost races for capacity are waited out, and no user text breaks a mail header."""

import email
import email.policy
import json
import random
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from botocore.client import BaseClient
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from local.manager import fill_qc_sheet
from telar import orders
from telar.adapters.dynamo.assignments import DynamoAssignments
from telar.adapters.mail import OutgoingMail
from telar.capacity import week_of
from telar.errors import ActionInProgress, CapacityContention, ConditionFailed
from telar.models import AssignmentStatus, Buyer, OrderStatus
from telar.ports import Ports
from telar.rendering import Mail, translator
from telar.stages.await_qc import await_qc
from telar.stages.notify import send_once
from telar.stages.order_status import record_outcome
from telar.stages.qc_upload import accept_qc_upload
from telar.stages.split_work import split_work
from tests.capacity_checks import booked_total, over_booked
from tests.conftest import ROOT
from tests.factories import CUSCO, make_order_request
from tests.integration.test_bookings import SCARF_MINUTES, cusco_only  # noqa: F401  (fixture)
from tests.pipeline import every_row, plan_sample_order

LAMBDA_CAUSE = json.dumps(
    {
        "errorMessage": "'NoneType' object has no attribute 'group_id'",
        "errorType": "AttributeError",
        "stackTrace": ['  File "/var/task/telar/stages/split_work.py", line 42, in split_work\n'],
    }
)


def _sent_mails() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


@pytest.fixture
def planned_order(aws: Ports) -> tuple[str, list[str]]:
    return plan_sample_order(aws)


def _future_minutes(ports: Ports, group_id: str) -> int:
    """Minutes booked on the group's ledger from this week on (a cancelled order gives all of them back)."""
    this_week = week_of(datetime.now(UTC).date())
    ledger = ports.assignments.capacity_ledgers([group_id])[group_id]
    return sum(m for weeks in ledger.booked.values() for week, m in weeks.items() if week >= this_week)


# ------------------------------------------------------------------ defect 3: compensation
def test_a_failed_order_gives_back_the_capacity_its_unfinished_assignments_booked(
    aws: Ports,
    planned_order: tuple[str, list[str]],
) -> None:
    # Given a planned order whose groups are booked in the weeks to come
    order_id, _ = planned_order
    groups = {a.group_id for a in aws.assignments.assignments_of(order_id)}
    assert sum(_future_minutes(aws, g) for g in groups) > 0
    # When a later stage fails for good and the state machine records it, twice (a retried RecordFailure)
    record_outcome(aws, order_id, "NEEDS_ATTENTION", {"Error": "RuntimeError", "Cause": "boom"})
    after_first = {g: aws.assignments.capacity_ledgers([g])[g] for g in groups}
    record_outcome(aws, order_id, "NEEDS_ATTENTION", {"Error": "RuntimeError", "Cause": "boom"})
    # Then no group stays booked for it, every assignment is cancelled, and the retry released nothing twice
    assert sum(_future_minutes(aws, g) for g in groups) == 0
    assert {a.status for a in aws.assignments.assignments_of(order_id)} == {AssignmentStatus.CANCELLED}
    assert {g: aws.assignments.capacity_ledgers([g])[g] for g in groups} == after_first
    assert not list(aws.assignments.awaiting_qc())


# ------------------------------------------------------------------ defect 7: buyer words
def test_status_reason_is_written_for_the_buyer_and_the_stack_trace_goes_to_staff_only(
    aws: Ports,
    planned_order: tuple[str, list[str]],
) -> None:
    # Given a stage that failed with a Lambda error whose cause carries a stack trace with file paths
    order_id, _ = planned_order
    # When the failure is recorded
    record_outcome(aws, order_id, "NEEDS_ATTENTION", {"Error": "AttributeError", "Cause": LAMBDA_CAUSE})
    # Then the buyer's view says what happens next, in plain words, with no trace, path or error name
    order = aws.orders.get_order(order_id)
    assert order is not None
    view = orders.get_order(aws, Buyer(buyer_id=order.buyer_id, name="b", email="b@example.org"), order_id)
    shown = json.dumps(view.model_dump(mode="json"))
    assert view.status == OrderStatus.NEEDS_ATTENTION and "Our team" in (view.status_reason or "")
    for internal in ("AttributeError", "/var/task", "stackTrace", "NoneType", "line 42"):
        assert internal not in shown
    # and the staff's view of the order keeps the whole cause
    assert order.attention_detail and "/var/task/telar/stages/split_work.py" in order.attention_detail


# ------------------------------------------------------------------ defect 2: poison QC sheets
def test_a_valid_qc_sheet_for_an_order_that_failed_is_answered_on_its_first_delivery(
    aws: Ports,
    planned_order: tuple[str, list[str]],
) -> None:
    # Given an order planned, one assignment waiting for QC, and then the order failing
    order_id, assignment_ids = planned_order
    await_qc(aws, assignment_ids[0], "token-0")
    record_outcome(aws, order_id, "NEEDS_ATTENTION", {"Error": "RuntimeError", "Cause": "boom"})
    before = len(_sent_mails())
    # When the manager uploads the valid, filled QC sheet of that assignment
    a = aws.assignments.get_assignment(assignment_ids[0])
    assert a is not None and a.qc_template_key
    filled = fill_qc_sheet(aws.artifacts.get(a.qc_template_key), "Luz", date.today(), every_row())
    aws.uploads.put("qc/late.xlsx", filled, "application/octet-stream")
    outcome = accept_qc_upload(aws, "qc/late.xlsx", None)
    # Then the first delivery answers it (no exception: SQS will not retry it into the DLQ), nothing is recorded,
    # and the manager and the office are told in one e-mail, once even if the message comes again
    assert outcome == "not_awaited"
    assert accept_qc_upload(aws, "qc/late.xlsx", None) == "not_awaited"
    assert aws.assignments.get_assignment(assignment_ids[0]).status == AssignmentStatus.CANCELLED  # type: ignore[union-attr]
    mails = _sent_mails()[before:]
    assert len(mails) == 1
    message = email.message_from_string(mails[0].raw_data, policy=email.policy.default)
    group = aws.reference.load_reference().group(a.group_id)
    expected = "Telar: QC sheet received for work that is no longer in production — %(assignment)s"
    assert str(message["Subject"]) == translator(group.language)(expected, assignment=a.assignment_id)
    assert set(mails[0].destinations) >= set(aws.settings.finance_recipients)


def test_a_qc_sheet_whose_write_keeps_losing_gives_up_after_bounded_attempts_and_sqs_retries_it(
    aws: Ports,
    planned_order: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an assignment waiting for QC and a group ledger that changes under every attempt to record the sheet
    _, assignment_ids = planned_order
    await_qc(aws, assignment_ids[0], "token-0")
    a = aws.assignments.get_assignment(assignment_ids[0])
    assert a is not None and a.qc_template_key
    filled = fill_qc_sheet(aws.artifacts.get(a.qc_template_key), "Luz", date.today(), every_row())
    stored = aws.uploads.put("qc/contended.xlsx", filled, "application/octet-stream")
    attempts: list[str] = []

    def always_lost(*_: Any, **__: Any) -> None:
        attempts.append("lost")
        raise ConditionFailed("the ledger changed")

    monkeypatch.setattr(aws.assignments, "record_qc", always_lost)
    monkeypatch.setattr(time, "sleep", lambda _: None)
    # When the upload is handled, Then it stops after a bounded number of attempts with a named error (the SQS
    # message is retried later, then parked in the DLQ with an alarm) instead of recursing without end
    with pytest.raises(CapacityContention):
        accept_qc_upload(aws, stored.key, stored.version_id)
    assert len(attempts) == 5
    assert aws.assignments.get_assignment(assignment_ids[0]).status == AssignmentStatus.AWAITING_QC  # type: ignore[union-attr]


# ------------------------------------------------------------------ defect 3: mail headers
def test_a_line_break_in_user_text_never_reaches_a_mail_header(aws: Ports) -> None:
    # Given a subject carrying user text with CR, LF and a Unicode line separator (stored before the API refused it)
    subject = "Telar: new work — order Spring\r\nBcc: victim@example.org\u2028X-Evil: 1"
    # When it is sent
    aws.mailer.send(OutgoingMail(to=["manager@example.org"], subject=subject, text="hello"))
    # Then the message has one Subject line, and no injected header
    [sent] = _sent_mails()
    message = email.message_from_string(sent.raw_data, policy=email.policy.default)
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert str(message["Subject"]) == "Telar: new work — order Spring Bcc: victim@example.org X-Evil: 1"


# ------------------------------------------------------------------ defect 4: contention is waiting
def test_a_plan_that_keeps_losing_the_race_raises_capacity_contention_which_the_state_machine_retries(
    aws: Ports,
    planned_order: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an order whose ledger changes under every attempt to store its plan
    buyer = Buyer(buyer_id="buyer-test", name="t", email="t@example.org")
    order = orders.submit_order(aws, buyer, make_order_request(requested_ship_date="2099-01-01"))

    def always_lost(*args: Any, **kwargs: Any) -> None:
        raise ConditionFailed("ledger version changed")

    monkeypatch.setattr(DynamoAssignments, "create_assignments", always_lost)
    monkeypatch.setattr("telar.stages.conflicts.time.sleep", lambda seconds: None)
    # When SplitWork runs, Then it raises the named error (not a generic one the state machine would not retry)
    with pytest.raises(CapacityContention):
        split_work(aws, order.order_id)
    # and the state machine retries that error, with backoff and full jitter, on every stage that books capacity
    states = _asl_tasks()
    for name in ("SplitWork", "Rework", "RecordFailure"):
        retry = next(r for r in states[name]["Retry"] if "CapacityContention" in r["ErrorEquals"])
        assert retry["MaxAttempts"] >= 5 and retry["BackoffRate"] > 1 and retry["JitterStrategy"] == "FULL"


def _asl_tasks() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(states: dict[str, Any]) -> None:
        for name, state in states.items():
            found[name] = state
            if state["Type"] == "Map":
                walk(state["ItemProcessor"]["States"])
            for branch in state.get("Branches", []):
                walk(branch["States"])

    walk(json.loads((ROOT / "statemachines" / "order_pipeline.asl.json").read_text())["States"])
    return found


def test_twelve_orders_from_two_buyers_sent_at_once_are_all_planned_without_over_booking(
    cusco_only: Ports,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aws = cusco_only
    # Given 12 orders of 10 scarves from two buyers, every one competing for Cusco's three knitters
    buyers = [Buyer(buyer_id=f"buyer-{c}", name=c, email=f"{c}@example.org") for c in "ab"]
    ship = (datetime.now(UTC).date() + timedelta(days=150)).isoformat()
    order_ids = [
        orders.submit_order(
            aws,
            buyers[i % 2],
            make_order_request(
                buyer_reference=f"PO-{i}",
                requested_ship_date=ship,
                lines=[{"sku": "KNT-SCARF-ALP", "quantity": 10, "options": {"colour": "natural"}}],
            ),
        ).order_id
        for i in range(12)
    ]
    retry = next(r for r in _asl_tasks()["SplitWork"]["Retry"] if "CapacityContention" in r["ErrorEquals"])
    # moto is not thread-safe (a Query iterates a table another thread inserts into): its calls take turns, as
    # DynamoDB serialises conflicting transactions
    one_call_at_a_time = threading.Lock()
    make_api_call = BaseClient._make_api_call

    def serialised(self: BaseClient, operation: str, params: Any) -> Any:
        with one_call_at_a_time:
            return make_api_call(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", serialised)
    start_together = threading.Barrier(12, timeout=30)
    results: dict[str, Any] = {}

    def execution(order_id: str) -> None:
        """SplitWork as the state machine runs it: CapacityContention retried per the ASL (time scaled down)."""
        start_together.wait()
        for attempt in range(retry["MaxAttempts"] + 1):
            try:
                results[order_id] = split_work(aws, order_id)
                return
            except CapacityContention as lost:
                results[order_id] = lost
                time.sleep(random.uniform(0, retry["IntervalSeconds"] * retry["BackoffRate"] ** attempt) / 50)
            except BaseException as e:  # reported by the test: a thread's exception would be lost
                results[order_id] = e
                return

    # When all 12 are planned at the same moment
    threads = [threading.Thread(target=execution, args=(o,)) for o in order_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    # Then every order is planned
    assert all(isinstance(results.get(o), list) and results[o] for o in order_ids), results
    # and the ledger holds every plan's minutes, never more than a maker has in a week
    ledger = aws.assignments.capacity_ledgers([CUSCO])[CUSCO]
    assert not over_booked(aws.reference.load_reference(), {CUSCO: ledger}, datetime.now(UTC).date())
    assert 12 * 10 * SCARF_MINUTES <= booked_total(ledger) < 12 * 10 * SCARF_MINUTES + 12 * 3 * 10


# ------------------------------------------------------------------ send-once claims that cannot stick
PAPERS = Mail(subject="papers", text="hello", html="<p>hello</p>")


def test_a_send_once_claim_whose_holder_died_expires_and_the_mail_goes_out_on_retry(aws: Ports) -> None:
    # Given an attempt that claimed an e-mail and died before sending it (its lease has run out)
    assert aws.claims.claim("mail#papers#a-1", lease=timedelta(0))
    # When the stage is retried
    send_once(aws, "papers#a-1", to=["manager@example.org"], mail=PAPERS)
    # Then the e-mail goes out, once: a third attempt sends nothing
    send_once(aws, "papers#a-1", to=["manager@example.org"], mail=PAPERS)
    subjects = [email.message_from_string(m.raw_data, policy=email.policy.default)["Subject"] for m in _sent_mails()]
    assert subjects == ["papers"]


def test_a_send_once_claim_held_by_a_live_attempt_is_not_taken_over_but_retried(aws: Ports) -> None:
    # Given an attempt that holds the claim within its lease (still running, or timed out a moment ago)
    assert aws.claims.claim("mail#papers#a-2")
    # When another delivery of the stage runs; Then it sends nothing, and asks to be retried rather than
    # succeeding: had the holder timed out, a success would lose the e-mail
    with pytest.raises(ActionInProgress):
        send_once(aws, "papers#a-2", to=["manager@example.org"], mail=PAPERS)
    assert _sent_mails() == []
    # And once the holder has sent it, a retry finds it done and sends nothing either
    aws.claims.complete("mail#papers#a-2")
    send_once(aws, "papers#a-2", to=["manager@example.org"], mail=PAPERS)
    assert _sent_mails() == []
