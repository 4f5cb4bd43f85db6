"""Factories for domain objects with realistic defaults; every field can be overridden by keyword.

Two groups, as in samples/reference.json: a prison workshop in Cusco (PEN, Spanish) and one in
Chiang Mai (THB, Thai). ``make_reference()`` with no arguments holds both, their makers, three
products and the minimum-wage rules; ``make_assignment()`` splits every line across the makers.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from local.manager import RowResult, fill_qc_sheet
from telar.models import (
    Assignment,
    AssignmentLine,
    ConsentChange,
    DefectCode,
    EarningLine,
    Group,
    GroupPayroll,
    Maker,
    Order,
    OrderLine,
    OrderRequest,
    OrderStatus,
    Product,
    PublicHoliday,
    QcRow,
    ReferenceData,
    ShipTo,
    WageRule,
)

CUSCO = "pe-cusco"
CHIANG_MAI = "th-chiangmai"
NOW = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)

_GROUPS: dict[str, dict[str, Any]] = {
    CUSCO: {
        "group_id": CUSCO,
        "name": "Taller Cusco",
        "kind": "prison",
        "place": "Cusco, Peru",
        "country": "PE",
        "region": "national",
        "currency": "PEN",
        "language": "es",
        "timezone": "America/Lima",
        "hours_per_day": Decimal(5),
        "days_per_week": 5,
        "manager_name": "Patricia Quispe Mamani",
        "manager_email": "patricia.quispe@example.org",
        "time_rates": {"training": Decimal("6.00"), "course": Decimal("5.50"), "design": Decimal("7.50")},
    },
    CHIANG_MAI: {
        "group_id": CHIANG_MAI,
        "name": "Chiang Mai Workshop",
        "kind": "prison",
        "place": "Chiang Mai, Thailand",
        "country": "TH",
        "region": "Chiang Mai/Mueang",
        "currency": "THB",
        "language": "th",
        "timezone": "Asia/Bangkok",
        "hours_per_day": Decimal(6),
        "days_per_week": 5,
        "manager_name": "Achara Wongsawat",
        "manager_email": "achara.wongsawat@example.org",
        "time_rates": {"training": Decimal(50), "meeting": Decimal(48)},
    },
}
_MAKERS: dict[str, list[tuple[str, str]]] = {
    CUSCO: [("CUS-01", "Carmen"), ("CUS-02", "Luz"), ("CUS-03", "Elena")],
    CHIANG_MAI: [("CNX-01", "Malee"), ("CNX-02", "Siriporn"), ("CNX-03", "Ratana")],
}
_PRODUCT_DEFECTS: dict[str, tuple[str, ...]] = {
    "KNT-SCARF-ALP": ("LOOSE_THREAD", "UNEVEN_TENSION", "DROPPED_STITCH", "WRONG_SIZE", "STAIN"),
    "EMB-CUSHION": ("LOOSE_THREAD", "PUCKERING", "MISALIGNED_PATTERN", "WRONG_SIZE", "STAIN"),
    "SEW-TOTE": ("CROOKED_SEAM", "LOOSE_THREAD", "WEAK_HANDLE", "STAIN"),
}
_PRODUCTS: dict[str, dict[str, Any]] = {
    sku: {
        "name": name,
        "skill": skill,
        "standard_minutes": Decimal(minutes),
        "piece_rates": {"PEN": Decimal(pen), "THB": Decimal(thb)},
        "unit_price_usd": Decimal(usd),
        "min_quantity": least,
        "max_quantity": most,
        "defect_codes": _PRODUCT_DEFECTS[sku],
    }
    for sku, name, skill, minutes, pen, thb, usd, least, most in (
        # sku, name, skill, standard minutes, piece rate in PEN and THB, unit price in USD, min and max quantity
        ("KNT-SCARF-ALP", "Alpaca knit scarf", "knitting", 240, "25.00", "230.00", "38.00", 5, 200),
        ("EMB-CUSHION", "Embroidered cushion cover", "embroidery", 180, "19.00", "175.00", "28.00", 4, 150),
        ("SEW-TOTE", "Sewn tote bag", "sewing", 60, "6.50", "60.00", "18.00", 10, 300),
    )
}


def make_group(group_id: str = CUSCO, **overrides: Any) -> Group:
    """The Cusco workshop (or ``CHIANG_MAI``); any other id copies Cusco under that id."""
    base = dict(_GROUPS.get(group_id, _GROUPS[CUSCO]), group_id=group_id)
    return Group(**{**base, **overrides})


def make_maker(worker_id: str = "CUS-01", **overrides: Any) -> Maker:
    fields: dict[str, Any] = {
        "worker_id": worker_id,
        "group_id": CHIANG_MAI if worker_id.startswith("CNX") else CUSCO,
        "first_name": "Carmen",
        "skills": ("knitting", "embroidery", "sewing"),
        "consent": (ConsentChange(effective=date(2026, 1, 5), photo=True, name=True),),
        "photo_file": f"{worker_id.lower()}.png",
        "payment_method": "cash",
    }
    return Maker(**{**fields, **overrides})


def make_makers(group_id: str = CUSCO) -> list[Maker]:
    return [make_maker(wid, group_id=group_id, first_name=name) for wid, name in _MAKERS.get(group_id, [])]


def make_product(sku: str = "KNT-SCARF-ALP", **overrides: Any) -> Product:
    base = _PRODUCTS.get(sku, _PRODUCTS["KNT-SCARF-ALP"])
    return Product(**{"sku": sku, **base, **overrides})


_DEFECT_LABELS: dict[str, tuple[str, str, str]] = {  # code -> (en, es, th), as in samples/reference.json
    "LOOSE_THREAD": ("Loose thread", "Hilo suelto", "ด้ายหลุด"),
    "UNEVEN_TENSION": ("Uneven tension", "Tensión desigual", "แรงดึงไม่สม่ำเสมอ"),
    "DROPPED_STITCH": ("Dropped stitch", "Punto caído", "ฝีเข็มหลุด"),
    "WRONG_SIZE": ("Wrong size", "Talla incorrecta", "ขนาดผิด"),
    "STAIN": ("Stain", "Mancha", "คราบเปื้อน"),
    "PUCKERING": ("Puckering", "Fruncido", "ผ้าย่น"),
    "MISALIGNED_PATTERN": ("Misaligned pattern", "Diseño desalineado", "ลายไม่ตรง"),
    "CROOKED_SEAM": ("Crooked seam", "Costura torcida", "ตะเข็บเบี้ยว"),
    "WEAK_HANDLE": ("Weak handle", "Asa débil", "หูกระเป๋าไม่แข็งแรง"),
}


def make_defects(*codes: str) -> tuple[DefectCode, ...]:
    """The factory products' defect codes (or ``codes``) with their labels in en, es and th."""
    return tuple(
        DefectCode(code=code, label=dict(zip(("en", "es", "th"), _DEFECT_LABELS[code], strict=True)))
        for code in (codes or _DEFECT_LABELS)
    )


