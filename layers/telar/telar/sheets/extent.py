"""What an .xlsx really holds, read as a stream before any reader builds a grid from it.

A spreadsheet reader sizes its grid from the sheet's ``<dimension ref>`` and from its farthest cell:
a 9 kB file with one value at XFD1048576 asks for a grid of 17 billion cells. Each XML part of the
zip is therefore streamed through expat once (no tree is built, no DTD or entity is accepted, nesting
is bounded), and each worksheet's claimed and real extent is checked against what the caller will
read. Memory stays bounded by expat's buffer and the element depth, whatever the file claims.
"""

import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.parsers import expat

from telar import messages
from telar.errors import SheetInvalid, SheetProblem

MAX_DEPTH = 40  # a worksheet is ~6 levels deep, rich text in shared strings ~5; a hostile file goes to thousands
MAX_SCAN_COLUMNS = 256  # column IV: content beyond it is refused (the grid would be too wide to read)
MAX_SHARED_STRINGS = 1_000_000  # a full 10,000 x 64 sheet of distinct texts is 640,000
_CHUNK = 64 * 1024
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_XML_PARTS = (".xml", ".rels", ".vml")


@dataclass(frozen=True)
class Extent:
    """A worksheet's real extent: the last row and column holding a value (0 when it holds none)."""

    sheet: str
    last_row: int = 0
    last_column: int = 0
    cells: int = 0


@dataclass
class _Scan:
    depth: int = 0
    last_row: int = 0
    last_column: int = 0
    cells: int = 0
    row: int = 0
    column: int = 0
    cell_ref: tuple[int, int] | None = None
    cell_has_value: bool = False
    dimension: str | None = None
    far: list[tuple[int, int]] = field(default_factory=list)
    shared_strings: int = 0


class _Refused(Exception):
    def __init__(self, problem: SheetProblem):
        self.problem = problem


def column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def parse_ref(ref: str) -> tuple[int, int] | None:
    """``"XFD1048576"`` -> (1048576, 16384); None if it is no cell reference."""
    m = _REF.match(ref.strip())
    return (int(m.group(2)), column_number(m.group(1))) if m else None


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1].rsplit(":", 1)[-1]  # namespace-separated by expat, or a prefix


def _stream(
    archive: zipfile.ZipFile,
    entry: str,
    part: str,
    on_start: Callable[[str, dict[str, str]], None],
    on_end: Callable[[str], None] | None = None,
) -> None:
    """Feed one zip entry through expat in chunks; DTDs, entities and deep nesting are refused.

    Expat calls back into Python for every element, which is most of the time a hostile part with a million
    elements takes: the handlers stay small, and each element name's local part is worked out once per name.
    """
    parser = expat.ParserCreate()
    depth = 0
    local_names: dict[str, str] = {}

    def refuse(found: messages.Text, expected: messages.Text) -> None:
        raise _Refused(SheetProblem(part, "", found, expected))

    def local(name: str) -> str:
        found = local_names.get(name)
        if found is None:
            found = _local(name)
            if len(local_names) < 1_000:  # a part may use many names; the cache stays small
                local_names[name] = found
        return found

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            refuse(messages.XML_TOO_DEEP(depth=MAX_DEPTH, entry=entry), messages.XLSX_FROM_A_PROGRAM())
        on_start(local(name), attrs)

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1
        if on_end is not None:
            on_end(local(name))

    def doctype(*_: object) -> None:
        refuse(messages.XML_DTD(entry=entry), messages.XLSX_WITHOUT_DTD())

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    with archive.open(entry) as stream:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


