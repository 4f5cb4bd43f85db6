"""Reference data: groups, makers, catalog, wage rules and buyers (uploaded by staff)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from telar.errors import GroupNotFound, PieceRateNotFound, ProductNotFound, WageRuleNotFound
from telar.webhooks import url_problem

Skill = Literal["knitting", "embroidery", "sewing", "jewelry", "crochet"]
# Paid time that is not pieces (issue 15), as the attendance sheet records it, one column each.
TimeKind = Literal["training", "course", "design", "meeting", "holiday"]
TIME_KINDS: tuple[TimeKind, ...] = get_args(TimeKind)


class _Ref(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")


class Group(_Ref):
    group_id: str
    name: str
    kind: Literal["prison", "emergency_centre", "rural_mothers_group"]
    place: str
    country: Literal["PE", "TH"]
    region: str = Field(description="wage region, e.g. 'national' (Peru) or 'Chiang Mai/Mueang'")
    currency: Literal["PEN", "THB"]
    language: Literal["es", "th", "en"]
    timezone: str
    hours_per_day: Decimal = Field(gt=0, le=12, description="hours each maker works on an open day")
    days_per_week: int = Field(gt=0, le=7, description="open days from Monday: 5 = Monday to Friday, 6 = to Saturday")
    closed_days: tuple[date, ...] = Field(
        default=(), description="holidays and lock-downs: days (in the group's time zone) nobody can work"
    )
    manager_name: str
    manager_email: EmailStr
    hourly_base: Decimal = Field(default=Decimal(0), ge=0, description="paid per hour worked on top of piece rates")
    pay_rounding: Literal["0.01", "1"] = Field(default="0.01", description="pay lines to the cent or whole units")
    time_rates: dict[TimeKind, Decimal] = Field(
        default_factory=dict,
        description="hourly rate per kind of paid time (training, course, design, meeting, holiday); never paid "
        "below the minimum wage (blank: the minimum wage)",
    )
    guaranteed_hours_per_week: Decimal = Field(
        default=Decimal(0),
        ge=0,
        le=84,
        description="a maker present this many hours in a week is paid at least the minimum wage for them (0: none)",
    )
    paid_public_holidays: bool = Field(
        default=True, description="public holidays of the group's country on its open days are paid (holiday rate)"
    )

    @property
    def weekly_hours_per_maker(self) -> Decimal:
        return self.hours_per_day * self.days_per_week

    def is_open_on(self, day: date) -> bool:
        """An open day of the week (Monday first) that is not one of the group's closed days."""
        return day.weekday() < self.days_per_week and day not in self.closed_days


PaymentMethod = Literal["bank_transfer", "mobile_wallet", "cash"]
PAYMENT_METHODS: tuple[PaymentMethod, ...] = ("bank_transfer", "mobile_wallet", "cash")
PAYMENT_DETAILS: dict[str, tuple[str, ...]] = {  # the Maker fields each method needs
    "bank_transfer": ("bank", "bank_account"),
    "mobile_wallet": ("wallet_provider", "wallet_number"),
    "cash": (),
}
_FIELD_WORDS = {
    "bank": "bank",
    "bank_account": "bank account",
    "wallet_provider": "wallet provider",
    "wallet_number": "wallet number",
}


class ConsentChange(_Ref):
    """What a maker agreed to show on her insert cards from ``effective`` on (she may change her mind).

    Each change states all three consents, so one record answers "what did she agree to on that day"
    without replaying history. Withdrawing is a change with the consent set to false.
    """

    effective: date = Field(description="first day (in her group's time zone) this applies to generated cards")
    photo: bool = False
    name: bool = False
    story: bool = False


NO_CONSENT = ConsentChange(effective=date.min)


