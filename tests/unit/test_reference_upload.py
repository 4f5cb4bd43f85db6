"""Reference workbooks uploaded to reference/: validated whole, applied as a version, answered by e-mail."""

from datetime import date
from decimal import Decimal
from email.message import Message
from io import BytesIO

import openpyxl
import pytest

from samples.make_reference_book import sample_book
from telar.artifacts import CURRENT_REFERENCE_EXPORT
from telar.auth import hash_api_key
from telar.models import PayPeriod, ReferenceBook
from telar.ports import Ports
from telar.reference_book import book_problems
from telar.sheets.reference_book import read_reference_book, write_reference_book
from telar.stages.pay_period import run_pay_period
from telar.stages.reference_upload import accept_reference_upload
from tests.conftest import SAMPLES
from tests.factories import make_earning_line
from tests.fakes import refuse_first_mail, sent_mails
from tests.workbooks import set_cell


def _mails(ports: Ports) -> list[Message]:
    return [m.message for m in sent_mails(ports)]


def _text(message: Message) -> str:
    return str(next(p.get_content() for p in message.walk() if p.get_content_type() == "text/plain"))


def _upload(ports: Ports, data: bytes, name: str = "reference/roster.xlsx") -> tuple[str, str, str | None]:
    stored = ports.uploads.put(name, data, "application/octet-stream")
    return accept_reference_upload(ports, name, stored.version_id), name, stored.version_id


@pytest.fixture
def imported(ports: Ports) -> Ports:
    """The sample workbook uploaded once and applied as version 1."""
    outcome, _, _ = _upload(ports, (SAMPLES / "reference.xlsx").read_bytes())
    assert outcome == "applied"
    return ports


def test_a_valid_workbook_becomes_version_1_and_buyers_get_a_key_once(ports: Ports) -> None:
    # Given the sample workbook uploaded under reference/
    outcome, key, version_id = _upload(ports, (SAMPLES / "reference.xlsx").read_bytes())
    # Then it is in force as version 1, with exactly the sample data
    assert outcome == "applied" and ports.reference.reference_version() == 1
    expected = sample_book().canonical()
    book = ReferenceBook(
        reference=ports.reference.load_reference(), buyers=tuple(ports.reference.load_reference_buyers())
    )
    assert book.canonical() == expected
    # And each buyer got one e-mail with a key that works, while the table holds only its hash
    mails = _mails(ports)
    for buyer in expected.buyers:
        [mail] = [m for m in mails if m["To"] == buyer.email]
        api_key = next(w for w in _text(mail).split() if w.startswith("tlr_"))
        assert ports.auth.buyer_for_key(hash_api_key(api_key)) == buyer
        assert ports.auth.buyer_for_key(api_key) is None
    # And the office got a receipt with the data now in force attached
    [receipt] = [m for m in mails if "applied" in m["Subject"]]
    assert receipt["To"] == "finance@example.org, accounts@example.org"
    [attachment] = [p for p in receipt.walk() if p.get_filename()]
    assert read_reference_book(attachment.get_payload(decode=True), book_problems).canonical() == expected
    # When the same upload is delivered again (SQS delivers at least once)
    again = accept_reference_upload(ports, key, version_id)
    # Then nothing changes and nobody gets a second e-mail
    assert again == "unchanged" and ports.reference.reference_version() == 1
    assert len(_mails(ports)) == len(mails)


def test_a_bad_row_in_the_last_sheet_leaves_the_previous_version_in_force(imported: Ports) -> None:
    # Given a new version of the book with a changed piece rate and a bad e-mail on the last sheet
    before = imported.reference.load_reference()
    changed = set_cell((SAMPLES / "reference.xlsx").read_bytes(), "catalog", "Piece rates PEN", 2, 99)
    bad = set_cell(changed, "buyers", "Email", 3, "compras at tiendasol")
    # When it is uploaded
    outcome, _, version_id = _upload(imported, bad, "reference/roster-v2.xlsx")
    # Then nothing of it is applied: version 1 is still in force, the piece rate unchanged
    assert outcome == "rejected"
    assert imported.reference.reference_version() == 1 and imported.reference.load_reference() == before
    # And the office is told the sheet and cell, with the cell marked in an annotated copy
    [report] = [m for m in _mails(imported) if "needs correcting" in m["Subject"]]
    assert "buyers!C3" in _text(report)
    annotated = imported.uploads.get(f"reference-reports/roster-v2.xlsx.{version_id}.errors.xlsx")
    assert openpyxl.load_workbook(BytesIO(annotated))["buyers"]["C3"].comment is not None


