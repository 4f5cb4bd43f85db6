"""Every S3 key Telar reads or writes: the layout of both buckets, in one place.

Uploads bucket (people write here; template.yaml's notifications fire on the first three prefixes):

- ``qc/<any name>.xlsx``: filled QC sheets, and ``reference/<any name>.xlsx``: reference workbooks; those that
  came by e-mail under ``qc/mail/`` and ``reference/mail/`` (see mailed_upload_key); QC sheets uploaded from the
  staff console under ``qc/console/`` (see console_qc_upload_key);
- ``attendance/<any name>.xlsx``: filled attendance sheets (``attendance/mail/`` when they came by e-mail);
- ``inbound/<SES message id>``: each e-mail received, raw, as SES receiving stores it (also watched);
- ``photos/<file>``: makers' portraits, as the makers sheet names them;
- ``qc-reports/``, ``reference-reports/`` and ``attendance-reports/``: an upload's error report (``.txt``, and
  ``.xlsx`` with the cells marked), outside the watched prefixes so a report never triggers another run;
- ``reference-exports/``: each reference version as a workbook, and ``current.xlsx``, the one in force.

Artifacts bucket (Telar writes, people download):

- ``orders/<order>/<group>/``: an assignment's work sheet and QC template;
- ``payroll/<order>/``: an order's payroll files, for reference; ``payroll/periods/<period>/``: the pay run's
  files to pay from, and payslips;
- ``attendance/<month>/attendance-<group>-<month>.xlsx``: a group's blank attendance sheet as mailed to its manager;
- ``cards/<order>/cards.html``: the insert cards print sheet; ``cards/photo-cache/``: photos at print size (the
  cards' and the contact sheets');
- ``contact-sheets/<group>.html``: a group's contact sheet, each maker's photo options to choose from (the latest).

Keys are deterministic: a stage that runs again writes the same keys with the same content.
"""

from typing import Final

QC_UPLOADS: Final = "qc/"
REFERENCE_UPLOADS: Final = "reference/"
ATTENDANCE_UPLOADS: Final = "attendance/"
ATTENDANCE_REPORTS: Final = "attendance-reports/"
PHOTOS: Final = "photos/"
INBOUND_MAIL: Final = "inbound/"
QC_REPORTS: Final = "qc-reports/"
REFERENCE_REPORTS: Final = "reference-reports/"
REFERENCE_EXPORTS: Final = "reference-exports/"
CURRENT_REFERENCE_EXPORT: Final = f"{REFERENCE_EXPORTS}current.xlsx"
PHOTO_CACHE: Final = "cards/photo-cache/"
CONTACT_SHEETS: Final = "contact-sheets/"


def order_papers_prefix(order_id: str) -> str:
    """Where the papers of all of an order's assignments are kept, a folder per group."""
    return f"orders/{order_id}/"


def papers_prefix(order_id: str, group_id: str) -> str:
    """Where the papers of an order's assignments for one group are kept (each named below)."""
    return f"{order_papers_prefix(order_id)}{group_id}/"


def worksheet_name(assignment_id: str) -> str:
    """The work sheet's file name, in S3 and as an e-mail attachment."""
    return f"worksheet-{assignment_id}.xlsx"


def qc_template_name(assignment_id: str) -> str:
    """The QC template's file name, in S3 and as an e-mail attachment."""
    return f"qc-{assignment_id}.xlsx"


def order_payroll_prefix(order_id: str) -> str:
    return f"payroll/{order_id}/"


def order_payroll_name(order_id: str, group_id: str, currency: str) -> str:
    return f"payroll-{order_id}-{group_id}-{currency}.xlsx"


def pay_period_prefix(period: str) -> str:
    return f"payroll/periods/{period}/"


def pay_period_names(period: str, group_id: str, currency: str) -> tuple[str, str]:
    """The pay run's payroll file and payslips page for one group and currency."""
    stem = f"{period}-{group_id}-{currency}"
    return f"payroll-{stem}.xlsx", f"payslips-{stem}.html"


def cards_key(order_id: str) -> str:
    """Where an order's insert cards print sheet is kept in the artifacts bucket."""
    return f"cards/{order_id}/cards.html"


def packing_list_key(order_id: str) -> str:
    """Where an order's packing list is kept: beside its cards, the two documents a buyer is given links to."""
    return f"cards/{order_id}/packing-list.html"


