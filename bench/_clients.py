"""The intake bench's buyers, in a process of their own: the clients are not the system under test.

Run by bench/intake.py as ``python -m bench._clients`` with a JSON job on stdin (api, keys, the order bodies by
index, clients, retry_every); prints one JSON object: every request's latency, status and order id, and the
time from the first request to the last reply. In the local cloud's process the clients' threads would take
the interpreter from the API and moto for every request they send.
"""

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests


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

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, [indices[c::clients] for c in range(clients)]))
    return {"replies": replies, "elapsed_seconds": time.perf_counter() - began}


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
