"""Attendance sheets handed back (issue 15), on the in-memory ports: recorded once whatever the deliveries, a second
sheet for a recorded month refused, errors reported by cell to the manager in her language, paid by the pay run."""

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from telar.models import PayPeriod
from telar.ports import Ports
from telar.rendering import render_mail
from telar.stages.attendance_upload import accept_attendance_upload
from telar.stages.pay_period import run_pay_period
from tests.attendance_sheets import fill_attendance
from tests.factories import CHIANG_MAI, CUSCO, make_earning_line, make_reference
from tests.fakes import sent_mails

MAY = "2025-05"


@pytest.fixture
def ready(ports: Ports) -> Ports:
    ports.reference.put_reference(make_reference())
    return ports


def _sheet(training: int = 3) -> bytes:
    hours = {("CUS-01", date(2025, 5, 5)): {"Present": 5, "Training": training}}
    return fill_attendance(make_reference(), CUSCO, MAY, hours)


def _upload(ports: Ports, data: bytes, key: str = "attendance/cusco-mayo.xlsx") -> tuple[str, str]:
    stored = ports.uploads.put(key, data, "application/octet-stream")
    return accept_attendance_upload(ports, key, stored.version_id), f"{key}#{stored.version_id or 'null'}"


def test_a_sheet_is_recorded_once_however_often_it_is_delivered(ready: Ports) -> None:
    # Given Cusco's May sheet with three hours of training, delivered twice by SQS
    data = _sheet()
    stored = ready.uploads.put("attendance/cusco-mayo.xlsx", data, "application/octet-stream")
    first = accept_attendance_upload(ready, "attendance/cusco-mayo.xlsx", stored.version_id)
    again = accept_attendance_upload(ready, "attendance/cusco-mayo.xlsx", stored.version_id)
    # Then its lines are recorded once: training and each maker's Labour Day, unpaid until May's run
    assert (first, again) == ("accepted", "duplicate")
    lines = ready.earnings.earnings_of("ATT-pe-cusco-2025-05")
    assert sorted((x.worker_id, x.sku) for x in lines) == [
        ("CUS-01", "TIME:holiday"),
        ("CUS-01", "TIME:training"),
        ("CUS-02", "TIME:holiday"),
        ("CUS-03", "TIME:holiday"),
    ]
    assert len(ready.earnings.unpaid_earnings()) == 4
    # And the manager got one receipt, in Spanish, with the hours and what they pay
    [receipt] = sent_mails(ready)
    assert receipt.to == ["patricia.quispe@example.org"]
    assert receipt.subject == "Telar: hoja de asistencia aceptada — Taller Cusco, 2025-05"
    assert "- capacitación: 3.00 h" in receipt.text and "- feriado / vacaciones: 15.00 h" in receipt.text
    total = sum((x.total for x in lines), Decimal(0))
    assert f"PEN {total}" in receipt.text


def test_a_second_sheet_for_a_recorded_month_is_refused_at_the_month_cell(ready: Ports) -> None:
    _, first = _upload(ready, _sheet())
    outcome, _ = _upload(ready, _sheet(training=4), key="attendance/cusco-mayo-v2.xlsx")
    assert outcome == "rejected"
    [line] = [x for x in ready.earnings.earnings_of("ATT-pe-cusco-2025-05") if x.sku == "TIME:training"]
    assert line.hours_worked == 3  # the first sheet stands
    report = sent_mails(ready)[-1]
    expected = "un mes cuya asistencia aún no está registrada: ya se registró desde"
    assert f"Attendance!C3: se encontró '2025-05'; lo esperado: {expected} cusco-mayo.xlsx (" in report.text
    assert "attendance/" not in report.text and first not in report.text  # the file's name, not its key


def test_of_two_sheets_for_one_month_handled_at_once_only_the_first_to_own_it_records_lines(ready: Ports) -> None:
    # Given a first sheet that owns May but has not recorded its lines yet (its handler is still running)
    ready.earnings.own_earnings("ATT-pe-cusco-2025-05", "attendance/cusco-mayo.xlsx#v1")
    # When a second sheet for May is handled meanwhile
    outcome, _ = _upload(ready, _sheet(training=4), key="attendance/cusco-mayo-v2.xlsx")
    # Then it records nothing and is refused, naming the sheet that owns the month
    assert outcome == "rejected"
    assert ready.earnings.earnings_of("ATT-pe-cusco-2025-05") == []
    assert "desde cusco-mayo.xlsx (" in sent_mails(ready)[-1].text  # by its file name, never its key


