"""Write placeholder portraits for the sample makers who agreed to a photo.

These are drawings, never pictures of real people: a soft background, a stylised head-and-shoulders
silhouette without a face, in a few flat colours. Each picture is seeded by its file name, so running
the script again writes the same bytes. Only the standard library is used (zlib + struct write the PNG).

Usage::

    python samples/make_photos.py            # reads samples/reference.json, writes samples/photos/*.png

One maker's ``photo_file`` is left out on purpose (``DELIBERATELY_MISSING``): the insert cards must cope
with a photo that was agreed to but never arrived.
"""

from __future__ import annotations

import argparse
import json
import random
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT = 240, 300

# A maker consented and has a photo_file, but the file is not there: exercises the missing-photo path.
DELIBERATELY_MISSING = frozenset({"ayacucho-05.png"})

RGB = tuple[int, int, int]

BACKGROUNDS: list[RGB] = [
    (244, 226, 216),
    (222, 236, 226),
    (226, 232, 244),
    (246, 238, 214),
    (236, 224, 240),
    (220, 238, 238),
    (248, 230, 226),
    (232, 240, 220),
]
SKIN: list[RGB] = [(141, 93, 66), (167, 114, 82), (190, 138, 99), (120, 80, 58), (205, 160, 120)]
HAIR: list[RGB] = [(33, 26, 24), (52, 38, 30), (24, 22, 26), (70, 48, 36), (92, 86, 84)]
CLOTHES: list[RGB] = [
    (178, 58, 72),
    (46, 94, 140),
    (56, 124, 98),
    (196, 120, 40),
    (112, 70, 140),
    (160, 80, 50),
    (40, 110, 120),
]
ACCENTS: list[RGB] = [(240, 196, 60), (250, 246, 236), (220, 90, 110), (90, 180, 200), (120, 190, 110)]

Shape = Callable[[int, int], bool]


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> Shape:
    return lambda x, y: ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0


def _rect(x0: float, y0: float, x1: float, y1: float) -> Shape:
    return lambda x, y: x0 <= x <= x1 and y0 <= y <= y1


def portrait(seed: str) -> list[bytearray]:
    """Return the RGB rows of one stylised portrait chosen by ``seed``."""
    rnd = random.Random(seed)
    background = rnd.choice(BACKGROUNDS)
    halo = tuple(min(255, c + 10) for c in background)
    skin = rnd.choice(SKIN)
    neck = tuple(max(0, c - 18) for c in skin)
    hair = rnd.choice(HAIR)
    clothes = rnd.choice(CLOTHES)
    accent = rnd.choice(ACCENTS)
    style = rnd.choice(["long", "bun", "braids", "short"])
    cx = WIDTH / 2 + rnd.randint(-6, 6)
    head_cy, head_rx, head_ry = 122 + rnd.randint(-4, 4), 44 + rnd.randint(-3, 3), 54 + rnd.randint(-3, 3)
    band_y = 250 + rnd.randint(-6, 6)
    zig = rnd.choice([6, 8, 10])

    head = _ellipse(cx, head_cy, head_rx, head_ry)
    cap = _ellipse(cx, head_cy - 6, head_rx + 5, head_ry + 2)
    hairline = head_cy - head_ry * 0.35

    def hair_cap(x: int, y: int) -> bool:
        return cap(x, y) and (y < hairline or not head(x, y))

    hair_back: Shape
    if style == "long":
        hair_back = _ellipse(cx, head_cy + 30, head_rx + 14, head_ry + 44)
    elif style == "bun":
        bun = _ellipse(cx, head_cy - head_ry - 6, 24, 20)
        hair_back = lambda x, y: bun(x, y) or cap(x, y)  # noqa: E731
    elif style == "braids":
        left = _rect(cx - head_rx - 6, head_cy - 10, cx - head_rx + 10, head_cy + 120)
        right = _rect(cx + head_rx - 10, head_cy - 10, cx + head_rx + 6, head_cy + 120)
        hair_back = lambda x, y: left(x, y) or right(x, y)  # noqa: E731
    else:
        hair_back = _ellipse(cx, head_cy - 4, head_rx + 7, head_ry + 4)

    body = _ellipse(cx, HEIGHT + 34, 122, 112)
    neck_shape = _rect(cx - 17, head_cy + head_ry - 14, cx + 17, HEIGHT)

    def band(x: int, y: int) -> bool:
        # a woven zigzag across the chest, the kind of border the makers knit and embroider
        offset = abs((x % (2 * zig)) - zig)
        return body(x, y) and band_y + offset <= y <= band_y + offset + 7

    halo_shape = _ellipse(cx, head_cy + 10, 96, 104)
    # painted from the top layer down: the first shape that holds wins
    layers: list[tuple[Shape, tuple[int, ...]]] = [
        (band, accent),
        (hair_cap, hair),
        (head, skin),
        (body, clothes),
        (neck_shape, neck),
        (hair_back, hair),
        (halo_shape, halo),
    ]
    rows: list[bytearray] = []
    for y in range(HEIGHT):
        row = bytearray()
        for x in range(WIDTH):
            colour = next((c for shape, c in layers if shape(x, y)), background)
            row += bytes(colour)
        rows.append(row)
    return rows


def png_bytes(rows: list[bytearray]) -> bytes:
    """Encode 8-bit RGB rows as a PNG (filter 0 on every row)."""
    height, width = len(rows), len(rows[0]) // 3

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def wanted_photos(reference: dict) -> list[str]:
    """The photo files of makers who ever agreed to a photo, minus the one left out on purpose.

    A maker who withdrew keeps her file here, so the samples show that the cards go by the consent date.
    """
    return sorted(
        m["photo_file"]
        for m in reference["makers"]
        if any(c["photo"] for c in m.get("consent", ()))
        and m.get("photo_file")
        and m["photo_file"] not in DELIBERATELY_MISSING
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=HERE / "reference.json")
    parser.add_argument("--out", type=Path, default=HERE / "photos")
    args = parser.parse_args()
    reference = json.loads(args.reference.read_text(encoding="utf-8"))
    args.out.mkdir(parents=True, exist_ok=True)
    for name in wanted_photos(reference):
        data = png_bytes(portrait(name))
        (args.out / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
