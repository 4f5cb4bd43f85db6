"""InsertCards: photos resized once and cached in the artifacts bucket, consent by date, bad photos never fail."""

import base64
import re
from datetime import UTC, datetime

import pytest

from telar.artifacts import PHOTO_CACHE
from telar.capacity import PlanWrite
from telar.cards import CardOptions
from telar.models import Buyer, ReferenceData
from telar.ports import Ports
from telar.stages.insert_cards import make_cards, read_card_options
from tests.conftest import SAMPLES, import_sample_reference
from tests.factories import make_assignment, make_order, make_qc_row
from tests.fakes import MemoryObjects

BUYER = Buyer(buyer_id="buyer-cards", name="Tienda Sol", email="compras@example.org", language="es")
NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)
# Cusco makers: full consent with photo (01), name only (04), alias + photo + story (06),
# photo withdrawn in September (13); Ayacucho 05 agreed to a photo that was never uploaded.
ROWS = {"CUS-01": 3, "CUS-04": 2, "CUS-06": 1, "CUS-13": 2, "AYA-05": 2}


@pytest.fixture
def order_id(ports: Ports, sample_reference: ReferenceData) -> str:
    import_sample_reference(ports)
    ports.auth.put_buyer(BUYER, "hash-of-cards-key")
    order = make_order("ord-cards-0001", buyer_id=BUYER.buyer_id, buyer_reference="OC-<b>7</b>")
    ports.orders.create_order(order)
    assignments = [
        make_assignment(
            order,
            group_id,
            qc_rows=[
                make_qc_row(w, "KNT-SCARF-ALP", planned=n, produced=n, passed=n)
                for w, n in ROWS.items()
                if w.startswith(prefix)
            ],
        )
        for group_id, prefix in (("pe-cusco", "CUS"), ("pe-ayacucho", "AYA"))
    ]
    ports.assignments.create_assignments(PlanWrite(order.order_id, assignments))
    for maker in sample_reference.makers:
        path = SAMPLES / "photos" / (maker.photo_file or "-")
        if path.exists():
            ports.uploads.put(f"photos/{maker.photo_file}", path.read_bytes(), "image/png")
    return order.order_id


def _cache_versions(ports: Ports) -> dict[str, int]:
    """How many times each cached photo was written."""
    assert isinstance(ports.artifacts, MemoryObjects)
    return {key: len(bodies) for key, bodies in ports.artifacts.versions.items() if key.startswith(PHOTO_CACHE)}


def test_cards_follow_consent_and_embed_resized_photos(ports: Ports, order_id: str) -> None:
    # Given an order whose makers gave different consents, one withdrew her photo, one photo never arrived
    # When the cards are made
    key, count = make_cards(ports, order_id, generated_at=NOW)
    html = ports.artifacts.get(key).decode()
    # Then one card per passed unit, in Spanish, with the order reference escaped
    assert count == sum(ROWS.values()) == len(re.findall(r'<article class="card', html))
    assert '<html lang="es">' in html
    assert "OC-&lt;b&gt;7&lt;/b&gt;" in html
    # and only the two makers who agree to a photo today have one: resized JPEGs, each embedded once
    images = re.findall(r'<image id="(photo-\d+)" href="data:image/jpeg;base64,([^"]+)"', html)
    assert len(images) == 2
    assert all(len(base64.b64decode(data)) < 60_000 for _, data in images)
    photo_of = {w: re.search(rf'data-worker="{w}">\s*(<svg class="photo")?', html) for w in ROWS}
    assert {w for w, m in photo_of.items() if m and m.group(1)} == {"CUS-01", "CUS-06"}
    # CUS-13's photo is still in the bucket, and her name (consented) is printed without it
    assert ports.uploads.head("photos/cusco-13.png") is not None
    assert "Hecho por Celia" in html


def test_photos_are_resized_once_and_reused_on_a_rerun(ports: Ports, order_id: str) -> None:
    # Given cards made once
    make_cards(ports, order_id, generated_at=NOW)
    first = _cache_versions(ports)
    # When the stage runs again (a Step Functions retry)
    key, _ = make_cards(ports, order_id, generated_at=NOW)
    # Then the cached photos were reused, not written again
    assert list(first.values()) == [1, 1]
    assert _cache_versions(ports) == first
    assert key == f"cards/{order_id}/cards.html"


def test_a_broken_photo_gives_a_card_without_it_and_the_order_goes_on(ports: Ports, order_id: str) -> None:
    # Given a maker's photo replaced by something that is not an image
    ports.uploads.put("photos/cusco-01.png", b"<html>not a photo</html>", "image/png")
    # When the cards are made
    key, count = make_cards(ports, order_id, generated_at=NOW)
    html = ports.artifacts.get(key).decode()
    # Then every unit still has a card, and only CUS-06 has a photo
    assert count == sum(ROWS.values())
    assert len(re.findall(r"<image id=", html)) == 1
    assert "not a photo" not in html


def test_card_options_come_from_the_template_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the function's environment with the template's defaults (no story page: an empty URL)
    for name, value in {"CARDS_PAPER": "A4", "CARDS_PER": "unit", "CARDS_STORY_URL": ""}.items():
        monkeypatch.setenv(name, value)
    # Then the options are the defaults, without a QR code
    assert read_card_options() == CardOptions.model_validate({"paper": "A4", "per": "unit", "story_url": None})
    # And an organisation's own choices are read as given
    monkeypatch.setenv("CARDS_PAPER", "Letter")
    monkeypatch.setenv("CARDS_PER", "maker_product")
    monkeypatch.setenv("CARDS_STORY_URL", "https://example.org/stories")
    chosen = read_card_options()
    assert (chosen.paper, chosen.per, str(chosen.story_url)) == (
        "Letter",
        "maker_product",
        "https://example.org/stories",
    )
    # And a story page that is not a web address is refused with a clear error
    monkeypatch.setenv("CARDS_STORY_URL", "javascript:alert(1)")
    with pytest.raises(ValueError, match="URL"):
        read_card_options()