def test_an_invalid_sheet_gets_a_report_by_cell_and_a_marked_copy_and_nothing_is_recorded(ready: Ports) -> None:
    # Given a sheet with 20 hours of training in a day
    outcome, ref = _upload(ready, _sheet(training=20))
    # Then nothing is recorded and the manager is told where, in Spanish, with the sheet marked
    assert outcome == "rejected" and ready.earnings.earnings_of("ATT-pe-cusco-2025-05") == []
    [report] = sent_mails(ready)
    assert report.to == ["patricia.quispe@example.org"]
    assert report.subject == "Telar: la hoja de asistencia necesita correcciones — cusco-mayo.xlsx"
    assert "lo esperado: horas de 0 a 16 (7.5 = 7 h 30)" in report.text
    [marked] = report.attachments
    wb = load_workbook(io.BytesIO(marked.content))
    assert any(c.comment for row in wb["Attendance"].iter_rows() for c in row)
    version = ref.rsplit("#", 1)[1]
    assert ready.uploads.get_if_exists(f"attendance-reports/cusco-mayo.xlsx.{version}.errors.txt") is not None


def test_a_sheet_naming_no_group_is_reported_to_the_office(ready: Ports) -> None:
    data = fill_attendance(make_reference(), CUSCO, MAY, {}, labels={"Group ID": "pe-lima"})
    assert _upload(ready, data)[0] == "rejected"
    [report] = sent_mails(ready)
    assert report.to == ready.settings.finance_recipients and report.subject.startswith("Telar: attendance sheet")


def test_the_pay_run_of_the_month_pays_the_time_with_the_work(ready: Ports) -> None:
    # Given May's sheet recorded, and a QC round of May
    _upload(ready, _sheet())
    ready.earnings.record_earnings([make_earning_line("CUS-01", inspected_on=date(2025, 5, 20))])
    # When May is paid
    run = run_pay_period(ready, PayPeriod(period=MAY), today=date(2025, 6, 1))
    # Then Carmen's Pay row has her training as paid time, and the Pay total is the Audit total
    assert run.lines == 5
    [book] = [a for m in sent_mails(ready) if m.to == ready.settings.finance_recipients for a in m.attachments]
    wb = load_workbook(io.BytesIO(book.content))
    pay = wb["Pay"]
    header = [c.value for c in pay[7]]
    carmen = next(r for r in pay.iter_rows(min_row=8, values_only=True) if r[0] == "CUS-01")
    row = dict(zip(header, carmen, strict=False))
    assert row["Paid time (not pieces)"] == 18.0 and row["Piece earnings"] == 100.0
    audit = [
        dict(zip([c.value for c in wb["Audit"][1]], r, strict=False))
        for r in wb["Audit"].iter_rows(min_row=2, values_only=True)
    ]
    assert {r["SKU"] for r in audit} >= {"TIME:training", "TIME:holiday"}
    assert sum(Decimal(str(r["Total"])) for r in audit) == Decimal(run.totals["pe-cusco PEN"])
    # And her payslip names the time in Spanish
    slips = next(
        a
        for m in sent_mails(ready)
        if m.to == ["patricia.quispe@example.org"]
        for a in m.attachments
        if a.filename.endswith(".html")
    )
    assert "Capacitación (horas)" in slips.content.decode()


def test_attendance_mails_read_in_english() -> None:
    group = make_reference().group(CUSCO)
    mail = render_mail(
        "attendance_receipt",
        group=group,
        key="attendance/a.xlsx",
        month=MAY,
        makers=3,
        totals=[("present", Decimal(5)), ("training", Decimal(3))],
        amount=Decimal("18.00"),
        currency="PEN",
        guaranteed=True,
    )
    assert mail.subject == "Telar: attendance sheet accepted — Taller Cusco, 2025-05"
    assert mail.text == (
        f"Thank you, {group.manager_name}. The attendance sheet attendance/a.xlsx for 2025-05 is recorded: "
        "3 makers.\n\n"
        "- hours present: 5 h\n- training: 3 h\n\n"
        "Paid time, at the group's rates and never below the minimum wage: PEN 18.00, in the pay run of 2025-05.\n"
        "Guaranteed hours are settled against the rest of the month's pay in that pay run.\n"
    )


def test_a_parked_attendance_upload_is_redriven_to_its_own_queue() -> None:
    from telar.adapters.redrive import route

    body = '{"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "attendance/Cusco+mayo.xlsx"}}}]}'
    assert route(body) == "attendance"


def test_a_sheet_uploaded_from_a_groups_console_page_is_recorded_for_that_group_only(ready: Ports) -> None:
    # Given Chiang Mai's sheet uploaded from Cusco's page in the console (its key names Cusco)
    other = fill_attendance(make_reference(), CHIANG_MAI, MAY, {})
    outcome, _ = _upload(ready, other, f"attendance/console/{CUSCO}/{'a' * 32}.xlsx")
    # Then nothing is recorded for either group, and Cusco's manager is told at the Group ID cell, in Spanish
    assert outcome == "rejected"
    assert ready.earnings.earnings_of(f"ATT-{CHIANG_MAI}-{MAY}") == []
    assert ready.earnings.earnings_of(f"ATT-{CUSCO}-{MAY}") == []
    [report] = sent_mails(ready)
    assert report.to == ["patricia.quispe@example.org"] and CUSCO in report.text
    # And her own group's sheet from her page is recorded
    assert _upload(ready, _sheet(), f"attendance/console/{CUSCO}/{'b' * 32}.xlsx")[0] == "accepted"