def buyer_documents(order_id: str) -> dict[str, str]:
    """The documents a ready order's buyer is given links to, by the name the order lists them under."""
    return {"cards": cards_key(order_id), "packing_list": packing_list_key(order_id)}


def contact_sheet_key(group_id: str) -> str:
    """A group's contact sheet (its makers' numbered photo options), rewritten when their options change."""
    return f"{CONTACT_SHEETS}{group_id}.html"


def photo_cache_key(digest: str) -> str:
    return f"{PHOTO_CACHE}{digest}.jpg"


def qc_report_stem(upload_key: str, version: str) -> str:
    """``<stem>.txt`` and ``<stem>.xlsx``: the error report of one version of an upload under qc/."""
    return f"{QC_REPORTS}{upload_key.removeprefix(QC_UPLOADS)}.{version}.errors"


def console_qc_upload_key(assignment_id: str, upload_id: str) -> str:
    """Where a manager's browser puts a QC sheet uploaded from the console (a presigned POST for this key only):
    one key per upload, so the console can follow that upload to its outcome."""
    return f"{QC_UPLOADS}console/{assignment_id}/{upload_id}.xlsx"


def console_reference_upload_key(upload_id: str) -> str:
    """Where the office's browser puts a reference workbook uploaded from the console (one key per upload)."""
    return f"{REFERENCE_UPLOADS}console/{upload_id}.xlsx"


def console_attendance_upload_key(group_id: str, upload_id: str) -> str:
    """Where a manager's browser puts her group's attendance sheet uploaded from the console (one key per upload)."""
    return f"{ATTENDANCE_UPLOADS}console/{group_id}/{upload_id}.xlsx"


def upload_name(key: str) -> str:
    """What an e-mail calls an upload: its file name, never its bucket or folders. A mailed attachment's own name
    (without the index Telar put before it); one uploaded from the staff console has no name of hers (the console
    chose the key), so it is said to come from there, in the reader's language (a ``messages.Text``)."""
    rest = key.partition("/")[2]
    if rest.startswith("console/"):
        from telar import messages  # late: artifacts is imported by everything, messages only by what writes

        return messages.FROM_THE_CONSOLE()
    name = key.rsplit("/", 1)[-1]
    if rest.startswith("mail/"):  # mailed_upload_key: <prefix>mail/<message>/<index>-<file name>
        index, dash, filename = name.partition("-")
        if dash and index.isdigit() and filename:
            return filename
    return name


def console_attendance_group(upload_key: str) -> str | None:
    """The group whose console page an attendance upload came from (None: it did not come from the console)."""
    prefix = f"{ATTENDANCE_UPLOADS}console/"
    if not upload_key.startswith(prefix):
        return None
    return upload_key.removeprefix(prefix).split("/", 1)[0] or None


def reference_report_stem(upload_key: str, version: str) -> str:
    """``<stem>.txt`` and ``<stem>.xlsx``: the error report of one version of an upload under reference/."""
    return f"{REFERENCE_REPORTS}{upload_key.removeprefix(REFERENCE_UPLOADS)}.{version}.errors"


def attendance_sheet_key(month: str, group_id: str) -> str:
    """The blank attendance sheet of ``group_id`` for ``month`` (YYYY-MM), in the artifacts bucket."""
    return f"attendance/{month}/attendance-{group_id}-{month}.xlsx"


def attendance_report_stem(upload_key: str, version: str) -> str:
    """``<stem>.txt`` and ``<stem>.xlsx``: the error report of one version of an upload under attendance/."""
    return f"{ATTENDANCE_REPORTS}{upload_key.removeprefix(ATTENDANCE_UPLOADS)}.{version}.errors"


def mailed_upload_key(prefix: str, inbound_key: str, index: int, filename: str) -> str:
    """Where the ``index``-th attachment of the received e-mail at ``inbound_key`` is put for its stage
    (``prefix`` is QC_UPLOADS, ATTENDANCE_UPLOADS or REFERENCE_UPLOADS): the same key each time that e-mail is read."""
    return f"{prefix}mail/{inbound_key.removeprefix(INBOUND_MAIL).replace('/', '_')}/{index}-{filename}"


def reference_export_name(version: int) -> str:
    """A reference version's workbook: its file name in reference-exports/ and as an e-mail attachment."""
    return f"reference-v{version:06d}.xlsx"
