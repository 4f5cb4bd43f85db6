"""Contact sheets (issue 17): each maker's numbered photo options on A4, sent to her group's manager once per set."""

from datetime import date
from email.message import Message

import pytest

from samples.make_reference_book import sample_book
from telar.artifacts import contact_sheet_key
from telar.contact_sheets import makers_to_choose, options_digest, render_contact_sheet
from telar.photos import to_print
from telar.ports import Ports
from telar.sheets.reference_book import write_reference_book
from telar.stages.reference_upload import accept_reference_upload
from tests.conftest import SAMPLES
from tests.factories import CHIANG_MAI, CUSCO, make_group, make_maker, make_reference
from tests.fakes import refuse_first_mail, sent_mails

PHOTO = to_print((SAMPLES / "photos" / "cusco-01.png").read_bytes())


@pytest.mark.parametrize(
    ("language", "title", "missing"),
    [
        ("es", "Elige tu foto para la tarjeta", "Falta la foto 2"),
        ("th", "เลือกรูปของคุณสำหรับบัตรสินค้า", "ไม่มีรูปที่ 2"),
        ("en", "Choose your photo for the card", "Photo 2 missing"),
    ],
)
def test_the_sheet_is_in_the_group_s_language_with_numbered_options_and_a_missing_box(
    language: str, title: str, missing: str
) -> None:
    # Given a maker known by her alias, with three options of which the second did not arrive
    group = make_group(CUSCO, language=language)
    maker = make_maker("CUS-06", first_name="Rosa", alias="Sumaq", photo_options=("a.jpg", "b.jpg", "c.jpg"))
    # When her group's sheet is rendered
    html = render_contact_sheet(group, [maker], {"a.jpg": PHOTO, "c.jpg": PHOTO})
    # Then it is titled in the group's language, for A4, names her by her alias with her worker id
    assert f"<title>{title}" in html and f"<h1>{title}</h1>" in html and f'lang="{language}"' in html
    assert "@page { size: A4" in html
    assert "Sumaq" in html and "Rosa" not in html and "CUS-06" in html
    # And shows options 1 and 3 as embedded photos under their numbers, and a box saying option 2 is missing
    assert [f'<div class="number">{n}</div>' in html for n in (1, 2, 3)] == [True, True, True]
    assert html.count('src="data:image/jpeg;base64,') == 2
    assert html.count(missing) == 1
    assert html.count('class="line"') == 1  # where the manager writes the chosen number


def test_names_from_the_workbook_are_escaped_and_bytes_that_are_no_photo_show_as_missing() -> None:
    maker = make_maker(alias='<img src=x onerror="alert(1)">', photo_options=("a.jpg",))
    html = render_contact_sheet(make_group(CUSCO, language="en"), [maker], {"a.jpg": b"<svg onload=alert(1)>"})
    assert "<img src=x" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "Photo 1 missing" in html and "data:image" not in html


def test_only_active_makers_of_the_group_with_options_are_listed_by_worker_id() -> None:
    ref = make_reference(
        makers=[
            make_maker("CUS-03", photo_options=("c.jpg",)),
            make_maker("CUS-01", photo_options=("a.jpg",)),
            make_maker("CUS-02"),  # no options
            make_maker("CUS-04", photo_options=("d.jpg",), active=False),
            make_maker("CUS-05", photo_options=("e.jpg",), active_to=date(2026, 1, 31)),  # released
            make_maker("CNX-01", group_id=CHIANG_MAI, photo_options=("f.jpg",)),
        ]
    )
    listed = makers_to_choose(ref, CUSCO, date(2026, 3, 1))
    assert [m.worker_id for m in listed] == ["CUS-01", "CUS-03"]


def test_the_options_digest_changes_with_the_options_but_not_with_a_choice() -> None:
    maker = make_maker(photo_options=("a.jpg", "b.jpg"))
    assert options_digest([maker]) == options_digest([maker.model_copy(update={"photo_choice": 2})])
    assert options_digest([maker]) != options_digest([maker.model_copy(update={"photo_options": ("a.jpg",)})])


# ---------------------------------------------------------------------------------------------- the stage


def _messages(ports: Ports) -> list[Message]:
    """The contact sheet mails: those with a group's sheet attached (the only HTML a reference upload sends)."""
    return [
        m.message
        for m in sent_mails(ports)
        if any((p.get_filename() or "").endswith(".html") for p in m.message.walk())
    ]


def _upload(ports: Ports, data: bytes, name: str = "reference/roster.xlsx") -> str:
    stored = ports.uploads.put(name, data, "application/octet-stream")
    return accept_reference_upload(ports, name, stored.version_id)


@pytest.fixture
def photos(ports: Ports) -> Ports:
    """The sample photos uploaded under photos/, as the office does."""
    for path in (SAMPLES / "photos").glob("*.png"):
        ports.uploads.put(f"photos/{path.name}", path.read_bytes(), "image/png")
    return ports


