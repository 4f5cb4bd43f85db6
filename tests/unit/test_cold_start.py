"""What a function imports before its first request (issue 18: every handler within 1.3x boto3 plus a client).

A heavy module belongs on a function's import path only when every request of that function needs it: the
figures are bench/coldstart.py's; these tests keep the structure that gives them.
"""

import importlib
import json
import os
import pkgutil
import subprocess
import sys

import pytest
from pydantic import BaseModel

import telar
from tests.conftest import ROOT

HEAVY = ("openpyxl", "jinja2", "PIL", "aws_lambda_powertools.event_handler.openapi.models")
# What a function may import at init, beyond the rest of the layer; the others are imported where they are used.
WORKBOOKS = {"jinja2", "openpyxl", "PIL"}  # writes a workbook and mails it (openpyxl imports PIL itself)
NEEDED_ON_EVERY_PATH = {
    "authorizer": set(),
    "await_qc": set(),
    "order_status": set(),
    "intake_api": set(),  # the OpenAPI models only for /openapi.json and /docs; mail only for a cancel
    "start_sweeper": set(),
    "qc_reminders": set(),  # a sweep with nothing overdue writes no mail
    "inbound_mail": set(),  # a sheet taken is answered by its stage, not here
    "qc_upload": {"jinja2"},  # each upload is answered: a receipt or the errors by cell (read by calamine)
    "reference_upload": WORKBOOKS,  # each import answers with a report and the exported workbook
    "split_work": WORKBOOKS,  # work sheets and QC templates, mailed
    "rework": WORKBOOKS,  # the next round's papers, mailed
    "payroll": WORKBOOKS,  # the payroll workbook, mailed
    "pay_period": WORKBOOKS,
    "insert_cards": {"jinja2", "PIL"},  # the cards and the makers' photos
    "attendance_upload": {"jinja2"},  # each sheet is answered: a receipt or the errors by cell (read by calamine)
    "attendance_sheets": WORKBOOKS,  # each group's blank sheet, mailed
    "console": {"jinja2"},  # every answer is a page rendered from a template
    "webhook_delivery": set(),  # JSON and HMAC: nothing heavy
}

IMPORTED = """
import json, sys
import app
print(json.dumps(sorted(m for m in sys.modules if m.partition(".")[0] in {"openpyxl", "jinja2", "PIL"}
                        or m.startswith("aws_lambda_powertools.event_handler.openapi.models"))))
"""


def test_every_function_is_listed() -> None:
    assert set(NEEDED_ON_EVERY_PATH) == {p.parent.name for p in (ROOT / "functions").glob("*/app.py")}


@pytest.mark.parametrize("function", sorted(NEEDED_ON_EVERY_PATH))
def test_a_function_imports_at_init_only_the_heavy_modules_every_request_needs(function: str) -> None:
    # Given a function's handler, When it is imported in a fresh interpreter as Lambda's init does
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "telar")}
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED], cwd=ROOT / "functions" / function, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    # Then of the heavy modules it has loaded only those every one of its requests needs
    loaded = {heavy for heavy in HEAVY if any(m.startswith(heavy) for m in json.loads(done.stdout))}
    assert loaded == NEEDED_ON_EVERY_PATH[function]


def test_every_model_of_the_layer_builds_its_validator_on_first_use() -> None:
    # Given every module of the layer, When their pydantic models are found
    for module in pkgutil.walk_packages(telar.__path__, "telar."):
        importlib.import_module(module.name)
    models = [
        cls
        for name, mod in list(sys.modules.items())
        if name.startswith("telar.")
        for cls in vars(mod).values()
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == name
    ]
    # Then each defers building its validator, so a function pays at init only for the models it uses
    assert len(models) > 20
    assert [m.__qualname__ for m in models if not m.model_config.get("defer_build")] == []
