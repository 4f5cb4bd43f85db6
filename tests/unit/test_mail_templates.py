"""Every e-mail is a template under telar/templates/mail/: the words the stages sent as f-strings, unchanged.

Each expected text below is the f-string the stage built before the templates existed, kept as the oracle.
"""

import email
import email.policy
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from local import texts
from telar import messages
from telar.adapters.mail import XLSX, Attachment, Mailer, OutgoingMail, raw
from telar.errors import SheetProblem
from telar.mail_thread import MailThread
from telar.models import Buyer, GroupPayroll, PayPeriod, QcSheet
from telar.payroll import pay_statement
from telar.rendering import MAIL_TEXTS, TEMPLATES, _load_mail_texts, environment, render_mail
from telar.stages.inbound_mail import Outcome
from tests.factories import (
    CUSCO,
    NOW,
    make_assignment,
    make_earning_line,
    make_group,
    make_maker,
    make_order,
    make_qc_row,
    make_reference,
)

GROUP = make_group(CUSCO)
ASSIGNMENT = make_assignment()


def _payrolls() -> list[GroupPayroll]:
    lines = [make_earning_line("CUS-01"), make_earning_line("CUS-02")]
    return [GroupPayroll(group_id=CUSCO, group_name=GROUP.name, currency="PEN", lines=lines)]


_BUYER = Buyer(buyer_id="b1", name="B", email="b@example.org", webhook_url="https://hooks.example.org/telar")
_ORDER = make_order()
_SHEET = QcSheet(assignment_id="a-1", inspected_by="Luz", inspected_on=date(2025, 4, 22), rows=[make_qc_row()])
_PROBLEMS = [SheetProblem("QC", "E7", "x", messages.CAPACITY_SHORT())]

CONTEXTS: dict[str, dict[str, Any]] = {
    "papers": {"group": GROUP, "assignment": ASSIGNMENT, "buyer_reference": "PO-1"},
    "qc_reminder": {
        "group": GROUP,
        "assignment": ASSIGNMENT,
        "reference": "PO-1",
        "days_late": 2,
        "deadline": datetime(2025, 5, 2, 7, 5, tzinfo=UTC),
    },
    "qc_receipt": {"assignment_id": "a-1", "group": GROUP, "key": "qc/x.xlsx", "sheet": _SHEET},
    "qc_report": {"key": "qc/x.xlsx", "problems": []},
    "qc_not_awaited": {"assignment": ASSIGNMENT, "group": GROUP, "key": "qc/x.xlsx", "reason": "r"},
    "inbound_reply": {"person": "Luz", "problem": "p", "outcomes": [], "manager": True},
    "order_cancelled": {"group": GROUP, "assignment": ASSIGNMENT, "reference": "PO-1"},
    "payslips": {"group": GROUP, "period": "2026-11", "makers": 3, "pay_date": "2026-12-05"},
    "contact_sheet": {"group": GROUP, "makers": 4},
    "attendance_sheet": {"group": GROUP, "month": "2026-11"},
    "attendance_receipt": {
        "group": GROUP,
        "key": "attendance/x.xlsx",
        "month": "2026-11",
        "makers": 2,
        "totals": [("present", Decimal(80)), ("training", Decimal(4))],
        "amount": Decimal("812.50"),
        "currency": "PEN",
        "guaranteed": True,
    },
    "attendance_report": {"key": "attendance/x.xlsx", "problems": _PROBLEMS},
    "order_payroll": {"order_id": "ord-1", "groups": _payrolls()},
    "pay_run": {
        "period": "2026-11",
        "groups": _payrolls(),
        "statements": [
            pay_statement(_payrolls(), make_reference(), PayPeriod(period="2026-11"), date(2026, 12, 5), "T")
        ],
        "pay_date": "2026-12-05",
    },
    "reference_receipt": {
        "ref": make_reference(),
        "source": "reference/book.xlsx",
        "version": 3,
        "buyers": [_BUYER],
        "deactivated": ["CUS-01"],
        "new_buyers": ["b1"],
        "applied_here": True,
        "warnings": ["catalog KNT-SCARF-ALP: name in th"],
    },
    "reference_report": {"key": "reference/b.xlsx", "problems": _PROBLEMS},
    "api_key": {"buyer": _BUYER, "api_key": "tk_123"},
    "webhook_secret": {"buyer": _BUYER, "secret": "whsec_123"},
    "photo_missing": {
        "maker": make_maker(),
        "group_name": GROUP.name,
        "order_reference": "PO-1",
        "photo_file": "cus-01.jpg",
        "problem": "it is not in photos/",
    },
    "buyer_confirmed": {
        "buyer": _BUYER,
        "order": _ORDER,
        "lines": [{"quantity": 12, "sku": "KNT-SCARF-ALP", "name": "Scarf"}],
        "expected": date(2025, 6, 2),
        "reason": messages.CAPACITY_SHORT(),
    },
    "buyer_date_changed": {
        "buyer": _BUYER,
        "order": _ORDER,
        "old": date(2025, 5, 2),
        "new": date(2025, 6, 2),
        "reason": messages.CAPACITY_SHORT(),
    },
    "buyer_ready": {
        "buyer": _BUYER,
        "order": _ORDER,
        "units": 12,
        "links": [
            (messages.CARDS_TO_PRINT(), "https://s3.example.org/cards.html?X-Amz-Expires=43200&X-Amz-Signature=ab")
        ],
        "until": "2025-05-02 19:00",
    },
    "buyer_attention": {"buyer": _BUYER, "order": _ORDER, "reason": "r"},
    "buyer_cancelled": {"buyer": _BUYER, "order": _ORDER},
}
"""A context for each mail template; the tests below render each template with others as well."""


