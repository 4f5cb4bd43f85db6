"""The packing list a buyer is given with a ready order."""

from datetime import date

from telar.packing import packing_rows, render_packing_list
from tests.factories import make_assignment, make_order, make_order_line, make_qc_row, make_reference


def test_each_line_lists_the_units_that_passed_qc_in_every_round_and_buyer_text_is_escaped() -> None:
    # Given an order of two colours of one scarf and a cushion, whose QC passed 7 scarves in the first round, 3 in
    # a rework round, and 4 cushions
    order = make_order(
        buyer_reference="<script>alert(1)</script> PO-7",
        lines=[
            make_order_line("KNT-SCARF-ALP", 6, options={"colour": "natural"}),
            make_order_line("KNT-SCARF-ALP", 4, options={"colour": "grey"}),
            make_order_line("EMB-CUSHION", 4),
        ],
    )
    first = make_assignment(order).model_copy(
        update={"qc_rows": [make_qc_row(sku="KNT-SCARF-ALP", planned=8, produced=8, passed=7, rejected=1)]}
    )
    rework = make_assignment(order, assignment_id="r1").model_copy(
        update={
            "qc_rows": [
                make_qc_row(sku="KNT-SCARF-ALP", planned=3, produced=3, passed=3, rejected=0),
                make_qc_row(sku="EMB-CUSHION", planned=4, produced=4, passed=4, rejected=0),
            ]
        }
    )
    # When its packing list is made
    rows = packing_rows(order, [first, rework], make_reference())
    html = render_packing_list(order, rows)
    # Then each line has its units, its product's name and options, and the total adds up
    assert [(r.sku, r.options, r.units) for r in rows] == [
        ("KNT-SCARF-ALP", "colour: natural", 6),
        ("KNT-SCARF-ALP", "colour: grey", 4),
        ("EMB-CUSHION", "", 4),
    ]
    assert rows[0].name == "Alpaca knit scarf" and ">14<" in html
    # and the buyer's own text is shown as text, never as markup
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; PO-7" in html
    assert order.ship_to.city in html and "@page { size: A4" in html


def test_units_that_did_not_pass_are_not_listed_as_packed() -> None:
    order = make_order(lines=[make_order_line("KNT-SCARF-ALP", 10)], requested_ship_date=date(2030, 1, 1))
    short = make_assignment(order).model_copy(
        update={"qc_rows": [make_qc_row(sku="KNT-SCARF-ALP", planned=10, produced=10, passed=8, rejected=2)]}
    )
    assert [r.units for r in packing_rows(order, [short], make_reference())] == [8]
