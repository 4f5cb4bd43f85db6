"""The staff console on the in-memory fakes: who is signed in (tokens, CSRF), what she may see, what each page shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

import openpyxl
import pytest
from joserfc.jwk import RSAKey

from samples.make_reference_book import sample_book
from telar import pipeline_start
from telar.artifacts import (
    console_attendance_upload_key,
    console_qc_upload_key,
    console_reference_upload_key,
    qc_report_stem,
)
from telar.capacity import CapacityLedger, PlanWrite, week_of
from telar.console import web
from telar.console.access import open_work, visible_assignment
from telar.console.ports import ConsolePorts
from telar.console.session import (
    CHALLENGE_COOKIE,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    CsrfRefused,
    NotSignedIn,
    Role,
    Staff,
    UnknownSigningKey,
    check_csrf,
    csrf_token,
    verify_id_token,
)
from telar.console.texts import CONSOLE_TEXTS, page_language
from telar.console.uploads import Outcome, problems_from_report, upload_result
from telar.errors import AssignmentNotFound, NotFound
from telar.models import AssignmentStatus, Buyer, OrderStatus
from telar.rendering import TEMPLATES, _load_mail_texts
from telar.sheets.reference_book import write_reference_book
from telar.stages.attendance_upload import accept_attendance_upload
from telar.stages.reference_upload import accept_reference_upload
from tests.attendance_sheets import fill_attendance
from tests.factories import CHIANG_MAI, CUSCO, make_assignment, make_order, make_qc_row, make_reference
from tests.fakes import (
    MemoryIdentity,
    MemoryUploadForms,
    RecordingPayRunner,
    RecordingWorkflow,
    memory_console_ports,
    sent_mails,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ORIGIN = "http://127.0.0.1:3000"


@pytest.fixture
def console() -> ConsolePorts:
    console = memory_console_ports()
    console.ports.reference.put_reference(
        make_reference(), [Buyer(buyer_id="buyer-fairloom", name="F", email="f@x.org")]
    )
    identity = console.identity
    assert isinstance(identity, MemoryIdentity)
    identity.add_user("patricia", "right-password", "manager", (CUSCO,))
    identity.add_user("achara", "her-password", "manager", (CHIANG_MAI,))
    identity.add_user("office", "office-password", "office")
    return console


def _identity(console: ConsolePorts) -> MemoryIdentity:
    assert isinstance(console.identity, MemoryIdentity)
    return console.identity


def _as(console: ConsolePorts, username: str, **form: str) -> web.WebRequest:
    return web.WebRequest(origin=ORIGIN, cookies={SESSION_COOKIE: _identity(console).token_for(username)}, form=form)


def _the_one_xlsx_upload_form(console: ConsolePorts, page: web.Reply, max_mib: int) -> tuple[str, str]:
    """The page hands out one upload form, for one .xlsx of at most ``max_mib`` MiB, every input labelled, which
    the page's policy lets post to the upload's origin; returns the form's key and where it sends her back."""
    forms = console.upload_forms
    assert isinstance(forms, MemoryUploadForms)
    ((key, form),) = forms.forms.items()
    assert form["content_type"].endswith("spreadsheetml.sheet") and form["max_bytes"] == max_mib * 1024 * 1024
    for input_id in re.findall(r'<input id="([^"]+)"', page.body):
        assert f'<label for="{input_id}">' in page.body
    assert "form-action 'self' https://uploads.invalid" in page.headers["Content-Security-Policy"]
    return key, form["redirect"]


def _awaiting(console: ConsolePorts, group_id: str = CUSCO, order_id: str = "ord-1") -> str:
    order = make_order(order_id)
    assignment = make_assignment(
        order, group_id=group_id, worksheet_key=f"orders/{order_id}/w.xlsx", qc_template_key="q.xlsx"
    )
    console.ports.orders.create_order(order)
    console.ports.assignments.create_assignments(PlanWrite(order_id, [assignment]))
    console.ports.assignments.await_qc(assignment.assignment_id, "token")
    return assignment.assignment_id


# ---------------------------------------------------------------- tokens


def _verify(identity: MemoryIdentity, token: str, now: datetime | None = None) -> Staff:
    return verify_id_token(
        token,
        identity.signing_keys(),
        issuer=identity.issuer,
        client_id=identity.client_id,
        now=now or datetime.now(UTC),
    )


def test_a_pool_token_names_the_staff_member_her_role_and_groups() -> None:
    identity = MemoryIdentity()
    identity.add_user("patricia", "pw", "manager", (CUSCO, "pe-pisac"), locale="th")
    staff = _verify(identity, identity.token_for("patricia"))
    assert staff == Staff(username="patricia", role=Role.MANAGER, group_ids=(CUSCO, "pe-pisac"), locale="th")


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"},
        {"aud": "another-client"},
        {"token_use": "access"},
        {"exp": int(datetime.now(UTC).timestamp()) - 120},
        {"iat": int(datetime.now(UTC).timestamp()) + 3600},
        {"cognito:groups": ["buyers"]},
    ],
    ids=["issuer", "audience", "access-token", "expired", "future", "no-staff-group"],
)
def test_a_token_of_another_pool_client_use_time_or_group_is_refused(claims: dict[str, object]) -> None:
    identity = MemoryIdentity()
    identity.add_user("patricia", "pw", "manager", (CUSCO,))
    with pytest.raises(NotSignedIn):
        _verify(identity, identity.token_for("patricia", **claims))


