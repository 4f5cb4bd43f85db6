"""Texts that code builds for a person to read (why a sheet or a mailed attachment was refused), in any language.

A message is its English text with ``%(placeholders)s``, declared once here; code fills it in with
``MESSAGE(name=value)``, which gives a :class:`Text`: a ``str`` that reads as the English text (logs, the API,
tests and English mail are what they always were) and keeps its message and values, so a mail rendered in the
reader's language says it in hers (``telar.rendering.translator``). The English text is the message's id in
``templates/mail_texts/<language>.json``, as for the mail templates' own words, and ``telar.rendering`` refuses to
load when a language's file lacks one of these or changes its placeholders. Values that are themselves Texts are
translated too; names, ids, cells and numbers are passed as they are.

Only this module declares messages (a unit test checks that nothing else calls ``Message``), so the set a
translator has to cover is known without importing the whole layer.
"""

from typing import Any


class Text(str):
    """English text that remembers its message and values, to be said in another language."""

    message: str
    values: dict[str, Any]

    def __new__(cls, message: str, **values: Any) -> "Text":
        text = super().__new__(cls, message % values if values else message)
        text.message, text.values = message, values
        return text


class Message:
    """One text code builds, in English with ``%(placeholders)s``; call it with the values to get a Text."""

    __slots__ = ("english",)

    def __init__(self, english: str):
        self.english = english
        ALL.append(self)

    def __call__(self, **values: Any) -> Text:
        return Text(self.english, **values)


ALL: list[Message] = []

# -- a problem in an uploaded sheet (telar.errors.SheetProblem): the frame around the cell, value and expectation
PROBLEM_AT = Message("%(where)s: found %(value)s, expected %(expected)s")
CELL_NOTE = Message("Found %(value)s; expected %(expected)s.")
WORKBOOK = Message("workbook")  # the "sheet" named in problems about the file as a whole

# -- the QC sheet's layout (telar.sheets.qc_sheet)
LABEL_ONCE = Message("'%(label)s' only once in the header row (it is already in %(cell)s)")
COLUMN_HEADED = Message("a column headed '%(label)s' in the header row")
HEADER_ROW = Message("a header row with the columns %(labels)s")
LABELLED_CELL = Message("a cell labelled '%(label)s' with its value to the right")
ONE_LABELLED_CELL = Message("one cell labelled '%(label)s' (found %(cells)s)")
ASSIGNMENT_ID_RIGHT = Message("the assignment id, in the cell right of 'Assignment ID'")

# -- the QC sheet's values (telar.qc) and its assignment (telar.stages.qc_upload)
THE_ASSIGNMENT_ID = Message("the assignment id %(assignment)s")
ROWS_UNDER_HEADER = Message("at least one row with a Worker ID and a SKU under the header row")
INSPECTOR_NAME = Message("the inspector's name, in the cell right of 'Inspected by'")
INSPECTION_DATE = Message(
    "the inspection date right of 'Date': a date between %(first)s and %(last)s, as a date cell or written "
    "day/month/year or year-month-day"
)
WORKER_OF_GROUP = Message("a Worker ID of %(group)s (%(examples)s)")
SKU_OF_ASSIGNMENT = Message("a SKU of this assignment: %(skus)s")
WHOLE_NUMBER = Message("a whole number, 0 or more")
WHOLE_NUMBER_OR_ZERO = Message("a whole number, 0 or more (write 0 if there is none)")
AT_LEAST_CHECKED = Message("at least Passed + Rejected = %(checked)s (%(passed)s + %(rejected)s)")
DEFECT_CODES_OF = Message("defect codes of %(sku)s: %(codes)s, separated by commas")
NO_DEFECT_CODES = Message("no defect codes (%(sku)s has none in the catalog)")
HOURS_WORKED = Message("hours worked, a number from 0 to %(bound)s (7.5 = 7 h 30)")
ASSIGNMENT_SENT = Message("the Assignment ID of a QC template Telar sent")
STILL_WAITING = Message("an assignment still waiting for QC; it was signed off with %(upload)s")

# -- the attendance sheet (telar.sheets.attendance_sheet, telar.attendance, telar.stages.attendance_upload)
A_GROUP_ID = Message("the Group ID of a group in the reference data, in the cell right of 'Group ID'")
FROM_THE_CONSOLE = Message("uploaded from the staff console")  # an upload's name in an e-mail (artifacts.upload_name)
A_GROUP_OF_THE_PAGE = Message("the Group ID of the group whose console page it was uploaded from (%(group)s)")
A_MONTH = Message("the month right of 'Month', written year-month (2026-11)")
A_MONTH_BEGUN = Message("a month that has begun (this month is %(month)s)")
A_MAKER_OF = Message("the Worker ID of a maker of group %(group)s")
A_DAY_OF = Message("a date in %(month)s")
HOURS_IN_A_DAY = Message("hours from 0 to %(most)s (7.5 = 7 h 30)")
ONE_ROW_PER_DAY = Message("one row per maker and day (she already has hours on this day in %(row)s)")
AN_OPEN_DAY = Message("a day group %(group)s is open (hours on a closed day cannot be paid)")
WITHIN_HER_DATES = Message("a day within her active dates (Active from and Active to in the reference data)")
PRESENT_COVERS = Message("present hours of at least the training, course, design and meeting hours (%(hours)s)")
DAY_TOTAL = Message("present and holiday hours of at most %(most)s in one day")
HOLIDAY_AT_MOST = Message("holiday hours of at most her hours of a day (%(hours)s)")
UNPAID_PUBLIC_HOLIDAY = Message("no holiday hours on %(holiday)s: a public holiday this group does not pay")
ATTENDANCE_RECORDED = Message(
    "a month whose attendance is not recorded yet: it was recorded from %(upload)s (ask the office to correct it)"
)

