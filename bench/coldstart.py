"""Cold-start import cost of each handler module, beside importing boto3 and creating one client.

Each figure is the median of several fresh interpreters (``python -c``), timing only the import, as
Lambda's init phase does; the environment is the template's, so nothing is read from AWS.
"""

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
ENV = {
    "TABLE_NAME": "t",
    "UPLOADS_BUCKET": "u",
    "ARTIFACTS_BUCKET": "a",
    "SENDER_EMAIL": "s@example.org",
    "FINANCE_EMAILS": "f@example.org",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "telar",
    "POWERTOOLS_METRICS_NAMESPACE": "Telar",
    "PYTHONDONTWRITEBYTECODE": "",
}

IMPORT_HANDLER = """
import importlib.util, sys, time
sys.path[:0] = [{layer!r}]
t = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
print((time.perf_counter() - t) * 1000)
"""

BOTO3_CLIENT = """
import time
t = time.perf_counter()
import boto3
boto3.client("s3", region_name="us-east-1")
print((time.perf_counter() - t) * 1000)
"""


def _median_ms(code: str) -> float:
    samples = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, check=False)
        if out.returncode:
            raise RuntimeError(out.stderr)
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return round(statistics.median(samples), 1)


def run() -> dict[str, float]:
    figures = {"coldstart.boto3_client_ms": _median_ms(BOTO3_CLIENT)}
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        code = IMPORT_HANDLER.format(layer=str(ROOT / "layers" / "telar"), path=str(app))
        figures[f"coldstart.{app.parent.name}_ms"] = _median_ms(code)
    return figures
