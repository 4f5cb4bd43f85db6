"""State transitions one demo order takes through the order pipeline on the local cloud.

Step Functions Standard bills per state transition, so this is the pipeline's unit cost: counted from the
execution history (every ...StateEntered event), for the first sample order with every QC sheet accepted.
"""

import tempfile
from pathlib import Path

from local.cloud import LocalCloud
from local.demo import SAMPLES, Demo
from telar.models import ReferenceData


def run() -> dict[str, float]:
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text())
    with tempfile.TemporaryDirectory() as tmp, LocalCloud(api_port=0, aws_port=0, out_dir=Path(tmp)) as cloud:
        demo = Demo(cloud.outputs, ref, out_dir=Path(tmp))
        order_ids = demo.submit_orders([sorted((SAMPLES / "orders").glob("*.json"))[0]])
        demo.fill_and_upload_qc(order_ids)
        demo.wait_for(order_ids, lambda o: o["status"] in ("READY_TO_SHIP", "NEEDS_ATTENTION"), "the order finishes")
        [transitions] = [demo.state_transitions(o) for o in order_ids]
    return {"pipeline.state_transitions_per_order": float(transitions)}
