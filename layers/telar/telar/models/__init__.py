"""Pydantic models: the language of the domain.

Every model of the layer is declared with ``defer_build=True``: pydantic builds a model's validator when it is
first used, not at import, so a function's cold start pays only for the models its requests use (issue 18).
"""

from telar.models.assignment import Assignment, AssignmentLine, AssignmentStatus, MaterialLine, MaterialTotal
from telar.models.order import ENDED, Order, OrderLine, OrderRequest, OrderStatus, ShipTo, TimelineEntry
from telar.models.payroll import EarningLine, GroupPayroll, PayPeriod, PayRun
from telar.models.qc import ParsedCell, ParsedQc, ParsedRow, QcRow, QcSheet
from telar.models.reference import (
    Buyer,
    ConsentChange,
    DefectCode,
    Group,
    Maker,
    MakerStory,
    MaterialNeed,
    OptionWord,
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
    "DefectCode",
    "EarningLine",
    "Group",
    "GroupPayroll",
    "Maker",
    "MakerStory",
    "MaterialLine",
    "MaterialNeed",
    "MaterialTotal",
    "OptionWord",
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