def test_applying_a_version_writes_each_group_s_sheet_and_mails_its_manager_once(photos: Ports) -> None:
    ports = photos
    data = (SAMPLES / "reference.xlsx").read_bytes()
    stored = ports.uploads.put("reference/roster.xlsx", data, "application/octet-stream")
    # When the sample workbook (options for makers of Ayacucho, Cusco and Chiang Mai) is applied
    assert accept_reference_upload(ports, "reference/roster.xlsx", stored.version_id) == "applied"
    # Then each of those groups' sheets is in the artifacts bucket
    groups = {g.group_id: g for g in sample_book().reference.groups}
    for group_id in ("pe-ayacucho", "pe-cusco", "th-chiangmai"):
        html = ports.artifacts.get(contact_sheet_key(group_id)).decode()
        assert html.count('src="data:image/jpeg;base64,') >= 2
    assert ports.artifacts.get_if_exists(contact_sheet_key("pe-lima")) is None  # nobody there has options
    # And each manager got it once, in her language, attached, asking for A4 and the Photo choice column
    mails = _messages(ports)
    assert sorted(m["To"] for m in mails) == sorted(
        str(groups[g].manager_email) for g in ("pe-ayacucho", "pe-cusco", "th-chiangmai")
    )
    [thai] = [m for m in mails if m["To"] == groups["th-chiangmai"].manager_email]
    text = next(p.get_content() for p in thai.walk() if p.get_content_type() == "text/plain")
    assert "A4" in text and "Photo choice" in text and "กรุณาพิมพ์" in text
    [attached] = [p for p in thai.walk() if p.get_filename()]
    assert attached.get_filename() == "th-chiangmai.html"
    assert "เลือกรูปของคุณสำหรับบัตรสินค้า" in attached.get_payload(decode=True).decode()
    # When SQS delivers the same upload again
    assert accept_reference_upload(ports, "reference/roster.xlsx", stored.version_id) == "unchanged"
    # Then no second contact sheet is mailed
    assert len(_messages(ports)) == 3


def test_a_new_version_that_only_records_a_choice_sends_nothing_and_new_options_send_again(photos: Ports) -> None:
    ports = photos
    book = sample_book()
    assert _upload(ports, write_reference_book(book)) == "applied"
    before = len(_messages(ports))

    def with_maker(worker_id: str, **update: object) -> bytes:
        makers = tuple(m.model_copy(update=update) if m.worker_id == worker_id else m for m in book.reference.makers)
        return write_reference_book(
            book.model_copy(update={"reference": book.reference.model_copy(update={"makers": makers})})
        )

    # When Fon's choice comes back in a new version
    assert _upload(ports, with_maker("CMI-03", photo_choice=3), "reference/choice.xlsx") == "applied"
    # Then nobody is mailed a contact sheet again, and her cards now print option 3
    assert len(_messages(ports)) == before
    assert (
        next(m for m in ports.reference.load_reference().makers if m.worker_id == "CMI-03").card_photo
        == "chiangmai-10.png"
    )
    # When a Chiang Mai maker gets new options
    assert (
        _upload(
            ports, with_maker("CMI-01", photo_options=("chiangmai-01.png", "chiangmai-02.png")), "reference/new.xlsx"
        )
        == "applied"
    )
    # Then only Chiang Mai's manager gets the new sheet, listing both makers
    [new] = _messages(ports)[before:]
    assert new["To"] == next(g.manager_email for g in book.reference.groups if g.group_id == CHIANG_MAI)
    html = ports.artifacts.get(contact_sheet_key(CHIANG_MAI)).decode()
    assert "CMI-01" in html and "CMI-03" in html


def test_a_failed_send_keeps_the_version_and_the_retry_sends_each_sheet_once(
    photos: Ports,
) -> None:
    ports = photos
    refuse_first_mail(
        ports, lambda m: bool(m.attachments) and m.attachments[0].filename == "pe-cusco.html", RuntimeError("SES")
    )
    data = (SAMPLES / "reference.xlsx").read_bytes()
    stored = ports.uploads.put("reference/roster.xlsx", data, "application/octet-stream")
    # When the send of Cusco's sheet fails, the upload raises for the queue to deliver it again
    with pytest.raises(RuntimeError):
        accept_reference_upload(ports, "reference/roster.xlsx", stored.version_id)
    # Then the version is in force all the same
    assert ports.reference.reference_version() == 1
    # And the redelivery sends Cusco's sheet, and no group gets two
    assert accept_reference_upload(ports, "reference/roster.xlsx", stored.version_id) == "unchanged"
    recipients = [m["To"] for m in _messages(ports)]
    assert len(recipients) == len(set(recipients)) == 3