def test_a_token_signed_by_another_key_or_tampered_is_refused() -> None:
    identity = MemoryIdentity()
    identity.add_user("patricia", "pw", "manager", (CUSCO,))
    header, _payload, signature = identity.token_for("patricia").split(".")
    other = identity.token_for("patricia", **{"custom:group_ids": CHIANG_MAI}).split(".")[1]
    with pytest.raises(NotSignedIn):
        _verify(identity, f"{header}.{other}.{signature}")
    with pytest.raises(NotSignedIn):
        _verify(identity, "not-a-token")


def test_a_token_of_a_key_not_yet_fetched_asks_for_the_keys_again(console: ConsolePorts) -> None:
    # Given keys fetched before the pool rotated (no key with the token's kid)
    identity = _identity(console)
    with pytest.raises(UnknownSigningKey):
        verify_id_token(
            identity.token_for("patricia"),
            {"keys": [RSAKey.generate_key(2048, parameters={"kid": "before-rotation"}).as_dict(private=False)]},
            issuer=identity.issuer,
            client_id=identity.client_id,
            now=datetime.now(UTC),
        )


# ---------------------------------------------------------------- CSRF


def test_the_csrf_token_is_bound_to_the_session_and_required() -> None:
    token = csrf_token("session-a")
    check_csrf(token, token)
    assert csrf_token("session-b") != token
    for submitted in (None, "", csrf_token("session-b")):
        with pytest.raises(CsrfRefused):
            check_csrf(token, submitted)
    with pytest.raises(CsrfRefused):
        check_csrf(None, None)


def test_sign_in_without_the_forms_token_is_refused_before_cognito_is_asked(console: ConsolePorts) -> None:
    request = web.WebRequest(ORIGIN, cookies={SIGN_IN_COOKIE: "abc"}, form={"username": "patricia", "password": "x"})
    with pytest.raises(CsrfRefused):
        web.sign_in(console, request)


def test_sign_out_without_the_pages_token_is_refused(console: ConsolePorts) -> None:
    with pytest.raises(CsrfRefused):
        web.sign_out(console, _as(console, "patricia"), datetime.now(UTC))
    with pytest.raises(CsrfRefused):
        web.sign_out(console, _as(console, "patricia", csrf=csrf_token("someone-else")), datetime.now(UTC))


# ---------------------------------------------------------------- sign-in


def test_signing_in_sets_an_http_only_same_site_session_cookie_secure_over_https(console: ConsolePorts) -> None:
    for origin, secure in ((ORIGIN, False), ("https://abc.execute-api.us-east-1.amazonaws.com", True)):
        form = {"csrf": "t", "username": "patricia", "password": "right-password"}
        reply = web.sign_in(console, web.WebRequest(origin, cookies={SIGN_IN_COOKIE: "t"}, form=form))
        assert reply.status == 303
        session = next(c for c in reply.cookies if c.startswith(f"{SESSION_COOKIE}="))
        assert "HttpOnly" in session and "SameSite=Lax" in session
        assert ("Secure" in session) is secure


def test_a_wrong_password_shows_the_form_again(console: ConsolePorts) -> None:
    form = {"csrf": "t", "username": "patricia", "password": "wrong"}
    reply = web.sign_in(console, web.WebRequest(ORIGIN, cookies={SIGN_IN_COOKIE: "t"}, form=form))
    assert reply.status == 401 and 'role="alert"' in reply.body
    assert not any(c.startswith(f"{SESSION_COOKIE}=") for c in reply.cookies)


def test_statuses_read_as_words_in_her_language(console: ConsolePorts) -> None:
    # Given an order in production with Cusco's work planned
    order = make_order("ord-1", status=OrderStatus.IN_PRODUCTION)
    console.ports.orders.create_order(order)
    console.ports.assignments.create_assignments(PlanWrite("ord-1", [make_assignment(order, CUSCO)]))
    # When an office user whose profile says Spanish reads the order's page
    _identity(console).add_user("oficina", "su-clave", "office", locale="es")
    page = web.order_page(console, _as(console, "oficina"), "ord-1", datetime.now(UTC)).body
    # Then the statuses are words, not codes
    assert "<dd>En producción</dd>" in page and '">Planificado</td>' in page
    assert "IN_PRODUCTION" not in page and "PLANNED" not in page


def test_a_user_on_her_temporary_password_chooses_her_own_then_is_signed_in(console: ConsolePorts) -> None:
    # Given a manager created with a temporary password (as staff created on AWS are)
    _identity(console).add_user("rosa", "Temporary-Pass-1", "manager", (CUSCO,))
    _identity(console).temporary.add("rosa")
    # When she signs in with it
    form = {"csrf": "t", "username": "rosa", "password": "Temporary-Pass-1"}
    asked = web.sign_in(console, web.WebRequest(ORIGIN, cookies={SIGN_IN_COOKIE: "t"}, form=form))
    # Then she is asked for a password of her own, the challenge in an HttpOnly cookie, and no session yet
    assert asked.status == 200 and 'name="confirm"' in asked.body and 'autocomplete="new-password"' in asked.body
    challenge = next(c for c in asked.cookies if c.startswith(f"{CHALLENGE_COOKIE}="))
    assert "HttpOnly" in challenge and "challenge-rosa" not in asked.body
    assert not any(c.startswith(f"{SESSION_COOKIE}=") for c in asked.cookies)
    cookies = {SIGN_IN_COOKIE: "t", CHALLENGE_COOKIE: "challenge-rosa"}

    def choose(password: str, confirm: str, csrf: str = "t") -> web.Reply:
        form = {"csrf": csrf, "username": "rosa", "password": password, "confirm": confirm}
        return web.new_password(console, web.WebRequest(ORIGIN, cookies=cookies, form=form))

    # When the two do not match, or the password is too weak, Then the form says so and nothing changes
    mismatch = choose("Her-Own-Password-7", "Her-Own-Password-8")
    weak = choose("short", "short")
    assert (mismatch.status, weak.status) == (400, 400)
    assert "not the same" in mismatch.body and "not accepted" in weak.body
    # And without the form's token it is refused before Cognito is asked
    with pytest.raises(CsrfRefused):
        choose("Her-Own-Password-7", "Her-Own-Password-7", csrf="other")
    # When she chooses a good one, Then she is signed in, and the challenge cookie is gone
    done = choose("Her-Own-Password-7", "Her-Own-Password-7")
    assert done.status == 303
    assert any(c.startswith(f"{SESSION_COOKIE}=") for c in done.cookies)
    assert any(c.startswith(f"{CHALLENGE_COOKIE}=;") and "Max-Age=0;" in c for c in done.cookies)
    # And next time her own password signs her in directly
    form = {"csrf": "t", "username": "rosa", "password": "Her-Own-Password-7"}
    assert web.sign_in(console, web.WebRequest(ORIGIN, cookies={SIGN_IN_COOKIE: "t"}, form=form)).status == 303


