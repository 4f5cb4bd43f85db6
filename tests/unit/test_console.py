"""The staff console on the in-memory fakes: who is signed in (tokens, CSRF), what she may see, what each page shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from joserfc.jwk import RSAKey

from telar.artifacts import console_qc_upload_key, qc_report_stem
from telar.console import web
from telar.console.access import open_work, visible_assignment
from telar.console.session import (
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
from telar.ports import ConsolePorts
from telar.rendering import TEMPLATES, _load_mail_texts
from tests.factories import CHIANG_MAI, CUSCO, make_assignment, make_order, make_qc_row, make_reference
from tests.fakes import MemoryIdentity, MemoryUploadForms, RecordingPayRunner, memory_console_ports

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


def _awaiting(console: ConsolePorts, group_id: str = CUSCO, order_id: str = "ord-1") -> str:
    order = make_order(order_id)
    assignment = make_assignment(
        order, group_id=group_id, worksheet_key=f"orders/{order_id}/w.xlsx", qc_template_key="q.xlsx"
    )
    console.ports.orders.create_order(order)
    console.ports.assignments.create_assignments(order_id, [assignment])
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
    forms = console.upload_forms
    assert isinstance(forms, MemoryUploadForms)
    ((key, form),) = forms.forms.items()
    assert key.startswith(f"qc/console/{assignment_id}/")
    assert form["content_type"].endswith("spreadsheetml.sheet") and form["max_bytes"] == 5 * 1024 * 1024
    assert form["redirect"].startswith(f"{ORIGIN}/console/assignments/{assignment_id}/uploads/")
    # links, never bucket names or keys; every input labelled; no script; the form may post to the upload's origin
    assert "https://objects.invalid/" in page.body
    assert "orders/" not in re.sub(r'(href|value)="[^"]*"', "", page.body)
    assert "<script" not in page.body
    for input_id in re.findall(r'<input id="([^"]+)"', page.body):
        assert f'<label for="{input_id}">' in page.body
    assert "form-action 'self' https://uploads.invalid" in page.headers["Content-Security-Policy"]


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
    assert f"/console/assignments/{cusco}" in page and "AWAITING_QC" in page
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
    ports.assignments.create_assignments("ord-3", [on_time])
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
