"""The reference book: groups, makers, consent, catalog, wage rules and buyers, written as a template or an
export and read back from an upload (under `reference/` in the uploads bucket).

One workbook, one sheet per kind (`groups`, `makers`, `consent`, `stories`, `catalog`, `materials`, `defects`,
`option_words`, `wage_rules`, `holidays`, `buyers`) after an `instructions` sheet (`stories`, `materials`,
`defects`, `option_words` and `holidays` may be missing from a book made before they existed). The `stories`
sheet holds each maker's story per language (`Worker ID`, `Language`, `Text`, `Approved on`). Row 1 of each sheet is the
header, one row per item below it. Columns come from the pydantic models' own fields, so a field added to a model
appears in the book without code here: scalars take one column, lists one comma-separated cell, dicts one column
per key (`Piece rates PEN`), and a maker's consent history has its own sheet (one row per change), as a product's
bill of materials has (`materials`: `SKU`, `Material`, `Name es`, `Name th`, `Unit`, `Unit es`, `Unit th`,
`Quantity per unit`, one row per product and material). Headers are matched case-insensitively, in any order;
unknown columns are refused (a misspelt header would lose data) unless they start with `Note`. Yes/no cells take
yes, y, true, 1, x, sí (and no, n, false, 0); dates and numbers are read as on the QC sheet.

Card photos: the makers sheet's `Photo options` holds up to 3 file names under `photos/` in the uploads bucket,
comma-separated (bare names: letters, digits, `.`, `-`, `_`), printed numbered 1-3 on the group's contact sheet;
`Photo choice` is the number she chose (1, 2 or 3; blank: not chosen yet), and her cards print that option. Until
she chooses, and for a maker with no options, cards print her `Photo file` as before. Consent is unchanged: no
photo is printed without her photo consent (the `consent` sheet).

Words in the groups' languages: the catalog's `Name es` and `Name th` beside its English `Name`; the `defects`
sheet, a label per language for each defect code of the catalog (`Code`, `Label en`, `Label es`, `Label th`; a QC
sheet may name a defect by its code or any of its labels); the `option_words` sheet, the words buyers use in an
order's options (`Word`, `Label en`, `Label es`, `Label th`); the materials' names; and the groups sheet's
`Papers note en`, `Papers note es`, `Papers note th`, the office's note printed on the group's work sheets and
work e-mails (columns starting with `Note` stay the office's own, never printed). A missing translation is
never refused: managers read the English word marked ` [EN]`, and the upload's receipt lists each one as a warning.

Reading validates the whole book and raises SheetInvalid with every problem, each at its sheet and cell: ids
are unique per sheet, every maker's group and every consent row's maker exist, each group has a minimum-wage
rule in its currency, each product a piece rate for every group and a minimum not above its maximum, each
material row a product of the catalog and a quantity above 0, and time zones are real IANA names (the rules
across sheets are the domain's, in telar/reference_book.py). To apply a change Telar refuses as risky (an empty
catalog, most makers of a busy group gone), write yes in the cell right of `Confirm` on the instructions sheet.
"""

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from telar.errors import SheetInvalid, SheetProblem
from telar.models import Buyer, ConsentChange, DefectCode, Group, Maker, MakerStory, MaterialNeed, OptionWord
from telar.models.reference import (
    CONFIRM_LABEL,
    LANGUAGES,
    TIME_KINDS,
    Product,
    PublicHoliday,
    ReferenceBook,
    ReferenceData,
    ReferenceRows,
    SheetRow,
    WageRule,
)
from telar.sheets.cell_readers import as_date, as_decimal, label_key, text
from telar.sheets.cells import (
    TITLE_FONT,
    WRAP,
    new_workbook,
    put_text,
    put_value,
    set_widths,
    style_header_row,
    to_bytes,
)
from telar.sheets.reading import MAX_UPLOAD_BYTES, Grid, coordinate, is_blank, read_grids
from telar.sheets.xlsx import Validation, column_letter

