"""The insert cards print sheet, printed as a person would: headless Chromium to PDF, then read back.

Needs Debian's ``chromium`` and ``poppler-utils`` (installed by .ci/run); skips with a message otherwise.
"""

import re
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from telar import cards, photos
from telar.models import QcRow, ReferenceData
from tests.conftest import SAMPLES

TOOLS = ("chromium", "pdfinfo", "pdftotext", "pdfimages")
missing = [tool for tool in TOOLS if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    bool(missing), reason=f"needs {', '.join(missing)}: apt-get install chromium poppler-utils (see .ci/run)"
)

NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)
# 11 units, sorted by group then worker: Ayacucho's Flor (photo agreed, never uploaded) x2, then Cusco's
# Carmen (photo) x3, Sonia (name only) x2, a maker who agreed to nothing x1 -> page 1;
# Sumaq (alias and photo) x2, Celia (withdrew her photo in September) x1 -> page 2.
UNITS = {"AYA-05": 2, "CUS-01": 3, "CUS-04": 2, "CUS-05": 1, "CUS-06": 2, "CUS-13": 1}


def _print_to_pdf(html: Path, pdf: Path, profile: Path) -> None:
    command = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        html.as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def _page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


def _images_per_page(pdf: Path) -> Counter[int]:
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    # soft masks (smask) belong to the image before them; only real images count
    return Counter(int(row[0]) for row in rows if row[2] == "image")


def thai_fonts_embedded(pdf: Path) -> set[str]:
    """The fonts embedded in ``pdf`` that can write Thai (fontconfig's list; Debian's fonts-thai-tlwg, see .ci/run).

    Without one, Chromium and LibreOffice print Thai as empty boxes, and pdftotext may still read the text back.
    """
    families = subprocess.run(["fc-list", ":lang=th", "family"], check=True, capture_output=True, text=True).stdout
    thai = {name.replace(" ", "") for line in families.splitlines() for name in line.split(",")}
    listing = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    embedded = {line.split()[0].partition("+")[2].partition("-")[0] for line in listing.splitlines()[2:] if "+" in line}
    return embedded & thai


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[cards.Card], str, Path]:
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text(encoding="utf-8"))
    rows = [
        (
            "pe-ayacucho" if w.startswith("AYA") else "pe-cusco",
            QcRow(worker_id=w, sku="KNT-SCARF-ALP", planned=n, produced=n, passed=n, rejected=0, hours_worked=n * 4),
        )
        for w, n in UNITS.items()
    ]
    needed = cards.photo_files_needed(rows, ref, NOW)
    loaded = {
        w: photos.to_print((SAMPLES / "photos" / f).read_bytes())
        for w, f in needed.items()
        if (SAMPLES / "photos" / f).exists()
    }
    built = cards.build_cards(rows, ref, loaded, "es", NOW)
    html = cards.render_print_sheet(built, title="Tarjetas — OC-2027-031", generated_at=NOW)
    folder = tmp_path_factory.mktemp("cards")
    (folder / "cards.html").write_text(html, encoding="utf-8")
    _print_to_pdf(folder / "cards.html", folder / "cards.pdf", folder / "profile")
    return built, html, folder / "cards.pdf"


def test_print_sheet_prints_on_two_a4_pages_with_every_card(printed) -> None:
    # Given 11 passed units printed from Chromium at 8 cards a page
    _, _, pdf = printed
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    # Then there are two A4 pages, not a blank third one
    assert re.search(r"^Pages:\s+2$", info, re.M), info
    assert re.search(r"^Page size:\s+59[45]\.\d+ x 841\.\d+ pts \(A4\)", info, re.M), info
    # and each page shows its cards' bylines as often as those cards are printed
    first, second = _page_texts(pdf)
    assert first.count("Hecho por Flor") == 2
    assert first.count("Hecho por Carmen") == 3
    assert first.count("Hecho por Sonia") == 2
    assert first.count("Hecho por las mujeres de Taller Cusco") == 1
    assert second.count("Hecho por Sumaq") == 2
    assert second.count("Hecho por Celia") == 1
    assert "Hoja 1/2" in first and "Hoja 2/2" in second


def test_photos_print_where_consent_and_a_photo_allow_and_nowhere_else(printed) -> None:
    # Given the printed PDF
    built, _, pdf = printed
    # Then Carmen's 3 cards carry a photo on page 1, and Sumaq's 2 on page 2; Flor's never arrived,
    # Celia withdrew hers, Sonia and the unnamed maker never agreed
    assert _images_per_page(pdf) == Counter({1: 3, 2: 2})
    with_photo = {c.worker_id for c in built if c.photo_data_uri}
    assert with_photo == {"CUS-01", "CUS-06"}
    # and nothing withheld reached the paper: not Sumaq's first name, not the unnamed maker's
    text = "".join(_page_texts(pdf))
    assert "Teresa" not in text and "Hilda" not in text


def test_letter_paper_with_counts_and_qr_codes_prints_on_one_letter_page(tmp_path: Path) -> None:
    # Given an organisation on Letter paper, printing one card per maker and product, with a story page
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text(encoding="utf-8"))
    rows = [
        (
            "pe-cusco",
            QcRow(worker_id=w, sku="KNT-SCARF-ALP", planned=n, produced=n, passed=n, rejected=0, hours_worked=8),
        )
        for w, n in (("CUS-04", 40), ("CUS-08", 25))
    ]
    built = cards.build_cards(rows, ref, {}, "en", NOW)
    options = cards.CardOptions(paper="Letter", per="maker_product", story_url="https://example.org/stories")
    (tmp_path / "cards.html").write_text(cards.render_print_sheet(built, title="t", options=options), encoding="utf-8")
    # When it is printed
    _print_to_pdf(tmp_path / "cards.html", tmp_path / "cards.pdf", tmp_path / "profile")
    # Then 65 units fit on one Letter page: two cards, each with its count to print
    info = subprocess.run(["pdfinfo", str(tmp_path / "cards.pdf")], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    assert re.search(r"^Page size:\s+612(\.\d+)? x 792(\.\d+)? pts \(letter\)", info, re.M), info
    [page] = _page_texts(tmp_path / "cards.pdf")
    assert "print 40" in page and "print 25" in page
    assert page.count("Made by Sonia") == page.count("Made by Delia") == 1
