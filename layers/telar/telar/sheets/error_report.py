"""A copy of an uploaded workbook with each problem cell highlighted and commented, for the person who fixes it."""

from collections.abc import Callable
from io import BytesIO

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from telar.errors import SheetProblem
from telar.messages import english
from telar.sheets.cells import to_bytes
from telar.sheets.reading import MAX_UPLOAD_BYTES, check_container

if not openpyxl.DEFUSEDXML:  # pragma: no cover - a packaging error, caught by the unit tests
    raise ImportError("defusedxml must be installed (and OPENPYXL_DEFUSEDXML not 'False') before opening uploads")

# openpyxl keeps every cell as an object (~0.5 kB): 100,000 cells is ~50 MB; a larger upload gets the text only
MAX_ANNOTATED_CELLS = 100_000
_PROBLEM_FILL = PatternFill("solid", start_color="FFF4B6B6", end_color="FFF4B6B6")


def annotate_problems(upload: bytes, problems: list[SheetProblem], _: Callable[..., str] = english) -> bytes | None:
    """The upload with every located problem marked; None when the upload is no workbook to annotate.

    Each comment is in the words of the translator ``_`` (``telar.rendering.translator``): the reader's language.

    Problems about the file as a whole (no cell, or a sheet that is not in it) stay in the text summary, and so
    does everything when the upload holds more than ``MAX_ANNOTATED_CELLS`` values (openpyxl loads all of them).
    """
    try:
        # openpyxl loads all of it: never a zip bomb, a far cell or a huge grid
        extents = check_container(upload, max_bytes=MAX_UPLOAD_BYTES)
        if sum(e.cells for e in extents.values()) > MAX_ANNOTATED_CELLS:
            return None
        workbook = openpyxl.load_workbook(BytesIO(upload))
    except Exception:  # not a workbook to annotate: the text report says why
        return None
    marked = 0
    for problem in problems:
        if problem.sheet not in workbook.sheetnames or not problem.cell:
            continue
        # A range ("B7:D7") is marked on its first cell; a whole row ("7:7", a missing column) on its column A.
        first = problem.cell.partition(":")[0]
        cell = workbook[problem.sheet][f"A{first}" if first.isdigit() else first]
        note = problem.note(_)
        previous = cell.comment.text + "\n" if cell.comment else ""
        cell.comment = Comment(previous + note, "Telar")
        cell.fill = _PROBLEM_FILL
        marked += 1
    return to_bytes(workbook) if marked else None
