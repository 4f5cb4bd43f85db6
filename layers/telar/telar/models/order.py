"""Orders as buyers send them and as Telar keeps them."""

import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

_LINE_BREAKS_AND_CONTROLS = {"Cc", "Cs", "Zl", "Zp"}  # controls (CR, LF, TAB, NUL...), lone surrogates, U+2028/9


def _single_line(text: str) -> str:
    """Refuse what would break a line anywhere the text goes later: an e-mail header, a sheet cell, a log."""
    for i, ch in enumerate(text):
        if unicodedata.category(ch) in _LINE_BREAKS_AND_CONTROLS:
            raise ValueError(f"must be one line without control characters (found U+{ord(ch):04X} at {i})")
    return text


def _multi_line(text: str) -> str:
    for i, ch in enumerate(text):
        if ch not in "\n\t" and unicodedata.category(ch) in _LINE_BREAKS_AND_CONTROLS - {"Zl", "Zp"}:
            raise ValueError(f"must not contain control characters (found U+{ord(ch):04X} at {i})")
    return text


SingleLine = Annotated[str, AfterValidator(_single_line)]
MultiLine = Annotated[str, AfterValidator(_multi_line)]


class OrderStatus(StrEnum):
    RECEIVED = "RECEIVED"
    START_PENDING = "START_PENDING"  # stored, but the pipeline could not be started yet: retried
    IN_PRODUCTION = "IN_PRODUCTION"
    READY_TO_SHIP = "READY_TO_SHIP"
    NEEDS_ATTENTION = "NEEDS_ATTENTION"
    CANCELLED = "CANCELLED"  # by its buyer, before any QC sheet was accepted


ENDED = frozenset({OrderStatus.READY_TO_SHIP, OrderStatus.NEEDS_ATTENTION, OrderStatus.CANCELLED})


class ShipTo(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True)

    name: SingleLine = Field(min_length=1, max_length=200)
    address_lines: list[Annotated[SingleLine, Field(max_length=200)]] = Field(min_length=1, max_length=4)
    city: SingleLine = Field(min_length=1, max_length=100)
    postal_code: SingleLine = Field(min_length=1, max_length=20)
    country: str = Field(min_length=2, max_length=2, pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


class OrderLine(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True)

    sku: SingleLine = Field(min_length=1, max_length=40)
    quantity: int = Field(gt=0, le=100_000)
    options: dict[Annotated[SingleLine, Field(max_length=40)], Annotated[SingleLine, Field(max_length=100)]] = Field(
        default_factory=dict, max_length=5, description="e.g. colour, size"
    )
    notes: MultiLine | None = Field(default=None, max_length=500)


ORDER_EXAMPLE: JsonDict = {  # the OpenAPI document's example of POST /orders (samples/orders/fairloom-spring-2027.json)
    "buyer_reference": "FL-PO-2027-014",
    "requested_ship_date": "2027-03-01",
    "ship_to": {
        "name": "Fair Loom Trading Ltd",
        "address_lines": ["Unit 4, Canal Side Works", "12 Wharf Road"],
        "city": "Leeds",
        "postal_code": "LS1 4BR",
        "country": "GB",
    },
    "lines": [
        {"sku": "KNT-SCARF-ALP", "quantity": 12, "options": {"colour": "natural grey"}, "notes": "Undyed alpaca only."},
        {"sku": "SEW-TOTE", "quantity": 15},
    ],
    "accept_later_date": False,
}


class OrderRequest(BaseModel):
    """The body of ``POST /orders``."""

    model_config = ConfigDict(
        defer_build=True, extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [ORDER_EXAMPLE]}
    )

    buyer_reference: SingleLine = Field(min_length=1, max_length=100)
    requested_ship_date: date
    ship_to: ShipTo
    lines: list[OrderLine] = Field(min_length=1, max_length=50)
    accept_later_date: bool = Field(
        default=False,
        description="if the workshops cannot ship by requested_ship_date, accept the earliest date they can "
        "(the reply's committed_ship_date) instead of a 422 that names that date",
    )

    @field_validator("lines")
    @classmethod
    def _no_duplicate_lines(cls, lines: list[OrderLine]) -> list[OrderLine]:
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        for i, line in enumerate(lines):
            key = (line.sku, tuple(sorted(line.options.items())))
            if key in seen:
                raise ValueError(f"line {i} repeats sku {line.sku!r} with the same options")
            seen.add(key)
        return lines


class TimelineEntry(BaseModel, defer_build=True):
    """A stage change as the pipeline recorded it; the first record of a stage wins (stages retry)."""

    stage: str
    at: datetime
    group_id: str | None = None
    detail: str | None = None
    rework_round: int = Field(default=0, ge=0, description="the QC round it is about (0: the first)")

    @property
    def key(self) -> str:
        key = f"{self.stage}#{self.group_id}" if self.group_id else self.stage
        return f"{key}#r{self.rework_round}" if self.rework_round else key


class Order(OrderRequest):
    """An accepted order, as stored."""

    model_config = ConfigDict(json_schema_extra=None)  # not a request: the example is the request's

    order_id: str
    buyer_id: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    status_reason: str | None = Field(default=None, description="why, in words for the buyer")
    attention_detail: str | None = Field(
        default=None, description="the internal cause of NEEDS_ATTENTION, for staff; never shown to the buyer"
    )
    units_passed: int = 0
    assignment_ids: list[str] = Field(default_factory=list)
    expected_ship_date: date | None = Field(
        default=None, description="when the plan says it ships; later than committed when capacity is short"
    )
    committed_ship_date: date | None = Field(
        default=None,
        description="the date promised at acceptance: the requested one, or the earliest the workshops could meet "
        "when the buyer accepted a later date (None: accepted before dates were committed)",
    )

    @property
    def promised_ship_date(self) -> date:
        """What the plan aims for: the committed date (the requested one for orders accepted before it existed)."""
        return self.committed_ship_date or self.requested_ship_date

    reference_version: int | None = Field(
        default=None, description="the reference data version it was planned with (None: planned before versions)"
    )
    artifacts: dict[str, str] = Field(default_factory=dict, description="name -> S3 key")
    timeline: dict[str, TimelineEntry] = Field(default_factory=dict, description="TimelineEntry.key -> entry")
