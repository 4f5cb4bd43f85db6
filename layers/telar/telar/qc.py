"""QC sheets: check an uploaded sheet, as read (``telar.sheets.qc_sheet``), against its assignment.

Reading is structural (where are the labels, the header row, the rows, what each cell holds); this module
is about meaning (whose worker id, which SKU, do the counts add up) and reports every problem at once,
each pointing at the cell a production manager has to fix. The format is in docs/spreadsheets.md.
"""

from telar.errors import SheetInvalid, SheetProblem
from telar.models import Assignment, Group, ParsedQc, ParsedRow, QcRow, QcSheet, ReferenceData
from telar.models.qc import EARLIEST_DATE, LATEST_DATE, max_hours_per_row

__all__ = ["max_hours_per_row", "validate_qc"]


def validate_qc(parsed: ParsedQc, assignment: Assignment, ref: ReferenceData) -> QcSheet:
    """Check a parsed QC sheet against its assignment; raise SheetInvalid listing every problem.

    Worker ids must belong to the assignment's group (makers who have since left still count: their
    work must be paid), SKUs to the assignment; ids are matched case-insensitively and returned as
    the reference data spells them. Counts are whole numbers (``12``, ``12.0``, ``"12 "``);
    Passed + Rejected may not exceed Produced; defect codes (comma or semicolon separated) must be
    the product's; hours go from 0 to :func:`max_hours_per_row`, rounded to hundredths.
    """
    group = ref.group(assignment.group_id)
    problems: list[SheetProblem] = []

    if parsed.assignment_id != assignment.assignment_id:
        problems.append(parsed.assignment_id_cell.problem(f"the assignment id {assignment.assignment_id!r}"))

    makers = {m.worker_id.casefold(): m.worker_id for m in ref.makers if m.group_id == group.group_id}
    skus = {line.sku.casefold(): line.sku for line in assignment.lines}

    rows = [
        row
        for parsed_row in parsed.rows
        if (row := _validate_row(parsed_row, makers, skus, ref, group, problems)) is not None
    ]
    if not parsed.rows:
        problems.append(
            SheetProblem(
                parsed.sheet,
                f"{parsed.header_row + 1}:{parsed.header_row + 1}",
                None,
                "at least one row with a Worker ID and a SKU under the header row",
            )
        )

    inspected_by = parsed.inspector
    if not inspected_by:
        problems.append(parsed.inspected_by.problem("the inspector's name, in the cell right of 'Inspected by'"))
    inspected_on = parsed.inspection_date
    if inspected_on is None:
        problems.append(
            parsed.inspected_on.problem(
                f"the inspection date right of 'Date': a date between {EARLIEST_DATE:%Y} and {LATEST_DATE:%Y}, "
                "as a date cell or written day/month/year or year-month-day"
            )
        )

    if problems or inspected_on is None:  # a missing date is among the problems
        raise SheetInvalid(problems)
    return QcSheet(
        assignment_id=assignment.assignment_id,
        inspected_by=inspected_by,
        inspected_on=inspected_on,
        rows=rows,
    )


def _validate_row(
    row: ParsedRow,
    makers: dict[str, str],
    skus: dict[str, str],
    ref: ReferenceData,
    group: Group,
    problems: list[SheetProblem],
) -> QcRow | None:
    before = len(problems)
    cells = row.cells

    worker_id = makers.get(row.worker_id.casefold())
    if worker_id is None:
        known = sorted(makers.values())
        examples = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
        problems.append(cells["worker_id"].problem(f"a Worker ID of {group.name} ({examples})"))

    sku = skus.get(row.sku.casefold())
    if sku is None:
        problems.append(cells["sku"].problem("a SKU of this assignment: " + ", ".join(sorted(skus.values()))))
    product = ref.find_product(sku) if sku is not None else None

    counts: dict[str, int] = {}
    for field in ("planned", "produced", "passed", "rejected"):
        cell = cells[field]
        if field == "planned" and cell.blank:
            counts[field] = 0  # rows added by the manager have no plan
            continue
        number = row.counts[field]
        if number is None:
            hint = " (write 0 if there is none)" if cell.blank else ""
            problems.append(cell.problem(f"a whole number, 0 or more{hint}"))
        else:
            counts[field] = number
    if {"produced", "passed", "rejected"} <= counts.keys():
        checked = counts["passed"] + counts["rejected"]
        if checked > counts["produced"]:
            problems.append(
                cells["produced"].problem(
                    f"at least Passed + Rejected = {checked} ({cells['passed'].cell} + {cells['rejected'].cell})"
                )
            )

    codes: tuple[str, ...] = ()
    if sku is not None:
        allowed = {c.casefold(): c for c in (product.defect_codes if product else ())}
        unknown = [t for t in row.defect_codes if t.casefold() not in allowed]
        if unknown:
            expected = (
                "defect codes of " + sku + ": " + ", ".join(allowed.values()) + ", separated by commas"
                if allowed
                else f"no defect codes ({sku} has none in the catalog)"
            )
            problems.append(cells["defect_codes"].problem(expected))
        else:
            codes = tuple(dict.fromkeys(allowed[t.casefold()] for t in row.defect_codes))

    hours = row.hours_worked
    bound = max_hours_per_row(group, product, max(counts.get("planned", 0), counts.get("produced", 0)))
    if hours is None or not (0 <= hours <= bound):
        problems.append(
            cells["hours_worked"].problem(f"hours worked, a number from 0 to {bound.normalize():f} (7.5 = 7 h 30)")
        )

    if len(problems) > before or worker_id is None or sku is None or hours is None:
        return None
    return QcRow(worker_id=worker_id, sku=sku, defect_codes=codes, hours_worked=hours, **counts)
