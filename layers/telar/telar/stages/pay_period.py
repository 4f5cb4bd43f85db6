"""The monthly pay run: pay every unpaid earning line once, a file per group and currency, payslips, e-mail.

Idempotent by construction (docs/decisions.md, issue 6): the run's state lives in ``PAYRUN#<period>``;
lines move from unpaid to paid with a conditional write, so a re-run or a concurrent run pays nothing twice;
files and payslips have deterministic keys (a re-run rewrites the same content); finance is e-mailed once,
and a failed send is recorded on the run (``mail_sent: false``, ``mail_error``) and raised so the invocation
is retried, while the files stay in S3.
"""

from datetime import UTC, date, datetime

from telar import payroll
from telar.adapters.mail import HTML, XLSX, Attachment
from telar.artifacts import pay_period_names, pay_period_prefix
from telar.models import EarningLine, Group, GroupPayroll, PayPeriod, PayRun, ReferenceData
from telar.models.payroll import PayStatement
from telar.observability import logger
from telar.ports import Ports
from telar.rendering import Mail, get_template, render_mail
from telar.sheets.payroll_book import write_payroll_book
from telar.stages.notify import send_once


def render_payslips(group_payroll: GroupPayroll, statement: PayStatement, ref: ReferenceData) -> str:
    """One A4 page per maker of the group, in the group's language, with a line for her to sign on receipt.

    Each page's top-up, total and way of payment are her row of the Pay sheet (``statement``), so the slip she
    signs says what finance pays her."""
    group = ref.group(group_payroll.group_id)
    lines_of = payroll.payslips(group_payroll)
    slips = [
        {
            "worker_id": row.worker_id,
            "name": row.maker_name,
            "lines": lines_of[row.worker_id],
            "paid_by": row.payment_method,
            "top_up": row.top_up,
            "total": row.total,
        }
        for row in statement.rows
        if (row.group_id, row.currency) == (group_payroll.group_id, group_payroll.currency)
    ]
    return get_template("payslips.html.j2").render(
        language=group.language,
        group_name=group.name,
        period=statement.period,
        currency=group_payroll.currency,
        slips=slips,
        product_names={p.sku: p.name_in(group.language) for p in ref.products},
        short_reference=payroll.short_reference,
    )


def run_pay_period(ports: Ports, period: PayPeriod, today: date | None = None) -> PayRun:
    """Pay every unpaid line due in ``period`` once; write the files and payslips; e-mail finance once, then
    each group's manager her group's payslips once (she hands them out)."""
    run = ports.earnings.start_pay_run(period.period)
    moved: list[EarningLine] = []
    if run.status == "COLLECTING":  # once FILED, the lines of this period are fixed; later ones wait for the next
        moved = ports.earnings.mark_paid(payroll.due_in(ports.earnings.unpaid_earnings(), period), period.period)
    # The index is eventually consistent: lines moved just now are taken from the writes themselves.
    paid = {_key(line): line for line in [*ports.earnings.earnings_paid_in(period.period), *moved]}
    ref = ports.reference.load_reference()
    # guaranteed hours are settled against the rest of each maker's pay of the month, from the lines paid
    groups = payroll.by_group(payroll.settle_guarantees(sorted(paid.values(), key=_key)), ref)
    settings = ports.settings
    paid_on = payroll.pay_date(period, settings.pay_day, today or datetime.now(UTC).date())
    prefix = pay_period_prefix(period.period)
    attachments, files, slips, totals, statements = [], [], [], {}, []
    handouts: list[tuple[GroupPayroll, Attachment]] = []
    for group_payroll in groups:
        book_name, slips_name = pay_period_names(period.period, group_payroll.group_id, group_payroll.currency)
        statement = payroll.pay_statement([group_payroll], ref, period, paid_on, settings.organisation_name)
        statements.append(statement)
        book = write_payroll_book([group_payroll], f"pay period {period.period}", statement)
        files.append(ports.artifacts.put(prefix + book_name, book, XLSX).key)
        attachments.append(Attachment(book_name, book, XLSX))
        html = render_payslips(group_payroll, statement, ref).encode()
        slips.append(ports.artifacts.put(prefix + slips_name, html, HTML).key)
        handouts.append((group_payroll, Attachment(slips_name, html, HTML)))
        totals[f"{group_payroll.group_id} {group_payroll.currency}"] = str(group_payroll.total)
    run = run.model_copy(
        update={
            "status": "SENT" if run.mail_sent else "FILED",
            "lines": len(paid),
            "files": files,
            "payslips": slips,
            "totals": totals,
        }
    )
    ports.earnings.save_pay_run(run)
    if not run.mail_sent:
        mail = render_mail(
            "pay_run", period=period.period, groups=groups, statements=statements, pay_date=paid_on.isoformat()
        )
        run = _mail_finance(ports, run, period, mail, tuple(attachments))
    for group_payroll, payslips in handouts:  # after finance: a manager's failed send must not hold up the pay
        _mail_manager(ports, period, ref.group(group_payroll.group_id), group_payroll, payslips, paid_on)
    return run


def _mail_finance(
    ports: Ports,
    run: PayRun,
    period: PayPeriod,
    mail: Mail,
    attachments: tuple[Attachment, ...],
) -> PayRun:
    try:
        send_once(
            ports, f"payrun#{period.period}", to=ports.settings.finance_recipients, mail=mail, attachments=attachments
        )
    except Exception as e:
        logger.exception("payroll e-mail not sent; files are in S3", extra={"period": period.period})
        ports.earnings.save_pay_run(run.model_copy(update={"mail_error": f"{type(e).__name__}: {e}"}))
        raise
    run = run.model_copy(update={"status": "SENT", "mail_sent": True, "mail_error": None})
    ports.earnings.save_pay_run(run)
    return run


def _mail_manager(
    ports: Ports, period: PayPeriod, group: Group, payroll_: GroupPayroll, payslips: Attachment, paid_on: date
) -> None:
    """The group's payslips to its manager, once per period, group and currency, in her language."""
    mail = render_mail(
        "payslips",
        group.language,
        group=group,
        period=period.period,
        makers=len(payroll_.makers),
        pay_date=paid_on.isoformat(),
    )
    name = f"payslips#{period.period}#{payroll_.group_id}#{payroll_.currency}"
    send_once(ports, name, to=[str(group.manager_email)], mail=mail, attachments=(payslips,))


def _key(line: EarningLine) -> tuple[str, str, str, str]:
    return (line.order_id, line.assignment_id, line.worker_id, line.sku)