def make_wage_rules() -> tuple[WageRule, ...]:
    """Peru's RMV (monthly, 48 h x 52 / 12 = 208 h) and the Chiang Mai daily minimum (8 h)."""
    return tuple(
        WageRule(
            country=country,
            region=region,
            currency=currency,
            amount=Decimal(amount),
            unit=unit,
            hours_covered=Decimal(hours),
            effective_from=date(2025, 1, 1),
        )
        for country, region, currency, amount, unit, hours in (
            ("PE", "national", "PEN", "1130.00", "month", 208),
            ("TH", "Chiang Mai/Mueang", "THB", "380.00", "day", 8),
        )
    )


_HOLIDAYS = (
    ("PE", date(2025, 4, 17), "Jueves Santo"),
    ("PE", date(2025, 4, 18), "Viernes Santo"),
    ("PE", date(2025, 5, 1), "Día del Trabajo"),
    ("PE", date(2025, 6, 29), "San Pedro y San Pablo"),
    ("PE", date(2025, 12, 8), "Inmaculada Concepción"),
    ("PE", date(2025, 12, 25), "Navidad"),
    ("TH", date(2025, 4, 14), "วันสงกรานต์"),
    ("TH", date(2025, 5, 1), "วันแรงงานแห่งชาติ"),
    ("TH", date(2025, 5, 5), "วันฉัตรมงคล"),
    ("TH", date(2025, 12, 5), "วันพ่อแห่งชาติ"),
    ("TH", date(2025, 12, 10), "วันรัฐธรรมนูญ"),
)


