"""Pydantic models: the language of the domain."""

from telar.models.assignment import Assignment, AssignmentLine, AssignmentStatus
from telar.models.order import Order, OrderLine, OrderRequest, OrderStatus, ShipTo
from telar.models.payroll import EarningLine, GroupPayroll
from telar.models.qc import QcRow, QcSheet
from telar.models.reference import Buyer, Group, Maker, Product, ReferenceData, WageRule

__all__ = [
    "Assignment",
    "AssignmentLine",
    "AssignmentStatus",
    "Buyer",
    "EarningLine",
    "Group",
    "GroupPayroll",
    "Maker",
    "Order",
    "OrderLine",
    "OrderRequest",
    "OrderStatus",
    "Product",
    "QcRow",
    "QcSheet",
    "ReferenceData",
    "ShipTo",
    "WageRule",
]
