"""In-memory ports for stage unit tests: the store's Protocols (telar/ports.py) without DynamoDB, S3, SES or
Step Functions.

Each store keeps the conditions of the table's writes (a new item only if absent, a ledger only at the version
it was computed from, a status only from the states allowed) and raises the same ConditionFailed; a transaction
checks every condition before it changes anything. Orders and assignments are kept as the JSON the table holds,
so a model round-trips as it does there, and lists come back in the table's key order.
tests/integration/test_store_contract.py runs the same tests on these and on DynamoDB (moto).
"""

import base64
import functools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from joserfc import jwt
from joserfc.jwk import RSAKey

from telar.adapters.dynamo import keys
from telar.adapters.dynamo.claims import CLAIM_LEASE
from telar.adapters.identity import PasswordChallenge
from telar.adapters.mail import Attachment, Mailer, OutgoingMail
from telar.adapters.storage import StoredObject
from telar.capacity import CapacityLedger, PlanWrite
from telar.console.ports import ConsolePorts
from telar.errors import ActionInProgress, ConditionFailed, ReferenceChanged
from telar.models import (
    ENDED,
    Assignment,
    AssignmentStatus,
    Buyer,
    EarningLine,
    Order,
    OrderStatus,
    PayRun,
    QcSheet,
    ReferenceBook,
    ReferenceData,
    TimelineEntry,
)
from telar.models.api_key import ApiKey
from telar.ports import Ports
from telar.reference_guards import OpenWork
from telar.settings import Settings
from telar.webhooks import WebhookEvent

# The moto resources of tests/conftest.py's ``aws`` have these names; the fakes use the same settings.
TEST_SETTINGS = Settings(
    table_name="telar-test",
    uploads_bucket="telar-uploads",
    artifacts_bucket="telar-artifacts",
    sender_email="telar@example.org",
    finance_emails="finance@example.org, accounts@example.org",
)

_STILL_OPEN = (AssignmentStatus.PLANNED.value, AssignmentStatus.AWAITING_QC.value)


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise ConditionFailed(what)


