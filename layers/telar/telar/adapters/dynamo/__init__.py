"""The DynamoDB stores: one per aggregate, all on the single table (docs/data-model.md; keys in keys.py)."""

from typing import Any

from telar.adapters.dynamo.assignments import DynamoAssignments
from telar.adapters.dynamo.auth import DynamoAuth
from telar.adapters.dynamo.claims import DynamoClaims
from telar.adapters.dynamo.earnings import DynamoEarnings
from telar.adapters.dynamo.orders import DynamoOrders
from telar.adapters.dynamo.reference import DynamoReference


def dynamo_stores(table_name: str) -> dict[str, Any]:
    """Every store on ``table_name``, by its field name in ``Ports`` (``Ports(**dynamo_stores(name), ...)``)."""
    return {
        "orders": DynamoOrders(table_name),
        "assignments": DynamoAssignments(table_name),
        "reference": DynamoReference(table_name),
        "earnings": DynamoEarnings(table_name),
        "auth": DynamoAuth(table_name),
        "claims": DynamoClaims(table_name),
    }