def test_a_new_version_leaves_the_previous_one_readable(imported: Ports) -> None:
    # Given a workbook with a new piece rate
    data = set_cell((SAMPLES / "reference.xlsx").read_bytes(), "catalog", "Piece rates PEN", 2, 99)
    sku = sample_book().reference.products[0].sku
    # When it is uploaded
    outcome, _, _ = _upload(imported, data, "reference/new-rates.xlsx")
    # Then it is version 2, and version 1 (what running orders were planned with) still has the old rate
    assert outcome == "applied" and imported.reference.reference_version() == 2
    assert imported.reference.load_reference().product(sku).piece_rates["PEN"] == Decimal(99)
    old = sample_book().reference.product(sku).piece_rates["PEN"]
    assert imported.reference.load_reference(1).product(sku).piece_rates["PEN"] == old


def test_re_uploading_an_export_gives_identical_data(imported: Ports) -> None:
    # Given the export Telar wrote of the data in force
    export = imported.uploads.get(CURRENT_REFERENCE_EXPORT)
    before = (imported.reference.load_reference(), imported.reference.load_reference_buyers())
    # When staff upload it unchanged
    outcome, _, _ = _upload(imported, export, "reference/export-back.xlsx")
    # Then the data is identical, and no new version is made
    assert outcome == "unchanged" and imported.reference.reference_version() == 1
    assert (imported.reference.load_reference(), imported.reference.load_reference_buyers()) == before


def test_a_maker_who_leaves_is_deactivated_and_still_paid_for_her_work(imported: Ports) -> None:
    # Given work recorded for a Cusco maker
    maker = next(m for m in imported.reference.load_reference().makers if m.group_id == "pe-cusco" and m.active)
    line = make_earning_line(maker.worker_id, maker_name=maker.first_name, inspected_on=date(2026, 11, 10))
    assert imported.earnings.record_earnings([line]) == 1
    # When a roster without her row is uploaded
    book = sample_book()
    ref = book.reference.model_copy(
        update={"makers": tuple(m for m in book.reference.makers if m.worker_id != maker.worker_id)}
    )
    outcome, _, _ = _upload(
        imported, write_reference_book(book.model_copy(update={"reference": ref})), "reference/left.xlsx"
    )
    # Then she is kept, inactive, gets no new work, and the receipt says so
    assert outcome == "applied"
    current = imported.reference.load_reference()
    kept = next(m for m in current.makers if m.worker_id == maker.worker_id)
    assert not kept.active and kept.first_name == maker.first_name
    assert maker.worker_id not in {m.worker_id for m in current.makers_of("pe-cusco")}
    [receipt] = [m for m in _mails(imported) if "version 2" in m["Subject"]]
    assert f"Deactivated (kept for payroll history): {maker.worker_id}" in _text(receipt)
    # And the pay run still pays her line, under her name
    run = run_pay_period(imported, PayPeriod(period="2026-11"))
    paid = imported.earnings.earnings_paid_in("2026-11")
    assert [p.worker_id for p in paid] == [maker.worker_id] and run.status == "SENT"
    # And exporting and re-uploading keeps her inactive (never deleted)
    assert _upload(imported, imported.uploads.get(CURRENT_REFERENCE_EXPORT), "reference/again.xlsx")[0] == "unchanged"


