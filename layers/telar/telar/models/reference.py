"""Reference data: groups, makers, catalog, wage rules and buyers (uploaded by staff)."""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from telar.errors import GroupNotFound, PieceRateNotFound, ProductNotFound, WageRuleNotFound
from telar.webhooks import url_problem

Skill = Literal["knitting", "embroidery", "sewing", "jewelry", "crochet"]
# Paid time that is not pieces (issue 15), as the attendance sheet records it, one column each.
TimeKind = Literal["training", "course", "design", "meeting", "holiday"]
TIME_KINDS: tuple[TimeKind, ...] = get_args(TimeKind)
Language = Literal["es", "th", "en"]
LANGUAGES: tuple[Language, ...] = ("en", "es", "th")
UNTRANSLATED_MARK: Final = " [EN]"  # after an English word shown where her language has none yet
MAX_PHOTO_OPTIONS: Final = 3  # the contact sheet shows three options per maker, as the partners print them
_PHOTO_FILE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))  # zero-width spaces, soft hyphen


def word_key(text: str) -> str:
    """How two spellings of one word compare: Unicode NFC (Thai vowels and tone marks typed in either order of
    composition), no zero-width characters (Thai word-break hints), case-insensitive, ``_`` read as a space and
    runs of white space as one."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).replace("_", " ")
    return " ".join(text.casefold().split())


def untranslated(english: str) -> str:
    """An English word standing in for a missing translation, marked so that nobody takes it for hers."""
    return english + UNTRANSLATED_MARK if english else english


def in_language(words: Mapping[Any, str], language: str, english: str) -> str:
    """``words[language]``; else ``english``, marked (:func:`untranslated`) unless ``language`` is English."""
    said = (words.get(language) or "").strip()
    if said:
        return said
    return english if language == "en" else untranslated(english)


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
    lead_days: int = Field(
        default=2,
        ge=0,
        le=30,
        description="open days the group has at least between its papers being sent and their due date, counted "
        "in its time zone from the day after sending (its closed days and its country's public holidays skipped)",
    )

    papers_note: dict[Language, Annotated[str, Field(max_length=500)]] = Field(
        default_factory=dict,
        description="a standing note from the office on every work sheet and papers e-mail of the group (where "
        "materials are collected, say), per language; missing in hers: the English one, marked [EN]",
    )

    def note_in(self, language: str) -> str:
        """The group's papers note in ``language`` (the English one, marked, where it has none); "" for none."""
        return in_language(self.papers_note, language, (self.papers_note.get("en") or "").strip())

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


class MakerStory(_Ref):
    """Her story in one language, and the day she approved that text (it is read to her in her own language)."""

    language: Language
    text: str = Field(min_length=1)
    approved_on: date | None = Field(
        default=None, description="the day she approved this text; blank: not approved yet, never printed"
    )