@dataclass
class MemoryTable:
    """What the stores share, as one table does: an assignment write also sets its order, and so on."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    start_pending: dict[str, str] = field(default_factory=dict)  # sk -> order id
    assignments: dict[str, dict[str, Any]] = field(default_factory=dict)
    awaiting_qc: set[str] = field(default_factory=set)
    ledgers: dict[str, CapacityLedger] = field(default_factory=dict)
    reference_in_force: int | None = None  # MemoryReference's, which an order may be stored on the condition of


class MemoryOrders:
    def __init__(self, table: MemoryTable):
        self.table = table

    def create_order(self, order: Order, reference_in_force: int | None = None) -> None:
        if reference_in_force is not None and reference_in_force != self.table.reference_in_force:
            raise ReferenceChanged(f"reference version {reference_in_force} is no longer in force")
        _require(order.order_id not in self.table.orders, f"order {order.order_id} exists")
        self.table.orders[order.order_id] = order.model_dump(mode="json")
        self.table.start_pending[keys.start_pending(order.created_at, order.order_id)["sk"]] = order.order_id

    def clear_start_pending(self, order: Order) -> None:
        self.table.start_pending.pop(keys.start_pending(order.created_at, order.order_id)["sk"], None)

    def start_pending_orders(self, before: datetime) -> Iterator[Order]:
        for sk in sorted(self.table.start_pending):
            if sk < before.isoformat() and (order := self.get_order(self.table.start_pending[sk])) is not None:
                yield order

    def record_timeline(
        self, order_id: str, stage: str, group_id: str | None = None, detail: str | None = None, rework_round: int = 0
    ) -> None:
        entry = TimelineEntry(
            stage=stage, at=datetime.now(UTC), group_id=group_id, detail=detail, rework_round=rework_round
        )
        stored = self.table.orders.get(order_id)
        if stored is not None and "timeline" in stored and entry.key not in stored["timeline"]:
            stored["timeline"][entry.key] = entry.model_dump(mode="json")
            stored["updated_at"] = entry.at.isoformat()

    def get_order(self, order_id: str) -> Order | None:
        stored = self.table.orders.get(order_id)
        return Order.model_validate(stored) if stored is not None else None

    def list_orders(self, buyer_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        newest_first = sorted(
            (keys.order_index(o["buyer_id"], Order.model_validate(o).created_at, o["order_id"])["gsi1sk"], o)
            for o in self.table.orders.values()
            if o["buyer_id"] == buyer_id
        )[::-1]
        after = _after(cursor, buyer_id) if cursor else None
        rest = [(sk, o) for sk, o in newest_first if after is None or sk < after]
        page = rest[:limit]
        more = len(rest) > limit  # DynamoDB may also hand out a cursor to an empty last page: callers accept both
        next_cursor = _cursor(buyer_id, page[-1][0]) if more else None
        return [Order.model_validate(o) for _, o in page], next_cursor

    def update_order(self, order_id: str, **fields: Any) -> None:
        _require(order_id in self.table.orders, f"no order {order_id}")
        self.table.orders[order_id].update(fields, updated_at=datetime.now(UTC).isoformat())

    def buyers_with_open_orders(self, buyer_ids: Iterable[str]) -> set[str]:
        ended = {status.value for status in ENDED}
        return {o["buyer_id"] for o in self.table.orders.values() if o["status"] not in ended} & set(buyer_ids)


def _cursor(buyer_id: str, after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"buyer": buyer_id, "after": after}).encode()).decode()


def _after(cursor: str, buyer_id: str) -> str:
    try:
        given = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        given = None
    if not (isinstance(given, dict) and given.get("buyer") == buyer_id and isinstance(given.get("after"), str)):
        raise ValueError("not a cursor this API gave out")
    return given["after"]


class MemoryAssignments:
    def __init__(self, table: MemoryTable):
        self.table = table

    def _check_ledger(self, ledger: CapacityLedger) -> None:
        stored = self.table.ledgers.get(ledger.group_id)
        expected = None if ledger.version == 1 else ledger.version - 1
        _require((stored.version if stored else None) == expected, f"ledger of {ledger.group_id} changed")

    def create_assignments(self, plan: PlanWrite) -> None:
        order_id, assignments, ledgers = plan.order_id, plan.assignments, plan.ledgers
        for a in assignments:
            _require(a.assignment_id not in self.table.assignments, f"assignment {a.assignment_id} exists")
        for ledger in ledgers:
            self._check_ledger(ledger)
        order = self.table.orders.get(order_id)
        _require(order is not None and order.get("assignment_ids") == [], f"order {order_id} is planned already")
        _require(order is not None and order["status"] != OrderStatus.CANCELLED.value, f"order {order_id} is cancelled")
        assert order is not None
        self.table.assignments.update({a.assignment_id: a.model_dump(mode="json") for a in assignments})
        self.table.awaiting_qc.update(a.assignment_id for a in assignments)
        self.table.ledgers.update({ledger.group_id: ledger for ledger in ledgers})
        order.update(
            plan.order_fields,
            assignment_ids=[a.assignment_id for a in assignments],
            status=OrderStatus.IN_PRODUCTION.value,
            updated_at=datetime.now(UTC).isoformat(),
        )

    def capacity_ledgers(self, group_ids: Iterable[str]) -> dict[str, CapacityLedger]:
        return {g: self.table.ledgers.get(g) or CapacityLedger(group_id=g) for g in group_ids}

    def create_rework(self, rework: Assignment, ledger: CapacityLedger | None = None) -> None:
        _require(rework.assignment_id not in self.table.assignments, f"round {rework.assignment_id} exists")
        self._write(ledger, rework.assignment_id, rework.model_dump(mode="json"))
        self.table.awaiting_qc.add(rework.assignment_id)

    def cancel_assignment(self, assignment_id: str, ledger: CapacityLedger | None = None) -> None:
        stored = self.table.assignments.get(assignment_id)
        _require(stored is not None and stored["status"] in _STILL_OPEN, f"{assignment_id} is not open")
        self._write(ledger, assignment_id, {**(stored or {}), "status": AssignmentStatus.CANCELLED.value})
        self.table.awaiting_qc.discard(assignment_id)

    def _write(self, ledger: CapacityLedger | None, assignment_id: str, stored: dict[str, Any]) -> None:
        """The ledger's condition is checked before anything changes (a transaction)."""
        if ledger is not None:
            self._check_ledger(ledger)
            self.table.ledgers[ledger.group_id] = ledger
        self.table.assignments[assignment_id] = stored

    def open_work(self) -> OpenWork:
        listed = [self.get_assignment(a) for a in sorted(self.table.awaiting_qc)]
        still = [a for a in listed if a is not None and a.status in _STILL_OPEN]
        return OpenWork(frozenset(a.group_id for a in still), frozenset(s for a in still for s in a.skus))

    def flag_assignment(self, assignment_id: str, reason: str) -> None:
        # A KeyError for an assignment nobody stored (the table would write a bare item): stages flag what they read
        self.table.assignments[assignment_id]["attention"] = reason

    def get_assignment(self, assignment_id: str) -> Assignment | None:
        stored = self.table.assignments.get(assignment_id)
        return Assignment.model_validate(stored) if stored is not None else None

    def assignments_of(self, order_id: str) -> list[Assignment]:
        return [
            Assignment.model_validate(a) for _, a in sorted(self.table.assignments.items()) if a["order_id"] == order_id
        ]

    def await_qc(self, assignment_id: str, task_token: str) -> None:
        stored = self.table.assignments.get(assignment_id)
        _require(stored is not None and stored["status"] in _STILL_OPEN, f"{assignment_id} is not waiting")
        assert stored is not None
        stored.update(
            task_token=task_token,
            status=AssignmentStatus.AWAITING_QC.value,
            awaiting_since=stored.get("awaiting_since") or datetime.now(UTC).isoformat(),
        )
        self.table.awaiting_qc.add(assignment_id)

    def awaiting_qc(self) -> Iterator[Assignment]:
        for assignment_id in sorted(self.table.awaiting_qc):
            a = self.get_assignment(assignment_id)
            if a is not None and a.status == AssignmentStatus.AWAITING_QC:
                yield a

    def stop_awaiting(self, assignment_id: str) -> None:
        self.table.awaiting_qc.discard(assignment_id)

    def record_qc(self, sheet: QcSheet, upload_ref: str, ledger: CapacityLedger | None = None) -> None:
        stored = self.table.assignments.get(sheet.assignment_id)
        waiting = AssignmentStatus.AWAITING_QC.value
        _require(stored is not None and stored["status"] == waiting, f"{sheet.assignment_id} is not waiting")
        recorded = {
            "qc_rows": [r.model_dump(mode="json") for r in sheet.rows],
            "inspected_by": sheet.inspected_by,
            "inspected_on": sheet.inspected_on.isoformat(),
            "qc_upload": upload_ref,
            "status": AssignmentStatus.QC_DONE.value,
        }
        self._write(ledger, sheet.assignment_id, {**(stored or {}), **recorded})
        self.table.awaiting_qc.discard(sheet.assignment_id)