def test_the_new_password_form_without_its_challenge_goes_back_to_sign_in(console: ConsolePorts) -> None:
    form = {"csrf": "t", "username": "rosa", "password": "Her-Own-Password-7", "confirm": "Her-Own-Password-7"}
    reply = web.new_password(console, web.WebRequest(ORIGIN, cookies={SIGN_IN_COOKIE: "t"}, form=form))
    assert 'id="username"' in reply.body and not any(c.startswith(f"{SESSION_COOKIE}=") for c in reply.cookies)


def test_no_session_means_sign_in(console: ConsolePorts) -> None:
    with pytest.raises(NotSignedIn):
        web.home(console, web.WebRequest(ORIGIN), NOW)


# ---------------------------------------------------------------- access


def test_a_manager_sees_only_her_groups_open_work_and_another_groups_assignment_is_not_found(
    console: ConsolePorts,
) -> None:
    cusco, chiang_mai = _awaiting(console, CUSCO, "ord-1"), _awaiting(console, CHIANG_MAI, "ord-2")
    page = web.home(console, _as(console, "patricia"), datetime.now(UTC))
    assert cusco in page.body and chiang_mai not in page.body
    with pytest.raises(AssignmentNotFound):
        web.assignment_page(console, _as(console, "patricia"), chiang_mai, datetime.now(UTC))
    with pytest.raises(AssignmentNotFound):
        web.assignment_page(console, _as(console, "patricia"), "no-such-assignment", datetime.now(UTC))
    with pytest.raises(AssignmentNotFound):
        web.upload_page(console, _as(console, "patricia"), chiang_mai, "0" * 32, datetime.now(UTC))


def test_the_office_sees_every_group_and_access_rules_are_pure() -> None:
    a, b = make_assignment(group_id=CUSCO), make_assignment(group_id=CHIANG_MAI)
    office = Staff(username="o", role=Role.OFFICE)
    finance = Staff(username="f", role=Role.FINANCE, group_ids=(CUSCO,))
    manager = Staff(username="m", role=Role.MANAGER, group_ids=(CUSCO,))
    assert open_work(office, [b, a]) == sorted([a, b], key=lambda x: (x.due_date, x.assignment_id))
    assert open_work(manager, [a, b]) == [a]
    assert open_work(finance, [a, b]) == []
    assert visible_assignment(manager, a, a.assignment_id) is a
    with pytest.raises(AssignmentNotFound):
        visible_assignment(manager, b, b.assignment_id)


# ---------------------------------------------------------------- pages


def test_the_assignment_page_links_the_papers_and_uploads_to_one_console_key_with_type_and_size_limits(
    console: ConsolePorts,
) -> None:
    assignment_id = _awaiting(console)
    page = web.assignment_page(console, _as(console, "patricia"), assignment_id, datetime.now(UTC))
    assert page.status == 200 and len(page.body.encode()) < 100_000
    key, redirect = _the_one_xlsx_upload_form(console, page, max_mib=5)
    assert key.startswith(f"qc/console/{assignment_id}/")
    assert redirect.startswith(f"{ORIGIN}/console/assignments/{assignment_id}/uploads/")
    # links, never bucket names or keys; no script
    assert "https://objects.invalid/" in page.body
    assert "orders/" not in re.sub(r'(href|value)="[^"]*"', "", page.body)
    assert "<script" not in page.body


def test_the_page_is_in_her_profiles_language_else_her_groups(console: ConsolePorts) -> None:
    _awaiting(console)
    assert '<html lang="es">' in web.home(console, _as(console, "patricia"), datetime.now(UTC)).body
    _identity(console).add_user("patricia", "right-password", "manager", (CUSCO,), locale="th")
    page = web.home(console, _as(console, "patricia"), datetime.now(UTC))
    assert '<html lang="th">' in page.body and "งานค้าง" in page.body
    assert page_language(None, []) == "en" and page_language("en-GB", ["es"]) == "en"
    assert page_language("fr", ["th"]) == "th"


