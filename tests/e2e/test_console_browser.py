"""The staff console in a real browser (Debian's chromium, driven by Playwright): a manager signs in, finds her
group's new assignment, downloads its QC template, uploads it filled from the page, and reads the outcome there;
another group's manager cannot reach that work. Security checks over plain HTTP too: no session, no CSRF token,
an upload over the size limit. Screenshots in out/console/.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import openpyxl
import pytest
import requests

from local.cloud import free_port
from local.demo import Demo, client_options
from local.manager import RowResult, fill_qc_sheet
from telar.adapters.dynamo.orders import DynamoOrders
from telar.artifacts import qc_template_name
from telar.models import OrderStatus, ReferenceData
from telar.sheets.attendance_sheet import ATTENDANCE_SHEET
from tests.attendance_sheets import header_row
from tests.conftest import ROOT, SAMPLES
from tests.e2e.conftest import mails
from tests.waiting import read_outputs, wait_for

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core-4.10.3.min.js"  # vendored: no network at test time
SCREENSHOTS = ROOT / "out" / "console"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium for the module (.ci/run installs Debian's; Playwright from the dev requirements drives it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def order(served: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An order of its own, waiting for QC from at least two groups."""
    folder = tmp_path_factory.mktemp("console")
    demo = _sample_demo(served, folder)
    [order_id] = demo.submit_orders([_own_sample(folder, "console-browser", -1)])
    [waiting] = demo.wait_for([order_id], demo.every_group_awaits_qc, "QC waits")
    groups = [g["group_id"] for g in waiting["groups"]]
    assert len(groups) >= 2, groups
    return {"order_id": order_id, "groups": groups, "ref": demo.ref, "demo": demo}


def _sample_demo(cloud: dict[str, Any], folder: Path, kind: type[Demo] = Demo) -> Demo:
    """A ``kind`` of Demo driving ``cloud`` on the sample reference data, its files in ``folder``."""
    return kind(cloud, ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text()), out_dir=folder)


def _own_sample(folder: Path, name: str, index: int) -> Path:
    """A sample order under a buyer reference of its own: other tests find their buyer's mails by reference."""
    body = json.loads(sorted((SAMPLES / "orders").glob("*.json"))[index].read_text(encoding="utf-8"))
    body["buyer_reference"] = f"CONSOLE-{name}"
    path = folder / f"{name}.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def _manager(served: dict[str, Any], group_id: str) -> dict[str, Any]:
    return next(s for s in served["staff"] if s["role"] == "manager" and s["group_id"] == group_id)


def _staff(served: dict[str, Any], role: str) -> dict[str, Any]:
    """The first sample staff member with ``role``."""
    return next(s for s in served["staff"] if s["role"] == role)


def _sign_in_page(page: Any, cloud: dict[str, Any], person: dict[str, Any], then: str = "main h1") -> None:
    """Signs ``person`` in on the browser's sign-in page and waits for the selector ``then``."""
    page.goto(f"{cloud['console_url']}/sign-in")
    page.fill("#username", person["username"])
    page.fill("#password", person["password"])
    page.click("button[type=submit]")
    page.wait_for_selector(then)


def _sign_in_over_http(served: dict[str, Any], person: dict[str, Any]) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{served['console_url']}/sign-in", timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    reply = session.post(
        f"{served['console_url']}/sign-in",
        data={"csrf": csrf.group(1), "username": person["username"], "password": person["password"]},
        allow_redirects=False,
        timeout=30,
    )
    assert reply.status_code == 303, reply.text
    return session


def _presigned_form(html: str) -> tuple[str, dict[str, str]]:
    """The upload form's S3 URL and hidden fields, as a page gave them."""
    action = re.search(r'<form method="post" action="([^"]+)" enctype', html)
    assert action is not None
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    return action.group(1).replace("&amp;", "&"), {k: v.replace("&amp;", "&") for k, v in fields.items()}