@dataclass
class _Version:
    book: ReferenceBook
    source: str


class MemoryReference:
    def __init__(self, table: MemoryTable) -> None:
        self._table = table
        self._versions: dict[int, _Version] = {}
        self._applied: dict[str, int] = {}

    def put_reference(self, ref: ReferenceData, buyers: Iterable[Buyer] = (), source: str = "") -> int:
        version = (self._table.reference_in_force or 0) + 1
        while version in self._versions:  # a crashed import's number stays taken
            version += 1
        # Read back in the table's key order (sk within the version's partition), as the store returns them
        self._versions[version] = _Version(
            ReferenceBook(
                reference=ReferenceData(
                    groups=tuple(sorted(ref.groups, key=lambda g: keys.group(0, g.group_id)["sk"])),
                    makers=tuple(sorted(ref.makers, key=lambda m: keys.maker(0, m.worker_id)["sk"])),
                    products=tuple(sorted(ref.products, key=lambda p: keys.product(0, p.sku)["sk"])),
                    wage_rules=tuple(
                        sorted(
                            ref.wage_rules,
                            key=lambda w: keys.wage_rule(0, w.country, w.region, w.effective_from)["sk"],
                        )
                    ),
                    holidays=tuple(sorted(ref.holidays, key=lambda h: keys.public_holiday(0, h.country, h.day)["sk"])),
                    defects=tuple(sorted(ref.defects, key=lambda d: keys.defect_code(0, d.code)["sk"])),
                    option_words=tuple(sorted(ref.option_words, key=lambda w: keys.option_word(0, w.word)["sk"])),
                ),
                buyers=tuple(sorted(buyers, key=lambda b: b.buyer_id)),
            ),
            source,
        )
        self._table.reference_in_force = version
        if source:
            self._applied[source] = version
        return version

    def reference_applied_from(self, source: str) -> int | None:
        return self._applied.get(source)

    def reference_version(self) -> int | None:
        return self._table.reference_in_force

    def reference_source(self, version: int) -> str | None:
        stored = self._versions.get(version)
        return stored.source if stored else None

    def load_reference(self, version: int | None = None) -> ReferenceData:
        return self.load_reference_book(version).reference

    def load_reference_buyers(self, version: int | None = None) -> list[Buyer]:
        return list(self.load_reference_book(version).buyers)

    def load_reference_book(self, version: int | None = None) -> ReferenceBook:
        stored = self._versions.get(version if version is not None else self._table.reference_in_force or 0)
        return (
            stored.book
            if stored
            else ReferenceBook(reference=ReferenceData(groups=(), makers=(), products=(), wage_rules=()), buyers=())
        )


