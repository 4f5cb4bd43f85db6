"""The monthly pay run on the in-memory ports: every unpaid line paid once, files and payslips stored, finance mailed
once."""

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from telar.adapters.mail import OutgoingMail
from telar.models import EarningLine, PayPeriod
from telar.ports import Ports
from telar.stages.pay_period import run_pay_period
from tests.factories import CHIANG_MAI, make_earning_line, make_product, make_reference
from tests.fakes import refuse_first_mail, sent_mails

NOVEMBER = PayPeriod(period="2026-11")


def _lines() -> list[EarningLine]:
    return [
        make_earning_line("CUS-01", order_id="ord-a", inspected_on=date(2026, 11, 3)),
        make_earning_line(
            "CUS-02",
            order_id="ord-a",
            maker_name='=HYPERLINK("http://x","y")',
            piece_earnings=Decimal("19.00"),
            minimum_for_hours=Decimal("67.91"),
            top_up=Decimal("48.91"),
            inspected_on=date(2026, 11, 30),
        ),
        make_earning_line(
            "CNX-01",
            order_id="ord-b",
            assignment_id="ord-b-th-chiangmai",
            group_id=CHIANG_MAI,
            maker_name="Malee",
            currency="THB",
            piece_earnings=Decimal("920.00"),
            minimum_for_hours=Decimal("760.00"),
            inspected_on=date(2026, 10, 20),  # left unpaid last month: this run pays it
        ),
        make_earning_line("CUS-03", order_id="ord-c", inspected_on=date(2026, 12, 1)),  # next period
    ]


@pytest.fixture
def recorded(ports: Ports) -> Ports:
    ports.reference.put_reference(make_reference())
    assert ports.earnings.record_earnings(_lines()) == 4
    return ports


def test_the_run_pays_every_due_line_once_and_mails_finance_once(recorded: Ports) -> None:
    # When the November run happens, and again (a retry, or someone pressing the button twice)
    first = run_pay_period(recorded, NOVEMBER, today=date(2026, 12, 1))
    again = run_pay_period(recorded, NOVEMBER, today=date(2026, 12, 2))
    # Then the three lines due by 30 November are paid in it, the December one still waits
    paid = recorded.earnings.earnings_paid_in("2026-11")
    assert sorted(line.worker_id for line in paid) == ["CNX-01", "CUS-01", "CUS-02"]
    assert [line.worker_id for line in recorded.earnings.unpaid_earnings()] == ["CUS-03"]
    # And the re-run changed nothing and sent nothing more
    assert first.status == again.status == "SENT" and again.mail_sent
    assert first.files == again.files and first.totals == again.totals == {
        "pe-cusco PEN": "167.91",
        "th-chiangmai THB": "920.00",
    }
    finance = [m for m in sent_mails(recorded) if m.to == recorded.settings.finance_recipients]
    assert len(finance) == 1
    # And each group's manager got her group's payslips once, in her language, to print and hand out
    managers = {m.to[0]: m for m in sent_mails(recorded) if m not in finance}
    ref = make_reference()
    cusco, chiang_mai = ref.group("pe-cusco"), ref.group(CHIANG_MAI)
    assert sorted(managers) == sorted([str(cusco.manager_email), str(chiang_mai.manager_email)])
    spanish, thai = managers[str(cusco.manager_email)], managers[str(chiang_mai.manager_email)]
    assert spanish.subject == f"Telar: boletas de pago de {cusco.name} para 2026-11"
    assert "Fecha de pago: 2026-12-05" in spanish.text
    assert thai.subject == f"Telar: สลิปเงินเดือนของ {chiang_mai.name} งวด 2026-11"
    [slips] = spanish.attachments
    assert slips.content == recorded.artifacts.get(next(k for k in first.payslips if "pe-cusco" in k))
    # And each file's Summary total is a number equal to the recorded lines' total
    for key in first.files:
        book = load_workbook(io.BytesIO(recorded.artifacts.get(key)), data_only=True)
        group_currency = next(k for k in first.totals if key.endswith(f"-{k.replace(' ', '-')}.xlsx"))
        totals = [r[-1] for r in book["Summary"].iter_rows(min_row=4, values_only=True) if r[0]]
        assert [Decimal(str(t)) for t in totals] == [Decimal(first.totals[group_currency])]


def test_a_later_run_pays_only_what_is_new(recorded: Ports) -> None:
    # Given November was paid
    run_pay_period(recorded, NOVEMBER)
    # When December is run
    december = run_pay_period(recorded, PayPeriod(period="2026-12"))
    # Then it pays only the line signed off in December
    assert december.lines == 1 and december.totals == {"pe-cusco PEN": "100.00"}
    assert recorded.earnings.unpaid_earnings() == []