def _shot(page: Any, name: str) -> None:
    """A screenshot in out/console/, and the page checked by axe-core: no serious or critical violation."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    # Evaluated through the DevTools protocol, which the page's CSP (no script at all) does not govern.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))})))"
    )
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name}: {serious}"


def _bad_then_good(template: bytes, inspected_by: str) -> tuple[bytes, bytes]:
    """The sheet filled with an unknown defect code on its first row (refused), and filled right (accepted)."""
    first: list[tuple[str, str]] = []

    def wrong(worker_id: str, sku: str, planned: int) -> RowResult:
        if not first:
            first.append((worker_id, sku))
            return RowResult(planned, 1, "NOT-A-DEFECT", Decimal(planned))
        return RowResult(planned, 0, "", Decimal(planned))

    def right(worker_id: str, sku: str, planned: int) -> RowResult:
        return RowResult(planned, 0, "", Decimal(planned))

    return (
        fill_qc_sheet(template, inspected_by, date.today(), wrong),
        fill_qc_sheet(template, inspected_by, date.today(), right),
    )


def test_a_manager_uploads_her_qc_sheet_from_the_console_and_another_manager_cannot_reach_it(
    served: dict[str, Any], order: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    order_id, (first, second) = order["order_id"], order["groups"][:2]
    assignment_id = f"{order_id}-{first}"
    her, other = _manager(served, first), _manager(served, second)
    context = browser.new_context(viewport=PHONE, accept_downloads=True)
    page = context.new_page()
    csp_violations: list[str] = []
    page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(len(r.body())) if r.url.startswith(served["console_url"]) else None)

    # Given a manager on the sign-in page (the console sends her there without a session)
    page.goto(served["console_url"])
    assert page.url.endswith("/console/sign-in")
    _shot(page, "1-sign-in")
    # When she signs in
    page.fill("#username", her["username"])
    page.fill("#password", her["password"])
    page.click("button[type=submit]")
    # Then she sees her group's new assignment, in her group's language
    link = page.locator(f"a[href$='/console/assignments/{assignment_id}']")
    link.wait_for()
    assert page.locator("html").get_attribute("lang") == order["ref"].group(first).language
    _shot(page, "2-open-work")

    # When she opens it and downloads the QC template
    link.click()
    page.wait_for_selector("#file")
    _shot(page, "3-assignment")
    with page.expect_download() as download:
        page.locator("ul.papers a").nth(1).click()
    template = Path(download.value.path()).read_bytes()
    bad, good = _bad_then_good(template, order["ref"].group(first).manager_name)
    (tmp_path / "qc-con-errores.xlsx").write_bytes(bad)
    (tmp_path / "qc-hecho.xlsx").write_bytes(good)

    # And uploads it, filled with a mistake, from the page
    page.set_input_files("#file", str(tmp_path / "qc-con-errores.xlsx"))
    page.click("form[enctype] button[type=submit]")
    # Then the page shows the problems by cell, and links the copy with the cells marked
    page.wait_for_selector(".outcome.refused", timeout=60_000)
    problems = page.locator(".problems li").all_inner_texts()
    assert any("NOT-A-DEFECT" in p for p in problems), problems
    assert page.locator(".outcome.refused a[download]").count() == 1
    _shot(page, "4-upload-refused")

    # When she uploads it filled right
    page.locator(f"a[href$='/console/assignments/{assignment_id}']").click()
    page.set_input_files("#file", str(tmp_path / "qc-hecho.xlsx"))
    page.click("form[enctype] button[type=submit]")
    # Then it is accepted, within seconds, on the page
    page.wait_for_selector(".outcome.accepted", timeout=60_000)
    _shot(page, "5-upload-accepted")
    assert csp_violations == []
    assert sizes and max(sizes) < 100_000
    context.close()

    # When the other group's manager signs in
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    _sign_in_page(page, served, other)
    # Then the first group's work is neither listed nor reachable, by link or by id
    assert page.locator(f"a[href$='/console/assignments/{assignment_id}']").count() == 0
    reply = page.goto(f"{served['console_url']}/assignments/{assignment_id}")
    assert reply is not None and reply.status == 404
    _shot(page, "6-other-group-not-found")
    reply = page.goto(f"{served['console_url']}/assignments/{assignment_id}/uploads/{'0' * 32}")
    assert reply is not None and reply.status == 404
    context.close()


def test_no_session_means_sign_in_and_a_form_without_its_csrf_token_is_refused(
    served: dict[str, Any], order: dict[str, Any]
) -> None:
    console = served["console_url"]
    for path in (
        "",
        "/assignments/anything",
        "/assignments/a/uploads/" + "0" * 32,
        "/orders/anything",
        "/reference",
        "/reference/uploads/" + "0" * 32,
        "/groups/pe-cusco/attendance",
        "/groups/pe-cusco/attendance/uploads/" + "0" * 32,
    ):
        reply = requests.get(f"{console}{path}", allow_redirects=False, timeout=30)
        assert reply.status_code == 303 and reply.headers["Location"].endswith("/console/sign-in")
    reply = requests.post(
        f"{console}/orders/anything/actions", data={"action": "retry-start"}, allow_redirects=False, timeout=30
    )
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/console/sign-in")
    # the sign-in form without its token
    manager = served["staff"][0]
    reply = requests.post(
        f"{console}/sign-in", data={"username": manager["username"], "password": manager["password"]}, timeout=30
    )
    assert reply.status_code == 403 and "telar_session" not in reply.headers.get("Set-Cookie", "")
    # signing out without the page's token
    session = _sign_in_over_http(served, manager)
    assert session.post(f"{console}/sign-out", data={}, allow_redirects=False, timeout=30).status_code == 403
    assert session.get(console, allow_redirects=False, timeout=30).status_code == 200  # still signed in
    # an office action without the page's token: refused before anything is done
    office = _sign_in_over_http(served, _staff(served, "office"))
    assert office.get(f"{console}/orders/{order['order_id']}", timeout=30).status_code == 200
    refused = office.post(
        f"{console}/orders/{order['order_id']}/actions",
        data={"action": "release-bookings"},
        allow_redirects=False,
        timeout=30,
    )
    assert refused.status_code == 403
    assert {g["stage"] for g in order["demo"].order(order["order_id"])["groups"]} != {"CANCELLED"}
    # every page: a CSP without script, HttpOnly SameSite cookie
    page = session.get(console, timeout=30)
    assert "script" not in page.headers["Content-Security-Policy"] and "<script" not in page.text


def test_a_presigned_upload_over_the_size_limit_or_to_another_key_is_refused_by_s3(
    served: dict[str, Any], order: dict[str, Any]
) -> None:
    # Given the upload form on a manager's assignment page
    group = order["groups"][-1]
    session = _sign_in_over_http(served, _manager(served, group))
    page = session.get(f"{served['console_url']}/assignments/{order['order_id']}-{group}", timeout=30)
    assert page.status_code == 200
    url, fields = _presigned_form(page.text)
    # When a file over 5 MB is posted with it
    too_big = requests.post(url, data=fields, files={"file": ("qc.xlsx", b"x" * (5 * 1024 * 1024 + 1))}, timeout=60)
    # Then S3 refuses it by the policy's size condition
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    # And the same form for another key, or with a forged policy, is refused
    elsewhere = requests.post(
        url, data={**fields, "key": "qc/elsewhere.xlsx"}, files={"file": ("qc.xlsx", b"x")}, timeout=60
    )
    assert elsewhere.status_code == 403
    forged = requests.post(
        url, data={**fields, "policy": fields["policy"][:-4] + "AAAA"}, files={"file": ("q", b"x")}, timeout=60
    )
    assert forged.status_code == 403


def test_the_accessibility_check_finds_what_it_must(browser: Any) -> None:
    # Given a page with an input nobody labelled, When axe-core runs on it as on the console's pages
    page = browser.new_page()
    page.set_content('<!doctype html><html lang="en"><title>t</title><main><input id="x"></main></html>')
    # Then the check fails on it (the console's pages pass the same check in the test above)
    with pytest.raises(AssertionError, match="label"):
        _shot(page, "0-axe-self-check")
    page.close()
    (SCREENSHOTS / "0-axe-self-check.png").unlink(missing_ok=True)


def test_the_office_sees_every_order_with_the_stage_of_each_group(
    served: dict[str, Any], order: dict[str, Any], browser: Any
) -> None:
    # Given the office's user
    office = _staff(served, "office")
    page = browser.new_page(viewport=PHONE)
    # When she signs in, Then the orders page lists the order with a link to each of its groups' work
    _sign_in_page(page, served, office, then="#attention")
    for group_id in order["groups"]:
        assert page.locator(f"a[href$='/console/assignments/{order['order_id']}-{group_id}']").count() == 1
    _shot(page, "7-office-orders")
    # And the makers' page names the maker whose chosen photo is not uploaded (the samples leave out AYA-05's)
    page.click("a[href$='/console/makers']")
    page.wait_for_selector("#missing")
    assert "AYA-05" in page.locator("ul.missing").inner_text()
    _shot(page, "7b-office-makers-photos")
    page.close()


@pytest.fixture(scope="module", autouse=True)
def _private_cloud_starting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen[Any], Path]]:
    """A local cloud of its own (`python -m local.serve`), started with the module so that it comes up while the
    first tests run: a pay run pays every unpaid line of the period and an order that needs attention is listed to
    the office, so the shared cloud's tests must not see them."""
    out = tmp_path_factory.mktemp("console-private")
    ports = {f"TELAR_{name}_PORT": str(free_port()) for name in ("API", "AWS", "SMTP")}
    env = {**os.environ, **ports, "TELAR_OUT_DIR": str(out), "TELAR_LOCAL_VISIBILITY_TIMEOUT": "2"}
    # No rework round: an order whose units are all rejected needs attention after its first QC round.
    command = [sys.executable, "-m", "local.serve", "--parameter", "MaxReworkRounds=0"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    yield process, out
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


@pytest.fixture(scope="module")
def private_cloud(_private_cloud_starting: tuple[subprocess.Popen[Any], Path]) -> dict[str, Any]:
    process, out = _private_cloud_starting
    return {**read_outputs(out / "outputs.json", process), "out": out}


def test_finance_runs_a_pay_period_from_the_console_and_downloads_its_file(
    private_cloud: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    # Given an order whose QC sheets were all accepted (its makers' earnings recorded, unpaid)
    demo = _sample_demo(private_cloud, tmp_path)
    order_ids = demo.submit_orders([_own_sample(tmp_path, "console-finance", 0)])
    demo.fill_and_upload_qc(order_ids)
    # When finance signs in and runs this month's pay period (the first offered)
    page = browser.new_page(viewport=PHONE, accept_downloads=True)
    _sign_in_page(page, private_cloud, _staff(private_cloud, "finance"), then="#period")
    _shot(page, "8-finance-pay-periods")
    page.click("form.stack button[type=submit]")
    # Then the period's page follows the run until its files are there
    page.wait_for_selector("ul.files a", timeout=60_000)
    _shot(page, "9-finance-pay-period-run")
    # And she downloads the payroll workbook
    workbook = page.locator("ul.files a", has_text=".xlsx").first
    with page.expect_download() as download:
        workbook.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"  # a zip: an xlsx
    page.close()


class _RejectingEverything(Demo):
    """Managers who reject every unit: the order runs out of rework rounds (the private cloud allows none)."""

    def manager_counts(self, worker_id: str, sku: str, planned: int, rework: bool = False) -> RowResult:
        product = self.ref.product(sku)
        assert product is not None
        return RowResult(planned, planned, product.defect_codes[0], Decimal(planned))


def test_the_office_sees_an_order_that_needs_attention_with_its_reason(
    private_cloud: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    # Given an order whose every unit was rejected, with no rework round left
    demo = _sample_demo(private_cloud, tmp_path, _RejectingEverything)
    [order_id] = demo.submit_orders([_own_sample(tmp_path, "console-attention", 0)])
    demo.fill_and_upload_qc([order_id])
    stuck = demo.order(order_id)
    assert stuck["status"] == "NEEDS_ATTENTION", stuck["status"]
    # When the office signs in
    page = browser.new_page(viewport=PHONE)
    _sign_in_page(page, private_cloud, _staff(private_cloud, "office"))
    # Then the order leads the needs-attention list, with the staff-side reason
    assert _needing_attention(page, order_id).locator(".reason").inner_text().strip() != ""
    _shot(page, "10-office-needs-attention")
    page.close()


def _needing_attention(page: Any, order_id: str) -> Any:
    """The order's entry in the office's list of orders that need attention, once it shows."""
    item = page.locator("ul.attention li", has_text=order_id)
    item.wait_for()
    return item


def _press(page: Any, value: str) -> None:
    """Presses the button of the order page's form for ``value`` (an action, or the assignment whose papers to
    send again) and waits for the page to say it was done."""
    page.click(f"form:has(input[value='{value}']) button")
    page.wait_for_selector(".outcome.accepted")


def _papers_mails(outbox: Path, assignment_id: str) -> list[Any]:
    return [
        m
        for m in mails(outbox)
        if any(p.get_filename() == qc_template_name(assignment_id) for p in m.iter_attachments())
    ]


def test_the_office_resends_papers_then_releases_the_bookings_of_an_order_whose_run_was_stopped(
    private_cloud: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    # Given an order in production, waiting for its groups' QC sheets
    demo = _sample_demo(private_cloud, tmp_path)
    [order_id] = demo.submit_orders([_own_sample(tmp_path, "console-actions", -1)])
    [waiting] = demo.wait_for([order_id], demo.every_group_awaits_qc, "QC waits")
    group_id = waiting["groups"][0]["group_id"]
    assignment_id = f"{order_id}-{group_id}"
    outbox = Path(private_cloud["outbox_dir"])
    first = wait_for(lambda: _papers_mails(outbox, assignment_id), what="the papers e-mail")
    assert len(first) == 1
    page = browser.new_page(viewport=PHONE)
    _sign_in_page(page, private_cloud, _staff(private_cloud, "office"))
    # When the office opens the order from the list and sends one group's papers again (the manager lost them)
    page.click(f"table a[href$='/console/orders/{order_id}']")
    page.wait_for_selector("#actions")
    assert page.locator("form:has(input[value='release-bookings'])").count() == 0  # its run goes on
    _press(page, assignment_id)
    # Then the page says they were sent, and the manager has them a second time, once
    _shot(page, "11-office-papers-resent")
    wait_for(lambda: len(_papers_mails(outbox, assignment_id)) == 2, what="the papers sent again")

    # When someone stops the order's execution by hand (its bookings stay until a person releases them)
    sfn = boto3.client("stepfunctions", **client_options(private_cloud))
    execution = private_cloud["state_machine_arn"].replace(":stateMachine:", ":execution:") + f":{order_id}"
    sfn.stop_execution(executionArn=execution, error="ByHand", cause="an operator stopped it")
    # Then the office's list shows the order as needing attention, with why
    page.goto(private_cloud["console_url"])
    item = _needing_attention(page, order_id)
    assert "holds the makers" in item.locator(".reason").inner_text()
    # When she opens it and releases its bookings
    item.locator("a").click()
    _press(page, "release-bookings")
    # Then the page says so, and every group's work is cancelled
    _shot(page, "12-office-bookings-released")
    stages = {g["stage"] for g in demo.order(order_id)["groups"]}
    assert stages == {"CANCELLED"}, stages
    # And nothing is left to release, nor papers to send for cancelled work
    assert page.locator("form:has(input[value='release-bookings'])").count() == 0
    assert page.locator("form:has(input[value='resend-papers'])").count() == 0
    assert len(_papers_mails(outbox, assignment_id)) == 2
    page.close()


def test_a_presigned_reference_upload_over_its_size_limit_is_refused_by_s3(served: dict[str, Any]) -> None:
    # Given the office's reference page and its upload form
    office = _staff(served, "office")
    session = _sign_in_over_http(served, office)
    page = session.get(f"{served['console_url']}/reference", timeout=30)
    assert page.status_code == 200
    url, fields = _presigned_form(page.text)
    assert fields["key"].startswith("reference/console/")
    # When a file over 10 MB is posted with it, Then S3 refuses it by the policy's size condition
    too_big = requests.post(url, data=fields, files={"file": ("r.xlsx", b"x" * (10 * 1024 * 1024 + 1))}, timeout=60)
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    # And the form cannot put a file elsewhere under reference/ (the stage would apply it)
    elsewhere = requests.post(url, data={**fields, "key": "reference/x.xlsx"}, files={"file": ("r", b"x")}, timeout=60)
    assert elsewhere.status_code == 403
    # And a manager has no such page
    manager = _staff(served, "manager")
    assert _sign_in_over_http(served, manager).get(f"{served['console_url']}/reference", timeout=30).status_code == 404


def test_the_office_uploads_a_reference_workbook_and_sees_its_outcome(
    private_cloud: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    # Given the office on the reference page
    office = _staff(private_cloud, "office")
    page = browser.new_page(viewport=PHONE, accept_downloads=True)
    _sign_in_page(page, private_cloud, office)
    page.click("a[href$='/console/reference']")
    page.wait_for_selector("#file")
    _shot(page, "13-office-reference")
    # When she downloads the workbook in force and edits a buyer's name, and makes a copy missing a group's id
    with page.expect_download() as download:
        page.locator("a[download]").first.click()
    download.value.save_as(tmp_path / "in-force.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "in-force.xlsx")
    workbook["buyers"]["B2"] = f"{workbook['buyers']['B2'].value} (console)"
    workbook.save(tmp_path / "reference.xlsx")
    workbook["groups"]["A2"] = None
    workbook.save(tmp_path / "reference-broken.xlsx")
    # And uploads the broken one
    page.set_input_files("#file", str(tmp_path / "reference-broken.xlsx"))
    page.click("form[enctype] button[type=submit]")
    # Then the page names the sheet and cell, with the marked copy
    page.wait_for_selector(".outcome.refused", timeout=60_000)
    problems = page.locator(".problems li").all_inner_texts()
    assert any("groups" in p and "A2" in p for p in problems), problems
    _shot(page, "14-office-reference-refused")
    # When she uploads the right one
    page.click("a[href$='/console/reference']")
    page.set_input_files("#file", str(tmp_path / "reference.xlsx"))
    page.click("form[enctype] button[type=submit]")
    # Then it is accepted as the new version in force
    page.wait_for_selector(".outcome.accepted", timeout=60_000)
    assert "version" in page.locator(".outcome").inner_text()
    _shot(page, "15-office-reference-accepted")
    page.close()


def test_a_manager_uploads_her_groups_attendance_sheet_from_the_console_and_sees_it_accepted(
    private_cloud: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    # Given last month's attendance sheets made and mailed (the monthly run, on demand)
    today = date.today()
    last = date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)
    month = f"{last.year:04d}-{last.month:02d}"
    lambda_ = boto3.client("lambda", **client_options(private_cloud))
    reply = lambda_.invoke(
        FunctionName=private_cloud["functions"]["AttendanceSheetsFunction"], Payload=json.dumps({"month": month})
    )
    assert "FunctionError" not in reply, reply["Payload"].read()
    group_id = "pe-cusco"
    her = _manager(private_cloud, group_id)
    # When Cusco's manager signs in and opens her group's attendance sheets
    page = browser.new_page(viewport=PHONE, accept_downloads=True)
    _sign_in_page(page, private_cloud, her)
    page.click(f"a[href$='/console/groups/{group_id}/attendance']")
    page.wait_for_selector("#file")
    _shot(page, "16-manager-attendance")
    # And downloads last month's sheet and writes a maker's training hours in it
    with page.expect_download() as download:
        page.locator("ul.papers a", has_text=month).click()
    download.value.save_as(tmp_path / "asistencia.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "asistencia.xlsx")
    sheet = workbook[ATTENDANCE_SHEET]
    header, columns = header_row(sheet)
    sheet.cell(row=header + 1, column=columns["Present"]).value = 4
    sheet.cell(row=header + 1, column=columns["Training"]).value = 2
    workbook.save(tmp_path / "asistencia.xlsx")
    # And uploads it from the page
    page.set_input_files("#file", str(tmp_path / "asistencia.xlsx"))
    page.click("form[enctype] button[type=submit]")
    # Then the page shows it accepted, within seconds
    page.wait_for_selector(".outcome.accepted", timeout=60_000)
    _shot(page, "17-manager-attendance-accepted")
    page.close()
    # And another group's manager reaches neither the page nor the upload, by link or by id
    other = _sign_in_over_http(private_cloud, _manager(private_cloud, "th-chiangmai"))
    for path in (f"/groups/{group_id}/attendance", f"/groups/{group_id}/attendance/uploads/{'0' * 32}"):
        assert other.get(f"{private_cloud['console_url']}{path}", timeout=30).status_code == 404


def test_the_office_retries_the_start_of_an_order_whose_pipeline_did_not_start(
    private_cloud: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    # Given an order stored whose pipeline start failed (Step Functions refused it): written as intake writes one,
    # a copy of a real order under a new id, never started
    demo = _sample_demo(private_cloud, tmp_path)
    [model_id] = demo.submit_orders([_own_sample(tmp_path, "console-retry", 0)])
    store = DynamoOrders.__new__(DynamoOrders)  # the adapter on the local cloud's table, not this process's default
    dynamodb = boto3.resource("dynamodb", **client_options(private_cloud))
    store.table = dynamodb.Table(private_cloud["resources"]["TelarTable"])
    model = store.get_order(model_id)
    assert model is not None
    now = datetime.now(UTC)
    order_id = f"ord-{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:10]}"
    store.create_order(
        model.model_copy(
            update={
                "order_id": order_id,
                "status": OrderStatus.START_PENDING,
                "created_at": now,
                "updated_at": now,
                "assignment_ids": [],
                "timeline": {},
                "reference_version": None,
            }
        )
    )
    demo.key_of[order_id] = demo.key_of[model_id]
    # When the office finds it among the orders that need attention, and retries its start
    page = browser.new_page(viewport=PHONE)
    _sign_in_page(page, private_cloud, _staff(private_cloud, "office"))
    item = _needing_attention(page, order_id)
    assert "could not be started" in item.locator(".reason").inner_text()
    item.locator("a").click()
    _press(page, "retry-start")
    # Then the page says it started, and its production goes ahead as any order's
    assert "Started" in page.locator(".outcome").inner_text()
    assert page.locator("form:has(input[value='retry-start'])").count() == 0
    _shot(page, "18-office-start-retried")
    page.close()
    demo.wait_for([order_id], lambda o: o["status"] == "IN_PRODUCTION" and bool(o["groups"]), "its production")


def test_a_manager_created_with_a_temporary_password_chooses_her_own_at_first_sign_in(
    served: dict[str, Any], browser: Any
) -> None:
    # Given a manager the office created as on AWS: a temporary password she must change
    cognito = boto3.client("cognito-idp", **client_options(served))
    pool, group_id = served["resources"]["StaffUserPool"], served["staff"][0]["group_id"] or "pe-cusco"
    username = f"new-manager-{uuid.uuid4().hex[:8]}@example.org"
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=username,
        TemporaryPassword="Temporary-Pass-1",
        UserAttributes=[{"Name": "email", "Value": username}, {"Name": "custom:group_ids", "Value": group_id}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="manager")
    page = browser.new_page(viewport=PHONE)
    # When she signs in with it, Then she is asked for a password of her own
    _sign_in_page(page, served, {"username": username, "password": "Temporary-Pass-1"}, then="#confirm")
    _shot(page, "19-new-password")
    # When she types two different ones, Then the page says so
    page.fill("#password", "Her-Own-Password-7")
    page.fill("#confirm", "Her-Own-Password-8")
    page.click("button[type=submit]")
    page.wait_for_selector(".problem")
    # When she chooses one, Then she is signed in and sees her group's work
    page.fill("#password", "Her-Own-Password-7")
    page.fill("#confirm", "Her-Own-Password-7")
    page.click("button[type=submit]")
    page.wait_for_selector("main h1")
    assert "/sign-in" not in page.url and "/new-password" not in page.url
    assert page.locator("form[action$='/console/sign-out']").count() == 1
    page.close()
