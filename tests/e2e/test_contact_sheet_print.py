"""A group's contact sheet, printed as the manager prints it: headless Chromium to PDF, then read back.

Needs Debian's ``chromium``, ``poppler-utils`` and ``fonts-thai-tlwg`` (installed by .ci/run); skips with a message
without the programs.
"""

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from telar import contact_sheets, photos
from telar.models import ReferenceData
from tests.conftest import SAMPLES
from tests.e2e.test_cards_print import _images_per_page, _page_texts, _print_to_pdf, thai_fonts_embedded

TOOLS = ("chromium", "pdfinfo", "pdftotext", "pdfimages", "pdffonts", "fc-list")
missing = [tool for tool in TOOLS if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    bool(missing), reason=f"needs {', '.join(missing)}: apt-get install chromium poppler-utils (see .ci/run)"
)


def _print_contact_sheet(group_id: str, tmp_path: Path, missing: str = "") -> Path:
    """The group's contact sheet from the sample makers, as Chromium prints it (``missing``: a photo file gone)."""
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text(encoding="utf-8"))
    group = ref.group(group_id)
    makers = contact_sheets.makers_to_choose(ref, group.group_id, date(2026, 11, 23))
    files = contact_sheets.photo_files(makers)
    loaded = {f: photos.to_print((SAMPLES / "photos" / f).read_bytes()) for f in files if f != missing}
    html = contact_sheets.render_contact_sheet(group, makers, loaded)
    (tmp_path / "sheet.html").write_text(html, encoding="utf-8")
    _print_to_pdf(tmp_path / "sheet.html", tmp_path / "sheet.pdf", tmp_path / "profile")
    return tmp_path / "sheet.pdf"


def test_cusco_s_contact_sheet_prints_on_a4_with_each_option_numbered(tmp_path: Path) -> None:
    # Given Cusco's sample makers with photo options (Carmen: 2, Sumaq: 3), one option's file gone
    # When Chromium prints the group's contact sheet to PDF
    _print_contact_sheet("pe-cusco", tmp_path, missing="cusco-09.png")
    # Then it is one A4 page (595 x 842 pt)
    info = subprocess.run(["pdfinfo", str(tmp_path / "sheet.pdf")], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    assert re.search(r"^Page size:\s+59[45]\.\d+ x 841\.\d+ pts \(A4\)", info, re.M), info
    # And it reads in Spanish, names each maker by the name she is known by, shows 4 photos and one missing box
    [text] = _page_texts(tmp_path / "sheet.pdf")
    assert "Elige tu foto para la tarjeta" in text and "Sumaq" in text and "Carmen" in text
    assert "CUS-01" in text and "CUS-06" in text and "Falta la foto 3" in text
    assert text.count("Número elegido") == 2
    assert _images_per_page(tmp_path / "sheet.pdf") == {1: 4}


def test_chiang_mai_s_contact_sheet_prints_in_thai_with_a_thai_font(tmp_path: Path) -> None:
    # Given Chiang Mai's sample maker with three photo options, in a Thai-speaking group
    # When Chromium prints the group's contact sheet to PDF
    pdf = _print_contact_sheet("th-chiangmai", tmp_path)
    # Then the Thai reads back and is drawn in a font that has Thai letters, not as empty boxes
    [text] = _page_texts(pdf)
    assert "เลือกรูปของคุณสำหรับบัตรสินค้า" in text and "CMI-03" in text
    assert thai_fonts_embedded(pdf), "no Thai font: apt-get install fonts-thai-tlwg (see .ci/run)"
    assert _images_per_page(pdf) == {1: 3}
