"""E-mails sent at most once, whatever the number of deliveries of the stage that sends them."""

from typing import Any

from telar.ports import Ports


def send_once(ports: Ports, name: str, **message: Any) -> None:
    """Send an e-mail at most once per ``name``; a failed send releases the claim so a retry sends it."""
    if not ports.repo.claim(f"mail#{name}"):
        return
    try:
        ports.mailer.send(**message)
    except Exception:
        ports.repo.release(f"mail#{name}")
        raise
