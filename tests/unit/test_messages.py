"""The texts code builds (why a sheet or a mailed attachment was refused) reach a manager in her language.

English stays word for word what it was (tests/unit/test_qc_messages.py pins it); these tests show the same
problems said in Spanish and Thai, the annotated copy's comments included, and that no message escapes the
catalog the translation files are checked against.
"""

import ast
import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from telar import messages
from telar.errors import SheetInvalid, SheetProblem
from telar.inbound import read_body
from telar.qc import validate_qc
from telar.rendering import MAIL_TEXTS, render_mail, translator
from telar.sheets.error_report import annotate_problems
from telar.sheets.qc_sheet import read_qc_workbook
from telar.sheets.reading import read_grid
from tests.conftest import ROOT
from tests.qc_corpus import AID, ASSIGNMENT, REF, book


def _bad_sheet() -> bytes:
    rows: list[list[Any]] = [
        ["CUS-99", "KNT-SCARF-ALP", 4, "four", 3, 1, "BROKEN_ZIP", 750],
        ["CUS-02", "SEW-TOTE", 4, None, 4, 0, None, 16],
    ]
    return book(rows, labels={"Assignment ID": AID, "Inspected by": " ", "Date": date(2025, 4, 22)})


def _problems(data: bytes) -> list[SheetProblem]:
    with pytest.raises(SheetInvalid) as invalid:
        validate_qc(read_qc_workbook(data), ASSIGNMENT, REF)
    return invalid.value.problems


def test_a_message_reads_as_its_english_and_keeps_what_it_says() -> None:
    # Given a message filled in
    text = messages.WORKER_OF_GROUP(group="Taller Cusco", examples="CUS-01")
    # Then it is the English text, and remembers its message and values for another language
    assert text == "a Worker ID of Taller Cusco (CUS-01)" and isinstance(text, str)
    assert (text.message, text.values) == (
        messages.WORKER_OF_GROUP.english,
        {"group": "Taller Cusco", "examples": "CUS-01"},
    )
    assert translator("es")(text) == "un Worker ID (ID de artesana) de Taller Cusco (CUS-01)"
    assert translator("en")(text) == text and translator("xx")(text) == text  # no file: English


@pytest.mark.parametrize("language", sorted(MAIL_TEXTS))
def test_every_qc_problem_is_said_in_her_language(language: str) -> None:
    # Given a sheet with problems of every kind in its rows and its sign-off
    problems = _problems(_bad_sheet())
    say = translator(language)
    # When the report is rendered in her language
    mail = render_mail("qc_report", language, key="qc/x.xlsx", problems=problems)
    # Then each problem is there in her words, and none of the English texts is left
    for problem in problems:
        assert f"- {problem.said(say)}\n" in mail.text
        assert say(problem.expected) != problem.expected, problem.expected
        assert str(problem.expected) not in mail.text
    assert ", expected " not in mail.text and "found " not in mail.text


def test_the_spanish_report_reads_naturally() -> None:
    # Given the row with an unknown maker and a count written in words
    problems = {p.cell: p for p in _problems(_bad_sheet())}
    say = translator("es")
    # Then a manager in Cusco reads what to write, cell by cell
    assert problems["D6"].said(say) == "QC!D6: se encontró 'four'; lo esperado: un número entero, 0 o más"
    assert problems["D7"].said(say) == (
        "QC!D7: se encontró None; lo esperado: un número entero, 0 o más (escriba 0 si no hay ninguno)"
    )
    assert (
        problems["A6"].said(say).startswith("QC!A6: se encontró 'CUS-99'; lo esperado: un Worker ID (ID de artesana)")
    )


def test_a_problem_with_the_file_itself_is_said_in_her_language_too() -> None:
    # Given an empty upload
    with pytest.raises(SheetInvalid) as invalid:
        read_grid(b"", preferred_sheet="QC", max_bytes=1000)
    [problem] = invalid.value.problems
    # Then the English is as it was, and the "sheet" (the workbook) and what was found are hers too
    assert str(problem) == (
        "workbook: found 'an empty file', expected an .xlsx workbook (Excel, LibreOffice or Google Sheets: "
        "File > Save as / Download > .xlsx)"
    )
    assert problem.said(translator("es")).startswith(
        "libro: se encontró 'un archivo vacío'; lo esperado: un libro .xlsx"
    )
    thai = problem.said(translator("th"))
    assert "ไฟล์ว่าง" in thai and "empty" not in thai


def test_the_annotated_copy_comments_in_her_language() -> None:
    # Given a sheet with problems, annotated for a manager in Chiang Mai
    data = _bad_sheet()
    problems = _problems(data)
    annotated = annotate_problems(data, problems, translator("th"))
    assert annotated is not None
    sheet = load_workbook(io.BytesIO(annotated))["QC"]
    # Then each marked cell's comment is the Thai note, and the English copy is as it was
    assert sheet["D6"].comment.text == "พบ 'four' แต่ควรเป็น จำนวนเต็ม ตั้งแต่ 0 ขึ้นไป"
    english = annotate_problems(data, problems)
    assert english is not None
    assert (
        load_workbook(io.BytesIO(english))["QC"]["D6"].comment.text
        == "Found 'four'; expected a whole number, 0 or more."
    )


def test_a_refused_mail_is_told_why_in_her_language() -> None:
    # Given a message whose MIME structure is damaged
    raw = b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--qq\r\nno boundary\r\n"
    body = read_body(raw)
    assert body.problem == "its structure (MIME) is damaged, so its attachments cannot be told apart"
    # When the reply is rendered in Spanish
    mail = render_mail("inbound_reply", "es", person="Gloria", problem=body.problem, outcomes=[], manager=True)
    # Then the reason is Spanish
    assert "su estructura (MIME) está dañada" in mail.text and "damaged" not in mail.text


def test_only_the_catalog_declares_messages() -> None:
    # Given every module of the layer but the catalog itself
    layer = ROOT / "layers" / "telar" / "telar"
    calls = []
    for path in layer.rglob("*.py"):
        if path.name == "messages.py" and path.parent == layer:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in ("Message", "Text"):
                calls.append(f"{path.relative_to(layer)}:{node.lineno}")
    # Then none builds a message of its own: the translation files are checked against the catalog alone
    assert calls == []
    assert len({m.english for m in messages.ALL}) == len(messages.ALL)