def test_every_template_under_mail_has_a_context_here() -> None:
    assert {p.name.removesuffix(".txt.j2") for p in (TEMPLATES / "mail").glob("*.txt.j2")} == set(CONTEXTS)


class _ShownWords(HTMLParser):
    """The words a mail program shows of an HTML part: the text of its body, entities read."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.shown: list[str] = []
        self._in_body = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_body |= tag == "body"

    def handle_data(self, data: str) -> None:
        if self._in_body:
            self.shown.append(data)

    @property
    def words(self) -> list[str]:
        return "".join(self.shown).split()


def _text_words(text: str) -> list[str]:
    """The words of a mail's text, without the "- " that marks an item (the HTML shows a bullet)."""
    return [word for line in text.splitlines() for word in line.removeprefix("- ").split()]


@pytest.mark.parametrize("language", ["es", "th", "en"])
@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_every_mail_renders_its_text_and_the_same_words_as_html_in_each_language(name: str, language: str) -> None:
    # Given a template and its values (a value missing would raise: the environment's undefined is strict)
    # When it is rendered in the language
    mail = render_mail(name, language, **CONTEXTS[name])
    # Then subject, text and HTML are all there, with no placeholder or template syntax left in any of them
    assert mail.subject and mail.text.strip() and "\n" not in mail.subject
    for part in (mail.subject, mail.text, mail.html):
        assert not any(left in part for left in ("%(", ")s", "{{", "{%", "}}")), (name, part)
    # and the HTML is the text's words in the text's language, no more and no fewer
    assert f'<html lang="{language}">' in mail.html
    assert _ShownWords(mail.html).words == _text_words(mail.text)


def test_a_line_of_the_text_is_a_paragraph_line_or_a_list_item_and_only_web_addresses_are_links() -> None:
    mail = render_mail("buyer_ready", **CONTEXTS["buyer_ready"])
    assert '<a href="https://s3.example.org/cards.html?X-Amz-Expires=43200&amp;X-Amz-Signature=ab"' in mail.html
    assert mail.html.count("<li>") == 1 and mail.html.count("<p ") == 3
    assert "<script" not in mail.html and "<img" not in mail.html and "<link" not in mail.html
    refused = render_mail(
        "inbound_reply", person=None, problem="javascript:alert(1) ftp://x.example", outcomes=[], manager=True
    )
    assert "javascript:alert(1)" in refused.html and "<a " not in refused.html
    assert '<html lang="en">' in render_mail("qc_report", "fr", key="qc/x.xlsx", problems=[]).html  # English