class MemoryEarnings:
    def __init__(self) -> None:
        self._lines: dict[str, EarningLine] = {}  # by pk|sk
        self._paid: dict[str, str] = {}  # pk|sk -> period
        self._runs: dict[str, PayRun] = {}
        self._owners: dict[str, str] = {}  # order_id -> the upload whose lines its earnings are

    @staticmethod
    def _key(line: EarningLine) -> str:
        key = keys.earning_line(line.order_id, line.assignment_id, line.worker_id, line.sku)
        return f"{key['pk']}|{key['sk']}"

    @staticmethod
    def _index_sk(line: EarningLine) -> str:
        return keys.earning_index(line.group_id, line.order_id, line.assignment_id, line.worker_id, line.sku)["gsi1sk"]

    def record_earnings(self, lines: Iterable[EarningLine]) -> int:
        new = 0
        for line in lines:
            if self._key(line) not in self._lines:
                self._lines[self._key(line)] = line
                new += 1
        return new

    def own_earnings(self, order_id: str, source: str) -> str:
        return self._owners.setdefault(order_id, source)

    def earnings_of(self, order_id: str) -> list[EarningLine]:
        return sorted((x for x in self._lines.values() if x.order_id == order_id), key=self._key)

    def _in(self, period: str | None) -> list[EarningLine]:
        return sorted((x for k, x in self._lines.items() if self._paid.get(k) == period), key=self._index_sk)

    def unpaid_earnings(self) -> list[EarningLine]:
        return self._in(None)

    def mark_paid(self, lines: Iterable[EarningLine], period: str) -> list[EarningLine]:
        moved = []
        for line in lines:
            k = self._key(line)
            if k in self._lines and k not in self._paid:
                self._paid[k] = period
                self._lines[k] = self._lines[k].model_copy(update={"paid_in": period})
                moved.append(line.model_copy(update={"paid_in": period}))
        return moved

    def earnings_paid_in(self, period: str) -> list[EarningLine]:
        return self._in(period)

    def start_pay_run(self, period: str) -> PayRun:
        return self._runs.setdefault(period, PayRun(period=period, status="COLLECTING"))

    def pay_run(self, period: str) -> PayRun | None:
        return self._runs.get(period)

    def save_pay_run(self, run: PayRun) -> None:
        self._runs[run.period] = run


