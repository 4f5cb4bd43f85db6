"""Makers' photos at print size: resized once per uploaded version, then reused from a cache in S3.

Staff upload photos of any size to ``photos/`` in the uploads bucket. A card prints the photo at
22 x 27.5 mm, so 300 dpi needs 260 x 325 pixels: a small JPEG that the print sheet embeds cheaply.
The resized copy is stored in the artifacts bucket under a key derived from the source key, its S3
version (or ETag) and the rendition, so a new upload or a new print size is resized again and a
re-run (Step Functions retries, a second order) reuses it.

A missing or unreadable photo is not an error: the card is printed without it (see telar.cards).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING, Protocol

from telar.artifacts import PHOTOS, photo_cache_key
from telar.errors import TelarError

if TYPE_CHECKING:  # the domain never imports boto3; only the shape of a stored object
    from PIL.Image import Image as PILImage

    from telar.adapters.storage import StoredObject

PRINT_SIZE = (260, 325)  # 22 x 27.5 mm at 300 dpi, the card's photo box
JPEG_QUALITY = 85
RENDITION = f"{PRINT_SIZE[0]}x{PRINT_SIZE[1]}-q{JPEG_QUALITY}-v1"  # part of the cache key: change it to re-render
MAX_SOURCE_BYTES = 25_000_000  # a phone photo is a few MB; anything far bigger is not a portrait
MAX_SOURCE_PIXELS = 50_000_000  # refuse decompression bombs before decoding


class PhotoUnreadable(TelarError, ValueError):
    """The bytes are not a photo Telar can print (not an image, truncated, or absurdly large)."""


class PhotoSource(Protocol):
    def head(self, key: str) -> StoredObject | None: ...
    def get(self, key: str, version_id: str | None = None) -> bytes: ...


class PhotoCache(Protocol):
    def get_if_exists(self, key: str) -> bytes | None: ...
    def put(self, key: str, body: bytes, content_type: str) -> object: ...


def to_print(data: bytes) -> bytes:
    """A JPEG of :data:`PRINT_SIZE`, cropped to fill the box around the centre, upright, on white.

    Raises
    ------
    PhotoUnreadable
        when ``data`` is not a readable image of sane size.
    """
    # Pillow only here: a photo resized by an earlier print comes from the cache, so most prints never import it
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_SOURCE_BYTES:
        raise PhotoUnreadable(f"{len(data)} bytes is more than the {MAX_SOURCE_BYTES} accepted")
    try:
        with Image.open(BytesIO(data)) as image:
            if image.width * image.height > MAX_SOURCE_PIXELS:
                raise PhotoUnreadable(f"{image.width} x {image.height} pixels is too large")
            image.draft("RGB", (PRINT_SIZE[0] * 2, PRINT_SIZE[1] * 2))  # JPEG: decode at a fraction of the size
            upright = ImageOps.exif_transpose(image)  # phones store rotation in EXIF
            flat = _on_white(upright)
            fitted = ImageOps.fit(flat, PRINT_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.4))
            out = BytesIO()
            fitted.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise PhotoUnreadable(str(error) or type(error).__name__) from error


def _on_white(image: PILImage) -> PILImage:
    from PIL import Image  # already imported by to_print, its one caller

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def cache_key(source_key: str, version_tag: str) -> str:
    digest = hashlib.sha256(f"{source_key}\n{version_tag}\n{RENDITION}".encode()).hexdigest()
    return photo_cache_key(digest)


@dataclass
class PrintPhotos:
    """The print-size photos found, and why the others are missing."""

    photos: dict[str, bytes] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    resized: int = 0


def load_print_photos(
    needed: Mapping[str, str], uploads: PhotoSource, cache: PhotoCache, prefix: str = PHOTOS
) -> PrintPhotos:
    """Print-size photos for ``needed`` (``worker_id -> photo file``), from the cache or resized now.

    A photo that is missing or unreadable is left out with its reason in ``problems``; nothing raises
    for a bad photo, so an order never fails on one. Storage errors (permissions, throttling) do raise:
    Step Functions retries them.
    """
    result = PrintPhotos()
    for worker_id, photo_file in needed.items():
        key = prefix + photo_file
        source = uploads.head(key)
        if source is None:
            result.problems[worker_id] = f"{key} is not in the uploads bucket"
            continue
        # the uploads bucket is versioned; the ETag keeps an unversioned bucket correct too
        cached_key = cache_key(key, source.version_id or source.etag or "")
        cached = cache.get_if_exists(cached_key)
        if cached is None:
            try:
                # read the very version the cache key names, even if a new upload lands meanwhile
                cached = to_print(uploads.get(key, source.version_id))
            except PhotoUnreadable as error:
                result.problems[worker_id] = f"{key} is not a printable image ({error})"
                continue
            cache.put(cached_key, cached, "image/jpeg")
            result.resized += 1
        result.photos[worker_id] = cached
    return result