def test_a_key_whose_e_mail_failed_is_revoked_and_a_retry_delivers_a_fresh_one(
    ports: Ports,
) -> None:
    # Given SES failing on the first API-key e-mail
    refused = refuse_first_mail(ports, lambda m: m.subject == "Telar: your API key", RuntimeError("SES is throttling"))
    data = (SAMPLES / "reference.xlsx").read_bytes()
    stored = ports.uploads.put("reference/roster.xlsx", data, "application/octet-stream")
    # When the upload is handled, fails, and SQS delivers it again
    with pytest.raises(RuntimeError):
        accept_reference_upload(ports, "reference/roster.xlsx", stored.version_id)
    assert accept_reference_upload(ports, "reference/roster.xlsx", stored.version_id) == "unchanged"
    # Then the undelivered key does not work, and every buyer got exactly one working key by e-mail
    issued = [next(w for w in mail.text.split() if w.startswith("tlr_")) for mail in refused]
    assert ports.auth.buyer_for_key(hash_api_key(issued[0])) is None
    for buyer in sample_book().buyers:
        [mail] = [m for m in _mails(ports) if m["To"] == buyer.email]
        api_key = next(w for w in _text(mail).split() if w.startswith("tlr_"))
        assert api_key != issued[0] and ports.auth.buyer_for_key(hash_api_key(api_key)) == buyer


def test_a_group_whose_makers_are_kept_cannot_be_left_out(imported: Ports) -> None:
    # Given a book without the Pisac group and its makers
    book = sample_book()
    ref = book.reference.model_copy(
        update={
            "groups": tuple(g for g in book.reference.groups if g.group_id != "pe-pisac"),
            "makers": tuple(m for m in book.reference.makers if m.group_id != "pe-pisac"),
        }
    )
    # When it is uploaded
    data = write_reference_book(book.model_copy(update={"reference": ref}))
    outcome, _, _ = _upload(imported, data, "reference/no-pisac.xlsx")
    # Then it is refused (her makers stay, so must their group) and version 1 stays in force
    assert outcome == "rejected" and imported.reference.reference_version() == 1
    [report] = [m for m in _mails(imported) if "needs correcting" in m["Subject"]]
    assert "a row for group 'pe-pisac'" in _text(report)


def test_a_late_redelivery_of_an_old_upload_does_not_roll_back_a_newer_version(ports: Ports) -> None:
    # Given the samples as version 1 (upload A) and new piece rates as version 2 (upload B)
    first = ports.uploads.put("reference/a.xlsx", (SAMPLES / "reference.xlsx").read_bytes(), "application/x")
    assert accept_reference_upload(ports, "reference/a.xlsx", first.version_id) == "applied"
    data = set_cell((SAMPLES / "reference.xlsx").read_bytes(), "catalog", "Piece rates PEN", 2, 99)
    assert _upload(ports, data, "reference/b.xlsx")[0] == "applied"
    newer = ports.reference.load_reference()
    # When SQS delivers upload A once more
    outcome = accept_reference_upload(ports, "reference/a.xlsx", first.version_id)
    # Then version 2 stays in force, and so does its export
    assert outcome == "unchanged" and ports.reference.load_reference() == newer
    assert read_reference_book(ports.uploads.get(CURRENT_REFERENCE_EXPORT), book_problems).reference == newer


def test_a_missing_translation_is_applied_and_the_receipt_lists_it_as_a_warning(ports: Ports) -> None:
    # Given the sample workbook with the Thai label of STAIN left empty
    data = (SAMPLES / "reference.xlsx").read_bytes()
    codes = [d.code for d in sample_book().reference.defects]
    outcome, _, _ = _upload(ports, set_cell(data, "defects", "Label th", 2 + codes.index("STAIN"), None))
    # Then it is applied all the same
    assert outcome == "applied"
    assert ports.reference.load_reference().defect("STAIN").label_in("th") == "Stain [EN]"
    # And the receipt names what is missing, as a warning
    [receipt] = [_text(m) for m in _mails(ports) if "applied" in m["Subject"]]
    assert "Warnings (applied all the same)" in receipt
    assert "- defects: STAIN has no label in th\n" in receipt


def test_a_complete_book_s_receipt_has_no_warnings(imported: Ports) -> None:
    receipt = next(m for m in _mails(imported) if "reference data applied" in str(m["Subject"]))
    assert "Warnings" not in _text(receipt)