def test_an_upload_is_pending_then_refused_with_its_problems_then_accepted(console: ConsolePorts) -> None:
    ports = console.ports
    assignment_id = _awaiting(console)
    upload_id = "a" * 32
    key = console_qc_upload_key(assignment_id, upload_id)
    request = _as(console, "patricia")

    def page() -> web.Reply:
        return web.upload_page(console, request, assignment_id, upload_id, datetime.now(UTC))

    assert 'http-equiv="refresh"' in page().body  # nothing yet
    stored = ports.uploads.put(key, b"sheet", "application/octet-stream")
    assert 'http-equiv="refresh"' in page().body  # arrived, not read yet
    stem = qc_report_stem(key, stored.version_id or "null")
    ports.uploads.put(f"{stem}.txt", b"Subject\n\n- Sheet QC, cell F7: Passed must be a number\n", "text/plain")
    ports.uploads.put(f"{stem}.xlsx", b"marked", "application/octet-stream")
    refused = page().body
    assert "cell F7: Passed must be a number" in refused and "https://objects.invalid/" in refused
    visible = re.sub(r'href="[^"]*"', "", refused)  # a presigned link names its object; the page's text does not
    assert 'http-equiv="refresh"' not in refused and "qc-reports" not in visible and "qc/console" not in visible
    ports.assignments.record_qc(
        _accepted_sheet(assignment_id), f"{key}#{stored.version_id}"
    )  # the QcUpload stage accepts it
    assert "Aceptada." in page().body


def _accepted_sheet(assignment_id: str) -> object:
    from telar.models import QcSheet

    return QcSheet(
        assignment_id=assignment_id,
        inspected_by="Patricia",
        inspected_on=NOW.date(),
        rows=[make_qc_row()],
    )


def test_an_upload_id_that_is_not_one_the_console_makes_is_not_found(console: ConsolePorts) -> None:
    assignment_id = _awaiting(console)
    with pytest.raises(AssignmentNotFound):
        web.upload_page(console, _as(console, "patricia"), assignment_id, "../../x", datetime.now(UTC))


def test_upload_outcomes_are_read_from_what_the_stage_recorded() -> None:
    assignment = make_assignment(status=AssignmentStatus.QC_DONE, qc_upload="qc/console/a/b.xlsx#2")
    assert upload_result(assignment, None, None).outcome == Outcome.MISSING
    assert upload_result(assignment, "qc/console/a/b.xlsx#2", None).outcome == Outcome.ACCEPTED
    assert upload_result(assignment, "qc/console/a/b.xlsx#1", "- x").problems == ("x",)
    assert upload_result(assignment, "qc/console/a/c.xlsx#1", None).outcome == Outcome.PENDING
    assert problems_from_report("Hello\n\n- one\n-  \n- two\n") == ("one", "two")


def test_every_page_sends_a_csp_without_script_and_the_stylesheet_is_versioned_and_cacheable(
    console: ConsolePorts,
) -> None:
    page = web.sign_in_page(web.WebRequest(ORIGIN))
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe-inline" not in csp
    assert f"/console/static/{web.STYLESHEET_VERSION}/console.css" in page.body
    css = web.stylesheet(web.STYLESHEET_VERSION)
    assert css.status == 200 and "immutable" in css.headers["Cache-Control"]
    assert web.stylesheet("old").status == 404


def test_behind_api_gateway_links_carry_the_stage_and_cookies_are_secure() -> None:
    request = web.web_request(
        {"Host": "abc.execute-api.us-east-1.amazonaws.com", "X-Forwarded-Proto": "https", "Cookie": "a=1; b=2"},
        domain_name="abc.execute-api.us-east-1.amazonaws.com",
        stage="v1",
        path="/v1/console/sign-in",
        body="csrf=x&username=p",
        method="POST",
    )
    assert request.prefix == "/v1" and request.secure and request.cookies == {"a": "1", "b": "2"}
    assert request.form == {} and request.url("/console") == "/v1/console"  # no form content type: no form
    local = web.web_request(
        {"host": "127.0.0.1:3000", "content-type": "application/x-www-form-urlencoded"},
        domain_name="127.0.0.1:3000",
        stage="v1",
        path="/v1/console/sign-in",  # the local cloud serves under the stage too
        body="csrf=x&username=p",
        method="POST",
    )
    assert local.prefix == "/v1" and not local.secure and local.form == {"csrf": "x", "username": "p"}
    # behind a custom domain (a base path mapping) the browser's path has no stage: neither do the links
    custom = web.web_request(
        {"Host": "console.example.org", "X-Forwarded-Proto": "https"},
        domain_name="console.example.org",
        stage="v1",
        path="/console/sign-in",
        body=None,
        method="GET",
    )
    assert custom.prefix == "" and custom.url("/console") == "/console"


def test_the_console_texts_translate_every_text_of_the_pages_with_its_placeholders(tmp_path: object) -> None:
    assert set(CONSOLE_TEXTS) == {"es", "th"}
    from pathlib import Path

    folder = Path(str(tmp_path)) / "console_texts"
    folder.mkdir()
    (folder / "es.json").write_text('{"Assignment %(id)s": "Asignación"}', encoding="utf-8")
    with pytest.raises(ValueError, match="placeholders"):
        _load_mail_texts(folder, {"Assignment %(id)s"})
    assert (TEMPLATES / "console_texts" / "th.json").exists()


def test_sign_out_with_the_pages_token_ends_the_session(console: ConsolePorts) -> None:
    token = _identity(console).token_for("patricia")
    request = web.WebRequest(ORIGIN, cookies={SESSION_COOKIE: token}, form={"csrf": csrf_token(token)})
    reply = web.sign_out(console, request, datetime.now(UTC))
    assert reply.status == 303 and any(c.startswith(f"{SESSION_COOKIE}=;") and "Max-Age=0" in c for c in reply.cookies)


