"""Cold-start import cost of each handler, beside importing boto3 and creating one client.

Each handler is imported as Lambda's Python runtime does, from what would deploy: ``python -I -S`` (no
site-packages, no PYTHON* variables) with the function's own folder, then the built layer and the runtime's
packages (``make build``, out/build; local.build.deployed_functions), its folder as working directory. Only
the import is timed, as Lambda's init phase runs it. The figure is the median of RUNS fresh interpreters; the
rounds interleave the handlers and the boto3 baseline, so a busy moment on a shared machine lands on all of
them alike. Target (issue 18): every handler within 1.3x ``coldstart.boto3_client_ms``.

What each function may load at init, and why, is tests/unit/test_cold_start.py; a heavy module a request may not
need is imported where it is used. On a busy machine the wall-clock figures swing by tens of percent from run to
run: compare two trees in the same rounds (docs/decisions.md, issue 18, has such figures).

The layers' modules load from bytecode here (written on their first import), as they do on Lambda only because
the layers' Makefiles ship it: CI's ``local.build --check-imports`` fails a `sam build` whose layers would be
compiled at every cold start instead (~3x these figures).
"""

import statistics
import subprocess
import sys
from pathlib import Path

from local.build import BUILD_DIR, deployed_functions

ROOT = Path(__file__).resolve().parent.parent
RUNS = 11  # medians of 11 interleaved rounds: with 7, the ratios moved by ±0.04 from run to run here
ENV = {
    "TABLE_NAME": "t",
    "IDEMPOTENCY_TABLE_NAME": "i",
    "UPLOADS_BUCKET": "u",
    "ARTIFACTS_BUCKET": "a",
    "SENDER_EMAIL": "s@example.org",
    "FINANCE_EMAILS": "f@example.org",
    "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "telar",
    "POWERTOOLS_METRICS_NAMESPACE": "Telar",
    "LANG": "C.UTF-8",
    "AWS_LAMBDA_FUNCTION_NAME": "coldstart",  # Lambda sets it; telar.startup acts only where it is set
}

IMPORT_HANDLER = """
import importlib, sys, time
sys.path[:0] = sys.argv[2:]
t = time.perf_counter()
module, _, name = sys.argv[1].rpartition(".")
getattr(importlib.import_module(module), name)
print((time.perf_counter() - t) * 1000)
"""

BOTO3_CLIENT = """
import sys, time
sys.path[:0] = sys.argv[2:]
t = time.perf_counter()
import boto3
boto3.client("s3", region_name="us-east-1")
print((time.perf_counter() - t) * 1000)
"""


def _ms(code: str, handler: str, path: tuple[Path, ...], cwd: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, handler, *(str(p) for p in path)],
        env=ENV,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(out.stderr)
    return float(out.stdout.strip().splitlines()[-1])


def run() -> dict[str, float]:
    measured: dict[str, tuple[str, str, tuple[Path, ...], Path]] = {
        "coldstart.boto3_client_ms": (BOTO3_CLIENT, "-", (BUILD_DIR / "runtime",), ROOT)
    }
    for function in deployed_functions(ROOT / "template.yaml"):
        name = f"coldstart.{function.code_dir.name}_ms"
        measured[name] = (IMPORT_HANDLER, function.handler, function.python_path, function.code_dir)
    samples: dict[str, list[float]] = {name: [] for name in measured}
    for _ in range(RUNS):
        for name, (code, handler, path, cwd) in measured.items():
            samples[name].append(_ms(code, handler, path, cwd))
    return {name: round(statistics.median(values), 1) for name, values in sorted(samples.items())}
