"""QC sheets: check an uploaded sheet, as read (``telar.sheets.qc_sheet``), against its assignment.

Reading is structural (where are the labels, the header row, the rows, what each cell holds); this module
is about meaning (whose worker id, which SKU, do the counts add up) and reports every problem at once,
each pointing at the cell a production manager has to fix. The format is in docs/spreadsheets.md.
"""

from telar import messages
from telar.errors import SheetInvalid, SheetProblem
from telar.models import Assignment, Group, ParsedQc, ParsedRow, QcRow, QcSheet, ReferenceData
from telar.models.qc import EARLIEST_DATE, LATEST_DATE, max_hours_per_row
from telar.models.reference import word_key

__all__ = ["max_hours_per_row", "validate_qc"]


def validate_qc(parsed: ParsedQc, assignment: Assignment, ref: ReferenceData) -> QcSheet:
    """Check a parsed QC sheet against its assignment; raise SheetInvalid listing every problem.

    Worker ids must belong to the assignment's group (makers who have since left still count: their
    work must be paid), SKUs to the assignment; ids are matched case-insensitively and returned as
    the reference data spells them. Counts are whole numbers (``12``, ``12.0``, ``"12 "``);
    Passed + Rejected may not exceed Produced; defects (comma or semicolon separated) must be the
    product's, each as its code or its label in any language (compared by ``word_key``: Unicode NFC,
    case and spacing aside) and kept as the stable code; hours go from 0 to :func:`max_hours_per_row`,
    rounded to hundredths.
    """
    group = ref.group(assignment.group_id)
    problems: list[SheetProblem] = []

    if parsed.assignment_id != assignment.assignment_id:
        problems.append(
            parsed.assignment_id_cell.problem(messages.THE_ASSIGNMENT_ID(assignment=repr(assignment.assignment_id)))
        )

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
                messages.ROWS_UNDER_HEADER(),
            )
        )

    inspected_by = parsed.inspector
    if not inspected_by:
        problems.append(parsed.inspected_by.problem(messages.INSPECTOR_NAME()))
    inspected_on = parsed.inspection_date
    if inspected_on is None:
        problems.append(
            parsed.inspected_on.problem(messages.INSPECTION_DATE(first=f"{EARLIEST_DATE:%Y}", last=f"{LATEST_DATE:%Y}"))
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
        problems.append(cells["worker_id"].problem(messages.WORKER_OF_GROUP(group=group.name, examples=examples)))

    sku = skus.get(row.sku.casefold())
    if sku is None:
        problems.append(cells["sku"].problem(messages.SKU_OF_ASSIGNMENT(skus=", ".join(sorted(skus.values())))))
    product = ref.find_product(sku) if sku is not None else None

    counts: dict[str, int] = {}
    for field in ("planned", "produced", "passed", "rejected"):
        cell = cells[field]
        if field == "planned" and cell.blank:
            counts[field] = 0  # rows added by the manager have no plan
            continue
        number = row.counts[field]
        if number is None:
            problems.append(cell.problem(messages.WHOLE_NUMBER_OR_ZERO() if cell.blank else messages.WHOLE_NUMBER()))
        else:
            counts[field] = number
    if {"produced", "passed", "rejected"} <= counts.keys():
        checked = counts["passed"] + counts["rejected"]
        if checked > counts["produced"]:
            problems.append(
                cells["produced"].problem(
                    messages.AT_LEAST_CHECKED(
                        checked=checked, passed=cells["passed"].cell, rejected=cells["rejected"].cell
                    )
                )
            )

    codes: tuple[str, ...] = ()
    if sku is not None:
        product_codes = product.defect_codes if product else ()
        allowed = ref.defect_words(product_codes)
        unknown = [t for t in row.defect_codes if word_key(t) not in allowed]
        if unknown:
            said = [ref.defect(c).label_in(group.language) for c in product_codes]
            expected = (
                messages.DEFECT_CODES_OF(sku=sku, codes=", ".join(said))
                if product_codes
                else messages.NO_DEFECT_CODES(sku=sku)
            )
            problems.append(cells["defect_codes"].problem(expected))
        else:
            codes = tuple(dict.fromkeys(allowed[word_key(t)] for t in row.defect_codes))

    hours = row.hours_worked
    bound = max_hours_per_row(group, product, max(counts.get("planned", 0), counts.get("produced", 0)))
    if hours is None or not (0 <= hours <= bound):
        problems.append(cells["hours_worked"].problem(messages.HOURS_WORKED(bound=f"{bound.normalize():f}")))

    if len(problems) > before or worker_id is None or sku is None or hours is None:
        return None
    return QcRow(worker_id=worker_id, sku=sku, defect_codes=codes, hours_worked=hours, **counts)
