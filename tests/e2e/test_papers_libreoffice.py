"""The work sheet and the QC template open in LibreOffice: converted to PDF headless, then read back.

Needs Debian's ``libreoffice-calc``, ``poppler-utils`` and ``fonts-thai-tlwg`` (installed by .ci/run); skips with a
message without the programs.
"""

import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from telar.allocation import split_order
from telar.models import Assignment, AssignmentLine, Order, ReferenceData
from telar.sheets.qc_template import write_qc_template
from telar.sheets.worksheet import write_worksheet
from tests.e2e.test_cards_print import thai_fonts_embedded
from tests.factories import make_order, make_order_line

TOOLS = ("soffice", "pdfinfo", "pdftotext", "pdffonts", "fc-list")
missing = [tool for tool in TOOLS if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    bool(missing),
    reason=f"needs {', '.join(missing)}: apt-get install --no-install-recommends libreoffice-calc poppler-utils "
    "(see .ci/run)",
)

TODAY = date(2026, 11, 23)
A4 = {(842, 595), (595, 842)}  # landscape and portrait, in points as pdfinfo rounds them


def _plan(ref: ReferenceData) -> tuple[Order, list[Assignment]]:
    order = make_order(
        buyer_reference="PO-LIBRE-7",
        requested_ship_date=TODAY + timedelta(days=90),
        lines=[
            make_order_line("KNT-SCARF-ALP", 60, options={"colour": "natural", "size": "M"}, notes="=SUM(A1)"),
            make_order_line("EMB-CUSHION", 40, notes="Hilo azul"),
            make_order_line("JWL-BRACELET-BEAD", 200),
            make_order_line("SEW-TOTE", 120),
        ],
    )
    return order, split_order(order, ref, TODAY).assignments


def _long(order: Order, ref: ReferenceData, group_id: str) -> Assignment:
    """Eight colours of beanies shared by every knitter of the group: a sheet of several pages."""
    knitters = [m.worker_id for m in ref.makers_of(group_id, "knitting")]
    lines = [
        AssignmentLine(
            sku="KNT-BEANIE",
            quantity=len(knitters) * 2,
            options={"colour": f"colour {i}"},
            per_maker=dict.fromkeys(knitters, 2),
        )
        for i in range(8)
    ]
    return Assignment(
        assignment_id=f"{order.order_id}-{group_id}-long",
        order_id=order.order_id,
        group_id=group_id,
        due_date=TODAY + timedelta(days=30),
        lines=lines,
    )


def _convert(files: list[Path], out: Path) -> None:
    command = [
        "soffice",
        f"-env:UserInstallation={(out / 'profile').as_uri()}",  # its own profile: no clash with a running office
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(out),
        *map(str, files),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=240)


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def _page_sizes(pdf: Path) -> set[tuple[int, int]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], check=True, capture_output=True, text=True)
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
    return {(round(float(w)), round(float(h))) for w, h in sizes}


def test_the_work_sheet_and_qc_template_print_from_libreoffice(sample_reference: ReferenceData, tmp_path: Path) -> None:
    # Given the papers of an order planned for Cusco (Spanish) and Chiang Mai (Thai), Cusco's over several pages
    order, assignments = _plan(sample_reference)
    by_group = {a.group_id: a for a in assignments}
    assert {"pe-cusco", "th-chiangmai"} <= set(by_group)
    cusco = by_group["pe-cusco"]
    cusco = cusco.model_copy(update={"lines": cusco.lines + _long(order, sample_reference, "pe-cusco").lines})
    by_group["pe-cusco"] = cusco
    files = []
    for group_id in ("pe-cusco", "th-chiangmai"):
        a, group = by_group[group_id], sample_reference.group(group_id)
        for name, data in (
            (f"worksheet-{group_id}.xlsx", write_worksheet(order, a, group, sample_reference)),
            (f"qc-{group_id}.xlsx", write_qc_template(a, group, sample_reference)),
        ):
            (tmp_path / name).write_bytes(data)
            files.append(tmp_path / name)

    # When LibreOffice converts them to PDF, headless
    _convert(files, tmp_path)

    # Then every file became A4 pages (tables landscape, the QC instructions portrait)
    for f in files:
        pdf = f.with_suffix(".pdf")
        assert pdf.exists(), f"LibreOffice did not convert {f.name}"
        assert _page_sizes(pdf) <= A4, f.name
    assert _page_sizes(tmp_path / "worksheet-pe-cusco.pdf") == {(842, 595)}

    # And Cusco's work sheet is in Spanish, one page wide, with the column headings on every page
    pages = _pages(tmp_path / "worksheet-pe-cusco.pdf")
    assert len(pages) >= 2, "a long work sheet should run over several pages"
    text = "\n".join(pages)
    assert "Hoja de trabajo" in pages[0] and "PO-LIBRE-7" in pages[0] and cusco.assignment_id in pages[0]
    assert all("Artesana" in page and "Cantidad" in page for page in pages)
    assert "=SUM(A1)" in text  # a buyer's note stays text, never a formula
    makers = {m.worker_id: m.first_name for m in sample_reference.makers}
    for line in cusco.lines:
        assert line.sku[:10] in text  # a long SKU wraps within its cell
        for worker_id in line.per_maker:
            assert worker_id in text and makers[worker_id] in text
    # every sheet is fitted to the page width: the last column's heading is on each page, not on a page of its own
    assert all("Hecho" in page for page in pages)

    # And the QC template keeps the contract's labels, the maker rows and its instructions sheet
    qc_text = "\n".join(_pages(tmp_path / "qc-pe-cusco.pdf"))
    for label in ("Assignment ID", "Worker ID", "SKU", "Planned", "Produced", "Passed", "Hours worked", "Inspected by"):
        assert all(word in qc_text for word in label.split()), label  # a heading may wrap in its cell
    assert cusco.assignment_id in qc_text and "Cómo llenar esta hoja" in qc_text

    # And Chiang Mai's papers carry their own assignment, their Thai words drawn in a font that has Thai letters
    chiang_mai = by_group["th-chiangmai"].assignment_id
    for paper, thai in (("worksheet", "ใบงานการผลิต"), ("qc", "วิธีกรอกใบตรวจสอบคุณภาพนี้")):
        pdf = tmp_path / f"{paper}-th-chiangmai.pdf"
        text = "\n".join(_pages(pdf))
        assert chiang_mai in text and thai in text, paper
        assert thai_fonts_embedded(pdf), f"{paper}: no Thai font: apt-get install fonts-thai-tlwg (see .ci/run)"
