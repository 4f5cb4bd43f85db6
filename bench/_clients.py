"""The intake bench's buyers, in a process of their own: the clients are not the system under test.

Run by bench/intake.py as ``python -m bench._clients`` with a JSON job on stdin (api, keys, the order bodies by
index, clients, retry_every); prints one JSON object: every request's latency, status and order id, and the
time from the first request to the last reply (after a warm-up, see ``warm_up``). In the local cloud's process
the clients' threads would take the interpreter from the API and moto for every request they send.
"""

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests


def warm_up(api: str, key: str) -> None:
    """One GET /catalog per client before the clock starts. The local runtime's first invocation also starts
    its template process, which imports every package of the layers once (seconds on a busy machine, and
    nothing on AWS is like it); it then starts an environment per concurrent request, as Lambda does. Lambda's
    own cold starts for 8 clients are 8 of 1,200 requests, under the 1% that p99 leaves out."""
    requests.get(f"{api}/catalog", headers={"x-api-key": key}, timeout=120).raise_for_status()


def run(job: dict[str, Any]) -> dict[str, Any]:
    api, keys, bodies = job["api"], job["keys"], job["bodies"]
    clients, retry_every = job["clients"], job["retry_every"]
    indices = sorted(int(i) for i in bodies)
    replies: list[dict[str, Any]] = []
    lock = threading.Lock()

    def post(session: requests.Session, i: int, key: str) -> None:
        headers = {"x-api-key": keys[i % len(keys)], "content-type": "application/json", "Idempotency-Key": key}
        body = bodies[str(i)].encode()
        started = time.perf_counter()
        reply = session.post(f"{api}/orders", data=body, headers=headers, timeout=60)
        latency = (time.perf_counter() - started) * 1000
        order_id = reply.json().get("order_id") if reply.status_code == 202 else None
        with lock:
            replies.append({"key": key, "latency_ms": latency, "status": reply.status_code, "order_id": order_id})

    def client(mine: list[int]) -> None:
        with requests.Session() as session:
            for i in mine:
                key = f"bench-{i:05d}"
                post(session, i, key)
                if i % retry_every == 0:
                    post(session, i, key)

    with ThreadPoolExecutor(clients) as pool:  # not timed: see warm_up
        list(pool.map(lambda c: warm_up(api, keys[c % len(keys)]), range(clients)))
    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, [indices[c::clients] for c in range(clients)]))
    return {"replies": replies, "elapsed_seconds": time.perf_counter() - began}


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
