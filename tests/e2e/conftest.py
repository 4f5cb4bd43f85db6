"""The local cloud as `make serve` runs it, shared by the e2e tests of this folder."""

import email
import email.policy
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest

from local.cloud import forget_process_caches, free_port
from local.demo import client_options
from telar.adapters.dynamo import DynamoStores, dynamo_stores
from tests.conftest import ROOT
from tests.waiting import read_outputs, wait_for


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`python -m local.serve` in its own process, on free ports, writing into a temporary folder."""
    out = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "TELAR_API_PORT": str(free_port()),
        "TELAR_AWS_PORT": str(free_port()),
        "TELAR_SMTP_PORT": str(free_port()),
        "TELAR_OUT_DIR": str(out),
        "TELAR_LOCAL_VISIBILITY_TIMEOUT": "2",  # an early upload (QcNotYetAwaited) is retried in seconds
    }
    process = subprocess.Popen([sys.executable, "-m", "local.serve"], cwd=ROOT, env=env)
    outputs = read_outputs(out / "outputs.json", process)
    yield {**outputs, "out": out}
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0, "local.serve did not stop cleanly on Ctrl-C"


def operator_env(cloud: dict[str, Any]) -> dict[str, str]:
    """An operator's AWS settings aimed at a local cloud (its credentials are not real ones)."""
    options = client_options(cloud)
    return {
        "AWS_ENDPOINT_URL": options["endpoint_url"],
        "AWS_DEFAULT_REGION": options["region_name"],
        "AWS_ACCESS_KEY_ID": options["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": options["aws_secret_access_key"],
    }


@pytest.fixture
def served_stores(served: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoStores]:
    """This process as an operator of the served cloud, and that cloud's table read as the stages read it."""
    for name, value in operator_env(served).items():
        monkeypatch.setenv(name, value)
    forget_process_caches()  # clients cached by earlier tests point at another endpoint
    yield dynamo_stores(served["resources"]["TelarTable"])
    forget_process_caches()


def mails(outbox: Path, subject: str = "") -> list[EmailMessage]:
    """The outbox's e-mails, oldest first, whose subject (unfolded) contains ``subject``."""
    files = sorted(outbox.glob("*.eml"))
    found = (cast(EmailMessage, email.message_from_bytes(p.read_bytes(), policy=email.policy.default)) for p in files)
    return [m for m in found if subject in (m["Subject"] or "")]


def wait_for_mails(outbox: Path, subject: str, seconds: float = 30) -> list[EmailMessage]:
    """``mails(outbox, subject)`` once there is at least one (the outbox copies a send within tenths of a second)."""
    return list(wait_for(lambda: mails(outbox, subject), timeout=seconds, what=f"an e-mail {subject!r} in the outbox"))
