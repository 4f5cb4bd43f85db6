"""keys.py and docs/data-model.md's item table describe the same keys: neither can change without the other."""

import inspect
import re
from datetime import UTC, date, datetime

import pytest

from telar.adapters.dynamo import keys
from tests.conftest import ROOT

# A value for each parameter a key builder takes, by its name.
SAMPLE_ARGUMENTS = {
    "version": 7,
    "group_id": "pe-cusco",
    "worker_id": "CUS-01",
    "sku": "SCARF-01",
    "country": "PE",
    "region": "Cusco",
    "effective_from": date(2026, 1, 1),
    "day": date(2026, 12, 8),
    "buyer_id": "fairloom",
    "source": "reference/book.xlsx#v3",
    "key_hash": "9f86d08188",
    "issued_at": datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
    "order_id": "ord-1",
    "created_at": datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
    "assignment_id": "ord-1-pe-cusco",
    "period": "2026-11",
    "name": "mail#receipt",
    "code": "LOOSE_THREAD",
    "word": "natural grey",
}


def _item_table() -> dict[str, tuple[str, str, str]]:
    """The item table's rows: item name (remarks in parentheses left out) -> the pk, sk and gsi1 cells."""
    text = (ROOT / "docs" / "data-model.md").read_text()
    table = text.split("| item | pk | sk | gsi1pk / gsi1sk | written by |", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.strip().splitlines()[1:]:  # the |---| line first
        item, pk, sk, gsi, _written_by = (cell.strip() for cell in line.strip("|").split("|"))
        rows[re.sub(r"\s*\(.*?\)", "", item)] = (pk, sk, gsi)
    return rows


def _shapes(cell: str) -> list[re.Pattern[str]]:
    """The key shapes a cell allows (each `code` span, remarks in parentheses aside); <placeholders> match any text."""
    spans = re.findall(r"`([^`]+)`", re.sub(r"\(.*?\)", "", cell))
    return [
        re.compile("".join(".+" if p.startswith("<") else re.escape(p) for p in re.split(r"(<[^>]+>)", s) if p))
        for s in spans
    ]


def _built(builder: object) -> dict[str, str]:
    assert callable(builder)
    parameters = inspect.signature(builder).parameters
    return builder(**{name: SAMPLE_ARGUMENTS[name] for name in parameters})


ROWS = _item_table()


def test_every_row_of_the_item_table_has_a_key_builder_and_every_builder_a_row() -> None:
    assert len(ROWS) > 10  # the table was found and read
    assert sorted(keys.ITEMS) == sorted(ROWS)


@pytest.mark.parametrize("item", sorted(ROWS))
def test_the_key_builder_of_a_row_builds_the_shape_the_row_documents(item: str) -> None:
    # Given a row of the item table and the builders keys.py names for it
    pk, sk, gsi = ROWS[item]
    key_builder, index_builder = keys.ITEMS[item]
    # When they build a key from sample values
    key = _built(key_builder)
    # Then pk and sk have the documented shapes
    assert set(key) == {"pk", "sk"}
    assert any(shape.fullmatch(key["pk"]) for shape in _shapes(pk)), (key["pk"], pk)
    assert any(shape.fullmatch(key["sk"]) for shape in _shapes(sk)), (key["sk"], sk)
    # And the item is on the index exactly when the row says so, with the documented shapes
    assert (index_builder is None) == (gsi == "")
    if index_builder is not None:
        index = _built(index_builder)
        gsi1pk, gsi1sk = gsi.split(" / ")
        assert set(index) == {"gsi1pk", "gsi1sk"}
        assert any(shape.fullmatch(index["gsi1pk"]) for shape in _shapes(gsi1pk)), (index, gsi1pk)
        assert any(shape.fullmatch(index["gsi1sk"]) for shape in _shapes(gsi1sk)), (index, gsi1sk)


def test_a_shape_check_can_fail() -> None:
    # A builder of another row's shape does not pass for this one (the test above would catch a drift)
    assert not any(shape.fullmatch(keys.pay_run("2026-11")["pk"]) for shape in _shapes(ROWS["order"][0]))


def test_a_paid_earning_line_moves_to_the_index_partition_the_row_documents() -> None:
    gsi1pk = ROWS["earning line"][2].split(" / ")[0]
    assert any(shape.fullmatch(keys.paid_in("2026-11")) for shape in _shapes(gsi1pk))
    assert not _shapes(gsi1pk)[0].fullmatch(keys.paid_in("2026-11"))  # the unpaid shape is another one
