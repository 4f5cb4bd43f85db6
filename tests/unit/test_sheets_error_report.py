"""Error reports: the uploaded workbook with the bad cells highlighted and commented."""

from io import BytesIO

import openpyxl

from telar.errors import SheetProblem
from telar.sheets.error_report import annotate_problems


def _upload() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "QC"
    sheet["A1"], sheet["E7"], sheet["F7"] = "Assignment ID", "x", 3
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_each_located_problem_is_highlighted_and_commented() -> None:
    # Given two problems in the same cell and one elsewhere
    problems = [
        SheetProblem("QC", "E7", "x", "a whole number >= 0"),
        SheetProblem("QC", "E7", "x", "at most the Produced count"),
        SheetProblem("QC", "F7", 3, "a number of hours"),
    ]
    # When the report is made
    report = annotate_problems(_upload(), problems)
    # Then both cells are filled and their comments say what was found and what was expected
    assert report is not None
    sheet = openpyxl.load_workbook(BytesIO(report))["QC"]
    assert sheet["E7"].fill.start_color.rgb == "FFF4B6B6" and sheet["F7"].fill.start_color.rgb == "FFF4B6B6"
    assert "a whole number >= 0" in sheet["E7"].comment.text and "Produced" in sheet["E7"].comment.text
    assert sheet["A1"].comment is None and sheet["A1"].value == "Assignment ID"


def test_problems_about_the_whole_file_give_no_annotated_copy() -> None:
    assert annotate_problems(_upload(), [SheetProblem("workbook", "", "a zip", "an .xlsx workbook")]) is None
    assert annotate_problems(b"not a workbook", [SheetProblem("QC", "A1", "", "x")]) is None


def test_a_missing_column_marks_its_header_row_and_a_range_its_first_cell() -> None:
    # Given a problem about a whole row (a column missing from the header row) and one about a merged value
    problems = [
        SheetProblem("QC", "7:7", None, "a column headed 'Passed' in the header row"),
        SheetProblem("QC", "E7:G7", "x", "a name"),
    ]
    # When the report is made
    report = annotate_problems(_upload(), problems)
    # Then the row is marked on its column A and the range on its first cell
    assert report is not None
    sheet = openpyxl.load_workbook(BytesIO(report))["QC"]
    assert "'Passed'" in sheet["A7"].comment.text and "a name" in sheet["E7"].comment.text


def test_annotated_copy_is_left_out_when_the_upload_holds_more_values_than_openpyxl_may_load(monkeypatch) -> None:
    # Given an upload with more values than the annotator's bound (lowered here to keep the test small)
    import telar.sheets.error_report as error_report

    monkeypatch.setattr(error_report, "MAX_ANNOTATED_CELLS", 2)
    # When its problems are annotated
    report = error_report.annotate_problems(_upload(), [SheetProblem("QC", "B2", "x", "y")])
    # Then no copy is built (the text report carries the problems)
    assert report is None