def test_a_session_token_expired_an_hour_ago_means_sign_in(console: ConsolePorts) -> None:
    token = _identity(console).token_for("patricia")
    with pytest.raises(NotSignedIn):
        web.home(
            console, web.WebRequest(ORIGIN, cookies={SESSION_COOKIE: token}), datetime.now(UTC) + timedelta(hours=2)
        )


def test_the_office_sees_every_order_with_its_groups_and_those_that_need_attention_first_with_the_reason(
    console: ConsolePorts,
) -> None:
    # Given an order in production at two groups, and one a stage gave up on
    cusco = _awaiting(console, CUSCO, "ord-1")
    stuck = make_order("ord-2", status=OrderStatus.NEEDS_ATTENTION, attention_detail="PayrollFailed: no wage rule")
    console.ports.orders.create_order(stuck)
    # When the office opens the console
    page = web.home(console, _as(console, "office"), datetime.now(UTC)).body
    # Then the stuck order leads, with the staff-side reason; the other shows its group's stage and links to it
    attention = page[page.index('id="attention"') : page.index('id="all"')]
    assert "ord-2" in attention and "PayrollFailed: no wage rule" in attention and "ord-1" not in attention
    assert (
        f"/console/assignments/{cusco}" in page
        and "Taller Cusco</a>: Waiting for the QC sheet" in page
        and "AWAITING_QC" not in page
    )
    # And a manager has no such page: hers is her open work
    assert 'id="attention"' not in web.home(console, _as(console, "patricia"), datetime.now(UTC)).body


def test_finance_sees_the_recent_pay_periods_with_their_files_and_runs_one_on_demand(console: ConsolePorts) -> None:
    # Given finance, and a filed pay run for this month
    identity = _identity(console)
    identity.add_user("finance", "finance-password", "finance")
    today = datetime.now(UTC)
    period = f"{today.year:04d}-{today.month:02d}"
    key = f"payroll/periods/{period}/payroll-{period}-{CUSCO}-PEN.xlsx"
    run = console.ports.earnings.start_pay_run(period).model_copy(update={"status": "SENT", "files": [key]})
    console.ports.earnings.save_pay_run(run)
    # When she opens the console
    page = web.home(console, _as(console, "finance"), today).body
    # Then each recent period shows its state, and this one its file by name with a link (no folder shown)
    assert f"payroll-{period}-{CUSCO}-PEN.xlsx</a>" in page and page.count('<option value="') == 6
    assert "payroll/periods" not in re.sub(r'href="[^"]*"', "", page)
    # When she runs a period without the page's token, or one that is not offered, nothing runs
    runner = console.pay_runner
    assert isinstance(runner, RecordingPayRunner)
    with pytest.raises(CsrfRefused):
        web.run_pay_period(console, _as(console, "finance", period=period), today)
    token = csrf_token(_as(console, "finance").cookies[SESSION_COOKIE])
    with pytest.raises(NotFound):
        web.run_pay_period(console, _as(console, "finance", period="1999-01", csrf=token), today)
    assert runner.started == []
    # When she runs it with the form as the page gave it
    request = _as(console, "finance", period=period)
    request = web.WebRequest(
        ORIGIN, cookies=request.cookies, form={"period": period, "csrf": csrf_token(request.cookies[SESSION_COOKIE])}
    )
    reply = web.run_pay_period(console, request, today)
    # Then the pay run starts, and she follows it on the period's page
    assert runner.started == [period] and reply.headers["Location"] == f"/console/pay-periods/{period}"
    assert "refresh" not in web.pay_period_page(console, request, period, today).body  # SENT: nothing to wait for
    # And nobody else may run it or see it
    with pytest.raises(NotFound):
        web.pay_period_page(console, _as(console, "patricia"), period, today)
    with pytest.raises(NotFound):
        web.run_pay_period(console, _as(console, "office", period=period), today)


def test_a_manager_gets_her_groups_payslips_to_print_and_no_one_elses(console: ConsolePorts) -> None:
    today = datetime.now(UTC)
    period = f"{today.year:04d}-{today.month:02d}"
    slips = [
        f"payroll/periods/{period}/payslips-{period}-{g}-{c}.html" for g, c in ((CUSCO, "PEN"), (CHIANG_MAI, "THB"))
    ]
    run = console.ports.earnings.start_pay_run(period).model_copy(update={"status": "SENT", "payslips": slips})
    console.ports.earnings.save_pay_run(run)
    page = web.home(console, _as(console, "patricia"), today).body
    assert f"payslips-{period}-{CUSCO}-PEN.html" in page and CHIANG_MAI not in page


def test_her_page_lists_the_reminders_due_as_the_daily_reminder_decides_them(console: ConsolePorts) -> None:
    # Given two assignments of her group: one due long ago, one due in the future
    late = _awaiting(console, CUSCO, "ord-1")  # make_order's ship date is in 2025: long past
    ports = console.ports
    order = make_order("ord-3", requested_ship_date=(datetime.now(UTC) + timedelta(days=60)).date())
    ports.orders.create_order(order)
    on_time = make_assignment(order, group_id=CUSCO)
    ports.assignments.create_assignments(PlanWrite("ord-3", [on_time]))
    ports.assignments.await_qc(on_time.assignment_id, "token")
    # When she opens the console
    page = web.home(console, _as(console, "patricia"), datetime.now(UTC)).body
    reminders = page[page.index('class="reminders"') : page.index("</ul>", page.index('class="reminders"'))]
    # Then only the late one is reminded, with how late it is
    assert late in reminders and on_time.assignment_id not in reminders and "días de retraso" in reminders


