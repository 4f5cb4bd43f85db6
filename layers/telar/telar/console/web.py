"""The console's pages: a request in (plain values), a reply out (status, HTML, headers). Reads through the ports.

functions/console/app.py turns API Gateway's event into a ``WebRequest`` and a ``Reply`` into its response, so
every page, with its access rules, runs here on the in-memory fakes as in the deployed function.
"""

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from telar.artifacts import (
    CURRENT_REFERENCE_EXPORT,
    attendance_report_stem,
    attendance_sheet_key,
    console_attendance_upload_key,
    console_qc_upload_key,
    console_reference_upload_key,
    qc_report_stem,
    reference_report_stem,
)
from telar.console.access import may_see_group, open_work, reminders_due, visible_assignment
from telar.console.actions import Action, Done, offered, perform
from telar.console.finance import PeriodRow, file_name, payslips_of, recent_periods
from telar.console.makers import PhotoStatus, maker_photos
from telar.console.office import ORDERS_PER_BUYER, office_rows, order_row
from telar.console.ports import ConsolePorts, PasswordChallenge
from telar.console.session import (
    CHALLENGE_COOKIE,
    CHALLENGE_SECONDS,
    SESSION_COOKIE,
    SESSION_SECONDS,
    SIGN_IN_COOKIE,
    NotSignedIn,
    Role,
    Staff,
    UnknownSigningKey,
    check_csrf,
    cookie,
    csrf_token,
    new_sign_in_token,
    parse_cookies,
    verify_id_token,
)
from telar.console.texts import console_translator, page_language
from telar.console.uploads import (
    FORM_SECONDS,
    MAX_ATTENDANCE_BYTES,
    MAX_QC_SHEET_BYTES,
    MAX_REFERENCE_BYTES,
    UPLOAD_ID,
    XLSX,
    Outcome,
    attendance_months,
    attendance_result,
    reference_result,
    upload_result,
)
from telar.errors import AssignmentNotFound, GroupNotFound, NotFound, OrderNotFound
from telar.models import Order, ReferenceData
from telar.observability import logger
from telar.ports import Ports
from telar.rendering import TEMPLATES, get_template
from telar.stages.qc_reminders import QC_TIMEOUT, REMIND_BEFORE_TIMEOUT

LINK_SECONDS = 15 * 60  # download links on a page work for a quarter of an hour
HTML = "text/html; charset=utf-8"
STYLESHEET = (TEMPLATES / "console" / "console.css").read_text(encoding="utf-8")
STYLESHEET_VERSION = hashlib.sha256(STYLESHEET.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class WebRequest:
    """What a page needs of an HTTP request."""

    origin: str  # scheme://host the browser used
    prefix: str = ""  # the API stage in the path ("/v1" on the execute-api domain and locally; "" on a custom domain)
    cookies: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    accept_language: str = ""
    query: Mapping[str, str] = field(default_factory=dict)

    @property
    def secure(self) -> bool:
        return self.origin.startswith("https://")

    def url(self, path: str) -> str:
        """A path of the console as the browser addresses it (``/console/...`` behind the stage prefix)."""
        return f"{self.prefix}{path}"


def web_request(
    headers: Mapping[str, str],
    *,
    domain_name: str,
    stage: str,
    path: str,
    body: str | None,
    method: str,
    query: Mapping[str, str] | None = None,
) -> WebRequest:
    """The request as the console sees it from API Gateway's (REST, v1) proxy event parts: its links carry the
    stage when the browser's path does (``requestContext.path``, as powertools finds its base path)."""
    lower = {k.lower(): v for k, v in headers.items()}
    scheme = lower.get("x-forwarded-proto", "http").split(",")[0].strip()
    host = lower.get("host") or domain_name
    form: dict[str, str] = {}
    if method == "POST" and body and "application/x-www-form-urlencoded" in lower.get("content-type", ""):
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    return WebRequest(
        origin=f"{scheme}://{host}",
        prefix=f"/{stage}" if stage and (path == f"/{stage}" or path.startswith(f"/{stage}/")) else "",
        cookies=parse_cookies(lower.get("cookie")),
        form=form,
        accept_language=lower.get("accept-language", ""),
        query=dict(query or {}),
    )


@dataclass
class Reply:
    status: int
    body: str = ""
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)