class Maker(_Ref):
    worker_id: str
    group_id: str
    first_name: str
    alias: str | None = None
    skills: tuple[Skill, ...]
    consent: tuple[ConsentChange, ...] = Field(
        default=(), description="consent changes, oldest first; none recorded means nothing is shown"
    )
    photo_file: str | None = Field(
        default=None, description="her card photo under photos/ when she has no Photo options (as before them)"
    )
    photo_options: tuple[str, ...] = Field(
        default=(),
        description=f"up to {MAX_PHOTO_OPTIONS} photo file names under photos/, comma-separated, printed numbered "
        "1-3 on her group's contact sheet for her to choose from",
    )
    photo_choice: int | None = Field(
        default=None,
        description="the number (1, 2 or 3) of the option she chose for her cards; blank: not chosen yet",
    )
    story: str | None = Field(
        default=None, description="her story as kept before stories per language (printed only when she has none)"
    )
    stories: tuple[MakerStory, ...] = Field(
        default=(),
        description="her story per language with its approval (the stories sheet): when she has any, a card "
        "prints only the one approved in the buyer's language",
    )
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

    @field_validator("photo_options")
    @classmethod
    def _photo_options(cls, options: tuple[str, ...]) -> tuple[str, ...]:
        if len(options) > MAX_PHOTO_OPTIONS:
            raise ValueError(f"at most {MAX_PHOTO_OPTIONS} photo file names, comma-separated ({len(options)} given)")
        for name in options:
            # a bare file name: the key is photos/<name>, so a path could reach other folders of the bucket
            if not _PHOTO_FILE.fullmatch(name):
                raise ValueError(
                    f"{name!r} is not a file name under photos/: letters, digits, '.', '-' and '_' only, "
                    "no folders, at most 100 characters (e.g. cusco-01-a.jpg)"
                )
        if len(set(options)) != len(options):
            raise ValueError("each photo option once: the same file is listed twice")
        return options

    @field_validator("photo_choice")
    @classmethod
    def _chosen_option_exists(cls, choice: int | None, info: ValidationInfo) -> int | None:
        if choice is None:
            return None
        if "photo_options" not in info.data:  # the options are invalid: reported at their own cell
            return choice
        options = info.data["photo_options"]
        if not options:
            raise ValueError("blank: she has no Photo options to choose from")
        if not 1 <= choice <= len(options):
            numbers = "1" if len(options) == 1 else f"1 to {len(options)}"
            raise ValueError(f"the number of one of her {len(options)} Photo options: {numbers}")
        return choice

    @property
    def card_photo(self) -> str | None:
        """The photo file her cards print (with her photo consent): the option she chose; until she chooses, or
        for a maker with no options, her Photo file as before options existed."""
        if self.photo_choice is not None and self.photo_choice <= len(self.photo_options):
            return self.photo_options[self.photo_choice - 1]
        return self.photo_file

    @field_validator("stories")
    @classmethod
    def _one_story_per_language(cls, stories: tuple[MakerStory, ...]) -> tuple[MakerStory, ...]:
        languages = [s.language for s in stories]
        if len(set(languages)) != len(languages):
            raise ValueError("two stories in the same language: which one she approved is unknown")
        return stories

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

    def story_for(self, language: str, on: date) -> str | None:
        """The story a card in ``language`` may print on ``on``: the text of that language she approved by then;
        without stories per language, her one story as before (None if there is none)."""
        if not self.stories:
            return (self.story or "").strip() or None
        found = next((s for s in self.stories if s.language == language), None)
        if found is None or found.approved_on is None or found.approved_on > on:
            return None
        return found.text.strip() or None

    def consent_on(self, day: date) -> ConsentChange:
        """Her consent in force on ``day``: the latest change effective on or before it, else none."""
        return next((c for c in reversed(self.consent) if c.effective <= day), NO_CONSENT)


class DefectCode(_Ref):
    """A defect a QC sheet names: a stable code (what Telar stores) and the word a manager reads, per language."""

    code: str = Field(min_length=1, description="the stable code QC results are stored under, e.g. LOOSE_THREAD")
    label: dict[Language, str] = Field(
        default_factory=dict,
        description="what a manager reads, per language (a QC sheet may say the code or any language's label)",
    )

    def label_in(self, language: str) -> str:
        """Her language's label; else the English one (or the code), marked as untranslated. A code with no
        labels at all (a book before issue 17) is its own word, as it always was."""
        if not any(w.strip() for w in self.label.values()):
            return self.code
        return in_language(self.label, language, (self.label.get("en") or "").strip() or self.code)

    def words(self) -> list[str]:
        """Every spelling a QC cell may use for this defect: the code, each label, a marked English fallback."""
        english = (self.label.get("en") or "").strip() or self.code
        return [self.code, *(w for w in self.label.values() if w.strip()), untranslated(english)]


class OptionWord(_Ref):
    """A word of order options (a colour, a size, a motif, or the option's own name) in each language."""

    word: str = Field(min_length=1, description="as buyers write it in an order's options, e.g. natural grey")
    label: dict[Language, str] = Field(default_factory=dict, description="what a manager reads, per language")


