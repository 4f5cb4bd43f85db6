"""POST /orders/{order_id}/cancel through the handler (moto): before any QC sign-off the order is cancelled, its
execution stopped, its makers' time given back and each manager told once; afterwards a 409 says why; another
buyer's order is a 404; a repeat is harmless."""

from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from telar.models import AssignmentStatus
from telar.ports import Ports
from telar.stages.await_qc import await_qc
from telar.stages.qc_upload import accept_qc_upload
from telar.stages.split_work import split_work
from tests.fakes import RecordingWorkflow
from tests.integration.test_intake_api import KEYS, _order, api, ports  # noqa: F401  (fixtures)
from tests.pipeline import every_row, upload_filled


def _sent() -> int:
    return len(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def _planned(api: Any, ports: Ports) -> tuple[str, list[str]]:  # noqa: F811
    status, _, created = api("POST", "/orders", KEYS["buyer-a"], _order())
    assert status == 202, created
    return created["order_id"], split_work(ports, created["order_id"])


def _booked(ports: Ports) -> int:  # noqa: F811
    ledgers = ports.assignments.capacity_ledgers(g.group_id for g in ports.reference.load_reference().groups)
    return sum(m for ledger in ledgers.values() for weeks in ledger.booked.values() for m in weeks.values())


def test_an_order_cancelled_before_any_qc_sign_off_gives_its_makers_time_back_and_tells_each_manager_once(
    api: Any,  # noqa: F811
    ports: Ports,  # noqa: F811
) -> None:
    # Given an order planned among the groups (their makers' time booked), one group already waiting for QC
    before = _booked(ports)
    order_id, assignment_ids = _planned(api, ports)
    await_qc(ports, assignment_ids[0], "token-0")
    assert _booked(ports) > before
    mails = _sent()
    # When its buyer cancels it
    status, _, view = api("POST", f"/orders/{order_id}/cancel", KEYS["buyer-a"])
    # Then it is CANCELLED, its execution stopped, every assignment cancelled and its bookings given back
    assert status == 200 and view["status"] == "CANCELLED", view
    workflow = ports.workflow
    assert isinstance(workflow, RecordingWorkflow) and workflow.stopped == [order_id]
    assert {a.status for a in ports.assignments.assignments_of(order_id)} == {AssignmentStatus.CANCELLED}
    assert _booked(ports) == before
    assert list(ports.assignments.awaiting_qc()) == []
    # and each manager was told once, and the buyer once, and the timeline says so
    assert _sent() - mails == len(assignment_ids) + 1
    assert any(e["stage"] == "CANCELLED" for e in view["timeline"])
    # When she cancels again, Then the same answer, and nobody is told twice
    again = api("POST", f"/orders/{order_id}/cancel", KEYS["buyer-a"])
    assert again[0] == 200 and again[2]["status"] == "CANCELLED" and _sent() - mails == len(assignment_ids) + 1
    # and a QC sheet that arrives for the cancelled work is answered, not recorded
    key, version = upload_filled(ports, assignment_ids[0], every_row(), "late.xlsx")
    assert accept_qc_upload(ports, key, version) == "not_awaited"


def test_an_order_with_a_signed_off_qc_sheet_cannot_be_cancelled_and_the_409_says_why(
    api: Any,  # noqa: F811
    ports: Ports,  # noqa: F811
) -> None:
    # Given an order one of whose groups has its QC sheet signed off
    order_id, assignment_ids = _planned(api, ports)
    await_qc(ports, assignment_ids[0], "token-0")
    key, version = upload_filled(ports, assignment_ids[0], every_row(), "done.xlsx")
    assert accept_qc_upload(ports, key, version) == "accepted"
    # When its buyer asks to cancel it, Then a 409 problem says why, and nothing changes
    status, content_type, problem = api("POST", f"/orders/{order_id}/cancel", KEYS["buyer-a"])
    assert (status, content_type) == (409, "application/problem+json")
    assert "signed off" in problem["detail"] and "can no longer be cancelled" in problem["detail"]
    assert ports.orders.get_order(order_id).status.value == "IN_PRODUCTION"  # type: ignore[union-attr]
    workflow = ports.workflow
    assert isinstance(workflow, RecordingWorkflow) and workflow.stopped == []


def test_another_buyers_order_cannot_be_cancelled_and_looks_as_if_it_did_not_exist(
    api: Any,  # noqa: F811
    ports: Ports,  # noqa: F811
) -> None:
    order_id, _ = _planned(api, ports)
    theirs = api("POST", f"/orders/{order_id}/cancel", KEYS["buyer-b"])
    missing = api("POST", "/orders/ord-does-not-exist/cancel", KEYS["buyer-b"])
    assert theirs[0] == missing[0] == 404 and theirs[2]["detail"].replace(order_id, "") == missing[2]["detail"].replace(
        "ord-does-not-exist", ""
    )
    assert ports.orders.get_order(order_id).status.value == "IN_PRODUCTION"  # type: ignore[union-attr]


def _earliest(api: Any, sku: str) -> str:  # noqa: F811
    status, _, catalog = api("GET", "/catalog", KEYS["buyer-a"])
    assert status == 200
    return str(next(i["earliest_ship_date"] for i in catalog["items"] if i["sku"] == sku))


def test_a_cancel_gives_the_catalog_its_earliest_date_back(api: Any, ports: Ports) -> None:  # noqa: F811
    # Given the catalog's earliest date for scarves, and an order for as many as the catalog takes, as soon as can be
    sku = "KNT-SCARF-ALP"
    before = _earliest(api, sku)
    line = {"sku": sku, "quantity": ports.reference.load_reference().product(sku).max_quantity}
    status, _, created = api("POST", "/orders", KEYS["buyer-a"], _order(lines=[line], accept_later_date=True))
    assert status == 202, created
    split_work(ports, created["order_id"])
    # Then the makers' time it booked puts the catalog's earliest date later
    booked = _earliest(api, sku)
    assert booked > before
    # When the buyer cancels it, Then the catalog's earliest date is back where it was
    assert api("POST", f"/orders/{created['order_id']}/cancel", KEYS["buyer-a"])[0] == 200
    assert _earliest(api, sku) == before
