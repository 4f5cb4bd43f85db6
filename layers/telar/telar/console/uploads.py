"""A sheet uploaded from the console, followed to its outcome: what its stage recorded for it (a QC sheet here;
a reference workbook and an attendance sheet below, each from its own stage's records).

The stage records an accepted sheet on the assignment (``qc_upload`` = key#version) and keeps a refused one's
report beside the upload (``artifacts.qc_report_stem``: the e-mail's text, every problem on a line of its own
starting with "- ", and the copy with the bad cells marked). Until one of the two exists the upload is pending.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from telar.models import Assignment

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_QC_SHEET_BYTES = 5 * 1024 * 1024  # a QC sheet is tens of kB; the upload form refuses more than this
MAX_ATTENDANCE_BYTES = 5 * 1024 * 1024  # a group's month: a few hundred rows
MAX_REFERENCE_BYTES = 10 * 1024 * 1024  # the reference workbook (every maker, product, rule): hundreds of kB
FORM_SECONDS = 15 * 60  # the upload form works for a quarter of an hour after the page was shown


class Outcome(StrEnum):
    MISSING = "missing"  # nothing under the key (an old or made-up link)
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


@dataclass(frozen=True)
class UploadResult:
    outcome: Outcome
    problems: tuple[str, ...] = field(default=())
    passed: int = 0
    rejected: int = 0
    version: int | None = None  # a reference workbook applied: the version it became


def problems_from_report(report: str) -> tuple[str, ...]:
    """The problems of a refused sheet's text report (each "- " line), each naming its cell."""
    return tuple(line[2:].strip() for line in report.splitlines() if line.startswith("- ") and line[2:].strip())


def upload_result(assignment: Assignment, upload_ref: str | None, report: str | None) -> UploadResult:
    """The outcome of the upload whose stored version is ``upload_ref`` (None: nothing uploaded under its key)."""
    if upload_ref is None:
        return UploadResult(Outcome.MISSING)
    if assignment.qc_upload == upload_ref:
        return UploadResult(Outcome.ACCEPTED, passed=assignment.units_passed, rejected=assignment.units_rejected)
    if report is not None:
        return UploadResult(Outcome.REFUSED, problems=problems_from_report(report))
    return UploadResult(Outcome.PENDING)


def reference_result(
    upload_ref: str | None, applied_version: int | None, receipt_sent: bool, report: str | None
) -> UploadResult:
    """The outcome of a reference workbook uploaded as ``upload_ref`` (key#version; None: nothing there), from what
    the ReferenceUpload stage recorded: the version it was applied as, else its error report beside the upload, else
    its receipt e-mailed (a workbook equal to the data in force is accepted and applies nothing new)."""
    if upload_ref is None:
        return UploadResult(Outcome.MISSING)
    if applied_version is not None:
        return UploadResult(Outcome.ACCEPTED, version=applied_version)
    if report is not None:
        return UploadResult(Outcome.REFUSED, problems=problems_from_report(report))
    if receipt_sent:
        return UploadResult(Outcome.ACCEPTED)
    return UploadResult(Outcome.PENDING)


def attendance_result(upload_ref: str | None, receipt_sent: bool, report: str | None) -> UploadResult:
    """The outcome of an attendance sheet uploaded as ``upload_ref`` (None: nothing there), from what the
    AttendanceUpload stage recorded: its receipt sent once the month was recorded, else its error report."""
    if upload_ref is None:
        return UploadResult(Outcome.MISSING)
    if receipt_sent:
        return UploadResult(Outcome.ACCEPTED)
    if report is not None:
        return UploadResult(Outcome.REFUSED, problems=problems_from_report(report))
    return UploadResult(Outcome.PENDING)


def attendance_months(today: date) -> list[str]:
    """The months whose sheet a manager may hand in from the console: this one and the one before (YYYY-MM)."""
    previous = date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)
    return [f"{today.year:04d}-{today.month:02d}", f"{previous.year:04d}-{previous.month:02d}"]