CONSENT_SHEET: Final = "consent"
MATERIALS_SHEET: Final = "materials"
STORIES_SHEET: Final = "stories"
INSTRUCTIONS_SHEET: Final = "instructions"
CrossSheetRules = Callable[[ReferenceRows], list[SheetProblem]]  # the domain's rules across sheets
DATE_FORMAT: Final = "yyyy-mm-dd"
_YES = {"yes", "y", "true", "1", "x", "si", "sí", "ใช่"}
_NO = {"no", "n", "false", "0", "ไม่"}
_MAX_ROWS: Final = 10_000


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    key: str | None = None  # the dict key, for one column of a dict field


@dataclass(frozen=True)
class SheetSpec:
    name: str
    model: type[BaseModel]
    keys: tuple[str, ...]  # fields that identify a row (duplicates are refused)
    about: str
    skip: tuple[str, ...] = ()  # fields kept on another sheet
    extra: tuple[str, ...] = ()  # leading fields not on the model (the consent sheet's worker id)
    optional: bool = False  # a book made before the sheet existed still reads (as no rows)


SHEETS: Final = (
    SheetSpec("groups", Group, ("group_id",), "One row per production group. The region names its minimum-wage rule."),
    SheetSpec(
        "makers",
        Maker,
        ("worker_id",),
        "One row per maker. Skills comma-separated. A maker who leaves: set Active to no (or leave her out; "
        "she is kept, inactive). Never reuse a worker id.",
        skip=("consent", "stories"),
    ),
    SheetSpec(
        CONSENT_SHEET,
        ConsentChange,
        ("worker_id", "effective"),
        "Each change of a maker's consent to show her photo, name and story on insert cards, from the date "
        "it takes effect. A withdrawal is a new row with no. Keep the old rows: they are her history.",
        extra=("worker_id",),
    ),
    SheetSpec(
        STORIES_SHEET,
        MakerStory,
        ("worker_id", "language"),
        "Each maker's story, one row per language: in her own language (read to her: what she approves) and in "
        "the buyers' languages (what cards print). Approved on is the day she approved that text; a card prints "
        "only a story approved in the buyer's language (with her story consent), else its group line alone. A "
        "maker with no row here keeps the Story of the makers sheet.",
        extra=("worker_id",),
        optional=True,
    ),
    SheetSpec(
        "catalog",
        Product,
        ("sku",),
        "One row per product. Name is the English name; Name es and Name th are the names managers read on "
        "their sheets, e-mails and payslips (a missing one is shown in English marked [EN], and the upload's "
        "receipt lists it). Piece rates per currency, care instructions per language, defect codes "
        "comma-separated (their labels are on the defects sheet).",
        skip=("materials",),
    ),
    SheetSpec(
        MATERIALS_SHEET,
        MaterialNeed,
        ("sku", "material", "unit"),
        "The bill of materials: one row per product and material, what one unit of the product takes (Quantity "
        "per unit, in the Unit given: g, m, pieces). Name es and Name th are what managers read; a missing one "
        "is shown in English marked [EN]. Work sheets list what each assignment needs; the manager's e-mail "
        "states the totals to buy.",
        extra=("sku",),
        optional=True,
    ),
    SheetSpec(
        "defects",
        DefectCode,
        ("code",),
        "One row per defect code (the codes the catalog's Defect codes name): the stable code Telar stores and "
        "the label a manager reads in each language. A QC sheet may say the code or any language's label. A "
        "missing label is shown in English marked [EN], and the upload's receipt lists it: nothing is refused "
        "for it. Labels hold no commas or semicolons (they separate defects in a QC cell).",
        optional=True,
    ),
    SheetSpec(
        "option_words",
        OptionWord,
        ("word",),
        "The words buyers use in order options (colour, size, motif and their values, e.g. natural grey) with "
        "the label a manager reads in each language. An option word not listed here is printed as the buyer "
        "wrote it, marked [EN].",
        optional=True,
    ),
    SheetSpec(
        "wage_rules",
        WageRule,
        ("country", "region", "effective_from"),
        "Legal minimum wages; keep the old rules, pay for past work uses the rule in force then.",
    ),
    SheetSpec(
        "holidays",
        PublicHoliday,
        ("country", "day"),
        "Public holidays of each country, one row per day (e.g. 2026-12-08 Inmaculada Concepción). A group pays "
        "them on its open days when its Paid public holidays is yes; the attendance sheet marks them.",
        optional=True,
    ),
    SheetSpec(
        "buyers",
        Buyer,
        ("buyer_id",),
        "Wholesale buyers. A new buyer gets an API key by e-mail, once. A Webhook URL (https://) also gets her "
        "order news POSTed there, signed with a secret she is e-mailed once.",
    ),
)
_DICT_KEYS: Final = {  # the columns a template shows for an empty dict field
    "piece_rates": get_args(Group.model_fields["currency"].annotation),
    "care_instructions": get_args(Group.model_fields["language"].annotation),
    "time_rates": TIME_KINDS,
    "label": LANGUAGES,
    "papers_note": LANGUAGES,
    "names": tuple(lang for lang in LANGUAGES if lang != "en"),  # English is the Name column itself
    "units": tuple(lang for lang in LANGUAGES if lang != "en"),  # English is the Unit column itself
}
_DICT_PREFIXES: Final = {"names": "Name", "units": "Unit"}
_WORDS = {"id": "ID", "sku": "SKU", "usd": "USD", "url": "URL"}