def make_holidays() -> tuple[PublicHoliday, ...]:
    """Some public holidays of Peru and Thailand in 2025."""
    return tuple(PublicHoliday(country=c, day=d, name=n) for c, d, n in _HOLIDAYS)  # type: ignore[arg-type]


def make_reference(
    groups: list[Group] | None = None,
    makers: list[Maker] | None = None,
    products: list[Product] | None = None,
    wage_rules: tuple[WageRule, ...] | None = None,
    holidays: tuple[PublicHoliday, ...] | None = None,
) -> ReferenceData:
    groups = groups if groups is not None else [make_group(CUSCO), make_group(CHIANG_MAI)]
    if makers is None:
        makers = [maker for group in groups for maker in make_makers(group.group_id)]
    return ReferenceData(
        groups=tuple(groups),
        makers=tuple(makers),
        products=tuple(products if products is not None else [make_product(sku) for sku in _PRODUCTS]),
        wage_rules=wage_rules if wage_rules is not None else make_wage_rules(),
        holidays=holidays if holidays is not None else make_holidays(),
    )


def make_order_line(sku: str = "KNT-SCARF-ALP", quantity: int = 12, **overrides: Any) -> OrderLine:
    return OrderLine(**{"sku": sku, "quantity": quantity, **overrides})