def test_qc_mails_read_as_before() -> None:
    sheet = QcSheet(
        assignment_id="a-1", inspected_by="Luz", inspected_on=date(2025, 4, 22), rows=[make_qc_row(), make_qc_row()]
    )
    mail = render_mail("qc_receipt", assignment_id="a-1", group=GROUP, key="qc/x.xlsx", sheet=sheet)
    assert mail.subject == "Telar: QC sheet accepted — a-1"
    assert mail.text == (
        f"Thank you, {GROUP.manager_name}. The QC sheet qc/x.xlsx signed by Luz on "
        f"2025-04-22 is recorded: {sheet.passed} units passed, {sheet.rejected} rejected, "
        f"2 rows.\n"
        + ("If the rejected units are to be made again, new papers for them follow by e-mail. " * bool(sheet.rejected))
        + "The makers' pay for the passed units is in the next pay run.\n"
    )
    a = ASSIGNMENT
    mail = render_mail("qc_not_awaited", assignment=a, group=GROUP, key="qc/x.xlsx", reason="it was stopped")
    assert mail.subject == (f"Telar: QC sheet received for work that is no longer in production — {a.assignment_id}")
    assert mail.text == (
        f"Hello {GROUP.manager_name},\n\nThe QC sheet qc/x.xlsx for {a.assignment_id} arrived, but its order "
        f"{a.order_id} is no longer in production (it was stopped). Nothing was recorded from it yet and the "
        "sheet is kept as it was uploaded. The office (copied) will tell you what happens with this work and "
        "with the makers' pay; there is no need to upload it again.\n"
    )
    deadline = datetime(2025, 5, 2, 7, 5, tzinfo=UTC)
    for days_late, status in ((3, f"3 day(s) past its due date ({a.due_date.isoformat()})"), (0, "not yet uploaded")):
        mail = render_mail(
            "qc_reminder", group=GROUP, assignment=a, reference="PO-1", days_late=days_late, deadline=deadline
        )
        assert mail.subject == f"Telar: QC sheet overdue — {GROUP.name}, order PO-1"
        assert mail.text == (
            f"Hello {GROUP.manager_name},\n\n"
            f"The QC sheet for {a.assignment_id} ({a.planned_units} units of order PO-1) is {status}.\n"
            "Please reply to this e-mail with the filled QC sheet attached (or upload it from the assignment's page "
            "in the staff console) before "
            f"2025-05-02 07:05 UTC; after that the order stops waiting and a person at "
            f"Telar follows it up with you. The QC sheet is attached again in case you need a fresh copy.\n"
        )


@pytest.mark.parametrize(
    ("template", "key", "subject", "intro"),
    [
        (
            "qc_report",
            "qc/x.xlsx",
            "Telar: QC sheet needs correcting — qc/x.xlsx",
            "The QC sheet qc/x.xlsx could not be accepted. ",
        ),
        (
            "reference_report",
            "reference/b.xlsx",
            "Telar: reference workbook needs correcting — reference/b.xlsx",
            "The reference workbook reference/b.xlsx was not applied: nothing changed. ",
        ),
        (
            "attendance_report",
            "attendance/a.xlsx",
            "Telar: attendance sheet needs correcting — attendance/a.xlsx",
            "The attendance sheet attendance/a.xlsx could not be accepted: nothing was recorded from it. ",
        ),
    ],
)
def test_error_reports_list_every_problem_under_their_intro(template: str, key: str, subject: str, intro: str) -> None:
    problems = [SheetProblem("QC", "E7", "x", "a whole number"), SheetProblem("QC", "", None, "a header row")]
    mail = render_mail(template, key=key, problems=problems)
    assert mail.subject == subject
    intro += "Please correct it and reply to this e-mail with the corrected sheet attached."
    assert mail.text == "\n".join([intro, "", *(f"- {p}" for p in problems)]) + "\n"


