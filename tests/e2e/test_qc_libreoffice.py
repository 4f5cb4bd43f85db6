"""A QC sheet filled in with the defects in Spanish and re-saved by LibreOffice is read and accepted.

Managers in the workshops use LibreOffice as often as Excel: the sheet she uploads is LibreOffice's own .xlsx,
not the one Telar wrote. Needs Debian's ``libreoffice-calc`` (installed by .ci/run); skips with a message otherwise.
"""

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from telar.models import ReferenceData
from telar.qc import validate_qc
from telar.sheets.qc_sheet import read_qc_workbook
from telar.sheets.qc_template import write_qc_template
from tests.factories import fill_qc_template, make_assignment, make_order, make_order_line

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="needs soffice: apt-get install --no-install-recommends libreoffice-calc (see .ci/run)",
)


def _resave(source: Path, out: Path) -> Path:
    """``source`` opened and saved again as .xlsx by LibreOffice, headless, with a profile of its own."""
    out.mkdir()
    command = [
        "soffice",
        f"-env:UserInstallation={(out / 'profile').as_uri()}",
        "--headless",
        "--convert-to",
        "xlsx",
        "--outdir",
        str(out),
        str(source),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=240)
    return out / source.name


@pytest.mark.parametrize(
    ("group_id", "defects", "codes"),
    [
        ("pe-cusco", "Hilo suelto, Punto caído", ("LOOSE_THREAD", "DROPPED_STITCH")),
        ("th-chiangmai", "ด้ายหลุด; คราบเปื้อน", ("LOOSE_THREAD", "STAIN")),
    ],
)
def test_a_qc_sheet_with_defects_in_her_language_resaved_by_libreoffice_is_accepted(
    sample_reference: ReferenceData, tmp_path: Path, group_id: str, defects: str, codes: tuple[str, ...]
) -> None:
    # Given her group's QC template, filled in with rejects named in her language
    order = make_order(lines=[make_order_line("KNT-SCARF-ALP", 10)], requested_ship_date=date(2026, 12, 30))
    makers = [m.worker_id for m in sample_reference.makers_of(group_id)][:2]
    assignment = make_assignment(order, group_id=group_id, worker_ids=makers)
    template = write_qc_template(assignment, sample_reference.group(group_id), sample_reference)
    filled = fill_qc_template(
        template,
        {(makers[0], "KNT-SCARF-ALP"): {"Rejected": 2, "Defect codes": defects}},
        inspected_on=date(2026, 12, 4),
    )
    (tmp_path / "qc.xlsx").write_bytes(filled)

    # When LibreOffice opens it and saves it again as .xlsx
    resaved = _resave(tmp_path / "qc.xlsx", tmp_path / "libreoffice")
    assert resaved.read_bytes() != filled  # really LibreOffice's file

    # Then it is accepted, the defects stored as their codes
    sheet = validate_qc(read_qc_workbook(resaved.read_bytes()), assignment, sample_reference)
    first = next(r for r in sheet.rows if r.worker_id == makers[0])
    assert (first.rejected, first.defect_codes) == (2, codes)
    assert sheet.inspected_on == date(2026, 12, 4)