def make_order(order_id: str = "ord-20250303-0001", **overrides: Any) -> Order:
    fields: dict[str, Any] = {
        "order_id": order_id,
        "buyer_id": "buyer-fairloom",
        "buyer_reference": "PO-2025-0417",
        "requested_ship_date": date(2025, 4, 30),
        "ship_to": ShipTo(
            name="Fairloom Trading GmbH",
            address_lines=["Lagerstraße 12"],
            city="Hamburg",
            postal_code="20357",
            country="DE",
        ),
        "lines": [
            make_order_line("KNT-SCARF-ALP", 12, options={"colour": "natural"}),
            make_order_line("EMB-CUSHION", 6, notes="Blue thread only"),
        ],
        "status": OrderStatus.IN_PRODUCTION,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Order(**{**fields, **overrides})


def make_order_request(**overrides: Any) -> OrderRequest:
    """A buyer's order as the API receives it (JSON fields): twelve scarves to a shop in Leeds."""
    body: dict[str, Any] = {
        "buyer_reference": "PO-1",
        "requested_ship_date": (date.today() + timedelta(days=60)).isoformat(),  # never in the past
        "ship_to": {
            "name": "Shop",
            "address_lines": ["1 Road"],
            "city": "Leeds",
            "postal_code": "LS1",
            "country": "GB",
        },
        "lines": [{"sku": "KNT-SCARF-ALP", "quantity": 12}],
    }
    return OrderRequest.model_validate({**body, **overrides})


def split_evenly(quantity: int, worker_ids: list[str]) -> dict[str, int]:
    """Spread ``quantity`` over ``worker_ids``, the first makers taking one more when it does not divide."""
    share, extra = divmod(quantity, len(worker_ids))
    return {wid: share + (1 if i < extra else 0) for i, wid in enumerate(worker_ids)}


def make_assignment(
    order: Order | None = None, group_id: str = CUSCO, worker_ids: list[str] | None = None, **overrides: Any
) -> Assignment:
    """The whole of ``order`` (``make_order()`` by default) for one group, each line split across its makers."""
    order = order or make_order()
    worker_ids = worker_ids or [wid for wid, _name in _MAKERS.get(group_id, _MAKERS[CUSCO])]
    fields: dict[str, Any] = {
        "assignment_id": f"{order.order_id}-{group_id}",
        "order_id": order.order_id,
        "group_id": group_id,
        "due_date": order.requested_ship_date,
        "lines": [
            AssignmentLine(
                sku=line.sku,
                quantity=line.quantity,
                options=line.options,
                notes=line.notes,
                per_maker=split_evenly(line.quantity, worker_ids),
            )
            for line in order.lines
        ],
    }
    return Assignment(**{**fields, **overrides})


def make_qc_row(worker_id: str = "CUS-01", sku: str = "KNT-SCARF-ALP", **overrides: Any) -> QcRow:
    fields: dict[str, Any] = {
        "worker_id": worker_id,
        "sku": sku,
        "planned": 4,
        "produced": 4,
        "passed": 4,
        "rejected": 0,
        "hours_worked": Decimal(16),
    }
    return QcRow(**{**fields, **overrides})


def make_earning_line(worker_id: str = "CUS-01", **overrides: Any) -> EarningLine:
    fields: dict[str, Any] = {
        "order_id": "ord-20250303-0001",
        "assignment_id": "ord-20250303-0001-pe-cusco",
        "group_id": CUSCO,
        "worker_id": worker_id,
        "maker_name": "Carmen",
        "sku": "KNT-SCARF-ALP",
        "currency": "PEN",
        "units_passed": 4,
        "hours_worked": Decimal(16),
        "piece_earnings": Decimal("100.00"),
        "minimum_for_hours": Decimal("86.92"),
        "top_up": Decimal("0.00"),
        "qc_upload": "qc/taller-cusco.xlsx#3HL4kqtJlcpXroDTDmJ",
    }
    return EarningLine(**{**fields, **overrides})


def make_group_payroll(lines: list[EarningLine] | None = None, **overrides: Any) -> GroupPayroll:
    lines = lines if lines is not None else [make_earning_line()]
    first = lines[0] if lines else make_earning_line()
    fields: dict[str, Any] = {
        "group_id": first.group_id,
        "group_name": _GROUPS.get(first.group_id, _GROUPS[CUSCO])["name"],
        "currency": first.currency,
        "lines": lines,
    }
    return GroupPayroll(**{**fields, **overrides})


# --- sheets: a QC template filled in as a production manager would -----------------------------------


def fill_qc_template(
    template: bytes,
    results: dict[tuple[str, str], dict[str, Any]] | None = None,
    *,
    inspected_by: str = "Patricia Quispe",
    inspected_on: date = date(2025, 4, 22),
    hours_per_unit: Decimal = Decimal(4),
) -> bytes:
    """Fill every pre-filled row of a QC template (``telar.sheets.qc_template``) and sign it off.

    By default each row passes all planned pieces with ``hours_per_unit`` hours a piece; ``results``
    overrides cells per (worker id, SKU), keyed by header label, e.g. ``{"Passed": 3, "Rejected": 1}``.
    The filling is ``local.manager.fill_qc_sheet``'s, so Passed is always Produced minus Rejected.
    """

    def result_for(worker_id: str, sku: str, planned: int) -> RowResult:
        cells: dict[str, Any] = {
            "Produced": planned,
            "Rejected": 0,
            "Defect codes": "",
            "Hours worked": hours_per_unit * planned,
            **(results or {}).get((worker_id, sku), {}),
        }
        produced, rejected = cells.pop("Produced"), cells.pop("Rejected")
        if cells.pop("Passed", produced - rejected) != produced - rejected:
            raise ValueError(f"{worker_id}/{sku}: Passed must be Produced minus Rejected")
        row = RowResult(produced, rejected, cells.pop("Defect codes"), Decimal(str(cells.pop("Hours worked"))))
        if cells:
            raise KeyError(f"no QC cells to fill for {sorted(cells)}")
        return row

    return fill_qc_sheet(template, inspected_by, inspected_on, result_for)