def _sheet_parts(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part path -> sheet name, from xl/workbook.xml and its relationships."""
    rel_targets: dict[str, str] = {}
    sheets: list[tuple[str, str]] = []

    def on_rel(name: str, attrs: dict[str, str]) -> None:
        if name == "Relationship" and "Id" in attrs and "Target" in attrs:
            target = attrs["Target"]
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            rel_targets[attrs["Id"]] = path

    def on_book(name: str, attrs: dict[str, str]) -> None:
        if name == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            sheets.append((attrs.get("name", ""), rid))

    if "xl/_rels/workbook.xml.rels" in names:
        _stream(archive, "xl/_rels/workbook.xml.rels", messages.WORKBOOK(), on_rel)
    if "xl/workbook.xml" in names:
        _stream(archive, "xl/workbook.xml", messages.WORKBOOK(), on_book)
    return {rel_targets[rid]: name for name, rid in sheets if rid in rel_targets}


def _scan_sheet(archive: zipfile.ZipFile, entry: str, sheet: str, max_rows: int) -> _Scan:
    scan = _Scan()

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "dimension":
            scan.dimension = attrs.get("ref")
        elif name == "row":
            r = attrs.get("r")
            scan.row = int(r) if r and r.isdigit() and len(r) <= 8 else scan.row + 1
            scan.column = 0
        elif name == "c":
            ref = parse_ref(attrs["r"]) if "r" in attrs else None
            if ref is None:  # no reference: the next cell of the row, as readers count it
                ref = (max(scan.row, 1), scan.column + 1)
            scan.row, scan.column = ref
            scan.cell_ref, scan.cell_has_value = ref, False
        elif name in ("v", "is") and scan.cell_ref is not None:
            scan.cell_has_value = True

    def end(name: str) -> None:
        if name == "c" and scan.cell_ref is not None:
            if scan.cell_has_value:
                row, column = scan.cell_ref
                scan.cells += 1
                scan.last_row, scan.last_column = max(scan.last_row, row), max(scan.last_column, column)
                far = row > max_rows or column > MAX_SCAN_COLUMNS
                if far and len(scan.far) < 5 and (not scan.far or scan.far[-1][0] != row):  # first of each row
                    scan.far.append((row, column))
            scan.cell_ref = None

    _stream(archive, entry, sheet, start, end)
    return scan


def _count_shared_strings(archive: zipfile.ZipFile, entry: str) -> None:
    count = [0]

    def start(name: str, _attrs: dict[str, str]) -> None:
        if name == "si":
            count[0] += 1
            if count[0] > MAX_SHARED_STRINGS:
                raise _Refused(
                    SheetProblem(
                        messages.WORKBOOK(),
                        "",
                        messages.SHARED_STRINGS(count=f"{MAX_SHARED_STRINGS:,}"),
                        messages.AT_MOST(count=f"{MAX_SHARED_STRINGS:,}"),
                    )
                )

    _stream(archive, entry, messages.WORKBOOK(), start)


def _within(max_rows: int, coordinate: Callable[[int, int], str], *, trim: bool = False) -> messages.Text:
    within = messages.CONTENT_WITHIN_TRIM if trim else messages.CONTENT_WITHIN
    return within(rows=f"{max_rows:,}", columns=MAX_SCAN_COLUMNS, area=f"A1:{coordinate(max_rows, MAX_SCAN_COLUMNS)}")


def check_extents(archive: zipfile.ZipFile, *, max_rows: int) -> dict[str, Extent]:
    """Stream every XML part of an (already size-checked) .xlsx; refuse what no reader should be given.

    Returns each worksheet's real extent by sheet name.

    Raises
    ------
    SheetInvalid
        naming the sheet and the cell: a value below ``max_rows`` or right of column IV, a ``<dimension>``
        claiming more than that, XML nested too deep, a DTD, too many shared strings, or XML that does not parse.
    """
    from telar.sheets.reading import coordinate  # late: reading imports this module

    names = {info.filename for info in archive.infolist()}
    try:
        parts = _sheet_parts(archive, names)
        extents: dict[str, Extent] = {}
        for entry in sorted(names):
            if not entry.endswith(_XML_PARTS) or entry == "xl/workbook.xml" or entry.endswith("workbook.xml.rels"):
                continue
            sheet = parts.get(entry) or (entry if entry.startswith("xl/worksheets/") else None)
            if sheet is not None:
                scan = _scan_sheet(archive, entry, sheet, max_rows)
                if scan.far:
                    problems = [
                        SheetProblem(sheet, coordinate(r, c), messages.A_VALUE(), _within(max_rows, coordinate))
                        for r, c in scan.far
                    ]
                    raise SheetInvalid(problems)
                claimed = parse_ref((scan.dimension or "A1").rpartition(":")[2] or "A1")
                if claimed and (claimed[0] > max_rows or claimed[1] > MAX_SCAN_COLUMNS):
                    raise SheetInvalid(
                        [
                            SheetProblem(
                                sheet,
                                "",
                                messages.USED_AREA(area=scan.dimension),
                                _within(max_rows, coordinate, trim=True),
                            )
                        ]
                    )
                extents[sheet] = Extent(sheet, scan.last_row, scan.last_column, scan.cells)
            elif entry.endswith("sharedStrings.xml"):
                _count_shared_strings(archive, entry)
            else:
                _stream(archive, entry, messages.WORKBOOK(), lambda _n, _a: None)
        return extents
    except _Refused as refused:
        raise SheetInvalid([refused.problem]) from None
    except expat.ExpatError as exc:
        raise SheetInvalid(
            [
                SheetProblem(
                    messages.WORKBOOK(),
                    "",
                    messages.XML_UNPARSED(error=str(exc)),
                    messages.XLSX_FROM_A_PROGRAM(),
                )
            ]
        ) from None
