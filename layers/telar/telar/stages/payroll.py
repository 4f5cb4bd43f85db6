"""Payroll for one order: record each maker's earnings once (paid later by the pay-period run); a statement."""

from telar import payroll
from telar.adapters.mail import XLSX, Attachment
from telar.artifacts import order_payroll_name, order_payroll_prefix
from telar.ports import Ports
from telar.rendering import render_mail
from telar.sheets.payroll_book import write_payroll_book
from telar.stages import order_reference
from telar.stages.notify import send_once


def run_payroll(ports: Ports, order_id: str) -> list[str]:
    """Record each maker's earnings for the order once and write a payroll file per group (e-mailed to finance
    only where the stack turns that on: the pay period's e-mail is the one finance pays from)."""
    # piece rates and the group's pay terms as planned; the minimum wage in force on the QC date
    ref = order_reference(ports, ports.orders.get_order(order_id))
    assignments = ports.assignments.assignments_of(order_id)
    for a in assignments:
        assert a.inspected_on is not None, f"{a.assignment_id} has no QC sign-off"
        ports.earnings.record_earnings(payroll.earnings_for(a, ref, a.inspected_on))
    recorded = ports.earnings.earnings_of(order_id)  # what is on record is what gets paid
    groups = payroll.by_group(recorded, ref)
    keys, attachments = [], []
    for group_payroll in groups:
        book = write_payroll_book([group_payroll], period_label=f"order {order_id}")
        name = order_payroll_name(order_id, group_payroll.group_id, group_payroll.currency)
        keys.append(ports.artifacts.put(order_payroll_prefix(order_id) + name, book, XLSX).key)
        attachments.append(Attachment(name, book, XLSX))
    if not ports.settings.order_payroll_mail:  # finance pays from the period's book; this one is for reference
        return keys
    mail = render_mail("order_payroll", order_id=order_id, groups=groups)
    send_once(
        ports, f"payroll#{order_id}", to=ports.settings.finance_recipients, mail=mail, attachments=tuple(attachments)
    )
    return keys
