"""Earning lines (each recorded once, paid once) and the pay run of each period."""

from collections.abc import Iterable

from boto3.dynamodb.conditions import Key

from telar.adapters.dynamo import keys
from telar.adapters.dynamo.table import TableStore, conditional, item, model
from telar.errors import ConditionFailed
from telar.models import EarningLine, PayRun


def _line_key(line: EarningLine) -> dict[str, str]:
    return keys.earning_line(line.order_id, line.assignment_id, line.worker_id, line.sku)


class DynamoEarnings(TableStore):
    def record_earnings(self, lines: Iterable[EarningLine]) -> int:
        """Record each earning line exactly once (keyed by order, assignment, maker, product).

        Returns how many were new; lines already recorded by an earlier attempt are left as they are.
        """
        new = 0
        for line in lines:
            index = keys.earning_index(line.group_id, line.order_id, line.assignment_id, line.worker_id, line.sku)
            new += self._put_new(item(line, _line_key(line), index))
        return new

    def own_earnings(self, order_id: str, source: str) -> str:
        """Make ``source`` the one upload whose lines ``order_id``'s earnings are, unless another already is;
        returns the owner. Two different sheets for one month, handled at once, cannot both record lines."""
        if self._put_new({**keys.earnings_owner(order_id), "source": source}):
            return source
        stored = self.table.get_item(Key=keys.earnings_owner(order_id), ConsistentRead=True)["Item"]
        return str(stored["source"])

    def earnings_of(self, order_id: str) -> list[EarningLine]:
        condition = Key("pk").eq(keys.earnings_of(order_id)) & Key("sk").begins_with(keys.EARNING)
        return [model(EarningLine, i) for i in self._query(KeyConditionExpression=condition)]

    def unpaid_earnings(self) -> list[EarningLine]:
        """Every earning line no pay run has paid yet (the sparse ``EARNING#UNPAID`` index partition)."""
        items = self._query(IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq(keys.UNPAID))
        return [model(EarningLine, i) for i in items]

    def mark_paid(self, lines: Iterable[EarningLine], period: str) -> list[EarningLine]:
        """Move each line from unpaid to paid in ``period``, only if still unpaid; returns the lines moved.

        The condition makes a re-run (or a concurrent run) unable to pay a line twice.
        """
        moved = []
        for line in lines:
            try:
                conditional(
                    self.table.update_item,
                    Key=_line_key(line),
                    UpdateExpression="SET paid_in = :period, gsi1pk = :paid",
                    ConditionExpression="gsi1pk = :unpaid",
                    ExpressionAttributeValues={
                        ":period": period,
                        ":paid": keys.paid_in(period),
                        ":unpaid": keys.UNPAID,
                    },
                )
                moved.append(line.model_copy(update={"paid_in": period}))
            except ConditionFailed:
                continue
        return moved

    def earnings_paid_in(self, period: str) -> list[EarningLine]:
        items = self._query(IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq(keys.paid_in(period)))
        return [model(EarningLine, i) for i in items]

    def start_pay_run(self, period: str) -> PayRun:
        """The run for ``period``: created COLLECTING the first time, as it stands on any later call."""
        run = PayRun(period=period, status="COLLECTING")
        if self._put_new(item(run, keys.pay_run(period))):
            return run
        return model(PayRun, self.table.get_item(Key=keys.pay_run(period), ConsistentRead=True)["Item"])

    def pay_run(self, period: str) -> PayRun | None:
        """The run for ``period`` as it stands, or None if none started (read only: the console shows it)."""
        stored = self.table.get_item(Key=keys.pay_run(period), ConsistentRead=True).get("Item")
        return model(PayRun, stored) if stored else None

    def save_pay_run(self, run: PayRun) -> None:
        self.table.put_item(Item=item(run, keys.pay_run(run.period)))
