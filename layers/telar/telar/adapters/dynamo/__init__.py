"""The DynamoDB stores: one per aggregate, all on the single table (docs/data-model.md; keys in keys.py)."""

from typing import NamedTuple

from telar.adapters.dynamo.assignments import DynamoAssignments
from telar.adapters.dynamo.auth import DynamoAuth
from telar.adapters.dynamo.claims import DynamoClaims
from telar.adapters.dynamo.earnings import DynamoEarnings
from telar.adapters.dynamo.orders import DynamoOrders
from telar.adapters.dynamo.reference import DynamoReference


class DynamoStores(NamedTuple):
    """Every store on one table, named as ``Ports`` names them: ``Ports(**stores._asdict(), ...)``, or read
    directly by scripts and end-to-end tests."""

    orders: DynamoOrders
    assignments: DynamoAssignments
    reference: DynamoReference
    earnings: DynamoEarnings
    auth: DynamoAuth
    claims: DynamoClaims


def dynamo_stores(table_name: str) -> DynamoStores:
    return DynamoStores(
        DynamoOrders(table_name),
        DynamoAssignments(table_name),
        DynamoReference(table_name),
        DynamoEarnings(table_name),
        DynamoAuth(table_name),
        DynamoClaims(table_name),
    )
