"""Hostile .xlsx files: small on disk, enormous (or endless) for a reader that trusts what they claim.

Each is built part by part, as an attacker would, so it claims what no spreadsheet program would write.
`python -m tests.hostile_workbooks out/hostile` writes them as files. tests/unit/test_hostile_workbooks.py
reads each in a child process and checks memory, time and the reply.
"""

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.qc_corpus import book, edit_sheet_xml, zip_of

_CT = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b"%s</Types>"
)
_SHEET_CT = (
    b'<Override PartName="/xl/worksheets/sheet%d.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R = b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def workbook_of(sheets: list[bytes], shared_strings: bytes | None = None) -> bytes:
    """An .xlsx of worksheets given as their XML bodies (inside <sheetData>), named QC, Sheet2, ..."""
    names = ["QC", *(f"Sheet{i}" for i in range(2, len(sheets) + 1))]
    book_xml = (
        b'<?xml version="1.0" encoding="UTF-8"?><workbook '
        + _NS
        + b" "
        + _R
        + b"><sheets>"
        + b"".join(b'<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (n.encode(), i, i) for i, n in enumerate(names, 1))
        + b"</sheets></workbook>"
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'relationships">'
        + b"".join(
            b'<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'worksheet" Target="worksheets/sheet%d.xml"/>' % (i, i)
            for i in range(1, len(sheets) + 1)
        )
        + b"</Relationships>"
    )
    entries = {
        "[Content_Types].xml": _CT % b"".join(_SHEET_CT % i for i in range(1, len(sheets) + 1)),
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": book_xml,
        "xl/_rels/workbook.xml.rels": rels,
    }
    for i, body in enumerate(sheets, 1):
        entries[f"xl/worksheets/sheet{i}.xml"] = (
            b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + _NS + b">" + body + b"</worksheet>"
        )
    if shared_strings is not None:
        entries["xl/sharedStrings.xml"] = shared_strings
    return zip_of({k: v if isinstance(v, bytes) else v.encode() for k, v in entries.items()})


def _cell(ref: str, value: int = 1) -> bytes:
    return b'<c r="%s"><v>%d</v></c>' % (ref.encode(), value)


def _data(*rows: bytes, dimension: str | None = None) -> bytes:
    dim = b'<dimension ref="%s"/>' % dimension.encode() if dimension else b""
    return dim + b"<sheetData>" + b"".join(rows) + b"</sheetData>"


@dataclass(frozen=True)
class Hostile:
    name: str
    build: Callable[[], bytes]
    expected: str  # text the refusal must contain


CORPUS: list[Hostile] = []


def hostile(name: str, expected: str) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    """Add the decorated builder to CORPUS: its file must be refused with ``expected`` in the refusal."""

    def add(build: Callable[[], bytes]) -> Callable[[], bytes]:
        CORPUS.append(Hostile(name, build, expected))
        return build

    return add


@hostile("far-cell-xfd1048576", "QC!XFD1048576")
def _far_cell() -> bytes:
    """The reported file: one value at XFD1048576, its dimension saying so (calamine asked for 550 GB)."""
    return workbook_of([_data(b'<row r="1048576">' + _cell("XFD1048576") + b"</row>", dimension="A1:XFD1048576")])


@hostile("far-cell-no-dimension", "QC!XFD1048576")
def _far_cell_no_dimension() -> bytes:
    return workbook_of([_data(b'<row r="1048576">' + _cell("XFD1048576") + b"</row>")])


@hostile("huge-dimension-one-cell", "reaches A1:XFD1048576")
def _huge_dimension_one_cell() -> bytes:
    return workbook_of([_data(b'<row r="1">' + _cell("A1") + b"</row>", dimension="A1:XFD1048576")])


@hostile("far-row-without-cell-refs", "QC!A1048576")
def _far_row_without_cell_refs() -> bytes:
    """No r= on the cell: readers place it by the row's number."""
    return workbook_of([_data(b'<row r="1048576"><c><v>1</v></c></row>')])


@hostile("wide-row-without-refs", "QC!IW1")
def _wide_row_without_refs() -> bytes:
    """20,000 unreferenced cells in one row: column 20,000."""
    return workbook_of([_data(b'<row r="1">' + b"<c><v>1</v></c>" * 20_000 + b"</row>")])


@hostile("deep-xml-100000", "nested more than")
def _deep_xml() -> bytes:
    depth = 100_000  # under 1 MB inflated, so the zip ratio check does not stop it first
    return workbook_of([_data(b'<row r="1">' + _cell("A1") + b"</row>") + b"<x>" * depth + b"</x>" * depth])


@hostile("deep-shared-strings", "nested more than")
def _deep_shared_strings() -> bytes:
    depth = 100_000  # under 1 MB inflated, so the zip ratio check does not stop it first
    sst = b'<?xml version="1.0"?><sst ' + _NS + b"><si>" + b"<r>" * depth + b"</r>" * depth + b"</si></sst>"
    return workbook_of([_data(b'<row r="1">' + _cell("A1") + b"</row>")], shared_strings=sst)


@hostile("billion-laughs", "DTD")
def _billion_laughs() -> bytes:
    dtd = (
        b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b'<!ENTITY %s "%s">' % (chr(98 + i).encode(), (b"&" + chr(97 + i).encode() + b";") * 10) for i in range(9)
        )
        + b"]>"
    )
    body = b'<?xml version="1.0"?>' + dtd + b"<worksheet " + _NS + b'><sheetData><row r="1"><c r="A1" t="inlineStr">'
    body += b"<is><t>&j;</t></is></c></row></sheetData></worksheet>"
    return edit_sheet_xml(book(), lambda _old: body.decode())


@hostile("400-sheets", "Assignment ID")
def _many_sheets() -> bytes:
    return workbook_of([_data(b'<row r="1">' + _cell("A1") + b"</row>")] * 400)


@hostile("1.2m-shared-strings", "distinct texts")
def _many_shared_strings() -> bytes:
    count = 1_200_000  # 1 in 40 texts random, so the zip compresses it under the 200:1 a zip bomb shows
    noise = random.Random(12)
    texts = (
        b"<si><t>%x</t></si>" % noise.getrandbits(24) if i % 40 == 0 else b"<si><t>x</t></si>" for i in range(count)
    )
    sst = b'<?xml version="1.0"?><sst ' + _NS + b">" + b"".join(texts) + b"</sst>"
    return workbook_of([_data(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>')], shared_strings=sst)


@hostile("widest-allowed-grid", "Assignment ID")
def _widest_allowed() -> bytes:
    """The largest grid the bounds let through: values at A1 and IV10000 (a refusal for content, not memory)."""
    return workbook_of(
        [
            _data(
                b'<row r="1">' + _cell("A1") + b'</row><row r="10000">' + _cell("IV10000") + b"</row>",
                dimension="A1:IV10000",
            )
        ]
    )


@hostile("sheet-xml-not-well-formed", "does not parse")
def _not_xml() -> bytes:
    return workbook_of([b"<sheetData><row r='1'><c r='A1'><v>1</v></row>"])  # mismatched tags


@hostile("qc-sheet-with-a-far-note", "QC!A500000")
def _qc_with_far_note() -> bytes:
    """A real QC sheet with one stray value far away: refused, naming that cell."""
    return edit_sheet_xml(
        book(),
        lambda text: text.replace("</sheetData>", '<row r="500000"><c r="A500000"><v>7</v></c></row></sheetData>'),
    )


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for case in CORPUS:
        (out / f"{case.name}.xlsx").write_bytes(case.build())
    print(f"{len(CORPUS)} workbooks in {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/hostile")
