"""Insert cards: build and render 1,000 printed cards from the sample makers, photos already cached.

``cards.per_second`` times :func:`telar.cards.build_cards` plus :func:`telar.cards.render_print_sheet` (one
card per unit, A4, QR code on) for 1,000 units spread over every sample maker, with the print-size photos
already at hand (as the S3 cache gives them); the median of several runs. ``cards.photo_resize_ms`` is the
one-off cost the cache saves: one 12-megapixel phone JPEG brought down to print size.
"""

import statistics
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from PIL import Image

from telar import cards, photos
from telar.models import QcRow, ReferenceData

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
UNITS = 1_000
RUNS = 5
NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)


def _rows(ref: ReferenceData) -> list[tuple[str, QcRow]]:
    """1,000 passed units over every maker and two products, as a large order's accepted QC sheets."""
    skus = [p.sku for p in ref.products][:2]
    slots = [(m, sku) for m in ref.makers for sku in skus]
    share, extra = divmod(UNITS, len(slots))
    rows = []
    for i, (maker, sku) in enumerate(slots):
        n = share + (1 if i < extra else 0)
        rows.append(
            (
                maker.group_id,
                QcRow(
                    worker_id=maker.worker_id, sku=sku, planned=n, produced=n, passed=n, rejected=0, hours_worked=n * 4
                ),
            )
        )
    return rows


def _phone_photo() -> bytes:
    image = Image.linear_gradient("L").resize((3000, 4000)).convert("RGB")
    out = BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def run() -> dict[str, float]:
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text(encoding="utf-8"))
    rows = _rows(ref)
    needed = cards.photo_files_needed(rows, ref, NOW)
    cached = {
        w: photos.to_print((SAMPLES / "photos" / f).read_bytes())
        for w, f in needed.items()
        if (SAMPLES / "photos" / f).exists()
    }
    options = cards.CardOptions(story_url="https://example.org/stories")

    timings, html = [], ""
    for _ in range(RUNS):
        start = time.perf_counter()
        built = cards.build_cards(rows, ref, cached, "es", NOW)
        html = cards.render_print_sheet(built, title="bench", options=options, generated_at=NOW)
        timings.append(time.perf_counter() - start)
    assert sum(c.copies for c in built) == UNITS

    source = _phone_photo()
    resize = []
    for _ in range(3):
        start = time.perf_counter()
        photos.to_print(source)
        resize.append(time.perf_counter() - start)

    return {
        "cards.per_second": UNITS / statistics.median(timings),
        "cards.sheet_kilobytes": len(html.encode()) / 1000,
        "cards.photo_resize_ms": statistics.median(resize) * 1000,
    }