def test_the_office_sees_whose_chosen_photo_is_missing_and_nobody_else_sees_the_page(console: ConsolePorts) -> None:
    # Given the reference makers (each with a photo file named), one photo uploaded
    ref = console.ports.reference.load_reference()
    chose = [m for m in ref.makers if m.active and m.consent_on(datetime.now(UTC).date()).photo and m.photo_file]
    uploaded, missing = chose[0], chose[1]
    console.ports.uploads.put(f"photos/{uploaded.photo_file}", b"png", "image/png")
    # When the office opens the makers' page
    page = web.makers_page(console, _as(console, "office"), datetime.now(UTC)).body
    # Then the maker whose chosen photo is missing is listed as such, the one uploaded is not
    listed = page[page.index('class="missing"') : page.index("</ul>", page.index('class="missing"'))]
    assert missing.worker_id in listed and uploaded.worker_id not in listed
    with pytest.raises(NotFound):
        web.makers_page(console, _as(console, "patricia"), datetime.now(UTC))


# ---------------------------------------------------------------- the office's actions on an order


def _office_form(console: ConsolePorts, **form: str) -> web.WebRequest:
    token = _identity(console).token_for("office")
    return web.WebRequest(ORIGIN, cookies={SESSION_COOKIE: token}, form={"csrf": csrf_token(token), **form})


def _act(console: ConsolePorts, order_id: str, **form: str) -> str:
    """The office posts the order page's form; returns the outcome the page is then shown with."""
    reply = web.order_action(console, _office_form(console, **form), order_id, datetime.now(UTC))
    assert reply.status == 303
    location = reply.headers["Location"]
    assert location.startswith(f"/console/orders/{order_id}?done=")
    return location.split("=", 1)[1]


def _order_page(console: ConsolePorts, order_id: str, done: str = "") -> str:
    request = web.WebRequest(ORIGIN, cookies=_as(console, "office").cookies, query={"done": done} if done else {})
    return web.order_page(console, request, order_id, datetime.now(UTC)).body


def _workflow(console: ConsolePorts) -> RecordingWorkflow:
    workflow = console.ports.workflow
    assert isinstance(workflow, RecordingWorkflow)
    return workflow


def test_the_office_retries_a_start_that_failed_once_however_often_the_form_is_sent(console: ConsolePorts) -> None:
    # Given an order stored whose pipeline could not be started (Step Functions refused)
    ports = console.ports
    order = make_order("ord-start", status=OrderStatus.RECEIVED)
    ports.orders.create_order(order)
    workflow = _workflow(console)
    workflow.start_failures = 1
    assert not pipeline_start.start_pipeline(ports, order)
    # When the office opens the console
    home = web.home(console, _as(console, "office"), datetime.now(UTC)).body
    attention = home[home.index('id="attention"') : home.index('id="all"')]
    # Then the order needs attention, with why in her words, and its page offers to retry the start
    assert "ord-start" in attention and "could not be started" in attention
    assert 'value="retry-start"' in _order_page(console, "ord-start")
    # When she retries it without the page's token, nothing starts
    with pytest.raises(CsrfRefused):
        web.order_action(console, _as(console, "office", action="retry-start"), "ord-start", datetime.now(UTC))
    assert workflow.started == []
    # When Step Functions refuses again, the page says so and the sweeper keeps the order
    workflow.start_failures = 1
    assert _act(console, "ord-start", action="retry-start") == "start-failed"
    assert ports.orders.get_order("ord-start").status is OrderStatus.START_PENDING  # type: ignore[union-attr]
    # When she retries and it starts, then sends the same form again
    assert _act(console, "ord-start", action="retry-start") == "started"
    assert _act(console, "ord-start", action="retry-start") == "already"
    # Then the pipeline was started once, the order left the sweeper's list, and the page says what happened
    assert workflow.started == ["ord-start"]
    assert list(ports.orders.start_pending_orders(before=datetime.now(UTC) + timedelta(days=1))) == []
    page = _order_page(console, "ord-start", "started")
    assert 'role="status"' in page and "Started: its production is under way." in page
    assert 'value="retry-start"' not in page


def test_the_office_releases_the_bookings_of_an_order_whose_run_was_stopped_and_not_while_it_runs(
    console: ConsolePorts,
) -> None:
    # Given an order in production whose work at Cusco books a maker's time next month
    ports = console.ports
    order = make_order("ord-held")
    ports.orders.create_order(order)
    week = week_of(datetime.now(UTC).date() + timedelta(days=28))
    worker = make_assignment(order).lines[0].per_maker
    maker = next(iter(worker))
    booked = {maker: {week: 600}}
    assignment = make_assignment(order, booked=booked)
    ports.assignments.create_assignments(
        PlanWrite("ord-held", [assignment], [CapacityLedger(group_id=CUSCO, version=1, booked=booked)])
    )
    ports.assignments.await_qc(assignment.assignment_id, "token")
    workflow = _workflow(console)
    workflow.start_order("ord-held")
    # While its run goes on, releasing is neither offered nor done
    assert 'value="release-bookings"' not in _order_page(console, "ord-held")
    assert _act(console, "ord-held", action="release-bookings") == "still-running"
    assert ports.assignments.get_assignment(assignment.assignment_id).status is AssignmentStatus.AWAITING_QC  # type: ignore[union-attr]
    # When its execution is stopped by hand (an operator's stop-execution)
    workflow.executions_ended["ord-held"] = "ABORTED"
    # Then the office sees it needs attention: its work still holds the makers' time
    home = web.home(console, _as(console, "office"), datetime.now(UTC)).body
    attention = home[home.index('id="attention"') : home.index('id="all"')]
    assert "ord-held" in attention and "still holds the makers" in attention
    assert 'value="release-bookings"' in _order_page(console, "ord-held")
    # When she releases its bookings, twice
    assert _act(console, "ord-held", action="release-bookings") == "released"
    assert _act(console, "ord-held", action="release-bookings") == "nothing-to-release"
    # Then the work is cancelled, the maker's minutes are free again, and the order no longer needs her
    assert ports.assignments.get_assignment(assignment.assignment_id).status is AssignmentStatus.CANCELLED  # type: ignore[union-attr]
    ledger = ports.assignments.capacity_ledgers([CUSCO])[CUSCO]
    assert ledger.booked.get(maker, {}).get(week, 0) == 0
    home = web.home(console, _as(console, "office"), datetime.now(UTC)).body
    assert "ord-held" not in home[home.index('id="attention"') : home.index('id="all"')]


