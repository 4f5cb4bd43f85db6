"""E-mails sent at most once, whatever the number of deliveries of the stage that sends them."""

from typing import Any

from telar.adapters.mail import XLSX, Attachment
from telar.errors import SheetProblem
from telar.ports import Ports
from telar.sheets.error_report import annotate_problems


def send_once(ports: Ports, name: str, **message: Any) -> None:
    """Send an e-mail at most once per ``name``; a failed send releases the claim so a retry sends it, and a
    claim whose holder died before completing it expires (see Repository.claim), so a later retry sends it."""
    if not ports.repo.claim(f"mail#{name}"):
        return
    try:
        ports.mailer.send(**message)
    except Exception:
        ports.repo.release(f"mail#{name}")
        raise
    ports.repo.complete(f"mail#{name}")


def keep_error_report(
    ports: Ports, stem: str, intro: str, upload: bytes, problems: list[SheetProblem]
) -> tuple[str, tuple[Attachment, ...]]:
    """Save a refused upload's report beside it in the uploads bucket: ``<stem>.txt`` (every problem) and, where
    the upload opens, ``<stem>.xlsx`` with the bad cells marked. Returns the text and the attachments to mail."""
    report = "\n".join([intro, "", *(f"- {p}" for p in problems)]) + "\n"
    ports.uploads.put(f"{stem}.txt", report.encode(), "text/plain; charset=utf-8")
    if annotated := annotate_problems(upload, problems):
        ports.uploads.put(f"{stem}.xlsx", annotated, XLSX)
        return report, (Attachment(f"{stem.rsplit('/', 1)[-1]}.xlsx", annotated, XLSX),)
    return report, ()
