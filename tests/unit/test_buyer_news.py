"""Buyers kept informed (issue 16): confirmed, date changed, ready to ship, needs attention, cancelled; each once, by
e-mail to her address on record and in her language."""

from datetime import datetime, timedelta, tzinfo
from typing import cast

import pytest

from telar import orders
from telar.models import Buyer
from telar.ports import Ports
from telar.rework import moved_ship_date
from telar.stages.await_qc import await_qc
from telar.stages.order_status import record_outcome
from telar.stages.qc_upload import accept_qc_upload
from telar.stages.rework import start_rework
from telar.stages.split_work import split_work
from tests.factories import make_assignment, make_order
from tests.fakes import SentMail, sent_mails
from tests.pipeline import BUYER, every_row, import_sample_reference, order_request, plan_sample_order, upload_filled


def _to_buyer(ports: Ports, buyer: Buyer = BUYER) -> list[SentMail]:
    return [m for m in sent_mails(ports) if m.to == [str(buyer.email)]]


def test_the_buyer_is_told_once_that_her_order_is_confirmed_with_its_date_and_lines(ports: Ports) -> None:
    # Given an order planned, and the stage delivered again
    order_id, _ = plan_sample_order(ports)
    split_work(ports, order_id)
    # Then its buyer has one confirmation, naming her reference, the committed date and each line
    order = ports.orders.get_order(order_id)
    assert order is not None
    [mail] = _to_buyer(ports)
    assert mail.subject == f"Telar: pedido {order.buyer_reference} confirmado"  # in her language (es)
    assert f"se despacha el {order.promised_ship_date.isoformat()}" in mail.text
    for line in order.lines:
        assert f"- {line.quantity} × " in mail.text and f"({line.sku})" in mail.text
    # and no manager's mail went to her, nor hers to a manager
    assert all(m.to != [str(BUYER.email)] or m is mail for m in sent_mails(ports))


def test_an_english_buyer_reads_hers_in_english(ports: Ports) -> None:
    import_sample_reference(ports)
    buyer = BUYER.model_copy(update={"buyer_id": "shop", "email": "orders@example.org", "language": "en"})
    ports.auth.put_buyer(buyer, "hash-of-shop")
    view = orders.submit_order(ports, buyer, order_request())
    split_work(ports, view.order_id)
    [mail] = _to_buyer(ports, buyer)
    assert mail.subject == f"Telar: order {view.buyer_reference} confirmed"
    assert mail.text.startswith(f"Hello {buyer.name},") and "We confirm your order" in mail.text


def test_ready_to_ship_links_its_documents_and_needs_attention_gives_the_reason_each_once(ports: Ports) -> None:
    order_id, _ = plan_sample_order(ports)
    # When the pipeline records that it is ready, twice (a redelivery)
    record_outcome(ports, order_id, "READY_TO_SHIP")
    record_outcome(ports, order_id, "READY_TO_SHIP")
    # Then the buyer has one "ready" mail with a link to each of her two documents
    [ready] = [m for m in _to_buyer(ports) if "listo para despachar" in m.subject]
    assert "- tarjetas para imprimir: " in ready.text and "- lista de empaque: " in ready.text
    assert ready.text.count(f"cards/{order_id}/") == 2 and "packing-list.html" in ready.text
    # And an order that needs attention says why, once
    other, _ = plan_sample_order(ports)
    error = {"Error": "States.TaskFailed", "Cause": "boom"}
    record_outcome(ports, other, "NEEDS_ATTENTION", error)
    record_outcome(ports, other, "NEEDS_ATTENTION", error)
    attention = [m for m in sent_mails(ports) if "necesita atención" in m.subject]
    reason = ports.orders.get_order(other).status_reason  # type: ignore[union-attr]
    assert len(attention) == 1 and reason and reason in attention[0].text


def test_a_cancelled_order_is_confirmed_cancelled_once(ports: Ports) -> None:
    order_id, _ = plan_sample_order(ports)
    orders.cancel_order(ports, BUYER, order_id)
    orders.cancel_order(ports, BUYER, order_id)
    assert len([m for m in _to_buyer(ports) if m.subject.endswith("cancelado")]) == 1


def test_a_rework_round_due_after_the_ship_date_moves_it_and_tells_the_buyer_why(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an order whose first group signed off with rejects
    order_id, assignment_ids = plan_sample_order(ports)
    await_qc(ports, assignment_ids[0], "token-0")
    key, version = upload_filled(ports, assignment_ids[0], every_row(rejected_every=2), "with rejects.xlsx")
    assert accept_qc_upload(ports, key, version) == "accepted"
    ports.orders.update_order(order_id, status_reason="capacity is short: expected to ship ... (a late plan's note)")
    before = ports.orders.get_order(order_id)
    assert before is not None

    # and a rework stage that runs 100 days on (the round is booked from then: after the order could ship)
    class _Later(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> "_Later":
            return cast(_Later, datetime.now(tz) + timedelta(days=100))

    monkeypatch.setattr("telar.stages.rework.datetime", _Later)
    # When the rework round is planned (twice: a redelivery)
    first = start_rework(ports, assignment_ids[0])
    start_rework(ports, assignment_ids[0])
    round_ = ports.assignments.get_assignment(first["assignment_id"])
    assert round_ is not None
    others = [a.due_date for a in ports.assignments.assignments_of(order_id) if a.assignment_id != round_.assignment_id]
    was = max([before.expected_ship_date or before.promised_ship_date, *(d + timedelta(days=7) for d in others)])
    # Then the order's expected date moved, its timeline says so, and the buyer is told once, with the reason
    moved = ports.orders.get_order(order_id)
    assert moved is not None and moved.expected_ship_date == round_.due_date + timedelta(days=7)
    assert [e.stage for e in moved.timeline.values()].count("DATE_CHANGED") == 1
    # and the order's reason is the one of now: the earlier note no longer explains the date
    assert moved.status_reason == (
        f"expected to ship {moved.expected_ship_date.isoformat()} (was {was.isoformat()}): "
        "some units did not pass quality control and are being made again"
    )
    [changed] = [m for m in _to_buyer(ports) if "nueva fecha" in m.subject]
    assert f"del {was.isoformat()} al {moved.expected_ship_date.isoformat()}" in changed.text
    assert "no pasaron el control de calidad" in changed.text


def test_a_buyer_no_longer_active_is_told_nothing(ports: Ports) -> None:
    import_sample_reference(ports)
    gone = BUYER.model_copy(update={"buyer_id": "gone", "email": "gone@example.org"})
    ports.auth.put_buyer(gone, "hash-of-gone")
    view = orders.submit_order(ports, gone, order_request())
    ports.auth.put_buyer_profile(gone.model_copy(update={"active": False}))
    split_work(ports, view.order_id)
    assert _to_buyer(ports, gone) == []


def test_a_round_due_after_the_order_could_ship_moves_the_date_and_one_that_fits_does_not() -> None:
    order = make_order()
    [first] = [make_assignment(order)]
    fits = first.model_copy(update={"assignment_id": "r1", "due_date": first.due_date})
    late = first.model_copy(update={"assignment_id": "r1", "due_date": order.promised_ship_date + timedelta(days=3)})
    assert moved_ship_date(order, [first, fits], fits) is None
    expected = max(order.promised_ship_date, first.due_date + timedelta(days=7))
    assert moved_ship_date(order, [first, late], late) == (expected, late.due_date + timedelta(days=7))
    # an order already expected later than the round's work moves nothing
    later = order.model_copy(update={"expected_ship_date": late.due_date + timedelta(days=30)})
    assert moved_ship_date(later, [first, late], late) is None