class Maker(_Ref):
    worker_id: str
    group_id: str
    first_name: str
    alias: str | None = None
    skills: tuple[Skill, ...]
    consent: tuple[ConsentChange, ...] = Field(
        default=(), description="consent changes, oldest first; none recorded means nothing is shown"
    )
    photo_file: str | None = None
    story: str | None = None
    active: bool = True
    active_from: date | None = Field(default=None, description="first day she works (blank: no limit)")
    active_to: date | None = Field(
        default=None, description="last day she works, e.g. her release date (blank: no limit; leaving = Active no)"
    )
    hours_per_day: Decimal | None = Field(
        default=None, gt=0, le=12, description="her hours on the group's open days, if not the group's (part-time)"
    )
    efficiency: Decimal = Field(
        default=Decimal(1),
        gt=0,
        le=2,
        description="standard minutes of work she makes per minute worked: 0.8 = a fifth slower than the standard",
    )
    payment_method: PaymentMethod | None = Field(
        default=None, description="how she is paid: bank_transfer, mobile_wallet or cash (through her manager)"
    )
    bank: str | None = Field(default=None, description="bank transfer: the bank's name")
    bank_account: str | None = Field(default=None, description="bank transfer: her account number (CCI in Peru)")
    wallet_provider: str | None = Field(default=None, description="mobile wallet: e.g. Yape, PromptPay")
    wallet_number: str | None = Field(default=None, description="mobile wallet: the number it is paid to")

    @field_validator("consent")
    @classmethod
    def _one_change_per_day(cls, changes: tuple[ConsentChange, ...]) -> tuple[ConsentChange, ...]:
        days = [c.effective for c in changes]
        if len(set(days)) != len(days):
            raise ValueError("two consent changes on the same day: which one she meant is unknown")
        return tuple(sorted(changes, key=lambda c: c.effective))

    @field_validator("active_to")
    @classmethod
    def _not_before_active_from(cls, active_to: date | None, info: ValidationInfo) -> date | None:
        active_from = info.data.get("active_from")
        if active_to and active_from and active_to < active_from:  # reported at the Active to cell
            raise ValueError(f"a day on or after Active from ({active_from.isoformat()})")
        return active_to

    def payment_problems(self) -> list[tuple[str, str]]:
        """(field, what is expected) for each detail her payment method needs and lacks; none when complete."""
        if self.payment_method is None:
            return [("payment_method", f"a payment method: {', '.join(PAYMENT_METHODS)}")]
        needed = PAYMENT_DETAILS[self.payment_method]
        return [
            (field, f"the {_FIELD_WORDS[field]} for {self.payment_method}")
            for field in needed
            if not getattr(self, field)
        ]

    @property
    def payment_details(self) -> str:
        """Where her pay goes, as finance reads it (bank and account, wallet and number, or cash)."""
        if self.payment_method == "bank_transfer":
            return f"{self.bank} {self.bank_account}"
        if self.payment_method == "mobile_wallet":
            return f"{self.wallet_provider} {self.wallet_number}"
        return "cash through her group's manager" if self.payment_method == "cash" else "not recorded"

    def works_on(self, day: date) -> bool:
        """Whether ``day`` is within her active dates (``active`` is checked separately: it means she left)."""
        started = self.active_from is None or self.active_from <= day
        return started and (self.active_to is None or day <= self.active_to)

    def consent_on(self, day: date) -> ConsentChange:
        """Her consent in force on ``day``: the latest change effective on or before it, else none."""
        return next((c for c in reversed(self.consent) if c.effective <= day), NO_CONSENT)


class Product(_Ref):
    sku: str
    name: str
    skill: Skill
    standard_minutes: Decimal = Field(gt=0, description="minutes one maker needs for one unit")
    piece_rates: dict[str, Decimal] = Field(description="piece rate per currency, e.g. {'PEN': 6.50}")
    group_piece_rates: dict[str, Decimal] = Field(
        default_factory=dict, description="per group_id, in the group's currency: a group's own rate instead"
    )
    unit_price_usd: Decimal = Field(gt=0)
    min_quantity: int = Field(ge=1)
    max_quantity: int = Field(ge=1)
    defect_codes: tuple[str, ...] = ()
    care_instructions: dict[str, str] = Field(default_factory=dict, description="per language code")

    def piece_rate(self, group: Group) -> Decimal:
        """What ``group`` pays per passed unit: its own rate if it has one, else its currency's."""
        rate = self.group_piece_rates.get(group.group_id, self.piece_rates.get(group.currency))
        if rate is None:
            raise PieceRateNotFound(f"{self.sku} has no piece rate in {group.currency} for {group.group_id}")
        return rate


class WageRule(_Ref):
    """A legal minimum wage, converted to an hourly rate as amount / hours_covered."""

    country: Literal["PE", "TH"]
    region: str
    currency: Literal["PEN", "THB"]
    amount: Decimal = Field(gt=0)
    unit: Literal["month", "day"]
    hours_covered: Decimal = Field(gt=0, description="hours the amount pays for (RMV: 48 h x 52 / 12)")
    effective_from: date
    source: str | None = Field(
        default=None, description="the legal text that sets it, e.g. Decreto Supremo 006-2024-TR"
    )

    @property
    def hourly(self) -> Decimal:
        return self.amount / self.hours_covered


class PublicHoliday(_Ref):
    """A public holiday of a country (data, not code: a new year's holidays are a reference upload)."""

    country: Literal["PE", "TH"]
    day: date
    name: str


class Buyer(_Ref):
    buyer_id: str
    name: str
    email: EmailStr
    language: Literal["es", "en", "th"] = "en"
    active: bool = Field(default=True, description="no: her API keys stop working at once (within a minute)")
    webhook_url: str | None = Field(
        default=None,
        max_length=500,
        description="https:// address her order news is POSTed to, signed (blank: e-mail only)",
    )

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, url: str | None) -> str | None:
        # the shape only; whether private addresses are allowed depends on where Telar runs (book_problems)
        if url and (problem := url_problem(url, allow_private=True)):
            raise ValueError(f"expected {problem}")
        return url or None


