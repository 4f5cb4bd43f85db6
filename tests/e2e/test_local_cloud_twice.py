"""Two local clouds, one after the other, in one process: the benchmarks run that way (`make bench`).

What the first one cached or patched (boto3 clients bound to its endpoint, the seed's Settings, moto's
backends) must not reach the second one, and what it set in the environment must be gone once it stops.
"""

import gc
import json
import os
from datetime import date, timedelta
from pathlib import Path

import requests

from local.cloud import LocalCloud
from tests.conftest import ROOT, SAMPLES


def _order() -> bytes:
    body = json.loads((SAMPLES / "orders" / "tiendasol-otono-2027.json").read_text())
    body["requested_ship_date"] = (date.today() + timedelta(days=120)).isoformat()
    body["lines"] = body["lines"][:1]
    return json.dumps(body).encode()


def _take_an_order(cloud: LocalCloud) -> str:
    buyer = cloud.outputs["buyers"][0]
    reply = requests.post(
        f"{cloud.outputs['api_url']}/orders",
        data=_order(),
        headers={"x-api-key": buyer["api_key"], "content-type": "application/json"},
        timeout=60,
    )
    assert reply.status_code == 202, reply.text
    order_id: str = reply.json()["order_id"]
    return order_id


def test_a_second_local_cloud_in_the_same_process_works_and_each_leaves_nothing_behind(tmp_path: Path) -> None:
    # Given the process environment before any local cloud
    before = dict(os.environ)

    # When two local clouds start one after the other (each seeding its sample data in this process) and each
    # takes an order over HTTP
    taken = []
    for run in ("first", "second"):
        with LocalCloud(project_root=ROOT, out_dir=tmp_path / run, api_port=0, aws_port=0) as cloud:
            taken.append((_take_an_order(cloud), cloud.outputs["aws_endpoint"]))
        # Then, once it stopped, the environment is as it was, and the garbage collector walks every object again
        assert dict(os.environ) == before
        assert gc.get_freeze_count() == 0

    # Then both took their order, each on its own endpoint
    (first_order, first_endpoint), (second_order, second_endpoint) = taken
    assert first_order and second_order
    assert first_endpoint != second_endpoint
