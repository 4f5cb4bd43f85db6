"""The local cloud's outbox against moto's SES: each e-mail an .eml file, its HTML alternative beside it."""

import email
import email.policy
from pathlib import Path

from moto.core import DEFAULT_ACCOUNT_ID

from local.outbox import Outbox
from telar.adapters.mail import OutgoingMail
from telar.ports import Ports
from telar.rendering import render_mail
from tests.factories import CHIANG_MAI, make_assignment, make_group


def test_a_mail_lands_as_eml_with_its_text_and_its_html_beside_it(aws: Ports, tmp_path: Path) -> None:
    # Given an outbox on moto's SES, and a Thai manager's papers sent with the HTML alternative, and one without
    outbox = Outbox(tmp_path, account_id=DEFAULT_ACCOUNT_ID, region="us-east-1")
    group = make_group(CHIANG_MAI)
    mail = render_mail("papers", "th", group=group, assignment=make_assignment(), buyer_reference="PO-1")
    aws.mailer.send(OutgoingMail([str(group.manager_email)], mail.subject, mail.text, mail.html))
    aws.mailer.send(OutgoingMail(["finance@example.org"], "Telar: text only", "Hello.\n"))
    # When the outbox collects them
    papers, plain = outbox.flush()
    # Then each is an .eml a mail program reads, with its text as sent
    message = email.message_from_bytes(papers.read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",))
    assert text is not None and text.get_content().splitlines() == mail.text.splitlines()
    # and the HTML of the one that has it is beside it, to open in a browser
    assert papers.with_suffix(".html").read_text(encoding="utf-8").splitlines() == mail.html.splitlines()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([papers.name, papers.stem + ".html", plain.name])
