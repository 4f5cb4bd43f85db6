"""Attendance end to end (issue 15): a manager's sheet uploaded under attendance/ on the served local cloud goes
S3 -> SQS -> AttendanceUploadFunction, is answered in her language, refused a second time for the same month, and
the on-demand pay run of that month pays the time on the Pay sheet finance pays from."""

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from openpyxl import load_workbook

from local.demo import client_options
from telar.models import ReferenceData
from tests.attendance_sheets import fill_attendance
from tests.conftest import SAMPLES
from tests.e2e.conftest import wait_for_mails

pytestmark = pytest.mark.e2e

MONTH = "2026-09"  # no other e2e test pays it: its run pays only this sheet's lines


def test_an_uploaded_attendance_sheet_is_answered_once_and_paid_by_the_months_run(served: dict[str, Any]) -> None:
    # Given Taller Aurora's September sheet: LIM-01 at a training (3 h) and LIM-02 at a course (2 h)
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text())
    sheet = fill_attendance(
        ref,
        "pe-lima",
        MONTH,
        {
            ("LIM-01", date(2026, 9, 7)): {"Present": 4, "Training": 3},
            ("LIM-02", date(2026, 9, 8)): {"Course": 2},
        },
    )
    s3 = boto3.client("s3", **client_options(served))
    outbox = Path(served["outbox_dir"])
    # When the manager uploads it under attendance/
    s3.put_object(Bucket=served["uploads_bucket"], Key="attendance/Lima – asistencia setiembre.xlsx", Body=sheet)
    # Then she gets one receipt, in Spanish, with the hours
    [receipt] = wait_for_mails(outbox, f"hoja de asistencia aceptada — Taller Aurora, {MONTH}", seconds=60)
    text = receipt.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert receipt["To"] == "ana.torres@example.org" and "- capacitación: 3.00 h" in text
    # When she uploads another sheet for the same month
    s3.put_object(Bucket=served["uploads_bucket"], Key="attendance/Lima – asistencia v2.xlsx", Body=sheet)
    # Then it is refused at its Month cell, naming the sheet recorded
    [refused] = wait_for_mails(outbox, "la hoja de asistencia necesita correcciones — Lima – asistencia v2.xlsx")
    assert "asistencia setiembre.xlsx" in refused.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # When September is paid, on demand
    lambda_ = boto3.client("lambda", **client_options(served))
    reply = lambda_.invoke(FunctionName=served["functions"]["PayPeriodFunction"], Payload=json.dumps({"period": MONTH}))
    run = json.loads(reply["Payload"].read())
    assert "FunctionError" not in reply, run
    # Then the Pay sheet pays the training and the course at the group's rate (6.00 an hour, above the minimum)
    [mail] = wait_for_mails(outbox, f"payroll for pay period {MONTH}", seconds=30)
    [book] = [p.get_payload(decode=True) for p in mail.iter_attachments() if p.get_filename().startswith("payroll-")]
    pay = load_workbook(io.BytesIO(book))["Pay"]
    header = [c.value for c in pay[7]]
    rows = {r[0]: dict(zip(header, r, strict=False)) for r in pay.iter_rows(min_row=8, values_only=True) if r[1]}
    assert rows["LIM-01"]["Paid time (not pieces)"] == 18 and rows["LIM-01"]["Hours"] == 3
    assert rows["LIM-02"]["Paid time (not pieces)"] == 12 and rows["LIM-02"]["Minimum-wage top-up"] == 0
    assert Decimal(str(rows["LIM-01"]["Total to pay"])) + Decimal(str(rows["LIM-02"]["Total to pay"])) == Decimal(
        run["totals"]["pe-lima PEN"]
    )