def test_the_office_sends_a_groups_papers_again_once_per_form(console: ConsolePorts) -> None:
    # Given an order whose Cusco work waits for its QC sheet, its papers written
    ports = console.ports
    assignment_id = _awaiting(console, CUSCO, "ord-papers")
    for key in ("orders/ord-papers/w.xlsx", "q.xlsx"):
        ports.artifacts.put(key, b"PK-sheet", "application/octet-stream")
    _workflow(console).start_order("ord-papers")
    page = _order_page(console, "ord-papers")
    nonce = re.search(r'name="nonce" value="([0-9a-f]{32})"', page)
    assert nonce is not None and f'name="assignment_id" value="{assignment_id}"' in page
    form = {"action": "resend-papers", "assignment_id": assignment_id, "nonce": nonce.group(1)}
    # When she sends the form, and the same form again (a double click)
    assert _act(console, "ord-papers", **form) == "resent"
    assert _act(console, "ord-papers", **form) == "resent"
    # Then the group's manager gets the papers once, both attached
    mails = sent_mails(ports)
    group = ports.reference.load_reference().group(CUSCO)
    assert len(mails) == 1 and mails[0].to == [str(group.manager_email)]
    assert len(list(mails[0].message.iter_attachments())) == 2
    # And a new page's form sends them again; another group's or a finished assignment's id sends nothing
    assert _act(console, "ord-papers", **{**form, "nonce": "b" * 32}) == "resent"
    assert (
        _act(console, "ord-papers", **{**form, "nonce": "c" * 32, "assignment_id": "ord-x-th-chiangmai"}) == "already"
    )
    assert len(sent_mails(ports)) == 2


def test_only_the_office_sees_an_order_or_acts_on_it(console: ConsolePorts) -> None:
    _awaiting(console, CUSCO, "ord-1")
    identity = _identity(console)
    identity.add_user("finance", "finance-password", "finance")
    for who in ("patricia", "finance"):
        token = identity.token_for(who)
        request = web.WebRequest(ORIGIN, cookies={SESSION_COOKIE: token}, form={"csrf": csrf_token(token)})
        with pytest.raises(NotFound):
            web.order_page(console, request, "ord-1", datetime.now(UTC))
        with pytest.raises(NotFound):
            web.order_action(
                console,
                web.WebRequest(ORIGIN, cookies=request.cookies, form={**request.form, "action": "retry-start"}),
                "ord-1",
                datetime.now(UTC),
            )
    with pytest.raises(NotFound):
        _order_page(console, "no-such-order")
    with pytest.raises(NotFound):
        _act(console, "ord-1", action="drop-table")
    with pytest.raises(NotSignedIn):
        web.order_page(console, web.WebRequest(ORIGIN), "ord-1", datetime.now(UTC))
    assert _workflow(console).started == []


# ---------------------------------------------------------------- the reference workbook from the console


def _reference_upload(console: ConsolePorts, upload_id: str, data: bytes) -> str:
    """The office's browser posts the workbook with the page's form, then the ReferenceUpload stage reads it."""
    key = console_reference_upload_key(upload_id)
    stored = console.ports.uploads.put(key, data, "application/octet-stream")
    return accept_reference_upload(console.ports, key, stored.version_id)


def test_the_office_downloads_the_workbook_in_force_and_uploads_one_with_type_and_size_limits(
    console: ConsolePorts,
) -> None:
    # Given reference data in force, exported as the workbook staff edit
    console.ports.uploads.put("reference-exports/current.xlsx", b"PK-book", "application/octet-stream")
    # When the office opens the reference page
    page = web.reference_page(console, _as(console, "office"), datetime.now(UTC))
    # Then it links the workbook in force (a presigned link, no key shown) and its form uploads one .xlsx of at most
    # 10 MB to a key of its own under reference/
    assert page.status == 200 and len(page.body.encode()) < 100_000
    assert "https://objects.invalid/reference-exports/current.xlsx" in page.body
    assert "reference-exports" not in re.sub(r'(href|value)="[^"]*"', "", page.body)
    key, redirect = _the_one_xlsx_upload_form(console, page, max_mib=10)
    assert re.fullmatch(r"reference/console/[0-9a-f]{32}\.xlsx", key)
    assert redirect.startswith(f"{ORIGIN}/console/reference/uploads/")
    # And nobody but the office has the page, or an upload's
    _identity(console).add_user("finance", "finance-password", "finance")
    for who in ("patricia", "finance"):
        with pytest.raises(NotFound):
            web.reference_page(console, _as(console, who), datetime.now(UTC))
        with pytest.raises(NotFound):
            web.reference_upload_page(console, _as(console, who), "a" * 32, datetime.now(UTC))
    with pytest.raises(NotFound):
        web.reference_upload_page(console, _as(console, "office"), "../../x", datetime.now(UTC))


