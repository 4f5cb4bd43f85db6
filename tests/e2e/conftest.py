"""The local cloud as `make serve` runs it, shared by the e2e tests of this folder."""

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest

from local.cloud import free_port
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`python -m local.serve` in its own process, on free ports, writing into a temporary folder."""
    out = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "TELAR_API_PORT": str(free_port()),
        "TELAR_AWS_PORT": str(free_port()),
        "TELAR_OUT_DIR": str(out),
        "TELAR_LOCAL_VISIBILITY_TIMEOUT": "2",  # an early upload (QcNotYetAwaited) is retried in seconds
    }
    process = subprocess.Popen([sys.executable, "-m", "local.serve"], cwd=ROOT, env=env)
    outputs_file = out / "outputs.json"
    deadline = time.monotonic() + 60
    while not outputs_file.exists():
        assert process.poll() is None, "local.serve exited before it was ready"
        assert time.monotonic() < deadline, "local.serve did not write outputs.json within 60 s"
        time.sleep(0.1)
    outputs = json.loads(outputs_file.read_text())
    yield {**outputs, "out": out}
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0, "local.serve did not stop cleanly on Ctrl-C"


def mails(outbox: Path, subject: str = "") -> list[EmailMessage]:
    """The outbox's e-mails, oldest first, whose subject (unfolded) contains ``subject``."""
    files = sorted(outbox.glob("*.eml"))
    found = (cast(EmailMessage, email.message_from_bytes(p.read_bytes(), policy=email.policy.default)) for p in files)
    return [m for m in found if subject in (m["Subject"] or "")]


def wait_for_mails(outbox: Path, subject: str, seconds: float = 30) -> list[EmailMessage]:
    """``mails(outbox, subject)`` once there is at least one (the outbox copies a send within tenths of a second)."""
    deadline = time.monotonic() + seconds
    while not (found := mails(outbox, subject)):
        assert time.monotonic() < deadline, f"no e-mail {subject!r} in the outbox"
        time.sleep(0.1)
    return found
