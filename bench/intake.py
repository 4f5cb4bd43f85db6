"""Order intake through the local API: 1,000 orders from 8 concurrent clients, 20% of them retried.

Each order has its own Idempotency-Key; every fifth is sent again with the same key and body once its first
reply is in (a client that timed out, say). Orders stored and executions started must both equal the number
of distinct keys. The pipeline behind the API is swapped for a single Pass state (bench only), so the
figures measure intake, not 1,000 runs of SplitWork on a 2-core machine. The clock starts once each client has
had one reply (bench/_clients.py says why).

Beside the local latencies, figures that mean something on AWS: the DynamoDB and Step Functions calls the
functions make per accepted order (``intake.aws_calls_per_order``: requests are what on-demand DynamoDB and
Step Functions bill) and the CPU time of their execution environments per order
(``intake.handler_cpu_ms_per_order``: the part of a Lambda's billed duration that is the handler's own work,
the rest being waits on AWS). ``intake.local_cloud_cpu_ms_per_order`` is the CPU of the local cloud's own
process (the API, moto, the runtime's threads) per order: the emulation's share, which AWS does not bill. Then
10,000 orders are stored and a second, smaller run measures the median again (``intake.p50_ms_10k_stored``):
intake must not slow down as the table grows. ``intake.peak_rss_mb`` is the local cloud's process (moto's
tables live there).
"""

import contextlib
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from local.cloud import LocalCloud
from local.demo import SAMPLES