def test_a_reference_upload_from_the_console_shows_what_the_stage_made_of_it(console: ConsolePorts) -> None:
    def page(upload_id: str) -> str:
        return web.reference_upload_page(console, _as(console, "office"), upload_id, datetime.now(UTC)).body

    # Given nothing uploaded yet under the form's key: the page waits, reloading itself
    assert 'http-equiv="refresh"' in page("a" * 32)
    # When the office uploads a workbook with a mistake in a cell
    book = sample_book()
    workbook = openpyxl.load_workbook(BytesIO(write_reference_book(book)))
    workbook["groups"].cell(row=2, column=1).value = None  # a group without its id
    broken = BytesIO()
    workbook.save(broken)
    assert _reference_upload(console, "b" * 32, broken.getvalue()) == "rejected"
    # Then its page names the sheet and cell, links the marked copy, and stops reloading
    refused = page("b" * 32)
    assert "groups" in refused and "A2" in refused and 'class="outcome refused"' in refused
    assert 'http-equiv="refresh"' not in refused and "download>" in refused
    assert "reference-reports" not in re.sub(r'href="[^"]*"', "", refused)
    # When she uploads it right
    assert _reference_upload(console, "c" * 32, write_reference_book(book)) == "applied"
    # Then it is accepted as the version now in force
    version = console.ports.reference.reference_version()
    assert version == 2
    assert f"version {version}" in page("c" * 32) and 'class="outcome accepted"' in page("c" * 32)
    # And the same workbook again is accepted as changing nothing
    assert _reference_upload(console, "d" * 32, write_reference_book(book)) == "unchanged"
    assert "nothing changed" in page("d" * 32)


# ---------------------------------------------------------------- a manager's attendance sheets from the console


def test_a_manager_downloads_her_groups_attendance_sheet_and_uploads_it_to_a_key_of_her_group(
    console: ConsolePorts,
) -> None:
    # Given this month's attendance sheet of her group, as the monthly run writes it
    now = datetime.now(UTC)
    month = f"{now.year:04d}-{now.month:02d}"
    console.ports.artifacts.put(f"attendance/{month}/attendance-{CUSCO}-{month}.xlsx", b"PK", "application/x")
    # When she opens the console, Then her page links her group's attendance sheets (and no other group's)
    home = web.home(console, _as(console, "patricia"), now).body
    assert f"/console/groups/{CUSCO}/attendance" in home and f"/console/groups/{CHIANG_MAI}/" not in home
    # When she opens them
    page = web.attendance_page(console, _as(console, "patricia"), CUSCO, now)
    # Then the month's sheet is there to download (a presigned link, no key shown), and the form uploads one .xlsx
    # of at most 5 MB to a key of her group under attendance/
    assert page.status == 200 and len(page.body.encode()) < 100_000 and '<html lang="es">' in page.body
    assert f"https://objects.invalid/attendance/{month}/attendance-{CUSCO}-{month}.xlsx" in page.body
    assert "attendance/" not in re.sub(r'(href|value|action)="[^"]*"', "", page.body)
    key, redirect = _the_one_xlsx_upload_form(console, page, max_mib=5)
    assert re.fullmatch(rf"attendance/console/{CUSCO}/[0-9a-f]{{32}}\.xlsx", key)
    assert redirect.startswith(f"{ORIGIN}/console/groups/{CUSCO}/attendance/uploads/")
    # And another group's page and uploads are not found for her, by link or by id; nor for finance
    _identity(console).add_user("finance", "finance-password", "finance")
    for who, group in (("patricia", CHIANG_MAI), ("patricia", "no-such-group"), ("finance", CUSCO)):
        with pytest.raises(NotFound):
            web.attendance_page(console, _as(console, who), group, now)
        with pytest.raises(NotFound):
            web.attendance_upload_page(console, _as(console, who), group, "a" * 32, now)
    with pytest.raises(NotFound):
        web.attendance_upload_page(console, _as(console, "patricia"), CUSCO, "../x", now)
    with pytest.raises(NotSignedIn):
        web.attendance_page(console, web.WebRequest(ORIGIN), CUSCO, now)


def test_an_attendance_upload_from_the_console_shows_what_the_stage_made_of_it(console: ConsolePorts) -> None:
    ref = console.ports.reference.load_reference()

    def upload(upload_id: str, data: bytes) -> str:
        key = console_attendance_upload_key(CUSCO, upload_id)
        stored = console.ports.uploads.put(key, data, "application/octet-stream")
        return accept_attendance_upload(console.ports, key, stored.version_id)

    def page(upload_id: str) -> str:
        return web.attendance_upload_page(console, _as(console, "patricia"), CUSCO, upload_id, datetime.now(UTC)).body

    # Given nothing uploaded yet: the page waits, reloading itself
    assert 'http-equiv="refresh"' in page("a" * 32)
    # When she uploads another group's sheet from her page, Then it is refused at its Group ID cell
    assert upload("b" * 32, fill_attendance(ref, CHIANG_MAI, "2025-05", {})) == "rejected"
    refused = page("b" * 32)
    assert 'class="outcome refused"' in refused and CUSCO in refused and 'http-equiv="refresh"' not in refused
    # When she uploads her group's sheet, Then it is accepted
    hours = {("CUS-01", datetime(2025, 5, 5).date()): {"Present": 5, "Training": 3}}
    assert upload("c" * 32, fill_attendance(ref, CUSCO, "2025-05", hours)) == "accepted"
    accepted = page("c" * 32)
    assert 'class="outcome accepted"' in accepted and "Aceptada." in accepted
