"""Lambda: run another of the stack's functions on demand, asynchronously (Lambda queues and retries it)."""

import json

from telar.adapters.aws import client


class FunctionInvoker:
    def __init__(self, pay_period_function: str) -> None:
        self.pay_period_function = pay_period_function

    def run_pay_period(self, period: str) -> None:
        """The pay run of ``period`` (``{"period": "YYYY-MM"}``, as an operator invokes it), started, not awaited."""
        payload = json.dumps({"period": period}).encode()
        client("lambda").invoke(FunctionName=self.pay_period_function, InvocationType="Event", Payload=payload)