class MemoryAuth:
    def __init__(self) -> None:
        self._buyers: dict[str, Buyer] = {}
        self._keys: dict[str, ApiKey] = {}

    def put_buyer(self, buyer: Buyer, api_key_hash: str) -> None:
        self.put_buyer_profile(buyer)
        self.put_api_key(buyer.buyer_id, api_key_hash)

    def put_buyer_profile(self, buyer: Buyer) -> None:
        self._buyers[buyer.buyer_id] = buyer

    def get_buyer(self, buyer_id: str) -> Buyer | None:
        return self._buyers.get(buyer_id)

    def put_api_key(self, buyer_id: str, api_key_hash: str) -> ApiKey:
        key = ApiKey(key_hash=api_key_hash, buyer_id=buyer_id, issued_at=datetime.now(UTC))
        self._keys[api_key_hash] = key
        return key

    def api_keys_of(self, buyer_id: str) -> list[ApiKey]:
        mine = [k for k in self._keys.values() if k.buyer_id == buyer_id]
        return sorted(mine, key=lambda k: keys.api_key_index(buyer_id, k.issued_at, k.key_hash)["gsi1sk"], reverse=True)

    def revoke_api_key(self, api_key_hash: str) -> None:
        self._keys.pop(api_key_hash, None)

    def buyer_for_key(self, api_key_hash: str) -> Buyer | None:
        key = self._keys.get(api_key_hash)
        return self.get_buyer(key.buyer_id) if key else None


class MemoryClaims:
    def __init__(self) -> None:
        self._held_until: dict[str, datetime | None] = {}  # None: done

    def claim(self, name: str, lease: timedelta = CLAIM_LEASE) -> bool:
        now = datetime.now(UTC)
        if name in self._held_until:
            until = self._held_until[name]
            if until is None:
                return False
            if until >= now:
                raise ActionInProgress(f"{name} is claimed by another attempt until its lease runs out")
        self._held_until[name] = now + lease
        return True

    def complete(self, name: str) -> None:
        self._held_until[name] = None

    def release(self, name: str) -> None:
        self._held_until.pop(name, None)

    def is_done(self, name: str) -> bool:
        return name in self._held_until and self._held_until[name] is None


class MemoryWebhooks:
    """The webhook queue in memory: what was published, and the delays asked for failed messages."""

    def __init__(self) -> None:
        self.published: list[WebhookEvent] = []
        self.delays: dict[str, int] = {}  # receipt handle -> seconds

    def publish(self, event: WebhookEvent) -> None:
        self.published.append(event)

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        self.delays[receipt_handle] = seconds


class MemorySecrets:
    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}

    def create(self, buyer_id: str, secret: str) -> bool:
        if buyer_id in self.secrets:
            return False
        self.secrets[buyer_id] = secret
        return True

    def replace(self, buyer_id: str, secret: str) -> None:
        self.secrets[buyer_id] = secret

    def get(self, buyer_id: str) -> str | None:
        return self.secrets.get(buyer_id)

    def delete(self, buyer_id: str) -> None:
        self.secrets.pop(buyer_id, None)


class MemoryObjects:
    """A versioned bucket: every put is a new version; reads without a version get the latest."""

    def __init__(self) -> None:
        self.versions: dict[str, list[bytes]] = {}
        self.content_types: dict[str, str] = {}
        self.metadata: dict[tuple[str, str], dict[str, str]] = {}  # (key, version) -> user metadata

    def put(self, key: str, body: bytes, content_type: str, metadata: dict[str, str] | None = None) -> StoredObject:
        self.versions.setdefault(key, []).append(body)
        self.content_types[key] = content_type
        version = str(len(self.versions[key]))
        self.metadata[(key, version)] = dict(metadata or {})
        return StoredObject(key, version)

    def get(self, key: str, version_id: str | None = None, *, first_bytes: int | None = None) -> bytes:
        bodies = self.versions[key]  # a KeyError, as S3's NoSuchKey, for a key never written
        body = bodies[int(version_id) - 1] if version_id else bodies[-1]
        return body if first_bytes is None else body[:first_bytes]

    def describe(self, key: str, version_id: str | None = None) -> tuple[int, dict[str, str]]:
        version = version_id or str(len(self.versions[key]))
        return len(self.get(key, version)), dict(self.metadata.get((key, version), {}))

    def get_if_exists(self, key: str) -> bytes | None:
        return self.versions[key][-1] if key in self.versions else None

    def link(self, key: str, seconds: int) -> str:
        return f"https://objects.invalid/{quote(key)}?expires-in={seconds}"

    def head(self, key: str) -> StoredObject | None:
        return (
            StoredObject(key, str(len(self.versions[key])), f'"{hash(self.versions[key][-1])}"')
            if key in self.versions
            else None
        )


