"""Pydantic models: the language of the domain."""

from telar.models.assignment import Assignment, AssignmentLine, AssignmentStatus
from telar.models.order import ENDED, Order, OrderLine, OrderRequest, OrderStatus, ShipTo, TimelineEntry
from telar.models.payroll import EarningLine, GroupPayroll, PayPeriod, PayRun
from telar.models.qc import ParsedCell, ParsedQc, ParsedRow, QcRow, QcSheet
from telar.models.reference import (
    Buyer,
    ConsentChange,
    Group,
    Maker,
    Product,
    PublicHoliday,
    ReferenceBook,
    ReferenceData,
    WageRule,
)

__all__ = [
    "ENDED",
    "Assignment",
    "AssignmentLine",
    "AssignmentStatus",
    "Buyer",
    "ConsentChange",
    "EarningLine",
    "Group",
    "GroupPayroll",
    "Maker",
    "Order",
    "OrderLine",
    "OrderRequest",
    "OrderStatus",
    "ParsedCell",
    "ParsedQc",
    "ParsedRow",
    "PayPeriod",
    "PayRun",
    "Product",
    "PublicHoliday",
    "QcRow",
    "QcSheet",
    "ReferenceBook",
    "ReferenceData",
    "ShipTo",
    "TimelineEntry",
    "WageRule",
]
