"""A production manager, simulated: fills in a QC template the way staff do in a spreadsheet program.

Works only from the QC sheet format in docs/spreadsheets.md (labels, any column order), not from how Telar
happens to lay the template out, so the demo and the e2e tests exercise the contract itself.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

HEADERS = ("worker id", "sku", "planned", "produced", "passed", "rejected", "defect codes", "hours worked")


@dataclass(frozen=True)
class RowResult:
    produced: int
    rejected: int
    defect_codes: str
    hours_worked: Decimal


def _label_cell(ws: Worksheet, label: str) -> tuple[int, int]:
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip().lower() == label.lower():
                return cell.row, cell.column
    raise LookupError(f"no cell labelled {label!r} in {ws.title}")


def read_assignment_id(data: bytes) -> str:
    ws = _qc_sheet(load_workbook(io.BytesIO(data)))
    r, c = _label_cell(ws, "Assignment ID")
    return str(ws.cell(r, c + 1).value).strip()


def _qc_sheet(wb: object) -> Worksheet:
    sheets = wb.worksheets  # type: ignore[attr-defined]
    return next((ws for ws in sheets if ws.title.lower() == "qc"), sheets[0])


def fill_qc_sheet(template: bytes, inspector: str, on: date, result_for: Callable[[str, str, int], RowResult]) -> bytes:
    """Fill every maker row of a QC template; ``result_for(worker_id, sku, planned)`` decides the counts."""
    wb = load_workbook(io.BytesIO(template))
    ws = _qc_sheet(wb)
    header_row, _ = _label_cell(ws, "Worker ID")
    columns = {
        str(c.value).strip().lower(): c.column
        for c in ws[header_row]
        if isinstance(c.value, str) and c.value.strip().lower() in HEADERS
    }
    for r in range(header_row + 1, ws.max_row + 1):
        worker_id = ws.cell(r, columns["worker id"]).value
        if not worker_id:
            continue
        planned = int(ws.cell(r, columns["planned"]).value or 0)
        result = result_for(str(worker_id), str(ws.cell(r, columns["sku"]).value), planned)
        ws.cell(r, columns["produced"]).value = result.produced
        ws.cell(r, columns["passed"]).value = result.produced - result.rejected
        ws.cell(r, columns["rejected"]).value = result.rejected
        ws.cell(r, columns["defect codes"]).value = result.defect_codes or None
        ws.cell(r, columns["hours worked"]).value = float(result.hours_worked)
    for label, value in (("Inspected by", inspector), ("Date", on)):
        r, c = _label_cell(ws, label)
        ws.cell(r, c + 1).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
