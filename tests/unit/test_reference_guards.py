"""Reference imports that would break open work or the next orders are refused with a report, unless the
workbook confirms them; a buyer removed from the book loses API access."""

from collections.abc import Callable
from io import BytesIO

import openpyxl
import pytest

from telar.auth import authorize, hash_api_key
from telar.errors import NotAuthenticated
from telar.models import Buyer
from telar.ports import Ports
from tests.conftest import SAMPLES
from tests.unit.test_reference_upload import _mails, _text, _upload, imported  # noqa: F401  (fixture)

METHOD_ARN = "arn:ports:execute-api:us-east-1:123456789012:api/v1/GET/catalog"


def _book(change: Callable[[openpyxl.Workbook], None], confirm: bool = False) -> bytes:
    workbook = openpyxl.load_workbook(BytesIO((SAMPLES / "reference.xlsx").read_bytes()))
    change(workbook)
    if confirm:
        guide = workbook["instructions"]
        assert guide["A3"].value == "Confirm"
        guide["B3"] = "yes"
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _empty(*sheets: str) -> Callable[[openpyxl.Workbook], None]:
    def change(workbook: openpyxl.Workbook) -> None:
        for sheet in sheets:
            ws = workbook[sheet]
            ws.delete_rows(2, ws.max_row)

    return change


def _without_row(sheet: str, first_cell: str) -> Callable[[openpyxl.Workbook], None]:
    def change(workbook: openpyxl.Workbook) -> None:
        ws = workbook[sheet]
        [row] = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == first_cell]
        ws.delete_rows(row)

    return change


@pytest.mark.parametrize("sheets", [("makers", "consent", "stories"), ("catalog", "materials")])
def test_a_workbook_with_an_empty_makers_or_catalog_sheet_is_refused_with_a_report(
    imported: Ports,  # noqa: F811
    sheets: tuple[str, ...],
) -> None:
    # Given the samples in force; When a workbook whose makers (and their consent and stories) or catalog (and
    # its bills of materials) sheet is empty is uploaded
    sheet = sheets[0]
    outcome, _, _ = _upload(imported, _book(_empty(*sheets)), "reference/emptied.xlsx")
    # Then nothing is applied and the office is told what would break and how to confirm it
    assert outcome == "rejected" and imported.reference.reference_version() == 1
    [report] = [m for m in _mails(imported) if "needs correcting" in m["Subject"]]
    assert sheet in _text(report) and "Confirm" in _text(report)
    # and the next order can still be planned: the data in force is unchanged
    ref = imported.reference.load_reference()
    assert ref.products and any(m.active for m in ref.makers)


def test_an_empty_catalog_confirmed_in_the_workbook_is_applied(imported: Ports) -> None:  # noqa: F811
    # Given a workbook with an empty catalog and "Confirm: yes" on its instructions sheet
    emptied = _empty("catalog", "materials")  # the materials sheet is the catalog's, as consent is the makers'
    outcome, _, _ = _upload(imported, _book(emptied, confirm=True), "reference/confirmed.xlsx")
    # Then it is applied as the person confirmed
    assert outcome == "applied" and imported.reference.load_reference().products == ()


def test_a_buyer_removed_from_the_reference_data_loses_api_access(imported: Ports) -> None:  # noqa: F811
    # Given a sample buyer with her key working
    buyer = imported.reference.load_reference_buyers()[0]
    key = next(w for m in _mails(imported) if m["To"] == buyer.email for w in _text(m).split() if w.startswith("tlr_"))
    assert authorize(imported, {"x-api-key": key}, METHOD_ARN)["principalId"] == buyer.buyer_id
    # When a workbook without her row is applied (she has no open orders)
    outcome, _, _ = _upload(imported, _book(_without_row("buyers", buyer.buyer_id)), "reference/no-buyer.xlsx")
    assert outcome == "applied"
    # Then her key is refused at once by the authorizer
    with pytest.raises(NotAuthenticated):
        authorize(imported, {"x-api-key": key}, METHOD_ARN)
    stored = imported.auth.buyer_for_key(hash_api_key(key))
    assert isinstance(stored, Buyer) and not stored.active


def test_a_buyer_with_open_orders_is_not_removed_without_confirmation(imported: Ports) -> None:  # noqa: F811
    # Given a buyer with an order still open
    from telar import orders
    from tests.factories import make_order_request

    buyer = imported.reference.load_reference_buyers()[0]
    orders.submit_order(imported, buyer, make_order_request(requested_ship_date="2099-01-01"))
    # When a workbook without her row is uploaded
    outcome, _, _ = _upload(imported, _book(_without_row("buyers", buyer.buyer_id)), "reference/no-buyer.xlsx")
    # Then it is refused, naming her, and she stays active
    assert outcome == "rejected"
    [report] = [m for m in _mails(imported) if "needs correcting" in m["Subject"]]
    assert buyer.buyer_id in _text(report)
    profile = imported.auth.get_buyer(buyer.buyer_id)
    assert profile is not None and profile.active
