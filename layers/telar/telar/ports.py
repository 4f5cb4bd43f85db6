"""The adapters a use case needs, as Protocols; built once per process from the settings.

Stages see only these Protocols: DynamoDB, S3, Step Functions and SES stand behind them in production
(telar/adapters/), in-memory fakes in unit tests (tests/fakes.py). One contract suite runs against both
stores (tests/integration/test_store_contract.py), so the fakes behave as the table does.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from telar.adapters.aws import client
from telar.adapters.dynamo import dynamo_stores
from telar.adapters.functions import FunctionInvoker
from telar.adapters.identity import CognitoIdentity, PasswordChallenge
from telar.adapters.mail import Mailer, OutgoingMail
from telar.adapters.storage import Storage, StoredObject
from telar.adapters.webhooks import WebhookQueue, WebhookSecrets
from telar.adapters.workflow import Workflow
from telar.capacity import CapacityLedger, PlanWrite
from telar.models import (
    Assignment,
    Buyer,
    EarningLine,
    Order,
    PayRun,
    QcSheet,
    ReferenceBook,
    ReferenceData,
)
from telar.models.api_key import ApiKey
from telar.reference_guards import OpenWork
from telar.settings import Settings, get_console_settings, get_settings
from telar.webhooks import WebhookEvent

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer


class OrderStore(Protocol):
    def create_order(self, order: Order, reference_in_force: int | None = None) -> None: ...
    def clear_start_pending(self, order: Order) -> None: ...
    def start_pending_orders(self, before: datetime) -> Iterator[Order]: ...
    def record_timeline(
        self, order_id: str, stage: str, group_id: str | None = None, detail: str | None = None, rework_round: int = 0
    ) -> None: ...
    def get_order(self, order_id: str) -> Order | None: ...
    def list_orders(self, buyer_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]: ...
    def update_order(self, order_id: str, **fields: Any) -> None: ...
    def buyers_with_open_orders(self, buyer_ids: Iterable[str]) -> set[str]: ...


class AssignmentStore(Protocol):
    """Assignments and the capacity ledgers their writes book or give back, in the same transaction."""

    def create_assignments(self, plan: PlanWrite) -> None: ...
    def capacity_ledgers(self, group_ids: Iterable[str]) -> dict[str, CapacityLedger]: ...
    def create_rework(self, rework: Assignment, ledger: CapacityLedger | None = None) -> None: ...
    def cancel_assignment(self, assignment_id: str, ledger: CapacityLedger | None = None) -> None: ...
    def open_work(self) -> OpenWork: ...
    def flag_assignment(self, assignment_id: str, reason: str) -> None: ...
    def get_assignment(self, assignment_id: str) -> Assignment | None: ...
    def assignments_of(self, order_id: str) -> list[Assignment]: ...
    def await_qc(self, assignment_id: str, task_token: str) -> None: ...
    def awaiting_qc(self) -> Iterator[Assignment]: ...
    def stop_awaiting(self, assignment_id: str) -> None: ...
    def record_qc(self, sheet: QcSheet, upload_ref: str, ledger: CapacityLedger | None = None) -> None: ...


class ReferenceStore(Protocol):
    def put_reference(self, ref: ReferenceData, buyers: Iterable[Buyer] = (), source: str = "") -> int: ...
    def reference_applied_from(self, source: str) -> int | None: ...
    def reference_version(self) -> int | None: ...
    def reference_source(self, version: int) -> str | None: ...
    def load_reference(self, version: int | None = None) -> ReferenceData: ...
    def load_reference_buyers(self, version: int | None = None) -> list[Buyer]: ...
    def load_reference_book(self, version: int | None = None) -> ReferenceBook: ...


class EarningStore(Protocol):
    """Earning lines and pay runs."""

    def record_earnings(self, lines: Iterable[EarningLine]) -> int: ...
    def earnings_of(self, order_id: str) -> list[EarningLine]: ...
    def own_earnings(self, order_id: str, source: str) -> str: ...
    def unpaid_earnings(self) -> list[EarningLine]: ...
    def mark_paid(self, lines: Iterable[EarningLine], period: str) -> list[EarningLine]: ...
    def earnings_paid_in(self, period: str) -> list[EarningLine]: ...
    def start_pay_run(self, period: str) -> PayRun: ...
    def pay_run(self, period: str) -> PayRun | None: ...
    def save_pay_run(self, run: PayRun) -> None: ...


class AuthStore(Protocol):
    """Buyers' live profiles and their API keys."""

    def put_buyer(self, buyer: Buyer, api_key_hash: str) -> None: ...
    def put_buyer_profile(self, buyer: Buyer) -> None: ...
    def get_buyer(self, buyer_id: str) -> Buyer | None: ...
    def put_api_key(self, buyer_id: str, api_key_hash: str) -> ApiKey: ...
    def api_keys_of(self, buyer_id: str) -> list[ApiKey]: ...
    def revoke_api_key(self, api_key_hash: str) -> None: ...
    def buyer_for_key(self, api_key_hash: str) -> Buyer | None: ...


