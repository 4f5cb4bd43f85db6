"""`make demo`: two wholesale orders through every stage of the pipeline on the embedded local cloud.

Orders go in through the HTTP API, production managers' QC sheets are filled in (some rejects, some slow
makers whose piece earnings fall under the minimum wage) and sent back (Cusco's manager replies to her papers by
e-mail, through the local SMTP server; the others are uploaded to S3), and the run waits for payroll
e-mails and insert cards. Artifacts land in out/demo/ (listed in README.md, "Running each part").
"""

import functools
import hashlib
import json
import shutil
import smtplib
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid
from io import BytesIO
from pathlib import Path
from typing import Any

import boto3
import requests
from boto3.dynamodb.conditions import Key
from openpyxl import load_workbook

from local.cloud import LocalCloud
from local.files import write_atomically
from local.manager import RowResult, fill_qc_sheet, read_assignment_id
from telar import artifacts
from telar.adapters.dynamo import keys
from telar.adapters.dynamo.assignments import DynamoAssignments
from telar.adapters.dynamo.claims import DynamoClaims
from telar.adapters.dynamo.earnings import DynamoEarnings
from telar.adapters.mail import XLSX
from telar.models import ReferenceData
from telar.models.attendance import attendance_order_id
from telar.sheets.attendance_sheet import ATTENDANCE_SHEET
from telar.sheets.labels import labels_for

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out" / "demo"
SAMPLES = ROOT / "samples"
TIMEOUT_SECONDS = 180


def main() -> int:
    started = time.monotonic()
    shutil.rmtree(OUT, ignore_errors=True)
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text())
    # Handlers log JSON at ERROR only (the missing sample photo warns per card): the demo's progress stays readable.
    with LocalCloud(api_port=0, aws_port=0, out_dir=OUT, parameters={"LogLevel": "ERROR"}) as cloud:
        outputs = cloud.outputs
        demo = Demo(outputs, ref)
        order_ids = demo.submit_orders()
        demo.fill_and_upload_qc(order_ids)
        finished = demo.wait_for(order_ids, lambda o: o["status"] in ("READY_TO_SHIP", "NEEDS_ATTENTION"), "done")
        summary = demo.collect(finished)
        summary["contact_sheets"] = demo.contact_sheets()
        month = datetime.now(UTC).strftime("%Y-%m")
        summary["attendance"] = demo.hand_in_attendance(month)
        summary["pay_period"] = demo.run_pay_period(month)
        summary["emails"] = sorted(p.name for p in (OUT / "outbox").glob("*.eml"))  # all sent, pay mail included
    summary["wall_seconds"] = round(time.monotonic() - started, 1)
    write_atomically(OUT / "summary.json", json.dumps(summary, indent=2, default=str))
    print_summary(summary)
    return 0 if all(o["status"] == "READY_TO_SHIP" for o in summary["orders"]) else 1


def client_options(outputs: dict[str, Any]) -> dict[str, str]:
    """Keyword arguments for a boto3 client or resource of the running local cloud (its ``outputs``)."""
    return {  # the local cloud takes any credentials; never real ones
        "endpoint_url": outputs["aws_endpoint"],
        "region_name": outputs["region"],
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }


