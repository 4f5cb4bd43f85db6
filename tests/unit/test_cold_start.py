"""What a function imports before its first request (issue 18: every handler within 1.3x boto3 plus a client).

A heavy module belongs on a function's import path only when every request of that function needs it and the
layer does not load it on first use: the figures are bench/coldstart.py's; these tests keep the structure that
gives them.
"""

import ast
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

HEAVY = (
    "openpyxl",  # annotating a refused upload alone: workbooks are written with xlsxwriter
    "xlsxwriter",
    "jinja2",
    "PIL",
    "joserfc",
    "aws_lambda_powertools.event_handler.openapi.models",
    "aws_lambda_powertools.utilities.batch",  # asyncio, every event class: SQS functions use telar.adapters.sqs_batch
    "telar.inbound",  # received MIME, read by the inbound mail function alone (replies need only telar.mail_thread)
    "telar.adapters.identity",  # staff sign-in: the console's own ports (telar.console.ports)
)
# What a function may import at init, beyond the rest of the layer; the others are imported where they are used.
# jinja2 is at no function's init: telar.rendering builds its one Environment on the first render.
WORKBOOK = {"xlsxwriter"}
LOADED_AT_INIT = {
    "authorizer": set(),
    "await_qc": set(),
    "order_status": set(),
    "intake_api": set(),  # the OpenAPI models only for /openapi.json and /docs; mail only for a cancel
    "start_sweeper": set(),
    "qc_reminders": set(),  # a sweep with nothing overdue writes no mail
    "inbound_mail": {"telar.inbound"},  # a sheet taken is answered by its stage, not here
    "qc_upload": set(),  # read by calamine; a duplicate delivery writes no mail, a refusal annotates with openpyxl
    "reference_upload": WORKBOOK,  # each import answers with the exported workbook, a refusal with an annotated one
    "split_work": set(),  # papers only for a plan made now: a retry whose papers exist, or a lost race, writes none
    "rework": set(),  # a sign-off with nothing left to rework, or its rounds used up, writes no papers
    "payroll": WORKBOOK,  # the payroll workbook
    "pay_period": WORKBOOK,
    "insert_cards": set(),  # jinja2 on its first render (every run renders); photos resized once, then from S3
    "attendance_upload": set(),  # read by calamine; jinja2 on its first render (every sheet is answered)
    "attendance_sheets": WORKBOOK,  # each group's blank sheet
    # jinja2 on the first page (a redirect renders none), joserfc on the first session checked
    "console": {"telar.adapters.identity"},
    "webhook_delivery": set(),  # JSON and HMAC: nothing heavy
}

IMPORTED = """
import gc, json, sys
import app
print(json.dumps({
    "heavy": sorted(m for m in sys.modules
                    if m.partition(".")[0] in {"openpyxl", "xlsxwriter", "jinja2", "PIL", "joserfc"}
                    or m.startswith(("aws_lambda_powertools.event_handler.openapi.models",
                                     "aws_lambda_powertools.utilities.batch", "telar.inbound",
                                     "telar.adapters.identity"))),
    "gc": [gc.isenabled(), gc.get_freeze_count(), gc.get_stats()[2]["collections"]],
}))
"""


def test_every_function_is_listed() -> None:
    assert set(LOADED_AT_INIT) == {p.parent.name for p in (ROOT / "functions").glob("*/app.py")}


@pytest.mark.parametrize("function", sorted(LOADED_AT_INIT))
def test_a_function_imports_at_init_only_the_heavy_modules_every_request_needs(function: str) -> None:
    # Given a function's handler, When it is imported in a fresh interpreter as Lambda's init does
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "telar"), "AWS_LAMBDA_FUNCTION_NAME": function}
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED], cwd=ROOT / "functions" / function, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout)
    # Then of the heavy modules it has loaded only those its requests need before a first use can load them
    loaded = {heavy for heavy in HEAVY if any(m.startswith(heavy) for m in imported["heavy"])}
    assert loaded == LOADED_AT_INIT[function]
    # And the collector did not walk the modules while they loaded (telar.startup): no full collection ran, what
    # they made is frozen out of later ones, and it collects again for the requests
    enabled, frozen, full_collections = imported["gc"]
    assert enabled and frozen > 50_000 and full_collections == 0


def test_every_handler_imports_telar_startup_first_and_calls_loaded_after_its_imports() -> None:
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        body = ast.parse(app.read_text()).body
        statements = body[1:] if isinstance(body[0], ast.Expr) else body  # after the docstring
        imports = [i for i, node in enumerate(statements) if isinstance(node, ast.Import | ast.ImportFrom)]
        first, after_imports = statements[0], statements[imports[-1] + 1]
        assert isinstance(first, ast.Import) and [a.name for a in first.names] == ["telar.startup"], app
        assert ast.unparse(after_imports) == "telar.startup.loaded()", app
        assert imports == list(range(len(imports))), f"{app}: code between its imports"


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
