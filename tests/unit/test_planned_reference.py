"""A running order keeps the reference data it was planned with where that is fair, the latest where owed."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from telar import orders
from telar.models import ConsentChange, Group, ReferenceBook, ReferenceData, WageRule
from telar.ports import Ports
from telar.rendering import translator
from telar.stages.await_qc import await_qc
from telar.stages.insert_cards import make_cards
from telar.stages.payroll import run_payroll
from telar.stages.qc_upload import accept_qc_upload
from telar.stages.reference_upload import import_reference
from telar.stages.split_work import split_work
from tests.conftest import import_sample_reference
from tests.fakes import MemoryOrders, sent_mails
from tests.pipeline import BUYER, every_row, order_request, upload_filled


def _round(amount: Decimal, group: Group) -> Decimal:
    return amount.quantize(Decimal(group.pay_rounding), rounding=ROUND_HALF_UP)


def _newer(v1: ReferenceData, sku: str, withdrawn: str, moved: str, today: date) -> ReferenceData:
    """Version 2: a doubled piece rate, a withdrawn consent, a maker moved to another group, a new manager
    everywhere and minimum wages tripled from yesterday."""
    yesterday = today - timedelta(days=1)
    makers = []
    for m in v1.makers:
        if m.worker_id == withdrawn:
            m = m.model_copy(
                update={
                    "consent": (*(c for c in m.consent if c.effective < yesterday), ConsentChange(effective=yesterday))
                }
            )
        if m.worker_id == moved:
            m = m.model_copy(update={"group_id": next(g.group_id for g in v1.groups if g.group_id != m.group_id)})
        makers.append(m)
    raises = {
        (r.country, r.region): WageRule(**{**r.model_dump(), "amount": r.amount * 3, "effective_from": yesterday})
        for r in v1.wage_rules
    }
    return v1.model_copy(
        update={
            "products": tuple(
                p.model_copy(update={"piece_rates": {c: r * 2 for c, r in p.piece_rates.items()}})
                if p.sku == sku
                else p
                for p in v1.products
            ),
            "makers": tuple(makers),
            "groups": tuple(g.model_copy(update={"manager_email": f"new.{g.group_id}@example.org"}) for g in v1.groups),
            "wage_rules": v1.wage_rules + tuple(raises.values()),
        }
    )


def test_a_running_order_keeps_its_planned_catalog_and_groups_but_owes_the_latest_wages_and_consent(
    ports: Ports,
) -> None:
    # Given an order planned with version 1
    import_sample_reference(ports)
    ports.auth.put_buyer(BUYER, "hash-of-key")
    order_id = orders.submit_order(ports, BUYER, order_request()).order_id
    assignment_ids = split_work(ports, order_id)
    order = ports.orders.get_order(order_id)
    assert order is not None and order.reference_version == 1
    v1 = ports.reference.load_reference(1)
    first = ports.assignments.get_assignment(assignment_ids[0])
    assert first is not None
    workers = sorted({w for line in first.lines for w, n in line.per_maker.items() if n})
    today = datetime.now(UTC).date()
    named = [w for w in workers if next(m for m in v1.makers if m.worker_id == w).consent_on(today).name]
    withdrawn = named[0]  # she agreed to her name on the cards when the order was planned
    moved = next(w for w in workers if w != withdrawn)  # she worked this order in her old group
    sku = first.lines[0].sku
    # And version 2 imported while it runs: a doubled piece rate, her consent withdrawn, a maker moved,
    # new managers and a minimum wage raise in force on the QC date
    v2 = _newer(v1, sku, withdrawn, moved, today)
    assert import_reference(ports, ReferenceBook(reference=v2), "v2#test").version == 2
    v2 = ports.reference.load_reference(2)

    # When QC sheets are uploaded for every assignment, and payroll and cards run
    mails = len(sent_mails(ports))
    for i, assignment_id in enumerate(assignment_ids):
        await_qc(ports, assignment_id, f"token-{i}")
        key, version = upload_filled(ports, assignment_id, every_row(), f"{assignment_id}.xlsx")
        assert accept_qc_upload(ports, key, version) == "accepted"  # the moved maker still counts in her old group
    run_payroll(ports, order_id)
    cards_key, _ = make_cards(ports, order_id)

    # Then the planned piece rate is paid, against the minimum wage in force on the QC date
    earnings = ports.earnings.earnings_of(order_id)
    assert any(e.sku == sku for e in earnings)
    for e in earnings:
        planned_group, product = v1.group(e.group_id), v1.product(e.sku)
        assert product is not None and v2.product(e.sku) is not None
        assert e.piece_earnings == _round(e.units_passed * product.piece_rate(planned_group), planned_group)
        hourly = v2.minimum_wage(planned_group, today).hourly
        assert hourly > v1.minimum_wage(planned_group, today).hourly
        assert e.minimum_for_hours == _round(e.hours_worked * hourly, planned_group)
    changed = next(e for e in earnings if e.sku == sku and e.units_passed)
    assert changed.piece_earnings != _round(
        changed.units_passed * v2.product(sku).piece_rate(v2.group(changed.group_id)),
        v1.group(changed.group_id),
    )
    # And the withdrawn consent is honoured on the cards: her card credits the group, not her name
    html = ports.artifacts.get(cards_key).decode()
    her_cards = re.findall(rf'<article[^>]*data-worker="{withdrawn}">(.*?)</article>', html, re.S)
    first_name = next(m.first_name for m in v1.makers if m.worker_id == withdrawn)
    assert her_cards and not any(first_name in card for card in her_cards)
    # And e-mails go to the managers of now
    accepted = [translator(g.language)("Telar: QC sheet accepted — %(assignment)s", assignment="") for g in v2.groups]
    receipts = [m for m in sent_mails(ports)[mails:] if m.subject.startswith(tuple(accepted))]
    assert receipts and all(d.startswith("new.") for m in receipts for d in m.to)


def test_an_order_planned_before_versions_were_kept_reads_the_latest(ports: Ports) -> None:
    # Given an order planned before the version was recorded, and a newer version since
    import_sample_reference(ports)
    ports.auth.put_buyer(BUYER, "hash-of-key")
    order_id = orders.submit_order(ports, BUYER, order_request()).order_id
    assignment_ids = split_work(ports, order_id)
    assert isinstance(ports.orders, MemoryOrders)
    del ports.orders.table.orders[order_id]["reference_version"]
    a = ports.assignments.get_assignment(assignment_ids[0])
    assert a is not None
    v1 = ports.reference.load_reference(1)
    v2 = _newer(v1, a.lines[0].sku, "", "", datetime.now(UTC).date())
    import_reference(ports, ReferenceBook(reference=v2), "v2#test")
    # When its QC sheets are signed off and payroll runs
    for i, assignment_id in enumerate(assignment_ids):
        await_qc(ports, assignment_id, f"token-{i}")
        key, version = upload_filled(ports, assignment_id, every_row(), f"{assignment_id}.xlsx")
        assert accept_qc_upload(ports, key, version) == "accepted"
    run_payroll(ports, order_id)
    # Then it is paid the rate in force
    line = next(e for e in ports.earnings.earnings_of(order_id) if e.sku == a.lines[0].sku and e.units_passed)
    rate = ports.reference.load_reference().product(line.sku).piece_rate(v1.group(line.group_id))
    assert line.piece_earnings == _round(line.units_passed * rate, v1.group(line.group_id))