# ---------------------------------------------------------------------------------------------- columns


def _label(field: str) -> str:
    words = [_WORDS.get(w, w) for w in field.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def _dict_prefix(field: str) -> str:
    """How a dict field's columns begin: its label, or the label of the field it translates (`Name es`)."""
    return _DICT_PREFIXES.get(field) or _label(field)


def _header_key(value: object) -> str:
    """The QC sheet's label matching, with "_" read as a space ("worker_id" is the "Worker ID" column)."""
    return label_key(str(value).replace("_", " ")) or ""


def _annotation(spec: SheetSpec, field: str) -> Any:
    if field in spec.extra:
        return str
    return spec.model.model_fields[field].annotation


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _is_dict(annotation: Any) -> bool:
    return get_origin(_unwrap(annotation)) is dict


def _item_type(annotation: Any) -> Any | None:
    """The element type of a tuple/list field, else None."""
    annotation = _unwrap(annotation)
    if get_origin(annotation) in (tuple, list):
        return get_args(annotation)[0]
    return None


def _fields(spec: SheetSpec) -> list[str]:
    return [*spec.extra, *(f for f in spec.model.model_fields if f not in spec.skip)]


def columns(spec: SheetSpec, rows: Iterable[dict[str, Any]] = ()) -> list[Column]:
    """The columns of a sheet; a dict field gets one per key in ``rows`` or its known keys."""
    rows = list(rows)
    out = []
    for field in _fields(spec):
        if _is_dict(_annotation(spec, field)):
            keys = dict.fromkeys(_DICT_KEYS.get(field, ()))
            keys.update(dict.fromkeys(k for r in rows for k in (r.get(field) or {})))
            out += [Column(field, f"{_dict_prefix(field)} {k}", k) for k in keys]
        else:
            out.append(Column(field, _label(field)))
    return out


# ---------------------------------------------------------------------------------------------- writing


def _rows(spec: SheetSpec, book: ReferenceBook) -> list[dict[str, Any]]:
    """The model instances of a sheet as {field: value}."""
    ref = book.reference
    if spec.name == CONSENT_SHEET:
        return [{"worker_id": m.worker_id, **dict(c)} for m in ref.makers for c in m.consent]
    if spec.name == STORIES_SHEET:
        return [{"worker_id": m.worker_id, **dict(story)} for m in ref.makers for story in m.stories]
    if spec.name == MATERIALS_SHEET:
        return [{"sku": p.sku, **dict(need)} for p in ref.products for need in p.materials]
    items: Sequence[BaseModel] = {
        "groups": ref.groups,
        "makers": ref.makers,
        "catalog": ref.products,
        "defects": ref.defects,
        "option_words": ref.option_words,
        "wage_rules": ref.wage_rules,
        "holidays": ref.holidays,
        "buyers": book.buyers,
    }[spec.name]
    return [dict(item) for item in items]


def _write_cell(cell: Any, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        put_text(cell, "yes" if value else "no")
    elif isinstance(value, int | Decimal):
        put_value(cell, value)
    elif isinstance(value, date):
        put_value(cell, value, DATE_FORMAT)
    elif isinstance(value, tuple | list):
        if value and isinstance(value[0], BaseModel):  # a nested list no sheet holds: JSON keeps it whole
            put_text(cell, json.dumps([v.model_dump(mode="json") for v in value], ensure_ascii=False))
        else:
            put_text(cell, ", ".join(v.isoformat() if isinstance(v, date) else str(v) for v in value))
    elif isinstance(value, BaseModel | dict):
        put_text(cell, json.dumps(value.model_dump(mode="json") if isinstance(value, BaseModel) else value))
    else:
        put_text(cell, value)


def _choices(annotation: Any) -> tuple[str, ...] | None:
    annotation = _unwrap(annotation)
    if annotation is bool:
        return ("yes", "no")
    if get_origin(annotation) is Literal:
        return tuple(str(a) for a in get_args(annotation))
    return None


def write_reference_book(book: ReferenceBook | None = None) -> bytes:
    """The reference workbook holding ``book`` (an export), or an empty template when None."""
    book = book or ReferenceBook(reference=ReferenceData(groups=(), makers=(), products=(), wage_rules=()))
    wb, guide = new_workbook(INSTRUCTIONS_SHEET)
    put_text(guide.cell(row=1, column=1), "Telar reference data").font = TITLE_FONT
    put_text(
        guide.cell(row=2, column=1),
        "Edit the sheets and upload the whole workbook to reference/ in the uploads bucket. Nothing is applied "
        "if anything is wrong: you get an e-mail naming each cell to fix. Header names are the contract; "
        "columns starting with 'Note' are yours. Yes/no cells take yes or no; lists are comma-separated; "
        "dates are YYYY-MM-DD. Languages: managers read product names (catalog: Name es, Name th), defects "
        "(defects: Label es, Label th) and order options (option_words) in their group's language. Where a "
        "translation is missing they read the English word marked [EN]; the upload is applied all the same "
        "and its receipt lists each missing translation as a warning.",
    ).alignment = WRAP
    put_text(guide.cell(row=3, column=1), CONFIRM_LABEL).font = TITLE_FONT
    guide.comment(
        3,
        1,
        "Leave empty. Write yes in the cell to the right only to apply a change Telar refused as risky "
        "(an empty catalog, most makers of a busy group deactivated, a product, group or buyer with open "
        "orders removed).",
    )
    line = 4
    for spec in SHEETS:
        rows = _rows(spec, book)
        cols = columns(spec, rows)
        ws = wb.create_sheet(spec.name)
        for c, column in enumerate(cols, start=1):
            put_text(ws.cell(row=1, column=c), column.header)
            info = spec.model.model_fields.get(column.field)
            if info is not None and info.description:  # the model's own words, as a note on the header
                ws.comment(1, c, info.description)
            if choices := _choices(_annotation(spec, column.field)):
                validation = Validation({"validate": "list", "source": list(choices)})
                validation.add(f"{column_letter(c)}2:{column_letter(c)}{_MAX_ROWS}")
                ws.add_data_validation(validation)
            for r, row in enumerate(rows, start=2):
                value = row.get(column.field)
                _write_cell(ws.cell(row=r, column=c), (value or {}).get(column.key) if column.key else value)
        style_header_row(ws, 1, 1, len(cols))
        ws.freeze(2, 2)
        set_widths(ws, [max(12, min(40, len(c.header) + 4)) for c in cols])
        put_text(guide.cell(row=line, column=1), spec.name).font = TITLE_FONT
        put_text(guide.cell(row=line + 1, column=1), spec.about).alignment = WRAP
        listed = "Columns: " + ", ".join(c.header for c in cols)
        for field in _fields(spec):  # a dict field with no key yet has no column to show: say how to add one
            info = spec.model.model_fields.get(field)
            if info and _is_dict(info.annotation) and not any(c.field == field for c in cols):
                listed += f". Optional: a column '{_dict_prefix(field)} <key>' per key ({info.description or 'a map'})"
        put_text(guide.cell(row=line + 2, column=1), listed).alignment = WRAP
        line += 4
    set_widths(guide, {1: 110})
    return to_bytes(wb)


# ---------------------------------------------------------------------------------------------- reading


class _Problems(list[SheetProblem]):
    def add(self, sheet: str, cell: str, value: object, expected: str) -> None:
        self.append(SheetProblem(sheet, cell, value, expected))


@dataclass
class _Row:
    number: int
    values: dict[str, Any]  # field -> value ready for the model (dict fields as dicts)
    cells: dict[tuple[str, str | None], str]  # (field, dict key) -> cell, for problems
    raw: dict[tuple[str, str | None], Any] = dataclasses.field(default_factory=dict)  # the values as typed
    unreadable: set[str] = dataclasses.field(default_factory=set)  # fields already reported as unreadable
    item: BaseModel | None = None

    def as_read(self) -> SheetRow:
        return SheetRow(self.item, self.values, self.cells, coordinate(self.number, 1))

    def cell(self, field: str, key: str | None = None) -> str:
        return self.as_read().cell(field, key)


def _match_columns(spec: SheetSpec, grid: Grid, header_row: int, problems: _Problems) -> dict[int, Column]:
    known = {_header_key(c.header): c for c in columns(spec)}
    dict_fields = {_header_key(_dict_prefix(f)): f for f in _fields(spec) if _is_dict(_annotation(spec, f))}
    found: dict[int, Column] = {}
    seen: dict[tuple[str, str | None], str] = {}
    headers = grid.rows[header_row]
    for c, value in enumerate(headers, start=1):
        if is_blank(value):
            continue
        key = _header_key(value)
        column = known.get(key)
        if column is None:
            prefix = next((p for p in dict_fields if key.startswith(p + " ")), None)
            if prefix is not None:  # "Piece rates pen" is the PEN column: known keys keep their spelling
                field = dict_fields[prefix]
                typed = str(value).strip().rsplit(" ", 1)[-1]
                dict_key = next((k for k in _DICT_KEYS.get(field, ()) if k.casefold() == typed.casefold()), typed)
                column = Column(field, str(value).strip(), dict_key)
        where = coordinate(header_row, c)
        if column is None:
            if not key.startswith("note"):
                problems.add(
                    spec.name,
                    where,
                    value,
                    "a column of the template: "
                    + ", ".join(c.header for c in columns(spec))
                    + " (or a column starting with 'Note')",
                )
            continue
        if (column.field, column.key) in seen:
            problems.add(
                spec.name, where, value, f"this column only once (it is already in {seen[column.field, column.key]})"
            )
            continue
        seen[column.field, column.key] = where
        found[c] = column
    present = {c.field for c in found.values()}
    next_free = coordinate(header_row, len(headers) + 1)
    for field in _fields(spec):
        info = spec.model.model_fields.get(field)
        required = info.is_required() if info else True
        if required and field not in present and not _is_dict(_annotation(spec, field)):
            problems.add(spec.name, next_free, None, f"a column headed '{_label(field)}'")
    return found


def _convert(annotation: Any, value: Any, date1904: bool) -> tuple[Any, str | None]:
    """A cell value as the model field wants it, or (None, what was expected)."""
    annotation = _unwrap(annotation)
    if annotation is bool:
        if isinstance(value, bool):
            return value, None
        answer = text(value).casefold()
        if answer in _YES:
            return True, None
        if answer in _NO:
            return False, None
        return None, "yes or no"
    if annotation is int or annotation is Decimal:
        number = as_decimal(value)
        if number is None:
            return None, "a number"
        if annotation is int:
            if number != number.to_integral_value():
                return None, "a whole number"
            return int(number), None
        return number, None
    if annotation is date:
        found = as_date(value, date1904=date1904)
        return (found, None) if found else (None, "a date such as 2026-03-01")
    item = _item_type(annotation)
    if item is not None:
        if isinstance(item, type) and issubclass(item, BaseModel):
            try:
                return json.loads(text(value)), None
            except ValueError:
                return None, "the JSON list Telar exported in this cell"
        parts = [p.strip() for p in text(value).replace(";", ",").split(",") if p.strip()]
        converted = []
        for part in parts:
            one, problem = _convert(item, part, date1904)
            if problem:
                return None, f"a comma-separated list, each {problem}"
            converted.append(one)
        return converted, None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        try:
            return json.loads(text(value)), None
        except ValueError:
            return None, "the JSON Telar exported in this cell"
    return text(value), None  # text, literals, e-mail addresses: pydantic checks the rest


def _read_sheet(spec: SheetSpec, grid: Grid, problems: _Problems) -> list[_Row] | None:
    if grid.sheet.casefold() != spec.name.casefold() and spec.optional:
        return []
    if grid.sheet.casefold() != spec.name.casefold():
        problems.add(spec.name, "", None, f"a sheet named '{spec.name}' (download the template to see them all)")
        return None
    if not grid.rows:
        problems.add(spec.name, "A1", None, "a header row with the template's columns")
        return None
    header_row = min(grid.rows)
    found = _match_columns(spec, grid, header_row, problems)
    rows = []
    for number in sorted(n for n in grid.rows if n > header_row):
        row = _Row(number, {}, {})
        for c, column in found.items():
            value = grid.value(number, c)
            where = coordinate(number, c)
            row.cells[column.field, column.key] = where
            if is_blank(value):
                continue
            row.raw[column.field, column.key] = value
            annotation = _annotation(spec, column.field)
            if column.key:  # one value of a dict field
                annotation = get_args(_unwrap(annotation))[1]
            converted, problem = _convert(annotation, value, grid.date1904)
            if problem:
                problems.add(spec.name, where, value, problem)
                row.unreadable.add(column.field)
            elif column.key:
                row.values.setdefault(column.field, {})[column.key] = converted
            else:
                row.values[column.field] = converted
        if all(is_blank(grid.value(number, c)) for c in found):
            continue  # only notes on this row
        rows.append(row)
    return rows


def _validate_rows(spec: SheetSpec, rows: list[_Row], problems: _Problems) -> None:
    for row in rows:
        values = {k: v for k, v in row.values.items() if k not in spec.extra}
        try:
            row.item = spec.model.model_validate(values)
        except ValidationError as invalid:
            for error in invalid.errors():
                loc = error["loc"]
                field = str(loc[0]) if loc else None
                if field in row.unreadable:  # "missing" only because its cell could not be read: said already
                    continue
                key = str(loc[1]) if len(loc) > 1 and field and _is_dict(_annotation(spec, field)) else None
                where = row.cell(field, key) if field else coordinate(row.number, 1)
                problems.add(spec.name, where, row.raw.get((field, key)) if field else None, _message(error))
        for field in spec.extra:
            if field not in row.values:
                problems.add(spec.name, row.cell(field), None, f"a {_label(field)}")


def _message(error: Any) -> str:
    message = str(error["msg"])
    if error["type"] == "missing":
        return "a value (this column is required)"
    return message.removeprefix("Value error, ")


def _key(spec: SheetSpec, row: _Row) -> tuple[Any, ...]:
    return tuple(v.casefold() if isinstance(v, str) else v for v in (row.values.get(k) for k in spec.keys))


def _no_duplicates(spec: SheetSpec, rows: list[_Row], problems: _Problems) -> None:
    first: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = _key(spec, row)
        if None in key:
            continue
        if key in first:
            names = " and ".join(_label(k) for k in spec.keys)
            problems.add(
                spec.name,
                row.cell(spec.keys[-1]),
                row.values.get(spec.keys[-1]),
                f"a {names} not already used on row {first[key]}",
            )
        else:
            first[key] = row.number


def read_reference_book(data: bytes, rules: CrossSheetRules) -> ReferenceBook:
    """Read and validate a whole uploaded reference workbook; raise SheetInvalid listing every problem.

    Each row is checked against its model here and ids are unique per sheet (case-insensitively); what the
    sheets say of each other is the domain's ``rules`` (telar.reference_book.book_problems), handed
    in so that one reply lists the problems of both kinds.
    """
    problems = _Problems()
    sheets: dict[str, list[_Row]] = {}
    grids = read_grids(
        data, [*(spec.name for spec in SHEETS), INSTRUCTIONS_SHEET], max_bytes=MAX_UPLOAD_BYTES
    )  # one safe open
    for spec, grid in zip(SHEETS, grids, strict=False):  # the instructions grid is read after the loop
        rows = _read_sheet(spec, grid, problems)
        if rows is None:
            continue
        _validate_rows(spec, rows, problems)
        _no_duplicates(spec, rows, problems)
        sheets[spec.name] = rows
    if len(sheets) < len(SHEETS):
        raise SheetInvalid(problems)
    read = ReferenceRows({name: [row.as_read() for row in rows] for name, rows in sheets.items()})
    problems.extend(rules(read))
    if problems:
        raise SheetInvalid(problems)

    history: dict[str, list[ConsentChange]] = {}
    for row, change in read.items(CONSENT_SHEET):
        history.setdefault(row.values["worker_id"], []).append(change)
    told: dict[str, list[MakerStory]] = {}
    for row, story in read.items(STORIES_SHEET):
        told.setdefault(row.values["worker_id"], []).append(story)
    bills: dict[str, list[MaterialNeed]] = {}
    for row, need in read.items(MATERIALS_SHEET):
        bills.setdefault(row.values["sku"], []).append(need)

    def models(sheet: str) -> tuple[Any, ...]:
        return tuple(item for _, item in read.items(sheet))

    reference = ReferenceData(
        groups=models("groups"),
        makers=tuple(
            m.model_copy(
                update={
                    "consent": tuple(history.get(m.worker_id, ())),
                    "stories": tuple(told.get(m.worker_id, ())),
                }
            )
            for m in models("makers")
        ),
        products=tuple(p.model_copy(update={"materials": tuple(bills.get(p.sku, ()))}) for p in models("catalog")),
        wage_rules=models("wage_rules"),
        holidays=models("holidays"),
        defects=models("defects"),
        option_words=models("option_words"),
    )
    # model_copy skips validation: re-validate makers so consent is sorted as the model keeps it
    reference = ReferenceData.model_validate(reference.model_dump())
    return ReferenceBook(reference=reference, buyers=models("buyers"), confirmed=_confirmed(next(grids, None)))


def _confirmed(guide: Grid | None) -> bool:
    """Whether the instructions sheet says yes right of its 'Confirm' label (risky changes are then applied)."""
    if guide is None or guide.sheet.casefold() != INSTRUCTIONS_SHEET:
        return False
    for number, values in guide.rows.items():
        for column, value in enumerate(values, start=1):
            if isinstance(value, str) and value.strip().rstrip(":").casefold() == CONFIRM_LABEL.casefold():
                answer = guide.value(number, column + 1)
                return isinstance(answer, str) and answer.strip().casefold() in ("yes", "y", "sí", "si", "ใช่")
    return False