class ReferenceData(_Ref):
    """Everything a pipeline stage needs to know about the world, read once per invocation."""

    groups: tuple[Group, ...]
    makers: tuple[Maker, ...]
    products: tuple[Product, ...]
    wage_rules: tuple[WageRule, ...]
    holidays: tuple[PublicHoliday, ...] = ()

    def public_holidays(self, country: str, first: date, last: date) -> dict[date, str]:
        """The public holidays of ``country`` from ``first`` to ``last``: day -> name."""
        return {h.day: h.name for h in self.holidays if h.country == country and first <= h.day <= last}

    def group(self, group_id: str) -> Group:
        """The group ``group_id``; raises GroupNotFound if the reference data has none."""
        found = next((g for g in self.groups if g.group_id == group_id), None)
        if found is None:
            raise GroupNotFound(f"group {group_id!r} is not in the reference data")
        return found

    def product(self, sku: str) -> Product:
        """The catalog's product ``sku``; raises ProductNotFound if the catalog has none."""
        found = self.find_product(sku)
        if found is None:
            raise ProductNotFound(f"{sku} is not in the catalog")
        return found

    def find_product(self, sku: str) -> Product | None:
        """The catalog's product ``sku``, or None where an unknown SKU is an answer (an order line, a QC row)."""
        return next((p for p in self.products if p.sku == sku), None)

    def makers_of(self, group_id: str, skill: str | None = None) -> list[Maker]:
        return [m for m in self.makers if m.group_id == group_id and m.active and (skill is None or skill in m.skills)]

    def minimum_wage(self, group: Group, on: date) -> WageRule:
        """The wage rule in force for ``group`` on ``on`` (latest effective_from not after it)."""
        rules = [
            r
            for r in self.wage_rules
            if r.country == group.country and r.region == group.region and r.effective_from <= on
        ]
        if not rules:
            raise WageRuleNotFound(f"no minimum wage for {group.country}/{group.region} on {on}")
        return max(rules, key=lambda r: r.effective_from)


@dataclass(frozen=True)
class SheetRow:
    """One row of an uploaded reference sheet as read, for the rules that look across sheets.

    ``item`` is the row's model, or None when the row broke its own rules (those problems are reported
    already); ``values`` are its cells as read, so ids still match when another cell of the row is bad.
    """

    item: Any
    values: Mapping[str, Any]
    cells: Mapping[tuple[str, str | None], str]  # (field, dict key or None) -> cell such as "C4"
    first_cell: str  # where to point when a field has no column

    def cell(self, field: str, key: str | None = None) -> str:
        """Where ``field`` (its ``key`` for a dict field) stands on this row."""
        return (
            self.cells.get((field, key))
            or self.cells.get((field, None))
            or next((c for (f, _), c in self.cells.items() if f == field), self.first_cell)
        )


@dataclass(frozen=True)
class ReferenceRows:
    """Every row of each sheet of an uploaded reference book (keyed by sheet name), before the cross-sheet rules."""

    sheets: Mapping[str, Sequence[SheetRow]]

    def items(self, sheet: str) -> list[tuple[SheetRow, Any]]:
        """The rows of ``sheet`` that passed their own rules, each with its model."""
        return [(row, row.item) for row in self.sheets[sheet] if row.item is not None]


CONFIRM_LABEL = "Confirm"  # the instructions sheet's cell a person writes yes beside to apply a risky import


class ReferenceBook(BaseModel):
    """Everything one reference workbook holds."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    reference: ReferenceData
    buyers: tuple[Buyer, ...] = ()
    confirmed: bool = False  # CONFIRM_LABEL: yes on the instructions sheet: apply changes the guards would refuse

    def canonical(self) -> "ReferenceBook":
        """The same data in key order, so two books compare equal whatever order their rows were in."""
        ref = self.reference
        return ReferenceBook(
            reference=ref.model_copy(
                update={
                    "groups": tuple(sorted(ref.groups, key=lambda g: g.group_id)),
                    "makers": tuple(sorted(ref.makers, key=lambda m: m.worker_id)),
                    "products": tuple(sorted(ref.products, key=lambda p: p.sku)),
                    "wage_rules": tuple(sorted(ref.wage_rules, key=lambda w: (w.country, w.region, w.effective_from))),
                    "holidays": tuple(sorted(ref.holidays, key=lambda h: (h.country, h.day))),
                }
            ),
            buyers=tuple(sorted(self.buyers, key=lambda b: b.buyer_id)),
        )