def test_papers_mail_reads_as_before() -> None:
    a = ASSIGNMENT
    mail = render_mail("papers", group=GROUP, assignment=a, buyer_reference="PO-1")
    assert mail.subject == f"Telar: new work for {GROUP.name} — order PO-1"
    assert mail.text == (
        f"Hello {GROUP.manager_name},\n\n{GROUP.name} has new work ({a.planned_units} units, due "
        f"{a.due_date.isoformat()}). The work sheet to print and the QC sheet to fill in are attached.\n"
        "When QC is done, reply to this e-mail with the filled QC sheet attached (or upload it from the "
        "assignment's page in the staff console).\n"
    )


def test_managers_mails_link_the_console_page_to_upload_from_where_the_stack_has_a_console() -> None:
    # Given the console's address (from the stack's parameter), and a group id that needs escaping in a URL
    console, a = "https://abc123.execute-api.us-east-1.amazonaws.com/v1/console", ASSIGNMENT
    group = GROUP.model_copy(update={"group_id": "pe cusco/1"})
    # When the papers, a reminder and the attendance sheet are mailed
    papers = render_mail("papers", group=group, assignment=a, buyer_reference="PO-1", console_url=console)
    reminder = render_mail(
        "qc_reminder", group=group, assignment=a, reference="PO-1", days_late=2, deadline=NOW, console_url=console
    )
    attendance = render_mail("attendance_sheet", group=group, month="2026-12", console_url=console)
    # Then each names the page she uploads from, on its own line right after the sentence that mentions it
    page = f"{console}/assignments/{a.assignment_id}"
    assert f"in the staff console).\n{page}\n" in papers.text
    assert f"\n{page}\n" in reminder.text
    assert f"\n{console}/groups/pe%20cusco/1/attendance\n" in attendance.text
    # And without a console address they read as before (test_papers_mail_reads_as_before)
    assert "http" not in render_mail("attendance_sheet", group=group, month="2026-12", console_url=None).text


def test_payroll_mails_read_as_before() -> None:
    [p] = groups = _payrolls()
    order = render_mail("order_payroll", order_id="ord-1", groups=groups)
    ref = make_reference()
    statement = pay_statement(groups, ref, PayPeriod(period="2026-11"), date(2026, 12, 5), "Telar")
    run = render_mail("pay_run", period="2026-11", groups=groups, statements=[statement], pay_date="2026-12-05")
    assert (order.subject, run.subject) == (
        "Telar: payroll earnings recorded for order ord-1 (for reference)",
        "Telar: payroll for pay period 2026-11",
    )
    assert order.text == (
        f"Earnings recorded for order ord-1, per group and currency:\n\n"
        f"- {GROUP.name}: 2 lines, total PEN {p.total} (top-ups {p.top_ups})\n\n"
        "Files attached for reference. Do not pay from them: these lines are paid once, in the monthly "
        "pay-period run, whose e-mail carries the files to pay from.\n"
    )
    # the period's mail says what to pay, by when and by which method (the factory's makers are paid in cash)
    [carmen, luz] = statement.rows
    assert run.text == (
        f"Pay by 2026-12-05. Payroll for pay period 2026-11, per group and currency:\n\n"
        f"- {GROUP.name}: 2 makers, 2 lines, total PEN {p.total} (minimum-wage top-ups {p.top_ups})\n\n"
        "What to pay, by payment method:\n"
        f"- {GROUP.name}, cash: 2 makers, PEN {carmen.total + luz.total} (through the manager; the workbook has a "
        "receipt sheet to sign)\n\n"
        "Each workbook's Pay sheet is the one to pay from: one row per maker with her payment details. One file "
        "per group and currency is attached. Each group's manager is e-mailed her group's payslips to print and "
        "hand out.\n"
    )
    nothing = render_mail("pay_run", period="2026-11", groups=[])
    assert nothing.text == "Pay period 2026-11: no unpaid earnings were due. Nothing to pay.\n"


