"""The reference import's guards (telar.reference_guards): each risky change is named, and only those."""

from telar.models import Buyer
from telar.reference_guards import OpenWork, risky_changes
from tests.factories import CUSCO, make_reference

BUYER = Buyer(buyer_id="b-1", name="B", email="b@example.org")


def _deactivate(ref, worker_ids: set[str]):  # type: ignore[no-untyped-def]
    makers = tuple(m.model_copy(update={"active": m.worker_id not in worker_ids}) for m in ref.makers)
    return ref.model_copy(update={"makers": makers})


def test_an_unchanged_book_with_open_work_needs_no_confirmation() -> None:
    ref = make_reference()
    assert risky_changes(ref, ref, [BUYER], [BUYER], OpenWork(frozenset({CUSCO}), frozenset({"KNT-SCARF-ALP"}))) == []


def test_deactivating_most_makers_of_a_group_with_open_work_is_named_with_the_makers() -> None:
    # Given Cusco with open work and a book deactivating two of its three makers
    ref = make_reference()
    cusco = sorted(m.worker_id for m in ref.makers if m.group_id == CUSCO)
    incoming = _deactivate(ref, set(cusco[:2]))
    # When checked; Then that change is named; without open work it is not
    [problem] = risky_changes(ref, incoming, [], [], OpenWork(groups=frozenset({CUSCO})))
    assert problem.sheet == "makers" and f"2 of {len(cusco)}" in str(problem.value) and cusco[0] in str(problem.value)
    assert risky_changes(ref, incoming, [], [], OpenWork()) == []


def test_removing_a_product_of_open_work_and_a_buyer_with_open_orders_are_named() -> None:
    ref = make_reference()
    sku = ref.products[0].sku
    incoming = ref.model_copy(update={"products": ref.products[1:]})
    problems = risky_changes(ref, incoming, [BUYER], [], OpenWork(skus=frozenset({sku}), buyers=frozenset({"b-1"})))
    assert {(p.sheet, str(p.value)) for p in problems} == {
        ("catalog", f"product {sku} removed"),
        ("buyers", "buyer b-1 removed or deactivated"),
    }
