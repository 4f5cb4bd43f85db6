"""Intake accepts an order on the reference version its environment read last; the write that stores the order
checks that version is still in force (one DynamoDB read fewer per order than reading the version first)."""

from typing import Any

import pytest

from telar import orders
from telar.errors import OrderRejected
from telar.models import OrderRequest
from telar.ports import Ports
from tests.conftest import import_sample_reference
from tests.pipeline import BUYER, order_request


def _counting_version_reads(ports: Ports, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    read = ports.reference.reference_version

    def counted() -> Any:
        reads.append(1)
        return read()

    monkeypatch.setattr(ports.reference, "reference_version", counted)
    return reads


def _for(sku: str) -> OrderRequest:
    request = order_request()
    return request.model_copy(update={"lines": [request.lines[0].model_copy(update={"sku": sku})]})


def _stored_orders(ports: Ports) -> int:
    return len(ports.orders.table.orders)  # type: ignore[attr-defined]


def test_after_the_first_order_the_version_is_not_read_again_until_an_import_switches_it(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the reference data in force, and intake counting its reads of the version number
    import_sample_reference(ports)
    reads = _counting_version_reads(ports, monkeypatch)
    # When two orders come in, Then only the first reads the version
    orders.submit_order(ports, BUYER, order_request())
    orders.submit_order(ports, BUYER, order_request())
    assert (len(reads), _stored_orders(ports)) == (1, 2)
    # When an import switches to a version with the same catalog, Then the next order is stored once, on a read
    # of the version in force (its first write was refused: the version it was accepted on had changed)
    ref = ports.reference.load_reference()
    ports.reference.put_reference(ref)
    orders.submit_order(ports, BUYER, order_request())
    assert (len(reads), _stored_orders(ports)) == (2, 3)
    orders.submit_order(ports, BUYER, order_request())
    assert (len(reads), _stored_orders(ports)) == (2, 4)


def test_a_product_an_import_adds_or_withdraws_is_ordered_or_refused_at_once(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_sample_reference(ports)
    orders.submit_order(ports, BUYER, order_request())  # the environment has read version 1
    ref = ports.reference.load_reference()
    first = ref.products[0]
    # When an import adds a product, Then it can be ordered at once (the version read last does not have it)
    added = first.model_copy(update={"sku": "NEW-0001"})
    ports.reference.put_reference(ref.model_copy(update={"products": (*ref.products, added)}))
    assert orders.submit_order(ports, BUYER, _for("NEW-0001")).status is not None
    # When an import withdraws it again, Then an order for it is refused at once, and nothing is stored
    stored = _stored_orders(ports)
    ports.reference.put_reference(ref)
    with pytest.raises(OrderRejected, match="NEW-0001"):
        orders.submit_order(ports, BUYER, _for("NEW-0001"))
    assert _stored_orders(ports) == stored