def test_reference_mails_read_as_before() -> None:
    ref = make_reference()
    ref = ref.model_copy(update={"makers": (ref.makers[0].model_copy(update={"active": False}), *ref.makers[1:])})
    buyers = (Buyer(buyer_id="b1", name="B", email="b@example.org"),)
    for applied_here, deactivated, new_buyers in ((True, ("CUS-01",), ["b1"]), (False, (), [])):
        mail = render_mail(
            "reference_receipt",
            ref=ref,
            source="reference/book.xlsx#v1",
            version=3,
            buyers=buyers,
            deactivated=deactivated,
            new_buyers=new_buyers,
            applied_here=applied_here,
        )
        assert mail.subject == f"Telar: reference data {'applied' if applied_here else 'unchanged'} — version 3"
        head = (
            "The reference workbook reference/book.xlsx#v1 is now in force as version 3."
            if applied_here
            else "The reference workbook reference/book.xlsx#v1 holds the data of version 3, in force: nothing changed."
        )
        active = sum(m.active for m in ref.makers)
        lines = [
            head,
            "",
            f"- groups: {len(ref.groups)}",
            f"- makers: {active} active, {len(ref.makers) - active} inactive",
            f"- catalog: {len(ref.products)} products",
            f"- wage rules: {len(ref.wage_rules)}",
            f"- buyers: {len(buyers)}",
        ]
        if deactivated:
            lines += ["", "Deactivated (kept for payroll history): " + ", ".join(deactivated)]
        if new_buyers:
            lines += ["", "New buyers, each sent an API key by e-mail: " + ", ".join(sorted(new_buyers))]
        lines += [
            "",
            "Orders already planned keep the version they were planned with.",
            "The attached workbook is the data now in force: edit it and reply to this e-mail with it attached "
            "(or upload it again) to make changes.",
        ]
        assert mail.text == "\n".join(lines) + "\n"
    key = render_mail("api_key", buyer=buyers[0], api_key="tk_123")
    assert key.subject == "Telar: your API key"
    assert key.text == (
        "Hello B,\n\nyour Telar API key (send it in the x-api-key header):\n\n    tk_123\n\n"
        "Telar keeps only a fingerprint of it and cannot send it again: store it safely. "
        "If it is lost or exposed, ask us for a new one.\n"
    )


def test_html_is_escaped_and_mail_text_is_not() -> None:
    # Given a group's name and a refused cell's value typed into spreadsheets as markup
    name, value = "<script>alert(1)</script> & Co", "<script>alert(2)</script> & <b>"
    group = GROUP.model_copy(update={"name": name})
    papers = render_mail("papers", "es", group=group, assignment=ASSIGNMENT, buyer_reference="PO & <i>")
    report = render_mail("qc_report", "th", key="qc/x.xlsx", problems=[SheetProblem("QC", "E7", value, "a number")])
    # When they go into an e-mail, Then its text reads as typed
    assert name in papers.text and "PO & <i>" in papers.subject and value in report.text
    # and its HTML shows the same characters, escaped: no markup of theirs reaches the mail program
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in papers.html and "PO &amp; &lt;i&gt;" in papers.html
    assert "&lt;script&gt;alert(2)&lt;/script&gt; &amp; &lt;b&gt;" in report.html
    for html in (papers.html, report.html):
        assert "<script" not in html and "<b>" not in html and "<i>" not in html
    assert _ShownWords(report.html).words == _text_words(report.text)
    assert environment().autoescape("payslips.html.j2") is True
    assert environment().autoescape("mail/_layout.html.j2") is True
    assert environment().autoescape("mail/papers.txt.j2") is False


