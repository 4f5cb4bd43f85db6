"""One order through the whole pipeline on the local cloud: its state transitions and what it would cost on AWS.

The order is a sample order at three times its quantities, so that five groups make it; the managers fill in its
QC sheets passing every unit but one, in one group's first round, so it takes exactly one rework round (the run
checks both). Step Functions Standard bills per state transition: counted from the execution history (every
...StateEntered event). ``pipeline.cost_usd_per_order`` prices what the order asked of AWS, at the list prices of
bench/aws_prices.json (dated): its transitions; its Lambda invocations (GB-s from each measured duration and the
function's memory, plus requests); the DynamoDB request units, S3 requests and SES e-mails its functions made
(counted on the local endpoint, bench/_usage.py); and the managers' QC uploads and paper downloads. The buyer's
POST counts; the demo's polling of the order's status afterwards does not (a buyer polls far less often).
Not priced: SQS, CloudWatch Logs, data transfer, and the local durations' difference from Lambda's arm64.
"""

import json
import tempfile
from dataclasses import replace
from pathlib import Path

from bench._usage import Invocations, Usage
from local.cloud import LocalCloud
from local.demo import SAMPLES, Demo
from local.manager import RowResult
from telar.models import ReferenceData

PRICES = Path(__file__).resolve().parent / "aws_prices.json"
GROUPS = 5
STAFF_KEY = "local"  # the demo's managers sign with it (local.demo.client_options)


class _OneReject(Demo):
    """The demo's managers, except that only the first row they count with more than one unit planned has a
    reject (and only in a first round): one group, one rework round."""

    rejected = False

    def manager_counts(self, worker_id: str, sku: str, planned: int, rework: bool = False) -> RowResult:
        counts = super().manager_counts(worker_id, sku, planned, rework=True)  # the demo rejects nothing on rework
        if rework or planned < 2 or self.rejected:
            return counts
        self.rejected = True
        product = self.ref.product(sku)
        return replace(counts, rejected=1, defect_codes=product.defect_codes[0] if product.defect_codes else "")


def _five_group_order(folder: Path) -> Path:
    body = json.loads((SAMPLES / "orders" / "fairloom-spring-2027.json").read_text())
    body["buyer_reference"] = "BENCH-5-GROUPS"
    body["lines"] = [{**line, "quantity": line["quantity"] * 3} for line in body["lines"]]  # one group is too slow
    path = folder / "five-groups.json"
    path.write_text(json.dumps(body))
    return path


def run() -> dict[str, float]:
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text())
    prices = json.loads(PRICES.read_text())
    with (
        tempfile.TemporaryDirectory() as tmp,
        Invocations() as invocations,
        LocalCloud(api_port=0, aws_port=0, out_dir=Path(tmp)) as cloud,
    ):
        assert cloud.runtime is not None and cloud.outbox is not None
        keys = {logical_id: c.access_key_id for logical_id, c in cloud.runtime.credentials.items()}
        functions, staff = Usage(set(keys.values())), Usage({STAFF_KEY})
        cloud.endpoint.wrap(functions.wrapping)
        cloud.endpoint.wrap(staff.wrapping)
        demo = _OneReject(cloud.outputs, ref, out_dir=Path(tmp))
        mails_before = len(list(cloud.outbox.directory.glob("*.eml")))
        first_invocation = len(invocations.seen)
        functions.on = staff.on = True
        [order_id] = demo.submit_orders([_five_group_order(Path(tmp))])
        api_functions = {cloud.outputs["functions"][f] for f in ("IntakeApiFunction", "AuthorizerFunction")}
        submitted = len(invocations.seen)  # from here the API's invocations are the demo's polling
        functions.keys -= {keys["IntakeApiFunction"], keys["AuthorizerFunction"]}
        demo.fill_and_upload_qc([order_id])
        order = demo.order(order_id)
        functions.on = staff.on = False
        transitions = demo.state_transitions(order_id)
        mails = len(list(cloud.outbox.directory.glob("*.eml"))) - mails_before
    ran = invocations.seen[first_invocation:submitted] + [
        i for i in invocations.seen[submitted:] if i.function not in api_functions
    ]
    rounds = sum(g["rework_round"] for g in order["groups"])
    groups = len({g["group_id"] for g in order["groups"]})
    if (groups, rounds) != (GROUPS, 1) or order["status"] != "READY_TO_SHIP":
        print(f"  !! the order made {groups} group(s) and {rounds} rework round(s), and ended {order['status']}")

    gb_seconds = sum(i.duration_ms / 1000 * i.memory_mb / 1024 for i in ran)
    s3_writes = sum(u.calls[("s3", op)] for u in (functions, staff) for op in ("PUT", "POST"))
    s3_writes += functions.calls[("s3", "LIST")]  # the staff's LISTs are the demo's polling, not a person's
    s3_reads = sum(u.calls[("s3", op)] for u in (functions, staff) for op in ("GET", "HEAD"))
    cost = {
        "step_functions": transitions * prices["stepfunctions_usd_per_state_transition"],
        "lambda": gb_seconds * prices["lambda_usd_per_gb_second_arm64"] + len(ran) * prices["lambda_usd_per_request"],
        "dynamodb": functions.write_units * prices["dynamodb_usd_per_write_request_unit"]
        + functions.read_units * prices["dynamodb_usd_per_read_request_unit"],
        "ses": mails * prices["ses_usd_per_email"],
        "s3": s3_writes * prices["s3_usd_per_put_copy_post_list_request"] + s3_reads * prices["s3_usd_per_get_request"],
    }
    print(
        f"  {len(ran)} invocations, {gb_seconds:.2f} GB-s; DynamoDB {functions.write_units:.0f} WRU, "
        f"{functions.read_units:.1f} RRU; S3 {s3_writes} writes, {s3_reads} reads; {mails} e-mails"
    )
    print("  cost (USD): " + ", ".join(f"{k} {v:.6f}" for k, v in cost.items()) + f"  (prices of {prices['date']})")
    return {
        "pipeline.state_transitions_5_groups": float(transitions),
        "pipeline.lambda_gb_seconds_per_order": gb_seconds,
        "pipeline.cost_usd_per_order": sum(cost.values()),
    }
