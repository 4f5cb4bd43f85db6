"""Print-size photos: resized once per uploaded version, cached, and never failing an order."""

from io import BytesIO

import pytest
from PIL import Image

from telar.adapters.storage import StoredObject
from telar.photos import PRINT_SIZE, PhotoUnreadable, cache_key, load_print_photos, to_print


def image_bytes(size=(1200, 1600), fmt="JPEG", mode="RGB", color=(200, 120, 80)) -> bytes:
    out = BytesIO()
    Image.new(mode, size, color).save(out, fmt)
    return out.getvalue()


class FakeBucket:
    """The two Storage calls each side needs, counting reads so the cache can be seen working."""

    def __init__(self, objects: dict[str, bytes] | None = None):
        self.objects = dict(objects or {})
        self.versions = {key: "v1" for key in self.objects}
        self.gets = 0
        self.puts: list[str] = []

    def head(self, key):
        return StoredObject(key, self.versions[key], '"etag"') if key in self.objects else None

    def get(self, key, version_id=None):
        assert version_id == self.versions[key]
        self.gets += 1
        return self.objects[key]

    def get_if_exists(self, key):
        return self.objects.get(key)

    def put(self, key, body, content_type):
        assert content_type == "image/jpeg"
        self.objects[key] = body
        self.puts.append(key)


def test_a_large_photo_becomes_a_small_jpeg_at_print_size():
    # Given a 1200 x 1600 phone photo
    source = image_bytes()
    # When it is prepared for print
    printed = to_print(source)
    # Then it is a JPEG of 260 x 325 pixels (22 x 27.5 mm at 300 dpi), far smaller than the source
    with Image.open(BytesIO(printed)) as image:
        assert (image.format, image.size) == ("JPEG", PRINT_SIZE)
    assert len(printed) < len(source) / 3


def test_exif_rotation_is_applied_so_a_portrait_stays_upright():
    # Given a landscape-stored photo whose EXIF says "rotate 90°": half red (top), half blue (bottom) once upright
    image = Image.new("RGB", (1600, 1200), "red")
    image.paste((0, 0, 255), (800, 0, 1600, 1200))  # right half blue; orientation 6 turns it to the bottom
    out = BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    image.save(out, "JPEG", exif=exif)
    # When it is prepared for print
    with Image.open(BytesIO(to_print(out.getvalue()))) as printed:
        top, bottom = printed.getpixel((130, 20)), printed.getpixel((130, 300))
    # Then the blue half is at the bottom: the photo was turned, not printed sideways
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_transparent_png_is_flattened_on_white():
    # Given a fully transparent PNG
    printed = to_print(image_bytes((400, 500), "PNG", "RGBA", (0, 0, 0, 0)))
    # Then the printed photo is white, not black
    with Image.open(BytesIO(printed)) as image:
        assert min(image.getpixel((100, 100))) > 245


@pytest.mark.parametrize(
    "data",
    [b"", b"<html><script>alert(1)</script>", image_bytes(fmt="PNG")[:200]],
    ids=["empty", "html", "truncated"],
)
def test_bytes_that_are_not_a_printable_image_are_refused(data):
    with pytest.raises(PhotoUnreadable):
        to_print(data)


def test_photos_are_resized_once_then_served_from_the_cache():
    # Given two uploaded photos and an empty cache
    uploads = FakeBucket({"photos/a.jpg": image_bytes(), "photos/b.png": image_bytes(fmt="PNG")})
    cache = FakeBucket()
    needed = {"CUS-01": "a.jpg", "CUS-02": "b.png"}
    # When the photos are loaded twice (a retry, or a second order)
    first = load_print_photos(needed, uploads, cache)
    second = load_print_photos(needed, uploads, cache)
    # Then each was read and resized once, and the second run got the same bytes from the cache
    assert (first.resized, second.resized) == (2, 0)
    assert uploads.gets == 2
    assert len(cache.puts) == 2
    assert first.photos == second.photos
    assert not first.problems


def test_a_new_upload_of_the_same_file_is_resized_again():
    # Given a photo already cached
    uploads = FakeBucket({"photos/a.jpg": image_bytes(color=(10, 10, 10))})
    cache = FakeBucket()
    old = load_print_photos({"CUS-01": "a.jpg"}, uploads, cache).photos["CUS-01"]
    # When staff upload a new version under the same name
    uploads.objects["photos/a.jpg"] = image_bytes(color=(250, 250, 250))
    uploads.versions["photos/a.jpg"] = "v2"
    new = load_print_photos({"CUS-01": "a.jpg"}, uploads, cache)
    # Then the new version is printed, under another cache key
    assert new.resized == 1
    assert new.photos["CUS-01"] != old
    assert cache_key("photos/a.jpg", "v1") != cache_key("photos/a.jpg", "v2")


def test_missing_and_broken_photos_are_left_out_with_a_reason():
    # Given one good photo, one broken and one that never arrived
    uploads = FakeBucket({"photos/good.jpg": image_bytes(), "photos/bad.jpg": b"not a photo"})
    # When they are loaded
    result = load_print_photos({"A": "good.jpg", "B": "bad.jpg", "C": "gone.jpg"}, uploads, FakeBucket())
    # Then only the good one is there, and the others say why; nothing raised
    assert set(result.photos) == {"A"}
    assert "not a printable image" in result.problems["B"]
    assert "not in the uploads bucket" in result.problems["C"]
