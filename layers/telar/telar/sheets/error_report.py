"""A copy of an uploaded workbook with each problem cell highlighted and commented, for the person who fixes it."""

from collections.abc import Callable
from datetime import datetime
from io import BytesIO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.workbook import Workbook
from openpyxl.writer.excel import ExcelWriter

from telar.errors import SheetProblem
from telar.messages import english
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


class _ReproducibleZip(ZipFile):
    """A zip whose entries carry one fixed timestamp, so the same workbook gives the same bytes."""

    _STAMP = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = ZipInfo(zinfo_or_arcname, self._STAMP)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        with open(filename, "rb") as f:  # openpyxl's worksheets come from temporary files
            self.writestr(arcname or filename, f.read())


def to_bytes(wb: Workbook) -> bytes:
    """The annotated copy's bytes, the same for the same upload and problems: a retried refusal re-sends an
    identical attachment. Hence fixed created/modified dates and zip times."""
    wb.properties.created = wb.properties.modified = datetime(*_ReproducibleZip._STAMP)
    buffer = BytesIO()
    ExcelWriter(wb, _ReproducibleZip(buffer, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return buffer.getvalue()
