"""Order intake through the local API: 1,000 orders from 8 concurrent clients, 20% of them retried.

Each order has its own Idempotency-Key; every fifth is sent again with the same key and body once its first
reply is in (a client that timed out, say). Orders stored and executions started must both equal the number
of distinct keys. The pipeline behind the API is swapped for a single Pass state (bench only), so the
figures measure intake, not 1,000 runs of SplitWork on a 2-core machine.
"""

import contextlib
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import requests

from local.cloud import LocalCloud
from local.demo import SAMPLES

# BENCH_INTAKE_ORDERS makes a quick run while developing; `make bench` uses the 1,000.
ORDERS = int(os.environ.get("BENCH_INTAKE_ORDERS", "1000"))
CLIENTS, RETRY_EVERY = 8, 5
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


def run() -> dict[str, float]:
    quiet = {"LogLevel": "ERROR"}  # 1,200 log lines would measure the terminal, not intake
    with (
        tempfile.TemporaryDirectory() as tmp,
        _handlers_output_to(LAMBDA_LOG),
        LocalCloud(api_port=0, aws_port=0, out_dir=Path(tmp), parameters=quiet) as cloud,
    ):
        sfn = cloud.client("stepfunctions")
        machine = cloud.outputs["state_machine_arn"]
        sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(PASS_ONLY))
        api, buyers = cloud.outputs["api_url"], cloud.outputs["buyers"]
        latencies: list[float] = []
        replies: dict[str, set[str]] = {}
        statuses: list[int] = []

        def post(session: requests.Session, i: int, key: str) -> None:
            headers = {
                "x-api-key": buyers[i % len(buyers)]["api_key"],
                "content-type": "application/json",
                "Idempotency-Key": key,
            }
            body = _body(i)  # built before the clock starts: the latency is the API's alone
            started = time.perf_counter()
            reply = session.post(f"{api}/orders", data=body, headers=headers, timeout=60)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(reply.status_code)
            if reply.status_code == 202:
                replies.setdefault(key, set()).add(reply.json()["order_id"])

        def client(indices: range) -> None:
            with requests.Session() as session:
                for i in indices:
                    key = f"bench-{i:05d}"
                    post(session, i, key)
                    if i % RETRY_EVERY == 0:
                        post(session, i, key)

        began = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(client, [range(c, ORDERS, CLIENTS) for c in range(CLIENTS)]))
        elapsed = time.perf_counter() - began

        table = cloud.client("dynamodb")
        stored = sum(
            page["Count"]
            for page in table.get_paginator("scan").paginate(
                TableName=cloud.outputs["resources"]["TelarTable"],
                FilterExpression="sk = :order",
                ExpressionAttributeValues={":order": {"S": "ORDER"}},
                Select="COUNT",
            )
        )
        executions = sum(
            len(page["executions"]) for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
        )
    ordered = sorted(latencies)
    if any(len(ids) != 1 for ids in replies.values()) or set(statuses) != {202}:
        print(
            f"  !! replies: {sorted(set(statuses))}, keys answered with two orders: "
            f"{sum(len(ids) != 1 for ids in replies.values())}"
        )
    return {
        "intake.requests_per_second": len(latencies) / elapsed,
        "intake.p50_ms": statistics.median(ordered),
        "intake.p99_ms": statistics.quantiles(ordered, n=100)[98],
        "intake.distinct_keys": float(ORDERS),  # every order has its own key; a failed one still counts
        "intake.orders_stored": float(stored),
        "intake.executions_started": float(executions),
    }


def main() -> None:
    for name, value in run().items():
        print(f"{name:<35} {value:>12,.1f}")


if __name__ == "__main__":
    main()