def test_a_failed_e_mail_is_recorded_retried_and_sent_once(recorded: Ports, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given SES fails the first time
    def fail(_: OutgoingMail) -> str:
        raise ConnectionError("SES unreachable")

    monkeypatch.setattr(recorded.mailer, "send", fail)
    # When the run happens, the error surfaces (so the invocation is retried) ...
    with pytest.raises(ConnectionError):
        run_pay_period(recorded, NOVEMBER)
    # ... the run says it was not sent and the files stay in S3
    run = recorded.earnings.start_pay_run("2026-11")
    assert (run.status, run.mail_sent) == ("FILED", False) and "SES unreachable" in (run.mail_error or "")
    assert len(run.files) == len(run.payslips) == 2  # Cusco in PEN, Chiang Mai in THB
    assert all(recorded.artifacts.get(key) for key in run.files + run.payslips)
    # When it is retried with SES back
    monkeypatch.delattr(recorded.mailer, "send")  # the instance's stand-in goes; the class's method is back
    retried = run_pay_period(recorded, NOVEMBER)
    # Then finance is mailed once, with the same files, and nothing is paid twice
    assert retried.mail_sent and retried.mail_error is None and retried.files == run.files
    finance = [m for m in sent_mails(recorded) if m.to == recorded.settings.finance_recipients]
    assert len(finance) == 1 and len(recorded.earnings.earnings_paid_in("2026-11")) == 3
    # And the managers' payslips, held up by the failure, went out with the retry, once each
    assert sorted(m.subject.split(" de ")[0] for m in sent_mails(recorded) if m not in finance) != []
    assert len(sent_mails(recorded)) == 3


def test_payslips_are_in_the_group_language_and_escape_names(recorded: Ports) -> None:
    run = run_pay_period(recorded, NOVEMBER)
    cusco = recorded.artifacts.get(next(k for k in run.payslips if "pe-cusco" in k)).decode()
    thai = recorded.artifacts.get(next(k for k in run.payslips if "th-chiangmai" in k)).decode()
    assert "Boleta de pago" in cusco and cusco.count('class="slip"') == 2
    assert "สลิปเงินเดือน" in thai and "Malee" in thai
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in cusco and '"http://x"' not in cusco
    assert "PEN 48.91" in cusco  # Luz's top-up on its own line


def test_a_payslip_is_an_a4_page_naming_products_with_a_short_reference_and_a_line_to_sign(recorded: Ports) -> None:
    run = run_pay_period(recorded, NOVEMBER)
    cusco = recorded.artifacts.get(next(k for k in run.payslips if "pe-cusco" in k)).decode()
    assert "@page { size: A4;" in cusco
    # her product, not a SKU (the factories name it in English only: marked as untranslated)
    assert "<td>Alpaca knit scarf [EN]</td>" in cusco and "KNT-SCARF-ALP" not in cusco
    assert "<td>A</td>" in cusco and "ord-a" not in cusco  # the order's short reference
    assert cusco.count("Recibí conforme (firma)") == cusco.count('class="slip"') == 2
    assert cusco.count("Forma de pago: en efectivo, por la coordinadora") == 2  # the factory's makers take cash


def test_a_payslip_names_the_product_in_her_group_s_language(ports: Ports) -> None:
    # Given the scarf named in Spanish and Thai in the catalog
    scarf = make_product("KNT-SCARF-ALP", names={"es": "Bufanda de alpaca", "th": "ผ้าพันคออัลปากา"})
    ports.reference.put_reference(make_reference(products=[scarf, make_product("EMB-CUSHION")]))
    ports.earnings.record_earnings(_lines())
    # When November is paid
    run = run_pay_period(ports, NOVEMBER)
    slips = {k: ports.artifacts.get(k).decode() for k in run.payslips}
    # Then each group's slips name it in the group's language
    cusco = next(v for k, v in slips.items() if "pe-cusco" in k)
    chiang_mai = next(v for k, v in slips.items() if CHIANG_MAI in k)
    assert "<td>Bufanda de alpaca</td>" in cusco and "[EN]" not in cusco
    assert "<td>ผ้าพันคออัลปากา</td>" in chiang_mai


def test_a_line_is_marked_paid_only_while_unpaid(recorded: Ports) -> None:
    # Given the due lines, as two concurrent runs would both read them
    due = recorded.earnings.unpaid_earnings()[:2]
    # When both try to mark them paid
    first = recorded.earnings.mark_paid(due, "2026-11")
    second = recorded.earnings.mark_paid(due, "2026-12")
    # Then only the first succeeds
    assert len(first) == 2 and second == []
    assert {line.paid_in for line in recorded.earnings.earnings_paid_in("2026-11")} == {"2026-11"}


def test_a_manager_whose_payslips_mail_fails_gets_it_on_the_retry_and_finance_is_not_held_up(
    recorded: Ports,
) -> None:
    # Given SES refuses mail to the Chiang Mai manager, once
    chiang_mai = str(make_reference().group(CHIANG_MAI).manager_email)
    refuse_first_mail(recorded, lambda m: m.to == [chiang_mai], ConnectionError("SES throttled"))
    # When the run happens, it fails after finance was mailed (so the invocation is retried)
    with pytest.raises(ConnectionError):
        run_pay_period(recorded, NOVEMBER)
    assert recorded.earnings.start_pay_run("2026-11").mail_sent
    # And the retry sends what is missing, nothing twice
    run_pay_period(recorded, NOVEMBER)
    recipients = sorted(m.to[0] for m in sent_mails(recorded))
    assert len(recipients) == len(set(recipients)) == 3 and chiang_mai in recipients