# -- the file itself (telar.sheets.reading, telar.sheets.extent)
XLSX = Message("an .xlsx workbook (Excel, LibreOffice or Google Sheets: File > Save as / Download > .xlsx)")
XLSX_NO_PASSWORD = Message(
    "an .xlsx workbook (Excel, LibreOffice or Google Sheets: File > Save as / Download > .xlsx), without a password"
)
XLSX_FROM_A_PROGRAM = Message("an .xlsx saved by a spreadsheet program")
A_FILE_OF = Message("a file of %(bytes)s bytes")
AT_MOST_BYTES = Message("at most %(bytes)s bytes")
AT_MOST = Message("at most %(count)s")
AT_MOST_ROWS = Message("at most %(rows)s rows")
AN_EMPTY_FILE = Message("an empty file")
AN_OLD_XLS = Message("an old .xls file or a password-protected workbook")
A_TEXT_FILE = Message("a text or CSV file")
NOT_A_SPREADSHEET = Message("a file that is not a spreadsheet")
ZIP_ENTRIES = Message("a zip with %(count)s entries")
ZIP_INFLATES = Message("a zip that inflates to %(bytes)s bytes")
ZIP_RATIO = Message("entry %(entry)s compressed %(ratio)s to 1")
AT_MOST_RATIO = Message("a compression ratio of at most %(ratio)s to 1 (this looks like a zip bomb)")
ENCRYPTED_ZIP = Message("an encrypted zip")
DAMAGED_ZIP = Message("a damaged zip file")
AN_ODS = Message("an OpenDocument (.ods) file")
ZIP_NOT_WORKBOOK = Message("a zip file that is not a workbook")
UNREADABLE_WORKBOOK = Message("a workbook that cannot be read (%(error)s)")
UNREADABLE_WORKSHEET = Message("a worksheet that cannot be read (%(error)s)")
NO_WORKSHEETS = Message("a workbook without worksheets")
A_QC_WORKSHEET = Message("a worksheet named QC")
CONTENT = Message("content")
A_VALUE = Message("a value")
CONTENT_WITHIN = Message("content within the first %(rows)s rows and %(columns)s columns (%(area)s)")
CONTENT_WITHIN_TRIM = Message(
    "content within the first %(rows)s rows and %(columns)s columns (%(area)s) "
    "(delete the empty rows and columns after your data, then save again)"
)
USED_AREA = Message("a used area that reaches %(area)s")
XML_TOO_DEEP = Message("XML nested more than %(depth)s levels deep in %(entry)s")
XML_DTD = Message("a DTD in %(entry)s")
XLSX_WITHOUT_DTD = Message("an .xlsx without DTDs or entities")
SHARED_STRINGS = Message("over %(count)s distinct texts")
XML_UNPARSED = Message("a workbook that cannot be read (XML that does not parse: %(error)s)")

# -- a mailed attachment or message that was not taken (telar.inbound, telar.stages.inbound_mail)
TOO_MANY_PARTS = Message("it has %(parts)s parts; Telar reads e-mails of at most %(limit)s")
MIME_DAMAGED = Message("its structure (MIME) is damaged, so its attachments cannot be told apart")
TOO_MANY_SPREADSHEETS = Message("it has %(count)s spreadsheets; send at most %(limit)s per e-mail")
UNREADABLE_ATTACHMENT = Message("it could not be read")
UNDECODABLE_ATTACHMENT = Message("it could not be decoded")
ATTACHMENT_TOO_LARGE = Message("it is larger than %(mb)s MB")
MESSAGE_TOO_LARGE = Message("it is %(mb)s MB; Telar reads e-mails of at most %(limit)s MB")
NOT_XLSX = Message("it is not an .xlsx spreadsheet")
WINMAIL_DAT = Message(
    "Outlook packed the attachments into winmail.dat, which Telar cannot open: send the e-mail again in HTML or "
    "plain text format (Format Text in Outlook), with the .xlsx attached"
)
NOT_XLSX_SAVE_AS = Message("it is not an .xlsx spreadsheet: save it as an Excel workbook (.xlsx) and send it again")
NO_SHEET_FROM_YOU = Message("no sheet Telar reads from you")
ONLY_MANAGERS = Message("only production managers send QC sheets")
NOT_YOUR_GROUP = Message(
    "the sheet is for assignment %(assignment)s, which belongs to a group you do not manage; "
    "nothing was recorded from it"
)
NOT_YOUR_GROUP_ATTENDANCE = Message(
    "the attendance sheet is for group %(group)s, which you do not manage; nothing was recorded from it"
)
RECEIVED = Message("received; the answer follows in this conversation")


def english(message: str | Text, **values: Any) -> str:
    """The translator for English: a Text as it reads, a message filled in."""
    if isinstance(message, Text) and not values:
        return str.__str__(message)
    return message % values if values else message


# -- what a buyer is told about her order (telar.stages.buyer_news)
CAPACITY_SHORT = Message("the workshops' capacity is short of what the order needs by then")
MADE_AGAIN = Message("some units did not pass quality control and are being made again")
CARDS_TO_PRINT = Message("insert cards to print")
PACKING_LIST = Message("packing list")
