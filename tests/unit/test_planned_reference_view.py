"""Which reference data a running order reads: planned catalog and groups, latest consent, wages and managers."""

from datetime import date
from decimal import Decimal

from telar.models import ConsentChange
from telar.planned_reference import as_planned
from tests.factories import CHIANG_MAI, CUSCO, make_group, make_maker, make_product, make_reference, make_wage_rules


def test_planned_catalog_and_membership_with_latest_consent_wages_and_managers() -> None:
    # Given the version an order was planned with
    planned = make_reference(
        makers=[make_maker("CUS-01"), make_maker("CUS-02")],
        products=[make_product("KNT-SCARF-ALP"), make_product("SEW-TOTE")],
    )
    # And a newer one: a new rate, a withdrawn consent, CUS-02 moved, a newcomer, a new manager, a raise,
    # a product dropped
    raise_ = make_wage_rules()[0].model_copy(update={"amount": Decimal(1500), "effective_from": date(2026, 1, 1)})
    latest = make_reference(
        groups=[make_group(CUSCO, manager_email="new@example.org", hours_per_day=Decimal(8)), make_group(CHIANG_MAI)],
        makers=[
            make_maker("CUS-01", consent=(ConsentChange(effective=date(2026, 1, 5)),)),
            make_maker("CUS-02", group_id=CHIANG_MAI),
            make_maker("CUS-09", first_name="Nueva"),
        ],
        products=[make_product("KNT-SCARF-ALP", piece_rates={"PEN": Decimal(99), "THB": Decimal(999)})],
        wage_rules=(*make_wage_rules(), raise_),
    )
    # When a running order's view is built
    view = as_planned(planned, latest)
    # Then the catalog, the group's terms and membership are as planned
    assert view.product("KNT-SCARF-ALP").piece_rates["PEN"] == Decimal("25.00")
    assert view.product("SEW-TOTE") is not None
    assert view.group(CUSCO).hours_per_day == Decimal(5)
    assert {m.worker_id for m in view.makers_of(CUSCO)} == {"CUS-01", "CUS-02", "CUS-09"}
    # And consent, wages and the manager are the latest
    assert not next(m for m in view.makers if m.worker_id == "CUS-01").consent_on(date(2026, 2, 1)).name
    assert view.group(CUSCO).manager_email == "new@example.org"
    assert view.minimum_wage(view.group(CUSCO), date(2026, 2, 1)).amount == Decimal(1500)