class RecordingWorkflow:
    """Step Functions stand-in for stage tests: records starts and resumes instead of running executions."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.resumed: list[tuple[str, dict[str, Any]]] = []
        self.heartbeats: list[str] = []
        self.ended: set[str] = set()  # tokens of tasks that timed out or whose execution stopped
        self.stopped: list[str] = []  # orders whose execution was stopped (cancelled)
        self.executions_ended: dict[str, str] = {}  # order -> how its execution ended, when not as planned (ABORTED...)
        self.start_failures = 0  # the next starts that fail (Step Functions throttled, unreachable)

    def stop_order(self, order_id: str, cause: str) -> bool:
        if order_id in self.stopped or order_id not in self.started:
            return False
        self.stopped.append(order_id)
        self.executions_ended[order_id] = "ABORTED"
        return True

    def is_running(self, order_id: str) -> bool:
        return order_id in self.started and order_id not in self.executions_ended

    def ended_abnormally(self) -> set[str]:
        return set(self.executions_ended)

    def start_order(self, order_id: str) -> bool:
        if self.start_failures:
            self.start_failures -= 1
            raise RuntimeError("Step Functions is unreachable")
        first = order_id not in self.started
        self.started.append(order_id)
        return first

    def resume(self, task_token: str, output: dict[str, Any]) -> bool:
        self.resumed.append((task_token, output))
        return task_token not in self.ended

    def heartbeat(self, task_token: str) -> bool:
        self.heartbeats.append(task_token)
        return task_token not in self.ended


@dataclass(frozen=True)
class SentMail:
    """One e-mail as the real mailer built it for SES, read back the way its recipient would."""

    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert isinstance(body, EmailMessage)
        return str(body.get_content())

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        return tuple(
            Attachment(str(a.get_filename()), a.get_payload(decode=True), a.get_content_type())
            for a in self.message.iter_attachments()
            if isinstance(a, EmailMessage)
        )


class MemoryMailer(Mailer):
    """Keeps each message the real mailer builds instead of handing it to SES."""

    def __init__(self) -> None:
        super().__init__(TEST_SETTINGS.sender_email)
        self.sent: list[SentMail] = []

    def deliver(self, to: list[str], message: EmailMessage) -> str:
        self.sent.append(SentMail(list(to), message))
        return f"message-{len(self.sent)}"


def refuse_first_mail(ports: Ports, matching: Callable[[OutgoingMail], bool], error: Exception) -> list[OutgoingMail]:
    """SES refusing, once, the first e-mail ``matching`` (raising ``error``); returns what was refused."""
    assert isinstance(ports.mailer, MemoryMailer)
    refused: list[OutgoingMail] = []
    real_send = ports.mailer.send

    def send(mail: OutgoingMail) -> str:
        if not refused and matching(mail):
            refused.append(mail)
            raise error
        return real_send(mail)

    ports.mailer.send = send  # type: ignore[method-assign]
    return refused


def sent_mails(ports: Ports) -> list[SentMail]:
    """What the in-memory mailer of ``ports`` sent, oldest first."""
    assert isinstance(ports.mailer, MemoryMailer)
    return ports.mailer.sent


def memory_stores() -> dict[str, Any]:
    """Every store, by its field name in ``Ports``, sharing one in-memory table (``Ports(**memory_stores(), ...)``)."""
    table = MemoryTable()
    return {
        "orders": MemoryOrders(table),
        "assignments": MemoryAssignments(table),
        "reference": MemoryReference(table),
        "earnings": MemoryEarnings(),
        "auth": MemoryAuth(),
        "claims": MemoryClaims(),
    }


CONSOLE_URL = "https://console.example.org/v1/console"


@dataclass(frozen=True)
class FixedConsole:
    """The console's address as the stack would give it (None: a stack without one)."""

    address: str | None

    def url(self) -> str | None:
        return self.address