class Demo:
    MAIL_GROUP = "pe-cusco"  # its manager replies to her papers by e-mail; the others' sheets are uploaded to S3

    def __init__(self, outputs: dict[str, Any], ref: ReferenceData, out_dir: Path = OUT):
        self.out = out_dir
        for folder in ("worksheets", "qc", "cards", "payroll"):
            (out_dir / folder).mkdir(parents=True, exist_ok=True)
        self.outputs = outputs
        self.ref = ref
        self.api = outputs["api_url"].rstrip("/")
        self.buyers = outputs["buyers"]
        local = client_options(outputs)
        self.s3 = boto3.client("s3", **local)
        self.sfn = boto3.client("stepfunctions", **local)
        self.lambda_ = boto3.client("lambda", **local)  # the local cloud answers Invoke with the real handler
        self.table = boto3.resource("dynamodb", **local).Table(outputs["resources"]["TelarTable"])
        self.key_of: dict[str, str] = {}
        self.handled: set[str] = set()  # artifact keys already saved or filled and uploaded
        self.defects_written: list[dict[str, str]] = []  # each defect a manager wrote, in her language

    def submit_orders(self, paths: list[Path] | None = None) -> list[str]:
        order_ids = []
        for i, path in enumerate(paths or sorted((SAMPLES / "orders").glob("*.json"))):
            buyer = self.buyers[i % len(self.buyers)]
            body = json.loads(path.read_text(encoding="utf-8"))
            # The samples' dates are fixed: once one has passed the demo asks for 90 days on, and a date the
            # workshops cannot meet is taken at their earliest (accept_later_date), as a buyer who must have it would
            if date.fromisoformat(body["requested_ship_date"]) <= date.today():
                body["requested_ship_date"] = (date.today() + timedelta(days=90)).isoformat()
            body["accept_later_date"] = True
            reply = requests.post(
                f"{self.api}/orders",
                data=json.dumps(body).encode(),
                headers={
                    "x-api-key": buyer["api_key"],
                    "content-type": "application/json",
                    "Idempotency-Key": f"demo-{path.stem}",
                },
                timeout=30,
            )
            reply.raise_for_status()
            order = reply.json()
            self.key_of[order["order_id"]] = buyer["api_key"]
            order_ids.append(order["order_id"])
            print(
                f"order {order['order_id']} ({order['buyer_reference']}, {order['units_ordered']} units) "
                f"from {buyer['buyer_id']}: {order['status']}"
            )
        return order_ids

    def order(self, order_id: str) -> dict[str, Any]:
        reply = requests.get(f"{self.api}/orders/{order_id}", headers={"x-api-key": self.key_of[order_id]}, timeout=30)
        reply.raise_for_status()
        return dict(reply.json())

    def qc_awaited(self, order_id: str) -> set[tuple[str, int]]:
        """(group, round) of the order whose QC sheet its execution waits for now: the managers' side (their open
        work in the console), read from the table. The buyer's stages follow the work window instead, and a
        manager may hand in her sheet as soon as it is awaited."""
        items = self.table.query(
            IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq(keys.assignments_of(order_id))
        )["Items"]
        return {
            (str(i["group_id"]), int(i.get("rework_round", 0)))
            for i in items
            if i["sk"] == "ASSIGNMENT" and i.get("status") == "AWAITING_QC"
        }

    def every_group_awaits_qc(self, order: dict[str, Any]) -> bool:
        """Each group of the order (as the API lists them) has its QC sheet awaited."""
        awaited = self.qc_awaited(order["order_id"])
        return bool(order["groups"]) and all((g["group_id"], g["rework_round"]) in awaited for g in order["groups"])

    def wait_for(
        self,
        order_ids: list[str],
        done: Callable[[dict[str, Any]], bool],
        what: str,
        while_waiting: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> list[dict]:
        """Poll the orders through the API until ``done`` holds for each; ``while_waiting`` acts on each poll."""
        deadline = time.monotonic() + TIMEOUT_SECONDS
        last = ""
        while True:
            orders = [self.order(o) for o in order_ids]
            line = "  ".join(
                f"{o['order_id'][-10:]}: {o['status']} "
                f"({', '.join(f'{n} {s}' for s, n in sorted(Counter(g['stage'] for g in o['groups']).items()))}; "
                f"{o['units_passed']} passed)"
                for o in orders
            )
            if line != last:
                print(f"  waiting until {what}: {line}", flush=True)
                last = line
            if all(done(o) for o in orders):
                return orders
            stuck = [o for o in orders if o["status"] == "NEEDS_ATTENTION"]
            if stuck:  # a person must look: waiting longer changes nothing
                raise RuntimeError(f"{stuck[0]['order_id']} needs attention: {stuck[0]['status_reason']}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"not true within {TIMEOUT_SECONDS} s that {what}: {line}")
            if while_waiting:
                while_waiting(orders)
            time.sleep(0.3)

    def fill_and_upload_qc(self, order_ids: list[str]) -> None:
        """Act as the production managers until the orders finish: a QC sheet for every round, rework too."""
        self.wait_for(order_ids, self.every_group_awaits_qc, "every group's QC sheet is awaited")
        self.wait_for(
            order_ids,
            lambda o: o["status"] in ("READY_TO_SHIP", "NEEDS_ATTENTION"),
            "the orders finish",
            while_waiting=self.upload_new_sheets,
        )

    def upload_new_sheets(self, orders: list[dict[str, Any]]) -> None:
        """Fill and upload each QC template whose round waits for QC; keep every paper in out/."""
        bucket = self.outputs["artifacts_bucket"]
        for order in orders:
            order_id = order["order_id"]
            waiting = self.qc_awaited(order_id)
            prefix = artifacts.order_papers_prefix(order_id)
            listing = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
            planned = {g["group_id"] for g in order["groups"]}  # not the papers of a plan that lost a retry race
            keys = [o["Key"] for o in listing if o["Key"].removeprefix(prefix).split("/")[0] in planned]
            for key in sorted(k for k in keys if k not in self.handled):
                name = f"{order_id}_{key.removeprefix(prefix).replace('/', '_')}"
                if "/worksheet-" in key:
                    (self.out / "worksheets" / name).write_bytes(self._artifact(key))
                    self.handled.add(key)
                    continue
                if "/qc-" not in key:
                    continue
                body = self._artifact(key)
                assignment_id = read_assignment_id(body)
                group_id, _, rework = assignment_id.removeprefix(f"{order_id}-").partition("-rework")
                if (group_id, int(rework or 0)) not in waiting:
                    continue  # its round has not started waiting yet: next poll
                group = self.ref.group(group_id)
                filled = fill_qc_sheet(
                    body,
                    group.manager_name,
                    datetime.now(UTC).date(),
                    functools.partial(self.manager_counts, rework=bool(rework)),
                )
                (self.out / "qc" / f"{assignment_id}.xlsx").write_bytes(filled)
                self.handled.add(key)
                if group_id == self.MAIL_GROUP and self.outputs.get("smtp"):
                    self.reply_by_mail(group.manager_email, f"QC {assignment_id}.xlsx", filled)
                    continue
                # Staff name files as they like; spaces and accents must survive S3 -> SQS.
                upload = f"qc/{group.place} – QC {assignment_id}.xlsx"
                self.s3.put_object(Bucket=self.outputs["uploads_bucket"], Key=upload, Body=filled)
                print(f"  uploaded s3://{self.outputs['uploads_bucket']}/{upload}")

    def reply_by_mail(self, manager: str, filename: str, sheet: bytes) -> None:
        """What a manager does: reply to her papers with the filled sheet attached (SMTP, as to SES receiving)."""
        self.send_by_smtp(self.manager_reply(manager, filename, sheet))
        print(f"  replied by e-mail from {manager} to {self.outputs['inbound_address']} with {filename}")

    def manager_reply(self, manager: str, filename: str, sheet: bytes) -> EmailMessage:
        """Her reply to Telar's inbound address, with the sheet attached."""
        message = EmailMessage()
        message["From"], message["To"] = manager, self.outputs["inbound_address"]
        message["Subject"] = "Re: Telar: new work"
        message["Message-ID"] = make_msgid(domain=manager.split("@")[1])
        message.set_content("Here is the QC sheet.\n")
        message.add_attachment(sheet, maintype="application", subtype=XLSX.split("/")[1], filename=filename)
        return message

    def send_by_smtp(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.outputs["smtp"]["host"], self.outputs["smtp"]["port"], timeout=30) as smtp:
            smtp.send_message(message)

    def contact_sheets(self) -> list[str]:
        """Each group's contact sheet (written when the sample reference data was applied) to contact-sheets/."""
        folder = self.out / "contact-sheets"
        folder.mkdir(parents=True, exist_ok=True)
        listed = self.s3.list_objects_v2(Bucket=self.outputs["artifacts_bucket"], Prefix=artifacts.CONTACT_SHEETS)
        for item in listed.get("Contents", []):
            (folder / item["Key"].rsplit("/", 1)[-1]).write_bytes(self._artifact(item["Key"]))
        return sorted(str(p.relative_to(self.out)) for p in folder.glob("*.html"))

    def _artifact(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.outputs["artifacts_bucket"], Key=key)["Body"].read())

    def manager_counts(self, worker_id: str, sku: str, planned: int, rework: bool = False) -> RowResult:
        """Deterministic 'real life': about one row in five has a reject (reworked ones pass), and each group's
        first row with two or more units, so every group writes a defect; one maker in four works slowly. The
        defect is written as the manager would: its label in her group's language (Thai in Chiang Mai)."""
        product = self.ref.product(sku)
        assert product is not None
        digest = int(hashlib.sha256(f"{worker_id}/{sku}".encode()).hexdigest(), 16)
        group = self.ref.group(next(m.group_id for m in self.ref.makers if m.worker_id == worker_id))
        first_of_group = group.group_id not in {d["group_id"] for d in self.defects_written}
        rejected = 1 if planned > 1 and (digest % 5 == 0 or first_of_group) and not rework else 0
        pace = Decimal("1.8") if digest % 4 == 0 else Decimal("1.05")
        hours = (planned * product.standard_minutes * pace / 60).quantize(Decimal("0.5"))
        words = ""
        if rejected and product.defect_codes:
            words = self.ref.defect(product.defect_codes[0]).label_in(group.language)
            self.defects_written.append(
                {"group_id": group.group_id, "worker_id": worker_id, "sku": sku, "written": words}
            )
        return RowResult(produced=planned, rejected=rejected, defect_codes=words, hours_worked=max(hours, Decimal(1)))

    def defects_recorded(self, order_ids: list[str]) -> list[dict[str, Any]]:
        """Each defect the managers wrote in their language, with the codes Telar recorded for that row."""
        store = DynamoAssignments(self.outputs["resources"]["TelarTable"])  # the local cloud runs in this process
        rows = {
            (r.worker_id, r.sku): r.defect_codes
            for order_id in order_ids
            for a in store.assignments_of(order_id)
            if not a.rework_round
            for r in a.qc_rows
        }
        return [{**d, "recorded": list(rows.get((d["worker_id"], d["sku"]), ()))} for d in self.defects_written]

    def worksheets_with_materials(self) -> str:
        """How many of the saved work sheets list their materials (the title of that table, in any language)."""
        titles = {labels_for(lang)["materials"] for lang in ("en", "es", "th")}
        sheets = sorted((self.out / "worksheets").glob("*.xlsx"))
        listing = [
            f
            for f in sheets
            if any(c.value in titles for row in load_workbook(f, read_only=True).active.iter_rows() for c in row)
        ]
        return f"{len(listing)} of {len(sheets)}"

    def execution_arn(self, order_id: str) -> str:
        return self.outputs["state_machine_arn"].replace(":stateMachine:", ":execution:") + f":{order_id}"

    def state_transitions(self, order_id: str) -> int:
        """State transitions (what Standard workflows bill): the ...StateEntered events of the execution."""
        history = self.sfn.get_paginator("get_execution_history").paginate(executionArn=self.execution_arn(order_id))
        return sum(e["type"].endswith("StateEntered") for page in history for e in page["events"])

    def hand_in_attendance(self, month: str, group_id: str = "pe-cusco") -> dict[str, Any]:
        """The month's blank sheets are mailed (AttendanceSheetsFunction, as the schedule does on the 1st); the group's
        manager fills in hers (two makers at a training, two hours on each of the first three working days) and
        uploads it under attendance/; waits until its pay is recorded."""
        group = self.ref.group(group_id)
        reply = self.lambda_.invoke(
            FunctionName=self.outputs["functions"]["AttendanceSheetsFunction"], Payload=json.dumps({"month": month})
        )
        if reply.get("FunctionError"):
            raise RuntimeError(f"attendance sheets not sent: {reply['Payload'].read()!r}")
        blank = self._artifact(artifacts.attendance_sheet_key(month, group_id))  # as mailed to her
        sheet = load_workbook(BytesIO(blank))
        ws = sheet[ATTENDANCE_SHEET]
        header = next(r[0].row for r in ws.iter_rows() if any(c.value == "Worker ID" for c in r))
        column = {c.value: c.column for c in ws[header] if c.value}
        trained: dict[str, int] = {}
        for row in range(header + 1, ws.max_row + 1):
            worker = ws.cell(row=row, column=column["Worker ID"]).value
            note = ws.cell(row=row, column=column["Note"]).value
            if worker is None or note or (len(trained) == 2 and worker not in trained) or trained.get(worker) == 3:
                continue
            ws.cell(row=row, column=column["Present"]).value = group.hours_per_day
            ws.cell(row=row, column=column["Training"]).value = 2
            trained[worker] = trained.get(worker, 0) + 1
        filled = BytesIO()
        sheet.save(filled)
        (self.out / "attendance").mkdir(exist_ok=True)
        (self.out / "attendance" / f"attendance-{group_id}-{month}.xlsx").write_bytes(filled.getvalue())
        key = f"{artifacts.ATTENDANCE_UPLOADS}{group.place} – asistencia {month}.xlsx"
        put = self.s3.put_object(Bucket=self.outputs["uploads_bucket"], Key=key, Body=filled.getvalue())
        print(f"  uploaded s3://{self.outputs['uploads_bucket']}/{key}")
        # recorded once its receipt is sent (the stage mails after writing every line)
        table = DynamoClaims(self.outputs["resources"]["TelarTable"]).table
        receipt = keys.claim(f"mail#attendance-receipt#{key}#{put.get('VersionId') or 'null'}")
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while table.get_item(Key=receipt).get("Item", {}).get("state") != "done":
            if time.monotonic() > deadline:
                raise TimeoutError(f"the attendance sheet {key} was not recorded within {TIMEOUT_SECONDS} s")
            time.sleep(0.3)
        lines = DynamoEarnings(self.outputs["resources"]["TelarTable"]).earnings_of(
            attendance_order_id(group_id, month)
        )
        kinds = sorted({line.sku for line in lines})
        print(f"Attendance {group.name} {month}: {len(lines)} lines recorded ({', '.join(kinds)})")
        return {
            "group_id": group_id,
            "month": month,
            "lines": len(lines),
            "training_hours": str(sum(x.hours_worked for x in lines if x.sku == "TIME:training")),
            "total": str(sum((x.total for x in lines), Decimal(0))),
        }

    def run_pay_period(self, period: str) -> dict[str, Any]:
        """On-demand pay run through Lambda Invoke (as an operator would); its files and payslips to out/demo/."""
        reply = self.lambda_.invoke(
            FunctionName=self.outputs["functions"]["PayPeriodFunction"], Payload=json.dumps({"period": period})
        )
        run = json.loads(reply["Payload"].read())
        if reply.get("FunctionError"):
            raise RuntimeError(f"pay-period run failed: {run}")
        for key in run["files"] + run["payslips"]:  # the period's workbooks and payslips side by side
            (self.out / "payroll" / Path(key).name).write_bytes(self._artifact(key))
        print(f"Pay period {period}: {run['lines']} lines paid, e-mail sent: {run['mail_sent']}, {run['totals']}")
        return run

    def collect(self, orders: list[dict[str, Any]]) -> dict[str, Any]:
        earnings = DynamoEarnings(self.outputs["resources"]["TelarTable"])  # the local cloud runs in this process
        payroll: dict[tuple[str, str], dict[str, Any]] = {}
        summary_orders, cards_total = [], 0
        for o in orders:
            transitions = self.state_transitions(o["order_id"])
            output = json.loads(
                self.sfn.describe_execution(executionArn=self.execution_arn(o["order_id"])).get("output") or "{}"
            )
            cards = next((b.get("cards", 0) for b in output.get("outputs", []) if "cards" in b), 0)
            cards_total += cards
            cards_file = self.out / "cards" / f"{o['order_id']}.html"
            cards_file.write_bytes(self._artifact(artifacts.cards_key(o["order_id"])))
            for page in self.s3.list_objects_v2(
                Bucket=self.outputs["artifacts_bucket"], Prefix=f"payroll/{o['order_id']}/"
            ).get("Contents", []):
                (self.out / "payroll" / Path(page["Key"]).name).write_bytes(self._artifact(page["Key"]))
            for line in earnings.earnings_of(o["order_id"]):
                entry = payroll.setdefault(
                    (line.group_id, line.currency), {"makers": set(), "total": Decimal(0), "top_ups": Decimal(0)}
                )
                entry["makers"].add(line.worker_id)
                entry["total"] += line.total
                entry["top_ups"] += line.top_up
            summary_orders.append(
                {
                    "order_id": o["order_id"],
                    "buyer_reference": o["buyer_reference"],
                    "status": o["status"],
                    "units_ordered": o["units_ordered"],
                    "units_passed": o["units_passed"],
                    "assignments": [
                        {
                            "group": g["group_name"],
                            "rework_round": g["rework_round"],
                            "planned": g["units_planned"],
                            "passed": g["units_passed"],
                        }
                        for g in o["groups"]
                    ],
                    "state_transitions": transitions,
                    "cards": cards,
                    "cards_file": str(cards_file.relative_to(self.out)),
                }
            )
        return {
            "orders": summary_orders,
            "defects": self.defects_recorded([o["order_id"] for o in orders]),
            "materials_on_worksheets": self.worksheets_with_materials(),
            "payroll": [
                {
                    "group_id": g,
                    "group": self.ref.group(g).name,
                    "currency": c,
                    "makers": len(v["makers"]),
                    "total": str(v["total"]),
                    "top_ups": str(v["top_ups"]),
                }
                for (g, c), v in sorted(payroll.items())
            ],
            "cards": cards_total,
            "artifacts": {
                name: str(self.out / name)
                for name in (
                    "worksheets",
                    "qc",
                    "outbox",
                    "cards",
                    "payroll",
                    "attendance",
                    "contact-sheets",
                )
            },
        }


def print_summary(summary: dict[str, Any]) -> None:
    print("\nDefects written on QC sheets in the manager's language, as recorded")
    for d in summary["defects"]:
        print(f"  {d['group_id']:<14} {d['worker_id']:<8} {d['written']:<22} -> {', '.join(d['recorded'])}")
    print(f"Work sheets listing their materials: {summary['materials_on_worksheets']}")
    print("\nOrders")
    for o in summary["orders"]:
        print(
            f"  {o['order_id']}  {o['buyer_reference']:<22} {o['status']:<15} "
            f"{o['units_passed']:>4}/{o['units_ordered']:<4} passed  "
            f"{len({a['group'] for a in o['assignments']})} groups  "
            f"{sum(a['rework_round'] > 0 for a in o['assignments'])} rework rounds  "
            f"{o['cards']} cards  {o['state_transitions']} state transitions"
        )
    print("Payroll (per group and currency)")
    for p in summary["payroll"]:
        print(f"  {p['group']:<40} {p['currency']} {p['total']:>10}  ({p['makers']} makers, top-ups {p['top_ups']})")
    print(f"Cards: {summary['cards']}   E-mails: {len(summary['emails'])}   Wall time: {summary['wall_seconds']} s")
    for name, path in summary["artifacts"].items():
        print(f"  {name:<10} {path}/")


if __name__ == "__main__":
    sys.exit(main())