def _parts(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def test_the_html_goes_beside_the_text_and_the_attachments_and_headers_stay_as_they_were() -> None:
    # Given a rendered mail with attachments, sent in a conversation with a reply address
    mail = render_mail("papers", "th", **CONTEXTS["papers"])
    thread = MailThread("luz@example.org", "<m1@example.org>", ("<m0@example.org>", "<m1@example.org>"), "QC")
    attachments = (Attachment("work.xlsx", b"PK\x03\x04work", XLSX), Attachment("qc.xlsx", b"PK\x03\x04qc", XLSX))
    sent = OutgoingMail(["luz@example.org"], mail.subject, mail.text, mail.html, attachments, "in@example.org", thread)
    # When the message is built as SES is given it and read back by a mail program
    received = email.message_from_bytes(raw(Mailer("telar@example.org").message(sent)), policy=email.policy.default)
    assert isinstance(received, EmailMessage)
    # Then the text and its HTML are alternatives, text first, and the attachments follow them
    assert _parts(received) == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", XLSX, XLSX]
    text, html = (received.get_body((kind,)) for kind in ("plain", "html"))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    # (SMTP's CRLF line breaks read back as they are)
    assert text.get_content().splitlines() == mail.text.splitlines()
    assert html.get_content().splitlines() == mail.html.splitlines()
    assert _ShownWords(html.get_content()).words == _text_words(text.get_content())
    assert [(a.get_filename(), a.get_payload(decode=True)) for a in received.iter_attachments()] == [
        (a.filename, a.content) for a in attachments
    ]
    # and the headers are those of the same mail without HTML
    without = email.message_from_bytes(
        raw(Mailer("telar@example.org").message(OutgoingMail(**{**vars(sent), "html": None}))),
        policy=email.policy.default,
    )
    assert _parts(without) == ["multipart/mixed", "text/plain", XLSX, XLSX]
    headers = ("From", "To", "Subject", "Reply-To", "In-Reply-To", "References", "Auto-Submitted")
    assert [received[h] for h in headers] == [without[h] for h in headers]
    assert received["Subject"] == f"Re: {thread.subject}" and received["In-Reply-To"] == "<m1@example.org>"
    # and with no attachment the message is the two alternatives alone
    alone = Mailer("telar@example.org").message(OutgoingMail(["luz@example.org"], mail.subject, mail.text, mail.html))
    assert _parts(alone) == ["multipart/alternative", "text/plain", "text/html"]


def test_the_reply_to_a_mailed_sheet_names_each_attachment_refused_and_asks_for_a_reply() -> None:
    # Given a manager's e-mail with one sheet taken and one attachment refused
    outcomes = [
        Outcome("qc-1.xlsx", True, "received; the answer follows in this conversation"),
        Outcome("photo.jpg", False, "it is not an .xlsx spreadsheet"),
    ]
    # When the reply is rendered; Then every attachment has its line, and a refusal says why
    mail = render_mail("inbound_reply", person="Luz", language="en", problem=None, outcomes=outcomes, manager=True)
    assert mail.text == (
        "Hello Luz,\n\nWhat became of each attachment:\n\n"
        "- qc-1.xlsx: received; the answer follows in this conversation.\n"
        "- photo.jpg: not taken: it is not an .xlsx spreadsheet.\n"
    )
    # and in her group's language, the same lines
    spanish = render_mail("inbound_reply", "es", person="Luz", problem=None, outcomes=outcomes, manager=True)
    assert spanish.subject == "Telar: su correo con hojas"
    assert spanish.text.startswith("Hola, Luz:\n\nQué pasó con cada adjunto:\n\n- qc-1.xlsx: ")
    assert "- photo.jpg: no se tomó: it is not an .xlsx spreadsheet." in spanish.text
    refused = render_mail("inbound_reply", person=None, language="en", problem="it is 30 MB", outcomes=[], manager=True)
    assert refused.text.startswith("Hello,\n\nTelar could not take the sheets from your e-mail: it is 30 MB.")
    assert "reply to this e-mail with the filled QC sheets attached" in refused.text
    empty = render_mail("inbound_reply", person=None, language="en", problem=None, outcomes=[], manager=False)
    assert "no spreadsheet attached" in empty.text and "workbook (.xlsx)" in empty.text


MANAGER_MAILS = (
    "papers",
    "qc_reminder",
    "qc_receipt",
    "qc_report",
    "qc_not_awaited",
    "inbound_reply",
    "order_cancelled",
    "payslips",
    "contact_sheet",
)


@pytest.mark.parametrize("language", sorted(MAIL_TEXTS))
def test_every_mail_a_manager_reads_is_written_in_her_language(language: str) -> None:
    # Given every text the manager's mails use, When each is rendered in her language
    english = {name: render_mail(name, "en", **CONTEXTS[name]) for name in MANAGER_MAILS}
    for name in MANAGER_MAILS:
        mail = render_mail(name, language, **CONTEXTS[name])
        # Then no sentence is left in English (subject and every line differ), and the values are all there
        assert mail.subject != english[name].subject, name
        lines = [line for line in mail.text.splitlines() if line.strip()]
        assert not set(lines) & {line for line in english[name].text.splitlines() if line.strip()}, name
    assert "PO-1" in render_mail("papers", language, **CONTEXTS["papers"]).subject


def test_the_recorded_texts_are_those_the_templates_hand_to_the_translator() -> None:
    # Given the templates as they are, When their texts are found by parsing them as the build's check did
    # Then telar/templates/message_ids.json, which the functions check their language files against, holds them
    assert texts.FILE.read_text(encoding="utf-8") == texts.recorded(), "run `make texts` after editing a template"
    mail, console = texts.template_message_ids("mail"), texts.template_message_ids("console")
    assert mail and console and mail != console  # each folder's texts are its own
    assert any("%(" in text for text in mail)


def test_a_translation_file_must_translate_every_text_with_its_placeholders(tmp_path: Path) -> None:
    ids = {"Hello %(name)s,", "Thank you."}
    (tmp_path / "xx.json").write_text(json.dumps({"Hello %(name)s,": "Hi %(name)s,"}))
    with pytest.raises(ValueError, match="untranslated"):
        _load_mail_texts(tmp_path, ids)
    (tmp_path / "xx.json").write_text(json.dumps({"Hello %(name)s,": "Hi,", "Thank you.": "Thanks."}))
    with pytest.raises(ValueError, match="placeholders"):
        _load_mail_texts(tmp_path, ids)
    (tmp_path / "xx.json").write_text(json.dumps({"Hello %(name)s,": "Hi %(name)s,", "Thank you.": "Thanks."}))
    assert _load_mail_texts(tmp_path, ids)["xx"]["Thank you."] == "Thanks."


def test_a_language_without_a_file_is_written_in_english() -> None:
    mail = render_mail("qc_report", "fr", key="qc/x.xlsx", problems=[])
    assert mail.subject == "Telar: QC sheet needs correcting — qc/x.xlsx"


@pytest.mark.parametrize(
    "subject",
    [
        "Telar: hoja de control de calidad recibida para un trabajo que ya no está en producción — ord-2026-pe-cusco",
        "Telar: ได้รับใบตรวจคุณภาพของงานที่ไม่ได้ผลิตแล้ว — ord-20261205024152-88a2a31e3e-th-chiangmai",
        "Re: Telar: trabajo nuevo para Mamakuna de Pisac — pedido TS-2027-0032 (ñandutí, «otoño»)",
    ],
)
def test_a_long_subject_in_spanish_or_thai_arrives_exactly_as_written(subject: str) -> None:
    # Given a message with a long subject mixing plain and non-ASCII words
    message = Mailer("telar@example.org").message(OutgoingMail(["manager@example.org"], subject, "texto"))
    # When it is sent as bytes and read back by a mail program
    received = email.message_from_bytes(raw(message), policy=email.policy.default)
    # Then the subject is the same, every space in its place
    assert str(received["Subject"]) == subject
    assert all(len(line) <= 998 for line in raw(message).split(b"\r\n"))


def test_a_cancelled_order_tells_its_manager_to_stop_and_that_worked_hours_are_paid() -> None:
    a = ASSIGNMENT
    mail = render_mail("order_cancelled", "en", group=GROUP, assignment=a, reference="PO-1")
    assert mail.subject == f"Telar: order PO-1 cancelled — stop the work of {a.assignment_id}"
    assert f"Please stop the work of {a.assignment_id} ({a.planned_units} units)" in mail.text
    assert "already worked on it are paid" in mail.text
    spanish = render_mail("order_cancelled", "es", group=GROUP, assignment=a, reference="PO-1")
    assert spanish.subject == f"Telar: pedido PO-1 cancelado — detenga el trabajo de {a.assignment_id}"