def content_security_policy(form_origins: tuple[str, ...] = ()) -> str:
    """Nothing runs on a page (no script at all), styles only from the console itself, forms post to the console
    and to the upload form's S3 origin only, and no other site may frame a page."""
    return "; ".join(
        [
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self'",
            "form-action " + " ".join(("'self'", *form_origins)),
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


def _signed_page(
    console: ConsolePorts, request: WebRequest, signed: tuple[Staff, str], template: str, **values: Any
) -> Reply:
    """A page of a signed-in user: its content framed as every signed-in page is, in her language."""
    frame = _frame(console, request, *signed)
    language = frame.pop("language")
    return _page(template, request, language, **values, **frame)


def _page(
    template: str,
    request: WebRequest,
    language: str,
    *,
    status: int = 200,
    form_origins: tuple[str, ...] = (),
    **values: Any,
) -> Reply:
    html = get_template(f"console/{template}").render(
        _=console_translator(language),
        language=language,
        url=request.url,
        stylesheet=request.url(f"/console/static/{STYLESHEET_VERSION}/console.css"),
        **values,
    )
    return Reply(
        status,
        html,
        headers={
            "Content-Security-Policy": content_security_policy(form_origins),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",  # download links are presigned: never hand them to another site
        },
    )


def _redirect(location: str, cookies: list[str] | None = None) -> Reply:
    return Reply(303, "", headers={"Location": location, "Cache-Control": "no-store"}, cookies=cookies or [])


# ---------------------------------------------------------------- sessions


def signed_in(console: ConsolePorts, request: WebRequest, now: datetime) -> tuple[Staff, str]:
    """The staff member of the session cookie and her session; raises NotSignedIn (the handler: to sign in)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotSignedIn("no session")
    identity = console.identity

    def verify(refresh: bool) -> Staff:
        keys = identity.signing_keys(refresh=refresh)
        return verify_id_token(token, keys, issuer=identity.issuer, client_id=identity.client_id, now=now)

    try:
        return verify(False), token
    except UnknownSigningKey:
        return verify(True), token  # the pool's keys rotated since this process fetched them


def sign_in_page(request: WebRequest, *, failed: bool = False) -> Reply:
    token = new_sign_in_token()
    language = page_language(request.accept_language.split(",")[0] or None, [])
    reply = _page("sign_in.html.j2", request, language, status=401 if failed else 200, csrf=token, failed=failed)
    reply.cookies.append(
        cookie(SIGN_IN_COOKIE, token, path=request.url("/console"), secure=request.secure, max_age=3600)
    )
    return reply


def sign_in(console: ConsolePorts, request: WebRequest) -> Reply:
    """The sign-in form posted: a session cookie and on to her home page; the form again when Cognito refuses; the
    new-password form for a user still on the temporary password she was given."""
    check_csrf(request.cookies.get(SIGN_IN_COOKIE), request.form.get("csrf"))
    username = request.form.get("username", "").strip()
    token = console.identity.sign_in(username, request.form.get("password", ""))
    if token is None:
        return sign_in_page(request, failed=True)
    if isinstance(token, PasswordChallenge):
        return _new_password_page(request, username, token.session)
    return _signed_in(request, token)


def _new_password_page(request: WebRequest, username: str, challenge: str, problem: str | None = None) -> Reply:
    """Choose a password of her own; Cognito's challenge travels in a short-lived HttpOnly cookie, not the page."""
    csrf = request.cookies.get(SIGN_IN_COOKIE) or ""
    language = page_language(request.accept_language.split(",")[0] or None, [])
    status = 200 if problem is None else 400
    reply = _page(
        "new_password.html.j2", request, language, status=status, csrf=csrf, username=username, problem=problem
    )
    path = request.url("/console")
    reply.cookies.append(
        cookie(CHALLENGE_COOKIE, challenge, path=path, secure=request.secure, max_age=CHALLENGE_SECONDS)
    )
    return reply


def new_password(console: ConsolePorts, request: WebRequest) -> Reply:
    """The new-password form posted: signed in with the password she chose, or the form again saying why not; an
    expired challenge sends her back to sign in with her temporary password."""
    check_csrf(request.cookies.get(SIGN_IN_COOKIE), request.form.get("csrf"))
    challenge = request.cookies.get(CHALLENGE_COOKIE)
    if not challenge:
        return sign_in_page(request)
    username, password = request.form.get("username", "").strip(), request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        return _new_password_page(request, username, challenge, "mismatch")
    token = console.identity.set_new_password(username, challenge, password)
    if token is None:
        return _new_password_page(request, username, challenge, "refused")
    reply = _signed_in(request, token)
    reply.cookies.append(cookie(CHALLENGE_COOKIE, "", path=request.url("/console"), secure=request.secure, max_age=0))
    return reply


def _signed_in(request: WebRequest, token: str) -> Reply:
    """On to her home page with a session cookie; the sign-in form's token is spent."""
    path = request.url("/console")
    return _redirect(
        path,
        [
            cookie(SESSION_COOKIE, token, path=path, secure=request.secure, max_age=SESSION_SECONDS),
            cookie(SIGN_IN_COOKIE, "", path=path, secure=request.secure, max_age=0),
        ],
    )


def sign_out(console: ConsolePorts, request: WebRequest, now: datetime) -> Reply:
    _, session = signed_in(console, request, now)
    check_csrf(csrf_token(session), request.form.get("csrf"))
    path = request.url("/console")
    return _redirect(
        request.url("/console/sign-in"), [cookie(SESSION_COOKIE, "", path=path, secure=request.secure, max_age=0)]
    )


# ---------------------------------------------------------------- pages


def _group_languages(ref: ReferenceData, staff: Staff) -> list[str]:
    languages: list[str] = []
    for group_id in staff.group_ids:
        try:
            languages.append(ref.group(group_id).language)
        except GroupNotFound:
            continue
    return languages


def _group_names(ref: ReferenceData) -> dict[str, str]:
    return {g.group_id: g.name for g in ref.groups}


def _frame(console: ConsolePorts, request: WebRequest, staff: Staff, session: str) -> dict[str, Any]:
    """What every signed-in page shows around its content, and the language it is written in."""
    ref = console.ports.reference.load_reference()
    return {
        "language": page_language(staff.locale, _group_languages(ref, staff)),
        "staff": staff,
        "csrf": csrf_token(session),
        "groups": _group_names(ref),
    }


def home(console: ConsolePorts, request: WebRequest, now: datetime) -> Reply:
    """Managers and the office: the open work they may see. Finance: its page (pay periods: not built yet)."""
    staff, session = signed_in(console, request, now)
    frame = _frame(console, request, staff, session)
    language = frame.pop("language")
    if staff.role == Role.FINANCE:
        return _finance_page(console, request, language, frame, now)
    if staff.role == Role.OFFICE:
        return _office_page(console, request, language, frame)
    ports = console.ports
    work = open_work(staff, ports.assignments.awaiting_qc())
    ref = ports.reference.load_reference()
    runs = [r for r in (ports.earnings.pay_run(p) for p in recent_periods(now.date(), 3)) if r]
    mine = [g for g in ref.groups if g.group_id in staff.group_ids]
    payslips = [
        (period, group_id, ports.artifacts.link(key, LINK_SECONDS)) for period, group_id, key in payslips_of(runs, mine)
    ]
    reminders = reminders_due(work, now, QC_TIMEOUT, REMIND_BEFORE_TIMEOUT)
    return _page("work.html.j2", request, language, work=work, payslips=payslips, reminders=reminders, **frame)


class NotFinance(NotFound):
    """A role's pages (finance's, the office's) asked for by anyone else: the same 404 as a page that does not
    exist."""


def _periods(console: ConsolePorts, periods: list[str]) -> list[dict[str, Any]]:
    """Each period's run with links to its files and payslips (presigned, expiring)."""
    rows = []
    for period in periods:
        row = PeriodRow(period, console.ports.earnings.pay_run(period))
        links = [
            (file_name(key), console.ports.artifacts.link(key, LINK_SECONDS))
            for key in ((row.run.files + row.run.payslips) if row.run else [])
        ]
        rows.append({"row": row, "links": links})
    return rows


def _finance_page(
    console: ConsolePorts, request: WebRequest, language: str, frame: dict[str, Any], now: datetime
) -> Reply:
    periods = recent_periods(now.date())
    return _page("finance.html.j2", request, language, periods=_periods(console, periods), choices=periods, **frame)


def makers_page(console: ConsolePorts, request: WebRequest, now: datetime) -> Reply:
    """The office: each active maker's photo consent, and whose chosen photo is missing (her card prints without)."""
    staff, session = _office(console, request, now, "makers")
    uploads = console.ports.uploads
    rows = maker_photos(
        console.ports.reference.load_reference().makers, now.date(), lambda key: uploads.head(key) is not None
    )
    missing = [r for r in rows if r.status == PhotoStatus.MISSING]
    return _signed_page(console, request, (staff, session), "makers.html.j2", rows=rows, missing=missing)


def pay_period_page(console: ConsolePorts, request: WebRequest, period: str, now: datetime) -> Reply:
    """One pay period: its run's state and files; while it runs, the page reloads itself."""
    staff, session = signed_in(console, request, now)
    if staff.role != Role.FINANCE or period not in recent_periods(now.date()):
        raise NotFinance(period)
    [entry] = _periods(console, [period])
    refresh = None if entry["row"].done else request.url(f"/console/pay-periods/{period}")
    return _signed_page(console, request, (staff, session), "pay_period.html.j2", entry=entry, refresh=refresh)


def run_pay_period(console: ConsolePorts, request: WebRequest, now: datetime) -> Reply:
    """Finance starts a period's pay run (the function the schedule runs), then follows it on its page."""
    staff, session = signed_in(console, request, now)
    if staff.role != Role.FINANCE:
        raise NotFinance("run")
    check_csrf(csrf_token(session), request.form.get("csrf"))
    period = request.form.get("period", "")
    if period not in recent_periods(now.date()):  # a month finance may run: never a made-up string
        raise NotFinance(period)
    console.pay_runner.run_pay_period(period)
    return _redirect(request.url(f"/console/pay-periods/{period}"))


def _office_page(console: ConsolePorts, request: WebRequest, language: str, frame: dict[str, Any]) -> Reply:
    """Every buyer's recent orders with the stage of each group, those that need a person first, with the reason."""
    ports = console.ports
    ended = ports.workflow.ended_abnormally()
    rows = []
    for buyer in ports.reference.load_reference_buyers():
        orders, _ = ports.orders.list_orders(buyer.buyer_id, ORDERS_PER_BUYER, None)
        for order in orders:
            assignments = ports.assignments.assignments_of(order.order_id) if order.assignment_ids else []
            rows.append(order_row(order, assignments, order.order_id in ended))
    attention, others = office_rows(rows)
    return _page("office.html.j2", request, language, attention=attention, others=others, **frame)


def _office_order(console: ConsolePorts, request: WebRequest, order_id: str, now: datetime) -> tuple[Staff, str, Order]:
    staff, session = _office(console, request, now, order_id)
    order = console.ports.orders.get_order(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return staff, session, order


def order_page(console: ConsolePorts, request: WebRequest, order_id: str, now: datetime) -> Reply:
    """The office: one order, why it needs a person, its groups' work, and the actions that apply to it now, with
    the outcome of the last one asked for (``?done=``)."""
    staff, session, order = _office_order(console, request, order_id, now)
    ports = console.ports
    assignments = ports.assignments.assignments_of(order_id) if order.assignment_ids else []
    running = ports.workflow.is_running(order_id)
    row = order_row(order, assignments, order_id in ports.workflow.ended_abnormally())
    done = request.query.get("done", "")
    return _signed_page(
        console,
        request,
        (staff, session),
        "order.html.j2",
        row=row,
        assignments=sorted(assignments, key=lambda a: (a.group_id, a.rework_round)),
        running=running,
        offered=offered(order, assignments, running),
        done=Done(done) if done in Done.__members__.values() else None,
        nonce=uuid.uuid4().hex,
    )


def order_action(console: ConsolePorts, request: WebRequest, order_id: str, now: datetime) -> Reply:
    """The office asks for an action on an order (a form of its page); back to the page, which says what came of it.
    An action that no longer applies (a second submit, or the pipeline did it meanwhile) changes nothing."""
    _, session, order = _office_order(console, request, order_id, now)
    check_csrf(csrf_token(session), request.form.get("csrf"))
    try:
        action = Action(request.form.get("action", ""))
    except ValueError:
        raise NotFinance(order_id) from None
    done = perform(
        console.ports,
        order,
        action,
        assignment_id=request.form.get("assignment_id", ""),
        nonce=request.form.get("nonce", ""),
    )
    logger.info("office action", order_id=order_id, action=action.value, done=done.value)
    return _redirect(request.url(f"/console/orders/{order_id}?done={done.value}"))


def assignment_page(console: ConsolePorts, request: WebRequest, assignment_id: str, now: datetime) -> Reply:
    """One assignment of her groups: its lines, its papers to download, and the form that uploads its QC sheet."""
    staff, session = signed_in(console, request, now)
    ports = console.ports
    assignment = visible_assignment(staff, ports.assignments.get_assignment(assignment_id), assignment_id)
    papers = {
        name: ports.artifacts.link(key, LINK_SECONDS)
        for name, key in (("worksheet", assignment.worksheet_key), ("qc_template", assignment.qc_template_key))
        if key
    }
    form = (
        _upload_form(console, request, MAX_QC_SHEET_BYTES, console_qc_upload_key, assignment_id)
        if assignment.status.value == "AWAITING_QC"
        else {}
    )
    return _signed_page(
        console, request, (staff, session), "assignment.html.j2", assignment=assignment, papers=papers, **form
    )


def _stored_upload(ports: Ports, key: str, stem_of: Callable[[str, str], str]) -> tuple[str | None, str | None, str]:
    """An upload from the console as its stage sees it: ``key#version`` (None while it is not stored yet), the
    stage's error report if it wrote one, and that report's stem (its marked copy is ``<stem>.xlsx``)."""
    stored = ports.uploads.head(key)
    version = (stored.version_id or "null") if stored else "null"
    stem = stem_of(key, version)
    report = ports.uploads.get_if_exists(f"{stem}.txt") if stored else None
    return (f"{key}#{version}" if stored else None), (report.decode() if report else None), stem


def _outcome_page(
    console: ConsolePorts,
    request: WebRequest,
    signed: tuple[Staff, str],
    template: str,
    result: Any,
    stem: str,
    path: str,
    **context: Any,
) -> Reply:
    """An upload's outcome page: the marked copy to download when it was refused, and while the stage is still
    reading it, a refresh of ``path`` every few seconds (no script)."""
    ports = console.ports
    marked = (
        ports.uploads.link(f"{stem}.xlsx", LINK_SECONDS)
        if result.outcome == Outcome.REFUSED and ports.uploads.head(f"{stem}.xlsx")
        else None
    )
    waiting = result.outcome in (Outcome.PENDING, Outcome.MISSING)
    refresh = request.url(path) if waiting else None
    return _signed_page(console, request, signed, template, result=result, marked=marked, refresh=refresh, **context)


def upload_page(console: ConsolePorts, request: WebRequest, assignment_id: str, upload_id: str, now: datetime) -> Reply:
    """The outcome of a QC sheet uploaded from the assignment's page: accepted, refused with its problems and the
    marked copy, or still being read (the page then reloads itself every few seconds, without script)."""
    signed = signed_in(console, request, now)
    assignment = visible_assignment(signed[0], console.ports.assignments.get_assignment(assignment_id), assignment_id)
    if not UPLOAD_ID.match(upload_id):
        raise AssignmentNotFound(assignment_id)
    key = console_qc_upload_key(assignment_id, upload_id)
    upload_ref, report, stem = _stored_upload(console.ports, key, qc_report_stem)
    result = upload_result(assignment, upload_ref, report)
    path = _outcome_path(console_qc_upload_key, assignment_id, upload_id)
    return _outcome_page(console, request, signed, "upload.html.j2", result, stem, path, assignment=assignment)


# The page that shows the outcome of an upload, by the function naming the upload's key: {} is its owner.
_OUTCOME_PAGES: dict[Callable[..., str], str] = {
    console_qc_upload_key: "/console/assignments/{}/uploads/",
    console_reference_upload_key: "/console/reference/uploads/",
    console_attendance_upload_key: "/console/groups/{}/attendance/uploads/",
}


def _outcome_path(key_of: Callable[..., str], *owner_and_upload_id: str) -> str:
    *owner, upload_id = owner_and_upload_id
    return _OUTCOME_PAGES[key_of].format(*owner) + upload_id


def _upload_form(
    console: ConsolePorts, request: WebRequest, max_bytes: int, key_of: Callable[..., str], *owner: str
) -> dict[str, Any]:
    """A page's form for a new upload: a presigned POST of one .xlsx of at most ``max_bytes`` to
    ``key_of(*owner, upload_id)``, sending the browser back to that upload's outcome page, and the origin the
    page's CSP must let the form post to."""
    upload_id = uuid.uuid4().hex
    back = request.origin + request.url(_outcome_path(key_of, *owner, upload_id))
    form = console.upload_forms.upload_form(key_of(*owner, upload_id), XLSX, max_bytes, back, FORM_SECONDS)
    parts = urlsplit(form[0])
    return {
        "upload": form,
        "form_origins": (f"{parts.scheme}://{parts.netloc}",),
        "max_megabytes": max_bytes // (1024 * 1024),
    }


def _office(console: ConsolePorts, request: WebRequest, now: datetime, what: str) -> tuple[Staff, str]:
    staff, session = signed_in(console, request, now)
    if staff.role != Role.OFFICE:
        raise NotFinance(what)  # the same 404 as any page she may not see
    return staff, session


def reference_page(console: ConsolePorts, request: WebRequest, now: datetime) -> Reply:
    """The office: the reference data in force as the workbook to download (edit it and upload it again), and the
    form that uploads a new one under ``reference/`` for the ReferenceUpload stage."""
    staff, session = _office(console, request, now, "reference")
    ports = console.ports
    current = (
        ports.uploads.link(CURRENT_REFERENCE_EXPORT, LINK_SECONDS)
        if ports.uploads.head(CURRENT_REFERENCE_EXPORT)
        else None
    )
    return _signed_page(
        console,
        request,
        (staff, session),
        "reference.html.j2",
        version=ports.reference.reference_version(),
        current=current,
        **_upload_form(console, request, MAX_REFERENCE_BYTES, console_reference_upload_key),
    )


def reference_upload_page(console: ConsolePorts, request: WebRequest, upload_id: str, now: datetime) -> Reply:
    """The outcome of a reference workbook uploaded from the console: applied (as which version), refused with its
    problems by sheet and cell and the marked copy, or still being read (the page reloads itself)."""
    signed = _office(console, request, now, "reference")
    if not UPLOAD_ID.match(upload_id):
        raise NotFinance(upload_id)
    ports = console.ports
    source, report, stem = _stored_upload(ports, console_reference_upload_key(upload_id), reference_report_stem)
    result = reference_result(
        source,
        ports.reference.reference_applied_from(source) if source else None,
        ports.claims.is_done(f"mail#reference-receipt#{source}") if source else False,
        report,
    )
    path = _outcome_path(console_reference_upload_key, upload_id)
    return _outcome_page(console, request, signed, "reference_upload.html.j2", result, stem, path)


def _her_group(console: ConsolePorts, request: WebRequest, group_id: str, now: datetime) -> tuple[Staff, str]:
    """She, if the group is hers (the office sees every group); GroupNotFound otherwise, as for no such group."""
    staff, session = signed_in(console, request, now)
    if not may_see_group(staff, group_id):
        raise GroupNotFound(group_id)
    console.ports.reference.load_reference().group(group_id)  # GroupNotFound for a group no longer in force
    return staff, session


def attendance_page(console: ConsolePorts, request: WebRequest, group_id: str, now: datetime) -> Reply:
    """A manager's group: its attendance sheets of this month and the last to download (as the monthly e-mail
    brings them), and the form that uploads the filled one under ``attendance/`` for the AttendanceUpload stage."""
    staff, session = _her_group(console, request, group_id, now)
    ports = console.ports
    sheets = []
    for month in attendance_months(now.date()):
        key = attendance_sheet_key(month, group_id)
        if ports.artifacts.head(key):
            sheets.append((month, ports.artifacts.link(key, LINK_SECONDS)))
    return _signed_page(
        console,
        request,
        (staff, session),
        "attendance.html.j2",
        group_id=group_id,
        sheets=sheets,
        **_upload_form(console, request, MAX_ATTENDANCE_BYTES, console_attendance_upload_key, group_id),
    )


def attendance_upload_page(
    console: ConsolePorts, request: WebRequest, group_id: str, upload_id: str, now: datetime
) -> Reply:
    """The outcome of an attendance sheet uploaded from her group's page: recorded, refused with its problems by
    cell and the marked copy, or still being read (the page reloads itself)."""
    signed = _her_group(console, request, group_id, now)
    if not UPLOAD_ID.match(upload_id):
        raise GroupNotFound(group_id)
    ports = console.ports
    key = console_attendance_upload_key(group_id, upload_id)
    upload_ref, report, stem = _stored_upload(ports, key, attendance_report_stem)
    receipt_sent = ports.claims.is_done(f"mail#attendance-receipt#{upload_ref}") if upload_ref else False
    result = attendance_result(upload_ref, receipt_sent, report)
    path = _outcome_path(console_attendance_upload_key, group_id, upload_id)
    return _outcome_page(console, request, signed, "attendance_upload.html.j2", result, stem, path, group_id=group_id)


def not_found_page(request: WebRequest) -> Reply:
    language = page_language(request.accept_language.split(",")[0] or None, [])
    return _page("not_found.html.j2", request, language, status=404)


def refused_page(request: WebRequest) -> Reply:
    language = page_language(request.accept_language.split(",")[0] or None, [])
    return _page("refused.html.j2", request, language, status=403)


def stylesheet(version: str) -> Reply:
    """The stylesheet, cached for a year under its versioned path (a new version is a new path)."""
    if version != STYLESHEET_VERSION:
        return Reply(404, "", "text/plain")
    return Reply(
        200,
        STYLESHEET,
        "text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"},
    )