def memory_ports() -> Ports:
    """Ports with every adapter in memory."""
    return Ports(
        settings=TEST_SETTINGS,
        **memory_stores(),
        uploads=MemoryObjects(),
        artifacts=MemoryObjects(),
        workflow=RecordingWorkflow(),
        mailer=MemoryMailer(),
        webhooks=MemoryWebhooks(),
        webhook_secrets=MemorySecrets(),
        console=FixedConsole(CONSOLE_URL),
    )


# ---------------------------------------------------------------- the staff console (telar.console)


class MemoryIdentity:
    """A Cognito user pool in memory: users with a password, a role and groups; RS256 ID tokens shaped as Cognito's
    (iss, aud, token_use, cognito:groups, custom:group_ids) and the JWKS that verifies them."""

    client_id = "console-client"
    pool_id = "us-east-1_TestPool"

    def __init__(self) -> None:
        self.key = _identity_key()
        self.users: dict[str, tuple[str, dict[str, Any]]] = {}
        self.temporary: set[str] = set()  # users still on the temporary password they were given
        self.key_fetches = 0

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.us-east-1.amazonaws.com/{self.pool_id}"

    def add_user(
        self, username: str, password: str, role: str, group_ids: tuple[str, ...] = (), locale: str | None = None
    ) -> None:
        claims: dict[str, Any] = {"cognito:groups": [role]}
        if group_ids:
            claims["custom:group_ids"] = ",".join(group_ids)
        if locale:
            claims["locale"] = locale
        self.users[username] = (password, claims)

    def token_for(self, username: str, *, lifetime: int = 3600, **overrides: Any) -> str:
        """A token as the pool would issue for ``username`` now; ``overrides`` change any claim (None: drop it)."""
        now = int(datetime.now(UTC).timestamp())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "token_use": "id",
            "sub": f"sub-{username}",
            "cognito:username": username,
            "iat": now,
            "exp": now + lifetime,
            **self.users[username][1],
            **overrides,
        }
        header = {"alg": "RS256", "kid": self.key.kid}
        return jwt.encode(header, {k: v for k, v in claims.items() if v is not None}, self.key)

    def sign_in(self, username: str, password: str) -> str | PasswordChallenge | None:
        user = self.users.get(username)
        if not (user and user[0] == password):
            return None
        if username in self.temporary:  # created with a temporary password: she chooses her own first
            return PasswordChallenge(f"challenge-{username}")
        return self.token_for(username)

    def set_new_password(self, username: str, challenge: str, new_password: str) -> str | None:
        """Cognito's policy as the template sets it: 12 characters, capital and small letters and a number."""
        strong = len(new_password) >= 12 and not new_password.islower() and not new_password.isupper()
        strong = strong and any(ch.isdigit() for ch in new_password)
        if username not in self.temporary or challenge != f"challenge-{username}" or not strong:
            return None
        self.temporary.discard(username)
        self.users[username] = (new_password, self.users[username][1])
        return self.token_for(username)

    def signing_keys(self, refresh: bool = False) -> dict[str, Any]:
        self.key_fetches += 1
        return {"keys": [self.key.as_dict(private=False)]}


@functools.cache
def _identity_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "test-key", "alg": "RS256"})


class MemoryUploadForms:
    """Presigned POSTs in memory: the forms handed out, by key."""

    def __init__(self) -> None:
        self.forms: dict[str, dict[str, Any]] = {}

    def upload_form(
        self, key: str, content_type: str, max_bytes: int, redirect: str, seconds: int
    ) -> tuple[str, dict[str, str]]:
        self.forms[key] = {"content_type": content_type, "max_bytes": max_bytes, "redirect": redirect}
        return "https://uploads.invalid/", {"key": key, "Content-Type": content_type, "policy": "signed"}


class RecordingPayRunner:
    def __init__(self) -> None:
        self.started: list[str] = []

    def run_pay_period(self, period: str) -> None:
        self.started.append(period)


def memory_console_ports(ports: Ports | None = None) -> ConsolePorts:
    return ConsolePorts(
        ports=ports or memory_ports(),
        identity=MemoryIdentity(),
        upload_forms=MemoryUploadForms(),
        pay_runner=RecordingPayRunner(),
    )
