"""Payroll for 10,000 makers and 100,000 earning lines: compute time, and the xlsx write rate beside bare openpyxl.

Two groups (Cusco in soles, Chiang Mai in baht) of 5,000 makers; 1,000 assignments of 100 QC rows, so each maker
has 10 lines; and each group's November attendance sheet, 10,000 rows in all (a maker's day of training or a
course, hours present; both groups guarantee hours). ``compute`` is the pure domain (earnings per QC row with the
wage rule of its date, the attendance sheets' lines, guaranteed hours settled, the period's due lines, grouping,
the Pay sheet's statement); ``attendance`` is the attendance part of it alone. ``write`` is the payroll book for
each group: Summary, a Detail row per maker and product (30,000 here) and an Audit row per line (100,000); rows per
second count the Detail and Audit rows. ``bare`` appends the same values to a plain openpyxl workbook (no styles,
no text guard) and saves it, so the gap is what formatting and formula-safe text cost. ``compute_cpu_seconds`` is
the CPU time of ``compute`` (one thread, no I/O): on a machine other work keeps busy, the wall time also counts
the time spent waiting for a core.
"""

import io
import time
from datetime import date
from decimal import Decimal

from openpyxl import Workbook

from telar import payroll
from telar.attendance import attendance_earnings
from telar.models import Assignment, AssignmentLine, EarningLine, PayPeriod, QcRow, ReferenceData
from telar.models.attendance import Attendance, AttendanceDay
from telar.models.payroll import MakerProductPay
from telar.sheets.payroll_book import write_payroll_book
from tests.factories import CHIANG_MAI, CUSCO, make_group, make_maker, make_product, make_reference

MAKERS_PER_GROUP, ASSIGNMENTS_PER_GROUP, ROWS_PER_ASSIGNMENT = 5_000, 500, 100
SKUS = ("KNT-SCARF-ALP", "EMB-CUSHION", "SEW-TOTE")
AMOUNTS = ("piece_earnings", "hourly_base", "minimum_for_hours", "top_up", "total")
AUDIT = ("order_id", "assignment_id", "group_id", "worker_id", "sku", "inspected_on", "qc_upload", "units_passed")


def _workload() -> tuple[list[Assignment], ReferenceData]:
    groups = [make_group(g, guaranteed_hours_per_week=Decimal(20)) for g in (CUSCO, CHIANG_MAI)]
    makers = [
        make_maker(f"{g.group_id}-{i:05d}", group_id=g.group_id, first_name=f"Maker {i}")
        for g in groups
        for i in range(MAKERS_PER_GROUP)
    ]
    ref = make_reference(groups=groups, makers=makers, products=[make_product(s) for s in SKUS])
    assignments = []
    for g in groups:
        for j in range(ASSIGNMENTS_PER_GROUP):
            rows = []
            for k in range(ROWS_PER_ASSIGNMENT):
                worker = f"{g.group_id}-{(j * ROWS_PER_ASSIGNMENT + k) % MAKERS_PER_GROUP:05d}"
                passed = (j + k) % 7
                rows.append(
                    QcRow(
                        worker_id=worker,
                        sku=SKUS[(j + k) % len(SKUS)],
                        planned=passed,
                        produced=passed,
                        passed=passed,
                        rejected=0,
                        hours_worked=Decimal((j * k) % 40) / 2,
                    )
                )
            assignments.append(
                Assignment(
                    assignment_id=f"ord-{j:04d}-{g.group_id}",
                    order_id=f"ord-{j:04d}",
                    group_id=g.group_id,
                    due_date=date(2026, 11, 30),
                    lines=[AssignmentLine(sku=SKUS[0], quantity=1, per_maker={})],
                    qc_rows=rows,
                    qc_upload=f"qc/{g.group_id}-{j}.xlsx#v1",
                )
            )
    return assignments, ref


def _attendance(ref: ReferenceData) -> list[Attendance]:
    """Each group's November sheet: one row per maker, on one of the month's working days."""
    november = [date(2026, 11, d) for d in range(1, 31) if date(2026, 11, d).weekday() < 5]
    sheets = []
    for g in ref.groups:
        makers = [m.worker_id for m in ref.makers if m.group_id == g.group_id]
        days = tuple(
            AttendanceDay(
                worker_id=w,
                day=november[i % len(november)],
                present=Decimal(5),
                hours={("training", "course")[i % 2]: Decimal(2 + i % 3)},
            )
            for i, w in enumerate(makers)
        )
        sheets.append(Attendance(group_id=g.group_id, month="2026-11", days=days))
    return sheets


def _bare(lines: list[EarningLine]) -> int:
    """The same Detail and Audit rows as the payroll book, plainly; returns how many rows were written."""
    wb = Workbook()
    detail = wb.active
    audit = wb.create_sheet("Audit")
    rows = MakerProductPay.per_maker_product(lines)
    for pay in rows:
        x = pay.first
        detail.append(
            [x.group_id, x.group_id, x.worker_id, x.maker_name, x.currency, x.sku, ", ".join(pay.orders)]
            + [sum(y.units_passed for y in pay.lines), pay.total_of("hours_worked")]
            + [pay.total_of(a) for a in AMOUNTS]
        )
    for x in lines:
        audit.append([getattr(x, f) for f in AUDIT] + [x.hours_worked] + [getattr(x, a) for a in AMOUNTS])
    wb.save(io.BytesIO())
    return len(rows) + len(lines)


def run() -> dict[str, float]:
    assignments, ref = _workload()
    sheets = _attendance(ref)
    assert sum(len(sheet.days) for sheet in sheets) == 10_000
    november = PayPeriod(period="2026-11")
    started, cpu_started = time.perf_counter(), time.process_time()
    lines = [line for a in assignments for line in payroll.earnings_for(a, ref, date(2026, 11, 20))]
    timed = time.perf_counter()
    time_lines = [
        line for sheet in sheets for line in attendance_earnings(sheet, ref, f"attendance/{sheet.group_id}#1")
    ]
    attendance = time.perf_counter() - timed
    settled = payroll.settle_guarantees([*lines, *time_lines])
    groups = payroll.by_group(payroll.due_in(settled, november), ref)
    statements = [payroll.pay_statement([g], ref, november, date(2026, 12, 5), "Telar") for g in groups]
    compute, compute_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert len(lines) == 100_000 and len({(x.group_id, x.worker_id) for x in lines}) == 10_000
    assert sum(len(s.rows) for s in statements) == 10_000

    rows = sum(len(MakerProductPay.per_maker_product(g.lines)) + len(g.lines) for g in groups)
    started = time.perf_counter()
    for group_payroll in groups:
        write_payroll_book([group_payroll], period_label="pay period 2026-11")
    write = time.perf_counter() - started

    started = time.perf_counter()
    bare_rows = sum(_bare(group_payroll.lines) for group_payroll in groups)
    bare = time.perf_counter() - started
    assert bare_rows == rows
    return {
        "payroll.compute_seconds": round(compute, 3),
        "payroll.compute_cpu_seconds": round(compute_cpu, 3),
        "payroll.attendance_seconds": round(attendance, 3),
        "payroll.write_rows_per_second": round(rows / write, 1),
        "payroll.bare_openpyxl_rows_per_second": round(rows / bare, 1),
    }
