"""The console's adapters beside the pipeline's (telar.ports): staff sign-in, upload forms, the pay run on demand.

Apart from telar.ports so that the other functions do not load the console's adapters at init (issue 18).
"""

from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from telar.adapters.functions import FunctionInvoker
from telar.adapters.identity import CognitoIdentity, PasswordChallenge
from telar.adapters.storage import Storage
from telar.ports import Ports, default_ports
from telar.settings import get_console_settings


class IdentityProvider(Protocol):
    """Staff sign-in (Cognito's user pool): an ID token for good credentials, and the keys that sign tokens."""

    client_id: str

    @property
    def issuer(self) -> str: ...
    def sign_in(self, username: str, password: str) -> str | PasswordChallenge | None: ...
    def set_new_password(self, username: str, challenge: str, new_password: str) -> str | None: ...
    def signing_keys(self, refresh: bool = False) -> dict[str, Any]: ...


class UploadForms(Protocol):
    """Presigned POSTs: a browser uploads one file of one type and size to one key, then is sent back."""

    def upload_form(
        self, key: str, content_type: str, max_bytes: int, redirect: str, seconds: int
    ) -> tuple[str, dict[str, str]]: ...


class PayRunner(Protocol):
    """Starts the pay run of a period on demand: the same function the monthly schedule runs, invoked async."""

    def run_pay_period(self, period: str) -> None: ...


@dataclass(frozen=True)
class ConsolePorts:
    ports: Ports
    identity: IdentityProvider
    upload_forms: UploadForms  # into the uploads bucket
    pay_runner: PayRunner


@cache
def default_console_ports() -> ConsolePorts:
    console = get_console_settings()
    ports = default_ports()
    return ConsolePorts(
        ports=ports,
        identity=CognitoIdentity(console.staff_user_pool_id, console.staff_user_pool_client_id),
        upload_forms=Storage(ports.settings.uploads_bucket),
        pay_runner=FunctionInvoker(console.pay_period_function),
    )