class ClaimStore(Protocol):
    """Leases on side effects that must happen once (an e-mail)."""

    def claim(self, name: str, lease: timedelta = ...) -> bool: ...
    def complete(self, name: str) -> None: ...
    def release(self, name: str) -> None: ...
    def is_done(self, name: str) -> bool: ...


class ObjectStore(Protocol):
    def put(self, key: str, body: bytes, content_type: str, metadata: dict[str, str] | None = None) -> StoredObject: ...
    def get(self, key: str, version_id: str | None = None, *, first_bytes: int | None = None) -> bytes: ...
    def get_if_exists(self, key: str) -> bytes | None: ...
    def head(self, key: str) -> StoredObject | None: ...
    def describe(self, key: str, version_id: str | None = None) -> tuple[int, dict[str, str]]: ...
    def link(self, key: str, seconds: int) -> str: ...


class WorkflowEngine(Protocol):
    def start_order(self, order_id: str) -> bool: ...
    def stop_order(self, order_id: str, cause: str) -> bool: ...
    def is_running(self, order_id: str) -> bool: ...
    def ended_abnormally(self) -> set[str]: ...
    def resume(self, task_token: str, output: dict[str, Any]) -> bool: ...
    def heartbeat(self, task_token: str) -> bool: ...


class MailSender(Protocol):
    def send(self, mail: OutgoingMail) -> str: ...


class WebhookOutbox(Protocol):
    """Buyers' webhook events on their way to the delivery function (at least once; it de-duplicates)."""

    def publish(self, event: WebhookEvent) -> None: ...
    def retry_later(self, receipt_handle: str, seconds: int) -> None: ...


class SecretStore(Protocol):
    """Buyers' webhook secrets: kept retrievable (they sign), encrypted, readable only where needed."""

    def create(self, buyer_id: str, secret: str) -> bool: ...
    def replace(self, buyer_id: str, secret: str) -> None: ...
    def get(self, buyer_id: str) -> str | None: ...
    def delete(self, buyer_id: str) -> None: ...


@dataclass(frozen=True)
class Ports:
    settings: Settings
    orders: OrderStore
    assignments: AssignmentStore
    reference: ReferenceStore
    earnings: EarningStore
    auth: AuthStore
    claims: ClaimStore
    uploads: ObjectStore
    artifacts: ObjectStore
    workflow: WorkflowEngine
    mailer: MailSender
    webhooks: WebhookOutbox
    webhook_secrets: SecretStore


@cache
def idempotency_store(table_name: str) -> "DynamoDBPersistenceLayer":
    """Powertools' idempotency records in ``table_name``, on the adapters' DynamoDB client: powertools would
    otherwise start a boto3 session of its own and load the SDK's endpoint and service data again, on the first
    POST of every environment (~0.25 s of CPU here)."""
    # imported here: only the intake keeps idempotency records, and every handler imports this module
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client("dynamodb"))


@cache
def default_ports() -> Ports:
    s = get_settings()
    return Ports(
        settings=s,
        **dynamo_stores(s.table_name)._asdict(),
        uploads=Storage(s.uploads_bucket),
        artifacts=Storage(s.artifacts_bucket),
        workflow=Workflow(s.state_machine_arn),
        mailer=Mailer(s.sender_email),
        webhooks=WebhookQueue(s.webhook_queue_url),
        webhook_secrets=WebhookSecrets(s.webhook_secrets_path),
    )


# ---------------------------------------------------------------- the staff console (telar.console)


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
