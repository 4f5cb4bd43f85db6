"""QC sheet parsing and validation end to end, beside a bare openpyxl read-only pass over the same file.

The sheet has 5,000 maker rows (500 makers x 10 products), filled in as a manager would. Both figures come
from the same bytes in the same run, best of three, so the ratio holds on a noisy machine.
"""

from io import BytesIO

import openpyxl

from bench._timing import best_of
from telar.models import AssignmentLine
from telar.qc import validate_qc
from telar.sheets.qc_sheet import read_qc_workbook
from telar.sheets.qc_template import write_qc_template
from tests.factories import (
    CUSCO,
    fill_qc_template,
    make_assignment,
    make_group,
    make_maker,
    make_product,
    make_reference,
)

MAKERS, PRODUCTS, ROUNDS = 500, 10, 3


def _sheet() -> tuple[bytes, object, object]:
    group = make_group(CUSCO)
    makers = [make_maker(f"CUS-{i:03d}", group_id=CUSCO, skills=("knitting",)) for i in range(MAKERS)]
    products = [make_product(f"KNT-{i:02d}", skill="knitting") for i in range(PRODUCTS)]
    ref = make_reference(groups=[group], makers=makers, products=products)
    lines = [
        AssignmentLine(sku=p.sku, quantity=2 * MAKERS, per_maker={m.worker_id: 2 for m in makers}) for p in products
    ]
    assignment = make_assignment(group_id=CUSCO, lines=lines)
    return fill_qc_template(write_qc_template(assignment, group, ref)), assignment, ref


def run() -> dict[str, float]:
    data, assignment, ref = _sheet()
    rows = MAKERS * PRODUCTS

    def validate() -> None:
        sheet = validate_qc(read_qc_workbook(data), assignment, ref)  # type: ignore[arg-type]
        assert len(sheet.rows) == rows

    def raw() -> None:
        workbook = openpyxl.load_workbook(BytesIO(data), read_only=True, data_only=True)
        count = sum(1 for _ in workbook["QC"].iter_rows(values_only=True))
        workbook.close()
        assert count >= rows

    return {
        "qc.rows_per_second": round(rows / best_of(ROUNDS, validate)),
        "qc.raw_openpyxl_rows_per_second": round(rows / best_of(ROUNDS, raw)),
    }
