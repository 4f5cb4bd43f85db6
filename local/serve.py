"""`python -m local.serve` (what `make serve` runs): the local cloud in the foreground until Ctrl-C.

Ports come from TELAR_API_PORT (default 3000), TELAR_AWS_PORT (default 4566) and TELAR_SMTP_PORT (default
2525: SES receiving, local.smtp), the output folder
from TELAR_OUT_DIR (default out/serve); when everything is up, <out>/outputs.json says where things
are. TELAR_LOCAL_VISIBILITY_TIMEOUT, if set, shortens SQS retries (see local.poller). SIGINT and
SIGTERM stop it cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path
from types import FrameType

from local.cloud import DEFAULT_API_PORT, DEFAULT_AWS_PORT, DEFAULT_SMTP_PORT, PROJECT_ROOT, LocalCloud


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.serve", description=__doc__)
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("TELAR_API_PORT", DEFAULT_API_PORT)))
    parser.add_argument("--aws-port", type=int, default=int(os.environ.get("TELAR_AWS_PORT", DEFAULT_AWS_PORT)))
    parser.add_argument(
        "--smtp-port",
        type=int,
        default=int(os.environ.get("TELAR_SMTP_PORT", DEFAULT_SMTP_PORT)),
        help="SES receiving's stand-in: mail sent here is stored under inbound/ in the uploads bucket",
    )
    parser.add_argument("--project-root", type=Path, default=PROJECT_ROOT, help="template paths are relative to it")
    parser.add_argument("--template", type=Path, help="default: <project root>/template.yaml")
    parser.add_argument(
        "--out-dir", type=Path, default=Path(os.environ.get("TELAR_OUT_DIR", PROJECT_ROOT / "out" / "serve"))
    )
    parser.add_argument("--no-seed", action="store_true", help="do not load the sample data")
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template parameter (as sam deploy --parameter-overrides), e.g. MaxReworkRounds=0; repeatable",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def _summary(cloud: LocalCloud) -> str:
    out = cloud.outputs
    rows: list[tuple[str, object]] = [
        ("API", out["api_url"]),
        *(("", f"    {route}") for route in out["routes"]),
        ("AWS endpoint", f"{out['aws_endpoint']}  (region {out['region']}, account {out['account_id']})"),
        ("", f"e.g. aws --endpoint-url {out['aws_endpoint']} s3 ls"),
        ("uploads", out["uploads_bucket"] and f"s3://{out['uploads_bucket']}   (QC sheets under qc/)"),
        ("artifacts", out["artifacts_bucket"] and f"s3://{out['artifacts_bucket']}"),
        ("state machine", out["state_machine_arn"]),
        ("outbox", out["outbox_dir"]),
        (
            "smtp",
            out["smtp"]
            and f"{out['smtp']['host']}:{out['smtp']['port']}   (reply with sheets to {out['inbound_address']})",
        ),
        ("outputs", cloud.out_dir / "outputs.json"),
    ]
    lines = ["Telar local cloud is up."] + [f"  {label:<14} {value}" for label, value in rows if value]
    for buyer in out["buyers"]:
        lines.append(f"  {'buyer':<14} {buyer['buyer_id']}  x-api-key: {buyer['api_key']}")
    if out.get("console_url"):
        lines.append(f"  {'console':<14} {out['console_url']}   (staff and their passwords: outputs.json)")
    lines.append("Ctrl-C to stop.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger(__name__).info("%s: stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with LocalCloud(
        project_root=args.project_root,
        template=args.template,
        out_dir=args.out_dir,
        api_port=args.api_port,
        aws_port=args.aws_port,
        smtp_port=args.smtp_port,
        seed=not args.no_seed,
        parameters=dict(p.split("=", 1) for p in args.parameter),
    ) as cloud:
        print(_summary(cloud), flush=True)
        while not stopping.wait(0.5):
            pass
    print("Telar local cloud stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