class MaterialNeed(_Ref):
    """What one unit of a product takes of one material (the manager buys the materials for her group's work)."""

    material: str = Field(min_length=1, description="the material, in English: e.g. alpaca yarn, natural")
    names: dict[Language, str] = Field(
        default_factory=dict, description="its name in each group's language; missing: English, marked [EN]"
    )
    unit: str = Field(min_length=1, description="how it is measured or counted, in English: g, m, cm, pieces")
    units: dict[Language, str] = Field(
        default_factory=dict, description="the unit in each group's language (g, m: the same); missing: marked [EN]"
    )
    quantity_per_unit: Decimal = Field(gt=0, description="how much of it one unit of the product takes")

    def name_in(self, language: str) -> str:
        return in_language(self.names, language, self.material)

    def unit_in(self, language: str) -> str:
        return in_language(self.units, language, self.unit)


class Product(_Ref):
    sku: str
    name: str
    names: dict[Language, str] = Field(
        default_factory=dict,
        description="the name in each group's language (Name is the English one); missing: English, marked [EN]",
    )
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
    materials: tuple[MaterialNeed, ...] = Field(
        default=(), description="bill of materials: what one unit takes of each material (the materials sheet)"
    )

    def name_in(self, language: str) -> str:
        """The product's name in ``language``; the English name, marked, where it has none."""
        return in_language(self.names, language, self.name)

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
    defects: tuple[DefectCode, ...] = Field(
        default=(), description="defect codes with their labels (none before issue 17: each code is its own word)"
    )
    option_words: tuple[OptionWord, ...] = Field(
        default=(), description="the words of order options in each language (none before issue 17)"
    )

    def option_in(self, text: str, language: str) -> str:
        """A word of an order's options in ``language``: its label on the option words sheet; else as the buyer
        wrote it, marked [EN] (unless it holds no letters, as 40 or 12-14 say the same in every language)."""
        if language == "en" or not text.strip():
            return text
        key = word_key(text)
        found = next((w for w in self.option_words if word_key(w.word) == key), None)
        if found is not None:
            return in_language(found.label, language, text)
        return untranslated(text) if any(ch.isalpha() for ch in text) else text

    def options_in(self, options: Mapping[str, str], language: str) -> str:
        """An order line's options as her sheet prints them: ``colour: natural, size: M`` in ``language``."""
        return ", ".join(f"{self.option_in(k, language)}: {self.option_in(v, language)}" for k, v in options.items())

    def defect(self, code: str) -> DefectCode:
        """The defect ``code`` with its labels; a code without an entry is its own word (books before issue 17)."""
        return next((d for d in self.defects if d.code == code), None) or DefectCode(code=code)

    def defect_words(self, codes: Iterable[str]) -> dict[str, str]:
        """For the defects ``codes`` (a product's), each spelling's :func:`word_key` -> the stable code."""
        found: dict[str, str] = {}
        for code in codes:
            for word in self.defect(code).words():
                found.setdefault(word_key(word), code)
        return found

    def public_holidays(self, country: str, first: date, last: date) -> dict[date, str]:
        """The public holidays of ``country`` from ``first`` to ``last``: day -> name."""
        return {h.day: h.name for h in self.holidays if h.country == country and first <= h.day <= last}

    def group(self, group_id: str) -> Group:
        """The group ``group_id``; raises GroupNotFound if the reference data has none."""
        found = next((g for g in self.groups if g.group_id == group_id), None)
        if found is None:
            raise GroupNotFound(f"group {group_id!r} is not in the reference data")
        return found

    def groups_managed_by(self, address: str) -> tuple[Group, ...]:
        """The groups whose manager has this e-mail address (compared in lower case, as mail addresses are)."""
        return tuple(g for g in self.groups if str(g.manager_email).lower() == address.lower())

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
                    "defects": tuple(sorted(ref.defects, key=lambda d: d.code)),
                    "option_words": tuple(sorted(ref.option_words, key=lambda w: w.word)),
                }
            ),
            buyers=tuple(sorted(self.buyers, key=lambda b: b.buyer_id)),
        )
