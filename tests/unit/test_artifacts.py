"""The buckets' layout: every key Telar writes, named in telar/artifacts.py (people and scripts rely on it)."""

from telar import artifacts
from telar.photos import cache_key


def test_an_assignment_s_papers_live_under_its_order_and_group() -> None:
    # Given an assignment of order ord-1 for Cusco, When its papers are named, Then they sit together
    prefix = artifacts.papers_prefix("ord-1", "pe-cusco")
    assert prefix + artifacts.worksheet_name("ord-1-pe-cusco") == "orders/ord-1/pe-cusco/worksheet-ord-1-pe-cusco.xlsx"
    assert prefix + artifacts.qc_template_name("ord-1-pe-cusco") == "orders/ord-1/pe-cusco/qc-ord-1-pe-cusco.xlsx"


def test_payroll_files_cards_and_exports_have_their_documented_keys() -> None:
    assert artifacts.order_payroll_prefix("ord-1") + artifacts.order_payroll_name("ord-1", "pe-cusco", "PEN") == (
        "payroll/ord-1/payroll-ord-1-pe-cusco-PEN.xlsx"
    )
    assert artifacts.pay_period_prefix("2026-11") == "payroll/periods/2026-11/"
    assert artifacts.pay_period_names("2026-11", "th-chiangmai", "THB") == (
        "payroll-2026-11-th-chiangmai-THB.xlsx",
        "payslips-2026-11-th-chiangmai-THB.html",
    )
    assert artifacts.cards_key("ord-1") == "cards/ord-1/cards.html"
    assert (
        artifacts.REFERENCE_EXPORTS + artifacts.reference_export_name(7) == "reference-exports/reference-v000007.xlsx"
    )
    assert artifacts.CURRENT_REFERENCE_EXPORT == "reference-exports/current.xlsx"
    assert cache_key("photos/a.jpg", "v1").startswith(artifacts.PHOTO_CACHE)


def test_an_error_report_is_kept_outside_the_prefixes_that_trigger_a_run() -> None:
    # Given uploads under the two watched prefixes
    qc = artifacts.qc_report_stem("qc/Cusco QC.xlsx", "v3")
    reference = artifacts.reference_report_stem("reference/book.xlsx", "null")
    # Then each report is named after its upload and version, and written where no notification fires
    assert qc == "qc-reports/Cusco QC.xlsx.v3.errors"
    assert reference == "reference-reports/book.xlsx.null.errors"
    watched = (artifacts.QC_UPLOADS, artifacts.REFERENCE_UPLOADS)
    assert not qc.startswith(watched) and not reference.startswith(watched)


def test_an_upload_is_named_in_e_mails_by_its_file_name_never_its_key() -> None:
    from telar.artifacts import console_qc_upload_key, mailed_upload_key, upload_name
    from telar.rendering import translator

    assert upload_name("qc/Cusco marzo.xlsx") == "Cusco marzo.xlsx"
    assert upload_name("attendance/sub/folder/a.xlsx") == "a.xlsx"
    assert upload_name(mailed_upload_key("qc/", "inbound/abc123", 2, "QC-Cusco.xlsx")) == "QC-Cusco.xlsx"
    assert upload_name("reference/mail/x/notanindex-b.xlsx") == "notanindex-b.xlsx"
    # one uploaded from the console is said to come from there, in the reader's language
    from_console = upload_name(console_qc_upload_key("ord-1-pe-cusco", "a" * 32))
    assert from_console == "uploaded from the staff console"
    said = translator("es")(
        "The QC sheet %(key)s could not be accepted. Please correct it and reply to this e-mail with the corrected "
        "sheet attached.",
        key=from_console,
    )
    assert said.startswith("La hoja de control de calidad subida desde la consola del personal no pudo")
