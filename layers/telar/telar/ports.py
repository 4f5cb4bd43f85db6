"""The adapters a use case needs, built once per process from the settings (fakes in unit tests)."""

from dataclasses import dataclass
from functools import cache

from telar.adapters.mail import Mailer
from telar.adapters.repository import Repository
from telar.adapters.storage import Storage
from telar.adapters.workflow import Workflow
from telar.settings import Settings, get_settings


@dataclass(frozen=True)
class Ports:
    settings: Settings
    repo: Repository
    uploads: Storage
    artifacts: Storage
    workflow: Workflow
    mailer: Mailer


@cache
def default_ports() -> Ports:
    s = get_settings()
    return Ports(
        settings=s,
        repo=Repository(s.table_name),
        uploads=Storage(s.uploads_bucket),
        artifacts=Storage(s.artifacts_bucket),
        workflow=Workflow(s.state_machine_arn),
        mailer=Mailer(s.sender_email),
    )