# BENCH_INTAKE_ORDERS makes a quick run while developing; `make bench` uses the 1,000.
ORDERS = int(os.environ.get("BENCH_INTAKE_ORDERS", "1000"))
CLIENTS, RETRY_EVERY = 8, 5
# The second run measures p50 with this many orders stored; its size only has to make a median stable.
STORED_BEFORE_SECOND_RUN = int(os.environ.get("BENCH_INTAKE_STORED", "10000"))
SECOND_RUN_ORDERS = max(ORDERS // 4, CLIENTS)
LAMBDA_LOG = Path(__file__).resolve().parent.parent / "out" / "bench" / "intake-lambdas.log"
PASS_ONLY = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


@contextlib.contextmanager
def _handlers_output_to(path: Path) -> Iterator[None]:
    """The handlers' stdout and stderr (their EMF metrics: written on AWS too) go to a file, not the terminal.

    Workers inherit this process's descriptors 1 and 2 when they start, so those are redirected (not sys.stdout).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with path.open("wb") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)


@functools.cache
def _sample() -> str:
    return sorted((SAMPLES / "orders").glob("*.json"))[0].read_text()


def _body(i: int) -> bytes:
    body = json.loads(_sample())
    body["buyer_reference"] = f"BENCH-{i:05d}"
    body["requested_ship_date"] = (date.today() + timedelta(days=90)).isoformat()
    body["lines"] = body["lines"][:2]
    return json.dumps(body).encode()


@dataclass
class Load:
    """What one burst of clients saw, and what the handlers did for it."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    replies: dict[str, set[str]] = field(default_factory=dict)
    elapsed_seconds: float = 0.0
    aws_calls: Counter[str] = field(default_factory=Counter)  # by service, from the handlers' credentials only
    handler_cpu_seconds: float = 0.0
    local_cloud_cpu_seconds: float = 0.0  # this process: the API, moto and the runtime's threads (not on AWS)

    @property
    def accepted(self) -> int:
        return sum(1 for ids in self.replies.values() if ids)


class _CallCounter:
    """WSGI middleware on the local endpoint: counts the DynamoDB and Step Functions calls the functions make
    (signed with their roles' keys, so the local cloud's own polling is not counted)."""

    def __init__(self, function_keys: set[str]) -> None:
        self.app: Any = None
        self.function_keys, self.counts, self.on = function_keys, Counter[str](), False

    def wrapping(self, app: Any) -> "_CallCounter":
        self.app = app
        return self

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if self.on and target.startswith(("DynamoDB_", "AWSStepFunctions.")):
            credential = environ.get("HTTP_AUTHORIZATION", "").partition("Credential=")[2].partition("/")[0]
            if credential in self.function_keys:
                self.counts[target.partition(".")[0]] += 1
        return self.app(environ, start_response)


def _cpu_seconds(pids: set[int]) -> dict[int, float]:
    """User + system CPU of each process, from /proc (Linux)."""
    ticks, found = os.sysconf("SC_CLK_TCK"), {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return found


def _reset_peak_rss() -> None:
    with contextlib.suppress(OSError):  # "5" resets VmHWM (Linux); elsewhere the peak is the process's
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load(cloud: LocalCloud, counter: _CallCounter, first: int, count: int) -> Load:
    """``count`` orders (``first`` on) from CLIENTS concurrent clients (bench/_clients.py, in a process of their
    own), every RETRY_EVERY-th sent twice."""
    job = {
        "api": cloud.outputs["api_url"],
        "keys": [b["api_key"] for b in cloud.outputs["buyers"]],
        "bodies": {str(i): _body(i).decode() for i in range(first, first + count)},
        "clients": CLIENTS,
        "retry_every": RETRY_EVERY,
    }
    assert cloud.runtime is not None
    cpu_before, own_before = _cpu_seconds(cloud.runtime.process_ids()), time.process_time()
    counter.counts.clear()
    counter.on = True
    done = subprocess.run(
        [sys.executable, "-m", "bench._clients"], input=json.dumps(job), capture_output=True, text=True, check=True
    )
    counter.on = False
    result = json.loads(done.stdout)
    load = Load(
        elapsed_seconds=result["elapsed_seconds"],
        aws_calls=Counter(counter.counts),
        local_cloud_cpu_seconds=time.process_time() - own_before,
    )
    for reply in result["replies"]:
        load.latencies_ms.append(reply["latency_ms"])
        load.statuses.append(reply["status"])
        load.replies.setdefault(reply["key"], set()).update([reply["order_id"]] if reply["order_id"] else [])
    # every process the runtime has: the functions' environments (the authorizer's and the API's: nothing else
    # runs while the pipeline is a Pass state), including the init of those the load started
    cpu_after = _cpu_seconds(cloud.runtime.process_ids())
    load.handler_cpu_seconds = sum(cpu - cpu_before.get(pid, 0.0) for pid, cpu in cpu_after.items())
    if any(len(ids) != 1 for ids in load.replies.values()) or set(load.statuses) != {202}:
        print(
            f"  !! replies: {sorted(set(load.statuses))}, keys answered with two orders: "
            f"{sum(len(ids) > 1 for ids in load.replies.values())}, with none: "
            f"{sum(not ids for ids in load.replies.values())}"
        )
    return load


def _store_more_orders(cloud: LocalCloud, table: str, total: int) -> None:
    """Copies of the orders stored so far under new ids, until ``total`` orders are stored (as a busy season
    leaves them: an intake must not slow down with the table)."""
    ddb = cloud.client("dynamodb")
    scan = ddb.get_paginator("scan").paginate(
        TableName=table, FilterExpression="sk = :order", ExpressionAttributeValues={":order": {"S": "ORDER"}}
    )
    stored = [item for page in scan for item in page["Items"]]
    copies = []
    for n in range(total - len(stored)):
        item, order_id = dict(stored[n % len(stored)]), f"ord-filler-{n:06d}"
        item |= {
            "pk": {"S": f"ORDER#{order_id}"},
            "order_id": {"S": order_id},
            "gsi1sk": {"S": f"{item['created_at']['S']}#{order_id}"},
        }
        copies.append({"PutRequest": {"Item": item}})
    for at in range(0, len(copies), 25):
        ddb.batch_write_item(RequestItems={table: copies[at : at + 25]})


def _count_orders(cloud: LocalCloud, table: str) -> int:
    pages = (
        cloud.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=table,
            FilterExpression="sk = :order",
            ExpressionAttributeValues={":order": {"S": "ORDER"}},
            Select="COUNT",
        )
    )
    return sum(page["Count"] for page in pages)


def run() -> dict[str, float]:
    quiet = {"LogLevel": "ERROR"}  # 1,200 log lines would measure the terminal, not intake
    _reset_peak_rss()
    with (
        tempfile.TemporaryDirectory() as tmp,
        _handlers_output_to(LAMBDA_LOG),
        LocalCloud(api_port=0, aws_port=0, out_dir=Path(tmp), parameters=quiet) as cloud,
    ):
        assert cloud.runtime is not None
        sfn = cloud.client("stepfunctions")
        machine = cloud.outputs["state_machine_arn"]
        sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(PASS_ONLY))
        table = cloud.outputs["resources"]["TelarTable"]
        counter = _CallCounter({c.access_key_id for c in cloud.runtime.credentials.values()})
        cloud.endpoint.wrap(counter.wrapping)

        first = _load(cloud, counter, 0, ORDERS)
        stored = _count_orders(cloud, table)
        executions = sum(
            len(page["executions"]) for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
        )
        _store_more_orders(cloud, table, STORED_BEFORE_SECOND_RUN)
        second = _load(cloud, counter, ORDERS, SECOND_RUN_ORDERS)
    peak_mb = _peak_rss_mb()
    print(f"  calls per accepted order: { {k: round(v / first.accepted, 2) for k, v in first.aws_calls.items()} }")
    return {
        "intake.requests_per_second": len(first.latencies_ms) / first.elapsed_seconds,
        "intake.p50_ms": statistics.median(first.latencies_ms),
        "intake.p99_ms": statistics.quantiles(first.latencies_ms, n=100)[98],
        "intake.distinct_keys": float(ORDERS),  # every order has its own key; a failed one still counts
        "intake.orders_stored": float(stored),
        "intake.executions_started": float(executions),
        "intake.peak_rss_mb": peak_mb,
        "intake.aws_calls_per_order": sum(first.aws_calls.values()) / first.accepted,
        "intake.handler_cpu_ms_per_order": first.handler_cpu_seconds * 1000 / first.accepted,
        "intake.local_cloud_cpu_ms_per_order": first.local_cloud_cpu_seconds * 1000 / first.accepted,
        "intake.p50_ms_10k_stored": statistics.median(second.latencies_ms),
    }


def main() -> None:
    for name, value in run().items():
        print(f"{name:<35} {value:>12,.1f}")


if __name__ == "__main__":
    main()
